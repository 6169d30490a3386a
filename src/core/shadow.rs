//! What every precision shadow shares: an f64 CPU run following an f32 GPU run of the same
//! scenario in lockstep, and the log of their comparisons (see `sims::nlse::shadow` and
//! `sims::diffusion::shadow`).

/// Unit round-off of f32 (2^-24: half the spacing of floats at 1).
pub const F32_UNIT_ROUNDOFF: f64 = 5.960_464_477_539_063e-8;

/// Points a shadow keeps (older ones are thinned to every other point).
const MAX_HISTORY: usize = 4096;

/// One comparison of the two runs at one time.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ShadowPoint {
    /// Time.
    pub t: f64,
    /// The f32–f64 distance of the states, in the simulation's measure (NLSE: relative L2 of
    /// ψ̂; diffusion: RMS per-particle distance; Navier–Stokes: largest velocity difference
    /// at the error's sample points).
    pub difference: f64,
    /// What f32 round-off alone can explain at this point.
    pub bound: f64,
    /// The f64 run's own error in the same measure, where it is known (NLSE: against the
    /// exact solution; diffusion: against the reference ODE solution, at the end).
    pub f64_error: Option<f64>,
    /// The f32 run's error, likewise.
    pub f32_error: Option<f64>,
}

/// Appends `point` to `points`, thinning the older ones to every other point past
/// the cap so that long runs stay bounded.
pub fn record(points: &mut Vec<ShadowPoint>, point: ShadowPoint) {
    points.push(point);
    if points.len() > MAX_HISTORY {
        let mut k = 0;
        points.retain(|_| {
            k += 1;
            k % 2 == 0
        });
    }
}

/// The plain statement when the f32–f64 difference of `point` exceeds `solver_error`, the
/// f64 run's own error: then single precision, not the solver, limits the accuracy.
pub fn single_precision_limits(point: &ShadowPoint, solver_error: f64) -> Option<String> {
    (point.difference > solver_error).then(|| {
        format!(
            "The f32–f64 difference ({:.1e}) exceeds the solver's own error ({:.1e}): single \
             precision, not the solver, limits the accuracy here.",
            point.difference, solver_error
        )
    })
}

/// Why single precision, not the solver, limits the GPU run, if it does: the last
/// comparison's f32–f64 difference exceeds the f64 run's own error (where it is known).
pub fn precision_limit(last: Option<&ShadowPoint>) -> Option<String> {
    let p = last?;
    single_precision_limits(p, p.f64_error?)
}

/// A shadow's log of comparisons (what a slot needs to know of it).
pub trait ShadowLog {
    /// The comparisons so far.
    fn points(&self) -> &[ShadowPoint];
}

/// Whether a shadow is wanted, the shadow once started, and why it stopped (for the
/// app's notice): the bookkeeping every simulation's shadow shares.
pub struct ShadowSlot<S> {
    wanted: bool,
    /// The shadow, once started.
    pub shadow: Option<S>,
    stopped: Option<String>,
}

impl<S> Default for ShadowSlot<S> {
    fn default() -> Self {
        Self {
            wanted: false,
            shadow: None,
            stopped: None,
        }
    }
}

impl<S: ShadowLog> ShadowSlot<S> {
    /// Whether a shadow is wanted.
    pub fn on(&self) -> bool {
        self.wanted
    }

    /// Asks for a shadow (when `allowed` says it may follow) or stops it.
    pub fn set(&mut self, on: bool, allowed: Result<(), String>) -> Result<(), String> {
        if on {
            allowed?;
        } else {
            self.shadow = None;
        }
        self.wanted = on;
        Ok(())
    }

    /// The comparisons so far.
    pub fn points(&self) -> &[ShadowPoint] {
        self.shadow.as_ref().map_or(&[], |s| s.points())
    }

    /// Stops the shadow, keeping why for the app's notice.
    pub fn stop(&mut self, why: String) {
        self.shadow = None;
        self.wanted = false;
        self.stopped = Some(why);
    }

    /// Drops the shadow without a notice (the run left the GPU).
    pub fn clear(&mut self) {
        self.shadow = None;
        self.wanted = false;
    }

    /// Takes the shadow to continue on it, once `level` says it has caught up with the run
    /// it follows (else it stays and the reason comes back).
    pub fn take_level(&mut self, level: impl FnOnce(&S) -> bool) -> Result<S, String> {
        let shadow = self
            .shadow
            .take()
            .ok_or("no f64 shadow is following the GPU run")?;
        if !level(&shadow) {
            self.shadow = Some(shadow);
            return Err("the f64 shadow has not caught up with the GPU run yet".into());
        }
        self.clear();
        Ok(shadow)
    }

    /// Why the shadow stopped, once.
    pub fn take_stopped(&mut self) -> Option<String> {
        self.stopped.take()
    }

    /// Keeps a wanted shadow in lockstep: starts it with `start` when there is none or
    /// `stale` says the run it follows was rebuilt, then calls `follow` (one bounded piece of
    /// catching up; true once level) until it is level or `budget_s` seconds have passed. A
    /// failure stops the shadow with the reason.
    pub fn keep_up(
        &mut self,
        budget_s: f64,
        stale: impl FnOnce(&S) -> bool,
        start: impl FnOnce() -> Result<S, String>,
        mut follow: impl FnMut(&mut S) -> Result<bool, String>,
    ) {
        if !self.wanted {
            return;
        }
        if self.shadow.as_ref().is_none_or(stale) {
            match start() {
                Ok(shadow) => self.shadow = Some(shadow),
                Err(e) => return self.stop(format!("The f64 shadow stopped: {e}")),
            }
        }
        let Some(shadow) = &mut self.shadow else {
            return;
        };
        let begun = web_time::Instant::now();
        loop {
            match follow(shadow) {
                Ok(true) => return,
                Ok(false) if begun.elapsed().as_secs_f64() < budget_s => {}
                Ok(false) => return,
                Err(e) => return self.stop(format!("The f64 shadow stopped: {e}")),
            }
        }
    }
}

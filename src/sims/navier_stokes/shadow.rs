//! The precision shadow of a pseudo-spectral Navier–Stokes run on the GPU: an f64 run starts
//! from the GPU's state (as the CPU mirror holds it) and is advanced to every time a field
//! readback lands, landing on it exactly; the largest velocity difference of the two at the
//! points the error is sampled at is recorded beside an f32 bound and beside each run's
//! error against the exact solution (the same measure) where the scenario has one.
//!
//! Only the spectral solvers: there both paths compute the same scheme, so the difference is
//! the arithmetic's. The GPU's MAC schemes run a fixed number of pressure iterations where
//! the CPU solves to a tolerance, so their difference would mix the two.

use super::NsSolver;
use super::run::NsRun;
use crate::core::shadow::{F32_UNIT_ROUNDOFF, ShadowPoint, record};

/// The largest grid side the shadow follows (its f64 run costs what the CPU path costs).
pub const MAX_SHADOW_SIDE: usize = 256;

/// Two-dimensional FFTs of an n×n grid per step of the spectral schemes: per stage the
/// velocity and the vorticity gradient (four inverse transforms) and the advection term (one
/// forward), four stages.
const FFTS_PER_STEP: u64 = 20;

/// The f32 round-off bound on the velocity of speed `scale` after `ffts` two-dimensional
/// FFTs of an n×n grid: u·√log₂(n²) relative per transform (as for the NLSE,
/// [`crate::sims::nlse::shadow::f32_bound`]), added up linearly.
pub fn f32_bound(n: usize, ffts: u64, scale: f64) -> f64 {
    let points = (n.max(2) * n.max(2)) as f64;
    F32_UNIT_ROUNDOFF * points.log2().sqrt() * ffts.max(1) as f64 * scale
}

/// Why a shadow cannot follow `run`, if it cannot.
pub fn unsupported(run: &NsRun) -> Option<String> {
    let p = run.params();
    if !matches!(p.solver, NsSolver::Spectral(_)) {
        return Some(
            "the f64 shadow follows the spectral solvers, where the GPU and the CPU compute the \
             same scheme (the GPU's MAC pressure solve runs a fixed number of iterations)"
                .into(),
        );
    }
    (p.n > MAX_SHADOW_SIDE).then(|| {
        format!(
            "an f64 shadow follows grids up to {MAX_SHADOW_SIDE}² (this one is {}²)",
            p.n
        )
    })
}

/// The f64 run following an f32 GPU run.
pub struct NsShadow {
    run: NsRun,
    points: Vec<ShadowPoint>,
    steps_at_start: u64,
}

impl NsShadow {
    /// A shadow starting from `mirror`, the CPU mirror of the GPU run (its state as read back).
    pub fn new(mirror: &NsRun) -> Result<NsShadow, String> {
        if let Some(why) = unsupported(mirror) {
            return Err(why);
        }
        let run = NsRun::from_checkpoint(mirror.params().clone(), &mirror.checkpoint_state())?;
        Ok(NsShadow {
            steps_at_start: mirror.steps(),
            run,
            points: Vec::new(),
        })
    }

    /// Advances the f64 run (at most `max_steps` steps) towards the mirror's time, landing on
    /// it; when there, records the comparison. Returns whether it is in lockstep.
    pub fn follow(&mut self, mirror: &NsRun, max_steps: usize) -> Result<bool, String> {
        let t = mirror.time();
        if self.run.time() > t {
            return Err("the GPU run went back in time: the shadow restarts".into());
        }
        self.run.advance_exactly(max_steps, t);
        if let Some(why) = self.run.failure() {
            return Err(why.to_owned());
        }
        if self.run.time() != t {
            return Ok(false);
        }
        if self.points.last().is_none_or(|p| p.t != t) && mirror.steps() > self.steps_at_start {
            let finite = |e: f64| e.is_finite().then_some(e);
            let ffts = (mirror.steps() - self.steps_at_start) * FFTS_PER_STEP;
            let (difference, scale) = self.run.velocity_difference(mirror);
            let point = ShadowPoint {
                t,
                difference,
                bound: f32_bound(mirror.params().n, ffts, scale),
                f64_error: finite(self.run.error()),
                f32_error: finite(mirror.error()),
            };
            record(&mut self.points, point);
        }
        Ok(true)
    }

    /// The comparisons so far.
    pub fn points(&self) -> &[ShadowPoint] {
        &self.points
    }

    /// The f64 run.
    pub fn run(&self) -> &NsRun {
        &self.run
    }

    /// The f64 run, to continue on it.
    pub fn into_run(self) -> NsRun {
        self.run
    }
}

impl crate::core::shadow::ShadowLog for NsShadow {
    fn points(&self) -> &[ShadowPoint] {
        &self.points
    }
}

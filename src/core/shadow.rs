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
    /// ψ̂; diffusion: RMS per-particle distance).
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

//! How an NLSE run controls its steps, set up once for both paths: the controller and its
//! limits, the tolerances and how they scale with the grid, the mass guard, and the f32 floor
//! of the GPU path. The f64 CPU run and the f32 GPU run read the same set-up, so a tolerance is
//! scaled in one place and described once.

use super::NlseParams;
use crate::core::controller::{ControllerKind, ControllerLimits};
use crate::sims::run::Backend;

/// The smallest relative tolerance the f32 GPU path uses: below it f32 round-off in the error
/// estimate (~1e-7 relative) makes the controller chase noise. Smaller requests are raised
/// to it, and the UI says so.
pub const F32_MIN_RTOL: f64 = 1e-6;

/// The step control of one run (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepControl {
    /// The controller: the parameters' for adaptive methods, fixed steps otherwise.
    pub kind: ControllerKind,
    /// Its limits (safety factor, step-ratio bounds, smallest and largest step).
    pub limits: ControllerLimits,
    /// The relative tolerance used (raised to [`F32_MIN_RTOL`] in f32).
    pub rtol: f64,
    /// The absolute tolerance on the RMS of the error, in units of ψ.
    pub atol: f64,
}

impl StepControl {
    /// The step control of a run of `p` on `backend` (the CPU in f64, the GPU in f32).
    pub fn of(p: &NlseParams, backend: Backend) -> Self {
        let kind = if p.method.is_adaptive() {
            p.controller
        } else {
            ControllerKind::Fixed
        };
        let rtol = match backend {
            Backend::Cpu => p.rtol,
            Backend::Gpu => p.rtol.max(F32_MIN_RTOL),
        };
        Self {
            kind,
            limits: ControllerLimits {
                h_min: 1e-10,
                h_max: 10.0,
                hold_max: p.hold,
                ..ControllerLimits::default()
            },
            rtol,
            atol: p.atol,
        }
    }

    /// Whether the controller chooses the steps.
    pub fn is_adaptive(&self) -> bool {
        self.kind != ControllerKind::Fixed
    }

    /// The absolute tolerance per spectral coefficient of a grid of `n` points: with
    /// ψ̂ = Fψ/N, ‖ψ̂‖₂ = RMS(ψ), so atol/√N makes the weighted norm RMS(err)/(atol +
    /// rtol·RMS(ψ)).
    pub fn atol_per_mode(&self, n: usize) -> f64 {
        self.atol / (n as f64).sqrt()
    }

    /// Why the run does not meet its tolerance as asked, if it does not: a relative tolerance
    /// below what f32 resolves, raised to the floor.
    pub fn limitation(p: &NlseParams, backend: Backend) -> Option<String> {
        (backend == Backend::Gpu && p.method.is_adaptive() && p.rtol < F32_MIN_RTOL).then(|| {
            format!(
                "rtol = {:.0e} is below f32 resolution: the GPU runs at {F32_MIN_RTOL:.0e}",
                p.rtol
            )
        })
    }
}

/// The bound on Σ|ψ̂|² a step may produce (the equation conserves it; twice the initial sum
/// means the step diverged), from the initial mass ∫|ψ|² on a domain of `length`.
pub fn mass_sum_limit(initial_mass: f64, length: f64) -> f64 {
    2.0 * initial_mass / length
}

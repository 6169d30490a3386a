//! The precision shadow: an f64 CPU run of the same scenario in lockstep with the f32 GPU
//! run, so the cost of single precision is measured rather than guessed. The shadow starts
//! from the GPU run's state and is advanced to each time the GPU reports (both land exactly
//! on their targets), and the relative L2 distance of the two states is recorded beside a
//! bound for f32 round-off and beside each run's own error where the exact solution is known.
//!
//! The plain statement of when single precision, not the solver, limits accuracy is
//! [`precision_limit`].

use num_complex::Complex64;

use super::NlseParams;
use super::cpu::NlseCpu;
use super::gpu::GPU_MIN_RTOL;

pub use crate::core::shadow::{F32_UNIT_ROUNDOFF, ShadowPoint};

/// The largest grid the shadow follows (its f64 run costs what the CPU path costs).
pub const MAX_SHADOW_POINTS_N: usize = 4096;

/// The difference f32 round-off can make after `operations` FFT passes over the state on a
/// grid of `n` points: one f32 FFT has a root-mean-square relative error of about u·√log₂n
/// (Schatzman, SIAM J. Sci. Comput. 17 (1996); Higham, *Accuracy and Stability of Numerical
/// Algorithms*, §24.1), and the errors of successive passes add up linearly — a systematic
/// bias, such as the phase round-off of a soliton, does not average out (the shadow test
/// measures this linear growth).
pub fn f32_bound(n: usize, operations: u64) -> f64 {
    F32_UNIT_ROUNDOFF * (n.max(2) as f64).log2().sqrt() * operations.max(1) as f64
}

/// Why single precision, not the solver, limits the accuracy of the GPU run of `params`,
/// if it does: a tolerance below what f32 can resolve, or an f32–f64 difference (measured
/// by the shadow) larger than the f64 run's own error (against the exact solution, else
/// the tolerance of an adaptive method).
pub fn precision_limit(params: &NlseParams, last: Option<&ShadowPoint>) -> Option<String> {
    if params.method.is_adaptive() && params.rtol < GPU_MIN_RTOL {
        return Some(format!(
            "The tolerance rtol = {:.0e} is below f32 resolution: the GPU runs at rtol = \
             {GPU_MIN_RTOL:.0e}, and single precision, not the solver, limits the accuracy. \
             Compute on the CPU (f64) to reach it.",
            params.rtol
        ));
    }
    let p = last?;
    let solver_error = match p.f64_error {
        Some(e) => e,
        None if params.method.is_adaptive() => params.rtol,
        None => return None,
    };
    crate::core::shadow::single_precision_limits(p, solver_error)
}

/// The f64 run following an f32 run.
pub struct PrecisionShadow {
    cpu: NlseCpu,
    points: Vec<ShadowPoint>,
    /// FFT passes per step of the method (for the bound).
    passes_per_step: u64,
    /// The step count of the f32 run when the shadow started.
    steps_at_start: u64,
}

impl PrecisionShadow {
    /// Whether a shadow of `params` is affordable.
    pub fn affordable(params: &NlseParams) -> bool {
        params.n <= MAX_SHADOW_POINTS_N
    }

    /// A shadow starting from the f32 run's state `psi_hat` at time `t` (after
    /// `steps_done` steps).
    pub fn new(
        params: NlseParams,
        psi_hat: &[Complex64],
        t: f64,
        steps_done: u64,
    ) -> Result<PrecisionShadow, String> {
        if !Self::affordable(&params) {
            return Err(format!(
                "an f64 shadow follows grids up to N = {MAX_SHADOW_POINTS_N} (this one has {})",
                params.n
            ));
        }
        let fresh = NlseCpu::new(params.clone())?;
        let stats = crate::core::stats::RunStats {
            t,
            ..*fresh.stats()
        };
        let initial = fresh.initial_diagnostics().clone();
        // About two FFT passes per order: Strang 2 (counted 4), Yoshida's three sub-steps 6
        // (8), RK4IP's four stages 8, the embedded pairs' stages about 2p.
        let passes_per_step = 2 * u64::from(params.method.order().max(1));
        let cpu = NlseCpu::from_state(params, psi_hat, stats, initial, Default::default())?;
        Ok(PrecisionShadow {
            cpu,
            points: Vec::new(),
            passes_per_step,
            steps_at_start: steps_done,
        })
    }

    /// Advances the f64 run towards `t` by at most `max_attempts` step attempts; when it
    /// lands there, records the comparison with the f32 state `f32_hat` (after `f32_steps`
    /// accepted steps, with error `f32_error` against the exact solution). Returns whether it
    /// is in lockstep (at `t`). A failed f64 run returns why.
    pub fn follow(
        &mut self,
        t: f64,
        f32_hat: &[Complex64],
        f32_steps: u64,
        f32_error: Option<f64>,
        max_attempts: u64,
    ) -> Result<bool, String> {
        if self.cpu.stats().t > t {
            return Err("the f32 run went back in time: the shadow restarts".into());
        }
        let outcome = self.cpu.advance(t, max_attempts);
        if let Some(message) = outcome.message() {
            return Err(message);
        }
        if self.cpu.stats().t != t {
            return Ok(false);
        }
        if self.points.last().is_some_and(|p| p.t == t) {
            return Ok(true);
        }
        let f64_hat = self.cpu.spectrum();
        let flat = |v: &[Complex64]| -> Vec<f64> { v.iter().flat_map(|z| [z.re, z.im]).collect() };
        let difference = crate::race::relative_l2(&flat(f32_hat), &flat(f64_hat));
        let steps = f32_steps.saturating_sub(self.steps_at_start);
        let point = ShadowPoint {
            t,
            difference,
            bound: f32_bound(self.cpu.grid().n, steps * self.passes_per_step),
            f64_error: self.cpu.diagnostics().exact_error,
            f32_error,
        };
        crate::core::shadow::record(&mut self.points, point);
        Ok(true)
    }

    /// The comparisons so far.
    pub fn points(&self) -> &[ShadowPoint] {
        &self.points
    }

    /// The f64 run.
    pub fn run(&self) -> &NlseCpu {
        &self.cpu
    }

    /// The f64 run, to continue on it.
    pub fn into_run(self) -> NlseCpu {
        self.cpu
    }
}

impl crate::core::shadow::ShadowLog for PrecisionShadow {
    fn points(&self) -> &[ShadowPoint] {
        &self.points
    }
}

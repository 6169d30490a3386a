//! Samplers that choose their own steps: embedded Runge–Kutta on the probability-flow ODE (the
//! shared core's DOPRI5 and DOP853 with PI control) and the adaptive SDE solver of
//! Jolicoeur-Martineau et al. (2021).

use super::mixture::MixtureScratch;
use super::program::ExactModel;
use crate::core::controller::{ControllerKind, ControllerLimits, StepController};
use crate::core::elem::ErrorNorm;
use crate::core::integrate::{Steppable, advance};
use crate::core::rk::{Attempt, ExplicitRk, OdeSystem, Tolerances};
use crate::core::rng::counter_normal;
use crate::core::stats::{Outcome, RunStats};
use crate::core::tableau::ButcherTableau;

/// The probability-flow ODE in log-SNR time for `y = x/α`: `dy/dλ = x̂₀(α y, t(λ)) − y`
/// (from `dx̃/dρ = (x̃ − x̂₀)/ρ` with `ρ = e^{−λ}`). Smooth in λ for every process, so a
/// Runge–Kutta method meets its order here.
struct PfOdeInLambda<'a, 'm> {
    model: &'a ExactModel<'m>,
    x: Vec<f64>,
    scratch: MixtureScratch,
}

impl OdeSystem<f64> for PfOdeInLambda<'_, '_> {
    fn rhs(&mut self, lambda: f64, y: &[f64], dydt: &mut [f64]) {
        let t = self.model.process.time_of_lambda(lambda);
        let alpha = self.model.process.alpha(t);
        for (x, yi) in self.x.iter_mut().zip(y) {
            *x = alpha * yi;
        }
        self.model.denoise(&self.x, t, dydt, &mut self.scratch);
        for (d, yi) in dydt.iter_mut().zip(y) {
            *d -= yi;
        }
    }
}

struct RkOnPfOde<'a, 'm> {
    rk: ExplicitRk<f64>,
    system: PfOdeInLambda<'a, 'm>,
    tol: Tolerances,
}

impl Steppable<f64> for RkOnPfOde<'_, '_> {
    fn attempt(&mut self, t: f64, h: f64, y0: &[f64], y1: &mut [f64]) -> Attempt {
        self.rk.step(&mut self.system, t, h, y0, y1, &self.tol)
    }
    fn accepted(&mut self, t1: f64) {
        self.rk.accepted(t1);
    }
    fn error_order(&self) -> u32 {
        self.rk.tableau().error_order
    }
}

/// One attempted step of an adaptive ODE run, for the live plots.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepRecord {
    /// Time at the start of the step.
    pub t: f64,
    /// The step in t (positive, backwards in time).
    pub h_t: f64,
    /// The step in λ.
    pub h_lambda: f64,
    /// Scaled error estimate (1 = at tolerance).
    pub error: f64,
    /// Whether the step was accepted.
    pub accepted: bool,
}

/// Result of an adaptive ODE solve.
#[derive(Clone, Debug)]
pub struct OdeSolve {
    /// Particles at `t_to`.
    pub particles: Vec<f64>,
    /// Counters (t is λ here).
    pub stats: RunStats,
    /// Every attempted step.
    pub records: Vec<StepRecord>,
}

/// Integrates the probability-flow ODE for all particles from `t_from` to `t_to` with an
/// embedded Runge–Kutta pair under PI control, the tolerances applied componentwise over the
/// whole particle set (Hairer's RMS norm).
pub fn solve_pf_ode(
    model: &ExactModel,
    particles: &[f64],
    t_from: f64,
    t_to: f64,
    tableau: &'static ButcherTableau,
    rtol: f64,
    atol: f64,
) -> Result<OdeSolve, String> {
    let process = model.process;
    let (l0, l1) = (process.lambda(t_from), process.lambda(t_to));
    let alpha0 = process.alpha(t_from);
    let mut y: Vec<f64> = particles.iter().map(|x| x / alpha0).collect();
    let mut scratch = vec![0.0; y.len()];
    let mut stepper = RkOnPfOde {
        rk: ExplicitRk::new(tableau, y.len()),
        system: PfOdeInLambda {
            model,
            x: vec![0.0; y.len()],
            scratch: MixtureScratch::default(),
        },
        tol: Tolerances {
            rtol,
            atol,
            norm: ErrorNorm::ComponentwiseRms,
        },
    };
    let mut controller = StepController::new(
        ControllerKind::ProportionalIntegral,
        ControllerLimits {
            h_min: 1e-12 * (l1 - l0).abs(),
            ..ControllerLimits::default()
        },
    );
    // A first step of 1/50 of the λ range; the controller corrects it within a few steps.
    let mut stats = RunStats {
        t: l0,
        h: (l1 - l0) / 50.0,
        ..RunStats::default()
    };
    let mut records = Vec::new();
    loop {
        let (t_before, attempts_before) = (stats.t, stats.accepted + stats.rejected);
        let accepted_before = stats.accepted;
        let h_try = stats.h.min(l1 - stats.t);
        let outcome = advance(
            &mut stepper,
            &mut controller,
            &mut stats,
            &mut y,
            &mut scratch,
            l1,
            1,
        );
        if stats.accepted + stats.rejected > attempts_before {
            let accepted = stats.accepted > accepted_before;
            let t_start = process.time_of_lambda(t_before);
            records.push(StepRecord {
                t: t_start,
                h_t: t_start - process.time_of_lambda(t_before + h_try),
                h_lambda: h_try,
                error: stats.last_error,
                accepted,
            });
        }
        match outcome {
            Outcome::Reached => break,
            Outcome::BudgetExhausted => {
                if records.len() > 1_000_000 {
                    return Err("the ODE solve took more than a million steps".into());
                }
            }
            other => {
                return Err(other
                    .message()
                    .unwrap_or_else(|| "the ODE solve failed".into()));
            }
        }
    }
    let alpha1 = process.alpha(t_to);
    Ok(OdeSolve {
        particles: y.iter().map(|v| v * alpha1).collect(),
        stats,
        records,
    })
}

/// Absolute tolerance of the adaptive SDE solver (the paper's 0.0078 for images in [−1, 1],
/// scaled to our targets' extent of about ±3).
pub const GGF_ABS_TOL: f64 = 0.02;

/// Counters of an adaptive SDE run over all particles.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SdeStats {
    /// Accepted steps, summed over particles.
    pub accepted: u64,
    /// Rejected steps, summed over particles.
    pub rejected: u64,
    /// Score evaluations, summed over particles.
    pub evaluations: u64,
    /// Particles whose step collapsed below 10⁻¹⁰ of the time range; they stay where they
    /// stalled and the count is shown to the user.
    pub stalled: u64,
}

/// "Gotta Go Fast" (Jolicoeur-Martineau et al. 2021, Alg. 1): per particle, an Euler–Maruyama
/// step `x'` and a stochastic improved-Euler step `x''` share the noise `z`; the error
/// `‖(x' − x'')/δ‖₂/√d` with `δ = max(ε_abs, ε_rel max(|x'|, |x|))` accepts (keeping `x''`) or
/// rejects, and the next step is `min(t − t_min, θ h E^{−r})` with θ = 0.9, r = 0.9. Every
/// particle has its own step sequence; the noise of attempt `a` of particle `p` is
/// `counter_normal(seed, 2³⁰ + a, p·d + k)`.
pub fn gotta_go_fast(
    model: &ExactModel,
    particles: &[f64],
    rel_tol: f64,
    seed: u32,
    mut on_step: impl FnMut(usize, &StepRecord),
) -> (Vec<f64>, SdeStats) {
    let process = model.process;
    let (t_min, t_max) = process.time_range();
    let dim = model.mixture.dim;
    let mut out = particles.to_vec();
    let mut stats = SdeStats::default();
    let mut scratch = MixtureScratch::default();
    let (mut score, mut z, mut x1, mut x2) = (
        vec![0.0; dim],
        vec![0.0; dim],
        vec![0.0; dim],
        vec![0.0; dim],
    );
    let (safety, exponent) = (0.9, 0.9);
    for (p, x) in out.chunks_exact_mut(dim).enumerate() {
        let mut t = t_max;
        let mut h = 0.01 * (t_max - t_min);
        let mut attempt: u32 = 0;
        while t > t_min {
            h = h.min(t - t_min);
            for (k, zk) in z.iter_mut().enumerate() {
                *zk = counter_normal(seed, (1 << 30) + attempt, (p * dim + k) as u32);
            }
            attempt += 1;
            // Reverse drift b(x, t) = f x − g² ∇log p; step x − h b + √h g z.
            let step = |x_from: &[f64],
                        at: f64,
                        out: &mut [f64],
                        score: &mut [f64],
                        scratch: &mut MixtureScratch| {
                model.score(x_from, at, score, scratch);
                let (f, g2) = (process.drift(at), process.diffusion2(at));
                for k in 0..dim {
                    let drift = f * x_from[k] - g2 * score[k];
                    out[k] = -h * drift + (h * g2).sqrt() * z[k];
                }
            };
            step(x, t, &mut x1, &mut score, &mut scratch);
            for (a, b) in x1.iter_mut().zip(x.iter()) {
                *a += b;
            }
            step(&x1, t - h, &mut x2, &mut score, &mut scratch);
            let mut err2 = 0.0;
            for k in 0..dim {
                // x'' = ½(x' + x − h b(x', t − h) + √h g(t−h) z).
                x2[k] = 0.5 * (x1[k] + x[k] + x2[k]);
                let delta = GGF_ABS_TOL.max(rel_tol * x1[k].abs().max(x[k].abs()));
                err2 += ((x1[k] - x2[k]) / delta).powi(2);
            }
            stats.evaluations += 2;
            let err = (err2 / dim as f64).sqrt();
            let accepted = err <= 1.0 && x2.iter().all(|v| v.is_finite());
            on_step(
                p,
                &StepRecord {
                    t,
                    h_t: h,
                    h_lambda: process.lambda(t - h) - process.lambda(t),
                    error: err,
                    accepted,
                },
            );
            if accepted {
                x.copy_from_slice(&x2);
                t = if h >= t - t_min { t_min } else { t - h };
                stats.accepted += 1;
            } else {
                stats.rejected += 1;
            }
            let factor = if err.is_finite() && err > 0.0 {
                safety * err.powf(-exponent)
            } else if err == 0.0 {
                5.0
            } else {
                0.2
            };
            h *= factor.clamp(0.2, 5.0);
            if h < 1e-10 * (t_max - t_min) {
                stats.stalled += 1;
                break;
            }
        }
    }
    (out, stats)
}

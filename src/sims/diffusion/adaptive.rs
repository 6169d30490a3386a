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
struct PfOdeInLambda {
    model: ExactModel,
    x: Vec<f64>,
    scratch: MixtureScratch,
}

impl OdeSystem<f64> for PfOdeInLambda {
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

struct RkOnPfOde {
    rk: ExplicitRk<f64>,
    system: PfOdeInLambda,
    tol: Tolerances,
}

impl Steppable<f64> for RkOnPfOde {
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

/// One attempted step of an adaptive sampler, for the live plots.
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

/// Where a stepwise solve stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// More steps to go.
    Running,
    /// The end time was reached.
    Done,
    /// The solve failed; the message is for the user.
    Failed(String),
}

/// A stepwise solve of the probability-flow ODE for all particles with an embedded Runge–Kutta
/// pair under PI control, the tolerances applied componentwise over the whole particle set
/// (Hairer's RMS norm), in λ from `λ(t_from)` to `λ(t_to)`.
pub struct PfOdeSolver {
    stepper: RkOnPfOde,
    controller: StepController,
    /// Counters; `stats.t` is λ.
    pub stats: RunStats,
    y: Vec<f64>,
    scratch: Vec<f64>,
    lambda_end: f64,
    /// Every attempted step.
    pub records: Vec<StepRecord>,
}

impl PfOdeSolver {
    /// A solver starting from `particles` at `t_from`.
    pub fn new(
        model: ExactModel,
        particles: &[f64],
        t_from: f64,
        t_to: f64,
        tableau: &'static ButcherTableau,
        rtol: f64,
        atol: f64,
    ) -> Self {
        let process = model.process;
        let (l0, l1) = (process.lambda(t_from), process.lambda(t_to));
        let alpha0 = process.alpha(t_from);
        let y: Vec<f64> = particles.iter().map(|x| x / alpha0).collect();
        let n = y.len();
        Self {
            stepper: RkOnPfOde {
                rk: ExplicitRk::new(tableau, n),
                system: PfOdeInLambda {
                    model,
                    x: vec![0.0; n],
                    scratch: MixtureScratch::default(),
                },
                tol: Tolerances {
                    rtol,
                    atol,
                    norm: ErrorNorm::ComponentwiseRms,
                },
            },
            controller: StepController::new(
                ControllerKind::ProportionalIntegral,
                ControllerLimits {
                    h_min: 1e-12 * (l1 - l0).abs(),
                    ..ControllerLimits::default()
                },
            ),
            // A first step of 1/50 of the λ range; the controller corrects it within a few steps.
            stats: RunStats {
                t: l0,
                h: (l1 - l0) / 50.0,
                ..RunStats::default()
            },
            y,
            scratch: vec![0.0; n],
            lambda_end: l1,
            records: Vec::new(),
        }
    }

    /// The current time t.
    pub fn time(&self) -> f64 {
        self.stepper
            .system
            .model
            .process
            .time_of_lambda(self.stats.t)
    }

    /// The particles at the current time.
    pub fn particles(&self) -> Vec<f64> {
        let alpha = self.stepper.system.model.process.alpha(self.time());
        self.y.iter().map(|v| v * alpha).collect()
    }

    /// Attempts one step.
    pub fn step(&mut self) -> Progress {
        let process = self.stepper.system.model.process;
        let (lambda_before, attempts_before) =
            (self.stats.t, self.stats.accepted + self.stats.rejected);
        let accepted_before = self.stats.accepted;
        let h_try = self.stats.h.min(self.lambda_end - self.stats.t);
        let outcome = advance(
            &mut self.stepper,
            &mut self.controller,
            &mut self.stats,
            &mut self.y,
            &mut self.scratch,
            self.lambda_end,
            1,
        );
        if self.stats.accepted + self.stats.rejected > attempts_before {
            let t_start = process.time_of_lambda(lambda_before);
            self.records.push(StepRecord {
                t: t_start,
                h_t: t_start - process.time_of_lambda(lambda_before + h_try),
                h_lambda: h_try,
                error: self.stats.last_error,
                accepted: self.stats.accepted > accepted_before,
            });
        }
        match outcome {
            Outcome::Reached => Progress::Done,
            Outcome::BudgetExhausted if self.records.len() > 1_000_000 => {
                Progress::Failed("the ODE solve took more than a million steps".into())
            }
            Outcome::BudgetExhausted => Progress::Running,
            other => Progress::Failed(
                other
                    .message()
                    .unwrap_or_else(|| "the ODE solve failed".into()),
            ),
        }
    }
}

/// Result of a complete adaptive ODE solve.
#[derive(Clone, Debug)]
pub struct OdeSolve {
    /// Particles at `t_to`.
    pub particles: Vec<f64>,
    /// Counters (t is λ here).
    pub stats: RunStats,
    /// Every attempted step.
    pub records: Vec<StepRecord>,
}

/// Solves the probability-flow ODE from `t_from` to `t_to` in one call (see [`PfOdeSolver`]).
pub fn solve_pf_ode(
    model: ExactModel,
    particles: &[f64],
    t_from: f64,
    t_to: f64,
    tableau: &'static ButcherTableau,
    rtol: f64,
    atol: f64,
) -> Result<OdeSolve, String> {
    let mut solver = PfOdeSolver::new(model, particles, t_from, t_to, tableau, rtol, atol);
    loop {
        match solver.step() {
            Progress::Running => {}
            Progress::Done => break,
            Progress::Failed(why) => return Err(why),
        }
    }
    Ok(OdeSolve {
        particles: solver.particles(),
        stats: solver.stats,
        records: solver.records,
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

/// Per-particle state of the adaptive SDE solver.
#[derive(Clone, Copy, Debug)]
struct ParticleClock {
    t: f64,
    h: f64,
    attempts: u32,
    done: bool,
}

/// "Gotta Go Fast" (Jolicoeur-Martineau et al. 2021, Alg. 1): per particle, an Euler–Maruyama
/// step `x'` and a stochastic improved-Euler step `x''` share the noise `z`; the error
/// `‖(x' − x'')/δ‖₂/√d` with `δ = max(ε_abs, ε_rel max(|x'|, |x|))` accepts (keeping `x''`) or
/// rejects, and the next step is `min(t − t_min, θ h E^{−r})` with θ = 0.9, r = 0.9. Every
/// particle has its own step sequence; the noise of attempt `a` of particle `p` is
/// `counter_normal(seed, 2³⁰ + a, p·d + k)`.
pub struct GottaGoFast {
    model: ExactModel,
    particles: Vec<f64>,
    clocks: Vec<ParticleClock>,
    rel_tol: f64,
    seed: u32,
    /// Counters over all particles.
    pub stats: SdeStats,
    scratch: MixtureScratch,
}

impl GottaGoFast {
    /// A solver starting from `particles` at `t_max`.
    pub fn new(model: ExactModel, particles: &[f64], rel_tol: f64, seed: u32) -> Self {
        let (t_min, t_max) = model.process.time_range();
        let n = particles.len() / model.mixture.dim;
        Self {
            particles: particles.to_vec(),
            clocks: vec![
                ParticleClock {
                    t: t_max,
                    h: 0.01 * (t_max - t_min),
                    attempts: 0,
                    done: false,
                };
                n
            ],
            model,
            rel_tol,
            seed,
            stats: SdeStats::default(),
            scratch: MixtureScratch::default(),
        }
    }

    /// The particles (each at its own time).
    pub fn particles(&self) -> &[f64] {
        &self.particles
    }

    /// The largest time any particle is still at.
    pub fn latest_time(&self) -> f64 {
        let t_min = self.model.process.time_range().0;
        self.clocks
            .iter()
            .filter(|c| !c.done)
            .map(|c| c.t)
            .fold(t_min, f64::max)
    }

    /// Particles that have reached `t_min` (or stalled).
    pub fn finished(&self) -> usize {
        self.clocks.iter().filter(|c| c.done).count()
    }

    /// One attempt for every unfinished particle; `on_step` sees each attempt.
    /// Returns whether all particles are done.
    pub fn round(&mut self, mut on_step: impl FnMut(usize, &StepRecord)) -> bool {
        let process = self.model.process;
        let (t_min, t_max) = process.time_range();
        let dim = self.model.mixture.dim;
        let (mut score, mut z, mut x1, mut x2) = (
            vec![0.0; dim],
            vec![0.0; dim],
            vec![0.0; dim],
            vec![0.0; dim],
        );
        let (safety, exponent) = (0.9, 0.9);
        for (p, (x, clock)) in self
            .particles
            .chunks_exact_mut(dim)
            .zip(self.clocks.iter_mut())
            .enumerate()
        {
            if clock.done {
                continue;
            }
            let h = clock.h.min(clock.t - t_min);
            let t = clock.t;
            for (k, zk) in z.iter_mut().enumerate() {
                *zk = counter_normal(self.seed, (1 << 30) + clock.attempts, (p * dim + k) as u32);
            }
            clock.attempts += 1;
            // Reverse drift b(x, t) = f x − g² ∇log p: the step is −h b + √h g z.
            let mut increment = |x_from: &[f64], at: f64, out: &mut [f64]| {
                self.model.score(x_from, at, &mut score, &mut self.scratch);
                let (f, g2) = (process.drift(at), process.diffusion2(at));
                for k in 0..dim {
                    out[k] = -h * (f * x_from[k] - g2 * score[k]) + (h * g2).sqrt() * z[k];
                }
            };
            increment(x, t, &mut x1);
            for (a, b) in x1.iter_mut().zip(x.iter()) {
                *a += b;
            }
            increment(&x1, t - h, &mut x2);
            let mut err2 = 0.0;
            for k in 0..dim {
                // x'' = ½(x' + x − h b(x', t − h) + √h g(t−h) z).
                x2[k] = 0.5 * (x1[k] + x[k] + x2[k]);
                let delta = GGF_ABS_TOL.max(self.rel_tol * x1[k].abs().max(x[k].abs()));
                err2 += ((x1[k] - x2[k]) / delta).powi(2);
            }
            self.stats.evaluations += 2;
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
                clock.t = if h >= t - t_min { t_min } else { t - h };
                clock.done = clock.t <= t_min;
                self.stats.accepted += 1;
            } else {
                self.stats.rejected += 1;
            }
            let factor = if err.is_finite() && err > 0.0 {
                safety * err.powf(-exponent)
            } else if err == 0.0 {
                5.0
            } else {
                0.2
            };
            clock.h = h * factor.clamp(0.2, 5.0);
            if !clock.done && clock.h < 1e-10 * (t_max - t_min) {
                // The particle cannot make progress: it stays where it stalled, counted.
                self.stats.stalled += 1;
                clock.done = true;
            }
        }
        self.clocks.iter().all(|c| c.done)
    }
}

/// Runs [`GottaGoFast`] to the end in one call.
pub fn gotta_go_fast(
    model: ExactModel,
    particles: &[f64],
    rel_tol: f64,
    seed: u32,
) -> (Vec<f64>, SdeStats) {
    let mut solver = GottaGoFast::new(model, particles, rel_tol, seed);
    while !solver.round(|_, _| {}) {}
    (solver.particles, solver.stats)
}

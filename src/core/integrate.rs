//! The integration loop: the only place where a stepper and a controller meet, and where
//! statistics are counted.

use super::controller::{ControllerKind, StepController};
use super::elem::{Elem, all_finite};
use super::rk::Attempt;
use super::stats::{Outcome, RunStats};

/// Anything that can attempt a step `y0 → y1` and be told it was accepted.
pub trait Steppable<E: Elem> {
    /// Attempts one step of size `h` from `(t, y0)` into `y1`; `y0` must stay intact.
    fn attempt(&mut self, t: f64, h: f64, y0: &[E], y1: &mut [E]) -> Attempt;
    /// The attempted step was accepted and `t1 = t + h` is the new time.
    fn accepted(&mut self, t1: f64);
    /// The estimator's error order `k` (error ∝ h^k).
    fn error_order(&self) -> u32;
    /// Whether a finite candidate state is admissible; a problem with an invariant rejects
    /// states that broke it grossly (a blow-up that has not reached ∞ yet). The loop treats an
    /// inadmissible state like a non-finite one.
    fn admissible(&self, _y1: &[E]) -> bool {
        true
    }
}

/// Advances `y` from `stats.t` towards `t_end`, trying at most `max_attempts` steps.
/// `scratch` must have `y`'s length. On any failure `y` and `stats.t` keep the last good state.
pub fn advance<E: Elem, S: Steppable<E>>(
    stepper: &mut S,
    controller: &mut StepController,
    stats: &mut RunStats,
    y: &mut Vec<E>,
    scratch: &mut Vec<E>,
    t_end: f64,
    max_attempts: u64,
) -> Outcome {
    if !t_end.is_finite() {
        return Outcome::InvalidInput(format!("end time must be finite, got {t_end}"));
    }
    if !(stats.h.is_finite() && stats.h > 0.0) {
        return Outcome::InvalidInput(format!(
            "step size must be positive and finite, got {}",
            stats.h
        ));
    }
    scratch.resize(y.len(), E::default());
    let fixed = controller.kind == ControllerKind::Fixed;
    for _ in 0..max_attempts {
        let remaining = t_end - stats.t;
        if remaining <= 1e-13 * stats.t.abs().max(1.0) {
            // What is left is round-off in the accumulated time: land exactly on t_end.
            stats.t = t_end;
            return Outcome::Reached;
        }
        let h = stats.h.min(remaining);
        let attempt = stepper.attempt(stats.t, h, y, scratch);
        stats.nfe += attempt.nfe;
        let finite = all_finite(scratch) && stepper.admissible(scratch);
        let error = if finite {
            attempt.error
        } else {
            Some(f64::INFINITY)
        };
        stats.last_error = error.unwrap_or(f64::NAN);
        let decision = match error {
            Some(err) if !fixed => controller.decide(err, h, stepper.error_order()),
            _ => super::controller::Decision {
                accept: finite,
                h_next: stats.h,
            },
        };
        if !decision.accept {
            stats.rejected += 1;
            if fixed || attempt.error.is_none() {
                return Outcome::NonFinite { t: stats.t };
            }
            if decision.h_next < controller.limits.h_min {
                return Outcome::StepUnderflow {
                    t: stats.t,
                    h: decision.h_next,
                };
            }
            stats.h = decision.h_next;
            continue;
        }
        std::mem::swap(y, scratch);
        stats.t += h;
        if h == remaining {
            // Land exactly on the end time, without round-off drift.
            stats.t = t_end;
        }
        stats.accepted += 1;
        stats.h_last = h;
        // A step shortened to hit t_end must not shrink the fixed step for later.
        if !fixed {
            stats.h = decision.h_next.max(controller.limits.h_min);
        }
        stepper.accepted(stats.t);
    }
    Outcome::BudgetExhausted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::controller::{ControllerKind, ControllerLimits};
    use crate::core::elem::ErrorNorm;
    use crate::core::rk::{ExplicitRk, OdeSystem, Tolerances};
    use crate::core::tableau::{DP54, EULER};

    /// y' = -50 (y - cos t): stiff enough that large explicit steps blow up.
    struct Relaxation;
    impl OdeSystem<f64> for Relaxation {
        fn rhs(&mut self, t: f64, y: &[f64], dydt: &mut [f64]) {
            dydt[0] = -50.0 * (y[0] - t.cos());
        }
    }

    struct RkOn<'a> {
        rk: ExplicitRk<f64>,
        system: &'a mut Relaxation,
        tol: Tolerances,
    }
    impl Steppable<f64> for RkOn<'_> {
        fn attempt(&mut self, t: f64, h: f64, y0: &[f64], y1: &mut [f64]) -> Attempt {
            self.rk.step(self.system, t, h, y0, y1, &self.tol)
        }
        fn accepted(&mut self, t1: f64) {
            self.rk.accepted(t1);
        }
        fn error_order(&self) -> u32 {
            self.rk.tableau().error_order
        }
    }

    /// Integrates the relaxation problem from y(0) = 1 with `tableau` and `controller`,
    /// starting with step `h0`; returns the outcome, statistics and final y.
    fn run_relaxation(
        tableau: &'static crate::core::tableau::ButcherTableau,
        tolerance: f64,
        controller: ControllerKind,
        limits: ControllerLimits,
        h0: f64,
        t_end: f64,
        max_attempts: u64,
    ) -> (Outcome, RunStats, f64) {
        let mut system = Relaxation;
        let tol = Tolerances {
            rtol: tolerance,
            atol: tolerance,
            norm: ErrorNorm::ComponentwiseRms,
        };
        let mut stepper = RkOn {
            rk: ExplicitRk::new(tableau, 1),
            system: &mut system,
            tol,
        };
        let mut ctl = StepController::new(controller, limits);
        let mut stats = RunStats {
            h: h0,
            ..RunStats::default()
        };
        let (mut y, mut scratch) = (vec![1.0], vec![0.0]);
        let outcome = advance(
            &mut stepper,
            &mut ctl,
            &mut stats,
            &mut y,
            &mut scratch,
            t_end,
            max_attempts,
        );
        (outcome, stats, y[0])
    }

    #[test]
    fn forced_large_step_is_rejected_then_recovers() {
        let (outcome, stats, y) = run_relaxation(
            &DP54,
            1e-8,
            ControllerKind::ProportionalIntegral,
            ControllerLimits::default(),
            0.5,
            2.0,
            100_000,
        );
        assert_eq!(outcome, Outcome::Reached);
        assert!(stats.rejected >= 1, "the forced h = 0.5 must be rejected");
        assert_eq!(stats.t, 2.0);
        // Exact: y = (2500 cos t + 50 sin t)/2501 + C e^{-50t}, C = 1 - 2500/2501.
        let exact =
            (2500.0 * 2f64.cos() + 50.0 * 2f64.sin()) / 2501.0 + (1.0 / 2501.0) * (-100f64).exp();
        assert!((y - exact).abs() < 1e-6, "{y} vs {exact}");
        // Recovered: rejects are a small fraction of the steps.
        assert!(stats.rejected * 5 < stats.accepted, "{stats:?}");
    }

    #[test]
    fn fixed_step_above_stability_limit_reports_non_finite_and_keeps_last_state() {
        // Euler is unstable for h·50 > 2: h = 0.1 amplifies by |1 − 5| = 4 each step.
        let (outcome, _, y) = run_relaxation(
            &EULER,
            1e-6,
            ControllerKind::Fixed,
            ControllerLimits::default(),
            0.1,
            1e6,
            10_000,
        );
        match outcome {
            Outcome::NonFinite { t } => assert!(t > 0.0),
            ref other => panic!("expected NonFinite, got {other:?}"),
        }
        assert!(y.is_finite());
        assert!(outcome.message().is_some());
    }

    #[test]
    fn strict_tolerance_underflows_with_a_message() {
        let limits = ControllerLimits {
            h_min: 1e-6,
            ..ControllerLimits::default()
        };
        let (outcome, _, y) = run_relaxation(
            &DP54,
            1e-30,
            ControllerKind::Integral,
            limits,
            0.1,
            1.0,
            100_000,
        );
        assert!(
            matches!(outcome, Outcome::StepUnderflow { .. }),
            "{outcome:?}"
        );
        assert!(y.is_finite());
    }

    #[test]
    fn invalid_requests_are_reported() {
        let (outcome, _, _) = run_relaxation(
            &DP54,
            1e-6,
            ControllerKind::Integral,
            ControllerLimits::default(),
            f64::NAN,
            1.0,
            10,
        );
        assert!(matches!(outcome, Outcome::InvalidInput(_)));
    }
}

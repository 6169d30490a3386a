//! Step-size controllers, kept apart from the steppers (Söderlind 2002; Diffrax
//! `PIDController`). A controller sees only the scaled error norm `err` (1.0 = at tolerance),
//! the step just tried and the estimator's order; it accepts or rejects and proposes the
//! next step.

use serde::{Deserialize, Serialize};

/// Which controller, and its gains. The serde form is part of share links.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ControllerKind {
    /// Always accept; the step never changes.
    Fixed,
    /// Integral (elementary) control: `h·(1/err)^(1/k)` (Hairer, Nørsett & Wanner I, II.4 (4.13)).
    Integral,
    /// PI control, `h·err_n^(−0.7/k)·err_{n−1}^(0.4/k)` (Hairer & Wanner II, IV.2 (2.43c); Gustafsson 1991).
    ProportionalIntegral,
    /// PID digital filter H312PID, `h·Π err_{n−j}^(−β_j/k)`, β = (1/18, 1/9, 1/18)
    /// (Söderlind 2003, "Digital filters in adaptive time-stepping", ACM TOMS 29, Table III).
    ProportionalIntegralDerivative,
}

impl ControllerKind {
    /// All controllers, for menus.
    pub const ALL: [ControllerKind; 4] = [
        ControllerKind::Fixed,
        ControllerKind::Integral,
        ControllerKind::ProportionalIntegral,
        ControllerKind::ProportionalIntegralDerivative,
    ];

    /// Link token.
    pub fn key(self) -> &'static str {
        match self {
            ControllerKind::Fixed => "fixed",
            ControllerKind::Integral => "i",
            ControllerKind::ProportionalIntegral => "pi",
            ControllerKind::ProportionalIntegralDerivative => "pid",
        }
    }

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            ControllerKind::Fixed => "Fixed step",
            ControllerKind::Integral => "I controller",
            ControllerKind::ProportionalIntegral => "PI controller",
            ControllerKind::ProportionalIntegralDerivative => "PID (H312)",
        }
    }

    /// One-line explanation with its reference, for tooltips.
    pub fn doc(self) -> &'static str {
        match self {
            ControllerKind::Fixed => "Constant step h; every step is accepted (no error control).",
            ControllerKind::Integral => {
                "h_new = h·safety·err^(-1/k): elementary control (Hairer, Nørsett & Wanner I, II.4)."
            }
            ControllerKind::ProportionalIntegral => {
                "h_new = h·safety·err^(-0.7/k)·err_prev^(0.4/k): smoother steps (Gustafsson 1991; HW II IV.2)."
            }
            ControllerKind::ProportionalIntegralDerivative => {
                "H312PID digital filter over the last three errors (Söderlind 2003, ACM TOMS 29)."
            }
        }
    }

    /// Exponents `(β1, β2, β3)` on `1/err_n`, `1/err_{n−1}`, `1/err_{n−2}`, in units of `1/k`.
    pub fn betas(self) -> [f64; 3] {
        match self {
            ControllerKind::Fixed => [0.0; 3],
            ControllerKind::Integral => [1.0, 0.0, 0.0],
            ControllerKind::ProportionalIntegral => [0.7, -0.4, 0.0],
            ControllerKind::ProportionalIntegralDerivative => [1.0 / 18.0, 1.0 / 9.0, 1.0 / 18.0],
        }
    }
}

/// Limits shared by all adaptive controllers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControllerLimits {
    /// Safety factor on the proposed step (0.9 in Hairer's codes).
    pub safety: f64,
    /// Smallest allowed step-growth factor.
    pub factor_min: f64,
    /// Largest allowed step-growth factor.
    pub factor_max: f64,
    /// Smallest step; a rejected step that would go below it ends the run with `StepUnderflow`.
    pub h_min: f64,
    /// Largest step.
    pub h_max: f64,
    /// After an accepted step, a proposed change by a factor below this keeps the step as it
    /// is (1 = off). CVODE's fixed-step bounds (η_max_fx = 1.5 by default; Hindmarsh et al.
    /// 2005, ACM TOMS 31, §2.1; `CVodeSetEtaFixedStepBounds`): where a new step costs work of
    /// its own (the interaction-picture propagator tables, CVODE's Jacobian factorisation), a
    /// step is changed only when the change is worth that work. The error test still shrinks a
    /// step that fails.
    pub hold_max: f64,
}

impl Default for ControllerLimits {
    fn default() -> Self {
        Self {
            safety: 0.9,
            factor_min: 0.2,
            factor_max: 5.0,
            h_min: 1e-12,
            h_max: f64::INFINITY,
            hold_max: 1.0,
        }
    }
}

/// The controller's verdict on one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision {
    /// Whether the step is accepted.
    pub accept: bool,
    /// The step to try next (the retry after a reject, or the next step after an accept).
    pub h_next: f64,
}

/// A step-size controller with its memory of past errors.
#[derive(Clone, Debug)]
pub struct StepController {
    /// Which control law.
    pub kind: ControllerKind,
    /// Limits.
    pub limits: ControllerLimits,
    /// Errors of the last two accepted steps (1.0 before there are any).
    previous_errors: [f64; 2],
    /// Whether the previous attempt was rejected (then the step may not grow).
    last_rejected: bool,
}

impl StepController {
    /// A controller with no history.
    pub fn new(kind: ControllerKind, limits: ControllerLimits) -> Self {
        Self {
            kind,
            limits,
            previous_errors: [1.0; 2],
            last_rejected: false,
        }
    }

    /// The error history (for a checkpoint): the last two accepted errors and whether the
    /// last attempt was rejected.
    pub fn memory(&self) -> ([f64; 2], bool) {
        (self.previous_errors, self.last_rejected)
    }

    /// Restores an error history saved by [`Self::memory`].
    pub fn set_memory(&mut self, previous_errors: [f64; 2], last_rejected: bool) {
        self.previous_errors = previous_errors;
        self.last_rejected = last_rejected;
    }

    /// Forgets the error history (after a solver switch or a state edit).
    pub fn reset(&mut self) {
        self.previous_errors = [1.0; 2];
        self.last_rejected = false;
    }

    /// Decides on a step of size `h` whose scaled error norm is `err`, for an estimator whose
    /// error behaves like `h^error_order`. A non-finite `err` is a reject with a hard cut.
    pub fn decide(&mut self, err: f64, h: f64, error_order: u32) -> Decision {
        if self.kind == ControllerKind::Fixed {
            return Decision {
                accept: true,
                h_next: h,
            };
        }
        let lim = self.limits;
        if !err.is_finite() {
            self.last_rejected = true;
            return Decision {
                accept: false,
                h_next: h * lim.factor_min,
            };
        }
        let k = f64::from(error_order.max(1));
        // Floor the error so a step with a vanishing estimate grows by factor_max, not ∞.
        let e0 = err.max(1e-10);
        let accept = err <= 1.0;
        let [b1, b2, b3] = if accept || self.kind == ControllerKind::Integral {
            self.kind.betas()
        } else {
            // After a reject only the current error is meaningful: fall back to I control
            // (Hairer & Wanner II, IV.2: "after a rejected step ... use (4.13)").
            [1.0, 0.0, 0.0]
        };
        let [e1, e2] = self.previous_errors;
        let factor = lim.safety * e0.powf(-b1 / k) * e1.powf(-b2 / k) * e2.powf(-b3 / k);
        let max_factor = if self.last_rejected || !accept {
            1.0
        } else {
            lim.factor_max
        };
        let factor = factor.clamp(lim.factor_min, max_factor);
        let factor = if accept && lim.hold_max > 1.0 && factor < lim.hold_max {
            1.0
        } else {
            factor
        };
        let h_next = (h * factor).min(lim.h_max);
        if accept {
            self.previous_errors = [e0, e1];
        }
        self.last_rejected = !accept;
        Decision { accept, h_next }
    }
}

crate::impl_choice!(ControllerKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_band_keeps_accepted_steps_unless_the_change_is_large() {
        let limits = ControllerLimits {
            hold_max: 1.5,
            ..ControllerLimits::default()
        };
        let mut held = StepController::new(ControllerKind::Integral, limits);
        let mut free = StepController::new(ControllerKind::Integral, ControllerLimits::default());
        // I control with safety 0.9 and k = 5: factor = 0.9·err^(−1/5).
        for (err, wanted) in [(0.5, 0.9 * 2f64.powf(0.2)), (0.9, 0.9 * 0.9f64.powf(-0.2))] {
            let d = free.decide(err, 0.1, 5);
            assert!(d.accept && (d.h_next - 0.1 * wanted).abs() < 1e-15);
            // Below 1.5 (a small growth, or a shrink after a passed test): the step stays.
            assert_eq!(
                held.decide(err, 0.1, 5),
                Decision {
                    accept: true,
                    h_next: 0.1
                }
            );
        }
        // A large growth is taken in full (err = 2^−5: factor 0.9·2 = 1.8).
        let big = held.decide(0.5f64.powi(5), 0.1, 5);
        assert!((big.h_next - 0.1 * 1.8).abs() < 1e-14, "{big:?}");
        // A failed test still shrinks the step.
        let rejected = held.decide(4.0, 0.1, 5);
        assert!(
            !rejected.accept && rejected.h_next < 0.1 * 0.8,
            "{rejected:?}"
        );
    }

    #[test]
    fn integral_control_hits_tolerance_for_a_pure_power_law() {
        // err(h) = (h/h*)^5 means the ideal step is h*; one I-step from any h lands on
        // safety·h* exactly.
        let h_star: f64 = 0.01;
        let mut c = StepController::new(ControllerKind::Integral, ControllerLimits::default());
        let h = 0.012;
        let err = (h / h_star).powi(5);
        let d = c.decide(err, h, 5);
        assert!(!d.accept);
        // Growth is capped at 1 after a reject; here the step shrinks anyway.
        assert!((d.h_next - 0.9 * h_star).abs() < 1e-12, "{}", d.h_next);
    }

    #[test]
    fn rejected_step_never_grows_next_attempt() {
        for kind in [
            ControllerKind::Integral,
            ControllerKind::ProportionalIntegral,
            ControllerKind::ProportionalIntegralDerivative,
        ] {
            let mut c = StepController::new(kind, ControllerLimits::default());
            let d = c.decide(3.0, 0.1, 4);
            assert!(!d.accept);
            assert!(d.h_next < 0.1, "{kind:?}: {}", d.h_next);
            // Even a tiny error right after a reject may not grow the step.
            let d2 = c.decide(1e-8, d.h_next, 4);
            assert!(d2.accept);
            assert!(d2.h_next <= d.h_next * (1.0 + 1e-15), "{kind:?}");
        }
    }

    #[test]
    fn non_finite_error_is_a_hard_reject() {
        let mut c = StepController::new(
            ControllerKind::ProportionalIntegral,
            ControllerLimits::default(),
        );
        let d = c.decide(f64::NAN, 1.0, 5);
        assert!(!d.accept);
        assert_eq!(d.h_next, 0.2);
    }

    #[test]
    fn controllers_converge_to_the_ideal_step_on_a_power_law() {
        // err(h) = (h/h*)^k: at the fixed point safety·err^(−Σβ/k) = 1, so every adaptive
        // controller must settle at h = h*·safety^(1/Σβ).
        for kind in [
            ControllerKind::Integral,
            ControllerKind::ProportionalIntegral,
            ControllerKind::ProportionalIntegralDerivative,
        ] {
            let mut c = StepController::new(kind, ControllerLimits::default());
            let (h_star, k): (f64, u32) = (0.05, 5);
            let mut h: f64 = 0.001;
            for _ in 0..400 {
                let d = c.decide((h / h_star).powi(k as i32), h, k);
                h = d.h_next;
            }
            let beta_sum: f64 = kind.betas().iter().sum();
            let expected = h_star * 0.9f64.powf(1.0 / beta_sum);
            assert!(
                (h / expected - 1.0).abs() < 1e-3,
                "{kind:?}: {h} vs {expected}"
            );
        }
    }
}

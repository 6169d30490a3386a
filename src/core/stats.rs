//! Per-run statistics and the outcome of an integration.

use serde::{Deserialize, Serialize};

/// Counters of one run, updated only by the integration loop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// Simulation time reached.
    pub t: f64,
    /// The step the controller proposes next.
    pub h: f64,
    /// The last accepted step.
    pub h_last: f64,
    /// Scaled error norm of the last attempted step (1.0 = at tolerance; NaN when the method
    /// has no estimator).
    pub last_error: f64,
    /// Accepted steps.
    pub accepted: u64,
    /// Rejected steps.
    pub rejected: u64,
    /// Evaluations of the right-hand side (or of the nonlinear part, for split methods).
    pub nfe: u64,
}

/// Why the integration loop stopped (after Diffrax `RESULTS` and REBOUND `REB_STATUS`).
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The requested end time was reached.
    Reached,
    /// The step budget of this call ran out before the end time (normal in the live app).
    BudgetExhausted,
    /// The controller wanted a step below `h_min`.
    StepUnderflow {
        /// Time of the failure.
        t: f64,
        /// The step that was too small.
        h: f64,
    },
    /// The state turned NaN or infinite (or grossly broke an invariant) on a step that could
    /// not be rejected.
    NonFinite {
        /// Time of the failure.
        t: f64,
    },
    /// The request itself was unusable (non-finite end time or step, h ≤ 0).
    InvalidInput(String),
}

impl Outcome {
    /// Whether the run can continue.
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Reached | Outcome::BudgetExhausted)
    }

    /// A sentence for the user, or None if all is well.
    pub fn message(&self) -> Option<String> {
        match self {
            Outcome::Reached | Outcome::BudgetExhausted => None,
            Outcome::StepUnderflow { t, h } => Some(format!(
                "Step size underflow at t = {t:.6}: the controller needed h = {h:.3e}, below h_min. \
                 The solution may be blowing up or the tolerance is too strict for this method; \
                 paused with the last good state."
            )),
            Outcome::NonFinite { t } => Some(format!(
                "The solution blew up (NaN/∞, or a conserved quantity exploded) at t = {t:.6} \
                 with a fixed step: the step is above this method's stability limit (reduce h or \
                 pick an adaptive method). Paused with the last good state."
            )),
            Outcome::InvalidInput(why) => Some(why.clone()),
        }
    }
}

//! Explicit Runge–Kutta steppers over any [`ButcherTableau`] for `y' = f(t, y)`.

use rustfft::num_complex::Complex64;

use super::elem::{Elem, ErrorNorm};
use super::kernels;
use super::tableau::{ButcherTableau, ErrorEstimator};

/// A system `y' = f(t, y)`. `&mut self` lets a right-hand side keep scratch buffers.
pub trait OdeSystem<E: Elem> {
    /// Evaluates `f(t, y)` into `dydt`.
    fn rhs(&mut self, t: f64, y: &[E], dydt: &mut [E]);
}

/// One attempted step: the scaled error norm (None when the tableau has no estimator) and
/// the number of right-hand-side evaluations it cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attempt {
    /// Scaled error norm, 1.0 = at tolerance.
    pub error: Option<f64>,
    /// Right-hand-side evaluations spent.
    pub nfe: u64,
}

/// Tolerances of an adaptive step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// How the error vector is measured.
    pub norm: ErrorNorm,
}

/// Combines the error estimator's weighted stage sums into the scaled norm.
/// `err_a` holds `h Σ e_i k_i` (or DOP853's `err5`), `err_b` DOP853's `err3`.
pub fn scaled_error<E: Elem>(
    estimator: &ErrorEstimator,
    y0: &[E],
    y1: &[E],
    err_a: &[E],
    err_b: &[E],
    tol: &Tolerances,
) -> Option<f64> {
    match estimator {
        ErrorEstimator::None => None,
        ErrorEstimator::Embedded(_) => {
            let (sum, n) = tol.norm.scaled_sum_sq(y0, y1, err_a, tol.atol, tol.rtol);
            Some((sum / n).sqrt())
        }
        ErrorEstimator::Dop853 { .. } => {
            // dop853.f: err = err5² / sqrt(n (err5² + 0.01 err3²)) in sum-of-squares form.
            let (e5, n) = tol.norm.scaled_sum_sq(y0, y1, err_a, tol.atol, tol.rtol);
            let (e3, _) = tol.norm.scaled_sum_sq(y0, y1, err_b, tol.atol, tol.rtol);
            let denominator = e5 + 0.01 * e3;
            if denominator <= 0.0 {
                return Some(0.0);
            }
            Some(e5 / (n * denominator).sqrt())
        }
    }
}

/// The nonzero terms `(h·w_j, k_j)` of a combination, as flat f64 views (at most one per
/// stage; DOP853 has 12).
fn nonzero_terms<'a, E: Elem>(
    h: f64,
    weights: &[f64],
    stages: &'a [Vec<E>],
    terms: &mut [(f64, &'a [f64]); 16],
) -> usize {
    let mut m = 0;
    for (w, k) in weights.iter().zip(stages) {
        if *w != 0.0 {
            terms[m] = (h * w, E::flat(k));
            m += 1;
        }
    }
    m
}

/// Writes `out = base + h Σ_j w_j k_j` over the nonzero weights, in one pass over memory.
pub fn combine<E: Elem>(out: &mut [E], base: &[E], h: f64, weights: &[f64], stages: &[Vec<E>]) {
    let mut terms = [(0.0, &[][..]); 16];
    let m = nonzero_terms(h, weights, stages, &mut terms);
    kernels::combine(E::flat_mut(out), Some(E::flat(base)), &terms[..m], None);
}

/// Writes `out = h Σ_j w_j k_j`.
pub fn weighted_sum<E: Elem>(out: &mut [E], h: f64, weights: &[f64], stages: &[Vec<E>]) {
    let mut terms = [(0.0, &[][..]); 16];
    let m = nonzero_terms(h, weights, stages, &mut terms);
    kernels::combine(E::flat_mut(out), None, &terms[..m], None);
}

/// Writes `out = p ⊙ (base + h Σ_j w_j k_j)` for an elementwise factor `p` (a propagator
/// `e^{Lch}` in the interaction picture), in one pass over memory. Without `base`, the sum
/// alone is scaled.
pub fn combine_scaled(
    out: &mut [Complex64],
    base: Option<&[Complex64]>,
    h: f64,
    weights: &[f64],
    stages: &[Vec<Complex64>],
    factor: &[Complex64],
) {
    let mut terms = [(0.0, &[][..]); 16];
    let m = nonzero_terms(h, weights, stages, &mut terms);
    kernels::combine(
        Complex64::flat_mut(out),
        base.map(Complex64::flat),
        &terms[..m],
        Some(factor),
    );
}

/// Fills `err_a` (and `err_b` for DOP853) with the estimator's weighted stage sums
/// `h Σ e_i k_i`; leaves them untouched when the tableau has no estimator.
pub fn estimator_sums<E: Elem>(
    estimator: &ErrorEstimator,
    h: f64,
    stages: &[Vec<E>],
    err_a: &mut [E],
    err_b: &mut [E],
) {
    match estimator {
        ErrorEstimator::None => {}
        ErrorEstimator::Embedded(e) => weighted_sum(err_a, h, e, stages),
        ErrorEstimator::Dop853 { e5, e3 } => {
            weighted_sum(err_a, h, e5, stages);
            weighted_sum(err_b, h, e3, stages);
        }
    }
}

/// An explicit Runge–Kutta stepper with its stage buffers.
pub struct ExplicitRk<E: Elem> {
    tableau: &'static ButcherTableau,
    stages: Vec<Vec<E>>,
    stage_input: Vec<E>,
    err_a: Vec<E>,
    err_b: Vec<E>,
    /// `f(t0, y0)` carried over from the last accepted FSAL step, with the `t0` it belongs to.
    fsal_first_stage: Option<f64>,
}

impl<E: Elem> ExplicitRk<E> {
    /// A stepper for states of dimension `dim`.
    pub fn new(tableau: &'static ButcherTableau, dim: usize) -> Self {
        Self {
            tableau,
            stages: vec![vec![E::default(); dim]; tableau.stages()],
            stage_input: vec![E::default(); dim],
            err_a: vec![E::default(); dim],
            err_b: vec![E::default(); dim],
            fsal_first_stage: None,
        }
    }

    /// The tableau.
    pub fn tableau(&self) -> &'static ButcherTableau {
        self.tableau
    }

    /// Forgets the cached first stage (call when the state is changed from outside).
    pub fn invalidate(&mut self) {
        self.fsal_first_stage = None;
    }

    /// The first stage carried over from the last accepted FSAL step and its time, if any
    /// (a checkpoint keeps it, so a resumed run counts the same evaluations).
    pub fn carried_stage(&self) -> Option<(f64, &[E])> {
        self.fsal_first_stage
            .map(|t| (t, self.stages[0].as_slice()))
    }

    /// Restores a stage saved by [`Self::carried_stage`].
    pub fn set_carried_stage(&mut self, t: f64, stage: &[E]) -> Result<(), String> {
        if stage.len() != self.stages[0].len() {
            return Err("the carried stage does not fit this state".into());
        }
        self.stages[0].copy_from_slice(stage);
        self.fsal_first_stage = Some(t);
        Ok(())
    }

    /// Tells the stepper that the step it just computed was accepted, so its last stage is
    /// the next first stage (FSAL).
    pub fn accepted(&mut self, t1: f64) {
        if self.tableau.fsal {
            let last = self.stages.len() - 1;
            self.stages.swap(0, last);
            self.fsal_first_stage = Some(t1);
        } else {
            self.fsal_first_stage = None;
        }
    }

    /// Computes `y1` from `y0` over `[t, t+h]`; `y0` stays intact so a reject can retry.
    pub fn step<S: OdeSystem<E>>(
        &mut self,
        system: &mut S,
        t: f64,
        h: f64,
        y0: &[E],
        y1: &mut [E],
        tol: &Tolerances,
    ) -> Attempt {
        let tab = self.tableau;
        let mut nfe = 0;
        if self.fsal_first_stage != Some(t) {
            system.rhs(t, y0, &mut self.stages[0]);
            nfe += 1;
            // f(t, y0) does not depend on h: a rejected step's retry reuses it.
            self.fsal_first_stage = Some(t);
        }
        for i in 1..tab.stages() {
            let (done, rest) = self.stages.split_at_mut(i);
            combine(&mut self.stage_input, y0, h, tab.a[i], done);
            system.rhs(t + tab.c[i] * h, &self.stage_input, &mut rest[0]);
            nfe += 1;
        }
        combine(y1, y0, h, tab.b, &self.stages);
        estimator_sums(
            &tab.estimator,
            h,
            &self.stages,
            &mut self.err_a,
            &mut self.err_b,
        );
        let error = scaled_error(&tab.estimator, y0, y1, &self.err_a, &self.err_b, tol);
        Attempt { error, nfe }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::tableau::ALL;

    /// y' = [y1, -y0] (harmonic oscillator), exact solution (cos t, -sin t).
    struct Oscillator;
    impl OdeSystem<f64> for Oscillator {
        fn rhs(&mut self, _t: f64, y: &[f64], dydt: &mut [f64]) {
            dydt[0] = y[1];
            dydt[1] = -y[0];
        }
    }

    /// y' = y·cos(t), a non-autonomous problem, exact solution exp(sin t).
    struct NonAutonomous;
    impl OdeSystem<f64> for NonAutonomous {
        fn rhs(&mut self, t: f64, y: &[f64], dydt: &mut [f64]) {
            dydt[0] = y[0] * t.cos();
        }
    }

    const TOL: Tolerances = Tolerances {
        rtol: 1e-6,
        atol: 1e-6,
        norm: ErrorNorm::ComponentwiseRms,
    };

    fn global_error(tab: &'static ButcherTableau, steps: usize) -> f64 {
        let mut rk = ExplicitRk::new(tab, 1);
        let (t_end, mut y, mut y1) = (2.0, vec![1.0], vec![0.0]);
        let h = t_end / steps as f64;
        for n in 0..steps {
            rk.step(&mut NonAutonomous, n as f64 * h, h, &y, &mut y1, &TOL);
            rk.accepted((n + 1) as f64 * h);
            std::mem::swap(&mut y, &mut y1);
        }
        (y[0] - t_end.sin().exp()).abs()
    }

    #[test]
    fn each_tableau_converges_at_its_order() {
        for tab in ALL {
            // Step counts chosen so errors stay well above round-off for every order.
            // Tsit5 has tiny leading error coefficients (its design goal), so it needs smaller
            // steps than DOPRI5 to reach the asymptotic regime.
            let (n1, n2) = match tab.order {
                8.. => (8, 16),
                5 => (80, 160),
                _ => (20, 40),
            };
            let order = (global_error(tab, n1) / global_error(tab, n2)).log2();
            assert!(
                (order - f64::from(tab.order)).abs() < 0.3,
                "{}: measured {order:.2}, theory {}",
                tab.name,
                tab.order
            );
        }
    }

    #[test]
    fn error_estimate_scales_like_its_order() {
        for tab in ALL {
            if matches!(tab.estimator, ErrorEstimator::None) {
                continue;
            }
            let estimate = |h: f64| {
                let mut rk = ExplicitRk::new(tab, 2);
                let mut y1 = vec![0.0; 2];
                rk.step(&mut Oscillator, 0.0, h, &[1.0, 0.0], &mut y1, &TOL)
                    .error
                    .unwrap_or(f64::NAN)
            };
            let h = if tab.error_order >= 8 { 0.4 } else { 0.1 };
            let slope = (estimate(h) / estimate(h / 2.0)).log2();
            assert!(
                (slope - f64::from(tab.error_order)).abs() < 0.3,
                "{}: estimate slope {slope:.2}, expected {}",
                tab.name,
                tab.error_order
            );
        }
    }

    #[test]
    fn fsal_reuse_saves_one_evaluation_and_changes_nothing() {
        let mut rk = ExplicitRk::new(&crate::core::tableau::DP54, 2);
        let mut fresh = ExplicitRk::new(&crate::core::tableau::DP54, 2);
        let y0 = vec![1.0, 0.0];
        let mut y1 = vec![0.0; 2];
        let first = rk.step(&mut Oscillator, 0.0, 0.1, &y0, &mut y1, &TOL);
        rk.accepted(0.1);
        let mut y2 = vec![0.0; 2];
        let second = rk.step(&mut Oscillator, 0.1, 0.1, &y1, &mut y2, &TOL);
        let mut y2_fresh = vec![0.0; 2];
        fresh.step(&mut Oscillator, 0.1, 0.1, &y1, &mut y2_fresh, &TOL);
        assert_eq!((first.nfe, second.nfe), (7, 6));
        assert_eq!(y2, y2_fresh);
    }
}

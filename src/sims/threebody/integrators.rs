//! The steppers of the N-body problem other than IAS15: leapfrog, Yoshida 4, Hermite 4, and
//! the explicit Runge–Kutta methods of the shared core applied to the first-order system
//! `(x, v)' = (v, a(x))`. Each advances a [`Phase`] over a given step; the loop in
//! [`super::cpu`] chooses the steps.

use super::{Gravity, PairSums, axpy3, dot3, norm3};
use crate::core::rk::{Attempt, ExplicitRk, OdeSystem, Tolerances};
use crate::core::tableau::ButcherTableau;

/// One 3-vector per body.
pub type Vectors = Vec<[f64; 3]>;

/// Positions and velocities of all bodies.
#[derive(Debug, Default, PartialEq)]
pub struct Phase {
    /// Positions.
    pub x: Vec<[f64; 3]>,
    /// Velocities.
    pub v: Vec<[f64; 3]>,
}

// By hand, because a derived `clone_from` is `*self = source.clone()`: the step loop copies the
// state into its trial buffer every attempt, and that must reuse the buffers, not allocate.
impl Clone for Phase {
    fn clone(&self) -> Self {
        Self {
            x: self.x.clone(),
            v: self.v.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        copy_vectors(&mut self.x, &source.x);
        copy_vectors(&mut self.v, &source.v);
    }
}

/// `dst.clone_from(src)` for the few vectors of a small system: an element loop compiles to
/// moves where `clone_from` calls `memcpy`, whose overhead was most of the cost of copying
/// three bodies (measured: the figure-eight run 2 % faster).
fn copy_vectors(dst: &mut Vectors, src: &[[f64; 3]]) {
    dst.resize(src.len(), [0.0; 3]);
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

impl Phase {
    /// Number of bodies.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no bodies.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Whether every coordinate is finite.
    pub fn is_finite(&self) -> bool {
        self.x
            .iter()
            .chain(&self.v)
            .flatten()
            .all(|c| c.is_finite())
    }

    /// Phase-space distance `sqrt(Σ |x_i − x'_i|² + |v_i − v'_i|²)`.
    pub fn distance(&self, other: &Phase) -> f64 {
        let mut sum = 0.0;
        for (a, b) in self
            .x
            .iter()
            .zip(&other.x)
            .chain(self.v.iter().zip(&other.v))
        {
            let d = super::sub3(*a, *b);
            sum += dot3(d, d);
        }
        sum.sqrt()
    }

    /// The state as one flat vector `[x…, v…]` for the Runge–Kutta core.
    pub fn to_flat(&self, out: &mut Vec<f64>) {
        out.clear();
        out.extend(self.x.iter().flatten());
        out.extend(self.v.iter().flatten());
    }

    /// Reads the state back from [`Phase::to_flat`]'s layout.
    pub fn set_from_flat(&mut self, y: &[f64]) {
        let n = self.x.len();
        for (i, xi) in self.x.iter_mut().enumerate() {
            *xi = [y[3 * i], y[3 * i + 1], y[3 * i + 2]];
        }
        let vy = &y[3 * n..];
        for (i, vi) in self.v.iter_mut().enumerate() {
            *vi = [vy[3 * i], vy[3 * i + 1], vy[3 * i + 2]];
        }
    }
}

/// The coefficients `(w1, w0)` of Yoshida's triple jump `S(w1 h) S(w0 h) S(w1 h)`:
/// w1 = 1/(2 − 2^{1/3}), w0 = 1 − 2 w1 (Yoshida 1990, Phys. Lett. A 150, 262, eq. 5.19).
pub fn yoshida4_weights() -> (f64, f64) {
    let w1 = 1.0 / (2.0 - 2f64.cbrt());
    (w1, 1.0 - 2.0 * w1)
}

/// Leapfrog with the acceleration of the last drift's positions cached (the "first same as
/// last" of kick–drift–kick: one force evaluation per step). The cache is keyed by the
/// positions themselves, so a retried step or an edited state can never reuse a stale force.
/// It also keeps the potential energy and closest distance that force evaluation found, which
/// the run's diagnostics read instead of a second pass over the pairs.
#[derive(Clone, Debug, Default)]
pub struct Leapfrog {
    /// The positions of the last force evaluation (empty before the first).
    cached_x: Vectors,
    /// The accelerations there.
    cached_a: Vectors,
    /// The potential energy and closest distance there.
    cached_sums: Option<PairSums>,
}

impl Leapfrog {
    /// One kick–drift–kick step of size `h` in place; returns the force evaluations spent.
    pub fn step(&mut self, g: &Gravity, s: &mut Phase, h: f64) -> u64 {
        let mut nfe = 0;
        let a = &mut self.cached_a;
        if self.cached_sums.is_none() || self.cached_x != s.x {
            a.resize(s.len(), [0.0; 3]);
            g.accelerations(&s.x, a);
            nfe += 1;
        }
        for (v, ai) in s.v.iter_mut().zip(a.iter()) {
            axpy3(0.5 * h, *ai, v);
        }
        for (x, v) in s.x.iter_mut().zip(&s.v) {
            axpy3(h, *v, x);
        }
        self.cached_sums = Some(g.accelerations_and_pair_sums(&s.x, a));
        nfe += 1;
        for (v, ai) in s.v.iter_mut().zip(a.iter()) {
            axpy3(0.5 * h, *ai, v);
        }
        copy_vectors(&mut self.cached_x, &s.x);
        nfe
    }

    /// The potential energy and closest distance at positions `x`, if the last force
    /// evaluation was there.
    pub fn pair_sums_at(&self, x: &[[f64; 3]]) -> Option<PairSums> {
        self.cached_sums.filter(|_| self.cached_x.as_slice() == x)
    }

    /// One Yoshida-4 step: three leapfrog sub-steps `w1 h, w0 h, w1 h`.
    pub fn yoshida4_step(&mut self, g: &Gravity, s: &mut Phase, h: f64) -> u64 {
        let (w1, w0) = yoshida4_weights();
        self.step(g, s, w1 * h) + self.step(g, s, w0 * h) + self.step(g, s, w1 * h)
    }
}

/// The N-body problem as a first-order system for the Runge–Kutta core.
pub struct FirstOrderGravity<'a> {
    /// The field.
    pub gravity: &'a Gravity,
    positions: Vec<[f64; 3]>,
    accelerations: Vec<[f64; 3]>,
}

impl<'a> FirstOrderGravity<'a> {
    /// Wraps `gravity`.
    pub fn new(gravity: &'a Gravity) -> Self {
        let n = gravity.len();
        Self {
            gravity,
            positions: vec![[0.0; 3]; n],
            accelerations: vec![[0.0; 3]; n],
        }
    }
}

impl OdeSystem<f64> for FirstOrderGravity<'_> {
    fn rhs(&mut self, _t: f64, y: &[f64], dydt: &mut [f64]) {
        let n = self.positions.len();
        for (i, p) in self.positions.iter_mut().enumerate() {
            *p = [y[3 * i], y[3 * i + 1], y[3 * i + 2]];
        }
        dydt[..3 * n].copy_from_slice(&y[3 * n..]);
        self.gravity
            .accelerations(&self.positions, &mut self.accelerations);
        for (i, a) in self.accelerations.iter().enumerate() {
            dydt[3 * n + 3 * i..3 * n + 3 * i + 3].copy_from_slice(a);
        }
    }
}

/// An explicit Runge–Kutta method of the core on the flat state.
pub struct RkStepper {
    rk: ExplicitRk<f64>,
    y0: Vec<f64>,
    y1: Vec<f64>,
}

impl RkStepper {
    /// The FSAL stage carried to the next step (see [`ExplicitRk::carried_stage`]).
    pub fn carried_stage(&self) -> Option<(f64, &[f64])> {
        self.rk.carried_stage()
    }

    /// Restores a carried stage.
    pub fn set_carried_stage(&mut self, t: f64, stage: &[f64]) -> Result<(), String> {
        self.rk.set_carried_stage(t, stage)
    }

    /// A stepper for `n` bodies.
    pub fn new(tableau: &'static ButcherTableau, n: usize) -> Self {
        Self {
            rk: ExplicitRk::new(tableau, 6 * n),
            y0: Vec::with_capacity(6 * n),
            y1: vec![0.0; 6 * n],
        }
    }

    /// The tableau.
    pub fn tableau(&self) -> &'static ButcherTableau {
        self.rk.tableau()
    }

    /// Forgets the cached first stage.
    pub fn invalidate(&mut self) {
        self.rk.invalidate();
    }

    /// Attempts a step `s → out` at time `t`; `s` stays intact.
    pub fn attempt(
        &mut self,
        g: &Gravity,
        t: f64,
        h: f64,
        s: &Phase,
        out: &mut Phase,
        tol: &Tolerances,
    ) -> Attempt {
        s.to_flat(&mut self.y0);
        self.y1.resize(self.y0.len(), 0.0);
        let mut system = FirstOrderGravity::new(g);
        let attempt = self.rk.step(&mut system, t, h, &self.y0, &mut self.y1, tol);
        out.clone_from(s);
        out.set_from_flat(&self.y1);
        attempt
    }

    /// The attempted step was accepted at time `t1`.
    pub fn accepted(&mut self, t1: f64) {
        self.rk.accepted(t1);
    }
}

/// Hermite 4th-order predictor–corrector (Makino & Aarseth 1992, PASJ 44, 141) in the
/// time-symmetric form of Hut & Makino, with Aarseth's step criterion. Keeps the
/// acceleration and jerk at the current state and the interpolated 2nd and 3rd derivatives
/// of the last step (for the criterion).
#[derive(Clone, Debug, Default)]
pub struct Hermite {
    /// `(a, ȧ)` at the current state.
    derivatives: Option<(Vectors, Vectors)>,
    /// `(a⁽²⁾, a⁽³⁾)` at the end of the last step, from the Hermite interpolant.
    higher: Option<(Vectors, Vectors)>,
}

impl Hermite {
    /// Forgets the cached derivatives (the state was changed from outside).
    pub fn invalidate(&mut self) {
        self.derivatives = None;
        self.higher = None;
    }

    fn ensure_derivatives(&mut self, g: &Gravity, s: &Phase) -> u64 {
        if self
            .derivatives
            .as_ref()
            .is_some_and(|(a, _)| a.len() == s.len())
        {
            return 0;
        }
        let mut a = vec![[0.0; 3]; s.len()];
        let mut j = vec![[0.0; 3]; s.len()];
        g.accelerations_and_jerks(&s.x, &s.v, &mut a, &mut j);
        self.derivatives = Some((a, j));
        1
    }

    /// Aarseth's step for the current state (Aarseth 2003, Gravitational N-body Simulations,
    /// eq. 2.13): `sqrt(η (|a||a⁽²⁾| + |ȧ|²) / (|ȧ||a⁽³⁾| + |a⁽²⁾|²))`, minimum over bodies.
    /// Before the first step, the starting criterion `η·|a|/|ȧ|`. None when undefined (no
    /// force anywhere).
    pub fn aarseth_step(&mut self, g: &Gravity, s: &Phase, eta: f64) -> (Option<f64>, u64) {
        let nfe = self.ensure_derivatives(g, s);
        let Some((a, j)) = &self.derivatives else {
            return (None, nfe);
        };
        let mut best = f64::INFINITY;
        match &self.higher {
            Some((a2, a3)) => {
                for i in 0..a.len() {
                    let (na, nj, n2, n3) = (norm3(a[i]), norm3(j[i]), norm3(a2[i]), norm3(a3[i]));
                    let den = nj * n3 + n2 * n2;
                    if den > 0.0 {
                        best = best.min((eta * (na * n2 + nj * nj) / den).sqrt());
                    }
                }
            }
            None => {
                for i in 0..a.len() {
                    let nj = norm3(j[i]);
                    if nj > 0.0 {
                        best = best.min(eta * norm3(a[i]) / nj);
                    }
                }
            }
        }
        ((best.is_finite() && best > 0.0).then_some(best), nfe)
    }

    /// One predictor–corrector step of size `h`: `s → out`; `s` stays intact and the cached
    /// derivatives move to `out` only when [`Hermite::commit`] is called.
    pub fn attempt(&mut self, g: &Gravity, s: &Phase, h: f64, out: &mut Phase) -> (u64, Derivs) {
        let mut nfe = self.ensure_derivatives(g, s);
        let (a0, j0) = self.derivatives.as_ref().expect("ensured above");
        let n = s.len();
        out.clone_from(s);
        // Predictor: Taylor series to the jerk.
        for i in 0..n {
            for k in 0..3 {
                out.x[i][k] =
                    s.x[i][k] + h * (s.v[i][k] + h * (a0[i][k] / 2.0 + h * j0[i][k] / 6.0));
                out.v[i][k] = s.v[i][k] + h * (a0[i][k] + h * j0[i][k] / 2.0);
            }
        }
        let mut a1 = vec![[0.0; 3]; n];
        let mut j1 = vec![[0.0; 3]; n];
        g.accelerations_and_jerks(&out.x, &out.v, &mut a1, &mut j1);
        nfe += 1;
        // Corrector (Hut & Makino, time-symmetric form): velocities first, then positions
        // from the corrected velocities.
        let mut a2 = vec![[0.0; 3]; n];
        let mut a3 = vec![[0.0; 3]; n];
        for i in 0..n {
            for k in 0..3 {
                let v1 = s.v[i][k] + h / 2.0 * (a0[i][k] + a1[i][k])
                    - h * h / 12.0 * (j1[i][k] - j0[i][k]);
                out.x[i][k] =
                    s.x[i][k] + h / 2.0 * (s.v[i][k] + v1) - h * h / 12.0 * (a1[i][k] - a0[i][k]);
                out.v[i][k] = v1;
                // Derivatives of the cubic Hermite interpolant (Makino & Aarseth 1992, (7)-(8)).
                let da = a0[i][k] - a1[i][k];
                let snap0 = (-6.0 * da - h * (4.0 * j0[i][k] + 2.0 * j1[i][k])) / (h * h);
                let crackle = (12.0 * da + 6.0 * h * (j0[i][k] + j1[i][k])) / (h * h * h);
                a2[i][k] = snap0 + h * crackle;
                a3[i][k] = crackle;
            }
        }
        (
            nfe,
            Derivs {
                a: a1,
                jerk: j1,
                snap: a2,
                crackle: a3,
            },
        )
    }

    /// The step that produced `d` was accepted.
    pub fn commit(&mut self, d: Derivs) {
        self.derivatives = Some((d.a, d.jerk));
        self.higher = Some((d.snap, d.crackle));
    }

    /// Aarseth's step evaluated from the derivatives at the end of an attempted step.
    pub fn aarseth_step_at_end(d: &Derivs, eta: f64) -> Option<f64> {
        let mut best = f64::INFINITY;
        for i in 0..d.a.len() {
            let (na, nj, n2, n3) = (
                norm3(d.a[i]),
                norm3(d.jerk[i]),
                norm3(d.snap[i]),
                norm3(d.crackle[i]),
            );
            let den = nj * n3 + n2 * n2;
            if den > 0.0 {
                best = best.min((eta * (na * n2 + nj * nj) / den).sqrt());
            }
        }
        (best.is_finite() && best > 0.0).then_some(best)
    }
}

/// Acceleration and its first three derivatives at the end of a Hermite step.
#[derive(Clone, Debug)]
pub struct Derivs {
    /// a.
    pub a: Vec<[f64; 3]>,
    /// ȧ.
    pub jerk: Vec<[f64; 3]>,
    /// a⁽²⁾.
    pub snap: Vec<[f64; 3]>,
    /// a⁽³⁾.
    pub crackle: Vec<[f64; 3]>,
}

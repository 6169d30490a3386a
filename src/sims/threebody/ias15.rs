//! IAS15 (Rein & Spiegel 2015, MNRAS 446, 1424): a 15th-order implicit integrator for
//! `ẍ = F(x)` after Everhart's RADAU (1985). Over a step of length dt the force is written as
//! a polynomial in the normalised time τ ∈ [0, 1],
//!
//! ```text
//! F(τ) = a0 + b0 τ + b1 τ² + … + b6 τ⁷
//!      = a0 + g0 τ + g1 τ(τ−h1) + … + g6 τ(τ−h1)…(τ−h6)      (Newton form)
//! ```
//!
//! sampled at the 8 Gauss–Radau spacings h0 = 0, h1 … h7. A predictor–corrector iteration
//! updates the g (divided differences) from the forces at the substeps until the change in b6
//! is below round-off. Two step criteria ([`Ias15Criterion`]); either way a step is rejected
//! when the next one would be below a quarter of it, and growth is capped at 4×. Positions
//! and velocities are updated with compensated (Kahan) summation, so the energy error follows
//! Brouwer's law (random-walk round-off), not a systematic drift.

// Index loops follow the paper's subscripts (b_k, g_j, h_n) across several arrays at once.
#![allow(clippy::needless_range_loop)]

use super::Gravity;
use super::integrators::Phase;

/// The Gauss–Radau spacings on [0, 1] (Everhart 1985, "An efficient integrator that uses
/// Gauss–Radau spacings"; the values of Rein & Spiegel 2015 / REBOUND): roots of
/// P₇(2τ−1) + P₈(2τ−1), with h0 = 0. Kept with the published digits.
#[allow(clippy::excessive_precision)]
pub const RADAU_SPACINGS: [f64; 8] = [
    0.0,
    0.056_262_560_536_922_146_465_652_191_031_8,
    0.180_240_691_736_892_364_987_579_942_780,
    0.352_624_717_113_169_637_373_907_769_648,
    0.547_153_626_330_555_383_001_448_554_766,
    0.734_210_177_215_410_531_523_210_605_558,
    0.885_320_946_839_095_768_090_359_771_030,
    0.977_520_613_561_287_501_891_174_488_626,
];

/// Rejects a step whose successor would be shorter than this fraction of it; caps growth at
/// its inverse (REBOUND `safety_factor`).
const SAFETY_FACTOR: f64 = 0.25;

/// Our regularisation of PRS23: a body's |a| counts as at least this fraction of its
/// pair-force scale Σ m_j/r_ij². Measured: without it the figure-eight needs 944 steps per
/// period and eventually a step below 1e-12 (t ≈ 242); with 0.1, 221 steps per period and the
/// Pythagorean run is unchanged (5370 vs 5377 steps, same energy error).
const FORCE_SCALE_FLOOR: f64 = 0.1;

/// The predictor–corrector iteration stops when the relative change of b6 is below this.
const PC_CONVERGED: f64 = 1e-16;

/// Iteration cap of the predictor–corrector loop.
const PC_MAX_ITERATIONS: u32 = 12;

/// The conversion coefficients between the Newton form (g) and the power form (b), derived
/// from the spacings instead of being tabulated.
#[derive(Clone, Debug)]
struct Coefficients {
    /// `h_n − h_j`.
    rr: [[f64; 8]; 8],
    /// `τ ∏_{i=1..j} (τ − h_i) = Σ_k c[j][k] τ^{k+1}`.
    c: [[f64; 7]; 7],
    /// `τ^{k+1} = Σ_j d[k][j] τ ∏_{i=1..j} (τ − h_i)`, so `g_j = Σ_{k≥j} d[k][j] b_k`.
    d: [[f64; 7]; 7],
}

impl Coefficients {
    fn new() -> Self {
        let h = RADAU_SPACINGS;
        let mut rr = [[0.0; 8]; 8];
        for n in 0..8 {
            for j in 0..8 {
                rr[n][j] = h[n] - h[j];
            }
        }
        // N_{j+1} = N_j (τ − h_{j+1}), N_0 = τ.
        let mut c = [[0.0; 7]; 7];
        c[0][0] = 1.0;
        for j in 0..6 {
            for k in 0..=j + 1 {
                let shifted = if k > 0 { c[j][k - 1] } else { 0.0 };
                c[j + 1][k] = shifted - h[j + 1] * c[j][k];
            }
        }
        // τ N_j = N_{j+1} + h_{j+1} N_j, so τ^{k+2} = Σ_j d[k][j] (N_{j+1} + h_{j+1} N_j).
        let mut d = [[0.0; 7]; 7];
        d[0][0] = 1.0;
        for k in 0..6 {
            for j in 0..=k + 1 {
                let shifted = if j > 0 { d[k][j - 1] } else { 0.0 };
                d[k + 1][j] = shifted + h[j + 1] * d[k][j];
            }
        }
        Self { rr, c, d }
    }
}

/// How IAS15 chooses its next step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Ias15Criterion {
    /// Rein & Spiegel (2015) §2.5, "global" mode: the last term's relative size
    /// `δ = max|b6| / max|a|` over all bodies estimates the error, `dt_new = dt (ε/δ)^{1/7}`.
    /// Robust when one body's acceleration passes through zero; but at close encounters b6
    /// is round-off noise, and below ε ≈ 1e-9 the step can collapse there (Pythagorean
    /// problem at t ≈ 15.83, r ≈ 4e-4).
    Global,
    /// Pham, Rein & Spiegel (2024, OJAp 7), REBOUND's current default: per-body time scale
    /// `τ² = 2|a|² / (|ȧ|² + |a||ä|)` from the converged polynomial, `dt_new = min τ · (7! ε)^{1/7}`.
    /// τ vanishes where a body's acceleration crosses zero (the figure-eight's Euler
    /// configurations, six per period): approaching such a zero each step is about a quarter
    /// of the remaining distance (a Zeno sequence, down to ~1e-12 on the figure-eight) and
    /// steps regrow by ~1.25× after it. We floor |a| at 0.1 Σ_j m_j/r_ij² (the pair forces
    /// that cancel there), which removes the collapse. Robust at close encounters, which is
    /// why it is the default here as in REBOUND.
    #[default]
    Prs23,
}

impl Ias15Criterion {
    /// Both criteria.
    pub const ALL: [Ias15Criterion; 2] = [Ias15Criterion::Global, Ias15Criterion::Prs23];

    /// Link token.
    pub fn key(self) -> &'static str {
        match self {
            Ias15Criterion::Global => "global",
            Ias15Criterion::Prs23 => "prs23",
        }
    }

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Ias15Criterion::Global => "Global (Rein & Spiegel 2015)",
            Ias15Criterion::Prs23 => "PRS23 (Pham, Rein & Spiegel 2024)",
        }
    }
    /// What the criterion does, in a sentence.
    pub fn doc(self) -> &'static str {
        match self {
            Ias15Criterion::Global => {
                "The last term's size over the largest acceleration estimates the error (Rein & Spiegel 2015 §2.5): robust at zeros of one body's acceleration, but it can collapse at close encounters below tol ≈ 1e-9."
            }
            Ias15Criterion::Prs23 => {
                "Each body's time scale from the converged force polynomial (Pham, Rein & Spiegel 2024; REBOUND's default): the smallest one sets the step."
            }
        }
    }
}

/// What one call of [`Ias15::step`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ias15Step {
    /// Whether the step was accepted (the state advanced by `dt_done`).
    pub accepted: bool,
    /// The step attempted.
    pub dt_done: f64,
    /// The step to try next (after an accept or a reject).
    pub dt_next: f64,
    /// Force evaluations spent.
    pub nfe: u64,
    /// Predictor–corrector iterations.
    pub iterations: u32,
    /// The error relative to ε implied by the step criterion, `(dt_done/dt_new)^7` (1 = the
    /// step was exactly the one ε asks for).
    pub scaled_error: f64,
}

/// IAS15's state: the force polynomial and its predictions, and the compensated-summation
/// residuals of positions and velocities.
#[derive(Clone, Debug)]
pub struct Ias15 {
    /// Tolerance ε (REBOUND's default is 1e-9).
    pub epsilon: f64,
    /// Step criterion.
    pub criterion: Ias15Criterion,
    coeff: Coefficients,
    b: [Vec<f64>; 7],
    g: [Vec<f64>; 7],
    e: [Vec<f64>; 7],
    /// b and e of the last accepted step, to re-predict after a reject.
    b_saved: [Vec<f64>; 7],
    e_saved: [Vec<f64>; 7],
    /// Kahan residuals of x and v.
    comp_x: Vec<f64>,
    comp_v: Vec<f64>,
    /// The last accepted step (0 before the first).
    dt_last_done: f64,
    /// The step the current b prediction was made for (0: no prediction).
    predicted_for: f64,
    x0: Vec<f64>,
    v0: Vec<f64>,
    a0: Vec<f64>,
    at: Vec<f64>,
    positions: Vec<[f64; 3]>,
    forces: Vec<[f64; 3]>,
}

fn zeros7(n: usize) -> [Vec<f64>; 7] {
    std::array::from_fn(|_| vec![0.0; n])
}

impl Ias15 {
    /// An integrator for `n` bodies with tolerance `epsilon` and step `criterion`.
    pub fn with_criterion(n: usize, epsilon: f64, criterion: Ias15Criterion) -> Self {
        Self {
            criterion,
            ..Self::new(n, epsilon)
        }
    }

    /// An integrator for `n` bodies with tolerance `epsilon`.
    pub fn new(n: usize, epsilon: f64) -> Self {
        let n3 = 3 * n;
        Self {
            epsilon,
            criterion: Ias15Criterion::default(),
            coeff: Coefficients::new(),
            b: zeros7(n3),
            g: zeros7(n3),
            e: zeros7(n3),
            b_saved: zeros7(n3),
            e_saved: zeros7(n3),
            comp_x: vec![0.0; n3],
            comp_v: vec![0.0; n3],
            dt_last_done: 0.0,
            predicted_for: 0.0,
            x0: vec![0.0; n3],
            v0: vec![0.0; n3],
            a0: vec![0.0; n3],
            at: vec![0.0; n3],
            positions: vec![[0.0; 3]; n],
            forces: vec![[0.0; 3]; n],
        }
    }

    /// Forgets the force polynomial and the summation residuals (the state was changed from
    /// outside, or another integrator ran in between).
    pub fn invalidate(&mut self) {
        for v in self
            .b
            .iter_mut()
            .chain(&mut self.e)
            .chain(&mut self.b_saved)
            .chain(&mut self.e_saved)
        {
            v.fill(0.0);
        }
        self.comp_x.fill(0.0);
        self.comp_v.fill(0.0);
        self.dt_last_done = 0.0;
        self.predicted_for = 0.0;
    }

    /// Writes what carries over from one step to the next into a checkpoint: the force
    /// polynomial (b, g), its last corrections (e), the saved prediction basis, the Kahan
    /// residuals and the last step, so that a run loaded from it predicts its next step
    /// exactly as the run that went on.
    pub fn save(&self, state: &mut crate::checkpoint::RunState) {
        for (name, arrays) in self.carried_arrays() {
            state.put(name, arrays.iter().flatten().copied());
        }
        state.put(
            "ias15_residuals",
            self.comp_x.iter().chain(&self.comp_v).copied(),
        );
        state.put("ias15_steps", [self.dt_last_done, self.predicted_for]);
    }

    /// Restores what [`Ias15::save`] wrote for `n` bodies.
    pub fn restore(&mut self, state: &crate::checkpoint::RunState, n: usize) -> Result<(), String> {
        let n3 = 3 * n;
        *self = Ias15::with_criterion(n, self.epsilon, self.criterion);
        let mut loaded = Vec::new();
        for (name, _) in self.carried_arrays() {
            loaded.push(state.get_len(name, 7 * n3)?);
        }
        for ((_, arrays), values) in self.carried_arrays_mut().into_iter().zip(loaded) {
            for (array, chunk) in arrays.iter_mut().zip(values.chunks_exact(n3)) {
                array.copy_from_slice(chunk);
            }
        }
        let residuals = state.get_len("ias15_residuals", 2 * n3)?;
        self.comp_x.copy_from_slice(&residuals[..n3]);
        self.comp_v.copy_from_slice(&residuals[n3..]);
        let steps = state.get_len("ias15_steps", 2)?;
        self.dt_last_done = steps[0];
        self.predicted_for = steps[1];
        Ok(())
    }

    fn carried_arrays(&self) -> [(&'static str, &[Vec<f64>; 7]); 5] {
        [
            ("ias15_b", &self.b),
            ("ias15_g", &self.g),
            ("ias15_e", &self.e),
            ("ias15_b_saved", &self.b_saved),
            ("ias15_e_saved", &self.e_saved),
        ]
    }

    fn carried_arrays_mut(&mut self) -> [(&'static str, &mut [Vec<f64>; 7]); 5] {
        [
            ("ias15_b", &mut self.b),
            ("ias15_g", &mut self.g),
            ("ias15_e", &mut self.e),
            ("ias15_b_saved", &mut self.b_saved),
            ("ias15_e_saved", &mut self.e_saved),
        ]
    }

    fn forces_at(&mut self, g: &Gravity, x: &[f64], out: &mut [f64]) {
        for (i, p) in self.positions.iter_mut().enumerate() {
            *p = [x[3 * i], x[3 * i + 1], x[3 * i + 2]];
        }
        g.accelerations(&self.positions, &mut self.forces);
        for (i, f) in self.forces.iter().enumerate() {
            out[3 * i..3 * i + 3].copy_from_slice(f);
        }
    }

    /// Predicts b (and e) for a step of `ratio` times the last accepted one by shifting the
    /// last step's polynomial to start at its end (binomial re-expansion), keeping the last
    /// correction `b − e` (Everhart 1985; REBOUND `predict_next_step`).
    fn predict_from_saved(&mut self, ratio: f64) {
        if ratio > 20.0 || !ratio.is_finite() {
            // The old polynomial says nothing useful that far out.
            for v in self.b.iter_mut().chain(&mut self.e) {
                v.fill(0.0);
            }
            return;
        }
        let q: [f64; 7] = std::array::from_fn(|i| ratio.powi(i as i32 + 1));
        // Binomial coefficients C(k+1, m+1): the coefficient of τ'^{m+1} in (1 + qτ')^{k+1}.
        const BINOMIAL: [[f64; 7]; 7] = [
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
            [0.0, 1.0, 3.0, 6.0, 10.0, 15.0, 21.0],
            [0.0, 0.0, 1.0, 4.0, 10.0, 20.0, 35.0],
            [0.0, 0.0, 0.0, 1.0, 5.0, 15.0, 35.0],
            [0.0, 0.0, 0.0, 0.0, 1.0, 6.0, 21.0],
            [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 7.0],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
        ];
        for k in 0..self.b[0].len() {
            let old_b: [f64; 7] = std::array::from_fn(|j| self.b_saved[j][k]);
            let old_e: [f64; 7] = std::array::from_fn(|j| self.e_saved[j][k]);
            for m in 0..7 {
                let mut sum = 0.0;
                for j in m..7 {
                    sum += BINOMIAL[m][j] * old_b[j];
                }
                let e_new = q[m] * sum;
                self.e[m][k] = e_new;
                self.b[m][k] = e_new + (old_b[m] - old_e[m]);
            }
        }
    }

    /// Attempts one step of `dt` from `s` (updated in place only when accepted).
    pub fn step(&mut self, grav: &Gravity, s: &mut Phase, dt: f64) -> Ias15Step {
        let n3 = 3 * s.len();
        if self.b[0].len() != n3 {
            *self = Ias15::with_criterion(s.len(), self.epsilon, self.criterion);
        }
        // A step other than the predicted one (clipped to land on a time, or a retry):
        // re-predict from the last accepted polynomial.
        if self.dt_last_done > 0.0 && dt != self.predicted_for {
            self.predict_from_saved(dt / self.dt_last_done);
        }
        self.predicted_for = dt;
        for (i, (x, v)) in s.x.iter().zip(&s.v).enumerate() {
            self.x0[3 * i..3 * i + 3].copy_from_slice(x);
            self.v0[3 * i..3 * i + 3].copy_from_slice(v);
        }
        let x0 = std::mem::take(&mut self.x0);
        let mut a0 = std::mem::take(&mut self.a0);
        self.forces_at(grav, &x0, &mut a0);
        self.a0 = a0;
        self.x0 = x0;
        let mut nfe = 1;
        // g from the predicted b.
        let d = self.coeff.d;
        for k in 0..n3 {
            for j in 0..7 {
                let mut sum = 0.0;
                for m in j..7 {
                    sum += d[m][j] * self.b[m][k];
                }
                self.g[j][k] = sum;
            }
        }
        let h = RADAU_SPACINGS;
        let mut x_sub = vec![0.0; n3];
        let mut at = std::mem::take(&mut self.at);
        let mut pc_error = f64::INFINITY;
        let mut pc_error_last = 2.0;
        let mut iterations = 0;
        loop {
            if pc_error < PC_CONVERGED {
                break;
            }
            if iterations > 2 && pc_error_last <= pc_error {
                // The iteration oscillates at round-off level: more would not help.
                break;
            }
            if iterations >= PC_MAX_ITERATIONS {
                break;
            }
            pc_error_last = pc_error;
            iterations += 1;
            for n in 1..8 {
                let tau = h[n];
                for k in 0..n3 {
                    // x(τ) = x0 + dt τ v0 + dt² τ² (a0/2 + τ(b0/6 + τ(b1/12 + … + τ b6/72))).
                    let b = |j: usize| self.b[j][k];
                    let poly = self.a0[k] / 2.0
                        + tau
                            * (b(0) / 6.0
                                + tau
                                    * (b(1) / 12.0
                                        + tau
                                            * (b(2) / 20.0
                                                + tau
                                                    * (b(3) / 30.0
                                                        + tau
                                                            * (b(4) / 42.0
                                                                + tau
                                                                    * (b(5) / 56.0
                                                                        + tau * b(6) / 72.0))))));
                    let increment = dt * tau * self.v0[k] + dt * dt * tau * tau * poly;
                    x_sub[k] = self.x0[k] + (increment + self.comp_x[k]);
                }
                self.forces_at(grav, &x_sub, &mut at);
                nfe += 1;
                let row = self.coeff.rr[n];
                let c = self.coeff.c[n - 1];
                let mut max_at: f64 = 0.0;
                let mut max_change: f64 = 0.0;
                for k in 0..n3 {
                    // Divided differences: g_{n−1} from the new force sample.
                    let mut gk = (at[k] - self.a0[k]) / row[0];
                    for j in 1..n {
                        gk = (gk - self.g[j - 1][k]) / row[j];
                    }
                    let change = gk - self.g[n - 1][k];
                    self.g[n - 1][k] = gk;
                    for (j, cj) in c.iter().enumerate().take(n) {
                        self.b[j][k] += change * cj;
                    }
                    if n == 7 {
                        max_at = max_at.max(at[k].abs());
                        max_change = max_change.max(change.abs());
                    }
                }
                if n == 7 {
                    pc_error = if max_at > 0.0 {
                        max_change / max_at
                    } else {
                        0.0
                    };
                }
            }
        }
        let dt_new = match self.criterion {
            Ias15Criterion::Global => self.global_step(&at, dt),
            Ias15Criterion::Prs23 => {
                let scales = pair_force_scales(grav, &s.x);
                self.prs23_step(&scales, dt)
            }
        };
        self.at = at;
        self.finish(s, dt, dt_new, nfe, iterations)
    }

    /// Rein & Spiegel (2015) §2.5: `δ = max_k |b6_k| / max_k |a_k|` (a at the last substep).
    fn global_step(&self, at: &[f64], dt: f64) -> f64 {
        let max_a = at
            .iter()
            .map(|a| a.abs())
            .filter(|a| a.is_normal())
            .fold(0.0, f64::max);
        let max_b6 = self.b[6].iter().map(|b| b.abs()).fold(0.0, f64::max);
        let error = max_b6 / max_a;
        if error.is_normal() {
            dt * (self.epsilon / error).powf(1.0 / 7.0)
        } else {
            dt / SAFETY_FACTOR
        }
    }

    /// Pham, Rein & Spiegel (2024), per body from the converged polynomial at τ = 1:
    /// y2 = |F|², y3 = |F'|², y4 = |F''|² (derivatives in τ).
    fn prs23_step(&self, force_scales: &[f64], dt: f64) -> f64 {
        let mut min_timescale2 = f64::INFINITY;
        for (i, scale) in force_scales.iter().enumerate() {
            let (mut a0_2, mut y2, mut y3, mut y4) = (0.0, 0.0, 0.0, 0.0);
            for k in 3 * i..3 * i + 3 {
                a0_2 += self.a0[k] * self.a0[k];
                let b: [f64; 7] = std::array::from_fn(|j| self.b[j][k]);
                let f = self.a0[k] + b.iter().sum::<f64>();
                let f1 = b[0]
                    + 2.0 * b[1]
                    + 3.0 * b[2]
                    + 4.0 * b[3]
                    + 5.0 * b[4]
                    + 6.0 * b[5]
                    + 7.0 * b[6];
                let f2 =
                    2.0 * b[1] + 6.0 * b[2] + 12.0 * b[3] + 20.0 * b[4] + 30.0 * b[5] + 42.0 * b[6];
                y2 += f * f;
                y3 += f1 * f1;
                y4 += f2 * f2;
            }
            if !a0_2.is_normal() {
                // No force at the start of the step (a massless system, or a body at an exact
                // equilibrium, like the figure-eight's middle body at t = 0): no time scale.
                continue;
            }
            // Our regularisation: where a body's pair forces cancel (|a| → 0 while each
            // m_j/r_ij² stays finite) the published τ vanishes and the steps approach the
            // zero in a Zeno sequence. Floor |a|² by a fraction of the pair-force scale.
            let y2 = y2.max((FORCE_SCALE_FLOOR * scale).powi(2));
            let timescale2 = 2.0 * y2 / (y3 + (y4 * y2).sqrt());
            if timescale2.is_normal() && timescale2 < min_timescale2 {
                min_timescale2 = timescale2;
            }
        }
        if min_timescale2.is_finite() {
            min_timescale2.sqrt() * dt * (self.epsilon * 5040.0).powf(1.0 / 7.0)
        } else {
            dt / SAFETY_FACTOR
        }
    }

    /// Accepts or rejects the step of `dt` given the proposed `dt_new`.
    fn finish(
        &mut self,
        s: &mut Phase,
        dt: f64,
        dt_new: f64,
        nfe: u64,
        iterations: u32,
    ) -> Ias15Step {
        let n3 = 3 * s.len();
        let scaled_error = (dt / dt_new).powi(7);
        if !(dt_new.is_finite() && dt_new > 0.0) || dt_new.abs() < SAFETY_FACTOR * dt.abs() {
            // Reject: retry with the shorter step, predicted from the last accepted polynomial.
            let dt_retry = if dt_new.is_finite() && dt_new > 0.0 {
                dt_new
            } else {
                dt * SAFETY_FACTOR
            };
            if self.dt_last_done > 0.0 {
                self.predict_from_saved(dt_retry / self.dt_last_done);
            } else {
                for v in self.b.iter_mut().chain(&mut self.e) {
                    v.fill(0.0);
                }
            }
            self.predicted_for = dt_retry;
            return Ias15Step {
                accepted: false,
                dt_done: dt,
                dt_next: dt_retry,
                nfe,
                iterations,
                scaled_error,
            };
        }
        let dt_next = dt_new.min(dt / SAFETY_FACTOR);

        // Accept: x1 = x0 + dt v0 + dt² (a0/2 + Σ b_k/((k+2)(k+3))),
        // v1 = v0 + dt (a0 + Σ b_k/(k+2)), with compensated summation.
        for k in 0..n3 {
            let b: [f64; 7] = std::array::from_fn(|j| self.b[j][k]);
            let dx = dt * self.v0[k]
                + dt * dt
                    * (self.a0[k] / 2.0
                        + b[0] / 6.0
                        + b[1] / 12.0
                        + b[2] / 20.0
                        + b[3] / 30.0
                        + b[4] / 42.0
                        + b[5] / 56.0
                        + b[6] / 72.0);
            let dv = dt
                * (self.a0[k]
                    + b[0] / 2.0
                    + b[1] / 3.0
                    + b[2] / 4.0
                    + b[3] / 5.0
                    + b[4] / 6.0
                    + b[5] / 7.0
                    + b[6] / 8.0);
            self.x0[k] = kahan_add(self.x0[k], dx, &mut self.comp_x[k]);
            self.v0[k] = kahan_add(self.v0[k], dv, &mut self.comp_v[k]);
        }
        for i in 0..s.len() {
            s.x[i] = [self.x0[3 * i], self.x0[3 * i + 1], self.x0[3 * i + 2]];
            s.v[i] = [self.v0[3 * i], self.v0[3 * i + 1], self.v0[3 * i + 2]];
        }
        self.dt_last_done = dt;
        self.b_saved.clone_from(&self.b);
        self.e_saved.clone_from(&self.e);
        self.predict_from_saved(dt_next / dt);
        self.predicted_for = dt_next;
        Ias15Step {
            accepted: true,
            dt_done: dt,
            dt_next,
            nfe,
            iterations,
            scaled_error,
        }
    }
}

/// Σ_j m_j / (r_ij² + ε²) for every body i: the size of the pair forces, which does not
/// vanish where they cancel.
fn pair_force_scales(g: &Gravity, x: &[[f64; 3]]) -> Vec<f64> {
    let mut scales = vec![0.0; x.len()];
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            let d = super::sub3(x[j], x[i]);
            let inv_r2 = 1.0 / (super::dot3(d, d) + g.softening2);
            scales[i] += g.masses[j] * inv_r2;
            scales[j] += g.masses[i] * inv_r2;
        }
    }
    scales
}

/// `sum + increment` with Kahan's compensation carried in `residual`.
fn kahan_add(sum: f64, increment: f64, residual: &mut f64) -> f64 {
    let y = increment + *residual;
    let t = sum + y;
    *residual = y - (t - sum);
    t
}

crate::impl_choice!(Ias15Criterion);

#[cfg(test)]
mod tests {
    use super::*;

    /// Legendre polynomial P_n(x) by the three-term recurrence.
    fn legendre(n: usize, x: f64) -> f64 {
        let (mut p0, mut p1) = (1.0, x);
        if n == 0 {
            return p0;
        }
        for k in 1..n {
            let p2 = ((2 * k + 1) as f64 * x * p1 - k as f64 * p0) / (k + 1) as f64;
            p0 = p1;
            p1 = p2;
        }
        p1
    }

    #[test]
    fn spacings_are_the_radau_nodes() {
        // Left Radau nodes on [−1, 1] with 8 points are the roots of P₇ + P₈.
        for h in RADAU_SPACINGS {
            let x = 2.0 * h - 1.0;
            let r = legendre(7, x) + legendre(8, x);
            assert!(r.abs() < 1e-13, "h = {h}: {r}");
        }
    }

    #[test]
    fn newton_and_power_forms_are_inverse() {
        // Σ_k c[j][k] d[k][m] over the triangular ranges is the identity.
        let co = Coefficients::new();
        for j in 0..7 {
            for m in 0..7 {
                let mut s = 0.0;
                for k in 0..7 {
                    s += co.c[j][k] * co.d[k][m];
                }
                let expected = if j == m { 1.0 } else { 0.0 };
                assert!((s - expected).abs() < 1e-13, "{j} {m}: {s}");
            }
        }
        // Spot values of REBOUND's tables (c[2] = −(h1 + h2), d[1] = h1²).
        assert!((co.c[2][1] + 0.236_503_252_273_814_5).abs() < 1e-15);
        assert!((co.d[2][0] - 0.003_165_475_718_170_829).abs() < 1e-15);
    }
}

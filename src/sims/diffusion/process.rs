//! Forward noising processes `x_t = α_t x₀ + σ_t ε` and the time grids samplers walk back on.
//!
//! Every process is written through `(α_t, σ_t)`, its half log-SNR `λ_t = log(α_t/σ_t)` and
//! the coefficients of its forward SDE `dx = f(t) x dt + g(t) dW` with
//! `f = d log α/dt`, `g² = dσ²/dt − 2 f σ²` (Kingma et al. 2021, VDM, eq. 30–31; Lu et al. 2022,
//! DPM-Solver, eq. 2.1). The reverse SDE is `dx = [f x − g² ∇log p_t] dt + g dW̄` and the
//! probability-flow ODE `dx/dt = f x − ½ g² ∇log p_t` (Song et al. 2021, eq. 6 and 13).

use serde::{Deserialize, Serialize};

/// The forward processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProcessKind {
    /// Variance preserving with linear β(t) = β_min + t(β_max − β_min), β 0.1 … 20, t ∈ [10⁻³, 1]
    /// (Ho et al. 2020 in continuous time, Song et al. 2021).
    VpLinear,
    /// Variance preserving with the cosine schedule ᾱ(t) = cos²(π/2 · (t+s)/(1+s)) / ᾱ(0),
    /// s = 0.008 (Nichol & Dhariwal 2021), t ∈ [10⁻³, 0.9946] (the end DPM-Solver uses, where
    /// β(t) is still finite).
    VpCosine,
    /// Variance exploding, σ(t) = σ_min (σ_max/σ_min)^t, σ 0.01 … 50, α = 1 (Song et al. 2021).
    Ve,
    /// EDM: α = 1, σ(t) = t, t ∈ [0.002, 80] (Karras et al. 2022).
    Edm,
}

impl ProcessKind {
    /// All processes, for menus.
    pub const ALL: [ProcessKind; 4] = [
        ProcessKind::VpLinear,
        ProcessKind::VpCosine,
        ProcessKind::Ve,
        ProcessKind::Edm,
    ];

    /// Link token.
    pub fn key(self) -> &'static str {
        match self {
            ProcessKind::VpLinear => "vp",
            ProcessKind::VpCosine => "vp-cosine",
            ProcessKind::Ve => "ve",
            ProcessKind::Edm => "edm",
        }
    }

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            ProcessKind::VpLinear => "VP, linear β (DDPM)",
            ProcessKind::VpCosine => "VP, cosine",
            ProcessKind::Ve => "VE",
            ProcessKind::Edm => "EDM (σ = t)",
        }
    }

    /// One sentence for tooltips.
    pub fn doc(self) -> &'static str {
        match self {
            ProcessKind::VpLinear => {
                "x_t = α_t x₀ + σ_t ε with α² + σ² = 1 and linear β(t) from 0.1 to 20 (Ho et al. 2020; Song et al. 2021)."
            }
            ProcessKind::VpCosine => {
                "Variance preserving with ᾱ(t) = cos²(π/2·(t+s)/(1+s)), s = 0.008: slower noising at the start (Nichol & Dhariwal 2021)."
            }
            ProcessKind::Ve => {
                "x_t = x₀ + σ(t) ε with geometric σ from 0.01 to 50 (Song et al. 2021, SMLD/NCSN)."
            }
            ProcessKind::Edm => {
                "x_t = x₀ + t ε, σ from 0.002 to 80: the ODE is dx/dσ = (x − D(x; σ))/σ (Karras et al. 2022)."
            }
        }
    }

    /// The process with its standard constants.
    pub fn process(self) -> ForwardProcess {
        ForwardProcess { kind: self }
    }
}

const VP_BETA_MIN: f64 = 0.1;
const VP_BETA_MAX: f64 = 20.0;
const VP_T_MIN: f64 = 1e-3;
const COSINE_S: f64 = 0.008;
const COSINE_T_MAX: f64 = 0.9946;
const VE_SIGMA_MIN: f64 = 0.01;
const VE_SIGMA_MAX: f64 = 50.0;
const EDM_SIGMA_MIN: f64 = 0.002;
const EDM_SIGMA_MAX: f64 = 80.0;

/// A forward process with its constants; all coefficients are closed-form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ForwardProcess {
    /// Which process.
    pub kind: ProcessKind,
}

impl ForwardProcess {
    /// `(t_min, t_max)`: sampling runs from `t_max` down to `t_min`.
    pub fn time_range(&self) -> (f64, f64) {
        match self.kind {
            ProcessKind::VpLinear => (VP_T_MIN, 1.0),
            ProcessKind::VpCosine => (VP_T_MIN, COSINE_T_MAX),
            ProcessKind::Ve => (0.0, 1.0),
            ProcessKind::Edm => (EDM_SIGMA_MIN, EDM_SIGMA_MAX),
        }
    }

    /// Whether `α² + σ² = 1`.
    pub fn variance_preserving(&self) -> bool {
        matches!(self.kind, ProcessKind::VpLinear | ProcessKind::VpCosine)
    }

    fn cosine_angle(t: f64) -> f64 {
        std::f64::consts::FRAC_PI_2 * (t + COSINE_S) / (1.0 + COSINE_S)
    }

    /// `log α_t`.
    pub fn log_alpha(&self, t: f64) -> f64 {
        match self.kind {
            ProcessKind::VpLinear => {
                -0.25 * t * t * (VP_BETA_MAX - VP_BETA_MIN) - 0.5 * t * VP_BETA_MIN
            }
            ProcessKind::VpCosine => {
                Self::cosine_angle(t).cos().ln() - Self::cosine_angle(0.0).cos().ln()
            }
            ProcessKind::Ve | ProcessKind::Edm => 0.0,
        }
    }

    /// `α_t`.
    pub fn alpha(&self, t: f64) -> f64 {
        self.log_alpha(t).exp()
    }

    /// `σ_t²`; for VP computed as `−expm1(2 log α)` so it keeps its digits near t = 0.
    pub fn sigma2(&self, t: f64) -> f64 {
        match self.kind {
            ProcessKind::VpLinear | ProcessKind::VpCosine => -(2.0 * self.log_alpha(t)).exp_m1(),
            ProcessKind::Ve => {
                let s = VE_SIGMA_MIN * (VE_SIGMA_MAX / VE_SIGMA_MIN).powf(t);
                s * s
            }
            ProcessKind::Edm => t * t,
        }
    }

    /// `σ_t`.
    pub fn sigma(&self, t: f64) -> f64 {
        self.sigma2(t).sqrt()
    }

    /// Half log-SNR `λ_t = log α_t − log σ_t`, decreasing in t.
    pub fn lambda(&self, t: f64) -> f64 {
        self.log_alpha(t) - 0.5 * self.sigma2(t).ln()
    }

    /// The time with half log-SNR `lambda` (the inverse of [`ForwardProcess::lambda`], in closed
    /// form as in DPM-Solver's `inverse_lambda`).
    pub fn time_of_lambda(&self, lambda: f64) -> f64 {
        // For VP, log α = −½ log(1 + e^{−2λ}).
        let vp_log_alpha = || -0.5 * softplus(-2.0 * lambda);
        match self.kind {
            ProcessKind::VpLinear => {
                let a = 0.25 * (VP_BETA_MAX - VP_BETA_MIN);
                let b = 0.5 * VP_BETA_MIN;
                let c = vp_log_alpha();
                // a t² + b t + c = 0, the positive root in the cancellation-free form.
                2.0 * (-c) / (b + (b * b - 4.0 * a * c).sqrt())
            }
            ProcessKind::VpCosine => {
                let angle = (vp_log_alpha().exp() * Self::cosine_angle(0.0).cos()).acos();
                angle * (1.0 + COSINE_S) / std::f64::consts::FRAC_PI_2 - COSINE_S
            }
            ProcessKind::Ve => (-lambda - VE_SIGMA_MIN.ln()) / (VE_SIGMA_MAX / VE_SIGMA_MIN).ln(),
            ProcessKind::Edm => (-lambda).exp(),
        }
    }

    /// Drift coefficient `f(t) = d log α / dt`.
    pub fn drift(&self, t: f64) -> f64 {
        match self.kind {
            ProcessKind::VpLinear => -0.5 * (VP_BETA_MIN + t * (VP_BETA_MAX - VP_BETA_MIN)),
            ProcessKind::VpCosine => {
                -Self::cosine_angle(t).tan() * std::f64::consts::FRAC_PI_2 / (1.0 + COSINE_S)
            }
            ProcessKind::Ve | ProcessKind::Edm => 0.0,
        }
    }

    /// Squared diffusion coefficient `g(t)² = dσ²/dt − 2 f σ²`.
    pub fn diffusion2(&self, t: f64) -> f64 {
        match self.kind {
            // VP: dσ²/dt = −2 f α², so g² = −2 f (α² + σ²) = −2 f = β(t).
            ProcessKind::VpLinear | ProcessKind::VpCosine => -2.0 * self.drift(t),
            ProcessKind::Ve => 2.0 * self.sigma2(t) * (VE_SIGMA_MAX / VE_SIGMA_MIN).ln(),
            ProcessKind::Edm => 2.0 * t,
        }
    }

    /// `dλ/dt`.
    pub fn lambda_rate(&self, t: f64) -> f64 {
        match self.kind {
            // λ = log α − ½ log(1 − α²): dλ/dt = f + f α²/σ² = f / σ².
            ProcessKind::VpLinear | ProcessKind::VpCosine => self.drift(t) / self.sigma2(t),
            ProcessKind::Ve => -(VE_SIGMA_MAX / VE_SIGMA_MIN).ln(),
            ProcessKind::Edm => -1.0 / t,
        }
    }

    /// Standard deviation of the usual prior `x_T ~ N(0, prior_std² I)`: 1 for VP, σ_max otherwise.
    pub fn prior_std(&self) -> f64 {
        if self.variance_preserving() {
            1.0
        } else {
            self.sigma(self.time_range().1)
        }
    }
}

/// `log(1 + e^x)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 30.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// How the `N + 1` times `t_max = t_0 > … > t_N = t_min` are spaced.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum TimeGrid {
    /// Uniform in t.
    UniformTime,
    /// Uniform in the half log-SNR λ (DPM-Solver's recommendation).
    UniformLambda,
    /// EDM's schedule: `σ̃_i = (σ̃_max^{1/ρ} + i/N (σ̃_min^{1/ρ} − σ̃_max^{1/ρ}))^ρ` in the scaled noise
    /// level `σ̃ = σ/α = e^{−λ}` (Karras et al. 2022, eq. 5), with ρ = 7 by default.
    Edm {
        /// The exponent ρ.
        rho: f64,
    },
}

impl TimeGrid {
    /// Link token.
    pub fn key(self) -> &'static str {
        match self {
            TimeGrid::UniformTime => "t",
            TimeGrid::UniformLambda => "lambda",
            TimeGrid::Edm { .. } => "edm",
        }
    }

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            TimeGrid::UniformTime => "uniform in t",
            TimeGrid::UniformLambda => "uniform in log-SNR λ",
            TimeGrid::Edm { .. } => "EDM ρ-schedule",
        }
    }

    /// The time at grid coordinate `s ∈ [0, 1]` (s = i/N at node i; fractional s for the
    /// stages of methods that step in s).
    pub fn time_at(&self, process: &ForwardProcess, s: f64) -> f64 {
        let (t_min, t_max) = process.time_range();
        match self {
            TimeGrid::UniformTime => t_max + s * (t_min - t_max),
            TimeGrid::UniformLambda => {
                let (l0, l1) = (process.lambda(t_max), process.lambda(t_min));
                process.time_of_lambda(l0 + s * (l1 - l0))
            }
            TimeGrid::Edm { rho } => {
                let (a, b) = Self::edm_ends(process, *rho);
                let level = (a + s * (b - a)).powf(*rho);
                process.time_of_lambda(-level.ln())
            }
        }
        .clamp(t_min, t_max)
    }

    /// `σ̃_max^{1/ρ}` and `σ̃_min^{1/ρ}`.
    fn edm_ends(process: &ForwardProcess, rho: f64) -> (f64, f64) {
        let (t_min, t_max) = process.time_range();
        let level = |t: f64| (-process.lambda(t)).exp();
        (level(t_max).powf(1.0 / rho), level(t_min).powf(1.0 / rho))
    }

    /// `dλ/ds` at grid coordinate `s`: what methods that take uniform steps in s (PLMS, the
    /// heavy-ball samplers) need to turn the noise prediction into a derivative in s.
    pub fn lambda_rate(&self, process: &ForwardProcess, s: f64) -> f64 {
        let (t_min, t_max) = process.time_range();
        match self {
            TimeGrid::UniformTime => {
                process.lambda_rate(self.time_at(process, s)) * (t_min - t_max)
            }
            TimeGrid::UniformLambda => process.lambda(t_min) - process.lambda(t_max),
            TimeGrid::Edm { rho } => {
                // λ = −ρ log(a + s(b − a)).
                let (a, b) = Self::edm_ends(process, *rho);
                -rho * (b - a) / (a + s * (b - a))
            }
        }
    }

    /// The `steps + 1` grid times from `t_max` to `t_min`; the ends are exact.
    pub fn times(&self, process: &ForwardProcess, steps: usize) -> Vec<f64> {
        let (t_min, t_max) = process.time_range();
        let mut times: Vec<f64> = (0..=steps)
            .map(|i| self.time_at(process, i as f64 / steps as f64))
            .collect();
        times[0] = t_max;
        times[steps] = t_min;
        times
    }
}

crate::impl_choice!(ProcessKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_agree_with_finite_differences_and_inverses() {
        for kind in ProcessKind::ALL {
            let p = kind.process();
            let (t_min, t_max) = p.time_range();
            for u in [0.02, 0.3, 0.7, 0.98] {
                let t = t_min + u * (t_max - t_min);
                let h = 1e-6 * (t_max - t_min);
                let d_log_alpha = (p.log_alpha(t + h) - p.log_alpha(t - h)) / (2.0 * h);
                assert!(
                    (d_log_alpha - p.drift(t)).abs() < 1e-6 * (1.0 + p.drift(t).abs()),
                    "{kind:?}"
                );
                let d_sigma2 = (p.sigma2(t + h) - p.sigma2(t - h)) / (2.0 * h);
                let g2 = d_sigma2 - 2.0 * p.drift(t) * p.sigma2(t);
                assert!(
                    (g2 - p.diffusion2(t)).abs() < 1e-6 * p.diffusion2(t),
                    "{kind:?} g²"
                );
                let d_lambda = (p.lambda(t + h) - p.lambda(t - h)) / (2.0 * h);
                assert!(
                    (d_lambda - p.lambda_rate(t)).abs() < 1e-6 * p.lambda_rate(t).abs(),
                    "{kind:?} λ'"
                );
                let back = p.time_of_lambda(p.lambda(t));
                assert!(
                    (back - t).abs() < 1e-10 * (1.0 + t),
                    "{kind:?}: {back} vs {t}"
                );
            }
            if p.variance_preserving() {
                let t = 0.4 * t_max;
                assert!((p.alpha(t).powi(2) + p.sigma2(t) - 1.0).abs() < 1e-15);
            }
        }
    }

    #[test]
    fn grids_run_from_t_max_to_t_min_monotonically_with_consistent_rates() {
        for kind in ProcessKind::ALL {
            let p = kind.process();
            for grid in [
                TimeGrid::UniformTime,
                TimeGrid::UniformLambda,
                TimeGrid::Edm { rho: 7.0 },
            ] {
                let times = grid.times(&p, 40);
                assert_eq!(times[0], p.time_range().1);
                assert_eq!(times[40], p.time_range().0);
                assert!(times.windows(2).all(|w| w[1] < w[0]), "{kind:?} {grid:?}");
                let s = 0.37;
                let h = 1e-6;
                let fd = (p.lambda(grid.time_at(&p, s + h)) - p.lambda(grid.time_at(&p, s - h)))
                    / (2.0 * h);
                let rate = grid.lambda_rate(&p, s);
                assert!(
                    (fd - rate).abs() < 1e-6 * rate.abs(),
                    "{kind:?} {grid:?}: {fd} vs {rate}"
                );
            }
        }
    }
}

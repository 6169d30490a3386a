//! Sampling a diffusion model backwards in time, on targets whose score is exact.
//!
//! Data `x₀ ~ p₀` (a Gaussian mixture, [`mixture`]) is noised by a forward process
//! `x_t = α_t x₀ + σ_t ε` ([`process`]); a sampler integrates the reverse-time SDE
//!
//! ```text
//! dx = [f(t) x − g(t)² ∇log p_t(x)] dt + g(t) dW̄       (Song et al. 2021, eq. 6)
//! ```
//!
//! or the probability-flow ODE `dx/dt = f x − ½ g² ∇log p_t` (eq. 13) from `t_max` to `t_min`.
//! Because `∇log p_t` of a mixture is known in closed form, the "model" is exact and every
//! error in the samples is the sampler's: discretisation error against the exact ODE flow
//! (deterministic samplers) and distance to exact samples of `p_{t_min}` (all samplers).
//!
//! Fixed-grid samplers compile to a [`program::Program`]: per step, a few denoiser evaluations
//! and linear combinations of particle buffers with coefficients computed in f64. The CPU
//! reference and the GPU kernels execute the same program, so both paths run the very same
//! method. The adaptive samplers are in [`adaptive`].

pub mod adaptive;
pub mod as_run;
pub mod cpu;
pub mod gpu;
mod measurement;
pub mod metrics;
pub mod mixture;
pub mod process;
pub mod program;
pub mod run;
pub mod shadow;

use serde::{Deserialize, Serialize};

use crate::core::format_f64;
use process::{ProcessKind, TimeGrid};

/// The samplers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SamplerKind {
    /// Euler–Maruyama on the reverse SDE.
    EulerMaruyama,
    /// Ancestral sampling of DDPM (Ho et al. 2020), = DDIM with η = 1.
    Ddpm,
    /// DDIM with stochasticity η (Song, Meng & Ermon 2021).
    Ddim,
    /// Euler on the probability-flow ODE in t.
    OdeEuler,
    /// Heun's method on the EDM form of the ODE, with optional churn (Karras et al. 2022, Alg. 2).
    EdmHeun,
    /// DPM-Solver-1 (Lu et al. 2022).
    DpmSolver1,
    /// DPM-Solver-2, singlestep, r₁ = 1/2.
    DpmSolver2,
    /// DPM-Solver-3, singlestep, r₁ = 1/3, r₂ = 2/3.
    DpmSolver3,
    /// DPM-Solver++(2S), singlestep data prediction (Lu et al. 2022b).
    DpmSolverPp2S,
    /// DPM-Solver++(2M), multistep data prediction.
    DpmSolverPp2M,
    /// DEIS with the time-based Adams–Bashforth extrapolation of order 3 (Zhang & Chen 2023).
    DeisTab3,
    /// UniPC-2 with the B(h) = e^h − 1 variant (Zhao et al. 2023).
    UniPc,
    /// PNDM's pseudo linear multistep method (Liu et al. 2022).
    Plms,
    /// PLMS with Polyak's heavy-ball momentum (Wizadwongsa et al. 2023).
    HeavyBall,
    /// Generalised heavy-ball momentum (Wizadwongsa et al. 2023).
    Ghvb,
    /// Reverse-SDE predictor with a Langevin corrector (Song et al. 2021, Alg. 2–3).
    PredictorCorrector,
    /// The adaptive SDE solver of Jolicoeur-Martineau et al. (2021), "Gotta Go Fast".
    GottaGoFast,
    /// DOPRI5 with PI control on the probability-flow ODE (the shared core's stepper).
    Dopri5,
}

impl SamplerKind {
    /// All samplers, in menu order.
    pub const ALL: [SamplerKind; 18] = [
        SamplerKind::EulerMaruyama,
        SamplerKind::Ddpm,
        SamplerKind::Ddim,
        SamplerKind::OdeEuler,
        SamplerKind::EdmHeun,
        SamplerKind::DpmSolver1,
        SamplerKind::DpmSolver2,
        SamplerKind::DpmSolver3,
        SamplerKind::DpmSolverPp2S,
        SamplerKind::DpmSolverPp2M,
        SamplerKind::DeisTab3,
        SamplerKind::UniPc,
        SamplerKind::Plms,
        SamplerKind::HeavyBall,
        SamplerKind::Ghvb,
        SamplerKind::PredictorCorrector,
        SamplerKind::GottaGoFast,
        SamplerKind::Dopri5,
    ];

    /// Link token.
    pub fn key(self) -> &'static str {
        match self {
            SamplerKind::EulerMaruyama => "em",
            SamplerKind::Ddpm => "ddpm",
            SamplerKind::Ddim => "ddim",
            SamplerKind::OdeEuler => "euler",
            SamplerKind::EdmHeun => "heun",
            SamplerKind::DpmSolver1 => "dpm1",
            SamplerKind::DpmSolver2 => "dpm2",
            SamplerKind::DpmSolver3 => "dpm3",
            SamplerKind::DpmSolverPp2S => "dpmpp2s",
            SamplerKind::DpmSolverPp2M => "dpmpp2m",
            SamplerKind::DeisTab3 => "deis",
            SamplerKind::UniPc => "unipc",
            SamplerKind::Plms => "plms",
            SamplerKind::HeavyBall => "hb",
            SamplerKind::Ghvb => "ghvb",
            SamplerKind::PredictorCorrector => "pc",
            SamplerKind::GottaGoFast => "ggf",
            SamplerKind::Dopri5 => "dopri5",
        }
    }

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            SamplerKind::EulerMaruyama => "Euler–Maruyama (SDE)",
            SamplerKind::Ddpm => "DDPM ancestral",
            SamplerKind::Ddim => "DDIM (η)",
            SamplerKind::OdeEuler => "Euler (PF-ODE)",
            SamplerKind::EdmHeun => "Heun (EDM)",
            SamplerKind::DpmSolver1 => "DPM-Solver-1",
            SamplerKind::DpmSolver2 => "DPM-Solver-2",
            SamplerKind::DpmSolver3 => "DPM-Solver-3",
            SamplerKind::DpmSolverPp2S => "DPM-Solver++(2S)",
            SamplerKind::DpmSolverPp2M => "DPM-Solver++(2M)",
            SamplerKind::DeisTab3 => "DEIS tAB3",
            SamplerKind::UniPc => "UniPC-2 (bh2)",
            SamplerKind::Plms => "PLMS (PNDM)",
            SamplerKind::HeavyBall => "PLMS + heavy ball",
            SamplerKind::Ghvb => "GHVB",
            SamplerKind::PredictorCorrector => "Predictor–corrector",
            SamplerKind::GottaGoFast => "Gotta Go Fast (adaptive SDE)",
            SamplerKind::Dopri5 => "DOPRI5 (adaptive ODE)",
        }
    }

    /// One-line facts with the reference, for tooltips and `--list`.
    pub fn doc(self) -> &'static str {
        match self {
            SamplerKind::EulerMaruyama => {
                "Euler–Maruyama on the reverse SDE dx = [f x − g² grad log p] dt + g dW (reverse time): strong order \
                 ½, weak order 1, 1 score evaluation per step (Song et al. 2021)."
            }
            SamplerKind::Ddpm => {
                "Ancestral sampling from the Gaussian posterior q(x_s | x_t, D(x)) (Ho et al. 2020); \
                 DDIM with η = 1. 1 evaluation per step."
            }
            SamplerKind::Ddim => {
                "x_s = α_s D(x) + √(σ_s² − c²) ε(x) + c z, c = η σ_s √(1 − e^{−2h}) (Song, Meng & Ermon \
                 2021). η = 0 is deterministic and first order: the exponential integrator DPM-Solver-1."
            }
            SamplerKind::OdeEuler => {
                "Explicit Euler on the probability-flow ODE dx/dt = f x − ½ g² grad log p in the \
                 process's own time t: order 1, 1 evaluation per step."
            }
            SamplerKind::EdmHeun => {
                "Heun's 2nd-order method on d(x/α)/d(σ/α) = (x/α − D)/(σ/α) (Karras et al. 2022, Alg. 1–2); \
                 churn S > 0 first raises the noise by γ = min(S/N, √2 − 1) (stochastic). 2 \
                 evaluations per step."
            }
            SamplerKind::DpmSolver1 => {
                "Exponential integrator on the noise prediction, exact in the linear part (Lu et \
                 al. 2022, eq. 3.7): order 1, 1 evaluation per step; identical to DDIM (η = 0)."
            }
            SamplerKind::DpmSolver2 => {
                "Singlestep DPM-Solver-2 with r₁ = ½ (Lu et al. 2022, Alg. 1): order 2, 2 \
                 evaluations per step."
            }
            SamplerKind::DpmSolver3 => {
                "Singlestep DPM-Solver-3 with r₁ = ⅓, r₂ = ⅔ (Lu et al. 2022, Alg. 2): order 3, 3 \
                 evaluations per step."
            }
            SamplerKind::DpmSolverPp2S => {
                "Singlestep 2nd-order solver on the data prediction D(x) (Lu et al. 2022b, Alg. 1, \
                 r = ½): order 2, 2 evaluations per step."
            }
            SamplerKind::DpmSolverPp2M => {
                "Multistep 2nd-order solver on the data prediction (Lu et al. 2022b, Alg. 2): \
                 order 2, 1 evaluation per step; first step DPM-Solver++1."
            }
            SamplerKind::DeisTab3 => {
                "Exponential integrator with ε(x) extrapolated by a cubic-in-t Lagrange polynomial \
                 through the last 3 nodes, weights by Gauss–Legendre quadrature (Zhang & Chen 2023, \
                 tAB3): order 3, 1 evaluation per step after a DPM-Solver-2 first step."
            }
            SamplerKind::UniPc => {
                "UniP-2 predictor and UniC corrector on the data prediction, B(h) = e^h − 1 (Zhao \
                 et al. 2023): order 3 at 1 evaluation per step (the corrector reuses the next \
                 step's evaluation)."
            }
            SamplerKind::Plms => {
                "4-step Adams–Bashforth on ε(x) with the DDIM transfer, 3 Runge–Kutta 4 start-up steps \
                 (Liu et al. 2022, PNDM): order 4. Taken in the grid coordinate, so it stays 4th \
                 order on non-uniform grids."
            }
            SamplerKind::HeavyBall => {
                "PLMS of order ceil(ν) whose update is averaged by Polyak's heavy ball, v := (1−β) v + β·AB, \
                 β = ν − ceil(ν) + 1 (Wizadwongsa et al. 2023): damps divergence at few steps; order 1 \
                 when β < 1."
            }
            SamplerKind::Ghvb => {
                "Generalised heavy ball: momentum on ε(x), then Adams–Bashforth weights adjusted for β \
                 (Wizadwongsa et al. 2023): order min(ceil(ν), 2) with its momentum start-up."
            }
            SamplerKind::PredictorCorrector => {
                "Langevin corrector x += ε grad log p + √(2ε) z with ε = 2(r σ_t)², then a reverse-SDE \
                 Euler–Maruyama predictor (Song et al. 2021, Alg. 2–3): 2 evaluations per step."
            }
            SamplerKind::GottaGoFast => {
                "Adaptive SDE solver: Euler–Maruyama and stochastic improved Euler with the same \
                 noise, each particle with its own step from the mixed-tolerance error \
                 (Jolicoeur-Martineau et al. 2021, Alg. 1)."
            }
            SamplerKind::Dopri5 => {
                "Dormand–Prince 5(4) with PI control on d(x/α)/dλ = D(x) − x/α (the probability-flow ODE in \
                 log-SNR time): a high-accuracy reference; NFE follows from the tolerance."
            }
        }
    }

    /// Whether the sampler draws noise during sampling (with the given DDIM η and Heun churn).
    pub fn is_stochastic(self, params: &DiffusionParams) -> bool {
        match self {
            SamplerKind::EulerMaruyama
            | SamplerKind::Ddpm
            | SamplerKind::PredictorCorrector
            | SamplerKind::GottaGoFast => true,
            SamplerKind::Ddim => params.eta > 0.0,
            SamplerKind::EdmHeun => params.churn > 0.0,
            _ => false,
        }
    }

    /// Whether the sampler chooses its own steps (NFE is an outcome, set by the tolerance).
    pub fn is_adaptive(self) -> bool {
        matches!(self, SamplerKind::GottaGoFast | SamplerKind::Dopri5)
    }

    /// The order of convergence to the probability-flow ODE solution as NFE grows
    /// (deterministic samplers; None for stochastic and adaptive ones).
    pub fn ode_order(self, params: &DiffusionParams) -> Option<f64> {
        if self.is_stochastic(params) || self.is_adaptive() {
            return None;
        }
        let (ceiling, beta) = momentum_split(params.momentum);
        Some(match self {
            SamplerKind::Ddim | SamplerKind::OdeEuler | SamplerKind::DpmSolver1 => 1.0,
            SamplerKind::EdmHeun
            | SamplerKind::DpmSolver2
            | SamplerKind::DpmSolverPp2S
            | SamplerKind::DpmSolverPp2M => 2.0,
            SamplerKind::DpmSolver3 | SamplerKind::DeisTab3 | SamplerKind::UniPc => 3.0,
            SamplerKind::Plms => 4.0,
            // The heavy ball lags the update by O(h) unless β = 1 (then it is PLMS whose
            // first-order start-up step caps it at 2).
            SamplerKind::HeavyBall if beta < 1.0 => 1.0,
            SamplerKind::HeavyBall | SamplerKind::Ghvb => ceiling.min(2) as f64,
            _ => return None,
        })
    }
}

/// `ν = (k − 1) + β` → `(k, β)` with k = ⌈ν⌉ in 1…4 and β ∈ (0, 1].
pub fn momentum_split(nu: f64) -> (usize, f64) {
    let ceiling = nu.ceil().clamp(1.0, 4.0);
    let beta = (nu - (ceiling - 1.0)).clamp(1e-6, 1.0);
    (ceiling as usize, beta)
}

/// The data distributions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetKind {
    /// Eight Gaussians on a circle.
    Ring8,
    /// A 5 × 5 grid of Gaussians.
    Grid25,
    /// Two interleaved half-moons.
    TwoMoons,
    /// A spiral arm.
    Spiral,
    /// A picture (`assets/nabla-p.pgm`), one component per bright pixel.
    Image,
    /// A mixture in d dimensions.
    GaussianNd,
}

impl TargetKind {
    /// What the target is, in a sentence.
    pub fn doc(self) -> &'static str {
        match self {
            TargetKind::GaussianNd => {
                "A mixture in d dimensions (means at radius 3): watch how dimension changes the picture. The view shows the first two coordinates."
            }
            TargetKind::Ring8
            | TargetKind::Grid25
            | TargetKind::TwoMoons
            | TargetKind::Spiral
            | TargetKind::Image => {
                "A 2D Gaussian mixture: its noised score is exact, so every error is the sampler's."
            }
        }
    }

    /// All targets, for menus.
    pub const ALL: [TargetKind; 6] = [
        TargetKind::Ring8,
        TargetKind::Grid25,
        TargetKind::TwoMoons,
        TargetKind::Spiral,
        TargetKind::Image,
        TargetKind::GaussianNd,
    ];

    /// Link token.
    pub fn key(self) -> &'static str {
        match self {
            TargetKind::Ring8 => "ring8",
            TargetKind::Grid25 => "grid25",
            TargetKind::TwoMoons => "moons",
            TargetKind::Spiral => "spiral",
            TargetKind::Image => "image",
            TargetKind::GaussianNd => "gmm-nd",
        }
    }

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            TargetKind::Ring8 => "Ring of 8",
            TargetKind::Grid25 => "Grid of 25",
            TargetKind::TwoMoons => "Two moons",
            TargetKind::Spiral => "Spiral",
            TargetKind::Image => "Picture (nabla p)",
            TargetKind::GaussianNd => "Mixture in d dimensions",
        }
    }
}

/// How the starting particles `x(t_max)` are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InitKind {
    /// Exact samples of `p_{t_max}` (`α x₀ + σ z`): no prior mismatch, so the final error is
    /// the sampler's alone.
    Exact,
    /// The usual prior `N(0, I)` (VP) or `N(0, σ_max² I)` (VE, EDM).
    Prior,
}

impl InitKind {
    /// What the start is, in a sentence.
    pub fn doc(self) -> &'static str {
        match self {
            InitKind::Exact => {
                "Exact samples of p at t_max: no prior mismatch, so all error is the sampler's."
            }
            InitKind::Prior => "The usual Gaussian prior N(0, I) (VP) or N(0, σ_max² I) (VE, EDM).",
        }
    }

    /// Both starts, for menus.
    pub const ALL: [InitKind; 2] = [InitKind::Exact, InitKind::Prior];

    /// Link token.
    pub fn key(self) -> &'static str {
        match self {
            InitKind::Exact => "exact",
            InitKind::Prior => "prior",
        }
    }

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            InitKind::Exact => "exact p_T samples",
            InitKind::Prior => "Gaussian prior",
        }
    }
}

/// Everything that defines a sampling run (and its share link).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiffusionParams {
    /// The data distribution.
    pub target: TargetKind,
    /// Dimension of the `gmm-nd` target (2 … 64).
    pub dim: usize,
    /// Number of components of the `gmm-nd` target.
    pub components: usize,
    /// The forward process.
    pub process: ProcessKind,
    /// The time grid.
    pub grid: TimeGrid,
    /// The sampler.
    pub sampler: SamplerKind,
    /// Budget of denoiser evaluations for the fixed-grid samplers.
    pub nfe: usize,
    /// DDIM's η (0 = deterministic, 1 = DDPM).
    pub eta: f64,
    /// EDM's S_churn (0 = deterministic Heun).
    pub churn: f64,
    /// Signal-to-noise ratio r of the Langevin corrector.
    pub snr: f64,
    /// Order ν of the momentum samplers: ⌈ν⌉ is the multistep order, ν − ⌈ν⌉ + 1 the β.
    pub momentum: f64,
    /// Relative tolerance of the adaptive samplers.
    pub tol: f64,
    /// Number of particles.
    pub particles: usize,
    /// Seed of the initial particles and of the sampler's noise.
    pub seed: u64,
    /// How the initial particles are drawn.
    pub init: InitKind,
}

impl Default for DiffusionParams {
    fn default() -> Self {
        Self {
            target: TargetKind::Ring8,
            dim: 8,
            components: 8,
            process: ProcessKind::VpLinear,
            grid: TimeGrid::UniformLambda,
            sampler: SamplerKind::DpmSolverPp2M,
            nfe: 20,
            eta: 0.0,
            churn: 0.0,
            snr: 0.1,
            momentum: 1.5,
            tol: 1e-3,
            particles: 4096,
            seed: 1,
            init: InitKind::Exact,
        }
    }
}

/// Largest dimension of the `gmm-nd` target.
pub const MAX_DIM: usize = 64;
/// Most particles of a run.
pub const MAX_PARTICLES: usize = 1 << 20;

impl DiffusionParams {
    /// The data dimension of the chosen target.
    pub fn data_dim(&self) -> usize {
        if self.target == TargetKind::GaussianNd {
            self.dim
        } else {
            2
        }
    }

    /// Checks every value; the message names the parameter and its allowed range.
    pub fn validate(&self) -> Result<(), String> {
        if self.target == TargetKind::GaussianNd {
            if !(2..=MAX_DIM).contains(&self.dim) {
                return Err(format!("dimension must be 2 … {MAX_DIM}, got {}", self.dim));
            }
            if !(1..=4096).contains(&self.components) {
                return Err(format!(
                    "components must be 1 … 4096, got {}",
                    self.components
                ));
            }
        }
        if !(1..=MAX_PARTICLES).contains(&self.particles) {
            return Err(format!(
                "particles must be 1 … {MAX_PARTICLES}, got {}",
                self.particles
            ));
        }
        let minimum = program::minimum_nfe(self.sampler);
        if !self.sampler.is_adaptive() && !(minimum..=100_000).contains(&self.nfe) {
            return Err(format!(
                "NFE for {} must be {minimum} … 100000, got {}",
                self.sampler.label(),
                self.nfe
            ));
        }
        let in_range = |name: &str, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(format!(
                    "{name} must be in {} … {}, got {}",
                    format_f64(lo),
                    format_f64(hi),
                    format_f64(v)
                ))
            }
        };
        in_range("η", self.eta, 0.0, 1.0)?;
        in_range("churn", self.churn, 0.0, 1000.0)?;
        in_range("corrector snr", self.snr, 0.0, 1.0)?;
        in_range("momentum order ν", self.momentum, 0.05, 4.0)?;
        in_range("tolerance", self.tol, 1e-12, 0.5)?;
        if let TimeGrid::Edm { rho } = self.grid {
            in_range("ρ", rho, 0.5, 20.0)?;
        }
        Ok(())
    }

    /// The target mixture.
    pub fn mixture(&self) -> Result<mixture::GaussianMixture, String> {
        match self.target {
            TargetKind::Ring8 => mixture::ring8(),
            TargetKind::Grid25 => mixture::grid25(),
            TargetKind::TwoMoons => mixture::two_moons(),
            TargetKind::Spiral => mixture::spiral(),
            TargetKind::Image => mixture::picture(),
            TargetKind::GaussianNd => mixture::gaussian_nd(self.dim, self.components),
        }
    }
}

crate::impl_choice!(SamplerKind, TargetKind, InitKind);

//! The 1D cubic nonlinear Schrödinger equation on a periodic interval [−L/2, L/2):
//!
//! ```text
//! i ψ_t + (β/2) ψ_xx + γ |ψ|² ψ = 0        (focusing for βγ > 0, defocusing for βγ < 0)
//! ```
//!
//! Discretisation: Fourier pseudo-spectral in x with N points (unitary FFT, state kept as
//! ψ̂), so `ψ̂_t = L ψ̂ + N(ψ̂)` with the diagonal `L_k = −iβk²/2 − σ(k)` (σ: the optional
//! exponential filter) and `N = F[iγ|ψ|²ψ]`. Time stepping: Strang and 4th-order
//! (Yoshida 1990 / Forest–Ruth 1990) split-step Fourier, which treat `L` and the nonlinear
//! phase rotation exactly; and Runge–Kutta in the interaction picture (RK4IP, Hult 2007;
//! embedded ERK-IP pairs, Balac & Mahé 2013) which are unconditionally stable in the
//! dispersion and limited only by the nonlinear time scale `1/(γ max|ψ|²)`.
//!
//! Conserved by the PDE (and used as diagnostics): mass `∫|ψ|²`, momentum `Im∫ψ*ψ_x` and
//! the Hamiltonian `∫ (β/2)|ψ_x|² − (γ/2)|ψ|⁴`.

pub mod as_run;
pub mod control;
pub mod cpu;
pub mod gpu;
pub mod gpu_views;
pub mod scenarios;
pub mod shadow;

use serde::{Deserialize, Serialize};

use crate::core::controller::ControllerKind;
use crate::core::format_f64;

/// The time-stepping methods of the NLSE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NlseMethod {
    /// Strang splitting, order 2.
    StrangSplitStep,
    /// Yoshida / Forest–Ruth triple-jump composition of Strang steps, order 4.
    Yoshida4SplitStep,
    /// Classical RK4 in the interaction picture (Hult 2007), order 4.
    Rk4Ip,
    /// ERK4(3)-IP, embedded, adaptive (Balac & Mahé 2013).
    Erk43Ip,
    /// Dormand–Prince 5(4) in the interaction picture, adaptive.
    Dopri5Ip,
    /// Tsitouras 5(4) in the interaction picture, adaptive.
    Tsit5Ip,
    /// DOP853 in the interaction picture, adaptive, order 8.
    Dop853Ip,
}

impl NlseMethod {
    /// All methods, in menu order.
    pub const ALL: [NlseMethod; 7] = [
        NlseMethod::StrangSplitStep,
        NlseMethod::Yoshida4SplitStep,
        NlseMethod::Rk4Ip,
        NlseMethod::Erk43Ip,
        NlseMethod::Dopri5Ip,
        NlseMethod::Tsit5Ip,
        NlseMethod::Dop853Ip,
    ];

    /// Link token.
    pub fn key(self) -> &'static str {
        match self {
            NlseMethod::StrangSplitStep => "strang",
            NlseMethod::Yoshida4SplitStep => "yoshida4",
            NlseMethod::Rk4Ip => "rk4ip",
            NlseMethod::Erk43Ip => "erk43ip",
            NlseMethod::Dopri5Ip => "dopri5ip",
            NlseMethod::Tsit5Ip => "tsit5ip",
            NlseMethod::Dop853Ip => "dop853ip",
        }
    }

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            NlseMethod::StrangSplitStep => "Strang split-step",
            NlseMethod::Yoshida4SplitStep => "Yoshida-4 split-step",
            NlseMethod::Rk4Ip => "RK4IP",
            NlseMethod::Erk43Ip => "ERK4(3)-IP",
            NlseMethod::Dopri5Ip => "DOPRI5(4)-IP",
            NlseMethod::Tsit5Ip => "Tsit5(4)-IP",
            NlseMethod::Dop853Ip => "DOP853-IP",
        }
    }

    /// One line of facts with the reference, for tooltips and `--list`.
    pub fn doc(self) -> &'static str {
        match self {
            NlseMethod::StrangSplitStep => {
                "Order 2. e^{Lh/2} · nonlinear phase e^{iγ|ψ|²h} · e^{Lh/2}; 2 FFTs/step; conserves mass exactly (Strang 1968)."
            }
            NlseMethod::Yoshida4SplitStep => {
                "Order 4. Triple jump of Strang steps with w = 1/(2−2^{1/3}) (Yoshida 1990; Forest & Ruth 1990); 6 FFTs/step."
            }
            NlseMethod::Rk4Ip => {
                "Order 4. Classical RK4 in the interaction picture; dispersion exact; 8 FFTs/step (Hult 2007, J. Lightwave Technol.)."
            }
            NlseMethod::Erk43Ip => {
                "Order 4(3), adaptive. RK4IP with an FSAL-embedded 3rd-order estimate (Balac & Mahé 2013, Comput. Phys. Commun.)."
            }
            NlseMethod::Dopri5Ip => {
                "Order 5(4), adaptive. Dormand–Prince (1980) pair in the interaction picture; FSAL, 6 RHS/step."
            }
            NlseMethod::Tsit5Ip => {
                "Order 5(4), adaptive. Tsitouras (2011) pair in the interaction picture; FSAL, 6 RHS/step."
            }
            NlseMethod::Dop853Ip => {
                "Order 8, adaptive. DOP853 (Hairer, Nørsett & Wanner I, II.10) in the interaction picture; 12 RHS/step."
            }
        }
    }

    /// Order of the propagated solution.
    pub fn order(self) -> u32 {
        match self {
            NlseMethod::StrangSplitStep => 2,
            NlseMethod::Yoshida4SplitStep | NlseMethod::Rk4Ip | NlseMethod::Erk43Ip => 4,
            NlseMethod::Dopri5Ip | NlseMethod::Tsit5Ip => 5,
            NlseMethod::Dop853Ip => 8,
        }
    }

    /// Whether the GPU path has this method (DOP853's two-estimator error norm is CPU-only).
    pub fn runs_on_gpu(self) -> bool {
        self != NlseMethod::Dop853Ip
    }

    /// Whether the method has an error estimate (and so can be adaptive).
    pub fn is_adaptive(self) -> bool {
        matches!(
            self,
            NlseMethod::Erk43Ip | NlseMethod::Dopri5Ip | NlseMethod::Tsit5Ip | NlseMethod::Dop853Ip
        )
    }
}

/// The NLSE scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NlseCase {
    /// A single bright soliton (exact solution).
    Soliton,
    /// Two solitons colliding (position shifts known analytically).
    TwoSoliton,
    /// The Akhmediev breather (exact solution).
    Breather,
    /// Modulation instability of a plane wave seeded by noise.
    ModulationInstability,
    /// A Gaussian pulse (no exact solution; works focusing and defocusing).
    Gaussian,
}

impl NlseCase {
    /// All scenarios, in menu order.
    pub const ALL: [NlseCase; 5] = [
        NlseCase::Soliton,
        NlseCase::TwoSoliton,
        NlseCase::Breather,
        NlseCase::ModulationInstability,
        NlseCase::Gaussian,
    ];

    /// Link token.
    pub fn key(self) -> &'static str {
        match self {
            NlseCase::Soliton => "soliton",
            NlseCase::TwoSoliton => "collision",
            NlseCase::Breather => "breather",
            NlseCase::ModulationInstability => "mi",
            NlseCase::Gaussian => "gaussian",
        }
    }

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            NlseCase::Soliton => "Bright soliton",
            NlseCase::TwoSoliton => "Two-soliton collision",
            NlseCase::Breather => "Akhmediev breather",
            NlseCase::ModulationInstability => "Modulation instability",
            NlseCase::Gaussian => "Gaussian pulse",
        }
    }

    /// One line explaining the scenario and its reference.
    pub fn doc(self) -> &'static str {
        match self {
            NlseCase::Soliton => {
                "η sech(η(x−vt)) e^{i(vx+(η²−v²)t/2)}: exact, shape-preserving (Zakharov & Shabat 1972)."
            }
            NlseCase::TwoSoliton => {
                "Solitons pass through each other, shifted in position by (1/η)ln(...) (Zakharov & Shabat 1973)."
            }
            NlseCase::Breather => {
                "Exact Akhmediev breather: a periodic modulation grows from the plane wave and returns (Akhmediev et al. 1987)."
            }
            NlseCase::ModulationInstability => {
                "A plane wave with noise: sidebands grow at g(K)=|K|√(βγA²−β²K²/4) (Benjamin–Feir; Agrawal ch. 5)."
            }
            NlseCase::Gaussian => {
                "A Gaussian pulse: focusing reshapes into solitons, defocusing spreads (no exact solution)."
            }
        }
    }
}

/// Everything that defines an NLSE run. Part of the share link; `#[serde(default)]` so old
/// saved scenarios keep loading when fields are added.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NlseParams {
    /// Scenario.
    pub case: NlseCase,
    /// Grid points (a power of two, 256 … 65536).
    pub n: usize,
    /// Domain length L; the domain is [−L/2, L/2). For the breather and MI it is derived
    /// from the scenario (an integer number of modulation periods) and this is ignored.
    pub length: f64,
    /// Dispersion coefficient β.
    pub beta: f64,
    /// Nonlinearity coefficient γ (βγ > 0 focusing, < 0 defocusing).
    pub gamma: f64,
    /// Time-stepping method.
    pub method: NlseMethod,
    /// Step size for fixed-step runs, initial step for adaptive ones.
    pub dt: f64,
    /// Relative tolerance (adaptive methods).
    pub rtol: f64,
    /// Absolute tolerance (adaptive methods).
    pub atol: f64,
    /// Step-size controller (adaptive methods).
    pub controller: ControllerKind,
    /// After an accepted step, a proposed step change by a factor below this keeps the step
    /// (1 = off; 1.5 is CVODE's default): each new step costs new propagator tables.
    pub hold: f64,
    /// Zero the top third of the spectrum of the nonlinear term (Orszag's 2/3 rule).
    pub dealias: bool,
    /// Damping rate of the exponential filter σ(k) = rate·(|k|/k_max)^36 (0 = off).
    pub filter_rate: f64,
    /// Soliton amplitude η (soliton, first soliton of the collision, Gaussian peak).
    pub amplitude: f64,
    /// Soliton velocity v (soliton; ±v in the collision).
    pub velocity: f64,
    /// Second soliton's amplitude (collision).
    pub amplitude2: f64,
    /// Initial separation of the colliding solitons.
    pub separation: f64,
    /// Breather parameter a ∈ (0, 1/2).
    pub breather_a: f64,
    /// Plane-wave amplitude A (MI).
    pub background: f64,
    /// Relative noise amplitude seeding MI.
    pub noise: f64,
    /// Random seed (MI noise).
    pub seed: u64,
}

impl Default for NlseParams {
    fn default() -> Self {
        Self {
            case: NlseCase::Soliton,
            n: 512,
            length: 50.0,
            beta: 1.0,
            gamma: 1.0,
            method: NlseMethod::Dop853Ip,
            dt: 0.01,
            rtol: 1e-9,
            atol: 1e-12,
            controller: ControllerKind::ProportionalIntegral,
            hold: 1.0,
            dealias: false,
            filter_rate: 0.0,
            amplitude: 1.0,
            velocity: 1.0,
            amplitude2: 0.8,
            separation: 20.0,
            breather_a: 0.25,
            background: 1.0,
            noise: 1e-4,
            seed: 1,
        }
    }
}

impl NlseParams {
    /// Defaults tuned for a scenario (domain, grid and step that show it well).
    pub fn for_case(case: NlseCase) -> Self {
        let base = Self {
            case,
            ..Self::default()
        };
        match case {
            NlseCase::Soliton | NlseCase::TwoSoliton => base,
            NlseCase::Breather => Self { n: 256, ..base },
            NlseCase::ModulationInstability => Self { n: 1024, ..base },
            NlseCase::Gaussian => Self {
                amplitude: 2.0,
                length: 40.0,
                n: 1024,
                ..base
            },
        }
    }

    /// Whether going from `old` to these parameters defines a different initial state
    /// (scenario, grid, scenario parameters): a restart, not a continuation.
    pub fn needs_restart_from(&self, old: &NlseParams) -> bool {
        self.case != old.case
            || self.n != old.n
            || scenarios::domain_length(self) != scenarios::domain_length(old)
            || self.amplitude != old.amplitude
            || self.velocity != old.velocity
            || self.amplitude2 != old.amplitude2
            || self.separation != old.separation
            || self.breather_a != old.breather_a
            || self.background != old.background
            || self.noise != old.noise
            || self.seed != old.seed
    }

    /// Whether the equation itself (L or N) differs from `old`'s: its conserved quantities
    /// change, so drifts are measured from the state at the change.
    pub fn equation_differs_from(&self, old: &NlseParams) -> bool {
        self.beta != old.beta
            || self.gamma != old.gamma
            || self.dealias != old.dealias
            || self.filter_rate != old.filter_rate
    }

    /// Checks every field's range; the message names the field and the allowed range.
    pub fn validate(&self) -> Result<(), String> {
        fn finite_in(name: &str, v: f64, lo: f64, hi: f64) -> Result<(), String> {
            if v.is_finite() && (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(format!(
                    "{name} = {} is outside the allowed range [{}, {}]",
                    format_f64(v),
                    format_f64(lo),
                    format_f64(hi)
                ))
            }
        }
        if !(256..=65536).contains(&self.n) || !self.n.is_power_of_two() {
            return Err(format!(
                "n = {} must be a power of two from 256 to 65536",
                self.n
            ));
        }
        finite_in("l (domain length)", self.length, 1e-3, 1e6)?;
        finite_in("beta", self.beta, -1e3, 1e3)?;
        finite_in("gamma", self.gamma, -1e3, 1e3)?;
        if self.beta == 0.0 {
            return Err(
                "beta must be nonzero (no dispersion makes the problem a pure ODE per point)"
                    .into(),
            );
        }
        finite_in("dt", self.dt, 1e-9, 10.0)?;
        finite_in("rtol", self.rtol, 1e-15, 1.0)?;
        finite_in("atol", self.atol, 0.0, 1.0)?;
        if self.rtol == 0.0 && self.atol == 0.0 {
            return Err("rtol and atol cannot both be 0".into());
        }
        finite_in("hold", self.hold, 1.0, 10.0)?;
        finite_in("filter", self.filter_rate, 0.0, 1e6)?;
        finite_in("amp", self.amplitude, 1e-6, 100.0)?;
        finite_in("v", self.velocity, -100.0, 100.0)?;
        finite_in("amp2", self.amplitude2, 1e-6, 100.0)?;
        finite_in("sep", self.separation, 0.0, 1e5)?;
        finite_in("a (breather)", self.breather_a, 1e-3, 0.499)?;
        finite_in("bg", self.background, 1e-6, 100.0)?;
        finite_in("noise", self.noise, 0.0, 1.0)?;
        if matches!(
            self.case,
            NlseCase::Soliton
                | NlseCase::TwoSoliton
                | NlseCase::Breather
                | NlseCase::ModulationInstability
        ) && self.beta * self.gamma <= 0.0
        {
            return Err(format!(
                "the {} scenario needs the focusing regime βγ > 0 (got β = {}, γ = {}); use the Gaussian pulse for defocusing",
                self.case.label(),
                self.beta,
                self.gamma
            ));
        }
        Ok(())
    }
}

/// The live diagnostics of an NLSE run (shared by the CPU and GPU paths).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NlseDiagnostics {
    /// Simulation time.
    pub t: f64,
    /// Mass ∫|ψ|².
    pub mass: f64,
    /// Momentum Im∫ψ*ψ_x.
    pub momentum: f64,
    /// Hamiltonian ∫(β/2)|ψ_x|² − (γ/2)|ψ|⁴.
    pub hamiltonian: f64,
    /// |M − M0|/|M0|.
    pub mass_drift: f64,
    /// |P − P0| / max(|P0|, M0) (momentum can be 0).
    pub momentum_drift: f64,
    /// |H − H0| / max(|H0|, ...).
    pub hamiltonian_drift: f64,
    /// Relative L2 error against the exact solution, if the scenario has one.
    pub exact_error: Option<f64>,
    /// Fraction of the spectral energy in the top 20 % of |k| (a resolution warning).
    pub spectral_tail: f64,
    /// Shannon entropy −∫ρ ln ρ of ρ = |ψ|²/M.
    pub shannon_entropy: f64,
    /// Rényi entropy of order 2, −ln ∫ρ².
    pub renyi2_entropy: f64,
    /// Tsallis entropy of order 2, 1 − ∫ρ².
    pub tsallis2_entropy: f64,
    /// max |ψ|.
    pub peak: f64,
}

/// The sums every diagnostic is computed from, over the spectrum ψ̂ (in FFT order, ψ̂ = Fψ/N)
/// and over ψ on the grid. The f64 CPU path and the f32 GPU reductions fill the same sums,
/// so both report through [`NlseDiagnostics::from_sums`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DiagnosticSums {
    /// Σ|ψ̂_k|².
    pub spectral_mass: f64,
    /// Σ k|ψ̂_k|² without the Nyquist mode (it has no sign; its first derivative is taken as 0).
    pub spectral_momentum: f64,
    /// Σ k²|ψ̂_k|².
    pub spectral_gradient: f64,
    /// Σ |ψ̂_k|² over |k| > 0.8 k_max.
    pub spectral_tail: f64,
    /// Σ_j |ψ_j|⁴.
    pub quartic: f64,
    /// Σ_j q_j ln q_j with q_j = |ψ_j|² (0 ln 0 = 0).
    pub q_log_q: f64,
    /// max_j |ψ_j|².
    pub max_intensity: f64,
}

impl NlseDiagnostics {
    /// The diagnostics of `params` on a grid of `n` points and length `length` from `sums`,
    /// drifts relative to `initial` (None: this is the initial state).
    pub fn from_sums(
        params: &NlseParams,
        n: usize,
        length: f64,
        t: f64,
        sums: &DiagnosticSums,
        exact_error: Option<f64>,
        initial: Option<&NlseDiagnostics>,
    ) -> Self {
        let dx = length / n as f64;
        // Parseval with ψ̂ = Fψ/N: ∫|ψ|² dx = dx·N·Σ|ψ̂_k|² = L·Σ|ψ̂_k|².
        let mass = length * sums.spectral_mass;
        let momentum = length * sums.spectral_momentum;
        let kinetic = 0.5 * params.beta * length * sums.spectral_gradient;
        let potential = 0.5 * params.gamma * sums.quartic * dx;
        let hamiltonian = kinetic - potential;
        // With ρ = q/M: −∫ρ ln ρ = −(dx/M)·Σ q ln q + ln M·(dx/M)·Σq, and dx·Σq = M.
        let m = mass.max(f64::MIN_POSITIVE);
        let shannon = -(dx / m) * sums.q_log_q + m.ln();
        let sum_rho2 = dx * sums.quartic / (m * m);
        let (m0, p0, h0) = match initial {
            Some(i) => (i.mass, i.momentum, i.hamiltonian),
            None => (mass, momentum, hamiltonian),
        };
        let rel =
            |now: f64, then: f64, scale: f64| (now - then).abs() / scale.max(f64::MIN_POSITIVE);
        Self {
            t,
            mass,
            momentum,
            hamiltonian,
            mass_drift: rel(mass, m0, m0.abs()),
            momentum_drift: rel(momentum, p0, p0.abs().max(m0.abs() * 1e-3)),
            hamiltonian_drift: rel(
                hamiltonian,
                h0,
                h0.abs().max((kinetic.abs() + potential.abs()) * 1e-3),
            ),
            exact_error,
            spectral_tail: sums.spectral_tail / sums.spectral_mass.max(f64::MIN_POSITIVE),
            shannon_entropy: shannon,
            renyi2_entropy: -sum_rho2.ln(),
            tsallis2_entropy: 1.0 - sum_rho2,
            peak: sums.max_intensity.sqrt(),
        }
    }
}

crate::impl_choice!(NlseMethod, NlseCase);

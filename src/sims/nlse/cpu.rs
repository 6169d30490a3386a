//! The f64 CPU reference of the NLSE: pseudo-spectral in x (rustfft), split-step and
//! interaction-picture Runge–Kutta in t. See the module header of [`super`] for the equation.

use std::sync::Arc;

use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};

use super::control::{StepControl, mass_sum_limit};
use super::scenarios;
use super::{DiagnosticSums, NlseCase, NlseDiagnostics, NlseMethod, NlseParams};
use crate::core::controller::StepController;
use crate::core::elem::ErrorNorm;
use crate::core::history::DecimatingSeries;
use crate::core::integrate::{Steppable, advance};
use crate::core::ip::{InteractionPictureRk, SemilinearSystem};
use crate::core::kernels;
use crate::core::rk::{Attempt, Tolerances};
use crate::core::stats::{Outcome, RunStats};
use crate::core::tableau::{DOP853, DP54, ERK43, RK4, TSIT54};
use crate::sims::run::Backend;

/// The periodic grid and its wavenumbers.
#[derive(Clone, Debug)]
pub struct Grid {
    /// Number of points.
    pub n: usize,
    /// Domain length.
    pub length: f64,
    /// Points x_j = −L/2 + jL/N.
    pub x: Vec<f64>,
    /// Wavenumbers in FFT order: 2π/L · (0, 1, …, N/2−1, −N/2, …, −1).
    pub k: Vec<f64>,
}

impl Grid {
    /// A grid of `n` points on a domain of length `length`.
    pub fn new(n: usize, length: f64) -> Self {
        let dx = length / n as f64;
        let dk = std::f64::consts::TAU / length;
        let x = (0..n).map(|j| -length / 2.0 + j as f64 * dx).collect();
        let k = (0..n)
            .map(|j| {
                let m = if j < n / 2 {
                    j as i64
                } else {
                    j as i64 - n as i64
                };
                m as f64 * dk
            })
            .collect();
        Self { n, length, x, k }
    }

    /// Largest resolved wavenumber π/dx.
    pub fn k_max(&self) -> f64 {
        std::f64::consts::PI * self.n as f64 / self.length
    }
}

/// The right-hand side `N(ψ̂) = F[iγ|ψ|²ψ]` with its FFT plans and scratch: the only place
/// where the state visits physical space during an RK step.
pub struct NlseSystem {
    symbol: Vec<Complex64>,
    gamma: f64,
    dealias_mask: Option<Vec<bool>>,
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
    physical: Vec<Complex64>,
    fft_scratch: Vec<Complex64>,
    /// 1/N, applied on the forward transform only: a power of two, so exact. (A unitary
    /// 1/√N on both transforms is not representable and biases the mass by ~1e-16 per
    /// transform pair, which accumulates linearly over a long run.)
    inverse_n: f64,
}

impl NlseSystem {
    /// The system of `p` on `grid`.
    pub fn new(p: &NlseParams, grid: &Grid) -> Self {
        let mut planner = FftPlanner::new();
        let forward = planner.plan_fft_forward(grid.n);
        let inverse = planner.plan_fft_inverse(grid.n);
        let scratch_len = forward
            .get_inplace_scratch_len()
            .max(inverse.get_inplace_scratch_len());
        let k_max = grid.k_max();
        let symbol = grid
            .k
            .iter()
            .map(|&k| {
                // Exponential filter as a damping rate (Hou & Li 2007 use e^{−36(k/kmax)^36}
                // per step; as a rate it is independent of the step size).
                let damping = p.filter_rate * (k.abs() / k_max).powi(36);
                Complex64::new(-damping, -0.5 * p.beta * k * k)
            })
            .collect();
        let dealias_mask = p.dealias.then(|| {
            grid.k
                .iter()
                .map(|&k| k.abs() <= 2.0 / 3.0 * k_max)
                .collect()
        });
        Self {
            symbol,
            gamma: p.gamma,
            dealias_mask,
            forward,
            inverse,
            physical: vec![Complex64::default(); grid.n],
            fft_scratch: vec![Complex64::default(); scratch_len],
            inverse_n: 1.0 / grid.n as f64,
        }
    }

    /// ψ_j = Σ_k ψ̂_k e^{ik x_j} into `out`.
    pub fn to_physical(&mut self, psi_hat: &[Complex64], out: &mut [Complex64]) {
        out.copy_from_slice(psi_hat);
        self.inverse
            .process_with_scratch(out, &mut self.fft_scratch);
    }

    /// ψ̂_k = (1/N) Σ_j ψ_j e^{−ik x_j} in place.
    pub fn to_spectral(&mut self, data: &mut [Complex64]) {
        self.forward
            .process_with_scratch(data, &mut self.fft_scratch);
        for v in data.iter_mut() {
            *v *= self.inverse_n;
        }
    }

    /// Zeroes the modes the 2/3 rule removes (no-op without dealiasing).
    pub fn apply_mask(&self, data: &mut [Complex64]) {
        if let Some(mask) = &self.dealias_mask {
            for (v, keep) in data.iter_mut().zip(mask) {
                if !keep {
                    *v = Complex64::default();
                }
            }
        }
    }
}

impl SemilinearSystem for NlseSystem {
    fn linear_symbol(&self) -> &[Complex64] {
        &self.symbol
    }

    fn nonlinear_in_place(&mut self, _t: f64, data: &mut [Complex64]) {
        self.inverse
            .process_with_scratch(data, &mut self.fft_scratch);
        // The forward transform's 1/N is folded into the pointwise product (the FFT is
        // linear), saving a pass over the data.
        kernels::cubic(data, Complex64::new(0.0, self.gamma * self.inverse_n));
        self.forward
            .process_with_scratch(data, &mut self.fft_scratch);
        self.apply_mask(data);
    }
}

/// Validates `params` and builds what both the CPU and the GPU path start from: the grid,
/// the right-hand side and the initial ψ̂ (in f64).
pub fn setup(params: &NlseParams) -> Result<(Grid, NlseSystem, Vec<Complex64>), String> {
    params.validate()?;
    let grid = Grid::new(params.n, scenarios::domain_length(params));
    let mut system = NlseSystem::new(params, &grid);
    let mut psi_hat = scenarios::initial_state(params, &grid.x);
    system.to_spectral(&mut psi_hat);
    system.apply_mask(&mut psi_hat);
    Ok((grid, system, psi_hat))
}

/// The diagnostic sums of ψ̂ and ψ = F⁻¹ψ̂ in f64.
pub fn spectral_and_physical_sums(
    grid: &Grid,
    psi_hat: &[Complex64],
    psi: &[Complex64],
) -> DiagnosticSums {
    let k_max = grid.k_max();
    let nyquist = grid.n / 2;
    let mut sums = DiagnosticSums::default();
    for (j, (v, &k)) in psi_hat.iter().zip(&grid.k).enumerate() {
        let p = v.norm_sqr();
        sums.spectral_mass += p;
        if j != nyquist {
            sums.spectral_momentum += k * p;
        }
        sums.spectral_gradient += k * k * p;
        if k.abs() > 0.8 * k_max {
            sums.spectral_tail += p;
        }
    }
    for z in psi {
        let q = z.norm_sqr();
        sums.quartic += q * q;
        if q > 0.0 {
            sums.q_log_q += q * q.ln();
        }
        sums.max_intensity = sums.max_intensity.max(q);
    }
    sums
}

/// Relative L2 error of ψ on the grid against the scenario's exact solution at `t` (None when
/// the scenario has none).
pub fn exact_error(params: &NlseParams, grid: &Grid, psi: &[Complex64], t: f64) -> Option<f64> {
    scenarios::has_exact(params.case).then(|| {
        let (mut diff, mut norm) = (0.0, 0.0);
        for (z, &x) in psi.iter().zip(&grid.x) {
            let e = scenarios::exact(params, x, t).unwrap_or_default();
            diff += (z - e).norm_sqr();
            norm += e.norm_sqr();
        }
        (diff / norm.max(f64::MIN_POSITIVE)).sqrt()
    })
}

/// Time between waterfall rows: a time scale of the scenario divided into rows.
pub fn waterfall_interval(params: &NlseParams) -> f64 {
    let horizon = match params.case {
        NlseCase::Breather => 2.0 * scenarios::BREATHER_T0 / params.beta.abs(),
        _ => 20.0,
    };
    horizon / WATERFALL_ROWS as f64
}

/// Triple-jump weights of the 4th-order composition (Yoshida 1990, eq. (5.4);
/// Forest & Ruth 1990): w1 = 1/(2 − 2^{1/3}), w0 = 1 − 2·w1.
pub fn yoshida4_weights() -> [f64; 3] {
    let w1 = 1.0 / (2.0 - 2f64.powf(1.0 / 3.0));
    [w1, 1.0 - 2.0 * w1, w1]
}

/// The stepper of the current method.
enum Stepper {
    /// A composition of Strang steps with the given weights, with the linear half-steps
    /// between sub-steps fused: e^{Lw₁h/2} N(w₁h) e^{L(w₁+w₂)h/2} … N(w_m h) e^{Lw_m h/2}.
    Split {
        weights: Vec<f64>,
        /// The m+1 linear propagators for the step `h` they were built for.
        propagators: Option<(f64, Vec<Vec<Complex64>>)>,
    },
    InteractionPicture(Box<InteractionPictureRk>),
}

/// What the integration loop drives: the system plus the method.
struct NlseStepper<'a> {
    system: &'a mut NlseSystem,
    stepper: &'a mut Stepper,
    tol: Tolerances,
    error_order: u32,
    /// Upper bound on Σ|ψ̂_k|²: the equation conserves mass (the filter and dealiasing only
    /// remove it), so doubling it can only be a numerical blow-up.
    mass_sum_limit: f64,
}

impl NlseStepper<'_> {
    /// The fused linear propagators of a composition with `weights` over a step `h`.
    fn split_propagators(symbol: &[Complex64], weights: &[f64], h: f64) -> Vec<Vec<Complex64>> {
        let m = weights.len();
        (0..=m)
            .map(|i| {
                let before = if i > 0 { weights[i - 1] } else { 0.0 };
                let after = if i < m { weights[i] } else { 0.0 };
                let s = 0.5 * (before + after) * h;
                symbol.iter().map(|l| (l * s).exp()).collect()
            })
            .collect()
    }

    /// The exact nonlinear sub-flow over `h` in physical space: |ψ| is constant under
    /// iψ_t = −γ|ψ|²ψ, so ψ ← ψ·e^{iγ|ψ|²h}.
    fn nonlinear_phase(system: &mut NlseSystem, h: f64, u: &mut [Complex64]) {
        let mut physical = std::mem::take(&mut system.physical);
        system.to_physical(u, &mut physical);
        let gamma_h = system.gamma * h;
        for psi in physical.iter_mut() {
            *psi *= Complex64::from_polar(1.0, gamma_h * psi.norm_sqr());
        }
        u.copy_from_slice(&physical);
        system.physical = physical;
        system.to_spectral(u);
        system.apply_mask(u);
    }
}

impl Steppable<Complex64> for NlseStepper<'_> {
    fn attempt(&mut self, t: f64, h: f64, y0: &[Complex64], y1: &mut [Complex64]) -> Attempt {
        match self.stepper {
            Stepper::Split {
                weights,
                propagators,
            } => {
                if propagators
                    .as_ref()
                    .is_none_or(|(cached_h, _)| *cached_h != h)
                {
                    *propagators =
                        Some((h, Self::split_propagators(&self.system.symbol, weights, h)));
                }
                let tables = propagators
                    .as_ref()
                    .map(|(_, p)| p.as_slice())
                    .unwrap_or_default();
                for (y, (v, e)) in y1.iter_mut().zip(y0.iter().zip(&tables[0])) {
                    *y = v * e;
                }
                for (w, table) in weights.iter().zip(&tables[1..]) {
                    Self::nonlinear_phase(self.system, w * h, y1);
                    for (y, e) in y1.iter_mut().zip(table) {
                        *y *= e;
                    }
                }
                Attempt {
                    error: None,
                    nfe: weights.len() as u64,
                }
            }
            Stepper::InteractionPicture(rk) => rk.step(self.system, t, h, y0, y1, &self.tol),
        }
    }

    fn accepted(&mut self, t1: f64) {
        if let Stepper::InteractionPicture(rk) = self.stepper {
            rk.accepted(t1);
        }
    }

    fn error_order(&self) -> u32 {
        self.error_order
    }

    fn admissible(&self, y1: &[Complex64]) -> bool {
        y1.iter().map(|v| v.norm_sqr()).sum::<f64>() <= self.mass_sum_limit
    }
}

/// Histories of the diagnostics for live plots (bounded memory).
pub struct NlseHistory {
    /// Relative mass drift.
    pub mass_drift: DecimatingSeries,
    /// Momentum drift.
    pub momentum_drift: DecimatingSeries,
    /// Hamiltonian drift.
    pub hamiltonian_drift: DecimatingSeries,
    /// Accepted step sizes.
    pub step_size: DecimatingSeries,
    /// Scaled error estimates.
    pub error_estimate: DecimatingSeries,
    /// Cumulative rejected steps.
    pub rejected: DecimatingSeries,
    /// Error against the exact solution.
    pub exact_error: DecimatingSeries,
    /// Shannon entropy.
    pub shannon: DecimatingSeries,
    /// Spectral tail fraction.
    pub spectral_tail: DecimatingSeries,
}

impl Default for NlseHistory {
    fn default() -> Self {
        Self::new()
    }
}

impl NlseHistory {
    /// Appends the sampled diagnostics `d` at `d.t` (both paths call this).
    pub fn record(&mut self, d: &NlseDiagnostics) {
        let t = d.t;
        // Log plots cannot show 0: floor drifts at 1e-18.
        self.mass_drift.push(t, d.mass_drift.max(1e-18));
        self.momentum_drift.push(t, d.momentum_drift.max(1e-18));
        self.hamiltonian_drift
            .push(t, d.hamiltonian_drift.max(1e-18));
        if let Some(e) = d.exact_error {
            self.exact_error.push(t, e.max(1e-18));
        }
        self.shannon.push(t, d.shannon_entropy);
        self.spectral_tail.push(t, d.spectral_tail.max(1e-30));
    }

    /// Empty histories.
    pub fn new() -> Self {
        let s = || DecimatingSeries::new(2048);
        Self {
            mass_drift: s(),
            momentum_drift: s(),
            hamiltonian_drift: s(),
            step_size: s(),
            error_estimate: s(),
            rejected: s(),
            exact_error: s(),
            shannon: s(),
            spectral_tail: s(),
        }
    }
}

/// Rows of |ψ|² over x and t for the space–time waterfall, downsampled to at most
/// `WATERFALL_WIDTH` columns and kept as a ring of `WATERFALL_ROWS` rows.
pub struct Waterfall {
    /// Row-major |ψ|² values, oldest row first after [`Waterfall::ordered_rows`].
    rows: Vec<Vec<f32>>,
    next: usize,
    /// The time of each row.
    times: Vec<f64>,
}

/// Columns of the waterfall.
pub const WATERFALL_WIDTH: usize = 512;
/// Rows kept in the waterfall.
pub const WATERFALL_ROWS: usize = 256;

impl Default for Waterfall {
    fn default() -> Self {
        Self::new()
    }
}

impl Waterfall {
    /// No rows yet.
    pub fn new() -> Self {
        Self {
            rows: Vec::new(),
            next: 0,
            times: Vec::new(),
        }
    }

    /// Appends the row of |ψ|² at time `t` (downsampled by maxima), dropping the oldest.
    pub fn push(&mut self, t: f64, intensity: &[f64]) {
        let stride = intensity.len().div_ceil(WATERFALL_WIDTH).max(1);
        let row: Vec<f32> = intensity
            .chunks(stride)
            .map(|c| c.iter().copied().fold(0.0, f64::max) as f32)
            .collect();
        if self.rows.len() < WATERFALL_ROWS {
            self.rows.push(row);
            self.times.push(t);
        } else {
            self.rows[self.next] = row;
            self.times[self.next] = t;
            self.next = (self.next + 1) % WATERFALL_ROWS;
        }
    }

    /// Rows oldest first, with their times.
    pub fn ordered_rows(&self) -> impl Iterator<Item = (f64, &[f32])> {
        let n = self.rows.len();
        (0..n).map(move |i| {
            let idx = (self.next + i) % n.max(1);
            (self.times[idx], self.rows[idx].as_slice())
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// The NLSE on the CPU in f64.
pub struct NlseCpu {
    params: NlseParams,
    grid: Grid,
    system: NlseSystem,
    stepper: Stepper,
    controller: StepController,
    /// ψ̂ = Fψ/N, the Fourier amplitudes.
    psi_hat: Vec<Complex64>,
    scratch: Vec<Complex64>,
    physical: Vec<Complex64>,
    stats: RunStats,
    outcome: Outcome,
    initial: NlseDiagnostics,
    diagnostics: NlseDiagnostics,
    history: NlseHistory,
    waterfall: Waterfall,
    last_waterfall_t: f64,
    /// Time of the last diagnostics sample (NaN before the first).
    last_sample_t: f64,
}

impl NlseCpu {
    /// A run of `params` at t = 0. Invalid parameters are an error naming the field.
    pub fn new(params: NlseParams) -> Result<Self, String> {
        let (grid, system, psi_hat) = setup(&params)?;
        let n = grid.n;
        let mut sim = Self {
            stepper: Self::make_stepper(params.method, n),
            controller: Self::make_controller(&params),
            stats: RunStats {
                h: params.dt,
                last_error: f64::NAN,
                ..RunStats::default()
            },
            params,
            grid,
            system,
            psi_hat,
            scratch: vec![Complex64::default(); n],
            physical: vec![Complex64::default(); n],
            outcome: Outcome::BudgetExhausted,
            initial: NlseDiagnostics::default(),
            diagnostics: NlseDiagnostics::default(),
            history: NlseHistory::new(),
            waterfall: Waterfall::new(),
            last_waterfall_t: f64::NEG_INFINITY,
            last_sample_t: f64::NAN,
        };
        sim.initial = sim.compute_diagnostics();
        sim.refresh();
        Ok(sim)
    }

    /// Continues a run from a state handed over by the GPU path: ψ̂ at `stats.t`, with the
    /// counters, the initial diagnostics (drifts stay relative to t = 0) and the histories.
    pub fn from_state(
        params: NlseParams,
        psi_hat: &[Complex64],
        stats: RunStats,
        initial: NlseDiagnostics,
        history: NlseHistory,
    ) -> Result<Self, String> {
        let mut sim = Self::new(params)?;
        if psi_hat.len() != sim.grid.n {
            return Err(format!(
                "state of {} modes handed to a grid of {}",
                psi_hat.len(),
                sim.grid.n
            ));
        }
        sim.psi_hat.copy_from_slice(psi_hat);
        sim.system.apply_mask(&mut sim.psi_hat);
        sim.stats = RunStats {
            last_error: f64::NAN,
            h: if stats.h > 0.0 {
                stats.h
            } else {
                sim.params.dt
            },
            ..stats
        };
        sim.initial = initial;
        sim.history = history;
        sim.last_sample_t = f64::NAN;
        sim.refresh();
        Ok(sim)
    }

    /// The state for a checkpoint: ψ̂, the counters and the controller's memory.
    pub fn checkpoint_state(&self) -> crate::checkpoint::RunState {
        let mut state = crate::checkpoint::RunState::default();
        state.put("psi_hat", self.psi_hat.iter().flat_map(|z| [z.re, z.im]));
        state.put_stats(&self.stats);
        state.put_controller(&self.controller);
        if let Stepper::InteractionPicture(ip) = &self.stepper
            && let Some((t, stage)) = ip.carried_stage()
        {
            state.put("carried_stage_t", [t]);
            state.put("carried_stage", stage.iter().flat_map(|z| [z.re, z.im]));
        }
        state
    }

    /// The run of `params` continued from a checkpoint's state (the drifts stay relative to
    /// t = 0, which the parameters define).
    pub fn from_checkpoint(
        params: NlseParams,
        state: &crate::checkpoint::RunState,
    ) -> Result<Self, String> {
        let mut sim = Self::new(params)?;
        let values = state.get_len("psi_hat", 2 * sim.grid.n)?;
        for (z, pair) in sim.psi_hat.iter_mut().zip(values.chunks_exact(2)) {
            *z = Complex64::new(pair[0], pair[1]);
        }
        sim.stats = state.stats()?;
        state.restore_controller(&mut sim.controller)?;
        if let (Stepper::InteractionPicture(ip), Ok(t)) =
            (&mut sim.stepper, state.get_len("carried_stage_t", 1))
        {
            let values = state.get_len("carried_stage", 2 * sim.grid.n)?;
            let stage: Vec<Complex64> = values
                .chunks_exact(2)
                .map(|p| Complex64::new(p[0], p[1]))
                .collect();
            ip.set_carried_stage(t[0], &stage)?;
        }
        sim.last_sample_t = f64::NAN;
        sim.refresh();
        Ok(sim)
    }

    /// Takes the histories (for a hand-over to the GPU path).
    pub fn take_history(&mut self) -> NlseHistory {
        std::mem::take(&mut self.history)
    }

    fn make_stepper(method: NlseMethod, n: usize) -> Stepper {
        let ip = |tab| Stepper::InteractionPicture(Box::new(InteractionPictureRk::new(tab, n)));
        match method {
            NlseMethod::StrangSplitStep => Stepper::Split {
                weights: vec![1.0],
                propagators: None,
            },
            NlseMethod::Yoshida4SplitStep => Stepper::Split {
                weights: yoshida4_weights().to_vec(),
                propagators: None,
            },
            NlseMethod::Rk4Ip => ip(&RK4),
            NlseMethod::Erk43Ip => ip(&ERK43),
            NlseMethod::Dopri5Ip => ip(&DP54),
            NlseMethod::Tsit5Ip => ip(&TSIT54),
            NlseMethod::Dop853Ip => ip(&DOP853),
        }
    }

    fn make_controller(p: &NlseParams) -> StepController {
        let control = StepControl::of(p, Backend::Cpu);
        StepController::new(control.kind, control.limits)
    }

    fn error_order(&self) -> u32 {
        match &self.stepper {
            Stepper::Split { .. } => self.params.method.order(),
            Stepper::InteractionPicture(rk) => rk.tableau().error_order,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &NlseParams {
        &self.params
    }

    /// The grid.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// How many times the interaction-picture propagator tables were built (None for the
    /// split-step methods, whose half-step tables are built once).
    pub fn propagator_builds(&self) -> Option<u64> {
        match &self.stepper {
            Stepper::InteractionPicture(rk) => Some(rk.table_builds()),
            Stepper::Split { .. } => None,
        }
    }

    /// Run statistics.
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }

    /// Why the last advance stopped.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// Current diagnostics.
    pub fn diagnostics(&self) -> &NlseDiagnostics {
        &self.diagnostics
    }

    /// Diagnostics at t = 0.
    pub fn initial_diagnostics(&self) -> &NlseDiagnostics {
        &self.initial
    }

    /// Plot histories.
    pub fn history(&self) -> &NlseHistory {
        &self.history
    }

    /// The space–time waterfall.
    pub fn waterfall(&self) -> &Waterfall {
        &self.waterfall
    }

    /// ψ̂ in FFT order, ψ̂ = Fψ/N (so ψ̂_k is the amplitude of e^{ikx}).
    pub fn spectrum(&self) -> &[Complex64] {
        &self.psi_hat
    }

    /// ψ on the grid.
    pub fn field(&mut self) -> Vec<Complex64> {
        let mut out = vec![Complex64::default(); self.grid.n];
        self.system.to_physical(&self.psi_hat, &mut out);
        out
    }

    /// Applies new parameters. Solver, tolerance, controller and step changes continue from
    /// the current state; changes to the equation's coefficients also continue (the user
    /// asked to see their effect); changes that define a different initial state (scenario,
    /// grid, scenario parameters) restart. Returns whether it restarted.
    pub fn set_params(&mut self, params: NlseParams) -> Result<bool, String> {
        params.validate()?;
        let old = &self.params;
        if params.needs_restart_from(old) {
            *self = Self::new(params)?;
            return Ok(true);
        }
        let equation_changed = params.equation_differs_from(old);
        if params.method != old.method {
            self.stepper = Self::make_stepper(params.method, self.grid.n);
        }
        if equation_changed {
            self.system = NlseSystem::new(&params, &self.grid);
            self.system.apply_mask(&mut self.psi_hat);
        }
        match &mut self.stepper {
            Stepper::InteractionPicture(rk) => rk.invalidate(),
            Stepper::Split { propagators, .. } => *propagators = None,
        }
        self.controller = Self::make_controller(&params);
        if params.dt != old.dt || params.method != old.method || !params.method.is_adaptive() {
            self.stats.h = params.dt;
        }
        self.params = params;
        if equation_changed {
            // Conserved quantities are those of the new equation from here on.
            self.initial = self.compute_diagnostics();
        }
        if !self.outcome.is_ok() {
            self.outcome = Outcome::BudgetExhausted;
        }
        self.refresh();
        Ok(false)
    }

    /// Advances towards `t_end` with at most `max_attempts` step attempts and brings the
    /// diagnostics up to date. Stops early on failure, keeping the last good state, and
    /// reports why.
    pub fn advance(&mut self, t_end: f64, max_attempts: u64) -> Outcome {
        let outcome = self.advance_recording(t_end, max_attempts);
        self.refresh();
        outcome
    }

    /// Takes exactly one accepted step (retrying rejected attempts, at most 100) and brings
    /// the diagnostics up to date: the "single step" button.
    pub fn single_step(&mut self) -> Outcome {
        let outcome = self.step_recording();
        self.refresh();
        outcome
    }

    /// One accepted step, recording histories but without the final diagnostics refresh
    /// (the live loop refreshes once per frame instead, see [`NlseCpu::refresh`]).
    pub fn step_recording(&mut self) -> Outcome {
        let accepted_before = self.stats.accepted;
        let far = self.stats.t + 1e9;
        for _ in 0..100 {
            let outcome = self.advance_recording(far, 1);
            if !outcome.is_ok() || self.stats.accepted > accepted_before {
                return outcome;
            }
        }
        Outcome::BudgetExhausted
    }

    /// The stepping loop. Step size, error estimate and rejections are recorded after every
    /// accepted step (they cost nothing); the FFT-based diagnostics are sampled every
    /// [`NlseCpu::sample_interval`] of simulation time so they do not dominate the cost of
    /// cheap steps.
    fn advance_recording(&mut self, t_end: f64, max_attempts: u64) -> Outcome {
        if !self.outcome.is_ok() {
            return self.outcome.clone();
        }
        let control = StepControl::of(&self.params, Backend::Cpu);
        let tol = Tolerances {
            rtol: control.rtol,
            atol: control.atol_per_mode(self.grid.n),
            norm: ErrorNorm::GlobalRelativeL2,
        };
        let error_order = self.error_order();
        let sample_interval = self.sample_interval();
        let mass_sum_limit = mass_sum_limit(self.initial.mass, self.grid.length);
        let mut outcome = Outcome::BudgetExhausted;
        let mut attempts_left = max_attempts;
        while attempts_left > 0 {
            let accepted_before = self.stats.accepted;
            let rejected_before = self.stats.rejected;
            let mut stepper = NlseStepper {
                system: &mut self.system,
                stepper: &mut self.stepper,
                tol,
                error_order,
                mass_sum_limit,
            };
            outcome = advance(
                &mut stepper,
                &mut self.controller,
                &mut self.stats,
                &mut self.psi_hat,
                &mut self.scratch,
                t_end,
                1,
            );
            let used =
                (self.stats.accepted - accepted_before) + (self.stats.rejected - rejected_before);
            attempts_left = attempts_left.saturating_sub(used.max(1));
            if self.stats.accepted > accepted_before {
                self.record_step();
                if self.stats.t - self.last_sample_t >= sample_interval {
                    self.refresh();
                }
            }
            if outcome != Outcome::BudgetExhausted {
                break;
            }
        }
        if !outcome.is_ok() {
            self.outcome = outcome.clone();
        }
        outcome
    }

    /// Records the per-step quantities of the last accepted step.
    fn record_step(&mut self) {
        let (t, h) = (self.stats.t, &mut self.history);
        h.step_size.push(t, self.stats.h_last);
        if self.stats.last_error.is_finite() {
            h.error_estimate.push(t, self.stats.last_error.max(1e-18));
        }
        h.rejected.push(t, self.stats.rejected as f64);
    }

    /// Simulation time between samples of the FFT-based diagnostics in the histories.
    fn sample_interval(&self) -> f64 {
        self.waterfall_interval() / 4.0
    }

    /// Recomputes the diagnostics at the current time and appends them to the histories.
    pub fn refresh(&mut self) {
        let t = self.stats.t;
        self.diagnostics = self.compute_diagnostics();
        if t == self.last_sample_t {
            // Already sampled at this time (e.g. by the stepping loop): nothing to append.
            return;
        }
        self.last_sample_t = t;
        self.history.record(&self.diagnostics);
        if t - self.last_waterfall_t >= self.waterfall_interval() {
            let intensity: Vec<f64> = self.physical.iter().map(|p| p.norm_sqr()).collect();
            self.waterfall.push(t, &intensity);
            self.last_waterfall_t = t;
        }
    }

    fn waterfall_interval(&self) -> f64 {
        waterfall_interval(&self.params)
    }

    /// Computes every diagnostic from ψ̂ (spectrally) and ψ (for the quartic term and the
    /// entropies). Leaves ψ in `self.physical`.
    fn compute_diagnostics(&mut self) -> NlseDiagnostics {
        self.system.to_physical(&self.psi_hat, &mut self.physical);
        let sums = spectral_and_physical_sums(&self.grid, &self.psi_hat, &self.physical);
        let exact_error = exact_error(&self.params, &self.grid, &self.physical, self.stats.t);
        let is_initial =
            self.stats.accepted == 0 && self.stats.t == 0.0 && self.initial.mass == 0.0;
        NlseDiagnostics::from_sums(
            &self.params,
            self.grid.n,
            self.grid.length,
            self.stats.t,
            &sums,
            exact_error,
            (!is_initial).then_some(&self.initial),
        )
    }

    /// Position of the intensity peak inside `[lo, hi)` by the |ψ|²-weighted mean over the
    /// window (exact for a symmetric pulse that fits in the window).
    pub fn centroid(&mut self, lo: f64, hi: f64) -> f64 {
        let psi = self.field();
        let (mut num, mut den) = (0.0, 0.0);
        for (p, &x) in psi.iter().zip(&self.grid.x) {
            if x >= lo && x < hi {
                num += x * p.norm_sqr();
                den += p.norm_sqr();
            }
        }
        num / den
    }
}

//! Fixed-grid samplers as programs of a small register machine.
//!
//! Every fixed-grid sampler in the literature updates the particles by linear combinations of
//! the current state, earlier states and denoiser outputs `x̂₀ = D(x, t)` (or noise predictions
//! `ε̂ = (x − α x̂₀)/σ`, themselves such combinations), plus scaled Gaussian noise. The
//! coefficients depend on the grid only, so each sampler is compiled once, in f64, into per-step
//! lists of two operations:
//!
//! - `Denoise { input, t, output }`: `output ← D(input, t)` for every particle (1 NFE);
//! - `Combine { output, terms, noise }`: `output ← Σ c_j reg_j + noise · z`, elementwise, where
//!   `z` is the counter-based normal of [`counter_normal`] addressed by (seed, step, draw, element).
//!
//! The CPU executes a program in f64 ([`CpuMachine`]); the GPU executes the same program in f32.
//! Register 0 is the state `x`.

use std::sync::Arc;

use super::SamplerKind;
use super::mixture::{GaussianMixture, MixtureScratch};
use super::process::{ForwardProcess, TimeGrid};
use super::{DiffusionParams, momentum_split};
use crate::core::quadrature;
use crate::core::rng::counter_normal;

/// Register index of the particle state.
pub const STATE: usize = 0;

/// One operation of a sampler program.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// `output ← D(input, t)`, the exact denoiser `E[x₀ | x_t]` (one function evaluation).
    Denoise {
        /// Register read.
        input: usize,
        /// Time of the evaluation.
        t: f64,
        /// Register written.
        output: usize,
    },
    /// `output ← Σ c_j reg_j + noise·z` elementwise (the output may be one of the inputs).
    Combine {
        /// Register written.
        output: usize,
        /// `(c_j, register)` pairs.
        terms: Vec<(f64, usize)>,
        /// Scale of the fresh standard normal `z` (0 for none).
        noise: f64,
        /// Which noise draw of this step (distinct draws are independent).
        draw: u32,
    },
}

/// One step `t_from → t_to` of a program.
#[derive(Clone, Debug, PartialEq)]
pub struct StepProgram {
    /// Start time.
    pub t_from: f64,
    /// End time.
    pub t_to: f64,
    /// The operations, in order.
    pub ops: Vec<Op>,
}

impl StepProgram {
    /// Denoiser evaluations in this step.
    pub fn nfe(&self) -> usize {
        self.ops
            .iter()
            .filter(|op| matches!(op, Op::Denoise { .. }))
            .count()
    }
}

/// A compiled sampler: its steps and how many registers they use.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Number of registers (each one particle buffer).
    pub registers: usize,
    /// The steps from `t_max` to `t_min`.
    pub steps: Vec<StepProgram>,
}

impl Program {
    /// Total denoiser evaluations.
    pub fn nfe(&self) -> usize {
        self.steps.iter().map(StepProgram::nfe).sum()
    }
}

/// The noise stream of draw `draw` in step `step`.
pub fn noise_stream(step: usize, draw: u32) -> u32 {
    (step as u32).wrapping_mul(8).wrapping_add(draw)
}

/// Smallest NFE budget a fixed-grid sampler can run with.
pub fn minimum_nfe(sampler: SamplerKind) -> usize {
    match sampler {
        SamplerKind::EdmHeun
        | SamplerKind::DpmSolver2
        | SamplerKind::DpmSolverPp2S
        | SamplerKind::PredictorCorrector
        | SamplerKind::DeisTab3 => 2,
        SamplerKind::DpmSolver3 => 3,
        SamplerKind::Plms => 4,
        _ => 1,
    }
}

/// Number of grid steps a fixed-grid sampler takes for an NFE budget.
pub fn steps_for_nfe(sampler: SamplerKind, nfe: usize) -> usize {
    let steps = match sampler {
        SamplerKind::EdmHeun
        | SamplerKind::DpmSolver2
        | SamplerKind::DpmSolverPp2S
        | SamplerKind::PredictorCorrector => nfe / 2,
        SamplerKind::DpmSolver3 => nfe / 3,
        // The first step is a 2-evaluation DPM-Solver-2 step.
        SamplerKind::DeisTab3 => nfe.saturating_sub(1),
        // Three Runge–Kutta 4 start-up steps cost 12; below 13, RK4 throughout.
        SamplerKind::Plms if nfe >= 13 => nfe - 9,
        SamplerKind::Plms => nfe / 4,
        _ => nfe,
    };
    steps.max(1)
}

/// α, σ, λ at a time.
#[derive(Clone, Copy, Debug)]
struct Node {
    t: f64,
    alpha: f64,
    sigma: f64,
    lambda: f64,
}

impl Node {
    fn at(process: &ForwardProcess, t: f64) -> Self {
        Self {
            t,
            alpha: process.alpha(t),
            sigma: process.sigma(t),
            lambda: process.lambda(t),
        }
    }

    /// The node at half log-SNR `lambda`.
    fn at_lambda(process: &ForwardProcess, lambda: f64) -> Self {
        Self::at(process, process.time_of_lambda(lambda))
    }

    /// Scaled noise level `σ/α = e^{−λ}`.
    fn level(&self) -> f64 {
        self.sigma / self.alpha
    }
}

/// Builds the ops of one step.
#[derive(Default)]
struct Ops {
    ops: Vec<Op>,
    draws: u32,
}

impl Ops {
    fn denoise(&mut self, input: usize, node: &Node, output: usize) {
        self.ops.push(Op::Denoise {
            input,
            t: node.t,
            output,
        });
    }

    fn combine(&mut self, output: usize, terms: &[(f64, usize)]) {
        self.combine_noisy(output, terms, 0.0);
    }

    fn combine_noisy(&mut self, output: usize, terms: &[(f64, usize)], noise: f64) {
        let draw = if noise != 0.0 {
            self.draws += 1;
            self.draws - 1
        } else {
            0
        };
        self.ops.push(Op::Combine {
            output,
            terms: terms.to_vec(),
            noise,
            draw,
        });
    }

    /// `output ← ε̂ = (x − α x̂₀)/σ` from the state register `x` and its denoised `d`.
    fn noise_prediction(&mut self, output: usize, x: usize, d: usize, node: &Node) {
        self.combine(
            output,
            &[(1.0 / node.sigma, x), (-node.alpha / node.sigma, d)],
        );
    }
}

/// Compiles a fixed-grid sampler for the given parameters. Adaptive samplers have no program.
pub fn compile(params: &DiffusionParams) -> Result<Program, String> {
    let process = params.process.process();
    let sampler = params.sampler;
    if sampler.is_adaptive() {
        return Err(format!(
            "{} chooses its own steps; it has no fixed program",
            sampler.label()
        ));
    }
    let steps = steps_for_nfe(sampler, params.nfe);
    let times = params.grid.times(&process, steps);
    let nodes: Vec<Node> = times.iter().map(|t| Node::at(&process, *t)).collect();
    let mut out = Vec::with_capacity(steps);
    let mut registers = 1;
    for i in 0..steps {
        let (s, t) = (&nodes[i], &nodes[i + 1]);
        let mut ops = Ops::default();
        let used = match sampler {
            SamplerKind::OdeEuler => ode_euler(&mut ops, &process, s, t),
            SamplerKind::EulerMaruyama => euler_maruyama(&mut ops, &process, s, t),
            SamplerKind::Ddim => ddim(&mut ops, s, t, params.eta),
            SamplerKind::Ddpm => ddim(&mut ops, s, t, 1.0),
            SamplerKind::DpmSolver1 => dpm_solver_1(&mut ops, s, t),
            SamplerKind::DpmSolver2 => dpm_solver_2(&mut ops, &process, s, t, 1),
            SamplerKind::DpmSolver3 => dpm_solver_3(&mut ops, &process, s, t),
            SamplerKind::DpmSolverPp2S => dpm_solver_pp_2s(&mut ops, &process, s, t),
            SamplerKind::DpmSolverPp2M => dpm_solver_pp_2m(&mut ops, &nodes, i),
            SamplerKind::EdmHeun => edm_heun(&mut ops, &process, s, t, params.churn, steps),
            SamplerKind::DeisTab3 => deis_tab3(&mut ops, &process, &nodes, i),
            SamplerKind::UniPc => unipc(&mut ops, &nodes, i),
            SamplerKind::Plms | SamplerKind::HeavyBall | SamplerKind::Ghvb => {
                grid_multistep(&mut ops, &process, &params.grid, &nodes, i, params)
            }
            SamplerKind::PredictorCorrector => {
                predictor_corrector(&mut ops, &process, s, t, params.snr)
            }
            SamplerKind::GottaGoFast | SamplerKind::Dopri5 => {
                unreachable!("adaptive samplers are refused above")
            }
        };
        registers = registers.max(used);
        out.push(StepProgram {
            t_from: s.t,
            t_to: t.t,
            ops: ops.ops,
        });
    }
    Ok(Program {
        registers,
        steps: out,
    })
}

/// Euler on the probability-flow ODE in t:
/// `dx/dt = f x − ½ g² (α x̂₀ − x)/σ² = (f + g²/(2σ²)) x − (g² α/(2σ²)) x̂₀`.
fn ode_euler(ops: &mut Ops, process: &ForwardProcess, s: &Node, t: &Node) -> usize {
    let dt = t.t - s.t;
    let f = process.drift(s.t);
    let half_g2 = 0.5 * process.diffusion2(s.t) / (s.sigma * s.sigma);
    ops.denoise(STATE, s, 1);
    ops.combine(
        STATE,
        &[
            (1.0 + dt * (f + half_g2), STATE),
            (-dt * half_g2 * s.alpha, 1),
        ],
    );
    2
}

/// Euler–Maruyama on the reverse SDE with step `h = t_s − t_t > 0`:
/// `x ← x − h (f x − g² (α x̂₀ − x)/σ²) + g √h z`.
fn euler_maruyama(ops: &mut Ops, process: &ForwardProcess, s: &Node, t: &Node) -> usize {
    let h = s.t - t.t;
    let f = process.drift(s.t);
    let g2 = process.diffusion2(s.t);
    let g2_over_s2 = g2 / (s.sigma * s.sigma);
    ops.denoise(STATE, s, 1);
    ops.combine_noisy(
        STATE,
        &[
            (1.0 - h * f - h * g2_over_s2, STATE),
            (h * g2_over_s2 * s.alpha, 1),
        ],
        (g2 * h).sqrt(),
    );
    2
}

/// DDIM (Song, Meng & Ermon 2021, eq. 12) in (α, σ) form:
/// `x_t = α_t x̂₀ + √(σ_t² − c²) ε̂ + c z`, `c = η σ_t √(1 − e^{−2h})`, `h = λ_t − λ_s`.
/// With η = 1, `c²` is the DDPM posterior variance.
fn ddim(ops: &mut Ops, s: &Node, t: &Node, eta: f64) -> usize {
    let h = t.lambda - s.lambda;
    let c = eta * t.sigma * (-(-2.0 * h).exp_m1()).max(0.0).sqrt();
    let direction = (t.sigma * t.sigma - c * c).max(0.0).sqrt();
    ops.denoise(STATE, s, 1);
    // α_t x̂₀ + direction (x − α_s x̂₀)/σ_s.
    ops.combine_noisy(
        STATE,
        &[
            (direction / s.sigma, STATE),
            (t.alpha - direction * s.alpha / s.sigma, 1),
        ],
        c,
    );
    2
}

/// DPM-Solver-1 (Lu et al. 2022, eq. 3.7): `x_t = (α_t/α_s) x − σ_t (e^h − 1) ε̂(x, s)`.
fn dpm_solver_1(ops: &mut Ops, s: &Node, t: &Node) -> usize {
    let h = t.lambda - s.lambda;
    ops.denoise(STATE, s, 1);
    ops.noise_prediction(2, STATE, 1, s);
    ops.combine(
        STATE,
        &[(t.alpha / s.alpha, STATE), (-t.sigma * h.exp_m1(), 2)],
    );
    3
}

/// DPM-Solver-2 (Lu et al. 2022, Alg. 1) with r₁ = ½; `first_scratch` shifts its registers
/// (DEIS reuses it for its first step).
fn dpm_solver_2(
    ops: &mut Ops,
    process: &ForwardProcess,
    s: &Node,
    t: &Node,
    first_scratch: usize,
) -> usize {
    let r1 = 0.5;
    let h = t.lambda - s.lambda;
    let s1 = Node::at_lambda(process, s.lambda + r1 * h);
    let [d0, e0, u, d1, e1] = std::array::from_fn(|k| first_scratch + k);
    ops.denoise(STATE, s, d0);
    ops.noise_prediction(e0, STATE, d0, s);
    ops.combine(
        u,
        &[
            (s1.alpha / s.alpha, STATE),
            (-s1.sigma * (r1 * h).exp_m1(), e0),
        ],
    );
    ops.denoise(u, &s1, d1);
    ops.noise_prediction(e1, u, d1, &s1);
    // x_t = (α_t/α_s) x − σ_t(e^h − 1) ε₀ − σ_t/(2 r₁) (e^h − 1)(ε₁ − ε₀).
    let a = t.sigma * h.exp_m1();
    let b = a / (2.0 * r1);
    ops.combine(STATE, &[(t.alpha / s.alpha, STATE), (-a + b, e0), (-b, e1)]);
    first_scratch + 5
}

/// DPM-Solver-3 (Lu et al. 2022, Alg. 2) with r₁ = ⅓, r₂ = ⅔.
fn dpm_solver_3(ops: &mut Ops, process: &ForwardProcess, s: &Node, t: &Node) -> usize {
    let (r1, r2) = (1.0 / 3.0, 2.0 / 3.0);
    let h = t.lambda - s.lambda;
    let s1 = Node::at_lambda(process, s.lambda + r1 * h);
    let s2 = Node::at_lambda(process, s.lambda + r2 * h);
    let (d, e0, u1, e1, u2, e2) = (1, 2, 3, 4, 5, 6);
    ops.denoise(STATE, s, d);
    ops.noise_prediction(e0, STATE, d, s);
    ops.combine(
        u1,
        &[
            (s1.alpha / s.alpha, STATE),
            (-s1.sigma * (r1 * h).exp_m1(), e0),
        ],
    );
    ops.denoise(u1, &s1, d);
    ops.noise_prediction(e1, u1, d, &s1);
    // u₂ = (α₂/α_s) x − σ₂(e^{r₂h} − 1) ε₀ − σ₂ (r₂/r₁) ((e^{r₂h} − 1)/(r₂h) − 1)(ε₁ − ε₀).
    let a2 = s2.sigma * (r2 * h).exp_m1();
    let b2 = s2.sigma * (r2 / r1) * ((r2 * h).exp_m1() / (r2 * h) - 1.0);
    ops.combine(
        u2,
        &[(s2.alpha / s.alpha, STATE), (-a2 + b2, e0), (-b2, e1)],
    );
    ops.denoise(u2, &s2, d);
    ops.noise_prediction(e2, u2, d, &s2);
    // x_t = (α_t/α_s) x − σ_t(e^h − 1) ε₀ − (σ_t/r₂)((e^h − 1)/h − 1)(ε₂ − ε₀).
    let a = t.sigma * h.exp_m1();
    let b = t.sigma / r2 * (h.exp_m1() / h - 1.0);
    ops.combine(STATE, &[(t.alpha / s.alpha, STATE), (-a + b, e0), (-b, e2)]);
    7
}

/// DPM-Solver++(2S) (Lu et al. 2022b, Alg. 1) with r = ½, where the combined data prediction
/// `(1 − 1/(2r)) x̂₀(s) + 1/(2r) x̂₀(u, s₁)` is just `x̂₀(u, s₁)`.
fn dpm_solver_pp_2s(ops: &mut Ops, process: &ForwardProcess, s: &Node, t: &Node) -> usize {
    let r = 0.5;
    let h = t.lambda - s.lambda;
    let s1 = Node::at_lambda(process, s.lambda + r * h);
    let (d0, u, d1) = (1, 2, 3);
    ops.denoise(STATE, s, d0);
    ops.combine(
        u,
        &[
            (s1.sigma / s.sigma, STATE),
            (-s1.alpha * (-r * h).exp_m1(), d0),
        ],
    );
    ops.denoise(u, &s1, d1);
    ops.combine(
        STATE,
        &[(t.sigma / s.sigma, STATE), (-t.alpha * (-h).exp_m1(), d1)],
    );
    4
}

/// DPM-Solver++(2M) (Lu et al. 2022b, Alg. 2): `D = (1 + 1/(2r)) x̂₀ᵢ − 1/(2r) x̂₀ᵢ₋₁` with
/// `r = h_{i−1}/h_i`, then `x_t = (σ_t/σ_s) x − α_t (e^{−h} − 1) D`; step 0 is DPM-Solver++1.
fn dpm_solver_pp_2m(ops: &mut Ops, nodes: &[Node], i: usize) -> usize {
    let (s, t) = (&nodes[i], &nodes[i + 1]);
    let h = t.lambda - s.lambda;
    let current = 1 + i % 2;
    let previous = 1 + (i + 1) % 2;
    ops.denoise(STATE, s, current);
    let a = -t.alpha * (-h).exp_m1();
    if i == 0 {
        ops.combine(STATE, &[(t.sigma / s.sigma, STATE), (a, current)]);
    } else {
        let r = (s.lambda - nodes[i - 1].lambda) / h;
        let w = 1.0 / (2.0 * r);
        ops.combine(
            STATE,
            &[
                (t.sigma / s.sigma, STATE),
                (a * (1.0 + w), current),
                (-a * w, previous),
            ],
        );
    }
    3
}

/// DEIS tAB3 (Zhang & Chen 2023, eq. 14–15): in `x̃ = x/α` and `ρ = σ/α`, the ODE is
/// `dx̃/dρ = ε̂`; ε̂ is extrapolated by the Lagrange polynomial in t through the last ≤ 3 nodes,
/// and each weight `C_j = ∫ ℓ_j(t) dρ = ∫_{λ_s}^{λ_t} ℓ_j(t(λ)) (−e^{−λ}) dλ` is computed by
/// 10-point Gauss–Legendre quadrature in λ (where the integrand is smooth). The first step is
/// DPM-Solver-2, so the start-up does not cap the order at 2.
fn deis_tab3(ops: &mut Ops, process: &ForwardProcess, nodes: &[Node], i: usize) -> usize {
    let (s, t) = (&nodes[i], &nodes[i + 1]);
    let history = |j: usize| 1 + (i - j) % 3; // register of ε̂ at node i − j
    let d = 4;
    if i == 0 {
        // Its ε̂(x, t₀) is kept as the first history entry.
        let used = dpm_solver_2(ops, process, s, t, 5);
        ops.ops.insert(
            2,
            Op::Combine {
                output: history(0),
                terms: vec![(1.0, 6)],
                noise: 0.0,
                draw: 0,
            },
        );
        return used;
    }
    ops.denoise(STATE, s, d);
    ops.noise_prediction(history(0), STATE, d, s);
    let order = (i + 1).min(3);
    let times: Vec<f64> = (0..order).map(|j| nodes[i - j].t).collect();
    let (x, w) = quadrature::gauss_legendre(10);
    let mut terms = vec![(t.alpha / s.alpha, STATE)];
    for j in 0..order {
        let lagrange = |tau: f64| {
            times
                .iter()
                .enumerate()
                .filter(|(m, _)| *m != j)
                .map(|(_, tm)| (tau - tm) / (times[j] - tm))
                .product::<f64>()
        };
        let weight = quadrature::integrate(
            |lambda| lagrange(process.time_of_lambda(lambda)) * -(-lambda).exp(),
            s.lambda,
            t.lambda,
            &x,
            &w,
        );
        terms.push((t.alpha * weight, history(j)));
    }
    ops.combine(STATE, &terms);
    10
}

/// UniPC with p = 2 and B(h) = e^{−h} − 1 on the data prediction (Zhao et al. 2023, Alg. 2–3,
/// "bh2"): the UniP-2 predictor, then the UniC corrector built from the denoiser at the
/// predicted point, which is also the next step's history (no extra evaluation). The last step
/// is predictor-only. Order 3.
fn unipc(ops: &mut Ops, nodes: &[Node], i: usize) -> usize {
    let (s, t) = (&nodes[i], &nodes[i + 1]);
    let last = i + 2 == nodes.len();
    let model = |k: usize| 1 + k % 3; // register of x̂₀ at node k
    let (base, predicted) = (4, 5);
    if i == 0 {
        ops.denoise(STATE, s, model(0));
    }
    let h = t.lambda - s.lambda;
    let hh = -h;
    let h_phi_1 = hh.exp_m1();
    let b_h = hh.exp_m1();
    // x_base = (σ_t/σ_s) x − α_t (e^{−h} − 1) x̂₀(s).
    ops.combine(
        base,
        &[(t.sigma / s.sigma, STATE), (-t.alpha * h_phi_1, model(i))],
    );
    let order = if i == 0 { 1 } else { 2 };
    // D₁ = (x̂₀ᵢ₋₁ − x̂₀ᵢ)/r₁ with r₁ = (λ_{i−1} − λ_s)/h.
    let r1 = if order == 2 {
        (nodes[i - 1].lambda - s.lambda) / h
    } else {
        0.0
    };
    let scale = -t.alpha * b_h;
    let d1_terms = |c: f64| {
        if order == 2 {
            vec![(c / r1, model(i - 1)), (-c / r1, model(i))]
        } else {
            Vec::new()
        }
    };
    // Predictor: x_base − α_t B(h) ρ_p D₁ with ρ_p = ½ (the paper's choice for p = 2).
    let mut terms = vec![(1.0, base)];
    terms.extend(d1_terms(0.5 * scale));
    if last {
        ops.combine(STATE, &terms);
        return 6;
    }
    ops.combine(predicted, &terms);
    ops.denoise(predicted, t, model(i + 1));
    // Corrector weights: R ρ = b with R_k = r^{k−1}, b_k = k! φ_{k+1}(hh) hh / B(h)-style terms.
    let mut b = [0.0; 2];
    let mut h_phi_k = h_phi_1 / hh - 1.0;
    let mut factorial = 1.0;
    for (k, bk) in b.iter_mut().enumerate().take(order) {
        *bk = h_phi_k * factorial / b_h;
        factorial *= (k + 2) as f64;
        h_phi_k = h_phi_k / hh - 1.0 / factorial;
    }
    let (rho_history, rho_current) = if order == 1 {
        (0.0, 0.5)
    } else {
        // [1 1; r₁ 1] [ρ₀; ρ₁] = [b₁; b₂].
        let rho0 = (b[0] - b[1]) / (1.0 - r1);
        (rho0, b[0] - rho0)
    };
    let mut terms = vec![(1.0, base)];
    terms.extend(d1_terms(rho_history * scale));
    terms.push((rho_current * scale, model(i + 1)));
    terms.push((-rho_current * scale, model(i)));
    ops.combine(STATE, &terms);
    6
}

/// Adams–Bashforth weights of order 1…4 on uniform steps, newest first.
const ADAMS_BASHFORTH: [&[f64]; 4] = [
    &[1.0],
    &[1.5, -0.5],
    &[23.0 / 12.0, -16.0 / 12.0, 5.0 / 12.0],
    &[55.0 / 24.0, -59.0 / 24.0, 37.0 / 24.0, -9.0 / 24.0],
];

/// GHVB's β-dependent weights for the velocity history, newest first (Wizadwongsa et al. 2023,
/// the "AdamB mixer" of their Table/Appendix); β = 1 gives Adams–Bashforth.
fn ghvb_weights(order: usize, beta: f64) -> Vec<f64> {
    let b = beta;
    let raw: Vec<f64> = match order {
        1 => vec![b],
        2 => vec![(2.0 + b) / 2.0, -(2.0 - b) / 2.0],
        3 => vec![
            (18.0 + 5.0 * b) / 12.0,
            -(24.0 - 8.0 * b) / 12.0,
            (6.0 - b) / 12.0,
        ],
        _ => vec![
            (46.0 + 9.0 * b) / 24.0,
            -(78.0 - 19.0 * b) / 24.0,
            (42.0 - 5.0 * b) / 24.0,
            -(10.0 - b) / 24.0,
        ],
    };
    raw.into_iter().map(|w| w / b).collect()
}

/// PLMS and GHVB (and the heavy ball, see below): linear multistep methods with constant weights, taken in the grid
/// coordinate `s = i/N` where the grid is uniform. With `x̃ = x/α` and `ρ = e^{−λ}`, the ODE is
/// `dx̃/ds = G = ε̂ · dρ/ds = −ε̂ e^{−λ} λ'(s)`; on a grid uniform in ρ this is exactly PNDM's
/// update with the DDIM transfer, and on any other smooth grid it keeps the method's order
/// (constant weights on a non-uniform ρ grid would drop to first order).
fn grid_multistep(
    ops: &mut Ops,
    process: &ForwardProcess,
    grid: &TimeGrid,
    nodes: &[Node],
    i: usize,
    params: &DiffusionParams,
) -> usize {
    let steps = nodes.len() - 1;
    let ds = 1.0 / steps as f64;
    let (s, t) = (&nodes[i], &nodes[i + 1]);
    let g_factor =
        |node: &Node, coordinate: f64| -node.level() * grid.lambda_rate(process, coordinate);
    // Registers: 1 denoised, 2–5 history of G (PLMS, HB) or of the velocity (GHVB), 6 the
    // current G (GHVB) or the velocity (HB), 7–10 Runge–Kutta stages.
    let denoised = 1;
    let history = |k: usize| 2 + k % 4;
    let s_coord = i as f64 * ds;
    // G(x_reg at node) into `output`: (c/σ) x − (c α/σ) x̂₀ with c = dρ/ds.
    let derivative = |ops: &mut Ops, input: usize, node: &Node, coordinate: f64, output: usize| {
        ops.denoise(input, node, denoised);
        let c = g_factor(node, coordinate);
        ops.combine(
            output,
            &[
                (c / node.sigma, input),
                (-c * node.alpha / node.sigma, denoised),
            ],
        );
    };
    // x_t = α_t (x/α_s + ds Σ w_j G_j).
    let advance = |ops: &mut Ops, weighted: &[(f64, usize)]| {
        let mut terms = vec![(t.alpha / s.alpha, STATE)];
        terms.extend(weighted.iter().map(|(w, r)| (t.alpha * ds * w, *r)));
        ops.combine(STATE, &terms);
    };
    match params.sampler {
        SamplerKind::Plms => {
            let startup = if params.nfe >= 13 { 3 } else { steps };
            derivative(ops, STATE, s, s_coord, history(i));
            if i < startup {
                // Classical RK4 in s (PNDM's pseudo Runge–Kutta start-up).
                let mid_coord = s_coord + 0.5 * ds;
                let mid = Node::at(process, grid.time_at(process, mid_coord));
                let end = Node::at(process, grid.time_at(process, s_coord + ds));
                let (k2, k3, k4, stage) = (7, 8, 9, 10);
                let stage_state = |ops: &mut Ops, node: &Node, frac: f64, k: usize| {
                    ops.combine(
                        stage,
                        &[(node.alpha / s.alpha, STATE), (node.alpha * frac * ds, k)],
                    );
                };
                stage_state(ops, &mid, 0.5, history(i));
                derivative(ops, stage, &mid, mid_coord, k2);
                stage_state(ops, &mid, 0.5, k2);
                derivative(ops, stage, &mid, mid_coord, k3);
                stage_state(ops, &end, 1.0, k3);
                derivative(ops, stage, &end, s_coord + ds, k4);
                advance(
                    ops,
                    &[
                        (1.0 / 6.0, history(i)),
                        (2.0 / 6.0, k2),
                        (2.0 / 6.0, k3),
                        (1.0 / 6.0, k4),
                    ],
                );
            } else {
                let w = ADAMS_BASHFORTH[3];
                let weighted: Vec<(f64, usize)> = (0..4).map(|j| (w[j], history(i - j))).collect();
                advance(ops, &weighted);
            }
            11
        }
        SamplerKind::HeavyBall => {
            // As published: the momentum averages the noise prediction ε̂ itself (smooth in
            // time) and the DDIM transfer x̃ += Δρ v moves the state; in the grid coordinate
            // the average would also carry the grid's Jacobian dρ/ds and lag far more.
            let (order, beta) = momentum_split(params.momentum);
            let velocity = 6;
            ops.denoise(STATE, s, denoised);
            ops.noise_prediction(history(i), STATE, denoised, s);
            let k = order.min(i + 1);
            let w = ADAMS_BASHFORTH[k - 1];
            if i == 0 {
                ops.combine(velocity, &[(1.0, history(0))]);
            } else {
                // v ← (1 − β) v + β Σ w_j ε̂_{i−j}.
                let mut terms = vec![(1.0 - beta, velocity)];
                terms.extend((0..k).map(|j| (beta * w[j], history(i - j))));
                ops.combine(velocity, &terms);
            }
            ops.combine(
                STATE,
                &[
                    (t.alpha / s.alpha, STATE),
                    (t.alpha * (t.level() - s.level()), velocity),
                ],
            );
            7
        }
        _ => {
            let (order, beta) = momentum_split(params.momentum);
            let current = 6;
            derivative(ops, STATE, s, s_coord, current);
            // v_i = (1 − β) v_{i−1} + β G_i, with v_0 = G_0.
            if i == 0 {
                ops.combine(history(0), &[(1.0, current)]);
            } else {
                ops.combine(history(i), &[(1.0 - beta, history(i - 1)), (beta, current)]);
            }
            let k = order.min(i + 1);
            let w = ghvb_weights(k, beta);
            let weighted: Vec<(f64, usize)> = (0..k).map(|j| (w[j], history(i - j))).collect();
            advance(ops, &weighted);
            7
        }
    }
}

/// Song et al. (2021) Alg. 2–3: a Langevin corrector at `t_s`,
/// `x ← x + ε ∇log p_s(x) + √(2ε) z` with `ε = 2 (r σ_s)²` (the value of their rule
/// `2(r‖z‖/‖∇log p‖)²` when `‖∇log p‖ ≈ ‖z‖/σ`; no batch statistics, so particles stay
/// independent), then the reverse-SDE Euler–Maruyama predictor to `t_t`.
fn predictor_corrector(
    ops: &mut Ops,
    process: &ForwardProcess,
    s: &Node,
    t: &Node,
    snr: f64,
) -> usize {
    let eps = 2.0 * (snr * s.sigma).powi(2);
    let s2 = s.sigma * s.sigma;
    ops.denoise(STATE, s, 1);
    // ∇log p = (α x̂₀ − x)/σ².
    ops.combine_noisy(
        STATE,
        &[(1.0 - eps / s2, STATE), (eps * s.alpha / s2, 1)],
        (2.0 * eps).sqrt(),
    );
    euler_maruyama(ops, process, s, t)
}

/// EDM's Heun sampler (Karras et al. 2022, Alg. 2) in the scaled variables `x̃ = x/α`,
/// `σ̃ = σ/α`: optional churn raises the noise level to `σ̂ = σ̃(1 + γ)`, then Heun's method on
/// `dx̃/dσ̃ = (x̃ − x̂₀)/σ̃` from `σ̂` to `σ̃_t`.
fn edm_heun(
    ops: &mut Ops,
    process: &ForwardProcess,
    s: &Node,
    t: &Node,
    churn: f64,
    steps: usize,
) -> usize {
    let gamma = if churn > 0.0 {
        (churn / steps as f64).min(std::f64::consts::SQRT_2 - 1.0)
    } else {
        0.0
    };
    let top = Node::at(process, process.time_range().1);
    let hat_level = (s.level() * (1.0 + gamma)).min(top.level());
    let (hat, hat_reg) = if hat_level > s.level() {
        let hat = Node::at_lambda(process, -hat_level.ln());
        let spread = (hat.level().powi(2) - s.level().powi(2)).max(0.0).sqrt();
        ops.combine_noisy(1, &[(hat.alpha / s.alpha, STATE)], hat.alpha * spread);
        (hat, 1)
    } else {
        (*s, STATE)
    };
    let (d, euler, d2) = (2, 3, 4);
    let delta = t.level() - hat.level();
    ops.denoise(hat_reg, &hat, d);
    // x' = α_t [x̂/α̂ + Δ (x̂/α̂ − D)/σ̂].
    let k_hat = t.alpha / hat.alpha * (1.0 + delta / hat.level());
    ops.combine(
        euler,
        &[(k_hat, hat_reg), (-t.alpha * delta / hat.level(), d)],
    );
    ops.denoise(euler, t, d2);
    // x_t = α_t [x̂/α̂ + Δ/2 ((x̂/α̂ − D)/σ̂ + (x'/α_t − D')/σ̃_t)].
    let half = 0.5 * delta;
    ops.combine(
        STATE,
        &[
            (t.alpha / hat.alpha * (1.0 + half / hat.level()), hat_reg),
            (-t.alpha * half / hat.level(), d),
            (half / t.level(), euler),
            (-t.alpha * half / t.level(), d2),
        ],
    );
    5
}

/// The exact denoiser of a mixture under a process: `x̂₀ = (x + σ² ∇log p_t(x)) / α`.
#[derive(Clone, Debug)]
pub struct ExactModel {
    /// The target (shared: solvers that own a model clone it cheaply).
    pub mixture: Arc<GaussianMixture>,
    /// The forward process.
    pub process: ForwardProcess,
}

impl ExactModel {
    /// Denoises every particle of `x` (row-major, `dim` per particle) at time `t` into `out`.
    pub fn denoise(&self, x: &[f64], t: f64, out: &mut [f64], scratch: &mut MixtureScratch) {
        let alpha = self.process.alpha(t);
        let sigma2 = self.process.sigma2(t);
        let dim = self.mixture.dim;
        for (xp, op) in x.chunks_exact(dim).zip(out.chunks_exact_mut(dim)) {
            self.mixture
                .log_density_and_score(xp, alpha, sigma2, op, scratch);
            for (o, xi) in op.iter_mut().zip(xp) {
                *o = (xi + sigma2 * *o) / alpha;
            }
        }
    }

    /// The exact score `∇log p_t` of one particle.
    pub fn score(&self, x: &[f64], t: f64, out: &mut [f64], scratch: &mut MixtureScratch) {
        self.mixture.log_density_and_score(
            x,
            self.process.alpha(t),
            self.process.sigma2(t),
            out,
            scratch,
        );
    }
}

/// Executes programs in f64 on the CPU: the reference the GPU path is checked against.
pub struct CpuMachine {
    len: usize,
    registers: Vec<f64>,
    scratch: MixtureScratch,
}

impl CpuMachine {
    /// A machine whose state register holds `state` (row-major particles).
    pub fn new(state: &[f64], registers: usize) -> Self {
        let len = state.len();
        let mut data = vec![0.0; len * registers.max(1)];
        data[..len].copy_from_slice(state);
        Self {
            len,
            registers: data,
            scratch: MixtureScratch::default(),
        }
    }

    /// The particle state.
    pub fn state(&self) -> &[f64] {
        &self.registers[..self.len]
    }

    /// Runs one step's operations. `step` and `seed` address the noise.
    pub fn run_step(&mut self, program: &StepProgram, step: usize, seed: u32, model: &ExactModel) {
        let len = self.len;
        for op in &program.ops {
            match op {
                Op::Denoise { input, t, output } => {
                    // Copy the input out so the output register can be borrowed mutably.
                    let x = self.registers[input * len..(input + 1) * len].to_vec();
                    let out = &mut self.registers[output * len..(output + 1) * len];
                    model.denoise(&x, *t, out, &mut self.scratch);
                }
                Op::Combine {
                    output,
                    terms,
                    noise,
                    draw,
                } => {
                    let stream = noise_stream(step, *draw);
                    for e in 0..len {
                        let mut v: f64 = terms
                            .iter()
                            .map(|(c, r)| c * self.registers[r * len + e])
                            .sum();
                        if *noise != 0.0 {
                            v += noise * counter_normal(seed, stream, e as u32);
                        }
                        self.registers[output * len + e] = v;
                    }
                }
            }
        }
    }
}

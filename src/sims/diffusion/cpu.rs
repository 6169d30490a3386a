//! The f64 CPU reference: initial particles, complete sampling runs and the reference ODE
//! solution every deterministic sampler is measured against.

use std::sync::Arc;

use super::adaptive::{self, StepRecord};
use super::mixture::GaussianMixture;
use super::program::{self, CpuMachine, ExactModel};
use super::{DiffusionParams, InitKind, SamplerKind};
use crate::core::rng::SeededRng;
use crate::core::tableau::{DOP853, DP54};

/// The starting particles `x(t_max)`, row-major, from the run's seed: exact samples of
/// `p_{t_max}` or the usual prior (see [`InitKind`]). Every sampler of a run starts from these.
pub fn initial_particles(params: &DiffusionParams, mixture: &GaussianMixture) -> Vec<f64> {
    let process = params.process.process();
    let t_max = process.time_range().1;
    let mut rng = SeededRng::new(params.seed);
    match params.init {
        InitKind::Exact => mixture.sample(
            params.particles,
            process.alpha(t_max),
            process.sigma(t_max),
            &mut rng,
        ),
        InitKind::Prior => {
            let std = process.prior_std();
            (0..params.particles * mixture.dim)
                .map(|_| std * rng.normal())
                .collect()
        }
    }
}

/// The noise seed of the sampler's draws (distinct from the stream of the initial particles).
pub fn noise_seed(params: &DiffusionParams) -> u32 {
    (params.seed ^ (params.seed >> 32)) as u32 ^ 0x9E37_79B9
}

/// A finished sampling run.
#[derive(Clone, Debug, Default)]
pub struct SampleRun {
    /// Particles at `t_min`.
    pub particles: Vec<f64>,
    /// Denoiser (score) evaluations per particle.
    pub nfe_per_particle: f64,
    /// Accepted steps (summed over particles for per-particle adaptive samplers).
    pub accepted: u64,
    /// Rejected steps.
    pub rejected: u64,
    /// Attempted steps of the adaptive ODE solver (empty for fixed grids).
    pub records: Vec<StepRecord>,
}

/// Runs `params.sampler` from `initial` to `t_min` on the CPU.
pub fn sample(
    params: &DiffusionParams,
    mixture: &GaussianMixture,
    initial: &[f64],
) -> Result<SampleRun, String> {
    params.validate()?;
    let process = params.process.process();
    let model = ExactModel {
        mixture: Arc::new(mixture.clone()),
        process,
    };
    let (t_min, t_max) = process.time_range();
    match params.sampler {
        SamplerKind::Dopri5 => {
            let solve = adaptive::solve_pf_ode(
                model, initial, t_max, t_min, &DP54, params.tol, params.tol,
            )?;
            Ok(SampleRun {
                particles: solve.particles,
                nfe_per_particle: solve.stats.nfe as f64,
                accepted: solve.stats.accepted,
                rejected: solve.stats.rejected,
                records: solve.records,
            })
        }
        SamplerKind::GottaGoFast => {
            let n = initial.len() / mixture.dim;
            let (particles, stats) =
                adaptive::gotta_go_fast(model, initial, params.tol, noise_seed(params));
            if stats.stalled > 0 {
                return Err(format!(
                    "{} of {n} particles could not take a step above 10⁻¹⁰ of the time range (the tolerance is too strict)",
                    stats.stalled
                ));
            }
            Ok(SampleRun {
                particles,
                nfe_per_particle: stats.evaluations as f64 / n.max(1) as f64,
                accepted: stats.accepted,
                rejected: stats.rejected,
                records: Vec::new(),
            })
        }
        _ => {
            let compiled = program::compile(params)?;
            let mut machine = CpuMachine::new(initial, compiled.registers);
            let seed = noise_seed(params);
            for (i, step) in compiled.steps.iter().enumerate() {
                machine.run_step(step, i, seed, &model);
            }
            Ok(SampleRun {
                particles: machine.state().to_vec(),
                nfe_per_particle: compiled.nfe() as f64,
                accepted: compiled.steps.len() as u64,
                rejected: 0,
                records: Vec::new(),
            })
        }
    }
}

/// Tolerance of the reference ODE solution.
pub const REFERENCE_TOL: f64 = 1e-12;

/// The exact probability-flow ODE flow of `initial` from `t_max` to `t_min`, by DOP853 at
/// rtol = atol = 10⁻¹²: what every deterministic sampler converges to.
pub fn reference_ode_solution(
    params: &DiffusionParams,
    mixture: &GaussianMixture,
    initial: &[f64],
) -> Result<Vec<f64>, String> {
    let process = params.process.process();
    let model = ExactModel {
        mixture: Arc::new(mixture.clone()),
        process,
    };
    let (t_min, t_max) = process.time_range();
    adaptive::solve_pf_ode(
        model,
        initial,
        t_max,
        t_min,
        &DOP853,
        REFERENCE_TOL,
        REFERENCE_TOL,
    )
    .map(|solve| solve.particles)
}

//! A sampling run that advances a little at a time (for the live app and the JS API), keeps
//! the step history and particle trails, and measures the result against the exact target when
//! it reaches `t_min`.

use std::sync::Arc;

use super::adaptive::{GottaGoFast, PfOdeSolver, Progress, StepRecord};
use super::cpu::{initial_particles, noise_seed};
use super::measurement::Measurement;
use super::mixture::GaussianMixture;
use super::program::{self, CpuMachine, ExactModel, Program};
use super::{DiffusionParams, SamplerKind};
use crate::core::tableau::DP54;

/// Particles whose paths are kept for drawing trails.
pub const TRAIL_PARTICLES: usize = 256;
/// Particles measured against the reference ODE solution (deterministic samplers).
pub const REFERENCE_PARTICLES: usize = 256;
/// Largest sample set the distribution metrics use (the first particles of a larger run).
pub const METRIC_PARTICLES: usize = 65_536;
/// Random directions of the sliced W2 distance.
pub const SLICED_DIRECTIONS: usize = 32;

/// One point of the step history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepPoint {
    /// Time at the end of the step (the start, for a rejected one).
    pub t: f64,
    /// Step size in t.
    pub h_t: f64,
    /// Step size in λ.
    pub h_lambda: f64,
    /// Scaled error estimate (NaN for fixed grids).
    pub error: f64,
    /// Whether it was accepted.
    pub accepted: bool,
    /// Denoiser evaluations per particle so far.
    pub nfe: f64,
}

/// How the finished sample compares with the exact target `p_{t_min}`.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleReport {
    /// Sliced W2 distance to a stratified exact sample set of the same size.
    pub sliced_w2: f64,
    /// The same distance for an independent exact set: the sampling-noise level.
    pub sliced_w2_noise: f64,
    /// Mean `log p_{t_min}` of the samples.
    pub log_likelihood: f64,
    /// Mean `log p_{t_min}` of exact samples (−entropy).
    pub exact_log_likelihood: f64,
    /// Fraction of samples per mode.
    pub mode_masses: Vec<f64>,
    /// The target's weight per mode.
    pub mode_weights: Vec<f64>,
    /// Total variation between the two.
    pub mode_tv: f64,
    /// RMS and max per-sample distance to the reference ODE solution from the same noise
    /// (deterministic samplers).
    pub ode_error: Option<(f64, f64)>,
}

enum Engine {
    Program {
        program: Program,
        machine: CpuMachine,
        next: usize,
    },
    Ode(Box<PfOdeSolver>),
    Sde(GottaGoFast),
    /// The program runs elsewhere (the GPU); results are fed back with
    /// [`DiffusionRun::feed`].
    External {
        program: Program,
        steps_fed: usize,
        particles: Vec<f64>,
    },
}

/// A live sampling run on the CPU.
pub struct DiffusionRun {
    params: DiffusionParams,
    model: ExactModel,
    initial: Vec<f64>,
    engine: Engine,
    history: Vec<StepPoint>,
    trails: Vec<Vec<[f64; 2]>>,
    evaluations: f64,
    time: f64,
    /// The closing measurement under way (the sampler has reached `t_min`).
    measuring: Option<Box<Measurement>>,
    report: Option<Result<SampleReport, String>>,
}

impl DiffusionRun {
    /// A run at `t_max` with the initial particles of the seed.
    pub fn new(params: DiffusionParams) -> Result<Self, String> {
        params.validate()?;
        let mixture = Arc::new(params.mixture()?);
        let initial = initial_particles(&params, &mixture);
        Self::from_particles(params, mixture, initial, false)
    }

    /// Like [`DiffusionRun::with_params`], for a program executed elsewhere (the GPU): the run
    /// keeps the bookkeeping (history, trails, the final report) of the particles fed back.
    pub fn with_params_external(&self, params: DiffusionParams) -> Result<Self, String> {
        if params.sampler.is_adaptive() {
            return Err(format!(
                "{} chooses its steps from the particles and runs on the CPU only; the GPU runs the fixed-grid samplers",
                params.sampler.label()
            ));
        }
        self.restarted_with(params, true)
    }

    /// The program of an externally executed run.
    pub fn external_program(&self) -> Option<&Program> {
        match &self.engine {
            Engine::External { program, .. } => Some(program),
            _ => None,
        }
    }

    /// Hands in the particles after `steps_done` steps of the external program: the history
    /// gets those steps, the trails a point, and after the last step the run is measured.
    pub fn feed(&mut self, steps_done: usize, particles: Vec<f64>) {
        let Engine::External {
            program,
            steps_fed,
            particles: held,
        } = &mut self.engine
        else {
            return;
        };
        let steps_done = steps_done.min(program.steps.len());
        if steps_done <= *steps_fed || particles.len() != held.len() {
            return;
        }
        let process = self.model.process;
        for step in &program.steps[*steps_fed..steps_done] {
            self.evaluations += step.nfe() as f64;
            self.history.push(StepPoint {
                t: step.t_to,
                h_t: step.t_from - step.t_to,
                h_lambda: process.lambda(step.t_to) - process.lambda(step.t_from),
                error: f64::NAN,
                accepted: true,
                nfe: self.evaluations,
            });
            self.time = step.t_to;
        }
        *steps_fed = steps_done;
        *held = particles;
        let finished = steps_done == program.steps.len();
        self.record_trails();
        if finished {
            self.begin_measurement(None);
        }
    }

    /// A run with the same target and initial particles but another sampler or its settings
    /// (same noise: differences are the solver's).
    pub fn with_params(&self, params: DiffusionParams) -> Result<Self, String> {
        self.restarted_with(params, false)
    }

    fn restarted_with(&self, params: DiffusionParams, external: bool) -> Result<Self, String> {
        params.validate()?;
        let same_start = params.target == self.params.target
            && params.dim == self.params.dim
            && params.components == self.params.components
            && params.process == self.params.process
            && params.particles == self.params.particles
            && params.seed == self.params.seed
            && params.init == self.params.init;
        let (mixture, initial) = if same_start {
            (self.model.mixture.clone(), self.initial.clone())
        } else {
            let mixture = Arc::new(params.mixture()?);
            let initial = initial_particles(&params, &mixture);
            (mixture, initial)
        };
        Self::from_particles(params, mixture, initial, external)
    }

    fn from_particles(
        params: DiffusionParams,
        mixture: Arc<GaussianMixture>,
        initial: Vec<f64>,
        external: bool,
    ) -> Result<Self, String> {
        let process = params.process.process();
        let model = ExactModel { mixture, process };
        let (t_min, t_max) = process.time_range();
        let engine = match params.sampler {
            SamplerKind::Dopri5 => Engine::Ode(Box::new(PfOdeSolver::new(
                model.clone(),
                &initial,
                t_max,
                t_min,
                &DP54,
                params.tol,
                params.tol,
            ))),
            SamplerKind::GottaGoFast => Engine::Sde(GottaGoFast::new(
                model.clone(),
                &initial,
                params.tol,
                noise_seed(&params),
            )),
            _ if external => Engine::External {
                program: program::compile(&params)?,
                steps_fed: 0,
                particles: initial.clone(),
            },
            _ => {
                let program = program::compile(&params)?;
                let machine = CpuMachine::new(&initial, program.registers);
                Engine::Program {
                    program,
                    machine,
                    next: 0,
                }
            }
        };
        let dim = model.mixture.dim;
        let trails = initial
            .chunks_exact(dim)
            .take(TRAIL_PARTICLES)
            .map(|x| vec![[x[0], x[1]]])
            .collect();
        Ok(Self {
            params,
            model,
            initial,
            engine,
            history: Vec::new(),
            trails,
            evaluations: 0.0,
            time: t_max,
            measuring: None,
            report: None,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &DiffusionParams {
        &self.params
    }

    /// The target.
    pub fn mixture(&self) -> &GaussianMixture {
        &self.model.mixture
    }

    /// The model (target and process).
    pub fn model(&self) -> &ExactModel {
        &self.model
    }

    /// The starting particles.
    pub fn initial(&self) -> &[f64] {
        &self.initial
    }

    /// The current particles (row-major).
    pub fn particles(&self) -> Vec<f64> {
        match &self.engine {
            Engine::Program { machine, .. } => machine.state().to_vec(),
            Engine::Ode(solver) => solver.particles(),
            Engine::Sde(solver) => solver.particles().to_vec(),
            Engine::External { particles, .. } => particles.clone(),
        }
    }

    /// The current time (for Gotta Go Fast: the latest time any particle is still at).
    pub fn time(&self) -> f64 {
        self.time
    }

    /// Denoiser evaluations per particle so far.
    pub fn nfe(&self) -> f64 {
        self.evaluations
    }

    /// The step history.
    pub fn history(&self) -> &[StepPoint] {
        &self.history
    }

    /// Paths (first two coordinates) of the first [`TRAIL_PARTICLES`] particles, one point per
    /// step.
    pub fn trails(&self) -> &[Vec<[f64; 2]>] {
        &self.trails
    }

    /// Whether the run reached `t_min` and was measured (or failed).
    pub fn is_finished(&self) -> bool {
        self.report.is_some()
    }

    /// Whether the sampler has reached `t_min` and the closing measurement is under way.
    pub fn is_measuring(&self) -> bool {
        self.measuring.is_some()
    }

    /// The comparison with the exact target, once finished.
    pub fn report(&self) -> Option<&Result<SampleReport, String>> {
        self.report.as_ref()
    }

    /// Fraction of the way from `t_max` to `t_min`, in λ.
    pub fn progress(&self) -> f64 {
        let process = self.model.process;
        let (t_min, t_max) = process.time_range();
        let (l0, l1) = (process.lambda(t_max), process.lambda(t_min));
        ((process.lambda(self.time) - l0) / (l1 - l0)).clamp(0.0, 1.0)
    }

    /// Steps the run by up to `nfe_budget` denoiser evaluations per particle (at least one
    /// step); once the sampler has reached `t_min`, each call does one piece of the closing
    /// measurement instead (a few milliseconds; [`DiffusionRun::run_to_end`] does them all).
    /// Returns whether it is finished.
    pub fn advance(&mut self, nfe_budget: f64) -> bool {
        if self.report.is_some() {
            return true;
        }
        if let Some(measurement) = &mut self.measuring {
            if let Some(report) = measurement.piece() {
                self.measuring = None;
                self.report = Some(report);
            }
            return self.report.is_some();
        }
        if matches!(self.engine, Engine::External { .. }) {
            // Advanced by whoever executes the program; see `feed`.
            return false;
        }
        let start = self.evaluations;
        let n = (self.initial.len() / self.model.mixture.dim).max(1) as f64;
        let mut failure = None;
        loop {
            let history_before = self.history.len();
            let sde = matches!(self.engine, Engine::Sde(_));
            let done = match &mut self.engine {
                Engine::Program {
                    program,
                    machine,
                    next,
                } => {
                    let step = &program.steps[*next];
                    machine.run_step(step, *next, noise_seed(&self.params), &self.model);
                    self.evaluations += step.nfe() as f64;
                    self.history.push(StepPoint {
                        t: step.t_to,
                        h_t: step.t_from - step.t_to,
                        h_lambda: self.model.process.lambda(step.t_to)
                            - self.model.process.lambda(step.t_from),
                        error: f64::NAN,
                        accepted: true,
                        nfe: self.evaluations,
                    });
                    self.time = step.t_to;
                    *next += 1;
                    *next == program.steps.len()
                }
                Engine::Ode(solver) => {
                    let attempts = solver.records.len();
                    let progress = solver.step();
                    self.evaluations = solver.stats.nfe as f64;
                    if solver.records.len() > attempts
                        && let Some(r) = solver.records.last()
                    {
                        self.history.push(point(r, self.evaluations));
                    }
                    self.time = solver.time();
                    match progress {
                        Progress::Running => false,
                        Progress::Done => true,
                        Progress::Failed(why) => {
                            failure = Some(why);
                            true
                        }
                    }
                }
                Engine::Sde(solver) => {
                    // One attempt per unfinished particle; the history follows particle 0.
                    let mut first = None;
                    let done = solver.round(|p, r| {
                        if p == 0 {
                            first = Some(*r);
                        }
                    });
                    self.evaluations = solver.stats.evaluations as f64 / n;
                    if let Some(r) = first {
                        self.history.push(point(&r, self.evaluations));
                    }
                    self.time = solver.latest_time();
                    if done && solver.stats.stalled > 0 {
                        failure = Some(format!(
                            "{} particles could not take a step above 10⁻¹⁰ of the time range: the tolerance is too strict for this target",
                            solver.stats.stalled
                        ));
                    }
                    done
                }
                Engine::External { .. } => return false,
            };
            // Trails get a point per step (per round of attempts for Gotta Go Fast).
            if sde || self.history.len() > history_before {
                self.record_trails();
            }
            if done {
                self.begin_measurement(failure);
                return false;
            }
            if self.evaluations - start >= nfe_budget {
                return false;
            }
        }
    }

    fn record_trails(&mut self) {
        let dim = self.model.mixture.dim;
        let particles = self.particles();
        for (trail, x) in self.trails.iter_mut().zip(particles.chunks_exact(dim)) {
            trail.push([x[0], x[1]]);
        }
    }

    /// Runs to the end and measures (the steps of an externally executed run are left to its
    /// executor: only a measurement under way is completed).
    pub fn run_to_end(&mut self) -> Option<&Result<SampleReport, String>> {
        if matches!(self.engine, Engine::External { .. }) && self.measuring.is_none() {
            return self.report.as_ref();
        }
        while !self.advance(f64::INFINITY) {}
        self.report.as_ref()
    }

    /// Steps of the fixed program taken (or fed back); history points for the adaptive
    /// engines.
    pub fn steps_done(&self) -> usize {
        match &self.engine {
            Engine::Program { next, .. } => *next,
            Engine::External { steps_fed, .. } => *steps_fed,
            _ => self.history.len(),
        }
    }

    /// Whether the program runs elsewhere (the GPU).
    pub fn is_external(&self) -> bool {
        matches!(self.engine, Engine::External { .. })
    }

    /// The sampler has reached `t_min` (or failed): starts the closing measurement, the
    /// distribution metrics and, for deterministic samplers, the error against the reference
    /// ODE solution of the first [`REFERENCE_PARTICLES`] particles.
    fn begin_measurement(&mut self, failure: Option<String>) {
        let started = match failure {
            Some(why) => Err(why),
            None => Measurement::start(
                &self.model,
                &self.initial,
                self.particles(),
                self.params.seed,
                !self.params.sampler.is_stochastic(&self.params),
                self.params.sampler.label(),
            ),
        };
        match started {
            Ok(measurement) => self.measuring = Some(Box::new(measurement)),
            Err(why) => self.report = Some(Err(why)),
        }
    }
}

fn point(r: &StepRecord, nfe: f64) -> StepPoint {
    StepPoint {
        t: if r.accepted { r.t - r.h_t } else { r.t },
        h_t: r.h_t,
        h_lambda: r.h_lambda,
        error: r.error,
        accepted: r.accepted,
        nfe,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sims::diffusion::cpu::sample;
    use crate::sims::diffusion::metrics;

    #[test]
    fn live_run_matches_the_one_shot_sampler_and_reports() {
        for sampler in [
            SamplerKind::DpmSolverPp2M,
            SamplerKind::Dopri5,
            SamplerKind::GottaGoFast,
            SamplerKind::Ddpm,
        ] {
            let params = DiffusionParams {
                sampler,
                particles: 300,
                nfe: 12,
                tol: 0.05,
                ..DiffusionParams::default()
            };
            let mut run = DiffusionRun::new(params.clone()).expect("valid");
            let mut calls = 0;
            while !run.advance(3.0) {
                calls += 1;
                assert!(calls < 10_000);
            }
            let mixture = params.mixture().expect("target");
            let one_shot = sample(&params, &mixture, run.initial()).expect("runs");
            assert_eq!(run.particles(), one_shot.particles, "{sampler:?}");
            assert!((run.nfe() - one_shot.nfe_per_particle).abs() < 1e-9);
            let report = run.report().expect("finished").as_ref().expect("ok");
            assert_eq!(report.mode_masses.len(), 8);
            assert!(report.sliced_w2.is_finite() && report.sliced_w2_noise > 0.0);
            assert_eq!(report.ode_error.is_some(), !sampler.is_stochastic(&params));
            if sampler != SamplerKind::GottaGoFast {
                assert_eq!(
                    run.trails()[0].len(),
                    run.history().len() + 1,
                    "{sampler:?}"
                );
            }
            assert!((run.progress() - 1.0).abs() < 1e-12 || sampler == SamplerKind::GottaGoFast);
        }
    }

    #[test]
    fn the_closing_measurement_comes_in_pieces_and_matches_independent_metrics() {
        // Measured one piece per call (as the live page does within its frame slices), the
        // report equals the metrics computed directly from the final particles.
        let params = DiffusionParams {
            particles: 500,
            nfe: 10,
            ..DiffusionParams::default()
        };
        let mut run = DiffusionRun::new(params.clone()).expect("valid");
        let steps = params.nfe;
        let mut pieces = 0;
        while !run.advance(0.0) {
            if run.is_measuring() {
                pieces += 1;
            }
            assert!(pieces < 100_000);
        }
        assert!(run.steps_done() <= steps);
        // Five pieces of distribution metrics, then the reference solve one step at a time.
        assert!(pieces > 10, "{pieces} pieces");
        let report = run.report().expect("finished").as_ref().expect("ok");
        let mixture = params.mixture().expect("target");
        let particles = run.particles();
        let process = params.process.process();
        let t_min = process.time_range().0;
        let (alpha, sigma2) = (process.alpha(t_min), process.sigma2(t_min));
        let masses = metrics::mode_masses(&particles, &mixture, alpha, sigma2);
        assert_eq!(report.mode_masses, masses);
        assert_eq!(
            report.log_likelihood,
            metrics::mean_log_likelihood(&particles, &mixture, alpha, sigma2)
        );
        let k = REFERENCE_PARTICLES * mixture.dim;
        let reference =
            super::super::cpu::reference_ode_solution(&params, &mixture, &run.initial()[..k])
                .expect("solves");
        let expected = metrics::per_sample_error(&particles[..k], &reference, mixture.dim);
        assert_eq!(report.ode_error, Some(expected));
        // Measured at once, the same report.
        let mut at_once = DiffusionRun::new(params).expect("valid");
        assert_eq!(
            at_once.run_to_end().expect("finished").as_ref().ok(),
            Some(report)
        );
    }

    #[test]
    fn a_diverging_run_is_reported_not_panicked() {
        // One Runge–Kutta 4 step over the whole VE range in t overshoots by orders of
        // magnitude: the report must say so (or report the NaN), never panic.
        let params = DiffusionParams {
            sampler: SamplerKind::Plms,
            process: crate::sims::diffusion::process::ProcessKind::Ve,
            grid: crate::sims::diffusion::process::TimeGrid::UniformTime,
            nfe: 4,
            particles: 64,
            ..DiffusionParams::default()
        };
        let mut run = DiffusionRun::new(params).expect("valid");
        match run.run_to_end().expect("finished") {
            Ok(report) => assert!(report.sliced_w2 > 1.0, "{report:?}"),
            Err(why) => assert!(why.contains("diverged"), "{why}"),
        }
    }
}

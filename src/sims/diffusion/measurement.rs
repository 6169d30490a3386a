//! The closing measurement of a sampling run, in pieces: the comparison with the exact target
//! (sliced W2 against a stratified and an independent exact set, the mode masses, the
//! log-likelihoods) and, for deterministic samplers, the reference solution of the
//! probability-flow ODE. In the browser the whole measurement costs about 180 ms; done in
//! pieces, each frame takes what fits its slice (issue 18's frame budget).

use super::adaptive::{PfOdeSolver, Progress};
use super::cpu::REFERENCE_TOL;
use super::metrics;
use super::program::ExactModel;
use super::run::{METRIC_PARTICLES, REFERENCE_PARTICLES, SLICED_DIRECTIONS, SampleReport};
use crate::core::rng::SeededRng;
use crate::core::tableau::DOP853;

/// What the next piece computes.
enum Stage {
    /// Draw the stratified and the independent exact sets.
    ExactSets,
    /// Sliced W2 of the samples against the stratified set.
    SlicedW2,
    /// The same for the independent set: the sampling-noise level.
    SlicedW2Noise,
    /// Fraction of samples per mode.
    ModeMasses,
    /// Mean log-likelihood of the samples and of the stratified set.
    Likelihoods,
    /// One step of the reference ODE solve per piece (deterministic samplers).
    Reference(Box<PfOdeSolver>),
}

/// A measurement under way; [`Measurement::piece`] does the next piece.
pub(super) struct Measurement {
    model: ExactModel,
    /// The first [`METRIC_PARTICLES`] final particles.
    samples: Vec<f64>,
    /// The final particles whose reference ODE solution is computed (empty for stochastic
    /// samplers).
    reference_final: Vec<f64>,
    /// Their initial values.
    reference_initial: Vec<f64>,
    alpha: f64,
    sigma2: f64,
    rng: SeededRng,
    directions_seed: u64,
    stratified: Vec<f64>,
    independent: Vec<f64>,
    stage: Stage,
    report: SampleReport,
}

impl Measurement {
    /// Starts measuring `particles` (the run's final state, from `initial`); refused when
    /// the run diverged. `sampler` names the sampler in that message.
    pub(super) fn start(
        model: &ExactModel,
        initial: &[f64],
        particles: Vec<f64>,
        seed: u64,
        deterministic: bool,
        sampler: &str,
    ) -> Result<Self, String> {
        if particles.iter().any(|v| !v.is_finite()) {
            return Err(format!(
                "{sampler} diverged: some particles are NaN or infinite at the end (too few steps for this sampler, or a step above its stability limit)"
            ));
        }
        let dim = model.mixture.dim;
        let t_min = model.process.time_range().0;
        let n = (particles.len() / dim).min(METRIC_PARTICLES);
        let k = if deterministic {
            (particles.len() / dim).min(REFERENCE_PARTICLES)
        } else {
            0
        };
        Ok(Self {
            model: model.clone(),
            reference_final: particles[..k * dim].to_vec(),
            reference_initial: initial[..k * dim].to_vec(),
            samples: {
                let mut samples = particles;
                samples.truncate(n * dim);
                samples
            },
            alpha: model.process.alpha(t_min),
            sigma2: model.process.sigma2(t_min),
            rng: SeededRng::new(seed ^ 0x00AB_CDEF),
            directions_seed: seed.wrapping_add(17),
            stratified: Vec::new(),
            independent: Vec::new(),
            stage: Stage::ExactSets,
            report: SampleReport {
                sliced_w2: f64::NAN,
                sliced_w2_noise: f64::NAN,
                log_likelihood: f64::NAN,
                exact_log_likelihood: f64::NAN,
                mode_masses: Vec::new(),
                mode_weights: model.mixture.mode_weights(),
                mode_tv: f64::NAN,
                ode_error: None,
            },
        })
    }

    /// Computes the next piece; the report (or why the reference solve failed) once the last
    /// piece is done.
    pub(super) fn piece(&mut self) -> Option<Result<SampleReport, String>> {
        let mixture = &self.model.mixture;
        let dim = mixture.dim;
        let (alpha, sigma2) = (self.alpha, self.sigma2);
        let sliced = |a: &[f64], b: &[f64]| {
            metrics::sliced_wasserstein2(a, b, dim, SLICED_DIRECTIONS, self.directions_seed)
        };
        self.stage = match std::mem::replace(&mut self.stage, Stage::ExactSets) {
            Stage::ExactSets => {
                // The stratified set is drawn first, then the independent one, from one
                // generator: the sets do not depend on how the pieces fall into frames.
                let n = self.samples.len() / dim;
                let sd = sigma2.sqrt();
                self.stratified = mixture.sample_stratified(n, alpha, sd, &mut self.rng);
                self.independent = mixture.sample(n, alpha, sd, &mut self.rng);
                Stage::SlicedW2
            }
            Stage::SlicedW2 => {
                self.report.sliced_w2 = sliced(&self.samples, &self.stratified);
                Stage::SlicedW2Noise
            }
            Stage::SlicedW2Noise => {
                self.report.sliced_w2_noise = sliced(&self.independent, &self.stratified);
                Stage::ModeMasses
            }
            Stage::ModeMasses => {
                let masses = metrics::mode_masses(&self.samples, mixture, alpha, sigma2);
                self.report.mode_tv = metrics::total_variation(&masses, &self.report.mode_weights);
                self.report.mode_masses = masses;
                Stage::Likelihoods
            }
            Stage::Likelihoods => {
                let r = &mut self.report;
                r.log_likelihood =
                    metrics::mean_log_likelihood(&self.samples, mixture, alpha, sigma2);
                r.exact_log_likelihood =
                    metrics::mean_log_likelihood(&self.stratified, mixture, alpha, sigma2);
                if self.reference_initial.is_empty() {
                    return Some(Ok(self.report.clone()));
                }
                let (t_min, t_max) = self.model.process.time_range();
                Stage::Reference(Box::new(PfOdeSolver::new(
                    self.model.clone(),
                    &self.reference_initial,
                    t_max,
                    t_min,
                    &DOP853,
                    REFERENCE_TOL,
                    REFERENCE_TOL,
                )))
            }
            Stage::Reference(mut solver) => match solver.step() {
                Progress::Running => Stage::Reference(solver),
                Progress::Done => {
                    self.report.ode_error = Some(metrics::per_sample_error(
                        &self.reference_final,
                        &solver.particles(),
                        dim,
                    ));
                    return Some(Ok(self.report.clone()));
                }
                Progress::Failed(why) => return Some(Err(why)),
            },
        };
        None
    }
}

//! The precision shadow of a diffusion sampler on the GPU: the f64 CPU run of the same
//! program, from the same initial particles and with the same noise, stepped in lockstep with
//! the f32 particles the GPU feeds back. Each comparison is the RMS per-particle distance
//! of the two particle sets — the measure of the sampler's own error against the reference
//! ODE solution ([`super::run::SampleReport::ode_error`]), so the two can be set side by
//! side: where the f32–f64 distance exceeds the f64 sampler's own error, single precision,
//! not the sampler, limits the accuracy.

use super::metrics::per_sample_error;
use super::run::DiffusionRun;
use crate::core::shadow::{F32_UNIT_ROUNDOFF, ShadowPoint, record};

/// The most particle coordinates (particles × dimension) the shadow follows: its f64 run
/// costs what the CPU path costs.
pub const MAX_SHADOW_COORDINATES: usize = 1 << 17;

/// What f32 round-off can move a particle after `evaluations` denoiser evaluations of a
/// mixture of `components` Gaussians, for particles of RMS size `scale`: each evaluation
/// rounds the state and the posterior mean, whose softmax weights carry the round-off of
/// their exponents, u·ln K relative after the log-sum-exp shift (Higham, *Accuracy and
/// Stability*, §4 for sums; Blanchard, Higham & Higham 2021 for log-sum-exp), and the
/// rounding errors of successive evaluations add up linearly.
pub fn f32_bound(evaluations: f64, components: usize, scale: f64) -> f64 {
    let per_evaluation = F32_UNIT_ROUNDOFF * (1.0 + (components.max(1) as f64).ln());
    per_evaluation * scale.max(1.0) * evaluations.max(1.0)
}

/// Why single precision, not the sampler, limits the GPU run's accuracy, if it does: once
/// both runs are done, the f32–f64 distance exceeds the f64 sampler's own distance to the
/// reference ODE solution (deterministic samplers).
pub use crate::core::shadow::precision_limit;

/// The f64 run following an f32 GPU sampling run.
pub struct DiffusionShadow {
    cpu: DiffusionRun,
    points: Vec<ShadowPoint>,
    scale: f64,
}

impl DiffusionShadow {
    /// Whether following `run` is affordable.
    pub fn affordable(run: &DiffusionRun) -> bool {
        run.initial().len() <= MAX_SHADOW_COORDINATES
    }

    /// A shadow of the externally executed (GPU) run `gpu_run`, from its initial particles.
    pub fn new(gpu_run: &DiffusionRun) -> Result<DiffusionShadow, String> {
        if !gpu_run.is_external() {
            return Err("the f64 shadow follows a GPU (f32) sampling run".into());
        }
        if !Self::affordable(gpu_run) {
            return Err(format!(
                "an f64 shadow follows up to {MAX_SHADOW_COORDINATES} particle coordinates \
                 (this run has {})",
                gpu_run.initial().len()
            ));
        }
        let cpu = gpu_run.with_params(gpu_run.params().clone())?;
        let dim = gpu_run.mixture().dim;
        let (scale, _) =
            per_sample_error(gpu_run.initial(), &vec![0.0; gpu_run.initial().len()], dim);
        Ok(DiffusionShadow {
            cpu,
            points: Vec::new(),
            scale,
        })
    }

    /// Steps the f64 run (at most `max_steps` steps) towards the steps `gpu_run` has been fed;
    /// when level with it, records the comparison. Returns whether it is in lockstep.
    pub fn follow(&mut self, gpu_run: &DiffusionRun, max_steps: usize) -> Result<bool, String> {
        let target = gpu_run.steps_done();
        if self.cpu.steps_done() > target {
            return Err("the GPU run restarted: the shadow starts again".into());
        }
        for _ in 0..max_steps {
            // Past the last step, a call measures a piece of the closing report.
            if (self.cpu.steps_done() >= target && !self.cpu.is_measuring())
                || self.cpu.is_finished()
            {
                break;
            }
            self.cpu.advance(0.0);
        }
        if let Some(Err(e)) = self.cpu.report() {
            return Err(e.clone());
        }
        if self.cpu.steps_done() != target {
            return Ok(false);
        }
        // The last comparison carries both runs' errors against the reference ODE solution:
        // it waits for both closing measurements.
        let measuring = self.cpu.is_measuring() || gpu_run.is_measuring();
        if target == 0 || measuring || self.points.last().is_some_and(|p| p.t == gpu_run.time()) {
            return Ok(true);
        }
        let dim = gpu_run.mixture().dim;
        let (difference, _) = per_sample_error(&gpu_run.particles(), &self.cpu.particles(), dim);
        let ode_error = |run: &DiffusionRun| match run.report() {
            Some(Ok(report)) => report.ode_error.map(|(rms, _)| rms),
            _ => None,
        };
        let point = ShadowPoint {
            t: gpu_run.time(),
            difference,
            bound: f32_bound(gpu_run.nfe(), gpu_run.mixture().components(), self.scale),
            f64_error: ode_error(&self.cpu),
            f32_error: ode_error(gpu_run),
        };
        record(&mut self.points, point);
        Ok(true)
    }

    /// The comparisons so far.
    pub fn points(&self) -> &[ShadowPoint] {
        &self.points
    }

    /// The f64 run.
    pub fn run(&self) -> &DiffusionRun {
        &self.cpu
    }

    /// The f64 run, to continue on it.
    pub fn into_run(self) -> DiffusionRun {
        self.cpu
    }
}

impl crate::core::shadow::ShadowLog for DiffusionShadow {
    fn points(&self) -> &[ShadowPoint] {
        &self.points
    }
}

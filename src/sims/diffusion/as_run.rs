//! Diffusion sampling behind the [`Run`] interface: the f64 CPU run ([`DiffusionRun`]) and
//! the f32 GPU run of the same sampler program ([`DiffusionGpuRun`]), which feeds its
//! particles back into a bookkeeping [`DiffusionRun`], so both write the same step history
//! and are measured by the same report. A sampling run has no clock: it runs once from t_max
//! down to t_min.

use super::gpu::GpuLiveRun;
use super::metrics::per_sample_error;
use super::run::{DiffusionRun, StepPoint};
use super::shadow::f32_bound;
use crate::checkpoint::RunState;
use crate::gpu::GpuContext;
use crate::sims::run::{Accuracy, Backend, Run, RunHistory, Series, Snapshot, Target, TracePoint};

/// Most particles a snapshot shows.
const SNAPSHOT_POINTS: usize = 2000;

const COLUMNS: [&str; 6] = ["t", "h_t", "h_lambda", "error", "accepted", "nfe"];

fn step_row(p: &StepPoint) -> Vec<f64> {
    vec![
        p.t,
        p.h_t,
        p.h_lambda,
        p.error,
        f64::from(u8::from(p.accepted)),
        p.nfe,
    ]
}

fn no_checkpoint() -> String {
    "a diffusion sampling run is one pass from t_max to t_min that its link reproduces \
     exactly: it has no checkpoint"
        .into()
}

/// What both backends read from the bookkeeping run.
impl DiffusionRun {
    fn run_row(&self) -> Vec<f64> {
        self.history().last().map_or_else(
            || vec![self.time(), f64::NAN, f64::NAN, f64::NAN, 1.0, self.nfe()],
            step_row,
        )
    }

    fn run_trace(&self) -> TracePoint {
        let last = self.history().last();
        TracePoint {
            t: self.time(),
            h: last.map_or(f64::NAN, |p| p.h_lambda),
            error_estimate: last.map_or(f64::NAN, |p| p.error),
            drift: f64::NAN,
        }
    }

    fn run_history(&self) -> RunHistory {
        let h = self.history();
        let column = |pick: fn(&StepPoint) -> f64| h.iter().map(|p| [p.t, pick(p)]).collect();
        RunHistory {
            note: "one sample per step, from t_max down to t_min".to_owned(),
            series: vec![
                Series::complete("h_t", column(|p| p.h_t)),
                Series::complete("h_lambda", column(|p| p.h_lambda)),
                Series::complete("error", column(|p| p.error)),
                Series::complete("accepted", column(|p| f64::from(u8::from(p.accepted)))),
                Series::complete("nfe", column(|p| p.nfe)),
            ],
        }
    }

    fn run_accuracy(&self) -> Option<Accuracy> {
        match self.report() {
            Some(Ok(report)) => Some(match report.ode_error {
                Some((value, _)) => Accuracy {
                    value,
                    measure: "RMS distance to the reference ODE solution",
                },
                None => Accuracy {
                    value: report.sliced_w2,
                    measure: "sliced W2 distance to the target",
                },
            }),
            _ => None,
        }
    }

    fn run_snapshot(&self) -> Snapshot {
        let dim = self.params().dim.max(1);
        let particles = self.particles();
        let stride = (particles.len() / dim).div_ceil(SNAPSHOT_POINTS).max(1);
        Snapshot::Points(
            particles
                .chunks_exact(dim)
                .step_by(stride)
                .map(|p| [p[0], p.get(1).copied().unwrap_or(0.0)])
                .collect(),
        )
    }

    fn run_summary(&self) -> Option<String> {
        match self.report() {
            Some(Ok(report)) => Some(format!(
                "sample vs target: sliced W2 {:.4} (exact-set noise {:.4}), mode TV {:.4}{}",
                report.sliced_w2,
                report.sliced_w2_noise,
                report.mode_tv,
                report.ode_error.map_or(String::new(), |(rms, _)| format!(
                    ", RMS error vs the ODE solution {rms:.3e}"
                ))
            )),
            _ => None,
        }
    }
}

impl Run for DiffusionRun {
    fn backend(&self) -> Backend {
        Backend::Cpu
    }

    fn has_clock(&self) -> bool {
        false
    }

    fn time(&self) -> f64 {
        DiffusionRun::time(self)
    }

    /// `attempts` counts denoiser evaluations per particle.
    fn advance(&mut self, _target: Target, attempts: u64) -> Result<bool, String> {
        let done = DiffusionRun::advance(self, attempts as f64);
        match self.report() {
            Some(Err(e)) => Err(e.clone()),
            _ => Ok(done),
        }
    }

    fn columns(&self) -> Vec<&'static str> {
        COLUMNS.to_vec()
    }

    fn row(&self) -> Vec<f64> {
        self.run_row()
    }

    fn step_rows(&self) -> Vec<Vec<f64>> {
        self.history().iter().map(step_row).collect()
    }

    fn trace(&self) -> TracePoint {
        self.run_trace()
    }

    fn history(&self) -> RunHistory {
        self.run_history()
    }

    fn accuracy(&self) -> Option<Accuracy> {
        self.run_accuracy()
    }

    fn work(&self) -> f64 {
        self.nfe()
    }

    fn method_order(&self) -> Option<f64> {
        self.params().sampler.ode_order(self.params())
    }

    fn state_vector(&self) -> Vec<f64> {
        self.particles()
    }

    fn snapshot(&mut self) -> Snapshot {
        self.run_snapshot()
    }

    fn checkpoint_state(&self) -> Result<RunState, String> {
        Err(no_checkpoint())
    }

    fn summary(&self) -> Option<String> {
        self.run_summary()
    }
}

/// A sampling run on the GPU (f32): the sampler's program runs there, its particles are fed
/// back into `run`.
pub struct DiffusionGpuRun {
    run: DiffusionRun,
    gpu: GpuLiveRun,
    ctx: GpuContext,
}

impl DiffusionGpuRun {
    /// The run of `params` on `ctx`, from the same initial particles and noise as the CPU run
    /// (adaptive samplers choose their steps from the particles and are refused).
    pub fn new(ctx: &GpuContext, params: super::DiffusionParams) -> Result<Self, String> {
        let run = DiffusionRun::new(params.clone())?.with_params_external(params)?;
        let gpu = GpuLiveRun::new(ctx, &run)?;
        Ok(Self {
            run,
            gpu,
            ctx: ctx.clone(),
        })
    }
}

impl Run for DiffusionGpuRun {
    fn backend(&self) -> Backend {
        Backend::Gpu
    }

    fn has_clock(&self) -> bool {
        false
    }

    fn time(&self) -> f64 {
        self.run.time()
    }

    /// Encodes steps worth `attempts` evaluations per particle and collects landed particles.
    fn advance(&mut self, _target: Target, attempts: u64) -> Result<bool, String> {
        if !self.gpu.is_done() {
            self.gpu.frame(&self.ctx, &mut self.run, attempts as f64)?;
        } else if self.run.is_measuring() {
            // The particles are back: one piece of the closing measurement per call.
            self.run.advance(0.0);
        }
        match self.run.report() {
            Some(Err(e)) => Err(e.clone()),
            Some(Ok(_)) => Ok(true),
            None => Ok(false),
        }
    }

    fn wait(&mut self) -> Result<(), String> {
        self.gpu.wait(&self.ctx, &mut self.run)
    }

    fn columns(&self) -> Vec<&'static str> {
        COLUMNS.to_vec()
    }

    fn row(&self) -> Vec<f64> {
        self.run.run_row()
    }

    fn step_rows(&self) -> Vec<Vec<f64>> {
        self.run.history().iter().map(step_row).collect()
    }

    fn trace(&self) -> TracePoint {
        self.run.run_trace()
    }

    fn history(&self) -> RunHistory {
        self.run.run_history()
    }

    fn accuracy(&self) -> Option<Accuracy> {
        self.run.run_accuracy()
    }

    fn work(&self) -> f64 {
        self.run.nfe()
    }

    fn method_order(&self) -> Option<f64> {
        self.run.params().sampler.ode_order(self.run.params())
    }

    fn state_vector(&self) -> Vec<f64> {
        self.run.particles()
    }

    fn snapshot(&mut self) -> Snapshot {
        self.run.run_snapshot()
    }

    fn checkpoint_state(&self) -> Result<RunState, String> {
        Err(no_checkpoint())
    }

    fn summary(&self) -> Option<String> {
        self.run.run_summary()
    }

    /// The f32 bound over the evaluations so far, at the scale of the initial particles.
    fn precision_floor(&self) -> Option<f64> {
        let run = &self.run;
        let dim = run.mixture().dim;
        let (scale, _) = per_sample_error(run.initial(), &vec![0.0; run.initial().len()], dim);
        Some(f32_bound(run.nfe(), run.mixture().components(), scale))
    }
}

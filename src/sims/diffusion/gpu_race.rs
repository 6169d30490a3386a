//! Diffusion races on the GPU: the runs of a race (each sampler at each NFE) go one after
//! another through the f32 sampler programs (`shaders/diffusion_sampler.wgsl`; a program is
//! one sampler's steps, so runs of different samplers are not batched into one dispatch), from
//! the same initial particles and noise as the f64 runs. Each run is measured as the f64 run
//! is — by its distance to the reference ODE solution (deterministic samplers), else the
//! sliced W2 distance to the target — and states its f32 floor ([`super::shadow::f32_bound`]),
//! below which the point shows the arithmetic and stays out of the fit. The adaptive samplers
//! choose their steps from the particles and run on the CPU only: their points say so.

use web_time::Instant;

use super::DiffusionParams;
use super::gpu::GpuLiveRun;
use super::metrics::per_sample_error;
use super::run::DiffusionRun;
use super::shadow::f32_bound;
use crate::gpu::GpuContext;
use crate::race::{BatchResult, BatchRunner, Measure, Race};
use crate::scenario::Scenario;

/// Why `race` cannot run on the diffusion GPU path, if it cannot.
pub fn unsupported(race: &Race) -> Option<String> {
    if !matches!(race.scenario(), Scenario::Diffusion(_)) {
        return Some("not a diffusion race".into());
    }
    if race.plan().measure != Measure::Scenario {
        return Some(
            "GPU races measure against the scenario's own truth, not a reference run".into(),
        );
    }
    None
}

/// A run in progress: the bookkeeping run fed by the GPU, the GPU program, its start.
struct Current {
    run: DiffusionRun,
    gpu: GpuLiveRun,
    started: Instant,
}

/// The diffusion runs of a race on the GPU, one after another.
pub struct GpuDiffusionRace {
    ctx: GpuContext,
    runs: Vec<DiffusionParams>,
    results: Vec<BatchResult>,
    current: Option<Current>,
    /// Wait for the device (command line, tests) instead of polling (the app).
    blocking: bool,
    measure: &'static str,
}

impl GpuDiffusionRace {
    /// The runs of `race` (checked with [`unsupported`]) on `ctx`.
    pub fn new(ctx: &GpuContext, race: &Race, blocking: bool) -> Result<Self, String> {
        if let Some(why) = unsupported(race) {
            return Err(why);
        }
        let runs: Vec<DiffusionParams> = race
            .runs()
            .filter_map(|(_, _, s)| match s {
                Scenario::Diffusion(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        let deterministic = runs.first().is_some_and(|p| !p.sampler.is_stochastic(p));
        let measure = if deterministic {
            "RMS distance to the reference ODE solution (f32 on the GPU)"
        } else {
            "sliced W2 distance to the target (f32 on the GPU)"
        };
        Ok(Self {
            ctx: ctx.clone(),
            runs,
            results: Vec::new(),
            current: None,
            blocking,
            measure,
        })
    }

    /// Starts the next run, or records why it cannot run on the GPU.
    fn start(&mut self) -> Result<(), String> {
        let params = self.runs[self.results.len()].clone();
        let started = Instant::now();
        let made = DiffusionRun::new(params.clone())
            .and_then(|run| run.with_params_external(params))
            .and_then(|run| GpuLiveRun::new(&self.ctx, &run).map(|gpu| (run, gpu)));
        match made {
            Ok((run, gpu)) => {
                self.current = Some(Current { run, gpu, started });
                Ok(())
            }
            Err(why) => {
                self.results.push(BatchResult {
                    work: f64::NAN,
                    error: f64::NAN,
                    seconds: 0.0,
                    failure: Some(why),
                    floor: None,
                });
                Ok(())
            }
        }
    }

    /// Records the finished current run.
    fn finish(&mut self, current: Current) {
        let run = &current.run;
        let (error, failure) = match run.report() {
            Some(Ok(report)) => (
                report.ode_error.map_or(report.sliced_w2, |(rms, _)| rms),
                None,
            ),
            Some(Err(why)) => (f64::NAN, Some(why.clone())),
            None => (f64::NAN, Some("the run did not finish".into())),
        };
        let dim = run.mixture().dim;
        let (scale, _) = per_sample_error(run.initial(), &vec![0.0; run.initial().len()], dim);
        self.results.push(BatchResult {
            work: run.nfe(),
            error,
            seconds: current.started.elapsed().as_secs_f64(),
            failure,
            floor: Some(f32_bound(run.nfe(), run.mixture().components(), scale)),
        });
    }
}

impl BatchRunner for GpuDiffusionRace {
    fn advance(&mut self, seconds: f64) -> Result<Option<Vec<BatchResult>>, String> {
        let start = Instant::now();
        loop {
            if self.results.len() == self.runs.len() {
                return Ok(Some(std::mem::take(&mut self.results)));
            }
            if self.current.is_none() {
                self.start()?;
                continue;
            }
            let Some(mut current) = self.current.take() else {
                continue;
            };
            if self.blocking {
                current.gpu.finish_blocking(&self.ctx, &mut current.run)?;
            } else {
                // All the steps in one submission; later calls collect the particles.
                current
                    .gpu
                    .frame(&self.ctx, &mut current.run, f64::INFINITY)?;
            }
            if current.run.is_finished() {
                self.finish(current);
            } else {
                self.current = Some(current);
            }
            if (!self.blocking && self.current.is_some())
                || start.elapsed().as_secs_f64() >= seconds
            {
                return Ok(None);
            }
        }
    }

    fn progress(&self) -> f64 {
        let within = self.current.as_ref().map_or(0.0, |c| c.run.progress());
        (self.results.len() as f64 + within) / self.runs.len().max(1) as f64
    }

    fn measure_name(&self) -> &'static str {
        self.measure
    }

    fn describe(&self) -> String {
        format!(
            "GPU {}: the runs one after another, f32",
            self.ctx.adapter_name()
        )
    }
}

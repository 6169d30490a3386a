//! NLSE races on the GPU: the runs of a race go to the f32 GPU path one after another (each
//! run's FFTs fill the device; the kernels advance one field per dispatch, so runs are not
//! batched into one dispatch as the three-body runs are). Each run is measured as the f64
//! run is — the error against the exact solution, else the Hamiltonian drift — and states
//! its f32 floor ([`super::shadow::f32_bound`] over its FFT passes), below which the point
//! shows the arithmetic rather than the method and stays out of the fit.

use web_time::Instant;

use super::NlseParams;
use super::gpu::{GPU_MIN_RTOL, NlseGpu};
use super::shadow::f32_bound;
use crate::core::stats::Outcome;
use crate::gpu::GpuContext;
use crate::race::run::{MAX_ATTEMPTS, nlse_accuracy};
use crate::race::{BatchResult, BatchRunner, Measure, Race};
use crate::scenario::Scenario;

/// Step attempts recorded per submission.
const ATTEMPTS_PER_SUBMISSION: u32 = 64;

/// Why `race` cannot run on the NLSE GPU path, if it cannot.
pub fn unsupported(race: &Race) -> Option<String> {
    if !matches!(race.scenario(), Scenario::Nlse(_)) {
        return Some("not an NLSE race".into());
    }
    if race.plan().measure != Measure::Scenario {
        return Some(
            "GPU races measure against the scenario's own truth, not a reference run".into(),
        );
    }
    None
}

/// The NLSE runs of a race on the GPU, one after another.
pub struct GpuNlseRace {
    ctx: GpuContext,
    runs: Vec<NlseParams>,
    until: f64,
    results: Vec<BatchResult>,
    current: Option<(NlseGpu, Instant)>,
    /// Wait for the device (command line, tests) instead of polling (the app).
    blocking: bool,
    /// What the error measures.
    measure: &'static str,
}

impl GpuNlseRace {
    /// The runs of `race` (checked with [`unsupported`]) on `ctx`.
    pub fn new(ctx: &GpuContext, race: &Race, blocking: bool) -> Result<Self, String> {
        if let Some(why) = unsupported(race) {
            return Err(why);
        }
        let until = race.plan().until.ok_or("an NLSE race needs an end time")?;
        let exact = crate::race::CpuRun::new(race.scenario())?
            .accuracy()
            .is_some_and(|(_, name)| name.contains("exact"));
        let measure = if exact {
            "relative L2 error vs the exact solution (f32 on the GPU)"
        } else {
            "Hamiltonian drift (f32 on the GPU)"
        };
        let runs = race
            .runs()
            .filter_map(|(_, _, s)| match s {
                Scenario::Nlse(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        Ok(Self {
            ctx: ctx.clone(),
            runs,
            until,
            results: Vec::new(),
            current: None,
            blocking,
            measure,
        })
    }

    /// Records the finished current run.
    fn finish(&mut self, sim: &NlseGpu, started: Instant, failure: Option<String>) {
        let p = sim.params();
        let passes = 2 * u64::from(p.method.order().max(1)) * sim.stats().accepted;
        let failure = failure.or_else(|| {
            (p.method.is_adaptive() && p.rtol < GPU_MIN_RTOL).then(|| {
                format!(
                    "rtol = {:.0e} is below f32 resolution: the GPU runs at {GPU_MIN_RTOL:.0e}",
                    p.rtol
                )
            })
        });
        self.results.push(BatchResult {
            work: sim.stats().nfe as f64,
            error: if failure.is_some() {
                f64::NAN
            } else {
                nlse_accuracy(sim.diagnostics()).0
            },
            seconds: started.elapsed().as_secs_f64(),
            failure,
            floor: Some(f32_bound(sim.grid().n, passes)),
        });
    }
}

impl BatchRunner for GpuNlseRace {
    fn advance(&mut self, seconds: f64) -> Result<Option<Vec<BatchResult>>, String> {
        let start = Instant::now();
        loop {
            if self.results.len() == self.runs.len() {
                return Ok(Some(std::mem::take(&mut self.results)));
            }
            let (mut sim, started) = match self.current.take() {
                Some(current) => current,
                None => {
                    let params = self.runs[self.results.len()].clone();
                    (NlseGpu::new(&self.ctx, params)?, Instant::now())
                }
            };
            let outcome = if self.blocking {
                sim.advance_blocking(&self.ctx, self.until, ATTEMPTS_PER_SUBMISSION, MAX_ATTEMPTS)
                    .map_err(|e| e.to_string())?
            } else {
                sim.poll(&self.ctx).map_err(|e| e.to_string())?;
                if !sim.busy() && sim.time() < self.until && sim.outcome().is_ok() {
                    sim.encode(&self.ctx, self.until, ATTEMPTS_PER_SUBMISSION);
                }
                sim.outcome().clone()
            };
            let reached = !sim.busy() && sim.time() >= self.until;
            match outcome {
                _ if reached => self.finish(&sim, started, None),
                Outcome::Reached | Outcome::BudgetExhausted => {
                    self.current = Some((sim, started));
                }
                failed => {
                    let why = failed.message().unwrap_or_else(|| "the run stopped".into());
                    self.finish(&sim, started, Some(why));
                }
            }
            if (!self.blocking && self.current.is_some())
                || start.elapsed().as_secs_f64() >= seconds
            {
                return Ok(None);
            }
        }
    }

    fn progress(&self) -> f64 {
        let within = self
            .current
            .as_ref()
            .map_or(0.0, |(sim, _)| (sim.time() / self.until).clamp(0.0, 1.0));
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

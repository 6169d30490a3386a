//! Races on the GPU: a three-body race runs every run as one invocation of the same dispatch
//! ([`crate::sims::threebody::gpu_race`]); NLSE and diffusion races run their runs one after
//! another on their f32 GPU paths ([`SequentialGpuRace`], through the scenarios' `gpu_run`: each
//! run's kernels advance one field or one sampler's program per dispatch, so the runs cannot
//! share one); Navier–Stokes races stay on the CPU. Every GPU point is measured as the f64
//! run is and states its f32 floor ([`Run::precision_floor`]), below which it shows the
//! arithmetic rather than the method and stays out of the fit.

use web_time::Instant;

use super::{BatchResult, BatchRunner, Measure, Race};
use crate::gpu::GpuContext;
use crate::scenario::{GpuRaces, Scenario};
use crate::sims::run::{MAX_ATTEMPTS, Run, Target};
use crate::sims::threebody::ThreeBodyParams;
use crate::sims::threebody::gpu_race::{self, GpuThreeBodyRace};

/// Why the runs of `race` cannot go to the GPU, if they cannot.
pub fn unsupported(race: &Race) -> Option<String> {
    if race.plan().measure != Measure::Scenario {
        return Some(
            "GPU races measure against the scenario's own truth, not a reference run".into(),
        );
    }
    match race.scenario().info().gpu_races {
        GpuRaces::CpuOnly(why) => Some(why.to_owned()),
        GpuRaces::Sequential => None,
        GpuRaces::Batched => {
            let runs = three_body_runs(race);
            let runs: Vec<(&str, &_)> = runs.iter().map(|(s, p)| (*s, p)).collect();
            gpu_race::unsupported(&race.plan().key, &runs)
        }
    }
}

/// The three-body runs of `race` (its solver tokens and parameters).
fn three_body_runs(race: &Race) -> Vec<(&str, ThreeBodyParams)> {
    race.runs()
        .filter_map(|(solver, _, scenario)| {
            ThreeBodyParams::try_from(scenario.clone())
                .ok()
                .map(|p| (solver, p))
        })
        .collect()
}

/// The GPU runner of `race` (see [`unsupported`]); `blocking` waits for the device (command
/// line, tests), else each call polls (the app).
pub fn runner(
    ctx: &GpuContext,
    race: &Race,
    blocking: bool,
) -> Result<Box<dyn BatchRunner>, String> {
    if let Some(why) = unsupported(race) {
        return Err(why);
    }
    match race.scenario().info().gpu_races {
        GpuRaces::Batched => {
            let until = race
                .plan()
                .until
                .ok_or("a three-body race needs an end time")?;
            let runs = three_body_runs(race);
            let params: Vec<&ThreeBodyParams> = runs.iter().map(|(_, p)| p).collect();
            Ok(Box::new(GpuThreeBodyRace::new(
                ctx, &params, until, blocking,
            )?))
        }
        GpuRaces::Sequential => Ok(Box::new(SequentialGpuRace::new(ctx, race, blocking)?)),
        GpuRaces::CpuOnly(why) => Err(why.to_owned()),
    }
}

fn on_the_gpu(measure: &str) -> String {
    format!("{measure} (f32 on the GPU)")
}

/// The runs of a race on the GPU, one after another.
pub struct SequentialGpuRace {
    ctx: GpuContext,
    runs: Vec<Scenario>,
    /// The end time (None: diffusion sampling runs to t_min).
    until: Option<f64>,
    results: Vec<BatchResult>,
    current: Option<(Box<dyn Run>, Instant)>,
    /// Wait for the device (command line, tests) instead of polling (the app).
    blocking: bool,
    measure: String,
}

impl SequentialGpuRace {
    /// The runs of `race` on `ctx`.
    pub fn new(ctx: &GpuContext, race: &Race, blocking: bool) -> Result<Self, String> {
        let runs: Vec<Scenario> = race.runs().map(|(_, _, s)| s.clone()).collect();
        let first = runs.first().ok_or("the race has no runs")?;
        // What the error measures: the f64 run's measure, as far as it is known before the
        // run (a sampling run knows it once sampled); each finished run says it.
        let measure = first
            .cpu_run()?
            .accuracy()
            .map_or_else(String::new, |a| on_the_gpu(a.measure));
        Ok(Self {
            ctx: ctx.clone(),
            runs,
            until: race.plan().until,
            results: Vec::new(),
            current: None,
            blocking,
            measure,
        })
    }

    /// Records a run that ended (reached its end, or failed with `failure`).
    fn finish(&mut self, run: &dyn Run, started: Instant, failure: Option<String>) {
        let failure = failure.or_else(|| run.limitation());
        let error = match (&failure, run.accuracy()) {
            (None, Some(accuracy)) => {
                self.measure = on_the_gpu(accuracy.measure);
                accuracy.value
            }
            _ => f64::NAN,
        };
        self.results.push(BatchResult {
            work: run.work(),
            error,
            seconds: started.elapsed().as_secs_f64(),
            failure,
            floor: run.precision_floor(),
        });
    }
}

impl BatchRunner for SequentialGpuRace {
    fn advance(&mut self, seconds: f64) -> Result<Option<Vec<BatchResult>>, String> {
        let start = Instant::now();
        let target = Target::Land(self.until.unwrap_or(0.0));
        loop {
            if self.results.len() == self.runs.len() {
                return Ok(Some(std::mem::take(&mut self.results)));
            }
            let (mut run, started) = match self.current.take() {
                Some(current) => current,
                None => {
                    let started = Instant::now();
                    match self.runs[self.results.len()].gpu_run(&self.ctx) {
                        Ok(run) => (run, started),
                        Err(why) => {
                            // This run cannot go to the GPU (an adaptive sampler): its point
                            // says why.
                            self.results.push(BatchResult {
                                work: f64::NAN,
                                error: f64::NAN,
                                seconds: 0.0,
                                failure: Some(why),
                                floor: None,
                            });
                            continue;
                        }
                    }
                }
            };
            let mut reached = run.advance(target, MAX_ATTEMPTS);
            while self.blocking && matches!(reached, Ok(false)) {
                reached = run.wait().and_then(|()| run.advance(target, MAX_ATTEMPTS));
            }
            match reached {
                Ok(true) => self.finish(run.as_ref(), started, None),
                Ok(false) => self.current = Some((run, started)),
                Err(why) => self.finish(run.as_ref(), started, Some(why)),
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
            .map_or(0.0, |(run, _)| match self.until {
                Some(until) if until > 0.0 => (run.time() / until).clamp(0.0, 1.0),
                _ => 0.5,
            });
        (self.results.len() as f64 + within) / self.runs.len().max(1) as f64
    }

    fn measure_name(&self) -> String {
        self.measure.clone()
    }

    fn describe(&self) -> String {
        format!(
            "GPU {}: the runs one after another, f32",
            self.ctx.adapter_name()
        )
    }
}

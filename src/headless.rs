//! Runs a scenario without a window (the CLI, tests, job schedulers): any of the four
//! simulations from its share link, on the CPU (f64, [`CpuRun`]) or, where a GPU path exists
//! headless, on the GPU (f32), advanced to given times and sampled as rows of named
//! diagnostics.

use crate::gpu::GpuContext;
use crate::race::CpuRun;
use crate::race::run::{
    MAX_ATTEMPTS, NS_COLUMNS, nlse_accuracy, nlse_columns, nlse_row, ns_accuracy, ns_row,
    outcome_result,
};
use crate::scenario::Scenario;
use crate::sims::navier_stokes::gpu_run::GpuFlow;
use crate::sims::navier_stokes::run::{NsPoint, NsRun};
use crate::sims::nlse::gpu::NlseGpu;

/// Where the numbers are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The f64 CPU reference.
    Cpu,
    /// The f32 WGSL path.
    Gpu,
}

/// A Navier–Stokes run on the GPU: the solver, the CPU run that receives its state and
/// history, the device, the GPU's steps taken into the history so far.
pub struct NsOnGpu {
    run: NsRun,
    gpu: GpuFlow,
    ctx: GpuContext,
    seen: u64,
    /// The CPU run's time when the GPU took over (the GPU's clock starts at 0).
    t0: f64,
}

/// A scenario being run.
pub enum HeadlessRun {
    /// Any scenario on the CPU, f64.
    Cpu(CpuRun),
    /// NLSE, f32 on the GPU.
    NlseGpu(Box<(NlseGpu, GpuContext)>),
    /// Navier–Stokes, f32 on the GPU.
    NavierStokesGpu(Box<NsOnGpu>),
}

/// A GPU device for headless work (a real adapter if there is one, else a software one).
pub fn device() -> Result<GpuContext, String> {
    pollster::block_on(GpuContext::headless(false))
        .map_err(|e| format!("no GPU adapter for --backend gpu: {e}"))
}

impl HeadlessRun {
    /// Sets up the run of `scenario` on `backend`.
    pub fn new(scenario: &Scenario, backend: Backend) -> Result<HeadlessRun, String> {
        Ok(match (scenario, backend) {
            (_, Backend::Cpu) => HeadlessRun::Cpu(CpuRun::new(scenario)?),
            (Scenario::Nlse(p), Backend::Gpu) => {
                let ctx = device()?;
                let gpu = NlseGpu::new(&ctx, p.clone())?;
                HeadlessRun::NlseGpu(Box::new((gpu, ctx)))
            }
            (Scenario::NavierStokes(p), Backend::Gpu) => {
                let ctx = device()?;
                let run = NsRun::new(p.clone())?;
                let gpu = GpuFlow::from_run(&ctx, &run)?;
                HeadlessRun::NavierStokesGpu(Box::new(NsOnGpu {
                    t0: run.time(),
                    run,
                    gpu,
                    ctx,
                    seen: 0,
                }))
            }
            (Scenario::ThreeBody(_), Backend::Gpu) => {
                return Err("three-body runs one system on the CPU (f64); the GPU integrates ensembles in the app's chaos map, not single runs: use --backend cpu".into());
            }
            (Scenario::Diffusion(_), Backend::Gpu) => {
                return Err("diffusion sampling runs headless on the CPU (f64) only so far: use --backend cpu".into());
            }
        })
    }

    /// Whether the run has a time to advance to (diffusion sampling instead runs from t_max
    /// to t_min: see [`Self::finish`]).
    pub fn has_clock(&self) -> bool {
        match self {
            HeadlessRun::Cpu(r) => r.has_clock(),
            _ => true,
        }
    }

    /// The current simulation time.
    pub fn time(&self) -> f64 {
        match self {
            HeadlessRun::Cpu(r) => r.time(),
            HeadlessRun::NlseGpu(g) => g.0.time(),
            HeadlessRun::NavierStokesGpu(g) => g.run.time(),
        }
    }

    /// Advances to time `t` (exactly, on the CPU; to the first step at or past it for
    /// Navier–Stokes on the GPU). A failed run returns why.
    pub fn advance_to(&mut self, t: f64) -> Result<(), String> {
        match self {
            HeadlessRun::Cpu(r) => r.advance_to(t),
            HeadlessRun::NlseGpu(g) => {
                let (run, ctx) = &mut **g;
                let outcome = run
                    .advance_blocking(ctx, t, 64, MAX_ATTEMPTS)
                    .map_err(|e| e.to_string())?;
                outcome_result(&outcome)
            }
            HeadlessRun::NavierStokesGpu(g) => g.advance_to(t),
        }
    }

    /// Runs diffusion sampling to its end (t_min); other runs are unchanged.
    pub fn finish(&mut self) -> Result<(), String> {
        match self {
            HeadlessRun::Cpu(r) => r.finish(),
            _ => Ok(()),
        }
    }

    /// The names of [`Self::row`]'s values.
    pub fn columns(&self) -> Vec<&'static str> {
        match self {
            HeadlessRun::Cpu(r) => r.columns(),
            HeadlessRun::NlseGpu(_) => nlse_columns(),
            HeadlessRun::NavierStokesGpu(_) => NS_COLUMNS.to_vec(),
        }
    }

    /// The diagnostics now (NaN where a value does not exist, e.g. no exact solution).
    pub fn row(&self) -> Vec<f64> {
        match self {
            HeadlessRun::Cpu(r) => r.row(),
            HeadlessRun::NlseGpu(g) => nlse_row(g.0.diagnostics(), g.0.stats()),
            HeadlessRun::NavierStokesGpu(g) => ns_row(&g.run),
        }
    }

    /// Every row of diffusion sampling's step history (its output is the whole history).
    pub fn diffusion_rows(&self) -> Vec<Vec<f64>> {
        match self {
            HeadlessRun::Cpu(r) => r.diffusion_rows(),
            _ => Vec::new(),
        }
    }

    /// The run's accuracy now and what it measures (see [`CpuRun::accuracy`]).
    pub fn accuracy(&self) -> Option<(f64, &'static str)> {
        match self {
            HeadlessRun::Cpu(r) => r.accuracy(),
            HeadlessRun::NlseGpu(g) => Some(nlse_accuracy(g.0.diagnostics())),
            HeadlessRun::NavierStokesGpu(g) => ns_accuracy(&g.run),
        }
    }

    /// The work done so far (see [`CpuRun::work`]).
    pub fn work(&self) -> f64 {
        match self {
            HeadlessRun::Cpu(r) => r.work(),
            HeadlessRun::NlseGpu(g) => g.0.stats().nfe as f64,
            HeadlessRun::NavierStokesGpu(g) => g.run.steps() as f64,
        }
    }

    /// The formal order of the run's method, where it has one.
    pub fn method_order(&self) -> Option<f64> {
        match self {
            HeadlessRun::Cpu(r) => r.method_order(),
            HeadlessRun::NlseGpu(g) => Some(f64::from(g.0.params().method.order())),
            HeadlessRun::NavierStokesGpu(g) => Some(f64::from(g.run.params().solver.time_order())),
        }
    }

    /// A checkpoint of the run now (a GPU run's f32 state as read back, exactly; it continues
    /// on the CPU).
    pub fn checkpoint(&self) -> Result<crate::checkpoint::Checkpoint, String> {
        match self {
            HeadlessRun::Cpu(r) => r.checkpoint(),
            HeadlessRun::NavierStokesGpu(g) => {
                let scenario = Scenario::NavierStokes(g.run.params().clone());
                Ok(crate::checkpoint::Checkpoint::new(
                    scenario.to_query(),
                    scenario.sim_key(),
                    g.run.time(),
                    g.run.checkpoint_state(),
                ))
            }
            HeadlessRun::NlseGpu(g) => {
                let scenario = Scenario::Nlse(g.0.params().clone());
                Ok(crate::checkpoint::Checkpoint::new(
                    scenario.to_query(),
                    scenario.sim_key(),
                    g.0.time(),
                    g.0.checkpoint_state(),
                ))
            }
        }
    }

    /// The CPU mirror of a Navier–Stokes GPU run (its state as last read back).
    pub fn navier_stokes_mirror(&self) -> Option<&NsRun> {
        match self {
            HeadlessRun::NavierStokesGpu(g) => Some(&g.run),
            _ => None,
        }
    }

    /// A closing summary for the user (diffusion: the sample against the target).
    pub fn summary(&self) -> Option<String> {
        match self {
            HeadlessRun::Cpu(r) => r.summary(),
            _ => None,
        }
    }
}
impl NsOnGpu {
    /// Records steps until the GPU's time reaches `t`: batches sized from the last Δt (one
    /// step at a time near the end), the history read back after each.
    fn advance_to(&mut self, t: f64) -> Result<(), String> {
        let t0 = self.t0;
        let mut dt = self.run.history().last().map_or(0.0, |p| p.dt);
        while self.run.time() < t {
            let left = t - self.run.time();
            let batch = if dt > 0.0 {
                ((left / dt).floor() as usize).clamp(1, 16)
            } else {
                1
            };
            let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
            self.gpu.encode(&mut encoder, batch);
            self.gpu.request_readbacks(&mut encoder);
            self.ctx.queue.submit([encoder.finish()]);
            self.gpu.readbacks_submitted();
            let (rows, fields) = loop {
                let (rows, fields) = self.gpu.try_take(&self.ctx)?;
                if rows.is_some() && fields.is_some() {
                    break (rows, fields);
                }
                self.ctx
                    .device
                    .poll(crate::gpu::wgpu::PollType::wait_indefinitely())
                    .map_err(|e| e.to_string())?;
            };
            let rows = rows.unwrap_or_default();
            let points: Vec<NsPoint> = rows
                .iter()
                .filter(|r| r.step > self.seen)
                .map(|r| r.point(t0, self.gpu.pressure_iterations_per_step()))
                .collect();
            let Some(last) = rows.last() else {
                return Err("the GPU returned no history".into());
            };
            self.seen = last.step;
            dt = last.dt;
            self.gpu.adapt_pressure_iterations(last.pressure_residual);
            if let Some(fields) = fields {
                let steps = self.run.steps() + points.len() as u64;
                fields.load_into(&mut self.run, t0 + last.t, steps)?;
            }
            self.run.push_external_history(&points);
            if let Some(failure) = self.run.failure() {
                return Err(failure.to_owned());
            }
        }
        Ok(())
    }
}

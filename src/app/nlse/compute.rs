//! Which path computes the NLSE run (the f64 CPU reference or the f32 GPU path), behind one
//! interface for the panels and views, with the state handed over when the user switches
//! and the CPU taking over (from the last state read back) when the GPU fails.

use rustfft::num_complex::Complex64;
use web_time::Instant;

use crate::core::stats::{Outcome, RunStats};
use crate::gpu::GpuContext;
use crate::sims::nlse::cpu::{Grid, NlseCpu, NlseHistory, Waterfall};
use crate::sims::nlse::gpu::NlseGpu;
use crate::sims::nlse::{NlseDiagnostics, NlseParams};

/// What the user sees about single precision, next to the backend switch.
pub const F32_NOTICE: &str = "The GPU path computes in single precision (f32, ~7 digits): \
relative tolerances below about 1e-6 are under its round-off (the controller would only chase \
noise, so they are raised to 1e-6), errors against exact solutions bottom out near 1e-6, and \
conserved quantities drift at the 1e-7 … 1e-4 level over thousands of steps instead of 1e-13. \
Switch to the CPU (f64) for reference-quality numbers.";

/// The GPU run and its device.
pub struct GpuRun {
    /// The simulation.
    pub sim: NlseGpu,
    /// Its device.
    pub ctx: GpuContext,
}

/// The run, on either path.
pub enum NlseRun {
    /// f64 on the CPU.
    Cpu(Box<NlseCpu>),
    /// f32 on the GPU.
    Gpu(Box<GpuRun>),
}

/// Why the GPU path stopped: broken (device lost, a failed readback), or only too slow (a
/// submission older than the pacer's watchdog), in which case the device is offered again.
#[derive(Clone, Debug, PartialEq)]
pub enum GpuTrouble {
    /// The device or a readback failed.
    Failed(String),
    /// No answer within the adapter's watchdog.
    Stalled(String),
}

impl GpuRun {
    fn new(mut sim: NlseGpu, ctx: &GpuContext) -> Self {
        // The app draws the waterfall and spectrogram from GPU textures.
        sim.enable_views(ctx);
        Self {
            sim,
            ctx: ctx.clone(),
        }
    }

    /// Takes a landed readback; Err when the GPU failed or stopped answering.
    fn poll(&mut self) -> Result<bool, GpuTrouble> {
        let landed = self
            .sim
            .poll(&self.ctx)
            .map_err(|e| GpuTrouble::Failed(e.to_string()))?;
        let pacer = self.sim.pacer();
        if let Some(age) = pacer.stalled() {
            return Err(GpuTrouble::Stalled(pacer.stall_message(age)));
        }
        Ok(landed)
    }
}

impl NlseRun {
    /// A CPU run of `params`.
    pub fn cpu(params: NlseParams) -> Result<Self, String> {
        NlseCpu::new(params).map(|s| Self::Cpu(Box::new(s)))
    }

    /// A GPU run of `params`.
    pub fn gpu(ctx: &GpuContext, params: NlseParams) -> Result<Self, String> {
        let sim = NlseGpu::new(ctx, params)?;
        Ok(Self::Gpu(Box::new(GpuRun::new(sim, ctx))))
    }

    /// The GPU-drawn waterfall and spectrogram (GPU path only).
    pub fn gpu_views(&self) -> Option<&crate::sims::nlse::gpu_views::NlseViews> {
        match self {
            Self::Cpu(_) => None,
            Self::Gpu(r) => r.sim.views(),
        }
    }

    /// Whether the GPU computes.
    pub fn is_gpu(&self) -> bool {
        matches!(self, Self::Gpu(_))
    }

    /// Moves the run to the GPU, continuing from the current state.
    pub fn into_gpu(self, ctx: &GpuContext) -> Result<Self, (Self, String)> {
        match self {
            Self::Gpu(_) => Ok(self),
            Self::Cpu(mut cpu) => {
                let history = cpu.take_history();
                match NlseGpu::from_state(
                    ctx,
                    cpu.params().clone(),
                    cpu.spectrum(),
                    *cpu.stats(),
                    cpu.initial_diagnostics().clone(),
                    history,
                ) {
                    Ok(sim) => Ok(Self::Gpu(Box::new(GpuRun::new(sim, ctx)))),
                    Err(e) => Err((Self::Cpu(cpu), e)),
                }
            }
        }
    }

    /// Moves the run to the CPU, continuing from the last state the GPU read back.
    pub fn into_cpu(self) -> Self {
        match self {
            Self::Cpu(_) => self,
            Self::Gpu(mut run) => {
                let sim = &mut run.sim;
                let history = sim.take_history();
                let params = sim.params().clone();
                match NlseCpu::from_state(
                    params.clone(),
                    sim.spectrum(),
                    *sim.stats(),
                    sim.initial_diagnostics().clone(),
                    history,
                ) {
                    Ok(cpu) => Self::Cpu(Box::new(cpu)),
                    // Unreachable in practice (the GPU run was built from the same
                    // parameters); restart rather than lose the app.
                    Err(_) => Self::cpu(params)
                        .or_else(|_| Self::cpu(NlseParams::default()))
                        .expect("the default scenario is valid"),
                }
            }
        }
    }

    /// The parameters.
    pub fn params(&self) -> &NlseParams {
        match self {
            Self::Cpu(s) => s.params(),
            Self::Gpu(r) => r.sim.params(),
        }
    }

    /// How many times the CPU run built its propagator tables (None on the GPU and for the
    /// split-step methods).
    pub fn propagator_builds(&self) -> Option<u64> {
        match self {
            Self::Cpu(s) => s.propagator_builds(),
            Self::Gpu(_) => None,
        }
    }

    /// Run statistics.
    pub fn stats(&self) -> &RunStats {
        match self {
            Self::Cpu(s) => s.stats(),
            Self::Gpu(r) => r.sim.stats(),
        }
    }

    /// Current diagnostics.
    pub fn diagnostics(&self) -> &NlseDiagnostics {
        match self {
            Self::Cpu(s) => s.diagnostics(),
            Self::Gpu(r) => r.sim.diagnostics(),
        }
    }

    /// Plot histories.
    pub fn history(&self) -> &NlseHistory {
        match self {
            Self::Cpu(s) => s.history(),
            Self::Gpu(r) => r.sim.history(),
        }
    }

    /// The space–time waterfall.
    pub fn waterfall(&self) -> &Waterfall {
        match self {
            Self::Cpu(s) => s.waterfall(),
            Self::Gpu(r) => r.sim.waterfall(),
        }
    }

    /// ψ̂ in FFT order.
    pub fn spectrum(&self) -> &[Complex64] {
        match self {
            Self::Cpu(s) => s.spectrum(),
            Self::Gpu(r) => r.sim.spectrum(),
        }
    }

    /// ψ on the grid.
    pub fn field(&mut self) -> Vec<Complex64> {
        match self {
            Self::Cpu(s) => s.field(),
            Self::Gpu(r) => r.sim.field().to_vec(),
        }
    }

    /// The grid.
    pub fn grid(&self) -> &Grid {
        match self {
            Self::Cpu(s) => s.grid(),
            Self::Gpu(r) => r.sim.grid(),
        }
    }

    /// Why the run stopped (the GPU path: as of its last readback).
    pub fn outcome(&self) -> &Outcome {
        match self {
            Self::Cpu(s) => s.outcome(),
            Self::Gpu(r) => r.sim.outcome(),
        }
    }

    /// Applies new parameters, continuing or restarting like the CPU path does.
    pub fn set_params(&mut self, params: NlseParams) -> Result<bool, String> {
        match self {
            Self::Cpu(s) => s.set_params(params),
            Self::Gpu(r) => r.sim.set_params(&r.ctx, params),
        }
    }

    /// The same scenario from t = 0 on the same path.
    pub fn restarted(&self) -> Result<Self, String> {
        match self {
            Self::Cpu(s) => Self::cpu(s.params().clone()),
            Self::Gpu(r) => Self::gpu(&r.ctx, r.sim.params().clone()),
        }
    }

    /// One accepted step on the CPU; on the GPU one attempt is recorded (its result arrives
    /// with the next readback).
    pub fn single_step(&mut self) -> Outcome {
        match self {
            Self::Cpu(s) => s.single_step(),
            Self::Gpu(r) => {
                let t = r.sim.stats().t;
                r.sim.encode(&r.ctx, t + 1e9, 1);
                r.sim.outcome().clone()
            }
        }
    }

    /// Advances towards `target` for one frame within `budget_s` of wall time (CPU), or
    /// takes the GPU's readback and records the next submission when the last one is back.
    /// Returns the outcome, or Err with a reason when the GPU failed (the caller falls back).
    pub fn advance_frame(&mut self, target: f64, budget_s: f64) -> Result<Outcome, GpuTrouble> {
        match self {
            Self::Cpu(s) => {
                let start = Instant::now();
                let mut outcome = Outcome::BudgetExhausted;
                // Whole steps only, never shortened to meet the frame: the step sequence of
                // a run is then the same at any frame rate, so a link reproduces it exactly.
                while s.stats().t < target {
                    outcome = s.step_recording();
                    if !outcome.is_ok() || start.elapsed().as_secs_f64() > budget_s {
                        break;
                    }
                }
                s.refresh();
                Ok(outcome)
            }
            Self::Gpu(r) => {
                r.poll()?;
                // Submissions grow or shrink towards one frame of GPU work each.
                r.sim.pacer_mut().adapt();
                if r.sim.pacer().has_room() && r.sim.outcome().is_ok() && r.sim.stats().t < target {
                    let attempts = r.sim.pacer().units();
                    r.sim.encode(&r.ctx, target, attempts);
                }
                Ok(r.sim.outcome().clone())
            }
        }
    }

    /// Keeps the GPU's readbacks flowing while paused (results of the last submission).
    pub fn poll(&mut self) -> Result<(), GpuTrouble> {
        if let Self::Gpu(r) = self {
            r.poll()?;
        }
        Ok(())
    }

    /// Whether GPU results are still on their way.
    pub fn busy(&self) -> bool {
        match self {
            Self::Cpu(_) => false,
            Self::Gpu(r) => r.sim.busy(),
        }
    }
}

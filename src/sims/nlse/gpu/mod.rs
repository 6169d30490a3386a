//! The NLSE on the GPU in f32 (`shaders/nlse_step.wgsl`), sharing the scenario, parameters,
//! grid and diagnostics types of the f64 CPU reference ([`super::cpu`]).
//!
//! Methods: Strang and Yoshida-4 split-step with f64-computed propagator tables (fused
//! between steps), and Runge–Kutta in the interaction picture (RK4IP, ERK4(3)-IP, DOPRI5-IP,
//! Tsit5-IP) with the step-size controller on the GPU: a reduction computes the error norm,
//! a one-workgroup kernel accepts or rejects and writes the next h, the next step's kernels
//! read it. Many steps are recorded per submission and nothing is read back inside the step
//! loop; once per submission the diagnostics sums, the controller's state, its step log and
//! the field are copied into one staging buffer and mapped asynchronously.
//!
//! Single precision: the field and every kernel are f32, so relative tolerances below about
//! 1e-6 cannot be met (the error estimate itself is rounding noise there) and conserved
//! quantities drift at the 1e-7 … 1e-5 level instead of 1e-13.

mod encode;
mod readback;
mod setup;

use std::collections::VecDeque;

use bytemuck::{Pod, Zeroable};
use rustfft::num_complex::Complex64;

use super::cpu::{Grid, NlseHistory, NlseSystem, Waterfall, exact_error, setup, yoshida4_weights};
use super::gpu_views::NlseViews;
use super::{DiagnosticSums, NlseDiagnostics, NlseMethod, NlseParams};
use crate::core::ip::SemilinearSystem;
use crate::core::stats::{Outcome, RunStats};
use crate::core::tableau::{ButcherTableau, DP54, ERK43, ErrorEstimator, RK4, TSIT54};
use crate::gpu::fft::{BoundFft, Direction, GpuFft};
use crate::gpu::pacing::SubmissionPacer;
use crate::gpu::pool::BufferPool;
use crate::gpu::readback::Readback;
use crate::gpu::{
    GpuContext, GpuError, buffer_layout_entry as buffer, entry, round_keeping_modulus, storage,
    wgpu,
};

/// Invocations per workgroup. Keep in sync with `nlse_step.wgsl` `WORKGROUP_SIZE`.
pub const WORKGROUP_SIZE: u32 = 256;
/// Largest tableau. Keep in sync with `nlse_step.wgsl` `MAX_STAGES`.
pub const MAX_STAGES: usize = 8;
/// The smallest relative tolerance the GPU path uses (see [`super::control`]).
pub use super::control::F32_MIN_RTOL as GPU_MIN_RTOL;
/// Attempts the step log holds between two readbacks (older ones are dropped from the plots).
pub const LOG_CAPACITY: u32 = 1024;
/// Ticks per unit of time: the GPU keeps time as an integer number of 2^-40.
const TICKS_PER_UNIT: f64 = (1u64 << 40) as f64;
/// Stride of the dispatch table (WebGPU's minimum uniform offset alignment).
const DISPATCH_STRIDE: u64 = 256;
/// Entries of the dispatch table.
const DISPATCH_ENTRIES: u64 = 32;

/// Per-run constants. Keep in sync with `nlse_step.wgsl` `Setup`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct SetupUniform {
    pub(crate) len: u32,
    pub(crate) stages: u32,
    pub(crate) fsal: u32,
    pub(crate) fixed: u32,
    pub(crate) has_estimate: u32,
    pub(crate) partial_count: u32,
    pub(crate) log_capacity: u32,
    pub(crate) serial: u32,
    pub(crate) t_end_hi: u32,
    pub(crate) t_end_lo: u32,
    pub(crate) error_order: f32,
    pub(crate) rtol: f32,
    pub(crate) atol: f32,
    pub(crate) safety: f32,
    pub(crate) factor_min: f32,
    pub(crate) factor_max: f32,
    pub(crate) h_min: f32,
    pub(crate) h_max: f32,
    pub(crate) beta1: f32,
    pub(crate) beta2: f32,
    pub(crate) beta3: f32,
    pub(crate) mass_limit: f32,
    pub(crate) gamma_over_n: f32,
    pub(crate) k_max: f32,
    pub(crate) dt_hi: u32,
    pub(crate) dt_lo: u32,
    /// [`crate::core::controller::ControllerLimits::hold_max`].
    pub(crate) hold_max: f32,
    pub(crate) pad1: u32,
    pub(crate) a: [[f32; 4]; 16],
    pub(crate) b: [[f32; 4]; 2],
    pub(crate) e: [[f32; 4]; 2],
    pub(crate) c: [[f32; 4]; 2],
}
const _: () = assert!(std::mem::size_of::<SetupUniform>() == 464);

/// What one dispatch does. Keep in sync with `nlse_step.wgsl` `Dispatch`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct DispatchUniform {
    pub(crate) stage: u32,
    pub(crate) finalize_previous: u32,
    pub(crate) table: u32,
    pub(crate) slot: u32,
    pub(crate) max_lane: u32,
    pub(crate) pad0: u32,
    pub(crate) coef: f32,
    pub(crate) scale: f32,
}
const _: () = assert!(std::mem::size_of::<DispatchUniform>() == 32);

/// The fixed-size head of the control block. Keep in sync with `nlse_step.wgsl` `Control`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct ControlHead {
    pub(crate) h: f32,
    pub(crate) h_attempt: f32,
    pub(crate) h_attempt_hi: u32,
    pub(crate) h_attempt_lo: u32,
    pub(crate) h_done: f32,
    pub(crate) t_hi: u32,
    pub(crate) t_lo: u32,
    pub(crate) err: f32,
    pub(crate) err1: f32,
    pub(crate) err2: f32,
    pub(crate) status: u32,
    pub(crate) pending: u32,
    pub(crate) last_rejected: u32,
    pub(crate) accepted: u32,
    pub(crate) rejected: u32,
    pub(crate) attempts: u32,
    pub(crate) checkpoint_serial: u32,
    pub(crate) fsal_valid: u32,
    pub(crate) serial: u32,
    pub(crate) pad0: u32,
}
const _: () = assert!(std::mem::size_of::<ControlHead>() == 80);

/// Byte layout of the control block, checked against the WGSL by `tests/shaders.rs`.
pub mod layout {
    /// Size of `Setup`.
    pub const SETUP_BYTES: u64 = 464;
    /// Size of `Dispatch`.
    pub const DISPATCH_BYTES: u64 = 32;
    /// Offset of `Control::diag`.
    pub const CONTROL_DIAG_OFFSET: u64 = 80;
    /// Offset of `Control::log`.
    pub const CONTROL_LOG_OFFSET: u64 = 144;
}
const CONTROL_BYTES: u64 = layout::CONTROL_LOG_OFFSET + 16 * LOG_CAPACITY as u64;

/// `Control::status`. Keep in sync with the WGSL constants.
const RUNNING: u32 = 0;
const REACHED: u32 = 1;
const NONFINITE: u32 = 2;
const UNDERFLOW: u32 = 3;

/// Byte offsets of single control fields the CPU rewrites between submissions.
mod field {
    pub const H: u64 = 0;
    pub const ERR1: u64 = 32;
    pub const STATUS: u64 = 40;
    pub const LAST_REJECTED: u64 = 48;
    pub const FSAL_VALID: u64 = 68;
    pub const T_HI: u64 = 20;
    pub const T_LO: u64 = 24;
    pub const ACCEPTED: u64 = 52;
}

fn to_ticks(t: f64) -> u64 {
    (t * TICKS_PER_UNIT).round().max(0.0) as u64
}

fn from_ticks(hi: u32, lo: u32) -> f64 {
    ((u64::from(hi) << 32) | u64::from(lo)) as f64 / TICKS_PER_UNIT
}

/// The compiled kernels and their shared layout.
struct Kernels {
    group0: wgpu::BindGroupLayout,
    group1: wgpu::BindGroupLayout,
    begin: wgpu::ComputePipeline,
    checkpoint: wgpu::ComputePipeline,
    split_propagate: wgpu::ComputePipeline,
    split_phase: wgpu::ComputePipeline,
    ip_stage: wgpu::ComputePipeline,
    ip_cubic: wgpu::ComputePipeline,
    ip_finish: wgpu::ComputePipeline,
    ip_control: wgpu::ComputePipeline,
    ip_commit: wgpu::ComputePipeline,
    diag_spectral: wgpu::ComputePipeline,
    diag_physical: wgpu::ComputePipeline,
    diag_reduce: wgpu::ComputePipeline,
}

/// Entries of the dispatch table every configuration has.
const DISPATCH_PLAIN: u32 = 0;
const DISPATCH_DIAG_SPECTRAL: u32 = 1;
const DISPATCH_DIAG_PHYSICAL: u32 = 2;
const DISPATCH_FIRST_FREE: u32 = 3;

/// The split-step tables and dispatch entries of one step size.
#[derive(Clone, Debug)]
struct SplitSet {
    h: f64,
    /// Dispatch entries: m + 2 propagators (open, inner 1 … m−1, close, junction), then m
    /// nonlinear phases.
    first_dispatch: u32,
}

/// How the configured method runs.
#[derive(Clone, Debug)]
enum Plan {
    Split {
        weights: Vec<f64>,
        /// [0]: the step `dt`; [1]: a shorter last step that lands on the end time.
        sets: [Option<SplitSet>; 2],
    },
    InteractionPicture {
        tableau: &'static ButcherTableau,
        /// First dispatch entry of the stages: stage 0, then stage 1 … s−1 finalizing the
        /// previous stage, then stage 1 without finalizing (k_0 carried over by FSAL).
        first_dispatch: u32,
    },
}

/// Per-submission bookkeeping of the split-step methods, for restoring a checkpoint.
#[derive(Clone, Copy, Debug)]
struct Submission {
    serial: u32,
    /// Time and accepted steps at the start (the checkpoint) and at the end.
    t: f64,
    accepted: u64,
    t_end: f64,
    accepted_end: u64,
}

/// What a method needs on the GPU, or why it cannot run there.
fn tableau_of(method: NlseMethod) -> Result<Option<&'static ButcherTableau>, String> {
    Ok(match method {
        NlseMethod::StrangSplitStep | NlseMethod::Yoshida4SplitStep => None,
        NlseMethod::Rk4Ip => Some(&RK4),
        NlseMethod::Erk43Ip => Some(&ERK43),
        NlseMethod::Dopri5Ip => Some(&DP54),
        NlseMethod::Tsit5Ip => Some(&TSIT54),
        NlseMethod::Dop853Ip => {
            return Err(format!(
                "{} runs on the CPU only (its two-estimator error norm is not ported to the GPU)",
                method.label()
            ));
        }
    })
}

/// The NLSE on the GPU (f32).
pub struct NlseGpu {
    params: NlseParams,
    grid: Grid,
    /// The f64 right-hand side: its symbol seeds the GPU tables, its FFTs turn read-back
    /// spectra into fields for plots and the exact error.
    system: NlseSystem,
    kernels: Kernels,
    fft: GpuFft,
    u: wgpu::Buffer,
    stages: wgpu::Buffer,
    work: wgpu::Buffer,
    partials: wgpu::Buffer,
    control: wgpu::Buffer,
    spectral: wgpu::Buffer,
    tables: wgpu::Buffer,
    setup_buffer: wgpu::Buffer,
    dispatch_buffer: wgpu::Buffer,
    group0: wgpu::BindGroup,
    group1: wgpu::BindGroup,
    fft_u: [BoundFft; 2],
    fft_work: [BoundFft; 2],
    setup: SetupUniform,
    plan: Plan,
    dispatches: Vec<DispatchUniform>,
    readback: Readback,
    /// Serial of the last submission; readbacks older than `reset_serial` are stale.
    serial: u32,
    reset_serial: u32,
    /// Whether a readback confirmed that the FSAL first stage on the GPU is valid.
    fsal_confirmed: bool,
    /// The split-step methods' recent submissions (time and steps at their start and end).
    submissions: VecDeque<Submission>,
    /// Where the split-step schedule stands (ahead of `stats`, which describe the state
    /// read back last): time and accepted steps after the last recorded step.
    scheduled: (f64, u64),
    /// After a switch from an RK method to a split-step one, the split schedule waits for a
    /// readback of the GPU clock (the RK steps in flight are ahead of the last readback).
    schedule_pending: bool,
    /// The last step of the split-step schedule (dt, or shorter to land on an end time).
    split_h_last: f64,
    /// Recycles the per-configuration buffers (symbol, tables, stages) across edits.
    pool: BufferPool,
    /// The waterfall and spectrogram textures, once enabled.
    views: Option<NlseViews>,
    /// Time of the last row of the views (as known when it was recorded).
    last_view_row_t: f64,
    /// Readbacks recorded so far (one per submission at most, none inside the step loop).
    readbacks: u64,
    /// Times the submissions and sizes the live app's next ones.
    pacer: SubmissionPacer,
    /// The end time of the last submission.
    t_end: f64,
    /// Attempts already taken from the step log.
    seen_attempts: u32,
    // The CPU-side mirror of the run, filled from readbacks.
    stats: RunStats,
    outcome: Outcome,
    initial: NlseDiagnostics,
    /// The next readback's diagnostics become the initial ones (after a restart or an edit
    /// of the equation), so drifts compare f32 sums with f32 sums.
    initial_pending: bool,
    diagnostics: NlseDiagnostics,
    history: NlseHistory,
    waterfall: Waterfall,
    last_waterfall_t: f64,
    spectrum: Vec<Complex64>,
    physical: Vec<Complex64>,
}

impl NlseGpu {
    /// The grid (shared with the CPU path).
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// The parameters.
    pub fn params(&self) -> &NlseParams {
        &self.params
    }

    /// Run statistics as of the last readback.
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }

    /// Simulation time as of the last readback.
    pub fn time(&self) -> f64 {
        self.stats.t
    }

    /// Why the run stopped, as of the last readback.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// Diagnostics as of the last readback (sums reduced on the GPU in f32).
    pub fn diagnostics(&self) -> &NlseDiagnostics {
        &self.diagnostics
    }

    /// Diagnostics the drifts are measured from.
    pub fn initial_diagnostics(&self) -> &NlseDiagnostics {
        &self.initial
    }

    /// Plot histories.
    pub fn history(&self) -> &NlseHistory {
        &self.history
    }

    /// Takes the histories (for a hand-over to the CPU path).
    pub fn take_history(&mut self) -> NlseHistory {
        std::mem::take(&mut self.history)
    }

    /// The space–time waterfall.
    pub fn waterfall(&self) -> &Waterfall {
        &self.waterfall
    }

    /// ψ̂ as of the last readback (f32 values widened).
    pub fn spectrum(&self) -> &[Complex64] {
        &self.spectrum
    }

    /// The state for a checkpoint, as of the last readback: ψ̂ (the f32 values, exact in
    /// f64) and the counters. The GPU controller's error history stays on the device: the
    /// run loaded from the checkpoint continues on the CPU (f64) from this exact state with
    /// a fresh controller memory, and the state says so (`f32_state`).
    pub fn checkpoint_state(&self) -> crate::checkpoint::RunState {
        let mut state = crate::checkpoint::RunState::default();
        state.put("psi_hat", self.spectrum.iter().flat_map(|z| [z.re, z.im]));
        state.put_stats(&self.stats);
        state.put("controller", [1.0, 1.0]);
        state.count("last_rejected", 0);
        state.count("f32_state", 1);
        state
    }

    /// ψ on the grid as of the last readback.
    pub fn field(&self) -> &[Complex64] {
        &self.physical
    }

    /// Whether a submission's results are still on their way.
    pub fn busy(&self) -> bool {
        self.readback.in_flight()
    }

    /// The GPU-drawn pictures, if enabled.
    pub fn views(&self) -> Option<&NlseViews> {
        self.views.as_ref()
    }

    /// GPU buffers (created, reused) by the configuration pool so far.
    pub fn pool_counts(&self) -> (u64, u64) {
        self.pool.counts()
    }

    /// Readbacks recorded since creation.
    pub fn readbacks(&self) -> u64 {
        self.readbacks
    }

    /// The submissions' timing and the size of the next ones (step attempts).
    pub fn pacer(&self) -> &SubmissionPacer {
        &self.pacer
    }

    /// See [`Self::pacer`].
    pub fn pacer_mut(&mut self) -> &mut SubmissionPacer {
        &mut self.pacer
    }
}

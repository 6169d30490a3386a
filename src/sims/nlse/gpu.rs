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

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use web_time::Instant;

use bytemuck::{Pod, Zeroable};
use rustfft::num_complex::Complex64;

use super::cpu::{Grid, NlseHistory, NlseSystem, Waterfall, exact_error, setup, yoshida4_weights};
use super::gpu_views::NlseViews;
use super::{DiagnosticSums, NlseDiagnostics, NlseMethod, NlseParams};
use crate::core::controller::{ControllerKind, ControllerLimits};
use crate::core::ip::SemilinearSystem;
use crate::core::stats::{Outcome, RunStats};
use crate::core::tableau::{ButcherTableau, DP54, ERK43, ErrorEstimator, RK4, TSIT54};
use crate::gpu::fft::{BoundFft, Direction, GpuFft};
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
/// The smallest relative tolerance the GPU path uses: below it f32 round-off in the error
/// estimate (~1e-7 relative) makes the controller chase noise. Smaller requests are raised
/// to it, and the UI says so.
pub const GPU_MIN_RTOL: f64 = 1e-6;
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
    pub(crate) pad0: u32,
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

impl Kernels {
    fn new(ctx: &GpuContext) -> Self {
        let group0 = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("nlse step group 0"),
                entries: &[
                    buffer(0, wgpu::BufferBindingType::Uniform),
                    buffer(1, storage(false)),
                    buffer(2, storage(false)),
                    buffer(3, storage(false)),
                    buffer(4, storage(false)),
                    buffer(5, storage(false)),
                    buffer(6, storage(true)),
                    buffer(7, storage(true)),
                ],
            });
        let group1 = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("nlse step group 1"),
                entries: &[wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: true,
                        min_binding_size: std::num::NonZeroU64::new(layout::DISPATCH_BYTES),
                    },
                    count: None,
                }],
            });
        let pipeline_layout = ctx
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("nlse step"),
                bind_group_layouts: &[Some(&group0), Some(&group1)],
                immediate_size: 0,
            });
        let [
            begin,
            checkpoint,
            split_propagate,
            split_phase,
            ip_stage,
            ip_cubic,
            ip_finish,
            ip_control,
            ip_commit,
            diag_spectral,
            diag_physical,
            diag_reduce,
        ] = ctx.compute_pipelines_with_layout(
            "nlse_step.wgsl",
            Some(&pipeline_layout),
            [
                "begin",
                "checkpoint",
                "split_propagate",
                "split_phase",
                "ip_stage",
                "ip_cubic",
                "ip_finish",
                "ip_control",
                "ip_commit",
                "diag_spectral",
                "diag_physical",
                "diag_reduce",
            ],
        );
        Self {
            group0,
            group1,
            begin,
            checkpoint,
            split_propagate,
            split_phase,
            ip_stage,
            ip_cubic,
            ip_finish,
            ip_control,
            ip_commit,
            diag_spectral,
            diag_physical,
            diag_reduce,
        }
    }
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
    /// Submissions the GPU has not finished yet (decremented by the queue's callback).
    submissions_in_flight: Arc<AtomicU32>,
    /// Wall time of the last finished submission, as f64 bits (0: none yet).
    last_submission_seconds: Arc<AtomicU64>,
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
    /// Uploads the scenario's initial state (computed in f64, rounded once to f32).
    pub fn new(ctx: &GpuContext, params: NlseParams) -> Result<Self, String> {
        let (_, _, psi_hat) = setup(&params)?;
        Self::with_state(ctx, params, &psi_hat, RunStats::default(), None)
    }

    /// Continues a run from a state handed over by the CPU path: ψ̂ at `stats.t`, with the
    /// counters, the initial diagnostics (drifts stay relative to t = 0) and the histories.
    pub fn from_state(
        ctx: &GpuContext,
        params: NlseParams,
        psi_hat: &[Complex64],
        stats: RunStats,
        initial: NlseDiagnostics,
        history: NlseHistory,
    ) -> Result<Self, String> {
        let mut sim = Self::with_state(ctx, params, psi_hat, stats, Some(initial))?;
        sim.history = history;
        Ok(sim)
    }

    fn with_state(
        ctx: &GpuContext,
        params: NlseParams,
        psi_hat: &[Complex64],
        stats: RunStats,
        initial: Option<NlseDiagnostics>,
    ) -> Result<Self, String> {
        let (grid, system, _) = setup(&params)?;
        if psi_hat.len() != grid.n {
            return Err(format!(
                "state of {} modes handed to a grid of {}",
                psi_hat.len(),
                grid.n
            ));
        }
        tableau_of(params.method)?;
        let n = grid.n as u64;
        let fft = GpuFft::new(ctx, grid.n)?;
        let kernels = Kernels::new(ctx);
        let storage = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST;
        let f32_state: Vec<[f32; 2]> = psi_hat.iter().map(|z| [z.re as f32, z.im as f32]).collect();
        let u = ctx.buffer_with("nlse ψ̂", &f32_state, storage);
        let work = ctx.buffer("nlse work", n * 8, storage);
        let fft_scratch = ctx.buffer("nlse fft scratch", n * 8, storage);
        let groups = u64::from((grid.n as u32).div_ceil(WORKGROUP_SIZE));
        let partials = ctx.buffer("nlse partials", groups * 16, storage);
        let control = ctx.buffer("nlse control", CONTROL_BYTES, storage);
        let setup_buffer = ctx.buffer(
            "nlse setup",
            layout::SETUP_BYTES,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let dispatch_buffer = ctx.buffer(
            "nlse dispatch table",
            DISPATCH_STRIDE * DISPATCH_ENTRIES,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let group1 = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("nlse dispatch"),
            layout: &kernels.group1,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &dispatch_buffer,
                    offset: 0,
                    size: std::num::NonZeroU64::new(layout::DISPATCH_BYTES),
                }),
            }],
        });
        let fft_u = [
            fft.bind(ctx, &u, &fft_scratch, 1, Direction::Forward),
            fft.bind(ctx, &u, &fft_scratch, 1, Direction::Inverse),
        ];
        let fft_work = [
            fft.bind(ctx, &work, &fft_scratch, 1, Direction::Forward),
            fft.bind(ctx, &work, &fft_scratch, 1, Direction::Inverse),
        ];
        let readback = Readback::new(ctx, CONTROL_BYTES + n * 8, "nlse frame readback");
        // Placeholders, replaced by `configure`.
        let placeholder = ctx.buffer("nlse placeholder", 16, storage);
        let group0 = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("nlse placeholder"),
            layout: &kernels.group0,
            entries: &[
                entry(0, &setup_buffer),
                entry(1, &u),
                entry(2, &placeholder),
                entry(3, &work),
                entry(4, &partials),
                entry(5, &control),
                entry(6, &placeholder),
                entry(7, &placeholder),
            ],
        });
        let mut sim = Self {
            initial_pending: initial.is_none(),
            initial: initial.unwrap_or_default(),
            spectrum: psi_hat.to_vec(),
            physical: vec![Complex64::default(); grid.n],
            params: params.clone(),
            grid,
            system,
            kernels,
            fft,
            u,
            stages: placeholder.clone(),
            work,
            partials,
            control,
            spectral: placeholder.clone(),
            tables: placeholder,
            setup_buffer,
            dispatch_buffer,
            group0,
            group1,
            fft_u,
            fft_work,
            setup: SetupUniform::default(),
            plan: Plan::Split {
                weights: Vec::new(),
                sets: [None, None],
            },
            dispatches: Vec::new(),
            readback,
            serial: 0,
            reset_serial: 0,
            fsal_confirmed: false,
            submissions: VecDeque::new(),
            scheduled: (stats.t, stats.accepted),
            schedule_pending: false,
            seen_attempts: 0,
            t_end: stats.t,
            submissions_in_flight: Arc::new(AtomicU32::new(0)),
            readbacks: 0,
            views: None,
            pool: BufferPool::new(),
            last_view_row_t: f64::NEG_INFINITY,
            last_submission_seconds: Arc::new(AtomicU64::new(0)),
            split_h_last: stats.h_last,
            stats: RunStats {
                h: if stats.h > 0.0 { stats.h } else { params.dt },
                last_error: f64::NAN,
                ..stats
            },
            outcome: Outcome::BudgetExhausted,
            diagnostics: NlseDiagnostics::default(),
            history: NlseHistory::new(),
            waterfall: Waterfall::new(),
            last_waterfall_t: f64::NEG_INFINITY,
        };
        sim.configure(ctx, true)?;
        let head = ControlHead {
            h: sim.stats.h as f32,
            t_hi: (to_ticks(sim.stats.t) >> 32) as u32,
            t_lo: to_ticks(sim.stats.t) as u32,
            err1: 1.0,
            err2: 1.0,
            err: f32::NAN,
            accepted: sim.stats.accepted as u32,
            rejected: sim.stats.rejected as u32,
            ..ControlHead::default()
        };
        ctx.queue
            .write_buffer(&sim.control, 0, bytemuck::bytes_of(&head));
        // The diagnostics of the starting state, in f64 until the first readback.
        sim.physical = sim.field_from(&sim.spectrum.clone());
        let sums = super::cpu::spectral_and_physical_sums(&sim.grid, &sim.spectrum, &sim.physical);
        let exact = exact_error(&sim.params, &sim.grid, &sim.physical, sim.stats.t);
        sim.diagnostics = NlseDiagnostics::from_sums(
            &sim.params,
            sim.grid.n,
            sim.grid.length,
            sim.stats.t,
            &sums,
            exact,
            (!sim.initial_pending).then_some(&sim.initial),
        );
        if sim.initial_pending {
            sim.initial = sim.diagnostics.clone();
            // The GPU's own sums of the initial state (the first readback) replace these.
            sim.encode(ctx, sim.stats.t, 0);
        }
        Ok(sim)
    }

    /// (Re)builds everything that depends on the method, step and equation: the setup
    /// uniform, the per-mode symbol, the split-step tables, the dispatch table, the stage
    /// buffer and the bind group. The state and the clock are untouched.
    fn configure(&mut self, ctx: &GpuContext, realloc: bool) -> Result<(), String> {
        let p = self.params.clone();
        let n = self.grid.n;
        let tableau = tableau_of(p.method)?;
        let adaptive = p.method.is_adaptive() && p.controller != ControllerKind::Fixed;
        let limits = ControllerLimits {
            h_min: 1e-10,
            h_max: 10.0,
            ..ControllerLimits::default()
        };
        let betas = p.controller.betas();
        let mut setup = SetupUniform {
            len: n as u32,
            stages: tableau.map_or(0, |t| t.stages() as u32),
            fsal: u32::from(tableau.is_some_and(|t| t.fsal)),
            fixed: u32::from(!adaptive),
            has_estimate: u32::from(
                tableau.is_some_and(|t| !matches!(t.estimator, ErrorEstimator::None)),
            ),
            partial_count: (n as u32).div_ceil(WORKGROUP_SIZE),
            log_capacity: LOG_CAPACITY,
            error_order: tableau.map_or(p.method.order(), |t| t.error_order) as f32,
            rtol: p.rtol.max(GPU_MIN_RTOL) as f32,
            // The CPU's GlobalRelativeL2 scale is (atol/√N)·√N + rtol·max‖u‖ (cpu.rs).
            atol: p.atol as f32,
            safety: limits.safety as f32,
            factor_min: limits.factor_min as f32,
            factor_max: limits.factor_max as f32,
            h_min: limits.h_min as f32,
            h_max: limits.h_max as f32,
            beta1: betas[0] as f32,
            beta2: betas[1] as f32,
            beta3: betas[2] as f32,
            // Σ|ψ̂|² may not double: the equation conserves it (cpu.rs, mass_sum_limit).
            mass_limit: (2.0 * self.initial_mass_sum()) as f32,
            gamma_over_n: (p.gamma / n as f64) as f32,
            k_max: self.grid.k_max() as f32,
            dt_hi: (to_ticks(p.dt) >> 32) as u32,
            dt_lo: to_ticks(p.dt) as u32,
            ..SetupUniform::default()
        };
        if let Some(t) = tableau {
            let s = t.stages();
            if s > MAX_STAGES {
                return Err(format!("{} has more than {MAX_STAGES} stages", t.name));
            }
            let estimate: &[f64] = match t.estimator {
                ErrorEstimator::Embedded(e) => e,
                _ => &[],
            };
            for i in 0..s {
                for (j, a) in t.a[i].iter().enumerate() {
                    let index = i * MAX_STAGES + j;
                    setup.a[index / 4][index % 4] = *a as f32;
                }
                setup.b[i / 4][i % 4] = t.b[i] as f32;
                setup.c[i / 4][i % 4] = t.c[i] as f32;
                setup.e[i / 4][i % 4] = estimate.get(i).copied().unwrap_or(0.0) as f32;
            }
        }
        self.setup = setup;
        self.write_setup(ctx, 0.0);

        // Per mode: (Re L, Im L, mask, k), L in f64 rounded once.
        let symbol = self.system.linear_symbol();
        let k_max = self.grid.k_max();
        let spectral: Vec<[f32; 4]> = symbol
            .iter()
            .zip(&self.grid.k)
            .map(|(l, &k)| {
                let keep = !p.dealias || k.abs() <= 2.0 / 3.0 * k_max;
                [
                    l.re as f32,
                    l.im as f32,
                    f32::from(u8::from(keep)),
                    k as f32,
                ]
            })
            .collect();
        let read_only = wgpu::BufferUsages::STORAGE;
        let old = std::mem::replace(
            &mut self.spectral,
            self.pool
                .take_with(ctx, "nlse spectral", &spectral, read_only),
        );
        self.pool.give(old);

        let mut dispatches = vec![DispatchUniform::default(); DISPATCH_FIRST_FREE as usize];
        dispatches[DISPATCH_DIAG_SPECTRAL as usize] = DispatchUniform {
            slot: 0,
            max_lane: 4,
            ..DispatchUniform::default()
        };
        dispatches[DISPATCH_DIAG_PHYSICAL as usize] = DispatchUniform {
            slot: 1,
            max_lane: 2,
            ..DispatchUniform::default()
        };
        let stage_slots;
        match tableau {
            Some(t) => {
                let first_dispatch = dispatches.len() as u32;
                let s = t.stages() as u32;
                dispatches.push(DispatchUniform::default());
                for i in 1..s {
                    dispatches.push(DispatchUniform {
                        stage: i,
                        finalize_previous: 1,
                        ..DispatchUniform::default()
                    });
                }
                dispatches.push(DispatchUniform {
                    stage: 1,
                    finalize_previous: 0,
                    ..DispatchUniform::default()
                });
                self.plan = Plan::InteractionPicture {
                    tableau: t,
                    first_dispatch,
                };
                stage_slots = t.stages() as u64 + 1;
                let old = std::mem::replace(
                    &mut self.tables,
                    self.pool.take(ctx, "nlse no tables", 16, read_only),
                );
                self.pool.give(old);
            }
            None => {
                let weights = match p.method {
                    NlseMethod::Yoshida4SplitStep => yoshida4_weights().to_vec(),
                    _ => vec![1.0],
                };
                self.plan = Plan::Split {
                    weights,
                    sets: [None, None],
                };
                stage_slots = 1;
                let tables_per_set = self.split_tables_per_set() as u64;
                let tables = self.pool.take(
                    ctx,
                    "nlse split tables",
                    2 * tables_per_set * n as u64 * 8,
                    read_only | wgpu::BufferUsages::COPY_DST,
                );
                let old = std::mem::replace(&mut self.tables, tables);
                self.pool.give(old);
            }
        }
        self.dispatches = dispatches;
        if let Plan::Split { .. } = self.plan {
            self.split_set(ctx, 0, p.dt);
        }
        self.upload_dispatches(ctx);
        let stage_bytes = stage_slots * n as u64 * 8;
        if realloc || self.stages.size() != stage_bytes {
            let stages = self.pool.take(
                ctx,
                "nlse stages",
                stage_bytes,
                wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
            );
            let old = std::mem::replace(&mut self.stages, stages);
            self.pool.give(old);
        }
        self.group0 = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("nlse step"),
            layout: &self.kernels.group0,
            entries: &[
                entry(0, &self.setup_buffer),
                entry(1, &self.u),
                entry(2, &self.stages),
                entry(3, &self.work),
                entry(4, &self.partials),
                entry(5, &self.control),
                entry(6, &self.spectral),
                entry(7, &self.tables),
            ],
        });
        self.fsal_confirmed = false;
        Ok(())
    }

    /// Σ|ψ̂|² of the initial diagnostics (mass / L).
    fn initial_mass_sum(&self) -> f64 {
        let from_initial = self.initial.mass / self.grid.length;
        if from_initial > 0.0 {
            from_initial
        } else {
            self.spectrum.iter().map(|z| z.norm_sqr()).sum()
        }
    }

    fn split_tables_per_set(&self) -> usize {
        match &self.plan {
            Plan::Split { weights, .. } => weights.len() + 2,
            Plan::InteractionPicture { .. } => 0,
        }
    }

    /// Builds (if needed) the tables and dispatch entries of split set `which` for step `h`.
    fn split_set(&mut self, ctx: &GpuContext, which: usize, h: f64) -> SplitSet {
        let Plan::Split { weights, sets } = &self.plan else {
            unreachable!("split_set is only called for split-step plans");
        };
        if let Some(set) = &sets[which]
            && set.h == h
        {
            return set.clone();
        }
        let weights = weights.clone();
        let m = weights.len();
        let per_set = m + 2;
        let n = self.grid.n;
        // Linear sub-steps: open w₁h/2, inner (w_i + w_{i+1})h/2, close w_m h/2, and the
        // junction (w_m + w₁)h/2 fusing one step's close with the next one's open.
        let mut fractions = Vec::with_capacity(per_set);
        fractions.push(0.5 * weights[0]);
        for i in 0..m - 1 {
            fractions.push(0.5 * (weights[i] + weights[i + 1]));
        }
        fractions.push(0.5 * weights[m - 1]);
        fractions.push(0.5 * (weights[m - 1] + weights[0]));
        let k_max = self.grid.k_max();
        let symbol = self.system.linear_symbol();
        let mut data: Vec<[f32; 2]> = Vec::with_capacity(per_set * n);
        for f in &fractions {
            for (l, &k) in symbol.iter().zip(&self.grid.k) {
                let keep = !self.params.dealias || k.abs() <= 2.0 / 3.0 * k_max;
                data.push(if keep {
                    round_keeping_modulus((l * (f * h)).exp())
                } else {
                    [0.0, 0.0]
                });
            }
        }
        let first_table = (which * per_set) as u32;
        ctx.queue.write_buffer(
            &self.tables,
            first_table as u64 * n as u64 * 8,
            bytemuck::cast_slice(&data),
        );
        let first_dispatch = DISPATCH_FIRST_FREE + (which * (per_set + m)) as u32;
        let needed = (first_dispatch as usize) + per_set + m;
        if self.dispatches.len() < needed {
            self.dispatches.resize(needed, DispatchUniform::default());
        }
        for i in 0..per_set {
            self.dispatches[first_dispatch as usize + i] = DispatchUniform {
                table: first_table + i as u32,
                ..DispatchUniform::default()
            };
        }
        for (i, w) in weights.iter().enumerate() {
            self.dispatches[first_dispatch as usize + per_set + i] = DispatchUniform {
                coef: (self.params.gamma * w * h) as f32,
                // The forward FFT's 1/N (a power of two: exact in f32).
                scale: 1.0 / n as f32,
                ..DispatchUniform::default()
            };
        }
        let set = SplitSet { h, first_dispatch };
        if let Plan::Split { sets, .. } = &mut self.plan {
            sets[which] = Some(set.clone());
        }
        self.upload_dispatches(ctx);
        set
    }

    fn upload_dispatches(&self, ctx: &GpuContext) {
        let mut bytes = vec![0u8; (DISPATCH_STRIDE * DISPATCH_ENTRIES) as usize];
        for (i, d) in self.dispatches.iter().enumerate() {
            let at = i * DISPATCH_STRIDE as usize;
            bytes[at..at + layout::DISPATCH_BYTES as usize].copy_from_slice(bytemuck::bytes_of(d));
        }
        ctx.queue.write_buffer(&self.dispatch_buffer, 0, &bytes);
    }

    /// Writes the setup uniform with the end time `t_end` and the current serial.
    fn write_setup(&mut self, ctx: &GpuContext, t_end: f64) {
        let ticks = to_ticks(t_end);
        self.setup.serial = self.serial;
        self.setup.t_end_hi = (ticks >> 32) as u32;
        self.setup.t_end_lo = ticks as u32;
        ctx.queue
            .write_buffer(&self.setup_buffer, 0, bytemuck::bytes_of(&self.setup));
    }

    fn write_control_u32(&self, ctx: &GpuContext, offset: u64, value: u32) {
        ctx.queue
            .write_buffer(&self.control, offset, bytemuck::bytes_of(&value));
    }

    fn write_control_f32(&self, ctx: &GpuContext, offset: u64, value: f32) {
        ctx.queue
            .write_buffer(&self.control, offset, bytemuck::bytes_of(&value));
    }

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

    fn field_from(&mut self, psi_hat: &[Complex64]) -> Vec<Complex64> {
        let mut out = vec![Complex64::default(); self.grid.n];
        self.system.to_physical(psi_hat, &mut out);
        out
    }

    /// Applies new parameters like [`super::cpu::NlseCpu::set_params`]: a new initial state
    /// restarts, anything else continues from the current state. Returns whether it
    /// restarted.
    pub fn set_params(&mut self, ctx: &GpuContext, params: NlseParams) -> Result<bool, String> {
        params.validate()?;
        tableau_of(params.method)?;
        if params.needs_restart_from(&self.params) {
            *self = Self::new(ctx, params)?;
            return Ok(true);
        }
        let old = std::mem::replace(&mut self.params, params.clone());
        let equation_changed = params.equation_differs_from(&old);
        let was_split = matches!(self.plan, Plan::Split { .. });
        if equation_changed {
            self.system = NlseSystem::new(&params, &self.grid);
        }
        if let Err(e) = self.configure(ctx, false) {
            self.params = old;
            self.configure(ctx, false)?;
            return Err(e);
        }
        // Stale readbacks (recorded before this edit) are ignored.
        self.reset_serial = self.serial + 1;
        let is_split = matches!(self.plan, Plan::Split { .. });
        if was_split && !is_split {
            // The split schedule (exact, on the CPU) hands the clock to the GPU's.
            let (t, accepted) = self.scheduled;
            let ticks = to_ticks(t);
            self.write_control_u32(ctx, field::T_HI, (ticks >> 32) as u32);
            self.write_control_u32(ctx, field::T_LO, ticks as u32);
            self.write_control_u32(ctx, field::ACCEPTED, accepted as u32);
        } else if !was_split && is_split {
            self.schedule_pending = true;
        }
        let h_changes =
            params.dt != old.dt || params.method != old.method || !params.method.is_adaptive();
        if h_changes {
            self.stats.h = params.dt;
            self.write_control_f32(ctx, field::H, params.dt as f32);
        }
        // A fresh controller (no error history), FSAL stage to recompute, and a stopped run
        // may go on.
        self.write_control_f32(ctx, field::ERR1, 1.0);
        self.write_control_f32(ctx, field::ERR1 + 4, 1.0);
        self.write_control_u32(ctx, field::LAST_REJECTED, 0);
        self.write_control_u32(ctx, field::FSAL_VALID, 0);
        if !self.outcome.is_ok() {
            self.write_control_u32(ctx, field::STATUS, RUNNING);
            self.outcome = Outcome::BudgetExhausted;
        }
        if equation_changed {
            self.initial_pending = true;
        }
        Ok(false)
    }

    /// Records and submits up to `max_attempts` step attempts towards `t_end`, then the
    /// diagnostics reductions and (unless one is still in flight) the readback of the
    /// controller state, step log and field. Never waits for the GPU.
    pub fn encode(&mut self, ctx: &GpuContext, t_end: f64, max_attempts: u32) {
        self.serial += 1;
        self.t_end = t_end;
        self.write_setup(ctx, t_end);
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("nlse steps"),
            });
        let groups = (self.grid.n as u32).div_ceil(WORKGROUP_SIZE);
        let is_split = matches!(self.plan, Plan::Split { .. });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("nlse steps"),
                timestamp_writes: None,
            });
            self.kernel(&mut pass, &self.kernels.begin, DISPATCH_PLAIN, 1);
            match self.plan.clone() {
                Plan::Split { .. } => self.record_split(ctx, &mut pass, t_end, max_attempts),
                Plan::InteractionPicture {
                    tableau,
                    first_dispatch,
                } => {
                    for _ in 0..max_attempts {
                        self.record_ip_attempt(&mut pass, tableau, first_dispatch);
                    }
                }
            }
            if !self.readback.in_flight() || is_split {
                // Σ|ψ̂|² is also the split-step methods' divergence guard.
                self.kernel(
                    &mut pass,
                    &self.kernels.diag_spectral,
                    DISPATCH_PLAIN,
                    groups,
                );
                self.kernel(
                    &mut pass,
                    &self.kernels.diag_reduce,
                    DISPATCH_DIAG_SPECTRAL,
                    1,
                );
            }
        }
        if self.readback.in_flight() {
            // Nobody would read the diagnostics of this submission: skip them.
            self.submit(ctx, encoder);
            return;
        }
        // ψ = F⁻¹ψ̂ for the physical sums, in `work` (free between steps).
        encoder.copy_buffer_to_buffer(&self.u, 0, &self.work, 0, self.grid.n as u64 * 8);
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("nlse diagnostics"),
                timestamp_writes: None,
            });
            self.fft_work[1].record(&mut pass);
            self.kernel(
                &mut pass,
                &self.kernels.diag_physical,
                DISPATCH_PLAIN,
                groups,
            );
            self.kernel(
                &mut pass,
                &self.kernels.diag_reduce,
                DISPATCH_DIAG_PHYSICAL,
                1,
            );
        }
        // A row of the GPU pictures per readback, at most one per waterfall interval (the
        // time is the last one read back: rows are as far apart as the CPU path's or more).
        if let Some(views) = &mut self.views
            && (self.stats.t - self.last_view_row_t >= super::cpu::waterfall_interval(&self.params)
                || views.rows() == 0)
        {
            views.record(ctx, &mut encoder, self.serial);
            self.last_view_row_t = self.stats.t;
        }
        let requested = self.readback.request_parts(
            &mut encoder,
            &[
                (&self.control, 0, CONTROL_BYTES),
                (&self.u, 0, self.grid.n as u64 * 8),
            ],
        );
        self.submit(ctx, encoder);
        if requested {
            self.readback.submitted();
            self.readbacks += 1;
        }
    }

    /// Submits, counting the submission until the queue reports it done.
    fn submit(&self, ctx: &GpuContext, encoder: wgpu::CommandEncoder) {
        ctx.queue.submit([encoder.finish()]);
        self.submissions_in_flight.fetch_add(1, Ordering::AcqRel);
        let in_flight = Arc::clone(&self.submissions_in_flight);
        let seconds = Arc::clone(&self.last_submission_seconds);
        let start = Instant::now();
        ctx.queue.on_submitted_work_done(move || {
            in_flight.fetch_sub(1, Ordering::AcqRel);
            seconds.store(start.elapsed().as_secs_f64().to_bits(), Ordering::Release);
        });
    }

    /// Turns on the GPU-drawn waterfall and spectrogram (the app does; tests may).
    pub fn enable_views(&mut self, ctx: &GpuContext) {
        if self.views.is_none() {
            self.views = Some(NlseViews::new(ctx, self.grid.n, &self.work, &self.u));
        }
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

    /// Submissions the GPU is still working on.
    pub fn submissions_in_flight(&self) -> u32 {
        self.submissions_in_flight.load(Ordering::Acquire)
    }

    /// Wall time from recording to completion of the last finished submission, once (the
    /// next call returns None until another submission finishes).
    pub fn take_submission_seconds(&self) -> Option<f64> {
        let bits = self.last_submission_seconds.swap(0, Ordering::AcqRel);
        (bits != 0).then(|| f64::from_bits(bits))
    }

    fn kernel(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        pipeline: &wgpu::ComputePipeline,
        dispatch: u32,
        groups: u32,
    ) {
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &self.group0, &[]);
        pass.set_bind_group(1, &self.group1, &[dispatch * DISPATCH_STRIDE as u32]);
        pass.dispatch_workgroups(groups, 1, 1);
    }

    /// One attempt of the interaction-picture RK method (see the shader's header).
    fn record_ip_attempt(
        &mut self,
        pass: &mut wgpu::ComputePass<'_>,
        tableau: &'static ButcherTableau,
        first_dispatch: u32,
    ) {
        let groups = (self.grid.n as u32).div_ceil(WORKGROUP_SIZE);
        let s = tableau.stages() as u32;
        let rhs = |sim: &Self, pass: &mut wgpu::ComputePass<'_>| {
            sim.fft_work[1].record(pass);
            sim.kernel(pass, &sim.kernels.ip_cubic, DISPATCH_PLAIN, groups);
            sim.fft_work[0].record(pass);
        };
        // k_0 = N(u) unless FSAL carried it over (confirmed valid by a readback).
        let carry_first_stage = tableau.fsal && self.fsal_confirmed;
        if !carry_first_stage {
            self.kernel(pass, &self.kernels.ip_stage, first_dispatch, groups);
            rhs(self, pass);
        }
        for i in 1..s {
            let dispatch = if i == 1 && carry_first_stage {
                first_dispatch + s
            } else {
                first_dispatch + i
            };
            self.kernel(pass, &self.kernels.ip_stage, dispatch, groups);
            rhs(self, pass);
        }
        self.kernel(pass, &self.kernels.ip_finish, DISPATCH_PLAIN, groups);
        self.kernel(pass, &self.kernels.ip_control, DISPATCH_PLAIN, 1);
        self.kernel(pass, &self.kernels.ip_commit, DISPATCH_PLAIN, groups);
    }

    /// Up to `max_steps` split steps towards `t_end`, scheduled here (the step is fixed): whole
    /// steps of `dt` fused at their junctions, then a shorter one landing on `t_end`.
    fn record_split(
        &mut self,
        ctx: &GpuContext,
        pass: &mut wgpu::ComputePass<'_>,
        t_end: f64,
        max_steps: u32,
    ) {
        if !self.outcome.is_ok() {
            return;
        }
        if self.schedule_pending {
            return;
        }
        let groups = (self.grid.n as u32).div_ceil(WORKGROUP_SIZE);
        self.kernel(pass, &self.kernels.checkpoint, DISPATCH_PLAIN, groups);
        let dt = self.params.dt;
        let (t_start, accepted_start) = self.scheduled;
        // The same step sequence as core::integrate::advance.
        let mut t = t_start;
        let (mut whole, mut last) = (0u32, None);
        while whole + u32::from(last.is_some()) < max_steps {
            let remaining = t_end - t;
            if remaining <= 1e-13 * t.abs().max(1.0) {
                // Round-off in the accumulated time: land exactly on t_end.
                t = t_end.max(t);
                break;
            }
            if dt < remaining {
                whole += 1;
                t += dt;
            } else {
                last = Some(remaining);
                t = t_end;
                break;
            }
        }
        let m = match &self.plan {
            Plan::Split { weights, .. } => weights.len() as u32,
            Plan::InteractionPicture { .. } => 0,
        };
        let run = |sim: &Self, pass: &mut wgpu::ComputePass<'_>, set: &SplitSet, count: u32| {
            let propagate = |pass: &mut wgpu::ComputePass<'_>, i: u32| {
                sim.kernel(
                    pass,
                    &sim.kernels.split_propagate,
                    set.first_dispatch + i,
                    groups,
                )
            };
            propagate(pass, 0);
            for step in 0..count {
                for w in 0..m {
                    sim.fft_u[1].record(pass);
                    sim.kernel(
                        pass,
                        &sim.kernels.split_phase,
                        set.first_dispatch + m + 2 + w,
                        groups,
                    );
                    sim.fft_u[0].record(pass);
                    if w + 1 < m {
                        propagate(pass, w + 1);
                    }
                }
                // Junction (w_m + w₁)h/2 between steps, close w_m h/2 after the last.
                propagate(pass, if step + 1 < count { m + 1 } else { m });
            }
        };
        if whole > 0 {
            let set = self.split_set(ctx, 0, dt);
            run(self, pass, &set, whole);
        }
        if let Some(h) = last {
            let set = self.split_set(ctx, 1, h);
            run(self, pass, &set, 1);
        }
        let steps = whole + u32::from(last.is_some());
        self.scheduled = (t, accepted_start + u64::from(steps));
        self.submissions.push_back(Submission {
            serial: self.serial,
            t: t_start,
            accepted: accepted_start,
            t_end: t,
            accepted_end: self.scheduled.1,
        });
        while self.submissions.len() > 16 {
            self.submissions.pop_front();
        }
        if steps > 0 {
            self.split_h_last = last.unwrap_or(dt);
        }
    }

    /// Takes a readback that has landed (never waits) and updates the CPU-side mirror:
    /// time, counters, outcome, histories, diagnostics and field. Returns whether one landed.
    pub fn poll(&mut self, ctx: &GpuContext) -> Result<bool, GpuError> {
        match self.readback.try_take(ctx)? {
            Some(bytes) => {
                self.absorb(ctx, &bytes);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Waits for the readback in flight and absorbs it (tests, the CLI, benchmarks).
    pub fn wait(&mut self, ctx: &GpuContext) -> Result<bool, GpuError> {
        match self.readback.wait(ctx)? {
            Some(bytes) => {
                self.absorb(ctx, &bytes);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Advances to `t_end`, recording `attempts_per_submission` attempts per submission and
    /// waiting for each (tests, the CLI and benchmarks; the app calls [`NlseGpu::encode`]
    /// and [`NlseGpu::poll`] once per frame instead). Stops after `max_attempts`.
    pub fn advance_blocking(
        &mut self,
        ctx: &GpuContext,
        t_end: f64,
        attempts_per_submission: u32,
        max_attempts: u64,
    ) -> Result<Outcome, GpuError> {
        // Absorb what is still in flight first, so each wait below belongs to its submission.
        self.wait(ctx)?;
        let mut budget = max_attempts;
        loop {
            let chunk = attempts_per_submission.min(budget.min(u64::from(u32::MAX)) as u32);
            self.encode(ctx, t_end, chunk);
            self.wait(ctx)?;
            budget = budget.saturating_sub(u64::from(chunk));
            let is_split = matches!(self.plan, Plan::Split { .. });
            if is_split && self.outcome.is_ok() && self.stats.t >= t_end {
                self.outcome = Outcome::Reached;
            }
            if self.outcome != Outcome::BudgetExhausted {
                return Ok(self.outcome.clone());
            }
            if budget == 0 {
                return Ok(Outcome::BudgetExhausted);
            }
        }
    }

    fn absorb(&mut self, ctx: &GpuContext, bytes: &[u8]) {
        let control_len = CONTROL_BYTES as usize;
        let head: ControlHead = bytemuck::pod_read_unaligned(&bytes[..80]);
        if head.serial < self.reset_serial {
            return;
        }
        if head.fsal_valid == 1 {
            self.fsal_confirmed = true;
        }
        if self.schedule_pending {
            // The GPU clock after the RK steps: the split schedule starts from it.
            let t = from_ticks(head.t_hi, head.t_lo);
            self.scheduled = (t, u64::from(head.accepted));
            self.stats.t = t;
            self.stats.accepted = u64::from(head.accepted);
            self.schedule_pending = false;
        }
        let diag: [[f32; 4]; 4] = bytemuck::pod_read_unaligned(
            &bytes[layout::CONTROL_DIAG_OFFSET as usize..layout::CONTROL_LOG_OFFSET as usize],
        );
        let is_split = matches!(self.plan, Plan::Split { .. });
        let mut state_is_good = true;
        match head.status {
            NONFINITE if is_split => {
                // The guard stopped the run at the end of a submission; the state of that
                // submission's start is in the checkpoint.
                state_is_good = false;
                if self.outcome.is_ok() {
                    let restored = self
                        .submissions
                        .iter()
                        .find(|s| s.serial == head.checkpoint_serial)
                        .copied();
                    let mut encoder =
                        ctx.device
                            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                                label: Some("nlse restore checkpoint"),
                            });
                    encoder.copy_buffer_to_buffer(
                        &self.stages,
                        0,
                        &self.u,
                        0,
                        self.grid.n as u64 * 8,
                    );
                    ctx.queue.submit([encoder.finish()]);
                    if let Some(s) = restored {
                        self.stats.t = s.t;
                        self.stats.accepted = s.accepted;
                        self.scheduled = (s.t, s.accepted);
                    }
                    self.outcome = Outcome::NonFinite { t: self.stats.t };
                }
            }
            NONFINITE => {
                self.outcome = Outcome::NonFinite {
                    t: from_ticks(head.t_hi, head.t_lo),
                }
            }
            UNDERFLOW => {
                self.outcome = Outcome::StepUnderflow {
                    t: from_ticks(head.t_hi, head.t_lo),
                    h: f64::from(head.h_attempt),
                }
            }
            REACHED if !is_split => {
                self.outcome = Outcome::Reached;
            }
            _ => {
                if self.outcome == Outcome::Reached {
                    self.outcome = Outcome::BudgetExhausted;
                }
            }
        }
        if !is_split {
            self.absorb_log(
                &head,
                &bytes[layout::CONTROL_LOG_OFFSET as usize..control_len],
            );
        } else if state_is_good
            && let Some(s) = self.submissions.iter().find(|s| s.serial == head.serial)
        {
            let m = match &self.plan {
                Plan::Split { weights, .. } => weights.len() as u64,
                Plan::InteractionPicture { .. } => 0,
            };
            self.stats.nfe += (s.accepted_end - self.stats.accepted.min(s.accepted_end)) * m;
            self.stats.t = s.t_end;
            self.stats.accepted = s.accepted_end;
            self.stats.h_last = self.split_h_last;
            if s.accepted_end > s.accepted {
                self.history
                    .step_size
                    .push(self.stats.t, self.stats.h_last.max(1e-18));
            }
        }
        if !state_is_good {
            return;
        }
        let values: &[[f32; 2]] = bytemuck::cast_slice(&bytes[control_len..]);
        let spectrum: Vec<Complex64> = values
            .iter()
            .map(|v| Complex64::new(f64::from(v[0]), f64::from(v[1])))
            .collect();
        let physical = self.field_from(&spectrum);
        self.spectrum = spectrum;
        self.physical = physical;
        let [spectral, physical_sums, ..] = diag.map(|v| v.map(f64::from));
        let sums = DiagnosticSums {
            spectral_mass: spectral[0],
            spectral_momentum: spectral[1],
            spectral_gradient: spectral[2],
            spectral_tail: spectral[3],
            quartic: physical_sums[0],
            q_log_q: physical_sums[1],
            max_intensity: physical_sums[2],
        };
        let t = self.stats.t;
        if let Some(views) = &mut self.views {
            views.set_time(head.serial, t);
        }
        let exact = exact_error(&self.params, &self.grid, &self.physical, t);
        let initial = (!self.initial_pending).then_some(&self.initial);
        self.diagnostics = NlseDiagnostics::from_sums(
            &self.params,
            self.grid.n,
            self.grid.length,
            t,
            &sums,
            exact,
            initial,
        );
        if self.initial_pending {
            self.initial = self.diagnostics.clone();
            self.initial_pending = false;
        }
        self.record_diagnostics();
    }

    /// Steps from the log since the last readback: time, step size, error, rejections.
    fn absorb_log(&mut self, head: &ControlHead, log_bytes: &[u8]) {
        let entries: &[[u32; 4]] = bytemuck::cast_slice(log_bytes);
        let new = head.attempts.wrapping_sub(self.seen_attempts);
        let skipped = new.saturating_sub(LOG_CAPACITY);
        let mut rejected = self.stats.rejected;
        for a in self.seen_attempts.wrapping_add(skipped)..head.attempts {
            let [t_hi, t_lo, h_bits, err_bits] = entries[(a % LOG_CAPACITY) as usize];
            let t = from_ticks(t_hi, t_lo);
            let h = f64::from(f32::from_bits(h_bits));
            // ±f32::MAX is the shader's mark of a non-finite step.
            let signed_err = match f32::from_bits(err_bits) {
                e if e == f32::MAX => f64::INFINITY,
                e if e == -f32::MAX => f64::NEG_INFINITY,
                e => f64::from(e),
            };
            let accepted = signed_err >= 0.0 || signed_err.is_nan();
            if accepted {
                self.history.step_size.push(t, h);
                if self.setup.has_estimate == 1 && signed_err.is_finite() {
                    self.history.error_estimate.push(t, signed_err.max(1e-18));
                }
            } else {
                rejected += 1;
            }
            self.history.rejected.push(t, rejected as f64);
        }
        self.seen_attempts = head.attempts;
        let stages_per_attempt = match &self.plan {
            Plan::InteractionPicture { tableau, .. } => {
                tableau.stages() as u64 - u64::from(tableau.fsal)
            }
            Plan::Split { .. } => 0,
        };
        self.stats.nfe += u64::from(new) * stages_per_attempt;
        self.stats.t = from_ticks(head.t_hi, head.t_lo);
        if head.status == REACHED && to_ticks(self.t_end) == to_ticks(self.stats.t) {
            // Exactly the requested end time (its ticks are the f64 value rounded).
            self.stats.t = self.t_end;
        }
        // A fixed step is the f64 dt (the GPU's f32 copy is for its arithmetic only).
        self.stats.h = if self.setup.fixed == 1 {
            self.params.dt
        } else {
            f64::from(head.h)
        };
        if head.accepted > 0 {
            self.stats.h_last = f64::from(head.h_done);
        }
        self.stats.last_error = if head.err == f32::MAX {
            f64::INFINITY
        } else {
            f64::from(head.err)
        };
        self.stats.accepted = u64::from(head.accepted);
        self.stats.rejected = u64::from(head.rejected);
    }

    fn record_diagnostics(&mut self) {
        self.history.record(&self.diagnostics);
        let t = self.diagnostics.t;
        if t - self.last_waterfall_t >= super::cpu::waterfall_interval(&self.params) {
            let intensity: Vec<f64> = self.physical.iter().map(|p| p.norm_sqr()).collect();
            self.waterfall.push(t, &intensity);
            self.last_waterfall_t = t;
        }
    }

    /// Dispatches one step attempt records (for the benchmark): the stages' kernels and FFTs,
    /// the finish, controller and commit kernels; split steps count their fused propagators.
    pub fn dispatches_per_attempt(&self) -> usize {
        let fft = self.fft.passes();
        match &self.plan {
            Plan::InteractionPicture { tableau, .. } => {
                let s = tableau.stages();
                let evaluated = if tableau.fsal { s - 1 } else { s };
                evaluated * (2 + 2 * fft) + 3
            }
            Plan::Split { weights, .. } => weights.len() * (1 + 2 * fft + 1),
        }
    }

    /// Passes over global memory of one attempt (an FFT pass reads and writes the field once,
    /// counted as one pass like every element-wise kernel; the one-workgroup controller
    /// reads only partial sums and is not counted).
    pub fn global_passes_per_attempt(&self) -> usize {
        let fft = self.fft.passes();
        match &self.plan {
            Plan::InteractionPicture { tableau, .. } => {
                let s = tableau.stages();
                let evaluated = if tableau.fsal { s - 1 } else { s };
                evaluated * (2 + 2 * fft) + 2
            }
            Plan::Split { weights, .. } => weights.len() * (1 + 2 * fft + 1),
        }
    }

    /// Reads ψ̂ back (blocking; tests and checkpoints, not the frame loop).
    pub fn read_spectrum(&self, ctx: &GpuContext) -> Result<Vec<Complex64>, GpuError> {
        let bytes = ctx.read_blocking(&self.u, 0, (self.grid.n * 8) as u64)?;
        let values: &[[f32; 2]] = bytemuck::cast_slice(&bytes);
        Ok(values
            .iter()
            .map(|v| Complex64::new(f64::from(v[0]), f64::from(v[1])))
            .collect())
    }
}

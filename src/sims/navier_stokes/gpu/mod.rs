//! The GPU path of the MAC solver (`shaders/navier_stokes.wgsl`): the same discretisation as
//! [`super::mac`] and [`super::poisson`] in f32, every kernel of a time step recorded once
//! (parameters in 256-byte uniform slots picked by dynamic offsets) and replayed. Δt is chosen
//! on the GPU from the CFL number, so steps never wait for the CPU; each step appends a row of
//! diagnostics to a history ring the CPU reads back when it likes.
//!
//! Pressure solves on the GPU run a fixed number of iterations per projection (a readback per
//! iteration would stall the pipeline), chosen from the tolerance and the solver's known
//! contraction: multigrid ≥ 10× per V(2,2)-cycle (`poisson.rs` tests), red–black SOR and
//! Jacobi from their spectral radii (Young 1954; ρ_J = cos(π/n)). The residual reached is
//! measured on the GPU and reported with every step.

mod encode;
mod readback;
mod setup;

use encode::{Recipe, record_step};
use readback::FIELD_KINDS;
pub use readback::parse_history;

use bytemuck::{Pod, Zeroable};
use std::collections::HashMap;

use super::mac::{MacGrid, TimeScheme, Velocity};
use super::poisson::AxisBoundary;
use super::run::FieldKind;
use super::{NsParams, NsSolver, PressureKind, scenario};
use crate::gpu::fft::{BoundFft, GpuFft2};
use crate::gpu::field_view::FieldPainter;
use crate::gpu::readback::ReadbackPair;
use crate::gpu::{GpuContext, storage, wgpu};

/// Invocations per workgroup (the WGSL `WG`).
const WORKGROUP: u32 = 256;
/// Bytes per op slot.
const SLOT: u64 = 256;
/// Scalars before the history ring in `stats` (the WGSL `STAT_HISTORY`).
pub const STAT_HISTORY: usize = 16;
/// Floats per history row (the WGSL `HISTORY_WIDTH`).
pub const HISTORY_WIDTH: usize = 8;
/// Rows of the history ring.
pub const HISTORY_CAPACITY: usize = 4096;
/// Fewest SOR sweeps on the coarsest multigrid level.
const COARSEST_SWEEPS: usize = 20;
/// The smallest relative residual f32 arithmetic resolves reliably: tighter tolerances are
/// met only up to it on the GPU (measured 2e-7 to 6e-7 on 32² to 128² grids).
pub const F32_RESIDUAL_FLOOR: f64 = 2e-6;

/// The relative residual a pressure solve aims at on `backend`: the scenario's tolerance, on
/// the GPU no finer than what f32 resolves ([`F32_RESIDUAL_FLOOR`]).
pub fn pressure_tolerance(params: &NsParams, backend: crate::sims::run::Backend) -> f64 {
    match backend {
        crate::sims::run::Backend::Cpu => params.tol,
        crate::sims::run::Backend::Gpu => params.tol.max(F32_RESIDUAL_FLOOR),
    }
}
/// Most pressure iterations one projection may take on the GPU.
const MAX_PRESSURE_ITERATIONS: usize = 4000;

/// Mirror of the WGSL `Grid`. Keep in sync with `navier_stokes.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct GridUniform {
    pub(crate) nx: u32,
    pub(crate) ny: u32,
    pub(crate) ucols: u32,
    pub(crate) vrows: u32,
    pub(crate) periodic_x: u32,
    pub(crate) periodic_y: u32,
    pub(crate) nfaces_u: u32,
    pub(crate) history_capacity: u32,
    pub(crate) h: f32,
    pub(crate) nu: f32,
    pub(crate) cfl: f32,
    pub(crate) beta: f32,
    pub(crate) side_kind: [u32; 4],
    pub(crate) side_value: [f32; 4],
    pub(crate) pressure_ghost: [f32; 4],
    pub(crate) force: f32,
    pub(crate) force_k: f32,
    pub(crate) boundary_speed: f32,
    pub(crate) max_force: f32,
}
const _: () = assert!(std::mem::size_of::<GridUniform>() == 112);
/// Bytes of the `Grid` uniform (checked against the WGSL in `tests/shaders.rs`).
pub const GRID_BYTES: usize = std::mem::size_of::<GridUniform>();

/// Mirror of the WGSL `Op`. Keep in sync with `navier_stokes.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable, PartialEq)]
pub(crate) struct OpUniform {
    pub(crate) out_off: u32,
    pub(crate) from_off: u32,
    pub(crate) base_off: u32,
    pub(crate) aux_off: u32,
    pub(crate) wa: f32,
    pub(crate) wb: f32,
    pub(crate) dt_scale: f32,
    pub(crate) omega: f32,
    pub(crate) lnx: u32,
    pub(crate) lny: u32,
    pub(crate) p_off: u32,
    pub(crate) f_off: u32,
    pub(crate) r_off: u32,
    pub(crate) solid_off: u32,
    pub(crate) colour: u32,
    pub(crate) flag: u32,
    pub(crate) lh: f32,
    pub(crate) cnx: u32,
    pub(crate) cny: u32,
    pub(crate) cp_off: u32,
    pub(crate) cf_off: u32,
    pub(crate) csolid_off: u32,
    pub(crate) count: u32,
    pub(crate) lattice: u32,
}
const _: () = assert!(std::mem::size_of::<OpUniform>() == 96);
/// Bytes of the `Op` uniform (checked against the WGSL in `tests/shaders.rs`).
pub const OP_BYTES: usize = std::mem::size_of::<OpUniform>();

/// The kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kernel {
    Momentum,
    Divergence,
    Smooth,
    Jacobi,
    CopyCells,
    Residual,
    Restrict,
    Prolong,
    ReduceCells,
    SubtractMean,
    Project,
    Advect,
    MacCormack,
    BfeccCorrect,
    CopyWork,
    CflDt,
    FinishStep,
    FftPack,
    FftDivide,
    FftUnpack,
    ViewField,
    /// The shared 2D FFT (its own pipelines and bind groups), forward and inverse.
    FftForward,
    FftInverse,
}

const KERNELS: [(Kernel, &str); 21] = [
    (Kernel::Momentum, "momentum_stage"),
    (Kernel::Divergence, "divergence"),
    (Kernel::Smooth, "relax"),
    (Kernel::Jacobi, "jacobi"),
    (Kernel::CopyCells, "copy_cells"),
    (Kernel::Residual, "residual"),
    (Kernel::Restrict, "restrict_residual"),
    (Kernel::Prolong, "prolong"),
    (Kernel::ReduceCells, "reduce_cells"),
    (Kernel::SubtractMean, "subtract_mean"),
    (Kernel::Project, "project"),
    (Kernel::Advect, "advect"),
    (Kernel::MacCormack, "maccormack"),
    (Kernel::BfeccCorrect, "bfecc_correct"),
    (Kernel::CopyWork, "copy_work"),
    (Kernel::CflDt, "cfl_dt"),
    (Kernel::FinishStep, "finish_step"),
    (Kernel::FftPack, "fft_pack"),
    (Kernel::FftDivide, "fft_divide"),
    (Kernel::FftUnpack, "fft_unpack"),
    (Kernel::ViewField, "view_field"),
];

#[derive(Clone, Copy, Debug)]
struct Dispatch {
    kernel: Kernel,
    slot: u32,
    groups: (u32, u32),
}

/// One multigrid level's cells and offsets.
#[derive(Clone, Copy, Debug)]
struct Level {
    nx: usize,
    ny: usize,
    h: f64,
    p: usize,
    f: usize,
    r: usize,
    solid: usize,
}

/// One row of the GPU's step history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GpuStepRow {
    /// Time at the end of the step.
    pub t: f64,
    /// The step.
    pub dt: f64,
    /// Its Courant number.
    pub cfl: f64,
    /// Kinetic energy.
    pub energy: f64,
    /// Enstrophy.
    pub enstrophy: f64,
    /// Max |∇·u| after the step.
    pub max_divergence: f64,
    /// Relative residual of the last pressure solve.
    pub pressure_residual: f64,
    /// Step number (1-based).
    pub step: u64,
}

/// A MAC-grid run on the GPU.
pub struct GpuNs {
    faces: usize,
    cells: usize,
    nfaces_u: usize,
    work: wgpu::Buffer,
    cells_buffer: wgpu::Buffer,
    stats: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    pipelines: HashMap<Kernel, wgpu::ComputePipeline>,
    step: Vec<Dispatch>,
    dye_offset: usize,
    pressure_iterations: usize,
    steps_encoded: u64,
    recipe: Recipe,
    tol: f64,
    /// The last increase of the iteration count: (count before, residual before).
    escalation: Option<(usize, f64)>,
    /// Set once more iterations stopped lowering the residual (the f32 floor of the
    /// problem): no further increases.
    at_floor: bool,
    /// The history and the fields, read back together.
    readbacks: ReadbackPair,
    /// The FFT pressure solver's transforms (forward, inverse), bound to its buffers.
    fft: Option<(BoundFft, BoundFft)>,
    /// The picture of the flow, painted from the GPU buffers (see [`Self::encode_view`]).
    painter: FieldPainter,
    /// The op slot of the first view (one slot per [`FieldKind`], in [`FIELD_KINDS`] order).
    view_slot: u32,
}

/// Workgroups for `count` invocations: x up to 65535, the rest in y.
fn groups(count: usize) -> (u32, u32) {
    let g = (count as u32).div_ceil(WORKGROUP).max(1);
    if g <= 65_535 {
        (g, 1)
    } else {
        (65_535, g.div_ceil(65_535))
    }
}

/// Side kinds as the shader numbers them, values, pressure ghosts.
fn sides(grid: &MacGrid) -> ([u32; 4], [f32; 4], [f32; 4]) {
    use super::mac::{Axis, Side};
    let mut kind = [1u32; 4];
    let mut value = [0f32; 4];
    let mut ghost = [1f32; 4];
    let axes = [grid.x, grid.y];
    for (a, axis) in axes.iter().enumerate() {
        if let Axis::Bounded { low, high } = axis {
            for (s, side) in [(0, low), (1, high)] {
                let k = 2 * a + s;
                (kind[k], value[k]) = match side {
                    Side::NoSlip { slide } => (0, *slide as f32),
                    Side::FreeSlip => (1, 0.0),
                    Side::Inflow { speed } => (2, *speed as f32),
                    Side::Outflow => (3, 0.0),
                };
                ghost[k] = if *side == Side::Outflow { -1.0 } else { 1.0 };
            }
        }
    }
    (kind, value, ghost)
}

impl GpuNs {
    /// The relative residual the pressure solves aim at (the tolerance, or the f32 floor).
    pub fn pressure_tolerance(&self) -> f64 {
        self.tol
    }

    /// Pressure iterations (sweeps, V-cycles) per projection.
    pub fn pressure_iterations(&self) -> usize {
        self.pressure_iterations
    }

    /// Steps recorded so far.
    pub fn steps_encoded(&self) -> u64 {
        self.steps_encoded
    }

    /// The painter of the flow's picture (its texture, its id).
    pub fn painter(&self) -> &FieldPainter {
        &self.painter
    }
}

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
    /// Uploads the MAC run of `params` on `grid` with velocity `vel`, pressure `phi` and dye.
    pub fn new(
        ctx: &GpuContext,
        params: &NsParams,
        grid: &MacGrid,
        vel: &Velocity,
        phi: &[f64],
        dye: &[f64],
    ) -> Result<GpuNs, String> {
        params.validate()?;
        let NsSolver::Mac(scheme) = params.solver else {
            return Err(
                "the GPU runs the staggered-grid (MAC) schemes; the spectral solver runs on the CPU"
                    .into(),
            );
        };
        let (nx, ny) = (grid.nx, grid.ny);
        let fft = if params.pressure == PressureKind::Fft {
            Some(
                GpuFft2::new(ctx, nx, ny)
                    .map_err(|e| format!("{e}: pick multigrid for this grid on the GPU"))?,
            )
        } else {
            None
        };
        let nfaces_u = grid.u_columns() * ny;
        let faces = nfaces_u + nx * grid.v_rows();
        let cells = nx * ny;
        // Velocity fields: state, two stages, three advection scratch; dye: four.
        let dye_offset = 6 * faces;
        let work_len = dye_offset + 4 * cells;
        let limit = ctx.device.limits().max_storage_buffer_binding_size;
        if (work_len * 4) as u64 > limit {
            return Err(format!(
                "{nx} × {ny} cells need {} MB in one GPU buffer, above this device's {} MB",
                (work_len * 4) >> 20,
                limit >> 20
            ));
        }
        // Multigrid levels (the solid rule of poisson.rs: coarse solid iff all four children).
        let mut levels = Vec::new();
        let mut meta: Vec<u32> = Vec::with_capacity(faces + 2 * cells);
        meta.extend(face_kinds(grid));
        let mut cells_len = 0;
        let (mut lnx, mut lny, mut lh) = (nx, ny, grid.h);
        let mut solid: Vec<bool> = grid.solid().to_vec();
        loop {
            let n = lnx * lny;
            levels.push(Level {
                nx: lnx,
                ny: lny,
                h: lh,
                p: cells_len,
                f: cells_len + n,
                r: cells_len + 2 * n,
                solid: meta.len(),
            });
            cells_len += 3 * n;
            meta.extend(solid.iter().map(|s| u32::from(*s)));
            let coarsens = params.pressure == PressureKind::Multigrid
                && lnx.is_multiple_of(2)
                && lny.is_multiple_of(2)
                && lnx >= 4
                && lny >= 4;
            if !coarsens {
                break;
            }
            let (cnx, cny) = (lnx / 2, lny / 2);
            solid = (0..cnx * cny)
                .map(|kc| {
                    let (i, j) = (2 * (kc % cnx), 2 * (kc / cnx));
                    [(0, 0), (1, 0), (0, 1), (1, 1)]
                        .iter()
                        .all(|(di, dj)| solid[i + di + lnx * (j + dj)])
                })
                .collect();
            (lnx, lny, lh) = (cnx, cny, 2.0 * lh);
        }
        // The view's scratch values after the levels.
        let view_off = cells_len;
        cells_len += cells;
        let (side_kind, side_value, pressure_ghost) = sides(grid);
        let nu = params.viscosity();
        let kolmogorov = params.case == super::NsCase::Kolmogorov;
        let force = if kolmogorov {
            scenario::KOLMOGOROV_FORCING
        } else {
            0.0
        };
        let boundary_speed = side_kind
            .iter()
            .zip(&side_value)
            .filter(|(k, _)| **k == 0 || **k == 2)
            .fold(0.0f32, |m, (_, v)| m.max(v.abs()));
        let uniform = GridUniform {
            nx: nx as u32,
            ny: ny as u32,
            ucols: grid.u_columns() as u32,
            vrows: grid.v_rows() as u32,
            periodic_x: u32::from(grid.poisson().x == AxisBoundary::Periodic),
            periodic_y: u32::from(grid.poisson().y == AxisBoundary::Periodic),
            nfaces_u: nfaces_u as u32,
            history_capacity: HISTORY_CAPACITY as u32,
            h: grid.h as f32,
            nu: nu as f32,
            cfl: params.cfl as f32,
            beta: match scheme {
                TimeScheme::SspRk3 => (2.51 / 8.0) as f32,
                _ => 0.25,
            },
            side_kind,
            side_value,
            pressure_ghost,
            force: force as f32,
            force_k: scenario::KOLMOGOROV_WAVENUMBER as f32,
            boundary_speed,
            // The largest force on the faces, as the CPU samples it (mac.rs `step_limits`).
            max_force: (0..ny)
                .map(|j| {
                    (force
                        * (scenario::KOLMOGOROV_WAVENUMBER as f64 * (j as f64 + 0.5) * grid.h)
                            .sin())
                    .abs()
                })
                .fold(0.0, f64::max) as f32,
        };

        let recipe = Recipe {
            scheme,
            pressure: params.pressure,
            omega: params.omega,
            singular: grid.poisson().singular(),
            levels,
            faces,
            cells,
            nfaces_u,
            dye_offset,
        };
        let pressure_iterations = pressure_iterations(params, grid);
        let (step, mut slots) = record_step(&recipe, pressure_iterations);
        // The views' slots after the step's (their number does not depend on the count).
        let view_slot = slots.len() as u32;
        slots.extend(FIELD_KINDS.iter().enumerate().map(|(flag, _)| OpUniform {
            flag: flag as u32,
            from_off: 0,
            p_off: 0,
            aux_off: dye_offset as u32,
            out_off: view_off as u32,
            solid_off: recipe.levels[0].solid as u32,
            ..OpUniform::default()
        }));

        // Buffers.
        let mut work = vec![0f32; work_len];
        for (w, v) in work.iter_mut().zip(vel.u.iter().chain(&vel.v)) {
            *w = *v as f32;
        }
        // Every velocity field starts as the state: fixed faces then hold their values.
        for k in 1..6 {
            let (head, tail) = work.split_at_mut(k * faces);
            tail[..faces].copy_from_slice(&head[..faces]);
        }
        for (w, v) in work[dye_offset..].iter_mut().zip(dye) {
            *w = *v as f32;
        }
        let mut cell_data = vec![0f32; cells_len];
        for (c, p) in cell_data.iter_mut().zip(phi) {
            *c = *p as f32;
        }
        let usage = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST;
        let work_buffer = ctx.buffer_with("ns work", &work, usage);
        let cells_buffer = ctx.buffer_with("ns cells", &cell_data, usage);
        let meta_buffer = ctx.buffer_with("ns meta", &meta, wgpu::BufferUsages::STORAGE);
        let stats_buffer = ctx.buffer_with(
            "ns stats",
            &vec![0f32; STAT_HISTORY + HISTORY_WIDTH * HISTORY_CAPACITY],
            usage,
        );
        let grid_buffer = ctx.buffer_with("ns grid", &[uniform], wgpu::BufferUsages::UNIFORM);
        let mut bytes = vec![0u8; slots.len().max(1) * SLOT as usize];
        for (k, s) in slots.iter().enumerate() {
            let at = k * SLOT as usize;
            bytes[at..at + std::mem::size_of::<OpUniform>()].copy_from_slice(bytemuck::bytes_of(s));
        }
        let ops = ctx.buffer_with("ns ops", &bytes, wgpu::BufferUsages::UNIFORM);
        // The FFT solver's complex grid and spectrum (8-byte stand-ins for the others).
        let complex_len = if fft.is_some() { 8 * cells as u64 } else { 8 };
        let fft_grid = ctx.buffer("ns fft grid", complex_len, wgpu::BufferUsages::STORAGE);
        let fft_spectrum = ctx.buffer("ns fft spectrum", complex_len, wgpu::BufferUsages::STORAGE);
        let fft = fft.map(|plan| {
            (
                plan.bind_forward(ctx, &fft_grid, &fft_spectrum),
                plan.bind_inverse(ctx, &fft_spectrum, &fft_grid),
            )
        });

        let uniform_entry = |binding: u32, dynamic: bool, size: usize| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: dynamic,
                min_binding_size: wgpu::BufferSize::new(size as u64),
            },
            count: None,
        };
        let layout = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("navier stokes"),
                entries: &[
                    uniform_entry(0, false, std::mem::size_of::<GridUniform>()),
                    uniform_entry(1, true, std::mem::size_of::<OpUniform>()),
                    crate::gpu::buffer_layout_entry(2, storage(false)),
                    crate::gpu::buffer_layout_entry(3, storage(false)),
                    crate::gpu::buffer_layout_entry(4, storage(true)),
                    crate::gpu::buffer_layout_entry(5, storage(false)),
                    crate::gpu::buffer_layout_entry(6, storage(false)),
                    crate::gpu::buffer_layout_entry(7, storage(false)),
                ],
            });
        let pipeline_layout = ctx
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("navier stokes"),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let compiled = ctx.compute_pipelines_with_layout(
            "navier_stokes.wgsl",
            Some(&pipeline_layout),
            KERNELS.map(|(_, name)| name),
        );
        let pipelines: HashMap<Kernel, wgpu::ComputePipeline> =
            KERNELS.iter().map(|(k, _)| *k).zip(compiled).collect();
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("navier stokes"),
            layout: &layout,
            entries: &[
                crate::gpu::entry(0, &grid_buffer),
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &ops,
                        offset: 0,
                        size: wgpu::BufferSize::new(std::mem::size_of::<OpUniform>() as u64),
                    }),
                },
                crate::gpu::entry(2, &work_buffer),
                crate::gpu::entry(3, &cells_buffer),
                crate::gpu::entry(4, &meta_buffer),
                crate::gpu::entry(5, &stats_buffer),
                crate::gpu::entry(6, &fft_grid),
                crate::gpu::entry(7, &fft_spectrum),
            ],
        });
        let painter = FieldPainter::new(
            ctx,
            (nx, ny),
            &cells_buffer,
            view_off,
            Some((&meta_buffer, recipe.levels[0].solid)),
        );
        Ok(GpuNs {
            faces,
            cells,
            nfaces_u,
            work: work_buffer,
            cells_buffer,
            stats: stats_buffer,
            bind_group,
            pipelines,
            step,
            dye_offset,
            pressure_iterations,
            steps_encoded: 0,
            recipe,
            tol: params.tol.max(F32_RESIDUAL_FLOOR),
            escalation: None,
            at_floor: false,
            readbacks: ReadbackPair::new(
                ctx,
                ((STAT_HISTORY + HISTORY_WIDTH * HISTORY_CAPACITY) * 4) as u64,
                ((faces + 2 * cells) * 4) as u64,
                "ns readback",
            ),
            fft,
            painter,
            view_slot,
        })
    }

    /// The relative residual the pressure solves aim at (the tolerance, or the f32 floor).
    pub fn pressure_tolerance(&self) -> f64 {
        self.tol
    }

    /// Pressure iterations (sweeps, V-cycles) per projection.
    pub fn pressure_iterations(&self) -> usize {
        self.pressure_iterations
    }

    /// Sets the pressure iterations per projection (re-records the step).
    pub fn set_pressure_iterations(&mut self, iterations: usize) {
        let iterations = iterations.clamp(1, MAX_PRESSURE_ITERATIONS);
        if iterations != self.pressure_iterations {
            // The op slots do not depend on the count, so the uploaded ones still serve.
            let (step, _) = record_step(&self.recipe, iterations);
            self.step = step;
            self.pressure_iterations = iterations;
        }
    }

    /// Adapts the iteration count to the residual `reached` by the last solve: the
    /// contraction per iteration is estimated as `reached^(1/iterations)` and the count set
    /// to reach the tolerance with 10% to spare; a count that overshoots by far is lowered.
    /// Returns whether it changed.
    pub fn adapt_pressure_iterations(&mut self, reached: f64) -> bool {
        // The FFT is a direct solve: one is all it takes.
        if self.fft.is_some() || !(reached.is_finite() && reached > 0.0) {
            return false;
        }
        // More iterations that no longer lowered the residual: f32 round-off, not the
        // solver, sets the floor of this problem; go back and stop increasing.
        if let Some((count, before)) = self.escalation.take()
            && self.pressure_iterations > count
            && reached > 0.5 * before
        {
            self.set_pressure_iterations(count);
            self.at_floor = true;
            return true;
        }
        let too_loose = reached > self.tol && !self.at_floor;
        let too_tight = reached < self.tol * self.tol.sqrt();
        if !(too_loose || too_tight) {
            return false;
        }
        let per_iteration = reached.ln() / self.pressure_iterations as f64;
        if per_iteration >= 0.0 {
            // No contraction seen at all: double and look again.
            let doubled = 2 * self.pressure_iterations;
            self.set_pressure_iterations(doubled);
            return true;
        }
        let wanted = (1.1 * self.tol.ln() / per_iteration).ceil() as usize;
        let before = self.pressure_iterations;
        if wanted > before {
            self.escalation = Some((before, reached));
        }
        self.set_pressure_iterations(wanted);
        self.pressure_iterations != before
    }

    /// Finds the iteration count that reaches the tolerance by trying steps from the current
    /// state (restored after each try); returns the count. Blocking (tests, the CLI, and
    /// before a run starts).
    pub fn calibrate_blocking(&mut self, ctx: &GpuContext) -> Result<usize, String> {
        let read = |b: &wgpu::Buffer| ctx.read_blocking(b, 0, b.size()).map_err(|e| e.to_string());
        let (work, cells, stats) = (
            read(&self.work)?,
            read(&self.cells_buffer)?,
            read(&self.stats)?,
        );
        for _ in 0..8 {
            self.run_blocking(ctx, 1)?;
            let reached = self
                .history_blocking(ctx)?
                .last()
                .map_or(f64::NAN, |r| r.pressure_residual);
            ctx.queue.write_buffer(&self.work, 0, &work);
            ctx.queue.write_buffer(&self.cells_buffer, 0, &cells);
            ctx.queue.write_buffer(&self.stats, 0, &stats);
            self.steps_encoded -= 1;
            if !self.adapt_pressure_iterations(reached) || self.at_floor {
                break;
            }
        }
        Ok(self.pressure_iterations)
    }

    /// Records copies of the history and of the fields (velocity, pressure, dye) for
    /// asynchronous readback, unless copies are still in flight; call
    /// [`Self::readbacks_submitted`] after submitting.
    pub fn request_readbacks(&mut self, encoder: &mut wgpu::CommandEncoder) {
        let (faces, cells) = ((self.faces * 4) as u64, (self.cells * 4) as u64);
        self.readbacks.request(
            encoder,
            &self.stats,
            &[
                (&self.work, 0, faces),
                (&self.cells_buffer, 0, cells),
                (&self.work, (self.dye_offset * 4) as u64, cells),
            ],
        );
    }

    /// Starts the mappings of the copies just submitted (only those requested: a mapping
    /// already landed must not be restarted).
    pub fn readbacks_submitted(&mut self) {
        self.readbacks.submitted();
    }

    /// Whether a readback is on its way.
    pub fn reading_back(&self) -> bool {
        self.readbacks.in_flight()
    }

    /// The history rows and the fields (face velocities u then v, pressure, dye; f64) once
    /// their copies have landed; never blocks.
    #[allow(clippy::type_complexity)]
    pub fn try_take(
        &self,
        ctx: &GpuContext,
    ) -> Result<
        (
            Option<Vec<GpuStepRow>>,
            Option<(Vec<f64>, Vec<f64>, Vec<f64>)>,
        ),
        String,
    > {
        let (history, fields) = self.readbacks.try_take(ctx).map_err(|e| e.to_string())?;
        let rows = history.map(|b| parse_history(bytemuck::cast_slice(&b)));
        let fields = fields.map(|b| {
            let v: &[f32] = bytemuck::cast_slice(&b);
            let widen = |s: &[f32]| s.iter().map(|x| f64::from(*x)).collect::<Vec<f64>>();
            (
                widen(&v[..self.faces]),
                widen(&v[self.faces..self.faces + self.cells]),
                widen(&v[self.faces + self.cells..]),
            )
        });
        Ok((rows, fields))
    }

    /// Projections per time step (for the iteration count of a step).
    pub fn projections_per_step(&self) -> usize {
        match self.recipe.scheme {
            TimeScheme::SspRk2 => 2,
            TimeScheme::SspRk3 => 3,
            _ => 1,
        }
    }

    /// Dispatches per time step.
    pub fn dispatches_per_step(&self) -> usize {
        self.step.len()
    }

    /// Steps recorded so far.
    pub fn steps_encoded(&self) -> u64 {
        self.steps_encoded
    }

    /// Records `steps` time steps into `encoder`.
    pub fn encode(&mut self, encoder: &mut wgpu::CommandEncoder, steps: usize) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("navier stokes steps"),
            timestamp_writes: None,
        });
        for _ in 0..steps {
            for d in &self.step {
                if let (Some((forward, inverse)), Kernel::FftForward | Kernel::FftInverse) =
                    (&self.fft, d.kernel)
                {
                    let transform = if d.kernel == Kernel::FftForward {
                        forward
                    } else {
                        inverse
                    };
                    transform.record(&mut pass);
                    continue;
                }
                pass.set_pipeline(&self.pipelines[&d.kernel]);
                pass.set_bind_group(0, &self.bind_group, &[d.slot * SLOT as u32]);
                pass.dispatch_workgroups(d.groups.0, d.groups.1, 1);
            }
        }
        self.steps_encoded += steps as u64;
    }

    /// Paints the picture of `kind` from the current GPU state into [`Self::view_texture`]:
    /// the field's values, then the shared painter's range and colours.
    pub fn encode_view(&self, encoder: &mut wgpu::CommandEncoder, kind: FieldKind) {
        let flag = FIELD_KINDS.iter().position(|k| *k == kind).unwrap_or(0) as u32;
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("navier stokes view"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipelines[&Kernel::ViewField]);
        pass.set_bind_group(
            0,
            &self.bind_group,
            &[(self.view_slot + flag) * SLOT as u32],
        );
        let (x, y) = groups(self.cells);
        pass.dispatch_workgroups(x, y, 1);
        self.painter.record(&mut pass, kind.is_signed());
    }

    /// The painter of the flow's picture (its texture, its id).
    pub fn painter(&self) -> &FieldPainter {
        &self.painter
    }

    /// Runs `steps` steps and waits (tests, benchmarks, the CLI).
    pub fn run_blocking(&mut self, ctx: &GpuContext, steps: usize) -> Result<(), String> {
        ctx.run_in_batches(steps, 16, |encoder, count| self.encode(encoder, count))
    }

    /// The velocity (f64 copy of the f32 state), blocking.
    pub fn velocity_blocking(&self, ctx: &GpuContext, grid: &MacGrid) -> Result<Velocity, String> {
        let bytes = ctx
            .read_blocking(&self.work, 0, (self.faces * 4) as u64)
            .map_err(|e| e.to_string())?;
        let values: &[f32] = bytemuck::cast_slice(&bytes);
        let mut vel = grid.rest();
        for (v, x) in vel.u.iter_mut().zip(&values[..self.nfaces_u]) {
            *v = f64::from(*x);
        }
        for (v, x) in vel.v.iter_mut().zip(&values[self.nfaces_u..]) {
            *v = f64::from(*x);
        }
        Ok(vel)
    }

    /// The pressure and the dye (f64 copies), blocking.
    pub fn pressure_and_dye_blocking(
        &self,
        ctx: &GpuContext,
    ) -> Result<(Vec<f64>, Vec<f64>), String> {
        let p = ctx
            .read_blocking(&self.cells_buffer, 0, (self.cells * 4) as u64)
            .map_err(|e| e.to_string())?;
        let dye = ctx
            .read_blocking(
                &self.work,
                (self.dye_offset * 4) as u64,
                (self.cells * 4) as u64,
            )
            .map_err(|e| e.to_string())?;
        let widen = |b: &[u8]| {
            bytemuck::cast_slice::<u8, f32>(b)
                .iter()
                .map(|x| f64::from(*x))
                .collect()
        };
        Ok((widen(&p), widen(&dye)))
    }

    /// The history rows of the steps `from..` (at most the ring's capacity back), blocking.
    pub fn history_blocking(&self, ctx: &GpuContext) -> Result<Vec<GpuStepRow>, String> {
        let bytes = ctx
            .read_blocking(
                &self.stats,
                0,
                ((STAT_HISTORY + HISTORY_WIDTH * HISTORY_CAPACITY) * 4) as u64,
            )
            .map_err(|e| e.to_string())?;
        Ok(parse_history(bytemuck::cast_slice(&bytes)))
    }
}

/// The views in the order of the shader's `view_field` flag.
const FIELD_KINDS: [FieldKind; 4] = [
    FieldKind::Vorticity,
    FieldKind::Speed,
    FieldKind::Pressure,
    FieldKind::Dye,
];

/// The rows of a stats buffer, oldest first.
pub fn parse_history(stats: &[f32]) -> Vec<GpuStepRow> {
    let steps = stats[3] as u64;
    let first = steps.saturating_sub(HISTORY_CAPACITY as u64);
    (first..steps)
        .map(|s| {
            let at = STAT_HISTORY + (s as usize % HISTORY_CAPACITY) * HISTORY_WIDTH;
            let r = &stats[at..at + HISTORY_WIDTH];
            GpuStepRow {
                t: f64::from(r[0]),
                dt: f64::from(r[1]),
                cfl: f64::from(r[2]),
                energy: f64::from(r[3]),
                enstrophy: f64::from(r[4]),
                max_divergence: f64::from(r[5]),
                pressure_residual: f64::from(r[6]),
                step: r[7] as u64,
            }
        })
        .collect()
}

/// The face kinds of the shader: 0 free, 1 fixed, 2 buried, u faces then v faces.
fn face_kinds(grid: &MacGrid) -> Vec<u32> {
    grid.face_kinds()
        .map(|k| match k {
            super::mac::FaceKind::Free => 0,
            super::mac::FaceKind::Fixed => 1,
            super::mac::FaceKind::Buried => 2,
        })
        .collect()
}

/// Pressure iterations per projection for the tolerance: multigrid contracts ≥ 10× per
/// V-cycle (0.25 around obstacles); SOR and Jacobi by their spectral radii, with the Jacobi
/// radius ρ_J of the slowest mode and Young's SOR radius for ω.
fn pressure_iterations(params: &NsParams, grid: &MacGrid) -> usize {
    let want = params.tol.max(F32_RESIDUAL_FLOOR).ln();
    // The slowest mode of the Jacobi iteration: a quarter wave across the longest bounded
    // side (Neumann at one end), a full wave across a periodic one.
    let n = grid.nx.max(grid.ny) as f64;
    let periodic =
        grid.poisson().x == AxisBoundary::Periodic && grid.poisson().y == AxisBoundary::Periodic;
    let rho_jacobi = if periodic {
        (std::f64::consts::TAU / n).cos()
    } else {
        (std::f64::consts::PI / (2.0 * n)).cos()
    };
    let rate = match params.pressure {
        PressureKind::Multigrid => {
            if grid.solid().iter().any(|s| *s) {
                0.25
            } else {
                0.1
            }
        }
        PressureKind::Jacobi => rho_jacobi,
        PressureKind::Sor => {
            let w = params.omega;
            let optimal = 2.0 / (1.0 + (1.0 - rho_jacobi * rho_jacobi).sqrt());
            if w >= optimal {
                w - 1.0
            } else {
                // Young: √ρ = (ω ρ_J + √(ω²ρ_J² − 4(ω − 1)))/2.
                let root = (w * rho_jacobi
                    + (w * w * rho_jacobi * rho_jacobi - 4.0 * (w - 1.0)).sqrt())
                    / 2.0;
                root * root
            }
        }
        PressureKind::Fft => 0.0,
    };
    if rate <= 0.0 {
        return 1;
    }
    ((want / rate.ln()).ceil() as usize).clamp(1, MAX_PRESSURE_ITERATIONS)
}

/// One V(2,2)-cycle from level `l` (poisson.rs `v_cycle`).
fn v_cycle(
    push: &mut dyn FnMut(Kernel, OpUniform, usize),
    levels: &[Level],
    l: usize,
    level_op: &dyn Fn(&Level) -> OpUniform,
) {
    let level = levels[l];
    let base = level_op(&level);
    let n = level.nx * level.ny;
    let half = level.nx.div_ceil(2) * level.ny;
    let smooth = |push: &mut dyn FnMut(Kernel, OpUniform, usize), sweeps: usize, omega: f32| {
        for _ in 0..sweeps {
            for colour in 0..2 {
                push(
                    Kernel::Smooth,
                    OpUniform {
                        colour,
                        omega,
                        ..base
                    },
                    half,
                );
            }
        }
    };
    if l + 1 == levels.len() {
        // The coarsest level (a few cells, but elongated grids leave e.g. 12 × 3): SOR with
        // the optimal ω of its longest side converges in O(n) sweeps.
        let n = level.nx.max(level.ny) as f64;
        let omega = 2.0 / (1.0 + (std::f64::consts::PI / (2.0 * n)).sin());
        let sweeps = (4.0 * n).clamp(COARSEST_SWEEPS as f64, 200.0) as usize;
        smooth(push, sweeps, omega as f32);
        return;
    }
    let coarse = levels[l + 1];
    let with_coarse = OpUniform {
        cnx: coarse.nx as u32,
        cny: coarse.ny as u32,
        cp_off: coarse.p as u32,
        cf_off: coarse.f as u32,
        csolid_off: coarse.solid as u32,
        ..base
    };
    smooth(push, 2, 1.0);
    push(Kernel::Residual, base, n);
    push(Kernel::Restrict, with_coarse, coarse.nx * coarse.ny);
    v_cycle(push, levels, l + 1, level_op);
    push(Kernel::Prolong, with_coarse, n);
    smooth(push, 2, 1.0);
}

/// The dispatches advecting one lattice with `scheme` (fields: [φ, forward, backward,
/// corrected, result]); returns where the result landed: fields[4] (semi-Lagrangian, BFECC)
/// or fields[2] (MacCormack corrects the backward field in place).
fn advect_sequence(
    push: &mut dyn FnMut(Kernel, OpUniform, usize),
    scheme: TimeScheme,
    lattice: u32,
    fields: [u32; 5],
    velocity: u32,
    solid_off: u32,
    count: usize,
) -> u32 {
    let [phi, fwd, back, corr, result] = fields;
    let pass = |from: u32, out: u32, direction: f32, clamp: bool| OpUniform {
        from_off: from,
        out_off: out,
        aux_off: velocity,
        wa: direction,
        dt_scale: 1.0,
        lattice,
        solid_off,
        flag: u32::from(clamp),
        ..OpUniform::default()
    };
    match scheme {
        TimeScheme::MacCormack => {
            push(Kernel::Advect, pass(phi, fwd, 1.0, false), count);
            push(Kernel::Advect, pass(fwd, back, -1.0, false), count);
            push(
                Kernel::MacCormack,
                OpUniform {
                    base_off: fwd,
                    ..pass(phi, back, 1.0, false)
                },
                count,
            );
            back
        }
        TimeScheme::Bfecc => {
            push(Kernel::Advect, pass(phi, fwd, 1.0, false), count);
            push(Kernel::Advect, pass(fwd, back, -1.0, false), count);
            push(
                Kernel::BfeccCorrect,
                OpUniform {
                    base_off: back,
                    ..pass(phi, corr, 1.0, false)
                },
                count,
            );
            push(Kernel::Advect, pass(corr, result, 1.0, true), count);
            result
        }
        _ => {
            push(Kernel::Advect, pass(phi, result, 1.0, false), count);
            result
        }
    }
}

/// Everything the recording of a step needs.
#[derive(Clone, Debug)]
struct Recipe {
    scheme: TimeScheme,
    pressure: PressureKind,
    omega: f64,
    singular: bool,
    levels: Vec<Level>,
    faces: usize,
    cells: usize,
    nfaces_u: usize,
    dye_offset: usize,
}

/// Records one time step with `iterations` pressure iterations per projection: the dispatch
/// list and the distinct op slots (the same slots for every iteration count).
fn record_step(r: &Recipe, iterations: usize) -> (Vec<Dispatch>, Vec<OpUniform>) {
    let (faces, cells, nfaces_u, dye_offset, scheme) =
        (r.faces, r.cells, r.nfaces_u, r.dye_offset, r.scheme);
    let levels = &r.levels;
    // The recorded step.
    let mut slots: Vec<OpUniform> = Vec::new();
    let mut slot_of: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut step: Vec<Dispatch> = Vec::new();
    let mut push = |kernel: Kernel, op: OpUniform, count: usize| {
        let key = bytemuck::bytes_of(&op).to_vec();
        let slot = *slot_of.entry(key).or_insert_with(|| {
            slots.push(op);
            (slots.len() - 1) as u32
        });
        let g = match kernel {
            Kernel::ReduceCells | Kernel::CflDt | Kernel::FinishStep => (1, 1),
            _ => groups(count),
        };
        step.push(Dispatch {
            kernel,
            slot,
            groups: g,
        });
    };
    let field = |k: usize| (k * faces) as u32;
    let level_op = |l: &Level| OpUniform {
        lnx: l.nx as u32,
        lny: l.ny as u32,
        p_off: l.p as u32,
        f_off: l.f as u32,
        r_off: l.r as u32,
        solid_off: l.solid as u32,
        lh: l.h as f32,
        ..OpUniform::default()
    };
    let fine = levels[0];
    let omega = r.omega as f32;
    // The projection of the field at `off` with Δt·scale.
    let project = |push: &mut dyn FnMut(Kernel, OpUniform, usize), off: u32, scale: f32| {
        let base = level_op(&fine);
        push(
            Kernel::Divergence,
            OpUniform {
                from_off: off,
                dt_scale: scale,
                ..base
            },
            cells,
        );
        if r.singular {
            push(Kernel::ReduceCells, OpUniform { flag: 0, ..base }, cells);
            push(Kernel::SubtractMean, base, cells);
        }
        if r.pressure == PressureKind::Fft {
            // A direct solve: f → FFT → ÷ eigenvalues → inverse FFT → p.
            for kernel in [
                Kernel::FftPack,
                Kernel::FftForward,
                Kernel::FftDivide,
                Kernel::FftInverse,
                Kernel::FftUnpack,
            ] {
                push(kernel, base, cells);
            }
        }
        for _ in 0..iterations {
            match r.pressure {
                PressureKind::Fft => {}
                PressureKind::Jacobi => {
                    push(Kernel::Jacobi, base, cells);
                    push(Kernel::CopyCells, base, cells);
                }
                PressureKind::Sor => {
                    for colour in 0..2 {
                        push(
                            Kernel::Smooth,
                            OpUniform {
                                colour,
                                omega,
                                ..base
                            },
                            fine.nx.div_ceil(2) * fine.ny,
                        );
                    }
                }
                _ => v_cycle(push, levels, 0, &level_op),
            }
        }
        push(
            Kernel::Project,
            OpUniform {
                out_off: off,
                dt_scale: scale,
                ..base
            },
            faces,
        );
        push(Kernel::Residual, base, cells);
        push(Kernel::ReduceCells, OpUniform { flag: 1, ..base }, cells);
    };
    let momentum = |push: &mut dyn FnMut(Kernel, OpUniform, usize),
                    out: u32,
                    from: u32,
                    base: u32,
                    wa: f32,
                    wb: f32,
                    advect: bool| {
        push(
            Kernel::Momentum,
            OpUniform {
                out_off: out,
                from_off: from,
                base_off: base,
                wa,
                wb,
                dt_scale: 1.0,
                flag: u32::from(advect),
                ..OpUniform::default()
            },
            faces,
        );
    };
    let copy = |push: &mut dyn FnMut(Kernel, OpUniform, usize), from: u32, to: u32, n: usize| {
        push(
            Kernel::CopyWork,
            OpUniform {
                from_off: from,
                out_off: to,
                count: n as u32,
                ..OpUniform::default()
            },
            n,
        );
    };
    push(
        Kernel::CflDt,
        OpUniform {
            from_off: 0,
            ..OpUniform::default()
        },
        1,
    );
    match scheme {
        TimeScheme::SspRk2 => {
            // u1 = P(u + Δt L u); u = P(½u + ½(u1 + Δt L u1)).
            momentum(&mut push, field(1), field(0), field(0), 0.0, 1.0, true);
            project(&mut push, field(1), 1.0);
            momentum(&mut push, field(2), field(1), field(0), 0.5, 0.5, true);
            project(&mut push, field(2), 0.5);
            copy(&mut push, field(2), 0, faces);
        }
        TimeScheme::SspRk3 => {
            // Shu & Osher (1988), eq. 2.18, every stage projected.
            momentum(&mut push, field(1), field(0), field(0), 0.0, 1.0, true);
            project(&mut push, field(1), 1.0);
            momentum(&mut push, field(2), field(1), field(0), 0.75, 0.25, true);
            project(&mut push, field(2), 0.25);
            momentum(
                &mut push,
                field(1),
                field(2),
                field(0),
                1.0 / 3.0,
                2.0 / 3.0,
                true,
            );
            project(&mut push, field(1), 2.0 / 3.0);
            copy(&mut push, field(1), 0, faces);
        }
        _ => {
            let mut landed = field(1);
            for lattice in [0u32, 1] {
                landed = advect_sequence(
                    &mut push,
                    scheme,
                    lattice,
                    [field(0), field(3), field(4), field(5), field(1)],
                    field(0),
                    fine.solid as u32,
                    if lattice == 0 {
                        nfaces_u
                    } else {
                        faces - nfaces_u
                    },
                );
            }
            // Diffusion and force on the advected field, then one projection.
            momentum(&mut push, field(2), landed, landed, 0.0, 1.0, false);
            project(&mut push, field(2), 1.0);
            copy(&mut push, field(2), 0, faces);
        }
    }
    // The dye, carried by the new velocity (as the CPU run does).
    let dye_scheme = if scheme == TimeScheme::SemiLagrangian {
        TimeScheme::SemiLagrangian
    } else {
        TimeScheme::MacCormack
    };
    let d = |k: usize| (dye_offset + k * cells) as u32;
    let landed = advect_sequence(
        &mut push,
        dye_scheme,
        2,
        [d(0), d(1), d(2), d(3), d(1)],
        field(0),
        fine.solid as u32,
        cells,
    );
    copy(&mut push, landed, d(0), cells);
    push(
        Kernel::FinishStep,
        OpUniform {
            from_off: 0,
            solid_off: fine.solid as u32,
            ..OpUniform::default()
        },
        1,
    );

    (step, slots)
}

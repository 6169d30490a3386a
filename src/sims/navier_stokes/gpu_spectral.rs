//! The GPU path of the pseudo-spectral vorticity solver (`shaders/navier_stokes_spectral.wgsl`):
//! the equation, 2/3 dealiasing, step-size rule and schemes of [`super::spectral`] in f32, with
//! the shared 2D FFT ([`GpuFft2`]). A whole RK4 or integrating-factor RK4 step (four stages,
//! each two inverse and one forward 2D transform) is recorded once and replayed; Δt is chosen
//! on the GPU from the velocity of the step's start, and each step appends a row to the same
//! history ring as the MAC path (read with [`super::gpu::parse_history`]).

use bytemuck::{Pod, Zeroable};
use rustfft::num_complex::Complex64;

use super::gpu::{GpuStepRow, HISTORY_CAPACITY, HISTORY_WIDTH, STAT_HISTORY, parse_history};
use super::run::FieldKind;
use super::spectral::{BOX, SpectralScheme, VorticityParams};
use crate::gpu::fft::{BoundFft, GpuFft2};
use crate::gpu::field_view::FieldPainter;
use crate::gpu::readback::ReadbackPair;
use crate::gpu::{GpuContext, buffer_layout_entry, entry, storage, wgpu};

/// Invocations per workgroup (the WGSL `WG`).
const WORKGROUP: u32 = 256;
/// Bytes per op slot (dynamic uniform offsets are 256-byte aligned).
const SLOT: u64 = 256;

/// Mirror of the WGSL `Params`. Keep in sync with `navier_stokes_spectral.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct SpectralUniform {
    pub(crate) n: u32,
    pub(crate) integrating_factor: u32,
    pub(crate) forcing_wavenumber: u32,
    pub(crate) history_capacity: u32,
    pub(crate) nu: f32,
    pub(crate) drag: f32,
    pub(crate) forcing_hat: f32,
    pub(crate) cfl: f32,
    pub(crate) h: f32,
    pub(crate) force_speed: f32,
    pub(crate) stiff_limit: f32,
    pub(crate) inv_nn: f32,
    pub(crate) dye_off: u32,
    pub(crate) view_off: u32,
    pub(crate) pad: [u32; 2],
}
const _: () = assert!(std::mem::size_of::<SpectralUniform>() == 64);

/// Mirror of the WGSL `Op`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct StageOp {
    pub(crate) stage: u32,
    pub(crate) field: u32,
    pub(crate) from_off: u32,
    pub(crate) to_off: u32,
    pub(crate) c: f32,
    pub(crate) direction: f32,
    pub(crate) pad: [f32; 2],
    pub(crate) a: [f32; 4],
}
const _: () = assert!(std::mem::size_of::<StageOp>() == 48);

/// One recorded piece of a step.
enum Piece {
    /// A kernel of the shader: pipeline index, op slot, workgroups.
    Kernel(usize, u32, (u32, u32)),
    /// A 2D transform: index into the bound transforms.
    Transform(usize),
}

/// Entry points, in pipeline order.
const KERNELS: [&str; 11] = [
    "stage_fields",
    "step_size",
    "product",
    "nonlinear",
    "combine",
    "finish_step",
    "spectral_field",
    "view_values",
    "dye_advect",
    "dye_correct",
    "dye_copy",
];

/// Op slots after the four stages and the weights: the field kinds (in the WGSL `field`
/// numbering: ω, u + iv, ψ, dye), then the dye's forward and backward passes.
const FIELD_SLOT: u32 = 5;
const DYE_FORWARD_SLOT: u32 = 9;
const DYE_BACKWARD_SLOT: u32 = 10;

/// The WGSL `field` of a view.
fn field_of(kind: FieldKind) -> u32 {
    match kind {
        FieldKind::Vorticity => 0,
        FieldKind::Speed => 1,
        FieldKind::Pressure => 2,
        FieldKind::Dye => 3,
    }
}

/// The classical RK4 tableau (Kutta 1901): nodes, stage coefficients, weights.
const C: [f64; 4] = [0.0, 0.5, 0.5, 1.0];
const A: [[f64; 4]; 4] = [
    [0.0; 4],
    [0.5, 0.0, 0.0, 0.0],
    [0.0, 0.5, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
];
const B: [f64; 4] = [1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0];

/// A spectral run on the GPU.
pub struct GpuSpectral {
    n: usize,
    omega: wgpu::Buffer,
    stats: wgpu::Buffer,
    dye_off: usize,
    painter: FieldPainter,
    /// The history and the fields, read back together.
    readbacks: ReadbackPair,
    bind_group: wgpu::BindGroup,
    pipelines: Vec<wgpu::ComputePipeline>,
    transforms: Vec<BoundFft>,
    step: Vec<Piece>,
    steps_encoded: u64,
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

impl GpuSpectral {
    /// Uploads the spectral run on n × n modes with vorticity `omega_hat` (the CPU's
    /// unnormalised transform) and `dye` on the cells.
    pub fn new(
        ctx: &GpuContext,
        n: usize,
        equation: VorticityParams,
        scheme: SpectralScheme,
        cfl: f64,
        omega_hat: &[Complex64],
        dye: &[f64],
    ) -> Result<GpuSpectral, String> {
        if omega_hat.len() != n * n || dye.len() != n * n {
            return Err(format!(
                "the vorticity has {} modes and the dye {} cells, not {n} × {n}",
                omega_hat.len(),
                dye.len()
            ));
        }
        let fft = GpuFft2::new(ctx, n, n)
            .map_err(|e| format!("{e}: the spectral solver runs on the CPU for this n"))?;
        let modes = n * n;
        let ring_end = STAT_HISTORY + HISTORY_WIDTH * HISTORY_CAPACITY;
        let (dye_off, view_off) = (ring_end, ring_end + 3 * modes);
        let h = BOX / n as f64;
        let k_max = n as f64 / 3.0;
        let stiff = 2.0 * equation.nu * k_max * k_max + equation.drag;
        let kf = equation.forcing_wavenumber;
        let uniform = SpectralUniform {
            n: n as u32,
            integrating_factor: u32::from(scheme == SpectralScheme::IntegratingFactorRk4),
            forcing_wavenumber: if equation.forcing != 0.0 { kf } else { 0 },
            history_capacity: HISTORY_CAPACITY as u32,
            nu: equation.nu as f32,
            drag: equation.drag as f32,
            forcing_hat: (-equation.forcing * f64::from(kf) * modes as f64 / 2.0) as f32,
            cfl: cfl as f32,
            h: h as f32,
            force_speed: (5.0 * h * equation.forcing.abs()).sqrt() as f32,
            stiff_limit: if stiff > 0.0 {
                (2.78 / stiff) as f32
            } else {
                0.0
            },
            inv_nn: 1.0 / modes as f32,
            dye_off: dye_off as u32,
            view_off: view_off as u32,
            pad: [0; 2],
        };

        let usage = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST;
        let complex = |label: &str, count: usize| ctx.buffer(label, (8 * count) as u64, usage);
        let flat: Vec<[f32; 2]> = omega_hat
            .iter()
            .map(|c| [c.re as f32, c.im as f32])
            .collect();
        let omega = ctx.buffer_with("spectral omega", &flat, usage);
        let stages = complex("spectral stages", 4 * modes);
        let [spec_a, grid_a, spec_b, grid_b] =
            ["spec a", "grid a", "spec b", "grid b"].map(|l| complex(l, modes));
        let mut scalars = vec![0f32; view_off + modes];
        for (s, d) in scalars[dye_off..].iter_mut().zip(dye) {
            *s = *d as f32;
        }
        let stats = ctx.buffer_with("spectral stats", &scalars, usage);
        let params = ctx.buffer_with("spectral params", &[uniform], wgpu::BufferUsages::UNIFORM);

        // The op slots: four stages, then the weights.
        let mut ops: Vec<StageOp> = (0..4)
            .map(|i| StageOp {
                stage: i as u32,
                c: C[i] as f32,
                a: A[i].map(|x| x as f32),
                ..StageOp::default()
            })
            .collect();
        ops.push(StageOp {
            a: B.map(|x| x as f32),
            ..StageOp::default()
        });
        ops.extend((0..4).map(|field| StageOp {
            field,
            ..StageOp::default()
        }));
        let dye_pass = |from: usize, to: usize, direction: f32| StageOp {
            from_off: from as u32,
            to_off: to as u32,
            direction,
            ..StageOp::default()
        };
        ops.push(dye_pass(dye_off, dye_off + modes, 1.0));
        ops.push(dye_pass(dye_off + modes, dye_off + 2 * modes, -1.0));
        debug_assert_eq!(ops.len(), DYE_BACKWARD_SLOT as usize + 1);
        let mut bytes = vec![0u8; ops.len() * SLOT as usize];
        for (k, op) in ops.iter().enumerate() {
            let at = k * SLOT as usize;
            bytes[at..at + std::mem::size_of::<StageOp>()].copy_from_slice(bytemuck::bytes_of(op));
        }
        let ops_buffer = ctx.buffer_with("spectral ops", &bytes, wgpu::BufferUsages::UNIFORM);

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
        let mut entries = vec![
            uniform_entry(0, false, std::mem::size_of::<SpectralUniform>()),
            uniform_entry(1, true, std::mem::size_of::<StageOp>()),
        ];
        entries.extend((2..=8).map(|b| buffer_layout_entry(b, storage(false))));
        let layout = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("navier stokes spectral"),
                entries: &entries,
            });
        let pipeline_layout = ctx
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("navier stokes spectral"),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let pipelines = ctx
            .compute_pipelines_with_layout(
                "navier_stokes_spectral.wgsl",
                Some(&pipeline_layout),
                KERNELS,
            )
            .to_vec();
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("navier stokes spectral"),
            layout: &layout,
            entries: &[
                entry(0, &params),
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &ops_buffer,
                        offset: 0,
                        size: wgpu::BufferSize::new(std::mem::size_of::<StageOp>() as u64),
                    }),
                },
                entry(2, &omega),
                entry(3, &stages),
                entry(4, &spec_a),
                entry(5, &grid_a),
                entry(6, &spec_b),
                entry(7, &grid_b),
                entry(8, &stats),
            ],
        });
        // Transforms: 0 u+iv to the grid, 1 ∇ω to the grid, 2 the product back.
        let transforms = vec![
            fft.bind_inverse(ctx, &spec_a, &grid_a),
            fft.bind_inverse(ctx, &spec_b, &grid_b),
            fft.bind_forward(ctx, &grid_a, &spec_a),
        ];
        let kernel = |name: &str, slot: u32, count: usize| {
            let index = KERNELS
                .iter()
                .position(|k| *k == name)
                .expect("known kernel");
            let g = if name == "step_size" || name == "finish_step" {
                (1, 1)
            } else {
                groups(count)
            };
            Piece::Kernel(index, slot, g)
        };
        let mut step = Vec::new();
        for stage in 0..4u32 {
            step.push(kernel("stage_fields", stage, modes));
            step.push(Piece::Transform(0));
            step.push(Piece::Transform(1));
            if stage == 0 {
                step.push(kernel("step_size", 0, 1));
            }
            step.push(kernel("product", 0, modes));
            step.push(Piece::Transform(2));
            step.push(kernel("nonlinear", stage, modes));
        }
        step.push(kernel("combine", 4, modes));
        // The dye, carried by the new velocity (as the CPU run does): MacCormack.
        step.push(kernel("spectral_field", FIELD_SLOT + 1, modes));
        step.push(Piece::Transform(0));
        step.push(kernel("dye_advect", DYE_FORWARD_SLOT, modes));
        step.push(kernel("dye_advect", DYE_BACKWARD_SLOT, modes));
        step.push(kernel("dye_correct", 0, modes));
        step.push(kernel("dye_copy", 0, modes));
        step.push(kernel("finish_step", 0, 1));
        let painter = FieldPainter::new(ctx, (n, n), &stats, view_off, None);
        let history_bytes = (ring_end * 4) as u64;
        Ok(GpuSpectral {
            n,
            readbacks: ReadbackPair::new(
                ctx,
                history_bytes,
                (12 * modes) as u64,
                "spectral readback",
            ),
            omega,
            stats,
            dye_off,
            painter,
            bind_group,
            pipelines,
            transforms,
            step,
            steps_encoded: 0,
        })
    }

    /// Paints the picture of `kind` from the current GPU state into the painter's texture.
    pub fn encode_view(&self, encoder: &mut wgpu::CommandEncoder, kind: FieldKind) {
        let slot = FIELD_SLOT + field_of(kind);
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("navier stokes spectral view"),
            timestamp_writes: None,
        });
        let modes = self.n * self.n;
        let mut pieces = Vec::new();
        if kind != FieldKind::Dye {
            pieces.push(self.kernel("spectral_field", slot, modes));
            pieces.push(Piece::Transform(0));
        }
        pieces.push(self.kernel("view_values", slot, modes));
        for piece in &pieces {
            self.record(&mut pass, piece);
        }
        self.painter.record(&mut pass, kind.is_signed());
    }

    /// The painter of the flow's picture (its texture, its id).
    pub fn painter(&self) -> &FieldPainter {
        &self.painter
    }

    fn kernel(&self, name: &str, slot: u32, count: usize) -> Piece {
        let index = KERNELS
            .iter()
            .position(|k| *k == name)
            .expect("known kernel");
        Piece::Kernel(index, slot, groups(count))
    }

    fn record(&self, pass: &mut wgpu::ComputePass<'_>, piece: &Piece) {
        match piece {
            Piece::Kernel(index, slot, (x, y)) => {
                pass.set_pipeline(&self.pipelines[*index]);
                pass.set_bind_group(0, &self.bind_group, &[*slot * SLOT as u32]);
                pass.dispatch_workgroups(*x, *y, 1);
            }
            Piece::Transform(t) => self.transforms[*t].record(pass),
        }
    }

    /// Records copies of the history and of the fields (ω̂, dye) for asynchronous readback,
    /// unless copies are still in flight; call [`Self::readbacks_submitted`] after submitting.
    pub fn request_readbacks(&mut self, encoder: &mut wgpu::CommandEncoder) {
        let modes = (self.n * self.n) as u64;
        self.readbacks.request(
            encoder,
            &self.stats,
            &[
                (&self.omega, 0, 8 * modes),
                (&self.stats, (self.dye_off * 4) as u64, 4 * modes),
            ],
        );
    }

    /// Starts the mappings of the copies just submitted (only those requested).
    pub fn readbacks_submitted(&mut self) {
        self.readbacks.submitted();
    }

    /// The history rows and the fields (ω̂ and the dye, f64) once their copies have landed;
    /// never blocks.
    #[allow(clippy::type_complexity)]
    pub fn try_take(
        &self,
        ctx: &GpuContext,
    ) -> Result<(Option<Vec<GpuStepRow>>, Option<(Vec<Complex64>, Vec<f64>)>), String> {
        let (history, fields) = self.readbacks.try_take(ctx).map_err(|e| e.to_string())?;
        let rows = history.map(|b| parse_history(bytemuck::cast_slice(&b)));
        let modes = self.n * self.n;
        let fields = fields.map(|b| {
            let v: &[f32] = bytemuck::cast_slice(&b);
            (
                v[..2 * modes]
                    .chunks_exact(2)
                    .map(|c| Complex64::new(f64::from(c[0]), f64::from(c[1])))
                    .collect(),
                v[2 * modes..].iter().map(|x| f64::from(*x)).collect(),
            )
        });
        Ok((rows, fields))
    }

    /// Whether a readback is on its way.
    pub fn reading_back(&self) -> bool {
        self.readbacks.in_flight()
    }

    /// Dispatches per time step.
    pub fn dispatches_per_step(&self) -> usize {
        self.step
            .iter()
            .map(|p| match p {
                Piece::Kernel(..) => 1,
                Piece::Transform(t) => self.transforms[*t].dispatches(),
            })
            .sum()
    }

    /// Steps recorded so far.
    pub fn steps_encoded(&self) -> u64 {
        self.steps_encoded
    }

    /// Records `steps` time steps into `encoder`.
    pub fn encode(&mut self, encoder: &mut wgpu::CommandEncoder, steps: usize) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("navier stokes spectral steps"),
            timestamp_writes: None,
        });
        for _ in 0..steps {
            for piece in &self.step {
                self.record(&mut pass, piece);
            }
        }
        self.steps_encoded += steps as u64;
    }

    /// Runs `steps` steps and waits (tests, benchmarks, the CLI).
    pub fn run_blocking(&mut self, ctx: &GpuContext, steps: usize) -> Result<(), String> {
        ctx.run_in_batches(steps, 16, |encoder, count| self.encode(encoder, count))
    }

    /// The vorticity spectrum ω̂ (f64 copy of the f32 state, the CPU's normalisation),
    /// blocking.
    pub fn omega_blocking(&self, ctx: &GpuContext) -> Result<Vec<Complex64>, String> {
        let bytes = ctx
            .read_blocking(&self.omega, 0, (8 * self.n * self.n) as u64)
            .map_err(|e| e.to_string())?;
        Ok(bytemuck::cast_slice::<u8, [f32; 2]>(&bytes)
            .iter()
            .map(|c| Complex64::new(f64::from(c[0]), f64::from(c[1])))
            .collect())
    }

    /// The dye on the cells (f64 copy), blocking.
    pub fn dye_blocking(&self, ctx: &GpuContext) -> Result<Vec<f64>, String> {
        let bytes = ctx
            .read_blocking(
                &self.stats,
                (self.dye_off * 4) as u64,
                (4 * self.n * self.n) as u64,
            )
            .map_err(|e| e.to_string())?;
        Ok(bytemuck::cast_slice::<u8, f32>(&bytes)
            .iter()
            .map(|x| f64::from(*x))
            .collect())
    }

    /// The history rows (at most the ring's capacity back), blocking.
    pub fn history_blocking(&self, ctx: &GpuContext) -> Result<Vec<GpuStepRow>, String> {
        let ring = STAT_HISTORY + HISTORY_WIDTH * HISTORY_CAPACITY;
        let bytes = ctx
            .read_blocking(&self.stats, 0, (ring * 4) as u64)
            .map_err(|e| e.to_string())?;
        Ok(parse_history(bytemuck::cast_slice(&bytes)))
    }
}

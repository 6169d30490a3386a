//! Batched complex FFT on the GPU (`shaders/fft_workgroup.wgsl`).
//!
//! N ≤ 2048: one dispatch, one row per workgroup, in workgroup memory (global memory read and
//! written once). Larger N = N1·N2 (N1, N2 ≤ 2048, so up to 4M points): the four-step
//! algorithm (Bailey 1990, "FFTs in external or hierarchical memory") in two dispatches:
//! length-N1 FFTs down the columns, then length-N2 FFTs along the rows with the twist
//! e^{−2πi·n2·k1/N} applied on load and the transpose done by the strided store, so each pass
//! reads and writes global memory once. Checked against a naive DFT and rustfft in
//! `tests/gpu_fft.rs`.

use bytemuck::{Pod, Zeroable};
use rustfft::num_complex::Complex32;

use super::{GpuContext, GpuError, entry, round_keeping_modulus, wgpu};

/// The largest N one workgroup transforms (16 KiB of workgroup memory in WebGPU).
pub const MAX_WORKGROUP_N: usize = 2048;

/// The largest N of the two-pass plan.
pub const MAX_N: usize = MAX_WORKGROUP_N * MAX_WORKGROUP_N;

/// Invocations per workgroup. Keep in sync with `fft_workgroup.wgsl` `WORKGROUP_SIZE`.
pub const WORKGROUP_SIZE: u32 = 256;

/// Uniform parameters. Keep in sync with `fft_workgroup.wgsl` `Params`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct FftParams {
    pub(crate) n: u32,
    pub(crate) log2n: u32,
    pub(crate) batch: u32,
    pub(crate) inverse: u32,
    pub(crate) in_row_stride: u32,
    pub(crate) in_elem_stride: u32,
    pub(crate) out_row_stride: u32,
    pub(crate) out_elem_stride: u32,
    pub(crate) twist_len: u32,
    pub(crate) in_batch_stride: u32,
    pub(crate) out_batch_stride: u32,
    pub(crate) pad0: u32,
}
const _: () = assert!(std::mem::size_of::<FftParams>() == 48);

/// Direction of a transform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// e^{−2πijk/N}.
    Forward,
    /// e^{+2πijk/N}, unnormalised (like rustfft).
    Inverse,
}

/// `e^{−2πik/len}` for k < count, in f64 rounded to f32 keeping the modulus, in a storage buffer.
fn exp_table(ctx: &GpuContext, len: usize, count: usize, label: &str) -> wgpu::Buffer {
    let data: Vec<[f32; 2]> = (0..count)
        .map(|k| {
            let angle = -std::f64::consts::TAU * k as f64 / len as f64;
            round_keeping_modulus(rustfft::num_complex::Complex64::from_polar(1.0, angle))
        })
        .collect();
    ctx.buffer_with(label, &data, wgpu::BufferUsages::STORAGE)
}

/// The pieces of the four-step plan.
struct FourStep {
    /// Column length N1 and row length N2, N = N1·N2.
    n1: usize,
    n2: usize,
    pipeline: wgpu::ComputePipeline,
    twiddles_n1: wgpu::Buffer,
    twiddles_n2: wgpu::Buffer,
    twist: wgpu::Buffer,
}

/// One prepared dispatch: pipeline, bind group (holding its uniform) and workgroup count.
#[derive(Clone, Debug)]
pub struct BoundDispatch {
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    workgroups: [u32; 3],
}

impl BoundDispatch {
    /// Records the dispatch into `pass`.
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        let [x, y, z] = self.workgroups;
        pass.dispatch_workgroups(x, y, z);
    }
}

/// A transform bound to its buffers, ready to be recorded any number of times.
#[derive(Clone, Debug)]
pub struct BoundFft {
    dispatches: Vec<BoundDispatch>,
}

impl BoundFft {
    /// Records the transform into a compute pass. wgpu orders consecutive dispatches of one
    /// pass (each is its own usage scope), so many transforms and kernels can share a pass.
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        for dispatch in &self.dispatches {
            dispatch.record(pass);
        }
    }

    /// Records the transform in its own compute pass.
    pub fn encode(&self, encoder: &mut wgpu::CommandEncoder) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("fft"),
            timestamp_writes: None,
        });
        self.record(&mut pass);
    }

    /// Dispatches per transform.
    pub fn dispatches(&self) -> usize {
        self.dispatches.len()
    }
}

/// A compiled batched FFT for one size N.
pub struct GpuFft {
    n: usize,
    rows_pipeline: wgpu::ComputePipeline,
    strided_pipeline: wgpu::ComputePipeline,
    twiddles: Option<wgpu::Buffer>,
    four_step: Option<FourStep>,
}

impl GpuFft {
    /// Compiles the FFT for size `n` (a power of two from 2 to [`MAX_N`]).
    pub fn new(ctx: &GpuContext, n: usize) -> Result<Self, String> {
        if !n.is_power_of_two() || !(2..=MAX_N).contains(&n) {
            return Err(format!(
                "GPU FFT size {n} must be a power of two from 2 to {MAX_N}"
            ));
        }
        let [rows_pipeline, strided_pipeline] =
            ctx.compute_pipelines("fft_workgroup.wgsl", ["fft_rows", "fft_strided"]);
        if n <= MAX_WORKGROUP_N {
            return Ok(Self {
                n,
                rows_pipeline,
                strided_pipeline,
                twiddles: Some(exp_table(ctx, n, n / 2, "fft twiddles")),
                four_step: None,
            });
        }
        // Balanced split: more workgroups per pass than N1 = 2048 would give.
        let log2 = n.trailing_zeros() as usize;
        let n1 = 1usize << log2.div_ceil(2);
        let n2 = n / n1;
        Ok(Self {
            n,
            rows_pipeline,
            strided_pipeline: strided_pipeline.clone(),
            twiddles: None,
            four_step: Some(FourStep {
                n1,
                n2,
                pipeline: strided_pipeline,
                twiddles_n1: exp_table(ctx, n1, n1 / 2, "fft twiddles N1"),
                twiddles_n2: exp_table(ctx, n2, n2 / 2, "fft twiddles N2"),
                twist: exp_table(ctx, n, n, "fft four-step twist"),
            }),
        })
    }

    /// The transform size.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Always false: a transform has at least two points.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Dispatches per transform (1 for N ≤ 2048, else 2).
    pub fn passes(&self) -> usize {
        if self.four_step.is_some() { 2 } else { 1 }
    }

    /// Prepares the transform of `batch` transforms of N points in `data` (in place):
    /// uniforms and bind groups are made once here, so recording it (every step of a
    /// simulation) allocates nothing. `scratch` must be as large as `data`; the two-pass
    /// plan uses it.
    pub fn bind(
        &self,
        ctx: &GpuContext,
        data: &wgpu::Buffer,
        scratch: &wgpu::Buffer,
        batch: u32,
        direction: Direction,
    ) -> BoundFft {
        let inverse = u32::from(direction == Direction::Inverse);
        let uniform = |params: &FftParams| {
            ctx.buffer_with(
                "fft params",
                std::slice::from_ref(params),
                wgpu::BufferUsages::UNIFORM,
            )
        };
        let Some(plan) = &self.four_step else {
            let params = FftParams {
                n: self.n as u32,
                log2n: self.n.trailing_zeros(),
                batch,
                inverse,
                ..FftParams::default()
            };
            let params_buffer = uniform(&params);
            let twiddles = self
                .twiddles
                .as_ref()
                .expect("single-pass plans have twiddles");
            let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("fft rows bind group"),
                layout: &self.rows_pipeline.get_bind_group_layout(0),
                entries: &[entry(0, &params_buffer), entry(1, data), entry(2, twiddles)],
            });
            return BoundFft {
                dispatches: vec![BoundDispatch {
                    pipeline: self.rows_pipeline.clone(),
                    bind_group,
                    workgroups: [batch, 1, 1],
                }],
            };
        };
        let (n, n1, n2) = (self.n as u32, plan.n1 as u32, plan.n2 as u32);
        // x[N2·n1 + n2]. Pass A: for each column n2, the length-N1 FFT over n1, kept in place
        // in the scratch layout Y[N2·k1 + n2].
        let pass_a = FftParams {
            n: n1,
            log2n: n1.trailing_zeros(),
            batch: n2,
            inverse,
            in_row_stride: 1,
            in_elem_stride: n2,
            out_row_stride: 1,
            out_elem_stride: n2,
            twist_len: 0,
            in_batch_stride: n,
            out_batch_stride: n,
            pad0: 0,
        };
        // Pass B: for each k1, the length-N2 FFT over n2 of Y·e^{∓2πi n2 k1/N}, stored
        // transposed at X[k1 + N1·k2].
        let pass_b = FftParams {
            n: n2,
            log2n: n2.trailing_zeros(),
            batch: n1,
            inverse,
            in_row_stride: n2,
            in_elem_stride: 1,
            out_row_stride: 1,
            out_elem_stride: n1,
            twist_len: n,
            in_batch_stride: n,
            out_batch_stride: n,
            pad0: 0,
        };
        let dispatches = [
            (
                pass_a,
                data,
                scratch,
                &plan.twiddles_n1,
                "fft four-step columns",
            ),
            (
                pass_b,
                scratch,
                data,
                &plan.twiddles_n2,
                "fft four-step rows",
            ),
        ]
        .into_iter()
        .map(|(params, src, dst, twiddles, label)| {
            let params_buffer = uniform(&params);
            let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(label),
                layout: &plan.pipeline.get_bind_group_layout(0),
                entries: &[
                    entry(0, &params_buffer),
                    entry(2, twiddles),
                    entry(3, src),
                    entry(4, dst),
                    entry(5, &plan.twist),
                ],
            });
            BoundDispatch {
                pipeline: plan.pipeline.clone(),
                bind_group,
                workgroups: [params.batch, batch, 1],
            }
        })
        .collect();
        BoundFft { dispatches }
    }

    /// Prepares and records one transform into `encoder` (tests and one-off transforms; a
    /// simulation keeps the [`BoundFft`] of [`GpuFft::bind`]).
    pub fn encode(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        data: &wgpu::Buffer,
        scratch: &wgpu::Buffer,
        batch: u32,
        direction: Direction,
    ) {
        self.bind(ctx, data, scratch, batch, direction)
            .encode(encoder);
    }

    /// Transforms `rows` (length a multiple of N) in place: upload, the dispatches, readback.
    /// For tests and the CLI; a simulation keeps its data on the GPU and calls [`GpuFft::encode`].
    pub fn transform_blocking(
        &self,
        ctx: &GpuContext,
        rows: &mut [Complex32],
        direction: Direction,
    ) -> Result<(), GpuError> {
        let batch = (rows.len() / self.n) as u32;
        let flat: Vec<[f32; 2]> = rows.iter().map(|z| [z.re, z.im]).collect();
        let bytes = (flat.len() * 8) as u64;
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        let data = ctx.buffer_with("fft data", &flat, usage);
        let scratch = ctx.buffer("fft scratch", bytes, usage);
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fft") });
        self.encode(ctx, &mut encoder, &data, &scratch, batch, direction);
        ctx.queue.submit([encoder.finish()]);
        let out = ctx.read_blocking(&data, 0, bytes)?;
        let values: &[[f32; 2]] = bytemuck::cast_slice(&out);
        for (z, v) in rows.iter_mut().zip(values) {
            *z = Complex32::new(v[0], v[1]);
        }
        Ok(())
    }
}

/// The 2D transform of an `nx × ny` grid of complex f32 (row-major, x fastest; nx, ny powers
/// of two up to [`MAX_WORKGROUP_N`]): the rows by [`GpuFft`] in place, the columns by the
/// strided kernel, gathering down a column and scattering back in the same layout. The
/// forward transform reads the grid and leaves the spectrum in a second buffer; the inverse
/// goes back. Two dispatches each way; the grid buffer is overwritten by the forward one.
pub struct GpuFft2 {
    rows: GpuFft,
    columns: GpuFft,
}

impl GpuFft2 {
    /// Compiles the transforms of an `nx × ny` grid.
    pub fn new(ctx: &GpuContext, nx: usize, ny: usize) -> Result<Self, String> {
        for n in [nx, ny] {
            if !n.is_power_of_two() || !(2..=MAX_WORKGROUP_N).contains(&n) {
                return Err(format!(
                    "the GPU's 2D FFT needs sides that are powers of two from 2 to {MAX_WORKGROUP_N}, not {nx} × {ny}"
                ));
            }
        }
        Ok(Self {
            rows: GpuFft::new(ctx, nx)?,
            columns: GpuFft::new(ctx, ny)?,
        })
    }

    /// The grid's sides (nx, ny).
    pub fn shape(&self) -> (usize, usize) {
        (self.rows.n, self.columns.n)
    }

    /// The column transforms of `src` into `dst` (same layout).
    fn columns(
        &self,
        ctx: &GpuContext,
        src: &wgpu::Buffer,
        dst: &wgpu::Buffer,
        direction: Direction,
    ) -> BoundDispatch {
        let (nx, ny) = self.shape();
        let (nx, ny) = (nx as u32, ny as u32);
        let params = FftParams {
            n: ny,
            log2n: ny.trailing_zeros(),
            batch: nx,
            inverse: u32::from(direction == Direction::Inverse),
            in_row_stride: 1,
            in_elem_stride: nx,
            out_row_stride: 1,
            out_elem_stride: nx,
            twist_len: 0,
            in_batch_stride: nx * ny,
            out_batch_stride: nx * ny,
            pad0: 0,
        };
        let params_buffer = ctx.buffer_with(
            "fft2 column params",
            std::slice::from_ref(&params),
            wgpu::BufferUsages::UNIFORM,
        );
        let twiddles = self
            .columns
            .twiddles
            .as_ref()
            .expect("single-pass plans have twiddles");
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("fft2 columns"),
            layout: &self.columns.strided_pipeline.get_bind_group_layout(0),
            entries: &[
                entry(0, &params_buffer),
                entry(2, twiddles),
                entry(3, src),
                entry(4, dst),
                // No twist (twist_len 0): any buffer fills the slot.
                entry(5, twiddles),
            ],
        });
        BoundDispatch {
            pipeline: self.columns.strided_pipeline.clone(),
            bind_group,
            workgroups: [nx, 1, 1],
        }
    }

    /// Prepares the forward transform: `grid` (overwritten) → `spectrum`. Both hold nx·ny
    /// complex values.
    pub fn bind_forward(
        &self,
        ctx: &GpuContext,
        grid: &wgpu::Buffer,
        spectrum: &wgpu::Buffer,
    ) -> BoundFft {
        let ny = self.columns.n as u32;
        let mut rows = self.rows.bind(ctx, grid, spectrum, ny, Direction::Forward);
        rows.dispatches
            .push(self.columns(ctx, grid, spectrum, Direction::Forward));
        rows
    }

    /// Prepares the inverse transform (unnormalised, like rustfft): `spectrum` (kept) →
    /// `grid`.
    pub fn bind_inverse(
        &self,
        ctx: &GpuContext,
        spectrum: &wgpu::Buffer,
        grid: &wgpu::Buffer,
    ) -> BoundFft {
        let ny = self.columns.n as u32;
        let rows = self.rows.bind(ctx, grid, spectrum, ny, Direction::Inverse);
        let mut dispatches = vec![self.columns(ctx, spectrum, grid, Direction::Inverse)];
        dispatches.extend(rows.dispatches);
        BoundFft { dispatches }
    }
}

//! Batched complex FFT on the GPU (`shaders/fft_workgroup.wgsl`): one row per workgroup,
//! in workgroup memory, for N = 2 … 2048. Checked against a naive DFT and rustfft in
//! `tests/gpu_fft.rs`.

use bytemuck::{Pod, Zeroable};
use rustfft::num_complex::Complex32;

use super::{GpuContext, GpuError, wgpu};

/// The largest N one workgroup transforms (16 KiB of workgroup memory in WebGPU).
pub const MAX_WORKGROUP_N: usize = 2048;

/// Invocations per workgroup. Keep in sync with `fft_workgroup.wgsl` `WORKGROUP_SIZE`.
pub const WORKGROUP_SIZE: u32 = 256;

/// Uniform parameters. Keep in sync with `fft_workgroup.wgsl` `Params`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct FftParams {
    n: u32,
    log2n: u32,
    batch: u32,
    inverse: u32,
}
const _: () = assert!(std::mem::size_of::<FftParams>() == 16);

/// A compiled batched FFT for one size N.
pub struct GpuFft {
    n: usize,
    pipeline: wgpu::ComputePipeline,
    twiddles: wgpu::Buffer,
}

/// Direction of a transform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// e^{−2πijk/N}.
    Forward,
    /// e^{+2πijk/N}, unnormalised (like rustfft).
    Inverse,
}

impl GpuFft {
    /// Compiles the FFT for size `n` (a power of two ≤ [`MAX_WORKGROUP_N`]).
    pub fn new(ctx: &GpuContext, n: usize) -> Result<Self, String> {
        if !n.is_power_of_two() || !(2..=MAX_WORKGROUP_N).contains(&n) {
            return Err(format!(
                "GPU FFT size {n} must be a power of two from 2 to {MAX_WORKGROUP_N}"
            ));
        }
        let module = ctx
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("fft_workgroup.wgsl"),
                source: wgpu::ShaderSource::Wgsl(
                    include_str!("../../shaders/fft_workgroup.wgsl").into(),
                ),
            });
        let pipeline = ctx
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some("fft_rows"),
                layout: None,
                module: &module,
                entry_point: Some("fft_rows"),
                compilation_options: Default::default(),
                cache: None,
            });
        // e^{−2πik/N} in f64, rounded once to f32.
        let twiddle_data: Vec<[f32; 2]> = (0..n / 2)
            .map(|k| {
                let angle = -std::f64::consts::TAU * k as f64 / n as f64;
                [angle.cos() as f32, angle.sin() as f32]
            })
            .collect();
        let twiddles = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("fft twiddles"),
            size: (twiddle_data.len().max(1) * 8) as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        ctx.queue
            .write_buffer(&twiddles, 0, bytemuck::cast_slice(&twiddle_data));
        Ok(Self {
            n,
            pipeline,
            twiddles,
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

    /// Records the transform of `batch` rows of `data` (in place) into `encoder`.
    pub fn encode(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        data: &wgpu::Buffer,
        batch: u32,
        direction: Direction,
    ) {
        let params = FftParams {
            n: self.n as u32,
            log2n: self.n.trailing_zeros(),
            batch,
            inverse: u32::from(direction == Direction::Inverse),
        };
        let uniform = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("fft params"),
            size: std::mem::size_of::<FftParams>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        ctx.queue
            .write_buffer(&uniform, 0, bytemuck::bytes_of(&params));
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("fft bind group"),
            layout: &self.pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: uniform.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: data.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: self.twiddles.as_entire_binding(),
                },
            ],
        });
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("fft rows"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(batch, 1, 1);
    }

    /// Transforms `rows` (length a multiple of N) in place: upload, one dispatch, readback.
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
        let data = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("fft data"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_DST
                | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        ctx.queue
            .write_buffer(&data, 0, bytemuck::cast_slice(&flat));
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("fft readback"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fft") });
        self.encode(ctx, &mut encoder, &data, batch, direction);
        encoder.copy_buffer_to_buffer(&data, 0, &staging, 0, bytes);
        ctx.queue.submit([encoder.finish()]);
        let (sender, receiver) = std::sync::mpsc::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = sender.send(r);
        });
        ctx.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        receiver
            .recv()
            .map_err(|e| GpuError::Readback(e.to_string()))?
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        {
            let view = staging
                .slice(..)
                .get_mapped_range()
                .map_err(|e| GpuError::Readback(e.to_string()))?;
            let out: &[[f32; 2]] = bytemuck::cast_slice(&view);
            for (z, v) in rows.iter_mut().zip(out) {
                *z = Complex32::new(v[0], v[1]);
            }
        }
        staging.unmap();
        Ok(())
    }
}

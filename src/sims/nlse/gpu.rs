//! The NLSE on the GPU in f32 (WGSL), sharing the scenario, parameters and grid of the f64
//! CPU reference. This first slice runs the Strang split-step method entirely on the GPU:
//! many steps are encoded into one submission with no CPU round trip, and the state is read
//! back only on request. Checked against the f64 CPU path in `tests/gpu_nlse.rs`.

use bytemuck::{Pod, Zeroable};
use rustfft::num_complex::Complex64;

use super::NlseParams;
use super::cpu::{Grid, setup};
use crate::core::ip::SemilinearSystem;
use crate::gpu::fft::{Direction, GpuFft};
use crate::gpu::{GpuContext, GpuError, round_keeping_modulus, wgpu};

/// Uniform parameters. Keep in sync with `nlse_split.wgsl` `Params`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
struct SplitParams {
    len: u32,
    pad0: u32,
    gamma_h: f32,
    scale: f32,
}
const _: () = assert!(std::mem::size_of::<SplitParams>() == 16);

/// Invocations per workgroup. Keep in sync with `nlse_split.wgsl` `WORKGROUP_SIZE`.
pub const WORKGROUP_SIZE: u32 = 256;

/// The GPU buffers of one step size h.
struct StepBuffers {
    h: f64,
    half: wgpu::BindGroup,
    full: wgpu::BindGroup,
    phase: wgpu::BindGroup,
}

/// The NLSE on the GPU (f32): Strang split-step Fourier.
pub struct NlseGpu {
    params: NlseParams,
    grid: Grid,
    symbol: Vec<Complex64>,
    fft: GpuFft,
    field: wgpu::Buffer,
    scratch: wgpu::Buffer,
    propagator: wgpu::ComputePipeline,
    phase: wgpu::ComputePipeline,
    step_buffers: Option<StepBuffers>,
    t: f64,
    steps: u64,
}

impl NlseGpu {
    /// Uploads the scenario's initial state (computed in f64, rounded once to f32).
    pub fn new(ctx: &GpuContext, params: NlseParams) -> Result<Self, String> {
        let (grid, system, psi_hat) = setup(&params)?;
        let fft = GpuFft::new(ctx, grid.n)?;
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        let field = ctx.buffer_with("nlse field ψ̂", &to_f32(&psi_hat), usage);
        let scratch = ctx.buffer("nlse fft scratch", (grid.n * 8) as u64, usage);
        let [propagator, phase] = ctx.compute_pipelines(
            "nlse_split.wgsl",
            include_str!("../../../shaders/nlse_split.wgsl"),
            ["apply_propagator", "nonlinear_phase"],
        );
        Ok(Self {
            symbol: system.linear_symbol().to_vec(),
            propagator,
            phase,
            params,
            grid,
            fft,
            field,
            scratch,
            step_buffers: None,
            t: 0.0,
            steps: 0,
        })
    }

    /// The grid (shared with the CPU path).
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// Simulation time.
    pub fn time(&self) -> f64 {
        self.t
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The bind groups of step size `h` (tables computed in f64, rounded to f32).
    fn buffers_for(&mut self, ctx: &GpuContext, h: f64) -> &StepBuffers {
        if self.step_buffers.as_ref().is_none_or(|b| b.h != h) {
            let n = self.grid.n as u32;
            let table = |s: f64, label| {
                let data: Vec<[f32; 2]> = self
                    .symbol
                    .iter()
                    .map(|l| round_keeping_modulus((l * s).exp()))
                    .collect();
                ctx.buffer_with(label, &data, wgpu::BufferUsages::STORAGE)
            };
            let uniform = |params: SplitParams| {
                ctx.buffer_with("nlse split params", &[params], wgpu::BufferUsages::UNIFORM)
            };
            let len_only = uniform(SplitParams {
                len: n,
                ..SplitParams::default()
            });
            let phase_params = uniform(SplitParams {
                len: n,
                pad0: 0,
                gamma_h: (self.params.gamma * h) as f32,
                // Folds the forward transform's 1/N in (a power of two: exact in f32).
                scale: 1.0 / n as f32,
            });
            let half_table = table(0.5 * h, "nlse e^{Lh/2}");
            let full_table = table(h, "nlse e^{Lh}");
            let bind = |pipeline: &wgpu::ComputePipeline,
                        uniform: &wgpu::Buffer,
                        table: Option<&wgpu::Buffer>| {
                let mut entries = vec![
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: uniform.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: self.field.as_entire_binding(),
                    },
                ];
                if let Some(t) = table {
                    entries.push(wgpu::BindGroupEntry {
                        binding: 2,
                        resource: t.as_entire_binding(),
                    });
                }
                ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("nlse split bind group"),
                    layout: &pipeline.get_bind_group_layout(0),
                    entries: &entries,
                })
            };
            self.step_buffers = Some(StepBuffers {
                h,
                half: bind(&self.propagator, &len_only, Some(&half_table)),
                full: bind(&self.propagator, &len_only, Some(&full_table)),
                phase: bind(&self.phase, &phase_params, None),
            });
        }
        self.step_buffers.as_ref().expect("filled above")
    }

    /// Encodes and submits `count` Strang steps of size `params.dt` in one submission, with
    /// the half steps between consecutive steps fused into one full propagator:
    /// e^{Lh/2} N e^{Lh} N … N e^{Lh/2}. No readback.
    pub fn step_strang(&mut self, ctx: &GpuContext, count: u32) {
        if count == 0 {
            return;
        }
        let h = self.params.dt;
        let groups = (self.grid.n as u32).div_ceil(WORKGROUP_SIZE);
        self.buffers_for(ctx, h);
        let buffers = self.step_buffers.as_ref().expect("filled above");
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("nlse strang steps"),
            });
        let dispatch = |encoder: &mut wgpu::CommandEncoder,
                        pipeline: &wgpu::ComputePipeline,
                        group: &wgpu::BindGroup| {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("nlse split"),
                timestamp_writes: None,
            });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(groups, 1, 1);
        };
        dispatch(&mut encoder, &self.propagator, &buffers.half);
        for step in 0..count {
            self.fft.encode(
                ctx,
                &mut encoder,
                &self.field,
                &self.scratch,
                1,
                Direction::Inverse,
            );
            dispatch(&mut encoder, &self.phase, &buffers.phase);
            self.fft.encode(
                ctx,
                &mut encoder,
                &self.field,
                &self.scratch,
                1,
                Direction::Forward,
            );
            let last = step + 1 == count;
            dispatch(
                &mut encoder,
                &self.propagator,
                if last { &buffers.half } else { &buffers.full },
            );
        }
        ctx.queue.submit([encoder.finish()]);
        self.steps += u64::from(count);
        self.t = self.steps as f64 * h;
    }

    /// Reads ψ̂ back (blocking; tests and checkpoints, not the frame loop).
    pub fn read_spectrum(&self, ctx: &GpuContext) -> Result<Vec<Complex64>, GpuError> {
        let bytes = ctx.read_blocking(&self.field, 0, (self.grid.n * 8) as u64)?;
        let values: &[[f32; 2]] = bytemuck::cast_slice(&bytes);
        let out = values
            .iter()
            .map(|v| Complex64::new(f64::from(v[0]), f64::from(v[1])))
            .collect();
        Ok(out)
    }
}

/// Rounds complex f64 values to interleaved f32.
fn to_f32(values: &[Complex64]) -> Vec<[f32; 2]> {
    values.iter().map(|z| [z.re as f32, z.im as f32]).collect()
}

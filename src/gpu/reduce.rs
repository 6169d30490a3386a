//! Parallel reductions of a complex field (`shaders/reduce.wgsl`): Σ|z|², max|z|², Σz, with
//! the result left in a GPU buffer (so a later kernel, e.g. an adaptive controller, can read
//! it without a CPU round trip). Checked against f64 sums in `tests/gpu_reduce.rs`.

use bytemuck::{Pod, Zeroable};
use rustfft::num_complex::Complex32;

use super::{GpuContext, GpuError, wgpu};

/// Invocations per workgroup. Keep in sync with `reduce.wgsl` `WORKGROUP_SIZE`.
pub const WORKGROUP_SIZE: u32 = 256;
/// Elements folded per invocation. Keep in sync with `reduce.wgsl` `ITEMS`.
pub const ITEMS: u32 = 4;
/// Elements one workgroup reduces.
const PER_GROUP: u32 = WORKGROUP_SIZE * ITEMS;

/// Uniform parameters. Keep in sync with `reduce.wgsl` `Params`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct ReduceParams {
    pub(crate) len: u32,
    pub(crate) pad: [u32; 3],
}
const _: () = assert!(std::mem::size_of::<ReduceParams>() == 16);

/// The reduced quantities of a complex field.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FieldNorms {
    /// Σ|z|².
    pub sum_abs2: f32,
    /// max |z|².
    pub max_abs2: f32,
    /// Σ z.
    pub sum: Complex32,
}

impl FieldNorms {
    fn from_vec4(v: [f32; 4]) -> Self {
        Self {
            sum_abs2: v[0],
            max_abs2: v[1],
            sum: Complex32::new(v[2], v[3]),
        }
    }
}

/// Compiled reduction pipelines and the partial buffers for fields of up to `max_len`.
pub struct GpuReduce {
    field: wgpu::ComputePipeline,
    partials: wgpu::ComputePipeline,
    ping: wgpu::Buffer,
    pong: wgpu::Buffer,
}

/// What a reduction pass reads.
enum PassInput<'a> {
    /// The complex field itself.
    Field(&'a wgpu::Buffer),
    /// Partials of an earlier pass.
    Partials(&'a wgpu::Buffer),
}

impl GpuReduce {
    /// Compiles the reductions for fields of up to `max_len` complex values.
    pub fn new(ctx: &GpuContext, max_len: usize) -> Self {
        let [field, partials] =
            ctx.compute_pipelines("reduce.wgsl", ["reduce_field", "reduce_partials"]);
        let groups = (max_len as u32).div_ceil(PER_GROUP).max(1) as u64;
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        Self {
            field,
            partials,
            ping: ctx.buffer("reduce partials ping", groups * 16, usage),
            pong: ctx.buffer("reduce partials pong", groups * 16, usage),
        }
    }

    /// One reduction pass of `len` inputs into one partial per workgroup; returns the number
    /// of partials written.
    fn pass(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        input: PassInput<'_>,
        len: u32,
        partials_out: &wgpu::Buffer,
    ) -> u32 {
        let params = ReduceParams { len, pad: [0; 3] };
        let uniform = ctx.buffer_with("reduce params", &[params], wgpu::BufferUsages::UNIFORM);
        // Auto layouts hold only the bindings an entry point uses.
        let (pipeline, input_entry) = match input {
            PassInput::Field(values) => (
                &self.field,
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: values.as_entire_binding(),
                },
            ),
            PassInput::Partials(partials) => (
                &self.partials,
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: partials.as_entire_binding(),
                },
            ),
        };
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("reduce bind group"),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: uniform.as_entire_binding(),
                },
                input_entry,
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: partials_out.as_entire_binding(),
                },
            ],
        });
        let groups = len.div_ceil(PER_GROUP).max(1);
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("reduce"),
            timestamp_writes: None,
        });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(groups, 1, 1);
        groups
    }

    /// Records the reduction of the first `len` values of `values`; returns the buffer whose
    /// first vec4 holds (Σ|z|², max|z|², Σ Re z, Σ Im z) once the commands have run.
    pub fn encode<'a>(
        &'a self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        values: &wgpu::Buffer,
        len: u32,
    ) -> &'a wgpu::Buffer {
        let mut remaining = self.pass(ctx, encoder, PassInput::Field(values), len, &self.ping);
        let (mut from, mut to) = (&self.ping, &self.pong);
        while remaining > 1 {
            remaining = self.pass(ctx, encoder, PassInput::Partials(from), remaining, to);
            std::mem::swap(&mut from, &mut to);
        }
        from
    }

    /// Uploads `values`, reduces them and reads the result back (tests and the CLI).
    pub fn reduce_blocking(
        &self,
        ctx: &GpuContext,
        values: &[Complex32],
    ) -> Result<FieldNorms, GpuError> {
        let flat: Vec<[f32; 2]> = values.iter().map(|z| [z.re, z.im]).collect();
        let data = ctx.buffer_with("reduce input", &flat, wgpu::BufferUsages::STORAGE);
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("reduce"),
            });
        let result = self.encode(ctx, &mut encoder, &data, values.len() as u32);
        ctx.queue.submit([encoder.finish()]);
        let bytes = ctx.read_blocking(result, 0, 16)?;
        let v: &[[f32; 4]] = bytemuck::cast_slice(&bytes);
        let norms = FieldNorms::from_vec4(v[0]);
        Ok(norms)
    }
}

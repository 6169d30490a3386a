//! The chaos-map ensemble on the GPU (`shaders/nbody_ensemble.wgsl`): one invocation per
//! member in f32, time-sliced so each submission is short and the map fills in while the UI
//! keeps drawing. Results come back through one asynchronous readback per submission.

use bytemuck::{Pod, Zeroable};

use super::Body;
use super::ensemble::{
    DELTA0, EnsembleParams, EnsemblePlane, MAX_MEMBER_STEPS, MemberResult, RENORMALISE_AT,
};
use crate::gpu::readback::Readback;
use crate::gpu::{GpuContext, GpuError, buffer_layout_entry, entry, storage, wgpu};

const WORKGROUP: u32 = 64;

/// Mirror of the WGSL `Params` uniform.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct EnsembleUniform {
    pub(crate) n_bodies: u32,
    pub(crate) resolution: u32,
    pub(crate) steps_per_dispatch: u32,
    pub(crate) max_steps: u32,
    pub(crate) body: u32,
    pub(crate) plane: u32,
    pub(crate) pad0: u32,
    pub(crate) pad1: u32,
    pub(crate) t_end: f32,
    pub(crate) eta: f32,
    pub(crate) escape_radius: f32,
    pub(crate) softening2: f32,
    pub(crate) span: f32,
    pub(crate) delta0: f32,
    pub(crate) renormalise_at: f32,
    pub(crate) pad2: f32,
}
const _: () = assert!(std::mem::size_of::<EnsembleUniform>() == 64);

/// Mirror of the WGSL `Info` struct.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct MemberInfo {
    pub(crate) t: f32,
    pub(crate) escape_time: f32,
    pub(crate) log_growth: f32,
    pub(crate) energy0: f32,
    pub(crate) steps: u32,
    pub(crate) done: u32,
    pub(crate) energy_error: f32,
    pub(crate) lyapunov: f32,
}
const _: () = assert!(std::mem::size_of::<MemberInfo>() == 32);

impl MemberInfo {
    fn result(&self) -> MemberResult {
        MemberResult {
            escape_time: f64::from(self.escape_time),
            energy_error: f64::from(self.energy_error),
            lyapunov: f64::from(self.lyapunov),
            steps: self.steps,
        }
    }
}

/// A chaos-map ensemble running on the GPU.
pub struct GpuEnsemble {
    params: EnsembleParams,
    n_bodies: usize,
    members: u32,
    steps_per_dispatch: u32,
    uniform: wgpu::Buffer,
    state: wgpu::Buffer,
    info: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    advance: wgpu::ComputePipeline,
    readback: Readback,
    infos: Vec<MemberInfo>,
    dispatches: u64,
}

impl GpuEnsemble {
    /// Sets up the ensemble around `base` (centre-of-mass frame) and records the kernel that
    /// builds every member's initial conditions. `steps_per_dispatch` bounds the work of one
    /// dispatch.
    pub fn new(
        ctx: &GpuContext,
        base: &[Body],
        p: &EnsembleParams,
        softening: f64,
        steps_per_dispatch: u32,
    ) -> Result<Self, String> {
        p.validate(base.len())?;
        let n = base.len();
        let members = p.resolution * p.resolution;
        let state_bytes = u64::from(members) * 4 * n as u64 * 16;
        let limit = ctx.device.limits().max_storage_buffer_binding_size;
        if state_bytes > limit {
            return Err(format!(
                "a {0}×{0} map of {n} bodies needs {1} MB of GPU memory, above this device's \
                 {2} MB per buffer: lower the resolution",
                p.resolution,
                state_bytes >> 20,
                limit >> 20
            ));
        }
        let uniform = EnsembleUniform {
            n_bodies: n as u32,
            resolution: p.resolution,
            steps_per_dispatch: steps_per_dispatch.max(1),
            max_steps: MAX_MEMBER_STEPS,
            body: p.body as u32,
            plane: match p.plane {
                EnsemblePlane::Position => 0,
                EnsemblePlane::Velocity => 1,
            },
            pad0: 0,
            pad1: 0,
            t_end: p.t_end as f32,
            eta: p.eta as f32,
            escape_radius: p.escape_radius as f32,
            softening2: (softening * softening) as f32,
            span: p.span as f32,
            delta0: DELTA0 as f32,
            renormalise_at: RENORMALISE_AT as f32,
            pad2: 0.0,
        };
        let base_data: Vec<[f32; 4]> = base
            .iter()
            .flat_map(|b| {
                [
                    [b.x[0] as f32, b.x[1] as f32, b.x[2] as f32, b.mass as f32],
                    [b.v[0] as f32, b.v[1] as f32, b.v[2] as f32, 0.0],
                ]
            })
            .collect();
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        let uniform_buffer =
            ctx.buffer_with("ensemble params", &[uniform], wgpu::BufferUsages::UNIFORM);
        let base_buffer = ctx.buffer_with("ensemble base", &base_data, wgpu::BufferUsages::STORAGE);
        let state = ctx.buffer("ensemble state", state_bytes, usage);
        let info_bytes = u64::from(members) * std::mem::size_of::<MemberInfo>() as u64;
        let info = ctx.buffer("ensemble info", info_bytes, usage);
        let layout = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("ensemble"),
                entries: &[
                    buffer_layout_entry(0, wgpu::BufferBindingType::Uniform),
                    buffer_layout_entry(1, storage(true)),
                    buffer_layout_entry(2, storage(false)),
                    buffer_layout_entry(3, storage(false)),
                ],
            });
        let pipeline_layout = ctx
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("ensemble"),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let [init, advance] = ctx.compute_pipelines_with_layout(
            "nbody_ensemble.wgsl",
            Some(&pipeline_layout),
            ["init", "advance"],
        );
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("ensemble"),
            layout: &layout,
            entries: &[
                entry(0, &uniform_buffer),
                entry(1, &base_buffer),
                entry(2, &state),
                entry(3, &info),
            ],
        });
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("ensemble init"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("ensemble init"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&init);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(members.div_ceil(WORKGROUP), 1, 1);
        }
        ctx.queue.submit([encoder.finish()]);
        Ok(Self {
            params: p.clone(),
            n_bodies: n,
            members,
            steps_per_dispatch: uniform.steps_per_dispatch,
            readback: Readback::new(ctx, info_bytes, "ensemble info readback"),
            infos: vec![MemberInfo::default(); members as usize],
            uniform: uniform_buffer,
            state,
            info,
            bind_group,
            advance,
            dispatches: 0,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &EnsembleParams {
        &self.params
    }

    /// Sets the steps each member takes per dispatch from the next submission on (more when
    /// few members are still running: their invocations alone bound a dispatch's time).
    pub fn set_steps_per_dispatch(&mut self, ctx: &GpuContext, steps: u32) {
        let steps = steps.max(1);
        if steps != self.steps_per_dispatch {
            self.steps_per_dispatch = steps;
            let offset = std::mem::offset_of!(EnsembleUniform, steps_per_dispatch) as u64;
            ctx.queue
                .write_buffer(&self.uniform, offset, bytemuck::bytes_of(&steps));
        }
    }

    /// Records and submits `dispatches` advance dispatches (each up to `steps_per_dispatch`
    /// steps per member) and asks for the results unless a readback is still in flight.
    pub fn submit(&mut self, ctx: &GpuContext, dispatches: u32) {
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("ensemble advance"),
            });
        for _ in 0..dispatches {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("ensemble advance"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.advance);
            pass.set_bind_group(0, &self.bind_group, &[]);
            pass.dispatch_workgroups(self.members.div_ceil(WORKGROUP), 1, 1);
        }
        self.dispatches += u64::from(dispatches);
        let requested = self.readback.request(&mut encoder, &self.info, 0);
        ctx.queue.submit([encoder.finish()]);
        if requested {
            self.readback.submitted();
        }
    }

    /// Takes the latest results if their readback has landed (never blocks); returns whether
    /// new results arrived.
    pub fn poll(&mut self, ctx: &GpuContext) -> Result<bool, GpuError> {
        match self.readback.try_take(ctx)? {
            Some(bytes) => {
                self.infos = bytemuck::cast_slice(&bytes).to_vec();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The steps per dispatch that keep a dispatch's duration about constant as members
    /// finish: `base` times the inverse fraction still running, at most 64·`base`.
    pub fn adaptive_steps(&self, base: u32) -> u32 {
        let running = (self.members as usize - self.finished()).max(1);
        let factor = (self.members as usize / running).clamp(1, 64) as u32;
        base * factor
    }

    /// Runs to completion, blocking (tests, the benchmark and the CLI).
    pub fn run_blocking(&mut self, ctx: &GpuContext) -> Result<Vec<MemberResult>, GpuError> {
        let base = self.steps_per_dispatch;
        while !self.is_complete() {
            let steps = self.adaptive_steps(base);
            self.set_steps_per_dispatch(ctx, steps);
            self.submit(ctx, 16);
            if let Some(bytes) = self.readback.wait(ctx)? {
                self.infos = bytemuck::cast_slice(&bytes).to_vec();
            }
        }
        Ok(self.results())
    }

    /// Members finished in the latest results.
    pub fn finished(&self) -> usize {
        self.infos.iter().filter(|i| i.done != 0).count()
    }

    /// The share of the map's work done, as of the latest results: the mean over members of
    /// the time reached over `t_end` (a finished member counts whole). Members advance
    /// together, so this moves from the first readback on, where the count of finished
    /// members stays 0 until the end.
    pub fn time_progress(&self, t_end: f64) -> f64 {
        if self.infos.is_empty() || t_end <= 0.0 {
            return 0.0;
        }
        let sum: f64 = self
            .infos
            .iter()
            .map(|i| {
                if i.done != 0 {
                    1.0
                } else {
                    (f64::from(i.t) / t_end).clamp(0.0, 1.0)
                }
            })
            .sum();
        sum / self.infos.len() as f64
    }

    /// Whether every member has finished.
    pub fn is_complete(&self) -> bool {
        self.finished() == self.members as usize
    }

    /// The latest results, row-major from the top-left pixel.
    pub fn results(&self) -> Vec<MemberResult> {
        self.infos.iter().map(MemberInfo::result).collect()
    }

    /// Whether member `m` has finished.
    pub fn member_done(&self, m: usize) -> bool {
        self.infos.get(m).is_some_and(|i| i.done != 0)
    }

    /// Advance dispatches recorded so far.
    pub fn dispatches(&self) -> u64 {
        self.dispatches
    }

    /// The steps per member per dispatch.
    pub fn steps_per_dispatch(&self) -> u32 {
        self.steps_per_dispatch
    }

    /// Final positions of every member (blocking; for tests).
    pub fn positions_blocking(&self, ctx: &GpuContext) -> Result<Vec<Vec<[f32; 3]>>, GpuError> {
        let bytes = ctx.read_blocking(&self.state, 0, self.state.size())?;
        let all: &[[f32; 4]] = bytemuck::cast_slice(&bytes);
        let n = self.n_bodies;
        Ok(all
            .chunks(4 * n)
            .map(|member| member[..n].iter().map(|p| [p[0], p[1], p[2]]).collect())
            .collect())
    }
}

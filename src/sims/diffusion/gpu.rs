//! The GPU path of the fixed-grid samplers (`shaders/diffusion_sampler.wgsl`): the very
//! program the CPU runs ([`super::program`]), executed in f32. Each operation is one dispatch
//! whose parameters sit in a 256-byte slot of one uniform buffer, selected by a dynamic
//! offset, so a whole run is encoded without any CPU work between steps.

use bytemuck::{Pod, Zeroable};

use super::DiffusionParams;
use super::cpu::noise_seed;
use super::mixture::GaussianMixture;
use super::program::{self, Op, Program, noise_stream};
use super::run::DiffusionRun;
use crate::gpu::pacing::SubmissionPacer;
use crate::gpu::readback::Readback;
use crate::gpu::{GpuContext, storage, wgpu};

/// Workgroup size of `denoise` (one invocation per particle).
pub const DENOISE_WORKGROUP: u32 = 64;
/// Workgroup size of `combine` (one invocation per element).
pub const COMBINE_WORKGROUP: u32 = 256;
/// Most terms of one combination (the WGSL `MAX_TERMS`).
pub const MAX_TERMS: usize = 8;
/// Largest data dimension the kernel holds in registers (the WGSL `MAX_DIM`).
pub const MAX_DIM: usize = 64;
/// Bytes per operation slot (WebGPU's minimum uniform offset alignment is at most 256).
const SLOT: u64 = 256;

/// Mirror of the WGSL `Op` uniform. Keep in sync with `diffusion_sampler.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct OpUniform {
    pub(crate) count: u32,
    pub(crate) dim: u32,
    pub(crate) components: u32,
    pub(crate) input: u32,
    pub(crate) output: u32,
    pub(crate) terms: u32,
    pub(crate) seed: u32,
    pub(crate) stream: u32,
    pub(crate) alpha: f32,
    pub(crate) sigma2: f32,
    pub(crate) noise: f32,
    pub(crate) pad0: f32,
    pub(crate) coefficients: [f32; MAX_TERMS],
    pub(crate) offsets: [u32; MAX_TERMS],
}
const _: () = assert!(std::mem::size_of::<OpUniform>() == 112);

/// One recorded dispatch.
#[derive(Clone, Copy, Debug)]
struct Dispatch {
    denoise: bool,
    slot: u32,
    workgroups: (u32, u32),
}

/// A sampler program on the GPU with its particle registers.
pub struct GpuSampler {
    program: Program,
    particles: usize,
    dim: usize,
    registers: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    denoise: wgpu::ComputePipeline,
    combine: wgpu::ComputePipeline,
    /// Dispatches of each step.
    steps: Vec<Vec<Dispatch>>,
    next_step: usize,
}

/// Workgroups for `count` invocations: x up to 65535, the rest in y.
fn workgroups(count: usize, size: u32) -> (u32, u32) {
    let groups = (count as u32).div_ceil(size).max(1);
    if groups <= 65_535 {
        (groups, 1)
    } else {
        (65_535, groups.div_ceil(65_535))
    }
}

impl GpuSampler {
    /// Compiles the sampler of `params`, uploads the target and the initial particles.
    pub fn new(
        ctx: &GpuContext,
        params: &DiffusionParams,
        mixture: &GaussianMixture,
        initial: &[f64],
    ) -> Result<Self, String> {
        params.validate()?;
        let program = program::compile(params)?;
        let dim = mixture.dim;
        if dim > MAX_DIM {
            return Err(format!(
                "the GPU sampler handles up to {MAX_DIM} dimensions, got {dim}"
            ));
        }
        let particles = initial.len() / dim;
        let len = particles * dim;
        let register_bytes = (program.registers * len * 4) as u64;
        let limit = ctx.device.limits().max_storage_buffer_binding_size;
        if register_bytes > limit {
            return Err(format!(
                "{} sampler registers of {particles} particles × {dim} dimensions need {} MB on the GPU, above this device's {} MB per buffer: use fewer particles",
                program.registers,
                register_bytes >> 20,
                limit >> 20
            ));
        }
        let process = params.process.process();
        let seed = noise_seed(params);
        let mut slots: Vec<OpUniform> = Vec::new();
        let mut steps = Vec::with_capacity(program.steps.len());
        for (i, step) in program.steps.iter().enumerate() {
            let mut dispatches = Vec::with_capacity(step.ops.len());
            for op in &step.ops {
                let mut u = OpUniform {
                    dim: dim as u32,
                    components: mixture.components() as u32,
                    seed,
                    ..OpUniform::default()
                };
                let denoise = match op {
                    Op::Denoise { input, t, output } => {
                        u.count = particles as u32;
                        u.input = (input * len) as u32;
                        u.output = (output * len) as u32;
                        u.alpha = process.alpha(*t) as f32;
                        u.sigma2 = process.sigma2(*t) as f32;
                        true
                    }
                    Op::Combine {
                        output,
                        terms,
                        noise,
                        draw,
                    } => {
                        if terms.len() > MAX_TERMS {
                            return Err(format!(
                                "a combination of {} terms exceeds the kernel's {MAX_TERMS}",
                                terms.len()
                            ));
                        }
                        u.count = len as u32;
                        u.output = (output * len) as u32;
                        u.terms = terms.len() as u32;
                        for (j, (c, r)) in terms.iter().enumerate() {
                            u.coefficients[j] = *c as f32;
                            u.offsets[j] = (r * len) as u32;
                        }
                        u.noise = *noise as f32;
                        u.stream = noise_stream(i, *draw);
                        false
                    }
                };
                let size = if denoise {
                    DENOISE_WORKGROUP
                } else {
                    COMBINE_WORKGROUP
                };
                let count = if denoise { particles } else { len };
                dispatches.push(Dispatch {
                    denoise,
                    slot: slots.len() as u32,
                    workgroups: workgroups(count, size),
                });
                slots.push(u);
            }
            steps.push(dispatches);
        }
        // 256-byte slots, each holding one OpUniform.
        let mut bytes = vec![0u8; slots.len().max(1) * SLOT as usize];
        for (k, u) in slots.iter().enumerate() {
            let at = k * SLOT as usize;
            bytes[at..at + std::mem::size_of::<OpUniform>()].copy_from_slice(bytemuck::bytes_of(u));
        }
        let ops = ctx.buffer_with("diffusion ops", &bytes, wgpu::BufferUsages::UNIFORM);
        let means: Vec<f32> = mixture.means.iter().map(|m| *m as f32).collect();
        let components: Vec<[f32; 2]> = mixture
            .variances
            .iter()
            .zip(&mixture.log_weights)
            .map(|(v, w)| [*v as f32, *w as f32])
            .collect();
        let means = ctx.buffer_with("diffusion means", &means, wgpu::BufferUsages::STORAGE);
        let components = ctx.buffer_with(
            "diffusion components",
            &components,
            wgpu::BufferUsages::STORAGE,
        );
        let registers = ctx.buffer(
            "diffusion registers",
            register_bytes.max(16),
            wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
        );
        let state: Vec<f32> = initial.iter().map(|v| *v as f32).collect();
        ctx.queue
            .write_buffer(&registers, 0, bytemuck::cast_slice(&state));
        let uniform_entry = wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: true,
                min_binding_size: wgpu::BufferSize::new(std::mem::size_of::<OpUniform>() as u64),
            },
            count: None,
        };
        let layout = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("diffusion sampler"),
                entries: &[
                    uniform_entry,
                    crate::gpu::buffer_layout_entry(1, storage(true)),
                    crate::gpu::buffer_layout_entry(2, storage(true)),
                    crate::gpu::buffer_layout_entry(3, storage(false)),
                ],
            });
        let pipeline_layout = ctx
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("diffusion sampler"),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let [denoise, combine] = ctx.compute_pipelines_with_layout(
            "diffusion_sampler.wgsl",
            Some(&pipeline_layout),
            ["denoise", "combine"],
        );
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("diffusion sampler"),
            layout: &layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &ops,
                        offset: 0,
                        size: wgpu::BufferSize::new(std::mem::size_of::<OpUniform>() as u64),
                    }),
                },
                crate::gpu::entry(1, &means),
                crate::gpu::entry(2, &components),
                crate::gpu::entry(3, &registers),
            ],
        });
        Ok(Self {
            program,
            particles,
            dim,
            registers,
            bind_group,
            denoise,
            combine,
            steps,
            next_step: 0,
        })
    }

    /// The compiled program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Steps recorded so far.
    pub fn steps_done(&self) -> usize {
        self.next_step
    }

    /// Whether every step has been recorded.
    pub fn is_finished(&self) -> bool {
        self.next_step == self.steps.len()
    }

    /// Records up to `max_steps` further steps into `encoder`; returns how many.
    pub fn encode_steps(&mut self, encoder: &mut wgpu::CommandEncoder, max_steps: usize) -> usize {
        let end = self
            .next_step
            .saturating_add(max_steps)
            .min(self.steps.len());
        if end == self.next_step {
            return 0;
        }
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("diffusion steps"),
                timestamp_writes: None,
            });
            for step in &self.steps[self.next_step..end] {
                for d in step {
                    pass.set_pipeline(if d.denoise {
                        &self.denoise
                    } else {
                        &self.combine
                    });
                    pass.set_bind_group(0, &self.bind_group, &[d.slot * SLOT as u32]);
                    pass.dispatch_workgroups(d.workgroups.0, d.workgroups.1, 1);
                }
            }
        }
        let done = end - self.next_step;
        self.next_step = end;
        done
    }

    /// Runs every remaining step and waits for the particles (tests, benchmarks, the CLI).
    pub fn run_blocking(&mut self, ctx: &GpuContext) -> Result<Vec<f64>, String> {
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("diffusion run"),
            });
        self.encode_steps(&mut encoder, usize::MAX);
        ctx.queue.submit([encoder.finish()]);
        self.state_blocking(ctx)
    }

    /// The particle state, waiting for the GPU.
    pub fn state_blocking(&self, ctx: &GpuContext) -> Result<Vec<f64>, String> {
        let bytes = ctx
            .read_blocking(&self.registers, 0, (self.particles * self.dim * 4) as u64)
            .map_err(|e| e.to_string())?;
        let values: &[f32] = bytemuck::cast_slice(&bytes);
        Ok(values.iter().map(|v| f64::from(*v)).collect())
    }

    /// The register buffer (state in the first n·d floats), for asynchronous readback.
    pub fn registers(&self) -> &wgpu::Buffer {
        &self.registers
    }
}

/// A live GPU run: each frame encodes some steps and asks for the particles back without
/// waiting; they are fed to the [`DiffusionRun`] (which keeps history, trails and the report)
/// when the copy lands, a frame or two later.
pub struct GpuLiveRun {
    sampler: GpuSampler,
    readback: Readback,
    /// Steps the readback in flight will show.
    requested: Option<usize>,
    /// Steps already shown.
    shown: usize,
    particles: usize,
    dim: usize,
    /// Times the submissions and caps the steps of the next one.
    pacer: SubmissionPacer,
}

impl GpuLiveRun {
    /// Uploads `run` (an externally executed run, see [`DiffusionRun::with_params_external`]).
    pub fn new(ctx: &GpuContext, run: &DiffusionRun) -> Result<Self, String> {
        if !run.is_external() {
            return Err("the GPU needs a run made for external execution".into());
        }
        let sampler = GpuSampler::new(ctx, run.params(), run.mixture(), run.initial())?;
        let dim = run.mixture().dim;
        let particles = run.initial().len() / dim;
        Ok(Self {
            readback: Readback::new(
                ctx,
                (particles * dim * 4) as u64,
                "diffusion particles readback",
            ),
            sampler,
            requested: None,
            shown: 0,
            particles,
            dim,
            pacer: SubmissionPacer::new(4, 1, 1024, 0.016),
        })
    }

    /// Feeds the particles of a landed readback to `run`.
    fn show(&mut self, landed: Option<Vec<u8>>, run: &mut DiffusionRun) {
        if let Some(bytes) = landed
            && let Some(steps) = self.requested.take()
        {
            let values: &[f32] = bytemuck::cast_slice(&bytes);
            run.feed(steps, values.iter().map(|v| f64::from(*v)).collect());
            self.shown = steps;
        }
    }

    /// Whether particles are on their way back from the GPU.
    pub fn reading_back(&self) -> bool {
        self.requested.is_some()
    }

    /// Whether every step has been encoded and shown.
    pub fn is_done(&self) -> bool {
        self.sampler.is_finished() && self.shown == self.sampler.steps_done()
    }

    /// One frame: takes a landed readback (feeding `run`), encodes steps worth `nfe_budget`
    /// evaluations per particle (at least one step when the budget is positive), and asks for
    /// the particles of the last encoded step when no copy is in flight.
    pub fn frame(
        &mut self,
        ctx: &GpuContext,
        run: &mut DiffusionRun,
        nfe_budget: f64,
    ) -> Result<(), String> {
        let landed = self.readback.try_take(ctx).map_err(|e| e.to_string())?;
        self.show(landed, run);
        if let Some(age) = self.pacer.stalled() {
            return Err(self.pacer.stall_message(age));
        }
        self.pacer.adapt();
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("diffusion frame"),
            });
        // A GPU still busy with two submissions gets no new steps this frame, and a
        // submission holds the steps its measured predecessors allow.
        let mut encoded = false;
        if nfe_budget > 0.0 && !self.sampler.is_finished() && self.pacer.has_room() {
            let cap = self.pacer.units() as usize;
            let program = self.sampler.program();
            let mut steps = 0;
            let mut nfe = 0.0;
            for step in &program.steps[self.sampler.steps_done()..] {
                steps += 1;
                nfe += step.nfe() as f64;
                if nfe >= nfe_budget || steps >= cap {
                    break;
                }
            }
            self.sampler.encode_steps(&mut encoder, steps);
            encoded = steps > 0;
        }
        let done = self.sampler.steps_done();
        let asked = self.requested.unwrap_or(self.shown);
        let request = done > asked
            && self
                .readback
                .request(&mut encoder, self.sampler.registers(), 0);
        if encoded || request {
            self.pacer.submit(&ctx.queue, [encoder.finish()]);
        }
        if request {
            self.readback.submitted();
            self.requested = Some(done);
        }
        Ok(())
    }

    /// Waits for the particles in flight, if any, and feeds them to `run` (native: the CLI
    /// and tests; the browser cannot block).
    pub fn wait(&mut self, ctx: &GpuContext, run: &mut DiffusionRun) -> Result<(), String> {
        if self.readback.in_flight() {
            let landed = self.readback.wait(ctx).map_err(|e| e.to_string())?;
            self.show(landed, run);
        }
        Ok(())
    }

    /// Runs every remaining step and feeds the final particles, waiting for the GPU (native
    /// tests, the CLI; not the browser, which maps buffers between tasks).
    pub fn finish_blocking(
        &mut self,
        ctx: &GpuContext,
        run: &mut DiffusionRun,
    ) -> Result<(), String> {
        // A copy in flight is collected first so the staging buffer is free.
        if self.readback.in_flight() {
            let landed = self.readback.wait(ctx).map_err(|e| e.to_string())?;
            self.show(landed, run);
        }
        let state = self.sampler.run_blocking(ctx)?;
        debug_assert_eq!(state.len(), self.particles * self.dim);
        self.shown = self.sampler.steps_done();
        run.feed(self.shown, state);
        Ok(())
    }
}

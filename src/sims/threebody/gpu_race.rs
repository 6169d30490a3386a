//! Three-body races on the GPU (`shaders/nbody_race.wgsl`): every run of a race — each
//! fixed-step solver at each step size — is one invocation of the same dispatch, in f32, from
//! the same initial state. The runs count force evaluations and measure the largest relative
//! energy error exactly as the f64 runs do, so the two diagrams can be laid over each other;
//! where f32 cannot resolve an error the point says so (its floor) and stays out of the fit.
//!
//! Races hand it their runs through `race::gpu` (a [`BatchRunner`]): the app polls it a slice
//! per frame, the command line and the tests wait on it.

use bytemuck::{Pod, Zeroable};
use web_time::Instant;

use super::integrators::yoshida4_weights;
use super::scenarios::initial_bodies;
use super::{Body, Gravity, MAX_BODIES, StepMode, ThreeBodyMethod, ThreeBodyParams};
use crate::core::shadow::F32_UNIT_ROUNDOFF;
use crate::gpu::readback::Readback;
use crate::gpu::{GpuContext, buffer_layout_entry, entry, storage, wgpu};
use crate::sims::run::{BatchResult, BatchRunner};

const WORKGROUP: u32 = 64;
/// Steps each run takes per dispatch (a dispatch stays well under a frame on lavapipe).
pub(super) const STEPS_PER_DISPATCH: u32 = 32;
/// Dispatches recorded per submission.
pub(super) const DISPATCHES_PER_SUBMIT: u32 = 4;

/// Mirror of the WGSL `Params` uniform.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct RaceUniform {
    pub(crate) n_bodies: u32,
    pub(crate) runs: u32,
    pub(crate) steps_per_dispatch: u32,
    pub(crate) pad0: u32,
    pub(crate) softening2: f32,
    pub(crate) yoshida_w1: f32,
    pub(crate) yoshida_w0: f32,
    pub(crate) pad1: f32,
}

/// Mirror of the WGSL `Run` struct.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct RunSpec {
    pub(crate) method: u32,
    pub(crate) full_steps: u32,
    pub(crate) pad0: u32,
    pub(crate) pad1: u32,
    pub(crate) h: f32,
    pub(crate) h_last: f32,
    pub(crate) pad2: f32,
    pub(crate) pad3: f32,
}

/// Mirror of the WGSL `Progress` struct.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct RunProgress {
    pub(crate) steps: u32,
    pub(crate) nfe: u32,
    pub(crate) done: u32,
    pub(crate) non_finite: u32,
    pub(crate) energy0: f32,
    pub(crate) max_energy_error: f32,
    pub(crate) energy_error: f32,
    pub(crate) pad: f32,
}
const _: () = assert!(std::mem::size_of::<RunProgress>() == 32);

/// The kernel's method code of a solver it runs.
pub(super) fn method_code(method: ThreeBodyMethod) -> Option<u32> {
    match method {
        ThreeBodyMethod::Leapfrog => Some(0),
        ThreeBodyMethod::Yoshida4 => Some(1),
        ThreeBodyMethod::Rk4 => Some(2),
        _ => None,
    }
}

/// Where a fixed step of `dt` from `t` takes the f64 run (`ThreeBodyCpu::run`) when it must
/// not pass `mark`: (the step, the time after it, whether it was clipped). A step that would
/// pass the mark is clipped to land on it; a whole step within 1e-12 of the mark lands on it
/// exactly.
pub fn fixed_step(t: f64, dt: f64, mark: f64) -> (f64, f64, bool) {
    if t + dt > mark {
        return (mark - t, mark, true);
    }
    let t_new = t + dt;
    let landed = mark.is_finite() && (t_new - mark).abs() <= 1e-12 * mark.abs().max(1.0);
    (dt, if landed { mark } else { t_new }, false)
}

/// Whether the f64 run counts `until` as reached from `t` (`ThreeBodyCpu::run`).
pub fn reached(t: f64, until: f64) -> bool {
    until - t <= 1e-13 * t.abs().max(1.0)
}

/// The steps a fixed-step run of step `dt` takes from `t` toward `until`, as the f64 run
/// takes them, up to and including its first clipped step (the kernel takes whole steps of h
/// and then one last step): (whole steps, last step or 0, the time after them). `mark` gives
/// the next mark the run must not pass from a time (the end time, or an earlier period mark).
pub fn segment_plan(t: f64, dt: f64, until: f64, mark: impl Fn(f64) -> f64) -> (u64, f64, f64) {
    let (mut t, mut full) = (t, 0u64);
    while !reached(t, until) {
        let (h, t_new, clipped) = fixed_step(t, dt, mark(t).min(until));
        t = t_new;
        if clipped {
            return (full, h, t);
        }
        full += 1;
    }
    (full, 0.0, t)
}

/// The steps a fixed-step run of step `dt` takes from 0 to `until` (a race's run, which has no
/// period marks): (whole steps, last step or 0).
pub fn step_plan(dt: f64, until: f64) -> (u64, f64) {
    let (full, last, _) = segment_plan(0.0, dt, until, |_| f64::INFINITY);
    (full, last)
}

/// Why a race varying `key` over `runs` (solver token, parameters) cannot run on the GPU,
/// if it cannot: the kernel runs the fixed-step leapfrog, Yoshida-4 and RK4 over dt on up to
/// 16 bodies, measured by the energy error.
pub fn unsupported(key: &str, runs: &[(&str, &ThreeBodyParams)]) -> Option<String> {
    if key != "dt" {
        return Some(format!("GPU races vary the step dt, not {key}"));
    }
    for (solver, p) in runs {
        if p.body_count() > MAX_BODIES {
            return Some(format!("the GPU kernel holds at most {MAX_BODIES} bodies"));
        }
        if method_code(p.method).is_none() {
            return Some(format!(
                "{solver} has no GPU kernel: GPU races run leapfrog, yoshida4 and rk4"
            ));
        }
        if p.step_mode != StepMode::Fixed {
            return Some("GPU races use fixed steps (steps=fixed)".into());
        }
    }
    None
}

/// The kernel's buffers and pipeline for runs of one initial system (a race's runs, or the one
/// run of [`super::gpu_run::ThreeBodyGpuRun`]).
pub(super) struct RaceKernel {
    pub(super) ctx: GpuContext,
    pub(super) runs: u32,
    /// The runs' [`RunSpec`]s (rewritten by a run continued toward a new end time).
    pub(super) spec_buffer: wgpu::Buffer,
    /// Per run: positions, velocities, carried forces (`3 · n_bodies` vec4).
    pub(super) state_buffer: wgpu::Buffer,
    /// Per run: its [`RunProgress`] (created zeroed: every run starts fresh).
    pub(super) progress_buffer: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    pipeline: wgpu::ComputePipeline,
}

impl RaceKernel {
    /// Uploads `bodies` (checked) and the runs.
    pub(super) fn new(
        ctx: &GpuContext,
        bodies: &[Body],
        softening: f64,
        specs: &[RunSpec],
    ) -> Result<Self, String> {
        if bodies.len() > MAX_BODIES {
            return Err(format!("the GPU kernel holds at most {MAX_BODIES} bodies"));
        }
        let runs = specs.len() as u32;
        let (w1, w0) = yoshida4_weights();
        let uniform = RaceUniform {
            n_bodies: bodies.len() as u32,
            runs,
            steps_per_dispatch: STEPS_PER_DISPATCH,
            pad0: 0,
            softening2: (softening * softening) as f32,
            yoshida_w1: w1 as f32,
            yoshida_w0: w0 as f32,
            pad1: 0.0,
        };
        let base: Vec<[f32; 4]> = bodies
            .iter()
            .flat_map(|b| {
                [
                    [b.x[0] as f32, b.x[1] as f32, b.x[2] as f32, b.mass as f32],
                    [b.v[0] as f32, b.v[1] as f32, b.v[2] as f32, 0.0],
                ]
            })
            .collect();
        let state_bytes = u64::from(runs) * 3 * bodies.len() as u64 * 16;
        let progress_bytes = u64::from(runs) * std::mem::size_of::<RunProgress>() as u64;
        let copy = wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let uniform_buffer =
            ctx.buffer_with("race params", &[uniform], wgpu::BufferUsages::UNIFORM);
        let base_buffer = ctx.buffer_with("race bodies", &base, wgpu::BufferUsages::STORAGE);
        let spec_buffer = ctx.buffer_with(
            "race runs",
            specs,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        );
        let state_buffer = ctx.buffer(
            "race state",
            state_bytes,
            wgpu::BufferUsages::STORAGE | copy,
        );
        let progress_buffer = ctx.buffer(
            "race progress",
            progress_bytes,
            wgpu::BufferUsages::STORAGE | copy,
        );
        let layout = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("race"),
                entries: &[
                    buffer_layout_entry(0, wgpu::BufferBindingType::Uniform),
                    buffer_layout_entry(1, storage(true)),
                    buffer_layout_entry(2, storage(true)),
                    buffer_layout_entry(3, storage(false)),
                    buffer_layout_entry(4, storage(false)),
                ],
            });
        let pipeline_layout = ctx
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("race"),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let [pipeline] = ctx.compute_pipelines_with_layout(
            "nbody_race.wgsl",
            Some(&pipeline_layout),
            ["advance"],
        );
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("race"),
            layout: &layout,
            entries: &[
                entry(0, &uniform_buffer),
                entry(1, &base_buffer),
                entry(2, &spec_buffer),
                entry(3, &state_buffer),
                entry(4, &progress_buffer),
            ],
        });
        Ok(Self {
            ctx: ctx.clone(),
            runs,
            spec_buffer,
            state_buffer,
            progress_buffer,
            bind_group,
            pipeline,
        })
    }

    /// Records `dispatches` advance dispatches, each moving every run that is not done by up
    /// to [`STEPS_PER_DISPATCH`] steps.
    pub(super) fn encode(&self, encoder: &mut wgpu::CommandEncoder, dispatches: u32) {
        for _ in 0..dispatches {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("race advance"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &self.bind_group, &[]);
            pass.dispatch_workgroups(self.runs.div_ceil(WORKGROUP), 1, 1);
        }
    }
}

/// A three-body race running on the GPU (see the module docs).
pub struct GpuThreeBodyRace {
    kernel: RaceKernel,
    total_steps: Vec<u64>,
    floors: Vec<f64>,
    readback: Readback,
    latest: Vec<RunProgress>,
    /// Wait for each readback (command line, tests) instead of polling (the app).
    blocking: bool,
    started: Option<Instant>,
    dispatches: u64,
}

impl GpuThreeBodyRace {
    /// Uploads every run (checked with [`unsupported`]), each to `until`, and the shared
    /// initial state. With `blocking`, [`BatchRunner::advance`] waits for the device.
    pub fn new(
        ctx: &GpuContext,
        params: &[&ThreeBodyParams],
        until: f64,
        blocking: bool,
    ) -> Result<Self, String> {
        let first = params.first().ok_or("the race has no runs")?;
        let bodies = initial_bodies(first);
        super::validate_bodies(&bodies)?;
        if params.iter().any(|p| initial_bodies(p) != bodies) {
            return Err("the runs of a race must start from the same bodies".into());
        }
        let mut specs = Vec::new();
        let mut total_steps = Vec::new();
        for p in params {
            let (full, last) = step_plan(p.dt, until);
            specs.push(run_spec(p, full, last)?);
            total_steps.push(full + u64::from(last > 0.0));
        }
        let floors = total_steps
            .iter()
            .map(|&steps| energy_floor(&bodies, first.softening, steps))
            .collect();
        let kernel = RaceKernel::new(ctx, &bodies, first.softening, &specs)?;
        let progress_bytes = u64::from(kernel.runs) * std::mem::size_of::<RunProgress>() as u64;
        Ok(Self {
            readback: Readback::new(ctx, progress_bytes, "race progress readback"),
            latest: vec![RunProgress::default(); specs.len()],
            kernel,
            total_steps,
            floors,
            blocking,
            started: None,
            dispatches: 0,
        })
    }

    /// Advance dispatches recorded so far (each moves every run that is not done).
    pub fn dispatches(&self) -> u64 {
        self.dispatches
    }

    /// The runs that share each dispatch.
    pub fn runs_per_dispatch(&self) -> u32 {
        self.kernel.runs
    }

    fn submit(&mut self) {
        let ctx = &self.kernel.ctx;
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("race advance"),
            });
        self.kernel.encode(&mut encoder, DISPATCHES_PER_SUBMIT);
        self.dispatches += u64::from(DISPATCHES_PER_SUBMIT);
        let requested = self
            .readback
            .request(&mut encoder, &self.kernel.progress_buffer, 0);
        ctx.queue.submit([encoder.finish()]);
        if requested {
            self.readback.submitted();
        }
    }

    fn results(&self, seconds: f64) -> Vec<BatchResult> {
        let total_work: f64 = self.latest.iter().map(|p| f64::from(p.nfe)).sum();
        self.latest
            .iter()
            .zip(&self.floors)
            .map(|(p, floor)| {
                let work = f64::from(p.nfe);
                let failure = (p.non_finite != 0)
                    .then(|| format!("the f32 state stopped being finite after {} steps", p.steps));
                BatchResult {
                    work,
                    error: if failure.is_some() {
                        f64::NAN
                    } else {
                        f64::from(p.max_energy_error)
                    },
                    // The runs share the device: each is charged its share of the work.
                    seconds: seconds * work / total_work.max(1.0),
                    failure,
                    floor: Some(*floor),
                }
            })
            .collect()
    }
}

/// The smallest relative energy error f32 resolves after `steps` steps: the energy's
/// evaluation round-off, u·(T + |V|)/|E|, grown as a random walk over the steps (each step
/// rounds the state once).
pub(super) fn energy_floor(bodies: &[Body], softening: f64, steps: u64) -> f64 {
    let gravity = Gravity::new(bodies, softening);
    let x: Vec<[f64; 3]> = bodies.iter().map(|b| b.x).collect();
    let v: Vec<[f64; 3]> = bodies.iter().map(|b| b.v).collect();
    let zero_v = vec![[0.0; 3]; bodies.len()];
    let potential = gravity.energy(&x, &zero_v);
    let total = gravity.energy(&x, &v);
    let kinetic = total - potential;
    let scale = (kinetic.abs() + potential.abs()) / total.abs().max(1e-300);
    F32_UNIT_ROUNDOFF * scale * (steps.max(1) as f64).sqrt()
}

/// The kernel's description of a fixed-step run of `p`: `full_steps` steps of dt, then one of
/// `last` (0: none).
pub(super) fn run_spec(p: &ThreeBodyParams, full_steps: u64, last: f64) -> Result<RunSpec, String> {
    if full_steps > u64::from(u32::MAX / 4) {
        return Err(format!(
            "{full_steps} steps of dt = {:e}: too many for one GPU run",
            p.dt
        ));
    }
    Ok(RunSpec {
        method: method_code(p.method).ok_or_else(|| {
            format!(
                "{} has no GPU kernel: the GPU runs leapfrog, yoshida4 and rk4",
                p.method.key()
            )
        })?,
        full_steps: full_steps as u32,
        pad0: 0,
        pad1: 0,
        h: p.dt as f32,
        h_last: last as f32,
        pad2: 0.0,
        pad3: 0.0,
    })
}

impl BatchRunner for GpuThreeBodyRace {
    fn advance(&mut self, seconds: f64) -> Result<Option<Vec<BatchResult>>, String> {
        let start = Instant::now();
        let started = *self.started.get_or_insert(start);
        loop {
            if !self.readback.in_flight() {
                self.submit();
            }
            let bytes = if self.blocking {
                self.readback.wait(&self.kernel.ctx)
            } else {
                self.readback.try_take(&self.kernel.ctx)
            }
            .map_err(|e| e.to_string())?;
            if let Some(bytes) = bytes {
                self.latest = bytemuck::cast_slice(&bytes).to_vec();
                if self.latest.iter().all(|p| p.done != 0) {
                    return Ok(Some(self.results(started.elapsed().as_secs_f64())));
                }
            }
            if !self.blocking || start.elapsed().as_secs_f64() >= seconds {
                return Ok(None);
            }
        }
    }

    fn progress(&self) -> f64 {
        let total: u64 = self.total_steps.iter().sum();
        let done: u64 = self.latest.iter().map(|p| u64::from(p.steps)).sum();
        done as f64 / total.max(1) as f64
    }

    fn measure_name(&self) -> String {
        "max relative energy error (f32 on the GPU)".into()
    }

    fn describe(&self) -> String {
        format!(
            "GPU {}: {} runs in each dispatch, f32",
            self.kernel.ctx.adapter_name(),
            self.kernel.runs
        )
    }
}

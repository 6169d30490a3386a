//! One three-body system on the GPU, in f32: the race kernel (`shaders/nbody_race.wgsl`) with
//! a single run, continued toward each new target. It takes the f64 run's fixed steps
//! (leapfrog, Yoshida-4, RK4): the host plans every segment in f64 exactly as
//! `ThreeBodyCpu::run` steps — whole steps of dt, the last one clipped to land on the target
//! or on a whole period of a periodic orbit — so both runs take the same steps and stand at the
//! same times. The diagnostics are computed on the host, in f64, from the f32 state read back
//! after each submission, by a [`ThreeBodyCpu`] that adopts that state (it never steps): the
//! rows, histories, trails and checkpoints are the f64 run's, of the f32 state.

use super::cpu::ThreeBodyCpu;
use super::gpu_race::{
    DISPATCHES_PER_SUBMIT, RaceKernel, RunProgress, STEPS_PER_DISPATCH, energy_floor, fixed_step,
    method_code, reached, run_spec, segment_plan,
};
use super::scenarios::initial_bodies;
use super::{StepMode, ThreeBodyParams};
use crate::checkpoint::RunState;
use crate::core::stats::RunStats;
use crate::gpu::readback::Readback;
use crate::gpu::{GpuContext, wgpu};
use crate::sims::run::{Accuracy, Backend, Run, RunHistory, Snapshot, Target, TracePoint};

/// Why `params` cannot run on the GPU, if it cannot.
pub fn unsupported(params: &ThreeBodyParams) -> Option<String> {
    if method_code(params.method).is_none() || params.step_mode != StepMode::Fixed {
        return Some(format!(
            "a three-body GPU run takes fixed steps of leapfrog, yoshida4 or rk4 (steps=fixed), \
             not {}{}; the GPU integrates the other solvers' ensembles in the chaos map",
            params.method.key(),
            if params.step_mode == StepMode::Fixed {
                ""
            } else {
                " with adaptive steps"
            }
        ));
    }
    None
}

/// The steps in flight: toward `until`, ending after `end_steps` steps in all at `end_t`.
#[derive(Clone, Copy, Debug)]
struct Segment {
    until: f64,
    end_steps: u64,
    end_t: f64,
}

/// A three-body run on the GPU (see the module docs).
pub struct ThreeBodyGpuRun {
    kernel: RaceKernel,
    readback: Readback,
    n_bodies: usize,
    /// The f64 run that adopts every state read back (diagnostics, histories, trails).
    mirror: ThreeBodyCpu,
    /// The kernel's record as last read back.
    progress: RunProgress,
    /// The host's replay of the steps the kernel has taken: time, steps, the last step.
    clock: (f64, u64, f64),
    segment: Option<Segment>,
    failure: Option<String>,
}

impl ThreeBodyGpuRun {
    /// The run of `params` at t = 0 (see [`unsupported`]).
    pub fn new(ctx: &GpuContext, params: ThreeBodyParams) -> Result<Self, String> {
        if let Some(why) = unsupported(&params) {
            return Err(why);
        }
        let mirror = ThreeBodyCpu::new(params.clone())?;
        let bodies = initial_bodies(&params);
        let spec = run_spec(&params, 0, 0.0)?;
        let kernel = RaceKernel::new(ctx, &bodies, params.softening, &[spec])?;
        let progress_bytes = std::mem::size_of::<RunProgress>() as u64;
        let state_bytes = 3 * bodies.len() as u64 * 16;
        Ok(Self {
            readback: Readback::new(ctx, progress_bytes + state_bytes, "three-body run readback"),
            n_bodies: bodies.len(),
            kernel,
            mirror,
            progress: RunProgress::default(),
            clock: (0.0, 0, 0.0),
            segment: None,
            failure: None,
        })
    }

    fn params(&self) -> &ThreeBodyParams {
        self.mirror.params()
    }

    /// The next mark a step from `t` must not pass on the way to `until`.
    fn mark(&self, t: f64, until: f64) -> f64 {
        self.mirror
            .period_mark_after(t)
            .map_or(until, |m| m.min(until))
    }

    /// Plans the steps from the clock toward `until` and hands them to the kernel.
    fn start_segment(&mut self, until: f64) -> Result<(), String> {
        let (t, steps, _) = self.clock;
        let (full, last, end_t) = segment_plan(t, self.params().dt, until, |t| self.mark(t, until));
        let whole = steps + full;
        let spec = run_spec(self.params(), whole, last)?;
        let queue = &self.kernel.ctx.queue;
        queue.write_buffer(&self.kernel.spec_buffer, 0, bytemuck::bytes_of(&spec));
        let progress = RunProgress {
            done: 0,
            ..self.progress
        };
        queue.write_buffer(
            &self.kernel.progress_buffer,
            0,
            bytemuck::bytes_of(&progress),
        );
        self.segment = Some(Segment {
            until,
            end_steps: whole + u64::from(last > 0.0),
            end_t,
        });
        Ok(())
    }

    /// Records up to `attempts` steps (in whole dispatches) and the readback of their result.
    fn submit(&mut self, attempts: u64) {
        let dispatches = attempts
            .div_ceil(u64::from(STEPS_PER_DISPATCH))
            .clamp(1, u64::from(DISPATCHES_PER_SUBMIT)) as u32;
        let ctx = &self.kernel.ctx;
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("three-body run"),
            });
        self.kernel.encode(&mut encoder, dispatches);
        let state_bytes = 3 * self.n_bodies as u64 * 16;
        let requested = self.readback.request_parts(
            &mut encoder,
            &[
                (
                    &self.kernel.progress_buffer,
                    0,
                    std::mem::size_of::<RunProgress>() as u64,
                ),
                (&self.kernel.state_buffer, 0, state_bytes),
            ],
        );
        ctx.queue.submit([encoder.finish()]);
        if requested {
            self.readback.submitted();
        }
    }

    /// Takes in a readback: replays the new steps' times, hands the state to the mirror.
    fn adopt(&mut self, bytes: &[u8]) {
        let record_bytes = std::mem::size_of::<RunProgress>();
        let progress: RunProgress = bytemuck::pod_read_unaligned(&bytes[..record_bytes]);
        let state: &[[f32; 4]] = bytemuck::cast_slice(&bytes[record_bytes..]);
        let Some(segment) = self.segment else {
            return;
        };
        if progress.non_finite != 0 {
            // Keep the last finite state the mirror holds.
            self.failure = Some(format!(
                "the f32 state stopped being finite after {} steps (t ≈ {:.6}); the last \
                 finite state is kept",
                progress.steps, self.clock.0
            ));
            self.progress = progress;
            return;
        }
        let dt = self.params().dt;
        let (mut t, mut steps, mut h_last) = self.clock;
        while steps < u64::from(progress.steps) {
            let (h, t_new, _) = fixed_step(t, dt, self.mark(t, segment.until));
            (t, h_last) = (t_new, h);
            steps += 1;
        }
        if progress.done != 0 {
            debug_assert_eq!(steps, segment.end_steps);
            t = segment.end_t;
            self.segment = None;
        }
        self.clock = (t, steps, h_last);
        self.progress = progress;
        let n = self.n_bodies;
        let vector = |row: &[f32; 4]| [row[0], row[1], row[2]].map(f64::from);
        let x = state[..n].iter().map(vector).collect();
        let v = state[n..2 * n].iter().map(vector).collect();
        let stats = RunStats {
            t,
            h: dt,
            h_last,
            last_error: f64::NAN,
            accepted: steps,
            rejected: 0,
            nfe: u64::from(progress.nfe),
        };
        self.mirror
            .adopt_state(x, v, stats, f64::from(progress.max_energy_error));
    }

    fn take_readback(&mut self, wait: bool) -> Result<(), String> {
        let ctx = &self.kernel.ctx;
        let bytes = if wait {
            self.readback.wait(ctx)
        } else {
            self.readback.try_take(ctx)
        }
        .map_err(|e| e.to_string())?;
        if let Some(bytes) = bytes {
            self.adopt(&bytes);
        }
        Ok(())
    }
}

impl Run for ThreeBodyGpuRun {
    fn backend(&self) -> Backend {
        Backend::Gpu
    }

    fn time(&self) -> f64 {
        self.clock.0
    }

    /// Lands on the target exactly for both kinds of target, as the f64 run does.
    fn advance(&mut self, target: Target, attempts: u64) -> Result<bool, String> {
        let until = target.time();
        if until.is_nan() {
            return Err("end time must be a number".into());
        }
        self.take_readback(false)?;
        if let Some(why) = &self.failure {
            return Err(why.clone());
        }
        if self.segment.is_none() {
            if reached(self.clock.0, until) {
                return Ok(true);
            }
            self.start_segment(until)?;
        }
        if !self.readback.in_flight() {
            self.submit(attempts);
        }
        Ok(false)
    }

    fn wait(&mut self) -> Result<(), String> {
        self.take_readback(true)
    }

    fn columns(&self) -> Vec<&'static str> {
        self.mirror.columns()
    }

    fn row(&self) -> Vec<f64> {
        self.mirror.row()
    }

    fn trace(&self) -> TracePoint {
        self.mirror.trace()
    }

    fn history(&self) -> RunHistory {
        RunHistory {
            note: format!(
                "f32 on the GPU, read back every {} steps at most; the diagnostics are \
                 computed in f64 from the read-back state",
                STEPS_PER_DISPATCH * DISPATCHES_PER_SUBMIT
            ),
            ..Run::history(&self.mirror)
        }
    }

    /// The largest energy error of the read-back states and of every step in between
    /// (the kernel checks the energy after each step, in f32).
    fn accuracy(&self) -> Option<Accuracy> {
        Some(Accuracy {
            measure: "max relative energy error (f32 on the GPU)",
            ..self.mirror.accuracy()?
        })
    }

    fn work(&self) -> f64 {
        f64::from(self.progress.nfe)
    }

    fn method_order(&self) -> Option<f64> {
        self.mirror.method_order()
    }

    fn state_vector(&self) -> Vec<f64> {
        self.mirror.state_vector()
    }

    fn snapshot(&mut self) -> Snapshot {
        self.mirror.snapshot()
    }

    /// The f32 state as read back, exactly; it continues on the CPU in f64.
    fn checkpoint_state(&self) -> Result<RunState, String> {
        Run::checkpoint_state(&self.mirror)
    }

    fn precision_floor(&self) -> Option<f64> {
        let bodies = initial_bodies(self.params());
        Some(energy_floor(&bodies, self.params().softening, self.clock.1))
    }
}

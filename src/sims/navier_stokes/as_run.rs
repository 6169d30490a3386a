//! Navier–Stokes behind the [`Run`] interface: the f64 CPU run ([`NsRun`]) and the f32 GPU
//! run ([`NsGpuRun`]), whose history and fields are read back into a CPU mirror, so both
//! write the same rows and are measured alike.

use super::gpu::GpuStepRow;
use super::gpu_run::{GpuFields, GpuFlow};
use super::run::{FieldKind, MAX_HISTORY, NsPoint, NsRun};
use crate::checkpoint::RunState;
use crate::gpu::{GpuContext, wgpu};
use crate::sims::run::{Accuracy, Backend, Run, RunHistory, Series, Snapshot, Target, TracePoint};

const COLUMNS: [&str; 11] = [
    "t",
    "steps",
    "dt",
    "cfl",
    "energy",
    "enstrophy",
    "max_divergence",
    "pressure_iterations",
    "pressure_residual",
    "error",
    "probe",
];

/// What both backends read from the CPU run (the GPU's mirror).
impl NsRun {
    fn run_row(&self) -> Vec<f64> {
        match self.history().last() {
            Some(p) => vec![
                p.t,
                self.steps() as f64,
                p.dt,
                p.cfl,
                p.energy,
                p.enstrophy,
                p.max_divergence,
                p.pressure_iterations as f64,
                p.pressure_residual,
                p.error,
                p.probe,
            ],
            None => vec![f64::NAN; COLUMNS.len()],
        }
    }

    fn run_trace(&self) -> TracePoint {
        let last = self.history().last();
        TracePoint {
            t: self.time(),
            h: last.map_or(f64::NAN, |p| p.dt),
            error_estimate: f64::NAN,
            drift: last.map_or(f64::NAN, |p| p.error),
        }
    }

    fn run_history(&self) -> RunHistory {
        let h = self.history();
        let column = |pick: fn(&NsPoint) -> f64| h.iter().map(|p| [p.t, pick(p)]).collect();
        RunHistory {
            note: format!(
                "{} samples of {} steps: one per step, except that past {MAX_HISTORY} samples \
                 the older half of the record is thinned to every other sample (repeatedly, on \
                 long runs)",
                h.len(),
                self.steps(),
            ),
            series: vec![
                Series::complete("dt", column(|p| p.dt)),
                Series::complete("cfl", column(|p| p.cfl)),
                Series::complete("energy", column(|p| p.energy)),
                Series::complete("enstrophy", column(|p| p.enstrophy)),
                Series::complete("max_divergence", column(|p| p.max_divergence)),
                Series::complete(
                    "pressure_iterations",
                    column(|p| p.pressure_iterations as f64),
                ),
                Series::complete("pressure_residual", column(|p| p.pressure_residual)),
                Series::complete("error", column(|p| p.error)),
                Series::complete("probe", column(|p| p.probe)),
            ],
        }
    }

    fn run_accuracy(&self) -> Option<Accuracy> {
        let value = self.error();
        value.is_finite().then_some(Accuracy {
            value,
            measure: "max error vs the exact solution or Ghia's table",
        })
    }

    fn run_state_vector(&self) -> Vec<f64> {
        let v = self.face_velocity();
        v.u.into_iter().chain(v.v).collect()
    }

    fn run_order(&self) -> Option<f64> {
        Some(f64::from(self.params().solver.time_order()))
    }

    fn failure_result(&self) -> Result<(), String> {
        self.failure().map_or(Ok(()), |f| Err(f.to_owned()))
    }
}

impl Run for NsRun {
    fn backend(&self) -> Backend {
        Backend::Cpu
    }

    fn time(&self) -> f64 {
        NsRun::time(self)
    }

    /// `attempts` counts time steps. [`Target::Sample`] stops at the first step at or past
    /// the time (the CFL number alone chooses the steps); [`Target::Land`] shortens the last
    /// step to land on it.
    fn advance(&mut self, target: Target, attempts: u64) -> Result<bool, String> {
        let steps = usize::try_from(attempts).unwrap_or(usize::MAX);
        match target {
            Target::Land(t) => self.advance_exactly(steps, t),
            Target::Sample(t) => NsRun::advance(self, steps, t),
        };
        self.failure_result()?;
        Ok(self.time() >= target.time())
    }

    fn columns(&self) -> Vec<&'static str> {
        COLUMNS.to_vec()
    }

    fn row(&self) -> Vec<f64> {
        self.run_row()
    }

    fn trace(&self) -> TracePoint {
        self.run_trace()
    }

    fn history(&self) -> RunHistory {
        self.run_history()
    }

    fn accuracy(&self) -> Option<Accuracy> {
        self.run_accuracy()
    }

    fn work(&self) -> f64 {
        self.steps() as f64
    }

    fn method_order(&self) -> Option<f64> {
        self.run_order()
    }

    fn state_vector(&self) -> Vec<f64> {
        self.run_state_vector()
    }

    fn snapshot(&mut self) -> Snapshot {
        Snapshot::Field(self.field(FieldKind::Vorticity))
    }

    fn drop_view_only_state(&mut self) {
        self.stop_carrying_dye();
    }

    fn checkpoint_state(&self) -> Result<RunState, String> {
        if !self.carries_dye() {
            return Err("this run stopped advancing its dye (nothing showed it), so its state is incomplete: run it again with the checkpoint asked for".into());
        }
        Ok(NsRun::checkpoint_state(self))
    }
}

/// A Navier–Stokes run on the GPU (f32): the solver on the device, and the CPU run that
/// receives its history and fields at each readback (its mirror).
pub struct NsGpuRun {
    mirror: NsRun,
    gpu: GpuFlow,
    ctx: GpuContext,
    /// The GPU's steps taken into the history so far.
    seen: u64,
    /// The mirror's time when the GPU took over (the GPU's clock starts at 0).
    t0: f64,
    /// Readbacks in flight, and the halves that have landed.
    in_flight: bool,
    rows: Option<Vec<GpuStepRow>>,
    fields: Option<GpuFields>,
}

/// Most steps recorded per submission.
const STEPS_PER_SUBMISSION: usize = 16;

impl NsGpuRun {
    /// The run of `run`'s scenario from its current state on `ctx`.
    pub fn new(ctx: &GpuContext, run: NsRun) -> Result<Self, String> {
        let gpu = GpuFlow::from_run(ctx, &run)?;
        Ok(Self {
            t0: run.time(),
            mirror: run,
            gpu,
            ctx: ctx.clone(),
            seen: 0,
            in_flight: false,
            rows: None,
            fields: None,
        })
    }

    /// The CPU mirror: the GPU's state as last read back.
    pub fn mirror(&self) -> &NsRun {
        &self.mirror
    }

    /// Takes the landed history and fields into the mirror.
    fn absorb(&mut self, rows: Vec<GpuStepRow>, fields: GpuFields) -> Result<(), String> {
        let per_step = self.gpu.pressure_iterations_per_step();
        let points: Vec<NsPoint> = rows
            .iter()
            .filter(|r| r.step > self.seen)
            .map(|r| r.point(self.t0, per_step))
            .collect();
        let Some(last) = rows.last() else {
            return Err("the GPU returned no history".into());
        };
        self.seen = last.step;
        self.gpu.adapt_pressure_iterations(last.pressure_residual);
        let steps = self.mirror.steps() + points.len() as u64;
        fields.load_into(&mut self.mirror, self.t0 + last.t, steps)?;
        self.mirror.push_external_history(&points);
        self.mirror.failure_result()
    }
}

impl Run for NsGpuRun {
    fn backend(&self) -> Backend {
        Backend::Gpu
    }

    fn time(&self) -> f64 {
        self.mirror.time()
    }

    /// Records steps until the GPU's time reaches the target (its CFL steps do not land on
    /// it): batches sized from the last Δt, one step at a time near the end, with the history
    /// and fields read back after each.
    fn advance(&mut self, target: Target, _attempts: u64) -> Result<bool, String> {
        if self.in_flight {
            let (rows, fields) = self.gpu.try_take(&self.ctx)?;
            self.rows = self.rows.take().or(rows);
            self.fields = self.fields.take().or(fields);
            let (Some(rows), Some(fields)) = (self.rows.take(), self.fields.take()) else {
                return Ok(false);
            };
            self.in_flight = false;
            self.absorb(rows, fields)?;
        }
        let t = target.time();
        let now = self.mirror.time();
        if now >= t {
            return Ok(true);
        }
        let dt = self.mirror.history().last().map_or(0.0, |p| p.dt);
        let batch = if dt > 0.0 {
            (((t - now) / dt).floor() as usize).clamp(1, STEPS_PER_SUBMISSION)
        } else {
            1
        };
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        self.gpu.encode(&mut encoder, batch);
        self.gpu.request_readbacks(&mut encoder);
        self.ctx.queue.submit([encoder.finish()]);
        self.gpu.readbacks_submitted();
        self.in_flight = true;
        Ok(false)
    }

    fn wait(&mut self) -> Result<(), String> {
        self.ctx
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn columns(&self) -> Vec<&'static str> {
        COLUMNS.to_vec()
    }

    fn row(&self) -> Vec<f64> {
        self.mirror.run_row()
    }

    fn trace(&self) -> TracePoint {
        self.mirror.run_trace()
    }

    fn history(&self) -> RunHistory {
        self.mirror.run_history()
    }

    fn accuracy(&self) -> Option<Accuracy> {
        self.mirror.run_accuracy()
    }

    fn work(&self) -> f64 {
        self.mirror.steps() as f64
    }

    fn method_order(&self) -> Option<f64> {
        self.mirror.run_order()
    }

    fn state_vector(&self) -> Vec<f64> {
        self.mirror.run_state_vector()
    }

    fn snapshot(&mut self) -> Snapshot {
        Snapshot::Field(self.mirror.field(FieldKind::Vorticity))
    }

    fn checkpoint_state(&self) -> Result<RunState, String> {
        Ok(self.mirror.checkpoint_state())
    }
}

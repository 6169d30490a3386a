//! The NLSE behind the [`Run`] interface: the f64 CPU reference ([`NlseCpu`]) and the f32
//! GPU path ([`NlseGpuRun`]) write the same rows and history and are measured alike.

use super::control::StepControl;
use super::cpu::{Grid, NlseCpu, NlseHistory};
use super::gpu::NlseGpu;
use super::shadow::f32_bound;
use super::{NlseDiagnostics, NlseParams};
use crate::checkpoint::RunState;
use crate::core::stats::{Outcome, RunStats};
use crate::gpu::GpuContext;
use crate::sims::run::{
    Accuracy, Backend, Run, RunHistory, STAT_COLUMNS, Series, Snapshot, Target, TracePoint,
    outcome_result, stat_values,
};
use num_complex::Complex64;

/// Step attempts recorded per GPU submission.
const ATTEMPTS_PER_SUBMISSION: u64 = 64;

/// The columns of an NLSE row.
fn columns() -> Vec<&'static str> {
    let mut c = vec![
        "t",
        "mass",
        "momentum",
        "hamiltonian",
        "mass_drift",
        "momentum_drift",
        "hamiltonian_drift",
        "exact_error",
        "peak",
    ];
    c.extend(STAT_COLUMNS);
    c
}

fn row(d: &NlseDiagnostics, s: &RunStats) -> Vec<f64> {
    let mut v = vec![
        d.t,
        d.mass,
        d.momentum,
        d.hamiltonian,
        d.mass_drift,
        d.momentum_drift,
        d.hamiltonian_drift,
        d.exact_error.unwrap_or(f64::NAN),
        d.peak,
    ];
    v.extend(stat_values(s));
    v
}

/// The error against the exact solution, else the Hamiltonian drift.
pub fn accuracy(d: &NlseDiagnostics) -> Accuracy {
    match d.exact_error {
        Some(value) => Accuracy {
            value,
            measure: "relative L2 error vs the exact solution",
        },
        None => Accuracy {
            value: d.hamiltonian_drift,
            measure: "Hamiltonian drift",
        },
    }
}

fn trace(d: &NlseDiagnostics, s: &RunStats) -> TracePoint {
    TracePoint {
        t: s.t,
        h: s.h_last,
        error_estimate: s.last_error,
        drift: d.hamiltonian_drift,
    }
}

/// The recorded history of an NLSE run (CPU or GPU).
pub fn history(h: &NlseHistory) -> RunHistory {
    RunHistory {
        note: "diagnostics sampled about every 0.02 time units; step sizes and errors at every \
               accepted step"
            .to_owned(),
        series: vec![
            Series::decimated("mass_drift", &h.mass_drift),
            Series::decimated("momentum_drift", &h.momentum_drift),
            Series::decimated("hamiltonian_drift", &h.hamiltonian_drift),
            Series::decimated("h", &h.step_size),
            Series::decimated("error_estimate", &h.error_estimate),
            Series::decimated("rejected", &h.rejected),
            Series::decimated("exact_error", &h.exact_error),
            Series::decimated("shannon_entropy", &h.shannon),
            Series::decimated("spectral_tail", &h.spectral_tail),
        ],
    }
}

fn state_vector(spectrum: &[Complex64]) -> Vec<f64> {
    spectrum.iter().flat_map(|z| [z.re, z.im]).collect()
}

fn snapshot(grid: &Grid, field: &[Complex64]) -> Snapshot {
    Snapshot::Curve(
        grid.x
            .iter()
            .zip(field)
            .map(|(x, z)| [*x, z.norm_sqr()])
            .collect(),
    )
}

fn order(p: &NlseParams) -> Option<f64> {
    Some(f64::from(p.method.order()))
}

impl Run for NlseCpu {
    fn backend(&self) -> Backend {
        Backend::Cpu
    }

    fn time(&self) -> f64 {
        self.stats().t
    }

    fn advance(&mut self, target: Target, attempts: u64) -> Result<bool, String> {
        let outcome = NlseCpu::advance(self, target.time(), attempts);
        outcome_result(&outcome)?;
        Ok(matches!(outcome, Outcome::Reached))
    }

    fn columns(&self) -> Vec<&'static str> {
        columns()
    }

    fn row(&self) -> Vec<f64> {
        row(self.diagnostics(), self.stats())
    }

    fn trace(&self) -> TracePoint {
        trace(self.diagnostics(), self.stats())
    }

    fn history(&self) -> RunHistory {
        history(NlseCpu::history(self))
    }

    fn accuracy(&self) -> Option<Accuracy> {
        Some(accuracy(self.diagnostics()))
    }

    fn work(&self) -> f64 {
        self.stats().nfe as f64
    }

    fn method_order(&self) -> Option<f64> {
        order(self.params())
    }

    fn state_vector(&self) -> Vec<f64> {
        state_vector(self.spectrum())
    }

    fn snapshot(&mut self) -> Snapshot {
        let field = self.field();
        snapshot(self.grid(), &field)
    }

    fn checkpoint_state(&self) -> Result<RunState, String> {
        Ok(NlseCpu::checkpoint_state(self))
    }
}

/// An NLSE run on the GPU (f32) with its device.
pub struct NlseGpuRun {
    /// The run.
    pub sim: NlseGpu,
    ctx: GpuContext,
}

impl NlseGpuRun {
    /// The run of `params` on `ctx`.
    pub fn new(ctx: &GpuContext, params: NlseParams) -> Result<Self, String> {
        Ok(Self {
            sim: NlseGpu::new(ctx, params)?,
            ctx: ctx.clone(),
        })
    }
}

impl Run for NlseGpuRun {
    fn backend(&self) -> Backend {
        Backend::Gpu
    }

    fn time(&self) -> f64 {
        self.sim.time()
    }

    fn advance(&mut self, target: Target, attempts: u64) -> Result<bool, String> {
        self.sim.poll(&self.ctx).map_err(|e| e.to_string())?;
        if self.sim.busy() {
            return Ok(false);
        }
        outcome_result(self.sim.outcome())?;
        let t = target.time();
        if self.sim.time() >= t {
            return Ok(true);
        }
        let chunk = attempts.clamp(1, ATTEMPTS_PER_SUBMISSION) as u32;
        self.sim.encode(&self.ctx, t, chunk);
        Ok(false)
    }

    fn wait(&mut self) -> Result<(), String> {
        self.sim.wait(&self.ctx).map_err(|e| e.to_string())?;
        Ok(())
    }

    fn columns(&self) -> Vec<&'static str> {
        columns()
    }

    fn row(&self) -> Vec<f64> {
        row(self.sim.diagnostics(), self.sim.stats())
    }

    fn trace(&self) -> TracePoint {
        trace(self.sim.diagnostics(), self.sim.stats())
    }

    fn history(&self) -> RunHistory {
        history(self.sim.history())
    }

    fn accuracy(&self) -> Option<Accuracy> {
        Some(accuracy(self.sim.diagnostics()))
    }

    fn work(&self) -> f64 {
        self.sim.stats().nfe as f64
    }

    fn method_order(&self) -> Option<f64> {
        order(self.sim.params())
    }

    fn state_vector(&self) -> Vec<f64> {
        state_vector(self.sim.spectrum())
    }

    fn snapshot(&mut self) -> Snapshot {
        snapshot(self.sim.grid(), self.sim.field())
    }

    fn checkpoint_state(&self) -> Result<RunState, String> {
        Ok(self.sim.checkpoint_state())
    }

    /// The f32 round-off bound over the FFT passes of the accepted steps (two per stage).
    fn precision_floor(&self) -> Option<f64> {
        let p = self.sim.params();
        let passes = 2 * u64::from(p.method.order().max(1)) * self.sim.stats().accepted;
        Some(f32_bound(self.sim.grid().n, passes))
    }

    fn limitation(&self) -> Option<String> {
        StepControl::limitation(self.sim.params(), Backend::Gpu)
    }
}

//! One interface for a simulation being run, whatever the simulation and wherever its numbers
//! are computed (the f64 CPU reference or the f32 GPU path): the command line, races and
//! sweeps, exports, checkpoints and the parity tests all drive a `Box<dyn Run>`. The only
//! places that know which simulation a run is are the scenario's `info`, `cpu_run`, `gpu_run`
//! and `restore` (in `crate::scenario`).
//!
//! A run advances toward a target within a budget of step attempts and never waits on a
//! device inside [`Run::advance`]: a GPU run submits work and returns, and [`Run::wait`]
//! blocks until what is in flight has landed (the command line and tests; the browser cannot
//! block). [`advance_to`] and [`finish`] are the blocking loops over the two.

use crate::checkpoint::RunState;
use crate::core::stats::{Outcome, RunStats};

/// Most step attempts one blocking call may take before it reports the run as stuck.
pub const MAX_ATTEMPTS: u64 = 50_000_000;

/// Where the numbers are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The f64 CPU reference.
    Cpu,
    /// The f32 WGSL path.
    Gpu,
}

/// Where an advance stops.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// Exactly at `t`: the last step is shortened to land on it (races compare runs at one
    /// time).
    Land(f64),
    /// At `t` for runs that choose their own steps from a tolerance or a fixed step (they
    /// land exactly, as with [`Target::Land`]); at the first step at or past `t` for runs
    /// whose steps follow a CFL number (Navier–Stokes), so that sampling a run does not change
    /// the steps it takes.
    Sample(f64),
}

impl Target {
    /// The target time.
    pub fn time(self) -> f64 {
        match self {
            Target::Land(t) | Target::Sample(t) => t,
        }
    }
}

/// A run's accuracy and what it measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Accuracy {
    /// The value (relative or absolute, as `measure` says).
    pub value: f64,
    /// What it measures, for labels ("relative L2 error vs the exact solution").
    pub measure: &'static str,
}

/// What a race lane plots over time: the step, the step's error estimate and the drift of the
/// conserved quantity (or the error where one is known), each NaN where it does not exist.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TracePoint {
    /// Simulation time.
    pub t: f64,
    /// The last step size.
    pub h: f64,
    /// The last accepted step's error estimate (weighted norm; 1 = at tolerance).
    pub error_estimate: f64,
    /// Relative drift of the conserved quantity (NLSE Hamiltonian, three-body energy,
    /// Navier–Stokes: the error against the exact solution where one exists).
    pub drift: f64,
}

/// A small picture of a run's state, for the race's small multiples (drawn by the UI).
#[derive(Clone, Debug, PartialEq)]
pub enum Snapshot {
    /// A curve y(x): NLSE |ψ|² over x.
    Curve(Vec<[f64; 2]>),
    /// Paths in the plane: three-body trails (x, y), one per body.
    Paths(Vec<Vec<[f64; 2]>>),
    /// Points in the plane: diffusion particles (first two coordinates).
    Points(Vec<[f64; 2]>),
    /// A field on a grid: Navier–Stokes vorticity, row 0 at the bottom.
    Field(super::navier_stokes::run::FieldImage),
}

/// A recorded series of a run's history, for exports.
pub use crate::core::history::Series;

/// A run's recorded history: how it was sampled, and its series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunHistory {
    /// How the run was sampled, for the reader (e.g. thinning of long runs).
    pub note: String,
    /// The series.
    pub series: Vec<Series>,
}

/// A simulation being run (see the module docs).
pub trait Run {
    /// Where the numbers are computed.
    fn backend(&self) -> Backend;

    /// Whether the run has a time to advance to. Diffusion sampling instead runs once from
    /// t_max down to t_min ([`finish`]).
    fn has_clock(&self) -> bool {
        true
    }

    /// The current simulation time.
    fn time(&self) -> f64;

    /// Takes at most `attempts` step attempts toward `target` without waiting on a device;
    /// returns whether the target is reached (diffusion sampling: whether the run is
    /// finished; the target is not used). A failed run returns why, keeping its last good
    /// state.
    fn advance(&mut self, target: Target, attempts: u64) -> Result<bool, String>;

    /// Blocks until the device work in flight has landed (CPU runs have none).
    fn wait(&mut self) -> Result<(), String> {
        Ok(())
    }

    /// The names of [`Run::row`]'s values (the CSV header of `stepscope run`).
    fn columns(&self) -> Vec<&'static str>;

    /// The diagnostics now, NaN where a value does not exist (e.g. no exact solution).
    fn row(&self) -> Vec<f64>;

    /// Rows the run writes as a whole instead of sampled [`Run::row`]s: diffusion sampling's
    /// step history (one row per step, from t_max down to t_min). Empty for the others.
    fn step_rows(&self) -> Vec<Vec<f64>> {
        Vec::new()
    }

    /// The step, error estimate and drift now.
    fn trace(&self) -> TracePoint;

    /// The recorded history, every kept sample, for exports.
    fn history(&self) -> RunHistory;

    /// The accuracy now: the error against the exact solution or a published table where
    /// the scenario has one, else the drift of a conserved quantity (diffusion: the distance
    /// to the reference ODE solution, or to the target, once sampled).
    fn accuracy(&self) -> Option<Accuracy>;

    /// The work done so far: right-hand-side evaluations (NLSE, three-body), denoiser
    /// evaluations per particle (diffusion), time steps (Navier–Stokes).
    fn work(&self) -> f64;

    /// The formal order of the run's method, where it has one (diffusion: deterministic
    /// samplers, as convergence to the probability-flow ODE solution).
    fn method_order(&self) -> Option<f64>;

    /// The state as one vector of numbers, for comparing two runs of one scenario: NLSE ψ̂
    /// (re, im), three-body positions and velocities, the diffusion particles, the
    /// Navier–Stokes face velocities (spectral runs: their velocities on the same faces).
    fn state_vector(&self) -> Vec<f64>;

    /// A small picture of the state now.
    fn snapshot(&mut self) -> Snapshot;

    /// Tells the run that nothing will show or save its state that only a picture shows (the
    /// Navier–Stokes dye), so it may stop computing it; rows, traces, snapshots and state
    /// vectors are unchanged. A checkpoint of such a run is refused. Others ignore it.
    fn drop_view_only_state(&mut self) {}

    /// The state a checkpoint saves (a GPU run: its f32 state as last read back, exactly; it
    /// continues on the CPU). Runs without checkpoints say why.
    fn checkpoint_state(&self) -> Result<RunState, String>;

    /// A closing summary for the user (diffusion: the sample against the target).
    fn summary(&self) -> Option<String> {
        None
    }

    /// The smallest error the run's arithmetic resolves where it is coarser than f64 (f32 GPU
    /// runs, from their round-off bound over the work done so far).
    fn precision_floor(&self) -> Option<f64> {
        None
    }

    /// Why the run's result does not measure what its link asks for, if it does not (an f32
    /// run at a tolerance below f32 resolution runs at a coarser one).
    fn limitation(&self) -> Option<String> {
        None
    }
}

/// One run's result from a [`BatchRunner`].
#[derive(Clone, Debug, PartialEq)]
pub struct BatchResult {
    /// Work (see [`Run::work`]).
    pub work: f64,
    /// Error by the runner's measure.
    pub error: f64,
    /// Wall time attributed to the run.
    pub seconds: f64,
    /// Why the run failed, if it did.
    pub failure: Option<String>,
    /// The smallest error the run's arithmetic resolves (see [`Run::precision_floor`]).
    pub floor: Option<f64>,
}

/// Runs every run of a race somewhere else (the GPU: all in one dispatch, or one after
/// another), without blocking.
pub trait BatchRunner {
    /// Works for about `seconds` (without waiting on a device unless it was made blocking);
    /// returns one result per run of the race, in order, once all are done.
    fn advance(&mut self, seconds: f64) -> Result<Option<Vec<BatchResult>>, String>;
    /// Fraction of the work done.
    fn progress(&self) -> f64;
    /// What the error measures.
    fn measure_name(&self) -> String;
    /// Where and how the runs go, for labels ("GPU …: 12 runs in one dispatch, f32").
    fn describe(&self) -> String;
}

/// Advances `run` to `target`, waiting for its device between submissions. A failed run
/// returns why.
pub fn advance_to(run: &mut dyn Run, target: Target) -> Result<(), String> {
    while !run.advance(target, MAX_ATTEMPTS)? {
        run.wait()?;
    }
    Ok(())
}

/// Runs diffusion sampling to its end (t_min); runs with a clock are unchanged.
pub fn finish(run: &mut dyn Run) -> Result<(), String> {
    if run.has_clock() {
        return Ok(());
    }
    while !run.advance(Target::Land(0.0), 1_000_000_000)? {
        run.wait()?;
    }
    Ok(())
}

/// `Ok` for a run that is fine, else why it failed.
pub fn outcome_result(outcome: &Outcome) -> Result<(), String> {
    match outcome.message() {
        None => Ok(()),
        Some(message) => Err(message),
    }
}

/// The columns of an integrator's statistics.
pub const STAT_COLUMNS: [&str; 5] = ["h", "accepted", "rejected", "nfe", "last_error"];

/// The values of [`STAT_COLUMNS`].
pub fn stat_values(s: &RunStats) -> [f64; 5] {
    [
        s.h_last,
        s.accepted as f64,
        s.rejected as f64,
        s.nfe as f64,
        s.last_error,
    ]
}

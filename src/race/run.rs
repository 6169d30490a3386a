//! Any scenario on the f64 CPU reference, behind one type: the command line, the race and the
//! tests advance it, sample its diagnostics as named columns and measure its accuracy.

use crate::core::stats::{Outcome, RunStats};
use crate::scenario::Scenario;
use crate::sims::diffusion::run::{DiffusionRun, StepPoint};
use crate::sims::navier_stokes::run::{NsPoint, NsRun};
use crate::sims::nlse::NlseDiagnostics;
use crate::sims::nlse::cpu::NlseCpu;
use crate::sims::threebody::cpu::ThreeBodyCpu;

/// Most step attempts one blocking call may take before it reports the run as stuck.
pub const MAX_ATTEMPTS: u64 = 50_000_000;

/// A scenario being run on the CPU.
pub enum CpuRun {
    /// NLSE.
    Nlse(Box<NlseCpu>),
    /// Three-body.
    ThreeBody(Box<ThreeBodyCpu>),
    /// Diffusion sampling (runs from t_max down to t_min).
    Diffusion(Box<DiffusionRun>),
    /// Navier–Stokes.
    NavierStokes(Box<NsRun>),
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
    Field(crate::sims::navier_stokes::run::FieldImage),
}

/// Most particles a diffusion snapshot shows.
const SNAPSHOT_POINTS: usize = 2000;

/// The columns of an integrator's statistics.
pub const STAT_COLUMNS: [&str; 5] = ["h", "accepted", "rejected", "nfe", "last_error"];

fn stat_values(s: &RunStats) -> [f64; 5] {
    [
        s.h_last,
        s.accepted as f64,
        s.rejected as f64,
        s.nfe as f64,
        s.last_error,
    ]
}

/// `Ok` for a run that is fine, else why it failed.
pub fn outcome_result(outcome: &Outcome) -> Result<(), String> {
    match outcome.message() {
        None => Ok(()),
        Some(message) => Err(message),
    }
}

/// The NLSE columns (the GPU run writes the same).
pub fn nlse_columns() -> Vec<&'static str> {
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

/// An NLSE row.
pub fn nlse_row(d: &NlseDiagnostics, s: &RunStats) -> Vec<f64> {
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

/// NLSE accuracy: the error against the exact solution, else the Hamiltonian drift.
pub fn nlse_accuracy(d: &NlseDiagnostics) -> (f64, &'static str) {
    match d.exact_error {
        Some(e) => (e, "relative L2 error vs the exact solution"),
        None => (d.hamiltonian_drift, "Hamiltonian drift"),
    }
}

/// The Navier–Stokes columns (the GPU run writes the same).
pub const NS_COLUMNS: [&str; 11] = [
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

/// A Navier–Stokes row: the last point of the history.
pub fn ns_row(run: &NsRun) -> Vec<f64> {
    match run.history().last() {
        Some(p) => ns_values(p, run.steps()),
        None => vec![f64::NAN; NS_COLUMNS.len()],
    }
}

fn ns_values(p: &NsPoint, steps: u64) -> Vec<f64> {
    vec![
        p.t,
        steps as f64,
        p.dt,
        p.cfl,
        p.energy,
        p.enstrophy,
        p.max_divergence,
        p.pressure_iterations as f64,
        p.pressure_residual,
        p.error,
        p.probe,
    ]
}

/// Navier–Stokes accuracy: the error against the exact solution or Ghia's table.
pub fn ns_accuracy(run: &NsRun) -> Option<(f64, &'static str)> {
    let error = run.error();
    error
        .is_finite()
        .then_some((error, "max error vs the exact solution or Ghia's table"))
}

/// A row of diffusion sampling's step history.
fn step_row(p: &StepPoint) -> Vec<f64> {
    vec![
        p.t,
        p.h_t,
        p.h_lambda,
        p.error,
        f64::from(u8::from(p.accepted)),
        p.nfe,
    ]
}

impl CpuRun {
    /// Sets up the run of `scenario`.
    pub fn new(scenario: &Scenario) -> Result<CpuRun, String> {
        Ok(match scenario {
            Scenario::Nlse(p) => CpuRun::Nlse(Box::new(NlseCpu::new(p.clone())?)),
            Scenario::ThreeBody(p) => CpuRun::ThreeBody(Box::new(ThreeBodyCpu::new(p.clone())?)),
            Scenario::Diffusion(p) => CpuRun::Diffusion(Box::new(DiffusionRun::new(p.clone())?)),
            Scenario::NavierStokes(p) => CpuRun::NavierStokes(Box::new(NsRun::new(p.clone())?)),
        })
    }

    /// Whether the run has a time to advance to (diffusion sampling instead runs from t_max
    /// to t_min: see [`Self::finish`]).
    pub fn has_clock(&self) -> bool {
        !matches!(self, CpuRun::Diffusion(_))
    }

    /// The current simulation time.
    pub fn time(&self) -> f64 {
        match self {
            CpuRun::Nlse(r) => r.stats().t,
            CpuRun::ThreeBody(r) => r.stats().t,
            CpuRun::Diffusion(r) => r.time(),
            CpuRun::NavierStokes(r) => r.time(),
        }
    }

    /// Advances to time `t`: exactly for the ODE runs; Navier–Stokes to its first step at or
    /// past `t`, so that sampling a run does not change the steps its CFL number chooses. A
    /// failed run returns why.
    pub fn advance_to(&mut self, t: f64) -> Result<(), String> {
        if let CpuRun::NavierStokes(r) = self {
            r.advance(usize::MAX, t);
            return r.failure().map_or(Ok(()), |f| Err(f.to_owned()));
        }
        while !self.step_towards(t, MAX_ATTEMPTS)? {}
        Ok(())
    }

    /// Takes at most `attempts` step attempts (Navier–Stokes: steps, the last one shortened
    /// to land on `t`, as races compare runs at one time) towards `t`; returns whether `t` is
    /// reached (diffusion sampling: whether the run is finished; `t` is not used). A failed
    /// run returns why.
    pub fn step_towards(&mut self, t: f64, attempts: u64) -> Result<bool, String> {
        match self {
            CpuRun::Nlse(r) => {
                let outcome = r.advance(t, attempts);
                outcome_result(&outcome)?;
                Ok(matches!(outcome, Outcome::Reached))
            }
            CpuRun::ThreeBody(r) => {
                let outcome = r.advance_to(t, attempts);
                outcome_result(&outcome)?;
                Ok(matches!(outcome, Outcome::Reached))
            }
            CpuRun::Diffusion(r) => {
                let done = r.advance(attempts as f64);
                match r.report() {
                    Some(Err(e)) => Err(e.clone()),
                    _ => Ok(done),
                }
            }
            CpuRun::NavierStokes(r) => {
                let steps = usize::try_from(attempts).unwrap_or(usize::MAX);
                r.advance_exactly(steps, t);
                match r.failure() {
                    Some(f) => Err(f.to_owned()),
                    None => Ok(r.time() >= t),
                }
            }
        }
    }

    /// Runs diffusion sampling to its end (t_min); other runs are unchanged.
    pub fn finish(&mut self) -> Result<(), String> {
        if self.has_clock() {
            return Ok(());
        }
        while !self.step_towards(0.0, 1_000_000_000)? {}
        Ok(())
    }

    /// The names of [`Self::row`]'s values.
    pub fn columns(&self) -> Vec<&'static str> {
        match self {
            CpuRun::Nlse(_) => nlse_columns(),
            CpuRun::ThreeBody(_) => {
                let mut c = vec![
                    "t",
                    "energy",
                    "energy_error",
                    "max_energy_error",
                    "angular_momentum_drift",
                    "momentum_drift",
                    "min_distance",
                    "closest_approach",
                ];
                c.extend(STAT_COLUMNS);
                c
            }
            CpuRun::Diffusion(_) => vec!["t", "h_t", "h_lambda", "error", "accepted", "nfe"],
            CpuRun::NavierStokes(_) => NS_COLUMNS.to_vec(),
        }
    }

    /// The diagnostics now (NaN where a value does not exist, e.g. no exact solution).
    pub fn row(&self) -> Vec<f64> {
        match self {
            CpuRun::Nlse(r) => nlse_row(r.diagnostics(), r.stats()),
            CpuRun::ThreeBody(r) => {
                let d = r.diagnostics();
                let mut v = vec![
                    r.stats().t,
                    d.energy,
                    d.energy_error,
                    d.max_energy_error,
                    d.angular_momentum_drift,
                    d.momentum_drift,
                    d.min_distance,
                    d.closest_approach,
                ];
                v.extend(stat_values(r.stats()));
                v
            }
            CpuRun::Diffusion(r) => r.history().last().map_or_else(
                || vec![r.time(), f64::NAN, f64::NAN, f64::NAN, 1.0, r.nfe()],
                step_row,
            ),
            CpuRun::NavierStokes(r) => ns_row(r),
        }
    }

    /// Every row of diffusion sampling's step history (its output is the whole history).
    pub fn diffusion_rows(&self) -> Vec<Vec<f64>> {
        match self {
            CpuRun::Diffusion(r) => r.history().iter().map(step_row).collect(),
            _ => Vec::new(),
        }
    }

    /// The step, error estimate and drift now.
    pub fn trace(&self) -> TracePoint {
        match self {
            CpuRun::Nlse(r) => TracePoint {
                t: r.stats().t,
                h: r.stats().h_last,
                error_estimate: r.stats().last_error,
                drift: r.diagnostics().hamiltonian_drift,
            },
            CpuRun::ThreeBody(r) => TracePoint {
                t: r.stats().t,
                h: r.stats().h_last,
                error_estimate: r.stats().last_error,
                drift: r.diagnostics().energy_error,
            },
            CpuRun::Diffusion(r) => {
                let last = r.history().last();
                TracePoint {
                    t: r.time(),
                    h: last.map_or(f64::NAN, |p| p.h_lambda),
                    error_estimate: last.map_or(f64::NAN, |p| p.error),
                    drift: f64::NAN,
                }
            }
            CpuRun::NavierStokes(r) => {
                let last = r.history().last();
                TracePoint {
                    t: r.time(),
                    h: last.map_or(f64::NAN, |p| p.dt),
                    error_estimate: f64::NAN,
                    drift: last.map_or(f64::NAN, |p| p.error),
                }
            }
        }
    }

    /// A checkpoint of the run now (see [`crate::checkpoint`]).
    pub fn checkpoint(&self) -> Result<crate::checkpoint::Checkpoint, String> {
        let (scenario, state) = match self {
            CpuRun::Nlse(r) => (Scenario::Nlse(r.params().clone()), r.checkpoint_state()),
            CpuRun::ThreeBody(r) => (
                Scenario::ThreeBody(r.params().clone()),
                r.checkpoint_state(),
            ),
            CpuRun::NavierStokes(r) => (
                Scenario::NavierStokes(r.params().clone()),
                r.checkpoint_state(),
            ),
            CpuRun::Diffusion(_) => {
                return Err(
                    "a diffusion sampling run is one pass from t_max to t_min that its \
                            link reproduces exactly: it has no checkpoint"
                        .into(),
                );
            }
        };
        Ok(crate::checkpoint::Checkpoint::new(
            scenario.to_query(),
            scenario.sim_key(),
            self.time(),
            state,
        ))
    }

    /// The run a checkpoint saved, continued.
    pub fn from_checkpoint(checkpoint: &crate::checkpoint::Checkpoint) -> Result<CpuRun, String> {
        let scenario = Scenario::from_link(&checkpoint.link)
            .map_err(|e| format!("the checkpoint's link is bad: {e}"))?;
        let state = &checkpoint.state;
        Ok(match scenario {
            Scenario::Nlse(p) => CpuRun::Nlse(Box::new(NlseCpu::from_checkpoint(p, state)?)),
            Scenario::ThreeBody(p) => {
                CpuRun::ThreeBody(Box::new(ThreeBodyCpu::from_checkpoint(p, state)?))
            }
            Scenario::NavierStokes(p) => {
                CpuRun::NavierStokes(Box::new(NsRun::from_checkpoint(p, state)?))
            }
            Scenario::Diffusion(_) => {
                return Err("diffusion sampling has no checkpoints: load its link".into());
            }
        })
    }

    /// A small picture of the state now.
    pub fn snapshot(&mut self) -> Snapshot {
        match self {
            CpuRun::Nlse(r) => {
                let field = r.field();
                let x = r.grid().x.clone();
                Snapshot::Curve(
                    x.iter()
                        .zip(&field)
                        .map(|(x, z)| [*x, z.norm_sqr()])
                        .collect(),
                )
            }
            CpuRun::ThreeBody(r) => Snapshot::Paths(
                r.trails()
                    .iter()
                    .map(|trail| trail.iter().map(|p| [p[0], p[1]]).collect())
                    .collect(),
            ),
            CpuRun::Diffusion(r) => {
                let dim = r.params().dim.max(1);
                let particles = r.particles();
                let stride = (particles.len() / dim).div_ceil(SNAPSHOT_POINTS).max(1);
                Snapshot::Points(
                    particles
                        .chunks_exact(dim)
                        .step_by(stride)
                        .map(|p| [p[0], p.get(1).copied().unwrap_or(0.0)])
                        .collect(),
                )
            }
            CpuRun::NavierStokes(r) => {
                Snapshot::Field(r.field(crate::sims::navier_stokes::run::FieldKind::Vorticity))
            }
        }
    }

    /// The run's accuracy now and what it measures: the error against the exact solution or
    /// a published table where the scenario has one, else the drift of a conserved quantity
    /// (diffusion: the distance to the reference ODE solution, or to the target).
    pub fn accuracy(&self) -> Option<(f64, &'static str)> {
        match self {
            CpuRun::Nlse(r) => Some(nlse_accuracy(r.diagnostics())),
            CpuRun::ThreeBody(r) => Some((
                r.diagnostics().max_energy_error,
                "max relative energy error",
            )),
            CpuRun::Diffusion(r) => match r.report() {
                Some(Ok(report)) => Some(match report.ode_error {
                    Some((rms, _)) => (rms, "RMS distance to the reference ODE solution"),
                    None => (report.sliced_w2, "sliced W2 distance to the target"),
                }),
                _ => None,
            },
            CpuRun::NavierStokes(r) => ns_accuracy(r),
        }
    }

    /// The state as one vector of numbers, for comparing two runs of one scenario: NLSE ψ̂
    /// (re, im), three-body positions and velocities, the diffusion particles, the
    /// Navier–Stokes face velocities.
    pub fn state_vector(&self) -> Vec<f64> {
        match self {
            CpuRun::Nlse(r) => r.spectrum().iter().flat_map(|z| [z.re, z.im]).collect(),
            CpuRun::ThreeBody(r) => r
                .bodies()
                .iter()
                .flat_map(|b| b.x.into_iter().chain(b.v))
                .collect(),
            CpuRun::Diffusion(r) => r.particles(),
            CpuRun::NavierStokes(r) => {
                let v = r.face_velocity();
                v.u.into_iter().chain(v.v).collect()
            }
        }
    }

    /// The work done so far: right-hand-side evaluations (NLSE, three-body), denoiser
    /// evaluations per particle (diffusion), time steps (Navier–Stokes).
    pub fn work(&self) -> f64 {
        match self {
            CpuRun::Nlse(r) => r.stats().nfe as f64,
            CpuRun::ThreeBody(r) => r.stats().nfe as f64,
            CpuRun::Diffusion(r) => r.nfe(),
            CpuRun::NavierStokes(r) => r.steps() as f64,
        }
    }

    /// The formal order of the run's method, where it has one (diffusion: deterministic
    /// samplers, as convergence to the probability-flow ODE solution).
    pub fn method_order(&self) -> Option<f64> {
        match self {
            CpuRun::Nlse(r) => Some(f64::from(r.params().method.order())),
            CpuRun::ThreeBody(r) => Some(f64::from(r.params().method.order())),
            CpuRun::Diffusion(r) => r.params().sampler.ode_order(r.params()),
            CpuRun::NavierStokes(r) => Some(f64::from(r.params().solver.time_order())),
        }
    }

    /// A closing summary for the user (diffusion: the sample against the target).
    pub fn summary(&self) -> Option<String> {
        match self {
            CpuRun::Diffusion(r) => match r.report() {
                Some(Ok(report)) => Some(format!(
                    "sample vs target: sliced W2 {:.4} (exact-set noise {:.4}), mode TV {:.4}{}",
                    report.sliced_w2,
                    report.sliced_w2_noise,
                    report.mode_tv,
                    report.ode_error.map_or(String::new(), |(rms, _)| format!(
                        ", RMS error vs the ODE solution {rms:.3e}"
                    ))
                )),
                _ => None,
            },
            _ => None,
        }
    }
}

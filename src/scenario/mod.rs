//! The one serde type behind the UI state, the share link, the desktop argument and the JS
//! API: a [`Scenario`] names the simulation and all of its parameters, including the seed, so a
//! link reproduces a run ([`link`] writes and reads the link form).
//!
//! This module is where the simulations are named: a scenario's `info` says what each is,
//! `cpu_run` and `gpu_run` run it behind the one [`crate::sims::run::Run`] interface,
//! `restore` continues a checkpoint, and the link form writes and parses each one's keys.
//! Everything above drives `Box<dyn Run>`.

pub mod gallery;
pub mod link;

pub use link::{LINK_VERSION, LinkError, MAX_LINK_BYTES, edit_link, format_f64};

use crate::checkpoint::Checkpoint;
use crate::sims::diffusion::DiffusionParams;
use crate::sims::navier_stokes::NsParams;
use crate::sims::nlse::NlseParams;
use crate::sims::run::Run;
use crate::sims::threebody::ThreeBodyParams;

/// A complete, reproducible scenario.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Scenario {
    /// The nonlinear Schrödinger equation.
    Nlse(NlseParams),
    /// Gravitational N-body dynamics.
    ThreeBody(ThreeBodyParams),
    /// Diffusion sampling on exact scores.
    Diffusion(DiffusionParams),
    /// 2D incompressible Navier–Stokes.
    NavierStokes(NsParams),
}

impl Default for Scenario {
    fn default() -> Self {
        NlseParams::default().into()
    }
}

impl std::str::FromStr for Scenario {
    type Err = LinkError;

    /// Parses a link (see [`Self::from_link`]).
    fn from_str(link: &str) -> Result<Scenario, LinkError> {
        Self::from_link(link)
    }
}

/// Every simulation, each at its default scenario, in menu order.
pub fn every_default() -> [Scenario; 4] {
    [
        NlseParams::default().into(),
        ThreeBodyParams::default().into(),
        DiffusionParams::default().into(),
        NsParams::default().into(),
    ]
}

/// `From<Params> for Scenario` and `TryFrom<Scenario> for Params` of one simulation: a run or
/// a panel holds its own parameters and converts at the boundary.
macro_rules! simulation_params {
    ($variant:ident, $params:ty) => {
        impl From<$params> for Scenario {
            fn from(params: $params) -> Scenario {
                Scenario::$variant(params)
            }
        }

        impl TryFrom<Scenario> for $params {
            type Error = String;

            fn try_from(scenario: Scenario) -> Result<$params, String> {
                let expected: Scenario = <$params>::default().into();
                let expected = expected.info().name;
                if let Scenario::$variant(params) = scenario {
                    Ok(params)
                } else {
                    Err(format!(
                        "a {} scenario was given where {expected} was expected",
                        scenario.info().name
                    ))
                }
            }
        }
    };
}

simulation_params!(Nlse, NlseParams);
simulation_params!(ThreeBody, ThreeBodyParams);
simulation_params!(Diffusion, DiffusionParams);
simulation_params!(NavierStokes, NsParams);

/// How the runs of a simulation's races go to the GPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GpuRaces {
    /// Every run in one dispatch (three-body: one invocation per run).
    Batched,
    /// One run after another, each through the scenario's `gpu_run`.
    Sequential,
    /// Not at all, and why.
    CpuOnly(&'static str),
}

/// A race worth watching on a simulation: the link edits it needs, the key varied over its
/// range, the solvers, the end time and whether errors are measured against reference runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RacePreset {
    /// Link keys set before the race (e.g. fixed steps).
    pub edits: &'static [(&'static str, &'static str)],
    /// The key varied.
    pub key: &'static str,
    /// Its range.
    pub range: (f64, f64),
    /// The solvers raced.
    pub solvers: &'static [&'static str],
    /// The end time of each run (None: diffusion sampling).
    pub until: Option<f64>,
    /// Whether the error is measured against a reference run rather than the scenario's
    /// own truth.
    pub against_reference: bool,
}

/// What a simulation is, for everything that does not run it.
#[derive(Clone, Debug, PartialEq)]
pub struct SimInfo {
    /// The link token (`s=`).
    pub key: &'static str,
    /// The name shown to people.
    pub name: &'static str,
    /// What it is, in a sentence (the selector's tooltip).
    pub doc: &'static str,
    /// The link key naming the solver.
    pub solver_key: &'static str,
    /// The solvers: (link token, label), in menu order.
    pub solvers: Vec<(&'static str, &'static str)>,
    /// What the work of a run counts.
    pub work_unit: &'static str,
    /// Whether runs advance to a time (diffusion sampling runs once from t_max to t_min).
    pub has_clock: bool,
    /// How its races go to the GPU.
    pub gpu_races: GpuRaces,
    /// The race the app starts with.
    pub race_preset: RacePreset,
}

/// (link token, label) of every value of a token enum.
fn menu<T: Copy>(
    all: &[T],
    key: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|m| (key(*m), label(*m))).collect()
}

impl Scenario {
    /// What the simulation is: its link token, solvers, work unit, races.
    pub fn info(&self) -> SimInfo {
        use crate::sims::{diffusion, navier_stokes, nlse, threebody};
        match self {
            Scenario::Nlse(_) => SimInfo {
                key: "nlse",
                name: "NLSE",
                doc: "i ψ_t + (β/2) ψ_xx + γ|ψ|²ψ = 0 on a periodic interval, Fourier pseudo-spectral in x.",
                solver_key: "solver",
                solvers: menu(
                    &nlse::NlseMethod::ALL,
                    nlse::NlseMethod::key,
                    nlse::NlseMethod::label,
                ),
                work_unit: "right-hand-side evaluations",
                has_clock: true,
                gpu_races: GpuRaces::Sequential,
                race_preset: RacePreset {
                    edits: &[],
                    key: "dt",
                    range: (0.1, 0.0125),
                    solvers: &["strang", "yoshida4", "rk4ip"],
                    until: Some(1.0),
                    against_reference: false,
                },
            },
            Scenario::ThreeBody(_) => SimInfo {
                key: "3body",
                name: "Three-body",
                doc: "Newtonian gravity of 2–16 bodies in 3D, G = 1: symplectic, Runge–Kutta, Hermite and IAS15 integrators.",
                solver_key: "solver",
                solvers: menu(
                    &threebody::ThreeBodyMethod::ALL,
                    threebody::ThreeBodyMethod::key,
                    threebody::ThreeBodyMethod::label,
                ),
                work_unit: "right-hand-side evaluations",
                has_clock: true,
                gpu_races: GpuRaces::Batched,
                race_preset: RacePreset {
                    edits: &[("steps", "fixed")],
                    key: "dt",
                    range: (0.02, 0.0025),
                    solvers: &["leapfrog", "yoshida4"],
                    until: Some(2.0),
                    against_reference: false,
                },
            },
            Scenario::Diffusion(_) => SimInfo {
                key: "diffusion",
                name: "Diffusion",
                doc: "Reverse-time SDE/ODE samplers of diffusion models on Gaussian mixtures with exact scores: every error is the sampler's.",
                solver_key: "sampler",
                solvers: menu(
                    &diffusion::SamplerKind::ALL,
                    diffusion::SamplerKind::key,
                    diffusion::SamplerKind::label,
                ),
                work_unit: "denoiser evaluations per particle",
                has_clock: false,
                gpu_races: GpuRaces::Sequential,
                race_preset: RacePreset {
                    edits: &[("init", "exact")],
                    key: "nfe",
                    range: (20.0, 160.0),
                    solvers: &["ddim", "heun", "dpm3"],
                    until: None,
                    against_reference: false,
                },
            },
            Scenario::NavierStokes(_) => SimInfo {
                key: "ns",
                name: "Navier–Stokes",
                doc: "2D incompressible flow: staggered-grid projection methods and a pseudo-spectral vorticity solver, against exact solutions and published tables.",
                solver_key: "solver",
                solvers: menu(
                    &navier_stokes::NsSolver::ALL,
                    navier_stokes::NsSolver::key,
                    navier_stokes::NsSolver::label,
                ),
                work_unit: "time steps",
                has_clock: true,
                gpu_races: GpuRaces::CpuOnly(
                    "Navier–Stokes races compare runs at one time, which the GPU's CFL steps \
                     do not land on: this race runs on the CPU",
                ),
                race_preset: RacePreset {
                    edits: &[],
                    key: "cfl",
                    range: (0.8, 0.1),
                    solvers: &["rk2", "rk3"],
                    until: Some(0.5),
                    against_reference: true,
                },
            },
        }
    }

    /// The run of the scenario on the f64 CPU reference.
    pub fn cpu_run(&self) -> Result<Box<dyn Run>, String> {
        use crate::sims::{diffusion, navier_stokes, nlse, threebody};
        Ok(match self {
            Scenario::Nlse(p) => Box::new(nlse::cpu::NlseCpu::new(p.clone())?),
            Scenario::ThreeBody(p) => Box::new(threebody::cpu::ThreeBodyCpu::new(p.clone())?),
            Scenario::Diffusion(p) => Box::new(diffusion::run::DiffusionRun::new(p.clone())?),
            Scenario::NavierStokes(p) => Box::new(navier_stokes::run::NsRun::new(p.clone())?),
        })
    }

    /// The run of the scenario on the f32 GPU path of `ctx`.
    pub fn gpu_run(&self, ctx: &crate::gpu::GpuContext) -> Result<Box<dyn Run>, String> {
        use crate::sims::{diffusion, navier_stokes, nlse, threebody};
        Ok(match self {
            Scenario::Nlse(p) => Box::new(nlse::as_run::NlseGpuRun::new(ctx, p.clone())?),
            Scenario::ThreeBody(p) => {
                Box::new(threebody::gpu_run::ThreeBodyGpuRun::new(ctx, p.clone())?)
            }
            Scenario::Diffusion(p) => {
                Box::new(diffusion::as_run::DiffusionGpuRun::new(ctx, p.clone())?)
            }
            Scenario::NavierStokes(p) => Box::new(navier_stokes::as_run::NsGpuRun::new(
                ctx,
                navier_stokes::run::NsRun::new(p.clone())?,
            )?),
        })
    }

    /// The run a checkpoint saved, continued on the CPU (f64), with its scenario.
    pub fn restore(checkpoint: &Checkpoint) -> Result<(Scenario, Box<dyn Run>), String> {
        use crate::sims::{navier_stokes, nlse, threebody};
        let scenario: Scenario = checkpoint
            .link
            .parse()
            .map_err(|e| format!("the checkpoint's link is bad: {e}"))?;
        let state = &checkpoint.state;
        let run: Box<dyn Run> = match &scenario {
            Scenario::Nlse(p) => Box::new(nlse::cpu::NlseCpu::from_checkpoint(p.clone(), state)?),
            Scenario::ThreeBody(p) => Box::new(threebody::cpu::ThreeBodyCpu::from_checkpoint(
                p.clone(),
                state,
            )?),
            Scenario::NavierStokes(p) => Box::new(navier_stokes::run::NsRun::from_checkpoint(
                p.clone(),
                state,
            )?),
            Scenario::Diffusion(_) => {
                return Err("diffusion sampling has no checkpoints: load its link".into());
            }
        };
        Ok((scenario, run))
    }

    /// A checkpoint of `run`, a run of this scenario (see [`crate::checkpoint`]).
    pub fn checkpoint(&self, run: &dyn Run) -> Result<Checkpoint, String> {
        Ok(Checkpoint::new(
            self.to_query(),
            self.sim_key(),
            run.time(),
            run.checkpoint_state()?,
        ))
    }

    /// The simulation's link token.
    pub fn sim_key(&self) -> &'static str {
        self.info().key
    }
}

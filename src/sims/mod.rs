//! The simulations. Each folder holds `mod.rs` (equation, parameters, diagnostics types),
//! `cpu.rs` (the f64 reference) and `scenarios.rs` (presets with their exact solutions).
//! None of them knows about the UI.

pub mod diffusion;
pub mod navier_stokes;
pub mod nlse;
pub mod threebody;

use crate::gpu::GpuContext;
use crate::race::{BatchRunner, Race};
use crate::scenario::Scenario;

/// Why the runs of `race` cannot go to the GPU, if they cannot: three-body races run every
/// run in one dispatch ([`threebody::gpu_race`]); NLSE and diffusion races run one run after
/// another on their GPU paths ([`nlse::gpu_race`], [`diffusion::gpu_race`]); Navier–Stokes
/// races run on the CPU (they compare runs at one time, which the GPU's CFL steps do not
/// land on).
pub fn gpu_race_unsupported(race: &Race) -> Option<String> {
    match race.scenario() {
        Scenario::ThreeBody(_) => threebody::gpu_race::unsupported(race),
        Scenario::Nlse(_) => nlse::gpu_race::unsupported(race),
        Scenario::Diffusion(_) => diffusion::gpu_race::unsupported(race),
        Scenario::NavierStokes(_) => Some(
            "Navier–Stokes races compare runs at one time, which the GPU's CFL steps do not \
             land on: this race runs on the CPU"
                .into(),
        ),
    }
}

/// The GPU runner of `race` (see [`gpu_race_unsupported`]); `blocking` waits for the device
/// (command line, tests), else each call polls (the app).
pub fn gpu_race_runner(
    ctx: &GpuContext,
    race: &Race,
    blocking: bool,
) -> Result<Box<dyn BatchRunner>, String> {
    if let Some(why) = gpu_race_unsupported(race) {
        return Err(why);
    }
    Ok(match race.scenario() {
        Scenario::Nlse(_) => Box::new(nlse::gpu_race::GpuNlseRace::new(ctx, race, blocking)?),
        Scenario::Diffusion(_) => Box::new(diffusion::gpu_race::GpuDiffusionRace::new(
            ctx, race, blocking,
        )?),
        _ => Box::new(threebody::gpu_race::GpuThreeBodyRace::new(
            ctx, race, blocking,
        )?),
    })
}

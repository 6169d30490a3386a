//! The contract between the app's shell and a simulation's panel. The shell owns what every
//! simulation shares — the left panel's frame (simulation and mode selectors, compute and
//! shadow switches, transport, statistics, notices, links and exports), the clock, the device,
//! the JSON envelope of the JS API — and turns every error into a notice in one place. A
//! [`SimPanel`] owns one simulation's run, its controls, its central view and its JSON fields.

use crate::checkpoint::Checkpoint;
use crate::core::shadow::ShadowPoint;
use crate::gpu::GpuContext;
use crate::scenario::Scenario;
use crate::sims::run::RunHistory;

/// What the shell lends a panel for one call.
#[derive(Clone, Copy)]
pub struct Shell<'a> {
    /// The device eframe renders with, when it can compute.
    pub gpu: Option<&'a GpuContext>,
    /// eframe's renderer, to register GPU-drawn pictures as egui textures.
    pub render_state: Option<&'a eframe::egui_wgpu::RenderState>,
}

/// One frame's clock.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// Whether the simulation plays.
    pub running: bool,
    /// Wall time since the last frame, in seconds (at most 0.1).
    pub wall_dt: f64,
    /// Wall time the simulation may use this frame, in seconds.
    pub budget: f64,
    /// Simulation time per wall second (for the panels it paces).
    pub speed: f64,
}

/// What a call tells the user: an error (the state before it is kept), or information.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// Something was rejected or failed.
    Error(String),
    /// Information (e.g. which backend renders).
    Info(String),
}

/// The end of a frame: a notice to show, whether the clock stops (a failed step, the end of
/// a sampling run), and whether the device failed (the shell stops offering it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FrameReport {
    /// What to tell the user.
    pub notice: Option<Notice>,
    /// Stop the clock.
    pub pause: bool,
    /// The GPU failed, and why.
    pub gpu_lost: Option<String>,
}

impl FrameReport {
    /// A failure: shown, and the clock stops.
    pub fn failed(why: String) -> Self {
        Self {
            notice: Some(Notice::Error(why)),
            pause: true,
            gpu_lost: None,
        }
    }

    /// Only a notice (None: nothing to say).
    pub fn notice(notice: Option<Notice>) -> Self {
        Self {
            notice,
            ..Self::default()
        }
    }
}

/// An edit of the parameters applied (nothing to say) or refused with the reason (the edit is
/// reverted).
pub fn applied(result: Result<(), String>) -> Result<Option<String>, String> {
    result
        .map(|()| None)
        .map_err(|e| format!("Not applied: {e}"))
}

/// The parameters of the simulation `P` a checkpoint's link holds.
pub fn checkpoint_params<P: TryFrom<Scenario, Error = String>>(
    checkpoint: &Checkpoint,
) -> Result<P, String> {
    let scenario: Scenario = checkpoint.link.parse().map_err(|e| format!("{e}"))?;
    P::try_from(scenario)
}

/// The fields of a JSON object (`json!({…})` of a panel's fields).
pub fn fields(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map,
        other => serde_json::Map::from_iter([("value".to_owned(), other)]),
    }
}

/// A row of the statistics grid: name, value, tooltip.
pub type StatRow = (&'static str, String, &'static str);

/// One simulation in the app (see the module docs). Every call that can fail returns why; the
/// shell shows it and keeps the state as it was.
pub trait SimPanel {
    /// The simulation's link token.
    fn key(&self) -> &'static str;

    /// The scenario as the run stands (its link reproduces it).
    fn scenario(&self) -> Scenario;

    /// The simulation time shown and reported.
    fn time(&self) -> f64;

    /// Replaces the run with one of `scenario`, a scenario of this simulation (on the GPU if
    /// the panel computes there and the scenario can). On error nothing changes.
    fn load(&mut self, scenario: Scenario, shell: Shell) -> Result<(), String>;

    /// Applies edited parameters of this simulation to the run (live where possible, else a
    /// restart); returns information worth telling (e.g. a switch of path).
    fn edit(&mut self, scenario: Scenario, shell: Shell) -> Result<Option<String>, String>;

    /// The simulation's own controls in the left panel (edits apply at once).
    fn controls(&mut self, shell: Shell, ui: &mut egui::Ui) -> Option<Notice>;

    /// The statistics grid under the transport buttons.
    fn stats(&self) -> Vec<StatRow>;

    /// Whether the speed slider (simulation time per wall second) paces the run.
    fn paced_by_speed(&self) -> bool {
        true
    }

    /// The central view.
    fn central(&mut self, shell: Shell, ui: &mut egui::Ui) -> Option<Notice>;

    /// One frame of work.
    fn advance_frame(&mut self, shell: Shell, clock: Clock) -> FrameReport;

    /// Takes `n` steps (the Step button, the → key, the JS API).
    fn step(&mut self, n: u32, shell: Shell) -> Result<(), String>;

    /// Runs to time `t` (diffusion sampling: to its end).
    fn run_until(&mut self, t: f64, shell: Shell) -> Result<(), String>;

    /// Restarts the scenario from its initial state.
    fn reset(&mut self, shell: Shell) -> Result<(), String>;

    /// Switches the central view by name.
    fn set_view(&mut self, name: &str) -> Result<(), String>;

    /// Whether the run can be computed on the GPU (the shell then offers the switch and the
    /// f64 shadow).
    fn has_gpu_path(&self) -> bool {
        false
    }

    /// Whether the GPU computes the run.
    fn computes_on_gpu(&self) -> bool {
        false
    }

    /// Moves the run to the GPU (`on_gpu`, on `shell.gpu`, which the shell has checked) or
    /// back to the CPU, handing the state over; returns what to tell the user.
    fn set_compute(&mut self, on_gpu: bool, shell: Shell) -> Result<Option<String>, String>;

    /// Lets an f64 shadow follow the GPU run, or stops it.
    fn set_shadow(&mut self, _on: bool) -> Result<(), String> {
        Err("this simulation has no f64 shadow: it does not compute on the GPU".into())
    }

    /// Whether an f64 shadow follows the GPU run.
    fn shadow_on(&self) -> bool {
        false
    }

    /// The shadow's comparisons so far.
    fn shadow_points(&self) -> &[ShadowPoint] {
        &[]
    }

    /// Why single precision limits the GPU run, if it does.
    fn precision_limit(&self) -> Option<String> {
        None
    }

    /// Continues on the f64 shadow (the GPU run is dropped).
    fn continue_on_shadow(&mut self) -> Result<(), String> {
        Err("no f64 shadow is following a GPU run".into())
    }

    /// The simulation's fields of the JS API's diagnostics (the shell adds `sim`, `t`,
    /// `compute`, `notice`, `link` and the device).
    fn json(&self) -> serde_json::Map<String, serde_json::Value>;

    /// Whether work is under way that needs frames (GPU results on their way, a map).
    fn busy(&self) -> bool;

    /// The recorded history, for exports.
    fn history(&self) -> RunHistory;

    /// A checkpoint of the run (a GPU run as last read back).
    fn checkpoint(&self) -> Result<Checkpoint, String>;

    /// Continues from `checkpoint`, a checkpoint of this simulation whose link was loaded.
    fn restore(&mut self, checkpoint: &Checkpoint) -> Result<(), String>;

    /// The panel as `Any`, for the JS API's calls that belong to one simulation (obstacles,
    /// pushes, chaos maps).
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any;
}

//! Everything egui: the eframe application as a shell of panels. The shell ([`StepscopeApp`])
//! owns what every simulation shares — the left panel's frame, the clock, the device, the
//! notices and the JS API's JSON envelope — and each simulation is a [`panel::SimPanel`]
//! (`nlse/`, `threebody/`, `diffusion/`, `navier_stokes/`) with its run, controls and views.
//! No numerics here: the UI edits [`crate::scenario::Scenario`] parameters and reads
//! diagnostics.

mod actions;
mod address;
mod chaos_map;
pub mod chart;
pub mod colour;
mod controls;
mod diffusion;
pub mod export;
pub mod fonts;
mod frame;
mod intro;
mod navier_stokes;
mod nlse;
pub mod pace;
pub mod panel;
mod plots;
pub mod race;
mod threebody;

pub use nlse::{F32_NOTICE, NlseRun};
pub use panel::Notice;

use web_time::Instant;

use crate::gpu::GpuContext;
use crate::scenario::Scenario;
use panel::{Shell, SimPanel};

/// Storage key of the last scenario (localStorage on the web, a file on the desktop).
const STORAGE_KEY: &str = "stepscope.scenario";

/// The panel of `scenario`'s simulation, running it: the app's one match on the simulation.
fn panel_of(scenario: Scenario) -> Result<Box<dyn SimPanel>, String> {
    Ok(match scenario {
        Scenario::Nlse(p) => Box::new(nlse::NlsePanel::new(p)?),
        Scenario::ThreeBody(p) => Box::new(threebody::ThreeBodyApp::new(p)?),
        Scenario::Diffusion(p) => Box::new(diffusion::DiffusionApp::new(p)?),
        Scenario::NavierStokes(p) => Box::new(navier_stokes::NsApp::new(p)?),
    })
}

/// The playground application.
pub struct StepscopeApp {
    /// The simulations opened so far; each keeps its run while another is shown.
    panels: Vec<Box<dyn SimPanel>>,
    /// The one shown.
    active: usize,
    /// The device eframe renders with, when it can compute (WebGPU, Vulkan, Metal, DX12;
    /// not WebGL).
    gpu: Option<GpuContext>,
    /// Why there is no GPU compute, for the UI.
    gpu_unavailable: String,
    /// eframe's renderer, to register the GPU-drawn pictures as egui textures.
    render_state: Option<eframe::egui_wgpu::RenderState>,
    running: bool,
    /// Simulation time units per wall-clock second.
    speed: f64,
    last_frame: Option<Instant>,
    notice: Option<Notice>,
    backend: String,
    /// The run's link in the address bar (or title) and the link box.
    address: address::AddressBar,
    /// The link at the end of the last frame, to notice changes made between frames.
    last_link: String,
    /// Frame times and the achieved simulation rate.
    pace: pace::Pace,
    /// Solver and parameter switches of each simulation (link token, marker), drawn on its
    /// time axes.
    switches: Vec<(&'static str, chart::Marker)>,
    /// The egui context, to wake the UI after changes from outside (the JS API).
    egui_ctx: Option<egui::Context>,
    /// A recording of the window is running (frames are drawn continuously so that the
    /// video has them even when nothing moves).
    pub recording: bool,
    /// A picture export waits for the window's screenshot.
    picture_requested: bool,
    /// Where the window's screenshot arrives.
    screenshot: std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<egui::ColorImage>>>>,
    /// Whether the central panel shows the race lab instead of the single run.
    race_mode: bool,
    /// The race lab, once opened (of the scenario it was opened on).
    race_lab: Option<race::RaceLab>,
    /// The equation, the presets and the "press Play" prompt.
    intro: intro::Intro,
}

impl StepscopeApp {
    /// Creates the app from a link if one was given (URL or command line), otherwise from the
    /// last stored scenario, otherwise the default. A bad link is reported, never fatal.
    pub fn new(initial_link: Option<&str>, stored: Option<String>, backend: String) -> Self {
        let mut notice = None;
        let mut scenario = None;
        let mut bad_link = None;
        if let Some(link) = initial_link.filter(|l| !l.trim().is_empty()) {
            match link.parse::<Scenario>() {
                Ok(s) => scenario = Some(s),
                Err(e) => bad_link = Some(e.to_string()),
            }
        }
        if scenario.is_none() {
            scenario = stored.and_then(|q| q.parse::<Scenario>().ok());
        }
        if let Some(why) = bad_link {
            let instead = if scenario.is_some() {
                "the last run is shown instead"
            } else {
                "the default scenario is shown instead"
            };
            notice = Some(Notice::Error(format!(
                "The link could not be loaded: {why}; {instead}."
            )));
        }
        let panel = panel_of(scenario.unwrap_or_default())
            .or_else(|_| panel_of(Default::default()))
            .expect("the default scenario is valid");
        Self {
            panels: vec![panel],
            active: 0,
            gpu: None,
            gpu_unavailable: "no GPU device was handed to this app".to_owned(),
            render_state: None,
            running: false,
            speed: 1.0,
            last_frame: None,
            notice,
            backend,
            address: address::AddressBar::default(),
            last_link: String::new(),
            pace: pace::Pace::default(),
            switches: Vec::new(),
            egui_ctx: None,
            recording: false,
            picture_requested: false,
            screenshot: Default::default(),
            race_mode: false,
            race_lab: None,
            intro: Default::default(),
        }
    }

    /// The eframe entry: reads the stored scenario and the renderer's backend.
    pub fn from_creation_context(
        cc: &eframe::CreationContext<'_>,
        initial_link: Option<&str>,
    ) -> Self {
        let stored = cc.storage.and_then(|s| s.get_string(STORAGE_KEY));
        let backend = match &cc.wgpu_render_state {
            Some(rs) => {
                let info = rs.adapter.get_info();
                format!("{:?} ({})", info.backend, info.name)
            }
            None => "no wgpu renderer".to_owned(),
        };
        let mut app = Self::new(initial_link, stored, backend);
        fonts::install(&cc.egui_ctx);
        // The same start on the web and the desktop: light (readable on a projector), unless
        // the user chose dark before (egui keeps the choice).
        if cc.egui_ctx.options(|o| o.theme_preference) == egui::ThemePreference::System {
            cc.egui_ctx.set_theme(egui::ThemePreference::Light);
        }
        app.egui_ctx = Some(cc.egui_ctx.clone());
        match &cc.wgpu_render_state {
            Some(rs) if rs.adapter.get_info().backend == eframe::wgpu::Backend::Gl => {
                app.gpu_unavailable = "this browser has no WebGPU (rendering falls back to \
                    WebGL, which has no compute shaders): the CPU computes"
                    .to_owned();
            }
            Some(rs) => {
                app.gpu = Some(GpuContext::from_render_state(rs));
                app.render_state = Some(rs.clone());
            }
            None => {}
        }
        app
    }

    /// The panel shown.
    fn panel(&self) -> &dyn SimPanel {
        self.panels[self.active].as_ref()
    }

    /// The shell's lendings and the panel shown, borrowed together.
    fn parts(&mut self) -> (Shell<'_>, &mut dyn SimPanel) {
        let shell = Shell {
            gpu: self.gpu.as_ref(),
            render_state: self.render_state.as_ref(),
        };
        (shell, self.panels[self.active].as_mut())
    }

    /// Shows `result`'s error as the notice (the state before the call is kept) and passes it
    /// on: the one place where errors become notices.
    fn noted<T>(&mut self, result: Result<T, String>) -> Result<T, String> {
        if let Err(e) = &result {
            self.notice = Some(Notice::Error(e.clone()));
        }
        result
    }

    /// Like [`Self::noted`] for a failed run: the clock stops too.
    fn stopped_if_failed(&mut self, result: Result<(), String>) -> Result<(), String> {
        if result.is_err() {
            self.running = false;
        }
        self.request_repaint();
        self.noted(result)
    }

    /// The current scenario.
    pub fn scenario(&self) -> Scenario {
        self.panel().scenario()
    }

    /// The link token of the simulation shown.
    pub fn active_simulation(&self) -> &'static str {
        self.panel().key()
    }

    /// Shows the simulation with link token `key`; each keeps its run (a new one starts from
    /// its defaults).
    pub fn set_simulation(&mut self, key: &str) -> Result<(), String> {
        let found = self.panels.iter().position(|p| p.key() == key);
        let index = match found {
            Some(index) => index,
            None => {
                let scenario = crate::scenario::every_default()
                    .into_iter()
                    .find(|s| s.sim_key() == key)
                    .ok_or_else(|| format!("unknown simulation '{key}'"));
                let panel = self.noted(scenario.and_then(panel_of))?;
                self.panels.push(panel);
                self.panels.len() - 1
            }
        };
        self.active = index;
        self.notice = None;
        Ok(())
    }

    /// Loads a link; on error the current run is kept and the error returned (and shown).
    pub fn load_link(&mut self, link: &str) -> Result<(), String> {
        let result = link
            .parse::<Scenario>()
            .map_err(|e| e.to_string())
            .and_then(|scenario| self.load_scenario(scenario))
            .map_err(|e| format!("The link could not be loaded: {e}"));
        self.noted(result)?;
        self.notice = None;
        self.new_run();
        let key = self.active_simulation();
        self.intro.forget(key);
        Ok(())
    }

    /// The simulation shown starts a new run: its switch markers go, and the link it starts
    /// with is not a switch.
    fn new_run(&mut self) {
        let key = self.active_simulation();
        self.switches.retain(|(sim, _)| *sim != key);
        self.last_link = self.scenario().to_query();
        self.intro.started = false;
    }

    /// Runs `scenario` in its simulation's panel (opened if needed) and shows it.
    fn load_scenario(&mut self, scenario: Scenario) -> Result<(), String> {
        let key = scenario.sim_key();
        match self.panels.iter().position(|p| p.key() == key) {
            Some(index) => {
                let shell = Shell {
                    gpu: self.gpu.as_ref(),
                    render_state: self.render_state.as_ref(),
                };
                self.panels[index].load(scenario, shell)?;
                self.active = index;
            }
            None => {
                self.panels.push(panel_of(scenario)?);
                self.active = self.panels.len() - 1;
            }
        }
        Ok(())
    }

    /// Sets one parameter by its link key (e.g. `solver`, `rtol`), validated like a link.
    pub fn set_param(&mut self, key: &str, value: &str) -> Result<(), String> {
        let link =
            crate::scenario::edit_link(&self.scenario().to_query(), &[(key, value.to_owned())]);
        let scenario = link.parse::<Scenario>().map_err(|e| e.to_string());
        let scenario = self.noted(scenario)?;
        let (shell, panel) = self.parts();
        let result = panel.edit(scenario, shell);
        self.notice = result.clone().ok().flatten().map(Notice::Info);
        self.noted(result)?;
        let link = self.scenario().to_query();
        self.note_switch(&link);
        Ok(())
    }

    /// Takes `n` accepted steps (the JS API's `step(n)` and the → key).
    pub fn step(&mut self, n: u32) {
        self.intro.started = true;
        let (shell, panel) = self.parts();
        let result = panel.step(n, shell);
        let _ = self.stopped_if_failed(result);
    }

    /// Runs the simulation up to time `t` (JS API), within a step budget.
    pub fn run_until(&mut self, t: f64) -> Result<(), String> {
        if !t.is_finite() {
            return Err(format!("end time must be finite, got {t}"));
        }
        self.intro.started = true;
        let (shell, panel) = self.parts();
        let result = panel.run_until(t, shell);
        self.stopped_if_failed(result)
    }

    /// Switches the view: `state`, `waterfall` or `spectrum` (NLSE); `orbits` or `map`
    /// (three-body); `vorticity`, `speed`, `pressure` or `dye` (Navier–Stokes).
    pub fn set_view(&mut self, name: &str) -> Result<(), String> {
        self.panels[self.active].set_view(name)
    }

    /// Starts or stops the clock.
    pub fn set_running(&mut self, running: bool) {
        self.running = running;
        self.intro.started |= running;
        self.last_frame = None;
    }

    /// Whether the clock runs.
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Restarts the current scenario from t = 0.
    pub fn reset(&mut self) {
        let (shell, panel) = self.parts();
        let result = panel.reset(shell);
        if self.noted(result).is_ok() {
            self.notice = None;
            self.new_run();
        }
    }

    /// Our recent frames: CPU time (eframe's measurement) and frames per second.
    pub fn frame_stats(&self) -> pace::FrameStats {
        self.pace.stats()
    }

    /// Starts the frame statistics afresh.
    pub fn reset_frame_stats(&mut self) {
        self.pace.reset();
    }

    /// Copies the run's link to the clipboard, with a confirmation (the button and the JS
    /// API); returns the link.
    pub fn copy_link(&mut self) -> String {
        let link = self
            .address
            .copy(self.egui_ctx.as_ref(), &self.scenario().to_query());
        self.notice = Some(Notice::Info(format!(
            "Link copied to the clipboard: {link}"
        )));
        link
    }

    /// The renderer backend, e.g. "BrowserWebGpu (…)" or "Gl (…)".
    pub fn backend(&self) -> &str {
        &self.backend
    }

    /// Gives the app a device to compute on (the kittest harness and the desktop's tests).
    pub fn set_gpu(&mut self, ctx: Option<GpuContext>) {
        self.gpu = ctx;
    }

    /// Whether the GPU computes the run.
    pub fn computes_on_gpu(&self) -> bool {
        self.panel().computes_on_gpu()
    }

    /// Why the GPU path is unavailable (None when it is available).
    pub fn gpu_unavailable(&self) -> Option<&str> {
        self.gpu.is_none().then_some(self.gpu_unavailable.as_str())
    }

    /// Switches the computing path, handing the current state over. Asking for the GPU
    /// where there is none, or for a method it lacks, keeps the CPU with a notice.
    pub fn set_compute(&mut self, on_gpu: bool) -> Result<(), String> {
        if on_gpu && self.gpu.is_none() && self.panel().has_gpu_path() {
            let why = format!("No GPU compute: {}.", self.gpu_unavailable);
            return self.noted(Err(why));
        }
        let (shell, panel) = self.parts();
        let result = panel.set_compute(on_gpu, shell);
        if let Ok(Some(info)) = &result {
            self.notice = Some(Notice::Info(info.clone()));
        }
        self.noted(result).map(|_| ())
    }

    /// The diagnostics as JSON (JS API, tests): the simulation's fields in one envelope
    /// (`sim`, `t`, `compute`, `notice`, `link`, the clock and the device).
    pub fn diagnostics_json(&self) -> String {
        let panel = self.panel();
        let mut value = panel.json();
        let notice = match &self.notice {
            Some(Notice::Error(e) | Notice::Info(e)) => Some(e.clone()),
            None => None,
        };
        let envelope = serde_json::json!({
            "sim": panel.key(),
            "t": panel.time(),
            "compute": if panel.computes_on_gpu() { "gpu-f32" } else { "cpu-f64" },
            "notice": notice,
            "link": panel.scenario().to_query(),
            "link_box": self.address.input,
            "link_published": self.address.published(),
            "link_copied": self.address.just_copied(),
            "running": self.running,
            "backend": self.backend,
            "gpu_available": self.gpu.is_some(),
            "gpu_adapter": self.gpu.as_ref().map(|g| g.describe()),
        });
        if let serde_json::Value::Object(envelope) = envelope {
            value.extend(envelope);
        }
        serde_json::Value::Object(value).to_string()
    }

    /// Asks for a new frame (after a change made from outside the UI).
    pub fn request_repaint(&self) {
        if let Some(ctx) = &self.egui_ctx {
            ctx.request_repaint();
        }
    }
}

impl eframe::App for StepscopeApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.pace.frame(frame.info().cpu_usage);
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        storage.set_string(STORAGE_KEY, self.scenario().to_query());
    }

    #[cfg(target_arch = "wasm32")]
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}

//! Everything egui: the eframe application, its panels and views. No numerics here: the UI
//! edits [`crate::scenario::Scenario`] parameters and reads diagnostics.

mod chaos_map;
pub mod colour;
mod compute;
mod diffusion;
pub mod export;
mod navier_stokes;
mod panels;
pub mod race;
mod threebody;
mod views;

use crate::sims::nlse::shadow::PrecisionShadow;
pub use compute::{F32_NOTICE, NlseRun};

use web_time::Instant;

use crate::core::stats::Outcome;
use crate::gpu::GpuContext;
use crate::scenario::Scenario;
use crate::sims::diffusion::DiffusionParams;
use crate::sims::navier_stokes::NsParams;
use crate::sims::nlse::NlseParams;
use crate::sims::threebody::ThreeBodyParams;

/// Storage key of the last scenario (localStorage on the web, a file on the desktop).
const STORAGE_KEY: &str = "stepscope.scenario";

/// Wall time per frame the simulation may use, so the UI stays responsive.
const FRAME_COMPUTE_BUDGET_S: f64 = 0.012;

/// A message for the user: an error keeps the previous state; a notice is informational.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// Something was rejected or failed.
    Error(String),
    /// Information (e.g. which backend renders).
    Info(String),
}

/// Which simulation the app shows and runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActiveSim {
    /// The nonlinear Schrödinger equation.
    Nlse,
    /// Gravitational N-body dynamics.
    ThreeBody,
    /// Diffusion sampling on exact scores.
    Diffusion,
    /// 2D incompressible Navier–Stokes.
    NavierStokes,
}

/// The playground application.
pub struct StepscopeApp {
    /// Which simulation is shown; the other keeps its state.
    active: ActiveSim,
    /// The three-body run, once opened.
    three_body: Option<threebody::ThreeBodyApp>,
    /// The diffusion-sampling run, once opened.
    diffusion: Option<diffusion::DiffusionApp>,
    /// The Navier–Stokes run, once opened.
    navier_stokes: Option<navier_stokes::NsApp>,
    sim: NlseRun,
    /// The device eframe renders with, when it can compute (WebGPU, Vulkan, Metal, DX12;
    /// not WebGL).
    gpu: Option<GpuContext>,
    /// Why there is no GPU compute, for the UI.
    gpu_unavailable: String,
    /// How far the GPU path has been asked to go (its readbacks lag a frame or two behind).
    gpu_target: f64,
    /// An end time asked for through the JS API's run_until on the GPU path.
    run_target: Option<f64>,
    /// eframe's renderer, to register the GPU-drawn pictures as egui textures.
    render_state: Option<eframe::egui_wgpu::RenderState>,
    /// The registered pictures: (views id, waterfall, spectrogram).
    gpu_textures: Option<(u64, egui::TextureId, egui::TextureId)>,
    /// The Navier–Stokes GPU picture registered with the renderer: (GpuNs id, texture).
    ns_texture: Option<(u64, egui::TextureId)>,
    /// Parameters as edited in the panel (applied when they change).
    draft: NlseParams,
    running: bool,
    /// Simulation time units per wall-clock second.
    speed: f64,
    last_frame: Option<Instant>,
    /// Smoothed accepted steps per wall second.
    steps_per_second: f64,
    notice: Option<Notice>,
    backend: String,
    link_input: String,
    waterfall_texture: Option<egui::TextureHandle>,
    waterfall_rows_drawn: (usize, f64),
    /// Which view the central panel shows.
    view: views::View,
    /// The egui context, to wake the UI after changes from outside (the JS API).
    egui_ctx: Option<egui::Context>,
    /// A recording of the window is running (frames are drawn continuously so that the
    /// video has them even when nothing moves).
    pub recording: bool,
    /// A picture export waits for the window's screenshot.
    picture_requested: bool,
    /// Where the window's screenshot arrives.
    screenshot: std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<egui::ColorImage>>>>,
    /// Whether an f64 shadow should follow the NLSE's GPU run.
    shadow_wanted: bool,
    /// The f64 shadow of the NLSE's GPU run.
    shadow: Option<PrecisionShadow>,
    /// Whether the central panel shows the race lab instead of the single run.
    race_mode: bool,
    /// The race lab, once opened (of the scenario it was opened on).
    race_lab: Option<race::RaceLab>,
}

impl StepscopeApp {
    /// Creates the app from a link if one was given (URL or command line), otherwise from the
    /// last stored scenario, otherwise the default. A bad link is reported, never fatal.
    pub fn new(initial_link: Option<&str>, stored: Option<String>, backend: String) -> Self {
        let mut notice = None;
        let mut scenario = None;
        if let Some(link) = initial_link.filter(|l| !l.trim().is_empty()) {
            match Scenario::from_link(link) {
                Ok(s) => scenario = Some(s),
                Err(e) => {
                    notice = Some(Notice::Error(format!("The link could not be loaded: {e}")))
                }
            }
        }
        if scenario.is_none() {
            scenario = stored.and_then(|q| Scenario::from_link(&q).ok());
        }
        let (mut params, mut three_body, mut diffusion, mut navier_stokes) =
            (NlseParams::default(), None, None, None);
        match scenario.unwrap_or_default() {
            Scenario::Nlse(p) => params = p,
            Scenario::ThreeBody(p) => three_body = threebody::ThreeBodyApp::new(p).ok(),
            Scenario::Diffusion(p) => diffusion = diffusion::DiffusionApp::new(p).ok(),
            Scenario::NavierStokes(p) => navier_stokes = navier_stokes::NsApp::new(p).ok(),
        }
        let active = if three_body.is_some() {
            ActiveSim::ThreeBody
        } else if diffusion.is_some() {
            ActiveSim::Diffusion
        } else if navier_stokes.is_some() {
            ActiveSim::NavierStokes
        } else {
            ActiveSim::Nlse
        };
        let sim = NlseRun::cpu(params.clone())
            .or_else(|_| NlseRun::cpu(NlseParams::default()))
            .expect("the default scenario is valid");
        Self {
            active,
            three_body,
            diffusion,
            navier_stokes,
            draft: sim.params().clone(),
            sim,
            gpu: None,
            gpu_unavailable: "no GPU device was handed to this app".to_owned(),
            gpu_target: 0.0,
            run_target: None,
            render_state: None,
            gpu_textures: None,
            ns_texture: None,
            running: false,
            speed: 1.0,
            last_frame: None,
            steps_per_second: 0.0,
            notice,
            backend,
            link_input: String::new(),
            waterfall_texture: None,
            waterfall_rows_drawn: (0, f64::NAN),
            view: views::View::State,
            egui_ctx: None,
            recording: false,
            picture_requested: false,
            screenshot: Default::default(),
            shadow_wanted: false,
            shadow: None,
            race_mode: false,
            race_lab: None,
        }
    }

    /// Lets an f64 CPU shadow follow the NLSE's f32 GPU run (`on`), or stops it. Refused,
    /// with the reason, when the NLSE does not compute on the GPU or its grid is too large
    /// for an f64 run to keep up.
    pub fn set_shadow(&mut self, on: bool) -> Result<(), String> {
        match (self.active, &mut self.diffusion, &mut self.navier_stokes) {
            (ActiveSim::Diffusion, Some(d), _) => return d.set_shadow(on),
            (ActiveSim::NavierStokes, _, Some(ns)) => return ns.set_shadow(on),
            _ => {}
        }
        if on {
            if !self.sim.is_gpu() {
                return Err(
                    "the f64 shadow follows the GPU (f32) run: compute on the GPU first".into(),
                );
            }
            if !PrecisionShadow::affordable(self.sim.params()) {
                return Err(format!(
                    "an f64 shadow follows grids up to N = {} (this one has N = {})",
                    crate::sims::nlse::shadow::MAX_SHADOW_POINTS_N,
                    self.sim.params().n
                ));
            }
        } else {
            self.shadow = None;
        }
        self.shadow_wanted = on;
        Ok(())
    }

    /// Whether an f64 shadow follows the GPU run.
    pub fn shadow_on(&self) -> bool {
        match (self.active, &self.diffusion, &self.navier_stokes) {
            (ActiveSim::Diffusion, Some(d), _) => d.shadow.on(),
            (ActiveSim::NavierStokes, _, Some(ns)) => ns.shadow.on(),
            _ => self.shadow_wanted,
        }
    }

    /// The shadow's comparisons so far (of the active simulation's GPU run).
    pub fn shadow_points(&self) -> &[crate::core::shadow::ShadowPoint] {
        match (self.active, &self.diffusion, &self.navier_stokes) {
            (ActiveSim::Diffusion, Some(d), _) => d.shadow.points(),
            (ActiveSim::NavierStokes, _, Some(ns)) => ns.shadow.points(),
            _ => self.shadow.as_ref().map_or(&[], |s| s.points()),
        }
    }

    /// Why single precision limits the GPU run, if it does (None on the CPU).
    pub fn precision_limit(&self) -> Option<String> {
        if matches!(self.active, ActiveSim::Diffusion | ActiveSim::NavierStokes) {
            return self
                .computes_on_gpu()
                .then(|| crate::core::shadow::precision_limit(self.shadow_points().last()))
                .flatten();
        }
        if !self.sim.is_gpu() {
            return None;
        }
        crate::sims::nlse::shadow::precision_limit(self.sim.params(), self.shadow_points().last())
    }

    /// Continues the run on the f64 shadow: the main view switches to the path that has been
    /// f64 since the shadow started (the GPU run is dropped).
    pub fn continue_on_shadow(&mut self) -> Result<(), String> {
        let continued = match (self.active, &mut self.diffusion, &mut self.navier_stokes) {
            (ActiveSim::Diffusion, Some(d), _) => Some(d.continue_on_shadow()),
            (ActiveSim::NavierStokes, _, Some(ns)) => Some(ns.continue_on_shadow()),
            _ => None,
        };
        if let Some(continued) = continued {
            continued?;
            self.notice = Some(Notice::Info(
                "Continuing on the f64 shadow: the CPU run that followed the GPU in double \
                 precision."
                    .into(),
            ));
            return Ok(());
        }
        let shadow = self
            .shadow
            .take()
            .ok_or("no f64 shadow is following the GPU run")?;
        let at = shadow.points().last().map(|p| p.t);
        if at != Some(shadow.run().stats().t) {
            self.shadow = Some(shadow);
            return Err("the f64 shadow has not caught up with the GPU run yet".into());
        }
        self.sim = NlseRun::Cpu(Box::new(shadow.into_run()));
        self.shadow_wanted = false;
        self.draft = self.sim.params().clone();
        self.notice = Some(Notice::Info(
            "Continuing on the f64 shadow: the CPU run that followed the GPU in double precision."
                .into(),
        ));
        Ok(())
    }

    /// Keeps the shadow in lockstep with the GPU run: (re)started from the GPU's state when
    /// there is none or the parameters changed, else advanced to the GPU's last reported time
    /// within `budget` seconds.
    fn follow_shadow(&mut self, budget: f64) {
        let NlseRun::Gpu(r) = &self.sim else {
            self.shadow = None;
            self.shadow_wanted = false;
            return;
        };
        if !self.shadow_wanted {
            return;
        }
        let (t, steps) = (r.sim.time(), r.sim.stats().accepted);
        let stale = self
            .shadow
            .as_ref()
            .is_none_or(|s| s.run().params() != r.sim.params() || s.run().stats().t > t);
        if stale {
            match PrecisionShadow::new(r.sim.params().clone(), r.sim.spectrum(), t, steps) {
                Ok(shadow) => self.shadow = Some(shadow),
                Err(e) => {
                    self.shadow_wanted = false;
                    self.notice = Some(Notice::Error(format!("The f64 shadow stopped: {e}")));
                }
            }
            return;
        }
        let Some(shadow) = &mut self.shadow else {
            return;
        };
        let start = Instant::now();
        let exact = r.sim.diagnostics().exact_error;
        loop {
            match shadow.follow(t, r.sim.spectrum(), steps, exact, 64) {
                Ok(true) => break,
                Ok(false) if start.elapsed().as_secs_f64() < budget => {}
                Ok(false) => break,
                Err(e) => {
                    self.shadow = None;
                    self.shadow_wanted = false;
                    self.notice = Some(Notice::Error(format!("The f64 shadow stopped: {e}")));
                    break;
                }
            }
        }
    }

    /// Shows the race lab (`true`) or the single run. The lab opens on the current scenario
    /// (a race on another scenario is replaced; one on this scenario is kept).
    pub fn set_race_mode(&mut self, on: bool) {
        if on {
            let scenario = self.scenario();
            let link = crate::race::preset(&scenario).link;
            let stale = self.race_lab.as_ref().is_none_or(|lab| lab.link() != link);
            if stale {
                self.race_lab = Some(race::RaceLab::new(&scenario));
            }
        }
        self.race_mode = on;
    }

    /// Whether the race lab is shown.
    pub fn race_mode(&self) -> bool {
        self.race_mode
    }

    /// Races the current scenario: a plan as JSON, `{"key": "dt", "from": 0.1, "to": 0.0125,
    /// "points": 4, "solvers": ["strang", "rk4ip"], "until": 1, "measure": "scenario" |
    /// "reference"}` (missing fields from the simulation's preset race). Shows the lab.
    pub fn start_race(&mut self, spec: &str) -> Result<(), String> {
        let spec: serde_json::Value =
            serde_json::from_str(spec).map_err(|e| format!("the race is not valid JSON: {e}"))?;
        let scenario = self.scenario();
        let preset = crate::race::preset(&scenario);
        let number = |name: &str, default: f64| -> Result<f64, String> {
            match spec.get(name) {
                None => Ok(default),
                Some(v) => v
                    .as_f64()
                    .ok_or_else(|| format!("race: '{name}' must be a number")),
            }
        };
        let n = preset.values.len();
        let key = match spec.get("key") {
            None => preset.key.clone(),
            Some(v) => v.as_str().ok_or("race: 'key' must be a string")?.to_owned(),
        };
        let solvers = match spec.get("solvers") {
            None => preset.solvers.clone(),
            Some(v) => v
                .as_array()
                .ok_or("race: 'solvers' must be a list of names")?
                .iter()
                .map(|s| {
                    s.as_str()
                        .map(str::to_owned)
                        .ok_or("race: solver names are strings")
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let measure = match spec.get("measure") {
            None => preset.measure,
            Some(v) => v
                .as_str()
                .and_then(crate::race::Measure::from_key)
                .ok_or("race: 'measure' is \"scenario\" or \"reference\"")?,
        };
        let points = number("points", n as f64)?;
        if !(points.fract() == 0.0 && points >= 0.0) {
            return Err(format!(
                "race: 'points' must be a whole number, got {points}"
            ));
        }
        let until = match preset.until {
            Some(u) => Some(number("until", u)?),
            None => None,
        };
        let plan = crate::race::RacePlan::new(
            &preset.link,
            &key,
            (
                number("from", preset.values[0])?,
                number("to", preset.values[n - 1])?,
            ),
            points as usize,
            solvers,
            until,
            measure,
        )?;
        let on_gpu = match spec.get("backend").map(|b| b.as_str()) {
            None | Some(Some("cpu")) => false,
            Some(Some("gpu")) => true,
            Some(_) => return Err("race: 'backend' is \"cpu\" or \"gpu\"".into()),
        };
        if on_gpu && self.gpu.is_none() {
            return Err("race: no GPU adapter, so no GPU race".into());
        }
        self.set_race_mode(true);
        let gpu = self.gpu.as_ref().filter(|_| on_gpu);
        match &mut self.race_lab {
            Some(lab) => lab.start(plan, gpu),
            None => Err("the race lab did not open".into()),
        }
    }

    /// The race lab's state as JSON (`{"started": false}` before a race).
    pub fn race_json(&self) -> String {
        match &self.race_lab {
            Some(lab) => lab.json().to_string(),
            None => serde_json::json!({ "started": false }).to_string(),
        }
    }

    /// Asks for a new frame (after a change made from outside the UI).
    pub fn request_repaint(&self) {
        if let Some(ctx) = &self.egui_ctx {
            ctx.request_repaint();
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

    /// The egui textures of the GPU-drawn (waterfall, spectrogram), registered with
    /// eframe's renderer on first use (None on the CPU path or without a renderer).
    fn gpu_pictures(&mut self) -> Option<(egui::TextureId, egui::TextureId)> {
        let views = self.sim.gpu_views()?;
        let render_state = self.render_state.as_ref()?;
        if self.gpu_textures.is_none_or(|(id, ..)| id != views.id) {
            let mut renderer = render_state.renderer.write();
            if let Some((_, a, b)) = self.gpu_textures.take() {
                renderer.free_texture(&a);
                renderer.free_texture(&b);
            }
            let filter = eframe::wgpu::FilterMode::Linear;
            let waterfall =
                renderer.register_native_texture(&render_state.device, views.waterfall(), filter);
            let spectrogram =
                renderer.register_native_texture(&render_state.device, views.spectrogram(), filter);
            self.gpu_textures = Some((views.id, waterfall, spectrogram));
        }
        self.gpu_textures.map(|(_, a, b)| (a, b))
    }

    /// The Navier–Stokes GPU run's picture as an egui texture, registered with eframe's
    /// renderer once per GPU run (None on the CPU or without a renderer).
    fn ns_gpu_picture(&mut self) -> Option<egui::TextureId> {
        let render_state = self.render_state.as_ref()?;
        let Some(live) = self.navier_stokes.as_ref().and_then(|ns| ns.gpu.as_ref()) else {
            // Back on the CPU: release the last GPU run's picture.
            if let Some((_, old)) = self.ns_texture.take() {
                render_state.renderer.write().free_texture(&old);
            }
            return None;
        };
        if self
            .ns_texture
            .is_none_or(|(id, _)| id != live.ns.painter().id)
        {
            let mut renderer = render_state.renderer.write();
            if let Some((_, old)) = self.ns_texture.take() {
                renderer.free_texture(&old);
            }
            let texture = renderer.register_native_texture(
                &render_state.device,
                live.ns.painter().texture(),
                eframe::wgpu::FilterMode::Linear,
            );
            self.ns_texture = Some((live.ns.painter().id, texture));
        }
        self.ns_texture.map(|(_, id)| id)
    }

    /// Gives the app a device to compute on (the kittest harness and the desktop's tests).
    pub fn set_gpu(&mut self, ctx: Option<GpuContext>) {
        self.gpu = ctx;
    }

    /// Whether the GPU computes the run.
    pub fn computes_on_gpu(&self) -> bool {
        match self.active {
            ActiveSim::Diffusion => self.diffusion.as_ref().is_some_and(|d| d.gpu.is_some()),
            ActiveSim::NavierStokes => self.navier_stokes.as_ref().is_some_and(|n| n.gpu.is_some()),
            ActiveSim::ThreeBody => false,
            ActiveSim::Nlse => self.sim.is_gpu(),
        }
    }

    /// Why the GPU path is unavailable (None when it is available).
    pub fn gpu_unavailable(&self) -> Option<&str> {
        self.gpu.is_none().then_some(self.gpu_unavailable.as_str())
    }

    /// Switches the computing path, handing the current state over. Asking for the GPU
    /// where there is none, or for a method it lacks, keeps the CPU with a notice.
    pub fn set_compute(&mut self, on_gpu: bool) -> Result<(), String> {
        if on_gpu && self.active == ActiveSim::ThreeBody {
            let msg = "The three-body view integrates one system on the CPU in f64; the GPU \
                       path is the NLSE's."
                .to_owned();
            self.notice = Some(Notice::Error(msg.clone()));
            return Err(msg);
        }
        if let (ActiveSim::NavierStokes, Some(ns)) = (self.active, &mut self.navier_stokes) {
            if on_gpu && self.gpu.is_none() {
                let msg = format!("No GPU compute: {}.", self.gpu_unavailable);
                self.notice = Some(Notice::Error(msg.clone()));
                return Err(msg);
            }
            let result = ns.set_compute(self.gpu.as_ref(), on_gpu);
            self.notice = Some(match &result {
                Ok(()) if on_gpu => {
                    Notice::Info("Computing on the GPU in f32 from the current flow.".to_owned())
                }
                Ok(()) => Notice::Info(
                    "Computing on the CPU in f64 from the GPU's last state.".to_owned(),
                ),
                Err(e) => Notice::Error(format!("Still on the CPU: {e}.")),
            });
            return result;
        }
        if let (ActiveSim::Diffusion, Some(d)) = (self.active, &mut self.diffusion) {
            if on_gpu && self.gpu.is_none() {
                let msg = format!("No GPU compute: {}.", self.gpu_unavailable);
                self.notice = Some(Notice::Error(msg.clone()));
                return Err(msg);
            }
            let result = d.set_compute(self.gpu.as_ref(), on_gpu);
            self.notice = Some(match &result {
                Ok(()) if on_gpu => Notice::Info(
                    "Sampling on the GPU in f32 from the same initial particles and noise."
                        .to_owned(),
                ),
                Ok(()) => Notice::Info(
                    "Sampling on the CPU in f64 from the same initial particles.".to_owned(),
                ),
                Err(e) => Notice::Error(e.clone()),
            });
            return result;
        }
        if on_gpu == self.sim.is_gpu() {
            return Ok(());
        }
        if !on_gpu {
            let run = self.take_run();
            self.sim = run.into_cpu();
            self.notice = Some(Notice::Info(
                "Computing on the CPU in f64, continuing from the GPU's last state.".to_owned(),
            ));
            return Ok(());
        }
        let Some(ctx) = self.gpu.clone() else {
            let msg = format!("No GPU compute: {}.", self.gpu_unavailable);
            self.notice = Some(Notice::Error(msg.clone()));
            return Err(msg);
        };
        let method = self.sim.params().method;
        if !method.runs_on_gpu() {
            let msg = format!(
                "{} runs on the CPU only; pick another solver for the GPU.",
                method.label()
            );
            self.notice = Some(Notice::Error(msg.clone()));
            return Err(msg);
        }
        let run = self.take_run();
        match run.into_gpu(&ctx) {
            Ok(run) => {
                self.sim = run;
                self.gpu_target = self.sim.stats().t;
                self.notice = Some(Notice::Info(F32_NOTICE.to_owned()));
                Ok(())
            }
            Err((run, e)) => {
                self.sim = run;
                let msg = format!("The GPU path could not start: {e}. Still on the CPU.");
                self.notice = Some(Notice::Error(msg.clone()));
                Err(msg)
            }
        }
    }

    /// Moves the run out (for a hand-over), leaving a small placeholder.
    fn take_run(&mut self) -> NlseRun {
        let placeholder = NlseRun::cpu(NlseParams {
            n: 256,
            ..NlseParams::default()
        })
        .expect("the placeholder scenario is valid");
        std::mem::replace(&mut self.sim, placeholder)
    }

    /// The GPU failed mid-run (device lost, readback failed): the CPU takes over from the
    /// last state read back, and says so.
    fn fall_back_to_cpu(&mut self, why: &str) {
        let run = self.take_run();
        self.sim = run.into_cpu();
        self.gpu = None;
        self.gpu_unavailable = format!("the GPU failed ({why})");
        self.notice = Some(Notice::Error(format!(
            "The GPU stopped working ({why}); the CPU continues from t = {:.6}.",
            self.sim.stats().t
        )));
    }

    /// The current scenario.
    pub fn scenario(&self) -> Scenario {
        if let (ActiveSim::NavierStokes, Some(ns)) = (self.active, &self.navier_stokes) {
            return Scenario::NavierStokes(ns.run.params().clone());
        }
        match (self.active, &self.three_body) {
            (ActiveSim::ThreeBody, Some(tb)) => Scenario::ThreeBody(tb.run.params().clone()),
            _ => match (self.active, &self.diffusion) {
                (ActiveSim::Diffusion, Some(d)) => Scenario::Diffusion(d.run.params().clone()),
                _ => Scenario::Nlse(self.sim.params().clone()),
            },
        }
    }

    /// Which simulation is shown.
    pub fn active_simulation(&self) -> ActiveSim {
        self.active
    }

    /// Shows another simulation; each keeps its run (a new one starts from its defaults).
    pub fn set_simulation(&mut self, sim: ActiveSim) {
        if sim == ActiveSim::ThreeBody && self.three_body.is_none() {
            match threebody::ThreeBodyApp::new(ThreeBodyParams::default()) {
                Ok(tb) => self.three_body = Some(tb),
                Err(e) => {
                    self.notice = Some(Notice::Error(e));
                    return;
                }
            }
        }
        if sim == ActiveSim::Diffusion && self.diffusion.is_none() {
            match diffusion::DiffusionApp::new(DiffusionParams::default()) {
                Ok(d) => self.diffusion = Some(d),
                Err(e) => {
                    self.notice = Some(Notice::Error(e));
                    return;
                }
            }
        }
        if sim == ActiveSim::NavierStokes && self.navier_stokes.is_none() {
            match navier_stokes::NsApp::new(NsParams::default()) {
                Ok(ns) => self.navier_stokes = Some(ns),
                Err(e) => {
                    self.notice = Some(Notice::Error(e));
                    return;
                }
            }
        }
        self.active = sim;
        self.run_target = None;
        self.notice = None;
    }

    /// Applies the Navier–Stokes panel's edits, reverting invalid ones with a message.
    fn apply_navier_stokes_draft(&mut self) {
        if let Some(ns) = &mut self.navier_stokes
            && let Err(e) = ns.apply_draft(self.gpu.as_ref())
        {
            self.notice = Some(Notice::Error(format!("Not applied: {e}")));
        }
    }

    /// Loads a Navier–Stokes scenario (keeps the current run on error).
    fn load_navier_stokes(&mut self, p: NsParams) -> Result<(), String> {
        self.navier_stokes = Some(navier_stokes::NsApp::new(p)?);
        self.active = ActiveSim::NavierStokes;
        Ok(())
    }

    /// Applies the diffusion panel's edits, reverting invalid ones with a message.
    fn apply_diffusion_draft(&mut self) {
        if let Some(d) = &mut self.diffusion
            && let Err(e) = d.apply_draft(self.gpu.as_ref())
        {
            self.notice = Some(Notice::Error(format!("Not applied: {e}")));
        }
    }

    /// Loads a diffusion scenario (keeps the current run on error).
    fn load_diffusion(&mut self, p: DiffusionParams) -> Result<(), String> {
        self.diffusion = Some(diffusion::DiffusionApp::new(p)?);
        self.active = ActiveSim::Diffusion;
        Ok(())
    }

    /// Applies the three-body panel's edits, reverting invalid ones with a message.
    fn apply_three_body_draft(&mut self) {
        if let Some(tb) = &mut self.three_body
            && let Err(e) = tb.apply_draft()
        {
            self.notice = Some(Notice::Error(format!("Not applied: {e}")));
        }
    }

    /// Loads a three-body scenario (keeps the current run on error).
    fn load_three_body(&mut self, p: ThreeBodyParams) -> Result<(), String> {
        let tb = threebody::ThreeBodyApp::new(p)?;
        self.three_body = Some(tb);
        self.active = ActiveSim::ThreeBody;
        Ok(())
    }

    /// Loads a link; on error the current run is kept and the error returned (and shown).
    pub fn load_link(&mut self, link: &str) -> Result<(), String> {
        let on_gpu = self.sim.is_gpu();
        let gpu = self.gpu.clone();
        let result = match Scenario::from_link(link).map_err(|e| e.to_string()) {
            Err(e) => Err(e),
            Ok(Scenario::ThreeBody(p)) => self.load_three_body(p),
            Ok(Scenario::Diffusion(p)) => self.load_diffusion(p),
            Ok(Scenario::NavierStokes(p)) => self.load_navier_stokes(p),
            Ok(Scenario::Nlse(p)) => match gpu {
                Some(ctx) if on_gpu && p.method.runs_on_gpu() => NlseRun::gpu(&ctx, p),
                _ => NlseRun::cpu(p),
            }
            .map(|sim| {
                self.sim = sim;
                self.active = ActiveSim::Nlse;
                self.draft = self.sim.params().clone();
                self.gpu_target = 0.0;
            }),
        };
        match result {
            Ok(()) => {
                self.notice = None;
                self.run_target = None;
                Ok(())
            }
            Err(e) => {
                let msg = format!("The link could not be loaded: {e}");
                self.notice = Some(Notice::Error(msg.clone()));
                Err(msg)
            }
        }
    }

    /// Sets one parameter by its link key (e.g. `solver`, `rtol`), validated like a link.
    pub fn set_param(&mut self, key: &str, value: &str) -> Result<(), String> {
        let query = self.scenario().to_query();
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        match pairs.iter_mut().find(|(k, _)| k == key) {
            Some(pair) => pair.1 = value.to_owned(),
            None => pairs.push((key.to_owned(), value.to_owned())),
        }
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &pairs {
            ser.append_pair(k, v);
        }
        let scenario = Scenario::from_link(&ser.finish()).map_err(|e| {
            let msg = e.to_string();
            self.notice = Some(Notice::Error(msg.clone()));
            msg
        })?;
        let params = match scenario {
            Scenario::Nlse(p) => p,
            Scenario::ThreeBody(p) => {
                if let Some(tb) = &mut self.three_body {
                    tb.draft = p;
                }
                self.apply_three_body_draft();
                return match &self.notice {
                    Some(Notice::Error(e)) => Err(e.clone()),
                    _ => Ok(()),
                };
            }
            Scenario::Diffusion(p) => {
                self.notice = None;
                if let Some(d) = &mut self.diffusion {
                    d.draft = p;
                }
                self.apply_diffusion_draft();
                return match &self.notice {
                    Some(Notice::Error(e)) => Err(e.clone()),
                    _ => Ok(()),
                };
            }
            Scenario::NavierStokes(p) => {
                self.notice = None;
                if let Some(ns) = &mut self.navier_stokes {
                    ns.draft = p;
                }
                self.apply_navier_stokes_draft();
                return match &self.notice {
                    Some(Notice::Error(e)) => Err(e.clone()),
                    _ => Ok(()),
                };
            }
        };
        self.draft = params;
        self.apply_draft();
        match &self.notice {
            Some(Notice::Error(e)) => Err(e.clone()),
            _ => Ok(()),
        }
    }

    /// Applies the edited parameters; invalid ones are reverted with a message.
    fn apply_draft(&mut self) {
        if self.draft == *self.sim.params() {
            return;
        }
        if self.sim.is_gpu() && !self.draft.method.runs_on_gpu() {
            let run = self.take_run();
            self.sim = run.into_cpu();
            let method = self.draft.method.label();
            let result = self.sim.set_params(self.draft.clone());
            self.notice = Some(match result {
                Ok(_) => Notice::Info(format!(
                    "{method} runs on the CPU only: switched to the CPU (f64), continuing from the GPU's last state."
                )),
                Err(e) => Notice::Error(format!("Not applied: {e}")),
            });
            self.draft = self.sim.params().clone();
            return;
        }
        match self.sim.set_params(self.draft.clone()) {
            Ok(_) => self.notice = None,
            Err(e) => {
                self.notice = Some(Notice::Error(format!("Not applied: {e}")));
                self.draft = self.sim.params().clone();
            }
        }
    }

    /// Takes `n` accepted steps (the JS API's `step(n)` and the → key).
    pub fn step(&mut self, n: u32) {
        if let (ActiveSim::NavierStokes, Some(ns)) = (self.active, &mut self.navier_stokes) {
            ns.step(n as usize);
            if let Some(ctx) = &self.egui_ctx {
                ctx.request_repaint();
            }
            if let Some(e) = ns.run.failure() {
                self.running = false;
                self.notice = Some(Notice::Error(e.to_owned()));
            }
            return;
        }
        if let (ActiveSim::Diffusion, Some(d)) = (self.active, &mut self.diffusion) {
            for _ in 0..n {
                // A zero budget still takes one step.
                if d.run.advance(0.0) {
                    break;
                }
            }
            return;
        }
        for _ in 0..n {
            let outcome = match (self.active, &mut self.three_body) {
                (ActiveSim::ThreeBody, Some(tb)) => tb.run.single_step(),
                _ => self.sim.single_step(),
            };
            if self.report(&outcome) {
                break;
            }
        }
    }

    /// Runs the simulation up to time `t` (JS API), within a step budget.
    pub fn run_until(&mut self, t: f64) -> Result<(), String> {
        if !t.is_finite() {
            return Err(format!("end time must be finite, got {t}"));
        }
        if let (ActiveSim::NavierStokes, Some(ns)) = (self.active, &mut self.navier_stokes) {
            ns.run_until(t);
            if let Some(ctx) = &self.egui_ctx {
                ctx.request_repaint();
            }
            return match ns.run.failure() {
                Some(e) => {
                    let msg = e.to_owned();
                    self.notice = Some(Notice::Error(msg.clone()));
                    Err(msg)
                }
                None => Ok(()),
            };
        }
        if let (ActiveSim::Diffusion, Some(d)) = (self.active, &mut self.diffusion) {
            // Sampling runs backwards from t_max to t_min: running "until" finishes it.
            let result = d.finish(self.gpu.as_ref());
            self.request_repaint();
            return result;
        }
        if let (ActiveSim::ThreeBody, Some(tb)) = (self.active, &mut self.three_body) {
            // Not clipped to t: the step sequence stays the one of the live run (see
            // sims::threebody::cpu), so the result is reproducible from the link.
            let outcome = tb.run.advance(t, 50_000_000);
            self.report(&outcome);
            return match outcome.message() {
                Some(m) => Err(m),
                None => Ok(()),
            };
        }
        if self.sim.is_gpu() {
            // The GPU computes asynchronously: frames advance towards t (poll diagnostics).
            self.run_target = Some(t);
            self.request_repaint();
            return Ok(());
        }
        let NlseRun::Cpu(cpu) = &mut self.sim else {
            unreachable!("checked above");
        };
        let outcome = cpu.advance(t, 50_000_000);
        self.report(&outcome);
        match outcome.message() {
            Some(m) => Err(m),
            None => Ok(()),
        }
    }

    /// Shows a failed outcome and pauses; returns whether it failed.
    fn report(&mut self, outcome: &Outcome) -> bool {
        if let Some(msg) = outcome.message() {
            self.running = false;
            self.notice = Some(Notice::Error(msg));
            return true;
        }
        false
    }

    /// Switches the view: `state`, `waterfall` or `spectrum` (NLSE); `vorticity`, `speed`,
    /// `pressure` or `dye` (Navier–Stokes).
    pub fn set_view(&mut self, name: &str) -> Result<(), String> {
        if let (ActiveSim::NavierStokes, Some(ns)) = (self.active, &mut self.navier_stokes) {
            use crate::sims::navier_stokes::run::FieldKind;
            ns.view = match name {
                "vorticity" => FieldKind::Vorticity,
                "speed" => FieldKind::Speed,
                "pressure" => FieldKind::Pressure,
                "dye" => FieldKind::Dye,
                _ => {
                    return Err(format!(
                        "unknown view '{name}' (known: vorticity, speed, pressure, dye)"
                    ));
                }
            };
            return Ok(());
        }
        self.view = views::View::from_key(name)
            .ok_or_else(|| format!("unknown view '{name}' (known: state, waterfall, spectrum)"))?;
        Ok(())
    }

    /// Starts or stops the clock.
    pub fn set_running(&mut self, running: bool) {
        self.running = running;
        self.last_frame = None;
    }

    /// Whether the clock runs.
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Restarts the current scenario from t = 0.
    pub fn reset(&mut self) {
        if let (ActiveSim::NavierStokes, Some(ns)) = (self.active, &mut self.navier_stokes) {
            if let Err(e) = ns.restart(self.gpu.as_ref()) {
                self.notice = Some(Notice::Error(e));
            }
            return;
        }
        if let (ActiveSim::Diffusion, Some(d)) = (self.active, &mut self.diffusion) {
            if let Err(e) = d.restart(self.gpu.as_ref()) {
                self.notice = Some(Notice::Error(e));
            }
            return;
        }
        if let (ActiveSim::ThreeBody, Some(tb)) = (self.active, &mut self.three_body) {
            if let Ok(run) = tb.run.restarted() {
                tb.run = run;
            }
            self.run_target = None;
            self.notice = None;
            return;
        }
        if let Ok(sim) = self.sim.restarted() {
            self.sim = sim;
        }
        self.gpu_target = 0.0;
        self.run_target = None;
        self.notice = None;
    }

    /// The renderer backend, e.g. "BrowserWebGpu (…)" or "Gl (…)".
    pub fn backend(&self) -> &str {
        &self.backend
    }

    /// The diagnostics as JSON (JS API, tests).
    pub fn diagnostics_json(&self) -> String {
        if let (ActiveSim::ThreeBody, Some(tb)) = (self.active, &self.three_body) {
            return self.three_body_json(tb);
        }
        if let (ActiveSim::Diffusion, Some(d)) = (self.active, &self.diffusion) {
            return self.diffusion_json(d);
        }
        if let (ActiveSim::NavierStokes, Some(ns)) = (self.active, &self.navier_stokes) {
            return self.navier_stokes_json(ns);
        }
        let stats = self.sim.stats();
        let p = self.sim.params();
        let value = serde_json::json!({
            "sim": "nlse",
            "case": p.case.key(),
            "solver": p.method.key(),
            "n": p.n,
            "t": stats.t,
            "h": stats.h,
            "last_error": if stats.last_error.is_finite() { Some(stats.last_error) } else { None },
            "accepted": stats.accepted,
            "rejected": stats.rejected,
            "nfe": stats.nfe,
            "running": self.running,
            "backend": self.backend,
            "compute": if self.sim.is_gpu() { "gpu-f32" } else { "cpu-f64" },
            "gpu_available": self.gpu.is_some(),
            "gpu_adapter": self.gpu.as_ref().map(|g| g.describe()),
            "busy": self.sim.busy(),
            "gpu_picture_rows": self.sim.gpu_views().map(|v| v.rows()),
            "gpu_pictures_registered": self.gpu_textures.is_some(),
            "outcome": self.sim.outcome().message(),
            "notice": match &self.notice { Some(Notice::Error(e)) | Some(Notice::Info(e)) => Some(e.clone()), None => None },
            "diagnostics": self.sim.diagnostics(),
            "precision_limit": self.precision_limit(),
            "shadow": self.shadow_wanted.then(|| serde_json::json!({
                "points": self.shadow_points().len(),
                "last": self.shadow_points().last(),
                "t": self.shadow.as_ref().map(|s| s.run().stats().t),
            })),
            "link": self.scenario().to_query(),
        });
        value.to_string()
    }

    /// Paints (`solid`) or erases obstacle cells within `radius` of (x, y) in the
    /// Navier–Stokes run (JS API, tests; the mouse does the same).
    pub fn paint_obstacle(
        &mut self,
        x: f64,
        y: f64,
        radius: f64,
        solid: bool,
    ) -> Result<(), String> {
        let Some(ns) = self
            .navier_stokes
            .as_mut()
            .filter(|_| self.active == ActiveSim::NavierStokes)
        else {
            return Err(
                "obstacles belong to the Navier–Stokes simulation: load one first".to_owned(),
            );
        };
        let result = ns.paint(x, y, radius, solid);
        if let Err(e) = &result {
            self.notice = Some(Notice::Error(e.clone()));
        }
        self.request_repaint();
        result
    }

    /// Pushes the Navier–Stokes fluid at (x, y) by (du, dv) and drops dye (JS API, tests).
    pub fn push_fluid(
        &mut self,
        x: f64,
        y: f64,
        du: f64,
        dv: f64,
        radius: f64,
    ) -> Result<(), String> {
        let Some(ns) = self
            .navier_stokes
            .as_mut()
            .filter(|_| self.active == ActiveSim::NavierStokes)
        else {
            return Err("pushing the fluid belongs to the Navier–Stokes simulation".to_owned());
        };
        ns.push_fluid(x, y, du, dv, radius);
        self.request_repaint();
        Ok(())
    }

    /// Starts a chaos map of the three-body scenario with `params` (JS API, tests), on the
    /// GPU if `on_gpu`.
    pub fn start_chaos_map(
        &mut self,
        on_gpu: bool,
        params: crate::sims::threebody::ensemble::EnsembleParams,
    ) -> Result<(), String> {
        let Some(tb) = self
            .three_body
            .as_mut()
            .filter(|_| self.active == ActiveSim::ThreeBody)
        else {
            return Err(
                "chaos maps belong to the three-body simulation: load one first".to_owned(),
            );
        };
        tb.map.on_gpu = on_gpu;
        tb.map.params = params;
        tb.show_map = true;
        let result = tb.start_map(self.gpu.as_ref());
        if let Err(e) = &result {
            self.notice = Some(Notice::Error(format!("Chaos map: {e}")));
        }
        self.request_repaint();
        result
    }

    /// Loads pixel (ix, iy) of the chaos map into the main view.
    pub fn load_map_pixel(&mut self, ix: u32, iy: u32) -> Result<(), String> {
        match self.three_body.as_mut() {
            Some(tb) => tb.load_map_pixel(ix, iy),
            None => Err("there is no chaos map".to_owned()),
        }
    }

    fn navier_stokes_json(&self, ns: &navier_stokes::NsApp) -> String {
        let run = &ns.run;
        let p = run.params();
        let last = run.history().last().copied();
        let finite = |v: f64| v.is_finite().then_some(v);
        let (nx, ny) = run.cells();
        let value = serde_json::json!({
            "sim": "ns",
            "case": p.case.key(),
            "solver": p.solver.key(),
            "pressure_solver": p.pressure.key(),
            "reynolds": p.reynolds,
            "cells": [nx, ny],
            "t": run.time(),
            "steps": run.steps(),
            "dt": last.map(|s| s.dt),
            "cfl": last.map(|s| s.cfl),
            "energy": last.map(|s| s.energy),
            "enstrophy": last.map(|s| s.enstrophy),
            "max_divergence": last.and_then(|s| finite(s.max_divergence)),
            "pressure_iterations": last.map(|s| s.pressure_iterations),
            "pressure_residual": last.and_then(|s| finite(s.pressure_residual)),
            "error": last.and_then(|s| finite(s.error)),
            "strouhal": run.strouhal(),
            "obstacle_cells": p.mask.as_ref().map_or(0, |m| m.solid.iter().filter(|c| **c).count()),
            "failure": run.failure(),
            "running": self.running,
            "backend": self.backend,
            "compute": if ns.gpu.is_some() { "gpu-f32" } else { "cpu-f64" },
            "precision_limit": self.precision_limit(),
            "shadow": ns.shadow.on().then(|| serde_json::json!({
                "points": ns.shadow.points().len(),
                "last": ns.shadow.points().last(),
                "t": ns.shadow_time(),
            })),
            "gpu_available": self.gpu.is_some(),
            "gpu_adapter": self.gpu.as_ref().map(|g| g.describe()),
            "gpu_pressure_iterations": ns.gpu.as_ref().and_then(|g| g.ns.pressure_iterations()),
            "picture": if ns.drew_gpu_texture { "gpu-texture" } else { "cpu" },
            "busy": ns.gpu_busy(),
            "notice": match &self.notice { Some(Notice::Error(e)) | Some(Notice::Info(e)) => Some(e.clone()), None => None },
            "link": self.scenario().to_query(),
        });
        value.to_string()
    }

    fn diffusion_json(&self, d: &diffusion::DiffusionApp) -> String {
        let run = &d.run;
        let p = run.params();
        let last = run.history().last();
        let finite = |v: f64| v.is_finite().then_some(v);
        let report = match run.report() {
            Some(Ok(r)) => serde_json::json!({
                "sliced_w2": r.sliced_w2,
                "sliced_w2_noise": r.sliced_w2_noise,
                "log_likelihood": r.log_likelihood,
                "exact_log_likelihood": r.exact_log_likelihood,
                "mode_masses": r.mode_masses,
                "mode_weights": r.mode_weights,
                "mode_tv": r.mode_tv,
                "ode_error_rms": r.ode_error.map(|e| e.0),
                "ode_error_max": r.ode_error.map(|e| e.1),
            }),
            Some(Err(e)) => serde_json::json!({ "error": e }),
            None => serde_json::Value::Null,
        };
        let value = serde_json::json!({
            "sim": "diffusion",
            "target": p.target.key(),
            "sampler": p.sampler.key(),
            "process": p.process.key(),
            "grid": p.grid.key(),
            "particles": p.particles,
            "t": run.time(),
            "progress": run.progress(),
            "nfe": run.nfe(),
            "steps": run.history().len(),
            "accepted": run.history().iter().filter(|s| s.accepted).count(),
            "rejected": run.history().iter().filter(|s| !s.accepted).count(),
            "h_t": last.map(|s| s.h_t),
            "h_lambda": last.map(|s| s.h_lambda),
            "last_error": last.and_then(|s| finite(s.error)),
            "finished": run.is_finished(),
            "report": report,
            "running": self.running,
            "backend": self.backend,
            "compute": if d.gpu.is_some() { "gpu-f32" } else { "cpu-f64" },
            "precision_limit": self.precision_limit(),
            "shadow": d.shadow.on().then(|| serde_json::json!({
                "points": d.shadow.points().len(),
                "last": d.shadow.points().last(),
                "t": d.shadow_time(),
            })),
            "gpu_available": self.gpu.is_some(),
            "gpu_adapter": self.gpu.as_ref().map(|g| g.describe()),
            "notice": match &self.notice { Some(Notice::Error(e)) | Some(Notice::Info(e)) => Some(e.clone()), None => None },
            "link": self.scenario().to_query(),
        });
        value.to_string()
    }

    fn three_body_json(&self, tb: &threebody::ThreeBodyApp) -> String {
        let stats = tb.run.stats();
        let p = tb.run.params();
        let (map_done, map_members) = tb.map.progress();
        let map_escaped = tb
            .map
            .results()
            .iter()
            .flatten()
            .filter(|r| {
                tb.map
                    .running_params()
                    .is_some_and(|mp| r.escape_time < mp.t_end)
            })
            .count();
        let map_mean_escape = {
            let times: Vec<f64> = tb
                .map
                .results()
                .iter()
                .flatten()
                .map(|r| r.escape_time)
                .collect();
            (!times.is_empty()).then(|| times.iter().sum::<f64>() / times.len() as f64)
        };
        let value = serde_json::json!({
            "sim": "3body",
            "case": p.case.key(),
            "solver": p.method.key(),
            "bodies": tb.run.masses().len(),
            "t": stats.t,
            "h": stats.h_last,
            "last_error": if stats.last_error.is_finite() { Some(stats.last_error) } else { None },
            "accepted": stats.accepted,
            "rejected": stats.rejected,
            "nfe": stats.nfe,
            "running": self.running,
            "backend": self.backend,
            "compute": "cpu-f64",
            "gpu_available": self.gpu.is_some(),
            "outcome": tb.run.outcome().message(),
            "notice": match &self.notice { Some(Notice::Error(e)) | Some(Notice::Info(e)) => Some(e.clone()), None => None },
            "diagnostics": tb.run.diagnostics(),
            "escaping_body": tb.run.escaping_body(),
            "map": {
                "finished": map_done,
                "members": map_members,
                "escaped": map_escaped,
                "mean_escape_time": map_mean_escape,
                "on_gpu": tb.map.computed_on_gpu(),
                "dispatches": tb.map.dispatches(),
                "seconds": tb.map.elapsed_s,
            },
            "link": self.scenario().to_query(),
        });
        value.to_string()
    }

    /// Advances the simulation for one frame: `speed` simulation time per wall second,
    /// within the frame's compute budget (the clock is independent of the frame rate; when
    /// the machine cannot keep up the simulation slows down rather than the UI).
    fn advance_frame(&mut self) {
        let now = Instant::now();
        let wall_dt = self
            .last_frame
            .map(|t| now.duration_since(t).as_secs_f64())
            .unwrap_or(0.0)
            .min(0.1);
        self.last_frame = Some(now);
        if self.race_mode {
            // The single run waits (its state kept) while the race has the compute budget.
            if let Some(lab) = &mut self.race_lab {
                lab.advance(FRAME_COMPUTE_BUDGET_S);
            }
            return;
        }
        if let (ActiveSim::NavierStokes, Some(ns)) = (self.active, &mut self.navier_stokes) {
            if let Some(e) = ns.advance_frame(
                self.gpu.as_ref(),
                self.running,
                wall_dt,
                FRAME_COMPUTE_BUDGET_S,
            ) {
                self.running = false;
                self.notice = Some(Notice::Error(e));
            }
            if let Some(e) = ns.shadow.take_stopped() {
                self.notice = Some(Notice::Error(e));
            }
            return;
        }
        if let (ActiveSim::Diffusion, Some(d)) = (self.active, &mut self.diffusion) {
            let running = self.running && wall_dt > 0.0;
            if let Err(e) = d.advance_frame(self.gpu.as_ref(), running, wall_dt) {
                // The device failed: the same run restarts on the CPU.
                let _ = d.set_compute(None, false);
                self.notice = Some(Notice::Error(format!(
                    "The GPU stopped working ({e}); sampling restarted on the CPU."
                )));
            }
            if let Some(e) = d.shadow.take_stopped() {
                self.notice = Some(Notice::Error(e));
            }
            if d.run.is_finished() {
                self.running = false;
            }
            return;
        }
        if let (ActiveSim::ThreeBody, Some(tb)) = (self.active, &mut self.three_body) {
            let pending = tb.start_pending_map(self.gpu.as_ref());
            if let Err(e) = pending.and(tb.map.advance(self.gpu.as_ref(), FRAME_COMPUTE_BUDGET_S)) {
                self.notice = Some(Notice::Error(format!("Chaos map: {e}")));
            }
            if self.running && wall_dt > 0.0 {
                let target = tb.run.stats().t + self.speed * wall_dt;
                let outcome = tb.advance_frame(target, FRAME_COMPUTE_BUDGET_S);
                self.report(&outcome);
            }
            return;
        }
        let t = self.sim.stats().t;
        if self
            .run_target
            .is_some_and(|r| t >= r || !self.sim.outcome().is_ok())
        {
            self.run_target = None;
        }
        if !self.running && self.run_target.is_none() {
            if let Err(e) = self.sim.poll() {
                self.fall_back_to_cpu(&e);
            }
            self.follow_shadow(0.5 * FRAME_COMPUTE_BUDGET_S);
            return;
        }
        let mut target = if self.running && wall_dt > 0.0 {
            if self.sim.is_gpu() {
                // Readbacks lag: pace from what was asked for, at most a second ahead.
                let base = self.gpu_target.max(t);
                (base + self.speed * wall_dt).min(t + self.speed)
            } else {
                t + self.speed * wall_dt
            }
        } else {
            t
        };
        if let Some(r) = self.run_target {
            target = target.max(r);
        }
        self.gpu_target = target;
        let accepted_before = self.sim.stats().accepted;
        match self.sim.advance_frame(target, FRAME_COMPUTE_BUDGET_S) {
            Ok(outcome) => {
                self.report(&outcome);
            }
            Err(e) => self.fall_back_to_cpu(&e),
        }
        self.follow_shadow(0.5 * FRAME_COMPUTE_BUDGET_S);
        let steps = self.sim.stats().accepted.saturating_sub(accepted_before) as f64;
        if wall_dt > 0.0 {
            let rate = steps / wall_dt;
            self.steps_per_second = 0.9 * self.steps_per_second + 0.1 * rate;
        }
    }

    fn handle_keys(&mut self, ctx: &egui::Context) {
        // Keys act only when no text field has focus.
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let (space, right, r) = ctx.input(|i| {
            (
                i.key_pressed(egui::Key::Space),
                i.key_pressed(egui::Key::ArrowRight),
                i.key_pressed(egui::Key::R),
            )
        });
        if space {
            self.set_running(!self.running);
        }
        if right {
            self.running = false;
            self.step(1);
        }
        if r {
            self.reset();
        }
    }

    /// The whole UI; eframe's `App::ui` and the kittest harness both call this.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.take_screenshot();
        self.handle_keys(&ctx);
        self.advance_frame();
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| panels::controls(self, ui));
            });
        let ns_texture = if self.active == ActiveSim::NavierStokes {
            self.ns_gpu_picture()
        } else {
            None
        };
        if let Some(ns) = &mut self.navier_stokes {
            ns.gpu_texture = ns_texture;
        }
        let mut map_error = None;
        if let (true, Some(lab)) = (self.race_mode, &mut self.race_lab) {
            egui::CentralPanel::default().show(ui, |ui| race::central(lab, self.gpu.as_ref(), ui));
            if lab.busy() || self.recording {
                ctx.request_repaint();
            }
            return;
        }
        egui::CentralPanel::default().show(ui, |ui| match (self.active, &mut self.three_body) {
            (ActiveSim::ThreeBody, Some(tb)) => {
                map_error = threebody::central(tb, self.gpu.as_ref(), ui);
            }
            _ => match (self.active, &mut self.diffusion, &mut self.navier_stokes) {
                (ActiveSim::Diffusion, Some(d), _) => diffusion::central(d, ui),
                (ActiveSim::NavierStokes, _, Some(ns)) => navier_stokes::central(ns, ui),
                _ => views::central(self, ui),
            },
        });
        if let Some(e) = map_error {
            self.notice = Some(Notice::Error(format!("Chaos map: {e}")));
        }
        let map_busy = self.three_body.as_ref().is_some_and(|tb| tb.map.busy());
        let sampling_busy = self.diffusion.as_ref().is_some_and(|d| d.gpu_busy())
            || self.navier_stokes.as_ref().is_some_and(|n| n.gpu_busy());
        if self.running
            || self.run_target.is_some()
            || self.sim.busy()
            || map_busy
            || sampling_busy
            || self.recording
        {
            ctx.request_repaint();
        }
    }
}

impl eframe::App for StepscopeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
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

//! The browser entry point and the JS API (`window.stepscope` in index.html wraps this):
//! `load(link)`, `diagnostics()`, `set(key, value)`, `step(n)`, `run_until(t)`, `play()`,
//! `pause()`, `view(name)`, `compute(name)`, `backend()`, `link()`, `copy_link()`, the chaos map's
//! `chaosMap(…)`/`mapPixel(ix, iy)`, Navier–Stokes' `paint(x, y, r, solid)`/`push(x, y, du, dv, r)`,
//! the race lab's `race(plan)`/`raceState()`/`mode(name)`.

use wasm_bindgen::prelude::*;

use crate::app::StepscopeApp;
use crate::core::choice::Choice;

/// The handle JavaScript holds to the running app.
#[derive(Clone)]
#[wasm_bindgen]
pub struct WebHandle {
    runner: eframe::WebRunner,
}

#[wasm_bindgen]
impl WebHandle {
    /// Installs the logger, then returns.
    #[expect(
        clippy::new_without_default,
        reason = "wasm-bindgen constructors take no Default"
    )]
    #[wasm_bindgen(constructor)]
    pub fn new() -> Self {
        eframe::WebLogger::init(log::LevelFilter::Info).ok();
        Self {
            runner: eframe::WebRunner::new(),
        }
    }

    /// Starts the app in `canvas`, on the link in the page's URL if there is one.
    pub async fn start(&self, canvas: web_sys::HtmlCanvasElement) -> Result<(), JsValue> {
        let link = web_sys::window()
            .and_then(|w| {
                let loc = w.location();
                let search = loc.search().ok().filter(|s| s.len() > 1);
                search.or_else(|| loc.hash().ok().filter(|h| h.len() > 1))
            })
            .filter(|l| l.contains("s="));
        self.runner
            .start(
                canvas,
                eframe::WebOptions::default(),
                Box::new(move |cc| {
                    Ok(Box::new(StepscopeApp::from_creation_context(
                        cc,
                        link.as_deref(),
                    )))
                }),
            )
            .await
    }

    fn with_app<R>(&self, f: impl FnOnce(&mut StepscopeApp) -> R) -> Result<R, JsValue> {
        let mut app = self
            .runner
            .app_mut::<StepscopeApp>()
            .ok_or_else(|| JsValue::from_str("stepscope is not running (yet)"))?;
        let result = f(&mut app);
        app.request_repaint();
        Ok(result)
    }

    /// Loads a share link; throws the reason if it is invalid (the current run is kept).
    pub fn load(&self, link: &str) -> Result<(), JsValue> {
        self.with_app(|app| app.load_link(link))?
            .map_err(|e| JsValue::from_str(&e))
    }

    /// The diagnostics as a JSON string.
    pub fn diagnostics(&self) -> Result<String, JsValue> {
        self.with_app(|app| app.diagnostics_json())
    }

    /// Sets one parameter by its link key; throws the reason if invalid.
    pub fn set(&self, key: &str, value: &str) -> Result<(), JsValue> {
        self.with_app(|app| app.set_param(key, value))?
            .map_err(|e| JsValue::from_str(&e))
    }

    /// Takes `n` accepted steps.
    pub fn step(&self, n: u32) -> Result<(), JsValue> {
        self.with_app(|app| app.step(n))
    }

    /// Runs to simulation time `t`; throws if the run fails on the way.
    pub fn run_until(&self, t: f64) -> Result<(), JsValue> {
        self.with_app(|app| app.run_until(t))?
            .map_err(|e| JsValue::from_str(&e))
    }

    /// Switches the state view: `state`, `waterfall` or `spectrum`; throws on other names.
    pub fn view(&self, name: &str) -> Result<(), JsValue> {
        self.with_app(|app| app.set_view(name))?
            .map_err(|e| JsValue::from_str(&e))
    }

    /// Where the NLSE is computed: `cpu` (f64) or `gpu` (f32, WebGPU); the state is handed
    /// over. Throws the reason when the GPU path is unavailable (the run stays on the CPU).
    pub fn compute(&self, name: &str) -> Result<(), JsValue> {
        let on_gpu = match name {
            "gpu" => true,
            "cpu" => false,
            "shadow" => {
                return self
                    .with_app(|app| app.continue_on_shadow())?
                    .map_err(|e| JsValue::from_str(&e));
            }
            other => {
                return Err(JsValue::from_str(&format!(
                    "unknown compute '{other}' (known: cpu, gpu, shadow)"
                )));
            }
        };
        self.with_app(|app| app.set_compute(on_gpu))?
            .map_err(|e| JsValue::from_str(&e))
    }

    /// Starts a three-body chaos map: `resolution` pixels per side to `t_end`, varying body
    /// `body` (1-based) in `plane` (`xy` or `vxvy`) by ±`span`, on the GPU (WebGPU, f32) or
    /// the CPU (f64); throws the reason if it cannot start.
    #[allow(clippy::too_many_arguments)]
    pub fn chaos_map(
        &self,
        on_gpu: bool,
        resolution: u32,
        t_end: f64,
        body: usize,
        plane: &str,
        span: f64,
        escape_radius: f64,
    ) -> Result<(), JsValue> {
        use crate::sims::threebody::ensemble::{EnsembleParams, EnsemblePlane};
        let plane = EnsemblePlane::from_key(plane).ok_or_else(|| {
            JsValue::from_str(&format!("unknown plane '{plane}' (known: xy, vxvy)"))
        })?;
        let params = EnsembleParams {
            resolution,
            t_end,
            body: body.saturating_sub(1),
            plane,
            span,
            escape_radius,
            ..EnsembleParams::default()
        };
        self.with_app(|app| app.start_chaos_map(on_gpu, params))?
            .map_err(|e| JsValue::from_str(&e))
    }

    /// Loads pixel (ix, iy) of the chaos map into the main view.
    pub fn map_pixel(&self, ix: u32, iy: u32) -> Result<(), JsValue> {
        self.with_app(|app| app.load_map_pixel(ix, iy))?
            .map_err(|e| JsValue::from_str(&e))
    }

    /// Paints (`solid`) or erases Navier–Stokes obstacle cells within `radius` of (x, y).
    pub fn paint(&self, x: f64, y: f64, radius: f64, solid: bool) -> Result<(), JsValue> {
        self.with_app(|app| app.paint_obstacle(x, y, radius, solid))?
            .map_err(|e| JsValue::from_str(&e))
    }

    /// Pushes the Navier–Stokes fluid at (x, y) by (du, dv) within `radius`, with dye.
    pub fn push(&self, x: f64, y: f64, du: f64, dv: f64, radius: f64) -> Result<(), JsValue> {
        self.with_app(|app| app.push_fluid(x, y, du, dv, radius))?
            .map_err(|e| JsValue::from_str(&e))
    }

    /// Lets an f64 CPU shadow follow the NLSE's GPU run (or stops it); throws the reason
    /// when it cannot. `compute("shadow")` continues on it.
    pub fn shadow(&self, on: bool) -> Result<(), JsValue> {
        self.with_app(|app| app.set_shadow(on))?
            .map_err(|e| JsValue::from_str(&e))
    }

    /// Starts a race on the current scenario (a JSON plan: key, from, to, points, solvers,
    /// until, measure; see `StepscopeApp::start_race`) and shows the race lab.
    pub fn race(&self, spec: &str) -> Result<(), JsValue> {
        self.with_app(|app| app.start_race(spec))?
            .map_err(|e| JsValue::from_str(&e))
    }

    /// The race lab's state: plan, progress, work–precision points, fitted orders, lanes.
    pub fn race_state(&self) -> Result<String, JsValue> {
        self.with_app(|app| app.race_json())
    }

    /// Shows the race lab (`"race"`) or the single run (`"run"`).
    pub fn mode(&self, name: &str) -> Result<(), JsValue> {
        let on = match name {
            "race" => true,
            "run" => false,
            _ => return Err(JsValue::from_str("mode is \"run\" or \"race\"")),
        };
        self.with_app(|app| app.set_race_mode(on))
    }

    /// The diagnostics history of the active simulation as `csv` or `json` (every kept
    /// sample, with the link and the decimation stated).
    pub fn history(&self, format: &str) -> Result<String, JsValue> {
        let history = self.with_app(|app| app.history_export())?;
        match format {
            "csv" => Ok(history.to_csv()),
            "json" => Ok(history.to_json()),
            _ => Err(JsValue::from_str("history format is \"csv\" or \"json\"")),
        }
    }

    /// A checkpoint of the active run (JSON with its link); throws why there is none.
    pub fn checkpoint(&self) -> Result<String, JsValue> {
        self.with_app(|app| app.checkpoint_json())?
            .map_err(|e| JsValue::from_str(&e))
    }

    /// Continues from a checkpoint's JSON; throws the reason if it cannot (nothing changes).
    pub fn restore(&self, text: &str) -> Result<(), JsValue> {
        self.with_app(|app| app.load_checkpoint(text))?
            .map_err(|e| JsValue::from_str(&e))
    }

    /// Downloads an export: `history-csv`, `history-json`, `checkpoint` or `picture`.
    pub fn export(&self, what: &str) -> Result<(), JsValue> {
        use crate::app::export::ExportKind;
        let kind = match what {
            "history-csv" => ExportKind::HistoryCsv,
            "history-json" => ExportKind::HistoryJson,
            "checkpoint" => ExportKind::Checkpoint,
            "picture" => ExportKind::Picture,
            _ => {
                return Err(JsValue::from_str(
                    "export is history-csv, history-json, checkpoint or picture",
                ));
            }
        };
        self.with_app(|app| app.export(kind))
    }

    /// Tells the app a recording of its canvas runs (it then draws every frame).
    pub fn set_recording(&self, on: bool) -> Result<(), JsValue> {
        self.with_app(|app| app.recording = on)
    }

    /// Starts the clock.
    pub fn play(&self) -> Result<(), JsValue> {
        self.with_app(|app| app.set_running(true))
    }

    /// Stops the clock.
    pub fn pause(&self) -> Result<(), JsValue> {
        self.with_app(|app| app.set_running(false))
    }

    /// The rendering backend in use (e.g. "BrowserWebGpu (…)" or "Gl (…)").
    pub fn backend(&self) -> Result<String, JsValue> {
        self.with_app(|app| app.backend().to_owned())
    }

    /// The current scenario's link query.
    pub fn link(&self) -> Result<String, JsValue> {
        self.with_app(|app| app.scenario().to_query())
    }

    /// Our recent frames as JSON: `frames`, `median_ms`, `p99_ms`, `max_ms` (CPU time per
    /// frame, eframe's measurement: without the browser's rasterisation) and `fps`.
    pub fn frame_stats(&self) -> Result<String, JsValue> {
        self.with_app(|app| serde_json::to_string(&app.frame_stats()).unwrap_or_default())
    }

    /// Starts the frame statistics afresh.
    pub fn reset_frame_stats(&self) -> Result<(), JsValue> {
        self.with_app(|app| app.reset_frame_stats())
    }

    /// Copies the run's link to the clipboard, as the "Copy link" button does (with its
    /// confirmation); returns the link.
    pub fn copy_link(&self) -> Result<String, JsValue> {
        self.with_app(|app| app.copy_link())
    }

    /// Whether the app has panicked (for the page's crash notice).
    pub fn has_panicked(&self) -> bool {
        self.runner.has_panicked()
    }

    /// The panic message, if any.
    pub fn panic_message(&self) -> Option<String> {
        self.runner.panic_summary().map(|s| s.message())
    }
}

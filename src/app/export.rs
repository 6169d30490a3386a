//! Exports and records from the app: the diagnostics history (CSV, JSON), a PNG of the
//! window, a checkpoint file (with its link) and, in the browser, a WebM recording. On the
//! desktop files are written to the working directory; in the browser they are downloads
//! (index.html's `stepscopeDownload`).

use super::{Notice, StepscopeApp};
use crate::checkpoint::Checkpoint;
use crate::export::History;
use crate::scenario::Scenario;

/// What the user exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// The diagnostics history as CSV.
    HistoryCsv,
    /// The diagnostics history as JSON.
    HistoryJson,
    /// A checkpoint file.
    Checkpoint,
    /// A PNG of the window.
    Picture,
}

/// The longest browser recording, in seconds, and its size cap in bytes.
pub const RECORDING_MAX_SECONDS: f64 = 60.0;
/// The size cap of a browser recording.
pub const RECORDING_MAX_BYTES: f64 = 50e6;

impl StepscopeApp {
    /// The recorded diagnostics of the active simulation, every kept sample, with the link
    /// and how the series were decimated.
    pub fn history_export(&self) -> History {
        let panel = self.panel();
        let recorded = panel.history();
        History {
            link: panel.scenario().to_query(),
            sim: panel.key().to_owned(),
            t: panel.time(),
            note: recorded.note,
            series: recorded.series,
        }
    }

    /// A checkpoint of the active run as JSON (see [`crate::checkpoint`]). A GPU run is saved
    /// as last read back: its f32 state exactly. Diffusion sampling has none (its link
    /// reproduces it).
    pub fn checkpoint_json(&self) -> Result<String, String> {
        Ok(self.panel().checkpoint()?.to_json())
    }

    /// Continues from a checkpoint file's text: its link is loaded and its state replaces the
    /// initial one. A bad file changes nothing.
    pub fn load_checkpoint(&mut self, text: &str) -> Result<(), String> {
        let result = self
            .restore_checkpoint(text)
            .map_err(|e| format!("The checkpoint could not be loaded: {e}"));
        self.noted(result)?;
        Ok(())
    }

    fn restore_checkpoint(&mut self, text: &str) -> Result<(), String> {
        let checkpoint = match Checkpoint::from_json(text) {
            Some(c) => c?,
            None => return Err("this is not a stepscope checkpoint file".into()),
        };
        // Everything is checked before anything is replaced: the link and the state are
        // rebuilt into a run (which also refuses diffusion sampling: it has no checkpoints).
        Scenario::restore(&checkpoint)?;
        self.set_race_mode(false);
        if self.computes_on_gpu() {
            self.set_compute(false)?;
        }
        self.load_link(&checkpoint.link)?;
        self.panels[self.active].restore(&checkpoint)?;
        self.running = false;
        self.notice = Some(Notice::Info(format!(
            "Continuing from the checkpoint at t = {}.",
            checkpoint.t
        )));
        Ok(())
    }

    /// Exports `kind` as a file (desktop: in the working directory; browser: a download) and
    /// says where in the notice. A picture is taken at the next frame.
    pub fn export(&mut self, kind: ExportKind) {
        let sim = self.scenario().sim_key();
        let result = match kind {
            ExportKind::HistoryCsv => deliver(
                &format!("stepscope-{sim}-history.csv"),
                "text/csv",
                self.history_export().to_csv().into_bytes(),
            ),
            ExportKind::HistoryJson => deliver(
                &format!("stepscope-{sim}-history.json"),
                "application/json",
                self.history_export().to_json().into_bytes(),
            ),
            ExportKind::Checkpoint => self.checkpoint_json().and_then(|json| {
                deliver(
                    &format!("stepscope-{sim}-checkpoint.json"),
                    "application/json",
                    json.into_bytes(),
                )
            }),
            ExportKind::Picture => {
                let Some(ctx) = self.egui_ctx.clone() else {
                    self.notice = Some(Notice::Error(
                        "Export failed: no window to take a picture of".into(),
                    ));
                    return;
                };
                self.picture_requested = true;
                let slot = self.screenshot.clone();
                let wake = ctx.clone();
                let callback = egui::ScreenshotCallback::new(move |image| {
                    if let Ok(mut slot) = slot.lock() {
                        *slot = Some(image);
                    }
                    wake.request_repaint();
                });
                ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(callback));
                return;
            }
        };
        self.notice = Some(match result {
            Ok(where_to) => Notice::Info(where_to),
            Err(e) => Notice::Error(format!("Export failed: {e}")),
        });
    }

    /// Takes a screenshot the window delivered and saves it as PNG.
    pub(super) fn take_screenshot(&mut self) {
        if !self.picture_requested {
            return;
        }
        let image = self.screenshot.lock().ok().and_then(|mut slot| slot.take());
        let Some(image) = image else {
            return;
        };
        self.picture_requested = false;
        let sim = self.scenario().sim_key();
        let result = png_bytes(&image)
            .and_then(|bytes| deliver(&format!("stepscope-{sim}.png"), "image/png", bytes));
        self.notice = Some(match result {
            Ok(where_to) => Notice::Info(where_to),
            Err(e) => Notice::Error(format!("Export failed: {e}")),
        });
    }
}

/// An RGBA PNG of `image`.
pub fn png_bytes(image: &egui::ColorImage) -> Result<Vec<u8>, String> {
    let [width, height] = image.size;
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width as u32, height as u32);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    let rgba: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(|p| p.to_srgba_unmultiplied())
        .collect();
    writer.write_image_data(&rgba).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// Writes the file in the working directory; returns what to tell the user.
#[cfg(not(target_arch = "wasm32"))]
fn deliver(name: &str, _mime: &str, bytes: Vec<u8>) -> Result<String, String> {
    let path = std::env::current_dir()
        .map_err(|e| e.to_string())?
        .join(name);
    std::fs::write(&path, &bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(format!("Saved {} ({} bytes).", path.display(), bytes.len()))
}

/// Hands the file to the page's `stepscopeDownload(name, mime, bytes)`.
#[cfg(target_arch = "wasm32")]
fn deliver(name: &str, mime: &str, bytes: Vec<u8>) -> Result<String, String> {
    use wasm_bindgen::JsValue;
    let window = js_sys::global();
    let download = js_sys::Reflect::get(&window, &JsValue::from_str("stepscopeDownload"))
        .map_err(|_| "the page has no download helper".to_owned())?;
    let download: js_sys::Function = download
        .dyn_into()
        .map_err(|_| "the page's download helper is not a function".to_owned())?;
    let data = js_sys::Uint8Array::from(bytes.as_slice());
    download
        .call3(
            &JsValue::NULL,
            &JsValue::from_str(name),
            &JsValue::from_str(mime),
            &data,
        )
        .map_err(|e| format!("the download failed: {e:?}"))?;
    Ok(format!("Downloaded {name} ({} bytes).", bytes.len()))
}

/// Starts a WebM recording of the page's canvas for up to `seconds` (capped at
/// [`RECORDING_MAX_SECONDS`] and [`RECORDING_MAX_BYTES`]); it downloads when it stops.
#[cfg(target_arch = "wasm32")]
pub fn start_recording(seconds: f64) -> Result<(), String> {
    use wasm_bindgen::JsValue;
    let window = js_sys::global();
    let record = js_sys::Reflect::get(&window, &JsValue::from_str("stepscopeRecord"))
        .map_err(|_| "the page cannot record".to_owned())?;
    let record: js_sys::Function = record
        .dyn_into()
        .map_err(|_| "the page cannot record".to_owned())?;
    record
        .call2(
            &JsValue::NULL,
            &JsValue::from_f64(seconds.min(RECORDING_MAX_SECONDS)),
            &JsValue::from_f64(RECORDING_MAX_BYTES),
        )
        .map(|_| ())
        .map_err(|e| format!("recording failed: {e:?}"))
}

/// Exports, for the left panel.
pub(super) fn controls(app: &mut StepscopeApp, ui: &mut egui::Ui) {
    ui.collapsing("Export and records", |ui| {
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("History CSV")
                .on_hover_text("Every recorded sample of the diagnostics, with the link and how long runs were decimated.")
                .clicked()
            {
                app.export(ExportKind::HistoryCsv);
            }
            if ui.button("History JSON").clicked() {
                app.export(ExportKind::HistoryJson);
            }
            if ui
                .button("Picture PNG")
                .on_hover_text("The window as it is now.")
                .clicked()
            {
                app.export(ExportKind::Picture);
            }
            if ui
                .button("Checkpoint")
                .on_hover_text("The run's full state with its link: loading it continues the run exactly (CPU f64).")
                .clicked()
            {
                app.export(ExportKind::Checkpoint);
            }
        });
        #[cfg(target_arch = "wasm32")]
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Load checkpoint…")
                .on_hover_text("Continue a run from a checkpoint file.")
                .clicked()
            {
                let window = js_sys::global();
                if let Ok(pick) = js_sys::Reflect::get(&window, &"stepscopePickCheckpoint".into())
                    && let Ok(pick) = pick.dyn_into::<js_sys::Function>()
                {
                    let _ = pick.call0(&wasm_bindgen::JsValue::NULL);
                }
            }
            if ui
                .button("Record 10 s (WebM)")
                .on_hover_text(format!(
                    "Records the window as WebM video; at most {RECORDING_MAX_SECONDS:.0} s and {:.0} MB.",
                    RECORDING_MAX_BYTES / 1e6
                ))
                .clicked()
                && let Err(e) = start_recording(10.0)
            {
                app.notice = Some(Notice::Error(e));
            }
        });
        #[cfg(not(target_arch = "wasm32"))]
        ui.label(
            egui::RichText::new(
                "Files go to the working directory. Load a checkpoint by pasting its path into the link box.",
            )
            .small()
            .weak(),
        );
    });
}

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::JsCast;

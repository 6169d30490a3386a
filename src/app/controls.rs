//! The left panel's frame, the same for every simulation: the simulation and mode selectors,
//! the compute switch and the f64 shadow, the simulation's own controls (its panel's), the
//! transport buttons, the statistics, the notice, links and exports.

use super::plots::sci;
use super::{Notice, StepscopeApp};

pub(super) fn controls(app: &mut StepscopeApp, ui: &mut egui::Ui) {
    ui.heading("stepscope");
    ui.label(
        egui::RichText::new("watch the solver think")
            .italics()
            .weak(),
    );
    appearance(ui, &mut app.intro.shown);
    ui.separator();

    simulation_selector(app, ui);
    let mut race_mode = app.race_mode();
    ui.horizontal(|ui| {
        ui.label("Mode:");
        ui.selectable_value(&mut race_mode, false, "Run")
            .on_hover_text("One solver, live: its steps, errors and invariants.");
        ui.selectable_value(&mut race_mode, true, "Race")
            .on_hover_text(
                "Several solvers on this scenario side by side, and their work–precision diagram.",
            );
        if race_mode
            && ui
                .button("Race this scenario anew")
                .on_hover_text("Restart the race lab on the scenario as it is set now.")
                .clicked()
        {
            app.race_lab = None;
        }
    });
    if race_mode != app.race_mode() || (race_mode && app.race_lab.is_none()) {
        app.set_race_mode(race_mode);
    }
    if app.race_mode() {
        // The single run's controls and readouts would describe a run that is not shown.
        ui.separator();
        ui.label(format!(
            "The race's solvers, sweep and results are on the right. The single run waits at \
             t = {} with its settings; choose Run to go back to it.",
            crate::core::format_f64(app.panel().time())
        ));
        notice_and_links(app, ui);
        return;
    }
    if app.panel().has_gpu_path() {
        compute_selector(app, ui);
        shadow_controls(app, ui);
    }
    let (shell, panel) = app.parts();
    if let Some(notice) = panel.controls(shell, ui) {
        app.notice = Some(notice);
    }
    transport_and_stats(app, ui);
}

/// Which simulation runs; each keeps its state when another is shown.
fn simulation_selector(app: &mut StepscopeApp, ui: &mut egui::Ui) {
    let active = app.active_simulation();
    let mut choice = active;
    ui.horizontal_wrapped(|ui| {
        ui.label("Simulation:");
        for scenario in crate::scenario::every_default() {
            let info = scenario.info();
            ui.selectable_value(&mut choice, info.key, info.name)
                .on_hover_text(info.doc);
        }
    });
    if choice != active {
        // A failure is shown through the notice.
        let _ = app.set_simulation(choice);
    }
}

fn transport_and_stats(app: &mut StepscopeApp, ui: &mut egui::Ui) {
    ui.separator();
    ui.horizontal(|ui| {
        let play_label = if app.running { "Pause" } else { "Play" };
        if ui.button(play_label).on_hover_text("Space").clicked() {
            let running = !app.running;
            app.set_running(running);
        }
        if ui
            .button("Step")
            .on_hover_text("Right arrow: one accepted step")
            .clicked()
        {
            app.set_running(false);
            app.step(1);
        }
        if ui
            .button("Reset")
            .on_hover_text("r : restart from t = 0")
            .clicked()
        {
            app.reset();
        }
    });
    // Diffusion has its own playback rate (NFE per second) in its panel; Navier–Stokes
    // steps as fast as the frame budget allows.
    if app.panel().paced_by_speed() {
        ui.horizontal(|ui| {
            let label = ui
                .label("speed")
                .on_hover_text("Simulation time per second of wall time.");
            ui.add(
                egui::Slider::new(&mut app.speed, 0.01..=20.0)
                    .logarithmic(true)
                    .suffix(" t/s"),
            )
            .labelled_by(label.id);
        });
        if app.running
            && let Some(achieved) = app.pace.achieved_rate()
        {
            let text = super::pace::rate_text(achieved, app.speed, app.computes_on_gpu());
            let colour = if achieved < 0.9 * app.speed {
                egui::Color32::from_rgb(220, 140, 30)
            } else {
                ui.visuals().weak_text_color()
            };
            ui.label(egui::RichText::new(text).small().color(colour));
        }
    }
    let mut previous = super::chart::show_previous(ui.ctx());
    if ui
        .checkbox(&mut previous, "previous run, faded")
        .on_hover_text(
            "After a reset or a change that restarts the run, the time plots keep the last run's \
             lines, faded and out of the legend, to compare with.",
        )
        .changed()
    {
        super::chart::set_show_previous(ui.ctx(), previous);
    }
    ui.checkbox(&mut app.pace.show_readout, "frame times")
        .on_hover_text("Our CPU time per frame (eframe's measurement, without the browser's drawing) and the frame rate.");
    if app.pace.show_readout {
        let s = app.pace.stats();
        ui.label(
            egui::RichText::new(format!(
                "frame {:.1} ms (p99 {:.1}, max {:.1}), {:.0} fps; simulation slice {:.1} ms",
                s.median_ms,
                s.p99_ms,
                s.max_ms,
                s.fps,
                1e3 * app.pace.slice()
            ))
            .small()
            .monospace(),
        );
        ui.ctx().request_repaint();
    }

    ui.separator();
    egui::Grid::new("stats").num_columns(2).show(ui, |ui| {
        for (name, value, tip) in app.panel().stats() {
            ui.label(name).on_hover_text(tip);
            ui.monospace(value);
            ui.end_row();
        }
    });
    notice_and_links(app, ui);
}

fn notice_and_links(app: &mut StepscopeApp, ui: &mut egui::Ui) {
    ui.separator();
    ui.label("Link of this run")
        .on_hover_text("The link reproduces the run; the address bar follows it too. Paste another link here to load it.");
    let field = ui.add(
        egui::TextEdit::singleline(&mut app.address.input)
            .hint_text("paste a link…")
            .desired_width(f32::INFINITY),
    );
    if field.changed() {
        app.address.editing = true;
    }
    let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    ui.horizontal(|ui| {
        let copy_label = if app.address.just_copied() {
            "Copied!"
        } else {
            "Copy link"
        };
        if ui
            .button(copy_label)
            .on_hover_text("Copies a link that reproduces this run.")
            .clicked()
        {
            app.copy_link();
        }
        let load = ui
            .add_enabled(app.address.editing, egui::Button::new("Load"))
            .on_hover_text("Loads the link typed above; on the desktop also the path of a file holding one or of a checkpoint.");
        if load.clicked() || (entered && app.address.editing) {
            let input = app.address.input.trim().to_owned();
            if load_input(app, &input).is_ok() {
                app.address.editing = false;
            }
        }
        if app.address.editing
            && ui
                .button("Revert")
                .on_hover_text("Show this run's link again.")
                .clicked()
        {
            app.address.editing = false;
        }
    });
    super::export::controls(app, ui);
    ui.separator();
    ui.label(
        egui::RichText::new(format!("Rendering: {}", readable_backend(&app.backend)))
            .small()
            .weak(),
    );
    let compute = if app.computes_on_gpu() {
        "Compute: GPU, f32 (WGSL compute shaders on the device above)"
    } else {
        "Compute: CPU, f64 (the reference)"
    };
    ui.label(egui::RichText::new(compute).small().weak());
}

/// The renderer as people call it: "WebGPU in the browser", "WebGL2 in the browser (no
/// compute shaders)", "Vulkan on llvmpipe …" instead of wgpu's `BrowserWebGpu ()`.
fn readable_backend(backend: &str) -> String {
    let (kind, adapter) = match backend.split_once(" (") {
        Some((kind, rest)) => (kind, rest.strip_suffix(')').unwrap_or(rest)),
        None => (backend, ""),
    };
    let name = match kind {
        "BrowserWebGpu" => "WebGPU in the browser",
        "Gl" if cfg!(target_arch = "wasm32") => "WebGL2 in the browser (no compute shaders)",
        "Gl" => "OpenGL (no compute shaders)",
        "Vulkan" => "Vulkan",
        "Metal" => "Metal",
        "Dx12" => "Direct3D 12",
        other => other,
    };
    if adapter.is_empty() {
        name.to_owned()
    } else {
        format!("{name} on {adapter}")
    }
}

/// Zoom of the whole UI in presentation mode (larger fonts and lines, for a projector).
const PRESENTATION_ZOOM: f32 = 1.4;

/// Light or dark, and presentation mode. Both start the same on the web and the desktop
/// (light, normal size; see [`StepscopeApp::from_creation_context`]).
fn appearance(ui: &mut egui::Ui, intro_shown: &mut bool) {
    let ctx = ui.ctx().clone();
    ui.horizontal(|ui| {
        let mut dark = ctx.theme() == egui::Theme::Dark;
        if ui
            .selectable_label(!dark, "Light")
            .on_hover_text("Dark text on a light background (the default).")
            .clicked()
        {
            dark = false;
            ctx.set_theme(egui::ThemePreference::Light);
        }
        if ui
            .selectable_label(dark, "Dark")
            .on_hover_text("Light text on a dark background.")
            .clicked()
        {
            ctx.set_theme(egui::ThemePreference::Dark);
        }
        let mut presenting = ctx.zoom_factor() > 1.0;
        if ui
            .checkbox(&mut presenting, "presentation")
            .on_hover_text("Larger text and lines for a projector or the back of a room.")
            .changed()
        {
            ctx.set_zoom_factor(if presenting { PRESENTATION_ZOOM } else { 1.0 });
        }
        ui.checkbox(intro_shown, "intro").on_hover_text(
            "The equation, the gallery of presets and what to try, above the views.",
        );
    });
}

/// CPU (f64) or GPU (f32): switching hands the state over; the GPU choice is disabled, with
/// the reason, where there is no compute-capable device.
fn compute_selector(app: &mut StepscopeApp, ui: &mut egui::Ui) {
    let on_gpu = app.computes_on_gpu();
    let unavailable = app.gpu_unavailable().map(str::to_owned);
    let mut choice = on_gpu;
    ui.horizontal(|ui| {
        ui.label("Compute:")
            .on_hover_text("Where the simulation is computed. The NLSE continues its run; diffusion sampling restarts from the same particles and noise.");
        ui.selectable_value(&mut choice, false, "CPU f64")
            .on_hover_text("The f64 reference implementation (rustfft).");
        let gpu = ui
            .add_enabled(
                unavailable.is_none(),
                egui::Button::selectable(choice, "GPU f32"),
            )
            .on_hover_text(super::nlse::F32_NOTICE);
        if let Some(why) = &unavailable {
            gpu.clone()
                .on_disabled_hover_text(format!("Unavailable: {why}."));
        }
        if gpu.clicked() {
            choice = true;
        }
    });
    if choice != on_gpu {
        // Errors are shown through the notice.
        let _ = app.set_compute(choice);
    }
    if app.computes_on_gpu() {
        ui.label(
            egui::RichText::new("single precision: rtol ≥ 1e-6, drifts ≥ 1e-7")
                .small()
                .color(egui::Color32::from_rgb(230, 180, 80)),
        )
        .on_hover_text(super::nlse::F32_NOTICE);
    }
}

/// The precision shadow of the NLSE's or the diffusion sampler's GPU run: the switch, the f32–f64 difference against
/// its round-off bound over time, the verdict, and the way over to the f64 path.
fn shadow_controls(app: &mut StepscopeApp, ui: &mut egui::Ui) {
    if let Some(limit) = app.precision_limit() {
        ui.colored_label(egui::Color32::from_rgb(230, 180, 80), limit);
    }
    if !app.computes_on_gpu() {
        return;
    }
    let mut on = app.shadow_on();
    let toggled = ui
        .checkbox(&mut on, "f64 shadow")
        .on_hover_text(
            "An f64 CPU run of the same scenario follows the GPU run to every time the GPU \
             reports, and the difference of the two states is plotted: what single precision \
             costs, measured.",
        )
        .changed();
    if toggled && let Err(e) = app.set_shadow(on) {
        app.notice = Some(Notice::Error(e));
    }
    let points = app.shadow_points();
    let Some(last) = points.last() else {
        return;
    };
    ui.label(format!(
        "f32 − f64 at t = {:.4}: {} (round-off bound {})",
        last.t,
        sci(last.difference),
        sci(last.bound)
    ));
    let line = |pick: fn(&crate::core::shadow::ShadowPoint) -> f64| -> Vec<[f64; 2]> {
        points.iter().map(|p| [p.t, pick(p)]).collect()
    };
    use super::plots::{BLUE, GREEN, ORANGE};
    super::plots::Chart::over_time("shadow-difference", "relative difference")
        .log_y()
        .height(120.0)
        .legend()
        .show(ui, |s| {
            s.line("f32 − f64", line(|p| p.difference), BLUE);
            s.line("f32 round-off bound", line(|p| p.bound), ORANGE);
            s.line(
                "f64 solver error",
                line(|p| p.f64_error.unwrap_or(f64::NAN)),
                GREEN,
            );
        });
    if ui
        .button("Continue on the f64 shadow")
        .on_hover_text("Switch the main view to the f64 run that followed the GPU.")
        .clicked()
        && let Err(e) = app.continue_on_shadow()
    {
        app.notice = Some(Notice::Error(e));
    }
}

/// Loads what was pasted: a link, or on the desktop a file holding a link or a checkpoint.
fn load_input(app: &mut StepscopeApp, input: &str) -> Result<(), String> {
    #[cfg(not(target_arch = "wasm32"))]
    if std::path::Path::new(input).is_file() {
        let text = std::fs::read_to_string(input).map_err(|e| {
            let message = format!("Cannot read {input}: {e}");
            app.notice = Some(Notice::Error(message.clone()));
            message
        })?;
        if crate::checkpoint::Checkpoint::from_json(&text).is_some() {
            return app.load_checkpoint(&text);
        }
        return app.load_link(text.trim());
    }
    app.load_link(input)
}

#[cfg(test)]
mod tests {
    use super::readable_backend;

    #[test]
    fn backends_get_names_people_use() {
        assert_eq!(
            readable_backend("BrowserWebGpu ()"),
            "WebGPU in the browser"
        );
        assert_eq!(
            readable_backend("Vulkan (llvmpipe (LLVM 15.0.6, 256 bits))"),
            "Vulkan on llvmpipe (LLVM 15.0.6, 256 bits)"
        );
        assert_eq!(readable_backend("no wgpu renderer"), "no wgpu renderer");
    }
}

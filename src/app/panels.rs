//! The left panel: simulation, scenario, solver, parameters (with units and tooltips),
//! transport controls, run statistics, links.

use super::views::sci;
use super::{ActiveSim, Notice, StepscopeApp};
use crate::core::controller::ControllerKind;
use crate::sims::nlse::{NlseCase, NlseMethod, NlseParams};

pub(super) fn controls(app: &mut StepscopeApp, ui: &mut egui::Ui) {
    ui.heading("stepscope");
    ui.label(
        egui::RichText::new("watch the solver think")
            .italics()
            .weak(),
    );
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
    match app.active {
        ActiveSim::Nlse => nlse_controls(app, ui),
        ActiveSim::ThreeBody => {
            if let Some(tb) = &mut app.three_body {
                super::threebody::controls(tb, ui);
            }
            app.apply_three_body_draft();
        }
        ActiveSim::Diffusion => {
            compute_selector(app, ui);
            shadow_controls(app, ui);
            if let Some(d) = &mut app.diffusion {
                super::diffusion::controls(d, ui);
            }
            app.apply_diffusion_draft();
        }
        ActiveSim::NavierStokes => {
            compute_selector(app, ui);
            shadow_controls(app, ui);
            if let Some(ns) = &mut app.navier_stokes {
                super::navier_stokes::controls(ns, ui);
            }
            app.apply_navier_stokes_draft();
        }
    }
    transport_and_stats(app, ui);
}

/// Which simulation runs; each keeps its state when the other is shown.
fn simulation_selector(app: &mut StepscopeApp, ui: &mut egui::Ui) {
    let mut choice = app.active;
    ui.horizontal(|ui| {
        ui.label("Simulation:");
        ui.selectable_value(&mut choice, ActiveSim::Nlse, "NLSE").on_hover_text(
            "i ψ_t + (β/2) ψ_xx + γ|ψ|²ψ = 0 on a periodic interval, Fourier pseudo-spectral in x.",
        );
        ui.selectable_value(&mut choice, ActiveSim::ThreeBody, "Three-body").on_hover_text(
            "Newtonian gravity of 2–16 bodies in 3D, G = 1: symplectic, Runge–Kutta, Hermite and IAS15 integrators.",
        );
        ui.selectable_value(&mut choice, ActiveSim::Diffusion, "Diffusion").on_hover_text(
            "Reverse-time SDE/ODE samplers of diffusion models on Gaussian mixtures with exact scores: every error is the sampler's.",
        );
        ui.selectable_value(&mut choice, ActiveSim::NavierStokes, "Navier–Stokes").on_hover_text(
            "2D incompressible flow: staggered-grid projection methods and a pseudo-spectral vorticity solver, against exact solutions and published tables.",
        );
    });
    if choice != app.active {
        app.set_simulation(choice);
    }
}

fn nlse_controls(app: &mut StepscopeApp, ui: &mut egui::Ui) {
    compute_selector(app, ui);
    shadow_controls(app, ui);

    let draft = &mut app.draft;
    egui::ComboBox::from_label("Scenario")
        .selected_text(draft.case.label())
        .show_ui(ui, |ui| {
            for case in NlseCase::ALL {
                let clicked = ui
                    .selectable_label(draft.case == case, case.label())
                    .on_hover_text(case.doc())
                    .clicked();
                if clicked && draft.case != case {
                    // A new scenario starts from its own tuned defaults, keeping the solver.
                    let method = draft.method;
                    *draft = NlseParams {
                        method,
                        ..NlseParams::for_case(case)
                    };
                }
            }
        })
        .response
        .on_hover_text(draft.case.doc());

    egui::ComboBox::from_label("Solver")
        .selected_text(draft.method.label())
        .show_ui(ui, |ui| {
            for method in NlseMethod::ALL {
                ui.selectable_value(&mut draft.method, method, method.label())
                    .on_hover_text(method.doc());
            }
        })
        .response
        .on_hover_text(draft.method.doc());

    ui.add_space(4.0);
    egui::Grid::new("params").num_columns(2).striped(true).show(ui, |ui| {
        if draft.method.is_adaptive() {
            let label = ui.label("Controller").on_hover_text(draft.controller.doc());
            egui::ComboBox::from_id_salt("controller")
                .selected_text(draft.controller.label())
                .show_ui(ui, |ui| {
                    for c in ControllerKind::ALL {
                        ui.selectable_value(&mut draft.controller, c, c.label()).on_hover_text(c.doc());
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("rtol").on_hover_text("Relative tolerance on the L2 norm of the local error estimate.");
            ui.add(egui::Slider::new(&mut draft.rtol, 1e-13..=1e-2).logarithmic(true).custom_formatter(|v, _| format!("{v:.0e}"))).labelled_by(label.id);
            ui.end_row();
            let label = ui.label("atol").on_hover_text("Absolute tolerance on the RMS of the error (units of ψ).");
            ui.add(egui::Slider::new(&mut draft.atol, 1e-15..=1e-3).logarithmic(true).custom_formatter(|v, _| format!("{v:.0e}"))).labelled_by(label.id);
            ui.end_row();
        }
        let label = if draft.method.is_adaptive() {
            ui.label("h₀").on_hover_text("Initial step (time units); the controller adapts it.")
        } else {
            ui.label("h").on_hover_text("Fixed time step (time units). The error falls like h^order.")
        };
        ui.add(egui::Slider::new(&mut draft.dt, 1e-4..=1.0).logarithmic(true)).labelled_by(label.id);
        ui.end_row();

        let label = ui.label("N").on_hover_text("Grid points (power of two). Resolution: k_max = πN/L.");
        egui::ComboBox::from_id_salt("n")
            .selected_text(draft.n.to_string())
            .show_ui(ui, |ui| {
                for e in 8..=16 {
                    let n = 1usize << e;
                    ui.selectable_value(&mut draft.n, n, n.to_string());
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();
        if matches!(draft.case, NlseCase::Soliton | NlseCase::TwoSoliton | NlseCase::Gaussian) {
            let label = ui.label("L").on_hover_text("Domain length; the domain is [−L/2, L/2), periodic.");
            ui.add(egui::DragValue::new(&mut draft.length).range(1.0..=1e4).speed(0.5)).labelled_by(label.id);
            ui.end_row();
        }
        let label = ui.label("β").on_hover_text("Dispersion coefficient (βγ > 0 focusing).");
        ui.add(egui::DragValue::new(&mut draft.beta).range(-10.0..=10.0).speed(0.01)).labelled_by(label.id);
        ui.end_row();
        let label = ui.label("γ").on_hover_text("Kerr nonlinearity coefficient.");
        ui.add(egui::DragValue::new(&mut draft.gamma).range(-10.0..=10.0).speed(0.01)).labelled_by(label.id);
        ui.end_row();
        match draft.case {
            NlseCase::Soliton | NlseCase::TwoSoliton | NlseCase::Gaussian => {
                let label = ui.label("η").on_hover_text("Soliton amplitude (inverse width), normalised units.");
                ui.add(egui::DragValue::new(&mut draft.amplitude).range(0.05..=10.0).speed(0.01)).labelled_by(label.id);
                ui.end_row();
            }
            _ => {}
        }
        match draft.case {
            NlseCase::Soliton | NlseCase::TwoSoliton => {
                let label = ui.label("v").on_hover_text("Soliton velocity (normalised; ±v in the collision).");
                ui.add(egui::DragValue::new(&mut draft.velocity).range(-10.0..=10.0).speed(0.01)).labelled_by(label.id);
                ui.end_row();
            }
            _ => {}
        }
        if draft.case == NlseCase::TwoSoliton {
            let label = ui.label("η₂").on_hover_text("Second soliton's amplitude.");
            ui.add(egui::DragValue::new(&mut draft.amplitude2).range(0.05..=10.0).speed(0.01)).labelled_by(label.id);
            ui.end_row();
            let label = ui.label("separation").on_hover_text("Initial distance between the solitons.");
            ui.add(egui::DragValue::new(&mut draft.separation).range(1.0..=1000.0).speed(0.1)).labelled_by(label.id);
            ui.end_row();
        }
        if draft.case == NlseCase::Breather {
            let label = ui.label("a").on_hover_text("Breather parameter, 0 < a < 1/2: modulation frequency Ω = 2√(1−2a), growth b = √(8a(1−2a)).");
            ui.add(egui::DragValue::new(&mut draft.breather_a).range(0.01..=0.49).speed(0.001)).labelled_by(label.id);
            ui.end_row();
        }
        if draft.case == NlseCase::ModulationInstability {
            let label = ui.label("A").on_hover_text("Plane-wave amplitude; peak gain γA² at K = A√(2γ/β).");
            ui.add(egui::DragValue::new(&mut draft.background).range(0.01..=10.0).speed(0.01)).labelled_by(label.id);
            ui.end_row();
            let label = ui.label("noise").on_hover_text("Relative amplitude of the seeded complex Gaussian noise.");
            ui.add(egui::Slider::new(&mut draft.noise, 1e-12..=1e-1).logarithmic(true)).labelled_by(label.id);
            ui.end_row();
            let label = ui.label("seed").on_hover_text("Random seed: the same seed reproduces the same noise.");
            ui.add(egui::DragValue::new(&mut draft.seed)).labelled_by(label.id);
            ui.end_row();
        }
        let label = ui.label("dealias").on_hover_text("Zero |k| > 2/3·k_max in the nonlinear term (Orszag's 2/3 rule).");
        ui.checkbox(&mut draft.dealias, "2/3 rule").labelled_by(label.id);
        ui.end_row();
        let label = ui.label("filter").on_hover_text("Exponential filter as damping rate σ(k) = rate·(|k|/k_max)^36 (Hou & Li 2007); 0 = off.");
        ui.add(egui::DragValue::new(&mut draft.filter_rate).range(0.0..=1000.0).speed(0.1)).labelled_by(label.id);
        ui.end_row();
    });
    app.apply_draft();
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
    if !matches!(app.active, ActiveSim::Diffusion | ActiveSim::NavierStokes) {
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
    }

    ui.separator();
    let rows = match (app.active, &app.three_body, &app.diffusion) {
        (ActiveSim::ThreeBody, Some(tb), _) => Some(super::threebody::stats_rows(tb)),
        (ActiveSim::Diffusion, _, Some(d)) => Some(super::diffusion::stats_rows(d)),
        (ActiveSim::NavierStokes, ..) => app
            .navier_stokes
            .as_ref()
            .map(super::navier_stokes::stats_rows),
        _ => None,
    };
    if let Some(rows) = rows {
        egui::Grid::new("tb-stats").num_columns(2).show(ui, |ui| {
            for (name, value, tip) in rows {
                ui.label(name).on_hover_text(tip);
                ui.monospace(value);
                ui.end_row();
            }
        });
    } else {
        nlse_stats(app, ui);
    }
    notice_and_links(app, ui);
}

fn nlse_stats(app: &mut StepscopeApp, ui: &mut egui::Ui) {
    let stats = *app.sim.stats();
    egui::Grid::new("stats").num_columns(2).show(ui, |ui| {
        let rows: [(&str, String, &str); 8] = [
            ("t", format!("{:.4}", stats.t), "Simulation time."),
            ("h", sci(stats.h), "Step the controller proposes next."),
            (
                "error estimate",
                sci(stats.last_error),
                "Scaled error norm of the last step (1 = at tolerance).",
            ),
            ("accepted", stats.accepted.to_string(), "Accepted steps."),
            (
                "rejected",
                stats.rejected.to_string(),
                "Steps rejected by the controller and retried smaller.",
            ),
            (
                "RHS evaluations",
                stats.nfe.to_string(),
                "Nonlinear-term evaluations (each costs two FFTs).",
            ),
            (
                "steps / s",
                format!("{:.0}", app.steps_per_second),
                "Accepted steps per wall-clock second.",
            ),
            (
                "mass drift",
                sci(app.sim.diagnostics().mass_drift),
                "|M − M₀|/M₀ with M = ∫|ψ|².",
            ),
        ];
        for (name, value, tip) in rows {
            ui.label(name).on_hover_text(tip);
            ui.monospace(value);
            ui.end_row();
        }
    });
}

fn notice_and_links(app: &mut StepscopeApp, ui: &mut egui::Ui) {
    if let Some(notice) = &app.notice {
        ui.separator();
        match notice {
            Notice::Error(e) => {
                ui.colored_label(egui::Color32::from_rgb(255, 110, 90), format!("Error: {e}"))
            }
            Notice::Info(i) => ui.label(i.as_str()),
        };
    }

    ui.separator();
    ui.horizontal(|ui| {
        if ui
            .button("Copy link")
            .on_hover_text("Copies a link that reproduces this run.")
            .clicked()
        {
            let link = share_link(&app.scenario().to_query());
            ui.ctx().copy_text(link);
        }
    });
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut app.link_input)
                .hint_text("paste a link…")
                .desired_width(180.0),
        );
        if ui
            .button("Load")
            .on_hover_text("A share link; on the desktop also the path of a file holding one or of a checkpoint.")
            .clicked()
        {
            let input = app.link_input.trim().to_owned();
            if load_input(app, &input).is_ok() {
                app.link_input.clear();
            }
        }
    });
    super::export::controls(app, ui);
    ui.separator();
    ui.label(
        egui::RichText::new(format!("Rendering: {}", app.backend))
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
            .on_hover_text(super::F32_NOTICE);
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
        .on_hover_text(super::F32_NOTICE);
    }
}

/// The full link of the running page (web) or the query alone (desktop, which accepts it as
/// an argument).
fn share_link(query: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        if let Some(loc) = web_sys::window().map(|w| w.location()) {
            let origin = loc.origin().unwrap_or_default();
            let path = loc.pathname().unwrap_or_default();
            return format!("{origin}{path}?{query}");
        }
    }
    format!("?{query}")
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
    let line = |name: &str, pick: fn(&crate::core::shadow::ShadowPoint) -> f64| {
        let pts: Vec<[f64; 2]> = points
            .iter()
            .filter(|p| pick(p) > 0.0)
            .map(|p| [p.t, pick(p).log10()])
            .collect();
        egui_plot::Line::new(name.to_owned(), egui_plot::PlotPoints::from(pts))
    };
    let lines = vec![
        line("f32 − f64", |p| p.difference),
        line("f32 round-off bound", |p| p.bound),
        line("f64 solver error", |p| p.f64_error.unwrap_or(f64::NAN)),
    ];
    super::views::log_plot(ui, "shadow-difference", 120.0, lines);
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

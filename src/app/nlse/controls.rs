//! The NLSE's controls: scenario, solver and parameters (with units and tooltips), and its
//! statistics.

use crate::app::panel::StatRow;
use crate::app::plots::{choice_combo, sci};
use crate::core::controller::ControllerKind;
use crate::core::stats::RunStats;
use crate::sims::nlse::{NlseCase, NlseDiagnostics, NlseParams};

/// The scenario, solver and parameters, edited in `draft`.
pub(super) fn parameters(draft: &mut NlseParams, ui: &mut egui::Ui) {
    let mut case = draft.case;
    if choice_combo(ui, "Scenario", &mut case) {
        // A new scenario starts from its own tuned defaults, keeping the solver.
        *draft = NlseParams {
            method: draft.method,
            ..NlseParams::for_case(case)
        };
    }
    choice_combo(ui, "Solver", &mut draft.method);

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
            let label = ui.label("hold").on_hover_text(
                "After an accepted step, keep the step unless the controller changes it by this factor or more \
                 (1 = off; 1.5 is CVODE's default). Each new step size costs new propagator tables.",
            );
            ui.add(egui::Slider::new(&mut draft.hold, 1.0..=3.0).step_by(0.05)).labelled_by(label.id);
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
            ui.add(egui::DragValue::new(&mut draft.length).range(1.0..=1e4).clamp_existing_to_range(false).speed(0.5)).labelled_by(label.id);
            ui.end_row();
        }
        let label = ui.label("β").on_hover_text("Dispersion coefficient (βγ > 0 focusing).");
        ui.add(egui::DragValue::new(&mut draft.beta).range(-10.0..=10.0).clamp_existing_to_range(false).speed(0.01)).labelled_by(label.id);
        ui.end_row();
        let label = ui.label("γ").on_hover_text("Kerr nonlinearity coefficient.");
        ui.add(egui::DragValue::new(&mut draft.gamma).range(-10.0..=10.0).clamp_existing_to_range(false).speed(0.01)).labelled_by(label.id);
        ui.end_row();
        match draft.case {
            NlseCase::Soliton | NlseCase::TwoSoliton | NlseCase::Gaussian => {
                let label = ui.label("η").on_hover_text("Soliton amplitude (inverse width), normalised units.");
                ui.add(egui::DragValue::new(&mut draft.amplitude).range(0.05..=10.0).clamp_existing_to_range(false).speed(0.01)).labelled_by(label.id);
                ui.end_row();
            }
            _ => {}
        }
        match draft.case {
            NlseCase::Soliton | NlseCase::TwoSoliton => {
                let label = ui.label("v").on_hover_text("Soliton velocity (normalised; ±v in the collision).");
                ui.add(egui::DragValue::new(&mut draft.velocity).range(-10.0..=10.0).clamp_existing_to_range(false).speed(0.01)).labelled_by(label.id);
                ui.end_row();
            }
            _ => {}
        }
        if draft.case == NlseCase::TwoSoliton {
            let label = ui.label("η₂").on_hover_text("Second soliton's amplitude.");
            ui.add(egui::DragValue::new(&mut draft.amplitude2).range(0.05..=10.0).clamp_existing_to_range(false).speed(0.01)).labelled_by(label.id);
            ui.end_row();
            let label = ui.label("separation").on_hover_text("Initial distance between the solitons.");
            ui.add(egui::DragValue::new(&mut draft.separation).range(1.0..=1000.0).clamp_existing_to_range(false).speed(0.1)).labelled_by(label.id);
            ui.end_row();
        }
        if draft.case == NlseCase::Breather {
            let label = ui.label("a").on_hover_text("Breather parameter, 0 < a < 1/2: modulation frequency Ω = 2√(1−2a), growth b = √(8a(1−2a)).");
            ui.add(egui::DragValue::new(&mut draft.breather_a).range(0.01..=0.49).clamp_existing_to_range(false).speed(0.001)).labelled_by(label.id);
            ui.end_row();
        }
        if draft.case == NlseCase::ModulationInstability {
            let label = ui.label("A").on_hover_text("Plane-wave amplitude; peak gain γA² at K = A√(2γ/β).");
            ui.add(egui::DragValue::new(&mut draft.background).range(0.01..=10.0).clamp_existing_to_range(false).speed(0.01)).labelled_by(label.id);
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
        ui.add(egui::DragValue::new(&mut draft.filter_rate).range(0.0..=1000.0).clamp_existing_to_range(false).speed(0.1)).labelled_by(label.id);
        ui.end_row();
    });
}

/// The run's statistics.
pub(super) fn stats(
    stats: &RunStats,
    steps_per_second: f64,
    d: &NlseDiagnostics,
    propagator_builds: Option<u64>,
) -> Vec<StatRow> {
    let mut rows = vec![
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
    ];
    if let Some(builds) = propagator_builds {
        rows.push((
            "propagator tables",
            builds.to_string(),
            "Times the tables e^{L c h} were built: once per new step size. A hold > 1 keeps \
             the step when the controller's change is small, saving them.",
        ));
    }
    rows.extend([
        (
            "steps / s",
            format!("{steps_per_second:.0}"),
            "Accepted steps per wall-clock second.",
        ),
        (
            "mass drift",
            sci(d.mass_drift),
            "|M − M₀|/M₀ with M = ∫|ψ|².",
        ),
    ]);
    rows
}

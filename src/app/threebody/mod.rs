//! The three-body simulation in the app: its run, the parameters being edited, the orbit
//! view (a rotatable projection of 3D positions with trails) and the live diagnostics plots.
//! No numerics here: everything is read from [`ThreeBodyCpu`].

mod panel;

use super::chaos_map::{ChaosMap, MapAction};
use super::plots::{BLUE, Chart, GREEN, ORANGE, RED, history_plot, sci};
use crate::core::controller::ControllerKind;
use crate::core::stats::Outcome;
use crate::gpu::GpuContext;
use crate::sims::threebody::cpu::ThreeBodyCpu;
use crate::sims::threebody::ias15::Ias15Criterion;
use crate::sims::threebody::scenarios::routh_value;
use crate::sims::threebody::{StepMode, ThreeBodyCase, ThreeBodyMethod, ThreeBodyParams};

/// Colours of the bodies (cycled).
const BODY_COLOURS: [egui::Color32; 6] = [
    BLUE,
    ORANGE,
    GREEN,
    RED,
    egui::Color32::LIGHT_GRAY,
    egui::Color32::from_rgb(200, 120, 255),
];

/// The three-body run and its UI state.
pub struct ThreeBodyApp {
    /// The f64 run.
    pub run: ThreeBodyCpu,
    /// Parameters as edited in the panel.
    pub draft: ThreeBodyParams,
    /// View rotation about the vertical axis (degrees).
    yaw: f64,
    /// View tilt (degrees; 0 looks along the total angular momentum onto the orbital plane).
    pitch: f64,
    /// Orbits or chaos map.
    pub show_map: bool,
    /// The chaos map.
    pub map: ChaosMap,
    /// A map from the link waits for the first frame (when the GPU is known).
    map_pending: bool,
}

impl ThreeBodyApp {
    /// Starts the run of `params`.
    pub fn new(params: ThreeBodyParams) -> Result<Self, String> {
        let run = ThreeBodyCpu::new(params)?;
        let mut map = ChaosMap::default();
        let linked_map = run.params().map.clone();
        if let Some(p) = &linked_map {
            map.params = p.clone();
            // A linked map keeps its size: the link reproduces it.
            map.resolution_chosen = true;
        }
        Ok(Self {
            draft: run.params().clone(),
            run,
            yaw: 0.0,
            pitch: 0.0,
            show_map: linked_map.is_some(),
            map,
            map_pending: linked_map.is_some(),
        })
    }

    /// Starts the map a link asked for, once (on the GPU if there is one).
    pub fn start_pending_map(&mut self, gpu: Option<&GpuContext>) -> Result<(), String> {
        if !std::mem::take(&mut self.map_pending) {
            return Ok(());
        }
        self.map.on_gpu = gpu.is_some();
        self.start_map(gpu)
    }

    /// Applies the edited parameters; returns an error message (and reverts the draft) when
    /// they are invalid.
    pub fn apply_draft(&mut self) -> Result<(), String> {
        if self.draft == *self.run.params() {
            return Ok(());
        }
        match self.run.set_params(self.draft.clone()) {
            Ok(_) => Ok(()),
            Err(e) => {
                self.draft = self.run.params().clone();
                Err(e)
            }
        }
    }

    /// Advances towards `t_end` within `budget_s` seconds of wall time.
    pub fn advance_run(&mut self, t_end: f64, budget_s: f64) -> Outcome {
        let start = web_time::Instant::now();
        loop {
            let outcome = self.run.advance(t_end, 64);
            if outcome != Outcome::BudgetExhausted || start.elapsed().as_secs_f64() > budget_s {
                return outcome;
            }
        }
    }

    /// Starts a chaos map around the scenario's initial conditions.
    pub fn start_map(&mut self, gpu: Option<&GpuContext>) -> Result<(), String> {
        // The map's settings become part of the scenario, so its link reproduces the map.
        self.map.params.validate(self.run.masses().len())?;
        self.draft.map = Some(self.map.params.clone());
        self.apply_draft()?;
        let params = self.run.params();
        let base = crate::sims::threebody::scenarios::initial_bodies(params);
        self.map.start(&base, params.softening, gpu)
    }

    /// Loads pixel (ix, iy) of the map into the main view (a new run from its initial
    /// conditions; the link then carries them as b1, b2, …).
    pub fn load_map_pixel(&mut self, ix: u32, iy: u32) -> Result<(), String> {
        let bodies = self
            .map
            .member(ix, iy)
            .ok_or_else(|| "no map pixel there".to_owned())?;
        self.draft.bodies = Some(bodies);
        // The link now describes this system's run, not the map around the old scenario.
        self.draft.map = None;
        self.apply_draft()?;
        self.show_map = false;
        Ok(())
    }

    /// Projects a 3D point onto the view plane: first into the invariable plane (normal to the
    /// total angular momentum, so a non-planar system is seen face-on; the xy plane when L is
    /// along z or zero), then rotated by the yaw and tilted by the pitch.
    fn project(&self, x: [f64; 3], basis: &[[f64; 3]; 3]) -> [f64; 2] {
        use crate::sims::threebody::dot3;
        let x = [dot3(x, basis[0]), dot3(x, basis[1]), dot3(x, basis[2])];
        let (sy, cy) = self.yaw.to_radians().sin_cos();
        let (sp, cp) = self.pitch.to_radians().sin_cos();
        let (u, v, w) = (cy * x[0] - sy * x[1], sy * x[0] + cy * x[1], x[2]);
        [u, cp * v - sp * w]
    }

    /// An orthonormal basis (e1, e2, e3) with e3 along ±L₀ (pointing to +z), e1 as close to x
    /// as possible; the standard basis when L₀ vanishes.
    fn view_basis(&self) -> [[f64; 3]; 3] {
        use crate::sims::threebody::{cross3, dot3, norm3};
        let standard = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        let l = self.run.initial_angular_momentum();
        let size = norm3(l);
        if size < 1e-12 {
            return standard;
        }
        let sign = if l[2] < 0.0 { -1.0 } else { 1.0 };
        let e3 = l.map(|c| sign * c / size);
        // e1: x with its e3 component removed (y if x is along e3).
        let pick = if e3[0].abs() < 0.9 {
            [1.0, 0.0, 0.0]
        } else {
            [0.0, 1.0, 0.0]
        };
        let along = dot3(pick, e3);
        let e1 = [
            pick[0] - along * e3[0],
            pick[1] - along * e3[1],
            pick[2] - along * e3[2],
        ];
        let n1 = norm3(e1);
        let e1 = e1.map(|c| c / n1);
        let e2 = cross3(e3, e1);
        [e1, e2, e3]
    }
}

/// The left-panel controls of the three-body simulation.
pub(super) fn controls(tb: &mut ThreeBodyApp, ui: &mut egui::Ui) {
    let draft = &mut tb.draft;
    egui::ComboBox::from_label("Scenario")
        .selected_text(draft.case.label())
        .show_ui(ui, |ui| {
            for case in ThreeBodyCase::ALL {
                let clicked = ui
                    .selectable_label(draft.case == case, case.label())
                    .on_hover_text(case.doc())
                    .clicked();
                if clicked && draft.case != case {
                    let method = draft.method;
                    *draft = ThreeBodyParams {
                        method,
                        ..ThreeBodyParams::for_case(case)
                    };
                }
            }
        })
        .response
        .on_hover_text(draft.case.doc());
    egui::ComboBox::from_label("Integrator")
        .selected_text(draft.method.label())
        .show_ui(ui, |ui| {
            for method in ThreeBodyMethod::ALL {
                ui.selectable_value(&mut draft.method, method, method.label())
                    .on_hover_text(method.doc());
            }
        })
        .response
        .on_hover_text(draft.method.doc());
    ui.add_space(4.0);
    egui::Grid::new("tb-params").num_columns(2).striped(true).show(ui, |ui| {
        if draft.method.is_error_controlled() {
            let tip = if draft.method == ThreeBodyMethod::Ias15 {
                "IAS15's ε: the relative size of the last term of the force polynomial it aims at (1e-9: energy error at round-off)."
            } else {
                "rtol = atol of the embedded error estimate."
            };
            let label = ui.label("tolerance").on_hover_text(tip);
            ui.add(egui::Slider::new(&mut draft.tol, 1e-14..=1e-3).logarithmic(true).custom_formatter(|v, _| format!("{v:.0e}"))).labelled_by(label.id);
            ui.end_row();
            if draft.method == ThreeBodyMethod::Ias15 {
                let label = ui.label("step criterion");
                egui::ComboBox::from_id_salt("ias15-criterion")
                    .selected_text(draft.ias15_criterion.label())
                    .show_ui(ui, |ui| {
                        for c in Ias15Criterion::ALL {
                            ui.selectable_value(&mut draft.ias15_criterion, c, c.label());
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
            } else {
                let label = ui.label("controller").on_hover_text(draft.controller.doc());
                egui::ComboBox::from_id_salt("tb-controller")
                    .selected_text(draft.controller.label())
                    .show_ui(ui, |ui| {
                        for c in ControllerKind::ALL {
                            ui.selectable_value(&mut draft.controller, c, c.label()).on_hover_text(c.doc());
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
            }
            let label = ui.label("h₀").on_hover_text("First step; the method adapts it.");
            ui.add(egui::Slider::new(&mut draft.dt, 1e-5..=1.0).logarithmic(true)).labelled_by(label.id);
            ui.end_row();
        } else {
            let label = ui.label("step rule").on_hover_text(draft.step_mode.doc());
            egui::ComboBox::from_id_salt("step-mode")
                .selected_text(draft.step_mode.label())
                .show_ui(ui, |ui| {
                    for m in StepMode::ALL {
                        ui.selectable_value(&mut draft.step_mode, m, m.label()).on_hover_text(m.doc());
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            if draft.step_mode == StepMode::Fixed {
                let label = ui.label("dt").on_hover_text("Fixed step. The error falls like dt^order.");
                ui.add(egui::Slider::new(&mut draft.dt, 1e-5..=1.0).logarithmic(true)).labelled_by(label.id);
            } else {
                let label = ui.label("η").on_hover_text(draft.step_mode.doc());
                ui.add(egui::Slider::new(&mut draft.eta, 1e-4..=0.5).logarithmic(true)).labelled_by(label.id);
            }
            ui.end_row();
        }
        let label = ui.label("softening ε").on_hover_text("Plummer softening: forces m/(r²+ε²); 0 is exact Newtonian gravity.");
        ui.add(egui::DragValue::new(&mut draft.softening).range(0.0..=1.0).clamp_existing_to_range(false).speed(0.001)).labelled_by(label.id);
        ui.end_row();
        let label = ui.label("trail").on_hover_text("Trail length in points (one every 0.02 time units).");
        ui.add(egui::DragValue::new(&mut draft.trail).range(2..=10_000).clamp_existing_to_range(false)).labelled_by(label.id);
        ui.end_row();
        match draft.case {
            ThreeBodyCase::Random => {
                let label = ui.label("bodies");
                ui.add(egui::DragValue::new(&mut draft.n_random).range(2..=16).clamp_existing_to_range(false)).labelled_by(label.id);
                ui.end_row();
                let label = ui.label("seed");
                ui.add(egui::DragValue::new(&mut draft.seed)).labelled_by(label.id);
                ui.end_row();
            }
            ThreeBodyCase::Lagrange => {
                for (i, m) in draft.lagrange_masses.iter_mut().enumerate() {
                    let label = ui.label(format!("m{}", i + 1));
                    ui.add(egui::DragValue::new(m).range(1e-6..=100.0).clamp_existing_to_range(false).speed(0.01)).labelled_by(label.id);
                    ui.end_row();
                }
                let routh = routh_value(draft.lagrange_masses);
                ui.label("Routh value").on_hover_text("27(m1m2+m2m3+m3m1)/(m1+m2+m3)²: linearly stable below 1 (Routh 1875).");
                ui.label(format!("{routh:.4} ({})", if routh < 1.0 { "stable" } else { "unstable" }));
                ui.end_row();
            }
            _ => {}
        }
        let label = ui.label("centre-of-mass frame");
        ui.checkbox(&mut draft.com_frame, "").labelled_by(label.id);
        ui.end_row();
    });
    initial_conditions(tb, ui);
}

/// The editable table of initial conditions (mass, position, velocity per body).
fn initial_conditions(tb: &mut ThreeBodyApp, ui: &mut egui::Ui) {
    egui::CollapsingHeader::new("Initial conditions").show(ui, |ui| {
        let mut bodies = tb
            .draft
            .bodies
            .clone()
            .unwrap_or_else(|| crate::sims::threebody::scenarios::scenario_bodies(&tb.draft));
        let mut edited = false;
        egui::Grid::new("bodies")
            .num_columns(7)
            .striped(true)
            .show(ui, |ui| {
                let headers: Vec<egui::Id> = ["m", "x", "y", "z", "vx", "vy", "vz"]
                    .into_iter()
                    .map(|h| ui.strong(h).id)
                    .collect();
                ui.end_row();
                for b in &mut bodies {
                    let [x0, x1, x2] = &mut b.x;
                    let [v0, v1, v2] = &mut b.v;
                    for (v, header) in [&mut b.mass, x0, x1, x2, v0, v1, v2]
                        .into_iter()
                        .zip(&headers)
                    {
                        edited |= ui
                            .add(egui::DragValue::new(v).speed(0.001).max_decimals(10))
                            .labelled_by(*header)
                            .changed();
                    }
                    ui.end_row();
                }
            });
        if edited {
            tb.draft.bodies = Some(bodies);
        }
        if tb.draft.bodies.is_some() && ui.button("Back to the scenario's values").clicked() {
            tb.draft.bodies = None;
        }
    });
}

/// Rows of the statistics table.
pub(super) fn stats_rows(tb: &ThreeBodyApp) -> Vec<(&'static str, String, &'static str)> {
    let s = tb.run.stats();
    let d = tb.run.diagnostics();
    vec![
        ("t", format!("{:.4}", s.t), "Simulation time."),
        ("h", sci(s.h_last), "Last accepted step."),
        (
            "error estimate",
            sci(s.last_error),
            "Scaled error of the last step (1 = at tolerance).",
        ),
        ("accepted", s.accepted.to_string(), "Accepted steps."),
        (
            "rejected",
            s.rejected.to_string(),
            "Steps rejected and retried smaller.",
        ),
        (
            "force evaluations",
            s.nfe.to_string(),
            "Evaluations of all pairwise forces.",
        ),
        ("|ΔE/E₀|", sci(d.energy_error), "Relative energy error now."),
        (
            "max |ΔE/E₀|",
            sci(d.max_energy_error),
            "Largest relative energy error so far.",
        ),
        (
            "closest approach",
            sci(d.closest_approach),
            "Smallest pairwise distance so far.",
        ),
    ]
}

/// The central view: orbits above and diagnostics below, or the chaos map. Returns an error
/// message for the notice line.
pub(super) fn central(
    tb: &mut ThreeBodyApp,
    gpu: Option<&GpuContext>,
    ui: &mut egui::Ui,
) -> Option<String> {
    ui.horizontal(|ui| {
        ui.selectable_value(&mut tb.show_map, false, "Orbits and diagnostics");
        ui.selectable_value(&mut tb.show_map, true, "Chaos map (ensemble)")
            .on_hover_text("Many systems at once around this scenario: escape time, energy error or a Lyapunov indicator per pixel.");
    });
    if tb.show_map {
        let n = tb.run.masses().len();
        let action = super::chaos_map::show(&mut tb.map, n, gpu.is_some(), ui);
        let result = match action {
            Some(MapAction::Start) => tb.start_map(gpu),
            Some(MapAction::Load(ix, iy)) => tb.load_map_pixel(ix, iy),
            None => Ok(()),
        };
        return result.err();
    }
    orbits_and_diagnostics(tb, ui);
    None
}

fn orbits_and_diagnostics(tb: &mut ThreeBodyApp, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        ui.label(format!("t = {:.4}", tb.run.stats().t));
        ui.separator();
        let label = ui
            .label("view yaw")
            .on_hover_text("Rotate the view about the vertical axis.");
        ui.add(egui::Slider::new(&mut tb.yaw, -180.0..=180.0).suffix("°"))
            .labelled_by(label.id);
        let label = ui.label("tilt").on_hover_text(
            "Tilt out of the orbital (invariable) plane; 0 looks along the total angular momentum.",
        );
        ui.add(egui::Slider::new(&mut tb.pitch, -90.0..=90.0).suffix("°"))
            .labelled_by(label.id);
        if let Some(r) = tb.run.diagnostics().period_return {
            ui.separator();
            ui.label(format!(
                "return after {} period(s): {r:.3e}",
                tb.run.diagnostics().periods
            ))
            .on_hover_text(
                "Phase-space distance from the initial state after the last whole period.",
            );
        }
    });
    let orbit_height = (ui.available_height() * 0.5).max(180.0);
    let basis = tb.view_basis();
    let trails: Vec<Vec<[f64; 2]>> = tb
        .run
        .trails()
        .iter()
        .map(|t| t.iter().map(|x| tb.project(*x, &basis)).collect())
        .collect();
    let bodies: Vec<([f64; 2], f64)> = tb
        .run
        .bodies()
        .iter()
        .map(|b| (tb.project(b.x, &basis), b.mass))
        .collect();
    let max_mass = bodies.iter().map(|b| b.1).fold(0.0, f64::max).max(1e-300);
    Chart::new("orbits", "x (view plane)", "y (view plane)")
        .height(orbit_height)
        .data_aspect(1.0)
        .legend()
        .show(ui, |s| {
            for (i, (trail, (pos, mass))) in trails.into_iter().zip(bodies).enumerate() {
                let colour = BODY_COLOURS[i % BODY_COLOURS.len()];
                let name = format!("body {} (m = {})", i + 1, crate::core::format_f64(mass));
                s.line(&name, trail, colour);
                // Radius ∝ m^(1/3), at least visible for test particles.
                let radius = (3.0 + 6.0 * (mass / max_mass).cbrt()) as f32;
                s.points(&name, [pos], colour, radius);
            }
        });
    ui.separator();
    let h = tb.run.history();
    let plot_height = ((ui.available_height() - 30.0) / 2.0).max(90.0);
    ui.columns(2, |cols| {
        cols[0].label("Conserved-quantity drift (log)").on_hover_text(
            "|E − E₀|/|E₀|, |L − L₀|/|L₀| and |P − P₀|. Symplectic methods at a fixed step keep the energy error bounded; adaptive steps and non-symplectic methods drift.",
        );
        history_plot(&mut cols[0], "tb-drift", "|ΔE/E₀|, |ΔL/L₀|, |ΔP|", plot_height, &[
            ("energy", &h.energy_error, BLUE),
            ("angular momentum", &h.angular_momentum_drift, ORANGE),
            ("linear momentum", &h.momentum_drift, GREEN),
        ]);
        cols[1].label("Step size and error estimate (log)").on_hover_text(
            "Accepted steps and the scaled error estimate (IAS15: (dt/dt_new)^7, 1 = the step ε asks for).",
        );
        history_plot(&mut cols[1], "tb-steps", "h, error estimate", plot_height, &[
            ("h", &h.step_size, BLUE),
            ("error estimate", &h.error_estimate, ORANGE),
        ]);
        cols[0].label("Closest pair distance (log)").on_hover_text("The smallest pairwise distance: close encounters force small steps.");
        history_plot(&mut cols[0], "tb-distance", "min r_ij", plot_height, &[("min r_ij", &h.min_distance, RED)]);
        if h.period_return.is_empty() {
            cols[1].label("Work: force evaluations and rejections (log)");
            history_plot(&mut cols[1], "tb-work", "count", plot_height, &[
                ("force evaluations", &h.nfe, BLUE),
                ("rejected", &h.rejected, ORANGE),
            ]);
        } else {
            cols[1].label("Distance from the initial state after each period (log)").on_hover_text(
                "Phase-space distance |x − x₀| + |v − v₀| at t = kT: grows from the truncated initial conditions and the integrator's error.",
            );
            Chart::over_time("tb-returns", "|x − x₀| + |v − v₀|")
                .log_y()
                .height(plot_height)
                .show(&mut cols[1], |s| {
                    s.points("return distance", h.period_return.iter().copied(), GREEN, 3.0);
                });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sims::threebody::{cross3, dot3, norm3};

    #[test]
    fn the_view_looks_along_the_total_angular_momentum() {
        // A random 3D system: the basis is orthonormal, right-handed, with e3 ∥ L₀.
        let tb = ThreeBodyApp::new(ThreeBodyParams {
            n_random: 5,
            seed: 7,
            ..ThreeBodyParams::for_case(ThreeBodyCase::Random)
        })
        .expect("valid");
        let b = tb.view_basis();
        let l = tb.run.initial_angular_momentum();
        for i in 0..3 {
            for j in 0..3 {
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((dot3(b[i], b[j]) - expected).abs() < 1e-12);
            }
        }
        assert!((norm3(cross3(b[0], b[1])) - 1.0).abs() < 1e-12);
        assert!(norm3(cross3(b[2], l)) < 1e-12 * norm3(l), "e3 ∥ L");
        // L projects onto the view's normal only: the orbit plane is seen face-on.
        let on_screen = tb.project(l, &b);
        assert!(on_screen[0].abs() < 1e-12 && on_screen[1].abs() < 1e-12);
        // Planar scenarios keep the xy plane (Broucke A2 turns about +z or −z).
        let planar =
            ThreeBodyApp::new(ThreeBodyParams::for_case(ThreeBodyCase::BrouckeA2)).expect("valid");
        let b = planar.view_basis();
        assert!((b[0][0] - 1.0).abs() < 1e-12 && (b[2][2] - 1.0).abs() < 1e-12);
    }
}

//! Navier–Stokes in the app: the run, the parameters being edited, the flow picture (vorticity,
//! speed, pressure or dye) the user drags in to push the fluid or paints obstacles on, and the
//! live plots (energy and enstrophy, Δt and CFL, pressure iterations and residual, divergence,
//! error against the exact or tabulated solution, the cavity's centre lines against Ghia, the
//! energy spectrum against k⁻³, the cylinder's wake). No numerics here: everything is read
//! from [`NsRun`].

mod panel;

use super::colour;
use egui_plot::{PlotImage, PlotPoint};

use super::pace::PieceClock;
use super::plots::{BLUE, Chart, GREEN, ORANGE, RED, choice_combo, sci};
use crate::core::shadow::ShadowSlot;
use crate::gpu::pacing::SubmissionPacer;
use crate::gpu::{GpuContext, wgpu};
use crate::sims::navier_stokes::gpu_run::GpuFlow;
use crate::sims::navier_stokes::reference::{GHIA_X, GHIA_Y, ghia_table};
use crate::sims::navier_stokes::run::{FieldKind, NsPoint, NsRun};
use crate::sims::navier_stokes::scenario::strouhal_reference;
use crate::sims::navier_stokes::shadow::NsShadow;
use crate::sims::navier_stokes::{MAX_CELLS, NsCase, NsParams, PressureKind};

/// What a drag on the picture does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Brush {
    /// Push the fluid along the drag and drop dye.
    Push,
    /// Paint obstacle cells.
    Paint,
    /// Erase obstacle cells.
    Erase,
}

/// The run and its UI state.
pub struct NsApp {
    /// The f64 run.
    pub run: NsRun,
    /// Parameters as edited in the panel.
    pub draft: NsParams,
    /// Which field the picture shows.
    pub view: FieldKind,
    /// What dragging does.
    pub brush: Brush,
    /// Brush radius as a fraction of the domain height.
    pub brush_size: f64,
    texture: Option<(u64, egui::TextureHandle)>,
    /// The colour scale's ends of the state a key identifies, and the largest |value|.
    scale: Option<(u64, (f64, f64), f64)>,
    /// Steps per wall second (smoothed), for the statistics.
    pub steps_per_second: f64,
    /// Paces the pieces of steps within the frame's slice.
    pieces: PieceClock,
    /// The GPU computing the run (f32), when chosen; the CPU run then mirrors its readbacks.
    pub gpu: Option<GpuLive>,
    /// An end time asked for (JS API `run_until` on the GPU: frames advance towards it).
    pub run_target: Option<f64>,
    /// Single steps asked for on the GPU, recorded by the next frame.
    pub pending_steps: usize,
    /// The flow or the obstacles were edited on the CPU mirror while on the GPU: the next
    /// frame uploads the edited state.
    gpu_dirty: bool,
    /// The GPU's picture registered with the renderer (set by the app each frame while the
    /// GPU computes and a renderer exists): drawn instead of the CPU-coloured readback.
    pub gpu_texture: Option<egui::TextureId>,
    /// Whether the last frame drew the GPU's picture.
    pub drew_gpu_texture: bool,
    /// The GPU run's picture registered with eframe's renderer: (painter id, texture).
    registered_texture: Option<(u64, egui::TextureId)>,
    /// The f64 shadow of the GPU run (spectral solvers).
    pub shadow: ShadowSlot<NsShadow>,
}

/// A run on the GPU and where its clock started.
pub struct GpuLive {
    /// The solver.
    pub ns: GpuFlow,
    /// Time and steps of the CPU run when the GPU took over (the GPU counts from 0).
    t0: f64,
    steps0: u64,
    /// The last GPU step whose history row was taken.
    seen: u64,
    /// Time of the last row taken.
    t_seen: f64,
    /// Times the submissions and sizes the steps recorded per frame while running.
    pacer: SubmissionPacer,
    /// The view last painted into the GPU's picture.
    painted: Option<FieldKind>,
}

impl GpuLive {
    /// The pacer's state, for the JS API and the browser test.
    pub fn pacing_json(&self) -> serde_json::Value {
        self.pacer.json()
    }
}

impl NsApp {
    /// Starts the run of `params`.
    pub fn new(params: NsParams) -> Result<Self, String> {
        let run = NsRun::new(params)?;
        Ok(Self {
            draft: run.params().clone(),
            run,
            view: FieldKind::Vorticity,
            brush: Brush::Push,
            brush_size: 0.04,
            texture: None,
            scale: None,
            steps_per_second: 0.0,
            pieces: PieceClock::default(),
            gpu: None,
            run_target: None,
            pending_steps: 0,
            gpu_dirty: false,
            gpu_texture: None,
            drew_gpu_texture: false,
            registered_texture: None,
            shadow: ShadowSlot::default(),
        })
    }

    /// Moves the run to the GPU (from the current flow) or back to the CPU (from the GPU's
    /// last readback).
    pub fn set_compute(&mut self, ctx: Option<&GpuContext>, on_gpu: bool) -> Result<(), String> {
        if !on_gpu {
            self.gpu = None;
            return Ok(());
        }
        let ctx = ctx.ok_or("no GPU device")?;
        let ns = GpuFlow::from_run(ctx, &self.run)?;
        let software = ctx.adapter.device_type == wgpu::DeviceType::Cpu;
        self.gpu = Some(GpuLive {
            ns,
            t0: self.run.time(),
            steps0: self.run.steps(),
            seen: 0,
            t_seen: self.run.time(),
            // Software adapters (lavapipe, SwiftShader) start at a step per frame, GPUs at
            // eight; the measured durations size the rest.
            pacer: SubmissionPacer::new(if software { 1 } else { 8 }, 1, 256, 0.016),
            painted: None,
        });
        Ok(())
    }

    /// Whether GPU work is in flight or asked for (frames must keep coming).
    pub fn gpu_busy(&self) -> bool {
        self.gpu
            .as_ref()
            .is_some_and(|g| g.ns.reading_back() || g.ns.steps_encoded() > g.seen)
            || (self.gpu.is_some() && (self.run_target.is_some() || self.pending_steps > 0))
    }

    /// Pushes the fluid at (x, y) by (du, dv) within `radius` and drops dye there.
    pub fn push_fluid(&mut self, x: f64, y: f64, du: f64, dv: f64, radius: f64) {
        self.run.inject(x, y, du, dv, radius);
        self.gpu_dirty = self.gpu.is_some();
    }

    /// Paints (or erases) obstacle cells within `radius` of (x, y).
    pub fn paint(&mut self, x: f64, y: f64, radius: f64, solid: bool) -> Result<(), String> {
        self.run.paint(x, y, radius, solid)?;
        self.draft = self.run.params().clone();
        self.gpu_dirty = self.gpu.is_some();
        Ok(())
    }

    /// Takes `n` steps: now on the CPU, over the next frames on the GPU.
    pub fn step(&mut self, n: usize) {
        if self.gpu.is_some() {
            self.pending_steps += n;
        } else {
            self.run.advance(n, f64::INFINITY);
        }
    }

    /// Runs to time `t`: now on the CPU, over the next frames on the GPU.
    pub fn run_until(&mut self, t: f64) {
        if self.gpu.is_some() {
            self.run_target = Some(t);
        } else {
            self.run.advance(usize::MAX, t);
        }
    }

    /// One frame of the GPU run: records steps while running, requests readbacks, takes the
    /// ones that landed into the CPU run (history, flow, dye).
    fn gpu_frame(&mut self, ctx: &GpuContext, running: bool) -> Result<usize, String> {
        if std::mem::take(&mut self.gpu_dirty) {
            // The user pushed the fluid or painted obstacles on the mirror: the GPU restarts
            // from the edited state (its last readback plus the edit).
            self.set_compute(Some(ctx), true)?;
        }
        let Some(live) = &mut self.gpu else {
            return Ok(0);
        };
        if let Some(age) = live.pacer.stalled() {
            return Err(live.pacer.stall_message(age));
        }
        live.pacer.adapt();
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("navier stokes frame"),
            });
        let target_open = self
            .run_target
            .is_some_and(|t| live.t_seen < t && live.ns.steps_encoded() <= live.seen + 4);
        let steps = if !live.pacer.has_room() {
            // The GPU is behind: this frame only collects what came back.
            0
        } else if running || target_open {
            live.pacer.units() as usize
        } else {
            std::mem::take(&mut self.pending_steps)
        };
        let mut encoded = false;
        if steps > 0 {
            live.ns.encode(&mut encoder, steps);
            encoded = true;
        }
        if steps > 0 || live.painted != Some(self.view) {
            live.ns.encode_view(&mut encoder, self.view);
            live.painted = Some(self.view);
            encoded = true;
        }
        if steps > 0 || live.ns.steps_encoded() > live.seen {
            live.ns.request_readbacks(&mut encoder);
            encoded = true;
        }
        // Nothing recorded, nothing submitted: an empty submission would be timed as a fast
        // one and grow the next batch.
        if encoded {
            live.pacer.submit(&ctx.queue, [encoder.finish()]);
            live.ns.readbacks_submitted();
        }
        let (rows, fields) = live.ns.try_take(ctx)?;
        let mut fresh: Vec<NsPoint> = Vec::new();
        if let Some(rows) = rows {
            let iterations = live.ns.pressure_iterations_per_step();
            fresh = rows
                .iter()
                .filter(|r| r.step > live.seen)
                .map(|r| r.point(live.t0, iterations))
                .collect();
            if let Some(last) = rows.last() {
                live.seen = live.seen.max(last.step);
                live.t_seen = live.t0 + last.t;
                live.ns.adapt_pressure_iterations(last.pressure_residual);
            }
        }
        if let Some(fields) = fields {
            fields.load_into(&mut self.run, live.t_seen, live.steps0 + live.seen)?;
        }
        if !fresh.is_empty() {
            self.run.push_external_history(&fresh);
        }
        if self.run_target.is_some_and(|t| live.t_seen >= t) {
            self.run_target = None;
        }
        Ok(steps)
    }

    /// Applies the edited parameters: solver, pressure and tolerance switches keep the flow;
    /// an invalid edit is reverted and the reason returned. On the GPU the run is rebuilt
    /// there from the last readback (a choice the GPU lacks returns to the CPU, and says so).
    pub fn apply_draft(&mut self, ctx: Option<&GpuContext>) -> Result<(), String> {
        if self.draft == *self.run.params() {
            return Ok(());
        }
        let on_gpu = self.gpu.is_some();
        self.apply_draft_cpu()?;
        if on_gpu && let Err(e) = self.set_compute(ctx, true) {
            self.gpu = None;
            return Err(format!("{e}: continuing on the CPU (f64)"));
        }
        Ok(())
    }

    fn apply_draft_cpu(&mut self) -> Result<(), String> {
        let mut draft = self.draft.clone();
        if draft.case != self.run.params().case {
            // A new scenario starts from its own defaults.
            draft = draft.case.defaults();
        }
        match self.run.with_params(draft) {
            Ok(run) => {
                self.run = run;
                self.draft = self.run.params().clone();
                Ok(())
            }
            Err(e) => {
                self.draft = self.run.params().clone();
                Err(e)
            }
        }
    }

    /// Restarts the scenario from t = 0 (painted obstacles stay), on the same device.
    pub fn restart(&mut self, ctx: Option<&GpuContext>) -> Result<(), String> {
        self.run = NsRun::new(self.run.params().clone())?;
        if self.gpu.is_some() {
            self.set_compute(ctx, true)?;
        }
        Ok(())
    }

    /// Steps for up to `budget_s` of wall time while running; returns the failure, if any.
    pub fn advance_frame(
        &mut self,
        ctx: Option<&GpuContext>,
        running: bool,
        wall_dt: f64,
        budget_s: f64,
    ) -> Option<String> {
        if self.gpu.is_some() {
            let result = match ctx {
                Some(ctx) => self.gpu_frame(ctx, running),
                None => Err("the GPU device is gone".to_owned()),
            };
            return match result {
                Ok(taken) => {
                    if wall_dt > 0.0 {
                        self.steps_per_second =
                            0.9 * self.steps_per_second + 0.1 * taken as f64 / wall_dt;
                    }
                    self.follow_shadow(0.5 * budget_s);
                    self.run.failure().map(str::to_owned)
                }
                Err(e) => {
                    self.gpu = None;
                    Some(format!(
                        "The GPU stopped working ({e}); the CPU continues from the last state read \
                         back. Switch back to the GPU to try again (its submissions start small)."
                    ))
                }
            };
        }
        if !running {
            return None;
        }
        // A step goes in pieces (a stage with its projection, then the dye): a 128² SSP-RK3
        // step costs more than a frame's slice in the browser.
        let mut taken = 0;
        let run = &mut self.run;
        self.pieces.run(budget_s, || match run.advance_piece() {
            Some(completed) => {
                taken += usize::from(completed);
                true
            }
            None => false,
        });
        if wall_dt > 0.0 {
            self.steps_per_second = 0.9 * self.steps_per_second + 0.1 * taken as f64 / wall_dt;
        }
        self.run.failure().map(str::to_owned)
    }

    /// Lets an f64 shadow follow the GPU run (`on`), or stops it; refused with the reason on
    /// the CPU, for the MAC schemes and for grids too large for an f64 run to keep up.
    pub fn set_shadow(&mut self, on: bool) -> Result<(), String> {
        let allowed = match (
            &self.gpu,
            crate::sims::navier_stokes::shadow::unsupported(&self.run),
        ) {
            (None, _) => {
                Err("the f64 shadow follows the GPU (f32) run: compute on the GPU first".into())
            }
            (_, Some(why)) => Err(why),
            _ => Ok(()),
        };
        self.shadow.set(on, allowed)
    }

    /// The shadow's run time.
    pub fn shadow_time(&self) -> Option<f64> {
        self.shadow.shadow.as_ref().map(|s| s.run().time())
    }

    /// Continues on the f64 shadow once it is level with the GPU run (the GPU run is
    /// dropped; the CPU goes on from the f64 state).
    pub fn continue_on_shadow(&mut self) -> Result<(), String> {
        let t = self.run.time();
        let shadow = self.shadow.take_level(|s| s.run().time() == t)?;
        self.run = shadow.into_run();
        self.gpu = None;
        self.run_target = None;
        Ok(())
    }

    /// Keeps the shadow level with the mirror of the GPU run within `budget` seconds:
    /// (re)started from the mirror when there is none or the run was rebuilt.
    fn follow_shadow(&mut self, budget: f64) {
        if self.gpu.is_none() {
            return self.shadow.clear();
        }
        let run = &self.run;
        self.shadow.keep_up(
            budget,
            |s| s.run().params() != run.params() || s.run().time() > run.time(),
            || NsShadow::new(run),
            |s| s.follow(run, 1),
        );
    }

    /// Identifies the state a picture shows (the run's steps, the view, the path).
    fn picture_key(&self) -> u64 {
        (self.run.steps() * 8 + self.view as u64) * 2 + u64::from(self.gpu.is_some())
    }

    /// The ends of the current field's colour scale (on the GPU, of the last fields read
    /// back, which the GPU's picture runs slightly ahead of).
    /// Also the largest |value|, which a signed scale may clip.
    fn field_scale(&mut self) -> ((f64, f64), f64) {
        let key = self.picture_key();
        if let Some((k, range, largest)) = self.scale
            && k == key
        {
            return (range, largest);
        }
        let image = self.run.field(self.view);
        let range = colour::field_range(&image, self.view.is_signed());
        let largest = largest_magnitude(&image);
        self.scale = Some((key, range, largest));
        (range, largest)
    }

    /// The picture of the current field as a texture (re-uploaded when the run moved).
    fn picture(&mut self, ctx: &egui::Context) -> egui::TextureId {
        let key = self.picture_key();
        if let Some((k, texture)) = &self.texture
            && *k == key
        {
            return texture.id();
        }
        let image = self.run.field(self.view);
        let pixels = colour::field_pixels(&image, self.view.is_signed());
        let range = colour::field_range(&image, self.view.is_signed());
        self.scale = Some((key, range, largest_magnitude(&image)));
        let texture = ctx.load_texture(
            "navier-stokes-field",
            egui::ColorImage::new([image.width, image.height], pixels),
            egui::TextureOptions::LINEAR,
        );
        let id = texture.id();
        self.texture = Some((key, texture));
        id
    }
}

/// The left-panel controls.
pub(super) fn controls(app: &mut NsApp, ui: &mut egui::Ui) {
    let draft = &mut app.draft;
    choice_combo(ui, "Scenario", &mut draft.case);
    choice_combo(ui, "Solver", &mut draft.solver);
    if !draft.solver.is_spectral() {
        choice_combo(ui, "Pressure", &mut draft.pressure);
    }
    egui::Grid::new("ns-params").num_columns(2).striped(true).show(ui, |ui| {
        let label = ui.label("cells").on_hover_text("Cells across the short side (the spectral grid is n × n). Changing it restarts the run.");
        let mut n = draft.n as u32;
        ui.add(egui::DragValue::new(&mut n).range(16..=MAX_CELLS as u32).clamp_existing_to_range(false).speed(4))
            .labelled_by(label.id);
        if n as usize != draft.n {
            draft.n = n as usize;
        }
        ui.end_row();
        let label = ui.label("Re").on_hover_text("Reynolds number U L/ν (U = 1, L = 1: the lid, cylinder diameter, channel height, or 1 in the 2π box). Editable while it runs.");
        ui.add(egui::Slider::new(&mut draft.reynolds, 1.0..=1e5).logarithmic(true)).labelled_by(label.id);
        ui.end_row();
        let label = ui.label("CFL").on_hover_text("Courant number Δt (max|u| + max|v|)/h; Δt is also held under the explicit diffusion limit.");
        ui.add(egui::Slider::new(&mut draft.cfl, 0.05..=4.0).logarithmic(true)).labelled_by(label.id);
        ui.end_row();
        if !draft.solver.is_spectral() {
            let label = ui.label("pressure tol").on_hover_text("Relative residual the pressure solve must reach each projection.");
            ui.add(egui::Slider::new(&mut draft.tol, 1e-12..=1e-1).logarithmic(true).custom_formatter(|v, _| format!("{v:.0e}"))).labelled_by(label.id);
            ui.end_row();
            if draft.pressure == PressureKind::Sor {
                let label = ui.label("ω").on_hover_text("SOR over-relaxation factor, 0 < ω < 2 (optimal ≈ 2/(1 + sin(π/n))).");
                ui.add(egui::Slider::new(&mut draft.omega, 0.1..=1.99)).labelled_by(label.id);
                ui.end_row();
            }
        }
        let label = ui.label("seed").on_hover_text("Seed of the random initial fields and perturbations.");
        ui.add(egui::DragValue::new(&mut draft.seed)).labelled_by(label.id);
        ui.end_row();
    });
    ui.horizontal(|ui| {
        ui.label("Show:");
        for (kind, name, tip) in [
            (
                FieldKind::Vorticity,
                "vorticity",
                "ω = ∂v/∂x − ∂u/∂y (blue negative, red positive).",
            ),
            (FieldKind::Speed, "speed", "|u|."),
            (
                FieldKind::Pressure,
                "pressure",
                "The pressure of the last projection (MAC), the streamfunction (spectral).",
            ),
            (
                FieldKind::Dye,
                "dye",
                "A passive dye carried by the flow (drag to add some).",
            ),
        ] {
            ui.selectable_value(&mut app.view, kind, name)
                .on_hover_text(tip);
        }
    });
    ui.horizontal(|ui| {
        ui.label("Drag:");
        ui.selectable_value(&mut app.brush, Brush::Push, "push + dye")
            .on_hover_text("Dragging pushes the fluid along and drops dye.");
        ui.selectable_value(&mut app.brush, Brush::Paint, "paint obstacle")
            .on_hover_text("Dragging paints solid cells (MAC solvers); they join the share link.");
        ui.selectable_value(&mut app.brush, Brush::Erase, "erase")
            .on_hover_text("Dragging erases painted cells.");
    });
    ui.horizontal(|ui| {
        let label = ui
            .label("brush")
            .on_hover_text("Brush radius as a fraction of the domain height.");
        ui.add(egui::Slider::new(&mut app.brush_size, 0.01..=0.2))
            .labelled_by(label.id);
    });
}

/// Rows of the statistics grid.
pub(super) fn stats_rows(app: &NsApp) -> Vec<(&'static str, String, &'static str)> {
    let run = &app.run;
    let last = run.history().last().copied();
    let get =
        |f: fn(&crate::sims::navier_stokes::run::NsPoint) -> f64| last.as_ref().map_or(f64::NAN, f);
    let (nx, ny) = run.cells();
    let mut rows = vec![
        ("t", format!("{:.4}", run.time()), "Simulation time."),
        (
            "steps",
            format!("{} ({:.0}/s)", run.steps(), app.steps_per_second),
            "Time steps taken, and per wall second.",
        ),
        (
            "grid",
            format!("{nx} × {ny}"),
            "Cells (spectral: grid points).",
        ),
        (
            "compute",
            if app.gpu.is_some() {
                "GPU f32".to_owned()
            } else {
                "CPU f64".to_owned()
            },
            "Where the steps are computed. On the GPU the pressure iterations per projection adapt to reach the tolerance (or the f32 floor), and the picture and plots follow its readbacks.",
        ),
        (
            "Δt",
            sci(get(|p| p.dt)),
            "The last step (from the CFL number, under the diffusion limit).",
        ),
        (
            "CFL",
            format!("{:.3}", get(|p| p.cfl)),
            "Courant number of the last step.",
        ),
        (
            "diffusion limit",
            sci(get(|p| p.diffusive_limit)),
            "Largest stable Δt of the explicit viscous term (— when treated exactly).",
        ),
        ("energy", sci(get(|p| p.energy)), "½∫|u|² dA."),
        ("enstrophy", sci(get(|p| p.enstrophy)), "½∫ω² dA."),
    ];
    if !run.params().solver.is_spectral() {
        rows.push((
            "max |div u|",
            sci(get(|p| p.max_divergence)),
            "After the last projection (= Δt × the pressure residual).",
        ));
        rows.push((
            "pressure",
            format!(
                "{} it., residual {}",
                last.map_or(0, |p| p.pressure_iterations),
                sci(get(|p| p.pressure_residual))
            ),
            "Iterations of the step's pressure solves and the last relative residual.",
        ));
    }
    let error = get(|p| p.error);
    if error.is_finite() {
        let (name, tip) = match run.params().case {
            NsCase::Cavity => (
                "max |Δ| vs Ghia",
                "Largest difference from Ghia, Ghia & Shin's centre-line tables (meaningful once steady).",
            ),
            NsCase::Channel => (
                "error vs Poiseuille",
                "Max |u − 6y(1 − y)| across x = 3.5 (meaningful once developed).",
            ),
            NsCase::Kolmogorov => (
                "error vs laminar",
                "Max difference from the exact laminar spin-up: grows when the flow turns unstable.",
            ),
            _ => ("error vs exact", "Max difference from the exact solution."),
        };
        rows.push((name, sci(error), tip));
    }
    if run.params().case == NsCase::Cylinder {
        let reference = strouhal_reference(run.params().reynolds);
        rows.push((
            "Strouhal",
            format!(
                "{} (ref. {})",
                run.strouhal().map_or("—".into(), |s| format!("{s:.4}")),
                reference.map_or("—".into(), |s| format!("{s:.4}"))
            ),
            "Shedding frequency f D/U at the wake probe; reference 0.2684 − 1.0356/sqrt(Re) (Fey, König & Eckelmann 1998, 47 < Re < 180).",
        ));
    }
    rows
}

/// The central view: the flow above, diagnostics below.
pub(super) fn central(app: &mut NsApp, ui: &mut egui::Ui) {
    // On the GPU the picture is painted there from the GPU's buffers; the CPU colours the
    // mirror's fields only where no renderer shares the device (headless tests).
    let texture = match app.gpu_texture.filter(|_| app.gpu.is_some()) {
        Some(id) => id,
        None => app.picture(ui.ctx()),
    };
    app.drew_gpu_texture = app.gpu.is_some() && app.gpu_texture.is_some();
    let (width, height) = app.run.domain();
    let p = app.run.params().clone();
    ui.label(format!(
        "{} · {} · Re = {} · t = {:.3}",
        p.case.label(),
        p.solver.label(),
        p.reynolds,
        app.run.time()
    ));
    if let Some(failure) = app.run.failure() {
        ui.colored_label(RED, failure);
    }
    let picture_height = (ui.available_height() * 0.55).max(200.0);
    let brush = app.brush;
    let radius = app.brush_size * height;
    let mut action: Option<(f64, f64, f64, f64)> = None;
    let (range, largest) = app.field_scale();
    let scale = if app.view.is_signed() {
        colour::Scale::Diverging
    } else {
        colour::Scale::Sequential
    };
    let title = match app.view {
        FieldKind::Vorticity => "vorticity ω",
        FieldKind::Speed => "speed |u|",
        FieldKind::Pressure if p.solver.is_spectral() => "streamfunction",
        FieldKind::Pressure => "pressure p",
        FieldKind::Dye => "dye",
    };
    // The bar spans the plot area: the axis labels and title take the bottom.
    colour::with_colour_bar(
        ui,
        picture_height,
        (4.0, 40.0),
        (range, scale, title),
        |ui| {
            Chart::new("ns-field", "x", "y")
                .height(picture_height)
                .data_aspect(1.0)
                .fixed_view((0.0, width), (0.0, height))
                .show(ui, |s| {
                    s.raw((0.0, height), |plot| {
                        let centre = PlotPoint::new(width / 2.0, height / 2.0);
                        plot.image(PlotImage::new(
                            "field",
                            texture,
                            centre,
                            egui::vec2(width as f32, height as f32),
                        ));
                        if plot.response().dragged()
                            && let Some(pos) = plot.pointer_coordinate()
                        {
                            let delta = plot.pointer_coordinate_drag_delta();
                            action = Some((pos.x, pos.y, f64::from(delta.x), f64::from(delta.y)));
                        }
                    });
                });
        },
    );
    if app.view.is_signed() && largest > range.1 * (1.0 + 1e-6) {
        ui.label(
            egui::RichText::new(format!(
                "The colour scale ±{} holds 99 % of the cells; the largest magnitude of the {title} is {} \
                 (beyond the scale the colour saturates).",
                sci(range.1),
                sci(largest)
            ))
            .small()
            .weak(),
        );
    }
    if let Some((x, y, dx, dy)) = action {
        match brush {
            Brush::Push => {
                // The drag velocity, in domain units per frame, made a push of the same size.
                let scale = 20.0;
                app.push_fluid(x, y, scale * dx, scale * dy, radius);
            }
            Brush::Paint | Brush::Erase => {
                if let Err(e) = app.paint(x, y, radius, brush == Brush::Paint) {
                    ui.colored_label(RED, e);
                }
            }
        }
    }
    diagnostics(app, ui);
}

fn series(
    history: &[crate::sims::navier_stokes::run::NsPoint],
    f: impl Fn(&crate::sims::navier_stokes::run::NsPoint) -> f64,
) -> Vec<[f64; 2]> {
    let stride = (history.len() / 2000).max(1);
    history
        .iter()
        .skip(1)
        .step_by(stride)
        .map(|p| [p.t, f(p)])
        .collect()
}

fn diagnostics(app: &NsApp, ui: &mut egui::Ui) {
    let run = &app.run;
    let history = run.history();
    let plot_height = ((ui.available_height() - 40.0) / 2.0).max(100.0);
    let spectral = run.params().solver.is_spectral();
    ui.columns(3, |cols| {
        cols[0]
            .label("Energy and enstrophy (log)")
            .on_hover_text("½∫|u|² and ½∫ω² against time.");
        Chart::over_time("ns-energy", "½∫|u|², ½∫ω²")
            .log_y()
            .height(plot_height)
            .legend()
            .show(&mut cols[0], |s| {
                s.line("energy", series(history, |p| p.energy), BLUE);
                s.line("enstrophy", series(history, |p| p.enstrophy), ORANGE);
            });
        cols[1]
            .label("Δt and CFL (log)")
            .on_hover_text("Step size and the Courant number of each step.");
        Chart::over_time("ns-dt", "Δt, CFL number")
            .log_y()
            .height(plot_height)
            .legend()
            .show(&mut cols[1], |s| {
                s.line("Δt", series(history, |p| p.dt), BLUE);
                s.line("CFL", series(history, |p| p.cfl), GREEN);
            });
        if spectral {
            cols[2]
                .label("Spectral: div u = 0 exactly, no pressure solve")
                .on_hover_text("The vorticity form has no pressure.");
        } else {
            cols[2]
                .label("Pressure solve and divergence (log)")
                .on_hover_text(
                    "Iterations per step, the last residual and max |div u| after projection.",
                );
            Chart::over_time("ns-pressure", "iterations, residual, |div u|")
                .log_y()
                .height(plot_height)
                .legend()
                .show(&mut cols[2], |s| {
                    s.line(
                        "iterations",
                        series(history, |p| p.pressure_iterations as f64),
                        BLUE,
                    );
                    s.line("residual", series(history, |p| p.pressure_residual), ORANGE);
                    s.line("max |div u|", series(history, |p| p.max_divergence), RED);
                });
        }
    });
    ui.columns(2, |cols| {
        match run.params().case {
            NsCase::Cavity => {
                cols[0].label("Centre lines against Ghia, Ghia & Shin (1982)").on_hover_text("u on x = ½ against y, v on y = ½ against x; points: the published table (Re = 100, 400, 1000).");
                let table = ghia_table(run.params().reynolds);
                let lines = run.centre_lines();
                Chart::new("ns-ghia", "y (for u), x (for v)", "u, v").height(plot_height).legend().show(&mut cols[0], |s| {
                    if let Some((u, v)) = lines {
                        s.line("u(½, y) vs y", u.iter().map(|(y, u)| [*y, *u]), BLUE);
                        s.line("v(x, ½) vs x", v.iter().map(|(x, v)| [*x, *v]), ORANGE);
                    }
                    if let Some((ut, vt)) = table {
                        s.points("Ghia u", GHIA_Y.iter().zip(ut).map(|(y, u)| [*y, *u]), BLUE, 3.0);
                        s.points("Ghia v", GHIA_X.iter().zip(vt).map(|(x, v)| [*x, *v]), ORANGE, 3.0);
                    }
                });
            }
            NsCase::Cylinder => {
                cols[0].label("Wake probe v(7, 4)").on_hover_text("Cross-flow velocity 3 diameters behind the cylinder: its period gives the Strouhal number.");
                Chart::over_time("ns-probe", "v(7, 4)").height(plot_height).show(&mut cols[0], |s| {
                    s.line("v", series(history, |p| p.probe), BLUE);
                });
            }
            _ => {
                cols[0].label("Energy spectrum E(k) (log–log)").on_hover_text("Shell-summed kinetic energy per wavenumber, with the k^-3 of the enstrophy cascade (Kraichnan 1967) for comparison.");
                match run.spectrum() {
                    Some(spectrum) => {
                        let pts: Vec<[f64; 2]> = spectrum.iter().enumerate().skip(1).filter(|(_, e)| **e > 0.0).map(|(k, e)| [k as f64, *e]).collect();
                        let anchor = pts.get(5).copied();
                        Chart::new("ns-spectrum", "k", "E(k)").log_x().log_y().height(plot_height).legend().show(&mut cols[0], |s| {
                            s.line("E(k)", pts, BLUE);
                            if let Some([k0, e0]) = anchor {
                                s.line("k^-3", [[k0, e0], [10.0 * k0, e0 * 1e-3]], ORANGE);
                            }
                        });
                    }
                    None => {
                        cols[0].label(egui::RichText::new("(periodic scenarios)").weak());
                    }
                }
            }
        }
        cols[1].label("Error (log)").on_hover_text("Against the exact solution or the published table, where the scenario has one.");
        let errors = series(history, |p| p.error);
        if !errors.iter().any(|p| p[1] > 0.0) {
            cols[1].label(egui::RichText::new("(no exact solution for this scenario)").weak());
        } else {
            Chart::over_time("ns-error", "error").log_y().height(plot_height).show(&mut cols[1], |s| {
                s.line("error", errors, RED);
            });
        }
    });
}

/// The largest |value| of a field picture (obstacle cells left out).
fn largest_magnitude(image: &crate::sims::navier_stokes::run::FieldImage) -> f64 {
    colour::field_extremes(image).map_or(0.0, |(lo, hi)| f64::from(lo.abs().max(hi.abs())))
}

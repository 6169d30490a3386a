//! Diffusion sampling in the app: the run, the parameters being edited, the particle view
//! (noise flowing to data, with trails) and the live step-size, error and mode-mass plots.
//! No numerics here: everything is read from [`DiffusionRun`].

mod panel;

use egui_plot::{Arrows, Bar, BarChart, PlotImage, PlotPoint, PlotPoints};

use super::pace::PieceClock;
use super::plots::{BLUE, Chart, GREEN, ORANGE, RED, choice_combo, choose, sci};
use crate::core::shadow::ShadowSlot;
use crate::gpu::GpuContext;
use crate::sims::diffusion::gpu::GpuLiveRun;
use crate::sims::diffusion::process::TimeGrid;
use crate::sims::diffusion::run::DiffusionRun;
use crate::sims::diffusion::shadow::DiffusionShadow;
use crate::sims::diffusion::{DiffusionParams, MAX_DIM, SamplerKind, TargetKind};

/// Particles drawn in the view (the first ones of a larger run).
const DRAWN_PARTICLES: usize = 8192;

/// The sampling run and its UI state.
pub struct DiffusionApp {
    /// The f64 run.
    pub run: DiffusionRun,
    /// Parameters as edited in the panel.
    pub draft: DiffusionParams,
    /// Denoiser evaluations per second of wall time while playing (how fast to watch).
    pub nfe_per_second: f64,
    /// Whether to draw particle trails.
    pub show_trails: bool,
    /// The GPU executing the run's program (f32), when chosen.
    pub gpu: Option<GpuLiveRun>,
    /// The JS API asked to finish the run (the GPU path completes it over frames).
    pub finish_requested: bool,
    /// Paces steps and measurement pieces within the frame's slice.
    pieces: PieceClock,
    /// Draw the noised density p_t under the particles (2D targets).
    pub show_density: bool,
    /// Draw the score field ∇log p_t as arrows (2D targets).
    pub show_score: bool,
    /// The last computed field: the time and target it belongs to, its picture and arrows.
    field: Option<FieldView>,
    /// The f64 shadow of the GPU run.
    pub shadow: ShadowSlot<DiffusionShadow>,
}

/// A drawn density and score field at one time.
struct FieldView {
    key: (f64, String),
    computed_at: web_time::Instant,
    texture: egui::TextureHandle,
    bounds: [f64; 4],
    arrows: (Vec<[f64; 2]>, Vec<[f64; 2]>),
}

/// Wall time per frame the f64 shadow may take to catch up.
const SHADOW_BUDGET_S: f64 = 0.008;
/// Component evaluations one density picture may cost (its side shrinks for big mixtures).
const DENSITY_BUDGET: f64 = 2.0e6;
/// Shortest wall time between two recomputations while the run moves.
const FIELD_REFRESH_S: f64 = 0.2;
const ARROWS_PER_SIDE: usize = 24;

impl DiffusionApp {
    /// Starts the run of `params`.
    pub fn new(params: DiffusionParams) -> Result<Self, String> {
        let run = DiffusionRun::new(params)?;
        Ok(Self {
            draft: run.params().clone(),
            run,
            nfe_per_second: 20.0,
            show_trails: true,
            gpu: None,
            finish_requested: false,
            pieces: PieceClock::default(),
            show_density: true,
            show_score: false,
            field: None,
            shadow: ShadowSlot::default(),
        })
    }

    /// The density picture and score arrows at the run's current time, recomputed when the
    /// time or the target changed.
    fn field(&mut self, ctx: &egui::Context) -> Option<&FieldView> {
        if self.run.mixture().dim != 2 || !(self.show_density || self.show_score) {
            return None;
        }
        let key = (self.run.time(), self.run.params().target.key().to_owned());
        let stale = self.field.as_ref().is_none_or(|f| {
            f.key.1 != key.1
                || (f.key.0 != key.0
                    && (f.computed_at.elapsed().as_secs_f64() > FIELD_REFRESH_S
                        || self.run.is_finished()))
        });
        if stale {
            let process = self.run.params().process.process();
            let (alpha, sigma2) = (process.alpha(key.0), process.sigma2(key.0));
            let mixture = self.run.mixture();
            // The data's extent at this time plus three noise standard deviations.
            let reach = mixture.means.iter().fold(0.0f64, |m, v| m.max(v.abs())) * alpha
                + 3.0
                    * (sigma2
                        + alpha * alpha * mixture.variances.iter().cloned().fold(0.0, f64::max))
                    .sqrt();
            let b = [-reach, reach, -reach, reach];
            let side =
                ((DENSITY_BUDGET / mixture.components() as f64).sqrt() as usize).clamp(32, 128);
            let density =
                mixture.noised_field(alpha, sigma2, (b[0], b[1]), (b[2], b[3]), (side, side));
            let max = density
                .log_density
                .iter()
                .cloned()
                .fold(f64::NEG_INFINITY, f64::max);
            // Colour by log density over the top 12 nats: structure stays visible at every t.
            let pixels: Vec<egui::Color32> = density
                .log_density
                .iter()
                .map(|l| super::plots::colormap((((l - max) / 12.0) + 1.0).clamp(0.0, 1.0) as f32))
                .collect();
            let image = egui::ColorImage::new([side, side], pixels);
            let texture =
                ctx.load_texture("diffusion-density", image, egui::TextureOptions::LINEAR);
            let arrows_field = mixture.noised_field(
                alpha,
                sigma2,
                (b[0], b[1]),
                (b[2], b[3]),
                (ARROWS_PER_SIDE, ARROWS_PER_SIDE),
            );
            let cell = 2.0 * reach / ARROWS_PER_SIDE as f64;
            // Each arrow is the denoising displacement σ² ∇log p, capped at one cell.
            let tips = arrows_field
                .points
                .iter()
                .zip(&arrows_field.score)
                .map(|(p, s)| {
                    let d = [sigma2 * s[0], sigma2 * s[1]];
                    let len = (d[0] * d[0] + d[1] * d[1]).sqrt();
                    let scale = if len > 0.9 * cell {
                        0.9 * cell / len
                    } else {
                        1.0
                    };
                    [p[0] + scale * d[0], p[1] + scale * d[1]]
                })
                .collect();
            self.field = Some(FieldView {
                key,
                computed_at: web_time::Instant::now(),
                texture,
                bounds: b,
                arrows: (arrows_field.points, tips),
            });
        }
        self.field.as_ref()
    }

    /// A fresh run of `params` (same initial particles where the start is unchanged), on the
    /// GPU when `ctx` is given and the GPU path is active.
    fn rebuild(&mut self, params: DiffusionParams, ctx: Option<&GpuContext>) -> Result<(), String> {
        match (ctx, self.gpu.is_some()) {
            (Some(ctx), true) => {
                let run = self.run.with_params_external(params)?;
                let gpu = GpuLiveRun::new(ctx, &run)?;
                self.run = run;
                self.gpu = Some(gpu);
            }
            _ => {
                self.run = self.run.with_params(params)?;
                self.gpu = None;
            }
        }
        self.finish_requested = false;
        Ok(())
    }

    /// Moves the run to the GPU (f32) or the CPU (f64), restarting from the same particles.
    pub fn set_compute(&mut self, ctx: Option<&GpuContext>, on_gpu: bool) -> Result<(), String> {
        if on_gpu == self.gpu.is_some() {
            return Ok(());
        }
        let params = self.run.params().clone();
        if !on_gpu {
            self.gpu = None;
            return self.rebuild(params, None);
        }
        let ctx = ctx.ok_or("no GPU compute device")?;
        let run = self.run.with_params_external(params)?;
        self.gpu = Some(GpuLiveRun::new(ctx, &run)?);
        self.run = run;
        self.finish_requested = false;
        Ok(())
    }

    /// Whether frames must keep coming for the GPU: particles on their way back, or a finish
    /// asked for (playing keeps frames coming anyway; a paused run needs none).
    pub fn gpu_busy(&self) -> bool {
        self.gpu
            .as_ref()
            .is_some_and(|g| g.reading_back() || (self.finish_requested && !g.is_done()))
    }

    /// Applies the edited parameters: a new run from the same initial particles when only the
    /// sampler or its settings changed. Invalid edits are reverted with the message.
    pub fn apply_draft(&mut self, ctx: Option<&GpuContext>) -> Result<(), String> {
        if self.draft == *self.run.params() {
            return Ok(());
        }
        match self.rebuild(self.draft.clone(), ctx) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.draft = self.run.params().clone();
                Err(e)
            }
        }
    }

    /// Restarts from the initial particles.
    pub fn restart(&mut self, ctx: Option<&GpuContext>) -> Result<(), String> {
        self.rebuild(self.run.params().clone(), ctx)
    }

    /// Advances by `wall_dt` seconds of playback (everything left when a finish was asked
    /// for) within `slice_s` seconds of wall time; on the GPU, also collects the particles that
    /// have come back. The closing measurement is done in pieces within the slice too.
    pub fn advance_frame(
        &mut self,
        ctx: Option<&GpuContext>,
        running: bool,
        wall_dt: f64,
        slice_s: f64,
    ) -> Result<(), String> {
        let budget = if self.finish_requested {
            f64::INFINITY
        } else if running {
            (self.nfe_per_second * wall_dt).max(1e-9)
        } else {
            0.0
        };
        let on_gpu = match (&mut self.gpu, ctx) {
            (Some(gpu), Some(ctx)) => {
                gpu.frame(ctx, &mut self.run, budget)?;
                true
            }
            _ => false,
        };
        // One step (or one piece of the closing measurement) at a time, until the evaluations
        // asked for are done or the slice is used: a slow machine falls behind the requested
        // rate (the panel says so) instead of stretching the frame. The GPU's particles, once
        // back, are measured the same way.
        let goal = self.run.nfe() + budget;
        let run = &mut self.run;
        if budget > 0.0 && (!on_gpu || run.is_measuring()) {
            self.pieces.run(slice_s, || {
                !run.advance(0.0) && (run.is_measuring() || (!on_gpu && run.nfe() < goal))
            });
        }
        if self.run.is_finished() {
            self.finish_requested = false;
        }
        self.follow_shadow(SHADOW_BUDGET_S);
        Ok(())
    }

    /// Lets an f64 shadow follow the GPU run (`on`), or stops it; refused with the reason on
    /// the CPU or when the particle set is too large for an f64 run to keep up.
    pub fn set_shadow(&mut self, on: bool) -> Result<(), String> {
        let allowed = if self.gpu.is_none() {
            Err("the f64 shadow follows the GPU (f32) run: compute on the GPU first".into())
        } else if !DiffusionShadow::affordable(&self.run) {
            Err(format!(
                "an f64 shadow follows up to {} particle coordinates (this run has {})",
                crate::sims::diffusion::shadow::MAX_SHADOW_COORDINATES,
                self.run.initial().len()
            ))
        } else {
            Ok(())
        };
        self.shadow.set(on, allowed)
    }

    /// The shadow's run time (it catches up with the GPU run).
    pub fn shadow_time(&self) -> Option<f64> {
        self.shadow.shadow.as_ref().map(|s| s.run().time())
    }

    /// Continues on the f64 shadow once it is level with the GPU run (the GPU run is
    /// dropped; the CPU run goes on from the same step in double precision).
    pub fn continue_on_shadow(&mut self) -> Result<(), String> {
        let steps = self.run.steps_done();
        let shadow = self.shadow.take_level(|s| s.run().steps_done() == steps)?;
        self.run = shadow.into_run();
        self.gpu = None;
        self.finish_requested = false;
        Ok(())
    }

    /// Keeps the shadow level with the GPU run within `budget` seconds: (re)started from the
    /// initial particles when there is none or the run was rebuilt.
    fn follow_shadow(&mut self, budget: f64) {
        if self.gpu.is_none() {
            return self.shadow.clear();
        }
        let run = &self.run;
        self.shadow.keep_up(
            budget,
            |s| s.run().params() != run.params() || s.run().steps_done() > run.steps_done(),
            || DiffusionShadow::new(run),
            |s| s.follow(run, 1),
        );
    }

    /// Finishes the run now: on the CPU, and on a native GPU by waiting for it; in the browser
    /// the GPU run completes over the next frames.
    pub fn finish(&mut self, ctx: Option<&GpuContext>) -> Result<(), String> {
        match (&mut self.gpu, ctx) {
            #[cfg(not(target_arch = "wasm32"))]
            (Some(gpu), Some(ctx)) => {
                gpu.finish_blocking(ctx, &mut self.run)?;
                self.run.run_to_end();
            }
            #[cfg(target_arch = "wasm32")]
            (Some(_), Some(_)) => {
                self.finish_requested = true;
                return Ok(());
            }
            _ => {
                self.run.run_to_end();
            }
        }
        match self.run.report() {
            Some(Err(e)) => Err(e.clone()),
            _ => Ok(()),
        }
    }
}

/// The left-panel controls.
pub(super) fn controls(app: &mut DiffusionApp, ui: &mut egui::Ui) {
    let draft = &mut app.draft;
    choice_combo(ui, "Target", &mut draft.target);
    if draft.target == TargetKind::GaussianNd {
        ui.horizontal(|ui| {
            let label = ui.label("d");
            ui.add(
                egui::DragValue::new(&mut draft.dim)
                    .range(2..=MAX_DIM)
                    .clamp_existing_to_range(false),
            )
            .labelled_by(label.id);
            let label = ui.label("components");
            ui.add(
                egui::DragValue::new(&mut draft.components)
                    .range(1..=4096)
                    .clamp_existing_to_range(false),
            )
            .labelled_by(label.id);
        });
    }
    choice_combo(ui, "Process", &mut draft.process);
    let grids = [
        TimeGrid::UniformTime,
        TimeGrid::UniformLambda,
        TimeGrid::Edm {
            rho: match draft.grid {
                TimeGrid::Edm { rho } => rho,
                _ => 7.0,
            },
        },
    ];
    choose(
        ui,
        "Time grid",
        &mut draft.grid,
        &grids,
        TimeGrid::label,
        |g| match g {
            TimeGrid::UniformTime => "Steps uniform in the process time t.",
            TimeGrid::UniformLambda => {
                "Steps uniform in the half log-SNR λ = log(α/σ) (recommended for DPM-Solver)."
            }
            TimeGrid::Edm { .. } => {
                "(σ/α)_i = (σ_max/α^{1/ρ} + i/N (σ_min/α^{1/ρ} − σ_max/α^{1/ρ}))^ρ (Karras et al. 2022, eq. 5): dense near the data."
            }
        },
    );
    if let TimeGrid::Edm { rho } = &mut draft.grid {
        ui.horizontal(|ui| {
            let label = ui.label("ρ");
            ui.add(egui::Slider::new(rho, 1.0..=12.0))
                .labelled_by(label.id);
        });
    }
    choice_combo(ui, "Sampler", &mut draft.sampler);
    ui.horizontal(|ui| {
        if draft.sampler.is_adaptive() {
            let label = ui.label("tolerance").on_hover_text(
                "Relative tolerance of the adaptive sampler (DOPRI5: rtol = atol; Gotta Go Fast: ε_rel, with ε_abs = 0.02).",
            );
            ui.add(
                egui::DragValue::new(&mut draft.tol)
                    .range(1e-12..=0.5)
                    .clamp_existing_to_range(false)
                    .speed(0.0)
                    .custom_formatter(|v, _| format!("{v:.1e}"))
                    .custom_parser(|s| s.parse().ok()),
            )
            .labelled_by(label.id);
        } else {
            let label = ui
                .label("NFE")
                .on_hover_text("Budget of denoiser (score) evaluations per particle; the number of steps follows from the sampler's cost per step.");
            let minimum = crate::sims::diffusion::program::minimum_nfe(draft.sampler);
            ui.add(egui::DragValue::new(&mut draft.nfe).range(minimum..=100_000).clamp_existing_to_range(false))
                .labelled_by(label.id);
        }
    });
    match draft.sampler {
        SamplerKind::Ddim => slider(
            ui,
            "η",
            &mut draft.eta,
            0.0..=1.0,
            "0: deterministic DDIM; 1: DDPM's posterior noise.",
        ),
        SamplerKind::EdmHeun => slider(
            ui,
            "S_churn",
            &mut draft.churn,
            0.0..=100.0,
            "EDM's churn: 0 is the deterministic Heun ODE solver; > 0 re-noises by γ = min(S/N, √2 − 1) each step.",
        ),
        SamplerKind::PredictorCorrector => slider(
            ui,
            "snr r",
            &mut draft.snr,
            0.0..=0.5,
            "Langevin corrector step ε = 2 (r σ_t)².",
        ),
        SamplerKind::HeavyBall | SamplerKind::Ghvb => slider(
            ui,
            "order ν",
            &mut draft.momentum,
            0.1..=4.0,
            "ceil(ν) is the multistep order, β = ν − ceil(ν) + 1 the momentum (β = 1: no momentum).",
        ),
        _ => {}
    }
    ui.horizontal(|ui| {
        let label = ui.label("particles");
        ui.add(
            egui::DragValue::new(&mut draft.particles)
                .range(1..=crate::sims::diffusion::MAX_PARTICLES)
                .clamp_existing_to_range(false),
        )
        .labelled_by(label.id);
        let label = ui.label("seed").on_hover_text(
            "Seed of the initial particles and of every noise draw: the link reproduces the run.",
        );
        ui.add(egui::DragValue::new(&mut draft.seed))
            .labelled_by(label.id);
    });
    choice_combo(ui, "Start", &mut draft.init);
    ui.horizontal(|ui| {
        let label = ui
            .label("playback")
            .on_hover_text("Denoiser evaluations per second while playing.");
        ui.add(
            egui::Slider::new(&mut app.nfe_per_second, 1.0..=2000.0)
                .logarithmic(true)
                .suffix(" NFE/s"),
        )
        .labelled_by(label.id);
    });
    ui.horizontal(|ui| {
        ui.checkbox(&mut app.show_trails, "trails");
        ui.checkbox(&mut app.show_density, "density p_t")
            .on_hover_text("The noised target density at the current time (log scale), 2D targets.");
        ui.checkbox(&mut app.show_score, "score field")
            .on_hover_text("Arrows of the denoising displacement σ_t² grad log p_t at the current time (capped at one cell), 2D targets.");
    });
}

fn slider(
    ui: &mut egui::Ui,
    name: &str,
    value: &mut f64,
    range: std::ops::RangeInclusive<f64>,
    tip: &str,
) {
    ui.horizontal(|ui| {
        let label = ui.label(name).on_hover_text(tip);
        ui.add(egui::Slider::new(value, range))
            .labelled_by(label.id);
    });
}

/// Rows of the statistics grid.
pub(super) fn stats_rows(app: &DiffusionApp) -> Vec<(&'static str, String, &'static str)> {
    let run = &app.run;
    let process = run.params().process.process();
    let last = run.history().last();
    let accepted = run.history().iter().filter(|p| p.accepted).count();
    let mut rows = vec![
        (
            "t",
            format!("{:.5}", run.time()),
            "Process time (sampling runs from t_max down to t_min).",
        ),
        (
            "λ",
            format!("{:.3}", process.lambda(run.time())),
            "Half log-SNR log(α/σ) now.",
        ),
        (
            "progress",
            format!("{:.1} %", 100.0 * run.progress()),
            "Fraction of the λ range done.",
        ),
        (
            "NFE",
            format!("{:.1}", run.nfe()),
            "Denoiser (score) evaluations per particle so far.",
        ),
        (
            "steps",
            format!(
                "{accepted} accepted, {} rejected",
                run.history().len() - accepted
            ),
            "Steps of the sampler (Gotta Go Fast: those of particle 0).",
        ),
        (
            "last h in t",
            last.map_or("—".into(), |p| sci(p.h_t)),
            "Step size in t of the last step.",
        ),
        (
            "last h in λ",
            last.map_or("—".into(), |p| sci(p.h_lambda)),
            "Step size in λ of the last step.",
        ),
        (
            "error estimate",
            last.map_or("—".into(), |p| sci(p.error)),
            "Scaled local error of the last step (adaptive samplers; 1 = at tolerance).",
        ),
    ];
    match run.report() {
        Some(Ok(r)) => {
            rows.push(("sliced W2", format!("{} (noise {})", sci(r.sliced_w2), sci(r.sliced_w2_noise)), "Sliced Wasserstein-2 distance to exact samples of p(t_min); 'noise' is the same distance for an independent exact set (the sampling-noise level)."));
            rows.push((
                "log-likelihood",
                format!(
                    "{:.4} (exact {:.4})",
                    r.log_likelihood, r.exact_log_likelihood
                ),
                "Mean log p(t_min) of the samples, and of exact samples (−entropy).",
            ));
            rows.push(("mode TV", sci(r.mode_tv), "Total variation between the mass per mode and the target's weights (mode collapse / coverage)."));
            if let Some((rms, max)) = r.ode_error {
                rows.push(("error vs ODE", format!("{} (max {})", sci(rms), sci(max)), "Per-sample distance to the exact probability-flow ODE solution from the same noise (DOP853, tol 1e-12), first 256 particles."));
            }
        }
        Some(Err(e)) => rows.push(("failed", e.clone(), "The run could not finish.")),
        None if run.is_measuring() => rows.push((
            "measuring",
            "against the exact target…".into(),
            "The samples have reached t_min: the distances to the target and to the reference ODE solution are computed a piece per frame.",
        )),
        None => {}
    }
    rows
}

/// The central view: particles above, diagnostics below.
pub(super) fn central(app: &mut DiffusionApp, ui: &mut egui::Ui) {
    let (show_density, show_score, show_trails) =
        (app.show_density, app.show_score, app.show_trails);
    let field = app
        .field(ui.ctx())
        .map(|f| (f.texture.id(), f.bounds, f.arrows.clone()));
    let run = &app.run;
    let dim = run.mixture().dim;
    let particles = run.particles();
    ui.label(format!(
        "{} · {} · {} · t = {:.4}{}",
        run.params().sampler.label(),
        run.params().process.label(),
        run.params().grid.label(),
        run.time(),
        if dim > 2 {
            format!(" · first 2 of {dim} coordinates")
        } else {
            String::new()
        }
    ));
    let height = (ui.available_height() * 0.55).max(200.0);
    let points: Vec<[f64; 2]> = particles
        .chunks_exact(dim)
        .take(DRAWN_PARTICLES)
        .map(|x| [x[0], x[1]])
        .collect();
    let process = run.params().process.process();
    let alpha_now = process.alpha(run.time());
    let means: Vec<[f64; 2]> = (0..run.mixture().components())
        .map(|k| {
            let m = run.mixture().mean(k);
            [alpha_now * m[0], alpha_now * m[1]]
        })
        .collect();
    let trails: Vec<Vec<[f64; 2]>> = if show_trails {
        run.trails().iter().take(64).cloned().collect()
    } else {
        Vec::new()
    };
    Chart::new("diffusion-particles", "x₁", "x₂")
        .height(height)
        .data_aspect(1.0)
        .legend()
        .show(ui, |s| {
            if let Some((texture, b, (origins, tips))) = field {
                s.raw((f64::INFINITY, f64::NEG_INFINITY), move |plot| {
                    if show_density {
                        let centre = PlotPoint::new(0.5 * (b[0] + b[1]), 0.5 * (b[2] + b[3]));
                        let size = egui::vec2((b[1] - b[0]) as f32, (b[3] - b[2]) as f32);
                        plot.image(PlotImage::new("density p_t", texture, centre, size));
                    }
                    if show_score {
                        plot.arrows(
                            Arrows::new(
                                "σ² grad log p_t",
                                PlotPoints::from(origins),
                                PlotPoints::from(tips),
                            )
                            .color(egui::Color32::from_rgb(230, 230, 230)),
                        );
                    }
                });
            }
            for trail in trails {
                s.line(
                    "",
                    trail,
                    egui::Color32::from_rgba_unmultiplied(90, 170, 255, 60),
                );
            }
            s.points("particles", points, BLUE, 1.2);
            s.points("component means × α(t)", means, ORANGE, 1.8);
        });
    let history = run.history();
    let plot_height = (ui.available_height() - 30.0).max(120.0);
    ui.columns(3, |cols| {
        cols[0].label("Step sizes (log)").on_hover_text("Step size in t and in λ per step.");
        let h_t: Vec<[f64; 2]> = history.iter().enumerate().map(|(i, p)| [i as f64, p.h_t]).collect();
        let h_l: Vec<[f64; 2]> = history.iter().enumerate().map(|(i, p)| [i as f64, p.h_lambda]).collect();
        Chart::new("diffusion-steps", "step", "h").log_y().height(plot_height).legend().show(&mut cols[0], |s| {
            s.line("h in t", h_t, BLUE);
            s.line("h in λ", h_l, ORANGE);
        });
        if !run.params().sampler.is_adaptive() {
            cols[1].label("Error estimate");
            cols[1].label(egui::RichText::new("(a fixed grid has no error estimate: adaptive samplers show theirs here)").weak());
        } else {
        cols[1].label("Error estimate (log)").on_hover_text("Scaled local error per attempted step (adaptive samplers); red: rejected.");
        let accepted: Vec<[f64; 2]> = history.iter().enumerate().filter(|(_, p)| p.accepted).map(|(i, p)| [i as f64, p.error]).collect();
        let rejected: Vec<[f64; 2]> = history.iter().enumerate().filter(|(_, p)| !p.accepted).map(|(i, p)| [i as f64, p.error]).collect();
        Chart::new("diffusion-errors", "attempt", "scaled error (1 = tolerance)").log_y().height(plot_height).legend().show(&mut cols[1], |s| {
            s.points("accepted", accepted, GREEN, 2.0);
            s.points("rejected", rejected, RED, 2.5);
        });
        }
        cols[2].label("Mass per mode").on_hover_text("Fraction of the samples per mode (blue) against the target's weights (orange), once the run has finished.");
        if let Some(Ok(report)) = run.report() {
            let bars: Vec<Bar> = report.mode_masses.iter().enumerate().map(|(i, m)| Bar::new(i as f64 - 0.2, *m).width(0.4)).collect();
            let target: Vec<Bar> = report.mode_weights.iter().enumerate().map(|(i, w)| Bar::new(i as f64 + 0.2, *w).width(0.4)).collect();
            let top = report.mode_masses.iter().chain(&report.mode_weights).fold(0.0f64, |a, b| a.max(*b));
            Chart::new("diffusion-modes", "mode", "mass fraction").height(plot_height).legend().show(&mut cols[2], |s| {
                s.bars("samples", BLUE).bars("target", ORANGE).raw((0.0, top), move |plot| {
                    plot.bar_chart(BarChart::new("samples", bars).color(BLUE));
                    plot.bar_chart(BarChart::new("target", target).color(ORANGE));
                });
            });
        } else {
            let note = if run.is_measuring() {
                "(measuring against the exact target…)"
            } else {
                "(after the run reaches t_min)"
            };
            cols[2].label(egui::RichText::new(note).weak());
        }
    });
}

//! The NLSE's central views: the state |ψ|² and phase, the space–time waterfall, the
//! spectrum, and the live diagnostics plots (log scales where quantities span decades).

use super::NlsePanel;
use crate::app::colour::{Scale::Sequential, with_colour_bar};
use crate::app::panel::Shell;
use crate::app::plots::{BLUE, Chart, GREEN, ORANGE, RED, colormap, history_plot};
use crate::sims::nlse::scenarios;

/// Which state view is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// |ψ(x)|² and the phase.
    State,
    /// |ψ|² over x and t.
    Waterfall,
    /// |ψ̂(k)|² on a log scale.
    Spectrum,
}

impl View {
    /// Parses the JS API's view name.
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "state" => Some(View::State),
            "waterfall" => Some(View::Waterfall),
            "spectrum" => Some(View::Spectrum),
            _ => None,
        }
    }
}

pub(super) fn central(app: &mut NlsePanel, shell: Shell, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        ui.selectable_value(&mut app.view, View::State, "|ψ|² and phase");
        ui.selectable_value(&mut app.view, View::Waterfall, "Space–time waterfall");
        ui.selectable_value(&mut app.view, View::Spectrum, "Spectrum |F[ψ](k)|²");
        ui.separator();
        ui.label(format!("t = {:.4}", app.sim.stats().t));
    });
    let state_height = (ui.available_height() * 0.45).max(160.0);
    match app.view {
        View::State => state_view(app, ui, state_height),
        View::Waterfall => waterfall_view(app, shell, ui, state_height),
        View::Spectrum => spectrum_view(app, shell, ui, state_height),
    }
    ui.separator();
    diagnostics_plots(app, ui);
}

fn state_view(app: &mut NlsePanel, ui: &mut egui::Ui, height: f32) {
    let psi = app.sim.field();
    let grid = app.sim.grid();
    let p = app.sim.params().clone();
    let t = app.sim.stats().t;
    let intensity: Vec<[f64; 2]> = grid
        .x
        .iter()
        .zip(&psi)
        .map(|(&x, v)| [x, v.norm_sqr()])
        .collect();
    let phase: Vec<[f64; 2]> = grid
        .x
        .iter()
        .zip(&psi)
        .map(|(&x, v)| [x, v.arg()])
        .collect();
    let exact: Option<Vec<[f64; 2]>> = scenarios::has_exact(p.case).then(|| {
        grid.x
            .iter()
            .map(|&x| {
                [
                    x,
                    scenarios::exact(&p, x, t)
                        .map(|e| e.norm_sqr())
                        .unwrap_or(0.0),
                ]
            })
            .collect()
    });
    let x_group = egui::Id::unique("stepscope.state_x");
    Chart::new("state", "x", "|ψ|²")
        .height(height * 0.68)
        .link_x(x_group)
        .legend()
        .show(ui, |s| {
            s.line_width("|ψ|²", intensity, BLUE, 2.0);
            if let Some(e) = exact {
                s.line("|ψ_exact|²", e, GREEN);
            }
        });
    Chart::new("phase", "x", "arg ψ (rad)")
        .height(height * 0.3)
        .link_x(x_group)
        .show(ui, |s| {
            s.line("arg ψ", phase, ORANGE);
        });
}

fn waterfall_view(app: &mut NlsePanel, shell: Shell, ui: &mut egui::Ui, height: f32) {
    let half = 0.5 * app.sim.grid().length;
    if let Some((waterfall, _)) = app.gpu_pictures(shell) {
        let rows = app.sim.gpu_views().map_or(0, |v| v.rows());
        let Some(span) = app.sim.gpu_views().and_then(|v| v.time_span()) else {
            ui.label("No rows yet: press Play.");
            return;
        };
        let note = format!(
            "|ψ|² over x and t, normalised to its maximum; drawn on the GPU from GPU data \
             ({rows} rows)."
        );
        // The texture holds ROWS rows, newest at the top; only the top `rows` are painted.
        let filled = (rows as f32 / crate::sims::nlse::gpu_views::ROWS as f32).clamp(0.0, 1.0);
        space_time_picture(
            ui,
            height,
            (waterfall, filled),
            (half, span),
            (1.0, "|ψ|² / max"),
            &note,
        );
        return;
    }
    let wf = app.sim.waterfall();
    let (Some((t_first, _)), Some((t_last, _))) =
        (wf.ordered_rows().next(), wf.ordered_rows().last())
    else {
        ui.label("No rows yet: press Play.");
        return;
    };
    let key = (wf.len(), t_last);
    let max = wf
        .ordered_rows()
        .flat_map(|(_, r)| r.iter().copied())
        .fold(f32::MIN_POSITIVE, f32::max);
    if app.waterfall_texture.is_none() || app.waterfall_rows_drawn != key {
        let width = wf.ordered_rows().next().map(|(_, r)| r.len()).unwrap_or(1);
        // Newest row at the top.
        let rows: Vec<&[f32]> = wf.ordered_rows().map(|(_, r)| r).collect();
        let mut pixels = Vec::with_capacity(width * rows.len());
        for row in rows.iter().rev() {
            pixels.extend(row.iter().map(|&v| colormap(v / max)));
        }
        let image = egui::ColorImage::new([width, rows.len()], pixels);
        match &mut app.waterfall_texture {
            Some(tex) => tex.set(image, egui::TextureOptions::LINEAR),
            None => {
                app.waterfall_texture = Some(ui.ctx().load_texture(
                    "waterfall",
                    image,
                    egui::TextureOptions::LINEAR,
                ));
            }
        }
        app.waterfall_rows_drawn = key;
    }
    if let Some(tex) = &app.waterfall_texture {
        let note = "|ψ|² over x and t (a row every fixed interval of t), on the colour scale \
                    from 0 to its maximum.";
        let span = (t_first, t_last);
        space_time_picture(
            ui,
            height,
            (tex.id(), 1.0),
            (half, span),
            (f64::from(max), "|ψ|²"),
            note,
        );
    }
}

/// A picture over x ∈ [−half, half] and t ∈ span (oldest row at the bottom), with axes and a
/// colour bar from 0 to `top`; the picture is the top `filled` share of the texture.
fn space_time_picture(
    ui: &mut egui::Ui,
    height: f32,
    (texture, filled): (egui::TextureId, f32),
    (half, (t0, t1)): (f64, (f64, f64)),
    (top, bar_title): (f64, &str),
    note: &str,
) {
    // A single row still gets a band of height.
    let t1 = if t1 > t0 {
        t1
    } else {
        t0 + 1e-9f64.max(t0.abs() * 1e-9)
    };
    let bar = ((0.0, top), Sequential, bar_title);
    with_colour_bar(ui, height, (4.0, 40.0), bar, |ui| {
        Chart::new("nlse-waterfall", "x", "t")
            .height(height)
            .fixed_view((-half, half), (t0, t1))
            .show(ui, |s| {
                s.raw((t0, t1), move |plot| {
                    let centre = egui_plot::PlotPoint::new(0.0, 0.5 * (t0 + t1));
                    let size = egui::vec2((2.0 * half) as f32, (t1 - t0) as f32);
                    let uv =
                        egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, filled));
                    plot.image(egui_plot::PlotImage::new("|ψ|²", texture, centre, size).uv(uv));
                });
            });
    });
    ui.label(egui::RichText::new(note).small().weak());
}

fn spectrum_view(app: &mut NlsePanel, shell: Shell, ui: &mut egui::Ui, height: f32) {
    // On the GPU path the spectrogram (drawn on the GPU) shares the space with the plot.
    let spectrogram = app.gpu_pictures(shell).map(|(_, s)| s);
    let height = if spectrogram.is_some() {
        0.55 * height
    } else {
        height
    };
    let grid = app.sim.grid();
    let mut points: Vec<[f64; 2]> = grid
        .k
        .iter()
        .zip(app.sim.spectrum())
        .map(|(&k, v)| [k, v.norm_sqr()])
        .collect();
    points.sort_by(|a, b| a[0].total_cmp(&b[0]));
    let k_max = grid.k_max();
    let p = app.sim.params();
    // Modulation instability: the linear theory for the seeded noise, E|ψ̂_k|² = A²σ²/N at
    // t = 0 growing like e^{2g(k)t} (valid until the sidebands reach ~A²/10).
    let theory: Option<Vec<[f64; 2]>> =
        (p.case == crate::sims::nlse::NlseCase::ModulationInstability).then(|| {
            let t = app.sim.stats().t;
            let seed_power = (p.background * p.noise).powi(2) / grid.n as f64;
            let mut pts: Vec<[f64; 2]> = grid
                .k
                .iter()
                .filter(|k| **k != 0.0)
                .map(|&k| [k, seed_power * (2.0 * scenarios::mi_gain(p, k) * t).exp()])
                .collect();
            pts.sort_by(|a, b| a[0].total_cmp(&b[0]));
            pts
        });
    let dealias = p.dealias;
    Chart::new("spectrum", "k", "|F[ψ](k)|²")
        .log_y()
        .height(height)
        .legend()
        .show(ui, |s| {
            s.line("|F[ψ](k)|²", points, BLUE);
            if let Some(theory) = theory {
                s.line("linear MI theory: noise·e^{2g(k)t}", theory, GREEN);
            }
            if dealias {
                let cut = 2.0 / 3.0 * k_max;
                s.vline("2/3 cut", cut, RED);
                s.vline("2/3 cut", -cut, RED);
            }
        });
    if let Some(texture) = spectrogram {
        let size = egui::vec2(ui.available_width(), 0.8 * height);
        ui.add(egui::Image::new((texture, size)).fit_to_exact_size(size))
            .on_hover_text(
                "Spectrogram: log₁₀|F[ψ](k)|² over k (horizontal, −k_max … k_max) and t (newest at \
                 the top), 12 decades below its maximum; drawn on the GPU from GPU data.",
            );
    }
}

fn diagnostics_plots(app: &mut NlsePanel, ui: &mut egui::Ui) {
    let h = app.sim.history();
    let has_exact = scenarios::has_exact(app.sim.params().case);
    // Two rows of a title and a plot, and the invariants' line below them.
    let plot_height = ((ui.available_height() - 76.0) / 2.0).max(100.0);
    ui.columns(2, |cols| {
        cols[0].label("Conserved-quantity drift (log)").on_hover_text(
            "Relative drift of mass ∫|ψ|², momentum Im∫ψ*ψ_x and Hamiltonian, computed spectrally.",
        );
        history_plot(&mut cols[0], "drift", "relative drift", plot_height, &[
                ("mass", &h.mass_drift, BLUE),
                ("momentum", &h.momentum_drift, ORANGE),
                ("Hamiltonian", &h.hamiltonian_drift, GREEN),
            ],
        );
        cols[1].label("Step size h and error estimate (log)").on_hover_text(
            "Accepted step sizes and the scaled error estimate (1 = at tolerance). Rejections show as dips in h.",
        );
        history_plot(&mut cols[1], "steps", "h, error estimate", plot_height, &[
                ("h", &h.step_size, BLUE),
                ("error estimate", &h.error_estimate, ORANGE),
            ],
        );
        if has_exact {
            cols[0].label("Error against the exact solution (log)").on_hover_text("Relative L2 error ||ψ − ψ_exact|| / ||ψ_exact||.");
            history_plot(&mut cols[0], "exact", "relative L2 error", plot_height, &[("||ψ − ψ_exact|| / ||ψ_exact||", &h.exact_error, RED)]);
        } else {
            cols[0].label("Shannon entropy of |ψ|²/M").on_hover_text("−∫ρ ln ρ dx with ρ = |ψ|²/M: falls as the field localises.");
            Chart::over_time("entropy", "−∫ρ ln ρ dx").height(plot_height).show(&mut cols[0], |s| {
                s.history("Shannon", &h.shannon, GREEN);
            });
        }
        cols[1].label("Spectral tail and rejected steps").on_hover_text(
            "Fraction of |F[ψ]|² in |k| > 0.8 k_max (above ~1e-10 the grid is under-resolving) and the cumulative rejected steps.",
        );
        history_plot(&mut cols[1], "tail", "fraction of |ψ̂|², count", plot_height, &[
                ("spectral tail", &h.spectral_tail, RED),
                ("rejected (count)", &h.rejected, ORANGE),
            ],
        );
    });
    let d = app.sim.diagnostics();
    ui.label(
        egui::RichText::new(format!(
            "M = {:.10}   P = {:.6e}   H = {:.10}   peak |ψ| = {:.4}   Renyi-2 = {:.4}   Tsallis-2 = {:.4}",
            d.mass, d.momentum, d.hamiltonian, d.peak, d.renyi2_entropy, d.tsallis2_entropy
        ))
        .monospace()
        .small(),
    );
    if d.spectral_tail > 1e-10 {
        ui.colored_label(
            RED,
            format!(
                "Resolution warning: {:.1e} of the spectral energy is near k_max: increase N.",
                d.spectral_tail
            ),
        );
    }
}

//! The chaos map of the three-body view: an ensemble of systems around the current scenario
//! integrated on the GPU (f32, WGSL) or the CPU (f64), drawn as it fills in. Clicking a pixel
//! loads that system into the main f64 view.

use super::plots::sci;
use crate::gpu::GpuContext;
use crate::sims::threebody::Body;
use crate::sims::threebody::ensemble::{
    self, EnsembleParams, EnsemblePlane, Indicator, MemberResult,
};
use crate::sims::threebody::gpu_ensemble::GpuEnsemble;

/// Steps per member per GPU dispatch: short dispatches keep the browser's GPU watchdog away.
const STEPS_PER_DISPATCH: u32 = 32;

/// A running or finished map.
enum Job {
    Gpu(Box<GpuEnsemble>),
    Cpu {
        base: Vec<Body>,
        softening: f64,
        next: usize,
    },
}

/// The map's settings, its job and its picture.
pub struct ChaosMap {
    /// Ensemble parameters being edited.
    pub params: EnsembleParams,
    /// What the pixels show.
    pub indicator: Indicator,
    /// Compute on the GPU (when there is one).
    pub on_gpu: bool,
    job: Option<Job>,
    /// The parameters the job runs with.
    running: Option<EnsembleParams>,
    /// The system the map varies.
    base: Vec<Body>,
    results: Vec<Option<MemberResult>>,
    /// Submissions in flight on the GPU (0 or 1: the next waits for the readback).
    awaiting: bool,
    /// GPU dispatches per submission, adapted to the frame time.
    dispatches_per_submit: u32,
    started: Option<web_time::Instant>,
    /// When the submission in flight was made.
    submitted_at: Option<web_time::Instant>,
    /// The previous submission's round trip (seconds).
    last_round_trip: f64,
    /// Wall time of the finished map.
    pub elapsed_s: Option<f64>,
    texture: Option<egui::TextureHandle>,
    dirty: bool,
    /// The user, a link or the JS API chose the resolution (the default is resized to the
    /// adapter only otherwise).
    pub resolution_chosen: bool,
    /// Why the default resolution was lowered, once it was.
    pub resized: Option<String>,
    /// The softening the map runs with (to restart it smaller).
    softening: f64,
}

/// A map whose first second predicts more than this is restarted smaller (default size only).
const RESIZE_ABOVE_S: f64 = 60.0;

/// The size it is restarted at takes at most this long by the same prediction.
const RESIZE_TO_S: f64 = 30.0;

/// The map size to restart a map of `resolution`² predicted to take `predicted_s` at, and the
/// time predicted there: the largest smaller size predicted (work ∝ pixels) to take at most
/// [`RESIZE_TO_S`], when the prediction is above [`RESIZE_ABOVE_S`].
fn size_for_adapter(predicted_s: f64, resolution: u32) -> Option<(u32, f64)> {
    if predicted_s <= RESIZE_ABOVE_S {
        return None;
    }
    [256u32, 128, 64, 32]
        .into_iter()
        .filter(|&r| r < resolution)
        .map(|r| {
            (
                r,
                predicted_s * f64::from(r * r) / f64::from(resolution * resolution),
            )
        })
        .find(|&(_, seconds)| seconds <= RESIZE_TO_S)
}

impl Default for ChaosMap {
    fn default() -> Self {
        Self {
            params: EnsembleParams::default(),
            indicator: Indicator::EscapeTime,
            on_gpu: true,
            job: None,
            running: None,
            base: Vec::new(),
            results: Vec::new(),
            awaiting: false,
            dispatches_per_submit: 1,
            started: None,
            submitted_at: None,
            last_round_trip: 0.0,
            elapsed_s: None,
            texture: None,
            dirty: false,
            resolution_chosen: false,
            resized: None,
            softening: 0.0,
        }
    }
}

impl ChaosMap {
    /// Starts a map around `base` (the scenario's initial conditions) with the current
    /// settings, on the GPU if asked and available.
    pub fn start(
        &mut self,
        base: &[Body],
        softening: f64,
        gpu: Option<&GpuContext>,
    ) -> Result<(), String> {
        self.params.validate(base.len())?;
        let p = self.params.clone();
        let job = match (self.on_gpu, gpu) {
            (true, Some(ctx)) => Job::Gpu(Box::new(GpuEnsemble::new(
                ctx,
                base,
                &p,
                softening,
                STEPS_PER_DISPATCH,
            )?)),
            (true, None) => {
                return Err(
                    "no GPU compute here: untick GPU to integrate the map on the CPU".to_owned(),
                );
            }
            (false, _) => Job::Cpu {
                base: base.to_vec(),
                softening,
                next: 0,
            },
        };
        let members = (p.resolution * p.resolution) as usize;
        self.results = vec![None; members];
        self.job = Some(job);
        self.running = Some(p);
        self.base = base.to_vec();
        self.softening = softening;
        self.awaiting = false;
        self.dispatches_per_submit = 1;
        self.started = Some(web_time::Instant::now());
        self.elapsed_s = None;
        self.dirty = true;
        Ok(())
    }

    /// Whether a map is being computed.
    pub fn busy(&self) -> bool {
        self.job.is_some() && self.elapsed_s.is_none()
    }

    /// (finished members, all members).
    pub fn progress(&self) -> (usize, usize) {
        (
            self.results.iter().filter(|r| r.is_some()).count(),
            self.results.len(),
        )
    }

    /// The share of the work done: on the GPU the members' mean time over t_end (they advance
    /// together), on the CPU the share of members done (one after another).
    pub fn progress_fraction(&self) -> f64 {
        match (&self.job, &self.running) {
            (Some(Job::Gpu(g)), Some(p)) => g.time_progress(p.t_end),
            _ => {
                let (done, all) = self.progress();
                done as f64 / all.max(1) as f64
            }
        }
    }

    /// After the first second of a map of the default size, a prediction above
    /// [`RESIZE_ABOVE_S`] restarts it at the largest size predicted to take at most
    /// [`RESIZE_TO_S`] on this adapter, and says so (once; a size the user chose is kept).
    fn resize_to_adapter(&mut self, gpu: Option<&GpuContext>) -> Result<(), String> {
        let (elapsed, fraction) = (self.running_for(), self.progress_fraction());
        if self.resolution_chosen || self.resized.is_some() || elapsed < 1.0 || fraction <= 0.0 {
            return Ok(());
        }
        let Some(p) = self.running.clone() else {
            return Ok(());
        };
        let predicted = elapsed / fraction;
        let Some((smaller, predicted_smaller)) = size_for_adapter(predicted, p.resolution) else {
            return Ok(());
        };
        let place = if self.computed_on_gpu() { "GPU" } else { "CPU" };
        self.params.resolution = smaller;
        let base = self.base.clone();
        self.start(&base, self.softening, gpu)?;
        self.resized = Some(format!(
            "Restarted at {smaller}×{smaller}: {0}×{0} would take about {1} on this {place} \
             (measured over the first second); about {2} at this size. Choose the pixels to \
             keep a size.",
            p.resolution,
            super::plots::duration(predicted),
            super::plots::duration(predicted_smaller),
        ));
        Ok(())
    }

    /// The finished members' results.
    pub fn results(&self) -> &[Option<MemberResult>] {
        &self.results
    }

    /// The parameters of the map on screen.
    pub fn running_params(&self) -> Option<&EnsembleParams> {
        self.running.as_ref()
    }

    /// The initial conditions of pixel (ix, iy) of the map on screen.
    pub fn member(&self, ix: u32, iy: u32) -> Option<Vec<Body>> {
        let p = self.running.as_ref()?;
        (ix < p.resolution && iy < p.resolution)
            .then(|| ensemble::member_bodies(&self.base, p, ix, iy))
    }

    /// Whether the map on screen was computed on the GPU.
    pub fn computed_on_gpu(&self) -> bool {
        matches!(self.job, Some(Job::Gpu(_)))
    }

    /// GPU dispatches so far.
    pub fn dispatches(&self) -> u64 {
        match &self.job {
            Some(Job::Gpu(g)) => g.dispatches(),
            _ => 0,
        }
    }

    /// Does this frame's share of the work within `budget_s` seconds.
    pub fn advance(&mut self, gpu: Option<&GpuContext>, budget_s: f64) -> Result<(), String> {
        if !self.busy() {
            return Ok(());
        }
        let frame_start = web_time::Instant::now();
        let Some(p) = self.running.clone() else {
            return Ok(());
        };
        if self.elapsed_s.is_some() {
            // Finished or cancelled.
            return Ok(());
        }
        match self.job.as_mut() {
            Some(Job::Gpu(ensemble)) => {
                let Some(ctx) = gpu else {
                    return Err("the GPU went away".to_owned());
                };
                if self.awaiting && ensemble.poll(ctx).map_err(|e| e.to_string())? {
                    self.awaiting = false;
                    for (m, r) in ensemble.results().into_iter().enumerate() {
                        if ensemble.member_done(m) {
                            self.results[m] = Some(r);
                        }
                    }
                    self.dirty = true;
                    // Size submissions by their round trip: where it is latency (a software
                    // WebGPU maps a buffer in ~0.8 s however little was computed), doubling the
                    // work costs nothing, so double while the round trip stays short or grew
                    // by less than 30 % with the last doubling; halve once the work itself
                    // takes over a second (the frames drawn on the same queue wait behind it).
                    let round_trip = self.submitted_at.map_or(0.0, |s| s.elapsed().as_secs_f64());
                    let latency_bound = round_trip < 1.3 * self.last_round_trip;
                    if (round_trip < 0.1 || latency_bound) && self.dispatches_per_submit < 1024 {
                        self.dispatches_per_submit *= 2;
                    } else if round_trip > 1.0 && !latency_bound && self.dispatches_per_submit > 1 {
                        self.dispatches_per_submit /= 2;
                    }
                    self.last_round_trip = round_trip;
                }
                if !self.awaiting && !ensemble.is_complete() {
                    let steps = ensemble.adaptive_steps(STEPS_PER_DISPATCH);
                    ensemble.set_steps_per_dispatch(ctx, steps);
                    ensemble.submit(ctx, self.dispatches_per_submit);
                    self.submitted_at = Some(web_time::Instant::now());
                    self.awaiting = true;
                }
                if ensemble.is_complete() {
                    self.finish();
                }
            }
            Some(Job::Cpu {
                base,
                softening,
                next,
            }) => {
                let n = p.resolution as usize;
                while *next < self.results.len() && frame_start.elapsed().as_secs_f64() < budget_s {
                    let (ix, iy) = ((*next % n) as u32, (*next / n) as u32);
                    let bodies = ensemble::member_bodies(base, &p, ix, iy);
                    self.results[*next] =
                        Some(ensemble::integrate_member(&bodies, &p, *softening).0);
                    *next += 1;
                    self.dirty = true;
                }
                if *next == self.results.len() {
                    self.finish();
                }
            }
            None => {}
        }
        self.resize_to_adapter(gpu)
    }

    /// Stops the map being computed; the finished systems stay on screen.
    pub fn cancel(&mut self) {
        self.finish();
    }

    /// Seconds since the map started.
    pub fn running_for(&self) -> f64 {
        self.started.map_or(0.0, |s| s.elapsed().as_secs_f64())
    }

    fn finish(&mut self) {
        if self.elapsed_s.is_none() {
            self.elapsed_s = self.started.map(|s| s.elapsed().as_secs_f64());
            self.dirty = true;
        }
    }

    /// The value range of the indicator over the finished members, for the colour scale.
    fn range(&self) -> (f64, f64) {
        match self.indicator {
            Indicator::EscapeTime => (0.0, self.running.as_ref().map_or(1.0, |p| p.t_end)),
            Indicator::EnergyError => (-16.0, 0.0),
            Indicator::Lyapunov => {
                let max = self
                    .results
                    .iter()
                    .flatten()
                    .map(|r| r.lyapunov)
                    .filter(|v| v.is_finite())
                    .fold(0.0, f64::max);
                (0.0, max.max(1e-6))
            }
        }
    }

    fn picture(&mut self, ctx: &egui::Context) -> Option<egui::TextureId> {
        let p = self.running.as_ref()?;
        if self.dirty || self.texture.is_none() {
            let n = p.resolution as usize;
            let (lo, hi) = self.range();
            let pixels: Vec<egui::Color32> = self
                .results
                .iter()
                .map(|r| match r {
                    None => egui::Color32::from_gray(40),
                    Some(r) => {
                        let v = r.value(self.indicator);
                        if v.is_finite() {
                            super::plots::colormap(((v - lo) / (hi - lo)) as f32)
                        } else {
                            egui::Color32::from_rgb(255, 0, 255)
                        }
                    }
                })
                .collect();
            let image = egui::ColorImage::new([n, n], pixels);
            match &mut self.texture {
                Some(t) => t.set(image, egui::TextureOptions::NEAREST),
                None => {
                    self.texture =
                        Some(ctx.load_texture("chaos-map", image, egui::TextureOptions::NEAREST))
                }
            }
            self.dirty = false;
        }
        self.texture.as_ref().map(|t| t.id())
    }
}

/// What the user did in the map view.
pub enum MapAction {
    /// Start a map with the current settings.
    Start,
    /// Load the system of pixel (ix, iy) into the main view.
    Load(u32, u32),
}

/// The map's settings and picture.
pub(super) fn show(
    map: &mut ChaosMap,
    bodies: usize,
    gpu_available: bool,
    ui: &mut egui::Ui,
) -> Option<MapAction> {
    let mut action = None;
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("vary body");
        let mut body = map.params.body + 1;
        ui.add(egui::DragValue::new(&mut body).range(1..=bodies).clamp_existing_to_range(false))
            .labelled_by(label.id);
        map.params.body = body.clamp(1, bodies) - 1;
        let label = ui.label("plane");
        egui::ComboBox::from_id_salt("map-plane")
            .selected_text(map.params.plane.label())
            .show_ui(ui, |ui| {
                for plane in EnsemblePlane::ALL {
                    ui.selectable_value(&mut map.params.plane, plane, plane.label());
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("± span").on_hover_text("Half-width of the varied range around the scenario's value.");
        ui.add(egui::DragValue::new(&mut map.params.span).range(1e-6..=10.0).clamp_existing_to_range(false).speed(0.01))
            .labelled_by(label.id);
        let label = ui.label("pixels");
        egui::ComboBox::from_id_salt("map-resolution")
            .selected_text(format!("{0}×{0}", map.params.resolution))
            .show_ui(ui, |ui| {
                for r in [32, 64, 128, 256, 512] {
                    if ui
                        .selectable_value(&mut map.params.resolution, r, format!("{r}×{r}"))
                        .clicked()
                    {
                        map.resolution_chosen = true;
                    }
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("t_end");
        ui.add(egui::DragValue::new(&mut map.params.t_end).range(0.1..=1000.0).clamp_existing_to_range(false).speed(0.1))
            .labelled_by(label.id);
        let label = ui.label("η").on_hover_text("Adaptive leapfrog, h = η·τ (the same rule in f32 and f64).");
        ui.add(egui::DragValue::new(&mut map.params.eta).range(1e-4..=0.5).clamp_existing_to_range(false).speed(0.001))
            .labelled_by(label.id);
        let label = ui.label("escape radius");
        ui.add(egui::DragValue::new(&mut map.params.escape_radius).range(0.1..=1e4).clamp_existing_to_range(false).speed(0.1))
            .labelled_by(label.id);
        ui.add_enabled(gpu_available, egui::Checkbox::new(&mut map.on_gpu, "GPU (f32)"))
            .on_hover_text("One WGSL invocation per system in f32; unticked, the CPU integrates the same algorithm in f64.")
            .on_disabled_hover_text("No compute-capable GPU here: the CPU integrates the map in f64.");
        if !gpu_available {
            map.on_gpu = false;
        }
        if ui.button(if map.busy() { "Restart map" } else { "Compute map" }).clicked() {
            action = Some(MapAction::Start);
        }
    });
    if map.busy() {
        let fraction = map.progress_fraction();
        if super::plots::progress_row(ui, fraction, map.running_for()) {
            map.cancel();
        }
    }
    if let Some(why) = &map.resized {
        ui.label(egui::RichText::new(why).color(ui.visuals().hyperlink_color));
    }
    ui.horizontal(|ui| {
        let label = ui.label("show");
        let before = map.indicator;
        egui::ComboBox::from_id_salt("map-indicator")
            .selected_text(map.indicator.label())
            .show_ui(ui, |ui| {
                for i in Indicator::ALL {
                    ui.selectable_value(&mut map.indicator, i, i.label());
                }
            })
            .response
            .labelled_by(label.id);
        if map.indicator != before {
            map.dirty = true;
        }
        let (done, all) = map.progress();
        if all > 0 {
            let (lo, hi) = map.range();
            let place = if map.computed_on_gpu() {
                "GPU f32"
            } else {
                "CPU f64"
            };
            let time = map
                .elapsed_s
                .map_or(String::new(), |s| format!(", {s:.2} s"));
            ui.label(format!(
                "{done}/{all} systems ({place}{time}); colour scale {} … {}",
                sci(lo),
                sci(hi)
            ));
            let capped = map
                .results()
                .iter()
                .flatten()
                .filter(|r| r.steps >= ensemble::MAX_MEMBER_STEPS)
                .count();
            if capped > 0 {
                ui.label(format!(
                    "{capped} stopped at the {}-step cap (close encounters)",
                    ensemble::MAX_MEMBER_STEPS
                ))
                .on_hover_text("Their escape time reads t_end. Increase η or add softening.");
            }
        }
    });
    let Some(texture) = map.picture(ui.ctx()) else {
        ui.label("Compute a map: each pixel is one system, started from the scenario with the chosen body's coordinates shifted.");
        return action;
    };
    let (lo, hi) = map.range();
    let Some(p) = map.running.clone() else {
        return action;
    };
    // The map with its axes (the varied coordinate's offsets) and its colour bar.
    let (margin, bar) = (egui::vec2(56.0, 36.0), 90.0);
    let side = (ui.available_width() - margin.x - bar)
        .min(ui.available_height() - margin.y - 10.0)
        .max(64.0);
    let (rect, response) = ui.allocate_exact_size(
        egui::vec2(margin.x + side + bar, side + margin.y),
        egui::Sense::click(),
    );
    let map_rect =
        egui::Rect::from_min_size(rect.min + egui::vec2(margin.x, 0.0), egui::vec2(side, side));
    let painter = ui.painter_at(rect);
    let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
    painter.image(texture, map_rect, uv, egui::Color32::WHITE);
    let text_colour = ui.visuals().text_color();
    let font = egui::FontId::proportional(12.0);
    let (u, v) = match p.plane {
        ensemble::EnsemblePlane::Position => ("Δx", "Δy"),
        ensemble::EnsemblePlane::Velocity => ("Δvx", "Δvy"),
    };
    for (k, offset) in [-1.0f32, 0.0, 1.0].into_iter().enumerate() {
        let label = crate::core::format_f64(f64::from(offset) * p.span);
        let x = map_rect.center().x + 0.5 * offset * side;
        let align = [
            egui::Align2::LEFT_TOP,
            egui::Align2::CENTER_TOP,
            egui::Align2::RIGHT_TOP,
        ][k];
        painter.text(
            egui::pos2(x, map_rect.max.y + 2.0),
            align,
            &label,
            font.clone(),
            text_colour,
        );
        let y = map_rect.center().y - 0.5 * offset * side;
        let align = [
            egui::Align2::RIGHT_BOTTOM,
            egui::Align2::RIGHT_CENTER,
            egui::Align2::RIGHT_TOP,
        ][k];
        painter.text(
            egui::pos2(map_rect.min.x - 4.0, y),
            align,
            &label,
            font.clone(),
            text_colour,
        );
    }
    painter.text(
        egui::pos2(map_rect.center().x, map_rect.max.y + 18.0),
        egui::Align2::CENTER_TOP,
        format!("{u} of body {} (initial)", p.body + 1),
        font.clone(),
        text_colour,
    );
    painter.text(
        egui::pos2(rect.min.x + 2.0, map_rect.min.y),
        egui::Align2::LEFT_TOP,
        v,
        font.clone(),
        text_colour,
    );
    let strip = egui::Rect::from_min_size(
        egui::pos2(map_rect.max.x + 12.0, map_rect.min.y),
        egui::vec2(bar - 12.0, side),
    );
    super::colour::paint_colour_bar(
        &painter,
        strip,
        (lo, hi),
        super::colour::Scale::Sequential,
        map.indicator.label(),
        text_colour,
    );
    let response =
        response.on_hover_text("Click a pixel to load that system into the main view (f64).");
    if response.clicked()
        && let Some(pos) = response.interact_pointer_pos()
        && map_rect.contains(pos)
    {
        let rel = (pos - map_rect.min) / map_rect.size();
        let n = p.resolution;
        let ix = ((rel.x * n as f32) as u32).min(n - 1);
        let iy = ((rel.y * n as f32) as u32).min(n - 1);
        action = Some(MapAction::Load(ix, iy));
    }
    action
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_adapter_gets_the_largest_map_that_fits_half_a_minute() {
        // 256² predicted at 70 s (the SwiftShader map never finished): 128² takes 17.5 s.
        assert_eq!(size_for_adapter(70.0, 256).map(|(r, _)| r), Some(128));
        // Predicted at 10 min: 64² takes 37.5 s, too long; 32² takes 9.4 s.
        assert_eq!(size_for_adapter(600.0, 256).map(|(r, _)| r), Some(32));
        // Within a minute the size stays; nothing smaller than 32² is offered.
        assert_eq!(size_for_adapter(59.0, 256).map(|(r, _)| r), None);
        assert_eq!(size_for_adapter(1e6, 256).map(|(r, _)| r), None);
        assert_eq!(size_for_adapter(100.0, 32).map(|(r, _)| r), None);
    }
}

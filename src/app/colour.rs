//! The colour maps of the field pictures. The GPU paints the same ones
//! (`shaders/colour.wgsl`); `tests/gpu_navier_stokes.rs` checks the two agree.

/// Perceptually ordered colour map (viridis key colours, linearly interpolated), `v` in [0, 1].
pub fn colormap(v: f32) -> egui::Color32 {
    const STOPS: [[u8; 3]; 6] = [
        [68, 1, 84],
        [65, 68, 135],
        [42, 120, 142],
        [34, 168, 132],
        [122, 209, 81],
        [253, 231, 37],
    ];
    let x = v.clamp(0.0, 1.0) * (STOPS.len() - 1) as f32;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f32;
    let mix = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * f) as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    egui::Color32::from_rgb(mix(a[0], b[0]), mix(a[1], b[1]), mix(a[2], b[2]))
}

/// Blue–white–red for signed fields, `v` in [−1, 1].
pub fn diverging(v: f32) -> egui::Color32 {
    let v = v.clamp(-1.0, 1.0);
    let mix = |a: f32, b: f32, f: f32| (a + (b - a) * f) as u8;
    if v < 0.0 {
        let f = -v;
        egui::Color32::from_rgb(
            mix(245.0, 40.0, f),
            mix(245.0, 90.0, f),
            mix(245.0, 200.0, f),
        )
    } else {
        egui::Color32::from_rgb(
            mix(245.0, 200.0, v),
            mix(245.0, 40.0, v),
            mix(245.0, 40.0, v),
        )
    }
}

/// The grey of obstacle cells.
pub const SOLID: egui::Color32 = egui::Color32::from_gray(60);

/// The smallest and largest value of a field picture, obstacle cells (NaN) left out; None
/// when every cell is an obstacle.
pub fn field_extremes(image: &crate::sims::navier_stokes::run::FieldImage) -> Option<(f32, f32)> {
    let finite = image.values.iter().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| {
        (a.min(*v), b.max(*v))
    });
    lo.is_finite().then_some((lo, hi))
}

/// Bins of the histogram of |value| that sets a signed picture's scale.
const SCALE_BINS: u32 = 256;

/// The values at the two ends of a field picture's colour scale: for signed fields
/// (`symmetric`) ±s, s the upper edge of the histogram bin of |value| holding the 99th
/// percentile (256 bins over [0, max|value|]): a corner singularity (the lid-driven cavity's
/// ω ≈ 100 against ≈ 3 in its vortex) would otherwise leave the flow white; for the others
/// [min, max]. Obstacle cells are left out. The GPU's `field_range`
/// (shaders/field_view.wgsl) computes the same, bin by bin.
pub fn field_range(
    image: &crate::sims::navier_stokes::run::FieldImage,
    symmetric: bool,
) -> (f64, f64) {
    let Some((lo, hi)) = field_extremes(image) else {
        return (0.0, 1.0);
    };
    if !symmetric {
        return (f64::from(lo), f64::from(hi));
    }
    let m = lo.abs().max(hi.abs());
    // The bin edges m·b/256 as the shader forms them: a rounded product, an exact division.
    let edge = |b: u32| m * b as f32 / SCALE_BINS as f32;
    let mut counts = vec![0u32; SCALE_BINS as usize];
    for v in image.values.iter().filter(|v| v.is_finite()) {
        // The largest b with |v| ≥ edge(b), by the shader's bisection.
        let (mut lo_bin, mut hi_bin) = (0, SCALE_BINS);
        while hi_bin - lo_bin > 1 {
            let mid = (lo_bin + hi_bin) / 2;
            if v.abs() >= edge(mid) {
                lo_bin = mid;
            } else {
                hi_bin = mid;
            }
        }
        counts[lo_bin as usize] += 1;
    }
    let total: u32 = counts.iter().sum();
    let need = total - total / 100;
    let mut seen = 0;
    let mut top = SCALE_BINS - 1;
    for (b, count) in counts.iter().enumerate() {
        seen += count;
        if seen >= need {
            top = b as u32;
            break;
        }
    }
    let scale = f64::from(edge(top + 1));
    (-scale, scale)
}

/// The pixels of a field picture, top row first: signed fields (`symmetric`) blue–white–red
/// over ±max|value|, the others viridis over [min, max], NaN (obstacle cells) grey. The
/// GPU's `view_paint` (shaders/navier_stokes.wgsl) paints the same.
pub fn field_pixels(
    image: &crate::sims::navier_stokes::run::FieldImage,
    symmetric: bool,
) -> Vec<egui::Color32> {
    let (lo, hi) = field_range(image, symmetric);
    let (lo, scale) = if symmetric {
        (lo as f32, hi as f32)
    } else {
        (lo as f32, hi as f32 - lo as f32)
    };
    let scale = scale.max(1e-12);
    // Row 0 is the bottom of the domain; images start at the top.
    let mut pixels = Vec::with_capacity(image.values.len());
    for row in (0..image.height).rev() {
        for v in &image.values[row * image.width..(row + 1) * image.width] {
            pixels.push(if !v.is_finite() {
                SOLID
            } else if symmetric {
                diverging(v / scale)
            } else {
                colormap((v - lo) / scale)
            });
        }
    }
    pixels
}

/// Which colour map a bar shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// [`colormap`] from `lo` (bottom) to `hi` (top).
    Sequential,
    /// [`diverging`] from `lo` = −max (bottom) through 0 to `hi` = max (top).
    Diverging,
}

/// Width a colour bar takes beside its picture (the strip and its labels).
pub const COLOUR_BAR_WIDTH: f32 = 92.0;

/// Paints a vertical colour bar at the left of `rect` (its height is the bar's): the map from
/// `lo` at the bottom to `hi` at the top, both ends (and 0 on a diverging bar) labelled, and
/// `title` beside the strip.
pub fn paint_colour_bar(
    painter: &egui::Painter,
    rect: egui::Rect,
    (lo, hi): (f64, f64),
    scale: Scale,
    title: &str,
    text_colour: egui::Color32,
) {
    let strip = egui::Rect::from_min_size(rect.min, egui::vec2(16.0, rect.height()));
    const STEPS: usize = 64;
    let band = strip.height() / STEPS as f32;
    for i in 0..STEPS {
        let f = i as f32 / (STEPS - 1) as f32;
        let y0 = strip.max.y - (i + 1) as f32 * band;
        let cell = egui::Rect::from_min_max(
            egui::pos2(strip.min.x, y0),
            egui::pos2(strip.max.x, y0 + band + 0.5),
        );
        let colour = match scale {
            Scale::Sequential => colormap(f),
            Scale::Diverging => diverging(2.0 * f - 1.0),
        };
        painter.rect_filled(cell, 0.0, colour);
    }
    let font = egui::FontId::proportional(12.0);
    let mut labels = vec![
        (hi, strip.min.y, egui::Align2::LEFT_TOP),
        (lo, strip.max.y, egui::Align2::LEFT_BOTTOM),
    ];
    if scale == Scale::Diverging {
        labels.push((0.0, strip.center().y, egui::Align2::LEFT_CENTER));
    }
    for (value, y, align) in labels {
        painter.text(
            egui::pos2(strip.max.x + 4.0, y),
            align,
            super::plots::sci(value),
            font.clone(),
            text_colour,
        );
    }
    let title_y = match scale {
        Scale::Sequential => strip.center().y,
        Scale::Diverging => strip.min.y + 0.25 * strip.height(),
    };
    painter.text(
        egui::pos2(strip.max.x + 4.0, title_y),
        egui::Align2::LEFT_CENTER,
        title,
        egui::FontId::proportional(11.0),
        text_colour,
    );
}

/// A picture drawn by `picture` in the width left of a colour bar of `height` (see
/// [`paint_colour_bar`]); the bar spans the picture's plot area, `inset` (top, bottom) points
/// short of its height (the axis labels below a plot).
pub fn with_colour_bar<R>(
    ui: &mut egui::Ui,
    height: f32,
    inset: (f32, f32),
    bar: ((f64, f64), Scale, &str),
    picture: impl FnOnce(&mut egui::Ui) -> R,
) -> R {
    ui.horizontal_top(|ui| {
        let width = (ui.available_width() - COLOUR_BAR_WIDTH).max(64.0);
        let inner = ui
            .allocate_ui(egui::vec2(width, height), |ui| {
                ui.set_width(width);
                picture(ui)
            })
            .inner;
        let (rect, _) =
            ui.allocate_exact_size(egui::vec2(COLOUR_BAR_WIDTH, height), egui::Sense::hover());
        let bar_rect = egui::Rect::from_min_max(
            rect.min + egui::vec2(4.0, inset.0),
            rect.max - egui::vec2(0.0, inset.1),
        );
        let text = ui.visuals().text_color();
        paint_colour_bar(ui.painter(), bar_rect, bar.0, bar.1, bar.2, text);
        inner
    })
    .inner
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sims::navier_stokes::run::FieldImage;

    #[test]
    fn a_signed_scale_ignores_a_one_percent_singularity_and_obstacles() {
        // 100 × 100 cells: a smooth field within ±3, 50 singular cells (0.5 %) at ±100 and an
        // obstacle (NaN) that must not count.
        let mut values: Vec<f32> = (0..10_000)
            .map(|k| 3.0 * ((k as f32) * 0.013).sin())
            .collect();
        for k in 0..50 {
            values[k * 7] = if k % 2 == 0 { 100.0 } else { -100.0 };
        }
        values[5_000] = f32::NAN;
        let image = FieldImage {
            width: 100,
            height: 100,
            values,
        };
        let (lo, hi) = field_range(&image, true);
        assert_eq!(lo, -hi);
        // 99 % of the cells lie within |v| < 3, whose bin (width 100/256) ends by 3.125.
        assert!((2.9..=3.125 + 1e-6).contains(&hi), "{hi}");
        // Unsigned fields keep their full range.
        assert_eq!(field_range(&image, false), (-100.0, 100.0));
        // Without outliers the scale is the bin edge at the top: the maximum itself.
        let smooth = FieldImage {
            width: 2,
            height: 1,
            values: vec![-1.0, 0.5],
        };
        assert_eq!(field_range(&smooth, true), (-1.0, 1.0));
    }
}

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

/// The pixels of a field picture, top row first: signed fields (`symmetric`) blue–white–red
/// over ±max|value|, the others viridis over [min, max], NaN (obstacle cells) grey. The
/// GPU's `view_paint` (shaders/navier_stokes.wgsl) paints the same.
pub fn field_pixels(
    image: &crate::sims::navier_stokes::run::FieldImage,
    symmetric: bool,
) -> Vec<egui::Color32> {
    let finite = image.values.iter().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| {
        (a.min(*v), b.max(*v))
    });
    let scale = if symmetric {
        lo.abs().max(hi.abs()).max(1e-12)
    } else {
        (hi - lo).max(1e-12)
    };
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

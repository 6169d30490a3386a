// The colour maps of the GPU-drawn pictures, prepended to the shaders that paint (see
// `// requires: colour.wgsl` in them): the key colours of src/app/colour.rs, in sRGB on
// [0, 1], as the texels of the native textures egui draws.

// Viridis key colours, linearly interpolated; v in [0, 1].
fn viridis(v: f32) -> vec3<f32> {
    var stops = array<vec3<f32>, 6>(
        vec3<f32>(68.0, 1.0, 84.0),
        vec3<f32>(65.0, 68.0, 135.0),
        vec3<f32>(42.0, 120.0, 142.0),
        vec3<f32>(34.0, 168.0, 132.0),
        vec3<f32>(122.0, 209.0, 81.0),
        vec3<f32>(253.0, 231.0, 37.0),
    );
    let x = clamp(v, 0.0, 1.0) * 5.0;
    let i = min(u32(floor(x)), 4u);
    let f = x - f32(i);
    return mix(stops[i], stops[i + 1u], f) / 255.0;
}

// Blue–white–red for signed fields; v in [−1, 1].
fn blue_white_red(v: f32) -> vec3<f32> {
    let c = clamp(v, -1.0, 1.0);
    let white = vec3<f32>(245.0);
    if (c < 0.0) {
        return mix(white, vec3<f32>(40.0, 90.0, 200.0), -c) / 255.0;
    }
    return mix(white, vec3<f32>(200.0, 40.0, 40.0), c) / 255.0;
}

// A texel of a native texture: egui filters textures in gamma space (emilk/egui#7311, egui
// 0.33+), so `register_native_texture` takes Rgba8Unorm holding sRGB-encoded colour as is.
fn srgb_texel(srgb: vec3<f32>) -> vec4<f32> {
    return vec4<f32>(srgb, 1.0);
}

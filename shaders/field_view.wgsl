// requires: colour.wgsl
// Paints a scalar field held on the GPU into an rgba8 texture that egui draws directly (the
// field never travels through the CPU to be seen): the Navier–Stokes views of both GPU
// solvers (src/gpu/field_view.rs). The same picture as the CPU path (src/app/colour.rs
// `field_pixels`): signed fields blue–white–red over ±max|value|, the others viridis over
// [min, max], masked cells grey, the top row of the domain first.
//
// Data contract
//   values   f32; the field is values[value_offset + i + width·j], row j = 0 at the bottom.
//   mask     u32; cell k is masked (an obstacle) if mask_offset ≠ NO_MASK and
//            mask[mask_offset + k] == 1.
//   range    [0] min, [1] max over the unmasked cells (written by `field_range`).
//   dispatch field_range (1, 1, 1); field_paint (ceil(width·height / 256), 1, 1).

const WG: u32 = 256u;
const NO_MASK: u32 = 0xffffffffu;

struct Params {
    width: u32,
    height: u32,
    value_offset: u32,
    mask_offset: u32,
    signed: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<u32>;
@group(0) @binding(3) var<storage, read_write> range: array<f32>;
@group(0) @binding(4) var picture: texture_storage_2d<rgba8unorm, write>;

var<workgroup> lows: array<f32, WG>;
var<workgroup> highs: array<f32, WG>;

fn masked(k: u32) -> bool {
    return params.mask_offset != NO_MASK && mask[params.mask_offset + k] == 1u;
}

@compute @workgroup_size(256)
fn field_range(@builtin(local_invocation_id) lid: vec3<u32>) {
    let t = lid.x;
    var lo = 3.0e38;
    var hi = -3.0e38;
    for (var k = t; k < params.width * params.height; k += WG) {
        if (masked(k)) {
            continue;
        }
        let v = values[params.value_offset + k];
        lo = min(lo, v);
        hi = max(hi, v);
    }
    lows[t] = lo;
    highs[t] = hi;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s /= 2u) {
        if (t < s) {
            lows[t] = min(lows[t], lows[t + s]);
            highs[t] = max(highs[t], highs[t + s]);
        }
        workgroupBarrier();
    }
    if (t == 0u) {
        range[0] = lows[0];
        range[1] = highs[0];
    }
}

@compute @workgroup_size(256)
fn field_paint(@builtin(global_invocation_id) gid: vec3<u32>) {
    let texel = gid.x + gid.y * 65535u * WG;
    if (texel >= params.width * params.height) {
        return;
    }
    let i = texel % params.width;
    let row = texel / params.width;
    let k = i + params.width * (params.height - 1u - row);
    let lo = range[0];
    let hi = range[1];
    let v = values[params.value_offset + k];
    var srgb: vec3<f32>;
    if (masked(k)) {
        srgb = vec3<f32>(60.0 / 255.0);
    } else if (params.signed == 1u) {
        srgb = blue_white_red(v / max(max(abs(lo), abs(hi)), 1e-12));
    } else {
        srgb = viridis((v - lo) / max(hi - lo, 1e-12));
    }
    textureStore(picture, vec2<u32>(i, row), srgb_texel(srgb));
}

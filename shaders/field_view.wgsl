// requires: colour.wgsl
// Paints a scalar field held on the GPU into an rgba8 texture that egui draws directly (the
// field never travels through the CPU to be seen): the Navier–Stokes views of both GPU
// solvers (src/gpu/field_view.rs). The same picture as the CPU path (src/app/colour.rs
// `field_pixels`): signed fields blue–white–red over ±s, s the upper edge of the histogram bin
// of |value| that holds the 99th percentile (256 bins over [0, max|value|]; a corner
// singularity such as the lid-driven cavity's would otherwise leave the flow white), the
// others viridis over [min, max], masked cells grey, the top row of the domain first.
// Bins are found by comparing with the edges m·b/256 (a correctly rounded product and an
// exact power-of-two division), never by dividing by m, so the CPU counts the same cells.
//
// Data contract
//   values   f32; the field is values[value_offset + i + width·j], row j = 0 at the bottom.
//   mask     u32; cell k is masked (an obstacle) if mask_offset ≠ NO_MASK and
//            mask[mask_offset + k] == 1.
//   range    [0] min, [1] max over the unmasked cells, [2] the signed scale s (written by
//            `field_range`).
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
const BINS: u32 = 256u;
var<workgroup> bins: array<atomic<u32>, BINS>;

// The bin of magnitude a among BINS bins over [0, m]: the largest b with a ≥ m·b/BINS.
fn bin_of(a: f32, m: f32) -> u32 {
    var lo = 0u;
    var hi = BINS;
    while (hi - lo > 1u) {
        let mid = (lo + hi) / 2u;
        if (a >= m * f32(mid) / f32(BINS)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

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
    atomicStore(&bins[t], 0u);
    workgroupBarrier();
    let m = max(abs(lows[0]), abs(highs[0]));
    if (params.signed == 1u) {
        for (var k = t; k < params.width * params.height; k += WG) {
            if (!masked(k)) {
                atomicAdd(&bins[bin_of(abs(values[params.value_offset + k]), m)], 1u);
            }
        }
    }
    workgroupBarrier();
    if (t == 0u) {
        range[0] = lows[0];
        range[1] = highs[0];
        var total = 0u;
        for (var b = 0u; b < BINS; b++) {
            total += atomicLoad(&bins[b]);
        }
        // At most 1 % of the cells (rounded down) lie above the scale.
        let need = total - total / 100u;
        var seen = 0u;
        var top = BINS - 1u;
        for (var b = 0u; b < BINS; b++) {
            seen += atomicLoad(&bins[b]);
            if (seen >= need) {
                top = b;
                break;
            }
        }
        range[2] = m * f32(top + 1u) / f32(BINS);
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
        srgb = blue_white_red(v / max(range[2], 1e-12));
    } else {
        srgb = viridis((v - lo) / max(hi - lo, 1e-12));
    }
    textureStore(picture, vec2<u32>(i, row), srgb_texel(srgb));
}

// requires: colour.wgsl
// Space–time pictures of an NLSE run drawn on the GPU from GPU data (src/sims/nlse/gpu.rs,
// NlseViews): the waterfall of |ψ(x)|² and the spectrogram of |ψ̂(k)|², each a ring of raw
// rows in a storage buffer painted into an rgba8 texture that egui draws directly (no copy
// through the CPU). The painting matches the CPU path's waterfall (src/app/views.rs): newest
// row at the top, normalised to the maximum over all rows kept, the same viridis key colours.
//
// Data contract
//   source   N complex: ψ on the grid (waterfall) or ψ̂ in FFT order (spectrogram).
//   ring     capacity·columns f32 raw rows: column c of a row is the maximum of |z|² over
//            its share of the source (the spectrogram's columns run over k from −k_max,
//            i.e. FFT order shifted by N/2).
//   scale    [0]: the maximum over the rows kept.
//   push     one row into ring row `row`:          dispatch (ceil(columns / 256), 1, 1)
//   maximum  scale[0] ← max over `filled` rows:     dispatch (1, 1, 1)
//   paint    every texel from the ring and scale:   dispatch (ceil(columns / 16), ceil(capacity / 16), 1)
//            log_scale = 1 paints log10 over 12 decades below the maximum (the spectrogram).

struct ViewParams {
    len: u32,
    columns: u32,
    capacity: u32,
    row: u32,
    filled: u32,
    shift: u32,
    log_scale: u32,
    pad0: u32,
}

const WORKGROUP_SIZE: u32 = 256u;

@group(0) @binding(0) var<uniform> params: ViewParams;
@group(0) @binding(1) var<storage, read> source: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> ring: array<f32>;
@group(0) @binding(3) var<storage, read_write> scale: array<f32>;
@group(0) @binding(4) var picture: texture_storage_2d<rgba8unorm, write>;

var<workgroup> partial_max: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(256)
fn push(@builtin(global_invocation_id) id: vec3<u32>) {
    let c = id.x;
    if (c >= params.columns) {
        return;
    }
    let stride = max(params.len / params.columns, 1u);
    var m = 0.0;
    for (var j = c * stride; j < min((c + 1u) * stride, params.len); j++) {
        let z = source[(j + params.shift) % params.len];
        m = max(m, dot(z, z));
    }
    ring[params.row * params.columns + c] = m;
}

@compute @workgroup_size(256)
fn maximum(@builtin(local_invocation_id) local_id: vec3<u32>) {
    let local = local_id.x;
    var m = 0.0;
    for (var i = local; i < params.filled * params.columns; i += WORKGROUP_SIZE) {
        m = max(m, ring[i]);
    }
    partial_max[local] = m;
    workgroupBarrier();
    for (var width = WORKGROUP_SIZE / 2u; width > 0u; width /= 2u) {
        if (local < width) {
            partial_max[local] = max(partial_max[local], partial_max[local + width]);
        }
        workgroupBarrier();
    }
    if (local == 0u) {
        scale[0] = partial_max[0];
    }
}

@compute @workgroup_size(16, 16)
fn paint(@builtin(global_invocation_id) id: vec3<u32>) {
    let c = id.x;
    let display_row = id.y;
    if (c >= params.columns || display_row >= params.capacity) {
        return;
    }
    var color = vec4<f32>(0.0, 0.0, 0.0, 1.0);
    if (display_row < params.filled) {
        // Newest row (the last pushed) at the top.
        let ring_row = (params.row + params.capacity - display_row) % params.capacity;
        let v = ring[ring_row * params.columns + c];
        let top = max(scale[0], 1e-30);
        var level = v / top;
        if (params.log_scale == 1u) {
            level = 1.0 + log(max(v / top, 1e-12)) / (12.0 * log(10.0));
        }
        color = srgb_texel(viridis(level));
    }
    textureStore(picture, vec2<u32>(c, display_row), color);
}

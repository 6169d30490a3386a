// requires: complex.wgsl
// Batched complex FFT of one row per workgroup, entirely in workgroup memory: radix-2
// decimation in time (Cooley & Tukey 1965), in place after a bit-reversed load, so one
// dispatch reads and writes global memory once.
//
// Two entry points share the butterflies:
//   fft_rows     contiguous rows, in place (N ≤ 2048: the whole FFT in one dispatch);
//   fft_strided  rows gathered with any strides from `src`, optionally twisted by
//                e^{∓2πi·row·elem/twist_len} on load, scattered with any strides into `dst`:
//                the two passes of the four-step FFT (Bailey 1990) for N = N1·N2 ≤ 2048².
//
// Data contract
//   data:     N·batch complex f32 (vec2: re, im), rows contiguous; transformed in place.
//   twiddles: e^{−2πik/N} for k < N/2, computed in f64 on the CPU and rounded (more accurate
//             than evaluating sin/cos in f32 here).
//   params:   n = row length (power of two, 2 … 2048: 2048·8 bytes is WebGPU's 16 KiB of
//             workgroup memory), log2n, batch rows, inverse (1: e^{+2πi…}, unnormalised like
//             rustfft); for fft_strided the strides (in elements) and the twist length.
//   dispatch: fft_rows (rows, 1, 1); fft_strided (rows per transform, transforms, 1);
//             workgroups of WORKGROUP_SIZE (256) invocations.

struct Params {
    n: u32,
    log2n: u32,
    batch: u32,
    inverse: u32,
    in_row_stride: u32,
    in_elem_stride: u32,
    out_row_stride: u32,
    out_elem_stride: u32,
    twist_len: u32,
    in_batch_stride: u32,
    out_batch_stride: u32,
    pad0: u32,
}

const WORKGROUP_SIZE: u32 = 256u;
const MAX_N: u32 = 2048u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> data: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> twiddles: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> dst: array<vec2<f32>>;
// e^{−2πim/twist_len} for m < twist_len (fft_strided's twist).
@group(0) @binding(5) var<storage, read> twist: array<vec2<f32>>;

var<workgroup> tile: array<vec2<f32>, MAX_N>;

// The butterflies on `tile` after a bit-reversed load. Must be called by the whole workgroup.
fn butterflies(local: u32) {
    let n = params.n;
    let conj = select(1.0, -1.0, params.inverse == 1u);
    var half = 1u;
    for (var stage = 0u; stage < params.log2n; stage++) {
        // Twiddle for butterfly k of a group of size 2·half: e^{−2πik/(2·half)} = tw[k·N/(2·half)].
        let stride = n / (2u * half);
        for (var j = local; j < n / 2u; j += WORKGROUP_SIZE) {
            let k = j % half;
            let i0 = (j / half) * 2u * half + k;
            let i1 = i0 + half;
            let w = twiddles[k * stride] * vec2<f32>(1.0, conj);
            let a = tile[i0];
            let t = complex_mul(w, tile[i1]);
            tile[i0] = a + t;
            tile[i1] = a - t;
        }
        half *= 2u;
        workgroupBarrier();
    }
}

@compute @workgroup_size(256)
fn fft_rows(
    @builtin(local_invocation_id) local_id: vec3<u32>,
    @builtin(workgroup_id) group_id: vec3<u32>,
) {
    let n = params.n;
    let row = group_id.x;
    // Uniform per workgroup, so every invocation of a workgroup takes the same branch.
    if (row >= params.batch) {
        return;
    }
    let base = row * n;
    let shift = 32u - params.log2n;
    for (var i = local_id.x; i < n; i += WORKGROUP_SIZE) {
        tile[reverseBits(i) >> shift] = data[base + i];
    }
    workgroupBarrier();
    butterflies(local_id.x);
    for (var i = local_id.x; i < n; i += WORKGROUP_SIZE) {
        data[base + i] = tile[i];
    }
}

@compute @workgroup_size(256)
fn fft_strided(
    @builtin(local_invocation_id) local_id: vec3<u32>,
    @builtin(workgroup_id) group_id: vec3<u32>,
) {
    let n = params.n;
    let row = group_id.x;
    // group_id.y is the transform within the batch; `batch` counts rows per transform here.
    if (row >= params.batch) {
        return;
    }
    let in_base = group_id.y * params.in_batch_stride + row * params.in_row_stride;
    let out_base = group_id.y * params.out_batch_stride + row * params.out_row_stride;
    let shift = 32u - params.log2n;
    let conj = select(1.0, -1.0, params.inverse == 1u);
    for (var i = local_id.x; i < n; i += WORKGROUP_SIZE) {
        var v = src[in_base + i * params.in_elem_stride];
        if (params.twist_len > 0u) {
            v = complex_mul(v, twist[(row * i) % params.twist_len] * vec2<f32>(1.0, conj));
        }
        tile[reverseBits(i) >> shift] = v;
    }
    workgroupBarrier();
    butterflies(local_id.x);
    for (var i = local_id.x; i < n; i += WORKGROUP_SIZE) {
        dst[out_base + i * params.out_elem_stride] = tile[i];
    }
}

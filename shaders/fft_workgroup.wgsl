// Batched complex FFT of one row per workgroup, entirely in workgroup memory: radix-2
// decimation in time (Cooley & Tukey 1965), in place after a bit-reversed load, so one
// dispatch reads and writes global memory once.
//
// Data contract
//   data:     N·batch complex f32 (vec2: re, im), rows contiguous; transformed in place.
//   twiddles: e^{−2πik/N} for k < N/2, computed in f64 on the CPU and rounded (more accurate
//             than evaluating sin/cos in f32 here).
//   params:   n = N (power of two, 2 … 2048: 2048·8 bytes is WebGPU's 16 KiB of workgroup
//             memory), log2n, batch rows, inverse (1: e^{+2πi…}, unnormalised like rustfft).
//   dispatch: (batch, 1, 1) workgroups of WORKGROUP_SIZE (256) invocations.

struct Params {
    n: u32,
    log2n: u32,
    batch: u32,
    inverse: u32,
}

const WORKGROUP_SIZE: u32 = 256u;
const MAX_N: u32 = 2048u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> data: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> twiddles: array<vec2<f32>>;

var<workgroup> tile: array<vec2<f32>, MAX_N>;

fn complex_mul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
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

    let conj = select(1.0, -1.0, params.inverse == 1u);
    var half = 1u;
    for (var stage = 0u; stage < params.log2n; stage++) {
        // Twiddle for butterfly k of a group of size 2·half: e^{−2πik/(2·half)} = tw[k·N/(2·half)].
        let stride = n / (2u * half);
        for (var j = local_id.x; j < n / 2u; j += WORKGROUP_SIZE) {
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

    for (var i = local_id.x; i < n; i += WORKGROUP_SIZE) {
        data[base + i] = tile[i];
    }
}

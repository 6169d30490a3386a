// Diffusion sampling on the GPU: the two operations of a compiled sampler program
// (src/sims/diffusion/program.rs), in f32.
//
// Data contract:
// - `registers`: R particle buffers of n·d floats each, back to back (register r starts at
//   r·n·d); register 0 is the particle state x. Row-major: particle p, coordinate i at p·d + i.
// - `means` (K·d floats) and `components` (K × (variance s_k², log weight log w_k)): the
//   Gaussian-mixture target p₀ = Σ w_k N(μ_k, s_k² I).
// - `op`: one operation's parameters, selected by a dynamic offset (256-byte slots).
//
// `denoise`: out ← x̂₀ = (x + σ² ∇log p_t(x)) / α with the exact mixture score
//   ∇log p_t(x) = Σ_k r_k(x) (α μ_k − x)/v_k, v_k = α² s_k² + σ², r_k = softmax_k(log w_k −
//   |x − α μ_k|²/(2 v_k) − (d/2) log v_k), accumulated in one pass with a running maximum
//   (online softmax) so thousands of components need no scratch memory. One invocation per
//   particle.
// `combine`: out ← Σ_j c_j reg_j + noise·z elementwise, z the counter-based normal of
//   src/core/rng.rs `counter_normal` (same PCG hash chain and Box–Muller transform), so the GPU
//   draws the CPU's noise. One invocation per element; out may be one of the inputs.

const MAX_DIM: u32 = 64u;
const MAX_TERMS: u32 = 8u;

struct Op {
    count: u32,       // particles (denoise) or elements n·d (combine)
    dim: u32,
    components: u32,
    input: u32,       // float offset of the input register (denoise)
    output: u32,      // float offset of the output register
    terms: u32,       // number of (coefficient, register) pairs (combine)
    seed: u32,
    stream: u32,
    alpha: f32,
    sigma2: f32,
    noise: f32,
    pad0: f32,
    coefficients: array<vec4<f32>, 2>,
    offsets: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> op: Op;
@group(0) @binding(1) var<storage, read> means: array<f32>;
@group(0) @binding(2) var<storage, read> components: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> registers: array<f32>;

@compute @workgroup_size(64)
fn denoise(@builtin(global_invocation_id) gid: vec3<u32>) {
    let p = gid.x + gid.y * 65535u * 64u;
    if (p >= op.count) {
        return;
    }
    let d = op.dim;
    let alpha = op.alpha;
    let sigma2 = op.sigma2;
    var x: array<f32, MAX_DIM>;
    var acc: array<f32, MAX_DIM>;
    for (var i = 0u; i < d; i++) {
        x[i] = registers[op.input + p * d + i];
        acc[i] = 0.0;
    }
    var running_max = -3.0e38;
    var total = 0.0;
    for (var k = 0u; k < op.components; k++) {
        let c = components[k];
        let v = alpha * alpha * c.x + sigma2;
        var r2 = 0.0;
        for (var i = 0u; i < d; i++) {
            let diff = x[i] - alpha * means[k * d + i];
            r2 += diff * diff;
        }
        let logit = c.y - 0.5 * r2 / v - 0.5 * f32(d) * log(v);
        var weight = 1.0;
        if (logit > running_max) {
            // Rescale what was accumulated to the new maximum.
            let scale = exp(running_max - logit);
            total *= scale;
            for (var i = 0u; i < d; i++) {
                acc[i] *= scale;
            }
            running_max = logit;
        } else {
            weight = exp(logit - running_max);
        }
        total += weight;
        let w_over_v = weight / v;
        for (var i = 0u; i < d; i++) {
            acc[i] += w_over_v * (alpha * means[k * d + i] - x[i]);
        }
    }
    for (var i = 0u; i < d; i++) {
        let score = acc[i] / total;
        registers[op.output + p * d + i] = (x[i] + sigma2 * score) / alpha;
    }
}

fn pcg_hash(input: u32) -> u32 {
    let state = input * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

fn counter_normal(seed: u32, stream: u32, index: u32) -> f32 {
    let h1 = pcg_hash(index + pcg_hash(stream + pcg_hash(seed)));
    let h2 = pcg_hash(h1);
    let u1 = (f32(h1) + 0.5) * 2.3283064e-10;
    let u2 = (f32(h2) + 0.5) * 2.3283064e-10;
    // f32(h1) may round up to 2^32: min() keeps u1 ≤ 1 (log 0 = 0 then); u1 > 0 always.
    return sqrt(-2.0 * log(min(u1, 1.0))) * cos(6.2831855 * u2);
}

@compute @workgroup_size(256)
fn combine(@builtin(global_invocation_id) gid: vec3<u32>) {
    let e = gid.x + gid.y * 65535u * 256u;
    if (e >= op.count) {
        return;
    }
    var value = 0.0;
    for (var j = 0u; j < op.terms; j++) {
        value += op.coefficients[j / 4u][j % 4u] * registers[op.offsets[j / 4u][j % 4u] + e];
    }
    if (op.noise != 0.0) {
        value += op.noise * counter_normal(op.seed, op.stream, e);
    }
    registers[op.output + e] = value;
}

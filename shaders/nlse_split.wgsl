// NLSE split-step kernels (see src/sims/nlse/mod.rs for the equation). The field lives in
// spectral space as ψ̂ = Fψ/N (complex f32, vec2), like the f64 CPU reference.
//
// Data contract
//   field:  N complex values, updated in place.
//   table:  N complex values: the linear propagator e^{L·s} for the sub-step s, computed in
//           f64 on the CPU and rounded once.
//   apply_propagator  field ← table ⊙ field                      (spectral space)
//   nonlinear_phase   ψ ← scale · ψ · e^{iγh|ψ|²}                 (physical space; exact for
//                     iψ_t = −γ|ψ|²ψ since |ψ| is constant; scale = 1/N folds the forward
//                     FFT's normalisation in)
//   dispatch: (ceil(N / 256), 1, 1).

struct Params {
    len: u32,
    pad0: u32,
    gamma_h: f32,
    scale: f32,
}

const WORKGROUP_SIZE: u32 = 256u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> field: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> table: array<vec2<f32>>;

fn complex_mul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

@compute @workgroup_size(256)
fn apply_propagator(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if (i >= params.len) {
        return;
    }
    field[i] = complex_mul(field[i], table[i]);
}

@compute @workgroup_size(256)
fn nonlinear_phase(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if (i >= params.len) {
        return;
    }
    let z = field[i];
    let theta = params.gamma_h * dot(z, z);
    field[i] = complex_mul(z, vec2<f32>(cos(theta), sin(theta))) * params.scale;
}

// Newtonian gravity of up to MAX_BODIES point masses with Plummer softening ε² (G = 1), in
// f32, prepended to the N-body kernels (`// requires: nbody_gravity.wgsl`): the state of one
// system in private memory, its accelerations pairwise (as Gravity::accelerations in
// src/sims/threebody/mod.rs) and its energy E = Σ m|v|²/2 − Σ_{i<j} m_i m_j / √(r² + ε²).

const MAX_BODIES: u32 = 16u;

alias Vectors = array<vec3<f32>, MAX_BODIES>;

var<private> x: Vectors;
var<private> v: Vectors;
var<private> acc: Vectors;
var<private> mass: array<f32, MAX_BODIES>;

// Accelerations of the first `n` bodies at the positions `pos` into `acc`.
fn gravity(pos: ptr<private, Vectors>, n: u32, softening2: f32) {
    for (var i = 0u; i < n; i++) { acc[i] = vec3<f32>(0.0); }
    for (var i = 0u; i < n; i++) {
        for (var j = i + 1u; j < n; j++) {
            let d = (*pos)[j] - (*pos)[i];
            let r2 = dot(d, d) + softening2;
            let inv_r3 = 1.0 / (r2 * sqrt(r2));
            acc[i] += mass[j] * inv_r3 * d;
            acc[j] -= mass[i] * inv_r3 * d;
        }
    }
}

// The energy of the first `n` bodies at (x, v).
fn gravity_energy(n: u32, softening2: f32) -> f32 {
    var kinetic = 0.0;
    var potential = 0.0;
    for (var i = 0u; i < n; i++) {
        kinetic += 0.5 * mass[i] * dot(v[i], v[i]);
        for (var j = i + 1u; j < n; j++) {
            let d = x[j] - x[i];
            potential -= mass[i] * mass[j] / sqrt(dot(d, d) + softening2);
        }
    }
    return kinetic + potential;
}

// requires: complex.wgsl
// The pseudo-spectral vorticity equation on the periodic box [0, 2π)² in f32: the GPU path of
// src/sims/navier_stokes/spectral.rs (same equation, dealiasing, step-size rule and
// schemes). One time step of RK4 or integrating-factor RK4 (Lawson 1967; spectral.rs, core
// ip.rs) is recorded once and replayed: per stage the fields u + iv and ∂xω + i∂yω are built
// from the stage's ω̂, brought to the grid by the shared 2D FFT (src/gpu/fft.rs, GpuFft2),
// multiplied there, and the product transformed back and dealiased by the 2/3 rule.
//
// Data contract (n × n modes, FFT order, x fastest; complex as vec2 (re, im)):
// - `omega`: ω̂, the unnormalised transform (as the CPU holds it).
// - `stages`: k_1 … k_4 of the step, n² each.
// - `spec_a`, `grid_a`, `spec_b`, `grid_b`: the FFT pairs (spectrum, grid).
// - `stats`: the f32 scalars: STAT_* and the history ring, laid out as in navier_stokes.wgsl,
//   then the dye (three n² fields at params.dye_off: the dye on the cells, its forward and
//   backward advections) and the view's values (n² at params.view_off).
// - `params`: the equation and the step rule; `op` (dynamic offset, 256-byte slots): the
//   stage's index, node c_i and coefficients a_ij (or b_j for `combine`); for the fields and
//   the dye the field kind, offsets and the advection direction.

const WG: u32 = 256u;
const STAT_DT: u32 = 0u;
const STAT_T: u32 = 1u;
const STAT_STEP: u32 = 3u;
const STAT_CFL: u32 = 5u;
const STAT_HISTORY: u32 = 16u;
const HISTORY_WIDTH: u32 = 8u;
const BOX: f32 = 6.283185307179586;

struct Params {
    n: u32,
    integrating_factor: u32, // 1: IF-RK4, 0: RK4 on the whole right-hand side
    forcing_wavenumber: u32,
    history_capacity: u32,
    nu: f32,
    drag: f32,
    forcing_hat: f32,       // −F k_f n²/2 at the modes (0, ±k_f)
    cfl: f32,
    h: f32,
    force_speed: f32,       // √(5 h |F|): Bridson's bound on the speed a force adds in a step
    stiff_limit: f32,       // RK4's 2.78/(2νk²_max + α), 0 if none
    inv_nn: f32,            // 1/n²
    dye_off: u32,
    view_off: u32,
    pad0: u32,
    pad1: u32,
}

struct Op {
    stage: u32,
    field: u32,     // 0 ω, 1 u + iv, 2 ψ, 3 the dye
    from_off: u32,
    to_off: u32,
    c: f32,
    direction: f32, // +1 forward, −1 backward advection
    pad0: f32,
    pad1: f32,
    a: vec4<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> op: Op;
@group(0) @binding(2) var<storage, read_write> omega: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> stages: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> spec_a: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> grid_a: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> spec_b: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> grid_b: array<vec2<f32>>;
@group(0) @binding(8) var<storage, read_write> stats: array<f32>;

var<workgroup> shared_a: array<f32, WG>;
var<workgroup> shared_b: array<f32, WG>;

fn index(gid: vec3<u32>) -> u32 {
    return gid.x + gid.y * 65535u * WG;
}

// The signed wavenumber of FFT index i (the Nyquist index counts as −n/2).
fn wavenumber(i: u32) -> f32 {
    return select(f32(i) - f32(params.n), f32(i), i < params.n / 2u);
}

fn wavevector(m: u32) -> vec2<f32> {
    return vec2<f32>(wavenumber(m % params.n), wavenumber(m / params.n));
}

// The diagonal linear operator −νk² − α.
fn symbol(k: vec2<f32>) -> f32 {
    return -params.nu * dot(k, k) - params.drag;
}

// The stage value ω̂ + Δt Σ_j a_ij k_j (in the frame of the step's start for IF-RK4).
fn stage_value(m: u32) -> vec2<f32> {
    var w = omega[m];
    let dt = stats[STAT_DT];
    let nn = params.n * params.n;
    for (var j = 0u; j < op.stage; j++) {
        w += dt * op.a[j] * stages[j * nn + m];
    }
    return w;
}

// The stage's fields in Fourier space: u + iv = ψ̂ (k_x + i k_y) with ψ̂ = ω̂/k², and
// ∂xω + i∂yω = ω̂ (−k_y + i k_x) (two real fields per complex transform, spectral.rs
// `advection_and_forcing`). IF-RK4 first takes the stage to the lab frame: × e^{L c_i Δt}.
@compute @workgroup_size(256)
fn stage_fields(@builtin(global_invocation_id) gid: vec3<u32>) {
    let m = index(gid);
    if (m >= params.n * params.n) {
        return;
    }
    let k = wavevector(m);
    var w = stage_value(m);
    if (params.integrating_factor == 1u) {
        w *= exp(symbol(k) * op.c * stats[STAT_DT]);
    }
    let k2 = dot(k, k);
    let inverse_k2 = select(0.0, 1.0 / k2, k2 > 0.0);
    spec_a[m] = complex_mul(w * inverse_k2, k);
    spec_b[m] = complex_mul(w, vec2<f32>(-k.y, k.x));
}

// Δt from the velocity of the step's start (stage 1's u + iv on the grid, unnormalised):
// the advective limit cfl·h/(max|u| + max|v| + √(5h|F|)), and for RK4 the viscous one
// (spectral.rs `spectral_step_limit`). One workgroup.
@compute @workgroup_size(256)
fn step_size(@builtin(local_invocation_id) lid: vec3<u32>) {
    let t = lid.x;
    var max_u = 0.0;
    var max_v = 0.0;
    for (var m = t; m < params.n * params.n; m += WG) {
        max_u = max(max_u, abs(grid_a[m].x));
        max_v = max(max_v, abs(grid_a[m].y));
    }
    shared_a[t] = max_u;
    shared_b[t] = max_v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s /= 2u) {
        if (t < s) {
            shared_a[t] = max(shared_a[t], shared_a[t + s]);
            shared_b[t] = max(shared_b[t], shared_b[t + s]);
        }
        workgroupBarrier();
    }
    if (t == 0u) {
        let speed = (shared_a[0] + shared_b[0]) * params.inv_nn + params.force_speed;
        let advective = params.cfl * params.h / select(1.0, speed, speed > 0.0);
        var dt = advective;
        if (params.integrating_factor == 0u && params.stiff_limit > 0.0) {
            dt = min(dt, params.stiff_limit);
        }
        stats[STAT_DT] = dt;
        stats[STAT_CFL] = params.cfl * dt / advective;
    }
}

// −u·∇ω on the grid (both factors normalised by 1/n²), into grid_a as a real field.
@compute @workgroup_size(256)
fn product(@builtin(global_invocation_id) gid: vec3<u32>) {
    let m = index(gid);
    if (m >= params.n * params.n) {
        return;
    }
    let a = grid_a[m] * params.inv_nn;
    let b = grid_b[m] * params.inv_nn;
    grid_a[m] = vec2<f32>(-(a.x * b.x + a.y * b.y), 0.0);
}

// k_i: the dealiased transform of the product plus the forcing; IF-RK4 takes it back to the
// frame of the step's start (× e^{−L c_i Δt}), RK4 adds the linear term L w_i.
@compute @workgroup_size(256)
fn nonlinear(@builtin(global_invocation_id) gid: vec3<u32>) {
    let m = index(gid);
    let n = params.n;
    if (m >= n * n) {
        return;
    }
    let k = wavevector(m);
    let cutoff = f32(n) / 3.0;
    var value = vec2<f32>(0.0);
    if (abs(k.x) < cutoff && abs(k.y) < cutoff) {
        value = spec_a[m];
        let row = m / n;
        if (m % n == 0u && params.forcing_wavenumber > 0u
            && (row == params.forcing_wavenumber || row == n - params.forcing_wavenumber)) {
            value.x += params.forcing_hat;
        }
    }
    if (params.integrating_factor == 1u) {
        value *= exp(-symbol(k) * op.c * stats[STAT_DT]);
    } else {
        value += symbol(k) * stage_value(m);
    }
    stages[op.stage * n * n + m] = value;
}

// ω̂ ← ω̂ + Δt Σ b_j k_j (then × e^{LΔt} for IF-RK4).
@compute @workgroup_size(256)
fn combine(@builtin(global_invocation_id) gid: vec3<u32>) {
    let m = index(gid);
    let nn = params.n * params.n;
    if (m >= nn) {
        return;
    }
    let dt = stats[STAT_DT];
    var w = omega[m];
    for (var j = 0u; j < 4u; j++) {
        w += dt * op.a[j] * stages[j * nn + m];
    }
    if (params.integrating_factor == 1u) {
        w *= exp(symbol(wavevector(m)) * dt);
    }
    omega[m] = w;
}

// End of a step: t += Δt and a history row (t, Δt, CFL, energy ½Σ|ω̂|²/k², enstrophy ½Σ|ω̂|²,
// both × (2π)²/n⁴; max|∇·u| and the pressure residual are 0: the form is divergence-free
// and has no pressure solve). One workgroup.
@compute @workgroup_size(256)
fn finish_step(@builtin(local_invocation_id) lid: vec3<u32>) {
    let t = lid.x;
    var energy = 0.0;
    var enstrophy = 0.0;
    for (var m = t; m < params.n * params.n; m += WG) {
        let k = wavevector(m);
        let k2 = dot(k, k);
        let w = omega[m] * params.inv_nn;
        let power = dot(w, w);
        enstrophy += power;
        energy += select(0.0, power / k2, k2 > 0.0);
    }
    shared_a[t] = energy;
    shared_b[t] = enstrophy;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s /= 2u) {
        if (t < s) {
            shared_a[t] += shared_a[t + s];
            shared_b[t] += shared_b[t + s];
        }
        workgroupBarrier();
    }
    if (t == 0u) {
        stats[STAT_T] += stats[STAT_DT];
        let step = u32(stats[STAT_STEP]);
        stats[STAT_STEP] = f32(step + 1u);
        let row = STAT_HISTORY + (step % params.history_capacity) * HISTORY_WIDTH;
        let norm = 0.5 * BOX * BOX;
        stats[row] = stats[STAT_T];
        stats[row + 1u] = stats[STAT_DT];
        stats[row + 2u] = stats[STAT_CFL];
        stats[row + 3u] = norm * shared_a[0];
        stats[row + 4u] = norm * shared_b[0];
        stats[row + 5u] = 0.0;
        stats[row + 6u] = 0.0;
        stats[row + 7u] = f32(step + 1u);
    }
}

// ω̂, u + iv or ψ̂ = ω̂/k² (op.field 0, 1, 2) of the state into spec_a, for the inverse
// transform to the grid (the views, and the velocity carrying the dye).
@compute @workgroup_size(256)
fn spectral_field(@builtin(global_invocation_id) gid: vec3<u32>) {
    let m = index(gid);
    if (m >= params.n * params.n) {
        return;
    }
    let k = wavevector(m);
    let k2 = dot(k, k);
    let w = omega[m];
    let psi = w * select(0.0, 1.0 / k2, k2 > 0.0);
    if (op.field == 0u) {
        spec_a[m] = w;
    } else if (op.field == 1u) {
        spec_a[m] = complex_mul(psi, k);
    } else {
        spec_a[m] = psi;
    }
}

// The view's values on the n × n points (spectral.rs and run.rs `NsRun::field`): ω, |u|,
// ψ from grid_a after the inverse transform, or the dye.
@compute @workgroup_size(256)
fn view_values(@builtin(global_invocation_id) gid: vec3<u32>) {
    let m = index(gid);
    if (m >= params.n * params.n) {
        return;
    }
    var value: f32;
    if (op.field == 1u) {
        value = length(grid_a[m]) * params.inv_nn;
    } else if (op.field == 3u) {
        value = stats[params.dye_off + m];
    } else {
        value = grid_a[m].x * params.inv_nn;
    }
    stats[params.view_off + m] = value;
}

fn wrap(i: i32) -> u32 {
    let n = i32(params.n);
    return u32(((i % n) + n) % n);
}

// The velocity at (x, y), bilinear between the grid points (i h, j h) of grid_a (which holds
// n²(u + iv) after `spectral_field` with op.field = 1 and the inverse transform).
fn velocity_at(x: f32, y: f32) -> vec2<f32> {
    let fx = x / params.h;
    let fy = y / params.h;
    let i0 = i32(floor(fx));
    let j0 = i32(floor(fy));
    let tx = fx - f32(i0);
    let ty = fy - f32(j0);
    let n = params.n;
    let a = grid_a[wrap(i0) + n * wrap(j0)];
    let b = grid_a[wrap(i0 + 1) + n * wrap(j0)];
    let c = grid_a[wrap(i0) + n * wrap(j0 + 1)];
    let d = grid_a[wrap(i0 + 1) + n * wrap(j0 + 1)];
    return ((1.0 - ty) * ((1.0 - tx) * a + tx * b) + ty * ((1.0 - tx) * c + tx * d)) * params.inv_nn;
}

// The dye field at `o` at (x, y), bilinear between the cell centres ((i + ½)h, (j + ½)h):
// (value, min, max) of the four cells.
fn dye_at(o: u32, x: f32, y: f32) -> vec3<f32> {
    let fx = x / params.h - 0.5;
    let fy = y / params.h - 0.5;
    let i0 = i32(floor(fx));
    let j0 = i32(floor(fy));
    let tx = fx - f32(i0);
    let ty = fy - f32(j0);
    let n = params.n;
    let a = stats[o + wrap(i0) + n * wrap(j0)];
    let b = stats[o + wrap(i0 + 1) + n * wrap(j0)];
    let c = stats[o + wrap(i0) + n * wrap(j0 + 1)];
    let d = stats[o + wrap(i0 + 1) + n * wrap(j0 + 1)];
    let v = (1.0 - ty) * ((1.0 - tx) * a + tx * b) + ty * ((1.0 - tx) * c + tx * d);
    return vec3<f32>(v, min(min(a, b), min(c, d)), max(max(a, b), max(c, d)));
}

// The foot of the characteristic through (x, y) over `step` (midpoint rule, as the MAC path).
fn foot(p: vec2<f32>, step: f32) -> vec2<f32> {
    let v0 = velocity_at(p.x, p.y);
    let vm = velocity_at(p.x - 0.5 * step * v0.x, p.y - 0.5 * step * v0.y);
    return p - step * vm;
}

fn cell_centre(k: u32) -> vec2<f32> {
    return (vec2<f32>(f32(k % params.n), f32(k / params.n)) + 0.5) * params.h;
}

// One semi-Lagrangian pass of the dye: to ← from at the foot over Δt·op.direction.
@compute @workgroup_size(256)
fn dye_advect(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    if (k >= params.n * params.n) {
        return;
    }
    let f = foot(cell_centre(k), stats[STAT_DT] * op.direction);
    stats[op.to_off + k] = dye_at(op.from_off, f.x, f.y).x;
}

// MacCormack (Selle et al. 2008): φ̂ + ½(φ − φ̃), clamped to the four cells around the foot,
// into the backward field's place (the dye itself is still read by neighbours).
@compute @workgroup_size(256)
fn dye_correct(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    let nn = params.n * params.n;
    if (k >= nn) {
        return;
    }
    let o = params.dye_off;
    let f = foot(cell_centre(k), stats[STAT_DT]);
    let bounds = dye_at(o, f.x, f.y);
    let corrected = stats[o + nn + k] + 0.5 * (stats[o + k] - stats[o + 2u * nn + k]);
    stats[o + 2u * nn + k] = clamp(corrected, bounds.y, bounds.z);
}

// The corrected dye back in place.
@compute @workgroup_size(256)
fn dye_copy(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    let nn = params.n * params.n;
    if (k < nn) {
        stats[params.dye_off + k] = stats[params.dye_off + 2u * nn + k];
    }
}

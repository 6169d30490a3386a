// requires: nbody_gravity.wgsl
// Ensembles of independent N-body systems for chaos maps: one invocation per member (a pixel
// of the map), f32. The algorithm is the f64 reference's in src/sims/threebody/ensemble.rs:
// kick–drift–kick leapfrog with h = η·τ (τ = min over pairs of r/|v| and sqrt(r³/(m_i+m_j))),
// a shadow trajectory DELTA0 away advanced with the same steps and renormalised at
// RENORMALISE_AT (Benettin et al. 1980), and escape when a body leaves the escape radius.
// `init` builds each member's initial conditions from the base system and its pixel; each
// `advance` dispatch takes at most `steps_per_dispatch` steps per member, so dispatches stay
// short and the map fills in progressively.


struct Params {
    n_bodies: u32,
    resolution: u32,
    steps_per_dispatch: u32,
    max_steps: u32,
    // Which body varies, and whether positions (0) or velocities (1).
    body: u32,
    plane: u32,
    pad0: u32,
    pad1: u32,
    t_end: f32,
    eta: f32,
    escape_radius: f32,
    softening2: f32,
    span: f32,
    delta0: f32,
    renormalise_at: f32,
    pad2: f32,
}

// Per member: time, escape time, Σ ln(δ/δ0), E0, steps, done flag, final |ΔE/E0|, λ.
struct Info {
    t: f32,
    escape_time: f32,
    log_growth: f32,
    energy0: f32,
    steps: u32,
    done: u32,
    energy_error: f32,
    lyapunov: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
// The base system: per body (x, y, z, m) then (vx, vy, vz, 0), in the centre-of-mass frame.
@group(0) @binding(1) var<storage, read> base: array<vec4<f32>>;
// Member states: per member 4·n_bodies vec4 (x, v, shadow x, shadow v).
@group(0) @binding(2) var<storage, read_write> state: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> info: array<Info>;

var<private> xs: Vectors;
var<private> vs: Vectors;

fn load_masses() {
    for (var i = 0u; i < params.n_bodies; i++) {
        mass[i] = base[2u * i].w;
    }
}

// Accelerations at the positions `pos` (a trajectory's own) into `acc`.
fn accelerations(pos: ptr<private, Vectors>) {
    gravity(pos, params.n_bodies, params.softening2);
}

// One kick–drift–kick step of size h of the trajectory (pos, vel).
fn leapfrog(pos: ptr<private, Vectors>, vel: ptr<private, Vectors>, h: f32) {
    let n = params.n_bodies;
    accelerations(pos);
    for (var i = 0u; i < n; i++) {
        (*vel)[i] += 0.5 * h * acc[i];
        (*pos)[i] += h * (*vel)[i];
    }
    accelerations(pos);
    for (var i = 0u; i < n; i++) { (*vel)[i] += 0.5 * h * acc[i]; }
}

fn pair_timescale() -> f32 {
    let n = params.n_bodies;
    var tau = 3.0e38;
    for (var i = 0u; i < n; i++) {
        for (var j = i + 1u; j < n; j++) {
            let d = x[j] - x[i];
            let r2 = dot(d, d) + params.softening2;
            let r = sqrt(r2);
            let w = v[j] - v[i];
            let w2 = dot(w, w);
            if (w2 > 0.0) { tau = min(tau, r / sqrt(w2)); }
            let m = mass[i] + mass[j];
            if (m > 0.0) { tau = min(tau, sqrt(r2 * r / m)); }
        }
    }
    return tau;
}

fn energy() -> f32 {
    return gravity_energy(params.n_bodies, params.softening2);
}

fn separation() -> f32 {
    var sum = 0.0;
    for (var i = 0u; i < params.n_bodies; i++) {
        let dx = xs[i] - x[i];
        let dv = vs[i] - v[i];
        sum += dot(dx, dx) + dot(dv, dv);
    }
    return sqrt(sum);
}

fn member_base(m: u32) -> u32 {
    return m * 4u * params.n_bodies;
}

fn store_state(m: u32) {
    let n = params.n_bodies;
    let b = member_base(m);
    for (var i = 0u; i < n; i++) {
        state[b + i] = vec4<f32>(x[i], 0.0);
        state[b + n + i] = vec4<f32>(v[i], 0.0);
        state[b + 2u * n + i] = vec4<f32>(xs[i], 0.0);
        state[b + 3u * n + i] = vec4<f32>(vs[i], 0.0);
    }
}

fn load_state(m: u32) {
    let n = params.n_bodies;
    let b = member_base(m);
    for (var i = 0u; i < n; i++) {
        x[i] = state[b + i].xyz;
        v[i] = state[b + n + i].xyz;
        xs[i] = state[b + 2u * n + i].xyz;
        vs[i] = state[b + 3u * n + i].xyz;
    }
}

@compute @workgroup_size(64)
fn init(@builtin(global_invocation_id) gid: vec3<u32>) {
    let members = params.resolution * params.resolution;
    let m = gid.x;
    if (m >= members) { return; }
    load_masses();
    let n = params.n_bodies;
    for (var i = 0u; i < n; i++) {
        x[i] = base[2u * i].xyz;
        v[i] = base[2u * i + 1u].xyz;
    }
    // Pixel centres of a uniform grid over [−span, span]², row 0 at the top.
    let res = f32(params.resolution);
    let ix = m % params.resolution;
    let iy = m / params.resolution;
    let du = ((f32(ix) + 0.5) / res * 2.0 - 1.0) * params.span;
    let dv = (1.0 - (f32(iy) + 0.5) / res * 2.0) * params.span;
    if (params.plane == 0u) {
        x[params.body] += vec3<f32>(du, dv, 0.0);
    } else {
        v[params.body] += vec3<f32>(du, dv, 0.0);
    }
    // Back to the centre-of-mass frame.
    var total = 0.0;
    var com_x = vec3<f32>(0.0);
    var com_v = vec3<f32>(0.0);
    for (var i = 0u; i < n; i++) {
        total += mass[i];
        com_x += mass[i] * x[i];
        com_v += mass[i] * v[i];
    }
    for (var i = 0u; i < n; i++) {
        x[i] -= com_x / total;
        v[i] -= com_v / total;
        xs[i] = x[i];
        vs[i] = v[i];
    }
    xs[0].x += params.delta0;
    store_state(m);
    info[m] = Info(0.0, params.t_end, 0.0, energy(), 0u, 0u, 0.0, 0.0);
}

@compute @workgroup_size(64)
fn advance(@builtin(global_invocation_id) gid: vec3<u32>) {
    let members = params.resolution * params.resolution;
    let m = gid.x;
    if (m >= members) { return; }
    var record = info[m];
    if (record.done != 0u) { return; }
    load_masses();
    load_state(m);
    let n = params.n_bodies;
    var total = 0.0;
    for (var i = 0u; i < n; i++) { total += mass[i]; }
    var finished = false;
    for (var k = 0u; k < params.steps_per_dispatch; k++) {
        if (record.t >= params.t_end || record.steps >= params.max_steps) {
            finished = true;
            break;
        }
        let h = min(params.eta * pair_timescale(), params.t_end - record.t);
        if (!(h > 0.0)) {
            finished = true;
            break;
        }
        leapfrog(&x, &v, h);
        leapfrog(&xs, &vs, h);
        record.t += h;
        record.steps += 1u;
        let delta = separation();
        if (delta > params.renormalise_at) {
            record.log_growth += log(delta / params.delta0);
            let pull = params.delta0 / delta;
            for (var i = 0u; i < n; i++) {
                xs[i] = x[i] + (xs[i] - x[i]) * pull;
                vs[i] = v[i] + (vs[i] - v[i]) * pull;
            }
        }
        var com = vec3<f32>(0.0);
        for (var i = 0u; i < n; i++) { com += mass[i] / total * x[i]; }
        var escaped = false;
        for (var i = 0u; i < n; i++) {
            if (length(x[i] - com) > params.escape_radius) { escaped = true; }
        }
        if (escaped) {
            record.escape_time = record.t;
            finished = true;
            break;
        }
    }
    if (record.t >= params.t_end || record.steps >= params.max_steps) {
        finished = true;
    }
    if (finished) {
        record.done = 1u;
        let e = energy();
        record.energy_error = abs(e - record.energy0) / max(abs(record.energy0), 1e-30);
        if (record.t > 0.0) {
            record.lyapunov = (record.log_growth + log(separation() / params.delta0)) / record.t;
        }
    }
    info[m] = record;
    store_state(m);
}

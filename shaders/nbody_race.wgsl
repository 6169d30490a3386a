// requires: nbody_gravity.wgsl
// A race of fixed-step N-body integrators: one invocation per run (a solver at a step size),
// every run of the race in the same dispatch, f32. The schemes are the f64 reference's in
// src/sims/threebody/integrators.rs, with the same force-evaluation count:
// - kick–drift–kick leapfrog, the force of the last drift carried to the next step (one
//   evaluation per step after the first);
// - Yoshida's triple jump S(w1 h) S(w0 h) S(w1 h) of that leapfrog (Yoshida 1990, eq. 5.19);
// - classical Runge–Kutta 4 on (x, v) (Hairer, Nørsett & Wanner I, II.1, Table 1.2).
// Each run takes `full_steps` steps of h and, when the end time is not a whole number of
// steps, one last step of h_last (the host works both out in f64, as the CPU run clips its
// last step). The energy is checked after every step; the run's error is the largest
// relative energy error, as for the f64 run.

const LEAPFROG: u32 = 0u;
const YOSHIDA4: u32 = 1u;
const RK4: u32 = 2u;

struct Params {
    n_bodies: u32,
    runs: u32,
    steps_per_dispatch: u32,
    pad0: u32,
    softening2: f32,
    // Yoshida's weights w1 = 1/(2 − 2^{1/3}) and w0 = 1 − 2 w1, rounded from f64.
    yoshida_w1: f32,
    yoshida_w0: f32,
    pad1: f32,
}

struct Run {
    method: u32,
    full_steps: u32,
    pad0: u32,
    pad1: u32,
    h: f32,
    h_last: f32,
    pad2: f32,
    pad3: f32,
}

// Per run: steps taken, force evaluations, done flag, E0, the largest and the last relative
// energy error, and whether the state stopped being finite.
struct Progress {
    steps: u32,
    nfe: u32,
    done: u32,
    non_finite: u32,
    energy0: f32,
    max_energy_error: f32,
    energy_error: f32,
    pad: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
// The initial system: per body (x, y, z, m) then (vx, vy, vz, 0).
@group(0) @binding(1) var<storage, read> base: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> runs: array<Run>;
// Per run 3·n_bodies vec4: positions, velocities, and the leapfrog's carried force.
@group(0) @binding(3) var<storage, read_write> state: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> progress: array<Progress>;

// Runge–Kutta scratch: stage positions, the running sums of the stage slopes.
var<private> xs: Vectors;
var<private> vs: Vectors;
var<private> sum_v: Vectors;
var<private> sum_a: Vectors;

// Accelerations at the positions `pos` (a trajectory's own) into `acc`.
fn accelerations(pos: ptr<private, Vectors>) {
    gravity(pos, params.n_bodies, params.softening2);
}

fn energy() -> f32 {
    return gravity_energy(params.n_bodies, params.softening2);
}

// One kick–drift–kick step of size h; `acc` holds a(x) on entry and on exit.
fn leapfrog(h: f32) {
    let n = params.n_bodies;
    for (var i = 0u; i < n; i++) {
        v[i] += 0.5 * h * acc[i];
        x[i] += h * v[i];
    }
    accelerations(&x);
    for (var i = 0u; i < n; i++) { v[i] += 0.5 * h * acc[i]; }
}

// One classical Runge–Kutta 4 step of size h (four force evaluations).
fn rk4(h: f32) {
    let n = params.n_bodies;
    // Stage 1 at (x, v).
    accelerations(&x);
    for (var i = 0u; i < n; i++) {
        sum_v[i] = v[i];
        sum_a[i] = acc[i];
        xs[i] = x[i] + 0.5 * h * v[i];
        vs[i] = v[i] + 0.5 * h * acc[i];
    }
    // Stages 2 and 3 at the half step, weight 2 each.
    for (var stage = 2u; stage <= 3u; stage++) {
        accelerations(&xs);
        let reach = select(h, 0.5 * h, stage == 2u);
        for (var i = 0u; i < n; i++) {
            let stage_v = vs[i];
            sum_v[i] += 2.0 * stage_v;
            sum_a[i] += 2.0 * acc[i];
            xs[i] = x[i] + reach * stage_v;
            vs[i] = v[i] + reach * acc[i];
        }
    }
    // Stage 4 at the full step.
    accelerations(&xs);
    for (var i = 0u; i < n; i++) {
        sum_v[i] += vs[i];
        sum_a[i] += acc[i];
        x[i] += h / 6.0 * sum_v[i];
        v[i] += h / 6.0 * sum_a[i];
    }
}

fn run_base(r: u32) -> u32 {
    return r * 3u * params.n_bodies;
}

@compute @workgroup_size(64)
fn advance(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = gid.x;
    if (r >= params.runs) { return; }
    var record = progress[r];
    if (record.done != 0u) { return; }
    let run = runs[r];
    let n = params.n_bodies;
    let b = run_base(r);
    for (var i = 0u; i < n; i++) { mass[i] = base[2u * i].w; }
    let fresh = record.steps == 0u && record.nfe == 0u;
    for (var i = 0u; i < n; i++) {
        if (fresh) {
            x[i] = base[2u * i].xyz;
            v[i] = base[2u * i + 1u].xyz;
        } else {
            x[i] = state[b + i].xyz;
            v[i] = state[b + n + i].xyz;
            acc[i] = state[b + 2u * n + i].xyz;
        }
    }
    if (fresh) {
        record.energy0 = energy();
        if (run.method != RK4) {
            accelerations(&x);
            record.nfe = 1u;
        }
    }
    let total_steps = run.full_steps + select(0u, 1u, run.h_last > 0.0);
    for (var k = 0u; k < params.steps_per_dispatch; k++) {
        if (record.steps >= total_steps) { break; }
        let h = select(run.h, run.h_last, record.steps >= run.full_steps);
        switch run.method {
            case LEAPFROG: {
                leapfrog(h);
                record.nfe += 1u;
            }
            case YOSHIDA4: {
                leapfrog(params.yoshida_w1 * h);
                leapfrog(params.yoshida_w0 * h);
                leapfrog(params.yoshida_w1 * h);
                record.nfe += 3u;
            }
            default: {
                rk4(h);
                record.nfe += 4u;
            }
        }
        record.steps += 1u;
        let e = energy();
        // A NaN or infinite energy ends the run (the comparison is false for NaN).
        if (!(abs(e) < 3.0e38)) {
            record.non_finite = 1u;
            record.done = 1u;
            break;
        }
        record.energy_error = abs(e - record.energy0) / max(abs(record.energy0), 1e-30);
        record.max_energy_error = max(record.max_energy_error, record.energy_error);
    }
    if (record.steps >= total_steps) { record.done = 1u; }
    progress[r] = record;
    for (var i = 0u; i < n; i++) {
        state[b + i] = vec4<f32>(x[i], 0.0);
        state[b + n + i] = vec4<f32>(v[i], 0.0);
        state[b + 2u * n + i] = vec4<f32>(acc[i], 0.0);
    }
}

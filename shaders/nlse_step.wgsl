// requires: complex.wgsl, workgroup_reduce.wgsl
// NLSE time stepping on the GPU in f32: the split-step methods (Strang, Yoshida's 4th order),
// Runge–Kutta in the interaction picture (RK4IP, ERK4(3)-IP, DOPRI5-IP, Tsit5-IP) with the
// step-size controller running here (no CPU round trip per step), and the per-frame
// diagnostics reductions. Driven by src/sims/nlse/gpu.rs; the f64 CPU reference is
// src/sims/nlse/cpu.rs and src/core/ip.rs, whose formulas these kernels mirror.
//
// Data contract (ψ̂ = Fψ/N in FFT order, complex f32 as vec2)
//   u         N: the current state.
//   stages    (s+1)·N: RK stages k_0…k_{s−1} in the interaction frame of the step's start,
//             then the candidate u_{n+1} in slot s. Split-step methods keep a checkpoint of
//             u in slot 0 (restored by the CPU if a run diverges).
//   work      N: the argument of N(·), transformed in place by the FFT between kernels.
//   partials  one vec4 per workgroup of the last per-element reduction.
//   control   the controller's state, the diagnostics sums and the step log (struct Control).
//   spectral  per mode: (Re L, Im L, dealias mask 0/1, k), L computed in f64 and rounded.
//   tables    split-step propagators e^{L·s}·mask, N each, computed in f64 and rounded.
//   setup     per-run constants (the tableau, tolerances, controller gains) and, written
//             before each submission, the end time and the submission's serial number.
//   dispatch  (group 1, dynamic offset) what one dispatch does: stage, table, slot, …
//
// Time is kept in integer ticks of 2^-40 (two u32 words, hi·2^32 + lo): sums of steps are
// exact, so a run lands on its end time exactly and long runs do not drift the clock (f32
// would lose a step of 1e-3 entirely at t ≈ 2e4). A step is a whole number of ticks.
//
// One step of an s-stage RK method in the interaction picture (Hult 2007; Balac & Mahé 2013):
//   begin (once per submission) → [ip_stage(i), FFT⁻¹, ip_cubic, FFT](i = 0 or 1 … s−1)
//   → ip_finish (candidate, error partials) → ip_control (one workgroup: error norm,
//   accept/reject, next h, log) → ip_commit (u ← candidate, FSAL stage) .
// Every kernel does nothing unless status is RUNNING, so a submission encoded for more steps
// than remain costs only empty dispatches, and a rejected or diverged step changes nothing.

struct Setup {
    len: u32,
    stages: u32,
    fsal: u32,
    fixed: u32,
    has_estimate: u32,
    partial_count: u32,
    log_capacity: u32,
    serial: u32,
    t_end_hi: u32,
    t_end_lo: u32,
    error_order: f32,
    rtol: f32,
    atol: f32,
    safety: f32,
    factor_min: f32,
    factor_max: f32,
    h_min: f32,
    h_max: f32,
    beta1: f32,
    beta2: f32,
    beta3: f32,
    mass_limit: f32,
    gamma_over_n: f32,
    k_max: f32,
    // The fixed step in ticks (fixed-step methods): rounded from the f64 step, so n steps of
    // dt land on n·dt like the CPU's f64 clock, not on n·f32(dt).
    dt_hi: u32,
    dt_lo: u32,
    // After an accepted step a change below this factor keeps the step (1 = off; the CPU's
    // ControllerLimits::hold_max).
    hold_max: f32,
    pad1: u32,
    // Butcher tableau, row-major a[i][j] at 8·i + j; b, b − b̂ (e) and c.
    a: array<vec4<f32>, 16>,
    b: array<vec4<f32>, 2>,
    e: array<vec4<f32>, 2>,
    c: array<vec4<f32>, 2>,
}

struct Dispatch {
    stage: u32,
    // 1: the previous stage's N(·) is in `work` and becomes k_{stage−1} here.
    finalize_previous: u32,
    table: u32,
    slot: u32,
    max_lane: u32,
    pad0: u32,
    coef: f32,
    scale: f32,
}

struct Control {
    // The step to try next (the controller's proposal, or the fixed step).
    h: f32,
    // The attempt in progress, in f32 and in ticks.
    h_attempt: f32,
    h_attempt_hi: u32,
    h_attempt_lo: u32,
    // The last accepted step (for the FSAL stage in ip_commit).
    h_done: f32,
    t_hi: u32,
    t_lo: u32,
    err: f32,
    // Scaled errors of the last two accepted steps (controller memory).
    err1: f32,
    err2: f32,
    status: u32,
    // 1 when the attempt just decided was accepted and ip_commit must commit it.
    pending: u32,
    last_rejected: u32,
    accepted: u32,
    rejected: u32,
    attempts: u32,
    checkpoint_serial: u32,
    // 1 once k_0 of the FSAL tableaus is valid for u (the CPU may then skip stage 0).
    fsal_valid: u32,
    // Serial of the last submission that ran (the CPU ignores stale readbacks).
    serial: u32,
    pad0: u32,
    // diag[0]: (Σ|ψ̂|², Σk|ψ̂|² without the Nyquist mode, Σk²|ψ̂|², Σ_{|k|>0.8k_max}|ψ̂|²);
    // diag[1]: (Σ|ψ|⁴, Σ|ψ|² ln|ψ|², max|ψ|², Σ|ψ|²) over the grid.
    diag: array<vec4<f32>, 4>,
    // Per attempt, at attempts mod log_capacity: (t_hi, t_lo after it, bits of h, bits of
    // the scaled error, negated when the attempt was rejected).
    log: array<vec4<u32>>,
}

const WORKGROUP_SIZE: u32 = 256u;
const MAX_STAGES: u32 = 8u;

const RUNNING: u32 = 0u;
const REACHED: u32 = 1u;
const NONFINITE: u32 = 2u;
const UNDERFLOW: u32 = 3u;

// Lane of the workgroup reduction that is a maximum (4: none).
const NO_MAX_LANE: u32 = 4u;

@group(0) @binding(0) var<uniform> setup: Setup;
@group(0) @binding(1) var<storage, read_write> u: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> stages: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> work: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> partials: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> control: Control;
@group(0) @binding(6) var<storage, read> spectral: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> tables: array<vec2<f32>>;
@group(1) @binding(0) var<uniform> dispatch: Dispatch;


fn is_finite(x: f32) -> bool {
    // Exponent all ones: ±inf or NaN (a bit test; `x != x` may be folded away).
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// The error recorded for a step whose result is not finite: the largest f32 (WGSL has no
// infinity literal, and Tint rejects one made by a constant bitcast). The CPU reads it as ∞.
const NOT_FINITE_ERROR: f32 = 0x1.fffffep+127f;

// (sin θ, cos θ) to about 1 ulp for |θ| up to ~1e5 (propagator phases reach k²h/2 ≈ 1e3):
// WGSL only promises an absolute error of 2^-11 for sin/cos on [−π, π], and nothing outside.
// Cody & Waite reduction by π/4 with the three-part constant and the minimax polynomials of
// Cephes sinf/cosf (Moshier 1992, "Methods and Programs for Mathematical Functions").
fn sin_cos(theta: f32) -> vec2<f32> {
    let sign = select(1.0, -1.0, theta < 0.0);
    let x = abs(theta);
    var j = u32(x * 1.27323954473516);
    j += j & 1u;
    let y = f32(j);
    let r = ((x - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
    let z = r * r;
    let s = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
    let c = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z
        - 0.5 * z + 1.0;
    let octant = j & 7u;
    var sc: vec2<f32>;
    if (octant == 0u) {
        sc = vec2<f32>(s, c);
    } else if (octant == 2u) {
        sc = vec2<f32>(c, -s);
    } else if (octant == 4u) {
        sc = vec2<f32>(-s, -c);
    } else {
        sc = vec2<f32>(-c, s);
    }
    return vec2<f32>(sign * sc.x, sc.y);
}

// e^{L·s} for the mode's symbol L = (Re L, Im L).
fn propagator(symbol: vec2<f32>, s: f32) -> vec2<f32> {
    let sc = sin_cos(symbol.y * s);
    var modulus = 1.0;
    if (symbol.x != 0.0) {
        modulus = exp(symbol.x * s);
    }
    return vec2<f32>(sc.y, sc.x) * modulus;
}

fn tableau_a(i: u32, j: u32) -> f32 {
    let index = i * MAX_STAGES + j;
    return setup.a[index / 4u][index % 4u];
}

fn tableau_b(i: u32) -> f32 {
    return setup.b[i / 4u][i % 4u];
}

fn tableau_e(i: u32) -> f32 {
    return setup.e[i / 4u][i % 4u];
}

fn tableau_c(i: u32) -> f32 {
    return setup.c[i / 4u][i % 4u];
}

// ---- 64-bit tick arithmetic on (hi, lo) pairs --------------------------------------------

fn ticks_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.y + b.y;
    return vec2<u32>(a.x + b.x + select(0u, 1u, lo < a.y), lo);
}

fn ticks_sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(a.x - b.x - select(0u, 1u, a.y < b.y), a.y - b.y);
}

fn ticks_less(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.x < b.x || (a.x == b.x && a.y < b.y);
}

// 2^40 and 2^32 as f32 (exact powers of two).
const TICKS_PER_UNIT: f32 = 1099511627776.0;
const TWO_POW_32: f32 = 4294967296.0;

fn ticks_from_f32(x: f32) -> vec2<u32> {
    let scaled = max(x, 0.0) * TICKS_PER_UNIT;
    let hi = floor(scaled / TWO_POW_32);
    return vec2<u32>(u32(hi), u32(scaled - hi * TWO_POW_32));
}

fn ticks_to_f32(t: vec2<u32>) -> f32 {
    return (f32(t.x) * TWO_POW_32 + f32(t.y)) / TICKS_PER_UNIT;
}

// Sets up the next attempt: h_attempt = min(h, t_end − t) in whole ticks, landing exactly on
// t_end; REACHED when t = t_end. Called by one invocation.
fn prepare_attempt() {
    if (control.status != RUNNING) {
        return;
    }
    let t = vec2<u32>(control.t_hi, control.t_lo);
    let t_end = vec2<u32>(setup.t_end_hi, setup.t_end_lo);
    if (!ticks_less(t, t_end)) {
        control.status = REACHED;
        return;
    }
    let remaining = ticks_sub(t_end, t);
    var step = ticks_from_f32(control.h);
    if (setup.fixed == 1u) {
        step = vec2<u32>(setup.dt_hi, setup.dt_lo);
    }
    // A step that would leave less than 2^-20 of itself to go lands instead: the fixed step
    // in whole ticks is rounded (by up to half a tick per step), so a whole number of steps
    // can fall a few ticks short of t_end, and a sliver step there would cost a full step's
    // evaluations for nothing (the f64 run lands in that case). Stretching the step by under
    // 1e-6 of itself changes the state by far less than f32 resolves.
    let slack = vec2<u32>(step.x >> 20u, (step.y >> 20u) | (step.x << 12u));
    if (!ticks_less(ticks_add(step, slack), remaining)) {
        step = remaining;
    }
    if (step.x == 0u && step.y == 0u) {
        // h below one tick (2^-40 ≈ 9e-13): the controller's h_min stops it first.
        control.status = UNDERFLOW;
        return;
    }
    control.h_attempt_hi = step.x;
    control.h_attempt_lo = step.y;
    control.h_attempt = ticks_to_f32(step);
}

// Once per submission, before its steps: resumes a run whose end time moved on.
@compute @workgroup_size(1)
fn begin() {
    control.pending = 0u;
    control.serial = setup.serial;
    let t = vec2<u32>(control.t_hi, control.t_lo);
    let t_end = vec2<u32>(setup.t_end_hi, setup.t_end_lo);
    if (control.status == REACHED && ticks_less(t, t_end)) {
        control.status = RUNNING;
    }
    prepare_attempt();
}

// ---- Workgroup reductions -----------------------------------------------------------------

fn combine(a: vec4<f32>, b: vec4<f32>, max_lane: u32) -> vec4<f32> {
    var out = a + b;
    if (max_lane < 4u) {
        out[max_lane] = max(a[max_lane], b[max_lane]);
    }
    return out;
}

// Sums `partials[0 .. partial_count]` in one workgroup; valid in invocation 0.
fn reduce_partials(local: u32, max_lane: u32) -> vec4<f32> {
    var sum = vec4<f32>(0.0);
    for (var p = local; p < setup.partial_count; p += WORKGROUP_SIZE) {
        sum = combine(sum, partials[p], max_lane);
    }
    return workgroup_reduce(local, sum, max_lane);
}

// ---- Split-step methods (src/sims/nlse/cpu.rs, Stepper::Split) ----------------------------

// Saves u into stages slot 0 while the run is healthy; records which submission it is from.
@compute @workgroup_size(256)
fn checkpoint(@builtin(global_invocation_id) id: vec3<u32>) {
    let j = id.x;
    if (j >= setup.len || control.status == NONFINITE) {
        return;
    }
    stages[j] = u[j];
    if (j == 0u) {
        control.checkpoint_serial = setup.serial;
    }
}

// u ← tables[table] ⊙ u: a linear sub-step (with the dealias mask folded in).
@compute @workgroup_size(256)
fn split_propagate(@builtin(global_invocation_id) id: vec3<u32>) {
    let j = id.x;
    if (j >= setup.len || control.status != RUNNING) {
        return;
    }
    u[j] = complex_mul(u[j], tables[dispatch.table * setup.len + j]);
}

// In physical space: ψ ← scale·ψ·e^{i·coef·|ψ|²}, the exact flow of iψ_t = −γ|ψ|²ψ over a
// sub-step w·h (coef = γ·w·h; scale = 1/N folds the forward FFT's normalisation in).
@compute @workgroup_size(256)
fn split_phase(@builtin(global_invocation_id) id: vec3<u32>) {
    let j = id.x;
    if (j >= setup.len || control.status != RUNNING) {
        return;
    }
    let z = u[j];
    let sc = sin_cos(dispatch.coef * dot(z, z));
    u[j] = complex_mul(z, vec2<f32>(sc.y, sc.x)) * dispatch.scale;
}

// ---- Runge–Kutta in the interaction picture (src/core/ip.rs) ------------------------------

// Stage i's argument: work = e^{L c_i h}(u + h Σ_{m<i} a_im k_m); stage 0's is u itself.
// First, with finalize_previous, turns N(·) of stage i−1 (in work, lab frame) into
// k_{i−1} = e^{−L c_{i−1} h}·mask·N(·).
@compute @workgroup_size(256)
fn ip_stage(@builtin(global_invocation_id) id: vec3<u32>) {
    let j = id.x;
    let n = setup.len;
    if (j >= n || control.status != RUNNING) {
        return;
    }
    let i = dispatch.stage;
    let h = control.h_attempt;
    let mode = spectral[j];
    if (dispatch.finalize_previous == 1u) {
        let c_prev = tableau_c(i - 1u);
        stages[(i - 1u) * n + j] = complex_mul(work[j], propagator(mode.xy, -c_prev * h)) * mode.z;
    }
    if (i == 0u) {
        work[j] = u[j];
        return;
    }
    var w = u[j];
    for (var m = 0u; m < i; m++) {
        let a = tableau_a(i, m);
        if (a != 0.0) {
            w += (h * a) * stages[m * n + j];
        }
    }
    work[j] = complex_mul(w, propagator(mode.xy, tableau_c(i) * h));
}

// N(ψ) = iγ|ψ|²ψ in physical space, with the forward FFT's 1/N folded in.
@compute @workgroup_size(256)
fn ip_cubic(@builtin(global_invocation_id) id: vec3<u32>) {
    let j = id.x;
    if (j >= setup.len || control.status != RUNNING) {
        return;
    }
    let z = work[j];
    work[j] = vec2<f32>(-z.y, z.x) * (setup.gamma_over_n * dot(z, z));
}

// Finalizes k_{s−1}; the candidate u_{n+1} = e^{Lh}(u + h Σ b_m k_m) into stages slot s, and
// per workgroup (‖err‖², ‖u‖², ‖u_{n+1}‖², 0) with err = e^{Lh}·h Σ (b − b̂)_m k_m.
@compute @workgroup_size(256)
fn ip_finish(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(local_invocation_id) local_id: vec3<u32>,
    @builtin(workgroup_id) group_id: vec3<u32>,
) {
    let j = id.x;
    let n = setup.len;
    let s = setup.stages;
    var contribution = vec4<f32>(0.0);
    if (j < n && control.status == RUNNING) {
        let h = control.h_attempt;
        let mode = spectral[j];
        let last = s - 1u;
        stages[last * n + j] = complex_mul(work[j], propagator(mode.xy, -tableau_c(last) * h)) * mode.z;
        let u0 = u[j];
        var sum = u0;
        var err = vec2<f32>(0.0);
        for (var m = 0u; m < s; m++) {
            let k = stages[m * n + j];
            sum += (h * tableau_b(m)) * k;
            err += (h * tableau_e(m)) * k;
        }
        let full = propagator(mode.xy, h);
        let u1 = complex_mul(sum, full);
        let e1 = complex_mul(err, full);
        stages[s * n + j] = u1;
        contribution = vec4<f32>(dot(e1, e1), dot(u0, u0), dot(u1, u1), 0.0);
    }
    let total = workgroup_reduce(local_id.x, contribution, NO_MAX_LANE);
    if (local_id.x == 0u) {
        partials[group_id.x] = total;
    }
}

// The step-size controller (src/core/controller.rs StepController::decide and the loop of
// src/core/integrate.rs advance), in one workgroup: the error norm from ip_finish's partials
// (GlobalRelativeL2: ‖err‖ / (atol + rtol·max(‖u‖, ‖u_{n+1}‖))), accept or reject, the next
// step, the time, the counters and the log entry.
@compute @workgroup_size(256)
fn ip_control(@builtin(local_invocation_id) local_id: vec3<u32>) {
    let total = reduce_partials(local_id.x, NO_MAX_LANE);
    if (local_id.x != 0u) {
        return;
    }
    if (control.status != RUNNING) {
        control.pending = 0u;
        return;
    }
    // This attempt evaluated (or carried) k_0 = N(u): from here on FSAL keeps it valid.
    control.fsal_valid = 1u;
    let h = control.h_attempt;
    let finite = is_finite(total.x) && is_finite(total.z) && total.z <= setup.mass_limit;
    var err = 0.0;
    if (setup.has_estimate == 1u) {
        let scale = max(setup.atol + setup.rtol * sqrt(max(total.y, total.z)), 1e-30);
        err = sqrt(total.x) / scale;
    }
    if (!finite) {
        err = NOT_FINITE_ERROR;
    }
    var accept = finite;
    var h_next = control.h;
    let adaptive = setup.fixed == 0u && setup.has_estimate == 1u;
    if (adaptive) {
        if (!finite) {
            h_next = h * setup.factor_min;
        } else {
            let k = max(setup.error_order, 1.0);
            // Floor the error so a vanishing estimate grows the step by factor_max, not ∞.
            let e0 = max(err, 1e-10);
            accept = err <= 1.0;
            // After a reject only the current error means anything: I control
            // (Hairer & Wanner II, IV.2).
            var beta = vec3<f32>(1.0, 0.0, 0.0);
            if (accept) {
                beta = vec3<f32>(setup.beta1, setup.beta2, setup.beta3);
            }
            var factor = setup.safety * pow(e0, -beta.x / k) * pow(control.err1, -beta.y / k)
                * pow(control.err2, -beta.z / k);
            var max_factor = setup.factor_max;
            if (control.last_rejected == 1u || !accept) {
                max_factor = 1.0;
            }
            factor = clamp(factor, setup.factor_min, max_factor);
            if (accept && setup.hold_max > 1.0 && factor < setup.hold_max) {
                factor = 1.0;
            }
            h_next = min(h * factor, setup.h_max);
            if (accept) {
                control.err2 = control.err1;
                control.err1 = e0;
            }
        }
        control.last_rejected = select(1u, 0u, accept);
    }
    control.err = err;
    if (accept) {
        let t = ticks_add(
            vec2<u32>(control.t_hi, control.t_lo),
            vec2<u32>(control.h_attempt_hi, control.h_attempt_lo),
        );
        control.t_hi = t.x;
        control.t_lo = t.y;
        control.accepted += 1u;
        control.h_done = h;
        control.pending = 1u;
        if (adaptive) {
            control.h = max(h_next, setup.h_min);
        }
    } else {
        control.rejected += 1u;
        control.pending = 0u;
        if (!adaptive) {
            // A fixed step that is not finite: stop at the last good state.
            control.status = NONFINITE;
        } else if (h_next < setup.h_min) {
            control.status = UNDERFLOW;
        } else {
            control.h = h_next;
        }
    }
    let signed_err = select(-err, err, accept);
    control.log[control.attempts % setup.log_capacity] = vec4<u32>(
        control.t_hi,
        control.t_lo,
        bitcast<u32>(h),
        bitcast<u32>(signed_err),
    );
    control.attempts += 1u;
    prepare_attempt();
}

// Commits an accepted attempt: u ← candidate; for FSAL tableaus the last stage, mapped into
// the new step's frame (e^{Lh}), is the next step's first (Balac & Mahé 2013, §3).
@compute @workgroup_size(256)
fn ip_commit(@builtin(global_invocation_id) id: vec3<u32>) {
    let j = id.x;
    let n = setup.len;
    if (j >= n || control.pending == 0u) {
        return;
    }
    let s = setup.stages;
    u[j] = stages[s * n + j];
    if (setup.fsal == 1u) {
        stages[j] = complex_mul(stages[(s - 1u) * n + j], propagator(spectral[j].xy, control.h_done));
    }
}

// ---- Diagnostics (src/sims/nlse/cpu.rs compute_diagnostics) -------------------------------

// Per workgroup, spectral sums: (|ψ̂|², k|ψ̂|² without the Nyquist mode, k²|ψ̂|², tail).
@compute @workgroup_size(256)
fn diag_spectral(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(local_invocation_id) local_id: vec3<u32>,
    @builtin(workgroup_id) group_id: vec3<u32>,
) {
    let j = id.x;
    var contribution = vec4<f32>(0.0);
    if (j < setup.len) {
        let z = u[j];
        let p = dot(z, z);
        let k = spectral[j].w;
        var kp = k * p;
        if (j == setup.len / 2u) {
            kp = 0.0;
        }
        let tail = select(0.0, p, abs(k) > 0.8 * setup.k_max);
        contribution = vec4<f32>(p, kp, k * k * p, tail);
    }
    let total = workgroup_reduce(local_id.x, contribution, NO_MAX_LANE);
    if (local_id.x == 0u) {
        partials[group_id.x] = total;
    }
}

// Per workgroup, physical sums of q = |ψ|² (ψ in work): (q², q ln q, max q, q).
@compute @workgroup_size(256)
fn diag_physical(
    @builtin(global_invocation_id) id: vec3<u32>,
    @builtin(local_invocation_id) local_id: vec3<u32>,
    @builtin(workgroup_id) group_id: vec3<u32>,
) {
    let j = id.x;
    var contribution = vec4<f32>(0.0);
    if (j < setup.len) {
        let z = work[j];
        let q = dot(z, z);
        var q_log_q = 0.0;
        if (q > 0.0) {
            q_log_q = q * log(q);
        }
        contribution = vec4<f32>(q * q, q_log_q, q, q);
    }
    let total = workgroup_reduce(local_id.x, contribution, 2u);
    if (local_id.x == 0u) {
        partials[group_id.x] = total;
    }
}

// Sums the partials into control.diag[slot]. Slot 0 (Σ|ψ̂|²) doubles as the divergence guard
// of the split-step methods: a non-finite or doubled mass stops the run (the CPU restores the
// checkpoint).
@compute @workgroup_size(256)
fn diag_reduce(@builtin(local_invocation_id) local_id: vec3<u32>) {
    let total = reduce_partials(local_id.x, dispatch.max_lane);
    if (local_id.x != 0u) {
        return;
    }
    control.diag[dispatch.slot] = total;
    if (dispatch.slot == 0u && control.status == RUNNING) {
        if (!is_finite(total.x) || total.x > setup.mass_limit) {
            control.status = NONFINITE;
        }
    }
}

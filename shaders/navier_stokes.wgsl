// 2D incompressible Navier–Stokes on the MAC grid, in f32: the GPU path of
// src/sims/navier_stokes/mac.rs and poisson.rs (same discretisation, same ghost rules).
//
// Data contract (all offsets in elements):
// - `work` (f32): every velocity field of a run back to back; a field is the u faces
//   (ucols × ny, row-major) followed by the v faces (nx × vrows). Also the dye fields (cells).
// - `cells` (f32): per multigrid level l its pressure p_l, right-hand side f_l and residual
//   r_l (nx_l × ny_l each), at offsets given by the op.
// - `flags` (u32): the face kinds of the velocity (0 free, 1 fixed, 2 buried: between two
//   solid cells), then the solid flags of each level's cells.
// - `stats` (f32): STAT_* scalars the kernels share (Δt, t, reductions), then the history.
// - `grid`: the geometry and boundaries; `op`: one dispatch's parameters (dynamic offset,
//   256-byte slots), so a whole step is recorded once and replayed.
//
// Δt lives on the GPU: `cfl_dt` reduces max|u| + max|v| and writes it, every later kernel
// reads it, so no step waits for the CPU.

const WG: u32 = 256u;

// stats layout
const STAT_DT: u32 = 0u;
const STAT_T: u32 = 1u;
const STAT_MEAN: u32 = 2u;
const STAT_STEP: u32 = 3u;
const STAT_RES: u32 = 4u;      // relative residual of the last solve
const STAT_CFL: u32 = 5u;      // Courant number of the last step
const STAT_HISTORY: u32 = 16u; // history ring: HISTORY_WIDTH floats per step
const HISTORY_WIDTH: u32 = 8u;

struct Grid {
    nx: u32,
    ny: u32,
    ucols: u32,
    vrows: u32,
    periodic_x: u32,
    periodic_y: u32,
    nfaces_u: u32,
    history_capacity: u32,
    h: f32,
    nu: f32,
    cfl: f32,
    beta: f32,             // explicit diffusion limit factor: Δt ≤ β h²/ν
    side_kind: vec4<u32>,  // x-low, x-high, y-low, y-high: 0 no-slip, 1 free-slip, 2 inflow, 3 outflow
    side_value: vec4<f32>, // slide (no-slip) or speed (inflow)
    pressure_ghost: vec4<f32>, // +1 Neumann, −1 Dirichlet (outflow) per side
    force: f32,            // Kolmogorov amplitude F: f = (F sin(k y), 0)
    force_k: f32,
    boundary_speed: f32,
    max_force: f32,
}

struct Op {
    out_off: u32,
    from_off: u32,
    base_off: u32,
    aux_off: u32,
    wa: f32,
    wb: f32,
    dt_scale: f32,
    omega: f32,
    // Poisson level
    lnx: u32,
    lny: u32,
    p_off: u32,
    f_off: u32,
    r_off: u32,
    solid_off: u32,
    colour: u32,
    flag: u32,
    lh: f32,
    // the coarse level (restriction / prolongation)
    cnx: u32,
    cny: u32,
    cp_off: u32,
    cf_off: u32,
    csolid_off: u32,
    count: u32,
    lattice: u32, // 0 u faces, 1 v faces, 2 cells
}

@group(0) @binding(0) var<uniform> grid: Grid;
@group(0) @binding(1) var<uniform> op: Op;
@group(0) @binding(2) var<storage, read_write> work: array<f32>;
@group(0) @binding(3) var<storage, read_write> cells: array<f32>;
@group(0) @binding(4) var<storage, read> flags: array<u32>;
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;
// The FFT pressure solver's complex grid and spectrum (nx × ny each; 1-element stand-ins
// for the other solvers), transformed between `fft_pack` and `fft_unpack` by the shared
// GPU FFT (src/gpu/fft.rs, GpuFft2).
@group(0) @binding(6) var<storage, read_write> fft_grid: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> fft_spectrum: array<vec2<f32>>;

var<workgroup> shared_a: array<f32, WG>;
var<workgroup> shared_b: array<f32, WG>;
var<workgroup> shared_c: array<f32, WG>;

fn index(gid: vec3<u32>) -> u32 {
    return gid.x + gid.y * 65535u * WG;
}

fn wrap(m: i32, n: u32) -> u32 {
    let nn = i32(n);
    return u32(((m % nn) + nn) % nn);
}

fn tangential_ghost(side: u32, inside: f32) -> f32 {
    let kind = grid.side_kind[side];
    if (kind == 0u) {
        return 2.0 * grid.side_value[side] - inside;
    }
    if (kind == 2u) {
        return -inside;
    }
    return inside;
}

// u at lattice (i, j) of the field at `o`, one face outside allowed (mac.rs `fetch`).
fn fetch_u(o: u32, i: i32, j: i32, mirror: f32, use_mirror: bool) -> f32 {
    var ii: u32;
    var jj: u32;
    var side = 4u;
    if (i < 0 || i >= i32(grid.ucols)) {
        if (grid.periodic_x == 1u) { ii = wrap(i, grid.ucols); } else { ii = u32(clamp(i, 0, i32(grid.ucols) - 1)); }
    } else {
        ii = u32(i);
    }
    if (j < 0 || j >= i32(grid.ny)) {
        if (grid.periodic_y == 1u) {
            jj = wrap(j, grid.ny);
        } else {
            jj = u32(clamp(j, 0, i32(grid.ny) - 1));
            side = select(3u, 2u, j < 0);
        }
    } else {
        jj = u32(j);
    }
    let k = ii + grid.ucols * jj;
    var inside = work[o + k];
    if (flags[k] == 2u) {
        inside = select(0.0, -mirror, use_mirror);
    }
    if (side < 4u) {
        return tangential_ghost(side, inside);
    }
    return inside;
}

fn fetch_v(o: u32, i: i32, j: i32, mirror: f32, use_mirror: bool) -> f32 {
    var ii: u32;
    var jj: u32;
    var side = 4u;
    if (i < 0 || i >= i32(grid.nx)) {
        if (grid.periodic_x == 1u) {
            ii = wrap(i, grid.nx);
        } else {
            ii = u32(clamp(i, 0, i32(grid.nx) - 1));
            side = select(1u, 0u, i < 0);
        }
    } else {
        ii = u32(i);
    }
    if (j < 0 || j >= i32(grid.vrows)) {
        if (grid.periodic_y == 1u) { jj = wrap(j, grid.vrows); } else { jj = u32(clamp(j, 0, i32(grid.vrows) - 1)); }
    } else {
        jj = u32(j);
    }
    let k = ii + grid.nx * jj;
    var inside = work[o + grid.nfaces_u + k];
    if (flags[grid.nfaces_u + k] == 2u) {
        inside = select(0.0, -mirror, use_mirror);
    }
    if (side < 4u) {
        return tangential_ghost(side, inside);
    }
    return inside;
}

fn fetch_cell(o: u32, i: i32, j: i32) -> f32 {
    var ii: u32;
    var jj: u32;
    if (grid.periodic_x == 1u) { ii = wrap(i, grid.nx); } else { ii = u32(clamp(i, 0, i32(grid.nx) - 1)); }
    if (grid.periodic_y == 1u) { jj = wrap(j, grid.ny); } else { jj = u32(clamp(j, 0, i32(grid.ny) - 1)); }
    return work[o + ii + grid.nx * jj];
}

fn total_faces() -> u32 {
    return grid.nfaces_u + grid.nx * grid.vrows;
}

fn dt() -> f32 {
    return stats[STAT_DT] * op.dt_scale;
}

// −(u·∇)u + ν∇²u + f at face k (mac.rs `momentum`); `advect` 0 leaves out the advection.
fn momentum_at(o: u32, k: u32, advect: f32) -> f32 {
    let inv_2h = 0.5 / grid.h;
    let inv_h2 = 1.0 / (grid.h * grid.h);
    if (k < grid.nfaces_u) {
        let i = i32(k % grid.ucols);
        let j = i32(k / grid.ucols);
        let uc = work[o + k];
        let ue = fetch_u(o, i + 1, j, uc, true);
        let uw = fetch_u(o, i - 1, j, uc, true);
        let un = fetch_u(o, i, j + 1, uc, true);
        let us = fetch_u(o, i, j - 1, uc, true);
        let v_bar = 0.25 * (fetch_v(o, i - 1, j, 0.0, false) + fetch_v(o, i, j, 0.0, false)
            + fetch_v(o, i - 1, j + 1, 0.0, false) + fetch_v(o, i, j + 1, 0.0, false));
        let y = (f32(j) + 0.5) * grid.h;
        return -advect * (uc * (ue - uw) + v_bar * (un - us)) * inv_2h
            + grid.nu * (ue + uw + un + us - 4.0 * uc) * inv_h2
            + grid.force * sin(grid.force_k * y);
    }
    let kv = k - grid.nfaces_u;
    let i = i32(kv % grid.nx);
    let j = i32(kv / grid.nx);
    let vc = work[o + k];
    let ve = fetch_v(o, i + 1, j, vc, true);
    let vw = fetch_v(o, i - 1, j, vc, true);
    let vn = fetch_v(o, i, j + 1, vc, true);
    let vs = fetch_v(o, i, j - 1, vc, true);
    let u_bar = 0.25 * (fetch_u(o, i, j - 1, 0.0, false) + fetch_u(o, i + 1, j - 1, 0.0, false)
        + fetch_u(o, i, j, 0.0, false) + fetch_u(o, i + 1, j, 0.0, false));
    return -advect * (u_bar * (ve - vw) + vc * (vn - vs)) * inv_2h
        + grid.nu * (ve + vw + vn + vs - 4.0 * vc) * inv_h2;
}

// out = wa·base + wb·(from + Δt·L(from)) on free faces, from elsewhere (an SSP-RK stage;
// op.flag = 0: the diffusion and force of the semi-Lagrangian schemes only).
@compute @workgroup_size(256)
fn momentum_stage(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    if (k >= total_faces()) {
        return;
    }
    let from_value = work[op.from_off + k];
    if (flags[k] != 0u) {
        work[op.out_off + k] = from_value;
        return;
    }
    let advect = select(0.0, 1.0, op.flag == 1u);
    let euler = from_value + dt() * momentum_at(op.from_off, k, advect);
    work[op.out_off + k] = op.wa * work[op.base_off + k] + op.wb * euler;
}

// Whether cell (i, j) of the level is solid.
fn solid(i: u32, j: u32) -> bool {
    return flags[op.solid_off + i + op.lnx * j] == 1u;
}

// f = ∇·u/Δt at the fluid cells of level 0 (0 in solid ones).
@compute @workgroup_size(256)
fn divergence(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    if (k >= grid.nx * grid.ny) {
        return;
    }
    let i = k % grid.nx;
    let j = k / grid.nx;
    if (solid(i, j)) {
        cells[op.f_off + k] = 0.0;
        return;
    }
    let o = op.from_off;
    let east = select(i + 1u, 0u, i + 1u >= grid.ucols);
    let north = select(j + 1u, 0u, j + 1u >= grid.vrows);
    let div = (work[o + east + grid.ucols * j] - work[o + i + grid.ucols * j]
        + work[o + grid.nfaces_u + i + grid.nx * north] - work[o + grid.nfaces_u + k]) / grid.h;
    cells[op.f_off + k] = div / dt();
}

// The 5-point stencil at fluid cell (i, j) of the level: (neighbour sum, diagonal) with
// periodic wrap, wall ghosts (±1) and solid neighbours (mirror) folded into the diagonal.
fn stencil(o: u32, i: u32, j: u32) -> vec2<f32> {
    var sum = 0.0;
    var diag = -4.0;
    let ii = i32(i);
    let jj = i32(j);
    for (var d = 0u; d < 4u; d++) {
        var ni = ii;
        var nj = jj;
        var side = 0u;
        if (d == 0u) { ni = ii - 1; side = 0u; }
        if (d == 1u) { ni = ii + 1; side = 1u; }
        if (d == 2u) { nj = jj - 1; side = 2u; }
        if (d == 3u) { nj = jj + 1; side = 3u; }
        var outside = false;
        if (ni < 0 || ni >= i32(op.lnx)) {
            if (grid.periodic_x == 1u) { ni = i32(wrap(ni, op.lnx)); } else { outside = true; }
        }
        if (nj < 0 || nj >= i32(op.lny)) {
            if (grid.periodic_y == 1u) { nj = i32(wrap(nj, op.lny)); } else { outside = true; }
        }
        if (outside) {
            diag += grid.pressure_ghost[side];
        } else if (solid(u32(ni), u32(nj))) {
            diag += 1.0;
        } else {
            sum += cells[o + u32(ni) + op.lnx * u32(nj)];
        }
    }
    return vec2<f32>(sum, diag);
}

// One red–black Gauss–Seidel/SOR half-sweep (cells with (i + j) % 2 = colour).
@compute @workgroup_size(256)
fn relax(@builtin(global_invocation_id) gid: vec3<u32>) {
    let half = index(gid);
    let row_half = (op.lnx + 1u) / 2u;
    let j = half / row_half;
    if (j >= op.lny) {
        return;
    }
    let i = 2u * (half % row_half) + ((op.colour + j) % 2u);
    if (i >= op.lnx || solid(i, j)) {
        return;
    }
    let k = i + op.lnx * j;
    let s = stencil(op.p_off, i, j);
    let gs = (op.lh * op.lh * cells[op.f_off + k] - s.x) / s.y;
    cells[op.p_off + k] += op.omega * (gs - cells[op.p_off + k]);
}

// Jacobi: r ← the Jacobi update of p (then `copy_cells` r → p).
@compute @workgroup_size(256)
fn jacobi(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    if (k >= op.lnx * op.lny) {
        return;
    }
    let i = k % op.lnx;
    let j = k / op.lnx;
    if (solid(i, j)) {
        cells[op.r_off + k] = 0.0;
        return;
    }
    let s = stencil(op.p_off, i, j);
    cells[op.r_off + k] = (op.lh * op.lh * cells[op.f_off + k] - s.x) / s.y;
}

@compute @workgroup_size(256)
fn copy_cells(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    if (k >= op.lnx * op.lny) {
        return;
    }
    cells[op.p_off + k] = cells[op.r_off + k];
}

// r = f − ∇²p on the level (0 in solid cells).
@compute @workgroup_size(256)
fn residual(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    if (k >= op.lnx * op.lny) {
        return;
    }
    let i = k % op.lnx;
    let j = k / op.lnx;
    if (solid(i, j)) {
        cells[op.r_off + k] = 0.0;
        return;
    }
    let s = stencil(op.p_off, i, j);
    cells[op.r_off + k] = cells[op.f_off + k] - (s.x + s.y * cells[op.p_off + k]) / (op.lh * op.lh);
}

// Coarse f = mean of the four children's residuals; coarse p = 0.
@compute @workgroup_size(256)
fn restrict_residual(@builtin(global_invocation_id) gid: vec3<u32>) {
    let kc = index(gid);
    if (kc >= op.cnx * op.cny) {
        return;
    }
    let i = 2u * (kc % op.cnx);
    let j = 2u * (kc / op.cnx);
    let n = op.lnx;
    cells[op.cf_off + kc] = 0.25 * (cells[op.r_off + i + n * j] + cells[op.r_off + i + 1u + n * j]
        + cells[op.r_off + i + n * (j + 1u)] + cells[op.r_off + i + 1u + n * (j + 1u)]);
    cells[op.cp_off + kc] = 0.0;
}

// The coarse correction at coarse (a, b) seen from parent (ic, jc): periodic wrap, wall ghost
// (factor × the clamped value), a solid coarse neighbour gives the parent's value.
fn coarse_value(a: i32, b: i32, parent: f32) -> f32 {
    var ia = a;
    var jb = b;
    var factor = 1.0;
    var inside = true;
    if (ia < 0 || ia >= i32(op.cnx)) {
        if (grid.periodic_x == 1u) {
            ia = i32(wrap(ia, op.cnx));
        } else {
            factor *= grid.pressure_ghost[select(1u, 0u, ia < 0)];
            ia = clamp(ia, 0, i32(op.cnx) - 1);
            inside = false;
        }
    }
    if (jb < 0 || jb >= i32(op.cny)) {
        if (grid.periodic_y == 1u) {
            jb = i32(wrap(jb, op.cny));
        } else {
            factor *= grid.pressure_ghost[select(3u, 2u, jb < 0)];
            jb = clamp(jb, 0, i32(op.cny) - 1);
            inside = false;
        }
    }
    let k = u32(ia) + op.cnx * u32(jb);
    if (inside && flags[op.csolid_off + k] == 1u) {
        return parent;
    }
    return factor * cells[op.cp_off + k];
}

// Bilinear prolongation (9, 3, 3, 1)/16 of the coarse correction, added to p.
@compute @workgroup_size(256)
fn prolong(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    if (k >= op.lnx * op.lny) {
        return;
    }
    let i = k % op.lnx;
    let j = k / op.lnx;
    if (solid(i, j)) {
        return;
    }
    let ic = i32(i / 2u);
    let jc = i32(j / 2u);
    let si = select(1, -1, i % 2u == 0u);
    let sj = select(1, -1, j % 2u == 0u);
    let parent = cells[op.cp_off + u32(ic) + op.cnx * u32(jc)];
    let e = (9.0 * parent + 3.0 * coarse_value(ic + si, jc, parent)
        + 3.0 * coarse_value(ic, jc + sj, parent) + coarse_value(ic + si, jc + sj, parent)) / 16.0;
    cells[op.p_off + k] += e;
}

// Single-workgroup sums over the level's fluid cells: Σ f (→ STAT_MEAN as the mean) when
// op.flag = 0; Σ r², Σ f² (→ STAT_RES as ‖r‖/‖f‖) when op.flag = 1.
@compute @workgroup_size(256)
fn reduce_cells(@builtin(local_invocation_id) lid: vec3<u32>) {
    let t = lid.x;
    let n = op.lnx * op.lny;
    var a = 0.0;
    var b = 0.0;
    var c = 0.0;
    for (var k = t; k < n; k += WG) {
        if (flags[op.solid_off + k] == 1u) {
            continue;
        }
        if (op.flag == 0u) {
            a += cells[op.f_off + k];
            b += 1.0;
        } else {
            let r = cells[op.r_off + k];
            let f = cells[op.f_off + k];
            a += r * r;
            b += f * f;
        }
    }
    shared_a[t] = a;
    shared_b[t] = b;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s /= 2u) {
        if (t < s) {
            shared_a[t] += shared_a[t + s];
            shared_b[t] += shared_b[t + s];
        }
        workgroupBarrier();
    }
    if (t == 0u) {
        if (op.flag == 0u) {
            stats[STAT_MEAN] = shared_a[0] / max(shared_b[0], 1.0);
        } else {
            stats[STAT_RES] = select(sqrt(shared_a[0]), sqrt(shared_a[0] / shared_b[0]), shared_b[0] > 0.0);
        }
    }
}

// f −= mean over the fluid cells (singular problems need a zero-mean right-hand side).
@compute @workgroup_size(256)
fn subtract_mean(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    if (k >= op.lnx * op.lny || flags[op.solid_off + k] == 1u) {
        return;
    }
    cells[op.f_off + k] -= stats[STAT_MEAN];
}

// The FFT solver (periodic, no obstacles; poisson.rs `solve_fft`): f → the complex grid.
@compute @workgroup_size(256)
fn fft_pack(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    if (k >= op.lnx * op.lny) {
        return;
    }
    fft_grid[k] = vec2<f32>(cells[op.f_off + k], 0.0);
}

// Divides mode (k, l) by the 5-point Laplacian's eigenvalue −4(sin²(πk/nx) + sin²(πl/ny))/h²
// (the same as (2cos + 2cos − 4)/h², written without the cancellation of 2cos θ − 2 that
// costs f32 three digits at small θ), with the 1/(nx·ny) of the inverse; the mean mode is 0.
@compute @workgroup_size(256)
fn fft_divide(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    let n = op.lnx * op.lny;
    if (k >= n) {
        return;
    }
    let pi = 3.14159265358979;
    let sx = sin(pi * f32(k % op.lnx) / f32(op.lnx));
    let sy = sin(pi * f32(k / op.lnx) / f32(op.lny));
    let eigenvalue = -4.0 * (sx * sx + sy * sy) / (op.lh * op.lh);
    if (k == 0u) {
        fft_spectrum[k] = vec2<f32>(0.0);
    } else {
        fft_spectrum[k] = fft_spectrum[k] / (eigenvalue * f32(n));
    }
}

// The inverse transform's real part → p.
@compute @workgroup_size(256)
fn fft_unpack(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    if (k >= op.lnx * op.lny) {
        return;
    }
    cells[op.p_off + k] = fft_grid[k].x;
}

fn pressure_at(i: i32, j: i32) -> f32 {
    var ii = i;
    var jj = j;
    var factor = 1.0;
    if (ii < 0 || ii >= i32(grid.nx)) {
        if (grid.periodic_x == 1u) {
            ii = i32(wrap(ii, grid.nx));
        } else {
            factor *= grid.pressure_ghost[select(1u, 0u, ii < 0)];
            ii = clamp(ii, 0, i32(grid.nx) - 1);
        }
    }
    if (jj < 0 || jj >= i32(grid.ny)) {
        if (grid.periodic_y == 1u) {
            jj = i32(wrap(jj, grid.ny));
        } else {
            factor *= grid.pressure_ghost[select(3u, 2u, jj < 0)];
            jj = clamp(jj, 0, i32(grid.ny) - 1);
        }
    }
    return factor * cells[op.p_off + u32(ii) + grid.nx * u32(jj)];
}

// u −= Δt ∇p on the free faces of the field at op.out_off.
@compute @workgroup_size(256)
fn project(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    if (k >= total_faces() || flags[k] != 0u) {
        return;
    }
    let scale = dt() / grid.h;
    if (k < grid.nfaces_u) {
        let i = i32(k % grid.ucols);
        let j = i32(k / grid.ucols);
        work[op.out_off + k] -= scale * (pressure_at(i, j) - pressure_at(i - 1, j));
    } else {
        let kv = k - grid.nfaces_u;
        let i = i32(kv % grid.nx);
        let j = i32(kv / grid.nx);
        work[op.out_off + k] -= scale * (pressure_at(i, j) - pressure_at(i, j - 1));
    }
}

// Bilinear interpolation of the lattice field at `o` (op.lattice: 0 u, 1 v, 2 cells) at
// (x, y): (value, min, max) of the four values (mac.rs `interpolate`).
fn interpolate(lattice: u32, o: u32, px: f32, py: f32) -> vec3<f32> {
    let width = f32(grid.nx) * grid.h;
    let height = f32(grid.ny) * grid.h;
    var x = px;
    var y = py;
    if (grid.periodic_x == 0u) { x = clamp(x, 0.0, width); }
    if (grid.periodic_y == 0u) { y = clamp(y, 0.0, height); }
    var ox = 0.5;
    var oy = 0.5;
    if (lattice == 0u) { ox = 0.0; }
    if (lattice == 1u) { oy = 0.0; }
    let fx = x / grid.h - ox;
    let fy = y / grid.h - oy;
    let i0 = i32(floor(fx));
    let j0 = i32(floor(fy));
    let tx = fx - f32(i0);
    let ty = fy - f32(j0);
    var a: f32;
    var b: f32;
    var c: f32;
    var d: f32;
    if (lattice == 0u) {
        a = fetch_u(o, i0, j0, 0.0, false);
        b = fetch_u(o, i0 + 1, j0, 0.0, false);
        c = fetch_u(o, i0, j0 + 1, 0.0, false);
        d = fetch_u(o, i0 + 1, j0 + 1, 0.0, false);
    } else if (lattice == 1u) {
        a = fetch_v(o, i0, j0, 0.0, false);
        b = fetch_v(o, i0 + 1, j0, 0.0, false);
        c = fetch_v(o, i0, j0 + 1, 0.0, false);
        d = fetch_v(o, i0 + 1, j0 + 1, 0.0, false);
    } else {
        a = fetch_cell(o, i0, j0);
        b = fetch_cell(o, i0 + 1, j0);
        c = fetch_cell(o, i0, j0 + 1);
        d = fetch_cell(o, i0 + 1, j0 + 1);
    }
    let v = (1.0 - ty) * ((1.0 - tx) * a + tx * b) + ty * ((1.0 - tx) * c + tx * d);
    return vec3<f32>(v, min(min(a, b), min(c, d)), max(max(a, b), max(c, d)));
}

fn velocity_at(o: u32, x: f32, y: f32) -> vec2<f32> {
    return vec2<f32>(interpolate(0u, o, x, y).x, interpolate(1u, o, x, y).x);
}

// The point of lattice element k and whether it is advected (free face, fluid cell).
fn lattice_point(lattice: u32, k: u32) -> vec3<f32> {
    var i: u32;
    var j: u32;
    var ox = 0.5;
    var oy = 0.5;
    var is_active = true;
    if (lattice == 0u) {
        i = k % grid.ucols;
        j = k / grid.ucols;
        ox = 0.0;
        is_active = flags[k] == 0u;
    } else if (lattice == 1u) {
        i = k % grid.nx;
        j = k / grid.nx;
        oy = 0.0;
        is_active = flags[grid.nfaces_u + k] == 0u;
    } else {
        i = k % grid.nx;
        j = k / grid.nx;
        is_active = flags[op.solid_off + k] == 0u;
    }
    return vec3<f32>((f32(i) + ox) * grid.h, (f32(j) + oy) * grid.h, select(0.0, 1.0, is_active));
}

fn lattice_len(lattice: u32) -> u32 {
    if (lattice == 0u) { return grid.nfaces_u; }
    if (lattice == 1u) { return grid.nx * grid.vrows; }
    return grid.nx * grid.ny;
}

// Offset of the lattice inside a velocity field (v after u); cells: 0.
fn lattice_shift(lattice: u32) -> u32 {
    return select(0u, grid.nfaces_u, lattice == 1u);
}

// The foot of the characteristic through (x, y) over Δt (midpoint back-trace, Stam 1999),
// tracing with the velocity at op.aux_off.
fn foot(x: f32, y: f32, step: f32) -> vec2<f32> {
    let v0 = velocity_at(op.aux_off, x, y);
    let vm = velocity_at(op.aux_off, x - 0.5 * step * v0.x, y - 0.5 * step * v0.y);
    return vec2<f32>(x - step * vm.x, y - step * vm.y);
}

// One semi-Lagrangian pass: out ← from at the foot (Δt·op.wa: +1 forward, −1 backward).
// op.flag = 1 clamps to the four values interpolated (the limited last pass of BFECC).
@compute @workgroup_size(256)
fn advect(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    let lattice = op.lattice;
    if (k >= lattice_len(lattice)) {
        return;
    }
    let s = lattice_shift(lattice);
    let p = lattice_point(lattice, k);
    if (p.z == 0.0) {
        work[op.out_off + s + k] = work[op.from_off + s + k];
        return;
    }
    let f = foot(p.x, p.y, dt() * op.wa);
    let v = interpolate(lattice, op.from_off, f.x, f.y);
    work[op.out_off + s + k] = select(v.x, clamp(v.x, v.y, v.z), op.flag == 1u);
}

// MacCormack (Selle et al. 2008): out ← φ̂ + ½(φ − φ̃), clamped to the four values of the
// forward interpolation. from: φ, base: φ̂ (forward), aux: the tracing velocity, out_off:
// holds φ̃ (backward) on entry and the result on exit.
@compute @workgroup_size(256)
fn maccormack(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    let lattice = op.lattice;
    if (k >= lattice_len(lattice)) {
        return;
    }
    let s = lattice_shift(lattice);
    let p = lattice_point(lattice, k);
    if (p.z == 0.0) {
        work[op.out_off + s + k] = work[op.from_off + s + k];
        return;
    }
    let f = foot(p.x, p.y, dt());
    let bounds = interpolate(lattice, op.from_off, f.x, f.y);
    let corrected = work[op.base_off + s + k] + 0.5 * (work[op.from_off + s + k] - work[op.out_off + s + k]);
    work[op.out_off + s + k] = clamp(corrected, bounds.y, bounds.z);
}

// BFECC's correction: out ← φ + ½(φ − φ̃) on is_active points (from: φ, base: φ̃).
@compute @workgroup_size(256)
fn bfecc_correct(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    let lattice = op.lattice;
    if (k >= lattice_len(lattice)) {
        return;
    }
    let s = lattice_shift(lattice);
    let phi = work[op.from_off + s + k];
    let p = lattice_point(lattice, k);
    work[op.out_off + s + k] = select(phi, phi + 0.5 * (phi - work[op.base_off + s + k]), p.z == 1.0);
}

// Copies op.count values of work from from_off to out_off.
@compute @workgroup_size(256)
fn copy_work(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    if (k < op.count) {
        work[op.out_off + k] = work[op.from_off + k];
    }
}

// Δt from the CFL number and the diffusion limit (mac.rs `step_limits`): single workgroup.
@compute @workgroup_size(256)
fn cfl_dt(@builtin(local_invocation_id) lid: vec3<u32>) {
    let t = lid.x;
    var mu = 0.0;
    var mv = 0.0;
    for (var k = t; k < grid.nfaces_u; k += WG) {
        mu = max(mu, abs(work[op.from_off + k]));
    }
    for (var k = grid.nfaces_u + t; k < total_faces(); k += WG) {
        mv = max(mv, abs(work[op.from_off + k]));
    }
    shared_a[t] = mu;
    shared_b[t] = mv;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s /= 2u) {
        if (t < s) {
            shared_a[t] = max(shared_a[t], shared_a[t + s]);
            shared_b[t] = max(shared_b[t], shared_b[t + s]);
        }
        workgroupBarrier();
    }
    if (t == 0u) {
        var speed = max(shared_a[0] + shared_b[0], grid.boundary_speed) + sqrt(5.0 * grid.h * grid.max_force);
        if (speed <= 0.0) {
            speed = 1.0;
        }
        let advective = grid.cfl * grid.h / speed;
        var step = advective;
        if (grid.nu > 0.0) {
            step = min(step, grid.beta * grid.h * grid.h / grid.nu);
        }
        stats[STAT_DT] = step;
        stats[STAT_CFL] = grid.cfl * step / advective;
    }
}

// ω = ∂v/∂x − ∂u/∂y at node (i, j) of the field at `o` (mac.rs `vorticity_at_nodes`).
fn node_vorticity(o: u32, i: i32, j: i32) -> f32 {
    return (fetch_v(o, i, j, 0.0, false) - fetch_v(o, i - 1, j, 0.0, false)
        - fetch_u(o, i, j, 0.0, false) + fetch_u(o, i, j - 1, 0.0, false)) / grid.h;
}

// The views (run.rs `NsRun::field`, app/navier_stokes.rs `picture`): op.flag picks the field
// (0 vorticity, 1 speed, 2 pressure, 3 dye) of the velocity at op.from_off, the pressure at
// op.p_off and the dye at op.aux_off; the values go to cells[op.out_off ..], where the
// shared painter (shaders/field_view.wgsl) colours them.
@compute @workgroup_size(256)
fn view_field(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = index(gid);
    if (k >= grid.nx * grid.ny) {
        return;
    }
    let i = k % grid.nx;
    let j = k / grid.nx;
    var value = 0.0;
    if (op.flag == 0u) {
        // The mean of the cell's four corner nodes (wrapping on periodic axes).
        let a = i32((i + 1u) % grid.ucols);
        let b = i32((j + 1u) % grid.vrows);
        value = 0.25 * (node_vorticity(op.from_off, i32(i), i32(j)) + node_vorticity(op.from_off, a, i32(j))
            + node_vorticity(op.from_off, i32(i), b) + node_vorticity(op.from_off, a, b));
    } else if (op.flag == 1u) {
        value = length(velocity_at(op.from_off, (f32(i) + 0.5) * grid.h, (f32(j) + 0.5) * grid.h));
    } else if (op.flag == 2u) {
        value = cells[op.p_off + k];
    } else {
        value = work[op.aux_off + k];
    }
    cells[op.out_off + k] = value;
}

// End of a step: t += Δt, and one history row (t, Δt, CFL, energy, enstrophy, max|∇·u|,
// last relative residual, step) from single-workgroup reductions over the field at from_off.
@compute @workgroup_size(256)
fn finish_step(@builtin(local_invocation_id) lid: vec3<u32>) {
    let t = lid.x;
    let o = op.from_off;
    var energy = 0.0;
    var enstrophy = 0.0;
    var max_div = 0.0;
    let bx = grid.periodic_x == 0u;
    let by = grid.periodic_y == 0u;
    for (var k = t; k < grid.nfaces_u; k += WG) {
        let i = k % grid.ucols;
        let w = select(1.0, 0.5, bx && (i == 0u || i + 1u == grid.ucols));
        energy += w * work[o + k] * work[o + k];
    }
    for (var k = t; k < grid.nx * grid.vrows; k += WG) {
        let j = k / grid.nx;
        let w = select(1.0, 0.5, by && (j == 0u || j + 1u == grid.vrows));
        let v = work[o + grid.nfaces_u + k];
        energy += w * v * v;
    }
    // Vorticity at the nodes (ucols × vrows), trapezoidal weights.
    for (var k = t; k < grid.ucols * grid.vrows; k += WG) {
        let i = i32(k % grid.ucols);
        let j = i32(k / grid.ucols);
        let omega = node_vorticity(o, i, j);
        var w = 1.0;
        if (bx && (i == 0 || u32(i) + 1u == grid.ucols)) { w *= 0.5; }
        if (by && (j == 0 || u32(j) + 1u == grid.vrows)) { w *= 0.5; }
        enstrophy += w * omega * omega;
    }
    for (var k = t; k < grid.nx * grid.ny; k += WG) {
        if (flags[op.solid_off + k] == 1u) {
            continue;
        }
        let i = k % grid.nx;
        let j = k / grid.nx;
        let east = select(i + 1u, 0u, i + 1u >= grid.ucols);
        let north = select(j + 1u, 0u, j + 1u >= grid.vrows);
        let div = (work[o + east + grid.ucols * j] - work[o + i + grid.ucols * j]
            + work[o + grid.nfaces_u + i + grid.nx * north] - work[o + grid.nfaces_u + k]) / grid.h;
        max_div = max(max_div, abs(div));
    }
    shared_a[t] = energy;
    shared_b[t] = enstrophy;
    shared_c[t] = max_div;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s /= 2u) {
        if (t < s) {
            shared_a[t] += shared_a[t + s];
            shared_b[t] += shared_b[t + s];
            shared_c[t] = max(shared_c[t], shared_c[t + s]);
        }
        workgroupBarrier();
    }
    if (t == 0u) {
        let h2 = grid.h * grid.h;
        stats[STAT_T] += stats[STAT_DT];
        let step = u32(stats[STAT_STEP]);
        stats[STAT_STEP] = f32(step + 1u);
        let row = STAT_HISTORY + (step % grid.history_capacity) * HISTORY_WIDTH;
        stats[row] = stats[STAT_T];
        stats[row + 1u] = stats[STAT_DT];
        stats[row + 2u] = stats[STAT_CFL];
        stats[row + 3u] = 0.5 * h2 * shared_a[0];
        stats[row + 4u] = 0.5 * h2 * shared_b[0];
        stats[row + 5u] = shared_c[0];
        stats[row + 6u] = stats[STAT_RES];
        stats[row + 7u] = f32(step + 1u);
    }
}

// The grid every Navier–Stokes MAC kernel shares (the preamble of ns_*.wgsl): the data
// contract, constants, bindings and the indexing and ghost-value helpers. The GPU path of
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

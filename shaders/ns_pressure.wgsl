// requires: ns_grid.wgsl
// Navier–Stokes MAC: the pressure projection: the divergence, the Poisson solvers (Jacobi,
// SOR, multigrid, FFT) and the velocity correction (src/sims/navier_stokes/poisson.rs).

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

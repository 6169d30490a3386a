// requires: ns_grid.wgsl, ns_advection.wgsl
// Navier–Stokes MAC: the step size from the CFL number, the field views and the end-of-step
// history row.

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

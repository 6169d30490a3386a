// requires: ns_grid.wgsl
// Navier–Stokes MAC: the momentum right-hand side and the Runge–Kutta stages of the
// velocity (advection and diffusion, src/sims/navier_stokes/mac.rs).

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

// requires: ns_grid.wgsl
// Navier–Stokes MAC: semi-Lagrangian transport of velocity and dye (plain, MacCormack,
// BFECC) on the face and cell lattices (src/sims/navier_stokes/mac.rs).

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

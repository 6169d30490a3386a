// requires: workgroup_reduce.wgsl
// Parallel reductions of a complex field, results left on the GPU.
//
// Data contract
//   values:   complex f32 (vec2), `params.len` of them.
//   partials: one vec4 per workgroup: (Σ|z|², max|z|², Σ Re z, Σ Im z) over its slice.
//   reduce_field    dispatch (ceil(len / (WORKGROUP_SIZE·ITEMS)), 1, 1): field → partials.
//   reduce_partials dispatch (ceil(len / (WORKGROUP_SIZE·ITEMS)), 1, 1) on the partials until
//                   one remains: partials_in → partials_out.
// Sums are pairwise (tree) sums, so the f32 rounding error grows like log2(len), not len.

struct Params {
    len: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

const WORKGROUP_SIZE: u32 = 256u;
// Elements each invocation folds sequentially before the tree (keeps the tree small).
const ITEMS: u32 = 4u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> partials_in: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> partials_out: array<vec4<f32>>;

// (sum, max, sum, sum) combination (the lane argument of workgroup_reduce.wgsl is unused).
fn combine(a: vec4<f32>, b: vec4<f32>, lane: u32) -> vec4<f32> {
    return vec4<f32>(a.x + b.x, max(a.y, b.y), a.z + b.z, a.w + b.w);
}

// This workgroup's combination of `mine` into partials_out[group].
fn write_partial(local: u32, group: u32, mine: vec4<f32>) {
    let total = workgroup_reduce(local, mine, 0u);
    if (local == 0u) {
        partials_out[group] = total;
    }
}

@compute @workgroup_size(256)
fn reduce_field(@builtin(local_invocation_id) local_id: vec3<u32>, @builtin(workgroup_id) group_id: vec3<u32>) {
    let start = group_id.x * WORKGROUP_SIZE * ITEMS + local_id.x;
    var acc = vec4<f32>(0.0);
    for (var k = 0u; k < ITEMS; k++) {
        let i = start + k * WORKGROUP_SIZE;
        if (i < params.len) {
            let z = values[i];
            let p = dot(z, z);
            acc = combine(acc, vec4<f32>(p, p, z.x, z.y), 0u);
        }
    }
    write_partial(local_id.x, group_id.x, acc);
}

@compute @workgroup_size(256)
fn reduce_partials(@builtin(local_invocation_id) local_id: vec3<u32>, @builtin(workgroup_id) group_id: vec3<u32>) {
    let start = group_id.x * WORKGROUP_SIZE * ITEMS + local_id.x;
    var acc = vec4<f32>(0.0);
    for (var k = 0u; k < ITEMS; k++) {
        let i = start + k * WORKGROUP_SIZE;
        if (i < params.len) {
            acc = combine(acc, partials_in[i], 0u);
        }
    }
    write_partial(local_id.x, group_id.x, acc);
}

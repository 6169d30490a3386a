// snippet: the including shader defines WORKGROUP_SIZE and combine(a, b, lane)
// A pairwise (tree) reduction over one workgroup, shared by the reductions of
// src/gpu/reduce.rs and the NLSE's diagnostics (`// requires: workgroup_reduce.wgsl`).
// Pairwise sums keep the f32 rounding error growing like log2 of the count, not the count.

var<workgroup> tree: array<vec4<f32>, WORKGROUP_SIZE>;

// Combines `value` of every invocation with `combine`; the result is valid in invocation 0.
// Must be called in uniform control flow.
fn workgroup_reduce(local: u32, value: vec4<f32>, lane: u32) -> vec4<f32> {
    tree[local] = value;
    workgroupBarrier();
    for (var width = WORKGROUP_SIZE / 2u; width > 0u; width /= 2u) {
        if (local < width) {
            tree[local] = combine(tree[local], tree[local + width], lane);
        }
        workgroupBarrier();
    }
    return tree[0];
}

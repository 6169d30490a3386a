// requires: ns_grid.wgsl, ns_momentum.wgsl, ns_pressure.wgsl, ns_advection.wgsl, ns_diagnostics.wgsl
// 2D incompressible Navier–Stokes on the MAC grid, in f32: one module of every MAC kernel,
// assembled from its parts by the shader registry (src/gpu/shaders.rs). ns_grid.wgsl holds
// the data contract.

// Complex arithmetic on vec2<f32> (re, im), shared by the FFT, NLSE and spectral
// Navier–Stokes kernels (`// requires: complex.wgsl`).

fn complex_mul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
    return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

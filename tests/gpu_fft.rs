//! The WGSL FFT on a real adapter (lavapipe in CI) against an O(N²) DFT in f64 and rustfft.
//! In CI (CI=true) a missing adapter fails the test instead of skipping it.

mod common;

use rustfft::FftPlanner;
use rustfft::num_complex::{Complex32, Complex64};
use stepscope::gpu::GpuContext;
use stepscope::gpu::fft::{Direction, GpuFft, GpuFft2};
use stepscope::gpu::wgpu;

/// Deterministic test signal with energy at every frequency.
fn signal(len: usize, seed: u64) -> Vec<Complex32> {
    let mut rng = stepscope::core::rng::SeededRng::new(seed);
    (0..len)
        .map(|_| Complex32::new(rng.normal() as f32, rng.normal() as f32))
        .collect()
}

/// The naive DFT in f64: the independent truth.
fn naive_dft(x: &[Complex32], sign: f64) -> Vec<Complex64> {
    let n = x.len();
    (0..n)
        .map(|k| {
            (0..n)
                .map(|j| {
                    let angle = sign * std::f64::consts::TAU * ((j * k) % n) as f64 / n as f64;
                    Complex64::new(f64::from(x[j].re), f64::from(x[j].im))
                        * Complex64::from_polar(1.0, angle)
                })
                .sum()
        })
        .collect()
}

/// (re, im) pairs in one vector, the layout of the NLSE runs' state vectors.
fn interleaved(z: &[Complex64]) -> Vec<f64> {
    z.iter().flat_map(|z| [z.re, z.im]).collect()
}

fn widened(z: &[Complex32]) -> Vec<Complex64> {
    z.iter()
        .map(|z| Complex64::new(f64::from(z.re), f64::from(z.im)))
        .collect()
}

/// max |gpu − reference| / max |reference|.
fn relative_error(gpu: &[Complex32], reference: &[Complex64]) -> f64 {
    let scale = reference.iter().map(|z| z.norm()).fold(0.0, f64::max);
    gpu.iter()
        .zip(reference)
        .map(|(g, r)| (Complex64::new(f64::from(g.re), f64::from(g.im)) - r).norm())
        .fold(0.0, f64::max)
        / scale
}

/// Transforms `batch` random rows of size N = 2^log2n both ways on the GPU and checks every
/// row against rustfft in f64 (and, for N ≤ 256, the naive DFT) within f32 tolerance:
/// the error of an f32 FFT grows like ε·log2 N (ε = 6e-8), bound 4e-7·log2 N.
fn check_against_references(
    ctx: &GpuContext,
    planner: &mut FftPlanner<f64>,
    log2n: u32,
    batch: usize,
) {
    let n = 1usize << log2n;
    let fft = GpuFft::new(ctx, n).expect("valid size");
    assert_eq!(fft.passes(), if n <= 2048 { 1 } else { 2 });
    let bound = 4e-7 * f64::from(log2n.max(1));
    for direction in [Direction::Forward, Direction::Inverse] {
        let input = signal(n * batch, u64::from(log2n));
        let mut gpu = input.clone();
        fft.transform_blocking(ctx, &mut gpu, direction)
            .expect("GPU transform");
        let (sign, plan) = match direction {
            Direction::Forward => (-1.0, planner.plan_fft_forward(n)),
            Direction::Inverse => (1.0, planner.plan_fft_inverse(n)),
        };
        for row in 0..batch {
            let rows = row * n..(row + 1) * n;
            let mut rust: Vec<Complex64> = input[rows.clone()]
                .iter()
                .map(|z| Complex64::new(f64::from(z.re), f64::from(z.im)))
                .collect();
            plan.process(&mut rust);
            let err = relative_error(&gpu[rows.clone()], &rust);
            eprintln!("N={n} {direction:?} row {row}: relative error vs rustfft {err:.2e}");
            assert!(
                err < bound,
                "N={n} {direction:?} row {row}: {err:.2e} ≥ {bound:.1e}"
            );
            // The runs' parity measure too (relative L2, below the max-norm bound).
            common::assert_vectors_agree(
                &interleaved(&rust),
                &interleaved(&widened(&gpu[rows.clone()])),
                bound,
                &format!("N={n} {direction:?} row {row}"),
            );
            if n <= 256 {
                let err_dft = relative_error(&gpu[rows.clone()], &naive_dft(&input[rows], sign));
                assert!(
                    err_dft < bound,
                    "N={n} {direction:?}: error vs naive DFT {err_dft:.2e}"
                );
            }
        }
    }
}

#[test]
fn one_pass_fft_matches_the_naive_dft_and_rustfft_batched() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let mut planner = FftPlanner::<f64>::new();
    for log2n in 1..=11 {
        check_against_references(&ctx, &mut planner, log2n, 3);
    }
}

#[test]
fn two_pass_four_step_fft_matches_rustfft_up_to_65536_and_batched() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let mut planner = FftPlanner::<f64>::new();
    for log2n in 12..=16 {
        check_against_references(&ctx, &mut planner, log2n, if log2n <= 13 { 3 } else { 1 });
    }
}

#[test]
fn forward_then_inverse_is_n_times_identity() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let n = 2048;
    let fft = GpuFft::new(&ctx, n).expect("valid size");
    let input = signal(n * 2, 7);
    let mut data = input.clone();
    fft.transform_blocking(&ctx, &mut data, Direction::Forward)
        .expect("forward");
    fft.transform_blocking(&ctx, &mut data, Direction::Inverse)
        .expect("inverse");
    let worst = data
        .iter()
        .zip(&input)
        .map(|(d, x)| ((d / n as f32) - x).norm())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "round trip error {worst:e}");
}

#[test]
fn unsupported_sizes_are_refused_with_a_message() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    for n in [0, 1, 3, 3000, (1 << 22) * 2] {
        let err = GpuFft::new(&ctx, n).err().expect("must be refused");
        assert!(err.contains("power of two"), "{err}");
    }
}

/// The 2D transform (rows, then columns by the strided kernel) of rectangular grids against
/// rustfft in f64 applied along x then y, both directions, then the round trip.
#[test]
fn two_dimensional_fft_matches_rustfft_rows_then_columns() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let mut planner = FftPlanner::<f64>::new();
    for (nx, ny) in [(16usize, 8usize), (64, 64), (32, 128)] {
        let fft = GpuFft2::new(&ctx, nx, ny).expect("valid sides");
        let input = signal(nx * ny, (nx + ny) as u64);
        let flat: Vec<[f32; 2]> = input.iter().map(|z| [z.re, z.im]).collect();
        let usage = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST;
        let grid = ctx.buffer_with("grid", &flat, usage);
        let spectrum = ctx.buffer("spectrum", (flat.len() * 8) as u64, usage);
        let read = |b: &wgpu::Buffer| -> Vec<Complex32> {
            let bytes = ctx.read_blocking(b, 0, b.size()).expect("reads");
            bytemuck::cast_slice::<u8, [f32; 2]>(&bytes)
                .iter()
                .map(|v| Complex32::new(v[0], v[1]))
                .collect()
        };
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        fft.bind_forward(&ctx, &grid, &spectrum)
            .encode(&mut encoder);
        ctx.queue.submit([encoder.finish()]);
        let gpu_spectrum = read(&spectrum);

        // The reference: f64 rows, then columns.
        let mut reference: Vec<Complex64> = input
            .iter()
            .map(|z| Complex64::new(f64::from(z.re), f64::from(z.im)))
            .collect();
        let (row_plan, column_plan) = (planner.plan_fft_forward(nx), planner.plan_fft_forward(ny));
        for row in reference.chunks_exact_mut(nx) {
            row_plan.process(row);
        }
        let mut column = vec![Complex64::default(); ny];
        for i in 0..nx {
            for j in 0..ny {
                column[j] = reference[i + nx * j];
            }
            column_plan.process(&mut column);
            for j in 0..ny {
                reference[i + nx * j] = column[j];
            }
        }
        let error = relative_error(&gpu_spectrum, &reference);
        let bound = 1e-7 * f64::from((nx * ny).trailing_zeros());
        println!("2D FFT {nx} × {ny}: max relative error {error:.2e} (bound {bound:.1e})");
        assert!(error < bound, "{nx} × {ny}: {error:e}");

        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        fft.bind_inverse(&ctx, &spectrum, &grid)
            .encode(&mut encoder);
        ctx.queue.submit([encoder.finish()]);
        let scale = (nx * ny) as f32;
        let worst = read(&grid)
            .iter()
            .zip(&input)
            .map(|(d, x)| (d / scale - x).norm())
            .fold(0.0f32, f32::max);
        assert!(worst < 2e-6, "{nx} × {ny} round trip {worst:e}");
    }
    for (nx, ny) in [(12, 8), (8, 4096), (0, 4)] {
        let err = GpuFft2::new(&ctx, nx, ny).err().expect("refused");
        assert!(err.contains("powers of two"), "{err}");
    }
}

//! GPU reductions on a real adapter (lavapipe in CI) against f64 sums on the CPU.

mod common;

use rustfft::num_complex::Complex32;
use stepscope::gpu::reduce::GpuReduce;

#[test]
fn reductions_match_f64_sums_for_every_size() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let reduce = GpuReduce::new(&ctx, 1 << 20);
    let mut rng = stepscope::core::rng::SeededRng::new(3);
    // Sizes around the workgroup and partial boundaries, up to 2^20.
    for len in [1usize, 7, 1023, 1024, 1025, 4096, 65536, 100_003, 1 << 20] {
        let values: Vec<Complex32> = (0..len)
            .map(|_| Complex32::new(rng.normal() as f32, rng.normal() as f32))
            .collect();
        let gpu = reduce
            .reduce_blocking(&ctx, &values)
            .expect("GPU reduction");
        let sum_abs2: f64 = values.iter().map(|z| f64::from(z.norm_sqr())).sum();
        let max_abs2 = values.iter().map(|z| z.norm_sqr()).fold(0.0f32, f32::max);
        let sum_re: f64 = values.iter().map(|z| f64::from(z.re)).sum();
        let sum_im: f64 = values.iter().map(|z| f64::from(z.im)).sum();
        // Pairwise f32 sums: relative error ~ ε·log2(len).
        common::assert_vectors_agree(
            &[sum_abs2],
            &[f64::from(gpu.sum_abs2)],
            2e-6,
            &format!("len {len}: Σ|z|²"),
        );
        assert_eq!(gpu.max_abs2, max_abs2, "len {len}: max is exact");
        // Σz has cancellation: compare against the scale Σ|z|.
        let scale: f64 = values.iter().map(|z| f64::from(z.norm())).sum();
        assert!(
            (f64::from(gpu.sum.re) - sum_re).abs() / scale < 2e-6,
            "len {len}: Σ Re z"
        );
        assert!(
            (f64::from(gpu.sum.im) - sum_im).abs() / scale < 2e-6,
            "len {len}: Σ Im z"
        );
    }
}

#[test]
fn reduction_results_come_back_asynchronously_without_blocking() {
    use stepscope::gpu::readback::Readback;
    use stepscope::gpu::wgpu;
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let len = 65536;
    let reduce = GpuReduce::new(&ctx, len);
    let values: Vec<[f32; 2]> = (0..len).map(|i| [(i as f32 * 0.01).cos(), 0.5]).collect();
    let data = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("field"),
        size: (len * 8) as u64,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    ctx.queue
        .write_buffer(&data, 0, bytemuck::cast_slice(&values));
    let readback = Readback::new(&ctx, 16, "norms readback");
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("frame 1"),
        });
    let result = reduce.encode(&ctx, &mut encoder, &data, len as u32);
    assert!(readback.request(&mut encoder, result, 0));
    ctx.queue.submit([encoder.finish()]);
    readback.submitted();
    // A second request while the first is in flight is skipped, not queued.
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("frame 2"),
        });
    assert!(!readback.request(&mut encoder, result, 0));
    ctx.queue.submit([encoder.finish()]);
    // "Frames" poll without waiting until the bytes land.
    let mut bytes = None;
    for _ in 0..10_000 {
        if let Some(b) = readback.try_take(&ctx).expect("readback") {
            bytes = Some(b);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let bytes = bytes.expect("the readback must land");
    let v: &[f32] = bytemuck::cast_slice(&bytes);
    let expected: f64 = values
        .iter()
        .map(|z| f64::from(z[0] * z[0] + z[1] * z[1]))
        .sum();
    assert!(
        (f64::from(v[0]) - expected).abs() / expected < 2e-6,
        "{} vs {expected}",
        v[0]
    );
    assert!(!readback.in_flight());
}

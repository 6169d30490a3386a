//! GPU layer benchmark (`cargo bench --bench gpu`): the batched WGSL FFT and the reductions on
//! whatever adapter runs them (named in the output; lavapipe on this project's machines),
//! with the dispatches and global-memory passes of each.

use super::Scale;
use std::time::Instant;

use crate::gpu::GpuContext;
use crate::gpu::fft::{Direction, GpuFft};
use crate::gpu::reduce::GpuReduce;
use crate::gpu::wgpu;

fn storage(ctx: &GpuContext, len: usize, label: &str) -> wgpu::Buffer {
    let data: Vec<[f32; 2]> = (0..len).map(|i| [(i as f32 * 0.37).sin(), 0.25]).collect();
    let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (len * 8) as u64,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    ctx.queue
        .write_buffer(&buffer, 0, bytemuck::cast_slice(&data));
    buffer
}

/// Seconds per repetition of what `record` encodes, `reps` times in one submission.
fn time_gpu(
    ctx: &GpuContext,
    reps: usize,
    mut record: impl FnMut(&mut wgpu::CommandEncoder),
) -> f64 {
    let run = |record: &mut dyn FnMut(&mut wgpu::CommandEncoder), reps: usize| {
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("bench"),
            });
        for _ in 0..reps {
            record(&mut encoder);
        }
        ctx.queue.submit([encoder.finish()]);
        let _ = ctx.device.poll(wgpu::PollType::wait_indefinitely());
    };
    run(&mut record, 1); // warm up: pipelines, buffers
    let start = Instant::now();
    run(&mut record, reps);
    start.elapsed().as_secs_f64() / reps as f64
}

/// Prints the GPU layer tables (FFT, reductions).
pub fn run(scale: Scale) {
    let Some(ctx) = super::gpu_or_say_why() else {
        return;
    };
    println!("GPU layer benchmark on {}", ctx.describe());
    println!();
    println!("Batched complex f32 FFT (forward), time per transform:");
    println!(
        "{:>8} {:>6} {:>11} {:>13} {:>12} {:>14}",
        "N", "batch", "dispatches", "global passes", "µs/transform", "Mpoints/s"
    );
    for (n, batch) in scale.pick(
        &[(1024usize, 64u32), (2048, 32), (4096, 16), (65536, 1)],
        &[(1024, 4)],
    ) {
        let fft = GpuFft::new(&ctx, n).expect("supported size");
        let data = storage(&ctx, n * batch as usize, "bench data");
        let scratch = storage(&ctx, n * batch as usize, "bench scratch");
        let reps = (1 << 22) / (n * batch as usize);
        let t = time_gpu(&ctx, reps.max(2), |enc| {
            fft.encode(&ctx, enc, &data, &scratch, batch, Direction::Forward)
        });
        let per_transform = t / f64::from(batch);
        println!(
            "{:>8} {:>6} {:>11} {:>13} {:>12.1} {:>14.1}",
            n,
            batch,
            fft.passes(),
            fft.passes(),
            per_transform * 1e6,
            n as f64 / per_transform / 1e6
        );
    }
    println!();
    println!("Reduction Σ|z|², max|z|², Σz (result left on the GPU):");
    for len in scale.pick(&[4096usize, 65536, 1 << 20], &[4096]) {
        let reduce = GpuReduce::new(&ctx, len);
        let data = storage(&ctx, len, "bench reduce");
        let t = time_gpu(&ctx, 20, |enc| {
            reduce.encode(&ctx, enc, &data, len as u32);
        });
        let dispatches = {
            let mut d = 1;
            let mut m = len.div_ceil(1024);
            while m > 1 {
                m = m.div_ceil(1024);
                d += 1;
            }
            d
        };
        println!("  len {len:>8}: {dispatches} dispatches, {:.1} µs", t * 1e6);
    }
}

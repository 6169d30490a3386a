//! NLSE on the GPU vs the CPU (`cargo bench --bench nlse_gpu`): per method, the dispatches and
//! global-memory passes one step attempt records, the CPU readbacks inside the step loop
//! (counted: readbacks requested per attempt recorded), and steps per second at N = 1024,
//! 4096 and 65536 on whatever adapter runs it (named in the output) and on the CPU (f64).

use super::Scale;
use std::time::Instant;

use crate::core::controller::ControllerKind;
use crate::gpu::GpuContext;
use crate::sims::nlse::cpu::NlseCpu;
use crate::sims::nlse::gpu::NlseGpu;
use crate::sims::nlse::{NlseCase, NlseMethod, NlseParams};

const METHODS: [NlseMethod; 4] = [
    NlseMethod::StrangSplitStep,
    NlseMethod::Yoshida4SplitStep,
    NlseMethod::Rk4Ip,
    NlseMethod::Erk43Ip,
];

fn params(method: NlseMethod, n: usize) -> NlseParams {
    NlseParams {
        n,
        method,
        dt: 0.01,
        rtol: 1e-5,
        atol: 1e-9,
        controller: if method.is_adaptive() {
            ControllerKind::ProportionalIntegral
        } else {
            ControllerKind::Fixed
        },
        ..NlseParams::for_case(NlseCase::TwoSoliton)
    }
}

/// Accepted steps per wall second on the GPU over at least `min_seconds`, recording
/// `per_submission` attempts per submission; and the readbacks per attempt.
fn gpu_rate(ctx: &GpuContext, p: &NlseParams, per_submission: u32, min_seconds: f64) -> (f64, f64) {
    let mut sim = NlseGpu::new(ctx, p.clone()).expect("valid");
    // Warm up: pipelines, the first readback.
    sim.advance_blocking(ctx, 0.05, per_submission, 10_000)
        .expect("GPU works");
    let (t0, a0) = (sim.time(), sim.stats().accepted);
    let start = Instant::now();
    let mut submissions = 0u64;
    while start.elapsed().as_secs_f64() < min_seconds {
        // One submission of `per_submission` attempts at a time, as a frame records it, with
        // the end time far away so that every attempt is a real one.
        sim.encode(ctx, 1e6, per_submission);
        submissions += 1;
        sim.wait(ctx).expect("GPU works");
    }
    let seconds = start.elapsed().as_secs_f64();
    let steps = (sim.stats().accepted - a0) as f64;
    assert!(sim.time() > t0, "the GPU made progress");
    let attempts = (sim.stats().accepted + sim.stats().rejected - a0) as f64;
    (steps / seconds, submissions as f64 / attempts.max(1.0))
}

/// Accepted steps per wall second on the CPU over at least `min_seconds`.
fn cpu_rate(p: &NlseParams, min_seconds: f64) -> f64 {
    let mut sim = NlseCpu::new(p.clone()).expect("valid");
    sim.advance(0.05, 10_000);
    let a0 = sim.stats().accepted;
    let start = Instant::now();
    let mut target = sim.stats().t;
    while start.elapsed().as_secs_f64() < min_seconds {
        target += 0.05;
        sim.advance(target, 1_000_000);
    }
    (sim.stats().accepted - a0) as f64 / start.elapsed().as_secs_f64()
}

/// Prints the NLSE GPU-vs-CPU tables.
pub fn run(scale: Scale) {
    let Some(ctx) = super::gpu_or_say_why() else {
        return;
    };
    println!("NLSE GPU (f32) vs CPU (f64) on {}", ctx.describe());
    println!("Two-soliton collision, h = 0.01 (fixed) or rtol = 1e-5 (ERK4(3)-IP, PI control).");
    println!();
    println!("Per step attempt (N ≤ 2048: one-dispatch FFTs; larger N: two-pass four-step FFTs):");
    println!(
        "{:<20} {:>7} {:>11} {:>14} {:>22}",
        "method", "N", "dispatches", "global passes", "readbacks in the loop"
    );
    for method in METHODS {
        for n in scale.pick(&[1024usize, 4096], &[1024]) {
            let mut sim = NlseGpu::new(&ctx, params(method, n)).expect("valid");
            sim.wait(&ctx).expect("GPU works");
            // Readbacks of a submission with no attempts and of one with 64: the difference
            // is what the step loop itself reads back.
            let before = sim.readbacks();
            sim.encode(&ctx, 1e9, 0);
            sim.wait(&ctx).expect("GPU works");
            let empty = sim.readbacks() - before;
            let before = sim.readbacks();
            sim.encode(&ctx, 1e9, 64);
            sim.wait(&ctx).expect("GPU works");
            let with_steps = sim.readbacks() - before;
            println!(
                "{:<20} {:>7} {:>11} {:>14} {:>22}",
                method.label(),
                n,
                sim.dispatches_per_attempt(),
                sim.global_passes_per_attempt(),
                with_steps - empty
            );
        }
    }
    println!(
        "(readbacks in the loop: those of a 64-attempt submission minus those of an empty one;"
    );
    println!(" each submission reads back once, asynchronously, whatever its number of attempts)");
    println!();
    println!(
        "{:<20} {:>7} {:>14} {:>14} {:>10} {:>20}",
        "method", "N", "GPU steps/s", "CPU steps/s", "GPU/CPU", "readbacks/attempt"
    );
    for n in scale.pick(&[1024usize, 4096, 65536], &[1024]) {
        let seconds = if scale.quick {
            0.2
        } else if n >= 65536 {
            3.0
        } else {
            2.0
        };
        for method in METHODS {
            let p = params(method, n);
            // 16 attempts per submission, about what the app's frame-sized submissions
            // settle at on lavapipe (PER_SUBMISSION overrides it).
            let per_submission: u32 = std::env::var("PER_SUBMISSION")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(16);
            let (gpu, readbacks) = gpu_rate(&ctx, &p, per_submission, seconds);
            let cpu = cpu_rate(&p, seconds);
            println!(
                "{:<20} {:>7} {:>14.1} {:>14.1} {:>10.2} {:>20.4}",
                method.label(),
                n,
                gpu,
                cpu,
                gpu / cpu,
                readbacks
            );
        }
    }
}

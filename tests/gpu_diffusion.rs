//! The GPU (lavapipe, f32) sampler programs against the f64 CPU reference: the same program,
//! the same initial particles and the same counter-based noise.

mod common;

use stepscope::sims::diffusion::cpu::{initial_particles, sample};
use stepscope::sims::diffusion::gpu::GpuSampler;
use stepscope::sims::diffusion::metrics::per_sample_error;
use stepscope::sims::diffusion::process::{ProcessKind, TimeGrid};
use stepscope::sims::diffusion::{DiffusionParams, SamplerKind, TargetKind};

#[test]
fn gpu_programs_match_the_f64_cpu_for_the_same_noise() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let cases = [
        (
            SamplerKind::DpmSolverPp2M,
            TargetKind::Ring8,
            ProcessKind::VpLinear,
            0.0,
            0.0,
        ),
        (
            SamplerKind::UniPc,
            TargetKind::TwoMoons,
            ProcessKind::VpCosine,
            0.0,
            0.0,
        ),
        (
            SamplerKind::DpmSolver3,
            TargetKind::Spiral,
            ProcessKind::Edm,
            0.0,
            0.0,
        ),
        (
            SamplerKind::Plms,
            TargetKind::Grid25,
            ProcessKind::Ve,
            0.0,
            0.0,
        ),
        (
            SamplerKind::DeisTab3,
            TargetKind::GaussianNd,
            ProcessKind::VpLinear,
            0.0,
            0.0,
        ),
        (
            SamplerKind::Ghvb,
            TargetKind::Ring8,
            ProcessKind::Edm,
            0.0,
            0.0,
        ),
        (
            SamplerKind::EdmHeun,
            TargetKind::Ring8,
            ProcessKind::Edm,
            0.0,
            10.0,
        ),
        (
            SamplerKind::EulerMaruyama,
            TargetKind::TwoMoons,
            ProcessKind::VpLinear,
            0.0,
            0.0,
        ),
        (
            SamplerKind::Ddim,
            TargetKind::GaussianNd,
            ProcessKind::Ve,
            0.7,
            0.0,
        ),
        (
            SamplerKind::PredictorCorrector,
            TargetKind::Ring8,
            ProcessKind::VpLinear,
            0.0,
            0.0,
        ),
    ];
    for (sampler, target, process, eta, churn) in cases {
        let params = DiffusionParams {
            sampler,
            target,
            process,
            grid: if process == ProcessKind::Edm {
                TimeGrid::Edm { rho: 7.0 }
            } else {
                TimeGrid::UniformLambda
            },
            dim: 16,
            components: 64,
            nfe: 30,
            eta,
            churn,
            particles: 2048,
            seed: 5,
            ..DiffusionParams::default()
        };
        let mixture = params.mixture().expect("target");
        let initial = initial_particles(&params, &mixture);
        let cpu = sample(&params, &mixture, &initial).expect("cpu");
        let mut gpu = GpuSampler::new(&ctx, &params, &mixture, &initial).expect("gpu");
        let on_gpu = gpu.run_blocking(&ctx).expect("gpu runs");
        assert!(gpu.is_finished());
        let (rms, max) = per_sample_error(&on_gpu, &cpu.particles, mixture.dim);
        let (moved, _) = per_sample_error(&cpu.particles, &initial, mixture.dim);
        println!(
            "{:8} {:?} {:?}: GPU vs CPU rms {rms:.2e}, max {max:.2e} (particles moved {moved:.2})",
            sampler.key(),
            target,
            process
        );
        // f32 round-off of O(1) values over ~30 steps, amplified where the flow contracts
        // particles onto the modes and expands it between them.
        assert!(rms < 2e-4, "{sampler:?}: rms {rms}");
        assert!(max < 5e-3, "{sampler:?}: max {max}");
        assert!(
            moved > 0.1,
            "{sampler:?}: the particles must have moved ({moved})"
        );
    }
}

#[test]
fn a_gpu_run_can_be_encoded_step_by_step() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let params = DiffusionParams {
        sampler: SamplerKind::DpmSolver2,
        nfe: 20,
        particles: 1000,
        ..DiffusionParams::default()
    };
    let mixture = params.mixture().expect("target");
    let initial = initial_particles(&params, &mixture);
    let mut gpu = GpuSampler::new(&ctx, &params, &mixture, &initial).expect("gpu");
    let mut whole = GpuSampler::new(&ctx, &params, &mixture, &initial).expect("gpu");
    while !gpu.is_finished() {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        let before = gpu.steps_done();
        assert_eq!(gpu.encode_steps(&mut encoder, 3), 3.min(10 - before));
        ctx.queue.submit([encoder.finish()]);
    }
    assert_eq!(gpu.steps_done(), 10);
    let a = gpu.state_blocking(&ctx).expect("reads");
    let b = whole.run_blocking(&ctx).expect("reads");
    assert_eq!(
        a, b,
        "the same dispatches in any batching give the same bits"
    );
}

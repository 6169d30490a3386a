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

/// The precision shadow of GPU sampling: the f64 run of the same program follows the f32
/// particles fed back frame by frame; their RMS distance stays within the f32 bound at every
/// comparison, and the verdict names single precision exactly when that distance exceeds the
/// f64 sampler's own distance to the reference ODE solution.
#[test]
fn the_diffusion_shadow_follows_the_gpu_run_within_the_f32_bound() {
    use stepscope::sims::diffusion::gpu::GpuLiveRun;
    use stepscope::sims::diffusion::run::DiffusionRun;
    use stepscope::sims::diffusion::shadow::{DiffusionShadow, precision_limit};
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    // (sampler, target, NFE, whether f32 limits the accuracy at the end)
    for (sampler, target, nfe, limited) in [
        (SamplerKind::Ddim, TargetKind::Ring8, 10, Some(false)),
        (SamplerKind::DpmSolver3, TargetKind::Ring8, 30, Some(false)),
        (SamplerKind::DpmSolver3, TargetKind::Ring8, 300, Some(false)),
        (SamplerKind::DpmSolver3, TargetKind::Ring8, 1500, Some(true)),
        (
            SamplerKind::EdmHeun,
            TargetKind::GaussianNd,
            40,
            Some(false),
        ),
        (SamplerKind::UniPc, TargetKind::TwoMoons, 200, Some(false)),
        (SamplerKind::EulerMaruyama, TargetKind::Spiral, 100, None),
    ] {
        let params = DiffusionParams {
            sampler,
            target,
            nfe,
            particles: 1024,
            dim: 16,
            components: 64,
            ..DiffusionParams::default()
        };
        let run = DiffusionRun::new(params.clone()).expect("run");
        let mut run = run.with_params_external(params).expect("external");
        let mut gpu = GpuLiveRun::new(&ctx, &run).expect("gpu");
        let mut shadow = DiffusionShadow::new(&run).expect("shadow");
        let mut frames = 0;
        while !(run.is_finished() && shadow.follow(&run, 10_000).expect("follows")) {
            gpu.frame(&ctx, &mut run, 8.0).expect("frame");
            // Once the particles are back, the closing measurement goes a piece per frame.
            run.advance(0.0);
            shadow.follow(&run, 10_000).expect("follows");
            frames += 1;
            assert!(frames < 20_000, "the GPU run never finished");
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        let points = shadow.points();
        let last = points.last().expect("comparisons");
        let worst = points
            .iter()
            .map(|p| p.difference / p.bound)
            .fold(0.0, f64::max);
        println!(
            "{:>8} {:?} NFE {nfe}: {} comparisons, last difference {:.2e}, bound {:.2e} \
             (worst ratio {worst:.2}), f64 ODE error {:?}, f32 {:?}; verdict {:?}",
            sampler.key(),
            target,
            points.len(),
            last.difference,
            last.bound,
            last.f64_error,
            last.f32_error,
            precision_limit(Some(last)),
        );
        assert!(points.len() >= 2);
        assert!(
            points
                .iter()
                .all(|p| p.difference <= p.bound && p.difference > 0.0),
            "{points:?}"
        );
        let verdict = precision_limit(Some(last));
        assert_eq!(verdict.is_some(), limited == Some(true));
        if limited == Some(true) {
            // Independently of the verdict: the f32 run is measurably farther from the
            // reference ODE solution than the f64 run.
            let (f32_error, f64_error) =
                (last.f32_error.expect("ODE"), last.f64_error.expect("ODE"));
            assert!(
                f32_error > 3.0 * f64_error,
                "{f32_error:e} vs {f64_error:e}"
            );
        }
    }
}

/// A diffusion race on the GPU (lavapipe): the runs go one after another through the f32
/// sampler programs from the same particles and noise as the f64 race. Each run does the f64
/// run's evaluations; its distance to the reference ODE solution agrees with the f64 one to
/// 1 % plus the f32 floor it states; DDIM's observed order on the GPU is 1 ± 0.3; the app's
/// polled way gives the same numbers; an adaptive sampler's point says it runs on the CPU.
#[test]
fn a_diffusion_race_on_the_gpu_matches_the_f64_race_within_its_floor() {
    use stepscope::race::{Measure, Race, RacePlan};
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let plan = |samplers: &[&str]| {
        RacePlan::new(
            "?s=diffusion&target=ring8&n=1024&init=exact",
            "nfe",
            (20.0, 160.0),
            4,
            samplers.iter().map(|s| (*s).to_owned()).collect(),
            None,
            Measure::Scenario,
        )
        .expect("plan")
    };
    let samplers = ["ddim", "heun", "dpm3"];
    let mut cpu = Race::new(plan(&samplers)).expect("race");
    cpu.run_to_end(|_| {});
    let mut gpu = Race::new(plan(&samplers)).expect("race");
    let runner = stepscope::race::gpu::runner(&ctx, &gpu, true).expect("GPU race");
    gpu.run_batched(runner).expect("batched");
    gpu.run_to_end(|_| {});
    assert!(gpu.failure().is_none(), "{:?}", gpu.failure());
    println!("{}: {}", gpu.backend(), gpu.measure_name());
    for (c, g) in cpu.points().iter().zip(gpu.points()) {
        let floor = g.floor.expect("a floor");
        println!(
            "{:>5} NFE {:>3}: work {} / {}, error f64 {:.4e}, f32 {:.4e}, floor {floor:.2e}",
            g.solver, g.value, c.work, g.work, c.error, g.error
        );
        assert_eq!(c.work, g.work);
        assert!(
            (g.error - c.error).abs() <= 0.01 * c.error + floor,
            "{} NFE {}",
            g.solver,
            g.value
        );
    }
    let ddim = gpu.fits()[0]
        .observed_order
        .expect("ddim resolves its points");
    println!("DDIM on the GPU: observed order {ddim:.2}");
    assert!((ddim - 1.0).abs() <= 0.3);
    // The app's way: polled without waiting; the same numbers.
    let mut polled = Race::new(plan(&["ddim", "dopri5"])).expect("race");
    let runner = stepscope::race::gpu::runner(&ctx, &polled, false).expect("GPU race");
    polled.run_batched(runner).expect("batched");
    let mut polls = 0;
    while !polled.advance(0.005) {
        polls += 1;
        assert!(polls < 100_000, "the polled race never finished");
        std::thread::sleep(std::time::Duration::from_micros(500));
    }
    let ddim_points: Vec<(f64, f64)> = polled
        .points()
        .iter()
        .filter(|p| p.solver == "ddim")
        .map(|p| (p.work, p.error))
        .collect();
    let blocking_points: Vec<(f64, f64)> = gpu.points()[..4]
        .iter()
        .map(|p| (p.work, p.error))
        .collect();
    assert_eq!(ddim_points, blocking_points, "after {polls} polls");
    let adaptive = polled
        .points()
        .iter()
        .find(|p| p.solver == "dopri5")
        .expect("a dopri5 point");
    assert!(
        adaptive
            .failure
            .as_deref()
            .is_some_and(|f| f.contains("CPU only")),
        "{adaptive:?}"
    );
}

/// `stepscope run '?s=diffusion&sampler=dpmpp2m&nfe=20' --backend gpu` and the library's
/// `Scenario::gpu_run`: the f32 run of a sampler program, through the one run interface,
/// against the f64 run of the same link. Both take the same steps (equal step rows), land on
/// t_min, and their particles agree within the f32 bound the run states (relative to the
/// particles' RMS size); adaptive samplers are refused with the reason.
#[test]
fn sampling_runs_on_the_gpu_through_the_run_interface_match_the_cpu() {
    use stepscope::scenario::Scenario;
    use stepscope::sims::run::finish;
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    for link in [
        "?s=diffusion&sampler=dpmpp2m&nfe=20",
        "?s=diffusion&sampler=ddim&nfe=50&target=moons&process=vp-cosine",
        "?s=diffusion&sampler=dpm3&nfe=30&target=gmm-nd&dim=8&k=4&process=edm&grid=edm",
    ] {
        let scenario = Scenario::from_link(link).expect("link");
        let mut cpu = scenario.cpu_run().expect("CPU run");
        let mut gpu = scenario.gpu_run(&ctx).expect("GPU run");
        finish(cpu.as_mut()).expect("the CPU run samples");
        finish(gpu.as_mut()).expect("the GPU run samples");
        let particles = cpu.state_vector();
        let rms = (particles.iter().map(|x| x * x).sum::<f64>() / particles.len() as f64).sqrt();
        let floor = gpu.precision_floor().expect("an f32 run states its floor");
        let parity = common::assert_parity(cpu.as_ref(), gpu.as_ref(), floor / rms, 0.0);
        let steps = |run: &dyn stepscope::sims::run::Run| -> Vec<[f64; 4]> {
            run.step_rows()
                .iter()
                .map(|r| [r[0], r[1], r[2], r[5]])
                .collect()
        };
        assert_eq!(
            steps(cpu.as_ref()),
            steps(gpu.as_ref()),
            "{link}: the same steps"
        );
        let (c, g) = (
            cpu.accuracy().expect("measured"),
            gpu.accuracy().expect("measured"),
        );
        println!(
            "{link}: particles differ by {:.2e} (relative; bound {:.2e}); {} f64 {:.4e}, f32 {:.4e}",
            parity.difference,
            floor / rms,
            c.measure,
            c.value,
            g.value
        );
        assert_eq!(c.measure, g.measure);
        assert!((c.value - g.value).abs() <= floor, "{link}");
    }
    let adaptive = Scenario::from_link("?s=diffusion&sampler=dopri5").expect("link");
    let why = adaptive.gpu_run(&ctx).err().expect("refused");
    assert!(why.contains("CPU only"), "{why}");
}

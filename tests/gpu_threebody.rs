//! The chaos-map ensemble on the GPU (lavapipe) against the f64 ensemble of the same
//! algorithm, member by member.

mod common;

use stepscope::sims::threebody::ensemble::{self, EnsembleParams, EnsemblePlane};
use stepscope::sims::threebody::gpu_ensemble::GpuEnsemble;
use stepscope::sims::threebody::scenarios::initial_bodies;
use stepscope::sims::threebody::{ThreeBodyCase, ThreeBodyParams};

fn base(case: ThreeBodyCase) -> Vec<stepscope::sims::threebody::Body> {
    initial_bodies(&ThreeBodyParams::for_case(case))
}

#[test]
fn gpu_ensemble_matches_the_f64_ensemble_on_short_integrations() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let bodies = base(ThreeBodyCase::FigureEight);
    let p = EnsembleParams {
        resolution: 16,
        body: 0,
        plane: EnsemblePlane::Position,
        span: 0.1,
        t_end: 2.0,
        ..EnsembleParams::default()
    };
    let mut gpu = GpuEnsemble::new(&ctx, &bodies, &p, 0.0, 64).expect("fits");
    let gpu_results = gpu.run_blocking(&ctx).expect("runs");
    let gpu_positions = gpu.positions_blocking(&ctx).expect("reads");
    let (mut worst_x, mut worst_steps, mut worst_energy): (f64, u32, f64) = (0.0, 0, 0.0);
    for iy in 0..p.resolution {
        for ix in 0..p.resolution {
            let m = (iy * p.resolution + ix) as usize;
            let member = ensemble::member_bodies(&bodies, &p, ix, iy);
            let (cpu, x) = ensemble::integrate_member(&member, &p, 0.0);
            for (a, b) in x.iter().zip(&gpu_positions[m]) {
                for k in 0..3 {
                    worst_x = worst_x.max((a[k] - f64::from(b[k])).abs());
                }
            }
            worst_steps = worst_steps.max(cpu.steps.abs_diff(gpu_results[m].steps));
            worst_energy = worst_energy.max(gpu_results[m].energy_error);
            assert_eq!(gpu_results[m].escape_time, p.t_end);
            assert_eq!(cpu.escape_time, p.t_end);
        }
    }
    println!(
        "ensemble 16×16 figure-eight ±0.1, t = 2: max |x_gpu − x_f64| {worst_x:.3e}, step counts differ by ≤ {worst_steps}, GPU max |dE/E0| {worst_energy:.3e}, {} dispatches",
        gpu.dispatches()
    );
    assert!(worst_x < 1e-3, "{worst_x}");
    assert!(worst_steps <= 1);
    assert!(worst_energy < 1e-3);
}

#[test]
fn escape_maps_agree_between_gpu_and_f64() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    // The massless Trojan's velocity varied by ±1 around its circular 1: beyond √2 its orbit
    // about the Sun is hyperbolic and it crosses the escape radius; a smooth map.
    let bodies = base(ThreeBodyCase::SunJupiterTrojan);
    let p = EnsembleParams {
        resolution: 16,
        body: 2,
        plane: EnsemblePlane::Velocity,
        span: 1.0,
        t_end: 10.0,
        escape_radius: 5.0,
        ..EnsembleParams::default()
    };
    let mut gpu = GpuEnsemble::new(&ctx, &bodies, &p, 0.0, 64).expect("fits");
    let gpu_results = gpu.run_blocking(&ctx).expect("runs");
    let cpu_results = ensemble::integrate_cpu(&bodies, &p, 0.0);
    let members = gpu_results.len();
    let escaped = |r: &ensemble::MemberResult| r.escape_time < p.t_end;
    let mut same_class = 0;
    let mut escapes = 0;
    let mut close_times = 0;
    let mut worst_time: f64 = 0.0;
    for (g, c) in gpu_results.iter().zip(&cpu_results) {
        if escaped(g) == escaped(c) {
            same_class += 1;
        }
        if escaped(g) && escaped(c) {
            escapes += 1;
            worst_time = worst_time.max((g.escape_time - c.escape_time).abs() / c.escape_time);
            if (g.escape_time - c.escape_time).abs() <= 1e-4 * c.escape_time {
                close_times += 1;
            }
        }
    }
    println!(
        "escape map 16×16, Trojan vx,vy ±1, t_end 10: {same_class}/{members} members agree on escaping, {escapes} escape in both, {close_times} of them within 1e-4 in time (worst {worst_time:.2e} relative)"
    );
    assert!(escapes > members / 10, "the map has escapes");
    assert!(escapes < members, "and bound members");
    assert!(same_class as f64 >= 0.98 * members as f64);
    assert!(close_times as f64 >= 0.95 * escapes as f64);
}

/// A three-body race on the GPU: twelve runs (leapfrog, Yoshida-4, RK4 at four steps each) in
/// each dispatch, f32, against the same race on the f64 CPU. Each run does exactly the f64
/// run's force evaluations; its energy error agrees with the f64 one to 1 % plus the f32 floor
/// the run states; leapfrog's observed order is 2 ± 0.3 on the GPU too; points whose f64
/// error lies below the floor are flagged and left out of the fit; the whole race takes the
/// dispatches of its longest run, not the sum of all.
#[test]
fn a_gpu_race_runs_every_run_in_one_dispatch_and_matches_the_f64_race() {
    use stepscope::race::gpu::unsupported;
    use stepscope::race::{BatchRunner, Measure, Race, RacePlan};
    use stepscope::scenario::Scenario;
    use stepscope::sims::threebody::ThreeBodyParams;
    use stepscope::sims::threebody::gpu_race::{GpuThreeBodyRace, step_plan};
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    // The batched runner of a race's runs (race::gpu::runner hands them over the same way).
    let batched = |race: &Race| {
        let params: Vec<ThreeBodyParams> = race
            .runs()
            .filter_map(|(_, _, s)| match s {
                Scenario::ThreeBody(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        let until = race.plan().until.expect("an end time");
        GpuThreeBodyRace::new(&ctx, &params.iter().collect::<Vec<_>>(), until, true)
            .expect("GPU race")
    };
    let plan = |solvers: &[&str]| {
        RacePlan::new(
            "?s=3body&case=figure8&steps=fixed",
            "dt",
            (0.1, 0.0125),
            4,
            solvers.iter().map(|s| (*s).to_owned()).collect(),
            Some(2.0),
            Measure::Scenario,
        )
        .expect("plan")
    };
    let solvers = ["leapfrog", "yoshida4", "rk4"];
    let mut cpu = Race::new(plan(&solvers)).expect("race");
    cpu.run_to_end(|_| {});
    let mut gpu = Race::new(plan(&solvers)).expect("race");
    let runner = batched(&gpu);
    assert_eq!(runner.runs_per_dispatch(), 12);
    gpu.run_batched(Box::new(runner)).expect("batched");
    println!("{}", gpu.backend());
    gpu.run_to_end(|_| {});
    assert!(gpu.failure().is_none(), "{:?}", gpu.failure());
    assert_eq!(gpu.points().len(), 12);
    for (c, g) in cpu.points().iter().zip(gpu.points()) {
        let floor = g.floor.expect("a GPU point states its floor");
        println!(
            "{:>9} dt {:.4}: work {} / {}, error f64 {:.4e}, f32 {:.4e}, floor {:.2e}{}",
            g.solver,
            g.value,
            c.work,
            g.work,
            c.error,
            g.error,
            floor,
            if g.resolved() { "" } else { "  (at the floor)" }
        );
        assert_eq!((&c.solver, c.value), (&g.solver, g.value));
        assert_eq!(c.work, g.work, "the same force evaluations");
        assert!(
            (g.error - c.error).abs() <= 0.01 * c.error + floor,
            "{} dt {}: f32 {:e} vs f64 {:e}, floor {floor:e}",
            g.solver,
            g.value,
            g.error,
            c.error
        );
        if c.error < floor {
            assert!(!g.resolved(), "an error below the floor must be flagged");
        }
    }
    let fits = gpu.fits();
    let leapfrog = fits[0]
        .observed_order
        .expect("leapfrog resolves every point");
    println!("leapfrog on the GPU: observed order {leapfrog:.2}");
    assert!((leapfrog - 2.0).abs() <= 0.3);
    // Flagged points stay out of the fit: Yoshida-4 keeps only its coarsest point in f32.
    assert!(fits[1].points.iter().filter(|p| p.resolved()).count() < 2);
    assert_eq!(fits[1].observed_order, None);

    // Dispatches: the longest run (160 steps at dt = 0.0125) at 32 steps per dispatch, in
    // submissions of 4, not one run after another.
    let mut race = Race::new(plan(&solvers)).expect("race");
    let mut runner = batched(&race);
    let longest = step_plan(0.0125, 2.0);
    assert_eq!(longest, (160, 0.0));
    while runner.advance(1.0).expect("runs").is_none() {}
    assert!(
        runner.dispatches() <= 8,
        "{} dispatches",
        runner.dispatches()
    );

    // What the kernel cannot run is refused with a reason.
    race = Race::new(plan(&["leapfrog", "ias15"])).expect("race");
    let why = unsupported(&race).expect("ias15 has no GPU kernel");
    assert!(why.contains("ias15"), "{why}");
    race = Race::new(plan(&["leapfrog"])).expect("race");
    let mut adaptive = plan(&["leapfrog"]);
    adaptive.link = "?s=3body&case=figure8&steps=adaptive".into();
    let why = unsupported(&Race::new(adaptive).expect("race")).expect("adaptive steps");
    assert!(why.contains("fixed steps"), "{why}");
    assert!(unsupported(&race).is_none());
}

/// One system on the GPU (f32) against the f64 run, through the one parity check: each
/// fixed-step solver on the figure eight to t = 7, past its period T = 6.3259, where both runs
/// clip a step to land on the period. Sampled at seven times, the two stand at the same time
/// exactly, have done the same force evaluations, and their states agree within the f32
/// round-off grown over the steps; the GPU run's checkpoint continues on the CPU.
#[test]
fn one_three_body_system_on_the_gpu_matches_the_f64_run() {
    use stepscope::checkpoint::Checkpoint;
    use stepscope::scenario::Scenario;
    use stepscope::sims::run::{Target, advance_to};
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    for solver in ["leapfrog", "yoshida4", "rk4"] {
        let link = format!("?s=3body&case=figure8&solver={solver}&steps=fixed&dt=0.01");
        let scenario: Scenario = link.parse().expect("link");
        let mut cpu = scenario.cpu_run().expect("CPU run");
        let mut gpu = scenario.gpu_run(&ctx).expect("GPU run");
        let mut worst: f64 = 0.0;
        for k in 1..=7 {
            let target = Target::Sample(f64::from(k));
            advance_to(cpu.as_mut(), target).expect("CPU advances");
            advance_to(gpu.as_mut(), target).expect("GPU advances");
            let parity = common::assert_parity(cpu.as_ref(), gpu.as_ref(), 2e-4, 0.0);
            assert_eq!(parity.work.0, parity.work.1, "{solver}: force evaluations");
            // h, accepted, rejected, nfe (last_error is NaN: fixed steps have no estimate).
            assert_eq!(
                cpu.row()[8..12],
                gpu.row()[8..12],
                "{solver}: step statistics"
            );
            worst = worst.max(parity.difference);
        }
        let (cpu_error, gpu_error) = (
            cpu.accuracy().expect("energy").value,
            gpu.accuracy().expect("energy").value,
        );
        let floor = gpu.precision_floor().expect("an f32 floor");
        println!(
            "{solver}, dt 0.01 to t = 7: state difference ≤ {worst:.2e}, max |ΔE/E0| f64 \
             {cpu_error:.3e} vs f32 {gpu_error:.3e} (floor {floor:.1e}), {} force evaluations",
            gpu.work()
        );
        assert!(
            (gpu_error - cpu_error).abs() <= 0.01 * cpu_error + floor,
            "{solver}: energy errors {cpu_error:e} vs {gpu_error:e}"
        );
        // The checkpoint holds the f32 state exactly and continues in f64.
        let checkpoint = Checkpoint::new(
            link.clone(),
            "3body",
            gpu.time(),
            gpu.checkpoint_state().expect("checkpoint"),
        );
        let (_, restored) = Scenario::restore(&checkpoint).expect("restores");
        assert_eq!(restored.time(), gpu.time());
        assert_eq!(restored.state_vector(), gpu.state_vector());
    }
    let refused = "?s=3body&case=figure8&solver=ias15"
        .parse::<Scenario>()
        .expect("link")
        .gpu_run(&ctx)
        .err()
        .expect("IAS15 has no GPU run");
    assert!(refused.contains("fixed steps"), "{refused}");
}

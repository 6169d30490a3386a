//! Three-body benchmark (`cargo bench --bench threebody`): IAS15 on the Pythagorean problem to
//! t = 70 (steps, force evaluations, wall time, energy error); every integrator on one
//! figure-eight period; fixed-step leapfrog over 1000 figure-eight periods, the stepper
//! alone and the whole run; and chaos-map ensemble throughput in system-steps per second for the
//! f64 CPU path and the f32 GPU path on whatever adapter runs it (named in the output).

use super::Scale;
use std::time::Instant;

use crate::gpu::GpuContext;
use crate::sims::threebody::cpu::ThreeBodyCpu;
use crate::sims::threebody::ensemble::{self, EnsembleParams, EnsemblePlane};
use crate::sims::threebody::gpu_ensemble::GpuEnsemble;
use crate::sims::threebody::integrators::{Leapfrog, Phase};
use crate::sims::threebody::scenarios::{FIGURE_EIGHT_PERIOD, initial_bodies};
use crate::sims::threebody::{
    Gravity, ThreeBodyCase, ThreeBodyMethod, ThreeBodyParams, relative_drift,
};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn pythagorean(scale: Scale) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..scale.repeats() {
        let p = ThreeBodyParams {
            method: ThreeBodyMethod::Ias15,
            ..ThreeBodyParams::for_case(ThreeBodyCase::Pythagorean)
        };
        let mut run = ThreeBodyCpu::new(p).expect("valid");
        let start = Instant::now();
        let outcome = run.advance_to(70.0, u64::MAX);
        times.push(start.elapsed().as_secs_f64());
        assert!(outcome.is_ok());
        last = Some(run);
    }
    let run = last.expect("ran");
    let s = run.stats();
    println!(
        "IAS15, Pythagorean problem to t = 70: {} steps, {} rejected, {} force evaluations, {:.1} ms (median of 5), |dE/E0| = {:.2e}, closest approach {:.2e}",
        s.accepted,
        s.rejected,
        s.nfe,
        1e3 * median(times),
        run.diagnostics().energy_error,
        run.diagnostics().closest_approach
    );
}

fn figure_eight_period(scale: Scale) {
    println!("\none figure-eight period (default settings: dt = 0.01, tolerance 1e-9):");
    for method in ThreeBodyMethod::ALL {
        let p = ThreeBodyParams {
            method,
            ..ThreeBodyParams::for_case(ThreeBodyCase::FigureEight)
        };
        let mut times = Vec::new();
        let mut stats = None;
        for _ in 0..scale.repeats() {
            let mut run = ThreeBodyCpu::new(p.clone()).expect("valid");
            let start = Instant::now();
            assert!(run.advance_to(FIGURE_EIGHT_PERIOD, u64::MAX).is_ok());
            times.push(start.elapsed().as_secs_f64());
            stats = Some((*run.stats(), run.diagnostics().clone()));
        }
        let (s, d) = stats.expect("ran");
        println!(
            "  {:<15} {:>6} steps {:>7} f-evals {:>8.3} ms   return {:.2e}   max |dE/E0| {:.2e}",
            method.label(),
            s.accepted,
            s.nfe,
            1e3 * median(times),
            d.period_return.unwrap_or(f64::NAN),
            d.max_energy_error
        );
    }
}

fn ensemble_params(resolution: u32) -> EnsembleParams {
    EnsembleParams {
        resolution,
        body: 0,
        plane: EnsemblePlane::Position,
        span: 0.1,
        t_end: 2.0,
        ..EnsembleParams::default()
    }
}

fn ensembles(scale: Scale) {
    let base = initial_bodies(&ThreeBodyParams::for_case(ThreeBodyCase::FigureEight));
    println!(
        "\nchaos-map ensembles, figure-eight ±0.1 in body 1's x, y, t_end = 2 (adaptive leapfrog, η = 0.01):"
    );
    let side = if scale.quick { 8 } else { 32 };
    let p = ensemble_params(side);
    let start = Instant::now();
    let results = ensemble::integrate_cpu(&base, &p, 0.0);
    let seconds = start.elapsed().as_secs_f64();
    let steps: u64 = results.iter().map(|r| u64::from(r.steps)).sum();
    println!(
        "  CPU f64, 1 thread: {side}×{side} members, {steps} system-steps in {seconds:.3} s: {:.3e} system-steps/s",
        steps as f64 / seconds
    );
    let ctx = match pollster::block_on(GpuContext::headless(true)) {
        Ok(ctx) => ctx,
        Err(e) => {
            println!("  GPU: skipped ({e})");
            return;
        }
    };
    println!("  GPU adapter: {}", ctx.describe());
    for resolution in scale.pick(&[32, 128, 256], &[16]) {
        let p = ensemble_params(resolution);
        let start = Instant::now();
        let mut gpu = GpuEnsemble::new(&ctx, &base, &p, 0.0, 64).expect("fits");
        let results = gpu.run_blocking(&ctx).expect("runs");
        let seconds = start.elapsed().as_secs_f64();
        let steps: u64 = results.iter().map(|r| u64::from(r.steps)).sum();
        println!(
            "  GPU f32, {resolution}×{resolution} members: {steps} system-steps in {seconds:.3} s ({} dispatches): {:.3e} system-steps/s",
            gpu.dispatches(),
            steps as f64 / seconds
        );
    }
}

/// Fixed-step leapfrog (dt = 0.01) over many figure-eight periods: the stepper alone, as the
/// C reference code's solver time counts it, and the whole run with the diagnostics and
/// histories a live run records after every step.
fn figure_eight_long(scale: Scale) {
    const GOAL_S: f64 = 0.06;
    const DT: f64 = 0.01;
    let periods: u32 = if scale.quick { 10 } else { 1000 };
    let span = f64::from(periods) * FIGURE_EIGHT_PERIOD;
    let p = ThreeBodyParams {
        method: ThreeBodyMethod::Leapfrog,
        dt: DT,
        ..ThreeBodyParams::for_case(ThreeBodyCase::FigureEight)
    };
    let bodies = initial_bodies(&p);
    let gravity = Gravity::new(&bodies, p.softening);
    let start_phase = Phase {
        x: bodies.iter().map(|b| b.x).collect(),
        v: bodies.iter().map(|b| b.v).collect(),
    };
    let steps = (span / DT).ceil() as u64;
    let mut solver_times = Vec::new();
    let mut phase = start_phase.clone();
    for _ in 0..scale.repeats() {
        phase.clone_from(&start_phase);
        let mut leapfrog = Leapfrog::default();
        let start = Instant::now();
        let mut t = 0.0;
        for _ in 0..steps {
            let h = DT.min(span - t);
            leapfrog.step(&gravity, &mut phase, h);
            t += h;
        }
        solver_times.push(start.elapsed().as_secs_f64());
    }
    let e0 = gravity.energy(&start_phase.x, &start_phase.v);
    let solver_energy_error = relative_drift(gravity.energy(&phase.x, &phase.v), e0);

    let mut run_times = Vec::new();
    let mut last = None;
    for _ in 0..scale.repeats() {
        let mut run = ThreeBodyCpu::new(p.clone()).expect("valid");
        let start = Instant::now();
        assert!(run.advance_to(span, u64::MAX).is_ok());
        run_times.push(start.elapsed().as_secs_f64());
        last = Some(run);
    }
    let run = last.expect("ran");
    let (solver_s, run_s) = (median(solver_times), median(run_times));
    println!(
        "\nfigure-eight, leapfrog dt = {DT}, {periods} periods (median of {}; goal for 1000 periods: solver ≤ {GOAL_S} s):",
        scale.repeats()
    );
    println!(
        "  solver alone:                 {steps} steps in {solver_s:.4} s ({:.0} ns/step)   |dE/E0| at the end {solver_energy_error:.2e}",
        1e9 * solver_s / steps as f64,
    );
    println!(
        "  whole run with diagnostics:   {} steps in {run_s:.4} s ({:.0} ns/step)   return {:.2e}   max |dE/E0| {:.2e}",
        run.stats().accepted,
        1e9 * run_s / run.stats().accepted as f64,
        run.diagnostics().period_return.unwrap_or(f64::NAN),
        run.diagnostics().max_energy_error
    );
}

/// Prints the three-body tables.
pub fn run(scale: Scale) {
    pythagorean(scale);
    figure_eight_period(scale);
    figure_eight_long(scale);
    ensembles(scale);
}

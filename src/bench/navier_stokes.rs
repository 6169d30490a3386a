//! Navier–Stokes benchmark (`cargo bench --bench navier_stokes`):
//! 1. the pressure Poisson solvers: the work (cell operations), iterations and wall time each
//!    needs to reduce the relative residual of a random zero-mean right-hand side to 1e-8 at
//!    128², 256², 512², on a fully periodic grid (where the FFT applies) and with solid walls;
//! 2. cell updates per second of a full time step (advection, diffusion, projection) for every
//!    MAC time scheme on the lid-driven cavity (multigrid, tolerance 1e-6, warm start), and
//!    of the pseudo-spectral vorticity steppers;
//! 3. whole runs of decaying turbulence as the CLI advances them, with and without the dye;
//! 4. the same full steps on the GPU (f32), structural figures on a software adapter.

use super::Scale;
use std::time::Instant;

use crate::core::rng::SeededRng;
use crate::sims::navier_stokes::mac::{Axis, MacGrid, Side, TimeScheme};
use crate::sims::navier_stokes::poisson::{AxisBoundary, PoissonGrid, PressureSolver};
use crate::sims::navier_stokes::spectral::{
    SpectralScheme, SpectralStepper, VorticityEquation, VorticityParams,
};

/// Prints the Navier–Stokes tables.
pub fn run(scale: Scale) {
    pressure_solvers(scale);
    full_steps(scale);
    whole_runs(scale);
    gpu_steps(scale);
}

/// Decaying turbulence as `stepscope run` advances it (CFL-limited step, the diagnostics of
/// every step), with the dye the live page shows and without it (the CLI's rows never show
/// it): the figure the issue compares with a JAX spectral solver's 9.6e6 cell updates/s.
fn whole_runs(scale: Scale) {
    use crate::sims::navier_stokes::run::NsRun;
    use crate::sims::navier_stokes::{NsCase, NsSolver};
    const GOAL: f64 = 1.0e7;
    println!();
    println!(
        "whole runs, decaying turbulence (the CLI's run: CFL step, diagnostics every step), CPU f64, one thread; goal at 256² without the dye ≥ {GOAL:.1e} cells/s:"
    );
    println!(
        "{:>6} {:<34} {:>8} {:>12} {:>14}",
        "grid", "scheme", "steps", "ms/step", "cells/s"
    );
    for n in scale.pick(&[256usize], &[32]) {
        for scheme in [SpectralScheme::Rk4, SpectralScheme::IntegratingFactorRk4] {
            for carry_dye in [true, false] {
                let mut p = NsCase::Turbulence.defaults();
                p.n = n;
                p.solver = NsSolver::Spectral(scheme);
                let mut run = NsRun::new(p).expect("valid scenario");
                if !carry_dye {
                    run.stop_carrying_dye();
                }
                let steps = if scale.quick { 2 } else { 20 };
                run.advance(1, f64::INFINITY);
                let start = Instant::now();
                let taken = run.advance(steps, f64::INFINITY);
                let seconds = start.elapsed().as_secs_f64();
                assert!(run.failure().is_none(), "{:?}", run.failure());
                let what = format!(
                    "spectral {}, {}",
                    match scheme {
                        SpectralScheme::Rk4 => "RK4",
                        SpectralScheme::IntegratingFactorRk4 => "IF-RK4",
                    },
                    if carry_dye { "with dye" } else { "no dye" }
                );
                let cells_per_second = (n * n * taken) as f64 / seconds;
                let verdict = if n == 256 && !carry_dye {
                    if cells_per_second >= GOAL {
                        "met"
                    } else {
                        "MISSED"
                    }
                } else {
                    ""
                };
                step_row(n, &what, taken, seconds, verdict);
            }
        }
    }
}

/// Prints one row of a full-step table: grid, what ran, steps, ms/step, cells/s and a note.
fn step_row(n: usize, what: &str, steps: usize, seconds: f64, note: &str) {
    println!(
        "{:>6} {:<34} {:>8} {:>12.2} {:>14.3e} {note}",
        format!("{n}²"),
        what,
        steps,
        1e3 * seconds / steps as f64,
        (n * n * steps) as f64 / seconds
    );
}

fn gpu_steps(scale: Scale) {
    use crate::sims::navier_stokes::gpu_run::GpuFlow;
    use crate::sims::navier_stokes::run::NsRun;
    use crate::sims::navier_stokes::{NsCase, NsParams, NsSolver, PressureKind};
    let Ok(ctx) = pollster::block_on(crate::gpu::GpuContext::headless(true)) else {
        println!("(no GPU adapter: GPU rows skipped)");
        return;
    };
    println!();
    println!(
        "full time steps on the GPU, f32 ({}): cavity Re 1000 with multigrid to 1e-6, \
         decaying turbulence (periodic) with the FFT pressure solve and spectrally:",
        ctx.describe()
    );
    println!(
        "{:>6} {:<34} {:>8} {:>12} {:>14} pressure iterations",
        "grid", "scheme", "steps", "ms/step", "cells/s"
    );
    let time = |p: NsParams, what: &str, steps: usize| {
        let run = NsRun::new(p).expect("run");
        let mut gpu = GpuFlow::from_run(&ctx, &run).expect("uploads");
        let mut go = |steps: usize| {
            ctx.run_in_batches(steps, 16, |encoder, count| gpu.encode(encoder, count))
                .expect("runs");
        };
        go(3);
        let start = Instant::now();
        go(steps);
        let seconds = start.elapsed().as_secs_f64();
        let note = gpu
            .pressure_iterations()
            .map_or("— (no pressure solve)".to_owned(), |i| {
                format!("{i} per projection")
            });
        step_row(run.params().n, what, steps, seconds, &note);
    };
    for n in scale.pick(&[128usize, 256], &[32]) {
        let steps = if n > 128 { 5 } else { 10 };
        for scheme in TimeScheme::ALL {
            let mut p = NsCase::Cavity.defaults();
            p.n = n;
            p.reynolds = 1000.0;
            p.solver = NsSolver::Mac(scheme);
            time(p, &format!("MAC {scheme:?} + multigrid"), steps);
        }
        let mut p = NsCase::Turbulence.defaults();
        p.n = n;
        p.solver = NsSolver::Mac(TimeScheme::SspRk3);
        p.pressure = PressureKind::Fft;
        time(p.clone(), "MAC SspRk3 + FFT (periodic)", steps);
        for scheme in [SpectralScheme::Rk4, SpectralScheme::IntegratingFactorRk4] {
            p.solver = NsSolver::Spectral(scheme);
            time(p.clone(), &format!("spectral {scheme:?}"), steps);
        }
    }
}

fn full_steps(scale: Scale) {
    println!("full time steps, CPU f64 (cell updates per second = cells × steps / seconds):");
    println!(
        "{:>6} {:<34} {:>8} {:>12} {:>14}",
        "grid", "scheme", "steps", "ms/step", "cells/s"
    );
    for n in scale.pick(&[128usize, 256], &[32]) {
        let lid = Axis::Bounded {
            low: Side::WALL,
            high: Side::NoSlip { slide: 1.0 },
        };
        let grid = MacGrid::new(n, n, 1.0 / n as f64, Axis::WALLS, lid).expect("grid");
        for scheme in TimeScheme::ALL {
            let mut vel = grid.rest();
            let mut phi = vec![0.0; n * n];
            let nu = 1e-3;
            let dt = grid.step_limits(&vel, nu, 0.5, scheme).dt;
            // Spin up first so the pressure warm start is representative.
            for _ in 0..20 {
                grid.step(
                    scheme,
                    &mut vel,
                    &mut phi,
                    dt,
                    nu,
                    PressureSolver::Multigrid,
                    1e-6,
                )
                .expect("steps");
            }
            let steps = if n > 128 { 10 } else { 30 };
            let start = Instant::now();
            for _ in 0..steps {
                grid.step(
                    scheme,
                    &mut vel,
                    &mut phi,
                    dt,
                    nu,
                    PressureSolver::Multigrid,
                    1e-6,
                )
                .expect("steps");
            }
            let seconds = start.elapsed().as_secs_f64();
            step_row(
                n,
                &format!("MAC {scheme:?} + multigrid"),
                steps,
                seconds,
                "",
            );
        }
        for scheme in [SpectralScheme::Rk4, SpectralScheme::IntegratingFactorRk4] {
            let params = VorticityParams {
                nu: 1e-3,
                drag: 0.0,
                forcing: 0.0,
                forcing_wavenumber: 4,
            };
            let mut eq = VorticityEquation::new(n, params).expect("equation");
            let mut rng = SeededRng::new(2);
            let field: Vec<f64> = (0..n * n).map(|_| rng.normal()).collect();
            let mut w = eq.to_spectral(&field);
            let mut stepper = SpectralStepper::new(scheme, n);
            let steps = if n > 128 { 10 } else { 30 };
            let start = Instant::now();
            for s in 0..steps {
                stepper
                    .step(&mut eq, s as f64 * 1e-3, 1e-3, &mut w)
                    .expect("steps");
            }
            let seconds = start.elapsed().as_secs_f64();
            step_row(n, &format!("spectral {scheme:?}"), steps, seconds, "");
        }
    }
}

fn pressure_solvers(scale: Scale) {
    const TOL: f64 = 1e-8;
    for (name, boundary) in [
        ("periodic", AxisBoundary::Periodic),
        ("walls (Neumann)", AxisBoundary::NEUMANN),
    ] {
        println!("pressure Poisson solve to relative residual {TOL:e}, {name}:");
        println!(
            "{:>6} {:<22} {:>9} {:>14} {:>12} {:>12}",
            "grid", "solver", "iter.", "cell ops", "ops/cell", "seconds"
        );
        for n in scale.pick(&[128usize, 256, 512], &[32]) {
            let g = PoissonGrid::new(n, n, 1.0 / n as f64, boundary, boundary);
            let mut rng = SeededRng::new(1);
            let f: Vec<f64> = (0..n * n).map(|_| rng.normal()).collect();
            let omega = 2.0 / (1.0 + (std::f64::consts::PI / n as f64).sin());
            let mut solvers = vec![
                (
                    "Jacobi (≤ 5000 sweeps)".to_owned(),
                    PressureSolver::Jacobi,
                    5_000,
                ),
                (
                    format!("red–black SOR ω={omega:.4}"),
                    PressureSolver::RedBlackSor { omega },
                    200_000,
                ),
                (
                    "multigrid V(2,2)".to_owned(),
                    PressureSolver::Multigrid,
                    200,
                ),
            ];
            if boundary == AxisBoundary::Periodic {
                solvers.push(("FFT".to_owned(), PressureSolver::Fft, 1));
            }
            for (label, solver, max) in solvers {
                if solver == PressureSolver::Jacobi && n > 128 {
                    continue;
                }
                let mut p = vec![0.0; n * n];
                let start = Instant::now();
                let report = g.solve(solver, &f, &mut p, TOL, max).expect("solves");
                let seconds = start.elapsed().as_secs_f64();
                println!(
                    "{:>6} {:<22} {:>9} {:>14} {:>12.1} {:>12.4}{}",
                    format!("{n}²"),
                    label,
                    report.iterations,
                    report.work,
                    report.work as f64 / (n * n) as f64,
                    seconds,
                    if report.converged {
                        String::new()
                    } else {
                        format!("  (not converged: residual {:.1e})", report.residual)
                    }
                );
            }
        }
        println!();
    }
}

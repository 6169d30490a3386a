//! Navier–Stokes benchmark (`cargo bench --bench navier_stokes`), so far the pressure Poisson
//! solvers: the work (cell operations), iterations and wall time each solver needs to reduce
//! the relative residual of a random zero-mean right-hand side to 1e-8 at 128², 256², 512²,
//! on a fully periodic grid (where the FFT applies) and with solid walls.

use std::time::Instant;

use stepscope::core::rng::SeededRng;
use stepscope::sims::navier_stokes::poisson::{AxisBoundary, PoissonGrid, PressureSolver};

fn main() {
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
        for n in [128usize, 256, 512] {
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

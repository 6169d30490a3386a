//! The MAC schemes' orders on Taylor–Green and the pressure solvers' agreement.
use super::*;

/// Runs the Taylor–Green vortex to `t_end` at CFL 0.4; returns (max error, max |∇·u|,
/// energy ratio E(t)/E(0)).
fn run_taylor_green(
    n: usize,
    scheme: TimeScheme,
    solver: PressureSolver,
    t_end: f64,
) -> (f64, f64, f64) {
    let nu = 0.05;
    let grid = MacGrid::periodic(n, n, std::f64::consts::TAU / n as f64).expect("grid");
    let mut vel = taylor_green(&grid, 0.0, nu);
    let mut phi = vec![0.0; n * n];
    let limits = grid.step_limits(&vel, nu, 0.4, scheme);
    let steps = (t_end / limits.dt).ceil() as usize;
    let dt = t_end / steps as f64;
    let mut worst_divergence: f64 = 0.0;
    for _ in 0..steps {
        grid.step(scheme, &mut vel, &mut phi, dt, nu, solver, 1e-10)
            .expect("steps");
        worst_divergence = worst_divergence.max(grid.max_divergence(&vel));
    }
    let exact = taylor_green(&grid, t_end, nu);
    let error = vel
        .u
        .iter()
        .chain(&vel.v)
        .zip(exact.u.iter().chain(&exact.v))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let energy_ratio =
        grid.kinetic_energy(&vel) / grid.kinetic_energy(&taylor_green(&grid, 0.0, nu));
    (error, worst_divergence, energy_ratio)
}

#[test]
fn taylor_green_converges_at_each_schemes_order_and_stays_divergence_free() {
    let t_end = 1.0;
    // (scheme, expected order, error bound at 64²)
    let cases = [
        (TimeScheme::SspRk3, 2.0, 2e-4),
        (TimeScheme::SspRk2, 2.0, 2e-4),
        // Advection then projection is a first-order splitting in time: the semi-Lagrangian
        // family converges at first order with Δt ∝ h; the corrections cut the constant.
        (TimeScheme::MacCormack, 1.0, 6e-3),
        (TimeScheme::Bfecc, 1.0, 6e-3),
        (TimeScheme::SemiLagrangian, 1.0, 5e-2),
    ];
    let mut finest = Vec::new();
    for (scheme, order, bound) in cases {
        let mut errors = Vec::new();
        for n in [16, 32, 64] {
            let (error, divergence, energy) =
                run_taylor_green(n, scheme, PressureSolver::Fft, t_end);
            if !scheme.is_semi_lagrangian() {
                // Central differences conserve energy: the decay is e^{−4νt} exactly.
                let expected = (-4.0 * 0.05 * t_end).exp();
                assert!(
                    (energy / expected - 1.0).abs() < 0.02,
                    "{scheme:?} n {n}: energy ratio {energy} vs {expected}"
                );
            }
            assert!(
                divergence < 1e-9,
                "{scheme:?} n {n}: max |∇·u| = {divergence}"
            );
            errors.push(error);
        }
        let orders: Vec<f64> = errors.windows(2).map(|w| (w[0] / w[1]).log2()).collect();
        println!(
            "Taylor–Green {scheme:?} ν = 0.05, t = {t_end}: max errors {:?} at 16², 32², 64²; orders {orders:.3?}",
            errors
                .iter()
                .map(|e| format!("{e:.3e}"))
                .collect::<Vec<_>>()
        );
        finest.push(errors[2]);
        assert!(errors[2] < bound, "{scheme:?}: {errors:?}");
        assert!(
            (orders[1] - order).abs() < 0.35,
            "{scheme:?}: errors {errors:?}, orders {orders:?}"
        );
    }
    // The corrections remove most of plain semi-Lagrangian's numerical diffusion.
    assert!(
        finest[2] < finest[4] / 4.0 && finest[3] < finest[4] / 4.0,
        "{finest:?}"
    );
}

#[test]
fn the_pressure_solvers_give_the_same_flow() {
    let (fft, ..) = run_taylor_green(32, TimeScheme::SspRk3, PressureSolver::Fft, 0.5);
    let (mg, div_mg, _) = run_taylor_green(32, TimeScheme::SspRk3, PressureSolver::Multigrid, 0.5);
    assert!((fft - mg).abs() < 1e-8, "{fft} vs {mg}");
    assert!(div_mg < 1e-8);
}

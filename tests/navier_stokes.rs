//! Navier–Stokes on the MAC grid against published and exact truths: the lid-driven cavity
//! against Ghia, Ghia & Shin (1982), projection with obstacles.

use stepscope::sims::navier_stokes::mac::{
    Axis, MacGrid, Side, TimeScheme, Velocity, interpolate_profile,
};
use stepscope::sims::navier_stokes::poisson::PressureSolver;
use stepscope::sims::navier_stokes::reference::{GHIA_X, GHIA_Y, ghia_table};

/// The unit lid-driven cavity at `re` on n² cells.
fn cavity_grid(n: usize) -> MacGrid {
    let lid = Axis::Bounded {
        low: Side::WALL,
        high: Side::NoSlip { slide: 1.0 },
    };
    MacGrid::new(n, n, 1.0 / n as f64, Axis::WALLS, lid).expect("grid")
}

/// Runs `grid` from `vel` with SSP-RK3 until the velocity changes by less than `steady` per
/// unit time (max norm); returns the time taken.
fn run_to_steady(grid: &MacGrid, vel: &mut Velocity, re: f64, steady: f64, t_max: f64) -> f64 {
    let nu = 1.0 / re;
    let mut phi = vec![0.0; grid.nx * grid.ny];
    let mut t = 0.0;
    while t < t_max {
        let dt = 0.9 * grid.step_limits(vel, nu, 1.0, TimeScheme::SspRk3).dt;
        let before = vel.clone();
        grid.step(
            TimeScheme::SspRk3,
            vel,
            &mut phi,
            dt,
            nu,
            PressureSolver::Multigrid,
            1e-7,
        )
        .expect("steps");
        t += dt;
        let change = max_difference(vel, &before) / dt;
        if change < steady {
            return t;
        }
    }
    panic!("no steady state by t = {t_max}");
}

fn max_difference(a: &Velocity, b: &Velocity) -> f64 {
    a.u.iter()
        .chain(&a.v)
        .zip(b.u.iter().chain(&b.v))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn the_cavity_at_re_100_matches_ghias_centre_lines() {
    // Steady state on 64² first, then on 128² from its interpolation (the slow large-scale
    // transient is settled once, on the cheap grid).
    let coarse = cavity_grid(64);
    let mut coarse_vel = coarse.rest();
    let t_coarse = run_to_steady(&coarse, &mut coarse_vel, 100.0, 1e-4, 60.0);
    let grid = cavity_grid(128);
    let mut vel = grid.sample(
        |x, y| coarse.velocity_at(&coarse_vel, x, y).0,
        |x, y| coarse.velocity_at(&coarse_vel, x, y).1,
    );
    let t = run_to_steady(&grid, &mut vel, 100.0, 1e-4, 60.0);
    println!("steady on 64² at t = {t_coarse:.2}, then on 128² after t = {t:.2} more");
    let (u_table, v_table) = ghia_table(100.0).expect("table");
    let u_profile = grid.u_profile_at_x(&vel, 0.5);
    let v_profile = grid.v_profile_at_y(&vel, 0.5);
    let mut worst: f64 = 0.0;
    for (y, u) in GHIA_Y.iter().zip(u_table) {
        let ours = interpolate_profile(&u_profile, *y);
        println!("y {y:.4}: u {ours:+.5} Ghia {u:+.5} Δ {:+.5}", ours - u);
        worst = worst.max((ours - u).abs());
    }
    for (x, v) in GHIA_X.iter().zip(v_table) {
        let ours = interpolate_profile(&v_profile, *x);
        println!("x {x:.4}: v {ours:+.5} Ghia {v:+.5} Δ {:+.5}", ours - v);
        worst = worst.max((ours - v).abs());
    }
    println!("max |Δ| = {worst:.4}");
    assert!(worst < 0.02);
}

/// A rough velocity field: every face random (not divergence-free), boundaries applied.
fn rough_velocity(grid: &MacGrid, seed: u64) -> Velocity {
    let mut rng = stepscope::core::rng::SeededRng::new(seed);
    let mut vel = grid.rest();
    vel.u
        .iter_mut()
        .chain(vel.v.iter_mut())
        .for_each(|x| *x = rng.normal());
    grid.apply_boundaries(&mut vel);
    vel
}

/// A disc of solid cells.
fn disc(grid: &MacGrid, cx: f64, cy: f64, r: f64) -> Vec<bool> {
    (0..grid.nx * grid.ny)
        .map(|k| {
            let x = ((k % grid.nx) as f64 + 0.5) * grid.h;
            let y = ((k / grid.nx) as f64 + 0.5) * grid.h;
            (x - cx).hypot(y - cy) < r
        })
        .collect()
}

fn l2(values: &[f64]) -> f64 {
    values.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// After projection the discrete divergence is exactly Δt times the Poisson residual, so its
/// norm is at most the solver tolerance times the divergence before — for every boundary kind
/// and with obstacles (the gradient, the divergence and the Poisson operator are consistent).
#[test]
fn projection_leaves_divergence_below_the_solver_tolerance() {
    let inflow = Axis::Bounded {
        low: Side::Inflow { speed: 1.0 },
        high: Side::Outflow,
    };
    let cases: Vec<(&str, MacGrid, bool)> = vec![
        ("cavity", cavity_grid(64), false),
        (
            "periodic + disc",
            MacGrid::periodic(64, 64, 1.0 / 64.0).expect("grid"),
            true,
        ),
        (
            "channel + disc",
            MacGrid::new(128, 32, 1.0 / 32.0, inflow, Axis::WALLS).expect("grid"),
            true,
        ),
        (
            "free-slip box + disc",
            MacGrid::new(
                64,
                64,
                1.0 / 64.0,
                Axis::Bounded {
                    low: Side::FreeSlip,
                    high: Side::FreeSlip,
                },
                Axis::WALLS,
            )
            .expect("grid"),
            true,
        ),
    ];
    for (name, mut grid, with_disc) in cases {
        if with_disc {
            let mask = disc(&grid, 0.5, 0.5, 0.15);
            grid.set_solid(&mask).expect("mask");
        }
        for (solver, tol) in [
            (PressureSolver::Multigrid, 1e-9),
            (PressureSolver::RedBlackSor { omega: 1.9 }, 1e-6),
            (PressureSolver::Jacobi, 5e-2),
        ] {
            let mut vel = rough_velocity(&grid, 7);
            let before = l2(&grid.divergence(&vel));
            let mut phi = vec![0.0; grid.nx * grid.ny];
            let report = grid
                .project(&mut vel, &mut phi, 0.01, solver, tol)
                .expect("projects");
            let after = l2(&grid.divergence(&vel));
            println!(
                "{name} {solver:?}: ‖∇·u‖ {before:.3e} → {after:.3e} ({} iterations, residual {:.2e})",
                report.iterations, report.residual
            );
            assert!(report.converged, "{name} {solver:?}: {report:?}");
            assert!(
                after <= tol * before * (1.0 + 1e-6),
                "{name} {solver:?}: {after:e} > {tol:e} × {before:e}"
            );
        }
    }
}

/// Multigrid keeps converging with an obstacle in the way (the coarse levels see a smaller
/// obstacle): at least 3× per V-cycle on average, to 1e-10.
#[test]
fn multigrid_converges_around_obstacles() {
    let mut grid = cavity_grid(128);
    let mask = disc(&grid, 0.4, 0.55, 0.2);
    grid.set_solid(&mask).expect("mask");
    let vel = rough_velocity(&grid, 3);
    let f = grid.divergence(&vel);
    let mut p = vec![0.0; 128 * 128];
    let report = grid
        .poisson()
        .solve(PressureSolver::Multigrid, &f, &mut p, 1e-10, 100)
        .expect("solves");
    let rate = report.residual.powf(1.0 / report.iterations as f64);
    println!("multigrid around a disc, 128²: {report:?}, mean factor {rate:.3}");
    assert!(report.converged && rate < 1.0 / 3.0, "{report:?}");
}

/// A uniform inflow into a channel between no-slip walls develops the Poiseuille profile
/// u = 6 U y (H − y)/H² (centre 1.5 U) downstream.
#[test]
fn channel_flow_develops_the_poiseuille_profile() {
    let inflow = Axis::Bounded {
        low: Side::Inflow { speed: 1.0 },
        high: Side::Outflow,
    };
    let (nx, ny) = (96, 24);
    let grid = MacGrid::new(nx, ny, 1.0 / ny as f64, inflow, Axis::WALLS).expect("grid");
    let mut vel = grid.rest();
    let t = run_to_steady(&grid, &mut vel, 10.0, 1e-4, 40.0);
    let x = 3.5;
    let profile = grid.u_profile_at_x(&vel, x);
    let worst = profile
        .iter()
        .map(|(y, u)| (u - 6.0 * y * (1.0 - y)).abs())
        .fold(0.0, f64::max);
    println!("Poiseuille at x = {x}, steady at t = {t:.2}: max |u − 6y(1−y)| = {worst:.4}");
    // Second-order discretisation on 24 cells across.
    assert!(worst < 0.01, "{worst}");
    // The whole inflow leaves through the outlet.
    let outflow: f64 = (0..ny).map(|j| vel.u[nx + (nx + 1) * j] * grid.h).sum();
    assert!((outflow - 1.0).abs() < 1e-6, "outflow {outflow}");
}

/// Decaying 2D turbulence (pseudo-spectral, 128², integrating-factor RK4): energy is nearly
/// conserved while enstrophy decays (the dual cascade of Kraichnan 1967 and Batchelor 1969),
/// and the spectrum below the dissipation range falls like k^-3 (steeper in decaying runs,
/// where coherent vortices form: McWilliams 1984).
#[test]
fn decaying_turbulence_cascades_to_a_k_minus_3_spectrum() {
    const NU: f64 = 5e-5;
    const K_LOW: usize = 8;
    const K_HIGH: usize = 24;
    use stepscope::core::rng::SeededRng;
    use stepscope::sims::navier_stokes::spectral::{
        SpectralScheme, SpectralStepper, VorticityEquation, VorticityParams, spectral_step_limit,
        wavenumber,
    };
    const T_END: f64 = 20.0;
    let n = 128;
    let params = VorticityParams {
        nu: NU,
        drag: 0.0,
        forcing: 0.0,
        forcing_wavenumber: 4,
    };
    let mut eq = VorticityEquation::new(n, params).expect("equation");
    // Random phases, |ω̂| ∝ k^{3/2} e^{−k²/2k₀²}: the shell energy spectrum E(k) ∝ k² e^{−(k/k₀)²}.
    let mut rng = SeededRng::new(11);
    let k0 = 6.0;
    let mut w_hat = vec![rustfft::num_complex::Complex64::default(); n * n];
    for (k, c) in w_hat.iter_mut().enumerate() {
        let (kx, ky) = (wavenumber(k % n, n), wavenumber(k / n, n));
        let kk = kx.hypot(ky);
        if kk > 0.0 && kk < n as f64 / 3.0 {
            let amplitude = kk.powf(1.5) * (-(kk / k0).powi(2) / 2.0).exp();
            *c = amplitude
                * rustfft::num_complex::Complex64::from_polar(
                    1.0,
                    std::f64::consts::TAU * rng.uniform(),
                );
        }
    }
    // A real field: keep the real part of its transform's inverse, re-transformed.
    let field = eq.vorticity(&w_hat);
    let mut w = eq.to_spectral(&field);
    let scale = (0.5 / eq.energy(&w)).sqrt();
    w.iter_mut().for_each(|c| *c *= scale);
    let (e0, z0) = (eq.energy(&w), eq.enstrophy(&w));
    let scheme = SpectralScheme::IntegratingFactorRk4;
    let mut stepper = SpectralStepper::new(scheme, n);
    let mut t = 0.0;
    // ∫ 2νZ dt by the trapezoidal rule: the energy budget dE/dt = −2νZ holds exactly for the
    // dealiased semi-discrete system.
    let mut dissipated = 0.0;
    while t < T_END {
        let (dt, _) = spectral_step_limit(&mut eq, &w, 0.8, scheme);
        let z_before = eq.enstrophy(&w);
        stepper.step(&mut eq, t, dt, &mut w).expect("steps");
        dissipated += params.nu * dt * (z_before + eq.enstrophy(&w));
        t += dt;
    }
    let (e1, z1) = (eq.energy(&w), eq.enstrophy(&w));
    let spectrum = eq.energy_spectrum(&w);
    // Least-squares slope of log E against log k over the inertial range.
    let range: Vec<(f64, f64)> = (K_LOW..=K_HIGH)
        .map(|k| ((k as f64).ln(), spectrum[k].ln()))
        .collect();
    let mean_x = range.iter().map(|p| p.0).sum::<f64>() / range.len() as f64;
    let mean_y = range.iter().map(|p| p.1).sum::<f64>() / range.len() as f64;
    let slope = range
        .iter()
        .map(|(x, y)| (x - mean_x) * (y - mean_y))
        .sum::<f64>()
        / range.iter().map(|(x, _)| (x - mean_x).powi(2)).sum::<f64>();
    println!(
        "decaying turbulence to t = {t:.1}: E {e0:.4} → {e1:.4}, Z {z0:.2} → {z1:.2}, spectrum slope over k = {K_LOW}…{K_HIGH}: {slope:.2}"
    );
    let budget = (e0 - e1 - dissipated) / e0;
    println!(
        "energy budget: E₀ − E₁ = {:.5}, ∫2νZ dt = {dissipated:.5}, mismatch {budget:.1e}",
        e0 - e1
    );
    assert!(budget.abs() < 1e-4, "energy budget off by {budget}");
    // Enstrophy cascades to the dissipation scales, energy does not: it loses a far larger
    // fraction.
    assert!(
        1.0 - z1 / z0 > 4.0 * (1.0 - e1 / e0),
        "E {e0} → {e1}, Z {z0} → {z1}"
    );
    assert!((-4.2..-2.8).contains(&slope), "spectrum slope {slope}");
}

mod live_runs {
    use stepscope::sims::navier_stokes::mac::TimeScheme;
    use stepscope::sims::navier_stokes::run::{FieldKind, NsRun};
    use stepscope::sims::navier_stokes::scenario::strouhal_reference;
    use stepscope::sims::navier_stokes::{NsCase, NsParams, NsSolver, PressureKind};

    fn small(case: NsCase) -> NsParams {
        let mut p = case.defaults();
        p.n = match case {
            NsCase::Channel => 16,
            _ => 32,
        };
        p
    }

    /// Every scenario runs under every solver that applies to it, stays finite and (MAC)
    /// divergence-free to the pressure tolerance's order.
    #[test]
    fn every_scenario_runs_with_every_applicable_solver() {
        for case in NsCase::ALL {
            for solver in NsSolver::ALL {
                let mut p = small(case);
                p.solver = solver;
                if !case.is_periodic() && p.pressure == PressureKind::Fft {
                    p.pressure = PressureKind::Multigrid;
                }
                if p.validate().is_err() {
                    // The spectral solver on a walled scenario: refused with a message.
                    assert!(
                        solver.is_spectral() && !case.is_periodic(),
                        "{case:?} {solver:?}"
                    );
                    assert!(NsRun::new(p).is_err());
                    continue;
                }
                let mut run = NsRun::new(p).expect("starts");
                let taken = run.advance(5, f64::INFINITY);
                assert_eq!(taken, 5, "{case:?} {solver:?}: {:?}", run.failure());
                let last = run.history().last().expect("history");
                assert!(last.energy.is_finite() && last.enstrophy.is_finite());
                assert!(last.dt > 0.0 && last.cfl <= 1.01 * run.params().cfl + 1e-12);
                let speed_scale = 1.0 / (last.dt.max(1e-12));
                assert!(
                    last.max_divergence < 1e-3 * speed_scale,
                    "{case:?} {solver:?}: max |∇·u| {}",
                    last.max_divergence
                );
                for kind in [
                    FieldKind::Vorticity,
                    FieldKind::Speed,
                    FieldKind::Pressure,
                    FieldKind::Dye,
                ] {
                    let image = run.field(kind);
                    assert_eq!(image.values.len(), image.width * image.height);
                    assert!(image.values.iter().any(|v| v.is_finite()));
                }
            }
        }
    }

    /// Switching the solver keeps the flow: MAC → spectral → MAC on Taylor–Green keeps the
    /// energy and the error against the exact decay small.
    #[test]
    fn switching_solvers_keeps_the_flow() {
        let mut p = NsCase::TaylorGreen.defaults();
        p.n = 64;
        let mut run = NsRun::new(p.clone()).expect("starts");
        run.advance(20, f64::INFINITY);
        for solver in [
            NsSolver::Spectral(
                stepscope::sims::navier_stokes::spectral::SpectralScheme::IntegratingFactorRk4,
            ),
            NsSolver::Mac(stepscope::sims::navier_stokes::mac::TimeScheme::MacCormack),
            NsSolver::Mac(stepscope::sims::navier_stokes::mac::TimeScheme::SspRk2),
        ] {
            let mut q = run.params().clone();
            q.solver = solver;
            let next = run.with_params(q).expect("switches");
            assert_eq!(next.time(), run.time());
            let e = next.history().last().expect("history").energy;
            let before = *run.history().last().expect("history");
            run = next;
            run.advance(10, f64::INFINITY);
            let now = *run.history().last().expect("history");
            println!(
                "→ {solver:?}: E {:.6} (before the switch {:.6}), error {:.2e}",
                now.energy, before.energy, now.error
            );
            assert!(
                (e / before.energy - 1.0).abs() < 0.02,
                "{solver:?}: {e} vs {}",
                before.energy
            );
            assert!(now.error < 2e-2, "{solver:?}: error {}", now.error);
        }
    }

    /// The Kolmogorov forcing on the MAC grid follows the exact laminar spin-up.
    #[test]
    fn kolmogorov_spin_up_on_the_mac_grid() {
        let mut p = NsCase::Kolmogorov.defaults();
        p.n = 64;
        p.solver = NsSolver::Mac(stepscope::sims::navier_stokes::mac::TimeScheme::SspRk3);
        let mut run = NsRun::new(p).expect("starts");
        run.advance(100_000, 1.0);
        let last = run.history().last().expect("history");
        // Amplitude at t = 1: F/(νk²)(1 − e^{−νk²t}) with ν = 1/40, k = 4.
        let amplitude = 1.0 / (16.0 / 40.0) * (1.0 - (-16.0f64 / 40.0).exp());
        println!(
            "Kolmogorov MAC 64², t = {:.3}: error {:.3e} of amplitude {amplitude:.3}",
            last.t, last.error
        );
        assert!(last.error < 0.01 * amplitude, "{}", last.error);
    }

    /// The cylinder's wake sheds vortices at the Strouhal number of experiments
    /// (Fey, König & Eckelmann 1998: 0.1648 at Re = 100), within 5% at 6 cells per diameter.
    #[test]
    fn the_cylinder_sheds_at_the_measured_strouhal_number() {
        let mut p = NsCase::Cylinder.defaults();
        p.n = 48;
        let mut run = NsRun::new(p).expect("starts");
        run.advance(1_000_000, 100.0);
        assert!(run.failure().is_none(), "{:?}", run.failure());
        let st = run.strouhal().expect("shedding");
        let reference = strouhal_reference(100.0).expect("in range");
        println!("cylinder Re = 100, 96 × 48 cells: St = {st:.4} (reference {reference:.4})");
        assert!(
            (st / reference - 1.0).abs() < 0.05,
            "St {st} vs {reference}"
        );
    }

    /// Painting an obstacle and pushing the fluid: the mask joins the parameters, the flow
    /// stays divergence-free, the push adds energy and dye; the spectral solver refuses
    /// obstacles with a message.
    /// A step spread over pieces (as the live page does, a stage with its projection per
    /// piece, then the dye and diagnostics) is the same step, bit for bit; an edit between
    /// pieces restarts the step from the edited state.
    #[test]
    fn steps_in_pieces_are_the_same_steps() {
        for solver in [
            NsSolver::Mac(TimeScheme::SspRk3),
            NsSolver::Mac(TimeScheme::SspRk2),
            NsSolver::Mac(TimeScheme::MacCormack),
            NsSolver::Mac(TimeScheme::SemiLagrangian),
        ] {
            let params = NsParams {
                solver,
                ..small(NsCase::Cavity)
            };
            let mut whole = NsRun::new(params.clone()).expect("starts");
            let mut pieces = NsRun::new(params).expect("starts");
            whole.advance(6, f64::INFINITY);
            let mut count = 0;
            while pieces.steps() < 6 {
                assert!(pieces.advance_piece().is_some(), "{:?}", pieces.failure());
                count += 1;
            }
            let stages = match solver {
                NsSolver::Mac(TimeScheme::SspRk3) => 3,
                NsSolver::Mac(TimeScheme::SspRk2) => 2,
                _ => 1,
            };
            // Each step: per stage its prediction and pressure iterations (each V-cycle a
            // piece), then the dye's two MacCormack passes (one semi-Lagrangian pass for that
            // scheme), the last with the diagnostics.
            let dye = if solver == NsSolver::Mac(TimeScheme::SemiLagrangian) {
                1
            } else {
                2
            };
            let iterations: usize = whole.history().iter().map(|p| p.pressure_iterations).sum();
            assert_eq!(count, 6 * (stages + dye) + iterations, "{solver:?}");
            // (Debug text: the first point's pressure residual is NaN.)
            let text = |run: &NsRun| format!("{:?}", run.history());
            assert_eq!(text(&pieces), text(&whole), "{solver:?}");
            assert_eq!(
                pieces.field(FieldKind::Dye).values,
                whole.field(FieldKind::Dye).values
            );
            // A push between the pieces of a step: the step starts again from the pushed flow.
            pieces.advance_piece();
            pieces.inject(0.3, 0.6, 1.0, 0.0, 0.1);
            whole.inject(0.3, 0.6, 1.0, 0.0, 0.1);
            pieces.advance(2, f64::INFINITY);
            whole.advance(2, f64::INFINITY);
            assert_eq!(text(&pieces), text(&whole), "{solver:?}");
        }
    }

    /// A run that stops advancing its dye (the CLI's rows, races) takes the same steps and
    /// measures the same flow; its dye stays put, and its checkpoint is refused.
    #[test]
    fn dropping_the_dye_leaves_the_flow_and_refuses_checkpoints() {
        use stepscope::sims::run::Run;
        for (case, solver) in [
            (NsCase::Cavity, NsSolver::Mac(TimeScheme::SspRk3)),
            (NsCase::Cavity, NsSolver::Mac(TimeScheme::SemiLagrangian)),
            (
                NsCase::Turbulence,
                NsSolver::Spectral(
                    stepscope::sims::navier_stokes::spectral::SpectralScheme::IntegratingFactorRk4,
                ),
            ),
        ] {
            let params = NsParams {
                solver,
                ..small(case)
            };
            let mut carried = NsRun::new(params.clone()).expect("starts");
            let mut dropped = NsRun::new(params).expect("starts");
            let dye0 = dropped.field(FieldKind::Dye).values;
            Run::drop_view_only_state(&mut dropped);
            assert!(!dropped.carries_dye());
            carried.advance(5, f64::INFINITY);
            dropped.advance(5, f64::INFINITY);
            let text = |run: &NsRun| format!("{:?}", run.history());
            assert_eq!(text(&dropped), text(&carried), "{solver:?}");
            assert_eq!(dropped.state_vector(), carried.state_vector(), "{solver:?}");
            assert_eq!(dropped.field(FieldKind::Dye).values, dye0, "{solver:?}");
            assert_ne!(carried.field(FieldKind::Dye).values, dye0, "{solver:?}");
            let refused = Run::checkpoint_state(&dropped).expect_err("incomplete state");
            assert!(refused.contains("dye"), "{refused}");
            assert!(Run::checkpoint_state(&carried).is_ok());
        }
    }

    #[test]
    fn painting_obstacles_and_pushing_the_fluid() {
        let mut run = NsRun::new(small(NsCase::Cavity)).expect("starts");
        run.advance(10, f64::INFINITY);
        run.paint(0.5, 0.4, 0.1, true).expect("paints");
        let mask = run.params().mask.clone().expect("mask recorded");
        assert!(mask.solid.iter().filter(|s| **s).count() > 20);
        let e0 = run.history().last().expect("history").energy;
        let dye0: f32 = run
            .field(FieldKind::Dye)
            .values
            .iter()
            .filter(|v| v.is_finite())
            .sum();
        run.inject(0.2, 0.7, 2.0, 0.0, 0.08);
        run.advance(3, f64::INFINITY);
        let last = *run.history().last().expect("history");
        assert!(run.failure().is_none());
        assert!(last.energy > e0, "{} vs {e0}", last.energy);
        assert!(last.max_divergence < 1e-2, "{}", last.max_divergence);
        let dye1: f32 = run
            .field(FieldKind::Dye)
            .values
            .iter()
            .filter(|v| v.is_finite())
            .sum();
        assert!(dye1 > dye0);
        // Erasing restores the fluid.
        run.paint(0.5, 0.4, 0.2, false).expect("erases");
        assert!(run.params().mask.is_none());
        let mut spectral = NsRun::new(small(NsCase::Turbulence)).expect("starts");
        assert!(spectral.paint(1.0, 1.0, 0.3, true).is_err());
    }
}

//! NLSE CPU reference against independent truths: exact solutions (soliton, Akhmediev
//! breather), convergence orders, conservation laws, analytic collision shifts and the
//! linear modulation-instability gain.

use stepscope::core::controller::ControllerKind;
use stepscope::sims::nlse::cpu::NlseCpu;
use stepscope::sims::nlse::scenarios;
use stepscope::sims::nlse::{NlseCase, NlseMethod, NlseParams};

fn run(params: NlseParams, t_end: f64) -> NlseCpu {
    let mut sim = NlseCpu::new(params).expect("valid parameters");
    let outcome = sim.advance(t_end, 10_000_000);
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(sim.stats().t, t_end);
    sim
}

fn soliton(method: NlseMethod, dt: f64) -> NlseParams {
    NlseParams {
        method,
        dt,
        ..NlseParams::for_case(NlseCase::Soliton)
    }
}

#[test]
fn soliton_error_against_exact_solution_per_method() {
    // (method, dt or initial dt, bound on the relative L2 error at t = 5)
    let cases = [
        (NlseMethod::StrangSplitStep, 0.005, 2e-4),
        (NlseMethod::Yoshida4SplitStep, 0.01, 1e-7),
        (NlseMethod::Rk4Ip, 0.01, 1e-7),
        (NlseMethod::Erk43Ip, 0.01, 1e-6),
        (NlseMethod::Dopri5Ip, 0.01, 1e-7),
        (NlseMethod::Tsit5Ip, 0.01, 1e-7),
        (NlseMethod::Dop853Ip, 0.01, 1e-8),
    ];
    for (method, dt, bound) in cases {
        let mut p = soliton(method, dt);
        p.rtol = 1e-9;
        p.atol = 1e-12;
        let sim = run(p, 5.0);
        let err = sim
            .diagnostics()
            .exact_error
            .expect("soliton has an exact solution");
        eprintln!("soliton {:?}: error {err:.3e}", method);
        assert!(err < bound, "{method:?}: {err:.3e} ≥ {bound:.0e}");
    }
}

#[test]
fn breather_error_against_exact_solution_per_method() {
    // Over the full growth and return of the breather: t ∈ [0, 12] ↔ τ ∈ [−6, 6].
    let cases = [
        (NlseMethod::StrangSplitStep, 0.002, 5e-4),
        (NlseMethod::Yoshida4SplitStep, 0.01, 1e-5),
        (NlseMethod::Rk4Ip, 0.01, 1e-5),
        (NlseMethod::Erk43Ip, 0.01, 1e-5),
        (NlseMethod::Dop853Ip, 0.01, 1e-7),
    ];
    for (method, dt, bound) in cases {
        let p = NlseParams {
            method,
            dt,
            rtol: 1e-10,
            atol: 1e-13,
            ..NlseParams::for_case(NlseCase::Breather)
        };
        let sim = run(p, 12.0);
        let err = sim
            .diagnostics()
            .exact_error
            .expect("breather has an exact solution");
        eprintln!("breather {:?}: error {err:.3e}", method);
        assert!(err < bound, "{method:?}: {err:.3e} ≥ {bound:.0e}");
    }
}

fn error_at(method: NlseMethod, dt: f64) -> f64 {
    // η ≠ v so the soliton's phase rotates (η = v = 1 cancels error terms of some methods).
    let p = NlseParams {
        controller: ControllerKind::Fixed,
        amplitude: 1.5,
        velocity: 0.5,
        ..soliton(method, dt)
    };
    run(p, 2.0).diagnostics().exact_error.unwrap_or(f64::NAN)
}

#[test]
fn fixed_step_methods_converge_at_their_order() {
    // The fixed-step methods; the adaptive ones are checked through their estimators below
    // (their propagated solutions are superconvergent on this problem until round-off).
    for (method, dt) in [
        (NlseMethod::StrangSplitStep, 0.05),
        (NlseMethod::Yoshida4SplitStep, 0.05),
        (NlseMethod::Rk4Ip, 0.05),
    ] {
        let (e1, e2) = (error_at(method, dt), error_at(method, dt / 2.0));
        let order = (e1 / e2).log2();
        eprintln!("{method:?}: errors {e1:.3e} {e2:.3e}, order {order:.2}");
        assert!(
            (order - f64::from(method.order())).abs() < 0.3,
            "{method:?}: measured order {order:.2}, theory {}",
            method.order()
        );
    }
}

#[test]
fn embedded_error_estimates_scale_at_their_order() {
    for (method, h, expected) in [
        (NlseMethod::Erk43Ip, 0.05, 4.0),
        (NlseMethod::Dopri5Ip, 0.05, 5.0),
        (NlseMethod::Tsit5Ip, 0.05, 5.0),
        (NlseMethod::Dop853Ip, 0.05, 8.0),
    ] {
        let estimate = |h: f64| {
            let p = NlseParams {
                controller: ControllerKind::Fixed,
                ..soliton(method, h)
            };
            let mut sim = NlseCpu::new(p).expect("valid");
            sim.advance(h, 1);
            sim.stats().last_error
        };
        let slope = (estimate(h) / estimate(h / 2.0)).log2();
        eprintln!("{method:?}: estimate slope {slope:.2}");
        assert!(
            (slope - expected).abs() < 0.3,
            "{method:?}: slope {slope:.2}, expected {expected}"
        );
    }
}

fn collision(method: NlseMethod) -> NlseParams {
    NlseParams {
        method,
        dt: 0.01,
        rtol: 1e-10,
        atol: 1e-13,
        ..NlseParams::for_case(NlseCase::TwoSoliton)
    }
}

#[test]
fn mass_is_conserved_over_the_collision() {
    for method in [
        NlseMethod::StrangSplitStep,
        NlseMethod::Yoshida4SplitStep,
        NlseMethod::Dop853Ip,
    ] {
        let sim = run(collision(method), 20.0);
        let drift = sim.diagnostics().mass_drift;
        eprintln!(
            "{method:?}: mass drift {drift:.3e}, H drift {:.3e}",
            sim.diagnostics().hamiltonian_drift
        );
        assert!(drift <= 1e-12, "{method:?}: mass drift {drift:.3e}");
    }
}

/// Holding the step while the controller's change is small (CVODE's fixed-step bounds) keeps
/// the accuracy of the adaptive run and builds the propagator tables a handful of times
/// instead of once per step.
#[test]
fn a_held_step_keeps_the_accuracy_and_saves_the_tables() {
    let mut adaptive = soliton(NlseMethod::Dop853Ip, 0.01);
    adaptive.rtol = 1e-9;
    adaptive.atol = 1e-12;
    let free = run(adaptive.clone(), 5.0);
    let held = run(
        NlseParams {
            hold: 1.5,
            ..adaptive
        },
        5.0,
    );
    let error = |sim: &NlseCpu| sim.diagnostics().exact_error.expect("exact soliton");
    let builds = |sim: &NlseCpu| sim.propagator_builds().expect("an interaction-picture run");
    eprintln!(
        "free: error {:.3e}, {} steps, {} table builds; held: error {:.3e}, {} steps, {} builds",
        error(&free),
        free.stats().accepted,
        builds(&free),
        error(&held),
        held.stats().accepted,
        builds(&held)
    );
    assert!(error(&held) < 1e-8, "held error {:.3e}", error(&held));
    assert!(builds(&free) > free.stats().accepted / 2);
    assert!(
        builds(&held) * 10 < held.stats().accepted,
        "{} builds over {} steps",
        builds(&held),
        held.stats().accepted
    );
    // The collision: mass to round-off over the interaction as without the hold.
    let collided = run(
        NlseParams {
            hold: 1.5,
            ..collision(NlseMethod::Dop853Ip)
        },
        20.0,
    );
    assert!(collided.diagnostics().mass_drift <= 1e-12);
}

#[test]
fn collision_position_shifts_match_inverse_scattering() {
    let p = collision(NlseMethod::Dop853Ip);
    let t_end = 20.0;
    let [(_, v1, x1), (_, v2, x2)] = scenarios::collision_solitons(&p);
    let (shift1, shift2) = scenarios::collision_shifts(&p);
    let mut sim = run(p.clone(), t_end);
    // Free flight positions; the solitons are ≥ 20 apart by now, so windows of ±8 separate them.
    let free1 = x1 + scenarios::lab_velocity(&p, v1) * t_end;
    let free2 = x2 + scenarios::lab_velocity(&p, v2) * t_end;
    let measured1 = sim.centroid(free1 - 8.0, free1 + 8.0) - free1;
    let measured2 = free2 - sim.centroid(free2 - 8.0, free2 + 8.0);
    eprintln!("shifts: measured {measured1:.5} {measured2:.5}, analytic {shift1:.5} {shift2:.5}");
    assert!(
        (measured1 - shift1).abs() < 0.01 * shift1,
        "soliton 1: {measured1} vs {shift1}"
    );
    assert!(
        (measured2 - shift2).abs() < 0.01 * shift2,
        "soliton 2: {measured2} vs {shift2}"
    );
}

#[test]
fn modulation_instability_grows_at_the_linear_gain() {
    let p = NlseParams {
        noise: 1e-8,
        method: NlseMethod::Dop853Ip,
        ..NlseParams::for_case(NlseCase::ModulationInstability)
    };
    let k_peak = scenarios::mi_peak_wavenumber(&p);
    let g_theory = scenarios::mi_gain(&p, k_peak);
    let mut sim = NlseCpu::new(p).expect("valid");
    let power_at_peak = |sim: &NlseCpu| {
        // Sum both sidebands ±K (mode 8 and N−8: L holds 8 periods of the peak sideband).
        let s = sim.spectrum();
        s[8].norm_sqr() + s[s.len() - 8].norm_sqr()
    };
    assert!((sim.grid().k[8] - k_peak).abs() < 1e-12);
    sim.advance(4.0, 1_000_000);
    let p1 = power_at_peak(&sim);
    sim.advance(10.0, 1_000_000);
    let p2 = power_at_peak(&sim);
    // Power grows like e^{2gt}.
    let g_measured = (p2 / p1).ln() / (2.0 * 6.0);
    eprintln!("MI gain: measured {g_measured:.4}, theory {g_theory:.4}");
    assert!(
        (g_measured / g_theory - 1.0).abs() < 0.03,
        "{g_measured} vs {g_theory}"
    );
}

#[test]
fn controller_rejects_a_forced_large_step_and_recovers() {
    let p = NlseParams {
        dt: 2.0,
        rtol: 1e-8,
        ..collision(NlseMethod::Erk43Ip)
    };
    let sim = run(p, 5.0);
    let stats = sim.stats();
    assert!(stats.rejected >= 1, "h = 2 must be rejected: {stats:?}");
    assert!(
        stats.rejected * 10 < stats.accepted,
        "must recover: {stats:?}"
    );
    assert!(sim.diagnostics().mass_drift < 1e-7);
}

#[test]
fn switching_solver_mid_run_continues_from_the_current_state() {
    let p = soliton(NlseMethod::Rk4Ip, 0.01);
    let mut sim = NlseCpu::new(p.clone()).expect("valid");
    sim.advance(1.0, 1_000_000);
    let restarted = sim
        .set_params(NlseParams {
            method: NlseMethod::Dop853Ip,
            ..p
        })
        .expect("valid");
    assert!(!restarted);
    assert_eq!(sim.stats().t, 1.0);
    sim.advance(3.0, 1_000_000);
    assert_eq!(sim.stats().t, 3.0);
    assert!(sim.diagnostics().exact_error.unwrap_or(1.0) < 1e-8);
}

#[test]
fn bad_parameters_are_rejected_with_the_field_named() {
    let bad = [
        NlseParams {
            n: 300,
            ..NlseParams::default()
        },
        NlseParams {
            rtol: f64::NAN,
            ..NlseParams::default()
        },
        NlseParams {
            dt: -1.0,
            ..NlseParams::default()
        },
        NlseParams {
            gamma: -1.0,
            ..NlseParams::default()
        },
    ];
    for p in bad {
        let err = NlseCpu::new(p).err().expect("must be rejected");
        assert!(
            err.contains("n =")
                || err.contains("rtol")
                || err.contains("dt")
                || err.contains("focusing"),
            "{err}"
        );
    }
}

#[test]
fn a_diverging_fixed_step_run_stops_with_a_message_and_keeps_the_last_good_state() {
    // |ψ| = 20 gives a nonlinear time scale 1/(γ|ψ|²) = 2.5e-3; RK4IP with h = 0.5 blows up
    // (to finite garbage first: the mass bound catches it before it reaches ∞).
    let p = NlseParams {
        amplitude: 20.0,
        method: NlseMethod::Rk4Ip,
        dt: 0.5,
        ..NlseParams::for_case(NlseCase::Gaussian)
    };
    let mut sim = NlseCpu::new(p).expect("valid");
    let outcome = sim.advance(100.0, 1000);
    let message = outcome.message().expect("the run must fail");
    assert!(message.contains("NaN"), "{message}");
    assert!(
        sim.field()
            .iter()
            .all(|z| z.re.is_finite() && z.im.is_finite())
    );
    assert!(sim.diagnostics().mass.is_finite());
    // Further calls report the same failure instead of stepping on.
    assert_eq!(sim.advance(200.0, 10), outcome);
    // Choosing an adaptive method continues from the last good state.
    let p2 = NlseParams {
        method: NlseMethod::Dopri5Ip,
        ..sim.params().clone()
    };
    sim.set_params(p2).expect("valid");
    let t = sim.stats().t;
    let outcome = sim.advance(t + 0.01, 1_000_000);
    assert!(outcome.is_ok(), "{outcome:?}");
    assert!(sim.diagnostics().mass_drift < 1e-6);
}

//! Three-body integrators against analytic truths, published values and conservation laws.

use stepscope::core::stats::Outcome;
use stepscope::sims::threebody::cpu::ThreeBodyCpu;
use stepscope::sims::threebody::scenarios::{
    self, BROUCKE_A2_ENERGY, BROUCKE_A2_PERIOD, FIGURE_EIGHT_ENERGY, FIGURE_EIGHT_PERIOD,
};
use stepscope::sims::threebody::{
    Body, StepMode, ThreeBodyCase, ThreeBodyMethod, ThreeBodyParams, norm3, sub3,
};

fn params(case: ThreeBodyCase, method: ThreeBodyMethod) -> ThreeBodyParams {
    ThreeBodyParams {
        method,
        ..ThreeBodyParams::for_case(case)
    }
}

fn run_to(p: ThreeBodyParams, t: f64) -> ThreeBodyCpu {
    let mut run = ThreeBodyCpu::new(p).expect("valid scenario");
    let outcome = run.advance_to(t, 100_000_000);
    assert_eq!(outcome, Outcome::Reached, "{:?}", run.params());
    run
}

#[test]
fn scenario_energies_match_published_values() {
    let eight = ThreeBodyCpu::new(ThreeBodyParams::for_case(ThreeBodyCase::FigureEight))
        .expect("valid scenario");
    // Simó's E = −1.287144 from 8-digit initial conditions.
    let e = eight.initial_energy();
    println!("figure-eight E0 = {e:.10} (published {FIGURE_EIGHT_ENERGY})");
    assert!((e - FIGURE_EIGHT_ENERGY).abs() < 5e-6, "{e}");
    let broucke = ThreeBodyCpu::new(ThreeBodyParams::for_case(ThreeBodyCase::BrouckeA2))
        .expect("valid scenario");
    let e = broucke.initial_energy();
    println!("Broucke A2 E0 = {e:.10} (published {BROUCKE_A2_ENERGY})");
    assert!((e - BROUCKE_A2_ENERGY).abs() < 1e-6, "{e}");
    // Pythagorean: E = −(12/√5·… ) exactly −769/60 for masses 3, 4, 5 at rest: the pair
    // distances are 5, 4, 3: U = −(3·4/5 + 3·5/4 + 4·5/3) = −(2.4 + 3.75 + 6.6667).
    let pyth = ThreeBodyCpu::new(ThreeBodyParams::for_case(ThreeBodyCase::Pythagorean))
        .expect("valid scenario");
    assert!((pyth.initial_energy() + 769.0 / 60.0).abs() < 1e-13);
}

#[test]
fn figure_eight_returns_after_one_period() {
    // Bounds per integrator at the given step or tolerance. The floor (~4e-8) is the
    // 8-digit truncation of the initial conditions and period, reached by the accurate ones.
    let cases = [
        (ThreeBodyMethod::Leapfrog, StepMode::Fixed, 1e-3, 1e-5),
        (ThreeBodyMethod::Yoshida4, StepMode::Fixed, 1e-2, 5e-6),
        (ThreeBodyMethod::Rk4, StepMode::Fixed, 1e-2, 1e-7),
        (ThreeBodyMethod::Hermite4, StepMode::Fixed, 1e-2, 2e-6),
        (ThreeBodyMethod::Hermite4, StepMode::Adaptive, 1e-2, 3e-4),
        (ThreeBodyMethod::Dopri5, StepMode::Fixed, 1e-2, 3e-7),
        (ThreeBodyMethod::Dop853, StepMode::Fixed, 1e-2, 1e-7),
        (ThreeBodyMethod::Ias15, StepMode::Fixed, 1e-2, 1e-7),
    ];
    for (method, step_mode, dt, bound) in cases {
        let p = ThreeBodyParams {
            step_mode,
            dt,
            ..params(ThreeBodyCase::FigureEight, method)
        };
        let run = run_to(p, FIGURE_EIGHT_PERIOD);
        let d = run.diagnostics();
        let distance = d.period_return.expect("one period completed");
        println!(
            "{method:?} {step_mode:?}: return {distance:.3e} (bound {bound:e}), max |dE/E| {:.2e}, {} steps, {} f-evals",
            d.max_energy_error,
            run.stats().accepted,
            run.stats().nfe
        );
        assert_eq!(d.periods, 1);
        assert!(distance < bound, "{method:?}: {distance} ≥ {bound}");
    }
}

/// Global error at t = 2 of the figure-eight against IAS15 at ε = 1e-9 (error ~1e-14).
fn global_error(method: ThreeBodyMethod, dt: f64, reference: &[Body]) -> f64 {
    let p = ThreeBodyParams {
        dt,
        ..params(ThreeBodyCase::FigureEight, method)
    };
    let run = run_to(p, 2.0);
    run.bodies()
        .iter()
        .zip(reference)
        .map(|(a, b)| norm3(sub3(a.x, b.x)) + norm3(sub3(a.v, b.v)))
        .sum()
}

#[test]
fn fixed_step_methods_converge_at_their_order() {
    let reference = run_to(
        params(ThreeBodyCase::FigureEight, ThreeBodyMethod::Ias15),
        2.0,
    )
    .bodies();
    for (method, h0) in [
        (ThreeBodyMethod::Leapfrog, 0.02),
        (ThreeBodyMethod::Yoshida4, 0.04),
        (ThreeBodyMethod::Rk4, 0.04),
        (ThreeBodyMethod::Hermite4, 0.04),
    ] {
        let errors: Vec<f64> = (0..3)
            .map(|k| global_error(method, h0 / f64::from(1 << k), &reference))
            .collect();
        // Least-squares slope of log error against log h over the three steps.
        let slope = ((errors[0] / errors[2]).log2()) / 2.0;
        let expected = f64::from(method.order());
        println!("{method:?}: errors {errors:?}, measured order {slope:.3}");
        assert!(
            (slope - expected).abs() <= 0.3,
            "{method:?}: order {slope} vs {expected}"
        );
        assert!(errors[2] > 1e-12, "still above round-off");
    }
}

#[test]
fn ias15_keeps_energy_at_round_off_over_100_figure_eight_periods() {
    let run = run_to(
        params(ThreeBodyCase::FigureEight, ThreeBodyMethod::Ias15),
        100.0 * FIGURE_EIGHT_PERIOD,
    );
    let d = run.diagnostics();
    println!(
        "IAS15 100 periods: max |dE/E0| {:.3e}, final {:.3e}, {} steps, {} rejected, return {:.3e}",
        d.max_energy_error,
        d.energy_error,
        run.stats().accepted,
        run.stats().rejected,
        d.period_return.unwrap_or(f64::NAN)
    );
    assert_eq!(d.periods, 100);
    assert!(d.max_energy_error <= 1e-14, "{}", d.max_energy_error);
}

#[test]
fn ias15_reproduces_the_pythagorean_outcome_with_energy_error_below_1e_10() {
    let mut run = ThreeBodyCpu::new(params(ThreeBodyCase::Pythagorean, ThreeBodyMethod::Ias15))
        .expect("valid scenario");
    // Step by step, to see the error away from close encounters: within one the measured
    // energy itself is round-off noise (positions ~1 carry ~2e-16 absolute error, at r ≈ 4e-4
    // that is ~1e-12 relative in the potential, amplified ×3800 against |E0|).
    let mut far_max: f64 = 0.0;
    while run.stats().t < 70.0 {
        let outcome = run.advance_to(70.0, 1);
        assert!(outcome.is_ok(), "{outcome:?}");
        let d = run.diagnostics();
        if d.min_distance > 0.05 {
            far_max = far_max.max(d.energy_error);
        }
    }
    let d = run.diagnostics();
    println!(
        "Pythagorean to t=70: |dE/E0| final {:.3e}, max away from encounters {far_max:.3e}, \
         peak inside encounters {:.3e}, closest approach {:.3e}, {} steps, {} rejected",
        d.energy_error,
        d.max_energy_error,
        d.closest_approach,
        run.stats().accepted,
        run.stats().rejected
    );
    assert!(d.energy_error <= 1e-10, "{}", d.energy_error);
    assert!(far_max <= 1e-10, "{far_max}");
    assert!(d.closest_approach < 1e-3, "the famous close approaches");
    // Body 0 has mass 3: it escapes, bodies 1 and 2 (masses 4, 5) stay bound.
    assert_eq!(run.escaping_body(), Some(0));
    assert_eq!(run.masses()[0], 3.0);
}

/// Max |dE/E0| over the periods in `range` of a figure-eight run with `method` at `dt`.
fn energy_error_windows(method: ThreeBodyMethod, dt: f64, periods: u32) -> Vec<f64> {
    let mut run = ThreeBodyCpu::new(ThreeBodyParams {
        dt,
        ..params(ThreeBodyCase::FigureEight, method)
    })
    .expect("valid scenario");
    let mut windows = vec![0.0f64; 10];
    let window = periods / 10;
    for k in 1..=periods {
        let mut worst: f64 = 0.0;
        // Sample the error within the period.
        for j in 1..=8 {
            let t = (f64::from(k - 1) + f64::from(j) / 8.0) * FIGURE_EIGHT_PERIOD;
            assert!(run.advance_to(t, u64::MAX).is_ok());
            worst = worst.max(run.diagnostics().energy_error);
        }
        let w = ((k - 1) / window) as usize;
        windows[w] = windows[w].max(worst);
    }
    windows
}

#[test]
fn leapfrog_energy_error_stays_bounded_over_1000_periods_while_rk4_drifts() {
    let leapfrog = energy_error_windows(ThreeBodyMethod::Leapfrog, 0.01, 1000);
    println!("leapfrog dt=0.01, max |dE/E0| per 100 periods: {leapfrog:?}");
    // No secular growth: the last hundred periods are no worse than the first hundred.
    assert!(leapfrog[9] <= 1.5 * leapfrog[0], "{leapfrog:?}");
    assert!(leapfrog[0] > 1e-8, "the error is resolved, not round-off");
    // The same test catches a drifting method: RK4 at the same cost per period.
    let rk4 = energy_error_windows(ThreeBodyMethod::Rk4, 0.04, 1000);
    println!("RK4 dt=0.04, max |dE/E0| per 100 periods: {rk4:?}");
    assert!(rk4[9] > 5.0 * rk4[0], "{rk4:?}");
}

#[test]
fn broucke_a2_returns_after_its_period() {
    let run = run_to(
        params(ThreeBodyCase::BrouckeA2, ThreeBodyMethod::Ias15),
        BROUCKE_A2_PERIOD,
    );
    let d = run.diagnostics();
    let distance = d.period_return.expect("one period");
    println!("Broucke A2 return after T = {BROUCKE_A2_PERIOD}: {distance:.3e}");
    // 10-digit initial conditions, 7-digit period, and an unstable orbit.
    assert!(distance < 5e-3, "{distance}");
}

/// Masses of the eccentric Kepler test: a star and a planet.
const KEPLER_MASSES: (f64, f64) = (1.0, 1e-3);

/// A Kepler orbit of eccentricity 0.9: relative semi-major axis 1, apocentre 1.9,
/// pericentre 0.1.
fn eccentric_kepler() -> Vec<Body> {
    // At apocentre of the relative orbit: v_a = sqrt(G M (1−e) / (a (1+e))), M = m1 + m2.
    let total = KEPLER_MASSES.0 + KEPLER_MASSES.1;
    let v_apo = (total * 0.1 / 1.9).sqrt();
    vec![
        Body {
            mass: 1.0,
            x: [0.0; 3],
            v: [0.0; 3],
        },
        Body {
            mass: KEPLER_MASSES.1,
            x: [1.9, 0.0, 0.0],
            v: [0.0, v_apo, 0.0],
        },
    ]
}

fn kepler_energy_windows(method: ThreeBodyMethod, mode: StepMode, eta: f64) -> (f64, f64) {
    let p = ThreeBodyParams {
        method,
        step_mode: mode,
        eta,
        bodies: Some(eccentric_kepler()),
        ..ThreeBodyParams::default()
    };
    let mut run = ThreeBodyCpu::new(p).expect("valid bodies");
    // T = 2π sqrt(a³ / (G M)).
    let period = std::f64::consts::TAU / (KEPLER_MASSES.0 + KEPLER_MASSES.1).sqrt();
    let (mut first, mut last) = (0.0f64, 0.0f64);
    for k in 1..=200 {
        for j in 1..=16 {
            let t = (f64::from(k - 1) + f64::from(j) / 16.0) * period;
            assert!(run.advance_to(t, u64::MAX).is_ok());
            let e = run.diagnostics().energy_error;
            if k <= 20 {
                first = first.max(e);
            } else if k > 180 {
                last = last.max(e);
            }
        }
    }
    (first, last)
}

#[test]
fn adaptive_steps_break_symplecticity_and_symmetric_steps_restore_it() {
    // e = 0.9 needs short steps at pericentre: η·τ adapts them. Plain adaptive leapfrog drifts
    // secularly; the time-symmetric rule keeps the error bounded.
    let (a_first, a_last) =
        kepler_energy_windows(ThreeBodyMethod::Leapfrog, StepMode::Adaptive, 0.02);
    let (s_first, s_last) =
        kepler_energy_windows(ThreeBodyMethod::Leapfrog, StepMode::Symmetric, 0.02);
    println!(
        "Kepler e=0.9, leapfrog η=0.02, max |dE/E0| in orbits 1-20 vs 181-200: adaptive {a_first:.3e} → {a_last:.3e}, symmetric {s_first:.3e} → {s_last:.3e}"
    );
    assert!(a_last > 3.0 * a_first, "adaptive drifts");
    assert!(s_last < 1.5 * s_first, "symmetric stays bounded");
    assert!(s_last < a_last / 3.0);
}

#[test]
fn lagrange_triangle_rotates_rigidly() {
    for method in [
        ThreeBodyMethod::Ias15,
        ThreeBodyMethod::Dop853,
        ThreeBodyMethod::Yoshida4,
    ] {
        let p = ThreeBodyParams {
            dt: 1e-3,
            tol: 1e-12,
            ..params(ThreeBodyCase::Lagrange, method)
        };
        let start = ThreeBodyCpu::new(p.clone()).expect("valid").bodies();
        // Equal unit masses at side s: ω² = G M / s³ with M = 3.
        let side = norm3(sub3(start[1].x, start[0].x));
        let omega = (3.0 / side.powi(3)).sqrt();
        let t = 1.0;
        let run = run_to(p, t);
        let (s, c) = (omega * t).sin_cos();
        let error: f64 = run
            .bodies()
            .iter()
            .zip(&start)
            .map(|(now, b0)| {
                let exact = [c * b0.x[0] - s * b0.x[1], s * b0.x[0] + c * b0.x[1], 0.0];
                norm3(sub3(now.x, exact))
            })
            .fold(0.0, f64::max);
        println!("Lagrange equal masses, {method:?}: |x − R(ωt)x0| at t=1: {error:.3e}");
        assert!(error < 1e-9, "{method:?}: {error}");
    }
    assert!(
        scenarios::routh_value([1.0, 1.0, 1.0]) > 1.0,
        "equal masses unstable"
    );
    assert!(
        scenarios::routh_value([1.0, 0.01, 0.0]) < 1.0,
        "Sun–Jupiter-like stable"
    );
}

#[test]
fn trojan_librates_about_l4() {
    let mut run = ThreeBodyCpu::new(params(
        ThreeBodyCase::SunJupiterTrojan,
        ThreeBodyMethod::Ias15,
    ))
    .expect("valid");
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for k in 1..=400 {
        assert!(run.advance_to(f64::from(k) * 0.5, u64::MAX).is_ok());
        let b = run.bodies();
        let jupiter = sub3(b[1].x, b[0].x);
        let trojan = sub3(b[2].x, b[0].x);
        let angle = (trojan[1].atan2(trojan[0]) - jupiter[1].atan2(jupiter[0])).to_degrees();
        let angle = (angle + 540.0) % 360.0 - 180.0;
        lo = lo.min(angle);
        hi = hi.max(angle);
    }
    println!("Trojan angle ahead of Jupiter over 200 time units: {lo:.2}° … {hi:.2}°");
    // Starts 5° ahead of L4 (60°): a tadpole orbit about 60°, never reaching Jupiter.
    assert!(
        lo > 40.0 && hi < 80.0 && lo < 60.0 && hi > 60.0,
        "{lo} {hi}"
    );
    assert!(run.diagnostics().max_energy_error < 1e-12);
}

#[test]
fn head_on_collision_pauses_with_a_message_and_softening_passes_through() {
    let bodies = vec![
        Body {
            mass: 1.0,
            x: [-1.0, 0.0, 0.0],
            v: [0.0; 3],
        },
        Body {
            mass: 1.0,
            x: [1.0, 0.0, 0.0],
            v: [0.0; 3],
        },
    ];
    for method in ThreeBodyMethod::ALL {
        let p = ThreeBodyParams {
            method,
            step_mode: StepMode::Adaptive,
            bodies: Some(bodies.clone()),
            ..ThreeBodyParams::default()
        };
        let mut run = ThreeBodyCpu::new(p).expect("valid");
        let outcome = run.advance_to(5.0, 10_000_000);
        let finite = run.phase().is_finite();
        println!(
            "{method:?} head-on: {outcome:?} at t = {:.6}, min distance {:.2e}, state finite: {finite}",
            run.stats().t,
            run.diagnostics().min_distance
        );
        assert!(finite, "{method:?}: the state stays finite");
        // Either the run stops with a message, or (fixed-step methods) the bodies pass
        // through each other with a huge, visible energy error: never NaN.
        match &outcome {
            Outcome::StepUnderflow { .. } | Outcome::NonFinite { .. } => {
                assert!(outcome.message().is_some());
            }
            Outcome::Reached => assert!(run.diagnostics().max_energy_error > 1e-3),
            other => panic!("{method:?}: {other:?}"),
        }
    }
    // After the pause, another integrator continues from the last good state.
    let mut run = ThreeBodyCpu::new(ThreeBodyParams {
        bodies: Some(bodies.clone()),
        ..ThreeBodyParams::default()
    })
    .expect("valid");
    assert!(matches!(
        run.advance_to(5.0, 10_000_000),
        Outcome::StepUnderflow { .. }
    ));
    let t_pause = run.stats().t;
    run.set_params(ThreeBodyParams {
        method: ThreeBodyMethod::Leapfrog,
        dt: 1e-3,
        bodies: Some(bodies.clone()),
        ..ThreeBodyParams::default()
    })
    .expect("valid");
    assert_eq!(run.advance_to(t_pause + 0.5, 10_000_000), Outcome::Reached);
    assert!(run.phase().is_finite());
    let softened = ThreeBodyParams {
        softening: 0.1,
        bodies: Some(bodies),
        ..ThreeBodyParams::default()
    };
    let run = run_to(softened, 5.0);
    assert!(run.diagnostics().max_energy_error < 1e-12);
}

#[test]
fn switching_integrators_mid_run_continues_from_the_current_state() {
    let p = params(ThreeBodyCase::FigureEight, ThreeBodyMethod::Ias15);
    let reference = run_to(p.clone(), FIGURE_EIGHT_PERIOD);
    let mut run = ThreeBodyCpu::new(p.clone()).expect("valid");
    assert!(run.advance_to(2.0, u64::MAX).is_ok());
    for method in [
        ThreeBodyMethod::Dop853,
        ThreeBodyMethod::Hermite4,
        ThreeBodyMethod::Ias15,
    ] {
        let restarted = run
            .set_params(ThreeBodyParams {
                method,
                tol: 1e-12,
                dt: 1e-3,
                ..p.clone()
            })
            .expect("valid");
        assert!(!restarted, "a new method continues");
        let t = run.stats().t + 1.0;
        assert!(run.advance_to(t, u64::MAX).is_ok());
    }
    assert!(run.advance_to(FIGURE_EIGHT_PERIOD, u64::MAX).is_ok());
    let distance = run.phase().distance(reference.phase());
    println!("IAS15 → DOP853 → Hermite → IAS15 vs IAS15 only at T: {distance:.3e}");
    assert!(distance < 1e-6, "{distance}");
    // Changing the initial value problem restarts.
    let restarted = run
        .set_params(ThreeBodyParams {
            case: ThreeBodyCase::Pythagorean,
            ..p
        })
        .expect("valid");
    assert!(restarted);
    assert_eq!(run.stats().t, 0.0);
}

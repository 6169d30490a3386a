//! Small races, one per simulation: every fixed-order method's observed order (the
//! least-squares slope of its work–precision curve) is within ±0.3 of its formal order.
//! The truth each race measures against is independent of the solvers raced: the exact NLSE
//! soliton, the conserved energy of the figure-eight orbit, the reference probability-flow
//! ODE solution of diffusion sampling, and for Navier–Stokes (whose spatial error would hide
//! the temporal one against the exact Taylor–Green vortex) a reference run at a 16× smaller
//! CFL number on the same grid.

use stepscope::race::{Measure, Race, RacePlan};

fn race(
    link: &str,
    key: &str,
    range: (f64, f64),
    points: usize,
    solvers: &[&str],
    until: Option<f64>,
    measure: Measure,
) -> Race {
    let plan = RacePlan::new(
        link,
        key,
        range,
        points,
        solvers.iter().map(|s| (*s).to_owned()).collect(),
        until,
        measure,
    )
    .expect("plan");
    let mut race = Race::new(plan).expect("race");
    race.run_to_end(|_| {});
    assert!(race.failure().is_none(), "{:?}", race.failure());
    race
}

/// Asserts each solver's observed order against its formal order (and that the formal
/// order is the one the literature gives).
fn assert_orders(race: &Race, expected: &[(&str, f64)]) {
    let fits = race.fits();
    for fit in &fits {
        let errors: Vec<String> = fit
            .points
            .iter()
            .map(|p| format!("{:.0}:{:.2e}", p.work, p.error))
            .collect();
        println!(
            "{}: observed {:?} theory {:?}  [{}]",
            fit.solver,
            fit.observed_order,
            fit.theory_order,
            errors.join(" ")
        );
    }
    for (solver, order) in expected {
        let fit = fits.iter().find(|f| f.solver == *solver).expect("raced");
        assert_eq!(fit.theory_order, Some(*order), "{solver}'s formal order");
        assert!(fit.points.iter().all(|p| p.failure.is_none()), "{solver}");
        let observed = fit.observed_order.expect("a slope");
        assert!(
            (observed - order).abs() <= 0.3,
            "{solver}: observed {observed:.3}, theory {order}"
        );
    }
}

#[test]
fn nlse_race_recovers_split_step_and_interaction_picture_orders() {
    let race = race(
        "?s=nlse&case=soliton",
        "dt",
        (0.1, 0.0125),
        4,
        &["strang", "rk4ip", "yoshida4"],
        Some(1.0),
        Measure::Scenario,
    );
    assert!(
        race.measure_name().contains("exact"),
        "{}",
        race.measure_name()
    );
    assert_orders(&race, &[("strang", 2.0), ("rk4ip", 4.0), ("yoshida4", 4.0)]);
}

#[test]
fn three_body_race_recovers_symplectic_orders() {
    let race = race(
        "?s=3body&case=figure8",
        "dt",
        (0.02, 0.0025),
        4,
        &["leapfrog", "yoshida4"],
        Some(6.3259),
        Measure::Scenario,
    );
    assert!(race.measure_name().contains("energy"));
    assert_orders(&race, &[("leapfrog", 2.0), ("yoshida4", 4.0)]);
}

#[test]
fn diffusion_race_recovers_sampler_orders() {
    let race = race(
        "?s=diffusion&n=1024",
        "nfe",
        (40.0, 320.0),
        4,
        &["ddim", "heun", "dpm2", "dpm3"],
        None,
        Measure::Scenario,
    );
    assert!(
        race.measure_name().contains("ODE"),
        "{}",
        race.measure_name()
    );
    assert_orders(
        &race,
        &[("ddim", 1.0), ("heun", 2.0), ("dpm2", 2.0), ("dpm3", 3.0)],
    );
}

#[test]
fn navier_stokes_race_recovers_time_orders_against_a_reference_run() {
    let race = race(
        "?s=ns&case=turbulence&n=32&pressure=fft",
        "cfl",
        (0.8, 0.1),
        4,
        &["rk2", "rk3", "spectral-rk4"],
        Some(2.0),
        Measure::Reference,
    );
    assert!(race.measure_name().contains("reference"));
    assert_orders(&race, &[("rk2", 2.0), ("rk3", 3.0), ("spectral-rk4", 4.0)]);
}

/// A race that cannot measure says why instead of drawing a meaningless diagram: decaying
/// turbulence has no exact solution to race against, and a reference run coarser than the
/// runs it judges (a range written from fine to coarse) is refused. Bad plans are refused
/// before anything runs.
#[test]
fn races_that_cannot_measure_say_why() {
    let link = "?s=ns&case=turbulence&n=16&pressure=fft";
    let plan = |range, measure| {
        RacePlan::new(
            link,
            "cfl",
            range,
            2,
            vec!["rk2".into()],
            Some(0.2),
            measure,
        )
        .expect("plan")
    };
    let mut no_truth = Race::new(plan((0.8, 0.4), Measure::Scenario)).expect("race");
    no_truth.run_to_end(|_| {});
    assert!(no_truth.failure().expect("fails").contains("reference run"));
    let mut reversed = Race::new(plan((0.2, 0.3), Measure::Reference)).expect("race");
    reversed.run_to_end(|_| {});
    assert!(
        reversed
            .failure()
            .expect("fails")
            .contains("coarse to fine")
    );
    assert!(
        Race::new(RacePlan {
            solvers: vec!["no-such-solver".into()],
            ..plan((0.8, 0.4), Measure::Scenario)
        })
        .is_err_and(|e| e.contains("no-such-solver"))
    );
    assert!(
        Race::new(RacePlan {
            until: Some(f64::NAN),
            ..plan((0.8, 0.4), Measure::Scenario)
        })
        .is_err()
    );
    assert!(RacePlan::new(link, "cfl", (0.0, 1.0), 3, vec![], None, Measure::Scenario).is_err());
    assert!(RacePlan::new(link, "cfl", (0.1, 1.0), 1, vec![], None, Measure::Scenario).is_err());
}

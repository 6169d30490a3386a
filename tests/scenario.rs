//! Share links: exact round trips, old-version fixtures, and hostile input that must never
//! panic and must name what is wrong.

use proptest::prelude::*;
use stepscope::core::controller::ControllerKind;
use stepscope::scenario::{LinkError, Scenario};
use stepscope::sims::nlse::{NlseCase, NlseMethod, NlseParams};

#[test]
fn every_scenario_round_trips_exactly() {
    for case in NlseCase::ALL {
        for method in NlseMethod::ALL {
            let p = NlseParams {
                method,
                rtol: 1.0 / 3.0 * 1e-7,
                dt: 0.1 + 0.2,
                seed: u64::MAX,
                controller: ControllerKind::ProportionalIntegralDerivative,
                ..NlseParams::for_case(case)
            };
            let s = Scenario::Nlse(p);
            let link = format!("https://example.org/stepscope/?{}", s.to_query());
            assert_eq!(Scenario::from_link(&link), Ok(s.clone()), "{link}");
            let fragment = format!("#{}", s.to_query());
            assert_eq!(Scenario::from_link(&fragment), Ok(s));
        }
    }
}

/// The step hold is in a link only when it is on, so the links made before it existed are
/// unchanged; when on it round-trips exactly.
#[test]
fn the_step_hold_is_written_only_when_on() {
    let off = Scenario::Nlse(NlseParams::for_case(NlseCase::TwoSoliton));
    assert!(!off.to_query().contains("hold"), "{}", off.to_query());
    let on = Scenario::Nlse(NlseParams {
        hold: 1.5,
        ..NlseParams::for_case(NlseCase::TwoSoliton)
    });
    assert!(on.to_query().contains("hold=1.5"), "{}", on.to_query());
    assert_eq!(Scenario::from_link(&format!("?{}", on.to_query())), Ok(on));
}

/// Links as released in version 1; they must keep decoding to the same scenario.
#[test]
fn version_one_fixtures_still_decode() {
    let full = "v=1&s=nlse&case=breather&n=256&l=50&beta=1&gamma=1&solver=dop853ip&dt=0.01&rtol=1e-9&atol=1e-12&ctl=pi&dealias=0&filter=0&amp=1&vel=1&amp2=0.8&sep=20&a=0.25&bg=1&noise=1e-4&seed=1";
    let Ok(Scenario::Nlse(p)) = Scenario::from_link(full) else {
        panic!("fixture must decode");
    };
    assert_eq!(p.case, NlseCase::Breather);
    assert_eq!(p.method, NlseMethod::Dop853Ip);
    assert_eq!(p.rtol, 1e-9);
    // A short hand-written link takes the scenario's defaults.
    let short = "?s=nlse&case=breather&n=2048&solver=dop853ip&rtol=1e-9";
    let Ok(Scenario::Nlse(p)) = Scenario::from_link(short) else {
        panic!("short link must decode");
    };
    assert_eq!((p.n, p.case), (2048, NlseCase::Breather));
}

#[test]
fn malformed_links_name_the_problem() {
    let cases: &[(&str, &str)] = &[
        ("s=nlse&bogus=1", "bogus"),
        ("s=nlse&n=abc", "'n'"),
        (
            "s=nlse&n=-5",
            "'n': must be an integer from 256 to 65536, got '-5'",
        ),
        ("s=nlse&n=2.5", "must be an integer from 256 to 65536"),
        ("s=ns&n=-4", "'n': must be an integer from 16 to 1024"),
        (
            "s=diffusion&n=1e3",
            "'n': must be an integer from 1 to 1048576",
        ),
        (
            "s=3body&case=random&n=two",
            "'n': must be an integer from 2 to 16",
        ),
        ("s=diffusion&n=2000000", "particles must be 1 … 1048576"),
        ("s=nlse&seed=-1", "'seed': must be an integer from 0 to"),
        ("s=nlse&n=300", "power of two"),
        ("s=nlse&rtol=NaN", "'rtol'"),
        ("s=nlse&hold=0.5", "hold"),
        ("s=nlse&hold=inf", "'hold'"),
        (
            "s=nlse&rtol=0",
            "rtol = 0 is outside the allowed range [1e-15, 1]",
        ),
        ("s=nlse&dt=inf", "'dt'"),
        ("s=nlse&solver=magic", "unknown solver"),
        ("s=nlse&case=unicorn", "unknown scenario"),
        ("s=warp", "unknown simulation"),
        ("case=soliton", "missing s="),
        ("v=99&s=nlse", "newer"),
        ("s=nlse&n=512&n=1024", "more than once"),
        ("s=nlse&gamma=-1", "focusing"),
    ];
    for (link, needle) in cases {
        let err = Scenario::from_link(link).expect_err(link).to_string();
        assert!(
            err.contains(needle),
            "{link}: '{err}' should mention {needle}"
        );
    }
    let garbage = "x".repeat(100_000);
    assert!(matches!(
        Scenario::from_link(&garbage),
        Err(LinkError::TooLong(100_000))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_input_never_panics(input in ".{0,600}") {
        let _ = Scenario::from_link(&input);
    }

    #[test]
    fn arbitrary_key_value_soup_never_panics(pairs in proptest::collection::vec(("[a-z0-9]{0,6}", "[-+.eE0-9a-zNI%&=]{0,12}"), 0..12)) {
        let link: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = Scenario::from_link(&format!("s=nlse&{}", link.join("&")));
    }

    #[test]
    fn floats_round_trip_bit_exactly(rtol in 1e-15f64..1.0, dt in 1e-9f64..10.0, amp in 1e-6f64..100.0) {
        let p = NlseParams { rtol, dt, amplitude: amp, ..NlseParams::default() };
        let s = Scenario::Nlse(p);
        prop_assert_eq!(Scenario::from_link(&s.to_query()), Ok(s));
    }
}

#[test]
fn three_body_links_round_trip_for_every_scenario_and_edited_bodies() {
    use stepscope::sims::threebody::{Body, ThreeBodyCase, ThreeBodyMethod, ThreeBodyParams};
    for case in ThreeBodyCase::ALL {
        for method in ThreeBodyMethod::ALL {
            let s = Scenario::ThreeBody(ThreeBodyParams {
                method,
                ..ThreeBodyParams::for_case(case)
            });
            let link = s.to_query();
            assert!(link.contains("s=3body"), "{link}");
            assert_eq!(Scenario::from_link(&link), Ok(s.clone()), "{link}");
        }
    }
    let edited = Scenario::ThreeBody(ThreeBodyParams {
        bodies: Some(vec![
            Body {
                mass: 1.0,
                x: [0.1, -0.2, 0.3],
                v: [0.0, 0.7, 1e-7],
            },
            Body {
                mass: 1e-3,
                x: [1.5, 0.0, 0.0],
                v: [0.0, 1.0 / 3.0, 0.0],
            },
        ]),
        ..ThreeBodyParams::default()
    });
    let link = edited.to_query();
    assert!(link.contains("b1=") && link.contains("b2="), "{link}");
    assert_eq!(Scenario::from_link(&link), Ok(edited));
    // A chaos map travels with its scenario.
    let mapped = Scenario::ThreeBody(ThreeBodyParams {
        map: Some(stepscope::sims::threebody::ensemble::EnsembleParams {
            resolution: 128,
            body: 2,
            plane: stepscope::sims::threebody::ensemble::EnsemblePlane::Velocity,
            span: 0.25,
            t_end: 30.0,
            eta: 0.005,
            escape_radius: 8.0,
        }),
        ..ThreeBodyParams::for_case(ThreeBodyCase::SunJupiterTrojan)
    });
    let link = mapped.to_query();
    assert!(link.contains("map=128%2C3%2Cvxvy"), "{link}");
    assert_eq!(Scenario::from_link(&link), Ok(mapped));
    // A short hand-written link takes the scenario's defaults.
    let Ok(Scenario::ThreeBody(p)) = Scenario::from_link("?s=3body&case=pythagorean") else {
        panic!("short link");
    };
    assert_eq!(p.case, ThreeBodyCase::Pythagorean);
}

#[test]
fn malformed_three_body_links_name_the_problem() {
    let cases: &[(&str, &str)] = &[
        ("s=3body&solver=euler", "unknown solver"),
        ("s=3body&case=fourbody", "unknown scenario"),
        ("s=3body&tol=0", "tolerance must be a positive number"),
        ("s=3body&dt=-1", "dt must be a positive number"),
        ("s=3body&eta=NaN", "'eta'"),
        ("s=3body&soft=-0.1", "softening"),
        ("s=3body&n=40&case=random", "2 … 16 bodies"),
        ("s=3body&masses=1,2", "expected 3 comma-separated numbers"),
        ("s=3body&b1=1,0,0,0,0,0,0", "a run has 2 … 16 bodies"),
        ("s=3body&b1=1,0,0,0,0,0,0&b3=1,1,0,0,0,0,0", "b2 is missing"),
        ("s=3body&b1=1,0,0,0,0,0,0&b2=1,0,0,0,0,0,0", "same position"),
        (
            "s=3body&b1=-1,0,0,0,0,0,0&b2=1,1,0,0,0,0,0",
            "negative mass",
        ),
        ("s=3body&b1=1,0,0,0,0,0&b2=1,1,0,0,0,0,0", "expected 7"),
        ("s=3body&b17=1,0,0,0,0,0,0", "unknown key 'b17'"),
        ("s=3body&steps=sometimes", "unknown step rule"),
        ("s=3body&com=maybe", "not 0 or 1"),
        (
            "s=3body&map=64,1,xy,0.5,20,0.01",
            "expected 7 comma-separated fields",
        ),
        ("s=3body&map=64,0,xy,0.5,20,0.01,10", "numbered from 1"),
        (
            "s=3body&map=64,4,xy,0.5,20,0.01,10",
            "the varied body must be 1 … 3",
        ),
        ("s=3body&map=64,1,zz,0.5,20,0.01,10", "unknown plane"),
        ("s=3body&map=2,1,xy,0.5,20,0.01,10", "4 … 1024 pixels"),
        (
            "s=3body&map=64,1,xy,0.5,-1,0.01,10",
            "t_end must be a positive number",
        ),
    ];
    for (link, needle) in cases {
        let err = Scenario::from_link(link).expect_err(link).to_string();
        assert!(
            err.contains(needle),
            "{link}: '{err}' should mention {needle}"
        );
    }
}

#[test]
fn diffusion_links_round_trip_for_every_target_process_grid_and_sampler() {
    use stepscope::sims::diffusion::process::{ProcessKind, TimeGrid};
    use stepscope::sims::diffusion::{DiffusionParams, InitKind, SamplerKind, TargetKind};
    let grids = [
        TimeGrid::UniformTime,
        TimeGrid::UniformLambda,
        TimeGrid::Edm { rho: 7.0 },
        TimeGrid::Edm {
            rho: 1.0 / 3.0 + 2.0,
        },
    ];
    for (i, sampler) in SamplerKind::ALL.into_iter().enumerate() {
        for target in TargetKind::ALL {
            let p = DiffusionParams {
                target,
                dim: 2 + i,
                components: 3 + i,
                process: ProcessKind::ALL[i % 4],
                grid: grids[(i / 4) % 4],
                sampler,
                nfe: 7 + i,
                eta: 0.1 * (i % 10) as f64,
                churn: 1.0 / 7.0,
                snr: 0.16,
                momentum: 2.5,
                tol: 1e-3 / 3.0,
                particles: 1000 + i,
                seed: u64::MAX - i as u64,
                init: InitKind::ALL[i % 2],
            };
            let s = Scenario::Diffusion(p);
            let link = s.to_query();
            assert!(link.contains("s=diffusion"), "{link}");
            assert_eq!(Scenario::from_link(&link), Ok(s), "{link}");
        }
    }
    // A short hand-written link takes the defaults.
    let Ok(Scenario::Diffusion(p)) = Scenario::from_link("?s=diffusion&sampler=dpm3&nfe=30") else {
        panic!("short link");
    };
    assert_eq!((p.sampler, p.nfe), (SamplerKind::DpmSolver3, 30));
    assert_eq!(p.grid, TimeGrid::UniformLambda);
}

#[test]
fn malformed_diffusion_links_name_the_problem() {
    let cases: &[(&str, &str)] = &[
        ("?s=diffusion&sampler=magic", "sampler"),
        ("?s=diffusion&target=cat", "target"),
        ("?s=diffusion&process=vq", "process"),
        ("?s=diffusion&grid=log", "grid"),
        ("?s=diffusion&rho=7", "rho"),
        ("?s=diffusion&grid=edm&rho=NaN", "rho"),
        ("?s=diffusion&nfe=-3", "nfe"),
        ("?s=diffusion&nfe=0", "NFE"),
        ("?s=diffusion&n=0", "particles"),
        ("?s=diffusion&tol=0", "tolerance"),
        ("?s=diffusion&target=gmm-nd&dim=1000", "dimension"),
        ("?s=diffusion&init=posterior", "init"),
        ("?s=diffusion&case=ring8", "case"),
    ];
    for (link, needle) in cases {
        let err = Scenario::from_link(link).expect_err(link).to_string();
        assert!(err.contains(needle), "{link}: {err}");
    }
}

#[test]
fn navier_stokes_links_round_trip_for_every_scenario_and_solver_with_painted_masks() {
    use stepscope::sims::navier_stokes::{NsCase, NsSolver, ObstacleMask, PressureKind};
    for case in NsCase::ALL {
        for solver in NsSolver::ALL {
            for pressure in PressureKind::ALL {
                let mut p = case.defaults();
                p.solver = solver;
                p.pressure = pressure;
                p.reynolds = 123.456789;
                p.seed = 42;
                if !solver.is_spectral() && !case.is_periodic() {
                    // A painted blob, compactly encoded.
                    let (nx, ny) = p.cells();
                    let mut mask = ObstacleMask::empty(nx, ny);
                    for (k, cell) in mask.solid.iter_mut().enumerate() {
                        let (x, y) = ((k % nx) as f64, (k / nx) as f64);
                        *cell = (x - nx as f64 * 0.7).hypot(y - ny as f64 * 0.3) < 5.0;
                    }
                    p.mask = Some(mask);
                }
                if p.validate().is_err() {
                    continue;
                }
                let scenario = Scenario::NavierStokes(p.clone());
                let link = scenario.to_query();
                assert!(link.contains("s=ns"), "{link}");
                assert!(link.len() < 600, "{} bytes: {link}", link.len());
                let back = Scenario::from_link(&link).expect(&link);
                assert_eq!(back, scenario, "{link}");
            }
        }
    }
    // A short hand-written link takes the scenario's defaults.
    let Ok(Scenario::NavierStokes(p)) = Scenario::from_link("?s=ns&case=cylinder") else {
        panic!("short link");
    };
    assert_eq!(p, NsCase::Cylinder.defaults());
}

#[test]
fn malformed_navier_stokes_links_name_the_problem() {
    let cases: &[(&str, &str)] = &[
        ("?s=ns&case=teapot", "case"),
        ("?s=ns&solver=magic", "solver"),
        ("?s=ns&pressure=cg", "pressure"),
        ("?s=ns&n=-4", "n"),
        ("?s=ns&n=8", "cells"),
        ("?s=ns&re=0", "Reynolds"),
        ("?s=ns&re=NaN", "re"),
        ("?s=ns&cfl=0", "CFL"),
        ("?s=ns&tol=0", "tolerance"),
        ("?s=ns&omega=2.5", "ω"),
        ("?s=ns&solver=spectral-if", "periodic"),
        ("?s=ns&pressure=fft", "periodic"),
        ("?s=ns&mask=12x12", "NXxNY"),
        ("?s=ns&mask=8x8.!!", "base64"),
        ("?s=ns&mask=8x8.AA", "cover"),
        ("?s=ns&nfe=3", "nfe"),
    ];
    for (link, needle) in cases {
        let err = Scenario::from_link(link).expect_err(link).to_string();
        assert!(err.contains(needle), "{link}: {err}");
    }
}

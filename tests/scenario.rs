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
        ("s=nlse&n=-5", "'n'"),
        ("s=nlse&n=300", "power of two"),
        ("s=nlse&rtol=NaN", "'rtol'"),
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

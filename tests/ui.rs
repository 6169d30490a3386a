//! egui_kittest UI tests of the desktop/web UI: open, switch solver, play, step, reset,
//! keyboard shortcuts and bad links, without a window.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use stepscope::app::StepscopeApp;
use stepscope::sims::threebody::ensemble::EnsembleParams;

fn harness(link: Option<&str>) -> Harness<'static, StepscopeApp> {
    let app = StepscopeApp::new(link, None, "test harness".to_owned());
    let mut h = Harness::builder()
        .with_context_setup(stepscope::app::fonts::install)
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut StepscopeApp| app.show(ui), app);
    h.run_steps(2);
    h
}

/// Chooses `label` in the Solver combo box, as a user does.
fn pick_solver(h: &mut Harness<'_, StepscopeApp>, label: &str) {
    h.get_by_label("Solver").click();
    h.run_steps(2);
    h.get_by_label(label).click();
    h.run_steps(3);
}

fn diagnostics(h: &Harness<'_, StepscopeApp>) -> serde_json::Value {
    serde_json::from_str(&h.state().diagnostics_json()).expect("diagnostics are JSON")
}

#[test]
fn opens_on_a_link_and_shows_the_controls() {
    let h = harness(Some("?s=nlse&case=breather&solver=rk4ip&dt=0.01"));
    h.get_by_label("Play");
    h.get_by_label("Step");
    h.get_by_label("Copy link");
    let d = diagnostics(&h);
    assert_eq!(d["case"], "breather");
    assert_eq!(d["solver"], "rk4ip");
}

#[test]
fn step_button_takes_one_accepted_step() {
    let mut h = harness(Some("?s=nlse&case=soliton&solver=strang&dt=0.01"));
    h.get_by_label("Step").click();
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["accepted"], 1);
    assert!((d["t"].as_f64().unwrap_or(0.0) - 0.01).abs() < 1e-15);
}

#[test]
fn switching_solver_in_the_combo_continues_the_run() {
    let mut h = harness(Some("?s=nlse&case=soliton&solver=strang&dt=0.01"));
    h.get_by_label("Step").click();
    h.run_steps(2);
    pick_solver(&mut h, "DOP853-IP");
    let d = diagnostics(&h);
    assert_eq!(d["solver"], "dop853ip");
    assert_eq!(d["accepted"], 1, "the run continues, not restarts");
    h.get_by_label("Step").click();
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["accepted"], 2);
    assert!(
        d["last_error"].as_f64().is_some(),
        "DOP853-IP reports an error estimate"
    );
}

#[test]
fn play_advances_the_clock_and_keys_control_it() {
    let mut h = harness(Some("?s=nlse&case=soliton&solver=rk4ip&dt=0.01"));
    h.get_by_label("Play").click();
    for _ in 0..20 {
        h.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(h.state().is_running());
    let t_playing = diagnostics(&h)["t"].as_f64().unwrap_or(0.0);
    assert!(t_playing > 0.0, "the clock must advance while playing");
    // Space pauses, → steps once, r resets.
    h.key_press(egui::Key::Space);
    h.run_steps(2);
    assert!(!h.state().is_running());
    let accepted = diagnostics(&h)["accepted"].as_u64().unwrap_or(0);
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    assert_eq!(diagnostics(&h)["accepted"].as_u64(), Some(accepted + 1));
    h.key_press(egui::Key::R);
    h.run_steps(2);
    assert_eq!(diagnostics(&h)["t"].as_f64(), Some(0.0));
}

#[test]
fn a_bad_link_is_reported_and_the_run_is_kept() {
    let mut h = harness(Some("?s=nlse&case=soliton&solver=rk4ip"));
    h.get_by_label("Step").click();
    h.run_steps(2);
    let err = h
        .state_mut()
        .load_link("?s=nlse&n=12345")
        .expect_err("invalid n");
    assert!(err.contains("power of two"), "{err}");
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["accepted"], 1, "previous run kept");
    assert!(d["notice"].as_str().unwrap_or("").contains("power of two"));
    // And a bad link at start-up still opens, with the message.
    let h2 = harness(Some("?s=nlse&rtol=banana"));
    assert!(
        diagnostics(&h2)["notice"]
            .as_str()
            .unwrap_or("")
            .contains("rtol")
    );
}

#[test]
fn set_param_validates_like_a_link() {
    let mut h = harness(None);
    assert!(h.state_mut().set_param("rtol", "0").is_err());
    assert!(h.state_mut().set_param("solver", "erk43ip").is_ok());
    h.run_steps(1);
    assert_eq!(diagnostics(&h)["solver"], "erk43ip");
}

#[test]
fn a_diverging_run_pauses_with_a_message() {
    let mut h = harness(Some("?s=nlse&case=gaussian&amp=20&solver=rk4ip&dt=0.5"));
    for _ in 0..40 {
        h.get_by_label("Step").click();
        h.run_steps(1);
    }
    let d = diagnostics(&h);
    assert!(!h.state().is_running());
    assert!(d["notice"].as_str().unwrap_or("").contains("NaN"), "{d}");
    assert!(
        d["diagnostics"]["mass"]
            .as_f64()
            .is_some_and(f64::is_finite)
    );
}

#[test]
fn without_a_gpu_the_gpu_choice_is_refused_with_its_reason() {
    let mut h = harness(Some("?s=nlse&case=soliton&solver=rk4ip&dt=0.01"));
    h.get_by_label("Step").click();
    h.run_steps(2);
    let err = h.state_mut().set_compute(true).expect_err("no GPU here");
    assert!(err.contains("No GPU compute"), "{err}");
    let d = diagnostics(&h);
    assert_eq!(d["compute"], "cpu-f64");
    assert_eq!(d["accepted"], 1, "the CPU run is untouched");
}

#[path = "common/mod.rs"]
mod common;

#[test]
fn the_gpu_switch_hands_the_run_over_and_back() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let mut h = harness(Some(
        "?s=nlse&case=soliton&solver=erk43ip&rtol=1e-5&atol=1e-9",
    ));
    h.state_mut().set_gpu(Some(ctx));
    h.run_steps(1);
    h.get_by_label("GPU f32").click();
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["compute"], "gpu-f32");
    h.state_mut().run_until(2.0).expect("GPU run accepted");
    // Frames record submissions and take readbacks until t = 2.
    for _ in 0..2000 {
        h.run_steps(1);
        let d = diagnostics(&h);
        if d["t"].as_f64() == Some(2.0) && d["busy"] == false {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let d = diagnostics(&h);
    assert_eq!(d["t"].as_f64(), Some(2.0), "{d}");
    let exact = d["diagnostics"]["exact_error"].as_f64().unwrap_or(1.0);
    assert!(exact < 2e-5, "GPU soliton error {exact:e}");
    // The f32 notice is on screen while the GPU computes.
    assert!(h.get_all_by_label_contains("single precision").count() >= 1);
    // Choosing DOP853-IP (CPU only) moves the run back to the CPU with a notice.
    pick_solver(&mut h, "DOP853-IP");
    let d = diagnostics(&h);
    assert_eq!(d["compute"], "cpu-f64");
    assert_eq!(d["solver"], "dop853ip");
    assert_eq!(d["t"].as_f64(), Some(2.0), "continues from the GPU's state");
    assert!(d["notice"].as_str().unwrap_or("").contains("CPU only"));
}

#[test]
fn a_lost_gpu_device_hands_the_run_to_the_cpu_with_a_notice() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let mut h = harness(Some("?s=nlse&case=soliton&solver=rk4ip&dt=0.01"));
    h.state_mut().set_gpu(Some(ctx.clone()));
    h.state_mut().set_compute(true).expect("GPU available");
    h.state_mut().run_until(0.5).expect("accepted");
    for _ in 0..2000 {
        h.run_steps(1);
        if diagnostics(&h)["t"].as_f64() == Some(0.5) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert_eq!(diagnostics(&h)["t"].as_f64(), Some(0.5));
    // The device goes away (driver reset, GPU process crash): the next readback fails.
    ctx.device.destroy();
    h.state_mut().run_until(1.0).expect("accepted");
    for _ in 0..200 {
        h.run_steps(1);
        if diagnostics(&h)["compute"] == "cpu-f64" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let d = diagnostics(&h);
    assert_eq!(d["compute"], "cpu-f64", "{d}");
    assert!(
        d["notice"]
            .as_str()
            .unwrap_or("")
            .contains("GPU stopped working"),
        "{d}"
    );
    assert!(
        d["t"].as_f64().unwrap_or(0.0) >= 0.5,
        "continues from the last state read back"
    );
    // The CPU carries on.
    h.state_mut().run_until(1.0).expect("runs on the CPU");
    assert_eq!(diagnostics(&h)["t"].as_f64(), Some(1.0));
    assert!(diagnostics(&h)["gpu_available"] == false);
}

#[test]
fn three_body_link_opens_runs_switches_integrator_and_keeps_the_nlse_run() {
    let mut h = harness(Some("?s=3body&case=pythagorean&solver=ias15"));
    h.get_by_label("Play");
    h.get_by_label_contains("Initial conditions");
    let d = diagnostics(&h);
    assert_eq!(d["sim"], "3body");
    assert_eq!(d["case"], "pythagorean");
    h.state_mut().run_until(10.0).expect("runs");
    h.run_steps(2);
    let d = diagnostics(&h);
    assert!(d["t"].as_f64().unwrap_or(0.0) >= 10.0);
    let energy_error = d["diagnostics"]["energy_error"].as_f64().unwrap_or(1.0);
    assert!(energy_error < 1e-9, "{energy_error}");
    // Live switch: continues from the current state.
    let t = d["t"].as_f64().unwrap_or(0.0);
    h.state_mut().set_param("solver", "hermite").expect("valid");
    h.run_steps(1);
    h.get_by_label("Step").click();
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["solver"], "hermite");
    assert!(d["t"].as_f64().unwrap_or(0.0) > t, "{d}");
    // Bad input is refused with a message and the run is kept.
    let err = h
        .state_mut()
        .set_param("tol", "0")
        .expect_err("tolerance 0");
    assert!(err.contains("tolerance"), "{err}");
    assert_eq!(diagnostics(&h)["solver"], "hermite");
    // The NLSE is one click away and the three-body run survives the round trip.
    h.get_by_label("NLSE").click();
    h.run_steps(2);
    assert_eq!(diagnostics(&h)["sim"], "nlse");
    h.get_by_label("Three-body").click();
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["sim"], "3body");
    assert!(d["t"].as_f64().unwrap_or(0.0) > t);
    // Play advances the clock with the frames.
    h.get_by_label("Play").click();
    h.run_steps(5);
    assert_eq!(diagnostics(&h)["running"], true);
    // The initial-conditions table opens (every cell labelled by its column).
    h.get_by_label_contains("Initial conditions").click();
    h.run_steps(2);
}

#[test]
fn chaos_map_fills_in_on_the_cpu_and_a_click_loads_the_pixel() {
    let mut h = harness(Some("?s=3body&case=figure8&solver=ias15"));
    h.get_by_label("Chaos map (ensemble)").click();
    h.run_steps(2);
    let params = EnsembleParams {
        resolution: 8,
        t_end: 2.0,
        ..EnsembleParams::default()
    };
    h.state_mut()
        .start_chaos_map(false, params.clone())
        .expect("CPU map starts");
    // Frames advance the map within their budget until it is complete.
    for _ in 0..200 {
        h.run_steps(1);
        let d = diagnostics(&h);
        if d["map"]["finished"] == d["map"]["members"] {
            break;
        }
    }
    let d = diagnostics(&h);
    assert_eq!(d["map"]["members"], 64);
    assert_eq!(d["map"]["finished"], 64);
    assert_eq!(d["map"]["on_gpu"], false);
    // A GPU map without a GPU is refused with the reason, the CPU map stays.
    let err = h
        .state_mut()
        .start_chaos_map(true, params)
        .expect_err("no GPU in this harness");
    assert!(err.contains("GPU"), "{err}");
    // Loading a pixel restarts the main view from that system, carried in the link.
    h.state_mut().load_map_pixel(0, 0).expect("pixel");
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["t"], 0.0);
    let link = d["link"].as_str().unwrap_or_default().to_owned();
    assert!(link.contains("b1=") && link.contains("b3="), "{link}");
}

#[test]
fn chaos_map_on_the_gpu_fills_in_through_frames_and_matches_the_cpu_map() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let mut h = harness(Some("?s=3body&case=trojan&solver=ias15"));
    h.state_mut().set_gpu(Some(ctx));
    let params = EnsembleParams {
        resolution: 12,
        body: 2,
        plane: stepscope::sims::threebody::ensemble::EnsemblePlane::Velocity,
        span: 1.0,
        t_end: 10.0,
        escape_radius: 5.0,
        ..EnsembleParams::default()
    };
    let mut maps = Vec::new();
    for on_gpu in [true, false] {
        h.state_mut()
            .start_chaos_map(on_gpu, params.clone())
            .expect("starts");
        // Frames submit work and take readbacks (never blocking) until every member is done.
        let mut frames = 0;
        for _ in 0..20_000 {
            h.run_steps(1);
            frames += 1;
            let d = diagnostics(&h);
            if d["map"]["finished"] == d["map"]["members"] {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let d = diagnostics(&h);
        assert_eq!(d["map"]["finished"], 144, "{d}");
        assert_eq!(d["map"]["on_gpu"], on_gpu);
        println!("map on_gpu={on_gpu}: {} in {frames} frames", d["map"]);
        maps.push(d["map"].clone());
    }
    // Members grazing Jupiter are chaotic: f32 and f64 may part ways on one or two of them
    // (tests/gpu_threebody.rs compares member by member away from such encounters).
    let escaped = |m: &serde_json::Value| m["escaped"].as_i64().unwrap_or(-100);
    assert!((escaped(&maps[0]) - escaped(&maps[1])).abs() <= 2);
    let (g, c) = (
        maps[0]["mean_escape_time"].as_f64().unwrap_or(0.0),
        maps[1]["mean_escape_time"].as_f64().unwrap_or(1.0),
    );
    assert!((g - c).abs() < 0.02 * c, "{g} vs {c}");
}

#[test]
fn a_chaos_map_link_opens_and_computes_the_map() {
    let mut h = harness(Some("?s=3body&case=figure8&map=8,1,xy,0.1,1,0.01,10"));
    for _ in 0..200 {
        h.run_steps(1);
        let d = diagnostics(&h);
        if d["map"]["members"] == 64 && d["map"]["finished"] == 64 {
            break;
        }
    }
    let d = diagnostics(&h);
    assert_eq!(d["map"]["finished"], 64, "{d}");
    // Without a GPU the CPU computes it; the link keeps the map.
    assert_eq!(d["map"]["on_gpu"], false);
    let link = d["link"].as_str().unwrap_or_default().to_owned();
    assert!(
        link.contains("map=8%2C1%2Cxy%2C0.1%2C1%2C0.01%2C10"),
        "{link}"
    );
    h.get_by_label("Chaos map (ensemble)");
}

#[test]
fn diffusion_link_opens_samples_switches_sampler_with_the_same_noise_and_refuses_bad_input() {
    let mut h = harness(Some(
        "?s=diffusion&target=ring8&process=vp&grid=lambda&sampler=dpmpp2m&nfe=10&n=500&seed=3",
    ));
    h.get_by_label("Play");
    h.get_by_label_contains("Sampler");
    let d = diagnostics(&h);
    assert_eq!(d["sim"], "diffusion");
    assert_eq!(d["sampler"], "dpmpp2m");
    assert_eq!(d["finished"], false);
    // Single steps: one grid step each.
    h.get_by_label("Step").click();
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["steps"], 1, "{d}");
    assert_eq!(d["nfe"], 1.0);
    h.state_mut().run_until(0.0).expect("finishes");
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["finished"], true);
    assert_eq!(d["nfe"], 10.0);
    let w2 = d["report"]["sliced_w2"].as_f64().expect("a report");
    let error_2m = d["report"]["ode_error_rms"]
        .as_f64()
        .expect("deterministic");
    assert!(w2 > 0.0 && error_2m > 0.0, "{d}");
    // Live switch to a higher-order sampler at the same NFE: same initial particles, so the
    // error against the same reference ODE solution is directly comparable.
    h.state_mut().set_param("sampler", "unipc").expect("valid");
    h.run_steps(1);
    h.state_mut().set_param("nfe", "40").expect("valid");
    h.state_mut().run_until(0.0).expect("finishes");
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["sampler"], "unipc");
    let error_unipc = d["report"]["ode_error_rms"]
        .as_f64()
        .expect("deterministic");
    assert!(
        error_unipc < error_2m / 10.0,
        "UniPC at NFE 40 {error_unipc} vs DPM-Solver++(2M) at 10 {error_2m}"
    );
    // Bad input is refused with the key named, and the run is kept.
    let err = h.state_mut().set_param("nfe", "0").expect_err("NFE 0");
    assert!(err.contains("NFE"), "{err}");
    let err = h.state_mut().set_param("tol", "nan").expect_err("NaN");
    assert!(err.contains("tol"), "{err}");
    assert_eq!(diagnostics(&h)["sampler"], "unipc");
    // Play samples frame by frame until t_min; the adaptive SDE sampler reports its rejections.
    h.state_mut().set_param("sampler", "ggf").expect("valid");
    h.get_by_label("Play").click();
    for _ in 0..400 {
        h.run_steps(1);
        if diagnostics(&h)["finished"] == true {
            break;
        }
    }
    let d = diagnostics(&h);
    assert_eq!(d["finished"], true, "{d}");
    assert!(d["rejected"].as_u64().unwrap_or(0) + d["accepted"].as_u64().unwrap_or(0) > 5);
    // The picture target, with the density and score-field views on.
    assert_eq!(
        diagnostics(&h)["running"],
        false,
        "a finished run stops playing"
    );
    h.state_mut()
        .set_param("sampler", "dpmpp2m")
        .expect("valid");
    h.state_mut().set_param("target", "image").expect("valid");
    h.get_by_label("score field").click();
    h.run_steps(2);
    h.state_mut().run_until(0.0).expect("finishes");
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["target"], "image");
    assert_eq!(
        d["report"]["mode_masses"].as_array().map(Vec::len),
        Some(2),
        "∇ and p"
    );
    assert!(d["report"]["mode_tv"].as_f64().unwrap_or(1.0) < 0.1, "{d}");
    // The other simulations are one click away.
    h.get_by_label("Three-body").click();
    h.run_steps(2);
    assert_eq!(diagnostics(&h)["sim"], "3body");
    h.get_by_label("Diffusion").click();
    h.run_steps(2);
    assert_eq!(diagnostics(&h)["sampler"], "dpmpp2m");
}

#[test]
fn diffusion_on_the_gpu_samples_over_frames_and_agrees_with_the_cpu() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let link =
        "?s=diffusion&target=moons&process=vp&grid=lambda&sampler=unipc&nfe=15&n=2000&seed=4";
    let mut h = harness(Some(link));
    h.state_mut().run_until(0.0).expect("CPU run");
    h.run_steps(1);
    let cpu = diagnostics(&h);
    h.state_mut().set_gpu(Some(ctx));
    h.run_steps(1);
    h.get_by_label("GPU f32").click();
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["compute"], "gpu-f32", "{d}");
    assert_eq!(
        d["finished"], false,
        "switching restarts from the same particles"
    );
    // Play: frames encode steps and read the particles back asynchronously.
    h.get_by_label("Play").click();
    for _ in 0..3000 {
        h.run_steps(1);
        if diagnostics(&h)["finished"] == true {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let gpu = diagnostics(&h);
    assert_eq!(gpu["finished"], true, "{gpu}");
    assert_eq!(gpu["nfe"], cpu["nfe"]);
    for key in ["sliced_w2", "log_likelihood", "ode_error_rms"] {
        let (a, b) = (
            gpu["report"][key].as_f64().expect("gpu report"),
            cpu["report"][key].as_f64().expect("cpu report"),
        );
        assert!(
            (a - b).abs() <= 1e-3 * b.abs().max(1e-3),
            "{key}: GPU {a} vs CPU {b}"
        );
    }
    // An adaptive sampler cannot run on the GPU: refused with a reason, the run kept.
    let err = h
        .state_mut()
        .set_param("sampler", "dopri5")
        .expect_err("CPU only");
    assert!(err.contains("CPU only"), "{err}");
    assert_eq!(diagnostics(&h)["sampler"], "unipc");
    assert_eq!(diagnostics(&h)["compute"], "gpu-f32");
}

/// Every string a panel can show from the token enums (each `Choice`'s label and tooltip, for
/// every simulation) and from the simulation selector is drawable with the app's fonts: no
/// tofu boxes for users, no panic in the kittest harness.
#[test]
fn every_choice_and_simulation_text_has_glyphs_in_the_app_fonts() {
    use stepscope::core::choice::Choice;
    use stepscope::core::controller::ControllerKind;
    use stepscope::scenario::gallery;
    use stepscope::sims::diffusion::process::{ProcessKind, TimeGrid};
    use stepscope::sims::diffusion::{InitKind, SamplerKind, TargetKind};
    use stepscope::sims::navier_stokes::{NsCase, NsSolver, PressureKind};
    use stepscope::sims::nlse::{NlseCase, NlseMethod};
    use stepscope::sims::threebody::ensemble::EnsemblePlane;
    use stepscope::sims::threebody::ias15::Ias15Criterion;
    use stepscope::sims::threebody::{StepMode, ThreeBodyCase, ThreeBodyMethod};
    fn texts_of<T: Choice>(texts: &mut Vec<String>) {
        for c in T::ALL {
            texts.push(c.label().into());
            texts.push(c.doc().into());
        }
    }
    let ctx = egui::Context::default();
    stepscope::app::fonts::install(&ctx);
    let _ = ctx.run_ui(Default::default(), |_| {});
    let mut texts: Vec<String> = Vec::new();
    texts_of::<NlseCase>(&mut texts);
    texts_of::<NlseMethod>(&mut texts);
    texts_of::<ControllerKind>(&mut texts);
    texts_of::<ThreeBodyCase>(&mut texts);
    texts_of::<ThreeBodyMethod>(&mut texts);
    texts_of::<StepMode>(&mut texts);
    texts_of::<Ias15Criterion>(&mut texts);
    texts_of::<EnsemblePlane>(&mut texts);
    texts_of::<TargetKind>(&mut texts);
    texts_of::<ProcessKind>(&mut texts);
    texts_of::<SamplerKind>(&mut texts);
    texts_of::<InitKind>(&mut texts);
    texts_of::<NsCase>(&mut texts);
    texts_of::<NsSolver>(&mut texts);
    texts_of::<PressureKind>(&mut texts);
    for g in [
        TimeGrid::UniformTime,
        TimeGrid::UniformLambda,
        TimeGrid::Edm { rho: 7.0 },
    ] {
        texts.push(g.label().into());
    }
    for scenario in stepscope::scenario::every_default() {
        let info = scenario.info();
        texts.push(info.name.into());
        texts.push(info.doc.into());
        let key = scenario.sim_key();
        texts.push(gallery::equation(key).into());
        texts.push(gallery::equation_legend(key).into());
        for preset in gallery::gallery(key) {
            texts.extend([preset.title, preset.shows, preset.try_next].map(String::from));
        }
    }
    assert!(texts.len() > 150, "{} texts", texts.len());
    let font = egui::FontId::proportional(14.0);
    let mut missing = std::collections::BTreeSet::new();
    ctx.fonts_mut(|f| {
        for text in &texts {
            for c in text.chars() {
                if !c.is_control() && !f.has_glyphs(&font, &c.to_string()) {
                    missing.insert(c);
                }
            }
        }
    });
    assert!(missing.is_empty(), "no glyph for {missing:?}");
}

#[test]
fn navier_stokes_link_opens_runs_switches_solver_and_refuses_bad_input() {
    let mut h = harness(Some("?s=ns&case=taylor-green&n=32&solver=rk3&pressure=fft"));
    h.get_by_label("Play");
    h.get_by_label_contains("Solver");
    let d = diagnostics(&h);
    assert_eq!(d["sim"], "ns");
    assert_eq!(d["case"], "taylor-green");
    assert_eq!(d["steps"], 0);
    h.get_by_label("Step").click();
    h.run_steps(2);
    assert_eq!(diagnostics(&h)["steps"], 1);
    h.state_mut().run_until(0.5).expect("runs");
    let d = diagnostics(&h);
    let t = d["t"].as_f64().expect("t");
    assert!(t >= 0.5, "{d}");
    assert!(d["error"].as_f64().expect("exact solution") < 1e-2, "{d}");
    assert!(d["max_divergence"].as_f64().expect("MAC") < 1e-6, "{d}");
    // A live switch to the spectral solver keeps the time and the flow.
    h.state_mut()
        .set_param("solver", "spectral-if")
        .expect("valid");
    h.run_steps(1);
    let d = diagnostics(&h);
    assert_eq!(d["solver"], "spectral-if");
    assert_eq!(d["t"].as_f64(), Some(t));
    // Bad input is refused with its reason, the run kept.
    let err = h
        .state_mut()
        .set_param("re", "-5")
        .expect_err("negative Re");
    assert!(err.contains("Reynolds"), "{err}");
    let err = h.state_mut().set_param("n", "7").expect_err("odd n");
    assert!(err.contains("cells") || err.contains("even"), "{err}");
    assert_eq!(diagnostics(&h)["solver"], "spectral-if");
    // The GPU is refused with the reason (the NS GPU path is not in this build).
    assert!(h.state_mut().set_compute(true).is_err());
    // Play advances over frames; every view draws.
    h.get_by_label("Play").click();
    for view in ["speed", "pressure", "dye", "vorticity"] {
        h.get_by_label(view).click();
        h.run_steps(2);
    }
    h.get_by_label("Pause").click();
    h.run_steps(1);
    let d = diagnostics(&h);
    assert!(d["t"].as_f64().expect("t") > t, "{d}");
    // The cavity, from the scenario menu's link, with its Ghia comparison.
    h.state_mut()
        .load_link("?s=ns&case=cavity&n=32&re=100")
        .expect("loads");
    h.state_mut().run_until(0.2).expect("runs");
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["case"], "cavity");
    assert!(d["error"].as_f64().is_some(), "Ghia comparison: {d}");
    assert!(d["link"].as_str().expect("link").contains("s=ns"));
    // The spectrum and wake-probe plots draw too.
    for link in [
        "?s=ns&case=turbulence&n=32",
        "?s=ns&case=cylinder&n=32",
        "?s=ns&case=channel&n=16",
    ] {
        h.state_mut().load_link(link).expect("loads");
        h.state_mut().step(3);
        h.run_steps(2);
        assert_eq!(diagnostics(&h)["steps"], 3, "{link}");
    }
}

#[test]
fn navier_stokes_on_the_gpu_steps_over_frames_and_hands_back_to_the_cpu() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let mut h = harness(Some(
        "?s=ns&case=cavity&n=32&re=100&solver=rk3&pressure=mg&tol=1e-6",
    ));
    h.state_mut().set_gpu(Some(ctx));
    h.state_mut().set_compute(true).expect("GPU");
    h.run_steps(1);
    assert_eq!(diagnostics(&h)["compute"], "gpu-f32");
    h.state_mut().run_until(0.1).expect("asked");
    for _ in 0..400 {
        h.run_steps(1);
        let d = diagnostics(&h);
        if d["t"].as_f64().unwrap_or(0.0) >= 0.1 && d["busy"] == false {
            break;
        }
    }
    let d = diagnostics(&h);
    let t = d["t"].as_f64().expect("t");
    assert!(t >= 0.1, "{d}");
    assert!(d["steps"].as_u64().expect("steps") > 5, "{d}");
    assert!(d["max_divergence"].as_f64().expect("div") < 1e-4, "{d}");
    assert!(d["energy"].as_f64().expect("E") > 1e-3, "{d}");
    // The same run on the CPU reaches the same energy at the same step (f32 vs f64).
    let steps = d["steps"].as_u64().expect("steps");
    let gpu_energy = d["energy"].as_f64().expect("E");
    let mut cpu = stepscope::sims::navier_stokes::run::NsRun::new(
        match stepscope::scenario::Scenario::from_link(
            "?s=ns&case=cavity&n=32&re=100&solver=rk3&pressure=mg&tol=1e-6",
        ) {
            Ok(stepscope::scenario::Scenario::NavierStokes(p)) => p,
            _ => panic!("link"),
        },
    )
    .expect("cpu");
    cpu.advance(steps as usize, f64::INFINITY);
    let cpu_energy = cpu.history().last().expect("history").energy;
    assert!(
        (gpu_energy / cpu_energy - 1.0).abs() < 1e-4,
        "GPU {gpu_energy} vs CPU {cpu_energy} after {steps} steps"
    );
    // Painting an obstacle and pushing the fluid while the GPU computes: the GPU takes the
    // edited flow over and keeps it divergence-free around the new obstacle.
    h.state_mut()
        .paint_obstacle(0.5, 0.5, 0.12, true)
        .expect("paints");
    h.state_mut()
        .push_fluid(0.2, 0.8, 1.0, 0.0, 0.05)
        .expect("pushes");
    let before = diagnostics(&h)["steps"].as_u64().expect("steps");
    h.state_mut().step(3);
    for _ in 0..200 {
        h.run_steps(1);
        let d = diagnostics(&h);
        if d["steps"].as_u64().unwrap_or(0) >= before + 3 && d["busy"] == false {
            break;
        }
    }
    let d = diagnostics(&h);
    assert_eq!(d["compute"], "gpu-f32", "{d}");
    assert!(d["obstacle_cells"].as_u64().expect("mask") > 20, "{d}");
    assert_eq!(d["steps"].as_u64(), Some(before + 3), "{d}");
    assert!(d["max_divergence"].as_f64().expect("div") < 1e-3, "{d}");
    assert!(d["link"].as_str().expect("link").contains("mask="), "{d}");
    let (t, steps) = (d["t"].as_f64().expect("t"), before + 3);
    // Back to the CPU: it continues from the GPU's state.
    h.state_mut().set_compute(false).expect("CPU");
    h.state_mut().step(2);
    h.run_steps(1);
    let d = diagnostics(&h);
    assert_eq!(d["compute"], "cpu-f64");
    assert_eq!(d["steps"].as_u64(), Some(steps + 2), "{d}");
    assert!(d["t"].as_f64().expect("t") > t);
    // The spectral solver on the GPU: the same energy as the CPU after the same steps.
    let link = "?s=ns&case=turbulence&n=32&solver=spectral-if";
    h.state_mut().load_link(link).expect("loads");
    h.state_mut()
        .set_compute(true)
        .expect("spectral on the GPU");
    h.state_mut().step(5);
    for _ in 0..200 {
        h.run_steps(1);
        let d = diagnostics(&h);
        if d["steps"].as_u64().unwrap_or(0) >= 5 && d["busy"] == false {
            break;
        }
    }
    let d = diagnostics(&h);
    assert_eq!(d["compute"], "gpu-f32", "{d}");
    assert_eq!(d["steps"].as_u64(), Some(5), "{d}");
    let mut cpu = stepscope::sims::navier_stokes::run::NsRun::new(
        match stepscope::scenario::Scenario::from_link(link) {
            Ok(stepscope::scenario::Scenario::NavierStokes(p)) => p,
            _ => panic!("link"),
        },
    )
    .expect("cpu");
    cpu.advance(5, f64::INFINITY);
    let (gpu_energy, cpu_energy) = (
        d["energy"].as_f64().expect("E"),
        cpu.history().last().expect("history").energy,
    );
    assert!(
        (gpu_energy / cpu_energy - 1.0).abs() < 1e-5,
        "spectral GPU {gpu_energy} vs CPU {cpu_energy}"
    );
    // A grid the GPU FFT cannot take is refused with the reason, and the run stays.
    h.state_mut()
        .load_link("?s=ns&case=turbulence&n=48")
        .expect("loads");
    let err = h
        .state_mut()
        .set_compute(true)
        .expect_err("48 points on the GPU");
    assert!(err.contains("powers of two"), "{err}");
    assert_eq!(diagnostics(&h)["compute"], "cpu-f64");
}

/// Race mode: the Race button opens the lab on the current scenario with its simulation's
/// preset; "Start race" runs the lanes and the sweep through frames, and the work–precision
/// fits reach the formal orders (strang 2, rk4ip 4 against the exact soliton). A bad race is
/// refused with its reason and the race before it is kept; the single run is untouched.
#[test]
fn race_mode_runs_lanes_and_fills_the_work_precision_diagram() {
    let mut h = harness(Some("?s=nlse&case=soliton&solver=strang&dt=0.01"));
    h.get_by_label("Race").click();
    h.run_steps(2);
    assert!(h.state().race_mode());
    // The single run's transport and readouts give way to the race.
    assert!(h.query_by_label("Step").is_none() && h.query_by_label("accepted").is_none());
    h.get_by_label_contains("The single run waits at t = 0");
    h.get_by_label("Start race").click();
    let state = |h: &Harness<'_, StepscopeApp>| -> serde_json::Value {
        serde_json::from_str(&h.state().race_json()).expect("JSON")
    };
    let mut frames = 0;
    while !(state(&h)["finished"] == true
        && state(&h)["lanes"]
            .as_array()
            .is_some_and(|l| l.iter().all(|l| l["done"] == true)))
    {
        h.run_steps(1);
        frames += 1;
        assert!(frames < 5000, "the race never finished: {}", state(&h));
    }
    let race = state(&h);
    println!("race after {frames} frames: {race}");
    assert_eq!(race["plan"]["key"], "dt");
    let fits = race["fits"].as_array().expect("fits");
    assert_eq!(
        fits.len(),
        3,
        "the NLSE preset races strang, yoshida4 and rk4ip"
    );
    for fit in fits {
        let observed = fit["observed_order"].as_f64().expect("a slope");
        let theory = fit["theory_order"].as_f64().expect("an order");
        assert!((observed - theory).abs() <= 0.3, "{fit}");
        assert_eq!(fit["points"].as_array().map(Vec::len), Some(4));
    }
    for lane in race["lanes"].as_array().expect("lanes") {
        assert_eq!(
            lane["t"], 1.0,
            "every lane runs to the race's end time: {lane}"
        );
        assert!(lane["samples"].as_u64().unwrap_or(0) > 10, "{lane}");
    }
    // A bad plan is refused; the finished race stays.
    let refused = h.state_mut().start_race(r#"{"solvers": ["warp-drive"]}"#);
    assert!(refused.is_err_and(|e| e.contains("warp-drive")));
    assert!(h.state_mut().start_race("{not json").is_err());
    assert_eq!(state(&h)["fits"], race["fits"]);
    // The single run waited at t = 0 and resumes.
    h.get_by_label("Run").click();
    h.run_steps(2);
    assert!(!h.state().race_mode());
    assert_eq!(diagnostics(&h)["t"], 0.0);
    h.get_by_label("Step");
}

/// A three-body race whose sweep runs on the GPU (lavapipe): the app asks for it, polls it
/// frame by frame without blocking, says where it runs, rings the points at the f32 floor and
/// fits leapfrog's order from the rest. Without a GPU the same request is refused and the
/// last race is kept.
#[test]
fn a_race_sweeps_on_the_gpu_in_the_app() {
    let spec = r#"{"key": "dt", "from": 0.1, "to": 0.0125, "points": 4,
        "solvers": ["leapfrog", "yoshida4", "rk4"], "until": 2, "backend": "gpu"}"#;
    let mut h = harness(Some("?s=3body&case=figure8&steps=fixed"));
    let refused = h.state_mut().start_race(spec);
    assert!(refused.is_err_and(|e| e.contains("no GPU")));
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    h.state_mut().set_gpu(Some(ctx));
    h.state_mut().start_race(spec).expect("a GPU race");
    let state = |h: &Harness<'_, StepscopeApp>| -> serde_json::Value {
        serde_json::from_str(&h.state().race_json()).expect("JSON")
    };
    let mut frames = 0;
    while state(&h)["finished"] != true {
        h.run_steps(1);
        frames += 1;
        assert!(frames < 5000, "the GPU race never finished: {}", state(&h));
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let race = state(&h);
    println!("GPU race after {frames} frames: {}", race["backend"]);
    assert!(
        race["backend"]
            .as_str()
            .is_some_and(|b| b.starts_with("GPU "))
    );
    let fits = race["fits"].as_array().expect("fits");
    let leapfrog = fits[0]["observed_order"].as_f64().expect("a slope");
    assert!((leapfrog - 2.0).abs() <= 0.3, "{leapfrog}");
    let points: Vec<&serde_json::Value> = fits
        .iter()
        .flat_map(|f| f["points"].as_array().expect("points"))
        .collect();
    assert_eq!(points.len(), 12);
    assert!(
        points
            .iter()
            .all(|p| p["floor"].as_f64().is_some_and(|f| f > 0.0))
    );
    h.run_steps(2);
    // The legends of both diagrams name the ringed points (yoshida4 and rk4 have some).
    let rings = h
        .query_all_by_label("ringed: at the f32 floor, not fitted")
        .count();
    assert!(rings >= 2, "{rings} legend entries for the ringed points");
}

/// The precision shadow of GPU sampling in the app (lavapipe): DPM-Solver-3 with 1500
/// evaluations is accurate enough that f32 limits it; the f64 shadow catches up with the GPU
/// run over the frames, the verdict says so, and continuing on the shadow leaves the f64
/// particles, whose distance to the reference ODE solution is the smaller.
#[test]
fn the_diffusion_shadow_flags_single_precision_in_the_app() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let link = "?s=diffusion&target=ring8&sampler=dpm3&nfe=1500&n=1024&seed=1";
    let mut h = harness(Some(link));
    assert!(
        h.state_mut().set_shadow(true).is_err(),
        "no shadow of a CPU run"
    );
    h.state_mut().set_gpu(Some(ctx));
    h.state_mut().set_compute(true).expect("GPU");
    h.state_mut().set_shadow(true).expect("shadow");
    // Live: while it plays, the shadow compares at every readback.
    h.state_mut().set_running(true);
    let mut d = diagnostics(&h);
    for _ in 0..3000 {
        h.run_steps(1);
        d = diagnostics(&h);
        if d["shadow"]["points"].as_u64() >= Some(3) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(d["shadow"]["points"].as_u64() >= Some(3), "{d}");
    assert!(
        d["shadow"]["last"]["difference"].as_f64() > Some(0.0),
        "{d}"
    );
    h.state_mut().run_until(0.0).expect("sampling");
    for _ in 0..5000 {
        h.run_steps(1);
        d = diagnostics(&h);
        if d["finished"] == true
            && d["shadow"]["t"] == d["t"]
            && d["shadow"]["last"]["f64_error"].is_number()
        {
            break;
        }
    }
    println!("diffusion shadow: {}", d["shadow"]);
    assert!(d["shadow"]["points"].as_u64() >= Some(4), "{d}");
    let last = &d["shadow"]["last"];
    let (difference, bound) = (
        last["difference"].as_f64().expect("a comparison"),
        last["bound"].as_f64().expect("a bound"),
    );
    assert!(difference > 0.0 && difference <= bound, "{last}");
    let (f32_error, f64_error) = (
        last["f32_error"].as_f64().expect("ODE error"),
        last["f64_error"].as_f64().expect("ODE error"),
    );
    assert!(f32_error > 3.0 * f64_error, "{last}");
    let limit = d["precision_limit"].as_str().expect("a verdict");
    assert!(limit.contains("single precision"), "{limit}");
    h.run_steps(1);
    let _ = h.get_by_label("Continue on the f64 shadow");
    h.state_mut()
        .continue_on_shadow()
        .expect("level with the GPU");
    h.run_steps(1);
    let d = diagnostics(&h);
    assert_eq!(d["compute"], "cpu-f64");
    assert_eq!(d["report"]["ode_error_rms"].as_f64(), Some(f64_error));
}

/// The precision shadow of the spectral Navier–Stokes solver in the app (lavapipe): the f64
/// run follows the GPU's readbacks over the frames within the f32 bound, f32 is not what
/// limits Taylor–Green (no verdict), the app continues on the shadow when asked, and a MAC
/// run's shadow is refused with the reason.
#[test]
fn the_navier_stokes_shadow_follows_the_spectral_gpu_run_in_the_app() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let mut h = harness(Some("?s=ns&case=taylor-green&n=32&solver=spectral-rk4"));
    h.state_mut().set_gpu(Some(ctx));
    h.run_steps(1);
    h.state_mut().set_compute(true).expect("GPU");
    h.state_mut().set_shadow(true).expect("shadow");
    h.state_mut().run_until(0.5).expect("runs");
    let mut d = diagnostics(&h);
    for _ in 0..5000 {
        h.run_steps(1);
        d = diagnostics(&h);
        if d["t"].as_f64() >= Some(0.5) && d["shadow"]["t"] == d["t"] && d["busy"] != true {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    println!("Navier–Stokes shadow: {}", d["shadow"]);
    assert!(d["shadow"]["points"].as_u64() >= Some(2), "{d}");
    let last = &d["shadow"]["last"];
    let (difference, bound) = (
        last["difference"].as_f64().expect("a comparison"),
        last["bound"].as_f64().expect("a bound"),
    );
    assert!(difference > 0.0 && difference <= bound, "{last}");
    assert!(d["precision_limit"].is_null(), "{d}");
    h.state_mut()
        .continue_on_shadow()
        .expect("level with the GPU");
    h.run_steps(1);
    assert_eq!(diagnostics(&h)["compute"], "cpu-f64");
    h.state_mut()
        .load_link("?s=ns&case=taylor-green&n=32&solver=rk3")
        .expect("loads");
    h.state_mut().set_compute(true).expect("GPU");
    let refused = h.state_mut().set_shadow(true);
    assert!(refused.is_err_and(|e| e.contains("spectral")));
}

/// The precision shadow in the app (lavapipe): an f64 run follows the GPU run through the
/// frames; at the end time the f32–f64 difference is within the f32 round-off bound, the
/// app says single precision limits RK4IP (whose own error is far smaller), flags a
/// tolerance below f32 resolution, and continues on the f64 shadow when asked.
#[test]
fn the_precision_shadow_follows_the_gpu_run_and_flags_f32_limits() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let mut h = harness(Some("?s=nlse&case=soliton&solver=rk4ip&dt=0.01"));
    h.state_mut().set_gpu(Some(ctx));
    h.run_steps(1);
    assert!(
        h.state_mut().set_shadow(true).is_err(),
        "no shadow of a CPU run"
    );
    h.state_mut().set_compute(true).expect("GPU");
    h.state_mut().set_shadow(true).expect("shadow");
    h.state_mut().run_until(1.0).expect("GPU run accepted");
    let mut d = diagnostics(&h);
    for _ in 0..3000 {
        h.run_steps(1);
        d = diagnostics(&h);
        if d["t"].as_f64() == Some(1.0) && d["shadow"]["last"]["t"].as_f64() == Some(1.0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let last = &d["shadow"]["last"];
    println!("shadow at t = 1: {last}; verdict {}", d["precision_limit"]);
    assert_eq!(last["t"].as_f64(), Some(1.0), "{d}");
    let (difference, bound) = (
        last["difference"].as_f64().expect("difference"),
        last["bound"].as_f64().expect("bound"),
    );
    assert!(
        difference > 1e-9 && difference < bound,
        "{difference:e} vs {bound:e}"
    );
    assert!(
        d["precision_limit"]
            .as_str()
            .is_some_and(|v| v.contains("single precision, not the solver")),
        "{d}"
    );
    h.get_by_label("Continue on the f64 shadow");
    // A tolerance below f32 resolution is flagged on screen and in the diagnostics.
    h.state_mut()
        .set_param("solver", "dopri5ip")
        .expect("GPU method");
    h.state_mut().set_param("rtol", "1e-9").expect("valid");
    h.run_steps(2);
    let d = diagnostics(&h);
    assert!(
        d["precision_limit"]
            .as_str()
            .is_some_and(|v| v.contains("below f32 resolution")),
        "{d}"
    );
    assert!(h.get_all_by_label_contains("below f32 resolution").count() >= 1);
    // The main view switches to the f64 path at the time the shadow reached.
    for _ in 0..500 {
        h.run_steps(1);
        if h.state_mut().continue_on_shadow().is_ok() {
            break;
        }
    }
    let d = diagnostics(&h);
    assert_eq!(d["compute"], "cpu-f64", "{d}");
    assert!(d["t"].as_f64().unwrap_or(0.0) >= 1.0);
}

/// Exports from the app: the history CSV and JSON hold every kept sample with the link and a
/// decimation statement; a checkpoint taken at t = 1 and loaded later continues to the same
/// state, bit for bit, as the run that went on; a damaged checkpoint changes nothing; a PNG
/// of a picture decodes to the same pixels.
#[test]
fn exports_hold_every_sample_and_checkpoints_reload_exactly() {
    let mut h = harness(Some(
        "?s=nlse&case=breather&solver=dopri5ip&rtol=1e-8&atol=1e-11",
    ));
    h.state_mut().run_until(1.0).expect("runs");
    h.run_steps(3);
    let history = h.state().history_export();
    let csv = history.to_csv();
    assert!(csv.contains("# link: ?v=1&s=nlse&case=breather"));
    assert!(csv.contains("# decimation: "));
    let samples = csv.lines().filter(|l| l.starts_with("h,")).count();
    assert_eq!(
        samples,
        history
            .series
            .iter()
            .find(|s| s.name == "h")
            .expect("h")
            .points
            .len()
    );
    assert!(samples > 10, "{samples} step sizes");
    let json: serde_json::Value = serde_json::from_str(&history.to_json()).expect("JSON");
    assert_eq!(json["sim"], "nlse");
    let checkpoint = h
        .state()
        .checkpoint_json()
        .expect("a CPU run has a checkpoint");
    h.state_mut().run_until(2.0).expect("runs");
    h.run_steps(3);
    let straight = diagnostics(&h);
    assert_eq!(straight["t"], 2.0);
    // A damaged file is refused and the run is kept.
    assert!(
        h.state_mut()
            .load_checkpoint(&checkpoint[..checkpoint.len() / 2])
            .is_err()
    );
    assert_eq!(diagnostics(&h)["t"], 2.0);
    h.state_mut().load_checkpoint(&checkpoint).expect("loads");
    h.run_steps(2);
    assert_eq!(diagnostics(&h)["t"], 1.0);
    h.state_mut().run_until(2.0).expect("runs");
    h.run_steps(3);
    let resumed = diagnostics(&h);
    for key in ["t", "accepted", "rejected", "nfe"] {
        assert_eq!(resumed[key], straight[key], "{key}");
    }
    assert_eq!(resumed["diagnostics"], straight["diagnostics"]);
    // Three-body and Navier–Stokes checkpoints come back through the app too.
    for link in [
        "?s=3body&case=figure8&solver=ias15",
        "?s=ns&case=taylor-green&n=16",
    ] {
        h.state_mut().load_link(link).expect("loads");
        h.state_mut().run_until(0.25).expect("runs");
        h.run_steps(3);
        let before = diagnostics(&h);
        let saved = h.state().checkpoint_json().expect("checkpoint");
        h.state_mut().reset();
        h.state_mut().load_checkpoint(&saved).expect("loads");
        h.run_steps(2);
        assert_eq!(diagnostics(&h)["t"], before["t"], "{link}");
    }
    // Diffusion sampling has no checkpoint, and says why.
    h.state_mut().load_link("?s=diffusion&n=64").expect("loads");
    assert!(
        h.state()
            .checkpoint_json()
            .is_err_and(|e| e.contains("link reproduces"))
    );
    // PNG pictures decode to their pixels.
    let image = egui::ColorImage::new(
        [3, 2],
        vec![
            egui::Color32::RED,
            egui::Color32::GREEN,
            egui::Color32::BLUE,
            egui::Color32::WHITE,
            egui::Color32::BLACK,
            egui::Color32::from_rgb(10, 20, 30),
        ],
    );
    let bytes = stepscope::app::export::png_bytes(&image).expect("encodes");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    reader.next_frame(&mut pixels).expect("decodes");
    assert_eq!(&pixels[..8], &[255, 0, 0, 255, 0, 255, 0, 255]);
    assert_eq!(&pixels[20..24], &[10, 20, 30, 255]);
}

/// Checkpoints of GPU runs (lavapipe): the NLSE's and the Navier–Stokes' f32 states as last
/// read back are saved exactly and continue on the CPU (f64) when loaded — the loaded run's
/// own checkpoint holds the same state, bit for bit, at the same time.
#[test]
fn gpu_runs_save_checkpoints_that_reload_their_f32_state_exactly() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let mut h = harness(Some("?s=nlse&case=soliton&solver=rk4ip&dt=0.01"));
    h.state_mut().set_gpu(Some(ctx));
    h.run_steps(1);
    for link in [
        "?s=nlse&case=soliton&solver=rk4ip&dt=0.01",
        "?s=ns&case=taylor-green&n=16&solver=rk3",
    ] {
        h.state_mut().load_link(link).expect("loads");
        h.state_mut().set_compute(true).expect("GPU");
        h.state_mut().run_until(0.25).expect("runs");
        for _ in 0..3000 {
            h.run_steps(1);
            let d = diagnostics(&h);
            if d["t"].as_f64() >= Some(0.25) && d["busy"] != true {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let on_gpu = diagnostics(&h);
        assert_eq!(on_gpu["compute"], "gpu-f32", "{link}");
        // The NLSE lands on the end time; Navier–Stokes keeps its CFL steps past it.
        assert!(on_gpu["t"].as_f64() >= Some(0.25), "{link}");
        let saved: serde_json::Value =
            serde_json::from_str(&h.state().checkpoint_json().expect("a GPU checkpoint"))
                .expect("JSON");
        h.state_mut().reset();
        let text = saved.to_string();
        h.state_mut().load_checkpoint(&text).expect("loads");
        h.run_steps(1);
        assert_eq!(diagnostics(&h)["compute"], "cpu-f64", "{link}");
        let again: serde_json::Value =
            serde_json::from_str(&h.state().checkpoint_json().expect("checkpoint")).expect("JSON");
        println!(
            "{link}: saved at t = {} from the GPU, reloaded at t = {}",
            saved["t"], again["t"]
        );
        assert_eq!(again["t"], saved["t"], "{link}");
        let field = if link.contains("nlse") {
            "psi_hat"
        } else {
            "faces"
        };
        let bits = |c: &serde_json::Value| {
            c["state"]["floats"]
                .as_array()
                .and_then(|f| f.iter().find(|pair| pair[0] == field))
                .map(|pair| pair[1].clone())
                .unwrap_or_default()
        };
        assert!(bits(&saved).is_array(), "{link}: {}", saved["state"]);
        assert_eq!(bits(&again), bits(&saved), "{link}");
    }
}

/// The link box follows the run and Copy link confirms; an error is shown across the top
/// until a change goes through or it is dismissed, and the run is kept meanwhile.
#[test]
fn the_link_box_follows_the_run_and_errors_stay_until_superseded() {
    let mut h = harness(Some("?s=nlse&case=soliton&solver=rk4ip&dt=0.01"));
    let link = h.state().scenario().to_query();
    assert_eq!(diagnostics(&h)["link_box"], format!("?{link}"));
    h.get_by_label("Copy link").click();
    h.run_steps(2);
    h.get_by_label("Copied!");
    let d = diagnostics(&h);
    assert_eq!(d["link_copied"], true);
    assert!(d["notice"].as_str().unwrap_or("").contains("Link copied"));

    let err = h
        .state_mut()
        .load_link("?s=nlse&n=-5")
        .expect_err("n = -5 is refused");
    assert!(
        err.contains("'n': must be an integer from 256 to 65536, got '-5'"),
        "{err}"
    );
    h.run_steps(10);
    h.get_by_label_contains("must be an integer from 256 to 65536");
    assert_eq!(diagnostics(&h)["link"], link, "the run is kept");
    // A change that goes through in the UI supersedes the error.
    pick_solver(&mut h, "DOP853-IP");
    let d = diagnostics(&h);
    assert_eq!(d["solver"], "dop853ip");
    assert!(d["notice"].is_null(), "{d}");
    assert_eq!(
        d["link_box"],
        format!("?{}", h.state().scenario().to_query()),
        "the link box follows the change"
    );
    // Dismiss hides an error without touching the run.
    let _ = h.state_mut().set_param("rtol", "0");
    h.run_steps(2);
    h.get_by_label("Dismiss").click();
    h.run_steps(2);
    assert!(diagnostics(&h)["notice"].is_null());
    assert_eq!(diagnostics(&h)["solver"], "dop853ip");
}

/// A bad link at start-up opens the stored run (not the default of another simulation) and
/// says so until dismissed.
#[test]
fn a_bad_start_up_link_keeps_the_stored_run_and_says_so() {
    let stored = "?v=1&s=3body&case=pythagorean&solver=ias15&tol=1e-9".to_owned();
    let app = StepscopeApp::new(Some("?s=nlse&n=-5"), Some(stored), "test".to_owned());
    let mut h = Harness::builder()
        .with_context_setup(stepscope::app::fonts::install)
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut StepscopeApp| app.show(ui), app);
    h.run_steps(5);
    let d = diagnostics(&h);
    assert_eq!(d["sim"], "3body");
    assert_eq!(d["case"], "pythagorean");
    let notice = d["notice"].as_str().unwrap_or("").to_owned();
    assert!(
        notice.contains("must be an integer from 256 to 65536")
            && notice.contains("the last run is shown instead"),
        "{notice}"
    );
    h.get_by_label_contains("the last run is shown instead");
}

/// Every plot the four simulations draw (their default views after a run, a solver switch,
/// and the NLSE spectrum): both axes have titles, a log axis labels every decade in view and
/// no label twice, each legend name has one colour (the one its series are drawn in), and the
/// time plots mark the solver switch.
#[test]
fn every_plot_has_axis_titles_decade_labels_and_one_colour_per_legend_entry() {
    use stepscope::app::chart::records;
    /// A link, its end time (0: diffusion sampling to its end), the switch made halfway and
    /// the views to look at.
    type Case<'a> = (&'a str, f64, (&'a str, &'a str), &'a [&'a str]);
    let cases: [Case; 4] = [
        (
            "?s=nlse&case=soliton&solver=dop853ip&rtol=1e-9",
            2.0,
            ("solver", "erk43ip"),
            &["state", "waterfall", "spectrum"],
        ),
        (
            "?s=3body&case=figure8",
            3.0,
            ("solver", "dopri5"),
            &["orbits"],
        ),
        (
            "?s=ns&case=cavity&n=32",
            0.5,
            ("solver", "rk2"),
            &["vorticity"],
        ),
        (
            "?s=diffusion&target=ring8&sampler=dopri5&n=1000",
            0.0,
            ("tol", "1e-3"),
            &["particles"],
        ),
    ];
    let mut checked = 0;
    for (link, until, switch, views) in cases {
        let mut h = harness(Some(link));
        let half = if until > 0.0 { until / 2.0 } else { 0.0 };
        if until > 0.0 {
            h.state_mut().run_until(half).expect("runs");
            h.run_steps(2);
            h.state_mut().set_param(switch.0, switch.1).expect("switch");
            h.run_steps(2);
        }
        h.state_mut().run_until(until).expect("runs");
        for view in views {
            let _ = h.state_mut().set_view(view);
            h.run_steps(3);
            let pass = h.ctx.cumulative_pass_nr();
            let drawn: Vec<_> = records(&h.ctx)
                .into_iter()
                .filter(|(_, r)| r.pass + 1 >= pass)
                .collect();
            assert!(drawn.len() >= 3, "{link} {view}: {} plots", drawn.len());
            for (id, r) in drawn {
                if std::env::var("SHOW_PLOTS").is_ok() {
                    println!("{id}: {r:?}");
                }
                checked += 1;
                assert!(
                    !r.x_title.trim().is_empty() && !r.y_title.trim().is_empty(),
                    "{link} {id}: axis titles {:?} / {:?}",
                    r.x_title,
                    r.y_title
                );
                let texts: Vec<&str> = r.y_labels.iter().map(|(_, t)| t.as_str()).collect();
                let mut unique = texts.clone();
                unique.sort_unstable();
                unique.dedup();
                assert_eq!(
                    unique.len(),
                    texts.len(),
                    "{link} {id}: duplicate labels {texts:?}"
                );
                if r.y_log {
                    let (lo, hi) = r.y_view;
                    let decades = (lo.ceil() as i64)..=(hi.floor() as i64);
                    assert!(
                        !decades.is_empty(),
                        "{link} {id}: no decade in view {lo}..{hi}"
                    );
                    for k in decades {
                        assert!(
                            r.y_labels.iter().any(
                                |(v, t)| (*v - k as f64).abs() < 1e-9 && *t == format!("1e{k}")
                            ),
                            "{link} {id}: decade 1e{k} unlabelled in {lo:.2}..{hi:.2} \
                             ({} px): {texts:?}",
                            r.height
                        );
                    }
                }
                for (name, colours) in &r.legend {
                    assert!(
                        colours.windows(2).all(|w| w[0] == w[1]),
                        "{link} {id}: '{name}' is drawn in {colours:?}"
                    );
                }
                if until > 0.0 && r.x_title == "t" && id != "phase" && id != "state" {
                    assert!(
                        r.markers.iter().any(|t| (*t - half).abs() < 0.2 * half),
                        "{link} {id}: the switch at t ≈ {half} is not marked ({:?})",
                        r.markers
                    );
                }
            }
        }
    }
    println!("{checked} plots checked");
}

/// Light and dark are one click each, presentation mode enlarges the whole UI, and the frame
/// readout reports our frames.
#[test]
fn theme_presentation_mode_and_frame_readout() {
    let mut h = harness(Some("?s=nlse&case=soliton&solver=rk4ip&dt=0.01"));
    h.get_by_label("Dark").click();
    h.run_steps(2);
    assert_eq!(h.ctx.theme(), egui::Theme::Dark);
    h.get_by_label("Light").click();
    h.run_steps(2);
    assert_eq!(h.ctx.theme(), egui::Theme::Light);
    h.get_by_label("presentation").click();
    h.run_steps(2);
    assert!((h.ctx.zoom_factor() - 1.4).abs() < 1e-6);
    h.get_by_label("presentation").click();
    h.run_steps(2);
    assert!((h.ctx.zoom_factor() - 1.0).abs() < 1e-6);
    h.get_by_label("frame times").click();
    h.run_steps(5);
    h.get_by_label_contains("fps");
}

/// A long chaos map shows its progress, the time so far and an estimate of what is left, and
/// Cancel stops it with the finished systems kept.
#[test]
fn a_long_chaos_map_shows_progress_and_can_be_cancelled() {
    let mut h = harness(Some("?s=3body&case=figure8&solver=ias15"));
    h.get_by_label("Chaos map (ensemble)").click();
    h.run_steps(2);
    let params = EnsembleParams {
        resolution: 64,
        t_end: 50.0,
        ..EnsembleParams::default()
    };
    h.state_mut()
        .start_chaos_map(false, params)
        .expect("CPU map starts");
    h.run_steps(3);
    h.get_by_label_contains("estimating the time left");
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    let d = diagnostics(&h);
    let (finished, members) = (d["map"]["finished"].as_u64(), d["map"]["members"].as_u64());
    assert_eq!(members, Some(4096));
    assert!(finished.is_some_and(|f| f < 4096), "{d}");
    // Nothing more is computed after Cancel.
    h.run_steps(5);
    assert_eq!(diagnostics(&h)["map"]["finished"].as_u64(), finished);
    assert!(
        h.query_by_label("Cancel").is_none(),
        "the progress row is gone"
    );
}

#[test]
fn the_first_screen_shows_the_equation_the_presets_and_says_press_play() {
    use stepscope::scenario::gallery;
    let mut h = harness(None);
    h.get_by_label("Press Play (or the space bar) to start the run.");
    // The equation is typeset: its text is on screen, scripts inline.
    h.get_by_label_contains("γ |ψ|2 ψ = 0");
    // The default scenario is the first preset: its two sentences are shown.
    let soliton = &gallery::gallery("nlse")[0];
    h.get_by_label(soliton.shows);
    h.get_by_label(soliton.try_next);
    // A preset loads its link and shows its sentences; the run waits for Play.
    h.get_by_label("Breather").click();
    h.run_steps(3);
    let d = diagnostics(&h);
    assert_eq!(d["case"], "breather");
    assert_eq!(d["solver"], "dop853ip");
    h.get_by_label(gallery::gallery("nlse")[1].try_next);
    // A link that is no preset's does not keep another preset's sentences.
    h.state_mut()
        .load_link("?s=nlse&case=breather&solver=rk4ip&dt=0.01")
        .expect("loads");
    h.run_steps(2);
    assert!(
        h.query_by_label(gallery::gallery("nlse")[1].try_next)
            .is_none()
    );
    h.get_by_label("Breather").click();
    h.run_steps(3);
    // Play removes the prompt; every simulation has its gallery.
    h.get_by_label("Play").click();
    h.run_steps(3);
    assert!(
        h.query_by_label("Press Play (or the space bar) to start the run.")
            .is_none()
    );
    for (name, first) in [
        ("Three-body", "Figure eight"),
        ("Diffusion", "Eight modes"),
        ("Navier–Stokes", "Cavity"),
    ] {
        h.get_by_label(name).click();
        h.run_steps(3);
        h.get_by_label(first);
    }
    // Another simulation's preset opens that simulation's scenario.
    h.get_by_label("Cylinder wake").click();
    h.run_steps(3);
    let d = diagnostics(&h);
    assert_eq!(d["case"], "cylinder");
    // Hidden, and shown again from the left panel.
    h.get_by_label("Hide").click();
    h.run_steps(2);
    assert!(h.query_by_label("Cylinder wake").is_none());
    h.get_by_label("intro").click();
    h.run_steps(2);
    h.get_by_label("Cylinder wake");
}

/// After a change that restarts the run, the time plots keep the last run's lines, faded and
/// out of the legend; the switch in the left panel hides them.
#[test]
fn a_restarted_run_keeps_the_previous_run_faded_on_its_time_plots() {
    use stepscope::app::chart::records;
    let mut h = harness(Some("?s=nlse&case=soliton&solver=strang&dt=0.01"));
    h.state_mut().run_until(1.0).expect("runs");
    h.run_steps(3);
    let drift = |h: &Harness<'_, StepscopeApp>| records(&h.ctx)["drift"].clone();
    assert_eq!(
        drift(&h).previous_lines,
        0,
        "a first run has no previous one"
    );
    h.get_by_label("Reset").click();
    h.run_steps(2);
    h.state_mut().run_until(0.5).expect("runs");
    h.run_steps(3);
    let after = drift(&h);
    assert_eq!(
        after.previous_lines, 3,
        "mass, momentum and Hamiltonian of the last run"
    );
    assert_eq!(
        after.legend.len(),
        3,
        "the faded lines stay out of the legend: {:?}",
        after.legend
    );
    h.get_by_label("previous run, faded").click();
    h.run_steps(2);
    assert_eq!(drift(&h).previous_lines, 0);
}

/// A sampling run that has reached t_min says it is measuring until its report is in (the
/// closing measurement goes a piece per frame), then shows the report.
#[test]
fn a_sampling_run_at_t_min_says_it_is_measuring_then_reports() {
    let mut h = harness(Some("?s=diffusion&n=256&nfe=10"));
    h.state_mut().step(10);
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["steps"], 10);
    assert_eq!(d["finished"], false);
    h.get_by_label("measuring");
    h.get_by_label("(measuring against the exact target…)");
    h.state_mut().run_until(0.0).expect("finishes");
    h.run_steps(2);
    let d = diagnostics(&h);
    assert_eq!(d["finished"], true);
    let w2 = d["report"]["sliced_w2"].as_f64().expect("a report");
    assert!(w2 > 0.0 && w2 < 1.0, "sliced W2 {w2}");
    assert!(h.query_by_label("measuring").is_none());
}

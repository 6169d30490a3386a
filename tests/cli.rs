//! The headless command line, run as a process: `stepscope run` on each simulation (the rows
//! checked against exact solutions and conservation laws), the GPU backend against the CPU,
//! and bad input answered with a message and exit code 2.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

fn stepscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stepscope"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stepscope-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// A CSV file as (header, rows); empty cells and labels (a sweep's solver) are NaN.
fn read_csv(path: &PathBuf) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).expect("output written");
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .map(|l| {
            l.split(',')
                .map(|v| v.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    (header, rows)
}

fn column(header: &[String], rows: &[Vec<f64>], name: &str) -> Vec<f64> {
    let k = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    rows.iter().map(|r| r[k]).collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn nlse_soliton_rows_follow_the_exact_solution_to_the_end_time() {
    let out = temp("soliton.csv");
    let o = stepscope(&[
        "run",
        "?s=nlse&case=soliton&solver=dop853ip&rtol=1e-10&atol=1e-12",
        "--until",
        "2",
        "--every",
        "0.25",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (header, rows) = read_csv(&out);
    let t = column(&header, &rows, "t");
    // t = 0, 0.25, …, 2: nine rows, landing exactly on the sample times.
    assert_eq!(t.len(), 9, "{t:?}");
    for (k, t) in t.iter().enumerate() {
        assert!((t - 0.25 * k as f64).abs() < 1e-12, "{t}");
    }
    let error = column(&header, &rows, "exact_error");
    let drift = column(&header, &rows, "mass_drift");
    println!(
        "soliton to t = 2: exact error {:.2e}, mass drift {:.2e}",
        error[8], drift[8]
    );
    assert!(error[8] < 1e-7 && drift[8] < 1e-9);
    // Not a terminal here: plain progress lines.
    assert!(stderr(&o).contains("progress 100%"), "{}", stderr(&o));
}

#[test]
fn three_body_and_navier_stokes_runs_keep_their_invariants() {
    // The figure-eight conserves energy to the integrator's accuracy.
    let out = temp("figure8.jsonl");
    let o = stepscope(&[
        "run",
        "?s=3body&case=figure8&solver=dop853&tol=1e-10",
        "--until",
        "6.3259",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).expect("written");
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    // 200 samples by default, plus the start.
    assert_eq!(rows.len(), 201);
    let last = rows.last().expect("rows");
    assert!((last["t"].as_f64().expect("t") - 6.3259).abs() < 1e-12);
    let energy_error = last["max_energy_error"].as_f64().expect("energy");
    println!("figure-eight, one period: max |ΔE/E| {energy_error:.1e}");
    assert!(energy_error < 1e-8);

    // The lid-driven cavity: divergence-free rows, energy rising from rest.
    let out = temp("cavity.csv");
    let o = stepscope(&[
        "run",
        "?s=ns&case=cavity&n=16&re=100&solver=rk3&pressure=mg&tol=1e-8",
        "--until",
        "0.5",
        "--every",
        "0.1",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (header, rows) = read_csv(&out);
    let t = column(&header, &rows, "t");
    assert!(t.len() >= 6 && *t.last().expect("t") >= 0.5, "{t:?}");
    let divergence = column(&header, &rows, "max_divergence");
    let energy = column(&header, &rows, "energy");
    assert!(divergence[1..].iter().all(|d| *d < 1e-6), "{divergence:?}");
    assert!(energy.windows(2).all(|w| w[1] > w[0]), "{energy:?}");
}

#[test]
fn diffusion_sampling_writes_every_step_and_its_report() {
    let out = temp("diffusion.csv");
    let o = stepscope(&[
        "run",
        "?s=diffusion&sampler=dpm3&nfe=30&n=2048",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (header, rows) = read_csv(&out);
    let nfe = column(&header, &rows, "nfe");
    assert_eq!(*nfe.last().expect("rows"), 30.0, "{nfe:?}");
    assert!(stderr(&o).contains("sliced W2"), "{}", stderr(&o));
}

/// The number after `label` in `text` (e.g. the summary's "RMS error vs the ODE solution").
fn number_after(text: &str, label: &str) -> f64 {
    let rest = &text[text
        .find(label)
        .unwrap_or_else(|| panic!("no '{label}' in {text}"))
        + label.len()..];
    rest.split(|c: char| c.is_whitespace() || c == ',')
        .find(|w| !w.is_empty())
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no number after '{label}' in {text}"))
}

/// Diffusion sampling with `--backend gpu` (it was refused before the run interface): the
/// same step rows as the CPU, and a sample whose distance to the reference ODE solution agrees
/// with the f64 run's within the f32 bound of 20 evaluations (u·(1 + ln 8)·20 at the prior's
/// unit scale, about 6e-6) plus the rounding of the printed summary (4 significant digits).
/// tests/gpu_diffusion.rs checks the particles themselves against the bound.
#[test]
fn diffusion_sampling_runs_on_the_gpu_headless() {
    if common::gpu_context().is_none() {
        return;
    }
    let mut runs = Vec::new();
    for backend in ["cpu", "gpu"] {
        let out = temp(&format!("dpmpp2m-{backend}.csv"));
        let o = stepscope(&[
            "run",
            "?s=diffusion&sampler=dpmpp2m&nfe=20",
            "--backend",
            backend,
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert!(o.status.success(), "{backend}: {}", stderr(&o));
        let (header, rows) = read_csv(&out);
        let t = column(&header, &rows, "t");
        let nfe = column(&header, &rows, "nfe");
        let ode_error = number_after(&stderr(&o), "RMS error vs the ODE solution");
        runs.push((t, nfe, ode_error));
    }
    let (cpu, gpu) = (&runs[0], &runs[1]);
    println!(
        "dpmpp2m NFE 20: {} steps; RMS error vs the ODE solution f64 {:.4e}, f32 {:.4e}",
        cpu.0.len(),
        cpu.2,
        gpu.2
    );
    assert_eq!((&cpu.0, &cpu.1), (&gpu.0, &gpu.1), "the same steps");
    assert_eq!(*gpu.1.last().expect("rows"), 20.0);
    let bound = stepscope::sims::diffusion::shadow::f32_bound(20.0, 8, 1.0);
    let printed = 5e-4 * (cpu.2.abs() + gpu.2.abs());
    assert!(
        (cpu.2 - gpu.2).abs() <= bound + printed,
        "bound {bound:e} + rounding {printed:e}"
    );
}

#[test]
fn the_gpu_backend_matches_the_cpu_headless() {
    if common::gpu_context().is_none() {
        return;
    }
    let link = "?s=ns&case=turbulence&n=32&solver=spectral-if";
    let mut energies = Vec::new();
    for backend in ["cpu", "gpu"] {
        let out = temp(&format!("turbulence-{backend}.csv"));
        let o = stepscope(&[
            "run",
            link,
            "--until",
            "0.5",
            "--every",
            "0.5",
            "--backend",
            backend,
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert!(o.status.success(), "{backend}: {}", stderr(&o));
        let (header, rows) = read_csv(&out);
        let steps = column(&header, &rows, "steps");
        let energy = column(&header, &rows, "energy");
        energies.push((*steps.last().expect("rows"), *energy.last().expect("rows")));
    }
    println!(
        "spectral turbulence to t = 0.5: CPU (steps, E) {:?}, GPU {:?}",
        energies[0], energies[1]
    );
    assert_eq!(energies[0].0, energies[1].0);
    assert!((energies[1].1 / energies[0].1 - 1.0).abs() < 1e-5);
    // The NLSE on the GPU (f32) against the exact soliton.
    let out = temp("soliton-gpu.csv");
    let o = stepscope(&[
        "run",
        "?s=nlse&case=soliton&solver=rk4ip&dt=0.01",
        "--until",
        "1",
        "--every",
        "0.5",
        "--backend",
        "gpu",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (header, rows) = read_csv(&out);
    let t = column(&header, &rows, "t");
    let error = column(&header, &rows, "exact_error");
    let drift = column(&header, &rows, "mass_drift");
    println!(
        "NLSE soliton on the GPU to t = 1: exact error {:.2e}, mass drift {:.2e}",
        error[2], drift[2]
    );
    assert!((t[2] - 1.0).abs() < 1e-9, "{t:?}");
    assert!(error[2] < 1e-4 && drift[2] < 1e-5);

    // A three-body sweep on the GPU, every run in one dispatch: the same work as on the CPU,
    // leapfrog's order, and each row's f32 floor; a solver without a kernel is refused.
    let sweep = |backend: &str, solvers: &str| {
        let out = temp(&format!("wp-{backend}.csv"));
        let o = stepscope(&[
            "sweep",
            "?s=3body&case=figure8&steps=fixed",
            "--vary",
            "dt=0.1..0.0125",
            "--points",
            "4",
            "--solvers",
            solvers,
            "--until",
            "2",
            "--backend",
            backend,
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        (o, out)
    };
    let (cpu, cpu_out) = sweep("cpu", "leapfrog,rk4");
    let (gpu, gpu_out) = sweep("gpu", "leapfrog,rk4");
    assert!(gpu.status.success(), "{}", stderr(&gpu));
    assert!(
        stderr(&gpu).contains("8 runs in each dispatch"),
        "{}",
        stderr(&gpu)
    );
    let (header, cpu_rows) = read_csv(&cpu_out);
    let (gpu_header, gpu_rows) = read_csv(&gpu_out);
    assert_eq!(
        column(&header, &cpu_rows, "work"),
        column(&gpu_header, &gpu_rows, "work")
    );
    assert!(
        column(&gpu_header, &gpu_rows, "floor")
            .iter()
            .all(|f| *f > 0.0)
    );
    let orders = observed_orders(&gpu);
    println!("GPU sweep: {orders:?}; CPU: {:?}", observed_orders(&cpu));
    assert!(
        orders
            .iter()
            .any(|(s, p)| s == "leapfrog" && (p - 2.0).abs() <= 0.3)
    );
    // A GPU run's checkpoint holds its f32 state and continues on the CPU.
    let saved = temp("soliton-gpu-checkpoint.json");
    let out = temp("soliton-gpu-then-cpu.csv");
    let o = stepscope(&[
        "run",
        "?s=nlse&case=soliton&solver=rk4ip&dt=0.01",
        "--until",
        "0.5",
        "--every",
        "0.25",
        "--backend",
        "gpu",
        "--out",
        out.to_str().expect("utf-8"),
        "--checkpoint",
        saved.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = stepscope(&[
        "run",
        saved.to_str().expect("utf-8"),
        "--until",
        "1",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (header, rows) = read_csv(&out);
    let t = column(&header, &rows, "t");
    let error = column(&header, &rows, "exact_error");
    println!(
        "GPU to t = 0.5, then CPU from its checkpoint to t = {}: exact error {:.2e}",
        t[t.len() - 1],
        error[error.len() - 1]
    );
    assert_eq!(t[0], 0.5);
    assert_eq!(t[t.len() - 1], 1.0);
    assert!(error[error.len() - 1] < 1e-4);
    let (refused, _) = sweep("gpu", "leapfrog,ias15");
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("ias15 has no GPU kernel"));
}

#[test]
fn bad_input_gets_a_message_and_exit_code_2() {
    let out = temp("never.csv");
    let out = out.to_str().expect("utf-8");
    for (args, expected) in [
        (
            vec!["run", "?s=warp&case=x", "--until", "1", "--out", out],
            "unknown simulation",
        ),
        (vec!["run", "?s=nlse&case=soliton", "--out", out], "--until"),
        (
            vec!["run", "?s=nlse&case=soliton", "--until", "-1", "--out", out],
            "end time",
        ),
        (
            vec![
                "run",
                "?s=nlse&case=soliton",
                "--until",
                "NaN",
                "--out",
                out,
            ],
            "end time",
        ),
        (
            vec![
                "run",
                "?s=nlse&case=soliton",
                "--until",
                "1",
                "--every",
                "0",
                "--out",
                out,
            ],
            "--every",
        ),
        (
            vec![
                "run",
                "?s=nlse&case=soliton",
                "--until",
                "1",
                "--out",
                "x.txt",
            ],
            ".csv or .jsonl",
        ),
        (
            vec![
                "run",
                "?s=nlse&case=soliton&n=-4",
                "--until",
                "1",
                "--out",
                out,
            ],
            "bad value for 'n'",
        ),
        (
            vec!["run", "?s=diffusion", "--until", "1", "--out", out],
            "leave out --until",
        ),
        (
            vec![
                "run",
                "?s=3body&case=figure8",
                "--until",
                "1",
                "--backend",
                "gpu",
                "--out",
                out,
            ],
            "--backend cpu",
        ),
        (
            vec![
                "run",
                "?s=nlse",
                "--until",
                "1",
                "--backend",
                "tpu",
                "--out",
                out,
            ],
            "tpu",
        ),
        (vec!["run", "--until", "1"], "Usage"),
    ] {
        let o = stepscope(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
    }
    assert!(
        !std::path::Path::new(out).exists(),
        "bad input writes no output"
    );
}

#[test]
fn a_diverging_run_exits_with_1_and_keeps_its_rows() {
    // Central SSP-RK3 advection at Courant number 9 is unstable: the shear layer blows up.
    let out = temp("diverging.csv");
    let o = stepscope(&[
        "run",
        "?s=ns&case=kelvin-helmholtz&n=32&cfl=9&solver=rk3&pressure=mg",
        "--until",
        "20",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("diverged"), "{}", stderr(&o));
    let (header, rows) = read_csv(&out);
    let t = column(&header, &rows, "t");
    assert!(t.len() > 2 && *t.last().expect("rows") < 20.0, "{t:?}");
}

/// The observed orders a sweep prints, by solver.
fn observed_orders(o: &Output) -> Vec<(String, f64)> {
    stderr(o)
        .lines()
        .filter_map(|l| {
            let (solver, rest) = l.split_once(": observed order ")?;
            let order = rest.split_whitespace().next()?.parse().ok()?;
            Some((solver.to_owned(), order))
        })
        .collect()
}

/// Work–precision sweeps from the command line recover the orders of fixed-order methods
/// within ±0.3 (tests/race.rs races every simulation through the library): NLSE split-step
/// and interaction-picture methods against the exact soliton, Navier–Stokes SSP-RK3 against a
/// reference run.
#[test]
fn sweeps_recover_the_orders_of_fixed_order_methods() {
    for (args, expected) in [
        (
            vec![
                "sweep",
                "?s=nlse&case=soliton",
                "--vary",
                "dt=0.1..0.0125",
                "--points",
                "4",
                "--solvers",
                "strang,rk4ip,yoshida4",
                "--until",
                "1",
            ],
            vec![("strang", 2.0), ("rk4ip", 4.0), ("yoshida4", 4.0)],
        ),
        (
            vec![
                "sweep",
                "?s=ns&case=turbulence&n=32&pressure=fft",
                "--vary",
                "cfl=0.8..0.1",
                "--points",
                "4",
                "--solvers",
                "rk3",
                "--until",
                "2",
                "--against",
                "reference",
            ],
            vec![("rk3", 3.0)],
        ),
    ] {
        let out = temp(&format!("sweep-{}.csv", expected[0].0));
        let mut args = args;
        args.extend(["--out", out.to_str().expect("utf-8")]);
        let o = stepscope(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        let orders = observed_orders(&o);
        println!("{}: {orders:?}", args[1]);
        for (solver, theory) in expected {
            let (_, observed) = orders
                .iter()
                .find(|(s, _)| s == solver)
                .unwrap_or_else(|| panic!("{solver} in {orders:?}"));
            assert!(
                (observed - theory).abs() <= 0.3,
                "{solver}: observed {observed}, theory {theory}"
            );
        }
        let (header, rows) = read_csv(&out);
        assert_eq!(header[..4], ["solver", "value", "work", "error"]);
        assert!(rows.len() >= 4);
    }
    // Bad ranges are refused before anything runs.
    for vary in ["dt", "dt=0..1", "dt=a..b", "=1..2"] {
        let o = stepscope(&[
            "sweep",
            "?s=nlse&case=soliton",
            "--vary",
            vary,
            "--solvers",
            "strang",
            "--until",
            "1",
            "--out",
            "never.csv",
        ]);
        assert_eq!(o.status.code(), Some(2), "{vary}");
        assert!(stderr(&o).contains("--vary"), "{vary}: {}", stderr(&o));
    }
}

/// A checkpoint round-trips exactly: a run to t1 saved, then continued from the file to t2,
/// writes the same last row, digit for digit, as one run straight to t2 sampled at t1 — for
/// an adaptive NLSE run (the step controller's memory is saved), adaptive three-body runs
/// (DOPRI5, and IAS15 with its force polynomial and Kahan residuals)
/// and a Navier–Stokes run with an iterative pressure solve (its first guess is saved). The
/// checkpoint holds its link; a damaged one, a link given as a checkpoint and a checkpoint
/// of diffusion sampling are refused with a reason.
#[test]
fn a_checkpoint_round_trips_exactly() {
    for (name, link, t1, t2) in [
        (
            "nlse",
            "?s=nlse&case=collision&solver=dopri5ip&rtol=1e-7&atol=1e-10",
            "2",
            "4",
        ),
        (
            "3body",
            "?s=3body&case=figure8&solver=dopri5&steps=adaptive",
            "1",
            "2",
        ),
        (
            "ias15",
            "?s=3body&case=pythagorean&solver=ias15&tol=1e-9",
            "10",
            "20",
        ),
        (
            "ns",
            "?s=ns&case=kelvin-helmholtz&n=32&solver=rk3&pressure=mg",
            "0.2",
            "0.4",
        ),
    ] {
        let straight = temp(&format!("straight-{name}.csv"));
        let first = temp(&format!("first-{name}.csv"));
        let second = temp(&format!("second-{name}.csv"));
        let saved = temp(&format!("saved-{name}.json"));
        let path = |p: &PathBuf| p.to_str().expect("utf-8").to_owned();
        let o = stepscope(&[
            "run",
            link,
            "--until",
            t2,
            "--every",
            t1,
            "--out",
            &path(&straight),
        ]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let o = stepscope(&[
            "run",
            link,
            "--until",
            t1,
            "--every",
            t1,
            "--out",
            &path(&first),
            "--checkpoint",
            &path(&saved),
        ]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains("checkpoint at t = "), "{}", stderr(&o));
        let o = stepscope(&[
            "run",
            &path(&saved),
            "--until",
            t2,
            "--every",
            t1,
            "--out",
            &path(&second),
        ]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let text = |p: &PathBuf| std::fs::read_to_string(p).expect("written");
        let last = |p: &PathBuf| text(p).lines().last().expect("rows").to_owned();
        let first_row_resumed = text(&second).lines().nth(1).expect("rows").to_owned();
        println!(
            "{name}: straight {}\n{name}: resumed  {}",
            last(&straight),
            last(&second)
        );
        // The resumed run starts where the first stopped and ends where the straight run did.
        assert_eq!(first_row_resumed, last(&first), "{name}: the saved state");
        assert_eq!(last(&second), last(&straight), "{name}: continued exactly");
        let checkpoint: serde_json::Value = serde_json::from_str(&text(&saved)).expect("JSON");
        assert!(
            checkpoint["link"]
                .as_str()
                .is_some_and(|l| l.contains("s="))
        );
    }
    // Refusals: a damaged checkpoint, and no checkpoint of diffusion sampling.
    let damaged = temp("damaged.json");
    std::fs::write(
        &damaged,
        r#"{"format": "stepscope checkpoint", "version": 1}"#,
    )
    .expect("written");
    let o = stepscope(&[
        "run",
        damaged.to_str().expect("utf-8"),
        "--until",
        "1",
        "--out",
        "-",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("damaged"), "{}", stderr(&o));
    let o = stepscope(&[
        "run",
        "?s=diffusion&n=64&nfe=5",
        "--out",
        "-",
        "--checkpoint",
        temp("diffusion.json").to_str().expect("utf-8"),
    ]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("no checkpoint"), "{}", stderr(&o));
}

/// `stepscope bench --quick` prints real tables: the three-body suite's IAS15 run of the
/// Pythagorean problem conserves energy to its tolerance and the NLSE's DOP853-IP keeps the
/// mass; an unknown suite is refused.
#[test]
fn bench_prints_the_tables() {
    let o = stepscope(&["bench", "--quick", "--suite", "nlse,threebody"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    println!("{out}");
    assert!(out.contains("== nlse (quick)") && out.contains("== threebody (quick)"));
    assert!(!out.contains("== diffusion"), "only the suites asked for");
    let number_after = |key: &str| -> f64 {
        let rest = &out[out
            .find(key)
            .unwrap_or_else(|| panic!("{key} in the output"))
            + key.len()..];
        rest.trim_start()
            .split(|c: char| c == ',' || c.is_whitespace())
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("a number after {key}"))
    };
    let energy = number_after("|dE/E0| = ");
    assert!(
        energy > 0.0 && energy < 1e-8,
        "IAS15 energy error {energy:e}"
    );
    let mass = number_after("mass drift ");
    assert!(mass < 1e-10, "DOP853-IP mass drift {mass:e}");
    // Against the resolved run (N = 1024, rtol 1e-13): N = 512 resolves the collision to
    // about 6e-7 (the full-length bench's goal is 8.4e-7).
    let error = number_after("resolved reference (N = 1024, rtol 1e-13): ");
    assert!(error > 0.0 && error < 2e-6, "DOP853-IP error {error:e}");
    let o = stepscope(&["bench", "--suite", "warp"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown suite"), "{}", stderr(&o));
}

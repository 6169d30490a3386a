//! The GPU (lavapipe, f32) MAC solver against the f64 CPU reference on short runs: the same
//! scenario, initial flow and Δt rule, every time scheme and pressure solver, walls, lid,
//! inflow/outflow, obstacles and forcing.

mod common;

use stepscope::sims::navier_stokes::gpu::GpuNs;
use stepscope::sims::navier_stokes::mac::TimeScheme;
use stepscope::sims::navier_stokes::{
    NsCase, NsParams, NsSolver, ObstacleMask, PressureKind, scenario,
};

fn cpu_run(
    p: &NsParams,
    steps: usize,
) -> (stepscope::sims::navier_stokes::mac::Velocity, Vec<f64>, f64) {
    let grid = scenario::mac_grid(p).expect("grid");
    let mut vel = scenario::initial_velocity(p, &grid);
    let mut phi = vec![0.0; grid.nx * grid.ny];
    let NsSolver::Mac(scheme) = p.solver else {
        panic!("MAC only")
    };
    let (mut t, mut energies) = (0.0, Vec::new());
    for _ in 0..steps {
        let dt = grid.step_limits(&vel, p.viscosity(), p.cfl, scheme).dt;
        grid.step(
            scheme,
            &mut vel,
            &mut phi,
            dt,
            p.viscosity(),
            p.pressure.solver(p.omega),
            1e-11,
        )
        .expect("steps");
        t += dt;
        energies.push(grid.kinetic_energy(&vel));
    }
    (vel, energies, t)
}

#[test]
fn the_gpu_mac_solver_matches_the_f64_cpu_on_short_runs() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let mut cases: Vec<(&str, NsParams, usize)> = Vec::new();
    for scheme in TimeScheme::ALL {
        let mut p = NsCase::Cavity.defaults();
        p.n = 32;
        p.reynolds = 400.0;
        p.solver = NsSolver::Mac(scheme);
        p.tol = 1e-7;
        cases.push(("cavity", p, 12));
    }
    let mut p = NsCase::Cylinder.defaults();
    p.n = 32;
    p.tol = 1e-7;
    cases.push(("cylinder (MacCormack)", p, 8));
    let mut p = NsCase::Channel.defaults();
    p.n = 16;
    p.solver = NsSolver::Mac(TimeScheme::SspRk3);
    p.tol = 1e-7;
    let (nx, ny) = p.cells();
    let mut mask = ObstacleMask::empty(nx, ny);
    for (k, cell) in mask.solid.iter_mut().enumerate() {
        // A 4 × 8 block on even cells (it survives two coarsenings: multigrid converges at
        // its usual rate; one-cell-thin walls vanish from the coarse levels and slow it).
        *cell = (28..32).contains(&(k % nx)) && (k / nx) < 8;
    }
    p.mask = Some(mask);
    cases.push(("channel + painted wall", p, 8));
    let mut p = NsCase::Kolmogorov.defaults();
    p.n = 32;
    p.solver = NsSolver::Mac(TimeScheme::SspRk2);
    p.pressure = PressureKind::Jacobi;
    p.tol = 1e-4;
    cases.push(("Kolmogorov forcing, Jacobi", p, 6));
    let mut p = NsCase::TaylorGreen.defaults();
    p.n = 32;
    p.pressure = PressureKind::Multigrid;
    p.solver = NsSolver::Mac(TimeScheme::Bfecc);
    p.tol = 1e-7;
    cases.push(("Taylor–Green, BFECC", p, 8));
    let mut p = NsCase::KelvinHelmholtz.defaults();
    p.n = 32;
    p.pressure = PressureKind::Sor;
    p.omega = 1.8;
    p.solver = NsSolver::Mac(TimeScheme::SspRk3);
    p.tol = 1e-6;
    cases.push(("Kelvin–Helmholtz, red–black SOR", p, 8));
    for (name, case) in [
        ("Taylor–Green, FFT pressure", NsCase::TaylorGreen),
        ("decaying turbulence, FFT pressure", NsCase::Turbulence),
    ] {
        let mut p = case.defaults();
        p.n = 64;
        p.solver = NsSolver::Mac(TimeScheme::SspRk3);
        p.pressure = PressureKind::Fft;
        p.tol = 1e-7;
        cases.push((name, p, 8));
    }

    for (name, p, steps) in cases {
        let grid = scenario::mac_grid(&p).expect("grid");
        let vel0 = scenario::initial_velocity(&p, &grid);
        let phi0 = vec![0.0; grid.nx * grid.ny];
        let dye0 = vec![0.0; grid.nx * grid.ny];
        let mut gpu = GpuNs::new(&ctx, &p, &grid, &vel0, &phi0, &dye0).expect("uploads");
        let estimated = gpu.pressure_iterations();
        let calibrated = gpu.calibrate_blocking(&ctx).expect("calibrates");
        gpu.run_blocking(&ctx, steps).expect("runs");
        let gpu_vel = gpu.velocity_blocking(&ctx, &grid).expect("reads");
        let history = gpu.history_blocking(&ctx).expect("history");
        let (cpu_vel, cpu_energy, cpu_t) = cpu_run(&p, steps);
        let scale = cpu_vel
            .u
            .iter()
            .chain(&cpu_vel.v)
            .fold(0.0f64, |m, x| m.max(x.abs()))
            .max(1e-12);
        let worst = gpu_vel
            .u
            .iter()
            .chain(&gpu_vel.v)
            .zip(cpu_vel.u.iter().chain(&cpu_vel.v))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
            / scale;
        let last = history.last().expect("rows");
        let energy_error = (last.energy / cpu_energy[steps - 1] - 1.0).abs();
        println!(
            "{name} {:?} {}² · {steps} steps: max |u_gpu − u_cpu|/max|u| = {worst:.2e}, energy rel. {energy_error:.1e}, t {:.6} vs {cpu_t:.6}, GPU residual {:.1e}, max |div u| {:.1e}, pressure iterations/projection {estimated} estimated → {calibrated} calibrated, {} dispatches/step",
            p.solver,
            p.n,
            last.t,
            last.pressure_residual,
            last.max_divergence,
            gpu.dispatches_per_step()
        );
        assert_eq!(history.len(), steps, "{name}");
        assert_eq!(last.step, steps as u64);
        assert!(
            (last.t / cpu_t - 1.0).abs() < 1e-5,
            "{name}: t {} vs {cpu_t}",
            last.t
        );
        // The tolerance, or the f32 floor of the problem where calibration found one; the
        // FFT's direct solve leaves only its f32 round-off (‖r‖/‖f‖ is largest where the
        // right-hand side is small, as for Taylor–Green, whose advection is a gradient).
        let floor = if p.pressure == PressureKind::Fft {
            3e-5
        } else {
            1e-5
        };
        assert!(
            last.pressure_residual <= 2.0 * gpu.pressure_tolerance()
                || last.pressure_residual < floor,
            "{name}: residual {}",
            last.pressure_residual
        );
        assert!(worst < 2e-4, "{name}: {worst:e}");
        assert!(energy_error < 1e-4, "{name}: {energy_error:e}");
    }
}

#[test]
fn the_gpu_refuses_what_it_does_not_run() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    // The GPU FFT needs power-of-two sides; the CPU's rustfft takes any.
    let mut p = NsCase::TaylorGreen.defaults();
    p.pressure = PressureKind::Fft;
    p.n = 48;
    let grid = scenario::mac_grid(&p).expect("grid");
    let vel = scenario::initial_velocity(&p, &grid);
    let zeros = vec![0.0; grid.nx * grid.ny];
    let err = GpuNs::new(&ctx, &p, &grid, &vel, &zeros, &zeros)
        .err()
        .expect("48 × 48 FFT refused");
    assert!(
        err.contains("powers of two") && err.contains("multigrid"),
        "{err}"
    );
    // The spectral solver is CPU-only.
    let spectral = NsCase::Turbulence.defaults();
    let err = GpuNs::new(&ctx, &spectral, &grid, &vel, &zeros, &zeros)
        .err()
        .expect("spectral refused");
    assert!(err.contains("spectral"), "{err}");
}

/// The picture the GPU paints from its own buffers (the native texture the app draws) against
/// the CPU's picture of the same state (the GPU's f32 fields read back, the view computed in
/// f64 and coloured by the app's colour maps): every texel of every view, on a periodic flow,
/// the cavity (walls, lid) and the channel with a painted block (obstacle cells grey).
#[test]
fn the_gpu_paints_the_views_the_cpu_would() {
    use stepscope::app::colour;
    use stepscope::sims::navier_stokes::run::{FieldKind, NsRun};
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let mut cavity = NsCase::Cavity.defaults();
    cavity.n = 32;
    let mut channel = NsCase::Channel.defaults();
    channel.n = 16;
    let (nx, ny) = channel.cells();
    let mut mask = ObstacleMask::empty(nx, ny);
    for (k, cell) in mask.solid.iter_mut().enumerate() {
        *cell = (20..26).contains(&(k % nx)) && (k / nx) < 10;
    }
    channel.mask = Some(mask);
    let mut kh = NsCase::KelvinHelmholtz.defaults();
    kh.n = 32;
    kh.pressure = PressureKind::Multigrid;
    for (name, p) in [
        ("cavity", cavity),
        ("channel + block", channel),
        ("Kelvin–Helmholtz", kh),
    ] {
        let grid = scenario::mac_grid(&p).expect("grid");
        let vel = scenario::initial_velocity(&p, &grid);
        let zeros = vec![0.0; grid.nx * grid.ny];
        // Dye in a band, so the dye view has a range.
        let dye: Vec<f64> = (0..grid.nx * grid.ny)
            .map(|k| if (k / grid.nx) % 8 < 3 { 1.0 } else { 0.0 })
            .collect();
        let mut gpu = GpuNs::new(&ctx, &p, &grid, &vel, &zeros, &dye).expect("uploads");
        gpu.run_blocking(&ctx, 5).expect("runs");
        let faces = gpu.velocity_blocking(&ctx, &grid).expect("reads");
        let (pressure, dye) = gpu.pressure_and_dye_blocking(&ctx).expect("reads");
        let faces: Vec<f64> = faces.u.iter().chain(&faces.v).copied().collect();
        let mut run = NsRun::new(p.clone()).expect("run");
        run.load_mac_state(&faces, pressure, dye, 0.0, 5)
            .expect("loads");
        for kind in [
            FieldKind::Vorticity,
            FieldKind::Speed,
            FieldKind::Pressure,
            FieldKind::Dye,
        ] {
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            gpu.encode_view(&mut encoder, kind);
            ctx.queue.submit([encoder.finish()]);
            let texels = gpu.painter().pixels_blocking(&ctx).expect("texels");
            let expected = colour::field_pixels(&run.field(kind), kind.is_signed());
            assert_eq!(texels.len(), expected.len());
            let mut worst = 0.0f64;
            for (t, e) in texels.iter().zip(&expected) {
                for c in 0..3 {
                    worst = worst.max((f64::from(t[c]) - f64::from(e[c])).abs());
                }
                assert_eq!(t[3], 255);
            }
            println!(
                "{name} {kind:?}: {} texels, max |GPU − CPU| {worst} (8-bit sRGB levels)",
                texels.len()
            );
            // The texture rounds, the CPU truncates: one level apart at most.
            assert!(worst <= 1.0, "{name} {kind:?}: {worst}");
        }
    }
}

/// The spectral vorticity solver on the GPU (f32, the shared 2D FFT) against the f64 CPU
/// solver on short runs: decaying turbulence and forced Kolmogorov flow under RK4 and
/// integrating-factor RK4, the same Δt rule.
#[test]
fn the_gpu_spectral_solver_matches_the_f64_cpu_on_short_runs() {
    use stepscope::sims::navier_stokes::gpu_spectral::GpuSpectral;
    use stepscope::sims::navier_stokes::spectral::{
        SpectralScheme, SpectralStepper, VorticityEquation, spectral_step_limit,
    };
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    for case in [NsCase::Turbulence, NsCase::Kolmogorov] {
        for scheme in [SpectralScheme::Rk4, SpectralScheme::IntegratingFactorRk4] {
            let mut p = case.defaults();
            p.n = 64;
            p.solver = NsSolver::Spectral(scheme);
            let steps = 12;
            let omega0 = scenario::initial_vorticity(&p, p.n);
            let params = scenario::vorticity_params(&p);
            let zeros = vec![0.0; p.n * p.n];
            let mut gpu = GpuSpectral::new(&ctx, p.n, params, scheme, p.cfl, &omega0, &zeros)
                .expect("uploads");
            gpu.run_blocking(&ctx, steps).expect("runs");
            let gpu_omega = gpu.omega_blocking(&ctx).expect("reads");
            let history = gpu.history_blocking(&ctx).expect("history");

            let mut equation = VorticityEquation::new(p.n, params).expect("equation");
            let mut stepper = SpectralStepper::new(scheme, p.n);
            let mut omega = omega0.clone();
            let mut t = 0.0;
            for _ in 0..steps {
                let (dt, _) = spectral_step_limit(&mut equation, &omega, p.cfl, scheme);
                stepper
                    .step(&mut equation, t, dt, &mut omega)
                    .expect("steps");
                t += dt;
            }
            let scale = omega.iter().map(|c| c.norm()).fold(0.0, f64::max);
            let worst = gpu_omega
                .iter()
                .zip(&omega)
                .map(|(a, b)| (a - b).norm())
                .fold(0.0, f64::max)
                / scale;
            let last = history.last().expect("rows");
            let energy = equation.energy(&omega);
            let energy_error = (last.energy / energy - 1.0).abs();
            let enstrophy_error = (last.enstrophy / equation.enstrophy(&omega) - 1.0).abs();
            println!(
                "spectral {case:?} {scheme:?} {}² · {steps} steps: max |ω̂_gpu − ω̂_cpu|/max|ω̂| = {worst:.2e}, energy rel. {energy_error:.1e}, enstrophy rel. {enstrophy_error:.1e}, t {:.6} vs {t:.6}, {} dispatches/step",
                p.n,
                last.t,
                gpu.dispatches_per_step()
            );
            assert_eq!(history.len(), steps);
            assert!((last.t / t - 1.0).abs() < 1e-5, "t {} vs {t}", last.t);
            assert!(worst < 1e-5, "{case:?} {scheme:?}: {worst:e}");
            assert!(energy_error < 1e-5 && enstrophy_error < 1e-5);
        }
    }
}

/// The spectral GPU run's pictures (painted from its buffers) against the CPU's pictures of
/// the same state, and its dye (MacCormack with the spectral velocity at the grid points)
/// against the CPU run's (MacCormack with face velocities from the streamfunction): the same
/// transport to second order in h.
#[test]
fn the_gpu_spectral_run_paints_and_carries_dye_like_the_cpu() {
    use stepscope::app::colour;
    use stepscope::sims::navier_stokes::gpu_spectral::GpuSpectral;
    use stepscope::sims::navier_stokes::run::{FieldKind, NsRun};
    use stepscope::sims::navier_stokes::spectral::SpectralScheme;
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let mut p = NsCase::Turbulence.defaults();
    p.n = 64;
    p.solver = NsSolver::Spectral(SpectralScheme::IntegratingFactorRk4);
    let n = p.n;
    let omega0 = scenario::initial_vorticity(&p, n);
    // A smooth dye: the two transports then agree to O(h²).
    let h = std::f64::consts::TAU / n as f64;
    let dye0: Vec<f64> = (0..n * n)
        .map(|k| {
            let (x, y) = (((k % n) as f64 + 0.5) * h, ((k / n) as f64 + 0.5) * h);
            0.5 + 0.5 * x.sin() * y.cos()
        })
        .collect();
    let steps = 10;
    let mut gpu = GpuSpectral::new(
        &ctx,
        n,
        scenario::vorticity_params(&p),
        SpectralScheme::IntegratingFactorRk4,
        p.cfl,
        &omega0,
        &dye0,
    )
    .expect("uploads");
    gpu.run_blocking(&ctx, steps).expect("runs");
    let mut cpu = NsRun::new(p.clone()).expect("run");
    cpu.load_spectral_state(omega0.clone(), dye0.clone(), 0.0, 0)
        .expect("loads");
    cpu.advance(steps, f64::INFINITY);
    let gpu_dye = gpu.dye_blocking(&ctx).expect("reads");
    let cpu_dye = cpu.field(FieldKind::Dye).values;
    let dye_difference = gpu_dye
        .iter()
        .zip(&cpu_dye)
        .map(|(a, b)| (a - f64::from(*b)).abs())
        .fold(0.0, f64::max);
    let moved = gpu_dye
        .iter()
        .zip(&dye0)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!(
        "spectral dye after {steps} steps (t = {:.3}): moved by up to {moved:.3}; GPU vs CPU max |Δ| {dye_difference:.2e}",
        cpu.time()
    );
    assert!(moved > 0.05, "the dye moved: {moved}");
    assert!(dye_difference < 0.1 * moved, "{dye_difference} vs {moved}");

    // The pictures of the GPU's own state.
    let omega = gpu.omega_blocking(&ctx).expect("reads");
    let mut run = NsRun::new(p).expect("run");
    run.load_spectral_state(omega, gpu_dye, 0.0, steps as u64)
        .expect("loads");
    for kind in [
        FieldKind::Vorticity,
        FieldKind::Speed,
        FieldKind::Pressure,
        FieldKind::Dye,
    ] {
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        gpu.encode_view(&mut encoder, kind);
        ctx.queue.submit([encoder.finish()]);
        let texels = gpu.painter().pixels_blocking(&ctx).expect("texels");
        let expected = colour::field_pixels(&run.field(kind), kind.is_signed());
        let worst = texels
            .iter()
            .zip(&expected)
            .flat_map(|(t, e)| (0..3).map(move |c| (i16::from(t[c]) - i16::from(e[c])).abs()))
            .max()
            .unwrap_or(0);
        println!(
            "spectral {kind:?}: {} texels, max |GPU − CPU| {worst} (8-bit sRGB levels)",
            texels.len()
        );
        assert!(worst <= 1, "{kind:?}: {worst}");
    }
}

/// The precision shadow of the spectral solver on the GPU (lavapipe): an f64 run follows
/// the f32 run to every field readback; their largest velocity difference stays within the
/// f32 bound at each; on Taylor–Green the two runs' errors against the exact solution (the
/// same max-norm measure) differ by no more than their difference (triangle inequality), and
/// f32 is far from limiting there, so there is no verdict. MAC runs are refused with the
/// reason.
#[test]
fn the_navier_stokes_shadow_follows_the_spectral_gpu_run_within_the_f32_bound() {
    use stepscope::scenario::Scenario;
    use stepscope::sims::navier_stokes::as_run::NsGpuRun;
    use stepscope::sims::navier_stokes::run::NsRun;
    use stepscope::sims::navier_stokes::shadow::{NsShadow, unsupported};
    use stepscope::sims::run::{Target, advance_to};
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    for link in [
        "?s=ns&case=taylor-green&n=32&solver=spectral-rk4",
        "?s=ns&case=turbulence&n=64&solver=spectral-if",
    ] {
        let Ok(Scenario::NavierStokes(params)) = Scenario::from_link(link) else {
            panic!("a Navier–Stokes link");
        };
        let mut gpu = NsGpuRun::new(&ctx, NsRun::new(params).expect("run")).expect("GPU run");
        let mut shadow = NsShadow::new(gpu.mirror()).expect("shadow");
        for k in 1..=8 {
            advance_to(&mut gpu, Target::Sample(0.1 * f64::from(k))).expect("advances");
            assert!(shadow.follow(gpu.mirror(), 1_000_000).expect("follows"));
        }
        let points = shadow.points();
        let last = points.last().expect("comparisons");
        let verdict = stepscope::core::shadow::precision_limit(Some(last));
        println!(
            "{link}: {} comparisons to t = {:.3}, difference {:.2e}, bound {:.2e}, f64 error {:?}, f32 error {:?}; verdict {verdict:?}",
            points.len(),
            last.t,
            last.difference,
            last.bound,
            last.f64_error,
            last.f32_error
        );
        assert_eq!(points.len(), 8);
        assert!(
            points
                .iter()
                .all(|p| p.difference > 0.0 && p.difference <= p.bound),
            "{points:?}"
        );
        assert_eq!(verdict, None, "{link}");
        if let (Some(f32_error), Some(f64_error)) = (last.f32_error, last.f64_error) {
            assert!(
                (f32_error - f64_error).abs() <= last.difference,
                "{f32_error:e} vs {f64_error:e}"
            );
        }
    }
    let mac = stepscope::sims::navier_stokes::run::NsRun::new(
        stepscope::sims::navier_stokes::NsParams::default(),
    )
    .expect("run");
    assert!(unsupported(&mac).is_some_and(|why| why.contains("spectral")));
}

/// Through the one run interface (`Scenario::{cpu_run, gpu_run}`, advanced like
/// `stepscope run` samples): the GPU run takes the CPU run's steps (the same count, times
/// agreeing to f32 round-off in Δt) and its face velocities stay within f32 distance of the
/// f64 run's — closely for the spectral solvers (exact projection; f32 FFTs), more loosely for
/// a MAC scheme, whose GPU pressure solve runs a fixed number of multigrid cycles.
#[test]
fn flows_on_the_gpu_through_the_run_interface_match_the_cpu() {
    use stepscope::scenario::Scenario;
    use stepscope::sims::run::{Target, advance_to};
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    for (link, tolerance) in [
        // Measured on lavapipe: 6.2e-7, 4.0e-7 and 1.4e-6 after 40, 11 and 40 steps.
        ("?s=ns&case=taylor-green&n=32&solver=spectral-rk4", 1e-5),
        ("?s=ns&case=turbulence&n=32&solver=spectral-if", 1e-5),
        ("?s=ns&case=taylor-green&n=32&solver=rk3&pressure=fft", 2e-5),
    ] {
        let scenario = Scenario::from_link(link).expect("link");
        let mut cpu = scenario.cpu_run().expect("CPU run");
        let mut gpu = scenario.gpu_run(&ctx).expect("GPU run");
        for t in [0.5, 1.0, 1.5, 2.0] {
            advance_to(cpu.as_mut(), Target::Sample(t)).expect("the CPU run advances");
            advance_to(gpu.as_mut(), Target::Sample(t)).expect("the GPU run advances");
        }
        let parity = common::assert_parity(cpu.as_ref(), gpu.as_ref(), tolerance, 1e-5);
        println!(
            "{link}: {} steps on each, t {:.6} / {:.6}, velocities differ by {:.2e} (relative L2)",
            parity.work.0, parity.times.0, parity.times.1, parity.difference
        );
        assert_eq!(parity.work.0, parity.work.1, "{link}: the same steps");
    }
}

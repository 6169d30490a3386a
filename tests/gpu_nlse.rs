//! The NLSE's GPU path (f32, lavapipe in CI) against the f64 CPU reference: same scenario,
//! method, step and tolerances, so every difference is single precision (or, for adaptive
//! methods, the f32 controller taking slightly different steps).

mod common;

use rustfft::num_complex::Complex64;
use stepscope::core::controller::ControllerKind;
use stepscope::core::stats::Outcome;
use stepscope::gpu::GpuContext;
use stepscope::sims::nlse::as_run::NlseGpuRun;
use stepscope::sims::nlse::cpu::NlseCpu;
use stepscope::sims::nlse::gpu::NlseGpu;
use stepscope::sims::nlse::{NlseCase, NlseMethod, NlseParams};
use stepscope::sims::run::{Target, advance_to};

fn relative_l2(a: &[Complex64], b: &[Complex64]) -> f64 {
    let diff: f64 = a.iter().zip(b).map(|(x, y)| (x - y).norm_sqr()).sum();
    let norm: f64 = b.iter().map(|y| y.norm_sqr()).sum();
    (diff / norm).sqrt()
}

fn mass(v: &[Complex64]) -> f64 {
    v.iter().map(|z| z.norm_sqr()).sum()
}

struct Comparison {
    /// Relative L2 difference of ψ̂, GPU vs CPU, at t_end.
    difference: f64,
    /// |M(t_end) − M(0)| / M(0) on the GPU (from the read-back f32 state, summed in f64).
    gpu_mass_drift: f64,
    cpu_accepted: u64,
    gpu_accepted: u64,
    cpu_rejected: u64,
    gpu_rejected: u64,
    gpu: NlseGpu,
}

/// Runs `params` to `t_end` on both paths, through the one run interface, and checks their
/// parity within `tolerance` (the GPU clock lands on `t_end` exactly).
fn compare(ctx: &GpuContext, params: NlseParams, t_end: f64, tolerance: f64) -> Comparison {
    let mut cpu = NlseCpu::new(params.clone()).expect("valid");
    let mut gpu = NlseGpuRun::new(ctx, params).expect("valid on the GPU");
    let m0 = mass(&gpu.sim.read_spectrum(ctx).expect("readback"));
    advance_to(&mut cpu, Target::Land(t_end)).expect("the CPU run reaches the end");
    advance_to(&mut gpu, Target::Land(t_end)).expect("the GPU run reaches the end");
    assert!(gpu.sim.outcome().is_ok(), "{:?}", gpu.sim.outcome());
    assert_eq!(
        gpu.sim.time(),
        t_end,
        "the GPU clock lands exactly on t_end"
    );
    let parity = common::assert_parity(&cpu, &gpu, tolerance, 0.0);
    let gpu_hat = gpu.sim.read_spectrum(ctx).expect("readback");
    assert_eq!(
        gpu_hat,
        gpu.sim.spectrum(),
        "the last readback is the final state"
    );
    Comparison {
        difference: parity.difference,
        gpu_mass_drift: (mass(&gpu_hat) - m0).abs() / m0,
        cpu_accepted: cpu.stats().accepted,
        gpu_accepted: gpu.sim.stats().accepted,
        cpu_rejected: cpu.stats().rejected,
        gpu_rejected: gpu.sim.stats().rejected,
        gpu: gpu.sim,
    }
}

/// Each GPU method with its step or tolerance, and the f32 bound on its difference from the
/// f64 reference: round-off of ~6e-8 per operation accumulated over the run's steps (fixed
/// steps), plus for adaptive methods the difference of two runs that each meet rtol.
fn methods() -> [(NlseMethod, f64, f64, f64); 6] {
    // (method, dt, rtol, bound)
    [
        // h = 0.02: f32 round-off in the mass grows with the number of steps (1.1e-4 over the
        // collision with h = 0.01).
        (NlseMethod::StrangSplitStep, 0.02, 0.0, 3e-4),
        // Three sub-steps per step: h = 0.04 keeps the collision at 1500 nonlinear sub-steps.
        (NlseMethod::Yoshida4SplitStep, 0.04, 0.0, 3e-4),
        (NlseMethod::Rk4Ip, 0.01, 0.0, 3e-4),
        (NlseMethod::Erk43Ip, 0.01, 1e-5, 3e-4),
        (NlseMethod::Dopri5Ip, 0.01, 1e-5, 3e-4),
        (NlseMethod::Tsit5Ip, 0.01, 1e-5, 3e-4),
    ]
}

fn with_method(case: NlseCase, method: NlseMethod, dt: f64, rtol: f64) -> NlseParams {
    NlseParams {
        method,
        dt,
        rtol: if rtol > 0.0 { rtol } else { 1e-6 },
        atol: 1e-9,
        controller: if method.is_adaptive() {
            ControllerKind::ProportionalIntegral
        } else {
            ControllerKind::Fixed
        },
        ..NlseParams::for_case(case)
    }
}

#[test]
fn every_gpu_method_matches_the_f64_reference_on_a_soliton() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    for (method, dt, rtol, bound) in methods() {
        let c = compare(
            &ctx,
            with_method(NlseCase::Soliton, method, dt, rtol),
            5.0,
            bound,
        );
        eprintln!(
            "soliton T=5 {:<12} GPU vs CPU {:.2e} (bound {bound:.0e}), GPU mass drift {:.2e}, steps GPU {} / CPU {}",
            method.key(),
            c.difference,
            c.gpu_mass_drift,
            c.gpu_accepted,
            c.cpu_accepted
        );
        assert!(c.difference < bound, "{method:?}: {:.2e}", c.difference);
        assert!(
            c.gpu_mass_drift < 1e-4,
            "{method:?}: {:.2e}",
            c.gpu_mass_drift
        );
        // The exact-solution error of the GPU run (from its read-back field) is as small as
        // f32 allows; the diagnostics come from the GPU reductions.
        let e = c.gpu.diagnostics().exact_error.expect("soliton is exact");
        assert!(e < 5e-4, "{method:?}: exact error {e:.2e}");
        assert!(c.gpu.diagnostics().mass_drift < 1e-4);
    }
}

#[test]
fn every_gpu_method_tracks_the_reference_through_the_collision_and_keeps_the_mass() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    for (method, dt, rtol, bound) in methods() {
        let c = compare(
            &ctx,
            with_method(NlseCase::TwoSoliton, method, dt, rtol),
            20.0,
            4.0 * bound,
        );
        eprintln!(
            "collision T=20 {:<12} GPU vs CPU {:.2e}, GPU mass drift {:.2e} (≤ 1e-4), steps GPU {}+{} / CPU {}+{}",
            method.key(),
            c.difference,
            c.gpu_mass_drift,
            c.gpu_accepted,
            c.gpu_rejected,
            c.cpu_accepted,
            c.cpu_rejected
        );
        assert!(
            c.gpu_mass_drift <= 1e-4,
            "{method:?}: {:.2e}",
            c.gpu_mass_drift
        );
        assert!(
            c.difference < 4.0 * bound,
            "{method:?}: {:.2e}",
            c.difference
        );
        if method.is_adaptive() {
            // Same controller, same tolerance: the step counts agree closely.
            let ratio = c.gpu_accepted as f64 / c.cpu_accepted as f64;
            assert!((0.9..1.1).contains(&ratio), "{method:?}: {ratio}");
        }
    }
}

#[test]
fn gpu_controller_rejects_and_recovers_like_the_cpu_controller() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    // A first step of h = 2 on the collision is far too large: both controllers must reject
    // it, shrink, recover, and settle on the same step sizes.
    let p = NlseParams {
        dt: 2.0,
        ..with_method(NlseCase::TwoSoliton, NlseMethod::Erk43Ip, 2.0, 1e-5)
    };
    let c = compare(&ctx, p, 10.0, 1e-3);
    eprintln!(
        "h0 = 2: GPU {} accepted / {} rejected, CPU {} / {}, GPU vs CPU {:.2e}",
        c.gpu_accepted, c.gpu_rejected, c.cpu_accepted, c.cpu_rejected, c.difference
    );
    assert!(c.gpu_rejected >= 1 && c.cpu_rejected >= 1);
    assert!(c.gpu_rejected * 10 < c.gpu_accepted);
    assert!(c.gpu_rejected.abs_diff(c.cpu_rejected) <= 2);
    assert!(c.gpu_accepted.abs_diff(c.cpu_accepted) * 20 <= c.cpu_accepted);
    assert!(c.difference < 1e-3);
    // The step log reached the history: the first recorded step is far below 2.
    let steps = c.gpu.history().step_size.points();
    assert!(steps.len() as u64 >= c.gpu_accepted.min(1000));
    assert!(steps[0][1] < 1.0, "first accepted step {}", steps[0][1]);
}

/// The step hold runs in the GPU's controller as in the CPU's: the step changes only a few
/// times over the collision, and the result still agrees with the f64 reference.
#[test]
fn the_gpu_controller_holds_the_step_like_the_cpu_controller() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let p = NlseParams {
        hold: 1.5,
        ..with_method(NlseCase::TwoSoliton, NlseMethod::Erk43Ip, 0.01, 1e-5)
    };
    let mut cpu = NlseCpu::new(p.clone()).expect("valid");
    advance_to(&mut cpu, Target::Land(10.0)).expect("the CPU run reaches the end");
    let c = compare(&ctx, p, 10.0, 1e-3);
    let distinct = |points: &[[f64; 2]]| {
        let mut changes = 0;
        for pair in points.windows(2) {
            if pair[0][1] != pair[1][1] {
                changes += 1;
            }
        }
        changes
    };
    let gpu_changes = distinct(c.gpu.history().step_size.points());
    let cpu_changes = distinct(cpu.history().step_size.points());
    eprintln!(
        "hold 1.5: GPU {} steps, {gpu_changes} step changes; CPU {} steps, {cpu_changes} changes, {:?} table builds; GPU vs CPU {:.2e}",
        c.gpu_accepted,
        cpu.stats().accepted,
        cpu.propagator_builds(),
        c.difference
    );
    // (The last step lands on t_end: one more change each.)
    assert!(
        gpu_changes * 10 < c.gpu_accepted as usize,
        "{gpu_changes} changes"
    );
    assert!(
        cpu_changes * 10 < cpu.stats().accepted as usize,
        "{cpu_changes} changes"
    );
    assert!(c.difference < 1e-3);
}

#[test]
fn gpu_diagnostics_from_gpu_reductions_match_the_f64_diagnostics() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let p = with_method(NlseCase::TwoSoliton, NlseMethod::Rk4Ip, 0.01, 0.0);
    let mut cpu = NlseCpu::new(p.clone()).expect("valid");
    let mut gpu = NlseGpu::new(&ctx, p).expect("valid");
    cpu.advance(3.0, 1_000_000);
    gpu.advance_blocking(&ctx, 3.0, 100, 1_000_000)
        .expect("GPU works");
    let (c, g) = (cpu.diagnostics(), gpu.diagnostics());
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1e-12);
    eprintln!(
        "t=3: mass {:.7} / {:.7}, momentum {:.7} / {:.7}, H {:.7} / {:.7}, entropy {:.6} / {:.6}, peak {:.6} / {:.6}",
        g.mass,
        c.mass,
        g.momentum,
        c.momentum,
        g.hamiltonian,
        c.hamiltonian,
        g.shannon_entropy,
        c.shannon_entropy,
        g.peak,
        c.peak
    );
    assert!(rel(g.mass, c.mass) < 1e-5);
    assert!(rel(g.momentum, c.momentum) < 1e-4);
    assert!(rel(g.hamiltonian, c.hamiltonian) < 1e-4);
    assert!(rel(g.shannon_entropy, c.shannon_entropy) < 1e-4);
    assert!(rel(g.peak, c.peak) < 1e-4);
    assert_eq!(g.t, 3.0);
}

#[test]
fn gpu_runs_on_the_two_pass_fft_path() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    // N = 4096 uses the four-step FFT.
    for method in [NlseMethod::StrangSplitStep, NlseMethod::Erk43Ip] {
        let p = NlseParams {
            n: 4096,
            ..with_method(NlseCase::Breather, method, 0.005, 1e-5)
        };
        let c = compare(&ctx, p, 2.0, 3e-4);
        eprintln!(
            "breather N=4096 T=2 {:<10} GPU vs CPU {:.2e}, mass drift {:.2e}",
            method.key(),
            c.difference,
            c.gpu_mass_drift
        );
        assert!(c.difference < 3e-4, "{method:?}: {:.2e}", c.difference);
        assert!(c.gpu_mass_drift < 1e-5);
    }
}

#[test]
fn a_diverging_fixed_step_stops_at_the_last_good_state_on_the_gpu() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    // |ψ|² = 5.8 with h = 0.35 is beyond RK4IP's stability limit: the CPU reference stops
    // after one step, at t = 0.35; the GPU must stop at the same step, keeping that state.
    let p = NlseParams {
        amplitude: 2.4,
        ..with_method(NlseCase::Soliton, NlseMethod::Rk4Ip, 0.35, 0.0)
    };
    let mut cpu = NlseCpu::new(p.clone()).expect("valid");
    let Outcome::NonFinite { t: cpu_t } = cpu.advance(200.0, 100_000) else {
        panic!("the CPU reference must blow up");
    };
    let mut gpu = NlseGpu::new(&ctx, p).expect("valid");
    let outcome = gpu
        .advance_blocking(&ctx, 200.0, 8, 100_000)
        .expect("GPU works");
    let Outcome::NonFinite { t } = outcome else {
        panic!("expected a blow-up, got {outcome:?}");
    };
    eprintln!("RK4IP h = 0.35: GPU stopped at t = {t}, CPU at t = {cpu_t}");
    // The GPU clock counts ticks of 2^-40, so 0.35 is 0.35 to 4e-13.
    assert!((t - cpu_t).abs() < 1e-12, "{t} vs {cpu_t}");
    let state = gpu.read_spectrum(&ctx).expect("readback");
    assert!(state.iter().all(|z| z.re.is_finite() && z.im.is_finite()));
    assert!(relative_l2(&state, cpu.spectrum()) < 1e-4);
    assert!(gpu.outcome().message().is_some());
    // Further submissions do not step on.
    gpu.advance_blocking(&ctx, 200.0, 8, 16).expect("GPU works");
    assert_eq!(gpu.time(), t);
    assert!(!gpu.outcome().is_ok());
    // Switching to an adaptive method continues from there.
    let mut p = gpu.params().clone();
    p.method = NlseMethod::Erk43Ip;
    p.controller = ControllerKind::ProportionalIntegral;
    p.rtol = 1e-5;
    gpu.set_params(&ctx, p.clone()).expect("valid");
    cpu.set_params(p).expect("valid");
    let outcome = gpu
        .advance_blocking(&ctx, cpu_t + 0.5, 64, 100_000)
        .expect("GPU works");
    assert_eq!(outcome, Outcome::Reached);
    assert_eq!(cpu.advance(cpu_t + 0.5, 100_000), Outcome::Reached);
    let d = relative_l2(&gpu.read_spectrum(&ctx).expect("readback"), cpu.spectrum());
    eprintln!("continued with ERK4(3)-IP to t + 0.5: GPU vs CPU {d:.2e}");
    assert!(d < 1e-3, "{d:.2e}");
}

#[test]
fn gpu_split_step_is_unitary_even_far_beyond_accuracy() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    // Split-step Fourier composes exactly norm-preserving maps: where RK4IP blows up (above),
    // Strang only loses accuracy, and its mass stays at the f32 round-off level.
    let p = NlseParams {
        amplitude: 2.4,
        ..with_method(NlseCase::Soliton, NlseMethod::StrangSplitStep, 0.35, 0.0)
    };
    let mut gpu = NlseGpu::new(&ctx, p).expect("valid");
    let outcome = gpu
        .advance_blocking(&ctx, 35.0, 64, 100_000)
        .expect("GPU works");
    assert_eq!(outcome, Outcome::Reached);
    assert_eq!(gpu.stats().accepted, 100);
    let drift = gpu.diagnostics().mass_drift;
    eprintln!("Strang h = 0.35, 100 steps: mass drift {drift:.2e}");
    assert!(drift < 1e-5, "{drift:.2e}");
}

#[test]
fn state_hands_over_between_cpu_and_gpu() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let p = with_method(NlseCase::TwoSoliton, NlseMethod::Rk4Ip, 0.01, 0.0);
    let mut reference = NlseCpu::new(p.clone()).expect("valid");
    reference.advance(4.0, 1_000_000);
    // CPU to t = 2, GPU to t = 3, CPU to t = 4.
    let mut cpu = NlseCpu::new(p.clone()).expect("valid");
    cpu.advance(2.0, 1_000_000);
    let mut gpu = NlseGpu::from_state(
        &ctx,
        p.clone(),
        cpu.spectrum(),
        *cpu.stats(),
        cpu.initial_diagnostics().clone(),
        Default::default(),
    )
    .expect("valid");
    gpu.advance_blocking(&ctx, 3.0, 50, 1_000_000)
        .expect("GPU works");
    assert_eq!(gpu.stats().accepted, 300);
    let mut back = NlseCpu::from_state(
        p,
        &gpu.read_spectrum(&ctx).expect("readback"),
        *gpu.stats(),
        gpu.initial_diagnostics().clone(),
        Default::default(),
    )
    .expect("valid");
    back.advance(4.0, 1_000_000);
    let d = relative_l2(back.spectrum(), reference.spectrum());
    eprintln!("CPU→GPU→CPU hand-over vs CPU only at t=4: {d:.2e}");
    assert!(d < 1e-4, "{d:.2e}");
    assert_eq!(back.stats().accepted, 400);
    assert!(back.diagnostics().mass_drift < 1e-5);
}

/// Reads row `row` of an rgba8 texture of `width` texels back (blocking).
fn texture_row(
    ctx: &GpuContext,
    view: &stepscope::gpu::wgpu::TextureView,
    width: u32,
    row: u32,
) -> Vec<[f32; 4]> {
    use stepscope::gpu::wgpu;
    let texture = view.texture();
    let bytes_per_row = width * 4;
    assert_eq!(bytes_per_row % 256, 0);
    let staging = ctx.buffer(
        "texture row",
        u64::from(bytes_per_row),
        wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
    );
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
    encoder.copy_texture_to_buffer(
        wgpu::TexelCopyTextureInfo {
            texture,
            mip_level: 0,
            origin: wgpu::Origin3d { x: 0, y: row, z: 0 },
            aspect: wgpu::TextureAspect::All,
        },
        wgpu::TexelCopyBufferInfo {
            buffer: &staging,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(bytes_per_row),
                rows_per_image: None,
            },
        },
        wgpu::Extent3d {
            width,
            height: 1,
            depth_or_array_layers: 1,
        },
    );
    ctx.queue.submit([encoder.finish()]);
    let bytes = ctx
        .read_blocking(&staging, 0, u64::from(bytes_per_row))
        .expect("readback");
    bytes
        .chunks(4)
        .map(|c| [0, 1, 2, 3].map(|i| f32::from(c[i]) / 255.0))
        .collect()
}

/// Column of the brightest texel (viridis rises monotonically in luminance).
fn brightest(row: &[[f32; 4]]) -> usize {
    let luminance = |c: &[f32; 4]| 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    (0..row.len())
        .max_by(|&a, &b| luminance(&row[a]).total_cmp(&luminance(&row[b])))
        .unwrap_or(0)
}

#[test]
fn gpu_drawn_waterfall_and_spectrogram_show_the_soliton_where_it_is() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    // A moving soliton (v = 1): its newest waterfall row peaks at x0 + v·t, its spectrogram
    // at the carrier wavenumber k = v/β.
    let p = with_method(NlseCase::Soliton, NlseMethod::Rk4Ip, 0.01, 0.0);
    let mut gpu = NlseGpu::new(&ctx, p.clone()).expect("valid");
    gpu.enable_views(&ctx);
    for k in 1..=30 {
        gpu.advance_blocking(&ctx, 0.2 * f64::from(k), 64, 100_000)
            .expect("GPU works");
    }
    let views = gpu.views().expect("enabled");
    let (first, newest) = views.time_span().expect("rows were recorded");
    assert!(views.rows() >= 20, "{} rows", views.rows());
    assert!(first < newest);
    let grid = gpu.grid().clone();
    let width = grid.n as u32; // N = 512 ≤ 512 columns: one column per point
    let row = texture_row(&ctx, views.waterfall(), width, 0);
    let expected = (0..grid.n)
        .max_by(|&a, &b| {
            let e = |j: usize| {
                stepscope::sims::nlse::scenarios::exact(&p, grid.x[j], newest)
                    .unwrap_or_default()
                    .norm_sqr()
            };
            e(a).total_cmp(&e(b))
        })
        .unwrap_or(0);
    let got = brightest(&row);
    eprintln!(
        "waterfall top row (t = {newest:.3}): peak at x = {:.3}, exact soliton at x = {:.3}; {} rows from t = {first:.3}",
        grid.x[got],
        grid.x[expected],
        views.rows()
    );
    assert!(got.abs_diff(expected) <= 1);
    // The peak (constant in time for a soliton) is at the top of the colour map, and the
    // texel holds the sRGB colour itself (egui filters native textures in gamma space).
    let top = stepscope::app::colour::colormap(1.0);
    let peak = row[got].map(|c| (c * 255.0).round());
    for (c, want) in peak.iter().zip([top.r(), top.g(), top.b()]) {
        assert!((c - f32::from(want)).abs() <= 6.0, "{peak:?} vs {top:?}");
    }
    // The rows below the filled ones are black; the oldest filled row is not.
    let below = texture_row(&ctx, views.waterfall(), width, views.rows());
    assert!(views.rows() == 256 || below.iter().all(|c| c[0] + c[1] + c[2] == 0.0));
    let spectrum_row = texture_row(&ctx, views.spectrogram(), width, 0);
    let column = brightest(&spectrum_row);
    let k = grid.k[(column + grid.n / 2) % grid.n];
    let dk = std::f64::consts::TAU / grid.length;
    eprintln!(
        "spectrogram top row: peak at k = {k:.3} (carrier v/β = {})",
        p.velocity / p.beta
    );
    assert!((k - p.velocity / p.beta).abs() <= 1.5 * dk);
}

#[test]
fn switching_methods_back_and_forth_recycles_gpu_buffers() {
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let p = with_method(NlseCase::Soliton, NlseMethod::Rk4Ip, 0.01, 0.0);
    let mut gpu = NlseGpu::new(&ctx, p.clone()).expect("valid");
    let mut reference = NlseCpu::new(p.clone()).expect("valid");
    let (created_first, _) = gpu.pool_counts();
    // RK4IP → Strang → RK4IP → Strang …: after one round every buffer comes from the pool.
    let mut t = 0.0;
    for round in 0..6 {
        let method = if round % 2 == 0 {
            NlseMethod::StrangSplitStep
        } else {
            NlseMethod::Rk4Ip
        };
        let q = NlseParams {
            method,
            ..p.clone()
        };
        gpu.set_params(&ctx, q.clone()).expect("valid");
        reference.set_params(q).expect("valid");
        t += 0.5;
        gpu.advance_blocking(&ctx, t, 64, 100_000)
            .expect("GPU works");
        reference.advance(t, 100_000);
    }
    let (created, reused) = gpu.pool_counts();
    eprintln!(
        "pool: {created_first} buffers at creation, {created} after 6 switches, {reused} reused"
    );
    assert!(created <= created_first + 3, "{created} created");
    assert!(reused >= 12, "{reused} reused");
    // And the recycled buffers hold the right data: the run still matches the f64 path.
    let d = relative_l2(
        &gpu.read_spectrum(&ctx).expect("readback"),
        reference.spectrum(),
    );
    assert!(d < 1e-4, "{d:.2e}");
    assert_eq!(gpu.time(), t);
    assert_eq!(gpu.stats().accepted, reference.stats().accepted);
}

/// The precision shadow on a smooth case (the soliton, fixed steps of each method): the f64
/// shadow follows the f32 GPU run through twenty readbacks, and the f32–f64 difference stays
/// within the f32 round-off bound at every one of them while being far above f64 round-off
/// (it measures single precision, not noise). The verdict: Strang's own error is larger than
/// the f32 difference (the solver limits), RK4IP's is far smaller (single precision limits);
/// a tolerance below f32 resolution is flagged before anything runs.
#[test]
fn the_precision_shadow_measures_f32_within_its_bound() {
    use stepscope::sims::nlse::shadow::{PrecisionShadow, precision_limit};
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    for (method, dt) in [
        (NlseMethod::StrangSplitStep, 0.02),
        (NlseMethod::Rk4Ip, 0.01),
    ] {
        let params = with_method(NlseCase::Soliton, method, dt, 0.0);
        let mut gpu = NlseGpu::new(&ctx, params.clone()).expect("valid on the GPU");
        let start = gpu.read_spectrum(&ctx).expect("readback");
        let mut shadow = PrecisionShadow::new(params.clone(), &start, 0.0, 0).expect("shadow");
        for k in 1..=20 {
            let t = 0.1 * f64::from(k);
            let outcome = gpu
                .advance_blocking(&ctx, t, 64, 1_000_000)
                .expect("GPU works");
            assert_eq!(outcome, Outcome::Reached);
            let f32_hat = gpu.read_spectrum(&ctx).expect("readback");
            let exact = gpu.diagnostics().exact_error;
            let in_step = shadow
                .follow(t, &f32_hat, gpu.stats().accepted, exact, 1_000_000)
                .expect("the shadow follows");
            assert!(in_step);
        }
        let points = shadow.points();
        assert_eq!(points.len(), 20);
        for p in points {
            assert!(
                p.difference < p.bound && p.difference > 1e-9,
                "{method:?} t = {}: difference {:.2e}, bound {:.2e}",
                p.t,
                p.difference,
                p.bound
            );
        }
        let trail: Vec<String> = points
            .iter()
            .step_by(4)
            .map(|p| format!("{:.1}:{:.2e}", p.t, p.difference))
            .collect();
        println!("{}", trail.join(" "));
        let last = points.last().expect("points");
        println!(
            "{:<8} shadow to t = 2: f32–f64 difference {:.2e} (bound {:.2e}); exact error f64 {:.2e}, f32 {:.2e}",
            method.key(),
            last.difference,
            last.bound,
            last.f64_error.unwrap_or(f64::NAN),
            last.f32_error.unwrap_or(f64::NAN)
        );
        let verdict = precision_limit(&params, Some(last));
        println!("  verdict: {verdict:?}");
        // Strang's own error (~6e-5 at h = 0.02) is above the f32 difference; RK4IP's
        // (~3e-8) is far below it.
        match method {
            NlseMethod::StrangSplitStep => assert_eq!(verdict, None),
            _ => assert!(verdict.is_some_and(|v| v.contains("single precision, not the solver"))),
        }
    }
    // A tolerance below f32 resolution is flagged before anything runs.
    let tight = with_method(NlseCase::Soliton, NlseMethod::Dopri5Ip, 0.01, 1e-9);
    let flag = precision_limit(&tight, None).expect("flagged");
    assert!(flag.contains("below f32 resolution"), "{flag}");
    assert!(
        precision_limit(
            &with_method(NlseCase::Soliton, NlseMethod::Dopri5Ip, 0.01, 1e-5),
            None
        )
        .is_none()
    );
}

/// An NLSE race on the GPU (lavapipe): the runs go one after another through the f32 path
/// and are measured against the exact soliton as the f64 race is. Each run does the f64
/// run's evaluations (the last fixed step lands on the end time as the f64 one does), its
/// error agrees with the f64 error to within the f32 floor it states, Strang's observed
/// order on the GPU is 2 ± 0.3, and the 4th-order points, whose f64 errors lie below the
/// floor, are flagged and left out of the fit.
#[test]
fn an_nlse_race_on_the_gpu_matches_the_f64_race_within_its_floor() {
    use stepscope::race::{Measure, Race, RacePlan};
    let Some(ctx) = common::gpu_context() else {
        return;
    };
    let plan = || {
        RacePlan::new(
            "?s=nlse&case=soliton",
            "dt",
            (0.1, 0.0125),
            4,
            vec!["strang".into(), "rk4ip".into()],
            Some(1.0),
            Measure::Scenario,
        )
        .expect("plan")
    };
    let mut cpu = Race::new(plan()).expect("race");
    cpu.run_to_end(|_| {});
    let mut gpu = Race::new(plan()).expect("race");
    let runner = stepscope::race::gpu::runner(&ctx, &gpu, true).expect("GPU race");
    gpu.run_batched(runner).expect("batched");
    gpu.run_to_end(|_| {});
    assert!(gpu.failure().is_none(), "{:?}", gpu.failure());
    println!("{}: {}", gpu.backend(), gpu.measure_name());
    for (c, g) in cpu.points().iter().zip(gpu.points()) {
        let floor = g.floor.expect("a floor");
        println!(
            "{:>6} dt {:.4}: work {} / {}, error f64 {:.3e}, f32 {:.3e}, floor {floor:.2e}",
            g.solver, g.value, c.work, g.work, c.error, g.error
        );
        assert_eq!(c.work, g.work);
        assert!((g.error - c.error).abs() <= 0.01 * c.error + floor);
        if c.error < floor {
            assert!(!g.resolved());
        }
    }
    // The app's way: polled without waiting, frame by frame; the same numbers.
    let mut polled = Race::new(plan()).expect("race");
    let runner = stepscope::race::gpu::runner(&ctx, &polled, false).expect("GPU race");
    polled.run_batched(runner).expect("batched");
    let mut polls = 0;
    while !polled.advance(0.005) {
        polls += 1;
        assert!(polls < 100_000, "the polled race never finished");
        std::thread::sleep(std::time::Duration::from_micros(500));
    }
    let numbers =
        |r: &Race| -> Vec<(f64, f64)> { r.points().iter().map(|p| (p.work, p.error)).collect() };
    assert_eq!(numbers(&polled), numbers(&gpu), "after {polls} polls");
    let fits = gpu.fits();
    let strang = fits[0]
        .observed_order
        .expect("strang resolves two points or more");
    assert!((strang - 2.0).abs() <= 0.3, "{strang}");
    assert_eq!(fits[1].observed_order, None, "rk4ip is below the f32 floor");
    // Navier–Stokes races stay on the CPU, with the reason.
    let ns = Race::new(
        RacePlan::new(
            "?s=ns&case=taylor-green&n=16",
            "cfl",
            (0.5, 0.25),
            2,
            vec!["rk2".into()],
            Some(0.1),
            Measure::Scenario,
        )
        .expect("plan"),
    )
    .expect("race");
    let why = stepscope::race::gpu::unsupported(&ns).expect("CPU only");
    assert!(why.contains("CPU"), "{why}");
}

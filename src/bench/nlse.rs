//! NLSE CPU benchmark (`cargo bench --bench nlse`): the cost of one RK4IP step in units of one
//! rustfft FFT of the same N (goal ≤ 12), steps per second per method, and the two-soliton
//! reference run (L = 50, N = 512, T = 20, DOP853-IP, rtol 1e-9).

use super::Scale;
use std::hint::black_box;
use std::time::Instant;

use crate::core::controller::ControllerKind;
use crate::core::elem::ErrorNorm;
use crate::core::ip::InteractionPictureRk;
use crate::core::rk::Tolerances;
use crate::core::tableau::RK4;
use crate::sims::nlse::cpu::{Grid, NlseCpu, NlseSystem};
use crate::sims::nlse::scenarios;
use crate::sims::nlse::{NlseCase, NlseMethod, NlseParams};
use rustfft::FftPlanner;
use rustfft::num_complex::Complex64;

/// Seconds per call of `f`, run `inner` times.
fn time_batch(inner: usize, f: &mut impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..inner {
        f();
    }
    start.elapsed().as_secs_f64() / inner as f64
}

/// One rustfft forward FFT of size N, the unit of the cost table.
struct FftUnit {
    fft: std::sync::Arc<dyn rustfft::Fft<f64>>,
    data: Vec<Complex64>,
    scratch: Vec<Complex64>,
}

impl FftUnit {
    fn new(n: usize) -> Self {
        let fft = FftPlanner::<f64>::new().plan_fft_forward(n);
        let scratch = vec![Complex64::default(); fft.get_inplace_scratch_len()];
        let data = (0..n)
            .map(|i| Complex64::new((i as f64).sin(), 0.3))
            .collect();
        Self { fft, data, scratch }
    }

    fn run(&mut self) {
        self.fft
            .process_with_scratch(black_box(&mut self.data), &mut self.scratch);
    }
}

/// Cost of `f` in FFTs of size N, and its time. On a shared machine the speed changes from
/// moment to moment, so each sample times a batch of FFTs right before a batch of `f` and
/// the ratio of the two is kept; the median over 15 samples is reported.
fn cost_in_ffts(n: usize, mut f: impl FnMut()) -> (f64, f64) {
    let mut unit = FftUnit::new(n);
    let inner = ((1 << 18) / n).max(4);
    f(); // Warm up (propagator tables are built on the first step).
    let mut samples: Vec<(f64, f64)> = (0..15)
        .map(|_| {
            let fft = time_batch(8 * inner, &mut || unit.run());
            let step = time_batch(inner, &mut f);
            (step / fft, step)
        })
        .collect();
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    samples[samples.len() / 2]
}

/// The FFT time itself (fastest of 15 batches).
fn fft_time(n: usize) -> f64 {
    let mut unit = FftUnit::new(n);
    let inner = ((1 << 22) / n).max(4);
    (0..15)
        .map(|_| time_batch(inner, &mut || unit.run()))
        .fold(f64::INFINITY, f64::min)
}

/// One RK4IP step through the core stepper alone: 4 nonlinear evaluations (8 FFTs) plus
/// the pointwise work, nothing else.
fn core_rk4ip_cost(n: usize) -> (f64, f64) {
    let p = NlseParams {
        n,
        ..NlseParams::for_case(NlseCase::Soliton)
    };
    let grid = Grid::new(n, p.length);
    let mut system = NlseSystem::new(&p, &grid);
    let mut u = scenarios::initial_state(&p, &grid.x);
    system.to_spectral(&mut u);
    let mut u1 = u.clone();
    let mut rk = InteractionPictureRk::new(&RK4, n);
    let tol = Tolerances {
        rtol: 1e-9,
        atol: 1e-12,
        norm: ErrorNorm::GlobalRelativeL2,
    };
    let h = 1e-3;
    let mut t = 0.0;
    cost_in_ffts(n, move || {
        rk.step(&mut system, t, h, &u, &mut u1, &tol);
        rk.accepted(t + h);
        std::mem::swap(&mut u, &mut u1);
        t += h;
    })
}

/// One step as the app takes it, including the histories and the sampled diagnostics.
fn app_step_cost(method: NlseMethod, n: usize) -> (f64, f64) {
    let p = NlseParams {
        method,
        n,
        dt: 1e-3,
        controller: ControllerKind::Fixed,
        ..NlseParams::for_case(NlseCase::Soliton)
    };
    let mut sim = NlseCpu::new(p).expect("valid benchmark scenario");
    cost_in_ffts(n, move || {
        black_box(sim.step_recording());
    })
}

/// Prints the NLSE CPU tables.
pub fn run(scale: Scale) {
    println!(
        "stepscope NLSE CPU benchmark (f64, one thread; machine: {} logical CPUs)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!();
    println!(
        "Cost of one fixed step (h = 1e-3) in units of one rustfft complex FFT of the same N."
    );
    println!(
        "'RK4IP core' is the stepper alone; the other columns are steps as the app takes them,"
    );
    println!(
        "with the step-size/error histories and the diagnostics sampled every ~0.02 time units:"
    );
    println!(
        "{:>7} {:>10} {:>11} {:>11} {:>11} {:>12} {:>14}",
        "N", "FFT [µs]", "RK4IP core", "RK4IP app", "Strang app", "Yoshida4 app", "RK4IP steps/s"
    );
    for n in scale.pick(&[256, 1024, 4096, 16384, 65536], &[256]) {
        let fft = fft_time(n);
        let (core, core_s) = core_rk4ip_cost(n);
        let (rk4ip, _) = app_step_cost(NlseMethod::Rk4Ip, n);
        let (strang, _) = app_step_cost(NlseMethod::StrangSplitStep, n);
        let (yoshida, _) = app_step_cost(NlseMethod::Yoshida4SplitStep, n);
        println!(
            "{:>7} {:>10.2} {:>10.1}x {:>10.1}x {:>10.1}x {:>11.1}x {:>14.0}",
            n,
            fft * 1e6,
            core,
            rk4ip,
            strang,
            yoshida,
            1.0 / core_s
        );
    }
    println!("(goal: one RK4IP step ≤ 12 FFTs; 8 of them are the transforms of its 4 stages)");
    println!();

    let p = NlseParams {
        method: NlseMethod::Dop853Ip,
        rtol: 1e-9,
        atol: 1e-12,
        n: 512,
        length: 50.0,
        ..NlseParams::for_case(NlseCase::TwoSoliton)
    };
    let t_end = if scale.quick { 2.0 } else { 20.0 };
    let repeats = if scale.quick { 1 } else { 3 };
    // The median wall time of `repeats` runs of `params` to t_end, and the last run.
    let timed = |params: &NlseParams| {
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..repeats {
            let mut sim = NlseCpu::new(params.clone()).expect("valid benchmark scenario");
            let start = Instant::now();
            let outcome = sim.advance(t_end, 10_000_000);
            times.push(start.elapsed().as_secs_f64());
            last = Some((sim, outcome));
        }
        times.sort_by(f64::total_cmp);
        (times[times.len() / 2], last.expect("ran"))
    };
    // The error against a resolved reference: N = 1024 on the same box (its even grid points
    // are this grid's points), rtol 1e-13.
    let mut reference = NlseCpu::new(NlseParams {
        n: 1024,
        rtol: 1e-13,
        atol: 1e-15,
        ..p.clone()
    })
    .expect("valid reference scenario");
    reference.advance(t_end, 100_000_000);
    let psi_ref = reference.field();
    let error_of = |sim: &mut NlseCpu| {
        let psi = sim.field();
        let (mut diff, mut norm) = (0.0, 0.0);
        for (a, b) in psi.iter().zip(psi_ref.iter().step_by(2)) {
            diff += (a - b).norm_sqr();
            norm += b.norm_sqr();
        }
        (diff / norm).sqrt()
    };
    // The cost of one RHS evaluation of fixed-step RK4IP on the same case and grid: what the
    // adaptive method's bookkeeping (propagator tables, twelve-stage combinations, error
    // norms) adds is the ratio.
    let (fixed_wall, (fixed, _)) = timed(&NlseParams {
        method: NlseMethod::Rk4Ip,
        dt: 0.01,
        ..p.clone()
    });
    let fixed_per_rhs = fixed_wall / fixed.stats().nfe as f64;
    println!(
        "Two-soliton collision, L = 50, N = 512, T = {t_end}, DOP853-IP, rtol = 1e-9, atol = 1e-12 (median of {repeats}); goals at T = 20: wall ≤ 0.08 s, per RHS ≤ 1.3× fixed-step RK4IP's, error as before the propagator work (8.4e-7), drift of the mass ≤ 5e-11:"
    );
    println!(
        "  fixed-step RK4IP (dt 0.01) for the ratio: {:.2} µs per RHS evaluation",
        1e6 * fixed_per_rhs
    );
    for hold in [1.0, 1.5] {
        let (wall, (mut sim, outcome)) = timed(&NlseParams { hold, ..p.clone() });
        let error = error_of(&mut sim);
        let s = sim.stats();
        let per_rhs = wall / s.nfe as f64;
        println!(
            "  hold {hold:<4} wall {wall:.3} s, RHS evaluations {}, accepted {}, rejected {}, propagator tables built {}, per RHS {:.2} µs (ratio {:.2}), error against the resolved reference (N = 1024, rtol 1e-13): {:.2e}, mass drift {:.2e}, Hamiltonian drift {:.2e} ({:?})",
            s.nfe,
            s.accepted,
            s.rejected,
            sim.propagator_builds().unwrap_or(0),
            1e6 * per_rhs,
            per_rhs / fixed_per_rhs,
            error,
            sim.diagnostics().mass_drift,
            sim.diagnostics().hamiltonian_drift,
            outcome
        );
    }
}

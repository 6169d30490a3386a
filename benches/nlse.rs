//! NLSE CPU benchmark (`cargo bench --bench nlse`): the cost of one RK4IP step in units of one
//! rustfft FFT of the same N (goal ≤ 12), steps per second per method, and the two-soliton
//! reference run (L = 50, N = 512, T = 20, DOP853-IP, rtol 1e-9).

use std::hint::black_box;
use std::time::Instant;

use rustfft::FftPlanner;
use rustfft::num_complex::Complex64;
use stepscope::core::controller::ControllerKind;
use stepscope::core::elem::ErrorNorm;
use stepscope::core::ip::InteractionPictureRk;
use stepscope::core::rk::Tolerances;
use stepscope::core::tableau::RK4;
use stepscope::sims::nlse::cpu::{Grid, NlseCpu, NlseSystem};
use stepscope::sims::nlse::scenarios;
use stepscope::sims::nlse::{NlseCase, NlseMethod, NlseParams};

/// Median of `reps` timings of `f`, in seconds per call of `f` (which runs `inner` times).
fn time_per_call(reps: usize, inner: usize, mut f: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..inner {
                f();
            }
            start.elapsed().as_secs_f64() / inner as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[reps / 2]
}

fn fft_time(n: usize) -> f64 {
    let fft = FftPlanner::<f64>::new().plan_fft_forward(n);
    let mut data: Vec<Complex64> = (0..n)
        .map(|i| Complex64::new((i as f64).sin(), 0.3))
        .collect();
    let mut scratch = vec![Complex64::default(); fft.get_inplace_scratch_len()];
    let inner = (1 << 22) / n;
    time_per_call(9, inner.max(4), || {
        fft.process_with_scratch(black_box(&mut data), &mut scratch);
    })
}

/// One RK4IP step through the core stepper alone: 4 nonlinear evaluations (8 FFTs) plus
/// the pointwise work, nothing else.
fn core_rk4ip_time(n: usize) -> f64 {
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
    let inner = ((1 << 18) / n).max(4);
    time_per_call(7, inner, || {
        rk.step(&mut system, t, h, &u, &mut u1, &tol);
        rk.accepted(t + h);
        std::mem::swap(&mut u, &mut u1);
        t += h;
    })
}

/// One step as the app takes it, including the histories and the sampled diagnostics.
fn step_time(method: NlseMethod, n: usize) -> f64 {
    let p = NlseParams {
        method,
        n,
        dt: 1e-3,
        controller: ControllerKind::Fixed,
        ..NlseParams::for_case(NlseCase::Soliton)
    };
    let mut sim = NlseCpu::new(p).expect("valid benchmark scenario");
    let inner = ((1 << 18) / n).max(4);
    // Warm up caches (propagator tables are built on the first step).
    sim.step_recording();
    time_per_call(7, inner, || {
        black_box(sim.step_recording());
    })
}

fn main() {
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
    for n in [256, 1024, 4096, 16384, 65536] {
        let fft = fft_time(n);
        let core = core_rk4ip_time(n);
        let rk4ip = step_time(NlseMethod::Rk4Ip, n);
        let strang = step_time(NlseMethod::StrangSplitStep, n);
        let yoshida = step_time(NlseMethod::Yoshida4SplitStep, n);
        println!(
            "{:>7} {:>10.2} {:>10.1}x {:>10.1}x {:>10.1}x {:>11.1}x {:>14.0}",
            n,
            fft * 1e6,
            core / fft,
            rk4ip / fft,
            strang / fft,
            yoshida / fft,
            1.0 / core
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
    let mut sim = NlseCpu::new(p).expect("valid benchmark scenario");
    let start = Instant::now();
    let outcome = sim.advance(20.0, 10_000_000);
    let wall = start.elapsed().as_secs_f64();
    let s = sim.stats();
    println!(
        "Two-soliton collision, L = 50, N = 512, T = 20, DOP853-IP, rtol = 1e-9, atol = 1e-12:"
    );
    println!(
        "  wall time {:.3} s, RHS evaluations {}, accepted {}, rejected {}, mass drift {:.2e}, Hamiltonian drift {:.2e} ({:?})",
        wall,
        s.nfe,
        s.accepted,
        s.rejected,
        sim.diagnostics().mass_drift,
        sim.diagnostics().hamiltonian_drift,
        outcome
    );
}

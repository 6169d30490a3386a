//! Shared by the GPU integration tests.

use stepscope::gpu::GpuContext;

/// A headless context on a CPU adapter (lavapipe) if there is one. Without an adapter the
/// test is skipped with a message, except in CI (CI=true), where that is a failure.
pub fn gpu_context() -> Option<GpuContext> {
    match pollster::block_on(GpuContext::headless(true)) {
        Ok(ctx) => {
            eprintln!("GPU adapter: {}", ctx.describe());
            Some(ctx)
        }
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI needs a GPU adapter (lavapipe): {e}")
        }
        Err(e) => {
            eprintln!("skipping GPU test: {e}");
            None
        }
    }
}

use stepscope::sims::run::{Backend, Run};

/// What [`assert_parity`] measured.
#[derive(Clone, Copy, Debug)]
#[allow(dead_code)] // Each test binary reads the fields it needs.
pub struct Parity {
    /// ‖gpu − cpu‖₂ / ‖cpu‖₂ of the state vectors.
    pub difference: f64,
    /// The two runs' times.
    pub times: (f64, f64),
    /// The two runs' work.
    pub work: (f64, f64),
}

/// The one parity check of the GPU tests: `gpu` (f32) and `cpu` (f64), runs of one scenario
/// advanced alike, are what they say they are, write the same columns, stand at the same time
/// (within `time_slack`: CFL steps chosen in f32 and f64 differ in the last digits), and
/// their states differ by at most `tolerance` (relative L2 of [`Run::state_vector`], the
/// measure of the precision shadows and the races). Returns what it measured.
#[allow(dead_code)] // Not every test binary that includes this module uses it.
pub fn assert_parity(cpu: &dyn Run, gpu: &dyn Run, tolerance: f64, time_slack: f64) -> Parity {
    assert_eq!(cpu.backend(), Backend::Cpu, "the reference runs on the CPU");
    assert_eq!(
        gpu.backend(),
        Backend::Gpu,
        "the run checked runs on the GPU"
    );
    assert_eq!(cpu.columns(), gpu.columns(), "both write the same columns");
    let times = (cpu.time(), gpu.time());
    assert!(
        (times.0 - times.1).abs() <= time_slack,
        "the runs stand at different times: CPU {} vs GPU {}",
        times.0,
        times.1
    );
    let difference = assert_vectors_agree(
        &cpu.state_vector(),
        &gpu.state_vector(),
        tolerance,
        "GPU vs CPU state",
    );
    Parity {
        difference,
        times,
        work: (cpu.work(), gpu.work()),
    }
}

/// The comparison inside [`assert_parity`], for GPU kernels tested on their own (FFT,
/// reductions): `gpu` (f32 results in f64) is finite and within `tolerance` of `reference`
/// (f64) in relative L2. Returns the difference.
#[allow(dead_code)] // Not every test binary that includes this module uses it.
pub fn assert_vectors_agree(reference: &[f64], gpu: &[f64], tolerance: f64, what: &str) -> f64 {
    assert_eq!(
        gpu.len(),
        reference.len(),
        "{what}: vectors of different lengths"
    );
    assert!(
        gpu.iter().all(|v| v.is_finite()),
        "{what}: the GPU result is not finite"
    );
    let difference = stepscope::race::relative_l2(gpu, reference);
    assert!(
        difference <= tolerance,
        "{what}: relative L2 difference {difference:e} > tolerance {tolerance:e}"
    );
    difference
}

//! The benchmark tables of all four simulations and the GPU layer, measured where they run:
//! `cargo bench --bench NAME` prints one suite at full size, `stepscope bench [--suite NAME]
//! [--quick]` prints them from the command line (quick: the smallest sizes, one repetition,
//! to check a machine or a build in seconds). Figures are wall-clock on the machine that
//! runs them; GPU rows name their adapter and are skipped without one.

pub mod diffusion;
pub mod gpu;
pub mod navier_stokes;
pub mod nlse;
pub mod nlse_gpu;
pub mod threebody;

/// How much a suite measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// The smallest sizes and one repetition.
    pub quick: bool,
}

impl Scale {
    /// The full benchmark.
    pub const FULL: Scale = Scale { quick: false };

    /// `full`, or `quick` in a quick run.
    pub fn pick<T: Copy>(self, full: &[T], quick: &[T]) -> Vec<T> {
        if self.quick { quick } else { full }.to_vec()
    }

    /// Repetitions of a timed run (the median is reported).
    pub fn repeats(self) -> usize {
        if self.quick { 1 } else { 5 }
    }
}

/// The best GPU adapter, or None after printing why there is none (the suite is skipped).
fn gpu_or_say_why() -> Option<crate::gpu::GpuContext> {
    match pollster::block_on(crate::gpu::GpuContext::headless(false)) {
        Ok(ctx) => Some(ctx),
        Err(e) => {
            println!("no GPU adapter: {e}");
            None
        }
    }
}

/// A suite: prints its tables at the given scale.
pub type Suite = fn(Scale);

/// The suites by name, in the order `stepscope bench` prints them.
pub const SUITES: [(&str, Suite); 6] = [
    ("nlse", nlse::run),
    ("nlse-gpu", nlse_gpu::run),
    ("threebody", threebody::run),
    ("diffusion", diffusion::run),
    ("navier-stokes", navier_stokes::run),
    ("gpu", gpu::run),
];

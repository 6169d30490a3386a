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

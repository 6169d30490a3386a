//! `cargo bench --bench nlse_gpu`: the full-size tables of [`stepscope::bench::nlse_gpu`] (also printed
//! by `stepscope bench --suite nlse-gpu`).

fn main() {
    stepscope::bench::nlse_gpu::run(stepscope::bench::Scale::FULL);
}

//! `cargo bench --bench gpu`: the full-size tables of [`stepscope::bench::gpu`] (also printed
//! by `stepscope bench --suite gpu`).

fn main() {
    stepscope::bench::gpu::run(stepscope::bench::Scale::FULL);
}

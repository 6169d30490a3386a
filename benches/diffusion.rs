//! `cargo bench --bench diffusion`: the full-size tables of [`stepscope::bench::diffusion`] (also printed
//! by `stepscope bench --suite diffusion`).

fn main() {
    stepscope::bench::diffusion::run(stepscope::bench::Scale::FULL);
}

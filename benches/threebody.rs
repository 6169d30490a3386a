//! `cargo bench --bench threebody`: the full-size tables of [`stepscope::bench::threebody`] (also printed
//! by `stepscope bench --suite threebody`).

fn main() {
    stepscope::bench::threebody::run(stepscope::bench::Scale::FULL);
}

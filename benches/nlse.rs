//! `cargo bench --bench nlse`: the full-size tables of [`stepscope::bench::nlse`] (also printed
//! by `stepscope bench --suite nlse`).

fn main() {
    stepscope::bench::nlse::run(stepscope::bench::Scale::FULL);
}

//! `cargo bench --bench navier_stokes`: the full-size tables of [`stepscope::bench::navier_stokes`] (also printed
//! by `stepscope bench --suite navier-stokes`).

fn main() {
    stepscope::bench::navier_stokes::run(stepscope::bench::Scale::FULL);
}

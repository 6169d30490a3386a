//! Diffusion-sampling benchmark (`cargo bench --bench diffusion`):
//! 1. a work–precision table: every sampler at NFE 5, 10, 20, 50 on the ring of 8 (VP, λ grid,
//!    exact start): deterministic samplers by their RMS per-sample error against the reference
//!    ODE solution from the same noise, stochastic ones by sliced W2 to exact samples (with the
//!    noise level of an exact set of the same size); the adaptive samplers at three
//!    tolerances, with the NFE they spent;
//! 2. particle-steps per second (one particle through one denoiser evaluation and its update)
//!    for the f64 CPU path and the f32 GPU path on whatever adapter runs it (named), for a
//!    small and a large mixture.

use super::Scale;
use std::time::Instant;

use crate::core::rng::SeededRng;
use crate::gpu::GpuContext;
use crate::sims::diffusion::cpu::{initial_particles, reference_ode_solution, sample};
use crate::sims::diffusion::gpu::GpuSampler;
use crate::sims::diffusion::metrics::{per_sample_error, sliced_wasserstein2};
use crate::sims::diffusion::program::minimum_nfe;
use crate::sims::diffusion::{DiffusionParams, SamplerKind, TargetKind};

fn work_precision(scale: Scale) {
    let many_n = if scale.quick { 1024 } else { 16_384 };
    let base = DiffusionParams {
        particles: 256,
        seed: 3,
        ..DiffusionParams::default()
    };
    let mixture = base.mixture().expect("target");
    let initial = initial_particles(&base, &mixture);
    let reference = reference_ode_solution(&base, &mixture, &initial).expect("reference");
    // Stochastic samplers are measured on 16384 particles against a stratified exact set.
    let many = DiffusionParams {
        particles: many_n,
        ..base.clone()
    };
    let initial_many = initial_particles(&many, &mixture);
    let process = base.process.process();
    let t_min = process.time_range().0;
    let (alpha, sigma) = (process.alpha(t_min), process.sigma(t_min));
    let exact = mixture.sample_stratified(many_n, alpha, sigma, &mut SeededRng::new(77));
    let noise = sliced_wasserstein2(
        &mixture.sample(many_n, alpha, sigma, &mut SeededRng::new(78)),
        &exact,
        2,
        32,
        5,
    );
    println!(
        "work–precision, ring of 8, VP linear, λ-uniform grid, exact start (seed 3):\n\
         deterministic: RMS per-sample error against the DOP853 (tol 1e-12) ODE solution, 256 particles;\n\
         stochastic: sliced W2 to exact samples, 16384 particles (an exact set scores {noise:.3})"
    );
    println!(
        "{:<28} {:>5} {:>10} {:>10} {:>10} {:>10}",
        "sampler", "order", "NFE 5", "NFE 10", "NFE 20", "NFE 50"
    );
    for sampler in SamplerKind::ALL {
        let p = DiffusionParams {
            sampler,
            eta: if sampler == SamplerKind::Ddim {
                0.0
            } else {
                base.eta
            },
            ..base.clone()
        };
        if sampler.is_adaptive() {
            continue;
        }
        let stochastic = sampler.is_stochastic(&p);
        let cells: Vec<String> = [5usize, 10, 20, 50]
            .iter()
            .map(|nfe| {
                if *nfe < minimum_nfe(sampler) {
                    return "—".to_owned();
                }
                if stochastic {
                    let q = DiffusionParams {
                        nfe: *nfe,
                        particles: many.particles,
                        ..p.clone()
                    };
                    match sample(&q, &mixture, &initial_many) {
                        Ok(run) if run.particles.iter().all(|v| v.is_finite()) => {
                            format!(
                                "W2 {:.3}",
                                sliced_wasserstein2(&run.particles, &exact, 2, 32, 5)
                            )
                        }
                        _ => "diverged".to_owned(),
                    }
                } else {
                    let q = DiffusionParams {
                        nfe: *nfe,
                        ..p.clone()
                    };
                    match sample(&q, &mixture, &initial) {
                        Ok(run) if run.particles.iter().all(|v| v.is_finite()) => {
                            format!("{:.2e}", per_sample_error(&run.particles, &reference, 2).0)
                        }
                        _ => "diverged".to_owned(),
                    }
                }
            })
            .collect();
        let order = sampler
            .ode_order(&p)
            .map_or("SDE".to_owned(), |o| format!("{o}"));
        println!(
            "{:<28} {:>5} {:>10} {:>10} {:>10} {:>10}",
            sampler.label(),
            order,
            cells[0],
            cells[1],
            cells[2],
            cells[3]
        );
    }
    for (sampler, tolerances) in [
        (SamplerKind::Dopri5, [1e-2, 1e-4, 1e-6]),
        (SamplerKind::GottaGoFast, [0.5, 0.1, 0.02]),
    ] {
        let cells: Vec<String> = tolerances
            .iter()
            .map(|tol| {
                if sampler == SamplerKind::Dopri5 {
                    let q = DiffusionParams {
                        sampler,
                        tol: *tol,
                        ..base.clone()
                    };
                    let run = sample(&q, &mixture, &initial).expect("runs");
                    format!(
                        "tol {tol:e}: NFE {:.0}, error {:.2e}",
                        run.nfe_per_particle,
                        per_sample_error(&run.particles, &reference, 2).0
                    )
                } else {
                    let q = DiffusionParams {
                        sampler,
                        tol: *tol,
                        particles: many.particles,
                        ..base.clone()
                    };
                    let run = sample(&q, &mixture, &initial_many).expect("runs");
                    format!(
                        "tol {tol}: NFE {:.1}, W2 {:.3}",
                        run.nfe_per_particle,
                        sliced_wasserstein2(&run.particles, &exact, 2, 32, 5)
                    )
                }
            })
            .collect();
        println!("{:<28} {}", sampler.label(), cells.join(" | "));
    }
}

fn throughput(scale: Scale) {
    println!(
        "\nparticle-steps per second (one denoiser evaluation and update of one particle), DPM-Solver++(2M), NFE 20:"
    );
    let ctx = pollster::block_on(GpuContext::headless(true));
    match &ctx {
        Ok(ctx) => println!("  GPU adapter: {}", ctx.describe()),
        Err(e) => println!("  GPU: skipped ({e})"),
    }
    for (label, target, dim, components, particles) in [
        ("ring of 8, 2D", TargetKind::Ring8, 2, 8, 65_536),
        (
            "1024 components, 2D",
            TargetKind::GaussianNd,
            2,
            1024,
            16_384,
        ),
        ("64 components, 64D", TargetKind::GaussianNd, 64, 64, 16_384),
    ] {
        let particles = if scale.quick {
            particles / 16
        } else {
            particles
        };
        let p = DiffusionParams {
            target,
            dim,
            components,
            particles,
            nfe: 20,
            sampler: SamplerKind::DpmSolverPp2M,
            ..DiffusionParams::default()
        };
        let mixture = p.mixture().expect("target");
        let initial = initial_particles(&p, &mixture);
        let work = (particles * 20) as f64;
        let start = Instant::now();
        let cpu = sample(&p, &mixture, &initial).expect("cpu");
        let cpu_s = start.elapsed().as_secs_f64();
        let mut line = format!(
            "  {label}, {particles} particles: CPU f64 {:.2e}/s ({:.2} s)",
            work / cpu_s,
            cpu_s
        );
        if let Ok(ctx) = &ctx {
            // The first run compiles the pipelines; time the second.
            let mut warm = GpuSampler::new(ctx, &p, &mixture, &initial).expect("fits");
            warm.run_blocking(ctx).expect("runs");
            let mut gpu = GpuSampler::new(ctx, &p, &mixture, &initial).expect("fits");
            let start = Instant::now();
            let out = gpu.run_blocking(ctx).expect("runs");
            let gpu_s = start.elapsed().as_secs_f64();
            let (rms, _) = per_sample_error(&out, &cpu.particles, mixture.dim);
            line += &format!(
                "; GPU f32 {:.2e}/s ({:.2} s, rms difference to CPU {rms:.1e})",
                work / gpu_s,
                gpu_s
            );
        }
        println!("{line}");
    }
}

/// Prints the diffusion-sampling tables.
pub fn run(scale: Scale) {
    work_precision(scale);
    throughput(scale);
}

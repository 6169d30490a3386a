//! Diffusion sampling on exact scores: the score against finite differences, the reference
//! ODE solution against a closed-form flow, the convergence order of every deterministic
//! sampler against the reference, DDIM(η = 0) = DPM-Solver-1, distribution convergence of the
//! stochastic samplers in sliced W2, and the adaptive samplers' response to their tolerance.

use stepscope::core::rng::SeededRng;
use stepscope::sims::diffusion::cpu::{initial_particles, reference_ode_solution, sample};
use stepscope::sims::diffusion::metrics::{
    mean_log_likelihood, mode_masses, per_sample_error, sliced_wasserstein2, total_variation,
};
use stepscope::sims::diffusion::mixture::{GaussianMixture, MixtureScratch};
use stepscope::sims::diffusion::process::{ProcessKind, TimeGrid};
use stepscope::sims::diffusion::program::compile;
use stepscope::sims::diffusion::{DiffusionParams, InitKind, SamplerKind, TargetKind};

fn params(sampler: SamplerKind, nfe: usize) -> DiffusionParams {
    DiffusionParams {
        target: TargetKind::Ring8,
        process: ProcessKind::VpLinear,
        grid: TimeGrid::UniformLambda,
        sampler,
        nfe,
        particles: 32,
        seed: 11,
        ..DiffusionParams::default()
    }
}

/// Least-squares slope of −log(error) against log(NFE): the observed order.
fn fitted_order(nfes: &[usize], errors: &[f64]) -> f64 {
    let xs: Vec<f64> = nfes.iter().map(|n| (*n as f64).ln()).collect();
    let ys: Vec<f64> = errors.iter().map(|e| e.ln()).collect();
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    -sxy / sxx
}

#[test]
fn exact_score_matches_finite_differences_of_log_density_for_every_target_and_process() {
    let mut scratch = MixtureScratch::default();
    for target in TargetKind::ALL {
        let p = DiffusionParams {
            target,
            dim: 64,
            components: 16,
            ..DiffusionParams::default()
        };
        let mixture = p.mixture().expect("target");
        let dim = mixture.dim;
        let mut rng = SeededRng::new(5);
        for kind in ProcessKind::ALL {
            let process = kind.process();
            let (t_min, t_max) = process.time_range();
            for u in [0.0, 0.05, 0.5, 1.0] {
                let t = t_min + u * (t_max - t_min);
                let (alpha, sigma2) = (process.alpha(t), process.sigma2(t));
                let x = mixture.sample(1, alpha, sigma2.sqrt(), &mut rng);
                let mut score = vec![0.0; dim];
                mixture.log_density_and_score(&x, alpha, sigma2, &mut score, &mut scratch);
                let h = 1e-5 * (sigma2 + alpha * alpha * 0.01).sqrt();
                for i in (0..dim).step_by((dim / 4).max(1)) {
                    let (mut xp, mut xm) = (x.clone(), x.clone());
                    xp[i] += h;
                    xm[i] -= h;
                    let fd = (mixture.log_density(&xp, alpha, sigma2, &mut scratch)
                        - mixture.log_density(&xm, alpha, sigma2, &mut scratch))
                        / (2.0 * h);
                    assert!(
                        (fd - score[i]).abs() < 1e-5 * (1.0 + score[i].abs()),
                        "{target:?} {kind:?} t {t}: component {i}: fd {fd} vs exact {}",
                        score[i]
                    );
                }
            }
        }
    }
}

#[test]
fn reference_ode_solution_matches_the_closed_form_flow_of_a_gaussian() {
    // For p₀ = N(μ, s² I) the probability-flow ODE maps x_T to
    // x_t = α_t μ + √(α_t² s² + σ_t²) (x_T − α_T μ) / √(α_T² s² + σ_T²).
    let (mu, s) = ([1.5, -0.5], 0.3);
    let gaussian = GaussianMixture::new(2, mu.to_vec(), &[s], &[1.0], vec![0]).expect("valid");
    for kind in ProcessKind::ALL {
        let p = DiffusionParams {
            process: kind,
            particles: 16,
            ..params(SamplerKind::Dopri5, 10)
        };
        let process = kind.process();
        let (t_min, t_max) = process.time_range();
        let initial = initial_particles(&p, &gaussian);
        let solved = reference_ode_solution(&p, &gaussian, &initial).expect("solve");
        let spread = |t: f64| (process.alpha(t).powi(2) * s * s + process.sigma2(t)).sqrt();
        let ratio = spread(t_min) / spread(t_max);
        let mut worst: f64 = 0.0;
        for (x0, x1) in initial.chunks_exact(2).zip(solved.chunks_exact(2)) {
            for k in 0..2 {
                let exact =
                    process.alpha(t_min) * mu[k] + ratio * (x0[k] - process.alpha(t_max) * mu[k]);
                worst = worst.max((x1[k] - exact).abs());
            }
        }
        assert!(
            worst < 1e-9,
            "{kind:?}: reference off the closed form by {worst:e}"
        );
    }
}

/// Observed orders of every deterministic sampler on one configuration.
fn check_orders(base: &DiffusionParams, nfes: &[usize]) {
    let mixture = base.mixture().expect("target");
    let initial = initial_particles(base, &mixture);
    let reference = reference_ode_solution(base, &mixture, &initial).expect("reference");
    let mut checked = 0;
    for sampler in SamplerKind::ALL {
        let p = DiffusionParams {
            sampler,
            ..base.clone()
        };
        let Some(order) = sampler.ode_order(&p) else {
            continue;
        };
        let errors: Vec<f64> = nfes
            .iter()
            .map(|nfe| {
                let run = sample(
                    &DiffusionParams {
                        nfe: *nfe,
                        ..p.clone()
                    },
                    &mixture,
                    &initial,
                )
                .expect("run");
                per_sample_error(&run.particles, &reference, mixture.dim).0
            })
            .collect();
        let observed = fitted_order(nfes, &errors);
        println!(
            "{:?}/{:?}/{}: {:9} order {order}: observed {observed:.2}, errors {:?}",
            base.target,
            base.process,
            base.grid.key(),
            sampler.key(),
            errors
                .iter()
                .map(|e| format!("{e:.2e}"))
                .collect::<Vec<_>>()
        );
        assert!(
            (observed - order).abs() <= 0.3,
            "{}: observed order {observed:.2}, theory {order} (errors {errors:?} at NFE {nfes:?})",
            sampler.label()
        );
        checked += 1;
    }
    assert_eq!(checked, 13, "every deterministic sampler is checked");
}

#[test]
fn deterministic_samplers_converge_at_their_theoretical_order() {
    check_orders(&params(SamplerKind::OdeEuler, 10), &[100, 200, 400]);
}

#[test]
fn orders_hold_on_another_target_process_and_grid() {
    let base = DiffusionParams {
        target: TargetKind::Grid25,
        process: ProcessKind::VpCosine,
        ..params(SamplerKind::OdeEuler, 10)
    };
    check_orders(&base, &[400, 800, 1600]);
}

#[test]
fn ddim_with_eta_zero_and_dpm_solver_1_coincide() {
    // Lu et al. 2022, §4.1: DDIM is the first-order exponential integrator. The two programs
    // are derived from different formulas (x̂₀/ε̂ interpolation vs. the exact linear part).
    for (process, grid) in [
        (ProcessKind::VpLinear, TimeGrid::UniformTime),
        (ProcessKind::VpCosine, TimeGrid::UniformLambda),
        (ProcessKind::Ve, TimeGrid::Edm { rho: 7.0 }),
        (ProcessKind::Edm, TimeGrid::Edm { rho: 3.0 }),
    ] {
        let p = |sampler| DiffusionParams {
            process,
            grid,
            target: TargetKind::TwoMoons,
            particles: 64,
            ..params(sampler, 17)
        };
        let mixture = p(SamplerKind::Ddim).mixture().expect("target");
        let initial = initial_particles(&p(SamplerKind::Ddim), &mixture);
        let ddim = sample(&p(SamplerKind::Ddim), &mixture, &initial).expect("ddim");
        let dpm = sample(&p(SamplerKind::DpmSolver1), &mixture, &initial).expect("dpm1");
        let (rms, max) = per_sample_error(&ddim.particles, &dpm.particles, 2);
        assert!(
            max < 1e-11,
            "{process:?}: DDIM vs DPM-Solver-1 differ by {max:e} (rms {rms:e})"
        );
        assert_eq!(ddim.nfe_per_particle, dpm.nfe_per_particle);
        // And neither is a no-op: both moved the particles by O(1).
        let (moved, _) = per_sample_error(&ddim.particles, &initial, 2);
        assert!(moved > 0.1, "{process:?}: {moved}");
    }
}

/// `n` exact samples of p_{t_min}; `stratified` fixes the component counts at `n w_k`.
fn exact_samples(
    mixture: &GaussianMixture,
    p: &DiffusionParams,
    n: usize,
    seed: u64,
    stratified: bool,
) -> Vec<f64> {
    let process = p.process.process();
    let t_min = process.time_range().0;
    let (alpha, sigma) = (process.alpha(t_min), process.sigma(t_min));
    let mut rng = SeededRng::new(seed);
    if stratified {
        mixture.sample_stratified(n, alpha, sigma, &mut rng)
    } else {
        mixture.sample(n, alpha, sigma, &mut rng)
    }
}

/// The sliced W2 at which sampling noise, not the sampler, dominates: independent exact sets of
/// `n` against the stratified reference, averaged over 3 seeds. On a multimodal target it is
/// set by the binomial scatter of the mode weights of the set being measured.
fn noise_floor(mixture: &GaussianMixture, p: &DiffusionParams, reference: &[f64], n: usize) -> f64 {
    (0..3)
        .map(|k| {
            sliced_wasserstein2(
                reference,
                &exact_samples(mixture, p, n, 100 + k, false),
                2,
                32,
                5,
            )
        })
        .sum::<f64>()
        / 3.0
}

#[test]
fn stochastic_samplers_converge_in_sliced_w2_to_the_exact_distribution() {
    let n = 65_536;
    let base = DiffusionParams {
        particles: n,
        ..params(SamplerKind::EulerMaruyama, 4)
    };
    let mixture = base.mixture().expect("target");
    let initial = initial_particles(&base, &mixture);
    let exact = exact_samples(&mixture, &base, n, 99, true);
    let floor = noise_floor(&mixture, &base, &exact, n);
    let cases = [
        (SamplerKind::EulerMaruyama, 0.0, 0.0, 4),
        (SamplerKind::Ddpm, 0.0, 0.0, 4),
        (SamplerKind::Ddim, 0.5, 0.0, 4),
        (SamplerKind::EdmHeun, 0.0, 40.0, 8),
        (SamplerKind::PredictorCorrector, 0.0, 0.0, 8),
    ];
    for (sampler, eta, churn, coarse) in cases {
        let p = |nfe| DiffusionParams {
            sampler,
            eta,
            churn,
            nfe,
            ..base.clone()
        };
        assert!(sampler.is_stochastic(&p(coarse)));
        let nfes = [coarse, 2 * coarse, 4 * coarse, 256];
        let sw: Vec<f64> = nfes
            .iter()
            .map(|nfe| {
                let run = sample(&p(*nfe), &mixture, &initial).expect("run");
                sliced_wasserstein2(&run.particles, &exact, 2, 32, 5)
            })
            .collect();
        println!(
            "{:8} SW2 at NFE {nfes:?}: {sw:.3?} (noise floor {floor:.3})",
            sampler.key()
        );
        assert!(
            sw[0] > 3.0 * floor,
            "{}: coarse SW2 {} is not above noise {floor}",
            sampler.label(),
            sw[0]
        );
        assert!(
            sw[1] < sw[0] && sw[2] < sw[1],
            "{}: SW2 did not fall from NFE {coarse} to {}: {sw:?}",
            sampler.label(),
            4 * coarse
        );
        assert!(
            sw[3] < 2.0 * floor,
            "{}: SW2 {} at NFE 256 is not within the noise floor {floor}",
            sampler.label(),
            sw[3]
        );
    }
}

#[test]
fn dopri5_error_follows_its_tolerance_and_gotta_go_fast_spends_more_for_less() {
    let base = params(SamplerKind::Dopri5, 10);
    let mixture = base.mixture().expect("target");
    let initial = initial_particles(&base, &mixture);
    let reference = reference_ode_solution(&base, &mixture, &initial).expect("reference");
    let mut last_nfe = 0.0;
    for tol in [1e-3, 1e-5, 1e-7] {
        let run = sample(
            &DiffusionParams {
                tol,
                ..base.clone()
            },
            &mixture,
            &initial,
        )
        .expect("run");
        let (rms, _) = per_sample_error(&run.particles, &reference, 2);
        println!(
            "DOPRI5 tol {tol:e}: NFE {}, {} accepted, {} rejected, error {rms:.2e}",
            run.nfe_per_particle, run.accepted, run.rejected
        );
        assert!(
            rms < 20.0 * tol && rms > 1e-3 * tol,
            "tol {tol}: error {rms}"
        );
        assert!(run.nfe_per_particle > last_nfe);
        assert_eq!(run.records.len() as u64, run.accepted + run.rejected);
        last_nfe = run.nfe_per_particle;
    }

    let n = 16_384;
    let sde = DiffusionParams {
        particles: n,
        ..params(SamplerKind::GottaGoFast, 10)
    };
    let initial = initial_particles(&sde, &mixture);
    let exact = exact_samples(&mixture, &sde, n, 99, true);
    let floor = noise_floor(&mixture, &sde, &exact, n);
    let loose = sample(
        &DiffusionParams {
            tol: 0.5,
            ..sde.clone()
        },
        &mixture,
        &initial,
    )
    .expect("loose");
    let tight = sample(
        &DiffusionParams {
            tol: 0.01,
            ..sde.clone()
        },
        &mixture,
        &initial,
    )
    .expect("tight");
    let sw_loose = sliced_wasserstein2(&loose.particles, &exact, 2, 32, 5);
    let sw_tight = sliced_wasserstein2(&tight.particles, &exact, 2, 32, 5);
    println!(
        "Gotta Go Fast: tol 0.5 NFE {:.1} SW2 {sw_loose:.3}; tol 0.01 NFE {:.1} SW2 {sw_tight:.3}; floor {floor:.3}",
        loose.nfe_per_particle, tight.nfe_per_particle
    );
    assert!(tight.nfe_per_particle > 3.0 * loose.nfe_per_particle);
    assert!(tight.rejected > 0 && loose.accepted >= n as u64);
    assert!(sw_loose > 2.0 * floor && sw_tight < 2.0 * floor);
}

#[test]
fn exact_samples_have_the_target_mode_masses_and_likelihood() {
    for target in [TargetKind::Grid25, TargetKind::GaussianNd] {
        let p = DiffusionParams {
            target,
            dim: 32,
            components: 6,
            particles: 20_000,
            ..DiffusionParams::default()
        };
        let mixture = p.mixture().expect("target");
        let samples = exact_samples(&mixture, &p, p.particles, 4, false);
        let process = p.process.process();
        let t_min = process.time_range().0;
        let (alpha, sigma2) = (process.alpha(t_min), process.sigma2(t_min));
        let masses = mode_masses(&samples, &mixture, alpha, sigma2);
        let tv = total_variation(&masses, &mixture.mode_weights());
        assert!(tv < 0.03, "{target:?}: TV {tv}");
        // The mean log-likelihood of exact samples estimates −entropy; an independent set agrees
        // within sampling error, and samples from the wrong noise level score lower.
        let ll = mean_log_likelihood(&samples, &mixture, alpha, sigma2);
        let other = exact_samples(&mixture, &p, p.particles, 5, false);
        let ll2 = mean_log_likelihood(&other, &mixture, alpha, sigma2);
        // Standard error of each mean from the spread of log p over the samples.
        let mut scratch = MixtureScratch::default();
        let logs: Vec<f64> = samples
            .chunks_exact(mixture.dim)
            .map(|x| mixture.log_density(x, alpha, sigma2, &mut scratch))
            .collect();
        let sd = (logs.iter().map(|l| (l - ll).powi(2)).sum::<f64>() / logs.len() as f64).sqrt();
        let standard_error = sd / (logs.len() as f64).sqrt();
        assert!(
            (ll - ll2).abs() < 4.0 * 2f64.sqrt() * standard_error,
            "{target:?}: {ll} vs {ll2} (se {standard_error})"
        );
        let blurred = mixture.sample(p.particles, alpha, 0.5, &mut SeededRng::new(6));
        assert!(mean_log_likelihood(&blurred, &mixture, alpha, sigma2) < ll - 0.5);
    }
}

#[test]
fn prior_start_differs_from_exact_start_only_by_the_prior_mismatch() {
    let exact = params(SamplerKind::DpmSolverPp2M, 50);
    let prior = DiffusionParams {
        init: InitKind::Prior,
        ..exact.clone()
    };
    let mixture = exact.mixture().expect("target");
    let a = initial_particles(&exact, &mixture);
    let b = initial_particles(&prior, &mixture);
    assert_ne!(a, b);
    // VP at t = 1: p_T is within 1e-4 of N(0, I) in mean and variance.
    let var = |x: &[f64]| x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
    assert!((var(&a) - 1.0).abs() < 0.5 && (var(&b) - 1.0).abs() < 0.5);
}

#[test]
fn bad_parameters_are_refused_with_the_parameter_named() {
    let good = params(SamplerKind::EdmHeun, 20);
    let cases: Vec<(DiffusionParams, &str)> = vec![
        (
            DiffusionParams {
                nfe: 1,
                ..good.clone()
            },
            "NFE",
        ),
        (
            DiffusionParams {
                particles: 0,
                ..good.clone()
            },
            "particles",
        ),
        (
            DiffusionParams {
                tol: f64::NAN,
                ..good.clone()
            },
            "tolerance",
        ),
        (
            DiffusionParams {
                tol: 0.0,
                ..good.clone()
            },
            "tolerance",
        ),
        (
            DiffusionParams {
                eta: -1.0,
                ..good.clone()
            },
            "η",
        ),
        (
            DiffusionParams {
                target: TargetKind::GaussianNd,
                dim: 65,
                ..good.clone()
            },
            "dimension",
        ),
        (
            DiffusionParams {
                grid: TimeGrid::Edm { rho: f64::INFINITY },
                ..good.clone()
            },
            "ρ",
        ),
    ];
    for (p, key) in cases {
        let message = p.validate().expect_err("refused");
        assert!(message.contains(key), "{message:?} should name {key}");
        assert!(sample(&p, &p.mixture().expect("target"), &[0.0; 2]).is_err());
    }
    assert!(good.validate().is_ok());
    assert!(compile(&params(SamplerKind::Dopri5, 10)).is_err());
}

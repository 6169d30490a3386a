//! Distribution quality of a sample set against the exact target.

use super::mixture::{GaussianMixture, MixtureScratch};
use crate::core::rng::SeededRng;

/// Sliced Wasserstein-2 distance (Rabin et al. 2011; Bonneel et al. 2015) between two sample
/// sets in `dim` dimensions: the root mean over `directions` random unit directions of the
/// 1D W2² of the projections, each computed from sorted projections at the quantile levels
/// `(i + ½)/m` (so the sets may differ in size).
pub fn sliced_wasserstein2(a: &[f64], b: &[f64], dim: usize, directions: usize, seed: u64) -> f64 {
    let mut rng = SeededRng::new(seed);
    let (na, nb) = (a.len() / dim, b.len() / dim);
    if na == 0 || nb == 0 {
        return f64::NAN;
    }
    let m = na.max(nb);
    let mut total = 0.0;
    let mut pa = vec![0.0; na];
    let mut pb = vec![0.0; nb];
    let mut direction = vec![0.0; dim];
    for _ in 0..directions {
        direction.iter_mut().for_each(|d| *d = rng.normal());
        let norm = direction
            .iter()
            .map(|d| d * d)
            .sum::<f64>()
            .sqrt()
            .max(1e-300);
        direction.iter_mut().for_each(|d| *d /= norm);
        project(a, &direction, &mut pa);
        project(b, &direction, &mut pb);
        pa.sort_by(f64::total_cmp);
        pb.sort_by(f64::total_cmp);
        let mut w2 = 0.0;
        for i in 0..m {
            let level = (i as f64 + 0.5) / m as f64;
            w2 += (quantile(&pa, level) - quantile(&pb, level)).powi(2);
        }
        total += w2 / m as f64;
    }
    (total / directions as f64).sqrt()
}

fn project(points: &[f64], direction: &[f64], out: &mut [f64]) {
    for (o, p) in out.iter_mut().zip(points.chunks_exact(direction.len())) {
        *o = p.iter().zip(direction).map(|(x, d)| x * d).sum();
    }
}

/// The empirical quantile of sorted values at `level` ∈ (0, 1) (the sample at that rank).
fn quantile(sorted: &[f64], level: f64) -> f64 {
    let index = ((level * sorted.len() as f64) as usize).min(sorted.len() - 1);
    sorted[index]
}

/// Mean of `log p_t(x)` over the samples, under the noised target with `(alpha, sigma2)`.
pub fn mean_log_likelihood(
    samples: &[f64],
    mixture: &GaussianMixture,
    alpha: f64,
    sigma2: f64,
) -> f64 {
    let mut scratch = MixtureScratch::default();
    let n = samples.len() / mixture.dim;
    samples
        .chunks_exact(mixture.dim)
        .map(|x| mixture.log_density(x, alpha, sigma2, &mut scratch))
        .sum::<f64>()
        / n.max(1) as f64
}

/// Fraction of the samples in each mode (the mode of largest posterior mass).
pub fn mode_masses(
    samples: &[f64],
    mixture: &GaussianMixture,
    alpha: f64,
    sigma2: f64,
) -> Vec<f64> {
    let mut scratch = MixtureScratch::default();
    let mut counts = vec![0.0; mixture.modes];
    let n = samples.len() / mixture.dim;
    for x in samples.chunks_exact(mixture.dim) {
        counts[mixture.mode_at(x, alpha, sigma2, &mut scratch)] += 1.0;
    }
    counts.iter_mut().for_each(|c| *c /= n.max(1) as f64);
    counts
}

/// Total variation distance `½ Σ |p_i − q_i|` between two mode-mass vectors.
pub fn total_variation(p: &[f64], q: &[f64]) -> f64 {
    0.5 * p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum::<f64>()
}

/// Per-sample Euclidean errors between two sets of the same particles: `(rms, max)`.
pub fn per_sample_error(a: &[f64], b: &[f64], dim: usize) -> (f64, f64) {
    let mut sum = 0.0;
    let mut max: f64 = 0.0;
    let mut n = 0usize;
    for (pa, pb) in a.chunks_exact(dim).zip(b.chunks_exact(dim)) {
        let e2: f64 = pa.iter().zip(pb).map(|(x, y)| (x - y).powi(2)).sum();
        sum += e2;
        max = max.max(e2.sqrt());
        n += 1;
    }
    ((sum / n.max(1) as f64).sqrt(), max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliced_w2_of_shifted_gaussians_is_the_shift_over_root_dim() {
        // For a shift by δ along one axis, the projection on a uniform direction u is shifted
        // by δ u₁ and E[u₁²] = 1/d: SW2 = δ/√d exactly (up to sampling error).
        let mut rng = SeededRng::new(3);
        let n = 20_000;
        let a: Vec<f64> = (0..2 * n).map(|_| rng.normal()).collect();
        let b: Vec<f64> = a.chunks_exact(2).flat_map(|p| [p[0] + 1.0, p[1]]).collect();
        let sw = sliced_wasserstein2(&a, &b, 2, 400, 9);
        assert!((sw - 1.0 / 2f64.sqrt()).abs() < 0.03, "{sw}");
        assert!(sliced_wasserstein2(&a, &a, 2, 50, 9) < 1e-12);
    }
}

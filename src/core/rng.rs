//! Seeded, reproducible randomness: every stochastic piece takes its seed from the scenario.
//! ChaCha8 gives the same stream on every platform and version of this crate (unlike StdRng).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A reproducible generator of uniform and Gaussian deviates.
pub struct SeededRng {
    inner: ChaCha8Rng,
}

impl SeededRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            inner: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        // 53 random bits, exactly representable.
        (self.inner.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal by the Box–Muller transform (Box & Muller 1958).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // in (0, 1], so ln is finite
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// One round of the PCG-RXS-M-XS hash on 32 bits (Jarzynski & Olano 2020, "Hash Functions
/// for GPU Rendering", JCGT 9(3)): a good, cheap integer hash that WGSL can compute exactly.
pub fn pcg_hash(input: u32) -> u32 {
    let state = input.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277_803_737);
    (word >> 22) ^ word
}

/// A standard normal deviate addressed by `(seed, stream, index)` instead of drawn from a
/// sequence: counter-based, so the CPU and a GPU kernel (`shaders/diffusion_sampler.wgsl`,
/// the same hash chain and Box–Muller transform in f32) produce the same noise for the same
/// particle and step, in any order and in parallel.
pub fn counter_normal(seed: u32, stream: u32, index: u32) -> f64 {
    let h1 = pcg_hash(index.wrapping_add(pcg_hash(stream.wrapping_add(pcg_hash(seed)))));
    let h2 = pcg_hash(h1);
    // Midpoints of 2^32 bins: u1 ∈ (0, 1), so ln u1 is finite.
    let u1 = (f64::from(h1) + 0.5) * (1.0 / 4_294_967_296.0);
    let u2 = (f64::from(h2) + 0.5) * (1.0 / 4_294_967_296.0);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_normal_moments() {
        let mut a = SeededRng::new(42);
        let mut b = SeededRng::new(42);
        let xs: Vec<f64> = (0..20_000).map(|_| a.normal()).collect();
        let ys: Vec<f64> = (0..20_000).map(|_| b.normal()).collect();
        assert_eq!(xs, ys);
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        // Standard errors: 1/sqrt(n) ≈ 0.007 for the mean, ≈ 0.01 for the variance.
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
        assert_ne!(SeededRng::new(43).uniform(), SeededRng::new(42).uniform());
    }

    #[test]
    fn counter_normals_have_unit_moments_and_no_lag_correlation() {
        let n = 40_000u32;
        let xs: Vec<f64> = (0..n).map(|i| counter_normal(7, 3, i)).collect();
        let mean = xs.iter().sum::<f64>() / f64::from(n);
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / f64::from(n);
        let kurtosis =
            xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / f64::from(n) / var.powi(2);
        let lag1 = xs.windows(2).map(|w| w[0] * w[1]).sum::<f64>() / f64::from(n - 1);
        // Standard errors at n = 40 000: 0.005 (mean), 0.007 (variance), 0.025 (kurtosis),
        // 0.005 (lag-1 correlation); bounds at about 4 standard errors.
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((var - 1.0).abs() < 0.03, "{var}");
        assert!((kurtosis - 3.0).abs() < 0.1, "{kurtosis}");
        assert!(lag1.abs() < 0.02, "{lag1}");
        // Neighbouring streams and seeds are uncorrelated too.
        let other: Vec<f64> = (0..n).map(|i| counter_normal(7, 4, i)).collect();
        let cross = xs.iter().zip(&other).map(|(a, b)| a * b).sum::<f64>() / f64::from(n);
        assert!(cross.abs() < 0.02, "{cross}");
        assert_ne!(counter_normal(8, 3, 0), counter_normal(7, 3, 0));
    }
}

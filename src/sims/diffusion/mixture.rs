//! Gaussian-mixture targets: the data density whose noised score is known exactly.
//!
//! For `p₀ = Σ_k w_k N(μ_k, s_k² I)` and the forward process `x_t = α_t x₀ + σ_t ε`, the noised
//! density is again a mixture, `p_t = Σ_k w_k N(α_t μ_k, v_k I)` with `v_k = α_t² s_k² + σ_t²`,
//! so its score is exact:
//!
//! ```text
//! ∇ log p_t(x) = Σ_k r_k(x) (α_t μ_k − x) / v_k,   r_k = w_k N(x; α_t μ_k, v_k I) / p_t(x)
//! ```
//!
//! and Tweedie's formula gives the exact denoiser `E[x₀ | x_t = x] = (x + σ_t² ∇ log p_t(x)) / α_t`.
//! No network and no approximation error: every difference in a sample is the sampler's.

use crate::core::rng::SeededRng;

/// A mixture of isotropic Gaussians in `dim` dimensions, with components grouped into modes
/// (a moon made of 48 components is one mode) for the mode-coverage diagnostic.
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianMixture {
    /// Dimension of the data.
    pub dim: usize,
    /// Component means, `components × dim`, row-major.
    pub means: Vec<f64>,
    /// Component variances `s_k²`.
    pub variances: Vec<f64>,
    /// Normalised log-weights `log w_k`.
    pub log_weights: Vec<f64>,
    /// The mode each component belongs to.
    pub mode_of: Vec<usize>,
    /// Number of modes.
    pub modes: usize,
}

/// Scratch space for evaluating one point against every component.
#[derive(Clone, Debug, Default)]
pub struct MixtureScratch {
    logits: Vec<f64>,
}

impl GaussianMixture {
    /// A mixture from means (`k × dim`), standard deviations, unnormalised weights and the mode
    /// of each component.
    pub fn new(
        dim: usize,
        means: Vec<f64>,
        stds: &[f64],
        weights: &[f64],
        mode_of: Vec<usize>,
    ) -> Result<Self, String> {
        let k = stds.len();
        if dim == 0 || k == 0 || means.len() != k * dim || weights.len() != k || mode_of.len() != k
        {
            return Err(format!(
                "a mixture needs matching sizes: dim {dim}, {k} components, {} mean values, {} weights",
                means.len(),
                weights.len()
            ));
        }
        if means
            .iter()
            .chain(stds)
            .chain(weights)
            .any(|v| !v.is_finite())
            || stds.iter().any(|s| *s <= 0.0)
            || weights.iter().any(|w| *w < 0.0)
        {
            return Err("mixture parameters must be finite, with s > 0 and w ≥ 0".into());
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Err("mixture weights sum to zero".into());
        }
        let modes = mode_of.iter().max().map_or(0, |m| m + 1);
        Ok(Self {
            dim,
            means,
            variances: stds.iter().map(|s| s * s).collect(),
            log_weights: weights.iter().map(|w| (w / total).ln()).collect(),
            mode_of,
            modes,
        })
    }

    /// Number of components.
    pub fn components(&self) -> usize {
        self.variances.len()
    }

    /// Mean of component `k`.
    pub fn mean(&self, k: usize) -> &[f64] {
        &self.means[k * self.dim..(k + 1) * self.dim]
    }

    /// Fills the scratch with the log of `w_k N(x; α μ_k, v_k I)` and returns its maximum.
    fn component_logits(
        &self,
        x: &[f64],
        alpha: f64,
        sigma2: f64,
        scratch: &mut MixtureScratch,
    ) -> f64 {
        let d = self.dim as f64;
        let log_two_pi = (std::f64::consts::TAU).ln();
        scratch.logits.clear();
        let mut max = f64::NEG_INFINITY;
        for k in 0..self.components() {
            let v = alpha * alpha * self.variances[k] + sigma2;
            let r2: f64 = x
                .iter()
                .zip(self.mean(k))
                .map(|(xi, mi)| (xi - alpha * mi).powi(2))
                .sum();
            let logit = self.log_weights[k] - 0.5 * r2 / v - 0.5 * d * (log_two_pi + v.ln());
            max = max.max(logit);
            scratch.logits.push(logit);
        }
        max
    }

    /// `log p_t(x)` and the exact score `∇ log p_t(x)` (into `score`), for the noised density
    /// with mean scale `alpha` and noise variance `sigma2`.
    pub fn log_density_and_score(
        &self,
        x: &[f64],
        alpha: f64,
        sigma2: f64,
        score: &mut [f64],
        scratch: &mut MixtureScratch,
    ) -> f64 {
        let max = self.component_logits(x, alpha, sigma2, scratch);
        score.iter_mut().for_each(|s| *s = 0.0);
        let mut total = 0.0;
        for k in 0..self.components() {
            let r = (scratch.logits[k] - max).exp();
            total += r;
            let v = alpha * alpha * self.variances[k] + sigma2;
            for (s, (xi, mi)) in score.iter_mut().zip(x.iter().zip(self.mean(k))) {
                *s += r * (alpha * mi - xi) / v;
            }
        }
        score.iter_mut().for_each(|s| *s /= total);
        max + total.ln()
    }

    /// `log p_t(x)` alone.
    pub fn log_density(
        &self,
        x: &[f64],
        alpha: f64,
        sigma2: f64,
        scratch: &mut MixtureScratch,
    ) -> f64 {
        let max = self.component_logits(x, alpha, sigma2, scratch);
        max + scratch
            .logits
            .iter()
            .map(|l| (l - max).exp())
            .sum::<f64>()
            .ln()
    }

    /// The mode with the largest posterior mass at `x` under `p_t`.
    pub fn mode_at(
        &self,
        x: &[f64],
        alpha: f64,
        sigma2: f64,
        scratch: &mut MixtureScratch,
    ) -> usize {
        let max = self.component_logits(x, alpha, sigma2, scratch);
        let mut mass = vec![0.0; self.modes];
        for (k, l) in scratch.logits.iter().enumerate() {
            mass[self.mode_of[k]] += (l - max).exp();
        }
        mass.iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(m, _)| m)
    }

    /// The weight of each mode, `Σ_{k ∈ mode} w_k`.
    pub fn mode_weights(&self) -> Vec<f64> {
        let mut w = vec![0.0; self.modes];
        for (k, lw) in self.log_weights.iter().enumerate() {
            w[self.mode_of[k]] += lw.exp();
        }
        w
    }

    /// `n` exact samples of `p_t` with the component counts fixed at `n w_k` (largest
    /// remainders rounded up): stratified sampling, so the set has no binomial scatter in its
    /// mode weights. A reference set for distances like sliced W2, whose noise on a multimodal
    /// target is dominated by that scatter.
    pub fn sample_stratified(
        &self,
        n: usize,
        alpha: f64,
        sigma: f64,
        rng: &mut SeededRng,
    ) -> Vec<f64> {
        let shares: Vec<f64> = self
            .log_weights
            .iter()
            .map(|lw| lw.exp() * n as f64)
            .collect();
        let mut counts: Vec<usize> = shares.iter().map(|s| s.floor() as usize).collect();
        let mut order: Vec<usize> = (0..counts.len()).collect();
        order.sort_by(|a, b| {
            (shares[*b] - shares[*b].floor()).total_cmp(&(shares[*a] - shares[*a].floor()))
        });
        let missing = n - counts.iter().sum::<usize>();
        for k in order.into_iter().take(missing) {
            counts[k] += 1;
        }
        let mut out = Vec::with_capacity(n * self.dim);
        for (k, count) in counts.into_iter().enumerate() {
            let s = self.variances[k].sqrt();
            for _ in 0..count {
                for i in 0..self.dim {
                    let x0 = self.mean(k)[i] + s * rng.normal();
                    out.push(alpha * x0 + sigma * rng.normal());
                }
            }
        }
        out
    }

    /// `n` exact samples of `p_t` (`x = α x₀ + σ z`), row-major `n × dim`.
    pub fn sample(&self, n: usize, alpha: f64, sigma: f64, rng: &mut SeededRng) -> Vec<f64> {
        let cumulative: Vec<f64> = self
            .log_weights
            .iter()
            .scan(0.0, |acc, lw| {
                *acc += lw.exp();
                Some(*acc)
            })
            .collect();
        let total = cumulative.last().copied().unwrap_or(1.0);
        let mut out = Vec::with_capacity(n * self.dim);
        for _ in 0..n {
            let u = rng.uniform() * total;
            let k = cumulative
                .partition_point(|c| *c <= u)
                .min(self.components() - 1);
            let s = self.variances[k].sqrt();
            for i in 0..self.dim {
                let x0 = self.mean(k)[i] + s * rng.normal();
                out.push(alpha * x0 + sigma * rng.normal());
            }
        }
        out
    }
}

/// `log p_t` and the score on a regular 2D grid (first two coordinates; the others at 0), for
/// the density and score-field views. Row-major from the top-left corner `(x0, y1)`.
pub struct NoisedField {
    /// Columns and rows.
    pub size: (usize, usize),
    /// `log p_t` per grid point.
    pub log_density: Vec<f64>,
    /// The score `∇log p_t` per grid point (first two components).
    pub score: Vec<[f64; 2]>,
    /// The grid points.
    pub points: Vec<[f64; 2]>,
}

impl GaussianMixture {
    /// Evaluates the noised density and score on `columns × rows` points covering
    /// `[x0, x1] × [y0, y1]` (cell centres).
    pub fn noised_field(
        &self,
        alpha: f64,
        sigma2: f64,
        (x0, x1): (f64, f64),
        (y0, y1): (f64, f64),
        (columns, rows): (usize, usize),
    ) -> NoisedField {
        let mut scratch = MixtureScratch::default();
        let mut x = vec![0.0; self.dim];
        let mut score = vec![0.0; self.dim];
        let n = columns * rows;
        let mut field = NoisedField {
            size: (columns, rows),
            log_density: Vec::with_capacity(n),
            score: Vec::with_capacity(n),
            points: Vec::with_capacity(n),
        };
        for r in 0..rows {
            for c in 0..columns {
                x[0] = x0 + (c as f64 + 0.5) / columns as f64 * (x1 - x0);
                x[1] = y1 - (r as f64 + 0.5) / rows as f64 * (y1 - y0);
                let log_p = self.log_density_and_score(&x, alpha, sigma2, &mut score, &mut scratch);
                field.log_density.push(log_p);
                field.score.push([score[0], score[1]]);
                field.points.push([x[0], x[1]]);
            }
        }
        field
    }
}

/// Points along a curve `(x(u), y(u))` for `u` in `[0, 1]`, `count` of them.
fn along(count: usize, curve: impl Fn(f64) -> (f64, f64)) -> Vec<(f64, f64)> {
    (0..count)
        .map(|i| curve(i as f64 / (count - 1).max(1) as f64))
        .collect()
}

/// 2D mixture from points, one std for all, equal weights.
fn planar(points: &[(f64, f64)], std: f64, mode_of: Vec<usize>) -> Result<GaussianMixture, String> {
    let means = points.iter().flat_map(|(x, y)| [*x, *y]).collect();
    let n = points.len();
    GaussianMixture::new(2, means, &vec![std; n], &vec![1.0; n], mode_of)
}

/// Eight equal components on a circle of radius 3 (std 0.2).
pub fn ring8() -> Result<GaussianMixture, String> {
    let points: Vec<(f64, f64)> = (0..8)
        .map(|k| {
            let a = std::f64::consts::TAU * k as f64 / 8.0;
            (3.0 * a.cos(), 3.0 * a.sin())
        })
        .collect();
    planar(&points, 0.2, (0..8).collect())
}

/// A 5 × 5 grid with spacing 2 (std 0.2).
pub fn grid25() -> Result<GaussianMixture, String> {
    let points: Vec<(f64, f64)> = (0..25)
        .map(|k| (2.0 * (k % 5) as f64 - 4.0, 2.0 * (k / 5) as f64 - 4.0))
        .collect();
    planar(&points, 0.2, (0..25).collect())
}

/// Two interleaved half-circles (the "two moons" of scikit-learn, scaled by 2), each made of
/// 48 components of std 0.1; two modes.
pub fn two_moons() -> Result<GaussianMixture, String> {
    let per_moon = 48;
    let mut points = along(per_moon, |u| {
        let a = std::f64::consts::PI * u;
        (2.0 * a.cos() - 1.0, 2.0 * a.sin() - 0.5)
    });
    points.extend(along(per_moon, |u| {
        let a = std::f64::consts::PI * u;
        (2.0 * (1.0 - a.cos()) - 1.0, 0.5 - 2.0 * a.sin())
    }));
    let modes = (0..2 * per_moon).map(|k| k / per_moon).collect();
    planar(&points, 0.1, modes)
}

/// An Archimedean spiral of 160 components (std 0.08) over two and a half turns, its arm cut
/// into four modes (inner to outer quarter) so coverage of the tail is visible.
pub fn spiral() -> Result<GaussianMixture, String> {
    let count = 160;
    let points = along(count, |u| {
        let a = 0.5 + 5.0 * std::f64::consts::PI * u;
        let r = 0.45 * a / std::f64::consts::PI + 0.2;
        (r * a.cos(), r * a.sin())
    });
    planar(&points, 0.08, (0..count).map(|k| 4 * k / count).collect())
}

/// A mixture in `dim` dimensions: `components` modes with means at radius 3 in random
/// directions and unequal weights `w_k ∝ 1 + k` (std 0.3). The geometry is fixed by
/// `(dim, components)` alone, not by the run's seed, so one link always means one target.
pub fn gaussian_nd(dim: usize, components: usize) -> Result<GaussianMixture, String> {
    let mut rng = SeededRng::new(0x5EED_0000 + (dim as u64) * 1000 + components as u64);
    let mut means = Vec::with_capacity(components * dim);
    for _ in 0..components {
        let dir: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
        let norm = dir.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
        means.extend(dir.iter().map(|v| 3.0 * v / norm));
    }
    let weights: Vec<f64> = (0..components).map(|k| 1.0 + k as f64).collect();
    GaussianMixture::new(
        dim,
        means,
        &vec![0.3; components],
        &weights,
        (0..components).collect(),
    )
}

/// The picture behind the `image` target: "∇p" in white on black, 72 × 40, binary PGM.
const PICTURE: &[u8] = include_bytes!("../../../assets/nabla-p.pgm");

/// Brightness above which a pixel becomes a component.
const BRIGHT: u8 = 128;

/// Width and height and the grey values of a binary (P5) PGM with maxval 255.
pub fn parse_pgm(bytes: &[u8]) -> Result<(usize, usize, &[u8]), String> {
    // Header: "P5", width, height, maxval, each separated by whitespace, then one byte.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if start == at {
            return Err("the picture's PGM header is incomplete".into());
        }
        fields.push(std::str::from_utf8(&bytes[start..at]).map_err(|e| e.to_string())?);
    }
    if fields[0] != "P5" || fields[3] != "255" {
        return Err("the picture must be a binary 8-bit PGM (P5, maxval 255)".into());
    }
    let parse = |s: &str| {
        s.parse::<usize>()
            .map_err(|e| format!("bad PGM size '{s}': {e}"))
    };
    let (w, h) = (parse(fields[1])?, parse(fields[2])?);
    let pixels = bytes
        .get(at + 1..at + 1 + w * h)
        .ok_or("the PGM has fewer pixels than its size says")?;
    Ok((w, h, pixels))
}

/// A density drawn from a picture: one component per bright pixel (weight ∝ brightness, std
/// 0.6 pixel), the picture 8 units wide, centred; each connected bright region (4-neighbours)
/// is a mode.
pub fn from_picture(bytes: &[u8]) -> Result<GaussianMixture, String> {
    let (w, h, pixels) = parse_pgm(bytes)?;
    let pitch = 8.0 / w as f64;
    let mut region = vec![usize::MAX; w * h];
    let mut modes = 0;
    for start in 0..w * h {
        if pixels[start] <= BRIGHT || region[start] != usize::MAX {
            continue;
        }
        let mut stack = vec![start];
        region[start] = modes;
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            let neighbours = [
                (x > 0).then(|| i - 1),
                (x + 1 < w).then(|| i + 1),
                (y > 0).then(|| i - w),
                (y + 1 < h).then(|| i + w),
            ];
            for j in neighbours.into_iter().flatten() {
                if pixels[j] > BRIGHT && region[j] == usize::MAX {
                    region[j] = modes;
                    stack.push(j);
                }
            }
        }
        modes += 1;
    }
    let mut means = Vec::new();
    let mut weights = Vec::new();
    let mut mode_of = Vec::new();
    for (i, &value) in pixels.iter().enumerate() {
        if value > BRIGHT {
            let (x, y) = ((i % w) as f64, (i / w) as f64);
            means.push((x + 0.5 - w as f64 / 2.0) * pitch);
            means.push((h as f64 / 2.0 - y - 0.5) * pitch);
            weights.push(f64::from(value));
            mode_of.push(region[i]);
        }
    }
    if weights.is_empty() {
        return Err("the picture has no bright pixels".into());
    }
    let stds = vec![0.6 * pitch; weights.len()];
    GaussianMixture::new(2, means, &stds, &weights, mode_of)
}

/// The `image` target: the "∇p" picture in `assets/nabla-p.pgm`.
pub fn picture() -> Result<GaussianMixture, String> {
    from_picture(PICTURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picture_becomes_one_component_per_bright_pixel_in_two_regions() {
        let m = picture().expect("the asset decodes");
        let (w, h, pixels) = parse_pgm(PICTURE).expect("valid");
        assert_eq!((w, h), (72, 40));
        let bright = pixels.iter().filter(|p| **p > BRIGHT).count();
        assert_eq!(m.components(), bright);
        // "∇" and "p" are the two connected regions.
        assert_eq!(m.modes, 2);
        assert!(m.means.iter().all(|v| v.abs() <= 4.0));
        assert!(from_picture(b"P5 2 2 255\n\0\0\0\0").is_err());
        assert!(from_picture(b"P6 2 2 255\n").is_err());
        assert!(from_picture(b"P5 9 9 255\n\0").is_err());
    }

    #[test]
    fn score_is_the_gradient_of_the_log_density() {
        let mixture = spiral().expect("valid");
        let mut scratch = MixtureScratch::default();
        let mut score = [0.0; 2];
        for (alpha, sigma2) in [(1.0, 1e-4), (0.8, 0.36), (0.05, 0.9975), (1.0, 400.0)] {
            for x in [[0.3, -0.7], [1.9, 2.2], [-3.0, 0.1]] {
                mixture.log_density_and_score(&x, alpha, sigma2, &mut score, &mut scratch);
                let h = 1e-5 * (sigma2 + alpha * alpha * 0.0064).sqrt();
                for i in 0..2 {
                    let (mut xp, mut xm) = (x, x);
                    xp[i] += h;
                    xm[i] -= h;
                    let fd = (mixture.log_density(&xp, alpha, sigma2, &mut scratch)
                        - mixture.log_density(&xm, alpha, sigma2, &mut scratch))
                        / (2.0 * h);
                    assert!(
                        (fd - score[i]).abs() < 1e-6 * (1.0 + score[i].abs()),
                        "α {alpha} σ² {sigma2} x {x:?}: fd {fd} vs score {}",
                        score[i]
                    );
                }
            }
        }
    }
}

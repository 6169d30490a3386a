//! Gauss–Legendre quadrature (Golub & Welsch 1969; nodes by Newton's method on the Legendre
//! recurrence, as in Press et al., Numerical Recipes §4.6 `gauleg`).

/// Nodes and weights of the `n`-point Gauss–Legendre rule on [−1, 1]: exact for polynomials of
/// degree ≤ 2n − 1.
pub fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = vec![0.0; n];
    let mut weights = vec![0.0; n];
    for i in 0..n.div_ceil(2) {
        // Tricomi's initial guess for the i-th root, then Newton on P_n.
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut derivative = 1.0;
        for _ in 0..100 {
            let (p, dp) = legendre_with_derivative(n, x);
            derivative = dp;
            let dx = p / dp;
            x -= dx;
            if dx.abs() < 1e-16 {
                break;
            }
        }
        let (_, dp) = legendre_with_derivative(n, x);
        if dp != 0.0 {
            derivative = dp;
        }
        let w = 2.0 / ((1.0 - x * x) * derivative * derivative);
        nodes[i] = -x;
        nodes[n - 1 - i] = x;
        weights[i] = w;
        weights[n - 1 - i] = w;
    }
    (nodes, weights)
}

/// `(P_n(x), P_n'(x))` by the three-term recurrence.
fn legendre_with_derivative(n: usize, x: f64) -> (f64, f64) {
    let (mut p0, mut p1) = (1.0, x);
    if n == 0 {
        return (1.0, 0.0);
    }
    for k in 2..=n {
        let kf = k as f64;
        let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
        p0 = p1;
        p1 = p2;
    }
    let dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
    (p1, dp)
}

/// ∫_a^b f by the `n`-point Gauss–Legendre rule.
pub fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64, nodes: &[f64], weights: &[f64]) -> f64 {
    let half = 0.5 * (b - a);
    let mid = 0.5 * (b + a);
    nodes
        .iter()
        .zip(weights)
        .map(|(x, w)| w * f(mid + half * x))
        .sum::<f64>()
        * half
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_for_degree_2n_minus_1_and_matches_known_nodes() {
        let (x, w) = gauss_legendre(5);
        // Abramowitz & Stegun Table 25.4, n = 5.
        assert!((x[4] - 0.906_179_845_938_664).abs() < 1e-15);
        assert!((w[4] - 0.236_926_885_056_189).abs() < 1e-15);
        assert!((w[2] - 0.568_888_888_888_889).abs() < 1e-15);
        let (x, w) = gauss_legendre(8);
        let integral = integrate(|t| t.powi(15) + 3.0 * t.powi(14), -1.0, 2.0, &x, &w);
        let exact = (2f64.powi(16) - 1.0) / 16.0 + 3.0 * (2f64.powi(15) + 1.0) / 15.0;
        assert!(
            (integral - exact).abs() < 1e-11 * exact,
            "{integral} vs {exact}"
        );
        let e = integrate(f64::exp, 0.0, 1.0, &x, &w);
        assert!((e - (std::f64::consts::E - 1.0)).abs() < 1e-15);
    }
}

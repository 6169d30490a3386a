//! Observed orders of convergence: least-squares slopes on log–log data (work–precision
//! diagrams, convergence tests).

/// The least-squares slope of log(y) against log(x) over the points where both are positive
/// and finite; None with fewer than two such points or no spread in x.
pub fn log_log_slope(points: &[(f64, f64)]) -> Option<f64> {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| x.is_finite() && y.is_finite() && *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    if logs.len() < 2 {
        return None;
    }
    let n = logs.len() as f64;
    let mx = logs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = logs.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The observed order of a method from (work, error) pairs: error ∝ work^(−p) gives p.
pub fn observed_order(work_error: &[(f64, f64)]) -> Option<f64> {
    log_log_slope(work_error).map(|s| -s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_laws_give_their_exponents_and_degenerate_data_none() {
        let points: Vec<(f64, f64)> = [10.0, 20.0, 40.0, 80.0]
            .iter()
            .map(|n: &f64| (*n, 3.0 * n.powf(-4.0)))
            .collect();
        let p = observed_order(&points).expect("fits");
        assert!((p - 4.0).abs() < 1e-12, "{p}");
        // Non-positive and NaN errors are left out (an exact result has no logarithm).
        let mut with_gaps = points.clone();
        with_gaps.push((160.0, 0.0));
        with_gaps.push((320.0, f64::NAN));
        assert_eq!(observed_order(&with_gaps), Some(p));
        assert_eq!(observed_order(&points[..1]), None);
        assert_eq!(observed_order(&[(5.0, 1.0), (5.0, 2.0)]), None);
    }
}

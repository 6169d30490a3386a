//! NLSE scenarios: initial states, exact solutions and analytic predictions.
//!
//! All closed forms are written for the normalised equation `iφ_τ + ½φ_xx + |φ|²φ = 0` and
//! mapped to `iψ_t + (β/2)ψ_xx + γ|ψ|²ψ = 0` (βγ > 0) by `ψ(x, t) = √(β/γ)·φ(x, βt)`.

use rustfft::num_complex::Complex64;

use super::{NlseCase, NlseParams};
use crate::core::rng::SeededRng;

/// `√(β/γ)` and the time scale β of the map from the normalised equation.
fn scales(p: &NlseParams) -> (f64, f64) {
    ((p.beta / p.gamma).abs().sqrt(), p.beta)
}

/// The normalised bright soliton `η sech(η(x − x0 − vτ)) e^{i(v(x−x0) + (η² − v²)τ/2)}`
/// (Zakharov & Shabat 1972).
pub fn soliton(x: f64, tau: f64, eta: f64, v: f64, x0: f64) -> Complex64 {
    let xi = x - x0 - v * tau;
    let phase = v * (x - x0) + 0.5 * (eta * eta - v * v) * tau;
    Complex64::from_polar(eta / (eta * xi).cosh(), phase)
}

/// Breather constants `(Ω, b)` for parameter `a`: Ω = 2√(1−2a), b = √(8a(1−2a)).
pub fn breather_constants(a: f64) -> (f64, f64) {
    (
        2.0 * (1.0 - 2.0 * a).sqrt(),
        (8.0 * a * (1.0 - 2.0 * a)).sqrt(),
    )
}

/// Time offset of the breather: the run starts at τ = −`BREATHER_T0` so the maximum
/// compression happens at t = BREATHER_T0/β.
pub const BREATHER_T0: f64 = 6.0;

/// The exact Akhmediev breather of the normalised equation (Akhmediev, Eleonskii & Kulagin
/// 1987; in the form of Dudley et al. 2009, Opt. Express 17, 21497, eq. (1)):
/// `φ = [(1−4a)cosh(bτ) + √(2a)cos(Ωx) + i b sinh(bτ)] / [√(2a)cos(Ωx) − cosh(bτ)] · e^{iτ}`.
pub fn akhmediev(x: f64, tau: f64, a: f64) -> Complex64 {
    let (omega, b) = breather_constants(a);
    let c = (2.0 * a).sqrt() * (omega * x).cos();
    let num = Complex64::new((1.0 - 4.0 * a) * (b * tau).cosh() + c, b * (b * tau).sinh());
    let den = c - (b * tau).cosh();
    num / den * Complex64::from_polar(1.0, tau)
}

/// Wavenumber of fastest modulation-instability growth, `K = √(2γ/β)·A`.
pub fn mi_peak_wavenumber(p: &NlseParams) -> f64 {
    (2.0 * p.gamma / p.beta).abs().sqrt() * p.background
}

/// Linear MI gain (growth rate of the perturbation amplitude) of the plane wave A·e^{iγA²t}:
/// `g(K) = |K| √(βγA² − β²K²/4)` where real, else 0 (Agrawal, Nonlinear Fiber Optics, §5.1).
pub fn mi_gain(p: &NlseParams, k: f64) -> f64 {
    let a2 = p.background * p.background;
    let inner = p.beta * p.gamma * a2 - p.beta * p.beta * k * k / 4.0;
    if inner > 0.0 {
        k.abs() * inner.sqrt()
    } else {
        0.0
    }
}

/// Domain length actually used: scenarios with a built-in period fix it.
pub fn domain_length(p: &NlseParams) -> f64 {
    match p.case {
        NlseCase::Breather => {
            let (omega, _) = breather_constants(p.breather_a);
            // Two breather periods in space.
            2.0 * std::f64::consts::TAU / omega
        }
        // Eight periods of the fastest-growing sideband, so it sits exactly on the grid.
        NlseCase::ModulationInstability => 8.0 * std::f64::consts::TAU / mi_peak_wavenumber(p),
        _ => p.length,
    }
}

/// The colliding solitons `(η, v, x0)`: the first starts left moving right.
pub fn collision_solitons(p: &NlseParams) -> [(f64, f64, f64); 2] {
    let half = p.separation / 2.0;
    [
        (p.amplitude, p.velocity.abs().max(1e-3), -half),
        (p.amplitude2, -p.velocity.abs().max(1e-3), half),
    ]
}

/// Analytic position shifts `(Δx1, Δx2)` of the two solitons after a complete collision,
/// in the direction of their motion (both positive: each is pushed forward).
/// From the inverse scattering transform (Zakharov & Shabat 1973): with eigenvalues
/// ζ_j = (−v_j + iη_j)/2, `Δx_j = (1/η_j) ln(|ζ1 − ζ2*|² / |ζ1 − ζ2|²)`, i.e.
/// `(1/η_j) ln[((v1−v2)² + (η1+η2)²) / ((v1−v2)² + (η1−η2)²)]`, in normalised units; the
/// shifts scale with nothing else since x is not rescaled.
pub fn collision_shifts(p: &NlseParams) -> (f64, f64) {
    let [(e1, v1, _), (e2, v2, _)] = collision_solitons(p);
    let dv2 = (v1 - v2).powi(2);
    let ratio = (dv2 + (e1 + e2).powi(2)) / (dv2 + (e1 - e2).powi(2));
    (ratio.ln() / e1, ratio.ln() / e2)
}

/// The soliton velocity in x per unit t (normalised velocity times β).
pub fn lab_velocity(p: &NlseParams, v: f64) -> f64 {
    v * p.beta
}

/// The exact solution at time t, where the scenario has one.
pub fn exact(p: &NlseParams, x: f64, t: f64) -> Option<Complex64> {
    let (amp, time_scale) = scales(p);
    let tau = time_scale * t;
    match p.case {
        NlseCase::Soliton => Some(amp * soliton(x, tau, p.amplitude, p.velocity, 0.0)),
        NlseCase::Breather => Some(amp * akhmediev(x, tau - BREATHER_T0, p.breather_a)),
        _ => None,
    }
}

/// Whether the scenario has an exact solution to compare against.
pub fn has_exact(case: NlseCase) -> bool {
    matches!(case, NlseCase::Soliton | NlseCase::Breather)
}

/// The initial state ψ(x_j, 0) on the grid `x_j = −L/2 + jL/N`.
pub fn initial_state(p: &NlseParams, xs: &[f64]) -> Vec<Complex64> {
    let (amp, _) = scales(p);
    match p.case {
        NlseCase::Soliton | NlseCase::Breather => xs
            .iter()
            .map(|&x| exact(p, x, 0.0).unwrap_or_default())
            .collect(),
        NlseCase::TwoSoliton => {
            let sol = collision_solitons(p);
            xs.iter()
                .map(|&x| {
                    sol.iter()
                        .map(|&(eta, v, x0)| amp * soliton(x, 0.0, eta, v, x0))
                        .sum()
                })
                .collect()
        }
        NlseCase::ModulationInstability => {
            let mut rng = SeededRng::new(p.seed);
            xs.iter()
                .map(|_| {
                    let noise = Complex64::new(rng.normal(), rng.normal())
                        * (p.noise / std::f64::consts::SQRT_2);
                    p.background * (Complex64::new(1.0, 0.0) + noise)
                })
                .collect()
        }
        NlseCase::Gaussian => xs
            .iter()
            .map(|&x| Complex64::new(p.amplitude * (-x * x / 2.0).exp(), 0.0))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Residual of iφ_τ + ½φ_xx + |φ|²φ by centred differences; must vanish for exact forms.
    fn residual(f: impl Fn(f64, f64) -> Complex64, x: f64, tau: f64) -> f64 {
        let (hx, ht) = (1e-3, 1e-4);
        let phi = f(x, tau);
        let phi_t = (f(x, tau + ht) - f(x, tau - ht)) / (2.0 * ht);
        let phi_xx = (f(x + hx, tau) - 2.0 * phi + f(x - hx, tau)) / (hx * hx);
        (Complex64::new(0.0, 1.0) * phi_t + 0.5 * phi_xx + phi.norm_sqr() * phi).norm()
    }

    #[test]
    fn closed_forms_solve_the_equation() {
        for &(x, tau) in &[(0.3, 0.2), (-1.1, 1.5), (2.0, -0.7)] {
            let r = residual(|x, t| soliton(x, t, 1.3, 0.7, 0.1), x, tau);
            assert!(r < 1e-5, "soliton residual {r}");
            let r = residual(|x, t| akhmediev(x, t, 0.3), x, tau);
            assert!(r < 1e-5, "breather residual {r}");
        }
    }

    #[test]
    fn breather_background_has_unit_amplitude_and_known_peak() {
        // |φ| → 1 as τ → ±∞ and the peak at (0, 0) is 1 + 2√(2a) (Dudley et al. 2009).
        assert!((akhmediev(0.4, -30.0, 0.25).norm() - 1.0).abs() < 1e-9);
        let peak = akhmediev(0.0, 0.0, 0.25).norm();
        assert!((peak - (1.0 + 2.0 * 0.5f64.sqrt())).abs() < 1e-12, "{peak}");
    }

    #[test]
    fn mi_gain_peaks_at_gamma_a_squared() {
        let p = NlseParams {
            background: 1.3,
            gamma: 0.7,
            beta: 1.2,
            ..NlseParams::default()
        };
        let k = mi_peak_wavenumber(&p);
        let g = mi_gain(&p, k);
        assert!((g - p.gamma * 1.3 * 1.3).abs() < 1e-12, "{g}");
        assert!(mi_gain(&p, 1.01 * k) < g && mi_gain(&p, 0.99 * k) < g);
    }
}

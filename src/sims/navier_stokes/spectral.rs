//! The pseudo-spectral vorticity form of the 2D Navier–Stokes equations on the periodic box
//! [0, 2π)²:
//!
//! `∂ω/∂t + u·∇ω = ν∇²ω − αω + curl f`,  `u = (∂ψ/∂y, −∂ψ/∂x)`,  `∇²ψ = −ω`,
//!
//! with ω in Fourier space, the product `u·∇ω` formed on the grid and dealiased by the 2/3
//! rule (Orszag 1971: modes with |k_x| or |k_y| above n/3 are dropped), so the semi-discrete
//! system conserves energy and enstrophy exactly when ν = α = f = 0. Time: classical RK4 on
//! the whole right-hand side, or the integrating-factor RK4 that treats the stiff diagonal
//! `−νk² − α` exactly (the interaction-picture stepper of the shared core, as for the NLSE;
//! Canuto, Hussaini, Quarteroni & Zang, "Spectral Methods", 2006, §4.4). Forcing: Kolmogorov
//! flow `f = (F sin(k_f y), 0)` (Meshalkin & Sinai 1961), whose laminar state
//! `u = F/(νk_f²) sin(k_f y)` is exact.

use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};
use serde::{Deserialize, Serialize};
use std::f64::consts::TAU;
use std::sync::Arc;

use crate::core::elem::ErrorNorm;
use crate::core::ip::{InteractionPictureRk, SemilinearSystem};
use crate::core::rk::{ExplicitRk, OdeSystem, Tolerances};
use crate::core::tableau::RK4;

/// Side of the periodic box.
pub const BOX: f64 = TAU;

/// The 2D FFT of an n × n row-major grid: rows, then columns through a transpose.
#[derive(Clone)]
pub struct Fft2 {
    n: usize,
    forward: Arc<dyn Fft<f64>>,
    inverse: Arc<dyn Fft<f64>>,
    scratch: Vec<Complex64>,
    /// A panel of columns as contiguous rows.
    panel: Vec<Complex64>,
}

impl Fft2 {
    /// Plans for n × n.
    pub fn new(n: usize) -> Fft2 {
        let mut planner = FftPlanner::new();
        let forward = planner.plan_fft_forward(n);
        let inverse = planner.plan_fft_inverse(n);
        let scratch_len = forward
            .get_inplace_scratch_len()
            .max(inverse.get_inplace_scratch_len());
        Fft2 {
            n,
            forward,
            inverse,
            scratch: vec![Complex64::default(); scratch_len],
            panel: vec![Complex64::default(); PANEL.min(n) * n],
        }
    }

    /// The 1D transforms of every column, a panel of columns at a time: the panel is gathered
    /// into contiguous rows, transformed, and scattered back. (A whole-matrix transpose before
    /// and after walked the grid with a stride of n and was most of a step's time.)
    fn columns(&mut self, data: &mut [Complex64], inverse: bool) {
        let n = self.n;
        let fft = if inverse {
            &self.inverse
        } else {
            &self.forward
        };
        for first in (0..n).step_by(PANEL) {
            let width = PANEL.min(n - first);
            let panel = &mut self.panel[..width * n];
            for (r, row) in data.chunks_exact(n).enumerate() {
                for (c, value) in row[first..first + width].iter().enumerate() {
                    panel[c * n + r] = *value;
                }
            }
            fft.process_with_scratch(panel, &mut self.scratch);
            for (r, row) in data.chunks_exact_mut(n).enumerate() {
                for (c, value) in row[first..first + width].iter_mut().enumerate() {
                    *value = panel[c * n + r];
                }
            }
        }
    }

    /// Unnormalised forward transform, in place.
    pub fn forward(&mut self, data: &mut [Complex64]) {
        assert_eq!(data.len(), self.n * self.n);
        self.forward.process_with_scratch(data, &mut self.scratch);
        self.columns(data, false);
    }

    /// Inverse transform normalised by 1/n², in place.
    pub fn inverse(&mut self, data: &mut [Complex64]) {
        assert_eq!(data.len(), self.n * self.n);
        self.inverse.process_with_scratch(data, &mut self.scratch);
        self.columns(data, true);
        let scale = 1.0 / (self.n * self.n) as f64;
        data.iter_mut().for_each(|c| *c *= scale);
    }
}

/// Columns per panel of [`Fft2::columns`]: 4 columns of 256 complex values are 16 KiB, half an
/// L1 data cache (measured at 256²: 2, 4, 8 and 16 columns gave 5.8, 4.4, 5.0 and 7.0 ms per
/// RK4 step).
const PANEL: usize = 4;

/// The transform of `u + i v` (two real fields in one complex array): ψ̂ (k_x + i k_y),
/// ψ̂ = ω̂/k², on the wavenumbers `kx`, `ky` with `inverse_k2` = 1/k².
fn velocity_hat(
    kx: &[f64],
    ky: &[f64],
    inverse_k2: &[f64],
    omega_hat: &[Complex64],
    out: &mut [Complex64],
) {
    for (k, (o, w)) in out.iter_mut().zip(omega_hat).enumerate() {
        *o = w * inverse_k2[k] * Complex64::new(kx[k], ky[k]);
    }
}

/// The signed integer wavenumber of FFT index `i` on n points (the Nyquist index counts as
/// −n/2).
pub fn wavenumber(i: usize, n: usize) -> f64 {
    if i < n / 2 {
        i as f64
    } else {
        i as f64 - n as f64
    }
}

/// Physical parameters of the vorticity equation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct VorticityParams {
    /// Kinematic viscosity ν.
    pub nu: f64,
    /// Linear (Rayleigh) drag α.
    pub drag: f64,
    /// Kolmogorov forcing amplitude F (0: unforced).
    pub forcing: f64,
    /// Kolmogorov forcing wavenumber k_f.
    pub forcing_wavenumber: u32,
}

/// The spectral vorticity equation on an n × n grid: the system the steppers integrate.
pub struct VorticityEquation {
    n: usize,
    params: VorticityParams,
    kx: Vec<f64>,
    ky: Vec<f64>,
    /// 1/|k|² (0 at k = 0).
    inverse_k2: Vec<f64>,
    /// Modes kept by the 2/3 rule.
    kept: Vec<bool>,
    /// `−νk² − α` (the diagonal linear operator).
    symbol: Vec<Complex64>,
    /// `curl f` in Fourier space.
    forcing_hat: Vec<Complex64>,
    fft: Fft2,
    a: Vec<Complex64>,
    b: Vec<Complex64>,
}

impl VorticityEquation {
    /// The equation on n × n points (n even, ≥ 8).
    pub fn new(n: usize, params: VorticityParams) -> Result<VorticityEquation, String> {
        if n < 8 || !n.is_multiple_of(2) {
            return Err(format!("the spectral grid needs an even n ≥ 8, got {n}"));
        }
        let mut eq = VorticityEquation {
            n,
            params,
            kx: (0..n * n).map(|k| wavenumber(k % n, n)).collect(),
            ky: (0..n * n).map(|k| wavenumber(k / n, n)).collect(),
            inverse_k2: Vec::new(),
            kept: Vec::new(),
            symbol: Vec::new(),
            forcing_hat: Vec::new(),
            fft: Fft2::new(n),
            a: vec![Complex64::default(); n * n],
            b: vec![Complex64::default(); n * n],
        };
        let cutoff = n as f64 / 3.0;
        eq.kept = (0..n * n)
            .map(|k| eq.kx[k].abs() < cutoff && eq.ky[k].abs() < cutoff)
            .collect();
        eq.inverse_k2 = (0..n * n)
            .map(|k| {
                let k2 = eq.kx[k] * eq.kx[k] + eq.ky[k] * eq.ky[k];
                if k2 > 0.0 { 1.0 / k2 } else { 0.0 }
            })
            .collect();
        eq.set_params(params)?;
        Ok(eq)
    }

    /// Points per side.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The parameters.
    pub fn params(&self) -> VorticityParams {
        self.params
    }

    /// Changes ν, α or the forcing (live edits); steppers must be invalidated.
    pub fn set_params(&mut self, params: VorticityParams) -> Result<(), String> {
        for (name, value) in [
            ("viscosity", params.nu),
            ("drag", params.drag),
            ("forcing", params.forcing),
        ] {
            if !value.is_finite() {
                return Err(format!("the {name} is not a number"));
            }
        }
        if params.nu < 0.0 || params.drag < 0.0 {
            return Err("viscosity and drag cannot be negative".into());
        }
        let kf = params.forcing_wavenumber as f64;
        if params.forcing != 0.0 && !(1.0..self.n as f64 / 3.0).contains(&kf) {
            return Err(format!(
                "the forcing wavenumber must be between 1 and n/3 = {}, got {kf}",
                self.n / 3
            ));
        }
        self.params = params;
        let n = self.n;
        self.symbol = (0..n * n)
            .map(|k| {
                let k2 = self.kx[k] * self.kx[k] + self.ky[k] * self.ky[k];
                Complex64::new(-params.nu * k2 - params.drag, 0.0)
            })
            .collect();
        // curl (F sin(k_f y), 0) = −F k_f cos(k_f y): modes (0, ±k_f), each n²/2 of the
        // unnormalised transform.
        self.forcing_hat = vec![Complex64::default(); n * n];
        if params.forcing != 0.0 {
            let value = Complex64::new(-params.forcing * kf * (n * n) as f64 / 2.0, 0.0);
            let kf_index = params.forcing_wavenumber as usize;
            self.forcing_hat[n * kf_index] = value;
            self.forcing_hat[n * (n - kf_index)] = value;
        }
        Ok(())
    }

    /// Fourier coefficients of a physical field, truncated by the 2/3 rule.
    pub fn to_spectral(&mut self, field: &[f64]) -> Vec<Complex64> {
        let mut data: Vec<Complex64> = field.iter().map(|x| Complex64::new(*x, 0.0)).collect();
        self.fft.forward(&mut data);
        for (c, kept) in data.iter_mut().zip(&self.kept) {
            if !kept {
                *c = Complex64::default();
            }
        }
        data
    }

    /// The vorticity on the grid.
    pub fn vorticity(&mut self, omega_hat: &[Complex64]) -> Vec<f64> {
        let mut data = omega_hat.to_vec();
        self.fft.inverse(&mut data);
        data.iter().map(|c| c.re).collect()
    }

    /// The velocity (u, v) on the grid.
    pub fn velocity(&mut self, omega_hat: &[Complex64]) -> (Vec<f64>, Vec<f64>) {
        let mut data = vec![Complex64::default(); omega_hat.len()];
        velocity_hat(&self.kx, &self.ky, &self.inverse_k2, omega_hat, &mut data);
        self.fft.inverse(&mut data);
        (
            data.iter().map(|c| c.re).collect(),
            data.iter().map(|c| c.im).collect(),
        )
    }

    /// `(max |u|, max |v|)` on the grid, through the equation's own buffer (the time step
    /// asks for it before every step; nothing is allocated).
    pub fn max_speeds(&mut self, omega_hat: &[Complex64]) -> (f64, f64) {
        velocity_hat(&self.kx, &self.ky, &self.inverse_k2, omega_hat, &mut self.a);
        self.fft.inverse(&mut self.a);
        self.a.iter().fold((0.0f64, 0.0f64), |(u, v), c| {
            (u.max(c.re.abs()), v.max(c.im.abs()))
        })
    }

    /// `½ ∫ |u|² dA` over the box.
    pub fn energy(&self, omega_hat: &[Complex64]) -> f64 {
        let norm = BOX * BOX / (self.n as f64).powi(4);
        0.5 * norm
            * omega_hat
                .iter()
                .zip(&self.inverse_k2)
                .map(|(c, ik2)| c.norm_sqr() * ik2)
                .sum::<f64>()
    }

    /// `½ ∫ ω² dA` over the box.
    pub fn enstrophy(&self, omega_hat: &[Complex64]) -> f64 {
        let norm = BOX * BOX / (self.n as f64).powi(4);
        0.5 * norm * omega_hat.iter().map(|c| c.norm_sqr()).sum::<f64>()
    }

    /// The shell-summed energy spectrum E(k), k = 0, 1, …, ⌊n/3⌋ (shells of width 1 around
    /// integer |k|), summing to [`Self::energy`].
    pub fn energy_spectrum(&self, omega_hat: &[Complex64]) -> Vec<f64> {
        let shells = self.n / 3 + 2;
        let mut spectrum = vec![0.0; shells];
        let norm = 0.5 * BOX * BOX / (self.n as f64).powi(4);
        for (k, c) in omega_hat.iter().enumerate() {
            let magnitude = (self.kx[k] * self.kx[k] + self.ky[k] * self.ky[k]).sqrt();
            let shell = (magnitude.round() as usize).min(shells - 1);
            spectrum[shell] += norm * c.norm_sqr() * self.inverse_k2[k];
        }
        spectrum
    }

    /// `N(ω̂) = −FFT(u·∇ω)` dealiased, plus the forcing, into `data` (which holds ω̂).
    fn advection_and_forcing(&mut self, data: &mut [Complex64]) {
        // Two real fields per complex transform: a = u + i v, b = ∂xω + i ∂yω.
        velocity_hat(&self.kx, &self.ky, &self.inverse_k2, data, &mut self.a);
        for (k, &w) in data.iter().enumerate() {
            self.b[k] = w * Complex64::new(-self.ky[k], self.kx[k]);
        }
        self.fft.inverse(&mut self.a);
        self.fft.inverse(&mut self.b);
        for ((d, a), b) in data.iter_mut().zip(&self.a).zip(&self.b) {
            *d = Complex64::new(-(a.re * b.re + a.im * b.im), 0.0);
        }
        self.fft.forward(data);
        for ((c, kept), f) in data.iter_mut().zip(&self.kept).zip(&self.forcing_hat) {
            *c = if *kept { *c + f } else { Complex64::default() };
        }
    }
}

impl SemilinearSystem for VorticityEquation {
    fn linear_symbol(&self) -> &[Complex64] {
        &self.symbol
    }

    fn nonlinear_in_place(&mut self, _t: f64, data: &mut [Complex64]) {
        self.advection_and_forcing(data);
    }
}

impl OdeSystem<Complex64> for VorticityEquation {
    fn rhs(&mut self, _t: f64, y: &[Complex64], dydt: &mut [Complex64]) {
        dydt.copy_from_slice(y);
        self.advection_and_forcing(dydt);
        for ((d, l), w) in dydt.iter_mut().zip(&self.symbol).zip(y) {
            *d += l * w;
        }
    }
}

/// The spectral time steppers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpectralScheme {
    /// Classical RK4 on the whole right-hand side (viscous limit Δt ≲ 2.8/(νk²_max)).
    Rk4,
    /// Integrating-factor RK4: the diagonal `−νk² − α` exactly, RK4 on the rest.
    IntegratingFactorRk4,
}

/// A stepper for the spectral vorticity equation.
pub struct SpectralStepper {
    method: SpectralMethod,
    /// The state after the step, before it is checked and swapped in (kept: a step allocates
    /// nothing).
    next: Vec<Complex64>,
}

enum SpectralMethod {
    /// RK4.
    Rk4(ExplicitRk<Complex64>),
    /// Integrating-factor RK4.
    IntegratingFactor(Box<InteractionPictureRk>),
}

impl SpectralStepper {
    /// A stepper of `scheme` for n × n states.
    pub fn new(scheme: SpectralScheme, n: usize) -> SpectralStepper {
        let method = match scheme {
            SpectralScheme::Rk4 => SpectralMethod::Rk4(ExplicitRk::new(&RK4, n * n)),
            SpectralScheme::IntegratingFactorRk4 => {
                SpectralMethod::IntegratingFactor(Box::new(InteractionPictureRk::new(&RK4, n * n)))
            }
        };
        SpectralStepper {
            method,
            next: vec![Complex64::default(); n * n],
        }
    }

    /// Forget cached stages (the parameters or the state changed from outside).
    pub fn invalidate(&mut self) {
        match &mut self.method {
            SpectralMethod::Rk4(s) => s.invalidate(),
            SpectralMethod::IntegratingFactor(s) => s.invalidate(),
        }
    }

    /// Advances `omega_hat` by `dt`.
    pub fn step(
        &mut self,
        equation: &mut VorticityEquation,
        t: f64,
        dt: f64,
        omega_hat: &mut Vec<Complex64>,
    ) -> Result<(), String> {
        let tol = Tolerances {
            rtol: 1.0,
            atol: 1.0,
            norm: ErrorNorm::GlobalRelativeL2,
        };
        let next = &mut self.next;
        next.resize(omega_hat.len(), Complex64::default());
        match &mut self.method {
            SpectralMethod::Rk4(s) => {
                s.step(equation, t, dt, omega_hat, next, &tol);
                s.accepted(t + dt);
            }
            SpectralMethod::IntegratingFactor(s) => {
                s.step(equation, t, dt, omega_hat, next, &tol);
                s.accepted(t + dt);
            }
        }
        if !next.iter().all(|c| c.re.is_finite() && c.im.is_finite()) {
            return Err(
                "the flow diverged (the vorticity is no longer finite): lower the time step".into(),
            );
        }
        std::mem::swap(omega_hat, next);
        Ok(())
    }
}

/// The time step of the spectral solver at Courant number `cfl` and its advective limit
/// `(Δt, cfl · (2π/n) / max(|u| + |v|))`: Δt is the advective limit or, for explicit RK4,
/// `2.78/(2νk²_max + α)` (the real-axis stability limit of RK4) if smaller; the integrating
/// factor treats the linear part exactly.
pub fn spectral_step_limit(
    equation: &mut VorticityEquation,
    omega_hat: &[Complex64],
    cfl: f64,
    scheme: SpectralScheme,
) -> (f64, f64) {
    let (max_u, max_v) = equation.max_speeds(omega_hat);
    let h = BOX / equation.n as f64;
    // A body force F can accelerate the fluid from rest within the step: the speed bound
    // max|u| + √(5 h F) of Bridson ("Fluid Simulation for Computer Graphics", 2nd ed., §3.3).
    let speed = max_u + max_v + (5.0 * h * equation.params.forcing.abs()).sqrt();
    let advective = cfl * h / if speed > 0.0 { speed } else { 1.0 };
    let dt = match scheme {
        SpectralScheme::IntegratingFactorRk4 => advective,
        SpectralScheme::Rk4 => {
            let k_max = equation.n as f64 / 3.0;
            let stiff = 2.0 * equation.params.nu * k_max * k_max + equation.params.drag;
            if stiff > 0.0 {
                advective.min(2.78 / stiff)
            } else {
                advective
            }
        }
    };
    (dt, advective)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(nu: f64) -> VorticityParams {
        VorticityParams {
            nu,
            drag: 0.0,
            forcing: 0.0,
            forcing_wavenumber: 4,
        }
    }

    fn grid_points(n: usize) -> impl Iterator<Item = (f64, f64)> {
        let h = BOX / n as f64;
        (0..n * n).map(move |k| ((k % n) as f64 * h, (k / n) as f64 * h))
    }

    /// A smooth multi-mode vorticity field.
    fn smooth_field(n: usize) -> Vec<f64> {
        grid_points(n)
            .map(|(x, y)| {
                (x + 0.3).sin() * (2.0 * y).cos()
                    + 0.5 * (3.0 * x - y + 1.0).cos()
                    + 0.3 * (2.0 * x + 4.0 * y).sin()
            })
            .collect()
    }

    #[test]
    fn taylor_green_decays_exactly() {
        let n = 32;
        for scheme in [SpectralScheme::Rk4, SpectralScheme::IntegratingFactorRk4] {
            let nu = 0.1;
            let mut eq = VorticityEquation::new(n, params(nu)).expect("eq");
            let field: Vec<f64> = grid_points(n)
                .map(|(x, y)| 2.0 * x.sin() * y.sin())
                .collect();
            let mut w = eq.to_spectral(&field);
            let mut stepper = SpectralStepper::new(scheme, n);
            let dt = 0.01;
            for s in 0..100 {
                stepper
                    .step(&mut eq, s as f64 * dt, dt, &mut w)
                    .expect("steps");
            }
            let (u, _) = eq.velocity(&w);
            let decay = (-2.0 * nu * 1.0f64).exp();
            let error = grid_points(n)
                .zip(&u)
                .map(|((x, y), u)| (u - x.sin() * y.cos() * decay).abs())
                .fold(0.0, f64::max);
            // RK4's error in e^{−2νΔt} is (2νΔt)⁵/120 per step; the integrating factor is exact.
            assert!(error < 1e-11, "{scheme:?}: {error:e}");
            let energy = eq.energy(&w);
            // ½ ∫ (sin²x cos²y + cos²x sin²y) = ½ · 2 · π² per unit amplitude².
            assert!((energy - BOX * BOX / 4.0 * decay * decay).abs() < 1e-9);
        }
    }

    #[test]
    fn kolmogorov_flow_follows_its_exact_spin_up() {
        // From rest, u(y, t) = F/(νk_f²)(1 − e^{−νk_f² t}) sin(k_f y): the advection of a
        // parallel shear flow vanishes, so this is exact for the full nonlinear equation.
        let n = 32;
        let p = VorticityParams {
            nu: 0.05,
            drag: 0.0,
            forcing: 1.0,
            forcing_wavenumber: 4,
        };
        for scheme in [SpectralScheme::Rk4, SpectralScheme::IntegratingFactorRk4] {
            let mut eq = VorticityEquation::new(n, p).expect("eq");
            let mut w = vec![Complex64::default(); n * n];
            let mut stepper = SpectralStepper::new(scheme, n);
            let (dt, steps) = (0.01, 200);
            for s in 0..steps {
                stepper
                    .step(&mut eq, s as f64 * dt, dt, &mut w)
                    .expect("steps");
            }
            let t = dt * steps as f64;
            let rate = p.nu * 16.0;
            let amplitude = p.forcing / rate * (1.0 - (-rate * t).exp());
            let (u, v) = eq.velocity(&w);
            let error = grid_points(n)
                .zip(u.iter().zip(&v))
                .map(|((_, y), (u, v))| (u - amplitude * (4.0 * y).sin()).abs().max(v.abs()))
                .fold(0.0, f64::max);
            assert!(error < 1e-9, "{scheme:?}: {error:e}");
        }
    }

    #[test]
    fn inviscid_flow_conserves_energy_and_enstrophy() {
        let n = 32;
        let mut eq = VorticityEquation::new(n, params(0.0)).expect("eq");
        let mut w = eq.to_spectral(&smooth_field(n));
        let (e0, z0) = (eq.energy(&w), eq.enstrophy(&w));
        let mut stepper = SpectralStepper::new(SpectralScheme::Rk4, n);
        for s in 0..400 {
            stepper
                .step(&mut eq, s as f64 * 0.005, 0.005, &mut w)
                .expect("steps");
        }
        let (de, dz) = (eq.energy(&w) / e0 - 1.0, eq.enstrophy(&w) / z0 - 1.0);
        println!("inviscid t = 2: energy drift {de:.2e}, enstrophy drift {dz:.2e}");
        assert!(de.abs() < 1e-9 && dz.abs() < 1e-8, "{de:e} {dz:e}");
        // The flow did evolve: the field is no longer the initial one.
        let moved = eq.to_spectral(&smooth_field(n));
        let change: f64 = w.iter().zip(&moved).map(|(a, b)| (a - b).norm()).sum();
        assert!(change > 1.0, "{change}");
    }

    #[test]
    fn both_steppers_converge_at_fourth_order() {
        let n = 32;
        let t_end = 1.0;
        let run = |scheme, steps: usize| {
            let mut eq = VorticityEquation::new(n, params(0.02)).expect("eq");
            let mut w = eq.to_spectral(&smooth_field(n));
            let mut stepper = SpectralStepper::new(scheme, n);
            let dt = t_end / steps as f64;
            for s in 0..steps {
                stepper
                    .step(&mut eq, s as f64 * dt, dt, &mut w)
                    .expect("steps");
            }
            w
        };
        for scheme in [SpectralScheme::Rk4, SpectralScheme::IntegratingFactorRk4] {
            let reference = run(scheme, 800);
            let errors: Vec<f64> = [25, 50, 100]
                .iter()
                .map(|steps| {
                    run(scheme, *steps)
                        .iter()
                        .zip(&reference)
                        .map(|(a, b)| (a - b).norm())
                        .fold(0.0, f64::max)
                })
                .collect();
            let orders: Vec<f64> = errors.windows(2).map(|w| (w[0] / w[1]).log2()).collect();
            println!("{scheme:?}: errors {errors:?}, orders {orders:.2?}");
            assert!(
                orders.iter().all(|o| (o - 4.0).abs() < 0.3),
                "{scheme:?}: {errors:?} {orders:?}"
            );
        }
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(VorticityEquation::new(7, params(0.1)).is_err());
        assert!(VorticityEquation::new(32, params(-1.0)).is_err());
        assert!(VorticityEquation::new(32, params(f64::NAN)).is_err());
        let forced = VorticityParams {
            forcing: 1.0,
            forcing_wavenumber: 20,
            ..params(0.1)
        };
        assert!(VorticityEquation::new(32, forced).is_err());
    }
}

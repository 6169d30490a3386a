//! The scenarios' geometry, boundaries, obstacles, forcing, initial flows and exact or
//! published references, for both the MAC and the spectral solver (which start from the same
//! flow: a random field is drawn once, as a streamfunction, and each solver discretises it).

use rustfft::num_complex::Complex64;
use std::f64::consts::TAU;

use super::mac::{Axis, MacGrid, Side, Velocity, VelocityFn};

/// A velocity component given in closed form.
type AnalyticField = fn(f64, f64) -> f64;
use super::spectral::{Fft2, VorticityParams, wavenumber};
use super::{NsCase, NsParams};
use crate::core::rng::SeededRng;

/// The velocity scale U of a scenario (the lid, inflow or initial peak speed).
pub fn velocity_scale(_case: NsCase) -> f64 {
    1.0
}

/// The length scale L of a scenario's Reynolds number: the cavity side, the cylinder
/// diameter, the channel height, 1 in the 2π-periodic box.
pub fn length_scale(_case: NsCase) -> f64 {
    1.0
}

/// The domain `(width, height)`.
pub fn domain(case: NsCase) -> (f64, f64) {
    match case {
        NsCase::Cavity => (1.0, 1.0),
        NsCase::Cylinder => (CYLINDER_LENGTH, CYLINDER_LENGTH / 2.0),
        NsCase::Channel => (4.0, 1.0),
        _ => (TAU, TAU),
    }
}

/// Channel length of the cylinder scenario in diameters (height: half of it).
pub const CYLINDER_LENGTH: f64 = 16.0;
/// Centre of the cylinder.
pub const CYLINDER_CENTRE: (f64, f64) = (4.0, 4.0);
/// Where the cylinder's wake is probed for the shedding frequency: 3 diameters downstream.
pub const WAKE_PROBE: (f64, f64) = (7.0, 4.0);
/// Kolmogorov forcing wavenumber and amplitude: `f = (F sin(k_f y), 0)`.
pub const KOLMOGOROV_WAVENUMBER: u32 = 4;
/// Kolmogorov forcing amplitude F.
pub const KOLMOGOROV_FORCING: f64 = 1.0;
/// Peak wavenumber of the random initial turbulence.
pub const TURBULENCE_PEAK: f64 = 6.0;
/// Where the channel's profile is compared with Poiseuille's.
pub const CHANNEL_PROBE_X: f64 = 3.5;

/// Strouhal number of the laminar vortex street of an unconfined cylinder,
/// `St = 0.2684 − 1.0356/√Re` for 47 < Re < 180 (Fey, König & Eckelmann, Phys. Fluids 10,
/// 1547, 1998; 0.164 at Re = 100, Williamson's measurements).
pub fn strouhal_reference(reynolds: f64) -> Option<f64> {
    (47.0..=180.0)
        .contains(&reynolds)
        .then(|| 0.2684 - 1.0356 / reynolds.sqrt())
}

/// The spectral solver's physical parameters for a scenario.
pub fn vorticity_params(p: &NsParams) -> VorticityParams {
    VorticityParams {
        nu: p.viscosity(),
        drag: 0.0,
        forcing: if p.case == NsCase::Kolmogorov {
            KOLMOGOROV_FORCING
        } else {
            0.0
        },
        forcing_wavenumber: KOLMOGOROV_WAVENUMBER,
    }
}

/// The obstacle cells of a scenario on `nx × ny` (the cylinder) merged with the painted mask.
pub fn obstacles(p: &NsParams, nx: usize, ny: usize) -> Vec<bool> {
    let (width, _) = domain(p.case);
    let h = width / nx as f64;
    let mut solid = vec![false; nx * ny];
    if p.case == NsCase::Cylinder {
        for (k, cell) in solid.iter_mut().enumerate() {
            let x = ((k % nx) as f64 + 0.5) * h;
            let y = ((k / nx) as f64 + 0.5) * h;
            *cell = (x - CYLINDER_CENTRE.0).hypot(y - CYLINDER_CENTRE.1) < 0.5;
        }
    }
    if let Some(mask) = &p.mask {
        for (cell, painted) in solid.iter_mut().zip(&mask.resampled(nx, ny).solid) {
            *cell |= painted;
        }
    }
    solid
}

/// The MAC grid of a scenario: boundaries, obstacles, forcing.
pub fn mac_grid(p: &NsParams) -> Result<MacGrid, String> {
    let (nx, ny) = p.cells();
    let (width, _) = domain(p.case);
    let h = width / nx as f64;
    let (x, y) = match p.case {
        NsCase::Cavity => (
            Axis::WALLS,
            Axis::Bounded {
                low: Side::WALL,
                high: Side::NoSlip {
                    slide: velocity_scale(p.case),
                },
            },
        ),
        NsCase::Cylinder => (
            Axis::Bounded {
                low: Side::Inflow {
                    speed: velocity_scale(p.case),
                },
                high: Side::Outflow,
            },
            Axis::Bounded {
                low: Side::FreeSlip,
                high: Side::FreeSlip,
            },
        ),
        NsCase::Channel => (
            Axis::Bounded {
                low: Side::Inflow {
                    speed: velocity_scale(p.case),
                },
                high: Side::Outflow,
            },
            Axis::WALLS,
        ),
        _ => (Axis::Periodic, Axis::Periodic),
    };
    let mut grid = MacGrid::new(nx, ny, h, x, y)?;
    let solid = obstacles(p, nx, ny);
    if solid.iter().any(|s| *s) {
        grid.set_solid(&solid)?;
    }
    if p.case == NsCase::Kolmogorov {
        let kf = KOLMOGOROV_WAVENUMBER as f64;
        grid.set_body_force(Some((
            &move |_, y: f64| KOLMOGOROV_FORCING * (kf * y).sin(),
            &|_, _| 0.0,
        )));
    }
    Ok(grid)
}

/// The analytic initial velocity of the scenarios that have one.
fn analytic_velocity(case: NsCase) -> Option<(AnalyticField, AnalyticField)> {
    match case {
        NsCase::TaylorGreen => Some((|x, y| x.sin() * y.cos(), |x, y| -x.cos() * y.sin())),
        // Bell, Colella & Glaz (1989) on the unit box, ρ = 30, δ = 0.05, scaled to [0, 2π)².
        NsCase::KelvinHelmholtz => Some((
            |_, y| {
                let s = y / TAU;
                if s <= 0.5 {
                    (30.0 * (s - 0.25)).tanh()
                } else {
                    (30.0 * (0.75 - s)).tanh()
                }
            },
            |x, _| 0.05 * x.sin(),
        )),
        _ => None,
    }
}

/// The random initial vorticity (Fourier coefficients on n × n, 2/3-truncated) of the
/// turbulence and Kolmogorov scenarios: random phases, `|ω̂| ∝ k^{3/2} e^{−k²/2k₀²}` (energy
/// spectrum ∝ k² e^{−(k/k₀)²}), scaled to kinetic energy `energy` over the box.
pub fn random_vorticity(n: usize, seed: u64, k0: f64, energy: f64) -> Vec<Complex64> {
    let mut rng = SeededRng::new(seed);
    let mut hat = vec![Complex64::default(); n * n];
    let cutoff = n as f64 / 3.0;
    for (k, c) in hat.iter_mut().enumerate() {
        let (kx, ky) = (wavenumber(k % n, n), wavenumber(k / n, n));
        let magnitude = kx.hypot(ky);
        let phase = TAU * rng.uniform();
        if magnitude > 0.0 && kx.abs() < cutoff && ky.abs() < cutoff {
            *c = Complex64::from_polar(
                magnitude.powf(1.5) * (-(magnitude / k0).powi(2) / 2.0).exp(),
                phase,
            );
        }
    }
    // Keep the real part of the field (a Hermitian spectrum), then rescale the energy.
    let mut fft = Fft2::new(n);
    fft.inverse(&mut hat);
    hat.iter_mut().for_each(|c| *c = Complex64::new(c.re, 0.0));
    fft.forward(&mut hat);
    let current = spectral_energy(&hat, n);
    let scale = if current > 0.0 {
        (energy / current).sqrt()
    } else {
        0.0
    };
    hat.iter_mut().for_each(|c| *c *= scale);
    hat
}

/// `½ ∫|u|²` over the 2π box of a vorticity spectrum.
fn spectral_energy(hat: &[Complex64], n: usize) -> f64 {
    let norm = 0.5 * TAU * TAU / (n as f64).powi(4);
    hat.iter()
        .enumerate()
        .map(|(k, c)| {
            let k2 = wavenumber(k % n, n).powi(2) + wavenumber(k / n, n).powi(2);
            if k2 > 0.0 { c.norm_sqr() / k2 } else { 0.0 }
        })
        .sum::<f64>()
        * norm
}

/// The random vorticity of a scenario, if it starts from one.
fn scenario_vorticity(p: &NsParams, n: usize) -> Option<Vec<Complex64>> {
    match p.case {
        NsCase::Turbulence => Some(random_vorticity(n, p.seed, TURBULENCE_PEAK, 0.5)),
        // A small random perturbation of the fluid at rest: it decays below the critical
        // Reynolds number and grows above it.
        NsCase::Kolmogorov => Some(random_vorticity(n, p.seed, 3.0, 1e-6)),
        _ => None,
    }
}

/// The field on the n × n nodes (i h, j h) whose spectrum is `multiplier(k_x, k_y)·ω̂`.
pub fn nodes_of(
    hat: &[Complex64],
    n: usize,
    multiplier: impl Fn(f64, f64) -> Complex64,
) -> Vec<Complex64> {
    let mut field: Vec<Complex64> = hat
        .iter()
        .enumerate()
        .map(|(k, c)| c * multiplier(wavenumber(k % n, n), wavenumber(k / n, n)))
        .collect();
    Fft2::new(n).inverse(&mut field);
    field
}

/// `1/k²` (0 for the mean mode): ψ̂ = ω̂/k².
fn inverse_k2(kx: f64, ky: f64) -> f64 {
    let k2 = kx * kx + ky * ky;
    if k2 > 0.0 { 1.0 / k2 } else { 0.0 }
}

/// The streamfunction on the n × n nodes (i h, j h) of a vorticity spectrum: ψ̂ = ω̂/k².
pub fn streamfunction_at_nodes(hat: &[Complex64], n: usize) -> Vec<f64> {
    nodes_of(hat, n, |kx, ky| Complex64::new(inverse_k2(kx, ky), 0.0))
        .iter()
        .map(|c| c.re)
        .collect()
}

/// The speed |u| on the n × n nodes of a vorticity spectrum: u + iv = ψ̂ (k_x + i k_y).
pub fn speed_at_nodes(hat: &[Complex64], n: usize) -> Vec<f64> {
    nodes_of(hat, n, |kx, ky| Complex64::new(kx, ky) * inverse_k2(kx, ky))
        .iter()
        .map(|c| c.norm())
        .collect()
}

/// The face velocities `u = ∂ψ/∂y`, `v = −∂ψ/∂x` of a streamfunction given at the nodes of
/// a doubly periodic n × n grid, by differences: discretely divergence-free.
pub fn velocity_from_streamfunction(grid: &MacGrid, psi: &[f64]) -> Velocity {
    let n = grid.nx;
    let at = |i: usize, j: usize| psi[(i % n) + n * (j % n)];
    let mut vel = grid.rest();
    for j in 0..n {
        for i in 0..n {
            vel.u[i + n * j] = (at(i, j + 1) - at(i, j)) / grid.h;
            vel.v[i + n * j] = -(at(i + 1, j) - at(i, j)) / grid.h;
        }
    }
    vel
}

/// The initial velocity of a MAC run on `grid`.
pub fn initial_velocity(p: &NsParams, grid: &MacGrid) -> Velocity {
    if let Some((u, v)) = analytic_velocity(p.case) {
        return grid.sample(u, v);
    }
    if let Some(hat) = scenario_vorticity(p, grid.nx) {
        // u = ∂ψ/∂y, v = −∂ψ/∂x by differences of ψ at the nodes: discretely
        // divergence-free.
        return velocity_from_streamfunction(grid, &streamfunction_at_nodes(&hat, grid.nx));
    }
    match p.case {
        NsCase::Cylinder => {
            // Uniform stream with a small seeded cross-flow bump behind the cylinder, so the
            // symmetric wake does not wait for round-off to break its symmetry.
            let sign = if p.seed.is_multiple_of(2) { 1.0 } else { -1.0 };
            let mut vel = grid.sample(
                |_, _| 1.0,
                |x, y| {
                    sign * 0.1
                        * (-((x - CYLINDER_CENTRE.0 - 1.5).powi(2)
                            + (y - CYLINDER_CENTRE.1).powi(2)))
                        .exp()
                },
            );
            grid.apply_boundaries(&mut vel);
            vel
        }
        _ => grid.rest(),
    }
}

/// The initial vorticity spectrum of a spectral run on n × n.
pub fn initial_vorticity(p: &NsParams, n: usize) -> Vec<Complex64> {
    if let Some(hat) = scenario_vorticity(p, n) {
        return hat;
    }
    let (u, v) = analytic_velocity(p.case).unwrap_or((|_, _| 0.0, |_, _| 0.0));
    vorticity_of(n, u, v)
}

/// The 2/3-truncated vorticity spectrum of an analytic velocity sampled on the n × n nodes.
pub fn vorticity_of(
    n: usize,
    u: impl Fn(f64, f64) -> f64,
    v: impl Fn(f64, f64) -> f64,
) -> Vec<Complex64> {
    let h = TAU / n as f64;
    let mut fft = Fft2::new(n);
    let sample = |f: &dyn Fn(f64, f64) -> f64| -> Vec<Complex64> {
        (0..n * n)
            .map(|k| Complex64::new(f((k % n) as f64 * h, (k / n) as f64 * h), 0.0))
            .collect()
    };
    let (mut uh, mut vh) = (sample(&u), sample(&v));
    fft.forward(&mut uh);
    fft.forward(&mut vh);
    let cutoff = n as f64 / 3.0;
    (0..n * n)
        .map(|k| {
            let (kx, ky) = (wavenumber(k % n, n), wavenumber(k / n, n));
            if kx.abs() < cutoff && ky.abs() < cutoff {
                Complex64::new(0.0, 1.0) * (kx * vh[k] - ky * uh[k])
            } else {
                Complex64::default()
            }
        })
        .collect()
}

/// The exact velocity of a scenario at time t where one is known: Taylor–Green's decay
/// `e^{−2νt}`, the Kolmogorov spin-up `F/(νk_f²)(1 − e^{−νk_f²t}) sin(k_f y)` (exact while
/// the flow stays laminar), Poiseuille's `6y(1 − y)` downstream in the channel (steady).
pub fn exact_velocity(p: &NsParams, t: f64) -> Option<Box<VelocityFn>> {
    let nu = p.viscosity();
    match p.case {
        NsCase::TaylorGreen => {
            let decay = (-2.0 * nu * t).exp();
            Some(Box::new(move |x, y| {
                (x.sin() * y.cos() * decay, -x.cos() * y.sin() * decay)
            }))
        }
        NsCase::Kolmogorov => {
            let kf = KOLMOGOROV_WAVENUMBER as f64;
            let rate = nu * kf * kf;
            let amplitude = KOLMOGOROV_FORCING / rate * (1.0 - (-rate * t).exp());
            Some(Box::new(move |_, y| (amplitude * (kf * y).sin(), 0.0)))
        }
        NsCase::Channel => Some(Box::new(|_, y| (6.0 * y * (1.0 - y), 0.0))),
        _ => None,
    }
}

/// The points where [`exact_velocity`] is compared: the whole box, or the channel's
/// downstream cross-section.
pub fn error_points(p: &NsParams, samples: usize) -> Vec<(f64, f64)> {
    match p.case {
        NsCase::Channel => (0..samples)
            .map(|j| (CHANNEL_PROBE_X, (j as f64 + 0.5) / samples as f64))
            .collect(),
        _ => {
            let side = (samples as f64).sqrt().ceil() as usize;
            let h = TAU / side as f64;
            (0..side * side)
                .map(|k| {
                    (
                        ((k % side) as f64 + 0.25) * h,
                        ((k / side) as f64 + 0.35) * h,
                    )
                })
                .collect()
        }
    }
}

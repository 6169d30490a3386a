//! The staggered (MAC) grid of Harlow & Welch (1965) on a doubly periodic box, the projection
//! and explicit SSP-RK3 time stepping — the first, periodic, piece of the Navier–Stokes
//! solver (walls, obstacles and semi-Lagrangian advection build on these operators).
//!
//! Layout on `nx × ny` square cells of side h: the pressure p(i, j) at cell centres
//! ((i+½)h, (j+½)h); u(i, j) on the left face of cell (i, j) at (ih, (j+½)h); v(i, j) on its
//! bottom face at ((i+½)h, jh). Indices wrap periodically.
//!
//! Discretisation: second-order central differences in advective form, the 5-point viscous
//! Laplacian; Chorin's projection (Chorin 1968): solve `∇²φ = ∇·u*/Δt` on the cell-centred grid
//! ([`super::poisson`]) and set `u = u* − Δt ∇φ`, so the discrete divergence after projection
//! is `Δt` times the Poisson residual. Time: the three-stage SSP Runge–Kutta method of Shu &
//! Osher (1988), each stage projected.

use super::poisson::{AxisBoundary, PoissonGrid, PressureSolver, SolveReport};

/// A doubly periodic MAC grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MacGrid {
    /// Cells in x.
    pub nx: usize,
    /// Cells in y.
    pub ny: usize,
    /// Cell side.
    pub h: f64,
}

/// The face velocities of a MAC grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Velocity {
    /// u on the left faces, `nx × ny`, row-major.
    pub u: Vec<f64>,
    /// v on the bottom faces.
    pub v: Vec<f64>,
}

impl MacGrid {
    /// Index of (i, j) with periodic wrap.
    #[inline]
    fn k(&self, i: isize, j: isize) -> usize {
        let (nx, ny) = (self.nx as isize, self.ny as isize);
        (i.rem_euclid(nx) + nx * j.rem_euclid(ny)) as usize
    }

    /// The cell-centred Poisson grid of the projection.
    pub fn poisson(&self) -> PoissonGrid {
        PoissonGrid {
            nx: self.nx,
            ny: self.ny,
            h: self.h,
            x: AxisBoundary::Periodic,
            y: AxisBoundary::Periodic,
        }
    }

    /// A velocity field from `u(x, y)` and `v(x, y)` sampled at the faces.
    pub fn sample(&self, u: impl Fn(f64, f64) -> f64, v: impl Fn(f64, f64) -> f64) -> Velocity {
        let h = self.h;
        let mut out = Velocity {
            u: vec![0.0; self.nx * self.ny],
            v: vec![0.0; self.nx * self.ny],
        };
        for j in 0..self.ny {
            for i in 0..self.nx {
                let (x, y) = (i as f64 * h, j as f64 * h);
                out.u[i + self.nx * j] = u(x, y + 0.5 * h);
                out.v[i + self.nx * j] = v(x + 0.5 * h, y);
            }
        }
        out
    }

    /// `∇·u` at the cell centres.
    pub fn divergence(&self, vel: &Velocity) -> Vec<f64> {
        let mut div = vec![0.0; self.nx * self.ny];
        for j in 0..self.ny as isize {
            for i in 0..self.nx as isize {
                let k = self.k(i, j);
                div[k] = (vel.u[self.k(i + 1, j)] - vel.u[k] + vel.v[self.k(i, j + 1)] - vel.v[k])
                    / self.h;
            }
        }
        div
    }

    /// Projects `vel` onto the discretely divergence-free fields: solves `∇²φ = ∇·u/Δt`
    /// (from `phi` as the initial guess, which keeps the last pressure) and subtracts `Δt ∇φ`.
    /// `phi` then holds the pressure.
    pub fn project(
        &self,
        vel: &mut Velocity,
        phi: &mut [f64],
        dt: f64,
        solver: PressureSolver,
        tol: f64,
    ) -> Result<SolveReport, String> {
        let rhs: Vec<f64> = self.divergence(vel).iter().map(|d| d / dt).collect();
        let report = self.poisson().solve(solver, &rhs, phi, tol, 10_000)?;
        for j in 0..self.ny as isize {
            for i in 0..self.nx as isize {
                let k = self.k(i, j);
                vel.u[k] -= dt * (phi[k] - phi[self.k(i - 1, j)]) / self.h;
                vel.v[k] -= dt * (phi[k] - phi[self.k(i, j - 1)]) / self.h;
            }
        }
        Ok(report)
    }

    /// The momentum right-hand side without the pressure, `−(u·∇)u + ν∇²u`, at the faces.
    pub fn momentum(&self, vel: &Velocity, nu: f64) -> Velocity {
        let (h, n) = (self.h, self.nx * self.ny);
        let mut out = Velocity {
            u: vec![0.0; n],
            v: vec![0.0; n],
        };
        let (u, v) = (&vel.u, &vel.v);
        for j in 0..self.ny as isize {
            for i in 0..self.nx as isize {
                let k = self.k(i, j);
                // At the u-face (i, j): v averaged from the four surrounding v-faces.
                let v_bar = 0.25
                    * (v[self.k(i - 1, j)] + v[k] + v[self.k(i - 1, j + 1)] + v[self.k(i, j + 1)]);
                let (ue, uw, un, us) = (
                    u[self.k(i + 1, j)],
                    u[self.k(i - 1, j)],
                    u[self.k(i, j + 1)],
                    u[self.k(i, j - 1)],
                );
                out.u[k] = -u[k] * (ue - uw) / (2.0 * h) - v_bar * (un - us) / (2.0 * h)
                    + nu * (ue + uw + un + us - 4.0 * u[k]) / (h * h);
                // At the v-face (i, j): u averaged from the four surrounding u-faces.
                let u_bar = 0.25
                    * (u[self.k(i, j - 1)] + u[self.k(i + 1, j - 1)] + u[k] + u[self.k(i + 1, j)]);
                let (ve, vw, vn, vs) = (
                    v[self.k(i + 1, j)],
                    v[self.k(i - 1, j)],
                    v[self.k(i, j + 1)],
                    v[self.k(i, j - 1)],
                );
                out.v[k] = -u_bar * (ve - vw) / (2.0 * h) - v[k] * (vn - vs) / (2.0 * h)
                    + nu * (ve + vw + vn + vs - 4.0 * v[k]) / (h * h);
            }
        }
        out
    }

    /// One SSP-RK3 step (Shu & Osher 1988, eq. 2.18) with a projection after every stage;
    /// returns the last stage's pressure-solve report.
    pub fn ssp_rk3_step(
        &self,
        vel: &mut Velocity,
        phi: &mut [f64],
        dt: f64,
        nu: f64,
        solver: PressureSolver,
        tol: f64,
    ) -> Result<SolveReport, String> {
        let euler = |from: &Velocity, dt: f64| {
            let rhs = self.momentum(from, nu);
            Velocity {
                u: from.u.iter().zip(&rhs.u).map(|(a, b)| a + dt * b).collect(),
                v: from.v.iter().zip(&rhs.v).map(|(a, b)| a + dt * b).collect(),
            }
        };
        let blend = |a: &Velocity, wa: f64, b: &Velocity, wb: f64| Velocity {
            u: a.u.iter().zip(&b.u).map(|(x, y)| wa * x + wb * y).collect(),
            v: a.v.iter().zip(&b.v).map(|(x, y)| wa * x + wb * y).collect(),
        };
        // u1 = P(u + Δt L u); u2 = P(¾u + ¼(u1 + Δt L u1)); u = P(⅓u + ⅔(u2 + Δt L u2)).
        let mut u1 = euler(vel, dt);
        self.project(&mut u1, phi, dt, solver, tol)?;
        let mut u2 = blend(vel, 0.75, &euler(&u1, dt), 0.25);
        self.project(&mut u2, phi, dt / 4.0, solver, tol)?;
        let mut u3 = blend(vel, 1.0 / 3.0, &euler(&u2, dt), 2.0 / 3.0);
        let report = self.project(&mut u3, phi, 2.0 * dt / 3.0, solver, tol)?;
        *vel = u3;
        Ok(report)
    }

    /// Kinetic energy `½ Σ (u² + v²) h²` (face values).
    pub fn kinetic_energy(&self, vel: &Velocity) -> f64 {
        0.5 * self.h * self.h * vel.u.iter().chain(&vel.v).map(|x| x * x).sum::<f64>()
    }
}

/// The Taylor–Green vortex on [0, 2π]², an exact solution of the Navier–Stokes equations:
/// `u = sin x cos y e^{−2νt}`, `v = −cos x sin y e^{−2νt}` (Taylor & Green 1937).
pub fn taylor_green(grid: &MacGrid, t: f64, nu: f64) -> Velocity {
    let decay = (-2.0 * nu * t).exp();
    grid.sample(
        |x, y| x.sin() * y.cos() * decay,
        |x, y| -x.cos() * y.sin() * decay,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_taylor_green(n: usize, nu: f64, t_end: f64, solver: PressureSolver) -> (f64, f64, f64) {
        let grid = MacGrid {
            nx: n,
            ny: n,
            h: std::f64::consts::TAU / n as f64,
        };
        let mut vel = taylor_green(&grid, 0.0, nu);
        let mut phi = vec![0.0; n * n];
        // CFL 0.4 on |u| ≤ 1, within the diffusive limit h²/(4ν) for these ν.
        let steps = (t_end / (0.4 * grid.h)).ceil() as usize;
        let dt = t_end / steps as f64;
        let mut worst_divergence: f64 = 0.0;
        for _ in 0..steps {
            grid.ssp_rk3_step(&mut vel, &mut phi, dt, nu, solver, 1e-10)
                .expect("steps");
            let div = grid.divergence(&vel);
            worst_divergence = worst_divergence.max(div.iter().fold(0.0, |m, d| m.max(d.abs())));
        }
        let exact = taylor_green(&grid, t_end, nu);
        let error = vel
            .u
            .iter()
            .chain(&vel.v)
            .zip(exact.u.iter().chain(&exact.v))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let energy_ratio =
            grid.kinetic_energy(&vel) / grid.kinetic_energy(&taylor_green(&grid, 0.0, nu));
        (error, worst_divergence, energy_ratio)
    }

    #[test]
    fn taylor_green_converges_at_second_order_and_stays_divergence_free() {
        let (nu, t_end) = (0.05, 1.0);
        let mut errors = Vec::new();
        for n in [16, 32, 64] {
            let (error, divergence, energy) = run_taylor_green(n, nu, t_end, PressureSolver::Fft);
            // Energy decays as e^{−4νt} exactly.
            let expected = (-4.0 * nu * t_end).exp();
            assert!(
                (energy / expected - 1.0).abs() < 0.02,
                "n {n}: energy ratio {energy} vs {expected}"
            );
            assert!(divergence < 1e-9, "n {n}: max |∇·u| = {divergence}");
            errors.push(error);
        }
        let orders: Vec<f64> = errors.windows(2).map(|w| (w[0] / w[1]).log2()).collect();
        println!(
            "Taylor–Green ν = {nu}, t = {t_end}: max errors {errors:?} at 16², 32², 64²; orders {orders:.3?}"
        );
        assert!(errors[2] < 2e-3, "{errors:?}");
        assert!(
            orders.iter().all(|o| (o - 2.0).abs() < 0.3),
            "errors {errors:?}, orders {orders:?}"
        );
    }

    #[test]
    fn the_pressure_solvers_give_the_same_flow() {
        let (fft, ..) = run_taylor_green(32, 0.05, 0.5, PressureSolver::Fft);
        let (mg, div_mg, _) = run_taylor_green(32, 0.05, 0.5, PressureSolver::Multigrid);
        assert!((fft - mg).abs() < 1e-8, "{fft} vs {mg}");
        assert!(div_mg < 1e-8);
    }
}

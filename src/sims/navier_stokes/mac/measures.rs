//! What is measured on a MAC flow: kinetic energy, vorticity at the nodes, enstrophy and the
//! centre-line profiles compared with Ghia, Ghia & Shin (1982).

#[allow(clippy::wildcard_imports)]
use super::*;

/// Linear interpolation in a table of ascending `(x, y)` pairs.
pub fn interpolate_profile(profile: &[(f64, f64)], x: f64) -> f64 {
    let k = profile
        .partition_point(|(px, _)| *px < x)
        .clamp(1, profile.len() - 1);
    let ((x0, y0), (x1, y1)) = (profile[k - 1], profile[k]);
    y0 + (y1 - y0) * (x - x0) / (x1 - x0)
}

impl MacGrid {
    /// Kinetic energy `½ ∫ |u|² dA`: face values, trapezoidal weights (½ on boundary faces).
    pub fn kinetic_energy(&self, vel: &Velocity) -> f64 {
        let weighted = |data: &[f64], columns: usize, rows: usize, bx: bool, by: bool| {
            let mut sum = 0.0;
            for (k, value) in data.iter().enumerate() {
                let (i, j) = (k % columns, k / columns);
                let mut w = 1.0;
                if bx && (i == 0 || i + 1 == columns) {
                    w *= 0.5;
                }
                if by && (j == 0 || j + 1 == rows) {
                    w *= 0.5;
                }
                sum += w * value * value;
            }
            sum
        };
        let bx = self.x.is_bounded();
        let by = self.y.is_bounded();
        0.5 * self.h
            * self.h
            * (weighted(&vel.u, self.u_columns(), self.ny, bx, false)
                + weighted(&vel.v, self.nx, self.v_rows(), false, by))
    }

    /// The vorticity `ω = ∂v/∂x − ∂u/∂y` at the cell corners (i h, j h), `(nx or nx+1) ×
    /// (ny or ny+1)` values, wall ghosts included (so a moving lid shows its shear).
    pub fn vorticity_at_nodes(&self, vel: &Velocity) -> (usize, usize, Vec<f64>) {
        let (columns, rows) = (self.u_columns(), self.v_rows());
        let mut omega = Vec::with_capacity(columns * rows);
        for j in 0..rows as isize {
            for i in 0..columns as isize {
                let dv = self.fetch(Component::V, &vel.v, i, j, None)
                    - self.fetch(Component::V, &vel.v, i - 1, j, None);
                let du = self.fetch(Component::U, &vel.u, i, j, None)
                    - self.fetch(Component::U, &vel.u, i, j - 1, None);
                omega.push((dv - du) / self.h);
            }
        }
        (columns, rows, omega)
    }

    /// Enstrophy `½ ∫ ω² dA` (trapezoidal over the nodes).
    pub fn enstrophy(&self, vel: &Velocity) -> f64 {
        let (columns, rows, omega) = self.vorticity_at_nodes(vel);
        let (bx, by) = (self.x.is_bounded(), self.y.is_bounded());
        let mut sum = 0.0;
        for (k, w) in omega.iter().enumerate() {
            let (i, j) = (k % columns, k / columns);
            let mut weight = 1.0;
            if bx && (i == 0 || i + 1 == columns) {
                weight *= 0.5;
            }
            if by && (j == 0 || j + 1 == rows) {
                weight *= 0.5;
            }
            sum += weight * w * w;
        }
        0.5 * self.h * self.h * sum
    }

    /// u along the vertical line through x (interpolated between face columns), at the cell
    /// centres' heights, with the wall values appended at y = 0 and y = L when bounded:
    /// `(y, u)` pairs, ascending.
    pub fn u_profile_at_x(&self, vel: &Velocity, x: f64) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        let wall = |side: Side| match side {
            Side::NoSlip { slide } => Some(slide),
            Side::Inflow { .. } => Some(0.0),
            _ => None,
        };
        let sides = self.y.sides();
        if let Some(value) = sides.and_then(|(low, _)| wall(low)) {
            out.push((0.0, value));
        }
        for j in 0..self.ny {
            let y = (j as f64 + 0.5) * self.h;
            out.push((y, self.velocity_at(vel, x, y).0));
        }
        if let Some(value) = sides.and_then(|(_, high)| wall(high)) {
            out.push((self.ny as f64 * self.h, value));
        }
        out
    }

    /// v along the horizontal line through y, like [`Self::u_profile_at_x`].
    pub fn v_profile_at_y(&self, vel: &Velocity, y: f64) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        let wall = |side: Side| match side {
            Side::NoSlip { slide } => Some(slide),
            Side::Inflow { .. } => Some(0.0),
            _ => None,
        };
        let sides = self.x.sides();
        if let Some(value) = sides.and_then(|(low, _)| wall(low)) {
            out.push((0.0, value));
        }
        for i in 0..self.nx {
            let x = (i as f64 + 0.5) * self.h;
            out.push((x, self.velocity_at(vel, x, y).1));
        }
        if let Some(value) = sides.and_then(|(_, high)| wall(high)) {
            out.push((self.nx as f64 * self.h, value));
        }
        out
    }
}

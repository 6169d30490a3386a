//! Editing a running flow: pushes of the fluid (with dye) and painted obstacles.

#[allow(clippy::wildcard_imports)]
use super::*;

/// A Gaussian bump around (x, y) on the 2π-periodic box (nearest image).
pub(super) fn periodic_weight(px: f64, py: f64, x: f64, y: f64, radius: f64) -> f64 {
    let wrap = |d: f64| d - TAU * (d / TAU).round();
    let (dx, dy) = (wrap(px - x), wrap(py - y));
    (-(dx * dx + dy * dy) / (radius * radius)).exp()
}

impl NsRun {
    /// Drops dye and pushes the fluid at (x, y) with velocity change (du, dv) inside `radius`
    /// (a Gaussian brush); the next projection makes the push divergence-free.
    pub fn inject(&mut self, x: f64, y: f64, du: f64, dv: f64, radius: f64) {
        // A step under way in pieces started from the state before the edit.
        self.pending = None;
        let weight = |px: f64, py: f64| {
            let (dx, dy) = (px - x, py - y);
            (-(dx * dx + dy * dy) / (radius * radius)).exp()
        };
        let h = self.dye_grid.h;
        let nx = self.dye_grid.nx;
        for (k, d) in self.dye.iter_mut().enumerate() {
            let w = weight(((k % nx) as f64 + 0.5) * h, ((k / nx) as f64 + 0.5) * h);
            if !self.dye_grid.solid()[k] {
                *d = (*d + w).min(1.0);
            }
        }
        match &mut self.engine {
            Engine::Mac { grid, vel, .. } => {
                let push = grid.sample(|px, py| du * weight(px, py), |px, py| dv * weight(px, py));
                // Only free faces move: sample() has set the fixed ones to their values.
                let rest = grid.rest();
                for ((v, p), r) in vel.u.iter_mut().zip(&push.u).zip(&rest.u) {
                    *v += p - r;
                }
                for ((v, p), r) in vel.v.iter_mut().zip(&push.v).zip(&rest.v) {
                    *v += p - r;
                }
            }
            Engine::Spectral {
                equation,
                omega,
                stepper,
            } => {
                let n = equation.n();
                let kick = scenario::vorticity_of(
                    n,
                    |px, py| du * periodic_weight(px, py, x, y, radius),
                    |px, py| dv * periodic_weight(px, py, x, y, radius),
                );
                for (w, k) in omega.iter_mut().zip(&kick) {
                    *w += k;
                }
                stepper.invalidate();
            }
        }
    }

    /// Paints (or erases) obstacle cells within `radius` of (x, y); MAC solvers only. The
    /// painted mask becomes part of the parameters (and so of the link).
    pub fn paint(&mut self, x: f64, y: f64, radius: f64, solid: bool) -> Result<(), String> {
        self.pending = None;
        let Engine::Mac { grid, vel, .. } = &mut self.engine else {
            return Err("obstacles need a MAC scheme (the spectral solver has none)".into());
        };
        let (nx, ny) = (grid.nx, grid.ny);
        let mut mask = self
            .params
            .mask
            .as_ref()
            .map(|m| m.resampled(nx, ny))
            .unwrap_or_else(|| ObstacleMask::empty(nx, ny));
        let h = grid.h;
        for (k, cell) in mask.solid.iter_mut().enumerate() {
            let (cx, cy) = (((k % nx) as f64 + 0.5) * h, ((k / nx) as f64 + 0.5) * h);
            if (cx - x).hypot(cy - y) <= radius {
                *cell = solid;
            }
        }
        let mut params = self.params.clone();
        params.mask = (!mask.is_empty()).then_some(mask);
        params.validate()?;
        let cells = scenario::obstacles(&params, nx, ny);
        grid.set_solid(&cells)?;
        grid.apply_boundaries(vel);
        self.dye_grid = (**grid).clone();
        for (d, s) in self.dye.iter_mut().zip(&cells) {
            if *s {
                *d = 0.0;
            }
        }
        self.params = params;
        Ok(())
    }
}

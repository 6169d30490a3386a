//! The pressure Poisson equation `∇²p = f` on a cell-centred grid (the pressure of a MAC grid
//! lives at cell centres), 5-point Laplacian, and its solvers: Jacobi, red–black SOR,
//! geometric multigrid V-cycles and, for the fully periodic case, the FFT.
//!
//! Boundaries per axis: periodic, or walls at the faces with a homogeneous Neumann (∂p/∂n = 0:
//! solid walls of the projection) or Dirichlet (p = 0 on the face: an open outflow) condition,
//! imposed through ghost cells `p_ghost = ±p_inside` (Trottenberg, Oosterlee & Schüller,
//! "Multigrid", 2001, §5.6). Without a Dirichlet side the problem is singular: the right-hand
//! side is projected to zero mean and the solution is fixed to zero mean.
//!
//! Obstacles: cells marked solid are taken out of the system (their pressure stays 0) and every
//! face between a fluid and a solid cell is a Neumann wall, through the same mirror ghost. On
//! coarse multigrid levels a cell is solid only when all four children are (McAdams, Sifakis &
//! Teran, "A parallel multigrid Poisson solver for fluids simulation on large grids", SCA 2010).

use rustfft::FftPlanner;
use rustfft::num_complex::Complex64;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The condition on one wall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Wall {
    /// ∂p/∂n = 0 (solid wall).
    Neumann,
    /// p = 0 on the face (open boundary).
    Dirichlet,
}

/// The condition along one axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AxisBoundary {
    /// Periodic.
    Periodic,
    /// Walls at both ends.
    Walls {
        /// At the low end (x = 0 or y = 0).
        low: Wall,
        /// At the high end.
        high: Wall,
    },
}

impl AxisBoundary {
    /// Solid walls at both ends.
    pub const NEUMANN: AxisBoundary = AxisBoundary::Walls {
        low: Wall::Neumann,
        high: Wall::Neumann,
    };

    /// The ghost factor at the low and high ends: +1 Neumann, −1 Dirichlet, None periodic.
    fn ghost(self) -> Option<(f64, f64)> {
        let factor = |w: Wall| if w == Wall::Neumann { 1.0 } else { -1.0 };
        match self {
            AxisBoundary::Periodic => None,
            AxisBoundary::Walls { low, high } => Some((factor(low), factor(high))),
        }
    }

    fn has_dirichlet(self) -> bool {
        matches!(self, AxisBoundary::Walls { low, high } if low == Wall::Dirichlet || high == Wall::Dirichlet)
    }
}

/// Solid (obstacle) cells of a grid.
#[derive(Clone, Debug, PartialEq)]
struct SolidCells {
    solid: Vec<bool>,
    /// Solid cells and fluid cells with a solid neighbour: they leave the interior fast path.
    irregular: Vec<bool>,
}

/// One neighbour of a cell in the 5-point stencil.
#[derive(Clone, Copy)]
enum Neighbour {
    /// A cell of the grid (after periodic wrap), by index.
    Cell(usize),
    /// Beyond a wall: the ghost value is this factor times the cell's own value.
    Ghost(f64),
}

/// A grid of `nx × ny` cells of side `h` with its boundary conditions.
#[derive(Clone, Debug, PartialEq)]
pub struct PoissonGrid {
    /// Cells in x.
    pub nx: usize,
    /// Cells in y.
    pub ny: usize,
    /// Cell side.
    pub h: f64,
    /// Condition in x.
    pub x: AxisBoundary,
    /// Condition in y.
    pub y: AxisBoundary,
    /// Obstacles, if any.
    solid: Option<Arc<SolidCells>>,
}

/// The solvers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum PressureSolver {
    /// Jacobi iteration (the textbook baseline: O(n²) iterations).
    Jacobi,
    /// Red–black successive over-relaxation with factor ω.
    RedBlackSor {
        /// Over-relaxation factor, 0 < ω < 2.
        omega: f64,
    },
    /// Geometric multigrid V(2,2)-cycles with red–black Gauss–Seidel smoothing.
    Multigrid,
    /// Direct solve by the 2D FFT (fully periodic grids only).
    Fft,
}

/// What a solve did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SolveReport {
    /// Iterations (sweeps, V-cycles; 1 for the FFT).
    pub iterations: usize,
    /// Final residual ‖f − ∇²p‖₂ / ‖f‖₂.
    pub residual: f64,
    /// Whether the tolerance was met.
    pub converged: bool,
    /// Work in cell operations (one relaxation, residual, restriction or prolongation of one
    /// cell each; a 2D FFT of n cells counts n log₂ n): the measure of the solver's cost.
    pub work: u64,
}

/// A solve under way (see [`PoissonGrid::begin_solve`]).
#[derive(Clone, Debug)]
pub struct PoissonSolve {
    solver: PressureSolver,
    /// The right-hand side, zero in solid cells and of zero mean for singular problems.
    rhs: Vec<f64>,
    tol: f64,
    max_iterations: usize,
    iterations: usize,
    work: u64,
    residual: f64,
}

impl PoissonSolve {
    /// What the solve has done so far.
    pub fn report(&self) -> SolveReport {
        SolveReport {
            iterations: self.iterations,
            residual: self.residual,
            converged: self.residual <= self.tol,
            work: self.work,
        }
    }
}

impl PoissonGrid {
    /// A grid without obstacles.
    pub fn new(nx: usize, ny: usize, h: f64, x: AxisBoundary, y: AxisBoundary) -> PoissonGrid {
        PoissonGrid {
            nx,
            ny,
            h,
            x,
            y,
            solid: None,
        }
    }

    /// The same grid with the cells where `solid` is true taken out as obstacles.
    pub fn with_solid(mut self, solid: &[bool]) -> Result<PoissonGrid, String> {
        if solid.len() != self.cells() {
            return Err(format!(
                "the obstacle mask has {} cells, the grid {}",
                solid.len(),
                self.cells()
            ));
        }
        if solid.iter().all(|s| *s) {
            return Err("the obstacles cover every cell: no fluid is left".into());
        }
        self.solid = None;
        if solid.iter().any(|s| *s) {
            let mut irregular = solid.to_vec();
            for j in 0..self.ny {
                for i in 0..self.nx {
                    let k = i + self.nx * j;
                    if !solid[k] {
                        irregular[k] = self
                            .neighbours(i, j)
                            .iter()
                            .any(|n| matches!(n, Neighbour::Cell(m) if solid[*m]));
                    }
                }
            }
            self.solid = Some(Arc::new(SolidCells {
                solid: solid.to_vec(),
                irregular,
            }));
        }
        Ok(self)
    }

    /// Whether the grid has obstacle cells.
    pub fn has_obstacles(&self) -> bool {
        self.solid.is_some()
    }

    /// Whether cell `k` is solid.
    #[inline]
    pub fn is_solid(&self, k: usize) -> bool {
        self.solid.as_ref().is_some_and(|s| s.solid[k])
    }

    #[inline]
    fn is_irregular(&self, k: usize) -> bool {
        self.solid.as_ref().is_some_and(|s| s.irregular[k])
    }

    fn cells(&self) -> usize {
        self.nx * self.ny
    }

    /// The four neighbours of (i, j) (west, east, south, north) with periodic wrap and wall
    /// ghosts.
    #[inline]
    fn neighbours(&self, i: usize, j: usize) -> [Neighbour; 4] {
        let step = |i: usize, n: usize, d: isize, axis: AxisBoundary| -> Result<usize, f64> {
            let m = i as isize + d;
            if (0..n as isize).contains(&m) {
                return Ok(m as usize);
            }
            match axis.ghost() {
                None => Ok(m.rem_euclid(n as isize) as usize),
                Some((low, high)) => Err(if m < 0 { low } else { high }),
            }
        };
        let nx = self.nx;
        let cell = |r: Result<usize, f64>, to_index: &dyn Fn(usize) -> usize| match r {
            Ok(m) => Neighbour::Cell(to_index(m)),
            Err(g) => Neighbour::Ghost(g),
        };
        [
            cell(step(i, nx, -1, self.x), &|m| m + nx * j),
            cell(step(i, nx, 1, self.x), &|m| m + nx * j),
            cell(step(j, self.ny, -1, self.y), &|m| i + nx * m),
            cell(step(j, self.ny, 1, self.y), &|m| i + nx * m),
        ]
    }

    /// The neighbour sum and diagonal (times h²) of the stencil at fluid cell (i, j): wall
    /// ghosts and solid neighbours (mirror: ∂p/∂n = 0) fold into the diagonal.
    #[inline]
    fn stencil(&self, p: &[f64], i: usize, j: usize) -> (f64, f64) {
        let (mut sum, mut diagonal) = (0.0, -4.0);
        for n in self.neighbours(i, j) {
            match n {
                Neighbour::Cell(m) if self.is_solid(m) => diagonal += 1.0,
                Neighbour::Cell(m) => sum += p[m],
                Neighbour::Ghost(g) => diagonal += g,
            }
        }
        (sum, diagonal)
    }

    /// Whether the operator is singular (no Dirichlet side): constants are in its kernel.
    pub fn singular(&self) -> bool {
        !(self.x.has_dirichlet() || self.y.has_dirichlet())
    }

    /// The value of `p` at (i, j), with ghost cells and periodic wrap applied for i or j one
    /// cell outside the grid (the pressure gradient at boundary faces, prolongation).
    #[inline]
    pub(crate) fn at(&self, p: &[f64], i: isize, j: isize) -> f64 {
        let (nx, ny) = (self.nx as isize, self.ny as isize);
        let (mut ii, mut jj, mut factor) = (i, j, 1.0);
        if i < 0 || i >= nx {
            match self.x.ghost() {
                None => ii = i.rem_euclid(nx),
                Some((low, high)) => {
                    ii = i.clamp(0, nx - 1);
                    factor *= if i < 0 { low } else { high };
                }
            }
        }
        if j < 0 || j >= ny {
            match self.y.ghost() {
                None => jj = j.rem_euclid(ny),
                Some((low, high)) => {
                    jj = j.clamp(0, ny - 1);
                    factor *= if j < 0 { low } else { high };
                }
            }
        }
        factor * p[(ii + nx * jj) as usize]
    }

    /// The index of cell (i, j) after periodic wrap, or None beyond a wall.
    fn cell_index(&self, i: isize, j: isize) -> Option<usize> {
        let wrap = |m: isize, n: usize, axis: AxisBoundary| {
            if (0..n as isize).contains(&m) {
                Some(m as usize)
            } else if axis == AxisBoundary::Periodic {
                Some(m.rem_euclid(n as isize) as usize)
            } else {
                None
            }
        };
        Some(wrap(i, self.nx, self.x)? + self.nx * wrap(j, self.ny, self.y)?)
    }

    /// `(∇²p)_ij` with the boundary conditions (0 in solid cells, which are not unknowns).
    #[inline]
    fn laplacian_at(&self, p: &[f64], i: usize, j: usize) -> f64 {
        let k = i + self.nx * j;
        if self.is_solid(k) {
            return 0.0;
        }
        let (sum, diagonal) = self.stencil(p, i, j);
        (sum + diagonal * p[k]) / (self.h * self.h)
    }

    /// `r = f − ∇²p`.
    pub fn residual(&self, p: &[f64], f: &[f64], r: &mut [f64]) {
        let nx = self.nx;
        let inv_h2 = 1.0 / (self.h * self.h);
        for j in 0..self.ny {
            let interior_row = j > 0 && j + 1 < self.ny;
            for i in 0..nx {
                let k = i + nx * j;
                r[k] = if interior_row && i > 0 && i + 1 < nx && !self.is_irregular(k) {
                    f[k] - (p[k - 1] + p[k + 1] + p[k - nx] + p[k + nx] - 4.0 * p[k]) * inv_h2
                } else {
                    f[k] - self.laplacian_at(p, i, j)
                };
            }
        }
    }

    /// ‖f − ∇²p‖₂ / ‖f‖₂ (or the absolute norm when f = 0).
    pub fn relative_residual(&self, p: &[f64], f: &[f64]) -> f64 {
        let mut r = vec![0.0; self.cells()];
        self.residual(p, f, &mut r);
        let rn = r.iter().map(|v| v * v).sum::<f64>().sqrt();
        let fn_ = f.iter().map(|v| v * v).sum::<f64>().sqrt();
        if fn_ > 0.0 { rn / fn_ } else { rn }
    }

    /// One Gauss–Seidel (ω = 1) or SOR sweep over the cells of one colour ((i + j) % 2);
    /// returns the cells updated.
    fn relax_colour(&self, p: &mut [f64], f: &[f64], colour: usize, omega: f64) -> u64 {
        let h2 = self.h * self.h;
        let nx = self.nx;
        for j in 0..self.ny {
            let start = (colour + j) % 2;
            let interior_row = j > 0 && j + 1 < self.ny;
            if interior_row && self.solid.is_none() && nx > 2 {
                // Interior row without obstacles: the ends through the general stencil, the
                // rest straight (the hot path).
                let first = if start == 0 { 2 } else { 1 };
                for i in (first..nx - 1).step_by(2) {
                    let k = i + nx * j;
                    let sum = p[k - 1] + p[k + 1] + p[k - nx] + p[k + nx];
                    p[k] += omega * ((sum - h2 * f[k]) * 0.25 - p[k]);
                }
                for i in [0, nx - 1] {
                    if (i + j) % 2 == colour {
                        let k = i + nx * j;
                        let (sum, d) = self.stencil(p, i, j);
                        p[k] += omega * ((h2 * f[k] - sum) / d - p[k]);
                    }
                }
                continue;
            }
            for i in (start..self.nx).step_by(2) {
                let k = i + nx * j;
                if interior_row && i > 0 && i + 1 < nx && !self.is_irregular(k) {
                    // Interior: no ghosts, no wrap, no obstacle (the hot path).
                    let sum = p[k - 1] + p[k + 1] + p[k - nx] + p[k + nx];
                    let gauss_seidel = (h2 * f[k] - sum) / -4.0;
                    p[k] += omega * (gauss_seidel - p[k]);
                    continue;
                }
                if self.is_solid(k) {
                    continue;
                }
                let (sum, d) = self.stencil(p, i, j);
                let gauss_seidel = (h2 * f[k] - sum) / d;
                p[k] += omega * (gauss_seidel - p[k]);
            }
        }
        (self.cells() / 2) as u64
    }

    /// Removes the mean (singular problems: the solution is fixed to zero mean).
    fn remove_mean(&self, v: &mut [f64]) {
        if !self.singular() {
            return;
        }
        match &self.solid {
            None => {
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                v.iter_mut().for_each(|x| *x -= mean);
            }
            Some(cells) => {
                let fluid = cells.solid.iter().filter(|s| !**s).count() as f64;
                let mean = v
                    .iter()
                    .zip(&cells.solid)
                    .filter(|(_, s)| !**s)
                    .map(|(x, _)| x)
                    .sum::<f64>()
                    / fluid;
                for (x, s) in v.iter_mut().zip(&cells.solid) {
                    *x = if *s { 0.0 } else { *x - mean };
                }
            }
        }
    }

    /// The grid with half the cells in each direction (multigrid), if both counts are even.
    fn coarse(&self) -> Option<PoissonGrid> {
        if !(self.nx.is_multiple_of(2) && self.ny.is_multiple_of(2) && self.nx >= 4 && self.ny >= 4)
        {
            return None;
        }
        let coarse = PoissonGrid::new(self.nx / 2, self.ny / 2, 2.0 * self.h, self.x, self.y);
        let Some(cells) = &self.solid else {
            return Some(coarse);
        };
        // A coarse cell is solid only if all four children are.
        let nx = self.nx;
        let mask: Vec<bool> = (0..coarse.cells())
            .map(|kc| {
                let (i, j) = (2 * (kc % coarse.nx), 2 * (kc / coarse.nx));
                [(0, 0), (1, 0), (0, 1), (1, 1)]
                    .iter()
                    .all(|(di, dj)| cells.solid[i + di + nx * (j + dj)])
            })
            .collect();
        coarse.with_solid(&mask).ok()
    }

    /// Solves `∇²p = f`, starting from `p`, to the relative residual `tol` or `max_iterations`.
    pub fn solve(
        &self,
        solver: PressureSolver,
        f: &[f64],
        p: &mut [f64],
        tol: f64,
        max_iterations: usize,
    ) -> Result<SolveReport, String> {
        let mut solve = self.begin_solve(solver, f, p, tol, max_iterations)?;
        while !self.iterate(&mut solve, p)? {}
        Ok(solve.report())
    }

    /// Starts a solve of `∇²p = f` from `p` (see [`PoissonGrid::solve`]); the iterations are
    /// done one per [`PoissonGrid::iterate`] call, so that a caller can spread them over time.
    pub fn begin_solve(
        &self,
        solver: PressureSolver,
        f: &[f64],
        p: &[f64],
        tol: f64,
        max_iterations: usize,
    ) -> Result<PoissonSolve, String> {
        if f.len() != self.cells() || p.len() != self.cells() {
            return Err("the right-hand side and the solution must have one value per cell".into());
        }
        match solver {
            PressureSolver::Fft => {
                if self.x != AxisBoundary::Periodic || self.y != AxisBoundary::Periodic {
                    return Err(
                        "the FFT pressure solver needs periodic boundaries in x and y".into(),
                    );
                }
                if self.has_obstacles() {
                    return Err("the FFT pressure solver cannot handle obstacles".into());
                }
            }
            PressureSolver::Multigrid if self.coarse().and_then(|c| c.coarse()).is_none() => {
                return Err(format!(
                    "multigrid needs cell counts divisible by 2 at least twice, got {} × {}",
                    self.nx, self.ny
                ));
            }
            _ => {}
        }
        let mut rhs = f.to_vec();
        if let Some(cells) = &self.solid {
            for (r, s) in rhs.iter_mut().zip(&cells.solid) {
                if *s {
                    *r = 0.0;
                }
            }
        }
        // A singular problem is solvable only for a zero-mean right-hand side; the discrete
        // divergence of a velocity with no net flux has zero mean up to round-off.
        self.remove_mean(&mut rhs);
        let residual = self.relative_residual(p, &rhs);
        Ok(PoissonSolve {
            solver,
            rhs,
            tol,
            max_iterations,
            iterations: 0,
            work: 0,
            residual,
        })
    }

    /// One iteration of `solve` (a sweep, a V-cycle, or the whole FFT solve) on `p`; returns
    /// whether the solve is over (converged or out of iterations).
    pub fn iterate(&self, solve: &mut PoissonSolve, p: &mut [f64]) -> Result<bool, String> {
        let rhs = &solve.rhs;
        if solve.solver == PressureSolver::Fft {
            if solve.iterations == 0 {
                self.solve_fft(rhs, p);
                let n = self.cells() as f64;
                solve.work += (2.0 * n * n.log2()) as u64;
                solve.iterations = 1;
                solve.residual = self.relative_residual(p, rhs);
            }
            return Ok(true);
        }
        if !(solve.residual > solve.tol && solve.iterations < solve.max_iterations) {
            return Ok(true);
        }
        solve.work += match solve.solver {
            PressureSolver::Jacobi => {
                self.jacobi_sweep(p, rhs);
                self.cells() as u64
            }
            PressureSolver::RedBlackSor { omega } => {
                self.relax_colour(p, rhs, 0, omega) + self.relax_colour(p, rhs, 1, omega)
            }
            _ => self.v_cycle(p, rhs),
        };
        self.remove_mean(p);
        solve.iterations += 1;
        solve.residual = self.relative_residual(p, rhs);
        if !solve.residual.is_finite() {
            return Err("the pressure iteration diverged (check ω: 0 < ω < 2)".into());
        }
        Ok(!(solve.residual > solve.tol && solve.iterations < solve.max_iterations))
    }

    fn jacobi_sweep(&self, p: &mut [f64], f: &[f64]) {
        let old = p.to_vec();
        let h2 = self.h * self.h;
        for j in 0..self.ny {
            for i in 0..self.nx {
                let k = i + self.nx * j;
                // ∇²p = f ⇔ p = p + (h² f − h² ∇²p)/d, with d the diagonal (negative).
                if self.is_solid(k) {
                    continue;
                }
                let (sum, diagonal) = self.stencil(&old, i, j);
                let lap = sum + diagonal * old[k];
                p[k] = old[k] + (h2 * f[k] - lap) / diagonal;
            }
        }
    }

    /// One V(2,2)-cycle: red–black Gauss–Seidel smoothing, full-weighting restriction (the
    /// mean of the four children) and bilinear prolongation (weights 9, 3, 3, 1 / 16).
    /// Returns the work done.
    fn v_cycle(&self, p: &mut [f64], f: &[f64]) -> u64 {
        let mut work = 0;
        let Some(coarse) = self.coarse() else {
            // Coarsest level: Gauss–Seidel to convergence (a few cells).
            for _ in 0..200 {
                work += self.relax_colour(p, f, 0, 1.0) + self.relax_colour(p, f, 1, 1.0);
            }
            self.remove_mean(p);
            return work;
        };
        for _ in 0..2 {
            work += self.relax_colour(p, f, 0, 1.0) + self.relax_colour(p, f, 1, 1.0);
        }
        let mut r = vec![0.0; self.cells()];
        self.residual(p, f, &mut r);
        let mut rc = vec![0.0; coarse.cells()];
        for jc in 0..coarse.ny {
            for ic in 0..coarse.nx {
                let (i, j) = (2 * ic, 2 * jc);
                let n = self.nx;
                rc[ic + coarse.nx * jc] = 0.25
                    * (r[i + n * j]
                        + r[i + 1 + n * j]
                        + r[i + n * (j + 1)]
                        + r[i + 1 + n * (j + 1)]);
            }
        }
        coarse.remove_mean(&mut rc);
        let mut ec = vec![0.0; coarse.cells()];
        // Residual, restriction and prolongation: one operation per fine cell each.
        work += 3 * self.cells() as u64 + coarse.v_cycle(&mut ec, &rc);
        // Bilinear prolongation: each fine cell takes 9/16 of its parent, 3/16 of the two
        // coarse neighbours towards it and 1/16 of the diagonal one (ghosts at walls).
        for j in 0..self.ny {
            for i in 0..self.nx {
                let (ic, jc) = ((i / 2) as isize, (j / 2) as isize);
                let si = if i % 2 == 0 { -1 } else { 1 };
                let sj = if j % 2 == 0 { -1 } else { 1 };
                let (cnx, cny) = (coarse.nx as isize, coarse.ny as isize);
                if !coarse.has_obstacles() && ic > 0 && ic + 1 < cnx && jc > 0 && jc + 1 < cny {
                    // Interior, no obstacles: direct indexing (the hot path).
                    let c = (ic + cnx * jc) as usize;
                    let (ci, cj) = ((c as isize + si) as usize, (c as isize + sj * cnx) as usize);
                    let cd = (c as isize + si + sj * cnx) as usize;
                    p[i + self.nx * j] +=
                        (9.0 * ec[c] + 3.0 * ec[ci] + 3.0 * ec[cj] + ec[cd]) / 16.0;
                    continue;
                }
                if self.is_solid(i + self.nx * j) {
                    continue;
                }
                // A solid coarse neighbour contributes the parent's value (its mirror).
                let parent = coarse.at(&ec, ic, jc);
                let value = |di: isize, dj: isize| {
                    let (a, b) = (ic + di, jc + dj);
                    match coarse.cell_index(a, b) {
                        Some(m) if coarse.is_solid(m) => parent,
                        _ => coarse.at(&ec, a, b),
                    }
                };
                let e =
                    (9.0 * parent + 3.0 * value(si, 0) + 3.0 * value(0, sj) + value(si, sj)) / 16.0;
                p[i + self.nx * j] += e;
            }
        }
        for _ in 0..2 {
            work += self.relax_colour(p, f, 0, 1.0) + self.relax_colour(p, f, 1, 1.0);
        }
        work
    }

    /// Exact solve of the periodic discrete system: the 5-point Laplacian is diagonal in
    /// Fourier space with eigenvalues (2cos(2πk/nx) + 2cos(2πl/ny) − 4)/h².
    fn solve_fft(&self, f: &[f64], p: &mut [f64]) {
        let (nx, ny) = (self.nx, self.ny);
        let mut planner = FftPlanner::<f64>::new();
        let (fx, fy) = (planner.plan_fft_forward(nx), planner.plan_fft_forward(ny));
        let (ix, iy) = (planner.plan_fft_inverse(nx), planner.plan_fft_inverse(ny));
        let mut data: Vec<Complex64> = f.iter().map(|v| Complex64::new(*v, 0.0)).collect();
        let mut column = vec![Complex64::default(); ny];
        let transform_columns =
            |data: &mut [Complex64], column: &mut [Complex64], plan: &dyn rustfft::Fft<f64>| {
                for i in 0..nx {
                    for j in 0..ny {
                        column[j] = data[i + nx * j];
                    }
                    plan.process(column);
                    for j in 0..ny {
                        data[i + nx * j] = column[j];
                    }
                }
            };
        for row in data.chunks_exact_mut(nx) {
            fx.process(row);
        }
        transform_columns(&mut data, &mut column, fy.as_ref());
        let h2 = self.h * self.h;
        for l in 0..ny {
            for k in 0..nx {
                let eig = (2.0 * (std::f64::consts::TAU * k as f64 / nx as f64).cos()
                    + 2.0 * (std::f64::consts::TAU * l as f64 / ny as f64).cos()
                    - 4.0)
                    / h2;
                let c = &mut data[k + nx * l];
                *c = if k == 0 && l == 0 {
                    Complex64::default()
                } else {
                    *c / eig
                };
            }
        }
        for row in data.chunks_exact_mut(nx) {
            ix.process(row);
        }
        transform_columns(&mut data, &mut column, iy.as_ref());
        let scale = 1.0 / (nx * ny) as f64;
        for (out, c) in p.iter_mut().zip(&data) {
            *out = c.re * scale;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(n: usize, x: AxisBoundary, y: AxisBoundary) -> PoissonGrid {
        PoissonGrid::new(n, n, 1.0 / n as f64, x, y)
    }

    /// Cell-centre coordinates.
    fn centres(g: &PoissonGrid) -> impl Iterator<Item = (f64, f64)> + '_ {
        (0..g.ny).flat_map(move |j| {
            (0..g.nx).map(move |i| ((i as f64 + 0.5) * g.h, (j as f64 + 0.5) * g.h))
        })
    }

    #[test]
    fn every_solver_reaches_the_manufactured_solution_at_second_order() {
        use std::f64::consts::PI;
        let dirichlet = AxisBoundary::Walls {
            low: Wall::Dirichlet,
            high: Wall::Dirichlet,
        };
        // (boundaries, exact p, its Laplacian)
        type Field = fn(f64, f64) -> f64;
        let cases: [(AxisBoundary, AxisBoundary, Field, Field); 3] = [
            (
                AxisBoundary::Periodic,
                AxisBoundary::Periodic,
                |x, y| (2.0 * PI * x).sin() * (4.0 * PI * y).cos(),
                |x, y| -20.0 * PI * PI * (2.0 * PI * x).sin() * (4.0 * PI * y).cos(),
            ),
            (
                AxisBoundary::NEUMANN,
                AxisBoundary::NEUMANN,
                |x, y| (PI * x).cos() * (2.0 * PI * y).cos(),
                |x, y| -5.0 * PI * PI * (PI * x).cos() * (2.0 * PI * y).cos(),
            ),
            (
                dirichlet,
                AxisBoundary::NEUMANN,
                |x, y| (PI * x).sin() * (PI * y).cos(),
                |x, y| -2.0 * PI * PI * (PI * x).sin() * (PI * y).cos(),
            ),
        ];
        for (bx, by, exact, laplacian) in cases {
            let mut errors = Vec::new();
            for n in [16, 32, 64] {
                let g = grid(n, bx, by);
                let f: Vec<f64> = centres(&g).map(|(x, y)| laplacian(x, y)).collect();
                let truth: Vec<f64> = centres(&g).map(|(x, y)| exact(x, y)).collect();
                let mut solutions = Vec::new();
                let mut solvers = vec![
                    (PressureSolver::Multigrid, 50),
                    (
                        PressureSolver::RedBlackSor {
                            omega: 2.0 / (1.0 + (PI / n as f64).sin()),
                        },
                        20_000,
                    ),
                ];
                if n == 16 {
                    solvers.push((PressureSolver::Jacobi, 200_000));
                }
                if bx == AxisBoundary::Periodic {
                    solvers.push((PressureSolver::Fft, 1));
                }
                for (solver, max) in solvers {
                    let mut p = vec![0.0; n * n];
                    let report = g.solve(solver, &f, &mut p, 1e-11, max).expect("solves");
                    assert!(report.converged, "{solver:?} {bx:?}: {report:?}");
                    solutions.push(p);
                }
                // All solvers agree on the discrete solution.
                for s in &solutions[1..] {
                    let d = s
                        .iter()
                        .zip(&solutions[0])
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0, f64::max);
                    assert!(d < 1e-8, "{bx:?} n {n}: solvers differ by {d}");
                }
                let mut p = solutions.swap_remove(0);
                if g.singular() {
                    let shift =
                        truth.iter().zip(&p).map(|(t, v)| t - v).sum::<f64>() / p.len() as f64;
                    p.iter_mut().for_each(|v| *v += shift);
                }
                errors.push(
                    p.iter()
                        .zip(&truth)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0, f64::max),
                );
            }
            let order = (errors[1] / errors[2]).log2();
            assert!(
                (order - 2.0).abs() < 0.2,
                "{bx:?}/{by:?}: errors {errors:?}, order {order}"
            );
        }
    }

    #[test]
    fn multigrid_cuts_the_residual_tenfold_per_v_cycle() {
        for (bx, by) in [
            (AxisBoundary::Periodic, AxisBoundary::Periodic),
            (AxisBoundary::NEUMANN, AxisBoundary::NEUMANN),
            (
                AxisBoundary::Periodic,
                AxisBoundary::Walls {
                    low: Wall::Neumann,
                    high: Wall::Dirichlet,
                },
            ),
        ] {
            for n in [32, 128] {
                let g = grid(n, bx, by);
                // A rough right-hand side with every frequency.
                let mut rng = crate::core::rng::SeededRng::new(9);
                let f: Vec<f64> = (0..n * n).map(|_| rng.normal()).collect();
                let mut p = vec![0.0; n * n];
                let mut last = 1.0;
                for cycle in 1..=6 {
                    let report = g
                        .solve(PressureSolver::Multigrid, &f, &mut p, 0.0, 1)
                        .expect("solves");
                    let factor = report.residual / last;
                    assert!(
                        factor < 0.1,
                        "{bx:?}/{by:?} n {n} cycle {cycle}: residual fell only {factor:.3}×"
                    );
                    last = report.residual;
                }
            }
        }
    }

    #[test]
    fn multigrid_work_grows_linearly_with_the_cells_and_sor_does_not() {
        let mut rows = Vec::new();
        for n in [32, 64, 128] {
            let g = grid(n, AxisBoundary::NEUMANN, AxisBoundary::NEUMANN);
            let mut rng = crate::core::rng::SeededRng::new(4);
            let f: Vec<f64> = (0..n * n).map(|_| rng.normal()).collect();
            let mut p = vec![0.0; n * n];
            let mg = g
                .solve(PressureSolver::Multigrid, &f, &mut p, 1e-8, 100)
                .expect("solves");
            let omega = 2.0 / (1.0 + (std::f64::consts::PI / n as f64).sin());
            let mut p = vec![0.0; n * n];
            let sor = g
                .solve(
                    PressureSolver::RedBlackSor { omega },
                    &f,
                    &mut p,
                    1e-8,
                    100_000,
                )
                .expect("solves");
            assert!(mg.converged && sor.converged);
            rows.push((n, mg, sor));
        }
        for pair in rows.windows(2) {
            let (mg_ratio, sor_ratio) = (
                pair[1].1.work as f64 / pair[0].1.work as f64,
                pair[1].2.work as f64 / pair[0].2.work as f64,
            );
            // Four times the cells: multigrid's work ×4 (same cycle count), optimal SOR's ×8
            // (its sweeps grow like n).
            assert!(
                (3.5..4.6).contains(&mg_ratio),
                "multigrid work ratio {mg_ratio} ({rows:?})"
            );
            assert!(pair[1].1.iterations <= pair[0].1.iterations + 1);
            assert!(sor_ratio > 6.0, "SOR work ratio {sor_ratio}");
        }
    }

    #[test]
    fn bad_requests_are_refused() {
        let g = grid(6, AxisBoundary::NEUMANN, AxisBoundary::NEUMANN);
        let f = vec![0.0; 36];
        let mut p = vec![0.0; 36];
        assert!(g.solve(PressureSolver::Fft, &f, &mut p, 1e-8, 1).is_err());
        assert!(
            g.solve(PressureSolver::Multigrid, &f, &mut p, 1e-8, 1)
                .is_err()
        );
        assert!(
            g.solve(PressureSolver::Jacobi, &f[..3], &mut p, 1e-8, 1)
                .is_err()
        );
        let g = grid(8, AxisBoundary::NEUMANN, AxisBoundary::NEUMANN);
        let mut rng = crate::core::rng::SeededRng::new(1);
        let f: Vec<f64> = (0..64).map(|_| rng.normal()).collect();
        let mut p = vec![0.0; 64];
        let err = g.solve(
            PressureSolver::RedBlackSor { omega: 2.5 },
            &f,
            &mut p,
            1e-12,
            10_000,
        );
        assert!(err.is_err() || !err.expect("report").converged);
    }
}

//! The staggered (MAC) grid of Harlow & Welch (1965) with its boundaries, obstacles, the
//! projection and the time steppers.
//!
//! Layout on `nx × ny` square cells of side h: the pressure p(i, j) at cell centres
//! ((i+½)h, (j+½)h); u(i, j) on the left face of cell (i, j) at (ih, (j+½)h); v(i, j) on its
//! bottom face at ((i+½)h, jh). A periodic axis stores `n` faces across it (index wrap); a
//! bounded axis `n + 1`, the first and last on the boundary.
//!
//! Boundaries ([`Side`]) act through the faces they hold and through ghost values of the
//! tangential component one half cell outside: no-slip `u_ghost = 2 u_wall − u` (the moving
//! lid), free-slip `u_ghost = u`, inflow `u_ghost = −u` (no tangential velocity). Obstacle
//! cells fix every face they touch to 0 and mirror the tangential velocity the same way
//! (a staircase no-slip surface, first order in the geometry). The pressure sees walls and
//! obstacles as ∂p/∂n = 0 and an outflow as p = 0.
//!
//! Discretisation: second-order central differences in advective form and the 5-point viscous
//! Laplacian; Chorin's projection (Chorin 1968): solve `∇²φ = ∇·u*/Δt` on the cell-centred grid
//! ([`super::poisson`]) and set `u = u* − Δt ∇φ`, so the discrete divergence after projection
//! is `Δt` times the Poisson residual. Time: the SSP Runge–Kutta methods of Shu & Osher (1988)
//! with every stage projected, or semi-Lagrangian advection (Stam, "Stable fluids", 1999) with
//! the MacCormack correction of Selle, Fedkiw, Kim, Liu & Rossignac (J. Sci. Comput. 35, 2008)
//! or BFECC (Kim, Liu, Llamas & Rossignac 2005), explicit diffusion and one projection.

mod measures;
mod stepper;
mod transport;

pub use measures::interpolate_profile;
pub use stepper::MacStep;
pub use transport::Lattice;

use super::poisson::{AxisBoundary, PoissonGrid, PoissonSolve, PressureSolver, SolveReport, Wall};
use serde::{Deserialize, Serialize};

/// A scalar function of position `f(x, y)`.
pub type FieldFn = dyn Fn(f64, f64) -> f64;

/// A velocity field of position `(x, y) ↦ (u, v)`.
pub type VelocityFn = dyn Fn(f64, f64) -> (f64, f64);

/// A profile: `(coordinate, value)` pairs, ascending.
pub type Profile = Vec<(f64, f64)>;

/// What bounds the domain on one side.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Side {
    /// A solid wall moving along itself with velocity `slide` (along +x or +y): 0 for a
    /// resting wall, the lid speed for the driven cavity.
    NoSlip {
        /// Tangential wall velocity.
        slide: f64,
    },
    /// A wall without friction.
    FreeSlip,
    /// Fluid enters with normal speed `speed` (into the domain) and no tangential velocity.
    Inflow {
        /// Normal speed into the domain.
        speed: f64,
    },
    /// Fluid leaves: zero normal gradient of the velocity and p = 0.
    Outflow,
}

impl Side {
    /// A resting no-slip wall.
    pub const WALL: Side = Side::NoSlip { slide: 0.0 };

    /// The tangential ghost value across this side for the inside value `inside`.
    #[inline]
    fn tangential_ghost(self, inside: f64) -> f64 {
        match self {
            Side::NoSlip { slide } => 2.0 * slide - inside,
            Side::FreeSlip | Side::Outflow => inside,
            Side::Inflow { .. } => -inside,
        }
    }

    /// The prescribed normal velocity on the face of this side, along +axis, or None when the
    /// face is free (outflow). `high` is true for the side at the high end.
    fn normal_velocity(self, high: bool) -> Option<f64> {
        match self {
            Side::NoSlip { .. } | Side::FreeSlip => Some(0.0),
            Side::Inflow { speed } => Some(if high { -speed } else { speed }),
            Side::Outflow => None,
        }
    }

    /// The fastest speed this side imposes (for the CFL limit).
    fn speed(self) -> f64 {
        match self {
            Side::NoSlip { slide } => slide.abs(),
            Side::Inflow { speed } => speed.abs(),
            Side::FreeSlip | Side::Outflow => 0.0,
        }
    }
}

/// The conditions along one axis.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Axis {
    /// Periodic.
    Periodic,
    /// Bounded at both ends.
    Bounded {
        /// At x = 0 (or y = 0).
        low: Side,
        /// At the high end.
        high: Side,
    },
}

impl Axis {
    /// Resting no-slip walls at both ends.
    pub const WALLS: Axis = Axis::Bounded {
        low: Side::WALL,
        high: Side::WALL,
    };

    fn is_bounded(self) -> bool {
        matches!(self, Axis::Bounded { .. })
    }

    fn sides(self) -> Option<(Side, Side)> {
        match self {
            Axis::Periodic => None,
            Axis::Bounded { low, high } => Some((low, high)),
        }
    }

    /// The pressure condition of this axis.
    fn pressure(self) -> AxisBoundary {
        let wall = |s: Side| {
            if s == Side::Outflow {
                Wall::Dirichlet
            } else {
                Wall::Neumann
            }
        };
        match self {
            Axis::Periodic => AxisBoundary::Periodic,
            Axis::Bounded { low, high } => AxisBoundary::Walls {
                low: wall(low),
                high: wall(high),
            },
        }
    }
}

/// The face velocities of a MAC grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Velocity {
    /// u on the x-faces, `(nx or nx+1) × ny`, row-major.
    pub u: Vec<f64>,
    /// v on the y-faces, `nx × (ny or ny+1)`.
    pub v: Vec<f64>,
}

/// The two velocity components (which face lattice).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    /// u on x-faces.
    U,
    /// v on y-faces.
    V,
}

/// What a face is, for the GPU path (without the fixed value, which the velocity holds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaceKind {
    /// Advanced and projected.
    Free,
    /// Held at its value.
    Fixed,
    /// Between two solid cells (0, mirrored for a tangential neighbour).
    Buried,
}

/// What a face is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Face {
    /// An unknown: advanced by the momentum equation and corrected by the projection.
    Free,
    /// Held at a value: a wall, an inflow, the surface of an obstacle.
    Fixed(f64),
    /// Between two solid cells: 0, and mirrored (no-slip) when a fluid face reads it as its
    /// tangential neighbour.
    Buried,
}

/// The explicit time-step limits of the current state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepLimits {
    /// `CFL · h / (max|u| + max|v|)`.
    pub advective: f64,
    /// The explicit diffusion limit of the scheme, `β h²/ν`.
    pub diffusive: f64,
    /// The smaller of the two.
    pub dt: f64,
}

/// The time steppers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeScheme {
    /// SSP-RK2 (Heun), central advection, two projections per step.
    SspRk2,
    /// SSP-RK3 (Shu & Osher 1988), central advection, three projections per step.
    SspRk3,
    /// Semi-Lagrangian advection (Stam 1999): unconditionally stable, first order, diffusive.
    SemiLagrangian,
    /// Semi-Lagrangian with the MacCormack correction (Selle et al. 2008), limited.
    MacCormack,
    /// Back and forth error compensation and correction (Kim et al. 2005), limited.
    Bfecc,
}

impl TimeScheme {
    /// Every scheme.
    pub const ALL: [TimeScheme; 5] = [
        TimeScheme::SspRk2,
        TimeScheme::SspRk3,
        TimeScheme::SemiLagrangian,
        TimeScheme::MacCormack,
        TimeScheme::Bfecc,
    ];

    /// Whether advection is semi-Lagrangian (not bound by the advective CFL limit).
    pub fn is_semi_lagrangian(self) -> bool {
        !matches!(self, TimeScheme::SspRk2 | TimeScheme::SspRk3)
    }

    /// β of the explicit diffusion limit `Δt ≤ β h²/ν` of the 5-point Laplacian (eigenvalues
    /// down to −8ν/h²): the real stability interval of forward Euler and SSP-RK2 is [−2, 0],
    /// of SSP-RK3 [−2.51, 0].
    fn diffusion_beta(self) -> f64 {
        match self {
            TimeScheme::SspRk3 => 2.51 / 8.0,
            _ => 2.0 / 8.0,
        }
    }
}

/// What one time step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepReport {
    /// The last projection's pressure solve.
    pub pressure: SolveReport,
    /// Pressure iterations summed over the step's projections.
    pub pressure_iterations: usize,
    /// Pressure-solver work summed over the step (cell operations).
    pub pressure_work: u64,
}

/// A MAC grid with its boundaries and obstacles.
#[derive(Clone, Debug, PartialEq)]
pub struct MacGrid {
    /// Cells in x.
    pub nx: usize,
    /// Cells in y.
    pub ny: usize,
    /// Cell side.
    pub h: f64,
    /// Conditions in x.
    pub x: Axis,
    /// Conditions in y.
    pub y: Axis,
    poisson: PoissonGrid,
    solid: Vec<bool>,
    u_faces: Vec<Face>,
    v_faces: Vec<Face>,
    /// Free faces whose whole momentum stencil is stored and unburied: no wrap, no ghost,
    /// no mirror (the hot path of [`Self::momentum`]).
    u_plain: Vec<bool>,
    v_plain: Vec<bool>,
    /// A steady body force per unit mass at the faces (Kolmogorov forcing), if any.
    body_force: Option<Velocity>,
}

impl MacGrid {
    /// A grid of `nx × ny` cells of side `h`.
    pub fn new(nx: usize, ny: usize, h: f64, x: Axis, y: Axis) -> Result<MacGrid, String> {
        if nx < 4 || ny < 4 {
            return Err(format!(
                "the grid needs at least 4 × 4 cells, got {nx} × {ny}"
            ));
        }
        if !(h.is_finite() && h > 0.0) {
            return Err(format!("the cell size must be positive, got {h}"));
        }
        let sides: Vec<Side> = [x.sides(), y.sides()]
            .into_iter()
            .flatten()
            .flat_map(|(a, b)| [a, b])
            .collect();
        for side in &sides {
            let value = match side {
                Side::NoSlip { slide } => *slide,
                Side::Inflow { speed } => *speed,
                _ => 0.0,
            };
            if !value.is_finite() {
                return Err(format!("a boundary velocity is not a number: {side:?}"));
            }
        }
        if sides.iter().any(|s| matches!(s, Side::Inflow { .. })) && !sides.contains(&Side::Outflow)
        {
            return Err("an inflow needs an outflow side for the fluid to leave".into());
        }
        let mut grid = MacGrid {
            nx,
            ny,
            h,
            x,
            y,
            poisson: PoissonGrid::new(nx, ny, h, x.pressure(), y.pressure()),
            solid: vec![false; nx * ny],
            u_faces: Vec::new(),
            v_faces: Vec::new(),
            u_plain: Vec::new(),
            v_plain: Vec::new(),
            body_force: None,
        };
        grid.classify_faces();
        Ok(grid)
    }

    /// A doubly periodic grid.
    pub fn periodic(nx: usize, ny: usize, h: f64) -> Result<MacGrid, String> {
        MacGrid::new(nx, ny, h, Axis::Periodic, Axis::Periodic)
    }

    /// Faces of the u lattice in x.
    pub fn u_columns(&self) -> usize {
        self.nx + usize::from(self.x.is_bounded())
    }

    /// Faces of the v lattice in y.
    pub fn v_rows(&self) -> usize {
        self.ny + usize::from(self.y.is_bounded())
    }

    /// The obstacle mask (one flag per cell, row-major).
    pub fn solid(&self) -> &[bool] {
        &self.solid
    }

    /// Replaces the obstacles; the faces they touch are fixed to 0 by [`Self::apply_boundaries`].
    pub fn set_solid(&mut self, solid: &[bool]) -> Result<(), String> {
        let poisson = PoissonGrid::new(
            self.nx,
            self.ny,
            self.h,
            self.x.pressure(),
            self.y.pressure(),
        )
        .with_solid(solid)?;
        self.poisson = poisson;
        self.solid = solid.to_vec();
        self.classify_faces();
        Ok(())
    }

    /// Sets (or with `None` removes) a steady body force `f(x, y)` per unit mass, sampled at
    /// the faces.
    pub fn set_body_force(&mut self, force: Option<(&FieldFn, &FieldFn)>) {
        self.body_force = force.map(|(fx, fy)| {
            let h = self.h;
            let mut f = self.zero_velocity();
            let columns = self.u_columns();
            for (k, value) in f.u.iter_mut().enumerate() {
                *value = fx((k % columns) as f64 * h, ((k / columns) as f64 + 0.5) * h);
            }
            for (k, value) in f.v.iter_mut().enumerate() {
                *value = fy(((k % self.nx) as f64 + 0.5) * h, (k / self.nx) as f64 * h);
            }
            f
        });
    }

    /// The kinds of the u faces then the v faces.
    pub fn face_kinds(&self) -> impl Iterator<Item = FaceKind> + '_ {
        self.u_faces.iter().chain(&self.v_faces).map(|f| match f {
            Face::Free => FaceKind::Free,
            Face::Fixed(_) => FaceKind::Fixed,
            Face::Buried => FaceKind::Buried,
        })
    }

    /// The cell-centred Poisson grid of the projection.
    pub fn poisson(&self) -> &PoissonGrid {
        &self.poisson
    }

    fn cell_solid(&self, i: isize, j: isize) -> bool {
        let wrap = |m: isize, n: usize, axis: Axis| {
            if axis.is_bounded() {
                (0..n as isize).contains(&m).then_some(m as usize)
            } else {
                Some(m.rem_euclid(n as isize) as usize)
            }
        };
        match (wrap(i, self.nx, self.x), wrap(j, self.ny, self.y)) {
            (Some(a), Some(b)) => self.solid[a + self.nx * b],
            _ => false,
        }
    }

    fn classify_faces(&mut self) {
        let classify =
            |normal_axis: Axis, index: usize, cells: usize, before: bool, after: bool| {
                // `before`/`after`: whether the cells on either side (along the normal) are solid.
                if let Some((low, high)) = normal_axis.sides() {
                    if index == 0 {
                        return if after {
                            Face::Fixed(0.0)
                        } else {
                            low.normal_velocity(false).map_or(Face::Free, Face::Fixed)
                        };
                    }
                    if index == cells {
                        return if before {
                            Face::Fixed(0.0)
                        } else {
                            high.normal_velocity(true).map_or(Face::Free, Face::Fixed)
                        };
                    }
                }
                match (before, after) {
                    (true, true) => Face::Buried,
                    (false, false) => Face::Free,
                    _ => Face::Fixed(0.0),
                }
            };
        let (nx, ny) = (self.nx, self.ny);
        self.u_faces = (0..self.u_columns() * ny)
            .map(|k| {
                let (i, j) = (
                    (k % self.u_columns()) as isize,
                    (k / self.u_columns()) as isize,
                );
                classify(
                    self.x,
                    i as usize,
                    nx,
                    self.cell_solid(i - 1, j),
                    self.cell_solid(i, j),
                )
            })
            .collect();
        self.v_faces = (0..nx * self.v_rows())
            .map(|k| {
                let (i, j) = ((k % nx) as isize, (k / nx) as isize);
                classify(
                    self.y,
                    j as usize,
                    ny,
                    self.cell_solid(i, j - 1),
                    self.cell_solid(i, j),
                )
            })
            .collect();
        let (columns, rows) = (self.u_columns(), self.v_rows());
        let buried = |faces: &[Face], k: usize| faces[k] == Face::Buried;
        self.u_plain = (0..columns * ny)
            .map(|k| {
                let (i, j) = (k % columns, k / columns);
                self.u_faces[k] == Face::Free
                    && i >= 1
                    && i + 1 < columns
                    && j >= 1
                    && j + 1 < ny
                    && i < nx
                    && j + 1 < rows
                    && ![k - 1, k + 1, k - columns, k + columns]
                        .iter()
                        .any(|m| buried(&self.u_faces, *m))
            })
            .collect();
        self.v_plain = (0..nx * rows)
            .map(|k| {
                let (i, j) = (k % nx, k / nx);
                self.v_faces[k] == Face::Free
                    && i >= 1
                    && i + 1 < nx
                    && j >= 1
                    && j + 1 < rows
                    && j < ny
                    && i + 1 < columns
                    && ![k - 1, k + 1, k - nx, k + nx]
                        .iter()
                        .any(|m| buried(&self.v_faces, *m))
            })
            .collect();
    }

    /// The fluid at rest: zero on the free faces, the boundary values on the fixed ones.
    pub fn rest(&self) -> Velocity {
        let mut vel = self.zero_velocity();
        self.apply_boundaries(&mut vel);
        vel
    }

    /// A zero field of the shape of a velocity.
    fn zero_velocity(&self) -> Velocity {
        Velocity {
            u: vec![0.0; self.u_columns() * self.ny],
            v: vec![0.0; self.nx * self.v_rows()],
        }
    }

    /// Sets the fixed faces (walls, inflow, obstacles) to their values.
    pub fn apply_boundaries(&self, vel: &mut Velocity) {
        for (value, face) in vel.u.iter_mut().zip(&self.u_faces) {
            match face {
                Face::Fixed(f) => *value = *f,
                Face::Buried => *value = 0.0,
                Face::Free => {}
            }
        }
        for (value, face) in vel.v.iter_mut().zip(&self.v_faces) {
            match face {
                Face::Fixed(f) => *value = *f,
                Face::Buried => *value = 0.0,
                Face::Free => {}
            }
        }
    }

    /// A velocity field from `u(x, y)` and `v(x, y)` sampled at the faces, boundaries applied.
    pub fn sample(&self, u: impl Fn(f64, f64) -> f64, v: impl Fn(f64, f64) -> f64) -> Velocity {
        let h = self.h;
        let mut out = self.zero_velocity();
        let columns = self.u_columns();
        for (k, value) in out.u.iter_mut().enumerate() {
            let (i, j) = (k % columns, k / columns);
            *value = u(i as f64 * h, (j as f64 + 0.5) * h);
        }
        for (k, value) in out.v.iter_mut().enumerate() {
            let (i, j) = (k % self.nx, k / self.nx);
            *value = v((i as f64 + 0.5) * h, j as f64 * h);
        }
        self.apply_boundaries(&mut out);
        out
    }

    /// The value of component `c` at lattice index (i, j), one face outside the stored range
    /// allowed: periodic wrap, zero normal gradient beyond a bounded normal axis, the side's
    /// ghost beyond a bounded tangential axis. A buried face reads as `-mirror_of` when given
    /// (the no-slip mirror of the face reading it) and 0 otherwise.
    #[inline]
    fn fetch(&self, c: Component, data: &[f64], i: isize, j: isize, mirror_of: Option<f64>) -> f64 {
        // (normal axis, tangential axis) in (x, y) order of the lattice.
        let (columns, rows, x_axis, y_axis) = match c {
            Component::U => (self.u_columns(), self.ny, self.x, self.y),
            Component::V => (self.nx, self.v_rows(), self.x, self.y),
        };
        let faces = match c {
            Component::U => &self.u_faces,
            Component::V => &self.v_faces,
        };
        // Along each lattice direction: is it the component's normal direction?
        let x_is_normal = c == Component::U;
        let mut ghost: Option<Side> = None;
        let resolve = |m: isize, n: usize, axis: Axis, normal: bool, ghost: &mut Option<Side>| {
            if (0..n as isize).contains(&m) {
                return m as usize;
            }
            match axis.sides() {
                None => m.rem_euclid(n as isize) as usize,
                Some((low, high)) => {
                    if !normal {
                        *ghost = Some(if m < 0 { low } else { high });
                    }
                    m.clamp(0, n as isize - 1) as usize
                }
            }
        };
        let ii = resolve(i, columns, x_axis, x_is_normal, &mut ghost);
        let jj = resolve(j, rows, y_axis, !x_is_normal, &mut ghost);
        let k = ii + columns * jj;
        let inside = match faces[k] {
            Face::Buried => mirror_of.map_or(0.0, |v| -v),
            _ => data[k],
        };
        match ghost {
            Some(side) => side.tangential_ghost(inside),
            None => inside,
        }
    }

    /// `∇·u` at the cell centres (0 in solid cells).
    pub fn divergence(&self, vel: &Velocity) -> Vec<f64> {
        let mut div = vec![0.0; self.nx * self.ny];
        let columns = self.u_columns();
        for j in 0..self.ny {
            for i in 0..self.nx {
                let k = i + self.nx * j;
                if self.solid[k] {
                    continue;
                }
                let east = if i + 1 < columns { i + 1 } else { 0 };
                let north = if j + 1 < self.v_rows() { j + 1 } else { 0 };
                div[k] = (vel.u[east + columns * j] - vel.u[i + columns * j]
                    + vel.v[i + self.nx * north]
                    - vel.v[k])
                    / self.h;
            }
        }
        div
    }

    /// The largest |∇·u| over the fluid cells.
    pub fn max_divergence(&self, vel: &Velocity) -> f64 {
        self.divergence(vel).iter().fold(0.0, |m, d| m.max(d.abs()))
    }

    /// Projects `vel` onto the discretely divergence-free fields: solves `∇²φ = ∇·u/Δt`
    /// (from `phi` as the initial guess, which keeps the last pressure) and subtracts `Δt ∇φ`
    /// on the free faces. `phi` then holds the pressure.
    pub fn project(
        &self,
        vel: &mut Velocity,
        phi: &mut [f64],
        dt: f64,
        solver: PressureSolver,
        tol: f64,
    ) -> Result<SolveReport, String> {
        let mut solve = self.begin_projection(vel, phi, dt, solver, tol)?;
        while !self.poisson.iterate(&mut solve, phi)? {}
        self.correct(vel, phi, dt);
        Ok(solve.report())
    }

    /// The pressure solve of a projection of `vel` (iterated by the caller on `phi`, then
    /// applied with [`MacGrid::correct`]).
    pub(super) fn begin_projection(
        &self,
        vel: &Velocity,
        phi: &[f64],
        dt: f64,
        solver: PressureSolver,
        tol: f64,
    ) -> Result<PoissonSolve, String> {
        let rhs: Vec<f64> = self.divergence(vel).iter().map(|d| d / dt).collect();
        self.poisson.begin_solve(solver, &rhs, phi, tol, 10_000)
    }

    /// Subtracts `Δt ∇φ` at the free faces.
    pub(super) fn correct(&self, vel: &mut Velocity, phi: &[f64], dt: f64) {
        let scale = dt / self.h;
        let columns = self.u_columns();
        for (k, face) in self.u_faces.iter().enumerate() {
            if *face == Face::Free {
                let (i, j) = ((k % columns) as isize, (k / columns) as isize);
                vel.u[k] -= scale * (self.poisson.at(phi, i, j) - self.poisson.at(phi, i - 1, j));
            }
        }
        for (k, face) in self.v_faces.iter().enumerate() {
            if *face == Face::Free {
                let (i, j) = ((k % self.nx) as isize, (k / self.nx) as isize);
                vel.v[k] -= scale * (self.poisson.at(phi, i, j) - self.poisson.at(phi, i, j - 1));
            }
        }
    }

    /// `−(u·∇)u + ν∇²u + f` at the free faces (0 at the others); `advect = false` leaves out
    /// the advective term (diffusion and force of the semi-Lagrangian schemes).
    pub fn momentum(&self, vel: &Velocity, nu: f64, advect: bool) -> Velocity {
        let (h, mut out) = (self.h, self.zero_velocity());
        let (u, v) = (&vel.u, &vel.v);
        let (inv_2h, inv_h2) = (0.5 / h, 1.0 / (h * h));
        let a = if advect { 1.0 } else { 0.0 };
        let columns = self.u_columns();
        for (k, face) in self.u_faces.iter().enumerate() {
            if *face != Face::Free {
                continue;
            }
            let uc = u[k];
            if self.u_plain[k] {
                let (i, j) = (k % columns, k / columns);
                let (ue, uw, un, us) = (u[k + 1], u[k - 1], u[k + columns], u[k - columns]);
                let (vs, vn) = (i + self.nx * j, i + self.nx * (j + 1));
                let v_bar = 0.25 * (v[vs - 1] + v[vs] + v[vn - 1] + v[vn]);
                out.u[k] = -a * (uc * (ue - uw) + v_bar * (un - us)) * inv_2h
                    + nu * (ue + uw + un + us - 4.0 * uc) * inv_h2;
                continue;
            }
            let (i, j) = ((k % columns) as isize, (k / columns) as isize);
            let ue = self.fetch(Component::U, u, i + 1, j, Some(uc));
            let uw = self.fetch(Component::U, u, i - 1, j, Some(uc));
            let un = self.fetch(Component::U, u, i, j + 1, Some(uc));
            let us = self.fetch(Component::U, u, i, j - 1, Some(uc));
            // v at the u-face: the mean of the four surrounding v-faces.
            let v_bar = 0.25
                * (self.fetch(Component::V, v, i - 1, j, None)
                    + self.fetch(Component::V, v, i, j, None)
                    + self.fetch(Component::V, v, i - 1, j + 1, None)
                    + self.fetch(Component::V, v, i, j + 1, None));
            out.u[k] = -a * (uc * (ue - uw) + v_bar * (un - us)) * inv_2h
                + nu * (ue + uw + un + us - 4.0 * uc) * inv_h2;
        }
        for (k, face) in self.v_faces.iter().enumerate() {
            if *face != Face::Free {
                continue;
            }
            let vc = v[k];
            if self.v_plain[k] {
                let nx = self.nx;
                let (i, j) = (k % nx, k / nx);
                let (ve, vw, vn, vs) = (v[k + 1], v[k - 1], v[k + nx], v[k - nx]);
                let (us, un) = (i + columns * (j - 1), i + columns * j);
                let u_bar = 0.25 * (u[us] + u[us + 1] + u[un] + u[un + 1]);
                out.v[k] = -a * (u_bar * (ve - vw) + vc * (vn - vs)) * inv_2h
                    + nu * (ve + vw + vn + vs - 4.0 * vc) * inv_h2;
                continue;
            }
            let (i, j) = ((k % self.nx) as isize, (k / self.nx) as isize);
            let ve = self.fetch(Component::V, v, i + 1, j, Some(vc));
            let vw = self.fetch(Component::V, v, i - 1, j, Some(vc));
            let vn = self.fetch(Component::V, v, i, j + 1, Some(vc));
            let vs = self.fetch(Component::V, v, i, j - 1, Some(vc));
            let u_bar = 0.25
                * (self.fetch(Component::U, u, i, j - 1, None)
                    + self.fetch(Component::U, u, i + 1, j - 1, None)
                    + self.fetch(Component::U, u, i, j, None)
                    + self.fetch(Component::U, u, i + 1, j, None));
            out.v[k] = -a * (u_bar * (ve - vw) + vc * (vn - vs)) * inv_2h
                + nu * (ve + vw + vn + vs - 4.0 * vc) * inv_h2;
        }
        if let Some(force) = &self.body_force {
            // Free faces only: fixed faces (walls, obstacles painted later) keep their value.
            for ((o, f), face) in out.u.iter_mut().zip(&force.u).zip(&self.u_faces) {
                if *face == Face::Free {
                    *o += f;
                }
            }
            for ((o, f), face) in out.v.iter_mut().zip(&force.v).zip(&self.v_faces) {
                if *face == Face::Free {
                    *o += f;
                }
            }
        }
        out
    }

    /// The time-step limits for Courant number `cfl` and viscosity `nu` under `scheme`.
    pub fn step_limits(&self, vel: &Velocity, nu: f64, cfl: f64, scheme: TimeScheme) -> StepLimits {
        let max_abs = |values: &[f64]| values.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let boundary_speed = [self.x.sides(), self.y.sides()]
            .into_iter()
            .flatten()
            .flat_map(|(a, b)| [a.speed(), b.speed()])
            .fold(0.0, f64::max);
        // A body force F can accelerate the fluid from rest within the step: the speed bound
        // max|u| + √(5 h F) of Bridson ("Fluid Simulation for Computer Graphics", 2nd ed., §3.3).
        let force = self
            .body_force
            .as_ref()
            .map_or(0.0, |f| max_abs(&f.u).max(max_abs(&f.v)));
        let speed =
            (max_abs(&vel.u) + max_abs(&vel.v)).max(boundary_speed) + (5.0 * self.h * force).sqrt();
        // A fluid at rest with nothing driving it: one cell per unit time.
        let advective = cfl * self.h / if speed > 0.0 { speed } else { 1.0 };
        let diffusive = if nu > 0.0 {
            scheme.diffusion_beta() * self.h * self.h / nu
        } else {
            f64::INFINITY
        };
        StepLimits {
            advective,
            diffusive,
            dt: advective.min(diffusive),
        }
    }
}

/// `a + s b`.
fn axpy(a: &Velocity, s: f64, b: &Velocity) -> Velocity {
    Velocity {
        u: a.u.iter().zip(&b.u).map(|(x, y)| x + s * y).collect(),
        v: a.v.iter().zip(&b.v).map(|(x, y)| x + s * y).collect(),
    }
}

/// `wa a + wb b`.
fn blend(a: &Velocity, wa: f64, b: &Velocity, wb: f64) -> Velocity {
    Velocity {
        u: a.u.iter().zip(&b.u).map(|(x, y)| wa * x + wb * y).collect(),
        v: a.v.iter().zip(&b.v).map(|(x, y)| wa * x + wb * y).collect(),
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
mod tests;

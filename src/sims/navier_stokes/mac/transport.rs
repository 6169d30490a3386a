//! Transport on the MAC grid: interpolation on the face and cell lattices and the
//! semi-Lagrangian advection schemes (plain, MacCormack after Selle et al. 2008, BFECC after
//! Kim et al. 2005) of velocity and dye.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Where a field's values live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lattice {
    /// On the faces of one velocity component.
    Face(Component),
    /// At the cell centres (pressure, dye).
    Centre,
}

impl Lattice {
    /// The position of value (0, 0) in cells.
    pub(super) fn offset(self) -> (f64, f64) {
        match self {
            Lattice::Face(Component::U) => (0.0, 0.5),
            Lattice::Face(Component::V) => (0.5, 0.0),
            Lattice::Centre => (0.5, 0.5),
        }
    }
}

/// ⌊x⌋ as an integer without the libm call (`f64::floor` is not inlined on baseline x86-64).
#[inline]
pub(super) fn fast_floor(x: f64) -> isize {
    let t = x as isize;
    if (t as f64) > x { t - 1 } else { t }
}

/// A field on one lattice with what bilinear interpolation needs hoisted out of the point
/// loops. Points whose four values are all stored (nearly all of them) are interpolated
/// inline; the others go through [`MacGrid::interpolate`]'s clamping, wrap and ghosts. The
/// arithmetic is that of `interpolate`, so results are bit for bit the same.
struct LatticeField<'a> {
    grid: &'a MacGrid,
    lattice: Lattice,
    data: &'a [f64],
    columns: usize,
    rows: usize,
    offset: (f64, f64),
}

impl<'a> LatticeField<'a> {
    fn new(grid: &'a MacGrid, lattice: Lattice, data: &'a [f64]) -> Self {
        let (columns, rows) = match lattice {
            Lattice::Face(Component::U) => (grid.u_columns(), grid.ny),
            Lattice::Face(Component::V) => (grid.nx, grid.v_rows()),
            Lattice::Centre => (grid.nx, grid.ny),
        };
        Self {
            grid,
            lattice,
            data,
            columns,
            rows,
            offset: lattice.offset(),
        }
    }

    /// The four values around (x, y) and the weights, when all four are stored.
    #[inline(always)]
    fn corners(&self, x: f64, y: f64) -> Option<([f64; 4], f64, f64)> {
        let (fx, fy) = (
            x / self.grid.h - self.offset.0,
            y / self.grid.h - self.offset.1,
        );
        let (i0, j0) = (fast_floor(fx), fast_floor(fy));
        if i0 >= 0
            && j0 >= 0
            && ((i0 + 1) as usize) < self.columns
            && ((j0 + 1) as usize) < self.rows
        {
            let k = i0 as usize + self.columns * j0 as usize;
            let d = self.data;
            let values = [d[k], d[k + 1], d[k + self.columns], d[k + self.columns + 1]];
            Some((values, fx - i0 as f64, fy - j0 as f64))
        } else {
            None
        }
    }

    /// The interpolated value at (x, y).
    #[inline(always)]
    fn value(&self, x: f64, y: f64) -> f64 {
        match self.corners(x, y) {
            Some(([a, b, c, d], tx, ty)) => bilinear(a, b, c, d, tx, ty),
            None => self.grid.interpolate(self.lattice, self.data, x, y).0,
        }
    }

    /// The interpolated value and the min and max of the four values used.
    #[inline(always)]
    fn value_and_bounds(&self, x: f64, y: f64) -> (f64, f64, f64) {
        match self.corners(x, y) {
            Some(([a, b, c, d], tx, ty)) => (
                bilinear(a, b, c, d, tx, ty),
                a.min(b).min(c).min(d),
                a.max(b).max(c).max(d),
            ),
            None => self.grid.interpolate(self.lattice, self.data, x, y),
        }
    }
}

#[inline(always)]
fn bilinear(a: f64, b: f64, c: f64, d: f64, tx: f64, ty: f64) -> f64 {
    (1.0 - ty) * ((1.0 - tx) * a + tx * b) + ty * ((1.0 - tx) * c + tx * d)
}

/// The two face lattices of a velocity, for point loops.
struct VelocityField<'a> {
    u: LatticeField<'a>,
    v: LatticeField<'a>,
}

impl<'a> VelocityField<'a> {
    fn new(grid: &'a MacGrid, vel: &'a Velocity) -> Self {
        Self {
            u: LatticeField::new(grid, Lattice::Face(Component::U), &vel.u),
            v: LatticeField::new(grid, Lattice::Face(Component::V), &vel.v),
        }
    }

    #[inline(always)]
    fn at(&self, x: f64, y: f64) -> (f64, f64) {
        (self.u.value(x, y), self.v.value(x, y))
    }
}

impl MacGrid {
    /// The velocity at a point (bilinear on each face lattice).
    pub fn velocity_at(&self, vel: &Velocity, x: f64, y: f64) -> (f64, f64) {
        VelocityField::new(self, vel).at(x, y)
    }

    /// Bilinear interpolation of a field on `lattice` at (x, y), with the min and max of the
    /// four values used (the MacCormack/BFECC limiter). Bounded axes clamp the point into the
    /// domain; periodic ones wrap.
    pub(super) fn interpolate(
        &self,
        lattice: Lattice,
        data: &[f64],
        x: f64,
        y: f64,
    ) -> (f64, f64, f64) {
        let (width, height) = (self.nx as f64 * self.h, self.ny as f64 * self.h);
        let x = if self.x.is_bounded() {
            x.clamp(0.0, width)
        } else {
            x
        };
        let y = if self.y.is_bounded() {
            y.clamp(0.0, height)
        } else {
            y
        };
        let field = LatticeField::new(self, lattice, data);
        if let Some(([a, b, c, d], tx, ty)) = field.corners(x, y) {
            // All four values stored: no wrap, no ghost. (Buried faces hold 0, which is what
            // the general path reads for them without a mirror.)
            return (
                bilinear(a, b, c, d, tx, ty),
                a.min(b).min(c).min(d),
                a.max(b).max(c).max(d),
            );
        }
        let (ox, oy) = field.offset;
        let (fx, fy) = (x / self.h - ox, y / self.h - oy);
        let (i0, j0) = (fast_floor(fx), fast_floor(fy));
        let (tx, ty) = (fx - i0 as f64, fy - j0 as f64);
        let value = |i: isize, j: isize| match lattice {
            Lattice::Face(c) => self.fetch(c, data, i, j, None),
            Lattice::Centre => self.fetch_centre(data, i, j),
        };
        let (a, b, c, d) = (
            value(i0, j0),
            value(i0 + 1, j0),
            value(i0, j0 + 1),
            value(i0 + 1, j0 + 1),
        );
        (
            bilinear(a, b, c, d, tx, ty),
            a.min(b).min(c).min(d),
            a.max(b).max(c).max(d),
        )
    }

    /// A cell-centred value with periodic wrap or zero gradient at bounded sides.
    pub(super) fn fetch_centre(&self, data: &[f64], i: isize, j: isize) -> f64 {
        let clamp = |m: isize, n: usize, axis: Axis| {
            if axis.is_bounded() {
                m.clamp(0, n as isize - 1) as usize
            } else {
                m.rem_euclid(n as isize) as usize
            }
        };
        data[clamp(i, self.nx, self.x) + self.nx * clamp(j, self.ny, self.y)]
    }

    /// The positions of the unknowns of a lattice and whether each is advected.
    pub(super) fn lattice_points(&self, lattice: Lattice) -> (usize, Vec<bool>) {
        match lattice {
            Lattice::Face(Component::U) => (
                self.u_columns(),
                self.u_faces.iter().map(|f| *f == Face::Free).collect(),
            ),
            Lattice::Face(Component::V) => (
                self.nx,
                self.v_faces.iter().map(|f| *f == Face::Free).collect(),
            ),
            Lattice::Centre => (self.nx, self.solid.iter().map(|s| !s).collect()),
        }
    }

    /// One semi-Lagrangian pass: each point takes the value of `data` at the foot of its
    /// characteristic through `vel` over `dt` (midpoint back-trace, Stam 1999). Returns the
    /// values and their limiter bounds.
    pub fn semi_lagrangian(
        &self,
        lattice: Lattice,
        data: &[f64],
        vel: &Velocity,
        dt: f64,
    ) -> (Vec<f64>, Vec<(f64, f64)>) {
        let (columns, active) = self.lattice_points(lattice);
        let (ox, oy) = lattice.offset();
        let mut out = data.to_vec();
        let mut bounds = vec![(f64::NEG_INFINITY, f64::INFINITY); data.len()];
        let (velocity, field) = (
            VelocityField::new(self, vel),
            LatticeField::new(self, lattice, data),
        );
        for (k, is_active) in active.iter().enumerate() {
            if !is_active {
                continue;
            }
            let x = ((k % columns) as f64 + ox) * self.h;
            let y = ((k / columns) as f64 + oy) * self.h;
            let (u0, v0) = velocity.at(x, y);
            let (um, vm) = velocity.at(x - 0.5 * dt * u0, y - 0.5 * dt * v0);
            let (value, lo, hi) = field.value_and_bounds(x - dt * um, y - dt * vm);
            out[k] = value;
            bounds[k] = (lo, hi);
        }
        (out, bounds)
    }

    /// Advects a field on `lattice` through `vel` over `dt` with a semi-Lagrangian `scheme`
    /// (SSP schemes are treated as MacCormack here: the dye of every run).
    pub fn advect(
        &self,
        lattice: Lattice,
        data: &[f64],
        vel: &Velocity,
        dt: f64,
        scheme: TimeScheme,
    ) -> Vec<f64> {
        match scheme {
            TimeScheme::SemiLagrangian => self.semi_lagrangian(lattice, data, vel, dt).0,
            TimeScheme::Bfecc => {
                // φ̄ = A(φ); φ̃ = A⁻¹(φ̄); φ_c = φ + ½(φ − φ̃); φ⁺ = A(φ_c), limited.
                let forward = self.semi_lagrangian(lattice, data, vel, dt).0;
                let back = self.semi_lagrangian(lattice, &forward, vel, -dt).0;
                let corrected: Vec<f64> = data
                    .iter()
                    .zip(&back)
                    .map(|(d, b)| d + 0.5 * (d - b))
                    .collect();
                let (mut out, bounds) = self.semi_lagrangian(lattice, &corrected, vel, dt);
                let (_, active) = self.lattice_points(lattice);
                for (k, is_active) in active.iter().enumerate() {
                    out[k] = if *is_active {
                        out[k].clamp(bounds[k].0, bounds[k].1)
                    } else {
                        // Fixed points keep their own value, not the corrected one.
                        data[k]
                    };
                }
                out
            }
            _ => {
                let (forward, bounds) = self.semi_lagrangian(lattice, data, vel, dt);
                self.maccormack_finish(lattice, data, &forward, &bounds, vel, dt)
            }
        }
    }

    /// The second half of a MacCormack step from `data`, given its forward pass
    /// ([`MacGrid::semi_lagrangian`]): φ̂ = A(φ); φ̃ = A⁻¹(φ̂); φ⁺ = φ̂ + ½(φ − φ̃), clamped to
    /// the values the forward interpolation used (Selle et al. 2008, §4). Two halves so that
    /// the live page can put them in different pieces of a frame.
    pub fn maccormack_finish(
        &self,
        lattice: Lattice,
        data: &[f64],
        forward: &[f64],
        bounds: &[(f64, f64)],
        vel: &Velocity,
        dt: f64,
    ) -> Vec<f64> {
        let back = self.semi_lagrangian(lattice, forward, vel, -dt).0;
        forward
            .iter()
            .zip(data.iter().zip(&back))
            .zip(bounds)
            .map(|((f, (d, b)), (lo, hi))| (f + 0.5 * (d - b)).clamp(*lo, *hi))
            .collect()
    }

    pub(super) fn advect_velocity(&self, vel: &Velocity, dt: f64, scheme: TimeScheme) -> Velocity {
        Velocity {
            u: self.advect(Lattice::Face(Component::U), &vel.u, vel, dt, scheme),
            v: self.advect(Lattice::Face(Component::V), &vel.v, vel, dt, scheme),
        }
    }
}

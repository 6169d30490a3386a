//! 2D incompressible Navier–Stokes: a staggered (MAC) grid with a projection method (Chorin
//! 1968) for every geometry, and a pseudo-spectral vorticity solver for the periodic box.
//!
//! - [`poisson`]: the pressure Poisson solvers (Jacobi, red–black SOR, multigrid, FFT);
//! - [`mac`]: boundaries, obstacles, projection and the MAC time schemes;
//! - [`spectral`]: the dealiased pseudo-spectral vorticity equation;
//! - [`reference`]: published tables (Ghia, Ghia & Shin 1982);
//! - [`scenario`]: the scenarios' geometry and initial flows;
//! - [`run`]: a live run with its diagnostics history.

pub mod as_run;
pub mod gpu;
pub mod gpu_run;
pub mod gpu_spectral;
pub mod mac;
pub mod poisson;
pub mod reference;
pub mod run;
pub mod scenario;
pub mod shadow;
pub mod spectral;

use serde::{Deserialize, Serialize};

use mac::TimeScheme;
use poisson::PressureSolver;
use spectral::SpectralScheme;

/// Largest grid side of a CPU run (cells across the short side).
pub const MAX_CELLS: usize = 1024;

/// The scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NsCase {
    /// Lid-driven cavity (Ghia, Ghia & Shin 1982).
    Cavity,
    /// Taylor–Green vortex (exact decaying solution).
    TaylorGreen,
    /// Double shear layer rolling up (Bell, Colella & Glaz 1989).
    KelvinHelmholtz,
    /// Flow past a cylinder in a channel: the von Kármán vortex street.
    Cylinder,
    /// Channel with uniform inflow developing Poiseuille's profile.
    Channel,
    /// Decaying 2D turbulence.
    Turbulence,
    /// Kolmogorov flow (sinusoidally forced).
    Kolmogorov,
}

impl NsCase {
    /// Every scenario.
    pub const ALL: [NsCase; 7] = [
        NsCase::Cavity,
        NsCase::TaylorGreen,
        NsCase::KelvinHelmholtz,
        NsCase::Cylinder,
        NsCase::Channel,
        NsCase::Turbulence,
        NsCase::Kolmogorov,
    ];

    /// The link token.
    pub fn key(self) -> &'static str {
        match self {
            NsCase::Cavity => "cavity",
            NsCase::TaylorGreen => "taylor-green",
            NsCase::KelvinHelmholtz => "kelvin-helmholtz",
            NsCase::Cylinder => "cylinder",
            NsCase::Channel => "channel",
            NsCase::Turbulence => "turbulence",
            NsCase::Kolmogorov => "kolmogorov",
        }
    }

    /// What it is, for tooltips.
    pub fn doc(self) -> &'static str {
        match self {
            NsCase::Cavity => {
                "Unit square, lid moving at u = 1 on top. Centre-line velocities against Ghia, Ghia & Shin (1982) at Re = 100, 400, 1000."
            }
            NsCase::TaylorGreen => {
                "u = sin x cos y, v = −cos x sin y on [0, 2π)²: an exact solution decaying as e^{−2νt}; the error is measured against it."
            }
            NsCase::KelvinHelmholtz => {
                "Two thin shear layers (Bell, Colella & Glaz 1989) perturbed by v = 0.05 sin x roll up into vortices."
            }
            NsCase::Cylinder => {
                "Uniform inflow past a cylinder of diameter 1 in a 16 × 8 channel: the von Kármán street; the Strouhal number is measured at a wake probe."
            }
            NsCase::Channel => {
                "Uniform inflow between no-slip walls develops Poiseuille's parabola u = 6y(1 − y) downstream (exact)."
            }
            NsCase::Turbulence => {
                "Random vortices (energy spectrum peaked at k = 6) decaying: energy cascades to large scales, enstrophy to small ones; the spectrum tends to k^-3."
            }
            NsCase::Kolmogorov => {
                "Forcing f = (sin 4y, 0): laminar flow F/(νk²) sin(4y) (exact spin-up) below the critical Reynolds number, turbulence above it."
            }
        }
    }

    /// The display name.
    pub fn label(self) -> &'static str {
        match self {
            NsCase::Cavity => "Lid-driven cavity",
            NsCase::TaylorGreen => "Taylor–Green vortex",
            NsCase::KelvinHelmholtz => "Kelvin–Helmholtz shear layer",
            NsCase::Cylinder => "Flow past a cylinder",
            NsCase::Channel => "Channel (Poiseuille)",
            NsCase::Turbulence => "Decaying 2D turbulence",
            NsCase::Kolmogorov => "Kolmogorov flow",
        }
    }

    /// Whether the domain is the doubly periodic box (where the spectral solver applies).
    pub fn is_periodic(self) -> bool {
        matches!(
            self,
            NsCase::TaylorGreen | NsCase::KelvinHelmholtz | NsCase::Turbulence | NsCase::Kolmogorov
        )
    }

    /// The default parameters of this scenario.
    pub fn defaults(self) -> NsParams {
        let base = NsParams {
            case: self,
            n: 128,
            reynolds: 100.0,
            solver: NsSolver::Mac(TimeScheme::SspRk3),
            pressure: PressureKind::Multigrid,
            omega: 1.9,
            tol: 1e-6,
            cfl: 0.5,
            seed: 1,
            mask: None,
        };
        match self {
            NsCase::Cavity => base,
            NsCase::TaylorGreen => NsParams {
                n: 64,
                pressure: PressureKind::Fft,
                ..base
            },
            NsCase::KelvinHelmholtz => NsParams {
                reynolds: 10_000.0,
                solver: NsSolver::Mac(TimeScheme::MacCormack),
                pressure: PressureKind::Fft,
                ..base
            },
            NsCase::Cylinder => NsParams {
                n: 64,
                solver: NsSolver::Mac(TimeScheme::MacCormack),
                ..base
            },
            NsCase::Channel => NsParams {
                n: 24,
                reynolds: 10.0,
                ..base
            },
            NsCase::Turbulence => NsParams {
                reynolds: 10_000.0,
                solver: NsSolver::Spectral(SpectralScheme::IntegratingFactorRk4),
                pressure: PressureKind::Fft,
                cfl: 0.8,
                ..base
            },
            NsCase::Kolmogorov => NsParams {
                n: 64,
                reynolds: 40.0,
                solver: NsSolver::Spectral(SpectralScheme::IntegratingFactorRk4),
                pressure: PressureKind::Fft,
                cfl: 0.8,
                ..base
            },
        }
    }
}

/// The time integrator: a MAC scheme or a spectral one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NsSolver {
    /// The staggered grid with a projection.
    Mac(TimeScheme),
    /// The pseudo-spectral vorticity form (periodic scenarios).
    Spectral(SpectralScheme),
}

impl NsSolver {
    /// Every solver.
    pub const ALL: [NsSolver; 7] = [
        NsSolver::Mac(TimeScheme::SspRk2),
        NsSolver::Mac(TimeScheme::SspRk3),
        NsSolver::Mac(TimeScheme::SemiLagrangian),
        NsSolver::Mac(TimeScheme::MacCormack),
        NsSolver::Mac(TimeScheme::Bfecc),
        NsSolver::Spectral(SpectralScheme::Rk4),
        NsSolver::Spectral(SpectralScheme::IntegratingFactorRk4),
    ];

    /// The link token.
    pub fn key(self) -> &'static str {
        match self {
            NsSolver::Mac(TimeScheme::SspRk2) => "rk2",
            NsSolver::Mac(TimeScheme::SspRk3) => "rk3",
            NsSolver::Mac(TimeScheme::SemiLagrangian) => "sl",
            NsSolver::Mac(TimeScheme::MacCormack) => "maccormack",
            NsSolver::Mac(TimeScheme::Bfecc) => "bfecc",
            NsSolver::Spectral(SpectralScheme::Rk4) => "spectral-rk4",
            NsSolver::Spectral(SpectralScheme::IntegratingFactorRk4) => "spectral-if",
        }
    }

    /// The formal order in time (the spatial discretisation is fixed by the grid): SSP-RK2/3
    /// (Shu & Osher 1988); semi-Lagrangian is first order (Stam 1999); MacCormack and BFECC
    /// raise it to second (Selle et al. 2008, Kim et al. 2005); classical RK4, and RK4 in
    /// Lawson's integrating-factor form, are fourth order.
    pub fn time_order(self) -> u32 {
        match self {
            NsSolver::Mac(TimeScheme::SemiLagrangian) => 1,
            NsSolver::Mac(TimeScheme::SspRk2 | TimeScheme::MacCormack | TimeScheme::Bfecc) => 2,
            NsSolver::Mac(TimeScheme::SspRk3) => 3,
            NsSolver::Spectral(_) => 4,
        }
    }

    /// What it is, for tooltips.
    pub fn doc(self) -> &'static str {
        match self {
            NsSolver::Mac(mac::TimeScheme::SspRk2) => {
                "Staggered grid, central advection, SSP-RK2 (Shu & Osher 1988) with a projection per stage: second order, CFL-bound."
            }
            NsSolver::Mac(mac::TimeScheme::SspRk3) => {
                "Staggered grid, central advection, SSP-RK3 with a projection per stage: second order in space, third in time."
            }
            NsSolver::Mac(mac::TimeScheme::SemiLagrangian) => {
                "Stam's stable fluids: trace back along the flow and interpolate. Stable at any CFL, first order, visibly diffusive."
            }
            NsSolver::Mac(mac::TimeScheme::MacCormack) => {
                "Semi-Lagrangian forward and back, half the round-trip error corrected, limited (Selle et al. 2008): far less diffusion."
            }
            NsSolver::Mac(mac::TimeScheme::Bfecc) => {
                "Back and forth error compensation and correction (Kim et al. 2005), limited."
            }
            NsSolver::Spectral(spectral::SpectralScheme::Rk4) => {
                "Pseudo-spectral vorticity (2/3 dealiasing) with classical RK4; the viscous term limits Δt at high resolution."
            }
            NsSolver::Spectral(spectral::SpectralScheme::IntegratingFactorRk4) => {
                "Pseudo-spectral vorticity with integrating-factor RK4: viscosity exact, only advection limits Δt."
            }
        }
    }

    /// The display name.
    pub fn label(self) -> &'static str {
        match self {
            NsSolver::Mac(TimeScheme::SspRk2) => "MAC · SSP-RK2 (central)",
            NsSolver::Mac(TimeScheme::SspRk3) => "MAC · SSP-RK3 (central)",
            NsSolver::Mac(TimeScheme::SemiLagrangian) => "MAC · semi-Lagrangian (Stam)",
            NsSolver::Mac(TimeScheme::MacCormack) => "MAC · MacCormack",
            NsSolver::Mac(TimeScheme::Bfecc) => "MAC · BFECC",
            NsSolver::Spectral(SpectralScheme::Rk4) => "Spectral · RK4",
            NsSolver::Spectral(SpectralScheme::IntegratingFactorRk4) => {
                "Spectral · integrating-factor RK4"
            }
        }
    }

    /// Whether this is the spectral solver.
    pub fn is_spectral(self) -> bool {
        matches!(self, NsSolver::Spectral(_))
    }
}

/// The pressure solver choice (ω separate, so switching keeps it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PressureKind {
    /// Jacobi.
    Jacobi,
    /// Red–black SOR.
    Sor,
    /// Multigrid V-cycles.
    Multigrid,
    /// FFT (periodic, no obstacles).
    Fft,
}

impl PressureKind {
    /// Every pressure solver.
    pub const ALL: [PressureKind; 4] = [
        PressureKind::Jacobi,
        PressureKind::Sor,
        PressureKind::Multigrid,
        PressureKind::Fft,
    ];

    /// The link token.
    pub fn key(self) -> &'static str {
        match self {
            PressureKind::Jacobi => "jacobi",
            PressureKind::Sor => "sor",
            PressureKind::Multigrid => "mg",
            PressureKind::Fft => "fft",
        }
    }

    /// What it is, for tooltips.
    pub fn doc(self) -> &'static str {
        match self {
            PressureKind::Jacobi => "Jacobi iteration: the textbook baseline, O(n²) sweeps.",
            PressureKind::Sor => {
                "Red–black successive over-relaxation with factor ω: O(n) sweeps at the optimal ω."
            }
            PressureKind::Multigrid => {
                "Geometric multigrid V(2,2)-cycles: a fixed number of cycles at any size."
            }
            PressureKind::Fft => "Direct solve by the 2D FFT (periodic, no obstacles).",
        }
    }

    /// The display name.
    pub fn label(self) -> &'static str {
        match self {
            PressureKind::Jacobi => "Jacobi",
            PressureKind::Sor => "Red–black SOR",
            PressureKind::Multigrid => "Multigrid V(2,2)",
            PressureKind::Fft => "FFT (periodic)",
        }
    }

    /// The solver with its ω.
    pub fn solver(self, omega: f64) -> PressureSolver {
        match self {
            PressureKind::Jacobi => PressureSolver::Jacobi,
            PressureKind::Sor => PressureSolver::RedBlackSor { omega },
            PressureKind::Multigrid => PressureSolver::Multigrid,
            PressureKind::Fft => PressureSolver::Fft,
        }
    }
}

/// Painted obstacle cells on an `nx × ny` grid, row-major from the bottom-left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObstacleMask {
    /// Cells in x.
    pub nx: usize,
    /// Cells in y.
    pub ny: usize,
    /// One flag per cell.
    pub solid: Vec<bool>,
}

impl ObstacleMask {
    /// An empty mask.
    pub fn empty(nx: usize, ny: usize) -> ObstacleMask {
        ObstacleMask {
            nx,
            ny,
            solid: vec![false; nx * ny],
        }
    }

    /// Whether no cell is solid.
    pub fn is_empty(&self) -> bool {
        !self.solid.iter().any(|s| *s)
    }

    /// The mask resampled (nearest cell) to `nx × ny`.
    pub fn resampled(&self, nx: usize, ny: usize) -> ObstacleMask {
        if (nx, ny) == (self.nx, self.ny) {
            return self.clone();
        }
        let solid = (0..nx * ny)
            .map(|k| {
                let (i, j) = (k % nx, k / nx);
                let si = ((i as f64 + 0.5) * self.nx as f64 / nx as f64) as usize;
                let sj = ((j as f64 + 0.5) * self.ny as f64 / ny as f64) as usize;
                self.solid[si.min(self.nx - 1) + self.nx * sj.min(self.ny - 1)]
            })
            .collect();
        ObstacleMask { nx, ny, solid }
    }

    /// The compact link form `NXxNY.RUNS`: the lengths of alternating runs of fluid and solid
    /// cells (starting with fluid, row-major), each as an unsigned LEB128 varint, the bytes in
    /// unpadded base64url. A painted blob on 128² takes a few dozen characters.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::new();
        let mut current = false;
        let mut run = 0u64;
        let push = |mut value: u64, bytes: &mut Vec<u8>| loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                bytes.push(byte);
                break;
            }
            bytes.push(byte | 0x80);
        };
        for &cell in &self.solid {
            if cell == current {
                run += 1;
            } else {
                push(run, &mut bytes);
                current = cell;
                run = 1;
            }
        }
        push(run, &mut bytes);
        format!("{}x{}.{}", self.nx, self.ny, base64url_encode(&bytes))
    }

    /// Parses [`Self::encode`]'s form; every failure says what is wrong.
    pub fn decode(text: &str) -> Result<ObstacleMask, String> {
        let (size, runs) = text
            .split_once('.')
            .ok_or("expected NXxNY.RUNS (e.g. 128x128.…)")?;
        let (nx, ny) = size
            .split_once('x')
            .ok_or("expected the mask size as NXxNY")?;
        let nx: usize = nx.parse().map_err(|_| format!("bad mask width '{nx}'"))?;
        let ny: usize = ny.parse().map_err(|_| format!("bad mask height '{ny}'"))?;
        if !(4..=MAX_CELLS * 4).contains(&nx) || !(4..=MAX_CELLS).contains(&ny) {
            return Err(format!("mask size {nx}×{ny} is out of range"));
        }
        let bytes = base64url_decode(runs)?;
        let mut solid = Vec::with_capacity(nx * ny);
        let mut current = false;
        let mut value = 0u64;
        let mut shift = 0;
        for byte in bytes {
            if shift > 56 {
                return Err("a run length in the mask is too long".into());
            }
            value |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if solid.len() as u64 + value > (nx * ny) as u64 {
                    return Err("the mask's runs cover more cells than its size".into());
                }
                solid.extend(std::iter::repeat_n(current, value as usize));
                current = !current;
                value = 0;
                shift = 0;
            }
        }
        if shift != 0 {
            return Err("the mask ends inside a run length".into());
        }
        if solid.len() != nx * ny {
            return Err(format!(
                "the mask's runs cover {} cells, its size {}",
                solid.len(),
                nx * ny
            ));
        }
        Ok(ObstacleMask { nx, ny, solid })
    }
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word = chunk
            .iter()
            .enumerate()
            .fold(0u32, |w, (i, b)| w | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(BASE64URL[((word >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn base64url_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut word, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let value = BASE64URL
            .iter()
            .position(|b| *b == c)
            .ok_or_else(|| format!("'{}' is not a base64url character", c as char))?;
        word = (word << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((word >> bits) as u8);
            word &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// The parameters of a Navier–Stokes run: everything a link carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NsParams {
    /// The scenario.
    pub case: NsCase,
    /// Cells across the domain's short side (the spectral grid is n × n).
    pub n: usize,
    /// Reynolds number `U L / ν` with the scenario's velocity and length scales.
    pub reynolds: f64,
    /// The time integrator.
    pub solver: NsSolver,
    /// The pressure solver of the MAC schemes.
    pub pressure: PressureKind,
    /// SOR's over-relaxation factor.
    pub omega: f64,
    /// Relative residual the pressure solve must reach.
    pub tol: f64,
    /// Courant number of the time step.
    pub cfl: f64,
    /// Seed of the random initial fields and perturbations.
    pub seed: u64,
    /// Painted obstacles (MAC solvers).
    pub mask: Option<ObstacleMask>,
}

impl Default for NsParams {
    fn default() -> Self {
        NsCase::Cavity.defaults()
    }
}

impl NsParams {
    /// The grid `(nx, ny)` of the MAC solver (the spectral grid is n × n).
    pub fn cells(&self) -> (usize, usize) {
        match self.case {
            NsCase::Cylinder => (2 * self.n, self.n),
            NsCase::Channel => (4 * self.n, self.n),
            _ => (self.n, self.n),
        }
    }

    /// Kinematic viscosity ν = U L / Re (U = L = 1 in every scenario's units).
    pub fn viscosity(&self) -> f64 {
        scenario::velocity_scale(self.case) * scenario::length_scale(self.case) / self.reynolds
    }

    /// Checks the parameters; the message says what to change.
    pub fn validate(&self) -> Result<(), String> {
        if self.n < 16 || self.n > MAX_CELLS {
            return Err(format!(
                "the grid must have 16 to {MAX_CELLS} cells across, got {}",
                self.n
            ));
        }
        let (nx, ny) = self.cells();
        if nx * ny > MAX_CELLS * MAX_CELLS {
            return Err(format!(
                "{nx} × {ny} cells is more than the {MAX_CELLS}² this build runs: lower n to {}",
                (MAX_CELLS * MAX_CELLS / (nx / self.n)).isqrt()
            ));
        }
        if !(self.reynolds.is_finite() && self.reynolds > 0.0 && self.reynolds <= 1e7) {
            return Err(format!(
                "the Reynolds number must be positive and at most 1e7, got {}",
                self.reynolds
            ));
        }
        if !(self.cfl.is_finite() && self.cfl > 0.0 && self.cfl <= 10.0) {
            return Err(format!(
                "the CFL number must be in (0, 10], got {}",
                self.cfl
            ));
        }
        if !(self.tol.is_finite() && self.tol > 0.0 && self.tol < 1.0) {
            return Err(format!(
                "the pressure tolerance must be in (0, 1), got {}",
                self.tol
            ));
        }
        if !(self.omega.is_finite() && self.omega > 0.0 && self.omega < 2.0) {
            return Err(format!("SOR needs 0 < ω < 2, got {}", self.omega));
        }
        if self.solver.is_spectral() {
            if !self.case.is_periodic() {
                return Err(format!(
                    "the spectral solver needs a periodic box; {} has walls (pick a MAC scheme)",
                    self.case.label()
                ));
            }
            if !self.n.is_multiple_of(2) {
                return Err("the spectral grid needs an even n".into());
            }
            if self.mask.as_ref().is_some_and(|m| !m.is_empty()) {
                return Err("the spectral solver cannot have obstacles (pick a MAC scheme)".into());
            }
        }
        if !self.solver.is_spectral() {
            let (nx, ny) = self.cells();
            if self.pressure == PressureKind::Fft {
                if !self.case.is_periodic() {
                    return Err(format!(
                        "the FFT pressure solver needs a periodic box; {} has walls (pick multigrid)",
                        self.case.label()
                    ));
                }
                if self.mask.as_ref().is_some_and(|m| !m.is_empty()) {
                    return Err(
                        "the FFT pressure solver cannot handle obstacles (pick multigrid)".into(),
                    );
                }
            }
            if self.pressure == PressureKind::Multigrid
                && !(nx.is_multiple_of(4) && ny.is_multiple_of(4))
            {
                return Err(format!(
                    "multigrid needs cell counts divisible by 4, got {nx} × {ny}"
                ));
            }
        }
        if let Some(mask) = &self.mask
            && mask.solid.len() != mask.nx * mask.ny
        {
            return Err("the obstacle mask is malformed".into());
        }
        Ok(())
    }
}

crate::impl_choice!(NsCase, NsSolver, PressureKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_round_trip_compactly() {
        let mut mask = ObstacleMask::empty(128, 128);
        for (k, cell) in mask.solid.iter_mut().enumerate() {
            let (x, y) = ((k % 128) as f64 - 40.0, (k / 128) as f64 - 70.0);
            *cell = x.hypot(y) < 12.0 || (k % 128 > 100 && k / 128 < 10);
        }
        let text = mask.encode();
        assert!(text.len() < 200, "{} characters: {text}", text.len());
        assert_eq!(ObstacleMask::decode(&text).expect("decodes"), mask);
        let empty = ObstacleMask::empty(64, 32);
        assert_eq!(
            ObstacleMask::decode(&empty.encode()).expect("decodes"),
            empty
        );
        for bad in [
            "",
            "12x12",
            "axb.AA",
            "4x4.!!",
            "4x4.gA",
            "4x4.EQ",
            "100000x4.AA",
            "4x4.____",
        ] {
            assert!(ObstacleMask::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_case_has_valid_defaults_and_bad_values_are_named() {
        for case in NsCase::ALL {
            case.defaults().validate().expect("defaults are valid");
        }
        // The largest grids: 1024² in the box and the cavity, 1448 × 724 around the cylinder.
        let big = NsParams {
            n: 1024,
            ..NsCase::Cavity.defaults()
        };
        big.validate().expect("1024² is allowed");
        let err = NsParams {
            n: 1024,
            ..NsCase::Cylinder.defaults()
        }
        .validate()
        .expect_err("2048 × 1024 is too many");
        assert!(err.contains("724"), "{err}");
        let p = NsCase::Cavity.defaults();
        for bad in [
            NsParams { n: 4, ..p.clone() },
            NsParams {
                reynolds: f64::NAN,
                ..p.clone()
            },
            NsParams {
                cfl: 0.0,
                ..p.clone()
            },
            NsParams {
                tol: 0.0,
                ..p.clone()
            },
            NsParams {
                omega: 2.0,
                ..p.clone()
            },
            NsParams {
                solver: NsSolver::Spectral(SpectralScheme::Rk4),
                ..p.clone()
            },
            NsParams {
                pressure: PressureKind::Fft,
                ..p.clone()
            },
            NsParams { n: 66, ..p.clone() },
            NsParams {
                n: 1024,
                ..NsCase::Cylinder.defaults()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}

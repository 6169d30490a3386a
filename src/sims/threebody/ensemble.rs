//! Ensembles of independent systems for chaos maps: a grid of initial conditions varying two
//! coordinates of one body around the current scenario, each integrated to `t_end`. Per
//! member: the escape time, the final energy error, and a finite-time Lyapunov indicator.
//!
//! The f64 reference here runs exactly the algorithm of `shaders/nbody_ensemble.wgsl` (f32,
//! one invocation per member), so the two can be compared member by member: kick–drift–kick
//! leapfrog with the adaptive step `h = η·τ` (τ the pair time scale of
//! [`super::Gravity::pair_timescale`]), and a shadow trajectory started `DELTA0` away,
//! advanced with the same steps and renormalised whenever it has separated by
//! `RENORMALISE_AT` (Benettin et al. 1980): λ ≈ Σ ln(δ/δ0) / t.

use serde::{Deserialize, Serialize};

use super::{Body, Gravity, axpy3, dot3, norm3, sub3};

/// Initial phase-space separation of the shadow trajectory.
pub const DELTA0: f64 = 1e-4;

/// The shadow is pulled back to `DELTA0` once it is this far away.
pub const RENORMALISE_AT: f64 = 1e-2;

/// Step cap per member: a member grazing a collision would otherwise hold the whole map
/// back (its escape time then reads t_end; the map counts such members).
pub const MAX_MEMBER_STEPS: u32 = 50_000;

/// Which two coordinates of the chosen body vary across the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EnsemblePlane {
    /// Initial x and y of the body.
    Position,
    /// Initial vx and vy of the body.
    Velocity,
}

impl EnsemblePlane {
    /// Both planes.
    pub const ALL: [EnsemblePlane; 2] = [EnsemblePlane::Position, EnsemblePlane::Velocity];

    /// Link token.
    pub fn key(self) -> &'static str {
        match self {
            EnsemblePlane::Position => "xy",
            EnsemblePlane::Velocity => "vxvy",
        }
    }

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            EnsemblePlane::Position => "initial x, y",
            EnsemblePlane::Velocity => "initial vx, vy",
        }
    }
    /// What varies across the map, in a sentence.
    pub fn doc(self) -> &'static str {
        match self {
            EnsemblePlane::Position => {
                "The chosen body's initial position varies across the map, x horizontally and y vertically."
            }
            EnsemblePlane::Velocity => {
                "The chosen body's initial velocity varies across the map, vx horizontally and vy vertically."
            }
        }
    }
}

/// What a map pixel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Indicator {
    /// Time until a body leaves the escape radius (t_end if none does).
    EscapeTime,
    /// |E − E0|/|E0| at the end (or at escape).
    EnergyError,
    /// Finite-time Lyapunov exponent estimate.
    Lyapunov,
}

impl Indicator {
    /// All indicators.
    pub const ALL: [Indicator; 3] = [
        Indicator::EscapeTime,
        Indicator::EnergyError,
        Indicator::Lyapunov,
    ];

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Indicator::EscapeTime => "escape time",
            Indicator::EnergyError => "final energy error (log)",
            Indicator::Lyapunov => "Lyapunov indicator",
        }
    }
}

/// The ensemble's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnsembleParams {
    /// Pixels per side.
    pub resolution: u32,
    /// Which body's coordinates vary (0-based).
    pub body: usize,
    /// Which coordinates vary.
    pub plane: EnsemblePlane,
    /// Half-width of the varied range around the scenario's value.
    pub span: f64,
    /// Integration time of every member.
    pub t_end: f64,
    /// Step parameter η of `h = η·τ`.
    pub eta: f64,
    /// A body farther than this from the centre of mass has escaped.
    pub escape_radius: f64,
}

impl Default for EnsembleParams {
    fn default() -> Self {
        Self {
            resolution: 256,
            body: 0,
            plane: EnsemblePlane::Position,
            span: 0.5,
            t_end: 20.0,
            eta: 0.01,
            escape_radius: 10.0,
        }
    }
}

impl EnsembleParams {
    /// Checks the parameters against the base system of `n` bodies.
    pub fn validate(&self, n: usize) -> Result<(), String> {
        if !(4..=1024).contains(&self.resolution) {
            return Err(format!(
                "map resolution must be 4 … 1024 pixels, got {}",
                self.resolution
            ));
        }
        if self.body >= n {
            return Err(format!(
                "the varied body must be 1 … {n}, got {}",
                self.body + 1
            ));
        }
        for (name, v) in [
            ("span", self.span),
            ("t_end", self.t_end),
            ("η", self.eta),
            ("escape radius", self.escape_radius),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("{name} must be a positive number, got {v}"));
            }
        }
        Ok(())
    }

    /// The varied coordinates' offsets of pixel (ix, iy): centres of a uniform grid over
    /// [−span, span]², y growing upwards (row 0 is the top of the image).
    pub fn offsets(&self, ix: u32, iy: u32) -> (f64, f64) {
        let n = f64::from(self.resolution);
        let u = (f64::from(ix) + 0.5) / n * 2.0 - 1.0;
        let v = 1.0 - (f64::from(iy) + 0.5) / n * 2.0;
        (u * self.span, v * self.span)
    }
}

/// The initial conditions of pixel (ix, iy): `base` with the chosen body's coordinates
/// shifted, then moved to the centre-of-mass frame again.
pub fn member_bodies(base: &[Body], p: &EnsembleParams, ix: u32, iy: u32) -> Vec<Body> {
    let mut bodies = base.to_vec();
    let (du, dv) = p.offsets(ix, iy);
    let b = &mut bodies[p.body];
    match p.plane {
        EnsemblePlane::Position => {
            b.x[0] += du;
            b.x[1] += dv;
        }
        EnsemblePlane::Velocity => {
            b.v[0] += du;
            b.v[1] += dv;
        }
    }
    super::scenarios::to_centre_of_mass_frame(&mut bodies);
    bodies
}

/// One member's result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemberResult {
    /// When a body left the escape radius (t_end if none did).
    pub escape_time: f64,
    /// |E − E0|/|E0| when the integration stopped.
    pub energy_error: f64,
    /// Σ ln(δ/δ0) / t.
    pub lyapunov: f64,
    /// Steps taken.
    pub steps: u32,
}

impl MemberResult {
    /// The value of `indicator`.
    pub fn value(&self, indicator: Indicator) -> f64 {
        match indicator {
            Indicator::EscapeTime => self.escape_time,
            Indicator::EnergyError => self.energy_error.max(1e-18).log10(),
            Indicator::Lyapunov => self.lyapunov,
        }
    }
}

/// Phase-space distance between two states (Σ |Δx|² + |Δv|²)^½.
fn separation(x: &[[f64; 3]], v: &[[f64; 3]], xs: &[[f64; 3]], vs: &[[f64; 3]]) -> f64 {
    let mut sum = 0.0;
    for (a, b) in x.iter().zip(xs).chain(v.iter().zip(vs)) {
        let d = sub3(*a, *b);
        sum += dot3(d, d);
    }
    sum.sqrt()
}

/// One kick–drift–kick step of size `h`.
fn leapfrog(g: &Gravity, x: &mut [[f64; 3]], v: &mut [[f64; 3]], a: &mut [[f64; 3]], h: f64) {
    g.accelerations(x, a);
    for (vi, ai) in v.iter_mut().zip(a.iter()) {
        axpy3(0.5 * h, *ai, vi);
    }
    for (xi, vi) in x.iter_mut().zip(v.iter()) {
        axpy3(h, *vi, xi);
    }
    g.accelerations(x, a);
    for (vi, ai) in v.iter_mut().zip(a.iter()) {
        axpy3(0.5 * h, *ai, vi);
    }
}

/// Integrates one member in f64 (the reference of the WGSL kernel; same algorithm, same
/// constants). Returns its result and final positions.
pub fn integrate_member(
    bodies: &[Body],
    p: &EnsembleParams,
    softening: f64,
) -> (MemberResult, Vec<[f64; 3]>) {
    let g = Gravity::new(bodies, softening);
    let n = bodies.len();
    let mut x: Vec<[f64; 3]> = bodies.iter().map(|b| b.x).collect();
    let mut v: Vec<[f64; 3]> = bodies.iter().map(|b| b.v).collect();
    // The shadow starts displaced along the first body's x by DELTA0.
    let mut xs = x.clone();
    let mut vs = v.clone();
    xs[0][0] += DELTA0;
    let mut a = vec![[0.0; 3]; n];
    let mut a_shadow = vec![[0.0; 3]; n];
    let energy0 = g.energy(&x, &v);
    let total_mass: f64 = g.masses.iter().sum();
    let mut t = 0.0;
    let mut log_growth = 0.0;
    let mut steps = 0;
    let mut escape_time = p.t_end;
    while t < p.t_end && steps < MAX_MEMBER_STEPS {
        let tau = g.pair_timescale(&x, &v);
        let h = (p.eta * tau).min(p.t_end - t);
        if !(h > 0.0 && h.is_finite()) {
            break;
        }
        leapfrog(&g, &mut x, &mut v, &mut a, h);
        leapfrog(&g, &mut xs, &mut vs, &mut a_shadow, h);
        t += h;
        steps += 1;
        let delta = separation(&x, &v, &xs, &vs);
        if delta > RENORMALISE_AT {
            log_growth += (delta / DELTA0).ln();
            let pull = DELTA0 / delta;
            for i in 0..n {
                for k in 0..3 {
                    xs[i][k] = x[i][k] + (xs[i][k] - x[i][k]) * pull;
                    vs[i][k] = v[i][k] + (vs[i][k] - v[i][k]) * pull;
                }
            }
        }
        // Escape: a body farther than the escape radius from the centre of mass.
        let mut com = [0.0; 3];
        for (m, xi) in g.masses.iter().zip(&x) {
            axpy3(m / total_mass, *xi, &mut com);
        }
        if x.iter().any(|xi| norm3(sub3(*xi, com)) > p.escape_radius) {
            escape_time = t;
            break;
        }
    }
    let delta = separation(&x, &v, &xs, &vs);
    let lyapunov = if t > 0.0 {
        (log_growth + (delta / DELTA0).ln()) / t
    } else {
        0.0
    };
    let energy = g.energy(&x, &v);
    let result = MemberResult {
        escape_time,
        energy_error: super::relative_drift(energy, energy0),
        lyapunov,
        steps,
    };
    (result, x)
}

/// The f64 ensemble: every member of the map, row-major from the top-left pixel.
pub fn integrate_cpu(base: &[Body], p: &EnsembleParams, softening: f64) -> Vec<MemberResult> {
    let n = p.resolution;
    let mut out = Vec::with_capacity((n * n) as usize);
    for iy in 0..n {
        for ix in 0..n {
            let bodies = member_bodies(base, p, ix, iy);
            out.push(integrate_member(&bodies, p, softening).0);
        }
    }
    out
}

crate::impl_choice!(EnsemblePlane);

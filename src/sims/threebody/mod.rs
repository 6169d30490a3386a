//! Newtonian gravity of 2 to 16 point masses in 3D, G = 1:
//!
//! ```text
//! ẍ_i = Σ_{j≠i} m_j (x_j − x_i) / (|x_j − x_i|² + ε²)^{3/2}
//! ```
//!
//! with optional Plummer softening ε (0 by default: the exact Newtonian problem). Conserved:
//! energy `E = Σ m_i|v_i|²/2 − Σ_{i<j} m_i m_j / sqrt(r_ij² + ε²)`, linear momentum and angular
//! momentum; their drifts are the diagnostics.
//!
//! Integrators: leapfrog (kick–drift–kick), Yoshida's 4th-order symplectic composition, RK4,
//! the embedded DOPRI5 and DOP853 of the shared core, the 4th-order Hermite scheme with
//! Aarseth's step criterion, and IAS15 (Rein & Spiegel 2015). See [`integrators`] and [`ias15`].

pub mod as_run;
pub mod cpu;
pub mod ensemble;
pub mod gpu_ensemble;
pub mod gpu_race;
pub mod gpu_run;
pub mod ias15;
pub mod integrators;
pub mod scenarios;

use serde::{Deserialize, Serialize};

use crate::core::controller::ControllerKind;
use crate::core::format_f64;

/// Most bodies a run may have.
pub const MAX_BODIES: usize = 16;

/// The integrators of the N-body problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThreeBodyMethod {
    /// Leapfrog, kick–drift–kick: 2nd order, symplectic, time-reversible.
    Leapfrog,
    /// Yoshida's triple-jump composition of leapfrog: 4th order, symplectic.
    Yoshida4,
    /// Classical Runge–Kutta: 4th order, not symplectic.
    Rk4,
    /// Dormand–Prince 5(4), adaptive.
    Dopri5,
    /// Hairer's DOP853, 8th order, adaptive.
    Dop853,
    /// Hermite 4th-order predictor–corrector with Aarseth's step criterion.
    Hermite4,
    /// IAS15: 15th-order Gauss–Radau predictor–corrector with its own adaptive step.
    Ias15,
}

impl ThreeBodyMethod {
    /// All methods, in menu order.
    pub const ALL: [ThreeBodyMethod; 7] = [
        ThreeBodyMethod::Leapfrog,
        ThreeBodyMethod::Yoshida4,
        ThreeBodyMethod::Rk4,
        ThreeBodyMethod::Dopri5,
        ThreeBodyMethod::Dop853,
        ThreeBodyMethod::Hermite4,
        ThreeBodyMethod::Ias15,
    ];

    /// Link token.
    pub fn key(self) -> &'static str {
        match self {
            ThreeBodyMethod::Leapfrog => "leapfrog",
            ThreeBodyMethod::Yoshida4 => "yoshida4",
            ThreeBodyMethod::Rk4 => "rk4",
            ThreeBodyMethod::Dopri5 => "dopri5",
            ThreeBodyMethod::Dop853 => "dop853",
            ThreeBodyMethod::Hermite4 => "hermite",
            ThreeBodyMethod::Ias15 => "ias15",
        }
    }

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            ThreeBodyMethod::Leapfrog => "Leapfrog (KDK)",
            ThreeBodyMethod::Yoshida4 => "Yoshida 4",
            ThreeBodyMethod::Rk4 => "RK4",
            ThreeBodyMethod::Dopri5 => "DOPRI5",
            ThreeBodyMethod::Dop853 => "DOP853",
            ThreeBodyMethod::Hermite4 => "Hermite 4",
            ThreeBodyMethod::Ias15 => "IAS15",
        }
    }

    /// One-line facts with the reference, for tooltips and `--list`.
    pub fn doc(self) -> &'static str {
        match self {
            ThreeBodyMethod::Leapfrog => {
                "Kick–drift–kick Störmer–Verlet: order 2, symplectic and time-reversible, 1 force \
                 evaluation per step; energy error bounded at fixed step (Hairer, Lubich & Wanner, \
                 Geometric Numerical Integration I.3)."
            }
            ThreeBodyMethod::Yoshida4 => {
                "Triple-jump composition of leapfrog (Yoshida 1990, Phys. Lett. A 150, 262): order \
                 4, symplectic, 3 force evaluations per step; one sub-step goes backwards in time."
            }
            ThreeBodyMethod::Rk4 => {
                "Classical Runge–Kutta: order 4, 4 force evaluations per step, not symplectic: the \
                 energy drifts secularly."
            }
            ThreeBodyMethod::Dopri5 => {
                "Dormand–Prince 5(4) with the shared step controller (Dormand & Prince 1980): 6 \
                 force evaluations per step (FSAL), error estimate of order 4."
            }
            ThreeBodyMethod::Dop853 => {
                "Hairer's DOP853, order 8 with 5th- and 3rd-order estimators (Hairer, Nørsett & \
                 Wanner I, II.10): 12 force evaluations per step."
            }
            ThreeBodyMethod::Hermite4 => {
                "4th-order Hermite predictor–corrector on accelerations and jerks (Makino & Aarseth \
                 1992, PASJ 44, 141); adaptive steps by Aarseth's criterion with parameter η."
            }
            ThreeBodyMethod::Ias15 => {
                "IAS15 (Rein & Spiegel 2015, MNRAS 446, 1424): 15th-order Gauss–Radau \
                 predictor–corrector with compensated summation and the step criterion of Pham, \
                 Rein & Spiegel (2024); energy error at the level of round-off."
            }
        }
    }

    /// Formal order of accuracy.
    pub fn order(self) -> u32 {
        match self {
            ThreeBodyMethod::Leapfrog => 2,
            ThreeBodyMethod::Yoshida4 | ThreeBodyMethod::Rk4 | ThreeBodyMethod::Hermite4 => 4,
            ThreeBodyMethod::Dopri5 => 5,
            ThreeBodyMethod::Dop853 => 8,
            ThreeBodyMethod::Ias15 => 15,
        }
    }

    /// Whether the method chooses its own steps from an error estimate (tolerance-driven).
    pub fn is_error_controlled(self) -> bool {
        matches!(
            self,
            ThreeBodyMethod::Dopri5 | ThreeBodyMethod::Dop853 | ThreeBodyMethod::Ias15
        )
    }

    /// Whether the method is symplectic at a fixed step.
    pub fn is_symplectic(self) -> bool {
        matches!(self, ThreeBodyMethod::Leapfrog | ThreeBodyMethod::Yoshida4)
    }
}

/// How the step of a fixed-step method (leapfrog, Yoshida 4, RK4, Hermite) is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepMode {
    /// The same step `dt` throughout.
    Fixed,
    /// `h = η·τ(x_n)` from the state at the start of the step.
    Adaptive,
    /// Time-symmetric `h = η·(τ(x_n) + τ(x_{n+1}))/2`, solved by iteration.
    Symmetric,
}

impl StepMode {
    /// All modes, for menus.
    pub const ALL: [StepMode; 3] = [StepMode::Fixed, StepMode::Adaptive, StepMode::Symmetric];

    /// Link token.
    pub fn key(self) -> &'static str {
        match self {
            StepMode::Fixed => "fixed",
            StepMode::Adaptive => "adaptive",
            StepMode::Symmetric => "symmetric",
        }
    }

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            StepMode::Fixed => "Fixed dt",
            StepMode::Adaptive => "Adaptive η·τ",
            StepMode::Symmetric => "Time-symmetric η·τ",
        }
    }

    /// Explanation for the tooltip.
    pub fn doc(self) -> &'static str {
        match self {
            StepMode::Fixed => {
                "Constant step dt. Symplectic methods then conserve a modified energy: the energy \
                 error oscillates but does not grow."
            }
            StepMode::Adaptive => {
                "h = η·τ with τ = min over pairs of (r/|v|, sqrt(r³/(m_i+m_j))) (Hermite: Aarseth's \
                 criterion). Short steps at close encounters, but a state-dependent step breaks \
                 symplecticity: watch the energy error drift secularly."
            }
            StepMode::Symmetric => {
                "h = η·(τ(start) + τ(end))/2, found by iterating the step (Hut, Makino & McMillan \
                 1995, ApJ 443, L93): time-reversible again, so the energy error stays bounded in \
                 practice, at 2–3 times the force evaluations."
            }
        }
    }
}

/// The scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThreeBodyCase {
    /// Chenciner–Montgomery figure-eight choreography.
    FigureEight,
    /// Burrau's Pythagorean 3-4-5 problem.
    Pythagorean,
    /// Lagrange's rotating equilateral triangle.
    Lagrange,
    /// Broucke's periodic orbit A2 (Broucke–Hadjidemetriou–Hénon family).
    BrouckeA2,
    /// Sun, Jupiter and a Trojan at L4.
    SunJupiterTrojan,
    /// Seeded random initial conditions.
    Random,
}

impl ThreeBodyCase {
    /// All scenarios, in menu order.
    pub const ALL: [ThreeBodyCase; 6] = [
        ThreeBodyCase::FigureEight,
        ThreeBodyCase::Pythagorean,
        ThreeBodyCase::Lagrange,
        ThreeBodyCase::BrouckeA2,
        ThreeBodyCase::SunJupiterTrojan,
        ThreeBodyCase::Random,
    ];

    /// Link token.
    pub fn key(self) -> &'static str {
        match self {
            ThreeBodyCase::FigureEight => "figure8",
            ThreeBodyCase::Pythagorean => "pythagorean",
            ThreeBodyCase::Lagrange => "lagrange",
            ThreeBodyCase::BrouckeA2 => "broucke-a2",
            ThreeBodyCase::SunJupiterTrojan => "trojan",
            ThreeBodyCase::Random => "random",
        }
    }

    /// Name for the UI.
    pub fn label(self) -> &'static str {
        match self {
            ThreeBodyCase::FigureEight => "Figure-eight",
            ThreeBodyCase::Pythagorean => "Pythagorean 3-4-5",
            ThreeBodyCase::Lagrange => "Lagrange triangle",
            ThreeBodyCase::BrouckeA2 => "Broucke A2",
            ThreeBodyCase::SunJupiterTrojan => "Sun–Jupiter–Trojan",
            ThreeBodyCase::Random => "Random (seeded)",
        }
    }

    /// What the scenario shows, with its source.
    pub fn doc(self) -> &'static str {
        match self {
            ThreeBodyCase::FigureEight => {
                "Three equal masses chasing each other on one figure-eight curve (Chenciner & \
                 Montgomery 2000, Ann. Math. 152, 881; initial conditions of Simó), period \
                 T ≈ 6.32591398. The distance from the initial state is measured after each period."
            }
            ThreeBodyCase::Pythagorean => {
                "Masses 3, 4, 5 at rest at the corners of a 3-4-5 right triangle (Burrau 1913; \
                 Szebehely & Peters 1967, AJ 72, 876): a sequence of close encounters until mass 3 \
                 escapes near t ≈ 60, leaving a 4–5 binary."
            }
            ThreeBodyCase::Lagrange => {
                "Masses at the corners of an equilateral triangle, rotating rigidly (Lagrange \
                 1772). Linearly stable only if 27(m1m2+m2m3+m3m1) < (m1+m2+m3)² (Routh 1875); \
                 equal masses are unstable and break up."
            }
            ThreeBodyCase::BrouckeA2 => {
                "Broucke's periodic orbit A2 of equal masses (Broucke 1975, Celest. Mech. 12, 439; \
                 initial conditions from Šuvakov & Dmitrašinović's gallery), period T ≈ 7.702408, \
                 E ≈ −1.751113."
            }
            ThreeBodyCase::SunJupiterTrojan => {
                "Sun (1), Jupiter (μ = 9.54e-4) on a circular orbit of radius 1, and a massless \
                 Trojan at the L4 point 60° ahead: it librates around L4 (stable since \
                 27μ < (1+μ)²)."
            }
            ThreeBodyCase::Random => {
                "n bodies with seeded random masses, positions in a unit ball and velocities scaled \
                 to virial equilibrium (2K = |U|); reproducible from the seed."
            }
        }
    }

    /// The period, for the periodic orbits (distance from the initial state is measured after
    /// each one).
    pub fn period(self) -> Option<f64> {
        match self {
            ThreeBodyCase::FigureEight => Some(scenarios::FIGURE_EIGHT_PERIOD),
            ThreeBodyCase::BrouckeA2 => Some(scenarios::BROUCKE_A2_PERIOD),
            _ => None,
        }
    }
}

/// One body: mass, position, velocity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Body {
    /// Mass (≥ 0; a massless test particle feels but exerts no gravity).
    pub mass: f64,
    /// Position.
    pub x: [f64; 3],
    /// Velocity.
    pub v: [f64; 3],
}

/// Everything that defines a three-body run. Part of the share link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThreeBodyParams {
    /// Scenario.
    pub case: ThreeBodyCase,
    /// Integrator.
    pub method: ThreeBodyMethod,
    /// Step choice of the fixed-step methods.
    pub step_mode: StepMode,
    /// The fixed step; the first step of the adaptive methods.
    pub dt: f64,
    /// Step parameter η of the adaptive step criteria (and of Aarseth's criterion).
    pub eta: f64,
    /// Tolerance: rtol = atol for DOPRI5/DOP853, ε for IAS15.
    pub tol: f64,
    /// Step controller of DOPRI5/DOP853.
    pub controller: ControllerKind,
    /// Step criterion of IAS15.
    pub ias15_criterion: ias15::Ias15Criterion,
    /// Plummer softening length ε (0 = exact Newtonian gravity).
    pub softening: f64,
    /// Move to the centre-of-mass frame at t = 0.
    pub com_frame: bool,
    /// Trail length, in sampled points per body.
    pub trail: usize,
    /// Bodies of the random scenario.
    pub n_random: usize,
    /// Seed of the random scenario.
    pub seed: u64,
    /// Masses of the Lagrange triangle.
    pub lagrange_masses: [f64; 3],
    /// Initial conditions edited by the user; replace the scenario's when present.
    pub bodies: Option<Vec<Body>>,
    /// A chaos map to compute around the scenario (opened when the link is loaded).
    pub map: Option<ensemble::EnsembleParams>,
}

impl Default for ThreeBodyParams {
    fn default() -> Self {
        Self {
            case: ThreeBodyCase::FigureEight,
            method: ThreeBodyMethod::Ias15,
            step_mode: StepMode::Fixed,
            dt: 0.01,
            eta: 0.02,
            tol: 1e-9,
            controller: ControllerKind::ProportionalIntegral,
            ias15_criterion: ias15::Ias15Criterion::Prs23,
            softening: 0.0,
            com_frame: true,
            trail: 400,
            n_random: 3,
            seed: 1,
            lagrange_masses: [1.0, 1.0, 1.0],
            bodies: None,
            map: None,
        }
    }
}

impl ThreeBodyParams {
    /// Defaults tuned for a scenario.
    pub fn for_case(case: ThreeBodyCase) -> Self {
        Self {
            case,
            ..Self::default()
        }
    }

    /// Whether going from `old` to `self` changes the initial value problem (so the run must
    /// restart from t = 0) rather than only the integrator or the display.
    pub fn needs_restart_from(&self, old: &ThreeBodyParams) -> bool {
        self.case != old.case
            || self.softening != old.softening
            || self.com_frame != old.com_frame
            || self.n_random != old.n_random
            || self.seed != old.seed
            || self.lagrange_masses != old.lagrange_masses
            || self.bodies != old.bodies
    }

    /// Checks the parameters, with a message naming the offending one.
    pub fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "{name} must be a positive number, got {}",
                    format_f64(v)
                ))
            }
        };
        positive("dt", self.dt)?;
        positive("η", self.eta)?;
        if self.eta > 1.0 {
            return Err(format!("η must be at most 1, got {}", format_f64(self.eta)));
        }
        positive("tolerance", self.tol)?;
        if self.tol < 1e-16 {
            return Err(format!(
                "tolerance {} is below f64 round-off (1e-16)",
                format_f64(self.tol)
            ));
        }
        if !(self.softening.is_finite() && self.softening >= 0.0) {
            return Err(format!(
                "softening must be ≥ 0, got {}",
                format_f64(self.softening)
            ));
        }
        if !(2..=10_000).contains(&self.trail) {
            return Err(format!(
                "trail length must be 2 … 10000 points, got {}",
                self.trail
            ));
        }
        if !(2..=MAX_BODIES).contains(&self.n_random) {
            return Err(format!(
                "the random scenario takes 2 … {MAX_BODIES} bodies, got {}",
                self.n_random
            ));
        }
        for (i, m) in self.lagrange_masses.iter().enumerate() {
            positive(&format!("Lagrange mass m{}", i + 1), *m)?;
        }
        if let Some(bodies) = &self.bodies {
            validate_bodies(bodies)?;
        }
        if let Some(map) = &self.map {
            map.validate(self.body_count())?;
        }
        Ok(())
    }

    /// How many bodies the run has.
    pub fn body_count(&self) -> usize {
        match (&self.bodies, self.case) {
            (Some(b), _) => b.len(),
            (None, ThreeBodyCase::Random) => self.n_random,
            (None, _) => 3,
        }
    }
}

/// Checks a set of bodies: 2 … 16, finite values, masses ≥ 0 with a positive total, no two
/// bodies at the same place.
pub fn validate_bodies(bodies: &[Body]) -> Result<(), String> {
    if !(2..=MAX_BODIES).contains(&bodies.len()) {
        return Err(format!(
            "a run has 2 … {MAX_BODIES} bodies, got {}",
            bodies.len()
        ));
    }
    for (i, b) in bodies.iter().enumerate() {
        let values = [b.mass].into_iter().chain(b.x).chain(b.v);
        if values.into_iter().any(|v| !v.is_finite()) {
            return Err(format!(
                "body {} has a value that is not a finite number",
                i + 1
            ));
        }
        if b.mass < 0.0 {
            return Err(format!(
                "body {} has a negative mass {}",
                i + 1,
                format_f64(b.mass)
            ));
        }
    }
    if bodies.iter().map(|b| b.mass).sum::<f64>() <= 0.0 {
        return Err("the total mass must be positive".to_owned());
    }
    for i in 0..bodies.len() {
        for j in 0..i {
            if bodies[i].x == bodies[j].x {
                return Err(format!(
                    "bodies {} and {} start at the same position",
                    j + 1,
                    i + 1
                ));
            }
        }
    }
    Ok(())
}

/// The gravitational field of a set of masses, with Plummer softening ε.
#[derive(Clone, Debug, PartialEq)]
pub struct Gravity {
    /// Masses.
    pub masses: Vec<f64>,
    /// ε².
    pub softening2: f64,
}

/// What the diagnostics need of the pair distances at one set of positions; a force
/// evaluation computes them on the way (see [`Gravity::accelerations_and_pair_sums`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairSums {
    /// The potential energy −Σ m_i m_j / sqrt(r_ij² + ε²).
    pub potential: f64,
    /// The smallest unsoftened distance r_ij.
    pub closest: f64,
}

/// Adds `s·a` to `b` for 3-vectors.
#[inline]
pub fn axpy3(s: f64, a: [f64; 3], b: &mut [f64; 3]) {
    b[0] += s * a[0];
    b[1] += s * a[1];
    b[2] += s * a[2];
}

/// `a − b`.
#[inline]
pub fn sub3(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// `a · b`.
#[inline]
pub fn dot3(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// `a × b`.
#[inline]
pub fn cross3(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// `|a|`.
#[inline]
pub fn norm3(a: [f64; 3]) -> f64 {
    dot3(a, a).sqrt()
}

impl Gravity {
    /// The field of `bodies` with softening length `softening`.
    pub fn new(bodies: &[Body], softening: f64) -> Self {
        Self {
            masses: bodies.iter().map(|b| b.mass).collect(),
            softening2: softening * softening,
        }
    }

    /// Number of bodies.
    pub fn len(&self) -> usize {
        self.masses.len()
    }

    /// Whether there are no bodies.
    pub fn is_empty(&self) -> bool {
        self.masses.is_empty()
    }

    /// Accelerations at positions `x` into `a` (pairwise, each pair once).
    pub fn accelerations(&self, x: &[[f64; 3]], a: &mut [[f64; 3]]) {
        self.pair_loop::<true, false>(x, a);
    }

    /// Accelerations at `x` into `a`, and the potential energy and closest distance at `x`
    /// from the same pair distances (one extra division per pair, no extra square root).
    pub fn accelerations_and_pair_sums(&self, x: &[[f64; 3]], a: &mut [[f64; 3]]) -> PairSums {
        self.pair_loop::<true, true>(x, a)
    }

    /// The (softened) potential energy and the smallest (unsoftened) distance between two
    /// bodies at `x`.
    pub fn pair_sums(&self, x: &[[f64; 3]]) -> PairSums {
        self.pair_loop::<false, true>(x, &mut [])
    }

    /// The one loop over the pairs behind the three functions above; the sums are the same
    /// bits whichever computes them.
    #[inline(always)]
    fn pair_loop<const FORCES: bool, const SUMS: bool>(
        &self,
        x: &[[f64; 3]],
        a: &mut [[f64; 3]],
    ) -> PairSums {
        let (masses, softening2) = (&self.masses, self.softening2);
        let n = masses.len();
        if FORCES {
            a.fill([0.0; 3]);
        }
        let mut potential = 0.0;
        let mut closest2 = f64::INFINITY;
        for i in 0..n {
            for j in i + 1..n {
                let d = sub3(x[j], x[i]);
                let d2 = dot3(d, d);
                let r2 = d2 + softening2;
                let r = r2.sqrt();
                if FORCES {
                    let inv_r3 = 1.0 / (r2 * r);
                    axpy3(masses[j] * inv_r3, d, &mut a[i]);
                    axpy3(-masses[i] * inv_r3, d, &mut a[j]);
                }
                if SUMS {
                    closest2 = closest2.min(d2);
                    potential -= masses[i] * masses[j] / r;
                }
            }
        }
        PairSums {
            potential,
            closest: closest2.sqrt(),
        }
    }

    /// Accelerations and their time derivatives (jerks) at `(x, v)` (Makino & Aarseth 1992 (2)).
    pub fn accelerations_and_jerks(
        &self,
        x: &[[f64; 3]],
        v: &[[f64; 3]],
        a: &mut [[f64; 3]],
        jerk: &mut [[f64; 3]],
    ) {
        a.fill([0.0; 3]);
        jerk.fill([0.0; 3]);
        let n = self.masses.len();
        for i in 0..n {
            for j in i + 1..n {
                let d = sub3(x[j], x[i]);
                let w = sub3(v[j], v[i]);
                let r2 = dot3(d, d) + self.softening2;
                let inv_r3 = 1.0 / (r2 * r2.sqrt());
                let rv = 3.0 * dot3(d, w) / r2;
                // d/dt (d / r³) = w / r³ − 3 (d·w) d / r⁵
                let j_ij = [
                    (w[0] - rv * d[0]) * inv_r3,
                    (w[1] - rv * d[1]) * inv_r3,
                    (w[2] - rv * d[2]) * inv_r3,
                ];
                axpy3(self.masses[j] * inv_r3, d, &mut a[i]);
                axpy3(-self.masses[i] * inv_r3, d, &mut a[j]);
                axpy3(self.masses[j], j_ij, &mut jerk[i]);
                axpy3(-self.masses[i], j_ij, &mut jerk[j]);
            }
        }
    }

    /// Total energy, kinetic plus potential (softened).
    pub fn energy(&self, x: &[[f64; 3]], v: &[[f64; 3]]) -> f64 {
        self.kinetic_energy(v) + self.pair_sums(x).potential
    }

    /// Kinetic energy Σ m_i |v_i|² / 2.
    pub fn kinetic_energy(&self, v: &[[f64; 3]]) -> f64 {
        let mut kinetic = 0.0;
        for (m, vi) in self.masses.iter().zip(v) {
            kinetic += 0.5 * m * dot3(*vi, *vi);
        }
        kinetic
    }

    /// Total linear momentum.
    pub fn momentum(&self, v: &[[f64; 3]]) -> [f64; 3] {
        let mut p = [0.0; 3];
        for (m, vi) in self.masses.iter().zip(v) {
            axpy3(*m, *vi, &mut p);
        }
        p
    }

    /// Total angular momentum about the origin.
    pub fn angular_momentum(&self, x: &[[f64; 3]], v: &[[f64; 3]]) -> [f64; 3] {
        let mut l = [0.0; 3];
        for ((m, xi), vi) in self.masses.iter().zip(x).zip(v) {
            axpy3(*m, cross3(*xi, *vi), &mut l);
        }
        l
    }

    /// The dynamical time scale τ = min over pairs of (r/|v|, sqrt(r³/(m_i+m_j))): the
    /// crossing and free-fall times of the closest or fastest pair (used by the adaptive
    /// steps of the fixed-step methods).
    pub fn pair_timescale(&self, x: &[[f64; 3]], v: &[[f64; 3]]) -> f64 {
        let mut tau = f64::INFINITY;
        let n = self.masses.len();
        for i in 0..n {
            for j in i + 1..n {
                let d = sub3(x[j], x[i]);
                let r2 = dot3(d, d) + self.softening2;
                let r = r2.sqrt();
                let w = sub3(v[j], v[i]);
                let w2 = dot3(w, w);
                if w2 > 0.0 {
                    tau = tau.min(r / w2.sqrt());
                }
                let m = self.masses[i] + self.masses[j];
                if m > 0.0 {
                    tau = tau.min((r2 * r / m).sqrt());
                }
            }
        }
        tau
    }
}

/// The diagnostics of a three-body run at one time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreeBodyDiagnostics {
    /// Time.
    pub t: f64,
    /// Total energy.
    pub energy: f64,
    /// |E − E0| / |E0| (absolute when E0 = 0).
    pub energy_error: f64,
    /// Largest energy error seen so far.
    pub max_energy_error: f64,
    /// |L − L0| / |L0| (absolute when |L0| is tiny).
    pub angular_momentum_drift: f64,
    /// |P − P0| (absolute; P0 = 0 in the centre-of-mass frame).
    pub momentum_drift: f64,
    /// Smallest pairwise distance now.
    pub min_distance: f64,
    /// Smallest pairwise distance seen so far.
    pub closest_approach: f64,
    /// Phase-space distance from the initial state after the last full period (periodic orbits).
    pub period_return: Option<f64>,
    /// Full periods completed.
    pub periods: u64,
}

/// Relative drift `|now − start| / |start|`, absolute when the start value is (nearly) zero.
pub fn relative_drift(now: f64, start: f64) -> f64 {
    let d = (now - start).abs();
    if start.abs() > 1e-300 {
        d / start.abs()
    } else {
        d
    }
}

crate::impl_choice!(ThreeBodyMethod, StepMode, ThreeBodyCase);

//! Initial conditions of the scenarios, with their sources.

use super::{Body, Gravity, ThreeBodyCase, ThreeBodyParams, axpy3, cross3, sub3};
use crate::core::rng::SeededRng;

/// Period of the figure-eight (Chenciner & Montgomery 2000; Simó 2002).
pub const FIGURE_EIGHT_PERIOD: f64 = 6.32591398;

/// Energy of the figure-eight, for checks (Simó 2002: E = −1.287144).
pub const FIGURE_EIGHT_ENERGY: f64 = -1.287144;

/// Period of Broucke's A2 orbit (Šuvakov & Dmitrašinović's gallery, three-body.ipb.ac.rs).
pub const BROUCKE_A2_PERIOD: f64 = 7.702408;

/// Energy of Broucke's A2 orbit, same source.
pub const BROUCKE_A2_ENERGY: f64 = -1.751113;

/// Jupiter's mass in solar masses (IAU: M_J/M_☉ = 1/1047.35).
pub const JUPITER_MASS_RATIO: f64 = 1.0 / 1047.35;

/// How far ahead of the exact L4 point (degrees) the Trojan starts, so it librates visibly.
pub const TROJAN_OFFSET_DEGREES: f64 = 5.0;

fn body(mass: f64, x: [f64; 3], v: [f64; 3]) -> Body {
    Body { mass, x, v }
}

/// The initial bodies of `p`: the user's edited bodies if any, otherwise the scenario's,
/// moved to the centre-of-mass frame when `p.com_frame`.
pub fn initial_bodies(p: &ThreeBodyParams) -> Vec<Body> {
    let mut bodies = match &p.bodies {
        Some(b) => b.clone(),
        None => scenario_bodies(p),
    };
    if p.com_frame {
        to_centre_of_mass_frame(&mut bodies);
    }
    bodies
}

/// The scenario's own initial conditions.
pub fn scenario_bodies(p: &ThreeBodyParams) -> Vec<Body> {
    match p.case {
        ThreeBodyCase::FigureEight => {
            // Chenciner & Montgomery (2000), initial conditions of Simó as quoted there:
            // x1 = −x2 = (0.97000436, −0.24308753), x3 = 0, v3 = −2 v1 = −2 v2 =
            // (−0.93240737, −0.86473146).
            let x1 = [0.97000436, -0.24308753, 0.0];
            let v3 = [-0.93240737, -0.86473146, 0.0];
            let v1 = [-v3[0] / 2.0, -v3[1] / 2.0, 0.0];
            vec![
                body(1.0, x1, v1),
                body(1.0, [-x1[0], -x1[1], 0.0], v1),
                body(1.0, [0.0; 3], v3),
            ]
        }
        ThreeBodyCase::Pythagorean => vec![
            // Burrau (1913): masses at rest, each opposite the side of its own length.
            body(3.0, [1.0, 3.0, 0.0], [0.0; 3]),
            body(4.0, [-2.0, -1.0, 0.0], [0.0; 3]),
            body(5.0, [1.0, -1.0, 0.0], [0.0; 3]),
        ],
        ThreeBodyCase::Lagrange => {
            let m = p.lagrange_masses;
            let h = 3f64.sqrt() / 2.0;
            let corners = [[1.0, 0.0, 0.0], [-0.5, h, 0.0], [-0.5, -h, 0.0]];
            rigidly_rotating(&m, &corners)
        }
        ThreeBodyCase::BrouckeA2 => vec![
            // Broucke (1975), orbit A2, equal masses, as tabulated by Šuvakov & Dmitrašinović.
            body(1.0, [0.3361300950, 0.0, 0.0], [0.0, 1.5324315370, 0.0]),
            body(1.0, [0.7699893804, 0.0, 0.0], [0.0, -0.6287350978, 0.0]),
            body(1.0, [-1.1061194753, 0.0, 0.0], [0.0, -0.9036964391, 0.0]),
        ],
        ThreeBodyCase::SunJupiterTrojan => {
            let angle = (60.0 + TROJAN_OFFSET_DEGREES).to_radians();
            let (s, c) = angle.sin_cos();
            let corners = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [c, s, 0.0]];
            rigidly_rotating(&[1.0, JUPITER_MASS_RATIO, 0.0], &corners)
        }
        ThreeBodyCase::Random => random_bodies(p.n_random, p.seed),
    }
}

/// Bodies at `positions` moving as a rigid rotation about their centre of mass with the
/// angular velocity of the circular two-body orbit, ω² = M / r³ at unit separation of the
/// first two bodies (exact for Lagrange's equilateral solution).
fn rigidly_rotating(masses: &[f64; 3], positions: &[[f64; 3]; 3]) -> Vec<Body> {
    let total: f64 = masses.iter().sum();
    let mut com = [0.0; 3];
    for (m, x) in masses.iter().zip(positions) {
        axpy3(m / total, *x, &mut com);
    }
    let side = super::norm3(sub3(positions[1], positions[0]));
    let omega = (total / side.powi(3)).sqrt();
    masses
        .iter()
        .zip(positions)
        .map(|(m, x)| {
            let r = sub3(*x, com);
            body(*m, r, cross3([0.0, 0.0, omega], r))
        })
        .collect()
}

/// `n` bodies with masses uniform in [0.5, 1.5], positions uniform in the unit ball (at
/// least 0.2 apart) and Gaussian velocities scaled to virial equilibrium 2K = |U|.
fn random_bodies(n: usize, seed: u64) -> Vec<Body> {
    let mut rng = SeededRng::new(seed);
    let mut bodies: Vec<Body> = Vec::with_capacity(n);
    // Rejection sampling; the attempt cap only guards against pathological n.
    let mut attempts = 0;
    while bodies.len() < n && attempts < 100_000 {
        attempts += 1;
        let x = [
            2.0 * rng.uniform() - 1.0,
            2.0 * rng.uniform() - 1.0,
            2.0 * rng.uniform() - 1.0,
        ];
        if super::dot3(x, x) > 1.0 || bodies.iter().any(|b| super::norm3(sub3(b.x, x)) < 0.2) {
            continue;
        }
        let mass = 0.5 + rng.uniform();
        let v = [rng.normal(), rng.normal(), rng.normal()];
        bodies.push(body(mass, x, v));
    }
    to_centre_of_mass_frame(&mut bodies);
    let gravity = Gravity::new(&bodies, 0.0);
    let x: Vec<[f64; 3]> = bodies.iter().map(|b| b.x).collect();
    let v: Vec<[f64; 3]> = bodies.iter().map(|b| b.v).collect();
    let kinetic: f64 = bodies
        .iter()
        .map(|b| 0.5 * b.mass * super::dot3(b.v, b.v))
        .sum();
    let potential = gravity.energy(&x, &vec![[0.0; 3]; v.len()]);
    if kinetic > 0.0 {
        let scale = (potential.abs() / (2.0 * kinetic)).sqrt();
        for b in &mut bodies {
            b.v = b.v.map(|c| c * scale);
        }
    }
    bodies
}

/// Shifts positions and velocities so the centre of mass rests at the origin.
pub fn to_centre_of_mass_frame(bodies: &mut [Body]) {
    let total: f64 = bodies.iter().map(|b| b.mass).sum();
    if total <= 0.0 {
        return;
    }
    let (mut x, mut v) = ([0.0; 3], [0.0; 3]);
    for b in bodies.iter() {
        axpy3(b.mass / total, b.x, &mut x);
        axpy3(b.mass / total, b.v, &mut v);
    }
    for b in bodies.iter_mut() {
        b.x = sub3(b.x, x);
        b.v = sub3(b.v, v);
    }
}

/// The Routh value `27(m1m2+m2m3+m3m1)/(m1+m2+m3)²`: Lagrange's triangle is linearly stable
/// iff it is below 1 (Routh 1875).
pub fn routh_value(m: [f64; 3]) -> f64 {
    let total = m[0] + m[1] + m[2];
    27.0 * (m[0] * m[1] + m[1] * m[2] + m[2] * m[0]) / (total * total)
}

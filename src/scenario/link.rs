//! The share link of a [`Scenario`].
//!
//! Link form (version 1), human-readable, in a query string or a fragment:
//! `?v=1&s=nlse&case=breather&n=256&solver=dop853ip&rtol=1e-9…` or
//! `?v=1&s=3body&case=pythagorean&solver=ias15&tol=1e-9…` or
//! `?v=1&s=diffusion&target=ring8&process=vp&grid=lambda&sampler=dpmpp2m&nfe=20&seed=1…` or
//! `?v=1&s=ns&case=cavity&n=128&re=100&solver=rk3&pressure=mg…`. Every parameter is written out,
//! floats in shortest round-trip form, so a link means the same thing even if defaults change
//! later; missing keys take the defaults of the link's version. Edited three-body initial
//! conditions travel as `b1=m,x,y,z,vx,vy,vz&b2=…` (one key per body), painted Navier–Stokes
//! obstacles as `mask=NXxNY.RUNS` (run lengths, see [`ObstacleMask::encode`]).

use thiserror::Error;

use super::Scenario;
use crate::core::choice::Choice;

use crate::core::controller::ControllerKind;
use crate::sims::diffusion::gpu::MAX_DIM;
use crate::sims::diffusion::process::{ProcessKind, TimeGrid};
use crate::sims::diffusion::{DiffusionParams, InitKind, MAX_PARTICLES, SamplerKind, TargetKind};
use crate::sims::navier_stokes::{
    MAX_CELLS, NsCase, NsParams, NsSolver, ObstacleMask, PressureKind,
};
use crate::sims::nlse::{NlseCase, NlseMethod, NlseParams};
use crate::sims::threebody::ensemble::{EnsembleParams, EnsemblePlane};
use crate::sims::threebody::ias15::Ias15Criterion;
use crate::sims::threebody::{
    Body, MAX_BODIES, StepMode, ThreeBodyCase, ThreeBodyMethod, ThreeBodyParams,
};

/// The current link version.
pub const LINK_VERSION: u32 = 1;

/// Links longer than this are rejected before parsing (a link is a few hundred bytes).
pub const MAX_LINK_BYTES: usize = 4096;

/// Why a link could not be used. The message is shown to the user as is.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum LinkError {
    /// Over [`MAX_LINK_BYTES`].
    #[error("the link is {0} bytes long; links are at most {MAX_LINK_BYTES} bytes")]
    TooLong(usize),
    /// No `s=` key.
    #[error("the link does not say which simulation to run (missing s=…, e.g. s=nlse)")]
    MissingSimulation,
    /// An `s=` value we do not know.
    #[error("unknown simulation s={0} (known: nlse, 3body, diffusion, ns)")]
    UnknownSimulation(String),
    /// A newer link version than this build understands.
    #[error(
        "the link is version {0}, newer than this build understands ({LINK_VERSION}); please reload the latest stepscope"
    )]
    NewerVersion(u32),
    /// A key that does not belong to the simulation.
    #[error("unknown key '{key}' in the link (allowed: {allowed})")]
    UnknownKey {
        /// The key.
        key: String,
        /// The allowed keys.
        allowed: String,
    },
    /// A key given twice.
    #[error("key '{0}' appears more than once")]
    DuplicateKey(String),
    /// A value that does not parse or is out of range.
    #[error("bad value for '{key}': {why}")]
    BadValue {
        /// The key.
        key: String,
        /// What is wrong.
        why: String,
    },
    /// Parameters that parse but do not make a valid run together.
    #[error("{0}")]
    Invalid(String),
}

pub use crate::core::format_f64;

const NLSE_KEYS: &[&str] = &[
    "case", "n", "l", "beta", "gamma", "solver", "dt", "rtol", "atol", "ctl", "hold", "dealias",
    "filter", "amp", "vel", "amp2", "sep", "a", "bg", "noise", "seed",
];

const THREE_BODY_KEYS: &[&str] = &[
    "case", "solver", "steps", "dt", "eta", "tol", "ctl", "crit", "soft", "com", "trail", "n",
    "seed", "masses", "map", "b1", "b2", "…", "b16",
];

const NS_KEYS: &[&str] = &[
    "case", "n", "re", "solver", "pressure", "omega", "tol", "cfl", "seed", "mask",
];

const DIFFUSION_KEYS: &[&str] = &[
    "target", "dim", "k", "process", "grid", "rho", "sampler", "nfe", "eta", "churn", "snr", "nu",
    "tol", "n", "seed", "init",
];

impl Scenario {
    /// The query-string form, without a leading `?`.
    pub fn to_query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("v", &LINK_VERSION.to_string());
        out.append_pair("s", self.sim_key());
        match self {
            Scenario::Nlse(p) => {
                let f = format_f64;
                out.append_pair("case", p.case.key());
                out.append_pair("n", &p.n.to_string());
                out.append_pair("l", &f(p.length));
                out.append_pair("beta", &f(p.beta));
                out.append_pair("gamma", &f(p.gamma));
                out.append_pair("solver", p.method.key());
                out.append_pair("dt", &f(p.dt));
                out.append_pair("rtol", &f(p.rtol));
                out.append_pair("atol", &f(p.atol));
                out.append_pair("ctl", p.controller.key());
                // Only when set: the links made before the key existed stay as they were.
                if p.hold != 1.0 {
                    out.append_pair("hold", &f(p.hold));
                }
                out.append_pair("dealias", if p.dealias { "1" } else { "0" });
                out.append_pair("filter", &f(p.filter_rate));
                out.append_pair("amp", &f(p.amplitude));
                out.append_pair("vel", &f(p.velocity));
                out.append_pair("amp2", &f(p.amplitude2));
                out.append_pair("sep", &f(p.separation));
                out.append_pair("a", &f(p.breather_a));
                out.append_pair("bg", &f(p.background));
                out.append_pair("noise", &f(p.noise));
                out.append_pair("seed", &p.seed.to_string());
            }
            Scenario::ThreeBody(p) => {
                let f = format_f64;
                out.append_pair("case", p.case.key());
                out.append_pair("solver", p.method.key());
                out.append_pair("steps", p.step_mode.key());
                out.append_pair("dt", &f(p.dt));
                out.append_pair("eta", &f(p.eta));
                out.append_pair("tol", &f(p.tol));
                out.append_pair("ctl", p.controller.key());
                out.append_pair("crit", p.ias15_criterion.key());
                out.append_pair("soft", &f(p.softening));
                out.append_pair("com", if p.com_frame { "1" } else { "0" });
                out.append_pair("trail", &p.trail.to_string());
                out.append_pair("n", &p.n_random.to_string());
                out.append_pair("seed", &p.seed.to_string());
                let masses: Vec<String> = p.lagrange_masses.iter().map(|m| f(*m)).collect();
                out.append_pair("masses", &masses.join(","));
                if let Some(m) = &p.map {
                    let fields = [
                        m.resolution.to_string(),
                        (m.body + 1).to_string(),
                        m.plane.key().to_owned(),
                        f(m.span),
                        f(m.t_end),
                        f(m.eta),
                        f(m.escape_radius),
                    ];
                    out.append_pair("map", &fields.join(","));
                }
                for (i, b) in p.bodies.iter().flatten().enumerate() {
                    let values: Vec<String> =
                        [b.mass].into_iter().chain(b.x).chain(b.v).map(f).collect();
                    out.append_pair(&format!("b{}", i + 1), &values.join(","));
                }
            }
            Scenario::Diffusion(p) => {
                let f = format_f64;
                out.append_pair("target", p.target.key());
                out.append_pair("dim", &p.dim.to_string());
                out.append_pair("k", &p.components.to_string());
                out.append_pair("process", p.process.key());
                out.append_pair("grid", p.grid.key());
                if let TimeGrid::Edm { rho } = p.grid {
                    out.append_pair("rho", &f(rho));
                }
                out.append_pair("sampler", p.sampler.key());
                out.append_pair("nfe", &p.nfe.to_string());
                out.append_pair("eta", &f(p.eta));
                out.append_pair("churn", &f(p.churn));
                out.append_pair("snr", &f(p.snr));
                out.append_pair("nu", &f(p.momentum));
                out.append_pair("tol", &f(p.tol));
                out.append_pair("n", &p.particles.to_string());
                out.append_pair("seed", &p.seed.to_string());
                out.append_pair("init", p.init.key());
            }
            Scenario::NavierStokes(p) => {
                let f = format_f64;
                out.append_pair("case", p.case.key());
                out.append_pair("n", &p.n.to_string());
                out.append_pair("re", &f(p.reynolds));
                out.append_pair("solver", p.solver.key());
                out.append_pair("pressure", p.pressure.key());
                out.append_pair("omega", &f(p.omega));
                out.append_pair("tol", &f(p.tol));
                out.append_pair("cfl", &f(p.cfl));
                out.append_pair("seed", &p.seed.to_string());
                if let Some(mask) = p.mask.as_ref().filter(|m| !m.is_empty()) {
                    out.append_pair("mask", &mask.encode());
                }
            }
        }
        out.finish()
    }

    /// Parses a link: a full URL, `?query`, `#fragment` or a bare query string. Never panics;
    /// every failure names the offending key.
    pub fn from_link(input: &str) -> Result<Scenario, LinkError> {
        if input.len() > MAX_LINK_BYTES {
            return Err(LinkError::TooLong(input.len()));
        }
        let query = match input.find(['?', '#']) {
            Some(i) => &input[i + 1..],
            None => input,
        };
        let query = query.trim_start_matches(['?', '#']);
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            if k.is_empty() {
                continue;
            }
            if pairs.iter().any(|(seen, _)| *seen == k) {
                return Err(LinkError::DuplicateKey(k.into_owned()));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        let take = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let version = match take("v") {
            None => LINK_VERSION,
            Some(v) => v.parse::<u32>().map_err(|e| LinkError::BadValue {
                key: "v".into(),
                why: e.to_string(),
            })?,
        };
        if version > LINK_VERSION {
            return Err(LinkError::NewerVersion(version));
        }
        let sim = take("s").ok_or(LinkError::MissingSimulation)?;
        match sim {
            "nlse" => parse_nlse(&pairs).map(Into::into),
            "3body" => parse_three_body(&pairs).map(Into::into),
            "diffusion" => parse_diffusion(&pairs).map(Into::into),
            "ns" => parse_navier_stokes(&pairs).map(Into::into),
            other => Err(LinkError::UnknownSimulation(truncate(other))),
        }
    }
}

/// `link` with the keys of `edits` set (replaced where present, appended otherwise), as a
/// `?query` (sweeps vary one key of a link). The result is parsed like any link, so a bad
/// key or value is reported there.
pub fn edit_link(link: &str, edits: &[(&str, String)]) -> String {
    let query = match link.find(['?', '#']) {
        Some(i) => &link[i + 1..],
        None => link,
    };
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .filter(|(k, _)| !k.is_empty())
        .collect();
    for (key, value) in edits {
        match pairs.iter_mut().find(|(k, _)| k == key) {
            Some(pair) => pair.1.clone_from(value),
            None => pairs.push(((*key).to_owned(), value.clone())),
        }
    }
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        out.append_pair(k, v);
    }
    format!("?{}", out.finish())
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Any 64-bit seed.
const SEEDS: std::ops::RangeInclusive<u64> = 0..=u64::MAX;

/// An integer key. Text that is not a whole number of the key's type (negative, fractional,
/// not a number, too large) is refused with what is `allowed` ("must be an integer from 256 to
/// 65536, got '-5'"), never just "invalid digit"; an integer outside `allowed` is left to the
/// parameters' own validation, whose message also says why (a power of two, bodies, cells).
fn parse_integer<T: TryFrom<u64>>(
    key: &str,
    value: &str,
    allowed: std::ops::RangeInclusive<u64>,
) -> Result<T, LinkError> {
    let refuse = || LinkError::BadValue {
        key: key.into(),
        why: format!(
            "must be an integer from {} to {}, got '{}'",
            allowed.start(),
            allowed.end(),
            truncate(value)
        ),
    };
    let v: u64 = value.trim().parse().map_err(|_| refuse())?;
    T::try_from(v).map_err(|_| refuse())
}

fn parse_finite(key: &str, value: &str) -> Result<f64, LinkError> {
    let v: f64 = value.trim().parse().map_err(|e| LinkError::BadValue {
        key: key.into(),
        why: format!("'{}' is not a number ({e})", truncate(value)),
    })?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(LinkError::BadValue {
            key: key.into(),
            why: format!("{v} is not a finite number"),
        })
    }
}

fn parse_flag(key: &str, value: &str) -> Result<bool, LinkError> {
    match value {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        other => Err(LinkError::BadValue {
            key: key.into(),
            why: format!("'{}' is not 0 or 1", truncate(other)),
        }),
    }
}

/// Parses the link token of a [`Choice`], naming the known tokens on failure.
fn parse_choice<T: Choice>(key: &str, value: &str, what: &str) -> Result<T, LinkError> {
    T::from_key(value).ok_or_else(|| LinkError::BadValue {
        key: key.into(),
        why: format!(
            "unknown {what} '{}' (known: {})",
            truncate(value),
            T::keys().join(", ")
        ),
    })
}

/// A comma-separated list of exactly `N` finite numbers.
fn parse_list<const N: usize>(key: &str, value: &str) -> Result<[f64; N], LinkError> {
    let parts: Vec<&str> = value.split(',').collect();
    if parts.len() != N {
        return Err(LinkError::BadValue {
            key: key.into(),
            why: format!("expected {N} comma-separated numbers, got {}", parts.len()),
        });
    }
    let mut out = [0.0; N];
    for (slot, part) in out.iter_mut().zip(parts) {
        *slot = parse_finite(key, part.trim())?;
    }
    Ok(out)
}

/// `map=resolution,body,plane,span,t_end,eta,escape_radius` (body 1-based, plane xy | vxvy).
fn parse_map(value: &str) -> Result<EnsembleParams, LinkError> {
    let bad = |why: String| LinkError::BadValue {
        key: "map".into(),
        why,
    };
    let parts: Vec<&str> = value.split(',').map(str::trim).collect();
    let [resolution, body, plane, span, t_end, eta, radius] = parts[..] else {
        return Err(bad(format!(
            "expected 7 comma-separated fields (resolution,body,plane,span,t_end,eta,escape_radius), got {}",
            parts.len()
        )));
    };
    let body: usize = parse_integer("map", body, 1..=MAX_BODIES as u64)?;
    if body == 0 {
        return Err(bad("bodies are numbered from 1".to_owned()));
    }
    Ok(EnsembleParams {
        resolution: parse_integer("map", resolution, 4..=1024)?,
        body: body - 1,
        plane: EnsemblePlane::from_key(plane).ok_or_else(|| {
            bad(format!(
                "unknown plane '{}' (known: xy, vxvy)",
                truncate(plane)
            ))
        })?,
        span: parse_finite("map", span)?,
        t_end: parse_finite("map", t_end)?,
        eta: parse_finite("map", eta)?,
        escape_radius: parse_finite("map", radius)?,
    })
}

fn parse_three_body(pairs: &[(String, String)]) -> Result<ThreeBodyParams, LinkError> {
    let case = match pairs.iter().find(|(k, _)| k == "case") {
        None => ThreeBodyCase::FigureEight,
        Some((_, v)) => parse_choice::<ThreeBodyCase>("case", v, "scenario")?,
    };
    let mut p = ThreeBodyParams::for_case(case);
    let mut bodies: Vec<Option<Body>> = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "v" | "s" | "case" => {}
            "solver" => p.method = parse_choice::<ThreeBodyMethod>(key, value, "solver")?,
            "steps" => p.step_mode = parse_choice::<StepMode>(key, value, "step rule")?,
            "dt" => p.dt = parse_finite(key, value)?,
            "eta" => p.eta = parse_finite(key, value)?,
            "tol" => p.tol = parse_finite(key, value)?,
            "ctl" => p.controller = parse_choice::<ControllerKind>(key, value, "controller")?,
            "crit" => {
                p.ias15_criterion = parse_choice::<Ias15Criterion>(key, value, "IAS15 criterion")?
            }
            "soft" => p.softening = parse_finite(key, value)?,
            "com" => p.com_frame = parse_flag(key, value)?,
            "trail" => p.trail = parse_integer(key, value, 2..=10_000)?,
            "n" => p.n_random = parse_integer(key, value, 2..=MAX_BODIES as u64)?,
            "seed" => p.seed = parse_integer(key, value, SEEDS)?,
            "masses" => p.lagrange_masses = parse_list::<3>(key, value)?,
            "map" => p.map = Some(parse_map(value)?),
            other => {
                let index = other
                    .strip_prefix('b')
                    .and_then(|i| i.parse::<usize>().ok())
                    .filter(|i| (1..=MAX_BODIES).contains(i));
                let Some(index) = index else {
                    return Err(LinkError::UnknownKey {
                        key: truncate(other),
                        allowed: THREE_BODY_KEYS.join(", "),
                    });
                };
                let [mass, x, y, z, vx, vy, vz] = parse_list::<7>(key, value)?;
                if bodies.len() < index {
                    bodies.resize(index, None);
                }
                bodies[index - 1] = Some(Body {
                    mass,
                    x: [x, y, z],
                    v: [vx, vy, vz],
                });
            }
        }
    }
    if !bodies.is_empty() {
        let mut complete = Vec::with_capacity(bodies.len());
        for (i, b) in bodies.into_iter().enumerate() {
            complete.push(b.ok_or_else(|| {
                LinkError::Invalid(format!(
                    "body b{} is missing (bodies must be numbered b1, b2, … without gaps)",
                    i + 1
                ))
            })?);
        }
        p.bodies = Some(complete);
    }
    p.validate().map_err(LinkError::Invalid)?;
    Ok(p)
}

fn parse_navier_stokes(pairs: &[(String, String)]) -> Result<NsParams, LinkError> {
    // Start from the scenario's own defaults so short hand-written links work.
    let case = match pairs.iter().find(|(k, _)| k == "case") {
        None => NsCase::Cavity,
        Some((key, value)) => parse_choice::<NsCase>(key, value, "scenario")?,
    };
    let mut p = case.defaults();
    for (key, value) in pairs {
        match key.as_str() {
            "v" | "s" | "case" => {}
            "n" => p.n = parse_integer(key, value, 16..=MAX_CELLS as u64)?,
            "re" => p.reynolds = parse_finite(key, value)?,
            "solver" => p.solver = parse_choice::<NsSolver>(key, value, "solver")?,
            "pressure" => p.pressure = parse_choice::<PressureKind>(key, value, "pressure solver")?,
            "omega" => p.omega = parse_finite(key, value)?,
            "tol" => p.tol = parse_finite(key, value)?,
            "cfl" => p.cfl = parse_finite(key, value)?,
            "seed" => p.seed = parse_integer(key, value, SEEDS)?,
            "mask" => {
                p.mask = Some(
                    ObstacleMask::decode(value).map_err(|why| LinkError::BadValue {
                        key: key.clone(),
                        why,
                    })?,
                )
            }
            other => {
                return Err(LinkError::UnknownKey {
                    key: truncate(other),
                    allowed: NS_KEYS.join(", "),
                });
            }
        }
    }
    p.validate().map_err(LinkError::Invalid)?;
    Ok(p)
}

fn parse_diffusion(pairs: &[(String, String)]) -> Result<DiffusionParams, LinkError> {
    let mut p = DiffusionParams::default();
    let mut rho = None;
    let mut grid = None;
    for (key, value) in pairs {
        match key.as_str() {
            "v" | "s" => {}
            "target" => p.target = parse_choice::<TargetKind>(key, value, "target")?,
            "dim" => p.dim = parse_integer(key, value, 2..=MAX_DIM as u64)?,
            "k" => p.components = parse_integer(key, value, 1..=4096)?,
            "process" => p.process = parse_choice::<ProcessKind>(key, value, "process")?,
            "grid" => grid = Some(value.as_str()),
            "rho" => rho = Some(parse_finite(key, value)?),
            "sampler" => p.sampler = parse_choice::<SamplerKind>(key, value, "sampler")?,
            "nfe" => p.nfe = parse_integer(key, value, 1..=100_000)?,
            "eta" => p.eta = parse_finite(key, value)?,
            "churn" => p.churn = parse_finite(key, value)?,
            "snr" => p.snr = parse_finite(key, value)?,
            "nu" => p.momentum = parse_finite(key, value)?,
            "tol" => p.tol = parse_finite(key, value)?,
            "n" => p.particles = parse_integer(key, value, 1..=MAX_PARTICLES as u64)?,
            "seed" => p.seed = parse_integer(key, value, SEEDS)?,
            "init" => p.init = parse_choice::<InitKind>(key, value, "start")?,
            other => {
                return Err(LinkError::UnknownKey {
                    key: truncate(other),
                    allowed: DIFFUSION_KEYS.join(", "),
                });
            }
        }
    }
    p.grid = match grid {
        None | Some("lambda") => TimeGrid::UniformLambda,
        Some("t") => TimeGrid::UniformTime,
        Some("edm") => TimeGrid::Edm {
            rho: rho.unwrap_or(7.0),
        },
        Some(other) => {
            return Err(LinkError::BadValue {
                key: "grid".into(),
                why: format!("unknown grid '{}' (known: t, lambda, edm)", truncate(other)),
            });
        }
    };
    if rho.is_some() && !matches!(p.grid, TimeGrid::Edm { .. }) {
        return Err(LinkError::BadValue {
            key: "rho".into(),
            why: "ρ belongs to grid=edm".into(),
        });
    }
    p.validate().map_err(LinkError::Invalid)?;
    Ok(p)
}

fn parse_nlse(pairs: &[(String, String)]) -> Result<NlseParams, LinkError> {
    // Start from the scenario's own defaults so short hand-written links work.
    let case = match pairs.iter().find(|(k, _)| k == "case") {
        None => NlseCase::Soliton,
        Some((_, v)) => parse_choice::<NlseCase>("case", v, "scenario")?,
    };
    let mut p = NlseParams::for_case(case);
    for (key, value) in pairs {
        match key.as_str() {
            // The link header and the scenario, handled above.
            "v" | "s" | "case" => {}
            "n" => {
                p.n = parse_integer(key, value, 256..=65536)?;
            }
            "l" => p.length = parse_finite(key, value)?,
            "beta" => p.beta = parse_finite(key, value)?,
            "gamma" => p.gamma = parse_finite(key, value)?,
            "solver" => p.method = parse_choice::<NlseMethod>(key, value, "solver")?,
            "dt" => p.dt = parse_finite(key, value)?,
            "rtol" => p.rtol = parse_finite(key, value)?,
            "atol" => p.atol = parse_finite(key, value)?,
            "ctl" => p.controller = parse_choice::<ControllerKind>(key, value, "controller")?,
            "hold" => p.hold = parse_finite(key, value)?,
            "dealias" => {
                p.dealias = match value.as_str() {
                    "1" | "true" => true,
                    "0" | "false" => false,
                    other => {
                        return Err(LinkError::BadValue {
                            key: key.clone(),
                            why: format!("'{}' is not 0 or 1", truncate(other)),
                        });
                    }
                }
            }
            "filter" => p.filter_rate = parse_finite(key, value)?,
            "amp" => p.amplitude = parse_finite(key, value)?,
            "vel" => p.velocity = parse_finite(key, value)?,
            "amp2" => p.amplitude2 = parse_finite(key, value)?,
            "sep" => p.separation = parse_finite(key, value)?,
            "a" => p.breather_a = parse_finite(key, value)?,
            "bg" => p.background = parse_finite(key, value)?,
            "noise" => p.noise = parse_finite(key, value)?,
            "seed" => p.seed = parse_integer(key, value, SEEDS)?,
            other => {
                return Err(LinkError::UnknownKey {
                    key: truncate(other),
                    allowed: NLSE_KEYS.join(", "),
                });
            }
        }
    }
    p.validate().map_err(LinkError::Invalid)?;
    Ok(p)
}

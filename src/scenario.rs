//! The one serde type behind the UI state, the share link, the desktop argument and the JS
//! API: a [`Scenario`] names the simulation and all of its parameters, including the seed, so a
//! link reproduces a run.
//!
//! Link form (version 1), human-readable, in a query string or a fragment:
//! `?v=1&s=nlse&case=breather&n=256&solver=dop853ip&rtol=1e-9…`. Every parameter is written
//! out, floats in shortest round-trip form, so a link means the same thing even if defaults
//! change later; missing keys take the defaults of the link's version.

use thiserror::Error;

use crate::core::controller::ControllerKind;
use crate::sims::nlse::{NlseCase, NlseMethod, NlseParams};

/// The current link version.
pub const LINK_VERSION: u32 = 1;

/// Links longer than this are rejected before parsing (a link is a few hundred bytes).
pub const MAX_LINK_BYTES: usize = 4096;

/// A complete, reproducible scenario.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Scenario {
    /// The nonlinear Schrödinger equation.
    Nlse(NlseParams),
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario::Nlse(NlseParams::default())
    }
}

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
    #[error("unknown simulation s={0} (known: nlse)")]
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
    "case", "n", "l", "beta", "gamma", "solver", "dt", "rtol", "atol", "ctl", "dealias", "filter",
    "amp", "vel", "amp2", "sep", "a", "bg", "noise", "seed",
];

impl Scenario {
    /// The simulation's link token.
    pub fn sim_key(&self) -> &'static str {
        match self {
            Scenario::Nlse(_) => "nlse",
        }
    }

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
            "nlse" => parse_nlse(&pairs).map(Scenario::Nlse),
            other => Err(LinkError::UnknownSimulation(truncate(other))),
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

fn parse_num<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, LinkError>
where
    T::Err: std::fmt::Display,
{
    value.parse::<T>().map_err(|e| LinkError::BadValue {
        key: key.into(),
        why: format!("'{}' is not a number ({e})", truncate(value)),
    })
}

fn parse_finite(key: &str, value: &str) -> Result<f64, LinkError> {
    let v: f64 = parse_num(key, value)?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(LinkError::BadValue {
            key: key.into(),
            why: format!("{v} is not a finite number"),
        })
    }
}

fn parse_nlse(pairs: &[(String, String)]) -> Result<NlseParams, LinkError> {
    // Start from the scenario's own defaults so short hand-written links work.
    let case = match pairs.iter().find(|(k, _)| k == "case") {
        None => NlseCase::Soliton,
        Some((_, v)) => NlseCase::from_key(v).ok_or_else(|| LinkError::BadValue {
            key: "case".into(),
            why: format!(
                "unknown scenario '{}' (known: {})",
                truncate(v),
                NlseCase::ALL.map(|c| c.key()).join(", ")
            ),
        })?,
    };
    let mut p = NlseParams::for_case(case);
    for (key, value) in pairs {
        match key.as_str() {
            // The link header and the scenario, handled above.
            "v" | "s" | "case" => {}
            "n" => {
                p.n = parse_num(key, value)?;
            }
            "l" => p.length = parse_finite(key, value)?,
            "beta" => p.beta = parse_finite(key, value)?,
            "gamma" => p.gamma = parse_finite(key, value)?,
            "solver" => {
                p.method = NlseMethod::from_key(value).ok_or_else(|| LinkError::BadValue {
                    key: key.clone(),
                    why: format!(
                        "unknown solver '{}' (known: {})",
                        truncate(value),
                        NlseMethod::ALL.map(|m| m.key()).join(", ")
                    ),
                })?
            }
            "dt" => p.dt = parse_finite(key, value)?,
            "rtol" => p.rtol = parse_finite(key, value)?,
            "atol" => p.atol = parse_finite(key, value)?,
            "ctl" => {
                p.controller =
                    ControllerKind::from_key(value).ok_or_else(|| LinkError::BadValue {
                        key: key.clone(),
                        why: format!(
                            "unknown controller '{}' (known: fixed, i, pi, pid)",
                            truncate(value)
                        ),
                    })?
            }
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
            "seed" => p.seed = parse_num(key, value)?,
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

//! State checkpoints: a run's full state with its scenario link, in a JSON file that reloads
//! exactly. Floating-point data is stored as the bits of each f64 (JSON integers), so every
//! value — NaN included — comes back bit for bit, and a resumed run takes the same steps as
//! the run that was saved. The link rebuilds everything that follows from the scenario (the
//! grid, the operators, the initial state the drifts are measured against).
//!
//! What is saved per simulation: the NLSE spectrum ψ̂, the integrator's counters and its step
//! controller's memory; the three-body positions and velocities, counters, controller memory
//! and running extremes (IAS15 also its force polynomial, predictor basis and Kahan
//! residuals); the Navier–Stokes velocity, pressure (the next solve's first guess) or
//! vorticity spectrum, dye, time and step count. A GPU run is saved as last read back: its
//! f32 state, exactly, which continues on the CPU (f64). A diffusion sampling run is one pass
//! from t_max to t_min that its link reproduces exactly; it has no checkpoint.

use serde::{Deserialize, Serialize};

use crate::core::controller::StepController;
use crate::core::stats::RunStats;

/// What a checkpoint file says it is.
pub const FORMAT: &str = "stepscope checkpoint";
/// The layout version.
pub const VERSION: u32 = 1;

/// A checkpoint file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Always [`FORMAT`].
    pub format: String,
    /// The layout version ([`VERSION`]).
    pub version: u32,
    /// The scenario's share link.
    pub link: String,
    /// The simulation's link token (for people reading the file).
    pub sim: String,
    /// The time of the state (for people reading the file; the state holds the exact value).
    pub t: f64,
    /// The state.
    pub state: RunState,
}

/// A run's state as named arrays of f64 bits and named counters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// Named floating-point arrays, each value as its IEEE-754 bits.
    pub floats: Vec<(String, Vec<u64>)>,
    /// Named counters.
    pub counters: Vec<(String, u64)>,
}

impl RunState {
    /// Adds a named float array.
    pub fn put(&mut self, name: &str, values: impl IntoIterator<Item = f64>) {
        self.floats.push((
            name.to_owned(),
            values.into_iter().map(f64::to_bits).collect(),
        ));
    }

    /// Adds a named counter.
    pub fn count(&mut self, name: &str, value: u64) {
        self.counters.push((name.to_owned(), value));
    }

    /// The float array `name`.
    pub fn get(&self, name: &str) -> Result<Vec<f64>, String> {
        self.floats
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, bits)| bits.iter().map(|b| f64::from_bits(*b)).collect())
            .ok_or_else(|| format!("the checkpoint has no '{name}'"))
    }

    /// The float array `name`, which must hold `len` values.
    pub fn get_len(&self, name: &str, len: usize) -> Result<Vec<f64>, String> {
        let values = self.get(name)?;
        if values.len() == len {
            Ok(values)
        } else {
            Err(format!(
                "the checkpoint's '{name}' has {} values where this scenario needs {len}",
                values.len()
            ))
        }
    }

    /// The counter `name`.
    pub fn counter(&self, name: &str) -> Result<u64, String> {
        self.counters
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("the checkpoint has no '{name}'"))
    }

    /// Saves an integrator's counters.
    pub fn put_stats(&mut self, stats: &RunStats) {
        self.put("stats", [stats.t, stats.h, stats.h_last, stats.last_error]);
        self.count("accepted", stats.accepted);
        self.count("rejected", stats.rejected);
        self.count("nfe", stats.nfe);
    }

    /// An integrator's counters.
    pub fn stats(&self) -> Result<RunStats, String> {
        let f = self.get_len("stats", 4)?;
        Ok(RunStats {
            t: f[0],
            h: f[1],
            h_last: f[2],
            last_error: f[3],
            accepted: self.counter("accepted")?,
            rejected: self.counter("rejected")?,
            nfe: self.counter("nfe")?,
        })
    }
}

impl RunState {
    /// Saves a step controller's memory.
    pub fn put_controller(&mut self, controller: &StepController) {
        let (errors, last_rejected) = controller.memory();
        self.put("controller", errors);
        self.count("last_rejected", u64::from(last_rejected));
    }

    /// Restores a step controller's memory.
    pub fn restore_controller(&self, controller: &mut StepController) -> Result<(), String> {
        let errors = self.get_len("controller", 2)?;
        controller.set_memory([errors[0], errors[1]], self.counter("last_rejected")? != 0);
        Ok(())
    }
}

impl Checkpoint {
    /// A checkpoint of `state` of the scenario `link` at time `t`.
    pub fn new(link: String, sim: &str, t: f64, state: RunState) -> Checkpoint {
        Checkpoint {
            format: FORMAT.to_owned(),
            version: VERSION,
            link,
            sim: sim.to_owned(),
            t,
            state,
        }
    }

    /// The file's text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a checkpoint file's text; None if it is not one (e.g. a link), an error if it
    /// says it is one but cannot be read.
    pub fn from_json(text: &str) -> Option<Result<Checkpoint, String>> {
        let value: serde_json::Value = serde_json::from_str(text.trim_start()).ok()?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return None;
        }
        Some(
            serde_json::from_value::<Checkpoint>(value)
                .map_err(|e| format!("the checkpoint file is damaged: {e}"))
                .and_then(|c| {
                    if c.version == VERSION {
                        Ok(c)
                    } else {
                        Err(format!(
                            "checkpoint version {} (this stepscope reads version {VERSION})",
                            c.version
                        ))
                    }
                }),
        )
    }
}

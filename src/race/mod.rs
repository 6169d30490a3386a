//! Solver races and work–precision data: one scenario run by several solvers, each at several
//! values of one parameter (a tolerance, a step, a CFL number, an NFE), from the same initial
//! state (and the same seed, for stochastic runs). Each run's error — against the exact
//! solution, a published table or a conserved quantity, or against a finer reference run of
//! the same discretisation — is set against its work (function evaluations, steps) and wall
//! time, and the least-squares slope of log error against log work is the observed order
//! (Hairer, Nørsett & Wanner I, §II.10 for work–precision diagrams).
//!
//! A [`Race`] advances in slices of wall time, so the app fills a diagram in while it stays
//! responsive; the command line and the tests run it to the end. It runs its entries one by
//! one on the f64 CPU, or hands them all to a [`BatchRunner`] on the GPU ([`gpu`]: three-body
//! runs all in one dispatch, NLSE and diffusion runs one after another). No UI here.

pub mod gpu;

pub use crate::sims::run::{BatchResult, BatchRunner};

use crate::scenario::Scenario;
use crate::sims::run::{Run, Target};
use web_time::Instant;

/// What a run's error is measured against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Measure {
    /// The scenario's own measure: the exact solution or a published table where it has one,
    /// else the drift of a conserved quantity (see [`Run::accuracy`]).
    Scenario,
    /// The relative L2 distance of the final state to a reference run of the same solver at a
    /// value two geometric steps beyond the fine end of the range: the temporal error alone,
    /// where the spatial error would hide it against an exact solution (Navier–Stokes on a
    /// grid), and a self-convergence study where no exact solution exists.
    Reference,
}

impl Measure {
    /// Link and command-line token.
    pub fn key(self) -> &'static str {
        match self {
            Measure::Scenario => "scenario",
            Measure::Reference => "reference",
        }
    }

    /// From its token.
    pub fn from_key(key: &str) -> Option<Measure> {
        [Measure::Scenario, Measure::Reference]
            .into_iter()
            .find(|m| m.key() == key)
    }
}

/// A race worth watching on `scenario` (its link, with what a race of its simulation needs
/// set): fixed-step NLSE methods over dt against the exact soliton or the Hamiltonian; fixed
/// steps of symplectic three-body methods over dt by the energy error; diffusion samplers of
/// orders 1–3 over NFE against the reference ODE solution; Navier–Stokes schemes over the
/// CFL number against reference runs (see [`crate::scenario::SimInfo::race_preset`]).
pub fn preset(scenario: &Scenario) -> RacePlan {
    let preset = scenario.info().race_preset;
    let edits: Vec<(&str, String)> = preset
        .edits
        .iter()
        .map(|(k, v)| (*k, (*v).to_owned()))
        .collect();
    let link = if edits.is_empty() {
        scenario.to_query()
    } else {
        crate::scenario::edit_link(&scenario.to_query(), &edits)
    };
    let measure = if preset.against_reference {
        Measure::Reference
    } else {
        Measure::Scenario
    };
    let solvers = preset.solvers.iter().map(|s| (*s).to_owned()).collect();
    RacePlan::new(
        &link,
        preset.key,
        preset.range,
        4,
        solvers,
        preset.until,
        measure,
    )
    .expect("the preset ranges are valid")
}

/// `KEY=A..B` → (key, A, B).
pub fn parse_range(vary: &str) -> Result<(String, f64, f64), String> {
    let bad = || format!("'{vary}': expected KEY=A..B, e.g. rtol=1e-3..1e-12");
    let (key, range) = vary.split_once('=').ok_or_else(bad)?;
    let (a, b) = range.split_once("..").ok_or_else(bad)?;
    let (a, b): (f64, f64) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if key.trim().is_empty() || !(a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0) {
        return Err(format!(
            "'{vary}': the key must be named and both ends be positive numbers"
        ));
    }
    Ok((key.trim().to_owned(), a, b))
}

/// A race to run: the base link, the key varied over its values, the solvers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RacePlan {
    /// The scenario's share link.
    pub link: String,
    /// The link key varied (e.g. `rtol`, `dt`, `cfl`, `nfe`).
    pub key: String,
    /// Its values, geometrically spaced from the first to the last.
    pub values: Vec<f64>,
    /// The solvers (link values of `solver`, or `sampler` for diffusion).
    pub solvers: Vec<String>,
    /// End time of each run (None for diffusion sampling, which runs from t_max to t_min).
    pub until: Option<f64>,
    /// What the error is measured against.
    pub measure: Measure,
}

/// Most values a race varies over, and most solvers it runs.
pub const MAX_POINTS: usize = 50;

impl RacePlan {
    /// A plan with `points` values from `from` to `to` (geometric; integer ends give integer
    /// values, each once).
    pub fn new(
        link: &str,
        key: &str,
        (from, to): (f64, f64),
        points: usize,
        solvers: Vec<String>,
        until: Option<f64>,
        measure: Measure,
    ) -> Result<RacePlan, String> {
        if !(2..=MAX_POINTS).contains(&points) {
            return Err(format!("{points} values: a race has 2 to {MAX_POINTS}"));
        }
        if !(from.is_finite() && to.is_finite() && from > 0.0 && to > 0.0) || from == to {
            return Err(format!(
                "{key} = {from}..{to}: the ends must be two different positive numbers"
            ));
        }
        let integer = from.fract() == 0.0 && to.fract() == 0.0;
        let mut values: Vec<f64> = (0..points)
            .map(|i| from * (to / from).powf(i as f64 / (points - 1) as f64))
            .map(|v| if integer { v.round() } else { v })
            .collect();
        values.dedup();
        Ok(RacePlan {
            link: link.to_owned(),
            key: key.to_owned(),
            values,
            solvers,
            until,
            measure,
        })
    }

    /// The value of the reference run: two geometric steps beyond the last value (integer
    /// keys stay integers).
    fn reference_value(&self) -> f64 {
        let n = self.values.len();
        let (first, last) = (self.values[0], self.values[n - 1]);
        let ratio = (last / first).powf(1.0 / (n - 1) as f64);
        let value = last * ratio * ratio;
        if first.fract() == 0.0 && last.fract() == 0.0 {
            value.round()
        } else {
            value
        }
    }
}

/// One finished run of a race.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RacePoint {
    /// The solver's link token.
    pub solver: String,
    /// The value of the varied key.
    pub value: f64,
    /// Work (see [`crate::scenario::SimInfo::work_unit`]).
    pub work: f64,
    /// Error (see [`Race::measure_name`]); NaN for a failed run.
    pub error: f64,
    /// Wall time of the run alone, in seconds.
    pub seconds: f64,
    /// Why the run failed, if it did.
    pub failure: Option<String>,
    /// The smallest error the run's arithmetic can resolve, where it is coarser than f64
    /// (a single-precision GPU run): points within [`FLOOR_MARGIN`] of it show the
    /// arithmetic, not the method, and are left out of the fitted order.
    #[serde(default)]
    pub floor: Option<f64>,
}

/// How far above its resolution floor a point's error must be to count in the fit.
pub const FLOOR_MARGIN: f64 = 10.0;

impl RacePoint {
    /// Whether the error is far enough above the arithmetic's floor to show the method.
    pub fn resolved(&self) -> bool {
        self.floor
            .is_none_or(|floor| self.error > FLOOR_MARGIN * floor)
    }
}

/// A solver's curve in the work–precision diagram.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SolverFit {
    /// The solver's link token.
    pub solver: String,
    /// Its finished points, in plan order.
    pub points: Vec<RacePoint>,
    /// The least-squares slope of −log error against log work.
    pub observed_order: Option<f64>,
    /// The method's formal order, where it has one.
    pub theory_order: Option<f64>,
}

/// A run waiting, running or done.
struct Entry {
    solver: String,
    value: f64,
    /// The solver's reference run (measured against, not plotted).
    is_reference: bool,
    scenario: Scenario,
}

/// The run in progress.
struct Current {
    run: Box<dyn Run>,
    seconds: f64,
}

/// A race in progress (see the module docs).
pub struct Race {
    plan: RacePlan,
    base: Scenario,
    /// Solver by solver: its reference run first when measuring against one, then its values.
    entries: Vec<Entry>,
    next: usize,
    current: Option<Current>,
    reference: Option<Vec<f64>>,
    reference_work: f64,
    points: Vec<RacePoint>,
    orders: Vec<(String, Option<f64>)>,
    measure_name: String,
    failure: Option<String>,
    /// The runner doing every run at once, while it works.
    batch: Option<Box<dyn BatchRunner>>,
    /// Where the runs go.
    backend: String,
}

/// Step attempts (Navier–Stokes: steps; diffusion: NFE per particle) between looks at the
/// clock.
const SLICE_ATTEMPTS: u64 = 32;

/// Wall time a batch runner gets per slice.
const SLICE_SECONDS: f64 = 0.01;

impl Race {
    /// Checks the plan and builds every run's scenario before anything runs, so bad input
    /// costs no compute.
    pub fn new(plan: RacePlan) -> Result<Race, String> {
        let base = plan
            .link
            .parse::<Scenario>()
            .map_err(|e| format!("bad link: {e}"))?;
        if plan.solvers.is_empty() {
            return Err("name at least one solver".into());
        }
        if plan.values.is_empty() {
            return Err("a race needs values to vary over".into());
        }
        let clock = base.info().has_clock;
        match (clock, plan.until) {
            (true, Some(t)) if t.is_finite() && t > 0.0 => {}
            (true, _) => {
                return Err("each run needs a finite, positive end time (until)".into());
            }
            (false, Some(_)) => {
                return Err(
                    "diffusion sampling runs from t_max down to t_min: give no end time".into(),
                );
            }
            (false, None) => {}
        }
        let query = base.to_query();
        let key = base.info().solver_key;
        let scenario_of = |solver: &str, value: f64| -> Result<Scenario, String> {
            let edited = crate::scenario::edit_link(
                &query,
                &[
                    (key, solver.to_owned()),
                    (plan.key.as_str(), crate::core::format_f64(value)),
                ],
            );
            edited
                .parse::<Scenario>()
                .map_err(|e| format!("{solver}, {} = {value:e}: {e}", plan.key))
        };
        let mut entries = Vec::new();
        let mut orders = Vec::new();
        for solver in &plan.solvers {
            if plan.measure == Measure::Reference {
                let value = plan.reference_value();
                entries.push(Entry {
                    solver: solver.clone(),
                    value,
                    is_reference: true,
                    scenario: scenario_of(solver, value)?,
                });
            }
            for value in &plan.values {
                entries.push(Entry {
                    solver: solver.clone(),
                    value: *value,
                    is_reference: false,
                    scenario: scenario_of(solver, *value)?,
                });
            }
            let order = scenario_of(solver, plan.values[0])?
                .cpu_run()?
                .method_order();
            orders.push((solver.clone(), order));
        }
        let measure_name = match plan.measure {
            Measure::Reference => "relative L2 distance to the reference run".to_owned(),
            Measure::Scenario => String::new(),
        };
        Ok(Race {
            plan,
            base,
            entries,
            next: 0,
            current: None,
            reference: None,
            reference_work: 0.0,
            points: Vec::new(),
            orders,
            measure_name,
            failure: None,
            batch: None,
            backend: "CPU, f64, one run after another".into(),
        })
    }

    /// The runs of the race, in order: (solver, value, scenario), reference runs left out.
    pub fn runs(&self) -> impl Iterator<Item = (&str, f64, &Scenario)> {
        self.entries
            .iter()
            .filter(|e| !e.is_reference)
            .map(|e| (e.solver.as_str(), e.value, &e.scenario))
    }

    /// Hands every run to `runner` instead of the CPU (before the race has started).
    pub fn run_batched(&mut self, runner: Box<dyn BatchRunner>) -> Result<(), String> {
        if self.next > 0 || !self.points.is_empty() {
            return Err("the race has already started on the CPU".into());
        }
        if self.plan.measure != Measure::Scenario {
            return Err("a batched race measures against the scenario's own truth".into());
        }
        self.measure_name = runner.measure_name();
        self.backend = runner.describe();
        self.batch = Some(runner);
        Ok(())
    }

    /// Where the runs go (CPU f64 one by one, or the batch runner's description).
    pub fn backend(&self) -> &str {
        &self.backend
    }

    /// The plan.
    pub fn plan(&self) -> &RacePlan {
        &self.plan
    }

    /// The scenario raced.
    pub fn scenario(&self) -> &Scenario {
        &self.base
    }

    /// What the error measures (known once the first run is done).
    pub fn measure_name(&self) -> &str {
        &self.measure_name
    }

    /// Whether every run is done (or the race failed).
    pub fn is_finished(&self) -> bool {
        self.failure.is_some()
            || (self.batch.is_none() && self.next >= self.entries.len() && self.current.is_none())
    }

    /// Why the race as a whole failed (the reference run failed, or the scenario has nothing
    /// to measure the error against). Failed single runs are points with a failure instead.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Fraction of the runs done.
    pub fn progress(&self) -> f64 {
        if let Some(batch) = &self.batch {
            return batch.progress();
        }
        let done = self.next - usize::from(self.current.is_some());
        done as f64 / self.entries.len() as f64
    }

    /// The finished runs, in plan order.
    pub fn points(&self) -> &[RacePoint] {
        &self.points
    }

    /// Each solver's curve and its observed and formal orders.
    pub fn fits(&self) -> Vec<SolverFit> {
        self.orders
            .iter()
            .map(|(solver, theory)| {
                let points: Vec<RacePoint> = self
                    .points
                    .iter()
                    .filter(|p| &p.solver == solver)
                    .cloned()
                    .collect();
                let pairs: Vec<(f64, f64)> = points
                    .iter()
                    .filter(|p| p.resolved())
                    .map(|p| (p.work, p.error))
                    .collect();
                SolverFit {
                    solver: solver.clone(),
                    observed_order: crate::core::fit::observed_order(&pairs),
                    theory_order: *theory,
                    points,
                }
            })
            .collect()
    }

    /// Runs for about `seconds` of wall time (at least one slice); returns whether the race
    /// is finished.
    pub fn advance(&mut self, seconds: f64) -> bool {
        let start = Instant::now();
        while !self.is_finished() {
            // A batch runner is polled once: its device works between the calls.
            let batched = self.batch.is_some();
            self.slice();
            if batched || start.elapsed().as_secs_f64() >= seconds {
                break;
            }
        }
        self.is_finished()
    }

    /// Runs to the end, calling `progress` after each run.
    pub fn run_to_end(&mut self, mut progress: impl FnMut(&Race)) {
        while !self.is_finished() {
            let before = self.points.len();
            self.slice();
            if self.points.len() != before || self.is_finished() {
                progress(self);
            }
        }
    }

    /// One slice of work: starts the next run, or advances the current one a little, or
    /// finishes it.
    fn slice(&mut self) {
        if let Some(batch) = &mut self.batch {
            match batch.advance(SLICE_SECONDS) {
                Ok(None) => {}
                Ok(Some(results)) => {
                    // A runner learns what its errors measure as its runs finish.
                    self.measure_name = batch.measure_name();
                    let runs: Vec<(String, f64)> = self
                        .runs()
                        .map(|(solver, value, _)| (solver.to_owned(), value))
                        .collect();
                    if results.len() != runs.len() {
                        self.failure = Some(format!(
                            "the batch returned {} results for {} runs",
                            results.len(),
                            runs.len()
                        ));
                    }
                    for ((solver, value), r) in runs.into_iter().zip(results) {
                        self.points.push(RacePoint {
                            solver,
                            value,
                            work: r.work,
                            error: r.error,
                            seconds: r.seconds,
                            failure: r.failure,
                            floor: r.floor,
                        });
                    }
                    self.next = self.entries.len();
                    self.batch = None;
                }
                Err(e) => {
                    self.failure = Some(e);
                    self.batch = None;
                }
            }
            return;
        }
        let Some(mut current) = self.current.take() else {
            if let Some(entry) = self.entries.get(self.next) {
                self.next += 1;
                let start = Instant::now();
                match entry.scenario.cpu_run() {
                    Ok(mut run) => {
                        // A race compares states and errors; no picture of its runs is shown.
                        run.drop_view_only_state();
                        self.current = Some(Current {
                            run,
                            seconds: start.elapsed().as_secs_f64(),
                        });
                    }
                    Err(e) => self.finish_entry(None, Some(e)),
                }
            }
            return;
        };
        let start = Instant::now();
        let until = self.plan.until.unwrap_or(0.0);
        let outcome = current.run.advance(Target::Land(until), SLICE_ATTEMPTS);
        current.seconds += start.elapsed().as_secs_f64();
        match outcome {
            Ok(false) => self.current = Some(current),
            Ok(true) => self.finish_entry(Some(current), None),
            Err(e) => self.finish_entry(Some(current), Some(e)),
        }
    }

    /// Records the run of entry `next − 1`.
    fn finish_entry(&mut self, current: Option<Current>, failure: Option<String>) {
        let entry = &self.entries[self.next - 1];
        if entry.is_reference {
            match (current, failure) {
                (Some(current), None) => {
                    self.reference = Some(current.run.state_vector());
                    self.reference_work = current.run.work();
                }
                (_, failure) => {
                    self.failure = Some(format!(
                        "the reference run ({}, {} = {:e}) failed: {}",
                        entry.solver,
                        self.plan.key,
                        entry.value,
                        failure.unwrap_or_default()
                    ));
                }
            }
            return;
        }
        let (work, seconds) = current
            .as_ref()
            .map_or((f64::NAN, 0.0), |c| (c.run.work(), c.seconds));
        let error = match (&current, &failure) {
            (Some(current), None) => match self.plan.measure {
                Measure::Scenario => match current.run.accuracy() {
                    Some(accuracy) => {
                        accuracy.measure.clone_into(&mut self.measure_name);
                        accuracy.value
                    }
                    None => {
                        self.failure = Some(
                            "this scenario has no exact solution, table or conserved quantity to \
                             measure the error against: race against a reference run"
                                .into(),
                        );
                        return;
                    }
                },
                Measure::Reference => {
                    if work >= self.reference_work {
                        self.failure = Some(format!(
                            "the reference run ({} = {:e}) did less work than {} = {:e}: give \
                             the range from coarse to fine",
                            self.plan.key,
                            self.plan.reference_value(),
                            self.plan.key,
                            entry.value
                        ));
                        return;
                    }
                    let reference = self.reference.as_deref().unwrap_or_default();
                    relative_l2(&current.run.state_vector(), reference)
                }
            },
            _ => f64::NAN,
        };
        self.points.push(RacePoint {
            solver: entry.solver.clone(),
            value: entry.value,
            work,
            error,
            seconds,
            failure,
            floor: None,
        });
    }
}

/// ‖a − b‖₂ / ‖b‖₂ (NaN if the lengths differ or b is zero).
pub fn relative_l2(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() {
        return f64::NAN;
    }
    let diff: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    let norm: f64 = b.iter().map(|y| y * y).sum();
    if norm > 0.0 {
        (diff / norm).sqrt()
    } else {
        f64::NAN
    }
}

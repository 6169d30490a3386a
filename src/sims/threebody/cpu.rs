//! The f64 reference run of the N-body problem: one loop for every integrator, the
//! diagnostics and their histories, trails, and the period returns of periodic orbits.
//!
//! Reproducibility: the live app asks for "as far as t" every frame. Steps are never clipped
//! to those frame targets (the run may overshoot by less than one step), so the sequence of
//! steps, and therefore the run, does not depend on the frame rate. Steps are clipped only
//! to land on fixed marks: whole periods of a periodic orbit, and an end time the caller
//! asks to land on exactly ([`ThreeBodyCpu::advance_to`]).

use std::collections::VecDeque;

use super::ias15::Ias15;
use super::integrators::{Hermite, Leapfrog, Phase, RkStepper};
use super::scenarios::initial_bodies;
use super::{
    Body, Gravity, StepMode, ThreeBodyDiagnostics, ThreeBodyMethod, ThreeBodyParams, norm3,
    relative_drift, sub3,
};
use crate::core::controller::{ControllerKind, ControllerLimits, StepController};
use crate::core::elem::ErrorNorm;
use crate::core::history::DecimatingSeries;
use crate::core::rk::Tolerances;
use crate::core::stats::{Outcome, RunStats};
use crate::core::tableau::{DOP853, DP54, RK4};

/// Trails keep a point at most this often (simulation time).
pub const TRAIL_INTERVAL: f64 = 0.02;

/// Smallest step any method may take before the run stops with a step underflow.
pub const H_MIN: f64 = 1e-12;

/// Iterations of the time-symmetric step equation (Hut, Makino & McMillan 1995 find two
/// enough for the step to be reversible to round-off).
const SYMMETRIC_ITERATIONS: usize = 2;

/// Histories of the diagnostics for live plots (bounded memory).
pub struct ThreeBodyHistory {
    /// |E − E0|/|E0|.
    pub energy_error: DecimatingSeries,
    /// |L − L0|/|L0|.
    pub angular_momentum_drift: DecimatingSeries,
    /// |P − P0|.
    pub momentum_drift: DecimatingSeries,
    /// Accepted step sizes.
    pub step_size: DecimatingSeries,
    /// Scaled error estimates of error-controlled methods.
    pub error_estimate: DecimatingSeries,
    /// Cumulative rejected steps.
    pub rejected: DecimatingSeries,
    /// Cumulative force evaluations.
    pub nfe: DecimatingSeries,
    /// Smallest pairwise distance.
    pub min_distance: DecimatingSeries,
    /// Phase-space distance from the initial state after each period.
    pub period_return: Vec<[f64; 2]>,
}

impl Default for ThreeBodyHistory {
    fn default() -> Self {
        let s = || DecimatingSeries::new(2048);
        Self {
            energy_error: s(),
            angular_momentum_drift: s(),
            momentum_drift: s(),
            step_size: s(),
            error_estimate: s(),
            rejected: s(),
            nfe: s(),
            min_distance: s(),
            period_return: Vec::new(),
        }
    }
}

/// The per-method state carried between steps.
enum Stepper {
    Leapfrog(Leapfrog),
    Hermite(Hermite),
    Rk(Box<RkStepper>),
    Ias15(Box<Ias15>),
}

impl Stepper {
    fn for_method(p: &ThreeBodyParams, n: usize) -> Self {
        let (method, tol) = (p.method, p.tol);
        match method {
            ThreeBodyMethod::Leapfrog | ThreeBodyMethod::Yoshida4 => {
                Stepper::Leapfrog(Leapfrog::default())
            }
            ThreeBodyMethod::Hermite4 => Stepper::Hermite(Hermite::default()),
            ThreeBodyMethod::Rk4 => Stepper::Rk(Box::new(RkStepper::new(&RK4, n))),
            ThreeBodyMethod::Dopri5 => Stepper::Rk(Box::new(RkStepper::new(&DP54, n))),
            ThreeBodyMethod::Dop853 => Stepper::Rk(Box::new(RkStepper::new(&DOP853, n))),
            ThreeBodyMethod::Ias15 => {
                Stepper::Ias15(Box::new(Ias15::with_criterion(n, tol, p.ias15_criterion)))
            }
        }
    }
}

/// One attempted step.
struct Trial {
    accepted: bool,
    /// The step taken (accepted) or tried (rejected).
    h: f64,
    /// The step to try next.
    h_next: f64,
    error: Option<f64>,
    nfe: u64,
    /// The step failed in a way a retry cannot fix (non-finite at a fixed step).
    fatal: bool,
}

/// An f64 N-body run.
pub struct ThreeBodyCpu {
    params: ThreeBodyParams,
    gravity: Gravity,
    phase: Phase,
    initial: Phase,
    stepper: Stepper,
    controller: StepController,
    stats: RunStats,
    outcome: Outcome,
    energy0: f64,
    angular_momentum0: [f64; 3],
    /// |L0|, the scale of the angular-momentum drift.
    angular_momentum0_norm: f64,
    momentum0: [f64; 3],
    diagnostics: ThreeBodyDiagnostics,
    history: ThreeBodyHistory,
    trails: Vec<VecDeque<[f64; 3]>>,
    last_trail_t: f64,
    /// Scratch for step attempts.
    trial: Phase,
}

impl ThreeBodyCpu {
    /// Sets up the run of `params` at t = 0.
    pub fn new(params: ThreeBodyParams) -> Result<Self, String> {
        params.validate()?;
        let bodies = initial_bodies(&params);
        super::validate_bodies(&bodies)?;
        Ok(Self::from_bodies(params, &bodies, 0.0))
    }

    /// A run starting from `bodies` at time `t` (the initial state for period returns and
    /// drifts is this one).
    fn from_bodies(params: ThreeBodyParams, bodies: &[Body], t: f64) -> Self {
        let gravity = Gravity::new(bodies, params.softening);
        let phase = Phase {
            x: bodies.iter().map(|b| b.x).collect(),
            v: bodies.iter().map(|b| b.v).collect(),
        };
        let n = bodies.len();
        let angular_momentum0 = gravity.angular_momentum(&phase.x, &phase.v);
        let mut run = Self {
            stepper: Stepper::for_method(&params, n),
            controller: StepController::new(params.controller, controller_limits()),
            stats: RunStats {
                t,
                h: params.dt,
                last_error: f64::NAN,
                ..RunStats::default()
            },
            outcome: Outcome::Reached,
            energy0: gravity.energy(&phase.x, &phase.v),
            angular_momentum0,
            angular_momentum0_norm: norm3(angular_momentum0),
            momentum0: gravity.momentum(&phase.v),
            diagnostics: ThreeBodyDiagnostics::default(),
            history: ThreeBodyHistory::default(),
            trails: vec![VecDeque::new(); n],
            last_trail_t: f64::NEG_INFINITY,
            trial: phase.clone(),
            initial: phase.clone(),
            phase,
            gravity,
            params,
        };
        run.diagnostics.closest_approach = f64::INFINITY;
        run.refresh();
        run.record();
        run
    }

    /// The state for a checkpoint: positions, velocities, counters, the controller's memory
    /// and the running extremes of the diagnostics.
    pub fn checkpoint_state(&self) -> crate::checkpoint::RunState {
        let mut state = crate::checkpoint::RunState::default();
        state.put("x", self.phase.x.iter().flatten().copied());
        state.put("v", self.phase.v.iter().flatten().copied());
        state.put_stats(&self.stats);
        state.put_controller(&self.controller);
        state.put(
            "extremes",
            [
                self.diagnostics.max_energy_error,
                self.diagnostics.closest_approach,
            ],
        );
        if let Stepper::Rk(rk) = &self.stepper
            && let Some((t, stage)) = rk.carried_stage()
        {
            state.put("carried_stage_t", [t]);
            state.put("carried_stage", stage.iter().copied());
        }
        if let Stepper::Ias15(ias) = &self.stepper {
            ias.save(&mut state);
        }
        state
    }

    /// The run of `params` continued from a checkpoint's state (drifts stay relative to the
    /// initial state the parameters define).
    pub fn from_checkpoint(
        params: ThreeBodyParams,
        state: &crate::checkpoint::RunState,
    ) -> Result<Self, String> {
        let mut run = Self::new(params)?;
        let n = run.phase.x.len();
        let triples = |v: Vec<f64>| -> Vec<[f64; 3]> {
            v.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
        };
        run.phase.x = triples(state.get_len("x", 3 * n)?);
        run.phase.v = triples(state.get_len("v", 3 * n)?);
        run.stats = state.stats()?;
        state.restore_controller(&mut run.controller)?;
        let extremes = state.get_len("extremes", 2)?;
        run.diagnostics.max_energy_error = extremes[0];
        run.diagnostics.closest_approach = extremes[1];
        if let (Stepper::Rk(rk), Ok(t)) = (&mut run.stepper, state.get_len("carried_stage_t", 1)) {
            rk.set_carried_stage(t[0], &state.get_len("carried_stage", 6 * n)?)?;
        }
        if let Stepper::Ias15(ias) = &mut run.stepper {
            ias.restore(state, n)?;
        }
        run.trails = vec![VecDeque::new(); n];
        run.history = ThreeBodyHistory::default();
        run.refresh();
        run.record();
        Ok(run)
    }

    /// The parameters.
    pub fn params(&self) -> &ThreeBodyParams {
        &self.params
    }

    /// Statistics.
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }

    /// How the last advance ended.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// The current diagnostics.
    pub fn diagnostics(&self) -> &ThreeBodyDiagnostics {
        &self.diagnostics
    }

    /// The histories.
    pub fn history(&self) -> &ThreeBodyHistory {
        &self.history
    }

    /// The current positions and velocities.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The masses.
    pub fn masses(&self) -> &[f64] {
        &self.gravity.masses
    }

    /// The current bodies.
    pub fn bodies(&self) -> Vec<Body> {
        self.gravity
            .masses
            .iter()
            .zip(self.phase.x.iter().zip(&self.phase.v))
            .map(|(m, (x, v))| Body {
                mass: *m,
                x: *x,
                v: *v,
            })
            .collect()
    }

    /// Trails, one per body, oldest point first.
    pub fn trails(&self) -> &[VecDeque<[f64; 3]>] {
        &self.trails
    }

    /// The energy at t = 0.
    pub fn initial_energy(&self) -> f64 {
        self.energy0
    }

    /// The total angular momentum at t = 0.
    pub fn initial_angular_momentum(&self) -> [f64; 3] {
        self.angular_momentum0
    }

    /// Applies new parameters. A changed initial value problem restarts at t = 0 (returns
    /// true); a new integrator, step rule or tolerance continues from the current state,
    /// with the per-method state (cached forces, Hermite derivatives, IAS15's polynomial,
    /// FSAL stage) rebuilt from it.
    pub fn set_params(&mut self, params: ThreeBodyParams) -> Result<bool, String> {
        params.validate()?;
        if params.needs_restart_from(&self.params) {
            *self = Self::new(params)?;
            return Ok(true);
        }
        let method_changed = params.method != self.params.method;
        let tol_changed =
            params.tol != self.params.tol || params.ias15_criterion != self.params.ias15_criterion;
        if params.controller != self.params.controller {
            self.controller = StepController::new(params.controller, controller_limits());
        }
        if method_changed || tol_changed {
            self.stepper = Stepper::for_method(&params, self.phase.len());
            self.controller.reset();
            // Start the new method from the last accepted step (its own first guess).
            if self.stats.h_last > 0.0 {
                self.stats.h = self.stats.h_last;
            }
        }
        if params.dt != self.params.dt && !params.method.is_error_controlled() {
            self.stats.h = params.dt;
        }
        if self.params != params {
            // A run paused by a failure (a collision that underflowed the step) may go on
            // with other settings from its last good state.
            self.outcome = Outcome::Reached;
        }
        self.params = params;
        Ok(false)
    }

    /// The same scenario from t = 0.
    pub fn restarted(&self) -> Result<Self, String> {
        Self::new(self.params.clone())
    }

    /// Advances until `t ≥ t_end` (overshooting by less than a step; see the module docs)
    /// within `max_attempts` step attempts.
    pub fn advance(&mut self, t_end: f64, max_attempts: u64) -> Outcome {
        self.run(t_end, max_attempts, false)
    }

    /// Advances to exactly `t_end`, shortening the last step.
    pub fn advance_to(&mut self, t_end: f64, max_attempts: u64) -> Outcome {
        self.run(t_end, max_attempts, true)
    }

    /// One accepted step (or a failure).
    pub fn single_step(&mut self) -> Outcome {
        let accepted = self.stats.accepted;
        for _ in 0..1000 {
            let outcome = self.run(f64::INFINITY, 1, false);
            if !outcome.is_ok() || self.stats.accepted > accepted {
                return outcome;
            }
        }
        self.outcome.clone()
    }

    fn run(&mut self, t_end: f64, max_attempts: u64, land: bool) -> Outcome {
        if t_end.is_nan() {
            self.outcome = Outcome::InvalidInput("end time must be a number".to_owned());
            return self.outcome.clone();
        }
        if !self.outcome.is_ok() {
            // A failed run stays paused on its last good state until something changes.
            return self.outcome.clone();
        }
        for _ in 0..max_attempts {
            let remaining = t_end - self.stats.t;
            if remaining <= 1e-13 * self.stats.t.abs().max(1.0) {
                if land && remaining.abs() > 0.0 {
                    self.stats.t = t_end;
                }
                self.outcome = Outcome::Reached;
                return Outcome::Reached;
            }
            let mut mark = if land { t_end } else { f64::INFINITY };
            if let Some(next) = self.next_period_mark() {
                mark = mark.min(next);
            }
            let trial = self.attempt(mark);
            self.stats.nfe += trial.nfe;
            self.stats.last_error = trial.error.unwrap_or(f64::NAN);
            if !trial.accepted {
                self.stats.rejected += 1;
                if trial.fatal {
                    self.outcome = Outcome::NonFinite { t: self.stats.t };
                    return self.outcome.clone();
                }
                if trial.h_next.is_nan() || trial.h_next < min_step(self.stats.t) {
                    self.outcome = Outcome::StepUnderflow {
                        t: self.stats.t,
                        h: trial.h_next,
                    };
                    return self.outcome.clone();
                }
                self.stats.h = trial.h_next;
                self.history
                    .rejected
                    .push(self.stats.t, self.stats.rejected as f64);
                continue;
            }
            std::mem::swap(&mut self.phase, &mut self.trial);
            let t_new = self.stats.t + trial.h;
            // Land exactly on the mark the step was clipped to.
            self.stats.t =
                if mark.is_finite() && (t_new - mark).abs() <= 1e-12 * mark.abs().max(1.0) {
                    mark
                } else {
                    t_new
                };
            self.stats.accepted += 1;
            self.stats.h_last = trial.h;
            if trial.h_next.is_finite() && trial.h_next > 0.0 {
                self.stats.h = trial.h_next;
            }
            if trial.h_next.is_nan() || trial.h_next < min_step(self.stats.t) {
                // The next step would not move the clock (or is below H_MIN): the method is
                // stuck at round-off, typically a collision. Pause on this good state.
                self.refresh();
                self.record();
                self.outcome = Outcome::StepUnderflow {
                    t: self.stats.t,
                    h: trial.h_next,
                };
                return self.outcome.clone();
            }
            self.refresh();
            self.record();
            if self.stats.t == mark {
                // Only a step clipped to a mark can stand on a whole period.
                self.note_period_return();
            }
        }
        self.outcome = Outcome::BudgetExhausted;
        Outcome::BudgetExhausted
    }

    /// Records the distance from the initial state when the run stands on a whole period.
    fn note_period_return(&mut self) {
        if let Some(period) = self.period() {
            let k = (self.stats.t / period).round();
            if k >= 1.0 && self.stats.t == k * period {
                let distance = self.phase.distance(&self.initial);
                self.diagnostics.period_return = Some(distance);
                self.diagnostics.periods = k as u64;
                self.history.period_return.push([self.stats.t, distance]);
            }
        }
    }

    /// Takes over a state computed elsewhere (the f32 GPU run, read back in f64): positions,
    /// velocities and counters at `stats.t`, and the largest energy error the other run saw
    /// between read-backs. The diagnostics, histories and trails follow as after a step; this
    /// run never steps itself.
    pub fn adopt_state(
        &mut self,
        x: Vec<[f64; 3]>,
        v: Vec<[f64; 3]>,
        stats: RunStats,
        max_energy_error_between: f64,
    ) {
        self.phase.x = x;
        self.phase.v = v;
        self.stats = stats;
        self.diagnostics.max_energy_error = self
            .diagnostics
            .max_energy_error
            .max(max_energy_error_between);
        self.refresh();
        self.record();
        self.note_period_return();
    }

    /// The period of the orbit the run returns to (see [`ThreeBodyCpu::period`]) and the next
    /// whole period after `t`, which fixed steps are clipped to land on.
    pub fn period_mark_after(&self, t: f64) -> Option<f64> {
        let period = self.period()?;
        let mark = (crate::core::kernels::floor(t / period) + 1.0) * period;
        // Already on a mark (t == k·T exactly): aim at the next one.
        Some(if mark <= t { mark + period } else { mark })
    }

    /// The period of the orbit, when the run is an unedited periodic scenario started at 0.
    fn period(&self) -> Option<f64> {
        if self.params.bodies.is_some() {
            return None;
        }
        self.params.case.period()
    }

    fn next_period_mark(&self) -> Option<f64> {
        self.period_mark_after(self.stats.t)
    }

    /// The step a fixed-step method takes from the current state (before clipping).
    fn fixed_family_step(&mut self) -> (f64, u64) {
        let p = &self.params;
        match p.step_mode {
            StepMode::Fixed => (p.dt, 0),
            StepMode::Adaptive | StepMode::Symmetric => match &mut self.stepper {
                Stepper::Hermite(hermite) => {
                    let (h, nfe) = hermite.aarseth_step(&self.gravity, &self.phase, p.eta);
                    (h.unwrap_or(p.dt), nfe)
                }
                _ => {
                    let tau = self.gravity.pair_timescale(&self.phase.x, &self.phase.v);
                    (if tau.is_finite() { p.eta * tau } else { p.dt }, 0)
                }
            },
        }
    }

    /// The time scale at the end of an attempted step, for the symmetric rule.
    fn end_timescale(&self, hermite_end: Option<&super::integrators::Derivs>) -> Option<f64> {
        match hermite_end {
            Some(d) => Hermite::aarseth_step_at_end(d, self.params.eta),
            None => {
                let tau = self.gravity.pair_timescale(&self.trial.x, &self.trial.v);
                tau.is_finite().then_some(self.params.eta * tau)
            }
        }
    }

    /// Attempts one step into `self.trial`, clipped so as not to pass `mark`.
    fn attempt(&mut self, mark: f64) -> Trial {
        let t = self.stats.t;
        let clip = |h: f64| {
            if t + h > mark {
                (mark - t, true)
            } else {
                (h, false)
            }
        };
        let method = self.params.method;
        if method.is_error_controlled() {
            let (h, _) = clip(self.stats.h);
            return self.attempt_error_controlled(h);
        }
        let (h0, mut nfe) = self.fixed_family_step();
        let (mut h, clipped) = clip(h0);
        let symmetric = self.params.step_mode == StepMode::Symmetric && !clipped;
        let iterations = if symmetric {
            1 + SYMMETRIC_ITERATIONS
        } else {
            1
        };
        let mut hermite_end = None;
        for iteration in 0..iterations {
            if iteration > 0 {
                // h = (Δ(start) + Δ(end))/2, the end evaluated at the previous iterate.
                let end = self.end_timescale(hermite_end.as_ref());
                if let Some(end) = end {
                    h = clip(0.5 * (h0 + end)).0;
                }
            }
            self.trial.clone_from(&self.phase);
            nfe += match &mut self.stepper {
                Stepper::Leapfrog(lf) => {
                    if method == ThreeBodyMethod::Yoshida4 {
                        lf.yoshida4_step(&self.gravity, &mut self.trial, h)
                    } else {
                        lf.step(&self.gravity, &mut self.trial, h)
                    }
                }
                Stepper::Hermite(hermite) => {
                    let (n, d) = hermite.attempt(&self.gravity, &self.phase, h, &mut self.trial);
                    hermite_end = Some(d);
                    n
                }
                Stepper::Rk(rk) => {
                    let tol = tolerances(self.params.tol);
                    rk.attempt(&self.gravity, t, h, &self.phase, &mut self.trial, &tol)
                        .nfe
                }
                Stepper::Ias15(_) => unreachable!("IAS15 is error-controlled"),
            };
        }
        let finite = self.trial.is_finite();
        if finite {
            match &mut self.stepper {
                Stepper::Hermite(hermite) => {
                    if let Some(d) = hermite_end {
                        hermite.commit(d);
                    }
                }
                Stepper::Rk(rk) => rk.accepted(t + h),
                _ => {}
            }
        }
        Trial {
            accepted: finite,
            h,
            h_next: if self.params.step_mode == StepMode::Fixed {
                self.params.dt
            } else {
                h
            },
            error: None,
            nfe,
            fatal: !finite,
        }
    }

    fn attempt_error_controlled(&mut self, h: f64) -> Trial {
        let t = self.stats.t;
        match &mut self.stepper {
            Stepper::Ias15(ias) => {
                self.trial.clone_from(&self.phase);
                let step = ias.step(&self.gravity, &mut self.trial, h);
                let accepted = step.accepted && self.trial.is_finite();
                if step.accepted && !accepted {
                    ias.invalidate();
                }
                Trial {
                    accepted,
                    h: step.dt_done,
                    h_next: if accepted {
                        step.dt_next
                    } else {
                        step.dt_next.min(h * 0.25)
                    },
                    error: Some(step.scaled_error),
                    nfe: step.nfe,
                    fatal: false,
                }
            }
            Stepper::Rk(rk) => {
                let tol = tolerances(self.params.tol);
                let attempt = rk.attempt(&self.gravity, t, h, &self.phase, &mut self.trial, &tol);
                let finite = self.trial.is_finite();
                let err = if finite {
                    attempt.error.unwrap_or(0.0)
                } else {
                    f64::INFINITY
                };
                let order = rk.tableau().error_order;
                let decision = if self.controller.kind == ControllerKind::Fixed {
                    crate::core::controller::Decision {
                        accept: finite,
                        h_next: self.params.dt,
                    }
                } else {
                    self.controller.decide(err, h, order)
                };
                let accepted = decision.accept && finite;
                if accepted {
                    rk.accepted(t + h);
                }
                Trial {
                    accepted,
                    h,
                    h_next: decision.h_next,
                    error: attempt.error,
                    nfe: attempt.nfe,
                    fatal: !finite && self.controller.kind == ControllerKind::Fixed,
                }
            }
            _ => unreachable!("only IAS15 and the embedded RK are error-controlled"),
        }
    }

    /// Recomputes the diagnostics from the current state.
    fn refresh(&mut self) {
        let (x, v) = (&self.phase.x, &self.phase.v);
        let sums = match &self.stepper {
            Stepper::Leapfrog(leapfrog) => leapfrog.pair_sums_at(x),
            _ => None,
        }
        .unwrap_or_else(|| self.gravity.pair_sums(x));
        let (energy, min_distance) = (
            self.gravity.kinetic_energy(v) + sums.potential,
            sums.closest,
        );
        let l = self.gravity.angular_momentum(x, v);
        let p = self.gravity.momentum(v);
        let l0 = self.angular_momentum0_norm;
        let dl = norm3(sub3(l, self.angular_momentum0));
        let d = &mut self.diagnostics;
        d.t = self.stats.t;
        d.energy = energy;
        d.energy_error = relative_drift(energy, self.energy0);
        d.max_energy_error = d.max_energy_error.max(d.energy_error);
        d.angular_momentum_drift = if l0 > 1e-12 { dl / l0 } else { dl };
        d.momentum_drift = norm3(sub3(p, self.momentum0));
        d.min_distance = min_distance;
        d.closest_approach = d.closest_approach.min(min_distance);
    }

    /// Appends the diagnostics to the histories and the positions to the trails.
    fn record(&mut self) {
        let d = &self.diagnostics;
        let t = d.t;
        let h = &mut self.history;
        h.energy_error.push(t, d.energy_error.max(1e-18));
        h.angular_momentum_drift
            .push(t, d.angular_momentum_drift.max(1e-18));
        h.momentum_drift.push(t, d.momentum_drift.max(1e-18));
        h.min_distance.push(t, d.min_distance);
        h.nfe.push(t, self.stats.nfe as f64);
        h.rejected.push(t, self.stats.rejected as f64);
        if self.stats.h_last > 0.0 {
            h.step_size.push(t, self.stats.h_last);
        }
        if self.stats.last_error.is_finite() {
            h.error_estimate.push(t, self.stats.last_error.max(1e-18));
        }
        if t - self.last_trail_t >= TRAIL_INTERVAL {
            self.last_trail_t = t;
            for (trail, x) in self.trails.iter_mut().zip(&self.phase.x) {
                trail.push_back(*x);
                while trail.len() > self.params.trail {
                    trail.pop_front();
                }
            }
        }
    }

    /// The body that escapes, if one does: positive energy relative to the centre of mass of
    /// the others, moving away, while the others form a bound pair (three bodies only).
    pub fn escaping_body(&self) -> Option<usize> {
        if self.phase.len() != 3 {
            return None;
        }
        let m = &self.gravity.masses;
        (0..3).find(|&i| {
            let (j, k) = ((i + 1) % 3, (i + 2) % 3);
            let pair = m[j] + m[k];
            let com_x = combine(m[j], self.phase.x[j], m[k], self.phase.x[k]);
            let com_v = combine(m[j], self.phase.v[j], m[k], self.phase.v[k]);
            let r = sub3(self.phase.x[i], com_x);
            let w = sub3(self.phase.v[i], com_v);
            let reduced = m[i] * pair / (m[i] + pair);
            let outer =
                0.5 * reduced * super::dot3(w, w) - m[i] * pair / norm3(r).max(f64::MIN_POSITIVE);
            let receding = super::dot3(r, w) > 0.0;
            let rel_x = sub3(self.phase.x[j], self.phase.x[k]);
            let rel_v = sub3(self.phase.v[j], self.phase.v[k]);
            let inner = 0.5 * (m[j] * m[k] / pair) * super::dot3(rel_v, rel_v)
                - m[j] * m[k] / norm3(rel_x).max(f64::MIN_POSITIVE);
            outer > 0.0 && receding && inner < 0.0
        })
    }
}

/// Centre of mass of two bodies (or their mean when both are massless).
fn combine(m1: f64, a: [f64; 3], m2: f64, b: [f64; 3]) -> [f64; 3] {
    let total = m1 + m2;
    let (w1, w2) = if total > 0.0 {
        (m1 / total, m2 / total)
    } else {
        (0.5, 0.5)
    };
    [
        w1 * a[0] + w2 * b[0],
        w1 * a[1] + w2 * b[1],
        w1 * a[2] + w2 * b[2],
    ]
}

/// The smallest step that still advances the clock at time `t` by a resolvable amount:
/// [`H_MIN`], or 4 ulps of t.
fn min_step(t: f64) -> f64 {
    H_MIN.max(t.abs() * 4.0 * f64::EPSILON)
}

fn controller_limits() -> ControllerLimits {
    ControllerLimits {
        h_min: H_MIN,
        ..ControllerLimits::default()
    }
}

fn tolerances(tol: f64) -> Tolerances {
    Tolerances {
        rtol: tol,
        atol: tol,
        norm: ErrorNorm::ComponentwiseRms,
    }
}

//! A live Navier–Stokes run: steps a scenario with the chosen solver, keeps the diagnostics
//! history (energy, enstrophy, divergence, pressure iterations and residual, CFL and Δt, error
//! against the exact or tabulated solution, the wake probe), carries a passive dye, and takes
//! the user's edits (solver switches that keep the flow, dye and force injection, painted
//! obstacles).

mod edit;
mod measure;

use rustfft::num_complex::Complex64;
use std::f64::consts::TAU;

use super::mac::{
    Lattice, MacGrid, MacStep, Profile, StepLimits, TimeScheme, Velocity, interpolate_profile,
};
use super::reference::{GHIA_X, GHIA_Y, ghia_table};
use super::scenario::{self, WAKE_PROBE};
use super::spectral::{SpectralStepper, VorticityEquation, spectral_step_limit};
use super::{NsCase, NsParams, NsSolver, ObstacleMask};

/// History points kept before the older half is thinned.
pub const MAX_HISTORY: usize = 40_000;

/// One point of the diagnostics history (one per step; long runs thin the older half).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NsPoint {
    /// Time at the end of the step.
    pub t: f64,
    /// The step size.
    pub dt: f64,
    /// The Courant number of the step, `Δt (max|u| + max|v|)/h` at its start.
    pub cfl: f64,
    /// The explicit diffusion limit of the scheme (∞ when treated exactly).
    pub diffusive_limit: f64,
    /// Kinetic energy `½∫|u|²`.
    pub energy: f64,
    /// Enstrophy `½∫ω²`.
    pub enstrophy: f64,
    /// Max |∇·u| after the step's projection (0 for the spectral solver: exactly solenoidal).
    pub max_divergence: f64,
    /// Pressure iterations of the step (all projections).
    pub pressure_iterations: usize,
    /// The last pressure solve's relative residual.
    pub pressure_residual: f64,
    /// Max error against the exact solution or table (NaN when there is none).
    pub error: f64,
    /// v at the wake probe (cylinder), else NaN.
    pub probe: f64,
}

/// A scalar field for display, row-major from the bottom-left.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldImage {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Values (NaN in obstacles).
    pub values: Vec<f32>,
}

/// What to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Vorticity ω.
    Vorticity,
    /// Speed |u|.
    Speed,
    /// Pressure (MAC) or streamfunction (spectral).
    Pressure,
    /// The passive dye.
    Dye,
}

impl FieldKind {
    /// Whether the field is signed (drawn blue–white–red around 0) rather than drawn over its
    /// range.
    pub fn is_signed(self) -> bool {
        matches!(self, FieldKind::Vorticity | FieldKind::Pressure)
    }
}

enum Engine {
    Mac {
        grid: Box<MacGrid>,
        vel: Velocity,
        phi: Vec<f64>,
    },
    Spectral {
        equation: Box<VorticityEquation>,
        omega: Vec<Complex64>,
        stepper: Box<SpectralStepper>,
    },
}

/// A running scenario.
pub struct NsRun {
    params: NsParams,
    engine: Engine,
    /// The dye's grid (the MAC grid, or a periodic n × n grid for the spectral solver).
    dye_grid: MacGrid,
    dye: Vec<f64>,
    t: f64,
    steps: u64,
    history: Vec<NsPoint>,
    failure: Option<String>,
    /// A step under way in pieces ([`NsRun::advance_piece`]); any edit of the state drops it.
    pending: Option<Pending>,
    /// Whether the dye is advanced with the flow: nothing but a picture or a checkpoint reads
    /// it, and it costs about as much as a spectral step (see [`NsRun::stop_carrying_dye`]).
    carries_dye: bool,
}

/// The part of a step done so far; nothing of it is in the run's state until the step's last
/// piece, so that dropping it (an edit, a new solver) loses only work.
enum Pending {
    /// MAC pieces (stages, their pressure iterations) remain; the step's limits.
    Stages(Box<MacStep>, StepLimits),
    /// The MAC flow has stepped (new face velocities and pressure, not yet committed); the
    /// dye, committing, the clock and the diagnostics remain.
    Stepped(Stepped, MacFlow),
    /// The dye's MacCormack forward pass through the stepped MAC flow is done (values and
    /// limiter bounds); its second half, committing, the clock and the diagnostics remain.
    Dye {
        stepped: Stepped,
        flow: MacFlow,
        forward: Vec<f64>,
        bounds: Vec<(f64, f64)>,
    },
}

/// The new face velocities and pressure of a stepped MAC flow, not yet committed.
type MacFlow = (Velocity, Vec<f64>);

/// What a step reports.
struct Stepped {
    dt: f64,
    cfl: f64,
    diffusive_limit: f64,
    pressure_iterations: usize,
    pressure_residual: f64,
}

impl NsRun {
    /// A run from the scenario's initial flow.
    pub fn new(params: NsParams) -> Result<NsRun, String> {
        params.validate()?;
        let (engine, dye_grid) = Self::engine(&params)?;
        let dye = initial_dye(&params, &dye_grid);
        let mut run = NsRun {
            params,
            engine,
            dye_grid,
            dye,
            t: 0.0,
            steps: 0,
            history: Vec::new(),
            failure: None,
            pending: None,
            carries_dye: true,
        };
        run.history.push(run.measure(0.0, None, 0, f64::NAN, 0.0));
        Ok(run)
    }

    /// The solver of `params` holding the scenario's initial flow, and the dye's grid.
    fn engine(params: &NsParams) -> Result<(Engine, MacGrid), String> {
        Ok(match params.solver {
            NsSolver::Mac(_) => {
                let grid = scenario::mac_grid(params)?;
                let vel = scenario::initial_velocity(params, &grid);
                let phi = vec![0.0; grid.nx * grid.ny];
                let dye_grid = grid.clone();
                (
                    Engine::Mac {
                        grid: Box::new(grid),
                        vel,
                        phi,
                    },
                    dye_grid,
                )
            }
            NsSolver::Spectral(scheme) => {
                let n = params.n;
                let equation = VorticityEquation::new(n, scenario::vorticity_params(params))?;
                let omega = scenario::initial_vorticity(params, n);
                let dye_grid = MacGrid::periodic(n, n, TAU / n as f64)?;
                (
                    Engine::Spectral {
                        equation: Box::new(equation),
                        omega,
                        stepper: Box::new(SpectralStepper::new(scheme, n)),
                    },
                    dye_grid,
                )
            }
        })
    }

    /// The same flow under new parameters where possible: a new time scheme, pressure
    /// solver, tolerance, CFL, ω or Reynolds number keeps the velocity (and switching between
    /// the MAC and spectral solvers converts it); a new scenario, grid or seed restarts.
    pub fn with_params(&self, params: NsParams) -> Result<NsRun, String> {
        params.validate()?;
        let old = &self.params;
        let restart = params.case != old.case || params.n != old.n || params.seed != old.seed;
        if restart {
            return NsRun::new(params);
        }
        // The new solver (its initial flow is replaced below), the rest carried over.
        let (engine, dye_grid) = Self::engine(&params)?;
        let mut next = NsRun {
            params,
            engine,
            dye_grid,
            dye: self.dye.clone(),
            t: self.t,
            steps: self.steps,
            history: self.history.clone(),
            failure: None,
            // A step under way belongs to the old solver; the new one starts its own.
            pending: None,
            carries_dye: self.carries_dye,
        };
        match (&self.engine, &mut next.engine) {
            (
                Engine::Mac { vel, phi, .. },
                Engine::Mac {
                    grid,
                    vel: v2,
                    phi: p2,
                },
            ) => {
                v2.clone_from(vel);
                // Newly painted or erased obstacles: their faces take the wall values.
                grid.apply_boundaries(v2);
                p2.clone_from(phi);
            }
            (Engine::Spectral { omega, .. }, Engine::Spectral { omega: o2, .. }) => {
                o2.clone_from(omega);
            }
            (
                Engine::Spectral {
                    omega, equation, ..
                },
                Engine::Mac { grid, vel, .. },
            ) => {
                // Vorticity → streamfunction at the nodes → discretely solenoidal faces.
                let psi = scenario::streamfunction_at_nodes(omega, equation.n());
                *vel = scenario::velocity_from_streamfunction(grid, &psi);
            }
            (Engine::Mac { grid, vel, .. }, Engine::Spectral { omega, .. }) => {
                // The MAC vorticity lives at the nodes (i h, j h): the spectral grid points.
                let (_, _, nodes) = grid.vorticity_at_nodes(vel);
                let mut equation =
                    VorticityEquation::new(grid.nx, scenario::vorticity_params(&next.params))?;
                *omega = equation.to_spectral(&nodes);
            }
        }
        Ok(next)
    }

    /// The parameters.
    pub fn params(&self) -> &NsParams {
        &self.params
    }

    /// Simulated time.
    pub fn time(&self) -> f64 {
        self.t
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The diagnostics history (index 0: the initial state).
    pub fn history(&self) -> &[NsPoint] {
        &self.history
    }

    /// Why the run stopped, if it failed (diverged, solver error).
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Cells of the displayed grid `(nx, ny)`.
    pub fn cells(&self) -> (usize, usize) {
        (self.dye_grid.nx, self.dye_grid.ny)
    }

    /// The domain size.
    pub fn domain(&self) -> (f64, f64) {
        scenario::domain(self.params.case)
    }

    /// The MAC state `(grid, velocity, pressure, dye)` (None for the spectral solver): what a
    /// GPU run starts from.
    pub fn mac_state(&self) -> Option<(&MacGrid, &Velocity, &[f64], &[f64])> {
        match &self.engine {
            Engine::Mac { grid, vel, phi } => Some((grid, vel, phi, &self.dye)),
            Engine::Spectral { .. } => None,
        }
    }

    /// The spectral state `(ω̂, dye)` (None for the MAC solvers): what a GPU run starts from.
    pub fn spectral_state(&self) -> Option<(&[Complex64], &[f64])> {
        match &self.engine {
            Engine::Spectral { omega, .. } => Some((omega, &self.dye)),
            Engine::Mac { .. } => None,
        }
    }

    /// The state for a checkpoint: the MAC velocity and pressure or the vorticity spectrum,
    /// the dye, the time and the step count.
    pub fn checkpoint_state(&self) -> crate::checkpoint::RunState {
        let mut state = crate::checkpoint::RunState::default();
        match &self.engine {
            Engine::Mac { vel, phi, .. } => {
                state.put("faces", vel.u.iter().chain(&vel.v).copied());
                state.put("pressure", phi.iter().copied());
            }
            Engine::Spectral { omega, .. } => {
                state.put("omega_hat", omega.iter().flat_map(|z| [z.re, z.im]));
            }
        }
        state.put("dye", self.dye.iter().copied());
        state.put("t", [self.t]);
        state.count("steps", self.steps);
        if let Some(p) = self.history.last() {
            state.put(
                "last_point",
                [
                    p.t,
                    p.dt,
                    p.cfl,
                    p.diffusive_limit,
                    p.energy,
                    p.enstrophy,
                    p.max_divergence,
                    p.pressure_residual,
                    p.error,
                    p.probe,
                ],
            );
            state.count("last_point_iterations", p.pressure_iterations as u64);
        }
        state
    }

    /// The run of `params` continued from a checkpoint's state.
    pub fn from_checkpoint(
        params: NsParams,
        state: &crate::checkpoint::RunState,
    ) -> Result<NsRun, String> {
        let mut run = NsRun::new(params)?;
        let t = state.get_len("t", 1)?[0];
        let steps = state.counter("steps")?;
        let dye = state.get_len("dye", run.dye.len())?;
        match &run.engine {
            Engine::Mac { vel, phi, .. } => {
                let faces = state.get_len("faces", vel.u.len() + vel.v.len())?;
                let pressure = state.get_len("pressure", phi.len())?;
                run.load_mac_state(&faces, pressure, dye, t, steps)?;
            }
            Engine::Spectral { omega, .. } => {
                let values = state.get_len("omega_hat", 2 * omega.len())?;
                let omega_hat = values
                    .chunks_exact(2)
                    .map(|p| Complex64::new(p[0], p[1]))
                    .collect();
                run.load_spectral_state(omega_hat, dye, t, steps)?;
            }
        }
        // The diagnostics of the saved state, as they were when it was saved.
        let p = state.get_len("last_point", 10)?;
        run.history = vec![NsPoint {
            t: p[0],
            dt: p[1],
            cfl: p[2],
            diffusive_limit: p[3],
            energy: p[4],
            enstrophy: p[5],
            max_divergence: p[6],
            pressure_residual: p[7],
            error: p[8],
            probe: p[9],
            pressure_iterations: usize::try_from(state.counter("last_point_iterations")?)
                .unwrap_or(usize::MAX),
        }];
        Ok(run)
    }

    /// Takes over a state computed elsewhere (the GPU): face velocities (u then v), pressure,
    /// dye, time and step count. MAC runs only; the grid stays.
    pub fn load_mac_state(
        &mut self,
        faces: &[f64],
        pressure: Vec<f64>,
        dye: Vec<f64>,
        t: f64,
        steps: u64,
    ) -> Result<(), String> {
        self.pending = None;
        let Engine::Mac { vel, phi, .. } = &mut self.engine else {
            return Err("only a MAC run takes a GPU state".into());
        };
        if faces.len() != vel.u.len() + vel.v.len()
            || pressure.len() != phi.len()
            || dye.len() != self.dye.len()
        {
            return Err("the GPU state does not fit this grid".into());
        }
        let (u, v) = faces.split_at(vel.u.len());
        vel.u.copy_from_slice(u);
        vel.v.copy_from_slice(v);
        *phi = pressure;
        self.dye = dye;
        self.t = t;
        self.steps = steps;
        Ok(())
    }

    /// Takes over a spectral state computed elsewhere (the GPU): ω̂, the dye, time and steps.
    pub fn load_spectral_state(
        &mut self,
        omega_hat: Vec<Complex64>,
        dye: Vec<f64>,
        t: f64,
        steps: u64,
    ) -> Result<(), String> {
        self.pending = None;
        let Engine::Spectral { omega, stepper, .. } = &mut self.engine else {
            return Err("only a spectral run takes a spectral GPU state".into());
        };
        if omega_hat.len() != omega.len() || dye.len() != self.dye.len() {
            return Err("the GPU state does not fit this grid".into());
        }
        *omega = omega_hat;
        stepper.invalidate();
        self.dye = dye;
        self.t = t;
        self.steps = steps;
        Ok(())
    }

    /// Appends history points computed elsewhere (the GPU), filling in the error and the
    /// probe of the current state on the last one; a non-finite energy fails the run.
    pub fn push_external_history(&mut self, points: &[NsPoint]) {
        let (error, probe) = (self.error(), self.probe());
        for (k, p) in points.iter().enumerate() {
            let mut p = *p;
            if k + 1 == points.len() {
                p.error = error;
                p.probe = probe;
            }
            if !p.energy.is_finite() && self.failure.is_none() {
                self.failure = Some(
                    "the flow diverged (the energy is no longer finite): lower the CFL number"
                        .into(),
                );
            }
            self.history.push(p);
        }
        self.thin_history();
    }

    /// Advances up to `max_steps` steps or until `t_stop`; returns the steps taken. A failure
    /// stops the run and is kept in [`Self::failure`] (the flow before it stays).
    pub fn advance(&mut self, max_steps: usize, t_stop: f64) -> usize {
        self.advance_steps(max_steps, t_stop, false)
    }

    /// As [`Self::advance`], but the last step is shortened to land on `t_stop` exactly
    /// (convergence studies compare runs at one time; the live app never shortens a step).
    pub fn advance_exactly(&mut self, max_steps: usize, t_stop: f64) -> usize {
        self.advance_steps(max_steps, t_stop, true)
    }

    fn advance_steps(&mut self, max_steps: usize, t_stop: f64, land: bool) -> usize {
        let mut taken = 0;
        while taken < max_steps && self.t < t_stop && self.failure.is_none() {
            let dt_max = if land { t_stop - self.t } else { f64::INFINITY };
            if let Err(why) = self.step(dt_max) {
                self.failure = Some(why);
                break;
            }
            taken += 1;
        }
        taken
    }

    /// Stops advancing the dye, for a run whose outputs never show or save it (the CLI's rows,
    /// a race): the dye stays as it is, and a checkpoint of the run is refused.
    pub fn stop_carrying_dye(&mut self) {
        self.carries_dye = false;
    }

    /// Whether the dye is advanced with the flow (see [`NsRun::stop_carrying_dye`]).
    pub fn carries_dye(&self) -> bool {
        self.carries_dye
    }

    /// One piece of a step (a MAC stage's prediction, one of its pressure iterations, a pass
    /// of the dye's advection with the diagnostics after the last, a whole spectral step with
    /// its dye): a few milliseconds on the default grids, so that the live page can spread a
    /// step over frames. Returns whether a step was completed; `None` when the run has failed
    /// (see [`Self::failure`]).
    pub fn advance_piece(&mut self) -> Option<bool> {
        if self.failure.is_some() {
            return None;
        }
        match self.piece(f64::INFINITY) {
            Ok(completed) => Some(completed),
            Err(why) => {
                self.failure = Some(why);
                None
            }
        }
    }

    /// One step of the CFL-limited size, at most `dt_max` (a step under way in pieces is
    /// completed, or restarted if it is longer than `dt_max`).
    fn step(&mut self, dt_max: f64) -> Result<(), String> {
        let too_long = match &self.pending {
            Some(Pending::Stages(step, _)) => step.dt() > dt_max,
            Some(Pending::Stepped(stepped, _) | Pending::Dye { stepped, .. }) => {
                stepped.dt > dt_max
            }
            None => false,
        };
        if too_long {
            self.pending = None;
        }
        while !self.piece(dt_max)? {}
        Ok(())
    }

    /// The next piece of a step of at most `dt_max`; whether the step is complete. A failure
    /// leaves the state before the step.
    fn piece(&mut self, dt_max: f64) -> Result<bool, String> {
        let lattice = Lattice::Centre;
        let (stepped, flow, dye) = match self.pending.take() {
            Some(Pending::Dye {
                stepped,
                flow,
                forward,
                bounds,
            }) => {
                let dye = self
                    .dye_grid
                    .maccormack_finish(lattice, &self.dye, &forward, &bounds, &flow.0, stepped.dt);
                (stepped, Some(flow), dye)
            }
            Some(Pending::Stepped(stepped, flow)) if !self.carries_dye => {
                (stepped, Some(flow), std::mem::take(&mut self.dye))
            }
            Some(Pending::Stepped(stepped, flow)) => {
                // The dye through the new MAC flow, before it is committed.
                let (forward, bounds) = self
                    .dye_grid
                    .semi_lagrangian(lattice, &self.dye, &flow.0, stepped.dt);
                if self.params.solver != NsSolver::Mac(TimeScheme::SemiLagrangian) {
                    self.pending = Some(Pending::Dye {
                        stepped,
                        flow,
                        forward,
                        bounds,
                    });
                    return Ok(false);
                }
                (stepped, Some(flow), forward)
            }
            pending => match self.flow_piece(pending, dt_max)? {
                Some((stepped, None)) if !self.carries_dye => {
                    (stepped, None, std::mem::take(&mut self.dye))
                }
                // A spectral step is one piece with its dye (MacCormack), committed at once.
                Some((stepped, None)) => {
                    let velocity = self.face_velocity();
                    let dye = self.dye_grid.advect(
                        lattice,
                        &self.dye,
                        &velocity,
                        stepped.dt,
                        TimeScheme::MacCormack,
                    );
                    (stepped, None, dye)
                }
                Some((stepped, Some(flow))) => {
                    // The dye and committing the MAC flow are the next pieces.
                    self.pending = Some(Pending::Stepped(stepped, flow));
                    return Ok(false);
                }
                None => return Ok(false),
            },
        };
        let mut max_divergence = 0.0;
        if let (Some((next, pressure)), Engine::Mac { grid, vel, phi }) = (flow, &mut self.engine) {
            *vel = next;
            *phi = pressure;
            max_divergence = grid.max_divergence(vel);
        }
        self.dye = dye;
        self.t += stepped.dt;
        self.steps += 1;
        let mut point = self.measure(
            stepped.dt,
            Some(stepped.diffusive_limit),
            stepped.pressure_iterations,
            stepped.pressure_residual,
            max_divergence,
        );
        point.cfl = stepped.cfl;
        if !(point.energy.is_finite()) {
            return Err(
                "the flow diverged (the energy is no longer finite): lower the CFL number".into(),
            );
        }
        self.history.push(point);
        self.thin_history();
        Ok(true)
    }

    /// Advances the flow by a MAC stage (starting a step of the CFL-limited size, at most
    /// `dt_max`, when none is under way) or a whole spectral step (committed at once); once
    /// the flow has stepped, its report and the uncommitted MAC flow, else `None` (the stage
    /// is kept in `self.pending`).
    fn flow_piece(
        &mut self,
        pending: Option<Pending>,
        dt_max: f64,
    ) -> Result<Option<(Stepped, Option<MacFlow>)>, String> {
        let nu = self.params.viscosity();
        match &mut self.engine {
            Engine::Mac { grid, vel, phi } => {
                let NsSolver::Mac(scheme) = self.params.solver else {
                    unreachable!("a MAC engine runs a MAC scheme")
                };
                let (mut step, limits) = match pending {
                    Some(Pending::Stages(step, limits)) => (step, limits),
                    _ => {
                        let mut limits = grid.step_limits(vel, nu, self.params.cfl, scheme);
                        limits.dt = limits.dt.min(dt_max);
                        let pressure = self.params.pressure.solver(self.params.omega);
                        let step = Box::new(MacStep::new(
                            scheme,
                            vel,
                            phi,
                            limits.dt,
                            nu,
                            pressure,
                            self.params.tol,
                        )?);
                        (step, limits)
                    }
                };
                if !step.piece(grid)? {
                    self.pending = Some(Pending::Stages(step, limits));
                    return Ok(None);
                }
                let (next, pressure, report) = step.finish().ok_or("the step has stages left")?;
                let stepped = Stepped {
                    dt: limits.dt,
                    cfl: self.params.cfl * limits.dt / limits.advective,
                    diffusive_limit: limits.diffusive,
                    pressure_iterations: report.pressure_iterations,
                    pressure_residual: report.pressure.residual,
                };
                Ok(Some((stepped, Some((next, pressure)))))
            }
            Engine::Spectral {
                equation,
                omega,
                stepper,
            } => {
                let NsSolver::Spectral(scheme) = self.params.solver else {
                    unreachable!("a spectral engine runs a spectral scheme")
                };
                let (dt, advective) = spectral_step_limit(equation, omega, self.params.cfl, scheme);
                let dt = dt.min(dt_max);
                // The stepper swaps the new state in only if it is finite.
                stepper.step(equation, self.t, dt, omega)?;
                let stepped = Stepped {
                    dt,
                    cfl: self.params.cfl * dt / advective,
                    diffusive_limit: f64::INFINITY,
                    pressure_iterations: 0,
                    pressure_residual: 0.0,
                };
                Ok(Some((stepped, None)))
            }
        }
    }

    /// Keeps memory bounded on long runs: past [`MAX_HISTORY`] points the older half is
    /// thinned to every other point (the recent half, which the Strouhal measurement reads,
    /// stays whole).
    fn thin_history(&mut self) {
        if self.history.len() > MAX_HISTORY {
            let half = self.history.len() / 2;
            let mut k = 0;
            self.history.retain(|_| {
                k += 1;
                k == 1 || k > half || k % 2 == 0
            });
        }
    }

    /// The velocity on the dye grid's faces.
    pub fn face_velocity(&self) -> Velocity {
        match &self.engine {
            Engine::Mac { vel, .. } => vel.clone(),
            Engine::Spectral {
                equation, omega, ..
            } => {
                let psi = scenario::streamfunction_at_nodes(omega, equation.n());
                scenario::velocity_from_streamfunction(&self.dye_grid, &psi)
            }
        }
    }

    fn measure(
        &self,
        dt: f64,
        diffusive_limit: Option<f64>,
        pressure_iterations: usize,
        pressure_residual: f64,
        max_divergence: f64,
    ) -> NsPoint {
        let (energy, enstrophy) = match &self.engine {
            Engine::Mac { grid, vel, .. } => (grid.kinetic_energy(vel), grid.enstrophy(vel)),
            Engine::Spectral {
                equation, omega, ..
            } => (equation.energy(omega), equation.enstrophy(omega)),
        };
        NsPoint {
            t: self.t,
            dt,
            // Set by the step (the Courant number its Δt was chosen for).
            cfl: 0.0,
            diffusive_limit: diffusive_limit.unwrap_or(f64::NAN),
            energy,
            enstrophy,
            max_divergence,
            pressure_iterations,
            pressure_residual,
            error: self.error(),
            probe: self.probe(),
        }
    }
}

/// The initial dye: bands across the flow (cavity, periodic boxes) or a streak at the inlet.
fn initial_dye(params: &NsParams, grid: &MacGrid) -> Vec<f64> {
    let (nx, ny) = (grid.nx, grid.ny);
    let h = grid.h;
    let (_, height) = scenario::domain(params.case);
    (0..nx * ny)
        .map(|k| {
            let y = ((k / nx) as f64 + 0.5) * h;
            if grid.solid()[k] {
                return 0.0;
            }
            match params.case {
                NsCase::Cylinder | NsCase::Channel => {
                    // Horizontal streaks, so the wake and the profile show.
                    if ((y / height) * 8.0).fract() < 0.5 {
                        1.0
                    } else {
                        0.0
                    }
                }
                _ => {
                    if ((y / height) * 4.0).fract() < 0.5 {
                        1.0
                    } else {
                        0.0
                    }
                }
            }
        })
        .collect()
}

//! One MAC time step in pieces: the live page spreads a step over frames (a 128² SSP-RK3 step
//! with its three projections costs about 30 ms in the browser, more than a frame's slice),
//! and everyone else runs the pieces back to back through [`MacGrid::step`]. A piece is a
//! stage's prediction, one iteration of its pressure solve (a V-cycle), or the last iteration
//! with the pressure correction.

#[allow(clippy::wildcard_imports)]
use super::*;

/// A time step under way, advanced by [`MacStep::piece`]; the arithmetic and its order are
/// those of the whole step.
pub struct MacStep {
    scheme: TimeScheme,
    dt: f64,
    nu: f64,
    solver: PressureSolver,
    tol: f64,
    /// `uⁿ`, which every SSP stage blends with.
    start: Velocity,
    /// The latest stage's velocity.
    current: Option<Velocity>,
    /// The pressure, carried between projections as the next initial guess.
    phi: Vec<f64>,
    stages_done: usize,
    /// The stage being projected: its velocity, the pressure solve and the projection's Δt.
    projecting: Option<(Velocity, PoissonSolve, f64)>,
    iterations: usize,
    work: u64,
    last: Option<SolveReport>,
}

impl MacStep {
    /// A step of `dt` from `vel` with `phi` as the pressure's initial guess.
    pub fn new(
        scheme: TimeScheme,
        vel: &Velocity,
        phi: &[f64],
        dt: f64,
        nu: f64,
        solver: PressureSolver,
        tol: f64,
    ) -> Result<Self, String> {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(format!("the time step must be positive, got {dt}"));
        }
        Ok(Self {
            scheme,
            dt,
            nu,
            solver,
            tol,
            start: vel.clone(),
            current: None,
            phi: phi.to_vec(),
            stages_done: 0,
            projecting: None,
            iterations: 0,
            work: 0,
            last: None,
        })
    }

    /// The step size.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// Stages of the scheme, each with one projection.
    pub fn stages(&self) -> usize {
        match self.scheme {
            TimeScheme::SspRk2 => 2,
            TimeScheme::SspRk3 => 3,
            _ => 1,
        }
    }

    /// Computes the next piece on `grid`: a stage's prediction with the start of its pressure
    /// solve, or one iteration of that solve (with the correction after the last). Returns
    /// whether the step is complete; a velocity that is not finite after the last stage is an
    /// error (the run keeps its state).
    pub fn piece(&mut self, grid: &MacGrid) -> Result<bool, String> {
        let Some((mut next, mut solve, projection_dt)) = self.projecting.take() else {
            let (next, projection_dt) = self.predict(grid);
            let solve =
                grid.begin_projection(&next, &self.phi, projection_dt, self.solver, self.tol)?;
            self.projecting = Some((next, solve, projection_dt));
            return Ok(false);
        };
        if !grid.poisson.iterate(&mut solve, &mut self.phi)? {
            self.projecting = Some((next, solve, projection_dt));
            return Ok(false);
        }
        grid.correct(&mut next, &self.phi, projection_dt);
        let report = solve.report();
        self.iterations += report.iterations;
        self.work += report.work;
        self.last = Some(report);
        self.stages_done += 1;
        let complete = self.stages_done == self.stages();
        if complete && !next.u.iter().chain(&next.v).all(|x| x.is_finite()) {
            return Err("the flow diverged (the velocity is no longer finite): lower the time step or the CFL number".into());
        }
        self.current = Some(next);
        Ok(complete)
    }

    /// The next stage's velocity before its projection, and the projection's Δt.
    fn predict(&self, grid: &MacGrid) -> (Velocity, f64) {
        let (dt, nu) = (self.dt, self.nu);
        let euler = |from: &Velocity| {
            let rhs = grid.momentum(from, nu, true);
            axpy(from, dt, &rhs)
        };
        match (self.scheme, self.current.as_ref()) {
            // Shu & Osher (1988), eq. 2.18 (SSP-RK3) and its two-stage sibling:
            // u1 = P(u + Δt L u); RK2: u = P(½u + ½(u1 + Δt L u1));
            // RK3: u2 = P(¾u + ¼(u1 + Δt L u1)); u = P(⅓u + ⅔(u2 + Δt L u2)).
            (TimeScheme::SspRk2 | TimeScheme::SspRk3, None) => (euler(&self.start), dt),
            (TimeScheme::SspRk2, Some(u1)) => (blend(&self.start, 0.5, &euler(u1), 0.5), dt / 2.0),
            (TimeScheme::SspRk3, Some(u)) if self.stages_done == 1 => {
                (blend(&self.start, 0.75, &euler(u), 0.25), dt / 4.0)
            }
            (TimeScheme::SspRk3, Some(u2)) => (
                blend(&self.start, 1.0 / 3.0, &euler(u2), 2.0 / 3.0),
                2.0 * dt / 3.0,
            ),
            // Semi-Lagrangian schemes: advect, then diffuse and force explicitly.
            (scheme, _) => {
                let advected = grid.advect_velocity(&self.start, dt, scheme);
                let next = if nu > 0.0 || grid.body_force.is_some() {
                    let diffusion = grid.momentum(&advected, nu, false);
                    axpy(&advected, dt, &diffusion)
                } else {
                    advected
                };
                (next, dt)
            }
        }
    }

    /// The new velocity, the pressure and the report of a complete step (`None` before the
    /// last stage).
    pub fn finish(self) -> Option<(Velocity, Vec<f64>, StepReport)> {
        if self.stages_done < self.stages() {
            return None;
        }
        let report = StepReport {
            pressure: self.last?,
            pressure_iterations: self.iterations,
            pressure_work: self.work,
        };
        Some((self.current?, self.phi, report))
    }
}

impl MacGrid {
    /// One time step of `scheme`; `phi` carries the pressure between steps (initial guess).
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &self,
        scheme: TimeScheme,
        vel: &mut Velocity,
        phi: &mut [f64],
        dt: f64,
        nu: f64,
        solver: PressureSolver,
        tol: f64,
    ) -> Result<StepReport, String> {
        let mut step = MacStep::new(scheme, vel, phi, dt, nu, solver, tol)?;
        while !step.piece(self)? {}
        let (next, pressure, report) = step.finish().ok_or("the step has stages left")?;
        *vel = next;
        phi.copy_from_slice(&pressure);
        Ok(report)
    }
}

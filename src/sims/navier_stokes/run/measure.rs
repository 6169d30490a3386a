//! What a Navier–Stokes run measures and shows: velocities at points, the error against the
//! exact solution or Ghia's table, the cylinder's Strouhal number, the energy spectrum, and
//! the pictures of its fields.

#[allow(clippy::wildcard_imports)]
use super::*;

impl NsRun {
    /// The velocity at a point.
    pub fn velocity_at(&self, x: f64, y: f64) -> (f64, f64) {
        match &self.engine {
            Engine::Mac { grid, vel, .. } => grid.velocity_at(vel, x, y),
            Engine::Spectral { .. } => self.dye_grid.velocity_at(&self.face_velocity(), x, y),
        }
    }

    /// The max error against the exact solution (Taylor–Green, Kolmogorov spin-up,
    /// Poiseuille downstream) or against Ghia's table (cavity at Re 100, 400, 1000); NaN when
    /// the scenario has neither.
    pub fn error(&self) -> f64 {
        if self.params.case == NsCase::Cavity {
            return self.ghia_error().unwrap_or(f64::NAN);
        }
        let Some(exact) = scenario::exact_velocity(&self.params, self.t) else {
            return f64::NAN;
        };
        self.error_samples()
            .into_iter()
            .map(|((x, y), (u, v))| {
                let (ue, ve) = exact(x, y);
                (u - ue).abs().max((v - ve).abs())
            })
            .fold(0.0, f64::max)
    }

    /// The velocity at the points the error is sampled at: ((x, y), (u, v)).
    pub(super) fn error_samples(&self) -> Vec<((f64, f64), (f64, f64))> {
        let vel = self.face_velocity();
        let grid = match &self.engine {
            Engine::Mac { grid, .. } => grid,
            Engine::Spectral { .. } => &self.dye_grid,
        };
        scenario::error_points(&self.params, 1024)
            .into_iter()
            .map(|(x, y)| ((x, y), grid.velocity_at(&vel, x, y)))
            .collect()
    }

    /// The largest velocity difference between this run and `other` (of the same scenario)
    /// at the points [`Self::error`] samples, and the largest speed of this run there: the
    /// error's own measure, so a difference can be set beside an error.
    pub fn velocity_difference(&self, other: &NsRun) -> (f64, f64) {
        self.error_samples()
            .into_iter()
            .zip(other.error_samples())
            .map(|((_, (ua, va)), (_, (ub, vb)))| {
                ((ua - ub).abs().max((va - vb).abs()), ua.abs().max(va.abs()))
            })
            .fold((0.0, 0.0), |(d, s), (dp, sp)| {
                (f64::max(d, dp), f64::max(s, sp))
            })
    }

    /// The cavity's centre-line profiles `(u on x = ½ against y, v on y = ½ against x)`.
    pub fn centre_lines(&self) -> Option<(Profile, Profile)> {
        match (&self.engine, self.params.case) {
            (Engine::Mac { grid, vel, .. }, NsCase::Cavity) => {
                Some((grid.u_profile_at_x(vel, 0.5), grid.v_profile_at_y(vel, 0.5)))
            }
            _ => None,
        }
    }

    /// Max |Δ| against Ghia, Ghia & Shin's centre-line tables, if the Reynolds number is one
    /// of theirs.
    pub fn ghia_error(&self) -> Option<f64> {
        let (u_table, v_table) = ghia_table(self.params.reynolds)?;
        let (u_profile, v_profile) = self.centre_lines()?;
        let u_worst = GHIA_Y
            .iter()
            .zip(u_table)
            .map(|(y, u)| (interpolate_profile(&u_profile, *y) - u).abs());
        let v_worst = GHIA_X
            .iter()
            .zip(v_table)
            .map(|(x, v)| (interpolate_profile(&v_profile, *x) - v).abs());
        Some(u_worst.chain(v_worst).fold(0.0, f64::max))
    }

    pub(super) fn probe(&self) -> f64 {
        if self.params.case != NsCase::Cylinder {
            return f64::NAN;
        }
        self.velocity_at(WAKE_PROBE.0, WAKE_PROBE.1).1
    }

    /// The shedding frequency measured at the wake probe as a Strouhal number `f D/U`, from
    /// the mean period between the last upward zero crossings of v (at least three periods,
    /// after the first third of the record).
    pub fn strouhal(&self) -> Option<f64> {
        if self.params.case != NsCase::Cylinder {
            return None;
        }
        let start = self.history.len() / 3;
        // Points with a probe value (a GPU run measures it at its readbacks only).
        let series: Vec<NsPoint> = self.history[start..]
            .iter()
            .filter(|p| p.probe.is_finite())
            .copied()
            .collect();
        let mut crossings = Vec::new();
        for pair in series.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if a.probe < 0.0 && b.probe >= 0.0 {
                // Linear interpolation of the crossing time.
                crossings.push(a.t + (b.t - a.t) * (-a.probe) / (b.probe - a.probe));
            }
        }
        if crossings.len() < 4 {
            return None;
        }
        let periods = crossings.len() - 1;
        let period = (crossings[periods] - crossings[0]) / periods as f64;
        Some(
            scenario::length_scale(NsCase::Cylinder)
                / (scenario::velocity_scale(NsCase::Cylinder) * period),
        )
    }

    /// The shell-summed energy spectrum E(k), k = 0, 1, … (periodic scenarios).
    pub fn spectrum(&self) -> Option<Vec<f64>> {
        match &self.engine {
            Engine::Spectral {
                equation, omega, ..
            } => Some(equation.energy_spectrum(omega)),
            Engine::Mac { grid, vel, .. } if self.params.case.is_periodic() => {
                let (_, _, nodes) = grid.vorticity_at_nodes(vel);
                let mut equation =
                    VorticityEquation::new(grid.nx, scenario::vorticity_params(&self.params))
                        .ok()?;
                let hat = equation.to_spectral(&nodes);
                Some(equation.energy_spectrum(&hat))
            }
            Engine::Mac { .. } => None,
        }
    }

    /// A field for display on the dye grid's cells.
    pub fn field(&self, kind: FieldKind) -> FieldImage {
        let (nx, ny) = self.cells();
        let solid = self.dye_grid.solid().to_vec();
        let narrow = |v: Vec<f64>| v.iter().map(|x| *x as f32).collect::<Vec<f32>>();
        let mut values: Vec<f32> = match (kind, &self.engine) {
            (FieldKind::Dye, _) => self.dye.iter().map(|v| *v as f32).collect(),
            // The spectral state's own values at its n × n points (what its GPU path paints),
            // not differences of the streamfunction.
            (
                FieldKind::Vorticity,
                Engine::Spectral {
                    omega, equation, ..
                },
            ) => narrow(
                scenario::nodes_of(omega, equation.n(), |_, _| Complex64::new(1.0, 0.0))
                    .iter()
                    .map(|c| c.re)
                    .collect(),
            ),
            (
                FieldKind::Speed,
                Engine::Spectral {
                    omega, equation, ..
                },
            ) => narrow(scenario::speed_at_nodes(omega, equation.n())),
            (
                FieldKind::Pressure,
                Engine::Spectral {
                    omega, equation, ..
                },
            ) => narrow(scenario::streamfunction_at_nodes(omega, equation.n())),
            (FieldKind::Speed, Engine::Mac { .. }) => {
                let vel = self.face_velocity();
                let h = self.dye_grid.h;
                (0..nx * ny)
                    .map(|k| {
                        let x = ((k % nx) as f64 + 0.5) * h;
                        let y = ((k / nx) as f64 + 0.5) * h;
                        let (u, v) = self.dye_grid.velocity_at(&vel, x, y);
                        u.hypot(v) as f32
                    })
                    .collect()
            }
            (FieldKind::Vorticity, Engine::Mac { .. }) => {
                let vel = self.face_velocity();
                let (columns, _, nodes) = self.dye_grid.vorticity_at_nodes(&vel);
                // The mean of the cell's four corners.
                (0..nx * ny)
                    .map(|k| {
                        let (i, j) = (k % nx, k / nx);
                        let at = |a: usize, b: usize| {
                            let rows = nodes.len() / columns;
                            nodes[(a % columns) + columns * (b % rows)]
                        };
                        (0.25 * (at(i, j) + at(i + 1, j) + at(i, j + 1) + at(i + 1, j + 1))) as f32
                    })
                    .collect()
            }
            (FieldKind::Pressure, Engine::Mac { phi, .. }) => {
                phi.iter().map(|v| *v as f32).collect()
            }
        };
        for (v, s) in values.iter_mut().zip(&solid) {
            if *s {
                *v = f32::NAN;
            }
        }
        FieldImage {
            width: nx,
            height: ny,
            values,
        }
    }
}

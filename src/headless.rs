//! Runs a scenario without a window (the CLI, tests, job schedulers): any of the four
//! simulations from its share link, on the CPU (f64) or, where a GPU path exists headless, on
//! the GPU (f32), advanced to given times and sampled as rows of named diagnostics.

use crate::core::stats::{Outcome, RunStats};
use crate::gpu::GpuContext;
use crate::scenario::Scenario;
use crate::sims::diffusion::run::{DiffusionRun, StepPoint};
use crate::sims::navier_stokes::gpu_run::GpuFlow;
use crate::sims::navier_stokes::run::{NsPoint, NsRun};
use crate::sims::nlse::NlseDiagnostics;
use crate::sims::nlse::cpu::NlseCpu;
use crate::sims::nlse::gpu::NlseGpu;
use crate::sims::threebody::cpu::ThreeBodyCpu;

/// Where the numbers are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The f64 CPU reference.
    Cpu,
    /// The f32 WGSL path.
    Gpu,
}

/// Most step attempts one call may take before it reports the run as stuck.
const MAX_ATTEMPTS: u64 = 50_000_000;

/// A Navier–Stokes run on the GPU: the solver, the CPU run that receives its state and
/// history, the device, the GPU's steps taken into the history so far.
pub struct NsOnGpu {
    run: NsRun,
    gpu: GpuFlow,
    ctx: GpuContext,
    seen: u64,
    /// The CPU run's time when the GPU took over (the GPU's clock starts at 0).
    t0: f64,
}

/// A scenario being run.
pub enum HeadlessRun {
    /// NLSE, f64.
    Nlse(Box<NlseCpu>),
    /// NLSE, f32 on the GPU.
    NlseGpu(Box<(NlseGpu, GpuContext)>),
    /// Three-body, f64.
    ThreeBody(Box<ThreeBodyCpu>),
    /// Diffusion sampling, f64 (runs from t_max down to t_min).
    Diffusion(Box<DiffusionRun>),
    /// Navier–Stokes, f64.
    NavierStokes(Box<NsRun>),
    /// Navier–Stokes, f32 on the GPU.
    NavierStokesGpu(Box<NsOnGpu>),
}

/// A GPU device for headless work (a real adapter if there is one, else a software one).
fn device() -> Result<GpuContext, String> {
    pollster::block_on(GpuContext::headless(false))
        .map_err(|e| format!("no GPU adapter for --backend gpu: {e}"))
}

/// The columns of an integrator's statistics.
const STAT_COLUMNS: [&str; 5] = ["h", "accepted", "rejected", "nfe", "last_error"];

fn stat_values(s: &RunStats) -> [f64; 5] {
    [
        s.h_last,
        s.accepted as f64,
        s.rejected as f64,
        s.nfe as f64,
        s.last_error,
    ]
}

fn outcome_result(outcome: &Outcome) -> Result<(), String> {
    match outcome.message() {
        None => Ok(()),
        Some(message) => Err(message),
    }
}

const NS_COLUMNS: [&str; 11] = [
    "t",
    "steps",
    "dt",
    "cfl",
    "energy",
    "enstrophy",
    "max_divergence",
    "pressure_iterations",
    "pressure_residual",
    "error",
    "probe",
];

fn ns_values(p: &NsPoint, steps: u64) -> Vec<f64> {
    vec![
        p.t,
        steps as f64,
        p.dt,
        p.cfl,
        p.energy,
        p.enstrophy,
        p.max_divergence,
        p.pressure_iterations as f64,
        p.pressure_residual,
        p.error,
        p.probe,
    ]
}

impl HeadlessRun {
    /// Sets up the run of `scenario` on `backend`.
    pub fn new(scenario: &Scenario, backend: Backend) -> Result<HeadlessRun, String> {
        Ok(match (scenario, backend) {
            (Scenario::Nlse(p), Backend::Cpu) => {
                HeadlessRun::Nlse(Box::new(NlseCpu::new(p.clone())?))
            }
            (Scenario::Nlse(p), Backend::Gpu) => {
                let ctx = device()?;
                let gpu = NlseGpu::new(&ctx, p.clone())?;
                HeadlessRun::NlseGpu(Box::new((gpu, ctx)))
            }
            (Scenario::ThreeBody(p), Backend::Cpu) => {
                HeadlessRun::ThreeBody(Box::new(ThreeBodyCpu::new(p.clone())?))
            }
            (Scenario::Diffusion(p), Backend::Cpu) => {
                HeadlessRun::Diffusion(Box::new(DiffusionRun::new(p.clone())?))
            }
            (Scenario::NavierStokes(p), Backend::Cpu) => {
                HeadlessRun::NavierStokes(Box::new(NsRun::new(p.clone())?))
            }
            (Scenario::NavierStokes(p), Backend::Gpu) => {
                let ctx = device()?;
                let run = NsRun::new(p.clone())?;
                let gpu = GpuFlow::from_run(&ctx, &run)?;
                HeadlessRun::NavierStokesGpu(Box::new(NsOnGpu {
                    t0: run.time(),
                    run,
                    gpu,
                    ctx,
                    seen: 0,
                }))
            }
            (Scenario::ThreeBody(_), Backend::Gpu) => {
                return Err("three-body runs one system on the CPU (f64); the GPU integrates ensembles in the app's chaos map, not single runs: use --backend cpu".into());
            }
            (Scenario::Diffusion(_), Backend::Gpu) => {
                return Err("diffusion sampling runs headless on the CPU (f64) only so far: use --backend cpu".into());
            }
        })
    }

    /// Whether the run has a time to advance to (diffusion sampling instead runs from t_max
    /// to t_min: see [`Self::finish`]).
    pub fn has_clock(&self) -> bool {
        !matches!(self, HeadlessRun::Diffusion(_))
    }

    /// The current simulation time.
    pub fn time(&self) -> f64 {
        match self {
            HeadlessRun::Nlse(r) => r.stats().t,
            HeadlessRun::NlseGpu(g) => g.0.time(),
            HeadlessRun::ThreeBody(r) => r.stats().t,
            HeadlessRun::Diffusion(r) => r.time(),
            HeadlessRun::NavierStokes(r) => r.time(),
            HeadlessRun::NavierStokesGpu(g) => g.run.time(),
        }
    }

    /// Advances to time `t` (exactly, for the adaptive ODE runs; to the first step at or past
    /// it for Navier–Stokes, whose steps follow the CFL number). A failed run returns why.
    pub fn advance_to(&mut self, t: f64) -> Result<(), String> {
        match self {
            HeadlessRun::Nlse(r) => outcome_result(&r.advance(t, MAX_ATTEMPTS)),
            HeadlessRun::NlseGpu(g) => {
                let (run, ctx) = &mut **g;
                let outcome = run
                    .advance_blocking(ctx, t, 64, MAX_ATTEMPTS)
                    .map_err(|e| e.to_string())?;
                outcome_result(&outcome)
            }
            HeadlessRun::ThreeBody(r) => outcome_result(&r.advance_to(t, MAX_ATTEMPTS)),
            HeadlessRun::Diffusion(_) => {
                Err("diffusion sampling has no clock to advance to".into())
            }
            HeadlessRun::NavierStokes(r) => {
                r.advance(usize::MAX, t);
                r.failure().map_or(Ok(()), |f| Err(f.to_owned()))
            }
            HeadlessRun::NavierStokesGpu(g) => g.advance_to(t),
        }
    }

    /// Runs diffusion sampling to its end (t_min); other runs are unchanged.
    pub fn finish(&mut self) -> Result<(), String> {
        if let HeadlessRun::Diffusion(r) = self {
            while !r.advance(1e9) {}
            if let Some(Err(e)) = r.report() {
                return Err(e.clone());
            }
        }
        Ok(())
    }

    /// The names of [`Self::row`]'s values.
    pub fn columns(&self) -> Vec<&'static str> {
        match self {
            HeadlessRun::Nlse(_) | HeadlessRun::NlseGpu(_) => {
                let mut c = vec![
                    "t",
                    "mass",
                    "momentum",
                    "hamiltonian",
                    "mass_drift",
                    "momentum_drift",
                    "hamiltonian_drift",
                    "exact_error",
                    "peak",
                ];
                c.extend(STAT_COLUMNS);
                c
            }
            HeadlessRun::ThreeBody(_) => {
                let mut c = vec![
                    "t",
                    "energy",
                    "energy_error",
                    "max_energy_error",
                    "angular_momentum_drift",
                    "momentum_drift",
                    "min_distance",
                    "closest_approach",
                ];
                c.extend(STAT_COLUMNS);
                c
            }
            HeadlessRun::Diffusion(_) => vec!["t", "h_t", "h_lambda", "error", "accepted", "nfe"],
            HeadlessRun::NavierStokes(_) | HeadlessRun::NavierStokesGpu(_) => NS_COLUMNS.to_vec(),
        }
    }

    /// The diagnostics now (NaN where a value does not exist, e.g. no exact solution).
    pub fn row(&self) -> Vec<f64> {
        match self {
            HeadlessRun::Nlse(r) => nlse_row(r.diagnostics(), r.stats()),
            HeadlessRun::NlseGpu(g) => nlse_row(g.0.diagnostics(), g.0.stats()),
            HeadlessRun::ThreeBody(r) => {
                let d = r.diagnostics();
                let mut v = vec![
                    r.stats().t,
                    d.energy,
                    d.energy_error,
                    d.max_energy_error,
                    d.angular_momentum_drift,
                    d.momentum_drift,
                    d.min_distance,
                    d.closest_approach,
                ];
                v.extend(stat_values(r.stats()));
                v
            }
            HeadlessRun::Diffusion(r) => r.history().last().map_or_else(
                || vec![r.time(), f64::NAN, f64::NAN, f64::NAN, 1.0, r.nfe()],
                step_row,
            ),
            HeadlessRun::NavierStokes(r) => ns_row(r),
            HeadlessRun::NavierStokesGpu(g) => ns_row(&g.run),
        }
    }

    /// Every row of diffusion sampling's step history (its output is the whole history).
    pub fn diffusion_rows(&self) -> Vec<Vec<f64>> {
        match self {
            HeadlessRun::Diffusion(r) => r.history().iter().map(step_row).collect(),
            _ => Vec::new(),
        }
    }

    /// The run's accuracy now and what it measures: the error against the exact solution or
    /// a published table where the scenario has one, else the drift of a conserved quantity
    /// (diffusion: the distance to the reference ODE solution, or to the target).
    pub fn accuracy(&self) -> Option<(f64, &'static str)> {
        match self {
            HeadlessRun::Nlse(_) | HeadlessRun::NlseGpu(_) => {
                let d = match self {
                    HeadlessRun::Nlse(r) => r.diagnostics(),
                    HeadlessRun::NlseGpu(g) => g.0.diagnostics(),
                    _ => return None,
                };
                Some(match d.exact_error {
                    Some(e) => (e, "relative L2 error vs the exact solution"),
                    None => (d.hamiltonian_drift, "Hamiltonian drift"),
                })
            }
            HeadlessRun::ThreeBody(r) => Some((
                r.diagnostics().max_energy_error,
                "max relative energy error",
            )),
            HeadlessRun::Diffusion(r) => match r.report() {
                Some(Ok(report)) => Some(match report.ode_error {
                    Some((rms, _)) => (rms, "RMS distance to the reference ODE solution"),
                    None => (report.sliced_w2, "sliced W2 distance to the target"),
                }),
                _ => None,
            },
            HeadlessRun::NavierStokes(_) | HeadlessRun::NavierStokesGpu(_) => {
                let run = match self {
                    HeadlessRun::NavierStokes(r) => r,
                    HeadlessRun::NavierStokesGpu(g) => &g.run,
                    _ => return None,
                };
                let error = run.error();
                error
                    .is_finite()
                    .then_some((error, "max error vs the exact solution or Ghia's table"))
            }
        }
    }

    /// The work done so far: right-hand-side evaluations (NLSE, three-body), denoiser
    /// evaluations per particle (diffusion), time steps (Navier–Stokes).
    pub fn work(&self) -> f64 {
        match self {
            HeadlessRun::Nlse(r) => r.stats().nfe as f64,
            HeadlessRun::NlseGpu(g) => g.0.stats().nfe as f64,
            HeadlessRun::ThreeBody(r) => r.stats().nfe as f64,
            HeadlessRun::Diffusion(r) => r.nfe(),
            HeadlessRun::NavierStokes(r) => r.steps() as f64,
            HeadlessRun::NavierStokesGpu(g) => g.run.steps() as f64,
        }
    }

    /// The formal order of the run's method, where it has one.
    pub fn method_order(&self) -> Option<u32> {
        match self {
            HeadlessRun::Nlse(r) => Some(r.params().method.order()),
            HeadlessRun::NlseGpu(g) => Some(g.0.params().method.order()),
            HeadlessRun::ThreeBody(r) => Some(r.params().method.order()),
            _ => None,
        }
    }

    /// A closing summary for the user (diffusion: the sample against the target).
    pub fn summary(&self) -> Option<String> {
        match self {
            HeadlessRun::Diffusion(r) => match r.report() {
                Some(Ok(report)) => Some(format!(
                    "sample vs target: sliced W2 {:.4} (exact-set noise {:.4}), mode TV {:.4}{}",
                    report.sliced_w2,
                    report.sliced_w2_noise,
                    report.mode_tv,
                    report.ode_error.map_or(String::new(), |(rms, _)| format!(
                        ", RMS error vs the ODE solution {rms:.3e}"
                    ))
                )),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A row of diffusion sampling's step history.
fn step_row(p: &StepPoint) -> Vec<f64> {
    vec![
        p.t,
        p.h_t,
        p.h_lambda,
        p.error,
        f64::from(u8::from(p.accepted)),
        p.nfe,
    ]
}

fn nlse_row(d: &NlseDiagnostics, s: &RunStats) -> Vec<f64> {
    let mut v = vec![
        d.t,
        d.mass,
        d.momentum,
        d.hamiltonian,
        d.mass_drift,
        d.momentum_drift,
        d.hamiltonian_drift,
        d.exact_error.unwrap_or(f64::NAN),
        d.peak,
    ];
    v.extend(stat_values(s));
    v
}

fn ns_row(run: &NsRun) -> Vec<f64> {
    let last = run.history().last().copied();
    match last {
        Some(p) => ns_values(&p, run.steps()),
        None => vec![f64::NAN; NS_COLUMNS.len()],
    }
}

impl NsOnGpu {
    /// Records steps until the GPU's time reaches `t`: batches sized from the last Δt (one
    /// step at a time near the end), the history read back after each.
    fn advance_to(&mut self, t: f64) -> Result<(), String> {
        let t0 = self.t0;
        let mut dt = self.run.history().last().map_or(0.0, |p| p.dt);
        while self.run.time() < t {
            let left = t - self.run.time();
            let batch = if dt > 0.0 {
                ((left / dt).floor() as usize).clamp(1, 16)
            } else {
                1
            };
            let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
            self.gpu.encode(&mut encoder, batch);
            self.gpu.request_readbacks(&mut encoder);
            self.ctx.queue.submit([encoder.finish()]);
            self.gpu.readbacks_submitted();
            let (rows, fields) = loop {
                let (rows, fields) = self.gpu.try_take(&self.ctx)?;
                if rows.is_some() && fields.is_some() {
                    break (rows, fields);
                }
                self.ctx
                    .device
                    .poll(crate::gpu::wgpu::PollType::wait_indefinitely())
                    .map_err(|e| e.to_string())?;
            };
            let rows = rows.unwrap_or_default();
            let points: Vec<NsPoint> = rows
                .iter()
                .filter(|r| r.step > self.seen)
                .map(|r| r.point(t0, self.gpu.pressure_iterations_per_step()))
                .collect();
            let Some(last) = rows.last() else {
                return Err("the GPU returned no history".into());
            };
            self.seen = last.step;
            dt = last.dt;
            self.gpu.adapt_pressure_iterations(last.pressure_residual);
            if let Some(fields) = fields {
                let steps = self.run.steps() + points.len() as u64;
                fields.load_into(&mut self.run, t0 + last.t, steps)?;
            }
            self.run.push_external_history(&points);
            if let Some(failure) = self.run.failure() {
                return Err(failure.to_owned());
            }
        }
        Ok(())
    }
}

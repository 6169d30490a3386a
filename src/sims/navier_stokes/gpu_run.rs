//! A Navier–Stokes run on the GPU, whichever solver it uses: the MAC schemes ([`GpuNs`]) or
//! the pseudo-spectral vorticity form ([`GpuSpectral`]). The app and the CLI drive both
//! through this one type: start from a CPU run's state, record steps and views, read the
//! history and the fields back asynchronously into the CPU run.

use rustfft::num_complex::Complex64;

use super::gpu::{GpuNs, GpuStepRow};
use super::gpu_spectral::GpuSpectral;
use super::run::{FieldKind, NsPoint, NsRun};
use super::{NsSolver, scenario};
use crate::gpu::field_view::FieldPainter;
use crate::gpu::{GpuContext, wgpu};

/// The fields of a readback.
pub enum GpuFields {
    /// Face velocities (u then v), pressure, dye.
    Mac(Vec<f64>, Vec<f64>, Vec<f64>),
    /// ω̂ and the dye.
    Spectral(Vec<Complex64>, Vec<f64>),
}

/// A run on the GPU.
pub enum GpuFlow {
    /// The staggered-grid schemes with a pressure solve.
    Mac(Box<GpuNs>),
    /// The pseudo-spectral vorticity form.
    Spectral(Box<GpuSpectral>),
}

impl GpuFlow {
    /// Uploads the current state of `run`.
    pub fn from_run(ctx: &GpuContext, run: &NsRun) -> Result<GpuFlow, String> {
        let p = run.params();
        match p.solver {
            NsSolver::Mac(_) => {
                let (grid, vel, phi, dye) = run.mac_state().ok_or("the run has no MAC state")?;
                Ok(GpuFlow::Mac(Box::new(GpuNs::new(
                    ctx, p, grid, vel, phi, dye,
                )?)))
            }
            NsSolver::Spectral(scheme) => {
                let (omega, dye) = run
                    .spectral_state()
                    .ok_or("the run has no spectral state")?;
                Ok(GpuFlow::Spectral(Box::new(GpuSpectral::new(
                    ctx,
                    p.n,
                    scenario::vorticity_params(p),
                    scheme,
                    p.cfl,
                    omega,
                    dye,
                )?)))
            }
        }
    }

    /// Records `steps` time steps.
    pub fn encode(&mut self, encoder: &mut wgpu::CommandEncoder, steps: usize) {
        match self {
            GpuFlow::Mac(g) => g.encode(encoder, steps),
            GpuFlow::Spectral(g) => g.encode(encoder, steps),
        }
    }

    /// Records the painting of the view `kind` into [`Self::painter`]'s texture.
    pub fn encode_view(&self, encoder: &mut wgpu::CommandEncoder, kind: FieldKind) {
        match self {
            GpuFlow::Mac(g) => g.encode_view(encoder, kind),
            GpuFlow::Spectral(g) => g.encode_view(encoder, kind),
        }
    }

    /// The painter of the flow's picture.
    pub fn painter(&self) -> &FieldPainter {
        match self {
            GpuFlow::Mac(g) => g.painter(),
            GpuFlow::Spectral(g) => g.painter(),
        }
    }

    /// Steps recorded so far.
    pub fn steps_encoded(&self) -> u64 {
        match self {
            GpuFlow::Mac(g) => g.steps_encoded(),
            GpuFlow::Spectral(g) => g.steps_encoded(),
        }
    }

    /// Whether a readback is on its way.
    pub fn reading_back(&self) -> bool {
        match self {
            GpuFlow::Mac(g) => g.reading_back(),
            GpuFlow::Spectral(g) => g.reading_back(),
        }
    }

    /// Records copies of the history and the fields for asynchronous readback.
    pub fn request_readbacks(&mut self, encoder: &mut wgpu::CommandEncoder) {
        match self {
            GpuFlow::Mac(g) => g.request_readbacks(encoder),
            GpuFlow::Spectral(g) => g.request_readbacks(encoder),
        }
    }

    /// Starts the mappings of the copies just submitted.
    pub fn readbacks_submitted(&mut self) {
        match self {
            GpuFlow::Mac(g) => g.readbacks_submitted(),
            GpuFlow::Spectral(g) => g.readbacks_submitted(),
        }
    }

    /// The history rows and the fields once their copies have landed; never blocks.
    pub fn try_take(
        &self,
        ctx: &GpuContext,
    ) -> Result<(Option<Vec<GpuStepRow>>, Option<GpuFields>), String> {
        Ok(match self {
            GpuFlow::Mac(g) => {
                let (rows, fields) = g.try_take(ctx)?;
                (rows, fields.map(|(f, p, d)| GpuFields::Mac(f, p, d)))
            }
            GpuFlow::Spectral(g) => {
                let (rows, fields) = g.try_take(ctx)?;
                (rows, fields.map(|(w, d)| GpuFields::Spectral(w, d)))
            }
        })
    }

    /// Pressure iterations per projection (None: no pressure solve).
    pub fn pressure_iterations(&self) -> Option<usize> {
        match self {
            GpuFlow::Mac(g) => Some(g.pressure_iterations()),
            GpuFlow::Spectral(_) => None,
        }
    }

    /// Pressure iterations per time step (0 for the spectral form).
    pub fn pressure_iterations_per_step(&self) -> usize {
        match self {
            GpuFlow::Mac(g) => g.pressure_iterations() * g.projections_per_step(),
            GpuFlow::Spectral(_) => 0,
        }
    }

    /// Adapts the pressure iteration count to the residual reached (MAC only).
    pub fn adapt_pressure_iterations(&mut self, reached: f64) {
        if let GpuFlow::Mac(g) = self {
            g.adapt_pressure_iterations(reached);
        }
    }
}

impl GpuStepRow {
    /// The history point of this GPU step, on a clock started at `t0`, with the GPU's
    /// pressure iterations per step (the error and probe are filled in by the CPU run that
    /// takes the state over).
    pub fn point(&self, t0: f64, pressure_iterations: usize) -> NsPoint {
        NsPoint {
            t: t0 + self.t,
            dt: self.dt,
            cfl: self.cfl,
            diffusive_limit: f64::NAN,
            energy: self.energy,
            enstrophy: self.enstrophy,
            max_divergence: self.max_divergence,
            pressure_iterations,
            pressure_residual: self.pressure_residual,
            error: f64::NAN,
            probe: f64::NAN,
        }
    }
}

impl GpuFields {
    /// Loads the fields into `run` at time `t` after `steps` steps.
    pub fn load_into(self, run: &mut NsRun, t: f64, steps: u64) -> Result<(), String> {
        match self {
            GpuFields::Mac(faces, pressure, dye) => {
                run.load_mac_state(&faces, pressure, dye, t, steps)
            }
            GpuFields::Spectral(omega, dye) => run.load_spectral_state(omega, dye, t, steps),
        }
    }
}

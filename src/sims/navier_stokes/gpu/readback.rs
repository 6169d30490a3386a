//! Reading a Navier–Stokes MAC run back from the GPU: the history rows and the fields, without
//! blocking (the app, the CLI) or waiting (tests).

#[allow(clippy::wildcard_imports)]
use super::*;

/// The views in the order of the shader's `view_field` flag.
pub(super) const FIELD_KINDS: [FieldKind; 4] = [
    FieldKind::Vorticity,
    FieldKind::Speed,
    FieldKind::Pressure,
    FieldKind::Dye,
];

/// The rows of a stats buffer, oldest first.
pub fn parse_history(stats: &[f32]) -> Vec<GpuStepRow> {
    let steps = stats[3] as u64;
    let first = steps.saturating_sub(HISTORY_CAPACITY as u64);
    (first..steps)
        .map(|s| {
            let at = STAT_HISTORY + (s as usize % HISTORY_CAPACITY) * HISTORY_WIDTH;
            let r = &stats[at..at + HISTORY_WIDTH];
            GpuStepRow {
                t: f64::from(r[0]),
                dt: f64::from(r[1]),
                cfl: f64::from(r[2]),
                energy: f64::from(r[3]),
                enstrophy: f64::from(r[4]),
                max_divergence: f64::from(r[5]),
                pressure_residual: f64::from(r[6]),
                step: r[7] as u64,
            }
        })
        .collect()
}

impl GpuNs {
    /// Records copies of the history and of the fields (velocity, pressure, dye) for
    /// asynchronous readback, unless copies are still in flight; call
    /// [`Self::readbacks_submitted`] after submitting.
    pub fn request_readbacks(&mut self, encoder: &mut wgpu::CommandEncoder) {
        let (faces, cells) = ((self.faces * 4) as u64, (self.cells * 4) as u64);
        self.readbacks.request(
            encoder,
            &self.stats,
            &[
                (&self.work, 0, faces),
                (&self.cells_buffer, 0, cells),
                (&self.work, (self.dye_offset * 4) as u64, cells),
            ],
        );
    }

    /// Starts the mappings of the copies just submitted (only those requested: a mapping
    /// already landed must not be restarted).
    pub fn readbacks_submitted(&mut self) {
        self.readbacks.submitted();
    }

    /// Whether a readback is on its way.
    pub fn reading_back(&self) -> bool {
        self.readbacks.in_flight()
    }

    /// The history rows and the fields (face velocities u then v, pressure, dye; f64) once
    /// their copies have landed; never blocks.
    #[allow(clippy::type_complexity)]
    pub fn try_take(
        &self,
        ctx: &GpuContext,
    ) -> Result<
        (
            Option<Vec<GpuStepRow>>,
            Option<(Vec<f64>, Vec<f64>, Vec<f64>)>,
        ),
        String,
    > {
        let (history, fields) = self.readbacks.try_take(ctx).map_err(|e| e.to_string())?;
        let rows = history.map(|b| parse_history(bytemuck::cast_slice(&b)));
        let fields = fields.map(|b| {
            let v: &[f32] = bytemuck::cast_slice(&b);
            let widen = |s: &[f32]| s.iter().map(|x| f64::from(*x)).collect::<Vec<f64>>();
            (
                widen(&v[..self.faces]),
                widen(&v[self.faces..self.faces + self.cells]),
                widen(&v[self.faces + self.cells..]),
            )
        });
        Ok((rows, fields))
    }

    /// Runs `steps` steps and waits (tests, benchmarks, the CLI).
    pub fn run_blocking(&mut self, ctx: &GpuContext, steps: usize) -> Result<(), String> {
        ctx.run_in_batches(steps, 16, |encoder, count| self.encode(encoder, count))
    }

    /// The velocity (f64 copy of the f32 state), blocking.
    pub fn velocity_blocking(&self, ctx: &GpuContext, grid: &MacGrid) -> Result<Velocity, String> {
        let bytes = ctx
            .read_blocking(&self.work, 0, (self.faces * 4) as u64)
            .map_err(|e| e.to_string())?;
        let values: &[f32] = bytemuck::cast_slice(&bytes);
        let mut vel = grid.rest();
        for (v, x) in vel.u.iter_mut().zip(&values[..self.nfaces_u]) {
            *v = f64::from(*x);
        }
        for (v, x) in vel.v.iter_mut().zip(&values[self.nfaces_u..]) {
            *v = f64::from(*x);
        }
        Ok(vel)
    }

    /// The pressure and the dye (f64 copies), blocking.
    pub fn pressure_and_dye_blocking(
        &self,
        ctx: &GpuContext,
    ) -> Result<(Vec<f64>, Vec<f64>), String> {
        let p = ctx
            .read_blocking(&self.cells_buffer, 0, (self.cells * 4) as u64)
            .map_err(|e| e.to_string())?;
        let dye = ctx
            .read_blocking(
                &self.work,
                (self.dye_offset * 4) as u64,
                (self.cells * 4) as u64,
            )
            .map_err(|e| e.to_string())?;
        let widen = |b: &[u8]| {
            bytemuck::cast_slice::<u8, f32>(b)
                .iter()
                .map(|x| f64::from(*x))
                .collect()
        };
        Ok((widen(&p), widen(&dye)))
    }

    /// The history rows of the steps `from..` (at most the ring's capacity back), blocking.
    pub fn history_blocking(&self, ctx: &GpuContext) -> Result<Vec<GpuStepRow>, String> {
        let bytes = ctx
            .read_blocking(
                &self.stats,
                0,
                ((STAT_HISTORY + HISTORY_WIDTH * HISTORY_CAPACITY) * 4) as u64,
            )
            .map_err(|e| e.to_string())?;
        Ok(parse_history(bytemuck::cast_slice(&bytes)))
    }
}

//! Taking the NLSE's readbacks: the controller state, the step log and the field absorbed
//! into the CPU-side mirror (time, counters, outcome, histories, diagnostics), without
//! blocking or, for tests and the command line, waiting.

#[allow(clippy::wildcard_imports)]
use super::*;

impl NlseGpu {
    pub(super) fn field_from(&mut self, psi_hat: &[Complex64]) -> Vec<Complex64> {
        let mut out = vec![Complex64::default(); self.grid.n];
        self.system.to_physical(psi_hat, &mut out);
        out
    }

    /// Takes a readback that has landed (never waits) and updates the CPU-side mirror:
    /// time, counters, outcome, histories, diagnostics and field. Returns whether one landed.
    pub fn poll(&mut self, ctx: &GpuContext) -> Result<bool, GpuError> {
        match self.readback.try_take(ctx)? {
            Some(bytes) => {
                self.absorb(ctx, &bytes);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Waits for the readback in flight and absorbs it (tests, the CLI, benchmarks).
    pub fn wait(&mut self, ctx: &GpuContext) -> Result<bool, GpuError> {
        match self.readback.wait(ctx)? {
            Some(bytes) => {
                self.absorb(ctx, &bytes);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Advances to `t_end`, recording `attempts_per_submission` attempts per submission and
    /// waiting for each (tests, the CLI and benchmarks; the app calls [`NlseGpu::encode`]
    /// and [`NlseGpu::poll`] once per frame instead). Stops after `max_attempts`.
    pub fn advance_blocking(
        &mut self,
        ctx: &GpuContext,
        t_end: f64,
        attempts_per_submission: u32,
        max_attempts: u64,
    ) -> Result<Outcome, GpuError> {
        // Absorb what is still in flight first, so each wait below belongs to its submission.
        self.wait(ctx)?;
        let mut budget = max_attempts;
        loop {
            let chunk = attempts_per_submission.min(budget.min(u64::from(u32::MAX)) as u32);
            self.encode(ctx, t_end, chunk);
            self.wait(ctx)?;
            budget = budget.saturating_sub(u64::from(chunk));
            let is_split = matches!(self.plan, Plan::Split { .. });
            if is_split && self.outcome.is_ok() && self.stats.t >= t_end {
                self.outcome = Outcome::Reached;
            }
            if self.outcome != Outcome::BudgetExhausted {
                return Ok(self.outcome.clone());
            }
            if budget == 0 {
                return Ok(Outcome::BudgetExhausted);
            }
        }
    }

    pub(super) fn absorb(&mut self, ctx: &GpuContext, bytes: &[u8]) {
        let control_len = CONTROL_BYTES as usize;
        let head: ControlHead = bytemuck::pod_read_unaligned(&bytes[..80]);
        if head.serial < self.reset_serial {
            return;
        }
        if head.fsal_valid == 1 {
            self.fsal_confirmed = true;
        }
        if self.schedule_pending {
            // The GPU clock after the RK steps: the split schedule starts from it.
            let t = from_ticks(head.t_hi, head.t_lo);
            self.scheduled = (t, u64::from(head.accepted));
            self.stats.t = t;
            self.stats.accepted = u64::from(head.accepted);
            self.schedule_pending = false;
        }
        let diag: [[f32; 4]; 4] = bytemuck::pod_read_unaligned(
            &bytes[layout::CONTROL_DIAG_OFFSET as usize..layout::CONTROL_LOG_OFFSET as usize],
        );
        let is_split = matches!(self.plan, Plan::Split { .. });
        let mut state_is_good = true;
        match head.status {
            NONFINITE if is_split => {
                // The guard stopped the run at the end of a submission; the state of that
                // submission's start is in the checkpoint.
                state_is_good = false;
                if self.outcome.is_ok() {
                    let restored = self
                        .submissions
                        .iter()
                        .find(|s| s.serial == head.checkpoint_serial)
                        .copied();
                    let mut encoder =
                        ctx.device
                            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                                label: Some("nlse restore checkpoint"),
                            });
                    encoder.copy_buffer_to_buffer(
                        &self.stages,
                        0,
                        &self.u,
                        0,
                        self.grid.n as u64 * 8,
                    );
                    ctx.queue.submit([encoder.finish()]);
                    if let Some(s) = restored {
                        self.stats.t = s.t;
                        self.stats.accepted = s.accepted;
                        self.scheduled = (s.t, s.accepted);
                    }
                    self.outcome = Outcome::NonFinite { t: self.stats.t };
                }
            }
            NONFINITE => {
                self.outcome = Outcome::NonFinite {
                    t: from_ticks(head.t_hi, head.t_lo),
                }
            }
            UNDERFLOW => {
                self.outcome = Outcome::StepUnderflow {
                    t: from_ticks(head.t_hi, head.t_lo),
                    h: f64::from(head.h_attempt),
                }
            }
            REACHED if !is_split => {
                self.outcome = Outcome::Reached;
            }
            _ => {
                if self.outcome == Outcome::Reached {
                    self.outcome = Outcome::BudgetExhausted;
                }
            }
        }
        if !is_split {
            self.absorb_log(
                &head,
                &bytes[layout::CONTROL_LOG_OFFSET as usize..control_len],
            );
        } else if state_is_good
            && let Some(s) = self.submissions.iter().find(|s| s.serial == head.serial)
        {
            let m = match &self.plan {
                Plan::Split { weights, .. } => weights.len() as u64,
                Plan::InteractionPicture { .. } => 0,
            };
            self.stats.nfe += (s.accepted_end - self.stats.accepted.min(s.accepted_end)) * m;
            self.stats.t = s.t_end;
            self.stats.accepted = s.accepted_end;
            self.stats.h_last = self.split_h_last;
            if s.accepted_end > s.accepted {
                self.history
                    .step_size
                    .push(self.stats.t, self.stats.h_last.max(1e-18));
            }
        }
        if !state_is_good {
            return;
        }
        let values: &[[f32; 2]] = bytemuck::cast_slice(&bytes[control_len..]);
        let spectrum: Vec<Complex64> = values
            .iter()
            .map(|v| Complex64::new(f64::from(v[0]), f64::from(v[1])))
            .collect();
        let physical = self.field_from(&spectrum);
        self.spectrum = spectrum;
        self.physical = physical;
        let [spectral, physical_sums, ..] = diag.map(|v| v.map(f64::from));
        let sums = DiagnosticSums {
            spectral_mass: spectral[0],
            spectral_momentum: spectral[1],
            spectral_gradient: spectral[2],
            spectral_tail: spectral[3],
            quartic: physical_sums[0],
            q_log_q: physical_sums[1],
            max_intensity: physical_sums[2],
        };
        let t = self.stats.t;
        if let Some(views) = &mut self.views {
            views.set_time(head.serial, t);
        }
        let exact = exact_error(&self.params, &self.grid, &self.physical, t);
        let initial = (!self.initial_pending).then_some(&self.initial);
        self.diagnostics = NlseDiagnostics::from_sums(
            &self.params,
            self.grid.n,
            self.grid.length,
            t,
            &sums,
            exact,
            initial,
        );
        if self.initial_pending {
            self.initial = self.diagnostics.clone();
            self.initial_pending = false;
        }
        self.record_diagnostics();
    }

    /// Steps from the log since the last readback: time, step size, error, rejections.
    pub(super) fn absorb_log(&mut self, head: &ControlHead, log_bytes: &[u8]) {
        let entries: &[[u32; 4]] = bytemuck::cast_slice(log_bytes);
        let new = head.attempts.wrapping_sub(self.seen_attempts);
        let skipped = new.saturating_sub(LOG_CAPACITY);
        let mut rejected = self.stats.rejected;
        for a in self.seen_attempts.wrapping_add(skipped)..head.attempts {
            let [t_hi, t_lo, h_bits, err_bits] = entries[(a % LOG_CAPACITY) as usize];
            let t = from_ticks(t_hi, t_lo);
            let h = f64::from(f32::from_bits(h_bits));
            // ±f32::MAX is the shader's mark of a non-finite step.
            let signed_err = match f32::from_bits(err_bits) {
                e if e == f32::MAX => f64::INFINITY,
                e if e == -f32::MAX => f64::NEG_INFINITY,
                e => f64::from(e),
            };
            let accepted = signed_err >= 0.0 || signed_err.is_nan();
            if accepted {
                self.history.step_size.push(t, h);
                if self.setup.has_estimate == 1 && signed_err.is_finite() {
                    self.history.error_estimate.push(t, signed_err.max(1e-18));
                }
            } else {
                rejected += 1;
            }
            self.history.rejected.push(t, rejected as f64);
        }
        self.seen_attempts = head.attempts;
        let stages_per_attempt = match &self.plan {
            Plan::InteractionPicture { tableau, .. } => {
                tableau.stages() as u64 - u64::from(tableau.fsal)
            }
            Plan::Split { .. } => 0,
        };
        self.stats.nfe += u64::from(new) * stages_per_attempt;
        self.stats.t = from_ticks(head.t_hi, head.t_lo);
        if head.status == REACHED && to_ticks(self.t_end) == to_ticks(self.stats.t) {
            // Exactly the requested end time (its ticks are the f64 value rounded).
            self.stats.t = self.t_end;
        }
        // A fixed step is the f64 dt (the GPU's f32 copy is for its arithmetic only).
        self.stats.h = if self.setup.fixed == 1 {
            self.params.dt
        } else {
            f64::from(head.h)
        };
        if head.accepted > 0 {
            self.stats.h_last = f64::from(head.h_done);
        }
        self.stats.last_error = if head.err == f32::MAX {
            f64::INFINITY
        } else {
            f64::from(head.err)
        };
        self.stats.accepted = u64::from(head.accepted);
        self.stats.rejected = u64::from(head.rejected);
    }

    pub(super) fn record_diagnostics(&mut self) {
        self.history.record(&self.diagnostics);
        let t = self.diagnostics.t;
        if t - self.last_waterfall_t >= crate::sims::nlse::cpu::waterfall_interval(&self.params) {
            let intensity: Vec<f64> = self.physical.iter().map(|p| p.norm_sqr()).collect();
            self.waterfall.push(t, &intensity);
            self.last_waterfall_t = t;
        }
    }

    /// Reads ψ̂ back (blocking; tests and checkpoints, not the frame loop).
    pub fn read_spectrum(&self, ctx: &GpuContext) -> Result<Vec<Complex64>, GpuError> {
        let bytes = ctx.read_blocking(&self.u, 0, (self.grid.n * 8) as u64)?;
        let values: &[[f32; 2]] = bytemuck::cast_slice(&bytes);
        Ok(values
            .iter()
            .map(|v| Complex64::new(f64::from(v[0]), f64::from(v[1])))
            .collect())
    }
}

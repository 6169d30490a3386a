//! Encoding the NLSE's GPU work: the step attempts of a submission (split-step or
//! interaction-picture Runge–Kutta with the controller on the GPU), the diagnostics
//! reductions and the readback request, recorded without waiting.

#[allow(clippy::wildcard_imports)]
use super::*;

impl NlseGpu {
    /// Records and submits up to `max_attempts` step attempts towards `t_end`, then the
    /// diagnostics reductions and (unless one is still in flight) the readback of the
    /// controller state, step log and field. Never waits for the GPU.
    pub fn encode(&mut self, ctx: &GpuContext, t_end: f64, max_attempts: u32) {
        self.serial += 1;
        self.t_end = t_end;
        self.write_setup(ctx, t_end);
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("nlse steps"),
            });
        let groups = (self.grid.n as u32).div_ceil(WORKGROUP_SIZE);
        let is_split = matches!(self.plan, Plan::Split { .. });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("nlse steps"),
                timestamp_writes: None,
            });
            self.kernel(&mut pass, &self.kernels.begin, DISPATCH_PLAIN, 1);
            match self.plan.clone() {
                Plan::Split { .. } => self.record_split(ctx, &mut pass, t_end, max_attempts),
                Plan::InteractionPicture {
                    tableau,
                    first_dispatch,
                } => {
                    for _ in 0..max_attempts {
                        self.record_ip_attempt(&mut pass, tableau, first_dispatch);
                    }
                }
            }
            if !self.readback.in_flight() || is_split {
                // Σ|ψ̂|² is also the split-step methods' divergence guard.
                self.kernel(
                    &mut pass,
                    &self.kernels.diag_spectral,
                    DISPATCH_PLAIN,
                    groups,
                );
                self.kernel(
                    &mut pass,
                    &self.kernels.diag_reduce,
                    DISPATCH_DIAG_SPECTRAL,
                    1,
                );
            }
        }
        if self.readback.in_flight() {
            // Nobody would read the diagnostics of this submission: skip them.
            self.submit(ctx, encoder);
            return;
        }
        // ψ = F⁻¹ψ̂ for the physical sums, in `work` (free between steps).
        encoder.copy_buffer_to_buffer(&self.u, 0, &self.work, 0, self.grid.n as u64 * 8);
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("nlse diagnostics"),
                timestamp_writes: None,
            });
            self.fft_work[1].record(&mut pass);
            self.kernel(
                &mut pass,
                &self.kernels.diag_physical,
                DISPATCH_PLAIN,
                groups,
            );
            self.kernel(
                &mut pass,
                &self.kernels.diag_reduce,
                DISPATCH_DIAG_PHYSICAL,
                1,
            );
        }
        // A row of the GPU pictures per readback, at most one per waterfall interval (the
        // time is the last one read back: rows are as far apart as the CPU path's or more).
        if let Some(views) = &mut self.views
            && (self.stats.t - self.last_view_row_t
                >= crate::sims::nlse::cpu::waterfall_interval(&self.params)
                || views.rows() == 0)
        {
            views.record(ctx, &mut encoder, self.serial);
            self.last_view_row_t = self.stats.t;
        }
        let requested = self.readback.request_parts(
            &mut encoder,
            &[
                (&self.control, 0, CONTROL_BYTES),
                (&self.u, 0, self.grid.n as u64 * 8),
            ],
        );
        self.submit(ctx, encoder);
        if requested {
            self.readback.submitted();
            self.readbacks += 1;
        }
    }

    /// Submits, timed by the pacer.
    pub(super) fn submit(&self, ctx: &GpuContext, encoder: wgpu::CommandEncoder) {
        self.pacer.submit(&ctx.queue, [encoder.finish()]);
    }

    pub(super) fn kernel(
        &self,
        pass: &mut wgpu::ComputePass<'_>,
        pipeline: &wgpu::ComputePipeline,
        dispatch: u32,
        groups: u32,
    ) {
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &self.group0, &[]);
        pass.set_bind_group(1, &self.group1, &[dispatch * DISPATCH_STRIDE as u32]);
        pass.dispatch_workgroups(groups, 1, 1);
    }

    /// One attempt of the interaction-picture RK method (see the shader's header).
    pub(super) fn record_ip_attempt(
        &mut self,
        pass: &mut wgpu::ComputePass<'_>,
        tableau: &'static ButcherTableau,
        first_dispatch: u32,
    ) {
        let groups = (self.grid.n as u32).div_ceil(WORKGROUP_SIZE);
        let s = tableau.stages() as u32;
        let rhs = |sim: &Self, pass: &mut wgpu::ComputePass<'_>| {
            sim.fft_work[1].record(pass);
            sim.kernel(pass, &sim.kernels.ip_cubic, DISPATCH_PLAIN, groups);
            sim.fft_work[0].record(pass);
        };
        // k_0 = N(u) unless FSAL carried it over (confirmed valid by a readback).
        let carry_first_stage = tableau.fsal && self.fsal_confirmed;
        if !carry_first_stage {
            self.kernel(pass, &self.kernels.ip_stage, first_dispatch, groups);
            rhs(self, pass);
        }
        for i in 1..s {
            let dispatch = if i == 1 && carry_first_stage {
                first_dispatch + s
            } else {
                first_dispatch + i
            };
            self.kernel(pass, &self.kernels.ip_stage, dispatch, groups);
            rhs(self, pass);
        }
        self.kernel(pass, &self.kernels.ip_finish, DISPATCH_PLAIN, groups);
        self.kernel(pass, &self.kernels.ip_control, DISPATCH_PLAIN, 1);
        self.kernel(pass, &self.kernels.ip_commit, DISPATCH_PLAIN, groups);
    }

    /// Up to `max_steps` split steps towards `t_end`, scheduled here (the step is fixed): whole
    /// steps of `dt` fused at their junctions, then a shorter one landing on `t_end`.
    pub(super) fn record_split(
        &mut self,
        ctx: &GpuContext,
        pass: &mut wgpu::ComputePass<'_>,
        t_end: f64,
        max_steps: u32,
    ) {
        if !self.outcome.is_ok() {
            return;
        }
        if self.schedule_pending {
            return;
        }
        let groups = (self.grid.n as u32).div_ceil(WORKGROUP_SIZE);
        self.kernel(pass, &self.kernels.checkpoint, DISPATCH_PLAIN, groups);
        let dt = self.params.dt;
        let (t_start, accepted_start) = self.scheduled;
        // The same step sequence as core::integrate::advance.
        let mut t = t_start;
        let (mut whole, mut last) = (0u32, None);
        while whole + u32::from(last.is_some()) < max_steps {
            let remaining = t_end - t;
            if remaining <= 1e-13 * t.abs().max(1.0) {
                // Round-off in the accumulated time: land exactly on t_end.
                t = t_end.max(t);
                break;
            }
            if dt < remaining {
                whole += 1;
                t += dt;
            } else {
                last = Some(remaining);
                t = t_end;
                break;
            }
        }
        let m = match &self.plan {
            Plan::Split { weights, .. } => weights.len() as u32,
            Plan::InteractionPicture { .. } => 0,
        };
        let run = |sim: &Self, pass: &mut wgpu::ComputePass<'_>, set: &SplitSet, count: u32| {
            let propagate = |pass: &mut wgpu::ComputePass<'_>, i: u32| {
                sim.kernel(
                    pass,
                    &sim.kernels.split_propagate,
                    set.first_dispatch + i,
                    groups,
                )
            };
            propagate(pass, 0);
            for step in 0..count {
                for w in 0..m {
                    sim.fft_u[1].record(pass);
                    sim.kernel(
                        pass,
                        &sim.kernels.split_phase,
                        set.first_dispatch + m + 2 + w,
                        groups,
                    );
                    sim.fft_u[0].record(pass);
                    if w + 1 < m {
                        propagate(pass, w + 1);
                    }
                }
                // Junction (w_m + w₁)h/2 between steps, close w_m h/2 after the last.
                propagate(pass, if step + 1 < count { m + 1 } else { m });
            }
        };
        if whole > 0 {
            let set = self.split_set(ctx, 0, dt);
            run(self, pass, &set, whole);
        }
        if let Some(h) = last {
            let set = self.split_set(ctx, 1, h);
            run(self, pass, &set, 1);
        }
        let steps = whole + u32::from(last.is_some());
        self.scheduled = (t, accepted_start + u64::from(steps));
        self.submissions.push_back(Submission {
            serial: self.serial,
            t: t_start,
            accepted: accepted_start,
            t_end: t,
            accepted_end: self.scheduled.1,
        });
        while self.submissions.len() > 16 {
            self.submissions.pop_front();
        }
        if steps > 0 {
            self.split_h_last = last.unwrap_or(dt);
        }
    }

    /// Dispatches one step attempt records (for the benchmark): the stages' kernels and FFTs,
    /// the finish, controller and commit kernels; split steps count their fused propagators.
    pub fn dispatches_per_attempt(&self) -> usize {
        let fft = self.fft.passes();
        match &self.plan {
            Plan::InteractionPicture { tableau, .. } => {
                let s = tableau.stages();
                let evaluated = if tableau.fsal { s - 1 } else { s };
                evaluated * (2 + 2 * fft) + 3
            }
            Plan::Split { weights, .. } => weights.len() * (1 + 2 * fft + 1),
        }
    }

    /// Passes over global memory of one attempt (an FFT pass reads and writes the field once,
    /// counted as one pass like every element-wise kernel; the one-workgroup controller
    /// reads only partial sums and is not counted).
    pub fn global_passes_per_attempt(&self) -> usize {
        let fft = self.fft.passes();
        match &self.plan {
            Plan::InteractionPicture { tableau, .. } => {
                let s = tableau.stages();
                let evaluated = if tableau.fsal { s - 1 } else { s };
                evaluated * (2 + 2 * fft) + 2
            }
            Plan::Split { weights, .. } => weights.len() * (1 + 2 * fft + 1),
        }
    }
}

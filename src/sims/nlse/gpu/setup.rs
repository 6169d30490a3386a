//! Setting up the NLSE's GPU run: the kernels and their layouts, the buffers, the propagator
//! tables of the split-step methods, the uniforms of a run, and parameter changes.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::sims::nlse::control::StepControl;
use crate::sims::run::Backend;

impl Kernels {
    pub(super) fn new(ctx: &GpuContext) -> Self {
        let group0 = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("nlse step group 0"),
                entries: &[
                    buffer(0, wgpu::BufferBindingType::Uniform),
                    buffer(1, storage(false)),
                    buffer(2, storage(false)),
                    buffer(3, storage(false)),
                    buffer(4, storage(false)),
                    buffer(5, storage(false)),
                    buffer(6, storage(true)),
                    buffer(7, storage(true)),
                ],
            });
        let group1 = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("nlse step group 1"),
                entries: &[wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: true,
                        min_binding_size: std::num::NonZeroU64::new(layout::DISPATCH_BYTES),
                    },
                    count: None,
                }],
            });
        let pipeline_layout = ctx
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("nlse step"),
                bind_group_layouts: &[Some(&group0), Some(&group1)],
                immediate_size: 0,
            });
        let [
            begin,
            checkpoint,
            split_propagate,
            split_phase,
            ip_stage,
            ip_cubic,
            ip_finish,
            ip_control,
            ip_commit,
            diag_spectral,
            diag_physical,
            diag_reduce,
        ] = ctx.compute_pipelines_with_layout(
            "nlse_step.wgsl",
            Some(&pipeline_layout),
            [
                "begin",
                "checkpoint",
                "split_propagate",
                "split_phase",
                "ip_stage",
                "ip_cubic",
                "ip_finish",
                "ip_control",
                "ip_commit",
                "diag_spectral",
                "diag_physical",
                "diag_reduce",
            ],
        );
        Self {
            group0,
            group1,
            begin,
            checkpoint,
            split_propagate,
            split_phase,
            ip_stage,
            ip_cubic,
            ip_finish,
            ip_control,
            ip_commit,
            diag_spectral,
            diag_physical,
            diag_reduce,
        }
    }
}

impl NlseGpu {
    /// Uploads the scenario's initial state (computed in f64, rounded once to f32).
    pub fn new(ctx: &GpuContext, params: NlseParams) -> Result<Self, String> {
        let (_, _, psi_hat) = setup(&params)?;
        Self::with_state(ctx, params, &psi_hat, RunStats::default(), None)
    }

    /// Continues a run from a state handed over by the CPU path: ψ̂ at `stats.t`, with the
    /// counters, the initial diagnostics (drifts stay relative to t = 0) and the histories.
    pub fn from_state(
        ctx: &GpuContext,
        params: NlseParams,
        psi_hat: &[Complex64],
        stats: RunStats,
        initial: NlseDiagnostics,
        history: NlseHistory,
    ) -> Result<Self, String> {
        let mut sim = Self::with_state(ctx, params, psi_hat, stats, Some(initial))?;
        sim.history = history;
        Ok(sim)
    }

    pub(super) fn with_state(
        ctx: &GpuContext,
        params: NlseParams,
        psi_hat: &[Complex64],
        stats: RunStats,
        initial: Option<NlseDiagnostics>,
    ) -> Result<Self, String> {
        let (grid, system, _) = setup(&params)?;
        if psi_hat.len() != grid.n {
            return Err(format!(
                "state of {} modes handed to a grid of {}",
                psi_hat.len(),
                grid.n
            ));
        }
        tableau_of(params.method)?;
        let n = grid.n as u64;
        let fft = GpuFft::new(ctx, grid.n)?;
        let kernels = Kernels::new(ctx);
        let storage = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST;
        let f32_state: Vec<[f32; 2]> = psi_hat.iter().map(|z| [z.re as f32, z.im as f32]).collect();
        let u = ctx.buffer_with("nlse ψ̂", &f32_state, storage);
        let work = ctx.buffer("nlse work", n * 8, storage);
        let fft_scratch = ctx.buffer("nlse fft scratch", n * 8, storage);
        let groups = u64::from((grid.n as u32).div_ceil(WORKGROUP_SIZE));
        let partials = ctx.buffer("nlse partials", groups * 16, storage);
        let control = ctx.buffer("nlse control", CONTROL_BYTES, storage);
        let setup_buffer = ctx.buffer(
            "nlse setup",
            layout::SETUP_BYTES,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let dispatch_buffer = ctx.buffer(
            "nlse dispatch table",
            DISPATCH_STRIDE * DISPATCH_ENTRIES,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let group1 = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("nlse dispatch"),
            layout: &kernels.group1,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &dispatch_buffer,
                    offset: 0,
                    size: std::num::NonZeroU64::new(layout::DISPATCH_BYTES),
                }),
            }],
        });
        let fft_u = [
            fft.bind(ctx, &u, &fft_scratch, 1, Direction::Forward),
            fft.bind(ctx, &u, &fft_scratch, 1, Direction::Inverse),
        ];
        let fft_work = [
            fft.bind(ctx, &work, &fft_scratch, 1, Direction::Forward),
            fft.bind(ctx, &work, &fft_scratch, 1, Direction::Inverse),
        ];
        let readback = Readback::new(ctx, CONTROL_BYTES + n * 8, "nlse frame readback");
        // Placeholders, replaced by `configure`.
        let placeholder = ctx.buffer("nlse placeholder", 16, storage);
        let group0 = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("nlse placeholder"),
            layout: &kernels.group0,
            entries: &[
                entry(0, &setup_buffer),
                entry(1, &u),
                entry(2, &placeholder),
                entry(3, &work),
                entry(4, &partials),
                entry(5, &control),
                entry(6, &placeholder),
                entry(7, &placeholder),
            ],
        });
        let mut sim = Self {
            initial_pending: initial.is_none(),
            initial: initial.unwrap_or_default(),
            spectrum: psi_hat.to_vec(),
            physical: vec![Complex64::default(); grid.n],
            params: params.clone(),
            grid,
            system,
            kernels,
            fft,
            u,
            stages: placeholder.clone(),
            work,
            partials,
            control,
            spectral: placeholder.clone(),
            tables: placeholder,
            setup_buffer,
            dispatch_buffer,
            group0,
            group1,
            fft_u,
            fft_work,
            setup: SetupUniform::default(),
            plan: Plan::Split {
                weights: Vec::new(),
                sets: [None, None],
            },
            dispatches: Vec::new(),
            readback,
            serial: 0,
            reset_serial: 0,
            fsal_confirmed: false,
            submissions: VecDeque::new(),
            scheduled: (stats.t, stats.accepted),
            schedule_pending: false,
            seen_attempts: 0,
            t_end: stats.t,
            // Wall time a live submission may take before the next is recorded smaller.
            pacer: SubmissionPacer::new(8, 1, 4096, 0.016),
            readbacks: 0,
            views: None,
            pool: BufferPool::new(),
            last_view_row_t: f64::NEG_INFINITY,
            split_h_last: stats.h_last,
            stats: RunStats {
                h: if stats.h > 0.0 { stats.h } else { params.dt },
                last_error: f64::NAN,
                ..stats
            },
            outcome: Outcome::BudgetExhausted,
            diagnostics: NlseDiagnostics::default(),
            history: NlseHistory::new(),
            waterfall: Waterfall::new(),
            last_waterfall_t: f64::NEG_INFINITY,
        };
        sim.configure(ctx, true)?;
        let head = ControlHead {
            h: sim.stats.h as f32,
            t_hi: (to_ticks(sim.stats.t) >> 32) as u32,
            t_lo: to_ticks(sim.stats.t) as u32,
            err1: 1.0,
            err2: 1.0,
            err: f32::NAN,
            accepted: sim.stats.accepted as u32,
            rejected: sim.stats.rejected as u32,
            ..ControlHead::default()
        };
        ctx.queue
            .write_buffer(&sim.control, 0, bytemuck::bytes_of(&head));
        // The diagnostics of the starting state, in f64 until the first readback.
        sim.physical = sim.field_from(&sim.spectrum.clone());
        let sums = crate::sims::nlse::cpu::spectral_and_physical_sums(
            &sim.grid,
            &sim.spectrum,
            &sim.physical,
        );
        let exact = exact_error(&sim.params, &sim.grid, &sim.physical, sim.stats.t);
        sim.diagnostics = NlseDiagnostics::from_sums(
            &sim.params,
            sim.grid.n,
            sim.grid.length,
            sim.stats.t,
            &sums,
            exact,
            (!sim.initial_pending).then_some(&sim.initial),
        );
        if sim.initial_pending {
            sim.initial = sim.diagnostics.clone();
            // The GPU's own sums of the initial state (the first readback) replace these.
            sim.encode(ctx, sim.stats.t, 0);
        }
        Ok(sim)
    }

    /// (Re)builds everything that depends on the method, step and equation: the setup
    /// uniform, the per-mode symbol, the split-step tables, the dispatch table, the stage
    /// buffer and the bind group. The state and the clock are untouched.
    pub(super) fn configure(&mut self, ctx: &GpuContext, realloc: bool) -> Result<(), String> {
        let p = self.params.clone();
        let n = self.grid.n;
        let tableau = tableau_of(p.method)?;
        let control = StepControl::of(&p, Backend::Gpu);
        let adaptive = control.is_adaptive();
        let limits = control.limits;
        let betas = p.controller.betas();
        let mut setup = SetupUniform {
            len: n as u32,
            stages: tableau.map_or(0, |t| t.stages() as u32),
            fsal: u32::from(tableau.is_some_and(|t| t.fsal)),
            fixed: u32::from(!adaptive),
            has_estimate: u32::from(
                tableau.is_some_and(|t| !matches!(t.estimator, ErrorEstimator::None)),
            ),
            partial_count: (n as u32).div_ceil(WORKGROUP_SIZE),
            log_capacity: LOG_CAPACITY,
            error_order: tableau.map_or(p.method.order(), |t| t.error_order) as f32,
            rtol: control.rtol as f32,
            // The CPU's GlobalRelativeL2 scale is (atol/√N)·√N + rtol·max‖u‖ (cpu.rs).
            atol: p.atol as f32,
            safety: limits.safety as f32,
            factor_min: limits.factor_min as f32,
            factor_max: limits.factor_max as f32,
            h_min: limits.h_min as f32,
            h_max: limits.h_max as f32,
            hold_max: limits.hold_max as f32,
            beta1: betas[0] as f32,
            beta2: betas[1] as f32,
            beta3: betas[2] as f32,
            // Σ|ψ̂|² may not double: the equation conserves it (cpu.rs, mass_sum_limit).
            mass_limit: (2.0 * self.initial_mass_sum()) as f32,
            gamma_over_n: (p.gamma / n as f64) as f32,
            k_max: self.grid.k_max() as f32,
            dt_hi: (to_ticks(p.dt) >> 32) as u32,
            dt_lo: to_ticks(p.dt) as u32,
            ..SetupUniform::default()
        };
        if let Some(t) = tableau {
            let s = t.stages();
            if s > MAX_STAGES {
                return Err(format!("{} has more than {MAX_STAGES} stages", t.name));
            }
            let estimate: &[f64] = match t.estimator {
                ErrorEstimator::Embedded(e) => e,
                _ => &[],
            };
            for i in 0..s {
                for (j, a) in t.a[i].iter().enumerate() {
                    let index = i * MAX_STAGES + j;
                    setup.a[index / 4][index % 4] = *a as f32;
                }
                setup.b[i / 4][i % 4] = t.b[i] as f32;
                setup.c[i / 4][i % 4] = t.c[i] as f32;
                setup.e[i / 4][i % 4] = estimate.get(i).copied().unwrap_or(0.0) as f32;
            }
        }
        self.setup = setup;
        self.write_setup(ctx, 0.0);

        // Per mode: (Re L, Im L, mask, k), L in f64 rounded once.
        let symbol = self.system.linear_symbol();
        let k_max = self.grid.k_max();
        let spectral: Vec<[f32; 4]> = symbol
            .iter()
            .zip(&self.grid.k)
            .map(|(l, &k)| {
                let keep = !p.dealias || k.abs() <= 2.0 / 3.0 * k_max;
                [
                    l.re as f32,
                    l.im as f32,
                    f32::from(u8::from(keep)),
                    k as f32,
                ]
            })
            .collect();
        let read_only = wgpu::BufferUsages::STORAGE;
        let old = std::mem::replace(
            &mut self.spectral,
            self.pool
                .take_with(ctx, "nlse spectral", &spectral, read_only),
        );
        self.pool.give(old);

        let mut dispatches = vec![DispatchUniform::default(); DISPATCH_FIRST_FREE as usize];
        dispatches[DISPATCH_DIAG_SPECTRAL as usize] = DispatchUniform {
            slot: 0,
            max_lane: 4,
            ..DispatchUniform::default()
        };
        dispatches[DISPATCH_DIAG_PHYSICAL as usize] = DispatchUniform {
            slot: 1,
            max_lane: 2,
            ..DispatchUniform::default()
        };
        let stage_slots;
        match tableau {
            Some(t) => {
                let first_dispatch = dispatches.len() as u32;
                let s = t.stages() as u32;
                dispatches.push(DispatchUniform::default());
                for i in 1..s {
                    dispatches.push(DispatchUniform {
                        stage: i,
                        finalize_previous: 1,
                        ..DispatchUniform::default()
                    });
                }
                dispatches.push(DispatchUniform {
                    stage: 1,
                    finalize_previous: 0,
                    ..DispatchUniform::default()
                });
                self.plan = Plan::InteractionPicture {
                    tableau: t,
                    first_dispatch,
                };
                stage_slots = t.stages() as u64 + 1;
                let old = std::mem::replace(
                    &mut self.tables,
                    self.pool.take(ctx, "nlse no tables", 16, read_only),
                );
                self.pool.give(old);
            }
            None => {
                let weights = match p.method {
                    NlseMethod::Yoshida4SplitStep => yoshida4_weights().to_vec(),
                    _ => vec![1.0],
                };
                self.plan = Plan::Split {
                    weights,
                    sets: [None, None],
                };
                stage_slots = 1;
                let tables_per_set = self.split_tables_per_set() as u64;
                let tables = self.pool.take(
                    ctx,
                    "nlse split tables",
                    2 * tables_per_set * n as u64 * 8,
                    read_only | wgpu::BufferUsages::COPY_DST,
                );
                let old = std::mem::replace(&mut self.tables, tables);
                self.pool.give(old);
            }
        }
        self.dispatches = dispatches;
        if let Plan::Split { .. } = self.plan {
            self.split_set(ctx, 0, p.dt);
        }
        self.upload_dispatches(ctx);
        let stage_bytes = stage_slots * n as u64 * 8;
        if realloc || self.stages.size() != stage_bytes {
            let stages = self.pool.take(
                ctx,
                "nlse stages",
                stage_bytes,
                wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
            );
            let old = std::mem::replace(&mut self.stages, stages);
            self.pool.give(old);
        }
        self.group0 = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("nlse step"),
            layout: &self.kernels.group0,
            entries: &[
                entry(0, &self.setup_buffer),
                entry(1, &self.u),
                entry(2, &self.stages),
                entry(3, &self.work),
                entry(4, &self.partials),
                entry(5, &self.control),
                entry(6, &self.spectral),
                entry(7, &self.tables),
            ],
        });
        self.fsal_confirmed = false;
        Ok(())
    }

    /// Σ|ψ̂|² of the initial diagnostics (mass / L).
    pub(super) fn initial_mass_sum(&self) -> f64 {
        let from_initial = self.initial.mass / self.grid.length;
        if from_initial > 0.0 {
            from_initial
        } else {
            self.spectrum.iter().map(|z| z.norm_sqr()).sum()
        }
    }

    pub(super) fn split_tables_per_set(&self) -> usize {
        match &self.plan {
            Plan::Split { weights, .. } => weights.len() + 2,
            Plan::InteractionPicture { .. } => 0,
        }
    }

    /// Builds (if needed) the tables and dispatch entries of split set `which` for step `h`.
    pub(super) fn split_set(&mut self, ctx: &GpuContext, which: usize, h: f64) -> SplitSet {
        let Plan::Split { weights, sets } = &self.plan else {
            unreachable!("split_set is only called for split-step plans");
        };
        if let Some(set) = &sets[which]
            && set.h == h
        {
            return set.clone();
        }
        let weights = weights.clone();
        let m = weights.len();
        let per_set = m + 2;
        let n = self.grid.n;
        // Linear sub-steps: open w₁h/2, inner (w_i + w_{i+1})h/2, close w_m h/2, and the
        // junction (w_m + w₁)h/2 fusing one step's close with the next one's open.
        let mut fractions = Vec::with_capacity(per_set);
        fractions.push(0.5 * weights[0]);
        for i in 0..m - 1 {
            fractions.push(0.5 * (weights[i] + weights[i + 1]));
        }
        fractions.push(0.5 * weights[m - 1]);
        fractions.push(0.5 * (weights[m - 1] + weights[0]));
        let k_max = self.grid.k_max();
        let symbol = self.system.linear_symbol();
        let mut data: Vec<[f32; 2]> = Vec::with_capacity(per_set * n);
        for f in &fractions {
            for (l, &k) in symbol.iter().zip(&self.grid.k) {
                let keep = !self.params.dealias || k.abs() <= 2.0 / 3.0 * k_max;
                data.push(if keep {
                    round_keeping_modulus((l * (f * h)).exp())
                } else {
                    [0.0, 0.0]
                });
            }
        }
        let first_table = (which * per_set) as u32;
        ctx.queue.write_buffer(
            &self.tables,
            first_table as u64 * n as u64 * 8,
            bytemuck::cast_slice(&data),
        );
        let first_dispatch = DISPATCH_FIRST_FREE + (which * (per_set + m)) as u32;
        let needed = (first_dispatch as usize) + per_set + m;
        if self.dispatches.len() < needed {
            self.dispatches.resize(needed, DispatchUniform::default());
        }
        for i in 0..per_set {
            self.dispatches[first_dispatch as usize + i] = DispatchUniform {
                table: first_table + i as u32,
                ..DispatchUniform::default()
            };
        }
        for (i, w) in weights.iter().enumerate() {
            self.dispatches[first_dispatch as usize + per_set + i] = DispatchUniform {
                coef: (self.params.gamma * w * h) as f32,
                // The forward FFT's 1/N (a power of two: exact in f32).
                scale: 1.0 / n as f32,
                ..DispatchUniform::default()
            };
        }
        let set = SplitSet { h, first_dispatch };
        if let Plan::Split { sets, .. } = &mut self.plan {
            sets[which] = Some(set.clone());
        }
        self.upload_dispatches(ctx);
        set
    }

    pub(super) fn upload_dispatches(&self, ctx: &GpuContext) {
        let mut bytes = vec![0u8; (DISPATCH_STRIDE * DISPATCH_ENTRIES) as usize];
        for (i, d) in self.dispatches.iter().enumerate() {
            let at = i * DISPATCH_STRIDE as usize;
            bytes[at..at + layout::DISPATCH_BYTES as usize].copy_from_slice(bytemuck::bytes_of(d));
        }
        ctx.queue.write_buffer(&self.dispatch_buffer, 0, &bytes);
    }

    /// Writes the setup uniform with the end time `t_end` and the current serial.
    pub(super) fn write_setup(&mut self, ctx: &GpuContext, t_end: f64) {
        let ticks = to_ticks(t_end);
        self.setup.serial = self.serial;
        self.setup.t_end_hi = (ticks >> 32) as u32;
        self.setup.t_end_lo = ticks as u32;
        ctx.queue
            .write_buffer(&self.setup_buffer, 0, bytemuck::bytes_of(&self.setup));
    }

    pub(super) fn write_control_u32(&self, ctx: &GpuContext, offset: u64, value: u32) {
        ctx.queue
            .write_buffer(&self.control, offset, bytemuck::bytes_of(&value));
    }

    pub(super) fn write_control_f32(&self, ctx: &GpuContext, offset: u64, value: f32) {
        ctx.queue
            .write_buffer(&self.control, offset, bytemuck::bytes_of(&value));
    }

    /// Applies new parameters like [`crate::sims::nlse::cpu::NlseCpu::set_params`]: a new initial state
    /// restarts, anything else continues from the current state. Returns whether it
    /// restarted.
    pub fn set_params(&mut self, ctx: &GpuContext, params: NlseParams) -> Result<bool, String> {
        params.validate()?;
        tableau_of(params.method)?;
        if params.needs_restart_from(&self.params) {
            *self = Self::new(ctx, params)?;
            return Ok(true);
        }
        let old = std::mem::replace(&mut self.params, params.clone());
        let equation_changed = params.equation_differs_from(&old);
        let was_split = matches!(self.plan, Plan::Split { .. });
        if equation_changed {
            self.system = NlseSystem::new(&params, &self.grid);
        }
        if let Err(e) = self.configure(ctx, false) {
            self.params = old;
            self.configure(ctx, false)?;
            return Err(e);
        }
        // Stale readbacks (recorded before this edit) are ignored.
        self.reset_serial = self.serial + 1;
        let is_split = matches!(self.plan, Plan::Split { .. });
        if was_split && !is_split {
            // The split schedule (exact, on the CPU) hands the clock to the GPU's.
            let (t, accepted) = self.scheduled;
            let ticks = to_ticks(t);
            self.write_control_u32(ctx, field::T_HI, (ticks >> 32) as u32);
            self.write_control_u32(ctx, field::T_LO, ticks as u32);
            self.write_control_u32(ctx, field::ACCEPTED, accepted as u32);
        } else if !was_split && is_split {
            self.schedule_pending = true;
        }
        let h_changes =
            params.dt != old.dt || params.method != old.method || !params.method.is_adaptive();
        if h_changes {
            self.stats.h = params.dt;
            self.write_control_f32(ctx, field::H, params.dt as f32);
        }
        // A fresh controller (no error history), FSAL stage to recompute, and a stopped run
        // may go on.
        self.write_control_f32(ctx, field::ERR1, 1.0);
        self.write_control_f32(ctx, field::ERR1 + 4, 1.0);
        self.write_control_u32(ctx, field::LAST_REJECTED, 0);
        self.write_control_u32(ctx, field::FSAL_VALID, 0);
        if !self.outcome.is_ok() {
            self.write_control_u32(ctx, field::STATUS, RUNNING);
            self.outcome = Outcome::BudgetExhausted;
        }
        if equation_changed {
            self.initial_pending = true;
        }
        Ok(false)
    }

    /// Turns on the GPU-drawn waterfall and spectrogram (the app does; tests may).
    pub fn enable_views(&mut self, ctx: &GpuContext) {
        if self.views.is_none() {
            self.views = Some(NlseViews::new(ctx, self.grid.n, &self.work, &self.u));
        }
    }
}

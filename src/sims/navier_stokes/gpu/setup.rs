//! Setting up a Navier–Stokes MAC run on the GPU: buffers, bind groups and the kernels,
//! the recorded step (its dispatches and op slots) and the pressure iteration count,
//! calibrated and adapted to the tolerance.

#[allow(clippy::wildcard_imports)]
use super::*;

/// The face kinds of the shader: 0 free, 1 fixed, 2 buried, u faces then v faces.
pub(super) fn face_kinds(grid: &MacGrid) -> Vec<u32> {
    grid.face_kinds()
        .map(|k| match k {
            crate::sims::navier_stokes::mac::FaceKind::Free => 0,
            crate::sims::navier_stokes::mac::FaceKind::Fixed => 1,
            crate::sims::navier_stokes::mac::FaceKind::Buried => 2,
        })
        .collect()
}

/// Pressure iterations per projection for the tolerance: multigrid contracts ≥ 10× per
/// V-cycle (0.25 around obstacles); SOR and Jacobi by their spectral radii, with the Jacobi
/// radius ρ_J of the slowest mode and Young's SOR radius for ω.
pub(super) fn pressure_iterations(params: &NsParams, grid: &MacGrid) -> usize {
    let want = pressure_tolerance(params, crate::sims::run::Backend::Gpu).ln();
    // The slowest mode of the Jacobi iteration: a quarter wave across the longest bounded
    // side (Neumann at one end), a full wave across a periodic one.
    let n = grid.nx.max(grid.ny) as f64;
    let periodic =
        grid.poisson().x == AxisBoundary::Periodic && grid.poisson().y == AxisBoundary::Periodic;
    let rho_jacobi = if periodic {
        (std::f64::consts::TAU / n).cos()
    } else {
        (std::f64::consts::PI / (2.0 * n)).cos()
    };
    let rate = match params.pressure {
        PressureKind::Multigrid => {
            if grid.solid().iter().any(|s| *s) {
                0.25
            } else {
                0.1
            }
        }
        PressureKind::Jacobi => rho_jacobi,
        PressureKind::Sor => {
            let w = params.omega;
            let optimal = 2.0 / (1.0 + (1.0 - rho_jacobi * rho_jacobi).sqrt());
            if w >= optimal {
                w - 1.0
            } else {
                // Young: √ρ = (ω ρ_J + √(ω²ρ_J² − 4(ω − 1)))/2.
                let root = (w * rho_jacobi
                    + (w * w * rho_jacobi * rho_jacobi - 4.0 * (w - 1.0)).sqrt())
                    / 2.0;
                root * root
            }
        }
        PressureKind::Fft => 0.0,
    };
    if rate <= 0.0 {
        return 1;
    }
    ((want / rate.ln()).ceil() as usize).clamp(1, MAX_PRESSURE_ITERATIONS)
}

impl GpuNs {
    /// Uploads the MAC run of `params` on `grid` with velocity `vel`, pressure `phi` and dye.
    pub fn new(
        ctx: &GpuContext,
        params: &NsParams,
        grid: &MacGrid,
        vel: &Velocity,
        phi: &[f64],
        dye: &[f64],
    ) -> Result<GpuNs, String> {
        params.validate()?;
        let NsSolver::Mac(scheme) = params.solver else {
            return Err(
                "the GPU runs the staggered-grid (MAC) schemes; the spectral solver runs on the CPU"
                    .into(),
            );
        };
        let (nx, ny) = (grid.nx, grid.ny);
        let fft = if params.pressure == PressureKind::Fft {
            Some(
                GpuFft2::new(ctx, nx, ny)
                    .map_err(|e| format!("{e}: pick multigrid for this grid on the GPU"))?,
            )
        } else {
            None
        };
        let nfaces_u = grid.u_columns() * ny;
        let faces = nfaces_u + nx * grid.v_rows();
        let cells = nx * ny;
        // Velocity fields: state, two stages, three advection scratch; dye: four.
        let dye_offset = 6 * faces;
        let work_len = dye_offset + 4 * cells;
        let limit = ctx.device.limits().max_storage_buffer_binding_size;
        if (work_len * 4) as u64 > limit {
            return Err(format!(
                "{nx} × {ny} cells need {} MB in one GPU buffer, above this device's {} MB",
                (work_len * 4) >> 20,
                limit >> 20
            ));
        }
        // Multigrid levels (the solid rule of poisson.rs: coarse solid iff all four children).
        let mut levels = Vec::new();
        let mut meta: Vec<u32> = Vec::with_capacity(faces + 2 * cells);
        meta.extend(face_kinds(grid));
        let mut cells_len = 0;
        let (mut lnx, mut lny, mut lh) = (nx, ny, grid.h);
        let mut solid: Vec<bool> = grid.solid().to_vec();
        loop {
            let n = lnx * lny;
            levels.push(Level {
                nx: lnx,
                ny: lny,
                h: lh,
                p: cells_len,
                f: cells_len + n,
                r: cells_len + 2 * n,
                solid: meta.len(),
            });
            cells_len += 3 * n;
            meta.extend(solid.iter().map(|s| u32::from(*s)));
            let coarsens = params.pressure == PressureKind::Multigrid
                && lnx.is_multiple_of(2)
                && lny.is_multiple_of(2)
                && lnx >= 4
                && lny >= 4;
            if !coarsens {
                break;
            }
            let (cnx, cny) = (lnx / 2, lny / 2);
            solid = (0..cnx * cny)
                .map(|kc| {
                    let (i, j) = (2 * (kc % cnx), 2 * (kc / cnx));
                    [(0, 0), (1, 0), (0, 1), (1, 1)]
                        .iter()
                        .all(|(di, dj)| solid[i + di + lnx * (j + dj)])
                })
                .collect();
            (lnx, lny, lh) = (cnx, cny, 2.0 * lh);
        }
        // The view's scratch values after the levels.
        let view_off = cells_len;
        cells_len += cells;
        let (side_kind, side_value, pressure_ghost) = sides(grid);
        let nu = params.viscosity();
        let kolmogorov = params.case == crate::sims::navier_stokes::NsCase::Kolmogorov;
        let force = if kolmogorov {
            scenario::KOLMOGOROV_FORCING
        } else {
            0.0
        };
        let boundary_speed = side_kind
            .iter()
            .zip(&side_value)
            .filter(|(k, _)| **k == 0 || **k == 2)
            .fold(0.0f32, |m, (_, v)| m.max(v.abs()));
        let uniform = GridUniform {
            nx: nx as u32,
            ny: ny as u32,
            ucols: grid.u_columns() as u32,
            vrows: grid.v_rows() as u32,
            periodic_x: u32::from(grid.poisson().x == AxisBoundary::Periodic),
            periodic_y: u32::from(grid.poisson().y == AxisBoundary::Periodic),
            nfaces_u: nfaces_u as u32,
            history_capacity: HISTORY_CAPACITY as u32,
            h: grid.h as f32,
            nu: nu as f32,
            cfl: params.cfl as f32,
            beta: match scheme {
                TimeScheme::SspRk3 => (2.51 / 8.0) as f32,
                _ => 0.25,
            },
            side_kind,
            side_value,
            pressure_ghost,
            force: force as f32,
            force_k: scenario::KOLMOGOROV_WAVENUMBER as f32,
            boundary_speed,
            // The largest force on the faces, as the CPU samples it (mac.rs `step_limits`).
            max_force: (0..ny)
                .map(|j| {
                    (force
                        * (scenario::KOLMOGOROV_WAVENUMBER as f64 * (j as f64 + 0.5) * grid.h)
                            .sin())
                    .abs()
                })
                .fold(0.0, f64::max) as f32,
        };

        let recipe = Recipe {
            scheme,
            pressure: params.pressure,
            omega: params.omega,
            singular: grid.poisson().singular(),
            levels,
            faces,
            cells,
            nfaces_u,
            dye_offset,
        };
        let pressure_iterations = pressure_iterations(params, grid);
        let (step, mut slots) = record_step(&recipe, pressure_iterations);
        // The views' slots after the step's (their number does not depend on the count).
        let view_slot = slots.len() as u32;
        slots.extend(FIELD_KINDS.iter().enumerate().map(|(flag, _)| OpUniform {
            flag: flag as u32,
            from_off: 0,
            p_off: 0,
            aux_off: dye_offset as u32,
            out_off: view_off as u32,
            solid_off: recipe.levels[0].solid as u32,
            ..OpUniform::default()
        }));

        // Buffers.
        let mut work = vec![0f32; work_len];
        for (w, v) in work.iter_mut().zip(vel.u.iter().chain(&vel.v)) {
            *w = *v as f32;
        }
        // Every velocity field starts as the state: fixed faces then hold their values.
        for k in 1..6 {
            let (head, tail) = work.split_at_mut(k * faces);
            tail[..faces].copy_from_slice(&head[..faces]);
        }
        for (w, v) in work[dye_offset..].iter_mut().zip(dye) {
            *w = *v as f32;
        }
        let mut cell_data = vec![0f32; cells_len];
        for (c, p) in cell_data.iter_mut().zip(phi) {
            *c = *p as f32;
        }
        let usage = wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST;
        let work_buffer = ctx.buffer_with("ns work", &work, usage);
        let cells_buffer = ctx.buffer_with("ns cells", &cell_data, usage);
        let meta_buffer = ctx.buffer_with("ns meta", &meta, wgpu::BufferUsages::STORAGE);
        let stats_buffer = ctx.buffer_with(
            "ns stats",
            &vec![0f32; STAT_HISTORY + HISTORY_WIDTH * HISTORY_CAPACITY],
            usage,
        );
        let grid_buffer = ctx.buffer_with("ns grid", &[uniform], wgpu::BufferUsages::UNIFORM);
        let mut bytes = vec![0u8; slots.len().max(1) * SLOT as usize];
        for (k, s) in slots.iter().enumerate() {
            let at = k * SLOT as usize;
            bytes[at..at + std::mem::size_of::<OpUniform>()].copy_from_slice(bytemuck::bytes_of(s));
        }
        let ops = ctx.buffer_with("ns ops", &bytes, wgpu::BufferUsages::UNIFORM);
        // The FFT solver's complex grid and spectrum (8-byte stand-ins for the others).
        let complex_len = if fft.is_some() { 8 * cells as u64 } else { 8 };
        let fft_grid = ctx.buffer("ns fft grid", complex_len, wgpu::BufferUsages::STORAGE);
        let fft_spectrum = ctx.buffer("ns fft spectrum", complex_len, wgpu::BufferUsages::STORAGE);
        let fft = fft.map(|plan| {
            (
                plan.bind_forward(ctx, &fft_grid, &fft_spectrum),
                plan.bind_inverse(ctx, &fft_spectrum, &fft_grid),
            )
        });

        let uniform_entry = |binding: u32, dynamic: bool, size: usize| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: dynamic,
                min_binding_size: wgpu::BufferSize::new(size as u64),
            },
            count: None,
        };
        let layout = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("navier stokes"),
                entries: &[
                    uniform_entry(0, false, std::mem::size_of::<GridUniform>()),
                    uniform_entry(1, true, std::mem::size_of::<OpUniform>()),
                    crate::gpu::buffer_layout_entry(2, storage(false)),
                    crate::gpu::buffer_layout_entry(3, storage(false)),
                    crate::gpu::buffer_layout_entry(4, storage(true)),
                    crate::gpu::buffer_layout_entry(5, storage(false)),
                    crate::gpu::buffer_layout_entry(6, storage(false)),
                    crate::gpu::buffer_layout_entry(7, storage(false)),
                ],
            });
        let pipeline_layout = ctx
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("navier stokes"),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let compiled = ctx.compute_pipelines_with_layout(
            "navier_stokes.wgsl",
            Some(&pipeline_layout),
            KERNELS.map(|(_, name)| name),
        );
        let pipelines: HashMap<Kernel, wgpu::ComputePipeline> =
            KERNELS.iter().map(|(k, _)| *k).zip(compiled).collect();
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("navier stokes"),
            layout: &layout,
            entries: &[
                crate::gpu::entry(0, &grid_buffer),
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &ops,
                        offset: 0,
                        size: wgpu::BufferSize::new(std::mem::size_of::<OpUniform>() as u64),
                    }),
                },
                crate::gpu::entry(2, &work_buffer),
                crate::gpu::entry(3, &cells_buffer),
                crate::gpu::entry(4, &meta_buffer),
                crate::gpu::entry(5, &stats_buffer),
                crate::gpu::entry(6, &fft_grid),
                crate::gpu::entry(7, &fft_spectrum),
            ],
        });
        let painter = FieldPainter::new(
            ctx,
            (nx, ny),
            &cells_buffer,
            view_off,
            Some((&meta_buffer, recipe.levels[0].solid)),
        );
        Ok(GpuNs {
            faces,
            cells,
            nfaces_u,
            work: work_buffer,
            cells_buffer,
            stats: stats_buffer,
            bind_group,
            pipelines,
            step,
            dye_offset,
            pressure_iterations,
            steps_encoded: 0,
            recipe,
            tol: pressure_tolerance(params, crate::sims::run::Backend::Gpu),
            escalation: None,
            at_floor: false,
            readbacks: ReadbackPair::new(
                ctx,
                ((STAT_HISTORY + HISTORY_WIDTH * HISTORY_CAPACITY) * 4) as u64,
                ((faces + 2 * cells) * 4) as u64,
                "ns readback",
            ),
            fft,
            painter,
            view_slot,
        })
    }

    /// Sets the pressure iterations per projection (re-records the step).
    pub fn set_pressure_iterations(&mut self, iterations: usize) {
        let iterations = iterations.clamp(1, MAX_PRESSURE_ITERATIONS);
        if iterations != self.pressure_iterations {
            // The op slots do not depend on the count, so the uploaded ones still serve.
            let (step, _) = record_step(&self.recipe, iterations);
            self.step = step;
            self.pressure_iterations = iterations;
        }
    }

    /// Adapts the iteration count to the residual `reached` by the last solve: the
    /// contraction per iteration is estimated as `reached^(1/iterations)` and the count set
    /// to reach the tolerance with 10% to spare; a count that overshoots by far is lowered.
    /// Returns whether it changed.
    pub fn adapt_pressure_iterations(&mut self, reached: f64) -> bool {
        // The FFT is a direct solve: one is all it takes.
        if self.fft.is_some() || !(reached.is_finite() && reached > 0.0) {
            return false;
        }
        // More iterations that no longer lowered the residual: f32 round-off, not the
        // solver, sets the floor of this problem; go back and stop increasing.
        if let Some((count, before)) = self.escalation.take()
            && self.pressure_iterations > count
            && reached > 0.5 * before
        {
            self.set_pressure_iterations(count);
            self.at_floor = true;
            return true;
        }
        let too_loose = reached > self.tol && !self.at_floor;
        let too_tight = reached < self.tol * self.tol.sqrt();
        if !(too_loose || too_tight) {
            return false;
        }
        let per_iteration = reached.ln() / self.pressure_iterations as f64;
        if per_iteration >= 0.0 {
            // No contraction seen at all: double and look again.
            let doubled = 2 * self.pressure_iterations;
            self.set_pressure_iterations(doubled);
            return true;
        }
        let wanted = (1.1 * self.tol.ln() / per_iteration).ceil() as usize;
        let before = self.pressure_iterations;
        if wanted > before {
            self.escalation = Some((before, reached));
        }
        self.set_pressure_iterations(wanted);
        self.pressure_iterations != before
    }

    /// Finds the iteration count that reaches the tolerance by trying steps from the current
    /// state (restored after each try); returns the count. Blocking (tests, the CLI, and
    /// before a run starts).
    pub fn calibrate_blocking(&mut self, ctx: &GpuContext) -> Result<usize, String> {
        let read = |b: &wgpu::Buffer| ctx.read_blocking(b, 0, b.size()).map_err(|e| e.to_string());
        let (work, cells, stats) = (
            read(&self.work)?,
            read(&self.cells_buffer)?,
            read(&self.stats)?,
        );
        for _ in 0..8 {
            self.run_blocking(ctx, 1)?;
            let reached = self
                .history_blocking(ctx)?
                .last()
                .map_or(f64::NAN, |r| r.pressure_residual);
            ctx.queue.write_buffer(&self.work, 0, &work);
            ctx.queue.write_buffer(&self.cells_buffer, 0, &cells);
            ctx.queue.write_buffer(&self.stats, 0, &stats);
            self.steps_encoded -= 1;
            if !self.adapt_pressure_iterations(reached) || self.at_floor {
                break;
            }
        }
        Ok(self.pressure_iterations)
    }
}

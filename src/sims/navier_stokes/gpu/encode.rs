//! Encoding the Navier–Stokes MAC steps: the dispatch sequence of one time step (momentum
//! stages, advection, projection with Jacobi, SOR, multigrid V-cycles or the FFT, the CFL
//! step size and the history row), recorded once and replayed, and the field views.

#[allow(clippy::wildcard_imports)]
use super::*;

/// One V(2,2)-cycle from level `l` (poisson.rs `v_cycle`).
pub(super) fn v_cycle(
    push: &mut dyn FnMut(Kernel, OpUniform, usize),
    levels: &[Level],
    l: usize,
    level_op: &dyn Fn(&Level) -> OpUniform,
) {
    let level = levels[l];
    let base = level_op(&level);
    let n = level.nx * level.ny;
    let half = level.nx.div_ceil(2) * level.ny;
    let smooth = |push: &mut dyn FnMut(Kernel, OpUniform, usize), sweeps: usize, omega: f32| {
        for _ in 0..sweeps {
            for colour in 0..2 {
                push(
                    Kernel::Smooth,
                    OpUniform {
                        colour,
                        omega,
                        ..base
                    },
                    half,
                );
            }
        }
    };
    if l + 1 == levels.len() {
        // The coarsest level (a few cells, but elongated grids leave e.g. 12 × 3): SOR with
        // the optimal ω of its longest side converges in O(n) sweeps.
        let n = level.nx.max(level.ny) as f64;
        let omega = 2.0 / (1.0 + (std::f64::consts::PI / (2.0 * n)).sin());
        let sweeps = (4.0 * n).clamp(COARSEST_SWEEPS as f64, 200.0) as usize;
        smooth(push, sweeps, omega as f32);
        return;
    }
    let coarse = levels[l + 1];
    let with_coarse = OpUniform {
        cnx: coarse.nx as u32,
        cny: coarse.ny as u32,
        cp_off: coarse.p as u32,
        cf_off: coarse.f as u32,
        csolid_off: coarse.solid as u32,
        ..base
    };
    smooth(push, 2, 1.0);
    push(Kernel::Residual, base, n);
    push(Kernel::Restrict, with_coarse, coarse.nx * coarse.ny);
    v_cycle(push, levels, l + 1, level_op);
    push(Kernel::Prolong, with_coarse, n);
    smooth(push, 2, 1.0);
}

/// The dispatches advecting one lattice with `scheme` (fields: [φ, forward, backward,
/// corrected, result]); returns where the result landed: fields[4] (semi-Lagrangian, BFECC)
/// or fields[2] (MacCormack corrects the backward field in place).
pub(super) fn advect_sequence(
    push: &mut dyn FnMut(Kernel, OpUniform, usize),
    scheme: TimeScheme,
    lattice: u32,
    fields: [u32; 5],
    velocity: u32,
    solid_off: u32,
    count: usize,
) -> u32 {
    let [phi, fwd, back, corr, result] = fields;
    let pass = |from: u32, out: u32, direction: f32, clamp: bool| OpUniform {
        from_off: from,
        out_off: out,
        aux_off: velocity,
        wa: direction,
        dt_scale: 1.0,
        lattice,
        solid_off,
        flag: u32::from(clamp),
        ..OpUniform::default()
    };
    match scheme {
        TimeScheme::MacCormack => {
            push(Kernel::Advect, pass(phi, fwd, 1.0, false), count);
            push(Kernel::Advect, pass(fwd, back, -1.0, false), count);
            push(
                Kernel::MacCormack,
                OpUniform {
                    base_off: fwd,
                    ..pass(phi, back, 1.0, false)
                },
                count,
            );
            back
        }
        TimeScheme::Bfecc => {
            push(Kernel::Advect, pass(phi, fwd, 1.0, false), count);
            push(Kernel::Advect, pass(fwd, back, -1.0, false), count);
            push(
                Kernel::BfeccCorrect,
                OpUniform {
                    base_off: back,
                    ..pass(phi, corr, 1.0, false)
                },
                count,
            );
            push(Kernel::Advect, pass(corr, result, 1.0, true), count);
            result
        }
        _ => {
            push(Kernel::Advect, pass(phi, result, 1.0, false), count);
            result
        }
    }
}

/// Everything the recording of a step needs.
#[derive(Clone, Debug)]
pub(super) struct Recipe {
    pub(super) scheme: TimeScheme,
    pub(super) pressure: PressureKind,
    pub(super) omega: f64,
    pub(super) singular: bool,
    pub(super) levels: Vec<Level>,
    pub(super) faces: usize,
    pub(super) cells: usize,
    pub(super) nfaces_u: usize,
    pub(super) dye_offset: usize,
}

/// Records one time step with `iterations` pressure iterations per projection: the dispatch
/// list and the distinct op slots (the same slots for every iteration count).
pub(super) fn record_step(r: &Recipe, iterations: usize) -> (Vec<Dispatch>, Vec<OpUniform>) {
    let (faces, cells, nfaces_u, dye_offset, scheme) =
        (r.faces, r.cells, r.nfaces_u, r.dye_offset, r.scheme);
    let levels = &r.levels;
    // The recorded step.
    let mut slots: Vec<OpUniform> = Vec::new();
    let mut slot_of: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut step: Vec<Dispatch> = Vec::new();
    let mut push = |kernel: Kernel, op: OpUniform, count: usize| {
        let key = bytemuck::bytes_of(&op).to_vec();
        let slot = *slot_of.entry(key).or_insert_with(|| {
            slots.push(op);
            (slots.len() - 1) as u32
        });
        let g = match kernel {
            Kernel::ReduceCells | Kernel::CflDt | Kernel::FinishStep => (1, 1),
            _ => groups(count),
        };
        step.push(Dispatch {
            kernel,
            slot,
            groups: g,
        });
    };
    let field = |k: usize| (k * faces) as u32;
    let level_op = |l: &Level| OpUniform {
        lnx: l.nx as u32,
        lny: l.ny as u32,
        p_off: l.p as u32,
        f_off: l.f as u32,
        r_off: l.r as u32,
        solid_off: l.solid as u32,
        lh: l.h as f32,
        ..OpUniform::default()
    };
    let fine = levels[0];
    let omega = r.omega as f32;
    // The projection of the field at `off` with Δt·scale.
    let project = |push: &mut dyn FnMut(Kernel, OpUniform, usize), off: u32, scale: f32| {
        let base = level_op(&fine);
        push(
            Kernel::Divergence,
            OpUniform {
                from_off: off,
                dt_scale: scale,
                ..base
            },
            cells,
        );
        if r.singular {
            push(Kernel::ReduceCells, OpUniform { flag: 0, ..base }, cells);
            push(Kernel::SubtractMean, base, cells);
        }
        if r.pressure == PressureKind::Fft {
            // A direct solve: f → FFT → ÷ eigenvalues → inverse FFT → p.
            for kernel in [
                Kernel::FftPack,
                Kernel::FftForward,
                Kernel::FftDivide,
                Kernel::FftInverse,
                Kernel::FftUnpack,
            ] {
                push(kernel, base, cells);
            }
        }
        for _ in 0..iterations {
            match r.pressure {
                PressureKind::Fft => {}
                PressureKind::Jacobi => {
                    push(Kernel::Jacobi, base, cells);
                    push(Kernel::CopyCells, base, cells);
                }
                PressureKind::Sor => {
                    for colour in 0..2 {
                        push(
                            Kernel::Smooth,
                            OpUniform {
                                colour,
                                omega,
                                ..base
                            },
                            fine.nx.div_ceil(2) * fine.ny,
                        );
                    }
                }
                _ => v_cycle(push, levels, 0, &level_op),
            }
        }
        push(
            Kernel::Project,
            OpUniform {
                out_off: off,
                dt_scale: scale,
                ..base
            },
            faces,
        );
        push(Kernel::Residual, base, cells);
        push(Kernel::ReduceCells, OpUniform { flag: 1, ..base }, cells);
    };
    let momentum = |push: &mut dyn FnMut(Kernel, OpUniform, usize),
                    out: u32,
                    from: u32,
                    base: u32,
                    wa: f32,
                    wb: f32,
                    advect: bool| {
        push(
            Kernel::Momentum,
            OpUniform {
                out_off: out,
                from_off: from,
                base_off: base,
                wa,
                wb,
                dt_scale: 1.0,
                flag: u32::from(advect),
                ..OpUniform::default()
            },
            faces,
        );
    };
    let copy = |push: &mut dyn FnMut(Kernel, OpUniform, usize), from: u32, to: u32, n: usize| {
        push(
            Kernel::CopyWork,
            OpUniform {
                from_off: from,
                out_off: to,
                count: n as u32,
                ..OpUniform::default()
            },
            n,
        );
    };
    push(
        Kernel::CflDt,
        OpUniform {
            from_off: 0,
            ..OpUniform::default()
        },
        1,
    );
    match scheme {
        TimeScheme::SspRk2 => {
            // u1 = P(u + Δt L u); u = P(½u + ½(u1 + Δt L u1)).
            momentum(&mut push, field(1), field(0), field(0), 0.0, 1.0, true);
            project(&mut push, field(1), 1.0);
            momentum(&mut push, field(2), field(1), field(0), 0.5, 0.5, true);
            project(&mut push, field(2), 0.5);
            copy(&mut push, field(2), 0, faces);
        }
        TimeScheme::SspRk3 => {
            // Shu & Osher (1988), eq. 2.18, every stage projected.
            momentum(&mut push, field(1), field(0), field(0), 0.0, 1.0, true);
            project(&mut push, field(1), 1.0);
            momentum(&mut push, field(2), field(1), field(0), 0.75, 0.25, true);
            project(&mut push, field(2), 0.25);
            momentum(
                &mut push,
                field(1),
                field(2),
                field(0),
                1.0 / 3.0,
                2.0 / 3.0,
                true,
            );
            project(&mut push, field(1), 2.0 / 3.0);
            copy(&mut push, field(1), 0, faces);
        }
        _ => {
            let mut landed = field(1);
            for lattice in [0u32, 1] {
                landed = advect_sequence(
                    &mut push,
                    scheme,
                    lattice,
                    [field(0), field(3), field(4), field(5), field(1)],
                    field(0),
                    fine.solid as u32,
                    if lattice == 0 {
                        nfaces_u
                    } else {
                        faces - nfaces_u
                    },
                );
            }
            // Diffusion and force on the advected field, then one projection.
            momentum(&mut push, field(2), landed, landed, 0.0, 1.0, false);
            project(&mut push, field(2), 1.0);
            copy(&mut push, field(2), 0, faces);
        }
    }
    // The dye, carried by the new velocity (as the CPU run does).
    let dye_scheme = if scheme == TimeScheme::SemiLagrangian {
        TimeScheme::SemiLagrangian
    } else {
        TimeScheme::MacCormack
    };
    let d = |k: usize| (dye_offset + k * cells) as u32;
    let landed = advect_sequence(
        &mut push,
        dye_scheme,
        2,
        [d(0), d(1), d(2), d(3), d(1)],
        field(0),
        fine.solid as u32,
        cells,
    );
    copy(&mut push, landed, d(0), cells);
    push(
        Kernel::FinishStep,
        OpUniform {
            from_off: 0,
            solid_off: fine.solid as u32,
            ..OpUniform::default()
        },
        1,
    );

    (step, slots)
}

impl GpuNs {
    /// Records `steps` time steps into `encoder`.
    pub fn encode(&mut self, encoder: &mut wgpu::CommandEncoder, steps: usize) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("navier stokes steps"),
            timestamp_writes: None,
        });
        for _ in 0..steps {
            for d in &self.step {
                if let (Some((forward, inverse)), Kernel::FftForward | Kernel::FftInverse) =
                    (&self.fft, d.kernel)
                {
                    let transform = if d.kernel == Kernel::FftForward {
                        forward
                    } else {
                        inverse
                    };
                    transform.record(&mut pass);
                    continue;
                }
                pass.set_pipeline(&self.pipelines[&d.kernel]);
                pass.set_bind_group(0, &self.bind_group, &[d.slot * SLOT as u32]);
                pass.dispatch_workgroups(d.groups.0, d.groups.1, 1);
            }
        }
        self.steps_encoded += steps as u64;
    }

    /// Paints the picture of `kind` from the current GPU state into [`Self::view_texture`]:
    /// the field's values, then the shared painter's range and colours.
    pub fn encode_view(&self, encoder: &mut wgpu::CommandEncoder, kind: FieldKind) {
        let flag = FIELD_KINDS.iter().position(|k| *k == kind).unwrap_or(0) as u32;
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("navier stokes view"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipelines[&Kernel::ViewField]);
        pass.set_bind_group(
            0,
            &self.bind_group,
            &[(self.view_slot + flag) * SLOT as u32],
        );
        let (x, y) = groups(self.cells);
        pass.dispatch_workgroups(x, y, 1);
        self.painter.record(&mut pass, kind.is_signed());
    }

    /// Projections per time step (for the iteration count of a step).
    pub fn projections_per_step(&self) -> usize {
        match self.recipe.scheme {
            TimeScheme::SspRk2 => 2,
            TimeScheme::SspRk3 => 3,
            _ => 1,
        }
    }

    /// Dispatches per time step.
    pub fn dispatches_per_step(&self) -> usize {
        self.step.len()
    }
}

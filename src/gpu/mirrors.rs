//! Every Rust mirror of a WGSL struct (the `Pod` types whose bytes the GPU reads), checked
//! member by member against naga's layout of the module that declares it: one table, with
//! offsets from `offset_of!`, so a field moved on one side only fails here rather than on a
//! user's device. A mirror lists the WGSL members by name; Rust fields that WGSL does not
//! name are padding, which the size check covers. A `prefix` mirror holds the leading members
//! of a larger struct (the NLSE's control head is read back without its arrays).

use std::mem::{offset_of, size_of};

use super::shaders;

/// One mirrored struct.
struct Mirror {
    module: &'static str,
    wgsl: &'static str,
    rust: &'static str,
    size: usize,
    /// The Rust type holds only the members it lists, and its size is the next member's
    /// offset.
    prefix: bool,
    fields: Vec<(&'static str, usize)>,
}

macro_rules! mirror {
    ($module:literal, $wgsl:literal, $ty:ty $(, $prefix:ident)? { $($field:ident),* $(,)? }) => {
        Mirror {
            module: $module,
            wgsl: $wgsl,
            rust: stringify!($ty),
            size: size_of::<$ty>(),
            prefix: false $(|| stringify!($prefix) == "prefix")?,
            fields: vec![$((stringify!($field), offset_of!($ty, $field))),*],
        }
    };
}

fn table() -> Vec<Mirror> {
    use crate::gpu::{fft::FftParams, field_view::PaintParams, reduce::ReduceParams};
    use crate::sims::diffusion::gpu as diffusion;
    use crate::sims::navier_stokes::{gpu as ns, gpu_spectral as spectral};
    use crate::sims::nlse::{gpu as nlse, gpu_views};
    use crate::sims::threebody::{gpu_ensemble as ensemble, gpu_race as race};
    vec![
        mirror!(
            "fft_workgroup.wgsl",
            "Params",
            FftParams {
                n,
                log2n,
                batch,
                inverse,
                in_row_stride,
                in_elem_stride,
                out_row_stride,
                out_elem_stride,
                twist_len,
                in_batch_stride,
                out_batch_stride,
            }
        ),
        mirror!("reduce.wgsl", "Params", ReduceParams { len }),
        mirror!(
            "field_view.wgsl",
            "Params",
            PaintParams {
                width,
                height,
                value_offset,
                mask_offset,
                signed,
            }
        ),
        mirror!(
            "nlse_step.wgsl",
            "Setup",
            nlse::SetupUniform {
                len,
                stages,
                fsal,
                fixed,
                has_estimate,
                partial_count,
                log_capacity,
                serial,
                t_end_hi,
                t_end_lo,
                error_order,
                rtol,
                atol,
                safety,
                factor_min,
                factor_max,
                h_min,
                h_max,
                beta1,
                beta2,
                beta3,
                mass_limit,
                gamma_over_n,
                k_max,
                dt_hi,
                dt_lo,
                hold_max,
                a,
                b,
                e,
                c,
            }
        ),
        mirror!(
            "nlse_step.wgsl",
            "Dispatch",
            nlse::DispatchUniform {
                stage,
                finalize_previous,
                table,
                slot,
                max_lane,
                coef,
                scale,
            }
        ),
        mirror!(
            "nlse_step.wgsl",
            "Control",
            nlse::ControlHead,
            prefix {
                h,
                h_attempt,
                h_attempt_hi,
                h_attempt_lo,
                h_done,
                t_hi,
                t_lo,
                err,
                err1,
                err2,
                status,
                pending,
                last_rejected,
                accepted,
                rejected,
                attempts,
                checkpoint_serial,
                fsal_valid,
                serial,
                pad0,
            }
        ),
        mirror!(
            "nlse_view.wgsl",
            "ViewParams",
            gpu_views::ViewParams {
                len,
                columns,
                capacity,
                row,
                filled,
                shift,
                log_scale,
            }
        ),
        mirror!(
            "navier_stokes.wgsl",
            "Grid",
            ns::GridUniform {
                nx,
                ny,
                ucols,
                vrows,
                periodic_x,
                periodic_y,
                nfaces_u,
                history_capacity,
                h,
                nu,
                cfl,
                beta,
                side_kind,
                side_value,
                pressure_ghost,
                force,
                force_k,
                boundary_speed,
                max_force,
            }
        ),
        mirror!(
            "navier_stokes.wgsl",
            "Op",
            ns::OpUniform {
                out_off,
                from_off,
                base_off,
                aux_off,
                wa,
                wb,
                dt_scale,
                omega,
                lnx,
                lny,
                p_off,
                f_off,
                r_off,
                solid_off,
                colour,
                flag,
                lh,
                cnx,
                cny,
                cp_off,
                cf_off,
                csolid_off,
                count,
                lattice,
            }
        ),
        mirror!(
            "navier_stokes_spectral.wgsl",
            "Params",
            spectral::SpectralUniform {
                n,
                integrating_factor,
                forcing_wavenumber,
                history_capacity,
                nu,
                drag,
                forcing_hat,
                cfl,
                h,
                force_speed,
                stiff_limit,
                inv_nn,
                dye_off,
                view_off,
            }
        ),
        mirror!(
            "navier_stokes_spectral.wgsl",
            "Op",
            spectral::StageOp {
                stage,
                field,
                from_off,
                to_off,
                c,
                direction,
                a,
            }
        ),
        mirror!(
            "diffusion_sampler.wgsl",
            "Op",
            diffusion::OpUniform {
                count,
                dim,
                components,
                input,
                output,
                terms,
                seed,
                stream,
                alpha,
                sigma2,
                noise,
                coefficients,
                offsets,
            }
        ),
        mirror!(
            "nbody_ensemble.wgsl",
            "Params",
            ensemble::EnsembleUniform {
                n_bodies,
                resolution,
                steps_per_dispatch,
                max_steps,
                body,
                plane,
                t_end,
                eta,
                escape_radius,
                softening2,
                span,
                delta0,
                renormalise_at,
            }
        ),
        mirror!(
            "nbody_ensemble.wgsl",
            "Info",
            ensemble::MemberInfo {
                t,
                escape_time,
                log_growth,
                energy0,
                steps,
                done,
                energy_error,
                lyapunov,
            }
        ),
        mirror!(
            "nbody_race.wgsl",
            "Params",
            race::RaceUniform {
                n_bodies,
                runs,
                steps_per_dispatch,
                softening2,
                yoshida_w1,
                yoshida_w0,
            }
        ),
        mirror!(
            "nbody_race.wgsl",
            "Run",
            race::RunSpec {
                method,
                full_steps,
                h,
                h_last
            }
        ),
        mirror!(
            "nbody_race.wgsl",
            "Progress",
            race::RunProgress {
                steps,
                nfe,
                done,
                non_finite,
                energy0,
                max_energy_error,
                energy_error,
            }
        ),
    ]
}

/// The size of WGSL struct `name` in `source` and its members' (name, offset), as naga lays
/// them out (a runtime-sized last member counts as its element's span).
fn wgsl_layout(source: &str, name: &str) -> Result<(usize, Vec<(String, usize)>), String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string(source))?;
    let mut layouter = naga::proc::Layouter::default();
    layouter
        .update(module.to_ctx())
        .map_err(|e| e.to_string())?;
    let (handle, ty) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(name))
        .ok_or_else(|| format!("no struct {name}"))?;
    let naga::TypeInner::Struct { members, span } = &ty.inner else {
        return Err(format!("{name} is not a struct"));
    };
    let runtime_sized = members.last().is_some_and(|m| {
        matches!(
            module.types[m.ty].inner,
            naga::TypeInner::Array {
                size: naga::ArraySize::Dynamic,
                ..
            }
        )
    });
    let size = if runtime_sized {
        *span
    } else {
        layouter[handle].size
    };
    let members = members
        .iter()
        .map(|m| (m.name.clone().unwrap_or_default(), m.offset as usize))
        .collect();
    Ok((size as usize, members))
}

/// What is wrong with `mirror`, if anything.
fn mismatches(mirror: &Mirror) -> Vec<String> {
    let label = format!("{} {} ↔ {}", mirror.module, mirror.wgsl, mirror.rust);
    let source = match shaders::module(mirror.module) {
        Ok(source) => source,
        Err(e) => return vec![format!("{label}: {e}")],
    };
    let (size, members) = match wgsl_layout(&source, mirror.wgsl) {
        Ok(layout) => layout,
        Err(e) => return vec![format!("{label}: {e}")],
    };
    let mut wrong = Vec::new();
    let mut covered = 0;
    for (name, offset) in &members {
        match mirror.fields.iter().find(|(f, _)| f == name) {
            Some((_, rust)) if rust == offset => covered += 1,
            Some((_, rust)) => {
                wrong.push(format!(
                    "{label}: {name} at {offset} in WGSL, {rust} in Rust"
                ));
                covered += 1;
            }
            None if mirror.prefix && covered == mirror.fields.len() => {
                if mirror.size != *offset {
                    wrong.push(format!(
                        "{label}: the prefix is {} bytes, the next member {name} is at {offset}",
                        mirror.size
                    ));
                }
                break;
            }
            None if name.starts_with("pad") => {}
            None => wrong.push(format!("{label}: WGSL member {name} has no Rust field")),
        }
    }
    for (field, _) in &mirror.fields {
        if !members.iter().any(|(name, _)| name == field) {
            wrong.push(format!("{label}: Rust field {field} is not a WGSL member"));
        }
    }
    if !mirror.prefix && size != mirror.size {
        wrong.push(format!(
            "{label}: {size} bytes in WGSL, {} in Rust",
            mirror.size
        ));
    }
    wrong
}

#[test]
fn every_pod_mirror_has_its_wgsl_layout() {
    let table = table();
    let wrong: Vec<String> = table.iter().flat_map(mismatches).collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(table.len(), 17, "every mirror is in the table");
}

#[test]
fn a_moved_field_is_caught() {
    let mut mirror = mirror!(
        "reduce.wgsl",
        "Params",
        crate::gpu::reduce::ReduceParams { len }
    );
    mirror.fields[0].1 = 4;
    assert!(!mismatches(&mirror).is_empty());
    mirror.fields[0].1 = 0;
    mirror.size += 4;
    assert!(!mismatches(&mirror).is_empty());
}

//! Navier–Stokes behind the app's [`SimPanel`] contract.

use super::NsApp;
use crate::app::panel::{
    Clock, FrameReport, Notice, Shell, SimPanel, StatRow, applied, checkpoint_params, fields,
};
use crate::checkpoint::Checkpoint;
use crate::core::shadow::ShadowPoint;
use crate::scenario::Scenario;
use crate::sims::navier_stokes::NsParams;
use crate::sims::navier_stokes::run::{FieldKind, NsRun};
use crate::sims::run::{Run, RunHistory};

impl NsApp {
    /// The GPU run's picture as an egui texture, registered with eframe's renderer once per
    /// GPU run (None on the CPU or without a renderer).
    fn gpu_picture(&mut self, shell: Shell) -> Option<egui::TextureId> {
        let render_state = shell.render_state?;
        let Some(live) = self.gpu.as_ref() else {
            // Back on the CPU: release the last GPU run's picture.
            if let Some((_, old)) = self.registered_texture.take() {
                render_state.renderer.write().free_texture(&old);
            }
            return None;
        };
        let id = live.ns.painter().id;
        if self.registered_texture.is_none_or(|(seen, _)| seen != id) {
            let mut renderer = render_state.renderer.write();
            if let Some((_, old)) = self.registered_texture.take() {
                renderer.free_texture(&old);
            }
            let texture = renderer.register_native_texture(
                &render_state.device,
                live.ns.painter().texture(),
                eframe::wgpu::FilterMode::Linear,
            );
            self.registered_texture = Some((id, texture));
        }
        self.registered_texture.map(|(_, texture)| texture)
    }

    fn failure_result(&self) -> Result<(), String> {
        self.run.failure().map_or(Ok(()), |e| Err(e.to_owned()))
    }
}

impl SimPanel for NsApp {
    fn key(&self) -> &'static str {
        "ns"
    }

    fn scenario(&self) -> Scenario {
        self.run.params().clone().into()
    }

    fn time(&self) -> f64 {
        self.run.time()
    }

    fn has_gpu_path(&self) -> bool {
        true
    }

    fn load(&mut self, scenario: Scenario, _shell: Shell) -> Result<(), String> {
        *self = NsApp::new(NsParams::try_from(scenario)?)?;
        Ok(())
    }

    fn edit(&mut self, scenario: Scenario, shell: Shell) -> Result<Option<String>, String> {
        self.draft = NsParams::try_from(scenario)?;
        applied(self.apply_draft(shell.gpu))
    }

    fn controls(&mut self, shell: Shell, ui: &mut egui::Ui) -> Option<Notice> {
        super::controls(self, ui);
        self.apply_draft(shell.gpu)
            .err()
            .map(|e| Notice::Error(format!("Not applied: {e}")))
    }

    fn stats(&self) -> Vec<StatRow> {
        super::stats_rows(self)
    }

    /// The flow steps as fast as the frame budget allows.
    fn paced_by_speed(&self) -> bool {
        false
    }

    fn central(&mut self, shell: Shell, ui: &mut egui::Ui) -> Option<Notice> {
        self.gpu_texture = self.gpu_picture(shell);
        super::central(self, ui);
        None
    }

    fn advance_frame(&mut self, shell: Shell, clock: Clock) -> FrameReport {
        let mut report =
            match NsApp::advance_frame(self, shell.gpu, clock.running, clock.wall_dt, clock.budget)
            {
                Some(e) => FrameReport::failed(e),
                None => FrameReport::default(),
            };
        if let Some(e) = self.shadow.take_stopped() {
            report.notice = Some(Notice::Error(e));
        }
        report
    }

    fn step(&mut self, n: u32, _shell: Shell) -> Result<(), String> {
        NsApp::step(self, n as usize);
        self.failure_result()
    }

    fn run_until(&mut self, t: f64, _shell: Shell) -> Result<(), String> {
        NsApp::run_until(self, t);
        self.failure_result()
    }

    fn reset(&mut self, shell: Shell) -> Result<(), String> {
        self.restart(shell.gpu)
    }

    fn set_view(&mut self, name: &str) -> Result<(), String> {
        self.view = match name {
            "vorticity" => FieldKind::Vorticity,
            "speed" => FieldKind::Speed,
            "pressure" => FieldKind::Pressure,
            "dye" => FieldKind::Dye,
            _ => {
                return Err(format!(
                    "unknown view '{name}' (known: vorticity, speed, pressure, dye)"
                ));
            }
        };
        Ok(())
    }

    fn computes_on_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    fn set_compute(&mut self, on_gpu: bool, shell: Shell) -> Result<Option<String>, String> {
        NsApp::set_compute(self, shell.gpu, on_gpu)
            .map_err(|e| format!("Still on the CPU: {e}."))?;
        Ok(Some(
            if on_gpu {
                "Computing on the GPU in f32 from the current flow."
            } else {
                "Computing on the CPU in f64 from the GPU's last state."
            }
            .to_owned(),
        ))
    }

    fn set_shadow(&mut self, on: bool) -> Result<(), String> {
        NsApp::set_shadow(self, on)
    }

    fn shadow_on(&self) -> bool {
        self.shadow.on()
    }

    fn shadow_points(&self) -> &[ShadowPoint] {
        self.shadow.points()
    }

    fn precision_limit(&self) -> Option<String> {
        self.computes_on_gpu()
            .then(|| crate::core::shadow::precision_limit(self.shadow_points().last()))
            .flatten()
    }

    fn continue_on_shadow(&mut self) -> Result<(), String> {
        NsApp::continue_on_shadow(self)
    }

    fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        let run = &self.run;
        let p = run.params();
        let last = run.history().last().copied();
        let finite = |v: f64| v.is_finite().then_some(v);
        let (nx, ny) = run.cells();
        let value = serde_json::json!({
            "case": p.case.key(),
            "solver": p.solver.key(),
            "pressure_solver": p.pressure.key(),
            "reynolds": p.reynolds,
            "cells": [nx, ny],
            "steps": run.steps(),
            "dt": last.map(|s| s.dt),
            "cfl": last.map(|s| s.cfl),
            "energy": last.map(|s| s.energy),
            "enstrophy": last.map(|s| s.enstrophy),
            "max_divergence": last.and_then(|s| finite(s.max_divergence)),
            "pressure_iterations": last.map(|s| s.pressure_iterations),
            "pressure_residual": last.and_then(|s| finite(s.pressure_residual)),
            "error": last.and_then(|s| finite(s.error)),
            "strouhal": run.strouhal(),
            "obstacle_cells": p.mask.as_ref().map_or(0, |m| m.solid.iter().filter(|c| **c).count()),
            "failure": run.failure(),
            "precision_limit": self.precision_limit(),
            "shadow": self.shadow.on().then(|| serde_json::json!({
                "points": self.shadow.points().len(),
                "last": self.shadow.points().last(),
                "t": self.shadow_time(),
            })),
            "gpu_pressure_iterations": self.gpu.as_ref().and_then(|g| g.ns.pressure_iterations()),
            "gpu_pacing": self.gpu.as_ref().map(|g| g.pacing_json()),
            "picture": if self.drew_gpu_texture { "gpu-texture" } else { "cpu" },
            "busy": self.gpu_busy(),
        });
        fields(value)
    }

    fn busy(&self) -> bool {
        self.gpu_busy()
    }

    fn history(&self) -> RunHistory {
        Run::history(&self.run)
    }

    /// A GPU run is saved as last read back: the mirror holds the GPU's fields exactly.
    fn checkpoint(&self) -> Result<Checkpoint, String> {
        self.scenario().checkpoint(&self.run)
    }

    fn restore(&mut self, checkpoint: &Checkpoint) -> Result<(), String> {
        self.run = NsRun::from_checkpoint(checkpoint_params(checkpoint)?, &checkpoint.state)?;
        self.draft = self.run.params().clone();
        self.gpu = None;
        Ok(())
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

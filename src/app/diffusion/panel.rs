//! Diffusion sampling behind the app's [`SimPanel`] contract.

use super::DiffusionApp;
use crate::app::panel::{Clock, FrameReport, Notice, Shell, SimPanel, StatRow, applied, fields};
use crate::checkpoint::Checkpoint;
use crate::core::shadow::ShadowPoint;
use crate::scenario::Scenario;
use crate::sims::diffusion::DiffusionParams;
use crate::sims::run::{Run, RunHistory};

impl SimPanel for DiffusionApp {
    fn key(&self) -> &'static str {
        "diffusion"
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
        *self = DiffusionApp::new(DiffusionParams::try_from(scenario)?)?;
        Ok(())
    }

    fn edit(&mut self, scenario: Scenario, shell: Shell) -> Result<Option<String>, String> {
        self.draft = DiffusionParams::try_from(scenario)?;
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

    /// Sampling has its own playback rate (NFE per second) in its panel.
    fn paced_by_speed(&self) -> bool {
        false
    }

    fn central(&mut self, _shell: Shell, ui: &mut egui::Ui) -> Option<Notice> {
        super::central(self, ui);
        None
    }

    fn advance_frame(&mut self, shell: Shell, clock: Clock) -> FrameReport {
        let running = clock.running && clock.wall_dt > 0.0;
        let mut report = FrameReport::default();
        if let Err(e) =
            DiffusionApp::advance_frame(self, shell.gpu, running, clock.wall_dt, clock.budget)
        {
            // The device failed: the same run restarts on the CPU.
            let _ = self.set_compute(None, false);
            report.notice = Some(Notice::Error(format!(
                "The GPU stopped working ({e}); sampling restarted on the CPU."
            )));
        }
        if let Some(e) = self.shadow.take_stopped() {
            report.notice = Some(Notice::Error(e));
        }
        report.pause = self.run.is_finished();
        report
    }

    fn step(&mut self, n: u32, _shell: Shell) -> Result<(), String> {
        for _ in 0..n {
            // A zero budget still takes one step.
            if self.run.advance(0.0) {
                break;
            }
        }
        Ok(())
    }

    /// Sampling runs backwards from t_max to t_min: running "until" finishes it.
    fn run_until(&mut self, _t: f64, shell: Shell) -> Result<(), String> {
        self.finish(shell.gpu)
    }

    fn reset(&mut self, shell: Shell) -> Result<(), String> {
        self.restart(shell.gpu)
    }

    fn set_view(&mut self, name: &str) -> Result<(), String> {
        Err(format!(
            "unknown view '{name}': diffusion sampling has one view (particles, density and score)"
        ))
    }

    fn computes_on_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    fn set_compute(&mut self, on_gpu: bool, shell: Shell) -> Result<Option<String>, String> {
        DiffusionApp::set_compute(self, shell.gpu, on_gpu)?;
        Ok(Some(
            if on_gpu {
                "Sampling on the GPU in f32 from the same initial particles and noise."
            } else {
                "Sampling on the CPU in f64 from the same initial particles."
            }
            .to_owned(),
        ))
    }

    fn set_shadow(&mut self, on: bool) -> Result<(), String> {
        DiffusionApp::set_shadow(self, on)
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
        DiffusionApp::continue_on_shadow(self)
    }

    fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        let run = &self.run;
        let p = run.params();
        let last = run.history().last();
        let finite = |v: f64| v.is_finite().then_some(v);
        let report = match run.report() {
            Some(Ok(r)) => serde_json::json!({
                "sliced_w2": r.sliced_w2,
                "sliced_w2_noise": r.sliced_w2_noise,
                "log_likelihood": r.log_likelihood,
                "exact_log_likelihood": r.exact_log_likelihood,
                "mode_masses": r.mode_masses,
                "mode_weights": r.mode_weights,
                "mode_tv": r.mode_tv,
                "ode_error_rms": r.ode_error.map(|e| e.0),
                "ode_error_max": r.ode_error.map(|e| e.1),
            }),
            Some(Err(e)) => serde_json::json!({ "error": e }),
            None => serde_json::Value::Null,
        };
        let value = serde_json::json!({
            "target": p.target.key(),
            "sampler": p.sampler.key(),
            "process": p.process.key(),
            "grid": p.grid.key(),
            "particles": p.particles,
            "progress": run.progress(),
            "nfe": run.nfe(),
            "steps": run.history().len(),
            "accepted": run.history().iter().filter(|s| s.accepted).count(),
            "rejected": run.history().iter().filter(|s| !s.accepted).count(),
            "h_t": last.map(|s| s.h_t),
            "h_lambda": last.map(|s| s.h_lambda),
            "last_error": last.and_then(|s| finite(s.error)),
            "finished": run.is_finished(),
            "report": report,
            "precision_limit": self.precision_limit(),
            "shadow": self.shadow.on().then(|| serde_json::json!({
                "points": self.shadow.points().len(),
                "last": self.shadow.points().last(),
                "t": self.shadow_time(),
            })),
        });
        fields(value)
    }

    fn busy(&self) -> bool {
        self.gpu_busy()
    }

    fn history(&self) -> RunHistory {
        Run::history(&self.run)
    }

    fn checkpoint(&self) -> Result<Checkpoint, String> {
        self.scenario().checkpoint(&self.run)
    }

    fn restore(&mut self, _checkpoint: &Checkpoint) -> Result<(), String> {
        Err("diffusion sampling has no checkpoints: load its link".into())
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

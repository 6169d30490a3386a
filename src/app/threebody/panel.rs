//! The three-body simulation behind the app's [`SimPanel`] contract.

use super::ThreeBodyApp;
use crate::app::panel::{
    Clock, FrameReport, Notice, Shell, SimPanel, StatRow, applied, checkpoint_params, fields,
};
use crate::checkpoint::Checkpoint;
use crate::scenario::Scenario;
use crate::sims::run::{Run, RunHistory};
use crate::sims::threebody::ThreeBodyParams;
use crate::sims::threebody::cpu::ThreeBodyCpu;

/// `Err` with the outcome's message when a step failed.
fn outcome_result(outcome: &crate::core::stats::Outcome) -> Result<(), String> {
    outcome.message().map_or(Ok(()), Err)
}

impl SimPanel for ThreeBodyApp {
    fn key(&self) -> &'static str {
        "3body"
    }

    fn scenario(&self) -> Scenario {
        self.run.params().clone().into()
    }

    fn time(&self) -> f64 {
        self.run.stats().t
    }

    fn load(&mut self, scenario: Scenario, _shell: Shell) -> Result<(), String> {
        *self = ThreeBodyApp::new(ThreeBodyParams::try_from(scenario)?)?;
        Ok(())
    }

    fn edit(&mut self, scenario: Scenario, _shell: Shell) -> Result<Option<String>, String> {
        self.draft = ThreeBodyParams::try_from(scenario)?;
        applied(self.apply_draft())
    }

    fn controls(&mut self, _shell: Shell, ui: &mut egui::Ui) -> Option<Notice> {
        super::controls(self, ui);
        self.apply_draft()
            .err()
            .map(|e| Notice::Error(format!("Not applied: {e}")))
    }

    fn stats(&self) -> Vec<StatRow> {
        super::stats_rows(self)
    }

    fn central(&mut self, shell: Shell, ui: &mut egui::Ui) -> Option<Notice> {
        super::central(self, shell.gpu, ui).map(|e| Notice::Error(format!("Chaos map: {e}")))
    }

    fn advance_frame(&mut self, shell: Shell, clock: Clock) -> FrameReport {
        let pending = self.start_pending_map(shell.gpu);
        let map = pending.and(self.map.advance(shell.gpu, clock.budget));
        let mut report =
            FrameReport::notice(map.err().map(|e| Notice::Error(format!("Chaos map: {e}"))));
        if clock.running && clock.wall_dt > 0.0 {
            let target = self.run.stats().t + clock.speed * clock.wall_dt;
            if let Err(e) = outcome_result(&self.advance_run(target, clock.budget)) {
                report = FrameReport::failed(e);
            }
        }
        report
    }

    fn step(&mut self, n: u32, _shell: Shell) -> Result<(), String> {
        for _ in 0..n {
            outcome_result(&self.run.single_step())?;
        }
        Ok(())
    }

    fn run_until(&mut self, t: f64, _shell: Shell) -> Result<(), String> {
        // Not clipped to t: the step sequence stays the one of the live run (see
        // sims::threebody::cpu), so the result is reproducible from the link.
        outcome_result(&self.run.advance(t, 50_000_000))
    }

    fn reset(&mut self, _shell: Shell) -> Result<(), String> {
        self.run = self.run.restarted()?;
        Ok(())
    }

    fn set_view(&mut self, name: &str) -> Result<(), String> {
        self.show_map = match name {
            "orbits" => false,
            "map" => true,
            _ => return Err(format!("unknown view '{name}' (known: orbits, map)")),
        };
        Ok(())
    }

    fn set_compute(&mut self, on_gpu: bool, _shell: Shell) -> Result<Option<String>, String> {
        if on_gpu {
            return Err(
                "The three-body view integrates one system on the CPU in f64; the GPU \
                        integrates its chaos maps and races."
                    .to_owned(),
            );
        }
        Ok(None)
    }

    fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        let stats = self.run.stats();
        let p = self.run.params();
        let (map_done, map_members) = self.map.progress();
        let escape_times: Vec<f64> = self
            .map
            .results()
            .iter()
            .flatten()
            .map(|r| r.escape_time)
            .collect();
        let map_escaped = escape_times
            .iter()
            .filter(|t| self.map.running_params().is_some_and(|mp| **t < mp.t_end))
            .count();
        let map_mean_escape = (!escape_times.is_empty())
            .then(|| escape_times.iter().sum::<f64>() / escape_times.len() as f64);
        let value = serde_json::json!({
            "case": p.case.key(),
            "solver": p.method.key(),
            "bodies": self.run.masses().len(),
            "h": stats.h_last,
            "last_error": stats.last_error.is_finite().then_some(stats.last_error),
            "accepted": stats.accepted,
            "rejected": stats.rejected,
            "nfe": stats.nfe,
            "outcome": self.run.outcome().message(),
            "diagnostics": self.run.diagnostics(),
            "escaping_body": self.run.escaping_body(),
            "map": {
                "finished": map_done,
                "members": map_members,
                "escaped": map_escaped,
                "mean_escape_time": map_mean_escape,
                "on_gpu": self.map.computed_on_gpu(),
                "dispatches": self.map.dispatches(),
                "seconds": self.map.elapsed_s,
            },
        });
        fields(value)
    }

    fn busy(&self) -> bool {
        self.map.busy()
    }

    fn history(&self) -> RunHistory {
        Run::history(&self.run)
    }

    fn checkpoint(&self) -> Result<Checkpoint, String> {
        self.scenario().checkpoint(&self.run)
    }

    fn restore(&mut self, checkpoint: &Checkpoint) -> Result<(), String> {
        let params = checkpoint_params(checkpoint)?;
        self.run = ThreeBodyCpu::from_checkpoint(params, &checkpoint.state)?;
        self.draft = self.run.params().clone();
        Ok(())
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

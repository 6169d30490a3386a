//! The NLSE in the app: its run on either path ([`compute`]), the parameters being edited
//! ([`controls`]), the views ([`views`]) and the f64 precision shadow of its GPU run.

mod compute;
mod controls;
mod views;

use compute::GpuTrouble;
pub use compute::{F32_NOTICE, NlseRun};

use web_time::Instant;

use super::panel::{
    Clock, FrameReport, Notice, Shell, SimPanel, StatRow, checkpoint_params, fields,
};
use crate::checkpoint::Checkpoint;
use crate::core::shadow::ShadowPoint;
use crate::core::stats::Outcome;
use crate::scenario::Scenario;
use crate::sims::nlse::NlseParams;
use crate::sims::nlse::cpu::NlseCpu;
use crate::sims::nlse::shadow::PrecisionShadow;
use crate::sims::run::RunHistory;

/// The NLSE's run and its UI state.
pub struct NlsePanel {
    sim: NlseRun,
    /// Parameters as edited in the panel (applied when they change).
    draft: NlseParams,
    /// How far the GPU path has been asked to go (its readbacks lag a frame or two behind).
    gpu_target: f64,
    /// An end time asked for through the JS API's run_until on the GPU path.
    run_target: Option<f64>,
    /// The registered GPU pictures: (views id, waterfall, spectrogram).
    gpu_textures: Option<(u64, egui::TextureId, egui::TextureId)>,
    waterfall_texture: Option<egui::TextureHandle>,
    waterfall_rows_drawn: (usize, f64),
    /// Which view the central panel shows.
    view: views::View,
    /// Smoothed accepted steps per wall second.
    steps_per_second: f64,
    /// Whether an f64 shadow should follow the GPU run.
    shadow_wanted: bool,
    /// The f64 shadow of the GPU run.
    shadow: Option<PrecisionShadow>,
}

impl NlsePanel {
    /// A CPU run of `params`.
    pub fn new(params: NlseParams) -> Result<Self, String> {
        let sim = NlseRun::cpu(params)?;
        Ok(Self {
            draft: sim.params().clone(),
            sim,
            gpu_target: 0.0,
            run_target: None,
            gpu_textures: None,
            waterfall_texture: None,
            waterfall_rows_drawn: (0, f64::NAN),
            view: views::View::State,
            steps_per_second: 0.0,
            shadow_wanted: false,
            shadow: None,
        })
    }

    /// Applies the edited parameters; invalid ones are reverted, with the reason.
    fn apply_draft(&mut self) -> Result<Option<String>, String> {
        if self.draft == *self.sim.params() {
            return Ok(None);
        }
        if self.sim.is_gpu() && !self.draft.method.runs_on_gpu() {
            let run = self.take_run();
            self.sim = run.into_cpu();
            let method = self.draft.method.label();
            let result = self.sim.set_params(self.draft.clone());
            self.draft = self.sim.params().clone();
            return match result {
                Ok(_) => Ok(Some(format!(
                    "{method} runs on the CPU only: switched to the CPU (f64), continuing from the GPU's last state."
                ))),
                Err(e) => Err(format!("Not applied: {e}")),
            };
        }
        match self.sim.set_params(self.draft.clone()) {
            Ok(_) => Ok(None),
            Err(e) => {
                self.draft = self.sim.params().clone();
                Err(format!("Not applied: {e}"))
            }
        }
    }

    /// Moves the run out (for a hand-over), leaving a small placeholder.
    fn take_run(&mut self) -> NlseRun {
        let placeholder = NlseRun::cpu(NlseParams {
            n: 256,
            ..NlseParams::default()
        })
        .expect("the placeholder scenario is valid");
        std::mem::replace(&mut self.sim, placeholder)
    }

    /// The GPU failed mid-run (device lost, readback failed) or stalled past its watchdog:
    /// the CPU takes over from the last state read back, and says so. A failed device is
    /// forgotten by the shell; a merely slow one stays offered (a new GPU run starts with
    /// small submissions).
    fn fall_back_to_cpu(&mut self, trouble: &GpuTrouble) -> FrameReport {
        let run = self.take_run();
        self.sim = run.into_cpu();
        let t = self.sim.stats().t;
        match trouble {
            GpuTrouble::Failed(why) => FrameReport {
                notice: Some(Notice::Error(format!(
                    "The GPU stopped working ({why}); the CPU continues from t = {t:.6}."
                ))),
                pause: false,
                gpu_lost: Some(why.clone()),
            },
            GpuTrouble::Stalled(why) => FrameReport::notice(Some(Notice::Error(format!(
                "The GPU was too slow ({why}); the CPU continues from t = {t:.6}. The GPU stays \
                 available: switch back to it and its submissions start small."
            )))),
        }
    }

    /// The egui textures of the GPU-drawn (waterfall, spectrogram), registered with eframe's
    /// renderer on first use (None on the CPU path or without a renderer).
    fn gpu_pictures(&mut self, shell: Shell) -> Option<(egui::TextureId, egui::TextureId)> {
        let views = self.sim.gpu_views()?;
        let render_state = shell.render_state?;
        if self.gpu_textures.is_none_or(|(id, ..)| id != views.id) {
            let mut renderer = render_state.renderer.write();
            if let Some((_, a, b)) = self.gpu_textures.take() {
                renderer.free_texture(&a);
                renderer.free_texture(&b);
            }
            let filter = eframe::wgpu::FilterMode::Linear;
            let waterfall =
                renderer.register_native_texture(&render_state.device, views.waterfall(), filter);
            let spectrogram =
                renderer.register_native_texture(&render_state.device, views.spectrogram(), filter);
            self.gpu_textures = Some((views.id, waterfall, spectrogram));
        }
        self.gpu_textures.map(|(_, a, b)| (a, b))
    }

    /// Keeps the shadow in lockstep with the GPU run: (re)started from the GPU's state when
    /// there is none or the parameters changed, else advanced to the GPU's last reported time
    /// within `budget` seconds. Returns why it stopped, if it did.
    fn follow_shadow(&mut self, budget: f64) -> Option<Notice> {
        let NlseRun::Gpu(r) = &self.sim else {
            self.shadow = None;
            self.shadow_wanted = false;
            return None;
        };
        if !self.shadow_wanted {
            return None;
        }
        let stopped = |e: String| Some(Notice::Error(format!("The f64 shadow stopped: {e}")));
        let (t, steps) = (r.sim.time(), r.sim.stats().accepted);
        let stale = self
            .shadow
            .as_ref()
            .is_none_or(|s| s.run().params() != r.sim.params() || s.run().stats().t > t);
        if stale {
            return match PrecisionShadow::new(r.sim.params().clone(), r.sim.spectrum(), t, steps) {
                Ok(shadow) => {
                    self.shadow = Some(shadow);
                    None
                }
                Err(e) => {
                    self.shadow_wanted = false;
                    stopped(e)
                }
            };
        }
        let shadow = self.shadow.as_mut()?;
        let start = Instant::now();
        let exact = r.sim.diagnostics().exact_error;
        loop {
            match shadow.follow(t, r.sim.spectrum(), steps, exact, 64) {
                Ok(false) if start.elapsed().as_secs_f64() < budget => {}
                Ok(_) => return None,
                Err(e) => {
                    self.shadow = None;
                    self.shadow_wanted = false;
                    return stopped(e);
                }
            }
        }
    }
}

/// `Err` with the outcome's message when a step failed.
fn outcome_result(outcome: &Outcome) -> Result<(), String> {
    outcome.message().map_or(Ok(()), Err)
}

impl SimPanel for NlsePanel {
    fn key(&self) -> &'static str {
        "nlse"
    }

    fn scenario(&self) -> Scenario {
        self.sim.params().clone().into()
    }

    fn time(&self) -> f64 {
        self.sim.stats().t
    }

    fn has_gpu_path(&self) -> bool {
        true
    }

    fn load(&mut self, scenario: Scenario, shell: Shell) -> Result<(), String> {
        let params = NlseParams::try_from(scenario)?;
        self.sim = match shell.gpu {
            Some(ctx) if self.sim.is_gpu() && params.method.runs_on_gpu() => {
                NlseRun::gpu(ctx, params)
            }
            _ => NlseRun::cpu(params),
        }?;
        self.draft = self.sim.params().clone();
        self.gpu_target = 0.0;
        self.run_target = None;
        Ok(())
    }

    fn edit(&mut self, scenario: Scenario, _shell: Shell) -> Result<Option<String>, String> {
        self.draft = NlseParams::try_from(scenario)?;
        self.apply_draft()
    }

    fn controls(&mut self, _shell: Shell, ui: &mut egui::Ui) -> Option<Notice> {
        controls::parameters(&mut self.draft, ui);
        match self.apply_draft() {
            Ok(info) => info.map(Notice::Info),
            Err(e) => Some(Notice::Error(e)),
        }
    }

    fn stats(&self) -> Vec<StatRow> {
        controls::stats(
            self.sim.stats(),
            self.steps_per_second,
            self.sim.diagnostics(),
            self.sim.propagator_builds(),
        )
    }

    fn central(&mut self, shell: Shell, ui: &mut egui::Ui) -> Option<Notice> {
        views::central(self, shell, ui);
        None
    }

    fn advance_frame(&mut self, _shell: Shell, clock: Clock) -> FrameReport {
        let t = self.sim.stats().t;
        if self
            .run_target
            .is_some_and(|r| t >= r || !self.sim.outcome().is_ok())
        {
            self.run_target = None;
        }
        let shadow_budget = 0.5 * clock.budget;
        if !clock.running && self.run_target.is_none() {
            if let Err(e) = self.sim.poll() {
                return self.fall_back_to_cpu(&e);
            }
            return FrameReport {
                notice: self.follow_shadow(shadow_budget),
                ..FrameReport::default()
            };
        }
        let mut target = if clock.running && clock.wall_dt > 0.0 {
            if self.sim.is_gpu() {
                // Readbacks lag: pace from what was asked for, at most a second ahead.
                let base = self.gpu_target.max(t);
                (base + clock.speed * clock.wall_dt).min(t + clock.speed)
            } else {
                t + clock.speed * clock.wall_dt
            }
        } else {
            t
        };
        if let Some(r) = self.run_target {
            target = target.max(r);
        }
        self.gpu_target = target;
        let accepted_before = self.sim.stats().accepted;
        let mut report = match self.sim.advance_frame(target, clock.budget) {
            Ok(outcome) => match outcome_result(&outcome) {
                Ok(()) => FrameReport::default(),
                Err(e) => FrameReport::failed(e),
            },
            Err(e) => self.fall_back_to_cpu(&e),
        };
        if let Some(notice) = self.follow_shadow(shadow_budget) {
            report.notice = Some(notice);
        }
        let steps = self.sim.stats().accepted.saturating_sub(accepted_before) as f64;
        if clock.wall_dt > 0.0 {
            let rate = steps / clock.wall_dt;
            self.steps_per_second = 0.9 * self.steps_per_second + 0.1 * rate;
        }
        report
    }

    fn step(&mut self, n: u32, _shell: Shell) -> Result<(), String> {
        for _ in 0..n {
            outcome_result(&self.sim.single_step())?;
        }
        Ok(())
    }

    fn run_until(&mut self, t: f64, _shell: Shell) -> Result<(), String> {
        match &mut self.sim {
            // The GPU computes asynchronously: frames advance towards t (poll diagnostics).
            NlseRun::Gpu(_) => {
                self.run_target = Some(t);
                Ok(())
            }
            NlseRun::Cpu(cpu) => outcome_result(&cpu.advance(t, 50_000_000)),
        }
    }

    fn reset(&mut self, _shell: Shell) -> Result<(), String> {
        self.sim = self.sim.restarted()?;
        self.gpu_target = 0.0;
        self.run_target = None;
        Ok(())
    }

    fn set_view(&mut self, name: &str) -> Result<(), String> {
        self.view = views::View::from_key(name)
            .ok_or_else(|| format!("unknown view '{name}' (known: state, waterfall, spectrum)"))?;
        Ok(())
    }

    fn computes_on_gpu(&self) -> bool {
        self.sim.is_gpu()
    }

    fn set_compute(&mut self, on_gpu: bool, shell: Shell) -> Result<Option<String>, String> {
        if on_gpu == self.sim.is_gpu() {
            return Ok(None);
        }
        if !on_gpu {
            let run = self.take_run();
            self.sim = run.into_cpu();
            return Ok(Some(
                "Computing on the CPU in f64, continuing from the GPU's last state.".to_owned(),
            ));
        }
        let ctx = shell.gpu.ok_or("no GPU compute device")?;
        let method = self.sim.params().method;
        if !method.runs_on_gpu() {
            return Err(format!(
                "{} runs on the CPU only; pick another solver for the GPU.",
                method.label()
            ));
        }
        let run = self.take_run();
        match run.into_gpu(ctx) {
            Ok(run) => {
                self.sim = run;
                self.gpu_target = self.sim.stats().t;
                Ok(Some(F32_NOTICE.to_owned()))
            }
            Err((run, e)) => {
                self.sim = run;
                Err(format!(
                    "The GPU path could not start: {e}. Still on the CPU."
                ))
            }
        }
    }

    fn set_shadow(&mut self, on: bool) -> Result<(), String> {
        if on {
            if !self.sim.is_gpu() {
                return Err(
                    "the f64 shadow follows the GPU (f32) run: compute on the GPU first".into(),
                );
            }
            if !PrecisionShadow::affordable(self.sim.params()) {
                return Err(format!(
                    "an f64 shadow follows grids up to N = {} (this one has N = {})",
                    crate::sims::nlse::shadow::MAX_SHADOW_POINTS_N,
                    self.sim.params().n
                ));
            }
        } else {
            self.shadow = None;
        }
        self.shadow_wanted = on;
        Ok(())
    }

    fn shadow_on(&self) -> bool {
        self.shadow_wanted
    }

    fn shadow_points(&self) -> &[ShadowPoint] {
        self.shadow.as_ref().map_or(&[], |s| s.points())
    }

    fn precision_limit(&self) -> Option<String> {
        if !self.sim.is_gpu() {
            return None;
        }
        crate::sims::nlse::shadow::precision_limit(self.sim.params(), self.shadow_points().last())
    }

    fn continue_on_shadow(&mut self) -> Result<(), String> {
        let shadow = self
            .shadow
            .take()
            .ok_or("no f64 shadow is following the GPU run")?;
        let at = shadow.points().last().map(|p| p.t);
        if at != Some(shadow.run().stats().t) {
            self.shadow = Some(shadow);
            return Err("the f64 shadow has not caught up with the GPU run yet".into());
        }
        self.sim = NlseRun::Cpu(Box::new(shadow.into_run()));
        self.shadow_wanted = false;
        self.draft = self.sim.params().clone();
        Ok(())
    }

    fn json(&self) -> serde_json::Map<String, serde_json::Value> {
        let stats = self.sim.stats();
        let p = self.sim.params();
        let value = serde_json::json!({
            "case": p.case.key(),
            "solver": p.method.key(),
            "n": p.n,
            "h": stats.h,
            "last_error": stats.last_error.is_finite().then_some(stats.last_error),
            "accepted": stats.accepted,
            "rejected": stats.rejected,
            "nfe": stats.nfe,
            "busy": self.sim.busy(),
            "gpu_picture_rows": self.sim.gpu_views().map(|v| v.rows()),
            "gpu_pictures_registered": self.gpu_textures.is_some(),
            "outcome": self.sim.outcome().message(),
            "diagnostics": self.sim.diagnostics(),
            "precision_limit": self.precision_limit(),
            "shadow": self.shadow_wanted.then(|| serde_json::json!({
                "points": self.shadow_points().len(),
                "last": self.shadow_points().last(),
                "t": self.shadow.as_ref().map(|s| s.run().stats().t),
            })),
        });
        fields(value)
    }

    fn busy(&self) -> bool {
        self.run_target.is_some() || self.sim.busy()
    }

    fn history(&self) -> RunHistory {
        crate::sims::nlse::as_run::history(self.sim.history())
    }

    fn checkpoint(&self) -> Result<Checkpoint, String> {
        let scenario = self.scenario();
        match &self.sim {
            NlseRun::Cpu(run) => scenario.checkpoint(run.as_ref()),
            // A GPU run is saved as last read back: its f32 state, exactly.
            NlseRun::Gpu(run) => Ok(Checkpoint::new(
                scenario.to_query(),
                self.key(),
                run.sim.time(),
                run.sim.checkpoint_state(),
            )),
        }
    }

    fn restore(&mut self, checkpoint: &Checkpoint) -> Result<(), String> {
        let run = NlseCpu::from_checkpoint(checkpoint_params(checkpoint)?, &checkpoint.state)?;
        self.sim = NlseRun::Cpu(Box::new(run));
        self.draft = self.sim.params().clone();
        self.shadow = None;
        self.shadow_wanted = false;
        Ok(())
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

//! The frame of the shell: advancing the simulation within the frame's budget, the keys,
//! the left panel and the central view, the notice banner, and the switches marked on time
//! axes (a solver or parameter change that the run continues through).

use web_time::Instant;

use super::panel::{Clock, Notice};
use super::{StepscopeApp, chart, controls, race};

impl StepscopeApp {
    /// Advances the simulation for one frame: `speed` simulation time per wall second,
    /// within the slice of wall time the pace leaves it (the frame target less the UI's
    /// measured cost); the clock is independent of the frame rate, and when the machine
    /// cannot keep up the simulation slows down rather than the UI.
    fn advance_frame(&mut self) {
        let now = Instant::now();
        let wall_dt = self
            .last_frame
            .map(|t| now.duration_since(t).as_secs_f64())
            .unwrap_or(0.0)
            .min(0.1);
        self.last_frame = Some(now);
        let budget = self.pace.slice();
        if self.race_mode {
            // The single run waits (its state kept) while the race has the compute budget.
            if let Some(lab) = &mut self.race_lab {
                lab.advance(budget);
            }
            self.pace.simulated(now.elapsed().as_secs_f64());
            return;
        }
        let clock = Clock {
            running: self.running,
            wall_dt,
            budget,
            speed: self.speed,
        };
        let (shell, panel) = self.parts();
        let report = panel.advance_frame(shell, clock);
        self.pace.simulated(now.elapsed().as_secs_f64());
        if report.pause {
            self.running = false;
        }
        if let Some(notice) = report.notice {
            self.notice = Some(notice);
        }
        if let Some(why) = report.gpu_lost {
            self.gpu = None;
            self.gpu_unavailable = format!("the GPU failed ({why})");
        }
    }

    fn handle_keys(&mut self, ctx: &egui::Context) {
        // Keys act only when no text field has focus.
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let (space, right, r) = ctx.input(|i| {
            (
                i.key_pressed(egui::Key::Space),
                i.key_pressed(egui::Key::ArrowRight),
                i.key_pressed(egui::Key::R),
            )
        });
        if space {
            self.set_running(!self.running);
        }
        if right {
            self.running = false;
            self.step(1);
        }
        if r {
            self.reset();
        }
    }

    /// The whole UI; eframe's `App::ui` and the kittest harness both call this.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let link_before = self.scenario().to_query();
        self.note_switch(&link_before);
        let key = self.active_simulation();
        let markers: Vec<chart::Marker> = self
            .switches
            .iter()
            .filter(|(sim, _)| *sim == key)
            .map(|(_, m)| m.clone())
            .collect();
        chart::set_markers(ui.ctx(), std::sync::Arc::new(markers));
        let notice_before = self.notice.clone();
        self.show_panels(ui);
        let link = self.scenario().to_query();
        // An error is superseded by a change that went through: it stays until then (or
        // until dismissed), however many frames pass.
        if link != link_before
            && matches!(self.notice, Some(Notice::Error(_)))
            && self.notice == notice_before
        {
            self.notice = None;
        }
        self.address.follow(ui.ctx(), &link);
        self.note_switch(&link);
        let paced = self.running && self.panel().paced_by_speed() && !self.race_mode;
        self.pace.sim_time(paced, self.panel().time());
    }

    /// Records a switch when the link of the same simulation changed since the last call
    /// (marked on its time axes with what changed); a run that went back in time (a reset)
    /// drops the switches after it.
    pub(super) fn note_switch(&mut self, link: &str) {
        let key = self.active_simulation();
        let now = self.panel().time();
        self.switches.retain(|(sim, m)| *sim != key || m.t <= now);
        let before = std::mem::replace(&mut self.last_link, link.to_owned());
        let pairs = |q: &str| -> Vec<(String, String)> {
            form_urlencoded::parse(q.trim_start_matches('?').as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        };
        let (old, new) = (pairs(&before), pairs(link));
        let same_sim = old.iter().any(|(k, v)| k == "s" && v == key);
        if !same_sim || old == new || now <= 0.0 {
            return;
        }
        let changes: Vec<String> = new
            .iter()
            .filter(|pair| !old.contains(pair))
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        if !changes.is_empty() {
            let label = changes.join(", ");
            self.switches.push((key, chart::Marker { t: now, label }));
        }
    }

    /// The notice across the top of the central area, until dismissed or superseded.
    fn notice_banner(&mut self, ui: &mut egui::Ui) {
        let Some(notice) = &self.notice else {
            return;
        };
        let (text, fill, stroke) = match notice {
            Notice::Error(e) => (
                format!("Error: {e}"),
                egui::Color32::from_rgb(120, 30, 25),
                egui::Color32::from_rgb(255, 235, 230),
            ),
            // Opaque: a translucent fill shows the black clear colour behind the panels.
            Notice::Info(i) => (
                i.clone(),
                ui.visuals().extreme_bg_color,
                ui.visuals().strong_text_color(),
            ),
        };
        let mut dismissed = false;
        egui::Panel::top("notice")
            .frame(egui::Frame::new().fill(fill).inner_margin(8.0))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    dismissed = ui
                        .button("Dismiss")
                        .on_hover_text("Hide this message (the run is not affected).")
                        .clicked();
                    ui.add(
                        egui::Label::new(egui::RichText::new(text).color(stroke).size(15.0)).wrap(),
                    );
                });
            });
        if dismissed {
            self.notice = None;
        }
    }

    fn show_panels(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.take_screenshot();
        self.handle_keys(&ctx);
        self.advance_frame();
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| controls::controls(self, ui));
            });
        self.notice_banner(ui);
        if let (true, Some(lab)) = (self.race_mode, &mut self.race_lab) {
            egui::CentralPanel::default().show(ui, |ui| race::central(lab, self.gpu.as_ref(), ui));
            if lab.busy() || self.recording {
                ctx.request_repaint();
            }
            return;
        }
        super::intro::strip(self, ui);
        let (shell, panel) = self.parts();
        let notice = egui::CentralPanel::default()
            .show(ui, |ui| panel.central(shell, ui))
            .inner;
        if notice.is_some() {
            self.notice = notice;
        }
        if self.running || self.panel().busy() || self.recording {
            ctx.request_repaint();
        }
    }
}

//! The first screen that teaches: across the top of the central area, the simulation's
//! equation typeset, a line on its symbols, a gallery of presets (each one sentence of what it
//! shows and one of what to try), and a clear "press Play" until the run has started.

use egui::text::{LayoutJob, TextFormat};

use super::StepscopeApp;
use crate::scenario::Scenario;
use crate::scenario::gallery::{self, Preset};

/// What the introduction remembers.
pub struct Intro {
    /// The strip is shown (hidden with its button, shown again from the left panel).
    pub shown: bool,
    /// The preset last chosen or matched, per simulation, so its sentences stay while the
    /// user edits parameters.
    last: Vec<(&'static str, usize)>,
    /// The run has been played or stepped since it was loaded or reset.
    pub started: bool,
}

impl Default for Intro {
    fn default() -> Self {
        Self {
            shown: true,
            last: Vec::new(),
            started: false,
        }
    }
}

impl Intro {
    /// The preset whose scenario is running, else the one last chosen for this simulation.
    fn current(&mut self, key: &'static str, scenario: &Scenario) -> Option<&'static Preset> {
        let presets = gallery::gallery(key);
        let matched = presets
            .iter()
            .position(|p| p.link.parse::<Scenario>().ok().as_ref() == Some(scenario));
        if let Some(index) = matched {
            self.remember(key, index);
        }
        let index = self.last.iter().find(|(k, _)| *k == key).map(|(_, i)| *i)?;
        presets.get(index)
    }

    /// A link was loaded: the preset chosen before no longer describes the run (unless the
    /// link is a preset's, which [`Self::current`] matches again).
    pub fn forget(&mut self, key: &str) {
        self.last.retain(|(k, _)| *k != key);
    }

    fn remember(&mut self, key: &'static str, index: usize) {
        self.last.retain(|(k, _)| *k != key);
        self.last.push((key, index));
    }
}

/// The strip across the top of the central area (not in race mode, which has its own).
pub fn strip(app: &mut StepscopeApp, ui: &mut egui::Ui) {
    if !app.intro.shown {
        return;
    }
    let key = app.active_simulation();
    let scenario = app.scenario();
    let current = app.intro.current(key, &scenario);
    let mut chosen = None;
    let mut hide = false;
    let prompt = !app.running && !app.intro.started;
    egui::Panel::top("intro")
        .frame(egui::Frame::side_top_panel(ui.style()).inner_margin(egui::Margin::symmetric(10, 6)))
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let colour = ui.visuals().strong_text_color();
                ui.label(typeset(gallery::equation(key), 20.0, colour));
                ui.add_space(24.0);
                ui.label(egui::RichText::new("Presets:").strong());
                for (index, preset) in gallery::gallery(key).iter().enumerate() {
                    let selected = current.is_some_and(|c| c == preset);
                    let response = ui
                        .selectable_label(selected, preset.title)
                        .on_hover_text(format!("{}\nTry: {}", preset.shows, preset.try_next));
                    if response.clicked() {
                        chosen = Some((index, preset.link));
                    }
                }
                hide = ui
                    .small_button("Hide")
                    .on_hover_text(
                        "Hide the equation and the presets (\"intro\" in the left panel shows \
                         them again).",
                    )
                    .clicked();
            });
            // Before the first Play the symbols are explained; afterwards the views get the room.
            if prompt {
                ui.add(
                    egui::Label::new(egui::RichText::new(gallery::equation_legend(key)).weak())
                        .wrap(),
                );
            }
            if let Some(preset) = current {
                ui.horizontal_wrapped(|ui| {
                    ui.label(preset.shows);
                    ui.label(egui::RichText::new("Try:").strong());
                    ui.label(preset.try_next);
                });
            }
            if prompt {
                // The link colour reads on both themes (the selection fill is pale on light).
                let accent = ui.visuals().hyperlink_color;
                ui.label(
                    egui::RichText::new("Press Play (or the space bar) to start the run.")
                        .size(17.0)
                        .strong()
                        .color(accent),
                );
            }
        });
    if hide {
        app.intro.shown = false;
    }
    if let Some((index, link)) = chosen {
        // A failure is shown through the notice; the run is kept.
        if app.load_link(link).is_ok() {
            app.intro.remember(key, index);
        }
    }
}

/// Lays out equation markup: `_x` / `_{…}` lowered and `^x` / `^{…}` raised in a smaller size;
/// single Latin letters (variables) in italics, words (log, Re) upright.
pub fn typeset(markup: &str, size: f32, colour: egui::Color32) -> LayoutJob {
    let mut job = LayoutJob::default();
    let chars: Vec<char> = markup.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let (valign, scale) = match chars[i] {
            '_' => (egui::Align::BOTTOM, 0.68),
            '^' => (egui::Align::TOP, 0.68),
            _ => (egui::Align::BOTTOM, 1.0),
        };
        let token: Vec<char> = if scale < 1.0 {
            i += 1;
            if chars.get(i) == Some(&'{') {
                let end = chars[i..]
                    .iter()
                    .position(|&c| c == '}')
                    .map_or(chars.len(), |p| i + p);
                let group = chars[i + 1..end].to_vec();
                i = end + 1;
                group
            } else {
                let single = chars.get(i).copied().into_iter().collect();
                i += 1;
                single
            }
        } else {
            // Up to the next script marker.
            let end = chars[i..]
                .iter()
                .position(|&c| c == '_' || c == '^')
                .map_or(chars.len(), |p| i + p);
            let run = chars[i..end].to_vec();
            i = end;
            run
        };
        append_with_italic_variables(&mut job, &token, size * scale, valign, colour);
    }
    job
}

/// Appends `text`, single ASCII letters in italics (x, t, ψ stays upright: Greek is drawn as is).
fn append_with_italic_variables(
    job: &mut LayoutJob,
    text: &[char],
    size: f32,
    valign: egui::Align,
    colour: egui::Color32,
) {
    let format = |italics: bool| TextFormat {
        font_id: egui::FontId::proportional(size),
        color: colour,
        italics,
        valign,
        ..Default::default()
    };
    let mut start = 0;
    while start < text.len() {
        let is_letter = text[start].is_ascii_alphabetic();
        let end = text[start..]
            .iter()
            .position(|c| c.is_ascii_alphabetic() != is_letter)
            .map_or(text.len(), |p| start + p);
        let piece: String = text[start..end].iter().collect();
        // A lone letter is a variable; "d" before a variable is the differential (upright).
        let italics = is_letter && (end - start == 1 || piece.starts_with('d') && end - start == 2);
        if italics && piece.len() == 2 {
            job.append("d", 0.0, format(false));
            job.append(&piece[1..], 0.0, format(true));
        } else {
            job.append(&piece, 0.0, format(italics));
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(job: &LayoutJob) -> Vec<(String, f32, bool)> {
        job.sections
            .iter()
            .map(|s| {
                (
                    job.text[s.byte_range.start.0..s.byte_range.end.0].to_owned(),
                    s.format.font_id.size,
                    s.format.italics,
                )
            })
            .collect()
    }

    #[test]
    fn scripts_are_smaller_and_variables_italic() {
        let job = typeset("∂_x^2 ψ + |ψ|^{2k} log p_t", 20.0, egui::Color32::BLACK);
        let p = pieces(&job);
        assert_eq!(job.text, "∂x2 ψ + |ψ|2k log pt");
        assert!(p.contains(&("x".into(), 13.6, true)), "{p:?}");
        assert!(p.contains(&("2".into(), 13.6, false)), "{p:?}");
        assert!(p.contains(&("k".into(), 13.6, true)), "{p:?}");
        assert!(p.contains(&(" log ".into(), 20.0, false)), "{p:?}");
        let dx = typeset("dx = f dt", 20.0, egui::Color32::BLACK);
        let q = pieces(&dx);
        assert_eq!(q[0], ("d".into(), 20.0, false), "{q:?}");
        assert_eq!(q[1], ("x".into(), 20.0, true), "{q:?}");
    }
}

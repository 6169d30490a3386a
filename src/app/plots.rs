//! Plotting helpers shared by every simulation's views: the palette, number formats and
//! history plots (every plot is a [`Chart`]).

use crate::core::choice::Choice;
use crate::core::history::DecimatingSeries;

pub(crate) use super::chart::Chart;
pub(crate) use super::colour::colormap;

pub(crate) const BLUE: egui::Color32 = egui::Color32::from_rgb(90, 170, 255);
pub(crate) const ORANGE: egui::Color32 = egui::Color32::from_rgb(255, 165, 60);
pub(crate) const GREEN: egui::Color32 = egui::Color32::from_rgb(110, 210, 120);
pub(crate) const RED: egui::Color32 = egui::Color32::from_rgb(240, 90, 90);

/// Formats a number for the statistics tables.
pub(crate) fn sci(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3e}")
    } else {
        "—".to_owned()
    }
}

/// A log plot over time of recorded histories, each `(name, series, colour)`.
pub(crate) fn history_plot(
    ui: &mut egui::Ui,
    id: &str,
    y_title: &str,
    height: f32,
    lines: &[(&str, &DecimatingSeries, egui::Color32)],
) {
    Chart::over_time(id, y_title)
        .log_y()
        .height(height)
        .legend()
        .show(ui, |s| {
            for (name, series, colour) in lines {
                s.history(name, series, *colour);
            }
        });
}

/// The row of a long computation (a chaos map, a race): a progress bar, the time so far and
/// an estimate of the time left (from the rate so far, once 2 % is done), and Cancel.
/// Returns whether Cancel was clicked.
pub(crate) fn progress_row(ui: &mut egui::Ui, fraction: f64, elapsed_s: f64) -> bool {
    let fraction = fraction.clamp(0.0, 1.0);
    ui.horizontal(|ui| {
        ui.add(
            egui::ProgressBar::new(fraction as f32)
                .desired_width(160.0)
                .show_percentage(),
        );
        let left = if fraction >= 0.02 {
            format!(
                ", about {} left",
                duration(elapsed_s * (1.0 - fraction) / fraction)
            )
        } else {
            ", estimating the time left…".to_owned()
        };
        ui.label(format!("{}{left}", duration(elapsed_s)));
        ui.button("Cancel")
            .on_hover_text("Stop here; what is done so far stays on screen.")
            .clicked()
    })
    .inner
}

/// "42 s", "3 min 5 s".
pub(crate) fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "—".to_owned();
    }
    let s = seconds.round() as u64;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {} s", s / 60, s % 60)
    }
}

/// Combo box over `items`, with tooltips; returns whether the choice changed.
pub(crate) fn choose<T: Copy + PartialEq>(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut T,
    items: &[T],
    name: impl Fn(T) -> &'static str,
    doc: impl Fn(T) -> &'static str,
) -> bool {
    let before = *value;
    egui::ComboBox::from_label(label)
        .selected_text(name(*value))
        .show_ui(ui, |ui| {
            for item in items {
                ui.selectable_value(value, *item, name(*item))
                    .on_hover_text(doc(*item));
            }
        })
        .response
        .on_hover_text(doc(*value));
    *value != before
}

/// The one combo box of a [`Choice`]: its labels, each value's doc as the tooltip. Returns
/// whether the value changed.
pub(crate) fn choice_combo<T: Choice>(ui: &mut egui::Ui, label: &str, value: &mut T) -> bool {
    choose(ui, label, value, T::ALL, T::label, T::doc)
}

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

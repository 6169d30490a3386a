//! Plotting helpers shared by every simulation's views: the palette, number formats and
//! log-scale plots.

use egui_plot::{Legend, Line, Plot, PlotPoints};

use crate::core::choice::Choice;
use crate::core::history::DecimatingSeries;

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

/// Tick label of a log10 axis: `1e-6` on decades, `3.2e-6` between them.
pub(crate) fn log_tick(
    mark: egui_plot::GridMark,
    _range: &std::ops::RangeInclusive<f64>,
) -> String {
    let exponent = mark.value;
    if (exponent - exponent.round()).abs() < 1e-9 {
        format!("1e{}", exponent.round())
    } else {
        format!("{:.1e}", 10f64.powf(exponent))
    }
}

/// A line of log10 values for a log-scale plot.
pub(crate) fn log_line<'a>(
    name: &str,
    series: &DecimatingSeries,
    color: egui::Color32,
) -> Line<'a> {
    let pts: Vec<[f64; 2]> = series
        .points()
        .iter()
        .filter(|p| p[1] > 0.0)
        .map(|p| [p[0], p[1].log10()])
        .collect();
    Line::new(name, PlotPoints::from(pts)).color(color)
}

pub(crate) fn log_plot(ui: &mut egui::Ui, id: &str, height: f32, lines: Vec<Line<'_>>) {
    Plot::new(id)
        .height(height)
        .legend(Legend::default())
        .y_axis_formatter(log_tick)
        .show(ui, |plot| {
            for line in lines {
                plot.line(line);
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

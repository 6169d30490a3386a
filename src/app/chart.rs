//! Every plot of the app goes through one builder, so that every plot is readable from the
//! back of a room and they all behave alike:
//! - both axes have titles (with units where there are any);
//! - a log axis has a grid line and a label at every decade (its view is at most as many
//!   decades as the plot has room to label, counted down from the largest value);
//! - autoscale has a floor relative to the data's magnitude, so round-off never becomes a
//!   canyon (a log axis spans at least one decade, a linear one at least 1e-3 of the values);
//! - each series has one explicit colour, which the legend repeats;
//! - plots over time mark every solver or parameter switch with a vertical line, and lines
//!   stay monotone in time when a run is handed over (a later point at an earlier time starts
//!   the line again from there);
//! - "Fit" returns a zoomed or panned plot to following the data;
//! - a plot over time whose data ends earlier than in the last frame shows a new run: the
//!   last run's lines stay, faded and out of the legend, for comparison (switchable with
//!   [`set_show_previous`]).
//!
//! Each plot drawn is recorded ([`PlotRecord`]) for the UI tests.

use std::collections::BTreeMap;
use std::sync::Arc;

use egui_plot::{AxisHints, GridInput, GridMark, Legend, Line, Plot, PlotPoints, PlotUi, Points};

use crate::core::history::DecimatingSeries;

/// Vertical pixels a decade of a log axis needs for its label.
const PIXELS_PER_DECADE: f32 = 14.0;

/// The smallest span of a linear axis relative to the largest magnitude it shows.
const LINEAR_FLOOR: f64 = 1e-3;

/// The markers of switches on time axes, for the current frame (set by the shell).
fn markers_id() -> egui::Id {
    egui::Id::unique("stepscope.chart.markers")
}

fn records_id() -> egui::Id {
    egui::Id::unique("stepscope.chart.records")
}

fn ghosts_id() -> egui::Id {
    egui::Id::unique("stepscope.chart.previous-runs")
}

fn show_previous_id() -> egui::Id {
    egui::Id::unique("stepscope.chart.show-previous")
}

/// A run's lines on one time plot (in plot coordinates) and the time they reach.
#[derive(Clone, Debug, Default)]
struct RunLines {
    end: f64,
    lines: Vec<(egui::Color32, Vec<[f64; 2]>)>,
}

/// The lines of the run shown and of the one before it, by plot id.
#[derive(Clone, Debug, Default)]
struct PreviousRuns {
    current: BTreeMap<String, RunLines>,
    previous: BTreeMap<String, RunLines>,
}

/// Whether time plots draw the previous run's lines, faded (on by default).
pub fn show_previous(ctx: &egui::Context) -> bool {
    ctx.data(|d| d.get_temp::<bool>(show_previous_id()))
        .unwrap_or(true)
}

/// See [`show_previous`].
pub fn set_show_previous(ctx: &egui::Context, on: bool) {
    ctx.data_mut(|d| d.insert_temp(show_previous_id(), on));
}

/// Notes this frame's lines of time plot `id`; when they end earlier than the last frame's, a
/// new run started and the last frame's become the previous run. Returns the previous run's
/// lines to draw.
fn previous_run(ctx: &egui::Context, id: &str, now: RunLines) -> Option<RunLines> {
    ctx.data_mut(|d| {
        let runs = d.get_temp_mut_or_default::<Arc<PreviousRuns>>(ghosts_id());
        let runs = Arc::make_mut(runs);
        let restarted = runs.current.get(id).is_some_and(|last| {
            last.end > 0.0 && !last.lines.is_empty() && now.end < last.end * (1.0 - 1e-12)
        });
        if restarted && let Some(last) = runs.current.remove(id) {
            runs.previous.insert(id.to_owned(), last);
        }
        runs.current.insert(id.to_owned(), now);
        runs.previous.get(id).cloned()
    })
}

/// A solver or parameter switch at time `t`, drawn on every time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Simulation time of the switch.
    pub t: f64,
    /// What changed ("solver = rk4ip").
    pub label: String,
}

/// Hands the switch markers of the simulation shown to this frame's time plots.
pub fn set_markers(ctx: &egui::Context, markers: Arc<Vec<Marker>>) {
    ctx.data_mut(|d| d.insert_temp(markers_id(), markers));
}

/// What a plot showed in a frame, for the UI tests.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlotRecord {
    /// The pass it was drawn in.
    pub pass: u64,
    /// Axis titles.
    pub x_title: String,
    /// Axis titles.
    pub y_title: String,
    /// Whether the y axis is logarithmic.
    pub y_log: bool,
    /// Whether the x axis is logarithmic.
    pub x_log: bool,
    /// The y range in view (log10 values on a log axis).
    pub y_view: (f64, f64),
    /// The plot's height in points.
    pub height: f32,
    /// The y tick labels the plot shows (value, text).
    pub y_labels: Vec<(f64, String)>,
    /// Legend entries: name and the colour of each item drawn under that name.
    pub legend: Vec<(String, Vec<egui::Color32>)>,
    /// Markers drawn (x positions).
    pub markers: Vec<f64>,
    /// Lines of the previous run drawn faded.
    pub previous_lines: usize,
}

/// The plots drawn so far, by id (the UI tests read the last pass's).
pub fn records(ctx: &egui::Context) -> BTreeMap<String, PlotRecord> {
    ctx.data(|d| d.get_temp::<Arc<BTreeMap<String, PlotRecord>>>(records_id()))
        .map(|r| (*r).clone())
        .unwrap_or_default()
}

fn record(ctx: &egui::Context, id: &str, r: PlotRecord) {
    ctx.data_mut(|d| {
        let map = d.get_temp_mut_or_default::<Arc<BTreeMap<String, PlotRecord>>>(records_id());
        Arc::make_mut(map).insert(id.to_owned(), r);
    });
}

/// Linear or logarithmic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Values as they are.
    Linear,
    /// log10 of positive values; labelled 1e-6, 1e-5, …
    Log,
}

/// A plot being set up (see the module docs).
pub struct Chart {
    id: String,
    x_title: String,
    y_title: String,
    x_scale: Scale,
    y_scale: Scale,
    height: f32,
    legend: bool,
    aspect: Option<f32>,
    time_axis: bool,
    link_x: Option<egui::Id>,
    fixed: Option<((f64, f64), (f64, f64))>,
}

impl Chart {
    /// A plot with its axis titles (with units, e.g. "t", "|ΔE/E₀|").
    pub fn new(
        id: impl Into<String>,
        x_title: impl Into<String>,
        y_title: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            x_title: x_title.into(),
            y_title: y_title.into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            height: 150.0,
            legend: false,
            aspect: None,
            time_axis: false,
            link_x: None,
            fixed: None,
        }
    }

    /// A plot over simulation time: x titled "t", switch markers, monotone lines.
    pub fn over_time(id: impl Into<String>, y_title: impl Into<String>) -> Self {
        Self {
            time_axis: true,
            ..Self::new(id, "t", y_title)
        }
    }

    /// Log scale on y.
    pub fn log_y(mut self) -> Self {
        self.y_scale = Scale::Log;
        self
    }

    /// Log scale on x.
    pub fn log_x(mut self) -> Self {
        self.x_scale = Scale::Log;
        self
    }

    /// Height in points.
    pub fn height(mut self, height: f32) -> Self {
        self.height = height;
        self
    }

    /// With a legend (the series' names in their colours).
    pub fn legend(mut self) -> Self {
        self.legend = true;
        self
    }

    /// Equal scales on both axes (orbits, fields).
    pub fn data_aspect(mut self, aspect: f32) -> Self {
        self.aspect = Some(aspect);
        self
    }

    /// A picture of a fixed region (a field): no panning or box zoom (dragging belongs to the
    /// picture), the whole region in view.
    pub fn fixed_view(mut self, x: (f64, f64), y: (f64, f64)) -> Self {
        self.fixed = Some((x, y));
        self
    }

    /// Shares the x axis (zoom, pan, cursor) with the other plots of `group`.
    pub fn link_x(mut self, group: egui::Id) -> Self {
        self.link_x = Some(group);
        self
    }

    /// Draws the plot: `build` adds the series.
    pub fn show<'a>(self, ui: &mut egui::Ui, build: impl FnOnce(&mut Series<'a>)) {
        let mut series = Series {
            x_scale: self.x_scale,
            y_scale: self.y_scale,
            monotone: self.time_axis,
            items: Vec::new(),
            legend: Vec::new(),
            y_range: (f64::INFINITY, f64::NEG_INFINITY),
            x_range: (f64::INFINITY, f64::NEG_INFINITY),
            tops: Vec::new(),
            markers: Vec::new(),
            lines: Vec::new(),
        };
        build(&mut series);
        let mut previous_lines = 0;
        if self.time_axis {
            let now = RunLines {
                end: series.x_range.1,
                lines: std::mem::take(&mut series.lines),
            };
            if let Some(previous) = previous_run(ui.ctx(), &self.id, now)
                && show_previous(ui.ctx())
            {
                previous_lines = previous.lines.len();
                // Drawn first, under the run shown; part of the autoscale.
                let mut faded: Vec<Item<'a>> = Vec::new();
                for (colour, points) in previous.lines {
                    for p in &points {
                        series.y_range = (series.y_range.0.min(p[1]), series.y_range.1.max(p[1]));
                    }
                    faded.push(Item::Line(
                        Line::new("", PlotPoints::from(points))
                            .color(colour.gamma_multiply(0.3))
                            .width(1.0),
                    ));
                }
                faded.append(&mut series.items);
                series.items = faded;
            }
        }
        if self.time_axis {
            let markers = ui
                .ctx()
                .data(|d| d.get_temp::<Arc<Vec<Marker>>>(markers_id()))
                .unwrap_or_default();
            for m in markers.iter() {
                series.markers.push(m.t);
                series.items.push(Item::Marker(m.t, m.label.clone()));
            }
        }
        let y_view = self.y_view(&series);
        // Equal-aspect pictures (orbits, particles) follow the data in x too.
        let x_view = self
            .aspect
            .and_then(|_| floored(series.x_range.0, series.x_range.1));
        let follow_id = ui.scope_id().with((&self.id, "follow"));
        let mut follow = ui
            .ctx()
            .data(|d| d.get_temp::<bool>(follow_id))
            .unwrap_or(true);
        let fit = !follow
            && self.fixed.is_none()
            && ui
                .small_button("Fit")
                .on_hover_text("Back to following the data (double-click the plot does the same).")
                .clicked();
        if fit {
            follow = true;
        }
        let labels = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let y_log = self.y_scale == Scale::Log;
        let y_formatter = {
            let labels = std::rc::Rc::clone(&labels);
            move |mark: GridMark, _range: &std::ops::RangeInclusive<f64>| {
                let text = if y_log {
                    log_tick(mark.value)
                } else {
                    linear_tick(mark)
                };
                labels.borrow_mut().push((mark.value, text.clone()));
                text
            }
        };
        // Tick labels a little smaller than body text, so that a decade needs fewer pixels;
        // egui_plot hides a label whose spacing is below the spacing's minimum or its height.
        let tick_font = egui::FontId::proportional(11.0);
        let label_height = ui
            .painter()
            .layout_no_wrap("1e-9".to_owned(), tick_font.clone(), egui::Color32::WHITE)
            .size()
            .y;
        let min_spacing = (PIXELS_PER_DECADE - 3.0).max(label_height);
        let mut y_axis = AxisHints::new_y()
            .label(self.y_title.clone())
            .formatter(y_formatter)
            .tick_label_font(tick_font.clone());
        if y_log {
            y_axis = y_axis.label_spacing(min_spacing..=min_spacing + 6.0);
        }
        let mut x_axis = AxisHints::new_x()
            .label(self.x_title.clone())
            .tick_label_font(tick_font);
        if self.x_scale == Scale::Log {
            x_axis = x_axis.formatter(|mark, _| log_tick(mark.value));
        } else {
            x_axis = x_axis.formatter(|mark, _| linear_tick(mark));
        }
        let mut plot = Plot::new(&self.id)
            .height(self.height)
            .custom_x_axes(vec![x_axis])
            .custom_y_axes(vec![y_axis]);
        if y_log {
            plot = plot.y_grid_spacer(decade_spacer);
        }
        if self.x_scale == Scale::Log {
            plot = plot.x_grid_spacer(decade_spacer);
        } else {
            plot = plot.x_grid_spacer(nested_ladder_spacer);
        }
        if self.legend {
            plot = plot.legend(Legend::default());
        }
        if let Some(aspect) = self.aspect {
            plot = plot.data_aspect(aspect);
        }
        if let Some(((x0, x1), (y0, y1))) = self.fixed {
            plot = plot
                .allow_drag(false)
                .allow_boxed_zoom(false)
                .include_x(x0)
                .include_x(x1)
                .include_y(y0)
                .include_y(y1);
            follow = false;
        }
        if let Some(group) = self.link_x {
            plot = plot
                .link_axis(group, [true, false])
                .link_cursor(group, [true, false]);
        }
        let items = std::mem::take(&mut series.items);
        let response = plot.show(ui, move |plot: &mut PlotUi<'a>| {
            if follow && let Some(view) = y_view {
                plot.set_plot_bounds_y(view.0..=view.1);
                match x_view {
                    Some(x) => plot.set_plot_bounds_x(x.0..=x.1),
                    None => plot.set_auto_bounds([true, false]),
                }
            }
            for item in items {
                item.draw(plot);
            }
        });
        let r = &response.response;
        if r.double_clicked() {
            follow = true;
        } else if r.dragged()
            || (r.hovered()
                && ui.input(|i| i.smooth_scroll_delta != egui::Vec2::ZERO || i.zoom_delta() != 1.0))
        {
            follow = false;
        }
        ui.ctx().data_mut(|d| d.insert_temp(follow_id, follow));
        let bounds = response.transform.bounds();
        let (y_min, y_max) = (bounds.min()[1], bounds.max()[1]);
        let frame = response.transform.frame();
        let pixels_per_unit = f64::from(frame.height()) / (y_max - y_min).max(1e-300);
        // The labels egui_plot shows: those in view, spaced wide enough for their text.
        let mut shown: Vec<(f64, String)> = labels
            .take()
            .into_iter()
            .filter(|(v, _)| (y_min..=y_max).contains(v))
            .collect();
        shown.dedup();
        if y_log {
            shown.retain(|(v, _)| (v - v.round()).abs() < 1e-9);
            if pixels_per_unit <= f64::from(min_spacing) {
                shown.clear();
            }
        }
        record(
            ui.ctx(),
            &self.id,
            PlotRecord {
                pass: ui.ctx().cumulative_pass_nr(),
                x_title: self.x_title,
                y_title: self.y_title,
                y_log,
                x_log: self.x_scale == Scale::Log,
                y_view: (y_min, y_max),
                height: frame.height(),
                y_labels: shown,
                legend: series.legend,
                markers: series.markers,
                previous_lines,
            },
        );
    }

    /// The y range to show while following the data: the data's, widened to the floor, and on
    /// a log axis at most as many decades as the plot can label.
    fn y_view(&self, series: &Series<'_>) -> Option<(f64, f64)> {
        let (lo, hi) = series.y_range;
        if !(lo.is_finite() && hi.is_finite()) {
            return None;
        }
        Some(match self.y_scale {
            Scale::Log => {
                let room =
                    f64::from((self.height - 30.0).max(PIXELS_PER_DECADE) / PIXELS_PER_DECADE)
                        .floor()
                        .max(1.0);
                let top = hi.ceil().max(hi + 0.05);
                // Every series shows at least its largest values, even when that takes more
                // decades than the room (the labels then sit closer).
                let lowest_top = series.tops.iter().copied().fold(f64::INFINITY, f64::min);
                let bottom = lo
                    .floor()
                    .max(top - room)
                    .min(top - 1.0)
                    .min((lowest_top - 0.5).floor());
                (bottom, top)
            }
            Scale::Linear => floored(lo, hi)?,
        })
    }
}

/// The linear range `lo..hi` with 5 % margins (like egui_plot's own autoscale), at least
/// [`LINEAR_FLOOR`] of the largest magnitude wide.
fn floored(lo: f64, hi: f64) -> Option<(f64, f64)> {
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let magnitude = lo.abs().max(hi.abs());
    let (centre, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
    let half = half.max(0.5 * LINEAR_FLOOR * magnitude).max(1e-300);
    Some((centre - 1.05 * half, centre + 1.05 * half))
}

enum Item<'a> {
    Line(Line<'a>),
    Points(Points<'a>),
    Marker(f64, String),
    Raw(Box<dyn FnOnce(&mut PlotUi<'a>) + 'a>),
}

impl<'a> Item<'a> {
    fn draw(self, plot: &mut PlotUi<'a>) {
        match self {
            Item::Line(line) => plot.line(line),
            Item::Points(points) => plot.points(points),
            Item::Marker(x, label) => {
                let grey = egui::Color32::from_gray(140);
                // Not in the legend: the change is written at the top of the line.
                plot.vline(
                    egui_plot::VLine::new("", x)
                        .color(grey)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
                let top = plot.plot_bounds().max()[1];
                let short: String = label.chars().take(32).collect();
                plot.text(
                    egui_plot::Text::new("", egui_plot::PlotPoint::new(x, top), short)
                        .color(grey)
                        .anchor(egui::Align2::LEFT_TOP),
                );
            }
            Item::Raw(draw) => draw(plot),
        }
    }
}

/// The series of a plot being built.
pub struct Series<'a> {
    x_scale: Scale,
    y_scale: Scale,
    monotone: bool,
    items: Vec<Item<'a>>,
    legend: Vec<(String, Vec<egui::Color32>)>,
    y_range: (f64, f64),
    x_range: (f64, f64),
    /// The largest y of each series with points.
    tops: Vec<f64>,
    markers: Vec<f64>,
    /// The lines of a time plot, kept as the previous run once a new one starts.
    lines: Vec<(egui::Color32, Vec<[f64; 2]>)>,
}

impl<'a> Series<'a> {
    /// The points in plot coordinates: log10 on log axes (non-positive values left out),
    /// non-finite values left out, and on time axes monotone in x.
    fn place(&mut self, points: impl IntoIterator<Item = [f64; 2]>) -> Vec<[f64; 2]> {
        let log = |scale: Scale, v: f64| match scale {
            Scale::Linear => Some(v),
            Scale::Log => (v > 0.0).then(|| v.log10()),
        };
        let mut placed: Vec<[f64; 2]> = Vec::new();
        for [x, y] in points {
            let (Some(x), Some(y)) = (log(self.x_scale, x), log(self.y_scale, y)) else {
                continue;
            };
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            if self.monotone {
                // A hand-over that restarts at an earlier time: the newer points win.
                while placed.last().is_some_and(|p| p[0] > x) {
                    placed.pop();
                }
            }
            placed.push([x, y]);
        }
        for p in &placed {
            self.y_range = (self.y_range.0.min(p[1]), self.y_range.1.max(p[1]));
            self.x_range = (self.x_range.0.min(p[0]), self.x_range.1.max(p[0]));
        }
        if let Some(top) = placed.iter().map(|p| p[1]).reduce(f64::max) {
            self.tops.push(top);
        }
        placed
    }

    fn named(&mut self, name: &str, colour: egui::Color32) {
        if name.is_empty() {
            return;
        }
        match self.legend.iter_mut().find(|(n, _)| n == name) {
            Some((_, colours)) => colours.push(colour),
            None => self.legend.push((name.to_owned(), vec![colour])),
        }
    }

    /// A line through `points` (values, not logs).
    pub fn line(
        &mut self,
        name: &str,
        points: impl IntoIterator<Item = [f64; 2]>,
        colour: egui::Color32,
    ) -> &mut Self {
        self.line_width(name, points, colour, 1.5)
    }

    /// A line of a given width.
    pub fn line_width(
        &mut self,
        name: &str,
        points: impl IntoIterator<Item = [f64; 2]>,
        colour: egui::Color32,
        width: f32,
    ) -> &mut Self {
        let placed = self.place(points);
        self.named(name, colour);
        if self.monotone {
            self.lines.push((colour, placed.clone()));
        }
        self.items.push(Item::Line(
            Line::new(name.to_owned(), PlotPoints::from(placed))
                .color(colour)
                .width(width),
        ));
        self
    }

    /// A recorded history as a line.
    pub fn history(
        &mut self,
        name: &str,
        series: &DecimatingSeries,
        colour: egui::Color32,
    ) -> &mut Self {
        self.line(name, series.points().iter().copied(), colour)
    }

    /// Points (markers) at `points`.
    pub fn points(
        &mut self,
        name: &str,
        points: impl IntoIterator<Item = [f64; 2]>,
        colour: egui::Color32,
        radius: f32,
    ) -> &mut Self {
        self.marks(name, points, colour, radius, true)
    }

    /// Unfilled rings at `points` (points that are marked as special).
    pub fn rings(
        &mut self,
        name: &str,
        points: impl IntoIterator<Item = [f64; 2]>,
        colour: egui::Color32,
        radius: f32,
    ) -> &mut Self {
        self.marks(name, points, colour, radius, false)
    }

    fn marks(
        &mut self,
        name: &str,
        points: impl IntoIterator<Item = [f64; 2]>,
        colour: egui::Color32,
        radius: f32,
        filled: bool,
    ) -> &mut Self {
        let placed = self.place(points);
        self.named(name, colour);
        self.items.push(Item::Points(
            Points::new(name.to_owned(), placed)
                .color(colour)
                .radius(radius)
                .filled(filled),
        ));
        self
    }

    /// A legend entry for items drawn through [`Series::raw`] (bars).
    pub fn bars(&mut self, name: &str, colour: egui::Color32) -> &mut Self {
        self.named(name, colour);
        self
    }

    /// A vertical line at `x` (a value, not a log) with its legend name.
    pub fn vline(&mut self, name: &str, x: f64, colour: egui::Color32) -> &mut Self {
        self.named(name, colour);
        let name = name.to_owned();
        self.items.push(Item::Raw(Box::new(move |plot| {
            plot.vline(egui_plot::VLine::new(name, x).color(colour));
        })));
        self
    }

    /// Anything else egui_plot draws (images, polygons), in plot coordinates; `y_extent`
    /// joins the autoscale.
    pub fn raw(
        &mut self,
        y_extent: (f64, f64),
        draw: impl FnOnce(&mut PlotUi<'a>) + 'a,
    ) -> &mut Self {
        self.y_range = (
            self.y_range.0.min(y_extent.0),
            self.y_range.1.max(y_extent.1),
        );
        self.items.push(Item::Raw(Box::new(draw)));
        self
    }
}

/// Grid marks of a linear axis on a nested ladder of steps (the finest of 1, 2 or 5 × 10^k,
/// then 1, 2, 10, 20, … above it, each dividing the next): egui_plot's own spacer steps by tens, so
/// a time axis of 0 … 80 on 270 px (a line every 10 is too close for labels) was labelled
/// only at 0; here the labels fall on 20, 40, 60. Each value is given once, with the largest
/// step of the ladder that divides it (egui_plot labels the steps whose spacing fits text).
fn nested_ladder_spacer(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let base = input.base_step_size;
    if !(lo.is_finite() && hi.is_finite() && base.is_finite()) || hi <= lo || base <= 0.0 {
        return Vec::new();
    }
    let nice = |at_least: f64| -> f64 {
        let decade = 10f64.powf(at_least.log10().floor());
        [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * decade)
            .find(|s| *s >= at_least * (1.0 - 1e-12))
            .unwrap_or(10.0 * decade)
    };
    let fine = nice(base);
    // The whole ladder from the finest step up to the span, so that every value carries the
    // largest step dividing it (labels then appear at the coarsest step that fits text). The
    // rungs are nested (each divides the next: 1, 2, 10, 20, … or 5, 10, 20, 100, …), or a
    // label at 50 would sit between those at 40 and 60.
    let mut levels = vec![fine];
    while let Some(&last) = levels.last()
        && last < hi - lo
        && levels.len() < 64
    {
        let mantissa = last / 10f64.powf(last.log10().floor());
        let factor = if (mantissa - 2.0).abs() < 1e-6 {
            5.0
        } else {
            2.0
        };
        levels.push(last * factor);
    }
    let first = (lo / fine).ceil() as i64;
    let last = (hi / fine).floor() as i64;
    if last - first > 2000 {
        return Vec::new();
    }
    (first..=last)
        .map(|k| {
            let value = k as f64 * fine;
            let step_size = levels
                .iter()
                .rev()
                .copied()
                .find(|s| {
                    let q = value / s;
                    (q - q.round()).abs() < 1e-9
                })
                .unwrap_or(fine);
            GridMark { value, step_size }
        })
        .collect()
}

/// Grid marks of a log10 axis: a line at every decade (thicker every ten), at 2 and 5 times
/// a decade when fewer than three decades are in view.
fn decade_spacer(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || hi - lo > 400.0 {
        return Vec::new();
    }
    let mut marks = Vec::new();
    let mut k = lo.floor();
    while k <= hi.ceil() {
        let step = if (k / 10.0).fract() == 0.0 { 10.0 } else { 1.0 };
        marks.push(GridMark {
            value: k,
            step_size: step,
        });
        if hi - lo < 3.0 {
            for m in [2f64, 5.0] {
                marks.push(GridMark {
                    value: k + m.log10(),
                    step_size: 0.1,
                });
            }
        }
        k += 1.0;
    }
    // egui_plot paints every mark it is given, so one outside the view would be labelled
    // outside the plot.
    marks.retain(|m| (lo..=hi).contains(&m.value));
    marks
}

/// Tick label of a log10 axis: `1e-6` on decades, `2e-6` between them.
pub fn log_tick(exponent: f64) -> String {
    if (exponent - exponent.round()).abs() < 1e-9 {
        format!("1e{}", exponent.round())
    } else {
        format!("{:.0e}", 10f64.powf(exponent))
    }
}

/// Tick label of a linear axis with as many digits as the grid step needs (no two labels the
/// same, however far the view is zoomed).
fn linear_tick(mark: GridMark) -> String {
    let v = mark.value;
    if v == 0.0 {
        return "0".to_owned();
    }
    let step = mark.step_size.abs().max(1e-300);
    let magnitude = v.abs();
    if !(1e-3..1e5).contains(&magnitude) || step < 1e-4 * magnitude {
        let digits = ((magnitude / step).log10().ceil().max(0.0) as usize).min(15);
        return format!("{v:.digits$e}");
    }
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decades_are_marked_and_labelled() {
        let marks = decade_spacer(GridInput {
            bounds: (-12.3, -2.2),
            base_step_size: 0.01,
        });
        let decades: Vec<f64> = marks.iter().map(|m| m.value).collect();
        for k in -12..=-3 {
            assert!(decades.contains(&f64::from(k)), "{k}");
        }
        assert!(
            decades.iter().all(|v| (-12.3..=-2.2).contains(v)),
            "{decades:?}"
        );
        assert_eq!(log_tick(-6.0), "1e-6");
        assert_eq!(log_tick(2f64.log10() - 6.0), "2e-6");
    }

    #[test]
    fn linear_labels_stay_distinct_when_zoomed_into_round_off() {
        let labels: Vec<String> = (0..5)
            .map(|i| {
                linear_tick(GridMark {
                    value: 0.05 + f64::from(i) * 1e-9,
                    step_size: 1e-9,
                })
            })
            .collect();
        let mut unique = labels.clone();
        unique.dedup();
        assert_eq!(unique.len(), labels.len(), "{labels:?}");
    }
}

#[cfg(test)]
mod spacer_tests {
    use super::*;

    #[test]
    fn linear_marks_climb_a_nested_ladder() {
        let marks = nested_ladder_spacer(GridInput {
            bounds: (-3.0, 83.0),
            base_step_size: 4.0,
        });
        let values: Vec<f64> = marks.iter().map(|m| m.value).collect();
        assert_eq!(values.first(), Some(&0.0));
        assert_eq!(values.last(), Some(&80.0));
        assert_eq!(values.len(), 17, "every 5: {values:?}");
        let step = |v: f64| marks.iter().find(|m| m.value == v).map(|m| m.step_size);
        assert_eq!(step(5.0), Some(5.0));
        assert_eq!(step(10.0), Some(10.0));
        assert_eq!(step(20.0), Some(20.0));
        assert_eq!(step(40.0), Some(20.0));
        // Nested rungs: 50 is not on the rung of 20, so it carries 10 and is not labelled
        // between 40 and 60.
        assert_eq!(step(50.0), Some(10.0));
        assert_eq!(
            step(0.0),
            marks.iter().map(|m| m.step_size).reduce(f64::max)
        );
        // A wide axis: 10 and 20 carry steps of 10 and 20, not the finest.
        let wide = nested_ladder_spacer(GridInput {
            bounds: (-25.0, 25.0),
            base_step_size: 0.4,
        });
        let step = |v: f64| wide.iter().find(|m| m.value == v).map(|m| m.step_size);
        assert_eq!(step(10.0), Some(10.0));
        assert_eq!(step(20.0), Some(20.0));
        assert_eq!(step(15.0), Some(1.0), "0.5, 1, 2, 10, 20: 5 is not a rung");
        assert_eq!(step(0.5), Some(0.5));
    }
}

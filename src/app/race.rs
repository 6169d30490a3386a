//! Race mode: several solvers on the same scenario side by side. Lanes (one per solver, at the
//! middle value of the race's range) run in lockstep from the same initial state and are drawn
//! as small multiples over shared plots of step size, error estimate and drift; the
//! work–precision sweep ([`crate::race::Race`]) fills its diagram in, a slice of each frame,
//! with the fitted slope of every curve beside its formal order.

use egui_plot::{Line, Plot, PlotPoints, Points};

use super::plots::{Chart, sci};
use crate::gpu::GpuContext;
use crate::race::{self, Measure, Race, RacePlan};
use crate::scenario::Scenario;
use crate::sims::run::{Run, Snapshot, Target, TracePoint};

/// Most solvers a race shows side by side.
pub const MAX_LANES: usize = 8;

/// Frames over which a lane run is spread (the lanes' clock: `until` / this per frame).
const LANE_FRAMES: f64 = 240.0;

/// Curve colours, one per solver (a colour-blind-safe qualitative set, Okabe & Ito 2008).
const COLOURS: [egui::Color32; MAX_LANES] = [
    egui::Color32::from_rgb(0, 114, 178),
    egui::Color32::from_rgb(213, 94, 0),
    egui::Color32::from_rgb(0, 158, 115),
    egui::Color32::from_rgb(204, 121, 167),
    egui::Color32::from_rgb(230, 159, 0),
    egui::Color32::from_rgb(86, 180, 233),
    egui::Color32::from_rgb(240, 228, 66),
    egui::Color32::from_rgb(160, 160, 160),
];

/// One solver's live run.
struct Lane {
    solver: String,
    value: f64,
    run: Box<dyn Run>,
    trace: Vec<TracePoint>,
    snapshot: Snapshot,
    texture: Option<egui::TextureHandle>,
    /// The snapshot the texture shows is current.
    texture_fresh: bool,
    done: bool,
    failure: Option<String>,
}

/// The race as edited in the form.
#[derive(Clone, Debug, PartialEq)]
struct Form {
    key: String,
    from: f64,
    to: f64,
    points: usize,
    until: f64,
    measure: Measure,
    /// Chosen solvers, by link token.
    chosen: Vec<String>,
    /// Run the sweep on the GPU (all runs in one dispatch) where the kernels allow.
    on_gpu: bool,
}

impl Form {
    /// The form showing `plan`.
    fn from_plan(plan: &RacePlan, on_gpu: bool) -> Form {
        let n = plan.values.len();
        Form {
            key: plan.key.clone(),
            from: plan.values[0],
            to: plan.values[n - 1],
            points: n,
            until: plan.until.unwrap_or(f64::NAN),
            measure: plan.measure,
            chosen: plan.solvers.clone(),
            on_gpu,
        }
    }
}

/// The race lab of one scenario.
pub struct RaceLab {
    /// The scenario raced (its link).
    link: String,
    form: Form,
    lanes: Vec<Lane>,
    race: Option<Race>,
    /// Why the last start was refused.
    error: Option<String>,
    /// When the race started.
    started: Option<web_time::Instant>,
    /// Stopped by the user before it finished (what is done stays on screen).
    cancelled: bool,
}

impl RaceLab {
    /// A lab on `scenario` with the preset race of its simulation, not started.
    pub fn new(scenario: &Scenario) -> RaceLab {
        let plan = race::preset(scenario);
        RaceLab {
            link: plan.link.clone(),
            form: Form::from_plan(&plan, false),
            lanes: Vec::new(),
            race: None,
            error: None,
            started: None,
            cancelled: false,
        }
    }

    /// The link the lab races.
    pub fn link(&self) -> &str {
        &self.link
    }

    /// The plan of the form, checked.
    fn plan(&self) -> Result<RacePlan, String> {
        let f = &self.form;
        let scenario = self.link.parse::<Scenario>().map_err(|e| e.to_string())?;
        let clock = scenario.info().has_clock;
        RacePlan::new(
            &self.link,
            &f.key,
            (f.from, f.to),
            f.points,
            f.chosen.clone(),
            clock.then_some(f.until),
            f.measure,
        )
    }

    /// Starts the race `plan` (replacing the form): the lanes and the sweep, the sweep on
    /// `gpu` (every run in one dispatch, f32) when given. A bad plan, or a sweep the GPU
    /// kernels cannot run, is refused with the reason and the current race is kept.
    pub fn start(&mut self, plan: RacePlan, gpu: Option<&GpuContext>) -> Result<(), String> {
        if plan.solvers.len() > MAX_LANES {
            return Err(format!(
                "a race shows at most {MAX_LANES} solvers side by side"
            ));
        }
        let mut race = Race::new(plan.clone())?;
        if let Some(ctx) = gpu {
            let runner = race::gpu::runner(ctx, &race, false)?;
            race.run_batched(runner)?;
        }
        let middle = plan.values[plan.values.len() / 2];
        let scenario = race.scenario().clone();
        let mut lanes = Vec::new();
        for solver in &plan.solvers {
            let link = crate::scenario::edit_link(
                &scenario.to_query(),
                &[
                    (scenario.info().solver_key, solver.clone()),
                    (plan.key.as_str(), crate::core::format_f64(middle)),
                ],
            );
            let scenario = link.parse::<Scenario>().map_err(|e| e.to_string())?;
            let mut run = scenario.cpu_run()?;
            lanes.push(Lane {
                solver: solver.clone(),
                value: middle,
                trace: vec![run.trace()],
                snapshot: run.snapshot(),
                run,
                texture: None,
                texture_fresh: false,
                done: false,
                failure: None,
            });
        }
        self.form = Form::from_plan(&plan, gpu.is_some());
        self.link = plan.link;
        self.lanes = lanes;
        self.race = Some(race);
        self.error = None;
        self.started = Some(web_time::Instant::now());
        self.cancelled = false;
        Ok(())
    }

    /// Whether lanes or the sweep still have work.
    pub fn busy(&self) -> bool {
        !self.cancelled
            && (self.lanes.iter().any(|l| !l.done)
                || self.race.as_ref().is_some_and(|r| !r.is_finished()))
    }

    /// One frame of work within `budget` seconds: the lanes advance together to the next
    /// shared time, then the sweep takes what is left.
    pub fn advance(&mut self, budget: f64) {
        if self.cancelled {
            return;
        }
        let start = web_time::Instant::now();
        let until = self.race.as_ref().and_then(|r| r.plan().until);
        let lanes_t = self
            .lanes
            .iter()
            .filter(|l| !l.done)
            .map(|l| l.run.time())
            .fold(f64::INFINITY, f64::min);
        if lanes_t.is_finite() {
            let lane_budget = 0.5 * budget;
            for lane in self.lanes.iter_mut().filter(|l| !l.done) {
                let outcome = match until {
                    // The lanes share a clock: each takes whole steps (one attempt at a time,
                    // towards the end time, so that the frames do not cut its steps) until it
                    // has passed the frame's time.
                    Some(until) => {
                        let target = (lanes_t + until / LANE_FRAMES).min(until);
                        let mut outcome = Ok(false);
                        while matches!(outcome, Ok(false))
                            && lane.run.time() < target
                            && start.elapsed().as_secs_f64() < lane_budget
                        {
                            outcome = lane.run.advance(Target::Land(until), 1);
                        }
                        outcome.map(|reached| reached || lane.run.time() >= until)
                    }
                    // Diffusion sampling has no shared clock: a step per frame.
                    None => lane.run.advance(Target::Land(0.0), 1),
                };
                match outcome {
                    Ok(done) => lane.done = done,
                    Err(e) => {
                        lane.failure = Some(e);
                        lane.done = true;
                    }
                }
                let point = lane.run.trace();
                if lane.trace.last().is_none_or(|last| last.t != point.t) {
                    lane.trace.push(point);
                }
                lane.snapshot = lane.run.snapshot();
                lane.texture_fresh = false;
            }
        }
        if let Some(race) = &mut self.race {
            let left = budget - start.elapsed().as_secs_f64();
            if !race.is_finished() && left > 0.0 {
                race.advance(left);
            }
        }
    }

    /// The race as JSON for the JS API: plan, progress, points, fits, lanes.
    pub fn json(&self) -> serde_json::Value {
        let Some(race) = &self.race else {
            return serde_json::json!({ "started": false, "link": self.link });
        };
        let lanes: Vec<serde_json::Value> = self
            .lanes
            .iter()
            .map(|l| {
                let last = l.trace.last().copied();
                serde_json::json!({
                    "solver": l.solver,
                    "value": l.value,
                    "t": l.run.time(),
                    "done": l.done,
                    "failure": l.failure,
                    "samples": l.trace.len(),
                    "h": last.map(|p| p.h),
                    "drift": last.map(|p| p.drift),
                })
            })
            .collect();
        serde_json::json!({
            "started": true,
            "link": self.link,
            "plan": race.plan(),
            "backend": race.backend(),
            "finished": race.is_finished(),
            "progress": race.progress(),
            "failure": race.failure(),
            "error_measure": race.measure_name(),
            "work_unit": race.scenario().info().work_unit,
            "fits": race.fits(),
            "lanes": lanes,
        })
    }
}

/// The race lab's central panel.
pub(super) fn central(lab: &mut RaceLab, gpu: Option<&GpuContext>, ui: &mut egui::Ui) {
    form(lab, gpu, ui);
    if let Some(e) = &lab.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    let Some(race) = &lab.race else {
        ui.label(
            "Pick solvers and a range, then start: each solver runs the same scenario from the \
             same initial state (and seed), side by side, while the work–precision diagram \
             fills in below.",
        );
        return;
    };
    let status = match race.failure() {
        Some(f) => format!("The race stopped: {f}"),
        None if race.is_finished() => format!("Done: {} runs.", race.points().len()),
        None if lab.cancelled => format!("Cancelled after {} runs.", race.points().len()),
        None => format!("{} runs done…", race.points().len()),
    };
    let (progress, busy) = (race.progress(), lab.busy());
    let elapsed = lab.started.map_or(0.0, |s| s.elapsed().as_secs_f64());
    let backend = race.backend();
    if busy && super::plots::progress_row(ui, progress, elapsed) {
        lab.cancelled = true;
    }
    ui.horizontal(|ui| {
        ui.label(status);
        ui.weak(format!("Sweep on {backend}."));
    });
    egui::ScrollArea::vertical().show(ui, |ui| {
        small_multiples(lab, ui);
        shared_plots(lab, ui);
        work_precision(lab, ui);
    });
}

fn form(lab: &mut RaceLab, gpu: Option<&GpuContext>, ui: &mut egui::Ui) {
    let scenario = lab.link.parse::<Scenario>().ok();
    ui.horizontal_wrapped(|ui| {
        ui.label("Vary");
        ui.add(egui::TextEdit::singleline(&mut lab.form.key).desired_width(40.0))
            .on_hover_text("A link key: dt, rtol, tol, cfl, nfe, …");
        ui.label("from");
        ui.add(egui::DragValue::new(&mut lab.form.from).speed(0.0).custom_formatter(|v, _| sci(v)));
        ui.label("to");
        ui.add(egui::DragValue::new(&mut lab.form.to).speed(0.0).custom_formatter(|v, _| sci(v)));
        ui.label("in");
        ui.add(egui::DragValue::new(&mut lab.form.points).range(2..=race::MAX_POINTS).clamp_existing_to_range(false));
        ui.label("values (coarse to fine)");
        if lab.form.until.is_finite() {
            ui.label("· until t =");
            ui.add(egui::DragValue::new(&mut lab.form.until).speed(0.05).range(1e-6..=1e6).clamp_existing_to_range(false));
        }
        ui.label("· error vs");
        ui.selectable_value(&mut lab.form.measure, Measure::Scenario, "truth")
            .on_hover_text("The exact solution or published table where the scenario has one, else the drift of its conserved quantity.");
        ui.selectable_value(&mut lab.form.measure, Measure::Reference, "reference run")
            .on_hover_text("Each solver's own run two steps beyond the fine end of the range: the temporal error alone.");
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("Solvers:");
        for (key, label) in scenario
            .as_ref()
            .map(|s| s.info().solvers)
            .unwrap_or_default()
        {
            let mut on = lab.form.chosen.iter().any(|c| c == key);
            if ui.checkbox(&mut on, key).on_hover_text(label).changed() {
                if on {
                    lab.form.chosen.push(key.to_owned());
                } else {
                    lab.form.chosen.retain(|c| c != key);
                }
            }
        }
        if gpu.is_some() {
            ui.label("· sweep on");
            ui.selectable_value(&mut lab.form.on_gpu, false, "CPU f64")
                .on_hover_text("One run after another in double precision.");
            ui.selectable_value(&mut lab.form.on_gpu, true, "GPU f32")
                .on_hover_text(
                    "In single precision on the GPU: three-body leapfrog, yoshida4 and rk4 over dt \
                 all in one dispatch; NLSE and diffusion runs one after another (Navier–Stokes \
                 races stay on the CPU). Errors near the f32 floor are ringed and left out of \
                 the fitted slope.",
                );
        }
        if ui.button("Start race").clicked() {
            let device = gpu.filter(|_| lab.form.on_gpu);
            let started = lab.plan().and_then(|plan| lab.start(plan, device));
            lab.error = started.err();
        }
    });
}

fn small_multiples(lab: &mut RaceLab, ui: &mut egui::Ui) {
    let columns = lab.lanes.len().clamp(1, 4);
    let width = (ui.available_width() / columns as f32 - 8.0).max(120.0);
    let height = (width * 0.6).min(200.0);
    let ctx = ui.ctx().clone();
    for (row, chunk) in lab.lanes.chunks_mut(columns).enumerate() {
        ui.horizontal(|ui| {
            for (i, lane) in chunk.iter_mut().enumerate() {
                let k = row * columns + i;
                ui.vertical(|ui| {
                    ui.set_width(width);
                    let state = match &lane.failure {
                        Some(f) => format!("failed: {f}"),
                        None => format!("t = {:.4}", lane.run.time()),
                    };
                    ui.colored_label(
                        COLOURS[k % MAX_LANES],
                        format!("{} · {}", lane.solver, state),
                    );
                    lane_view(lane, &ctx, ui, k, width, height);
                });
            }
        });
    }
}

fn lane_view(lane: &mut Lane, ctx: &egui::Context, ui: &mut egui::Ui, k: usize, w: f32, h: f32) {
    let colour = COLOURS[k % MAX_LANES];
    let plot = Plot::new(("race-lane", k))
        .width(w)
        .height(h)
        .show_axes([false, false])
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false);
    match &lane.snapshot {
        Snapshot::Curve(points) => {
            plot.show(ui, |p| {
                p.line(Line::new("", PlotPoints::from(points.clone())).color(colour))
            });
        }
        Snapshot::Paths(paths) => {
            plot.data_aspect(1.0).show(ui, |p| {
                for (b, path) in paths.iter().enumerate() {
                    p.line(
                        Line::new("", PlotPoints::from(path.clone()))
                            .color(COLOURS[(k + b) % MAX_LANES]),
                    );
                }
            });
        }
        Snapshot::Points(points) => {
            plot.data_aspect(1.0).show(ui, |p| {
                p.points(
                    Points::new("", PlotPoints::from(points.clone()))
                        .color(colour)
                        .radius(1.0),
                );
            });
        }
        Snapshot::Field(image) => {
            if !lane.texture_fresh || lane.texture.is_none() {
                let pixels = super::colour::field_pixels(image, true);
                let picture = egui::ColorImage::new([image.width, image.height], pixels);
                match &mut lane.texture {
                    Some(t) => t.set(picture, egui::TextureOptions::LINEAR),
                    None => {
                        lane.texture = Some(ctx.load_texture(
                            format!("race-lane-{k}"),
                            picture,
                            egui::TextureOptions::LINEAR,
                        ));
                    }
                }
                lane.texture_fresh = true;
            }
            if let Some(t) = &lane.texture {
                let aspect = image.width as f32 / image.height.max(1) as f32;
                let size = egui::vec2(w.min(h * aspect), w.min(h * aspect) / aspect);
                ui.image((t.id(), size));
            }
        }
    }
}

/// Picks one value of a trace point.
type TraceValue = fn(&TracePoint) -> f64;

/// Step size, error estimate and drift of every lane over time.
fn shared_plots(lab: &RaceLab, ui: &mut egui::Ui) {
    let series = |pick: fn(&TracePoint) -> f64| -> Vec<(usize, &str, Vec<[f64; 2]>)> {
        lab.lanes
            .iter()
            .enumerate()
            .map(|(k, l)| {
                let points = l.trace.iter().map(|p| [p.t, pick(p).abs()]).collect();
                (k, l.solver.as_str(), points)
            })
            .collect()
    };
    let plots: [(&str, &str, &str, TraceValue); 3] = [
        ("race-h", "Step size", "h", |p| p.h),
        (
            "race-err",
            "Error estimate",
            "scaled error (1 = tolerance)",
            |p| p.error_estimate,
        ),
        (
            "race-drift",
            "Drift of the conserved quantity, or error",
            "|drift| or error",
            |p| p.drift,
        ),
    ];
    let x_title = if lab.form.until.is_finite() {
        "t"
    } else {
        "t (diffusion: t_max → t_min)"
    };
    ui.columns(3, |cols| {
        for (col, (id, title, y_title, pick)) in cols.iter_mut().zip(plots) {
            col.label(title);
            Chart::new(id, x_title, y_title)
                .log_y()
                .height(160.0)
                .legend()
                .show(col, |s| {
                    for (k, name, points) in series(pick) {
                        s.line(name, points, COLOURS[k % MAX_LANES]);
                    }
                });
        }
    });
}

/// Error against work and against wall time, log–log, one curve per solver, its fitted slope
/// (the observed order) in the legend beside the formal order.
fn work_precision(lab: &RaceLab, ui: &mut egui::Ui) {
    let Some(race) = &lab.race else { return };
    let fits = race.fits();
    ui.label(format!(
        "Work–precision: error ({}) against {} and against wall time",
        if race.measure_name().is_empty() {
            "pending"
        } else {
            race.measure_name()
        },
        race.scenario().info().work_unit
    ));
    let name = |fit: &race::SolverFit| {
        let observed = fit
            .observed_order
            .map_or("—".to_owned(), |p| format!("{p:.2}"));
        let theory = fit.theory_order.map_or("—".to_owned(), |p| format!("{p}"));
        format!("{}: slope {observed} (theory {theory})", fit.solver)
    };
    ui.columns(2, |cols| {
        for (c, (id, x_of)) in [
            (
                "race-wp-work",
                (|p: &race::RacePoint| p.work) as fn(&race::RacePoint) -> f64,
            ),
            ("race-wp-time", |p: &race::RacePoint| p.seconds),
        ]
        .into_iter()
        .enumerate()
        {
            let x_title = if c == 0 {
                race.scenario().info().work_unit
            } else {
                "wall time (s)"
            };
            let y_title = if race.measure_name().is_empty() {
                "error".to_owned()
            } else {
                race.measure_name().to_owned()
            };
            Chart::new(id, x_title, y_title)
                .log_x()
                .log_y()
                .height(240.0)
                .legend()
                .show(&mut cols[c], |s| {
                    for (k, fit) in fits.iter().enumerate() {
                        let point = |q: &race::RacePoint| [x_of(q), q.error];
                        let mut points: Vec<[f64; 2]> = fit.points.iter().map(point).collect();
                        let at_floor: Vec<[f64; 2]> = fit
                            .points
                            .iter()
                            .filter(|q| !q.resolved())
                            .map(point)
                            .collect();
                        // Wall times need not grow with the work (timer noise): the curve
                        // joins the points in order of x.
                        points.sort_by(|a, b| a[0].total_cmp(&b[0]));
                        let colour = COLOURS[k % MAX_LANES];
                        let label = name(fit);
                        s.line(&label, points.clone(), colour);
                        s.points(&label, points, colour, 3.0);
                        if !at_floor.is_empty() {
                            // Ringed: the arithmetic's floor, not the method, sets these.
                            s.rings(
                                "ringed: at the f32 floor, not fitted",
                                at_floor,
                                ui_error_colour(),
                                6.0,
                            );
                        }
                    }
                });
        }
    });
}

/// The ring around points limited by the arithmetic.
fn ui_error_colour() -> egui::Color32 {
    egui::Color32::from_rgb(200, 40, 40)
}

/// The race mode of the app: the lab shown instead of the single run.
impl super::StepscopeApp {
    /// Shows the race lab (`true`) or the single run. The lab opens on the current scenario
    /// (a race on another scenario is replaced; one on this scenario is kept).
    pub fn set_race_mode(&mut self, on: bool) {
        if on {
            let scenario = self.scenario();
            let link = crate::race::preset(&scenario).link;
            let stale = self.race_lab.as_ref().is_none_or(|lab| lab.link() != link);
            if stale {
                self.race_lab = Some(RaceLab::new(&scenario));
            }
        }
        self.race_mode = on;
    }

    /// Whether the race lab is shown.
    pub fn race_mode(&self) -> bool {
        self.race_mode
    }

    /// Races the current scenario: a plan as JSON, `{"key": "dt", "from": 0.1, "to": 0.0125,
    /// "points": 4, "solvers": ["strang", "rk4ip"], "until": 1, "measure": "scenario" |
    /// "reference"}` (missing fields from the simulation's preset race). Shows the lab.
    pub fn start_race(&mut self, spec: &str) -> Result<(), String> {
        let spec: serde_json::Value =
            serde_json::from_str(spec).map_err(|e| format!("the race is not valid JSON: {e}"))?;
        let scenario = self.scenario();
        let preset = crate::race::preset(&scenario);
        let number = |name: &str, default: f64| -> Result<f64, String> {
            match spec.get(name) {
                None => Ok(default),
                Some(v) => v
                    .as_f64()
                    .ok_or_else(|| format!("race: '{name}' must be a number")),
            }
        };
        let n = preset.values.len();
        let key = match spec.get("key") {
            None => preset.key.clone(),
            Some(v) => v.as_str().ok_or("race: 'key' must be a string")?.to_owned(),
        };
        let solvers = match spec.get("solvers") {
            None => preset.solvers.clone(),
            Some(v) => v
                .as_array()
                .ok_or("race: 'solvers' must be a list of names")?
                .iter()
                .map(|s| {
                    s.as_str()
                        .map(str::to_owned)
                        .ok_or("race: solver names are strings")
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let measure = match spec.get("measure") {
            None => preset.measure,
            Some(v) => v
                .as_str()
                .and_then(crate::race::Measure::from_key)
                .ok_or("race: 'measure' is \"scenario\" or \"reference\"")?,
        };
        let points = number("points", n as f64)?;
        if !(points.fract() == 0.0 && points >= 0.0) {
            return Err(format!(
                "race: 'points' must be a whole number, got {points}"
            ));
        }
        let until = match preset.until {
            Some(u) => Some(number("until", u)?),
            None => None,
        };
        let plan = crate::race::RacePlan::new(
            &preset.link,
            &key,
            (
                number("from", preset.values[0])?,
                number("to", preset.values[n - 1])?,
            ),
            points as usize,
            solvers,
            until,
            measure,
        )?;
        let on_gpu = match spec.get("backend").map(|b| b.as_str()) {
            None | Some(Some("cpu")) => false,
            Some(Some("gpu")) => true,
            Some(_) => return Err("race: 'backend' is \"cpu\" or \"gpu\"".into()),
        };
        if on_gpu && self.gpu.is_none() {
            return Err("race: no GPU adapter, so no GPU race".into());
        }
        self.set_race_mode(true);
        let gpu = self.gpu.as_ref().filter(|_| on_gpu);
        match &mut self.race_lab {
            Some(lab) => lab.start(plan, gpu),
            None => Err("the race lab did not open".into()),
        }
    }

    /// The race lab's state as JSON (`{"started": false}` before a race).
    pub fn race_json(&self) -> String {
        match &self.race_lab {
            Some(lab) => lab.json().to_string(),
            None => serde_json::json!({ "started": false }).to_string(),
        }
    }
}

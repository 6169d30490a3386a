//! The headless command line (native only):
//!
//! `stepscope run <LINK|FILE> --until T [--backend cpu|gpu] [--every DT] --out run.csv|run.jsonl`
//! `stepscope sweep <LINK|FILE> --vary KEY=A..B [--points N] --solvers a,b,c [--until T] --out wp.csv`
//!
//! runs any scenario without a window and writes its diagnostics, one row per sample time
//! (diffusion sampling: one row per step, from t_max down to t_min, and no `--until`). A
//! progress bar on a terminal, plain progress lines otherwise. Exit codes: 0 done, 1 the run
//! failed (the rows up to the failure are written), 2 bad arguments or a bad link. Each run is
//! one process with one link, so sweeps run unchanged under any job scheduler.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::headless::{Backend, HeadlessRun};
use crate::scenario::Scenario;

/// Exit code of a run that failed (diverged, step-size underflow).
pub const EXIT_RUN_FAILED: i32 = 1;
/// Exit code of bad arguments or a bad link.
pub const EXIT_BAD_INPUT: i32 = 2;

/// Samples written when `--every` is not given.
const DEFAULT_SAMPLES: f64 = 200.0;

#[derive(Parser, Debug)]
#[command(
    name = "stepscope",
    about = "stepscope without a window: run a scenario from its share link and write its diagnostics.",
    after_help = "Without a subcommand, `stepscope [LINK | FILE]` opens the playground."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs a scenario and writes its diagnostics as CSV or JSON lines.
    Run(RunArgs),
    /// Runs a scenario once per solver and value of a parameter (a tolerance, a step, an NFE)
    /// and writes the work–precision data; prints each solver's observed order.
    Sweep(SweepArgs),
}

#[derive(clap::Args, Debug)]
struct SweepArgs {
    /// A share link or a file holding one.
    scenario: String,
    /// The link key to vary and its range, e.g. 'rtol=1e-3..1e-12' or 'dt=0.1..0.0125'
    /// (values spaced geometrically).
    #[arg(long)]
    vary: String,
    /// Values of the range.
    #[arg(long, default_value_t = 5)]
    points: usize,
    /// The solvers (link values of `solver`, or `sampler` for diffusion), comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    solvers: Vec<String>,
    /// End time of each run (not for diffusion sampling).
    #[arg(long, allow_hyphen_values = true)]
    until: Option<f64>,
    /// Where the numbers are computed.
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    backend: BackendArg,
    /// Output file: .csv or .jsonl; '-' writes CSV to standard output.
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// A share link (e.g. '?s=nlse&case=soliton&solver=rk4ip') or a file holding one.
    scenario: String,
    /// End time (not for diffusion sampling, which always runs from t_max down to t_min).
    #[arg(long, allow_hyphen_values = true)]
    until: Option<f64>,
    /// Where the numbers are computed: the f64 CPU reference or the f32 GPU path.
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    backend: BackendArg,
    /// Time between rows (default: a 200th of the run).
    #[arg(long, allow_hyphen_values = true)]
    every: Option<f64>,
    /// Output file: .csv or .jsonl (JSON lines); '-' writes CSV to standard output.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum BackendArg {
    Cpu,
    Gpu,
}

/// Whether `stepscope` was called with a subcommand of this command line (rather than a link
/// for the playground).
pub fn is_command(first_argument: &str) -> bool {
    matches!(first_argument, "run" | "sweep")
}

/// Runs the command line on `args` (the program name first); returns the exit code.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Run(args) => run(&args),
        Command::Sweep(args) => sweep(&args),
    };
    match result {
        Ok(()) => 0,
        Err(Failure::BadInput(message)) => {
            eprintln!("stepscope: {message}");
            EXIT_BAD_INPUT
        }
        Err(Failure::Run(message)) => {
            eprintln!("stepscope: the run failed: {message}");
            EXIT_RUN_FAILED
        }
    }
}

enum Failure {
    BadInput(String),
    Run(String),
}

/// Output formats.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    JsonLines,
}

/// The rows' destination.
struct Output {
    format: Format,
    columns: Vec<&'static str>,
    sink: Box<dyn Write>,
}

/// A value of a row: a number, or a label (the solver of a sweep).
enum Cell<'a> {
    Number(f64),
    Label(&'a str),
}

impl Output {
    fn open(path: &Path, columns: Vec<&'static str>) -> Result<Output, String> {
        let (format, sink): (Format, Box<dyn Write>) = if path == Path::new("-") {
            (Format::Csv, Box::new(std::io::stdout().lock()))
        } else {
            let format = match path.extension().and_then(|e| e.to_str()) {
                Some("csv") => Format::Csv,
                Some("jsonl") => Format::JsonLines,
                _ => {
                    return Err(format!(
                        "--out {}: the file name must end in .csv or .jsonl",
                        path.display()
                    ));
                }
            };
            let file = std::fs::File::create(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            (format, Box::new(std::io::BufWriter::new(file)))
        };
        let mut output = Output {
            format,
            columns,
            sink,
        };
        if format == Format::Csv {
            let header = output.columns.join(",");
            output.line(&header)?;
        }
        Ok(output)
    }

    fn line(&mut self, text: &str) -> Result<(), String> {
        writeln!(self.sink, "{text}").map_err(|e| format!("writing the output: {e}"))
    }

    /// Writes one row of numbers.
    fn row(&mut self, values: &[f64]) -> Result<(), String> {
        let cells: Vec<Cell> = values.iter().map(|v| Cell::Number(*v)).collect();
        self.cells(&cells)
    }

    /// Writes one row: CSV numbers in shortest round-trip form (NaN: empty), JSON lines with
    /// null for NaN.
    fn cells(&mut self, cells: &[Cell]) -> Result<(), String> {
        let text = match self.format {
            Format::Csv => cells
                .iter()
                .map(|c| match c {
                    Cell::Number(v) if v.is_nan() => String::new(),
                    Cell::Number(v) => format!("{v:e}"),
                    Cell::Label(text) => (*text).to_owned(),
                })
                .collect::<Vec<_>>()
                .join(","),
            Format::JsonLines => {
                let object: serde_json::Map<String, serde_json::Value> = self
                    .columns
                    .iter()
                    .zip(cells)
                    .map(|(c, cell)| {
                        let value = match cell {
                            Cell::Number(v) => serde_json::Number::from_f64(*v)
                                .map_or(serde_json::Value::Null, serde_json::Value::Number),
                            Cell::Label(text) => serde_json::Value::String((*text).to_owned()),
                        };
                        ((*c).to_owned(), value)
                    })
                    .collect();
                serde_json::Value::Object(object).to_string()
            }
        };
        self.line(&text)
    }

    fn finish(&mut self) -> Result<(), String> {
        self.sink
            .flush()
            .map_err(|e| format!("writing the output: {e}"))
    }
}

/// Progress on standard error: a bar on a terminal, a line per 10% otherwise.
struct Progress {
    terminal: bool,
    last_tenth: i64,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            terminal: std::io::stderr().is_terminal(),
            last_tenth: -1,
        }
    }

    fn show(&mut self, fraction: f64, t: f64) {
        let fraction = fraction.clamp(0.0, 1.0);
        if self.terminal {
            let filled = (fraction * 30.0).round() as usize;
            eprint!(
                "\r[{}{}] {:5.1}%  t = {t:.6}",
                "#".repeat(filled),
                " ".repeat(30 - filled),
                100.0 * fraction
            );
            if fraction >= 1.0 {
                eprintln!();
            }
        } else {
            let tenth = (fraction * 10.0).floor() as i64;
            if tenth > self.last_tenth {
                self.last_tenth = tenth;
                eprintln!("progress {:3}%  t = {t:.6}", 10 * tenth);
            }
        }
    }
}

/// The scenario of a link or of a file holding one.
fn scenario_of(argument: &str) -> Result<Scenario, String> {
    let link = if Path::new(argument).is_file() {
        std::fs::read_to_string(argument)
            .map_err(|e| format!("cannot read {argument}: {e}"))?
            .trim()
            .to_owned()
    } else {
        argument.to_owned()
    };
    Scenario::from_link(&link).map_err(|e| format!("bad link '{link}': {e}"))
}

fn run(args: &RunArgs) -> Result<(), Failure> {
    let bad = Failure::BadInput;
    let scenario = scenario_of(&args.scenario).map_err(bad)?;
    let backend = match args.backend {
        BackendArg::Cpu => Backend::Cpu,
        BackendArg::Gpu => Backend::Gpu,
    };
    let mut run = HeadlessRun::new(&scenario, backend).map_err(bad)?;
    let t0 = run.time();
    // Check the times before any output is created.
    let until = if run.has_clock() {
        let until = args
            .until
            .ok_or_else(|| bad("--until T is needed: the time to run to".to_owned()))?;
        if !until.is_finite() || until <= t0 {
            return Err(bad(format!(
                "--until {until}: the end time must be a finite number after the start ({t0})"
            )));
        }
        Some(until)
    } else {
        if args.until.is_some() {
            return Err(bad(
                "diffusion sampling runs from t_max down to t_min: leave out --until".into(),
            ));
        }
        None
    };
    let every = match (args.every, until) {
        (Some(every), _) if !(every.is_finite() && every > 0.0) => {
            return Err(bad(format!(
                "--every {every}: the time between rows must be a positive number"
            )));
        }
        (Some(every), _) => every,
        (None, Some(until)) => (until - t0) / DEFAULT_SAMPLES,
        (None, None) => 0.0,
    };
    let mut output = Output::open(&args.out, run.columns()).map_err(bad)?;
    let mut progress = Progress::new();
    let result = match until {
        Some(until) => sample_until(&mut run, &mut output, &mut progress, t0, until, every),
        None => {
            let finished = run.finish();
            for row in run.diffusion_rows() {
                output.row(&row).map_err(Failure::BadInput)?;
            }
            progress.show(1.0, run.time());
            finished.map_err(Failure::Run)
        }
    };
    output.finish().map_err(Failure::BadInput)?;
    if let Some(summary) = run.summary() {
        eprintln!("{summary}");
    }
    result
}

/// Advances to t0 + k·every (k = 1, 2, …) and to `until`, writing a row at the start and
/// after each advance; targets the run has already passed (Navier–Stokes steps follow the
/// CFL number) are skipped.
fn sample_until(
    run: &mut HeadlessRun,
    output: &mut Output,
    progress: &mut Progress,
    t0: f64,
    until: f64,
    every: f64,
) -> Result<(), Failure> {
    let write =
        |output: &mut Output, run: &HeadlessRun| output.row(&run.row()).map_err(Failure::BadInput);
    write(output, run)?;
    let mut k = 1u64;
    loop {
        let now = run.time();
        if now >= until {
            break;
        }
        while t0 + k as f64 * every <= now {
            k += 1;
        }
        let target = (t0 + k as f64 * every).min(until);
        let advanced = run.advance_to(target);
        write(output, run)?;
        progress.show((run.time() - t0) / (until - t0), run.time());
        advanced.map_err(Failure::Run)?;
        if target >= until {
            break;
        }
    }
    Ok(())
}

/// `KEY=A..B` → (key, A, B).
fn parse_range(vary: &str) -> Result<(String, f64, f64), String> {
    let bad = || format!("--vary {vary}: expected KEY=A..B, e.g. rtol=1e-3..1e-12");
    let (key, range) = vary.split_once('=').ok_or_else(bad)?;
    let (a, b) = range.split_once("..").ok_or_else(bad)?;
    let (a, b): (f64, f64) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if key.trim().is_empty() || !(a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0) {
        return Err(format!(
            "--vary {vary}: the key must be named and both ends be positive numbers"
        ));
    }
    Ok((key.trim().to_owned(), a, b))
}

/// A solver's (work, error) points and its formal order.
type SolverPoints = (String, Vec<(f64, f64)>, Option<u32>);

/// What the work of a sweep counts.
fn work_unit(scenario: &Scenario) -> &'static str {
    match scenario {
        Scenario::NavierStokes(_) => "time steps",
        Scenario::Diffusion(_) => "denoiser evaluations per particle",
        _ => "right-hand-side evaluations",
    }
}

fn sweep(args: &SweepArgs) -> Result<(), Failure> {
    let bad = Failure::BadInput;
    let base = scenario_of(&args.scenario).map_err(bad)?;
    let link = base.to_query();
    let (key, from, to) = parse_range(&args.vary).map_err(bad)?;
    if !(2..=50).contains(&args.points) {
        return Err(bad(format!(
            "--points {}: a sweep has 2 to 50 values",
            args.points
        )));
    }
    // Integer ends (an NFE, a grid size) give integer values, each once.
    let integer = from.fract() == 0.0 && to.fract() == 0.0;
    let mut values: Vec<f64> = (0..args.points)
        .map(|i| from * (to / from).powf(i as f64 / (args.points - 1) as f64))
        .map(|v| if integer { v.round() } else { v })
        .collect();
    values.dedup();
    let backend = match args.backend {
        BackendArg::Cpu => Backend::Cpu,
        BackendArg::Gpu => Backend::Gpu,
    };
    let solver_key = match base {
        Scenario::Diffusion(_) => "sampler",
        _ => "solver",
    };
    // Every scenario is built before anything runs, so bad input costs no compute.
    let mut plan: Vec<(String, f64, Scenario)> = Vec::new();
    for solver in &args.solvers {
        for value in &values {
            let edited = Scenario::edit_link(
                &link,
                &[
                    (solver_key, solver.clone()),
                    (key.as_str(), crate::core::format_f64(*value)),
                ],
            );
            let scenario = Scenario::from_link(&edited)
                .map_err(|e| bad(format!("{solver}, {key} = {value:e}: {e}")))?;
            plan.push((solver.clone(), *value, scenario));
        }
    }
    let clock = HeadlessRun::new(&plan[0].2, backend)
        .map_err(bad)?
        .has_clock();
    match (clock, args.until) {
        (true, Some(t)) if t.is_finite() && t > 0.0 => {}
        (true, _) => {
            return Err(bad(
                "--until T is needed: each run goes to this finite end time".into(),
            ));
        }
        (false, Some(_)) => {
            return Err(bad(
                "diffusion sampling runs from t_max down to t_min: leave out --until".into(),
            ));
        }
        (false, None) => {}
    }
    let mut output = Output::open(
        &args.out,
        vec!["solver", "value", "work", "error", "seconds", "order"],
    )
    .map_err(bad)?;
    let mut progress = Progress::new();
    let mut measured: Vec<SolverPoints> = Vec::new();
    let mut measure_name = "";
    for (k, (solver, value, scenario)) in plan.iter().enumerate() {
        let start = std::time::Instant::now();
        let mut run = HeadlessRun::new(scenario, backend).map_err(bad)?;
        let outcome = match args.until {
            Some(t) => run.advance_to(t),
            None => run.finish(),
        };
        let seconds = start.elapsed().as_secs_f64();
        let error = match (&outcome, run.accuracy()) {
            (Ok(()), Some((error, name))) => {
                measure_name = name;
                error
            }
            (Err(e), _) => {
                eprintln!(
                    "{solver}, {key} = {value:e}: the run failed ({e}); its error is left empty"
                );
                f64::NAN
            }
            (Ok(()), None) => {
                return Err(bad("this scenario has no exact solution, table or conserved quantity to measure the error against".into()));
            }
        };
        let order = run.method_order();
        output
            .cells(&[
                Cell::Label(solver),
                Cell::Number(*value),
                Cell::Number(run.work()),
                Cell::Number(error),
                Cell::Number(seconds),
                Cell::Number(order.map_or(f64::NAN, f64::from)),
            ])
            .map_err(Failure::BadInput)?;
        match measured.iter_mut().find(|(s, ..)| s == solver) {
            Some((_, points, _)) => points.push((run.work(), error)),
            None => measured.push((solver.clone(), vec![(run.work(), error)], order)),
        }
        progress.show((k + 1) as f64 / plan.len() as f64, run.time());
    }
    output.finish().map_err(Failure::BadInput)?;
    eprintln!("error: {measure_name}; work: {}", work_unit(&base));
    for (solver, points, order) in &measured {
        let observed = crate::core::fit::observed_order(points)
            .map_or("—".to_owned(), |p| format!("{p:.2}"));
        let theory = order.map_or(String::new(), |p| format!(" (theory {p})"));
        eprintln!("{solver}: observed order {observed}{theory}");
    }
    Ok(())
}

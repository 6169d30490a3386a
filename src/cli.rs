//! The headless command line (native only):
//!
//! `stepscope run <LINK|FILE> --until T [--backend cpu|gpu] [--every DT] --out run.csv|run.jsonl`
//! `stepscope sweep <LINK|FILE> --vary KEY=A..B [--points N] --solvers a,b,c [--until T] --out wp.csv`
//! `stepscope bench [--suite NAME,…] [--quick]`
//!
//! runs any scenario without a window and writes its diagnostics, one row per sample time
//! (diffusion sampling: one row per step, from t_max down to t_min, and no `--until`). A
//! progress bar on a terminal, plain progress lines otherwise. Exit codes: 0 done, 1 the run
//! failed (the rows up to the failure are written), 2 bad arguments or a bad link. Each run is
//! one process with one link, so sweeps run unchanged under any job scheduler.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::checkpoint::Checkpoint;
use crate::gpu::GpuContext;
use crate::race::{self, Measure, Race, RacePlan};
use crate::scenario::Scenario;
use crate::sims::run::{self as runs, Run, Target};

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
    /// Prints the benchmark tables of the four simulations and the GPU layer (wall-clock on
    /// this machine; GPU rows name their adapter and are skipped without one).
    Bench(BenchArgs),
}

#[derive(clap::Args, Debug)]
struct BenchArgs {
    /// Only these suites (comma-separated): nlse, nlse-gpu, threebody, diffusion,
    /// navier-stokes, gpu.
    #[arg(long, value_delimiter = ',')]
    suite: Vec<String>,
    /// The smallest sizes and one repetition: a check in seconds, not a measurement.
    #[arg(long)]
    quick: bool,
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
    /// What the error is measured against: the scenario's exact solution, table or conserved
    /// quantity, or a reference run two steps beyond the finer end of the range (for the
    /// temporal error of a spatially discretised flow).
    #[arg(long, value_enum, default_value_t = AgainstArg::Scenario)]
    against: AgainstArg,
    /// Where the runs go: one by one on the f64 CPU, or on the f32 GPU (three-body
    /// leapfrog, yoshida4 and rk4 over dt all in one dispatch; NLSE and diffusion runs one
    /// after another; Navier–Stokes races stay on the CPU).
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    backend: BackendArg,
    /// Output file: .csv or .jsonl; '-' writes CSV to standard output.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum AgainstArg {
    Scenario,
    Reference,
}

impl AgainstArg {
    fn measure(self) -> Measure {
        match self {
            AgainstArg::Scenario => Measure::Scenario,
            AgainstArg::Reference => Measure::Reference,
        }
    }
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
    /// Writes the final state to this file (JSON with the link): `stepscope run FILE --until
    /// T` continues from it exactly.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Cpu,
    Gpu,
}

/// A GPU device for headless work (a real adapter if there is one, else a software one).
fn device() -> Result<GpuContext, String> {
    pollster::block_on(GpuContext::headless(false))
        .map_err(|e| format!("no GPU adapter for --backend gpu: {e}"))
}

/// Whether `stepscope` was called with a subcommand of this command line (rather than a link
/// for the playground).
pub fn is_command(first_argument: &str) -> bool {
    matches!(first_argument, "run" | "sweep" | "bench")
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
        Command::Bench(args) => bench(&args),
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

    fn show(&mut self, fraction: f64, detail: &str) {
        let fraction = fraction.clamp(0.0, 1.0);
        if self.terminal {
            let filled = (fraction * 30.0).round() as usize;
            eprint!(
                "\r[{}{}] {:5.1}%  {detail}",
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
                eprintln!("progress {:3}%  {detail}", 10 * tenth);
            }
        }
    }
}

/// What a run starts from: a scenario's initial state, or a saved state.
enum Start {
    Link(Scenario),
    Checkpoint(Box<Checkpoint>),
}

/// The start of a link, of a file holding one, or of a checkpoint file.
fn start_of(argument: &str) -> Result<Start, String> {
    let link = if Path::new(argument).is_file() {
        let text = std::fs::read_to_string(argument)
            .map_err(|e| format!("cannot read {argument}: {e}"))?;
        if let Some(checkpoint) = Checkpoint::from_json(&text) {
            return Ok(Start::Checkpoint(Box::new(
                checkpoint.map_err(|e| format!("{argument}: {e}"))?,
            )));
        }
        text.trim().to_owned()
    } else {
        argument.to_owned()
    };
    link.parse::<Scenario>()
        .map(Start::Link)
        .map_err(|e| format!("bad link '{link}': {e}"))
}

/// The scenario of a link or of a file holding one (a checkpoint's link, for a sweep).
fn scenario_of(argument: &str) -> Result<Scenario, String> {
    match start_of(argument)? {
        Start::Link(scenario) => Ok(scenario),
        Start::Checkpoint(c) => c
            .link
            .parse::<Scenario>()
            .map_err(|e| format!("the checkpoint's link is bad: {e}")),
    }
}

fn run(args: &RunArgs) -> Result<(), Failure> {
    let bad = Failure::BadInput;
    let (scenario, mut run) = match start_of(&args.scenario).map_err(bad)? {
        Start::Link(scenario) => {
            let run = match args.backend {
                BackendArg::Cpu => scenario.cpu_run(),
                BackendArg::Gpu => device()
                    .and_then(|ctx| scenario.gpu_run(&ctx))
                    .map_err(|e| format!("--backend gpu: {e}; use --backend cpu")),
            }
            .map_err(bad)?;
            (scenario, run)
        }
        Start::Checkpoint(_) if args.backend == BackendArg::Gpu => {
            return Err(bad(
                "a checkpoint continues on the CPU (f64): use --backend cpu".into(),
            ));
        }
        Start::Checkpoint(c) => Scenario::restore(&c).map_err(bad)?,
    };
    if let Some(path) = &args.checkpoint
        && path.extension().and_then(|e| e.to_str()) != Some("json")
    {
        return Err(bad(format!(
            "--checkpoint {}: the file name must end in .json",
            path.display()
        )));
    }
    if args.checkpoint.is_none() {
        // The rows never show the dye; only a checkpoint saves it.
        run.drop_view_only_state();
    }
    let t0 = run.time();
    // Check the times before any output is created.
    let until = if scenario.info().has_clock {
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
        Some(until) => sample_until(run.as_mut(), &mut output, &mut progress, t0, until, every),
        None => {
            let finished = runs::finish(run.as_mut());
            for row in run.step_rows() {
                output.row(&row).map_err(Failure::BadInput)?;
            }
            progress.show(1.0, &format!("t = {:.6}", run.time()));
            finished.map_err(Failure::Run)
        }
    };
    output.finish().map_err(Failure::BadInput)?;
    if let Some(summary) = run.summary() {
        eprintln!("{summary}");
    }
    result?;
    if let Some(path) = &args.checkpoint {
        let checkpoint = scenario
            .checkpoint(run.as_ref())
            .map_err(Failure::BadInput)?;
        std::fs::write(path, checkpoint.to_json())
            .map_err(|e| Failure::BadInput(format!("cannot write {}: {e}", path.display())))?;
        eprintln!(
            "checkpoint at t = {} written to {}",
            checkpoint.t,
            path.display()
        );
    }
    Ok(())
}

/// Advances to t0 + k·every (k = 1, 2, …) and to `until`, writing a row at the start and
/// after each advance; targets the run has already passed (Navier–Stokes steps follow the
/// CFL number) are skipped.
fn sample_until(
    run: &mut dyn Run,
    output: &mut Output,
    progress: &mut Progress,
    t0: f64,
    until: f64,
    every: f64,
) -> Result<(), Failure> {
    let write =
        |output: &mut Output, run: &dyn Run| output.row(&run.row()).map_err(Failure::BadInput);
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
        let advanced = runs::advance_to(run, Target::Sample(target));
        write(output, run)?;
        progress.show(
            (run.time() - t0) / (until - t0),
            &format!("t = {:.6}", run.time()),
        );
        advanced.map_err(Failure::Run)?;
        if target >= until {
            break;
        }
    }
    Ok(())
}

fn sweep(args: &SweepArgs) -> Result<(), Failure> {
    let bad = Failure::BadInput;
    let base = scenario_of(&args.scenario).map_err(bad)?;
    let (key, from, to) = race::parse_range(&args.vary).map_err(|e| bad(format!("--vary {e}")))?;
    let plan = RacePlan::new(
        &base.to_query(),
        &key,
        (from, to),
        args.points,
        args.solvers.clone(),
        args.until,
        args.against.measure(),
    )
    .map_err(|e| bad(format!("--points/--vary: {e}")))?;
    let mut race = Race::new(plan).map_err(bad)?;
    if let BackendArg::Gpu = args.backend {
        if let Some(why) = race::gpu::unsupported(&race) {
            return Err(bad(format!("--backend gpu: {why}")));
        }
        let ctx = device().map_err(Failure::Run)?;
        let runner = race::gpu::runner(&ctx, &race, true).map_err(bad)?;
        race.run_batched(runner).map_err(bad)?;
    }
    eprintln!("runs on: {}", race.backend());
    let mut output = Output::open(
        &args.out,
        vec![
            "solver", "value", "work", "error", "seconds", "order", "floor",
        ],
    )
    .map_err(bad)?;
    let mut progress = Progress::new();
    let mut written = 0;
    let mut write_error = None;
    race.run_to_end(|race| {
        for point in &race.points()[written..] {
            if let Some(failure) = &point.failure {
                eprintln!(
                    "{}, {key} = {:e}: the run failed ({failure}); its error is left empty",
                    point.solver, point.value
                );
            }
            let order = race
                .fits()
                .iter()
                .find(|f| f.solver == point.solver)
                .and_then(|f| f.theory_order);
            let written_row = output.cells(&[
                Cell::Label(&point.solver),
                Cell::Number(point.value),
                Cell::Number(point.work),
                Cell::Number(point.error),
                Cell::Number(point.seconds),
                Cell::Number(order.unwrap_or(f64::NAN)),
                Cell::Number(point.floor.unwrap_or(f64::NAN)),
            ]);
            if let Err(e) = written_row {
                write_error.get_or_insert(e);
            }
        }
        written = race.points().len();
        progress.show(
            race.progress(),
            &format!("{} runs done", race.points().len()),
        );
    });
    output.finish().map_err(Failure::BadInput)?;
    if let Some(e) = write_error {
        return Err(Failure::BadInput(e));
    }
    if let Some(failure) = race.failure() {
        return Err(Failure::Run(failure.to_owned()));
    }
    eprintln!(
        "error: {}; work: {}",
        race.measure_name(),
        race.scenario().info().work_unit
    );
    for fit in race.fits() {
        let observed = fit
            .observed_order
            .map_or("—".to_owned(), |p| format!("{p:.2}"));
        let theory = fit
            .theory_order
            .map_or(String::new(), |p| format!(" (theory {p})"));
        let unresolved = fit.points.iter().filter(|p| !p.resolved()).count();
        let floor_note = if unresolved > 0 {
            format!(
                "; {unresolved} point(s) within {}x of the arithmetic's floor left out of the fit",
                race::FLOOR_MARGIN
            )
        } else {
            String::new()
        };
        eprintln!(
            "{}: observed order {observed}{theory}{floor_note}",
            fit.solver
        );
    }
    Ok(())
}

fn bench(args: &BenchArgs) -> Result<(), Failure> {
    use crate::bench::{SUITES, Scale};
    let known: Vec<&str> = SUITES.iter().map(|(name, _)| *name).collect();
    if let Some(unknown) = args.suite.iter().find(|s| !known.contains(&s.as_str())) {
        return Err(Failure::BadInput(format!(
            "--suite {unknown}: unknown suite (known: {})",
            known.join(", ")
        )));
    }
    let scale = Scale { quick: args.quick };
    for (name, run) in SUITES {
        if args.suite.is_empty() || args.suite.iter().any(|s| s == name) {
            println!("== {name}{}", if args.quick { " (quick)" } else { "" });
            run(scale);
            println!();
        }
    }
    Ok(())
}

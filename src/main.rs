//! The desktop build: `stepscope [LINK | FILE]` opens the playground on a share link (the same
//! `?s=nlse&…` query the web page uses) or on a file holding one.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> eframe::Result {
    let arg = std::env::args().nth(1);
    if arg.as_deref().is_some_and(stepscope::cli::is_command) {
        std::process::exit(stepscope::cli::main(std::env::args_os()));
    }
    if matches!(arg.as_deref(), Some("-h" | "--help")) {
        println!(
            "usage: stepscope [LINK | FILE]\n       stepscope run LINK|CHECKPOINT --until T [--backend cpu|gpu] [--every DT] --out FILE.csv|FILE.jsonl [--checkpoint FILE.json]\n       stepscope sweep LINK --vary KEY=A..B --solvers a,b,c [--until T] --out FILE.csv\n       stepscope bench [--suite NAME,...] [--quick]\n\nOpens the stepscope playground. LINK is a share link such as\n'?s=nlse&case=breather&solver=dop853ip&rtol=1e-9' (copy it from the app), FILE a file holding one.\n`stepscope run --help`, `stepscope sweep --help` and `stepscope bench --help` explain the headless commands."
        );
        return Ok(());
    }
    // A file holding a link is read; anything else is taken as the link itself. A bad link
    // is reported inside the app, which then starts on the last or default scenario.
    let link = arg.map(|a| match std::fs::read_to_string(&a) {
        Ok(contents) => contents.trim().to_owned(),
        Err(_) => a,
    });
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1280.0, 800.0])
            .with_title("stepscope"),
        ..Default::default()
    };
    eframe::run_native(
        "stepscope",
        options,
        Box::new(move |cc| {
            Ok(Box::new(
                stepscope::app::StepscopeApp::from_creation_context(cc, link.as_deref()),
            ))
        }),
    )
}

#[cfg(target_arch = "wasm32")]
fn main() {}

//! Behaviour kept through redesigns: every link of `tests/golden/links.tsv` (every README link
//! and a fixed list covering each simulation's solvers, cases and options) is run on the CPU
//! by `stepscope run`, and its CSV must equal, byte for byte, the CSV the code wrote when the
//! list was recorded. The CSV writes every number in shortest round-trip form, so equal bytes
//! are equal bits. `REGENERATE=1 cargo test --release --test golden` rewrites the expected
//! files: only for a change of behaviour that is meant and stated in its commit.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One line of the list: the end time and sample spacing (none for diffusion sampling) and the
/// link.
struct Case {
    until: Option<(String, String)>,
    link: String,
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(golden_dir().join("links.tsv")).expect("links.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [until, every, link] = fields[..] else {
                panic!("links.tsv: expected until<TAB>every<TAB>link, got {line:?}");
            };
            Case {
                until: (until != "-").then(|| (until.to_owned(), every.to_owned())),
                link: link.to_owned(),
            }
        })
        .collect()
}

/// A stable file name for a link (FNV-1a, 64 bit).
fn file_of(link: &str) -> PathBuf {
    let hash = link.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    golden_dir().join(format!("{hash:016x}.csv"))
}

fn run_csv(case: &Case) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stepscope"));
    command.args(["run", &case.link, "--out", "-"]);
    if let Some((until, every)) = &case.until {
        command.args(["--until", until, "--every", every]);
    }
    let out = command.output().expect("the binary runs");
    assert!(
        out.status.success(),
        "{}: exit {:?}: {}",
        case.link,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 CSV")
}

/// Runs every case of simulation `sim` (the link's `s=` value) and compares.
fn check(sim: &str) {
    let regenerate = std::env::var_os("REGENERATE").is_some();
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| c.link.contains(&format!("s={sim}&")))
        .collect();
    assert!(cases.len() >= 8, "{sim}: only {} links", cases.len());
    let mut differing = Vec::new();
    for case in &cases {
        let csv = run_csv(case);
        assert!(
            csv.lines().count() >= 3,
            "{}: too few rows:\n{csv}",
            case.link
        );
        let path = file_of(&case.link);
        if regenerate {
            std::fs::write(&path, &csv).expect("write the expected CSV");
            continue;
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: no expected CSV {}: {e}", case.link, path.display()));
        if csv != expected {
            let line = csv
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(csv.lines().count().min(expected.lines().count()));
            differing.push(format!(
                "{} (first difference on line {}):\n  now:    {}\n  before: {}",
                case.link,
                line + 1,
                csv.lines().nth(line).unwrap_or("<none>"),
                expected.lines().nth(line).unwrap_or("<none>")
            ));
        }
    }
    assert!(
        differing.is_empty(),
        "{} of {} {sim} links write different rows:\n{}",
        differing.len(),
        cases.len(),
        differing.join("\n")
    );
}

#[test]
fn nlse_links_write_the_recorded_rows() {
    check("nlse");
}

#[test]
fn three_body_links_write_the_recorded_rows() {
    check("3body");
}

#[test]
fn diffusion_links_write_the_recorded_rows() {
    check("diffusion");
}

#[test]
fn navier_stokes_links_write_the_recorded_rows() {
    check("ns");
}

/// Every runnable link of the README is in the list (so a README link that stops working, or
/// changes what it writes, fails above).
#[test]
fn every_readme_link_is_in_the_list() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let listed: Vec<String> = cases().into_iter().map(|c| c.link).collect();
    let mut found = 0;
    for start in readme
        .match_indices("?s=")
        .chain(readme.match_indices("?v=1&s="))
    {
        let rest = &readme[start.0..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '`' | '\'' | '"' | '>'))
            .unwrap_or(rest.len());
        let link = &rest[..end];
        if link.contains('{') {
            continue;
        }
        found += 1;
        assert!(
            listed.iter().any(|l| l == link),
            "README link {link} is not in tests/golden/links.tsv"
        );
    }
    assert!(found >= 5, "only {found} links found in the README");
}

//! The WGSL sources, embedded, and the one place that assembles a shader module: a file's
//! first line may name the files it needs (`// requires: a.wgsl, b.wgsl`), which come before
//! its own text, each once, their own requirements first. Pipelines and tests both take their
//! modules from here, so what is validated is what runs. A file whose first line starts with
//! `// snippet:` uses names its includer defines (stated on that line) and is validated only
//! inside the modules that require it.

/// Every WGSL file of `shaders/`: (name, text).
pub const FILES: &[(&str, &str)] = &[
    ("colour.wgsl", include_str!("../../shaders/colour.wgsl")),
    ("complex.wgsl", include_str!("../../shaders/complex.wgsl")),
    (
        "diffusion_sampler.wgsl",
        include_str!("../../shaders/diffusion_sampler.wgsl"),
    ),
    (
        "fft_workgroup.wgsl",
        include_str!("../../shaders/fft_workgroup.wgsl"),
    ),
    (
        "field_view.wgsl",
        include_str!("../../shaders/field_view.wgsl"),
    ),
    (
        "navier_stokes.wgsl",
        include_str!("../../shaders/navier_stokes.wgsl"),
    ),
    (
        "navier_stokes_spectral.wgsl",
        include_str!("../../shaders/navier_stokes_spectral.wgsl"),
    ),
    (
        "nbody_ensemble.wgsl",
        include_str!("../../shaders/nbody_ensemble.wgsl"),
    ),
    (
        "nbody_gravity.wgsl",
        include_str!("../../shaders/nbody_gravity.wgsl"),
    ),
    (
        "nbody_race.wgsl",
        include_str!("../../shaders/nbody_race.wgsl"),
    ),
    (
        "nlse_step.wgsl",
        include_str!("../../shaders/nlse_step.wgsl"),
    ),
    (
        "nlse_view.wgsl",
        include_str!("../../shaders/nlse_view.wgsl"),
    ),
    (
        "ns_advection.wgsl",
        include_str!("../../shaders/ns_advection.wgsl"),
    ),
    (
        "ns_diagnostics.wgsl",
        include_str!("../../shaders/ns_diagnostics.wgsl"),
    ),
    ("ns_grid.wgsl", include_str!("../../shaders/ns_grid.wgsl")),
    (
        "ns_momentum.wgsl",
        include_str!("../../shaders/ns_momentum.wgsl"),
    ),
    (
        "ns_pressure.wgsl",
        include_str!("../../shaders/ns_pressure.wgsl"),
    ),
    ("reduce.wgsl", include_str!("../../shaders/reduce.wgsl")),
    (
        "workgroup_reduce.wgsl",
        include_str!("../../shaders/workgroup_reduce.wgsl"),
    ),
];

/// The text of file `name`, if it is one of [`FILES`].
pub fn file(name: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// The files `text`'s first line requires.
pub fn requires(text: &str) -> Vec<&str> {
    text.lines()
        .next()
        .and_then(|line| line.strip_prefix("// requires:"))
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `text` is a snippet (validated only inside the modules that require it).
pub fn is_snippet(text: &str) -> bool {
    text.starts_with("// snippet:")
}

/// The module of file `name`: its requirements (depth first, each file once), then its own
/// text. An unknown file or a cycle is an error naming it.
pub fn module(name: &str) -> Result<String, String> {
    fn add<'a>(
        name: &'a str,
        stack: &mut Vec<&'a str>,
        done: &mut Vec<&'a str>,
        out: &mut String,
    ) -> Result<(), String> {
        if done.contains(&name) {
            return Ok(());
        }
        if stack.contains(&name) {
            return Err(format!(
                "the shaders require each other in a cycle through {name}"
            ));
        }
        let text = file(name).ok_or_else(|| format!("no shader file {name} in the registry"))?;
        stack.push(name);
        for needed in requires(text) {
            add(needed, stack, done, out)?;
        }
        stack.pop();
        done.push(name);
        out.push_str(text);
        if !text.ends_with('\n') {
            out.push('\n');
        }
        Ok(())
    }
    let mut out = String::new();
    add(name, &mut Vec::new(), &mut Vec::new(), &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_come_first_each_once() {
        let text = module("navier_stokes.wgsl").expect("assembles");
        let grid = text.find("struct Grid").expect("the grid preamble");
        let momentum = text
            .find("fn momentum_stage")
            .expect("the momentum kernels");
        assert!(grid < momentum);
        assert_eq!(
            text.matches("struct Grid {").count(),
            1,
            "ns_grid.wgsl once"
        );
        assert!(module("nowhere.wgsl").is_err_and(|e| e.contains("nowhere.wgsl")));
    }
}

//! Every WGSL file parses and validates with naga (the wgpu front end), so a broken shader
//! fails CI, not a user; and the Rust mirrors of shader constants agree with the shaders.

use std::path::Path;

use stepscope::gpu::shaders;

/// Validates WGSL source with naga's front end and validator, as wgpu does.
fn validate_source(source: &str) -> Result<(), String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string(source))?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .map_err(|e| format!("{e:?}"))?;
    Ok(())
}

/// The registry holds exactly the files of shaders/: a new file cannot be forgotten, nor a
/// removed one linger.
#[test]
fn the_registry_holds_every_wgsl_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("shaders/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wgsl"))
        .map(|p| {
            p.file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    on_disk.sort();
    let mut registered: Vec<String> = shaders::FILES
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    registered.sort();
    assert_eq!(on_disk, registered);
    for (name, text) in shaders::FILES {
        let on_disk = std::fs::read_to_string(dir.join(name)).expect("readable");
        assert_eq!(&on_disk, text, "{name} is embedded as it is on disk");
    }
}

/// Every module (every file that is not a snippet, with what its `// requires:` line names,
/// assembled by the same function the pipelines use) parses and validates with naga; every
/// snippet is required by a module that validates, and every requirement exists.
#[test]
fn every_wgsl_module_validates() {
    let mut modules = 0;
    for (name, text) in shaders::FILES {
        for needed in shaders::requires(text) {
            assert!(
                shaders::file(needed).is_some(),
                "{name} requires {needed}, which is not registered"
            );
        }
        if shaders::is_snippet(text) {
            let used = shaders::FILES
                .iter()
                .any(|(_, other)| shaders::requires(other).contains(name));
            assert!(used, "snippet {name} is required by no shader");
            continue;
        }
        let source = shaders::module(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(e) = validate_source(&source) {
            panic!("{name}: {e}");
        }
        modules += 1;
    }
    assert!(modules >= 12, "only {modules} modules");
}

#[test]
fn a_broken_shader_is_caught() {
    assert!(
        validate_source("@compute @workgroup_size(64) fn main() { let x: f32 = 1u; }").is_err()
    );
    // A snippet alone lacks what its includer defines.
    let snippet = shaders::file("workgroup_reduce.wgsl").expect("registered");
    assert!(validate_source(snippet).is_err());
}

#[test]
fn workgroup_constants_match_the_rust_mirrors() {
    let source = &shaders::module("fft_workgroup.wgsl").expect("module");
    let size = stepscope::gpu::fft::WORKGROUP_SIZE;
    assert!(source.contains(&format!("const WORKGROUP_SIZE: u32 = {size}u;")));
    assert!(source.contains(&format!("@workgroup_size({size})")));
    let max_n = stepscope::gpu::fft::MAX_WORKGROUP_N;
    assert!(source.contains(&format!("const MAX_N: u32 = {max_n}u;")));

    let source = &shaders::module("reduce.wgsl").expect("module");
    let size = stepscope::gpu::reduce::WORKGROUP_SIZE;
    assert!(source.contains(&format!("const WORKGROUP_SIZE: u32 = {size}u;")));
    assert!(source.contains(&format!("@workgroup_size({size})")));
    let items = stepscope::gpu::reduce::ITEMS;
    assert!(source.contains(&format!("const ITEMS: u32 = {items}u;")));

    let source = &shaders::module("nlse_step.wgsl").expect("module");
    let size = stepscope::sims::nlse::gpu::WORKGROUP_SIZE;
    assert!(source.contains(&format!("const WORKGROUP_SIZE: u32 = {size}u;")));
    assert!(source.contains(&format!("@workgroup_size({size})")));
    let stages = stepscope::sims::nlse::gpu::MAX_STAGES;
    assert!(source.contains(&format!("const MAX_STAGES: u32 = {stages}u;")));
}

/// Size of the struct `name` and the offsets of its members, as naga lays them out.
fn struct_layout(source: &str, name: &str) -> (u32, Vec<(String, u32)>) {
    let module = naga::front::wgsl::parse_str(source).expect("valid WGSL");
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).expect("layout computes");
    let (handle, ty) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("struct {name} not found"));
    let naga::TypeInner::Struct { members, span } = &ty.inner else {
        panic!("{name} is not a struct");
    };
    let offsets = members
        .iter()
        .map(|m| (m.name.clone().unwrap_or_default(), m.offset))
        .collect();
    let size = if members.last().is_some_and(|m| {
        matches!(
            module.types[m.ty].inner,
            naga::TypeInner::Array {
                size: naga::ArraySize::Dynamic,
                ..
            }
        )
    }) {
        *span
    } else {
        layouter[handle].size
    };
    (size, offsets)
}

/// The Rust constants that address the NLSE's buffers agree with the WGSL layout (the
/// structs themselves are checked member by member in src/gpu/mirrors.rs).
#[test]
fn nlse_buffer_constants_match_the_wgsl_layout() {
    use stepscope::sims::nlse::gpu::layout;
    let source = &shaders::module("nlse_step.wgsl").expect("module");
    let (setup, _) = struct_layout(source, "Setup");
    assert_eq!(u64::from(setup), layout::SETUP_BYTES);
    let (dispatch, _) = struct_layout(source, "Dispatch");
    assert_eq!(u64::from(dispatch), layout::DISPATCH_BYTES);
    let (_, control) = struct_layout(source, "Control");
    let offset = |field: &str| {
        control
            .iter()
            .find(|(n, _)| n == field)
            .map(|(_, o)| u64::from(*o))
            .unwrap_or_else(|| panic!("Control.{field}"))
    };
    assert_eq!(offset("diag"), layout::CONTROL_DIAG_OFFSET);
    assert_eq!(offset("log"), layout::CONTROL_LOG_OFFSET);
}

#[test]
fn the_nbody_kernels_hold_the_rust_body_limit() {
    let gravity = shaders::file("nbody_gravity.wgsl").expect("registered");
    let max_bodies = stepscope::sims::threebody::MAX_BODIES;
    assert!(gravity.contains(&format!("const MAX_BODIES: u32 = {max_bodies}u;")));
}

#[test]
fn diffusion_sampler_kernel_matches_its_rust_mirror() {
    use stepscope::sims::diffusion::gpu;
    let source = &shaders::module("diffusion_sampler.wgsl").expect("module");
    assert!(source.contains(&format!(
        "@workgroup_size({})\nfn denoise",
        gpu::DENOISE_WORKGROUP
    )));
    assert!(source.contains(&format!(
        "@workgroup_size({})\nfn combine",
        gpu::COMBINE_WORKGROUP
    )));
    assert!(source.contains(&format!("const MAX_DIM: u32 = {}u;", gpu::MAX_DIM)));
    assert!(source.contains(&format!("const MAX_TERMS: u32 = {}u;", gpu::MAX_TERMS)));
    // The WGSL hash is the Rust one: both sides of the same noise.
    assert!(source.contains("input * 747796405u + 2891336453u"));
    assert!(source.contains("* 277803737u"));
}

#[test]
fn navier_stokes_buffer_constants_match_the_wgsl() {
    use stepscope::sims::navier_stokes::gpu;
    let source = &shaders::module("navier_stokes.wgsl").expect("module");
    let (grid, _) = struct_layout(source, "Grid");
    assert_eq!(grid as usize, gpu::GRID_BYTES);
    let (op, _) = struct_layout(source, "Op");
    assert_eq!(op as usize, gpu::OP_BYTES);
    assert!(source.contains(&format!(
        "const STAT_HISTORY: u32 = {}u;",
        gpu::STAT_HISTORY
    )));
    assert!(source.contains(&format!(
        "const HISTORY_WIDTH: u32 = {}u;",
        gpu::HISTORY_WIDTH
    )));
}

//! Every WGSL file parses and validates with naga (the wgpu front end), so a broken shader
//! fails CI, not a user; and the Rust mirrors of shader constants agree with the shaders.

use std::path::Path;

fn validate(path: &Path) -> Result<(), String> {
    let source = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let module = naga::front::wgsl::parse_str(&source).map_err(|e| e.emit_to_string(&source))?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .map_err(|e| format!("{e:?}"))?;
    Ok(())
}

#[test]
fn every_wgsl_file_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("shaders/ exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|e| e == "wgsl") {
            if let Err(e) = validate(&path) {
                panic!("{}: {e}", path.display());
            }
            count += 1;
        }
    }
    assert!(count >= 1, "no WGSL files found in {}", dir.display());
}

#[test]
fn a_broken_shader_is_caught() {
    let dir = std::env::temp_dir().join("stepscope-shader-check");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("broken.wgsl");
    std::fs::write(
        &path,
        "@compute @workgroup_size(64) fn main() { let x: f32 = 1u; }",
    )
    .expect("write");
    assert!(validate(&path).is_err());
}

#[test]
fn workgroup_constants_match_the_rust_mirrors() {
    let source = include_str!("../shaders/fft_workgroup.wgsl");
    let size = stepscope::gpu::fft::WORKGROUP_SIZE;
    assert!(source.contains(&format!("const WORKGROUP_SIZE: u32 = {size}u;")));
    assert!(source.contains(&format!("@workgroup_size({size})")));
    let max_n = stepscope::gpu::fft::MAX_WORKGROUP_N;
    assert!(source.contains(&format!("const MAX_N: u32 = {max_n}u;")));

    let source = include_str!("../shaders/reduce.wgsl");
    let size = stepscope::gpu::reduce::WORKGROUP_SIZE;
    assert!(source.contains(&format!("const WORKGROUP_SIZE: u32 = {size}u;")));
    assert!(source.contains(&format!("@workgroup_size({size})")));
    let items = stepscope::gpu::reduce::ITEMS;
    assert!(source.contains(&format!("const ITEMS: u32 = {items}u;")));

    let source = include_str!("../shaders/nlse_split.wgsl");
    let size = stepscope::sims::nlse::gpu::WORKGROUP_SIZE;
    assert!(source.contains(&format!("const WORKGROUP_SIZE: u32 = {size}u;")));
    assert!(source.contains(&format!("@workgroup_size({size})")));
}

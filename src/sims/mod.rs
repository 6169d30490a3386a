//! The simulations. Each folder holds `mod.rs` (equation, parameters, diagnostics types),
//! `cpu.rs` (the f64 reference) and `scenarios.rs` (presets with their exact solutions).
//! None of them knows about the UI.

pub mod diffusion;
pub mod navier_stokes;
pub mod nlse;
pub mod threebody;

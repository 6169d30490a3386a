//! The simulations. Each folder holds `mod.rs` (equation, parameters, diagnostics types), the
//! f64 reference, the f32 GPU path, presets with their exact solutions, and `as_run.rs`: the
//! simulation behind the one [`run::Run`] interface that everything above drives. None of
//! them knows about the UI, races or links.

pub mod diffusion;
pub mod navier_stokes;
pub mod nlse;
pub mod run;
pub mod threebody;

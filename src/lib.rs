//! stepscope: a playground for numerical methods that shows the solver thinking.
//!
//! Layers (data flows one way): [`core`] (the numerics every simulation shares) → [`sims`]
//! (each simulation behind the one [`sims::run::Run`] interface, CPU f64 and GPU f32) →
//! [`scenario`] (serde, links, and the only place that names the simulations) → [`race`],
//! [`cli`], [`app`] (egui) / JS API, which drive `Box<dyn Run>`.

pub mod app;
#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
pub mod checkpoint;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod core;
pub mod export;
pub mod gpu;
pub mod race;
pub mod scenario;
pub mod sims;
#[cfg(target_arch = "wasm32")]
pub mod web;

//! stepscope: a playground for numerical methods that shows the solver thinking.
//!
//! Layers (data flows one way): [`scenario`] (serde, links) → [`sims`] (numerics, no UI) →
//! diagnostics → [`app`] (egui) / JS API. [`core`] holds the numerics every simulation shares.

pub mod app;
#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
pub mod checkpoint;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod core;
pub mod export;
pub mod gpu;
#[cfg(not(target_arch = "wasm32"))]
pub mod headless;
pub mod race;
pub mod scenario;
pub mod sims;
#[cfg(target_arch = "wasm32")]
pub mod web;

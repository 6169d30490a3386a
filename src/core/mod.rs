//! The numerical core shared by every simulation. Imports neither egui nor wgpu.
//!
//! The four separate pieces of a time integration (after Diffrax):
//! - a *problem* ([`rk::OdeSystem`], [`ip::SemilinearSystem`]) knows its vector field only;
//! - a *stepper* ([`rk::ExplicitRk`], [`ip::InteractionPictureRk`], split-step methods in
//!   the simulations) advances `y0 → y1` over a given `h` and returns an error estimate;
//! - a *controller* ([`controller::StepController`]) accepts/rejects and proposes the next `h`;
//! - the *loop* ([`integrate`]) combines them and keeps the statistics ([`stats::RunStats`]).

pub mod choice;
pub mod controller;
pub mod elem;
pub mod fit;
pub mod history;
pub mod integrate;
pub mod ip;
pub mod kernels;
pub mod quadrature;
pub mod rk;
pub mod rng;
pub mod shadow;
pub mod stats;
pub mod tableau;

/// Formats a float in the shortest form that parses back to the same bits: plain decimals
/// for ordinary magnitudes, exponent form otherwise (used by links and messages).
pub fn format_f64(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 || (1e-4..1e15).contains(&a) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

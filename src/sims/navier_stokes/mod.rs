//! 2D incompressible Navier–Stokes on a staggered (MAC) grid with a projection method
//! (Chorin 1968): advance the velocity without the pressure, then project it onto the
//! divergence-free fields by solving the pressure Poisson equation `∇²p = ∇·u*/Δt` and
//! subtracting `Δt ∇p`.
//!
//! This module grows with issue 6; it starts with the pressure Poisson solvers
//! ([`poisson`]), which every projection uses.

pub mod mac;
pub mod poisson;
pub mod reference;
pub mod spectral;

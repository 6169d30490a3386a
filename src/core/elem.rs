//! The element type of a state vector: real (`f64`) or complex (`Complex64`).

use rustfft::num_complex::Complex64;
use std::ops::{Add, AddAssign, Mul, MulAssign, Sub};

/// One component of a state vector. Steppers are generic over it so the same Runge–Kutta
/// code integrates real systems (three-body) and complex spectral systems (NLSE).
pub trait Elem:
    Copy
    + Default
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<f64, Output = Self>
    + AddAssign
    + MulAssign<f64>
{
    /// Squared magnitude |z|².
    fn abs2(self) -> f64;
    /// Whether every part is finite (not NaN, not ±∞).
    fn is_finite(self) -> bool;
    /// The slice viewed as its real components (re, im interleaved for complex), for
    /// linear combinations the compiler can vectorize.
    fn flat(s: &[Self]) -> &[f64];
    /// Mutable view of [`Elem::flat`].
    fn flat_mut(s: &mut [Self]) -> &mut [f64];
}

impl Elem for f64 {
    fn abs2(self) -> f64 {
        self * self
    }
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    fn flat(s: &[Self]) -> &[f64] {
        s
    }
    fn flat_mut(s: &mut [Self]) -> &mut [f64] {
        s
    }
}

impl Elem for Complex64 {
    fn abs2(self) -> f64 {
        self.norm_sqr()
    }
    fn is_finite(self) -> bool {
        self.re.is_finite() && self.im.is_finite()
    }
    fn flat(s: &[Self]) -> &[f64] {
        bytemuck::cast_slice(s)
    }
    fn flat_mut(s: &mut [Self]) -> &mut [f64] {
        bytemuck::cast_slice_mut(s)
    }
}

/// Whether every component of `y` is finite.
pub fn all_finite<E: Elem>(y: &[E]) -> bool {
    y.iter().all(|v| v.is_finite())
}

/// How an error vector is measured against the solution, giving a scaled norm where 1.0 means
/// "exactly at tolerance".
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ErrorNorm {
    /// Hairer, Nørsett & Wanner I, II.4 (4.11): RMS over components of
    /// `err_i / (atol + rtol·max(|y0_i|, |y1_i|))`.
    ComponentwiseRms,
    /// `‖err‖₂ / (atol·√n + rtol·max(‖y0‖₂, ‖y1‖₂))`: a relative L2 error, invariant under
    /// unitary transforms (so the same in Fourier and physical space). Used for fields, after
    /// Balac & Mahé (2013), who control the relative L2 error of the NLSE.
    GlobalRelativeL2,
}

impl ErrorNorm {
    /// Sum of squared scaled components and the count it is averaged over, so that
    /// `sqrt(sum / count)` is the scaled norm. Two error vectors (DOP853) share the scale.
    pub fn scaled_sum_sq<E: Elem>(
        self,
        y0: &[E],
        y1: &[E],
        err: &[E],
        atol: f64,
        rtol: f64,
    ) -> (f64, f64) {
        let n = err.len().max(1) as f64;
        match self {
            ErrorNorm::ComponentwiseRms => {
                let mut sum = 0.0;
                for ((a, b), e) in y0.iter().zip(y1).zip(err) {
                    let scale = atol + rtol * a.abs2().sqrt().max(b.abs2().sqrt());
                    sum += e.abs2() / (scale * scale);
                }
                (sum, n)
            }
            ErrorNorm::GlobalRelativeL2 => {
                let norm0: f64 = y0.iter().map(|v| v.abs2()).sum::<f64>().sqrt();
                let norm1: f64 = y1.iter().map(|v| v.abs2()).sum::<f64>().sqrt();
                let scale = atol * n.sqrt() + rtol * norm0.max(norm1);
                let e2: f64 = err.iter().map(|v| v.abs2()).sum();
                (e2 / (scale * scale), 1.0)
            }
        }
    }
}

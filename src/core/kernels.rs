//! The hot elementwise loops of the steppers, on flat `f64` views of the state.
//!
//! Each kernel is written once as plain Rust and compiled twice on x86-64: for the baseline
//! (SSE2) and for AVX2, chosen at run time, as rustfft does for its FFTs. The AVX2 copy is the
//! same code with wider vectors: no FMA contraction, so both give identical results. On other
//! targets (wasm) only the portable copy exists.
#![allow(
    unsafe_code,
    reason = "calling a #[target_feature] function needs unsafe; each call is guarded by a run-time CPU check"
)]

use rustfft::num_complex::Complex64;

/// f64 values per block: 4 KiB of output stays in L1 while every term is added.
const BLOCK: usize = 512;

/// `out = factor ⊙ (base + Σ w_j k_j)` where `base` and `factor` are optional and, when
/// `factor` is given, `out`, `base` and `k_j` hold interleaved complex values.
#[inline(always)]
fn combine_portable(
    out: &mut [f64],
    base: Option<&[f64]>,
    terms: &[(f64, &[f64])],
    factor: Option<&[Complex64]>,
) {
    let n = out.len();
    let (first, rest) = match terms.split_first() {
        Some((f, r)) => (Some(*f), r),
        None => (None, &[][..]),
    };
    let mut start = 0;
    while start < n {
        let end = (start + BLOCK).min(n);
        let block = &mut out[start..end];
        // The first term is fused with the base: one sweep fewer over the block.
        match (base, first) {
            (Some(b), Some((w, k))) => {
                for ((o, bv), kv) in block.iter_mut().zip(&b[start..end]).zip(&k[start..end]) {
                    *o = bv + w * kv;
                }
            }
            (None, Some((w, k))) => {
                for (o, kv) in block.iter_mut().zip(&k[start..end]) {
                    *o = w * kv;
                }
            }
            (Some(b), None) => block.copy_from_slice(&b[start..end]),
            (None, None) => block.fill(0.0),
        }
        for &(w, k) in rest {
            for (o, kv) in block.iter_mut().zip(&k[start..end]) {
                *o += w * kv;
            }
        }
        if let Some(f) = factor {
            multiply_portable(block, &f[start / 2..end / 2]);
        }
        start = end;
    }
}

/// `out ⊙= factor` on interleaved complex values.
#[inline(always)]
fn multiply_portable(out: &mut [f64], factor: &[Complex64]) {
    for (pair, f) in out.chunks_exact_mut(2).zip(factor) {
        let (re, im) = (pair[0], pair[1]);
        pair[0] = re * f.re - im * f.im;
        pair[1] = re * f.im + im * f.re;
    }
}

/// `ψ ← scale·|ψ|²·ψ` on interleaved complex values (the cubic term of the NLSE).
#[inline(always)]
fn cubic_portable(data: &mut [f64], scale: Complex64) {
    for pair in data.chunks_exact_mut(2) {
        let (re, im) = (pair[0], pair[1]);
        let r2 = re * re + im * im;
        let (sr, si) = (scale.re * r2, scale.im * r2);
        pair[0] = re * sr - im * si;
        pair[1] = re * si + im * sr;
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::*;

    #[target_feature(enable = "avx2")]
    pub(super) fn combine(
        out: &mut [f64],
        base: Option<&[f64]>,
        terms: &[(f64, &[f64])],
        factor: Option<&[Complex64]>,
    ) {
        combine_portable(out, base, terms, factor);
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn multiply(out: &mut [f64], factor: &[Complex64]) {
        multiply_portable(out, factor);
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn cubic(data: &mut [f64], scale: Complex64) {
        cubic_portable(data, scale);
    }
}

#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// `out = factor ⊙ (base + Σ w_j k_j)`; see [`combine_portable`].
pub fn combine(
    out: &mut [f64],
    base: Option<&[f64]>,
    terms: &[(f64, &[f64])],
    factor: Option<&[Complex64]>,
) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { avx2::combine(out, base, terms, factor) };
    }
    combine_portable(out, base, terms, factor);
}

/// `out ⊙= factor` on complex values.
pub fn multiply(out: &mut [Complex64], factor: &[Complex64]) {
    let flat: &mut [f64] = bytemuck::cast_slice_mut(out);
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { avx2::multiply(flat, factor) };
    }
    multiply_portable(flat, factor);
}

/// `ψ ← scale·|ψ|²·ψ` on complex values.
pub fn cubic(data: &mut [Complex64], scale: Complex64) {
    let flat: &mut [f64] = bytemuck::cast_slice_mut(data);
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { avx2::cubic(flat, scale) };
    }
    cubic_portable(flat, scale);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatched_kernels_equal_the_portable_ones_and_the_definition() {
        let n = 1000; // not a multiple of the block
        let z = |i: usize, s: f64| Complex64::new((i as f64 * s).sin(), (i as f64 * s * 0.7).cos());
        let base: Vec<Complex64> = (0..n).map(|i| z(i, 0.1)).collect();
        let k1: Vec<Complex64> = (0..n).map(|i| z(i, 0.3)).collect();
        let k2: Vec<Complex64> = (0..n).map(|i| z(i, 0.5)).collect();
        let factor: Vec<Complex64> = (0..n)
            .map(|i| Complex64::from_polar(1.0, i as f64 * 0.01))
            .collect();
        let flat = |v: &[Complex64]| -> Vec<f64> { bytemuck::cast_slice(v).to_vec() };
        let (fb, f1, f2) = (flat(&base), flat(&k1), flat(&k2));
        let mut out = vec![Complex64::default(); n];
        combine(
            bytemuck::cast_slice_mut(&mut out),
            Some(&fb),
            &[(0.25, &f1), (-1.5, &f2)],
            Some(&factor),
        );
        for i in 0..n {
            let expected = factor[i] * (base[i] + k1[i] * 0.25 + k2[i] * -1.5);
            assert!((out[i] - expected).norm() < 1e-14, "{i}");
        }
        let mut portable = vec![0.0; 2 * n];
        combine_portable(
            &mut portable,
            Some(&fb),
            &[(0.25, &f1), (-1.5, &f2)],
            Some(&factor),
        );
        assert_eq!(
            flat(&out),
            portable,
            "the AVX2 copy must give identical bits"
        );

        let mut c = base.clone();
        cubic(&mut c, Complex64::new(0.0, 2.0));
        for i in 0..n {
            let expected = Complex64::new(0.0, 2.0) * base[i].norm_sqr() * base[i];
            assert!((c[i] - expected).norm() < 1e-14);
        }
        let mut m = base.clone();
        multiply(&mut m, &factor);
        for i in 0..n {
            assert!((m[i] - base[i] * factor[i]).norm() < 1e-15);
        }
    }
}

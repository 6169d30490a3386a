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

/// Angles up to this magnitude are reduced in the vector loop; larger ones (and NaN, ±∞) are
/// left to the C library. The three-part π/2 keeps `q·(π/2)₁` exact below it.
const SIN_COS_REDUCTION_LIMIT: f64 = 823_549.6; // 2^19 · π/2

/// `(sin x, cos x)` for |x| ≤ [`SIN_COS_REDUCTION_LIMIT`], without branches so that the loop
/// vectorises: Cody–Waite reduction by π/2 in three parts and the minimax kernels of fdlibm
/// (`__kernel_sin`, `__kernel_cos`, Sun Microsystems 1993): within about 1 ulp, plus an
/// absolute |x|·5e-32 from the reduction (it shows only near the zeros of sin and cos).
#[inline(always)]
#[allow(
    clippy::excessive_precision,
    reason = "fdlibm's published constants, kept digit for digit"
)]
fn sin_cos_reduced(x: f64) -> (f64, f64) {
    // π/2 split so that the first two products with q < 2^20 are exact (fdlibm __rem_pio2).
    const PIO2_1: f64 = 1.570_796_326_734_125_614_17e0;
    const PIO2_2: f64 = 6.077_100_506_303_965_976_60e-11;
    const PIO2_3: f64 = 2.022_266_248_711_166_455_80e-21;
    const S: [f64; 6] = [
        -1.666_666_666_666_663_243_48e-1,
        8.333_333_333_322_489_461_24e-3,
        -1.984_126_982_985_794_931_34e-4,
        2.755_731_370_707_006_767_89e-6,
        -2.505_076_025_340_686_341_95e-8,
        1.589_690_995_211_550_102_21e-10,
    ];
    const C: [f64; 6] = [
        4.166_666_666_666_660_190_37e-2,
        -1.388_888_888_887_410_957_49e-3,
        2.480_158_728_947_672_941_78e-5,
        -2.755_731_435_139_066_330_35e-7,
        2.087_572_321_298_174_827_90e-9,
        -1.135_964_755_778_819_482_65e-11,
    ];
    // Round x·2/π to the nearest integer by adding 1.5·2^52: the integer is then in the
    // low bits of the sum (no float-to-int conversion, which AVX2 lacks for 64 bits).
    const ROUNDER: f64 = 6_755_399_441_055_744.0;
    let shifted = x * std::f64::consts::FRAC_2_PI + ROUNDER;
    let quadrant = shifted.to_bits() & 3;
    let q = shifted - ROUNDER;
    let r = ((x - q * PIO2_1) - q * PIO2_2) - q * PIO2_3;
    let z = r * r;
    let sin = r + r * z * (S[0] + z * (S[1] + z * (S[2] + z * (S[3] + z * (S[4] + z * S[5])))));
    // sin(±0) = ±0: the sum above would turn −0 into +0.
    let sin = if r == 0.0 { r } else { sin };
    // cos r = 1 − z/2 + z² P(z), with the rounding of 1 − z/2 compensated (fdlibm).
    let half = 0.5 * z;
    let w = 1.0 - half;
    let tail = z * z * (C[0] + z * (C[1] + z * (C[2] + z * (C[3] + z * (C[4] + z * C[5])))));
    let cos = w + (((1.0 - w) - half) + tail);
    // sin(r + nπ/2) and cos(r + nπ/2) for n mod 4 = 0, 1, 2, 3: (s, c), (c, −s), (−s, −c),
    // (−c, s).
    let (sin_q, cos_q) = if quadrant & 1 == 0 {
        (sin, cos)
    } else {
        (cos, sin)
    };
    let sin_sign = if quadrant & 2 == 0 { 1.0 } else { -1.0 };
    let cos_sign = if (quadrant + 1) & 2 == 0 { 1.0 } else { -1.0 };
    (sin_sign * sin_q, cos_sign * cos_q)
}

/// `sin[i], cos[i] = sin(angles[i]), cos(angles[i])`.
#[inline(always)]
fn sin_cos_portable(angles: &[f64], sin: &mut [f64], cos: &mut [f64]) {
    for ((x, s), c) in angles.iter().zip(sin.iter_mut()).zip(cos.iter_mut()) {
        (*s, *c) = sin_cos_reduced(*x);
    }
    for ((x, s), c) in angles.iter().zip(sin.iter_mut()).zip(cos.iter_mut()) {
        if x.is_nan() || x.abs() > SIN_COS_REDUCTION_LIMIT {
            (*s, *c) = (x.sin(), x.cos());
        }
    }
}

/// Arguments up to this magnitude take the vector path of [`exp`]: the result and 2^k stay
/// normal numbers. Beyond (and NaN) the C library decides (overflow, subnormals).
const EXP_VECTOR_LIMIT: f64 = 708.0;

/// `e^x` for |x| ≤ [`EXP_VECTOR_LIMIT`] without branches, so that the loop vectorises:
/// fdlibm's `__ieee754_exp` (Sun Microsystems 1993, e_exp.c): x = k ln 2 + r with ln 2 in
/// two parts, a rational approximation of e^r on |r| ≤ ln 2 / 2, and 2^k built in the
/// exponent bits; under 1 ulp.
#[inline(always)]
#[allow(
    clippy::excessive_precision,
    reason = "fdlibm's published constants, kept digit for digit"
)]
fn exp_reduced(x: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    // fdlibm's invln2, 1.44269504088896338700e+00, is this constant.
    const INV_LN2: f64 = std::f64::consts::LOG2_E;
    const P: [f64; 5] = [
        1.666_666_666_666_660_190_37e-1,
        -2.777_777_777_701_559_338_42e-3,
        6.613_756_321_437_934_361_17e-5,
        -1.653_390_220_546_525_153_90e-6,
        4.138_136_797_057_238_460_39e-8,
    ];
    // k = round(x / ln 2) by the 1.5·2^52 shift (see `sin_cos_reduced`).
    const ROUNDER: f64 = 6_755_399_441_055_744.0;
    let shifted = x * INV_LN2 + ROUNDER;
    let k = shifted - ROUNDER;
    // LN2_HI has 21 trailing zero bits: k · LN2_HI is exact for |k| < 2^21.
    let hi = x - k * LN2_HI;
    let lo = k * LN2_LO;
    let r = hi - lo;
    let t = r * r;
    let c = r - t * (P[0] + t * (P[1] + t * (P[2] + t * (P[3] + t * P[4]))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    // 2^k from its exponent bits; the low bits of `shifted` hold k in two's complement.
    let k_int = (shifted.to_bits() as i64).wrapping_sub(ROUNDER.to_bits() as i64);
    let two_to_k = f64::from_bits(((k_int + 1023) as u64) << 52);
    y * two_to_k
}

/// `out[i] = e^{x[i]}`.
#[inline(always)]
fn exp_portable(x: &[f64], out: &mut [f64]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o = exp_reduced(v.clamp(-EXP_VECTOR_LIMIT, EXP_VECTOR_LIMIT));
    }
    for (o, v) in out.iter_mut().zip(x) {
        if v.is_nan() || v.abs() > EXP_VECTOR_LIMIT {
            *o = v.exp();
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::*;

    #[target_feature(enable = "avx2")]
    pub(super) fn exp(x: &[f64], out: &mut [f64]) {
        exp_portable(x, out);
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn sin_cos(angles: &[f64], sin: &mut [f64], cos: &mut [f64]) {
        sin_cos_portable(angles, sin, cos);
    }

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

/// `sin[i], cos[i] = sin(angles[i]), cos(angles[i])`, within about 1 ulp, the same bits on every
/// target (the interaction-picture propagators; the C library's `sincos` cost a third of an
/// adaptive NLSE run).
pub fn sin_cos(angles: &[f64], sin: &mut [f64], cos: &mut [f64]) {
    assert!(angles.len() == sin.len() && angles.len() == cos.len());
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { avx2::sin_cos(angles, sin, cos) };
    }
    sin_cos_portable(angles, sin, cos);
}

/// `x.floor()`, the same bits, without the library call it compiles to on the x86-64 baseline
/// (SSE2 has no rounding instruction); the three-body loop asks for its next period mark
/// after every step.
#[inline]
pub fn floor(x: f64) -> f64 {
    // Below 2^52 in magnitude the truncation to an integer is exact; beyond, x is an integer.
    if x.abs() < 4_503_599_627_370_496.0 {
        let truncated = x as i64 as f64;
        let floored = if truncated > x {
            truncated - 1.0
        } else {
            truncated
        };
        // floor(−0) is −0 (x · 0 keeps the sign; every other x that floors to 0 is positive).
        if floored == 0.0 { x * 0.0 } else { floored }
    } else {
        x.floor()
    }
}

/// `out[i] = e^{x[i]}`, within 1 ulp, the same bits on every target (the damped and
/// diffusive interaction-picture propagators, whose step changes every step in a CFL-limited
/// run; the C library's `exp` was most of an integrating-factor vorticity step).
pub fn exp(x: &[f64], out: &mut [f64]) {
    assert_eq!(x.len(), out.len());
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { avx2::exp(x, out) };
    }
    exp_portable(x, out);
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
    fn exp_is_within_an_ulp_of_the_c_library_and_target_independent() {
        let mut x: Vec<f64> = (0..40_000)
            .map(|i| (f64::from(i) - 20_000.0) * 0.035_4 + (f64::from(i) * 0.618).sin() * 1e-3)
            .collect();
        x.extend([
            0.0,
            -0.0,
            1e-300,
            -1e-17,
            0.5 * std::f64::consts::LN_2,
            -0.5 * std::f64::consts::LN_2,
            708.0,
            -708.0,
            709.5,
            -720.0,
            -745.2,
            800.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ]);
        let mut got = vec![0.0; x.len()];
        exp(&x, &mut got);
        for (v, g) in x.iter().zip(&got) {
            let want = v.exp();
            if want.is_nan() {
                assert!(g.is_nan(), "exp({v:e}) = {g:e}, want NaN");
                continue;
            }
            let ulps = (g.to_bits() as i64 - want.to_bits() as i64).abs();
            assert!(
                ulps <= 1,
                "exp({v:e}) = {g:e}, C library {want:e}: {ulps} ulp apart"
            );
        }
        let mut portable = vec![0.0; x.len()];
        exp_portable(&x, &mut portable);
        for (a, b) in got.iter().zip(&portable) {
            assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
        }
    }

    #[test]
    fn floor_matches_the_library_floor_bit_for_bit() {
        let mut values = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            1.0f64.next_down(),
            (-1.0f64).next_up(),
            4_503_599_627_370_495.5,
            -4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
        ];
        values.extend((0..10_000).map(|i| (f64::from(i) - 5000.0) * 0.731 / 6.325_913_98));
        for x in values {
            assert_eq!(floor(x).to_bits(), x.floor().to_bits(), "floor({x:e})");
        }
        assert!(floor(f64::NAN).is_nan());
    }

    #[test]
    fn sin_cos_is_within_an_ulp_or_two_of_the_c_library_and_target_independent() {
        // Angles over many periods, the quadrant edges, tiny and signed zeros, and values
        // past the reduction limit or not finite (the C library's).
        let mut angles: Vec<f64> = (0..20_000)
            .map(|i| (i as f64 - 10_000.0) * 0.013_7 + (i as f64 * 0.618).sin())
            .collect();
        for k in -40..=40 {
            let edge = f64::from(k) * std::f64::consts::FRAC_PI_4;
            angles.extend([edge, edge.next_up(), edge.next_down()]);
        }
        angles.extend([
            0.0,
            -0.0,
            1e-300,
            -1e-12,
            3e5,
            -8e5,
            1e6,
            1e300,
            f64::NAN,
            f64::INFINITY,
        ]);
        let n = angles.len();
        let (mut sin, mut cos) = (vec![0.0; n], vec![0.0; n]);
        sin_cos(&angles, &mut sin, &mut cos);
        for (i, x) in angles.iter().enumerate() {
            for (got, want) in [(sin[i], x.sin()), (cos[i], x.cos())] {
                if want.is_nan() {
                    assert!(got.is_nan(), "{x}");
                    continue;
                }
                // Two ulps, plus the reduction's error near the zeros: the third part of π/2
                // leaves q·8.5e-32 (q = x·2/π), some 1e-14 ulp of 1.
                let ulp = (want.abs().next_up() - want.abs()).max(f64::MIN_POSITIVE);
                let reduction = x.abs() * 1e-31;
                assert!(
                    (got - want).abs() <= 2.0 * ulp + reduction,
                    "{x}: {got} vs {want}"
                );
            }
        }
        assert_eq!(sin[n - 10..n - 8], [0.0, -0.0]);
        assert!(sin[n - 9].is_sign_negative(), "sin(−0) = −0");
        let (mut portable_sin, mut portable_cos) = (vec![0.0; n], vec![0.0; n]);
        sin_cos_portable(&angles, &mut portable_sin, &mut portable_cos);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&sin),
            bits(&portable_sin),
            "the AVX2 copy must give identical bits"
        );
        assert_eq!(bits(&cos), bits(&portable_cos));
    }

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

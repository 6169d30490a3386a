//! Runge–Kutta in the interaction picture for semilinear systems `u' = L u + N(t, u)` whose
//! linear part is diagonal in the state's basis (a spectral basis for PDEs).
//!
//! With `v(τ) = e^{−Lτ} u(t_n + τ)` the stiff linear part disappears:
//! `v' = e^{−Lτ} N(t_n + τ, e^{Lτ} v)`, which any explicit tableau integrates; the step
//! ends with `u_{n+1} = e^{Lh} v(h)`. With the classical RK4 tableau this is RK4IP
//! (Hult 2007, J. Lightwave Technol. 25(12), 3770), with embedded pairs the ERK-IP methods of
//! Balac & Mahé (2013, Comput. Phys. Commun. 184, 1211). The frame is anchored at the start
//! of the step, so FSAL reuse needs one extra multiplication by `e^{Lh}` (Balac & Mahé §3).

use rustfft::num_complex::Complex64;

use super::kernels;
use super::rk::{Attempt, Tolerances, combine, combine_scaled, scaled_error};
use super::tableau::{ButcherTableau, ErrorEstimator};

/// A semilinear system with a diagonal linear operator.
pub trait SemilinearSystem {
    /// The diagonal of `L`.
    fn linear_symbol(&self) -> &[Complex64];
    /// Replaces the state `u` held in `data` by `N(t, u)`. In place, so a pseudo-spectral
    /// system transforms the buffer itself instead of copying it.
    fn nonlinear_in_place(&mut self, t: f64, data: &mut [Complex64]);
}

/// `e^{L·s}` for the distinct nonzero stage offsets `s = c_i h` of one step size; the
/// tables are rebuilt in place (no allocation) when the step size changes.
struct PropagatorCache {
    /// The step size of the tables (NaN before the first build).
    h: f64,
    /// The distinct nonzero nodes c.
    nodes: Vec<f64>,
    /// Scratch for the angles `Im(L) c h` and their sines and cosines.
    angles: Vec<f64>,
    sin: Vec<f64>,
    cos: Vec<f64>,
    /// Scratch for `Re(L) c h` and its exponentials `e^{±Re(L) c h}`.
    rates: Vec<f64>,
    grow: Vec<f64>,
    shrink: Vec<f64>,
    /// For each stage: index into `tables`, or None for c = 0.
    stage_table: Vec<Option<usize>>,
    /// `e^{L c h}` for each distinct c.
    tables: Vec<Vec<Complex64>>,
    /// `e^{−L c h}` for each distinct c (multiplying is much cheaper than dividing).
    inverse_tables: Vec<Vec<Complex64>>,
    /// Index of the table with c = 1 (always present: the end-of-step propagator).
    full_step: usize,
}

impl PropagatorCache {
    /// Empty tables for the nodes `c` of a tableau.
    fn for_nodes(c: &[f64]) -> Self {
        let mut nodes: Vec<f64> = Vec::new();
        let mut stage_table = Vec::with_capacity(c.len());
        for &c in c {
            if c == 0.0 {
                stage_table.push(None);
                continue;
            }
            let idx = nodes.iter().position(|&d| d == c).unwrap_or_else(|| {
                nodes.push(c);
                nodes.len() - 1
            });
            stage_table.push(Some(idx));
        }
        let full_step = nodes.iter().position(|&d| d == 1.0).unwrap_or_else(|| {
            nodes.push(1.0);
            nodes.len() - 1
        });
        Self {
            h: f64::NAN,
            tables: vec![Vec::new(); nodes.len()],
            inverse_tables: vec![Vec::new(); nodes.len()],
            nodes,
            angles: Vec::new(),
            sin: Vec::new(),
            cos: Vec::new(),
            rates: Vec::new(),
            grow: Vec::new(),
            shrink: Vec::new(),
            stage_table,
            full_step,
        }
    }
}

/// An explicit RK tableau applied in the interaction picture.
pub struct InteractionPictureRk {
    tableau: &'static ButcherTableau,
    stages: Vec<Vec<Complex64>>,
    err_a: Vec<Complex64>,
    err_b: Vec<Complex64>,
    cache: Option<PropagatorCache>,
    fsal_first_stage: Option<f64>,
    /// Set when `L` changed (parameters edited): tables must be rebuilt.
    symbol_generation: u64,
    cache_generation: u64,
    /// How many times the propagator tables were built: each step-size change costs a set.
    table_builds: u64,
}

impl InteractionPictureRk {
    /// A stepper for states of dimension `dim`.
    pub fn new(tableau: &'static ButcherTableau, dim: usize) -> Self {
        let zero = Complex64::new(0.0, 0.0);
        Self {
            tableau,
            stages: vec![vec![zero; dim]; tableau.stages()],
            err_a: vec![zero; dim],
            err_b: vec![zero; dim],
            cache: None,
            fsal_first_stage: None,
            symbol_generation: 0,
            cache_generation: 0,
            table_builds: 0,
        }
    }

    /// The tableau.
    pub fn tableau(&self) -> &'static ButcherTableau {
        self.tableau
    }

    /// How many times the propagator tables have been built (once per distinct step size in a
    /// row, and after `L` changed): the work a held step saves.
    pub fn table_builds(&self) -> u64 {
        self.table_builds
    }

    /// Forgets cached stages and propagators (state or `L` changed from outside).
    pub fn invalidate(&mut self) {
        self.fsal_first_stage = None;
        self.symbol_generation += 1;
    }

    /// The propagators of step size `h`, rebuilt in place when `h` or `L` changed. One
    /// sine and cosine per entry serve both the forward and the inverse table,
    /// `e^{±L s} = e^{±Re(L) s} (cos(Im(L) s) ± i sin(Im(L) s))`, computed four at a time
    /// ([`kernels::sin_cos`]), and the exponentials four at a time too ([`kernels::exp`]);
    /// the exponentials are skipped for a skew `L` (pure dispersion), the sines and cosines
    /// for a real one (diffusion).
    /// Before (issue 19), the two tables cost two complex exponentials per entry from the C
    /// library and 70 % of an adaptive DOP853-IP run.
    fn propagators(&mut self, symbol: &[Complex64], h: f64) -> &PropagatorCache {
        let cache = self
            .cache
            .get_or_insert_with(|| PropagatorCache::for_nodes(self.tableau.c));
        if cache.h != h || self.cache_generation != self.symbol_generation {
            let n = symbol.len();
            let skew = symbol.iter().all(|l| l.re == 0.0);
            // A real L (pure diffusion and damping, as in the vorticity equation): cos = 1 and
            // sin = 0 exactly, so the tables are the exponentials alone.
            let real = symbol.iter().all(|l| l.im == 0.0);
            for buffer in [
                &mut cache.angles,
                &mut cache.sin,
                &mut cache.cos,
                &mut cache.rates,
                &mut cache.grow,
                &mut cache.shrink,
            ] {
                buffer.resize(n, 0.0);
            }
            for ((c, forward), inverse) in cache
                .nodes
                .iter()
                .zip(&mut cache.tables)
                .zip(&mut cache.inverse_tables)
            {
                let s = c * h;
                forward.resize(n, Complex64::default());
                inverse.resize(n, Complex64::default());
                if !skew {
                    for (rate, l) in cache.rates.iter_mut().zip(symbol) {
                        *rate = l.re * s;
                    }
                    kernels::exp(&cache.rates, &mut cache.grow);
                    for rate in &mut cache.rates {
                        *rate = -*rate;
                    }
                    kernels::exp(&cache.rates, &mut cache.shrink);
                }
                if real && !skew {
                    let exponentials = cache.grow.iter().zip(&cache.shrink);
                    for ((f, i), (&grow, &shrink)) in
                        forward.iter_mut().zip(inverse.iter_mut()).zip(exponentials)
                    {
                        // The values of the general case below with cos = 1, sin = 0.
                        *f = Complex64::new(grow, grow * 0.0);
                        *i = Complex64::new(shrink, -(shrink * 0.0));
                    }
                    continue;
                }
                for (angle, l) in cache.angles.iter_mut().zip(symbol) {
                    *angle = l.im * s;
                }
                kernels::sin_cos(&cache.angles, &mut cache.sin, &mut cache.cos);
                let trig = cache.sin.iter().zip(&cache.cos);
                if skew {
                    // The common case, without a branch per entry.
                    for ((f, i), (&sin, &cos)) in
                        forward.iter_mut().zip(inverse.iter_mut()).zip(trig)
                    {
                        *f = Complex64::new(cos, sin);
                        *i = Complex64::new(cos, -sin);
                    }
                    continue;
                }
                let exponentials = cache.grow.iter().zip(&cache.shrink);
                for (((f, i), (&sin, &cos)), (&grow, &shrink)) in forward
                    .iter_mut()
                    .zip(inverse.iter_mut())
                    .zip(trig)
                    .zip(exponentials)
                {
                    *f = Complex64::new(grow * cos, grow * sin);
                    *i = Complex64::new(shrink * cos, -(shrink * sin));
                }
            }
            cache.h = h;
            self.cache_generation = self.symbol_generation;
            self.table_builds += 1;
        }
        cache
    }

    /// The first stage carried over from the last accepted step (FSAL) and the time it is
    /// for, if there is one: what a checkpoint must keep for a resumed run to take the same
    /// steps bit for bit (the carried stage is N(u) rotated into the new frame, which is not
    /// bitwise N(u) evaluated afresh).
    pub fn carried_stage(&self) -> Option<(f64, &[Complex64])> {
        self.fsal_first_stage
            .map(|t| (t, self.stages[0].as_slice()))
    }

    /// Restores a stage saved by [`Self::carried_stage`].
    pub fn set_carried_stage(&mut self, t: f64, stage: &[Complex64]) -> Result<(), String> {
        if stage.len() != self.stages[0].len() {
            return Err("the carried stage does not fit this grid".into());
        }
        self.stages[0].copy_from_slice(stage);
        self.fsal_first_stage = Some(t);
        Ok(())
    }

    /// Tells the stepper its last step was accepted (enables FSAL reuse).
    pub fn accepted(&mut self, t1: f64) {
        if !self.tableau.fsal {
            self.fsal_first_stage = None;
            return;
        }
        // The last stage is e^{−Lh} N(u_{n+1}) in the old frame; in the new frame (τ = 0)
        // the first stage is N(u_{n+1}) itself.
        let last = self.stages.len() - 1;
        self.stages.swap(0, last);
        if let Some(cache) = &self.cache {
            for (k, e) in self.stages[0]
                .iter_mut()
                .zip(&cache.tables[cache.full_step])
            {
                *k *= e;
            }
        }
        self.fsal_first_stage = Some(t1);
    }

    /// Computes `u1` from `u0` over `[t, t+h]`, leaving `u0` intact.
    pub fn step<S: SemilinearSystem>(
        &mut self,
        system: &mut S,
        t: f64,
        h: f64,
        u0: &[Complex64],
        u1: &mut [Complex64],
        tol: &Tolerances,
    ) -> Attempt {
        let tab = self.tableau;
        // Borrow the propagators by index to keep `self` free for the stage buffers.
        self.propagators(system.linear_symbol(), h);
        let cache = self.cache.take().expect("propagators computed above");
        let mut nfe = 0;
        if self.fsal_first_stage != Some(t) {
            self.stages[0].copy_from_slice(u0);
            system.nonlinear_in_place(t, &mut self.stages[0]);
            nfe += 1;
            // N(u0) at τ = 0 does not depend on h: a rejected step's retry reuses it.
            self.fsal_first_stage = Some(t);
        }
        for i in 1..tab.stages() {
            let (done, rest) = self.stages.split_at_mut(i);
            let stage = &mut rest[0];
            let t_stage = t + tab.c[i] * h;
            match cache.stage_table[i] {
                None => {
                    combine(stage, u0, h, tab.a[i], done);
                    system.nonlinear_in_place(t_stage, stage);
                }
                Some(idx) => {
                    // Into the lab frame, N, and back: k_i = e^{−Lc_ih} N(e^{Lc_ih} w_i).
                    combine_scaled(stage, Some(u0), h, tab.a[i], done, &cache.tables[idx]);
                    system.nonlinear_in_place(t_stage, stage);
                    kernels::multiply(stage, &cache.inverse_tables[idx]);
                }
            }
            nfe += 1;
        }
        let full = &cache.tables[cache.full_step];
        combine_scaled(u1, Some(u0), h, tab.b, &self.stages, full);
        // The estimate lives in the interaction frame of the step's start; e^{Lh} maps it to
        // the frame of u1 (a no-op on the norm when L is skew, as for pure dispersion).
        match tab.estimator {
            ErrorEstimator::None => {}
            ErrorEstimator::Embedded(e) => {
                combine_scaled(&mut self.err_a, None, h, e, &self.stages, full)
            }
            ErrorEstimator::Dop853 { e5, e3 } => {
                combine_scaled(&mut self.err_a, None, h, e5, &self.stages, full);
                combine_scaled(&mut self.err_b, None, h, e3, &self.stages, full);
            }
        }
        let error = scaled_error(&tab.estimator, u0, u1, &self.err_a, &self.err_b, tol);
        self.cache = Some(cache);
        Attempt { error, nfe }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::elem::ErrorNorm;
    use crate::core::tableau::{DOP853, ERK43, RK4};

    /// u' = iλu + iμ|u|²u: |u| is conserved, so the exact solution is
    /// u0·exp(i(λ + μ|u0|²)t). Stiff λ tests that the linear part is handled exactly.
    struct PhaseRotation {
        symbol: Vec<Complex64>,
        mu: f64,
    }
    impl SemilinearSystem for PhaseRotation {
        fn linear_symbol(&self) -> &[Complex64] {
            &self.symbol
        }
        fn nonlinear_in_place(&mut self, _t: f64, data: &mut [Complex64]) {
            for x in data.iter_mut() {
                *x *= Complex64::new(0.0, self.mu * x.norm_sqr());
            }
        }
    }

    fn error_after(tab: &'static ButcherTableau, steps: usize) -> f64 {
        let lambdas = [0.0, 50.0, -300.0];
        let mut sys = PhaseRotation {
            symbol: lambdas.iter().map(|&l| Complex64::new(0.0, l)).collect(),
            mu: 2.0,
        };
        let u0: Vec<Complex64> = vec![
            Complex64::new(1.0, 0.0),
            Complex64::new(0.6, 0.3),
            Complex64::new(0.0, 0.9),
        ];
        let tol = Tolerances {
            rtol: 1e-6,
            atol: 1e-9,
            norm: ErrorNorm::GlobalRelativeL2,
        };
        let mut rk = InteractionPictureRk::new(tab, 3);
        let (t_end, mut u, mut u1) = (1.0, u0.clone(), u0.clone());
        let h = t_end / steps as f64;
        for n in 0..steps {
            rk.step(&mut sys, n as f64 * h, h, &u, &mut u1, &tol);
            rk.accepted((n + 1) as f64 * h);
            std::mem::swap(&mut u, &mut u1);
        }
        u.iter()
            .zip(&u0)
            .zip(lambdas)
            .map(|((got, x0), l)| {
                let exact = x0 * Complex64::new(0.0, (l + 2.0 * x0.norm_sqr()) * t_end).exp();
                (got - exact).norm()
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn interaction_picture_converges_at_tableau_order_despite_stiff_linear_part() {
        for (tab, n1) in [(&RK4, 40), (&ERK43, 40), (&DOP853, 10)] {
            let order = (error_after(tab, n1) / error_after(tab, 2 * n1)).log2();
            assert!(
                (order - f64::from(tab.order)).abs() < 0.3,
                "{}: {order}",
                tab.name
            );
        }
    }
}

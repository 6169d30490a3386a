#![expect(
    clippy::excessive_precision,
    reason = "coefficients are kept digit for digit as published, so they can be checked against the source"
)]

//! Butcher tableaus of explicit Runge–Kutta methods, with their embedded error estimators.
//!
//! Every tableau is checked against the order conditions in this module's tests, so a
//! mistyped coefficient fails CI instead of silently lowering the order.

/// How a tableau estimates its local error.
#[derive(Clone, Copy, Debug)]
pub enum ErrorEstimator {
    /// No embedded method: fixed-step use only.
    None,
    /// `err = h · Σ e_i k_i` with `e = b − b̂` (the difference of the two embedded solutions).
    Embedded(&'static [f64]),
    /// Hairer's DOP853 estimator (Hairer, Nørsett & Wanner I, II.10; `dop853.f`): a 5th-order
    /// estimate `err5 = h Σ e5_i k_i` corrected by a 3rd-order one `err3 = h Σ e3_i k_i` as
    /// `err = err5² / sqrt(err5² + 0.01·err3²)`, which behaves like `h⁸` for small `h`.
    Dop853 {
        /// The 5th-order error weights (`er1 … er12` in `dop853.f`).
        e5: &'static [f64],
        /// The 3rd-order error weights (`b − bhh` in `dop853.f`).
        e3: &'static [f64],
    },
}

/// An explicit Runge–Kutta method in Butcher form.
#[derive(Clone, Copy, Debug)]
pub struct ButcherTableau {
    /// Short name, shown in the UI and used in links.
    pub name: &'static str,
    /// `a[i]` holds `a_{i,0..i}` (strictly lower triangular).
    pub a: &'static [&'static [f64]],
    /// Weights of the propagated solution.
    pub b: &'static [f64],
    /// Nodes `c_i = Σ_j a_ij`.
    pub c: &'static [f64],
    /// Order of the propagated solution.
    pub order: u32,
    /// The local error estimate behaves like `h^error_order` (the controller's exponent
    /// denominator `k` in `h_new = h · err^(−1/k)`).
    pub error_order: u32,
    /// First same as last: the last stage is `f(t+h, y1)`, reusable as the next first stage.
    pub fsal: bool,
    /// The error estimator.
    pub estimator: ErrorEstimator,
}

impl ButcherTableau {
    /// Number of stages.
    pub fn stages(&self) -> usize {
        self.b.len()
    }
}

/// Forward Euler, order 1 (Euler 1768). Fixed step only.
pub const EULER: ButcherTableau = ButcherTableau {
    name: "Euler",
    a: &[&[]],
    b: &[1.0],
    c: &[0.0],
    order: 1,
    error_order: 1,
    fsal: false,
    estimator: ErrorEstimator::None,
};

/// Heun's method (explicit trapezoid), order 2, with forward Euler embedded (Heun–Euler 2(1)).
pub const HEUN_EULER: ButcherTableau = ButcherTableau {
    name: "Heun",
    a: &[&[], &[1.0]],
    b: &[0.5, 0.5],
    c: &[0.0, 1.0],
    order: 2,
    error_order: 2,
    fsal: false,
    estimator: ErrorEstimator::Embedded(&[-0.5, 0.5]),
};

/// The classical 4th-order Runge–Kutta method (Kutta 1901). Fixed step only.
pub const RK4: ButcherTableau = ButcherTableau {
    name: "RK4",
    a: &[&[], &[0.5], &[0.0, 0.5], &[0.0, 0.0, 1.0]],
    b: &[1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0],
    c: &[0.0, 0.5, 0.5, 1.0],
    order: 4,
    error_order: 4,
    fsal: false,
    estimator: ErrorEstimator::None,
};

/// Classical RK4 with an embedded 3rd-order solution using the FSAL stage `f(t+h, y1)`,
/// weights b̂ = (1/6, 1/3, 1/3, 1/15, 1/10): the ERK4(3) pair of Balac & Mahé (2013),
/// "Embedded Runge–Kutta scheme for step-size control in the interaction picture method",
/// Comput. Phys. Commun. 184, 1211–1219.
pub const ERK43: ButcherTableau = ButcherTableau {
    name: "ERK4(3)",
    a: &[
        &[],
        &[0.5],
        &[0.0, 0.5],
        &[0.0, 0.0, 1.0],
        &[1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0],
    ],
    b: &[1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0, 0.0],
    c: &[0.0, 0.5, 0.5, 1.0, 1.0],
    order: 4,
    error_order: 4,
    fsal: true,
    // b − b̂
    estimator: ErrorEstimator::Embedded(&[0.0, 0.0, 0.0, 1.0 / 6.0 - 1.0 / 15.0, -0.1]),
};

/// Bogacki & Shampine (1989) 3(2) pair, FSAL ("ode23"). Appl. Math. Lett. 2(4), 321–325.
pub const BS32: ButcherTableau = ButcherTableau {
    name: "BS3(2)",
    a: &[
        &[],
        &[0.5],
        &[0.0, 0.75],
        &[2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0],
    ],
    b: &[2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0, 0.0],
    c: &[0.0, 0.5, 0.75, 1.0],
    order: 3,
    error_order: 3,
    fsal: true,
    // b − b̂ with b̂ = (7/24, 1/4, 1/3, 1/8).
    estimator: ErrorEstimator::Embedded(&[
        2.0 / 9.0 - 7.0 / 24.0,
        1.0 / 3.0 - 0.25,
        4.0 / 9.0 - 1.0 / 3.0,
        -0.125,
    ]),
};

/// Dormand & Prince (1980) 5(4) pair, FSAL ("DOPRI5", "ode45"). J. Comput. Appl. Math. 6(1).
pub const DP54: ButcherTableau = ButcherTableau {
    name: "DOPRI5(4)",
    a: &[
        &[],
        &[0.2],
        &[3.0 / 40.0, 9.0 / 40.0],
        &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
        &[
            19372.0 / 6561.0,
            -25360.0 / 2187.0,
            64448.0 / 6561.0,
            -212.0 / 729.0,
        ],
        &[
            9017.0 / 3168.0,
            -355.0 / 33.0,
            46732.0 / 5247.0,
            49.0 / 176.0,
            -5103.0 / 18656.0,
        ],
        // FSAL: the last stage is evaluated at the propagated solution.
        DP54_B.split_at(6).0,
    ],
    b: &DP54_B,
    c: &[0.0, 0.2, 0.3, 0.8, 8.0 / 9.0, 1.0, 1.0],
    order: 5,
    error_order: 5,
    fsal: true,
    estimator: ErrorEstimator::Embedded(&[
        71.0 / 57600.0,
        0.0,
        -71.0 / 16695.0,
        71.0 / 1920.0,
        -17253.0 / 339200.0,
        22.0 / 525.0,
        -1.0 / 40.0,
    ]),
};

const DP54_B: [f64; 7] = [
    35.0 / 384.0,
    0.0,
    500.0 / 1113.0,
    125.0 / 192.0,
    -2187.0 / 6784.0,
    11.0 / 84.0,
    0.0,
];

/// Tsitouras (2011) 5(4) pair, FSAL. "Runge–Kutta pairs of order 5(4) satisfying only the
/// first column simplifying assumption", Comput. Math. Appl. 62, 770–775. Coefficients as
/// tabulated (16 digits) in OrdinaryDiffEq.jl's `Tsit5` tableau.
pub const TSIT54: ButcherTableau = ButcherTableau {
    name: "Tsit5(4)",
    a: &[
        &[],
        &[0.161],
        &[-0.008480655492356989, 0.335480655492357],
        &[2.8971530571054935, -6.359448489975075, 4.3622954328695815],
        &[
            5.325864828439257,
            -11.748883564062828,
            7.4955393428898365,
            -0.09249506636175525,
        ],
        &[
            5.86145544294642,
            -12.92096931784711,
            8.159367898576159,
            -0.071584973281401,
            -0.028269050394068383,
        ],
        // FSAL: the last stage is evaluated at the propagated solution.
        TSIT54_B.split_at(6).0,
    ],
    b: &TSIT54_B,
    c: &[0.0, 0.161, 0.327, 0.9, 0.9800255409045097, 1.0, 1.0],
    order: 5,
    error_order: 5,
    fsal: true,
    estimator: ErrorEstimator::Embedded(&[
        0.0017800110522257773,
        0.0008164344596567463,
        -0.007880878010261994,
        0.1447110071732629,
        -0.5823571654525552,
        0.45808210592918686,
        -1.0 / 66.0,
    ]),
};

const TSIT54_B: [f64; 7] = [
    0.09646076681806523,
    0.01,
    0.4798896504144996,
    1.379008574103742,
    -3.290069515436081,
    2.324710524099774,
    0.0,
];

/// Dormand & Prince 8(5,3), "DOP853" (Hairer, Nørsett & Wanner I, II.10; coefficients of
/// `dop853.f`). 12 stages, the 12th at c = 1; no FSAL in this form.
pub const DOP853: ButcherTableau = ButcherTableau {
    name: "DOP853",
    a: &[
        &[],
        &[5.26001519587677318785587544488e-2],
        &[
            1.97250569845378994544595329183e-2,
            5.91751709536136983633785987549e-2,
        ],
        &[
            2.95875854768068491816892993775e-2,
            0.0,
            8.87627564304205475450678981324e-2,
        ],
        &[
            2.41365134159266685502369798665e-1,
            0.0,
            -8.84549479328286085344864962717e-1,
            9.24834003261792003115737966543e-1,
        ],
        &[
            3.7037037037037037037037037037e-2,
            0.0,
            0.0,
            1.70828608729473871279604482173e-1,
            1.25467687566822425016691814123e-1,
        ],
        &[
            3.7109375e-2,
            0.0,
            0.0,
            1.70252211019544039314978060272e-1,
            6.02165389804559606850219397283e-2,
            -1.7578125e-2,
        ],
        &[
            3.70920001185047927108779319836e-2,
            0.0,
            0.0,
            1.70383925712239993810214054705e-1,
            1.07262030446373284651809199168e-1,
            -1.53194377486244017527936158236e-2,
            8.27378916381402288758473766002e-3,
        ],
        &[
            6.24110958716075717114429577812e-1,
            0.0,
            0.0,
            -3.36089262944694129406857109825e0,
            -8.68219346841726006818189891453e-1,
            2.75920996994467083049415600797e1,
            2.01540675504778934086186788979e1,
            -4.34898841810699588477366255144e1,
        ],
        &[
            4.77662536438264365890433908527e-1,
            0.0,
            0.0,
            -2.48811461997166764192642586468e0,
            -5.90290826836842996371446475743e-1,
            2.12300514481811942347288949897e1,
            1.52792336328824235832596922938e1,
            -3.32882109689848629194453265587e1,
            -2.03312017085086261358222928593e-2,
        ],
        &[
            -9.3714243008598732571704021658e-1,
            0.0,
            0.0,
            5.18637242884406370830023853209e0,
            1.09143734899672957818500254654e0,
            -8.14978701074692612513997267357e0,
            -1.85200656599969598641566180701e1,
            2.27394870993505042818970056734e1,
            2.49360555267965238987089396762e0,
            -3.0467644718982195003823669022e0,
        ],
        &[
            2.27331014751653820792359768449e0,
            0.0,
            0.0,
            -1.05344954667372501984066689879e1,
            -2.00087205822486249909675718444e0,
            -1.79589318631187989172765950534e1,
            2.79488845294199600508499808837e1,
            -2.85899827713502369474065508674e0,
            -8.87285693353062954433549289258e0,
            1.23605671757943030647266201528e1,
            6.43392746015763530355970484046e-1,
        ],
    ],
    b: &DOP853_B,
    c: &[
        0.0,
        0.526001519587677318785587544488e-01,
        0.789002279381515978178381316732e-01,
        0.118350341907227396726757197510e+00,
        0.281649658092772603273242802490e+00,
        0.333333333333333333333333333333e+00,
        0.25e+00,
        0.307692307692307692307692307692e+00,
        0.651282051282051282051282051282e+00,
        0.6e+00,
        0.857142857142857142857142857142e+00,
        1.0,
    ],
    order: 8,
    error_order: 8,
    fsal: false,
    estimator: ErrorEstimator::Dop853 {
        e5: &[
            0.1312004499419488073250102996e-01,
            0.0,
            0.0,
            0.0,
            0.0,
            -0.1225156446376204440720569753e+01,
            -0.4957589496572501915214079952e+00,
            0.1664377182454986536961530415e+01,
            -0.3503288487499736816886487290e+00,
            0.3341791187130174790297318841e+00,
            0.8192320648511571246570742613e-01,
            -0.2235530786388629525884427845e-01,
        ],
        e3: &[
            DOP853_B[0] - 0.244094488188976377952755905512e+00,
            0.0,
            0.0,
            0.0,
            0.0,
            DOP853_B[5],
            DOP853_B[6],
            DOP853_B[7],
            DOP853_B[8] - 0.733846688281611857341361741547e+00,
            DOP853_B[9],
            DOP853_B[10],
            DOP853_B[11] - 0.220588235294117647058823529412e-01,
        ],
    },
};

const DOP853_B: [f64; 12] = [
    5.42937341165687622380535766363e-2,
    0.0,
    0.0,
    0.0,
    0.0,
    4.45031289275240888144113950566e0,
    1.89151789931450038304281599044e0,
    -5.8012039600105847814672114227e0,
    3.1116436695781989440891606237e-1,
    -1.52160949662516078556178806805e-1,
    2.01365400804030348374776537501e-1,
    4.47106157277725905176885569043e-2,
];

/// All tableaus, for listings and tests.
pub const ALL: [&ButcherTableau; 8] = [
    &EULER,
    &HEUN_EULER,
    &RK4,
    &ERK43,
    &BS32,
    &DP54,
    &TSIT54,
    &DOP853,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Σ b_i Φ_i for the elementary weights Φ of the trees of order ≤ 4 (Butcher 2008,
    /// Table 312(I)); returns (computed, expected 1/γ(tree)) pairs.
    fn order_conditions(a: &[&[f64]], b: &[f64], c: &[f64], max_order: u32) -> Vec<(f64, f64)> {
        let s = b.len();
        let ac: Vec<f64> = (0..s)
            .map(|i| (0..i).map(|j| a[i][j] * c[j]).sum())
            .collect();
        let mut conds = vec![(b.iter().sum::<f64>(), 1.0)];
        let dot = |x: &[f64]| -> f64 { b.iter().zip(x).map(|(p, q)| p * q).sum() };
        if max_order >= 2 {
            conds.push((dot(c), 0.5));
        }
        if max_order >= 3 {
            let c2: Vec<f64> = c.iter().map(|x| x * x).collect();
            conds.push((dot(&c2), 1.0 / 3.0));
            conds.push((dot(&ac), 1.0 / 6.0));
        }
        if max_order >= 4 {
            let c3: Vec<f64> = c.iter().map(|x| x * x * x).collect();
            let cac: Vec<f64> = c.iter().zip(&ac).map(|(x, y)| x * y).collect();
            let ac2: Vec<f64> = (0..s)
                .map(|i| (0..i).map(|j| a[i][j] * c[j] * c[j]).sum())
                .collect();
            let aac: Vec<f64> = (0..s)
                .map(|i| (0..i).map(|j| a[i][j] * ac[j]).sum())
                .collect();
            conds.push((dot(&c3), 0.25));
            conds.push((dot(&cac), 0.125));
            conds.push((dot(&ac2), 1.0 / 12.0));
            conds.push((dot(&aac), 1.0 / 24.0));
        }
        conds
    }

    #[test]
    fn row_sums_equal_nodes() {
        for tab in ALL {
            for (i, row) in tab.a.iter().enumerate() {
                let sum: f64 = row.iter().sum();
                assert!(
                    (sum - tab.c[i]).abs() < 1e-14,
                    "{} row {i}: {sum} vs {}",
                    tab.name,
                    tab.c[i]
                );
            }
        }
    }

    #[test]
    fn propagated_weights_meet_order_conditions() {
        for tab in ALL {
            for (got, want) in order_conditions(tab.a, tab.b, tab.c, tab.order.min(4)) {
                assert!((got - want).abs() < 1e-13, "{}: {got} vs {want}", tab.name);
            }
        }
    }

    #[test]
    fn embedded_weights_meet_lower_order_conditions() {
        for tab in ALL {
            let (e, embedded_order) = match tab.estimator {
                ErrorEstimator::None => continue,
                ErrorEstimator::Embedded(e) => (e, tab.error_order - 1),
                ErrorEstimator::Dop853 { e3, .. } => (e3, 3),
            };
            let b_hat: Vec<f64> = tab.b.iter().zip(e).map(|(b, e)| b - e).collect();
            for (got, want) in order_conditions(tab.a, &b_hat, tab.c, embedded_order.min(4)) {
                assert!(
                    (got - want).abs() < 1e-12,
                    "{} embedded: {got} vs {want}",
                    tab.name
                );
            }
            // The embedded solution must differ from the propagated one, or the estimate
            // would be identically zero.
            assert!(e.iter().any(|x| x.abs() > 1e-6), "{}", tab.name);
        }
    }

    #[test]
    fn dop853_fifth_order_error_weights_sum_to_zero() {
        if let ErrorEstimator::Dop853 { e5, .. } = DOP853.estimator {
            assert!(e5.iter().sum::<f64>().abs() < 1e-13);
            let ec: f64 = e5.iter().zip(DOP853.c).map(|(e, c)| e * c).sum();
            assert!(ec.abs() < 1e-13);
        } else {
            panic!("DOP853 must carry its own estimator");
        }
    }
}

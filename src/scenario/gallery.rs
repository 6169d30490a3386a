//! The first screen's teaching material: each simulation's equation (in a small markup the
//! app typesets: `_x` or `_{…}` lowers, `^x` or `^{…}` raises) and a gallery of presets, each a
//! link with one sentence of what it shows and one of what to try. Every preset is an ordinary
//! share link, so the golden tests and the link parser check them like any other.

/// One entry of a simulation's gallery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    /// The button's title.
    pub title: &'static str,
    /// The scenario, as a share link.
    pub link: &'static str,
    /// What it shows, in one sentence.
    pub shows: &'static str,
    /// What to try next, in one sentence.
    pub try_next: &'static str,
}

/// The governing equation of a simulation (by link token), in the typesetting markup.
pub fn equation(sim_key: &str) -> &'static str {
    match sim_key {
        "nlse" => "i ∂_t ψ + (β/2) ∂_x^2 ψ + γ |ψ|^2 ψ = 0",
        "3body" => "d^2r_i/dt^2 = Σ_{j≠i} G m_j (r_j − r_i) / |r_j − r_i|^3",
        "diffusion" => "dx = [f(t) x − g(t)^2 grad_x log p_t(x)] dt + g(t) dw",
        "ns" => "∂_t u + (u·grad) u = −grad p + (1/Re) Δu + f,   div u = 0",
        _ => "",
    }
}

/// What the symbols of [`equation`] are, in one line.
pub fn equation_legend(sim_key: &str) -> &'static str {
    match sim_key {
        "nlse" => {
            "ψ(x, t) complex envelope on a periodic interval; β dispersion, γ nonlinearity \
             (β γ > 0: focusing). Solved pseudo-spectrally: derivatives in x are exact in Fourier space."
        }
        "3body" => {
            "Positions r_i and masses m_i of 2–16 bodies under Newtonian gravity, G = 1. \
             Energy and angular momentum are conserved: their drift is the integrator's error."
        }
        "diffusion" => {
            "Reverse-time SDE of a diffusion model (or its probability-flow ODE), integrated from t = T \
             down to 0 with w a reverse-time Wiener process: particles start as noise; the score grad log p_t is exact for the Gaussian-mixture targets, so every \
             error is the sampler's."
        }
        "ns" => {
            "2D incompressible velocity u and pressure p at Reynolds number Re, forcing f: \
             projection methods on a staggered grid, or a pseudo-spectral vorticity solver."
        }
        _ => "",
    }
}

/// A simulation's gallery (by link token); the first entry is the simulation's default.
pub fn gallery(sim_key: &str) -> &'static [Preset] {
    match sim_key {
        "nlse" => NLSE,
        "3body" => THREE_BODY,
        "diffusion" => DIFFUSION,
        "ns" => NAVIER_STOKES,
        _ => &[],
    }
}

const NLSE: &[Preset] = &[
    Preset {
        title: "Soliton",
        link: "?s=nlse",
        shows: "A bright soliton travels without changing shape; the adaptive DOP853-IP solver \
                is measured against the exact solution as it goes.",
        try_next: "Switch the solver to Strang split-step: the error against the exact solution \
                   grows while the mass stays conserved to round-off.",
    },
    Preset {
        title: "Breather",
        link: "?s=nlse&case=breather&solver=dop853ip&rtol=1e-9",
        shows: "The Akhmediev breather: a periodic modulation grows out of a plane wave, peaks \
                and returns, an exact solution to compare with.",
        try_next: "Loosen rtol to 1e-5 and watch the rejected steps and the error against the \
                   exact solution rise.",
    },
    Preset {
        title: "Collision",
        link: "?s=nlse&case=collision&solver=dopri5ip&rtol=1e-7",
        shows: "Two solitons pass through each other and come out shifted in position, as \
                inverse scattering predicts.",
        try_next: "Open the space–time waterfall to see the shift, then compute on the GPU in \
                   f32 and compare the conserved-quantity drift.",
    },
    Preset {
        title: "Instability",
        link: "?s=nlse&case=mi&solver=rk4ip&dt=0.005&noise=1e-4&seed=7",
        shows: "Noise on a plane wave grows into a train of pulses at the Benjamin–Feir gain rate.",
        try_next: "Open the spectrum view to watch the sidebands rise; change the seed for \
                   another pattern from the same statistics.",
    },
];

const THREE_BODY: &[Preset] = &[
    Preset {
        title: "Figure eight",
        link: "?s=3body",
        shows: "Three equal masses chase each other along one figure-eight curve; the distance \
                from the start is measured after every period.",
        try_next: "Switch to fixed-step leapfrog: its energy error oscillates but stays bounded, \
                   as a symplectic method's should.",
    },
    Preset {
        title: "3-4-5 problem",
        link: "?s=3body&case=pythagorean&solver=ias15",
        shows: "Burrau's problem: close encounters, until one body escapes near t ≈ 60 and \
                leaves a binary behind.",
        try_next: "Watch IAS15's step size fall by orders of magnitude at each close encounter \
                   and recover after it.",
    },
    Preset {
        title: "Lagrange",
        link: "?s=3body&case=lagrange&solver=dopri5",
        shows: "An equilateral triangle rotating rigidly: with equal masses it is unstable, so \
                the integration error grows until the triangle breaks up.",
        try_next: "Change the tolerance and see when the break-up happens: the solver's own error \
                   seeds the instability.",
    },
    Preset {
        title: "Trojan at L4",
        link: "?s=3body&case=trojan&solver=leapfrog&steps=adaptive&eta=0.01",
        shows: "A massless Trojan librates around Jupiter's L4 point, 60° ahead of the planet.",
        try_next: "Compare the energy error with Yoshida-4 at fixed steps, or with IAS15.",
    },
];

const DIFFUSION: &[Preset] = &[
    Preset {
        title: "Eight modes",
        link: "?s=diffusion",
        shows: "Noise is carried back to a ring of eight Gaussians whose score is exact, so every \
                error in the final samples is the sampler's.",
        try_next: "Lower the number of score evaluations (NFE) and switch samplers to see which \
                   keeps the modes sharp.",
    },
    Preset {
        title: "Third order",
        link: "?s=diffusion&sampler=dpm3&nfe=30",
        shows: "A third-order exponential integrator (Lu et al. 2022) samples the ring with 30 \
                score evaluations.",
        try_next: "Start a race against DDIM and Euler–Maruyama at the same budgets (Mode: Race).",
    },
    Preset {
        title: "Two moons, UniPC",
        link: "?s=diffusion&target=moons&process=vp&grid=lambda&sampler=unipc&nfe=15&n=4096&seed=1",
        shows: "UniPC's predictor–corrector (Zhao et al. 2023) on two interleaved half-moons with \
                only 15 evaluations.",
        try_next: "Change the time grid from λ-uniform to t-uniform and compare the sliced \
                   Wasserstein distance at the end.",
    },
    Preset {
        title: "32 dimensions, EDM",
        link: "?s=diffusion&target=gmm-nd&dim=32&k=16&process=edm&grid=edm&rho=7&sampler=heun&churn=40&nfe=64",
        shows: "A 16-component mixture in 32 dimensions sampled with the stochastic Heun sampler \
                of Karras et al. (2022); the view shows two of the coordinates.",
        try_next: "Set churn to 0 for the deterministic sampler and compare the mode masses.",
    },
];

const NAVIER_STOKES: &[Preset] = &[
    Preset {
        title: "Cavity",
        link: "?s=ns",
        shows: "The moving lid drives a primary vortex; the centre-line velocities are compared \
                with the table of Ghia, Ghia & Shin (1982).",
        try_next: "Raise Re to 1000 and watch the secondary vortices grow in the lower corners.",
    },
    Preset {
        title: "Turbulence",
        link: "?s=ns&case=turbulence&n=256&solver=spectral-if",
        shows: "Decaying 2D turbulence: like-signed vortices merge, energy moves to large scales \
                and enstrophy to small ones.",
        try_next: "Show the energy spectrum and watch it steepen towards k^-3.",
    },
    Preset {
        title: "Cylinder wake",
        link: "?s=ns&case=cylinder&n=64&re=100&solver=maccormack",
        shows: "Flow past a cylinder sheds the von Kármán vortex street; its Strouhal number is \
                measured at a probe in the wake.",
        try_next: "Lower Re to 30: the wake stays steady and no street forms.",
    },
    Preset {
        title: "Taylor–Green",
        link: "?s=ns&case=taylor-green&n=32&solver=rk3&pressure=fft",
        shows: "The Taylor–Green vortex decays exactly as e^{−2νt}; the error plot measures the \
                solver against it.",
        try_next: "Double n to 64: a second-order scheme's error falls about four times.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn every_preset_is_a_valid_link_of_its_simulation_and_the_first_is_the_default() {
        for default in crate::scenario::every_default() {
            let key = default.sim_key();
            let presets = gallery(key);
            assert!(presets.len() >= 3, "{key}: {} presets", presets.len());
            assert!(!equation(key).is_empty() && !equation_legend(key).is_empty());
            for preset in presets {
                let scenario: Scenario = preset
                    .link
                    .parse()
                    .unwrap_or_else(|e| panic!("{}: {e}", preset.link));
                assert_eq!(scenario.sim_key(), key, "{}", preset.link);
                assert!(preset.shows.ends_with('.') && preset.try_next.ends_with('.'));
            }
            let first: Scenario = presets[0].link.parse().expect("checked above");
            assert_eq!(
                first, default,
                "{key}: the first preset is the default scenario"
            );
        }
    }
}

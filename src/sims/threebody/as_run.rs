//! Three-body dynamics behind the [`Run`] interface: the f64 CPU run (the f32 GPU run of one
//! system is [`super::gpu_run::ThreeBodyGpuRun`], which adopts its read-back states into one
//! of these for its diagnostics).

use super::cpu::ThreeBodyCpu;
use crate::checkpoint::RunState;
use crate::core::stats::Outcome;
use crate::sims::run::{
    Accuracy, Backend, Run, RunHistory, STAT_COLUMNS, Series, Snapshot, Target, TracePoint,
    outcome_result, stat_values,
};

impl Run for ThreeBodyCpu {
    fn backend(&self) -> Backend {
        Backend::Cpu
    }

    fn time(&self) -> f64 {
        self.stats().t
    }

    /// Lands on the target exactly (the last step shortened) for both kinds of target.
    fn advance(&mut self, target: Target, attempts: u64) -> Result<bool, String> {
        let outcome = self.advance_to(target.time(), attempts);
        outcome_result(&outcome)?;
        Ok(matches!(outcome, Outcome::Reached))
    }

    fn columns(&self) -> Vec<&'static str> {
        let mut c = vec![
            "t",
            "energy",
            "energy_error",
            "max_energy_error",
            "angular_momentum_drift",
            "momentum_drift",
            "min_distance",
            "closest_approach",
        ];
        c.extend(STAT_COLUMNS);
        c
    }

    fn row(&self) -> Vec<f64> {
        let d = self.diagnostics();
        let mut v = vec![
            self.stats().t,
            d.energy,
            d.energy_error,
            d.max_energy_error,
            d.angular_momentum_drift,
            d.momentum_drift,
            d.min_distance,
            d.closest_approach,
        ];
        v.extend(stat_values(self.stats()));
        v
    }

    fn trace(&self) -> TracePoint {
        TracePoint {
            t: self.stats().t,
            h: self.stats().h_last,
            error_estimate: self.stats().last_error,
            drift: self.diagnostics().energy_error,
        }
    }

    fn history(&self) -> RunHistory {
        let h = ThreeBodyCpu::history(self);
        RunHistory {
            note: String::new(),
            series: vec![
                Series::decimated("energy_error", &h.energy_error),
                Series::decimated("angular_momentum_drift", &h.angular_momentum_drift),
                Series::decimated("momentum_drift", &h.momentum_drift),
                Series::decimated("h", &h.step_size),
                Series::decimated("error_estimate", &h.error_estimate),
                Series::decimated("rejected", &h.rejected),
                Series::decimated("nfe", &h.nfe),
                Series::decimated("min_distance", &h.min_distance),
                Series::complete("period_return", h.period_return.clone()),
            ],
        }
    }

    fn accuracy(&self) -> Option<Accuracy> {
        Some(Accuracy {
            value: self.diagnostics().max_energy_error,
            measure: "max relative energy error",
        })
    }

    fn work(&self) -> f64 {
        self.stats().nfe as f64
    }

    fn method_order(&self) -> Option<f64> {
        Some(f64::from(self.params().method.order()))
    }

    fn state_vector(&self) -> Vec<f64> {
        self.bodies()
            .iter()
            .flat_map(|b| b.x.into_iter().chain(b.v))
            .collect()
    }

    fn snapshot(&mut self) -> Snapshot {
        Snapshot::Paths(
            self.trails()
                .iter()
                .map(|trail| trail.iter().map(|p| [p[0], p[1]]).collect())
                .collect(),
        )
    }

    fn checkpoint_state(&self) -> Result<RunState, String> {
        Ok(ThreeBodyCpu::checkpoint_state(self))
    }
}

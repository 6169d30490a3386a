//! The shell's calls that reach into one simulation: the precision shadow of a GPU run, and
//! the JS API's calls that belong to one simulation (obstacles and pushes of the flow, chaos
//! maps of the three-body problem).

use super::navier_stokes::NsApp;
use super::threebody::ThreeBodyApp;
use super::{Notice, StepscopeApp};
use crate::core::shadow::ShadowPoint;
use crate::sims::threebody::ensemble::EnsembleParams;

impl StepscopeApp {
    /// Lets an f64 CPU shadow follow the GPU run (`on`), or stops it. Refused, with the
    /// reason, when the run is not on the GPU or too large for an f64 run to keep up.
    pub fn set_shadow(&mut self, on: bool) -> Result<(), String> {
        self.panels[self.active].set_shadow(on)
    }

    /// Whether an f64 shadow follows the GPU run.
    pub fn shadow_on(&self) -> bool {
        self.panel().shadow_on()
    }

    /// The shadow's comparisons so far (of the active simulation's GPU run).
    pub fn shadow_points(&self) -> &[ShadowPoint] {
        self.panel().shadow_points()
    }

    /// Why single precision limits the GPU run, if it does (None on the CPU).
    pub fn precision_limit(&self) -> Option<String> {
        self.panel().precision_limit()
    }

    /// Continues the run on the f64 shadow: the main view switches to the path that has been
    /// f64 since the shadow started (the GPU run is dropped).
    pub fn continue_on_shadow(&mut self) -> Result<(), String> {
        self.panels[self.active].continue_on_shadow()?;
        self.notice = Some(Notice::Info(
            "Continuing on the f64 shadow: the CPU run that followed the GPU in double precision."
                .into(),
        ));
        Ok(())
    }

    /// The shown panel as `T`, or why the call belongs to another simulation.
    fn active_as<T: 'static>(&mut self, why: &str) -> Result<&mut T, String> {
        self.panels[self.active]
            .as_any_mut()
            .downcast_mut::<T>()
            .ok_or_else(|| why.to_owned())
    }

    /// Paints (`solid`) or erases obstacle cells within `radius` of (x, y) in the
    /// Navier–Stokes run (JS API, tests; the mouse does the same).
    pub fn paint_obstacle(
        &mut self,
        x: f64,
        y: f64,
        radius: f64,
        solid: bool,
    ) -> Result<(), String> {
        let ns = self.active_as::<NsApp>(
            "obstacles belong to the Navier–Stokes simulation: load one first",
        )?;
        let result = ns.paint(x, y, radius, solid);
        self.request_repaint();
        self.noted(result)
    }

    /// Pushes the Navier–Stokes fluid at (x, y) by (du, dv) and drops dye (JS API, tests).
    pub fn push_fluid(
        &mut self,
        x: f64,
        y: f64,
        du: f64,
        dv: f64,
        radius: f64,
    ) -> Result<(), String> {
        let ns =
            self.active_as::<NsApp>("pushing the fluid belongs to the Navier–Stokes simulation")?;
        ns.push_fluid(x, y, du, dv, radius);
        self.request_repaint();
        Ok(())
    }

    /// Starts a chaos map of the three-body scenario with `params` (JS API, tests), on the
    /// GPU if `on_gpu`.
    pub fn start_chaos_map(&mut self, on_gpu: bool, params: EnsembleParams) -> Result<(), String> {
        let gpu = self.gpu.clone();
        let tb = self.active_as::<ThreeBodyApp>(
            "chaos maps belong to the three-body simulation: load one first",
        )?;
        tb.map.on_gpu = on_gpu;
        tb.map.params = params;
        tb.map.resolution_chosen = true;
        tb.show_map = true;
        let result = tb
            .start_map(gpu.as_ref())
            .map_err(|e| format!("Chaos map: {e}"));
        self.request_repaint();
        self.noted(result)
    }

    /// Loads pixel (ix, iy) of the chaos map into the main view.
    pub fn load_map_pixel(&mut self, ix: u32, iy: u32) -> Result<(), String> {
        self.active_as::<ThreeBodyApp>("there is no chaos map")?
            .load_map_pixel(ix, iy)
    }
}

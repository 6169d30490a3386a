//! The GPU compute layer (wgpu, the same copy eframe renders with). Imports no egui.
//!
//! Simulations take a [`GpuContext`] (device and queue) and never create a device: the app
//! takes it from eframe's render state, tests and the CLI from [`GpuContext::headless`].

pub mod fft;
pub mod readback;
pub mod reduce;

pub use eframe::egui_wgpu::wgpu;

/// A device and queue to compute on, with what the adapter says about itself.
#[derive(Clone, Debug)]
pub struct GpuContext {
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// The adapter's name, backend and type (e.g. "llvmpipe … Vulkan Cpu").
    pub adapter: wgpu::AdapterInfo,
}

/// Why no GPU context could be made.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No adapter at all (no WebGPU, no Vulkan/GL driver).
    #[error("no GPU adapter is available: {0}")]
    NoAdapter(String),
    /// The adapter refused the device.
    #[error("the GPU adapter refused to create a device: {0}")]
    Device(String),
    /// Mapping a buffer for readback failed.
    #[error("reading back from the GPU failed: {0}")]
    Readback(String),
}

impl GpuContext {
    /// A context from eframe's render state: compute on the device that draws.
    pub fn from_render_state(render_state: &eframe::egui_wgpu::RenderState) -> Self {
        Self {
            device: render_state.device.clone(),
            queue: render_state.queue.clone(),
            adapter: render_state.adapter.get_info(),
        }
    }

    /// A headless context for tests and the CLI. Prefers a CPU adapter (lavapipe) when
    /// `prefer_cpu`, so tests behave the same on every machine of this project.
    pub async fn headless(prefer_cpu: bool) -> Result<Self, GpuError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
        let mut adapters = instance.enumerate_adapters(wgpu::Backends::all()).await;
        // Vulkan before GL; with prefer_cpu, CPU adapters first (rerun's select_testing_adapter).
        adapters.sort_by_key(|a| {
            let info = a.get_info();
            let cpu_rank = u8::from(!(prefer_cpu && info.device_type == wgpu::DeviceType::Cpu));
            let backend_rank = u8::from(info.backend != wgpu::Backend::Vulkan);
            (cpu_rank, backend_rank)
        });
        let adapter = adapters
            .into_iter()
            .next()
            .ok_or_else(|| GpuError::NoAdapter("no adapter enumerated".into()))?;
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("stepscope headless device"),
                required_features: wgpu::Features::empty(),
                required_limits: wgpu::Limits::downlevel_defaults(),
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::Device(e.to_string()))?;
        Ok(Self {
            device,
            queue,
            adapter: adapter.get_info(),
        })
    }

    /// One line naming the adapter, for benchmark and test output.
    pub fn describe(&self) -> String {
        format!(
            "{} ({:?}, {:?})",
            self.adapter.name, self.adapter.backend, self.adapter.device_type
        )
    }
}

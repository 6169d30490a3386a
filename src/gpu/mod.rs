//! The GPU compute layer (wgpu, the same copy eframe renders with). Imports no egui.
//!
//! Simulations take a [`GpuContext`] (device and queue) and never create a device: the app
//! takes it from eframe's render state, tests and the CLI from [`GpuContext::headless`].

pub mod fft;
pub mod field_view;
#[cfg(test)]
mod mirrors;
pub mod pacing;
pub mod pool;
pub mod readback;
pub mod reduce;
pub mod shaders;

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
        // WebGPU's default limits, as egui-wgpu requests them for the app (8 storage buffers
        // per stage: the NLSE kernels bind 7).
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("stepscope headless device"),
                required_features: wgpu::Features::empty(),
                required_limits: wgpu::Limits::default(),
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

    /// The adapter's name, or its backend where the browser hides the name (labels).
    pub fn adapter_name(&self) -> String {
        if self.adapter.name.is_empty() {
            format!("{:?}", self.adapter.backend)
        } else {
            self.adapter.name.clone()
        }
    }

    /// One line naming the adapter, for benchmark and test output.
    pub fn describe(&self) -> String {
        format!(
            "{} ({:?}, {:?})",
            self.adapter.name, self.adapter.backend, self.adapter.device_type
        )
    }
}

/// Helpers every GPU module uses: pipelines from WGSL, buffers, blocking readback.
impl GpuContext {
    /// One compute pipeline per entry point of shader file `shader` (assembled by
    /// [`shaders::module`]), each with a layout derived from its own bindings.
    pub fn compute_pipelines<const K: usize>(
        &self,
        shader: &str,
        entry_points: [&str; K],
    ) -> [wgpu::ComputePipeline; K] {
        self.compute_pipelines_with_layout(shader, None, entry_points)
    }

    /// Like [`GpuContext::compute_pipelines`] with an explicit layout shared by all entry
    /// points, so one bind group serves every kernel of a module.
    pub fn compute_pipelines_with_layout<const K: usize>(
        &self,
        shader: &str,
        layout: Option<&wgpu::PipelineLayout>,
        entry_points: [&str; K],
    ) -> [wgpu::ComputePipeline; K] {
        // The registry is fixed at build time and every module is assembled and validated by
        // tests/shaders.rs, so a failure here is a build defect, not an input.
        let source = shaders::module(shader).unwrap_or_else(|e| panic!("shader registry: {e}"));
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(shader),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        entry_points.map(|entry| {
            self.device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry),
                    layout,
                    module: &module,
                    entry_point: Some(entry),
                    compilation_options: Default::default(),
                    cache: None,
                })
        })
    }

    /// A buffer of `size` bytes.
    pub fn buffer(&self, label: &str, size: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: false,
        })
    }

    /// A buffer holding `contents` (COPY_DST is added to `usage`; at least 16 bytes).
    pub fn buffer_with<T: bytemuck::Pod>(
        &self,
        label: &str,
        contents: &[T],
        usage: wgpu::BufferUsages,
    ) -> wgpu::Buffer {
        let bytes: &[u8] = bytemuck::cast_slice(contents);
        let buffer = self.buffer(
            label,
            (bytes.len() as u64).max(16),
            usage | wgpu::BufferUsages::COPY_DST,
        );
        self.queue.write_buffer(&buffer, 0, bytes);
        buffer
    }

    /// Copies `size` bytes of `source` from `offset` and waits for them (tests, the CLI and
    /// checkpoints; the frame loop uses [`readback::Readback`] instead).
    pub fn read_blocking(
        &self,
        source: &wgpu::Buffer,
        offset: u64,
        size: u64,
    ) -> Result<Vec<u8>, GpuError> {
        let staging = self.buffer(
            "blocking readback",
            size,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        );
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("blocking readback"),
            });
        encoder.copy_buffer_to_buffer(source, offset, &staging, 0, size);
        self.queue.submit([encoder.finish()]);
        let (sender, receiver) = std::sync::mpsc::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = sender.send(r);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        receiver
            .recv()
            .map_err(|e| GpuError::Readback(e.to_string()))?
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let bytes = staging
            .slice(..)
            .get_mapped_range()
            .map_err(|e| GpuError::Readback(e.to_string()))?
            .to_vec();
        staging.unmap();
        Ok(bytes)
    }
}

impl GpuContext {
    /// Records `steps` steps with `record(encoder, count)` in command buffers of at most
    /// `batch` steps (a long run must not build one enormous command buffer), submits them and
    /// waits for the device (tests, benchmarks, the command line).
    pub fn run_in_batches(
        &self,
        steps: usize,
        batch: usize,
        mut record: impl FnMut(&mut wgpu::CommandEncoder, usize),
    ) -> Result<(), String> {
        let mut left = steps;
        while left > 0 {
            let count = left.min(batch.max(1));
            let mut encoder = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("steps"),
                });
            record(&mut encoder, count);
            self.queue.submit([encoder.finish()]);
            left -= count;
        }
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// An rgba8 picture a compute shader writes and egui draws as a native texture.
    pub fn picture_texture(&self, width: u32, height: u32, label: &str) -> wgpu::Texture {
        self.device.create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba8Unorm,
            usage: wgpu::TextureUsages::STORAGE_BINDING
                | wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        })
    }
}

/// The layout entry of a write-only rgba8 storage texture (a picture painted by a kernel).
pub fn picture_layout_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::StorageTexture {
            access: wgpu::StorageTextureAccess::WriteOnly,
            format: wgpu::TextureFormat::Rgba8Unorm,
            view_dimension: wgpu::TextureViewDimension::D2,
        },
        count: None,
    }
}

/// A bind group entry binding a whole buffer.
pub fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: buffer.as_entire_binding(),
    }
}

/// A compute-stage layout entry for a whole buffer of binding type `ty` (explicit layouts,
/// shared by every entry point of a module).
pub fn buffer_layout_entry(
    binding: u32,
    ty: wgpu::BufferBindingType,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// A storage buffer binding type.
pub fn storage(read_only: bool) -> wgpu::BufferBindingType {
    wgpu::BufferBindingType::Storage { read_only }
}

/// Rounds a complex f64 value to an f32 pair keeping its modulus as exact as f32 allows: of
/// the nearest pair and its neighbours one ulp away, the one whose |z|² (evaluated in f64) is
/// closest to the f64 |z|². Twiddles and propagators are applied thousands of times: with
/// these twiddles a 2000-step Strang run on the GPU lost 1.1e-4 of its mass instead of 2.5e-4.
pub fn round_keeping_modulus(z: rustfft::num_complex::Complex64) -> [f32; 2] {
    let target = z.norm_sqr();
    let neighbours = |x: f32| [x.next_down(), x, x.next_up()];
    let mut best = [z.re as f32, z.im as f32];
    let mut best_error = f64::INFINITY;
    for re in neighbours(z.re as f32) {
        for im in neighbours(z.im as f32) {
            let (r, i) = (f64::from(re), f64::from(im));
            let error = (r * r + i * i - target).abs();
            if error < best_error {
                best_error = error;
                best = [re, im];
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustfft::num_complex::Complex64;

    #[test]
    fn rounding_keeps_the_modulus_within_one_ulp() {
        let mut worst_plain = 0.0f64;
        let mut worst_kept = 0.0f64;
        for k in 0..4096 {
            let z = Complex64::from_polar(1.0, k as f64 * 0.0123);
            let m = |v: [f32; 2]| (f64::from(v[0]).powi(2) + f64::from(v[1]).powi(2) - 1.0).abs();
            let q = round_keeping_modulus(z);
            worst_plain = worst_plain.max(m([z.re as f32, z.im as f32]));
            worst_kept = worst_kept.max(m(q));
            // Still within one ulp of the exact value.
            assert!((f64::from(q[0]) - z.re).abs() < 2.0 * f64::from(f32::EPSILON));
            assert!((f64::from(q[1]) - z.im).abs() < 2.0 * f64::from(f32::EPSILON));
        }
        assert!(
            worst_kept < worst_plain,
            "plain {worst_plain:e}, kept {worst_kept:e}"
        );
    }
}

//! Paints a scalar field held in a GPU buffer into an rgba8 texture for egui to draw as a
//! native texture (`shaders/field_view.wgsl`): the Navier–Stokes views of the MAC and the
//! spectral GPU solvers, coloured as the CPU path colours them (`app::colour::field_pixels`).

use std::sync::atomic::{AtomicU64, Ordering};

use bytemuck::{Pod, Zeroable};

use super::{GpuContext, buffer_layout_entry, entry, picture_layout_entry, storage, wgpu};

/// Mirror of the WGSL `Params`. Keep in sync with `field_view.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct PaintParams {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) value_offset: u32,
    pub(crate) mask_offset: u32,
    pub(crate) signed: u32,
    pub(crate) pad: [u32; 3],
}

/// The WGSL `NO_MASK`.
const NO_MASK: u32 = u32::MAX;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A texture of `width × height` texels painted from a field in a buffer.
pub struct FieldPainter {
    /// Unique per instance, so the UI knows when to register a new texture.
    pub id: u64,
    range: wgpu::ComputePipeline,
    paint: wgpu::ComputePipeline,
    /// Bind groups for unsigned (viridis) and signed (blue–white–red) pictures.
    bind_groups: [wgpu::BindGroup; 2],
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    texels: u32,
}

impl FieldPainter {
    /// A painter of the field `values[value_offset ..][.. width·height]` (row 0 at the
    /// bottom), with cells flagged 1 in `mask[mask_offset ..]` painted as obstacles.
    pub fn new(
        ctx: &GpuContext,
        (width, height): (usize, usize),
        values: &wgpu::Buffer,
        value_offset: usize,
        mask: Option<(&wgpu::Buffer, usize)>,
    ) -> FieldPainter {
        let layout = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("field view"),
                entries: &[
                    buffer_layout_entry(0, wgpu::BufferBindingType::Uniform),
                    buffer_layout_entry(1, storage(true)),
                    buffer_layout_entry(2, storage(true)),
                    buffer_layout_entry(3, storage(false)),
                    picture_layout_entry(4),
                ],
            });
        let pipeline_layout = ctx
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("field view"),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let [range, paint] = ctx.compute_pipelines_with_layout(
            "field_view.wgsl",
            Some(&pipeline_layout),
            ["field_range", "field_paint"],
        );
        let texture = ctx.picture_texture(width as u32, height as u32, "field view");
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let range_buffer = ctx.buffer("field view range", 16, wgpu::BufferUsages::STORAGE);
        // Without a mask any small buffer fills the slot (the shader never reads it).
        let (mask_buffer, mask_offset) = match mask {
            Some((buffer, offset)) => (buffer.clone(), offset as u32),
            None => (
                ctx.buffer("field view no mask", 4, wgpu::BufferUsages::STORAGE),
                NO_MASK,
            ),
        };
        let bind_groups = [0u32, 1].map(|signed| {
            let params = PaintParams {
                width: width as u32,
                height: height as u32,
                value_offset: value_offset as u32,
                mask_offset,
                signed,
                pad: [0; 3],
            };
            let params_buffer =
                ctx.buffer_with("field view params", &[params], wgpu::BufferUsages::UNIFORM);
            ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("field view"),
                layout: &layout,
                entries: &[
                    entry(0, &params_buffer),
                    entry(1, values),
                    entry(2, &mask_buffer),
                    entry(3, &range_buffer),
                    wgpu::BindGroupEntry {
                        binding: 4,
                        resource: wgpu::BindingResource::TextureView(&view),
                    },
                ],
            })
        });
        FieldPainter {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            range,
            paint,
            bind_groups,
            texture,
            view,
            texels: (width * height) as u32,
        }
    }

    /// Records the painting (the field's range, then every texel) into `pass`.
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>, signed: bool) {
        pass.set_bind_group(0, &self.bind_groups[usize::from(signed)], &[]);
        pass.set_pipeline(&self.range);
        pass.dispatch_workgroups(1, 1, 1);
        pass.set_pipeline(&self.paint);
        let groups = self.texels.div_ceil(256);
        pass.dispatch_workgroups(groups.min(65_535), groups.div_ceil(65_535), 1);
    }

    /// The picture (rgba8 holding sRGB colour, the top row of the domain first).
    pub fn texture(&self) -> &wgpu::TextureView {
        &self.view
    }

    /// The picture's texels, rows top first, blocking (tests).
    pub fn pixels_blocking(&self, ctx: &GpuContext) -> Result<Vec<[u8; 4]>, String> {
        let size = self.texture.size();
        let (width, height) = (size.width, size.height);
        // Rows of a texture copy are padded to 256 bytes.
        let row_bytes = (width * 4).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
        let buffer = ctx.buffer(
            "field view copy",
            u64::from(row_bytes * height),
            wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
        );
        let mut encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("field view copy"),
            });
        encoder.copy_texture_to_buffer(
            self.texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(row_bytes),
                    rows_per_image: Some(height),
                },
            },
            size,
        );
        ctx.queue.submit([encoder.finish()]);
        let bytes = ctx
            .read_blocking(&buffer, 0, buffer.size())
            .map_err(|e| e.to_string())?;
        Ok(bytes
            .chunks_exact(row_bytes as usize)
            .flat_map(|row| {
                row[..(width * 4) as usize]
                    .chunks_exact(4)
                    .map(|p| [p[0], p[1], p[2], p[3]])
                    .collect::<Vec<_>>()
            })
            .collect())
    }
}

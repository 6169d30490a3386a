//! Space–time pictures of a GPU run drawn on the GPU (`shaders/nlse_view.wgsl`): the
//! waterfall of |ψ(x)|² and the spectrogram of |ψ̂(k)|² as rgba8 textures that the UI hands to
//! egui as native textures, so the field never travels through the CPU to be drawn.

use std::sync::atomic::{AtomicU64, Ordering};

use bytemuck::{Pod, Zeroable};

use crate::gpu::{
    GpuContext, buffer_layout_entry as buffer, entry, picture_layout_entry, storage, wgpu,
};

/// Columns of a picture (like the CPU waterfall's).
pub const COLUMNS: u32 = 512;
/// Rows kept (like the CPU waterfall's).
pub const ROWS: u32 = 256;

/// Uniform parameters. Keep in sync with `nlse_view.wgsl` `ViewParams`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub(crate) struct ViewParams {
    pub(crate) len: u32,
    pub(crate) columns: u32,
    pub(crate) capacity: u32,
    pub(crate) row: u32,
    pub(crate) filled: u32,
    pub(crate) shift: u32,
    pub(crate) log_scale: u32,
    pub(crate) pad0: u32,
}
const _: () = assert!(std::mem::size_of::<ViewParams>() == 32);

/// One picture: its ring of raw rows, its texture and the bind group painting it.
struct Picture {
    params: ViewParams,
    params_buffer: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    texture_view: wgpu::TextureView,
}

/// The waterfall and spectrogram of one GPU run.
pub struct NlseViews {
    /// Unique per instance, so the UI knows when to register new textures.
    pub id: u64,
    push: wgpu::ComputePipeline,
    maximum: wgpu::ComputePipeline,
    paint: wgpu::ComputePipeline,
    waterfall: Picture,
    spectrogram: Picture,
    rows: u32,
    /// The submission serial and simulation time of the rows, oldest first (the time is NaN
    /// until that submission's readback tells it).
    times: std::collections::VecDeque<(u32, f64)>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl NlseViews {
    /// Pictures of a run on `n` points whose physical field is in `field` (when recorded)
    /// and whose spectrum is in `spectrum`.
    pub fn new(ctx: &GpuContext, n: usize, field: &wgpu::Buffer, spectrum: &wgpu::Buffer) -> Self {
        // One explicit layout for the three entry points (auto layouts are per pipeline).
        let layout = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("nlse views"),
                entries: &[
                    buffer(0, wgpu::BufferBindingType::Uniform),
                    buffer(1, storage(true)),
                    buffer(2, storage(false)),
                    buffer(3, storage(false)),
                    picture_layout_entry(4),
                ],
            });
        let pipeline_layout = ctx
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("nlse views"),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let [push, maximum, paint] = ctx.compute_pipelines_with_layout(
            "nlse_view.wgsl",
            Some(&pipeline_layout),
            ["push", "maximum", "paint"],
        );
        let columns = COLUMNS.min(n as u32);
        let picture = |source: &wgpu::Buffer, log_scale: bool, label: &str| {
            let params = ViewParams {
                len: n as u32,
                columns,
                capacity: ROWS,
                row: ROWS - 1,
                filled: 0,
                // The spectrogram runs over k from −k_max: FFT order shifted by N/2.
                shift: if log_scale { n as u32 / 2 } else { 0 },
                log_scale: u32::from(log_scale),
                pad0: 0,
            };
            let params_buffer = ctx.buffer_with(label, &[params], wgpu::BufferUsages::UNIFORM);
            let ring = ctx.buffer(
                label,
                u64::from(columns * ROWS) * 4,
                wgpu::BufferUsages::STORAGE,
            );
            let scale = ctx.buffer(label, 16, wgpu::BufferUsages::STORAGE);
            let texture = ctx.picture_texture(columns, ROWS, label);
            let texture_view = texture.create_view(&wgpu::TextureViewDescriptor::default());
            let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(label),
                layout: &layout,
                entries: &[
                    entry(0, &params_buffer),
                    entry(1, source),
                    entry(2, &ring),
                    entry(3, &scale),
                    wgpu::BindGroupEntry {
                        binding: 4,
                        resource: wgpu::BindingResource::TextureView(&texture_view),
                    },
                ],
            });
            Picture {
                params,
                params_buffer,
                bind_group,
                texture_view,
            }
        };
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            waterfall: picture(field, false, "nlse waterfall"),
            spectrogram: picture(spectrum, true, "nlse spectrogram"),
            push,
            maximum,
            paint,
            rows: 0,
            times: std::collections::VecDeque::new(),
        }
    }

    /// Records a new row of both pictures (the field must be in physical space in the
    /// waterfall's source when this runs) and repaints them, in submission `serial`.
    pub fn record(&mut self, ctx: &GpuContext, encoder: &mut wgpu::CommandEncoder, serial: u32) {
        self.rows = (self.rows + 1).min(ROWS);
        self.times.push_back((serial, f64::NAN));
        while self.times.len() > ROWS as usize {
            self.times.pop_front();
        }
        for picture in [&mut self.waterfall, &mut self.spectrogram] {
            picture.params.row = (picture.params.row + 1) % ROWS;
            picture.params.filled = self.rows;
            ctx.queue.write_buffer(
                &picture.params_buffer,
                0,
                bytemuck::bytes_of(&picture.params),
            );
        }
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("nlse views"),
            timestamp_writes: None,
        });
        for picture in [&self.waterfall, &self.spectrogram] {
            let columns = picture.params.columns;
            pass.set_bind_group(0, &picture.bind_group, &[]);
            pass.set_pipeline(&self.push);
            pass.dispatch_workgroups(columns.div_ceil(256), 1, 1);
            pass.set_pipeline(&self.maximum);
            pass.dispatch_workgroups(1, 1, 1);
            pass.set_pipeline(&self.paint);
            pass.dispatch_workgroups(columns.div_ceil(16), ROWS.div_ceil(16), 1);
        }
    }

    /// The waterfall texture (|ψ|² over x, newest row at the top).
    pub fn waterfall(&self) -> &wgpu::TextureView {
        &self.waterfall.texture_view
    }

    /// The spectrogram texture (log |ψ̂|² over k, newest row at the top).
    pub fn spectrogram(&self) -> &wgpu::TextureView {
        &self.spectrogram.texture_view
    }

    /// Rows recorded (at most [`ROWS`]).
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Dates the row recorded in submission `serial` (from its readback).
    pub fn set_time(&mut self, serial: u32, t: f64) {
        if let Some(row) = self.times.iter_mut().rev().find(|(s, _)| *s == serial) {
            row.1 = t;
        }
    }

    /// Times of the oldest and newest dated rows.
    pub fn time_span(&self) -> Option<(f64, f64)> {
        let mut dated = self.times.iter().map(|r| r.1).filter(|t| t.is_finite());
        let first = dated.next()?;
        Some((first, dated.next_back().unwrap_or(first)))
    }
}

//! Asynchronous readback of small GPU results (diagnostics), never blocking a frame: the
//! frame that records the copy calls [`Readback::request`]; later frames call
//! [`Readback::try_take`], which polls the device without waiting and hands over the bytes
//! once the copy has landed (a frame or two later). While a readback is in flight new
//! requests are skipped, so at most one copy per buffer is ever outstanding.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use super::{GpuContext, GpuError, wgpu};

const IDLE: u8 = 0;
const IN_FLIGHT: u8 = 1;
const MAPPED: u8 = 2;
const FAILED: u8 = 3;

/// A staging buffer with its mapping state.
pub struct Readback {
    staging: wgpu::Buffer,
    size: u64,
    state: Arc<AtomicU8>,
}

impl Readback {
    /// A readback of `size` bytes (a multiple of 4).
    pub fn new(ctx: &GpuContext, size: u64, label: &str) -> Self {
        Self {
            staging: ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            size,
            state: Arc::new(AtomicU8::new(IDLE)),
        }
    }

    /// Whether a copy is on its way (new requests are skipped meanwhile).
    pub fn in_flight(&self) -> bool {
        self.state.load(Ordering::Acquire) != IDLE
    }

    /// Records a copy of `size` bytes of `source` (from `offset`) into `encoder`, unless one
    /// is already in flight; returns whether it was recorded. Call [`Readback::submitted`]
    /// after submitting the encoder.
    pub fn request(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        source: &wgpu::Buffer,
        offset: u64,
    ) -> bool {
        if self.in_flight() {
            return false;
        }
        encoder.copy_buffer_to_buffer(source, offset, &self.staging, 0, self.size);
        true
    }

    /// Starts mapping after the encoder with the copy was submitted.
    pub fn submitted(&self) {
        if self.state.swap(IN_FLIGHT, Ordering::AcqRel) != IDLE {
            return;
        }
        let state = Arc::clone(&self.state);
        self.staging
            .slice(..)
            .map_async(wgpu::MapMode::Read, move |result| {
                state.store(
                    if result.is_ok() { MAPPED } else { FAILED },
                    Ordering::Release,
                );
            });
    }

    /// Polls the device without blocking; returns the bytes once the copy has landed.
    pub fn try_take(&self, ctx: &GpuContext) -> Result<Option<Vec<u8>>, GpuError> {
        let _ = ctx.device.poll(wgpu::PollType::Poll);
        match self.state.load(Ordering::Acquire) {
            MAPPED => {
                let bytes = {
                    let view = self
                        .staging
                        .slice(..)
                        .get_mapped_range()
                        .map_err(|e| GpuError::Readback(e.to_string()))?;
                    view.to_vec()
                };
                self.staging.unmap();
                self.state.store(IDLE, Ordering::Release);
                Ok(Some(bytes))
            }
            FAILED => {
                self.state.store(IDLE, Ordering::Release);
                Err(GpuError::Readback(
                    "the GPU could not map the readback buffer".into(),
                ))
            }
            _ => Ok(None),
        }
    }
}

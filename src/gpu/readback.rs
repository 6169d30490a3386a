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
        self.request_parts(encoder, &[(source, offset, self.size)])
    }

    /// Like [`Readback::request`] for several `(source, offset, size)` ranges, laid out one
    /// after the other in the staging buffer (their sizes must add up to its size), so one
    /// mapping brings back e.g. a controller's state and the field it belongs to.
    pub fn request_parts(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        parts: &[(&wgpu::Buffer, u64, u64)],
    ) -> bool {
        if self.in_flight() {
            return false;
        }
        debug_assert_eq!(parts.iter().map(|p| p.2).sum::<u64>(), self.size);
        let mut at = 0;
        for &(source, offset, size) in parts {
            encoder.copy_buffer_to_buffer(source, offset, &self.staging, at, size);
            at += size;
        }
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

    /// Waits for the copy in flight (tests, the CLI and benchmarks; never the frame loop, and
    /// not on the web, where the browser maps buffers between tasks).
    pub fn wait(&self, ctx: &GpuContext) -> Result<Option<Vec<u8>>, GpuError> {
        if self.state.load(Ordering::Acquire) == IDLE {
            return Ok(None);
        }
        ctx.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        self.try_take(ctx)
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

/// Two readbacks that travel together, e.g. a run's history and its fields: each is recorded
/// only while its previous copy is not in flight, and only the copies recorded are started
/// (a mapping that already landed must not be restarted).
pub struct ReadbackPair {
    first: Readback,
    second: Readback,
    requested: (bool, bool),
}

impl ReadbackPair {
    /// Readbacks of `first_size` and `second_size` bytes.
    pub fn new(ctx: &GpuContext, first_size: u64, second_size: u64, label: &str) -> Self {
        Self {
            first: Readback::new(ctx, first_size, label),
            second: Readback::new(ctx, second_size, label),
            requested: (false, false),
        }
    }

    /// Records the copies (`first` from offset 0 of a buffer, `second` from several ranges)
    /// that are not in flight; call [`Self::submitted`] after submitting `encoder`.
    pub fn request(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        first: &wgpu::Buffer,
        second: &[(&wgpu::Buffer, u64, u64)],
    ) {
        self.requested.0 |= self.first.request(encoder, first, 0);
        self.requested.1 |= self.second.request_parts(encoder, second);
    }

    /// Starts the mappings of the copies just submitted.
    pub fn submitted(&mut self) {
        let (first, second) = std::mem::take(&mut self.requested);
        if first {
            self.first.submitted();
        }
        if second {
            self.second.submitted();
        }
    }

    /// Whether either copy is on its way.
    pub fn in_flight(&self) -> bool {
        self.first.in_flight() || self.second.in_flight()
    }

    /// The bytes of the copies that have landed; never blocks.
    #[allow(clippy::type_complexity)]
    pub fn try_take(
        &self,
        ctx: &GpuContext,
    ) -> Result<(Option<Vec<u8>>, Option<Vec<u8>>), GpuError> {
        Ok((self.first.try_take(ctx)?, self.second.try_take(ctx)?))
    }
}

//! A pool of GPU buffers recycled by exact size and usage, so simulations that rebuild their
//! tables (a method switch, an edited equation) reuse memory instead of allocating anew each
//! time; the device frees a buffer only when the pool drops it.

use super::{GpuContext, wgpu};

/// Buffers handed back, by exact (size, usage).
#[derive(Default)]
pub struct BufferPool {
    free: Vec<wgpu::Buffer>,
    created: u64,
    reused: u64,
}

impl BufferPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// A buffer of `size` bytes (at least 16) with `usage`: a recycled one if the pool holds
    /// one of exactly that size and usage (so shaders see the same array length), else new.
    pub fn take(
        &mut self,
        ctx: &GpuContext,
        label: &str,
        size: u64,
        usage: wgpu::BufferUsages,
    ) -> wgpu::Buffer {
        let size = size.max(16);
        if let Some(i) = self
            .free
            .iter()
            .position(|b| b.size() == size && b.usage() == usage)
        {
            self.reused += 1;
            return self.free.swap_remove(i);
        }
        self.created += 1;
        ctx.buffer(label, size, usage)
    }

    /// Like [`BufferPool::take`], filled with `contents` (COPY_DST is added to `usage`).
    pub fn take_with<T: bytemuck::Pod>(
        &mut self,
        ctx: &GpuContext,
        label: &str,
        contents: &[T],
        usage: wgpu::BufferUsages,
    ) -> wgpu::Buffer {
        let bytes: &[u8] = bytemuck::cast_slice(contents);
        let buffer = self.take(
            ctx,
            label,
            bytes.len() as u64,
            usage | wgpu::BufferUsages::COPY_DST,
        );
        ctx.queue.write_buffer(&buffer, 0, bytes);
        buffer
    }

    /// Hands a buffer back for reuse. Work already submitted that uses it still completes
    /// (wgpu keeps it alive); the next `take` may overwrite it only through later commands.
    pub fn give(&mut self, buffer: wgpu::Buffer) {
        self.free.push(buffer);
    }

    /// Buffers created and reused so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.created, self.reused)
    }
}

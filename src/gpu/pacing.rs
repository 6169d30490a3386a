//! GPU work sized by its measured duration, and a watchdog that adapts to the adapter.
//!
//! A live run submits a batch of steps per frame. On a discrete GPU a batch of hundreds of
//! steps takes a millisecond; on a software adapter (SwiftShader in the browser, lavapipe) one
//! step can take 100 ms, and a fixed batch freezes the page for seconds. The pacer times every
//! submission from the queue's completion callbacks (the time it ran, not the time it waited
//! behind the previous one), doubles the batch while submissions finish well inside the
//! target and halves it when they overrun, and allows a submission many times the slowest one
//! seen before it calls the GPU stalled, so a slow adapter is not mistaken for a broken one.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use web_time::Instant;

use super::wgpu;

/// The shortest stall the watchdog reports: below this even a slow adapter has answered.
pub const WATCHDOG_FLOOR_S: f64 = 10.0;

/// Until a first submission has finished the GPU may take this long: a software adapter
/// compiles the pipelines at their first dispatch (SwiftShader took over 30 s for the
/// Navier–Stokes FFT pipelines on 2 cores).
pub const FIRST_SUBMISSION_S: f64 = 180.0;

/// A stall is this many times the slowest submission measured.
const WATCHDOG_FACTOR: f64 = 20.0;

/// Submissions in flight at most: two keep the GPU busy while a readback travels.
pub const MAX_IN_FLIGHT: usize = 2;

#[derive(Default)]
struct Timings {
    /// Submission times of the work not yet done, oldest first (a queue completes in order).
    pending: VecDeque<Instant>,
    /// When the last submission finished.
    last_done: Option<Instant>,
    /// Durations measured since the pacer last adapted.
    measured: Vec<f64>,
}

/// Sizes and times a run's GPU submissions (see the module docs).
pub struct SubmissionPacer {
    timings: Arc<Mutex<Timings>>,
    /// Work units (steps, attempts) for the next submission.
    units: u32,
    min_units: u32,
    max_units: u32,
    /// Wall time one submission should take.
    target_s: f64,
    /// The slowest submission measured after the first (which compiles the pipelines).
    slowest_s: f64,
    /// Submissions measured so far.
    recorded: u64,
}

impl SubmissionPacer {
    /// A pacer starting at `units` per submission, within `min_units..=max_units`, aiming at
    /// `target_s` of GPU time per submission.
    pub fn new(units: u32, min_units: u32, max_units: u32, target_s: f64) -> Self {
        Self {
            timings: Arc::default(),
            units: units.clamp(min_units, max_units),
            min_units,
            max_units,
            target_s,
            slowest_s: 0.0,
            recorded: 0,
        }
    }

    /// Submits `commands` on `queue` and times them.
    pub fn submit<I: IntoIterator<Item = wgpu::CommandBuffer>>(
        &self,
        queue: &wgpu::Queue,
        commands: I,
    ) {
        queue.submit(commands);
        self.lock().pending.push_back(Instant::now());
        let timings = Arc::clone(&self.timings);
        queue.on_submitted_work_done(move || {
            let now = Instant::now();
            let mut t = timings.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(submitted) = t.pending.pop_front() {
                // It could start only when its predecessor finished.
                let started = t.last_done.map_or(submitted, |done| done.max(submitted));
                t.measured.push(now.duration_since(started).as_secs_f64());
            }
            t.last_done = Some(now);
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Timings> {
        self.timings.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Submissions not yet done.
    pub fn in_flight(&self) -> usize {
        self.lock().pending.len()
    }

    /// Whether another submission may be recorded now.
    pub fn has_room(&self) -> bool {
        self.in_flight() < MAX_IN_FLIGHT
    }

    /// Takes the durations measured since the last call and sizes the next submissions.
    pub fn adapt(&mut self) {
        let measured = std::mem::take(&mut self.lock().measured);
        for seconds in measured {
            self.record(seconds);
        }
    }

    /// One measured submission: the batch doubles below half the target, halves above twice
    /// the target (a dead band between, so the size does not oscillate).
    fn record(&mut self, seconds: f64) {
        if self.recorded > 0 {
            self.slowest_s = self.slowest_s.max(seconds);
        }
        self.recorded += 1;
        self.units = if seconds < 0.5 * self.target_s {
            self.units.saturating_mul(2).min(self.max_units)
        } else if seconds > 2.0 * self.target_s {
            (self.units / 2).max(self.min_units)
        } else {
            self.units
        };
    }

    /// Steps per submission, submissions in flight and finished, the slowest (s), the
    /// watchdog (s).
    pub fn json(&self) -> serde_json::Value {
        let t = self.lock();
        serde_json::json!({
            "units": self.units,
            "in_flight": t.pending.len(),
            "finished_any": t.last_done.is_some(),
            "slowest_s": self.slowest_s,
            "oldest_pending_s": t.pending.front().map(|p| p.elapsed().as_secs_f64()),
        })
    }

    /// Work units for the next submission.
    pub fn units(&self) -> u32 {
        self.units
    }

    /// The slowest submission measured (s).
    pub fn slowest_s(&self) -> f64 {
        self.slowest_s
    }

    /// How long the GPU may keep a submission before it is called stalled: at least
    /// [`WATCHDOG_FLOOR_S`] ([`FIRST_SUBMISSION_S`] before any has finished), and many times
    /// the slowest submission of this adapter (measurements not yet adapted to included).
    pub fn watchdog_s(&self) -> f64 {
        let t = self.lock();
        self.watchdog_of(&t)
    }

    fn watchdog_of(&self, t: &Timings) -> f64 {
        let floor = if t.last_done.is_some() {
            WATCHDOG_FLOOR_S
        } else {
            FIRST_SUBMISSION_S
        };
        // The first submission compiles the pipelines: it says nothing of the steps' pace.
        let skip = usize::from(self.recorded == 0);
        let slowest = t
            .measured
            .iter()
            .skip(skip)
            .copied()
            .fold(self.slowest_s, f64::max);
        floor.max(WATCHDOG_FACTOR * slowest)
    }

    /// How long the oldest submission has been running, when that is longer than the
    /// watchdog allows. It runs from when it could start: its submission, or the end of its
    /// predecessor if that came later (work queued behind a slow submission is not stalled).
    pub fn stalled(&self) -> Option<f64> {
        let t = self.lock();
        let submitted = *t.pending.front()?;
        let started = t.last_done.map_or(submitted, |done| done.max(submitted));
        let age = started.elapsed().as_secs_f64();
        (age > self.watchdog_of(&t)).then_some(age)
    }

    /// The message of a stall of `age` seconds: the GPU was slow, not necessarily broken.
    pub fn stall_message(&self, age: f64) -> String {
        if self.lock().last_done.is_none() {
            return format!("the GPU has not finished its first submission in {age:.0} s");
        }
        format!(
            "the GPU has not finished a submission for {age:.0} s (its slowest before took \
             {:.2} s)",
            self.slowest_s
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_grow_on_a_fast_adapter_and_shrink_on_a_slow_one() {
        let mut pacer = SubmissionPacer::new(8, 1, 512, 0.016);
        for _ in 0..10 {
            pacer.record(0.001);
        }
        assert_eq!(pacer.units(), 512, "doubles up to the cap");
        let mut slow = SubmissionPacer::new(8, 1, 512, 0.016);
        slow.record(0.2);
        assert_eq!(slow.units(), 4);
        for _ in 0..10 {
            slow.record(0.2);
        }
        assert_eq!(slow.units(), 1, "halves down to one step");
        // Inside the dead band the size stays.
        let mut steady = SubmissionPacer::new(8, 1, 512, 0.016);
        steady.record(0.02);
        assert_eq!(steady.units(), 8);
    }

    #[test]
    fn the_watchdog_allows_a_slow_adapter_many_times_its_slowest_submission() {
        let mut pacer = SubmissionPacer::new(1, 1, 64, 0.016);
        assert_eq!(
            pacer.watchdog_s(),
            FIRST_SUBMISSION_S,
            "pipelines compile first"
        );
        pacer.lock().last_done = Some(Instant::now());
        assert_eq!(pacer.watchdog_s(), WATCHDOG_FLOOR_S);
        pacer.record(30.0);
        assert_eq!(
            pacer.watchdog_s(),
            WATCHDOG_FLOOR_S,
            "the first compiles the pipelines"
        );
        pacer.record(0.1);
        assert_eq!(pacer.watchdog_s(), WATCHDOG_FLOOR_S, "0.1 s is not slow");
        pacer.record(2.0);
        assert!((pacer.watchdog_s() - 40.0).abs() < 1e-12);
        assert!(pacer.stalled().is_none(), "nothing pending");
        // Work queued behind a slow submission counts from the end of that submission.
        let long_ago = Instant::now() - std::time::Duration::from_secs(100);
        {
            let mut t = pacer.lock();
            t.pending.push_back(long_ago);
            t.last_done = Some(Instant::now());
        }
        assert!(
            pacer.stalled().is_none(),
            "queued 100 s ago, could start only now"
        );
        pacer.lock().last_done = Some(long_ago);
        assert!(pacer.stalled().is_some_and(|age| age > 99.0));
        // A measurement not yet adapted to widens the watchdog at once.
        pacer.lock().measured.push(10.0);
        assert!((pacer.watchdog_s() - 200.0).abs() < 1e-12);
        assert!(
            pacer
                .stall_message(41.0)
                .contains("slowest before took 2.00 s")
        );
    }
}

//! Bounded histories for live plots: memory stays flat on arbitrarily long runs.

use serde::{Deserialize, Serialize};

/// A time series that keeps at most `capacity` points covering the *whole* run: when full it
/// drops every other point and from then on records every `stride`-th sample, so resolution
/// halves instead of the beginning being forgotten.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DecimatingSeries {
    points: Vec<[f64; 2]>,
    capacity: usize,
    stride: u64,
    offered: u64,
}

impl DecimatingSeries {
    /// An empty series holding at most `capacity` (≥ 4) points.
    pub fn new(capacity: usize) -> Self {
        Self {
            points: Vec::with_capacity(capacity.max(4)),
            capacity: capacity.max(4),
            stride: 1,
            offered: 0,
        }
    }

    /// Offers a sample; it is kept if it falls on the current stride.
    pub fn push(&mut self, t: f64, value: f64) {
        // The stride is a power of two (it starts at 1 and doubles), so a mask replaces the
        // division: this runs for every series after every step of a run.
        let keep = self.offered & (self.stride - 1) == 0;
        self.offered += 1;
        if !keep {
            return;
        }
        if self.points.len() == self.capacity {
            let mut i = 0;
            self.points.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.stride *= 2;
        }
        self.points.push([t, value]);
    }

    /// The kept points, oldest first.
    pub fn points(&self) -> &[[f64; 2]] {
        &self.points
    }

    /// The last kept point.
    pub fn last(&self) -> Option<[f64; 2]> {
        self.points.last().copied()
    }

    /// Every how many offered samples one is kept (1 until the first decimation).
    pub fn stride(&self) -> u64 {
        self.stride
    }

    /// Forgets all points.
    pub fn clear(&mut self) {
        self.points.clear();
        self.stride = 1;
        self.offered = 0;
    }
}

/// One recorded series.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Series {
    /// Its name (a column of the CLI's rows where there is one).
    pub name: String,
    /// `[t, value]`, oldest first.
    pub points: Vec<[f64; 2]>,
    /// How it was decimated (empty: every sample is kept).
    pub decimation: String,
}

impl Series {
    /// A series of a [`DecimatingSeries`].
    pub fn decimated(name: &str, series: &DecimatingSeries) -> Series {
        let stride = series.stride();
        Series {
            name: name.to_owned(),
            points: series.points().to_vec(),
            decimation: if stride > 1 {
                format!(
                    "one sample in {stride} kept (the series halves its resolution when full, so it covers the whole run)"
                )
            } else {
                String::new()
            },
        }
    }

    /// A series with every sample.
    pub fn complete(name: &str, points: Vec<[f64; 2]>) -> Series {
        Series {
            name: name.to_owned(),
            points,
            decimation: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_stays_bounded_and_covers_the_whole_run() {
        let mut s = DecimatingSeries::new(100);
        for i in 0..1_000_000u32 {
            s.push(f64::from(i), f64::from(i) * 2.0);
        }
        assert!(s.points().len() <= 100);
        assert!(s.points().len() >= 50);
        assert_eq!(s.points()[0], [0.0, 0.0]);
        let last = s.last().map(|p| p[0]).unwrap_or(0.0);
        assert!(last > 990_000.0, "{last}");
        // Samples stay in order and consistent.
        for w in s.points().windows(2) {
            assert!(w[1][0] > w[0][0]);
            assert_eq!(w[1][1], 2.0 * w[1][0]);
        }
    }
}

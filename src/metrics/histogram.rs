//! Fixed-bucket histograms of durations: one atomic count per bucket and an atomic
//! sum, so an observation takes no lock and allocates nothing. Rendered as
//! Prometheus `_bucket` (cumulative), `_sum` and `_count` lines.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds, in microseconds, for latencies measured in milliseconds (an event's
/// `ts` has millisecond resolution): 1 ms to 10 s.
pub const MS_BOUNDS_US: [u64; 13] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

/// Upper bounds, in microseconds, for round trips on a local network: 100 µs to 1 s.
pub const US_BOUNDS_US: [u64; 12] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000,
];

/// Durations counted into `N` buckets by upper bound, plus one above the last bound.
#[derive(Debug)]
pub struct Histogram<const N: usize> {
    bounds: &'static [u64; N],
    buckets: [AtomicU64; N],
    above: AtomicU64,
    sum_us: AtomicU64,
}

impl<const N: usize> Histogram<N> {
    /// An empty histogram over ascending upper `bounds` in microseconds.
    pub const fn new(bounds: &'static [u64; N]) -> Self {
        Self {
            bounds,
            buckets: [const { AtomicU64::new(0) }; N],
            above: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, duration: Duration) {
        self.observe_us(u64::try_from(duration.as_micros()).unwrap_or(u64::MAX));
    }

    /// Counts one duration of `us` microseconds.
    pub fn observe_us(&self, us: u64) {
        let index = self.bounds.partition_point(|&bound| bound < us);
        let bucket = self.buckets.get(index).unwrap_or(&self.above);
        bucket.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.buckets
            .iter()
            .chain([&self.above])
            .map(|bucket| bucket.load(Ordering::Relaxed))
            .sum()
    }

    /// Writes the sample lines of `name`, each with `labels` (`key="value"` pairs,
    /// comma-separated, or empty). `_count` is the sum of the buckets read, so it
    /// always equals the `+Inf` bucket, even while observations race the rendering.
    pub fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, bucket) in self.bounds.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let le = *bound as f64 / 1e6;
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        cumulative += self.above.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}"
        );
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = |labels: &str| match labels {
            "" => String::new(),
            some => format!("{{{some}}}"),
        };
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {cumulative}", braces(labels));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static BOUNDS: [u64; 3] = [1_000, 10_000, 100_000];

    #[test]
    fn a_value_on_a_bound_is_counted_in_that_bucket() {
        let histogram = Histogram::new(&BOUNDS);
        for us in [0, 1_000, 1_001, 10_000, 100_001, 5_000_000] {
            histogram.observe_us(us);
        }
        let mut text = String::new();
        histogram.render(&mut text, "x_seconds", "");
        assert_eq!(
            text,
            "x_seconds_bucket{le=\"0.001\"} 2\n\
             x_seconds_bucket{le=\"0.01\"} 4\n\
             x_seconds_bucket{le=\"0.1\"} 4\n\
             x_seconds_bucket{le=\"+Inf\"} 6\n\
             x_seconds_sum 5.112002\n\
             x_seconds_count 6\n"
        );
    }

    #[test]
    fn labels_come_before_le() {
        let histogram = Histogram::new(&BOUNDS);
        histogram.observe(Duration::from_millis(2));
        let mut text = String::new();
        histogram.render(&mut text, "x_seconds", "op=\"claim\"");
        assert!(text.contains("x_seconds_bucket{op=\"claim\",le=\"0.01\"} 1\n"));
        assert!(text.contains("x_seconds_sum{op=\"claim\"} 0.002\n"));
        assert!(text.contains("x_seconds_count{op=\"claim\"} 1\n"));
        assert_eq!(histogram.count(), 1);
    }

    #[test]
    fn bounds_ascend() {
        assert!(MS_BOUNDS_US.windows(2).all(|w| w[0] < w[1]));
        assert!(US_BOUNDS_US.windows(2).all(|w| w[0] < w[1]));
    }
}

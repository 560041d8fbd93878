//! Where clients landed: nginx picks the instance, so the harness reads each
//! instance's own `/metrics` (its `reprise_watchers` gauge, its counters) to tell
//! which one serves a watcher or took a request.

use std::future::Future;
use std::time::Duration;

use super::harness::{INSTANCES, Topology};
use crate::helpers::Scrape;

/// How long an instance may take to count a watcher that joined or left.
const COUNTED_WITHIN: Duration = Duration::from_secs(5);

impl Topology {
    /// `series` as each instance renders it now; `None` for one that does not answer.
    pub async fn metric(&self, series: &str) -> [Option<u64>; INSTANCES] {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let mut values = [None; INSTANCES];
        for (value, port) in values.iter_mut().zip(self.instance_ports) {
            let url = format!("http://127.0.0.1:{port}/metrics");
            if let Ok(response) = client.get(url).send().await
                && let Ok(text) = response.text().await
            {
                *value = Some(Scrape(text).value(series));
            }
        }
        values
    }

    /// `series` of every instance, each of which must answer.
    pub async fn metric_of_each(&self, series: &str) -> [u64; INSTANCES] {
        let values = self.metric(series).await;
        values.map(|value| value.unwrap_or_else(|| panic!("an instance is down: {values:?}")))
    }

    /// Waits until instance `n` (1 to 3) holds `count` watchers.
    pub async fn await_watchers(&self, n: usize, count: u64) {
        let deadline = tokio::time::Instant::now() + COUNTED_WITHIN;
        loop {
            let now = self.metric("reprise_watchers").await;
            if now[n - 1] == Some(count) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "reprise-{n} still holds {:?} watchers, not {count}",
                now[n - 1]
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs `join`, which must add one watcher somewhere (and nothing else may add or
    /// drop one meanwhile), and returns its result with the instance (1 to 3) that
    /// holds the new watcher.
    pub async fn placed<T>(&self, join: impl Future<Output = T>) -> (T, usize) {
        let before = self.metric_of_each("reprise_watchers").await;
        let joined = join.await;
        let deadline = tokio::time::Instant::now() + COUNTED_WITHIN;
        loop {
            let after = self.metric_of_each("reprise_watchers").await;
            let grown: Vec<usize> = (0..INSTANCES).filter(|&i| after[i] > before[i]).collect();
            let total = |counts: [u64; INSTANCES]| counts.iter().sum::<u64>();
            if let [only] = grown[..]
                && total(after) == total(before) + 1
            {
                return (joined, only + 1);
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no single instance counted the new watcher: {before:?} then {after:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

//! Sends a run's reports in order, keeping progress non-decreasing, under a ceiling and
//! to two decimals, dropping reports that would say nothing new, and estimating the
//! time left.

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{ProcessError, Report};

/// Progress steps smaller than this, without a new stage or checkpoint, are not sent.
const MIN_STEP: f64 = 0.1;

pub(super) struct Reporter {
    tx: mpsc::Sender<Report>,
    ceiling: f64,
    last: f64,
    stage: Option<String>,
    /// When, and at what progress, the first report was sent: the base of the estimate.
    start: Option<(Instant, f64)>,
}

impl Reporter {
    pub fn new(tx: mpsc::Sender<Report>, ceiling: f64) -> Self {
        Self {
            tx,
            ceiling,
            last: 0.0,
            stage: None,
            start: None,
        }
    }

    /// Bases the estimate on the next report rather than the first, so that work a
    /// resumed run skips does not count as done quickly.
    pub fn rebase(&mut self) {
        self.start = None;
    }

    /// Sends `report` with its progress clamped between the last one and the ceiling,
    /// and an estimate of the time left when it has none. A closed channel or `stop`
    /// answers [`ProcessError::Stopped`].
    pub async fn send(
        &mut self,
        mut report: Report,
        stop: &CancellationToken,
    ) -> Result<(), ProcessError> {
        let progress = if report.progress.is_finite() {
            report.progress
        } else {
            self.last
        };
        report.progress = ((progress * 100.0).round() / 100.0).clamp(self.last, self.ceiling);
        let news = self.start.is_none()
            || report.checkpoint.is_some()
            || report.stage != self.stage
            || report.progress - self.last >= MIN_STEP;
        if !news {
            return Ok(());
        }
        let (since, from) = *self.start.get_or_insert((Instant::now(), report.progress));
        if report.eta_s.is_none() {
            report.eta_s = estimate(since.elapsed().as_secs_f64(), report.progress - from)
                .map(|per_point| per_point * (100.0 - report.progress));
        }
        self.last = report.progress;
        self.stage.clone_from(&report.stage);
        tokio::select! {
            biased;
            _ = stop.cancelled() => Err(ProcessError::Stopped),
            sent = self.tx.send(report) => sent.map_err(|_| ProcessError::Stopped),
        }
    }
}

/// Seconds per point of progress, once there is enough of both to tell.
fn estimate(elapsed_s: f64, done: f64) -> Option<f64> {
    (elapsed_s >= 1.0 && done >= 1.0).then(|| elapsed_s / done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(progress: f64) -> Report {
        Report {
            progress,
            stage: Some("working".into()),
            eta_s: None,
            checkpoint: None,
        }
    }

    #[tokio::test]
    async fn progress_never_goes_down_nor_past_the_ceiling() {
        let (tx, mut rx) = mpsc::channel(16);
        let mut reporter = Reporter::new(tx, 99.0);
        let stop = CancellationToken::new();
        for progress in [5.0, 3.0, 5.05, f64::NAN, 50.0, 120.0] {
            reporter.send(at(progress), &stop).await.unwrap();
        }
        drop(reporter);
        let mut seen = Vec::new();
        while let Some(report) = rx.recv().await {
            seen.push(report.progress);
        }
        assert_eq!(seen, vec![5.0, 50.0, 99.0]);
    }

    #[tokio::test]
    async fn a_closed_channel_or_stop_means_stopped() {
        let (tx, rx) = mpsc::channel(1);
        let mut reporter = Reporter::new(tx, 100.0);
        let stop = CancellationToken::new();
        drop(rx);
        let sent = reporter.send(at(1.0), &stop).await;
        assert!(matches!(sent, Err(ProcessError::Stopped)));

        let (tx, _rx) = mpsc::channel(1);
        let mut reporter = Reporter::new(tx, 100.0);
        reporter.send(at(1.0), &stop).await.unwrap();
        stop.cancel();
        let sent = reporter.send(at(2.0), &stop).await;
        assert!(matches!(sent, Err(ProcessError::Stopped)));
    }

    #[test]
    fn the_estimate_waits_for_enough_to_go_on() {
        assert_eq!(estimate(0.5, 10.0), None);
        assert_eq!(estimate(10.0, 0.5), None);
        assert_eq!(estimate(10.0, 20.0), Some(0.5));
    }
}

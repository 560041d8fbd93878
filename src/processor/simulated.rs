//! A processor that only pretends: a fixed number of timed steps, for tests and demos.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Job, ProcessError, Processor, Report};

/// `steps` progress reports, `step` apart; the checkpoint is the last step done.
#[derive(Clone, Debug)]
pub struct Simulated {
    pub steps: u32,
    pub step: Duration,
}

#[async_trait]
impl Processor for Simulated {
    async fn run(
        &self,
        job: Job,
        reports: mpsc::Sender<Report>,
        stop: CancellationToken,
    ) -> Result<Value, ProcessError> {
        let steps = self.steps.max(1);
        let done: u32 = job
            .checkpoint
            .as_deref()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
            .min(steps);
        let mut ticks =
            tokio::time::interval_at(tokio::time::Instant::now() + self.step, self.step);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for step in done + 1..=steps {
            tokio::select! {
                _ = stop.cancelled() => return Err(ProcessError::Stopped),
                _ = ticks.tick() => {}
            }
            let report = Report {
                progress: f64::from(step) * 100.0 / f64::from(steps),
                stage: Some("simulating".into()),
                eta_s: Some((steps - step) as f64 * self.step.as_secs_f64()),
                checkpoint: Some(step.to_string()),
            };
            if reports.send(report).await.is_err() {
                return Err(ProcessError::Stopped);
            }
        }
        Ok(json!({ "outputs": [], "simulated": true, "steps": steps, "resumed_from_step": done }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{MediaRoot, VideoPath};
    use crate::session::{SessionId, VideoTag};

    fn job(dir: &std::path::Path, checkpoint: Option<&str>) -> Job {
        std::fs::write(dir.join("v.mp4"), b"x").unwrap();
        let root = MediaRoot::open(dir).unwrap();
        Job {
            session_id: SessionId::generate(&VideoTag::of("v.mp4")),
            video: VideoPath::parse(&root, "v.mp4").unwrap(),
            output_dir: dir.join("out"),
            checkpoint: checkpoint.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn reports_every_step_then_resumes_from_a_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let sim = Simulated {
            steps: 4,
            step: Duration::from_millis(1),
        };
        let (tx, mut rx) = mpsc::channel(16);
        sim.run(job(dir.path(), Some("2")), tx, CancellationToken::new())
            .await
            .unwrap();
        let mut seen = Vec::new();
        while let Some(report) = rx.recv().await {
            seen.push((report.progress, report.checkpoint.unwrap()));
        }
        assert_eq!(seen, vec![(75.0, "3".into()), (100.0, "4".into())]);
    }

    #[tokio::test]
    async fn stops_when_told() {
        let dir = tempfile::tempdir().unwrap();
        let sim = Simulated {
            steps: 1000,
            step: Duration::from_millis(5),
        };
        let (tx, _rx) = mpsc::channel(2000);
        let stop = CancellationToken::new();
        let run = tokio::spawn({
            let stop = stop.clone();
            let job = job(dir.path(), None);
            async move { sim.run(job, tx, stop).await }
        });
        stop.cancel();
        let outcome = tokio::time::timeout(Duration::from_secs(1), run)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(outcome, Err(ProcessError::Stopped)));
    }
}

//! One run of one session on this instance: wait for a slot, drive the processor,
//! record its reports under the lease, keep the lease alive, and stop the moment the
//! lease is lost. On drain, stop the work and hand the lease over.

use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval, timeout};
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::runner::Shared;
use super::{Failure, Snapshot, Status, Update, replies::now_ms};
use crate::media::VideoPath;
use crate::metrics::Metrics;
use crate::processor::{Job, ProcessError, Report};
use crate::store::{Lease, StoreError};
use crate::telemetry::Outage;

/// How long a stopped processor may take to end (it promises to end promptly).
const STOP_WAIT: Duration = Duration::from_secs(5);

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Its terminal event was recorded.
    Finished,
    /// Its lease was superseded or ran out: someone else may own the session now.
    LeaseLost,
    /// The session was cancelled.
    Cancelled,
    /// This instance is draining; the lease was handed over.
    HandedOver,
}

/// The lease as this run holds it: renewed every third of its TTL.
struct Keeper<'a> {
    shared: &'a Shared,
    lease: Lease,
    deadline: Instant,
    renew: Interval,
    outage: Outage,
}

pub(super) async fn run(
    shared: &Shared,
    lease: Lease,
    snapshot: Snapshot,
    video: VideoPath,
    cancel: CancellationToken,
) -> Ending {
    let ttl = shared.settings.lease_ttl;
    let mut renew = tokio::time::interval_at(Instant::now() + ttl / 3, ttl / 3);
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut keeper = Keeper {
        shared,
        lease,
        deadline: Instant::now() + ttl,
        renew,
        outage: Outage::default(),
    };

    let permit = loop {
        tokio::select! {
            permit = shared.slots.clone().acquire_owned() => break permit.expect("slots never close"),
            _ = cancel.cancelled() => return Ending::Cancelled,
            _ = shared.drain.cancelled() => return keeper.hand_over().await,
            _ = keeper.renew.tick() => if !keeper.renew().await { return Ending::LeaseLost },
        }
    };
    if snapshot.status == Status::Queued {
        let mut extra = Map::new();
        extra.insert("stage".into(), "starting".into());
        if !keeper
            .write(&Update::progress(snapshot.progress, extra, None))
            .await
        {
            return Ending::LeaseLost;
        }
    }
    if !keeper.note("start", None).await {
        return Ending::LeaseLost;
    }

    let (reports_tx, mut reports) = mpsc::channel::<Report>(64);
    let job = Job {
        session_id: keeper.lease.session_id.clone(),
        video,
        output_dir: shared
            .settings
            .output_root
            .join(keeper.lease.session_id.as_str()),
        checkpoint: snapshot.checkpoint.clone(),
    };
    let processor = shared.settings.processor.clone();
    let stop_work = CancellationToken::new();
    let mut work = tokio::spawn({
        let stop_work = stop_work.clone();
        async move { processor.run(job, reports_tx, stop_work).await }
    });
    let ending = loop {
        tokio::select! {
            biased;
            _ = cancel.cancelled() => break Ending::Cancelled,
            _ = shared.drain.cancelled() => {
                stop_work.cancel();
                reports.close();
                let _ = (&mut work).await;
                break keeper.hand_over().await;
            }
            _ = keeper.renew.tick() => if !keeper.renew().await { break Ending::LeaseLost },
            Some(report) = reports.recv() => {
                if !keeper.write(&progress_update(report)).await { break Ending::LeaseLost }
            }
            outcome = &mut work => {
                while let Ok(report) = reports.try_recv() {
                    if !keeper.write(&progress_update(report)).await { return Ending::LeaseLost }
                }
                break keeper.finish(outcome).await;
            }
        }
    };
    stop_work.cancel();
    if !work.is_finished() && timeout(STOP_WAIT, &mut work).await.is_err() {
        warn!("the processor did not stop within {STOP_WAIT:?}");
    }
    drop(permit);
    ending
}

impl Keeper<'_> {
    /// Renews the lease; false once it is lost, or could not be renewed in time.
    async fn renew(&mut self) -> bool {
        let ttl = self.shared.settings.lease_ttl;
        match self
            .shared
            .settings
            .store
            .renew(&self.lease, ttl.as_millis() as u64)
            .await
        {
            Ok(true) => {
                self.deadline = Instant::now() + ttl;
                self.outage.recovered("lease renewal");
                true
            }
            Ok(false) => {
                Metrics::bump(&self.shared.settings.metrics.lease_renew_failures);
                warn!("lease lost; stopping the run");
                false
            }
            Err(error) => {
                Metrics::bump(&self.shared.settings.metrics.lease_renew_failures);
                self.outage.failed("lease renewal", &error);
                let in_time = Instant::now() + ttl / 3 < self.deadline;
                if !in_time {
                    warn!("lease could not be renewed before it ran out; stopping the run");
                }
                in_time
            }
        }
    }

    /// Records one event; false when the lease was superseded. A write the store
    /// could not take is skipped: the next report carries newer progress.
    async fn write(&mut self, update: &Update) -> bool {
        match self.shared.settings.store.append(&self.lease, update).await {
            Ok(_) => {
                Metrics::bump(&self.shared.settings.metrics.events_published);
                self.outage.recovered("recording progress");
                true
            }
            Err(StoreError::Fenced) => false,
            Err(error) => {
                self.outage.failed("recording progress", &error);
                true
            }
        }
    }

    /// Adds `start` or `end <how>` to the session's run log; false when fenced.
    async fn note(&mut self, what: &str, how: Option<Ending>) -> bool {
        let settings = &self.shared.settings;
        let mut line = format!(
            "{what} {} {} {}",
            self.lease.token,
            settings.instance,
            now_ms()
        );
        if let Some(how) = how {
            line.push_str(match how {
                Ending::Finished => " finished",
                Ending::LeaseLost => " lease_lost",
                Ending::Cancelled => " stopped",
                Ending::HandedOver => " handed_over",
            });
        }
        match settings.store.note_run(&self.lease, &line).await {
            Ok(()) => true,
            Err(StoreError::Fenced) => false,
            Err(error) => {
                self.outage.failed("writing the run log", &error);
                true
            }
        }
    }

    /// Gives the lease up for another instance to continue at once.
    async fn hand_over(&mut self) -> Ending {
        self.note("end", Some(Ending::HandedOver)).await;
        match self.shared.settings.store.hand_over(&self.lease).await {
            Ok(true) => Ending::HandedOver,
            Ok(false) => Ending::LeaseLost,
            Err(error) => {
                warn!(%error, "could not hand the lease over; it will expire instead");
                Ending::LeaseLost
            }
        }
    }

    /// Records the run's terminal event, retrying while the lease may still be ours.
    async fn finish(
        &mut self,
        outcome: Result<Result<Value, ProcessError>, tokio::task::JoinError>,
    ) -> Ending {
        let update = match outcome {
            Ok(Ok(result)) => Update::complete(result),
            Ok(Err(ProcessError::Stopped)) => return Ending::Cancelled,
            Ok(Err(ProcessError::Failed(reason))) => Update::failed(Failure {
                code: "processing_failed".into(),
                message: reason,
            }),
            Err(panic) => {
                warn!(%panic, "processor task failed");
                let message = "the processor stopped unexpectedly".into();
                Update::failed(Failure {
                    code: "processing_failed".into(),
                    message,
                })
            }
        };
        self.note("end", Some(Ending::Finished)).await;
        let metrics = &self.shared.settings.metrics;
        while Instant::now() < self.deadline {
            match self
                .shared
                .settings
                .store
                .append(&self.lease, &update)
                .await
            {
                Ok(_) => {
                    let counter = match update.status {
                        Status::Complete => &metrics.sessions_completed,
                        _ => &metrics.sessions_failed,
                    };
                    Metrics::bump(counter);
                    Metrics::bump(&metrics.events_published);
                    return Ending::Finished;
                }
                Err(StoreError::Fenced) => return Ending::LeaseLost,
                Err(error) => {
                    self.outage.failed("recording the result", &error);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        Ending::LeaseLost
    }
}

fn progress_update(report: Report) -> Update {
    let mut extra = Map::new();
    if let Some(stage) = report.stage {
        extra.insert("stage".into(), Value::String(stage));
    }
    if let Some(eta) = report.eta_s.filter(|eta| eta.is_finite()) {
        extra.insert("eta_s".into(), Value::from((eta * 10.0).round() / 10.0));
    }
    Update::progress(report.progress, extra, report.checkpoint)
}

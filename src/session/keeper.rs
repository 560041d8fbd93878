//! A run's hold on its lease: renewed every third of its TTL, every write fenced by it,
//! the run log noted under it, and handed over on drain.

use std::time::Duration;

use serde_json::Value;
use tokio::time::{Instant, Interval};
use tracing::{info, warn};

use super::run::Ending;
use super::runner::Shared;
use super::{Failure, Update, replies::now_ms};
use crate::metrics::Metrics;
use crate::processor::ProcessError;
use crate::store::{Lease, StoreError};
use crate::telemetry::Outage;

/// The lease as this run holds it: renewed every third of its TTL.
pub(super) struct Keeper<'a> {
    pub(super) shared: &'a Shared,
    pub(super) lease: Lease,
    pub(super) deadline: Instant,
    pub(super) renew: Interval,
    pub(super) outage: Outage,
    /// Waiting for a slot with the session queued: losing the lease then means that
    /// another instance took it from the queue, which is no fault.
    pub(super) queued: bool,
}

impl Keeper<'_> {
    /// Renews the lease; false once it is lost, or could not be renewed in time.
    pub(super) async fn renew(&mut self) -> bool {
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
            Ok(false) if self.queued => {
                info!("another instance took the queued session");
                false
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
    pub(super) async fn write(&mut self, update: &Update) -> bool {
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
    pub(super) async fn note(&mut self, what: &str, how: Option<Ending>) -> bool {
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
                Ending::TakenFromQueue => " taken_from_queue",
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
    pub(super) async fn hand_over(&mut self) -> Ending {
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
    pub(super) async fn finish(
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
                    metrics.ended(update.status);
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

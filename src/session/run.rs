//! One run of one session on this instance: wait for a slot, drive the processor,
//! record its reports under the lease, keep the lease alive, and stop the moment the
//! lease is lost. On drain, stop the work and hand the lease over.

use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, warn};

use super::keeper::Keeper;
use super::runner::Shared;
use super::{Snapshot, Status, Update};
use crate::media::VideoPath;
use crate::processor::{Job, Report};
use crate::store::Lease;
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
    /// While it waited for a slot here, an instance with a free one took the queued
    /// session (and with it the lease).
    TakenFromQueue,
}

pub(super) async fn run(
    shared: &Shared,
    lease: Lease,
    snapshot: Snapshot,
    video: VideoPath,
    cancel: CancellationToken,
) -> Ending {
    let mut gauge = shared.settings.metrics.run_waiting();
    let ttl = shared.settings.lease_ttl;
    let mut renew = tokio::time::interval_at(Instant::now() + ttl / 3, ttl / 3);
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut keeper = Keeper {
        shared,
        lease,
        deadline: Instant::now() + ttl,
        renew,
        outage: Outage::default(),
        queued: snapshot.status == Status::Queued,
    };

    let permit = loop {
        tokio::select! {
            permit = shared.slots.clone().acquire_owned() => break permit.expect("slots never close"),
            _ = cancel.cancelled() => return Ending::Cancelled,
            _ = shared.drain.cancelled() => return keeper.hand_over().await,
            _ = keeper.renew.tick() => if !keeper.renew().await {
                return match keeper.queued {
                    true => Ending::TakenFromQueue,
                    false => Ending::LeaseLost,
                };
            },
        }
    };
    keeper.queued = false;
    gauge.processing();
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
        async move { processor.run(job, reports_tx, stop_work).await }.in_current_span()
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

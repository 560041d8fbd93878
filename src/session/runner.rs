//! Runs sessions this instance owns: waits for a slot, drives the processor, writes
//! its reports under the lease, renews the lease, and stops the moment it is lost.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, info, info_span, warn};

use super::{Failure, SessionId, Snapshot, Status, Update};
use crate::media::VideoPath;
use crate::metrics::Metrics;
use crate::processor::{Job, ProcessError, Processor, Report};
use crate::store::{Lease, Store, StoreError};

/// Starts and stops the runs of this instance.
#[derive(Clone)]
pub struct Runner {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    processor: Arc<dyn Processor>,
    metrics: Arc<Metrics>,
    slots: Arc<Semaphore>,
    lease_ttl: Duration,
    output_root: PathBuf,
    running: Mutex<HashMap<SessionId, CancellationToken>>,
    shutdown: CancellationToken,
}

/// How a run ended, for logs and tests.
#[derive(Debug, PartialEq)]
enum Ending {
    Finished,
    LeaseLost,
    Stopped,
}

impl Runner {
    pub fn new(
        store: Arc<dyn Store>,
        processor: Arc<dyn Processor>,
        metrics: Arc<Metrics>,
        max_runs: usize,
        lease_ttl: Duration,
        output_root: PathBuf,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                processor,
                metrics,
                slots: Arc::new(Semaphore::new(max_runs.max(1))),
                lease_ttl,
                output_root,
                running: Mutex::new(HashMap::new()),
                shutdown: CancellationToken::new(),
            }),
        }
    }

    /// Whether a run started now would have to wait for a slot.
    pub fn is_full(&self) -> bool {
        self.inner.slots.available_permits() == 0
    }

    /// Runs the session under `lease` in the background, from `snapshot.checkpoint`.
    pub fn spawn(&self, lease: Lease, snapshot: Snapshot, video: VideoPath) {
        let stop = self.inner.shutdown.child_token();
        self.inner
            .running
            .lock()
            .expect("runner lock")
            .insert(lease.session_id.clone(), stop.clone());
        let inner = self.inner.clone();
        let span = info_span!("run", session_id = %lease.session_id, video = %lease.video_path);
        tokio::spawn(
            async move {
                let id = lease.session_id.clone();
                let ending = inner.run(lease, snapshot, video, stop).await;
                info!(?ending, "run ended");
                inner.running.lock().expect("runner lock").remove(&id);
            }
            .instrument(span),
        );
    }

    /// Stops a local run at once (its session was cancelled); writes nothing more.
    pub fn stop(&self, id: &SessionId) {
        if let Some(stop) = self.inner.running.lock().expect("runner lock").get(id) {
            stop.cancel();
        }
    }

    /// Stops every local run; used when the instance shuts down.
    pub fn stop_all(&self) {
        self.inner.shutdown.cancel();
    }
}

impl Inner {
    async fn run(
        &self,
        lease: Lease,
        snapshot: Snapshot,
        video: VideoPath,
        stop: CancellationToken,
    ) -> Ending {
        let mut deadline = Instant::now() + self.lease_ttl;
        let renew_every = self.lease_ttl / 3;
        let mut renew = tokio::time::interval_at(Instant::now() + renew_every, renew_every);

        let permit = loop {
            tokio::select! {
                permit = self.slots.clone().acquire_owned() => break permit.expect("slots never close"),
                _ = stop.cancelled() => return Ending::Stopped,
                _ = renew.tick() => if !self.renew(&lease, &mut deadline).await { return Ending::LeaseLost },
            }
        };
        if snapshot.status == Status::Queued {
            let mut extra = Map::new();
            extra.insert("stage".into(), "starting".into());
            if !self
                .write(&lease, &Update::progress(snapshot.progress, extra, None))
                .await
            {
                return Ending::LeaseLost;
            }
        }

        let (reports_tx, mut reports) = mpsc::channel::<Report>(64);
        let job = Job {
            session_id: lease.session_id.clone(),
            video,
            output_dir: self.output_root.join(lease.session_id.as_str()),
            checkpoint: snapshot.checkpoint.clone(),
        };
        let processor = self.processor.clone();
        let work_stop = stop.child_token();
        let mut work = tokio::spawn({
            let work_stop = work_stop.clone();
            async move { processor.run(job, reports_tx, work_stop).await }
        });
        let ending = loop {
            tokio::select! {
                biased;
                _ = stop.cancelled() => break Ending::Stopped,
                _ = renew.tick() => if !self.renew(&lease, &mut deadline).await { break Ending::LeaseLost },
                Some(report) = reports.recv() => {
                    if !self.write(&lease, &progress_update(report)).await { break Ending::LeaseLost }
                }
                outcome = &mut work => {
                    while let Ok(report) = reports.try_recv() {
                        if !self.write(&lease, &progress_update(report)).await { return Ending::LeaseLost }
                    }
                    break self.finish(&lease, outcome, deadline).await;
                }
            }
        };
        work_stop.cancel();
        drop(permit);
        ending
    }

    /// Renews the lease; false once it is lost or could not be renewed before it ran out.
    async fn renew(&self, lease: &Lease, deadline: &mut Instant) -> bool {
        match self
            .store
            .renew(lease, self.lease_ttl.as_millis() as u64)
            .await
        {
            Ok(true) => {
                *deadline = Instant::now() + self.lease_ttl;
                true
            }
            Ok(false) => {
                Metrics::bump(&self.metrics.lease_renew_failures);
                warn!("lease lost; stopping the run");
                false
            }
            Err(error) => {
                Metrics::bump(&self.metrics.lease_renew_failures);
                let alive = Instant::now() + self.lease_ttl / 3 < *deadline;
                warn!(%error, alive, "lease renewal failed");
                alive
            }
        }
    }

    /// Writes one event; false when the lease was superseded. A write the store could
    /// not take is skipped: the next report carries newer progress.
    async fn write(&self, lease: &Lease, update: &Update) -> bool {
        match self.store.append(lease, update).await {
            Ok(_) => {
                Metrics::bump(&self.metrics.events_published);
                true
            }
            Err(StoreError::Fenced) => {
                Metrics::bump(&self.metrics.runs_fenced);
                false
            }
            Err(error) => {
                warn!(%error, "progress not recorded");
                true
            }
        }
    }

    /// Records the run's terminal event, retrying while the lease may still be ours.
    async fn finish(
        &self,
        lease: &Lease,
        outcome: Result<Result<Value, ProcessError>, tokio::task::JoinError>,
        deadline: Instant,
    ) -> Ending {
        let update = match outcome {
            Ok(Ok(result)) => Update::complete(result),
            Ok(Err(ProcessError::Stopped)) => return Ending::Stopped,
            Ok(Err(ProcessError::Failed(reason))) => Update::failed(Failure {
                code: "processing_failed".into(),
                message: reason,
            }),
            Err(panic) => {
                warn!(%panic, "processor task failed");
                Update::failed(Failure {
                    code: "processing_failed".into(),
                    message: "the processor stopped unexpectedly".into(),
                })
            }
        };
        while Instant::now() < deadline {
            match self.store.append(lease, &update).await {
                Ok(_) => {
                    let counter = match update.status {
                        Status::Complete => &self.metrics.sessions_completed,
                        _ => &self.metrics.sessions_failed,
                    };
                    Metrics::bump(counter);
                    Metrics::bump(&self.metrics.events_published);
                    return Ending::Finished;
                }
                Err(StoreError::Fenced) => return Ending::LeaseLost,
                Err(error) => {
                    warn!(%error, "terminal event not recorded yet; retrying");
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

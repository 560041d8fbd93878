//! Takes over sessions whose owner is gone: on a timer (expired leases, from the
//! store's deadline index) and at once when a draining instance hands one over.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, Span, field, info, info_span, instrument, warn};

use super::{Failure, Runner, SessionId, Snapshot, Status, Update};
use crate::media::{MediaRoot, VideoPath};
use crate::metrics::Metrics;
use crate::store::{Lease, Store, TakeOver};
use crate::telemetry::Outage;

/// Settings of the takeover loop.
pub struct TakeoverSettings {
    pub store: Arc<dyn Store>,
    pub runner: Runner,
    pub media: MediaRoot,
    pub metrics: Arc<Metrics>,
    pub instance: String,
    pub lease_ttl: Duration,
    pub scan_every: Duration,
    pub max_takeovers: u32,
}

/// A handle to the takeover loop. Cheap to clone.
#[derive(Clone)]
pub struct Takeover {
    nudges: mpsc::UnboundedSender<SessionId>,
}

impl Takeover {
    /// Starts the loop; it ends when `stop` is cancelled.
    pub fn spawn(settings: TakeoverSettings, stop: CancellationToken) -> Self {
        let (nudges, inbox) = mpsc::unbounded_channel();
        tokio::spawn(settings.run(inbox, stop));
        Self { nudges }
    }

    /// Asks for an immediate takeover attempt of a session that was handed over.
    pub fn nudge(&self, id: SessionId) {
        let _ = self.nudges.send(id);
    }
}

impl TakeoverSettings {
    async fn run(self, mut nudges: mpsc::UnboundedReceiver<SessionId>, stop: CancellationToken) {
        let mut outage = Outage::default();
        loop {
            let jitter = self.scan_every.mul_f64(rand::random::<f64>() * 0.2);
            tokio::select! {
                _ = stop.cancelled() => return,
                Some(id) = nudges.recv() => self.try_take(&id, &mut outage).await,
                _ = tokio::time::sleep(self.scan_every + jitter) => self.scan(&mut outage).await,
            }
        }
    }

    async fn scan(&self, outage: &mut Outage) {
        let free = self.runner.free_slots();
        if free == 0 {
            return;
        }
        match self.store.expired_leases(free).await {
            Ok(expired) => {
                outage.recovered("looking for expired leases");
                for id in expired {
                    self.try_take(&id, outage).await;
                }
            }
            Err(error) => outage.failed("looking for expired leases", &error),
        }
        self.take_queued(outage).await;
    }

    /// Starts sessions waiting in the cluster-wide queue while this instance has slots
    /// free (counted once: a started run takes its slot a moment later).
    async fn take_queued(&self, outage: &mut Outage) {
        let ttl_ms = self.lease_ttl.as_millis() as u64;
        for _ in 0..self.runner.free_slots() {
            match self.store.take_queued(&self.instance, ttl_ms).await {
                Ok(Some((lease, snapshot))) => {
                    let span = info_span!(
                        "take_queued",
                        session_id = %lease.session_id,
                        video = %snapshot.video_path,
                    );
                    async {
                        info!("took a queued session");
                        self.start(lease, snapshot).await;
                    }
                    .instrument(span)
                    .await;
                }
                Ok(None) => return,
                Err(error) => return outage.failed("taking a queued session", &error),
            }
        }
    }

    #[instrument(skip_all, fields(session_id = %id, video = field::Empty))]
    async fn try_take(&self, id: &SessionId, outage: &mut Outage) {
        if self.runner.is_full() {
            return;
        }
        let ttl_ms = self.lease_ttl.as_millis() as u64;
        match self
            .store
            .take_over(id, &self.instance, ttl_ms, self.max_takeovers)
            .await
        {
            Ok(TakeOver::Taken(lease, snapshot)) => {
                Metrics::bump(&self.metrics.sessions_taken_over);
                Span::current().record("video", snapshot.video_path.as_str());
                info!(
                    progress = snapshot.progress,
                    seq = snapshot.seq,
                    "took the session over"
                );
                self.start(lease, *snapshot).await;
            }
            Ok(TakeOver::GaveUp(_)) => {
                Metrics::bump(&self.metrics.takeover_gave_up);
                self.metrics.ended(Status::Failed);
                warn!(
                    max = self.max_takeovers,
                    "session kept losing its owner; it failed"
                );
            }
            Ok(TakeOver::NotNeeded) => {}
            Err(error) => outage.failed("taking a session over", &error),
        }
    }

    /// Runs a session this instance now holds the lease of; one whose video cannot be
    /// read here fails.
    async fn start(&self, lease: Lease, snapshot: Snapshot) {
        match VideoPath::parse(&self.media, &snapshot.video_path) {
            Ok(video) => self.runner.spawn(lease, snapshot, video),
            Err(error) => {
                warn!(%error, "the video is not available here; failing the session");
                let failure = Failure {
                    code: "processing_failed".into(),
                    message: format!("the video can no longer be read: {error}"),
                };
                match self.store.append(&lease, &Update::failed(failure)).await {
                    Ok(_) => self.metrics.ended(Status::Failed),
                    Err(error) => warn!(%error, "could not record the failure"),
                }
            }
        }
    }
}

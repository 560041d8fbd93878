//! The runs this instance owns: starts them, stops a cancelled one, and on drain
//! hands every lease over so that another instance continues at once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, info, info_span, warn};

use super::run::{self, Ending};
use super::{SessionId, Snapshot, Status};
use crate::media::VideoPath;
use crate::metrics::Metrics;
use crate::processor::Processor;
use crate::store::{Lease, Store};

/// What every run of this instance shares.
pub struct RunnerSettings {
    pub store: Arc<dyn Store>,
    pub processor: Arc<dyn Processor>,
    pub metrics: Arc<Metrics>,
    pub max_runs: usize,
    pub lease_ttl: Duration,
    pub output_root: PathBuf,
    /// This instance's name, written to run logs.
    pub instance: String,
}

/// Starts and stops the runs of this instance. Cheap to clone.
#[derive(Clone)]
pub struct Runner {
    shared: Arc<Shared>,
}

pub(super) struct Shared {
    pub settings: RunnerSettings,
    pub slots: Arc<Semaphore>,
    /// Cancelled on drain: every run hands its lease over.
    pub drain: CancellationToken,
    running: Mutex<HashMap<SessionId, CancellationToken>>,
    tracker: TaskTracker,
}

impl Runner {
    pub fn new(settings: RunnerSettings) -> Self {
        let slots = Arc::new(Semaphore::new(settings.max_runs.max(1)));
        let shared = Shared {
            settings,
            slots,
            drain: CancellationToken::new(),
            running: Mutex::default(),
            tracker: TaskTracker::new(),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// Slots not taken by a run.
    pub fn free_slots(&self) -> usize {
        self.shared.slots.available_permits()
    }

    /// Whether a run started now would have to wait for a slot.
    pub fn is_full(&self) -> bool {
        self.free_slots() == 0
    }

    /// Runs the session under `lease` in the background, from `snapshot.checkpoint`.
    pub fn spawn(&self, lease: Lease, snapshot: Snapshot, video: VideoPath) {
        if self.shared.drain.is_cancelled() {
            info!(session_id = %lease.session_id, "draining: handing a new run over");
            let store = self.shared.settings.store.clone();
            tokio::spawn(async move { store.hand_over(&lease).await });
            return;
        }
        let cancel = CancellationToken::new();
        let id = lease.session_id.clone();
        self.running().insert(id.clone(), cancel.clone());
        let shared = self.shared.clone();
        let span = info_span!("run", session_id = %id, video = %lease.video_path);
        self.shared.tracker.spawn(
            async move {
                let ending = run::run(&shared, lease, snapshot, video, cancel).await;
                info!(?ending, "run ended");
                if matches!(ending, Ending::Cancelled | Ending::LeaseLost) {
                    discard_if_cancelled(&shared, &id).await;
                }
                let counter = match ending {
                    Ending::LeaseLost => Some(&shared.settings.metrics.runs_fenced),
                    Ending::HandedOver => Some(&shared.settings.metrics.runs_handed_over),
                    _ => None,
                };
                counter.map(Metrics::bump);
                shared.running.lock().expect("runner lock").remove(&id);
            }
            .instrument(span),
        );
    }

    /// Stops a local run at once (its session was cancelled); it writes nothing more.
    pub fn stop(&self, id: &SessionId) {
        if let Some(cancel) = self.running().get(id) {
            cancel.cancel();
        }
    }

    /// Hands every run's lease over and waits (up to `within`) until all have.
    pub async fn drain(&self, within: Duration) {
        let runs = self.running().len();
        info!(runs, "handing running sessions over");
        self.shared.drain.cancel();
        self.shared.tracker.close();
        if tokio::time::timeout(within, self.shared.tracker.wait())
            .await
            .is_err()
        {
            warn!(
                left = self.running().len(),
                "drain grace ran out before every run handed over"
            );
        }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, CancellationToken>> {
        self.shared.running.lock().expect("runner lock")
    }
}

/// Removes what a run of a cancelled session left in its output folder (finished
/// chunks, say). Only a cancel: after a lost lease or a hand-over the session goes on
/// elsewhere, possibly in the same (shared) folder.
async fn discard_if_cancelled(shared: &Shared, id: &SessionId) {
    let cancelled = match shared.settings.store.snapshot(id).await {
        Ok(Some(snapshot)) => snapshot.status == Status::Cancelled,
        Ok(None) | Err(_) => false,
    };
    let folder = shared.settings.output_root.join(id.as_str());
    if cancelled
        && folder.exists()
        && let Err(error) = std::fs::remove_dir_all(&folder)
    {
        warn!(%error, "cannot remove a cancelled session's outputs");
    }
}

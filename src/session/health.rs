//! Watches this instance's link to the shared store. When it has been down for longer
//! than a lease, this instance's runs have stopped and other instances may be running
//! its sessions: every local watcher is told (`processing_error` with code
//! `unavailable`, its `session_id`, and no `seq`) so that it can reconnect elsewhere and
//! resume with its `last_seq`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::fanout::Hub;
use crate::store::Store;

/// How often the store is pinged.
const PROBE_EVERY: Duration = Duration::from_millis(500);

/// Starts the watch; it ends when `stop` is cancelled.
pub fn spawn_store_watch(
    store: Arc<dyn Store>,
    hub: Hub,
    tell_after: Duration,
    stop: CancellationToken,
) {
    tokio::spawn(async move {
        let mut down_since: Option<Instant> = None;
        let mut told = false;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(PROBE_EVERY) => {}
            }
            let reachable = tokio::time::timeout(PROBE_EVERY, store.ping())
                .await
                .is_ok_and(|ping| ping.is_ok());
            if reachable {
                down_since = None;
                told = false;
                continue;
            }
            let since = *down_since.get_or_insert_with(Instant::now);
            if !told && since.elapsed() >= tell_after {
                told = true;
                warn!(
                    down_ms = since.elapsed().as_millis() as u64,
                    "shared store unreachable; telling watchers to reconnect elsewhere"
                );
                hub.tell_all("processing_error", |id| {
                    json!({
                        "code": "unavailable",
                        "session_id": id.as_str(),
                        "message": "this server lost its shared state; reconnect and join the session again",
                    })
                    .to_string()
                });
            }
        }
    });
}

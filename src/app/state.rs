//! What the HTTP handlers share: the session service, the store, and the settings
//! the routes need.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::fanout::Hub;
use crate::media::MediaRoot;
use crate::metrics::Metrics;
use crate::processor::InUse;
use crate::session::Sessions;
use crate::store::Store;
use crate::transport::guard::Guard;

/// What HTTP handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub sessions: Sessions,
    pub store: Arc<dyn Store>,
    pub hub: Hub,
    pub metrics: Arc<Metrics>,
    pub store_kind: &'static str,
    /// Where processing outputs are written, served read-only under `/outputs/`.
    pub outputs: MediaRoot,
    /// The processor that runs here, which may stand in for the configured one.
    pub processor: InUse,
    /// The folder video paths are relative to, listed by `/api/v1/videos`.
    pub media: MediaRoot,
    /// Tokens, origins and limits.
    pub guard: Guard,
    pub http: HttpSettings,
}

/// Limits and timings of the HTTP API.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// The largest request body accepted.
    pub max_body: usize,
    /// How often an idle event stream gets a keep-alive comment.
    pub keep_alive: Duration,
    /// How many events an event stream's client may fall behind before it is re-synced.
    pub queue_len: usize,
    /// Cancelled when the instance starts to drain: open event streams end then, so
    /// their clients reconnect (with `Last-Event-ID`) to another instance at once
    /// instead of holding the drain for its whole grace period.
    pub draining: CancellationToken,
}

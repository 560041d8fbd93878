//! Builds the server from its settings: store, feed, hub, runner, takeover, session
//! service, transports; binds the listener; runs until told to stop, then drains.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::config::{Config, ConfigError};
use crate::fanout::Hub;
use crate::media::MediaRoot;
use crate::metrics::Metrics;
use crate::processor;
use crate::session::{
    Runner, RunnerSettings, Sessions, SessionsSettings, Takeover, TakeoverSettings,
    spawn_store_watch,
};
use crate::store::memory::MemoryStore;
use crate::store::redis::{RedisFeed, RedisStore, Target};
use crate::store::{Feed, FeedMessage, Inbox, Retention, Store, StoreError, wire};
use crate::transport::dispatch::Dispatcher;
use crate::transport::guard::Guard;
use crate::transport::{self, SocketIoServer};

mod state;

pub use state::{AppState, HttpSettings};

/// Pending connections the listener queues; a connect burst overflows a small one.
const LISTEN_BACKLOG: u32 = 8192;

/// A built server, bound and ready to run.
pub struct App {
    listener: TcpListener,
    router: Router,
    runner: Runner,
    clients: SocketIoServer,
    stop: CancellationToken,
    drain_grace: Duration,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{what} {path}: {source}")]
    Folder {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl App {
    pub async fn build(config: Config) -> Result<Self, StartError> {
        config.validate()?;
        let media = open_folder("media root", &config.media_root)?;
        let outputs = open_folder("output root", &config.output_root)?;
        let (processor, in_use) = processor::choose(&config, std::env::var_os("PATH").as_deref());
        let (inbox, inbox_rx) = mpsc::unbounded_channel();
        let metrics = Arc::new(Metrics::default());
        let (store, feed, store_kind) = backend(&config, inbox, &metrics).await?;
        let instance = config.instance_name();
        let lease_ttl = Duration::from_millis(config.lease_ttl_ms);
        let stop = CancellationToken::new();

        let hub = Hub::new(feed, store.clone(), metrics.clone(), config.slow_client);
        let runner = Runner::new(RunnerSettings {
            store: store.clone(),
            processor,
            metrics: metrics.clone(),
            max_runs: config.max_concurrent_runs,
            lease_ttl,
            output_root: config.output_root.clone(),
            instance: instance.clone(),
        });
        let takeover = Takeover::spawn(
            TakeoverSettings {
                store: store.clone(),
                runner: runner.clone(),
                media: media.clone(),
                metrics: metrics.clone(),
                instance: instance.clone(),
                lease_ttl,
                scan_every: Duration::from_millis(config.takeover_scan_ms.max(10)),
                max_takeovers: config.max_takeovers,
            },
            stop.clone(),
        );
        spawn_inbox(inbox_rx, hub.clone(), takeover, metrics.clone());
        spawn_store_watch(store.clone(), hub.clone(), lease_ttl, stop.clone());
        let sessions = Sessions::new(SessionsSettings {
            store: store.clone(),
            hub: hub.clone(),
            runner: runner.clone(),
            media: media.clone(),
            instance: instance.clone(),
            lease_ttl,
            metrics: metrics.clone(),
        });

        let queue_len = config.client_queue_len();
        let guard = Guard::new(&config);
        let dispatcher = Dispatcher {
            sessions: sessions.clone(),
            metrics: metrics.clone(),
            max_payload: config.max_payload_bytes,
            guard: guard.clone(),
        };
        let state = AppState {
            sessions,
            store,
            hub,
            metrics,
            store_kind,
            outputs,
            processor: in_use,
            media,
            guard,
            http: HttpSettings {
                max_body: config.max_payload_bytes,
                keep_alive: Duration::from_millis(config.sse_keep_alive_ms.max(1)),
                queue_len,
                draining: stop.clone(),
            },
        };
        let routes = transport::http::routes(&state).with_state(state);
        let (router, clients) =
            transport::serve_socket_io(config.transport, routes, dispatcher, queue_len);
        let listen_error = |source| StartError::Listen {
            address: config.listen.clone(),
            source,
        };
        let listener = bind(&config.listen).map_err(listen_error)?;
        let address = listener.local_addr().map_err(listen_error)?;
        let processor = in_use.kind.name();
        info!(instance, %address, store = store_kind, processor, "listening");
        let drain_grace = Duration::from_millis(config.drain_grace_ms);
        Ok(Self {
            listener,
            router,
            runner,
            clients,
            stop,
            drain_grace,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// A token that stops the server when cancelled.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Serves until the stop token is cancelled, then drains: stops accepting, hands
    /// every running session over to another instance, closes client connections
    /// (clients reconnect elsewhere and resume), all within the drain grace period.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let stop = self.stop.clone();
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(
            axum::serve(self.listener.tap_io(set_nodelay), service)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .into_future(),
        );
        self.stop.cancelled().await;
        let deadline = tokio::time::Instant::now() + self.drain_grace;
        info!(grace_ms = self.drain_grace.as_millis() as u64, "draining");
        self.runner.drain(self.drain_grace).await;
        let _ = tokio::time::timeout_at(deadline, self.clients.close_all()).await;
        match tokio::time::timeout_at(deadline, server).await {
            Ok(Ok(served)) => served,
            Ok(Err(panic)) => Err(std::io::Error::other(panic)),
            Err(_) => {
                warn!("connections still open at the end of the drain grace period; closing them");
                Ok(())
            }
        }
    }
}

/// The media root, created when missing.
/// Opens a folder the server reads from, creating it if it is missing.
fn open_folder(what: &'static str, path: &Path) -> Result<MediaRoot, StartError> {
    if !path.exists() {
        info!(path = %path.display(), "creating the {what}");
        let _ = std::fs::create_dir_all(path);
    }
    MediaRoot::open(path).map_err(|source| StartError::Folder {
        what,
        path: path.display().to_string(),
        source,
    })
}

/// Redis when a URL is set, else the embedded store; both feed `inbox`.
async fn backend(
    config: &Config,
    inbox: Inbox,
    metrics: &Metrics,
) -> Result<(Arc<dyn Store>, Arc<dyn Feed>, &'static str), StoreError> {
    let retention = Retention {
        events: config.retain_events,
        ms: config.retain_ms,
        ended_ttl_ms: config.ended_ttl_ms,
    };
    Ok(match &config.redis_url {
        Some(url) => {
            let target = Target::parse(url, config.redis_cluster)?;
            let (prefix, round_trips) = (&config.redis_prefix, metrics.redis.clone());
            let store =
                RedisStore::connect_observed(&target, prefix, retention, round_trips).await?;
            let feed = RedisFeed::start(&target, prefix, inbox)?;
            let name = match target {
                Target::Single(_) => "redis",
                Target::Cluster(_) => "redis-cluster",
            };
            (Arc::new(store), Arc::new(feed), name)
        }
        None => {
            info!("REPRISE_REDIS_URL is unset: using the embedded store (one instance only)");
            let memory = MemoryStore::new(retention, inbox);
            (memory.clone(), memory, "embedded")
        }
    })
}

/// Routes what the feed delivers: session events to the hub (each observed once in
/// the fan-out latency), hand-overs to takeover.
fn spawn_inbox(
    mut inbox: mpsc::UnboundedReceiver<FeedMessage>,
    hub: Hub,
    takeover: Takeover,
    metrics: Arc<Metrics>,
) {
    tokio::spawn(async move {
        while let Some(message) = inbox.recv().await {
            match message {
                FeedMessage::HandedOver(id) => takeover.nudge(id),
                FeedMessage::Event(id, event) => {
                    if let Some(ts) = wire::ts_of(&event.json) {
                        metrics.event_received(ts);
                    }
                    hub.dispatch(FeedMessage::Event(id, event));
                }
                other => hub.dispatch(other),
            }
        }
    });
}

/// Events are small and latency matters: no Nagle delay on client connections.
fn set_nodelay(stream: &mut tokio::net::TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
}

fn bind(address: &str) -> std::io::Result<TcpListener> {
    let address: SocketAddr = address.parse().map_err(|e| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{address}: {e}"))
    })?;
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

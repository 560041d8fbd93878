//! Builds the server from its settings: store, feed, hub, runner, session service,
//! transports; binds the listener; runs until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::config::{Config, ProcessorKind};
use crate::fanout::Hub;
use crate::media::MediaRoot;
use crate::metrics::Metrics;
use crate::processor::{Processor, Simulated};
use crate::session::{Runner, Sessions};
use crate::store::memory::MemoryStore;
use crate::store::redis::{RedisFeed, RedisStore};
use crate::store::{Feed, Retention, Store};
use crate::transport;

/// Pending connections the listener queues; a connect burst overflows a small one.
const LISTEN_BACKLOG: u32 = 8192;

/// What HTTP handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub sessions: Sessions,
    pub store: Arc<dyn Store>,
    pub hub: Hub,
    pub metrics: Arc<Metrics>,
    pub store_kind: &'static str,
}

/// A built server, bound and ready to run.
pub struct App {
    listener: TcpListener,
    router: Router,
    runner: Runner,
    stop: CancellationToken,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("media root {path}: {source}")]
    MediaRoot {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl App {
    pub async fn build(config: Config) -> Result<Self, StartError> {
        if !config.media_root.exists() {
            info!(path = %config.media_root.display(), "creating the media root");
            let _ = std::fs::create_dir_all(&config.media_root);
        }
        let media =
            MediaRoot::open(&config.media_root).map_err(|source| StartError::MediaRoot {
                path: config.media_root.display().to_string(),
                source,
            })?;
        let retention = Retention {
            events: config.retain_events,
            ms: config.retain_ms,
            ended_ttl_ms: config.ended_ttl_ms,
        };
        let (inbox, inbox_rx) = mpsc::unbounded_channel();
        let (store, feed, store_kind): (Arc<dyn Store>, Arc<dyn Feed>, _) = match &config.redis_url
        {
            Some(url) => (
                Arc::new(RedisStore::connect(url, &config.redis_prefix, retention).await?),
                Arc::new(RedisFeed::start(url, &config.redis_prefix, inbox)?),
                "redis",
            ),
            None => {
                info!("REPRISE_REDIS_URL is unset: using the embedded store (one instance only)");
                let memory = MemoryStore::new(retention, inbox);
                (memory.clone(), memory, "embedded")
            }
        };
        let metrics = Arc::new(Metrics::default());
        let hub = Hub::new(feed, store.clone(), metrics.clone());
        hub.spawn_inbox(inbox_rx);
        let runner = Runner::new(
            store.clone(),
            processor(&config),
            metrics.clone(),
            config.max_concurrent_runs,
            Duration::from_millis(config.lease_ttl_ms),
            config.output_root.clone(),
        );
        let instance = config.instance_name();
        let sessions = Sessions::new(
            store.clone(),
            hub.clone(),
            runner.clone(),
            media,
            instance.clone(),
            Duration::from_millis(config.lease_ttl_ms),
            metrics.clone(),
        );
        let queue_len = (config.retain_events as usize).clamp(256, 8192) + 64;
        let (socketio, _io) = transport::socketio::layer(
            sessions.clone(),
            metrics.clone(),
            config.max_payload_bytes,
            queue_len,
        );
        let state = AppState {
            sessions,
            store,
            hub,
            metrics,
            store_kind,
        };
        let router = transport::http::routes().with_state(state).layer(socketio);
        let listener = bind(&config.listen).map_err(|source| StartError::Listen {
            address: config.listen.clone(),
            source,
        })?;
        info!(instance, address = %listener.local_addr().map_err(|source| StartError::Listen { address: config.listen.clone(), source })?, store = store_kind, "listening");
        Ok(Self {
            listener,
            router,
            runner,
            stop: CancellationToken::new(),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// A token that stops the server when cancelled.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Serves until the stop token is cancelled, then stops every local run.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let stop = self.stop.clone();
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await;
        self.runner.stop_all();
        served
    }
}

fn processor(config: &Config) -> Arc<dyn Processor> {
    if config.processor != ProcessorKind::Simulated {
        warn!(requested = ?config.processor, "this build runs only the simulated processor; using it");
    }
    Arc::new(Simulated {
        steps: config.simulated_steps,
        step: Duration::from_millis(config.simulated_step_ms),
    })
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

//! The store's Redis connection: one multiplexed connection shared by every task, so
//! that concurrent commands are pipelined on one socket and none waits for a pool
//! check; on a Redis Cluster, one cluster connection (a multiplexed connection per
//! node, each command routed by its first key's slot). A connection that breaks is
//! dropped; the next command opens a fresh one. Every call's round trip is observed
//! under its [`RedisOp`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{
    Cmd, ErrorKind, FromRedisValue, Pipeline, RedisError, RedisFuture, Script, ScriptInvocation,
    Value,
};

use super::target::Target;

use crate::metrics::{RedisOp, RedisRoundTrips};
use crate::store::StoreError;

/// How long to wait for a new connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a cluster command may wait for its answer, retries included.
const CLUSTER_RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) struct Connection {
    opener: Opener,
    current: Mutex<Option<Link>>,
    round_trips: Arc<RedisRoundTrips>,
}

/// What opens the next connection.
enum Opener {
    Single(Pool),
    Cluster(Box<ClusterClient>),
}

impl Connection {
    /// A connection to `target`, opened on first use, observing its calls in
    /// `round_trips`.
    pub fn new(target: &Target, round_trips: Arc<RedisRoundTrips>) -> Result<Self, StoreError> {
        let unavailable = |e: RedisError| StoreError::Unavailable(e.to_string());
        let opener = match target {
            Target::Single(url) => Opener::Single(pool(url)?),
            Target::Cluster(seeds) => Opener::Cluster(Box::new(
                ClusterClient::builder(seeds.iter().map(String::as_str))
                    .connection_timeout(CONNECT_TIMEOUT)
                    .response_timeout(CONNECT_TIMEOUT)
                    .overall_response_timeout(Some(CLUSTER_RESPONSE_TIMEOUT))
                    .retries(3)
                    .build()
                    .map_err(unavailable)?,
            )),
        };
        Ok(Self {
            opener,
            current: Mutex::default(),
            round_trips,
        })
    }

    /// Sends one command and decodes its reply.
    pub async fn query<T: FromRedisValue>(&self, op: RedisOp, cmd: &Cmd) -> Result<T, StoreError> {
        let mut conn = self.get().await?;
        let started = Instant::now();
        let reply = cmd.query_async(&mut conn).await;
        self.round_trips.observe(op, started.elapsed());
        reply.map_err(|error| self.failed(error))
    }

    /// Runs a script (loading it first if Redis lacks it) and decodes its reply.
    pub async fn invoke<T: FromRedisValue>(
        &self,
        op: RedisOp,
        call: &ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let mut conn = self.get().await?;
        let started = Instant::now();
        let reply = call.invoke_async(&mut conn).await;
        self.round_trips.observe(op, started.elapsed());
        reply.map_err(|error| self.failed(error))
    }

    /// Loads a script, so that later runs need not send its source.
    pub async fn load(&self, script: &Script) -> Result<(), StoreError> {
        let mut conn = self.get().await?;
        let started = Instant::now();
        let loaded = script.load_async(&mut conn).await;
        self.round_trips
            .observe(RedisOp::LoadScript, started.elapsed());
        loaded.map(drop).map_err(|error| self.failed(error))
    }

    async fn get(&self) -> Result<Link, StoreError> {
        if let Some(conn) = self.current().clone() {
            return Ok(conn);
        }
        let unavailable = |e: &dyn std::fmt::Display| StoreError::Unavailable(e.to_string());
        let conn = match &self.opener {
            Opener::Single(pool) => {
                let pooled = pool.get().await.map_err(|e| unavailable(&e))?;
                Link::Single(deadpool_redis::Connection::take(pooled))
            }
            Opener::Cluster(client) => Link::Cluster(
                client
                    .get_async_connection()
                    .await
                    .map_err(|e| unavailable(&e))?,
            ),
        };
        Ok(self.current().get_or_insert(conn).clone())
    }

    /// Maps a failed command's error; one that leaves the connection in doubt (broken,
    /// timed out) also drops it, so the next command opens a fresh one.
    fn failed(&self, error: RedisError) -> StoreError {
        match error.kind() {
            ErrorKind::Parse | ErrorKind::UnexpectedReturnType => {
                return StoreError::Corrupt(error.to_string());
            }
            ErrorKind::Server(_) | ErrorKind::Extension => {}
            _ => *self.current() = None,
        }
        StoreError::Unavailable(error.to_string())
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Option<Link>> {
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The pool that opens single-server connections: at most two at once, each bounded
/// by [`CONNECT_TIMEOUT`].
fn pool(url: &str) -> Result<Pool, StoreError> {
    let mut config = Config::from_url(url);
    config.pool = Some(PoolConfig {
        max_size: 2,
        timeouts: Timeouts {
            wait: Some(CONNECT_TIMEOUT),
            create: Some(CONNECT_TIMEOUT),
            recycle: Some(CONNECT_TIMEOUT),
        },
        ..PoolConfig::default()
    });
    config
        .create_pool(Some(Runtime::Tokio1))
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

/// An open connection, to one server or to a cluster.
#[derive(Clone)]
enum Link {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Link {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Link::Single(conn) => conn.req_packed_command(cmd),
            Link::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Link::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            Link::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Link::Single(conn) => conn.get_db(),
            Link::Cluster(conn) => conn.get_db(),
        }
    }
}

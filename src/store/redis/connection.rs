//! The store's Redis connection: one multiplexed connection shared by every task, so
//! that concurrent commands are pipelined on one socket and none waits for a pool
//! check. A connection that breaks is dropped; the pool opens the next one. Every
//! call's round trip is observed under its [`RedisOp`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};
use redis::aio::MultiplexedConnection;
use redis::{Cmd, ErrorKind, FromRedisValue, RedisError, Script, ScriptInvocation};

use crate::metrics::{RedisOp, RedisRoundTrips};
use crate::store::StoreError;

/// How long to wait for a new connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) struct Connection {
    pool: Pool,
    current: Mutex<Option<MultiplexedConnection>>,
    round_trips: Arc<RedisRoundTrips>,
}

impl Connection {
    /// A connection to `url`, opened on first use, observing its calls in `round_trips`.
    pub fn new(url: &str, round_trips: Arc<RedisRoundTrips>) -> Result<Self, StoreError> {
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
        let pool = config
            .create_pool(Some(Runtime::Tokio1))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self {
            pool,
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

    async fn get(&self) -> Result<MultiplexedConnection, StoreError> {
        if let Some(conn) = self.current().clone() {
            return Ok(conn);
        }
        let pooled = self
            .pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let conn = deadpool_redis::Connection::take(pooled);
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

    fn current(&self) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

//! The store's Redis connection: one multiplexed connection shared by every task, so
//! that concurrent commands are pipelined on one socket and none waits for a pool
//! check. A connection that breaks is dropped; the pool opens the next one.

use std::sync::Mutex;
use std::time::Duration;

use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};
use redis::aio::MultiplexedConnection;
use redis::{Cmd, ErrorKind, FromRedisValue, RedisError, Script, ScriptInvocation};

use crate::store::StoreError;

/// How long to wait for a new connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) struct Connection {
    pool: Pool,
    current: Mutex<Option<MultiplexedConnection>>,
}

impl Connection {
    /// A connection to `url`, opened on first use.
    pub fn new(url: &str) -> Result<Self, StoreError> {
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
        })
    }

    /// Sends one command and decodes its reply.
    pub async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, StoreError> {
        let mut conn = self.get().await?;
        let reply = cmd.query_async(&mut conn).await;
        reply.map_err(|error| self.failed(error))
    }

    /// Runs a script (loading it first if Redis lacks it) and decodes its reply.
    pub async fn invoke<T: FromRedisValue>(
        &self,
        call: &ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let mut conn = self.get().await?;
        let reply = call.invoke_async(&mut conn).await;
        reply.map_err(|error| self.failed(error))
    }

    /// Loads a script, so that later runs need not send its source.
    pub async fn load(&self, script: &Script) -> Result<(), StoreError> {
        let mut conn = self.get().await?;
        let loaded = script.load_async(&mut conn).await;
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

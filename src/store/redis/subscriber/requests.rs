//! Requests on the pub/sub connection: subscription changes applied in order (runs of
//! subscribes batched into one SUBSCRIBE), each bounded by a timeout.

use std::collections::HashSet;

use redis::{ErrorKind, RedisError};
use tokio::time::timeout;

use super::link::Link;
use super::{BATCH, Command, Done, REQUEST_TIMEOUT, Subscriber};
use crate::session::SessionId;
use crate::store::StoreError;

impl Subscriber {
    /// Applies `first` and any subscribe requests queued right behind it (one
    /// SUBSCRIBE for all of them); `Err` when the connection is lost.
    pub(super) async fn apply(&mut self, link: &mut Link, first: Command) -> Result<(), Trouble> {
        let mut next = Some(first);
        while let Some(command) = next.take() {
            let (id, done) = match command {
                Command::Unsubscribe(id) => {
                    if self.active.remove(&id) {
                        let unsubscribed = timed(link.unsubscribe(self.keys.channel(&id))).await;
                        if let Err(Trouble::Lost(cause)) = unsubscribed {
                            return Err(Trouble::Lost(cause));
                        }
                    }
                    continue;
                }
                Command::Subscribe(id, done) => (id, done),
            };
            let mut batch = vec![(id, done)];
            while batch.len() < BATCH {
                match self.commands.try_recv() {
                    Ok(Command::Subscribe(id, done)) => batch.push((id, done)),
                    Ok(other) => {
                        next = Some(other);
                        break;
                    }
                    Err(_) => break,
                }
            }
            self.subscribe(link, batch).await?;
        }
        Ok(())
    }

    /// Subscribes the batch's new channels with one SUBSCRIBE and answers every
    /// request; on a lost connection the requests wait for the next one instead.
    async fn subscribe(
        &mut self,
        link: &mut Link,
        batch: Vec<(SessionId, Done)>,
    ) -> Result<(), Trouble> {
        let fresh: HashSet<SessionId> = batch
            .iter()
            .filter(|(id, _)| self.active.insert(id.clone()))
            .map(|(id, _)| id.clone())
            .collect();
        let channels: Vec<String> = fresh.iter().map(|id| self.keys.channel(id)).collect();
        let outcome = match channels.is_empty() {
            true => Ok(()),
            false => timed(link.subscribe(&channels)).await,
        };
        match outcome {
            Ok(()) => batch
                .into_iter()
                .for_each(|(_, done)| drop(done.send(Ok(())))),
            Err(Trouble::Refused(cause)) => {
                tracing::warn!(%cause, "redis refused a subscription");
                for id in &fresh {
                    self.active.remove(id);
                }
                for (id, done) in batch {
                    let answer = match fresh.contains(&id) {
                        true => Err(StoreError::Unavailable(cause.clone())),
                        false => Ok(()),
                    };
                    let _ = done.send(answer);
                }
            }
            Err(lost) => {
                self.waiting.extend(batch.into_iter().map(|(_, done)| done));
                return Err(lost);
            }
        }
        Ok(())
    }
}

/// Why a request to Redis failed.
pub(super) enum Trouble {
    /// Redis answered with an error; the connection is fine.
    Refused(String),
    /// No answer: the connection is lost (or as good as).
    Lost(String),
}

impl Trouble {
    pub(super) fn cause(self) -> String {
        match self {
            Trouble::Refused(cause) | Trouble::Lost(cause) => cause,
        }
    }
}

/// Awaits a Redis request for at most [`REQUEST_TIMEOUT`].
pub(super) async fn timed<T>(
    request: impl Future<Output = Result<T, RedisError>>,
) -> Result<T, Trouble> {
    match timeout(REQUEST_TIMEOUT, request).await {
        Err(_) => Err(Trouble::Lost("redis did not answer in time".to_owned())),
        Ok(Err(e)) if matches!(e.kind(), ErrorKind::Server(_)) => {
            Err(Trouble::Refused(e.to_string()))
        }
        Ok(result) => result.map_err(|e| Trouble::Lost(e.to_string())),
    }
}

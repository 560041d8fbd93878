//! Live events over one Redis pub/sub connection per instance.
//!
//! [`RedisFeed`] is the handle; the connection itself belongs to one background task
//! (see `subscriber.rs`) that applies requests in the order they were made.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use super::keys::Keys;
use super::subscriber::{Command, Subscriber};
use super::target::Target;
use crate::session::{EventKind, SessionId};
use crate::store::{Feed, Inbox, StoreError};

/// Subscribes to session channels and forwards their events to the inbox.
///
/// Dropping it stops the background task and closes the connection.
pub struct RedisFeed {
    commands: mpsc::UnboundedSender<Command>,
}

impl RedisFeed {
    /// Starts the subscriber task for `target`, with channels named under `prefix`.
    ///
    /// Must be called within a Tokio runtime. The connection is opened by the task
    /// (and reopened whenever it drops), so a Redis that is down now is no error;
    /// subscriptions wait until it answers.
    pub fn start(target: &Target, prefix: &str, inbox: Inbox) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let (commands, receiver) = mpsc::unbounded_channel();
        let subscriber = Subscriber::new(target, Keys::new(prefix), inbox, receiver)?;
        runtime.spawn(subscriber.run());
        Ok(Self { commands })
    }
}

impl Feed for RedisFeed {
    fn subscribe(&self, id: &SessionId) -> BoxFuture<'static, Result<(), StoreError>> {
        let (done, answer) = oneshot::channel();
        let _ = self.commands.send(Command::Subscribe(id.clone(), done));
        Box::pin(async move {
            answer
                .await
                .unwrap_or_else(|_| Err(StoreError::Unavailable("redis feed stopped".into())))
        })
    }

    fn unsubscribe(&self, id: &SessionId) {
        let _ = self.commands.send(Command::Unsubscribe(id.clone()));
    }
}

/// Splits a published message, `"<seq> <event name> <json>"`; `None` if malformed.
pub(super) fn parse_message(payload: &[u8]) -> Option<(u64, EventKind, Arc<str>)> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut parts = text.splitn(3, ' ');
    let seq = parts.next()?.parse().ok().filter(|&seq| seq > 0)?;
    let kind = EventKind::from_name(parts.next()?)?;
    let json = parts.next().filter(|json| json.starts_with('{'))?;
    Some((seq, kind, json.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_on_the_first_two_spaces() {
        let (seq, kind, json) = parse_message(br#"12 progress {"seq":12,"stage":"a b"}"#).unwrap();
        assert_eq!((seq, kind), (12, EventKind::Progress));
        assert_eq!(&*json, r#"{"seq":12,"stage":"a b"}"#);
        let (_, kind, _) = parse_message(b"1 processing_cancelled {}").unwrap();
        assert_eq!(kind, EventKind::Cancelled);
    }

    #[test]
    fn malformed_messages_are_refused() {
        for bad in [
            &b""[..],
            b"12",
            b"12 progress",
            b"x progress {}",
            b"-1 progress {}",
            b"0 progress {}",
            b"12 resume_session {}",
            b"12  progress {}",
            b"12 progress not-json",
            b"12 progress \xff{}",
        ] {
            assert_eq!(parse_message(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}

//! The subscriber's connection: plain pub/sub (SUBSCRIBE) on a single Redis, sharded
//! pub/sub (SSUBSCRIBE, each channel on the master of its slot) on a Redis Cluster.
//! Either way, a lost connection ends the message stream, and the subscriber opens a
//! fresh one and resubscribes.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{Client, Msg, ProtocolVersion, PushInfo, PushKind, RedisError, Value};
use tokio::sync::mpsc;

use super::super::target::Target;

/// What opens a connection.
pub enum Opener {
    Plain(Client),
    Sharded(Vec<String>),
}

impl Opener {
    pub fn new(target: &Target) -> Result<Self, RedisError> {
        Ok(match target {
            Target::Single(url) => Self::Plain(Client::open(url.as_str())?),
            Target::Cluster(seeds) => Self::Sharded(seeds.clone()),
        })
    }

    /// Opens a connection: its request side and its message stream.
    pub async fn open(&self) -> Result<(Link, Messages), RedisError> {
        match self {
            Self::Plain(client) => {
                let (sink, stream) = client.get_async_pubsub().await?.split();
                Ok((Link::Plain(sink), Messages::Plain(stream)))
            }
            Self::Sharded(seeds) => {
                let (pushes, receiver) = mpsc::unbounded_channel();
                let connection = ClusterClientBuilder::new(seeds.iter().map(String::as_str))
                    .use_protocol(ProtocolVersion::RESP3)
                    .push_sender(pushes)
                    .build()?
                    .get_async_connection()
                    .await?;
                Ok((Link::Sharded(connection), Messages::Sharded(receiver)))
            }
        }
    }
}

/// The request side of a connection.
pub enum Link {
    Plain(PubSubSink),
    Sharded(ClusterConnection),
}

impl Link {
    pub async fn subscribe(&mut self, channels: &[String]) -> Result<(), RedisError> {
        match self {
            Self::Plain(sink) => sink.subscribe(channels).await,
            Self::Sharded(connection) => {
                for slot_channels in by_hash_tag(channels).values() {
                    connection.ssubscribe(slot_channels).await?;
                }
                Ok(())
            }
        }
    }

    pub async fn unsubscribe(&mut self, channel: String) -> Result<(), RedisError> {
        match self {
            Self::Plain(sink) => sink.unsubscribe(channel).await,
            Self::Sharded(connection) => connection.sunsubscribe(channel).await,
        }
    }

    pub async fn ping(&mut self) -> Result<(), RedisError> {
        match self {
            Self::Plain(sink) => sink.ping::<Value>().await.map(drop),
            Self::Sharded(connection) => redis::cmd("PING")
                .query_async::<Value>(connection)
                .await
                .map(drop),
        }
    }
}

/// The message side of a connection.
pub enum Messages {
    Plain(PubSubStream),
    Sharded(mpsc::UnboundedReceiver<PushInfo>),
}

impl Messages {
    /// The next message; `None` once the connection (or, on a cluster, the connection
    /// to any node) is lost, since messages published meanwhile are gone.
    pub async fn next(&mut self) -> Option<Msg> {
        match self {
            Self::Plain(stream) => stream.next().await,
            Self::Sharded(pushes) => loop {
                let push = pushes.recv().await?;
                match push.kind {
                    PushKind::Disconnection => return None,
                    PushKind::SMessage | PushKind::Message => {
                        if let Some(message) = Msg::from_push_info(push) {
                            return Some(message);
                        }
                    }
                    _ => {}
                }
            },
        }
    }
}

/// Channels grouped by hash tag: one SSUBSCRIBE may only name channels of one slot.
fn by_hash_tag(channels: &[String]) -> BTreeMap<&str, Vec<&str>> {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for channel in channels {
        groups.entry(hash_tag(channel)).or_default().push(channel);
    }
    groups
}

/// The part of a name that Redis Cluster hashes: between the first `{` and the next
/// `}` when that is not empty, else the whole name.
fn hash_tag(name: &str) -> &str {
    let Some(open) = name.find('{') else {
        return name;
    };
    match name[open + 1..].find('}') {
        Some(len) if len > 0 => &name[open + 1..open + 1 + len],
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_group_by_their_hash_tag() {
        assert_eq!(hash_tag("p:{a}:x"), "a");
        assert_eq!(hash_tag("p:{}:x"), "p:{}:x");
        assert_eq!(hash_tag("plain"), "plain");
        let channels = ["p:{a}:1", "p:{b}:2", "p:{a}:3"].map(String::from);
        let groups = by_hash_tag(&channels);
        assert_eq!(groups["a"], ["p:{a}:1", "p:{a}:3"]);
        assert_eq!(groups["b"], ["p:{b}:2"]);
    }
}

//! Redis key and channel names.
//!
//! Keys are spread over [`SHARDS`] Redis Cluster hash tags: a video's keys, its
//! sessions' keys and the indexes that hold them (lease deadlines, the queue, sessions
//! by creation, the hand-over channel) all carry the tag of the video's shard,
//! `<prefix>:{<shard>}:...`, so every Lua script touches one cluster slot, on a single
//! Redis and on a cluster alike. The shard is the first hex digit of the video's tag.

use crate::session::SessionId;

/// The shards' hash tags: one per hex digit, so 16 cluster slots carry the data.
pub const SHARDS: [&str; 16] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f",
];

/// The shard of a video tag (or of a session id, which starts with it).
pub fn shard_of(tag: &str) -> &str {
    tag.get(..1).unwrap_or("0")
}

/// Names every key under a prefix, hash-tagged by shard.
#[derive(Clone, Debug)]
pub struct Keys {
    pub prefix: String,
}

impl Keys {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    /// `<prefix>:{<shard>}:`, the start of every key of the shard.
    pub fn shard(&self, shard: &str) -> String {
        format!("{}:{{{shard}}}:", self.prefix)
    }

    /// `<prefix>:{<shard>}:<tag>:`, the start of every key of the video; scripts derive
    /// a session's hash from it as `<base>s:<session id>`.
    pub fn base(&self, tag: &str) -> String {
        format!("{}:{{{}}}:{tag}:", self.prefix, shard_of(tag))
    }

    /// The video's lease: `"<token>:<session id>"`, expiring with the lease.
    pub fn lock(&self, tag: &str) -> String {
        self.base(tag) + "lock"
    }

    /// The video's fencing-token counter.
    pub fn fence(&self, tag: &str) -> String {
        self.base(tag) + "fence"
    }

    /// The id of the video's most recent session.
    pub fn latest(&self, tag: &str) -> String {
        self.base(tag) + "latest"
    }

    /// The session's hash.
    pub fn session(&self, id: &SessionId) -> String {
        self.of_session(id, "s")
    }

    /// The session's event stream.
    pub fn events(&self, id: &SessionId) -> String {
        self.of_session(id, "e")
    }

    /// The session's pub/sub channel.
    pub fn channel(&self, id: &SessionId) -> String {
        self.of_session(id, "c")
    }

    /// The session's run log: who ran it, from when to when, one line each.
    pub fn run_log(&self, id: &SessionId) -> String {
        self.of_session(id, "r")
    }

    /// The shard's lease-deadline index: a sorted set of its running session ids, each
    /// scored with its lease's deadline in ms by Redis's clock (0 once handed over).
    pub fn leases(&self, shard: &str) -> String {
        self.shard(shard) + "leases"
    }

    /// The shard's part of the cluster-wide queue: a sorted set of the ids of sessions
    /// claimed as queued, scored with their claim time in ms.
    pub fn queue(&self, shard: &str) -> String {
        self.shard(shard) + "queue"
    }

    /// The shard's session index: a sorted set of its session ids, scored with their
    /// creation time in ms, for listings; entries of expired sessions are dropped by
    /// the listing that meets them.
    pub fn sessions(&self, shard: &str) -> String {
        self.shard(shard) + "sessions"
    }

    /// The channel on which the shard's hand-overs are announced, with the session id
    /// as the message.
    pub fn handover(&self, shard: &str) -> String {
        self.shard(shard) + "handover"
    }

    /// The session whose channel this is; `None` for any other name.
    pub fn session_of_channel(&self, channel: &str) -> Option<SessionId> {
        let rest = channel
            .strip_prefix(self.prefix.as_str())?
            .strip_prefix(":{")?;
        let (shard, rest) = rest.split_once("}:")?;
        let (tag, id) = rest.split_once(":c:")?;
        SessionId::parse(id).filter(|id| id.tag() == tag && shard_of(tag) == shard)
    }

    fn of_session(&self, id: &SessionId, kind: &str) -> String {
        format!("{}{kind}:{id}", self.base(id.tag()))
    }
}

#[cfg(test)]
mod tests;

//! Redis key and channel names.
//!
//! Every key of a video and of its sessions carries the video's tag as a Redis Cluster
//! hash tag (`<prefix>:{<tag>}:...`), so one Lua script may touch all of them.

use crate::session::SessionId;

/// Names every key under a prefix, hash-tagged by video.
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

    /// `<prefix>:{<tag>}:`, the start of every key of the video; scripts derive a
    /// session's hash from it as `<base>s:<session id>`.
    pub fn base(&self, tag: &str) -> String {
        format!("{}:{{{tag}}}:", self.prefix)
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

    /// The lease-deadline index: a sorted set of running session ids, each scored
    /// with its lease's deadline in ms by Redis's clock (0 once handed over).
    ///
    /// Not hash-tagged: in Redis Cluster it lives in another slot than the keys of
    /// the sessions, so the scripts that maintain it will have to stop touching it
    /// there (a later change); on a single Redis it is kept exactly in step.
    pub fn leases(&self) -> String {
        format!("{}:leases", self.prefix)
    }

    /// The cluster-wide queue: a sorted set of the ids of sessions claimed as queued,
    /// scored with their claim time in ms. Not hash-tagged, like [`Keys::leases`].
    pub fn queue(&self) -> String {
        format!("{}:queue", self.prefix)
    }

    /// The session index: a sorted set of every session id, scored with its creation
    /// time in ms, for listings. Not hash-tagged, like [`Keys::leases`]; entries of
    /// expired sessions are dropped by the listing that meets them.
    pub fn sessions(&self) -> String {
        format!("{}:sessions", self.prefix)
    }

    /// The channel on which every hand-over is announced, with the session id as the
    /// message.
    pub fn handover(&self) -> String {
        format!("{}:handover", self.prefix)
    }

    /// The session whose channel this is; `None` for any other name.
    pub fn session_of_channel(&self, channel: &str) -> Option<SessionId> {
        let rest = channel
            .strip_prefix(self.prefix.as_str())?
            .strip_prefix(":{")?;
        let (tag, id) = rest.split_once("}:c:")?;
        SessionId::parse(id).filter(|id| id.tag() == tag)
    }

    fn of_session(&self, id: &SessionId, kind: &str) -> String {
        format!("{}{kind}:{id}", self.base(id.tag()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::VideoTag;

    #[test]
    fn video_keys_share_the_video_hash_tag() {
        let keys = Keys::new("reprise");
        let tag = VideoTag::of("a/b.mp4");
        let tag = tag.as_str();
        assert_eq!(keys.lock(tag), format!("reprise:{{{tag}}}:lock"));
        assert_eq!(keys.fence(tag), format!("reprise:{{{tag}}}:fence"));
        assert_eq!(keys.latest(tag), format!("reprise:{{{tag}}}:latest"));
        assert_eq!(keys.base(tag), format!("reprise:{{{tag}}}:"));
    }

    #[test]
    fn session_keys_are_derived_from_the_base() {
        let keys = Keys::new("t1");
        let id = SessionId::generate(&VideoTag::of("x.mp4"));
        let base = keys.base(id.tag());
        assert_eq!(keys.session(&id), format!("{base}s:{id}"));
        assert_eq!(keys.events(&id), format!("{base}e:{id}"));
        assert_eq!(keys.channel(&id), format!("{base}c:{id}"));
        assert_eq!(keys.run_log(&id), format!("{base}r:{id}"));
        assert_eq!(
            keys.session(&id),
            format!("t1:{{{}}}:s:{}", id.tag(), id.as_str())
        );
    }

    #[test]
    fn channel_names_map_back_to_their_session() {
        let keys = Keys::new("p:q");
        let id = SessionId::generate(&VideoTag::of("x.mp4"));
        assert_eq!(
            keys.session_of_channel(&keys.channel(&id)),
            Some(id.clone())
        );
        let other = SessionId::generate(&VideoTag::of("y.mp4"));
        for bad in [
            keys.session(&id),
            Keys::new("p").channel(&id),
            format!("p:q:{{{}}}:c:{}", other.tag(), id),
            format!("{}x", keys.channel(&id)),
            keys.handover(),
            String::new(),
        ] {
            assert_eq!(keys.session_of_channel(&bad), None, "{bad}");
        }
    }
}

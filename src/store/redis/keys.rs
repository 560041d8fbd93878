//! Redis key and channel names.

/// Names every key under a prefix, hash-tagged by video.
#[derive(Clone, Debug)]
pub struct Keys {
    pub prefix: String,
}

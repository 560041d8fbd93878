//! `SessionId`: an unguessable session name that also carries its video's hash tag.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Hex characters of the video tag at the front of every session id.
const TAG_LEN: usize = 24;
/// URL-safe base64 of 128 random bits.
const RANDOM_LEN: usize = 22;

/// A session's id: `<video tag><128 random bits>`.
///
/// The tag (a hash of the canonical video path) lets every key of a session live in
/// the same Redis Cluster slot as its video's lock; the random part makes the id
/// unguessable. Clients treat it as opaque.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(String);

impl SessionId {
    /// A fresh id for a session of the video with this tag.
    pub fn generate(tag: &VideoTag) -> Self {
        let mut random = [0u8; 16];
        rand::rng().fill_bytes(&mut random);
        Self(format!("{}{}", tag.0, URL_SAFE_NO_PAD.encode(random)))
    }

    /// The only way to accept an id from outside; `None` when it cannot be one of ours.
    pub fn parse(raw: &str) -> Option<Self> {
        // Bytes, not `str` slices: a character may straddle the tag's end.
        let bytes = raw.as_bytes();
        let well_formed = bytes.len() == TAG_LEN + RANDOM_LEN
            && bytes[..TAG_LEN]
                .iter()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && bytes[TAG_LEN..]
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_');
        well_formed.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hash tag of the session's video.
    pub fn tag(&self) -> &str {
        &self.0[..TAG_LEN]
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for SessionId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({})", self.0)
    }
}

/// A stable 96-bit hash of a canonical video path, in hex.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VideoTag(String);

impl VideoTag {
    pub fn of(canonical_path: &str) -> Self {
        let digest = Sha256::digest(canonical_path.as_bytes());
        let hex: String = digest[..TAG_LEN / 2]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_carry_their_tag() {
        let tag = VideoTag::of("a/b.mp4");
        let id = SessionId::generate(&tag);
        assert_eq!(SessionId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(id.tag(), tag.as_str());
        assert_ne!(SessionId::generate(&tag), id);
    }

    #[test]
    fn malformed_ids_are_refused() {
        let good = SessionId::generate(&VideoTag::of("x")).to_string();
        for bad in [
            String::new(),
            good[1..].to_owned(),
            format!("{good}x"),
            good.replacen(&good[..1], "G", 1),
            format!("{}{}", &good[..30], "!!!!!!!!!!!!!!!!"),
        ] {
            assert_eq!(SessionId::parse(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_character_across_the_end_of_the_tag_is_refused_not_a_panic() {
        let raw = format!("{}é{}", "a".repeat(TAG_LEN - 1), "A".repeat(RANDOM_LEN - 1));
        assert_eq!(raw.len(), TAG_LEN + RANDOM_LEN);
        assert_eq!(SessionId::parse(&raw), None);
        assert_eq!(crate::store::ListCursor::parse(&format!("1.{raw}")), None);
    }
}

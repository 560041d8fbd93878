//! Who may do what. With keys configured, every request needs an HS256 token whose
//! claims name a subject, an expiry and the video path prefixes its holder may start,
//! watch and cancel; several key ids are accepted at once, so keys rotate without a
//! restart of every client. Without keys, everything is open (the local demo).

pub mod jwt;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use crate::error::RequestError;

/// Why a token was not accepted. Clients see only "unauthorized" and this text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("a token is required")]
    Missing,
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is not HS256")]
    Algorithm,
    #[error("the token's key is unknown")]
    UnknownKey,
    #[error("the token's signature is wrong")]
    Signature,
    #[error("the token has expired")]
    Expired,
}

/// The keys tokens are checked against, by key id.
#[derive(Clone)]
pub struct Authenticator {
    keys: HashMap<String, Vec<u8>>,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    #[serde(default)]
    paths: Vec<String>,
}

/// What a verified token grants, until it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub subject: String,
    /// Seconds since the Unix epoch.
    pub expires_s: u64,
    prefixes: Vec<String>,
}

/// What a request may touch.
#[derive(Clone, Debug)]
pub enum Access {
    /// Authentication is off: everything.
    Open,
    Token(Arc<Grant>),
    /// Authentication is on and the request has no valid token.
    Denied(AuthError),
}

impl Authenticator {
    /// From `kid:secret` entries; `None` when there are none (authentication off).
    pub fn from_entries(entries: &[String]) -> Result<Option<Self>, String> {
        let mut keys = HashMap::new();
        for entry in entries {
            match entry.split_once(':') {
                Some((kid, secret)) if !kid.is_empty() && secret.len() >= 16 => {
                    keys.insert(kid.to_owned(), secret.as_bytes().to_vec());
                }
                _ => {
                    return Err(
                        "each auth key must be <key id>:<secret of at least 16 bytes>".into(),
                    );
                }
            }
        }
        Ok((!keys.is_empty()).then_some(Self { keys }))
    }

    /// The access a request with `token` (if any) has now.
    pub fn access(&self, token: Option<&str>) -> Access {
        let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
            return Access::Denied(AuthError::Missing);
        };
        let key_for = |kid: Option<&str>| match kid {
            Some(kid) => self.keys.get(kid).map(Vec::as_slice),
            None if self.keys.len() == 1 => self.keys.values().next().map(Vec::as_slice),
            None => None,
        };
        match jwt::verify::<Claims>(token, key_for) {
            Ok(claims) if claims.exp <= now_s() => Access::Denied(AuthError::Expired),
            Ok(claims) => Access::Token(Arc::new(Grant {
                subject: claims.sub,
                expires_s: claims.exp,
                prefixes: claims.paths,
            })),
            Err(error) => Access::Denied(error),
        }
    }
}

impl Grant {
    /// Whether `path` (canonical, relative to the media root) lies under one of the
    /// granted prefixes, whole path segments only: `clips` grants `clips/a.mp4`, not
    /// `clipsX/a.mp4`; an empty prefix or `*` grants every path.
    pub fn allows(&self, path: &str) -> bool {
        self.prefixes.iter().any(|prefix| {
            let prefix = prefix.trim_start_matches('/');
            prefix.is_empty()
                || prefix == "*"
                || path == prefix.trim_end_matches('/')
                || (prefix.ends_with('/') && path.starts_with(prefix))
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }
}

impl Access {
    /// May this request start, watch or cancel the video at `path`?
    pub fn check(&self, path: &str) -> Result<(), RequestError> {
        self.authenticated()?;
        match self {
            Access::Token(grant) if !grant.allows(path) => Err(RequestError::Forbidden),
            _ => Ok(()),
        }
    }

    /// Refuses a request that has no valid token at all.
    pub fn authenticated(&self) -> Result<(), RequestError> {
        match self {
            Access::Denied(why) => Err(RequestError::Unauthorized(*why)),
            Access::Token(grant) if grant.expires_s <= now_s() => {
                Err(RequestError::Unauthorized(AuthError::Expired))
            }
            _ => Ok(()),
        }
    }

    /// Whether a listing shows this request the video at `path`.
    pub fn sees(&self, path: &str) -> bool {
        self.check(path).is_ok()
    }

    /// The token's subject, when there is a token.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Access::Token(grant) => Some(&grant.subject),
            _ => None,
        }
    }
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests;

//! Why a client request was refused, mapped once to the protocol's error codes.

use crate::auth::AuthError;
use crate::media::PathError;
use crate::session::Snapshot;
use crate::store::StoreError;

/// A refused request. Its `code` and `client_message` are what clients see; the
/// cause of an `Unavailable` is logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("unknown session")]
    UnknownSession,
    #[error("session already ended")]
    AlreadyEnded(Box<Snapshot>),
    #[error("temporarily unavailable: {0}")]
    Unavailable(#[from] StoreError),
    #[error("unauthorized: {0}")]
    Unauthorized(AuthError),
    #[error("forbidden: the token does not cover this video")]
    Forbidden,
    #[error("rate limited: {0}")]
    RateLimited(&'static str),
    #[error("too many sessions: a connection may watch at most {0}")]
    TooManySessions(usize),
}

impl RequestError {
    /// The `code` of PROTOCOL.md.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::BadRequest(_) | RequestError::AlreadyEnded(_) => "bad_request",
            RequestError::Path(PathError::Invalid(_)) => "invalid_path",
            RequestError::Path(PathError::NotFound) => "not_found",
            RequestError::UnknownSession => "unknown_session",
            RequestError::Unavailable(_) => "unavailable",
            RequestError::Unauthorized(_) => "unauthorized",
            RequestError::Forbidden => "forbidden",
            RequestError::RateLimited(_) => "rate_limited",
            RequestError::TooManySessions(_) => "too_many_sessions",
        }
    }

    /// A message safe to show to the client.
    pub fn client_message(&self) -> String {
        match self {
            RequestError::Unavailable(_) => {
                "the service is temporarily unavailable; retry shortly".into()
            }
            other => other.to_string(),
        }
    }
}

//! Admission for every transport: who the client is (token, address, origin) and
//! whether it is within its limits. Cheap to clone.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::api::ApiError;

use crate::auth::{Access, Authenticator};
use crate::config::Config;
use crate::error::RequestError;
use crate::limits::{self, AddressCounts, AddressSlot, ClaimWindows, TokenBucket};
use crate::metrics::Metrics;

/// The answer to a page of an origin that may not connect (cross-site WebSocket
/// hijacking), counted: 403 before any transport starts.
pub fn refuse_foreign_origin(metrics: &Metrics) -> Response {
    metrics.refused("forbidden");
    let message = "this origin may not connect";
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message).into_response()
}

#[derive(Clone)]
pub struct Guard {
    inner: Arc<Inner>,
}

struct Inner {
    auth: Option<Authenticator>,
    origins: Vec<String>,
    trusted: Vec<IpAddr>,
    events_per_second: u32,
    max_watched: usize,
    addresses: AddressCounts,
    claims: ClaimWindows,
}

impl Guard {
    /// From validated settings.
    pub fn new(config: &Config) -> Self {
        let auth = Authenticator::from_entries(&config.auth_keys).unwrap_or(None);
        Self {
            inner: Arc::new(Inner {
                auth,
                origins: config.allowed_origins.clone(),
                trusted: config
                    .trusted_proxies
                    .iter()
                    .filter_map(|p| p.parse().ok())
                    .collect(),
                events_per_second: config.events_per_second,
                max_watched: config.max_watched_sessions,
                addresses: AddressCounts::new(config.max_connections_per_address),
                claims: ClaimWindows::new(config.claims_per_minute),
            }),
        }
    }

    /// What a request with `token` may touch: everything when authentication is off.
    pub fn access(&self, token: Option<&str>) -> Access {
        match &self.inner.auth {
            None => Access::Open,
            Some(auth) => auth.access(token),
        }
    }

    /// The token of an HTTP request: `Authorization: Bearer <token>`, else `query`'s.
    pub fn http_access(&self, headers: &HeaderMap, query: Option<&str>) -> Access {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        self.access(bearer.or(query))
    }

    /// Whether a browser page from the request's `Origin` may connect. Requests
    /// without one are not from a browser page, which is what the check is against.
    pub fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let origins = &self.inner.origins;
        origins.is_empty()
            || headers
                .get(header::ORIGIN)
                .and_then(|value| value.to_str().ok())
                .is_none_or(|origin| origins.iter().any(|allowed| allowed == origin))
    }

    /// The allowed origins; empty when any is allowed.
    pub fn origins(&self) -> &[String] {
        &self.inner.origins
    }

    /// A place for one more open connection from the client behind `peer`.
    pub fn admit(
        &self,
        peer: SocketAddr,
        headers: &HeaderMap,
    ) -> Result<Option<AddressSlot>, RequestError> {
        let address = limits::client_address(peer, headers, &self.inner.trusted);
        self.inner
            .addresses
            .open(address)
            .map_err(|()| RequestError::RateLimited("too many connections from this address"))
    }

    /// A fresh per-connection event allowance.
    pub fn bucket(&self) -> Option<TokenBucket> {
        TokenBucket::new(self.inner.events_per_second)
    }

    /// Sessions one connection may watch at once; 0 = no limit.
    pub fn max_watched(&self) -> usize {
        self.inner.max_watched
    }

    /// Counts a claim against its token's allowance for this minute.
    pub fn claim(&self, access: &Access) -> Result<(), RequestError> {
        match access.subject() {
            Some(subject) if !self.inner.claims.allow(subject) => {
                Err(RequestError::RateLimited("too many claims this minute"))
            }
            _ => Ok(()),
        }
    }
}

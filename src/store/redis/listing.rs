//! Listing sessions from the Redis store's session index, one script call per page.

use super::RedisStore;
use super::reply::{self, corrupt};
use super::scripts;
use crate::metrics::RedisOp;
use crate::session::SessionId;
use crate::store::{ListCursor, ListQuery, SessionPage, StoreError};

/// The most index entries one page looks at: a page filtered down to few sessions
/// ends early with a cursor rather than holding Redis long.
const LOOK_AT_MOST: usize = 2_000;

impl RedisStore {
    pub(super) async fn list(&self, query: &ListQuery) -> Result<SessionPage, StoreError> {
        let limit = query.limit.max(1);
        let call = scripts::list(&self.keys, query, limit, LOOK_AT_MOST.max(limit));
        let mut reply = self.run(RedisOp::List, call).await?;
        let (score, id) = (reply.text()?, reply.text()?);
        let next = if id.is_empty() {
            None
        } else {
            let created_ms = score
                .parse()
                .map_err(|_| corrupt(format_args!("index score {score:?}")))?;
            let id = SessionId::parse(&id).ok_or_else(|| corrupt("index entry"))?;
            Some(ListCursor { created_ms, id })
        };
        let sessions = reply
            .rest()
            .map(|hash| reply::snapshot(&reply::hash(hash)?))
            .collect::<Result<_, _>>()?;
        Ok(SessionPage { sessions, next })
    }
}

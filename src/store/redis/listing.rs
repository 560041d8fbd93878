//! Listing sessions from the Redis store's session indexes: one script call per shard
//! (sent together), merged newest first.

use futures_util::future::try_join_all;

use super::RedisStore;
use super::keys::SHARDS;
use super::reply::{self, Reply, corrupt};
use crate::metrics::RedisOp;
use crate::session::{SessionId, Snapshot};
use crate::store::{ListCursor, ListQuery, SessionPage, StoreError};

/// The most index entries one shard's page looks at: a page filtered down to few
/// sessions ends early with a cursor rather than holding Redis long.
const LOOK_AT_MOST: usize = 2_000;

/// One shard's page: its sessions, newest first, and where it stopped (`None` when
/// it holds nothing older).
struct ShardPage {
    sessions: Vec<(ListCursor, Snapshot)>,
    stop: Option<ListCursor>,
}

impl RedisStore {
    pub(super) async fn list(&self, query: &ListQuery) -> Result<SessionPage, StoreError> {
        let limit = query.limit.max(1);
        let pages = SHARDS.map(|shard| async move {
            let budget = LOOK_AT_MOST.max(limit);
            let call = self.scripts.list(&self.keys, shard, query, limit, budget);
            shard_page(self.run(RedisOp::List, call).await?)
        });
        Ok(merge(try_join_all(pages).await?, limit))
    }
}

/// Merges the shards' pages. Every shard has listed all it holds down to where it
/// stopped, so the merged page is complete down to the youngest of those stops and
/// ends there at the latest; what lies below waits for the next page. A full page
/// always has a next cursor, as a single index's listing does.
fn merge(pages: Vec<ShardPage>, limit: usize) -> SessionPage {
    let newest_first = |a: &ListCursor, b: &ListCursor| order(b).cmp(&order(a));
    let boundary = pages
        .iter()
        .filter_map(|page| page.stop.as_ref())
        .max_by(|a, b| newest_first(b, a))
        .cloned();
    let mut found: Vec<(ListCursor, Snapshot)> = pages
        .into_iter()
        .flat_map(|page| page.sessions)
        .filter(|(at, _)| boundary.as_ref().is_none_or(|b| order(at) >= order(b)))
        .collect();
    found.sort_by(|a, b| newest_first(&a.0, &b.0));
    let next = if found.len() >= limit {
        found.truncate(limit);
        found.last().map(|(at, _)| at.clone())
    } else {
        boundary
    };
    SessionPage {
        sessions: found.into_iter().map(|(_, snapshot)| snapshot).collect(),
        next,
    }
}

fn order(cursor: &ListCursor) -> (u64, &str) {
    (cursor.created_ms, cursor.id.as_str())
}

/// Decodes `{cursor score or "", cursor id or "", HGETALL of each session}`.
fn shard_page(mut reply: Reply) -> Result<ShardPage, StoreError> {
    let (score, id) = (reply.text()?, reply.text()?);
    let stop = if id.is_empty() {
        None
    } else {
        Some(cursor(&score, &id)?)
    };
    let sessions = reply
        .rest()
        .map(|hash| {
            let hash = reply::hash(hash)?;
            let field = |name: &str| hash.get(name).map_or("", String::as_str);
            let at = cursor(field("created_ms"), field("id"))?;
            Ok((at, reply::snapshot(&hash)?))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(ShardPage { sessions, stop })
}

fn cursor(created_ms: &str, id: &str) -> Result<ListCursor, StoreError> {
    let created_ms = created_ms
        .parse()
        .map_err(|_| corrupt(format_args!("session creation time {created_ms:?}")))?;
    let id = SessionId::parse(id).ok_or_else(|| corrupt(format_args!("session id {id:?}")))?;
    Ok(ListCursor { created_ms, id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Status, VideoTag};

    fn at(created_ms: u64, path: &str) -> (ListCursor, Snapshot) {
        let id = SessionId::generate(&VideoTag::of(path));
        let snapshot = Snapshot {
            session_id: id.clone(),
            video_path: path.to_owned(),
            status: Status::Processing,
            progress: 0.0,
            seq: 1,
            updated_ms: created_ms,
            result: None,
            error: None,
            checkpoint: None,
        };
        (ListCursor { created_ms, id }, snapshot)
    }

    fn paths(page: &SessionPage) -> Vec<&str> {
        page.sessions
            .iter()
            .map(|s| s.video_path.as_str())
            .collect()
    }

    #[test]
    fn shard_pages_merge_newest_first_and_a_full_page_has_a_cursor() {
        let pages = vec![
            ShardPage {
                sessions: vec![at(50, "50"), at(20, "20")],
                stop: None,
            },
            ShardPage {
                sessions: vec![at(40, "40"), at(10, "10")],
                stop: None,
            },
        ];
        let page = merge(pages, 3);
        assert_eq!(paths(&page), ["50", "40", "20"]);
        assert_eq!(page.next.map(|c| c.created_ms), Some(20));
    }

    #[test]
    fn a_shard_that_stopped_early_holds_the_page_at_its_stop() {
        // The second shard looked at everything down to 30 and found nothing, so
        // sessions older than 30 elsewhere wait for the next page.
        let stop = at(30, "stop").0;
        let pages = vec![
            ShardPage {
                sessions: vec![at(50, "50"), at(20, "20"), at(10, "10")],
                stop: None,
            },
            ShardPage {
                sessions: Vec::new(),
                stop: Some(stop.clone()),
            },
        ];
        let page = merge(pages, 5);
        assert_eq!(paths(&page), ["50"]);
        assert_eq!(page.next, Some(stop));
    }

    #[test]
    fn exhausted_shards_end_the_listing() {
        let pages = vec![ShardPage {
            sessions: vec![at(5, "5")],
            stop: None,
        }];
        let page = merge(pages, 2);
        assert_eq!(paths(&page), ["5"]);
        assert_eq!(page.next, None);
    }
}

//! Checks of session listings: newest first, filtered by status, paged by cursor
//! without loss or repetition, and without expired sessions.

use std::time::Duration;

use reprise::session::{SessionId, Status, Update};
use reprise::store::{ListQuery, Retention, Store};
use serde_json::json;

use super::{KEEP_ALL, Make, created, request};

async fn list(store: &dyn Store, query: &ListQuery) -> (Vec<SessionId>, Option<String>) {
    let page = store.list_sessions(query).await.expect("list_sessions");
    let ids = page.sessions.iter().map(|s| s.session_id.clone()).collect();
    (ids, page.next.map(|cursor| cursor.encode()))
}

/// Every session `status` selects, page by page of `limit`, as ids.
async fn all_pages(store: &dyn Store, status: Option<Status>, limit: usize) -> Vec<SessionId> {
    let mut query = ListQuery {
        status,
        after: None,
        limit,
    };
    let mut ids = Vec::new();
    for _ in 0..50 {
        let page = store.list_sessions(&query).await.expect("list_sessions");
        assert!(
            page.sessions.len() <= limit,
            "a page holds at most the limit"
        );
        ids.extend(page.sessions.iter().map(|s| s.session_id.clone()));
        match page.next {
            Some(cursor) => query.after = Some(cursor),
            None => return ids,
        }
    }
    panic!("the listing did not end within 50 pages");
}

pub async fn sessions_are_listed_newest_first_by_status_and_page(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let mut ids = Vec::new();
    for n in 0..7 {
        let (lease, snapshot) = created(store, &request(&format!("v{n}.mp4"))).await;
        if n % 3 == 0 {
            store
                .append(&lease, &Update::complete(json!({})))
                .await
                .expect("complete");
        }
        ids.push(snapshot.session_id);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let newest_first: Vec<SessionId> = ids.iter().rev().cloned().collect();

    assert_eq!(all_pages(store, None, 100).await, newest_first);
    assert_eq!(all_pages(store, None, 2).await, newest_first, "paged");
    assert_eq!(all_pages(store, None, 1).await, newest_first, "one by one");
    let complete: Vec<SessionId> = [6, 3, 0].iter().map(|&n| ids[n].clone()).collect();
    assert_eq!(all_pages(store, Some(Status::Complete), 2).await, complete);
    let processing = all_pages(store, Some(Status::Processing), 3).await;
    assert_eq!(processing, [5, 4, 2, 1].map(|n| ids[n].clone()));
    assert!(all_pages(store, Some(Status::Failed), 5).await.is_empty());

    let first = ListQuery {
        status: None,
        after: None,
        limit: 3,
    };
    let (page, next) = list(store, &first).await;
    assert_eq!(page, newest_first[..3]);
    assert!(next.is_some(), "a full page has a next cursor");

    let exactly_all = ListQuery {
        limit: 7,
        ..first.clone()
    };
    let (page, next) = list(store, &exactly_all).await;
    assert_eq!(page, newest_first);
    let after = next.and_then(|raw| reprise::store::ListCursor::parse(&raw));
    assert!(
        after.is_some(),
        "a full page has a next cursor, even the last"
    );
    let rest = ListQuery {
        after,
        ..exactly_all
    };
    assert_eq!(list(store, &rest).await, (Vec::new(), None));

    let newest = store
        .list_sessions(&ListQuery { limit: 1, ..rest })
        .await
        .unwrap();
    assert!(newest.sessions.is_empty());
    let listed = store
        .list_sessions(&first)
        .await
        .unwrap()
        .sessions
        .remove(0);
    assert_eq!(listed.status, Status::Complete);
    assert_eq!(listed.video_path, "v6.mp4");
    assert_eq!(listed.progress, 100.0);
}

pub async fn expired_sessions_are_not_listed(make: Make) {
    let short = Retention {
        ended_ttl_ms: 200,
        ..KEEP_ALL
    };
    let backend = make(short).await;
    let store = &*backend.store;
    let (lease, ended) = created(store, &request("ended.mp4")).await;
    let (_, running) = created(store, &request("running.mp4")).await;
    store
        .append(&lease, &Update::complete(json!({})))
        .await
        .expect("complete");
    let both = all_pages(store, None, 10).await;
    assert_eq!(both, [running.session_id.clone(), ended.session_id]);

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(all_pages(store, None, 10).await, [running.session_id]);
}

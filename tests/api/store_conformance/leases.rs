//! Checks of claiming, fencing, ending and cancelling sessions.

use reprise::session::{EventKind, Failure, SessionId, Status, Update, VideoTag};
use reprise::store::{Cancel, Claim};
use serde_json::json;

use super::{
    KEEP_ALL, Make, assert_fenced, created, now_ms, payload, progress, read_page, read_snapshot,
    request,
};

pub async fn claim_creates_a_session_with_its_started_event(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let request = request("films/a.mp4");
    let (lease, snapshot) = created(store, &request).await;
    assert_eq!(lease.session_id, request.new_id);
    assert_eq!(lease.video_path, "films/a.mp4");
    assert_eq!(lease.token, 1, "the first claim of a video gets token 1");
    assert_eq!(snapshot.session_id, request.new_id);
    assert_eq!(
        (snapshot.status, snapshot.progress, snapshot.seq),
        (Status::Processing, 0.0, 1)
    );

    let page = read_page(store, &request.new_id, 0, 100).await;
    assert_eq!(
        (page.first_retained, page.last_seq, page.events.len()),
        (1, 1, 1)
    );
    let started = &page.events[0];
    assert_eq!((started.seq, started.kind), (1, EventKind::Started));
    let json = payload(started);
    assert_eq!(json["session_id"], request.new_id.as_str());
    assert_eq!(json["video_path"], "films/a.mp4");
    assert_eq!(json["seq"], 1);
    assert_eq!(json["status"], "processing");
    assert_eq!(json["progress"], 0.0);
    let ts = json["ts"].as_u64().expect("ts is an integer");
    assert!(
        ts.abs_diff(now_ms()) < 60_000,
        "ts {ts} is not the current time"
    );
    assert_eq!(read_snapshot(store, &request.new_id).await, Some(snapshot));

    let queued = super::ClaimRequest {
        queued: true,
        ..super::request("films/q.mp4")
    };
    let (_, snapshot) = created(store, &queued).await;
    assert_eq!(snapshot.status, Status::Queued);
    let page = read_page(store, &queued.new_id, 0, 10).await;
    assert_eq!(payload(&page.events[0])["status"], "queued");
}

pub async fn claims_join_running_sessions_per_path(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let (_, first) = created(store, &request("a.mp4")).await;
    match store.claim(&request("a.mp4")).await.expect("claim") {
        Claim::Running(snapshot) => assert_eq!(snapshot, first),
        other => panic!("expected Running, got {other:?}"),
    }
    let (_, other) = created(store, &request("b.mp4")).await;
    assert_ne!(other.session_id, first.session_id);
    assert_eq!(other.video_path, "b.mp4");
}

pub async fn concurrent_claims_create_exactly_one_session(make: Make) {
    let backend = make(KEEP_ALL).await;
    let claims = (0..20).map(|_| {
        let store = backend.store.clone();
        tokio::spawn(async move { store.claim(&request("race.mp4")).await.expect("claim") })
    });
    let mut created = Vec::new();
    let mut running = Vec::new();
    for claim in futures_util::future::join_all(claims).await {
        match claim.expect("claim task") {
            Claim::Created(_, snapshot) => created.push(snapshot.session_id),
            Claim::Running(snapshot) => running.push(snapshot.session_id),
            other => panic!("expected Created or Running, got {other:?}"),
        }
    }
    assert_eq!((created.len(), running.len()), (1, 19));
    assert!(
        running.iter().all(|id| *id == created[0]),
        "claims saw different sessions"
    );
}

pub async fn terminal_append_releases_the_lease(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let (lease, first) = created(store, &request("a.mp4")).await;
    let result = json!({"outputs": [{"path": "x/a.mp4", "kind": "video", "bytes": 3}]});
    let done = store
        .append(&lease, &Update::complete(result.clone()))
        .await
        .expect("complete");
    assert_eq!((done.seq, done.kind), (2, EventKind::Complete));
    assert_eq!(payload(&done)["result"], result);
    assert_eq!(payload(&done)["progress"], 100.0);
    assert_fenced(store, &lease, "a completed session's lease").await;

    let finished = match store.claim(&request("a.mp4")).await.expect("claim") {
        Claim::Finished(snapshot) => snapshot,
        other => panic!("expected Finished, got {other:?}"),
    };
    assert_eq!(finished.session_id, first.session_id);
    assert_eq!(
        (finished.status, finished.progress, finished.seq),
        (Status::Complete, 100.0, 2)
    );
    assert_eq!(finished.result, Some(result));
    let forced = super::ClaimRequest {
        force: true,
        ..request("a.mp4")
    };
    let (_, rerun) = created(store, &forced).await;
    assert_ne!(rerun.session_id, first.session_id);
    assert_eq!(rerun.seq, 1);

    let (lease, failed) = created(store, &request("b.mp4")).await;
    let failure = Failure {
        code: "processing_failed".into(),
        message: "bad input".into(),
    };
    let event = store
        .append(&lease, &Update::failed(failure.clone()))
        .await
        .expect("fail");
    assert_eq!(
        (payload(&event)["code"].clone(), event.kind),
        (json!("processing_failed"), EventKind::Failed)
    );
    let ended = read_snapshot(store, &failed.session_id)
        .await
        .expect("session");
    assert_eq!((ended.status, ended.error), (Status::Failed, Some(failure)));
    let (_, retry) = created(store, &request("b.mp4")).await;
    assert_ne!(retry.session_id, failed.session_id);
}

pub async fn cancel_revokes_the_owner(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let (lease, first) = created(store, &request("a.mp4")).await;
    store.append(&lease, &progress(40.0)).await.expect("append");
    let event = match store.cancel(&first.session_id).await.expect("cancel") {
        Cancel::Cancelled(event) => event,
        other => panic!("expected Cancelled, got {other:?}"),
    };
    assert_eq!((event.seq, event.kind), (3, EventKind::Cancelled));
    let json = payload(&event);
    assert_eq!(
        (json["status"].clone(), json["progress"].clone()),
        (json!("cancelled"), json!(40.0))
    );
    assert_eq!(json["session_id"], first.session_id.as_str());

    assert_fenced(store, &lease, "a cancelled session's lease").await;
    match store.cancel(&first.session_id).await.expect("cancel") {
        Cancel::AlreadyEnded(snapshot) => {
            assert_eq!((snapshot.status, snapshot.seq), (Status::Cancelled, 3));
        }
        other => panic!("expected AlreadyEnded, got {other:?}"),
    }
    let (after, again) = created(store, &request("a.mp4")).await;
    assert_ne!(again.session_id, first.session_id);
    assert!(after.token > lease.token);

    let unknown = SessionId::generate(&VideoTag::of("nowhere.mp4"));
    assert_eq!(
        store.cancel(&unknown).await.expect("cancel"),
        Cancel::Unknown
    );
    assert_eq!(read_snapshot(store, &unknown).await, None);
}

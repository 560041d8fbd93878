//! Rules that only a chosen clock reaches: physical removal of ended sessions and
//! retention by age.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::mpsc;

use super::{Now, State};
use crate::session::{SessionId, Update, VideoTag};
use crate::store::{Claim, ClaimRequest, Lease, Retention};

fn at(base: Instant, ms: u64) -> Now {
    Now {
        at: base + Duration::from_millis(ms),
        ms: 1_700_000_000_000 + ms,
    }
}

fn claim(state: &mut State, now: Now) -> Lease {
    let request = ClaimRequest {
        video_path: "a.mp4".into(),
        new_id: SessionId::generate(&VideoTag::of("a.mp4")),
        owner: "unit".into(),
        force: false,
        queued: false,
        lease_ttl_ms: 60_000,
    };
    match state.claim(&request, now) {
        Claim::Created(lease, _) => lease,
        other => panic!("expected Created, got {other:?}"),
    }
}

#[test]
fn sweep_forgets_ended_sessions_with_their_pointers_and_subscriptions() {
    let base = Instant::now();
    let retention = Retention {
        events: 10,
        ms: 0,
        ended_ttl_ms: 100,
    };
    let (inbox, _rx) = mpsc::unbounded_channel();
    let mut state = State::new(retention, inbox, at(base, 0));
    let lease = claim(&mut state, at(base, 0));
    state.subscribe(&lease.session_id);
    state
        .append(&lease, &Update::complete(json!({})), at(base, 10))
        .expect("complete");

    assert_eq!(state.snapshot(&lease.session_id, at(base, 500)), None);
    assert_eq!(state.sessions.len(), 1, "swept before its interval");
    assert_eq!(state.snapshot(&lease.session_id, at(base, 1_000)), None);
    assert!(state.sessions.is_empty());
    assert!(state.subscribed.is_empty());
    assert_eq!(state.videos["a.mp4"].latest, None);
}

#[test]
fn events_younger_than_the_window_outlast_the_count() {
    let base = Instant::now();
    let retention = Retention {
        events: 2,
        ms: 1_000,
        ended_ttl_ms: 100,
    };
    let (inbox, _rx) = mpsc::unbounded_channel();
    let mut state = State::new(retention, inbox, at(base, 0));
    let lease = claim(&mut state, at(base, 0));
    for ms in [100, 200, 300, 1_150] {
        let update = Update::progress(1.0, Default::default(), None);
        state.append(&lease, &update, at(base, ms)).expect("append");
    }
    let page = state.events_after(&lease.session_id, 0, 100, at(base, 1_150));
    let seqs: Vec<u64> = page.events.iter().map(|event| event.seq).collect();
    assert_eq!((page.first_retained, seqs), (3, vec![3, 4, 5]));
}

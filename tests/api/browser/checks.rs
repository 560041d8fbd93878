//! What the browser test checks beyond the page: the events each of its connections
//! got, and what the server holds and counted.

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Tab A's three websockets: the first from `processing_started` #1, each later one
/// from a `resume_session` at the `last_seq` it joined with; every event once, in order,
/// to `processing_complete` at `last_seq`.
pub fn connections_resume(received: &Value, joins: &[Value], last_seq: u64) {
    let connections = received.as_array().unwrap();
    assert_eq!(
        connections.len(),
        3,
        "start, back from hidden, reload: {received}"
    );
    for (i, events) in connections.iter().enumerate() {
        let events: Vec<(&str, u64)> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e[0].as_str().unwrap(), e[1].as_u64().unwrap()))
            .collect();
        let first = match i {
            0 => ("processing_started", 1),
            _ => ("resume_session", joins[i - 1]["last_seq"].as_u64().unwrap()),
        };
        assert_eq!(events[0], first, "connection {}: {received}", i + 1);
        for (n, pair) in events.windows(2).enumerate() {
            assert_eq!(
                pair[1].1,
                pair[0].1 + 1,
                "connection {} event {n}: {received}",
                i + 1
            );
        }
    }
    let last = connections[2].as_array().unwrap().last().unwrap();
    assert_eq!(
        *last,
        json!(["processing_complete", last_seq]),
        "{received}"
    );
}

/// One session of `video` (`session`, complete) in `GET /api/v1/sessions`; two starts
/// in all (the other one is the cancelled video's), and one start deduplicated into a
/// running session (the second tab's).
pub async fn server_ran_once(app: &TestApp, video: &str, session: &str) {
    let listed: Value = reqwest::get(app.url("/api/v1/sessions?limit=100"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let runs: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["video_path"] == video)
        .collect();
    assert_eq!(runs.len(), 1, "one session of {video}: {listed}");
    assert_eq!(runs[0]["session_id"], session, "{listed}");
    assert_eq!(runs[0]["status"], "complete", "{listed}");
    let scrape = app.scrape().await;
    let counter = |series: &str| scrape.value(series);
    assert_eq!(
        counter("reprise_sessions_started_total"),
        2,
        "{video} and the cancelled one"
    );
    assert_eq!(
        counter("reprise_claim_dedup_hits_total"),
        1,
        "tab B's start only"
    );
    assert!(
        counter("reprise_sessions_resumed_total") >= 3,
        "{}",
        scrape.0
    );
}

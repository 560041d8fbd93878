//! The payloads of replies that are not recorded events: snapshots and refusals.

use serde_json::{Map, Value, json};

use super::Snapshot;

/// `processing_started`, `resume_session` or `processing_complete` for a request.
pub fn for_snapshot(name: &str, snapshot: &Snapshot) -> String {
    match name {
        "resume_session" => resume(snapshot, false),
        "processing_complete" => complete(snapshot),
        _ => Value::Object(common(snapshot)).to_string(),
    }
}

/// `resume_session`: the session as of `snapshot.seq`; `gap` when events the client
/// asked for are no longer retained.
pub fn resume(snapshot: &Snapshot, gap: bool) -> String {
    let mut payload = common(snapshot);
    payload.insert("message".into(), "Resuming existing session".into());
    payload.insert("gap".into(), gap.into());
    Value::Object(payload).to_string()
}

/// `processing_complete` for a finished video.
pub fn complete(snapshot: &Snapshot) -> String {
    let mut payload = common(snapshot);
    payload.insert(
        "result".into(),
        snapshot.result.clone().unwrap_or_else(|| json!({})),
    );
    Value::Object(payload).to_string()
}

/// A refused request's `processing_error` (no `seq`: nothing was recorded).
pub fn refusal(code: &str, message: &str) -> String {
    json!({ "code": code, "message": message }).to_string()
}

/// The same reply as an ack argument: `{"event": <name>, ...payload}`.
pub fn ack_payload(name: &str, payload_json: &str) -> String {
    let fields = payload_json.trim_start().strip_prefix('{').unwrap_or("}");
    let separator = if fields.trim_start().starts_with('}') {
        ""
    } else {
        ","
    };
    format!("{{\"event\":{}{separator}{fields}", Value::from(name))
}

fn common(snapshot: &Snapshot) -> Map<String, Value> {
    let mut payload = Map::new();
    payload.insert("session_id".into(), snapshot.session_id.as_str().into());
    payload.insert("video_path".into(), snapshot.video_path.clone().into());
    payload.insert("seq".into(), snapshot.seq.into());
    payload.insert("status".into(), snapshot.status.as_str().into());
    payload.insert("progress".into(), snapshot.progress.into());
    payload.insert("ts".into(), now_ms().into());
    payload
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_payload_prefixes_the_event_name() {
        let ack: Value =
            serde_json::from_str(&ack_payload("resume_session", r#"{"seq":3}"#)).unwrap();
        assert_eq!(ack, json!({ "event": "resume_session", "seq": 3 }));
        let empty: Value = serde_json::from_str(&ack_payload("x", "{}")).unwrap();
        assert_eq!(empty, json!({ "event": "x" }));
    }
}

//! The one JSON layout of a recorded event, shared by every store so that Redis's Lua
//! and the embedded store write byte-identical payloads.
//!
//! A payload is `{"seq":N,"progress":P,"ts":T,` (written by the store, which owns
//! those three) followed by a *tail* that the writer renders in advance:
//! `"session_id":..,"video_path":..,"status":..,<extra fields>}`.

use serde_json::{Map, Value};

use crate::session::{SessionId, Status, Update};

/// Renders the writer's part of an event payload.
pub fn event_tail(
    id: &SessionId,
    video_path: &str,
    status: Status,
    extra: &Map<String, Value>,
) -> String {
    let mut tail = String::with_capacity(160);
    tail.push_str("\"session_id\":");
    tail.push_str(&Value::from(id.as_str()).to_string());
    tail.push_str(",\"video_path\":");
    tail.push_str(&Value::from(video_path).to_string());
    tail.push_str(",\"status\":\"");
    tail.push_str(status.as_str());
    tail.push('"');
    for (key, value) in extra {
        tail.push(',');
        tail.push_str(&Value::from(key.as_str()).to_string());
        tail.push(':');
        tail.push_str(&value.to_string());
    }
    tail.push('}');
    tail
}

/// The tail of an update's event.
pub fn update_tail(id: &SessionId, video_path: &str, update: &Update) -> String {
    event_tail(id, video_path, update.status, &update.extra)
}

/// A progress value as the stores write it (always a JSON number).
pub fn format_progress(progress: f64) -> String {
    let clamped = if progress.is_finite() {
        progress.clamp(0.0, 100.0)
    } else {
        0.0
    };
    Value::from(clamped).to_string()
}

/// The whole payload, exactly as the Lua scripts assemble it.
pub fn event_json(seq: u64, progress: &str, ts_ms: u64, tail: &str) -> String {
    format!("{{\"seq\":{seq},\"progress\":{progress},\"ts\":{ts_ms},{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::VideoTag;

    #[test]
    fn payload_is_valid_json_with_every_common_field() {
        let id = SessionId::generate(&VideoTag::of("a.mp4"));
        let mut extra = Map::new();
        extra.insert("stage".into(), "encode \"x\"".into());
        let tail = event_tail(&id, "dir/a \"b\".mp4", Status::Processing, &extra);
        let json: Value =
            serde_json::from_str(&event_json(7, &format_progress(12.5), 42, &tail)).unwrap();
        assert_eq!(json["seq"], 7);
        assert_eq!(json["progress"], 12.5);
        assert_eq!(json["ts"], 42);
        assert_eq!(json["session_id"], id.as_str());
        assert_eq!(json["video_path"], "dir/a \"b\".mp4");
        assert_eq!(json["status"], "processing");
        assert_eq!(json["stage"], "encode \"x\"");
    }

    #[test]
    fn progress_is_clamped_into_range() {
        assert_eq!(format_progress(f64::NAN), "0.0");
        assert_eq!(format_progress(120.0), "100.0");
        assert_eq!(format_progress(-3.0), "0.0");
    }
}

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

/// The `ts` of a payload in this layout, read without parsing the rest: it follows
/// two numbers, so its key is the first `"ts":` in the text.
pub fn ts_of(json: &str) -> Option<u64> {
    let (_, rest) = json.split_once("\"ts\":")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    rest[..digits].parse().ok()
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
    fn ts_is_read_from_the_payload() {
        let id = SessionId::generate(&VideoTag::of("a.mp4"));
        let tail = event_tail(&id, "\"ts\":1.mp4", Status::Processing, &Map::new());
        let json = event_json(3, "4.5", 1_700_000_000_123, &tail);
        assert_eq!(ts_of(&json), Some(1_700_000_000_123));
        assert_eq!(ts_of("{\"seq\":1}"), None);
    }

    #[test]
    fn progress_is_clamped_into_range() {
        assert_eq!(format_progress(f64::NAN), "0.0");
        assert_eq!(format_progress(120.0), "100.0");
        assert_eq!(format_progress(-3.0), "0.0");
    }
}

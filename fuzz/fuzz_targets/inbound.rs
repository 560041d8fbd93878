//! `Inbound::decode`: event name and payload as a Socket.IO transport hands them
//! over, from text (`<event>\n<json>`) or built as JSON values.
#![no_main]

use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use reprise::transport::requests::Inbound;
use reprise_fuzz::{json_object, json_value};
use serde_json::{Value, json};

const EVENTS: &[&str] = &[
    "start_processing",
    "join_session",
    "leave_session",
    "cancel_processing",
];
const LIMITS: &[usize] = &[0, 16, 64, 256, 1 << 16];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let max_bytes = LIMITS[usize::from(mode >> 1) % LIMITS.len()];
    if mode & 1 == 0 {
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        let (event, json) = text.split_once('\n').unwrap_or((text, ""));
        let payload = serde_json::from_str(json).unwrap_or_else(|_| Value::from(json));
        check(event, payload, max_bytes);
    } else {
        let mut u = Unstructured::new(rest);
        let Ok(event) = u.choose(EVENTS).map(|e| e.to_string()) else {
            return;
        };
        let payload = match u.ratio(7, 8) {
            Ok(true) => json_object(&mut u, 2).map(Value::Object),
            _ => json_value(&mut u, 2),
        };
        if let Ok(payload) = payload {
            check(&event, payload, max_bytes);
        }
    }
});

fn check(event: &str, payload: Value, max_bytes: usize) {
    let size = serde_json::to_vec(&payload).expect("a Value encodes").len();
    let decoded = Inbound::decode(event, payload.clone(), max_bytes);
    let inbound = match decoded {
        Ok(inbound) => inbound,
        Err(error) => {
            assert_eq!(error.code(), "bad_request", "{error:?}");
            return;
        }
    };
    assert!(
        size <= max_bytes,
        "{size} bytes accepted under a limit of {max_bytes}"
    );
    assert!(payload.is_object());
    let (name, again) = encode(&inbound);
    assert_eq!(name, event);
    let unlimited = Inbound::decode(event, payload.clone(), usize::MAX);
    assert_eq!(
        unlimited.as_ref().ok(),
        Some(&inbound),
        "a larger limit decides otherwise"
    );
    let decoded = Inbound::decode(name, again.clone(), usize::MAX);
    assert_eq!(decoded.ok(), Some(inbound), "{again} does not round trip");
}

/// The canonical payload of a request, for the round trip.
fn encode(inbound: &Inbound) -> (&'static str, Value) {
    match inbound {
        Inbound::Start(r) => (
            "start_processing",
            json!({"video_path": r.video_path, "force": r.force, "last_seq": r.last_seq}),
        ),
        Inbound::Join {
            session_id,
            last_seq,
        } => (
            "join_session",
            json!({"session_id": session_id, "last_seq": last_seq}),
        ),
        Inbound::Leave { session_id } => ("leave_session", json!({ "session_id": session_id })),
        Inbound::Cancel { session_id } => {
            ("cancel_processing", json!({ "session_id": session_id }))
        }
    }
}

//! Client-to-server messages, decoded and validated into typed requests.

use serde::Deserialize;
use serde_json::Value;

use crate::error::RequestError;
use crate::session::StartRequest;

/// An inbound Socket.IO event.
#[derive(Debug, PartialEq)]
pub enum Inbound {
    Start(StartRequest),
    Join {
        session_id: String,
        last_seq: Option<u64>,
    },
    Leave {
        session_id: String,
    },
    Cancel {
        session_id: String,
    },
}

#[derive(Deserialize)]
struct StartPayload {
    video_path: String,
    #[serde(default)]
    force: Option<bool>,
    #[serde(default)]
    last_seq: Option<i64>,
}

#[derive(Deserialize)]
struct SessionPayload {
    session_id: String,
    #[serde(default)]
    last_seq: Option<i64>,
}

impl Inbound {
    /// Decodes an event by name; `max_bytes` bounds the payload's encoded size.
    pub fn decode(event: &str, payload: Value, max_bytes: usize) -> Result<Self, RequestError> {
        let size = serde_json::to_vec(&payload).map_or(usize::MAX, |bytes| bytes.len());
        if size > max_bytes {
            return Err(bad(format!(
                "payload of {size} bytes exceeds the limit of {max_bytes}"
            )));
        }
        if !payload.is_object() {
            return Err(bad(format!("{event} expects a JSON object")));
        }
        match event {
            "start_processing" => {
                let p: StartPayload = parse(payload)?;
                Ok(Inbound::Start(StartRequest {
                    video_path: p.video_path,
                    force: p.force.unwrap_or(false),
                    last_seq: last_seq(p.last_seq)?,
                }))
            }
            "join_session" => {
                let p: SessionPayload = parse(payload)?;
                Ok(Inbound::Join {
                    session_id: p.session_id,
                    last_seq: last_seq(p.last_seq)?,
                })
            }
            "leave_session" | "cancel_processing" => {
                let p: SessionPayload = parse(payload)?;
                if p.last_seq.is_some() {
                    return Err(bad(format!("{event} takes no last_seq")));
                }
                Ok(if event == "leave_session" {
                    Inbound::Leave {
                        session_id: p.session_id,
                    }
                } else {
                    Inbound::Cancel {
                        session_id: p.session_id,
                    }
                })
            }
            other => Err(bad(format!("unknown event {:?}", truncate(other)))),
        }
    }
}

fn parse<T: for<'de> Deserialize<'de>>(payload: Value) -> Result<T, RequestError> {
    serde_json::from_value(payload).map_err(|e| bad(e.to_string()))
}

fn last_seq(raw: Option<i64>) -> Result<Option<u64>, RequestError> {
    raw.map(|n| u64::try_from(n).map_err(|_| bad("last_seq must not be negative".into())))
        .transpose()
}

fn bad(message: String) -> RequestError {
    RequestError::BadRequest(message)
}

fn truncate(name: &str) -> String {
    name.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn decode(event: &str, payload: Value) -> Result<Inbound, String> {
        Inbound::decode(event, payload, 1024).map_err(|e| e.code().to_owned())
    }

    #[test]
    fn valid_requests_decode() {
        assert_eq!(
            decode(
                "start_processing",
                json!({"video_path": "a.mp4", "force": true, "last_seq": 4})
            ),
            Ok(Inbound::Start(StartRequest {
                video_path: "a.mp4".into(),
                force: true,
                last_seq: Some(4)
            }))
        );
        assert_eq!(
            decode("join_session", json!({"session_id": "s"})),
            Ok(Inbound::Join {
                session_id: "s".into(),
                last_seq: None
            })
        );
        assert_eq!(
            decode("cancel_processing", json!({"session_id": "s"})),
            Ok(Inbound::Cancel {
                session_id: "s".into()
            })
        );
    }

    #[test]
    fn malformed_requests_are_bad_requests() {
        for (event, payload) in [
            ("start_processing", json!({})),
            ("start_processing", json!({"video_path": 5})),
            (
                "start_processing",
                json!({"video_path": "a", "force": "yes"}),
            ),
            (
                "start_processing",
                json!({"video_path": "a", "last_seq": -1}),
            ),
            (
                "start_processing",
                json!({"video_path": "a", "last_seq": 1.5}),
            ),
            ("start_processing", json!("a.mp4")),
            ("start_processing", json!(null)),
            ("join_session", json!({"session_id": ["x"]})),
            ("leave_session", json!({})),
            ("nonsense", json!({})),
            ("start_processing", json!({"video_path": "x".repeat(2000)})),
        ] {
            assert_eq!(
                decode(event, payload.clone()),
                Err("bad_request".into()),
                "{event} {payload}"
            );
        }
    }
}

//! What a session is: its status, its snapshot, and the events it emits.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::id::SessionId;

/// Where a session is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    Processing,
    Complete,
    Failed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Processing => "processing",
            Status::Complete => "complete",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "queued" => Status::Queued,
            "processing" => Status::Processing,
            "complete" => Status::Complete,
            "failed" => Status::Failed,
            "cancelled" => Status::Cancelled,
            _ => return None,
        })
    }

    /// True once nothing more will happen to the session.
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Complete | Status::Failed | Status::Cancelled)
    }
}

/// The server-to-client events that a session records, in its stream, with a `seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Started,
    Progress,
    Complete,
    Failed,
    Cancelled,
}

impl EventKind {
    /// The Socket.IO event name.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Started => "processing_started",
            EventKind::Progress => "progress",
            EventKind::Complete => "processing_complete",
            EventKind::Failed => "processing_error",
            EventKind::Cancelled => "processing_cancelled",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "processing_started" => EventKind::Started,
            "progress" => EventKind::Progress,
            "processing_complete" => EventKind::Complete,
            "processing_error" => EventKind::Failed,
            "processing_cancelled" => EventKind::Cancelled,
            _ => return None,
        })
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            EventKind::Complete | EventKind::Failed | EventKind::Cancelled
        )
    }
}

/// One recorded event, its JSON payload encoded once and shared by every delivery.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub seq: u64,
    pub kind: EventKind,
    /// The full payload: `{"seq":..,"progress":..,"ts":..,"session_id":..,...}`.
    pub json: Arc<str>,
}

/// The fields of an event payload that a snapshot can be rebuilt from.
#[derive(Debug, Deserialize)]
pub struct EventState {
    pub status: Status,
    pub progress: f64,
    pub ts: u64,
}

impl Event {
    pub fn state(&self) -> Result<EventState, serde_json::Error> {
        serde_json::from_str(&self.json)
    }
}

/// A session as it stands.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    pub session_id: SessionId,
    pub video_path: String,
    pub status: Status,
    pub progress: f64,
    /// The seq of the last event this snapshot reflects.
    pub seq: u64,
    /// Milliseconds since the Unix epoch of the last change.
    pub updated_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
    /// Opaque resume point the processor last reported.
    #[serde(skip)]
    pub checkpoint: Option<String>,
}

/// Why a session failed, as told to clients.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

/// What an owner writes: the next event of its session.
#[derive(Clone, Debug)]
pub struct Update {
    pub kind: EventKind,
    pub status: Status,
    /// Stores keep the larger of this and the stored progress.
    pub progress: f64,
    /// Event fields beyond the common ones (`stage`, `eta_s`, `result`, `code`, ...).
    pub extra: Map<String, Value>,
    /// Replaces the stored checkpoint when set.
    pub checkpoint: Option<String>,
}

impl Update {
    pub fn progress(progress: f64, extra: Map<String, Value>, checkpoint: Option<String>) -> Self {
        Self {
            kind: EventKind::Progress,
            status: Status::Processing,
            progress,
            extra,
            checkpoint,
        }
    }

    pub fn complete(result: Value) -> Self {
        let mut extra = Map::new();
        extra.insert("result".into(), result);
        Self {
            kind: EventKind::Complete,
            status: Status::Complete,
            progress: 100.0,
            extra,
            checkpoint: None,
        }
    }

    pub fn failed(failure: Failure) -> Self {
        let mut extra = Map::new();
        extra.insert("code".into(), Value::String(failure.code));
        extra.insert("message".into(), Value::String(failure.message));
        Self {
            kind: EventKind::Failed,
            status: Status::Failed,
            progress: 0.0,
            extra,
            checkpoint: None,
        }
    }
}

//! Decoding of Redis replies into the store's types: anything malformed becomes
//! [`StoreError::Corrupt`], never a panic.

use std::collections::HashMap;
use std::str::FromStr;

use redis::Value;

use super::feed::parse_message;
use crate::session::{Event, Failure, SessionId, Snapshot, Status};
use crate::store::StoreError;

/// A session hash as HGETALL returns it.
pub type Hash = HashMap<String, String>;

pub fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// The items of an array reply, read front to back.
pub struct Reply(std::vec::IntoIter<Value>);

impl Reply {
    pub fn new(value: Value) -> Result<Self, StoreError> {
        match value {
            Value::Array(items) | Value::Set(items) => Ok(Self(items.into_iter())),
            other => Err(corrupt(format_args!("expected an array, got {other:?}"))),
        }
    }

    pub fn next(&mut self) -> Result<Value, StoreError> {
        self.0.next().ok_or_else(|| corrupt("reply too short"))
    }

    pub fn text(&mut self) -> Result<String, StoreError> {
        text(self.next()?)
    }

    pub fn number(&mut self) -> Result<u64, StoreError> {
        match self.next()? {
            Value::Int(n) => u64::try_from(n).map_err(corrupt),
            other => text(other)?.parse().map_err(corrupt),
        }
    }

    pub fn hash(&mut self) -> Result<Hash, StoreError> {
        hash(self.next()?)
    }

    /// The items not read yet.
    pub fn rest(self) -> std::vec::IntoIter<Value> {
        self.0
    }
}

/// A string reply.
pub fn text(value: Value) -> Result<String, StoreError> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes).map_err(corrupt),
        Value::SimpleString(text) | Value::VerbatimString { text, .. } => Ok(text),
        Value::Int(n) => Ok(n.to_string()),
        other => Err(corrupt(format_args!("expected a string, got {other:?}"))),
    }
}

/// A hash, from a flat field/value array (RESP2, Lua) or a map (RESP3).
pub fn hash(value: Value) -> Result<Hash, StoreError> {
    let pairs = match value {
        Value::Map(pairs) => pairs,
        Value::Array(flat) => {
            if flat.len() % 2 != 0 {
                return Err(corrupt("hash reply with an odd number of items"));
            }
            let mut flat = flat.into_iter();
            std::iter::from_fn(|| Some((flat.next()?, flat.next()?))).collect()
        }
        other => return Err(corrupt(format_args!("expected a hash, got {other:?}"))),
    };
    pairs
        .into_iter()
        .map(|(field, value)| Ok((text(field)?, text(value)?)))
        .collect()
}

/// The session a hash describes.
pub fn snapshot(hash: &Hash) -> Result<Snapshot, StoreError> {
    let id = field(hash, "id")?;
    let status = field(hash, "status")?;
    let result = hash
        .get("result")
        .map(|raw| serde_json::from_str(raw))
        .transpose()
        .map_err(|e| corrupt(format_args!("session {id}: result: {e}")))?;
    let error = match (hash.get("error_code"), hash.get("error_message")) {
        (Some(code), Some(message)) => Some(Failure {
            code: code.clone(),
            message: message.clone(),
        }),
        _ => None,
    };
    Ok(Snapshot {
        session_id: SessionId::parse(id).ok_or_else(|| corrupt(format_args!("bad id {id:?}")))?,
        video_path: field(hash, "path")?.to_owned(),
        status: Status::parse(status)
            .ok_or_else(|| corrupt(format_args!("session {id}: status {status:?}")))?,
        progress: parsed(hash, "progress")?,
        seq: parsed(hash, "seq")?,
        updated_ms: parsed(hash, "updated_ms")?,
        result,
        error,
        checkpoint: hash.get("checkpoint").cloned(),
    })
}

/// An event as `read.lua` returns it (and as it is published): `"<seq> <name> <json>"`.
pub fn event(value: Value) -> Result<Event, StoreError> {
    let Value::BulkString(bytes) = value else {
        return Err(corrupt(format_args!("expected an event, got {value:?}")));
    };
    let (seq, kind, json) = parse_message(&bytes).ok_or_else(|| {
        corrupt(format_args!(
            "malformed event {:?}",
            String::from_utf8_lossy(&bytes)
        ))
    })?;
    Ok(Event { seq, kind, json })
}

fn field<'a>(hash: &'a Hash, name: &str) -> Result<&'a str, StoreError> {
    hash.get(name)
        .map(String::as_str)
        .ok_or_else(|| corrupt(format_args!("missing field {name:?}")))
}

fn parsed<T: FromStr>(hash: &Hash, name: &str) -> Result<T, StoreError> {
    let raw = field(hash, name)?;
    raw.parse()
        .map_err(|_| corrupt(format_args!("field {name:?}: {raw:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::EventKind;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn events_and_hashes_decode() {
        let event = event(bulk(r#"7 progress {"seq":7}"#)).unwrap();
        assert_eq!(
            (event.seq, event.kind, &*event.json),
            (7, EventKind::Progress, r#"{"seq":7}"#)
        );
        assert!(super::event(bulk("7 progress")).is_err());
        assert!(super::event(Value::Int(7)).is_err());
        assert!(hash(Value::Array(vec![bulk("a")])).is_err());
        assert!(snapshot(&Hash::new()).is_err());
    }
}

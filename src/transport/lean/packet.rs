//! The text framing of Engine.IO v4 and Socket.IO v5: decoding what clients send,
//! encoding what the server sends. Pure functions; binary packets are recognised
//! only to be refused.

use std::fmt::Write as _;

use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::Value;

/// Separates packets in a long-polling body.
pub const SEPARATOR: char = '\x1e';

/// An Engine.IO packet from a client; borrowed from the frame it came in.
#[derive(Debug, PartialEq, Eq)]
pub enum EnginePacket<'a> {
    Close,
    Ping(&'a str),
    Pong(&'a str),
    Message(&'a str),
    Upgrade,
    Noop,
}

/// A frame that is not a packet a client may send: the connection is closed.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed;

impl<'a> EnginePacket<'a> {
    pub fn decode(text: &'a str) -> Result<Self, Malformed> {
        let mut chars = text.chars();
        let kind = chars.next().ok_or(Malformed)?;
        let data = chars.as_str();
        match kind {
            '1' => Ok(Self::Close),
            '2' => Ok(Self::Ping(data)),
            '3' => Ok(Self::Pong(data)),
            '4' => Ok(Self::Message(data)),
            '5' => Ok(Self::Upgrade),
            '6' => Ok(Self::Noop),
            _ => Err(Malformed),
        }
    }
}

/// A Socket.IO packet from a client (inside an Engine.IO message).
#[derive(Debug, PartialEq, Eq)]
pub enum SocketPacket<'a> {
    /// `0[/nsp,][auth]`; `auth` is the still undecoded JSON object, or empty.
    Connect {
        namespace: &'a str,
        auth: &'a str,
    },
    Disconnect {
        namespace: &'a str,
    },
    /// `2[/nsp,][ack id]<JSON array>`; `args` is the still undecoded array.
    Event {
        namespace: &'a str,
        ack: Option<u64>,
        args: &'a str,
    },
    /// An acknowledgement of something the server asked; this server never asks.
    Ack {
        namespace: &'a str,
    },
    /// Binary events and acks: not supported.
    Binary,
}

impl<'a> SocketPacket<'a> {
    pub fn decode(text: &'a str) -> Result<Self, Malformed> {
        let mut chars = text.chars();
        let kind = chars.next().ok_or(Malformed)?;
        let (namespace, rest) = split_namespace(chars.as_str());
        match kind {
            '0' => Ok(Self::Connect {
                namespace,
                auth: rest,
            }),
            '1' => Ok(Self::Disconnect { namespace }),
            '2' => {
                let (ack, args) = split_ack(rest)?;
                Ok(Self::Event {
                    namespace,
                    ack,
                    args,
                })
            }
            '3' => {
                let (ack, _) = split_ack(rest)?;
                ack.map(|_| Self::Ack { namespace }).ok_or(Malformed)
            }
            '5' | '6' => Ok(Self::Binary),
            _ => Err(Malformed),
        }
    }
}

/// `/nsp,rest` → (`/nsp`, `rest`); without a leading `/` the namespace is `/`.
fn split_namespace(text: &str) -> (&str, &str) {
    if !text.starts_with('/') {
        return ("/", text);
    }
    match text.find(',') {
        Some(comma) => (&text[..comma], &text[comma + 1..]),
        None => (text, ""),
    }
}

fn split_ack(text: &str) -> Result<(Option<u64>, &str), Malformed> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Ok((None, text));
    }
    let id = text[..digits].parse().map_err(|_| Malformed)?;
    Ok((Some(id), &text[digits..]))
}

/// An event's name and first argument (`Null` when there is none) from its JSON
/// array; anything but an array starting with a string is malformed.
pub fn event_args(args: &str) -> Result<(String, Value), Malformed> {
    let items: Vec<Value> = serde_json::from_str(args).map_err(|_| Malformed)?;
    let mut items = items.into_iter();
    let Some(Value::String(name)) = items.next() else {
        return Err(Malformed);
    };
    Ok((name, items.next().unwrap_or(Value::Null)))
}

/// The Engine.IO message carrying a Socket.IO event on `/`: `42["name",payload]`.
/// `payload_json` must be one JSON value; it is written as is.
pub fn event(name: &str, payload_json: &str) -> String {
    let mut frame = String::with_capacity(payload_json.len() + name.len() + 8);
    frame.push_str("42[");
    push_json_string(&mut frame, name);
    frame.push(',');
    frame.push_str(payload_json);
    frame.push(']');
    frame
}

/// The acknowledgement of event `id` with one argument: `43<id>[payload]`.
pub fn ack(id: u64, payload_json: &str) -> String {
    let mut frame = String::with_capacity(payload_json.len() + 24);
    let _ = write!(frame, "43{id}[{payload_json}]");
    frame
}

/// The answer to a CONNECT to `/`: `40{"sid":"<socket id>"}`.
pub fn connected(socket_id: &str) -> String {
    format!(r#"40{{"sid":"{socket_id}"}}"#)
}

/// The refusal of a CONNECT to any namespace but `/`.
pub fn invalid_namespace(namespace: &str) -> String {
    let mut frame = String::from("44");
    frame.push_str(namespace);
    frame.push_str(r#",{"message":"Invalid namespace"}"#);
    frame
}

/// The Engine.IO open packet; a polling session may upgrade to websocket.
pub fn open(sid: &str, upgradable: bool, timing: super::Timing, max_payload: usize) -> String {
    let upgrades = if upgradable { r#"["websocket"]"# } else { "[]" };
    format!(
        r#"0{{"sid":"{sid}","upgrades":{upgrades},"pingInterval":{},"pingTimeout":{},"maxPayload":{max_payload}}}"#,
        timing.ping_interval.as_millis(),
        timing.ping_timeout.as_millis(),
    )
}

/// A fresh random id of 20 alphanumeric characters (about 119 bits).
pub fn random_id() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

fn push_json_string(out: &mut String, text: &str) {
    let plain = text
        .bytes()
        .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0x7f);
    if plain {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        out.push_str(&Value::from(text).to_string());
    }
}

#[cfg(test)]
#[path = "packet_tests.rs"]
mod tests;

//! The lean transport's framing: a client's text (a websocket frame, or a polling
//! body of frames) through Engine.IO, Socket.IO and the event's arguments to
//! `Inbound::decode`, as `link.rs` and `polling.rs` take it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reprise::transport::lean::packet::{self, EnginePacket, SEPARATOR, SocketPacket};
use reprise::transport::requests::Inbound;
use reprise_fuzz::has_float;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    for frame in body.split(SEPARATOR).take(64) {
        engine(frame);
    }
});

fn engine(frame: &str) {
    let mut chars = frame.chars();
    let kind = chars.next();
    let data = chars.as_str();
    let Ok(packet) = EnginePacket::decode(frame) else {
        assert!(!matches!(kind, Some('1'..='6')), "{frame:?} refused");
        return;
    };
    match (kind, packet) {
        (Some('1'), EnginePacket::Close)
        | (Some('5'), EnginePacket::Upgrade)
        | (Some('6'), EnginePacket::Noop) => {}
        (Some('2'), EnginePacket::Ping(d)) | (Some('3'), EnginePacket::Pong(d)) => {
            assert_eq!(d, data);
        }
        (Some('4'), EnginePacket::Message(message)) => {
            assert_eq!(message, data);
            socket(message);
        }
        (kind, packet) => panic!("{kind:?} decoded as {packet:?}"),
    }
}

fn socket(text: &str) {
    let Ok(packet) = SocketPacket::decode(text) else {
        return;
    };
    match packet {
        SocketPacket::Connect { namespace, auth } => {
            assert_namespace(namespace);
            assert!(text.ends_with(auth));
            // As socket.rs takes the token from the connect payload.
            let auth = serde_json::from_str::<Value>(auth).ok();
            let _ = auth
                .as_ref()
                .and_then(|a| a.get("token"))
                .and_then(Value::as_str);
        }
        SocketPacket::Disconnect { namespace } | SocketPacket::Ack { namespace } => {
            assert_namespace(namespace)
        }
        SocketPacket::Event {
            namespace,
            ack,
            args,
        } => {
            assert_namespace(namespace);
            assert!(text.ends_with(args));
            if let Some(id) = ack {
                assert!(text[..text.len() - args.len()].ends_with(&id.to_string()));
            }
            if let Ok((name, payload)) = packet::event_args(args) {
                round_trip(&name, &payload);
                let _ = Inbound::decode(&name, payload, 1 << 16);
            }
        }
        SocketPacket::Binary => assert!(text.starts_with(['5', '6'])),
    }
}

fn assert_namespace(namespace: &str) {
    assert!(namespace.starts_with('/'), "{namespace:?}");
    assert!(
        namespace == "/" || !namespace.contains(','),
        "{namespace:?}"
    );
}

/// What the server would send for this event decodes back to it, and so does an
/// ack carrying it.
fn round_trip(name: &str, payload: &Value) {
    let json = payload.to_string();
    let frame = packet::event(name, &json);
    let Ok(EnginePacket::Message(message)) = EnginePacket::decode(&frame) else {
        panic!("{frame:?} is not a message");
    };
    let Ok(SocketPacket::Event {
        namespace: "/",
        ack: None,
        args,
    }) = SocketPacket::decode(message)
    else {
        panic!("{frame:?} is not an event on /");
    };
    let decoded = packet::event_args(args).expect("an encoded event decodes");
    assert_eq!(decoded.0, name, "{frame:?}");
    if !has_float(payload) {
        assert_eq!(&decoded.1, payload, "{frame:?}");
    }
    let ack = packet::ack(7, &json);
    let Ok(EnginePacket::Message(message)) = EnginePacket::decode(&ack) else {
        panic!("{ack:?} is not a message");
    };
    assert_eq!(
        SocketPacket::decode(message),
        Ok(SocketPacket::Ack { namespace: "/" })
    );
}

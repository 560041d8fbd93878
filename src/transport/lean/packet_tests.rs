//! The codec against the frames stock clients send and expect.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::transport::lean::Timing;

#[test]
fn engine_packets_decode_by_their_first_character() {
    assert_eq!(EnginePacket::decode("1"), Ok(EnginePacket::Close));
    assert_eq!(EnginePacket::decode("2"), Ok(EnginePacket::Ping("")));
    assert_eq!(
        EnginePacket::decode("2probe"),
        Ok(EnginePacket::Ping("probe"))
    );
    assert_eq!(EnginePacket::decode("3"), Ok(EnginePacket::Pong("")));
    assert_eq!(
        EnginePacket::decode("3probe"),
        Ok(EnginePacket::Pong("probe"))
    );
    assert_eq!(EnginePacket::decode("40"), Ok(EnginePacket::Message("0")));
    assert_eq!(EnginePacket::decode("5"), Ok(EnginePacket::Upgrade));
    assert_eq!(EnginePacket::decode("6"), Ok(EnginePacket::Noop));
}

#[test]
fn engine_packets_a_client_never_sends_are_malformed() {
    for frame in ["", "0", "0{}", "7", "x", "é", "b4AAA"] {
        assert_eq!(EnginePacket::decode(frame), Err(Malformed), "{frame:?}");
    }
}

#[test]
fn connect_and_disconnect_name_their_namespace() {
    let connect = |namespace, auth| SocketPacket::Connect { namespace, auth };
    assert_eq!(SocketPacket::decode("0"), Ok(connect("/", "")));
    let token = r#"{"token":"t"}"#;
    assert_eq!(
        SocketPacket::decode(&format!("0{token}")),
        Ok(connect("/", token))
    );
    assert_eq!(SocketPacket::decode("0/admin,"), Ok(connect("/admin", "")));
    assert_eq!(
        SocketPacket::decode(r#"0/admin,{"a":1}"#),
        Ok(connect("/admin", r#"{"a":1}"#))
    );
    assert_eq!(SocketPacket::decode("0/admin"), Ok(connect("/admin", "")));
    assert_eq!(
        SocketPacket::decode("1"),
        Ok(SocketPacket::Disconnect { namespace: "/" })
    );
    assert_eq!(
        SocketPacket::decode("1/admin,"),
        Ok(SocketPacket::Disconnect {
            namespace: "/admin"
        })
    );
}

#[test]
fn events_carry_their_ack_id_and_undecoded_arguments() {
    assert_eq!(
        SocketPacket::decode(r#"2["start_processing",{"video_path":"v.mp4"}]"#),
        Ok(SocketPacket::Event {
            namespace: "/",
            ack: None,
            args: r#"["start_processing",{"video_path":"v.mp4"}]"#,
        })
    );
    assert_eq!(
        SocketPacket::decode(r#"2017["x"]"#),
        Ok(SocketPacket::Event {
            namespace: "/",
            ack: Some(17),
            args: r#"["x"]"#,
        })
    );
    assert_eq!(
        SocketPacket::decode(r#"2/admin,3["x",1]"#),
        Ok(SocketPacket::Event {
            namespace: "/admin",
            ack: Some(3),
            args: r#"["x",1]"#,
        })
    );
}

#[test]
fn acks_binary_and_unknown_kinds() {
    assert_eq!(
        SocketPacket::decode("35[]"),
        Ok(SocketPacket::Ack { namespace: "/" })
    );
    assert_eq!(
        SocketPacket::decode("3[]"),
        Err(Malformed),
        "an ack needs an id"
    );
    assert_eq!(
        SocketPacket::decode(r#"51-["x",{"_placeholder":true,"num":0}]"#),
        Ok(SocketPacket::Binary)
    );
    assert_eq!(SocketPacket::decode("61-0[]"), Ok(SocketPacket::Binary));
    for frame in ["", "4", r#"4{"message":"x"}"#, "7", "x[]"] {
        assert_eq!(SocketPacket::decode(frame), Err(Malformed), "{frame:?}");
    }
    assert_eq!(
        SocketPacket::decode("299999999999999999999999[]"),
        Err(Malformed),
        "an ack id beyond u64"
    );
}

#[test]
fn event_arguments_are_a_name_then_the_first_value() {
    assert_eq!(
        event_args(r#"["start_processing",{"video_path":"v.mp4"},"ignored"]"#),
        Ok(("start_processing".into(), json!({"video_path": "v.mp4"})))
    );
    assert_eq!(
        event_args(r#"["start_processing"]"#),
        Ok(("start_processing".into(), Value::Null))
    );
    assert_eq!(event_args(r#"["x",5]"#), Ok(("x".into(), json!(5))));
    for args in [
        "",
        "[]",
        "[5]",
        r#"{"a":1}"#,
        r#"["x""#,
        r#""x""#,
        "[null,1]",
    ] {
        assert_eq!(event_args(args), Err(Malformed), "{args:?}");
    }
}

#[test]
fn server_frames_are_encoded_as_stock_clients_expect() {
    assert_eq!(
        event("progress", r#"{"seq":3}"#),
        r#"42["progress",{"seq":3}]"#
    );
    assert_eq!(event(r#"a"b"#, "1"), r#"42["a\"b",1]"#);
    assert_eq!(ack(7, r#"{"event":"x"}"#), r#"437[{"event":"x"}]"#);
    assert_eq!(connected("abc"), r#"40{"sid":"abc"}"#);
    assert_eq!(
        invalid_namespace("/admin"),
        r#"44/admin,{"message":"Invalid namespace"}"#
    );
}

#[test]
fn the_open_packet_states_sid_upgrades_timing_and_limit() {
    let timing = Timing {
        ping_interval: Duration::from_millis(25_000),
        ping_timeout: Duration::from_millis(20_000),
    };
    let frame = open("s1", true, timing, 1 << 20);
    let body: Value = serde_json::from_str(frame.strip_prefix('0').unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"sid": "s1", "upgrades": ["websocket"], "pingInterval": 25000,
               "pingTimeout": 20000, "maxPayload": 1048576})
    );
    let frame = open("s2", false, timing, 10);
    assert!(frame.contains(r#""upgrades":[]"#), "{frame}");
}

#[test]
fn random_ids_are_twenty_url_safe_characters_and_differ() {
    let (a, b) = (random_id(), random_id());
    assert_eq!(a.len(), 20);
    assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(a, b);
}

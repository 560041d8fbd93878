//! The small parsers of HTTP input: `Last-Event-ID` and `?last_seq=` (`parse_seq`),
//! listing cursors (`ListCursor::parse`), session ids (`SessionId::parse`) and
//! `?status=`. Whatever parses encodes back to something that parses to the same.
#![no_main]

use http::HeaderValue;
use libfuzzer_sys::fuzz_target;
use reprise::session::{SessionId, Status, VideoTag};
use reprise::store::ListCursor;
use reprise::transport::api::parse_seq;

/// The 64 characters of URL-safe base64, which the random part of an id is made of.
const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    seq(&text);
    if let Ok(header) = HeaderValue::from_bytes(data) {
        seq(header.to_str().unwrap_or("?"));
    }
    cursor(&text);
    session_id(&text);
    if let Some(status) = Status::parse(&text) {
        assert_eq!(status.as_str(), text);
    }
    built(data);
});

fn seq(raw: &str) {
    if let Some(n) = parse_seq(raw) {
        assert_eq!(parse_seq(&n.to_string()), Some(n));
    }
}

fn cursor(raw: &str) {
    let Some(cursor) = ListCursor::parse(raw) else {
        return;
    };
    let encoded = cursor.encode();
    assert!(raw.ends_with(cursor.id.as_str()), "{raw:?}");
    assert_eq!(ListCursor::parse(&encoded), Some(cursor), "{raw:?}");
}

fn session_id(raw: &str) {
    let Some(id) = SessionId::parse(raw) else {
        return;
    };
    assert_eq!(id.as_str(), raw);
    assert!(raw.starts_with(id.tag()));
}

/// Values made from the input: a seq and a well-formed id, which must round trip.
fn built(data: &[u8]) {
    let Some((head, tail)) = data.split_first_chunk::<8>() else {
        return;
    };
    let n = u64::from_le_bytes(*head);
    assert_eq!(parse_seq(&n.to_string()), Some(n));
    assert_eq!(parse_seq(&format!(" {n}\t")), Some(n));
    let tag = VideoTag::of(&String::from_utf8_lossy(tail));
    let random: String = (0..22)
        .map(|i| {
            tail.get(i)
                .map_or('A', |b| char::from(URL_SAFE[usize::from(b % 64)]))
        })
        .collect();
    let raw = format!("{}{random}", tag.as_str());
    let id = SessionId::parse(&raw).unwrap_or_else(|| panic!("{raw:?} is a well-formed id"));
    assert_eq!(id.tag(), tag.as_str());
    let cursor = ListCursor { created_ms: n, id };
    assert_eq!(ListCursor::parse(&cursor.encode()), Some(cursor));
}

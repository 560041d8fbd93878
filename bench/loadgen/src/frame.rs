//! A tiny scanner for the Socket.IO frames a Reprise server sends: it finds the event
//! name and the few top-level payload fields a measurement needs, without building a
//! JSON tree, so that reading an event costs far less than the server spent on it.

/// What one websocket text frame is.
#[derive(Debug, PartialEq)]
pub enum Frame<'a> {
    /// Engine.IO ping (`2`): answer `3`.
    Ping,
    /// `42["name",{...}]`; `payload` runs to the end of the frame.
    Event { name: &'a str, payload: &'a str },
    /// `43<id>[{...}]`.
    Ack { id: u64, payload: &'a str },
    /// `40{...}`: the namespace accepted the connection.
    Connected,
    /// `44{...}`: the namespace refused it.
    Refused,
    /// Anything else: the open packet, a noop, a close.
    Other,
}

/// Reads the frame's kind, event name or ack id.
pub fn classify(text: &str) -> Frame<'_> {
    match text.as_bytes() {
        [b'2'] => Frame::Ping,
        [b'4', b'2', ..] => event(&text[2..]).unwrap_or(Frame::Other),
        [b'4', b'3', ..] => ack(&text[2..]).unwrap_or(Frame::Other),
        [b'4', b'0', ..] => Frame::Connected,
        [b'4', b'4', ..] => Frame::Refused,
        _ => Frame::Other,
    }
}

fn event(body: &str) -> Option<Frame<'_>> {
    let rest = &body[body.find('[')? + 1..];
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    let after = rest[end + 1..].trim_start();
    let payload = after.strip_prefix(',').map_or("", str::trim_start);
    Some(Frame::Event {
        name: &rest[..end],
        payload,
    })
}

fn ack(body: &str) -> Option<Frame<'_>> {
    let open = body.find('[')?;
    let id = body[..open].parse().ok()?;
    Some(Frame::Ack {
        id,
        payload: &body[open + 1..],
    })
}

/// The top-level payload fields that the scenarios read.
#[derive(Debug, Default, PartialEq)]
pub struct Fields<'a> {
    pub seq: Option<u64>,
    /// `ts` in microseconds since the Unix epoch (the wire carries milliseconds).
    pub ts_us: Option<u64>,
    pub session_id: Option<&'a str>,
    /// The reply's name inside an ack payload.
    pub event: Option<&'a str>,
    pub status: Option<&'a str>,
    pub code: Option<&'a str>,
    pub gap: bool,
}

/// Scans the top level of the JSON object at the start of `payload`.
pub fn fields(payload: &str) -> Fields<'_> {
    let mut out = Fields::default();
    scan(payload, &mut out);
    out
}

fn scan<'a>(payload: &'a str, out: &mut Fields<'a>) -> Option<()> {
    let b = payload.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(b, i);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = skip_string(b, i)?;
        let key = &b[i + 1..key_end - 1];
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let value_end = skip_value(b, i)?;
        let value = &payload[i..value_end];
        match key {
            b"seq" => out.seq = value.parse().ok(),
            b"ts" => out.ts_us = millis_to_us(value),
            b"session_id" => out.session_id = unquote(value),
            b"event" => out.event = unquote(value),
            b"status" => out.status = unquote(value),
            b"code" => out.code = unquote(value),
            b"gap" => out.gap = value == "true",
            _ => {}
        }
        i = skip_ws(b, value_end);
        if b.get(i) != Some(&b',') {
            return Some(());
        }
        i += 1;
    }
}

fn millis_to_us(value: &str) -> Option<u64> {
    match value.parse::<u64>() {
        Ok(ms) => Some(ms * 1000),
        Err(_) => value.parse::<f64>().ok().map(|ms| (ms * 1000.0) as u64),
    }
}

fn unquote(value: &str) -> Option<&str> {
    value.strip_prefix('"')?.strip_suffix('"')
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// From an opening quote to just past its closing quote.
fn skip_string(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match *b.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

fn skip_value(b: &[u8], start: usize) -> Option<usize> {
    match *b.get(start)? {
        b'"' => skip_string(b, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            loop {
                match *b.get(i)? {
                    b'"' => {
                        i = skip_string(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let len = b[start..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']') || c.is_ascii_whitespace())
                .unwrap_or(b.len() - start);
            Some(start + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_event_and_its_fields() {
        let text = r#"42["progress",{"eta_s":1.5,"progress":12.0,"result":{"seq":99,"x":"a\"}"},"seq":7,"session_id":"abc","stage":"b,c","status":"processing","ts":1700000000123}]"#;
        let Frame::Event { name, payload } = classify(text) else {
            panic!("not an event");
        };
        assert_eq!(name, "progress");
        let f = fields(payload);
        assert_eq!(f.seq, Some(7));
        assert_eq!(f.ts_us, Some(1_700_000_000_123_000));
        assert_eq!(f.session_id, Some("abc"));
        assert_eq!(f.status, Some("processing"));
    }

    #[test]
    fn reads_acks_pings_and_connects() {
        assert_eq!(classify("2"), Frame::Ping);
        assert_eq!(classify(r#"40{"sid":"x"}"#), Frame::Connected);
        assert_eq!(classify(r#"44{"message":"no"}"#), Frame::Refused);
        assert_eq!(classify(r#"0{"sid":"x"}"#), Frame::Other);
        let Frame::Ack { id, payload } = classify(r#"4312[{"event":"resume_session","gap":true}]"#)
        else {
            panic!("not an ack");
        };
        assert_eq!(id, 12);
        let f = fields(payload);
        assert_eq!(f.event, Some("resume_session"));
        assert!(f.gap);
    }

    #[test]
    fn tolerates_odd_payloads() {
        assert_eq!(fields("").seq, None);
        assert_eq!(fields("[1,2]").seq, None);
        assert_eq!(fields(r#"{"seq":"#).seq, None);
        assert_eq!(fields(r#"{ "ts" : 5.5 , "seq" : 3 }"#).ts_us, Some(5500));
        assert_eq!(
            classify(r#"42["x"]"#),
            Frame::Event {
                name: "x",
                payload: ""
            }
        );
    }
}

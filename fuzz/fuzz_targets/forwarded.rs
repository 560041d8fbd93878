//! `limits::client_address`: the client behind a connection, from its peer and
//! `X-Forwarded-For` (lines of the input, one header each), with loopback trusted. An
//! untrusted peer is the client whatever the header says; behind a trusted one the
//! client is the peer or an untrusted hop that the header names.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use reprise::limits::client_address;

const TRUSTED: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];
/// An address of the documentation range, not trusted.
const STRANGER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let peer = [TRUSTED[0], TRUSTED[1], STRANGER][usize::from(mode % 3)];
    let mut headers = HeaderMap::new();
    for line in rest.split(|b| *b == b'\n').take(8) {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append("x-forwarded-for", value);
        }
    }
    let client = client_address(SocketAddr::new(peer, 4321), &headers, &TRUSTED);
    if !TRUSTED.contains(&peer) {
        assert_eq!(client, peer);
        return;
    }
    if client != peer {
        assert!(!TRUSTED.contains(&client), "{client} is a trusted proxy");
        let text = String::from_utf8_lossy(rest);
        let named = text
            .split([',', '\n'])
            .any(|hop| hop.trim().parse::<IpAddr>().ok() == Some(client));
        assert!(named, "{client} is not in the header");
    }
});

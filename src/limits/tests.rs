//! The limits on their own: refill, windows, slots, forwarded addresses.

use std::time::Duration;

use super::*;

#[test]
fn a_bucket_allows_a_burst_then_its_rate() {
    let mut bucket = TokenBucket::new(10).unwrap();
    let start = bucket.last;
    let burst = (0..100).take_while(|_| bucket.take(start)).count();
    assert_eq!(burst, 20);
    assert!(!bucket.take(start + Duration::from_millis(50)));
    assert!(bucket.take(start + Duration::from_millis(150)));
    assert!(TokenBucket::new(0).is_none());
}

#[test]
fn claims_are_counted_per_subject() {
    let windows = ClaimWindows::new(3);
    assert!((0..3).all(|_| windows.allow("alice")));
    assert!(!windows.allow("alice"));
    assert!(windows.allow("bob"));
    let open = ClaimWindows::new(0);
    assert!((0..1000).all(|_| open.allow("alice")));
}

#[test]
fn an_address_holds_at_most_its_places_until_one_is_dropped() {
    let counts = AddressCounts::new(2);
    let here: IpAddr = "10.0.0.1".parse().unwrap();
    let there: IpAddr = "10.0.0.2".parse().unwrap();
    let first = counts.open(here).unwrap();
    let _second = counts.open(here).unwrap();
    assert!(counts.open(here).is_err());
    assert!(counts.open(there).unwrap().is_some());
    drop(first);
    assert!(counts.open(here).unwrap().is_some());
    assert!(AddressCounts::new(0).open(here).unwrap().is_none());
}

#[test]
fn only_a_trusted_proxy_names_the_client() {
    let proxy: SocketAddr = "10.0.0.9:4000".parse().unwrap();
    let stranger: SocketAddr = "203.0.113.5:4000".parse().unwrap();
    let trusted = ["10.0.0.9".parse().unwrap()];
    let mut headers = HeaderMap::new();
    headers.insert("x-forwarded-for", "1.2.3.4, 198.51.100.7".parse().unwrap());
    let client = client_address(proxy, &headers, &trusted);
    assert_eq!(client, "198.51.100.7".parse::<IpAddr>().unwrap());
    assert_eq!(client_address(stranger, &headers, &trusted), stranger.ip());
    assert_eq!(
        client_address(proxy, &HeaderMap::new(), &trusted),
        proxy.ip()
    );
}

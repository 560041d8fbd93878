//! Abuse limits, each cheap and local to this instance: a token bucket per connection,
//! claims per token subject per minute, and open connections per client address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;

/// How many subjects the claim windows remember before dropping past minutes.
const PRUNE_ABOVE: usize = 10_000;

/// Events a connection may send: `rate` per second, bursts up to twice that.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// `None` for a rate of 0 (no limit).
    pub fn new(per_second: u32) -> Option<Self> {
        let rate = f64::from(per_second);
        (per_second > 0).then(|| Self {
            rate,
            burst: rate * 2.0,
            tokens: rate * 2.0,
            last: Instant::now(),
        })
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Claims per subject in the current minute (a fixed window).
pub struct ClaimWindows {
    per_minute: u32,
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl ClaimWindows {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::default(),
        }
    }

    /// Counts a claim by `subject`; false when its minute's allowance is spent.
    pub fn allow(&self, subject: &str) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let minute = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 60);
        let mut windows = lock(&self.windows);
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, (at, _)| *at == minute);
        }
        let window = windows.entry(subject.to_owned()).or_insert((minute, 0));
        if window.0 != minute {
            *window = (minute, 0);
        }
        window.1 += 1;
        window.1 <= self.per_minute
    }
}

/// Open connections per client address.
#[derive(Clone)]
pub struct AddressCounts {
    max: usize,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One open connection of an address; dropping it frees the place.
#[derive(Debug)]
pub struct AddressSlot {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
    address: IpAddr,
}

impl AddressCounts {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            counts: Arc::default(),
        }
    }

    /// A place for one more connection from `address`: `Ok(None)` when there is no
    /// limit, `Err(())` when the address has its maximum open already.
    #[allow(clippy::result_unit_err)]
    pub fn open(&self, address: IpAddr) -> Result<Option<AddressSlot>, ()> {
        if self.max == 0 {
            return Ok(None);
        }
        let mut counts = lock(&self.counts);
        let count = counts.entry(address).or_insert(0);
        if *count >= self.max {
            return Err(());
        }
        *count += 1;
        Ok(Some(AddressSlot {
            counts: self.counts.clone(),
            address,
        }))
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        if let Some(count) = counts.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

/// The client's address: the peer's, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not one of the trusted proxies.
pub fn client_address(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.ip();
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|hop| !trusted.contains(hop))
        .unwrap_or(peer)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests;

//! CPU seconds and resident memory of the server processes (and of this one) from
//! `/proc`, sampled at the start and end of a measured phase.

use serde_json::{Value, json};

/// One reading of every watched process.
#[derive(Clone, Debug)]
pub struct Sample {
    servers: Vec<Reading>,
    own_cpu_us: Option<u64>,
    own_rss_bytes: Option<u64>,
}

#[derive(Clone, Copy, Debug)]
struct Reading {
    pid: u32,
    ticks: Option<u64>,
    rss_bytes: Option<u64>,
}

/// The processes to watch: the `--pid`s given, and this one.
#[derive(Clone, Debug)]
pub struct Probe {
    pids: Vec<u32>,
    tick_s: f64,
}

impl Probe {
    pub fn new(pids: &[u32]) -> Self {
        // SAFETY: sysconf has no preconditions.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        let tick_s = if ticks > 0 { 1.0 / ticks as f64 } else { 0.01 };
        Self {
            pids: pids.to_vec(),
            tick_s,
        }
    }

    pub fn sample(&self) -> Sample {
        let servers = self
            .pids
            .iter()
            .map(|&pid| Reading {
                pid,
                ticks: cpu_ticks(&format!("/proc/{pid}/stat")),
                rss_bytes: rss_bytes(&format!("/proc/{pid}/status")),
            })
            .collect();
        Sample {
            servers,
            own_cpu_us: own_cpu_us(),
            own_rss_bytes: rss_bytes("/proc/self/status"),
        }
    }

    /// CPU used between two samples and RSS at both; `server_cpu_s` sums the pids.
    pub fn report(&self, start: &Sample, end: &Sample) -> Value {
        let seconds = |a: Option<u64>, b: Option<u64>| {
            a.zip(b)
                .map(|(a, b)| round3(b.saturating_sub(a) as f64 * self.tick_s))
        };
        let servers: Vec<Value> = start
            .servers
            .iter()
            .zip(&end.servers)
            .map(|(a, b)| {
                json!({
                    "pid": a.pid,
                    "cpu_s": seconds(a.ticks, b.ticks),
                    "rss_bytes_start": a.rss_bytes,
                    "rss_bytes": b.rss_bytes,
                })
            })
            .collect();
        let total: f64 = start
            .servers
            .iter()
            .zip(&end.servers)
            .filter_map(|(a, b)| seconds(a.ticks, b.ticks))
            .sum();
        json!({
            "loadgen_cpu_s": start.own_cpu_us.zip(end.own_cpu_us)
                .map(|(a, b)| round6(b.saturating_sub(a) as f64 / 1e6)),
            "loadgen_rss_bytes": end.own_rss_bytes,
            "servers": servers,
            "server_cpu_s": (!self.pids.is_empty()).then_some(round3(total)),
        })
    }
}

impl Sample {
    /// The summed RSS of the watched servers, if every one could be read.
    pub fn server_rss(&self) -> Option<u64> {
        self.servers.iter().map(|r| r.rss_bytes).sum()
    }
}

/// utime + stime, fields 14 and 15 of `stat`, counted after the `(comm)` field.
fn cpu_ticks(path: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(path).ok()?;
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// This process's user + system CPU in microseconds (finer than clock ticks).
fn own_cpu_us() -> Option<u64> {
    // SAFETY: an all-zero rusage is valid, and getrusage writes into it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a live rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Some(us(usage.ru_utime) + us(usage.ru_stime))
}

fn rss_bytes(path: &str) -> Option<u64> {
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let probe = Probe::new(&[std::process::id()]);
        let a = probe.sample();
        let b = probe.sample();
        assert!(a.server_rss().unwrap() > 0);
        let report = probe.report(&a, &b);
        assert!(report["loadgen_cpu_s"].as_f64().is_some());
        assert!(report["server_cpu_s"].as_f64().is_some());
        assert!(cpu_ticks("/proc/self/stat").is_some());
    }
}

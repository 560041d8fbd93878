//! Where traffic may go and what it names: server URLs (loopback only), local source
//! addresses, and the video paths that sessions are started for.

use std::net::{Ipv4Addr, SocketAddr};

/// A server's Socket.IO endpoint on a loopback address.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    pub ws_url: String,
}

/// Connections per source address when `--source-ips` is not given.
const PER_SOURCE: usize = 19_000;

/// Parses `http://`, `ws://` or bare `host:port[/path]`; the host must be in
/// 127.0.0.0/8 or `localhost`. A missing path means `/socket.io/`.
pub fn parse_target(url: &str) -> Result<Target, String> {
    let rest = ["http://", "ws://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))
        .unwrap_or(url);
    if rest.contains("://") {
        return Err(format!("{url}: only http:// and ws:// are supported"));
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>()
                .map_err(|_| format!("{url}: bad port {port:?}"))?,
        ),
        None => (authority, 80),
    };
    let ip = loopback(host).map_err(|e| format!("{url}: {e}"))?;
    let path = match path.split('?').next().unwrap_or("") {
        "" | "/" => "/socket.io/",
        other => other,
    };
    Ok(Target {
        addr: SocketAddr::from((ip, port)),
        ws_url: format!("ws://{ip}:{port}{path}?EIO=4&transport=websocket"),
    })
}

/// `localhost` or an IPv4 address in 127.0.0.0/8; anything else is refused.
pub fn loopback(host: &str) -> Result<Ipv4Addr, String> {
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(Ipv4Addr::LOCALHOST);
    }
    match host.parse::<Ipv4Addr>() {
        Ok(ip) if ip.octets()[0] == 127 => Ok(ip),
        _ => Err(format!("refusing {host:?}: only 127.0.0.0/8 is allowed")),
    }
}

/// Which local address connection `index` binds to.
#[derive(Clone, Debug)]
pub struct Sources(Vec<Ipv4Addr>);

impl Sources {
    pub fn new(ips: &[Ipv4Addr]) -> Result<Self, String> {
        for ip in ips {
            loopback(&ip.to_string())?;
        }
        Ok(Self(ips.to_vec()))
    }

    /// Round-robin over the given addresses; without any, the kernel's choice for the
    /// first 19,000 connections, then 127.0.0.2, 127.0.0.3, ... per 19,000.
    pub fn for_index(&self, index: usize) -> Option<Ipv4Addr> {
        if !self.0.is_empty() {
            return Some(self.0[index % self.0.len()]);
        }
        let block = index / PER_SOURCE;
        (block > 0).then(|| Ipv4Addr::new(127, 0, 0, (1 + block % 254) as u8))
    }
}

/// Video paths from a template: `{i}` is the video number, `{run}` the run id.
#[derive(Clone, Debug)]
pub struct Videos {
    template: String,
    offset: u64,
}

impl Videos {
    pub fn new(template: &str, offset: u64, run_id: Option<&str>) -> Result<Self, String> {
        if !template.contains("{i}") {
            return Err(format!("path template {template:?} lacks {{i}}"));
        }
        let template = match run_id {
            Some(run) if template.contains("{run}") => template.replace("{run}", run),
            Some(_) => return Err(format!("--run-id given but {template:?} lacks {{run}}")),
            None if template.contains("{run}") => {
                return Err(format!("{template:?} has {{run}} but no --run-id"));
            }
            None => template.to_owned(),
        };
        Ok(Self { template, offset })
    }

    /// The path of the `n`-th video this run uses.
    pub fn path(&self, n: u64) -> String {
        self.template.replace("{i}", &(self.offset + n).to_string())
    }

    /// The same template, starting `n` videos later.
    pub fn skip(&self, n: u64) -> Self {
        Self {
            template: self.template.clone(),
            offset: self.offset + n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_loopback_urls_only() {
        let t = parse_target("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            t.ws_url,
            "ws://127.0.0.1:8080/socket.io/?EIO=4&transport=websocket"
        );
        let t = parse_target("ws://localhost:9/socket.io/").unwrap();
        assert_eq!(t.addr, "127.0.0.1:9".parse().unwrap());
        assert!(parse_target("127.0.0.5:1").is_ok());
        for bad in [
            "http://10.0.0.1:80",
            "http://example.com:80",
            "https://127.0.0.1:1",
            "http://[::1]:80",
            "http://127.0.0.1:x",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn spreads_sources() {
        let default = Sources::new(&[]).unwrap();
        assert_eq!(default.for_index(5), None);
        assert_eq!(default.for_index(19_000), Some(Ipv4Addr::new(127, 0, 0, 2)));
        let two = Sources::new(&[Ipv4Addr::new(127, 0, 0, 3), Ipv4Addr::new(127, 0, 0, 4)]);
        assert_eq!(two.unwrap().for_index(3), Some(Ipv4Addr::new(127, 0, 0, 4)));
        assert!(Sources::new(&[Ipv4Addr::new(192, 168, 0, 1)]).is_err());
    }

    #[test]
    fn fills_the_path_template() {
        let v = Videos::new("bench/{run}/{i}.mp4", 10, Some("r1")).unwrap();
        assert_eq!(v.path(2), "bench/r1/12.mp4");
        assert_eq!(v.skip(5).path(0), "bench/r1/15.mp4");
        assert!(Videos::new("bench/{i}.mp4", 0, Some("r")).is_err());
        assert!(Videos::new("bench/{run}/{i}.mp4", 0, None).is_err());
    }
}

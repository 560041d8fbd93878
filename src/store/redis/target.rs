//! Where the Redis store connects: one server (`redis://…`), or a Redis Cluster named
//! by its seed nodes (`redis+cluster://host:port,host:port/…`), whose keys, scripts and
//! sharded pub/sub spread over the masters.

use super::scripts::Publish;
use crate::store::StoreError;

/// The scheme that names a Redis Cluster by its seed nodes.
pub const CLUSTER_SCHEME: &str = "redis+cluster://";

/// A parsed Redis URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Single(String),
    /// Seed node URLs (`redis://host:port/…` each); the rest is found from them.
    Cluster(Vec<String>),
}

impl Target {
    /// Parses `url`: `redis+cluster://` names a cluster, as does any `redis://` URL when
    /// `cluster` is set (its comma-separated hosts being the seeds).
    pub fn parse(url: &str, cluster: bool) -> Result<Self, StoreError> {
        let invalid = |why: &str| StoreError::Unavailable(format!("redis URL {url:?}: {why}"));
        let rest = match url.strip_prefix(CLUSTER_SCHEME) {
            Some(rest) => rest,
            None if !cluster => return Ok(Self::Single(url.to_owned())),
            None => url
                .strip_prefix("redis://")
                .ok_or_else(|| invalid("a cluster needs redis:// or redis+cluster://"))?,
        };
        let (hosts, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (auth, hosts) = match hosts.rsplit_once('@') {
            Some((auth, hosts)) => (format!("{auth}@"), hosts),
            None => (String::new(), hosts),
        };
        let seeds: Vec<String> = hosts
            .split(',')
            .filter(|host| !host.is_empty())
            .map(|host| format!("redis://{auth}{host}/{path}"))
            .collect();
        if seeds.is_empty() {
            return Err(invalid("no seed node"));
        }
        Ok(Self::Cluster(seeds))
    }

    /// How the store's scripts publish on this target.
    pub fn publish(&self) -> Publish {
        match self {
            Self::Single(_) => Publish::Plain,
            Self::Cluster(_) => Publish::Sharded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_urls_name_one_server() {
        let url = "redis://127.0.0.1:6400/2";
        assert_eq!(
            Target::parse(url, false).unwrap(),
            Target::Single(url.into())
        );
    }

    #[test]
    fn cluster_urls_list_their_seeds() {
        let seeds = |s: &[&str]| Target::Cluster(s.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            Target::parse("redis+cluster://a:1,b:2", false).unwrap(),
            seeds(&["redis://a:1/", "redis://b:2/"])
        );
        assert_eq!(
            Target::parse("redis+cluster://:pw@a:1,b:2/", false).unwrap(),
            seeds(&["redis://:pw@a:1/", "redis://:pw@b:2/"])
        );
        assert_eq!(
            Target::parse("redis://a:1", true).unwrap(),
            seeds(&["redis://a:1/"])
        );
        assert_eq!(
            Target::parse("redis://a:1", true).unwrap().publish(),
            Publish::Sharded
        );
    }

    #[test]
    fn cluster_urls_without_seeds_are_refused() {
        for bad in ["redis+cluster://", "redis+cluster:///0", "rediss://a:1"] {
            assert!(Target::parse(bad, true).is_err(), "{bad}");
        }
    }
}

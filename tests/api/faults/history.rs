//! What Redis recorded of a session: its event stream (`Keys::events`,
//! entry `<seq>-0`, fields `k` name, `d` payload, `t` ts, `o` the writer's fencing
//! token) and its run log (`Keys::run_log`, lines `start <token>
//! <instance> <ms>` and `end <token> <instance> <ms> <how>`).

use reprise::session::SessionId;
use reprise::store::redis::Keys;
use serde_json::Value;

use super::cluster::Cluster;

/// One stream entry.
#[derive(Clone, Debug)]
pub struct Entry {
    pub seq: u64,
    pub kind: String,
    pub data: Value,
    pub ts: u64,
    /// The fencing token of the run that wrote it; `None` if the field is missing.
    pub token: Option<u64>,
}

/// One run log line.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub start: bool,
    pub token: u64,
    pub instance: String,
    pub ms: u64,
    /// How the run ended (`end` lines only).
    pub how: Option<String>,
}

#[derive(Debug)]
pub struct History {
    pub session_id: String,
    pub entries: Vec<Entry>,
    pub runs: Vec<Run>,
}

impl History {
    pub async fn read(cluster: &Cluster, session_id: &str) -> Self {
        let keys = Keys::new(cluster.prefix.as_str());
        let id = SessionId::parse(session_id).expect("a session id");
        let mut conn = cluster.conn().await;
        let raw: Vec<(String, Vec<String>)> = redis::cmd("XRANGE")
            .arg(keys.events(&id))
            .arg("-")
            .arg("+")
            .query_async(&mut conn)
            .await
            .expect("XRANGE of the session's stream");
        let lines: Vec<String> = redis::cmd("LRANGE")
            .arg(keys.run_log(&id))
            .arg(0)
            .arg(-1)
            .query_async(&mut conn)
            .await
            .expect("LRANGE of the session's run log");
        Self {
            session_id: session_id.to_owned(),
            entries: raw.into_iter().map(entry).collect(),
            runs: lines.iter().map(|line| run(line)).collect(),
        }
    }

    /// The tokens that wrote events, in stream order, each once.
    pub fn writers(&self) -> Vec<u64> {
        let mut tokens: Vec<u64> = Vec::new();
        for token in self.entries.iter().filter_map(|e| e.token) {
            if tokens.last() != Some(&token) {
                tokens.push(token);
            }
        }
        tokens
    }

    /// The entries written under `token`.
    pub fn by(&self, token: u64) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.token == Some(token))
            .collect()
    }

    /// `(token, instance)` of every `start` line, in log order.
    pub fn starts(&self) -> Vec<(u64, &str)> {
        self.runs
            .iter()
            .filter(|r| r.start)
            .map(|r| (r.token, r.instance.as_str()))
            .collect()
    }

    /// The `end` line of the run with `token`.
    pub fn end_of(&self, token: u64) -> Option<&Run> {
        self.runs.iter().find(|r| !r.start && r.token == token)
    }

    /// The progress of the simulated steps (stage `simulating`) in stream order.
    pub fn steps(&self) -> Vec<(f64, Option<u64>)> {
        self.entries
            .iter()
            .filter(|e| e.kind == "progress" && e.data["stage"] == "simulating")
            .map(|e| (e.data["progress"].as_f64().unwrap(), e.token))
            .collect()
    }
}

fn entry((id, fields): (String, Vec<String>)) -> Entry {
    let field = |name: &str| {
        fields
            .chunks(2)
            .find(|pair| pair[0] == name)
            .map(|pair| pair[1].clone())
    };
    let seq = id
        .strip_suffix("-0")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("stream entry id {id} is not <seq>-0"));
    let d = field("d").unwrap_or_else(|| panic!("entry {id} has no d: {fields:?}"));
    Entry {
        seq,
        kind: field("k").unwrap_or_else(|| panic!("entry {id} has no k: {fields:?}")),
        data: serde_json::from_str(&d).unwrap_or_else(|e| panic!("entry {id}: d {d:?}: {e}")),
        ts: field("t")
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("entry {id} has no numeric t: {fields:?}")),
        token: field("o").map(|o| {
            o.parse()
                .unwrap_or_else(|_| panic!("entry {id}: o {o:?} is not a token"))
        }),
    }
}

fn run(line: &str) -> Run {
    let words: Vec<&str> = line.split(' ').collect();
    let number = |i: usize| -> u64 {
        words
            .get(i)
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("run log line {line:?}: word {i} is not a number"))
    };
    let (start, how) = match (words.first(), words.len()) {
        (Some(&"start"), 4) => (true, None),
        (Some(&"end"), 5) => (false, Some(words[4].to_owned())),
        _ => panic!(
            "run log line {line:?} is neither `start <token> <instance> <ms>` nor `end <token> <instance> <ms> <how>`"
        ),
    };
    Run {
        start,
        token: number(1),
        instance: words[2].to_owned(),
        ms: number(3),
        how,
    }
}

//! Observability: the metric families of `/metrics` (names, types and help texts held
//! to `metrics_names.txt`, histograms well-formed after real traffic), the spans on
//! JSON log lines, and the Grafana dashboard's queries against the exported names.

mod dashboard;
mod logs;
mod metrics;

use std::collections::BTreeMap;
use std::path::PathBuf;

/// The committed list of metric families: `name type help`, one per line, sorted.
pub fn names_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/api/metrics_names.txt")
}

/// Families of the committed list, by name: `(type, help)`.
pub fn committed_families() -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(names_file()).expect("metrics_names.txt");
    text.lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            let mut next = || parts.next().unwrap_or_default().to_owned();
            (next(), (next(), next()))
        })
        .collect()
}

/// One metric family of a Prometheus text exposition.
#[derive(Debug, Default)]
pub struct Family {
    pub kind: String,
    pub help: String,
    pub samples: Vec<Sample>,
}

/// One sample line: its full name (`_bucket` and such included), labels, value.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses an exposition, panicking on anything malformed: a sample before its
/// family's `# TYPE`, a family with two `# HELP` or `# TYPE` lines, a sample that
/// belongs to no declared family, a value that is not a number.
pub fn parse(text: &str) -> BTreeMap<String, Family> {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    for line in text.lines().filter(|line| !line.is_empty()) {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP has a text");
            let family = families.entry(name.into()).or_default();
            assert!(family.help.is_empty(), "two HELP lines for {name}");
            family.help = help.into();
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE has a type");
            let family = families.entry(name.into()).or_default();
            assert!(family.kind.is_empty(), "two TYPE lines for {name}");
            family.kind = kind.into();
        } else {
            let sample = parse_sample(line);
            let family = family_of(&families, &sample.name)
                .unwrap_or_else(|| panic!("no HELP/TYPE before {line:?}"));
            families.get_mut(&family).unwrap().samples.push(sample);
        }
    }
    families
}

fn parse_sample(line: &str) -> Sample {
    let (head, value) = line.rsplit_once(' ').expect("a sample has a value");
    let value = match value {
        "+Inf" => f64::INFINITY,
        number => number
            .parse()
            .unwrap_or_else(|_| panic!("value of {line:?}")),
    };
    let (name, labels) = match head.split_once('{') {
        Some((name, rest)) => (name, rest.strip_suffix('}').expect("labels end with }")),
        None => (head, ""),
    };
    let labels = labels
        .split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, quoted) = pair.split_once('=').expect("label=value");
            let value = quoted.strip_prefix('"').and_then(|v| v.strip_suffix('"'));
            (key.into(), value.expect("a quoted label value").into())
        })
        .collect();
    Sample {
        name: name.into(),
        labels,
        value,
    }
}

/// The declared family a sample name belongs to (a histogram's `_bucket`, `_sum`
/// and `_count` belong to the histogram).
fn family_of(families: &BTreeMap<String, Family>, sample: &str) -> Option<String> {
    if families.get(sample).is_some_and(|f| !f.kind.is_empty()) {
        return Some(sample.into());
    }
    ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
        let base = sample.strip_suffix(suffix)?;
        let family = families.get(base)?;
        (family.kind == "histogram").then(|| base.into())
    })
}

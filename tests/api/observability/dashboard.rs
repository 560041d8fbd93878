//! `config/grafana/reprise-dashboard.json`: a dashboard that imports against any
//! Prometheus data source and asks only for metrics the server exports, so that a
//! renamed metric cannot leave a panel silently empty.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

use super::committed_families;

/// What the dashboard must show, whatever else it shows.
const REQUIRED: [&str; 14] = [
    "reprise_runs",
    "reprise_sessions_ended_total",
    "reprise_claims_total",
    "reprise_claim_dedup_hits_total",
    "reprise_sessions_resumed_total",
    "reprise_events_replayed_total",
    "reprise_events_published_total",
    "reprise_events_delivered_total",
    "reprise_fanout_latency_seconds",
    "reprise_redis_roundtrip_seconds",
    "reprise_lease_renew_failures_total",
    "reprise_sessions_taken_over_total",
    "reprise_requests_refused_total",
    "reprise_watchers",
];

fn dashboard() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/grafana/reprise-dashboard.json");
    let text = std::fs::read_to_string(&path).expect("the dashboard");
    serde_json::from_str(&text).expect("the dashboard is JSON")
}

/// Every PromQL expression: panel targets and query variables.
fn expressions(dashboard: &Value) -> Vec<String> {
    let targets = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().cloned().unwrap_or_default())
        .map(|target| {
            target["expr"]
                .as_str()
                .expect("a target has an expr")
                .to_owned()
        });
    let variables = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|variable| variable["type"] == "query")
        .map(|variable| variable["definition"].as_str().unwrap().to_owned());
    targets.chain(variables).collect()
}

/// The `reprise_*` names an expression mentions outside its quoted strings.
fn metric_names(expr: &str) -> Vec<String> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let unquoted: Vec<&str> = expr.split('"').step_by(2).collect();
    let words = unquoted.iter().flat_map(|part| part.split(|c| !is_name(c)));
    words
        .filter(|word| word.starts_with("reprise_"))
        .map(str::to_owned)
        .collect()
}

/// Whether the expression's brackets pair up, outside its quoted strings.
fn balanced(expr: &str) -> bool {
    let mut open = Vec::new();
    for part in expr.split('"').step_by(2) {
        for c in part.chars() {
            match c {
                '(' | '[' | '{' => open.push(c),
                ')' | ']' | '}' => {
                    let wanted = match c {
                        ')' => '(',
                        ']' => '[',
                        _ => '{',
                    };
                    if open.pop() != Some(wanted) {
                        return false;
                    }
                }
                _ => {}
            }
        }
    }
    open.is_empty()
}

/// The family a series name belongs to, if the server exports it: a histogram's
/// `_bucket`, `_sum` and `_count` series belong to the histogram.
fn exported_family(families: &BTreeMap<String, (String, String)>, series: &str) -> Option<String> {
    if families.contains_key(series) {
        return Some(series.into());
    }
    ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
        let base = series.strip_suffix(suffix)?;
        (families.get(base)?.0 == "histogram").then(|| base.into())
    })
}

#[test]
fn every_metric_the_dashboard_queries_is_exported() {
    let families = committed_families();
    let dashboard = dashboard();
    let mut shown = BTreeSet::new();
    for expr in expressions(&dashboard) {
        let names = metric_names(&expr);
        assert!(!names.is_empty(), "{expr}: no reprise metric");
        assert!(balanced(&expr), "{expr}: unbalanced brackets");
        for series in &names {
            let family = exported_family(&families, series)
                .unwrap_or_else(|| panic!("{expr}: {series} is not exported (metrics_names.txt)"));
            if expr.contains("histogram_quantile") && families[&family].0 == "histogram" {
                assert!(
                    series.ends_with("_bucket"),
                    "{expr}: quantiles need _bucket"
                );
            }
            shown.insert(family);
        }
    }
    for family in REQUIRED {
        assert!(families.contains_key(family), "{family} is not exported");
        assert!(shown.contains(family), "no panel shows {family}");
    }
}

#[test]
fn the_dashboard_imports_against_a_chosen_prometheus() {
    let dashboard = dashboard();
    for key in ["title", "uid"] {
        assert!(
            dashboard[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key}"
        );
    }
    assert!(dashboard["schemaVersion"].as_u64().is_some());
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    let source = variables.iter().find(|v| v["type"] == "datasource");
    let source = source.expect("a data source variable");
    assert_eq!(source["query"], "prometheus");
    let chosen = format!("${{{}}}", source["name"].as_str().unwrap());

    let panels = dashboard["panels"].as_array().unwrap();
    let mut ids = BTreeSet::new();
    for panel in panels {
        let title = panel["title"].as_str().unwrap_or_default();
        assert!(
            ids.insert(panel["id"].as_u64().expect("an id")),
            "{title}: id taken"
        );
        let grid = &panel["gridPos"];
        let width = grid["x"].as_u64().unwrap() + grid["w"].as_u64().unwrap();
        assert!(width <= 24, "{title}: wider than the grid");
        if panel["type"] == "row" {
            continue;
        }
        assert!(!title.is_empty());
        assert_eq!(panel["datasource"]["uid"], chosen.as_str(), "{title}");
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{title}: no query");
        let refs: BTreeSet<_> = targets
            .iter()
            .map(|t| t["refId"].as_str().unwrap())
            .collect();
        assert_eq!(refs.len(), targets.len(), "{title}: refIds repeat");
        for target in targets {
            assert_eq!(target["datasource"]["uid"], chosen.as_str(), "{title}");
        }
    }
}

#[test]
fn names_and_brackets_are_read_outside_quoted_strings() {
    let expr = "histogram_quantile(0.99, sum by (le) (rate(reprise_a_seconds_bucket{x=\"reprise_no\"}[5m]))) / sum(xreprise_c) + reprise_d";
    assert_eq!(
        metric_names(expr),
        ["reprise_a_seconds_bucket", "reprise_d"]
    );
}

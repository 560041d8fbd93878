//! `/metrics` of a running app: the families are exactly the committed list, each
//! with HELP and TYPE, and after a real session every histogram is well-formed and
//! the counters, gauges and histograms agree with what happened.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use super::{Family, Sample, committed_families, names_file, parse};
use crate::helpers::{Media, TestApp, spawn_app, test_config};
use crate::redis_server::TestRedis;

/// Set to rewrite `metrics_names.txt` from what the server renders.
const UPDATE: &str = "UPDATE_METRICS_NAMES";

async fn scrape(app: &TestApp) -> BTreeMap<String, Family> {
    let response = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    parse(&response.text().await.unwrap())
}

#[tokio::test]
async fn the_families_are_the_committed_list_with_help_and_type() {
    let media = Media::new(&[]);
    let app = spawn_app(test_config(media.path(), None)).await;
    let families = scrape(&app).await;
    for (name, family) in &families {
        assert!(name.starts_with("reprise_"), "{name}");
        assert!(!family.help.is_empty(), "{name} has no HELP");
        let kinds = ["counter", "gauge", "histogram"];
        assert!(
            kinds.contains(&family.kind.as_str()),
            "{name}: TYPE {}",
            family.kind
        );
        assert!(!family.samples.is_empty(), "{name} has no samples");
        assert_eq!(
            family.kind == "counter",
            name.ends_with("_total"),
            "{name}: counters, and only they, end in _total"
        );
    }
    let rendered: String = families
        .iter()
        .map(|(name, family)| format!("{name} {} {}\n", family.kind, family.help))
        .collect();
    if std::env::var_os(UPDATE).is_some() {
        std::fs::write(names_file(), &rendered).unwrap();
    }
    let committed: String = committed_families()
        .iter()
        .map(|(name, (kind, help))| format!("{name} {kind} {help}\n"))
        .collect();
    assert!(
        rendered == committed,
        "the metric families changed; if that is meant, run with {UPDATE}=1 and commit \
         tests/api/metrics_names.txt.\nrendered:\n{rendered}\ncommitted:\n{committed}"
    );
}

#[tokio::test]
async fn a_session_leaves_consistent_counters_and_well_formed_histograms() {
    let redis = TestRedis::get();
    let media = Media::new(&["v.mp4"]);
    let mut config = test_config(media.path(), Some(&redis));
    config.simulated_steps = 4;
    config.simulated_step_ms = 50;
    let app = spawn_app(config).await;
    let mut first = app.client().await;
    let mut second = app.client().await;
    first.emit("start_processing", json!({ "video_path": "v.mp4" }));
    first.next_named(&["processing_started"]).await;
    second.emit("start_processing", json!({ "video_path": "v.mp4" }));
    second.next_named(&["resume_session"]).await;
    first.until_terminal().await;
    second.until_terminal().await;

    let families = until_runs_are_zero(&app).await;
    for (name, family) in families.iter().filter(|(_, f)| f.kind == "histogram") {
        well_formed(name, &family.samples);
    }
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        let (family, samples) = sample_family(&families, name);
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        samples
            .iter()
            .find(|s| s.name == name && s.labels == wanted)
            .unwrap_or_else(|| panic!("no {name}{labels:?} in {family}"))
            .value
    };
    assert_eq!(value("reprise_claims_total", &[]), 2.0);
    assert_eq!(value("reprise_claim_dedup_hits_total", &[]), 1.0);
    assert_eq!(value("reprise_sessions_resumed_total", &[]), 1.0);
    let ended = |status| value("reprise_sessions_ended_total", &[("status", status)]);
    assert_eq!(
        (ended("complete"), ended("failed"), ended("cancelled")),
        (1.0, 0.0, 0.0)
    );
    let published = value("reprise_events_published_total", &[]);
    assert_eq!(published, 5.0, "4 progress + complete");
    let latency = "reprise_fanout_latency_seconds";
    assert_eq!(
        value(&format!("{latency}_count"), &[]),
        published,
        "one observation per event on this instance, however many watch it"
    );
    assert!(value("reprise_events_delivered_total", &[]) >= 2.0 * published);
    assert!(
        value(&format!("{latency}_sum"), &[]) / published < 1.0,
        "on loopback"
    );
    let trips = "reprise_redis_roundtrip_seconds_count";
    assert_eq!(value(trips, &[("op", "claim")]), 2.0);
    assert!(value(trips, &[("op", "append")]) >= published);
    assert!(value(trips, &[("op", "load_script")]) >= 1.0);
}

/// A scrape once the run has let go of its place in `reprise_runs` (it does so a
/// moment after its terminal event goes out).
async fn until_runs_are_zero(app: &TestApp) -> BTreeMap<String, Family> {
    for _ in 0..100 {
        let families = scrape(app).await;
        let runs = &families["reprise_runs"].samples;
        let statuses: Vec<_> = runs.iter().map(|s| s.labels["status"].as_str()).collect();
        assert_eq!(statuses, ["queued", "processing"]);
        if runs.iter().all(|s| s.value == 0.0) {
            return families;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("reprise_runs did not return to zero");
}

fn sample_family<'a>(
    families: &'a BTreeMap<String, Family>,
    sample: &str,
) -> (&'a str, &'a [Sample]) {
    let base = ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|suffix| sample.strip_suffix(suffix))
        .filter(|base| families.contains_key(*base))
        .unwrap_or(sample);
    let (name, family) = families.get_key_value(base).expect("a family");
    (name, &family.samples)
}

/// Per label set: buckets in ascending `le` ending at `+Inf`, cumulative counts, the
/// `+Inf` bucket equal to `_count`, and a `_sum` that is not negative.
fn well_formed(name: &str, samples: &[Sample]) {
    let mut series: BTreeMap<Vec<(String, String)>, Vec<&Sample>> = BTreeMap::new();
    for sample in samples {
        let key = sample.labels.iter().filter(|(k, _)| *k != "le");
        let key = key.map(|(k, v)| (k.clone(), v.clone())).collect();
        series.entry(key).or_default().push(sample);
    }
    assert!(!series.is_empty(), "{name} has no series");
    for (labels, samples) in series {
        let pick = |suffix: &str| -> Vec<&Sample> {
            let full = format!("{name}{suffix}");
            samples.iter().copied().filter(|s| s.name == full).collect()
        };
        let buckets = pick("_bucket");
        let bounds: Vec<f64> = buckets
            .iter()
            .map(|b| match b.labels["le"].as_str() {
                "+Inf" => f64::INFINITY,
                le => le.parse().unwrap(),
            })
            .collect();
        assert!(bounds.len() >= 2, "{name}{labels:?}: too few buckets");
        assert!(
            bounds.windows(2).all(|w| w[0] < w[1]),
            "{name}{labels:?}: le order"
        );
        assert_eq!(bounds.last(), Some(&f64::INFINITY), "{name}{labels:?}");
        let counts: Vec<f64> = buckets.iter().map(|b| b.value).collect();
        assert!(
            counts.windows(2).all(|w| w[0] <= w[1]),
            "{name}{labels:?}: cumulative"
        );
        let (sum, count) = (pick("_sum"), pick("_count"));
        assert_eq!(
            (sum.len(), count.len()),
            (1, 1),
            "{name}{labels:?}: one _sum, one _count"
        );
        assert_eq!(
            counts.last(),
            Some(&count[0].value),
            "{name}{labels:?}: +Inf = _count"
        );
        assert!(sum[0].value >= 0.0, "{name}{labels:?}: _sum");
    }
}

//! Every scenario at a tiny size, one after another on consecutive videos, in a few
//! seconds: what a test suite runs against a small server.

use std::sync::Arc;

use serde_json::{Map, json};

use crate::cli::{Claim, Common, Fanout, Idle, Storm};
use crate::setup::{Report, Shared};
use crate::{claim, fanout, idle, storm};

pub async fn run(setup: Shared, common: &Common) -> Result<Report, String> {
    let mut fields = Map::new();
    let mut ok = true;
    let mut used = 0;
    let fanout_args = Fanout {
        common: common.clone(),
        sessions: 2,
        watchers: 3,
        stagger_ms: 10.0,
        warmup_s: 0.0,
        duration_s: 1.0,
    };
    let claim_args = Claim {
        common: common.clone(),
        clients: 4,
        rate: 20.0,
        duration_s: 0.5,
        pairs: 4,
        pair_interval_ms: 10,
    };
    let storm_args = Storm {
        common: common.clone(),
        sessions: 2,
        watchers: 6,
        warm_events: 2,
        reconnect_concurrency: 0,
    };
    let idle_args = Idle {
        common: common.clone(),
        connections: 20,
        hold_s: 0.2,
    };
    for name in ["fanout", "claim", "storm", "idle"] {
        let setup = Arc::new(setup.skip_videos(used));
        let report = match name {
            "fanout" => fanout::run(setup, &fanout_args).await?,
            "claim" => claim::run(setup, &claim_args).await?,
            "storm" => storm::run(setup, &storm_args).await?,
            _ => idle::run(setup, &idle_args).await?,
        };
        ok &= report.ok;
        used += report.videos_used;
        fields.insert(name.into(), report.into_json(name));
    }
    fields.insert("urls".into(), json!(common.urls));
    Ok(Report {
        fields,
        ok,
        videos_used: used,
    })
}

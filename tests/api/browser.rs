//! The browser client at `GET /`: its files as served, and the page itself in Debian's
//! headless chromium, driven by `tests/browser/page.mjs` through a run that is hidden,
//! joined from a second tab, resumed and reloaded (this side checks the script's
//! findings against the server's own records), and through a real ffmpeg run's
//! outputs ([`outputs`]).
//!
//! `playwright-core` comes from npm at the version pinned in `tests/browser/`, installed
//! into `target/browser-test/` like the stock clients. The browser is `/usr/bin/chromium`
//! (`REPRISE_CHROMIUM` overrides it); `scripts/test` installs it. A mid-run screenshot
//! goes to `target/artifacts/page-mid-run.png`, and also to `docs/page.png` when
//! `REPRISE_DOCS_SCREENSHOT` is set.

mod checks;
mod outputs;
mod script;

use std::ffi::OsStr;
use std::path::Path;

use serde_json::json;

use crate::helpers::{Media, spawn_app, test_config};

const STEPS: u32 = 80;
const STEP_MS: u64 = 100;
const VIDEO: &str = "clips/long.mp4";
const OTHER: &str = "other.mp4";
const FILES: [(&str, &str); 5] = [
    ("/", "text/html; charset=utf-8"),
    ("/web/app.js", "text/javascript; charset=utf-8"),
    ("/web/sio.js", "text/javascript; charset=utf-8"),
    ("/web/catalog.js", "text/javascript; charset=utf-8"),
    ("/web/style.css", "text/css; charset=utf-8"),
];

#[tokio::test]
async fn the_page_and_its_files_are_served_with_their_types_and_revalidated() {
    let media = Media::new(&[]);
    let app = spawn_app(test_config(media.path(), None)).await;
    for (path, content_type) in FILES {
        let response = reqwest::get(app.url(path)).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        assert_eq!(headers["content-type"], content_type, "{path}");
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
        assert!(!response.text().await.unwrap().is_empty(), "{path}");
    }
    let index = reqwest::get(app.url("/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(index.contains(r#"src="/web/app.js""#), "{index}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_then_reloaded_tab_resumes_its_run_instead_of_restarting_it() {
    let media = Media::new(&[VIDEO, OTHER]);
    let mut config = test_config(media.path(), None);
    config.simulated_steps = STEPS;
    config.simulated_step_ms = STEP_MS;
    let app = spawn_app(config).await;
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let screenshot = artifacts.join("page-mid-run.png");
    let _ = std::fs::remove_file(&screenshot);

    let url = app.url("");
    let args = [&url, VIDEO, OTHER].map(OsStr::new);
    let found = script::run("page.mjs", &[&args[..], &[screenshot.as_os_str()]].concat()).await;

    let session = found["session_ids"]["started"].as_str().unwrap();
    for (when, id) in found["session_ids"].as_object().unwrap() {
        assert_eq!(
            id, session,
            "every tab and reload saw one session ({when}): {found}"
        );
    }
    assert_eq!(found["listed"], json!([VIDEO, OTHER]), "{found}");
    assert_eq!(found["picked_from_list"], true, "{found}");
    assert_eq!(
        found["typed"], VIDEO,
        "picking from the list fills the path: {found}"
    );

    // Tab A was really hidden, and let go of the server meanwhile.
    assert_eq!(
        found["seen_visibility"],
        json!(["hidden", "visible"]),
        "{found}"
    );
    assert_eq!(found["connection_while_hidden"], "offline", "{found}");
    assert_eq!(found["watchers_before_hide"], 1, "{found}");
    assert_eq!(found["watchers_while_hidden"], 0, "{found}");

    // It resumed where it was, twice; the run went on while it was away.
    let percent = |key: &str| {
        found[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: {found}"))
    };
    assert!(percent("percent_before_hide") >= 20, "{found}");
    assert!(
        percent("resumed_at_after_hide") >= percent("percent_before_hide"),
        "{found}"
    );
    assert!(
        percent("caught_up_percent") > percent("percent_before_hide"),
        "{found}"
    );
    assert!(
        percent("tab_b_resumed_at") >= percent("percent_before_hide"),
        "{found}"
    );
    assert!(percent("percent_before_reload") >= 60, "{found}");
    assert!(
        percent("resumed_at_after_reload") >= percent("percent_before_reload"),
        "{found}"
    );
    assert_eq!(
        found["final"],
        json!({ "status": "complete", "percent": 100 }),
        "{found}"
    );
    let shown: Vec<u64> = ["percents_before_reload", "percents_after_reload"]
        .iter()
        .flat_map(|key| found[key].as_array().unwrap())
        .map(|p| p.as_str().unwrap().trim_end_matches('%').parse().unwrap())
        .collect();
    assert!(
        shown.windows(2).all(|w| w[0] <= w[1]),
        "the percent shown went back: {shown:?}"
    );

    // A started once and rejoined with the last_seq it held, not with a new start.
    assert_eq!(
        found["a_starts"],
        json!([{ "video_path": VIDEO }]),
        "{found}"
    );
    assert_eq!(
        found["b_starts"],
        json!([{ "video_path": VIDEO }]),
        "{found}"
    );
    let joins = found["a_joins"].as_array().unwrap();
    assert_eq!(
        joins.len(),
        2,
        "one rejoin after the hide, one after the reload: {found}"
    );
    let hide_seq = found["last_seq_before_hide"].as_u64().unwrap();
    assert_eq!(
        joins[0],
        json!({ "session_id": session, "last_seq": hide_seq })
    );
    assert_eq!(joins[1]["session_id"], session, "{found}");
    assert!(
        joins[1]["last_seq"].as_u64().unwrap() >= found["last_seq_before_reload"].as_u64().unwrap()
    );
    checks::connections_resume(&found["a_received"], joins, u64::from(STEPS) + 2);

    assert!(
        found["refused"]
            .as_str()
            .unwrap()
            .starts_with("not_found: "),
        "{found}"
    );
    let cancelled = &found["cancelled"];
    assert_eq!(cancelled["status"], "cancelled", "{found}");
    assert_eq!(cancelled["notice"], "Cancelled", "{found}");
    assert_ne!(cancelled["session_id"], session, "{found}");
    assert_eq!(
        found["cancel_sent"],
        json!([{ "session_id": cancelled["session_id"] }])
    );
    assert_eq!(found["warning_live"], "", "{found}");
    assert_eq!(found["warning_shown"], found["warning_expected"], "{found}");

    // The server ran the video once; only tab B's start found it running.
    checks::server_ran_once(&app, VIDEO, session).await;

    let png = std::fs::read(&screenshot).expect("the mid-run screenshot");
    assert!(
        png.starts_with(b"\x89PNG"),
        "not a PNG: {}",
        screenshot.display()
    );
    if std::env::var_os("REPRISE_DOCS_SCREENSHOT").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/page.png");
        std::fs::create_dir_all(docs.parent().unwrap()).unwrap();
        std::fs::copy(&screenshot, docs).unwrap();
    }
}

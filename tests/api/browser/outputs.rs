//! A run of the real ffmpeg processor, finished on the page of a server that wants
//! tokens: its outputs as links that answer (carrying the page's token), the poster
//! shown, and the same links again after a reload.

use std::ffi::OsStr;

use serde_json::{Value, json};

use super::script;
use crate::hardening::{token, with_auth};
use crate::helpers::{Media, spawn_app, test_config};
use crate::processors::support::make_video;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_run_shows_its_outputs_as_links_that_answer() {
    let media = Media::new(&[]);
    make_video(media.path(), "clip.mp4", 2, "320x240");
    let mut config = with_auth(test_config(media.path(), None));
    config.processor = reprise::config::ProcessorKind::Ffmpeg;
    let app = spawn_app(config).await;
    let url = app.url(&format!("/#token={}", token("viewer", &[""], "2026", 300)));

    let found = script::run("outputs.mjs", &[OsStr::new(&url), OsStr::new("clip.mp4")]).await;

    assert_eq!(found["status"], "complete", "{found}");
    let folder = format!("/outputs/{}/", found["session_id"].as_str().unwrap());
    let shown = found["shown"].as_array().unwrap();
    let kinds: Vec<&str> = shown
        .iter()
        .map(|o| {
            let href = o["href"].as_str().unwrap();
            assert!(href.starts_with(&folder), "{href} is not under {folder}");
            let text = o["text"].as_str().unwrap();
            text.split(" (")
                .nth(1)
                .unwrap()
                .split([' ', ','])
                .next()
                .unwrap()
        })
        .collect();
    assert!(kinds.contains(&"video"), "{found}");
    assert_eq!(
        kinds.iter().filter(|k| **k == "poster").count(),
        1,
        "{found}"
    );
    for output in shown {
        let is_poster = output["text"].as_str().unwrap().contains("(poster");
        assert_eq!(
            output["image_loaded"],
            if is_poster { json!(true) } else { Value::Null }
        );
    }
    for answer in found["answers"].as_array().unwrap() {
        assert_eq!(answer["status"], 200, "{found}");
        let href = answer["href"].as_str().unwrap();
        let (path, query) = href.split_once('?').expect("the link carries the token");
        assert!(query.starts_with("token="), "{href}");
        let without = reqwest::get(app.url(path)).await.unwrap();
        assert_eq!(without.status().as_u16(), 401, "an output needs the token");
    }
    let links = |key: &str| -> Vec<Value> {
        found[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["href"].clone())
            .collect()
    };
    assert_eq!(
        links("reloaded"),
        links("shown"),
        "the tab keeps its result: {found}"
    );
}

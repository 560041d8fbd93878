//! A takeover in the middle of a real ffmpeg transcode: the instance that takes the run
//! over keeps the chunks the killed owner had finished (the output root is shared, as
//! it has to be for runs to move between instances), and each rendition's joined video
//! lasts as long as its input, within one frame.

use std::time::Duration;

use super::cluster::{Cluster, Settings};
use super::history::History;
use super::invariants;
use super::watcher::{Watcher, progress};
use crate::processors::support::{make_video, probe};

/// One frame of the 25 fps test video.
const FRAME_S: f64 = 0.04;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transcode_taken_over_mid_run_keeps_the_finished_chunks() {
    let cluster = Cluster::on_test_redis(&[]);
    let input = make_video(cluster.media_path(), "long.mp4", 16, "640x360");
    let outputs = tempfile::tempdir().unwrap();
    cluster
        .bounded(async {
            let mut settings = Settings::new(1, 1);
            settings.extra = vec![
                ("REPRISE_PROCESSOR", "ffmpeg".into()),
                ("REPRISE_CHUNK_S", "1".into()),
                ("REPRISE_FFMPEG_PRESET", "medium".into()),
                ("REPRISE_RENDITIONS", "360,180".into()),
                ("REPRISE_OUTPUT_ROOT", outputs.path().display().to_string()),
            ];
            let mut a = cluster.spawn("a", &settings).await;
            let b = cluster.spawn("b", &settings).await;
            let mut on_a = Watcher::start("on_a", a.port, "long.mp4").await;
            let id = on_a.session_id.clone();
            on_a.until(Duration::from_secs(20), |e| progress(e) >= 25.0)
                .await;
            let seen = on_a.events.last().map(progress).unwrap_or_default();
            assert!(
                seen < 80.0,
                "the run was nearly done before the kill: {seen}"
            );
            a.kill9().await;
            on_a.follow_to_end(&[b.port]).await;
            on_a.assert_complete();

            let history = History::read(&cluster, &id).await;
            invariants::stream_is_whole(&history);
            invariants::one_owner_at_a_time(&history);
            let instances: Vec<&str> = history.starts().iter().map(|s| s.1).collect();
            assert_eq!(instances, ["a", "b"], "{:?}", history.runs);

            let result = &history.entries.last().unwrap().data["result"];
            let reused = result["resumed_from_chunks"].as_u64().unwrap_or_default();
            assert!(reused >= 3, "b kept {reused} of a's chunks: {result}");
            let (source, _) = probe(&input);
            let videos: Vec<&str> = result["outputs"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|output| output["kind"] == "video")
                .filter_map(|output| output["path"].as_str())
                .collect();
            assert_eq!(videos.len(), 2, "{result}");
            for video in videos {
                let (joined, _) = probe(&outputs.path().join(video));
                assert!(
                    (joined - source).abs() <= FRAME_S,
                    "{video}: joined {joined} s, input {source} s"
                );
            }
        })
        .await;
}

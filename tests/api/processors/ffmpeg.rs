//! The ffmpeg processor on generated videos: progress, a playable result, resuming
//! from a checkpoint, stopping, and a file that is not a video.

use std::time::Duration;

use reprise::processor::{Ffmpeg, ProcessError, Processor, Report};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::support::*;

/// One frame at 25 frames per second.
const FRAME_S: f64 = 0.04;

fn ffmpeg(chunk_s: u64, preset: &str) -> Ffmpeg {
    Ffmpeg {
        chunk: Duration::from_secs(chunk_s),
        renditions: vec![120],
        preset: preset.into(),
    }
}

#[tokio::test]
async fn transcodes_a_ladder_with_rising_progress_into_playable_videos_and_a_poster() {
    let media = tempfile::tempdir().unwrap();
    let outputs = tempfile::tempdir().unwrap();
    let input = make_video(media.path(), "clip.mp4", 4, "320x180");
    let job = job(media.path(), "clip.mp4", outputs.path(), None);
    let dir = job.output_dir.clone();
    let session = job.session_id.as_str().to_owned();

    // The 1080 rung is capped at the source's 180 lines.
    let mut ladder = ffmpeg(2, "veryfast");
    ladder.renditions = vec![72, 1080, 120];
    let (outcome, reports) = run_to_end(&ladder, job).await;
    let result = outcome.unwrap();

    assert_monotonic(&reports);
    assert!(reports.iter().all(|r| r.progress < 100.0));
    let mut stages: Vec<&str> = reports.iter().filter_map(|r| r.stage.as_deref()).collect();
    stages.dedup();
    assert_eq!(stages, ["probing", "transcoding", "thumbnail"]);
    assert!(reports.iter().filter(|r| r.checkpoint.is_some()).count() >= 3);

    assert_eq!(result["width"], 320);
    assert_eq!(result["height"], 180);
    let outputs = result["outputs"].as_array().unwrap();
    let listed: Vec<(&str, &str, u64, u64)> = outputs
        .iter()
        .map(|o| {
            let (path, kind) = (o["path"].as_str().unwrap(), o["kind"].as_str().unwrap());
            let size = |key: &str| o[key].as_u64().unwrap_or_default();
            (path, kind, size("width"), size("height"))
        })
        .collect();
    let path = |name: &str| format!("{session}/{name}");
    assert_eq!(
        listed,
        [
            (path("video.mp4").as_str(), "video", 320, 180),
            (path("video-120p.mp4").as_str(), "video", 214, 120),
            (path("video-72p.mp4").as_str(), "video", 128, 72),
            (path("poster.jpg").as_str(), "poster", 0, 0),
        ]
    );
    assert!(outputs.iter().all(|o| o["bytes"].as_u64().unwrap() > 0));
    assert_eq!(
        files_in(&dir),
        ["poster.jpg", "video-120p.mp4", "video-72p.mp4", "video.mp4"]
    );

    let (source_s, _) = probe(&input);
    for (name, lines) in [
        ("video.mp4", 180),
        ("video-120p.mp4", 120),
        ("video-72p.mp4", 72),
    ] {
        let (duration_s, height) = probe(&dir.join(name));
        assert_eq!(height, Some(lines), "{name}");
        assert!(
            (duration_s - source_s).abs() <= FRAME_S,
            "{name}: {duration_s} vs {source_s}"
        );
    }
    assert!((result["duration_s"].as_f64().unwrap() - source_s).abs() < 0.001);
    assert_eq!(probe(&dir.join("poster.jpg")).1, Some(180));
}

#[tokio::test]
async fn a_stopped_run_resumes_from_its_last_checkpoint() {
    let media = tempfile::tempdir().unwrap();
    let outputs = tempfile::tempdir().unwrap();
    let input = make_video(media.path(), "clip.mp4", 4, "320x180");
    let first = job(media.path(), "clip.mp4", outputs.path(), None);
    let dir = first.output_dir.clone();
    let processor = ffmpeg(1, "ultrafast");

    let (tx, mut rx) = mpsc::channel(1024);
    let stop = CancellationToken::new();
    let run = tokio::spawn({
        let (processor, stop) = (processor.clone(), stop.clone());
        async move { processor.run(first, tx, stop).await }
    });
    let mut checkpoint = None;
    while let Some(report) = rx.recv().await {
        if report.checkpoint.is_some() {
            checkpoint = report.checkpoint;
            stop.cancel();
            break;
        }
    }
    let outcome = tokio::time::timeout(Duration::from_secs(5), run).await;
    assert!(matches!(outcome, Ok(Ok(Err(ProcessError::Stopped)))));
    while let Ok(report) = rx.try_recv() {
        checkpoint = report.checkpoint.or(checkpoint);
    }
    let checkpoint = checkpoint.expect("a chunk was reported done");
    let left = files_in(&dir);
    assert!(
        left.contains(&"chunk-00000-120p.mp4".to_owned()),
        "{left:?}"
    );
    assert!(left.iter().all(|name| !name.ends_with(".part")), "{left:?}");
    let done = left
        .iter()
        .filter(|name| name.starts_with("chunk-"))
        .count();

    let mut second = job(media.path(), "clip.mp4", outputs.path(), Some(checkpoint));
    second.output_dir = dir.clone();
    let (outcome, reports) = run_to_end(&processor, second).await;
    outcome.unwrap();
    assert_monotonic(&reports);
    let first_transcoding = reports
        .iter()
        .find(|r| r.stage.as_deref() == Some("transcoding"))
        .unwrap();
    // Chunk boundaries fall half a frame before the second.
    let skipped = 90.0 * (done as f64 - FRAME_S / 2.0) / 4.0;
    assert!(first_transcoding.progress >= skipped - 0.01, "{reports:?}");

    let (source_s, _) = probe(&input);
    let (duration_s, _) = probe(&dir.join("video.mp4"));
    assert!(
        (duration_s - source_s).abs() <= FRAME_S,
        "{duration_s} vs {source_s}"
    );
    assert_eq!(files_in(&dir), ["poster.jpg", "video.mp4"]);
}

#[tokio::test]
async fn stopping_kills_ffmpeg_and_removes_the_partial_chunk() {
    let media = tempfile::tempdir().unwrap();
    let outputs = tempfile::tempdir().unwrap();
    make_video(media.path(), "clip.mp4", 6, "640x360");
    let job = job(media.path(), "clip.mp4", outputs.path(), None);
    let dir = job.output_dir.clone();
    let mut slow = ffmpeg(10, "placebo");
    slow.renditions = vec![360];

    let (tx, mut rx) = mpsc::channel::<Report>(1024);
    let stop = CancellationToken::new();
    let run = tokio::spawn({
        let stop = stop.clone();
        async move { slow.run(job, tx, stop).await }
    });
    while let Some(report) = rx.recv().await {
        if report.stage.as_deref() == Some("transcoding") {
            break;
        }
    }
    let marker = dir.to_string_lossy().into_owned();
    let running = mentioning(&marker);
    assert_eq!(running.len(), 1, "one ffmpeg writes the chunk: {running:?}");
    let (pid, pgid) = running[0];
    assert_eq!(pid, pgid, "ffmpeg leads its own process group");

    stop.cancel();
    let outcome = tokio::time::timeout(Duration::from_secs(2), run).await;
    assert!(matches!(outcome, Ok(Ok(Err(ProcessError::Stopped)))));
    assert!(live_members(pgid).is_empty());
    assert!(!exists(pid), "ffmpeg was reaped, not left a zombie");
    assert!(mentioning(&marker).is_empty());
    assert_eq!(files_in(&dir), Vec::<String>::new());
}

#[tokio::test]
async fn a_file_that_is_not_a_video_fails_with_a_short_clean_reason() {
    let media = tempfile::tempdir().unwrap();
    let outputs = tempfile::tempdir().unwrap();
    let noise: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(media.path().join("broken.mp4"), noise).unwrap();
    let job = job(media.path(), "broken.mp4", outputs.path(), None);
    let dir = job.output_dir.clone();

    let (outcome, reports) = run_to_end(&ffmpeg(2, "ultrafast"), job).await;
    let Err(ProcessError::Failed(reason)) = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert!(reason.starts_with("cannot read the video: "), "{reason}");
    assert!(!reason.contains('/') && !reason.contains('\n'), "{reason}");
    assert!(reason.len() < 160, "{reason}");
    assert!(
        reports
            .iter()
            .all(|r| r.stage.as_deref() == Some("probing"))
    );
    assert!(!dir.exists());
}

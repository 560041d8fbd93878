//! The command processor on shell scripts: progress in both forms, a failure, and a
//! stop that takes the script's children with it.

use std::path::Path;
use std::time::Duration;

use reprise::processor::{Command, ProcessError, Processor, Report};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::support::*;

/// A command that runs `body` with `sh`, so the script need not be executable.
fn script(dir: &Path, body: &str) -> Command {
    let path = dir.join("work.sh");
    std::fs::write(&path, body).unwrap();
    let argv = ["sh", path.to_str().unwrap(), "{input}", "{output_dir}"];
    Command {
        argv: argv.map(str::to_owned).to_vec(),
    }
}

#[tokio::test]
async fn progress_lines_become_rising_reports_and_outputs_are_listed() {
    let media = tempfile::tempdir().unwrap();
    let outputs = tempfile::tempdir().unwrap();
    std::fs::write(media.path().join("in.mp4"), b"x").unwrap();
    let command = script(
        media.path(),
        r#"echo "hello, not a report"
echo progress=10
echo '{"progress": 50, "stage": "encode", "eta_s": 1.5}'
echo progress=30
echo "$1" > "$2/input.txt"
printf 'xyz' > "$2/out.mp4"
echo '{"progress": 120}'
"#,
    );
    let job = job(media.path(), "in.mp4", outputs.path(), None);
    let (dir, session) = (job.output_dir.clone(), job.session_id.as_str().to_owned());

    let (outcome, reports) = run_to_end(&command, job).await;
    let result = outcome.unwrap();

    assert_monotonic(&reports);
    let seen: Vec<(f64, Option<&str>)> = reports
        .iter()
        .map(|r| (r.progress, r.stage.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (10.0, None),
            (50.0, Some("encode")),
            (100.0, Some("encode"))
        ]
    );
    assert_eq!(reports[1].eta_s, Some(1.5));
    assert_eq!(result["exit_code"], 0);
    assert_eq!(
        result["outputs"],
        serde_json::json!([
            {"path": format!("{session}/input.txt"), "kind": "file", "bytes": std::fs::metadata(dir.join("input.txt")).unwrap().len()},
            {"path": format!("{session}/out.mp4"), "kind": "video", "bytes": 3},
        ])
    );
    let input = std::fs::read_to_string(dir.join("input.txt")).unwrap();
    assert_eq!(
        Path::new(input.trim()),
        media.path().canonicalize().unwrap().join("in.mp4")
    );
}

#[tokio::test]
async fn a_failing_command_fails_with_its_last_words_and_leaves_nothing() {
    let media = tempfile::tempdir().unwrap();
    let outputs = tempfile::tempdir().unwrap();
    std::fs::write(media.path().join("in.mp4"), b"x").unwrap();
    let command = script(
        media.path(),
        "echo progress=20\nprintf half > \"$2/out.mp4\"\necho \"$2/out.mp4: disk on fire\" >&2\nexit 3\n",
    );
    let job = job(media.path(), "in.mp4", outputs.path(), None);
    let dir = job.output_dir.clone();

    let (outcome, _) = run_to_end(&command, job).await;
    let Err(ProcessError::Failed(reason)) = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert_eq!(reason, "command failed: disk on fire");
    assert!(!dir.exists());

    let silent = script(media.path(), "exit 7\n");
    let job = super::support::job(media.path(), "in.mp4", outputs.path(), None);
    let (outcome, _) = run_to_end(&silent, job).await;
    assert_eq!(
        outcome.unwrap_err().to_string(),
        "command failed: exit code 7"
    );
}

#[tokio::test]
async fn stopping_a_command_kills_it_and_its_children() {
    let media = tempfile::tempdir().unwrap();
    let outputs = tempfile::tempdir().unwrap();
    std::fs::write(media.path().join("in.mp4"), b"x").unwrap();
    let command = script(
        media.path(),
        "echo $$ > \"$2/pid\"\nsleep 30 &\nsleep 30 &\necho progress=5\nwait\n",
    );
    let job = job(media.path(), "in.mp4", outputs.path(), None);
    let dir = job.output_dir.clone();

    let (tx, mut rx) = mpsc::channel::<Report>(16);
    let stop = CancellationToken::new();
    let run = tokio::spawn({
        let stop = stop.clone();
        async move { command.run(job, tx, stop).await }
    });
    assert_eq!(rx.recv().await.unwrap().progress, 5.0);
    let pid: u32 = std::fs::read_to_string(dir.join("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        eventually(5, || live_members(pid).len() == 3).await,
        "the script and two sleeps run"
    );

    stop.cancel();
    let outcome = tokio::time::timeout(Duration::from_secs(2), run).await;
    assert!(matches!(outcome, Ok(Ok(Err(ProcessError::Stopped)))));
    assert!(live_members(pid).is_empty());
    assert!(!exists(pid), "the script was reaped, not left a zombie");
    assert!(!dir.exists(), "nothing to resume from, so nothing is kept");
}

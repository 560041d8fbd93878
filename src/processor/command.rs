//! The command processor: runs a configured program on the input, without a shell,
//! and follows the progress it prints.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::process::Command as Process;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::child::Group;
use super::outputs;
use super::reporter::Reporter;
use super::{Job, ProcessError, Processor, Report};

/// The longest stage name passed on to clients, in characters.
const MAX_STAGE: usize = 64;

/// Runs `argv[0]` with the rest of `argv` as its arguments, replacing `{input}` (the
/// video's absolute path), `{output_dir}` (the session's output folder, created
/// beforehand) and `{checkpoint}` (empty on a first run) inside each argument.
///
/// The program reports on stdout, one per line, `progress=<0-100>` or a JSON object
/// `{"progress": 0-100, "stage": "..", "eta_s": .., "checkpoint": ".."}`; other lines
/// are ignored. A checkpoint it reports is handed back, in `{checkpoint}` and in the
/// `REPRISE_CHECKPOINT` environment variable, to a later run that resumes the session.
/// Its result lists the files it left in the output folder.
#[derive(Clone, Debug)]
pub struct Command {
    pub argv: Vec<String>,
}

#[async_trait]
impl Processor for Command {
    async fn run(
        &self,
        job: Job,
        reports: mpsc::Sender<Report>,
        stop: CancellationToken,
    ) -> Result<Value, ProcessError> {
        let Some((program, rest)) = self.argv.split_first() else {
            return Err(failed("no command is configured"));
        };
        std::fs::create_dir_all(&job.output_dir)
            .map_err(|_| failed("cannot create the output folder"))?;
        let mut command = Process::new(substitute(program, &job));
        command
            .args(rest.iter().map(|arg| substitute(arg, &job)))
            .env(
                "REPRISE_CHECKPOINT",
                job.checkpoint.as_deref().unwrap_or_default(),
            );
        let mut follow = Follow {
            reporter: Reporter::new(reports, 100.0),
            stage: None,
            checkpointed: job.checkpoint.is_some(),
        };
        let outcome = follow.run(&mut command, &job, &stop).await;
        let keep = match &outcome {
            Ok(_) => true,
            Err(ProcessError::Stopped) => follow.checkpointed,
            Err(ProcessError::Failed(_)) => false,
        };
        if !keep {
            let _ = std::fs::remove_dir_all(&job.output_dir);
        }
        outcome
    }
}

/// One run's view of the program's reports.
struct Follow {
    reporter: Reporter,
    /// The last stage named: a bare `progress=` line keeps it.
    stage: Option<String>,
    /// A checkpoint exists, so what the program wrote may be resumed from.
    checkpointed: bool,
}

impl Follow {
    async fn run(
        &mut self,
        command: &mut Process,
        job: &Job,
        stop: &CancellationToken,
    ) -> Result<Value, ProcessError> {
        let mut group =
            Group::spawn(command).map_err(|_| failed("command failed: cannot start it"))?;
        if let Err(error) = self.follow(&mut group, stop).await {
            group.kill().await;
            return Err(error);
        }
        let exit = group.finish(stop).await?;
        if !exit.success() {
            return Err(failed(&format!("command failed: {}", exit.reason())));
        }
        Ok(json!({
            "outputs": outputs::list(&job.output_dir)?,
            "exit_code": exit.status.code().unwrap_or(0),
        }))
    }

    async fn follow(
        &mut self,
        group: &mut Group,
        stop: &CancellationToken,
    ) -> Result<(), ProcessError> {
        while let Some(line) = group.next_line(stop).await? {
            let Some(mut report) = parse(&line) else {
                continue;
            };
            if report.stage.is_some() {
                self.stage.clone_from(&report.stage);
            }
            report.stage.clone_from(&self.stage);
            self.checkpointed |= report.checkpoint.is_some();
            self.reporter.send(report, stop).await?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct JsonLine {
    progress: f64,
    stage: Option<String>,
    eta_s: Option<f64>,
    checkpoint: Option<String>,
}

/// A report from one line of the program's output, if it is one.
fn parse(line: &str) -> Option<Report> {
    let line = line.trim();
    if let Some(value) = line.strip_prefix("progress=") {
        return Some(Report {
            progress: value.trim().parse().ok()?,
            stage: None,
            eta_s: None,
            checkpoint: None,
        });
    }
    if !line.starts_with('{') {
        return None;
    }
    let json: JsonLine = serde_json::from_str(line).ok()?;
    Some(Report {
        progress: json.progress,
        stage: json.stage.map(|stage| {
            stage
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_STAGE)
                .collect()
        }),
        eta_s: json.eta_s.filter(|eta| eta.is_finite() && *eta >= 0.0),
        checkpoint: json.checkpoint,
    })
}

fn substitute(template: &str, job: &Job) -> String {
    template
        .replace("{input}", &job.video.absolute().to_string_lossy())
        .replace("{output_dir}", &job.output_dir.to_string_lossy())
        .replace(
            "{checkpoint}",
            job.checkpoint.as_deref().unwrap_or_default(),
        )
}

fn failed(reason: &str) -> ProcessError {
    ProcessError::Failed(reason.into())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn progress_comes_as_key_value_or_json_lines() {
        assert_eq!(parse("progress=42.5").unwrap().progress, 42.5);
        let report =
            parse(r#"{"progress": 10, "stage": "encode", "eta_s": 3.5, "checkpoint": "c1"}"#)
                .unwrap();
        assert_eq!(report.progress, 10.0);
        assert_eq!(report.stage.as_deref(), Some("encode"));
        assert_eq!(report.eta_s, Some(3.5));
        assert_eq!(report.checkpoint.as_deref(), Some("c1"));
        assert_eq!(
            parse(r#"{"progress": 5, "eta_s": -1}"#).unwrap().eta_s,
            None
        );
    }

    #[test]
    fn other_lines_are_ignored() {
        for line in [
            "",
            "hello",
            "progress=soon",
            "{\"stage\": \"x\"}",
            "{broken",
        ] {
            assert!(parse(line).is_none(), "{line}");
        }
    }
}

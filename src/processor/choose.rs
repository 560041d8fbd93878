//! Which processor an instance runs: the configured one, or the simulated one when the
//! ffmpeg processor is configured but ffmpeg is not installed.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tracing::warn;

use super::{Command, Ffmpeg, Processor, Simulated};
use crate::config::{Config, ProcessorKind};

/// The processor an instance runs, which may not be the one configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InUse {
    pub kind: ProcessorKind,
    /// The configured processor cannot run here, and `kind` stands in for it.
    pub fell_back: bool,
}

/// Builds the configured processor. The ffmpeg processor needs `ffmpeg` and `ffprobe`
/// in one of the folders of `path` (a `PATH` value); without them the simulated one
/// runs instead, with a warning.
pub fn choose(config: &Config, path: Option<&OsStr>) -> (Arc<dyn Processor>, InUse) {
    let simulated = || -> Arc<dyn Processor> {
        Arc::new(Simulated {
            steps: config.simulated_steps,
            step: Duration::from_millis(config.simulated_step_ms),
        })
    };
    let (processor, kind): (Arc<dyn Processor>, _) = match config.processor {
        ProcessorKind::Simulated => (simulated(), ProcessorKind::Simulated),
        ProcessorKind::Command => {
            let argv = config.command.clone();
            (Arc::new(Command { argv }), ProcessorKind::Command)
        }
        ProcessorKind::Ffmpeg => {
            let missing: Vec<&str> = Ffmpeg::PROGRAMS
                .into_iter()
                .filter(|program| !on_path(program, path))
                .collect();
            if missing.is_empty() {
                let ffmpeg = Ffmpeg {
                    chunk: Duration::from_secs(config.chunk_s),
                    renditions: config.renditions.clone(),
                    preset: config.ffmpeg_preset.clone(),
                };
                (Arc::new(ffmpeg), ProcessorKind::Ffmpeg)
            } else {
                warn!(
                    ?missing,
                    "REPRISE_PROCESSOR is ffmpeg but these programs are not on PATH; running \
                     the simulated processor instead (install ffmpeg to process real videos)"
                );
                (simulated(), ProcessorKind::Simulated)
            }
        }
    };
    let fell_back = kind != config.processor;
    (processor, InUse { kind, fell_back })
}

fn on_path(program: &str, path: Option<&OsStr>) -> bool {
    path.into_iter()
        .flat_map(std::env::split_paths)
        .any(|dir| is_executable(&dir.join(program)))
}

fn is_executable(file: &Path) -> bool {
    std::fs::metadata(file)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin_with(programs: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for program in programs {
            let file = dir.path().join(program);
            std::fs::write(&file, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        dir
    }

    #[test]
    fn ffmpeg_runs_when_both_programs_are_on_the_path() {
        let bin = bin_with(&["ffmpeg", "ffprobe"]);
        let path = std::env::join_paths(["/nonexistent".as_ref(), bin.path()]).unwrap();
        let (_, in_use) = choose(&Config::default(), Some(&path));
        assert_eq!(
            in_use,
            InUse {
                kind: ProcessorKind::Ffmpeg,
                fell_back: false
            }
        );
    }

    #[test]
    fn without_ffprobe_the_simulated_processor_stands_in() {
        let bin = bin_with(&["ffmpeg"]);
        let (_, in_use) = choose(&Config::default(), Some(bin.path().as_os_str()));
        assert_eq!(
            in_use,
            InUse {
                kind: ProcessorKind::Simulated,
                fell_back: true
            }
        );
        let (_, in_use) = choose(&Config::default(), None);
        assert!(in_use.fell_back);
    }

    #[test]
    fn other_processors_run_as_configured() {
        let config = Config {
            processor: ProcessorKind::Command,
            command: vec!["true".into()],
            ..Config::default()
        };
        let (_, in_use) = choose(&config, None);
        assert_eq!(
            (in_use.kind, in_use.fell_back),
            (ProcessorKind::Command, false)
        );
    }
}

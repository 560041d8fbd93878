//! The files a run leaves, as the `outputs` of its result: paths relative to the output
//! root, where each session's folder is a direct child (see `session::run`).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::ProcessError;

/// One produced file.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Output {
    /// Relative to the output root, `/`-separated.
    pub path: String,
    /// `video`, `poster` or `file`.
    pub kind: &'static str,
    pub bytes: u64,
    /// A video's picture size, where the processor knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// `file`, which lies inside `dir` (the session's folder), as an output of `kind`.
pub(super) fn output(dir: &Path, file: &Path, kind: &'static str) -> Result<Output, ProcessError> {
    let bytes = std::fs::metadata(file)
        .map_err(|_| ProcessError::Failed("an output file went missing".into()))?
        .len();
    let session = dir.file_name().map(Path::new).unwrap_or(Path::new(""));
    let inside = file.strip_prefix(dir).unwrap_or(file);
    let path = session
        .join(inside)
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    Ok(Output {
        path,
        kind,
        bytes,
        width: None,
        height: None,
    })
}

/// Every regular file under `dir`, sorted by path, its kind told by its extension.
pub(super) fn list(dir: &Path) -> Result<Vec<Output>, ProcessError> {
    let mut files = Vec::new();
    collect(dir, &mut files);
    files.sort();
    files
        .iter()
        .map(|file| output(dir, file, kind_of(file)))
        .collect()
}

fn collect(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => collect(&entry.path(), into),
            Ok(kind) if kind.is_file() => into.push(entry.path()),
            _ => {}
        }
    }
}

fn kind_of(file: &Path) -> &'static str {
    let extension = file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("mp4" | "m4v" | "mov" | "mkv" | "webm" | "ts" | "m3u8" | "mpd") => "video",
        Some("jpg" | "jpeg" | "png" | "webp") => "poster",
        _ => "file",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_named_from_the_output_root() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("s1");
        std::fs::create_dir_all(dir.join("hls")).unwrap();
        std::fs::write(dir.join("video.mp4"), b"12345").unwrap();
        std::fs::write(dir.join("hls/index.m3u8"), b"#").unwrap();
        std::fs::write(dir.join("notes.txt"), b"").unwrap();
        let found = list(&dir).unwrap();
        let named: Vec<_> = found.iter().map(|o| (o.path.as_str(), o.kind)).collect();
        assert_eq!(
            named,
            vec![
                ("s1/hls/index.m3u8", "video"),
                ("s1/notes.txt", "file"),
                ("s1/video.mp4", "video")
            ]
        );
        assert_eq!(found[2].bytes, 5);
    }
}

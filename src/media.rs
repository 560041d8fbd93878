//! `VideoPath`: a client's video path, canonicalised under the media root or refused.

mod catalog;

use std::fmt;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

pub use catalog::{VideoFile, VideoPage};

/// The longest video path a client may send, in bytes.
pub const MAX_PATH_BYTES: usize = 1024;

/// Why a video path was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Malformed, escapes the media root, or names something that is not a file.
    #[error("invalid video path: {0}")]
    Invalid(&'static str),
    /// Well-formed, inside the root, but nothing is there.
    #[error("no such video")]
    NotFound,
}

/// The folder that video paths are relative to, resolved once.
#[derive(Clone, Debug)]
pub struct MediaRoot {
    configured: PathBuf,
    canonical: PathBuf,
}

impl MediaRoot {
    /// Resolves the root; it must exist and be a folder.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let canonical = std::fs::canonicalize(path)?;
        if !canonical.is_dir() {
            return Err(std::io::Error::new(
                ErrorKind::NotADirectory,
                "media root is not a folder",
            ));
        }
        let configured = std::path::absolute(path)?;
        Ok(Self {
            configured,
            canonical,
        })
    }

    pub fn path(&self) -> &Path {
        &self.canonical
    }
}

/// A regular file under the media root, named by its canonical path relative to it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VideoPath {
    canonical: String,
    absolute: PathBuf,
}

impl VideoPath {
    /// Canonicalises `raw` (lexically, then through symlinks) and checks that the
    /// result is a regular file inside the root. The only way to make a `VideoPath`.
    pub fn parse(root: &MediaRoot, raw: &str) -> Result<Self, PathError> {
        if raw.is_empty() {
            return Err(PathError::Invalid("empty"));
        }
        if raw.len() > MAX_PATH_BYTES {
            return Err(PathError::Invalid("longer than 1024 bytes"));
        }
        if raw.contains('\0') {
            return Err(PathError::Invalid("contains NUL"));
        }
        let relative = lexical_relative(root, Path::new(raw))?;
        if relative.as_os_str().is_empty() {
            return Err(PathError::Invalid("names the root folder itself"));
        }
        let resolved = match std::fs::canonicalize(root.canonical.join(&relative)) {
            Ok(resolved) => resolved,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                return Err(PathError::NotFound);
            }
            Err(_) => return Err(PathError::Invalid("cannot be resolved")),
        };
        let inside = resolved
            .strip_prefix(&root.canonical)
            .map_err(|_| PathError::Invalid("escapes the root folder"))?;
        let canonical = inside
            .to_str()
            .ok_or(PathError::Invalid("resolves to a name that is not UTF-8"))?
            .to_owned();
        let metadata = std::fs::metadata(&resolved).map_err(|_| PathError::NotFound)?;
        if !metadata.is_file() {
            return Err(PathError::Invalid("not a regular file"));
        }
        Ok(Self {
            canonical,
            absolute: resolved,
        })
    }

    /// The path relative to the media root: the video's identity.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// Where the file is on this machine.
    pub fn absolute(&self) -> &Path {
        &self.absolute
    }
}

impl fmt::Debug for VideoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VideoPath({:?})", self.canonical)
    }
}

/// `raw` as a normalised path relative to the root, without touching the disk.
fn lexical_relative(root: &MediaRoot, raw: &Path) -> Result<PathBuf, PathError> {
    let relative = if raw.is_absolute() {
        let normal = normalise(raw)?;
        [&root.canonical, &root.configured]
            .into_iter()
            .find_map(|prefix| normal.strip_prefix(prefix).ok())
            .map(Path::to_path_buf)
            .ok_or(PathError::Invalid("absolute path outside the root folder"))?
    } else {
        raw.to_path_buf()
    };
    normalise(&relative)
}

/// Resolves `.`, `..` and repeated separators; refuses to climb above the start.
fn normalise(path: &Path) -> Result<PathBuf, PathError> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::RootDir => out.push("/"),
            Component::CurDir => {}
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                if !out.pop() {
                    return Err(PathError::Invalid("escapes the root folder"));
                }
            }
            Component::Prefix(_) => return Err(PathError::Invalid("unsupported prefix")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

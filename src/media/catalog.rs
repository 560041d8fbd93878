//! The video files under the media root, listed in path order, page by page.

use std::path::Path;

use serde::Serialize;

use super::MediaRoot;

/// File name endings taken for videos (compared without case).
const VIDEO_EXTENSIONS: [&str; 14] = [
    "mp4", "m4v", "mov", "mkv", "webm", "avi", "wmv", "flv", "mpg", "mpeg", "ts", "mts", "3gp",
    "ogv",
];
/// How deep below the root a listing looks, and how many entries it reads at most,
/// so that a huge or looping tree cannot hold a request for long.
const MAX_DEPTH: usize = 16;
const MAX_ENTRIES: usize = 100_000;

/// One video file: its path as clients name it, and its size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VideoFile {
    pub path: String,
    pub bytes: u64,
}

/// One page of the listing; `next` is the path to continue after.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VideoPage {
    pub videos: Vec<VideoFile>,
    pub next: Option<String>,
}

impl MediaRoot {
    /// Up to `limit` videos whose path sorts after `after`. Hidden files and folders
    /// (a name starting with `.`) and symlinks are skipped. Blocking: call it off the
    /// async threads.
    pub fn videos(&self, after: Option<&str>, limit: usize) -> VideoPage {
        let mut found = Vec::new();
        let mut budget = MAX_ENTRIES;
        walk(self.path(), "", 0, &mut budget, &mut found);
        found.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        let start = after.map_or(0, |after| {
            found.partition_point(|v| v.path.as_str() <= after)
        });
        let limit = limit.max(1);
        let videos: Vec<VideoFile> = found.into_iter().skip(start).take(limit + 1).collect();
        let mut page = VideoPage { next: None, videos };
        if page.videos.len() > limit {
            page.videos.truncate(limit);
            page.next = page.videos.last().map(|last| last.path.clone());
        }
        page
    }
}

fn walk(dir: &Path, prefix: &str, depth: usize, budget: &mut usize, into: &mut Vec<VideoFile>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let name = entry.file_name();
        let Some(name) = name.to_str().filter(|n| !n.starts_with('.')) else {
            continue;
        };
        let path = format!("{prefix}{name}");
        match entry.file_type() {
            Ok(kind) if kind.is_dir() && depth < MAX_DEPTH => {
                walk(&entry.path(), &format!("{path}/"), depth + 1, budget, into);
            }
            Ok(kind) if kind.is_file() && is_video(name) => {
                let bytes = entry.metadata().map_or(0, |m| m.len());
                into.push(VideoFile { path, bytes });
            }
            _ => {}
        }
    }
}

fn is_video(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(_, ext)| {
        VIDEO_EXTENSIONS
            .iter()
            .any(|known| known.eq_ignore_ascii_case(ext))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn videos_are_listed_in_path_order_page_by_page() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "b.mp4",
            "a/z.MKV",
            "a/y.txt",
            ".hidden/h.mp4",
            "c.webm",
            "a/.x.mp4",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"1234").unwrap();
        }
        let root = MediaRoot::open(dir.path()).unwrap();
        let all = root.videos(None, 10);
        let paths: Vec<&str> = all.videos.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["a/z.MKV", "b.mp4", "c.webm"]);
        assert_eq!(all.next, None);
        assert!(all.videos.iter().all(|v| v.bytes == 4));

        let first = root.videos(None, 2);
        assert_eq!(first.next.as_deref(), Some("b.mp4"));
        let rest = root.videos(first.next.as_deref(), 2);
        assert_eq!(rest.videos.len(), 1);
        assert_eq!(rest.videos[0].path, "c.webm");
        assert_eq!(rest.next, None);
    }
}

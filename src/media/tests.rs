//! VideoPath canonicalisation against a real folder with symlinks.

use std::os::unix::fs::symlink;

use super::*;

struct Fixture {
    _dir: tempfile::TempDir,
    root: MediaRoot,
    outside: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    std::fs::create_dir_all(media.join("a")).unwrap();
    std::fs::write(media.join("a/b.mp4"), b"x").unwrap();
    let outside = dir.path().join("secret.mp4");
    std::fs::write(&outside, b"x").unwrap();
    symlink(media.join("a/b.mp4"), media.join("alias.mp4")).unwrap();
    symlink(&outside, media.join("escape.mp4")).unwrap();
    symlink(dir.path(), media.join("up")).unwrap();
    let root = MediaRoot::open(&media).unwrap();
    Fixture {
        _dir: dir,
        root,
        outside,
    }
}

#[test]
fn aliases_canonicalise_to_one_path() {
    let f = fixture();
    let absolute = f.root.path().join("a/b.mp4");
    for alias in [
        "a/b.mp4",
        "a/./b.mp4",
        "a//b.mp4",
        "x/../a/b.mp4",
        "./a/b.mp4",
        "alias.mp4",
        absolute.to_str().unwrap(),
    ] {
        let path = VideoPath::parse(&f.root, alias).unwrap_or_else(|e| panic!("{alias}: {e}"));
        assert_eq!(path.as_str(), "a/b.mp4", "{alias}");
    }
}

#[test]
fn escapes_and_malformed_paths_are_invalid() {
    let f = fixture();
    let long = "a/".repeat(600);
    let outside = f.outside.to_str().unwrap().to_owned();
    for bad in [
        "",
        "../secret.mp4",
        "a/../../secret.mp4",
        "escape.mp4",
        "up/secret.mp4",
        "a",
        ".",
        "a/b.mp4\0",
        long.as_str(),
        outside.as_str(),
        "/etc/passwd",
    ] {
        assert!(
            matches!(VideoPath::parse(&f.root, bad), Err(PathError::Invalid(_))),
            "{bad:?} should be invalid"
        );
    }
}

#[test]
fn missing_files_are_not_found() {
    let f = fixture();
    for missing in ["nope.mp4", "a/nope.mp4", "a/b.mp4/c", "new/dir/x.mp4"] {
        assert_eq!(
            VideoPath::parse(&f.root, missing),
            Err(PathError::NotFound),
            "{missing}"
        );
    }
}

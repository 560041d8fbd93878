//! `VideoPath::parse` against a small media root made once: files, a subfolder, an
//! empty folder, symlinks inside, outside (to a file and to a folder) and dangling.
//! An accepted path must be a regular file inside the root, named by its path
//! relative to the root, and parse again to itself. In the input, `@root@` stands
//! for the root's real path and `@link@` for the symlink it was opened through.
#![no_main]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use reprise::media::{MediaRoot, VideoPath};
use tempfile::TempDir;

struct Fixture {
    /// Kept for the process's life; removed by whoever owns the temporary folder.
    _dir: TempDir,
    root: MediaRoot,
    link: PathBuf,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let media = dir.path().join("media");
    let write = |path: &Path| std::fs::write(path, b"x").expect("a fixture file");
    std::fs::create_dir_all(media.join("sub/deeper")).expect("the fixture folders");
    std::fs::create_dir(media.join("empty")).expect("an empty folder");
    write(&media.join("a.mp4"));
    write(&media.join("sub/b.mp4"));
    write(&media.join("sub/deeper/c.mkv"));
    write(&media.join("é ü.mp4"));
    write(&dir.path().join("secret.mp4"));
    let links: [(&Path, &str); 5] = [
        (Path::new("sub/b.mp4"), "alias.mp4"),
        (&dir.path().join("secret.mp4"), "escape.mp4"),
        (dir.path(), "up"),
        (Path::new("nowhere.mp4"), "dangling.mp4"),
        (Path::new(".."), "sub/parent"),
    ];
    for (target, name) in links {
        symlink(target, media.join(name)).expect("a fixture symlink");
    }
    let link = dir.path().join("media-link");
    symlink(&media, &link).expect("a symlink to the root");
    let root = MediaRoot::open(&link).expect("the media root opens");
    Fixture {
        _dir: dir,
        root,
        link,
    }
});

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let fixture = &*FIXTURE;
    let root = fixture.root.path();
    let raw = raw
        .replace("@root@", root.to_str().expect("a UTF-8 temporary folder"))
        .replace(
            "@link@",
            fixture.link.to_str().expect("a UTF-8 temporary folder"),
        );
    let Ok(path) = VideoPath::parse(&fixture.root, &raw) else {
        return;
    };
    let absolute = path.absolute();
    assert!(
        absolute.starts_with(root),
        "{raw:?} gave {absolute:?}, outside {root:?}"
    );
    assert_eq!(absolute, root.join(path.as_str()), "{raw:?}");
    assert_eq!(
        std::fs::canonicalize(absolute).ok().as_deref(),
        Some(absolute)
    );
    let metadata = std::fs::symlink_metadata(absolute).expect("an accepted path exists");
    assert!(
        metadata.is_file(),
        "{raw:?} gave {absolute:?}, not a regular file"
    );
    assert_eq!(VideoPath::parse(&fixture.root, path.as_str()), Ok(path));
});

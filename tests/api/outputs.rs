//! `GET /outputs/{path}`: output files served read-only, confined to the output root.

use serde_json::Value;

use crate::helpers::{Media, TestApp, spawn_app, test_config};

async fn app_with_output() -> (TestApp, Media) {
    let media = Media::new(&[]);
    let app = spawn_app(test_config(media.path(), None)).await;
    let session = app.outputs().join("s1");
    std::fs::create_dir_all(&session).unwrap();
    std::fs::write(session.join("video.mp4"), b"0123456789").unwrap();
    std::fs::write(session.join("poster.jpg"), b"jpeg").unwrap();
    (app, media)
}

async fn refusal(app: &TestApp, path: &str) -> (u16, String) {
    let response = reqwest::get(app.url(path)).await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn an_output_is_served_whole_or_by_range() {
    let (app, _media) = app_with_output().await;
    let whole = reqwest::get(app.url("/outputs/s1/video.mp4"))
        .await
        .unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "video/mp4");
    assert_eq!(whole.bytes().await.unwrap().as_ref(), b"0123456789");

    let part = reqwest::Client::new()
        .get(app.url("/outputs/s1/video.mp4"))
        .header("range", "bytes=2-5")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().as_ref(), b"2345");

    let poster = reqwest::get(app.url("/outputs/s1/poster.jpg"))
        .await
        .unwrap();
    assert_eq!(poster.headers()["content-type"], "image/jpeg");
}

#[tokio::test]
async fn nothing_outside_the_output_root_nor_a_folder_is_served() {
    let (app, _media) = app_with_output().await;
    let elsewhere = tempfile::tempdir().unwrap();
    let secret = elsewhere.path().join("secret.txt");
    std::fs::write(&secret, b"secret").unwrap();
    std::os::unix::fs::symlink(&secret, app.outputs().join("s1/link.txt")).unwrap();

    assert_eq!(
        refusal(&app, "/outputs/s1/missing.mp4").await,
        (404, "not_found".into())
    );
    for escape in [
        "/outputs/..%2F..%2Fetc%2Fpasswd",
        "/outputs/s1%2F..%2F..%2Fsecret.txt",
        "/outputs/s1/link.txt",
        "/outputs/%2Fetc%2Fpasswd",
        "/outputs/s1",
    ] {
        assert_eq!(
            refusal(&app, escape).await,
            (400, "invalid_path".into()),
            "{escape}"
        );
    }
}

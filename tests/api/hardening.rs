//! Authentication, origins and abuse limits over real sockets: who may start, watch
//! and cancel what, and each limit tripped while other clients carry on.

mod auth;
mod limits;
mod origins;

use reprise::auth::jwt;
use reprise::config::Config;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::sio_client::{Received, SioClient};

/// The keys the test servers accept; tokens signed with either are valid.
pub const KEYS: [(&str, &str); 2] = [
    ("2025", "first-secret-0123456789"),
    ("2026", "second-secret-0123456789"),
];

/// `config` with authentication on, with [`KEYS`].
pub fn with_auth(mut config: Config) -> Config {
    config.auth_keys = KEYS
        .iter()
        .map(|(kid, key)| format!("{kid}:{key}"))
        .collect();
    config
}

/// A token for `subject` on `paths`, signed with key `kid` (`secret` for an unknown
/// one), expiring `exp_in_s` from now.
pub fn token(subject: &str, paths: &[&str], kid: &str, exp_in_s: i64) -> String {
    let secret = KEYS
        .iter()
        .find(|(id, _)| *id == kid)
        .map_or("not-the-servers-secret-0123", |(_, key)| key);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = json!({ "sub": subject, "exp": now + exp_in_s, "paths": paths });
    jwt::sign(&claims, kid, secret.as_bytes())
}

/// A Socket.IO client that connected with `token` (none when `None`).
pub async fn client(port: u16, token: Option<&str>) -> SioClient {
    let auth = token.map(|token| json!({ "token": token }));
    SioClient::connect_with(port, auth, &[])
        .await
        .expect("the connection is accepted")
}

/// The reply to `event`: the first event named like a reply to it.
pub async fn ask(client: &mut SioClient, event: &str, data: Value) -> Received {
    client.emit(event, data);
    client
        .next_named(&[
            "processing_started",
            "resume_session",
            "processing_complete",
            "processing_cancelled",
            "processing_error",
        ])
        .await
}

/// The code of a refusal, `None` for anything else.
pub fn refusal(received: &Received) -> Option<&str> {
    (received.name == "processing_error" && received.data.get("seq").is_none())
        .then(|| received.data["code"].as_str())
        .flatten()
}

/// `reprise_requests_refused_total{reason}` from the app's `/metrics`.
pub async fn refused(app: &TestApp, reason: &str) -> u64 {
    let series = format!("reprise_requests_refused_total{{reason=\"{reason}\"}}");
    app.scrape().await.value(&series)
}

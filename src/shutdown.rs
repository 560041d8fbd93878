//! Stop signals: SIGTERM or ctrl-c from outside, or a token from tests.

use tokio_util::sync::CancellationToken;

/// Resolves on SIGTERM or ctrl-c.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// Cancels `token` when a stop signal arrives.
pub fn on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        signal().await;
        tracing::info!("stop signal received");
        token.cancel();
    });
}

//! The session rules as plain HTTP needs them: claim without watching, look up, list.

use tracing::{field, instrument};

use super::{SessionId, Sessions, Snapshot};
use crate::auth::Access;
use crate::error::RequestError;
use crate::store::{Claim, ListQuery, SessionPage};

/// What a claim without a watcher found or made.
#[derive(Debug)]
pub enum Submitted {
    /// A new session, now running (or queued) somewhere in the cluster.
    Created(Snapshot),
    /// The video's queued, processing or (without `force`) complete session.
    Existing(Snapshot),
}

impl Sessions {
    /// The same claim as `start_processing`: run the video once, cluster-wide, or
    /// report the session that already has it.
    #[instrument(skip_all, fields(video = video_path, session_id = field::Empty))]
    pub async fn submit(
        &self,
        video_path: &str,
        force: bool,
        access: &Access,
    ) -> Result<Submitted, RequestError> {
        match self.claim(video_path, force, access).await? {
            (video, Claim::Created(lease, snapshot)) => {
                self.inner.runner.spawn(lease, snapshot.clone(), video);
                Ok(Submitted::Created(snapshot))
            }
            (_, Claim::Running(snapshot) | Claim::Finished(snapshot)) => {
                Ok(Submitted::Existing(snapshot))
            }
        }
    }

    /// The session as it stands, if `access` covers its video.
    pub async fn snapshot(&self, id: &str, access: &Access) -> Result<Snapshot, RequestError> {
        access.authenticated()?;
        let id = SessionId::parse(id).ok_or(RequestError::UnknownSession)?;
        let snapshot = self
            .inner
            .store
            .snapshot(&id)
            .await?
            .ok_or(RequestError::UnknownSession)?;
        access.check(&snapshot.video_path)?;
        Ok(snapshot)
    }

    /// A page of sessions, newest first, without those whose video `access` does not
    /// cover (so a page may hold fewer than the limit).
    pub async fn list(
        &self,
        query: &ListQuery,
        access: &Access,
    ) -> Result<SessionPage, RequestError> {
        access.authenticated()?;
        let mut page = self.inner.store.list_sessions(query).await?;
        page.sessions.retain(|s| access.sees(&s.video_path));
        Ok(page)
    }
}

//! What a client may name or claim under its access, and the claim itself, counted.

use tracing::{Span, info};

use super::{SessionId, Sessions, VideoTag};
use crate::auth::Access;
use crate::error::RequestError;
use crate::media::VideoPath;
use crate::metrics::Metrics;
use crate::store::{Claim, ClaimRequest};

impl Sessions {
    /// The session a client named, if `access` covers its video. With authentication
    /// off this reads nothing; with it on, one snapshot.
    pub(super) async fn permitted(
        &self,
        id: &str,
        access: &Access,
    ) -> Result<SessionId, RequestError> {
        match access {
            Access::Open => SessionId::parse(id).ok_or(RequestError::UnknownSession),
            _ => Ok(self.snapshot(id, access).await?.session_id),
        }
    }

    /// Claims the video a client named, if `access` covers it, counting the claim and
    /// what it found, and naming the session in the caller's span. The caller starts
    /// a created session's run.
    pub(super) async fn claim(
        &self,
        video_path: &str,
        force: bool,
        access: &Access,
    ) -> Result<(VideoPath, Claim), RequestError> {
        let inner = &self.inner;
        let (video, request) = self.claim_request(video_path, force, access)?;
        let claimed = inner.store.claim(&request).await?;
        Metrics::bump(&inner.metrics.claims);
        Span::current().record("session_id", claimed.snapshot().session_id.as_str());
        match &claimed {
            Claim::Created(..) => {
                Metrics::bump(&inner.metrics.sessions_started);
                info!("session created");
            }
            Claim::Running(_) => Metrics::bump(&inner.metrics.claim_dedup_hits),
            Claim::Finished(_) => {}
        }
        Ok((video, claimed))
    }

    /// The video a client named, if `access` covers it, and the claim of it this
    /// instance makes. A path the token does not cover is `forbidden` whether or not
    /// it exists, so that a token tells nothing about videos outside its paths.
    pub(super) fn claim_request(
        &self,
        video_path: &str,
        force: bool,
        access: &Access,
    ) -> Result<(VideoPath, ClaimRequest), RequestError> {
        let inner = &self.inner;
        access.authenticated()?;
        let video = match VideoPath::parse(&inner.media, video_path) {
            Ok(video) => video,
            Err(error) => {
                let named = video_path.trim_start_matches("./");
                access.check(named)?;
                return Err(error.into());
            }
        };
        access.check(video.as_str())?;
        let claim = ClaimRequest {
            video_path: video.as_str().to_owned(),
            new_id: SessionId::generate(&VideoTag::of(video.as_str())),
            owner: inner.instance.clone(),
            force,
            queued: inner.runner.is_full(),
            lease_ttl_ms: inner.lease_ttl.as_millis() as u64,
        };
        Ok((video, claim))
    }
}

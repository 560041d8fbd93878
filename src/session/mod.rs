//! Sessions: their ids and model, and the rules for claiming, resuming and running them.

mod claims;
mod health;
mod id;
mod keeper;
mod model;
pub mod replies;
mod resume;
mod run;
mod runner;
mod service;
mod submit;
mod takeover;

pub use health::spawn_store_watch;
pub use id::{SessionId, VideoTag};
pub use model::{Event, EventKind, EventState, Failure, Snapshot, Status, Update};
pub use runner::{Runner, RunnerSettings};
pub use service::{Answer, PendingWatch, Sessions, SessionsSettings, StartRequest};
pub use submit::Submitted;
pub use takeover::{Takeover, TakeoverSettings};

//! Sessions: their ids and model, and the rules for claiming, resuming and running them.

mod id;
mod model;
pub mod replies;
mod resume;
mod runner;
mod service;

pub use id::{SessionId, VideoTag};
pub use model::{Event, EventKind, EventState, Failure, Snapshot, Status, Update};
pub use runner::Runner;
pub use service::{Answer, PendingWatch, Sessions, StartRequest};

//! Sessions: their ids and model, and the rules for claiming, resuming and running them.

mod id;
mod model;

pub use id::{SessionId, VideoTag};
pub use model::{Event, EventKind, EventState, Failure, Snapshot, Status, Update};

//! Reprise: long-running video processing whose progress streams to browsers.
pub mod session;
pub mod store;

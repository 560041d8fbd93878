//! Integration tests: real Redis, real sockets, the real app in-process.

mod redis_server;
mod store_conformance;

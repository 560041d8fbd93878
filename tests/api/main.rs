//! Integration tests: real Redis, real sockets, the real app in-process.

mod bad_input;
mod browser;
mod cancel;
mod claim;
mod delivery;
mod faults;
mod hardening;
mod health;
mod helpers;
mod http_api;
mod installs;
mod observability;
mod outputs;
mod paths;
mod processors;
mod proxy;
mod redis_cluster;
mod redis_server;
mod resume;
mod sio_client;
mod slots;
mod slow_clients;
mod stock_clients;
mod store_conformance;
mod topology;

//! The Store conformance suite, run against Redis and the embedded store.

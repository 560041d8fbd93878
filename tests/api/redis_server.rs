//! A throwaway redis-server per test.

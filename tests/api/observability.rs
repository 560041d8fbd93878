//! Observability: the spans on JSON log lines.

mod logs;

//! The real processors against real programs: the command processor on shell scripts
//! written at test time.

mod command;
mod support;

//! End-to-end tests of the `rapport` binary: real processes, real files.

mod audit;
mod audit_log;
mod cli;
mod crash;
mod gate;
mod plugins;
mod privacy;
mod quickstart;
mod support;

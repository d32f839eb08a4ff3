//! The integration tests of `rapport-audit`, one binary for the crate.

mod fairness;

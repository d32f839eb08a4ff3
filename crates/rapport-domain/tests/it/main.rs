//! The integration tests of `rapport-domain`, one binary for the crate so
//! they link once.

mod consent;
mod fairness;

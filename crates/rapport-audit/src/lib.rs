//! The audit module: what stands in front of every action and what a
//! compliance officer hands to a regulator.
//!
//! The statistics themselves are pure and live in `rapport-domain`; this
//! crate turns them into audits of files and runs, decides gate verdicts,
//! keeps the tamper-evident log's hashing and proofs, and renders reports.
//! It does no database or key IO of its own: `rapport-core` hands it
//! records and signs with keys from `rapport-vault`.

pub mod gate;
pub mod report;
pub mod ropa;

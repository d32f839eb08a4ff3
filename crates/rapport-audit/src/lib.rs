//! The audit module: what stands in front of every action and what a
//! compliance officer hands to a regulator.
//!
//! The statistics themselves are pure and live in `rapport-domain`; this
//! crate turns them into audits of files and runs, decides gate verdicts,
//! keeps the tamper-evident log's hashing and proofs, and renders reports.
//! It does no database or key IO of its own: `rapport-core` hands it
//! records and signs with keys from `rapport-vault`.
//!
//! * [`canonical`]: RFC 8785 canonical JSON, the bytes everything signed
//!   or hashed here is computed over;
//! * [`fairness`]: fairness audits of a selection, from a CSV export or a
//!   stored run, into canonical reports;
//! * [`log`]: the per-tenant Merkle log (RFC 9162), its entries, receipts,
//!   tree heads, proofs and offline verification;
//! * [`gate`]: the action gate's policy, steps and verdicts;
//! * [`report`]: a run's audit report, canonical JSON and self-contained HTML;
//! * [`ropa`]: the GDPR Art. 30 record of processing.

pub mod canonical;
pub mod fairness;
pub mod gate;
pub mod log;
pub mod report;
pub mod ropa;

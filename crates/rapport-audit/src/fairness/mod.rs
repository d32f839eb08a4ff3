//! Fairness audits of files and runs: reading the population and its
//! selection, and shaping the report.
//!
//! The statistics are `rapport_domain::fairness`; this module reads a CSV
//! export in one streaming pass ([`audit_csv_file`]), or takes a tally that
//! `rapport-core` filled from a stored run, and turns the audit into a
//! [`FairnessReport`]: canonical JSON (RFC 8785 style, byte-identical for the
//! same input and policy, with the SHA-256 of both) and text for a person.

mod error;
mod input;
mod report;

pub use error::AuditError;
pub use input::{audit_csv, audit_csv_file, CsvAudit, FileSelection};
pub use report::{policy_hash, FairnessReport, SelectionInfo, Source, REPORT_FORMAT};

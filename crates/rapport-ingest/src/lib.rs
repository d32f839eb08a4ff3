//! Rapport's importers: turn an import file into validated, typed rows or
//! precise diagnostics.
//!
//! A [`Reader`] reads one file of one [`ImportKind`](rapport_domain::ImportKind)
//! in one [`Format`] (CSV, JSON Lines, or the CDNOW text format) and yields one
//! item per data row: a [`Row`] holding the typed [`Record`], or every
//! [`Diagnostic`] for that row at once. Each row goes through the same three
//! gates, in order:
//!
//! 1. the kind's JSON Schema (`ImportKind::schema()`, compiled once, with
//!    format validation on): types, ranges, patterns, required and unknown
//!    fields;
//! 2. deserialisation into the domain's row type;
//! 3. the domain's semantic checks ([`rapport_domain::Validated`]), plus the
//!    one rule that needs the whole file: ids are unique within it.
//!
//! This crate does no IO beyond reading its input and holds no secrets: the
//! caller checks references against the store, seals personal fields and
//! writes. Because diagnostics end up in logs and terminals, a diagnostic never
//! quotes the value of a personal field (`ImportKind::sealed_fields`).

mod cdnow;
mod csv_source;
mod diagnostic;
mod format;
mod jsonl;
mod reader;
mod record;
mod schema;

pub use diagnostic::Diagnostic;
pub use format::Format;
pub use reader::Reader;
pub use record::{Record, Row};

//! Rapport's domain: import row formats, the kinds of data a tenant holds,
//! which fields are personal, and the pure rules that check them.
//!
//! Architecture invariant: no IO. Nothing here depends on tokio, sqlx, axum,
//! wasmtime or age; everything is a function of its arguments, so it can be
//! tested exhaustively and reused by every edge (CLI, HTTP, plugins).

pub mod consent;
pub mod fairness;
pub mod kind;
pub mod privacy;
pub mod rows;
pub mod time_fmt;
pub mod validate;

pub use kind::{ImportKind, StakeholderKind};
pub use validate::{FieldError, Validated};

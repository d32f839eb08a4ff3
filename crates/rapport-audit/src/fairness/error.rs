//! Why a fairness audit could not be made. Messages name the file, line and
//! column at fault; they quote a decision, label or score that is not one,
//! and never a protected attribute's value.

use rapport_domain::fairness::FairnessError;

/// A fairness audit that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The input file cannot be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A row, the header or a value of the input is wrong.
    #[error("{file}:{line}: {reason}")]
    Input {
        /// The file.
        file: String,
        /// 1-based line (1 is the header).
        line: u64,
        /// What is wrong, naming the column.
        reason: String,
    },
    /// The options do not describe an audit (a column named twice, a
    /// selection rule without a score column, …).
    #[error("{0}")]
    Options(String),
    /// The statistics refused the data or the policy.
    #[error(transparent)]
    Fairness(#[from] FairnessError),
    /// The report could not be serialised.
    #[error("the report could not be written as JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The report holds a value with no canonical JSON form.
    #[error("the report has no canonical JSON form: {0}")]
    Canonical(#[from] crate::canonical::CanonicalError),
}

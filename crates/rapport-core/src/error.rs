//! The application layer's error type.

use rapport_ingest::Diagnostic;

/// What can go wrong in a use case. Display is one line; the source chain
/// carries the cause. No variant holds a personal value.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("a data directory already exists at {0}")]
    AlreadyInitialised(String),
    #[error("no data directory at {0} (run `rapport init` first)")]
    NotInitialised(String),
    #[error("{path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Vault(#[from] rapport_vault::VaultError),
    #[error(transparent)]
    Store(#[from] rapport_store::StoreError),
    /// `diagnostics` holds the first problems found (at most
    /// [`crate::import::MAX_DIAGNOSTICS`]); `bad_rows` counts them all.
    #[error("import of {source_name} rejected: {bad_rows} bad row(s); nothing was stored")]
    ImportRejected {
        source_name: String,
        bad_rows: u64,
        diagnostics: Vec<Diagnostic>,
    },
    #[error("stakeholder `{0}` has been erased: its data key was destroyed")]
    Erased(String),
    #[error("sealed field `{field}` of stakeholder `{id}` does not open")]
    Unreadable { id: String, field: String },
    #[error("{0}")]
    Invalid(String),
    #[error("the import reader stopped unexpectedly")]
    ReaderStopped,
}

impl CoreError {
    pub(crate) fn io(path: impl std::fmt::Display, source: std::io::Error) -> Self {
        CoreError::Io {
            path: path.to_string(),
            source,
        }
    }
}

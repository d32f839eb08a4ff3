//! Where a data directory keeps its files.
//!
//! ```text
//! DATA_DIR/rapport.db        the main store (SQLite, WAL)
//! DATA_DIR/audit.db          the tamper-evident audit log (never restored)
//! KEY_DIR/keyring.age        tenant key-encryption keys, age-encrypted
//! KEY_DIR/keys.db            wrapped subject data keys and erasure records
//! ```
//!
//! `KEY_DIR` defaults to `DATA_DIR/keys`; it can live elsewhere (another
//! disk, another backup schedule) because keys must never travel with the
//! data they protect.

use std::path::{Path, PathBuf};

/// The paths of one data directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataDirs {
    pub data: PathBuf,
    pub keys: PathBuf,
}

impl DataDirs {
    /// A data directory with its key directory at the default place.
    pub fn new(data: impl Into<PathBuf>) -> Self {
        let data = data.into();
        let keys = data.join("keys");
        DataDirs { data, keys }
    }

    /// A data directory with its key directory elsewhere.
    pub fn with_keys(data: impl Into<PathBuf>, keys: impl Into<PathBuf>) -> Self {
        DataDirs {
            data: data.into(),
            keys: keys.into(),
        }
    }

    /// The main store.
    pub fn database(&self) -> PathBuf {
        self.data.join("rapport.db")
    }

    /// The audit log database. A restore of the main store never touches
    /// it, so the log outlives any older copy of the data.
    pub fn audit_log(&self) -> PathBuf {
        self.data.join("audit.db")
    }

    /// The age-encrypted keyring.
    pub fn keyring(&self) -> PathBuf {
        self.keys.join("keyring.age")
    }

    /// The key store.
    pub fn keystore(&self) -> PathBuf {
        self.keys.join("keys.db")
    }

    /// Whether anything of a data directory exists here already.
    pub fn is_initialised(&self) -> bool {
        exists(&self.database()) || exists(&self.keyring()) || exists(&self.keystore())
    }
}

fn exists(p: &Path) -> bool {
    p.try_exists().unwrap_or(true)
}

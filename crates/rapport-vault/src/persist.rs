//! Crash-safe file writes for the keyring and identity files.
//!
//! The keyring is the only copy of every tenant's KEKs: a torn write would
//! make all of a tenant's data unreadable. Files are therefore written to a
//! temporary file in the same directory (created with mode 0600, so the
//! secret-bearing file is never readable by others, not even briefly),
//! flushed to disk, renamed over the target (atomic on POSIX file systems),
//! and the directory is flushed so the rename itself survives a crash.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::{rng, VaultError};

fn io(action: &'static str, path: &Path, error: std::io::Error) -> VaultError {
    VaultError::Io {
        action,
        path: path.to_path_buf(),
        error,
    }
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Creates the parent directory of `path` if missing, private to the owner.
pub(crate) fn ensure_parent_dir(path: &Path) -> Result<(), VaultError> {
    let dir = parent_dir(path);
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(&dir)
        .map_err(|e| io("create directory", &dir, e))
}

/// What to do if the target already exists.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Replace it atomically (keyring updates).
    Replace,
    /// Fail with `ErrorKind::AlreadyExists` (new keyrings and identity
    /// files, where overwriting could destroy the only copy of a key).
    CreateNew,
}

/// Atomically writes `bytes` to `path`, mode 0600.
///
/// With [`Target::CreateNew`] the temporary file is hard-linked into place,
/// which fails atomically if `path` exists, closing the race between an
/// existence check and a rename. File systems without hard links fall back
/// to check-then-rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], target: Target) -> Result<(), VaultError> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "keyring".to_owned());
    let mut suffix = [0u8; 6];
    rng::fill_nonce(&mut suffix);
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        hex::encode(suffix)
    ));

    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&tmp)
        .map_err(|e| io("create temporary file", &tmp, e))?;

    let result = (|| {
        file.write_all(bytes)
            .map_err(|e| io("write temporary file", &tmp, e))?;
        file.sync_all()
            .map_err(|e| io("flush temporary file", &tmp, e))?;
        drop(file);
        match target {
            Target::Replace => fs::rename(&tmp, path).map_err(|e| io("replace", path, e))?,
            Target::CreateNew => match fs::hard_link(&tmp, path) {
                Ok(()) => {
                    fs::remove_file(&tmp).map_err(|e| io("remove temporary file", &tmp, e))?;
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    return Err(io("create", path, e));
                }
                Err(_) => {
                    if path.symlink_metadata().is_ok() {
                        return Err(io("create", path, ErrorKind::AlreadyExists.into()));
                    }
                    fs::rename(&tmp, path).map_err(|e| io("create", path, e))?;
                }
            },
        }
        sync_dir(&dir)
    })();
    match result {
        Err(VaultError::Io {
            action,
            path,
            error,
        }) if tmp.exists() => {
            // Leaving the temporary file would clutter the key directory (and,
            // for identity files, leave a secret behind): remove it, and if
            // that fails too, say so alongside the original error.
            match fs::remove_file(&tmp) {
                Ok(()) => Err(VaultError::Io {
                    action,
                    path,
                    error,
                }),
                Err(cleanup) => Err(VaultError::Io {
                    action,
                    path,
                    error: std::io::Error::new(
                        error.kind(),
                        format!(
                            "{error}; the temporary file {} could not be removed: {cleanup}",
                            tmp.display()
                        ),
                    ),
                }),
            }
        }
        Err(other) => {
            if tmp.exists() {
                fs::remove_file(&tmp).map_err(|e| io("remove temporary file", &tmp, e))?;
            }
            Err(other)
        }
        Ok(()) => Ok(()),
    }
}

/// Whether `error` is [`write_atomic`] refusing to overwrite an existing file.
pub(crate) fn is_already_exists(error: &VaultError) -> bool {
    matches!(error, VaultError::Io { error, .. } if error.kind() == ErrorKind::AlreadyExists)
}

/// Flushes a directory so a rename inside it is durable.
fn sync_dir(dir: &Path) -> Result<(), VaultError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io("flush directory", dir, e))
    }
    #[cfg(not(unix))]
    {
        // Directories cannot be opened for syncing on other platforms.
        drop(dir);
        Ok(())
    }
}

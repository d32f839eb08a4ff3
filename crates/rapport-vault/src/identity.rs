//! age X25519 identity files (the `age-keygen` format).
//!
//! The format is one `AGE-SECRET-KEY-1…` line per identity, with `#` comment
//! lines and blank lines allowed. The parser is ours rather than
//! `age::IdentityFile` so that we get the concrete X25519 identities (and
//! from them the recipients to re-encrypt the keyring to) and can word the
//! errors. Error messages give line numbers, never line contents.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;
use std::str::FromStr;

use age::x25519;
use secrecy::ExposeSecret;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::{persist, VaultError};

fn err(path: &Path, reason: impl Into<String>) -> VaultError {
    VaultError::IdentityFile {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads and parses an identity file: at least one X25519 identity.
pub(crate) fn load(path: &Path) -> Result<Vec<x25519::Identity>, VaultError> {
    let content = fs::read(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => err(path, "not found"),
        _ => err(path, format!("cannot read it: {e}")),
    })?;
    let content = Zeroizing::new(content);
    let text = std::str::from_utf8(&content).map_err(|_| err(path, "not UTF-8 text"))?;

    let mut identities = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match x25519::Identity::from_str(line) {
            Ok(identity) => identities.push(identity),
            Err(_) if line.starts_with("AGE-PLUGIN-") => {
                return Err(err(
                    path,
                    format!(
                        "line {}: age plugin identities are not supported",
                        index + 1
                    ),
                ))
            }
            Err(_) => {
                return Err(err(
                    path,
                    format!(
                        "line {} is not an age identity (expected AGE-SECRET-KEY-1…)",
                        index + 1
                    ),
                ))
            }
        }
    }
    if identities.is_empty() {
        return Err(err(path, "contains no AGE-SECRET-KEY-1… identity"));
    }
    Ok(identities)
}

/// Writes a new X25519 identity to `path` in `age-keygen` format (mode 0600)
/// and returns its public recipient (`age1…`).
///
/// Refuses to overwrite an existing file: it may be the only key to a
/// keyring. Missing parent directories are created (mode 0700).
pub fn generate_identity_file(path: &Path) -> Result<String, VaultError> {
    if path.symlink_metadata().is_ok() {
        return Err(err(path, "already exists (refusing to overwrite it)"));
    }
    persist::ensure_parent_dir(path)?;
    let identity = x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let created = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let secret = identity.to_string();
    let mut content = Zeroizing::new(String::with_capacity(256));
    content.push_str("# created: ");
    content.push_str(&created);
    content.push_str("\n# public key: ");
    content.push_str(&recipient);
    content.push('\n');
    content.push_str(secret.expose_secret());
    content.push('\n');
    persist::write_atomic(path, content.as_bytes(), persist::Target::CreateNew).map_err(|e| {
        if persist::is_already_exists(&e) {
            err(path, "already exists (refusing to overwrite it)")
        } else {
            e
        }
    })?;
    Ok(recipient)
}

//! The vault's error type.
//!
//! Every message is one line and names what went wrong and, where it helps,
//! what to do next. No variant carries plaintext, key bytes, passphrases or
//! the contents of an identity file: the only dynamic parts are paths, ids
//! (which are not secret), field *names*, version numbers and reasons built
//! from fixed strings or from errors whose text is known not to echo input.

use std::path::PathBuf;

use crate::{SubjectId, TenantId};

/// Everything that can go wrong in the vault.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No keyring file at the expected path.
    #[error("keyring not found at {} (run `rapport init` first)", path.display())]
    KeyringMissing {
        /// Where the keyring was looked for.
        path: PathBuf,
    },

    /// [`crate::Keyring::create`] found a file already there. Overwriting it
    /// would destroy the only copy of the tenant keys, so it is refused.
    #[error("a keyring already exists at {} (refusing to overwrite it)", path.display())]
    KeyringExists {
        /// The existing keyring.
        path: PathBuf,
    },

    /// The passphrase is wrong, or the identity file is not one the keyring
    /// was encrypted to, or a passphrase was given for an identity-protected
    /// keyring (or the reverse).
    #[error("wrong passphrase or identity for keyring {}", path.display())]
    WrongSecret {
        /// The keyring that could not be unlocked.
        path: PathBuf,
    },

    /// The keyring file decrypted (or failed to parse) in a way a correct
    /// secret cannot explain: truncated, tampered with, or not a Rapport
    /// keyring at all.
    #[error("keyring {} is corrupt: {reason}", path.display())]
    KeyringCorrupt {
        /// The keyring file.
        path: PathBuf,
        /// What is wrong with it (never contains file contents).
        reason: String,
    },

    /// Another process replaced the keyring file after this one opened it.
    /// Writing now would silently drop that process's changes (for example a
    /// new tenant's only KEK), so the write is refused.
    #[error("keyring {} changed on disk since it was opened; reopen it and retry", path.display())]
    KeyringChanged {
        /// The keyring file.
        path: PathBuf,
    },

    /// An identity file could not be read, parsed or written.
    #[error("identity file {}: {reason}", path.display())]
    IdentityFile {
        /// The identity file.
        path: PathBuf,
        /// What is wrong (line numbers at most, never the line itself).
        reason: String,
    },

    /// A file-system operation failed.
    #[error("could not {action} {}: {error}", path.display())]
    Io {
        /// What was being attempted, e.g. "write keyring".
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error (shown in the message, so not also a `source`).
        error: std::io::Error,
    },

    /// [`crate::KeyringOptions`] out of range.
    #[error("invalid keyring options: {reason}")]
    InvalidOptions {
        /// Which option and the accepted range.
        reason: String,
    },

    /// An empty passphrase would protect the keyring with nothing.
    #[error("the keyring passphrase is empty; choose a non-empty passphrase")]
    EmptyPassphrase,

    /// age refused to encrypt the keyring.
    #[error("could not encrypt keyring {}: {reason}", path.display())]
    Encrypt {
        /// The keyring file.
        path: PathBuf,
        /// age's reason (it names recipient problems, never secrets).
        reason: String,
    },

    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed: {reason}")]
    Entropy {
        /// The error reported by the OS.
        reason: String,
    },

    /// The tenant is not in the keyring.
    #[error("unknown tenant {tenant}: it is not in the keyring")]
    UnknownTenant {
        /// The tenant asked for.
        tenant: TenantId,
    },

    /// [`crate::Keyring::add_tenant`] for a tenant that already has keys;
    /// replacing them would make its data unreadable.
    #[error("tenant {tenant} already has keys in the keyring")]
    TenantExists {
        /// The tenant.
        tenant: TenantId,
    },

    /// [`crate::Keyring::retire_versions_before`] would retire the current
    /// KEK version.
    #[error(
        "cannot retire KEK versions before {version} for tenant {tenant}: the current version is {current}"
    )]
    RetireCurrent {
        /// The tenant.
        tenant: TenantId,
        /// The version asked for.
        version: u32,
        /// The tenant's current version.
        current: u32,
    },

    /// The tenant's KEK version counter is exhausted (after 4 billion
    /// rotations; only reachable through a hand-edited keyring).
    #[error("tenant {tenant} has no KEK version left to rotate to")]
    KekVersionsExhausted {
        /// The tenant.
        tenant: TenantId,
    },

    /// A wrapped data key did not unwrap: wrong tenant or subject, a KEK
    /// version that was retired, or tampering.
    #[error("cannot unwrap the data key of subject {subject} for tenant {tenant} (KEK version {kek_version}): {reason}")]
    KeyUnwrap {
        /// The tenant whose keys were used.
        tenant: TenantId,
        /// The subject the key was claimed to belong to.
        subject: SubjectId,
        /// The KEK version recorded with the wrapped key.
        kek_version: u32,
        /// Why (a fixed string).
        reason: &'static str,
    },

    /// A sealed field did not open. Only the field name is reported.
    #[error("cannot open sealed field `{field}`: wrong key, wrong field or tampered ciphertext")]
    Open {
        /// The field name (never its value).
        field: String,
    },

    /// The recipient of an export is not a usable age public key.
    #[error("export recipient: {reason}")]
    Recipient {
        /// What is wrong (a fixed string).
        reason: &'static str,
    },

    /// Writing an age-encrypted export failed.
    #[error("could not encrypt the export: {reason}")]
    Export {
        /// The I/O error kind (never data).
        reason: String,
    },
}

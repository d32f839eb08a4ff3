//! Rapport's vault: the only crate that touches key material.
//!
//! The scheme is envelope encryption in three layers:
//!
//! 1. A **keyring** file (`keyring.age`) holds, per tenant, a list of
//!    versioned key-encryption keys (KEKs) and a MAC key. The file is JSON
//!    encrypted with [age](https://age-encryption.org), unlocked either by a
//!    passphrase (age scrypt recipient) or by an age X25519 identity file. It
//!    lives apart from the database so that database backups never carry keys.
//! 2. Every data **subject** has its own random 32-byte data key, stored only
//!    as a [`WrappedKey`] (AES-256-GCM-SIV under the tenant's current KEK,
//!    bound to tenant, subject and KEK version). Destroying the wrapped key
//!    crypto-shreds the subject, including in older database backups.
//! 3. Every personal-data **field** is sealed with [`SubjectKey::seal`]
//!    (AES-256-GCM-SIV, RFC 8452, associated data binding tenant, subject and field
//!    name), so a ciphertext cannot be moved to another field, subject or
//!    tenant without failing to open.
//!
//! The vault also holds the audit logs' Ed25519 signing keys
//! ([`LogSigner`]), derived from the keyring and never handed out.
//!
//! Invariants kept throughout the crate: errors and `Debug` output never hold
//! plaintext or key bytes; secrets in memory live in zeroize-on-drop
//! containers; the keyring file is replaced atomically and a failed unlock
//! never writes to it.

mod error;
mod export;
mod identity;
mod ids;
mod keyring;
mod log_key;
mod persist;
mod rng;
mod subject;
mod tenant;

pub use error::VaultError;
pub use export::encrypt_to_recipient;
pub use identity::generate_identity_file;
pub use ids::{SubjectId, TenantId};
pub use keyring::{Keyring, KeyringOptions, Unlock};
pub use log_key::LogSigner;
pub use subject::{SubjectKey, WrappedKey};
pub use tenant::TenantKeys;

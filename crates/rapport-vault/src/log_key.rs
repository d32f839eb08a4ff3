//! Signing keys of the audit logs.
//!
//! Each tenant's log, and the data directory's own log, is signed with an
//! Ed25519 key (RFC 8032) derived here and never handed out: callers get a
//! [`LogSigner`] that signs messages and tells its public key, nothing
//! more. The keys are derived rather than stored, so they need no new place
//! in the keyring and are the same every time the keyring is opened:
//!
//! * a tenant's: the 32-byte seed is HMAC-SHA256 under the tenant's MAC key
//!   of the label `rapport-vault/audit-log-signing/v1` and a NUL byte (the
//!   MAC key's other use, row fingerprints, always starts its messages with
//!   a different label, so the two never collide);
//! * the platform's: the keyring's purpose-bound platform key for the label
//!   `audit-log-signing`.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Label a tenant's log seed is derived under.
pub(crate) const TENANT_LOG_LABEL: &[u8] = b"rapport-vault/audit-log-signing/v1\0";
/// Label of the platform log's key among the platform keys.
pub(crate) const PLATFORM_LOG_LABEL: &str = "audit-log-signing";

/// An audit log's signing key. The secret half zeroizes on drop and never
/// leaves this type; `Debug` shows only the key id.
#[derive(Clone)]
pub struct LogSigner {
    key: SigningKey,
}

impl LogSigner {
    pub(crate) fn from_seed(seed: &Zeroizing<[u8; 32]>) -> Self {
        LogSigner {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The first 16 hex digits of SHA-256 of the public key.
    pub fn key_id(&self) -> String {
        hex::encode(&Sha256::digest(self.public_key())[..8])
    }

    /// An Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogSigner")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

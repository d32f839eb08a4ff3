//! What the log signs: a receipt for every entry and tree heads, and the
//! exported form of a head that a client or third party keeps.
//!
//! Signatures are Ed25519 (RFC 8032) under the log's key, which the vault
//! derives and holds; this module only builds the signed messages and
//! checks signatures with public keys. Every signed message is canonical
//! JSON (RFC 8785) naming its own format, so a receipt can never be taken
//! for a tree head or the other way round:
//!
//! * receipt: `{"format":"rapport.audit-receipt.v1","leaf_hash":H,"log":L,"root_before":R,"seq":N}`
//!   where `R` is the Merkle tree hash of the `N` entries before this one.
//!   Like Certificate Transparency's signed entry timestamps, a receipt
//!   binds an entry to its position and to everything before it; someone
//!   who can write the database but not use the key cannot make one.
//! * tree head: `{"format":"rapport.audit-tree-head.v1","key_id":K,"log":L,"root":R,"size":N,"tenant":T,"timestamp":S}`.
//!
//! Hashes and keys are lower-case hex.

use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::merkle::Hash;
use crate::canonical::{self, CanonicalError};

/// Format name inside every receipt message.
pub const RECEIPT_FORMAT: &str = "rapport.audit-receipt.v1";
/// Format name inside every tree head message.
pub const HEAD_FORMAT: &str = "rapport.audit-tree-head.v1";
/// Format name of an exported tree head file.
pub const EXPORT_FORMAT: &str = "rapport.audit-head.v1";

/// The short id of a log key: the first 16 hex digits of SHA-256 of the
/// public key.
pub fn key_id(public_key: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(public_key)[..8])
}

/// The message a receipt signs.
pub fn receipt_message(
    log: &str,
    seq: u64,
    leaf_hash: &Hash,
    root_before: &Hash,
) -> Result<Vec<u8>, CanonicalError> {
    canonical::to_vec(&json!({
        "format": RECEIPT_FORMAT,
        "log": log,
        "seq": seq,
        "leaf_hash": hex::encode(leaf_hash),
        "root_before": hex::encode(root_before),
    }))
}

/// Whether `signature` is a valid Ed25519 signature of `message` under
/// `public_key` (strict verification: no malleable or small-order forms).
pub fn verify_signature(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(public_key) else {
        return false;
    };
    key.verify_strict(message, &Signature::from_bytes(signature))
        .is_ok()
}

/// A tree head: the size and root of a log at an instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeHead {
    pub log: String,
    pub tenant: Option<String>,
    pub size: u64,
    pub root: Hash,
    pub timestamp: String,
    pub key_id: String,
}

impl TreeHead {
    /// The message a signature over this head signs.
    pub fn message(&self) -> Result<Vec<u8>, CanonicalError> {
        canonical::to_vec(&json!({
            "format": HEAD_FORMAT,
            "log": self.log,
            "tenant": self.tenant,
            "size": self.size,
            "root": hex::encode(self.root),
            "timestamp": self.timestamp,
            "key_id": self.key_id,
        }))
    }
}

/// A tree head with its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTreeHead {
    pub head: TreeHead,
    pub signature: [u8; 64],
}

impl SignedTreeHead {
    /// Whether the signature is valid under `public_key`.
    pub fn verify(&self, public_key: &[u8; 32]) -> bool {
        self.head
            .message()
            .is_ok_and(|m| verify_signature(public_key, &m, &self.signature))
    }
}

/// A tree head as exported for a client or a third party: everything needed
/// to check it, and later proofs against it, without Rapport.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedHead {
    /// Always [`EXPORT_FORMAT`].
    pub format: String,
    pub log: String,
    pub tenant: Option<String>,
    pub tree_size: u64,
    /// The Merkle tree hash of the first `tree_size` entries.
    pub root_hash: String,
    pub timestamp: String,
    pub key_id: String,
    /// The log's Ed25519 public key.
    pub public_key: String,
    /// Ed25519 signature over the tree head message (see the module docs).
    pub signature: String,
}

/// Why an exported head cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    #[error("not an exported tree head (format `{0}`, expected `{EXPORT_FORMAT}`)")]
    Format(String),
    #[error("field `{0}` is not valid hex of the right length")]
    Hex(&'static str),
    #[error("its key id {stated} does not belong to its public key (which has {actual})")]
    KeyId { stated: String, actual: String },
    #[error("its signature is not valid under its public key")]
    Signature,
}

fn hex_array<const N: usize>(s: &str, field: &'static str) -> Result<[u8; N], HeadError> {
    let v = hex::decode(s).map_err(|_| HeadError::Hex(field))?;
    v.try_into().map_err(|_| HeadError::Hex(field))
}

impl ExportedHead {
    /// The export of a signed head with the log's public key.
    pub fn new(signed: &SignedTreeHead, public_key: &[u8; 32]) -> Self {
        ExportedHead {
            format: EXPORT_FORMAT.to_owned(),
            log: signed.head.log.clone(),
            tenant: signed.head.tenant.clone(),
            tree_size: signed.head.size,
            root_hash: hex::encode(signed.head.root),
            timestamp: signed.head.timestamp.clone(),
            key_id: signed.head.key_id.clone(),
            public_key: hex::encode(public_key),
            signature: hex::encode(signed.signature),
        }
    }

    /// Decodes the head and its public key, and checks that the key id and
    /// signature hold.
    pub fn open(&self) -> Result<(SignedTreeHead, [u8; 32]), HeadError> {
        if self.format != EXPORT_FORMAT {
            return Err(HeadError::Format(self.format.clone()));
        }
        let public_key: [u8; 32] = hex_array(&self.public_key, "public_key")?;
        let actual = key_id(&public_key);
        if actual != self.key_id {
            return Err(HeadError::KeyId {
                stated: self.key_id.clone(),
                actual,
            });
        }
        let signed = SignedTreeHead {
            head: TreeHead {
                log: self.log.clone(),
                tenant: self.tenant.clone(),
                size: self.tree_size,
                root: hex_array(&self.root_hash, "root_hash")?,
                timestamp: self.timestamp.clone(),
                key_id: self.key_id.clone(),
            },
            signature: hex_array(&self.signature, "signature")?,
        };
        if !signed.verify(&public_key) {
            return Err(HeadError::Signature);
        }
        Ok((signed, public_key))
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer, SigningKey};

    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn signed_head(k: &SigningKey) -> SignedTreeHead {
        let head = TreeHead {
            log: "platform".into(),
            tenant: None,
            size: 5,
            root: [9u8; 32],
            timestamp: "2026-01-01T00:00:00Z".into(),
            key_id: key_id(&k.verifying_key().to_bytes()),
        };
        let signature = k.sign(&head.message().expect("canonical")).to_bytes();
        SignedTreeHead { head, signature }
    }

    #[test]
    fn messages_are_canonical_and_name_their_format() {
        let m = receipt_message("abc", 2, &[1u8; 32], &[2u8; 32]).expect("canonical");
        let text = String::from_utf8(m).expect("utf-8");
        assert!(text.starts_with("{\"format\":\"rapport.audit-receipt.v1\",\"leaf_hash\":\"0101"));
        assert!(text.ends_with(",\"log\":\"abc\",\"root_before\":\"0202020202020202020202020202020202020202020202020202020202020202\",\"seq\":2}"));
    }

    #[test]
    fn exported_heads_verify_and_tampering_is_caught() {
        let k = key();
        let pk = k.verifying_key().to_bytes();
        let signed = signed_head(&k);
        assert!(signed.verify(&pk));
        let exported = ExportedHead::new(&signed, &pk);
        let json = serde_json::to_string(&exported).expect("json");
        let back: ExportedHead = serde_json::from_str(&json).expect("parses");
        assert_eq!(back.open().expect("valid"), (signed.clone(), pk));

        let mut bigger = exported.clone();
        bigger.tree_size += 1;
        assert_eq!(bigger.open(), Err(HeadError::Signature));
        let mut other_key = exported.clone();
        let pk2 = SigningKey::from_bytes(&[8u8; 32])
            .verifying_key()
            .to_bytes();
        other_key.public_key = hex::encode(pk2);
        assert!(matches!(other_key.open(), Err(HeadError::KeyId { .. })));
        other_key.key_id = key_id(&pk2);
        assert_eq!(other_key.open(), Err(HeadError::Signature));
        let mut bad_hex = exported;
        bad_hex.root_hash.pop();
        assert_eq!(bad_hex.open(), Err(HeadError::Hex("root_hash")));
    }

    #[test]
    fn a_receipt_signature_is_not_a_head_signature() {
        let k = key();
        let pk = k.verifying_key().to_bytes();
        let m = receipt_message("platform", 5, &[9u8; 32], &[0u8; 32]).expect("canonical");
        let sig = k.sign(&m).to_bytes();
        assert!(verify_signature(&pk, &m, &sig));
        let mut forged = signed_head(&k);
        forged.signature = sig;
        assert!(!forged.verify(&pk));
    }
}

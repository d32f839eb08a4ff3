//! The tamper-evident audit log, in the manner of Certificate Transparency
//! (RFC 9162): one append-only Merkle log per tenant (and one for the data
//! directory itself), a signed receipt for every entry, signed tree heads,
//! inclusion and consistency proofs, and offline verification.
//!
//! This module is pure: it builds entries and the messages to sign, checks
//! signatures with public keys, computes trees and proofs, and verifies
//! stored rows. Storage is `rapport-store`'s, signing keys are the vault's,
//! and `rapport-core` puts them together.
//!
//! * [`merkle`]: RFC 9162 hashing, [`merkle::Frontier`], proofs;
//! * [`entry`]: the entry format and its kinds (a compatibility boundary);
//! * [`signed`]: receipts, tree heads and their exported form;
//! * [`verify`]: the walk that names the first bad entry;
//! * proof documents ([`InclusionProofDoc`], [`ConsistencyProofDoc`]): what
//!   `rapport audit prove` prints, checkable with SHA-256 alone.

pub mod entry;
pub mod merkle;
pub mod signed;
pub mod verify;

use serde::{Deserialize, Serialize};

pub use entry::{Entry, EntryError, EntryKind, ENTRY_VERSION, PLATFORM_LOG};
pub use merkle::{Frontier, Hash, ProofError};
pub use signed::{ExportedHead, HeadError, SignedTreeHead, TreeHead};
pub use verify::{verify_log, BadEntry, HeadRow, LogReport, LogRow, Tamper, VerifyInput};

use crate::canonical::CanonicalError;

/// Format name of an inclusion proof document.
pub const INCLUSION_PROOF_FORMAT: &str = "rapport.audit-inclusion-proof.v1";
/// Format name of a consistency proof document.
pub const CONSISTENCY_PROOF_FORMAT: &str = "rapport.audit-consistency-proof.v1";

/// Where an entry landed in a log: what a record that an entry documents
/// (a gate action, a report) keeps to refer to it. `leaf_hash` binds the
/// entry's bytes, so a pin checked against a signed tree head with an
/// inclusion proof proves the entry is the one meant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPin {
    /// The log id: the tenant's 32-hex-digit id, or `platform`.
    pub log: String,
    /// The tenant's name; `None` in the platform log.
    pub tenant: Option<String>,
    /// The entry's position in the log, from 0.
    pub seq: u64,
    /// SHA-256(0x00 ‖ entry), hex.
    pub leaf_hash: String,
}

/// An entry ready to be stored: its canonical bytes, leaf hash, the root of
/// the log before it and the receipt message to sign.
#[derive(Clone, Debug)]
pub struct PreparedEntry {
    pub bytes: Vec<u8>,
    pub leaf_hash: Hash,
    pub root_before: Hash,
    pub receipt_message: Vec<u8>,
}

/// Prepares `entry` for appending to a log whose current state is
/// `frontier` (the entry's `seq` must be the frontier's size).
pub fn prepare_entry(entry: &Entry, frontier: &Frontier) -> Result<PreparedEntry, EntryError> {
    if entry.seq != frontier.size() {
        return Err(EntryError::Field("seq"));
    }
    let bytes = entry.to_bytes()?;
    let leaf_hash = merkle::leaf_hash(&bytes);
    let root_before = frontier.root();
    let receipt_message = signed::receipt_message(&entry.log, entry.seq, &leaf_hash, &root_before)?;
    Ok(PreparedEntry {
        bytes,
        leaf_hash,
        root_before,
        receipt_message,
    })
}

/// An inclusion proof as printed by `rapport audit prove`: the entry, its
/// leaf index, the audit path and the signed head it leads to. Checking it
/// needs SHA-256 and Ed25519 only:
/// `leaf = SHA-256(0x00 ‖ entry)`, then RFC 9162 §2.1.3.2 with `path`
/// must give `head.root_hash`, and `head.signature` must verify.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InclusionProofDoc {
    pub format: String,
    pub log: String,
    pub tenant: Option<String>,
    pub leaf_index: u64,
    pub tree_size: u64,
    /// The entry's canonical text: the leaf's bytes, exactly.
    pub entry: String,
    pub leaf_hash: String,
    /// Sibling hashes from the leaf up (RFC 9162 `PATH`).
    pub path: Vec<String>,
    pub root_hash: String,
    pub head: ExportedHead,
}

/// A consistency proof between two heads of the same log.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProofDoc {
    pub format: String,
    pub log: String,
    pub tenant: Option<String>,
    pub first_size: u64,
    pub first_root: String,
    pub second_size: u64,
    pub second_root: String,
    /// RFC 9162 `PROOF(first_size, D[second_size])`.
    pub path: Vec<String>,
    pub first_head: ExportedHead,
    pub second_head: ExportedHead,
}

/// Why a proof document does not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofDocError {
    #[error("not a proof document of format {0}")]
    Format(String),
    #[error("field `{0}` is not valid hex of the right length")]
    Hex(&'static str),
    #[error("the head: {0}")]
    Head(#[from] HeadError),
    #[error("the proof's {0} differs from its head's")]
    HeadMismatch(&'static str),
    #[error("the leaf hash is not SHA-256(0x00 ‖ entry)")]
    LeafHash,
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
}

fn hash_of(s: &str, field: &'static str) -> Result<Hash, ProofDocError> {
    hex::decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(ProofDocError::Hex(field))
}

fn path_of(path: &[String]) -> Result<Vec<Hash>, ProofDocError> {
    path.iter().map(|p| hash_of(p, "path")).collect()
}

impl InclusionProofDoc {
    /// Checks the document with this crate's code (the CLI and tests use an
    /// independent check too). Returns the head's public key.
    pub fn check(&self) -> Result<[u8; 32], ProofDocError> {
        if self.format != INCLUSION_PROOF_FORMAT {
            return Err(ProofDocError::Format(self.format.clone()));
        }
        let (head, key) = self.head.open()?;
        if head.head.size != self.tree_size {
            return Err(ProofDocError::HeadMismatch("tree size"));
        }
        if hex::encode(head.head.root) != self.root_hash {
            return Err(ProofDocError::HeadMismatch("root hash"));
        }
        let leaf = merkle::leaf_hash(self.entry.as_bytes());
        if hash_of(&self.leaf_hash, "leaf_hash")? != leaf {
            return Err(ProofDocError::LeafHash);
        }
        merkle::verify_inclusion(
            self.leaf_index,
            self.tree_size,
            &leaf,
            &path_of(&self.path)?,
            &head.head.root,
        )?;
        Ok(key)
    }
}

impl ConsistencyProofDoc {
    /// Checks both heads and the proof between them.
    pub fn check(&self) -> Result<(), ProofDocError> {
        if self.format != CONSISTENCY_PROOF_FORMAT {
            return Err(ProofDocError::Format(self.format.clone()));
        }
        let (first, k1) = self.first_head.open()?;
        let (second, k2) = self.second_head.open()?;
        if k1 != k2 {
            return Err(ProofDocError::HeadMismatch("public key"));
        }
        if first.head.size != self.first_size || second.head.size != self.second_size {
            return Err(ProofDocError::HeadMismatch("tree size"));
        }
        merkle::verify_consistency(
            first.head.size,
            second.head.size,
            &first.head.root,
            &second.head.root,
            &path_of(&self.path)?,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;

//! Offline verification of a whole log, from its stored rows alone.
//!
//! The walk trusts nothing stored but the signatures, and only under the
//! key it is given (the vault's key for the log, or the key of an exported
//! head): for each position `i` it parses the entry (canonical bytes of a
//! known format, `seq == i`, this log), recomputes the leaf hash from the
//! bytes and the root of the `i` entries before it, and checks the entry's
//! signed receipt over (log, i, leaf hash, root before). An attacker who can
//! write the database can edit, delete, insert or reorder rows and
//! recompute every hash, but cannot sign a receipt, so the first position
//! where the walk fails is the first entry that was tampered with.
//!
//! Then every tree head, stored in the heads table, recorded in the log
//! itself (`tree_head` entries) or exported earlier, is checked: its
//! signature, its root against the recomputed root of that size, and the
//! consistency proof between successive heads. A head committing to more
//! entries than the log holds reveals a truncated log, which receipts
//! alone cannot: deleting the last entries leaves every remaining receipt
//! valid. That is why heads are exported and kept elsewhere.

use std::collections::HashMap;

use serde::Serialize;

use super::entry::{Entry, EntryKind};
use super::merkle::{self, Frontier, Hash};
use super::signed::{key_id, receipt_message, verify_signature, SignedTreeHead, TreeHead};

/// One stored row of the entries table, as read (nothing in it trusted).
#[derive(Clone, Debug)]
pub struct LogRow {
    /// The `seq` column (rows are handed over in its order).
    pub seq: i64,
    pub entry: Vec<u8>,
    pub leaf_hash: Vec<u8>,
    pub receipt: Vec<u8>,
}

/// One stored row of the heads table.
#[derive(Clone, Debug)]
pub struct HeadRow {
    pub id: i64,
    pub size: i64,
    pub root: Vec<u8>,
    pub timestamp: String,
    pub key_id: String,
    pub signature: Vec<u8>,
}

/// What a log is checked against.
#[derive(Clone, Debug)]
pub struct VerifyInput<'a> {
    pub log: &'a str,
    pub tenant: Option<&'a str>,
    /// The key the log must be signed with.
    pub public_key: [u8; 32],
    /// The key the log's own table records, if any (it must equal
    /// `public_key`: an attacker could replace it).
    pub stored_public_key: Option<Vec<u8>>,
    pub rows: &'a [LogRow],
    pub heads: &'a [HeadRow],
    /// An exported head to check the log against, with its public key.
    pub exported: Option<(&'a SignedTreeHead, [u8; 32])>,
}

/// How an entry was found to be tampered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tamper {
    /// Its content differs from what was signed.
    Edited,
    /// It is missing, with entries after it still present.
    Deleted,
    /// An entry that was never appended sits at its position.
    Inserted,
    /// It is stored at another position than the one it was appended at.
    Reordered,
    /// It and every entry after it are missing (a signed head covers them).
    Truncated,
}

impl Tamper {
    /// The word used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Tamper::Edited => "edited",
            Tamper::Deleted => "deleted",
            Tamper::Inserted => "inserted",
            Tamper::Reordered => "reordered",
            Tamper::Truncated => "truncated",
        }
    }
}

/// The first entry that fails verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BadEntry {
    /// Its position (the sequence number it should have).
    pub seq: u64,
    pub tamper: Tamper,
    pub detail: String,
}

/// The outcome of verifying one log.
#[derive(Clone, Debug, Serialize)]
pub struct LogReport {
    pub log: String,
    pub tenant: Option<String>,
    pub key_id: String,
    /// Rows in the entries table.
    pub entries: u64,
    /// Entries that verified, from the start, before the first bad one.
    pub verified_entries: u64,
    /// The Merkle tree hash of the verified entries.
    pub root: String,
    /// Stored heads and heads recorded in the log that were checked.
    pub heads_checked: u64,
    pub exported_head_checked: bool,
    pub first_bad_entry: Option<BadEntry>,
    /// Other problems: heads, keys.
    pub problems: Vec<String>,
    pub ok: bool,
}

impl std::fmt::Display for BadEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "entry {} ({}): {}",
            self.seq,
            self.tamper.as_str(),
            self.detail
        )
    }
}

/// A head to check, with where it came from (for messages).
struct HeadToCheck {
    what: String,
    signed: Option<SignedTreeHead>,
    key: [u8; 32],
}

/// Verifies one log (see the module docs).
pub fn verify_log(input: &VerifyInput<'_>) -> LogReport {
    let mut problems = Vec::new();
    let kid = key_id(&input.public_key);
    if let Some(stored) = &input.stored_public_key {
        if stored.as_slice() != input.public_key.as_slice() {
            problems.push(format!(
                "the log records public key {} but its key is {kid}: the recorded key was replaced",
                <[u8; 32]>::try_from(stored.as_slice())
                    .map(|k| key_id(&k))
                    .unwrap_or_else(|_| "(malformed)".to_owned())
            ));
        }
    }

    // Where each claimed sequence number sits, to tell a deletion from a
    // reordering.
    let claimed: Vec<Option<u64>> = input
        .rows
        .iter()
        .map(|r| Entry::parse(&r.entry).ok().map(|e| e.seq))
        .collect();
    let mut positions: HashMap<u64, Vec<usize>> = HashMap::new();
    for (pos, seq) in claimed.iter().enumerate() {
        if let Some(s) = seq {
            positions.entry(*s).or_default().push(pos);
        }
    }

    let mut frontier = Frontier::new();
    let mut leaves: Vec<Hash> = Vec::with_capacity(input.rows.len());
    let mut first_bad: Option<BadEntry> = None;
    let mut in_log_heads: Vec<(u64, Option<SignedTreeHead>)> = Vec::new();
    for (pos, row) in input.rows.iter().enumerate() {
        let i = pos as u64;
        let bad = |tamper: Tamper, detail: String| BadEntry {
            seq: i,
            tamper,
            detail,
        };
        let entry = match Entry::parse(&row.entry) {
            Ok(e) => e,
            Err(e) => {
                first_bad = Some(bad(
                    Tamper::Edited,
                    format!("its stored bytes are not a log entry ({e})"),
                ));
                break;
            }
        };
        if entry.seq != i {
            let elsewhere = positions
                .get(&i)
                .is_some_and(|ps| ps.iter().any(|p| *p > pos));
            first_bad = Some(if entry.seq > i && elsewhere {
                bad(
                    Tamper::Reordered,
                    format!(
                        "entry {i} is stored after entry {} (rows were reordered)",
                        entry.seq
                    ),
                )
            } else if entry.seq > i {
                bad(
                    Tamper::Deleted,
                    format!(
                        "entry {i} is missing: the next stored entry is {}",
                        entry.seq
                    ),
                )
            } else {
                // Position `entry.seq` already held a signed entry: this is
                // a second one (a copy, or a forgery) put in after it.
                bad(
                    Tamper::Inserted,
                    format!("a second entry {} is stored at position {i}", entry.seq),
                )
            });
            break;
        }
        let leaf = merkle::leaf_hash(&row.entry);
        let root_before = frontier.root();
        let receipt_ok = <[u8; 64]>::try_from(row.receipt.as_slice()).is_ok_and(|sig| {
            receipt_message(input.log, i, &leaf, &root_before)
                .is_ok_and(|m| verify_signature(&input.public_key, &m, &sig))
        });
        if !receipt_ok || entry.log != input.log {
            let duplicate = positions.get(&i).is_some_and(|ps| ps.len() > 1);
            let column_note = if row.leaf_hash.as_slice() == leaf.as_slice() {
                ""
            } else {
                "; its stored leaf hash does not match its bytes either"
            };
            first_bad = Some(if duplicate {
                bad(
                    Tamper::Inserted,
                    format!("two entries claim sequence number {i} and this one was never signed{column_note}"),
                )
            } else if entry.log != input.log {
                bad(
                    Tamper::Inserted,
                    format!("it belongs to log {}, not this one", entry.log),
                )
            } else {
                bad(
                    Tamper::Edited,
                    format!(
                        "its content does not match its signed receipt: it was edited, or inserted with the entries after it renumbered{column_note}"
                    ),
                )
            });
            break;
        }
        if row.leaf_hash.as_slice() != leaf.as_slice() || row.seq != pos as i64 {
            first_bad = Some(bad(
                Tamper::Edited,
                "its signed bytes are intact but its stored leaf hash or sequence column was changed"
                    .to_owned(),
            ));
            break;
        }
        if entry.kind == EntryKind::TreeHead.as_str() {
            in_log_heads.push((i, head_from_entry(&entry, input.log, input.tenant)));
        }
        frontier.push(leaf);
        leaves.push(leaf);
    }
    let verified = leaves.len() as u64;

    // Heads: stored ones (by id), those recorded in the log, then an
    // exported one.
    let mut to_check: Vec<HeadToCheck> = Vec::new();
    for h in input.heads {
        to_check.push(HeadToCheck {
            what: format!("stored tree head {}", h.id),
            signed: head_from_row(h, input.log, input.tenant),
            key: input.public_key,
        });
    }
    let stored_count = to_check.len();
    for (seq, signed) in in_log_heads {
        to_check.push(HeadToCheck {
            what: format!("the tree head recorded in entry {seq}"),
            signed,
            key: input.public_key,
        });
    }
    let in_log_count = to_check.len() - stored_count;
    let mut exported_checked = false;
    if let Some((signed, key)) = input.exported {
        exported_checked = true;
        if key != input.public_key {
            problems.push(format!(
                "the exported head is signed with key {}, but this log's key is {kid}",
                key_id(&key)
            ));
        }
        if signed.head.log != input.log {
            problems.push(format!(
                "the exported head is for log {}, not {}",
                signed.head.log, input.log
            ));
        }
        to_check.push(HeadToCheck {
            what: "the exported tree head".to_owned(),
            signed: Some(signed.clone()),
            key: input.public_key,
        });
    }

    let entries = input.rows.len() as u64;
    let mut previous: Option<(String, TreeHead)> = None;
    for (n, h) in to_check.iter().enumerate() {
        // Consistency is checked along each sequence: stored heads among
        // themselves, heads in the log among themselves.
        if n == stored_count || n == stored_count + in_log_count {
            previous = None;
        }
        let Some(signed) = &h.signed else {
            problems.push(format!("{} is malformed", h.what));
            continue;
        };
        let head = &signed.head;
        if !signed.verify(&h.key) {
            problems.push(format!(
                "{} (size {}) has no valid signature: it was edited or forged",
                h.what, head.size
            ));
            continue;
        }
        if head.size > entries {
            if first_bad.is_none() {
                first_bad = Some(BadEntry {
                    seq: entries,
                    tamper: Tamper::Truncated,
                    detail: format!(
                        "{} commits to {} entries but the log holds {entries}: entries {entries} to {} were deleted",
                        h.what,
                        head.size,
                        head.size - 1
                    ),
                });
            }
            continue;
        }
        if head.size > verified {
            // Beyond the first bad entry: nothing to compare with.
            continue;
        }
        let size = head.size as usize;
        let actual = merkle::root(&leaves[..size]);
        if actual != head.root {
            problems.push(format!(
                "{} commits to root {} for the first {} entries, but they hash to {}",
                h.what,
                hex::encode(head.root),
                head.size,
                hex::encode(actual)
            ));
            continue;
        }
        if let Some((prev_what, prev)) = &previous {
            if head.size < prev.size || head.timestamp < prev.timestamp {
                problems.push(format!(
                    "{} (size {}, {}) goes back from {prev_what} (size {}, {})",
                    h.what, head.size, head.timestamp, prev.size, prev.timestamp
                ));
            } else {
                let proof = merkle::consistency_proof(&leaves[..size], prev.size as usize)
                    .unwrap_or_default();
                if let Err(e) =
                    merkle::verify_consistency(prev.size, head.size, &prev.root, &head.root, &proof)
                {
                    problems.push(format!(
                        "{} is not consistent with {prev_what}: {e}",
                        h.what
                    ));
                }
            }
        }
        previous = Some((h.what.clone(), head.clone()));
    }

    let ok = first_bad.is_none() && problems.is_empty();
    LogReport {
        log: input.log.to_owned(),
        tenant: input.tenant.map(str::to_owned),
        key_id: kid,
        entries,
        verified_entries: verified,
        root: hex::encode(frontier.root()),
        heads_checked: (stored_count + in_log_count) as u64,
        exported_head_checked: exported_checked,
        first_bad_entry: first_bad,
        problems,
        ok,
    }
}

fn head_from_row(h: &HeadRow, log: &str, tenant: Option<&str>) -> Option<SignedTreeHead> {
    Some(SignedTreeHead {
        head: TreeHead {
            log: log.to_owned(),
            tenant: tenant.map(str::to_owned),
            size: u64::try_from(h.size).ok()?,
            root: h.root.as_slice().try_into().ok()?,
            timestamp: h.timestamp.clone(),
            key_id: h.key_id.clone(),
        },
        signature: h.signature.as_slice().try_into().ok()?,
    })
}

/// The head a `tree_head` entry records (its body: size, root, timestamp,
/// key id, signature).
pub fn head_from_entry(e: &Entry, log: &str, tenant: Option<&str>) -> Option<SignedTreeHead> {
    let b = &e.body;
    let hex32 =
        |name: &str| -> Option<Hash> { hex::decode(b.get(name)?.as_str()?).ok()?.try_into().ok() };
    let signature: [u8; 64] = hex::decode(b.get("signature")?.as_str()?)
        .ok()?
        .try_into()
        .ok()?;
    Some(SignedTreeHead {
        head: TreeHead {
            log: log.to_owned(),
            tenant: tenant.map(str::to_owned),
            size: b.get("size")?.as_u64()?,
            root: hex32("root")?,
            timestamp: b.get("timestamp")?.as_str()?.to_owned(),
            key_id: b.get("key_id")?.as_str()?.to_owned(),
        },
        signature,
    })
}

/// The body of a `tree_head` entry for a signed head.
pub fn tree_head_body(signed: &SignedTreeHead) -> serde_json::Value {
    serde_json::json!({
        "size": signed.head.size,
        "root": hex::encode(signed.head.root),
        "timestamp": signed.head.timestamp,
        "key_id": signed.head.key_id,
        "signature": hex::encode(signed.signature),
    })
}

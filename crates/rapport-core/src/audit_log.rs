//! The tamper-evident audit log: appending entries, signed tree heads,
//! proofs, listing and offline verification.
//!
//! Where it lives: `DATA_DIR/audit.db`, a database of its own, so that
//! `rapport restore` (which replaces `rapport.db` with an older copy) never
//! truncates a log that exported heads have already committed to; the
//! restore itself is an entry. The log's signing keys are derived in the
//! vault and never leave it (`rapport_vault::LogSigner`).
//!
//! How an action gets its entry, never losing one that committed: the use
//! case builds an [`AuditNote`] (the entry's kind and body) and hands it to
//! the store write that commits the action, which queues it in the main
//! store's outbox in the same transaction. Right after the commit, and
//! whenever a data directory is opened, [`Platform::flush_audit_outbox`]
//! appends queued notes to their logs (each note's id is recorded with its
//! entry, so a note is appended once even if two processes flush together
//! or the outbox came back with a restored backup) and removes them from
//! the outbox. A crash between the commit and the flush leaves the note
//! queued for the next open; an action that rolled back leaves none. The
//! few actions that write nothing to the main store (publishing a plugin
//! into the registry, writing a backup) queue their note on its own right
//! after they succeed; a restore queues its notes inside the restored file
//! before it is swapped in.
//!
//! "At least hourly" without a daemon: every append checks when the log's
//! last tree head was issued and, if that was more than an hour ago (or
//! never), signs a new head in the same transaction and records it in the
//! log as a `tree_head` entry. A log that is not appended to does not
//! change, so it needs no new head; `rapport audit checkpoint` issues one
//! on demand.
//!
//! Subjects appear in entries only as keyed pseudonyms
//! ([`Platform::audit_subject`]): the 32 hex digits of the tenant-keyed MAC
//! of the external id that also replaces it on erasure.

use std::collections::BTreeMap;

pub use rapport_audit::log::LogPin;
use rapport_audit::log::{
    self as alog, merkle, verify::tree_head_body, ConsistencyProofDoc, Entry, EntryKind,
    ExportedHead, Frontier, HeadRow, InclusionProofDoc, LogReport, LogRow, SignedTreeHead,
    TreeHead, VerifyInput, CONSISTENCY_PROOF_FORMAT, ENTRY_VERSION, INCLUSION_PROOF_FORMAT,
    PLATFORM_LOG,
};
use rapport_domain::time_fmt::parse_instant;
use rapport_store::{
    ActionEntryNote, AppendTx, AuditNote, LogState, StoredEntry, StoredHead, StoredLog, Tenant,
};
use rapport_vault::{LogSigner, TenantId, TenantKeys};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::{now, CoreError, Platform};

/// A log gets a new signed head on the first append more than this long
/// after its last one.
pub const HEAD_INTERVAL: time::Duration = time::Duration::hours(1);

/// Which log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogRef<'a> {
    /// A tenant's log, by tenant name.
    Tenant(&'a str),
    /// The data directory's own log (plugin publication, backups, restores).
    Platform,
}

/// A signed tree head, as shown to operators.
#[derive(Clone, Debug, Serialize)]
pub struct HeadView {
    pub log: String,
    pub tenant: Option<String>,
    pub tree_size: u64,
    pub root_hash: String,
    pub timestamp: String,
    pub key_id: String,
}

/// One entry, as `rapport audit log` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct LogEntryView {
    pub seq: u64,
    pub kind: String,
    pub timestamp: String,
    pub occurred_at: String,
    pub leaf_hash: String,
    pub body: Value,
}

/// The outcome of `rapport audit verify`.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub logs: Vec<LogReport>,
    /// Problems outside any one log (a tenant without a log, entries still
    /// queued in the outbox, an exported head for no known log).
    pub problems: Vec<String>,
}

/// An entry to append, before it has a position.
struct Pending {
    uid: Option<[u8; 16]>,
    kind: String,
    body: Value,
    occurred_at: String,
}

fn invalid(msg: impl Into<String>) -> CoreError {
    CoreError::Invalid(msg.into())
}

/// The log id of a tenant: its id in hex.
pub(crate) fn tenant_log_id(t: &Tenant) -> String {
    hex::encode(t.uuid)
}

/// The keyed pseudonym of a subject in log entries: the hex part of the
/// pseudonym an erasure gives it, so entries before and after an erasure
/// name the same subject. An erased subject's stored id already is one.
pub(crate) fn subject_ref(tk: &TenantKeys, external_id: &str) -> String {
    match external_id.strip_prefix(rapport_store::PSEUDONYM_PREFIX) {
        Some(hex_part) => hex_part.to_owned(),
        None => {
            let mac = tk.fingerprint("tombstone", external_id.as_bytes());
            hex::encode(&mac[..16])
        }
    }
}

/// The keyed pseudonym of a consent record id in log entries (record ids
/// come from import files and could hold anything, an e-mail address too).
pub(crate) fn record_ref(tk: &TenantKeys, record_id: &str) -> String {
    let mac = tk.fingerprint("audit-consent-record", record_id.as_bytes());
    hex::encode(&mac[..16])
}

fn new_uid() -> [u8; 16] {
    rapport_vault::SubjectId::random().0
}

fn later_of(a: &str, b: Option<&str>) -> String {
    match b {
        Some(b) => match (parse_instant(a), parse_instant(b)) {
            (Ok(x), Ok(y)) if y > x => b.to_owned(),
            _ => a.to_owned(),
        },
        None => a.to_owned(),
    }
}

fn head_due(last: Option<&str>, at: &str) -> bool {
    match (last.map(parse_instant), parse_instant(at)) {
        (Some(Ok(last)), Ok(at)) => at - last >= HEAD_INTERVAL,
        _ => true,
    }
}

fn hash32(bytes: &[u8], what: &str) -> Result<merkle::Hash, CoreError> {
    bytes.try_into().map_err(|_| {
        invalid(format!(
            "the audit log holds a malformed {what}; run `rapport audit verify`"
        ))
    })
}

fn signed_of(stored: &StoredHead, log: &StoredLog) -> Result<SignedTreeHead, CoreError> {
    Ok(SignedTreeHead {
        head: TreeHead {
            log: log.log_id.clone(),
            tenant: log.tenant.clone(),
            size: u64::try_from(stored.size).unwrap_or(0),
            root: hash32(&stored.root, "tree head")?,
            timestamp: stored.timestamp.clone(),
            key_id: stored.key_id.clone(),
        },
        signature: stored
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| invalid("the audit log holds a malformed tree head signature"))?,
    })
}

fn view_of(signed: &SignedTreeHead) -> HeadView {
    HeadView {
        log: signed.head.log.clone(),
        tenant: signed.head.tenant.clone(),
        tree_size: signed.head.size,
        root_hash: hex::encode(signed.head.root),
        timestamp: signed.head.timestamp.clone(),
        key_id: signed.head.key_id.clone(),
    }
}

/// Signs a head over the frontier's current size, records it, and appends
/// it to the log as a `tree_head` entry.
async fn issue_head(
    tx: &mut AppendTx,
    log: &StoredLog,
    signer: &LogSigner,
    frontier: &mut Frontier,
    state: &mut LogState,
) -> Result<SignedTreeHead, CoreError> {
    let at = later_of(&now(), state.last_timestamp.as_deref());
    let head = TreeHead {
        log: log.log_id.clone(),
        tenant: log.tenant.clone(),
        size: frontier.size(),
        root: frontier.root(),
        timestamp: at.clone(),
        key_id: signer.key_id(),
    };
    let message = head
        .message()
        .map_err(|e| invalid(format!("could not encode a tree head: {e}")))?;
    let signed = SignedTreeHead {
        signature: signer.sign(&message),
        head,
    };
    tx.insert_head(
        &log.log_id,
        &StoredHead {
            id: 0,
            size: i64::try_from(signed.head.size).unwrap_or(i64::MAX),
            root: signed.head.root.to_vec(),
            timestamp: signed.head.timestamp.clone(),
            key_id: signed.head.key_id.clone(),
            signature: signed.signature.to_vec(),
        },
    )
    .await?;
    state.last_head_at = Some(at.clone());
    append_one(
        tx,
        log,
        signer,
        frontier,
        state,
        Pending {
            uid: None,
            kind: EntryKind::TreeHead.as_str().to_owned(),
            body: tree_head_body(&signed),
            occurred_at: at,
        },
    )
    .await?;
    Ok(signed)
}

/// Appends one entry inside an open append transaction.
async fn append_one(
    tx: &mut AppendTx,
    log: &StoredLog,
    signer: &LogSigner,
    frontier: &mut Frontier,
    state: &mut LogState,
    p: Pending,
) -> Result<LogPin, CoreError> {
    let timestamp = later_of(&now(), state.last_timestamp.as_deref());
    let entry = Entry {
        version: ENTRY_VERSION,
        log: log.log_id.clone(),
        tenant: log.tenant.clone(),
        seq: frontier.size(),
        timestamp: timestamp.clone(),
        occurred_at: p.occurred_at,
        kind: p.kind.clone(),
        body: p.body,
    };
    let prepared = alog::prepare_entry(&entry, frontier)
        .map_err(|e| invalid(format!("could not encode a `{}` log entry: {e}", p.kind)))?;
    let receipt = signer.sign(&prepared.receipt_message);
    let text =
        String::from_utf8(prepared.bytes).map_err(|_| invalid("a log entry is not UTF-8"))?;
    tx.insert_entry(
        &log.log_id,
        &StoredEntry {
            seq: i64::try_from(entry.seq).unwrap_or(i64::MAX),
            kind: p.kind,
            timestamp: timestamp.clone(),
            entry: text,
            leaf_hash: prepared.leaf_hash.to_vec(),
            receipt: receipt.to_vec(),
        },
        p.uid.as_ref(),
    )
    .await?;
    frontier.push(prepared.leaf_hash);
    state.size = frontier.size();
    state.last_timestamp = Some(timestamp);
    Ok(LogPin {
        log: log.log_id.clone(),
        tenant: log.tenant.clone(),
        seq: entry.seq,
        leaf_hash: hex::encode(prepared.leaf_hash),
    })
}

impl Platform {
    /// The signer of a log: a tenant's (by its id) or the platform's.
    pub(crate) fn log_signer(&self, log_id: &str) -> Result<LogSigner, CoreError> {
        if log_id == PLATFORM_LOG {
            return Ok(self.platform_signer.clone());
        }
        let id = TenantId::from_hex(log_id)
            .ok_or_else(|| invalid(format!("`{log_id}` is not an audit log id")))?;
        Ok(self.keyring.tenant(id)?.log_signer())
    }

    /// A note for a tenant's log, to hand to the store write that commits
    /// the action it records.
    pub(crate) fn note_for(
        &self,
        t: &Tenant,
        kind: EntryKind,
        body: Value,
    ) -> Result<AuditNote, CoreError> {
        note(tenant_log_id(t), Some(t.name.clone()), kind, body)
    }

    /// [`Platform::note_for`] inside a store transaction's closure: a
    /// failure rolls the transaction back.
    pub(crate) fn notes_in_tx(
        &self,
        t: &Tenant,
        kind: EntryKind,
        body: Value,
    ) -> Result<Vec<AuditNote>, rapport_store::StoreError> {
        self.note_for(t, kind, body)
            .map(|n| vec![n])
            .map_err(|e| rapport_store::StoreError::AuditNote(e.to_string()))
    }

    /// A note for the platform log.
    pub(crate) fn platform_note(
        &self,
        kind: EntryKind,
        body: Value,
    ) -> Result<AuditNote, CoreError> {
        note(PLATFORM_LOG.to_owned(), None, kind, body)
    }

    /// A note for the audit log of `tenant`, for the store write that
    /// commits the action it records (see the module docs). The body must
    /// be a JSON object with no plaintext personal data: name subjects with
    /// [`Platform::audit_subject`]. After the commit, call
    /// [`Platform::flush_audit_outbox`]; [`Platform::audit_pin`] then tells
    /// where the note landed.
    pub async fn audit_note(
        &self,
        tenant: &str,
        kind: EntryKind,
        body: Value,
    ) -> Result<AuditNote, CoreError> {
        let t = self.store.tenant(tenant).await?;
        self.note_for(&t, kind, body)
    }

    /// Appends one entry to a tenant's log now, outside any store
    /// transaction, and returns where it landed. For an action that commits
    /// something of its own, prefer [`Platform::audit_note`] in the same
    /// transaction: appending first and committing after can leave an entry
    /// for an action that then failed.
    pub async fn audit_append(
        &self,
        tenant: &str,
        kind: EntryKind,
        body: Value,
    ) -> Result<LogPin, CoreError> {
        let t = self.store.tenant(tenant).await?;
        let n = self.note_for(&t, kind, body)?;
        let pins = self
            .append_notes(&n.log_id.clone(), n.tenant.clone(), vec![n])
            .await?;
        pins.into_iter()
            .next()
            .ok_or_else(|| invalid("the entry was not appended"))
    }

    /// Where the entry of a flushed note landed (`None` while it is queued).
    pub async fn audit_pin(&self, note: &AuditNote) -> Result<Option<LogPin>, CoreError> {
        Ok(self
            .audit
            .entry_of_note(&note.uid)
            .await?
            .map(|(log, seq, leaf)| LogPin {
                log,
                tenant: note.tenant.clone(),
                seq: u64::try_from(seq).unwrap_or(0),
                leaf_hash: hex::encode(leaf),
            }))
    }

    /// The keyed pseudonym that stands for a subject in log entries.
    pub async fn audit_subject(
        &self,
        tenant: &str,
        external_id: &str,
    ) -> Result<String, CoreError> {
        let t = self.store.tenant(tenant).await?;
        Ok(subject_ref(&self.tenant_keys(&t)?, external_id))
    }

    /// Appends every note queued in the outbox to its log, then removes
    /// them from the outbox. Returns the pins of the entries appended now.
    pub async fn flush_audit_outbox(&self) -> Result<Vec<LogPin>, CoreError> {
        let queued = self.store.queued_audit_notes().await?;
        if queued.is_empty() {
            return Ok(Vec::new());
        }
        let mut by_log: BTreeMap<String, (Option<String>, Vec<AuditNote>)> = BTreeMap::new();
        let mut ids = Vec::with_capacity(queued.len());
        for (id, n) in queued {
            ids.push(id);
            let slot = by_log
                .entry(n.log_id.clone())
                .or_insert_with(|| (n.tenant.clone(), Vec::new()));
            slot.1.push(n);
        }
        let mut pins = Vec::new();
        for (log_id, (tenant, notes)) in by_log {
            pins.extend(self.append_notes(&log_id, tenant, notes).await?);
        }
        self.store.remove_audit_notes(&ids).await?;
        Ok(pins)
    }

    /// Flushes after an action committed. A failure here loses nothing
    /// (the notes stay queued for the next flush), so it does not turn the
    /// action into an error; it is logged, and `rapport audit verify`
    /// reports queued notes.
    pub(crate) async fn flush_after_commit(&self) {
        if let Err(e) = self.flush_audit_outbox().await {
            tracing::warn!(error = %e, "audit log entries stay queued; they are appended at the next open");
        }
    }

    /// Queues `notes` on their own and flushes (for actions that write
    /// nothing to the main store).
    pub(crate) async fn record_notes(&self, notes: &[AuditNote]) -> Result<(), CoreError> {
        self.store.queue_audit_notes(notes).await?;
        self.flush_after_commit().await;
        Ok(())
    }

    /// Appends notes to one log in one transaction, skipping notes already
    /// in the log, and issues a head if the last one is over an hour old.
    async fn append_notes(
        &self,
        log_id: &str,
        tenant: Option<String>,
        notes: Vec<AuditNote>,
    ) -> Result<Vec<LogPin>, CoreError> {
        let signer = self.log_signer(log_id)?;
        let mut tx = self.audit.begin_append().await?;
        let (log, mut state, mut frontier) = open_log(&mut tx, log_id, tenant, &signer).await?;
        let mut pins = Vec::with_capacity(notes.len());
        for n in notes {
            if tx.has_note(&n.uid).await? {
                continue;
            }
            let body: Value = serde_json::from_str(&n.body)
                .map_err(|e| invalid(format!("a queued audit note is not JSON: {e}")))?;
            let pin = append_one(
                &mut tx,
                &log,
                &signer,
                &mut frontier,
                &mut state,
                Pending {
                    uid: Some(n.uid),
                    kind: n.kind,
                    body,
                    occurred_at: n.occurred_at,
                },
            )
            .await?;
            pins.push(pin);
        }
        if !pins.is_empty()
            && head_due(
                state.last_head_at.as_deref(),
                state.last_timestamp.as_deref().unwrap_or(""),
            )
        {
            issue_head(&mut tx, &log, &signer, &mut frontier, &mut state).await?;
        }
        state.frontier = frontier.to_bytes();
        tx.set_state(log_id, &state).await?;
        tx.commit().await?;
        Ok(pins)
    }

    async fn resolve(&self, log: LogRef<'_>) -> Result<(String, Option<String>), CoreError> {
        match log {
            LogRef::Tenant(name) => {
                let t = self.store.tenant(name).await?;
                Ok((tenant_log_id(&t), Some(t.name)))
            }
            LogRef::Platform => Ok((PLATFORM_LOG.to_owned(), None)),
        }
    }

    /// Signs a tree head over the log as it is now, records it, and appends
    /// it to the log as a `tree_head` entry (which the next head covers).
    pub async fn audit_checkpoint(&self, log: LogRef<'_>) -> Result<HeadView, CoreError> {
        self.flush_audit_outbox().await?;
        let (log_id, tenant) = self.resolve(log).await?;
        let signer = self.log_signer(&log_id)?;
        let mut tx = self.audit.begin_append().await?;
        let (stored, mut state, mut frontier) = open_log(&mut tx, &log_id, tenant, &signer).await?;
        let signed = issue_head(&mut tx, &stored, &signer, &mut frontier, &mut state).await?;
        state.frontier = frontier.to_bytes();
        tx.set_state(&log_id, &state).await?;
        tx.commit().await?;
        Ok(view_of(&signed))
    }

    /// The latest signed head of a log with its public key, as exported to
    /// a client or third party. A log with no head yet gets one first.
    pub async fn audit_export_head(&self, log: LogRef<'_>) -> Result<ExportedHead, CoreError> {
        let (log_id, _) = self.resolve(log).await?;
        if self.audit.latest_head(&log_id).await?.is_none() {
            self.audit_checkpoint(log).await?;
        }
        let stored_log = self
            .audit
            .log(&log_id)
            .await?
            .ok_or_else(|| invalid("the log has no entries yet"))?;
        let head = self
            .audit
            .latest_head(&log_id)
            .await?
            .ok_or_else(|| invalid("the log has no tree head yet"))?;
        let signed = signed_of(&head, &stored_log)?;
        Ok(ExportedHead::new(
            &signed,
            &self.log_signer(&log_id)?.public_key(),
        ))
    }

    /// Opens an exported head and checks that it is this log's and signed
    /// with its key.
    fn own_head(&self, log_id: &str, exported: &ExportedHead) -> Result<SignedTreeHead, CoreError> {
        let (signed, key) = exported
            .open()
            .map_err(|e| invalid(format!("the tree head file: {e}")))?;
        if signed.head.log != log_id {
            return Err(invalid(format!(
                "the tree head file is for log {}, not {log_id}",
                signed.head.log
            )));
        }
        if key != self.log_signer(log_id)?.public_key() {
            return Err(invalid(format!(
                "the tree head file is signed with key {}, which is not this log's key",
                signed.head.key_id
            )));
        }
        Ok(signed)
    }

    /// The leaf hashes of a log's first `size` entries, checked to hash to
    /// `root`.
    async fn leaves_for(
        &self,
        log_id: &str,
        size: u64,
        root: &merkle::Hash,
    ) -> Result<Vec<merkle::Hash>, CoreError> {
        let stored = self.audit.leaf_hashes(log_id, size).await?;
        if (stored.len() as u64) < size {
            return Err(invalid(format!(
                "the head covers {size} entries but the log holds {}: run `rapport audit verify`",
                stored.len()
            )));
        }
        let leaves: Vec<merkle::Hash> = stored
            .iter()
            .map(|h| hash32(h, "leaf hash"))
            .collect::<Result<_, _>>()?;
        if &merkle::root(&leaves) != root {
            return Err(invalid(
                "the log's entries do not hash to the head's root: run `rapport audit verify`",
            ));
        }
        Ok(leaves)
    }

    /// The latest stored head of a log.
    async fn latest_signed(&self, log_id: &str) -> Result<SignedTreeHead, CoreError> {
        let stored_log = self
            .audit
            .log(log_id)
            .await?
            .ok_or_else(|| invalid("the log has no entries yet"))?;
        let head = self.audit.latest_head(log_id).await?.ok_or_else(|| {
            invalid("the log has no tree head yet; run `rapport audit checkpoint` first")
        })?;
        signed_of(&head, &stored_log)
    }

    /// An inclusion proof of entry `seq` against `head` (an exported head)
    /// or the latest stored head.
    pub async fn audit_prove(
        &self,
        log: LogRef<'_>,
        seq: u64,
        head: Option<&ExportedHead>,
    ) -> Result<InclusionProofDoc, CoreError> {
        let (log_id, tenant) = self.resolve(log).await?;
        let signed = match head {
            Some(h) => self.own_head(&log_id, h)?,
            None => self.latest_signed(&log_id).await?,
        };
        if seq >= signed.head.size {
            return Err(invalid(format!(
                "entry {seq} is not covered by the tree head of size {} (entries from {} on are covered by the next head; run `rapport audit checkpoint`)",
                signed.head.size, signed.head.size
            )));
        }
        let leaves = self
            .leaves_for(&log_id, signed.head.size, &signed.head.root)
            .await?;
        let entry = self
            .audit
            .entry(&log_id, seq)
            .await?
            .ok_or_else(|| invalid(format!("the log has no entry {seq}")))?;
        let index = usize::try_from(seq).map_err(|_| invalid("entry number too large"))?;
        let path = merkle::inclusion_proof(&leaves, index)
            .ok_or_else(|| invalid(format!("the log has no entry {seq}")))?;
        let doc = InclusionProofDoc {
            format: INCLUSION_PROOF_FORMAT.to_owned(),
            log: log_id.clone(),
            tenant,
            leaf_index: seq,
            tree_size: signed.head.size,
            entry: entry.entry,
            leaf_hash: hex::encode(leaves[index]),
            path: path.iter().map(hex::encode).collect(),
            root_hash: hex::encode(signed.head.root),
            head: ExportedHead::new(&signed, &self.log_signer(&log_id)?.public_key()),
        };
        doc.check().map_err(|e| {
            invalid(format!(
                "the proof does not check ({e}): run `rapport audit verify`"
            ))
        })?;
        Ok(doc)
    }

    /// A consistency proof from an earlier exported head `old` to `new` (an
    /// exported head) or the latest stored head.
    pub async fn audit_consistency(
        &self,
        log: LogRef<'_>,
        old: &ExportedHead,
        new: Option<&ExportedHead>,
    ) -> Result<ConsistencyProofDoc, CoreError> {
        let (log_id, tenant) = self.resolve(log).await?;
        let first = self.own_head(&log_id, old)?;
        let second = match new {
            Some(h) => self.own_head(&log_id, h)?,
            None => self.latest_signed(&log_id).await?,
        };
        if first.head.size > second.head.size {
            return Err(invalid(format!(
                "the earlier head has {} entries, more than the later one's {}",
                first.head.size, second.head.size
            )));
        }
        let leaves = self
            .leaves_for(&log_id, second.head.size, &second.head.root)
            .await?;
        let m = usize::try_from(first.head.size).map_err(|_| invalid("tree size too large"))?;
        let path = merkle::consistency_proof(&leaves, m).unwrap_or_default();
        let key = self.log_signer(&log_id)?.public_key();
        let doc = ConsistencyProofDoc {
            format: CONSISTENCY_PROOF_FORMAT.to_owned(),
            log: log_id,
            tenant,
            first_size: first.head.size,
            first_root: hex::encode(first.head.root),
            second_size: second.head.size,
            second_root: hex::encode(second.head.root),
            path: path.iter().map(hex::encode).collect(),
            first_head: ExportedHead::new(&first, &key),
            second_head: ExportedHead::new(&second, &key),
        };
        doc.check().map_err(|e| {
            invalid(format!(
                "the later head does not extend the earlier one ({e}): the log was rewritten"
            ))
        })?;
        Ok(doc)
    }

    /// A log's entries, oldest first, optionally only those of one kind or
    /// accepted since an instant or date.
    pub async fn audit_entries(
        &self,
        log: LogRef<'_>,
        since: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Vec<LogEntryView>, CoreError> {
        let (log_id, _) = self.resolve(log).await?;
        if let Some(k) = kind {
            if EntryKind::parse(k).is_none() {
                let known: Vec<&str> = EntryKind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(invalid(format!(
                    "unknown entry kind `{k}` (expected one of: {})",
                    known.join(", ")
                )));
            }
        }
        let since = match since {
            None => None,
            Some(s) => Some(parse_since(s)?),
        };
        let mut out = Vec::new();
        for e in self.audit.all_entries(&log_id).await? {
            if kind.is_some_and(|k| k != e.kind) {
                continue;
            }
            let parsed = Entry::parse(e.entry.as_bytes()).map_err(|err| {
                invalid(format!(
                    "entry {} is not a valid log entry ({err}): run `rapport audit verify`",
                    e.seq
                ))
            })?;
            if let Some(since) = since {
                if parse_instant(&parsed.timestamp).is_ok_and(|t| t < since) {
                    continue;
                }
            }
            out.push(LogEntryView {
                seq: parsed.seq,
                kind: parsed.kind,
                timestamp: parsed.timestamp,
                occurred_at: parsed.occurred_at,
                leaf_hash: hex::encode(&e.leaf_hash),
                body: parsed.body,
            });
        }
        Ok(out)
    }

    /// Verifies logs offline: one tenant's (and `exported`, a head exported
    /// earlier for it), or every log of the data directory.
    pub async fn audit_verify(
        &self,
        tenant: Option<&str>,
        exported: Option<&ExportedHead>,
    ) -> Result<VerifyReport, CoreError> {
        let mut problems = Vec::new();
        if let Err(e) = self.flush_audit_outbox().await {
            problems.push(format!("queued entries could not be appended: {e}"));
        }
        let queued = self.store.queued_audit_notes().await?.len();
        if queued > 0 {
            problems.push(format!(
                "{queued} entr{} of committed actions still wait in the outbox of rapport.db",
                if queued == 1 { "y" } else { "ies" }
            ));
        }
        let exported = match exported {
            Some(h) => Some(
                h.open()
                    .map_err(|e| invalid(format!("the tree head file: {e}")))?,
            ),
            None => None,
        };
        let logs = self.audit.logs().await?;
        let mut targets: Vec<(String, Option<String>)> = Vec::new();
        match tenant {
            Some(name) => {
                let t = self.store.tenant(name).await?;
                targets.push((tenant_log_id(&t), Some(t.name)));
            }
            None => {
                for l in &logs {
                    targets.push((l.log_id.clone(), l.tenant.clone()));
                }
                for t in self.store.tenants().await? {
                    let id = tenant_log_id(&t);
                    if !targets.iter().any(|(l, _)| *l == id) {
                        targets.push((id, Some(t.name)));
                    }
                }
            }
        }
        if let Some((h, _)) = &exported {
            if !targets.iter().any(|(l, _)| *l == h.head.log) {
                problems.push(format!(
                    "the exported head is for log {}, which is not among the logs verified",
                    h.head.log
                ));
            }
        }
        let mut reports = Vec::new();
        for (log_id, name) in targets {
            let stored = logs.iter().find(|l| l.log_id == log_id);
            let Some(stored) = stored else {
                problems.push(format!(
                    "tenant `{}` has no audit log, though every tenant's log starts when it is created: the log was deleted",
                    name.as_deref().unwrap_or(&log_id)
                ));
                continue;
            };
            let public_key = match self.log_signer(&log_id) {
                Ok(s) => s.public_key(),
                Err(_) => {
                    problems.push(format!(
                        "log {log_id} belongs to no tenant of this keyring; it was checked against the key it records, which proves nothing"
                    ));
                    stored.public_key.as_slice().try_into().unwrap_or([0; 32])
                }
            };
            let rows: Vec<LogRow> = self
                .audit
                .all_entries(&log_id)
                .await?
                .into_iter()
                .map(|e| LogRow {
                    seq: e.seq,
                    entry: e.entry.into_bytes(),
                    leaf_hash: e.leaf_hash,
                    receipt: e.receipt,
                })
                .collect();
            let heads: Vec<HeadRow> = self
                .audit
                .heads(&log_id)
                .await?
                .into_iter()
                .map(|h| HeadRow {
                    id: h.id,
                    size: h.size,
                    root: h.root,
                    timestamp: h.timestamp,
                    key_id: h.key_id,
                    signature: h.signature,
                })
                .collect();
            let exported_here = exported
                .as_ref()
                .filter(|(h, _)| h.head.log == log_id)
                .map(|(h, k)| (h, *k));
            reports.push(alog::verify_log(&VerifyInput {
                log: &log_id,
                tenant: stored.tenant.as_deref(),
                public_key,
                stored_public_key: Some(stored.public_key.clone()),
                rows: &rows,
                heads: &heads,
                exported: exported_here,
            }));
        }
        let ok = problems.is_empty() && reports.iter().all(|r| r.ok);
        Ok(VerifyReport {
            ok,
            logs: reports,
            problems,
        })
    }
}

// The action gate's entries. A verdict, a review and an execution each
// queue their entry in the transaction that commits them (see
// `rapport_store::ActionEntryNote`); the bodies below carry ids, hashes,
// outcomes and counts, and name people only by keyed pseudonyms.

/// One of an action's log entries, as `rapport action show` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionLogEntry {
    /// The entry kind: `verdict`, `approval`, `rejection`, `execution` or
    /// `disclosure`.
    pub kind: String,
    /// Where it landed; `None` while it waits in the outbox (it is appended
    /// at the next open).
    pub pin: Option<LogPin>,
}

/// The keyed pseudonym of a free-text name in gate entries (a reviewer, a
/// recipient): names of people must not appear in the log, and only a
/// holder of the tenant's keys can test a guess.
pub(crate) fn name_ref(tk: &TenantKeys, domain: &str, name: &str) -> String {
    let mac = tk.fingerprint(domain, name.trim().as_bytes());
    hex::encode(&mac[..16])
}

/// SHA-256 over a set of people's keyed pseudonyms: the pseudonyms' hex
/// digits sorted ascending, each followed by a newline, after the line
/// `rapport-gate-subjects-v1`. A holder of the tenant's keys recomputes it
/// from the stored list; nobody else learns who is in it.
pub(crate) fn pseudonyms_sha256<'a>(
    tk: &TenantKeys,
    external_ids: impl Iterator<Item = &'a str>,
) -> String {
    let mut refs: Vec<String> = external_ids.map(|id| subject_ref(tk, id)).collect();
    refs.sort_unstable();
    let mut h = Sha256::new();
    h.update(b"rapport-gate-subjects-v1\n");
    for r in &refs {
        h.update(r.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// SHA-256 of a value's canonical JSON.
pub(crate) fn canonical_sha256(value: &Value) -> Result<String, CoreError> {
    let text = rapport_audit::canonical::to_string(value)
        .map_err(|e| invalid(format!("no canonical form: {e}")))?;
    Ok(hex::encode(Sha256::digest(text.as_bytes())))
}

/// The body of a `verdict` entry. A list target is named by its length
/// only (the hash of a short list of ids could be guessed); the
/// `subjects_sha256` pin binds who was targeted and how each was decided,
/// and `verdict_sha256` binds the whole stored verdict record.
pub(crate) fn verdict_body(
    record: &rapport_audit::gate::VerdictRecord,
    status: &str,
) -> Result<Value, CoreError> {
    use rapport_audit::gate::Target;
    let record_value = serde_json::to_value(record)
        .map_err(|e| invalid(format!("could not encode the verdict: {e}")))?;
    let target = match &record.target {
        Target::Segment { segment, run } => {
            json!({"by": "segment", "segment": segment, "run": run})
        }
        Target::Top { run, n } => json!({"by": "top", "run": run, "n": n}),
        Target::Subjects { lines, .. } => json!({"by": "subjects", "lines": lines}),
    };
    let p = &record.pins;
    Ok(json!({
        "action": record.action,
        "action_kind": record.kind,
        "purpose": record.purpose,
        "outcome": record.outcome.as_str(),
        "status": status,
        "target": target,
        "run": p.run.as_ref().map(|r| json!({
            "id": r.id,
            "plugin": r.plugin,
            "version": r.version,
            "component_digest": r.component_digest,
            "config_hash": r.config_hash,
            "output_hash": r.output_hash,
        })),
        "counts": record.counts,
        "exclusions": record.exclusions,
        "reasons": record.reasons.iter().map(|r| r.rule.as_str()).collect::<Vec<_>>(),
        "fairness": record_value["fairness"]["outcome"],
        "policy_hash": p.policy_hash,
        "at": p.at,
        "consent_watermark": p.consent_watermark,
        "stakeholder_watermark": p.stakeholder_watermark,
        "notices": p.notices.iter().map(|n| json!({
            "id": n.id,
            "version": n.version,
            "sha256": n.content_sha256,
        })).collect::<Vec<_>>(),
        "subjects_sha256": p.subjects_sha256,
        "population_sha256": p.population_sha256,
        "fairness_input_sha256": p.fairness_input_sha256,
        "verdict_sha256": canonical_sha256(&record_value)?,
    }))
}

impl Platform {
    /// The entry of one event of an action, for the store write that
    /// commits the event.
    pub(crate) fn action_entry(
        &self,
        t: &Tenant,
        kind: EntryKind,
        body: Value,
    ) -> Result<ActionEntryNote, CoreError> {
        Ok(ActionEntryNote {
            event: kind.as_str().to_owned(),
            note: self.note_for(t, kind, body)?,
        })
    }

    /// The log entries of an action, each with its pin. Entries the log has
    /// appended since the action committed (right after it, or at a later
    /// open) get their pin stored now, once.
    pub(crate) async fn action_log_entries(
        &self,
        t: &Tenant,
        action_id: &str,
    ) -> Result<Vec<ActionLogEntry>, CoreError> {
        let mut out = Vec::new();
        for e in self.store.action_entries(t, action_id).await? {
            let pin = match (e.seq, e.leaf_hash) {
                (Some(seq), Some(leaf)) => Some((seq, leaf)),
                _ => match self.audit.entry_of_note(&e.note_uid).await? {
                    Some((_, seq, leaf)) => {
                        let leaf = hex::encode(leaf);
                        self.store
                            .pin_action_entry(action_id, &e.event, seq, &leaf)
                            .await?;
                        Some((seq, leaf))
                    }
                    None => None,
                },
            };
            out.push(ActionLogEntry {
                kind: e.event,
                pin: pin.map(|(seq, leaf_hash)| LogPin {
                    log: e.log_id.clone(),
                    tenant: Some(t.name.clone()),
                    seq: u64::try_from(seq).unwrap_or(0),
                    leaf_hash,
                }),
            });
        }
        Ok(out)
    }

    /// The earliest signed head of a tenant's log that covers the first
    /// `size` entries, signing one now if none does yet. Heads are never
    /// changed or removed, so the answer for a given `size` stays the same
    /// once there is one: a report re-run on the same records is tied to
    /// the same head.
    pub(crate) async fn covering_head(
        &self,
        t: &Tenant,
        size: u64,
    ) -> Result<SignedTreeHead, CoreError> {
        let log_id = tenant_log_id(t);
        for attempt in 0..2 {
            if let Some(stored_log) = self.audit.log(&log_id).await? {
                let heads = self.audit.heads(&log_id).await?;
                if let Some(h) = heads
                    .iter()
                    .find(|h| u64::try_from(h.size).is_ok_and(|s| s >= size))
                {
                    let signed = signed_of(h, &stored_log)?;
                    if !signed.verify(&self.log_signer(&log_id)?.public_key()) {
                        return Err(invalid(format!(
                            "the tree head of size {} of tenant `{}`'s log is not signed by its key: run `rapport audit verify`",
                            signed.head.size, t.name
                        )));
                    }
                    return Ok(signed);
                }
            }
            if attempt == 0 {
                self.audit_checkpoint(LogRef::Tenant(&t.name)).await?;
            }
        }
        Err(invalid(format!(
            "tenant `{}`'s log has fewer than {size} entries: run `rapport audit verify`",
            t.name
        )))
    }

    /// Where the `run` entry of a run landed in the tenant's log.
    pub(crate) async fn run_entry(
        &self,
        t: &Tenant,
        run_id: &str,
    ) -> Result<Option<LogPin>, CoreError> {
        let log_id = tenant_log_id(t);
        for e in self.audit.all_entries(&log_id).await? {
            if e.kind != EntryKind::Run.as_str() {
                continue;
            }
            let Ok(parsed) = Entry::parse(e.entry.as_bytes()) else {
                continue;
            };
            if parsed.body["run"].as_str() == Some(run_id) {
                return Ok(Some(LogPin {
                    log: log_id,
                    tenant: Some(t.name.clone()),
                    seq: parsed.seq,
                    leaf_hash: hex::encode(&e.leaf_hash),
                }));
            }
        }
        Ok(None)
    }
}

/// Builds a note.
fn note(
    log_id: String,
    tenant: Option<String>,
    kind: EntryKind,
    body: Value,
) -> Result<AuditNote, CoreError> {
    if !body.is_object() {
        return Err(invalid("an audit log entry body must be a JSON object"));
    }
    let body = rapport_audit::canonical::to_string(&body).map_err(|e| {
        invalid(format!(
            "a `{kind}` log entry body has no canonical form: {e}"
        ))
    })?;
    Ok(AuditNote {
        uid: new_uid(),
        log_id,
        tenant,
        kind: kind.as_str().to_owned(),
        body,
        occurred_at: now(),
    })
}

/// Opens a log for appending, creating it on first use, with its frontier
/// checked against the stored entries (and rebuilt from their leaf hashes
/// when they disagree).
async fn open_log(
    tx: &mut AppendTx,
    log_id: &str,
    tenant: Option<String>,
    signer: &LogSigner,
) -> Result<(StoredLog, LogState, Frontier), CoreError> {
    let (log, state) = match tx.log(log_id).await? {
        Some(x) => x,
        None => {
            let log = StoredLog {
                log_id: log_id.to_owned(),
                tenant,
                public_key: signer.public_key().to_vec(),
                key_id: signer.key_id(),
                created_at: now(),
            };
            tx.create_log(&log, &[]).await?;
            let state = LogState {
                size: 0,
                frontier: Vec::new(),
                last_timestamp: None,
                last_head_at: None,
            };
            (log, state)
        }
    };
    if log.public_key != signer.public_key() {
        return Err(invalid(format!(
            "the audit log {log_id} records a public key that is not its signing key: it was tampered with; run `rapport audit verify`"
        )));
    }
    // The cached state is rewritten with every append, in the same
    // transaction: disagreeing with the entries means someone changed them.
    // Appending on top would sign receipts over the altered log (and reuse
    // the sequence numbers of deleted tail entries), so it is refused; the
    // actions' notes stay queued in the outbox meanwhile.
    let (count, max) = tx.stored_extent(log_id).await?;
    if count != state.size || max != state.size.checked_sub(1) {
        return Err(invalid(format!(
            "the audit log {log_id} holds {count} entries (highest number {}) but {} were appended: it was tampered with; appending is refused, and entries wait in the outbox; run `rapport audit verify`",
            max.map_or("none".to_owned(), |m| m.to_string()),
            state.size
        )));
    }
    let frontier = match Frontier::from_bytes(state.size, &state.frontier) {
        Some(f) => f,
        None => {
            tracing::warn!(log = %log_id, "the audit log's cached tree edge is unreadable; rebuilding it from the leaf hashes");
            let leaves: Vec<merkle::Hash> = tx
                .leaf_hashes(log_id)
                .await?
                .iter()
                .map(|h| hash32(h, "leaf hash"))
                .collect::<Result<_, _>>()?;
            Frontier::from_leaves(&leaves)
        }
    };
    let state = LogState {
        size: frontier.size(),
        ..state
    };
    Ok((log, state, frontier))
}

/// `--since`: an RFC 3339 instant or a date (midnight UTC).
fn parse_since(s: &str) -> Result<OffsetDateTime, CoreError> {
    if let Ok(t) = parse_instant(s) {
        return Ok(t);
    }
    rapport_domain::time_fmt::parse_date(s)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| {
            invalid(format!(
                "--since `{s}` is neither a date (YYYY-MM-DD) nor an RFC 3339 instant"
            ))
        })
}

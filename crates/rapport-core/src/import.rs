//! The import use case: stream a file through the validating reader, check
//! references against the store, seal personal fields, and write everything
//! in one transaction.
//!
//! A parser thread reads and validates rows while this task seals and writes
//! them, so the two cores overlap. Any bad row turns the rest of the run into
//! a dry run that only collects diagnostics; at the end both transactions
//! roll back and the store is exactly as it was. On success the key store
//! commits first and the main store second: a crash between the two leaves
//! unused keys, never sealed data without its key. The import's audit log
//! entry (kind, the file's SHA-256, counts, and for consent records a
//! digest of those appended) commits with the main store's transaction.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rapport_domain::rows::*;
use rapport_domain::time_fmt::normalize_instant;
use rapport_domain::{ImportKind, StakeholderKind};
use rapport_ingest::{Diagnostic, Format, Reader, Record, Row};
use rapport_store::{
    Batch, ConsentRecord, ImportRecord, InteractionRecord, KeyBatch, SealedFields,
    StakeholderRecord, StakeholderRef, StoredKey, Tenant, WriteCounts,
};
use rapport_vault::{SubjectId, SubjectKey, TenantKeys};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::platform::to_wrapped;
use crate::{now, CoreError, Platform};

/// At most this many diagnostics are kept; the rest are only counted.
pub const MAX_DIAGNOSTICS: usize = 1000;

/// Rows handed from the parser thread to the writer at a time.
const CHUNK: usize = 4096;

/// Unwrapped subject keys kept for sealing interaction text.
const KEY_CACHE: usize = 65_536;

/// A file (or standard input) to import.
pub struct ImportSource {
    /// Name used in diagnostics and the import log, e.g. the file path.
    pub name: String,
    pub reader: Box<dyn Read + Send>,
}

impl std::fmt::Debug for ImportSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportSource")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What a committed import did.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    pub tenant: String,
    pub kind: String,
    pub source: String,
    /// SHA-256 of the bytes read.
    pub sha256: String,
    pub rows: u64,
    /// Rows inserted or changed.
    pub written: u64,
    /// Rows already stored exactly as they are in the file.
    pub unchanged: u64,
    /// Rows about subjects that were erased, which an import never brings back.
    pub skipped_erased: u64,
    /// Stakeholders that got a new data key.
    pub new_subjects: u64,
    pub seconds: f64,
}

enum Msg {
    Rows(Vec<Row>),
    Bad(Vec<Diagnostic>),
}

/// Counts and hashes the bytes the parser reads.
struct Tap<R> {
    inner: R,
    hasher: Arc<Mutex<Sha256>>,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut h) = self.hasher.lock() {
            h.update(&buf[..n]);
        }
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

struct Run<'a> {
    tenant: &'a Tenant,
    source: String,
    tk: TenantKeys,
    index: HashMap<String, StakeholderRef>,
    /// Whether ids missing from `index` may be tombstones of erased subjects.
    tombstones: bool,
    key_cache: HashMap<[u8; 16], SubjectKey>,
    diagnostics: Vec<Diagnostic>,
    bad_rows: u64,
    counts: WriteCounts,
    skipped_erased: u64,
    new_subjects: u64,
    /// The chunk of stakeholders being sealed while the one before is written.
    sealing: Option<tokio::task::JoinHandle<Result<Sealed, CoreError>>>,
    /// The purpose registry consent records are checked against.
    purposes: rapport_domain::consent::PurposeRegistry,
    /// Consent records appended, and SHA-256 over their keyed fingerprints
    /// in the order appended (the audit log's evidence of which records
    /// this batch added, without their content).
    consents_appended: u64,
    consent_digest: Sha256,
}

impl Platform {
    /// Imports one file into a tenant, all or nothing.
    pub async fn import(
        &self,
        tenant: &str,
        kind: ImportKind,
        format: Format,
        source: ImportSource,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ImportReport, CoreError> {
        let started = std::time::Instant::now();
        let tenant = self.store.tenant(tenant).await?;
        let tk = self.tenant_keys(&tenant)?;

        let hasher = Arc::new(Mutex::new(Sha256::new()));
        let bytes = Arc::new(AtomicU64::new(0));
        let tap = Tap {
            inner: source.reader,
            hasher: hasher.clone(),
            bytes: bytes.clone(),
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Msg>(4);
        let name = source.name.clone();
        let parser = std::thread::Builder::new()
            .name("rapport-import-parser".into())
            .spawn(move || parse(kind, format, &name, Box::new(tap), tx))
            .map_err(|e| CoreError::io("import parser thread", e))?;

        let mut batch = self.store.begin(&tenant).await?;
        let mut key_batch = self.keys.begin().await?;
        let mut run = Run {
            tenant: &tenant,
            source: source.name.clone(),
            tk,
            index: batch.stakeholder_index().await?,
            tombstones: false,
            key_cache: HashMap::new(),
            diagnostics: Vec::new(),
            bad_rows: 0,
            counts: WriteCounts::default(),
            skipped_erased: 0,
            new_subjects: 0,
            sealing: None,
            purposes: rapport_domain::consent::PurposeRegistry::default_policy()
                .map_err(|e| CoreError::Invalid(format!("the purpose policy is invalid: {e}")))?,
            consents_appended: 0,
            consent_digest: Sha256::new(),
        };
        run.tombstones = crate::privacy::has_tombstones(&run.index);
        let mut rows = 0u64;
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::Bad(d) => run.bad(d),
                Msg::Rows(chunk) => {
                    rows += chunk.len() as u64;
                    run.chunk(self, &mut batch, &mut key_batch, chunk).await?;
                }
            }
            progress(bytes.load(Ordering::Relaxed));
        }
        if parser.join().is_err() {
            return Err(CoreError::ReaderStopped);
        }
        if run.writing() {
            run.flush(&mut batch, &mut key_batch).await?;
        }
        if run.bad_rows > 0 {
            batch.rollback().await?;
            drop(key_batch); // rolls back
            let mut diagnostics = std::mem::take(&mut run.diagnostics);
            diagnostics.sort_by_key(|d| d.line);
            return Err(CoreError::ImportRejected {
                source_name: source.name,
                bad_rows: run.bad_rows,
                diagnostics,
            });
        }
        let sha256: [u8; 32] = hasher
            .lock()
            .map(|h| h.clone().finalize().into())
            .unwrap_or([0; 32]);
        let finished_at = now();
        batch
            .record_import(&ImportRecord {
                kind: kind.as_str().to_owned(),
                source: source.name.clone(),
                sha256,
                rows,
                written: run.counts.written,
                unchanged: run.counts.unchanged,
                finished_at: finished_at.clone(),
            })
            .await?;
        // The source name is left out of the entry: a path can name a person.
        let mut body = serde_json::json!({
            "import_kind": kind.as_str(),
            "sha256": hex::encode(sha256),
            "rows": rows,
            "written": run.counts.written,
            "unchanged": run.counts.unchanged,
            "skipped_erased": run.skipped_erased,
            "new_subjects": run.new_subjects,
            "finished_at": finished_at,
        });
        if kind == ImportKind::Consents {
            body["consent_records"] = serde_json::json!({
                "appended": run.consents_appended,
                "fingerprints_sha256": hex::encode(run.consent_digest.clone().finalize()),
            });
        }
        batch
            .queue_audit(&[self.note_for(&tenant, rapport_audit::log::EntryKind::Import, body)?])
            .await?;
        key_batch.commit().await?;
        batch.commit().await?;
        self.flush_after_commit().await;
        let report = ImportReport {
            tenant: tenant.name.clone(),
            kind: kind.as_str().to_owned(),
            source: source.name,
            sha256: hex::encode(sha256),
            rows,
            written: run.counts.written,
            unchanged: run.counts.unchanged,
            skipped_erased: run.skipped_erased,
            new_subjects: run.new_subjects,
            seconds: started.elapsed().as_secs_f64(),
        };
        tracing::info!(
            tenant = %report.tenant, kind = %report.kind, rows = report.rows,
            written = report.written, unchanged = report.unchanged, "import committed"
        );
        Ok(report)
    }
}

/// The parser thread: validated rows in chunks, bad rows one by one.
fn parse(
    kind: ImportKind,
    format: Format,
    name: &str,
    input: Box<dyn Read + Send>,
    tx: tokio::sync::mpsc::Sender<Msg>,
) {
    let reader = match Reader::new(kind, format, name, input) {
        Ok(r) => r,
        Err(d) => {
            // A closed channel means the importer gave up; nothing to report to.
            if tx.blocking_send(Msg::Bad(vec![d])).is_err() {
                tracing::debug!("import cancelled before the header was reported");
            }
            return;
        }
    };
    let mut chunk = Vec::with_capacity(CHUNK);
    for item in reader {
        let msg = match item {
            Ok(row) => {
                chunk.push(row);
                if chunk.len() < CHUNK {
                    continue;
                }
                Msg::Rows(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
            }
            Err(d) => Msg::Bad(d),
        };
        if tx.blocking_send(msg).is_err() {
            return;
        }
    }
    if !chunk.is_empty() && tx.blocking_send(Msg::Rows(chunk)).is_err() {
        tracing::debug!("import cancelled before the last rows were sent");
    }
}

/// A row's personal fields by name, and its plain stakeholder fields.
struct Shaped<'r> {
    kind: StakeholderKind,
    personal: Vec<(&'static str, &'r str)>,
    country: Option<&'r str>,
    region: Option<&'r str>,
    signup_date: Option<&'r str>,
    category: Option<&'r str>,
    partner_type: Option<&'r str>,
}

/// A stakeholder row to seal: its index in the chunk, its fingerprint, and
/// for a changed stakeholder its subject and opened data key.
struct Sealing {
    row: usize,
    fp: [u8; 32],
    existing: Option<[u8; 16]>,
    key: Option<SubjectKey>,
}

/// A sealed chunk, ready to write.
struct Sealed {
    records: Vec<StakeholderRecord>,
    new_keys: Vec<([u8; 16], StoredKey)>,
}

/// Seals the personal fields of a chunk's stakeholders; new stakeholders get
/// a fresh subject id and data key.
fn seal_stakeholders(
    tk: &TenantKeys,
    rows: &[Row],
    work: Vec<Sealing>,
) -> Result<Sealed, CoreError> {
    let mut new_keys = Vec::new();
    let mut records = Vec::with_capacity(work.len());
    for w in work {
        let Some(row) = rows.get(w.row) else { continue };
        let Some(shaped) = shape(&row.record) else {
            continue;
        };
        let (subject, key) = match (w.existing, w.key) {
            (Some(s), Some(key)) => (s, key),
            _ => {
                let s = SubjectId::random();
                let (key, wrapped) = tk.new_subject_key(s)?;
                new_keys.push((
                    s.0,
                    StoredKey {
                        kek_version: wrapped.kek_version,
                        wrapped: wrapped.bytes,
                    },
                ));
                (s.0, key)
            }
        };
        let mut sealed = SealedFields::default();
        for (field, value) in &shaped.personal {
            if let Some(slot) = sealed.slot(field) {
                *slot = Some(key.seal(field, value.as_bytes()));
            }
        }
        records.push(StakeholderRecord {
            external_id: row.record.id().to_owned(),
            kind: shaped.kind,
            subject,
            fingerprint: w.fp,
            country: shaped.country.map(str::to_owned),
            region: shaped.region.map(str::to_owned),
            signup_date: shaped.signup_date.map(str::to_owned),
            category: shaped.category.map(str::to_owned),
            partner_type: shaped.partner_type.map(str::to_owned),
            sealed,
        });
    }
    Ok(Sealed { records, new_keys })
}

fn shape(record: &Record) -> Option<Shaped<'_>> {
    fn push<'r>(
        v: &mut Vec<(&'static str, &'r str)>,
        name: &'static str,
        value: &'r Option<String>,
    ) {
        if let Some(x) = value {
            v.push((name, x.as_str()));
        }
    }
    let mut p = Vec::new();
    Some(match record {
        Record::Customer(c) => {
            push(&mut p, "name", &c.name);
            push(&mut p, "email", &c.email);
            push(&mut p, "phone", &c.phone);
            push(&mut p, "address", &c.address);
            push(&mut p, "birth_date", &c.birth_date);
            push(&mut p, "gender", &c.gender);
            push(&mut p, "age_band", &c.age_band);
            push(&mut p, "notes", &c.notes);
            Shaped {
                kind: StakeholderKind::Customer,
                personal: p,
                country: c.country.as_deref(),
                region: c.region.as_deref(),
                signup_date: c.signup_date.as_deref(),
                category: None,
                partner_type: None,
            }
        }
        Record::Supplier(s) => {
            p.push(("name", s.name.as_str()));
            push(&mut p, "contact_name", &s.contact_name);
            push(&mut p, "email", &s.email);
            push(&mut p, "phone", &s.phone);
            push(&mut p, "address", &s.address);
            push(&mut p, "notes", &s.notes);
            Shaped {
                kind: StakeholderKind::Supplier,
                personal: p,
                country: s.country.as_deref(),
                region: None,
                signup_date: None,
                category: s.category.as_deref(),
                partner_type: None,
            }
        }
        Record::Partner(s) => {
            p.push(("name", s.name.as_str()));
            push(&mut p, "contact_name", &s.contact_name);
            push(&mut p, "email", &s.email);
            push(&mut p, "phone", &s.phone);
            push(&mut p, "notes", &s.notes);
            Shaped {
                kind: StakeholderKind::Partner,
                personal: p,
                country: s.country.as_deref(),
                region: None,
                signup_date: None,
                category: None,
                partner_type: s.partner_type.as_deref(),
            }
        }
        _ => return None,
    })
}

fn fingerprint_of<T: Serialize>(tk: &TenantKeys, kind: ImportKind, row: &T) -> [u8; 32] {
    // Struct serialization has a fixed field order, so this is canonical.
    let bytes = serde_json::to_vec(row).unwrap_or_default();
    tk.fingerprint(kind.as_str(), &bytes)
}

fn record_fingerprint(tk: &TenantKeys, record: &Record) -> [u8; 32] {
    match record {
        Record::Customer(r) => fingerprint_of(tk, ImportKind::Customers, r),
        Record::Supplier(r) => fingerprint_of(tk, ImportKind::Suppliers, r),
        Record::Partner(r) => fingerprint_of(tk, ImportKind::Partners, r),
        Record::Transaction(r) => fingerprint_of(tk, ImportKind::Transactions, r),
        Record::Interaction(r) => fingerprint_of(tk, ImportKind::Interactions, r),
        Record::Delivery(r) => fingerprint_of(tk, ImportKind::Deliveries, r),
        Record::Referral(r) => fingerprint_of(tk, ImportKind::Referrals, r),
        Record::Consent(r) => fingerprint_of(tk, ImportKind::Consents, r),
    }
}

impl Run<'_> {
    fn bad(&mut self, d: Vec<Diagnostic>) {
        self.bad_rows += 1;
        for x in d {
            if self.diagnostics.len() < MAX_DIAGNOSTICS {
                self.diagnostics.push(x);
            }
        }
    }

    fn diag(&mut self, line: u64, field: &str, reason: String) {
        let d = Diagnostic {
            file: self.source.clone(),
            line,
            field: Some(field.to_owned()),
            reason,
        };
        self.bad(vec![d]);
    }

    /// The stored stakeholder an id refers to, or a diagnostic.
    fn reference(
        &mut self,
        line: u64,
        field: &str,
        id: &str,
        want: Option<StakeholderKind>,
    ) -> Option<StakeholderRef> {
        match crate::privacy::lookup(&self.index, self.tombstones.then_some(&self.tk), id) {
            None => {
                let what = want.map_or("stakeholder", StakeholderKind::as_str);
                self.diag(
                    line,
                    field,
                    format!("unknown {what} `{id}` (import it first)"),
                );
                None
            }
            Some(r) => match want {
                Some(k) if r.kind != k => {
                    let r_kind = r.kind;
                    self.diag(line, field, format!("`{id}` is a {r_kind}, not a {k}"));
                    None
                }
                _ => Some(r.clone()),
            },
        }
    }

    /// Rows that belong to one stakeholder of a given kind (a customer's
    /// transactions, a supplier's deliveries), paired with its row id; a
    /// reference to an unknown or other-kind stakeholder is a diagnostic.
    fn owned_by<'r, T>(
        &mut self,
        rows: &'r [Row],
        field: &str,
        kind: StakeholderKind,
        owner: impl Fn(&'r Record) -> Option<(&'r T, &'r str)>,
    ) -> Vec<(i64, &'r T)> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some((record, id)) = owner(&row.record) {
                if let Some(r) = self.reference(row.line, field, id, Some(kind)) {
                    out.push((r.id, record));
                }
            }
        }
        out
    }

    fn writing(&self) -> bool {
        self.bad_rows == 0
    }

    async fn chunk(
        &mut self,
        p: &Platform,
        batch: &mut Batch<'_>,
        keys: &mut KeyBatch,
        rows: Vec<Row>,
    ) -> Result<(), CoreError> {
        let Some(first) = rows.first() else {
            return Ok(());
        };
        match &first.record {
            Record::Customer(_) | Record::Supplier(_) | Record::Partner(_) => {
                self.stakeholders(p, batch, keys, rows).await
            }
            Record::Transaction(_) => {
                let out = self.owned_by(
                    &rows,
                    "customer_id",
                    StakeholderKind::Customer,
                    |r| match r {
                        Record::Transaction(t) => Some((t, t.customer_id.as_str())),
                        _ => None,
                    },
                );
                if self.writing() {
                    self.counts += batch.upsert_transactions(&out).await?;
                }
                Ok(())
            }
            Record::Delivery(_) => {
                let out = self.owned_by(
                    &rows,
                    "supplier_id",
                    StakeholderKind::Supplier,
                    |r| match r {
                        Record::Delivery(d) => Some((d, d.supplier_id.as_str())),
                        _ => None,
                    },
                );
                if self.writing() {
                    self.counts += batch.upsert_deliveries(&out).await?;
                }
                Ok(())
            }
            Record::Referral(_) => {
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    if let Record::Referral(x) = &row.record {
                        let from = self.reference(row.line, "referrer_id", &x.referrer_id, None);
                        let to = self.reference(row.line, "referred_id", &x.referred_id, None);
                        if let (Some(from), Some(to)) = (from, to) {
                            out.push((from.id, to.id, x));
                        }
                    }
                }
                if self.writing() {
                    self.counts += batch.upsert_referrals(&out).await?;
                }
                Ok(())
            }
            Record::Interaction(_) => self.interactions(p, batch, rows).await,
            Record::Consent(_) => self.consents(batch, rows).await,
        }
    }

    async fn stakeholders(
        &mut self,
        p: &Platform,
        batch: &mut Batch<'_>,
        keys: &mut KeyBatch,
        rows: Vec<Row>,
    ) -> Result<(), CoreError> {
        // Decide per row: new, changed, unchanged, erased or conflicting.
        let mut work: Vec<Sealing> = Vec::with_capacity(rows.len());
        let mut changed: Vec<[u8; 16]> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let Some(kind) = shape(&row.record).map(|s| s.kind) else {
                continue;
            };
            let id = row.record.id();
            let fp = record_fingerprint(&self.tk, &row.record);
            match crate::privacy::lookup(&self.index, self.tombstones.then_some(&self.tk), id) {
                Some(r) if r.kind != kind => {
                    let r_kind = r.kind;
                    self.diag(
                        row.line,
                        "id",
                        format!("`{id}` already belongs to a {r_kind}"),
                    );
                }
                Some(r) if r.erased => self.skipped_erased += 1,
                Some(r) if r.fingerprint == fp => self.counts.unchanged += 1,
                Some(r) => {
                    changed.push(r.subject);
                    work.push(Sealing {
                        row: i,
                        fp,
                        existing: Some(r.subject),
                        key: None,
                    });
                }
                None => work.push(Sealing {
                    row: i,
                    fp,
                    existing: None,
                    key: None,
                }),
            }
        }
        if !self.writing() || work.is_empty() {
            return Ok(());
        }
        // Changed stakeholders keep their subject and data key.
        if !changed.is_empty() {
            let stored = p.keys.get_many(self.tenant.uuid, &changed).await?;
            let mut kept = Vec::with_capacity(work.len());
            for mut w in work {
                if let Some(s) = w.existing {
                    let Some(stored_key) = stored.get(&s) else {
                        // Erased since the index was read: never resurrect.
                        self.skipped_erased += 1;
                        continue;
                    };
                    w.key = Some(self.tk.unwrap_key(SubjectId(s), &to_wrapped(stored_key))?);
                }
                kept.push(w);
            }
            work = kept;
        }
        // Seal on a blocking thread while the previous chunk is written.
        let tk = self.tk.clone();
        let sealing = tokio::task::spawn_blocking(move || seal_stakeholders(&tk, &rows, work));
        let previous = self.sealing.replace(sealing);
        if let Some(prev) = previous {
            self.write_sealed(batch, keys, prev).await?;
        }
        Ok(())
    }

    /// Writes the last sealed chunk, if any; called once the file is read.
    async fn flush(&mut self, batch: &mut Batch<'_>, keys: &mut KeyBatch) -> Result<(), CoreError> {
        if let Some(prev) = self.sealing.take() {
            self.write_sealed(batch, keys, prev).await?;
        }
        Ok(())
    }

    async fn write_sealed(
        &mut self,
        batch: &mut Batch<'_>,
        keys: &mut KeyBatch,
        sealing: tokio::task::JoinHandle<Result<Sealed, CoreError>>,
    ) -> Result<(), CoreError> {
        let Sealed { records, new_keys } =
            sealing.await.map_err(|_| CoreError::ReaderStopped)??;
        self.new_subjects += new_keys.len() as u64;
        keys.put(self.tenant.uuid, &new_keys).await?;
        let ids = batch.upsert_stakeholders(&records).await?;
        let by_id: HashMap<String, i64> = ids.into_iter().collect();
        for r in records {
            if let Some(id) = by_id.get(&r.external_id) {
                self.counts.written += 1;
                self.index.insert(
                    r.external_id,
                    StakeholderRef {
                        id: *id,
                        kind: r.kind,
                        subject: r.subject,
                        fingerprint: r.fingerprint,
                        erased: false,
                    },
                );
            }
        }
        Ok(())
    }

    /// Subject keys for sealing, from the cache or the key store.
    async fn subject_keys(&mut self, p: &Platform, subjects: &[[u8; 16]]) -> Result<(), CoreError> {
        let missing: Vec<[u8; 16]> = subjects
            .iter()
            .filter(|s| !self.key_cache.contains_key(*s))
            .copied()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        if self.key_cache.len() + missing.len() > KEY_CACHE {
            self.key_cache.clear();
        }
        for (s, w) in p.keys.get_many(self.tenant.uuid, &missing).await? {
            let key = self.tk.unwrap_key(SubjectId(s), &to_wrapped(&w))?;
            self.key_cache.insert(s, key);
        }
        Ok(())
    }

    async fn interactions(
        &mut self,
        p: &Platform,
        batch: &mut Batch<'_>,
        rows: Vec<Row>,
    ) -> Result<(), CoreError> {
        let mut resolved = Vec::with_capacity(rows.len());
        for row in &rows {
            let Record::Interaction(x) = &row.record else {
                continue;
            };
            let Some(r) = self.reference(row.line, "stakeholder_id", &x.stakeholder_id, None)
            else {
                continue;
            };
            if r.erased {
                self.skipped_erased += 1;
                continue;
            }
            match normalize_instant(&x.occurred_at) {
                Ok(at) => resolved.push((row, x, r, at)),
                Err(reason) => self.diag(row.line, "occurred_at", reason),
            }
        }
        if !self.writing() {
            return Ok(());
        }
        let needing: Vec<[u8; 16]> = resolved
            .iter()
            .filter(|(_, x, _, _)| x.text.is_some())
            .map(|(_, _, r, _)| r.subject)
            .collect();
        self.subject_keys(p, &needing).await?;
        let mut out = Vec::with_capacity(resolved.len());
        for (_, x, r, at) in resolved {
            let text_sealed = match &x.text {
                None => None,
                Some(text) => match self.key_cache.get(&r.subject) {
                    Some(key) => {
                        Some(key.seal(&format!("interaction:{}:text", x.id), text.as_bytes()))
                    }
                    None => {
                        // The key vanished: the subject was erased meanwhile.
                        self.skipped_erased += 1;
                        continue;
                    }
                },
            };
            out.push(InteractionRecord {
                external_id: x.id.clone(),
                stakeholder_id: r.id,
                occurred_at: at,
                kind: x.kind.as_str().to_owned(),
                channel: x.channel.clone(),
                nps: x.nps,
                sentiment: x.sentiment,
                fingerprint: fingerprint_of(&self.tk, ImportKind::Interactions, x),
                text_sealed,
            });
        }
        self.counts += batch.upsert_interactions(&out).await?;
        Ok(())
    }

    async fn consents(&mut self, batch: &mut Batch<'_>, rows: Vec<Row>) -> Result<(), CoreError> {
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let Record::Consent(c) = &row.record else {
                continue;
            };
            if self.purposes.get(&c.purpose).is_none() {
                self.diag(
                    row.line,
                    "purpose",
                    format!(
                        "unknown purpose `{}` (see policies/purposes.json)",
                        c.purpose
                    ),
                );
                continue;
            }
            let Some(r) = self.reference(row.line, "subject_id", &c.subject_id, None) else {
                continue;
            };
            let recorded_at = match normalize_instant(&c.recorded_at) {
                Ok(x) => x,
                Err(reason) => {
                    self.diag(row.line, "recorded_at", reason);
                    continue;
                }
            };
            let expires_at = match c.expires_at.as_deref().map(normalize_instant).transpose() {
                Ok(x) => x,
                Err(reason) => {
                    self.diag(row.line, "expires_at", reason);
                    continue;
                }
            };
            out.push((
                row.line,
                consent_record(c, r.id, recorded_at, expires_at, &self.tk),
            ));
        }
        // Consent records are evidence: an id already stored must carry the
        // same record, or the import is refused.
        let keys: Vec<(&str, i64)> = out
            .iter()
            .map(|(_, c)| (c.external_id.as_str(), c.version))
            .collect();
        let stored = batch.consent_fingerprints(&keys).await?;
        let mut fresh = Vec::with_capacity(out.len());
        for (line, c) in out {
            match stored.get(&(c.external_id.clone(), c.version)) {
                Some(fp) if *fp == c.fingerprint => self.counts.unchanged += 1,
                Some(_) => self.diag(
                    line,
                    "id",
                    format!(
                        "consent record `{}` version {} is already stored with different content; consent records are append-only, record a correction as a new version",
                        c.external_id, c.version
                    ),
                ),
                None => fresh.push(c),
            }
        }
        if self.writing() {
            self.counts += batch.append_consents(&fresh).await?;
            for c in &fresh {
                self.consent_digest.update(c.fingerprint);
            }
            self.consents_appended += fresh.len() as u64;
        }
        Ok(())
    }
}

pub(crate) fn consent_record(
    c: &ConsentRow,
    stakeholder_id: i64,
    recorded_at: String,
    expires_at: Option<String>,
    tk: &TenantKeys,
) -> ConsentRecord {
    ConsentRecord {
        external_id: c.id.clone(),
        version: c.version.unwrap_or(1),
        stakeholder_id,
        purpose: c.purpose.clone(),
        lawful_basis: c.lawful_basis.as_str().to_owned(),
        status: c.status.as_str().to_owned(),
        jurisdiction: c.jurisdiction.clone(),
        recorded_at,
        expires_at,
        notice_id: c.notice_id.clone(),
        notice_version: c.notice_version,
        method: c.method.as_str().to_owned(),
        source: c.source.clone(),
        evidence_ref: c.evidence_ref.clone(),
        actor: c.actor.clone(),
        explicit: c.explicit.unwrap_or(false),
        given_by: c.given_by.unwrap_or_default().as_str().to_owned(),
        fingerprint: fingerprint_of(tk, ImportKind::Consents, c),
    }
}

//! The action gate's records: pinned policy bundles, actions with their
//! verdicts, each targeted person's outcome, reviews, executions and
//! disclosures; and the reads that resolve a target (a run's segment or top
//! scores) and gather a population's protected attributes.
//!
//! Each verdict, review and execution queues its audit log entry (an
//! [`ActionEntryNote`]) in the outbox in the same transaction that commits
//! it, and links the note to the action (`action_log_entries`); the entry's
//! position and leaf hash are pinned there once the log has appended it.
//!
//! Exactly-once execution is enforced here, not by callers: executing is a
//! conditional update from an executable status inside the transaction
//! that records the disclosures, so of two concurrent executions one
//! commits and the other changes nothing (and a trigger refuses any move
//! back).

use crate::keystore::unhex;
use crate::records::Tenant;
use crate::{AuditNote, Result, Store, StoreError};

/// The audit log entry of one event of an action (`verdict`, `approval`,
/// `rejection`, `execution`, `disclosure`), queued with the write that
/// commits the event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionEntryNote {
    pub event: String,
    pub note: AuditNote,
}

/// An action's log entry as linked in the store: the note it came from and,
/// once the log appended it, where it landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredActionEntry {
    pub event: String,
    pub note_uid: [u8; 16],
    pub log_id: String,
    pub seq: Option<i64>,
    pub leaf_hash: Option<String>,
}

/// Queues the notes of an action's events and links them to the action.
async fn queue_action_entries(
    conn: &mut sqlx::SqliteConnection,
    action_id: &str,
    entries: &[ActionEntryNote],
) -> Result<()> {
    let notes: Vec<AuditNote> = entries.iter().map(|e| e.note.clone()).collect();
    crate::audit_log::queue_notes(&mut *conn, &notes).await?;
    for e in entries {
        sqlx::query(
            "INSERT INTO action_log_entries (action_id, event, note_uid, log_id) VALUES (?, ?, ?, ?)",
        )
        .bind(action_id)
        .bind(&e.event)
        .bind(&e.note.uid[..])
        .bind(&e.note.log_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A new action with its verdict.
#[derive(Clone, Debug)]
pub struct NewAction<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub purpose: &'a str,
    pub run_id: Option<&'a str>,
    pub policy_hash: &'a str,
    pub policy_content: &'a str,
    pub requested_at: &'a str,
    pub outcome: &'a str,
    pub verdict: &'a str,
    pub population: &'a [u8],
    pub status: &'a str,
}

/// One targeted person's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionSubjectRow<'a> {
    pub stakeholder_id: i64,
    pub included: bool,
    pub review: bool,
    pub reasons: &'a str,
    pub records: &'a str,
}

/// An action being recorded: one open write transaction (see
/// [`Store::begin_action`]).
#[derive(Debug)]
pub struct ActionWriter {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    action_id: String,
}

impl ActionWriter {
    /// Writes some targeted people's outcomes, in multi-row inserts of 6
    /// parameters a row (well under SQLite's limit of parameters, and the
    /// same statement every full chunk, so it is prepared once).
    pub async fn add_subjects(&mut self, subjects: &[ActionSubjectRow<'_>]) -> Result<()> {
        for chunk in subjects.chunks(5_000) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO action_subjects (action_id, stakeholder_id, included, review, reasons, records) ",
            );
            qb.push_values(chunk, |mut b, s| {
                b.push_bind(self.action_id.as_str())
                    .push_bind(s.stakeholder_id)
                    .push_bind(s.included)
                    .push_bind(s.review)
                    .push_bind(s.reasons)
                    .push_bind(s.records);
            });
            qb.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Writes the action with its verdict, the policy bundle it pinned (if
    /// not stored yet) and the verdict's audit log entry, and commits.
    pub async fn finish(
        mut self,
        tenant: &Tenant,
        a: &NewAction<'_>,
        entries: &[ActionEntryNote],
    ) -> Result<()> {
        // An action row under another id would leave the outcomes written
        // so far without their action: the deferred foreign key check then
        // refuses the commit.
        let tx = &mut self.tx;
        sqlx::query(
            "INSERT INTO policy_bundles (tenant_id, hash, content, stored_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT DO NOTHING",
        )
        .bind(tenant.id)
        .bind(a.policy_hash)
        .bind(a.policy_content)
        .bind(a.requested_at)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO actions (id, tenant_id, kind, purpose, run_id, policy_hash, requested_at, outcome, \
             verdict, population, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(a.id)
        .bind(tenant.id)
        .bind(a.kind)
        .bind(a.purpose)
        .bind(a.run_id)
        .bind(a.policy_hash)
        .bind(a.requested_at)
        .bind(a.outcome)
        .bind(a.verdict)
        .bind(a.population)
        .bind(a.status)
        .execute(&mut **tx)
        .await?;
        queue_action_entries(tx, a.id, entries).await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// An action as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredAction {
    pub id: String,
    pub kind: String,
    pub purpose: String,
    pub run_id: Option<String>,
    pub policy_hash: String,
    pub requested_at: String,
    pub outcome: String,
    pub verdict: String,
    pub status: String,
    pub reviewer: Option<String>,
    pub review_note: Option<String>,
    pub reviewed_at: Option<String>,
    pub executed_at: Option<String>,
    pub execution: Option<String>,
}

/// One targeted person's stored outcome, with their external id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredActionSubject {
    pub stakeholder_id: i64,
    pub external_id: String,
    pub subject: [u8; 16],
    pub erased: bool,
    pub included: bool,
    pub review: bool,
    pub reasons: String,
    pub records: String,
    pub final_included: Option<bool>,
    pub final_reasons: Option<String>,
}

/// The consent re-check of one person at execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalOutcome {
    pub stakeholder_id: i64,
    pub included: bool,
    pub reasons: String,
}

/// A disclosure to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDisclosure {
    pub stakeholder_id: i64,
    pub recipient: String,
    pub recipient_key: String,
    pub purpose: String,
    pub fields: String,
}

/// A recorded disclosure.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredDisclosure {
    pub action_id: String,
    pub recipient: String,
    pub recipient_key: String,
    pub purpose: String,
    pub fields: String,
    pub disclosed_at: String,
}

/// The disclosures of a tenant grouped by recipient and purpose.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RecipientSummary {
    pub recipient: String,
    pub purpose: String,
    pub fields: String,
    pub subjects: i64,
    pub actions: i64,
    pub first: String,
    pub last: String,
}

/// An action a person was targeted by, for their access export.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SubjectActionRow {
    pub action_id: String,
    pub kind: String,
    pub purpose: String,
    pub requested_at: String,
    pub outcome: String,
    pub status: String,
    pub included: bool,
    pub review: bool,
    pub reasons: String,
    pub records: String,
    pub final_included: Option<bool>,
    pub final_reasons: Option<String>,
    pub executed_at: Option<String>,
}

/// A scored member of a run's population.
#[derive(Clone, Debug, PartialEq)]
pub struct RunMember {
    pub stakeholder_id: i64,
    pub external_id: String,
    pub score: f64,
    pub label: Option<String>,
}

/// A customer's sealed protected attributes, for the fairness audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedAttributes {
    pub stakeholder_id: i64,
    pub subject: [u8; 16],
    pub gender: Option<Vec<u8>>,
    pub age_band: Option<Vec<u8>>,
}

/// A customer's sealed list fields, for an executed action's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedListFields {
    pub stakeholder_id: i64,
    pub subject: [u8; 16],
    pub name: Option<Vec<u8>>,
    pub email: Option<Vec<u8>>,
    pub phone: Option<Vec<u8>>,
    pub address: Option<Vec<u8>>,
}

const SELECT_ACTIONS: &str =
    "SELECT id, kind, purpose, run_id, policy_hash, requested_at, outcome, verdict, \
     status, reviewer, review_note, reviewed_at, executed_at, execution FROM actions";

fn decode_error(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("unreadable {what} in a packed gate read").into(),
    ))
}

fn opt_blob(hex: &str) -> Result<Option<Vec<u8>>> {
    if hex.is_empty() {
        Ok(None)
    } else {
        unhex(hex)
            .map(Some)
            .ok_or_else(|| decode_error("sealed field"))
    }
}

fn subject_of(hex: &str) -> Result<[u8; 16]> {
    let bytes = unhex(hex).ok_or_else(|| decode_error("subject"))?;
    Ok(crate::to_16(&bytes))
}

impl Store {
    /// The highest consent row of a tenant (0 with none): the ledger as it
    /// stands now, for a verdict to pin.
    pub async fn consent_watermark(&self, tenant: &Tenant) -> Result<i64> {
        let (max,): (Option<i64>,) =
            sqlx::query_as("SELECT max(id) FROM consents WHERE tenant_id = ?")
                .bind(tenant.id)
                .fetch_one(&self.pool)
                .await?;
        Ok(max.unwrap_or(0))
    }

    /// The consent records of the customers in `(after, until]` as the ledger
    /// stood at `watermark`: only rows up to that consent row. Packed like
    /// [`Store::ledger_page`] but read from the evidence table itself.
    pub async fn ledger_page_at(
        &self,
        tenant: &Tenant,
        after: i64,
        until: i64,
        watermark: i64,
    ) -> Result<crate::LedgerPage> {
        let mut page = self.ledger_page(tenant, after, until).await?;
        let (packed,): (Option<String>,) = sqlx::query_as(&format!(
            "SELECT group_concat({}, char(10)) FROM consents \
             WHERE tenant_id = ? AND stakeholder_id > ? AND stakeholder_id <= ? AND id <= ?",
            crate::consent::PACKED_CONSENT
        ))
        .bind(tenant.id)
        .bind(after)
        .bind(until)
        .bind(watermark)
        .fetch_one(&self.pool)
        .await?;
        let mut consents: Vec<crate::StoredConsent> = packed
            .as_deref()
            .unwrap_or("")
            .split('\n')
            .filter(|l| !l.is_empty())
            .filter_map(crate::consent::parse_consent)
            .collect();
        consents.sort_by_key(|c| c.stakeholder_id);
        page.consents = consents;
        Ok(page)
    }

    /// The stored canonical text of a policy bundle.
    pub async fn policy_bundle(&self, tenant: &Tenant, hash: &str) -> Result<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT content FROM policy_bundles WHERE tenant_id = ? AND hash = ?")
                .bind(tenant.id)
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(c,)| c))
    }

    /// Records an action, its verdict and every targeted person's outcome,
    /// the policy bundle it pinned (if not stored yet) and the verdict's
    /// audit log entry, in one transaction.
    pub async fn record_action(
        &self,
        tenant: &Tenant,
        a: &NewAction<'_>,
        subjects: &[ActionSubjectRow<'_>],
        entries: &[ActionEntryNote],
    ) -> Result<()> {
        let mut w = self.begin_action(a.id).await?;
        w.add_subjects(subjects).await?;
        w.finish(tenant, a, entries).await
    }

    /// Starts recording an action whose verdict is still being made: the
    /// outcomes of its targeted people can be written while the rest are
    /// decided, and [`ActionWriter::finish`] writes the verdict and commits,
    /// all in one transaction. Foreign keys are checked at commit, since the
    /// outcomes are written before the action row they belong to; dropping
    /// the writer rolls everything back.
    pub async fn begin_action(&self, action_id: &str) -> Result<ActionWriter> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("PRAGMA defer_foreign_keys = ON")
            .execute(&mut *tx)
            .await?;
        Ok(ActionWriter {
            tx,
            action_id: action_id.to_owned(),
        })
    }

    /// The log entries of an action's events, in the order of its life
    /// (verdict, review, execution, disclosure).
    pub async fn action_entries(
        &self,
        tenant: &Tenant,
        action_id: &str,
    ) -> Result<Vec<StoredActionEntry>> {
        type Row = (String, Vec<u8>, String, Option<i64>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT e.event, e.note_uid, e.log_id, e.log_seq, e.log_leaf FROM action_log_entries e \
             JOIN actions a ON a.id = e.action_id WHERE a.tenant_id = ? AND e.action_id = ? \
             ORDER BY CASE e.event WHEN 'verdict' THEN 0 WHEN 'approval' THEN 1 WHEN 'rejection' THEN 1 \
             WHEN 'execution' THEN 2 ELSE 3 END",
        )
        .bind(tenant.id)
        .bind(action_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(event, uid, log_id, seq, leaf)| StoredActionEntry {
                event,
                note_uid: crate::to_16(&uid),
                log_id,
                seq,
                leaf_hash: leaf,
            })
            .collect())
    }

    /// Pins where an action's entry landed in the log. A pin is set once:
    /// setting it again changes nothing.
    pub async fn pin_action_entry(
        &self,
        action_id: &str,
        event: &str,
        seq: i64,
        leaf_hash: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE action_log_entries SET log_seq = ?, log_leaf = ? \
             WHERE action_id = ? AND event = ? AND log_seq IS NULL",
        )
        .bind(seq)
        .bind(leaf_hash)
        .bind(action_id)
        .bind(event)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One action of a tenant.
    pub async fn action(&self, tenant: &Tenant, id: &str) -> Result<Option<StoredAction>> {
        Ok(
            sqlx::query_as(&format!("{SELECT_ACTIONS} WHERE tenant_id = ? AND id = ?"))
                .bind(tenant.id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The tenant an action belongs to (action ids are unique across
    /// tenants).
    pub async fn action_tenant(&self, id: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT t.name FROM actions a JOIN tenants t ON t.id = a.tenant_id WHERE a.id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(n,)| n))
    }

    /// The actions of a tenant, newest first.
    pub async fn actions(&self, tenant: &Tenant) -> Result<Vec<StoredAction>> {
        Ok(sqlx::query_as(&format!(
            "{SELECT_ACTIONS} WHERE tenant_id = ? ORDER BY requested_at DESC, id"
        ))
        .bind(tenant.id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The actions requested on a run, oldest first.
    pub async fn actions_on_run(&self, tenant: &Tenant, run_id: &str) -> Result<Vec<StoredAction>> {
        Ok(sqlx::query_as(&format!(
            "{SELECT_ACTIONS} WHERE tenant_id = ? AND run_id = ? ORDER BY requested_at, id"
        ))
        .bind(tenant.id)
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The source population an action's verdict was made over.
    pub async fn action_population(&self, tenant: &Tenant, id: &str) -> Result<Vec<u8>> {
        let row: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT population FROM actions WHERE tenant_id = ? AND id = ?")
                .bind(tenant.id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(p,)| p).unwrap_or_default())
    }

    /// Every targeted person of an action with their outcome, in row-id
    /// order.
    pub async fn action_subjects(
        &self,
        tenant: &Tenant,
        action_id: &str,
    ) -> Result<Vec<StoredActionSubject>> {
        const FIELD: char = '\u{1f}';
        let (packed,): (Option<String>,) = sqlx::query_as(
            "SELECT group_concat(x.stakeholder_id || char(31) || s.external_id || char(31) || hex(s.subject) || char(31) \
             || (s.erased_at IS NOT NULL) || char(31) || x.included || char(31) || x.review || char(31) || x.reasons \
             || char(31) || x.records || char(31) || coalesce(x.final, '-') || char(31) || coalesce(x.final_reasons, ''), char(30)) \
             FROM action_subjects x JOIN actions a ON a.id = x.action_id JOIN stakeholders s ON s.id = x.stakeholder_id \
             WHERE a.tenant_id = ? AND x.action_id = ?",
        )
        .bind(tenant.id)
        .bind(action_id)
        .fetch_one(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in packed.as_deref().unwrap_or("").split('\u{1e}') {
            if row.is_empty() {
                continue;
            }
            let f: Vec<&str> = row.split(FIELD).collect();
            if f.len() != 10 {
                return Err(decode_error("action subject"));
            }
            out.push(StoredActionSubject {
                stakeholder_id: f[0].parse().map_err(|_| decode_error("row id"))?,
                external_id: f[1].to_owned(),
                subject: subject_of(f[2])?,
                erased: f[3] == "1",
                included: f[4] == "1",
                review: f[5] == "1",
                reasons: f[6].to_owned(),
                records: f[7].to_owned(),
                final_included: match f[8] {
                    "-" => None,
                    v => Some(v == "1"),
                },
                final_reasons: (!f[9].is_empty()).then(|| f[9].to_owned()),
            });
        }
        out.sort_by_key(|s| s.stakeholder_id);
        Ok(out)
    }

    /// Records a review with its audit log entry: a `pending_review` action
    /// becomes `approved` or `rejected`. Returns false when the action is
    /// not pending review (a second review changes nothing and queues
    /// nothing).
    #[allow(clippy::too_many_arguments)]
    pub async fn review_action(
        &self,
        tenant: &Tenant,
        id: &str,
        approve: bool,
        reviewer: &str,
        note: Option<&str>,
        at: &str,
        entry: &ActionEntryNote,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE actions SET status = ?, reviewer = ?, review_note = ?, reviewed_at = ? \
             WHERE tenant_id = ? AND id = ? AND status = 'pending_review'",
        )
        .bind(if approve { "approved" } else { "rejected" })
        .bind(reviewer)
        .bind(note)
        .bind(at)
        .bind(tenant.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        queue_action_entries(&mut tx, id, std::slice::from_ref(entry)).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Executes an action exactly once: in one transaction, the action moves
    /// from `ready` or `approved` to `executed`, each person's final outcome
    /// is recorded, every disclosure is appended, and the audit log entries
    /// of the execution and its disclosure are queued. Returns false, having
    /// changed nothing, when the action was not executable (already
    /// executed, by this process or a concurrent one, or never allowed).
    #[allow(clippy::too_many_arguments)]
    pub async fn execute_action(
        &self,
        tenant: &Tenant,
        id: &str,
        at: &str,
        execution: &str,
        finals: &[FinalOutcome],
        disclosures: &[NewDisclosure],
        entries: &[ActionEntryNote],
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let claimed = sqlx::query(
            "UPDATE actions SET status = 'executed', executed_at = ?, execution = ? \
             WHERE tenant_id = ? AND id = ? AND status IN ('ready', 'approved')",
        )
        .bind(at)
        .bind(execution)
        .bind(tenant.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        for f in finals {
            sqlx::query(
                "UPDATE action_subjects SET final = ?, final_reasons = ? WHERE action_id = ? AND stakeholder_id = ?",
            )
            .bind(f.included)
            .bind(&f.reasons)
            .bind(id)
            .bind(f.stakeholder_id)
            .execute(&mut *tx)
            .await?;
        }
        for chunk in disclosures.chunks(4_000) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO disclosures (tenant_id, stakeholder_id, action_id, recipient, recipient_key, purpose, \
                 fields, disclosed_at) ",
            );
            qb.push_values(chunk, |mut b, d| {
                b.push_bind(tenant.id)
                    .push_bind(d.stakeholder_id)
                    .push_bind(id)
                    .push_bind(&d.recipient)
                    .push_bind(&d.recipient_key)
                    .push_bind(&d.purpose)
                    .push_bind(&d.fields)
                    .push_bind(at);
            });
            qb.build().execute(&mut *tx).await?;
        }
        queue_action_entries(&mut tx, id, entries).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Every disclosure of one person's data, oldest first.
    pub async fn disclosures_of(
        &self,
        tenant: &Tenant,
        stakeholder_id: i64,
    ) -> Result<Vec<StoredDisclosure>> {
        Ok(sqlx::query_as(
            "SELECT action_id, recipient, recipient_key, purpose, fields, disclosed_at FROM disclosures \
             WHERE tenant_id = ? AND stakeholder_id = ? ORDER BY disclosed_at, id",
        )
        .bind(tenant.id)
        .bind(stakeholder_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The tenant's recipients: disclosures grouped by recipient, purpose
    /// and fields.
    pub async fn recipients(&self, tenant: &Tenant) -> Result<Vec<RecipientSummary>> {
        Ok(sqlx::query_as(
            "SELECT recipient, purpose, fields, count(DISTINCT stakeholder_id) AS subjects, \
             count(DISTINCT action_id) AS actions, min(disclosed_at) AS first, max(disclosed_at) AS last \
             FROM disclosures WHERE tenant_id = ? GROUP BY recipient, purpose, fields ORDER BY recipient, purpose",
        )
        .bind(tenant.id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every action that targeted one person, oldest first.
    pub async fn actions_of(
        &self,
        tenant: &Tenant,
        stakeholder_id: i64,
    ) -> Result<Vec<SubjectActionRow>> {
        Ok(sqlx::query_as(
            "SELECT a.id AS action_id, a.kind, a.purpose, a.requested_at, a.outcome, a.status, x.included, \
             x.review, x.reasons, x.records, x.final AS final_included, x.final_reasons, a.executed_at \
             FROM action_subjects x JOIN actions a ON a.id = x.action_id \
             WHERE a.tenant_id = ? AND x.stakeholder_id = ? ORDER BY a.requested_at, a.id",
        )
        .bind(tenant.id)
        .bind(stakeholder_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The latest successful, original (not replayed) run of a segmenter
    /// installation of the tenant that labelled someone `label`.
    pub async fn latest_segment_run(&self, tenant: &Tenant, label: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT r.id FROM plugin_runs r JOIN plugin_installations i ON i.id = r.installation_id \
             WHERE r.tenant_id = ? AND r.status = 'succeeded' AND r.replay_of IS NULL AND i.kind = 'segmenter' \
             AND EXISTS (SELECT 1 FROM plugin_outputs o WHERE o.run_id = r.id AND o.label = ?) \
             ORDER BY r.started_at DESC, r.id DESC LIMIT 1",
        )
        .bind(tenant.id)
        .bind(label)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id,)| id))
    }

    /// The kind of the installation a run belongs to (`scorer`,
    /// `segmenter`, `supplier-rater`).
    pub async fn run_kind(&self, tenant: &Tenant, run_id: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT i.kind FROM plugin_runs r JOIN plugin_installations i ON i.id = r.installation_id \
             WHERE r.tenant_id = ? AND r.id = ?",
        )
        .bind(tenant.id)
        .bind(run_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(k,)| k))
    }

    /// Every scored member of a run, in row-id order, read in pages of row
    /// ids and packed like the other bulk reads.
    pub async fn run_members(&self, tenant: &Tenant, run_id: &str) -> Result<Vec<RunMember>> {
        const PAGE: i64 = 100_000;
        let max = self.max_stakeholder_row(tenant).await?;
        let mut out = Vec::new();
        let mut after = 0;
        while after < max {
            let (packed,): (Option<String>,) = sqlx::query_as(
                "SELECT group_concat(o.stakeholder_id || char(31) || s.external_id || char(31) || printf('%!.17g', o.score) \
                 || char(31) || coalesce(o.label, char(24)), char(30)) \
                 FROM plugin_outputs o JOIN stakeholders s ON s.id = o.stakeholder_id \
                 WHERE o.run_id = ? AND o.stakeholder_id > ? AND o.stakeholder_id <= ? AND s.tenant_id = ?",
            )
            .bind(run_id)
            .bind(after)
            .bind(after + PAGE)
            .bind(tenant.id)
            .fetch_one(&self.pool)
            .await?;
            for row in packed.as_deref().unwrap_or("").split('\u{1e}') {
                if row.is_empty() {
                    continue;
                }
                let f: Vec<&str> = row.split('\u{1f}').collect();
                if f.len() != 4 {
                    return Err(decode_error("run member"));
                }
                out.push(RunMember {
                    stakeholder_id: f[0].parse().map_err(|_| decode_error("row id"))?,
                    external_id: f[1].to_owned(),
                    score: f[2].parse().map_err(|_| decode_error("score"))?,
                    label: (f[3] != "\u{18}").then(|| f[3].to_owned()),
                });
            }
            after += PAGE;
        }
        out.sort_by_key(|m| m.stakeholder_id);
        Ok(out)
    }

    /// Every stakeholder of a tenant as `(row id, kind, erased, external id)`,
    /// in row-id order, handed to `visit` a page at a time without copying
    /// the external ids: resolving a list of a million external ids needs
    /// only these, and a borrowed id costs no allocation per stakeholder.
    pub async fn visit_stakeholder_names(
        &self,
        tenant: &Tenant,
        mut visit: impl FnMut(i64, rapport_domain::StakeholderKind, bool, &str),
    ) -> Result<()> {
        const PAGE: i64 = 100_000;
        let max = self.max_stakeholder_row(tenant).await?;
        let mut after = 0;
        while after < max {
            let (packed,): (Option<String>,) = sqlx::query_as(
                "SELECT group_concat(id || ' ' || kind || ' ' || (erased_at IS NOT NULL) || ' ' || external_id, char(10)) \
                 FROM stakeholders WHERE id > ? AND id <= ? AND +tenant_id = ?",
            )
            .bind(after)
            .bind(after + PAGE)
            .bind(tenant.id)
            .fetch_one(&self.pool)
            .await?;
            for line in packed.as_deref().unwrap_or("").split('\n') {
                if line.is_empty() {
                    continue;
                }
                let mut f = line.splitn(4, ' ');
                let (Some(id), Some(kind), Some(erased), Some(external_id)) =
                    (f.next(), f.next(), f.next(), f.next())
                else {
                    return Err(decode_error("stakeholder name"));
                };
                let id = id.parse().map_err(|_| decode_error("row id"))?;
                let kind = rapport_domain::StakeholderKind::parse(kind)
                    .ok_or_else(|| decode_error("kind"))?;
                visit(id, kind, erased == "1", external_id);
            }
            after += PAGE;
        }
        Ok(())
    }

    /// The sealed gender and age band of the unerased customers in
    /// `(after, until]`, in row-id order.
    pub async fn protected_attributes_page(
        &self,
        tenant: &Tenant,
        after: i64,
        until: i64,
    ) -> Result<Vec<SealedAttributes>> {
        let (packed,): (Option<String>,) = sqlx::query_as(
            "SELECT group_concat(id || ' ' || hex(subject) || ' ' || hex(coalesce(gender_sealed, x'')) || ' ' \
             || hex(coalesce(age_band_sealed, x'')), char(10)) FROM stakeholders \
             WHERE id > ? AND id <= ? AND +tenant_id = ? AND kind = 'customer' AND erased_at IS NULL",
        )
        .bind(after)
        .bind(until)
        .bind(tenant.id)
        .fetch_one(&self.pool)
        .await?;
        let mut out = Vec::new();
        for line in packed.as_deref().unwrap_or("").split('\n') {
            if line.is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split(' ').collect();
            if f.len() != 4 {
                return Err(decode_error("protected attributes"));
            }
            out.push(SealedAttributes {
                stakeholder_id: f[0].parse().map_err(|_| decode_error("row id"))?,
                subject: subject_of(f[1])?,
                gender: opt_blob(f[2])?,
                age_band: opt_blob(f[3])?,
            });
        }
        out.sort_by_key(|a| a.stakeholder_id);
        Ok(out)
    }

    /// The sealed name, e-mail, phone and address of some stakeholders, by
    /// row id, for an executed action's list.
    pub async fn list_fields(&self, tenant: &Tenant, ids: &[i64]) -> Result<Vec<SealedListFields>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(20_000) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "SELECT group_concat(id || ' ' || hex(subject) || ' ' || hex(coalesce(name_sealed, x'')) || ' ' \
                 || hex(coalesce(email_sealed, x'')) || ' ' || hex(coalesce(phone_sealed, x'')) || ' ' \
                 || hex(coalesce(address_sealed, x'')), char(10)) FROM stakeholders WHERE erased_at IS NULL AND +tenant_id = ",
            );
            qb.push_bind(tenant.id);
            qb.push(" AND id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            sep.push_unseparated(")");
            let (packed,): (Option<String>,) = qb.build_query_as().fetch_one(&self.pool).await?;
            for line in packed.as_deref().unwrap_or("").split('\n') {
                if line.is_empty() {
                    continue;
                }
                let f: Vec<&str> = line.split(' ').collect();
                if f.len() != 6 {
                    return Err(decode_error("list fields"));
                }
                out.push(SealedListFields {
                    stakeholder_id: f[0].parse().map_err(|_| decode_error("row id"))?,
                    subject: subject_of(f[1])?,
                    name: opt_blob(f[2])?,
                    email: opt_blob(f[3])?,
                    phone: opt_blob(f[4])?,
                    address: opt_blob(f[5])?,
                });
            }
        }
        out.sort_by_key(|f| f.stakeholder_id);
        Ok(out)
    }

    /// Stakeholders of a tenant by kind: how many, and how many erased.
    pub async fn stakeholder_kinds(&self, tenant: &Tenant) -> Result<Vec<(String, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT kind, count(*), count(erased_at) FROM stakeholders WHERE tenant_id = ? GROUP BY kind ORDER BY kind",
        )
        .bind(tenant.id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Consent records of a tenant by purpose: how many record versions,
    /// about how many people.
    pub async fn consent_purposes(&self, tenant: &Tenant) -> Result<Vec<(String, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT purpose, count(*), count(DISTINCT stakeholder_id) FROM consents WHERE tenant_id = ? \
             GROUP BY purpose ORDER BY purpose",
        )
        .bind(tenant.id)
        .fetch_all(&self.pool)
        .await?)
    }
}

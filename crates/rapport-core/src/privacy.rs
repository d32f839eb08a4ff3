//! Data-subject rights: requests with their legal clocks, access and
//! portability exports (GDPR Art. 15, 20), erasure (Art. 17), rectification
//! (Art. 16), and the retention sweep (Art. 5(1)(e)).
//!
//! Erasure, as decided here:
//!
//! * the subject's data key is destroyed (crypto-shredding, through
//!   [`Platform::destroy_subject_key`], which also records the erasure in the
//!   key store, where backups of the main store cannot undo it);
//! * the main store's row loses its sealed fields, signup date and row
//!   fingerprint, and its external id becomes a pseudonym: `erased#` and the
//!   first 16 bytes, in hex, of the tenant-keyed MAC of the original id
//!   (`TenantKeys::fingerprint("tombstone", id)`). Only someone holding the
//!   tenant's keys can tell which id it was, and only by asking about a given
//!   id: which is exactly what the importer does, so a later import of the
//!   same id finds the tombstone and never brings the person back;
//! * interactions keep their kind, date and scores but lose their text;
//! * transactions, deliveries and referrals stay for bookkeeping, consent
//!   records and privacy requests as evidence (Art. 17(3)(b), (e); 7(1)),
//!   all linked to the pseudonym only.
//!
//! Every request is recorded with its clock (see
//! `rapport_domain::privacy`); an export, erasure or rectification either
//! completes an existing request or records a completed one.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use rapport_domain::privacy::{
    self as rules, LatestRecord, Regime, RequestKind, RequestStatus, RetentionPurpose,
};
use rapport_domain::rows::LawfulBasis;
use rapport_domain::time_fmt::{format_date, parse_date, parse_instant};
use rapport_domain::{ImportKind, StakeholderKind};
use rapport_store::{
    NewPrivacyRequest, StakeholderProfile, StakeholderRef, StoreError, StoredPrivacyRequest,
    Tenant, PSEUDONYM_PREFIX,
};
use rapport_vault::{SubjectId, SubjectKey, TenantKeys};
use serde::Serialize;
use serde_json::{json, Value};
use time::{Date, OffsetDateTime};
use zeroize::Zeroizing;

use crate::audit_log::subject_ref;
use crate::consent::jurisdiction_of;
use crate::platform::to_wrapped;
use crate::EntryKind;
use crate::{now, CoreError, Platform, Profile};

/// Requests due within this many days get a warning.
pub const WARN_DAYS: i64 = 7;

/// The format name at the top of every export.
pub const EXPORT_FORMAT: &str = "rapport.subject-export.v1";

/// The pseudonym that replaces an erased subject's external id.
pub(crate) fn pseudonym(tk: &TenantKeys, external_id: &str) -> String {
    let mac = tk.fingerprint("tombstone", external_id.as_bytes());
    format!("{PSEUDONYM_PREFIX}{}", hex::encode(&mac[..16]))
}

fn is_pseudonym(external_id: &str) -> bool {
    external_id.starts_with(PSEUDONYM_PREFIX)
}

/// The importer's view of an id: the stakeholder stored under it, or, when
/// the tenant has erased subjects (`tk` given), the tombstone of an erased
/// one, so that its rows are counted as `skipped_erased` and never re-created.
pub(crate) fn lookup<'a>(
    index: &'a HashMap<String, StakeholderRef>,
    tk: Option<&TenantKeys>,
    id: &str,
) -> Option<&'a StakeholderRef> {
    index
        .get(id)
        .or_else(|| tk.and_then(|tk| index.get(&pseudonym(tk, id))))
}

/// Whether an import index holds erased subjects (only then is the
/// tombstone worth a MAC per unknown id).
pub(crate) fn has_tombstones(index: &HashMap<String, StakeholderRef>) -> bool {
    index.values().any(|r| r.erased)
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

fn date_arg(what: &str, value: Option<&str>) -> Result<Date, CoreError> {
    match value {
        None => Ok(today()),
        Some(v) => parse_date(v).map_err(|reason| CoreError::Invalid(format!("{what}: {reason}"))),
    }
}

fn request_kind(s: &str) -> Result<RequestKind, CoreError> {
    RequestKind::parse(s).ok_or_else(|| {
        let known: Vec<&str> = RequestKind::ALL.iter().map(|k| k.as_str()).collect();
        CoreError::Invalid(format!(
            "unknown request kind `{s}` (expected one of: {})",
            known.join(", ")
        ))
    })
}

fn regime(jurisdiction: &str) -> Result<Regime, CoreError> {
    Regime::of(jurisdiction).ok_or_else(|| {
        CoreError::Invalid(format!(
            "no legal clock is defined for jurisdiction `{jurisdiction}` (known: {})",
            rules::KNOWN_JURISDICTIONS
        ))
    })
}

/// A privacy request as listed, with the time left on its clock.
#[derive(Clone, Debug, Serialize)]
pub struct PrivacyRequestView {
    pub id: i64,
    /// The subject's external id (its pseudonym once erased).
    pub subject: String,
    pub kind: String,
    pub jurisdiction: String,
    pub received_at: String,
    pub due_at: String,
    pub extended_due_at: Option<String>,
    pub confirmation_due_at: Option<String>,
    pub status: String,
    pub completed_at: Option<String>,
    pub extension_reason: Option<String>,
    pub outcome: Option<String>,
    /// Days until the deadline in force (negative when overdue); only for
    /// pending requests.
    pub days_left: Option<i64>,
    /// Set for a pending request that is overdue or due within [`WARN_DAYS`].
    pub warning: Option<String>,
}

impl PrivacyRequestView {
    fn new(r: StoredPrivacyRequest, today: Date) -> Self {
        let pending = RequestStatus::parse(&r.status).is_some_and(RequestStatus::is_pending);
        let deadline = r.extended_due_at.as_deref().unwrap_or(&r.due_at);
        let days_left = pending
            .then(|| parse_date(deadline).ok())
            .flatten()
            .map(|d| rules::days_left(today, d));
        let warning = days_left.and_then(|n| {
            (n <= WARN_DAYS).then(|| {
                let what = format!("request {} ({} of {})", r.id, r.kind, r.subject);
                match n {
                    n if n < 0 => format!("{what} is overdue by {} day(s) (due {deadline})", -n),
                    0 => format!("{what} is due today ({deadline})"),
                    n => format!("{what} is due in {n} day(s) ({deadline})"),
                }
            })
        });
        PrivacyRequestView {
            id: r.id,
            subject: r.subject,
            kind: r.kind,
            jurisdiction: r.jurisdiction,
            received_at: r.received_at,
            due_at: r.due_at,
            extended_due_at: r.extended_due_at,
            confirmation_due_at: r.confirmation_due_at,
            status: r.status,
            completed_at: r.completed_at,
            extension_reason: r.extension_reason,
            outcome: r.outcome,
            days_left,
            warning,
        }
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Serialize)]
pub struct ExportReport {
    pub tenant: String,
    /// The subject's external id (its pseudonym when erased).
    pub subject: String,
    pub erased: bool,
    pub out: PathBuf,
    pub bytes: u64,
    pub recipient: String,
    /// Records in the export, by section.
    pub counts: BTreeMap<String, u64>,
    pub request_id: i64,
}

/// What an erasure did.
#[derive(Clone, Debug, Serialize)]
pub struct ErasureReport {
    pub tenant: String,
    /// The pseudonym that now stands for the subject.
    pub pseudonym: String,
    pub erased_at: String,
    /// False when the data key was already gone.
    pub key_destroyed: bool,
    pub already_erased: bool,
    pub request_id: Option<i64>,
    /// What was kept, linked to the pseudonym, and why.
    pub kept: Vec<String>,
    pub removed: Vec<String>,
    /// Recipients the erasure must be communicated to (GDPR Art. 17(2), 19;
    /// Cal. Civ. Code §1798.105(c)): everyone an executed action disclosed
    /// the subject's data to, from the disclosure records.
    pub recipients_to_notify: Vec<RecipientToNotify>,
}

/// A recipient of a subject's data, from the disclosure records.
#[derive(Clone, Debug, Serialize)]
pub struct RecipientToNotify {
    pub recipient: String,
    /// The age public key the list was encrypted to.
    pub recipient_key: String,
    pub purpose: String,
    /// The fields disclosed.
    pub fields: String,
    /// The action that disclosed them, and when.
    pub action: String,
    pub disclosed_at: String,
}

/// What a rectification did.
#[derive(Clone, Debug, Serialize)]
pub struct RectificationReport {
    pub tenant: String,
    pub subject: String,
    pub field: String,
    /// A protected attribute (kept for fairness audits only).
    pub protected: bool,
    pub request_id: i64,
}

/// What a retention sweep did (or, with `dry_run`, would do).
#[derive(Clone, Debug, Serialize)]
pub struct SweepReport {
    pub tenant: String,
    pub as_of: String,
    pub dry_run: bool,
    pub rule: String,
    pub policy_version: String,
    /// Live stakeholders looked at.
    pub examined: u64,
    /// Stakeholders with no dated activity at all, left alone.
    pub undated: u64,
    /// External ids of the stakeholders erased (or to erase).
    pub erased: Vec<String>,
    pub interaction_text_retention_days: Option<u32>,
    /// Interaction texts dropped (or to drop).
    pub interaction_texts_dropped: u64,
}

pub(crate) const SWEEP_RULE: &str = "a stakeholder whose last activity (signup, transaction, interaction, consent record, delivery or referral) is older than the longest retention period of any purpose it still has a lawful basis for (legal obligations count only where transactions or deliveries exist; consent-only purposes only with a current grant; none after a withdrawal, refusal or objection) is erased; interaction text older than the customer_support purpose's retention period is dropped";

/// The purposes as the retention rule sees them.
fn retention_purposes(
    registry: &rapport_domain::consent::PurposeRegistry,
) -> Vec<RetentionPurpose<'_>> {
    registry
        .purposes()
        .iter()
        .map(|p| RetentionPurpose {
            id: p.id.as_str(),
            retention_days: p.retention_days,
            legal_obligation: p.lawful_bases.contains(&LawfulBasis::LegalObligation),
            other_basis: p
                .lawful_bases
                .iter()
                .any(|b| !matches!(b, LawfulBasis::Consent | LawfulBasis::LegalObligation)),
        })
        .collect()
}

fn sealed_fields_of(kind: StakeholderKind) -> (&'static [&'static str], &'static [&'static str]) {
    let k = match kind {
        StakeholderKind::Customer => ImportKind::Customers,
        StakeholderKind::Supplier => ImportKind::Suppliers,
        StakeholderKind::Partner => ImportKind::Partners,
    };
    (k.sealed_fields(), k.protected_fields())
}

/// Checks a rectified value the way the import schema would, without ever
/// quoting it.
fn check_value(field: &str, value: &str) -> Result<(), CoreError> {
    let bad = |why: &str| Err(CoreError::Invalid(format!("the new `{field}` {why}")));
    if value.trim().is_empty() {
        return bad("is empty");
    }
    if value.len() > 10_000 {
        return bad("is longer than 10,000 bytes");
    }
    match field {
        "email" => {
            let mut parts = value.split('@');
            let ok = matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None) if !a.is_empty() && !b.is_empty())
                && !value.chars().any(char::is_whitespace)
                && value.len() <= 320;
            if !ok {
                return bad("is not an e-mail address");
            }
        }
        "phone" => {
            let ok = (3..=41).contains(&value.len())
                && value.chars().enumerate().all(|(i, c)| {
                    c.is_ascii_digit() || " ()./-".contains(c) || (i == 0 && c == '+')
                });
            if !ok {
                return bad(
                    "is not a phone number (digits, spaces and ()./- with an optional leading +)",
                );
            }
        }
        "birth_date" if parse_date(value).is_err() => {
            return bad("is not a calendar date (expected YYYY-MM-DD)");
        }
        "gender" if value.len() > 64 => return bad("is longer than 64 bytes"),
        "age_band" if value.len() > 32 => return bad("is longer than 32 bytes"),
        _ => {}
    }
    Ok(())
}

impl Platform {
    /// A stakeholder by external id; an erased one is also found by the id it
    /// had before erasure (through its pseudonym).
    pub(crate) async fn find_stakeholder(
        &self,
        tenant: &Tenant,
        external_id: &str,
    ) -> Result<StakeholderProfile, CoreError> {
        match self.store.stakeholder(tenant, external_id).await {
            Err(StoreError::UnknownStakeholder(_)) => {
                let tk = self.tenant_keys(tenant)?;
                let p = pseudonym(&tk, external_id);
                match self.store.stakeholder(tenant, &p).await {
                    Err(StoreError::UnknownStakeholder(_)) => {
                        Err(StoreError::UnknownStakeholder(external_id.to_owned()).into())
                    }
                    other => Ok(other?),
                }
            }
            other => Ok(other?),
        }
    }

    /// The subject's data key, or `None` once erased.
    async fn subject_key(
        &self,
        tenant: &Tenant,
        p: &StakeholderProfile,
    ) -> Result<Option<SubjectKey>, CoreError> {
        if p.erased_at.is_some() {
            return Ok(None);
        }
        let Some(stored) = self.keys.get(tenant.uuid, p.subject).await? else {
            return Ok(None);
        };
        let tk = self.tenant_keys(tenant)?;
        Ok(Some(
            tk.unwrap_key(SubjectId(p.subject), &to_wrapped(&stored))?,
        ))
    }

    /// Logs a privacy request received on `received` (default today) and
    /// starts its clock.
    pub async fn log_privacy_request(
        &self,
        tenant: &str,
        subject: &str,
        kind: &str,
        jurisdiction: &str,
        received: Option<&str>,
    ) -> Result<PrivacyRequestView, CoreError> {
        let kind = request_kind(kind)?;
        let regime = regime(jurisdiction)?;
        let received = date_arg("--received", received)?;
        if received > today() {
            return Err(CoreError::Invalid(format!(
                "--received {} is in the future",
                format_date(received)
            )));
        }
        let t = self.store.tenant(tenant).await?;
        let p = self.find_stakeholder(&t, subject).await?;
        let clock = rules::clock(regime, kind, received);
        let new = NewPrivacyRequest {
            stakeholder_id: p.id,
            kind: kind.as_str().to_owned(),
            jurisdiction: jurisdiction.to_owned(),
            received_at: format_date(received),
            due_at: format_date(clock.due),
            confirmation_due_at: clock.confirmation_due.map(format_date),
            status: RequestStatus::Open.as_str().to_owned(),
            completed_at: None,
            outcome: None,
        };
        let subject_ref = subject_ref(&self.tenant_keys(&t)?, &p.external_id);
        let id = self
            .store
            .insert_privacy_request(&t, &new, |id| {
                self.notes_in_tx(
                    &t,
                    EntryKind::PrivacyRequest,
                    json!({
                        "event": "received",
                        "request": id,
                        "request_kind": new.kind,
                        "subject": subject_ref,
                        "jurisdiction": new.jurisdiction,
                        "received_at": new.received_at,
                        "due_at": new.due_at,
                        "confirmation_due_at": new.confirmation_due_at,
                        "status": new.status,
                    }),
                )
            })
            .await?;
        self.flush_after_commit().await;
        tracing::info!(tenant = %t.name, request = id, kind = %kind, "privacy request logged");
        Ok(PrivacyRequestView::new(
            self.store.privacy_request(&t, id).await?,
            today(),
        ))
    }

    /// A tenant's privacy requests (pending only unless `all`), earliest
    /// deadline first, with days left as of `as_of` (default today).
    pub async fn privacy_requests(
        &self,
        tenant: &str,
        all: bool,
        as_of: Option<&str>,
    ) -> Result<Vec<PrivacyRequestView>, CoreError> {
        let today = date_arg("--as-of", as_of)?;
        let t = self.store.tenant(tenant).await?;
        Ok(self
            .store
            .privacy_requests(&t, all)
            .await?
            .into_iter()
            .map(|r| PrivacyRequestView::new(r, today))
            .collect())
    }

    /// Extends a request's deadline once, as its law allows, recording the
    /// reason given to the subject with the notice of extension.
    pub async fn extend_privacy_request(
        &self,
        tenant: &str,
        id: i64,
        reason: &str,
    ) -> Result<PrivacyRequestView, CoreError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > 2000 {
            return Err(CoreError::Invalid(
                "--reason must be 1 to 2000 bytes: the reason for the delay is part of the notice to the subject".into(),
            ));
        }
        let t = self.store.tenant(tenant).await?;
        let r = self.store.privacy_request(&t, id).await?;
        let status = RequestStatus::parse(&r.status);
        if !status.is_some_and(RequestStatus::is_pending) {
            return Err(CoreError::Invalid(format!(
                "request {id} is {} and cannot be extended",
                r.status
            )));
        }
        let kind = request_kind(&r.kind)?;
        let regime = regime(&r.jurisdiction)?;
        let received = parse_date(&r.received_at).map_err(CoreError::Invalid)?;
        let extended = rules::extended_due(
            regime,
            kind,
            received,
            status == Some(RequestStatus::Extended),
            today(),
        )
        .map_err(|e| CoreError::Invalid(format!("request {id}: {e}")))?;
        // The reason goes to the subject with the notice of extension; it is
        // free text, so the log records only that there was one.
        let note = self.note_for(
            &t,
            EntryKind::PrivacyRequest,
            json!({
                "event": "extended",
                "request": id,
                "request_kind": r.kind,
                "extended_due_at": format_date(extended),
            }),
        )?;
        self.store
            .extend_privacy_request(&t, id, &format_date(extended), reason, &[note])
            .await?;
        self.flush_after_commit().await;
        Ok(PrivacyRequestView::new(
            self.store.privacy_request(&t, id).await?,
            today(),
        ))
    }

    /// Checks that request `id` is pending, about this stakeholder and of
    /// one of `kinds`, before anything is done for it.
    async fn check_request(
        &self,
        t: &Tenant,
        id: i64,
        stakeholder_id: i64,
        kinds: &[RequestKind],
    ) -> Result<(), CoreError> {
        let r = self.store.privacy_request(t, id).await?;
        if r.stakeholder_id != stakeholder_id {
            return Err(CoreError::Invalid(format!(
                "request {id} is about another subject"
            )));
        }
        if !kinds.iter().any(|k| k.as_str() == r.kind) {
            let want: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            return Err(CoreError::Invalid(format!(
                "request {id} is a{} {} request, not {}",
                if r.kind.starts_with(['a', 'e', 'o']) {
                    "n"
                } else {
                    ""
                },
                r.kind,
                want.join(" or ")
            )));
        }
        if !RequestStatus::parse(&r.status).is_some_and(RequestStatus::is_pending) {
            return Err(CoreError::Invalid(format!(
                "request {id} is already {}",
                r.status
            )));
        }
        Ok(())
    }

    /// Completes request `id`, or records a completed request of `kind`
    /// received today under the subject's jurisdiction. The audit log gets
    /// a `privacy_request` entry for the completion and, with `completion`,
    /// the entry of what was done (its body gains the request id), in the
    /// same transaction.
    async fn complete_request(
        &self,
        t: &Tenant,
        request: Option<i64>,
        p: &StakeholderProfile,
        kind: RequestKind,
        outcome: &str,
        completion: Option<(EntryKind, Value)>,
    ) -> Result<i64, CoreError> {
        let at = now();
        let subject = subject_ref(&self.tenant_keys(t)?, &p.external_id);
        let notes =
            |id: i64, received: bool| -> Result<Vec<rapport_store::AuditNote>, StoreError> {
                let mut out = Vec::new();
                if let Some((k, body)) = &completion {
                    let mut body = body.clone();
                    body["request"] = id.into();
                    out.extend(self.notes_in_tx(t, *k, body)?);
                }
                out.extend(self.notes_in_tx(
                    t,
                    EntryKind::PrivacyRequest,
                    json!({
                        "event": if received { "received_and_completed" } else { "completed" },
                        "request": id,
                        "request_kind": kind.as_str(),
                        "subject": subject,
                        "outcome": outcome,
                        "completed_at": at,
                    }),
                )?);
                Ok(out)
            };
        if let Some(id) = request {
            self.store
                .close_privacy_request(
                    t,
                    id,
                    RequestStatus::Completed.as_str(),
                    &at,
                    outcome,
                    &notes(id, false)?,
                )
                .await?;
            self.flush_after_commit().await;
            return Ok(id);
        }
        let jurisdiction = jurisdiction_of(p.country.as_deref(), p.region.as_deref())
            .unwrap_or_else(|| "unknown".to_owned());
        // A jurisdiction without a known clock runs on the shortest one, the
        // GDPR's month; the request is answered at once anyway.
        let clock = rules::clock(
            Regime::of(&jurisdiction).unwrap_or(Regime::Gdpr),
            kind,
            today(),
        );
        let id = self
            .store
            .insert_privacy_request(
                t,
                &NewPrivacyRequest {
                    stakeholder_id: p.id,
                    kind: kind.as_str().to_owned(),
                    jurisdiction,
                    received_at: format_date(today()),
                    due_at: format_date(clock.due),
                    confirmation_due_at: clock.confirmation_due.map(format_date),
                    status: RequestStatus::Completed.as_str().to_owned(),
                    completed_at: Some(at.clone()),
                    outcome: Some(outcome.to_owned()),
                },
                |id| notes(id, true),
            )
            .await?;
        self.flush_after_commit().await;
        Ok(id)
    }

    /// Everything held about one subject as one JSON document, personal
    /// fields and interaction text opened (unless erased), with the gate
    /// decisions about them and the disclosures of their data.
    async fn subject_document(
        &self,
        t: &Tenant,
        p: &StakeholderProfile,
    ) -> Result<(Value, BTreeMap<String, u64>), CoreError> {
        let key = self.subject_key(t, p).await?;
        let erased = key.is_none();
        let mut fields = BTreeMap::new();
        if let Some(key) = &key {
            for name in rapport_store::SealedFields::NAMES {
                if let Some(sealed) = p.sealed.get(name) {
                    let plain = key.open(name, sealed).map_err(|_| CoreError::Unreadable {
                        id: p.external_id.clone(),
                        field: name.to_owned(),
                    })?;
                    fields.insert(
                        name.to_owned(),
                        String::from_utf8_lossy(&plain).into_owned(),
                    );
                }
            }
        }
        let profile = Profile {
            id: p.external_id.clone(),
            kind: p.kind.as_str().to_owned(),
            country: p.country.clone(),
            region: p.region.clone(),
            signup_date: p.signup_date.clone(),
            category: p.category.clone(),
            partner_type: p.partner_type.clone(),
            fields,
        };
        let transactions: Vec<Value> = self
            .store
            .transactions_of(t, p.id)
            .await?
            .into_iter()
            .map(|x| {
                json!({"id": x.external_id, "date": x.date, "quantity": x.quantity, "amount": x.amount,
                       "currency": x.currency, "channel": x.channel})
            })
            .collect();
        let mut interactions = Vec::new();
        for x in self.store.interactions_of(t, p.id).await? {
            let text = match (&key, &x.text_sealed) {
                (Some(key), Some(sealed)) => {
                    let field = format!("interaction:{}:text", x.external_id);
                    let plain = key
                        .open(&field, sealed)
                        .map_err(|_| CoreError::Unreadable {
                            id: p.external_id.clone(),
                            field,
                        })?;
                    Some(String::from_utf8_lossy(&plain).into_owned())
                }
                _ => None,
            };
            interactions.push(
                json!({"id": x.external_id, "occurred_at": x.occurred_at, "kind": x.kind,
                "channel": x.channel, "nps": x.nps, "sentiment": x.sentiment, "text": text}),
            );
        }
        let deliveries: Vec<Value> = self
            .store
            .deliveries_of(t, p.id)
            .await?
            .into_iter()
            .map(|d| {
                json!({"id": d.external_id, "order_date": d.order_date, "promised_date": d.promised_date,
                    "delivered_date": d.delivered_date, "quantity_ordered": d.quantity_ordered,
                    "quantity_delivered": d.quantity_delivered, "quantity_accepted": d.quantity_accepted,
                    "unit_price": d.unit_price, "agreed_unit_price": d.agreed_unit_price,
                    "response_hours": d.response_hours})
            })
            .collect();
        let referrals: Vec<Value> = self
            .store
            .referrals_of(t, p.id)
            .await?
            .into_iter()
            .map(|r| json!({"id": r.external_id, "date": r.date, "role": r.role}))
            .collect();
        let consents: Vec<Value> = self
            .store
            .consents_of(t, p.id)
            .await?
            .into_iter()
            .map(|c| {
                json!({"id": c.external_id, "version": c.version, "purpose": c.purpose,
                    "lawful_basis": c.lawful_basis, "status": c.status, "jurisdiction": c.jurisdiction,
                    "recorded_at": c.recorded_at, "expires_at": c.expires_at, "notice_id": c.notice_id,
                    "notice_version": c.notice_version, "method": c.method, "source": c.source,
                    "evidence_ref": c.evidence_ref, "actor": c.actor, "explicit": c.explicit,
                    "given_by": c.given_by})
            })
            .collect();
        let requests: Vec<PrivacyRequestView> = self
            .store
            .privacy_requests_of(t, p.id)
            .await?
            .into_iter()
            .map(|r| PrivacyRequestView::new(r, today()))
            .collect();
        // Scores are personal data about the subject (GDPR Art. 4(4)
        // profiling): each with its explanation and the run that made it.
        let scores: Vec<Value> = self
            .store
            .outputs_of(t, p.id)
            .await?
            .into_iter()
            .map(|o| {
                json!({"run": o.run_id, "plugin": o.plugin_id, "version": o.version,
                    "component_digest": o.component_digest, "purpose": o.purpose, "as_of": o.as_of,
                    "score": o.score, "label": o.label,
                    "values": serde_json::from_str::<Value>(&o.named_values).unwrap_or(Value::Null),
                    "explanation": serde_json::from_str::<Value>(&o.explanation).unwrap_or(Value::Null)})
            })
            .collect();
        // Every gate verdict that targeted the subject, with the rules that
        // decided their part (GDPR Art. 15(1)(h), 22), and every disclosure
        // of their data with its recipient (Art. 15(1)(c)).
        let decisions: Vec<Value> = self
            .store
            .actions_of(t, p.id)
            .await?
            .into_iter()
            .map(|a| {
                json!({"action": a.action_id, "kind": a.kind, "purpose": a.purpose,
                    "requested_at": a.requested_at, "verdict": a.outcome, "status": a.status,
                    "included": a.included, "human_review": a.review,
                    "reasons": a.reasons.split(' ').filter(|r| !r.is_empty()).collect::<Vec<_>>(),
                    "consent_records": a.records.split(' ').filter(|r| !r.is_empty()).collect::<Vec<_>>(),
                    "in_final_list": a.final_included,
                    "reasons_at_execution": a.final_reasons.as_deref().map(|r| r.split(' ').filter(|x| !x.is_empty()).collect::<Vec<_>>()),
                    "executed_at": a.executed_at})
            })
            .collect();
        let disclosures: Vec<Value> = self
            .store
            .disclosures_of(t, p.id)
            .await?
            .into_iter()
            .map(|d| {
                json!({"recipient": d.recipient, "recipient_key": d.recipient_key, "purpose": d.purpose,
                    "fields": d.fields.split(',').collect::<Vec<_>>(), "action": d.action_id,
                    "disclosed_at": d.disclosed_at})
            })
            .collect();
        let mut counts = BTreeMap::new();
        for (k, n) in [
            ("decisions", decisions.len()),
            ("disclosures", disclosures.len()),
            ("scores", scores.len()),
            ("transactions", transactions.len()),
            ("interactions", interactions.len()),
            ("deliveries", deliveries.len()),
            ("referrals", referrals.len()),
            ("consents", consents.len()),
            ("privacy_requests", requests.len()),
        ] {
            counts.insert(k.to_owned(), n as u64);
        }
        let doc = json!({
            "format": EXPORT_FORMAT,
            "generated_at": now(),
            "tenant": t.name,
            "subject": profile,
            "erasure": {"erased": erased, "erased_at": p.erased_at},
            "transactions": transactions,
            "interactions": interactions,
            "deliveries": deliveries,
            "referrals": referrals,
            "consents": consents,
            "privacy_requests": requests,
            "scores": scores,
            "decisions": decisions,
            "disclosures": disclosures,
        });
        Ok((doc, counts))
    }

    /// Writes everything held about a subject to `out` as JSON encrypted to
    /// the age `recipient` (GDPR Art. 15 and 20), then completes request
    /// `request` or records a completed access request. `out` must not
    /// exist; it is written whole or not at all.
    pub async fn export_subject(
        &self,
        tenant: &str,
        subject: &str,
        recipient: &str,
        out: &Path,
        request: Option<i64>,
    ) -> Result<ExportReport, CoreError> {
        // Fail on a bad recipient or target before anything is read.
        rapport_vault::encrypt_to_recipient(recipient, b"")?;
        if out.exists() {
            return Err(CoreError::Invalid(format!(
                "{} already exists; choose a new file name",
                out.display()
            )));
        }
        let t = self.store.tenant(tenant).await?;
        let p = self.find_stakeholder(&t, subject).await?;
        if let Some(id) = request {
            self.check_request(
                &t,
                id,
                p.id,
                &[RequestKind::Access, RequestKind::Portability],
            )
            .await?;
        }
        let (doc, counts) = self.subject_document(&t, &p).await?;
        let erased = doc["erasure"]["erased"].as_bool().unwrap_or(true);
        let plain = Zeroizing::new(
            serde_json::to_vec_pretty(&doc)
                .map_err(|e| CoreError::Invalid(format!("could not encode the export: {e}")))?,
        );
        drop(doc);
        let sealed = rapport_vault::encrypt_to_recipient(recipient, &plain)?;
        write_new_file(out, &sealed)?;
        let completion = json!({
            "subject": subject_ref(&self.tenant_keys(&t)?, &p.external_id),
            "erased": erased,
            "recipient_sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(recipient.trim().as_bytes())),
            "export_sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&sealed)),
            "bytes": sealed.len(),
            "counts": counts,
        });
        let request_id = self
            .complete_request(
                &t,
                request,
                &p,
                RequestKind::Access,
                "export written",
                Some((EntryKind::Export, completion)),
            )
            .await?;
        tracing::info!(tenant = %t.name, request = request_id, "subject export written");
        Ok(ExportReport {
            tenant: t.name.clone(),
            subject: p.external_id,
            erased,
            out: out.to_path_buf(),
            bytes: sealed.len() as u64,
            recipient: recipient.trim().to_owned(),
            counts,
            request_id,
        })
    }

    /// Erases a subject (GDPR Art. 17; see the module docs for what is kept).
    /// Erasing an erased subject changes nothing and says so.
    pub async fn erase_subject(
        &self,
        tenant: &str,
        subject: &str,
        request: Option<i64>,
    ) -> Result<ErasureReport, CoreError> {
        let t = self.store.tenant(tenant).await?;
        let p = self.find_stakeholder(&t, subject).await?;
        if let Some(id) = request {
            self.check_request(&t, id, p.id, &[RequestKind::Erasure])
                .await?;
        }
        let already_erased = p.erased_at.is_some() && is_pseudonym(&p.external_id);
        // Disclosure records stay after the erasure (they are the evidence
        // of who must be told); they are read first all the same.
        let recipients_to_notify: Vec<RecipientToNotify> = self
            .store
            .disclosures_of(&t, p.id)
            .await?
            .into_iter()
            .map(|d| RecipientToNotify {
                recipient: d.recipient,
                recipient_key: d.recipient_key,
                purpose: d.purpose,
                fields: d.fields,
                action: d.action_id,
                disclosed_at: d.disclosed_at,
            })
            .collect();
        let (key_destroyed, pseudo) = self.shred(&t, &p, request).await?;
        let request_id = if already_erased && request.is_none() {
            None
        } else {
            let outcome = if already_erased {
                "already erased"
            } else {
                "erased: data key destroyed, sealed fields cleared, pseudonymised"
            };
            Some(
                self.complete_request(&t, request, &p, RequestKind::Erasure, outcome, None)
                    .await?,
            )
        };
        let erased = self.store.stakeholder(&t, &pseudo).await?;
        Ok(ErasureReport {
            tenant: t.name.clone(),
            pseudonym: pseudo,
            erased_at: erased.erased_at.unwrap_or_default(),
            key_destroyed,
            already_erased,
            request_id,
            kept: vec![
                "transactions, deliveries and referrals, for bookkeeping (GDPR Art. 17(3)(b))"
                    .into(),
                "consent records and privacy requests, as evidence (Art. 7(1), 17(3)(e))".into(),
                "the erasure record, in the key store".into(),
                "country and region, which decide the law the kept records fall under".into(),
            ],
            removed: vec![
                "the data key (every sealed copy, in backups too, is unreadable)".into(),
                "sealed personal fields, signup date and row fingerprint".into(),
                "interaction text".into(),
                "the external id, replaced by a keyed pseudonym".into(),
            ],
            recipients_to_notify,
        })
    }

    /// Destroys a subject's key and applies the erasure to the store, whose
    /// transaction also queues the `erasure` entry for the audit log (a
    /// crash in between is finished, entry included, by the erasure replay
    /// at the next open). Returns whether a key was destroyed, and the
    /// pseudonym.
    async fn shred(
        &self,
        t: &Tenant,
        p: &StakeholderProfile,
        request: Option<i64>,
    ) -> Result<(bool, String), CoreError> {
        let (destroyed, pseudo) = if is_pseudonym(&p.external_id) {
            // Pseudonymised by an earlier erasure; make sure of the key.
            let destroyed = self.keys.destroy(t.uuid, p.subject, &now()).await?;
            (destroyed, p.external_id.clone())
        } else {
            let destroyed = self.destroy_subject_key(&t.name, &p.external_id).await?;
            (destroyed, pseudonym(&self.tenant_keys(t)?, &p.external_id))
        };
        let at = now();
        let note = self.erasure_note(t, &pseudo, destroyed, &at, request, "erasure")?;
        self.store
            .apply_erasure(t, p.id, &pseudo, &at, &[note])
            .await?;
        self.flush_after_commit().await;
        Ok((destroyed, pseudo))
    }

    /// The `erasure` entry of one subject.
    fn erasure_note(
        &self,
        t: &Tenant,
        pseudo: &str,
        key_destroyed: bool,
        erased_at: &str,
        request: Option<i64>,
        source: &str,
    ) -> Result<rapport_store::AuditNote, CoreError> {
        self.note_for(
            t,
            EntryKind::Erasure,
            json!({
                "subject": subject_ref(&self.tenant_keys(t)?, pseudo),
                "key_destroyed": key_destroyed,
                "erased_at": erased_at,
                "request": request,
                "source": source,
            }),
        )
    }

    /// Rectifies one personal field (GDPR Art. 16): the new value is sealed
    /// with the subject's key. Protected attributes (gender, age band, birth
    /// date) may be rectified too: an inaccurate one would skew the fairness
    /// audits they exist for.
    pub async fn rectify_subject(
        &self,
        tenant: &str,
        subject: &str,
        field: &str,
        value: &str,
        request: Option<i64>,
    ) -> Result<RectificationReport, CoreError> {
        let t = self.store.tenant(tenant).await?;
        let p = self.find_stakeholder(&t, subject).await?;
        let (sealed_fields, protected) = sealed_fields_of(p.kind);
        if !sealed_fields.contains(&field) {
            return Err(CoreError::Invalid(format!(
                "`{field}` is not a personal field of a {} (expected one of: {})",
                p.kind.as_str(),
                sealed_fields.join(", ")
            )));
        }
        check_value(field, value)?;
        if let Some(id) = request {
            self.check_request(&t, id, p.id, &[RequestKind::Rectification])
                .await?;
        }
        let key = self
            .subject_key(&t, &p)
            .await?
            .ok_or_else(|| CoreError::Erased(subject.to_owned()))?;
        let sealed = key.seal(field, value.as_bytes());
        let note = self.note_for(
            &t,
            EntryKind::Rectification,
            json!({
                "subject": subject_ref(&self.tenant_keys(&t)?, &p.external_id),
                "field": field,
                "protected": protected.contains(&field),
                "request": request,
            }),
        )?;
        self.store
            .replace_sealed_field(&t, p.id, field, &sealed, &[note])
            .await?;
        self.flush_after_commit().await;
        let request_id = self
            .complete_request(
                &t,
                request,
                &p,
                RequestKind::Rectification,
                &format!("field {field} rectified"),
                None,
            )
            .await?;
        Ok(RectificationReport {
            tenant: t.name.clone(),
            subject: p.external_id,
            field: field.to_owned(),
            protected: protected.contains(&field),
            request_id,
        })
    }

    /// Erases or anonymises what has outlived its purpose (GDPR Art. 5(1)(e);
    /// the rule is [`rapport_domain::privacy::retention_days`]). Running it
    /// twice with the same `as_of` changes nothing the second time.
    pub async fn retention_sweep(
        &self,
        tenant: &str,
        as_of: Option<&str>,
        dry_run: bool,
    ) -> Result<SweepReport, CoreError> {
        let as_of = date_arg("--as-of", as_of)?;
        let t = self.store.tenant(tenant).await?;
        let registry = rapport_domain::consent::PurposeRegistry::default_policy()
            .map_err(|e| CoreError::Invalid(format!("the purpose policy is invalid: {e}")))?;
        let purposes = retention_purposes(&registry);
        let as_of_instant = format!("{}T00:00:00Z", format_date(as_of));
        let mut latest: HashMap<i64, Vec<(String, LatestRecord)>> = HashMap::new();
        for c in self.store.latest_consents(&t).await? {
            let record = match c.status.as_str() {
                "granted" => match c.expires_at.as_deref().map(parse_instant) {
                    Some(Ok(x)) if rapport_domain::time_fmt::format_instant(x) <= as_of_instant => {
                        LatestRecord::Expired
                    }
                    _ => LatestRecord::Granted,
                },
                _ => LatestRecord::Ended,
            };
            latest
                .entry(c.stakeholder_id)
                .or_default()
                .push((c.purpose, record));
        }
        let mut report = SweepReport {
            tenant: t.name.clone(),
            as_of: format_date(as_of),
            dry_run,
            rule: SWEEP_RULE.to_owned(),
            policy_version: registry.version().to_owned(),
            examined: 0,
            undated: 0,
            erased: Vec::new(),
            interaction_text_retention_days: None,
            interaction_texts_dropped: 0,
        };
        let mut expired = Vec::new();
        for c in self.store.retention_candidates(&t).await? {
            report.examined += 1;
            let Some(last) = c.last_activity.as_deref().and_then(|d| parse_date(d).ok()) else {
                report.undated += 1;
                continue;
            };
            let records = latest.get(&c.id);
            let days = rules::retention_days(&purposes, c.has_records, |purpose| {
                records.and_then(|rs| rs.iter().find(|(p, _)| p == purpose).map(|(_, r)| *r))
            });
            if rules::outlived(last, days, as_of) {
                expired.push(c.external_id);
            }
        }
        // Texts are dropped before erasures clear the erased subjects' texts,
        // so a dry run counts exactly what a real run drops.
        let mut texts_before = None;
        if let Some(support) = registry.get("customer_support") {
            let cutoff = as_of
                .checked_sub(time::Duration::days(i64::from(support.retention_days)))
                .unwrap_or(as_of);
            report.interaction_text_retention_days = Some(support.retention_days);
            let before = format!("{}T00:00:00Z", format_date(cutoff));
            if dry_run {
                report.interaction_texts_dropped =
                    self.store.interaction_texts_before(&t, &before).await?;
            }
            texts_before = Some(before);
        }
        if !dry_run {
            // Keys first, all in one key-store transaction (one WAL
            // truncation, not one per subject); then the store, texts and
            // erasures and the audit log entry in one transaction.
            let mut profiles = Vec::with_capacity(expired.len());
            for external_id in &expired {
                profiles.push(self.store.stakeholder(&t, external_id).await?);
            }
            let subjects: Vec<[u8; 16]> = profiles.iter().map(|p| p.subject).collect();
            let at = now();
            if !subjects.is_empty() {
                self.keys.destroy_many(t.uuid, &subjects, &at).await?;
            }
            let tk = self.tenant_keys(&t)?;
            let erasures: Vec<(i64, String)> = profiles
                .iter()
                .map(|p| {
                    let pseudo = if is_pseudonym(&p.external_id) {
                        p.external_id.clone()
                    } else {
                        pseudonym(&tk, &p.external_id)
                    };
                    (p.id, pseudo)
                })
                .collect();
            let erased_refs: Vec<String> = erasures
                .iter()
                .map(|(_, pseudo)| subject_ref(&tk, pseudo))
                .collect();
            let (texts, _) = self
                .store
                .apply_retention(&t, texts_before.as_deref(), &erasures, &at, |texts, _| {
                    self.notes_in_tx(
                        &t,
                        EntryKind::RetentionSweep,
                        json!({
                            "as_of": report.as_of,
                            "policy_version": report.policy_version,
                            "examined": report.examined,
                            "undated": report.undated,
                            "erased": erased_refs,
                            "interaction_texts_dropped": texts,
                            "interaction_text_retention_days": report.interaction_text_retention_days,
                            "erased_at": at,
                        }),
                    )
                })
                .await?;
            report.interaction_texts_dropped = texts;
            self.flush_after_commit().await;
        }
        report.erased = expired;
        tracing::info!(
            tenant = %t.name, erased = report.erased.len(), texts = report.interaction_texts_dropped,
            dry_run, "retention sweep"
        );
        Ok(report)
    }

    /// Applies to the main store every erasure the key store records but the
    /// store does not show yet (a backup restored or copied in, or a crash
    /// between destroying a key and updating the store). Cheap when nothing
    /// is missing: one count per tenant. Returns how many were applied.
    pub(crate) async fn replay_erasures(&self) -> Result<u64, CoreError> {
        let mut applied = 0u64;
        for t in self.store.tenants().await? {
            let erasures = self.keys.erasures(t.uuid).await?;
            if erasures.is_empty()
                || self.store.applied_erasure_count(&t).await? >= erasures.len() as u64
            {
                continue;
            }
            let at: HashMap<[u8; 16], String> = erasures.into_iter().collect();
            let subjects: Vec<[u8; 16]> = at.keys().copied().collect();
            let pending = self.store.pending_erasures(&t, &subjects).await?;
            if pending.is_empty() {
                continue;
            }
            let tk = self.tenant_keys(&t)?;
            for p in &pending {
                let pseudo = if is_pseudonym(&p.external_id) {
                    p.external_id.clone()
                } else {
                    pseudonym(&tk, &p.external_id)
                };
                let erased_at = at.get(&p.subject).cloned().unwrap_or_else(now);
                let note = self.erasure_note(&t, &pseudo, true, &erased_at, None, "replay")?;
                self.store
                    .apply_erasure(&t, p.id, &pseudo, &erased_at, &[note])
                    .await?;
                // The erasure happened; a request for it restored as pending
                // from an older copy is answered.
                let outcome = "erased (replayed from the key store's erasure record)";
                let subject = subject_ref(&tk, &pseudo);
                self.store
                    .complete_pending_requests(
                        &t,
                        p.id,
                        RequestKind::Erasure.as_str(),
                        &erased_at,
                        outcome,
                        |ids| {
                            let mut out = Vec::new();
                            for id in ids {
                                out.extend(self.notes_in_tx(
                                    &t,
                                    EntryKind::PrivacyRequest,
                                    json!({
                                        "event": "completed",
                                        "request": id,
                                        "request_kind": RequestKind::Erasure.as_str(),
                                        "subject": subject,
                                        "outcome": outcome,
                                        "completed_at": erased_at,
                                    }),
                                )?);
                            }
                            Ok(out)
                        },
                    )
                    .await?;
                applied += 1;
            }
        }
        Ok(applied)
    }

    /// [`Platform::replay_erasures`] when a data directory is opened, where a
    /// replay means a database was copied in by hand: worth a warning.
    pub(crate) async fn replay_erasures_on_open(&self) -> Result<(), CoreError> {
        let n = self.replay_erasures().await?;
        if n > 0 {
            tracing::warn!(replayed = n, "erasures recorded in the key store were missing from the store (a copied-in backup?); applied them");
        }
        Ok(())
    }
}

/// Writes `bytes` to a new file `path` (refused if it exists), through a
/// temporary file in the same directory and a rename, so a crash leaves the
/// whole file or none; readable by the owner only.
pub(crate) fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), CoreError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".rapport-export-")
        .tempfile_in(&dir)
        .map_err(|e| CoreError::io(dir.display(), e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| CoreError::io(path.display(), e))?;
    tmp.persist_noclobber(path)
        .map_err(|e| CoreError::io(path.display(), e.error))?;
    Ok(())
}

//! Consent use cases: record, history, check one subject, summarise a whole
//! tenant for a purpose, and privacy notices.
//!
//! Decisions come from the pure `rapport_domain::consent::decide_all`; this
//! module only gathers its evidence: the subject's ledger, the tenant's
//! notices, the purpose registry, and the facts about the person (the
//! jurisdictions they live under, and their birth date, which is opened from
//! the vault inside the decision and never leaves it).

use std::collections::BTreeMap;

use rapport_domain::consent::{
    decide_all, ConsentEvent, Notice, NoticeRef, Purpose, PurposeRegistry, SubjectFacts,
};
use rapport_domain::rows::{CollectionMethod, ConsentRow, ConsentStatus, GivenBy, LawfulBasis};
use rapport_domain::time_fmt::{format_instant, parse_date, parse_instant};
use rapport_domain::validate::Validated;
use rapport_store::{LedgerSubject, StoredConsent, StoredNotice, Tenant};
use rapport_vault::{SubjectId, TenantKeys};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::platform::to_wrapped;
use crate::{now, CoreError, Platform};

/// EU and EEA member states: the GDPR applies.
const EEA: [&str; 30] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
];

/// The jurisdiction code of a residence: `EU` for the EEA, `US-CA` for a US
/// state, otherwise the country code (judged under the GDPR model, failing
/// closed, when no specific rules exist).
pub fn jurisdiction_of(country: Option<&str>, region: Option<&str>) -> Option<String> {
    let c = country?;
    Some(match (c, region) {
        (c, _) if EEA.contains(&c) => "EU".to_owned(),
        ("US", Some(r)) => format!("US-{r}"),
        (c, _) => c.to_owned(),
    })
}

/// One step of a paged decision pass ([`Platform::decide_customer_pages`]).
pub(crate) enum PageStep<'a, X> {
    /// One customer decided, with the ledger the decision was made from.
    Decided(
        &'a LedgerSubject,
        &'a [ConsentEvent],
        &'a rapport_domain::consent::Decision<'a>,
    ),
    /// Every customer with a row id in `(after, until]` has been decided;
    /// `extra` is what was read beside that page.
    PageDone { after: i64, until: i64, extra: X },
}

/// The outcome of a consent check, as `rapport consent check --json` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct ConsentCheck {
    pub subject: String,
    pub purpose: String,
    pub at: String,
    pub jurisdictions: Vec<String>,
    pub allowed: bool,
    pub requires_human_review: bool,
    pub reasons: Vec<CheckReason>,
    pub records: Vec<CheckRecord>,
}

/// One step of a decision's reasoning.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReason {
    pub rule: String,
    pub citation: String,
    pub allowed: bool,
    pub jurisdiction: String,
    pub message: String,
}

/// A record a decision relied on.
#[derive(Clone, Debug, Serialize)]
pub struct CheckRecord {
    pub id: String,
    pub version: u32,
}

/// Decisions for every customer of a tenant for one purpose.
#[derive(Clone, Debug, Serialize)]
pub struct ConsentSummary {
    pub tenant: String,
    pub purpose: String,
    pub at: String,
    pub subjects: u64,
    pub allowed: u64,
    pub denied: u64,
    pub requires_human_review: u64,
    /// How many denied decisions cite each rule.
    pub denied_by_rule: BTreeMap<String, u64>,
    pub seconds: f64,
}

/// A new consent record, as given on the command line or through the API.
#[derive(Clone, Debug)]
pub struct NewConsent {
    /// Record id; a new one is made when absent. An existing id gets a new version.
    pub id: Option<String>,
    pub subject: String,
    pub purpose: String,
    pub lawful_basis: LawfulBasis,
    pub status: ConsentStatus,
    pub jurisdiction: String,
    pub method: CollectionMethod,
    pub recorded_at: Option<String>,
    pub expires_at: Option<String>,
    pub notice: Option<(String, i64)>,
    pub explicit: bool,
    pub given_by: GivenBy,
    pub source: Option<String>,
    pub evidence_ref: Option<String>,
    pub actor: Option<String>,
}

/// What recording a consent did.
#[derive(Clone, Debug, Serialize)]
pub struct ConsentReceipt {
    pub id: String,
    pub version: i64,
    pub subject: String,
    pub purpose: String,
    pub status: String,
    pub recorded_at: String,
}

/// A notice version as listed.
#[derive(Clone, Debug, Serialize)]
pub struct NoticeInfo {
    pub notice_id: String,
    pub version: i64,
    pub content_sha256: String,
    pub material_change: bool,
    pub published_at: String,
}

impl From<StoredNotice> for NoticeInfo {
    fn from(n: StoredNotice) -> Self {
        NoticeInfo {
            notice_id: n.notice_id,
            version: n.version,
            content_sha256: n.content_sha256,
            material_change: n.material_change,
            published_at: n.published_at,
        }
    }
}

fn registry() -> Result<PurposeRegistry, CoreError> {
    PurposeRegistry::default_policy()
        .map_err(|e| CoreError::Invalid(format!("the purpose policy is invalid: {e}")))
}

fn purpose<'r>(registry: &'r PurposeRegistry, id: &str) -> Result<&'r Purpose, CoreError> {
    registry.get(id).ok_or_else(|| {
        let known: Vec<&str> = registry.purposes().iter().map(|p| p.id.as_str()).collect();
        CoreError::Invalid(format!(
            "unknown purpose `{id}` (known: {})",
            known.join(", ")
        ))
    })
}

fn basis(s: &str) -> Option<LawfulBasis> {
    Some(match s {
        "consent" => LawfulBasis::Consent,
        "contract" => LawfulBasis::Contract,
        "legal_obligation" => LawfulBasis::LegalObligation,
        "vital_interests" => LawfulBasis::VitalInterests,
        "public_task" => LawfulBasis::PublicTask,
        "legitimate_interests" => LawfulBasis::LegitimateInterests,
        _ => return None,
    })
}

fn status(s: &str) -> Option<ConsentStatus> {
    Some(match s {
        "granted" => ConsentStatus::Granted,
        "withdrawn" => ConsentStatus::Withdrawn,
        "refused" => ConsentStatus::Refused,
        "objected" => ConsentStatus::Objected,
        _ => return None,
    })
}

fn method(s: &str) -> Option<CollectionMethod> {
    Some(match s {
        "web_form" => CollectionMethod::WebForm,
        "import" => CollectionMethod::Import,
        "api" => CollectionMethod::Api,
        "gpc_signal" => CollectionMethod::GpcSignal,
        "email" => CollectionMethod::Email,
        "phone" => CollectionMethod::Phone,
        "paper" => CollectionMethod::Paper,
        "in_person" => CollectionMethod::InPerson,
        _ => return None,
    })
}

/// A stored record as the decision function sees it; `None` for a row the
/// store's constraints should have made impossible.
fn event(c: StoredConsent) -> Option<ConsentEvent> {
    Some(ConsentEvent {
        id: c.external_id,
        version: u32::try_from(c.version).ok()?,
        purpose: c.purpose,
        lawful_basis: basis(&c.lawful_basis)?,
        status: status(&c.status)?,
        jurisdiction: c.jurisdiction,
        recorded_at: parse_instant(&c.recorded_at).ok()?,
        expires_at: match &c.expires_at {
            Some(x) => Some(parse_instant(x).ok()?),
            None => None,
        },
        method: method(&c.method)?,
        notice: match (c.notice_id, c.notice_version) {
            (Some(id), Some(v)) => Some(NoticeRef {
                id,
                version: u32::try_from(v).ok()?,
            }),
            _ => None,
        },
        explicit: c.explicit,
        given_by: if c.given_by == "parent_or_guardian" {
            GivenBy::ParentOrGuardian
        } else {
            GivenBy::Subject
        },
    })
}

fn notices(stored: Vec<StoredNotice>) -> Vec<Notice> {
    stored
        .into_iter()
        .filter_map(|n| {
            Some(Notice {
                id: n.notice_id,
                version: u32::try_from(n.version).ok()?,
                content_hash: n.content_sha256,
                published_at: parse_instant(&n.published_at).ok()?,
                material_change: n.material_change,
            })
        })
        .collect()
}

fn instant(at: Option<&str>) -> Result<OffsetDateTime, CoreError> {
    match at {
        None => Ok(OffsetDateTime::now_utc()),
        Some(s) => parse_instant(s).map_err(CoreError::Invalid),
    }
}

impl Platform {
    async fn open_birth_date(
        &self,
        tenant: &Tenant,
        tk: &TenantKeys,
        id: i64,
        subject: [u8; 16],
        sealed: &[u8],
    ) -> Result<Option<time::Date>, CoreError> {
        let Some(stored) = self.keys.get(tenant.uuid, subject).await? else {
            return Ok(None);
        };
        let key = tk.unwrap_key(SubjectId(subject), &to_wrapped(&stored))?;
        let plain = key
            .open("birth_date", sealed)
            .map_err(|_| CoreError::Unreadable {
                id: id.to_string(),
                field: "birth_date".to_owned(),
            })?;
        Ok(std::str::from_utf8(&plain)
            .ok()
            .and_then(|s| parse_date(s).ok()))
    }

    /// Checks whether `purpose` may be processed for one subject, now or at
    /// `at`, under the subject's jurisdictions or the one given.
    pub async fn check_consent(
        &self,
        tenant: &str,
        subject: &str,
        purpose_id: &str,
        jurisdiction: Option<&str>,
        at: Option<&str>,
    ) -> Result<ConsentCheck, CoreError> {
        let registry = registry()?;
        let purpose = purpose(&registry, purpose_id)?;
        let at = instant(at)?;
        let tenant = self.store.tenant(tenant).await?;
        // An erased subject is still found (by its pseudonym): its consent
        // records are kept as evidence.
        let profile = self.find_stakeholder(&tenant, subject).await?;
        let ledger: Vec<ConsentEvent> = self
            .store
            .consents_of(&tenant, profile.id)
            .await?
            .into_iter()
            .filter_map(event)
            .collect();
        let notices = notices(self.store.notices(&tenant).await?);
        let mut facts = SubjectFacts {
            birth_date: None,
            jurisdictions: match jurisdiction {
                Some(j) => vec![j.to_owned()],
                None => jurisdiction_of(profile.country.as_deref(), profile.region.as_deref())
                    .into_iter()
                    .collect(),
            },
        };
        if let (Some(sealed), None) = (&profile.sealed.birth_date, &profile.erased_at) {
            let tk = self.tenant_keys(&tenant)?;
            facts.birth_date = self
                .open_birth_date(&tenant, &tk, profile.id, profile.subject, sealed)
                .await?;
        }
        let d = decide_all(&registry, &ledger, &notices, purpose, &facts, at);
        Ok(ConsentCheck {
            subject: subject.to_owned(),
            purpose: purpose_id.to_owned(),
            at: format_instant(at),
            jurisdictions: facts.jurisdictions.clone(),
            allowed: d.allowed,
            requires_human_review: d.requires_human_review,
            reasons: d
                .reasons
                .iter()
                .map(|r| CheckReason {
                    rule: r.rule.to_owned(),
                    citation: r.citation.to_owned(),
                    allowed: r.allowed,
                    jurisdiction: r.jurisdiction.to_owned(),
                    message: r.message.to_string(),
                })
                .collect(),
            records: d
                .records
                .iter()
                .map(|r| CheckRecord {
                    id: r.id.to_owned(),
                    version: r.version,
                })
                .collect(),
        })
    }

    /// Decides `purpose` for every customer of the tenant, reading the whole
    /// ledger from the store a page at a time.
    pub async fn consent_summary(
        &self,
        tenant: &str,
        purpose_id: &str,
        at: Option<&str>,
    ) -> Result<ConsentSummary, CoreError> {
        let started = std::time::Instant::now();
        let at = instant(at)?;
        let tenant = self.store.tenant(tenant).await?;
        let mut summary = ConsentSummary {
            tenant: tenant.name.clone(),
            purpose: purpose_id.to_owned(),
            at: format_instant(at),
            subjects: 0,
            allowed: 0,
            denied: 0,
            requires_human_review: 0,
            denied_by_rule: BTreeMap::new(),
            seconds: 0.0,
        };
        self.decide_every_customer(&tenant, purpose_id, at, |_, d| {
            summary.subjects += 1;
            if d.allowed {
                summary.allowed += 1;
                summary.requires_human_review += u64::from(d.requires_human_review);
            } else {
                summary.denied += 1;
                for r in d.reasons.iter().filter(|r| !r.allowed) {
                    *summary.denied_by_rule.entry(r.rule.to_owned()).or_default() += 1;
                }
            }
        })
        .await?;
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Decides `purpose` at `at` for every customer of the tenant, in row-id
    /// order, and hands each decision to `each`.
    pub(crate) async fn decide_every_customer(
        &self,
        tenant: &Tenant,
        purpose_id: &str,
        at: OffsetDateTime,
        mut each: impl FnMut(&LedgerSubject, &rapport_domain::consent::Decision),
    ) -> Result<(), CoreError> {
        let registry = registry()?;
        self.decide_customers(tenant, &registry, purpose_id, at, None, |s, _, d| {
            each(s, d)
        })
        .await
    }

    /// Decides `purpose` at `at` under `registry` for every customer of the
    /// tenant, in row-id order, and hands each decision to `each` with the
    /// ledger it was made from. With `watermark`, the ledger is read as it
    /// stood when its highest consent row was that one (records appended
    /// since are ignored, whatever their date), from the evidence table.
    pub(crate) async fn decide_customers(
        &self,
        tenant: &Tenant,
        registry: &PurposeRegistry,
        purpose_id: &str,
        at: OffsetDateTime,
        watermark: Option<i64>,
        mut each: impl FnMut(&LedgerSubject, &[ConsentEvent], &rapport_domain::consent::Decision),
    ) -> Result<(), CoreError> {
        self.decide_customer_pages(
            tenant,
            registry,
            purpose_id,
            at,
            watermark,
            |_, _| std::future::ready(Ok(())),
            |step| {
                if let PageStep::Decided(s, ledger, d) = step {
                    each(s, ledger, d);
                }
                Ok(())
            },
        )
        .await
    }

    /// Like [`Platform::decide_customers`], a page of row ids at a time, with
    /// something more read for each page (`extra`, started beside the page's
    /// ledger read, so both run while the page before is decided) and handed
    /// to `step` once every customer of its page has been decided.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn decide_customer_pages<X, Fut>(
        &self,
        tenant: &Tenant,
        registry: &PurposeRegistry,
        purpose_id: &str,
        at: OffsetDateTime,
        watermark: Option<i64>,
        extra: impl Fn(i64, i64) -> Fut,
        mut step: impl FnMut(PageStep<'_, X>) -> Result<(), CoreError>,
    ) -> Result<(), CoreError>
    where
        X: Send + 'static,
        Fut: std::future::Future<Output = Result<X, CoreError>> + Send + 'static,
    {
        const PAGE: i64 = 20_000;
        let purpose = purpose(registry, purpose_id)?;
        let tk = self.tenant_keys(tenant)?;
        let notices = notices(self.store.notices(tenant).await?);
        // Pages are ranges of row ids, read two at a time on the store's
        // connections while the page before is decided.
        let max_id = self.store.max_stakeholder_id(tenant).await?;
        let fetch = |after: i64| {
            let store = self.store.clone();
            let tenant = tenant.clone();
            let more = extra(after, after + PAGE);
            tokio::spawn(async move {
                let ledger = async {
                    match watermark {
                        None => store.ledger_page(&tenant, after, after + PAGE).await,
                        Some(w) => store.ledger_page_at(&tenant, after, after + PAGE, w).await,
                    }
                };
                let (page, more) = tokio::join!(ledger, more);
                Ok::<_, CoreError>((after, page?, more?))
            })
        };
        let mut pending = std::collections::VecDeque::new();
        let mut next_after = 0;
        while next_after < max_id && pending.len() < 2 {
            pending.push_back(fetch(next_after));
            next_after += PAGE;
        }
        while let Some(handle) = pending.pop_front() {
            let (after, page, more) = handle.await.map_err(|_| CoreError::ReaderStopped)??;
            if next_after < max_id {
                pending.push_back(fetch(next_after));
                next_after += PAGE;
            }
            // Birth dates matter only where the law has age rules: the sale or
            // sharing of a Californian minor's data, and a child's sensitive
            // data in Colorado and Virginia. Open just those.
            let age_matters = purpose.is_sale_or_sharing() || purpose.special_category;
            let need: Vec<&LedgerSubject> = page
                .subjects
                .iter()
                .filter(|s| {
                    age_matters
                        && s.has_birth_date
                        && !s.erased
                        && s.country.as_deref() == Some("US")
                })
                .collect();
            let mut births = std::collections::HashMap::new();
            if !need.is_empty() {
                let ids: Vec<i64> = need.iter().map(|s| s.id).collect();
                let sealed = self.store.birth_dates(tenant, &ids).await?;
                let subjects: std::collections::HashMap<i64, [u8; 16]> =
                    need.iter().map(|s| (s.id, s.subject)).collect();
                let keys = self
                    .keys
                    .get_many(tenant.uuid, &subjects.values().copied().collect::<Vec<_>>())
                    .await?;
                for (id, blob) in sealed {
                    let Some(subject) = subjects.get(&id) else {
                        continue;
                    };
                    let Some(w) = keys.get(subject) else { continue };
                    let key = tk.unwrap_key(SubjectId(*subject), &to_wrapped(w))?;
                    if let Ok(plain) = key.open("birth_date", &blob) {
                        if let Some(d) = std::str::from_utf8(&plain)
                            .ok()
                            .and_then(|s| parse_date(s).ok())
                        {
                            births.insert(id, d);
                        }
                    }
                }
            }
            let mut consents = page.consents.into_iter().peekable();
            let mut ledger = Vec::new();
            for s in &page.subjects {
                ledger.clear();
                while let Some(c) = consents.next_if(|c| c.stakeholder_id <= s.id) {
                    if c.stakeholder_id == s.id {
                        if let Some(e) = event(c) {
                            ledger.push(e);
                        }
                    }
                }
                let facts = SubjectFacts {
                    birth_date: births.get(&s.id).copied(),
                    jurisdictions: jurisdiction_of(s.country.as_deref(), s.region.as_deref())
                        .into_iter()
                        .collect(),
                };
                let d = decide_all(registry, &ledger, &notices, purpose, &facts, at);
                step(PageStep::Decided(s, &ledger, &d))?;
            }
            step(PageStep::PageDone {
                after,
                until: (after + PAGE).min(max_id),
                extra: more,
            })?;
        }
        Ok(())
    }

    /// Every version of every consent record of a subject, oldest first.
    pub async fn consent_history(
        &self,
        tenant: &str,
        subject: &str,
    ) -> Result<Vec<StoredConsentView>, CoreError> {
        let tenant = self.store.tenant(tenant).await?;
        let id = self.find_stakeholder(&tenant, subject).await?.id;
        Ok(self
            .store
            .consents_of(&tenant, id)
            .await?
            .into_iter()
            .map(StoredConsentView::from)
            .collect())
    }

    /// Appends a consent record for a subject: checked against the purpose
    /// registry and the notices, then stored (a new version when the id exists).
    pub async fn record_consent(
        &self,
        tenant: &str,
        c: NewConsent,
    ) -> Result<ConsentReceipt, CoreError> {
        let registry = registry()?;
        let p = purpose(&registry, &c.purpose)?;
        if c.status == ConsentStatus::Granted && !p.allows_basis(c.lawful_basis) {
            return Err(CoreError::Invalid(format!(
                "purpose `{}` cannot rest on `{}` (allowed: {})",
                c.purpose,
                c.lawful_basis.as_str(),
                p.lawful_bases
                    .iter()
                    .map(|b| b.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let tenant = self.store.tenant(tenant).await?;
        let (stakeholder_id, _) = self.store.stakeholder_ref(&tenant, &c.subject).await?;
        let mut notice_sha256 = None;
        if let Some((id, v)) = &c.notice {
            let known = self
                .store
                .notices(&tenant)
                .await?
                .into_iter()
                .find(|n| &n.notice_id == id && n.version == *v);
            let Some(known) = known else {
                return Err(CoreError::Invalid(format!(
                    "notice `{id}` version {v} is not published (see `rapport notice list`)"
                )));
            };
            notice_sha256 = Some(known.content_sha256);
        }
        let id =
            c.id.clone()
                .unwrap_or_else(|| format!("K-{}", SubjectId::random().to_hex()));
        let version = self
            .store
            .consent_version(&tenant, &id)
            .await?
            .map_or(1, |v| v + 1);
        let row = ConsentRow {
            id: id.clone(),
            subject_id: c.subject.clone(),
            purpose: c.purpose.clone(),
            lawful_basis: c.lawful_basis,
            status: c.status,
            jurisdiction: c.jurisdiction.clone(),
            recorded_at: c.recorded_at.clone().unwrap_or_else(now),
            expires_at: c.expires_at.clone(),
            notice_id: c.notice.as_ref().map(|n| n.0.clone()),
            notice_version: c.notice.as_ref().map(|n| n.1),
            method: c.method,
            source: c.source.clone(),
            evidence_ref: c.evidence_ref.clone(),
            actor: c.actor.clone(),
            version: Some(version),
            explicit: Some(c.explicit),
            given_by: Some(c.given_by),
        };
        if let Some(e) = row.check().into_iter().next() {
            return Err(CoreError::Invalid(format!("{}: {}", e.field, e.reason)));
        }
        let recorded_at = rapport_domain::time_fmt::normalize_instant(&row.recorded_at)
            .map_err(CoreError::Invalid)?;
        let expires_at = row
            .expires_at
            .as_deref()
            .map(rapport_domain::time_fmt::normalize_instant)
            .transpose()
            .map_err(CoreError::Invalid)?;
        let tk = self.tenant_keys(&tenant)?;
        let record = crate::import::consent_record(
            &row,
            stakeholder_id,
            recorded_at.clone(),
            expires_at,
            &tk,
        );
        // Free-text fields (source, evidence reference, actor) stay out of
        // the entry: they could name a person. The keyed fingerprint binds
        // the whole record, them included.
        let body = serde_json::json!({
            "record": crate::audit_log::record_ref(&tk, &id),
            "version": version,
            "subject": crate::audit_log::subject_ref(&tk, &c.subject),
            "purpose": c.purpose,
            "lawful_basis": c.lawful_basis.as_str(),
            "status": c.status.as_str(),
            "jurisdiction": c.jurisdiction,
            "method": c.method.as_str(),
            "recorded_at": recorded_at,
            "expires_at": record.expires_at,
            "explicit": c.explicit,
            "given_by": c.given_by.as_str(),
            "notice": c.notice.as_ref().map(|(id, v)| serde_json::json!({
                "id": id, "version": v, "sha256": notice_sha256,
            })),
            "fingerprint": hex::encode(record.fingerprint),
        });
        let note = self.note_for(&tenant, rapport_audit::log::EntryKind::ConsentChange, body)?;
        self.store.append_consent(&tenant, &record, &[note]).await?;
        self.flush_after_commit().await;
        tracing::info!(tenant = %tenant.name, record = %id, version, purpose = %c.purpose, "consent recorded");
        Ok(ConsentReceipt {
            id,
            version,
            subject: c.subject,
            purpose: c.purpose,
            status: c.status.as_str().to_owned(),
            recorded_at,
        })
    }

    /// Publishes a new immutable version of a privacy notice.
    pub async fn publish_notice(
        &self,
        tenant: &str,
        notice_id: &str,
        content: &str,
        material_change: bool,
    ) -> Result<NoticeInfo, CoreError> {
        if notice_id.is_empty()
            || !notice_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c))
        {
            return Err(CoreError::Invalid(format!(
                "notice id `{notice_id}` must be letters, digits and . _ : / -"
            )));
        }
        let tenant = self.store.tenant(tenant).await?;
        let sha = hex::encode(Sha256::digest(content.as_bytes()));
        let at = now();
        let version = self
            .store
            .publish_notice(
                &tenant,
                notice_id,
                content,
                &sha,
                material_change,
                &at,
                |version| {
                    self.notes_in_tx(
                        &tenant,
                        rapport_audit::log::EntryKind::NoticePublish,
                        serde_json::json!({
                            "notice": notice_id,
                            "version": version,
                            "sha256": sha,
                            "material_change": material_change,
                        }),
                    )
                },
            )
            .await?;
        self.flush_after_commit().await;
        Ok(NoticeInfo {
            notice_id: notice_id.to_owned(),
            version,
            content_sha256: sha,
            material_change,
            published_at: at,
        })
    }

    /// Every notice version of a tenant.
    pub async fn notices(&self, tenant: &str) -> Result<Vec<NoticeInfo>, CoreError> {
        let tenant = self.store.tenant(tenant).await?;
        Ok(self
            .store
            .notices(&tenant)
            .await?
            .into_iter()
            .map(NoticeInfo::from)
            .collect())
    }
}

/// A stored consent record as listed by `rapport consent history`.
#[derive(Clone, Debug, Serialize)]
pub struct StoredConsentView {
    pub id: String,
    pub version: i64,
    pub purpose: String,
    pub lawful_basis: String,
    pub status: String,
    pub jurisdiction: String,
    pub recorded_at: String,
    pub expires_at: Option<String>,
    pub notice_id: Option<String>,
    pub notice_version: Option<i64>,
    pub method: String,
    pub source: Option<String>,
    pub evidence_ref: Option<String>,
    pub actor: Option<String>,
    pub explicit: bool,
    pub given_by: String,
}

impl From<StoredConsent> for StoredConsentView {
    fn from(c: StoredConsent) -> Self {
        StoredConsentView {
            id: c.external_id,
            version: c.version,
            purpose: c.purpose,
            lawful_basis: c.lawful_basis,
            status: c.status,
            jurisdiction: c.jurisdiction,
            recorded_at: c.recorded_at,
            expires_at: c.expires_at,
            notice_id: c.notice_id,
            notice_version: c.notice_version,
            method: c.method,
            source: c.source,
            evidence_ref: c.evidence_ref,
            actor: c.actor,
            explicit: c.explicit,
            given_by: c.given_by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::jurisdiction_of;

    #[test]
    fn residences_map_to_jurisdictions() {
        assert_eq!(jurisdiction_of(Some("DE"), None).as_deref(), Some("EU"));
        assert_eq!(jurisdiction_of(Some("NO"), None).as_deref(), Some("EU"));
        assert_eq!(jurisdiction_of(Some("GB"), None).as_deref(), Some("GB"));
        assert_eq!(
            jurisdiction_of(Some("US"), Some("CA")).as_deref(),
            Some("US-CA")
        );
        assert_eq!(jurisdiction_of(Some("US"), None).as_deref(), Some("US"));
        assert_eq!(jurisdiction_of(None, None), None);
    }
}

//! What a compliance officer hands over: the record of processing
//! activities (GDPR Art. 30) and a run's audit report.
//!
//! Both are built from stored records only: the policy bundle, counts from
//! the store, installations and runs, verdicts with their pinned fairness
//! input, disclosure records. Neither opens a sealed field, so neither can
//! carry a personal value; the report's fairness figures come from the
//! per-group counts each verdict pinned.
//!
//! A run's report is tied to the tenant's tamper-evident log and signed
//! with its key: `checkpoint` is the earliest signed tree head that covers
//! every log entry the report relies on (the run's `run` entry and each
//! action's verdict, review, execution and disclosure entries, listed with
//! their positions), signed on demand when no head covers them yet; and
//! `signature` is Ed25519 under the tenant's log key over the report's
//! canonical JSON without `signature`. Heads are never changed, so re-running
//! a report on the same records gives the same bytes even after the log
//! has grown (`docs/audit-log.md`, "Reports").

use std::collections::BTreeMap;

use rapport_audit::gate::{PolicyBundle, VerdictRecord};
use rapport_audit::report::{
    self, ActionSection, AuditReport, ExclusionCount, ExecutionSection, FairnessSection,
    PolicySection, ReportSignature, ReviewSection, RunSection, REPORT_FORMAT,
    REPORT_SIGNATURE_ALGORITHM,
};
use rapport_audit::ropa::{
    self, DataCategory, PluginUse, ProcessingActivity, RecipientEntry, Ropa, SubjectCategory,
    ROPA_FORMAT,
};
use rapport_domain::consent::rules as consent_rules;
use rapport_domain::ImportKind;
use sha2::{Digest, Sha256};

use crate::{CoreError, Platform};

fn invalid(msg: impl Into<String>) -> CoreError {
    CoreError::Invalid(msg.into())
}

fn u(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// The categories of personal data Rapport holds and how each is kept.
fn data_categories() -> Vec<DataCategory> {
    let sealed = "sealed per subject (AES-256-GCM-SIV under the subject's own key); unreadable after erasure";
    let customer = ImportKind::Customers;
    let protected = customer.protected_fields();
    let mut contact: Vec<String> = Vec::new();
    for k in [
        ImportKind::Customers,
        ImportKind::Suppliers,
        ImportKind::Partners,
    ] {
        for f in k.sealed_fields() {
            if !protected.contains(f) && *f != "notes" && !contact.iter().any(|c| c == f) {
                contact.push((*f).to_owned());
            }
        }
    }
    vec![
        DataCategory {
            category: "identity and contact details".into(),
            fields: contact,
            protection: sealed.into(),
        },
        DataCategory {
            category: "protected attributes, for fairness audits only".into(),
            fields: protected.iter().map(|f| (*f).to_owned()).collect(),
            protection: format!("{sealed}; opened only inside consent decisions (age rules) and fairness audits, never given to a plugin"),
        },
        DataCategory {
            category: "free text".into(),
            fields: vec!["notes".into(), "interaction text".into()],
            protection: format!("{sealed}; interaction text dropped after the customer_support retention period"),
        },
        DataCategory {
            category: "residence".into(),
            fields: vec!["country".into(), "region".into()],
            protection: "kept in clear: it decides which law protects the person; kept after erasure for the records kept".into(),
        },
        DataCategory {
            category: "purchases and relationship events".into(),
            fields: vec![
                "transactions (date, quantity, amount, currency, channel)".into(),
                "interactions (kind, channel, time, NPS, sentiment)".into(),
                "deliveries".into(),
                "referrals".into(),
            ],
            protection: "kept in clear, linked to the stakeholder row; after erasure linked to a keyed pseudonym only".into(),
        },
        DataCategory {
            category: "consent and privacy records".into(),
            fields: vec!["consent records".into(), "privacy notices".into(), "data-subject requests".into()],
            protection: "append-only; the database refuses updates and deletes of consent records".into(),
        },
        DataCategory {
            category: "profiling outputs".into(),
            fields: vec!["scores, segments and their explanations (GDPR Art. 4(4))".into()],
            protection: "kept per run with the digests that make it replayable; deleted at erasure".into(),
        },
        DataCategory {
            category: "gate decisions and disclosures".into(),
            fields: vec!["per-person verdict outcomes with their rules".into(), "disclosures (recipient, fields, time)".into()],
            protection: "immutable once written; kept as evidence (GDPR Art. 5(2), 17(2), 19)".into(),
        },
    ]
}

impl Platform {
    /// The record of processing activities of a tenant (GDPR Art. 30(1)),
    /// from what the platform knows.
    pub async fn records_of_processing(&self, tenant: &str) -> Result<Ropa, CoreError> {
        let bundle = PolicyBundle::default_bundle()
            .map_err(|e| invalid(format!("the gate policy is invalid: {e}")))?;
        let t = self.store.tenant(tenant).await?;
        let subject_categories = self
            .store
            .stakeholder_kinds(&t)
            .await?
            .into_iter()
            .map(|(kind, n, erased)| SubjectCategory {
                category: format!("{kind}s"),
                count: u(n),
                erased: u(erased),
            })
            .collect();
        let consents: BTreeMap<String, (i64, i64)> = self
            .store
            .consent_purposes(&t)
            .await?
            .into_iter()
            .map(|(p, n, s)| (p, (n, s)))
            .collect();
        let installations = self.store.installations(&t).await?;
        let runs = self.store.runs(&t).await?;
        let actions = self.store.actions(&t).await?;
        let recipients: Vec<RecipientEntry> = self
            .store
            .recipients(&t)
            .await?
            .into_iter()
            .map(|r| RecipientEntry {
                recipient: r.recipient,
                purpose: r.purpose,
                fields: r.fields.split(',').map(str::to_owned).collect(),
                subjects: u(r.subjects),
                actions: u(r.actions),
                first: r.first,
                last: r.last,
            })
            .collect();
        let mut activities = Vec::new();
        for p in bundle.purposes().purposes() {
            let (records, subjects) = consents.get(&p.id).copied().unwrap_or((0, 0));
            let plugins: Vec<PluginUse> = installations
                .iter()
                .filter(|i| i.purpose == p.id)
                .map(|i| {
                    Ok(PluginUse {
                        plugin: i.plugin_id.clone(),
                        version: i.version.clone(),
                        component_digest: i.component_digest.clone(),
                        granted_fields: serde_json::from_str(&i.granted_fields)
                            .map_err(|e| invalid(e.to_string()))?,
                        withheld_fields: serde_json::from_str(&i.withheld_fields)
                            .map_err(|e| invalid(e.to_string()))?,
                        installed_at: i.installed_at.clone(),
                        runs: runs
                            .iter()
                            .filter(|r| r.installation_id == i.id && r.replay_of.is_none())
                            .count() as u64,
                    })
                })
                .collect::<Result<_, CoreError>>()?;
            let kinds: Vec<String> = bundle
                .actions()
                .kinds
                .iter()
                .filter(|k| k.purposes.contains(&p.id))
                .map(|k| {
                    let fields: Vec<&str> = k.list_fields.iter().map(|f| f.as_str()).collect();
                    format!(
                        "{} (list: external id{}{}{})",
                        k.id,
                        if fields.is_empty() { "" } else { ", " },
                        fields.join(", "),
                        if k.leaves_platform {
                            "; leaves the platform"
                        } else {
                            ""
                        }
                    )
                })
                .collect();
            let requested = actions.iter().filter(|a| a.purpose == p.id).count() as u64;
            let executed = actions
                .iter()
                .filter(|a| a.purpose == p.id && a.status == "executed")
                .count() as u64;
            let mine: Vec<RecipientEntry> = recipients
                .iter()
                .filter(|r| r.purpose == p.id)
                .cloned()
                .collect();
            activities.push(ProcessingActivity {
                purpose: p.id.clone(),
                description: p.description.clone(),
                lawful_bases: p
                    .lawful_bases
                    .iter()
                    .map(|b| b.as_str().to_owned())
                    .collect(),
                ccpa: serde_json::to_value(p.ccpa)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                special_category: p.special_category,
                direct_marketing: p.direct_marketing,
                profiling: p.marketing_profiling || !plugins.is_empty(),
                significant_automated_decision: p.significant_automated_decision,
                retention_days: p.retention_days,
                in_use: records > 0 || !plugins.is_empty() || requested > 0,
                consent_records: u(records),
                subjects_with_records: u(subjects),
                plugins,
                action_kinds: kinds,
                actions_requested: requested,
                actions_executed: executed,
                recipients: mine,
            });
        }
        Ok(Ropa {
            format: ROPA_FORMAT.to_owned(),
            tenant: t.name.clone(),
            controller: format!(
                "the client operating tenant `{}`; name and contact details of the controller, its representative and its data protection officer are not held by Rapport and must be added",
                t.name
            ),
            policy_hash: bundle.hash().to_owned(),
            policy_versions: bundle.versions(),
            subject_categories,
            data_categories: data_categories(),
            activities,
            recipients,
            transfers: "Rapport records every recipient and the key each list was encrypted to, not where the recipient is established: transfers to third countries and their safeguards (GDPR Art. 46) must be added by the controller".to_owned(),
            retention_rule: format!(
                "per purpose as listed; the retention sweep (`rapport privacy sweep`) applies: {}",
                crate::privacy::SWEEP_RULE
            ),
            security_measures: ropa::security_measures(false),
        })
    }

    /// The audit report of a run: the run's versions and hashes, and every
    /// action requested on it (or only `action`) with its verdict, consent
    /// exclusions by reason and the fairness of its selection per group.
    pub async fn audit_report(
        &self,
        tenant: &str,
        run_id: &str,
        action: Option<&str>,
    ) -> Result<AuditReport, CoreError> {
        let t = self.store.tenant(tenant).await?;
        let run = self.store.run(&t, run_id).await?.ok_or_else(|| {
            invalid(format!(
                "run `{run_id}` does not exist in tenant `{tenant}`"
            ))
        })?;
        let mut actions = self.store.actions_on_run(&t, run_id).await?;
        if let Some(id) = action {
            actions.retain(|a| a.id == id);
            if actions.is_empty() {
                return Err(invalid(format!(
                    "action `{id}` was not requested on run {run_id} of tenant `{tenant}` (see `rapport action list --tenant {tenant}`)"
                )));
            }
        }
        let mut inputs = Vec::new();
        let mut sections = Vec::new();
        let mut pinned_policy = None;
        for a in &actions {
            let v: VerdictRecord = serde_json::from_str(&a.verdict).map_err(|e| {
                invalid(format!(
                    "the stored verdict of {} does not parse: {e}",
                    a.id
                ))
            })?;
            let execution: Option<serde_json::Value> = match &a.execution {
                Some(e) => Some(serde_json::from_str(e).map_err(|e| invalid(e.to_string()))?),
                None => None,
            };
            inputs.push(serde_json::json!({
                "verdict": serde_json::to_value(&v).map_err(|e| invalid(e.to_string()))?,
                "status": a.status,
                "reviewer": a.reviewer,
                "reviewed_at": a.reviewed_at,
                "execution": execution,
            }));
            if action.is_some() {
                let content = self
                    .store
                    .policy_bundle(&t, &v.pins.policy_hash)
                    .await?
                    .ok_or_else(|| {
                        invalid(format!("the policy bundle of {} is not stored", a.id))
                    })?;
                let b = PolicyBundle::from_canonical(&content, &v.pins.policy_hash)
                    .map_err(|e| invalid(format!("{}: {e}", a.id)))?;
                pinned_policy = Some(PolicySection {
                    hash: b.hash().to_owned(),
                    versions: b.versions(),
                });
            }
            let exclusions = v
                .exclusions
                .iter()
                .map(|(rule, n)| ExclusionCount {
                    rule: rule.clone(),
                    citation: consent_rules::rule(rule)
                        .map(|r| r.citation)
                        .or_else(|| rapport_audit::gate::gate_rule(rule).map(|r| r.citation))
                        .unwrap_or("")
                        .to_owned(),
                    count: *n,
                })
                .collect();
            let f = &v.fairness;
            sections.push(ActionSection {
                action: a.id.clone(),
                kind: a.kind.clone(),
                purpose: a.purpose.clone(),
                target: v.target.clone(),
                requested_at: a.requested_at.clone(),
                outcome: a.outcome.clone(),
                status: a.status.clone(),
                policy_hash: v.pins.policy_hash.clone(),
                consent_watermark: v.pins.consent_watermark,
                counts: v.counts.clone(),
                reasons: v.reasons.clone(),
                exclusions,
                fairness: FairnessSection {
                    outcome: f.outcome.as_str().to_owned(),
                    note: f.note.clone(),
                    reasons: f.reasons.clone(),
                    analyses: report::analyses(
                        &v.fairness_input,
                        f.audit.as_ref(),
                        &f.reasons,
                        &f.insufficient_groups,
                    ),
                },
                review: match (&a.reviewer, &a.reviewed_at) {
                    (Some(r), Some(at)) => Some(ReviewSection {
                        decision: a.status.clone(),
                        reviewer: r.clone(),
                        at: at.clone(),
                    }),
                    _ => None,
                },
                execution: execution.as_ref().map(|e| ExecutionSection {
                    executed_at: e["executed_at"].as_str().unwrap_or_default().to_owned(),
                    final_count: e["final_count"].as_u64().unwrap_or(0),
                    excluded_at_execution: e["excluded_at_execution"].as_u64().unwrap_or(0),
                    encrypted: e["encrypted"].as_bool().unwrap_or(false),
                    recipient: e["recipient"].as_str().map(str::to_owned),
                    list_sha256: e["sha256"].as_str().unwrap_or_default().to_owned(),
                }),
            });
        }
        let policy = match pinned_policy {
            Some(p) => p,
            None => {
                let b = PolicyBundle::default_bundle()
                    .map_err(|e| invalid(format!("the gate policy is invalid: {e}")))?;
                PolicySection {
                    hash: b.hash().to_owned(),
                    versions: b.versions(),
                }
            }
        };
        let run_section = RunSection {
            id: run.id.clone(),
            plugin: run.plugin_id.clone(),
            version: run.version.clone(),
            component_digest: run.component_digest.clone(),
            config_hash: run.config_hash.clone(),
            input_hash: run.input_hash.clone(),
            output_hash: run.output_hash.clone(),
            purpose: run.purpose.clone(),
            as_of: run.as_of.clone(),
            status: run.status.clone(),
            subjects: u(run.subjects),
            excluded_by_consent: u(run.excluded),
        };
        let input = serde_json::json!({
            "run": serde_json::to_value(&run_section).map_err(|e| invalid(e.to_string()))?,
            "policy": serde_json::to_value(&policy).map_err(|e| invalid(e.to_string()))?,
            "actions": inputs,
        });
        let input_sha256 = hex::encode(Sha256::digest(
            rapport_audit::gate::canonical_json(&input)
                .map_err(|e| invalid(e.to_string()))?
                .as_bytes(),
        ));
        let (checkpoint, mut notes) = self.report_evidence(&t, run_id, &actions).await?;
        if sections.is_empty() {
            notes.push(format!(
                "No action was requested on run {run_id}: request one with `rapport action request --tenant {} --run {run_id} ...`.",
                t.name
            ));
        }
        let mut report = AuditReport {
            format: REPORT_FORMAT.to_owned(),
            tenant: t.name.clone(),
            run: run_section,
            policy,
            actions: sections,
            checkpoint,
            input_sha256,
            notes,
            signature: None,
        };
        let signer = self.log_signer(&crate::audit_log::tenant_log_id(&t))?;
        let message = report
            .signed_message()
            .map_err(|e| invalid(format!("the report has no canonical form: {e}")))?;
        report.signature = Some(ReportSignature {
            algorithm: REPORT_SIGNATURE_ALGORITHM.to_owned(),
            key_id: signer.key_id(),
            value: hex::encode(signer.sign(&message)),
        });
        Ok(report)
    }

    /// The log checkpoint a report is tied to: the entries it relies on (the
    /// run's and each action's) and the earliest signed head of the
    /// tenant's log that covers them all. Entries still waiting in the
    /// outbox are named in the notes.
    async fn report_evidence(
        &self,
        t: &rapport_store::Tenant,
        run_id: &str,
        actions: &[rapport_store::StoredAction],
    ) -> Result<(Option<report::CheckpointSection>, Vec<String>), CoreError> {
        // Entries of committed actions may still be queued (a crash, or a
        // log that could not be appended to a moment ago): try once more.
        self.flush_after_commit().await;
        let mut notes = Vec::new();
        let mut entries = Vec::new();
        match self.run_entry(t, run_id).await? {
            Some(pin) => entries.push(report::CoveredEntry {
                kind: "run".to_owned(),
                action: None,
                seq: pin.seq,
                leaf_hash: pin.leaf_hash,
            }),
            None => notes.push(format!(
                "The log of tenant `{}` has no entry for run {run_id}; the report is tied to the log without it.",
                t.name
            )),
        }
        for a in actions {
            for e in self.action_log_entries(t, &a.id).await? {
                match e.pin {
                    Some(pin) => entries.push(report::CoveredEntry {
                        kind: e.kind,
                        action: Some(a.id.clone()),
                        seq: pin.seq,
                        leaf_hash: pin.leaf_hash,
                    }),
                    None => notes.push(format!(
                        "The {} entry of action {} still waits in the outbox and is not covered by the checkpoint; run `rapport audit verify`.",
                        e.kind, a.id
                    )),
                }
            }
        }
        // Every log starts with the tenant's creation, so a head covers at
        // least one entry.
        let size = entries.iter().map(|e| e.seq + 1).max().unwrap_or(1);
        let head = self.covering_head(t, size).await?;
        Ok((
            Some(report::CheckpointSection {
                log: head.head.log.clone(),
                tree_size: head.head.size,
                root_hash: hex::encode(head.head.root),
                timestamp: head.head.timestamp.clone(),
                signature: hex::encode(head.signature),
                key_id: head.head.key_id.clone(),
                entries,
            }),
            notes,
        ))
    }
}

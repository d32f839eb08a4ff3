//! The record of processing activities (GDPR Art. 30(1)) as data, built by
//! `rapport-core` from what the platform knows, and its text rendering.
//!
//! Every field names where it comes from: purposes and their bases and
//! retention from the policy bundle, subject and data categories from the
//! store's schema and counts, plugins and the fields they read from the
//! installations, recipients from the disclosure records. What the platform
//! cannot know (the controller's contact details, where recipients are) is
//! said to be missing, never invented.

use serde::Serialize;

/// The format name of the record.
pub const ROPA_FORMAT: &str = "rapport.ropa.v1";

/// A category of data subjects and how many the tenant holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectCategory {
    pub category: String,
    pub count: u64,
    /// How many of them are erased (pseudonymised tombstones).
    pub erased: u64,
}

/// A category of personal data and how it is held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataCategory {
    pub category: String,
    /// Which stored fields or records it is.
    pub fields: Vec<String>,
    /// How it is protected at rest.
    pub protection: String,
}

/// A plugin installed for a purpose and the fields it reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginUse {
    pub plugin: String,
    pub version: String,
    pub component_digest: String,
    pub granted_fields: Vec<String>,
    pub withheld_fields: Vec<String>,
    pub installed_at: String,
    pub runs: u64,
}

/// A recipient of disclosures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecipientEntry {
    pub recipient: String,
    pub purpose: String,
    pub fields: Vec<String>,
    pub subjects: u64,
    pub actions: u64,
    pub first: String,
    pub last: String,
}

/// One processing activity: a purpose and everything about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessingActivity {
    pub purpose: String,
    pub description: String,
    pub lawful_bases: Vec<String>,
    /// `none`, `sale` or `sharing` under the CCPA/CPRA.
    pub ccpa: String,
    pub special_category: bool,
    pub direct_marketing: bool,
    pub profiling: bool,
    pub significant_automated_decision: bool,
    pub retention_days: u32,
    /// Whether anything of the tenant rests on this purpose: consent
    /// records, plugin installations or actions.
    pub in_use: bool,
    pub consent_records: u64,
    /// People with at least one consent record for the purpose.
    pub subjects_with_records: u64,
    pub plugins: Vec<PluginUse>,
    /// Action kinds that may be requested under the purpose, and the
    /// fields their lists carry.
    pub action_kinds: Vec<String>,
    pub actions_requested: u64,
    pub actions_executed: u64,
    pub recipients: Vec<RecipientEntry>,
}

/// The record of processing activities of one tenant (the controller).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ropa {
    pub format: String,
    pub tenant: String,
    /// GDPR Art. 30(1)(a): Rapport knows the tenant's name only.
    pub controller: String,
    pub policy_hash: String,
    pub policy_versions: crate::gate::BundleVersions,
    pub subject_categories: Vec<SubjectCategory>,
    pub data_categories: Vec<DataCategory>,
    pub activities: Vec<ProcessingActivity>,
    pub recipients: Vec<RecipientEntry>,
    /// Art. 30(1)(e): what is known about transfers to third countries.
    pub transfers: String,
    /// Art. 30(1)(f): the retention rule applied by `privacy sweep`.
    pub retention_rule: String,
    /// Art. 30(1)(g): technical and organisational security measures, as
    /// the platform implements them.
    pub security_measures: Vec<String>,
}

impl Ropa {
    /// The record as plain text, section by section in Art. 30(1) order.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let mut line = |t: String| {
            s.push_str(&t);
            s.push('\n');
        };
        line(format!(
            "Record of processing activities (GDPR Art. 30(1)) — tenant {}",
            self.tenant
        ));
        line(format!(
            "Policy bundle {} (purposes {}, actions {}, gate {})",
            self.policy_hash,
            self.policy_versions.purposes,
            self.policy_versions.actions,
            self.policy_versions.gate
        ));
        line(String::new());
        line(format!("(a) Controller: {}", self.controller));
        line(String::new());
        line("(c) Categories of data subjects:".to_owned());
        for c in &self.subject_categories {
            line(format!(
                "    {:<10} {:>10} ({} erased)",
                c.category, c.count, c.erased
            ));
        }
        line("(c) Categories of personal data:".to_owned());
        for d in &self.data_categories {
            line(format!(
                "    {}: {} — {}",
                d.category,
                d.fields.join(", "),
                d.protection
            ));
        }
        line(String::new());
        line("(b) Purposes of the processing:".to_owned());
        for a in &self.activities {
            let mut flags = Vec::new();
            if a.special_category {
                flags.push("special category");
            }
            if a.direct_marketing {
                flags.push("direct marketing");
            }
            if a.profiling {
                flags.push("profiling");
            }
            if a.significant_automated_decision {
                flags.push("solely automated decision with significant effect");
            }
            line(format!(
                "  {}{} — {}",
                a.purpose,
                if a.in_use { "" } else { " (not in use)" },
                a.description
            ));
            line(format!(
                "      lawful bases: {}; CCPA: {}; retention {} days{}",
                a.lawful_bases.join(", "),
                a.ccpa,
                a.retention_days,
                if flags.is_empty() {
                    String::new()
                } else {
                    format!("; {}", flags.join(", "))
                }
            ));
            if a.consent_records > 0 {
                line(format!(
                    "      consent records: {} about {} people",
                    a.consent_records, a.subjects_with_records
                ));
            }
            for p in &a.plugins {
                line(format!(
                    "      plugin {}@{} (sha256:{}) reads {}{}; {} run(s)",
                    p.plugin,
                    p.version,
                    &p.component_digest[..16.min(p.component_digest.len())],
                    p.granted_fields.join(", "),
                    if p.withheld_fields.is_empty() {
                        String::new()
                    } else {
                        format!(" (withheld: {})", p.withheld_fields.join(", "))
                    },
                    p.runs
                ));
            }
            if !a.action_kinds.is_empty() {
                line(format!(
                    "      actions: {} ({} requested, {} executed)",
                    a.action_kinds.join("; "),
                    a.actions_requested,
                    a.actions_executed
                ));
            }
            for r in &a.recipients {
                line(format!(
                    "      recipient {}: {} of {} people in {} action(s), {} to {}",
                    r.recipient,
                    r.fields.join(", "),
                    r.subjects,
                    r.actions,
                    r.first,
                    r.last
                ));
            }
        }
        line(String::new());
        line("(d) Categories of recipients:".to_owned());
        if self.recipients.is_empty() {
            line("    none: no executed action has disclosed personal data".to_owned());
        }
        for r in &self.recipients {
            line(format!(
                "    {} ({}): {} people, fields {}",
                r.recipient,
                r.purpose,
                r.subjects,
                r.fields.join(", ")
            ));
        }
        line(format!(
            "(e) Transfers to third countries: {}",
            self.transfers
        ));
        line(format!(
            "(f) Time limits for erasure: {}",
            self.retention_rule
        ));
        line("(g) Security measures:".to_owned());
        for m in &self.security_measures {
            line(format!("    - {m}"));
        }
        s
    }
}

/// The measures the platform itself implements (Art. 30(1)(g), 32(1)).
pub fn security_measures(log_available: bool) -> Vec<String> {
    let mut m = vec![
        "Encryption at rest: every personal field is sealed with AES-256-GCM-SIV under a data key of its own subject, with associated data binding tenant, subject and field (Art. 32(1)(a)).".to_owned(),
        "Key separation: subject keys are wrapped by a per-tenant key-encryption key kept in an age-encrypted keyring, and the key store is a separate file from the database, so database backups never carry keys.".to_owned(),
        "Crypto-shredding: erasure destroys the subject's data key, which makes every copy of their sealed fields unreadable, in backups too; a restore replays recorded erasures before it serves.".to_owned(),
        "Pseudonymisation: an erased subject's id is replaced by a keyed pseudonym; the records kept for bookkeeping and evidence link to it only (Art. 32(1)(a)).".to_owned(),
        "Data minimisation for models: plugins run sandboxed (WebAssembly, no filesystem, network, clock or randomness), receive only the fields they declared and the tenant granted, and never identity, contact or protected attributes.".to_owned(),
        "Consent enforcement: every run and every action decides consent per person at that instant from an append-only ledger the database refuses to alter; decisions fail closed.".to_owned(),
        "Action gate: no list is acted on without a recorded verdict that pins its evidence and can be replayed; lists leaving the platform are age-encrypted to their recipient and each disclosure is recorded.".to_owned(),
    ];
    if log_available {
        m.push("Tamper-evident log: imports, runs, consent changes, privacy requests and gate verdicts are leaves of a per-tenant Merkle log with signed tree heads (Art. 5(2)).".to_owned());
    }
    m
}

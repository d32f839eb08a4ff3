//! Rapport's application layer.
//!
//! [`Platform`] opens a data directory (the main store, the key store and the
//! age-encrypted keyring) and runs the use cases: tenants, imports, reading a
//! subject's profile, crypto-shredding and key rotation. Every action of
//! note is appended to the tenant's tamper-evident audit log (see
//! `audit_log`). The CLI and, later, the HTTP server are thin shells over
//! it.
//!
//! Architecture invariant: plaintext personal data exists only in memory,
//! between the vault and the caller; it is sealed before anything reaches the
//! store and never appears in errors or logs.

mod audit;
mod audit_log;
mod backup;
mod consent;
mod dirs;
mod error;
mod gate;
mod import;
mod platform;
mod plugins;
mod privacy;
mod reports;

pub use audit::{RunSelection, RUN_PROTECTED};
pub use audit_log::{
    ActionLogEntry, HeadView, LogEntryView, LogPin, LogRef, VerifyReport, HEAD_INTERVAL,
};
pub use backup::{BackupReport, RestoreReport};
pub use consent::{
    jurisdiction_of, ConsentCheck, ConsentReceipt, ConsentSummary, NewConsent, NoticeInfo,
    StoredConsentView,
};
pub use dirs::DataDirs;
pub use error::CoreError;
pub use gate::{
    ActionReplay, ActionRequest, ActionSummary, ActionView, ExecuteOptions, ExecutionReport,
    ReasonView, ReviewView, SubjectView, TargetSpec, PROTECTED_ATTRIBUTES,
};
pub use import::{ImportReport, ImportSource, MAX_DIAGNOSTICS};
pub use platform::{Platform, Profile, RotationReport, TenantInfo};
pub use plugins::{
    first_party_keys, InstallationView, PublishReport, PublishedPlugin, ReplayReport, RunOptions,
    RunView, ScoreView, ScoresReport, TrustedKeyView, DEFAULT_BATCH,
};
pub use privacy::{
    ErasureReport, ExportReport, PrivacyRequestView, RecipientToNotify, RectificationReport,
    SweepReport, EXPORT_FORMAT, WARN_DAYS,
};
pub use rapport_audit::log::{
    ConsistencyProofDoc, EntryKind, ExportedHead, InclusionProofDoc, LogReport, Tamper,
};
pub use rapport_plugin::{Limits, PluginKind};
pub use rapport_store::AuditNote;

pub use rapport_domain::ImportKind;
pub use rapport_ingest::{Diagnostic, Format};
pub use rapport_vault::{KeyringOptions, Unlock};

/// The current instant in the store's canonical RFC 3339 UTC form.
pub fn now() -> String {
    rapport_domain::time_fmt::format_instant(time::OffsetDateTime::now_utc())
}

//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Relationship intelligence with ethics auditing.
#[derive(Debug, Parser)]
#[command(name = "rapport", version, about, long_about = None)]
pub struct Cli {
    /// Data directory (main store and, by default, the key directory).
    #[arg(long, global = true, env = "RAPPORT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Key directory (keyring and key store); defaults to DATA_DIR/keys.
    /// Keep it on other storage than the data directory in production.
    #[arg(long, global = true, env = "RAPPORT_KEY_DIR", value_name = "DIR")]
    pub key_dir: Option<PathBuf>,

    /// age identity file that unlocks the keyring, instead of a passphrase
    /// (RAPPORT_PASSPHRASE or a prompt).
    #[arg(long, global = true, env = "RAPPORT_IDENTITY", value_name = "FILE")]
    pub identity: Option<PathBuf>,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Log more (-v info, -vv debug); RAPPORT_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a sample data set, import it into a new data directory, and show what happened.
    Quickstart(QuickstartArgs),
    /// Create a data directory: the store, the key store and the encrypted keyring.
    Init(InitArgs),
    /// Manage tenants (one workspace per client).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Import a CSV, JSON Lines or CDNOW file into a tenant, all or nothing.
    Import(ImportArgs),
    /// Write a realistic, reproducible synthetic data set.
    Generate(GenerateArgs),
    /// Look at one stakeholder.
    #[command(subcommand)]
    Subject(SubjectCommand),
    /// Record and check consent; the ledger is append-only.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Publish and list privacy notice versions.
    #[command(subcommand)]
    Notice(NoticeCommand),
    /// Data-subject rights: requests and their deadlines, export, erasure, rectification, retention.
    #[command(subcommand)]
    Privacy(crate::cmd::privacy::PrivacyCommand),
    /// Write a consistent backup of the store (it never holds keys).
    Backup(crate::cmd::backup::BackupArgs),
    /// Replace the store with a backup, replaying recorded erasures onto it first.
    Restore(crate::cmd::backup::RestoreArgs),
    /// Plugins: scaffold, test, sign, publish, trust, install.
    #[command(subcommand)]
    Plugin(crate::cmd::plugin::PluginCommand),
    /// Run an installed plugin over a tenant's population (or replay a run).
    Run(crate::cmd::plugin::RunArgs),
    /// The outputs of a run, with their named values and explanations.
    Scores(crate::cmd::plugin::ScoresArgs),
    /// The action gate: request a verdict, review, execute once, replay.
    #[command(subcommand)]
    Action(crate::cmd::action::ActionCommand),
    /// The audit module: fairness of a selection (a file exported from any
    /// system, or a stored run) and the tamper-evident log (verify, prove,
    /// list, sign and export tree heads), records of processing (GDPR Art. 30)
    /// and audit reports.
    #[command(subcommand)]
    Audit(crate::cmd::audit::AuditCommand),
}

#[derive(Debug, Args)]
pub struct QuickstartArgs {
    /// Customers in the sample tenant.
    #[arg(long, default_value_t = 2000)]
    pub customers: u64,
    /// Seed of the sample data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// scrypt work factor (log2 N) for a passphrase-protected keyring.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u8).range(10..=22))]
    pub kdf_cost: u8,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant with its own key-encryption key.
    Create {
        /// Tenant name: letters, digits, `-`, `_`, `.`.
        name: String,
    },
    /// List tenants with their row counts.
    List,
    /// Rotate a tenant's key-encryption key, re-wrapping every subject key.
    RotateKey {
        /// Tenant name.
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Tenant to import into.
    #[arg(long)]
    pub tenant: String,
    /// What the file holds: customers, suppliers, partners, transactions,
    /// interactions, deliveries, referrals or consents.
    #[arg(long)]
    pub kind: String,
    /// File format: csv, jsonl or cdnow; by default from the file extension
    /// (required when reading standard input).
    #[arg(long)]
    pub format: Option<String>,
    /// File to import, or `-` for standard input.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of customers.
    #[arg(long)]
    pub customers: u64,
    /// Seed; the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum SubjectCommand {
    /// Show a stakeholder with its personal fields opened.
    Show {
        #[arg(long)]
        tenant: String,
        /// External id of the stakeholder.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Append a consent record (a grant, withdrawal, refusal or objection).
    Record(Box<RecordArgs>),
    /// May this subject's data be processed for this purpose? With every reason.
    Check {
        #[arg(long)]
        tenant: String,
        /// External id of the subject.
        #[arg(long)]
        subject: String,
        /// Purpose id from the purpose policy.
        #[arg(long)]
        purpose: String,
        /// Judge under this jurisdiction instead of the subject's residence.
        #[arg(long)]
        jurisdiction: Option<String>,
        /// Decide as of this RFC 3339 instant instead of now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Every version of every consent record of a subject.
    History {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        subject: String,
    },
    /// Decide a purpose for every customer of a tenant and count the outcomes.
    Summary {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    #[arg(long)]
    pub tenant: String,
    /// External id of the subject.
    #[arg(long)]
    pub subject: String,
    /// Purpose id from the purpose policy.
    #[arg(long)]
    pub purpose: String,
    /// GDPR Art. 6(1) basis: consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests.
    #[arg(long, default_value = "consent")]
    pub basis: String,
    /// granted, withdrawn, refused or objected.
    #[arg(long)]
    pub status: String,
    /// Jurisdiction the record is collected under, e.g. EU, GB, US-CA.
    #[arg(long)]
    pub jurisdiction: String,
    /// How it was collected: web_form, import, api, gpc_signal, email, phone, paper, in_person.
    #[arg(long, default_value = "api")]
    pub method: String,
    /// Record id; an existing id gets a new version (a correction).
    #[arg(long)]
    pub id: Option<String>,
    /// When it was given (RFC 3339); default now.
    #[arg(long)]
    pub at: Option<String>,
    /// When a grant lapses (RFC 3339).
    #[arg(long)]
    pub expires: Option<String>,
    /// Notice version it was given under, as ID:VERSION.
    #[arg(long)]
    pub notice: Option<String>,
    /// Explicit consent (GDPR Art. 9(2)(a), 22(2)(c)).
    #[arg(long)]
    pub explicit: bool,
    /// subject or parent_or_guardian.
    #[arg(long, default_value = "subject")]
    pub given_by: String,
    /// Where it was collected, e.g. checkout-form.
    #[arg(long)]
    pub source: Option<String>,
    /// Reference to stored evidence.
    #[arg(long)]
    pub evidence_ref: Option<String>,
    /// Who records it.
    #[arg(long)]
    pub actor: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum NoticeCommand {
    /// Publish a new immutable version of a notice from a text file.
    Publish {
        #[arg(long)]
        tenant: String,
        /// Notice id, e.g. privacy-notice.
        #[arg(long)]
        id: String,
        /// The notice text.
        #[arg(long)]
        file: PathBuf,
        /// The change is material: grants given under earlier versions lapse.
        #[arg(long)]
        material: bool,
    },
    /// List notice versions with their content hashes.
    List {
        #[arg(long)]
        tenant: String,
    },
}

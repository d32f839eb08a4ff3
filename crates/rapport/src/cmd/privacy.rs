//! `rapport privacy request|requests|extend|export|erase|rectify|sweep`:
//! data-subject rights and retention. Arguments are defined here, next to
//! the only code that reads them.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use rapport_core::Platform;

use super::Ctx;
use crate::{outln, output};

#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// Log a data-subject request and start its legal clock.
    Request {
        #[arg(long)]
        tenant: String,
        /// External id of the subject.
        #[arg(long)]
        subject: String,
        /// access, portability, erasure, rectification, opt_out or restriction.
        #[arg(long)]
        kind: String,
        /// Jurisdiction whose clock applies: EU, GB or US-CA.
        #[arg(long)]
        jurisdiction: String,
        /// Date the request was received (YYYY-MM-DD); default today.
        #[arg(long, value_name = "DATE")]
        received: Option<String>,
    },
    /// List pending requests with days left; warns on stderr about each one
    /// due within 7 days or overdue.
    Requests {
        #[arg(long)]
        tenant: String,
        /// Include completed and refused requests.
        #[arg(long)]
        all: bool,
        /// Count days left as of this date (YYYY-MM-DD) instead of today.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
    /// Extend a request's deadline once, as its law allows (notify the subject with the reason).
    Extend {
        #[arg(long)]
        tenant: String,
        /// Request id, as `privacy requests` lists it.
        request_id: i64,
        /// Why the extension is necessary, as given to the subject.
        #[arg(long)]
        reason: String,
    },
    /// Export everything held about a subject as JSON, age-encrypted to a recipient (GDPR Art. 15, 20).
    Export(ExportArgs),
    /// Erase a subject: crypto-shred, clear, pseudonymise (GDPR Art. 17).
    Erase {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        subject: String,
        /// Complete this logged erasure request instead of recording a new one.
        #[arg(long, value_name = "ID")]
        request: Option<i64>,
    },
    /// Correct one personal field of a subject (GDPR Art. 16).
    Rectify {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        subject: String,
        /// The field: name, contact_name, email, phone, address, birth_date, gender, age_band or notes.
        #[arg(long)]
        field: String,
        /// The correct value, or `-` to read it from the first line of
        /// standard input (keeps it out of the shell history).
        #[arg(long)]
        value: String,
        /// Complete this logged rectification request instead of recording a new one.
        #[arg(long, value_name = "ID")]
        request: Option<i64>,
    },
    /// Erase what has outlived its purposes' retention periods.
    Sweep {
        #[arg(long)]
        tenant: String,
        /// Judge as of this date (YYYY-MM-DD) instead of today.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Only report what would be erased.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub tenant: String,
    #[arg(long)]
    pub subject: String,
    /// The recipient's age public key (`age1…`).
    #[arg(long)]
    pub recipient: String,
    /// File to write; must not exist.
    #[arg(long)]
    pub out: PathBuf,
    /// Complete this logged access or portability request instead of recording a new one.
    #[arg(long, value_name = "ID")]
    pub request: Option<i64>,
}

pub async fn run(ctx: &Ctx, cmd: PrivacyCommand) -> Result<()> {
    let p = ctx.open().await?;
    let result = privacy(ctx, &p, cmd).await;
    p.close().await;
    result
}

async fn privacy(ctx: &Ctx, p: &Platform, cmd: PrivacyCommand) -> Result<()> {
    match cmd {
        PrivacyCommand::Request {
            tenant,
            subject,
            kind,
            jurisdiction,
            received,
        } => {
            let r = p
                .log_privacy_request(&tenant, &subject, &kind, &jurisdiction, received.as_deref())
                .await
                .context("could not log the request")?;
            if ctx.json {
                return output::json(&r);
            }
            outln!(
                "Request {} ({} of {}, {}) received {}: due {}",
                r.id,
                r.kind,
                r.subject,
                r.jurisdiction,
                r.received_at,
                r.due_at
            );
            if let Some(c) = &r.confirmation_due_at {
                outln!("  confirm receipt by {c}");
            }
        }
        PrivacyCommand::Requests { tenant, all, as_of } => {
            let list = p
                .privacy_requests(&tenant, all, as_of.as_deref())
                .await
                .context("could not list privacy requests")?;
            for w in list.iter().filter_map(|r| r.warning.as_deref()) {
                eprintln!("warning: {w}");
            }
            if ctx.json {
                return output::json(&list);
            }
            if list.is_empty() {
                outln!("No {} requests.", if all { "privacy" } else { "pending" });
            }
            for r in &list {
                let due = r.extended_due_at.as_deref().unwrap_or(&r.due_at);
                let left = match r.days_left {
                    Some(n) if n < 0 => format!("overdue by {} day(s)", -n),
                    Some(n) => format!("{n} day(s) left"),
                    None => r.completed_at.clone().unwrap_or_default(),
                };
                outln!(
                    "{:>5}  {:<13} {:<24} {:<6} {:<9} due {}  {}",
                    r.id,
                    r.kind,
                    r.subject,
                    r.jurisdiction,
                    r.status,
                    due,
                    left
                );
            }
        }
        PrivacyCommand::Extend {
            tenant,
            request_id,
            reason,
        } => {
            let r = p
                .extend_privacy_request(&tenant, request_id, &reason)
                .await
                .with_context(|| format!("could not extend request {request_id}"))?;
            if ctx.json {
                return output::json(&r);
            }
            outln!(
                "Request {} extended: now due {} (was {}); notify the subject with the reason.",
                r.id,
                r.extended_due_at.as_deref().unwrap_or_default(),
                r.due_at
            );
        }
        PrivacyCommand::Export(a) => {
            let r = p
                .export_subject(&a.tenant, &a.subject, &a.recipient, &a.out, a.request)
                .await
                .with_context(|| format!("could not export subject `{}`", a.subject))?;
            if ctx.json {
                return output::json(&r);
            }
            outln!(
                "Exported {}{} to {} ({} bytes, age-encrypted to {}); request {} completed",
                r.subject,
                if r.erased { " (erased)" } else { "" },
                r.out.display(),
                r.bytes,
                r.recipient,
                r.request_id
            );
            for (k, n) in &r.counts {
                outln!("  {k:<17} {n}");
            }
        }
        PrivacyCommand::Erase {
            tenant,
            subject,
            request,
        } => {
            let r = p
                .erase_subject(&tenant, &subject, request)
                .await
                .with_context(|| format!("could not erase subject `{subject}`"))?;
            if ctx.json {
                return output::json(&r);
            }
            if r.already_erased {
                outln!("{subject} was already erased (now {}).", r.pseudonym);
            } else {
                outln!(
                    "Erased {subject}: now {} (erased at {}).",
                    r.pseudonym,
                    r.erased_at
                );
            }
            for k in &r.removed {
                outln!("  removed: {k}");
            }
            for k in &r.kept {
                outln!("  kept:    {k}");
            }
            if r.recipients_to_notify.is_empty() {
                outln!("  recipients to notify (Art. 17(2), 19): none recorded");
            } else {
                outln!("  recipients to notify (Art. 17(2), 19):");
                for n in &r.recipients_to_notify {
                    outln!(
                        "    {} ({}; {} for {}, action {} at {})",
                        n.recipient,
                        n.recipient_key,
                        n.fields,
                        n.purpose,
                        n.action,
                        n.disclosed_at
                    );
                }
            }
            if let Some(id) = r.request_id {
                outln!("  request {id} completed");
            }
        }
        PrivacyCommand::Rectify {
            tenant,
            subject,
            field,
            value,
            request,
        } => {
            let value = if value == "-" {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("could not read the new value from standard input")?;
                let v = line.trim_end_matches(['\r', '\n']).to_owned();
                if v.is_empty() {
                    bail!("--value -: standard input held no value");
                }
                v
            } else {
                value
            };
            let r = p
                .rectify_subject(&tenant, &subject, &field, &value, request)
                .await
                .with_context(|| format!("could not rectify subject `{subject}`"))?;
            if ctx.json {
                return output::json(&r);
            }
            outln!(
                "Rectified {} of {}{}; request {} completed",
                r.field,
                r.subject,
                if r.protected {
                    " (protected attribute)"
                } else {
                    ""
                },
                r.request_id
            );
        }
        PrivacyCommand::Sweep {
            tenant,
            as_of,
            dry_run,
        } => {
            let r = p
                .retention_sweep(&tenant, as_of.as_deref(), dry_run)
                .await
                .context("retention sweep failed")?;
            if ctx.json {
                return output::json(&r);
            }
            let verb = if dry_run { "would erase" } else { "erased" };
            outln!(
                "Retention sweep of {} as of {} (policy {}): {} stakeholder(s) examined, {} {verb}, {} undated",
                r.tenant,
                r.as_of,
                r.policy_version,
                r.examined,
                r.erased.len(),
                r.undated
            );
            for id in &r.erased {
                outln!("  {verb} {id}");
            }
            outln!(
                "  interaction texts {} {}",
                if dry_run { "to drop:" } else { "dropped:" },
                r.interaction_texts_dropped
            );
        }
    }
    Ok(())
}

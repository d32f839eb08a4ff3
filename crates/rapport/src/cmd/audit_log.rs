//! `rapport audit verify|prove|consistency|log|checkpoint|export-head`: the
//! tamper-evident audit log. Arguments are defined here, next to the only
//! code that reads them; `cmd/audit.rs` mounts them under `rapport audit`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use rapport_core::{ExportedHead, LogRef, Platform};

use super::Ctx;
use crate::{outln, output};

/// Which log a command is about.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct LogArgs {
    /// A tenant's log.
    #[arg(long)]
    pub tenant: Option<String>,
    /// The data directory's own log (plugin publication, backups, restores).
    #[arg(long)]
    pub platform: bool,
}

impl LogArgs {
    fn log(&self) -> LogRef<'_> {
        match &self.tenant {
            Some(t) => LogRef::Tenant(t),
            None => LogRef::Platform,
        }
    }

    fn name(&self) -> String {
        match &self.tenant {
            Some(t) => format!("tenant `{t}`"),
            None => "the platform".to_owned(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AuditLogCommand {
    /// Check the whole log offline and name the first entry that was edited, deleted, inserted or reordered.
    Verify {
        /// Only this tenant's log (default: every log of the data directory).
        #[arg(long)]
        tenant: Option<String>,
        /// A tree head exported earlier (`audit export-head`): the log must still extend it.
        #[arg(long, value_name = "FILE")]
        head: Option<PathBuf>,
    },
    /// Print an inclusion proof of one entry against the latest or a given tree head (JSON).
    Prove {
        #[command(flatten)]
        log: LogArgs,
        /// The entry's sequence number.
        #[arg(long, value_name = "SEQ")]
        entry: u64,
        /// Prove against this exported tree head instead of the latest one.
        #[arg(long, value_name = "FILE")]
        head: Option<PathBuf>,
        /// Write the proof to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print a consistency proof that a later tree head extends an earlier one (JSON).
    Consistency {
        #[command(flatten)]
        log: LogArgs,
        /// The earlier exported tree head.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The later exported tree head (default: the latest one).
        #[arg(long, value_name = "FILE")]
        to: Option<PathBuf>,
        /// Write the proof to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// List a log's entries.
    Log {
        #[command(flatten)]
        log: LogArgs,
        /// Only entries the log accepted from this date (YYYY-MM-DD) or instant (RFC 3339) on.
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Only entries of this kind (import, run, consent_change, erasure, …).
        #[arg(long)]
        kind: Option<String>,
    },
    /// Sign a tree head over the log as it is now.
    Checkpoint {
        #[command(flatten)]
        log: LogArgs,
    },
    /// Write the latest signed tree head with the log's public key, for a client or third party.
    ExportHead {
        #[command(flatten)]
        log: LogArgs,
        /// File to write; must not exist.
        #[arg(long)]
        out: PathBuf,
    },
}

pub async fn run(ctx: &Ctx, cmd: AuditLogCommand) -> Result<()> {
    let p = ctx.open().await?;
    let result = audit_log(ctx, &p, cmd).await;
    p.close().await;
    result
}

fn read_head(path: &Path) -> Result<ExportedHead> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read the tree head {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not an exported tree head", path.display()))
}

fn write_new(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("could not create {} (it must not exist)", path.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("could not write {}", path.display()))
}

fn emit(out: Option<&Path>, doc: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(doc)? + "\n";
    match out {
        Some(path) => write_new(path, &text),
        None => {
            outln!("{}", text.trim_end());
            Ok(())
        }
    }
}

async fn audit_log(ctx: &Ctx, p: &Platform, cmd: AuditLogCommand) -> Result<()> {
    match cmd {
        AuditLogCommand::Verify { tenant, head } => {
            let head = head.as_deref().map(read_head).transpose()?;
            let r = p
                .audit_verify(tenant.as_deref(), head.as_ref())
                .await
                .context("could not verify the audit log")?;
            if ctx.json {
                output::json(&r)?;
            } else {
                for l in &r.logs {
                    let name = l
                        .tenant
                        .as_deref()
                        .map_or("platform".to_owned(), |t| format!("tenant {t}"));
                    let status = if l.ok { "OK" } else { "FAILED" };
                    outln!(
                        "{name} (log {}, key {}): {} entries, {} tree heads{}: {status}",
                        l.log,
                        l.key_id,
                        l.entries,
                        l.heads_checked,
                        if l.exported_head_checked {
                            " and the exported head"
                        } else {
                            ""
                        }
                    );
                    if let Some(bad) = &l.first_bad_entry {
                        outln!("  first bad entry: {bad}");
                    }
                    for problem in &l.problems {
                        outln!("  {problem}");
                    }
                }
                for problem in &r.problems {
                    outln!("{problem}");
                }
            }
            if !r.ok {
                let first = r
                    .logs
                    .iter()
                    .find_map(|l| {
                        l.first_bad_entry.as_ref().map(|b| {
                            format!(
                                "{}: {b}",
                                l.tenant.as_deref().map_or("platform log".to_owned(), |t| {
                                    format!("tenant `{t}`")
                                })
                            )
                        })
                    })
                    .or_else(|| r.logs.iter().find_map(|l| l.problems.first().cloned()))
                    .or_else(|| r.problems.first().cloned())
                    .unwrap_or_default();
                bail!("the audit log failed verification: {first}");
            }
        }
        AuditLogCommand::Prove {
            log,
            entry,
            head,
            out,
        } => {
            let head = head.as_deref().map(read_head).transpose()?;
            let doc = p
                .audit_prove(log.log(), entry, head.as_ref())
                .await
                .with_context(|| format!("could not prove entry {entry} of {}", log.name()))?;
            emit(out.as_deref(), &doc)?;
        }
        AuditLogCommand::Consistency { log, from, to, out } => {
            let old = read_head(&from)?;
            let new = to.as_deref().map(read_head).transpose()?;
            let doc = p
                .audit_consistency(log.log(), &old, new.as_ref())
                .await
                .with_context(|| {
                    format!("could not prove the consistency of {}'s log", log.name())
                })?;
            emit(out.as_deref(), &doc)?;
        }
        AuditLogCommand::Log { log, since, kind } => {
            let entries = p
                .audit_entries(log.log(), since.as_deref(), kind.as_deref())
                .await
                .with_context(|| format!("could not list {}'s log", log.name()))?;
            if ctx.json {
                return output::json(&entries);
            }
            if entries.is_empty() {
                outln!("No entries.");
            }
            for e in &entries {
                outln!(
                    "{:>6}  {}  {:<17} {}",
                    e.seq,
                    e.timestamp,
                    e.kind,
                    summary(&e.body)
                );
            }
        }
        AuditLogCommand::Checkpoint { log } => {
            let h = p
                .audit_checkpoint(log.log())
                .await
                .with_context(|| format!("could not sign a tree head for {}", log.name()))?;
            if ctx.json {
                return output::json(&h);
            }
            outln!(
                "Signed tree head of {}: {} entries, root {}, at {} (key {})",
                log.name(),
                h.tree_size,
                h.root_hash,
                h.timestamp,
                h.key_id
            );
        }
        AuditLogCommand::ExportHead { log, out } => {
            let h = p
                .audit_export_head(log.log())
                .await
                .with_context(|| format!("could not export {}'s tree head", log.name()))?;
            write_new(&out, &(serde_json::to_string_pretty(&h)? + "\n"))?;
            if ctx.json {
                return output::json(&serde_json::json!({"out": out, "head": h}));
            }
            outln!(
                "Wrote the tree head of {} ({} entries, root {}, key {}) to {}",
                log.name(),
                h.tree_size,
                h.root_hash,
                h.key_id,
                out.display()
            );
        }
    }
    Ok(())
}

/// A one-line summary of an entry body: its fields, shortened.
fn summary(body: &serde_json::Value) -> String {
    let Some(map) = body.as_object() else {
        return String::new();
    };
    let mut parts = Vec::new();
    for (k, v) in map {
        let text = match v {
            serde_json::Value::String(s) if s.chars().count() > 16 => {
                format!("{}…", s.chars().take(12).collect::<String>())
            }
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => continue,
            serde_json::Value::Array(a) => format!("[{}]", a.len()),
            serde_json::Value::Object(_) => "{…}".to_owned(),
            other => other.to_string(),
        };
        parts.push(format!("{k}={text}"));
    }
    parts.join(" ")
}

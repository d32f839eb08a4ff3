//! `rapport audit ropa|report`: the records of processing and a run's audit
//! report. Arguments are defined here, next to the only code that reads
//! them; `cmd/audit.rs` mounts them under `rapport audit`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use rapport_core::Platform;

use super::Ctx;
use crate::{outln, output};

#[derive(Debug, Subcommand)]
pub enum AuditReportCommand {
    /// The record of processing activities (GDPR Art. 30) from what the platform knows.
    Ropa {
        #[arg(long)]
        tenant: String,
    },
    /// A run's audit report: one self-contained HTML page, or canonical JSON with --json.
    Report {
        #[arg(long)]
        tenant: String,
        /// The run the report is about.
        #[arg(long, value_name = "RUN_ID")]
        run: String,
        /// Only this action requested on the run (default: all of them).
        #[arg(long, value_name = "ID")]
        action: Option<String>,
        /// Write the report here (must not exist) instead of to standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

pub async fn run(ctx: &Ctx, cmd: AuditReportCommand) -> Result<()> {
    let p = ctx.open().await?;
    let result = audit(ctx, &p, cmd).await;
    p.close().await;
    result
}

async fn audit(ctx: &Ctx, p: &Platform, cmd: AuditReportCommand) -> Result<()> {
    match cmd {
        AuditReportCommand::Ropa { tenant } => {
            let r = p
                .records_of_processing(&tenant)
                .await
                .context("could not build the records of processing")?;
            if ctx.json {
                return output::json(&r);
            }
            print!("{}", r.to_text());
        }
        AuditReportCommand::Report {
            tenant,
            run,
            action,
            out,
        } => {
            let r = p
                .audit_report(&tenant, &run, action.as_deref())
                .await
                .context("could not build the audit report")?;
            let text = if ctx.json {
                let mut t = r.canonical_json()?;
                t.push('\n');
                t
            } else {
                rapport_audit::report::render_html(&r)
            };
            match out {
                None => {
                    use std::io::Write as _;
                    let mut stdout = std::io::stdout().lock();
                    if let Err(e) = stdout.write_all(text.as_bytes()) {
                        output::stdout_failed(&e);
                    }
                }
                Some(path) => {
                    if path.exists() {
                        anyhow::bail!("{} already exists; choose a new file name", path.display());
                    }
                    std::fs::write(&path, text.as_bytes())
                        .with_context(|| format!("could not write {}", path.display()))?;
                    // Progress goes to standard error, so that `--json --out`
                    // leaves standard output empty for scripts.
                    eprintln!(
                        "Wrote the audit report of run {} ({} action(s), input sha256 {}) to {}",
                        r.run.id,
                        r.actions.len(),
                        r.input_sha256,
                        path.display()
                    );
                    if !ctx.json {
                        outln!("{}", path.display());
                    }
                }
            }
        }
    }
    Ok(())
}

//! `rapport audit …`: the audit module's commands. The tamper-evident log's
//! subcommands live in `audit_log.rs` and are mounted here.

use anyhow::Result;
use clap::Subcommand;

use super::{audit_log, Ctx};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    #[command(flatten)]
    Log(audit_log::AuditLogCommand),
}

pub async fn run(ctx: &Ctx, cmd: AuditCommand) -> Result<()> {
    match cmd {
        AuditCommand::Log(c) => audit_log::run(ctx, c).await,
    }
}

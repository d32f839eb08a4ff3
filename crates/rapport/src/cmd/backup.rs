//! `rapport backup` and `rapport restore`: copies of the main store that
//! never carry keys, and restores that replay erasures before serving.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use rapport_core::Platform;

use super::Ctx;
use crate::{outln, output, unlock};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// File to write; must not exist.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `rapport backup`.
    pub file: PathBuf,
}

pub async fn backup(ctx: &Ctx, args: BackupArgs) -> Result<()> {
    let p = ctx.open().await?;
    let result = p
        .backup(&args.out)
        .await
        .with_context(|| format!("could not write a backup to {}", args.out.display()));
    p.close().await;
    let r = result?;
    if ctx.json {
        return output::json(&r);
    }
    outln!(
        "Backup written to {} ({} bytes, tenants: {}). It holds no keys: keep the key directory backed up apart.",
        r.out.display(),
        r.bytes,
        r.tenants.join(", ")
    );
    Ok(())
}

pub async fn restore(ctx: &Ctx, args: RestoreArgs) -> Result<()> {
    let dirs = ctx.dirs();
    let unlock = unlock::for_open(ctx.identity.as_deref())?;
    let r = Platform::restore(dirs, &unlock, &args.file)
        .await
        .with_context(|| format!("could not restore {}", args.file.display()))?;
    if ctx.json {
        return output::json(&r);
    }
    outln!(
        "Restored {} into {} (tenants: {}); {} erasure(s) recorded since the backup were applied first.",
        r.from.display(),
        r.database.display(),
        r.tenants.join(", "),
        r.erasures_replayed
    );
    Ok(())
}

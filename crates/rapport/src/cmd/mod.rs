//! One module per command; [`run`] dispatches.

pub mod action;
pub mod audit;
pub mod audit_log;
pub mod audit_report;
pub mod backup;
mod consent;
mod generate;
mod import;
pub mod plugin;
pub mod privacy;
mod quickstart;
mod subject;
mod tenant;

use std::path::PathBuf;

use anyhow::{Context, Result};
use rapport_core::{DataDirs, KeyringOptions, Platform};

use crate::cli::{Cli, Command};
use crate::{output, unlock};

/// Default data directory when neither --data-dir nor RAPPORT_DATA_DIR is given.
pub const DEFAULT_DATA_DIR: &str = "rapport-data";

/// Global options every command may need.
pub struct Ctx {
    pub data_dir: Option<PathBuf>,
    pub key_dir: Option<PathBuf>,
    pub identity: Option<PathBuf>,
    pub json: bool,
}

impl Ctx {
    pub fn dirs(&self) -> DataDirs {
        let data = self
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        match &self.key_dir {
            Some(k) => DataDirs::with_keys(data, k.clone()),
            None => DataDirs::new(data),
        }
    }

    /// Opens the data directory, unlocking the keyring.
    pub async fn open(&self) -> Result<Platform> {
        let dirs = self.dirs();
        let unlock = unlock::for_open(self.identity.as_deref())?;
        Platform::open(dirs.clone(), &unlock)
            .await
            .with_context(|| format!("could not open the data directory {}", dirs.data.display()))
    }
}

pub async fn run(cli: Cli) -> Result<()> {
    let ctx = Ctx {
        data_dir: cli.data_dir,
        key_dir: cli.key_dir,
        identity: cli.identity,
        json: cli.json,
    };
    match cli.command {
        Command::Quickstart(args) => quickstart::run(&ctx, args).await,
        Command::Init(args) => init(&ctx, args.kdf_cost).await,
        Command::Tenant(c) => tenant::run(&ctx, c).await,
        Command::Import(args) => import::run(&ctx, args).await,
        Command::Generate(args) => generate::run(&ctx, args),
        Command::Subject(c) => subject::run(&ctx, c).await,
        Command::Consent(c) => consent::run(&ctx, c).await,
        Command::Notice(c) => consent::notice(&ctx, c).await,
        Command::Privacy(c) => privacy::run(&ctx, c).await,
        Command::Backup(a) => backup::backup(&ctx, a).await,
        Command::Restore(a) => backup::restore(&ctx, a).await,
        Command::Plugin(c) => plugin::plugin(&ctx, c).await,
        Command::Run(a) => plugin::run(&ctx, a).await,
        Command::Scores(a) => plugin::scores(&ctx, a).await,
        Command::Action(c) => action::run(&ctx, c).await,
        Command::Audit(c) => audit::run(&ctx, c).await,
    }
}

async fn init(ctx: &Ctx, kdf_cost: u8) -> Result<()> {
    let dirs = ctx.dirs();
    let (unlock, created) = unlock::for_create(ctx.identity.as_deref())?;
    let platform = Platform::init(
        dirs.clone(),
        &unlock,
        &KeyringOptions {
            scrypt_log_n: kdf_cost,
        },
    )
    .await
    .with_context(|| {
        format!(
            "could not create a data directory at {}",
            dirs.data.display()
        )
    })?;
    platform.close().await;
    if ctx.json {
        output::json(&serde_json::json!({
            "data_dir": dirs.data,
            "database": dirs.database(),
            "keyring": dirs.keyring(),
            "keystore": dirs.keystore(),
            "identity_recipient": created,
        }))?;
    } else {
        crate::outln!("Created data directory {}", dirs.data.display());
        crate::outln!("  store     {}", dirs.database().display());
        crate::outln!("  keyring   {} (age-encrypted)", dirs.keyring().display());
        crate::outln!("  key store {}", dirs.keystore().display());
        if let Some(r) = created {
            crate::outln!(
                "  new identity file {} (public key {r}); keep it safe and apart from the data",
                ctx.identity
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

//! `rapport tenant create|list|rotate-key`.

use anyhow::{Context, Result};

use super::Ctx;
use crate::cli::TenantCommand;
use crate::output;

pub async fn run(ctx: &Ctx, cmd: TenantCommand) -> Result<()> {
    let mut p = ctx.open().await?;
    let result = match cmd {
        TenantCommand::Create { name } => {
            let t = p
                .create_tenant(&name)
                .await
                .with_context(|| format!("could not create tenant `{name}`"))?;
            if ctx.json {
                output::json(&t)?;
            } else {
                crate::outln!("Created tenant {} with its own key-encryption key", t.name);
            }
            Ok(())
        }
        TenantCommand::List => {
            let ts = p.tenants().await.context("could not list tenants")?;
            if ctx.json {
                output::json(&ts)?;
            } else if ts.is_empty() {
                crate::outln!("No tenants yet: create one with `rapport tenant create NAME`.");
            } else {
                crate::outln!(
                    "{:<24} {:>10} {:>9} {:>8} {:>12} {:>12} {:>10} {:>9} {:>9}",
                    "tenant",
                    "customers",
                    "suppliers",
                    "partners",
                    "transactions",
                    "interactions",
                    "deliveries",
                    "referrals",
                    "consents"
                );
                for t in ts {
                    crate::outln!(
                        "{:<24} {:>10} {:>9} {:>8} {:>12} {:>12} {:>10} {:>9} {:>9}",
                        t.name,
                        t.customers,
                        t.suppliers,
                        t.partners,
                        t.transactions,
                        t.interactions,
                        t.deliveries,
                        t.referrals,
                        t.consents
                    );
                }
            }
            Ok(())
        }
        TenantCommand::RotateKey { name } => {
            let r = p
                .rotate_tenant_key(&name)
                .await
                .with_context(|| format!("could not rotate the key of tenant `{name}`"))?;
            if ctx.json {
                output::json(&r)?;
            } else {
                crate::outln!(
                    "Rotated tenant {} to key version {}: re-wrapped {} subject keys (fields were not re-encrypted)",
                    r.tenant, r.new_version, r.rewrapped_keys
                );
            }
            Ok(())
        }
    };
    p.close().await;
    result
}

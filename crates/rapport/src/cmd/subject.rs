//! `rapport subject show`: one stakeholder with its personal fields opened.

use anyhow::{Context, Result};

use super::Ctx;
use crate::cli::SubjectCommand;
use crate::output;

pub async fn run(ctx: &Ctx, cmd: SubjectCommand) -> Result<()> {
    let p = ctx.open().await?;
    let result = match cmd {
        SubjectCommand::Show { tenant, id } => {
            let profile = p
                .profile(&tenant, &id)
                .await
                .with_context(|| format!("could not read stakeholder `{id}` of tenant `{tenant}`"));
            match profile {
                Ok(profile) if ctx.json => output::json(&profile),
                Ok(profile) => {
                    crate::outln!("{} ({})", profile.id, profile.kind);
                    for (k, v) in [
                        ("country", &profile.country),
                        ("region", &profile.region),
                        ("signup_date", &profile.signup_date),
                        ("category", &profile.category),
                        ("partner_type", &profile.partner_type),
                    ] {
                        if let Some(v) = v {
                            crate::outln!("  {k:<13} {v}");
                        }
                    }
                    for (k, v) in &profile.fields {
                        crate::outln!("  {k:<13} {v}");
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
    };
    p.close().await;
    result
}

//! `rapport consent record|check|history|summary` and `rapport notice publish|list`.

use anyhow::{anyhow, Context, Result};
use rapport_core::NewConsent;
use rapport_domain::rows::{CollectionMethod, ConsentStatus, GivenBy, LawfulBasis};

use super::Ctx;
use crate::cli::{ConsentCommand, NoticeCommand, RecordArgs};
use crate::output;

fn parse_enum<T: serde::de::DeserializeOwned>(what: &str, value: &str, options: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| anyhow!("unknown {what} `{value}` (expected one of: {options})"))
}

fn new_consent(a: RecordArgs) -> Result<NewConsent> {
    let notice = match a.notice {
        None => None,
        Some(n) => {
            let (id, v) = n
                .rsplit_once(':')
                .ok_or_else(|| anyhow!("--notice must be ID:VERSION, e.g. privacy-notice:2"))?;
            let v: i64 = v
                .parse()
                .map_err(|_| anyhow!("--notice version `{v}` is not a number"))?;
            Some((id.to_owned(), v))
        }
    };
    Ok(NewConsent {
        id: a.id,
        subject: a.subject,
        purpose: a.purpose,
        lawful_basis: parse_enum::<LawfulBasis>(
            "lawful basis",
            &a.basis,
            "consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests",
        )?,
        status: parse_enum::<ConsentStatus>("status", &a.status, "granted, withdrawn, refused, objected")?,
        jurisdiction: a.jurisdiction,
        method: parse_enum::<CollectionMethod>(
            "method",
            &a.method,
            "web_form, import, api, gpc_signal, email, phone, paper, in_person",
        )?,
        recorded_at: a.at,
        expires_at: a.expires,
        notice,
        explicit: a.explicit,
        given_by: parse_enum::<GivenBy>("giver", &a.given_by, "subject, parent_or_guardian")?,
        source: a.source,
        evidence_ref: a.evidence_ref,
        actor: a.actor,
    })
}

pub async fn run(ctx: &Ctx, cmd: ConsentCommand) -> Result<()> {
    let p = ctx.open().await?;
    let result = consent(ctx, &p, cmd).await;
    p.close().await;
    result
}

async fn consent(ctx: &Ctx, p: &rapport_core::Platform, cmd: ConsentCommand) -> Result<()> {
    match cmd {
        ConsentCommand::Record(args) => {
            let tenant = args.tenant.clone();
            let receipt = p
                .record_consent(&tenant, new_consent(*args)?)
                .await
                .context("could not record the consent")?;
            if ctx.json {
                output::json(&receipt)?;
            } else {
                crate::outln!(
                    "Recorded {} version {}: {} {} for {} at {}",
                    receipt.id,
                    receipt.version,
                    receipt.status,
                    receipt.purpose,
                    receipt.subject,
                    receipt.recorded_at
                );
            }
        }
        ConsentCommand::Check {
            tenant,
            subject,
            purpose,
            jurisdiction,
            at,
        } => {
            let c = p
                .check_consent(
                    &tenant,
                    &subject,
                    &purpose,
                    jurisdiction.as_deref(),
                    at.as_deref(),
                )
                .await
                .with_context(|| {
                    format!("could not check consent of `{subject}` for `{purpose}`")
                })?;
            if ctx.json {
                output::json(&c)?;
            } else {
                crate::outln!(
                    "{}: {} for {} under {} at {}{}",
                    c.subject,
                    if c.allowed { "ALLOWED" } else { "DENIED" },
                    c.purpose,
                    if c.jurisdictions.is_empty() {
                        "no known jurisdiction (GDPR model)".to_owned()
                    } else {
                        c.jurisdictions.join(" + ")
                    },
                    c.at,
                    if c.requires_human_review {
                        " (human review required)"
                    } else {
                        ""
                    }
                );
                for r in &c.reasons {
                    crate::outln!(
                        "  {} [{}] {} — {} ({})",
                        if r.allowed { "+" } else { "-" },
                        r.jurisdiction,
                        r.message,
                        r.citation,
                        r.rule
                    );
                }
                if !c.records.is_empty() {
                    let ids: Vec<String> = c
                        .records
                        .iter()
                        .map(|r| format!("{} v{}", r.id, r.version))
                        .collect();
                    crate::outln!("  records: {}", ids.join(", "));
                }
            }
        }
        ConsentCommand::History { tenant, subject } => {
            let h = p
                .consent_history(&tenant, &subject)
                .await
                .with_context(|| format!("could not read the consent history of `{subject}`"))?;
            if ctx.json {
                output::json(&h)?;
            } else if h.is_empty() {
                crate::outln!("No consent records for {subject}.");
            } else {
                for c in h {
                    crate::outln!(
                        "{}  {:<24} {:<10} {:<21} {:<6} {} v{}{}",
                        c.recorded_at,
                        c.purpose,
                        c.status,
                        c.lawful_basis,
                        c.jurisdiction,
                        c.id,
                        c.version,
                        c.notice_id
                            .as_ref()
                            .map(|n| format!(" (notice {n} v{})", c.notice_version.unwrap_or(0)))
                            .unwrap_or_default()
                    );
                }
            }
        }
        ConsentCommand::Summary {
            tenant,
            purpose,
            at,
        } => {
            let s = p
                .consent_summary(&tenant, &purpose, at.as_deref())
                .await
                .with_context(|| format!("could not summarise consent for `{purpose}`"))?;
            if ctx.json {
                output::json(&s)?;
            } else {
                crate::outln!(
                    "{} customers of {} for {} at {}: {} allowed ({} need human review), {} denied, in {:.2}s",
                    s.subjects, s.tenant, s.purpose, s.at, s.allowed, s.requires_human_review, s.denied, s.seconds
                );
                for (rule, n) in &s.denied_by_rule {
                    crate::outln!("  {n:>8}  {rule}");
                }
            }
        }
    }
    Ok(())
}

pub async fn notice(ctx: &Ctx, cmd: NoticeCommand) -> Result<()> {
    let p = ctx.open().await?;
    let result = async {
        match cmd {
            NoticeCommand::Publish {
                tenant,
                id,
                file,
                material,
            } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("could not read notice text {}", file.display()))?;
                let n = p
                    .publish_notice(&tenant, &id, &text, material)
                    .await
                    .with_context(|| format!("could not publish notice `{id}`"))?;
                if ctx.json {
                    output::json(&n)?;
                } else {
                    crate::outln!(
                        "Published {} version {} (sha256 {}){}",
                        n.notice_id,
                        n.version,
                        n.content_sha256,
                        if n.material_change {
                            "; material change: earlier grants must be renewed"
                        } else {
                            ""
                        }
                    );
                }
            }
            NoticeCommand::List { tenant } => {
                let ns = p.notices(&tenant).await.context("could not list notices")?;
                if ctx.json {
                    output::json(&ns)?;
                } else {
                    for n in ns {
                        crate::outln!(
                            "{} v{}  {}  {}{}",
                            n.notice_id,
                            n.version,
                            n.published_at,
                            n.content_sha256,
                            if n.material_change { "  material" } else { "" }
                        );
                    }
                }
            }
        }
        Ok(())
    }
    .await;
    p.close().await;
    result
}

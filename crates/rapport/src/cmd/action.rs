//! `rapport action request|list|show|replay|approve|reject|execute`: the
//! action gate. Arguments are defined here, next to the only code that
//! reads them.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use rapport_core::{
    ActionReplay, ActionRequest, ActionView, ExecuteOptions, Platform, SubjectView, TargetSpec,
};

use super::Ctx;
use crate::{outln, output};

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Ask the gate for a verdict on an action: consent per person, fairness of the selection, policy.
    Request(RequestArgs),
    /// The tenant's actions, newest first.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// One action with its verdict, review and execution.
    Show {
        /// Action id, as `action request` printed it.
        id: String,
        /// List every targeted person's outcome, not only the excluded and
        /// review-held ones.
        #[arg(long)]
        subjects: bool,
        /// Re-derive the verdict from its pins and say whether it matches.
        #[arg(long)]
        replay: bool,
    },
    /// Re-derive a verdict from its pins (policy bundle, instant, consent
    /// ledger as it stood, run, population) and say whether it matches.
    Replay {
        /// Action id.
        id: String,
    },
    /// Approve an action held for review (GDPR Art. 22, fairness findings).
    Approve(ReviewArgs),
    /// Reject an action held for review; it can never execute.
    Reject(ReviewArgs),
    /// Execute an allowed or approved action, once: consent is decided again and the final list written.
    Execute(ExecuteArgs),
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    #[arg(long)]
    pub tenant: String,
    /// Action kind (policies/actions.json): email_campaign, phone_campaign,
    /// partner_export, data_sale, ad_audience, automated_decision.
    #[arg(long)]
    pub kind: String,
    /// Processing purpose the action is for (one the kind allows).
    #[arg(long)]
    pub purpose: String,
    /// Target the customers a segmenter run labelled NAME (by default the
    /// latest successful run that produced the label; --run picks one).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["top", "subjects"])]
    pub segment: Option<String>,
    /// The run whose outputs the target comes from.
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// Target the N highest scores of --run (ties: ascending external id).
    #[arg(long, value_name = "N", requires = "run", conflicts_with = "subjects")]
    pub top: Option<u64>,
    /// Target the customers whose external ids the file lists, one per line.
    #[arg(long, value_name = "FILE")]
    pub subjects: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Action id.
    pub id: String,
    /// Who reviewed it.
    #[arg(long)]
    pub reviewer: String,
    /// What the reviewer considered.
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExecuteArgs {
    /// Action id.
    pub id: String,
    /// Encrypt the list, with the kind's contact fields, to this age public
    /// key (`age1…`); required when the list leaves the platform.
    #[arg(long, value_name = "AGE_PUBLIC_KEY", requires = "recipient_name")]
    pub recipient: Option<String>,
    /// Who receives the list, as the disclosure records name them.
    #[arg(long, value_name = "NAME", requires = "recipient")]
    pub recipient_name: Option<String>,
    /// The list file to write; must not exist.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub async fn run(ctx: &Ctx, cmd: ActionCommand) -> Result<()> {
    let p = ctx.open().await?;
    let result = action(ctx, &p, cmd).await;
    p.close().await;
    result
}

async fn action(ctx: &Ctx, p: &Platform, cmd: ActionCommand) -> Result<()> {
    match cmd {
        ActionCommand::Request(a) => {
            let target = match (&a.segment, a.top, &a.subjects) {
                (Some(name), None, None) => TargetSpec::Segment {
                    name: name.clone(),
                    run: a.run.clone(),
                },
                (None, Some(n), None) => TargetSpec::Top {
                    run: a.run.clone().unwrap_or_default(),
                    n,
                },
                (None, None, Some(file)) => {
                    if a.run.is_some() {
                        bail!("--run goes with --segment or --top, not with --subjects");
                    }
                    let text = std::fs::read_to_string(file)
                        .with_context(|| format!("could not read {}", file.display()))?;
                    TargetSpec::Subjects {
                        source: file.display().to_string(),
                        text,
                    }
                }
                _ => bail!(
                    "name a target: --segment NAME [--run RUN_ID], --run RUN_ID --top N, or --subjects FILE"
                ),
            };
            let v = p
                .request_action(&ActionRequest {
                    tenant: a.tenant.clone(),
                    kind: a.kind.clone(),
                    purpose: a.purpose.clone(),
                    target,
                })
                .await
                .context("could not decide on the action")?;
            if ctx.json {
                return output::json(&v);
            }
            print_view(&v, 20);
            match v.status.as_str() {
                "ready" => outln!("Next: rapport action execute {} --out LIST", v.action),
                "pending_review" => outln!(
                    "Next: a reviewer runs `rapport action approve {} --reviewer NAME` (or reject)",
                    v.action
                ),
                _ => {}
            }
        }
        ActionCommand::List { tenant } => {
            let list = p
                .list_actions(&tenant)
                .await
                .context("could not list actions")?;
            if ctx.json {
                return output::json(&list);
            }
            if list.is_empty() {
                outln!("No actions.");
            }
            for a in &list {
                outln!(
                    "{}  {:<18} {:<24} {:<22} {:<15} {:>8} targeted {:>8} included  {}",
                    a.action,
                    a.kind,
                    a.purpose,
                    a.outcome,
                    a.status,
                    a.targeted,
                    a.included,
                    a.requested_at
                );
            }
        }
        ActionCommand::Show {
            id,
            subjects,
            replay,
        } => {
            let v = p
                .show_action(&id, subjects)
                .await
                .with_context(|| format!("could not show action {id}"))?;
            let r = if replay {
                Some(
                    p.replay_action(&id)
                        .await
                        .with_context(|| format!("could not replay action {id}"))?,
                )
            } else {
                None
            };
            if ctx.json {
                return match r {
                    Some(r) => output::json(&serde_json::json!({"action": v, "replay": r})),
                    None => output::json(&v),
                };
            }
            print_view(&v, if subjects { usize::MAX } else { 20 });
            if let Some(r) = r {
                print_replay(&r);
            }
        }
        ActionCommand::Replay { id } => {
            let r = p
                .replay_action(&id)
                .await
                .with_context(|| format!("could not replay action {id}"))?;
            if ctx.json {
                output::json(&r)?;
            } else {
                print_replay(&r);
            }
            if r.verdict == "differs" {
                bail!("the verdict of {id} is not reproduced from its pins");
            }
        }
        ActionCommand::Approve(a) => review(ctx, p, a, true).await?,
        ActionCommand::Reject(a) => review(ctx, p, a, false).await?,
        ActionCommand::Execute(a) => {
            let r = p
                .execute_action(
                    &a.id,
                    &ExecuteOptions {
                        recipient_key: a.recipient.clone(),
                        recipient: a.recipient_name.clone(),
                        out: a.out.clone(),
                    },
                )
                .await
                .with_context(|| format!("could not execute action {}", a.id))?;
            if ctx.json {
                return output::json(&r);
            }
            outln!(
                "Executed {} ({}) at {}: {} of {} selected people in the final list",
                r.action,
                r.kind,
                r.executed_at,
                r.final_count,
                r.selected
            );
            if r.excluded_at_execution > 0 {
                outln!(
                    "  {} left out because their consent changed since the verdict:",
                    r.excluded_at_execution
                );
                for (rule, n) in &r.excluded_by_rule {
                    outln!("    {n:>8}  {rule}");
                }
            }
            if r.encrypted {
                outln!(
                    "  list: {} ({} bytes, age-encrypted to {} for {}; fields: subject, {})",
                    r.out.display(),
                    r.bytes,
                    r.recipient_key.as_deref().unwrap_or_default(),
                    r.recipient.as_deref().unwrap_or_default(),
                    r.fields.join(", ")
                );
                outln!("  {} disclosures recorded", r.disclosures);
            } else {
                outln!(
                    "  list: {} ({} bytes, external ids only)",
                    r.out.display(),
                    r.bytes
                );
            }
            outln!("  sha256 {}", r.sha256);
        }
    }
    Ok(())
}

async fn review(ctx: &Ctx, p: &Platform, a: ReviewArgs, approve: bool) -> Result<()> {
    let v = p
        .review_action(&a.id, approve, &a.reviewer, a.note.as_deref())
        .await
        .with_context(|| {
            format!(
                "could not {} action {}",
                if approve { "approve" } else { "reject" },
                a.id
            )
        })?;
    if ctx.json {
        return output::json(&v);
    }
    outln!(
        "Action {} {} by {}",
        v.action,
        v.status,
        v.review
            .as_ref()
            .map(|r| r.reviewer.as_str())
            .unwrap_or("?")
    );
    if approve {
        outln!("Next: rapport action execute {} --out LIST", v.action);
    }
    Ok(())
}

fn print_subject(s: &SubjectView) {
    let reasons: Vec<String> = s
        .reasons
        .iter()
        .map(|r| match &r.jurisdiction {
            Some(j) => format!("{} ({j}; {})", r.rule, r.citation),
            None => format!("{} ({})", r.rule, r.citation),
        })
        .collect();
    let state = match (s.included, s.review, s.final_included) {
        (_, _, Some(false)) => "left out at execution",
        (false, _, _) => "excluded",
        (true, true, _) => "held for review",
        (true, false, _) => "included",
    };
    outln!("    {:<24} {:<22} {}", s.subject, state, reasons.join("; "));
    if s.final_included == Some(false) {
        for r in &s.final_reasons {
            outln!("{:<52}at execution: {} ({})", "", r.rule, r.citation);
        }
    }
}

fn print_view(v: &ActionView, limit: usize) {
    let c = &v.verdict.counts;
    outln!(
        "Action {} ({} for {}), tenant {}: {}  [{}]",
        v.action,
        v.kind,
        v.purpose,
        v.tenant,
        v.outcome,
        v.status
    );
    outln!(
        "  {} targeted, {} included, {} excluded, {} held for Art. 22 review; population {} ({} eligible)",
        c.targeted,
        c.included,
        c.excluded,
        c.review_required,
        c.population,
        c.eligible
    );
    for r in &v.verdict.reasons {
        outln!(
            "  [{}] {}: {} ({})",
            r.escalation.as_str(),
            r.rule,
            r.message,
            r.citation
        );
    }
    if !v.verdict.exclusions.is_empty() {
        outln!("  excluded by rule:");
        for (rule, n) in &v.verdict.exclusions {
            outln!("    {n:>8}  {rule}");
        }
    }
    outln!(
        "  fairness: {}{}",
        v.verdict.fairness.outcome.as_str(),
        v.verdict
            .fairness
            .note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    );
    let pins = &v.verdict.pins;
    outln!(
        "  pins: policy {} (purposes {}, actions {}, gate {}), at {}, consent ledger up to row {}",
        &pins.policy_hash[..16.min(pins.policy_hash.len())],
        pins.policy_versions.purposes,
        pins.policy_versions.actions,
        pins.policy_versions.gate,
        pins.at,
        pins.consent_watermark
    );
    if let Some(run) = &pins.run {
        outln!(
            "        run {} ({}@{}, component sha256:{})",
            run.id,
            run.plugin,
            run.version,
            &run.component_digest[..16.min(run.component_digest.len())]
        );
    }
    if !v.log_entries.is_empty() {
        let entries: Vec<String> = v
            .log_entries
            .iter()
            .map(|e| match &e.pin {
                Some(p) => format!(
                    "{} #{} (leaf {})",
                    e.kind,
                    p.seq,
                    &p.leaf_hash[..16.min(p.leaf_hash.len())]
                ),
                None => format!("{} (queued)", e.kind),
            })
            .collect();
        outln!("  log: {}", entries.join(", "));
    }
    if let Some(r) = &v.review {
        outln!(
            "  review: {} by {} at {}{}",
            r.decision,
            r.reviewer,
            r.at,
            r.note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        );
    }
    if let Some(e) = &v.execution {
        outln!(
            "  executed at {}: {} in the final list, {} left out at execution",
            e["executed_at"].as_str().unwrap_or("?"),
            e["final_count"],
            e["excluded_at_execution"]
        );
    }
    if !v.subjects.is_empty() {
        outln!("  people ({}):", v.subjects_shown.replace('_', " "));
        for s in v.subjects.iter().take(limit) {
            print_subject(s);
        }
        let more = v.subjects.len().saturating_sub(limit) as u64 + v.subjects_omitted;
        if more > 0 {
            outln!(
                "    … and {more} more (rapport action show {} --subjects, or --json)",
                v.action
            );
        }
    }
}

fn print_replay(r: &ActionReplay) {
    outln!(
        "Replay of {}: {} (pinned {}, replayed {})",
        r.action,
        r.verdict,
        r.pinned_outcome,
        r.replayed_outcome
    );
    outln!(
        "  people {}, population {}, fairness input {}, fairness finding {}",
        if r.subjects_match { "match" } else { "differ" },
        if r.population_matches {
            "matches"
        } else {
            "differs"
        },
        if r.fairness_input_matches {
            "matches"
        } else {
            "changed since"
        },
        if r.fairness_matches {
            "matches"
        } else {
            "differs"
        }
    );
    for d in &r.differences {
        outln!("  {d}");
    }
}

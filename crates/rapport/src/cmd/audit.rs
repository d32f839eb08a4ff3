//! `rapport audit …`: fairness audits of an exported model output or of a
//! stored run; the tamper-evident log (`audit_log.rs`), the records of
//! processing and run reports (`audit_report.rs`) are mounted here. Each audit is one variant of
//! [`AuditCommand`] and one function.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use rapport_audit::fairness::{audit_csv_file, CsvAudit, FairnessReport, FileSelection};
use rapport_core::RunSelection;
use rapport_domain::fairness::{FairnessPolicy, ScoreRule};

use super::{audit_log, audit_report, Ctx};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Audit a selection for bias: per protected group and intersection,
    /// selection rates, impact ratios with intervals, exact tests, error
    /// rates and score gaps, judged against the fairness policy.
    Fairness(Box<FairnessArgs>),
    #[command(flatten)]
    Log(audit_log::AuditLogCommand),
    #[command(flatten)]
    Report(audit_report::AuditReportCommand),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["input", "run"])))]
#[command(group(clap::ArgGroup::new("rule").args(["decision", "top_k", "top_percent", "threshold", "segment"])))]
pub struct FairnessArgs {
    /// A CSV file with one row per subject (an export from any system).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["tenant", "run"])]
    pub input: Option<PathBuf>,
    /// Tenant of the run (found from the run id when omitted).
    #[arg(long)]
    pub tenant: Option<String>,
    /// A stored run: its scored customers are the population.
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// Protected attribute columns, comma-separated (files only; runs are
    /// audited on gender and age band).
    #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
    pub protected: Vec<String>,
    /// Column of 0/1/true/false decisions: who was selected.
    #[arg(long, value_name = "COLUMN")]
    pub decision: Option<String>,
    /// Column of scores: compared per group; needed by --top-k,
    /// --top-percent and --threshold on a file.
    #[arg(long, value_name = "COLUMN")]
    pub score: Option<String>,
    /// Column of 0/1/true/false true outcomes, for error rates (TPR, FPR).
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
    /// Select the N highest scores (ties at the cutoff all selected).
    #[arg(long, visible_alias = "top", value_name = "N")]
    pub top_k: Option<u64>,
    /// Select the highest P percent of scores (ties at the cutoff all selected).
    #[arg(long, value_name = "P")]
    pub top_percent: Option<f64>,
    /// Select every score at or above T.
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub threshold: Option<f64>,
    /// Select the run's outputs in this segment (runs only).
    #[arg(long, value_name = "LABEL", requires = "run")]
    pub segment: Option<String>,
    /// Fairness policy file; default the shipped policies/fairness.json.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

pub async fn run(ctx: &Ctx, c: AuditCommand) -> Result<()> {
    match c {
        AuditCommand::Fairness(a) => fairness(ctx, *a).await,
        AuditCommand::Log(c) => audit_log::run(ctx, c).await,
        AuditCommand::Report(c) => audit_report::run(ctx, c).await,
    }
}

fn policy(path: Option<&PathBuf>) -> Result<FairnessPolicy> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("could not read the policy {}", p.display()))?;
            FairnessPolicy::from_json(&text)
                .with_context(|| format!("{} is not a usable fairness policy", p.display()))
        }
        None => FairnessPolicy::default_policy().context("the shipped fairness policy is invalid"),
    }
}

fn score_rule(a: &FairnessArgs) -> Option<ScoreRule> {
    if let Some(k) = a.top_k {
        Some(ScoreRule::TopK(k))
    } else if let Some(p) = a.top_percent {
        Some(ScoreRule::TopPercent(p))
    } else {
        a.threshold.map(ScoreRule::Threshold)
    }
}

async fn fairness(ctx: &Ctx, a: FairnessArgs) -> Result<()> {
    let policy = policy(a.policy.as_ref())?;
    let report = if let Some(input) = &a.input {
        if a.protected.is_empty() {
            bail!("--protected names the protected attribute columns of the file, e.g. --protected gender,age_band");
        }
        let selection = match (&a.decision, score_rule(&a)) {
            (Some(col), None) => FileSelection::Decision(col.clone()),
            (None, Some(rule)) => FileSelection::Score(rule),
            _ => bail!(
                "say who was selected: --decision COLUMN, or --top-k N, --top-percent P or --threshold T with --score COLUMN"
            ),
        };
        let spec = CsvAudit {
            protected: a.protected.clone(),
            selection,
            score: a.score.clone(),
            label: a.label.clone(),
        };
        let path = input.clone();
        tokio::task::spawn_blocking(move || audit_csv_file(&path, &spec, &policy))
            .await
            .context("the audit stopped unexpectedly")?
            .context("fairness audit failed")?
    } else {
        let run_id = a.run.clone().unwrap_or_default();
        if !a.protected.is_empty() || a.decision.is_some() || a.score.is_some() || a.label.is_some()
        {
            bail!("--protected, --decision, --score and --label describe a file; a run is audited on its scores and on gender and age band");
        }
        let selection = match (&a.segment, score_rule(&a)) {
            (Some(s), None) => RunSelection::Segment(s.clone()),
            (None, Some(ScoreRule::TopK(k))) => RunSelection::TopK(k),
            (None, Some(ScoreRule::TopPercent(p))) => RunSelection::TopPercent(p),
            (None, Some(ScoreRule::Threshold(t))) => RunSelection::Threshold(t),
            _ => bail!(
                "say who was selected: --top N, --top-percent P, --threshold T or --segment LABEL"
            ),
        };
        let p = ctx.open().await?;
        let tenant = match &a.tenant {
            Some(t) => t.clone(),
            None => p.tenant_of_run(&run_id).await?,
        };
        let report = p
            .audit_run_fairness(&tenant, &run_id, &selection, &policy)
            .await
            .with_context(|| format!("fairness audit of run {run_id} failed"))?;
        p.close().await;
        report
    };
    print(ctx, &report)
}

fn print(ctx: &Ctx, report: &FairnessReport) -> Result<()> {
    if ctx.json {
        crate::outln!("{}", report.to_canonical_json()?);
    } else {
        crate::outln!("{}", report.render_text().trim_end());
    }
    Ok(())
}

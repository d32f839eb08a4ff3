//! `rapport quickstart`: the whole product on a sample tenant, in one command.
//!
//! It creates a data directory (a fresh temporary one unless --data-dir is
//! given), generates a sample data set, creates the tenant `demo`, imports
//! every file, installs and runs every first-party plugin for the purpose it
//! serves, and prints the top segments, a few explained scores, the supplier
//! standings and the referral advocates. It then asks the gate for an e-mail
//! campaign to the customers of highest lifetime value, approves it when the
//! verdict holds it for review (the quickstart plays the human reviewer),
//! executes it once, verifies the tenant's audit log, shows that personal
//! data is sealed on disk, and writes the run's HTML audit report into the
//! data directory, printing its path as the last line.
//!
//! What it prints about people is what the product shows operators:
//! external ids, labels and explanation terms, never a name or an address.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rapport_core::{
    ActionRequest, ActionView, DataDirs, ExecuteOptions, ExecutionReport, Format, ImportKind,
    InstallationView, KeyringOptions, Platform, RunOptions, RunView, ScoreView, ScoresReport,
    TargetSpec, Unlock,
};
use serde::Serialize;

use super::import::import_file;
use super::Ctx;
use crate::cli::QuickstartArgs;
use crate::output;

const TENANT: &str = "demo";

/// Every first-party plugin with the processing purpose the quickstart
/// installs it for: rfm segments customers for marketing, the customer
/// models profile them for analysis, and the scorecard rates suppliers for
/// the service they deliver. A customer plugin sees only the customers whose
/// consent allows its purpose.
const PLUGINS: [(&str, &str); 6] = [
    ("rfm", "marketing_segmentation"),
    ("clv", "analytics_profiling"),
    ("value-potential", "analytics_profiling"),
    ("relationship-health", "analytics_profiling"),
    ("supplier-scorecard", "service_delivery"),
    ("referral-influence", "analytics_profiling"),
];

/// The scoring run the sample campaign targets, and how many of its highest
/// scores.
const CAMPAIGN_PLUGIN: &str = "clv";
const CAMPAIGN_TOP: u64 = 100;

/// How many customers get their scores explained.
const EXPLAINED: usize = 3;

/// Who approves the sample campaign when the gate holds it for review; the
/// audit log records this name as the reviewer.
const REVIEWER: &str = "quickstart (playing the human reviewer)";

const NOTICE_V1: &str = "Demo Ltd privacy notice, version 1.\n\
We use your contact details to deliver orders (contract), to understand how \
customers shop (legitimate interests) and, with your consent, to send \
marketing e-mails. You can withdraw consent or object at any time.\n";

const NOTICE_V2: &str = "Demo Ltd privacy notice, version 2.\n\
We use your contact details to deliver orders (contract), to understand how \
customers shop (legitimate interests) and, with your consent, to send \
marketing e-mails. Californian customers may opt out of the sale or sharing \
of their data, including by Global Privacy Control. You can withdraw consent \
or object at any time.\n";

#[derive(Serialize)]
struct Summary {
    data_dir: PathBuf,
    identity_file: PathBuf,
    sample_dir: PathBuf,
    tenant: String,
    imports: Vec<rapport_core::ImportReport>,
    plaintext_emails_found_on_disk: usize,
    emails_checked: usize,
    consent: rapport_core::ConsentSummary,
    /// The instant every plugin ran "as of".
    as_of: String,
    /// One run per first-party plugin, in [`PLUGINS`] order.
    plugin_runs: Vec<RunView>,
    /// Label counts of the segmenters' runs, most frequent first.
    segments: BTreeMap<String, Vec<(String, i64)>>,
    explained: Vec<Explained>,
    supplier_standings: Vec<Standing>,
    referrals: Referrals,
    campaign: Campaign,
    audit_log: rapport_core::VerifyReport,
    /// The HTML audit report of the campaign's run.
    report: PathBuf,
}

/// A customer's lifetime value and relationship health with the terms that
/// moved them most.
#[derive(Serialize)]
struct Explained {
    subject: String,
    clv: Option<ExplainedScore>,
    relationship_health: Option<ExplainedScore>,
}

#[derive(Serialize)]
struct ExplainedScore {
    score: f64,
    label: Option<String>,
    /// The largest contributions by size, the plugin's baseline term left
    /// out.
    top_terms: Vec<Term>,
}

#[derive(Serialize)]
struct Term {
    label: String,
    value: f64,
}

#[derive(Serialize)]
struct Standing {
    supplier: String,
    standing: String,
    score: f64,
}

#[derive(Serialize)]
struct Referrals {
    customers: usize,
    advocates: usize,
    brokers: usize,
    /// Customers who referred someone but are neither advocate nor broker.
    other_referrers: usize,
}

/// The gated campaign: the verdict, the review and the execution.
#[derive(Serialize)]
struct Campaign {
    action: String,
    run: String,
    top: u64,
    outcome: String,
    counts: rapport_audit::gate::Counts,
    reasons: Vec<rapport_audit::gate::GateReason>,
    exclusions: BTreeMap<String, u64>,
    fairness: String,
    /// Who approved it, when the verdict held it for review.
    approved_by: Option<String>,
    /// The action's status at the end: `executed`, or `blocked`.
    status: String,
    execution: Option<ExecutionReport>,
}

/// A first-party plugin installed for the tenant, its run and every output.
struct PluginRun {
    installed: InstallationView,
    scores: ScoresReport,
}

impl PluginRun {
    fn run(&self) -> &RunView {
        &self.scores.run
    }
}

/// Publishes the first-party packages built into this binary (verified
/// against the first-party key), installs each plugin for its purpose and
/// runs it as of `as_of`; a failed run stops the quickstart.
async fn run_first_party(p: &Platform, as_of: &str) -> Result<Vec<PluginRun>> {
    let published = p
        .publish_first_party()
        .await
        .context("could not publish the first-party plugins")?;
    // A first-party plugin the quickstart does not know would go unshown.
    for r in &published {
        if !PLUGINS.iter().any(|(id, _)| *id == r.plugin.id) {
            bail!(
                "the first-party plugin `{}` has no purpose in the quickstart",
                r.plugin.id
            );
        }
    }
    let mut out = Vec::new();
    for (id, purpose) in PLUGINS {
        let installed = p
            .install_plugin(TENANT, id, purpose, None, None)
            .await
            .with_context(|| format!("could not install the {id} plugin"))?;
        let opts = RunOptions {
            as_of: Some(as_of.to_owned()),
            ..RunOptions::default()
        };
        let run = p
            .run_plugin(TENANT, id, &opts)
            .await
            .with_context(|| format!("could not run the {id} plugin"))?;
        if let Some(f) = &run.failure {
            bail!("the {id} run failed: {f}");
        }
        let scores = p
            .run_scores(TENANT, &run.run, None)
            .await
            .with_context(|| format!("could not read the {id} scores"))?;
        out.push(PluginRun { installed, scores });
    }
    Ok(out)
}

fn plugin<'a>(runs: &'a [PluginRun], id: &str) -> Result<&'a PluginRun> {
    runs.iter()
        .find(|r| r.installed.plugin == id)
        .with_context(|| format!("the {id} plugin did not run"))
}

/// The "as of" instant of the sample: the midnight after its observation
/// window ends, so that recency is measured from the sample's last day and
/// the supplier scorecard's quarter is the window's last one.
fn sample_as_of(opts: &rapport_generate::Options) -> Result<String> {
    let end = rapport_domain::time_fmt::parse_date(&opts.window_end)
        .map_err(|e| anyhow::anyhow!("the sample window end {}: {e}", opts.window_end))?;
    let next = end
        .next_day()
        .context("the sample window ends on the last representable day")?;
    Ok(format!(
        "{}T00:00:00Z",
        rapport_domain::time_fmt::format_date(next)
    ))
}

/// A score with its largest explanation terms by size, the first term (the
/// plugin's baseline: the typical customer's value, or the points every
/// customer starts from) left out.
fn explain(o: &ScoreView, n: usize) -> ExplainedScore {
    let mut terms: Vec<Term> = o
        .explanation
        .as_array()
        .map(|l| {
            l.iter()
                .skip(1)
                .filter_map(|c| {
                    Some(Term {
                        label: c.get("label")?.as_str()?.to_owned(),
                        value: c.get("value")?.as_f64()?,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    terms.sort_by(|a, b| b.value.abs().total_cmp(&a.value.abs()));
    terms.truncate(n);
    ExplainedScore {
        score: o.score,
        label: o.label.clone(),
        top_terms: terms,
    }
}

fn terms_line(e: &ExplainedScore) -> String {
    e.top_terms
        .iter()
        .map(|t| format!("{:+.2} {}", t.value, t.label))
        .collect::<Vec<_>>()
        .join("; ")
}

fn label_counts(labels: &[(String, i64)], n: usize) -> String {
    labels
        .iter()
        .take(n)
        .map(|(l, c)| format!("{c} {l}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Asks the gate for an e-mail campaign to the top scores of `run`, plays
/// the reviewer when the verdict asks for one, and executes it once unless
/// it is blocked. The list holds external ids only and goes to `exports`.
async fn gated_campaign(
    p: &Platform,
    run: &str,
    exports: &Path,
) -> Result<(ActionView, Option<ActionView>, Option<ExecutionReport>)> {
    let verdict = p
        .request_action(&ActionRequest {
            tenant: TENANT.to_owned(),
            kind: "email_campaign".to_owned(),
            purpose: "direct_marketing_email".to_owned(),
            target: TargetSpec::Top {
                run: run.to_owned(),
                n: CAMPAIGN_TOP,
            },
        })
        .await
        .context("could not ask the gate for the sample campaign")?;
    let reviewed = if verdict.status == "pending_review" {
        Some(
            p.review_action(
                &verdict.action,
                true,
                REVIEWER,
                Some("approved by the quickstart on the sample tenant; in production a person reviews the verdict"),
            )
            .await
            .context("could not approve the sample campaign")?,
        )
    } else {
        None
    };
    let status = reviewed.as_ref().map_or(&verdict.status, |v| &v.status);
    let execution = if status == "ready" || status == "approved" {
        std::fs::create_dir_all(exports)
            .with_context(|| format!("could not create {}", exports.display()))?;
        let out = exports.join(format!("{}.csv", verdict.action));
        Some(
            p.execute_action(
                &verdict.action,
                &ExecuteOptions {
                    out,
                    ..ExecuteOptions::default()
                },
            )
            .await
            .context("could not execute the sample campaign")?,
        )
    } else {
        None
    };
    Ok((verdict, reviewed, execution))
}

pub async fn run(ctx: &Ctx, args: QuickstartArgs) -> Result<()> {
    let data = match &ctx.data_dir {
        Some(d) => d.clone(),
        None => tempfile::Builder::new()
            .prefix("rapport-quickstart-")
            .tempdir()
            .context("could not create a temporary directory")?
            .keep(),
    };
    let dirs = match &ctx.key_dir {
        Some(k) => DataDirs::with_keys(&data, k),
        None => DataDirs::new(&data),
    };
    if dirs.is_initialised() {
        bail!(
            "{} already holds a data directory; give quickstart a new --data-dir or none",
            data.display()
        );
    }
    let say = |s: String| {
        if !ctx.json {
            crate::outln!("{s}");
        }
    };

    // 1. A sample data set, beside the data directory rather than in it: it
    //    is plaintext, and nothing in a data directory is.
    let sample = sibling(&data, "sample");
    let opts = rapport_generate::Options::new(args.customers, args.seed, sample.clone());
    rapport_generate::generate(&opts, &|_| {}).context("could not generate the sample data set")?;
    say(format!(
        "1. Generated a sample data set: {} customers, seed {}, in {}",
        args.customers,
        args.seed,
        sample.display()
    ));

    // 2. The data directory, its keyring unlocked by a fresh age identity
    //    kept outside it.
    let identity = match &ctx.identity {
        Some(p) => p.clone(),
        None => sibling(&data, "identity.txt"),
    };
    if !identity.exists() {
        rapport_vault::generate_identity_file(&identity)
            .with_context(|| format!("could not create identity file {}", identity.display()))?;
    }
    let unlock = Unlock::IdentityFile(identity.clone());
    let mut p = Platform::init(dirs.clone(), &unlock, &KeyringOptions::default())
        .await
        .with_context(|| format!("could not create a data directory at {}", data.display()))?;
    say(format!(
        "2. Created the data directory {} (store rapport.db; keyring and key store in {})",
        data.display(),
        dirs.keys.display()
    ));

    // 3. A tenant and every import.
    p.create_tenant(TENANT)
        .await
        .context("could not create the demo tenant")?;
    // The sample's consent records cite two versions of the privacy notice.
    for text in [NOTICE_V1, NOTICE_V2] {
        p.publish_notice(TENANT, "privacy-notice", text, false)
            .await
            .context("could not publish the sample privacy notice")?;
    }
    say(format!(
        "3. Created tenant `{TENANT}`, published privacy-notice v1 and v2, and imported:"
    ));
    let mut imports = Vec::new();
    for kind in ImportKind::ALL {
        let file = sample.join(format!("{}.csv", kind.as_str()));
        let r = import_file(ctx, &p, TENANT, kind, Format::Csv, &file).await?;
        say(format!(
            "     {:<13} {:>8} rows  {:>8} written  {:>6.2}s",
            r.kind, r.rows, r.written, r.seconds
        ));
        imports.push(r);
    }

    // 4. Re-importing changes nothing.
    let again = import_file(
        ctx,
        &p,
        TENANT,
        ImportKind::Customers,
        Format::Csv,
        &sample.join("customers.csv"),
    )
    .await?;
    say(format!(
        "4. Re-imported customers.csv: {} written, {} unchanged (upsert by external id)",
        again.written, again.unchanged
    ));
    // 5. Consent decides who may be processed for what, and says why.
    let summary = p
        .consent_summary(TENANT, "direct_marketing_email", None)
        .await
        .context("could not summarise consent")?;
    say(format!(
        "5. Consent for direct_marketing_email: {} of {} customers allowed, {} denied; top reasons:",
        summary.allowed, summary.subjects, summary.denied
    ));
    let mut reasons: Vec<(&String, &u64)> = summary.denied_by_rule.iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (rule, n) in reasons.iter().take(4) {
        say(format!("     {n:>6}  {rule}"));
    }
    let check = p
        .check_consent(TENANT, "C0000001", "direct_marketing_email", None, None)
        .await
        .context("could not check consent")?;
    say(format!(
        "   C0000001: {} ({})",
        if check.allowed { "allowed" } else { "denied" },
        check
            .reasons
            .iter()
            .map(|r| format!("{} {}", r.citation, r.message))
            .collect::<Vec<_>>()
            .join("; ")
    ));
    // 6. Every first-party plugin: published from the packages built into
    //    this binary, verified against the first-party key, installed for
    //    its purpose and run over the records its purpose allows.
    let as_of = sample_as_of(&opts)?;
    let runs = run_first_party(&p, &as_of).await?;
    say(format!(
        "6. Installed every first-party plugin (signed by the first-party key {}) and ran each as of {as_of}, the day after the sample ends:",
        runs.first().map_or("-", |r| r.installed.signer_key_id.as_str())
    ));
    for r in &runs {
        let run = r.run();
        say(format!(
            "     {:<26} {:<23} {} {:>6} scored {:>6} left out by consent {:>6} ms",
            format!("{}@{}", run.plugin, run.version),
            run.purpose,
            run.run,
            run.subjects,
            run.excluded_by_consent,
            run.duration_ms
        ));
    }

    // 7. The segments, most populous first.
    let mut segments = BTreeMap::new();
    say("7. Top segments:".to_owned());
    for id in ["rfm", "value-potential"] {
        let r = plugin(&runs, id)?;
        say(format!(
            "     {:<16} {}",
            format!("{id}:"),
            label_counts(&r.scores.labels, 5)
        ));
        segments.insert(id.to_owned(), r.scores.labels.clone());
    }

    // 8. Explained scores of the customers of highest lifetime value.
    let clv = plugin(&runs, "clv")?;
    let health: BTreeMap<&str, &ScoreView> = plugin(&runs, "relationship-health")?
        .scores
        .outputs
        .iter()
        .map(|o| (o.subject.as_str(), o))
        .collect();
    let mut by_value: Vec<&ScoreView> = clv.scores.outputs.iter().collect();
    by_value.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.subject.cmp(&b.subject)));
    say(format!(
        "8. Explained scores of the {EXPLAINED} customers of highest lifetime value (largest terms):"
    ));
    let mut explained = Vec::new();
    for o in by_value.iter().take(EXPLAINED) {
        let e = Explained {
            subject: o.subject.clone(),
            clv: Some(explain(o, 2)),
            relationship_health: health.get(o.subject.as_str()).map(|h| explain(h, 2)),
        };
        if let Some(c) = &e.clv {
            say(format!(
                "     {}  clv {:.2} ({}): {}",
                e.subject,
                c.score,
                c.label.as_deref().unwrap_or("-"),
                terms_line(c)
            ));
        }
        match &e.relationship_health {
            Some(h) => say(format!(
                "     {:<10}relationship-health {:.0} ({}): {}",
                "",
                h.score,
                h.label.as_deref().unwrap_or("-"),
                terms_line(h)
            )),
            None => say(format!("     {:<10}relationship-health: not scored", "")),
        }
        explained.push(e);
    }

    // 9. Supplier standings, best first.
    let scorecard = plugin(&runs, "supplier-scorecard")?;
    let mut supplier_standings: Vec<Standing> = scorecard
        .scores
        .outputs
        .iter()
        .map(|o| Standing {
            supplier: o.subject.clone(),
            standing: o.label.clone().unwrap_or_else(|| "-".to_owned()),
            score: o.score,
        })
        .collect();
    supplier_standings.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.supplier.cmp(&b.supplier))
    });
    say(format!(
        "9. Supplier standings (supplier-scorecard, the quarter before {as_of}): {}",
        label_counts(&scorecard.scores.labels, usize::MAX)
    ));
    for s in supplier_standings.iter().take(10) {
        say(format!(
            "     {:<10} {:<18} {:>6.1}",
            s.supplier, s.standing, s.score
        ));
    }
    if supplier_standings.len() > 10 {
        say(format!(
            "     … and {} more (rapport scores --run {})",
            supplier_standings.len() - 10,
            scorecard.run().run
        ));
    }

    // 10. Who carries the referral network.
    let influence = plugin(&runs, "referral-influence")?;
    let has = |o: &ScoreView, word: &str| o.label.as_deref().is_some_and(|l| l.contains(word));
    let referrals = Referrals {
        customers: influence.scores.outputs.len(),
        advocates: influence
            .scores
            .outputs
            .iter()
            .filter(|o| has(o, "advocate"))
            .count(),
        brokers: influence
            .scores
            .outputs
            .iter()
            .filter(|o| has(o, "broker"))
            .count(),
        other_referrers: influence
            .scores
            .outputs
            .iter()
            .filter(|o| o.label.as_deref() == Some("referrer"))
            .count(),
    };
    say(format!(
        "10. Referral influence over {} customers: {} advocates (3 or more direct referrals), {} brokers (joining otherwise separate groups), {} other referrers",
        referrals.customers, referrals.advocates, referrals.brokers, referrals.other_referrers
    ));

    // 11. A gated campaign: nothing is acted on without a recorded verdict.
    let campaign_run = plugin(&runs, CAMPAIGN_PLUGIN)?.run().run.clone();
    let (verdict, reviewed, execution) =
        gated_campaign(&p, &campaign_run, &data.join("exports")).await?;
    let v = &verdict.verdict;
    say(format!(
        "11. Asked the gate for an e-mail campaign to the top {CAMPAIGN_TOP} of the {CAMPAIGN_PLUGIN} run: action {}, verdict {}",
        verdict.action, verdict.outcome
    ));
    say(format!(
        "     {} targeted, {} included, {} excluded, {} held for Art. 22 review; population {} ({} eligible); fairness {}",
        v.counts.targeted,
        v.counts.included,
        v.counts.excluded,
        v.counts.review_required,
        v.counts.population,
        v.counts.eligible,
        v.fairness.outcome.as_str()
    ));
    for r in &v.reasons {
        say(format!(
            "     [{}] {}: {}",
            r.escalation.as_str(),
            r.rule,
            r.message
        ));
    }
    if !v.exclusions.is_empty() {
        let mut rules: Vec<(&String, &u64)> = v.exclusions.iter().collect();
        rules.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        say(format!(
            "     excluded by rule: {}",
            rules
                .iter()
                .map(|(rule, n)| format!("{n} {rule}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(r) = reviewed.as_ref().and_then(|v| v.review.as_ref()) {
        say(format!(
            "     Held for review: a human must decide. The quickstart plays that reviewer and {} it as \"{}\".",
            r.decision, r.reviewer
        ));
    }
    match &execution {
        Some(e) => say(format!(
            "     Executed once at {}: {} of {} selected people in the final list ({} left out at execution); list of external ids: {}",
            e.executed_at,
            e.final_count,
            e.selected,
            e.excluded_at_execution,
            e.out.display()
        )),
        None => say("     The gate refused it: nothing was sent.".to_owned()),
    }
    let campaign = Campaign {
        action: verdict.action.clone(),
        run: campaign_run.clone(),
        top: CAMPAIGN_TOP,
        outcome: verdict.outcome.clone(),
        counts: v.counts.clone(),
        reasons: v.reasons.clone(),
        exclusions: v.exclusions.clone(),
        fairness: v.fairness.outcome.as_str().to_owned(),
        approved_by: reviewed
            .as_ref()
            .and_then(|v| v.review.as_ref())
            .map(|r| r.reviewer.clone()),
        status: if execution.is_some() {
            "executed".to_owned()
        } else {
            reviewed
                .as_ref()
                .map_or(&verdict.status, |v| &v.status)
                .clone()
        },
        execution,
    };

    // 12. The run's audit report, tied to a fresh signed tree head that
    //     covers the verdict, the review and the execution.
    p.audit_checkpoint(rapport_core::LogRef::Tenant(TENANT))
        .await
        .context("could not sign a tree head")?;
    let report = p
        .audit_report(TENANT, &campaign_run, None)
        .await
        .context("could not build the audit report")?;
    let reports = data.join("reports");
    std::fs::create_dir_all(&reports)
        .with_context(|| format!("could not create {}", reports.display()))?;
    let report_path = reports.join(format!("audit-{campaign_run}.html"));
    std::fs::write(
        &report_path,
        rapport_audit::report::render_html(&report).as_bytes(),
    )
    .with_context(|| format!("could not write {}", report_path.display()))?;
    say(format!(
        "12. Wrote the audit report of run {campaign_run} ({} action(s); versions, verdicts, consent exclusions and fairness per group; input sha256 {})",
        report.actions.len(),
        report.input_sha256
    ));

    // 13. Everything above is in the tenant's tamper-evident audit log.
    let audit = p
        .audit_verify(Some(TENANT), None)
        .await
        .context("could not verify the audit log")?;
    let log = audit.logs.first();
    say(format!(
        "13. Audit log of `{TENANT}`: {} entries (imports, notices, plugin installs and runs, the campaign's verdict and execution, and its review when it needed one), {} tree heads, root {}: {}",
        log.map_or(0, |l| l.entries),
        log.map_or(0, |l| l.heads_checked),
        log.map_or("-", |l| l.root.as_str()),
        if audit.ok { "verified" } else { "FAILED verification" }
    ));
    p.close().await;
    if !audit.ok {
        bail!("the audit log failed verification");
    }

    // 14. Personal data is sealed on disk, the report and the list included.
    let emails = sample_emails(&sample.join("customers.csv"), 200)?;
    let found = plaintext_hits(&data, &emails)?;
    say(format!(
        "14. Scanned every file of the data directory, the report and the campaign list included, for {} sample e-mail addresses: {} found in plaintext",
        emails.len(),
        found
    ));

    if ctx.json {
        output::json(&Summary {
            data_dir: data.clone(),
            identity_file: identity.clone(),
            sample_dir: sample,
            tenant: TENANT.to_owned(),
            imports,
            plaintext_emails_found_on_disk: found,
            emails_checked: emails.len(),
            consent: summary,
            as_of,
            plugin_runs: runs.into_iter().map(|r| r.scores.run).collect(),
            segments,
            explained,
            supplier_standings,
            referrals,
            campaign,
            audit_log: audit,
            report: report_path.clone(),
        })?;
    } else {
        let id = identity.display();
        let d = data.display();
        // The binary that is running, so the commands work without installing it.
        let exe = std::env::current_exe()
            .ok()
            .and_then(|p| {
                let cwd = std::env::current_dir().ok()?;
                Some(p.strip_prefix(&cwd).map(Path::to_path_buf).unwrap_or(p))
            })
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "rapport".to_owned());
        let rfm_run = runs
            .iter()
            .find(|r| r.installed.plugin == "rfm")
            .map_or("RUN_ID", |r| r.scores.run.run.as_str());
        crate::outln!();
        crate::outln!("Next steps:");
        crate::outln!("  {exe} --data-dir {d} --identity {id} tenant list");
        crate::outln!(
            "  {exe} --data-dir {d} --identity {id} subject show --tenant {TENANT} C0000001"
        );
        crate::outln!(
            "  {exe} --data-dir {d} --identity {id} consent check --tenant {TENANT} --subject C0000001 --purpose direct_marketing_email"
        );
        crate::outln!("  {exe} --data-dir {d} --identity {id} consent history --tenant {TENANT} --subject C0000001");
        crate::outln!("  {exe} --data-dir {d} --identity {id} run list --tenant {TENANT}");
        crate::outln!(
            "  {exe} --data-dir {d} --identity {id} scores --tenant {TENANT} --run {rfm_run} --limit 5"
        );
        crate::outln!(
            "  {exe} --data-dir {d} --identity {id} run replay --tenant {TENANT} {campaign_run}"
        );
        crate::outln!(
            "  {exe} --data-dir {d} --identity {id} action show {} --replay",
            campaign.action
        );
        crate::outln!("  {exe} --data-dir {d} --identity {id} audit log --tenant {TENANT}");
        crate::outln!("  {exe} --data-dir {d} --identity {id} audit verify");
        crate::outln!();
        crate::outln!("The audit report (one self-contained HTML page, readable offline):");
        crate::outln!("{}", report_path.display());
    }
    if found > 0 {
        bail!("{found} personal values were found in plaintext on disk");
    }
    Ok(())
}

/// The first `n` e-mail addresses of a generated customers file.
fn sample_emails(customers: &Path, n: usize) -> Result<Vec<String>> {
    let mut rdr = csv::Reader::from_path(customers)
        .with_context(|| format!("could not read {}", customers.display()))?;
    let headers = rdr.headers()?.clone();
    let col = headers
        .iter()
        .position(|h| h == "email")
        .context("customers.csv has no email column")?;
    let mut out = Vec::new();
    for rec in rdr.records().take(n) {
        let rec = rec?;
        if let Some(e) = rec.get(col).filter(|e| !e.is_empty()) {
            out.push(e.to_owned());
        }
    }
    Ok(out)
}

/// `DIR-suffix` next to `DIR`.
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rapport".to_owned());
    dir.with_file_name(format!("{name}-{suffix}"))
}

/// How many of `needles` appear in any file under `root`.
fn plaintext_hits(root: &Path, needles: &[String]) -> Result<usize> {
    let matcher = aho_corasick::AhoCorasick::new(needles).context("could not build the scanner")?;
    let mut found = std::collections::HashSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("could not list {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            // SQLite removes a database's `-shm`/`-wal` files when its last
            // connection closes, which may finish while this scan runs: a
            // file gone since the listing holds nothing any more.
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("could not read {}", path.display()))
                }
            };
            for m in matcher.find_overlapping_iter(bytes.as_slice()) {
                found.insert(m.pattern());
            }
        }
    }
    Ok(found.len())
}

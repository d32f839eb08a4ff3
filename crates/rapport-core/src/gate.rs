//! The action gate's use cases: request an action and get a verdict,
//! review it, execute it exactly once, replay a verdict from its pins.
//!
//! Invariants:
//! - Every verdict, approval, rejection, execution and disclosure is an
//!   entry of the tenant's tamper-evident log, queued in the transaction
//!   that commits it; the action keeps the pin of each entry
//!   ([`ActionView::log_entries`]).
//! - Nothing is acted on without a recorded verdict: [`Platform::execute_action`]
//!   reads the stored verdict and runs only an allowed or approved one, and
//!   the store itself refuses a second execution.
//! - A verdict pins its evidence (policy bundle hash, the instant, the
//!   consent ledger's high-water mark, the run, the notices relied on, the
//!   population and the fairness input), and [`Platform::replay_action`]
//!   re-derives it from those pins with the same pure steps
//!   (`rapport_audit::gate`).
//! - Protected attributes are opened inside the fairness audit only (the
//!   opener task of the decision pass); what leaves it is counts per
//!   combination of values.
//! - A request writes its people's outcomes into the verdict's own
//!   transaction while it decides: none is visible before the verdict
//!   commits with them, and a request that fails leaves nothing behind.
//! - A list is plaintext on disk only when it holds nothing but external
//!   ids; any personal field goes to a file age-encrypted to a recipient.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rapport_audit::gate::{
    self, audit_cells, classify, derive, population, ActionKind, CellTally, Counts, GateTally,
    LogPin, NoticePin, Outcome, PolicyBundle, RunPin, SelectionCells, SubjectOutcome, Target,
    VerdictRecord, VERDICT_FORMAT,
};
use rapport_audit::log::EntryKind;
use rapport_domain::consent::rules as consent_rules;
use rapport_domain::time_fmt::{format_instant, parse_instant};
use rapport_store::{
    ActionSubjectRow, FinalOutcome, NewAction, NewDisclosure, StoredAction, StoredKey, Tenant,
};
use rapport_vault::{SubjectId, TenantKeys};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::audit_log::{name_ref, pseudonyms_sha256, verdict_body, ActionLogEntry};
use crate::consent::PageStep;
use crate::platform::to_wrapped;
use crate::privacy::write_new_file;
use crate::{CoreError, Platform};

/// The protected attributes the gate audits a selection on, in order.
pub const PROTECTED_ATTRIBUTES: [&str; 2] = ["gender", "age_band"];

/// Per-person outcomes a request prints by default (excluded and
/// review-held people); all are stored, and `action show --subjects` lists
/// them all.
pub const SHOWN_SUBJECTS: usize = 1000;

/// Row-id flags of a request: one byte per stakeholder row, because a
/// million-row tenant's flags then fit in a megabyte and cost one index each.
struct RowFlags(Vec<u8>);

const POPULATION: u8 = 1;
const TARGETED: u8 = 2;
const ELIGIBLE: u8 = 4;
const SELECTED: u8 = 8;

impl RowFlags {
    fn new(max_id: i64) -> Self {
        RowFlags(vec![0; usize::try_from(max_id.max(0)).unwrap_or(0) + 1])
    }

    fn get(&self, id: i64) -> u8 {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.0.get(i))
            .copied()
            .unwrap_or(0)
    }

    fn set(&mut self, id: i64, flag: u8) {
        if let Some(b) = usize::try_from(id).ok().and_then(|i| self.0.get_mut(i)) {
            *b |= flag;
        }
    }

    fn has(&self, id: i64, flag: u8) -> bool {
        self.get(id) & flag != 0
    }
}

/// What an action targets, as asked for.
#[derive(Clone, Debug)]
pub enum TargetSpec {
    /// The customers a segmenter run labelled `name`; by default the latest
    /// successful run of an installation that produced that label.
    Segment { name: String, run: Option<String> },
    /// The `n` highest scores of a run. Ties are broken by external id in
    /// ascending order, so the same run always gives the same list; people
    /// excluded by consent are not replaced by the next ones.
    Top { run: String, n: u64 },
    /// External ids, one per line, from a file named `source` (for
    /// diagnostics).
    Subjects { source: String, text: String },
}

/// A request for an action.
#[derive(Clone, Debug)]
pub struct ActionRequest {
    pub tenant: String,
    pub kind: String,
    pub purpose: String,
    pub target: TargetSpec,
}

/// One reason, with its citation.
#[derive(Clone, Debug, Serialize)]
pub struct ReasonView {
    pub rule: String,
    pub citation: String,
    pub jurisdiction: Option<String>,
}

/// One targeted person's outcome, as shown.
#[derive(Clone, Debug, Serialize)]
pub struct SubjectView {
    /// External id (a pseudonym once erased).
    pub subject: String,
    pub included: bool,
    pub review: bool,
    pub reasons: Vec<ReasonView>,
    /// Consent records relied on, `id:version`.
    pub records: Vec<String>,
    /// After execution: whether the person was in the final list.
    pub final_included: Option<bool>,
    pub final_reasons: Vec<ReasonView>,
}

/// A review of an action held for one.
#[derive(Clone, Debug, Serialize)]
pub struct ReviewView {
    pub decision: String,
    pub reviewer: String,
    pub note: Option<String>,
    pub at: String,
}

/// An action with its verdict.
#[derive(Clone, Debug, Serialize)]
pub struct ActionView {
    pub action: String,
    pub tenant: String,
    pub kind: String,
    pub purpose: String,
    pub status: String,
    pub outcome: String,
    pub requested_at: String,
    pub verdict: VerdictRecord,
    pub review: Option<ReviewView>,
    pub execution: Option<serde_json::Value>,
    /// The `verdict` entry of the tenant's log (`None` while it waits in
    /// the outbox).
    pub log: Option<LogPin>,
    /// Every log entry of the action: verdict, review, execution and
    /// disclosure, each with its pin.
    pub log_entries: Vec<ActionLogEntry>,
    /// `excluded_and_review` (the default) or `all`.
    pub subjects_shown: String,
    /// How many per-person outcomes were left out of `subjects`.
    pub subjects_omitted: u64,
    pub subjects: Vec<SubjectView>,
}

/// An action in a list.
#[derive(Clone, Debug, Serialize)]
pub struct ActionSummary {
    pub action: String,
    pub kind: String,
    pub purpose: String,
    pub outcome: String,
    pub status: String,
    pub requested_at: String,
    pub run: Option<String>,
    pub targeted: u64,
    pub included: u64,
    pub excluded: u64,
}

/// What a replay found.
#[derive(Clone, Debug, Serialize)]
pub struct ActionReplay {
    pub action: String,
    pub pinned_outcome: String,
    pub replayed_outcome: String,
    /// `reproduced`, `input-changed` (same verdict, but protected attributes
    /// or birth dates changed since, e.g. by a rectification or an erasure)
    /// or `differs`.
    pub verdict: String,
    pub policy_hash: String,
    pub pinned_counts: Counts,
    pub replayed_counts: Counts,
    pub subjects_match: bool,
    pub population_matches: bool,
    pub fairness_input_matches: bool,
    pub fairness_matches: bool,
    /// The first differences, person by person (external ids and rules).
    pub differences: Vec<String>,
}

/// What an execution did.
#[derive(Clone, Debug, Serialize)]
pub struct ExecutionReport {
    pub action: String,
    pub tenant: String,
    pub kind: String,
    pub executed_at: String,
    /// People in the verdict's selection.
    pub selected: u64,
    /// People in the final list after consent was decided again.
    pub final_count: u64,
    pub excluded_at_execution: u64,
    pub excluded_by_rule: BTreeMap<String, u64>,
    pub out: PathBuf,
    pub bytes: u64,
    pub sha256: String,
    pub encrypted: bool,
    pub recipient: Option<String>,
    pub recipient_key: Option<String>,
    pub fields: Vec<String>,
    pub disclosures: u64,
}

/// Options of an execution.
#[derive(Clone, Debug, Default)]
pub struct ExecuteOptions {
    /// The recipient's age public key (`age1…`).
    pub recipient_key: Option<String>,
    /// Who the recipient is, as the disclosure records name them.
    pub recipient: Option<String>,
    /// The list file to write; must not exist.
    pub out: PathBuf,
}

fn invalid(msg: impl Into<String>) -> CoreError {
    CoreError::Invalid(msg.into())
}

/// The instant a verdict or an execution is decided at, at full precision:
/// a consent record stamped a moment earlier (its `recorded_at` has
/// nanoseconds too) must count, or a withdrawal would lag by up to a second.
fn decision_instant() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn new_action_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("act-{}", &id[..16])
}

fn bundle_error(e: impl std::fmt::Display) -> CoreError {
    invalid(format!("the gate policy is invalid: {e}"))
}

fn status_for(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Allow | Outcome::AllowWithExclusions => "ready",
        Outcome::NeedsReview => "pending_review",
        Outcome::Block => "blocked",
    }
}

/// `rule@jurisdiction` tokens as reasons with their citations.
fn reason_views(tokens: &str) -> Vec<ReasonView> {
    tokens
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(|t| {
            let (rule, j) = match t.split_once('@') {
                Some((r, j)) => (r, Some(j.to_owned())),
                None => (t, None),
            };
            let citation = consent_rules::rule(rule)
                .map(|r| r.citation)
                .or_else(|| gate::gate_rule(rule).map(|r| r.citation))
                .unwrap_or("")
                .to_owned();
            ReasonView {
                rule: rule.to_owned(),
                citation,
                jurisdiction: j,
            }
        })
        .collect()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The kind and purpose of a request, checked against the bundle.
fn kind_for<'b>(
    bundle: &'b PolicyBundle,
    kind: &str,
    purpose: &str,
) -> Result<&'b ActionKind, CoreError> {
    let k = bundle.actions().get(kind).ok_or_else(|| {
        let known: Vec<&str> = bundle
            .actions()
            .kinds
            .iter()
            .map(|k| k.id.as_str())
            .collect();
        invalid(format!(
            "unknown action kind `{kind}` (known: {})",
            known.join(", ")
        ))
    })?;
    if bundle.purposes().get(purpose).is_none() {
        let known: Vec<&str> = bundle
            .purposes()
            .purposes()
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        return Err(invalid(format!(
            "unknown purpose `{purpose}` (known: {})",
            known.join(", ")
        )));
    }
    if !k.purposes.iter().any(|p| p == purpose) {
        return Err(invalid(format!(
            "an action of kind `{kind}` cannot be requested for purpose `{purpose}` (allowed: {})",
            k.purposes.join(", ")
        )));
    }
    Ok(k)
}

/// The people a request targets and the population they come from.
struct Resolved {
    target: Target,
    run: Option<RunPin>,
    /// Row ids of the targeted people, ascending.
    targets: Vec<i64>,
    /// The source population as row ids, when it is a run's; `None` means
    /// every unerased customer of the tenant.
    population: Option<Vec<i64>>,
}

/// Everything gathered while deciding consent for a request or a replay.
struct Decided {
    tally: rapport_audit::gate::TallyResult,
    /// Targeted people with their outcomes, in row-id order: all of them,
    /// or with a writer only the first excluded or review-held ones.
    outcomes: Vec<(i64, SubjectOutcome)>,
    /// How many targeted people were excluded or held for review.
    notable: u64,
    /// Notice versions named by relied-on records.
    notices: BTreeSet<(String, u32)>,
    /// External ids of targeted people, by row id.
    external_ids: HashMap<i64, String>,
    /// Row ids of the population, ascending.
    population: Vec<i64>,
    /// The eligible population's protected attributes, counted per
    /// combination of values with whether each person was selected.
    cells: SelectionCells,
}

impl Platform {
    /// Requests an action: resolves the target, decides consent for every
    /// person in the source population at this instant, audits the
    /// selection's fairness against the eligible population, applies the
    /// gate policy, and records the verdict with its pins.
    pub async fn request_action(&self, req: &ActionRequest) -> Result<ActionView, CoreError> {
        let bundle = PolicyBundle::default_bundle().map_err(bundle_error)?;
        // Each phase's elapsed time at debug level
        // (`RAPPORT_LOG=rapport_core=debug`): where a large request spends
        // its time, without a profiler.
        let clock = std::time::Instant::now();
        let lap = |what: &str| {
            tracing::debug!(
                phase = what,
                ms = clock.elapsed().as_millis() as u64,
                "gate request"
            )
        };
        let kind = kind_for(&bundle, &req.kind, &req.purpose)?.clone();
        let t = self.store.tenant(&req.tenant).await?;
        let at = decision_instant();
        // The ledger's high-water mark is read before the ledger itself, so
        // nothing the decisions saw is beyond it.
        let consent_watermark = self.store.consent_watermark(&t).await?;
        let stakeholder_watermark = self.store.max_stakeholder_id(&t).await?;
        // A list or every customer: the whole tenant is the population, so
        // the opener's keys are read while the list is resolved.
        let early = matches!(req.target, TargetSpec::Subjects { .. })
            .then(|| self.start_opener(&t, stakeholder_watermark))
            .transpose()?;
        let resolved = self.resolve_target(&t, &req.target).await?;
        lap("resolved");
        let opener = match early {
            Some(o) => o,
            None => self.start_opener(
                &t,
                resolved
                    .population
                    .as_ref()
                    .map_or(stakeholder_watermark, |p| p.len() as i64),
            )?,
        };
        let id = new_action_id();
        // Outcomes are written, in the transaction that will hold the
        // verdict, while the people after them are decided.
        let writer = self.store.begin_action(&id).await?;
        let (outcome_tx, mut outcome_rx) =
            tokio::sync::mpsc::unbounded_channel::<Vec<(i64, SubjectOutcome)>>();
        let writing = tokio::spawn(async move {
            let mut writer = writer;
            while let Some(page) = outcome_rx.recv().await {
                let rows: Vec<ActionSubjectRow<'_>> = page
                    .iter()
                    .map(|(row, o)| ActionSubjectRow {
                        stakeholder_id: *row,
                        included: o.included,
                        review: o.review,
                        reasons: &o.reasons,
                        records: &o.records,
                    })
                    .collect();
                writer.add_subjects(&rows).await?;
            }
            Ok::<_, CoreError>(writer)
        });
        let decided = self
            .decide_for_gate(
                &t,
                &bundle,
                &req.purpose,
                at,
                None,
                stakeholder_watermark,
                resolved.population.as_deref(),
                &resolved.targets,
                None,
                opener,
                Some(outcome_tx),
            )
            .await;
        let writer = writing.await.map_err(|_| CoreError::ReaderStopped)?;
        let decided = decided?;
        let writer = writer?;
        lap("decided");
        // The fairness seam: the selection audited against the eligible
        // population, from the counts the pass gathered.
        let cells = decided.cells.clone();
        let fairness = audit_cells(&cells, bundle.fairness());
        lap("audited");
        let derived = derive(bundle.gate(), &kind, &decided.tally.counts, &fairness);
        let stored_notices = self.store.notices(&t).await?;
        let notices: Vec<NoticePin> = decided
            .notices
            .iter()
            .map(|(id, v)| NoticePin {
                id: id.clone(),
                version: i64::from(*v),
                content_sha256: stored_notices
                    .iter()
                    .find(|n| &n.notice_id == id && n.version == i64::from(*v))
                    .map(|n| n.content_sha256.clone())
                    .unwrap_or_default(),
            })
            .collect();
        let record = VerdictRecord {
            format: VERDICT_FORMAT.to_owned(),
            action: id.clone(),
            tenant: t.name.clone(),
            kind: kind.id.clone(),
            purpose: req.purpose.clone(),
            target: resolved.target.clone(),
            outcome: derived.outcome,
            reasons: derived.reasons,
            counts: decided.tally.counts.clone(),
            exclusions: decided.tally.exclusions.clone(),
            fairness,
            fairness_input: cells.clone(),
            pins: gate::Pins {
                policy_hash: bundle.hash().to_owned(),
                policy_versions: bundle.versions(),
                at: format_instant(at),
                consent_watermark,
                stakeholder_watermark,
                run: resolved.run.clone(),
                notices,
                subjects_sha256: decided.tally.subjects_sha256.clone(),
                population_sha256: decided.tally.population_sha256.clone(),
                fairness_input_sha256: cells.sha256().map_err(|e| invalid(e.to_string()))?,
            },
        };
        let verdict_json = serde_json::to_string(&record)
            .map_err(|e| invalid(format!("could not encode the verdict: {e}")))?;
        let population_blob = population::encode(&decided.population);
        lap("encoded");
        let entry = self
            .action_entry(
                &t,
                EntryKind::Verdict,
                verdict_body(&record, status_for(record.outcome))?,
            )
            .map_err(|e| invalid(format!("could not build the verdict's log entry: {e}")))?;
        writer
            .finish(
                &t,
                &NewAction {
                    id: &id,
                    kind: &kind.id,
                    purpose: &req.purpose,
                    run_id: resolved.run.as_ref().map(|r| r.id.as_str()),
                    policy_hash: bundle.hash(),
                    policy_content: bundle.canonical(),
                    requested_at: &record.pins.at,
                    outcome: record.outcome.as_str(),
                    verdict: &verdict_json,
                    population: &population_blob,
                    status: status_for(record.outcome),
                },
                &[entry],
            )
            .await?;
        lap("recorded");
        let log_entries = self.append_log(&t, &id).await;
        lap("logged");
        tracing::info!(tenant = %t.name, action = %id, outcome = record.outcome.as_str(), "gate verdict recorded");
        let stored = self
            .store
            .action(&t, &id)
            .await?
            .ok_or_else(|| invalid(format!("action {id} was not stored")))?;
        let subjects = decided
            .outcomes
            .iter()
            .filter(|(_, o)| !o.included || o.review)
            .take(SHOWN_SUBJECTS)
            .map(|(row, o)| SubjectView {
                subject: decided.external_ids.get(row).cloned().unwrap_or_default(),
                included: o.included,
                review: o.review,
                reasons: reason_views(&o.reasons),
                records: o
                    .records
                    .split(' ')
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect(),
                final_included: None,
                final_reasons: Vec::new(),
            })
            .collect::<Vec<_>>();
        let notable = decided.notable;
        let mut view = self.action_view(&t, stored, record)?;
        view.set_log(log_entries);
        view.subjects_omitted = notable - subjects.len() as u64;
        view.subjects = subjects;
        lap("viewed");
        Ok(view)
    }

    /// Resolves a request's target into row ids.
    async fn resolve_target(&self, t: &Tenant, spec: &TargetSpec) -> Result<Resolved, CoreError> {
        match spec {
            TargetSpec::Segment { name, run } => {
                let run_id = match run {
                    Some(r) => r.clone(),
                    None => self.store.latest_segment_run(t, name).await?.ok_or_else(|| {
                        invalid(format!(
                            "no successful segmenter run of tenant `{}` labelled anyone `{name}` (see `rapport run list --tenant {}` and `rapport scores`)",
                            t.name, t.name
                        ))
                    })?,
                };
                let pin = self.run_pin(t, &run_id, true).await?;
                let members = self.store.run_members(t, &run_id).await?;
                let targets: Vec<i64> = members
                    .iter()
                    .filter(|m| m.label.as_deref() == Some(name.as_str()))
                    .map(|m| m.stakeholder_id)
                    .collect();
                if targets.is_empty() {
                    let mut labels: Vec<&str> =
                        members.iter().filter_map(|m| m.label.as_deref()).collect();
                    labels.sort_unstable();
                    labels.dedup();
                    return Err(invalid(format!(
                        "run {run_id} labelled nobody `{name}` (its labels: {})",
                        labels.join(", ")
                    )));
                }
                Ok(Resolved {
                    target: Target::Segment {
                        segment: name.clone(),
                        run: run_id,
                    },
                    run: Some(pin),
                    targets,
                    population: Some(members.iter().map(|m| m.stakeholder_id).collect()),
                })
            }
            TargetSpec::Top { run, n } => {
                if *n == 0 {
                    return Err(invalid("--top must be at least 1"));
                }
                let pin = self.run_pin(t, run, false).await?;
                let members = self.store.run_members(t, run).await?;
                let mut ranked: Vec<&rapport_store::RunMember> = members.iter().collect();
                // Highest score first; equal scores in ascending external-id
                // order, so the cut is the same every time.
                ranked.sort_by(|a, b| {
                    b.score
                        .total_cmp(&a.score)
                        .then_with(|| a.external_id.cmp(&b.external_id))
                });
                let take = usize::try_from(*n).unwrap_or(usize::MAX).min(ranked.len());
                let mut targets: Vec<i64> =
                    ranked[..take].iter().map(|m| m.stakeholder_id).collect();
                targets.sort_unstable();
                Ok(Resolved {
                    target: Target::Top {
                        run: run.clone(),
                        n: *n,
                    },
                    run: Some(pin),
                    targets,
                    population: Some(members.iter().map(|m| m.stakeholder_id).collect()),
                })
            }
            TargetSpec::Subjects { source, text } => {
                let targets = self.resolve_subject_list(t, source, text).await?;
                Ok(Resolved {
                    target: Target::Subjects {
                        sha256: hex::encode(Sha256::digest(text.as_bytes())),
                        lines: text.lines().count() as u64,
                    },
                    run: None,
                    targets,
                    population: None,
                })
            }
        }
    }

    /// A run's pins, checked to be a successful original run with outputs.
    async fn run_pin(
        &self,
        t: &Tenant,
        run_id: &str,
        segmenter: bool,
    ) -> Result<RunPin, CoreError> {
        let run = self.store.run(t, run_id).await?.ok_or_else(|| {
            invalid(format!(
                "run `{run_id}` does not exist in tenant `{}`",
                t.name
            ))
        })?;
        if run.status != "succeeded" {
            return Err(invalid(format!(
                "run {run_id} {}; it has no outputs to act on",
                run.status
            )));
        }
        if let Some(original) = &run.replay_of {
            return Err(invalid(format!(
                "run {run_id} is a replay of {original} and keeps no outputs; request on {original}"
            )));
        }
        if segmenter && self.store.run_kind(t, run_id).await?.as_deref() != Some("segmenter") {
            return Err(invalid(format!(
                "run {run_id} is not a segmenter's: use --run {run_id} --top N for scores"
            )));
        }
        Ok(RunPin {
            id: run.id,
            plugin: run.plugin_id,
            version: run.version,
            component_digest: run.component_digest,
            config_hash: run.config_hash,
            output_hash: run.output_hash,
            as_of: run.as_of,
        })
    }

    /// Reads a list of external ids, one per line (blank lines ignored), and
    /// finds each customer; unknown, duplicate and non-customer ids are
    /// errors naming their lines.
    async fn resolve_subject_list(
        &self,
        t: &Tenant,
        source: &str,
        text: &str,
    ) -> Result<Vec<i64>, CoreError> {
        // The list is indexed by its own text (borrowed, no copy per line),
        // then one ordered scan of the tenant's stakeholders resolves it.
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, id)| !id.is_empty())
            .collect();
        let mut found: HashMap<&str, Option<(i64, rapport_domain::StakeholderKind)>> =
            HashMap::with_capacity(lines.len());
        for (_, id) in &lines {
            found.insert(id, None);
        }
        // An erased stakeholder is known by its pseudonym only: a listed id
        // that matches no one directly is looked up by its pseudonym too.
        let mut erased: HashMap<String, (i64, rapport_domain::StakeholderKind)> = HashMap::new();
        self.store
            .visit_stakeholder_names(t, |row, kind, is_erased, external_id| {
                if let Some(slot) = found.get_mut(external_id) {
                    *slot = Some((row, kind));
                } else if is_erased {
                    erased.insert(external_id.to_owned(), (row, kind));
                }
            })
            .await?;
        if !erased.is_empty() && found.values().any(Option::is_none) {
            let tk = self.tenant_keys(t)?;
            for (id, slot) in found.iter_mut().filter(|(_, s)| s.is_none()) {
                *slot = erased.get(&crate::privacy::pseudonym(&tk, id)).copied();
            }
        }
        let mut seen: HashMap<i64, usize> = HashMap::with_capacity(lines.len());
        let mut problems = Vec::new();
        let mut out = Vec::with_capacity(lines.len());
        for (n, id) in lines {
            match found.get(id).copied().flatten() {
                None => problems.push(format!(
                    "{source}:{n}: no stakeholder `{id}` in tenant `{}`",
                    t.name
                )),
                Some((_, kind)) if kind != rapport_domain::StakeholderKind::Customer => problems
                    .push(format!(
                        "{source}:{n}: `{id}` is a {}, not a customer",
                        kind.as_str()
                    )),
                Some((row, _)) => match seen.get(&row) {
                    Some(first) => problems.push(format!(
                        "{source}:{n}: `{id}` is listed twice (first on line {first})"
                    )),
                    None => {
                        seen.insert(row, n);
                        out.push(row);
                    }
                },
            }
        }
        if !problems.is_empty() {
            let more = problems.len().saturating_sub(10);
            problems.truncate(10);
            let mut msg = problems.join("; ");
            if more > 0 {
                msg.push_str(&format!("; and {more} more"));
            }
            return Err(invalid(msg));
        }
        if out.is_empty() {
            return Err(invalid(format!("{source} lists no subject")));
        }
        out.sort_unstable();
        Ok(out)
    }

    /// Decides consent for a request or its replay and audits the
    /// selection's fairness input, in one pass over pages of row ids: every
    /// customer in row-id order; population members are counted eligible or
    /// not, targeted people classified. `pinned` gives a replay the stored
    /// outcomes of people who were already erased at the request.
    ///
    /// The fairness seam runs beside the decisions: each page's sealed
    /// protected attributes are read with its ledger, and once the page is
    /// decided those of its eligible people go to an opener task that opens
    /// them on the blocking pool and counts them per combination of values
    /// while the next page is decided. Opened values never leave the opener;
    /// what comes back is the counts.
    #[allow(clippy::too_many_arguments)]
    async fn decide_for_gate(
        &self,
        t: &Tenant,
        bundle: &PolicyBundle,
        purpose: &str,
        at: OffsetDateTime,
        watermark: Option<i64>,
        stakeholder_watermark: i64,
        population: Option<&[i64]>,
        targets: &[i64],
        erased_at_request: Option<&BTreeSet<i64>>,
        (opener, batches): Opener,
        written: Option<tokio::sync::mpsc::UnboundedSender<Vec<(i64, SubjectOutcome)>>>,
    ) -> Result<Decided, CoreError> {
        let mut flags = RowFlags::new(stakeholder_watermark);
        if let Some(pop) = population {
            for id in pop {
                flags.set(*id, POPULATION);
            }
        }
        for id in targets {
            flags.set(*id, TARGETED);
        }
        let every_customer = population.is_none();
        let mut tally = GateTally::default();
        let mut outcomes = Vec::with_capacity(targets.len());
        let mut notices = BTreeSet::new();
        let mut external_ids = HashMap::new();
        let mut pop_ids = Vec::new();
        let mut notable = 0u64;
        // With a writer, each page's outcomes go to it and only the people
        // a request shows by name are kept here.
        let mut page_outcomes = Vec::new();
        let store = self.store.clone();
        let tenant = t.clone();
        let decided = self
            .decide_customer_pages(
                t,
                bundle.purposes(),
                purpose,
                at,
                watermark,
                move |after, until| {
                    let store = store.clone();
                    let tenant = tenant.clone();
                    async move {
                        Ok(store
                            .protected_attributes_page(&tenant, after, until)
                            .await?)
                    }
                },
                |step| {
                    match step {
                        PageStep::Decided(s, ledger, d) => {
                            if s.id > stakeholder_watermark {
                                return Ok(());
                            }
                            let erased = match erased_at_request {
                                Some(set) => set.contains(&s.id),
                                None => s.erased,
                            };
                            if every_customer && !erased {
                                flags.set(s.id, POPULATION);
                            }
                            if flags.has(s.id, POPULATION) {
                                let eligible = d.allowed && !erased;
                                tally.population_member(s.id, eligible);
                                pop_ids.push(s.id);
                                if eligible {
                                    flags.set(s.id, ELIGIBLE);
                                }
                            }
                            if flags.has(s.id, TARGETED) {
                                let o = if erased {
                                    SubjectOutcome::erased()
                                } else {
                                    classify(d)
                                };
                                for r in &d.records {
                                    if let Some(n) = ledger
                                        .iter()
                                        .find(|e| e.id == r.id && e.version == r.version)
                                        .and_then(|e| e.notice.as_ref())
                                    {
                                        notices.insert((n.id.clone(), n.version));
                                    }
                                }
                                if o.included && flags.has(s.id, ELIGIBLE) {
                                    flags.set(s.id, SELECTED);
                                }
                                tally.target(s.id, &o);
                                // Only the people a request shows by name
                                // need their external ids kept.
                                let shown = !o.included || o.review;
                                notable += u64::from(shown);
                                if shown && external_ids.len() < SHOWN_SUBJECTS {
                                    external_ids.insert(s.id, s.external_id.clone());
                                    if written.is_some() {
                                        outcomes.push((s.id, o.clone()));
                                    }
                                }
                                if written.is_some() {
                                    page_outcomes.push((s.id, o));
                                } else {
                                    outcomes.push((s.id, o));
                                }
                            }
                        }
                        PageStep::PageDone {
                            after,
                            until,
                            extra,
                        } => {
                            let batch = OpenBatch::of_page(&flags, after, until, extra);
                            if !batch.is_empty() && batches.send(batch).is_err() {
                                // The opener stopped on an error, which
                                // joining it reports.
                                return Err(CoreError::ReaderStopped);
                            }
                            if let Some(w) = &written {
                                if !page_outcomes.is_empty()
                                    && w.send(std::mem::take(&mut page_outcomes)).is_err()
                                {
                                    // Likewise for the writer.
                                    return Err(CoreError::ReaderStopped);
                                }
                            }
                        }
                    }
                    Ok(())
                },
            )
            .await;
        drop(batches);
        drop(written);
        let cells = opener.await.map_err(|_| CoreError::ReaderStopped)?;
        decided?;
        Ok(Decided {
            tally: tally.finish(),
            outcomes,
            notices,
            external_ids,
            population: pop_ids,
            cells: cells?,
            notable,
        })
    }

    /// Starts the fairness seam's opener: a task that receives the sealed
    /// protected attributes of eligible people page by page, opens them on
    /// the blocking pool and counts them. For a large population every key
    /// of the tenant is read at once, beside the decisions (one ordered scan
    /// of the key store beats a lookup per person); otherwise each page's
    /// keys are looked up.
    fn start_opener(&self, t: &Tenant, population_hint: i64) -> Result<Opener, CoreError> {
        let tk = self.tenant_keys(t)?;
        let keystore = self.keys.clone();
        let tenant = t.uuid;
        let all_keys = (population_hint > 100_000).then(|| {
            let keystore = keystore.clone();
            tokio::spawn(async move { keystore.all_by_subject(tenant).await })
        });
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<OpenBatch>();
        let opener = tokio::spawn(async move {
            let mut tally = CellTally::new(&PROTECTED_ATTRIBUTES);
            let mut all: Option<std::sync::Arc<HashMap<[u8; 16], StoredKey>>> = None;
            let mut all_keys = all_keys;
            while let Some(batch) = rx.recv().await {
                let keys = match (&all, all_keys.take()) {
                    (Some(k), _) => k.clone(),
                    (None, Some(loading)) => {
                        let k = std::sync::Arc::new(
                            loading.await.map_err(|_| CoreError::ReaderStopped)??,
                        );
                        all = Some(k.clone());
                        k
                    }
                    (None, None) => {
                        let subjects: Vec<[u8; 16]> =
                            batch.wanted.iter().map(|(a, _)| a.subject).collect();
                        std::sync::Arc::new(keystore.get_many(tenant, &subjects).await?)
                    }
                };
                let tk = tk.clone();
                let counted = tokio::task::spawn_blocking(move || {
                    let mut page = CellTally::new(&PROTECTED_ATTRIBUTES);
                    batch.count(&tk, &keys, &mut page)?;
                    Ok::<_, CoreError>(page)
                })
                .await
                .map_err(|_| CoreError::ReaderStopped)??;
                tally.merge(counted);
            }
            Ok(tally.finish())
        });
        Ok((opener, tx))
    }

    /// Re-derives a verdict from its pins and compares.
    pub async fn replay_action(&self, action_id: &str) -> Result<ActionReplay, CoreError> {
        let (t, stored) = self.find_action(action_id).await?;
        let pinned: VerdictRecord = serde_json::from_str(&stored.verdict).map_err(|e| {
            invalid(format!(
                "the stored verdict of {action_id} does not parse: {e}"
            ))
        })?;
        let content = self
            .store
            .policy_bundle(&t, &pinned.pins.policy_hash)
            .await?
            .ok_or_else(|| {
                invalid(format!(
                    "the policy bundle {} pinned by {action_id} is not stored",
                    pinned.pins.policy_hash
                ))
            })?;
        let bundle = PolicyBundle::from_canonical(&content, &pinned.pins.policy_hash)
            .map_err(|e| invalid(format!("{action_id}: {e}")))?;
        let kind = kind_for(&bundle, &pinned.kind, &pinned.purpose)?.clone();
        let at = parse_instant(&pinned.pins.at).map_err(CoreError::Invalid)?;
        let population = population::decode(&self.store.action_population(&t, action_id).await?)
            .ok_or_else(|| {
                invalid(format!(
                    "the stored population of {action_id} does not decode"
                ))
            })?;
        let subjects = self.store.action_subjects(&t, action_id).await?;
        let targets: Vec<i64> = subjects.iter().map(|s| s.stakeholder_id).collect();
        let erased_then: BTreeSet<i64> = subjects
            .iter()
            .filter(|s| s.reasons == gate::rules::ERASED.id)
            .map(|s| s.stakeholder_id)
            .collect();
        let decided = self
            .decide_for_gate(
                &t,
                &bundle,
                &pinned.purpose,
                at,
                Some(pinned.pins.consent_watermark),
                pinned.pins.stakeholder_watermark,
                Some(&population),
                &targets,
                Some(&erased_then),
                self.start_opener(&t, population.len() as i64)?,
                None,
            )
            .await?;
        let mut differences = Vec::new();
        // Both sides are in row-id order: a merge pairs them.
        let mut replayed = decided.outcomes.iter().peekable();
        for s in &subjects {
            while replayed.next_if(|(id, _)| *id < s.stakeholder_id).is_some() {}
            match replayed
                .next_if(|(id, _)| *id == s.stakeholder_id)
                .map(|(_, o)| o)
            {
                None => differences.push(format!("{}: not found again", s.external_id)),
                Some(o) => {
                    if o.included != s.included || o.review != s.review || o.reasons != s.reasons {
                        differences.push(format!(
                            "{}: pinned included={} review={} [{}], replayed included={} review={} [{}]",
                            s.external_id, s.included, s.review, s.reasons, o.included, o.review, o.reasons
                        ));
                    } else if o.records != s.records {
                        differences.push(format!(
                            "{}: relied on records [{}], now [{}]",
                            s.external_id, s.records, o.records
                        ));
                    }
                }
            }
        }
        differences.truncate(20);
        // The fairness input is recomputed from today's attributes to see
        // whether it moved; the verdict is re-derived from the pinned one,
        // which is what the gate saw.
        let cells = &decided.cells;
        let fairness = audit_cells(&pinned.fairness_input, bundle.fairness());
        let derived = derive(bundle.gate(), &kind, &decided.tally.counts, &fairness);
        let subjects_match = decided.tally.subjects_sha256 == pinned.pins.subjects_sha256;
        let population_matches = decided.tally.population_sha256 == pinned.pins.population_sha256;
        let hash = |c: &rapport_audit::gate::SelectionCells| {
            c.sha256().map_err(|e| invalid(e.to_string()))
        };
        let fairness_input_matches = hash(cells)? == pinned.pins.fairness_input_sha256
            && hash(&pinned.fairness_input)? == pinned.pins.fairness_input_sha256;
        let fairness_matches = fairness == pinned.fairness;
        let same_verdict = derived.outcome == pinned.outcome
            && derived.reasons == pinned.reasons
            && decided.tally.counts == pinned.counts
            && decided.tally.exclusions == pinned.exclusions
            && subjects_match
            && population_matches
            && fairness_matches;
        let verdict = if same_verdict && fairness_input_matches {
            "reproduced"
        } else if same_verdict {
            "input-changed"
        } else {
            "differs"
        };
        Ok(ActionReplay {
            action: action_id.to_owned(),
            pinned_outcome: pinned.outcome.as_str().to_owned(),
            replayed_outcome: derived.outcome.as_str().to_owned(),
            verdict: verdict.to_owned(),
            policy_hash: pinned.pins.policy_hash.clone(),
            pinned_counts: pinned.counts.clone(),
            replayed_counts: decided.tally.counts,
            subjects_match,
            population_matches,
            fairness_input_matches,
            fairness_matches,
            differences,
        })
    }

    /// The tenant and stored row of an action (action ids are unique across
    /// tenants).
    async fn find_action(&self, action_id: &str) -> Result<(Tenant, StoredAction), CoreError> {
        let tenant = self
            .store
            .action_tenant(action_id)
            .await?
            .ok_or_else(|| invalid(format!("action `{action_id}` does not exist")))?;
        let t = self.store.tenant(&tenant).await?;
        let a = self
            .store
            .action(&t, action_id)
            .await?
            .ok_or_else(|| invalid(format!("action `{action_id}` does not exist")))?;
        Ok((t, a))
    }

    fn action_view(
        &self,
        t: &Tenant,
        a: StoredAction,
        verdict: VerdictRecord,
    ) -> Result<ActionView, CoreError> {
        let review = match (&a.reviewer, &a.reviewed_at) {
            (Some(reviewer), Some(at)) => Some(ReviewView {
                decision: a.status.clone(),
                reviewer: reviewer.clone(),
                note: a.review_note.clone(),
                at: at.clone(),
            }),
            _ => None,
        };
        let execution = match &a.execution {
            Some(e) => Some(
                serde_json::from_str(e)
                    .map_err(|e| invalid(format!("the stored execution does not parse: {e}")))?,
            ),
            None => None,
        };
        Ok(ActionView {
            action: a.id,
            tenant: t.name.clone(),
            kind: a.kind,
            purpose: a.purpose,
            status: if a.status == "approved" && a.executed_at.is_some() {
                "executed".to_owned()
            } else {
                a.status
            },
            outcome: a.outcome,
            requested_at: a.requested_at,
            verdict,
            review,
            execution,
            log: None,
            log_entries: Vec::new(),
            subjects_shown: "excluded_and_review".to_owned(),
            subjects_omitted: 0,
            subjects: Vec::new(),
        })
    }

    /// One action with its verdict; with `all_subjects`, every targeted
    /// person's outcome, otherwise the excluded and review-held ones.
    pub async fn show_action(
        &self,
        action_id: &str,
        all_subjects: bool,
    ) -> Result<ActionView, CoreError> {
        let (t, a) = self.find_action(action_id).await?;
        let verdict: VerdictRecord = serde_json::from_str(&a.verdict).map_err(|e| {
            invalid(format!(
                "the stored verdict of {action_id} does not parse: {e}"
            ))
        })?;
        let subjects = self.store.action_subjects(&t, action_id).await?;
        let mut view = self.action_view(&t, a, verdict)?;
        view.set_log(self.pinned_entries(&t, action_id).await);
        let notable = |s: &&rapport_store::StoredActionSubject| {
            all_subjects || !s.included || s.review || s.final_included == Some(false)
        };
        let total = subjects.iter().filter(notable).count();
        let limit = if all_subjects {
            usize::MAX
        } else {
            SHOWN_SUBJECTS
        };
        view.subjects = subjects
            .iter()
            .filter(notable)
            .take(limit)
            .map(|s| SubjectView {
                subject: s.external_id.clone(),
                included: s.included,
                review: s.review,
                reasons: reason_views(&s.reasons),
                records: s
                    .records
                    .split(' ')
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect(),
                final_included: s.final_included,
                final_reasons: s
                    .final_reasons
                    .as_deref()
                    .map(reason_views)
                    .unwrap_or_default(),
            })
            .collect();
        view.subjects_omitted = (total - view.subjects.len()) as u64;
        if all_subjects {
            view.subjects_shown = "all".to_owned();
        }
        Ok(view)
    }

    /// The tenant's actions, newest first.
    pub async fn list_actions(&self, tenant: &str) -> Result<Vec<ActionSummary>, CoreError> {
        let t = self.store.tenant(tenant).await?;
        let mut out = Vec::new();
        for a in self.store.actions(&t).await? {
            let v: VerdictRecord = serde_json::from_str(&a.verdict).map_err(|e| {
                invalid(format!(
                    "the stored verdict of {} does not parse: {e}",
                    a.id
                ))
            })?;
            out.push(ActionSummary {
                action: a.id,
                kind: a.kind,
                purpose: a.purpose,
                outcome: a.outcome,
                status: a.status,
                requested_at: a.requested_at,
                run: a.run_id,
                targeted: v.counts.targeted,
                included: v.counts.included,
                excluded: v.counts.excluded,
            });
        }
        Ok(out)
    }

    /// Approves or rejects an action held for review. The reviewer is named
    /// and the decision recorded; an action not pending review is refused.
    pub async fn review_action(
        &self,
        action_id: &str,
        approve: bool,
        reviewer: &str,
        note: Option<&str>,
    ) -> Result<ActionView, CoreError> {
        let reviewer = reviewer.trim();
        if reviewer.is_empty() || reviewer.len() > 200 {
            return Err(invalid(
                "--reviewer must name the person reviewing (1 to 200 bytes)",
            ));
        }
        if note.is_some_and(|n| n.len() > 4000) {
            return Err(invalid("--note must be at most 4000 bytes"));
        }
        let (t, a) = self.find_action(action_id).await?;
        if a.status != "pending_review" {
            return Err(invalid(format!(
                "action {action_id} is {} (verdict {}); only an action held for review can be {}",
                a.status,
                a.outcome,
                if approve { "approved" } else { "rejected" }
            )));
        }
        let at = format_instant(decision_instant());
        // The reviewer is a person: the entry names them by a keyed
        // pseudonym, and says only whether a note was given.
        let tk = self.tenant_keys(&t)?;
        let entry = self.action_entry(
            &t,
            if approve {
                EntryKind::Approval
            } else {
                EntryKind::Rejection
            },
            serde_json::json!({
                "action": action_id,
                "decision": if approve { "approved" } else { "rejected" },
                "verdict_outcome": a.outcome,
                "reviewer": name_ref(&tk, "audit-reviewer", reviewer),
                "noted": note.is_some_and(|n| !n.trim().is_empty()),
                "at": at,
            }),
        )?;
        if !self
            .store
            .review_action(&t, action_id, approve, reviewer, note, &at, &entry)
            .await?
        {
            return Err(invalid(format!(
                "action {action_id} was reviewed by someone else meanwhile"
            )));
        }
        self.append_log(&t, action_id).await;
        tracing::info!(tenant = %t.name, action = %action_id, approve, "gate review recorded");
        self.show_action(action_id, false).await
    }

    /// Executes an allowed or approved action exactly once: consent is
    /// decided again for everyone in the selection at this instant, the
    /// final list is written (age-encrypted to the recipient when given, and
    /// always when the list leaves the platform), and every disclosure is
    /// recorded in the same transaction that marks the action executed.
    pub async fn execute_action(
        &self,
        action_id: &str,
        opts: &ExecuteOptions,
    ) -> Result<ExecutionReport, CoreError> {
        let (t, a) = self.find_action(action_id).await?;
        match a.status.as_str() {
            "ready" | "approved" => {}
            "pending_review" => {
                return Err(invalid(format!(
                    "action {action_id} is held for review: `rapport action approve {action_id} --reviewer NAME` first"
                )))
            }
            "executed" => {
                return Err(invalid(format!(
                    "action {action_id} was already executed at {}; an action runs once",
                    a.executed_at.as_deref().unwrap_or("?")
                )))
            }
            other => {
                return Err(invalid(format!(
                    "action {action_id} is {other} (verdict {}); it cannot execute",
                    a.outcome
                )))
            }
        }
        let verdict: VerdictRecord = serde_json::from_str(&a.verdict).map_err(|e| {
            invalid(format!(
                "the stored verdict of {action_id} does not parse: {e}"
            ))
        })?;
        let content = self
            .store
            .policy_bundle(&t, &verdict.pins.policy_hash)
            .await?
            .ok_or_else(|| invalid(format!("the policy bundle of {action_id} is not stored")))?;
        let bundle = PolicyBundle::from_canonical(&content, &verdict.pins.policy_hash)
            .map_err(|e| invalid(format!("{action_id}: {e}")))?;
        let kind = kind_for(&bundle, &verdict.kind, &verdict.purpose)?.clone();
        if kind.leaves_platform && (opts.recipient_key.is_none() || opts.recipient.is_none()) {
            return Err(invalid(format!(
                "a {} list leaves the platform: give --recipient AGE_PUBLIC_KEY and --recipient-name NAME",
                kind.id
            )));
        }
        if opts.recipient_key.is_some() != opts.recipient.is_some() {
            return Err(invalid(
                "--recipient and --recipient-name go together: the disclosure records name who received the list",
            ));
        }
        if let Some(r) = &opts.recipient {
            if r.trim().is_empty() || r.len() > 200 {
                return Err(invalid("--recipient-name must be 1 to 200 bytes"));
            }
        }
        if let Some(key) = &opts.recipient_key {
            // A bad key fails here, before anything is decided or written.
            rapport_vault::encrypt_to_recipient(key, b"")?;
        }
        if opts.out.exists() {
            return Err(invalid(format!(
                "{} already exists; choose a new file name",
                opts.out.display()
            )));
        }
        let subjects = self.store.action_subjects(&t, action_id).await?;
        let selected: Vec<&rapport_store::StoredActionSubject> =
            subjects.iter().filter(|s| s.included).collect();
        // Consent again, now: a withdrawal since the verdict takes effect.
        let at = decision_instant();
        let mut wanted =
            RowFlags::new(selected.iter().map(|s| s.stakeholder_id).max().unwrap_or(0));
        for s in &selected {
            wanted.set(s.stakeholder_id, TARGETED);
        }
        let mut finals: Vec<FinalOutcome> = Vec::with_capacity(selected.len());
        self.decide_customers(
            &t,
            bundle.purposes(),
            &verdict.purpose,
            at,
            None,
            |s, _, d| {
                if wanted.has(s.id, TARGETED) {
                    let (included, reasons) = if s.erased {
                        (false, gate::rules::ERASED.id.to_owned())
                    } else if d.allowed {
                        (true, String::new())
                    } else {
                        (false, classify(d).reasons)
                    };
                    finals.push(FinalOutcome {
                        stakeholder_id: s.id,
                        included,
                        reasons,
                    });
                }
            },
        )
        .await?;
        let mut excluded_by_rule: BTreeMap<String, u64> = BTreeMap::new();
        for f in finals.iter().filter(|f| !f.included) {
            let mut seen = BTreeSet::new();
            for tok in f.reasons.split(' ').filter(|x| !x.is_empty()) {
                let rule = tok.split_once('@').map_or(tok, |(r, _)| r);
                if seen.insert(rule) {
                    *excluded_by_rule.entry(rule.to_owned()).or_default() += 1;
                }
            }
        }
        let final_ids: Vec<i64> = finals
            .iter()
            .filter(|f| f.included)
            .map(|f| f.stakeholder_id)
            .collect();
        let by_id: HashMap<i64, &rapport_store::StoredActionSubject> =
            selected.iter().map(|s| (s.stakeholder_id, *s)).collect();
        let fields: Vec<&'static str> = if opts.recipient_key.is_some() {
            kind.list_fields.iter().map(|f| f.as_str()).collect()
        } else {
            Vec::new()
        };
        let list = self.build_list(&t, &final_ids, &by_id, &fields).await?;
        let (bytes, encrypted) = match &opts.recipient_key {
            Some(key) => (rapport_vault::encrypt_to_recipient(key, &list)?, true),
            None => (list.to_vec(), false),
        };
        drop(list);
        let sha = hex::encode(Sha256::digest(&bytes));
        let executed_at = format_instant(at);
        let report = ExecutionReport {
            action: action_id.to_owned(),
            tenant: t.name.clone(),
            kind: kind.id.clone(),
            executed_at: executed_at.clone(),
            selected: selected.len() as u64,
            final_count: final_ids.len() as u64,
            excluded_at_execution: (selected.len() - final_ids.len()) as u64,
            excluded_by_rule,
            out: opts.out.clone(),
            bytes: bytes.len() as u64,
            sha256: sha,
            encrypted,
            recipient: opts.recipient.clone(),
            recipient_key: opts.recipient_key.as_deref().map(|k| k.trim().to_owned()),
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            disclosures: if encrypted { final_ids.len() as u64 } else { 0 },
        };
        let disclosures: Vec<NewDisclosure> = match (&opts.recipient, &opts.recipient_key) {
            (Some(name), Some(key)) => final_ids
                .iter()
                .map(|id| NewDisclosure {
                    stakeholder_id: *id,
                    recipient: name.trim().to_owned(),
                    recipient_key: key.trim().to_owned(),
                    purpose: verdict.purpose.clone(),
                    fields: if fields.is_empty() {
                        "external_id".to_owned()
                    } else {
                        format!("external_id,{}", fields.join(","))
                    },
                })
                .collect(),
            _ => Vec::new(),
        };
        let execution_json = serde_json::to_string(&report)
            .map_err(|e| invalid(format!("could not encode the execution: {e}")))?;
        let entries = self.execution_entries(&t, &report, &verdict.purpose, &final_ids, &by_id)?;
        // The file first, then the transaction that claims the execution:
        // if another execution won, the file is removed again and nothing
        // else happened.
        write_new_file(&opts.out, &bytes)?;
        let claimed = self
            .store
            .execute_action(
                &t,
                action_id,
                &executed_at,
                &execution_json,
                &finals,
                &disclosures,
                &entries,
            )
            .await;
        match claimed {
            Ok(true) => {}
            Ok(false) => {
                remove_written(&opts.out);
                return Err(invalid(format!(
                    "action {action_id} was already executed; an action runs once"
                )));
            }
            Err(e) => {
                remove_written(&opts.out);
                return Err(e.into());
            }
        }
        self.append_log(&t, action_id).await;
        tracing::info!(tenant = %t.name, action = %action_id, listed = report.final_count, "action executed");
        Ok(report)
    }

    /// The final list as CSV: the external id and the kind's list fields,
    /// opened from the vault (only when the list is encrypted to a
    /// recipient; otherwise `fields` is empty and nothing is opened).
    async fn build_list(
        &self,
        t: &Tenant,
        ids: &[i64],
        subjects: &HashMap<i64, &rapport_store::StoredActionSubject>,
        fields: &[&str],
    ) -> Result<Zeroizing<Vec<u8>>, CoreError> {
        let mut out = Zeroizing::new(Vec::with_capacity(ids.len() * 24 + 64));
        out.extend_from_slice(b"subject");
        for f in fields {
            out.push(b',');
            out.extend_from_slice(f.as_bytes());
        }
        out.push(b'\n');
        if fields.is_empty() {
            for id in ids {
                if let Some(s) = subjects.get(id) {
                    out.extend_from_slice(csv_field(&s.external_id).as_bytes());
                    out.push(b'\n');
                }
            }
            return Ok(out);
        }
        let tk = self.tenant_keys(t)?;
        for chunk in ids.chunks(20_000) {
            let sealed = self.store.list_fields(t, chunk).await?;
            let keys = self
                .keys
                .get_many(
                    t.uuid,
                    &sealed.iter().map(|s| s.subject).collect::<Vec<_>>(),
                )
                .await?;
            for s in &sealed {
                let Some(subject) = subjects.get(&s.stakeholder_id) else {
                    continue;
                };
                let Some(w) = keys.get(&s.subject) else {
                    // Erased between the consent check and now: not listed.
                    continue;
                };
                let key = tk.unwrap_key(SubjectId(s.subject), &to_wrapped(w))?;
                out.extend_from_slice(csv_field(&subject.external_id).as_bytes());
                for f in fields {
                    out.push(b',');
                    let blob = match *f {
                        "name" => s.name.as_ref(),
                        "email" => s.email.as_ref(),
                        "phone" => s.phone.as_ref(),
                        "address" => s.address.as_ref(),
                        _ => None,
                    };
                    if let Some(blob) = blob {
                        let plain = key.open(f, blob).map_err(|_| CoreError::Unreadable {
                            id: subject.external_id.clone(),
                            field: (*f).to_owned(),
                        })?;
                        let text = Zeroizing::new(String::from_utf8_lossy(&plain).into_owned());
                        out.extend_from_slice(csv_field(&text).as_bytes());
                    }
                }
                out.push(b'\n');
            }
        }
        Ok(out)
    }

    /// The entries of an execution: one `execution` entry, and, when the
    /// list left the platform encrypted to a recipient, one `disclosure`
    /// entry for it. People are named by the SHA-256 of their sorted keyed
    /// pseudonyms (see `docs/audit-log.md`), the recipient by a keyed
    /// pseudonym of its name and the SHA-256 of its age key.
    fn execution_entries(
        &self,
        t: &Tenant,
        report: &ExecutionReport,
        purpose: &str,
        final_ids: &[i64],
        subjects: &HashMap<i64, &rapport_store::StoredActionSubject>,
    ) -> Result<Vec<rapport_store::ActionEntryNote>, CoreError> {
        let tk = self.tenant_keys(t)?;
        let listed = pseudonyms_sha256(
            &tk,
            final_ids
                .iter()
                .filter_map(|id| subjects.get(id).map(|s| s.external_id.as_str())),
        );
        let recipient_sha256 = report
            .recipient_key
            .as_deref()
            .map(|k| hex::encode(Sha256::digest(k.as_bytes())));
        let recipient_ref = report
            .recipient
            .as_deref()
            .map(|r| name_ref(&tk, "audit-recipient", r));
        let mut out = vec![self.action_entry(
            t,
            EntryKind::Execution,
            serde_json::json!({
                "action": report.action,
                "action_kind": report.kind,
                "purpose": purpose,
                "executed_at": report.executed_at,
                "selected": report.selected,
                "final_count": report.final_count,
                "excluded_at_execution": report.excluded_at_execution,
                "excluded_by_rule": report.excluded_by_rule,
                "list_sha256": report.sha256,
                "listed_sha256": listed,
                "bytes": report.bytes,
                "encrypted": report.encrypted,
                "recipient": recipient_ref,
                "recipient_sha256": recipient_sha256,
                "fields": report.fields,
                "disclosures": report.disclosures,
            }),
        )?];
        if report.encrypted && report.disclosures > 0 {
            let mut fields = vec!["external_id".to_owned()];
            fields.extend(report.fields.iter().cloned());
            out.push(self.action_entry(
                t,
                EntryKind::Disclosure,
                serde_json::json!({
                    "action": report.action,
                    "recipient": recipient_ref,
                    "recipient_sha256": recipient_sha256,
                    "purpose": purpose,
                    "fields": fields,
                    "subjects": report.disclosures,
                    "subjects_sha256": listed,
                    "list_sha256": report.sha256,
                    "disclosed_at": report.executed_at,
                }),
            )?);
        }
        Ok(out)
    }

    /// The log step after an action's event committed: appends the queued
    /// entries to the tenant's log and pins where the action's entries
    /// landed. The event is committed whatever happens here: an entry that
    /// cannot be appended now stays queued in the outbox for the next open,
    /// and its pin is filled in when the action is next shown, so a failure
    /// is logged and shows as an entry without a pin.
    async fn append_log(&self, t: &Tenant, action_id: &str) -> Vec<ActionLogEntry> {
        self.flush_after_commit().await;
        self.pinned_entries(t, action_id).await
    }

    /// The action's log entries with their pins, for showing: a failure to
    /// read them is logged and shows no entries rather than hiding the
    /// action.
    async fn pinned_entries(&self, t: &Tenant, action_id: &str) -> Vec<ActionLogEntry> {
        match self.action_log_entries(t, action_id).await {
            Ok(entries) => entries,
            Err(e) => {
                tracing::warn!(tenant = %t.name, action = %action_id, error = %e, "could not pin the action's log entries");
                Vec::new()
            }
        }
    }
}

impl ActionView {
    /// Sets the action's log entries and the pin of its verdict entry.
    fn set_log(&mut self, entries: Vec<ActionLogEntry>) {
        self.log = entries
            .iter()
            .find(|e| e.kind == EntryKind::Verdict.as_str())
            .and_then(|e| e.pin.clone());
        self.log_entries = entries;
    }
}

/// Removes a list file an execution wrote but did not commit.
fn remove_written(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), error = %e, "could not remove the list of an execution that did not happen");
    }
}

/// The fairness seam's opener task and the way in for its batches.
type Opener = (
    tokio::task::JoinHandle<Result<SelectionCells, CoreError>>,
    tokio::sync::mpsc::UnboundedSender<OpenBatch>,
);

/// The sealed protected attributes of one page's eligible people, on their
/// way to the opener, each with whether the person was selected; and how
/// many eligible people of the page (selected or not) have no attributes
/// left to open (erased since, for a replay), who count with unknown values.
struct OpenBatch {
    wanted: Vec<(rapport_store::SealedAttributes, bool)>,
    missing: [u64; 2],
}

impl OpenBatch {
    /// The eligible people of the page `(after, until]`, from the sealed
    /// attributes read beside its ledger (in row-id order).
    fn of_page(
        flags: &RowFlags,
        after: i64,
        until: i64,
        page: Vec<rapport_store::SealedAttributes>,
    ) -> Self {
        let mut wanted = Vec::new();
        let mut missing = [0u64; 2];
        let mut sealed = page.into_iter().peekable();
        for id in (after + 1)..=until {
            while sealed.next_if(|a| a.stakeholder_id < id).is_some() {}
            let found = sealed.next_if(|a| a.stakeholder_id == id);
            if !flags.has(id, ELIGIBLE) {
                continue;
            }
            let selected = flags.has(id, SELECTED);
            match found {
                Some(a) => wanted.push((a, selected)),
                None => missing[usize::from(selected)] += 1,
            }
        }
        OpenBatch { wanted, missing }
    }

    fn is_empty(&self) -> bool {
        self.wanted.is_empty() && self.missing == [0, 0]
    }

    /// Opens the batch on every core and counts it into `tally`; a person
    /// whose key is gone counts with unknown values.
    fn count(
        &self,
        tk: &TenantKeys,
        keys: &HashMap<[u8; 16], StoredKey>,
        tally: &mut CellTally,
    ) -> Result<(), CoreError> {
        let wanted: Vec<&rapport_store::SealedAttributes> =
            self.wanted.iter().map(|(a, _)| a).collect();
        let opened = open_attributes(tk, keys, &wanted)?;
        for ((_, gender, age_band), (_, selected)) in opened.iter().zip(&self.wanted) {
            tally.add(&[gender.as_deref(), age_band.as_deref()], *selected);
        }
        for _ in 0..self.missing[0] {
            tally.add(&[None, None], false);
        }
        for _ in 0..self.missing[1] {
            tally.add(&[None, None], true);
        }
        Ok(())
    }
}

/// A person's row id with their opened gender and age band.
type Opened = (i64, Option<String>, Option<String>);

/// Opens gender and age band of some people on every core; a person whose
/// key is gone counts with unknown values.
fn open_attributes(
    tk: &TenantKeys,
    keys: &HashMap<[u8; 16], StoredKey>,
    wanted: &[&rapport_store::SealedAttributes],
) -> Result<Vec<Opened>, CoreError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .max(1);
    let chunk = wanted.len().div_ceil(workers).max(1);
    let results: Vec<Result<Vec<Opened>, CoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = wanted
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(part.len());
                    for a in part {
                        let Some(w) = keys.get(&a.subject) else {
                            out.push((a.stakeholder_id, None, None));
                            continue;
                        };
                        let key = tk.unwrap_key(SubjectId(a.subject), &to_wrapped(w))?;
                        let open = |field: &str,
                                    blob: &Option<Vec<u8>>|
                         -> Result<Option<String>, CoreError> {
                            let Some(b) = blob else { return Ok(None) };
                            let plain = key.open(field, b).map_err(|_| CoreError::Unreadable {
                                id: a.stakeholder_id.to_string(),
                                field: field.to_owned(),
                            })?;
                            let v = String::from_utf8_lossy(&plain).trim().to_owned();
                            Ok((!v.is_empty()).then_some(v))
                        };
                        out.push((
                            a.stakeholder_id,
                            open("gender", &a.gender)?,
                            open("age_band", &a.age_band)?,
                        ));
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(CoreError::ReaderStopped)))
            .collect()
    });
    let mut out = Vec::with_capacity(wanted.len());
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

//! The audit report of a run: what a regulator or a client reads offline.
//!
//! [`AuditReport`] is built by `rapport-core` from stored records only (the
//! run's pins and the verdicts of the actions requested on it, each with
//! its pinned fairness input), so it never opens a sealed field and holds
//! no row: per-group counts, rates and ratios, verdicts, exclusion counts
//! by reason, and the versions and hashes of data, plugin and policy.
//!
//! Two renderings: [`AuditReport::canonical_json`], canonical (RFC 8785
//! style) so that the same input always gives the same bytes and a
//! signature over them stays checkable, and [`render_html`], one
//! self-contained page (inline CSS and SVG, no external resource) with the
//! selection-rate and impact-ratio charts.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::gate::{Counts, FairnessReason, GateReason, SelectionCells, Target};

/// The format name of a report.
pub const REPORT_FORMAT: &str = "rapport.audit-report.v1";

/// The run a report is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSection {
    pub id: String,
    pub plugin: String,
    pub version: String,
    pub component_digest: String,
    pub config_hash: String,
    pub input_hash: String,
    pub output_hash: Option<String>,
    pub purpose: String,
    pub as_of: String,
    pub status: String,
    pub subjects: u64,
    pub excluded_by_consent: u64,
}

/// The policy a report's figures were judged under.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicySection {
    pub hash: String,
    pub versions: crate::gate::BundleVersions,
}

/// One group's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    pub group: String,
    pub eligible: u64,
    pub selected: u64,
    pub selection_rate: Option<f64>,
    /// Confidence interval on the selection rate, from the fairness
    /// statistics.
    pub rate_interval: Option<[f64; 2]>,
    /// Selection rate over the reference group's.
    pub impact_ratio: Option<f64>,
    pub ratio_interval: Option<[f64; 2]>,
    /// `reference`, `fail`, `warn`, `insufficient_data`, `unknown` or empty.
    pub flag: String,
}

/// One analysis (an attribute or an intersection of two).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisSection {
    pub name: String,
    pub groups: Vec<GroupRow>,
}

/// The fairness audit of one selection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FairnessSection {
    pub outcome: String,
    pub note: Option<String>,
    pub reasons: Vec<FairnessReason>,
    pub analyses: Vec<AnalysisSection>,
}

/// The review of an action held for one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewSection {
    pub decision: String,
    pub reviewer: String,
    pub at: String,
}

/// What an execution did, in counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecutionSection {
    pub executed_at: String,
    pub final_count: u64,
    pub excluded_at_execution: u64,
    pub encrypted: bool,
    pub recipient: Option<String>,
    pub list_sha256: String,
}

/// One action requested on the run, with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionSection {
    pub action: String,
    pub kind: String,
    pub purpose: String,
    pub target: Target,
    pub requested_at: String,
    pub outcome: String,
    pub status: String,
    pub policy_hash: String,
    pub consent_watermark: i64,
    pub counts: Counts,
    pub reasons: Vec<GateReason>,
    /// Consent exclusions by rule, with the rule's citation.
    pub exclusions: Vec<ExclusionCount>,
    pub fairness: FairnessSection,
    pub review: Option<ReviewSection>,
    pub execution: Option<ExecutionSection>,
}

/// People left out under one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExclusionCount {
    pub rule: String,
    pub citation: String,
    pub count: u64,
}

/// The signed tree head of the tenant's log the report is tied to: the
/// earliest head that covers every log entry the report relies on (the
/// run's entry and each action's verdict, review, execution and disclosure
/// entries), so a re-run on the same records picks the same head.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckpointSection {
    /// The log id (the tenant's 32-hex-digit id).
    pub log: String,
    pub tree_size: u64,
    pub root_hash: String,
    pub timestamp: String,
    /// Ed25519 signature over the tree head message
    /// (`rapport.audit-tree-head.v1`, see `docs/audit-log.md`), hex.
    pub signature: String,
    pub key_id: String,
    /// The entries the report relies on, each inside this head: a reader
    /// asks for an inclusion proof of any of them against it
    /// (`rapport audit prove --entry SEQ --head HEAD`).
    pub entries: Vec<CoveredEntry>,
}

/// A log entry a report relies on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoveredEntry {
    /// The entry kind (`run`, `verdict`, `approval`, `rejection`,
    /// `execution`, `disclosure`).
    pub kind: String,
    /// The action it records, for gate entries.
    pub action: Option<String>,
    pub seq: u64,
    pub leaf_hash: String,
}

/// The signature algorithm of reports.
pub const REPORT_SIGNATURE_ALGORITHM: &str = "ed25519";

/// The report's signature: Ed25519 under the tenant's log key over the
/// canonical JSON of the report without this member (see
/// [`AuditReport::signed_message`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportSignature {
    /// Always [`REPORT_SIGNATURE_ALGORITHM`].
    pub algorithm: String,
    /// The first 16 hex digits of SHA-256 of the public key.
    pub key_id: String,
    /// The 64-byte signature, hex.
    pub value: String,
}

/// Why a report's signature or checkpoint does not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportCheckError {
    #[error("the report is not JSON: {0}")]
    Json(String),
    #[error("the report is not of format {REPORT_FORMAT}")]
    Format,
    #[error("the report carries no {0}")]
    Missing(&'static str),
    #[error("the report's {0} is not what this report format allows")]
    Field(&'static str),
    #[error("the report's signature is made with key {stated}, not with the given key {actual}")]
    KeyId { stated: String, actual: String },
    #[error("the report's signature does not verify: the report was changed after signing")]
    Signature,
    #[error("the report's checkpoint signature does not verify under the given key")]
    Checkpoint,
    #[error(transparent)]
    Canonical(#[from] crate::canonical::CanonicalError),
}
/// A run's audit report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    pub format: String,
    pub tenant: String,
    pub run: RunSection,
    pub policy: PolicySection,
    pub actions: Vec<ActionSection>,
    /// The signed tree head of the tenant's log the report is tied to
    /// (always set by `rapport-core`; optional in the format so that a
    /// report can be built without a log, e.g. in tests).
    pub checkpoint: Option<CheckpointSection>,
    /// SHA-256 over the canonical JSON of everything the report was computed
    /// from (the run's record and the stored verdicts).
    pub input_sha256: String,
    /// What the report could not include, and why.
    pub notes: Vec<String>,
    /// Ed25519 under the tenant's log key over [`AuditReport::signed_message`];
    /// absent only while the report is being built.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<ReportSignature>,
}

impl AuditReport {
    /// The canonical JSON of the report (RFC 8785 style): sorted members,
    /// no insignificant whitespace. The same input gives the same bytes.
    pub fn canonical_json(&self) -> Result<String, crate::canonical::CanonicalError> {
        let v = serde_json::to_value(self)
            .map_err(|e| crate::canonical::CanonicalError::Serialize(e.to_string()))?;
        crate::canonical::to_string(&v)
    }

    /// The bytes the report's signature covers: the UTF-8 canonical JSON of
    /// the report without its `signature` member. The member `format`
    /// (`rapport.audit-report.v1`) is part of it, so a report signature can
    /// never be taken for a log receipt or tree head signed with the same
    /// key.
    pub fn signed_message(&self) -> Result<Vec<u8>, crate::canonical::CanonicalError> {
        let mut unsigned = self.clone();
        unsigned.signature = None;
        Ok(unsigned.canonical_json()?.into_bytes())
    }
}

/// Checks a report as printed by `rapport audit report --json` with the
/// tenant's log public key (from `rapport audit export-head`): the report's
/// Ed25519 signature over its canonical JSON without `signature`, and the
/// signature of the tree head it is tied to. Needs nothing of Rapport but
/// canonical JSON; the test suite checks it with its own code as well.
pub fn check_report_json(text: &str, public_key: &[u8; 32]) -> Result<(), ReportCheckError> {
    let mut v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ReportCheckError::Json(e.to_string()))?;
    let obj = v.as_object_mut().ok_or(ReportCheckError::Format)?;
    if obj.get("format").and_then(|f| f.as_str()) != Some(REPORT_FORMAT) {
        return Err(ReportCheckError::Format);
    }
    let sig = obj
        .remove("signature")
        .ok_or(ReportCheckError::Missing("signature"))?;
    if sig["algorithm"].as_str() != Some(REPORT_SIGNATURE_ALGORITHM) {
        return Err(ReportCheckError::Field("signature algorithm"));
    }
    let actual = crate::log::signed::key_id(public_key);
    let stated = sig["key_id"].as_str().unwrap_or_default();
    if stated != actual {
        return Err(ReportCheckError::KeyId {
            stated: stated.to_owned(),
            actual,
        });
    }
    let signature: [u8; 64] = sig["value"]
        .as_str()
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or(ReportCheckError::Field("signature value"))?;
    let message = crate::canonical::to_vec(&v)?;
    if !crate::log::signed::verify_signature(public_key, &message, &signature) {
        return Err(ReportCheckError::Signature);
    }
    let c = &v["checkpoint"];
    if c.is_null() {
        return Err(ReportCheckError::Missing("checkpoint"));
    }
    let root: crate::log::Hash = c["root_hash"]
        .as_str()
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or(ReportCheckError::Field("checkpoint root"))?;
    let head_sig: [u8; 64] = c["signature"]
        .as_str()
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or(ReportCheckError::Field("checkpoint signature"))?;
    let head = crate::log::SignedTreeHead {
        head: crate::log::TreeHead {
            log: c["log"].as_str().unwrap_or_default().to_owned(),
            tenant: v["tenant"].as_str().map(str::to_owned),
            size: c["tree_size"]
                .as_u64()
                .ok_or(ReportCheckError::Field("checkpoint tree size"))?,
            root,
            timestamp: c["timestamp"].as_str().unwrap_or_default().to_owned(),
            key_id: c["key_id"].as_str().unwrap_or_default().to_owned(),
        },
        signature: head_sig,
    };
    if !head.verify(public_key) {
        return Err(ReportCheckError::Checkpoint);
    }
    Ok(())
}

fn rate(selected: u64, eligible: u64) -> Option<f64> {
    (eligible > 0).then(|| selected as f64 / eligible as f64)
}

/// Per-analysis group figures of a selection from its pinned cells, with
/// the fairness statistics' intervals and flags where the audit gave them
/// (`audit` is the fairness module's JSON; without it, rates and ratios are
/// plain quotients and intervals are absent).
pub fn analyses(
    cells: &SelectionCells,
    audit: Option<&serde_json::Value>,
    reasons: &[FairnessReason],
    insufficient: &[String],
) -> Vec<AnalysisSection> {
    let mut tables: BTreeMap<String, BTreeMap<String, (u64, u64)>> = BTreeMap::new();
    let unknown = "(unknown)";
    let n = cells.attributes.len();
    for c in &cells.cells {
        for i in 0..n {
            let g = c
                .values
                .get(i)
                .cloned()
                .flatten()
                .unwrap_or_else(|| unknown.to_owned());
            let e = tables
                .entry(cells.attributes[i].clone())
                .or_default()
                .entry(g)
                .or_default();
            e.0 += c.eligible;
            e.1 += c.selected;
            for j in i + 1..n {
                let g = match (
                    c.values.get(i).cloned().flatten(),
                    c.values.get(j).cloned().flatten(),
                ) {
                    (Some(a), Some(b)) => format!("{a}×{b}"),
                    _ => unknown.to_owned(),
                };
                let e = tables
                    .entry(format!("{}×{}", cells.attributes[i], cells.attributes[j]))
                    .or_default()
                    .entry(g)
                    .or_default();
                e.0 += c.eligible;
                e.1 += c.selected;
            }
        }
    }
    let mut out = Vec::new();
    for (name, groups) in tables {
        let from_audit = audit.and_then(|a| a["analyses"][&name]["groups"].as_object());
        let reference = groups
            .iter()
            .filter(|(g, _)| g.as_str() != unknown)
            .filter_map(|(g, (e, s))| rate(*s, *e).map(|r| (g.clone(), r)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)));
        let reference_group = audit
            .and_then(|a| {
                a["analyses"][&name]["reference_group"]
                    .as_str()
                    .map(str::to_owned)
            })
            .or_else(|| reference.as_ref().map(|(g, _)| g.clone()));
        let mut rows = Vec::new();
        for (g, (eligible, selected)) in &groups {
            let stats = from_audit.and_then(|m| m.get(g));
            let num = |k: &str| stats.and_then(|s| s[k].as_f64());
            let pair = |k: &str| {
                stats.and_then(|s| {
                    let v = &s[k];
                    match (
                        v[0].as_f64(),
                        v[1].as_f64(),
                        v["lower"].as_f64(),
                        v["upper"].as_f64(),
                    ) {
                        (Some(a), Some(b), _, _) | (_, _, Some(a), Some(b)) => Some([a, b]),
                        _ => None,
                    }
                })
            };
            let r = rate(*selected, *eligible);
            let ir = if g == unknown {
                None
            } else {
                num("impact_ratio").or_else(|| match (&reference, r) {
                    (Some((_, best)), Some(r)) if *best > 0.0 => Some(r / best),
                    _ => None,
                })
            };
            let key = format!("{name}:{g}");
            // The audit's own status of the group decides `fail`; without
            // an audit (an older verdict), a reason naming the group is a
            // warning at most.
            let status = stats.and_then(|s| s["status"].as_str());
            let flag = if g == unknown {
                "unknown"
            } else if status == Some("fail") {
                "fail"
            } else if reasons
                .iter()
                .any(|x| x.analysis == name && x.group.as_deref() == Some(g))
            {
                "warn"
            } else if insufficient.contains(&key) {
                "insufficient_data"
            } else if reference_group.as_deref() == Some(g.as_str()) {
                "reference"
            } else {
                ""
            };
            rows.push(GroupRow {
                group: g.clone(),
                eligible: *eligible,
                selected: *selected,
                selection_rate: num("selection_rate").or(r),
                rate_interval: pair("selection_rate_interval").or_else(|| pair("rate_interval")),
                impact_ratio: ir,
                ratio_interval: pair("impact_ratio_interval").or_else(|| pair("ratio_interval")),
                flag: flag.to_owned(),
            });
        }
        out.push(AnalysisSection { name, groups: rows });
    }
    out
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{:.1} %", v * 100.0))
}

fn num3(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.3}"))
}

fn interval(v: Option<[f64; 2]>, scale: f64, digits: usize) -> String {
    v.map_or_else(
        || "—".to_owned(),
        |[a, b]| format!("[{:.*}, {:.*}]", digits, a * scale, digits, b * scale),
    )
}

const CSS: &str = "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;max-width:1040px;margin:2em auto;padding:0 1em}\
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ccd;padding-bottom:.2em;margin-top:2em}\
h3{font-size:1.05em;margin:1.4em 0 .4em}table{border-collapse:collapse;margin:.5em 0 1em;font-size:.92em}\
th,td{border:1px solid #d5d8de;padding:.25em .55em;text-align:left;vertical-align:top}th{background:#f2f4f7}\
td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.9em;word-break:break-all}\
.verdict{display:inline-block;padding:.1em .6em;border-radius:.3em;font-weight:600}\
.allow,.pass{background:#dff3e4;color:#175c2c}.allow_with_exclusions{background:#e8f1fb;color:#1d4f80}\
.needs_review,.warn,.insufficient_data{background:#fff1d6;color:#7a4b00}.block,.fail{background:#fde2e1;color:#8d1d18}\
.not_audited{background:#eceef1;color:#444}.muted{color:#5c6370}.chart{margin:.3em 0 1em}\
@media print{body{margin:0;max-width:none}h2{break-before:auto}}";

/// A horizontal bar chart of one figure per group with its interval:
/// selection rates (0 to 1, as percent) or impact ratios (with the 0.8
/// line).
fn chart(rows: &[GroupRow], ratio: bool) -> String {
    let label_w = 190.0;
    let plot_w = 520.0;
    let row_h = 22.0;
    let top = 18.0;
    let rows: Vec<&GroupRow> = rows.iter().filter(|r| r.group != "(unknown)").collect();
    let height = top + row_h * rows.len() as f64 + 24.0;
    let max = if ratio {
        rows.iter()
            .filter_map(|r| r.ratio_interval.map(|i| i[1]).or(r.impact_ratio))
            .fold(1.2_f64, f64::max)
            .min(3.0)
    } else {
        1.0
    };
    let x = |v: f64| label_w + (v.clamp(0.0, max) / max) * plot_w;
    let mut s = String::new();
    s.push_str(&format!("<svg class=\"chart\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" viewBox=\"0 0 {w} {height}\" font-size=\"12\" font-family=\"system-ui,sans-serif\">",
        w = label_w + plot_w + 60.0
    ));
    s.push_str(&format!(
        "<title>{}</title>",
        if ratio {
            "Impact ratio per group with its interval"
        } else {
            "Selection rate per group with its interval"
        }
    ));
    // Grid: quarters of the axis.
    for k in 0..=4 {
        let v = max * f64::from(k) / 4.0;
        let gx = x(v);
        s.push_str(&format!("<line x1=\"{gx:.1}\" y1=\"{top}\" x2=\"{gx:.1}\" y2=\"{y2:.1}\" stroke=\"#e3e6ea\"/><text x=\"{gx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\" fill=\"#5c6370\">{label}</text>",
            y2 = height - 20.0,
            ty = height - 6.0,
            label = if ratio { format!("{v:.2}") } else { format!("{:.0}%", v * 100.0) }
        ));
    }
    if ratio {
        let fx = x(0.8);
        s.push_str(&format!("<line x1=\"{fx:.1}\" y1=\"{t:.1}\" x2=\"{fx:.1}\" y2=\"{y2:.1}\" stroke=\"#b3261e\" stroke-dasharray=\"4 3\"/><text x=\"{fx:.1}\" y=\"12\" text-anchor=\"middle\" fill=\"#b3261e\">0.8 (four-fifths)</text>",
            t = top - 4.0,
            y2 = height - 20.0
        ));
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let v = if ratio {
            r.impact_ratio
        } else {
            r.selection_rate
        };
        let colour = match r.flag.as_str() {
            "fail" => "#c8453c",
            "warn" | "insufficient_data" => "#d99a2b",
            "reference" => "#3b7d4f",
            _ => "#4a78b0",
        };
        s.push_str(&format!(
            "<text x=\"{lx:.1}\" y=\"{ty:.1}\" text-anchor=\"end\">{g}</text>",
            lx = label_w - 8.0,
            ty = y + 15.0,
            g = esc(&r.group)
        ));
        if let Some(v) = v {
            s.push_str(&format!("<rect x=\"{label_w}\" y=\"{by:.1}\" width=\"{bw:.1}\" height=\"14\" fill=\"{colour}\" opacity=\"0.85\"><title>{g}: {val}</title></rect>",
                by = y + 4.0,
                bw = x(v) - label_w,
                g = esc(&r.group),
                val = if ratio { format!("{v:.3}") } else { pct(Some(v)) }
            ));
        }
        let iv = if ratio {
            r.ratio_interval
        } else {
            r.rate_interval
        };
        if let Some([a, b]) = iv {
            let (xa, xb, cy) = (x(a), x(b), y + 11.0);
            s.push_str(&format!("<line x1=\"{xa:.1}\" y1=\"{cy:.1}\" x2=\"{xb:.1}\" y2=\"{cy:.1}\" stroke=\"#1b1f24\" stroke-width=\"1.5\"/><line x1=\"{xa:.1}\" y1=\"{y1:.1}\" x2=\"{xa:.1}\" y2=\"{y2:.1}\" stroke=\"#1b1f24\"/><line x1=\"{xb:.1}\" y1=\"{y1:.1}\" x2=\"{xb:.1}\" y2=\"{y2:.1}\" stroke=\"#1b1f24\"/>",
                y1 = cy - 5.0,
                y2 = cy + 5.0
            ));
        }
        s.push_str(&format!(
            "<text x=\"{tx:.1}\" y=\"{ty:.1}\" fill=\"#5c6370\">{f}</text>",
            tx = label_w + plot_w + 6.0,
            ty = y + 15.0,
            f = esc(&r.flag)
        ));
    }
    s.push_str("</svg>");
    s
}

/// The report as one self-contained HTML page.
pub fn render_html(r: &AuditReport) -> String {
    let mut h = String::with_capacity(32 * 1024);
    h.push_str(&format!("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Audit report — {t} — run {run}</title><style>{CSS}</style></head><body>",
        t = esc(&r.tenant),
        run = esc(&r.run.id)
    ));
    h.push_str(&format!("<h1>Audit report</h1><p class=\"muted\">Tenant <b>{}</b> · run <code>{}</code> · format {}</p>",
        esc(&r.tenant),
        esc(&r.run.id),
        esc(&r.format)
    ));
    h.push_str("<h2>Versions and evidence</h2><table>");
    let rows: Vec<(&str, String)> = vec![
        (
            "Plugin",
            format!("{}@{}", esc(&r.run.plugin), esc(&r.run.version)),
        ),
        (
            "Component digest",
            format!("<code>sha256:{}</code>", esc(&r.run.component_digest)),
        ),
        (
            "Configuration hash",
            format!("<code>{}</code>", esc(&r.run.config_hash)),
        ),
        (
            "Input (data) hash",
            format!("<code>{}</code>", esc(&r.run.input_hash)),
        ),
        (
            "Output hash",
            format!(
                "<code>{}</code>",
                esc(r.run.output_hash.as_deref().unwrap_or("—"))
            ),
        ),
        ("Purpose", esc(&r.run.purpose)),
        ("Data as of", esc(&r.run.as_of)),
        (
            "Scored / left out by consent",
            format!("{} / {}", r.run.subjects, r.run.excluded_by_consent),
        ),
        (
            "Policy bundle",
            format!("<code>{}</code>", esc(&r.policy.hash)),
        ),
        (
            "Policy versions",
            format!(
                "purposes {}, actions {}, gate {}, fairness {}",
                esc(&r.policy.versions.purposes),
                esc(&r.policy.versions.actions),
                esc(&r.policy.versions.gate),
                esc(r.policy.versions.fairness.as_deref().unwrap_or("—"))
            ),
        ),
        (
            "Report input SHA-256",
            format!("<code>{}</code>", esc(&r.input_sha256)),
        ),
    ];
    for (k, v) in rows {
        h.push_str(&format!("<tr><th>{k}</th><td>{v}</td></tr>"));
    }
    match &r.checkpoint {
        Some(c) => {
            h.push_str(&format!("<tr><th>Log checkpoint</th><td>log <code>{}</code>, tree size {}, root <code>{}</code>, {}; signed by key {} (<code>{}</code>); covers entries {}</td></tr>",
                esc(&c.log),
                c.tree_size,
                esc(&c.root_hash),
                esc(&c.timestamp),
                esc(&c.key_id),
                esc(&c.signature),
                c.entries
                    .iter()
                    .map(|e| format!("{} ({})", e.seq, esc(&e.kind)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        None => {
            h.push_str("<tr><th>Log checkpoint</th><td class=\"muted\">none (see notes)</td></tr>")
        }
    }
    if let Some(sig) = &r.signature {
        h.push_str(&format!(
            "<tr><th>Signature</th><td>{} by key {}: <code>{}</code></td></tr>",
            esc(&sig.algorithm),
            esc(&sig.key_id),
            esc(&sig.value)
        ));
    }
    h.push_str("</table>");
    if r.actions.is_empty() {
        h.push_str("<h2>Actions</h2><p>No action was requested on this run.</p>");
    }
    for a in &r.actions {
        h.push_str(&format!("<h2>Action <code>{id}</code></h2><p>{kind} for <b>{purpose}</b>, requested {at}: <span class=\"verdict {o}\">{o}</span> <span class=\"muted\">(status {status})</span></p>",
            id = esc(&a.action),
            kind = esc(&a.kind),
            purpose = esc(&a.purpose),
            at = esc(&a.requested_at),
            o = esc(&a.outcome),
            status = esc(&a.status)
        ));
        let target = match &a.target {
            Target::Segment { segment, run } => format!(
                "segment <b>{}</b> of run <code>{}</code>",
                esc(segment),
                esc(run)
            ),
            Target::Top { run, n } => {
                format!("the {n} highest scores of run <code>{}</code>", esc(run))
            }
            Target::Subjects { sha256, lines } => format!(
                "a list of {lines} lines (SHA-256 <code>{}</code>)",
                esc(sha256)
            ),
        };
        let c = &a.counts;
        h.push_str(&format!("<table><tr><th>Target</th><td>{target}</td></tr><tr><th>Population / eligible</th><td>{} / {}</td></tr><tr><th>Targeted / included / excluded</th><td>{} / {} / {}</td></tr><tr><th>Held for Art. 22 review</th><td>{}</td></tr><tr><th>Policy bundle</th><td><code>{}</code></td></tr><tr><th>Consent ledger up to row</th><td>{}</td></tr></table>",
            c.population, c.eligible, c.targeted, c.included, c.excluded, c.review_required,
            esc(&a.policy_hash), a.consent_watermark
        ));
        if !a.reasons.is_empty() {
            h.push_str("<h3>Why</h3><table><tr><th>Rule</th><th>Leads to</th><th>Finding</th><th>Citation</th></tr>");
            for g in &a.reasons {
                h.push_str(&format!("<tr><td><code>{}</code></td><td><span class=\"verdict {e}\">{e}</span></td><td>{}</td><td>{}</td></tr>",
                    esc(&g.rule),
                    esc(&g.message),
                    esc(&g.citation),
                    e = g.escalation.as_str()
                ));
            }
            h.push_str("</table>");
        }
        h.push_str("<h3>Consent exclusions</h3>");
        if a.exclusions.is_empty() {
            h.push_str("<p>Nobody targeted was excluded.</p>");
        } else {
            h.push_str("<table><tr><th>Rule</th><th>People</th><th>Citation</th></tr>");
            for x in &a.exclusions {
                h.push_str(&format!(
                    "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td>{}</td></tr>",
                    esc(&x.rule),
                    x.count,
                    esc(&x.citation)
                ));
            }
            h.push_str("</table><p class=\"muted\">A person refused under several rules counts under each.</p>");
        }
        let f = &a.fairness;
        h.push_str(&format!("<h3>Fairness of the selection against the eligible population</h3><p><span class=\"verdict {o}\">{o}</span> {note}</p>",
            o = esc(&f.outcome),
            note = f.note.as_deref().map(esc).unwrap_or_default()
        ));
        if !f.reasons.is_empty() {
            h.push_str("<table><tr><th>Rule</th><th>Analysis</th><th>Group</th><th>Metric</th><th>Value</th><th>Interval</th><th>Threshold</th><th>Holm p</th></tr>");
            for x in &f.reasons {
                h.push_str(&format!("<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    esc(&x.rule),
                    esc(&x.analysis),
                    esc(x.group.as_deref().unwrap_or("—")),
                    esc(x.metric.as_deref().unwrap_or("—")),
                    num3(x.value),
                    interval(x.interval, 1.0, 3),
                    num3(x.threshold),
                    x.p_adjusted.map_or_else(|| "—".to_owned(), |p| format!("{p:.2e}"))
                ));
            }
            h.push_str("</table>");
        }
        for an in &f.analyses {
            h.push_str(&format!("<h3>{}</h3>", esc(&an.name)));
            h.push_str("<p class=\"muted\">Selection rate</p>");
            h.push_str(&chart(&an.groups, false));
            h.push_str("<p class=\"muted\">Impact ratio against the reference group</p>");
            h.push_str(&chart(&an.groups, true));
            h.push_str("<table><tr><th>Group</th><th>Eligible</th><th>Selected</th><th>Selection rate</th><th>Interval</th><th>Impact ratio</th><th>Interval</th><th>Flag</th></tr>");
            for g in &an.groups {
                h.push_str(&format!("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&g.group),
                    g.eligible,
                    g.selected,
                    pct(g.selection_rate),
                    interval(g.rate_interval, 100.0, 1),
                    num3(g.impact_ratio),
                    interval(g.ratio_interval, 1.0, 3),
                    esc(&g.flag)
                ));
            }
            h.push_str("</table>");
        }
        if let Some(rv) = &a.review {
            h.push_str(&format!(
                "<p>Review: <b>{}</b> by {} at {}.</p>",
                esc(&rv.decision),
                esc(&rv.reviewer),
                esc(&rv.at)
            ));
        }
        if let Some(e) = &a.execution {
            h.push_str(&format!("<p>Executed at {}: {} people in the final list, {} left out because their consent changed since the verdict; list SHA-256 <code>{}</code>{}.</p>",
                esc(&e.executed_at),
                e.final_count,
                e.excluded_at_execution,
                esc(&e.list_sha256),
                if e.encrypted {
                    format!(", age-encrypted for {}", esc(e.recipient.as_deref().unwrap_or("?")))
                } else {
                    ", external ids only".to_owned()
                }
            ));
        }
    }
    if !r.notes.is_empty() {
        h.push_str("<h2>Notes</h2><ul>");
        for n in &r.notes {
            h.push_str(&format!("<li>{}</li>", esc(n)));
        }
        h.push_str("</ul>");
    }
    h.push_str("<p class=\"muted\">Generated by Rapport from stored records only: no row of personal data is in this report. The JSON form of this report (<code>--json</code>) is canonical, carries the same input hash and checkpoint, and is signed with the tenant's log key.</p></body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::CellTally;

    #[test]
    fn group_figures_come_from_the_cells() {
        let mut t = CellTally::new(&["gender", "age_band"]);
        for _ in 0..8 {
            t.add(&[Some("male"), Some("25-34")], true);
        }
        for _ in 0..2 {
            t.add(&[Some("male"), Some("25-34")], false);
        }
        for _ in 0..4 {
            t.add(&[Some("female"), Some("25-34")], true);
        }
        for _ in 0..6 {
            t.add(&[Some("female"), None], false);
        }
        let a = analyses(&t.finish(), None, &[], &[]);
        let gender = a.iter().find(|x| x.name == "gender").expect("gender");
        let f = gender
            .groups
            .iter()
            .find(|g| g.group == "female")
            .expect("female");
        assert_eq!((f.eligible, f.selected), (10, 4));
        assert_eq!(f.selection_rate, Some(0.4));
        assert_eq!(f.impact_ratio, Some(0.5));
        let m = gender
            .groups
            .iter()
            .find(|g| g.group == "male")
            .expect("male");
        assert_eq!(m.flag, "reference");
        let x = a
            .iter()
            .find(|x| x.name == "gender×age_band")
            .expect("intersection");
        assert!(x
            .groups
            .iter()
            .any(|g| g.group == "(unknown)" && g.eligible == 6));
    }

    fn signed_report() -> (AuditReport, ed25519_dalek::SigningKey) {
        use ed25519_dalek::Signer;
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let public = key.verifying_key().to_bytes();
        let head = crate::log::TreeHead {
            log: "0".repeat(32),
            tenant: Some("acme".into()),
            size: 5,
            root: [3; 32],
            timestamp: "2026-03-01T10:00:00Z".into(),
            key_id: crate::log::signed::key_id(&public),
        };
        let head_sig = key.sign(&head.message().expect("message")).to_bytes();
        let mut r = AuditReport {
            format: REPORT_FORMAT.into(),
            tenant: "acme".into(),
            run: RunSection {
                id: "run-1".into(),
                plugin: "rfm".into(),
                version: "0.1.0".into(),
                component_digest: "d".into(),
                config_hash: "c".into(),
                input_hash: "i".into(),
                output_hash: None,
                purpose: "analytics_profiling".into(),
                as_of: "2026-01-01".into(),
                status: "succeeded".into(),
                subjects: 3,
                excluded_by_consent: 1,
            },
            policy: PolicySection {
                hash: "p".into(),
                versions: crate::gate::PolicyBundle::default_bundle()
                    .expect("default bundle")
                    .versions(),
            },
            actions: vec![],
            checkpoint: Some(CheckpointSection {
                log: head.log.clone(),
                tree_size: head.size,
                root_hash: hex::encode(head.root),
                timestamp: head.timestamp.clone(),
                signature: hex::encode(head_sig),
                key_id: head.key_id.clone(),
                entries: vec![],
            }),
            input_sha256: "0".repeat(64),
            notes: vec![],
            signature: None,
        };
        let sig = key.sign(&r.signed_message().expect("message")).to_bytes();
        r.signature = Some(ReportSignature {
            algorithm: REPORT_SIGNATURE_ALGORITHM.into(),
            key_id: crate::log::signed::key_id(&public),
            value: hex::encode(sig),
        });
        (r, key)
    }

    #[test]
    fn a_signed_report_checks_and_any_change_breaks_it() {
        let (r, key) = signed_report();
        let public = key.verifying_key().to_bytes();
        let text = r.canonical_json().expect("json");
        assert_eq!(check_report_json(&text, &public), Ok(()));
        // The signature covers everything but itself.
        let changed = text.replace("\"subjects\":3", "\"subjects\":4");
        assert_ne!(changed, text);
        assert_eq!(
            check_report_json(&changed, &public),
            Err(ReportCheckError::Signature)
        );
        // Another key is named as such.
        let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32])
            .verifying_key()
            .to_bytes();
        assert!(matches!(
            check_report_json(&text, &other),
            Err(ReportCheckError::KeyId { .. })
        ));
        // A checkpoint that is not the signed head fails even with a
        // re-signed report.
        let mut forged = r.clone();
        if let Some(c) = forged.checkpoint.as_mut() {
            c.tree_size = 6;
        }
        forged.signature = None;
        use ed25519_dalek::Signer;
        let sig = key.sign(&forged.signed_message().expect("m")).to_bytes();
        forged.signature = Some(ReportSignature {
            algorithm: REPORT_SIGNATURE_ALGORITHM.into(),
            key_id: crate::log::signed::key_id(&public),
            value: hex::encode(sig),
        });
        assert_eq!(
            check_report_json(&forged.canonical_json().expect("json"), &public),
            Err(ReportCheckError::Checkpoint)
        );
    }

    #[test]
    fn html_escapes_everything_it_is_given() {
        let rows = vec![GroupRow {
            group: "<script>x</script>".into(),
            eligible: 3,
            selected: 1,
            selection_rate: Some(1.0 / 3.0),
            rate_interval: Some([0.1, 0.7]),
            impact_ratio: Some(0.5),
            ratio_interval: None,
            flag: "warn".into(),
        }];
        let svg = chart(&rows, false);
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
    }
}

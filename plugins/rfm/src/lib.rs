//! RFM segmentation: recency, frequency and monetary value scored by
//! quantiles of the population and mapped to named segments.
//!
//! * **Recency**: whole days from the last purchase to the run's "as of"
//!   instant (`purchases.last`).
//! * **Frequency**: number of purchases (`purchases.count`).
//! * **Monetary**: total amount spent (`purchases.total_amount`).
//!
//! `fit` learns, for each dimension, the cut points splitting the purchasing
//! population into `bins` groups of (nearly) equal size (nearest-rank
//! quantiles, so every cut point is an observed value). Explicit thresholds in
//! the configuration replace the learned ones. `score` bins each customer:
//! frequency and monetary score `1..=bins` from low to high, recency the other
//! way round (the most recent customers score `bins`). A value equal to a cut
//! point belongs to the interval below it, so equal values always get equal
//! scores. The segment comes from a grid over R and FM, the mean of F and M
//! rounded half up.
//!
//! The score is the classic RFM cell code `R*100 + F*10 + M` (e.g. `545`),
//! and the explanation has three terms, `R*100`, `F*10` and `M`, which sum to
//! it exactly. Customers without a purchase get score `0`, R = F = M = 0 and
//! the segment `no_purchase`; they are left out of the quantiles.
//!
//! The model code is plain Rust: [`fit`] and [`score`] run natively as well as
//! inside the component (see `README.md` for the full description).

use rapport_plugin_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// The segment of customers without any purchase.
pub const NO_PURCHASE: &str = "no_purchase";

/// Largest number of bins: scores are written as the digits of
/// `R*100 + F*10 + M`, so each must stay below 10.
pub const MAX_BINS: u32 = 9;

/// The plugin, exported as a `segmenter`.
#[derive(Debug)]
pub struct Rfm;

impl Segmenter for Rfm {
    type Config = RfmConfig;
    type Model = RfmModel;

    fn fit(
        config: &RfmConfig,
        ctx: &Ctx,
        population: &[Customer],
    ) -> Result<Fitted<RfmModel>, PluginError> {
        fit(config, ctx, population)
    }

    fn score(
        config: &RfmConfig,
        ctx: &Ctx,
        model: &RfmModel,
        batch: &[Customer],
    ) -> Result<Scored, PluginError> {
        score(config, ctx, model, batch)
    }

    fn fit_batch(
        config: &RfmConfig,
        ctx: &Ctx,
        population: CustomerBatch<'_>,
    ) -> Result<Fitted<RfmModel>, PluginError> {
        fit_batch(config, ctx, &population)
    }

    fn score_batch(
        config: &RfmConfig,
        ctx: &Ctx,
        model: &RfmModel,
        batch: CustomerBatch<'_>,
    ) -> Result<ScoredBatch, PluginError> {
        score_batch(config, ctx, model, &batch)
    }
}

rapport_plugin_sdk::export_segmenter!(Rfm);

// ---------------------------------------------------------------------------
// Configuration

/// Explicit cut points per dimension, each replacing the learned quantiles of
/// that dimension. Each list has `bins - 1` strictly ascending values; bin `i`
/// holds the values in `(cut[i-2], cut[i-1]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Days since the last purchase. The lowest interval (most recent) scores
    /// R = bins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recency_days: Option<Vec<f64>>,
    /// Number of purchases. The lowest interval scores F = 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<Vec<f64>>,
    /// Total amount spent. The lowest interval scores M = 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monetary: Option<Vec<f64>>,
}

/// One entry of a segment map: customers whose R and FM scores both fall in
/// the inclusive ranges get `name`. Rules are tried in order; the first match
/// wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRule {
    /// The segment's name, the output's label: lowercase letters, digits
    /// and `_`, starting with a letter, at most 64 characters.
    pub name: String,
    /// Inclusive range of R scores, `[min, max]`.
    pub r: [u32; 2],
    /// Inclusive range of FM scores (mean of F and M, rounded half up),
    /// `[min, max]`.
    pub fm: [u32; 2],
}

/// The configuration as written in JSON, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "default_bins")]
    bins: u32,
    #[serde(default)]
    thresholds: Thresholds,
    #[serde(default)]
    segments: Option<Vec<SegmentRule>>,
}

fn default_bins() -> u32 {
    5
}

/// The validated configuration.
///
/// JSON form (every key optional): `{"bins": 5, "thresholds": {"recency_days":
/// [..], "frequency": [..], "monetary": [..]}, "segments": [{"name": ..,
/// "r": [min, max], "fm": [min, max]}, ..]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct RfmConfig {
    bins: u32,
    thresholds: Thresholds,
    segments: Option<Vec<SegmentRule>>,
    /// Segment name of each (R, FM) cell, row-major over `1..=bins`.
    grid: Vec<String>,
}

impl Default for RfmConfig {
    fn default() -> Self {
        Self::new(default_bins(), Thresholds::default(), None)
            .expect("the built-in configuration is valid")
    }
}

impl TryFrom<RawConfig> for RfmConfig {
    type Error = String;
    fn try_from(raw: RawConfig) -> Result<Self, String> {
        Self::new(raw.bins, raw.thresholds, raw.segments)
    }
}

impl RfmConfig {
    /// Validates a configuration: `bins` in `2..=9`; each explicit threshold
    /// list has `bins - 1` finite, strictly ascending values; a custom
    /// segment map has identifier names (`^[a-z][a-z0-9_]{0,63}$`), ranges within `1..=bins` and covers
    /// every (R, FM) cell.
    pub fn new(
        bins: u32,
        thresholds: Thresholds,
        segments: Option<Vec<SegmentRule>>,
    ) -> Result<Self, String> {
        if !(2..=MAX_BINS).contains(&bins) {
            return Err(format!(
                "`bins` must be between 2 and {MAX_BINS} (scores are written as R*100 + F*10 + M), got {bins}"
            ));
        }
        for (name, cuts) in [
            ("recency_days", &thresholds.recency_days),
            ("frequency", &thresholds.frequency),
            ("monetary", &thresholds.monetary),
        ] {
            if let Some(cuts) = cuts {
                check_thresholds(name, cuts, bins)?;
            }
        }
        let grid = match &segments {
            Some(rules) => custom_grid(rules, bins)?,
            None => default_grid(bins),
        };
        Ok(Self {
            bins,
            thresholds,
            segments,
            grid,
        })
    }

    /// Parses and validates the configuration JSON; an empty string is the
    /// default configuration.
    pub fn from_json(json: &str) -> Result<Self, PluginError> {
        rapport_plugin_sdk::run::parse_config(json)
    }

    /// Number of bins per dimension.
    pub fn bins(&self) -> u32 {
        self.bins
    }

    /// The explicit thresholds.
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// The segment of the cell (`r`, `fm`), both in `1..=bins`.
    pub fn segment(&self, r: u32, fm: u32) -> &str {
        let b = self.bins as usize;
        let i = (r.clamp(1, self.bins) as usize - 1) * b + (fm.clamp(1, self.bins) as usize - 1);
        &self.grid[i]
    }
}

fn check_thresholds(name: &str, cuts: &[f64], bins: u32) -> Result<(), String> {
    let want = bins as usize - 1;
    if cuts.len() != want {
        return Err(format!(
            "`thresholds.{name}` must have bins - 1 = {want} cut points, got {}",
            cuts.len()
        ));
    }
    if let Some(bad) = cuts.iter().find(|c| !c.is_finite()) {
        return Err(format!(
            "`thresholds.{name}` has a non-finite cut point {bad}"
        ));
    }
    if let Some(w) = cuts.windows(2).find(|w| w[0] >= w[1]) {
        return Err(format!(
            "`thresholds.{name}` must be strictly ascending, but {} is followed by {}",
            w[0], w[1]
        ));
    }
    Ok(())
}

/// The built-in 5 x 5 grid, rows R = 1..=5, columns FM = 1..=5.
const DEFAULT_GRID: [[&str; 5]; 5] = [
    // R = 1
    ["lost", "lost", "at_risk", "at_risk", "cant_lose_them"],
    // R = 2
    [
        "hibernating",
        "hibernating",
        "at_risk",
        "at_risk",
        "cant_lose_them",
    ],
    // R = 3
    [
        "about_to_sleep",
        "about_to_sleep",
        "need_attention",
        "loyal",
        "loyal",
    ],
    // R = 4
    [
        "promising",
        "potential_loyalist",
        "potential_loyalist",
        "loyal",
        "loyal",
    ],
    // R = 5
    [
        "new_customers",
        "potential_loyalist",
        "potential_loyalist",
        "champions",
        "champions",
    ],
];

/// Rescales a score on `1..=bins` to the built-in grid's `1..=5` linearly,
/// ends to ends: `1 + round_half_up((s - 1) * 4 / (bins - 1))`.
fn to_five(s: u32, bins: u32) -> usize {
    let (s, b) = (s.clamp(1, bins) as usize, bins.max(2) as usize);
    1 + ((s - 1) * 8 + (b - 1)) / (2 * (b - 1))
}

fn default_grid(bins: u32) -> Vec<String> {
    let mut grid = Vec::with_capacity((bins * bins) as usize);
    for r in 1..=bins {
        for fm in 1..=bins {
            grid.push(DEFAULT_GRID[to_five(r, bins) - 1][to_five(fm, bins) - 1].to_owned());
        }
    }
    grid
}

/// Segment names are identifiers (`^[a-z][a-z0-9_]{0,63}$`): they become
/// labels that reports group by.
fn valid_segment_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn custom_grid(rules: &[SegmentRule], bins: u32) -> Result<Vec<String>, String> {
    if rules.is_empty() {
        return Err(
            "`segments` must list at least one segment (or be left out for the built-in map)"
                .into(),
        );
    }
    for (i, rule) in rules.iter().enumerate() {
        if !valid_segment_name(&rule.name) {
            return Err(format!(
                "`segments[{i}].name` must be 1 to 64 characters of lowercase letters, digits and `_`, starting with a letter, got {:?}",
                rule.name
            ));
        }
        for (key, [lo, hi]) in [("r", rule.r), ("fm", rule.fm)] {
            if lo < 1 || hi > bins || lo > hi {
                return Err(format!(
                    "`segments[{i}].{key}` of segment `{}` must be [min, max] with 1 <= min <= max <= {bins}, got [{lo}, {hi}]",
                    rule.name
                ));
            }
        }
    }
    let mut grid = Vec::with_capacity((bins * bins) as usize);
    for r in 1..=bins {
        for fm in 1..=bins {
            let rule = rules
                .iter()
                .find(|s| (s.r[0]..=s.r[1]).contains(&r) && (s.fm[0]..=s.fm[1]).contains(&fm))
                .ok_or_else(|| {
                    format!("`segments` leave the cell R={r}, FM={fm} without a segment; every cell of the {bins} x {bins} grid needs one")
                })?;
            grid.push(rule.name.clone());
        }
    }
    Ok(grid)
}

// ---------------------------------------------------------------------------
// Model

/// What `fit` learns: the cut points of each dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmModel {
    /// Number of bins the cut points are for.
    pub bins: u32,
    /// Cut points of days since the last purchase, ascending (`bins - 1`
    /// values, or none if nothing could be learned).
    pub recency_days: Vec<f64>,
    /// Cut points of the number of purchases.
    pub frequency: Vec<f64>,
    /// Cut points of the total amount spent.
    pub monetary: Vec<f64>,
    /// Number of purchasing customers the quantiles were learned from.
    pub purchasers: u64,
}

/// One customer's RFM inputs, as the plugin reads them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Facts {
    /// At least one purchase with a known last instant.
    Purchased {
        recency_days: f64,
        frequency: f64,
        monetary: f64,
    },
    /// No purchase (or not enough data to tell when).
    None { frequency: f64, monetary: f64 },
}

/// Counts of records read with a fallback, reported as warnings.
#[derive(Debug, Default)]
struct Oddities {
    future_last: u64,
    inconsistent: u64,
    missing_amount: u64,
}

impl Oddities {
    fn warnings(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if self.future_last > 0 {
            out.push(Diagnostic::warning(format!(
                "{} customers have a last purchase after the run's as-of instant; their recency counts as 0 days",
                self.future_last
            )));
        }
        if self.inconsistent > 0 {
            out.push(Diagnostic::warning(format!(
                "{} customers have a purchase count without a last purchase instant (or the reverse); they are treated as having no purchase. Are `purchases.count` and `purchases.last` both granted?",
                self.inconsistent
            )));
        }
        if self.missing_amount > 0 {
            out.push(Diagnostic::warning(format!(
                "{} purchasing customers have no usable total amount; their monetary value counts as 0. Is `purchases.total_amount` granted?",
                self.missing_amount
            )));
        }
        out
    }
}

/// Customer `i`'s facts, read from the batch's purchase summaries.
fn facts(ctx: &Ctx, p: &PurchaseColumns<'_>, i: usize, odd: &mut Oddities) -> Facts {
    let count = p.count(i).unwrap_or(0);
    let amount = p.total_amount(i).filter(|a| a.is_finite());
    match (count, p.last(i)) {
        (1.., Some(last)) => {
            let days = ctx.whole_days_since(last);
            if days < 0 {
                odd.future_last += 1;
            }
            if amount.is_none() {
                odd.missing_amount += 1;
            }
            Facts::Purchased {
                recency_days: days.max(0) as f64,
                frequency: f64::from(count),
                monetary: amount.unwrap_or(0.0),
            }
        }
        (0, None) => Facts::None {
            frequency: 0.0,
            monetary: amount.unwrap_or(0.0),
        },
        _ => {
            odd.inconsistent += 1;
            Facts::None {
                frequency: f64::from(count),
                monetary: amount.unwrap_or(0.0),
            }
        }
    }
}

/// Learns the cut points from the purchasing customers of `population`.
/// Dimensions with explicit thresholds take them as they are.
pub fn fit(
    config: &RfmConfig,
    ctx: &Ctx,
    population: &[Customer],
) -> Result<Fitted<RfmModel>, PluginError> {
    fit_batch(config, ctx, &CustomerBatch::records(population))
}

/// [`fit`] on a batch in either layout (the host's columns in the sandbox).
pub fn fit_batch(
    config: &RfmConfig,
    ctx: &Ctx,
    population: &CustomerBatch<'_>,
) -> Result<Fitted<RfmModel>, PluginError> {
    let purchases = population.purchases()?;
    let mut odd = Oddities::default();
    let mut recency = Vec::with_capacity(population.len());
    let mut frequency = Vec::with_capacity(population.len());
    let mut monetary = Vec::with_capacity(population.len());
    for i in 0..population.len() {
        if let Facts::Purchased {
            recency_days,
            frequency: f,
            monetary: m,
        } = facts(ctx, &purchases, i, &mut odd)
        {
            recency.push(recency_days);
            frequency.push(f);
            monetary.push(m);
        }
    }
    let purchasers = recency.len();
    let bins = config.bins;
    let t = &config.thresholds;
    let learn = |explicit: &Option<Vec<f64>>, values: Vec<f64>| match explicit {
        Some(cuts) => cuts.clone(),
        None => stats::cut_points(&stats::sorted(values), bins),
    };
    let model = RfmModel {
        bins,
        recency_days: learn(&t.recency_days, recency),
        frequency: learn(&t.frequency, frequency),
        monetary: learn(&t.monetary, monetary),
        purchasers: purchasers as u64,
    };

    let mut fitted = Fitted::new(model).info(format!(
        "cut points learned from {purchasers} purchasing customers; {} customers without a purchase are segmented `{NO_PURCHASE}`",
        population.len() - purchasers
    ));
    let all_explicit = t.recency_days.is_some() && t.frequency.is_some() && t.monetary.is_some();
    if purchasers == 0 && !all_explicit {
        fitted = fitted.warning(
            "no customer in the population has a purchase, so no quantiles could be learned; every customer scored with this model must have no purchase, or set explicit `thresholds` for all three dimensions",
        );
    } else if purchasers < bins as usize && !all_explicit {
        fitted = fitted.warning(format!(
            "only {purchasers} purchasing customers for {bins} bins: some scores cannot occur"
        ));
    }
    fitted.diagnostics.extend(odd.warnings());
    Ok(fitted)
}

/// Scores a batch: one output per customer, in batch order.
pub fn score(
    config: &RfmConfig,
    ctx: &Ctx,
    model: &RfmModel,
    batch: &[Customer],
) -> Result<Scored, PluginError> {
    score_batch(config, ctx, model, &CustomerBatch::records(batch)).map(ScoredBatch::into_scored)
}

/// [`score`] on a batch in either layout, writing the outputs as columns:
/// value names, segments and the terms of customers without a purchase are
/// written once per call and shared.
pub fn score_batch(
    config: &RfmConfig,
    ctx: &Ctx,
    model: &RfmModel,
    batch: &CustomerBatch<'_>,
) -> Result<ScoredBatch, PluginError> {
    let bins = config.bins;
    if model.bins != bins {
        return Err(PluginError::new(
            "model",
            format!(
                "the model was fitted with {} bins but the configuration has {bins}; fit again",
                model.bins
            ),
        ));
    }
    let purchases = batch.purchases()?;
    let mut odd = Oddities::default();
    let mut out = OutputColumns::with_capacity(batch.len(), 6, 3);
    let names = ["recency_days", "frequency", "monetary", "r", "f", "m"].map(|n| out.intern(n));
    let [n_recency, n_frequency, n_monetary, n_r, n_f, n_m] = names;
    // Segment names by grid cell, and the frequency terms by (count, F),
    // written when first used.
    let mut segments: Vec<Option<Text>> = vec![None; (bins * bins) as usize];
    let mut frequency_terms: Vec<Option<Text>> = Vec::new();
    let mut no_purchase: Option<[Text; 4]> = None;
    // The cut points of each dimension, looked up once; a dimension without
    // them is an error only for a purchasing customer.
    let learned = [
        cuts(model, "recency_days"),
        cuts(model, "frequency"),
        cuts(model, "monetary"),
    ];
    for i in 0..batch.len() {
        let subject = batch.subject(i);
        match facts(ctx, &purchases, i, &mut odd) {
            Facts::Purchased {
                recency_days,
                frequency,
                monetary,
            } => {
                let r = bins + 1 - stats::bin(recency_days, learned[0].clone()?);
                let f = stats::bin(frequency, learned[1].clone()?);
                let m = stats::bin(monetary, learned[2].clone()?);
                let fm = (f + m).div_ceil(2);
                let (rc, fc, mc) = (f64::from(r * 100), f64::from(f * 10), f64::from(m));
                let cell = ((r - 1) * bins + (fm.clamp(1, bins) - 1)) as usize;
                let segment =
                    *segments[cell].get_or_insert_with(|| out.intern(config.segment(r, fm)));
                let recency_term = out.text_with(|w| write_recency_label(w, recency_days, r));
                // Counts below 1,024 share their term; larger ones are rare.
                let stride = MAX_BINS as usize + 1;
                let frequency_term = match frequency as usize * stride + f as usize {
                    k if k < 1_024 * stride => {
                        if frequency_terms.len() <= k {
                            frequency_terms.resize(k + 1, None);
                        }
                        *frequency_terms[k].get_or_insert_with(|| {
                            out.text_with(|w| write_frequency_label(w, frequency, f))
                        })
                    }
                    _ => out.text_with(|w| write_frequency_label(w, frequency, f)),
                };
                let monetary_term = out.text_with(|w| write_monetary_label(w, monetary, m));
                out.push(subject, rc + fc + mc, Some(segment))
                    .value(n_recency, recency_days)
                    .value(n_frequency, frequency)
                    .value(n_monetary, monetary)
                    .value(n_r, f64::from(r))
                    .value(n_f, f64::from(f))
                    .value(n_m, f64::from(m))
                    .term(recency_term, rc)
                    .term(frequency_term, fc)
                    .term(monetary_term, mc);
            }
            Facts::None {
                frequency,
                monetary,
            } => {
                let [label, r0, f0, m0] = *no_purchase.get_or_insert_with(|| {
                    [
                        NO_PURCHASE,
                        "no purchase yet (R=0)",
                        "no purchases (F=0)",
                        "no spend (M=0)",
                    ]
                    .map(|t| out.intern(t))
                });
                out.push(subject, 0.0, Some(label))
                    .value(n_frequency, frequency)
                    .value(n_monetary, monetary)
                    .value(n_r, 0.0)
                    .value(n_f, 0.0)
                    .value(n_m, 0.0)
                    .term(r0, 0.0)
                    .term(f0, 0.0)
                    .term(m0, 0.0);
            }
        }
    }
    Ok(ScoredBatch::Columns {
        outputs: out,
        diagnostics: odd.warnings(),
    })
}

fn cuts<'m>(model: &'m RfmModel, dimension: &str) -> Result<&'m [f64], PluginError> {
    let cuts = match dimension {
        "recency_days" => &model.recency_days,
        "frequency" => &model.frequency,
        _ => &model.monetary,
    };
    if cuts.len() + 1 == model.bins as usize {
        Ok(cuts)
    } else {
        Err(PluginError::data(format!(
            "cannot score a purchasing customer: the model has no `{dimension}` cut points because the fit population had no purchasing customers; fit on a population with purchases or set `thresholds.{dimension}`"
        )))
    }
}

fn write_recency_label(w: &mut TextWriter<'_>, days: f64, r: u32) {
    match days as i64 {
        0 => w.push_str("last purchase today (R="),
        1 => w.push_str("last purchase 1 day ago (R="),
        d => {
            w.push_str("last purchase ");
            w.push_int(d);
            w.push_str(" days ago (R=");
        }
    }
    w.push_uint(u64::from(r));
    w.push(')');
}

fn write_frequency_label(w: &mut TextWriter<'_>, count: f64, f: u32) {
    match count as u64 {
        1 => w.push_str("1 purchase (F="),
        n => {
            w.push_uint(n);
            w.push_str(" purchases (F=");
        }
    }
    w.push_uint(u64::from(f));
    w.push(')');
}

/// "spent 120.50 in total (M=3)", the amount written without `core::fmt`
/// (see `rapport_plugin_sdk::text`).
fn write_monetary_label(w: &mut TextWriter<'_>, amount: f64, m: u32) {
    w.push_str("spent ");
    w.push_fixed(amount, 2);
    w.push_str(" in total (M=");
    w.push_uint(u64::from(m));
    w.push(')');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(write: impl FnOnce(&mut TextWriter<'_>)) -> String {
        let mut out = OutputColumns::default();
        let t = out.text_with(write);
        out.get(t).to_owned()
    }

    fn recency_label(days: f64, r: u32) -> String {
        label(|w| write_recency_label(w, days, r))
    }

    fn frequency_label(count: f64, f: u32) -> String {
        label(|w| write_frequency_label(w, count, f))
    }

    fn monetary_label(amount: f64, m: u32) -> String {
        label(|w| write_monetary_label(w, amount, m))
    }

    #[test]
    fn default_grid_covers_every_named_segment() {
        let g = default_grid(5);
        for name in [
            "champions",
            "loyal",
            "potential_loyalist",
            "new_customers",
            "promising",
            "need_attention",
            "about_to_sleep",
            "at_risk",
            "cant_lose_them",
            "hibernating",
            "lost",
        ] {
            assert!(g.iter().any(|s| s == name), "{name} missing from the grid");
        }
    }

    #[test]
    fn rescaling_maps_ends_to_ends_and_is_monotonic() {
        for bins in 2..=MAX_BINS {
            assert_eq!(to_five(1, bins), 1, "bins={bins}");
            assert_eq!(to_five(bins, bins), 5, "bins={bins}");
            for s in 2..=bins {
                assert!(
                    to_five(s, bins) >= to_five(s - 1, bins),
                    "bins={bins} s={s}"
                );
            }
        }
        assert_eq!(
            (1..=5).map(|s| to_five(s, 5)).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        assert_eq!(
            (1..=3).map(|s| to_five(s, 3)).collect::<Vec<_>>(),
            [1, 3, 5]
        );
        let cfg = RfmConfig::new(3, Thresholds::default(), None).expect("valid");
        assert_eq!(cfg.segment(3, 3), "champions");
        assert_eq!(cfg.segment(1, 1), "lost");
        assert_eq!(cfg.segment(2, 2), "need_attention");
    }

    #[test]
    fn labels_read_naturally() {
        assert_eq!(recency_label(0.0, 5), "last purchase today (R=5)");
        assert_eq!(recency_label(12.0, 4), "last purchase 12 days ago (R=4)");
        assert_eq!(frequency_label(1.0, 1), "1 purchase (F=1)");
        assert_eq!(monetary_label(120.5, 3), "spent 120.50 in total (M=3)");
        assert_eq!(monetary_label(0.0, 1), "spent 0.00 in total (M=1)");
        assert_eq!(monetary_label(19.999, 2), "spent 20.00 in total (M=2)");
        assert_eq!(monetary_label(-0.25, 1), "spent -0.25 in total (M=1)");
        assert_eq!(
            monetary_label(1e300, 5),
            format!("spent {:.2} in total (M=5)", 1e300)
        );
    }
}

//! The value × potential grid of relationship economics, with advocates
//! flagged from referrals.
//!
//! * **Value** is realised value: the amount a customer spent within a
//!   trailing window (365 days by default) up to the run's "as of" instant.
//! * **Potential** is an index from 0 to 100 of the signals that predict
//!   future value, each scaled to `[0, 1]` and weighted (weights sum to 100):
//!   recency of the last purchase (halving every 90 days), the purchase-rate
//!   trend (purchases in the recent half of the value window against all
//!   purchases in the window), engagement (opens, clicks and visits in the
//!   last 90 days against a reference count learned from the population)
//!   and referrals made.
//!
//! `fit` learns the thresholds (by default the medians of value and
//! potential among the customers with realised value, or absolute values
//! from the configuration) and the engagement reference. `score`
//! places each customer in one of the four cells
//! (`high_value_high_potential`, `high_value_low_potential`,
//! `low_value_high_potential`, `low_value_low_potential`); customers who
//! referred at least `advocate_min_referrals` others are flagged as
//! advocates, and by default labelled `advocate`.
//!
//! The score is the potential index. Its explanation has a value term
//! (always 0: value is not part of the score, the term says where the
//! customer stands on it) and four potential terms that sum to the score.
//! See `README.md` for the full description.

use rapport_plugin_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// The four cells of the grid, and the advocate segment.
pub const HIGH_HIGH: &str = "high_value_high_potential";
/// High value, low potential.
pub const HIGH_LOW: &str = "high_value_low_potential";
/// Low value, high potential.
pub const LOW_HIGH: &str = "low_value_high_potential";
/// Low value, low potential.
pub const LOW_LOW: &str = "low_value_low_potential";
/// Customers who referred at least `advocate_min_referrals` others, when
/// `advocates` is `segment`.
pub const ADVOCATE: &str = "advocate";

/// Every label the plugin can give, in the order of the README.
pub const LABELS: [&str; 5] = [HIGH_HIGH, HIGH_LOW, LOW_HIGH, LOW_LOW, ADVOCATE];

/// The plugin, exported as a `segmenter`.
#[derive(Debug)]
pub struct ValuePotential;

impl Segmenter for ValuePotential {
    type Config = Config;
    type Model = Model;

    fn fit(
        config: &Config,
        ctx: &Ctx,
        population: &[Customer],
    ) -> Result<Fitted<Model>, PluginError> {
        fit(config, ctx, population)
    }

    fn score(
        config: &Config,
        ctx: &Ctx,
        model: &Model,
        batch: &[Customer],
    ) -> Result<Scored, PluginError> {
        score(config, ctx, model, batch)
    }
}

rapport_plugin_sdk::export_segmenter!(ValuePotential);

// ---------------------------------------------------------------------------
// Configuration

/// Where "high" starts on one axis: a quantile of the population, learned by
/// `fit`, or a fixed value. A customer is high when strictly above it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Threshold {
    /// The nearest-rank quantile, strictly between 0 and 1.
    Quantile(f64),
    /// A fixed value, at least 0.
    Absolute(f64),
}

/// Weights of the four potential signals; they sum to 100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Recency of the last purchase.
    pub recency: f64,
    /// Purchase-rate trend.
    pub trend: f64,
    /// Engagement from interactions.
    pub engagement: f64,
    /// Referrals made.
    pub referrals: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            recency: 30.0,
            trend: 30.0,
            engagement: 25.0,
            referrals: 15.0,
        }
    }
}

/// What advocates get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Advocates {
    /// Advocates are labelled `advocate` (their grid cell stays in the
    /// values `value_high` and `potential_high`), so a campaign can target
    /// them as a segment.
    Segment,
    /// Advocates keep their grid cell as label; only the value `advocate`
    /// is 1.
    Flag,
}

/// The configuration as written in JSON; every key is optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "d_value_window")]
    value_window_days: f64,
    #[serde(default = "d_threshold")]
    value_threshold: Threshold,
    #[serde(default = "d_threshold")]
    potential_threshold: Threshold,
    #[serde(default)]
    weights: Weights,
    #[serde(default = "d_half_life")]
    recency_half_life_days: f64,
    #[serde(default = "d_engagement_window")]
    engagement_window_days: f64,
    #[serde(default = "d_engagement_kinds")]
    engagement_kinds: Vec<String>,
    #[serde(default)]
    engagement_reference: Option<f64>,
    #[serde(default = "d_referral_reference")]
    referral_reference: u32,
    #[serde(default = "d_advocate_min")]
    advocate_min_referrals: u32,
    #[serde(default = "d_advocates")]
    advocates: Advocates,
}

fn d_value_window() -> f64 {
    365.0
}
fn d_threshold() -> Threshold {
    Threshold::Quantile(0.5)
}
fn d_half_life() -> f64 {
    90.0
}
fn d_engagement_window() -> f64 {
    90.0
}
fn d_engagement_kinds() -> Vec<String> {
    ["email_open", "email_click", "web_visit"]
        .map(String::from)
        .to_vec()
}
fn d_referral_reference() -> u32 {
    3
}
fn d_advocate_min() -> u32 {
    3
}
fn d_advocates() -> Advocates {
    Advocates::Segment
}

/// The validated configuration (see `config.schema.json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct Config {
    /// Length of the trailing window realised value is summed over, in days.
    pub value_window_days: f64,
    /// Where high value starts.
    pub value_threshold: Threshold,
    /// Where high potential starts.
    pub potential_threshold: Threshold,
    /// Weights of the potential signals.
    pub weights: Weights,
    /// Days after which the recency signal halves.
    pub recency_half_life_days: f64,
    /// Window engagement is counted over, in days.
    pub engagement_window_days: f64,
    /// Interaction kinds that count as engagement.
    pub engagement_kinds: Vec<String>,
    /// Engagement count that scores the full engagement signal; learned
    /// when `None`.
    pub engagement_reference: Option<f64>,
    /// Referrals that score the full referral signal.
    pub referral_reference: u32,
    /// Referrals that make a customer an advocate.
    pub advocate_min_referrals: u32,
    /// What advocates get.
    pub advocates: Advocates,
}

impl Default for Config {
    fn default() -> Self {
        Config::from_json("{}").expect("the built-in configuration is valid")
    }
}

impl Config {
    /// Parses and validates the configuration JSON; an empty string is the
    /// default configuration.
    pub fn from_json(json: &str) -> Result<Self, PluginError> {
        rapport_plugin_sdk::run::parse_config(json)
    }
}

fn positive(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(format!(
            "`{name}` must be a positive number of days, got {v}"
        ))
    }
}

fn check_threshold(name: &str, t: Threshold) -> Result<(), String> {
    match t {
        Threshold::Quantile(q) if !(q > 0.0 && q < 1.0) => Err(format!(
            "`{name}.quantile` must be strictly between 0 and 1, got {q}"
        )),
        Threshold::Absolute(a) if !(a.is_finite() && a >= 0.0) => Err(format!(
            "`{name}.absolute` must be a finite number of at least 0, got {a}"
        )),
        _ => Ok(()),
    }
}

impl TryFrom<RawConfig> for Config {
    type Error = String;
    fn try_from(raw: RawConfig) -> Result<Self, String> {
        positive("value_window_days", raw.value_window_days)?;
        positive("recency_half_life_days", raw.recency_half_life_days)?;
        positive("engagement_window_days", raw.engagement_window_days)?;
        check_threshold("value_threshold", raw.value_threshold)?;
        check_threshold("potential_threshold", raw.potential_threshold)?;
        if let Threshold::Absolute(a) = raw.potential_threshold {
            if a > 100.0 {
                return Err(format!(
                    "`potential_threshold.absolute` must be at most 100 (potential is an index from 0 to 100), got {a}"
                ));
            }
        }
        let w = raw.weights;
        let parts = [
            ("recency", w.recency),
            ("trend", w.trend),
            ("engagement", w.engagement),
            ("referrals", w.referrals),
        ];
        if let Some((name, v)) = parts.iter().find(|(_, v)| !(v.is_finite() && *v >= 0.0)) {
            return Err(format!(
                "`weights.{name}` must be a finite number of at least 0, got {v}"
            ));
        }
        let sum: f64 = parts.iter().map(|(_, v)| v).sum();
        if (sum - 100.0).abs() > 1e-9 {
            return Err(format!(
                "`weights` must sum to 100, got {sum} (recency {} + trend {} + engagement {} + referrals {})",
                w.recency, w.trend, w.engagement, w.referrals
            ));
        }
        if raw.engagement_kinds.is_empty() {
            return Err("`engagement_kinds` must name at least one interaction kind".into());
        }
        if let Some(r) = raw.engagement_reference {
            if !(r.is_finite() && r >= 1.0) {
                return Err(format!(
                    "`engagement_reference` must be at least 1 (or left out to learn it), got {r}"
                ));
            }
        }
        if raw.referral_reference == 0 {
            return Err("`referral_reference` must be at least 1".into());
        }
        if raw.advocate_min_referrals == 0 {
            return Err("`advocate_min_referrals` must be at least 1".into());
        }
        Ok(Config {
            value_window_days: raw.value_window_days,
            value_threshold: raw.value_threshold,
            potential_threshold: raw.potential_threshold,
            weights: raw.weights,
            recency_half_life_days: raw.recency_half_life_days,
            engagement_window_days: raw.engagement_window_days,
            engagement_kinds: raw.engagement_kinds,
            engagement_reference: raw.engagement_reference,
            referral_reference: raw.referral_reference,
            advocate_min_referrals: raw.advocate_min_referrals,
            advocates: raw.advocates,
        })
    }
}

// ---------------------------------------------------------------------------
// Facts and signals

/// What the plugin reads from one customer.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Facts {
    /// Amount spent within the value window.
    pub value: f64,
    /// Whole days since the last purchase, if any purchase is dated.
    pub days_since_last: Option<f64>,
    /// Purchases in the recent half of the value window.
    pub purchases_recent: u32,
    /// Purchases in the earlier half of the value window.
    pub purchases_previous: u32,
    /// Engagement interactions within the engagement window.
    pub engagement: u32,
    /// Customers referred (distinct handles; referrals without a handle
    /// count one each).
    pub referrals: u32,
}

/// Counts of records read with a fallback, reported as warnings.
#[derive(Debug, Default)]
struct Oddities {
    undated_transactions: u64,
    unpriced_transactions: u64,
    undated_interactions: u64,
    self_referrals: u64,
}

impl Oddities {
    fn warnings(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if self.undated_transactions > 0 {
            out.push(Diagnostic::warning(format!(
                "{} transactions have no date and are left out of value, recency and trend. Is `transactions.at` granted?",
                self.undated_transactions
            )));
        }
        if self.unpriced_transactions > 0 {
            out.push(Diagnostic::warning(format!(
                "{} transactions have no usable amount and count as 0 towards value. Is `transactions.amount` granted?",
                self.unpriced_transactions
            )));
        }
        if self.undated_interactions > 0 {
            out.push(Diagnostic::warning(format!(
                "{} interactions have no date or kind and are left out of engagement. Are `interactions.at` and `interactions.kind` granted?",
                self.undated_interactions
            )));
        }
        if self.self_referrals > 0 {
            out.push(Diagnostic::warning(format!(
                "{} referrals name the referrer themselves and are ignored",
                self.self_referrals
            )));
        }
        out
    }
}

fn facts(config: &Config, ctx: &Ctx, c: &Customer, odd: &mut Oddities) -> Facts {
    let day = DAY as f64;
    let as_of = ctx.as_of as f64;
    let window_start = as_of - config.value_window_days * day;
    let half = as_of - config.value_window_days * day / 2.0;
    let mut f = Facts::default();
    let mut last: Option<i64> = None;
    for t in c.transactions.iter().flatten() {
        let Some(at) = t.at else {
            odd.undated_transactions += 1;
            continue;
        };
        // The host sends only records dated up to "as of"; a later one is
        // ignored rather than trusted.
        if at > ctx.as_of {
            continue;
        }
        last = Some(last.map_or(at, |l| l.max(at)));
        let at = at as f64;
        if at > window_start {
            match t.amount.filter(|a| a.is_finite()) {
                Some(a) => f.value += a,
                None => odd.unpriced_transactions += 1,
            }
            if at > half {
                f.purchases_recent += 1;
            } else {
                f.purchases_previous += 1;
            }
        }
    }
    f.days_since_last = last.map(|l| ctx.whole_days_since(l).max(0) as f64);
    let engagement_start = as_of - config.engagement_window_days * day;
    for i in c.interactions.iter().flatten() {
        let (Some(at), Some(kind)) = (i.at, i.kind.as_deref()) else {
            odd.undated_interactions += 1;
            continue;
        };
        if at <= ctx.as_of
            && (at as f64) > engagement_start
            && config.engagement_kinds.iter().any(|k| k == kind)
        {
            f.engagement += 1;
        }
    }
    let mut referred: Vec<u64> = Vec::new();
    let mut unnamed = 0u32;
    for r in c.referrals.iter().flatten() {
        match r.referred {
            Some(s) if s == c.subject => odd.self_referrals += 1,
            Some(s) => referred.push(s),
            None => unnamed += 1,
        }
    }
    referred.sort_unstable();
    referred.dedup();
    f.referrals = referred.len() as u32 + unnamed;
    f
}

/// The four potential signals of a customer, each in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Signals {
    /// `0.5 ^ (days since the last purchase / half-life)`; 0 without a
    /// purchase.
    pub recency: f64,
    /// Purchases in the recent half of the value window over purchases in
    /// the whole window; 0 without a purchase in the window.
    pub trend: f64,
    /// Engagement over the reference, at most 1.
    pub engagement: f64,
    /// Referrals over the referral reference, at most 1.
    pub referrals: f64,
}

impl Signals {
    /// The signals of `f` under `config`, with the engagement reference.
    pub fn of(config: &Config, f: &Facts, engagement_reference: f64) -> Self {
        let recency = f
            .days_since_last
            .map_or(0.0, |d| 0.5f64.powf(d / config.recency_half_life_days));
        let in_window = f.purchases_recent + f.purchases_previous;
        let trend = if in_window == 0 {
            0.0
        } else {
            f64::from(f.purchases_recent) / f64::from(in_window)
        };
        let engagement = (f64::from(f.engagement) / engagement_reference).min(1.0);
        let referrals = (f64::from(f.referrals) / f64::from(config.referral_reference)).min(1.0);
        Self {
            recency,
            trend,
            engagement,
            referrals,
        }
    }

    /// The weighted terms, in the order recency, trend, engagement,
    /// referrals; their sum is the potential index.
    pub fn terms(&self, w: &Weights) -> [f64; 4] {
        [
            w.recency * self.recency,
            w.trend * self.trend,
            w.engagement * self.engagement,
            w.referrals * self.referrals,
        ]
    }
}

/// The potential index of weighted terms, summed in order so that the
/// explanation adds up to exactly the score.
fn potential(terms: &[f64; 4]) -> f64 {
    terms.iter().fold(0.0, |acc, t| acc + t)
}

// ---------------------------------------------------------------------------
// Model

/// What `fit` learns: the two thresholds and the engagement reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Customers strictly above this value are high value; `None` when the
    /// population had no customer with a positive value to learn it from
    /// (then nobody is high value).
    pub value_threshold: Option<f64>,
    /// Customers strictly above this potential are high potential; learned
    /// among the customers with a positive value.
    pub potential_threshold: f64,
    /// Engagement count that scores the full engagement signal.
    pub engagement_reference: f64,
    /// Customers in the fit population.
    pub customers: u64,
    /// Of those, customers with a positive value in the window.
    pub valued: u64,
}

/// The nearest-rank quantile of the population's engagement counts (among
/// customers with any) that scores the full engagement signal.
const ENGAGEMENT_REFERENCE_QUANTILE: f64 = 0.9;

/// Learns the engagement reference and the thresholds.
pub fn fit(
    config: &Config,
    ctx: &Ctx,
    population: &[Customer],
) -> Result<Fitted<Model>, PluginError> {
    let mut odd = Oddities::default();
    let all: Vec<Facts> = population
        .iter()
        .map(|c| facts(config, ctx, c, &mut odd))
        .collect();
    let engagement_reference = match config.engagement_reference {
        Some(r) => r,
        None => {
            let engaged = stats::sorted(
                all.iter()
                    .filter(|f| f.engagement > 0)
                    .map(|f| f64::from(f.engagement)),
            );
            stats::quantile(&engaged, ENGAGEMENT_REFERENCE_QUANTILE)
                .unwrap_or(1.0)
                .max(1.0)
        }
    };
    let positive = stats::sorted(all.iter().map(|f| f.value).filter(|v| *v > 0.0));
    let value_threshold = match config.value_threshold {
        Threshold::Absolute(a) => Some(a),
        Threshold::Quantile(q) => stats::quantile(&positive, q),
    };
    // The potential threshold is calibrated on the customers with realised
    // value (all customers when nobody has any): in a typical customer base
    // most customers bought nothing in the window and have next to no
    // potential, and letting them set the median would make every active
    // customer "high potential" and empty the high-value/low-potential cell.
    let valued = positive.len();
    let potentials = stats::sorted(
        all.iter()
            .filter(|f| valued == 0 || f.value > 0.0)
            .map(|f| {
                potential(&Signals::of(config, f, engagement_reference).terms(&config.weights))
            }),
    );
    let potential_threshold = match config.potential_threshold {
        Threshold::Absolute(a) => a,
        Threshold::Quantile(q) => stats::quantile(&potentials, q).unwrap_or(0.0),
    };
    let model = Model {
        value_threshold,
        potential_threshold,
        engagement_reference,
        customers: population.len() as u64,
        valued: positive.len() as u64,
    };
    let mut fitted = Fitted::new(model).info(format!(
        "{} customers, {} with a positive value in the last {} days; engagement reference {}",
        population.len(),
        positive.len(),
        config.value_window_days,
        engagement_reference
    ));
    if value_threshold.is_none() {
        fitted = fitted.warning(
            "no customer spent anything in the value window, so no value threshold could be learned: every customer is low value. Set `value_threshold.absolute` to fix one",
        );
    }
    fitted.diagnostics.extend(odd.warnings());
    Ok(fitted)
}

/// Places a batch on the grid: one output per customer, in batch order.
pub fn score(
    config: &Config,
    ctx: &Ctx,
    model: &Model,
    batch: &[Customer],
) -> Result<Scored, PluginError> {
    if !(model.engagement_reference.is_finite() && model.engagement_reference >= 1.0) {
        return Err(PluginError::new(
            "model",
            "the model's engagement reference is not a number of at least 1; fit again",
        ));
    }
    let mut odd = Oddities::default();
    let outputs = batch
        .iter()
        .map(|c| output(config, model, c.subject, &facts(config, ctx, c, &mut odd)))
        .collect();
    let mut scored = Scored::new(outputs);
    scored.diagnostics.extend(odd.warnings());
    Ok(scored)
}

/// `"1 customer"`, `"3 customers"`: a count with its noun.
fn count(n: impl Into<u64>, noun: &str) -> String {
    match n.into() {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// The output of one customer from their facts.
pub fn output(config: &Config, model: &Model, subject: u64, f: &Facts) -> Output {
    let signals = Signals::of(config, f, model.engagement_reference);
    let terms = signals.terms(&config.weights);
    let score = potential(&terms);
    let value_high = model.value_threshold.is_some_and(|t| f.value > t);
    let potential_high = score > model.potential_threshold;
    let advocate = f.referrals >= config.advocate_min_referrals;
    let cell = match (value_high, potential_high) {
        (true, true) => HIGH_HIGH,
        (true, false) => HIGH_LOW,
        (false, true) => LOW_HIGH,
        (false, false) => LOW_LOW,
    };
    let label = if advocate && config.advocates == Advocates::Segment {
        ADVOCATE
    } else {
        cell
    };
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let mut out = Output::new(subject, score)
        .label(label)
        .value("value", f.value)
        .value("potential", score)
        .value("value_high", flag(value_high))
        .value("potential_high", flag(potential_high))
        .value("advocate", flag(advocate))
        .value("referrals", f64::from(f.referrals))
        .value("purchases_recent", f64::from(f.purchases_recent))
        .value("purchases_previous", f64::from(f.purchases_previous))
        .value("engagement", f64::from(f.engagement))
        .value("potential_threshold", model.potential_threshold);
    if let Some(t) = model.value_threshold {
        out = out.value("value_threshold", t);
    }
    if let Some(d) = f.days_since_last {
        out = out.value("days_since_last_purchase", d);
    }
    let w = &config.weights;
    let window = config.value_window_days;
    let value_label = match model.value_threshold {
        Some(t) if value_high => format!(
            "spent {:.2} in the last {window} days: high value (above {t:.2}); not part of the score",
            f.value
        ),
        Some(t) => format!(
            "spent {:.2} in the last {window} days: low value (at most {t:.2}); not part of the score",
            f.value
        ),
        None => format!(
            "spent {:.2} in the last {window} days: low value (no threshold learned); not part of the score",
            f.value
        ),
    };
    let recency_label = match f.days_since_last {
        Some(d) => format!(
            "last purchase {d} days ago (recency {:.2} x weight {})",
            signals.recency, w.recency
        ),
        None => format!("no purchase yet (recency 0 x weight {})", w.recency),
    };
    let half = window / 2.0;
    let trend_label =
        format!(
        "{} in the last {half} days against {} in the {half} days before (trend {:.2} x weight {})",
        count(f.purchases_recent, "purchase"), f.purchases_previous, signals.trend, w.trend
    );
    let engagement_label = format!(
        "{} in the last {} days, reference {} (engagement {:.2} x weight {})",
        count(f.engagement, "engagement"),
        config.engagement_window_days,
        model.engagement_reference,
        signals.engagement,
        w.engagement
    );
    let referral_label = if advocate {
        format!(
            "referred {}: an advocate (referrals {:.2} x weight {})",
            count(f.referrals, "customer"),
            signals.referrals,
            w.referrals
        )
    } else {
        format!(
            "referred {} (referrals {:.2} x weight {})",
            count(f.referrals, "customer"),
            signals.referrals,
            w.referrals
        )
    };
    out.because(value_label, 0.0)
        .because(recency_label, terms[0])
        .because(trend_label, terms[1])
        .because(engagement_label, terms[2])
        .because(referral_label, terms[3])
}

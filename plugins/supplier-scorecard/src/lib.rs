//! The supplier scorecard: weighted criteria that sum to 100, per period,
//! with standings and the trend against the previous period.
//!
//! Six criteria, each a value from 0 to 1 over the deliveries **due** (by
//! promised date) in the period:
//!
//! * **on time**: delivered by the promised date (plus grace days), among
//!   the deliveries delivered or overdue;
//! * **in full**: delivered quantity at least the ordered quantity, among
//!   the deliveries delivered;
//! * **quality**: units accepted over units delivered;
//! * **price**: how far billed prices ran above the agreed prices
//!   (quantity-weighted), from 1 at the target to 0 at the limit;
//! * **lead time**: mean days between the promised and the actual delivery
//!   date, early or late, from 1 at the target to 0 at the limit;
//! * **responsiveness**: mean response hours, from 1 at the target to 0 at
//!   the limit.
//!
//! The score is `Σ weight × value` (weights sum to 100, so the score is
//! 0–100); a criterion without data in the period gives its weight to the
//! others in proportion. The explanation is each criterion's weighted
//! contribution and sums to the score. A supplier with fewer judged
//! deliveries than `min_deliveries` in the period is `insufficient_data`.
//!
//! The period is a calendar month or quarter ending at the run's "as of"
//! instant; the previous period is the one before it. See `README.md`.

use rapport_plugin_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// The label of a supplier without enough judged deliveries in the period.
pub const INSUFFICIENT_DATA: &str = "insufficient_data";

/// The plugin, exported as a `supplier-rater`.
#[derive(Debug)]
pub struct SupplierScorecard;

impl SupplierRater for SupplierScorecard {
    type Config = Config;
    type Model = Model;

    fn fit(
        config: &Config,
        ctx: &Ctx,
        population: &[Supplier],
    ) -> Result<Fitted<Model>, PluginError> {
        fit(config, ctx, population)
    }

    fn score(
        config: &Config,
        ctx: &Ctx,
        model: &Model,
        batch: &[Supplier],
    ) -> Result<Scored, PluginError> {
        score(config, ctx, model, batch)
    }
}

rapport_plugin_sdk::export_supplier_rater!(SupplierScorecard);

// ---------------------------------------------------------------------------
// Calendar

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (H. Hinnant's `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    let next = if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    };
    (next - days_from_civil(y, m, 1)) as u32
}

/// The instant `months` calendar months before `at`, at the same time of
/// day; the day of the month is clamped to the shorter month (March 31
/// minus one month is February 28 or 29).
pub fn months_before(at: i64, months: u32) -> i64 {
    let (days, secs) = (at.div_euclid(DAY), at.rem_euclid(DAY));
    let (y, m, d) = civil_from_days(days);
    let total = y * 12 + i64::from(m) - 1 - i64::from(months);
    let (y2, m2) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    let d2 = d.min(days_in_month(y2, m2));
    days_from_civil(y2, m2, d2) * DAY + secs
}

/// `YYYY-MM-DD` of an instant.
pub fn date(at: i64) -> String {
    let (y, m, d) = civil_from_days(at.div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

// ---------------------------------------------------------------------------
// Configuration

/// The length of a scoring period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// One calendar month.
    Month,
    /// Three calendar months.
    Quarter,
}

impl Period {
    /// Calendar months in the period.
    pub fn months(self) -> u32 {
        match self {
            Period::Month => 1,
            Period::Quarter => 3,
        }
    }
}

/// The six criteria, in the order they are configured and explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    /// On-time delivery.
    OnTime,
    /// In-full delivery.
    InFull,
    /// Quality acceptance.
    Quality,
    /// Price variance.
    Price,
    /// Lead-time variance.
    LeadTime,
    /// Responsiveness.
    Responsiveness,
}

impl Criterion {
    /// Every criterion, in order.
    pub const ALL: [Criterion; 6] = [
        Criterion::OnTime,
        Criterion::InFull,
        Criterion::Quality,
        Criterion::Price,
        Criterion::LeadTime,
        Criterion::Responsiveness,
    ];

    /// The criterion's key in `weights` and in the named values.
    pub fn name(self) -> &'static str {
        match self {
            Criterion::OnTime => "on_time",
            Criterion::InFull => "in_full",
            Criterion::Quality => "quality",
            Criterion::Price => "price",
            Criterion::LeadTime => "lead_time",
            Criterion::Responsiveness => "responsiveness",
        }
    }
}

/// Weights of the criteria; they sum to 100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// On-time delivery.
    pub on_time: f64,
    /// In-full delivery.
    pub in_full: f64,
    /// Quality acceptance.
    pub quality: f64,
    /// Price variance.
    pub price: f64,
    /// Lead-time variance.
    pub lead_time: f64,
    /// Responsiveness.
    pub responsiveness: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            on_time: 25.0,
            in_full: 20.0,
            quality: 20.0,
            price: 15.0,
            lead_time: 10.0,
            responsiveness: 10.0,
        }
    }
}

impl Weights {
    /// The weight of `c`.
    pub fn get(&self, c: Criterion) -> f64 {
        match c {
            Criterion::OnTime => self.on_time,
            Criterion::InFull => self.in_full,
            Criterion::Quality => self.quality,
            Criterion::Price => self.price,
            Criterion::LeadTime => self.lead_time,
            Criterion::Responsiveness => self.responsiveness,
        }
    }
}

/// A measure that scores 1 at or below `target`, 0 at or above `limit`,
/// and linearly in between.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ramp {
    /// Scores 1 at or below this.
    pub target: f64,
    /// Scores 0 at or above this.
    pub limit: f64,
}

impl Ramp {
    /// The criterion value of `x`.
    pub fn value(&self, x: f64) -> f64 {
        if x <= self.target {
            1.0
        } else if x >= self.limit {
            0.0
        } else {
            (self.limit - x) / (self.limit - self.target)
        }
    }

    fn check(&self, key: &str) -> Result<(), String> {
        if !(self.target.is_finite() && self.target >= 0.0 && self.limit.is_finite()) {
            return Err(format!(
                "`{key}.target` must be a finite number of at least 0 and `{key}.limit` finite, got {} and {}",
                self.target, self.limit
            ));
        }
        if self.limit <= self.target {
            return Err(format!(
                "`{key}.limit` ({}) must be greater than `{key}.target` ({})",
                self.limit, self.target
            ));
        }
        Ok(())
    }
}

/// A standing: scores at or above `min` (and below the previous standing's
/// `min`) get `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standing {
    /// The standing, the output's label.
    pub name: String,
    /// Lowest score of the standing.
    pub min: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "d_period")]
    period: Period,
    #[serde(default = "d_min_deliveries")]
    min_deliveries: u32,
    #[serde(default)]
    weights: Weights,
    #[serde(default)]
    grace_days: u32,
    #[serde(default = "d_price")]
    price_variance: Ramp,
    #[serde(default = "d_lead_time")]
    lead_time_deviation_days: Ramp,
    #[serde(default = "d_response")]
    response_hours: Ramp,
    #[serde(default = "d_standings")]
    standings: Vec<Standing>,
}

fn d_period() -> Period {
    Period::Quarter
}
fn d_min_deliveries() -> u32 {
    3
}
fn d_price() -> Ramp {
    Ramp {
        target: 0.0,
        limit: 0.1,
    }
}
fn d_lead_time() -> Ramp {
    Ramp {
        target: 1.0,
        limit: 10.0,
    }
}
fn d_response() -> Ramp {
    Ramp {
        target: 4.0,
        limit: 72.0,
    }
}
fn d_standings() -> Vec<Standing> {
    [
        ("strategic", 85.0),
        ("preferred", 70.0),
        ("transactional", 50.0),
        ("at_risk", 0.0),
    ]
    .map(|(name, min)| Standing {
        name: name.to_owned(),
        min,
    })
    .to_vec()
}

/// The validated configuration (see `config.schema.json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct Config {
    /// Length of a period.
    pub period: Period,
    /// Judged deliveries a supplier needs in a period to be scored.
    pub min_deliveries: u32,
    /// Criterion weights, summing to 100.
    pub weights: Weights,
    /// Days after the promised date that still count as on time.
    pub grace_days: u32,
    /// Share billed above the agreed prices.
    pub price_variance: Ramp,
    /// Mean days between promised and actual delivery.
    pub lead_time_deviation_days: Ramp,
    /// Mean response hours.
    pub response_hours: Ramp,
    /// Standings by descending `min`; the last starts at 0.
    pub standings: Vec<Standing>,
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

    /// The standing of a score in `[0, 100]`.
    pub fn standing(&self, score: f64) -> &str {
        self.standings
            .iter()
            .find(|s| score >= s.min)
            .or(self.standings.last())
            .map_or("", |s| s.name.as_str())
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl TryFrom<RawConfig> for Config {
    type Error = String;
    fn try_from(raw: RawConfig) -> Result<Self, String> {
        let w = raw.weights;
        if let Some(c) = Criterion::ALL
            .iter()
            .find(|&&c| !(w.get(c).is_finite() && w.get(c) >= 0.0))
        {
            return Err(format!(
                "`weights.{}` must be a finite number of at least 0, got {}",
                c.name(),
                w.get(*c)
            ));
        }
        let sum: f64 = Criterion::ALL.iter().map(|&c| w.get(c)).sum();
        if (sum - 100.0).abs() > 1e-9 {
            let parts: Vec<String> = Criterion::ALL
                .iter()
                .map(|&c| format!("{} {}", c.name(), w.get(c)))
                .collect();
            return Err(format!(
                "`weights` must sum to 100, got {sum} ({})",
                parts.join(" + ")
            ));
        }
        if raw.min_deliveries == 0 {
            return Err("`min_deliveries` must be at least 1".into());
        }
        raw.price_variance.check("price_variance")?;
        raw.lead_time_deviation_days
            .check("lead_time_deviation_days")?;
        raw.response_hours.check("response_hours")?;
        check_standings(&raw.standings)?;
        Ok(Config {
            period: raw.period,
            min_deliveries: raw.min_deliveries,
            weights: raw.weights,
            grace_days: raw.grace_days,
            price_variance: raw.price_variance,
            lead_time_deviation_days: raw.lead_time_deviation_days,
            response_hours: raw.response_hours,
            standings: raw.standings,
        })
    }
}

fn check_standings(standings: &[Standing]) -> Result<(), String> {
    if standings.is_empty() {
        return Err("`standings` must list at least one standing".into());
    }
    for (i, s) in standings.iter().enumerate() {
        if !valid_name(&s.name) {
            return Err(format!(
                "`standings[{i}].name` must be 1 to 64 characters of lowercase letters, digits and `_`, starting with a letter, got {:?}",
                s.name
            ));
        }
        if s.name == INSUFFICIENT_DATA {
            return Err(format!(
                "`standings[{i}].name` may not be `{INSUFFICIENT_DATA}`: that label marks suppliers without enough deliveries"
            ));
        }
        if standings[..i].iter().any(|o| o.name == s.name) {
            return Err(format!(
                "`standings[{i}].name` repeats the standing `{}`",
                s.name
            ));
        }
        if !(0.0..=100.0).contains(&s.min) {
            return Err(format!(
                "`standings[{i}].min` of standing `{}` must be between 0 and 100, got {}",
                s.name, s.min
            ));
        }
    }
    if let Some(w) = standings.windows(2).find(|w| w[0].min <= w[1].min) {
        return Err(format!(
            "`standings` must have strictly descending `min`, but `{}` ({}) is followed by `{}` ({})",
            w[0].name, w[0].min, w[1].name, w[1].min
        ));
    }
    if let Some(last) = standings.last().filter(|s| s.min != 0.0) {
        return Err(format!(
            "the last standing (`{}`) must start at 0 so that every score has a standing, got {}",
            last.name, last.min
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// One period

/// `[start, end)`, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// First instant of the period.
    pub start: i64,
    /// First instant after the period.
    pub end: i64,
}

impl Span {
    fn contains(&self, at: i64) -> bool {
        (self.start..self.end).contains(&at)
    }
}

/// What the deliveries due in one period add up to.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tally {
    /// Deliveries promised within the period.
    pub due: u32,
    /// Of those, delivered by "as of" or overdue: the ones on-time judges.
    pub judged: u32,
    /// Judged deliveries that arrived by the promised date plus grace.
    pub on_time: u32,
    /// Due deliveries delivered by "as of" with both quantities known.
    pub quantified: u32,
    /// Of those, delivered in full.
    pub in_full: u32,
    /// Units delivered, over deliveries with a known accepted quantity.
    pub units_delivered: i64,
    /// Units accepted by quality control.
    pub units_accepted: i64,
    /// Agreed price × quantity over deliveries with both prices.
    pub agreed_spend: f64,
    /// (billed − agreed price)⁺ × quantity over the same deliveries.
    pub overcharge: f64,
    /// Deliveries with both prices.
    pub priced: u32,
    /// Σ |delivered − promised| in days over delivered deliveries.
    pub deviation_days: f64,
    /// Delivered deliveries.
    pub delivered: u32,
    /// Σ response hours.
    pub response_hours: f64,
    /// Deliveries with a response time.
    pub responses: u32,
}

/// Tallies the deliveries promised within `span`, as known at `as_of`.
/// A delivered date after `as_of` counts as not delivered yet.
pub fn tally(deliveries: &[Delivery], span: Span, as_of: i64, grace_days: u32) -> Tally {
    let grace = i64::from(grace_days) * DAY;
    let mut t = Tally::default();
    for d in deliveries {
        let Some(promised) = d.promised.filter(|p| span.contains(*p)) else {
            continue;
        };
        t.due += 1;
        let delivered = d.delivered.filter(|at| *at <= as_of);
        let overdue = delivered.is_none() && promised + grace < as_of;
        if delivered.is_some() || overdue {
            t.judged += 1;
        }
        if let Some(h) = d.response_hours.filter(|h| h.is_finite() && *h >= 0.0) {
            t.response_hours += h;
            t.responses += 1;
        }
        let Some(at) = delivered else {
            continue;
        };
        if at <= promised + grace {
            t.on_time += 1;
        }
        t.delivered += 1;
        t.deviation_days += (at - promised).abs() as f64 / DAY as f64;
        if let (Some(ordered), Some(got)) = (d.quantity_ordered, d.quantity_delivered) {
            t.quantified += 1;
            if got >= ordered {
                t.in_full += 1;
            }
        }
        if let (Some(got), Some(ok)) = (d.quantity_delivered, d.quantity_accepted) {
            t.units_delivered += got.max(0);
            t.units_accepted += ok.clamp(0, got.max(0));
        }
        if let (Some(paid), Some(agreed)) = (d.unit_price, d.agreed_unit_price) {
            if paid.is_finite() && agreed.is_finite() && agreed > 0.0 {
                // Weighted by the units delivered when known, so a big order
                // billed high counts more than a sample.
                let units = d.quantity_delivered.map_or(1.0, |q| q.max(0) as f64);
                t.agreed_spend += agreed * units;
                t.overcharge += (paid - agreed).max(0.0) * units;
                t.priced += 1;
            }
        }
    }
    t
}

/// The value of every criterion in one period (`None` without data), and
/// the raw measures behind the last three.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Values {
    /// Criterion values in `Criterion::ALL` order.
    pub criteria: [Option<f64>; 6],
    /// Share billed above the agreed prices.
    pub price_variance: Option<f64>,
    /// Mean days between promised and actual delivery.
    pub lead_time_deviation_days: Option<f64>,
    /// Mean response hours.
    pub response_hours: Option<f64>,
}

fn ratio(n: impl Into<f64>, d: impl Into<f64>) -> Option<f64> {
    let d = d.into();
    (d > 0.0).then(|| n.into() / d)
}

impl Values {
    /// The criterion values of a tally.
    pub fn of(config: &Config, t: &Tally) -> Self {
        let price_variance = ratio(t.overcharge, t.agreed_spend);
        let lead_time_deviation_days = ratio(t.deviation_days, t.delivered);
        let response_hours = ratio(t.response_hours, t.responses);
        Self {
            criteria: [
                ratio(t.on_time, t.judged),
                ratio(t.in_full, t.quantified),
                ratio(t.units_accepted as f64, t.units_delivered as f64),
                price_variance.map(|v| config.price_variance.value(v)),
                lead_time_deviation_days.map(|v| config.lead_time_deviation_days.value(v)),
                response_hours.map(|v| config.response_hours.value(v)),
            ],
            price_variance,
            lead_time_deviation_days,
            response_hours,
        }
    }
}

/// A period's score: the weighted contributions of the criteria in
/// `Criterion::ALL` order (0 for a criterion without data), the weights
/// after sharing out those of criteria without data, and their sum.
/// `None` when no weighted criterion has data.
pub fn weigh(weights: &Weights, values: &Values) -> Option<([f64; 6], [f64; 6], f64)> {
    let available: f64 = Criterion::ALL
        .iter()
        .zip(values.criteria)
        .filter(|(_, v)| v.is_some())
        .map(|(&c, _)| weights.get(c))
        .sum();
    if available <= 0.0 {
        return None;
    }
    let mut effective = [0.0; 6];
    let mut contributions = [0.0; 6];
    let mut score = 0.0;
    for (i, &c) in Criterion::ALL.iter().enumerate() {
        if let Some(v) = values.criteria[i] {
            effective[i] = weights.get(c) * 100.0 / available;
            contributions[i] = effective[i] * v;
            // Summed in explanation order, so the explanation adds up to
            // exactly the score.
            score += contributions[i];
        }
    }
    Some((contributions, effective, score))
}

// ---------------------------------------------------------------------------
// Model, fit and score

/// The periods `fit` fixed for the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The period length.
    pub period: Period,
    /// The period scored, ending at "as of".
    pub current: Span,
    /// The period before it, for the trend.
    pub previous: Span,
    /// Suppliers in the fit population.
    pub suppliers: u64,
    /// Of those, suppliers with enough judged deliveries in the period.
    pub scored: u64,
}

fn periods(config: &Config, as_of: i64) -> (Span, Span) {
    let k = config.period.months();
    let start = months_before(as_of, k);
    let previous = Span {
        start: months_before(as_of, 2 * k),
        end: start,
    };
    (Span { start, end: as_of }, previous)
}

/// Fixes the periods and counts the suppliers that have enough data.
pub fn fit(
    config: &Config,
    ctx: &Ctx,
    population: &[Supplier],
) -> Result<Fitted<Model>, PluginError> {
    let (current, previous) = periods(config, ctx.as_of);
    let mut scored = 0u64;
    let mut unpromised = 0u64;
    for s in population {
        let deliveries = s.deliveries.as_deref().unwrap_or(&[]);
        unpromised += deliveries.iter().filter(|d| d.promised.is_none()).count() as u64;
        if tally(deliveries, current, ctx.as_of, config.grace_days).judged >= config.min_deliveries
        {
            scored += 1;
        }
    }
    let model = Model {
        period: config.period,
        current,
        previous,
        suppliers: population.len() as u64,
        scored,
    };
    let mut fitted = Fitted::new(model).info(format!(
        "period {} to {} (previous {} to {}); {} of {} suppliers have at least {} judged deliveries in it, the others are `{INSUFFICIENT_DATA}`",
        date(current.start),
        date(current.end - 1),
        date(previous.start),
        date(previous.end - 1),
        scored,
        population.len(),
        config.min_deliveries
    ));
    if unpromised > 0 {
        fitted = fitted.warning(format!(
            "{unpromised} deliveries have no promised date and belong to no period. Is `deliveries.promised` granted?"
        ));
    }
    Ok(fitted)
}

/// Rates a batch: one output per supplier, in batch order.
pub fn score(
    config: &Config,
    ctx: &Ctx,
    model: &Model,
    batch: &[Supplier],
) -> Result<Scored, PluginError> {
    if model.current.end != ctx.as_of || model.period != config.period {
        return Err(PluginError::new(
            "model",
            "the model was fitted for another as-of instant or period length; fit again",
        ));
    }
    let outputs = batch
        .iter()
        .map(|s| rate(config, model, ctx.as_of, s))
        .collect();
    Ok(Scored::new(outputs))
}

fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// The output of one supplier.
pub fn rate(config: &Config, model: &Model, as_of: i64, s: &Supplier) -> Output {
    let deliveries = s.deliveries.as_deref().unwrap_or(&[]);
    let now = tally(deliveries, model.current, as_of, config.grace_days);
    let before = tally(deliveries, model.previous, as_of, config.grace_days);
    let now_values = Values::of(config, &now);
    let before_values = Values::of(config, &before);
    let now_scored = (now.judged >= config.min_deliveries)
        .then(|| weigh(&config.weights, &now_values))
        .flatten();
    let before_scored = (before.judged >= config.min_deliveries)
        .then(|| weigh(&config.weights, &before_values))
        .flatten();

    let mut out = match &now_scored {
        Some((_, _, score)) => Output::new(s.subject, *score).label(config.standing(*score)),
        None => Output::new(s.subject, 0.0).label(INSUFFICIENT_DATA),
    };
    out = out
        .value("deliveries_due", f64::from(now.due))
        .value("deliveries_judged", f64::from(now.judged))
        .value("deliveries_judged_previous", f64::from(before.judged))
        .value("period_start", model.current.start as f64)
        .value("previous_period_start", model.previous.start as f64);
    for (i, c) in Criterion::ALL.iter().enumerate() {
        if let Some(v) = now_values.criteria[i] {
            out = out.value(c.name(), v);
        }
        if let Some(v) = before_values.criteria[i] {
            out = out.value(format!("{}_previous", c.name()), v);
        }
    }
    for (name, now, before) in [
        (
            "price_variance",
            now_values.price_variance,
            before_values.price_variance,
        ),
        (
            "lead_time_deviation_days",
            now_values.lead_time_deviation_days,
            before_values.lead_time_deviation_days,
        ),
        (
            "response_hours",
            now_values.response_hours,
            before_values.response_hours,
        ),
    ] {
        if let Some(v) = now {
            out = out.value(name, v);
        }
        if let Some(v) = before {
            out = out.value(format!("{name}_previous"), v);
        }
    }
    if let Some((_, _, previous)) = &before_scored {
        out = out.value("score_previous", *previous);
        if let Some((_, _, score)) = &now_scored {
            out = out.value("trend", score - previous);
        }
    }

    let Some((contributions, effective, _)) = now_scored else {
        return out.because(
            format!(
                "{} deliveries due from {} to {} were delivered or overdue, fewer than the {} needed to score",
                now.judged,
                date(model.current.start),
                date(model.current.end - 1),
                config.min_deliveries
            ),
            0.0,
        );
    };
    for (i, &c) in Criterion::ALL.iter().enumerate() {
        let label = criterion_label(config, c, &now, &now_values, effective[i]);
        out = out.because(label, contributions[i]);
    }
    out
}

fn criterion_label(config: &Config, c: Criterion, t: &Tally, v: &Values, weight: f64) -> String {
    let i = Criterion::ALL.iter().position(|&x| x == c).unwrap_or(0);
    let Some(value) = v.criteria[i] else {
        let what = match c {
            Criterion::OnTime => "no delivery judged",
            Criterion::InFull => "no delivered quantities",
            Criterion::Quality => "no accepted quantities",
            Criterion::Price => "no agreed prices",
            Criterion::LeadTime => "no delivery dates",
            Criterion::Responsiveness => "no response times",
        };
        return format!(
            "{}: {what} in the period; its weight {} is shared out",
            c.name(),
            config.weights.get(c)
        );
    };
    let what = match c {
        Criterion::OnTime => format!(
            "on time: {} of {} deliveries ({})",
            t.on_time,
            t.judged,
            percent(value)
        ),
        Criterion::InFull => format!(
            "in full: {} of {} deliveries ({})",
            t.in_full,
            t.quantified,
            percent(value)
        ),
        Criterion::Quality => format!(
            "quality: {} of {} units accepted ({})",
            t.units_accepted,
            t.units_delivered,
            percent(value)
        ),
        Criterion::Price => format!(
            "price: billed {} above agreed prices (value {value:.2})",
            percent(v.price_variance.unwrap_or(0.0))
        ),
        Criterion::LeadTime => format!(
            "lead time: {:.1} days from the promised date on average (value {value:.2})",
            v.lead_time_deviation_days.unwrap_or(0.0)
        ),
        Criterion::Responsiveness => format!(
            "responsiveness: {:.1} hours to respond on average (value {value:.2})",
            v.response_hours.unwrap_or(0.0)
        ),
    };
    format!("{what} x weight {weight:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip_over_four_centuries() {
        // 1900-01-01 to 2300-01-01, through every leap-year rule.
        let (from, to) = (days_from_civil(1900, 1, 1), days_from_civil(2300, 1, 1));
        assert_eq!(to - from, 146_097, "400 Gregorian years");
        for z in from..to {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
    }

    #[test]
    fn ramps_are_one_at_the_target_and_zero_at_the_limit() {
        let r = Ramp {
            target: 4.0,
            limit: 72.0,
        };
        assert_eq!(r.value(0.0), 1.0);
        assert_eq!(r.value(4.0), 1.0);
        assert_eq!(r.value(38.0), 0.5);
        assert_eq!(r.value(72.0), 0.0);
        assert_eq!(r.value(1e9), 0.0);
    }
}

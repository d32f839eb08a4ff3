//! Relationship health: a configurable points model over six factors of a
//! customer relationship, giving a score from 0 to 100 and a band.
//!
//! The score starts at a baseline (50) and each factor adds or takes away
//! points by bands of its measure, like the lead-scoring rules of the big
//! CRMs:
//!
//! * **recency**: whole days since the last purchase;
//! * **engagement**: weighted opens, clicks and visits in the recent window
//!   (90 days);
//! * **NPS**: the latest answer within the history window (365 days);
//! * **open tickets**: `ticket_opened` interactions without a later
//!   `ticket_closed`;
//! * **sentiment**: mean sentiment of interactions within the history window;
//! * **trend**: engagement in the recent window against the window before
//!   it, `(recent − previous) / (recent + previous)`.
//!
//! The configuration is refused unless every possible score lies within
//! 0–100, so the score is never clamped and the explanation (the baseline
//! and every factor's points, strongest positive first, then strongest
//! negative) sums to it exactly. The band comes from configurable cut-offs
//! (`thriving`, `healthy`, `at_risk`, `critical`).
//!
//! [`change_since_previous`] computes the change against this
//! installation's previous score for the customer; see `README.md` for how
//! it reaches the output.

use std::collections::BTreeMap;

use rapport_plugin_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// The plugin, exported as a `scorer`.
#[derive(Debug)]
pub struct RelationshipHealth;

impl Scorer for RelationshipHealth {
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

rapport_plugin_sdk::export_scorer!(RelationshipHealth);

// ---------------------------------------------------------------------------
// Configuration

/// Points for measures up to `up_to` (and above the previous band's).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Upper end of the band, inclusive.
    pub up_to: f64,
    /// Points for a measure in the band.
    pub points: f64,
}

/// The points of one factor: bands over its measure in ascending order, the
/// points above the last band, and the points when the measure is missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Points {
    /// Bands with strictly ascending `up_to`; a measure equal to `up_to`
    /// belongs to that band.
    pub bands: Vec<Band>,
    /// Points for a measure above the last band.
    pub above: f64,
    /// Points when the measure is missing (see each factor).
    pub missing: f64,
}

impl Points {
    fn new(bands: &[(f64, f64)], above: f64, missing: f64) -> Self {
        Self {
            bands: bands
                .iter()
                .map(|&(up_to, points)| Band { up_to, points })
                .collect(),
            above,
            missing,
        }
    }

    /// The points of a measure.
    pub fn of(&self, measure: Option<f64>) -> f64 {
        match measure {
            None => self.missing,
            Some(m) => self
                .bands
                .iter()
                .find(|b| m <= b.up_to)
                .map_or(self.above, |b| b.points),
        }
    }

    fn all(&self) -> impl Iterator<Item = f64> + '_ {
        self.bands
            .iter()
            .map(|b| b.points)
            .chain([self.above, self.missing])
    }

    fn lowest(&self) -> f64 {
        self.all().fold(f64::INFINITY, f64::min)
    }

    fn highest(&self) -> f64 {
        self.all().fold(f64::NEG_INFINITY, f64::max)
    }

    fn check(&self, factor: &str) -> Result<(), String> {
        for (i, b) in self.bands.iter().enumerate() {
            if !b.up_to.is_finite() || !b.points.is_finite() {
                return Err(format!(
                    "`factors.{factor}.bands[{i}]` must hold finite numbers"
                ));
            }
        }
        if let Some(w) = self.bands.windows(2).find(|w| w[0].up_to >= w[1].up_to) {
            return Err(format!(
                "`factors.{factor}.bands` must have strictly ascending `up_to`, but {} is followed by {}",
                w[0].up_to, w[1].up_to
            ));
        }
        if !self.above.is_finite() || !self.missing.is_finite() {
            return Err(format!(
                "`factors.{factor}.above` and `.missing` must be finite numbers"
            ));
        }
        Ok(())
    }
}

/// The six factors, in the order they are configured and reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Factor {
    /// Days since the last purchase.
    Recency,
    /// Weighted engagement in the recent window.
    Engagement,
    /// Latest NPS answer.
    Nps,
    /// Open support tickets.
    OpenTickets,
    /// Mean sentiment.
    Sentiment,
    /// Engagement trend.
    Trend,
}

impl Factor {
    /// Every factor, in order.
    pub const ALL: [Factor; 6] = [
        Factor::Recency,
        Factor::Engagement,
        Factor::Nps,
        Factor::OpenTickets,
        Factor::Sentiment,
        Factor::Trend,
    ];

    /// The factor's key in the configuration and in `points_<name>`.
    pub fn name(self) -> &'static str {
        match self {
            Factor::Recency => "recency",
            Factor::Engagement => "engagement",
            Factor::Nps => "nps",
            Factor::OpenTickets => "open_tickets",
            Factor::Sentiment => "sentiment",
            Factor::Trend => "trend",
        }
    }
}

/// The points of every factor; a factor left out keeps its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Factors {
    /// Days since the last purchase; missing without a purchase.
    #[serde(default = "d_recency")]
    pub recency: Points,
    /// Weighted engagement in the recent window; missing when the
    /// customer's interactions are not available.
    #[serde(default = "d_engagement")]
    pub engagement: Points,
    /// Latest NPS answer (0–10) in the history window; missing without one.
    #[serde(default = "d_nps")]
    pub nps: Points,
    /// Open support tickets; missing when interactions are not available.
    #[serde(default = "d_open_tickets")]
    pub open_tickets: Points,
    /// Mean sentiment (−1 to 1) in the history window; missing without any.
    #[serde(default = "d_sentiment")]
    pub sentiment: Points,
    /// `(recent − previous) / (recent + previous)` engagement, −1 to 1;
    /// missing without engagement in either window.
    #[serde(default = "d_trend")]
    pub trend: Points,
}

impl Default for Factors {
    fn default() -> Self {
        Self {
            recency: d_recency(),
            engagement: d_engagement(),
            nps: d_nps(),
            open_tickets: d_open_tickets(),
            sentiment: d_sentiment(),
            trend: d_trend(),
        }
    }
}

impl Factors {
    /// The points of `factor`.
    pub fn get(&self, factor: Factor) -> &Points {
        match factor {
            Factor::Recency => &self.recency,
            Factor::Engagement => &self.engagement,
            Factor::Nps => &self.nps,
            Factor::OpenTickets => &self.open_tickets,
            Factor::Sentiment => &self.sentiment,
            Factor::Trend => &self.trend,
        }
    }
}

fn d_recency() -> Points {
    Points::new(
        &[(30.0, 15.0), (90.0, 8.0), (180.0, 0.0), (365.0, -8.0)],
        -15.0,
        -15.0,
    )
}
fn d_engagement() -> Points {
    Points::new(
        &[(0.0, -5.0), (2.0, 0.0), (6.0, 5.0), (12.0, 10.0)],
        15.0,
        -5.0,
    )
}
fn d_nps() -> Points {
    Points::new(&[(6.0, -10.0), (8.0, 0.0)], 10.0, 0.0)
}
fn d_open_tickets() -> Points {
    Points::new(&[(0.0, 0.0), (1.0, -5.0)], -10.0, 0.0)
}
fn d_sentiment() -> Points {
    Points::new(&[(-0.5, -5.0), (-0.1, -2.0), (0.3, 0.0)], 5.0, 0.0)
}
fn d_trend() -> Points {
    Points::new(
        &[(-0.5, -5.0), (-0.1, -2.0), (0.1, 0.0), (0.5, 3.0)],
        5.0,
        0.0,
    )
}

/// A health band: scores at or above `min` (and below the previous band's
/// `min`) get `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthBand {
    /// The band, the output's label.
    pub name: String,
    /// Lowest score of the band.
    pub min: f64,
}

fn d_bands() -> Vec<HealthBand> {
    [
        ("thriving", 75.0),
        ("healthy", 55.0),
        ("at_risk", 35.0),
        ("critical", 0.0),
    ]
    .map(|(name, min)| HealthBand {
        name: name.to_owned(),
        min,
    })
    .to_vec()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "d_baseline")]
    baseline: f64,
    #[serde(default = "d_recent_window")]
    recent_window_days: f64,
    #[serde(default = "d_history_window")]
    history_window_days: f64,
    #[serde(default = "d_engagement_weights")]
    engagement_weights: BTreeMap<String, f64>,
    #[serde(default)]
    factors: Factors,
    #[serde(default = "d_bands")]
    bands: Vec<HealthBand>,
}

fn d_baseline() -> f64 {
    50.0
}
fn d_recent_window() -> f64 {
    90.0
}
fn d_history_window() -> f64 {
    365.0
}
fn d_engagement_weights() -> BTreeMap<String, f64> {
    [
        ("email_open", 1.0),
        ("email_click", 2.0),
        ("web_visit", 1.0),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .into_iter()
    .collect()
}

/// The validated configuration (see `config.schema.json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct Config {
    /// Points every customer starts from.
    pub baseline: f64,
    /// Length of the recent engagement window (and of the window before it
    /// that the trend compares with), in days.
    pub recent_window_days: f64,
    /// Look-back of NPS and sentiment, in days.
    pub history_window_days: f64,
    /// Engagement points per interaction kind.
    pub engagement_weights: BTreeMap<String, f64>,
    /// Points of every factor.
    pub factors: Factors,
    /// Health bands, by descending `min`; the last starts at 0.
    pub bands: Vec<HealthBand>,
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

    /// The band of a score in `[0, 100]`.
    pub fn band(&self, score: f64) -> &str {
        self.bands
            .iter()
            .find(|b| score >= b.min)
            .or(self.bands.last())
            .map_or("", |b| b.name.as_str())
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
        for (key, v) in [
            ("recent_window_days", raw.recent_window_days),
            ("history_window_days", raw.history_window_days),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!(
                    "`{key}` must be a positive number of days, got {v}"
                ));
            }
        }
        if !(0.0..=100.0).contains(&raw.baseline) {
            return Err(format!(
                "`baseline` must be between 0 and 100, got {}",
                raw.baseline
            ));
        }
        if raw.engagement_weights.is_empty() {
            return Err(
                "`engagement_weights` must give points to at least one interaction kind".into(),
            );
        }
        if let Some((k, v)) = raw
            .engagement_weights
            .iter()
            .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
        {
            return Err(format!(
                "`engagement_weights.{k}` must be a finite number of at least 0, got {v}"
            ));
        }
        for f in Factor::ALL {
            raw.factors.get(f).check(f.name())?;
        }
        let parts = |pick: fn(&Points) -> f64| -> (f64, String) {
            let mut total = raw.baseline;
            let mut text = format!("baseline {}", raw.baseline);
            for f in Factor::ALL {
                let p = pick(raw.factors.get(f));
                total += p;
                text.push_str(&format!(" + {} {p}", f.name()));
            }
            (total, text)
        };
        let (low, low_text) = parts(Points::lowest);
        if low < -1e-9 {
            return Err(format!(
                "the points can take the score down to {low} ({low_text}, the lowest of each factor); the score must stay within 0-100, so raise the baseline or the lowest points"
            ));
        }
        let (high, high_text) = parts(Points::highest);
        if high > 100.0 + 1e-9 {
            return Err(format!(
                "the points can take the score up to {high} ({high_text}, the highest of each factor); the score must stay within 0-100, so lower the baseline or the highest points"
            ));
        }
        check_bands(&raw.bands)?;
        Ok(Config {
            baseline: raw.baseline,
            recent_window_days: raw.recent_window_days,
            history_window_days: raw.history_window_days,
            engagement_weights: raw.engagement_weights,
            factors: raw.factors,
            bands: raw.bands,
        })
    }
}

fn check_bands(bands: &[HealthBand]) -> Result<(), String> {
    if bands.is_empty() {
        return Err("`bands` must list at least one band".into());
    }
    for (i, b) in bands.iter().enumerate() {
        if !valid_name(&b.name) {
            return Err(format!(
                "`bands[{i}].name` must be 1 to 64 characters of lowercase letters, digits and `_`, starting with a letter, got {:?}",
                b.name
            ));
        }
        if bands[..i].iter().any(|o| o.name == b.name) {
            return Err(format!("`bands[{i}].name` repeats the band `{}`", b.name));
        }
        if !(0.0..=100.0).contains(&b.min) {
            return Err(format!(
                "`bands[{i}].min` of band `{}` must be between 0 and 100, got {}",
                b.name, b.min
            ));
        }
    }
    if let Some(w) = bands.windows(2).find(|w| w[0].min <= w[1].min) {
        return Err(format!(
            "`bands` must have strictly descending `min`, but `{}` ({}) is followed by `{}` ({})",
            w[0].name, w[0].min, w[1].name, w[1].min
        ));
    }
    if let Some(last) = bands.last().filter(|b| b.min != 0.0) {
        return Err(format!(
            "the last band (`{}`) must start at 0 so that every score has a band, got {}",
            last.name, last.min
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Measures

/// What the plugin measures for one customer; `None` is a missing measure.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Measures {
    /// Whole days since the last purchase.
    pub recency_days: Option<f64>,
    /// Weighted engagement in the recent window.
    pub engagement: Option<f64>,
    /// Weighted engagement in the window before.
    pub engagement_previous: Option<f64>,
    /// `(recent − previous) / (recent + previous)`.
    pub trend: Option<f64>,
    /// Latest NPS answer in the history window.
    pub nps: Option<f64>,
    /// Open support tickets.
    pub open_tickets: Option<f64>,
    /// Mean sentiment in the history window.
    pub sentiment: Option<f64>,
    /// Interactions the mean sentiment is over.
    pub sentiment_count: u32,
}

impl Measures {
    /// The measure of `factor`.
    pub fn get(&self, factor: Factor) -> Option<f64> {
        match factor {
            Factor::Recency => self.recency_days,
            Factor::Engagement => self.engagement,
            Factor::Nps => self.nps,
            Factor::OpenTickets => self.open_tickets,
            Factor::Sentiment => self.sentiment,
            Factor::Trend => self.trend,
        }
    }
}

/// Counts of records read with a fallback, reported as warnings.
#[derive(Debug, Default)]
struct Oddities {
    undated_interactions: u64,
    future_purchase: u64,
}

impl Oddities {
    fn warnings(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if self.undated_interactions > 0 {
            out.push(Diagnostic::warning(format!(
                "{} interactions have no date and are left out. Is `interactions.at` granted?",
                self.undated_interactions
            )));
        }
        if self.future_purchase > 0 {
            out.push(Diagnostic::warning(format!(
                "{} customers have a last purchase after the run's as-of instant; their recency counts as 0 days",
                self.future_purchase
            )));
        }
        out
    }
}

/// Measures one customer as of `ctx.as_of`.
fn measure(config: &Config, ctx: &Ctx, c: &Customer, odd: &mut Oddities) -> Measures {
    let mut m = Measures {
        recency_days: c.purchases.last.map(|last| {
            let d = ctx.whole_days_since(last);
            if d < 0 {
                odd.future_purchase += 1;
            }
            d.max(0) as f64
        }),
        ..Measures::default()
    };
    let Some(interactions) = &c.interactions else {
        return m;
    };
    let day = DAY as f64;
    let as_of = ctx.as_of as f64;
    let recent_start = as_of - config.recent_window_days * day;
    let previous_start = recent_start - config.recent_window_days * day;
    let history_start = as_of - config.history_window_days * day;
    let (mut recent, mut previous) = (0.0, 0.0);
    let mut latest_nps: Option<(i64, f64)> = None;
    let (mut sentiment_sum, mut sentiment_n) = (0.0, 0u32);
    // Ticket events as (instant, 0 = opened / 1 = closed): sorting puts an
    // opening before a closing at the same instant, so that closing counts.
    let mut tickets: Vec<(i64, u8)> = Vec::new();
    for i in interactions {
        let Some(at) = i.at else {
            odd.undated_interactions += 1;
            continue;
        };
        if at > ctx.as_of {
            continue;
        }
        let t = at as f64;
        let kind = i.kind.as_deref().unwrap_or("");
        if let Some(w) = config.engagement_weights.get(kind) {
            if t > recent_start {
                recent += w;
            } else if t > previous_start {
                previous += w;
            }
        }
        match kind {
            "ticket_opened" => tickets.push((at, 0)),
            "ticket_closed" => tickets.push((at, 1)),
            _ => {}
        }
        if t > history_start {
            if let Some(nps) = i.nps {
                if latest_nps.is_none_or(|(when, _)| at >= when) {
                    latest_nps = Some((at, nps as f64));
                }
            }
            if let Some(s) = i.sentiment.filter(|s| s.is_finite()) {
                sentiment_sum += s;
                sentiment_n += 1;
            }
        }
    }
    m.engagement = Some(recent);
    m.engagement_previous = Some(previous);
    m.trend = (recent + previous > 0.0).then(|| (recent - previous) / (recent + previous));
    m.nps = latest_nps.map(|(_, v)| v);
    m.open_tickets = Some(open_tickets(&mut tickets));
    m.sentiment = (sentiment_n > 0).then(|| sentiment_sum / f64::from(sentiment_n));
    m.sentiment_count = sentiment_n;
    m
}

/// Tickets opened without a later closing: in time order, each
/// `ticket_closed` closes one ticket still open (a closing with none open
/// is ignored). Interactions carry no ticket id, so closings are matched by
/// time alone; the count does not depend on which open ticket a closing is
/// matched to.
pub fn open_tickets(events: &mut [(i64, u8)]) -> f64 {
    events.sort_unstable();
    let mut open = 0u32;
    for &(_, kind) in events.iter() {
        if kind == 0 {
            open += 1;
        } else {
            open = open.saturating_sub(1);
        }
    }
    f64::from(open)
}

// ---------------------------------------------------------------------------
// Model, score and change

/// `fit` learns nothing (the points are configured); the model only counts
/// what the population held, for the operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Customers in the fit population.
    pub customers: u64,
    /// Of those, customers whose interactions were available.
    pub with_interactions: u64,
}

/// Counts the population; warns when no interactions were granted.
pub fn fit(
    _config: &Config,
    _ctx: &Ctx,
    population: &[Customer],
) -> Result<Fitted<Model>, PluginError> {
    let with_interactions = population
        .iter()
        .filter(|c| c.interactions.is_some())
        .count() as u64;
    let model = Model {
        customers: population.len() as u64,
        with_interactions,
    };
    let mut fitted = Fitted::new(model).info(format!(
        "{} customers, {} with interactions",
        population.len(),
        with_interactions
    ));
    if with_interactions == 0 && !population.is_empty() {
        fitted = fitted.warning(
            "no customer came with interactions, so engagement, NPS, tickets, sentiment and trend score their `missing` points. Are the `interactions.*` fields granted?",
        );
    }
    Ok(fitted)
}

/// Scores a batch: one output per customer, in batch order.
///
/// The installation's previous score for each customer arrives as
/// `previous.score` (granted by the manifest); a customer the previous run
/// did not score, or the first run, has none and `change_since_previous` is
/// absent.
pub fn score(
    config: &Config,
    ctx: &Ctx,
    _model: &Model,
    batch: &[Customer],
) -> Result<Scored, PluginError> {
    let mut odd = Oddities::default();
    let outputs = batch
        .iter()
        .map(|c| {
            let previous = c.previous.as_ref().and_then(|p| p.score);
            assess(
                config,
                c.subject,
                &measure(config, ctx, c, &mut odd),
                previous,
            )
        })
        .collect();
    let mut scored = Scored::new(outputs);
    scored.diagnostics.extend(odd.warnings());
    Ok(scored)
}

/// The change of the score since the previous run: `score − previous`, or
/// `None` without a (finite) previous score, e.g. on the first run or for a
/// customer the previous run did not score.
pub fn change_since_previous(score: f64, previous: Option<f64>) -> Option<f64> {
    previous.filter(|p| p.is_finite()).map(|p| score - p)
}

/// The output for one customer from their measures and their previous
/// score, if any.
pub fn assess(config: &Config, subject: u64, m: &Measures, previous: Option<f64>) -> Output {
    let mut terms: Vec<(Factor, f64)> = Factor::ALL
        .iter()
        .map(|&f| (f, config.factors.get(f).of(m.get(f))))
        .collect();
    // Strongest positive first, then strongest negative, then the factors
    // that gave nothing; a stable sort keeps the factor order among equals.
    terms.sort_by(|a, b| {
        let rank = |p: f64| {
            if p > 0.0 {
                0
            } else if p < 0.0 {
                1
            } else {
                2
            }
        };
        rank(a.1)
            .cmp(&rank(b.1))
            .then_with(|| b.1.abs().total_cmp(&a.1.abs()))
    });
    // The score is the sum in explanation order, so the explanation adds up
    // to it exactly.
    let score = terms.iter().fold(config.baseline, |acc, (_, p)| acc + p);
    let mut out = Output::new(subject, score).label(config.band(score));
    for f in Factor::ALL {
        if let Some(v) = m.get(f) {
            out = out.value(measure_name(f), v);
        }
    }
    if let Some(p) = m.engagement_previous {
        out = out.value("engagement_previous", p);
    }
    for &(f, p) in terms.iter() {
        out = out.value(format!("points_{}", f.name()), p);
    }
    if let Some(change) = change_since_previous(score, previous) {
        out = out.value("change_since_previous", change);
    }
    out = out.because(
        format!("baseline of {} points", config.baseline),
        config.baseline,
    );
    for (f, p) in terms {
        out = out.because(factor_label(config, f, m), p);
    }
    out
}

/// `"1 customer"`, `"3 customers"`: a count with its noun.
fn count(n: impl Into<u64>, noun: &str) -> String {
    match n.into() {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

fn measure_name(f: Factor) -> &'static str {
    match f {
        Factor::Recency => "recency_days",
        Factor::Engagement => "engagement",
        Factor::Nps => "nps",
        Factor::OpenTickets => "open_tickets",
        Factor::Sentiment => "sentiment",
        Factor::Trend => "trend",
    }
}

fn factor_label(config: &Config, f: Factor, m: &Measures) -> String {
    let recent = config.recent_window_days;
    let history = config.history_window_days;
    match (f, m.get(f)) {
        (Factor::Recency, Some(0.0)) => "last purchase today".into(),
        (Factor::Recency, Some(1.0)) => "last purchase 1 day ago".into(),
        (Factor::Recency, Some(d)) => format!("last purchase {d} days ago"),
        (Factor::Recency, None) => "no purchase yet".into(),
        (Factor::Engagement, Some(e)) => {
            format!("{e} engagement points (opens, clicks, visits) in the last {recent} days")
        }
        (Factor::Engagement, None) => "no interactions available".into(),
        (Factor::Nps, Some(n)) => {
            let kind = if n >= 9.0 {
                "promoter"
            } else if n >= 7.0 {
                "passive"
            } else {
                "detractor"
            };
            format!("latest NPS answer {n} ({kind})")
        }
        (Factor::Nps, None) => format!("no NPS answer in the last {history} days"),
        (Factor::OpenTickets, Some(0.0)) => "no open support ticket".into(),
        (Factor::OpenTickets, Some(1.0)) => "1 open support ticket".into(),
        (Factor::OpenTickets, Some(n)) => format!("{n} open support tickets"),
        (Factor::OpenTickets, None) => "support tickets not available".into(),
        (Factor::Sentiment, Some(s)) => format!(
            "mean sentiment {s:.2} over {} in the last {history} days",
            count(m.sentiment_count, "interaction")
        ),
        (Factor::Sentiment, None) => format!("no sentiment recorded in the last {history} days"),
        (Factor::Trend, Some(t)) => {
            let way = if t > 0.0 {
                "rising"
            } else if t < 0.0 {
                "falling"
            } else {
                "steady"
            };
            format!(
                "engagement {way}: {} points in the last {recent} days against {} in the {recent} days before (trend {t:+.2})",
                m.engagement.unwrap_or(0.0),
                m.engagement_previous.unwrap_or(0.0)
            )
        }
        (Factor::Trend, None) => format!("no engagement in the last {} days", 2.0 * recent),
    }
}

/// Measures one customer; public so that tests and tools can see what the
/// points are given for.
pub fn measures(config: &Config, ctx: &Ctx, c: &Customer) -> Measures {
    measure(config, ctx, c, &mut Oddities::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_is_the_difference_to_a_finite_previous_score() {
        assert_eq!(change_since_previous(62.0, Some(70.0)), Some(-8.0));
        assert_eq!(change_since_previous(62.0, Some(50.5)), Some(11.5));
        assert_eq!(change_since_previous(62.0, None), None);
        assert_eq!(change_since_previous(62.0, Some(f64::NAN)), None);
    }

    #[test]
    fn closings_close_only_tickets_already_open() {
        // open, close, close (nothing open: ignored), open, open at 5 and a
        // close at the same instant 5 (counts).
        let mut ev = vec![(1, 0), (2, 1), (3, 1), (4, 0), (5, 0), (5, 1)];
        assert_eq!(open_tickets(&mut ev), 1.0);
        let mut only_closed = vec![(1, 1), (2, 1)];
        assert_eq!(open_tickets(&mut only_closed), 0.0);
    }

    #[test]
    fn the_default_points_span_exactly_zero_to_one_hundred() {
        let c = Config::default();
        let low: f64 = c.baseline
            + Factor::ALL
                .iter()
                .map(|&f| c.factors.get(f).lowest())
                .sum::<f64>();
        let high: f64 = c.baseline
            + Factor::ALL
                .iter()
                .map(|&f| c.factors.get(f).highest())
                .sum::<f64>();
        assert_eq!((low, high), (0.0, 100.0));
    }
}

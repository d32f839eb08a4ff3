//! The plugin's configuration: time unit, horizons, discounting, penalty,
//! optimiser limits and bands, validated as it is parsed so that a bad
//! configuration is a `config` error naming the key before any customer is
//! read.

use serde::{Deserialize, Serialize};

/// A unit of time. A month is 365.25 / 12 = 30.4375 days and a year 365.25
/// days; nothing else is implied (a "month" is never 30 units of whatever
/// the data happens to be in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    Day,
    Week,
    Month,
    Year,
}

impl TimeUnit {
    /// Length in days.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
            TimeUnit::Month => 365.25 / 12.0,
            TimeUnit::Year => 365.25,
        }
    }

    /// Plural name for labels ("weeks").
    pub fn plural(self) -> &'static str {
        match self {
            TimeUnit::Day => "days",
            TimeUnit::Week => "weeks",
            TimeUnit::Month => "months",
            TimeUnit::Year => "years",
        }
    }

    /// How many of `self` make one `other` (e.g. weeks per month).
    pub fn per(self, other: TimeUnit) -> f64 {
        other.days() / self.days()
    }
}

/// The discounted lifetime value's horizon and discounting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClvConfig {
    /// The period the discount rate is stated per, and the step of the sum.
    #[serde(default = "default_clv_period")]
    pub period: TimeUnit,
    /// How many periods the value is summed over.
    #[serde(default = "default_clv_periods")]
    pub periods: u32,
    /// Discount rate per period: purchases in period k are discounted by
    /// `(1 + rate)^-k`.
    #[serde(default = "default_discount_rate")]
    pub discount_rate: f64,
}

impl Default for ClvConfig {
    fn default() -> Self {
        Self {
            period: default_clv_period(),
            periods: default_clv_periods(),
            discount_rate: default_discount_rate(),
        }
    }
}

fn default_clv_period() -> TimeUnit {
    TimeUnit::Month
}
fn default_clv_periods() -> u32 {
    12
}
fn default_discount_rate() -> f64 {
    0.01
}

/// Optimiser limits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimizerConfig {
    /// Most BFGS iterations per model (Nelder–Mead, if needed, gets 20 times
    /// as many).
    #[serde(default = "default_max_iterations")]
    pub max_iterations: u32,
    /// Converged when every component of the gradient of the mean negative
    /// log-likelihood with respect to the log-parameters is at most this.
    #[serde(default = "default_gradient_tolerance")]
    pub gradient_tolerance: f64,
    /// Refuse to score (error code `convergence`) instead of warning when a
    /// fit does not converge.
    #[serde(default)]
    pub require_convergence: bool,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self {
            max_iterations: default_max_iterations(),
            gradient_tolerance: default_gradient_tolerance(),
            require_convergence: false,
        }
    }
}

fn default_max_iterations() -> u32 {
    200
}
fn default_gradient_tolerance() -> f64 {
    1e-8
}

/// How the band cut points are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BandsBy {
    /// Cut points are quantiles (0 < q < 1) of the population's lifetime
    /// values, learned at fit.
    Quantile,
    /// Cut points are lifetime values in money.
    Value,
}

/// Bands of the lifetime value, the output's label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bands {
    pub by: BandsBy,
    /// Strictly ascending cut points; a value equal to a cut point belongs
    /// to the band below it.
    pub cuts: Vec<f64>,
    /// One more label than cut points, lowest band first.
    pub labels: Vec<String>,
}

impl Default for Bands {
    fn default() -> Self {
        Self {
            by: BandsBy::Quantile,
            cuts: vec![0.5, 0.8, 0.95],
            labels: ["low", "medium", "high", "top"].map(String::from).to_vec(),
        }
    }
}

/// The configuration as written in JSON, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "default_time_unit")]
    time_unit: TimeUnit,
    #[serde(default = "default_expected_horizon")]
    expected_purchases_horizon: f64,
    #[serde(default = "default_churn_horizon")]
    churn_horizon: f64,
    #[serde(default)]
    clv: ClvConfig,
    #[serde(default)]
    penalty: f64,
    #[serde(default)]
    optimizer: OptimizerConfig,
    #[serde(default)]
    bands: Bands,
}

fn default_time_unit() -> TimeUnit {
    TimeUnit::Week
}
fn default_expected_horizon() -> f64 {
    52.0
}
fn default_churn_horizon() -> f64 {
    26.0
}

/// The validated configuration. Every key is optional; see `README.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct Config {
    /// The unit the model is fitted in: t_x, T, α and both horizons below.
    pub time_unit: TimeUnit,
    /// Horizon of `expected_purchases`, in `time_unit`.
    pub expected_purchases_horizon: f64,
    /// Horizon of `churn_risk` (probability of no purchase within it), in
    /// `time_unit`.
    pub churn_horizon: f64,
    pub clv: ClvConfig,
    /// Weight of the L2 penalty `Σ (ln θ)²` on the log-parameters, added to
    /// the mean negative log-likelihood per customer (0 = plain maximum
    /// likelihood).
    pub penalty: f64,
    pub optimizer: OptimizerConfig,
    pub bands: Bands,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            time_unit: default_time_unit(),
            expected_purchases_horizon: default_expected_horizon(),
            churn_horizon: default_churn_horizon(),
            clv: ClvConfig::default(),
            penalty: 0.0,
            optimizer: OptimizerConfig::default(),
            bands: Bands::default(),
        }
    }
}

/// Longest horizon accepted, in days (a century): beyond it the
/// expectations lose meaning and the series slow down.
const MAX_HORIZON_DAYS: f64 = 36_525.0;

impl TryFrom<RawConfig> for Config {
    type Error = String;
    fn try_from(raw: RawConfig) -> Result<Self, String> {
        let unit = raw.time_unit;
        for (key, h) in [
            ("expected_purchases_horizon", raw.expected_purchases_horizon),
            ("churn_horizon", raw.churn_horizon),
        ] {
            if !(h.is_finite() && h > 0.0) {
                return Err(format!(
                    "`{key}` must be a positive number of {}, got {h}",
                    unit.plural()
                ));
            }
            if h * unit.days() > MAX_HORIZON_DAYS {
                return Err(format!(
                    "`{key}` of {h} {} is longer than a century",
                    unit.plural()
                ));
            }
        }
        let clv = raw.clv;
        if clv.periods == 0 {
            return Err("`clv.periods` must be at least 1".into());
        }
        if f64::from(clv.periods) * clv.period.days() > MAX_HORIZON_DAYS {
            return Err(format!(
                "`clv.periods` of {} {} is longer than a century",
                clv.periods,
                clv.period.plural()
            ));
        }
        if !(clv.discount_rate.is_finite() && (0.0..=1.0).contains(&clv.discount_rate)) {
            return Err(format!(
                "`clv.discount_rate` must be between 0 and 1 per {}, got {}",
                clv.period.plural().trim_end_matches('s'),
                clv.discount_rate
            ));
        }
        if !(raw.penalty.is_finite() && raw.penalty >= 0.0) {
            return Err(format!("`penalty` must be 0 or more, got {}", raw.penalty));
        }
        let o = raw.optimizer;
        if !(1..=100_000).contains(&o.max_iterations) {
            return Err(format!(
                "`optimizer.max_iterations` must be between 1 and 100000, got {}",
                o.max_iterations
            ));
        }
        if !(o.gradient_tolerance.is_finite()
            && o.gradient_tolerance > 0.0
            && o.gradient_tolerance <= 1e-2)
        {
            return Err(format!(
                "`optimizer.gradient_tolerance` must be greater than 0 and at most 0.01, got {}",
                o.gradient_tolerance
            ));
        }
        check_bands(&raw.bands)?;
        Ok(Self {
            time_unit: unit,
            expected_purchases_horizon: raw.expected_purchases_horizon,
            churn_horizon: raw.churn_horizon,
            clv,
            penalty: raw.penalty,
            optimizer: o,
            bands: raw.bands,
        })
    }
}

fn check_bands(b: &Bands) -> Result<(), String> {
    if b.labels.len() != b.cuts.len() + 1 {
        return Err(format!(
            "`bands.labels` must have one more entry than `bands.cuts` ({} cuts, so {} labels), got {}",
            b.cuts.len(),
            b.cuts.len() + 1,
            b.labels.len()
        ));
    }
    if let Some(c) = b.cuts.iter().find(|c| !c.is_finite()) {
        return Err(format!("`bands.cuts` has a non-finite cut point {c}"));
    }
    if let Some(w) = b.cuts.windows(2).find(|w| w[0] >= w[1]) {
        return Err(format!(
            "`bands.cuts` must be strictly ascending, but {} is followed by {}",
            w[0], w[1]
        ));
    }
    if b.by == BandsBy::Quantile {
        if let Some(c) = b.cuts.iter().find(|c| !(**c > 0.0 && **c < 1.0)) {
            return Err(format!(
                "`bands.cuts` are quantiles when `bands.by` is \"quantile\" and must lie strictly between 0 and 1, got {c}"
            ));
        }
    }
    for (i, l) in b.labels.iter().enumerate() {
        let mut chars = l.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && l.len() <= 64
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(format!(
                "`bands.labels[{i}]` must be 1 to 64 characters of lowercase letters, digits and `_`, starting with a letter, got {l:?}"
            ));
        }
    }
    Ok(())
}

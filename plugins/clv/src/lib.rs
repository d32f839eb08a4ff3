//! Customer lifetime value: the BG/NBD model of repeat purchasing and
//! dropout (Fader, Hardie & Lee 2005) with the Gamma-Gamma model of spend
//! (Fader & Hardie 2013), both fitted by maximum likelihood on the tenant's
//! population, in pure Rust.
//!
//! * [`summary`]: per customer (x, t_x, T, z̄) from `transactions.at` and
//!   `transactions.amount`, purchases aggregated per calendar day.
//! * [`bgnbd`], [`gamma_gamma`]: likelihoods with analytic gradients,
//!   expectations, P(alive), the probability of no purchase.
//! * [`optim`]: BFGS on log-parameters with a Nelder–Mead fallback.
//! * [`value`]: the discounted lifetime value and its Shapley explanation.
//! * [`config`]: the validated configuration.
//!
//! `fit` summarises the population, fits both models, picks the reference
//! ("typical") customer and learns the band cut points; `score` turns each
//! customer into `expected_purchases`, `p_alive`, `expected_spend`, `clv`
//! and `churn_risk`, with the score = `clv`, a band as label and an
//! explanation that sums to the score. See `README.md` for the formulas.

pub mod bgnbd;
pub mod config;
pub mod fx;
pub mod gamma_gamma;
pub mod optim;
pub mod special;
pub mod summary;
pub mod table;
pub mod value;

use rapport_plugin_sdk::prelude::*;
use serde::{Deserialize, Serialize};

pub use bgnbd::{BgNbd, History};
pub use config::{Bands, BandsBy, Config, TimeUnit};
pub use gamma_gamma::GammaGamma;
pub use rapport_plugin_sdk::text::push_fixed;
pub use summary::Summary;
pub use value::{Factors, Valuer};

/// The label of customers without a purchase up to the "as of" instant.
pub const NO_PURCHASE: &str = "no_purchase";

/// Fewest repeat customers with a positive spend the Gamma-Gamma fit needs.
pub const MIN_SPENDERS: usize = 2;

/// Most customers whose lifetime value is computed at fit to learn
/// quantile band cut points; larger populations are sampled evenly.
pub const BAND_SAMPLE: usize = 20_000;

/// The plugin, exported as a `scorer`.
#[derive(Debug)]
pub struct Clv;

impl Scorer for Clv {
    type Config = Config;
    type Model = ClvModel;

    fn fit(
        config: &Config,
        ctx: &Ctx,
        population: &[Customer],
    ) -> Result<Fitted<ClvModel>, PluginError> {
        fit(config, ctx, population)
    }

    fn score(
        config: &Config,
        ctx: &Ctx,
        model: &ClvModel,
        batch: &[Customer],
    ) -> Result<Scored, PluginError> {
        score(config, ctx, model, batch)
    }

    fn fit_batch(
        config: &Config,
        ctx: &Ctx,
        population: CustomerBatch<'_>,
    ) -> Result<Fitted<ClvModel>, PluginError> {
        fit_batch(config, ctx, &population)
    }

    fn score_batch(
        config: &Config,
        ctx: &Ctx,
        model: &ClvModel,
        batch: CustomerBatch<'_>,
    ) -> Result<ScoredBatch, PluginError> {
        score_batch(config, ctx, model, &batch)
    }

    fn encode_model(model: &ClvModel) -> Result<Vec<u8>, PluginError> {
        model.to_bytes()
    }

    fn decode_model(bytes: &[u8]) -> Result<ClvModel, PluginError> {
        ClvModel::from_bytes(bytes)
    }
}

rapport_plugin_sdk::export_scorer!(Clv);

/// How one model's fit went: kept in the model and shown as diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Customers the model was fitted on.
    pub customers: u64,
    /// Distinct histories after merging identical ones.
    pub distinct: u64,
    /// Total log-likelihood at the estimate (without the penalty), in the
    /// model's time unit for BG/NBD.
    pub log_likelihood: f64,
    /// Optimiser iterations (BFGS, plus Nelder–Mead if it ran).
    pub iterations: u32,
    /// Objective evaluations.
    pub evaluations: u32,
    /// Largest absolute gradient component of the objective (mean negative
    /// log-likelihood plus penalty) in log-parameters, at the estimate.
    pub gradient_norm: f64,
    pub converged: bool,
    /// `bfgs` or `nelder-mead`.
    pub method: String,
    /// BFGS iterations and evaluations on thinned subsamples that the fit
    /// started from, the smallest first: of the distinct histories
    /// (BG/NBD) or the distinct (x, z̄) (Gamma-Gamma), when there are
    /// many; the counts above are those on all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warm_starts: Vec<WarmStartReport>,
}

/// What each fit's warm starts subsample, in its diagnostics.
const HISTORIES: &str = "distinct histories";
const SPENDS: &str = "distinct (x, mean spend)";

/// See [`FitReport::warm_starts`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarmStartReport {
    /// Distinct histories (BG/NBD) or (x, z̄) (Gamma-Gamma) in the
    /// subsample.
    pub distinct: u64,
    pub iterations: u32,
    pub evaluations: u32,
}

/// The reports of a fit's warm-start stages.
fn warm_reports(stages: &[optim::WarmStart]) -> Vec<WarmStartReport> {
    stages
        .iter()
        .map(|w| WarmStartReport {
            distinct: w.distinct as u64,
            iterations: w.iterations,
            evaluations: w.evaluations,
        })
        .collect()
}

impl FitReport {
    fn new(customers: f64, distinct: usize, ll: f64, r: &optim::Report) -> Self {
        Self {
            customers: customers as u64,
            distinct: distinct as u64,
            log_likelihood: ll,
            iterations: r.iterations,
            evaluations: r.evaluations,
            gradient_norm: r.gradient_norm,
            converged: r.converged,
            method: r.method.as_str().to_owned(),
            warm_starts: Vec::new(),
        }
    }

    /// The report in words; `of` names what the warm starts subsampled
    /// (the distinct histories of BG/NBD, the distinct (x, z̄) of
    /// Gamma-Gamma).
    fn describe(&self, of: &str) -> String {
        let warm = if self.warm_starts.is_empty() {
            String::new()
        } else {
            let on: Vec<String> = self
                .warm_starts
                .iter()
                .map(|w| w.distinct.to_string())
                .collect();
            let its: Vec<String> = self
                .warm_starts
                .iter()
                .map(|w| w.iterations.to_string())
                .collect();
            format!(
                ", from warm starts on {} of the {of} ({} iterations)",
                on.join(" then "),
                its.join(" then ")
            )
        };
        format!(
            "log-likelihood {:.4}, {} iterations ({}), gradient norm {:.2e}, {}{warm}",
            self.log_likelihood,
            self.iterations,
            self.method,
            self.gradient_norm,
            if self.converged {
                "converged"
            } else {
                "NOT converged"
            }
        )
    }
}

/// What `fit` learns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvModel {
    /// The configuration the model was fitted with; `score` refuses another.
    pub config: Config,
    pub bgnbd: BgNbd,
    pub bgnbd_fit: FitReport,
    pub gamma_gamma: GammaGamma,
    pub gamma_gamma_fit: FitReport,
    /// The typical customer the explanation is relative to.
    pub reference: Factors,
    /// D(x, T) of the reference customer.
    pub reference_discounted: f64,
    /// The reference customer's lifetime value, the explanation's baseline.
    pub reference_clv: f64,
    /// Band cut points in money, ascending.
    pub band_cuts: Vec<f64>,
    /// D(x, T) and H(x, T, horizon) of the population's (x, T) and of the
    /// pairs the explanation needs, so that `score` need not compute them
    /// (empty when the population has more than [`table::MAX_ENTRIES`]).
    /// Not part of the JSON: it travels after it in the model's bytes (see
    /// [`ClvModel::to_bytes`]).
    #[serde(skip)]
    pub at_age: table::AgeTable,
    /// r, α, a, b, p, q, γ and the band cut points bit for bit (see
    /// [`table::Bits`]); `score` uses these, the readable fields above are
    /// for people.
    #[serde(default)]
    pub exact: table::Bits,
}

/// The first bytes of every model `fit` writes, with the layout's version.
pub const MODEL_MAGIC: &[u8; 8] = b"rclv\0\0\0\x01";

impl ClvModel {
    /// The model as every `score` call receives it: [`MODEL_MAGIC`], the
    /// length of the JSON part (4 bytes, little-endian), the model as JSON
    /// (readable, apart from the numbers kept bit for bit), then the (x, T)
    /// table in binary ([`table::AgeTable::write`]), which each call copies
    /// instead of parsing.
    pub fn to_bytes(&self) -> Result<Vec<u8>, PluginError> {
        let json = rapport_plugin_sdk::run::encode_model(self)?;
        let len = u32::try_from(json.len()).map_err(|_| {
            PluginError::new(
                "model",
                format!(
                    "the model's JSON part is {} bytes, more than 4 GiB",
                    json.len()
                ),
            )
        })?;
        let mut out = Vec::with_capacity(
            MODEL_MAGIC.len() + 4 + json.len() + self.at_age.len() * table::AgeTable::ENTRY_BYTES,
        );
        out.extend_from_slice(MODEL_MAGIC);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&json);
        self.at_age.write(&mut out);
        Ok(out)
    }

    /// Reads what [`Self::to_bytes`] wrote; an error with code `model`
    /// saying what is wrong otherwise.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PluginError> {
        let wrong = |what: &str| {
            PluginError::new(
                "model",
                format!("the model handed to `score` is not one this plugin's `fit` wrote: {what}; fit again"),
            )
        };
        let rest = bytes
            .strip_prefix(MODEL_MAGIC.as_slice())
            .ok_or_else(|| wrong("it does not start with the `clv` model header"))?;
        let (len, rest) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| wrong("it ends inside its header"))?;
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return Err(wrong(&format!(
                "its JSON part should be {len} bytes but only {} follow the header",
                rest.len()
            )));
        }
        let (json, table) = rest.split_at(len);
        let mut model: ClvModel = rapport_plugin_sdk::run::decode_model(json)?;
        model.at_age = table::AgeTable::read(table).map_err(|e| wrong(&e))?;
        Ok(model)
    }

    /// The band cut points `score` applies, bit for bit those of the fit
    /// (`band_cuts` is their readable form).
    pub fn band_cut_points(&self) -> Vec<f64> {
        self.exact().2
    }

    /// The parameters and cut points `score` uses: bit for bit those of
    /// the fit.
    fn exact(&self) -> (BgNbd, GammaGamma, Vec<f64>) {
        match self.exact.0.as_slice() {
            [r, alpha, a, b, p, q, gamma, cuts @ ..] if cuts.len() == self.band_cuts.len() => (
                BgNbd {
                    r: *r,
                    alpha: *alpha,
                    a: *a,
                    b: *b,
                },
                GammaGamma {
                    p: *p,
                    q: *q,
                    gamma: *gamma,
                },
                cuts.to_vec(),
            ),
            _ => (self.bgnbd, self.gamma_gamma, self.band_cuts.clone()),
        }
    }
}

fn valuer(config: &Config, bg: BgNbd, gg: GammaGamma) -> Valuer {
    Valuer::new(
        bg,
        gg,
        config.time_unit.per(config.clv.period),
        config.clv.periods,
        config.clv.discount_rate,
    )
}

/// Summarises and fits. See the crate documentation.
pub fn fit(
    config: &Config,
    ctx: &Ctx,
    population: &[Customer],
) -> Result<Fitted<ClvModel>, PluginError> {
    fit_batch(config, ctx, &CustomerBatch::records(population))
}

/// [`fit`] on a batch in either layout (the sandbox reads the host's
/// columns directly).
pub fn fit_batch(
    config: &Config,
    ctx: &Ctx,
    population: &CustomerBatch<'_>,
) -> Result<Fitted<ClvModel>, PluginError> {
    let unit = config.time_unit;
    let mut odd = summary::Oddities::default();
    let mut scratch = Vec::new();
    let mut buyers: Vec<(u64, Summary)> = Vec::with_capacity(population.len());
    let lists = population.transactions()?;
    for i in 0..population.len() {
        if let Some(s) =
            summary::summarize_list(lists.get(i), ctx.as_of, unit.days(), &mut scratch, &mut odd)
        {
            buyers.push((population.subject(i), s));
        }
    }
    if buyers.is_empty() {
        return Err(PluginError::data(format!(
            "none of the {} customers has a purchase up to the as-of instant, so there is nothing to fit; are `transactions.at` and `transactions.amount` granted?",
            population.len()
        )));
    }
    let histories: Vec<History> = buyers
        .iter()
        .map(|(_, s)| History {
            x: s.x,
            t_x: s.t_x,
            t: s.t,
        })
        .collect();
    let pop = bgnbd::Population::new(&histories);
    if pop.sum_x <= 0.0 {
        return Err(PluginError::data(format!(
            "none of the {} purchasing customers has a repeat purchase (a second purchase day), so purchase rates and dropout cannot be fitted",
            buyers.len()
        )));
    }
    let opts = optim::Options {
        max_iterations: config.optimizer.max_iterations,
        gradient_tolerance: config.optimizer.gradient_tolerance,
    };
    let bg = bgnbd::fit(&pop, config.penalty, opts);
    if !bg.params.is_valid() || !bg.log_likelihood.is_finite() {
        return Err(PluginError::new(
            "convergence",
            format!(
                "the BG/NBD fit ended outside the parameter space ({} iterations); try a `penalty` such as 0.01",
                bg.report.iterations
            ),
        ));
    }
    let pairs: Vec<(f64, f64)> = buyers
        .iter()
        .filter(|(_, s)| s.x > 0.0 && s.zbar > 0.0)
        .map(|(_, s)| (s.x, s.zbar))
        .collect();
    let repeaters = buyers.iter().filter(|(_, s)| s.x > 0.0).count();
    if pairs.len() < MIN_SPENDERS {
        return Err(PluginError::data(format!(
            "only {} repeat customers have a positive mean repeat spend; the Gamma-Gamma spend model needs at least {MIN_SPENDERS}",
            pairs.len()
        )));
    }
    let spenders = gamma_gamma::Spenders::new(&pairs);
    let gg = gamma_gamma::fit(&spenders, config.penalty, opts);
    if !gg.params.is_valid() || !gg.log_likelihood.is_finite() {
        return Err(PluginError::new(
            "convergence",
            format!(
                "the Gamma-Gamma fit ended outside the parameter space ({} iterations); try a `penalty` such as 0.01",
                gg.report.iterations
            ),
        ));
    }
    if gg.params.q <= 1.0 {
        return Err(PluginError::data(format!(
            "the fitted Gamma-Gamma q = {:.4} is not above 1, so the population's mean spend does not exist and no expected spend can be given; spend in this population is too heavy-tailed for the model",
            gg.params.q
        )));
    }
    let bgnbd_fit = FitReport {
        warm_starts: warm_reports(&bg.warm_starts),
        ..FitReport::new(pop.customers, pop.distinct(), bg.log_likelihood, &bg.report)
    };
    let gamma_gamma_fit = FitReport {
        warm_starts: warm_reports(&gg.warm_starts),
        ..FitReport::new(
            spenders.customers,
            pairs.len(),
            gg.log_likelihood,
            &gg.report,
        )
    };
    let unconverged: Vec<&str> = [("BG/NBD", &bgnbd_fit), ("Gamma-Gamma", &gamma_gamma_fit)]
        .iter()
        .filter(|(_, f)| !f.converged)
        .map(|(n, _)| *n)
        .collect();
    if config.optimizer.require_convergence && !unconverged.is_empty() {
        let (f, of) = if unconverged[0] == "BG/NBD" {
            (&bgnbd_fit, HISTORIES)
        } else {
            (&gamma_gamma_fit, SPENDS)
        };
        return Err(PluginError::new(
            "convergence",
            format!(
                "the {} fit did not converge: {}; raise `optimizer.max_iterations`, loosen `optimizer.gradient_tolerance` or add a `penalty`",
                unconverged[0],
                f.describe(of)
            ),
        ));
    }

    // The reference customer: the population's medians.
    // The medians of x and T come from the distinct histories' counts; the
    // recency and spend medians are only needed when the typical customer
    // has a repeat purchase.
    let median = |mut v: Vec<f64>| nearest_rank(&mut v, 0.5).unwrap_or(0.0);
    let (median_x, median_t) = pop.quantiles_x_t(0.5);
    let reference_hist = History {
        x: median_x,
        t_x: 0.0,
        t: median_t,
    };
    // A typical customer without a repeat purchase last bought at its
    // first purchase, so its recency is its age.
    let reference = Factors {
        frequency: reference_hist.x,
        recency: if reference_hist.x > 0.0 {
            median(histories.iter().map(|h| h.t - h.t_x).collect())
        } else {
            reference_hist.t
        },
        age: reference_hist.t,
        spend: if reference_hist.x > 0.0 {
            median(pairs.iter().map(|p| p.1).collect())
        } else {
            gg.params.population_mean()
        },
    };
    let v = valuer(config, bg.params, gg.params);
    let reference_discounted = v.discounted_if_alive(reference.frequency, reference.age);
    let reference_clv = v.clv_with(&reference, reference_discounted);

    // D and H of every (x, T) `score` will ask for: the customers' own and
    // the explanation's (x_ref, T) and (x, T_ref).
    let at_age = {
        // From the population's distinct (x, T) (about a thousand on the
        // full CDNOW cohort of 23,570 customers), which give the same set.
        let ages = pop.ages();
        let mut pairs: Vec<(u64, u64)> = Vec::with_capacity(3 * ages.len());
        for &(x, t) in &ages {
            pairs.push((x.to_bits(), t.to_bits()));
            pairs.push((reference.frequency.to_bits(), t.to_bits()));
            pairs.push((x.to_bits(), reference.age.to_bits()));
        }
        pairs.sort_unstable();
        pairs.dedup();
        if pairs.len() <= table::MAX_ENTRIES {
            let horizon = config.expected_purchases_horizon;
            // The pairs come by x, so the pairs of each x share the
            // series' coefficients; pairs of the same age share its moments
            // (see `value::AgeSums`): pairs far outnumber ages.
            let mut coefficients = v.coefficients(0.0);
            let mut at: fx::Table<u64, value::AgeSums> = fx::Table::with_capacity(ages.len());
            table::AgeTable::new(
                pairs
                    .into_iter()
                    .map(|(x, t)| {
                        let sums =
                            at.get_or_insert_with(t, || v.age_sums(f64::from_bits(t), horizon));
                        let (discounted, expected) = v.discounted_and_expected_with(
                            &mut coefficients,
                            f64::from_bits(x),
                            sums,
                        );
                        let (x, t) = (f64::from_bits(x), f64::from_bits(t));
                        table::Entry {
                            x,
                            t,
                            discounted,
                            expected,
                        }
                    })
                    .collect(),
            )
        } else {
            table::AgeTable::default()
        }
    };

    let band_cuts = match config.bands.by {
        BandsBy::Value => config.bands.cuts.clone(),
        BandsBy::Quantile => {
            // Evenly spaced in subject order, so the sample does not depend
            // on the order the host sent the population in.
            let mut order: Vec<usize> = (0..buyers.len()).collect();
            if !buyers.is_sorted_by_key(|b| b.0) {
                order.sort_unstable_by_key(|&i| buyers[i].0);
            }
            let n = order.len();
            let take = n.min(BAND_SAMPLE);
            // P(alive) and D(x, T) once per distinct history of the sample.
            let mut memo: Cache<(u64, u64, u64), (f64, f64)> = Cache::with_capacity(take / 2);
            let mut clvs: Vec<f64> = (0..take)
                .map(|k| {
                    // In u64: k · n overflows the sandbox's 32-bit usize
                    // beyond about 214,000 customers.
                    let s = buyers[order[(k as u64 * n as u64 / take as u64) as usize]].1;
                    let f = factors(&s, &gg.params);
                    let key = (f.frequency.to_bits(), f.recency.to_bits(), f.age.to_bits());
                    let (alive, d) = *memo.get_or_insert_with(key, || {
                        let d = match at_age.get(f.frequency, f.age) {
                            Some((d, _)) => d,
                            None => v.discounted_if_alive(f.frequency, f.age),
                        };
                        (v.bg.p_alive(f.history()), d)
                    });
                    v.clv_given(alive, &f, d)
                })
                .collect();
            nearest_ranks(&mut clvs, &config.bands.cuts)
        }
    };

    let per = unit.plural().trim_end_matches('s');
    let mut fitted = Fitted::new(ClvModel {
        config: config.clone(),
        bgnbd: bg.params,
        bgnbd_fit: bgnbd_fit.clone(),
        gamma_gamma: gg.params,
        gamma_gamma_fit: gamma_gamma_fit.clone(),
        reference,
        reference_discounted,
        reference_clv,
        exact: table::Bits(
            bg.params
                .to_array()
                .into_iter()
                .chain([gg.params.p, gg.params.q, gg.params.gamma])
                .chain(band_cuts.iter().copied())
                .collect(),
        ),
        band_cuts,
        at_age,
    })
    .info(format!(
        "BG/NBD on {} purchasing customers ({} distinct histories, {} with a repeat purchase), time in {}: r = {:.4}, alpha = {:.4} {}s, a = {:.4}, b = {:.4}; {}",
        bgnbd_fit.customers,
        bgnbd_fit.distinct,
        repeaters,
        unit.plural(),
        bg.params.r,
        bg.params.alpha,
        per,
        bg.params.a,
        bg.params.b,
        bgnbd_fit.describe(HISTORIES)
    ))
    .info(format!(
        "Gamma-Gamma on {} repeat customers with a positive spend: p = {:.4}, q = {:.4}, gamma = {:.4}; population mean spend {:.2}; {}",
        gamma_gamma_fit.customers,
        gg.params.p,
        gg.params.q,
        gg.params.gamma,
        gg.params.population_mean(),
        gamma_gamma_fit.describe(SPENDS)
    ));
    if population.len() > buyers.len() {
        fitted = fitted.info(format!(
            "{} customers without a purchase up to the as-of instant are labelled `{NO_PURCHASE}` with value 0",
            population.len() - buyers.len()
        ));
    }
    if repeaters > pairs.len() {
        fitted = fitted.warning(format!(
            "{} repeat customers have a mean repeat spend of 0 or less and were left out of the Gamma-Gamma fit",
            repeaters - pairs.len()
        ));
    }
    for name in unconverged {
        fitted = fitted.warning(format!(
            "the {name} fit did not converge within the optimiser's limits; its estimates are the best point found (see its diagnostics)"
        ));
    }
    fitted.diagnostics.extend(odd.warnings());
    Ok(fitted)
}

/// The nearest-rank `q`-quantile of `values` (`stats::quantile` of them
/// sorted) by selection rather than a full sort: the same element, in
/// linear time. Reorders `values`; `None` when they are empty or `q` is
/// outside [0, 1].
fn nearest_rank(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let n = values.len();
    // The rank `stats::quantile` takes: ceil(q n), at least 1.
    let rank = ((q * n as f64) - 1e-9).ceil().max(1.0) as usize;
    Some(
        *values
            .select_nth_unstable_by(rank.min(n) - 1, f64::total_cmp)
            .1,
    )
}

/// [`nearest_rank`] of every q in `qs` (0 where it gives `None`), in the
/// order of `qs`: each selection after the first runs only on the values
/// above the previous rank, which the previous selection left there.
fn nearest_ranks(values: &mut [f64], qs: &[f64]) -> Vec<f64> {
    let n = values.len();
    let mut out = vec![0.0; qs.len()];
    if n == 0 {
        return out;
    }
    // (rank, index into qs) of the valid q, ascending by rank.
    let mut ranks: Vec<(usize, usize)> = qs
        .iter()
        .enumerate()
        .filter(|(_, q)| (0.0..=1.0).contains(*q))
        .map(|(i, &q)| {
            let rank = ((q * n as f64) - 1e-9).ceil().max(1.0) as usize;
            (rank.min(n), i)
        })
        .collect();
    ranks.sort_unstable();
    // Values below `lo` are all at most values[lo - 1] and the ones from
    // `lo` on at least it (in `total_cmp` order).
    let mut lo = 0;
    for (rank, i) in ranks {
        let k = rank - 1;
        if k >= lo {
            values[lo..].select_nth_unstable_by(k - lo, f64::total_cmp);
            lo = k + 1;
        }
        out[i] = values[k];
    }
    out
}

/// The factors of a summary: one-time buyers' spend is the population mean
/// (what the Gamma-Gamma model expects of them whatever they spent first).
fn factors(s: &Summary, gg: &GammaGamma) -> Factors {
    Factors {
        frequency: s.x,
        recency: s.t - s.t_x,
        age: s.t,
        spend: if s.x > 0.0 {
            s.zbar
        } else {
            gg.population_mean()
        },
    }
}

/// Scores a batch: one output per customer, in batch order.
pub fn score(
    config: &Config,
    ctx: &Ctx,
    model: &ClvModel,
    batch: &[Customer],
) -> Result<Scored, PluginError> {
    score_batch(config, ctx, model, &CustomerBatch::records(batch)).map(ScoredBatch::into_scored)
}

/// The per-call caches of `score` (see [`fx`]).
type Cache<K, V> = fx::Table<K, V>;

/// What customers with the same (x, T) share: D(x, T), H(x, T, horizon)
/// and the probability of no purchase within the churn horizon if alive.
#[derive(Clone, Copy)]
struct AtAge {
    discounted: f64,
    expected: f64,
    silent: f64,
}

/// What customers with the same history (x, t_x, T) share: P(alive) at
/// the explanation's 8 corners and the labels of frequency, recency and
/// age.
#[derive(Clone, Copy)]
struct PerHistory {
    alive: [f64; 8],
    labels: [Text; 3],
}

/// The output of a customer without a repeat purchase, which depends on
/// the age T only (x = t_x = z̄ = 0 and the spend is the population
/// mean): written again, not computed again, for the next such customer
/// of the same age.
#[derive(Clone, Copy)]
struct OneTime {
    clv: f64,
    band: Text,
    values: [f64; 9],
    terms: [(Text, f64); 5],
}

/// [`score`] on a batch in either layout, writing the outputs as columns.
/// Work is shared between customers wherever the result depends on less
/// than the whole customer: D, H and the silent probability per (x, T),
/// P(alive) at the explanation's 8 corners per history (x, t_x, T), the
/// explanation labels per displayed number, and the whole output of a
/// customer without a repeat purchase per age.
pub fn score_batch(
    config: &Config,
    ctx: &Ctx,
    model: &ClvModel,
    batch: &CustomerBatch<'_>,
) -> Result<ScoredBatch, PluginError> {
    if model.config != *config {
        return Err(PluginError::new(
            "model",
            "the model was fitted with a different configuration than the one scoring with it; fit again",
        ));
    }
    let unit = config.time_unit;
    let (bg, gg, band_cuts) = model.exact();
    let v = valuer(config, bg, gg);
    let r = model.reference;
    let units = unit.plural();
    let mut odd = summary::Oddities::default();
    let mut scratch = Vec::new();
    let horizon = config.expected_purchases_horizon;
    let lists = batch.transactions()?;
    let mut out = OutputColumns::with_capacity(batch.len(), 9, 5);
    // About one label per customer (the repeat customers' spend; recency
    // and age per displayed number), some 40 bytes each.
    out.reserve_text(batch.len() + 64, batch.len() * 48 + 4096);
    let names = [
        "expected_purchases",
        "p_alive",
        "expected_spend",
        "clv",
        "churn_risk",
        "x",
        "t_x",
        "T",
        "zbar",
    ]
    .map(|n| out.intern(n));
    let value_names = out.names(names);
    let no_purchase = out.intern(NO_PURCHASE);
    let outside = out.intern("no purchase up to the as-of instant: outside the model");
    let band_labels: Vec<Text> = config.bands.labels.iter().map(|l| out.intern(l)).collect();
    // The explanation's labels: the parts that do not depend on the
    // customer are written once per batch, and each label once per number
    // it shows.
    let typical = out.text(&format!(
        "typical customer ({}, last {} {units} ago, customer for {} {units})",
        repeat_purchases(r.frequency),
        fixed(r.recency, 1),
        fixed(r.age, 1)
    ));
    let typical_frequency = format!(" (typical {})", fixed(r.frequency, 0));
    let typical_recency = format!(" {units} ago (typical {})", fixed(r.recency, 1));
    let typical_age = format!(" {units} (typical {})", fixed(r.age, 1));
    let typical_spend = format!(" (typical {})", fixed(r.spend, 2));
    let one_time_spend = out.text(&format!(
        "no repeat purchase: spend expected at the population mean {}",
        fixed(gg.population_mean(), 2)
    ));
    let reference_logs = v.reference_logs(&r);
    let mut label = String::new();
    // Every cache sized for the batch up front, so none grows while
    // customers are scored.
    let n = batch.len();
    let mut frequency_labels: Cache<i64, Text> = Cache::with_capacity(n / 8);
    let mut recency_labels: Cache<i64, Text> = Cache::with_capacity(n / 2);
    let mut age_labels: Cache<i64, Text> = Cache::with_capacity(n / 2);
    let mut spend_labels: Cache<i64, Text> = Cache::with_capacity(n);
    // D(x, T) and H(x, T, horizon) are the costly part (a hypergeometric
    // series per period end), P(alive) at the 8 corners the next.
    let mut at_age: Cache<(u64, u64), AtAge> = Cache::with_capacity(n);
    let mut corners: Cache<(u64, u64, u64), PerHistory> = Cache::with_capacity(n);
    let mut one_time: Cache<u64, OneTime> = Cache::with_capacity(n / 2);
    // The silent probability is only needed for customers' own (x, T),
    // not for the explanation's (x_ref, T) and (x, T_ref): it is computed
    // on the first look-up that asks for it (NaN until then).
    let mut lookup = |x: f64, t: f64, silent: bool| -> AtAge {
        let found = at_age.get_or_insert_with((x.to_bits(), t.to_bits()), || {
            let (discounted, expected) = if let Some(found) = model.at_age.get(x, t) {
                found
            } else if x == r.frequency && t == r.age {
                (
                    model.reference_discounted,
                    v.discounted_and_expected(x, t, horizon).1,
                )
            } else {
                v.discounted_and_expected(x, t, horizon)
            };
            AtAge {
                discounted,
                expected,
                silent: f64::NAN,
            }
        });
        if silent && found.silent.is_nan() {
            found.silent = bg.silent(x, t, config.churn_horizon);
        }
        *found
    };
    for i in 0..batch.len() {
        let subject = batch.subject(i);
        let Some(s) =
            summary::summarize_list(lists.get(i), ctx.as_of, unit.days(), &mut scratch, &mut odd)
        else {
            out.push(subject, 0.0, Some(no_purchase)).term(outside, 0.0);
            continue;
        };
        if s.x == 0.0 {
            if let Some(o) = one_time.get(&s.t.to_bits()) {
                out.push_all(
                    subject,
                    o.clv,
                    Some(o.band),
                    &value_names,
                    o.values,
                    o.terms,
                );
                continue;
            }
        }
        let f = factors(&s, &gg);
        let own = lookup(f.frequency, f.age, true);
        let ds = [
            [
                model.reference_discounted,
                lookup(r.frequency, f.age, false).discounted,
            ],
            [lookup(f.frequency, r.age, false).discounted, own.discounted],
        ];
        let mut text =
            |cache: &mut Cache<i64, Text>, key: Option<i64>, write: &dyn Fn(&mut String)| -> Text {
                let mut make = || {
                    label.clear();
                    write(&mut label);
                    out.text(&label)
                };
                match key {
                    Some(k) => *cache.get_or_insert_with(k, make),
                    None => make(),
                }
            };
        // Everything that depends on the history only, once per history:
        // P(alive) at the corners and the labels of frequency, recency and
        // age.
        let key = (s.x.to_bits(), s.t_x.to_bits(), s.t.to_bits());
        let shared = match corners.get(&key) {
            Some(found) => *found,
            None => {
                let freq_label = text(
                    // x is a count; its label is cached by its bits.
                    &mut frequency_labels,
                    Some(s.x.to_bits() as i64),
                    &|o| {
                        push_repeat_purchases(o, s.x);
                        o.push_str(&typical_frequency);
                    },
                );
                let recency_label = text(&mut recency_labels, shown(f.recency, 1), &|o| {
                    o.push_str("last purchase ");
                    push_fixed(o, f.recency, 1);
                    o.push_str(&typical_recency);
                });
                let age_label = text(&mut age_labels, shown(s.t, 1), &|o| {
                    o.push_str("customer for ");
                    push_fixed(o, s.t, 1);
                    o.push_str(&typical_age);
                });
                let shared = PerHistory {
                    alive: v.alive_corners_with(&f, &r, &reference_logs),
                    labels: [freq_label, recency_label, age_label],
                };
                corners.insert(key, shared);
                shared
            }
        };
        let alive = shared.alive;
        let [freq_label, recency_label, age_label] = shared.labels;
        // P(alive) of the customer's own history is the corner with every
        // factor from the customer.
        let p_alive = alive[7];
        let clv = v.clv_given(p_alive, &f, own.discounted);
        let expected = p_alive * own.expected;
        let spend = gg.conditional_mean(s.x, s.zbar);
        let churn = BgNbd::no_purchase_given(p_alive, own.silent);
        let phi = v.shapley_with(&f, &r, &alive, &ds);
        let band = stats::bin(clv, &band_cuts) as usize;
        let band_label = band_labels.get(band - 1).copied().unwrap_or(no_purchase);
        let spend_label = if s.x > 0.0 {
            text(&mut spend_labels, shown(s.zbar, 2), &|o| {
                o.push_str("average repeat spend ");
                push_fixed(o, s.zbar, 2);
                o.push_str(&typical_spend);
            })
        } else {
            one_time_spend
        };
        let values = [
            expected, p_alive, spend, clv, churn, s.x, s.t_x, s.t, s.zbar,
        ];
        let terms = [
            (typical, model.reference_clv),
            (freq_label, phi[0]),
            (recency_label, phi[1]),
            (age_label, phi[2]),
            (spend_label, phi[3]),
        ];
        if s.x == 0.0 {
            one_time.insert(
                s.t.to_bits(),
                OneTime {
                    clv,
                    band: band_label,
                    values,
                    terms,
                },
            );
        }
        out.push_all(subject, clv, Some(band_label), &value_names, values, terms);
    }
    Ok(ScoredBatch::Columns {
        outputs: out,
        diagnostics: odd.warnings(),
    })
}

/// The integer [`push_fixed`] writes `v` from with `decimals` decimals,
/// which identifies the text it writes; `None` where it falls back to
/// `core::fmt`.
fn shown(v: f64, decimals: u32) -> Option<i64> {
    let scaled = (v * 10f64.powi(decimals as i32)).round();
    (scaled.is_finite() && scaled.abs() < 9.0e15).then_some(scaled as i64)
}

/// "1 repeat purchase", "3 repeat purchases".
fn repeat_purchases(x: f64) -> String {
    let mut s = String::with_capacity(24);
    push_repeat_purchases(&mut s, x);
    s
}

/// Appends "1 repeat purchase" or "3 repeat purchases".
fn push_repeat_purchases(out: &mut String, x: f64) {
    if x == 1.0 {
        out.push_str("1 repeat purchase");
    } else {
        push_fixed(out, x, 0);
        out.push_str(" repeat purchases");
    }
}

/// `v` with `decimals` decimals (see [`push_fixed`]).
pub fn fixed(v: f64, decimals: u32) -> String {
    let mut s = String::with_capacity(16);
    push_fixed(&mut s, v, decimals);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successive_selections_give_each_rank_alone() {
        // Ties, negative values and a NaN-free scramble; the quantiles out
        // of order, repeated, at the ends and outside [0, 1].
        let mut state = 99u64;
        let values: Vec<f64> = (0..2_001)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((state >> 40) % 500) as f64 / 7.0 - 20.0
            })
            .collect();
        let qs = [0.95, 0.5, 0.8, 0.5, 0.0, 1.0, 1.5, -0.1, 0.0005];
        for len in [values.len(), 1, 0] {
            let v = &values[..len];
            let got = nearest_ranks(&mut v.to_vec(), &qs);
            let want: Vec<f64> = qs
                .iter()
                .map(|&q| nearest_rank(&mut v.to_vec(), q).unwrap_or(0.0))
                .collect();
            assert_eq!(
                got.iter().map(|g| g.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|w| w.to_bits()).collect::<Vec<_>>(),
                "{len} values: {got:?} against {want:?}"
            );
        }
    }
}

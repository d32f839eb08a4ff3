//! Rapport's synthetic data generator: a realistic, reproducible data set
//! with one CSV file per import kind.
//!
//! [`generate`] writes `customers.csv`, `suppliers.csv`, `partners.csv`,
//! `transactions.csv`, `interactions.csv`, `deliveries.csv`, `referrals.csv`
//! and `consents.csv` into [`Options::out_dir`], each row serialized from the
//! domain's row type (`rapport_domain::rows`) so that the files are exactly
//! what `rapport import` accepts, plus `generator.json` with the parameters
//! that produced them, so that tests can check that a fitted model recovers
//! the truth.
//!
//! # Reproducibility and scale
//!
//! The same options give byte-identical files, whatever the versions of
//! third-party crates: the random numbers come from this crate's
//! own xoshiro256** and samplers ([`rng`]), and every customer draws from its
//! own streams derived from (seed, customer index, purpose), so a customer's
//! data does not depend on how many numbers earlier customers used. (The
//! samplers call `ln`, `exp` and `powf` from the platform's maths library;
//! one that rounds differently in the last bit could in principle change a
//! rare accept/reject decision, so byte identity is promised per platform.)
//! Customers are generated one at a time and streamed to all files at once;
//! memory does not grow with the number of customers. Suppliers and partners
//! are few and generated first.
//!
//! # The generative model (time unit: one week of 7 days)
//!
//! Customer `i` (ids `C0000001`, …, 1-based) signs up on day
//! `window_start + floor(signup_days * (i - 1 + u) / N)` with `u ~ U(0, 1)`,
//! so signups are spread evenly over the first `signup_days` (default 90: the
//! first quarter) and are non-decreasing in the index. Its observation length
//! is `T = (window_end - signup_date) / 7` weeks.
//!
//! **Purchases: BG/NBD** (Fader, Hardie & Lee 2005), at the published CDNOW
//! fit by default (`r = 0.243, α = 4.414, a = 0.793, b = 2.426`):
//!
//! - purchase rate `λ ~ Gamma(shape r, rate α)` per week (mean `r/α`), so
//!   while alive the customer buys as a Poisson process with rate `λ`;
//! - dropout probability `p ~ Beta(a, b)`;
//! - the first ("trial") purchase is at time 0, on the signup date, and is
//!   not counted as a repeat purchase;
//! - after each *repeat* purchase the customer drops out for good with
//!   probability `p` — exactly the paper's assumption, under which a
//!   customer with no repeat purchase is certainly alive (so
//!   `P(X(t) = 0) = (α / (α + t))^r`);
//! - purchases happen at continuous times `t < T`; a purchase at `t` weeks is
//!   dated `signup_date + round(7 t)` days. Several purchases can fall on one
//!   date and are all written.
//!
//! **Spend: Gamma-Gamma** (Fader & Hardie 2013 note; Colombo & Jiang 1999),
//! default CDNOW fit `p = 6.25, q = 3.74, γ = 15.44`:
//!
//! - per customer `ν ~ Gamma(shape q, rate γ)`;
//! - each transaction's amount `z ~ Gamma(shape p, rate ν)`, so
//!   `E[z | ν] = p/ν` and `E[z] = p γ / (q - 1)` ≈ 35.22;
//! - amounts are rounded to cents with a floor of 0.01; spend is independent
//!   of the purchase process. The currency label follows the country
//!   (EUR, GBP, USD); amounts are drawn from the same model regardless.
//!
//! Everything else (profiles, interactions, consents, referrals, suppliers,
//! deliveries) is described in the `customers` and `business` modules, and
//! every share is recorded in `generator.json`.

mod business;
mod calendar;
mod csvout;
mod customers;
mod names;
pub mod rng;

use std::path::PathBuf;

use rapport_domain::ImportKind;
use serde::Serialize;

use crate::csvout::RowWriter;

/// BG/NBD parameters: `λ ~ Gamma(shape r, rate α)` per week, `p ~ Beta(a, b)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl BgNbd {
    /// Fader, Hardie & Lee (2005), fitted on the CDNOW 1/10 sample, time in
    /// weeks.
    pub const CDNOW: BgNbd = BgNbd {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };
}

/// Gamma-Gamma spend parameters: `ν ~ Gamma(shape q, rate γ)` per customer,
/// each amount `~ Gamma(shape p, rate ν)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

impl GammaGamma {
    /// Fader & Hardie's fit on the CDNOW 1/10 sample.
    pub const CDNOW: GammaGamma = GammaGamma {
        p: 6.25,
        q: 3.74,
        gamma: 15.44,
    };

    /// The population mean of one transaction's amount, `p γ / (q - 1)`
    /// (infinite when `q <= 1`).
    pub fn mean_spend(&self) -> f64 {
        if self.q > 1.0 {
            self.p * self.gamma / (self.q - 1.0)
        } else {
            f64::INFINITY
        }
    }
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Number of customers; suppliers are `max(5, customers / 1000)` and
    /// partners `max(3, customers / 2000)`.
    pub customers: u64,
    /// Seed of every random stream; the same options give identical files.
    pub seed: u64,
    /// Directory the files are written to; created when missing, and files
    /// of the same names in it are replaced.
    pub out_dir: PathBuf,
    /// First day of the observation window, `YYYY-MM-DD` (default
    /// `2023-01-01`).
    pub window_start: String,
    /// Last day of the observation window, `YYYY-MM-DD` (default
    /// `2024-12-31`); the calibration period of every customer ends here.
    pub window_end: String,
    /// Signups are spread over this many days from the window start
    /// (default 90).
    pub signup_days: u32,
    /// Purchase process.
    pub bg_nbd: BgNbd,
    /// Spend per transaction.
    pub gamma_gamma: GammaGamma,
}

impl Options {
    /// Defaults for everything but the size, seed and output directory.
    pub fn new(customers: u64, seed: u64, out_dir: PathBuf) -> Options {
        Options {
            customers,
            seed,
            out_dir,
            window_start: "2023-01-01".to_owned(),
            window_end: "2024-12-31".to_owned(),
            signup_days: 90,
            bg_nbd: BgNbd::CDNOW,
            gamma_gamma: GammaGamma::CDNOW,
        }
    }
}

/// What was written.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// (kind, path, rows) per file, in import order (`ImportKind::ALL`).
    pub files: Vec<(String, PathBuf, u64)>,
    /// Path of `generator.json`.
    pub parameters: PathBuf,
    pub customers: u64,
    pub suppliers: u64,
    pub partners: u64,
    pub seed: u64,
}

/// Why a data set could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("invalid option: {0}")]
    InvalidOption(String),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A row type and its schema disagree: a bug, not bad input.
    #[error("{kind} rows do not match the import schema: {reason}")]
    Layout { kind: String, reason: String },
}

/// Settings shared by every part of one generation run, with dates as day
/// numbers.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub seed: u64,
    pub customers: u64,
    pub suppliers: u64,
    pub partners: u64,
    /// First and last day of the window (days since 1970-01-01), inclusive.
    pub start: i64,
    pub end: i64,
    pub signup_days: i64,
    /// Day version 2 of the privacy notice took effect (mid-window).
    pub notice_v2: i64,
    pub bg: BgNbd,
    pub gg: GammaGamma,
    /// Digits in customer ids: at least 7, more when needed.
    pub id_width: usize,
}

impl Ctx {
    fn new(opts: &Options) -> Result<Ctx, GenerateError> {
        let bad = |m: String| GenerateError::InvalidOption(m);
        let start = calendar::parse_date(&opts.window_start).ok_or_else(|| {
            bad(format!(
                "window start `{}` is not a YYYY-MM-DD date",
                opts.window_start
            ))
        })?;
        let end = calendar::parse_date(&opts.window_end).ok_or_else(|| {
            bad(format!(
                "window end `{}` is not a YYYY-MM-DD date",
                opts.window_end
            ))
        })?;
        if end <= start {
            return Err(bad("the window must end after it starts".to_owned()));
        }
        let (sy, _, _) = calendar::civil_from_days(start);
        let (ey, _, _) = calendar::civil_from_days(end);
        // Birth dates reach back about 95 years; keep every date four-digit.
        if sy < 1900 || ey > 9000 {
            return Err(bad("the window must lie between 1900 and 9000".to_owned()));
        }
        let signup_days = i64::from(opts.signup_days);
        if signup_days < 1 || signup_days > end - start + 1 {
            return Err(bad(format!(
                "signup days must be between 1 and the window length ({} days)",
                end - start + 1
            )));
        }
        let bg = opts.bg_nbd;
        let gg = opts.gamma_gamma;
        for (name, v) in [
            ("r", bg.r),
            ("alpha", bg.alpha),
            ("a", bg.a),
            ("b", bg.b),
            ("p", gg.p),
            ("q", gg.q),
            ("gamma", gg.gamma),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(bad(format!(
                    "model parameter {name} must be a positive number"
                )));
            }
        }
        let digits = opts.customers.max(1).to_string().len();
        Ok(Ctx {
            seed: opts.seed,
            customers: opts.customers,
            suppliers: (opts.customers / 1000).max(5),
            partners: (opts.customers / 2000).max(3),
            start,
            end,
            signup_days,
            notice_v2: start + (end - start) / 2,
            bg,
            gg,
            id_width: digits.max(7),
        })
    }
}

/// One open file per import kind.
pub(crate) struct Out {
    pub customers: RowWriter,
    pub suppliers: RowWriter,
    pub partners: RowWriter,
    pub transactions: RowWriter,
    pub interactions: RowWriter,
    pub deliveries: RowWriter,
    pub referrals: RowWriter,
    pub consents: RowWriter,
}

impl Out {
    fn create(dir: &std::path::Path) -> Result<Out, GenerateError> {
        Ok(Out {
            customers: RowWriter::create(dir, ImportKind::Customers)?,
            suppliers: RowWriter::create(dir, ImportKind::Suppliers)?,
            partners: RowWriter::create(dir, ImportKind::Partners)?,
            transactions: RowWriter::create(dir, ImportKind::Transactions)?,
            interactions: RowWriter::create(dir, ImportKind::Interactions)?,
            deliveries: RowWriter::create(dir, ImportKind::Deliveries)?,
            referrals: RowWriter::create(dir, ImportKind::Referrals)?,
            consents: RowWriter::create(dir, ImportKind::Consents)?,
        })
    }

    /// Flushes every file, in import order.
    fn finish(self) -> Result<Vec<(String, PathBuf, u64)>, GenerateError> {
        Ok(vec![
            self.customers.finish()?,
            self.suppliers.finish()?,
            self.partners.finish()?,
            self.transactions.finish()?,
            self.interactions.finish()?,
            self.deliveries.finish()?,
            self.referrals.finish()?,
            self.consents.finish()?,
        ])
    }
}

/// How often, in customers, the progress callback is called.
const PROGRESS_EVERY: u64 = 10_000;

/// Generates the data set described by `opts`. `progress` is called with
/// the number of customers written so far, every few thousand customers and
/// once at the end.
pub fn generate(opts: &Options, progress: &dyn Fn(u64)) -> Result<Summary, GenerateError> {
    let ctx = Ctx::new(opts)?;
    std::fs::create_dir_all(&opts.out_dir).map_err(|source| GenerateError::Io {
        path: opts.out_dir.clone(),
        source,
    })?;
    let mut out = Out::create(&opts.out_dir)?;

    business::write_suppliers(&ctx, &mut out)?;
    business::write_partners(&ctx, &mut out)?;

    let mut scratch = customers::Scratch::default();
    for index in 1..=ctx.customers {
        customers::write_customer(&ctx, index, &mut out, &mut scratch)?;
        if index % PROGRESS_EVERY == 0 {
            progress(index);
        }
    }
    progress(ctx.customers);

    let files = out.finish()?;
    let parameters = opts.out_dir.join("generator.json");
    write_parameters(&ctx, opts, &files, &parameters)?;
    Ok(Summary {
        files,
        parameters,
        customers: ctx.customers,
        suppliers: ctx.suppliers,
        partners: ctx.partners,
        seed: ctx.seed,
    })
}

/// Writes `generator.json`: the options, the true model parameters with
/// their conventions spelled out, every other share the generator uses, and
/// the row counts.
fn write_parameters(
    ctx: &Ctx,
    opts: &Options,
    files: &[(String, PathBuf, u64)],
    path: &std::path::Path,
) -> Result<(), GenerateError> {
    let mut counts = serde_json::Map::new();
    for (kind, file, rows) in files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        counts.insert(
            kind.clone(),
            serde_json::json!({ "file": name, "rows": rows }),
        );
    }
    let bg = ctx.bg;
    let gg = ctx.gg;
    let doc = serde_json::json!({
        "format": "rapport-generate/1",
        "generator_version": env!("CARGO_PKG_VERSION"),
        "seed": ctx.seed,
        "counts": {
            "customers": ctx.customers,
            "suppliers": ctx.suppliers,
            "partners": ctx.partners,
        },
        "window": {
            "start": opts.window_start,
            "end": opts.window_end,
            "signup_days": opts.signup_days,
            "signup_rule": "customer i (1-based) signs up on window_start + floor(signup_days * (i - 1 + u) / customers) days, u ~ Uniform(0,1)",
            "calibration_end": opts.window_end,
        },
        "time_unit": "week (7 days); T = (window_end - signup_date) / 7",
        "bg_nbd": {
            "r": bg.r,
            "alpha": bg.alpha,
            "a": bg.a,
            "b": bg.b,
            "convention": "lambda ~ Gamma(shape r, rate alpha) purchases per week (mean r/alpha); p ~ Beta(a, b). Trial purchase at t = 0 on the signup date (not a repeat); while alive, repeat purchases follow a Poisson process with rate lambda; after each repeat purchase the customer drops out with probability p. Purchases at continuous t < T weeks are dated signup_date + round(7 t) days.",
            "implied": {
                "mean_lambda_per_week": bg.r / bg.alpha,
                "mean_p": bg.a / (bg.a + bg.b),
                "p_no_repeat_within_t": "(alpha / (alpha + t))^r",
            },
            "source": "Fader, Hardie & Lee (2005), CDNOW 1/10 sample",
        },
        "gamma_gamma": {
            "p": gg.p,
            "q": gg.q,
            "gamma": gg.gamma,
            "convention": "nu ~ Gamma(shape q, rate gamma) per customer; each transaction amount ~ Gamma(shape p, rate nu), so E[amount | nu] = p / nu and E[amount] = p * gamma / (q - 1). Amounts rounded to cents, at least 0.01; independent of the purchase process.",
            "implied": { "mean_amount": gg.mean_spend() },
            "source": "Fader & Hardie (2013), The Gamma-Gamma Model of Monetary Value, CDNOW fit",
        },
        "transactions": {
            "quantity_weights_1_to_5": customers::QUANTITY_WEIGHTS,
            "channel_preference": customers::CHANNEL_WEIGHTS,
            "preferred_channel_share": customers::PREFERRED_CHANNEL_SHARE,
        },
        "customers": customers::describe(),
        "referrals": customers::describe_referrals(),
        "consents": customers::describe_consents(&calendar::date(ctx.notice_v2)),
        "interactions": customers::describe_interactions(),
        "suppliers": business::describe(),
        "files": counts,
    });
    let file = std::fs::File::create(path).map_err(|source| GenerateError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut w = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut w, &doc).map_err(|source| GenerateError::Json {
        path: path.to_owned(),
        source,
    })?;
    std::io::Write::write_all(&mut w, b"\n")
        .and_then(|()| std::io::Write::flush(&mut w))
        .map_err(|source| GenerateError::Io {
            path: path.to_owned(),
            source,
        })
}

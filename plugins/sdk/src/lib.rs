//! The guest SDK for Rapport plugins.
//!
//! A Rapport plugin is a WebAssembly component that scores customers, assigns
//! them to segments or rates suppliers. The host calls it in two phases: `fit`
//! once on the whole eligible population, then `score` on batches with the
//! model `fit` returned. This crate hides the component-model plumbing: you
//! implement one of three traits with plain Rust functions, export it with one
//! macro, and build for `wasm32-wasip2`.
//!
//! | kind | trait | export macro | receives |
//! |---|---|---|---|
//! | `scorer` | [`Scorer`] | [`export_scorer!`] | [`Customer`]s |
//! | `segmenter` | [`Segmenter`] | [`export_segmenter!`] | [`Customer`]s |
//! | `supplier-rater` | [`SupplierRater`] | [`export_supplier_rater!`] | [`Supplier`]s |
//!
//! ```
//! use rapport_plugin_sdk::prelude::*;
//!
//! /// The plugin's configuration, parsed from the JSON the tenant installed.
//! #[derive(serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct Config {
//!     /// Days after which a customer counts as lapsed.
//!     lapsed_after_days: f64,
//! }
//!
//! /// What `fit` learns and `score` uses.
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Model {
//!     median_days: f64,
//! }
//!
//! struct Recency;
//!
//! impl Scorer for Recency {
//!     type Config = Config;
//!     type Model = Model;
//!
//!     fn fit(_config: &Config, ctx: &Ctx, population: &[Customer]) -> Result<Fitted<Model>, PluginError> {
//!         let days: Vec<f64> = population
//!             .iter()
//!             .filter_map(|c| c.purchases.last)
//!             .map(|last| ctx.days_since(last))
//!             .collect();
//!         let median_days = stats::quantile(&stats::sorted(days), 0.5).unwrap_or(0.0);
//!         Ok(Fitted::new(Model { median_days }))
//!     }
//!
//!     fn score(config: &Config, ctx: &Ctx, model: &Model, batch: &[Customer]) -> Result<Scored, PluginError> {
//!         let outputs = batch
//!             .iter()
//!             .map(|c| {
//!                 let days = c.purchases.last.map_or(f64::INFINITY, |t| ctx.days_since(t));
//!                 let score = if days > config.lapsed_after_days { 0.0 } else { 1.0 };
//!                 Output::new(c.subject, score)
//!                     .label(if score > 0.0 { "active" } else { "lapsed" })
//!                     .value("days_since_last_purchase", days)
//!                     .value("median_days", model.median_days)
//!                     .because("recency", score)
//!             })
//!             .collect::<Vec<_>>();
//!         Ok(outputs.into())
//!     }
//! }
//!
//! rapport_plugin_sdk::export_scorer!(Recency);
//! # fn main() {}
//! ```
//!
//! # What the SDK does for you
//!
//! * Parses the configuration JSON (`Context::config`) into your `Config`
//!   type. A configuration that does not parse becomes a [`PluginError`] with
//!   code `config` naming what is wrong. An empty configuration string reads
//!   as `{}`.
//! * Serialises the model `fit` returns as JSON bytes (deterministic: struct
//!   fields in declaration order, floats in shortest round-trip form) and
//!   deserialises it for every `score` call. A model that does not parse
//!   becomes a [`PluginError`] with code `model`.
//! * Gives you the run's "as of" instant and seed as a [`Ctx`], a seeded
//!   [`Rng`] and small statistics helpers in [`stats`].
//!
//! # Rules of the sandbox
//!
//! A plugin sees no clock, no randomness, no files, no network and no
//! environment. The same component, configuration and input must give the same
//! output, byte for byte:
//!
//! * take "now" from [`Ctx::as_of`] and randomness from [`Ctx::rng`];
//! * never let `HashMap`/`HashSet` iteration order reach an output or a model
//!   (use `BTreeMap`, or sort);
//! * return outputs in the order of the batch, one per subject;
//! * refuse bad data with a [`PluginError`] rather than panicking: a panic
//!   aborts the call and the host reports a crash.
//!
//! Every input field is an `Option`: the host fills only the fields the
//! plugin's manifest declares and the tenant grants. [`Customer::previous`]
//! carries the plugin's own output for the subject from its previous run
//! (fields `previous.*`), for plugins that report a change.
//!
//! # The wire
//!
//! The SDK builds components for `rapport:plugin@0.2.0`, whose batches and
//! outputs cross the sandbox boundary as columns with a string table (see
//! `wit/plugin.wit`). The export glue converts to and from the types above,
//! inside the sandbox; plugin code never sees the columns.
//!
//! A scorer or segmenter whose work per customer is small can skip those
//! conversions: override `fit_batch` and `score_batch` ([`Scorer::fit_batch`],
//! [`Segmenter::fit_batch`] and their `score_batch`), read the
//! batch with [`CustomerBatch`] (the columns where they lie in the sandbox,
//! records natively) and write the outputs with [`OutputColumns`], which
//! lays them out as the host reads them and shares strings across outputs
//! by [`Text`] handle instead of one `String` per label, name and term.
//!
//! # Native builds
//!
//! Everything here also compiles for the host target. The `export_*!` macros
//! emit the component glue only on `wasm32`; natively they only check that the
//! type implements the trait, so the same model code can be unit-tested and
//! benchmarked with `cargo test`. [`run`] calls a plugin exactly as the glue
//! does (JSON configuration in, model bytes out) without WebAssembly.

extern crate self as rapport_plugin_sdk;

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Generated component-model bindings, one module per world. The record
/// types of interface `types` are generated once (in `scorer`) and shared by
/// the other two worlds. Not a stable API: use the crate-root re-exports.
#[doc(hidden)]
#[allow(unsafe_code, missing_docs, clippy::all)]
pub mod bindings {
    pub use wit_bindgen;

    /// World `scorer`; also owns the shared `types` interface.
    pub mod scorer {
        wit_bindgen::generate!({
            world: "scorer",
            path: "wit",
            pub_export_macro: true,
            default_bindings_module: "rapport_plugin_sdk::bindings::scorer",
            runtime_path: "rapport_plugin_sdk::bindings::wit_bindgen::rt",
            additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
        });
    }

    /// World `segmenter`.
    pub mod segmenter {
        wit_bindgen::generate!({
            world: "segmenter",
            path: "wit",
            pub_export_macro: true,
            default_bindings_module: "rapport_plugin_sdk::bindings::segmenter",
            runtime_path: "rapport_plugin_sdk::bindings::wit_bindgen::rt",
            with: {
                "rapport:plugin/types@0.2.0": crate::bindings::scorer::rapport::plugin::types,
            },
        });
    }

    /// World `supplier-rater`.
    pub mod supplier_rater {
        wit_bindgen::generate!({
            world: "supplier-rater",
            path: "wit",
            pub_export_macro: true,
            default_bindings_module: "rapport_plugin_sdk::bindings::supplier_rater",
            runtime_path: "rapport_plugin_sdk::bindings::wit_bindgen::rt",
            with: {
                "rapport:plugin/types@0.2.0": crate::bindings::scorer::rapport::plugin::types,
            },
        });
    }
}

/// Every record and enum of the WIT interface `rapport:plugin/types`, as
/// generated: the wire layout (columns, string table). Plugins use the
/// crate-root types instead; `Context`, `Diagnostic`, `Severity` and
/// `PluginError` are the same in both.
pub mod wit {
    pub use crate::bindings::scorer::rapport::plugin::types::*;
}

pub use wit::{Context, Diagnostic, PluginError, Severity};

mod types;
pub use types::{
    Contribution, Customer, Delivery, Interaction, NamedValue, Output, Previous, Purchases,
    Referral, Scored, Supplier, Transaction,
};

#[doc(hidden)]
pub mod columns;

mod batch;
pub use batch::{
    CustomerBatch, Names, OutputColumns, OutputWriter, PurchaseColumns, ScoredBatch, Text,
    TextWriter, TransactionLists, Transactions,
};

pub mod stats;
pub mod text;

mod rng;
pub use rng::Rng;

/// Everything a plugin usually needs, for `use rapport_plugin_sdk::prelude::*`.
pub mod prelude {
    pub use crate::stats;
    pub use crate::{
        Contribution, Ctx, Customer, CustomerBatch, Delivery, Diagnostic, Fitted, Interaction,
        NamedValue, Output, OutputColumns, PluginError, Previous, PurchaseColumns, Purchases,
        Referral, Rng, Scored, ScoredBatch, Scorer, Segmenter, Severity, Supplier, SupplierRater,
        Text, TextWriter, Transaction, DAY,
    };
}

/// Seconds in a day, for turning timestamp differences into days.
pub const DAY: i64 = 86_400;

/// The run's context as a plugin sees it: the configuration arrives already
/// parsed as the trait's `Config` type, so only the "as of" instant and the
/// seed remain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    /// The instant the run is "as of", in seconds since
    /// 1970-01-01T00:00:00Z. Recency and age count up to here; a plugin has
    /// no clock of its own.
    pub as_of: i64,
    /// Seed for any randomness the model needs; the same seed must give the
    /// same result.
    pub seed: u64,
}

impl Ctx {
    /// A context "as of" `as_of` with `seed`.
    pub fn new(as_of: i64, seed: u64) -> Self {
        Self { as_of, seed }
    }

    /// Whole and fractional days from `at` to the "as of" instant; negative
    /// when `at` lies after it.
    pub fn days_since(&self, at: i64) -> f64 {
        (self.as_of as f64 - at as f64) / DAY as f64
    }

    /// Whole days from `at` to the "as of" instant, rounded down; negative
    /// when `at` lies after it.
    pub fn whole_days_since(&self, at: i64) -> i64 {
        (self.as_of - at).div_euclid(DAY)
    }

    /// A pseudo-random generator seeded from the run's seed. Two generators
    /// from the same context produce the same sequence.
    pub fn rng(&self) -> Rng {
        Rng::new(self.seed)
    }
}

impl From<&Context> for Ctx {
    fn from(ctx: &Context) -> Self {
        Self {
            as_of: ctx.as_of,
            seed: ctx.seed,
        }
    }
}

impl Context {
    /// A WIT context: configuration JSON, "as of" instant and seed. Useful
    /// in native tests and benchmarks that call the functions in [`run`].
    pub fn new(config: impl Into<String>, as_of: i64, seed: u64) -> Self {
        Self {
            config: config.into(),
            as_of,
            seed,
        }
    }
}

/// What `fit` returns: the learned model and any diagnostics for the
/// operator (e.g. "only 3 customers have purchases").
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted<M> {
    /// The model handed back to every `score` call.
    pub model: M,
    /// Notes for the operator, shown with the run. Never put personal data
    /// in them.
    pub diagnostics: Vec<Diagnostic>,
}

impl<M> Fitted<M> {
    /// A model without diagnostics.
    pub fn new(model: M) -> Self {
        Self {
            model,
            diagnostics: Vec::new(),
        }
    }

    /// Adds an informational diagnostic.
    pub fn info(mut self, message: impl Into<String>) -> Self {
        self.diagnostics.push(Diagnostic::info(message));
        self
    }

    /// Adds a warning.
    pub fn warning(mut self, message: impl Into<String>) -> Self {
        self.diagnostics.push(Diagnostic::warning(message));
        self
    }
}

impl Scored {
    /// Outputs without diagnostics.
    pub fn new(outputs: Vec<Output>) -> Self {
        Self {
            outputs,
            diagnostics: Vec::new(),
        }
    }

    /// Adds an informational diagnostic.
    pub fn info(mut self, message: impl Into<String>) -> Self {
        self.diagnostics.push(Diagnostic::info(message));
        self
    }

    /// Adds a warning.
    pub fn warning(mut self, message: impl Into<String>) -> Self {
        self.diagnostics.push(Diagnostic::warning(message));
        self
    }
}

impl From<Vec<Output>> for Scored {
    fn from(outputs: Vec<Output>) -> Self {
        Self::new(outputs)
    }
}

impl Diagnostic {
    /// An informational diagnostic.
    pub fn info(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Info,
            message: message.into(),
        }
    }

    /// A warning.
    pub fn warning(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            message: message.into(),
        }
    }
}

impl PluginError {
    /// A refusal with a short machine-readable `code` (e.g. `data`,
    /// `convergence`) and a message for the operator. Never put personal
    /// data in the message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    /// A configuration the plugin cannot use (code `config`).
    pub fn config(message: impl Into<String>) -> Self {
        Self::new("config", message)
    }

    /// Input data the plugin cannot use (code `data`).
    pub fn data(message: impl Into<String>) -> Self {
        Self::new("data", message)
    }
}

impl Output {
    /// An output for `subject` with `score`, no label, no values and no
    /// explanation yet.
    pub fn new(subject: u64, score: f64) -> Self {
        Self {
            subject,
            score,
            label: None,
            values: Vec::new(),
            explanation: Vec::new(),
        }
    }

    /// Sets the band or segment, e.g. `"champions"`.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Appends a named value, e.g. `p_alive`. Values keep the order they
    /// were added in.
    pub fn value(mut self, name: impl Into<String>, value: f64) -> Self {
        self.values.push(NamedValue {
            name: name.into(),
            value,
        });
        self
    }

    /// Appends a term of the explanation: a human-readable `label` and its
    /// signed `contribution` in the score's unit.
    pub fn because(mut self, label: impl Into<String>, contribution: f64) -> Self {
        self.explanation.push(Contribution {
            label: label.into(),
            value: contribution,
        });
        self
    }

    /// The first value named `name`, if any.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.iter().find(|v| v.name == name).map(|v| v.value)
    }

    /// The sum of the explanation's contributions.
    pub fn explanation_total(&self) -> f64 {
        self.explanation.iter().map(|c| c.value).sum()
    }
}

/// A plugin of kind `scorer`: scores customers (lifetime value, churn risk,
/// health). Export it with [`export_scorer!`].
pub trait Scorer {
    /// The configuration, deserialised from the JSON the tenant installed
    /// (already validated by the host against the plugin's schema).
    type Config: DeserializeOwned;
    /// What `fit` learns; stored as bytes between the two phases, JSON unless
    /// the plugin chooses otherwise ([`Self::encode_model`]).
    type Model: Serialize + DeserializeOwned;

    /// Learns the model from the whole eligible population.
    fn fit(
        config: &Self::Config,
        ctx: &Ctx,
        population: &[Customer],
    ) -> Result<Fitted<Self::Model>, PluginError>;

    /// Scores one batch with the model `fit` returned: one output per
    /// customer, in batch order. `Vec<Output>` converts with `.into()`.
    fn score(
        config: &Self::Config,
        ctx: &Ctx,
        model: &Self::Model,
        batch: &[Customer],
    ) -> Result<Scored, PluginError>;

    /// `fit` on the batch as the host sent it. The default turns it into
    /// records and calls [`Self::fit`]; a plugin overrides it to read the
    /// columns directly (see [`CustomerBatch`]). Native runs ([`run`]) call
    /// this too, with a batch over records, so both paths are tested alike.
    fn fit_batch(
        config: &Self::Config,
        ctx: &Ctx,
        population: CustomerBatch<'_>,
    ) -> Result<Fitted<Self::Model>, PluginError> {
        Self::fit(config, ctx, &population.into_records()?)
    }

    /// `score` on the batch as the host sent it. The default turns it into
    /// records and calls [`Self::score`]; a plugin overrides it to read the
    /// columns directly and to write its outputs as columns
    /// ([`OutputColumns`], [`ScoredBatch::Columns`]).
    fn score_batch(
        config: &Self::Config,
        ctx: &Ctx,
        model: &Self::Model,
        batch: CustomerBatch<'_>,
    ) -> Result<ScoredBatch, PluginError> {
        Self::score(config, ctx, model, &batch.into_records()?).map(ScoredBatch::Records)
    }

    /// The model as the bytes every `score` call receives. The default is
    /// JSON ([`run::encode_model`]). A plugin whose model is large, and
    /// decoded again by each of many `score` calls, may choose a layout that
    /// reads faster; it then overrides [`Self::decode_model`] to match.
    fn encode_model(model: &Self::Model) -> Result<Vec<u8>, PluginError> {
        run::encode_model(model)
    }

    /// Reads bytes [`Self::encode_model`] wrote. The default reads JSON
    /// ([`run::decode_model`]).
    fn decode_model(bytes: &[u8]) -> Result<Self::Model, PluginError> {
        run::decode_model(bytes)
    }
}

/// A plugin of kind `segmenter`: assigns customers to named segments (the
/// output's `label`). Export it with [`export_segmenter!`].
pub trait Segmenter {
    /// The configuration, deserialised from the JSON the tenant installed.
    type Config: DeserializeOwned;
    /// What `fit` learns; stored as JSON bytes between the two phases.
    type Model: Serialize + DeserializeOwned;

    /// Learns the model from the whole eligible population.
    fn fit(
        config: &Self::Config,
        ctx: &Ctx,
        population: &[Customer],
    ) -> Result<Fitted<Self::Model>, PluginError>;

    /// Segments one batch: one output per customer, in batch order, with the
    /// segment as its label.
    fn score(
        config: &Self::Config,
        ctx: &Ctx,
        model: &Self::Model,
        batch: &[Customer],
    ) -> Result<Scored, PluginError>;

    /// `fit` on the batch as the host sent it; see [`Scorer::fit_batch`].
    fn fit_batch(
        config: &Self::Config,
        ctx: &Ctx,
        population: CustomerBatch<'_>,
    ) -> Result<Fitted<Self::Model>, PluginError> {
        Self::fit(config, ctx, &population.into_records()?)
    }

    /// `score` on the batch as the host sent it; see [`Scorer::score_batch`].
    fn score_batch(
        config: &Self::Config,
        ctx: &Ctx,
        model: &Self::Model,
        batch: CustomerBatch<'_>,
    ) -> Result<ScoredBatch, PluginError> {
        Self::score(config, ctx, model, &batch.into_records()?).map(ScoredBatch::Records)
    }
}

/// A plugin of kind `supplier-rater`: rates suppliers. Export it with
/// [`export_supplier_rater!`].
pub trait SupplierRater {
    /// The configuration, deserialised from the JSON the tenant installed.
    type Config: DeserializeOwned;
    /// What `fit` learns; stored as JSON bytes between the two phases.
    type Model: Serialize + DeserializeOwned;

    /// Learns the model from the whole eligible population of suppliers.
    fn fit(
        config: &Self::Config,
        ctx: &Ctx,
        population: &[Supplier],
    ) -> Result<Fitted<Self::Model>, PluginError>;

    /// Rates one batch: one output per supplier, in batch order.
    fn score(
        config: &Self::Config,
        ctx: &Ctx,
        model: &Self::Model,
        batch: &[Supplier],
    ) -> Result<Scored, PluginError>;
}

/// Calls a plugin the way the component glue does: configuration as JSON,
/// model as bytes. The export macros use these on `wasm32`; natively they let
/// tests and benchmarks run a plugin end to end without WebAssembly.
pub mod run {
    use super::*;

    /// Parses a configuration; an empty or blank string reads as `{}`.
    pub fn parse_config<C: DeserializeOwned>(json: &str) -> Result<C, PluginError> {
        let json = if json.trim().is_empty() { "{}" } else { json };
        serde_json::from_str(json)
            .map_err(|e| PluginError::config(format!("invalid plugin configuration: {e}")))
    }

    /// Serialises a model as JSON bytes.
    pub fn encode_model<M: Serialize>(model: &M) -> Result<Vec<u8>, PluginError> {
        serde_json::to_vec(model)
            .map_err(|e| PluginError::new("model", format!("cannot serialise the model: {e}")))
    }

    /// Deserialises model bytes written by [`encode_model`].
    pub fn decode_model<M: DeserializeOwned>(bytes: &[u8]) -> Result<M, PluginError> {
        serde_json::from_slice(bytes).map_err(|e| {
            PluginError::new(
                "model",
                format!("the model handed to `score` does not parse (was it written by this plugin's `fit`?): {e}"),
            )
        })
    }

    /// Parses the configuration, fits, and encodes the model: every kind's
    /// `fit`, whatever form its population takes.
    fn fit_with<C, M, P>(
        ctx: &Context,
        population: P,
        fit: impl FnOnce(&C, &Ctx, P) -> Result<Fitted<M>, PluginError>,
        encode: impl FnOnce(&M) -> Result<Vec<u8>, PluginError>,
    ) -> Result<wit::Model, PluginError>
    where
        C: DeserializeOwned,
    {
        let config: C = parse_config(&ctx.config)?;
        let fitted = fit(&config, &Ctx::from(ctx), population)?;
        Ok(wit::Model {
            state: encode(&fitted.model)?,
            diagnostics: fitted.diagnostics,
        })
    }

    /// Parses the configuration, decodes the model, and scores: every
    /// kind's `score`, whatever form its batch and result take.
    fn score_with<C, M, P, R>(
        ctx: &Context,
        model: &[u8],
        batch: P,
        score: impl FnOnce(&C, &Ctx, &M, P) -> Result<R, PluginError>,
        decode: impl FnOnce(&[u8]) -> Result<M, PluginError>,
    ) -> Result<R, PluginError>
    where
        C: DeserializeOwned,
    {
        let config: C = parse_config(&ctx.config)?;
        let model: M = decode(model)?;
        score(&config, &Ctx::from(ctx), &model, batch)
    }

    /// `fit` of a [`Scorer`], as the host calls it (through
    /// [`Scorer::fit_batch`]).
    pub fn scorer_fit<S: Scorer>(
        ctx: &Context,
        population: &[Customer],
    ) -> Result<wit::Model, PluginError> {
        scorer_fit_batch::<S>(ctx, CustomerBatch::records(population))
    }

    /// `fit` of a [`Scorer`] on a batch in either layout.
    pub fn scorer_fit_batch<S: Scorer>(
        ctx: &Context,
        population: CustomerBatch<'_>,
    ) -> Result<wit::Model, PluginError> {
        fit_with(ctx, population, S::fit_batch, S::encode_model)
    }

    /// `score` of a [`Scorer`], as the host calls it (through
    /// [`Scorer::score_batch`]), with the outputs as records.
    pub fn scorer_score<S: Scorer>(
        ctx: &Context,
        model: &[u8],
        batch: &[Customer],
    ) -> Result<Scored, PluginError> {
        scorer_score_batch::<S>(ctx, model, CustomerBatch::records(batch))
            .map(ScoredBatch::into_scored)
    }

    /// `score` of a [`Scorer`] on a batch in either layout, with the outputs
    /// in the layout the plugin wrote them in.
    pub fn scorer_score_batch<S: Scorer>(
        ctx: &Context,
        model: &[u8],
        batch: CustomerBatch<'_>,
    ) -> Result<ScoredBatch, PluginError> {
        score_with(ctx, model, batch, S::score_batch, S::decode_model)
    }

    /// `fit` of a [`Segmenter`], as the host calls it (through
    /// [`Segmenter::fit_batch`]).
    pub fn segmenter_fit<S: Segmenter>(
        ctx: &Context,
        population: &[Customer],
    ) -> Result<wit::Model, PluginError> {
        segmenter_fit_batch::<S>(ctx, CustomerBatch::records(population))
    }

    /// `fit` of a [`Segmenter`] on a batch in either layout.
    pub fn segmenter_fit_batch<S: Segmenter>(
        ctx: &Context,
        population: CustomerBatch<'_>,
    ) -> Result<wit::Model, PluginError> {
        fit_with(ctx, population, S::fit_batch, encode_model)
    }

    /// `score` of a [`Segmenter`], as the host calls it (through
    /// [`Segmenter::score_batch`]), with the outputs as records.
    pub fn segmenter_score<S: Segmenter>(
        ctx: &Context,
        model: &[u8],
        batch: &[Customer],
    ) -> Result<Scored, PluginError> {
        segmenter_score_batch::<S>(ctx, model, CustomerBatch::records(batch))
            .map(ScoredBatch::into_scored)
    }

    /// `score` of a [`Segmenter`] on a batch in either layout, with the
    /// outputs in the layout the plugin wrote them in.
    pub fn segmenter_score_batch<S: Segmenter>(
        ctx: &Context,
        model: &[u8],
        batch: CustomerBatch<'_>,
    ) -> Result<ScoredBatch, PluginError> {
        score_with(ctx, model, batch, S::score_batch, decode_model)
    }

    /// `fit` of a [`SupplierRater`], as the host calls it.
    pub fn supplier_rater_fit<S: SupplierRater>(
        ctx: &Context,
        population: &[Supplier],
    ) -> Result<wit::Model, PluginError> {
        fit_with(ctx, population, S::fit, encode_model)
    }

    /// `score` of a [`SupplierRater`], as the host calls it.
    pub fn supplier_rater_score<S: SupplierRater>(
        ctx: &Context,
        model: &[u8],
        batch: &[Supplier],
    ) -> Result<Scored, PluginError> {
        score_with(ctx, model, batch, S::score, decode_model)
    }
}

/// Glue between the traits and the generated bindings; used by the export
/// macros. Not a stable API.
#[doc(hidden)]
pub mod __private {
    use super::*;
    use crate::bindings::{scorer, segmenter, supplier_rater};

    /// Adapts a [`Scorer`] to the generated `scoring` guest trait.
    pub struct ScorerExport<T>(PhantomData<T>);
    /// Adapts a [`Segmenter`] to the generated `segmentation` guest trait.
    pub struct SegmenterExport<T>(PhantomData<T>);
    /// Adapts a [`SupplierRater`] to the generated `supplier-rating` guest trait.
    pub struct SupplierRaterExport<T>(PhantomData<T>);

    // Each batch arrives as columns and becomes one value per record; each
    // result leaves as columns (see `columns.rs`).

    impl<T: Scorer> scorer::exports::rapport::plugin::scoring::Guest for ScorerExport<T> {
        fn fit(ctx: Context, population: wit::Customers) -> Result<wit::Model, PluginError> {
            run::scorer_fit_batch::<T>(&ctx, CustomerBatch::columns(population))
        }
        fn score(
            ctx: Context,
            model: Vec<u8>,
            batch: wit::Customers,
        ) -> Result<wit::Scored, PluginError> {
            run::scorer_score_batch::<T>(&ctx, &model, CustomerBatch::columns(batch))
                .map(ScoredBatch::into_wire)
        }
    }

    impl<T: Segmenter> segmenter::exports::rapport::plugin::segmentation::Guest for SegmenterExport<T> {
        fn fit(ctx: Context, population: wit::Customers) -> Result<wit::Model, PluginError> {
            run::segmenter_fit_batch::<T>(&ctx, CustomerBatch::columns(population))
        }
        fn score(
            ctx: Context,
            model: Vec<u8>,
            batch: wit::Customers,
        ) -> Result<wit::Scored, PluginError> {
            run::segmenter_score_batch::<T>(&ctx, &model, CustomerBatch::columns(batch))
                .map(ScoredBatch::into_wire)
        }
    }

    impl<T: SupplierRater> supplier_rater::exports::rapport::plugin::supplier_rating::Guest
        for SupplierRaterExport<T>
    {
        fn fit(ctx: Context, population: wit::Suppliers) -> Result<wit::Model, PluginError> {
            run::supplier_rater_fit::<T>(&ctx, &columns::suppliers(population)?)
        }
        fn score(
            ctx: Context,
            model: Vec<u8>,
            batch: wit::Suppliers,
        ) -> Result<wit::Scored, PluginError> {
            let batch = columns::suppliers(batch)?;
            run::supplier_rater_score::<T>(&ctx, &model, &batch).map(columns::scored)
        }
    }

    /// Compile-time check used by the export macros on native targets.
    pub fn assert_scorer<T: Scorer>() {}
    /// Compile-time check used by the export macros on native targets.
    pub fn assert_segmenter<T: Segmenter>() {}
    /// Compile-time check used by the export macros on native targets.
    pub fn assert_supplier_rater<T: SupplierRater>() {}
}

/// Exports a [`Scorer`] as the component's `rapport:plugin/scoring`
/// interface. Use it once per crate, at the top level:
/// `rapport_plugin_sdk::export_scorer!(MyScorer);`.
///
/// On `wasm32` this emits the component glue; on other targets it only
/// checks that the type implements [`Scorer`].
#[macro_export]
macro_rules! export_scorer {
    ($ty:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __RapportScorerExport = $crate::__private::ScorerExport<$ty>;
            $crate::bindings::scorer::export!(
                __RapportScorerExport with_types_in $crate::bindings::scorer
            );
        };
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() = $crate::__private::assert_scorer::<$ty>;
    };
}

/// Exports a [`Segmenter`] as the component's
/// `rapport:plugin/segmentation` interface. Use it once per crate, at the top
/// level: `rapport_plugin_sdk::export_segmenter!(MySegmenter);`.
///
/// On `wasm32` this emits the component glue; on other targets it only
/// checks that the type implements [`Segmenter`].
#[macro_export]
macro_rules! export_segmenter {
    ($ty:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __RapportSegmenterExport = $crate::__private::SegmenterExport<$ty>;
            $crate::bindings::segmenter::export!(
                __RapportSegmenterExport with_types_in $crate::bindings::segmenter
            );
        };
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() = $crate::__private::assert_segmenter::<$ty>;
    };
}

/// Exports a [`SupplierRater`] as the component's
/// `rapport:plugin/supplier-rating` interface. Use it once per crate, at the
/// top level: `rapport_plugin_sdk::export_supplier_rater!(MyRater);`.
///
/// On `wasm32` this emits the component glue; on other targets it only
/// checks that the type implements [`SupplierRater`].
#[macro_export]
macro_rules! export_supplier_rater {
    ($ty:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type __RapportSupplierRaterExport = $crate::__private::SupplierRaterExport<$ty>;
            $crate::bindings::supplier_rater::export!(
                __RapportSupplierRaterExport with_types_in $crate::bindings::supplier_rater
            );
        };
        #[cfg(not(target_arch = "wasm32"))]
        const _: fn() = $crate::__private::assert_supplier_rater::<$ty>;
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Config {
        #[serde(default)]
        weight: f64,
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Model {
        total: f64,
        as_of: i64,
    }

    struct Spend;

    impl Scorer for Spend {
        type Config = Config;
        type Model = Model;

        fn fit(
            _: &Config,
            ctx: &Ctx,
            population: &[Customer],
        ) -> Result<Fitted<Model>, PluginError> {
            let total = population
                .iter()
                .filter_map(|c| c.purchases.total_amount)
                .sum();
            Ok(Fitted::new(Model {
                total,
                as_of: ctx.as_of,
            })
            .info("fitted"))
        }

        fn score(
            config: &Config,
            _: &Ctx,
            model: &Model,
            batch: &[Customer],
        ) -> Result<Scored, PluginError> {
            let outputs: Vec<Output> = batch
                .iter()
                .map(|c| {
                    let share = c.purchases.total_amount.unwrap_or(0.0) / model.total;
                    Output::new(c.subject, share * config.weight)
                        .because("share of spend", share * config.weight)
                })
                .collect();
            Ok(Scored::from(outputs).warning("scored"))
        }
    }

    export_scorer!(Spend);

    fn customer(subject: u64, total: Option<f64>) -> Customer {
        serde_json::from_value(serde_json::json!({
            "subject": subject,
            "purchases": { "total_amount": total },
        }))
        .expect("a customer in fixture form")
    }

    #[test]
    fn fit_and_score_round_trip_through_config_json_and_model_bytes() {
        let pop = [
            customer(1, Some(30.0)),
            customer(2, Some(10.0)),
            customer(3, None),
        ];
        let ctx = Context::new(r#"{"weight": 2}"#, 1_700_000_000, 9);
        let model = run::scorer_fit::<Spend>(&ctx, &pop).expect("fit");
        assert_eq!(model.diagnostics, [Diagnostic::info("fitted")]);
        assert_eq!(
            run::decode_model::<Model>(&model.state).expect("model"),
            Model {
                total: 40.0,
                as_of: 1_700_000_000
            }
        );
        let scored = run::scorer_score::<Spend>(&ctx, &model.state, &pop[..2]).expect("score");
        let scores: Vec<(u64, f64)> = scored
            .outputs
            .iter()
            .map(|o| (o.subject, o.score))
            .collect();
        assert_eq!(scores, [(1, 1.5), (2, 0.5)]);
        assert_eq!(scored.diagnostics[0].severity, Severity::Warning);
        assert_eq!(
            scored.outputs[0].explanation_total(),
            scored.outputs[0].score
        );
    }

    #[test]
    fn a_config_that_does_not_parse_is_a_config_error_naming_the_field() {
        let ctx = Context::new(r#"{"wieght": 2}"#, 0, 0);
        let err = run::scorer_fit::<Spend>(&ctx, &[]).expect_err("unknown field");
        assert_eq!(err.code, "config");
        assert!(err.message.contains("wieght"), "{}", err.message);
        let err = run::parse_config::<Config>(r#"{"weight": "heavy"}"#)
            .map(|_| ())
            .expect_err("type");
        assert!(err.message.contains("invalid type"), "{}", err.message);
        assert!(
            run::parse_config::<Config>("  ").is_ok(),
            "blank reads as {{}}"
        );
    }

    #[test]
    fn a_foreign_model_is_a_model_error() {
        let ctx = Context::new("{}", 0, 0);
        let err = run::scorer_score::<Spend>(&ctx, b"not json", &[]).expect_err("bad model");
        assert_eq!(err.code, "model");
    }

    #[test]
    fn output_builder_keeps_order() {
        let o = Output::new(7, 3.0)
            .label("high")
            .value("a", 1.0)
            .value("b", 2.0)
            .because("x", 1.0)
            .because("y", 2.0);
        assert_eq!(o.label.as_deref(), Some("high"));
        assert_eq!(o.get("b"), Some(2.0));
        assert_eq!(o.get("c"), None);
        assert_eq!(
            o.values.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(o.explanation_total(), 3.0);
    }

    #[test]
    fn ctx_counts_days_up_to_as_of() {
        let ctx = Ctx::new(10 * DAY + 3600, 1);
        assert_eq!(ctx.whole_days_since(0), 10);
        assert_eq!(ctx.whole_days_since(10 * DAY + 7200), -1);
        assert!((ctx.days_since(DAY) - (9.0 + 1.0 / 24.0)).abs() < 1e-12);
        assert_eq!(ctx.rng().next_u64(), Rng::new(1).next_u64());
    }

    #[test]
    fn customers_read_from_fixture_json_with_missing_options_as_none() {
        let c: Customer = serde_json::from_str(
            r#"{"subject": 1, "signup": null, "country": "US", "purchases": {"count": 3, "last": 1760000000, "total_amount": 120.5}}"#,
        )
        .expect("fixture customer");
        assert_eq!(c.purchases.count, Some(3));
        assert_eq!(c.purchases.first, None);
        assert_eq!(c.transactions, None);
        assert_eq!(c.country.as_deref(), Some("US"));
    }
}

//! A supplier rater: the host must refuse it when it is loaded as a scorer.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({ path: "../../wit-legacy/0.1.0", world: "supplier-rater" });

use exports::rapport::plugin::supplier_rating::Guest;
use rapport::plugin::types::{Context, Model, Output, PluginError, Scored, Supplier};

struct Rater;

impl Guest for Rater {
    fn fit(_ctx: Context, _population: Vec<Supplier>) -> Result<Model, PluginError> {
        Ok(Model {
            state: Vec::new(),
            diagnostics: Vec::new(),
        })
    }

    fn score(_ctx: Context, _model: Vec<u8>, batch: Vec<Supplier>) -> Result<Scored, PluginError> {
        Ok(Scored {
            outputs: batch
                .iter()
                .map(|s| Output {
                    subject: s.subject,
                    score: s.deliveries.as_ref().map_or(0, Vec::len) as f64,
                    label: None,
                    values: Vec::new(),
                    explanation: Vec::new(),
                })
                .collect(),
            diagnostics: Vec::new(),
        })
    }
}

// The component glue exists on wasm32 only: a native build (the
// workspace\'s `cargo test`) just type-checks the plugin.
#[cfg(target_arch = "wasm32")]
export!(Rater);

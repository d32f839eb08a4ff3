//! A scorer that refuses every input with a plugin error, which the host
//! must return as data.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({ path: "../../wit-legacy/0.1.0", world: "scorer" });

use exports::rapport::plugin::scoring::Guest;
use rapport::plugin::types::{Context, Customer, Model, PluginError, Scored};

struct Refuse;

impl Guest for Refuse {
    fn fit(_ctx: Context, population: Vec<Customer>) -> Result<Model, PluginError> {
        Err(PluginError {
            code: "no-convergence".into(),
            message: format!("did not converge on {} customers", population.len()),
        })
    }

    fn score(_ctx: Context, _model: Vec<u8>, batch: Vec<Customer>) -> Result<Scored, PluginError> {
        Err(PluginError {
            code: "bad-data".into(),
            message: format!("refused a batch of {} customers", batch.len()),
        })
    }
}

// The component glue exists on wasm32 only: a native build (the
// workspace\'s `cargo test`) just type-checks the plugin.
#[cfg(target_arch = "wasm32")]
export!(Refuse);

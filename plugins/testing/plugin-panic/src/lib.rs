//! A scorer that panics in `score`: the host must report the panic message
//! and go on working.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({ path: "../../wit-legacy/0.1.0", world: "scorer" });

use exports::rapport::plugin::scoring::Guest;
use rapport::plugin::types::{Context, Customer, Model, PluginError, Scored};

struct Boom;

impl Guest for Boom {
    fn fit(_ctx: Context, _population: Vec<Customer>) -> Result<Model, PluginError> {
        Ok(Model {
            state: Vec::new(),
            diagnostics: Vec::new(),
        })
    }

    fn score(_ctx: Context, _model: Vec<u8>, batch: Vec<Customer>) -> Result<Scored, PluginError> {
        panic!(
            "plugin-panic gave up on a batch of {} customers",
            batch.len()
        );
    }
}

// The component glue exists on wasm32 only: a native build (the
// workspace\'s `cargo test`) just type-checks the plugin.
#[cfg(target_arch = "wasm32")]
export!(Boom);

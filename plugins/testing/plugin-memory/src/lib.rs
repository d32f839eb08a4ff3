//! A scorer that allocates without bound in `score`: the host's memory limit
//! must stop it.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({ path: "../../wit-legacy/0.1.0", world: "scorer" });

use exports::rapport::plugin::scoring::Guest;
use rapport::plugin::types::{Context, Customer, Model, PluginError, Scored};

struct Hog;

impl Guest for Hog {
    fn fit(_ctx: Context, _population: Vec<Customer>) -> Result<Model, PluginError> {
        Ok(Model {
            state: Vec::new(),
            diagnostics: Vec::new(),
        })
    }

    fn score(_ctx: Context, _model: Vec<u8>, batch: Vec<Customer>) -> Result<Scored, PluginError> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            // Touch every page so that nothing is optimised away.
            hoard.push(vec![batch.len() as u8 | 1; 1 << 20]);
            std::hint::black_box(&hoard);
        }
    }
}

// The component glue exists on wasm32 only: a native build (the
// workspace\'s `cargo test`) just type-checks the plugin.
#[cfg(target_arch = "wasm32")]
export!(Hog);

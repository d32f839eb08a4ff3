//! A scorer whose `score` never returns: the host must stop it by fuel or
//! by time.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({ path: "../../wit-legacy/0.1.0", world: "scorer" });

use exports::rapport::plugin::scoring::Guest;
use rapport::plugin::types::{Context, Customer, Model, PluginError, Scored};

struct Spin;

impl Guest for Spin {
    fn fit(_ctx: Context, _population: Vec<Customer>) -> Result<Model, PluginError> {
        Ok(Model {
            state: Vec::new(),
            diagnostics: Vec::new(),
        })
    }

    fn score(_ctx: Context, _model: Vec<u8>, batch: Vec<Customer>) -> Result<Scored, PluginError> {
        let mut x = batch.len() as u64;
        loop {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
}

// The component glue exists on wasm32 only: a native build (the
// workspace\'s `cargo test`) just type-checks the plugin.
#[cfg(target_arch = "wasm32")]
export!(Spin);

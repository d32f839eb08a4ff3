//! A scorer that recurses without bound in `score`: the host's call-stack
//! limit must stop it.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({ path: "../../wit-legacy/0.1.0", world: "scorer" });

use exports::rapport::plugin::scoring::Guest;
use rapport::plugin::types::{Context, Customer, Model, PluginError, Scored};

struct Deep;

/// Called through an opaque function pointer so that the compiler can neither
/// inline it nor turn the recursion into a loop.
fn descend(n: u64) -> u64 {
    let next: fn(u64) -> u64 = std::hint::black_box(descend);
    if n == 0 {
        0
    } else {
        next(n - 1).wrapping_mul(3).wrapping_add(n)
    }
}

impl Guest for Deep {
    fn fit(_ctx: Context, _population: Vec<Customer>) -> Result<Model, PluginError> {
        Ok(Model {
            state: Vec::new(),
            diagnostics: Vec::new(),
        })
    }

    fn score(_ctx: Context, _model: Vec<u8>, batch: Vec<Customer>) -> Result<Scored, PluginError> {
        let depth = descend(u64::MAX - batch.len() as u64);
        Err(PluginError {
            code: "unreachable".into(),
            message: format!("returned from depth {depth}"),
        })
    }
}

// The component glue exists on wasm32 only: a native build (the
// workspace\'s `cargo test`) just type-checks the plugin.
#[cfg(target_arch = "wasm32")]
export!(Deep);

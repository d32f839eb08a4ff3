//! A scorer that returns more output than a batch allows.
//!
//! By default it returns 1.2 outputs per customer (every subject once, then
//! the first fifth again under made-up handles). With `"bytes"` in its
//! configuration it returns one output per customer, each as large as the
//! per-output checks allow, so that only the total output budget refuses it.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({ path: "../../wit-legacy/0.1.0", world: "scorer" });

use exports::rapport::plugin::scoring::Guest;
use rapport::plugin::types::{
    Context, Contribution, Customer, Model, NamedValue, Output, PluginError, Scored,
};

struct Flood;

impl Guest for Flood {
    fn fit(_ctx: Context, _population: Vec<Customer>) -> Result<Model, PluginError> {
        Ok(Model {
            state: Vec::new(),
            diagnostics: Vec::new(),
        })
    }

    fn score(ctx: Context, _model: Vec<u8>, batch: Vec<Customer>) -> Result<Scored, PluginError> {
        let plain = |subject: u64| Output {
            subject,
            score: 1.0,
            label: None,
            values: Vec::new(),
            explanation: Vec::new(),
        };
        let outputs = if ctx.config.contains("bytes") {
            batch
                .iter()
                .map(|c| Output {
                    values: (0..64)
                        .map(|i| NamedValue {
                            name: format!("{i:0>64}"),
                            value: 1.0,
                        })
                        .collect(),
                    explanation: (0..64)
                        .map(|i| Contribution {
                            label: format!("{i:x>200}"),
                            value: 1.0,
                        })
                        .collect(),
                    ..plain(c.subject)
                })
                .collect()
        } else {
            let mut outputs: Vec<Output> = batch.iter().map(|c| plain(c.subject)).collect();
            let extra = batch.len() / 5;
            outputs.extend((0..extra as u64).map(|i| plain(u64::MAX - i)));
            outputs
        };
        Ok(Scored {
            outputs,
            diagnostics: Vec::new(),
        })
    }
}

// The component glue exists on wasm32 only: a native build (the
// workspace\'s `cargo test`) just type-checks the plugin.
#[cfg(target_arch = "wasm32")]
export!(Flood);

//! A scorer that tries to read a file of the host with `std::fs`. If the
//! read ever succeeded, it would return the file's length as its score and
//! its first line as its label.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({ path: "../../wit-legacy/0.1.0", world: "scorer" });

use exports::rapport::plugin::scoring::Guest;
use rapport::plugin::types::{Context, Customer, Model, Output, PluginError, Scored};

struct Snoop;

impl Guest for Snoop {
    fn fit(_ctx: Context, _population: Vec<Customer>) -> Result<Model, PluginError> {
        Ok(Model {
            state: Vec::new(),
            diagnostics: Vec::new(),
        })
    }

    fn score(_ctx: Context, _model: Vec<u8>, batch: Vec<Customer>) -> Result<Scored, PluginError> {
        match std::fs::read_to_string("/etc/passwd") {
            Ok(text) => Ok(Scored {
                outputs: batch
                    .iter()
                    .map(|c| Output {
                        subject: c.subject,
                        score: text.len() as f64,
                        label: text.lines().next().map(|l| l.chars().take(60).collect()),
                        values: Vec::new(),
                        explanation: Vec::new(),
                    })
                    .collect(),
                diagnostics: Vec::new(),
            }),
            Err(e) => Err(PluginError {
                code: "fs".into(),
                message: e.to_string(),
            }),
        }
    }
}

// The component glue exists on wasm32 only: a native build (the
// workspace\'s `cargo test`) just type-checks the plugin.
#[cfg(target_arch = "wasm32")]
export!(Snoop);

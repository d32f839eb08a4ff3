//! A scorer that tries to open a TCP connection with `std::net`.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({ path: "../../wit-legacy/0.1.0", world: "scorer" });

use std::io::Write;

use exports::rapport::plugin::scoring::Guest;
use rapport::plugin::types::{Context, Customer, Model, PluginError, Scored};

struct Dial;

impl Guest for Dial {
    fn fit(_ctx: Context, _population: Vec<Customer>) -> Result<Model, PluginError> {
        Ok(Model {
            state: Vec::new(),
            diagnostics: Vec::new(),
        })
    }

    fn score(_ctx: Context, _model: Vec<u8>, batch: Vec<Customer>) -> Result<Scored, PluginError> {
        let sent = std::net::TcpStream::connect(("127.0.0.1", 9))
            .and_then(|mut s| s.write_all(format!("{} customers\n", batch.len()).as_bytes()));
        match sent {
            Ok(()) => Err(PluginError {
                code: "sockets".into(),
                message: "sent the batch size to 127.0.0.1:9".into(),
            }),
            Err(e) => Err(PluginError {
                code: "sockets".into(),
                message: e.to_string(),
            }),
        }
    }
}

// The component glue exists on wasm32 only: a native build (the
// workspace\'s `cargo test`) just type-checks the plugin.
#[cfg(target_arch = "wasm32")]
export!(Dial);

//! A scorer that grows its linear memory by the number of MiB in its
//! configuration (`{"fill": N}` or `{"check": N}`) and then either fills the
//! new pages with a pattern or counts the bytes in them that are not zero.
//! WebAssembly promises that grown pages are zero; the host reuses memory
//! between calls, so a `check` after a `fill` shows whether anything one call
//! wrote is visible to the next. Every output's score is that count (0 for
//! `fill`).

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({ path: "../../wit-legacy/0.1.0", world: "scorer" });

use exports::rapport::plugin::scoring::Guest;
use rapport::plugin::types::{Context, Customer, Model, Output, PluginError, Scored};

const PAGE: usize = 64 * 1024;
const PATTERN: u8 = 0xA5;

struct Residue;

/// The number after `key` in a configuration such as `{"fill": 32}`.
fn mib(config: &str, key: &str) -> Option<usize> {
    let rest = &config[config.find(key)? + key.len()..];
    let digits: String = rest
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Grows memory 0 by `mib` MiB; the new pages as a byte range.
#[cfg(target_arch = "wasm32")]
fn grow(mib: usize) -> Result<&'static mut [u8], PluginError> {
    let pages = mib * (1 << 20) / PAGE;
    let old = core::arch::wasm32::memory_grow(0, pages);
    if old == usize::MAX {
        return Err(PluginError {
            code: "grow".into(),
            message: format!("memory.grow by {pages} pages failed"),
        });
    }
    // SAFETY: the pages from `old` on were just added to this instance's
    // memory and nothing else (the allocator included) knows of them.
    #[allow(unsafe_code)]
    Ok(unsafe { core::slice::from_raw_parts_mut((old * PAGE) as *mut u8, pages * PAGE) })
}

#[cfg(not(target_arch = "wasm32"))]
fn grow(_mib: usize) -> Result<&'static mut [u8], PluginError> {
    Err(PluginError {
        code: "grow".into(),
        message: "only a wasm32 build grows its memory".into(),
    })
}

impl Guest for Residue {
    fn fit(_ctx: Context, _population: Vec<Customer>) -> Result<Model, PluginError> {
        Ok(Model {
            state: Vec::new(),
            diagnostics: Vec::new(),
        })
    }

    fn score(ctx: Context, _model: Vec<u8>, batch: Vec<Customer>) -> Result<Scored, PluginError> {
        let found = if let Some(n) = mib(&ctx.config, "\"fill\"") {
            grow(n)?.fill(PATTERN);
            0
        } else if let Some(n) = mib(&ctx.config, "\"check\"") {
            grow(n)?.iter().filter(|&&b| b != 0).count()
        } else {
            return Err(PluginError {
                code: "config".into(),
                message: "expected {\"fill\": MIB} or {\"check\": MIB}".into(),
            });
        };
        Ok(Scored {
            outputs: batch
                .iter()
                .map(|c| Output {
                    subject: c.subject,
                    score: found as f64,
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
// workspace's `cargo test`) just type-checks the plugin.
#[cfg(target_arch = "wasm32")]
export!(Residue);

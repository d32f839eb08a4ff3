//! A well-behaved scorer that reports which input fields it was given.
//!
//! For every customer of a batch it returns one named value
//! `present:<field>` = 1.0 per catalogue field that was filled (for list
//! fields: filled in at least one element), and a score equal to the number
//! of such fields. `fit` returns the population size as its model state.
//! The host's tests use it to check that the data boundary passes exactly
//! the granted fields, and that a host keeps working after a hostile plugin.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({ path: "../../sdk/wit", world: "scorer" });

use exports::rapport::plugin::scoring::Guest;
use rapport::plugin::types::{
    Context, Customer, Diagnostic, Model, NamedValue, Output, PluginError, Scored, Severity,
};

struct Echo;

fn present(c: &Customer) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut flag = |name: &'static str, is: bool| {
        if is {
            out.push(name);
        }
    };
    flag("customer.signup", c.signup.is_some());
    flag("customer.country", c.country.is_some());
    flag("customer.region", c.region.is_some());
    let p = &c.purchases;
    flag("purchases.count", p.count.is_some());
    flag("purchases.days", p.days.is_some());
    flag("purchases.first", p.first.is_some());
    flag("purchases.last", p.last.is_some());
    flag("purchases.total_amount", p.total_amount.is_some());
    flag("purchases.total_quantity", p.total_quantity.is_some());
    let t = c.transactions.as_deref().unwrap_or_default();
    flag("transactions", c.transactions.is_some());
    flag("transactions.at", t.iter().any(|t| t.at.is_some()));
    flag("transactions.amount", t.iter().any(|t| t.amount.is_some()));
    flag(
        "transactions.quantity",
        t.iter().any(|t| t.quantity.is_some()),
    );
    flag(
        "transactions.channel",
        t.iter().any(|t| t.channel.is_some()),
    );
    let i = c.interactions.as_deref().unwrap_or_default();
    flag("interactions", c.interactions.is_some());
    flag("interactions.at", i.iter().any(|i| i.at.is_some()));
    flag("interactions.kind", i.iter().any(|i| i.kind.is_some()));
    flag(
        "interactions.channel",
        i.iter().any(|i| i.channel.is_some()),
    );
    flag("interactions.nps", i.iter().any(|i| i.nps.is_some()));
    flag(
        "interactions.sentiment",
        i.iter().any(|i| i.sentiment.is_some()),
    );
    let r = c.referrals.as_deref().unwrap_or_default();
    flag("referrals", c.referrals.is_some());
    flag("referrals.referred", r.iter().any(|r| r.referred.is_some()));
    flag("referrals.at", r.iter().any(|r| r.at.is_some()));
    out
}

impl Guest for Echo {
    fn fit(ctx: Context, population: Vec<Customer>) -> Result<Model, PluginError> {
        Ok(Model {
            state: (population.len() as u64).to_le_bytes().to_vec(),
            diagnostics: vec![Diagnostic {
                severity: Severity::Info,
                message: format!("fitted {} customers as of {}", population.len(), ctx.as_of),
            }],
        })
    }

    fn score(ctx: Context, model: Vec<u8>, batch: Vec<Customer>) -> Result<Scored, PluginError> {
        let outputs = batch
            .iter()
            .map(|c| {
                let fields = present(c);
                Output {
                    subject: c.subject,
                    score: fields.len() as f64,
                    label: None,
                    values: fields
                        .iter()
                        .map(|f| NamedValue {
                            name: format!("present:{f}"),
                            value: 1.0,
                        })
                        .collect(),
                    explanation: Vec::new(),
                }
            })
            .collect();
        Ok(Scored {
            outputs,
            diagnostics: vec![Diagnostic {
                severity: Severity::Info,
                message: format!(
                    "scored {} customers with a model of {} bytes, seed {}, config {}",
                    batch.len(),
                    model.len(),
                    ctx.seed,
                    ctx.config
                ),
            }],
        })
    }
}

// The component glue exists on wasm32 only: a native build (the
// workspace\'s `cargo test`) just type-checks the plugin.
#[cfg(target_arch = "wasm32")]
export!(Echo);

//! A well-behaved scorer that reports which input fields it was given.
//!
//! For every customer of a batch it returns one named value
//! `present:<field>` = 1.0 per catalogue field that was filled (for list
//! fields: filled in at least one element), and a score equal to the number
//! of such fields, labelled `echoed`; a previous score it was handed comes
//! back as the explanation term `previous score`. `fit` returns the population size as
//! its model state. The host's tests use it to check that the data boundary
//! passes exactly the granted fields, and that a host keeps working after a
//! hostile plugin.
//!
//! It reads the current contract's columns (`rapport:plugin@0.2.0`)
//! directly, without the SDK, so what it reports is exactly what crossed.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({ path: "../../sdk/wit", world: "scorer" });

use exports::rapport::plugin::scoring::Guest;
use rapport::plugin::types::{
    Context, Customers, Diagnostic, Model, Outputs, PluginError, Scored, Severity, Strings,
};

struct Echo;

/// Whether row `i` of a column with these `missing` rows has a value.
fn has(column: Option<&[u32]>, i: usize) -> bool {
    column.is_some_and(|missing| !missing.contains(&(i as u32)))
}

/// Whether any nested row of record `i` has a value in a column.
fn any(ends: &[u32], i: usize, column: Option<&[u32]>) -> bool {
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    (start..ends[i] as usize).any(|k| has(column, k))
}

macro_rules! missing {
    ($column:expr) => {
        $column.as_ref().map(|c| c.missing.as_slice())
    };
}

fn present(c: &Customers, i: usize) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut flag = |name: &'static str, is: bool| {
        if is {
            out.push(name);
        }
    };
    flag("customer.signup", has(missing!(c.signup), i));
    flag("customer.country", has(missing!(c.country), i));
    flag("customer.region", has(missing!(c.region), i));
    let p = &c.purchases;
    flag("purchases.count", has(missing!(p.count), i));
    flag("purchases.days", has(missing!(p.days), i));
    flag("purchases.first", has(missing!(p.first), i));
    flag("purchases.last", has(missing!(p.last), i));
    flag("purchases.total_amount", has(missing!(p.total_amount), i));
    flag(
        "purchases.total_quantity",
        has(missing!(p.total_quantity), i),
    );
    if let Some(t) = c
        .transactions
        .as_ref()
        .filter(|t| !t.missing.contains(&(i as u32)))
    {
        flag("transactions", true);
        flag("transactions.at", any(&t.ends, i, missing!(t.at)));
        flag("transactions.amount", any(&t.ends, i, missing!(t.amount)));
        flag(
            "transactions.quantity",
            any(&t.ends, i, missing!(t.quantity)),
        );
        flag("transactions.channel", any(&t.ends, i, missing!(t.channel)));
    }
    if let Some(t) = c
        .interactions
        .as_ref()
        .filter(|t| !t.missing.contains(&(i as u32)))
    {
        flag("interactions", true);
        flag("interactions.at", any(&t.ends, i, missing!(t.at)));
        flag("interactions.kind", any(&t.ends, i, missing!(t.kind)));
        flag("interactions.channel", any(&t.ends, i, missing!(t.channel)));
        flag("interactions.nps", any(&t.ends, i, missing!(t.nps)));
        flag(
            "interactions.sentiment",
            any(&t.ends, i, missing!(t.sentiment)),
        );
    }
    if let Some(t) = c
        .referrals
        .as_ref()
        .filter(|t| !t.missing.contains(&(i as u32)))
    {
        flag("referrals", true);
        flag("referrals.referred", any(&t.ends, i, missing!(t.referred)));
        flag("referrals.at", any(&t.ends, i, missing!(t.at)));
    }
    if let Some(p) = c
        .previous
        .as_ref()
        .filter(|p| !p.missing.contains(&(i as u32)))
    {
        flag("previous", true);
        flag("previous.as_of", has(missing!(p.as_of), i));
        flag("previous.score", has(missing!(p.score), i));
        flag("previous.label", has(missing!(p.label), i));
    }
    out
}

/// The previous score of row `i`, if it crossed.
fn previous_score(c: &Customers, i: usize) -> Option<f64> {
    let p = c
        .previous
        .as_ref()
        .filter(|p| !p.missing.contains(&(i as u32)))?;
    let s = p
        .score
        .as_ref()
        .filter(|s| !s.missing.contains(&(i as u32)))?;
    s.values.get(i).copied()
}

impl Guest for Echo {
    fn fit(ctx: Context, population: Customers) -> Result<Model, PluginError> {
        let n = population.subject.len();
        Ok(Model {
            state: (n as u64).to_le_bytes().to_vec(),
            diagnostics: vec![Diagnostic {
                severity: Severity::Info,
                message: format!("fitted {n} customers as of {}", ctx.as_of),
            }],
        })
    }

    fn score(ctx: Context, model: Vec<u8>, batch: Customers) -> Result<Scored, PluginError> {
        let n = batch.subject.len();
        let mut strings = Strings {
            text: String::new(),
            ends: Vec::new(),
        };
        let mut index = std::collections::BTreeMap::<String, u32>::new();
        let mut intern = |s: String| {
            *index.entry(s).or_insert_with_key(|s| {
                strings.text.push_str(s);
                strings.ends.push(strings.text.len() as u32);
                (strings.ends.len() - 1) as u32
            })
        };
        let mut o = Outputs {
            subject: Vec::with_capacity(n),
            score: Vec::with_capacity(n),
            label: Vec::with_capacity(n),
            value_count: Vec::with_capacity(n),
            value_name: Vec::new(),
            value: Vec::new(),
            term_count: Vec::with_capacity(n),
            term_label: Vec::new(),
            term_value: Vec::new(),
            strings: Strings {
                text: String::new(),
                ends: Vec::new(),
            },
        };
        for (i, &subject) in batch.subject.iter().enumerate() {
            let fields = present(&batch, i);
            o.subject.push(subject);
            o.score.push(fields.len() as f64);
            o.label.push(intern("echoed".to_owned()));
            o.value_count.push(fields.len() as u32);
            for f in fields {
                o.value_name.push(intern(format!("present:{f}")));
                o.value.push(1.0);
            }
            match previous_score(&batch, i) {
                Some(score) => {
                    o.term_count.push(1);
                    o.term_label.push(intern("previous score".to_owned()));
                    o.term_value.push(score);
                }
                None => o.term_count.push(0),
            }
        }
        o.strings = strings;
        Ok(Scored {
            outputs: o,
            diagnostics: vec![Diagnostic {
                severity: Severity::Info,
                message: format!(
                    "scored {n} customers with a model of {} bytes, seed {}, config {}",
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

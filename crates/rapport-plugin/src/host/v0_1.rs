//! Components built for `rapport:plugin@0.1.0` (the frozen contract in
//! `plugins/wit-legacy/0.1.0/plugin.wit`): one record per subject in, one
//! record per output out, every string copied on its own. Data directories
//! keep installed packages of that version, and the host keeps running them:
//! this module translates the host's types to and from that version's wire
//! types. A 0.1.0 component never receives a field 0.1.0 does not have
//! (`previous`), and the manifest checks refuse such a declaration.

use super::wit;

mod scorer {
    wasmtime::component::bindgen!({
        path: "../../plugins/wit-legacy/0.1.0",
        world: "scorer",
    });
}

mod segmenter {
    wasmtime::component::bindgen!({
        path: "../../plugins/wit-legacy/0.1.0",
        world: "segmenter",
        with: { "rapport:plugin/types": crate::host::v0_1::scorer::rapport::plugin::types },
    });
}

mod supplier_rater {
    wasmtime::component::bindgen!({
        path: "../../plugins/wit-legacy/0.1.0",
        world: "supplier-rater",
        with: { "rapport:plugin/types": crate::host::v0_1::scorer::rapport::plugin::types },
    });
}

use scorer::rapport::plugin::types as w;

pub(crate) use scorer::ScorerPre;
pub(crate) use segmenter::SegmenterPre;
pub(crate) use supplier_rater::SupplierRaterPre;

pub(crate) fn context(c: &wit::Context) -> w::Context {
    w::Context {
        config: c.config.clone(),
        as_of: c.as_of,
        seed: c.seed,
    }
}

pub(crate) fn customers(batch: &[wit::Customer]) -> Vec<w::Customer> {
    batch
        .iter()
        .map(|c| w::Customer {
            subject: c.subject,
            signup: c.signup,
            country: c.country.clone(),
            region: c.region.clone(),
            purchases: w::Purchases {
                count: c.purchases.count,
                days: c.purchases.days,
                first: c.purchases.first,
                last: c.purchases.last,
                total_amount: c.purchases.total_amount,
                total_quantity: c.purchases.total_quantity,
            },
            transactions: c.transactions.as_ref().map(|t| {
                t.iter()
                    .map(|t| w::Transaction {
                        at: t.at,
                        amount: t.amount,
                        quantity: t.quantity,
                        channel: t.channel.clone(),
                    })
                    .collect()
            }),
            interactions: c.interactions.as_ref().map(|i| {
                i.iter()
                    .map(|i| w::Interaction {
                        at: i.at,
                        kind: i.kind.clone(),
                        channel: i.channel.clone(),
                        nps: i.nps,
                        sentiment: i.sentiment,
                    })
                    .collect()
            }),
            referrals: c.referrals.as_ref().map(|r| {
                r.iter()
                    .map(|r| w::Referral {
                        referred: r.referred,
                        at: r.at,
                    })
                    .collect()
            }),
        })
        .collect()
}

pub(crate) fn suppliers(batch: &[wit::Supplier]) -> Vec<w::Supplier> {
    batch
        .iter()
        .map(|s| w::Supplier {
            subject: s.subject,
            category: s.category.clone(),
            country: s.country.clone(),
            deliveries: s.deliveries.as_ref().map(|d| {
                d.iter()
                    .map(|d| w::Delivery {
                        ordered: d.ordered,
                        promised: d.promised,
                        delivered: d.delivered,
                        quantity_ordered: d.quantity_ordered,
                        quantity_delivered: d.quantity_delivered,
                        quantity_accepted: d.quantity_accepted,
                        unit_price: d.unit_price,
                        agreed_unit_price: d.agreed_unit_price,
                        response_hours: d.response_hours,
                    })
                    .collect()
            }),
        })
        .collect()
}

fn diagnostic(d: w::Diagnostic) -> wit::Diagnostic {
    wit::Diagnostic {
        severity: match d.severity {
            w::Severity::Info => wit::Severity::Info,
            w::Severity::Warning => wit::Severity::Warning,
        },
        message: d.message,
    }
}

pub(crate) fn model(m: w::Model) -> wit::Model {
    wit::Model {
        state: m.state,
        diagnostics: m.diagnostics.into_iter().map(diagnostic).collect(),
    }
}

pub(crate) fn error(e: w::PluginError) -> wit::PluginError {
    wit::PluginError {
        code: e.code,
        message: e.message,
    }
}

pub(crate) fn scored(s: w::Scored) -> wit::Scored {
    let outputs: Vec<wit::Output> = s
        .outputs
        .into_iter()
        .map(|o| wit::Output {
            subject: o.subject,
            score: o.score,
            label: o.label,
            values: o
                .values
                .into_iter()
                .map(|v| wit::NamedValue {
                    name: v.name,
                    value: v.value,
                })
                .collect(),
            explanation: o
                .explanation
                .into_iter()
                .map(|c| wit::Contribution {
                    label: c.label,
                    value: c.value,
                })
                .collect(),
        })
        .collect();
    wit::Scored {
        outputs: wit::Outputs::from_outputs(&outputs),
        diagnostics: s.diagnostics.into_iter().map(diagnostic).collect(),
    }
}

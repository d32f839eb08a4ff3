//! Host-side bindings of the WIT contract in `plugins/sdk/wit/plugin.wit`.
//!
//! One binding per world (`scorer`, `segmenter`, `supplier-rater`); the
//! records of interface `types` are generated once and shared by all three,
//! so a [`Customer`] or an [`Output`] is the same Rust type whatever the kind
//! of plugin. Records derive serde with the Rust field names (snake_case);
//! a missing `option` field reads as `None`.

mod scorer {
    wasmtime::component::bindgen!({
        path: "../../plugins/sdk/wit",
        world: "scorer",
        additional_derives: [serde::Serialize, serde::Deserialize, Clone, PartialEq],
    });
}

mod segmenter {
    wasmtime::component::bindgen!({
        path: "../../plugins/sdk/wit",
        world: "segmenter",
        with: { "rapport:plugin/types": crate::host::wit::scorer::rapport::plugin::types },
    });
}

mod supplier_rater {
    wasmtime::component::bindgen!({
        path: "../../plugins/sdk/wit",
        world: "supplier-rater",
        with: { "rapport:plugin/types": crate::host::wit::scorer::rapport::plugin::types },
    });
}

pub use scorer::rapport::plugin::types::{
    Context, Contribution, Customer, Delivery, Diagnostic, Interaction, Model, NamedValue, Output,
    PluginError, Purchases, Referral, Scored, Severity, Supplier, Transaction,
};

pub(crate) use scorer::ScorerPre;
pub(crate) use segmenter::SegmenterPre;
pub(crate) use supplier_rater::SupplierRaterPre;

//! The plugin host against hostile and well-behaved guests, built from the
//! crates under `plugins/testing/`.

mod boundary;
mod cache;
mod hostile;
mod legacy;
mod reuse;
mod standalone;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use rapport_plugin::build;
use rapport_plugin::host::wit::{Context, Customer, Purchases};
use rapport_plugin::host::{Host, HostOptions, Plugin, Population};
use rapport_plugin::{Limits, PluginKind};

pub const GUESTS: &[&str] = &[
    "plugin-echo",
    "plugin-loop",
    "plugin-memory",
    "plugin-recursion",
    "plugin-huge-output",
    "plugin-panic",
    "plugin-fs",
    "plugin-sockets",
    "plugin-guest-error",
    "plugin-wrong-kind",
    "plugin-residue",
];

/// The component of a test guest (all are built once, in one cargo run).
pub fn guest(name: &str) -> Vec<u8> {
    static BUILT: OnceLock<HashMap<&'static str, Vec<u8>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let paths = build::workspace_guests(GUESTS).expect("test guests build");
        GUESTS
            .iter()
            .zip(paths)
            .map(|(name, path)| (*name, std::fs::read(&path).expect("component is readable")))
            .collect()
    });
    built
        .get(name)
        .unwrap_or_else(|| panic!("no test guest named {name}"))
        .clone()
}

pub fn host() -> Host {
    Host::new(HostOptions {
        cache_dir: None,
        cache_key: [7; 32],
    })
    .expect("host starts")
}

pub fn ctx() -> Context {
    Context {
        config: String::from("{}"),
        as_of: 1_700_000_000,
        seed: 42,
    }
}

pub fn customers(n: u64) -> Vec<Customer> {
    (1..=n)
        .map(|subject| Customer {
            subject,
            signup: Some(1_600_000_000),
            country: None,
            region: None,
            purchases: Purchases {
                count: Some(subject as u32 % 7),
                days: None,
                first: None,
                last: None,
                total_amount: Some(subject as f64 * 1.5),
                total_quantity: None,
            },
            transactions: None,
            interactions: None,
            referrals: None,
            previous: None,
        })
        .collect()
}

pub fn limits() -> Limits {
    Limits {
        fuel_base: 500_000_000,
        fuel_per_subject: 1_000_000,
        memory_mib: 64,
        wall_ms: 5_000,
    }
}

pub fn load(host: &Host, name: &str) -> Plugin {
    host.load(PluginKind::Scorer, &guest(name))
        .unwrap_or_else(|e| panic!("{name} loads: {e}"))
}

/// A well-behaved plugin still works on this host: loads, fits and scores.
pub fn assert_echo_works(host: &Host) {
    let echo = load(host, "plugin-echo");
    let batch = customers(10);
    let model = echo
        .fit(&ctx(), Population::Customers(&batch), &limits())
        .expect("echo fits")
        .value
        .expect("echo returns a model");
    let call = echo
        .score(
            &ctx(),
            &model.state,
            Population::Customers(&batch),
            &limits(),
        )
        .expect("echo scores");
    let scored = call.value.expect("echo returns scores");
    assert_eq!(scored.outputs.len(), 10);
    assert!(call.stats.fuel_used > 0);
}

/// Asserts that a failure arrived within twice its wall-clock budget.
pub fn within_twice(elapsed: Duration, budget_ms: u64) {
    assert!(
        elapsed < Duration::from_millis(2 * budget_ms),
        "took {elapsed:?}, more than twice the budget of {budget_ms} ms"
    );
}

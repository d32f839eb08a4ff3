//! One test per hostile guest: the exact reason, the time it took, and a
//! well-behaved plugin working on the same host afterwards.

use std::time::{Duration, Instant};

use rapport_plugin::host::wit::{Context, Supplier};
use rapport_plugin::host::{Budget, CallError, LoadError, Population};
use rapport_plugin::{Limits, PluginKind};

use crate::{assert_echo_works, ctx, customers, guest, host, limits, load, within_twice};

fn expect_err<T: std::fmt::Debug>(r: Result<T, CallError>) -> CallError {
    match r {
        Err(e) => e,
        Ok(v) => panic!("expected the call to fail, got {v:?}"),
    }
}

#[test]
fn endless_loop_runs_out_of_fuel_well_within_the_time_limit() {
    let host = host();
    let plugin = load(&host, "plugin-loop");
    let limits = Limits {
        fuel_base: 60_000_000,
        fuel_per_subject: 0,
        memory_mib: 64,
        wall_ms: 10_000,
    };
    let batch = customers(5);
    let start = Instant::now();
    let err = expect_err(plugin.score(&ctx(), &[], Population::Customers(&batch), &limits));
    let elapsed = start.elapsed();
    assert_eq!(
        err.to_string(),
        "plugin stopped: fuel budget of 60000000 exhausted"
    );
    assert_eq!(err.budget(), Some(Budget::Fuel));
    let stats = err.stats().expect("stats");
    assert_eq!(stats.fuel_used, 60_000_000);
    assert!(
        elapsed < Duration::from_millis(limits.wall_ms / 5),
        "fuel ran out after {elapsed:?}, not well within the 10 s time limit"
    );
    assert_echo_works(&host);
    // The same plugin can be called again, and fails the same way.
    let again = expect_err(plugin.score(&ctx(), &[], Population::Customers(&batch), &limits));
    assert_eq!(again.budget(), Some(Budget::Fuel));
}

#[test]
fn endless_loop_is_stopped_at_the_time_limit() {
    let host = host();
    let plugin = load(&host, "plugin-loop");
    let limits = Limits {
        fuel_base: u64::MAX / 2,
        fuel_per_subject: 0,
        memory_mib: 64,
        wall_ms: 500,
    };
    let batch = customers(5);
    let start = Instant::now();
    let err = expect_err(plugin.score(&ctx(), &[], Population::Customers(&batch), &limits));
    let elapsed = start.elapsed();
    assert_eq!(
        err.to_string(),
        "plugin stopped: time limit of 500 ms reached"
    );
    assert_eq!(err.budget(), Some(Budget::Time));
    assert!(
        elapsed >= Duration::from_millis(500),
        "stopped early: {elapsed:?}"
    );
    within_twice(elapsed, limits.wall_ms);
    assert!(err.stats().expect("stats").fuel_used > 0);
    assert_echo_works(&host);
}

#[test]
fn unbounded_allocation_hits_the_memory_limit() {
    let host = host();
    let plugin = load(&host, "plugin-memory");
    let limits = Limits {
        memory_mib: 64,
        wall_ms: 2_000,
        ..limits()
    };
    let batch = customers(5);
    let start = Instant::now();
    let err = expect_err(plugin.score(&ctx(), &[], Population::Customers(&batch), &limits));
    within_twice(start.elapsed(), limits.wall_ms);
    assert_eq!(
        err.to_string(),
        "plugin stopped: memory limit of 64 MiB reached"
    );
    let peak = err.stats().expect("stats").peak_memory_bytes;
    assert!(
        peak <= 64 * 1024 * 1024,
        "peak {peak} bytes is over the limit"
    );
    assert!(
        peak > 32 * 1024 * 1024,
        "peak {peak} bytes: the plugin barely allocated"
    );
    assert_echo_works(&host);
}

#[test]
fn deep_recursion_exhausts_the_call_stack() {
    let host = host();
    let plugin = load(&host, "plugin-recursion");
    let limits = Limits {
        wall_ms: 2_000,
        ..limits()
    };
    let batch = customers(5);
    let start = Instant::now();
    let err = expect_err(plugin.score(&ctx(), &[], Population::Customers(&batch), &limits));
    within_twice(start.elapsed(), limits.wall_ms);
    assert_eq!(
        err.to_string(),
        "plugin stopped: call stack exhausted (deep recursion)"
    );
    assert_eq!(err.budget(), Some(Budget::Stack));
    assert_echo_works(&host);
}

#[test]
fn more_outputs_than_records_are_refused() {
    let host = host();
    let plugin = load(&host, "plugin-huge-output");
    let batch = customers(1000);
    let start = Instant::now();
    let err = expect_err(plugin.score(&ctx(), &[], Population::Customers(&batch), &limits()));
    within_twice(start.elapsed(), limits().wall_ms);
    assert_eq!(
        err.to_string(),
        "plugin output refused: 1200 outputs for a batch of 1000"
    );
    assert!(matches!(err, CallError::InvalidOutput { .. }));
    assert_echo_works(&host);
}

#[test]
fn output_over_the_size_budget_is_refused() {
    let host = host();
    let plugin = load(&host, "plugin-huge-output");
    let batch = customers(1000);
    let ctx = Context {
        config: String::from(r#"{"mode":"bytes"}"#),
        ..ctx()
    };
    let limits = Limits {
        memory_mib: 256,
        ..limits()
    };
    let start = Instant::now();
    let err = expect_err(plugin.score(&ctx, &[], Population::Customers(&batch), &limits));
    within_twice(start.elapsed(), limits.wall_ms);
    let budget = rapport_plugin::host::limits::output_budget(1000);
    assert_eq!(
        err.to_string(),
        format!("plugin output refused: output budget of {budget} bytes exceeded")
    );
    assert_eq!(err.budget(), Some(Budget::Output));
    assert_echo_works(&host);
}

#[test]
fn a_panic_is_a_trap_with_its_message() {
    let host = host();
    let plugin = load(&host, "plugin-panic");
    let batch = customers(3);
    let start = Instant::now();
    let err = expect_err(plugin.score(&ctx(), &[], Population::Customers(&batch), &limits()));
    within_twice(start.elapsed(), limits().wall_ms);
    let CallError::Trap { message, stats } = &err else {
        panic!("expected a trap, got {err}");
    };
    assert!(
        message.contains("plugin-panic gave up on a batch of 3 customers"),
        "message: {message}"
    );
    assert!(stats
        .stderr
        .contains("plugin-panic gave up on a batch of 3 customers"));
    assert!(
        err.to_string().starts_with("plugin trapped: panicked at "),
        "{err}"
    );
    assert_echo_works(&host);
}

#[test]
fn a_plugin_cannot_read_files() {
    let host = host();
    let err = host
        .load(PluginKind::Scorer, &guest("plugin-fs"))
        .expect_err("a plugin that reads files is refused");
    let LoadError::ForbiddenImport { import, .. } = &err else {
        panic!("expected a forbidden import, got {err}");
    };
    assert!(import.starts_with("wasi:filesystem/types@0.2."), "{import}");
    assert!(
        err.to_string().starts_with(&format!(
            "component imports {import}, which plugins are not granted"
        )),
        "{err}"
    );
    assert_echo_works(&host);
}

#[test]
fn a_plugin_cannot_open_sockets() {
    let host = host();
    let err = host
        .load(PluginKind::Scorer, &guest("plugin-sockets"))
        .expect_err("a plugin that opens sockets is refused");
    let LoadError::ForbiddenImport { import, also } = &err else {
        panic!("expected a forbidden import, got {err}");
    };
    assert!(import.starts_with("wasi:sockets/tcp@0.2."), "{import}");
    assert!(
        also.iter()
            .any(|i| i.starts_with("wasi:sockets/tcp-create-socket@")),
        "every forbidden import is named: {also:?}"
    );
    assert!(
        err.to_string().starts_with(&format!(
            "component imports {import}, which plugins are not granted"
        )),
        "{err}"
    );
    assert_echo_works(&host);
}

#[test]
fn a_guest_error_is_data() {
    let host = host();
    let plugin = load(&host, "plugin-guest-error");
    let batch = customers(4);
    let call = plugin
        .score(&ctx(), &[], Population::Customers(&batch), &limits())
        .expect("a guest error is not a call failure");
    let err = call.value.expect_err("the plugin refused");
    assert_eq!(err.code, "bad-data");
    assert_eq!(err.message, "refused a batch of 4 customers");
    let fit = plugin
        .fit(&ctx(), Population::Customers(&batch), &limits())
        .expect("a guest error is not a call failure");
    assert_eq!(
        fit.value.expect_err("the plugin refused").code,
        "no-convergence"
    );
    assert_echo_works(&host);
}

#[test]
fn a_supplier_rater_is_not_a_scorer() {
    let host = host();
    let bytes = guest("plugin-wrong-kind");
    let err = host
        .load(PluginKind::Scorer, &bytes)
        .expect_err("a supplier rater is refused as a scorer");
    assert_eq!(
        err,
        LoadError::WrongKind {
            expected: PluginKind::Scorer,
            found: vec![PluginKind::SupplierRater],
            wit: rapport_plugin::WitVersion::V0_1,
        }
    );
    assert_eq!(
        err.to_string(),
        "component is not a scorer plugin: it does not export rapport:plugin/scoring@0.1.0 (it is a supplier-rater plugin)"
    );
    // Loaded as what it is, it works, and it takes suppliers only.
    let rater = host
        .load(PluginKind::SupplierRater, &bytes)
        .expect("loads as a supplier rater");
    let suppliers = vec![Supplier {
        subject: 9,
        category: None,
        country: None,
        deliveries: Some(Vec::new()),
        previous: None,
    }];
    let scored = rater
        .score(&ctx(), &[], Population::Suppliers(&suppliers), &limits())
        .expect("rates")
        .value
        .expect("returns ratings");
    assert_eq!(scored.outputs.len(), 1);
    assert_eq!(scored.outputs.get(0).subject(), 9);
    let batch = customers(2);
    let err = expect_err(rater.score(&ctx(), &[], Population::Customers(&batch), &limits()));
    assert_eq!(
        err.to_string(),
        "plugin host failed: a supplier-rater plugin takes suppliers, not customers"
    );
    assert_echo_works(&host);
}

#[test]
fn bytes_that_are_not_a_component_are_refused() {
    let host = host();
    let err = host
        .load(PluginKind::Scorer, b"#!/bin/sh\necho hi\n")
        .expect_err("refused");
    assert!(matches!(err, LoadError::NotAComponent(_)), "{err}");
    // A core module (the wrong target) is named as such.
    let core = b"\0asm\x01\0\0\0";
    let err = host.load(PluginKind::Scorer, core).expect_err("refused");
    assert!(err.to_string().contains("core WebAssembly module"), "{err}");
    // A component with its middle cut out does not compile.
    let mut bytes = guest("plugin-echo");
    bytes.truncate(bytes.len() / 2);
    let err = host.load(PluginKind::Scorer, &bytes).expect_err("refused");
    assert!(matches!(err, LoadError::Compile(_)), "{err}");
    assert_echo_works(&host);
}

#[test]
fn a_tiny_memory_budget_stops_instantiation_cleanly() {
    let host = host();
    let plugin = load(&host, "plugin-echo");
    let limits = Limits {
        memory_mib: 1,
        ..limits()
    };
    let batch = customers(3);
    let err = expect_err(plugin.score(&ctx(), &[], Population::Customers(&batch), &limits));
    assert_eq!(
        err.to_string(),
        "plugin stopped: memory limit of 1 MiB reached"
    );
    assert_echo_works(&host);
}

#[test]
fn a_spinning_plugin_does_not_hold_up_other_calls() {
    let host = host();
    let spinner = load(&host, "plugin-loop");
    assert_echo_works(&host); // compiled before the clock starts
    let limits = Limits {
        fuel_base: u64::MAX / 2,
        fuel_per_subject: 0,
        memory_mib: 64,
        wall_ms: 1_500,
    };
    let stuck = std::thread::spawn(move || {
        let batch = customers(1);
        let start = Instant::now();
        let err = expect_err(spinner.score(&ctx(), &[], Population::Customers(&batch), &limits));
        (err.budget(), start.elapsed())
    });
    // Meanwhile, on the same host, other calls come and go.
    let start = Instant::now();
    for _ in 0..5 {
        assert_echo_works(&host);
    }
    assert!(
        start.elapsed() < Duration::from_millis(1_500),
        "echo calls waited for the spinning plugin: {:?}",
        start.elapsed()
    );
    let (budget, elapsed) = stuck.join().expect("the spinning call returns");
    assert_eq!(budget, Some(Budget::Time));
    within_twice(elapsed, limits.wall_ms);
}

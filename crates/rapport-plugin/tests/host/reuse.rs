//! The host reuses instance slots and the memory in them between calls:
//! nothing one call wrote may be visible to the next, and more calls than
//! slots at once must wait for a slot rather than fail.

use rapport_plugin::host::{Budget, Population, CALL_SLOTS};
use rapport_plugin::Limits;

use super::{assert_echo_works, customers, host, limits, load};

fn residue_score(plugin: &rapport_plugin::host::Plugin, config: &str, mib: u64) -> (f64, u64) {
    let ctx = rapport_plugin::host::wit::Context {
        config: config.to_owned(),
        ..super::ctx()
    };
    let limits = Limits {
        fuel_base: u64::MAX / 4,
        memory_mib: 256,
        wall_ms: 20_000,
        ..limits()
    };
    let batch = customers(3);
    let call = plugin
        .score(&ctx, &[], Population::Customers(&batch), &limits)
        .unwrap_or_else(|e| panic!("{config}: {e}"));
    let scored = call
        .value
        .unwrap_or_else(|e| panic!("{config}: {}", e.message));
    assert_eq!(scored.outputs.len(), 3);
    let peak = call.stats.peak_memory_bytes;
    assert!(
        peak >= mib << 20,
        "{config}: peak memory {peak} bytes, below the {mib} MiB the plugin grew by"
    );
    (scored.outputs.get(0).score(), peak)
}

#[test]
fn memory_a_call_wrote_reads_as_zero_in_the_next() {
    let host = host();
    let plugin = load(&host, "plugin-residue");
    // Within the part of a slot's memory kept resident between calls, and
    // beyond it (returned to the kernel).
    for mib in [8u64, 96] {
        for round in 0..3 {
            let (filled, _) = residue_score(&plugin, &format!("{{\"fill\": {mib}}}"), mib);
            assert_eq!(filled, 0.0);
            let (dirty, _) = residue_score(&plugin, &format!("{{\"check\": {mib}}}"), mib);
            assert_eq!(
                dirty, 0.0,
                "round {round}: {dirty} bytes of the previous call's {mib} MiB were still there"
            );
        }
    }
    assert_echo_works(&host);
}

#[test]
fn more_calls_at_once_than_slots_wait_for_a_slot() {
    let host = host();
    let spinner = load(&host, "plugin-loop");
    // Each call spins until its time limit: all of them hold a slot at the
    // same time unless the host makes the later ones wait.
    let limits = Limits {
        fuel_base: u64::MAX / 2,
        fuel_per_subject: 0,
        memory_mib: 64,
        wall_ms: 200,
    };
    let batch = customers(1);
    let calls = 3 * CALL_SLOTS;
    let ended = std::thread::scope(|s| {
        let handles: Vec<_> = (0..calls)
            .map(|_| {
                s.spawn(|| {
                    spinner
                        .score(&super::ctx(), &[], Population::Customers(&batch), &limits)
                        .map(|c| c.value.is_ok())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("caller thread"))
            .collect::<Vec<_>>()
    });
    for (i, r) in ended.into_iter().enumerate() {
        match r {
            Err(e) => assert_eq!(
                e.budget(),
                Some(Budget::Time),
                "call {i} ended otherwise than at its time limit: {e}"
            ),
            Ok(_) => panic!("call {i}: the endless loop returned"),
        }
    }
    assert_echo_works(&host);
}

//! Single-thread throughput of field sealing, opening and data-key unwrapping.
//!
//! Plain `std::time` (no harness) so it runs anywhere with `cargo bench`.
//! Field sizes mimic what an import seals: names, e-mail addresses, phone
//! numbers (8–40 bytes). The target is 500,000 field operations per second
//! per core; the numbers are printed, not asserted, because shared CI
//! machines are noisy.

use std::hint::black_box;
use std::time::{Duration, Instant};

use rapport_vault::{Keyring, KeyringOptions, SubjectId, TenantId, Unlock};
use secrecy::SecretString;

const FIELDS: [&[u8]; 6] = [
    b"Ada Byron",
    b"ada@example.com",
    b"+44 20 7946 0958",
    b"Lovelace",
    b"ada.king.lovelace@analytical-engine.org",
    b"12 St James's Sq",
];

/// Runs `op` in batches until at least `min` has passed; returns (ops, secs).
fn measure(min: Duration, mut op: impl FnMut(usize)) -> (u64, f64) {
    // Warm up caches, the thread-local RNG and the CPU frequency.
    for i in 0..10_000 {
        op(i);
    }
    let start = Instant::now();
    let mut ops = 0u64;
    let mut i = 0usize;
    while start.elapsed() < min {
        for _ in 0..10_000 {
            op(i);
            i = i.wrapping_add(1);
        }
        ops += 10_000;
    }
    (ops, start.elapsed().as_secs_f64())
}

fn report(name: &str, (ops, secs): (u64, f64)) {
    println!(
        "{name}: {ops} ops in {secs:.3} s = {:.0} ops/s/core",
        ops as f64 / secs
    );
}

fn main() {
    let dir = std::env::temp_dir().join(format!("rapport-vault-bench-{}", std::process::id()));
    let path = dir.join("keyring.age");
    let unlock = Unlock::Passphrase(SecretString::from("bench".to_owned()));
    let result = run(&path, &unlock);
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("could not remove {}: {e}", dir.display());
    }
    if let Err(e) = result {
        eprintln!("benchmark failed: {e}");
        std::process::exit(1);
    }
}

fn run(path: &std::path::Path, unlock: &Unlock) -> Result<(), rapport_vault::VaultError> {
    let min = Duration::from_secs(2);
    let mut keyring = Keyring::create(path, unlock, &KeyringOptions { scrypt_log_n: 10 })?;
    let tenant = TenantId([7; 16]);
    keyring.add_tenant(tenant)?;
    let keys = keyring.tenant(tenant)?;
    let subject = SubjectId::random();
    let (key, wrapped) = keys.new_subject_key(subject)?;

    let sizes = FIELDS.iter().map(|f| f.len());
    let (lo, hi) = (sizes.clone().min().unwrap_or(0), sizes.max().unwrap_or(0));
    println!("field sizes {lo}..={hi} bytes, single thread");

    report(
        "seal",
        measure(min, |i| {
            black_box(key.seal("email", black_box(FIELDS[i % FIELDS.len()])));
        }),
    );

    let sealed: Vec<Vec<u8>> = FIELDS.iter().map(|f| key.seal("email", f)).collect();
    report(
        "open",
        measure(min, |i| {
            black_box(
                key.open("email", black_box(&sealed[i % sealed.len()]))
                    .is_ok(),
            );
        }),
    );

    report(
        "unwrap_key",
        measure(min, |_| {
            black_box(keys.unwrap_key(subject, black_box(&wrapped)).is_ok());
        }),
    );

    report(
        "fingerprint",
        measure(min, |i| {
            black_box(keys.fingerprint("customers", black_box(FIELDS[i % FIELDS.len()])));
        }),
    );
    Ok(())
}

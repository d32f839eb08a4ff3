//! A fast thread-local CSPRNG for AEAD nonces.
//!
//! Sealing is on the import hot path (several fields per row, millions of
//! rows), and a `getrandom` system call per 12-byte nonce would dominate the
//! cost of encrypting a 20-byte e-mail address. Each thread therefore keeps a
//! ChaCha20 generator seeded once from the operating system. Random 96-bit
//! nonces are safe here without coordination between threads or processes:
//! a data key seals only a handful of fields in its life, a tenant KEK wraps
//! far fewer than the 2^32 keys that random nonces allow, and AES-GCM-SIV
//! stays secure even if a nonce ever repeated (it would reveal only that two
//! identical plaintexts are identical).
//!
//! Keys (data keys, KEKs, MAC keys) are *not* drawn from here: they come
//! straight from the OS, where the cost is irrelevant and the provenance is
//! simplest to audit.
//!
//! Caveat: a process that `fork`s without `exec` would duplicate this state
//! in the child. Rapport never forks; a caller that does must not seal in
//! both parent and child.

use std::cell::RefCell;

use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, RngCore, SeedableRng};

thread_local! {
    // `from_entropy` panics if the OS RNG fails at seeding time: there is no
    // safe nonce to hand out in that case, and `seal` is infallible by design.
    static NONCE_RNG: RefCell<ChaCha20Rng> = RefCell::new(ChaCha20Rng::from_entropy());
}

/// Fills `buf` with unpredictable bytes suitable for nonces.
pub(crate) fn fill_nonce(buf: &mut [u8]) {
    let filled = NONCE_RNG.try_with(|rng| rng.borrow_mut().fill_bytes(buf));
    if filled.is_err() {
        // Thread-local storage is being torn down (a destructor sealing
        // something at thread exit): fall back to the OS.
        OsRng.fill_bytes(buf);
    }
}

/// Fills `buf` with key material straight from the operating system.
pub(crate) fn fill_key(buf: &mut [u8]) -> Result<(), crate::VaultError> {
    OsRng
        .try_fill_bytes(buf)
        .map_err(|e| crate::VaultError::Entropy {
            reason: e.to_string(),
        })
}

//! Integration tests for rapport-vault: keyring lifecycle, field sealing,
//! rotation, and the no-leak guarantees (errors, `Debug`, the file on disk).

mod keyring;
mod leaks;
mod log_keys;
mod rotation;
mod sealing;
mod support;

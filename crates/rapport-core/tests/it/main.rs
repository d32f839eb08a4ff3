//! Integration tests of the application layer, on real SQLite files, a real
//! key store and a real age-encrypted keyring in temporary directories.

mod audit;
mod audit_log;
mod bad_input;
mod cdnow;
mod clv;
mod consent;
mod erasure;
mod first_party;
mod gate;
mod gate_log;
mod lifecycle;
mod plaintext;
mod plugins;
mod privacy;
mod support;

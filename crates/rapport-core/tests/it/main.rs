//! Integration tests of the application layer, on real SQLite files, a real
//! key store and a real age-encrypted keyring in temporary directories.

mod bad_input;
mod cdnow;
mod consent;
mod erasure;
mod gate;
mod lifecycle;
mod plaintext;
mod plugins;
mod privacy;
mod support;

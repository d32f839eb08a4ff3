//! The plugin platform.
//!
//! - [`fields`]: the catalogue of input fields a plugin may declare.
//! - [`manifest`]: `rapport-plugin.toml`, parsed and validated.
//! - [`signing`]: minisign-compatible publisher keys and signatures.
//! - [`package`]: a package is the component, its manifest, its config
//!   schema and a publisher signature, in one tar file.
//! - [`host`]: the sandboxed wasmtime host: one engine, compiled-artifact
//!   cache, per-call stores with fuel, epoch, wall-clock and memory budgets.
//! - [`scaffold`]: `rapport plugin new`.

pub mod fields;
pub mod host;
pub mod manifest;
pub mod package;
pub mod scaffold;
pub mod signing;

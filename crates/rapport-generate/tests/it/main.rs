//! Integration tests of the generator: one binary (`tests/it`), one module
//! per feature.
//!
//! Data sets are generated once per process into temporary directories and
//! shared between tests (see [`support`]).

mod determinism;
mod model;
mod prng;
mod support;
mod validity;

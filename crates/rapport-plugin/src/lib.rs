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

pub mod build;
pub mod fields;
pub mod host;
pub mod manifest;
pub mod package;
pub mod scaffold;
pub mod signing;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The current WIT contract: what the SDK builds and new plugins declare.
pub const WIT_PACKAGE: &str = "rapport:plugin@0.2.0";

/// A version of the WIT contract the host runs components of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WitVersion {
    /// `rapport:plugin@0.1.0`: a record per subject and per output.
    V0_1,
    /// `rapport:plugin@0.2.0`: columnar batches and outputs, `previous`.
    V0_2,
}

impl WitVersion {
    /// Every version this host runs, the current one first.
    pub const ALL: [WitVersion; 2] = [Self::V0_2, Self::V0_1];
    /// The version new plugins are built for.
    pub const CURRENT: WitVersion = Self::V0_2;

    /// The version part, e.g. `0.2.0`.
    pub fn number(self) -> &'static str {
        match self {
            Self::V0_1 => "0.1.0",
            Self::V0_2 => "0.2.0",
        }
    }

    /// The package name as manifests write it, e.g. `rapport:plugin@0.2.0`.
    pub fn package(self) -> &'static str {
        match self {
            Self::V0_1 => "rapport:plugin@0.1.0",
            Self::V0_2 => WIT_PACKAGE,
        }
    }

    /// The version a manifest's `wit` names, if this host runs it.
    pub fn from_package(package: &str) -> Option<WitVersion> {
        Self::ALL.into_iter().find(|v| v.package() == package)
    }

    /// The supported packages, for messages: `a and b`.
    pub fn supported() -> String {
        Self::ALL
            .iter()
            .map(|v| v.package())
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

impl fmt::Display for WitVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.package())
    }
}

/// What a plugin does, which is also which WIT world it targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    /// Scores customers (world `scorer`, interface `scoring`).
    Scorer,
    /// Segments customers (world `segmenter`, interface `segmentation`).
    Segmenter,
    /// Rates suppliers (world `supplier-rater`, interface `supplier-rating`).
    SupplierRater,
}

impl PluginKind {
    pub const ALL: [PluginKind; 3] = [Self::Scorer, Self::Segmenter, Self::SupplierRater];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scorer => "scorer",
            Self::Segmenter => "segmenter",
            Self::SupplierRater => "supplier-rater",
        }
    }

    /// The exported interface a component of this kind must have under the
    /// current contract.
    pub fn interface(self) -> &'static str {
        self.interface_in(WitVersion::CURRENT)
    }

    /// The exported interface of this kind in a version of the contract.
    pub fn interface_in(self, wit: WitVersion) -> &'static str {
        match (self, wit) {
            (Self::Scorer, WitVersion::V0_1) => "rapport:plugin/scoring@0.1.0",
            (Self::Segmenter, WitVersion::V0_1) => "rapport:plugin/segmentation@0.1.0",
            (Self::SupplierRater, WitVersion::V0_1) => "rapport:plugin/supplier-rating@0.1.0",
            (Self::Scorer, WitVersion::V0_2) => "rapport:plugin/scoring@0.2.0",
            (Self::Segmenter, WitVersion::V0_2) => "rapport:plugin/segmentation@0.2.0",
            (Self::SupplierRater, WitVersion::V0_2) => "rapport:plugin/supplier-rating@0.2.0",
        }
    }

    /// Which records the plugin receives.
    pub fn subject(self) -> fields::Subject {
        match self {
            Self::Scorer | Self::Segmenter => fields::Subject::Customer,
            Self::SupplierRater => fields::Subject::Supplier,
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PluginKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("unknown plugin kind `{s}` (expected scorer, segmenter or supplier-rater)")
            })
    }
}

/// The budgets of one call. Fuel scales with the number of records in the
/// call: `fuel_base + fuel_per_subject * records`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Fuel (roughly, wasm instructions) every call may use regardless of size.
    pub fuel_base: u64,
    /// Further fuel per record in the call.
    pub fuel_per_subject: u64,
    /// Linear memory the instance may grow to, in MiB.
    pub memory_mib: u64,
    /// Wall-clock time one call may take, in milliseconds.
    pub wall_ms: u64,
}

impl Limits {
    /// The fuel budget of a call over `records` records.
    pub fn fuel_for(&self, records: usize) -> u64 {
        self.fuel_base
            .saturating_add(self.fuel_per_subject.saturating_mul(records as u64))
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel_base: 50_000_000,
            fuel_per_subject: 200_000,
            memory_mib: 256,
            wall_ms: 10_000,
        }
    }
}

/// Publisher keys built into Rapport and trusted by every tenant. The first
/// is the current first-party key (`plugins/first-party.pub`), which signs
/// every release; the others are retired keys, kept so that packages they
/// signed and that data directories already hold still verify at load. A
/// retired key signs nothing new.
pub const FIRST_PARTY_PUBLIC_KEYS: &[&str] = &[
    include_str!("../../../plugins/first-party.pub"),
    include_str!("../../../plugins/first-party-E37607DD4ED6F13C.pub"),
    include_str!("../../../plugins/first-party-A768F2D473645428.pub"),
    include_str!("../../../plugins/first-party-141C67B2698667FB.pub"),
    include_str!("../../../plugins/first-party-A6302D316272D5B8.pub"),
    include_str!("../../../plugins/first-party-8D19F6CA368C3549.pub"),
    include_str!("../../../plugins/first-party-73CA3BAAFA0DC5C5.pub"),
    include_str!("../../../plugins/first-party-8176FBFAE1699610.pub"),
];

/// First-party packages built into Rapport, by file name (`plugins/dist/`,
/// written by `scripts/release-first-party.sh`; the test `first_party`
/// checks that each matches its sources).
pub const FIRST_PARTY_PACKAGES: &[(&str, &[u8])] = &[
    (
        "rfm-0.2.0.rpkg",
        include_bytes!("../../../plugins/dist/rfm-0.2.0.rpkg"),
    ),
    (
        "clv-0.1.0.rpkg",
        include_bytes!("../../../plugins/dist/clv-0.1.0.rpkg"),
    ),
    (
        "value-potential-0.1.0.rpkg",
        include_bytes!("../../../plugins/dist/value-potential-0.1.0.rpkg"),
    ),
    (
        "relationship-health-0.1.0.rpkg",
        include_bytes!("../../../plugins/dist/relationship-health-0.1.0.rpkg"),
    ),
    (
        "supplier-scorecard-0.1.0.rpkg",
        include_bytes!("../../../plugins/dist/supplier-scorecard-0.1.0.rpkg"),
    ),
    (
        "referral-influence-0.1.0.rpkg",
        include_bytes!("../../../plugins/dist/referral-influence-0.1.0.rpkg"),
    ),
];

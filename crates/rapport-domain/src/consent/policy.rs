//! Processing purposes as data: the registry a compliance officer edits in
//! `policies/purposes.json`, its JSON Schema, and the semantic checks a
//! schema cannot express.
//!
//! The decision function ([`super::decide`]) reads nothing but these flags, so
//! what a purpose *is* (sale, sharing, direct marketing, special-category,
//! solely automated decision) is policy, reviewable without reading code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::rows::LawfulBasis;

/// Pattern every purpose id matches; the same as `ConsentRow::purpose`.
pub const PURPOSE_ID_PATTERN: &str = r"^[a-z][a-z0-9_]{0,63}$";

/// The default registry, compiled in so the product never needs the file at
/// run time.
const DEFAULT_POLICY: &str = include_str!("../../../../policies/purposes.json");

/// How the CCPA/CPRA classifies a purpose's disclosure of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CcpaClass {
    /// Neither a sale nor a sharing.
    None,
    /// Selling: disclosure to a third party for monetary or other valuable
    /// consideration (Cal. Civ. Code §1798.140(ad)). Colorado and Virginia
    /// "sale" is read the same way.
    Sale,
    /// Sharing: disclosure for cross-context behavioural advertising (Cal.
    /// Civ. Code §1798.140(ah)); Colorado's and Virginia's "targeted
    /// advertising" is read as this class.
    Sharing,
}

/// One processing purpose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(description = "One processing purpose and the facts the consent rules need about it.")]
pub struct Purpose {
    /// Stable id, used in consent records (e.g. `direct_marketing_email`).
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]{0,63}$"))]
    pub id: String,
    /// What the processing is, in words a data subject understands.
    #[schemars(length(min = 1, max = 1024))]
    pub description: String,
    /// GDPR Art. 6(1) bases that can support this purpose.
    #[schemars(length(min = 1))]
    pub lawful_bases: Vec<LawfulBasis>,
    /// CCPA/CPRA classification.
    pub ccpa: CcpaClass,
    /// Uses special-category data (GDPR Art. 9(1)) or sensitive personal
    /// information (Cal. Civ. Code §1798.140(ae)); "sensitive data" in
    /// Colorado and Virginia.
    pub special_category: bool,
    /// Is direct marketing (GDPR Art. 21(2)–(3)).
    pub direct_marketing: bool,
    /// Is profiling to the extent it is related to direct marketing (GDPR
    /// Art. 21(2)): an objection to direct marketing covers it.
    pub marketing_profiling: bool,
    /// A solely automated decision with legal or similarly significant effect
    /// (GDPR Art. 22; "profiling in furtherance of decisions that produce legal
    /// or similarly significant effects" in Colorado and Virginia).
    pub significant_automated_decision: bool,
    /// How long data held for this purpose is kept, in days.
    #[schemars(range(min = 1))]
    pub retention_days: u32,
}

impl Purpose {
    /// Whether the purpose sells or shares personal data under the CCPA.
    pub fn is_sale_or_sharing(&self) -> bool {
        self.ccpa != CcpaClass::None
    }

    /// Whether `basis` is listed for this purpose.
    pub fn allows_basis(&self, basis: LawfulBasis) -> bool {
        self.lawful_bases.contains(&basis)
    }
}

/// The file format of `policies/purposes.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "purposes",
    description = "Rapport's registry of processing purposes."
)]
pub struct PurposesFile {
    /// Version of the policy, recorded with every decision made under it.
    #[schemars(length(min = 1, max = 64))]
    pub version: String,
    /// The purposes; ids are unique.
    #[schemars(length(min = 1))]
    pub purposes: Vec<Purpose>,
}

/// A policy file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON of the right shape.
    #[error("purposes policy is not valid: {0}")]
    Parse(#[from] serde_json::Error),
    /// The shape is right but a rule about purposes is broken.
    #[error("purposes policy: {purpose}: {reason}")]
    Invalid {
        /// The purpose at fault, or `(policy)` for the file as a whole.
        purpose: String,
        /// What is wrong.
        reason: String,
    },
}

fn invalid(purpose: &str, reason: impl Into<String>) -> PolicyError {
    PolicyError::Invalid {
        purpose: purpose.to_owned(),
        reason: reason.into(),
    }
}

/// A checked registry of purposes. Build it with [`PurposeRegistry::from_json`]
/// so the semantic rules always hold.
#[derive(Debug, Clone, PartialEq)]
pub struct PurposeRegistry {
    file: PurposesFile,
}

impl PurposeRegistry {
    /// Parses and checks a policy file.
    pub fn from_json(text: &str) -> Result<Self, PolicyError> {
        let file: PurposesFile = serde_json::from_str(text)?;
        Self::from_file(file)
    }

    /// Checks an already parsed policy.
    pub fn from_file(file: PurposesFile) -> Result<Self, PolicyError> {
        check(&file)?;
        Ok(Self { file })
    }

    /// The registry shipped in `policies/purposes.json`.
    pub fn default_policy() -> Result<Self, PolicyError> {
        Self::from_json(DEFAULT_POLICY)
    }

    /// The policy version.
    pub fn version(&self) -> &str {
        &self.file.version
    }

    /// Every purpose, in file order.
    pub fn purposes(&self) -> &[Purpose] {
        &self.file.purposes
    }

    /// The purpose with this id.
    pub fn get(&self, id: &str) -> Option<&Purpose> {
        // A linear scan: registries hold a dozen purposes, and comparing a
        // dozen short strings beats hashing one.
        self.file.purposes.iter().find(|p| p.id == id)
    }

    /// The policy in a canonical form for hashing: compact JSON, fields in
    /// declaration order, purposes sorted by id. Two files that differ only in
    /// whitespace or purpose order give the same text.
    pub fn canonical_json(&self) -> Result<String, PolicyError> {
        let mut file = self.file.clone();
        file.purposes.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(serde_json::to_string(&file)?)
    }
}

/// The JSON Schema of `policies/purposes.json`.
pub fn purposes_schema() -> schemars::Schema {
    schemars::schema_for!(PurposesFile)
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z'))
        && id.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// The rules a schema cannot express. Each one keeps the decision function
/// from being handed a policy that would make it allow what the law forbids.
fn check(file: &PurposesFile) -> Result<(), PolicyError> {
    if file.version.trim().is_empty() {
        return Err(invalid("(policy)", "`version` must not be empty"));
    }
    if file.purposes.is_empty() {
        return Err(invalid("(policy)", "lists no purposes"));
    }
    for (i, p) in file.purposes.iter().enumerate() {
        if !valid_id(&p.id) {
            return Err(invalid(
                &p.id,
                format!("id must match {PURPOSE_ID_PATTERN}"),
            ));
        }
        if file.purposes[..i].iter().any(|q| q.id == p.id) {
            return Err(invalid(&p.id, "id is listed twice"));
        }
        if p.description.trim().is_empty() {
            return Err(invalid(&p.id, "`description` must not be empty"));
        }
        if p.lawful_bases.is_empty() {
            return Err(invalid(&p.id, "lists no lawful basis"));
        }
        for (j, b) in p.lawful_bases.iter().enumerate() {
            if p.lawful_bases[..j].contains(b) {
                return Err(invalid(
                    &p.id,
                    format!("lawful basis `{}` is listed twice", b.as_str()),
                ));
            }
        }
        if p.retention_days == 0 {
            return Err(invalid(&p.id, "`retention_days` must be greater than 0"));
        }
        // GDPR Art. 9(1): legitimate interests is not an Art. 9(2) condition,
        // so it can never cover special-category data.
        if p.special_category && p.allows_basis(LawfulBasis::LegitimateInterests) {
            return Err(invalid(
                &p.id,
                "legitimate_interests cannot support special-category data (GDPR Art. 9(1))",
            ));
        }
        // Explicit consent (Art. 9(2)(a)) is the only Art. 9(2) condition the
        // ledger can evidence; without it the purpose could never be allowed.
        if p.special_category && !p.allows_basis(LawfulBasis::Consent) {
            return Err(invalid(
                &p.id,
                "a special-category purpose must list consent (explicit consent, GDPR Art. 9(2)(a))",
            ));
        }
        // Selling personal data is never within the subject's reasonable
        // expectations (GDPR Recital 47), so it is never a legitimate interest.
        if p.ccpa == CcpaClass::Sale && p.allows_basis(LawfulBasis::LegitimateInterests) {
            return Err(invalid(
                &p.id,
                "legitimate_interests cannot support a sale of personal data",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(valid_id("sale_of_data"));
        assert!(!valid_id("Sale"));
        assert!(!valid_id("1sale"));
        assert!(!valid_id(""));
    }
}

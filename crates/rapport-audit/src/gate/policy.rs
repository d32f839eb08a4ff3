//! Actions and the gate's policy as data: the action kinds a tenant may
//! request (`policies/actions.json`) and what the gate does with what it
//! finds (`policies/gate.json`), with their JSON Schemas and the semantic
//! checks a schema cannot express.
//!
//! Like the purpose registry, these files are what a compliance officer
//! reviews and edits; the verdict logic in [`super::verdict`] reads nothing
//! else, so what an action *is* (does it affect the person significantly,
//! does its list leave the platform) and what a fairness failure *leads to*
//! are policy, never code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The shipped action kinds, compiled in so the product never needs the
/// file at run time.
pub(crate) const DEFAULT_ACTIONS: &str = include_str!("../../../../policies/actions.json");

/// The shipped gate policy.
pub(crate) const DEFAULT_GATE: &str = include_str!("../../../../policies/gate.json");

/// A personal field an action's final list may carry.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ListField {
    /// The person's name.
    Name,
    /// E-mail address.
    Email,
    /// Phone number.
    Phone,
    /// Postal address.
    Address,
}

impl ListField {
    /// The sealed field of a stakeholder this list field is opened from.
    pub fn as_str(self) -> &'static str {
        match self {
            ListField::Name => "name",
            ListField::Email => "email",
            ListField::Phone => "phone",
            ListField::Address => "address",
        }
    }
}

/// One kind of action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(description = "One kind of action the gate decides on.")]
pub struct ActionKind {
    /// Stable id, e.g. `email_campaign`.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]{0,63}$"))]
    pub id: String,
    /// What the action does, in words an operator understands.
    #[schemars(length(min = 1, max = 1024))]
    pub description: String,
    /// The processing purposes an action of this kind may be requested
    /// under (ids from the purpose registry). The consent decision is made
    /// for the purpose requested.
    #[schemars(length(min = 1))]
    pub purposes: Vec<String>,
    /// Whether the action produces legal or similarly significant effects
    /// on the person (GDPR Art. 22(1); C.R.S. 6-1-1306(1)(a)(I)(C); Va. Code
    /// §59.1-577(A)(5)(iii)). Its purposes must be marked
    /// `significant_automated_decision`, so that Art. 22 review and the
    /// Colorado and Virginia profiling opt-outs apply.
    pub significant_effect: bool,
    /// Whether the final list leaves the platform (a partner, a buyer, an
    /// advertising platform): it is then always encrypted to the recipient's
    /// age public key, and each person's disclosure is recorded.
    pub leaves_platform: bool,
    /// The personal fields the final list carries for each person, beyond
    /// the external id (data minimisation, GDPR Art. 5(1)(c)).
    pub list_fields: Vec<ListField>,
}

/// The file format of `policies/actions.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "actions", description = "Rapport's registry of action kinds.")]
pub struct ActionsFile {
    /// Version of the file, recorded in every verdict's policy bundle.
    #[schemars(length(min = 1, max = 64))]
    pub version: String,
    /// The action kinds; ids are unique.
    #[schemars(length(min = 1))]
    pub kinds: Vec<ActionKind>,
}

/// What a finding leads to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// Nothing more: the finding is reported and the action may proceed.
    Allow,
    /// The action is held until a person approves or rejects it.
    NeedsReview,
    /// The action is refused.
    Block,
}

impl Escalation {
    /// The policy spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Escalation::Allow => "allow",
            Escalation::NeedsReview => "needs_review",
            Escalation::Block => "block",
        }
    }
}

/// What each fairness verdict of the selection leads to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FairnessEscalation {
    /// A `fail` verdict (by default an impact ratio whose interval lies
    /// wholly under 0.8 with a significant exact test). Never `allow`.
    pub fail: Escalation,
    /// A `warn` verdict.
    pub warn: Escalation,
    /// Groups too small to judge: they are flagged, never compared; this
    /// says whether the action may proceed when that is all there is.
    pub insufficient_data: Escalation,
    /// The selection could not be audited at all (no protected attribute is
    /// known for the eligible population). Never `allow`: the gate fails
    /// closed.
    pub not_audited: Escalation,
}

/// The file format of `policies/gate.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "gate",
    description = "What the action gate does with what it finds."
)]
pub struct GatePolicyFile {
    /// Version of the file, recorded in every verdict's policy bundle.
    #[schemars(length(min = 1, max = 64))]
    pub version: String,
    /// What the fairness audit of a selection leads to.
    pub fairness: FairnessEscalation,
    /// A solely automated decision with significant effect on a person the
    /// GDPR or UK GDPR protects (GDPR Art. 22(1), (3)): `needs_review` (a
    /// person reviews before it takes effect) or `block`. Never `allow`.
    pub art22: Escalation,
    /// Nobody is left to act on after consent exclusions: `block` or
    /// `needs_review`. Never `allow`.
    pub empty_selection: Escalation,
}

/// A policy file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GatePolicyError {
    /// The text is not JSON of the right shape.
    #[error("{file} is not valid: {source}")]
    Parse {
        /// Which policy file.
        file: &'static str,
        /// The parser's complaint.
        source: serde_json::Error,
    },
    /// The shape is right but a rule about it is broken.
    #[error("{file}: {item}: {reason}")]
    Invalid {
        /// Which policy file.
        file: &'static str,
        /// The kind, setting or `(policy)` at fault.
        item: String,
        /// What is wrong.
        reason: String,
    },
}

fn invalid(file: &'static str, item: &str, reason: impl Into<String>) -> GatePolicyError {
    GatePolicyError::Invalid {
        file,
        item: item.to_owned(),
        reason: reason.into(),
    }
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z'))
        && id.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

impl ActionsFile {
    /// Parses and checks the file on its own (the purposes it names are
    /// checked against a purpose registry by [`super::PolicyBundle`]).
    pub fn from_json(text: &str) -> Result<Self, GatePolicyError> {
        let file: ActionsFile =
            serde_json::from_str(text).map_err(|source| GatePolicyError::Parse {
                file: "actions.json",
                source,
            })?;
        file.check()?;
        Ok(file)
    }

    /// The kind with this id.
    pub fn get(&self, id: &str) -> Option<&ActionKind> {
        self.kinds.iter().find(|k| k.id == id)
    }

    fn check(&self) -> Result<(), GatePolicyError> {
        const F: &str = "actions.json";
        if self.version.trim().is_empty() {
            return Err(invalid(F, "(policy)", "`version` must not be empty"));
        }
        if self.kinds.is_empty() {
            return Err(invalid(F, "(policy)", "lists no action kinds"));
        }
        for (i, k) in self.kinds.iter().enumerate() {
            if !valid_id(&k.id) {
                return Err(invalid(F, &k.id, "id must match ^[a-z][a-z0-9_]{0,63}$"));
            }
            if self.kinds[..i].iter().any(|o| o.id == k.id) {
                return Err(invalid(F, &k.id, "id is listed twice"));
            }
            if k.description.trim().is_empty() {
                return Err(invalid(F, &k.id, "`description` must not be empty"));
            }
            if k.purposes.is_empty() {
                return Err(invalid(F, &k.id, "lists no purpose"));
            }
            for (j, f) in k.list_fields.iter().enumerate() {
                if k.list_fields[..j].contains(f) {
                    return Err(invalid(
                        F,
                        &k.id,
                        format!("list field `{}` is listed twice", f.as_str()),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl GatePolicyFile {
    /// Parses and checks the gate policy.
    pub fn from_json(text: &str) -> Result<Self, GatePolicyError> {
        let file: GatePolicyFile =
            serde_json::from_str(text).map_err(|source| GatePolicyError::Parse {
                file: "gate.json",
                source,
            })?;
        file.check()?;
        Ok(file)
    }

    fn check(&self) -> Result<(), GatePolicyError> {
        const F: &str = "gate.json";
        if self.version.trim().is_empty() {
            return Err(invalid(F, "(policy)", "`version` must not be empty"));
        }
        // Each of these would let the gate allow what it exists to stop.
        let never_allow = [
            (
                "fairness.fail",
                self.fairness.fail,
                "a failed fairness audit cannot simply be allowed (29 CFR 1607.4(D))",
            ),
            (
                "fairness.not_audited",
                self.fairness.not_audited,
                "a selection that could not be audited cannot be allowed: the gate fails closed",
            ),
            (
                "art22",
                self.art22,
                "a solely automated decision with significant effect needs human intervention (GDPR Art. 22(3))",
            ),
            (
                "empty_selection",
                self.empty_selection,
                "an action with nobody left to act on is never allowed",
            ),
        ];
        for (item, value, why) in never_allow {
            if value == Escalation::Allow {
                return Err(invalid(
                    F,
                    item,
                    format!("must be `needs_review` or `block`: {why}"),
                ));
            }
        }
        Ok(())
    }
}

/// The JSON Schema of `policies/actions.json`.
pub fn actions_schema() -> schemars::Schema {
    schemars::schema_for!(ActionsFile)
}

/// The JSON Schema of `policies/gate.json`.
pub fn gate_schema() -> schemars::Schema {
    schemars::schema_for!(GatePolicyFile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_load() {
        let a = ActionsFile::from_json(DEFAULT_ACTIONS).expect("actions.json");
        assert!(a.get("email_campaign").is_some());
        let g = GatePolicyFile::from_json(DEFAULT_GATE).expect("gate.json");
        assert_eq!(g.art22, Escalation::NeedsReview);
    }

    #[test]
    fn allowing_what_the_gate_exists_to_stop_is_refused() {
        let text = DEFAULT_GATE.replace("\"art22\": \"needs_review\"", "\"art22\": \"allow\"");
        let err = GatePolicyFile::from_json(&text).expect_err("art22 allow");
        assert!(err.to_string().contains("Art. 22(3)"), "{err}");
        let text = DEFAULT_GATE.replace("\"fail\": \"block\"", "\"fail\": \"allow\"");
        let err = GatePolicyFile::from_json(&text).expect_err("fail allow");
        assert!(err.to_string().contains("fairness.fail"), "{err}");
    }

    #[test]
    fn duplicate_kinds_are_refused() {
        let mut a = ActionsFile::from_json(DEFAULT_ACTIONS).expect("actions.json");
        a.kinds.push(a.kinds[0].clone());
        let text = serde_json::to_string(&a).expect("json");
        let err = ActionsFile::from_json(&text).expect_err("duplicate");
        assert!(err.to_string().contains("listed twice"), "{err}");
    }
}

//! The policy bundle: every policy a verdict depends on (purposes, action
//! kinds, the gate policy and the fairness thresholds of
//! `policies/fairness.json`) as one canonical document with one hash.
//!
//! A verdict pins the bundle's hash, and the store keeps every bundle a
//! verdict pinned, so a verdict can be re-derived years later under the
//! policy it was made under, whatever the files say by then. The canonical
//! form sorts every list by id and every object by member name, so two
//! bundles that differ only in layout or order have the same hash.

use rapport_domain::consent::{CcpaClass, PurposeRegistry, PurposesFile};
use rapport_domain::fairness::FairnessPolicy;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::policy::{
    ActionKind, ActionsFile, GatePolicyError, GatePolicyFile, DEFAULT_ACTIONS, DEFAULT_GATE,
};

/// The format name inside every bundle.
pub const BUNDLE_FORMAT: &str = "rapport.policy-bundle.v1";

/// A checked set of policies with its canonical text and hash.
#[derive(Debug, Clone)]
pub struct PolicyBundle {
    purposes: PurposeRegistry,
    actions: ActionsFile,
    gate: GatePolicyFile,
    /// The fairness thresholds the selection audit is judged under; `None`
    /// only in a bundle stored by a build that had no fairness statistics
    /// (its canonical `fairness` member is `null`), kept so that such a
    /// verdict still reloads and replays.
    fairness: Option<FairnessPolicy>,
    canonical: String,
    hash: String,
}

/// The versions of the files in a bundle, as reports show them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BundleVersions {
    pub purposes: String,
    pub actions: String,
    pub gate: String,
    pub fairness: Option<String>,
}

fn bundle_error(reason: impl Into<String>) -> GatePolicyError {
    GatePolicyError::Invalid {
        file: "policy bundle",
        item: "(bundle)".to_owned(),
        reason: reason.into(),
    }
}

impl PolicyBundle {
    /// The bundle of the policies shipped in `policies/`.
    pub fn default_bundle() -> Result<Self, GatePolicyError> {
        let purposes = PurposeRegistry::default_policy()
            .map_err(|e| bundle_error(format!("purposes.json: {e}")))?;
        Self::new(
            purposes,
            ActionsFile::from_json(DEFAULT_ACTIONS)?,
            GatePolicyFile::from_json(DEFAULT_GATE)?,
            Some(
                FairnessPolicy::default_policy()
                    .map_err(|e| bundle_error(format!("fairness.json: {e}")))?,
            ),
        )
    }

    /// Checks that the files agree with one another and builds the bundle.
    pub fn new(
        purposes: PurposeRegistry,
        actions: ActionsFile,
        gate: GatePolicyFile,
        fairness: Option<FairnessPolicy>,
    ) -> Result<Self, GatePolicyError> {
        for k in &actions.kinds {
            check_kind(k, &purposes)?;
        }
        let fairness_doc = match &fairness {
            Some(f) => {
                // A policy built in code gets the checks a file gets.
                f.check()
                    .map_err(|e| bundle_error(format!("fairness: {e}")))?;
                serde_json::to_value(f).map_err(|e| bundle_error(e.to_string()))?
            }
            None => Value::Null,
        };
        let mut purposes_file: Value = serde_json::from_str(
            &purposes
                .canonical_json()
                .map_err(|e| bundle_error(e.to_string()))?,
        )
        .map_err(|e| bundle_error(e.to_string()))?;
        // The registry already sorts its purposes; sort bases too, since
        // their order means nothing.
        if let Some(ps) = purposes_file["purposes"].as_array_mut() {
            for p in ps {
                if let Some(bases) = p["lawful_bases"].as_array_mut() {
                    bases.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                }
            }
        }
        let mut actions_sorted = actions.clone();
        actions_sorted.kinds.sort_by(|a, b| a.id.cmp(&b.id));
        for k in &mut actions_sorted.kinds {
            k.purposes.sort();
            k.list_fields.sort();
        }
        let doc = json!({
            "format": BUNDLE_FORMAT,
            "purposes": purposes_file,
            "actions": serde_json::to_value(&actions_sorted).map_err(|e| bundle_error(e.to_string()))?,
            "gate": serde_json::to_value(&gate).map_err(|e| bundle_error(e.to_string()))?,
            "fairness": fairness_doc,
        });
        let canonical =
            crate::canonical::to_string(&doc).map_err(|e| bundle_error(e.to_string()))?;
        let hash = hex::encode(Sha256::digest(canonical.as_bytes()));
        Ok(Self {
            purposes,
            actions,
            gate,
            fairness,
            canonical,
            hash,
        })
    }

    /// Rebuilds a bundle from the canonical text a verdict pinned, checking
    /// that it hashes to `expected_hash`.
    pub fn from_canonical(text: &str, expected_hash: &str) -> Result<Self, GatePolicyError> {
        let got = hex::encode(Sha256::digest(text.as_bytes()));
        if got != expected_hash {
            return Err(bundle_error(format!(
                "the stored bundle hashes to {got}, not to the pinned {expected_hash}: it was altered"
            )));
        }
        let doc: Value = serde_json::from_str(text).map_err(|e| bundle_error(e.to_string()))?;
        if doc["format"] != BUNDLE_FORMAT {
            return Err(bundle_error(format!(
                "not a {BUNDLE_FORMAT} document (format {})",
                doc["format"]
            )));
        }
        let purposes: PurposesFile = serde_json::from_value(doc["purposes"].clone())
            .map_err(|e| bundle_error(format!("purposes: {e}")))?;
        let purposes = PurposeRegistry::from_file(purposes)
            .map_err(|e| bundle_error(format!("purposes: {e}")))?;
        let actions = ActionsFile::from_json(&doc["actions"].to_string())?;
        let gate = GatePolicyFile::from_json(&doc["gate"].to_string())?;
        let fairness = match &doc["fairness"] {
            Value::Null => None,
            f => Some(
                FairnessPolicy::from_json(&f.to_string())
                    .map_err(|e| bundle_error(format!("fairness: {e}")))?,
            ),
        };
        let bundle = Self::new(purposes, actions, gate, fairness)?;
        if bundle.hash != expected_hash {
            return Err(bundle_error(
                "the stored bundle is not in canonical form; it was not written by Rapport",
            ));
        }
        Ok(bundle)
    }

    /// SHA-256 of the canonical text, in hex: what verdicts pin.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The canonical text (RFC 8785 style), as stored beside verdicts.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The purpose registry.
    pub fn purposes(&self) -> &PurposeRegistry {
        &self.purposes
    }

    /// The action kinds.
    pub fn actions(&self) -> &ActionsFile {
        &self.actions
    }

    /// The gate policy.
    pub fn gate(&self) -> &GatePolicyFile {
        &self.gate
    }

    /// The fairness thresholds, if the bundle has them (see the field).
    pub fn fairness(&self) -> Option<&FairnessPolicy> {
        self.fairness.as_ref()
    }

    /// The versions of the files in the bundle.
    pub fn versions(&self) -> BundleVersions {
        BundleVersions {
            purposes: self.purposes.version().to_owned(),
            actions: self.actions.version.clone(),
            gate: self.gate.version.clone(),
            fairness: self.fairness.as_ref().map(|f| f.version.clone()),
        }
    }
}

/// An action kind must name known purposes, and its flags must agree with
/// theirs, or the consent decision would apply the wrong rules.
fn check_kind(k: &ActionKind, purposes: &PurposeRegistry) -> Result<(), GatePolicyError> {
    let err = |reason: String| GatePolicyError::Invalid {
        file: "actions.json",
        item: k.id.clone(),
        reason,
    };
    for id in &k.purposes {
        let Some(p) = purposes.get(id) else {
            return Err(err(format!(
                "names purpose `{id}`, which the purpose registry does not list"
            )));
        };
        // Art. 22 review and the Colorado and Virginia profiling opt-outs
        // come from the purpose's flag; a significant action under a
        // purpose without it would escape both.
        if k.significant_effect != p.significant_automated_decision {
            return Err(err(format!(
                "significant_effect is {} but purpose `{id}` has significant_automated_decision {}; they must agree",
                k.significant_effect, p.significant_automated_decision
            )));
        }
        // A sale or sharing is a disclosure to a third party by definition
        // (Cal. Civ. Code §1798.140(ad), (ah)).
        if p.ccpa != CcpaClass::None && !k.leaves_platform {
            return Err(err(format!(
                "purpose `{id}` sells or shares personal data, so the list leaves the platform: set leaves_platform"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_bundle_round_trips_through_its_canonical_text() {
        let b = PolicyBundle::default_bundle().expect("bundle");
        assert_eq!(b.hash().len(), 64);
        let again = PolicyBundle::from_canonical(b.canonical(), b.hash()).expect("reload");
        assert_eq!(again.hash(), b.hash());
        assert_eq!(again.canonical(), b.canonical());
    }

    #[test]
    fn an_altered_bundle_is_refused() {
        let b = PolicyBundle::default_bundle().expect("bundle");
        let altered = b
            .canonical()
            .replace("\"art22\":\"needs_review\"", "\"art22\":\"block\"");
        assert_ne!(altered, b.canonical());
        let err = PolicyBundle::from_canonical(&altered, b.hash()).expect_err("altered");
        assert!(err.to_string().contains("altered"), "{err}");
    }

    #[test]
    fn kind_order_does_not_change_the_hash() {
        let b = PolicyBundle::default_bundle().expect("bundle");
        let mut actions = b.actions().clone();
        actions.kinds.reverse();
        let c = PolicyBundle::new(
            b.purposes().clone(),
            actions,
            b.gate().clone(),
            b.fairness().cloned(),
        )
        .expect("reordered");
        assert_eq!(b.hash(), c.hash());
    }

    #[test]
    fn a_significant_kind_needs_a_significant_purpose() {
        let b = PolicyBundle::default_bundle().expect("bundle");
        let mut actions = b.actions().clone();
        for k in &mut actions.kinds {
            if k.id == "automated_decision" {
                k.purposes = vec!["direct_marketing_email".into()];
            }
        }
        let err = PolicyBundle::new(b.purposes().clone(), actions, b.gate().clone(), None)
            .expect_err("mismatch");
        assert!(err.to_string().contains("must agree"), "{err}");
    }

    #[test]
    fn a_sale_that_stays_on_the_platform_is_refused() {
        let b = PolicyBundle::default_bundle().expect("bundle");
        let mut actions = b.actions().clone();
        for k in &mut actions.kinds {
            if k.id == "data_sale" {
                k.leaves_platform = false;
            }
        }
        let err = PolicyBundle::new(b.purposes().clone(), actions, b.gate().clone(), None)
            .expect_err("sale");
        assert!(err.to_string().contains("leaves_platform"), "{err}");
    }

    #[test]
    fn the_bundle_pins_the_fairness_policy_and_reloads_it() {
        let b = PolicyBundle::default_bundle().expect("bundle");
        let shipped = FairnessPolicy::default_policy().expect("policy");
        assert_eq!(b.fairness(), Some(&shipped));
        assert_eq!(
            b.versions().fairness.as_deref(),
            Some(shipped.version.as_str())
        );
        let again = PolicyBundle::from_canonical(b.canonical(), b.hash()).expect("reload");
        assert_eq!(again.fairness(), Some(&shipped));

        // Any threshold is part of the hash: a stricter four-fifths
        // interval is another bundle.
        let mut stricter = shipped.clone();
        stricter.fail.impact_ratio_upper_below = 0.9;
        let c = PolicyBundle::new(
            b.purposes().clone(),
            b.actions().clone(),
            b.gate().clone(),
            Some(stricter.clone()),
        )
        .expect("stricter");
        assert_ne!(c.hash(), b.hash());
        let reloaded = PolicyBundle::from_canonical(c.canonical(), c.hash()).expect("reload");
        assert_eq!(reloaded.fairness(), Some(&stricter));

        // An invalid policy is refused, in code as from a stored bundle.
        let mut bad = shipped;
        bad.confidence_level = 1.5;
        let err = PolicyBundle::new(
            b.purposes().clone(),
            b.actions().clone(),
            b.gate().clone(),
            Some(bad),
        )
        .expect_err("invalid");
        assert!(err.to_string().contains("confidence_level"), "{err}");
    }

    #[test]
    fn a_bundle_without_fairness_thresholds_still_reloads() {
        let b = PolicyBundle::default_bundle().expect("bundle");
        let old = PolicyBundle::new(
            b.purposes().clone(),
            b.actions().clone(),
            b.gate().clone(),
            None,
        )
        .expect("bundle without fairness");
        assert!(old.canonical().contains("\"fairness\":null"));
        let again = PolicyBundle::from_canonical(old.canonical(), old.hash()).expect("reload");
        assert_eq!(again.fairness(), None);
        assert_eq!(again.versions().fairness, None);
    }
}

//! The purpose registry: the shipped policy loads, and the semantic rules a
//! schema cannot express reject bad policies.

use rapport_domain::consent::{purposes_schema, CcpaClass, PolicyError, PurposeRegistry};

#[test]
fn default_policy_loads() {
    let r = PurposeRegistry::default_policy().expect("policies/purposes.json is valid");
    for id in [
        "service_delivery",
        "analytics_profiling",
        "direct_marketing_email",
        "direct_marketing_phone",
        "partner_data_sharing",
        "sale_of_data",
        "targeted_advertising",
        "automated_decision",
        "special_category_analytics",
    ] {
        assert!(r.get(id).is_some(), "default policy lacks {id}");
    }
    assert_eq!(r.get("sale_of_data").map(|p| p.ccpa), Some(CcpaClass::Sale));
    assert_eq!(
        r.get("targeted_advertising").map(|p| p.ccpa),
        Some(CcpaClass::Sharing)
    );
}

/// The default file is valid against the schema derived from the types: the
/// schema is what `schemas/` publishes, so file and types must agree.
#[test]
fn schema_describes_the_policy() {
    let schema = serde_json::to_value(purposes_schema()).expect("schema serializes");
    assert_eq!(schema["title"], "purposes");
    assert_eq!(schema["additionalProperties"], false);
    let purpose = &schema["$defs"]["Purpose"];
    assert_eq!(purpose["additionalProperties"], false);
    for field in ["lawful_bases", "ccpa", "special_category", "retention_days"] {
        assert!(
            purpose["properties"].get(field).is_some(),
            "schema lacks {field}"
        );
    }
}

#[test]
fn canonical_json_ignores_layout_and_order() {
    let a = PurposeRegistry::default_policy().expect("default");
    let text = a.canonical_json().expect("canonical");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["purposes"].as_array_mut().expect("array").reverse();
    let b = PurposeRegistry::from_json(&serde_json::to_string_pretty(&v).expect("pretty"))
        .expect("reparse");
    assert_eq!(b.canonical_json().expect("canonical"), text);
}

fn policy_with(purpose: &str) -> String {
    format!(r#"{{"version": "t", "purposes": [{purpose}]}}"#)
}

fn purpose(id: &str, bases: &str, ccpa: &str, special: bool, retention: u32) -> String {
    format!(
        r#"{{"id": "{id}", "description": "d", "lawful_bases": {bases}, "ccpa": "{ccpa}",
            "special_category": {special}, "direct_marketing": false, "marketing_profiling": false,
            "significant_automated_decision": false, "retention_days": {retention}}}"#
    )
}

fn rejects(text: &str, why: &str) {
    match PurposeRegistry::from_json(text) {
        Err(PolicyError::Invalid { reason, .. }) => {
            assert!(reason.contains(why), "{reason:?} should mention {why:?}")
        }
        other => panic!("expected an invalid-policy error about {why:?}, got {other:?}"),
    }
}

#[test]
fn semantic_rules_are_enforced() {
    rejects(
        &policy_with(&purpose(
            "s",
            r#"["consent", "legitimate_interests"]"#,
            "sale",
            false,
            1,
        )),
        "legitimate_interests",
    );
    rejects(
        &policy_with(&purpose(
            "h",
            r#"["consent", "legitimate_interests"]"#,
            "none",
            true,
            1,
        )),
        "Art. 9(1)",
    );
    rejects(
        &policy_with(&purpose("h", r#"["contract"]"#, "none", true, 1)),
        "must list consent",
    );
    rejects(
        &policy_with(&purpose("r", r#"["consent"]"#, "none", false, 0)),
        "retention_days",
    );
    rejects(
        &policy_with(&purpose("Bad-Id", r#"["consent"]"#, "none", false, 1)),
        "id must match",
    );
    rejects(
        &policy_with(&purpose("e", "[]", "none", false, 1)),
        "no lawful basis",
    );
    rejects(
        &policy_with(&purpose("d", r#"["consent", "consent"]"#, "none", false, 1)),
        "twice",
    );
    let dup = purpose("x", r#"["consent"]"#, "none", false, 1);
    rejects(&policy_with(&format!("{dup}, {dup}")), "listed twice");
    rejects(r#"{"version": "t", "purposes": []}"#, "no purposes");
    // deny_unknown_fields: a typo in a flag name is an error, not a silent default.
    let typo = policy_with(&purpose("x", r#"["consent"]"#, "none", false, 1))
        .replace("special_category", "special_categry");
    assert!(matches!(
        PurposeRegistry::from_json(&typo),
        Err(PolicyError::Parse(_))
    ));
}

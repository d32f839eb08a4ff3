//! Every generated row is one the importer accepts: it deserializes into the
//! domain row type, passes the kind's JSON Schema (with format validation,
//! as the importer compiles it) and the domain's semantic checks; ids are
//! unique per kind and every reference points at a generated stakeholder.

use std::collections::{HashMap, HashSet};

use rapport_domain::rows::*;
use rapport_domain::{ImportKind, Validated};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::support::{rows, small};

/// Rows of one kind, each checked against the schema and `Validated`.
fn checked<T: DeserializeOwned + Serialize + Validated>(kind: ImportKind) -> Vec<T> {
    let set = small();
    let schema = serde_json::to_value(kind.schema()).expect("schema serializes");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    let all: Vec<T> = rows(&set.dir, kind.as_str());
    let mut ids = HashSet::new();
    for (i, row) in all.iter().enumerate() {
        // Absent optional fields are skipped, as the importer leaves empty
        // cells out of the object it validates.
        let value = serde_json::to_value(row).expect("row serializes");
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{kind} row {}: schema: {errors:?}",
            i + 1
        );
        let problems = row.check();
        assert!(problems.is_empty(), "{kind} row {}: {problems:?}", i + 1);
        let id = value["id"].as_str().expect("id").to_owned();
        assert!(ids.insert(id.clone()), "{kind}: duplicate id {id}");
    }
    all
}

/// The header of every file is exactly the schema's properties, in order,
/// and row counts match the summary.
#[test]
fn headers_are_the_schema_columns_and_counts_match() {
    let set = small();
    assert_eq!(set.summary.files.len(), ImportKind::ALL.len());
    for (kind, (name, path, count)) in ImportKind::ALL.iter().zip(&set.summary.files) {
        assert_eq!(name, kind.as_str());
        assert_eq!(path, &set.dir.join(format!("{kind}.csv")));
        let schema = serde_json::to_value(kind.schema()).expect("schema");
        let expected: Vec<&str> = schema["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .map(String::as_str)
            .collect();
        let mut reader = csv::Reader::from_path(path).expect("opens");
        let header: Vec<String> = reader
            .headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header, expected, "{kind}");
        assert_eq!(reader.records().count() as u64, *count, "{kind}");
        assert!(*count > 0, "{kind} has no rows");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&set.summary.parameters).expect("generator.json"))
            .expect("valid json");
    assert_eq!(json["counts"]["customers"], 3_000);
    assert_eq!(json["bg_nbd"]["r"], 0.243);
    assert_eq!(json["gamma_gamma"]["gamma"], 15.44);
}

#[test]
fn every_row_is_valid_and_every_reference_resolves() {
    let customers: Vec<CustomerRow> = checked(ImportKind::Customers);
    let suppliers: Vec<SupplierRow> = checked(ImportKind::Suppliers);
    let partners: Vec<PartnerRow> = checked(ImportKind::Partners);
    let transactions: Vec<TransactionRow> = checked(ImportKind::Transactions);
    let interactions: Vec<InteractionRow> = checked(ImportKind::Interactions);
    let deliveries: Vec<DeliveryRow> = checked(ImportKind::Deliveries);
    let referrals: Vec<ReferralRow> = checked(ImportKind::Referrals);
    let consents: Vec<ConsentRow> = checked(ImportKind::Consents);

    assert_eq!(customers.len(), 3_000);
    assert_eq!(suppliers.len(), 5);
    assert_eq!(partners.len(), 3);

    let signup: HashMap<&str, &str> = customers
        .iter()
        .map(|c| {
            (
                c.id.as_str(),
                c.signup_date.as_deref().expect("signup date"),
            )
        })
        .collect();
    let supplier_ids: HashSet<&str> = suppliers.iter().map(|s| s.id.as_str()).collect();
    let partner_ids: HashSet<&str> = partners.iter().map(|p| p.id.as_str()).collect();
    let stakeholder =
        |id: &str| signup.contains_key(id) || supplier_ids.contains(id) || partner_ids.contains(id);

    // Dates compare correctly as text in YYYY-MM-DD and RFC 3339 UTC form.
    for t in &transactions {
        let s = signup
            .get(t.customer_id.as_str())
            .unwrap_or_else(|| panic!("{}: unknown customer", t.id));
        assert!(
            t.date.as_str() >= *s && t.date.as_str() <= "2024-12-31",
            "{}: date {}",
            t.id,
            t.date
        );
        assert!(
            t.amount >= 0.01 && (1..=5).contains(&t.quantity),
            "{}",
            t.id
        );
    }
    for i in &interactions {
        assert!(
            stakeholder(&i.stakeholder_id),
            "{}: unknown stakeholder",
            i.id
        );
        assert!(
            i.occurred_at.as_str() >= "2023-01-01" && i.occurred_at.as_str() < "2025-01-01",
            "{}",
            i.id
        );
        if let Some(s) = signup.get(i.stakeholder_id.as_str()) {
            assert!(&i.occurred_at[..10] >= *s, "{}: before signup", i.id);
        }
    }
    for d in &deliveries {
        assert!(
            supplier_ids.contains(d.supplier_id.as_str()),
            "{}: unknown supplier",
            d.id
        );
    }
    for r in &referrals {
        assert!(stakeholder(&r.referrer_id), "{}: unknown referrer", r.id);
        assert!(
            signup.contains_key(r.referred_id.as_str()),
            "{}: unknown referred",
            r.id
        );
        assert_ne!(r.referrer_id, r.referred_id);
        if let Some(s) = signup.get(r.referrer_id.as_str()) {
            assert!(
                r.referrer_id < r.referred_id,
                "{}: referrer is not earlier",
                r.id
            );
            assert!(*s <= r.date.as_str(), "{}: referrer signed up later", r.id);
        }
    }
    for c in &consents {
        assert!(
            signup.contains_key(c.subject_id.as_str()),
            "{}: unknown subject",
            c.id
        );
        if c.method == CollectionMethod::GpcSignal {
            assert!(
                c.jurisdiction == "US-CA" || c.jurisdiction == "US-CO",
                "{}",
                c.id
            );
        }
    }

    // Every kind of record the brief asks for is present.
    let kinds: HashSet<InteractionKind> = interactions.iter().map(|i| i.kind).collect();
    for k in [
        InteractionKind::EmailSent,
        InteractionKind::EmailOpen,
        InteractionKind::EmailClick,
        InteractionKind::WebVisit,
        InteractionKind::TicketOpened,
        InteractionKind::TicketClosed,
        InteractionKind::NpsResponse,
    ] {
        assert!(kinds.contains(&k), "no {k:?} interactions");
    }
    let statuses: HashSet<(&str, ConsentStatus)> = consents
        .iter()
        .map(|c| (c.purpose.as_str(), c.status))
        .collect();
    for s in [
        ("service_delivery", ConsentStatus::Granted),
        ("analytics_profiling", ConsentStatus::Objected),
        ("direct_marketing_email", ConsentStatus::Granted),
        ("direct_marketing_email", ConsentStatus::Refused),
        ("direct_marketing_email", ConsentStatus::Withdrawn),
        ("sale_of_data", ConsentStatus::Objected),
        ("targeted_advertising", ConsentStatus::Objected),
    ] {
        assert!(statuses.contains(&s), "no {s:?} consent record");
    }
    assert!(consents.iter().any(|c| c.expires_at.is_some()));
    assert!(
        deliveries.iter().any(|d| d.delivered_date.is_none()),
        "no outstanding delivery"
    );
    assert!(
        deliveries
            .iter()
            .any(|d| d.delivered_date > Some(d.promised_date.clone())),
        "no late delivery"
    );
    assert!(
        deliveries
            .iter()
            .any(|d| d.quantity_accepted < d.quantity_delivered),
        "no rejected units"
    );
    assert!(
        customers.iter().any(|c| c.gender.is_none()) && customers.iter().any(|c| c.notes.is_some())
    );
}

/// The e-mail address of every customer is unique.
#[test]
fn customer_emails_are_unique() {
    let customers: Vec<CustomerRow> = rows(&small().dir, "customers");
    let emails: HashSet<&str> = customers
        .iter()
        .filter_map(|c| c.email.as_deref())
        .collect();
    assert_eq!(emails.len(), customers.len());
}

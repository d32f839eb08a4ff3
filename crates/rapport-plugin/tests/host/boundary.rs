//! What crosses the boundary: exactly the filled fields, and the same
//! output for the same input.

use std::collections::BTreeSet;

use rapport_plugin::host::wit::{Customer, Interaction, Previous, Referral, Transaction};
use rapport_plugin::host::Population;

use crate::{ctx, customers, host, limits, load};

fn fixture() -> Vec<Customer> {
    let text = include_str!("fixtures/boundary.json");
    serde_json::from_str(text).expect("fixture parses")
}

fn reported(customers: &[Customer]) -> Vec<(u64, f64, BTreeSet<String>)> {
    let host = host();
    let echo = load(&host, "plugin-echo");
    let scored = echo
        .score(&ctx(), &[], Population::Customers(customers), &limits())
        .expect("scores")
        .value
        .expect("returns scores");
    scored
        .outputs
        .iter()
        .map(|o| {
            let names: BTreeSet<String> = o
                .values()
                .map(|(name, value)| {
                    assert_eq!(value, 1.0);
                    name.strip_prefix("present:")
                        .unwrap_or_else(|| panic!("unexpected value {name}"))
                        .to_owned()
                })
                .collect();
            (o.subject(), o.score(), names)
        })
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_plugin_sees_exactly_the_filled_fields() {
    let batch = fixture();
    let got = reported(&batch);
    let expected = [
        (101, set(&[])),
        (
            102,
            set(&[
                "customer.country",
                "purchases.count",
                "purchases.total_amount",
            ]),
        ),
        (
            103,
            set(&[
                "customer.signup",
                "purchases.last",
                "transactions",
                "transactions.at",
                "transactions.channel",
                "referrals",
            ]),
        ),
        (
            104,
            set(&[
                "customer.region",
                "purchases.days",
                "purchases.first",
                "purchases.total_quantity",
                "interactions",
                "interactions.kind",
                "interactions.nps",
                "referrals",
                "referrals.referred",
            ]),
        ),
    ];
    assert_eq!(got.len(), expected.len());
    for ((subject, score, names), (want_subject, want)) in got.iter().zip(expected) {
        assert_eq!(*subject, want_subject);
        assert_eq!(names, &want, "subject {subject}");
        assert_eq!(*score, want.len() as f64);
    }
}

#[test]
fn every_field_filled_is_every_field_seen() {
    let mut c = fixture().remove(0);
    c.signup = Some(1);
    c.country = Some("FR".into());
    c.region = Some("IDF".into());
    c.purchases.count = Some(1);
    c.purchases.days = Some(1);
    c.purchases.first = Some(1);
    c.purchases.last = Some(1);
    c.purchases.total_amount = Some(1.0);
    c.purchases.total_quantity = Some(1);
    c.transactions = Some(vec![Transaction {
        at: Some(1),
        amount: Some(2.0),
        quantity: Some(3),
        channel: Some("shop".into()),
    }]);
    c.interactions = Some(vec![Interaction {
        at: Some(1),
        kind: Some("call".into()),
        channel: Some("phone".into()),
        nps: Some(7),
        sentiment: Some(0.5),
    }]);
    c.referrals = Some(vec![Referral {
        referred: Some(5),
        at: Some(2),
    }]);
    c.previous = Some(Previous {
        as_of: Some(1),
        score: Some(2.5),
        label: Some("steady".into()),
    });
    let got = reported(std::slice::from_ref(&c));
    let catalogue: BTreeSet<String> = rapport_plugin::fields::ALL
        .iter()
        .filter(|f| f.subject == rapport_plugin::fields::Subject::Customer)
        .map(|f| f.name.to_owned())
        .chain(["transactions", "interactions", "referrals", "previous"].map(String::from))
        .collect();
    assert_eq!(got[0].2, catalogue);
}

#[test]
fn same_component_and_input_give_byte_identical_output() {
    let batch = customers(500);
    let run = || {
        let host = host();
        let echo = load(&host, "plugin-echo");
        let model = echo
            .fit(&ctx(), Population::Customers(&batch), &limits())
            .expect("fits")
            .value
            .expect("model");
        let scored = echo
            .score(
                &ctx(),
                &model.state,
                Population::Customers(&batch),
                &limits(),
            )
            .expect("scores")
            .value
            .expect("scores");
        (
            serde_json::to_vec(&model).expect("json"),
            serde_json::to_vec(&scored).expect("json"),
        )
    };
    let (model_a, scored_a) = run();
    let (model_b, scored_b) = run();
    assert_eq!(model_a, model_b);
    assert_eq!(scored_a, scored_b);
    // And the output really depends on the input.
    assert!(String::from_utf8_lossy(&scored_a).contains("present:purchases.count"));
}

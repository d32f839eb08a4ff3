//! Properties over random ledgers: whatever the records, the jurisdiction and
//! the instant, a refusal with no newer grant is never overridden, and the
//! order records arrive in never matters.

use std::collections::BTreeSet;

use proptest::prelude::*;
use rapport_domain::consent::{
    decide, decide_all, ConsentEvent, GivenBy, Notice, NoticeRef, PurposeRegistry, SubjectFacts,
};
use rapport_domain::rows::{CollectionMethod, ConsentStatus, LawfulBasis};
use time::{Date, Duration, Month, OffsetDateTime};

const JURISDICTIONS: &[&str] = &["EU", "GB", "US-CA", "US-CO", "US-VA", "US-TX"];

fn registry() -> PurposeRegistry {
    PurposeRegistry::default_policy().expect("default policy")
}

fn base() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_704_067_200).expect("2024-01-01")
}

fn notices() -> Vec<Notice> {
    vec![
        Notice {
            id: "privacy".into(),
            version: 1,
            content_hash: "h1".into(),
            published_at: base() - Duration::days(365),
            material_change: false,
        },
        Notice {
            id: "privacy".into(),
            version: 2,
            content_hash: "h2".into(),
            published_at: base() + Duration::days(30),
            material_change: true,
        },
    ]
}

fn basis() -> impl Strategy<Value = LawfulBasis> {
    prop_oneof![
        Just(LawfulBasis::Consent),
        Just(LawfulBasis::Contract),
        Just(LawfulBasis::LegalObligation),
        Just(LawfulBasis::LegitimateInterests),
        Just(LawfulBasis::PublicTask),
        Just(LawfulBasis::VitalInterests),
    ]
}

fn status() -> impl Strategy<Value = ConsentStatus> {
    // Grants are commoner than refusals, as in real ledgers, so that both
    // allowed and refused outcomes are explored.
    prop_oneof![
        4 => Just(ConsentStatus::Granted),
        1 => Just(ConsentStatus::Withdrawn),
        1 => Just(ConsentStatus::Refused),
        1 => Just(ConsentStatus::Objected),
    ]
}

fn method() -> impl Strategy<Value = CollectionMethod> {
    prop_oneof![
        4 => Just(CollectionMethod::WebForm),
        1 => Just(CollectionMethod::Import),
        1 => Just(CollectionMethod::GpcSignal),
    ]
}

/// One event without its id; ids are assigned by position so no record
/// supersedes another.
fn event(purposes: Vec<String>) -> impl Strategy<Value = ConsentEvent> {
    (
        proptest::sample::select(purposes),
        basis(),
        status(),
        proptest::sample::select(JURISDICTIONS),
        0i64..60,
        proptest::option::of(1i64..90),
        method(),
        proptest::option::of(1u32..=3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(purpose, lawful_basis, status, j, day, expiry, method, notice, explicit, parent)| {
                let recorded_at = base() + Duration::days(day);
                ConsentEvent {
                    id: String::new(),
                    version: 1,
                    purpose,
                    lawful_basis,
                    status,
                    jurisdiction: j.to_owned(),
                    recorded_at,
                    expires_at: expiry.map(|d| recorded_at + Duration::days(d)),
                    method,
                    notice: notice.map(|version| NoticeRef {
                        id: "privacy".into(),
                        version,
                    }),
                    explicit,
                    given_by: if parent {
                        GivenBy::ParentOrGuardian
                    } else {
                        GivenBy::Subject
                    },
                }
            },
        )
}

#[derive(Debug, Clone)]
struct Case {
    ledger: Vec<ConsentEvent>,
    purpose: String,
    jurisdiction: &'static str,
    subject: SubjectFacts,
    at: OffsetDateTime,
}

fn case() -> impl Strategy<Value = Case> {
    let ids: Vec<String> = registry().purposes().iter().map(|p| p.id.clone()).collect();
    (
        proptest::collection::vec(event(ids.clone()), 0..10),
        proptest::sample::select(ids),
        proptest::sample::select(JURISDICTIONS),
        proptest::option::of(2000i32..2020),
        proptest::collection::vec(proptest::sample::select(JURISDICTIONS), 0..3),
        0i64..70,
    )
        .prop_map(|(mut ledger, purpose, jurisdiction, born, js, day)| {
            for (i, e) in ledger.iter_mut().enumerate() {
                e.id = format!("r{i}");
            }
            let birth_date = born.and_then(|y| Date::from_calendar_date(y, Month::March, 10).ok());
            Case {
                ledger,
                purpose,
                jurisdiction,
                subject: SubjectFacts {
                    birth_date,
                    jurisdictions: js.into_iter().map(str::to_owned).collect(),
                },
                at: base() + Duration::days(day),
            }
        })
}

/// Whether a grant for `purpose` strictly newer than `t` exists at `at`.
/// Deliberately weaker than the decision's own lifting rules (any newer grant
/// will do here), so the property holds for every stricter reading.
fn newer_grant(c: &Case, purpose: &str, t: OffsetDateTime) -> bool {
    c.ledger.iter().any(|g| {
        g.purpose == purpose
            && g.status == ConsentStatus::Granted
            && g.method != CollectionMethod::GpcSignal
            && g.recorded_at > t
            && g.recorded_at <= c.at
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// GDPR Art. 7(3), Art. 21; Cal. Civ. Code §1798.120, §1798.135; 11 CCR
    /// §7025; C.R.S. 6-1-1306: a refusal stands until a newer grant.
    #[test]
    fn refusals_stand_until_a_newer_grant(c in case()) {
        let reg = registry();
        let p = reg.get(&c.purpose).expect("purpose");
        let notices = notices();
        let d = decide(&reg, &c.ledger, &notices, p, &c.subject, c.jurisdiction, c.at);
        for n in c.ledger.iter().filter(|n| n.recorded_at <= c.at) {
            let own_refusal = n.purpose == p.id && n.status != ConsentStatus::Granted;
            let opt_out_of_sale = p.is_sale_or_sharing()
                && (n.method == CollectionMethod::GpcSignal
                    || (n.status != ConsentStatus::Granted
                        && reg.get(&n.purpose).is_some_and(|q| q.is_sale_or_sharing())));
            if (own_refusal || opt_out_of_sale) && !newer_grant(&c, &p.id, n.recorded_at) {
                prop_assert!(!d.allowed, "{} allowed after refusal {} in {}: {:?}", p.id, n.id, c.jurisdiction, d);
            }
        }
    }

    /// The order records arrive in never changes the decision.
    #[test]
    fn input_order_does_not_matter(c in case(), seed in any::<u64>()) {
        let reg = registry();
        let p = reg.get(&c.purpose).expect("purpose");
        let notices = notices();
        let mut shuffled = c.ledger.clone();
        // A small deterministic shuffle driven by the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            let j = usize::try_from(s % (i as u64 + 1)).expect("index");
            shuffled.swap(i, j);
        }
        let a = decide(&reg, &c.ledger, &notices, p, &c.subject, c.jurisdiction, c.at);
        let b = decide(&reg, &shuffled, &notices, p, &c.subject, c.jurisdiction, c.at);
        let ids = |d: &rapport_domain::consent::Decision<'_>| d.reasons.iter().map(|r| r.rule).collect::<BTreeSet<_>>();
        prop_assert_eq!(a.allowed, b.allowed);
        prop_assert_eq!(a.requires_human_review, b.requires_human_review);
        prop_assert_eq!(ids(&a), ids(&b));
    }

    /// A subject under several jurisdictions is allowed only if each allows.
    #[test]
    fn the_strictest_jurisdiction_wins(c in case()) {
        let reg = registry();
        let p = reg.get(&c.purpose).expect("purpose");
        let notices = notices();
        let all = decide_all(&reg, &c.ledger, &notices, p, &c.subject, c.at);
        let each = c.subject.jurisdictions.iter()
            .all(|j| decide(&reg, &c.ledger, &notices, p, &c.subject, j, c.at).allowed);
        let unknown = decide(&reg, &c.ledger, &notices, p, &c.subject, "unknown", c.at).allowed;
        let expected = if c.subject.jurisdictions.is_empty() { unknown } else { each };
        prop_assert_eq!(all.allowed, expected);
    }
}

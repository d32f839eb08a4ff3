//! Decisions per second per core on realistic ledgers (3 to 8 records per
//! subject, a mix of purposes, jurisdictions and refusals).
//!
//! Run with `cargo bench -p rapport-domain`. Plain `std::time` on one thread,
//! so the figure is per core; the ledgers are generated from a fixed seed so
//! runs are comparable. The gate decides every subject of a campaign, so this
//! is the number that bounds how fast a million-subject action can be checked.

use std::hint::black_box;
use std::time::{Duration, Instant};

use rapport_domain::consent::{
    decide, ConsentEvent, GivenBy, Notice, NoticeRef, PurposeRegistry, SubjectFacts,
};
use rapport_domain::rows::{CollectionMethod, ConsentStatus, LawfulBasis};
use time::{Date, Month, OffsetDateTime};

/// xorshift64: a fixed, dependency-free stream of pseudo-random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const JURISDICTIONS: &[&str] = &["EU", "GB", "US-CA", "US-CO", "US-VA"];

fn ledger(
    rng: &mut Rng,
    purposes: &[String],
    subject: usize,
    base: OffsetDateTime,
) -> Vec<ConsentEvent> {
    let n = 3 + rng.below(6);
    (0..n)
        .map(|i| {
            let status = match rng.below(8) {
                0 => ConsentStatus::Withdrawn,
                1 => ConsentStatus::Objected,
                2 => ConsentStatus::Refused,
                _ => ConsentStatus::Granted,
            };
            let lawful_basis = match rng.below(4) {
                0 => LawfulBasis::Contract,
                1 => LawfulBasis::LegitimateInterests,
                _ => LawfulBasis::Consent,
            };
            let recorded_at = base + Duration::from_secs(rng.below(400) as u64 * 86_400);
            ConsentEvent {
                id: format!("s{subject}-c{i}"),
                version: 1,
                purpose: purposes[rng.below(purposes.len())].clone(),
                lawful_basis,
                status,
                jurisdiction: JURISDICTIONS[rng.below(JURISDICTIONS.len())].to_owned(),
                recorded_at,
                expires_at: (rng.below(4) == 0)
                    .then(|| recorded_at + Duration::from_secs(365 * 86_400)),
                method: if rng.below(12) == 0 {
                    CollectionMethod::GpcSignal
                } else {
                    CollectionMethod::WebForm
                },
                notice: Some(NoticeRef {
                    id: "privacy".into(),
                    version: 1 + rng.below(2) as u32,
                }),
                explicit: rng.below(3) == 0,
                given_by: GivenBy::Subject,
            }
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = PurposeRegistry::default_policy()?;
    let purposes: Vec<String> = registry.purposes().iter().map(|p| p.id.clone()).collect();
    let base = OffsetDateTime::from_unix_timestamp(1_700_000_000)?;
    let notices = vec![
        Notice {
            id: "privacy".into(),
            version: 1,
            content_hash: "h1".into(),
            published_at: base,
            material_change: false,
        },
        Notice {
            id: "privacy".into(),
            version: 2,
            content_hash: "h2".into(),
            published_at: base + Duration::from_secs(200 * 86_400),
            material_change: true,
        },
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let subjects: Vec<(Vec<ConsentEvent>, SubjectFacts, &str)> = (0..4096)
        .map(|s| {
            let j = JURISDICTIONS[rng.below(JURISDICTIONS.len())];
            let birth_date = (rng.below(10) == 0)
                .then(|| Date::from_calendar_date(2005 + rng.below(10) as i32, Month::June, 1).ok())
                .flatten();
            let facts = SubjectFacts {
                birth_date,
                jurisdictions: vec![j.to_owned()],
            };
            (ledger(&mut rng, &purposes, s, base), facts, j)
        })
        .collect();
    let at = base + Duration::from_secs(300 * 86_400);
    let all = registry.purposes();

    let run = |rounds: usize| {
        let mut allowed = 0usize;
        let mut n = 0usize;
        for _ in 0..rounds {
            for (ledger, facts, j) in &subjects {
                for p in all {
                    let d = decide(
                        &registry,
                        black_box(ledger),
                        &notices,
                        p,
                        facts,
                        j,
                        black_box(at),
                    );
                    allowed += usize::from(d.allowed);
                    n += 1;
                }
            }
        }
        (n, allowed)
    };
    // Warm up caches and the allocator, then time whole rounds for ~2 s.
    black_box(run(2));
    let start = Instant::now();
    let mut decisions = 0usize;
    let mut allowed = 0usize;
    while start.elapsed() < Duration::from_secs(2) {
        let (n, a) = run(4);
        decisions += n;
        allowed += a;
    }
    let secs = start.elapsed().as_secs_f64();
    let mean_records =
        subjects.iter().map(|s| s.0.len()).sum::<usize>() as f64 / subjects.len() as f64;
    println!(
        "decide: {decisions} decisions in {secs:.2} s = {:.0} decisions/s/core ({:.0} ns each; {mean_records:.1} records per subject, {:.0}% allowed)",
        decisions as f64 / secs,
        secs * 1e9 / decisions as f64,
        100.0 * allowed as f64 / decisions as f64,
    );
    Ok(())
}

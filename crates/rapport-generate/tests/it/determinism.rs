//! Same options, same bytes; another seed, other data.

use super::support::make;

const FILES: [&str; 9] = [
    "customers.csv",
    "suppliers.csv",
    "partners.csv",
    "transactions.csv",
    "interactions.csv",
    "deliveries.csv",
    "referrals.csv",
    "consents.csv",
    "generator.json",
];

fn read(dir: &std::path::Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn same_seed_gives_byte_identical_files_and_another_seed_does_not() {
    let a = make(2_000, 99);
    let b = make(2_000, 99);
    let c = make(2_000, 100);
    for name in FILES {
        assert!(
            read(&a.dir, name) == read(&b.dir, name),
            "{name} differs between runs with one seed"
        );
    }
    for name in [
        "customers.csv",
        "transactions.csv",
        "interactions.csv",
        "consents.csv",
        "deliveries.csv",
    ] {
        assert!(
            read(&a.dir, name) != read(&c.dir, name),
            "{name} is the same for seeds 99 and 100"
        );
    }
}

/// A customer's rows depend only on the seed and its index: the first
/// customers of a larger data set are those of a smaller one (apart from
/// the signup date, which spreads over the population).
#[test]
fn a_customer_does_not_depend_on_others() {
    let small = make(50, 5);
    let large = make(500, 5);
    let first = |dir: &std::path::Path| -> Vec<String> {
        let text = String::from_utf8(read(dir, "customers.csv")).expect("utf-8");
        text.lines()
            .skip(1)
            .take(20)
            .map(|l| {
                // Drop the signup date and age band, which depend on the population size.
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(l.as_bytes());
                let rec = reader
                    .records()
                    .next()
                    .expect("a record")
                    .expect("valid csv");
                format!("{}|{}|{}|{}", &rec[0], &rec[1], &rec[2], &rec[8])
            })
            .collect()
    };
    assert_eq!(first(&small.dir), first(&large.dir));
}

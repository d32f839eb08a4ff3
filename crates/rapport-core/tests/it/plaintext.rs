//! No personal value reaches disk in plaintext: import a generated data set
//! and scan every file of the data directory (WAL and journals included) for
//! the sample's e-mail addresses, names and phone numbers.

use rapport_core::ImportKind;

use crate::support::{all_files, import, Env};

#[tokio::test]
async fn generated_personal_data_is_never_on_disk_in_plaintext() {
    let env = Env::new();
    let sample = env.tmp.path().join("sample");
    rapport_generate::generate(
        &rapport_generate::Options::new(1500, 7, sample.clone()),
        &|_| {},
    )
    .expect("generate");

    let mut needles: Vec<String> = Vec::new();
    for (file, columns) in [
        ("customers.csv", &["name", "email", "phone", "address"][..]),
        ("suppliers.csv", &["contact_name", "email", "phone"][..]),
        ("partners.csv", &["contact_name", "email", "phone"][..]),
    ] {
        let mut rdr = csv::Reader::from_path(sample.join(file)).expect("csv");
        let headers = rdr.headers().expect("headers").clone();
        for rec in rdr.records() {
            let rec = rec.expect("record");
            for col in columns {
                let i = headers.iter().position(|h| h == *col).expect("column");
                if let Some(v) = rec.get(i).filter(|v| v.len() >= 8) {
                    needles.push(v.to_owned());
                }
            }
        }
    }
    assert!(
        needles.len() > 3000,
        "the sample holds personal values to look for"
    );

    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    for kind in ImportKind::ALL {
        import(
            &p,
            "acme",
            kind,
            &sample.join(format!("{}.csv", kind.as_str())),
        )
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    let matcher = aho_corasick::AhoCorasick::new(&needles).expect("matcher");
    // Scan while the store is still open, so the WAL is there too.
    let scan = |when: &str| {
        let files = all_files(&env.dirs.data);
        assert!(files.iter().any(|(p, _)| p.ends_with("rapport.db")));
        for (path, bytes) in &files {
            assert!(
                matcher.find(bytes.as_slice()).is_none(),
                "{when}: a personal value was found in plaintext in {}",
                path.display()
            );
        }
        files.len()
    };
    let open_files = scan("while open");
    assert!(
        open_files >= 4,
        "store, WAL and key store files are scanned"
    );
    p.close().await;
    scan("after close");
}

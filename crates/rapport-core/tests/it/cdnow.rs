//! The CDNOW data set imports directly with `--format cdnow`. Reads
//! `../shared/data/cdnow/` and says that it skipped when it is absent.

use rapport_core::{Format, ImportKind, ImportSource};

use crate::support::{repo_root, Env};

#[tokio::test]
async fn the_cdnow_sample_imports_with_every_purchase() {
    let dir = repo_root().join("../shared/data/cdnow");
    let file = dir.join("CDNOW_sample.txt");
    if !file.exists() {
        eprintln!("skipped: {} not found", file.display());
        return;
    }
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("cdnow").await.expect("tenant");
    for kind in [ImportKind::Customers, ImportKind::Transactions] {
        let source = ImportSource {
            name: "CDNOW_sample.txt".to_owned(),
            reader: Box::new(std::fs::File::open(&file).expect("open")),
        };
        let r = p
            .import("cdnow", kind, Format::Cdnow, source, &|_| {})
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(r.rows, r.written, "{kind}");
    }
    let t = p.tenant_info("cdnow").await.expect("info");
    // The data set's README: 2,357 customers, 6,919 transactions.
    assert_eq!((t.customers, t.transactions), (2357, 6919));
    // Customer 1 of the sample made its first purchase on 1997-01-01.
    let c1 = p.profile("cdnow", "1").await.expect("customer 1");
    assert_eq!(c1.signup_date.as_deref(), Some("1997-01-01"));
    p.close().await;
}

//! Store tests on real SQLite files.

use rapport_store::{ConsentRecord, KeyStore, Store, StoredKey};

fn consent(id: &str, stakeholder_id: i64) -> ConsentRecord {
    ConsentRecord {
        external_id: id.to_owned(),
        version: 1,
        stakeholder_id,
        purpose: "direct_marketing_email".to_owned(),
        lawful_basis: "consent".to_owned(),
        status: "granted".to_owned(),
        jurisdiction: "EU".to_owned(),
        recorded_at: "2024-01-01T00:00:00Z".to_owned(),
        expires_at: None,
        notice_id: None,
        notice_version: None,
        method: "web_form".to_owned(),
        source: None,
        evidence_ref: None,
        actor: None,
        explicit: false,
        given_by: "subject".to_owned(),
        fingerprint: [7; 32],
    }
}

async fn store_with_one_consent(dir: &std::path::Path) -> Store {
    let store = Store::create(&dir.join("rapport.db"))
        .await
        .expect("create");
    let tenant = store
        .create_tenant("acme", [1; 16], "2024-01-01T00:00:00Z", &[])
        .await
        .expect("tenant");
    let mut batch = store.begin(&tenant).await.expect("begin");
    let ids = batch
        .upsert_stakeholders(&[rapport_store::StakeholderRecord {
            external_id: "C1".to_owned(),
            kind: rapport_domain::StakeholderKind::Customer,
            subject: [2; 16],
            fingerprint: [3; 32],
            country: None,
            region: None,
            signup_date: None,
            category: None,
            partner_type: None,
            sealed: Default::default(),
        }])
        .await
        .expect("stakeholder");
    let counts = batch
        .append_consents(&[consent("K1", ids[0].1)])
        .await
        .expect("consent");
    assert_eq!(counts.written, 1);
    // Appending the same record again is a no-op.
    let again = batch
        .append_consents(&[consent("K1", ids[0].1)])
        .await
        .expect("consent again");
    assert_eq!((again.written, again.unchanged), (0, 1));
    batch.commit().await.expect("commit");
    store
}

#[tokio::test]
async fn consent_rows_cannot_be_updated_or_deleted_even_with_raw_sql() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store_with_one_consent(dir.path()).await;
    store.close().await;

    // A second, independent connection, as anyone with the file would use.
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("rapport.db").display()
    ))
    .await
    .expect("raw connect");
    let update = sqlx::query("UPDATE consents SET status = 'withdrawn'")
        .execute(&pool)
        .await;
    let err = update.expect_err("update refused").to_string();
    assert!(err.contains("append-only"), "{err}");
    let delete = sqlx::query("DELETE FROM consents").execute(&pool).await;
    assert!(delete
        .expect_err("delete refused")
        .to_string()
        .contains("append-only"));
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM consents")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(n, 1);
    pool.close().await;
}

#[tokio::test]
async fn a_rolled_back_batch_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store_with_one_consent(dir.path()).await;
    let before = store.content_dump().await.expect("dump");
    let tenant = store.tenant("acme").await.expect("tenant");
    let mut batch = store.begin(&tenant).await.expect("begin");
    let index = batch.stakeholder_index().await.expect("index");
    batch
        .append_consents(&[consent("K2", index["C1"].id)])
        .await
        .expect("append");
    batch.rollback().await.expect("rollback");
    assert_eq!(before, store.content_dump().await.expect("dump"));
    store.close().await;
}

#[tokio::test]
async fn destroying_a_key_removes_it_and_records_the_erasure() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("keys.db");
    let keys = KeyStore::create(&path).await.expect("create");
    let wrapped = vec![0xAB; 73];
    let mut b = keys.begin().await.expect("begin");
    b.put(
        [1; 16],
        &[
            (
                [2; 16],
                StoredKey {
                    kek_version: 1,
                    wrapped: wrapped.clone(),
                },
            ),
            (
                [3; 16],
                StoredKey {
                    kek_version: 1,
                    wrapped: vec![0xCD; 73],
                },
            ),
        ],
    )
    .await
    .expect("put");
    b.commit().await.expect("commit");
    assert!(keys
        .destroy([1; 16], [2; 16], "2024-02-02T00:00:00Z")
        .await
        .expect("destroy"));
    assert!(keys.get([1; 16], [2; 16]).await.expect("get").is_none());
    assert!(keys.get([1; 16], [3; 16]).await.expect("get").is_some());
    assert_eq!(keys.erasures([1; 16]).await.expect("erasures").len(), 1);
    // Keys are per tenant.
    assert!(keys.get([9; 16], [3; 16]).await.expect("get").is_none());
    keys.close().await;
    // secure_delete: the destroyed key's bytes are overwritten in the file.
    let bytes = std::fs::read(&path).expect("read");
    assert!(!bytes
        .windows(wrapped.len())
        .any(|w| w == wrapped.as_slice()));
    assert!(bytes.windows(73).any(|w| w == [0xCD; 73]));
}

/// The `-wal` and `-shm` files beside `db`, if any are left.
fn sidecars(db: &std::path::Path) -> Vec<String> {
    ["-wal", "-shm"]
        .iter()
        .map(|s| format!("{}{s}", db.display()))
        .filter(|p| std::path::Path::new(p).exists())
        .collect()
}

/// A closed store is one quiescent file: every connection, including ones
/// released by the very last queries, is closed before `close` returns, so
/// nothing deletes a `-wal` or `-shm` file later under a copy taken right
/// after. Each round ends on concurrent queries, whose connections are
/// still on their way back to the pool when the close starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_store_leaves_no_connection_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("rapport.db");
    let audit = dir.path().join("audit.db");
    let keys = dir.path().join("keys.db");
    Store::create(&db).await.expect("create").close().await;
    KeyStore::create(&keys).await.expect("create").close().await;
    for round in 0..25 {
        let store = Store::open(&db).await.expect("open");
        let name = format!("t{round}");
        store
            .create_tenant(&name, [round as u8; 16], "2024-01-01T00:00:00Z", &[])
            .await
            .expect("tenant");
        let (a, b, c, d) = tokio::join!(
            store.tenants(),
            store.tenants(),
            store.tenants(),
            store.tenants()
        );
        for r in [a, b, c, d] {
            assert_eq!(r.expect("tenants").len(), round + 1);
        }
        store.close().await;
        assert_eq!(sidecars(&db), Vec::<String>::new(), "store, round {round}");

        let log = rapport_store::AuditStore::open_or_create(&audit)
            .await
            .expect("audit");
        let (a, b, c) = tokio::join!(log.logs(), log.logs(), log.logs());
        for r in [a, b, c] {
            r.expect("logs");
        }
        log.close().await;
        assert_eq!(
            sidecars(&audit),
            Vec::<String>::new(),
            "audit log, round {round}"
        );

        let k = KeyStore::open(&keys).await.expect("keys");
        let (a, b, c) = tokio::join!(
            k.get([1; 16], [2; 16]),
            k.get([1; 16], [2; 16]),
            k.get([1; 16], [2; 16])
        );
        for r in [a, b, c] {
            assert!(r.expect("get").is_none());
        }
        k.close().await;
        assert_eq!(
            sidecars(&keys),
            Vec::<String>::new(),
            "key store, round {round}"
        );
    }
}

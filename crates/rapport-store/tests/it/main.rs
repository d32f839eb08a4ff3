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

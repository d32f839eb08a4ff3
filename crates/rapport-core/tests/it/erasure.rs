//! Crypto-shredding: destroying a subject's data key makes its sealed fields
//! unreadable everywhere, including in a copy of the database taken before.

use rapport_core::{CoreError, DataDirs, Platform};

use crate::support::{contains, import_base, Env};

#[tokio::test]
async fn a_backup_taken_before_erasure_no_longer_yields_the_subject() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    import_base(&p, "acme").await;
    assert_eq!(
        p.profile("acme", "C2")
            .await
            .expect("profile")
            .fields
            .get("email")
            .map(String::as_str),
        Some("jonas.lindqvist@example.org")
    );
    p.close().await;

    // A backup of the database alone (keys are not in it).
    let backup = env.tmp.path().join("backup");
    std::fs::create_dir_all(&backup).expect("mkdir");
    std::fs::copy(env.dirs.database(), backup.join("rapport.db")).expect("copy db");
    let sealed_copy = std::fs::read(backup.join("rapport.db")).expect("read");

    let p = env.open().await;
    assert!(p.destroy_subject_key("acme", "C2").await.expect("erase"));
    assert!(matches!(
        p.profile("acme", "C2").await,
        Err(CoreError::Erased(_))
    ));
    p.close().await;

    // The old copy, opened with the current key store, still holds the
    // ciphertext but can no longer open it; other subjects are unaffected.
    let restored = Platform::open(DataDirs::with_keys(&backup, &env.dirs.keys), &env.unlock)
        .await
        .expect("open backup");
    let err = restored
        .profile("acme", "C2")
        .await
        .expect_err("erased in the backup too");
    assert!(matches!(err, CoreError::Erased(_)), "{err}");
    let other = restored
        .profile("acme", "C1")
        .await
        .expect("C1 still readable");
    assert_eq!(
        other.fields.get("name").map(String::as_str),
        Some("Amara Okafor")
    );
    restored.close().await;
    assert!(!contains(&sealed_copy, b"jonas.lindqvist@example.org"));

    // The destroyed key's bytes are gone from the key store file itself.
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", env.dirs.keystore().display());
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(bytes.len() < 10_000_000, "{path} unexpectedly large");
        }
    }
}

//! Creating and opening data directories, unlocking, tenants, key rotation.

use rapport_core::{CoreError, KeyringOptions, Platform, Unlock};
use rapport_vault::VaultError;
use secrecy::SecretString;

use crate::support::{all_files, import_base, Env};

#[tokio::test]
async fn init_refuses_an_existing_data_directory() {
    let env = Env::new();
    env.init().await.close().await;
    let err = Platform::init(
        env.dirs.clone(),
        &env.unlock,
        &KeyringOptions { scrypt_log_n: 10 },
    )
    .await
    .expect_err("second init");
    assert!(matches!(err, CoreError::AlreadyInitialised(_)), "{err}");
}

#[tokio::test]
async fn a_wrong_passphrase_is_a_clear_error_and_changes_nothing() {
    let env = Env::new();
    let good = Unlock::Passphrase(SecretString::from(
        "correct horse battery staple".to_owned(),
    ));
    let mut p = Platform::init(
        env.dirs.clone(),
        &good,
        &KeyringOptions { scrypt_log_n: 10 },
    )
    .await
    .expect("init");
    p.create_tenant("acme").await.expect("tenant");
    p.close().await;
    let before = all_files(&env.dirs.data);

    let bad = Unlock::Passphrase(SecretString::from("wrong".to_owned()));
    let err = Platform::open(env.dirs.clone(), &bad)
        .await
        .expect_err("wrong passphrase");
    assert!(
        matches!(err, CoreError::Vault(VaultError::WrongSecret { .. })),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("wrong passphrase"), "{msg}");
    assert!(!msg.contains('\n'), "one line: {msg}");
    assert_eq!(
        before,
        all_files(&env.dirs.data),
        "a failed unlock changed files"
    );

    // An identity that is not the keyring's is refused the same way.
    let other = env.tmp.path().join("other-identity.txt");
    rapport_vault::generate_identity_file(&other).expect("identity");
    let err = Platform::open(env.dirs.clone(), &Unlock::IdentityFile(other))
        .await
        .expect_err("wrong identity");
    assert!(
        matches!(err, CoreError::Vault(VaultError::WrongSecret { .. })),
        "{err:?}"
    );

    let p = Platform::open(env.dirs.clone(), &good)
        .await
        .expect("right passphrase");
    assert_eq!(p.tenants().await.expect("tenants").len(), 1);
    p.close().await;
}

#[tokio::test]
async fn a_missing_keyring_is_a_clear_error() {
    let env = Env::new();
    env.init().await.close().await;
    std::fs::remove_file(env.dirs.keyring()).expect("remove keyring");
    let err = Platform::open(env.dirs.clone(), &env.unlock)
        .await
        .expect_err("no keyring");
    let msg = err.to_string();
    assert!(
        matches!(err, CoreError::Vault(VaultError::KeyringMissing { .. })),
        "{err:?}"
    );
    assert!(msg.contains("keyring.age"), "{msg}");
}

#[tokio::test]
async fn opening_nothing_says_to_run_init() {
    let env = Env::new();
    let err = Platform::open(env.dirs.clone(), &env.unlock)
        .await
        .expect_err("nothing there");
    assert!(err.to_string().contains("rapport init"), "{err}");
}

#[tokio::test]
async fn tenants_are_isolated() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("acme");
    p.create_tenant("globex").await.expect("globex");
    import_base(&p, "acme").await;
    let globex = p.tenant_info("globex").await.expect("globex");
    assert_eq!(
        (globex.customers, globex.transactions, globex.consents),
        (0, 0, 0)
    );
    let acme = p.tenant_info("acme").await.expect("acme");
    assert_eq!(
        (
            acme.customers,
            acme.suppliers,
            acme.transactions,
            acme.consents
        ),
        (3, 1, 3, 1)
    );
    // The same external id means a different stakeholder in another tenant.
    let err = p.profile("globex", "C1").await.expect_err("not in globex");
    assert!(err.to_string().contains("C1"), "{err}");
    // A duplicate tenant name is refused.
    assert!(p.create_tenant("acme").await.is_err());
    assert!(p.create_tenant("bad name!").await.is_err());
    p.close().await;
}

#[tokio::test]
async fn key_rotation_rewraps_data_keys_without_touching_fields() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    import_base(&p, "acme").await;
    let before = p.content_dump().await.expect("dump");
    let r = p.rotate_tenant_key("acme").await.expect("rotate");
    assert_eq!(r.new_version, 2);
    assert_eq!(r.rewrapped_keys, 4, "three customers and one supplier");
    // Sealed fields are untouched, yet still open under the new key version.
    assert_eq!(before, p.content_dump().await.expect("dump"));
    let profile = p.profile("acme", "C3").await.expect("profile");
    assert_eq!(
        profile.fields.get("name").map(String::as_str),
        Some("Maria Gonzalez")
    );
    p.close().await;
    // And after reopening from disk.
    let p = env.open().await;
    let profile = p.profile("acme", "S1").await.expect("profile");
    assert_eq!(
        profile.fields.get("contact_name").map(String::as_str),
        Some("Priya Raman")
    );
    p.close().await;
}

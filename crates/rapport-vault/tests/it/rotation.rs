//! KEK rotation: old wrapped keys keep opening, rewrap moves them to the new
//! version, retiring old versions makes un-rewrapped keys unreadable, and
//! sealed fields never need re-encryption.

use rapport_vault::{Keyring, VaultError};

use crate::support::{
    decrypt_keyring, passphrase, tenant_secrets, Env, PASSPHRASE, SUBJECT_1, SUBJECT_2, TENANT_A,
};

#[test]
fn rotate_rewrap_retire() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add");
    let v1 = kr.tenant(TENANT_A).expect("v1 keys");
    assert_eq!(v1.current_version(), 1);
    let (key, wrapped_v1) = v1.new_subject_key(SUBJECT_1).expect("key");
    let sealed = key.seal("email", b"ada@example.com");
    let (_, other_v1) = v1.new_subject_key(SUBJECT_2).expect("other key");

    let version = kr.rotate_tenant(TENANT_A).expect("rotate");
    assert_eq!(version, 2);
    let v2 = kr.tenant(TENANT_A).expect("v2 keys");
    assert_eq!(v2.current_version(), 2);
    // An old snapshot is unaffected by the rotation.
    assert_eq!(v1.current_version(), 1);

    // Wrapped under v1, still unwraps after rotation.
    let k = v2
        .unwrap_key(SUBJECT_1, &wrapped_v1)
        .expect("v1 key after rotation");
    assert_eq!(
        &k.open("email", &sealed).expect("open")[..],
        b"ada@example.com"
    );

    // New keys use v2; rewrap moves old keys to v2.
    let (_, fresh) = v2.new_subject_key(SUBJECT_2).expect("fresh");
    assert_eq!(fresh.kek_version, 2);
    let wrapped_v2 = v2.rewrap(SUBJECT_1, &wrapped_v1).expect("rewrap");
    assert_eq!(wrapped_v2.kek_version, 2);
    assert_ne!(wrapped_v2.bytes, wrapped_v1.bytes);
    assert!(
        v2.rewrap(SUBJECT_2, &wrapped_v1).is_err(),
        "rewrap checks the subject"
    );

    // Survives reopening.
    drop((v1, v2, kr));
    let mut kr = Keyring::open(&env.keyring_path(), &passphrase(PASSPHRASE)).expect("reopen");
    let secrets = tenant_secrets(&decrypt_keyring(&env.keyring_path(), PASSPHRASE), TENANT_A);
    assert_eq!(secrets.keks.len(), 2);

    kr.retire_versions_before(TENANT_A, 2).expect("retire");
    let tk = kr.tenant(TENANT_A).expect("keys");
    let err = tk
        .unwrap_key(SUBJECT_1, &wrapped_v1)
        .expect_err("v1 retired");
    assert!(
        matches!(err, VaultError::KeyUnwrap { kek_version: 1, .. }),
        "{err:?}"
    );
    assert!(
        tk.unwrap_key(SUBJECT_2, &other_v1).is_err(),
        "forgotten key is shredded"
    );
    let k = tk
        .unwrap_key(SUBJECT_1, &wrapped_v2)
        .expect("rewrapped key");
    // The field sealed before rotation opens with the re-wrapped key: fields
    // are never re-encrypted.
    assert_eq!(
        &k.open("email", &sealed).expect("open")[..],
        b"ada@example.com"
    );

    // Retirement is persisted: v1 is gone from the file.
    drop((tk, kr));
    let secrets = tenant_secrets(&decrypt_keyring(&env.keyring_path(), PASSPHRASE), TENANT_A);
    assert_eq!(
        secrets.keks.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        vec![2]
    );
    let kr = Keyring::open(&env.keyring_path(), &passphrase(PASSPHRASE)).expect("reopen");
    assert!(kr
        .tenant(TENANT_A)
        .expect("keys")
        .unwrap_key(SUBJECT_1, &wrapped_v1)
        .is_err());
}

#[test]
fn the_current_version_cannot_be_retired() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add");
    kr.rotate_tenant(TENANT_A).expect("rotate");
    let err = kr
        .retire_versions_before(TENANT_A, 3)
        .expect_err("beyond current");
    assert!(
        matches!(
            err,
            VaultError::RetireCurrent {
                version: 3,
                current: 2,
                ..
            }
        ),
        "{err:?}"
    );
    // Retiring nothing is fine and idempotent.
    kr.retire_versions_before(TENANT_A, 1).expect("noop");
    kr.retire_versions_before(TENANT_A, 2).expect("retire");
    kr.retire_versions_before(TENANT_A, 2).expect("again");
    assert_eq!(kr.rotate_tenant(TENANT_A).expect("rotate"), 3);
}

//! Nothing secret in `Debug`, error messages or the keyring file on disk.

use rapport_vault::{Keyring, Unlock, VaultError};

use crate::support::{
    assert_no_secret, debug_bytes, decrypt_keyring, passphrase, tenant_secrets, unwrap_manually,
    Env, PASSPHRASE, SUBJECT_1, TENANT_A, TENANT_B,
};

#[test]
fn debug_and_errors_never_show_keys_or_plaintext() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add");
    kr.rotate_tenant(TENANT_A).expect("rotate");
    let tk = kr.tenant(TENANT_A).expect("tenant");
    let (key, wrapped) = tk.new_subject_key(SUBJECT_1).expect("key");
    let plaintext = "grace.hopper@example.com";
    let sealed = key.seal("email", plaintext.as_bytes());

    let secrets = tenant_secrets(&decrypt_keyring(&env.keyring_path(), PASSPHRASE), TENANT_A);
    let data_key = unwrap_manually(&secrets.kek(2), TENANT_A, SUBJECT_1, &wrapped);
    let mut forbidden = secrets.all_hex();
    forbidden.push(hex::encode(data_key));
    forbidden.push(plaintext.to_owned());
    forbidden.push(PASSPHRASE.to_owned());
    let mut raw = vec![debug_bytes(&data_key)];
    for (v, _) in &secrets.keks {
        raw.push(debug_bytes(&secrets.kek(*v)));
    }
    forbidden.extend(raw);

    let opened = key.open("email", &sealed).expect("open");
    let wrong_field = key.open("phone", &sealed).expect_err("wrong field");
    let unwrap_err = tk
        .unwrap_key(rapport_vault::SubjectId([9; 16]), &wrapped)
        .expect_err("wrong subject");
    let wrong_pass = Keyring::open(&env.keyring_path(), &passphrase("nope")).expect_err("wrong");
    let unknown = kr.tenant(TENANT_B).expect_err("unknown");

    let shown = [
        ("SubjectKey", format!("{key:?}")),
        ("SubjectKey alt", format!("{key:#?}")),
        ("TenantKeys", format!("{tk:?}")),
        ("Keyring", format!("{kr:?}")),
        ("Keyring alt", format!("{kr:#?}")),
        ("Unlock", format!("{:?}", passphrase(PASSPHRASE))),
        ("open error", format!("{wrong_field} {wrong_field:?}")),
        ("unwrap error", format!("{unwrap_err} {unwrap_err:?}")),
        ("wrong passphrase", format!("{wrong_pass} {wrong_pass:?}")),
        ("unknown tenant", format!("{unknown} {unknown:?}")),
    ];
    for (what, text) in &shown {
        assert_no_secret(what, text, &forbidden);
    }
    // Debug does show what helps debugging.
    assert!(shown[0].1.contains(&SUBJECT_1.to_hex()), "{}", shown[0].1);
    assert!(shown[2].1.contains(&TENANT_A.to_hex()), "{}", shown[2].1);
    assert!(matches!(wrong_field, VaultError::Open { .. }));
    assert!(wrong_field.to_string().contains("`phone`"));
    // The opened plaintext is right; only it holds the value.
    assert_eq!(&opened[..], plaintext.as_bytes());
}

#[test]
fn the_keyring_file_holds_no_key_bytes_in_the_clear() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add a");
    kr.add_tenant(TENANT_B).expect("add b");
    kr.rotate_tenant(TENANT_A).expect("rotate");
    drop(kr);

    let file = std::fs::read(env.keyring_path()).expect("read");
    assert!(file.starts_with(b"age-encryption.org/v1\n"), "an age file");
    let json = decrypt_keyring(&env.keyring_path(), PASSPHRASE);
    assert_eq!(json["format"], 1);
    let mut count = 0;
    for tenant in [TENANT_A, TENANT_B] {
        let secrets = tenant_secrets(&json, tenant);
        for (v, hex_key) in &secrets.keks {
            let key = secrets.kek(*v);
            assert!(!file.windows(32).any(|w| w == key), "raw KEK on disk");
            assert!(
                !file
                    .windows(64)
                    .any(|w| w.eq_ignore_ascii_case(hex_key.as_bytes())),
                "hex KEK on disk"
            );
            count += 1;
        }
        let mut mac = [0u8; 32];
        hex::decode_to_slice(&secrets.mac_key, &mut mac).expect("hex");
        assert!(!file.windows(32).any(|w| w == mac), "raw MAC key on disk");
        assert!(!file
            .windows(64)
            .any(|w| w.eq_ignore_ascii_case(secrets.mac_key.as_bytes())));
    }
    assert_eq!(count, 3);
    // Tenant ids are not in the clear either (the whole JSON is encrypted).
    assert!(!file.windows(32).any(|w| w == TENANT_A.to_hex().as_bytes()));
}

#[test]
fn identity_file_keyrings_are_encrypted_too() {
    let env = Env::new();
    let id = env.dir.path().join("identity.txt");
    rapport_vault::generate_identity_file(&id).expect("identity");
    let mut kr = Keyring::create(
        &env.keyring_path(),
        &Unlock::IdentityFile(id),
        &crate::support::opts(),
    )
    .expect("create");
    kr.add_tenant(TENANT_A).expect("add");
    let debug = format!("{kr:?}");
    drop(kr);
    let file = std::fs::read(env.keyring_path()).expect("read");
    assert!(file.starts_with(b"age-encryption.org/v1\n-> X25519 "));
    assert!(!file.windows(32).any(|w| w == TENANT_A.to_hex().as_bytes()));
    assert!(!debug.contains("AGE-SECRET-KEY"), "{debug}");
}

//! Field sealing: round trips, binding to field/subject/tenant, tampering,
//! the wire format, and fingerprints.

use rapport_vault::{SubjectId, VaultError};

use crate::support::{
    decrypt_keyring, open_manually, tenant_secrets, unwrap_manually, Env, PASSPHRASE, SUBJECT_1,
    SUBJECT_2, TENANT_A, TENANT_B,
};

#[test]
fn seal_and_open_round_trip() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add");
    let tk = kr.tenant(TENANT_A).expect("tenant");
    let (key, _) = tk.new_subject_key(SUBJECT_1).expect("key");
    assert_eq!(key.subject(), SUBJECT_1);
    for value in [
        &b""[..],
        b"a",
        b"ada@example.com",
        b"+44 20 7946 0958",
        &[0xffu8; 4096][..],
    ] {
        let sealed = key.seal("email", value);
        assert_eq!(sealed.len(), 1 + 12 + value.len() + 16);
        assert_eq!(&key.open("email", &sealed).expect("open")[..], value);
    }
}

#[test]
fn sealing_is_randomised_and_hides_the_plaintext() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add");
    let (key, _) = kr
        .tenant(TENANT_A)
        .expect("tenant")
        .new_subject_key(SUBJECT_1)
        .expect("key");
    let plaintext = b"ada.lovelace@example.com";
    let a = key.seal("email", plaintext);
    let b = key.seal("email", plaintext);
    assert_ne!(a, b, "fresh nonce per seal");
    for sealed in [&a, &b] {
        assert!(!sealed.windows(plaintext.len()).any(|w| w == plaintext));
        assert!(!sealed.windows(5).any(|w| w == b"ada.l"));
    }
}

#[test]
fn a_ciphertext_only_opens_in_its_own_field_subject_and_tenant() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add a");
    kr.add_tenant(TENANT_B).expect("add b");
    let ta = kr.tenant(TENANT_A).expect("a");
    let tb = kr.tenant(TENANT_B).expect("b");
    let (key_a1, wrapped_a1) = ta.new_subject_key(SUBJECT_1).expect("a1");
    let (key_a2, _) = ta.new_subject_key(SUBJECT_2).expect("a2");
    let (key_b1, _) = tb.new_subject_key(SUBJECT_1).expect("b1");

    let sealed = key_a1.seal("email", b"ada@example.com");
    assert!(key_a1.open("email", &sealed).is_ok());

    let err = key_a1.open("phone", &sealed).expect_err("other field");
    assert!(
        matches!(&err, VaultError::Open { field } if field == "phone"),
        "{err:?}"
    );
    // Length-prefixed field names: no confusion between prefixes.
    assert!(key_a1.open("emai", &sealed).is_err());
    assert!(key_a1.open("email\0", &sealed).is_err());
    assert!(key_a2.open("email", &sealed).is_err(), "other subject");
    assert!(
        key_b1.open("email", &sealed).is_err(),
        "same subject id, other tenant"
    );

    // The wrapped key itself is bound to tenant and subject.
    assert!(matches!(
        ta.unwrap_key(SUBJECT_2, &wrapped_a1),
        Err(VaultError::KeyUnwrap { .. })
    ));
    assert!(matches!(
        tb.unwrap_key(SUBJECT_1, &wrapped_a1),
        Err(VaultError::KeyUnwrap { .. })
    ));
    let unwrapped = ta.unwrap_key(SUBJECT_1, &wrapped_a1).expect("unwrap");
    assert_eq!(
        &unwrapped.open("email", &sealed).expect("open")[..],
        b"ada@example.com"
    );
}

#[test]
fn tampering_is_detected() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add");
    let tk = kr.tenant(TENANT_A).expect("tenant");
    let (key, wrapped) = tk.new_subject_key(SUBJECT_1).expect("key");
    let sealed = key.seal("name", b"Ada Lovelace");
    for i in 0..sealed.len() {
        let mut bad = sealed.clone();
        bad[i] ^= 0x01;
        assert!(key.open("name", &bad).is_err(), "flipped byte {i} accepted");
    }
    assert!(key.open("name", &sealed[..sealed.len() - 1]).is_err());
    assert!(key.open("name", &sealed[..10]).is_err());
    assert!(key.open("name", &[]).is_err());

    for i in 0..wrapped.bytes.len() {
        let mut bad = wrapped.clone();
        bad.bytes[i] ^= 0x80;
        assert!(
            tk.unwrap_key(SUBJECT_1, &bad).is_err(),
            "flipped wrapped byte {i} accepted"
        );
    }
    let mut other_version = wrapped.clone();
    other_version.kek_version = 2;
    assert!(matches!(
        tk.unwrap_key(SUBJECT_1, &other_version),
        Err(VaultError::KeyUnwrap { .. })
    ));
}

#[test]
fn the_wire_formats_match_their_documentation() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add");
    let tk = kr.tenant(TENANT_A).expect("tenant");
    let subject = SubjectId::random();
    let (key, wrapped) = tk.new_subject_key(subject).expect("key");
    assert_eq!(wrapped.kek_version, 1);
    let sealed = key.seal("phone", b"+1 555 0100");

    let secrets = tenant_secrets(&decrypt_keyring(&env.keyring_path(), PASSPHRASE), TENANT_A);
    let data_key = unwrap_manually(&secrets.kek(1), TENANT_A, subject, &wrapped);
    assert_eq!(
        open_manually(&data_key, TENANT_A, subject, "phone", &sealed),
        b"+1 555 0100"
    );
}

#[test]
fn fingerprints_are_deterministic_per_tenant_and_differ_across_tenants() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add a");
    kr.add_tenant(TENANT_B).expect("add b");
    let ta = kr.tenant(TENANT_A).expect("a");
    let tb = kr.tenant(TENANT_B).expect("b");
    let row = br#"{"external_id":"c-1","email":"ada@example.com"}"#;

    assert_eq!(
        ta.fingerprint("customers", row),
        ta.fingerprint("customers", row)
    );
    assert_eq!(
        ta.fingerprint("customers", row),
        ta.clone().fingerprint("customers", row)
    );
    assert_ne!(
        ta.fingerprint("customers", row),
        tb.fingerprint("customers", row)
    );
    assert_ne!(
        ta.fingerprint("customers", row),
        ta.fingerprint("suppliers", row)
    );
    assert_ne!(
        ta.fingerprint("customers", row),
        ta.fingerprint("customers", b"other")
    );
    // Domain and data cannot be traded against each other.
    assert_ne!(ta.fingerprint("ab", b"c"), ta.fingerprint("a", b"bc"));
    // Not a bare hash: contains no SHA-256 of the data.
    use sha2::Digest;
    let bare: [u8; 32] = sha2::Sha256::digest(row).into();
    assert_ne!(ta.fingerprint("customers", row), bare);

    // Stable across reopening (the MAC key is persisted).
    let fp = ta.fingerprint("customers", row);
    drop((ta, tb, kr));
    let kr =
        rapport_vault::Keyring::open(&env.keyring_path(), &crate::support::passphrase(PASSPHRASE))
            .expect("open");
    assert_eq!(
        kr.tenant(TENANT_A)
            .expect("a")
            .fingerprint("customers", row),
        fp
    );
}

#[test]
fn tenant_keys_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<rapport_vault::TenantKeys>();
    assert_send_sync::<rapport_vault::SubjectKey>();

    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add");
    let tk = kr.tenant(TENANT_A).expect("tenant");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let tk = tk.clone();
            std::thread::spawn(move || {
                let s = SubjectId::random();
                let (key, wrapped) = tk.new_subject_key(s).expect("key");
                let sealed = key.seal("f", b"v");
                (s, wrapped, sealed)
            })
        })
        .collect();
    for h in handles {
        let (s, wrapped, sealed) = h.join().expect("thread");
        let key = tk.unwrap_key(s, &wrapped).expect("unwrap");
        assert_eq!(&key.open("f", &sealed).expect("open")[..], b"v");
    }
}

//! Keyring lifecycle: create, open, unlock failures, persistence.

use rapport_vault::{generate_identity_file, Keyring, KeyringOptions, Unlock, VaultError};

use crate::support::{opts, passphrase, Env, PASSPHRASE, TENANT_A, TENANT_B};

#[test]
fn create_and_open_with_a_passphrase() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add tenant");
    let fp = kr
        .tenant(TENANT_A)
        .expect("tenant")
        .fingerprint("rows", b"x");
    drop(kr);

    let kr = Keyring::open(&env.keyring_path(), &passphrase(PASSPHRASE)).expect("open");
    assert!(kr.has_tenant(TENANT_A));
    assert!(!kr.has_tenant(TENANT_B));
    assert_eq!(kr.tenants(), vec![TENANT_A]);
    let tk = kr.tenant(TENANT_A).expect("tenant");
    assert_eq!(tk.current_version(), 1);
    assert_eq!(
        tk.fingerprint("rows", b"x"),
        fp,
        "same keys after reopening"
    );
}

#[test]
fn create_and_open_with_an_identity_file() {
    let env = Env::new();
    let id_path = env.dir.path().join("id").join("identity.txt");
    let recipient = generate_identity_file(&id_path).expect("identity");
    assert!(recipient.starts_with("age1"), "{recipient}");
    let text = std::fs::read_to_string(&id_path).expect("read identity");
    assert!(
        text.contains(&format!("# public key: {recipient}")),
        "{text}"
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("AGE-SECRET-KEY-1"))
            .count(),
        1,
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&id_path)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let unlock = Unlock::IdentityFile(id_path.clone());
    let mut kr = Keyring::create(&env.keyring_path(), &unlock, &opts()).expect("create");
    kr.add_tenant(TENANT_A).expect("add tenant");
    let fp = kr.tenant(TENANT_A).expect("tenant").fingerprint("d", b"x");
    drop(kr);

    let kr = Keyring::open(&env.keyring_path(), &unlock).expect("open");
    assert_eq!(
        kr.tenant(TENANT_A).expect("tenant").fingerprint("d", b"x"),
        fp
    );

    // The keyring is a plain age file: the age crate opens it with the identity.
    let file = std::fs::read(env.keyring_path()).expect("read");
    let identities = age::IdentityFile::from_file(id_path.display().to_string())
        .expect("parse")
        .into_identities()
        .expect("identities");
    let decryptor = age::Decryptor::new_buffered(&file[..]).expect("age");
    assert!(!decryptor.is_scrypt());
    assert!(decryptor
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .is_ok());
}

#[test]
fn generate_identity_file_refuses_to_overwrite() {
    let env = Env::new();
    let path = env.dir.path().join("identity.txt");
    generate_identity_file(&path).expect("first");
    let before = std::fs::read(&path).expect("read");
    let err = generate_identity_file(&path).expect_err("second");
    assert!(matches!(err, VaultError::IdentityFile { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).expect("read"), before);
}

#[test]
fn a_wrong_passphrase_is_wrong_secret_and_leaves_the_file_alone() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add");
    drop(kr);
    let before = std::fs::read(env.keyring_path()).expect("read");

    let err = Keyring::open(&env.keyring_path(), &passphrase("Tr0ub4dor&3")).expect_err("wrong");
    assert!(matches!(err, VaultError::WrongSecret { .. }), "{err:?}");
    let msg = err.to_string();
    assert_eq!(
        msg,
        format!(
            "wrong passphrase or identity for keyring {}",
            env.keyring_path().display()
        )
    );
    assert!(!msg.contains('\n'));
    assert!(!format!("{err:?}").contains("Tr0ub4dor"));
    assert_eq!(
        std::fs::read(env.keyring_path()).expect("read"),
        before,
        "file changed"
    );

    // The right passphrase still works afterwards.
    assert!(Keyring::open(&env.keyring_path(), &passphrase(PASSPHRASE)).is_ok());
}

#[test]
fn a_mismatched_identity_or_unlock_kind_is_wrong_secret() {
    let env = Env::new();
    let mine = env.dir.path().join("mine.txt");
    let other = env.dir.path().join("other.txt");
    generate_identity_file(&mine).expect("mine");
    generate_identity_file(&other).expect("other");
    let path = env.keyring_path();
    Keyring::create(&path, &Unlock::IdentityFile(mine.clone()), &opts()).expect("create");
    let before = std::fs::read(&path).expect("read");

    let err = Keyring::open(&path, &Unlock::IdentityFile(other)).expect_err("other identity");
    assert!(matches!(err, VaultError::WrongSecret { .. }), "{err:?}");
    let err =
        Keyring::open(&path, &passphrase(PASSPHRASE)).expect_err("passphrase for identity keyring");
    assert!(matches!(err, VaultError::WrongSecret { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).expect("read"), before);

    // And the reverse: an identity for a passphrase keyring.
    let env2 = Env::new();
    env2.create();
    let err = Keyring::open(&env2.keyring_path(), &Unlock::IdentityFile(mine))
        .expect_err("identity for passphrase");
    assert!(matches!(err, VaultError::WrongSecret { .. }), "{err:?}");
}

#[test]
fn a_missing_keyring_is_keyring_missing() {
    let env = Env::new();
    let err = Keyring::open(&env.keyring_path(), &passphrase(PASSPHRASE)).expect_err("missing");
    assert!(matches!(err, VaultError::KeyringMissing { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "keyring not found at {} (run `rapport init` first)",
            env.keyring_path().display()
        )
    );
}

#[test]
fn create_refuses_an_existing_keyring() {
    let env = Env::new();
    env.create();
    let before = std::fs::read(env.keyring_path()).expect("read");
    let err =
        Keyring::create(&env.keyring_path(), &passphrase("another"), &opts()).expect_err("exists");
    assert!(matches!(err, VaultError::KeyringExists { .. }), "{err:?}");
    assert_eq!(std::fs::read(env.keyring_path()).expect("read"), before);
}

#[test]
fn the_keyring_file_is_private_and_no_temporary_files_remain() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add");
    kr.rotate_tenant(TENANT_A).expect("rotate");
    let dir = env.keyring_path().parent().expect("dir").to_path_buf();
    let names: Vec<_> = std::fs::read_dir(&dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["keyring.age".to_owned()]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.keyring_path())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_damaged_keyring_is_keyring_corrupt() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add");
    drop(kr);
    let good = std::fs::read(env.keyring_path()).expect("read");

    // Truncated payload: the header still unlocks, the payload fails authentication.
    std::fs::write(env.keyring_path(), &good[..good.len() - 10]).expect("truncate");
    let err = Keyring::open(&env.keyring_path(), &passphrase(PASSPHRASE)).expect_err("truncated");
    assert!(matches!(err, VaultError::KeyringCorrupt { .. }), "{err:?}");

    // Flipped payload byte.
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    std::fs::write(env.keyring_path(), &flipped).expect("flip");
    let err = Keyring::open(&env.keyring_path(), &passphrase(PASSPHRASE)).expect_err("flipped");
    assert!(matches!(err, VaultError::KeyringCorrupt { .. }), "{err:?}");

    // Not an age file at all.
    std::fs::write(env.keyring_path(), b"hello").expect("garbage");
    let err = Keyring::open(&env.keyring_path(), &passphrase(PASSPHRASE)).expect_err("garbage");
    assert!(matches!(err, VaultError::KeyringCorrupt { .. }), "{err:?}");
    assert!(!err.to_string().contains('\n'), "{err}");
}

#[test]
fn a_bad_identity_file_names_the_line_not_its_contents() {
    let env = Env::new();
    let path = env.dir.path().join("bad.txt");
    std::fs::write(&path, "# comment\n\nnot-a-key-SECRETSTUFF\n").expect("write");
    let err = Keyring::create(
        &env.keyring_path(),
        &Unlock::IdentityFile(path.clone()),
        &opts(),
    )
    .expect_err("bad identity");
    assert!(matches!(err, VaultError::IdentityFile { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("line 3"), "{msg}");
    assert!(!msg.contains("SECRETSTUFF"), "{msg}");
    assert!(!env.keyring_path().exists());

    let missing = env.dir.path().join("missing.txt");
    let err = Keyring::create(&env.keyring_path(), &Unlock::IdentityFile(missing), &opts())
        .expect_err("missing identity");
    assert!(matches!(err, VaultError::IdentityFile { .. }), "{err:?}");

    std::fs::write(&path, "# only comments\n").expect("write");
    let err = Keyring::create(&env.keyring_path(), &Unlock::IdentityFile(path), &opts())
        .expect_err("empty identity");
    assert!(matches!(err, VaultError::IdentityFile { .. }), "{err:?}");
}

#[test]
fn change_unlock_moves_the_keyring_to_a_new_secret_keeping_the_keys() {
    let env = Env::new();
    let path = env.keyring_path();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add");
    let fp = kr.tenant(TENANT_A).expect("tenant").fingerprint("d", b"x");

    let id = env.dir.path().join("identity.txt");
    generate_identity_file(&id).expect("identity");
    kr.change_unlock(&Unlock::IdentityFile(id.clone()), &opts())
        .expect("change to identity");
    // Later writes go to the new secret too.
    kr.add_tenant(TENANT_B).expect("add b");
    drop(kr);

    let err = Keyring::open(&path, &passphrase(PASSPHRASE)).expect_err("old passphrase");
    assert!(matches!(err, VaultError::WrongSecret { .. }), "{err:?}");
    let mut kr = Keyring::open(&path, &Unlock::IdentityFile(id)).expect("open with identity");
    assert_eq!(kr.tenants(), vec![TENANT_A, TENANT_B]);
    assert_eq!(
        kr.tenant(TENANT_A).expect("tenant").fingerprint("d", b"x"),
        fp
    );

    kr.change_unlock(&passphrase("new passphrase"), &opts())
        .expect("back to a passphrase");
    drop(kr);
    let kr = Keyring::open(&path, &passphrase("new passphrase")).expect("open");
    assert_eq!(
        kr.tenant(TENANT_A).expect("tenant").fingerprint("d", b"x"),
        fp
    );
}

#[test]
fn a_reopened_passphrase_keyring_keeps_its_work_factor() {
    let env = Env::new();
    env.create();
    let mut kr = Keyring::open(&env.keyring_path(), &passphrase(PASSPHRASE)).expect("open");
    kr.add_tenant(TENANT_A).expect("add");
    let file = std::fs::read(env.keyring_path()).expect("read");
    let header = String::from_utf8_lossy(&file[..200.min(file.len())]).into_owned();
    let stanza = header
        .lines()
        .find(|l| l.starts_with("-> scrypt "))
        .expect("scrypt stanza");
    assert!(stanza.ends_with(" 10"), "{stanza}");
}

#[test]
fn invalid_options_and_empty_passphrases_are_refused() {
    let env = Env::new();
    for log_n in [0, 23] {
        let err = Keyring::create(
            &env.keyring_path(),
            &passphrase(PASSPHRASE),
            &KeyringOptions {
                scrypt_log_n: log_n,
            },
        )
        .expect_err("bad log_n");
        assert!(matches!(err, VaultError::InvalidOptions { .. }), "{err:?}");
    }
    let err = Keyring::create(&env.keyring_path(), &passphrase(""), &opts()).expect_err("empty");
    assert!(matches!(err, VaultError::EmptyPassphrase), "{err:?}");
    assert!(!env.keyring_path().exists());
    assert_eq!(KeyringOptions::default().scrypt_log_n, 16);
}

#[test]
fn tenants_are_added_once_and_unknown_tenants_are_errors() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add");
    let fp = kr.tenant(TENANT_A).expect("tenant").fingerprint("d", b"x");
    let err = kr.add_tenant(TENANT_A).expect_err("twice");
    assert!(matches!(err, VaultError::TenantExists { .. }), "{err:?}");
    assert_eq!(
        kr.tenant(TENANT_A).expect("tenant").fingerprint("d", b"x"),
        fp,
        "keys kept"
    );
    let err = kr.tenant(TENANT_B).expect_err("unknown");
    assert!(
        matches!(err, VaultError::UnknownTenant { tenant } if tenant == TENANT_B),
        "{err:?}"
    );
    assert!(matches!(
        kr.rotate_tenant(TENANT_B),
        Err(VaultError::UnknownTenant { .. })
    ));
}

#[test]
fn a_keyring_replaced_by_another_process_is_not_overwritten() {
    let env = Env::new();
    env.create();
    let unlock = passphrase(PASSPHRASE);
    let mut first = Keyring::open(&env.keyring_path(), &unlock).expect("first");
    let mut second = Keyring::open(&env.keyring_path(), &unlock).expect("second");
    first.add_tenant(TENANT_A).expect("first writes");
    let err = second.add_tenant(TENANT_B).expect_err("stale writer");
    assert!(matches!(err, VaultError::KeyringChanged { .. }), "{err:?}");
    assert!(
        !second.has_tenant(TENANT_B),
        "failed write leaves memory unchanged"
    );

    let kr = Keyring::open(&env.keyring_path(), &unlock).expect("reopen");
    assert_eq!(
        kr.tenants(),
        vec![TENANT_A],
        "first writer's tenant survived"
    );
}

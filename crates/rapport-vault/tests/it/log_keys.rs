//! Audit log signing keys: derived, stable across reopening and key
//! rotation, distinct per tenant and for the platform, and their signatures
//! verify under the public key with a plain Ed25519 verifier.

use ed25519_dalek::{Signature, VerifyingKey};
use rapport_vault::Keyring;

use crate::support::{decrypt_keyring, passphrase, Env, PASSPHRASE, TENANT_A, TENANT_B};

#[test]
fn log_keys_are_stable_distinct_and_sign() {
    let env = Env::new();
    let mut kr = env.create();
    kr.add_tenant(TENANT_A).expect("add a");
    kr.add_tenant(TENANT_B).expect("add b");
    let a = kr.tenant(TENANT_A).expect("a").log_signer();
    let b = kr.tenant(TENANT_B).expect("b").log_signer();
    let platform = kr.platform_log_signer().expect("platform signer");
    assert_ne!(a.public_key(), b.public_key());
    assert_ne!(a.public_key(), platform.public_key());

    let message = b"rapport audit receipt";
    let signature = a.sign(message);
    let vk = VerifyingKey::from_bytes(&a.public_key()).expect("public key");
    vk.verify_strict(message, &Signature::from_bytes(&signature))
        .expect("signature verifies");
    assert!(vk
        .verify_strict(b"another message", &Signature::from_bytes(&signature))
        .is_err());

    // The same keys after reopening the keyring and rotating the KEK.
    drop(kr);
    let mut kr = Keyring::open(&env.keyring_path(), &passphrase(PASSPHRASE)).expect("reopen");
    kr.rotate_tenant(TENANT_A).expect("rotate");
    assert_eq!(
        kr.tenant(TENANT_A).expect("a").log_signer().public_key(),
        a.public_key()
    );
    assert_eq!(
        kr.platform_log_signer().expect("platform").public_key(),
        platform.public_key()
    );

    // Neither the key nor its seed is stored: the keyring file holds the
    // same fields as before, and `Debug` shows only the key id.
    let json = decrypt_keyring(&env.keyring_path(), PASSPHRASE);
    let text = json.to_string();
    assert!(!text.contains("log"), "no log key is stored: {text}");
    let shown = format!("{a:?}");
    assert_eq!(
        shown,
        format!("LogSigner {{ key_id: {:?}, .. }}", a.key_id())
    );
}

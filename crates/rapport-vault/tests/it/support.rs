//! Shared fixtures, and an independent reader of the keyring file used to
//! check what is (and is not) on disk and in `Debug` output.

use std::io::Read;
use std::iter;
use std::path::{Path, PathBuf};

use aes_gcm_siv::aead::{Aead, KeyInit, Payload};
use aes_gcm_siv::{Aes256GcmSiv, Nonce};
use rapport_vault::{Keyring, KeyringOptions, SubjectId, TenantId, Unlock, WrappedKey};
use secrecy::SecretString;

pub const PASSPHRASE: &str = "correct horse battery staple";

/// Cheap scrypt so the suite stays fast.
pub fn opts() -> KeyringOptions {
    KeyringOptions { scrypt_log_n: 10 }
}

pub fn passphrase(p: &str) -> Unlock {
    Unlock::Passphrase(SecretString::from(p.to_owned()))
}

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn keyring_path(&self) -> PathBuf {
        self.dir.path().join("keys").join("keyring.age")
    }

    pub fn create(&self) -> Keyring {
        Keyring::create(&self.keyring_path(), &passphrase(PASSPHRASE), &opts())
            .expect("create keyring")
    }
}

pub const TENANT_A: TenantId = TenantId([0xa1; 16]);
pub const TENANT_B: TenantId = TenantId([0xb2; 16]);
pub const SUBJECT_1: SubjectId = SubjectId([0x11; 16]);
pub const SUBJECT_2: SubjectId = SubjectId([0x22; 16]);

/// Decrypts a passphrase keyring with the `age` crate directly (not through
/// the vault) and returns its JSON.
pub fn decrypt_keyring(path: &Path, pass: &str) -> serde_json::Value {
    let file = std::fs::read(path).expect("read keyring");
    let decryptor = age::Decryptor::new_buffered(&file[..]).expect("age file");
    let identity = age::scrypt::Identity::new(SecretString::from(pass.to_owned()));
    let mut reader = decryptor
        .decrypt(iter::once(&identity as &dyn age::Identity))
        .expect("decrypt");
    let mut json = Vec::new();
    reader.read_to_end(&mut json).expect("read");
    serde_json::from_slice(&json).expect("json")
}

/// Every KEK and MAC key (hex) of a tenant, as stored in the keyring.
pub struct TenantSecrets {
    pub keks: Vec<(u32, String)>,
    pub mac_key: String,
}

pub fn tenant_secrets(json: &serde_json::Value, tenant: TenantId) -> TenantSecrets {
    let t = &json["tenants"][tenant.to_hex()];
    let keks = t["keks"]
        .as_object()
        .expect("keks")
        .iter()
        .map(|(v, k)| {
            (
                v.parse().expect("version"),
                k.as_str().expect("hex").to_owned(),
            )
        })
        .collect();
    TenantSecrets {
        keks,
        mac_key: t["mac_key"].as_str().expect("mac").to_owned(),
    }
}

impl TenantSecrets {
    pub fn all_hex(&self) -> Vec<String> {
        let mut v: Vec<String> = self.keks.iter().map(|(_, k)| k.clone()).collect();
        v.push(self.mac_key.clone());
        v
    }

    pub fn kek(&self, version: u32) -> [u8; 32] {
        let hex_key = &self
            .keks
            .iter()
            .find(|(v, _)| *v == version)
            .expect("kek version")
            .1;
        let mut key = [0u8; 32];
        hex::decode_to_slice(hex_key, &mut key).expect("hex");
        key
    }
}

/// Unwraps a data key following the documented wire format, independently of
/// the vault's code: this pins the format stored in databases and backups.
pub fn unwrap_manually(
    kek: &[u8; 32],
    tenant: TenantId,
    subject: SubjectId,
    wrapped: &WrappedKey,
) -> [u8; 32] {
    assert_eq!(wrapped.bytes.len(), 61);
    assert_eq!(wrapped.bytes[0], 1, "format version byte");
    let mut ad = b"rapport-vault/wrap/v1\0".to_vec();
    ad.extend_from_slice(&tenant.0);
    ad.extend_from_slice(&subject.0);
    ad.extend_from_slice(&wrapped.kek_version.to_be_bytes());
    let cipher = Aes256GcmSiv::new(kek.into());
    let key = cipher
        .decrypt(
            Nonce::from_slice(&wrapped.bytes[1..13]),
            Payload {
                msg: &wrapped.bytes[13..],
                aad: &ad,
            },
        )
        .expect("manual unwrap");
    key.try_into().expect("32 bytes")
}

/// Opens a sealed field following the documented wire format.
pub fn open_manually(
    key: &[u8; 32],
    tenant: TenantId,
    subject: SubjectId,
    field: &str,
    sealed: &[u8],
) -> Vec<u8> {
    assert_eq!(sealed[0], 1, "format version byte");
    let mut ad = b"rapport-vault/field/v1\0".to_vec();
    ad.extend_from_slice(&tenant.0);
    ad.extend_from_slice(&subject.0);
    ad.extend_from_slice(&(field.len() as u64).to_be_bytes());
    ad.extend_from_slice(field.as_bytes());
    Aes256GcmSiv::new(key.into())
        .decrypt(
            Nonce::from_slice(&sealed[1..13]),
            Payload {
                msg: &sealed[13..],
                aad: &ad,
            },
        )
        .expect("manual open")
}

/// Asserts that `text` contains none of `secrets`, in either hex case.
pub fn assert_no_secret(what: &str, text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(
            !text.to_lowercase().contains(&s.to_lowercase()),
            "{what} leaks a secret: {text}"
        );
    }
}

/// Debug-formats raw bytes as Rust would for a `[u8]` (e.g. `[1, 2, 3]`),
/// to catch a derived `Debug` on a key array.
pub fn debug_bytes(bytes: &[u8]) -> String {
    format!("{bytes:?}").trim_matches(['[', ']']).to_owned()
}

//! The keyring: every tenant's KEKs and MAC key, in one age-encrypted file.
//!
//! On disk the keyring is age-encrypted JSON:
//!
//! ```text
//! { "format": 1,
//!   "tenants": { "<tenant id hex>": { "current_version": 2,
//!                                     "keks": { "1": "<64 hex>", "2": "<64 hex>" },
//!                                     "mac_key": "<64 hex>" } } }
//! ```
//!
//! encrypted either to a passphrase (age scrypt recipient, work factor from
//! [`KeyringOptions`]) or to the X25519 recipient(s) of an age identity file.
//! Every mutation re-encrypts the whole file and replaces it atomically; the
//! in-memory state only changes once the new file is safely on disk.
//!
//! Plaintext JSON only ever exists in zeroize-on-drop buffers, sized up front
//! so that no reallocation leaves an unwiped copy behind.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::iter;
use std::path::{Path, PathBuf};

use age::{scrypt, x25519, Decryptor, Encryptor};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::subject::KEY_LEN;
use crate::{identity, persist, rng, TenantId, TenantKeys, VaultError};

/// The keyring JSON format written by this version.
const FORMAT: u32 = 1;
/// Highest scrypt work factor accepted, on create and on open. 2^22 needs
/// 4 GiB of memory; anything above is a mistake or a denial-of-service file.
const MAX_SCRYPT_LOG_N: u8 = 22;

/// How to unlock (or protect) a keyring.
#[derive(Clone, Debug)]
pub enum Unlock {
    /// A human-chosen passphrase (age scrypt). `Debug` is redacted.
    Passphrase(SecretString),
    /// An age identity file in `age-keygen` format.
    IdentityFile(PathBuf),
}

/// Options for protecting a keyring with a passphrase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyringOptions {
    /// scrypt work factor, log2(N). 16 by default (age's interactive cost,
    /// ~64 MiB); accepted range 1..=22. Tests use ~10 to stay fast.
    pub scrypt_log_n: u8,
}

impl Default for KeyringOptions {
    fn default() -> Self {
        Self { scrypt_log_n: 16 }
    }
}

impl KeyringOptions {
    fn validate(&self) -> Result<(), VaultError> {
        if (1..=MAX_SCRYPT_LOG_N).contains(&self.scrypt_log_n) {
            Ok(())
        } else {
            Err(VaultError::InvalidOptions {
                reason: format!(
                    "scrypt_log_n must be between 1 and {MAX_SCRYPT_LOG_N}, got {}",
                    self.scrypt_log_n
                ),
            })
        }
    }
}

/// The decrypted keyring. Secrets are zeroized when it is dropped.
///
/// `Debug` shows the path, how it is protected and which tenants and KEK
/// versions it holds, never key bytes.
pub struct Keyring {
    path: PathBuf,
    protection: Protection,
    data: KeyringData,
    /// SHA-256 of the file as last read or written, to notice another
    /// process replacing it before we overwrite its changes.
    disk_digest: [u8; 32],
}

/// What the keyring file is encrypted to; needed to re-encrypt it on change.
#[derive(Clone)]
enum Protection {
    Passphrase {
        passphrase: SecretString,
        log_n: u8,
    },
    Identity {
        path: PathBuf,
        recipients: Vec<x25519::Recipient>,
    },
}

impl Protection {
    fn new(unlock: &Unlock, opts: &KeyringOptions) -> Result<Self, VaultError> {
        match unlock {
            Unlock::Passphrase(p) => {
                // The work factor only matters for passphrases.
                opts.validate()?;
                if p.expose_secret().is_empty() {
                    return Err(VaultError::EmptyPassphrase);
                }
                Ok(Self::Passphrase {
                    passphrase: p.clone(),
                    log_n: opts.scrypt_log_n,
                })
            }
            Unlock::IdentityFile(path) => Ok(Self::from_identities(path, &identity::load(path)?)),
        }
    }

    fn from_identities(path: &Path, identities: &[x25519::Identity]) -> Self {
        Self::Identity {
            path: path.to_path_buf(),
            recipients: identities.iter().map(x25519::Identity::to_public).collect(),
        }
    }

    fn encrypt(&self, keyring: &Path, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let encrypt_err = |reason: String| VaultError::Encrypt {
            path: keyring.to_path_buf(),
            reason,
        };
        let encryptor = match self {
            Self::Passphrase { passphrase, log_n } => {
                let mut recipient = scrypt::Recipient::new(passphrase.clone());
                recipient.set_work_factor(*log_n);
                Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient))
            }
            Self::Identity { recipients, .. } => {
                Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            }
        }
        .map_err(|e| encrypt_err(e.to_string()))?;
        let mut out = Vec::with_capacity(plaintext.len() + 1024);
        let write = |out: &mut Vec<u8>| -> io::Result<()> {
            let mut writer = encryptor.wrap_output(out)?;
            writer.write_all(plaintext)?;
            writer.finish()?;
            Ok(())
        };
        write(&mut out).map_err(|e| encrypt_err(e.to_string()))?;
        Ok(out)
    }
}

/// The keyring's contents; exactly what is serialised into the file.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyringData {
    format: u32,
    #[serde(with = "tenant_map")]
    tenants: BTreeMap<TenantId, TenantState>,
    /// Secret of the data directory itself (not of a tenant), from which
    /// purpose-bound keys are derived, e.g. the key that authenticates the
    /// plugin host's compiled-artifact cache. Created on first use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    platform_secret: Option<SecretKey>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantState {
    current_version: u32,
    keks: BTreeMap<u32, SecretKey>,
    mac_key: SecretKey,
}

/// Only reads the format number, so a newer file gets a clear message
/// instead of a schema error. Unknown fields are skipped without copying.
#[derive(Deserialize)]
struct FormatProbe {
    format: u32,
}

/// 32 bytes of key material, zeroized on drop, hex in JSON.
#[derive(Clone)]
struct SecretKey(Zeroizing<[u8; KEY_LEN]>);

impl SecretKey {
    fn random() -> Result<Self, VaultError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rng::fill_key(key.as_mut_slice())?;
        Ok(Self(key))
    }
}

impl Serialize for SecretKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut buf = Zeroizing::new([0u8; 2 * KEY_LEN]);
        hex::encode_to_slice(self.0.as_slice(), buf.as_mut_slice())
            .map_err(|_| S::Error::custom("key hex encoding"))?;
        let text = std::str::from_utf8(buf.as_slice())
            .map_err(|_| S::Error::custom("key hex encoding"))?;
        serializer.serialize_str(text)
    }
}

impl<'de> Deserialize<'de> for SecretKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SecretKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 32-byte key as 64 hex characters")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SecretKey, E> {
                let mut key = Zeroizing::new([0u8; KEY_LEN]);
                // A fixed message: hex's own error would quote the bad character.
                hex::decode_to_slice(v, key.as_mut_slice())
                    .map_err(|_| E::custom("a key is not 64 hex characters"))?;
                Ok(SecretKey(key))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<SecretKey, E> {
                let v = Zeroizing::new(v);
                self.visit_str(&v)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// Tenant ids as hex map keys (ids are not secret; hex keeps the file
/// readable once decrypted, e.g. with the `age` CLI for disaster recovery).
mod tenant_map {
    use std::collections::BTreeMap;

    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::TenantState;
    use crate::TenantId;

    pub(super) fn serialize<S: Serializer>(
        map: &BTreeMap<TenantId, TenantState>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_map(map.iter().map(|(id, state)| (id.to_hex(), state)))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<TenantId, TenantState>, D::Error> {
        let raw = BTreeMap::<String, TenantState>::deserialize(deserializer)?;
        raw.into_iter()
            .map(|(id, state)| {
                TenantId::from_hex(&id)
                    .map(|id| (id, state))
                    .ok_or_else(|| D::Error::custom("a tenant id is not 32 hex characters"))
            })
            .collect()
    }
}

/// A `Write` into a pre-sized buffer that fails instead of reallocating, so
/// no partial copy of the plaintext is freed without being wiped.
struct NoGrow<'a>(&'a mut Vec<u8>);

impl Write for NoGrow<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.0.capacity() - self.0.len() < buf.len() {
            return Err(io::Error::new(ErrorKind::OutOfMemory, "buffer full"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl KeyringData {
    fn empty() -> Self {
        Self {
            format: FORMAT,
            tenants: BTreeMap::new(),
            platform_secret: None,
        }
    }

    fn to_json(&self, path: &Path) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let versions: usize = self.tenants.values().map(|t| t.keks.len() + 1).sum();
        let mut capacity = 256 + 128 * self.tenants.len() + 96 * versions;
        loop {
            let mut buf = Zeroizing::new(Vec::with_capacity(capacity));
            match serde_json::to_writer(NoGrow(&mut buf), self) {
                Ok(()) => return Ok(buf),
                // The estimate was short: throw the (wiped) buffer away.
                Err(e) if e.is_io() => capacity *= 2,
                Err(_) => {
                    return Err(VaultError::Encrypt {
                        path: path.to_path_buf(),
                        reason: "could not serialise the keyring".to_owned(),
                    })
                }
            }
        }
    }

    fn from_json(path: &Path, json: &[u8]) -> Result<Self, VaultError> {
        let corrupt = |reason: String| VaultError::KeyringCorrupt {
            path: path.to_path_buf(),
            reason,
        };
        // serde_json's messages can quote the offending value, which here
        // could be key material: report only the category and position.
        let describe = |e: serde_json::Error| {
            corrupt(format!(
                "the decrypted contents are not a Rapport keyring ({} error at line {}, column {})",
                match e.classify() {
                    serde_json::error::Category::Io => "read",
                    serde_json::error::Category::Syntax => "syntax",
                    serde_json::error::Category::Data => "data",
                    serde_json::error::Category::Eof => "unexpected end",
                },
                e.line(),
                e.column()
            ))
        };
        let probe: FormatProbe = serde_json::from_slice(json).map_err(describe)?;
        if probe.format != FORMAT {
            return Err(corrupt(format!(
                "keyring format {} is not supported by this version (expected {FORMAT}); upgrade Rapport",
                probe.format
            )));
        }
        let data: KeyringData = serde_json::from_slice(json).map_err(describe)?;
        for (id, tenant) in &data.tenants {
            if tenant.keks.contains_key(&0) {
                return Err(corrupt(format!("tenant {id} has a KEK version 0")));
            }
            if !tenant.keks.contains_key(&tenant.current_version) {
                return Err(corrupt(format!(
                    "tenant {id} has no KEK for its current version {}",
                    tenant.current_version
                )));
            }
        }
        Ok(data)
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The scrypt work factor recorded in an age file's header, so that a
/// keyring opened with its passphrase is re-encrypted at the same cost.
fn header_scrypt_log_n(file: &[u8]) -> Option<u8> {
    let end = file.windows(4).position(|w| w == b"\n---")?;
    let header = std::str::from_utf8(&file[..end]).ok()?;
    header
        .lines()
        .find_map(|line| line.strip_prefix("-> scrypt "))
        .and_then(|args| args.split(' ').nth(1))
        .and_then(|n| n.parse().ok())
}

fn map_decrypt_error(path: &Path, error: age::DecryptError) -> VaultError {
    use age::DecryptError as E;
    match error {
        E::DecryptionFailed | E::KeyDecryptionFailed | E::NoMatchingKeys => {
            VaultError::WrongSecret {
                path: path.to_path_buf(),
            }
        }
        E::ExcessiveWork { required, .. } => VaultError::KeyringCorrupt {
            path: path.to_path_buf(),
            reason: format!(
                "its scrypt work factor 2^{required} exceeds the accepted maximum 2^{MAX_SCRYPT_LOG_N}"
            ),
        },
        E::Io(error) => VaultError::Io {
            action: "read keyring",
            path: path.to_path_buf(),
            error,
        },
        // Invalid header or MAC, unknown format: age's messages name the
        // problem without quoting contents.
        other => VaultError::KeyringCorrupt {
            path: path.to_path_buf(),
            reason: format!("not a valid age file ({other})"),
        },
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Tenants<'a>(&'a BTreeMap<TenantId, TenantState>);
        impl fmt::Debug for Tenants<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(id, t)| {
                        (id, (t.current_version, t.keks.keys().collect::<Vec<_>>()))
                    }))
                    .finish()
            }
        }
        let protection = match &self.protection {
            Protection::Passphrase { log_n, .. } => format!("passphrase (scrypt log_n {log_n})"),
            Protection::Identity { path, .. } => format!("identity file {}", path.display()),
        };
        f.debug_struct("Keyring")
            .field("path", &self.path)
            .field("protection", &protection)
            .field("tenants (current, versions)", &Tenants(&self.data.tenants))
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Creates a new, empty keyring at `path`, protected by `unlock`.
    ///
    /// A passphrase is stretched with age's scrypt at `opts.scrypt_log_n`;
    /// an identity file (which must already exist, see
    /// [`crate::generate_identity_file`]) protects the keyring with its own
    /// X25519 recipient(s). Fails if anything exists at `path`. Missing parent
    /// directories are created with mode 0700.
    pub fn create(
        path: &Path,
        unlock: &Unlock,
        opts: &KeyringOptions,
    ) -> Result<Keyring, VaultError> {
        // Checked first so an existing keyring is reported before any
        // (slow) scrypt work; the write below re-checks atomically.
        if path.symlink_metadata().is_ok() {
            return Err(VaultError::KeyringExists {
                path: path.to_path_buf(),
            });
        }
        let protection = Protection::new(unlock, opts)?;
        let data = KeyringData::empty();
        let ciphertext = protection.encrypt(path, &data.to_json(path)?)?;
        persist::ensure_parent_dir(path)?;
        // scrypt takes a while and another `init` may have won meanwhile:
        // `CreateNew` makes the final step fail rather than overwrite.
        persist::write_atomic(path, &ciphertext, persist::Target::CreateNew).map_err(|e| {
            if persist::is_already_exists(&e) {
                VaultError::KeyringExists {
                    path: path.to_path_buf(),
                }
            } else {
                e
            }
        })?;
        Ok(Keyring {
            path: path.to_path_buf(),
            protection,
            data,
            disk_digest: digest(&ciphertext),
        })
    }

    /// Opens and decrypts the keyring at `path`. Never writes to the file.
    pub fn open(path: &Path, unlock: &Unlock) -> Result<Keyring, VaultError> {
        let file = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(VaultError::KeyringMissing {
                    path: path.to_path_buf(),
                })
            }
            Err(error) => {
                return Err(VaultError::Io {
                    action: "read keyring",
                    path: path.to_path_buf(),
                    error,
                })
            }
        };
        let wrong_secret = || VaultError::WrongSecret {
            path: path.to_path_buf(),
        };
        let decryptor =
            Decryptor::new_buffered(&file[..]).map_err(|e| map_decrypt_error(path, e))?;
        let (reader, protection) = match unlock {
            Unlock::Passphrase(passphrase) => {
                if !decryptor.is_scrypt() {
                    return Err(wrong_secret());
                }
                let mut identity = scrypt::Identity::new(passphrase.clone());
                identity.set_max_work_factor(MAX_SCRYPT_LOG_N);
                let reader = decryptor.decrypt(iter::once(&identity as &dyn age::Identity));
                let log_n =
                    header_scrypt_log_n(&file).unwrap_or(KeyringOptions::default().scrypt_log_n);
                let protection = Protection::Passphrase {
                    passphrase: passphrase.clone(),
                    log_n,
                };
                (reader, protection)
            }
            Unlock::IdentityFile(identity_path) => {
                let identities = identity::load(identity_path)?;
                if decryptor.is_scrypt() {
                    return Err(wrong_secret());
                }
                let reader = decryptor.decrypt(identities.iter().map(|i| i as &dyn age::Identity));
                (
                    reader,
                    Protection::from_identities(identity_path, &identities),
                )
            }
        };
        let mut reader = reader.map_err(|e| map_decrypt_error(path, e))?;
        // The plaintext is shorter than the file, so this never reallocates.
        let mut json = Zeroizing::new(Vec::with_capacity(file.len()));
        reader
            .read_to_end(&mut json)
            .map_err(|_| VaultError::KeyringCorrupt {
                path: path.to_path_buf(),
                reason: "the encrypted contents failed authentication (truncated or altered)"
                    .to_owned(),
            })?;
        let data = KeyringData::from_json(path, &json)?;
        Ok(Keyring {
            path: path.to_path_buf(),
            protection,
            data,
            disk_digest: digest(&file),
        })
    }

    /// Where the keyring file lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The tenants in the keyring, in id order.
    pub fn tenants(&self) -> Vec<TenantId> {
        self.data.tenants.keys().copied().collect()
    }

    /// Encrypts `data` to `protection`, replaces the file, and only then
    /// adopts both as the in-memory state.
    fn commit(
        &mut self,
        data: KeyringData,
        protection: Option<Protection>,
    ) -> Result<(), VaultError> {
        let protection = protection.unwrap_or_else(|| self.protection.clone());
        let ciphertext = protection.encrypt(&self.path, &data.to_json(&self.path)?)?;
        match std::fs::read(&self.path) {
            Ok(current) if digest(&current) == self.disk_digest => {}
            Ok(_) | Err(_) => {
                return Err(VaultError::KeyringChanged {
                    path: self.path.clone(),
                })
            }
        }
        persist::write_atomic(&self.path, &ciphertext, persist::Target::Replace)?;
        self.data = data;
        self.protection = protection;
        self.disk_digest = digest(&ciphertext);
        Ok(())
    }

    /// Adds a tenant with a fresh random KEK (version 1) and MAC key, and
    /// saves the keyring. Fails if the tenant already has keys.
    pub fn add_tenant(&mut self, tenant: TenantId) -> Result<(), VaultError> {
        if self.data.tenants.contains_key(&tenant) {
            return Err(VaultError::TenantExists { tenant });
        }
        let state = TenantState {
            current_version: 1,
            keks: BTreeMap::from([(1, SecretKey::random()?)]),
            mac_key: SecretKey::random()?,
        };
        let mut data = self.data.clone();
        data.tenants.insert(tenant, state);
        self.commit(data, None)
    }

    /// A 32-byte key for one purpose of the data directory, derived with
    /// HMAC-SHA256 from the keyring's platform secret under `label`. The
    /// secret is created and saved on first use.
    pub fn platform_key(&mut self, label: &str) -> Result<[u8; KEY_LEN], VaultError> {
        Ok(*self.platform_key_secret(label)?)
    }

    /// The signer of the data directory's own audit log (see
    /// [`crate::LogSigner`]); its key never leaves the vault.
    pub fn platform_log_signer(&mut self) -> Result<crate::LogSigner, VaultError> {
        let seed = self.platform_key_secret(crate::log_key::PLATFORM_LOG_LABEL)?;
        Ok(crate::LogSigner::from_seed(&seed))
    }

    fn platform_key_secret(&mut self, label: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
        use hmac::{Hmac, Mac};
        let secret = match &self.data.platform_secret {
            Some(secret) => secret.clone(),
            None => {
                let secret = SecretKey::random()?;
                let mut data = self.data.clone();
                data.platform_secret = Some(secret.clone());
                self.commit(data, None)?;
                secret
            }
        };
        let mut mac =
            <Hmac<sha2::Sha256> as hmac::digest::KeyInit>::new_from_slice(secret.0.as_slice())
                .map_err(|e| VaultError::Entropy {
                    reason: e.to_string(),
                })?;
        mac.update(b"rapport platform key v1\0");
        mac.update(label.as_bytes());
        Ok(Zeroizing::new(mac.finalize().into_bytes().into()))
    }

    /// Whether the keyring holds keys for `tenant`.
    pub fn has_tenant(&self, tenant: TenantId) -> bool {
        self.data.tenants.contains_key(&tenant)
    }

    /// A snapshot of the tenant's keys (see [`TenantKeys`]).
    pub fn tenant(&self, tenant: TenantId) -> Result<TenantKeys, VaultError> {
        let state = self
            .data
            .tenants
            .get(&tenant)
            .ok_or(VaultError::UnknownTenant { tenant })?;
        Ok(TenantKeys::new(
            tenant,
            state.current_version,
            state.keks.iter().map(|(v, k)| (*v, &*k.0)),
            &state.mac_key.0,
        ))
    }

    /// Adds a new random KEK version, makes it current, saves the keyring and
    /// returns the version. Older versions stay, so keys wrapped under them
    /// still open until [`Keyring::retire_versions_before`].
    pub fn rotate_tenant(&mut self, tenant: TenantId) -> Result<u32, VaultError> {
        let mut data = self.data.clone();
        let state = data
            .tenants
            .get_mut(&tenant)
            .ok_or(VaultError::UnknownTenant { tenant })?;
        let latest = state.keks.keys().next_back().copied().unwrap_or(0);
        let version = latest
            .max(state.current_version)
            .checked_add(1)
            .ok_or(VaultError::KekVersionsExhausted { tenant })?;
        state.keks.insert(version, SecretKey::random()?);
        state.current_version = version;
        self.commit(data, None)?;
        Ok(version)
    }

    /// Deletes the tenant's KEK versions older than `version`, and saves the
    /// keyring. Call only once every wrapped key has been re-wrapped
    /// ([`TenantKeys::rewrap`]): keys still wrapped under a retired version
    /// become unreadable. `version` may not exceed the current version.
    pub fn retire_versions_before(
        &mut self,
        tenant: TenantId,
        version: u32,
    ) -> Result<(), VaultError> {
        let mut data = self.data.clone();
        let state = data
            .tenants
            .get_mut(&tenant)
            .ok_or(VaultError::UnknownTenant { tenant })?;
        if version > state.current_version {
            return Err(VaultError::RetireCurrent {
                tenant,
                version,
                current: state.current_version,
            });
        }
        let before = state.keks.len();
        state.keks.retain(|v, _| *v >= version);
        if state.keks.len() == before {
            return Ok(());
        }
        self.commit(data, None)
    }

    /// Re-encrypts the keyring file to a new passphrase or identity file.
    /// The keys inside are unchanged.
    pub fn change_unlock(
        &mut self,
        unlock: &Unlock,
        opts: &KeyringOptions,
    ) -> Result<(), VaultError> {
        let protection = Protection::new(unlock, opts)?;
        self.commit(self.data.clone(), Some(protection))
    }
}

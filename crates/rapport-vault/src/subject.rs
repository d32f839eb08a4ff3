//! Per-subject data keys: field sealing and the wrapped-key format.
//!
//! Both formats below are stored in databases and backups, so they are a
//! compatibility boundary; each starts with a version byte so they can evolve.
//!
//! Sealed field (`SubjectKey::seal`):
//!
//! ```text
//! 0x01 || nonce (12) || AES-256-GCM-SIV ciphertext || tag (16)
//! AD = "rapport-vault/field/v1\0" || tenant (16) || subject (16)
//!      || len(field name) as u64 big-endian || field name
//! ```
//!
//! Wrapped data key (`TenantKeys::new_subject_key`):
//!
//! ```text
//! 0x01 || nonce (12) || AES-256-GCM-SIV(KEK, data key (32)) || tag (16)
//! AD = "rapport-vault/wrap/v1\0" || tenant (16) || subject (16)
//!      || KEK version as u32 big-endian
//! ```
//!
//! The ids have fixed sizes and the field name is length-prefixed and last,
//! so no two (tenant, subject, field) triples produce the same AD.

use std::fmt;

use aes_gcm_siv::aead::{AeadInPlace, KeyInit};
use aes_gcm_siv::{Aes256GcmSiv, Key, Nonce, Tag};
use zeroize::{Zeroize, Zeroizing};

use crate::{rng, SubjectId, TenantId, VaultError};

pub(crate) const FORMAT_V1: u8 = 1;
pub(crate) const NONCE_LEN: usize = 12;
pub(crate) const TAG_LEN: usize = 16;
pub(crate) const KEY_LEN: usize = 32;
const HEADER_LEN: usize = 1 + NONCE_LEN;
pub(crate) const WRAPPED_LEN: usize = HEADER_LEN + KEY_LEN + TAG_LEN;

const FIELD_AD_TAG: &[u8] = b"rapport-vault/field/v1\0";
const WRAP_AD_TAG: &[u8] = b"rapport-vault/wrap/v1\0";

/// A subject's data key, wrapped (encrypted) under a tenant KEK.
///
/// Ciphertext only: safe to store next to the data, and meant to be (the
/// store keeps it in the key database; deleting it crypto-shreds the subject).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey {
    /// The tenant KEK version this key is wrapped under.
    pub kek_version: u32,
    /// `0x01 || nonce || ciphertext || tag`, 61 bytes.
    pub bytes: Vec<u8>,
}

/// A subject's unwrapped data key, ready to seal and open fields.
///
/// The key lives only inside the cipher, whose key is zeroized on drop.
/// `Debug` shows the tenant and subject ids, nothing else.
#[derive(Clone)]
pub struct SubjectKey {
    tenant: TenantId,
    subject: SubjectId,
    cipher: Aes256GcmSiv,
}

impl fmt::Debug for SubjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubjectKey")
            .field("tenant", &self.tenant)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl SubjectKey {
    pub(crate) fn new(tenant: TenantId, subject: SubjectId, key: &[u8; KEY_LEN]) -> Self {
        Self {
            tenant,
            subject,
            cipher: Aes256GcmSiv::new(Key::<Aes256GcmSiv>::from_slice(key)),
        }
    }

    /// The subject this key belongs to.
    pub fn subject(&self) -> SubjectId {
        self.subject
    }

    /// The tenant this key belongs to.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// Seals one field value; the result is safe to store.
    ///
    /// The field name is authenticated (not encrypted): opening under a
    /// different name, subject or tenant fails.
    ///
    /// # Panics
    ///
    /// Only if `plaintext` exceeds the AEAD's limit (about 256 GiB), which
    /// no field can reach in practice; the partly built buffer is zeroized
    /// first. Also if the OS random number generator fails while seeding
    /// this thread's nonce generator.
    pub fn seal(&self, field: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        out.push(FORMAT_V1);
        let mut nonce = [0u8; NONCE_LEN];
        rng::fill_nonce(&mut nonce);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        // Encrypting in place after copying avoids a second allocation; the
        // buffer holds plaintext until this call returns, so on failure it is
        // wiped before anything else happens.
        let sealed = with_field_ad(self.tenant, self.subject, field, |ad| {
            self.cipher.encrypt_in_place_detached(
                Nonce::from_slice(&nonce),
                ad,
                &mut out[HEADER_LEN..],
            )
        });
        match sealed {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                out
            }
            Err(_) => {
                out.zeroize();
                panic!("field `{field}` is too large to seal");
            }
        }
    }

    /// Opens a value produced by [`SubjectKey::seal`] for the same field.
    pub fn open(&self, field: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let fail = || VaultError::Open {
            field: field.to_owned(),
        };
        if sealed.len() < HEADER_LEN + TAG_LEN || sealed[0] != FORMAT_V1 {
            return Err(fail());
        }
        let (nonce, rest) = sealed[1..].split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        // The tag is verified before anything is decrypted, so a failure
        // leaves only ciphertext in `buf`.
        with_field_ad(self.tenant, self.subject, field, |ad| {
            self.cipher.decrypt_in_place_detached(
                Nonce::from_slice(nonce),
                ad,
                buf.as_mut_slice(),
                Tag::from_slice(tag),
            )
        })
        .map_err(|_| fail())?;
        Ok(buf)
    }
}

/// Calls `f` with the associated data for a sealed field.
///
/// Built on the stack for ordinary field names: on the hot path a heap
/// allocation per field is a measurable share of sealing a short value.
fn with_field_ad<R>(
    tenant: TenantId,
    subject: SubjectId,
    field: &str,
    f: impl FnOnce(&[u8]) -> R,
) -> R {
    const PREFIX: usize = FIELD_AD_TAG.len() + 16 + 16 + 8;
    const STACK: usize = 192;
    let write = |ad: &mut [u8]| {
        ad[..FIELD_AD_TAG.len()].copy_from_slice(FIELD_AD_TAG);
        let rest = &mut ad[FIELD_AD_TAG.len()..];
        rest[..16].copy_from_slice(&tenant.0);
        rest[16..32].copy_from_slice(&subject.0);
        rest[32..40].copy_from_slice(&(field.len() as u64).to_be_bytes());
        rest[40..].copy_from_slice(field.as_bytes());
    };
    let len = PREFIX + field.len();
    if len <= STACK {
        let mut ad = [0u8; STACK];
        write(&mut ad[..len]);
        f(&ad[..len])
    } else {
        let mut ad = vec![0u8; len];
        write(&mut ad);
        f(&ad)
    }
}

/// Associated data for a wrapped data key.
fn wrap_ad(tenant: TenantId, subject: SubjectId, kek_version: u32) -> [u8; 22 + 16 + 16 + 4] {
    let mut ad = [0u8; 22 + 16 + 16 + 4];
    ad[..22].copy_from_slice(WRAP_AD_TAG);
    ad[22..38].copy_from_slice(&tenant.0);
    ad[38..54].copy_from_slice(&subject.0);
    ad[54..].copy_from_slice(&kek_version.to_be_bytes());
    ad
}

/// Wraps `key` under `kek` (KEK version `kek_version`).
pub(crate) fn wrap(
    kek: &Aes256GcmSiv,
    tenant: TenantId,
    subject: SubjectId,
    kek_version: u32,
    key: &[u8; KEY_LEN],
) -> WrappedKey {
    let mut bytes = Vec::with_capacity(WRAPPED_LEN);
    bytes.push(FORMAT_V1);
    let mut nonce = [0u8; NONCE_LEN];
    rng::fill_nonce(&mut nonce);
    bytes.extend_from_slice(&nonce);
    let mut body = Zeroizing::new(*key);
    let ad = wrap_ad(tenant, subject, kek_version);
    // A 32-byte message is far below the AEAD's length limit, so this cannot
    // fail; the match keeps the (impossible) error from leaking the key.
    match kek.encrypt_in_place_detached(Nonce::from_slice(&nonce), &ad, body.as_mut_slice()) {
        Ok(tag) => {
            bytes.extend_from_slice(body.as_slice());
            bytes.extend_from_slice(&tag);
        }
        Err(_) => unreachable!("a 32-byte key is within the AEAD length limit"),
    }
    WrappedKey { kek_version, bytes }
}

/// Unwraps a data key; `None` if the bytes do not authenticate.
pub(crate) fn unwrap(
    kek: &Aes256GcmSiv,
    tenant: TenantId,
    subject: SubjectId,
    wrapped: &WrappedKey,
) -> Option<Zeroizing<[u8; KEY_LEN]>> {
    let bytes = &wrapped.bytes;
    if bytes.len() != WRAPPED_LEN || bytes[0] != FORMAT_V1 {
        return None;
    }
    let nonce = &bytes[1..HEADER_LEN];
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&bytes[HEADER_LEN..HEADER_LEN + KEY_LEN]);
    let tag = &bytes[HEADER_LEN + KEY_LEN..];
    let ad = wrap_ad(tenant, subject, wrapped.kek_version);
    kek.decrypt_in_place_detached(
        Nonce::from_slice(nonce),
        &ad,
        key.as_mut_slice(),
        Tag::from_slice(tag),
    )
    .ok()?;
    Some(key)
}

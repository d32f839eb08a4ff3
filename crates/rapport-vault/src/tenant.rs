//! One tenant's unlocked keys: data-key wrapping and row fingerprints.
//!
//! [`TenantKeys`] is a snapshot taken from the keyring by
//! [`crate::Keyring::tenant`]: cheap to clone and share across threads
//! (an `Arc`), and unaffected by later rotations. After
//! [`crate::Keyring::rotate_tenant`], take a fresh snapshot to wrap under the
//! new version.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use aes_gcm_siv::aead::KeyInit;
use aes_gcm_siv::{Aes256GcmSiv, Key};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::subject::{self, KEY_LEN};
use crate::{rng, SubjectId, SubjectKey, TenantId, VaultError, WrappedKey};

const FINGERPRINT_TAG: &[u8] = b"rapport-vault/fingerprint/v1\0";

/// A tenant's KEKs (all live versions) and MAC key.
#[derive(Clone)]
pub struct TenantKeys {
    inner: Arc<Inner>,
}

struct Inner {
    tenant: TenantId,
    current: u32,
    // The ciphers own copies of the KEKs and zeroize them on drop.
    keks: BTreeMap<u32, Aes256GcmSiv>,
    mac_key: Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for TenantKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantKeys")
            .field("tenant", &self.inner.tenant)
            .field("current_version", &self.inner.current)
            .field("versions", &self.inner.keks.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl TenantKeys {
    pub(crate) fn new<'a>(
        tenant: TenantId,
        current: u32,
        keks: impl Iterator<Item = (u32, &'a [u8; KEY_LEN])>,
        mac_key: &[u8; KEY_LEN],
    ) -> Self {
        let keks = keks
            .map(|(v, k)| (v, Aes256GcmSiv::new(Key::<Aes256GcmSiv>::from_slice(k))))
            .collect();
        Self {
            inner: Arc::new(Inner {
                tenant,
                current,
                keks,
                mac_key: Zeroizing::new(*mac_key),
            }),
        }
    }

    /// The tenant these keys belong to.
    pub fn tenant(&self) -> TenantId {
        self.inner.tenant
    }

    /// The KEK version new keys are wrapped under.
    pub fn current_version(&self) -> u32 {
        self.inner.current
    }

    fn current_kek(&self) -> Result<&Aes256GcmSiv, VaultError> {
        // The keyring never stores a tenant whose current version is missing
        // (checked on load and kept by every mutation), so this is a guard
        // against a future bug rather than an expected error.
        self.inner
            .keks
            .get(&self.inner.current)
            .ok_or(VaultError::UnknownTenant {
                tenant: self.inner.tenant,
            })
    }

    /// A fresh random data key for `subject`, and the same key wrapped under
    /// the current KEK (store the wrapped one; keep the other only in memory).
    pub fn new_subject_key(
        &self,
        subject: SubjectId,
    ) -> Result<(SubjectKey, WrappedKey), VaultError> {
        let kek = self.current_kek()?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rng::fill_key(key.as_mut_slice())?;
        let wrapped = subject::wrap(kek, self.inner.tenant, subject, self.inner.current, &key);
        Ok((SubjectKey::new(self.inner.tenant, subject, &key), wrapped))
    }

    fn unwrap_raw(
        &self,
        subject: SubjectId,
        wrapped: &WrappedKey,
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
        let fail = |reason| VaultError::KeyUnwrap {
            tenant: self.inner.tenant,
            subject,
            kek_version: wrapped.kek_version,
            reason,
        };
        let kek = self.inner.keks.get(&wrapped.kek_version).ok_or_else(|| {
            fail("this KEK version is not in the keyring (retired, or from another keyring)")
        })?;
        subject::unwrap(kek, self.inner.tenant, subject, wrapped).ok_or_else(|| {
            fail("authentication failed (wrong tenant or subject, or the wrapped key was altered)")
        })
    }

    /// Unwraps a subject's data key.
    pub fn unwrap_key(
        &self,
        subject: SubjectId,
        wrapped: &WrappedKey,
    ) -> Result<SubjectKey, VaultError> {
        let key = self.unwrap_raw(subject, wrapped)?;
        Ok(SubjectKey::new(self.inner.tenant, subject, &key))
    }

    /// Re-wraps a data key under the current KEK version. The data key itself
    /// is unchanged, so fields sealed with it need no re-encryption.
    pub fn rewrap(
        &self,
        subject: SubjectId,
        wrapped: &WrappedKey,
    ) -> Result<WrappedKey, VaultError> {
        let key = self.unwrap_raw(subject, wrapped)?;
        let kek = self.current_kek()?;
        Ok(subject::wrap(
            kek,
            self.inner.tenant,
            subject,
            self.inner.current,
            &key,
        ))
    }

    /// The signer of this tenant's audit log (see [`crate::LogSigner`]).
    pub fn log_signer(&self) -> crate::LogSigner {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.inner.mac_key.as_slice())
        else {
            unreachable!("HMAC accepts keys of any length");
        };
        mac.update(crate::log_key::TENANT_LOG_LABEL);
        let seed = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
        crate::LogSigner::from_seed(&seed)
    }

    /// HMAC-SHA256 of `data` under the tenant's MAC key, separated by
    /// `domain` (e.g. the import kind), so equal rows can be recognised
    /// without storing them in plaintext. Deterministic per tenant; differs
    /// across tenants.
    pub fn fingerprint(&self, domain: &str, data: &[u8]) -> [u8; 32] {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.inner.mac_key.as_slice())
        else {
            unreachable!("HMAC accepts keys of any length");
        };
        mac.update(FINGERPRINT_TAG);
        // The domain is length-prefixed so ("ab", "c…") and ("a", "bc…")
        // cannot collide; data goes last and needs no prefix.
        mac.update(&(domain.len() as u64).to_be_bytes());
        mac.update(domain.as_bytes());
        mac.update(data);
        mac.finalize().into_bytes().into()
    }
}

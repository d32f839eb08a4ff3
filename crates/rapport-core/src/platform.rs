//! Opening a data directory and the use cases that are not imports.

use std::collections::BTreeMap;

use rapport_store::{
    AuditStore, KeyStore, StakeholderProfile, Store, StoredKey, Tenant, TenantCounts,
};
use rapport_vault::{Keyring, KeyringOptions, LogSigner, SubjectId, TenantId, TenantKeys, Unlock};
use serde::Serialize;

use crate::{now, CoreError, DataDirs};

/// Label of the key that authenticates compiled plugin artifacts.
const PLUGIN_CACHE_KEY: &str = "plugin-artifact-cache";

/// An open data directory: main store, key store and unlocked keyring.
pub struct Platform {
    pub(crate) dirs: DataDirs,
    pub(crate) store: Store,
    pub(crate) keys: KeyStore,
    pub(crate) keyring: Keyring,
    /// The tamper-evident audit log (`audit.db`).
    pub(crate) audit: AuditStore,
    /// Signs the data directory's own audit log.
    pub(crate) platform_signer: LogSigner,
    /// Authenticates the plugin host's compiled-artifact cache.
    pub(crate) cache_key: [u8; 32],
    /// The plugin host, started on first use.
    pub(crate) host: std::sync::OnceLock<rapport_plugin::host::Host>,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("dirs", &self.dirs)
            .finish_non_exhaustive()
    }
}

/// A tenant with its row counts.
#[derive(Clone, Debug, Serialize)]
pub struct TenantInfo {
    pub name: String,
    pub created_at: String,
    pub customers: u64,
    pub suppliers: u64,
    pub partners: u64,
    pub transactions: u64,
    pub interactions: u64,
    pub deliveries: u64,
    pub referrals: u64,
    pub consents: u64,
    pub imports: u64,
}

impl TenantInfo {
    fn new(t: &Tenant, c: TenantCounts) -> Self {
        TenantInfo {
            name: t.name.clone(),
            created_at: t.created_at.clone(),
            customers: c.customers,
            suppliers: c.suppliers,
            partners: c.partners,
            transactions: c.transactions,
            interactions: c.interactions,
            deliveries: c.deliveries,
            referrals: c.referrals,
            consents: c.consents,
            imports: c.imports,
        }
    }
}

/// A stakeholder's profile with its personal fields opened.
#[derive(Clone, Serialize)]
pub struct Profile {
    pub id: String,
    pub kind: String,
    pub country: Option<String>,
    pub region: Option<String>,
    pub signup_date: Option<String>,
    pub category: Option<String>,
    pub partner_type: Option<String>,
    /// Opened personal fields by name.
    pub fields: BTreeMap<String, String>,
}

impl std::fmt::Debug for Profile {
    // Personal values never reach a log through Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// What a tenant key rotation did.
#[derive(Clone, Debug, Serialize)]
pub struct RotationReport {
    pub tenant: String,
    pub new_version: u32,
    pub rewrapped_keys: u64,
}

impl Platform {
    /// Creates a new data directory: keyring first (so nothing exists that
    /// could not be opened), then the key store, then the main store. On
    /// failure, whatever this call created is removed again.
    pub async fn init(
        dirs: DataDirs,
        unlock: &Unlock,
        opts: &KeyringOptions,
    ) -> Result<Platform, CoreError> {
        if dirs.is_initialised() {
            return Err(CoreError::AlreadyInitialised(
                dirs.data.display().to_string(),
            ));
        }
        for dir in [&dirs.data, &dirs.keys] {
            std::fs::create_dir_all(dir).map_err(|e| CoreError::io(dir.display(), e))?;
        }
        restrict_dir(&dirs.keys)?;
        let result = async {
            let mut keyring = Keyring::create(&dirs.keyring(), unlock, opts)?;
            let cache_key = keyring.platform_key(PLUGIN_CACHE_KEY)?;
            let platform_signer = keyring.platform_log_signer()?;
            let keys = KeyStore::create(&dirs.keystore()).await?;
            let store = Store::create(&dirs.database()).await?;
            let audit = AuditStore::open_or_create(&dirs.audit_log()).await?;
            Ok::<_, CoreError>(Platform {
                dirs: dirs.clone(),
                store,
                keys,
                keyring,
                audit,
                platform_signer,
                cache_key,
                host: std::sync::OnceLock::new(),
            })
        }
        .await;
        if result.is_err() {
            for path in [
                dirs.keyring(),
                dirs.keystore(),
                dirs.database(),
                dirs.audit_log(),
            ] {
                remove_with_sidecars(&path);
            }
        }
        result
    }

    /// Opens an existing data directory. The keyring is unlocked before
    /// either database is touched, so a wrong secret changes nothing.
    pub async fn open(dirs: DataDirs, unlock: &Unlock) -> Result<Platform, CoreError> {
        if !dirs.database().exists() && !dirs.keyring().exists() {
            return Err(CoreError::NotInitialised(dirs.data.display().to_string()));
        }
        let mut keyring = Keyring::open(&dirs.keyring(), unlock)?;
        let cache_key = keyring.platform_key(PLUGIN_CACHE_KEY)?;
        let platform_signer = keyring.platform_log_signer()?;
        let keys = KeyStore::open(&dirs.keystore()).await?;
        let store = Store::open(&dirs.database()).await?;
        let audit = AuditStore::open_or_create(&dirs.audit_log()).await?;
        let platform = Platform {
            dirs,
            store,
            keys,
            keyring,
            audit,
            platform_signer,
            cache_key,
            host: std::sync::OnceLock::new(),
        };
        // A database copied in from before an erasure must not serve the
        // erased subject: apply what the key store records first.
        platform.replay_erasures_on_open().await?;
        // Entries of actions that committed before a crash, or that a
        // restore queued, are appended now.
        platform.flush_after_commit().await;
        Ok(platform)
    }

    /// Closes every database cleanly.
    pub async fn close(self) {
        self.store.close().await;
        self.keys.close().await;
        self.audit.close().await;
    }

    /// The paths this platform uses.
    pub fn dirs(&self) -> &DataDirs {
        &self.dirs
    }

    /// Creates a tenant with its own key-encryption key.
    pub async fn create_tenant(&mut self, name: &str) -> Result<TenantInfo, CoreError> {
        validate_tenant_name(name)?;
        if self.store.tenant(name).await.is_ok() {
            return Err(rapport_store::StoreError::TenantExists(name.to_owned()).into());
        }
        let id = SubjectId::random().0;
        // The key first: a tenant row without a key would be unusable, while
        // a key without a row is harmless.
        self.keyring.add_tenant(TenantId(id))?;
        let signer = self.keyring.tenant(TenantId(id))?.log_signer();
        // The tenant's log starts with its creation, so a tenant without a
        // log is one whose log was deleted.
        let pending = Tenant {
            id: 0,
            uuid: id,
            name: name.to_owned(),
            created_at: now(),
        };
        let note = self.note_for(
            &pending,
            rapport_audit::log::EntryKind::TenantCreate,
            serde_json::json!({"name": name, "key_id": signer.key_id()}),
        )?;
        let tenant = self
            .store
            .create_tenant(name, id, &pending.created_at, &[note])
            .await?;
        self.flush_after_commit().await;
        Ok(TenantInfo::new(&tenant, TenantCounts::default()))
    }

    /// Every tenant with its counts.
    pub async fn tenants(&self) -> Result<Vec<TenantInfo>, CoreError> {
        let mut out = Vec::new();
        for t in self.store.tenants().await? {
            let c = self.store.counts(&t).await?;
            out.push(TenantInfo::new(&t, c));
        }
        Ok(out)
    }

    /// One tenant with its counts.
    pub async fn tenant_info(&self, name: &str) -> Result<TenantInfo, CoreError> {
        let t = self.store.tenant(name).await?;
        let c = self.store.counts(&t).await?;
        Ok(TenantInfo::new(&t, c))
    }

    pub(crate) fn tenant_keys(&self, tenant: &Tenant) -> Result<TenantKeys, CoreError> {
        Ok(self.keyring.tenant(TenantId(tenant.uuid))?)
    }

    /// Reads one stakeholder and opens its personal fields.
    pub async fn profile(&self, tenant: &str, external_id: &str) -> Result<Profile, CoreError> {
        let tenant = self.store.tenant(tenant).await?;
        let p: StakeholderProfile = self.find_stakeholder(&tenant, external_id).await?;
        let tk = self.tenant_keys(&tenant)?;
        let stored = self
            .keys
            .get(tenant.uuid, p.subject)
            .await?
            .ok_or_else(|| CoreError::Erased(external_id.to_owned()))?;
        let key = tk.unwrap_key(SubjectId(p.subject), &to_wrapped(&stored))?;
        let mut fields = BTreeMap::new();
        for name in rapport_store::SealedFields::NAMES {
            if let Some(sealed) = p.sealed.get(name) {
                let plain = key.open(name, sealed).map_err(|_| CoreError::Unreadable {
                    id: external_id.to_owned(),
                    field: name.to_owned(),
                })?;
                fields.insert(
                    name.to_owned(),
                    String::from_utf8_lossy(&plain).into_owned(),
                );
            }
        }
        Ok(Profile {
            id: p.external_id,
            kind: p.kind.as_str().to_owned(),
            country: p.country,
            region: p.region,
            signup_date: p.signup_date,
            category: p.category,
            partner_type: p.partner_type,
            fields,
        })
    }

    /// A canonical dump of the main store's content (see
    /// [`Store::content_dump`]).
    pub async fn content_dump(&self) -> Result<Vec<String>, CoreError> {
        Ok(self.store.content_dump().await?)
    }

    /// Crypto-shreds a stakeholder: destroys its data key in the key store and
    /// records the erasure there, then marks the stakeholder erased. Every
    /// copy of its sealed fields, in this database or any backup of it,
    /// becomes unreadable. Returns whether a key was destroyed.
    pub async fn destroy_subject_key(
        &self,
        tenant: &str,
        external_id: &str,
    ) -> Result<bool, CoreError> {
        let tenant = self.store.tenant(tenant).await?;
        let p = self.store.stakeholder(&tenant, external_id).await?;
        let at = now();
        let destroyed = self.keys.destroy(tenant.uuid, p.subject, &at).await?;
        self.store.mark_erased(&tenant, external_id, &at).await?;
        tracing::info!(tenant = %tenant.name, subject = %external_id, "subject data key destroyed");
        Ok(destroyed)
    }

    /// Rotates a tenant's key-encryption key: a new version becomes current,
    /// every subject data key is re-wrapped under it (fields are not
    /// re-encrypted), and only then is the old version retired.
    pub async fn rotate_tenant_key(&mut self, tenant: &str) -> Result<RotationReport, CoreError> {
        let t = self.store.tenant(tenant).await?;
        let tid = TenantId(t.uuid);
        let version = self.keyring.rotate_tenant(tid)?;
        let tk = self.keyring.tenant(tid)?;
        let all = self.keys.all(t.uuid).await?;
        let mut rewrapped = Vec::with_capacity(all.len());
        for (subject, stored) in &all {
            let w = tk.rewrap(SubjectId(*subject), &to_wrapped(stored))?;
            rewrapped.push((
                *subject,
                StoredKey {
                    kek_version: w.kek_version,
                    wrapped: w.bytes,
                },
            ));
        }
        let mut batch = self.keys.begin().await?;
        batch.put(t.uuid, &rewrapped).await?;
        batch.commit().await?;
        self.keyring.retire_versions_before(tid, version)?;
        Ok(RotationReport {
            tenant: t.name,
            new_version: version,
            rewrapped_keys: rewrapped.len() as u64,
        })
    }
}

pub(crate) fn to_wrapped(stored: &StoredKey) -> rapport_vault::WrappedKey {
    rapport_vault::WrappedKey {
        kek_version: stored.kek_version,
        bytes: stored.wrapped.clone(),
    }
}

fn validate_tenant_name(name: &str) -> Result<(), CoreError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(CoreError::Invalid(format!(
            "tenant name `{name}` must be 1-64 characters of letters, digits, `-`, `_` or `.`, starting with a letter or digit"
        )))
    }
}

#[cfg(unix)]
fn restrict_dir(dir: &std::path::Path) -> Result<(), CoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| CoreError::io(dir.display(), e))
}

#[cfg(not(unix))]
fn restrict_dir(_dir: &std::path::Path) -> Result<(), CoreError> {
    Ok(())
}

fn remove_with_sidecars(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        if p.exists() {
            if let Err(e) = std::fs::remove_file(&p) {
                tracing::warn!(path = %p.display(), error = %e, "could not remove a partly created file");
            }
        }
    }
}

//! Backups that respect erasure.
//!
//! A backup is a consistent copy of the main store alone (`VACUUM INTO`):
//! keys stay in the key directory, so a backup never carries them. Restoring
//! validates the file, replays onto a staging copy every erasure recorded in
//! the key store (the key store outlives the backup and is never restored
//! from it), and only then renames the staging copy over `rapport.db`: a
//! restored backup never brings an erased person back, not even for the
//! time between the rename and the next open.
//!
//! The audit log (`audit.db`) is never part of a backup nor replaced by a
//! restore: a restore of an older `rapport.db` must not truncate a log
//! that exported tree heads have committed to. Both are recorded in the
//! platform log and in the log of every tenant they concern: a backup right
//! after it is written, a restore through notes queued inside the restored
//! file before it is swapped in, so they are appended when it is first
//! opened (and never if the swap does not happen).

use std::path::{Path, PathBuf};

use rapport_audit::log::EntryKind;
use rapport_store::{AuditStore, KeyStore, Store};
use rapport_vault::{Keyring, TenantId, Unlock};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{CoreError, DataDirs, Platform};

/// What a backup wrote.
#[derive(Clone, Debug, Serialize)]
pub struct BackupReport {
    pub out: PathBuf,
    pub bytes: u64,
    pub tenants: Vec<String>,
    /// The backup holds no keys: restore it next to this data directory's
    /// key directory, which must be kept (and backed up) apart.
    pub keys_included: bool,
    /// SHA-256 of the backup file, as recorded in the audit log.
    pub sha256: String,
}

/// What a restore did.
#[derive(Clone, Debug, Serialize)]
pub struct RestoreReport {
    pub from: PathBuf,
    pub database: PathBuf,
    pub tenants: Vec<String>,
    /// Erasures recorded in the key store after the backup was taken, now
    /// applied to the restored store.
    pub erasures_replayed: u64,
    /// SHA-256 of the restored file, as recorded in the audit log.
    pub sha256: String,
}

impl Platform {
    /// Writes a consistent backup of the main store to `out`, which must not
    /// exist. Readable by the owner only.
    pub async fn backup(&self, out: &Path) -> Result<BackupReport, CoreError> {
        if out.exists() {
            return Err(CoreError::Invalid(format!(
                "{} already exists; choose a new file name",
                out.display()
            )));
        }
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(CoreError::Invalid(format!(
                    "directory {} does not exist",
                    dir.display()
                )));
            }
        }
        self.store.backup_into(out).await?;
        restrict_file(out)?;
        let bytes = std::fs::metadata(out)
            .map_err(|e| CoreError::io(out.display(), e))?
            .len();
        let sha256 = file_sha256(out)?;
        let stored = self.store.tenants().await?;
        let tenants: Vec<String> = stored.iter().map(|t| t.name.clone()).collect();
        // The backup holds each tenant's (sealed) data: each log says so.
        let body =
            json!({"sha256": sha256, "bytes": bytes, "tenants": tenants, "keys_included": false});
        let mut notes = vec![self.platform_note(EntryKind::Backup, body.clone())?];
        for t in &stored {
            notes.push(self.note_for(t, EntryKind::Backup, body.clone())?);
        }
        self.record_notes(&notes).await?;
        tracing::info!(out = %out.display(), bytes, "backup written");
        Ok(BackupReport {
            out: out.to_path_buf(),
            bytes,
            tenants,
            keys_included: false,
            sha256,
        })
    }

    /// Replaces the main store of `dirs` with the backup `file`, after
    /// checking that it is a Rapport store whose tenants this keyring holds
    /// and replaying the key store's erasures onto it. Other `rapport`
    /// processes must not use the data directory meanwhile.
    pub async fn restore(
        dirs: DataDirs,
        unlock: &Unlock,
        file: &Path,
    ) -> Result<RestoreReport, CoreError> {
        let tenants = Store::validate_backup(file).await?;
        let sha256 = file_sha256(file)?;
        // Unlock first: a wrong secret must change nothing.
        let mut keyring = Keyring::open(&dirs.keyring(), unlock)?;
        let platform_signer = keyring.platform_log_signer()?;
        for (name, uuid) in &tenants {
            if keyring.tenant(TenantId(*uuid)).is_err() {
                return Err(CoreError::Invalid(format!(
                    "{} holds tenant `{name}`, whose keys are not in this keyring: it is a backup of another data directory",
                    file.display()
                )));
            }
        }
        let keys = KeyStore::open(&dirs.keystore()).await?;
        let audit = AuditStore::open_or_create(&dirs.audit_log()).await?;

        let staging = dirs.data.join("rapport.db.restoring");
        remove_with_sidecars(&staging)?;
        std::fs::copy(file, &staging).map_err(|e| CoreError::io(staging.display(), e))?;
        let replayed = async {
            // Opening migrates an older backup to the current schema.
            let store = Store::open(&staging).await?;
            let platform = Platform {
                dirs: dirs.clone(),
                store,
                keys: keys.clone(),
                keyring,
                audit: audit.clone(),
                platform_signer,
                // Restoring runs no plugin.
                cache_key: [0; 32],
                host: std::sync::OnceLock::new(),
            };
            let replayed = async {
                let n = platform.replay_erasures().await?;
                platform.queue_restore_notes(&sha256, n).await?;
                Ok::<_, CoreError>(n)
            }
            .await;
            platform.store.close().await;
            replayed
        }
        .await;
        keys.close().await;
        audit.close().await;
        let replayed = match replayed {
            Ok(n) => n,
            Err(e) => {
                remove_with_sidecars(&staging)?;
                return Err(e);
            }
        };
        sync_file(&staging)?;

        // Fold the current store's WAL into it and close it, so no stale WAL
        // can be applied to the restored file; then swap atomically.
        let database = dirs.database();
        if database.exists() {
            Store::open(&database).await?.close().await;
        }
        remove_sidecars(&staging)?;
        std::fs::rename(&staging, &database).map_err(|e| CoreError::io(database.display(), e))?;
        remove_sidecars(&database)?;
        sync_dir(&dirs.data)?;
        tracing::info!(from = %file.display(), replayed, "store restored from backup");
        Ok(RestoreReport {
            from: file.to_path_buf(),
            database,
            tenants: tenants.into_iter().map(|(n, _)| n).collect(),
            erasures_replayed: replayed,
            sha256,
        })
    }

    /// Queues, in the store being restored, the restore's entries for the
    /// platform log and every tenant's log.
    async fn queue_restore_notes(&self, sha256: &str, replayed: u64) -> Result<(), CoreError> {
        let stored = self.store.tenants().await?;
        let names: Vec<&str> = stored.iter().map(|t| t.name.as_str()).collect();
        let body = json!({"sha256": sha256, "tenants": names, "erasures_replayed": replayed});
        let mut notes = vec![self.platform_note(EntryKind::Restore, body.clone())?];
        for t in &stored {
            notes.push(self.note_for(t, EntryKind::Restore, body.clone())?);
        }
        self.store.queue_audit_notes(&notes).await?;
        Ok(())
    }
}

/// SHA-256 of a file, hex.
fn file_sha256(path: &Path) -> Result<String, CoreError> {
    let mut f = std::fs::File::open(path).map_err(|e| CoreError::io(path.display(), e))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| CoreError::io(path.display(), e))?;
    Ok(hex::encode(h.finalize()))
}

fn sidecars(path: &Path) -> [PathBuf; 3] {
    ["-wal", "-shm", "-journal"].map(|s| PathBuf::from(format!("{}{s}", path.display())))
}

fn remove_sidecars(path: &Path) -> Result<(), CoreError> {
    for p in sidecars(path) {
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(CoreError::io(p.display(), e))
            }
            _ => {}
        }
    }
    Ok(())
}

fn remove_with_sidecars(path: &Path) -> Result<(), CoreError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(CoreError::io(path.display(), e))
        }
        _ => {}
    }
    remove_sidecars(path)
}

fn sync_file(path: &Path) -> Result<(), CoreError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| CoreError::io(path.display(), e))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), CoreError> {
    sync_file(dir)
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), CoreError> {
    Ok(())
}

#[cfg(unix)]
fn restrict_file(path: &Path) -> Result<(), CoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| CoreError::io(path.display(), e))
}

#[cfg(not(unix))]
fn restrict_file(_path: &Path) -> Result<(), CoreError> {
    Ok(())
}

//! Backups that respect erasure.
//!
//! A backup is a consistent copy of the main store alone (`VACUUM INTO`):
//! keys stay in the key directory, so a backup never carries them. Restoring
//! validates the file, replays onto a staging copy every erasure recorded in
//! the key store (the key store outlives the backup and is never restored
//! from it), and only then renames the staging copy over `rapport.db`: a
//! restored backup never brings an erased person back, not even for the
//! time between the rename and the next open.

use std::path::{Path, PathBuf};

use rapport_store::{KeyStore, Store};
use rapport_vault::{Keyring, TenantId, Unlock};
use serde::Serialize;

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
        let tenants = self
            .store
            .tenants()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect();
        tracing::info!(out = %out.display(), bytes, "backup written");
        Ok(BackupReport {
            out: out.to_path_buf(),
            bytes,
            tenants,
            keys_included: false,
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
        // Unlock first: a wrong secret must change nothing.
        let keyring = Keyring::open(&dirs.keyring(), unlock)?;
        for (name, uuid) in &tenants {
            if keyring.tenant(TenantId(*uuid)).is_err() {
                return Err(CoreError::Invalid(format!(
                    "{} holds tenant `{name}`, whose keys are not in this keyring: it is a backup of another data directory",
                    file.display()
                )));
            }
        }
        let keys = KeyStore::open(&dirs.keystore()).await?;

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
                // Restoring runs no plugin.
                cache_key: [0; 32],
                host: std::sync::OnceLock::new(),
            };
            let replayed = platform.replay_erasures().await;
            platform.store.close().await;
            replayed
        }
        .await;
        keys.close().await;
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
        })
    }
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

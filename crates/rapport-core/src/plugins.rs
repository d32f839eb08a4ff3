//! Plugin use cases: the registry of published packages, per-tenant trust
//! and field policy, installations, runs and their replay.
//!
//! Invariants:
//! - A package is verified (publisher signature against the tenant's trusted
//!   keys, every digest of its signed statement) at install **and again at
//!   every load**, and its component digest must equal the one recorded at
//!   install.
//! - A plugin receives only the fields its manifest declared and the
//!   tenant's policy granted; the rest of every record is `none`. Identity,
//!   contact and protected fields are not in the interface at all.
//! - Customer plugins see only the customers whose consent decision allows
//!   the installation's purpose at the run's "as of" instant.
//! - A run is recorded whatever happens to it (succeeded, or failed with the
//!   budget or check that stopped it), with the digests that let it be
//!   replayed: plugin digest, config hash, input hash and output hash.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rapport_domain::time_fmt::{format_instant, parse_date, parse_instant};
use rapport_domain::StakeholderKind;
use rapport_plugin::fields::{FieldSet, Subject};
use rapport_plugin::host::{
    wit, CallError, CallStats, Host, HostOptions, Plugin, Population, Prepared,
};
use rapport_plugin::manifest::validate_config;
use rapport_plugin::package::Package;
use rapport_plugin::signing::PublicKey;
use rapport_plugin::{Limits, PluginKind};
use rapport_store::{
    NewInstallation, OutputRow, StoredInstallation, StoredRun, Tenant, TrustedKey,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::{now, CoreError, EntryKind, Platform};

/// Records scored per call unless a run asks otherwise.
pub const DEFAULT_BATCH: usize = 1000;

/// Stakeholder row ids read per input page.
const PAGE: i64 = 20_000;

/// A package in the data directory's registry.
#[derive(Clone, Debug, Serialize)]
pub struct PublishedPlugin {
    pub id: String,
    pub version: String,
    pub kind: String,
    pub publisher: String,
    pub description: String,
    pub inputs: Vec<String>,
    pub component_digest: String,
    pub signer_key_id: Option<String>,
    pub path: String,
}

/// What `publish` did.
#[derive(Clone, Debug, Serialize)]
pub struct PublishReport {
    pub plugin: PublishedPlugin,
    /// False when the same package was already published.
    pub added: bool,
}

/// A trusted publisher key.
#[derive(Clone, Debug, Serialize)]
pub struct TrustedKeyView {
    pub key_id: String,
    pub public_key: String,
    /// `first-party` for the key built into Rapport, else when it was added.
    pub source: String,
}

/// An installation as shown to operators.
#[derive(Clone, Debug, Serialize)]
pub struct InstallationView {
    pub plugin: String,
    pub version: String,
    pub kind: String,
    pub purpose: String,
    pub component_digest: String,
    pub signer_key_id: String,
    pub config: serde_json::Value,
    pub config_hash: String,
    pub granted_fields: Vec<String>,
    pub withheld_fields: Vec<String>,
    pub limits: Limits,
    pub installed_at: String,
}

/// Options of a run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// The instant the run is "as of" (RFC 3339); now when absent.
    pub as_of: Option<String>,
    pub seed: u64,
    /// Records per `score` call; [`DEFAULT_BATCH`] when absent.
    pub batch: Option<usize>,
}

/// A run as shown to operators.
#[derive(Clone, Debug, Serialize)]
pub struct RunView {
    pub run: String,
    pub tenant: String,
    pub plugin: String,
    pub version: String,
    pub purpose: String,
    pub status: String,
    pub failure: Option<String>,
    pub component_digest: String,
    pub config_hash: String,
    pub input_hash: String,
    pub output_hash: Option<String>,
    pub as_of: String,
    pub seed: u64,
    /// Records the plugin scored.
    pub subjects: u64,
    /// Customers left out because consent does not allow the purpose.
    pub excluded_by_consent: u64,
    /// Score calls (the fit is one more call, not counted here).
    pub batches: u64,
    pub fuel_used: u64,
    pub peak_memory_bytes: u64,
    pub duration_ms: u64,
    pub diagnostics: Vec<String>,
    pub replay_of: Option<String>,
    pub started_at: String,
}

/// What a replay found.
#[derive(Clone, Debug, Serialize)]
pub struct ReplayReport {
    pub run: String,
    pub replay: RunView,
    pub component_matches: bool,
    pub config_matches: bool,
    pub input_matches: bool,
    pub output_matches: bool,
    /// `reproduced`, `input-changed` or `differs`.
    pub verdict: String,
}

/// One stored output.
#[derive(Clone, Debug, Serialize)]
pub struct ScoreView {
    pub subject: String,
    pub score: f64,
    pub label: Option<String>,
    pub values: serde_json::Value,
    pub explanation: serde_json::Value,
}

/// A run's outputs.
#[derive(Clone, Debug, Serialize)]
pub struct ScoresReport {
    pub run: RunView,
    /// How many outputs carry each label, most frequent first.
    pub labels: Vec<(String, i64)>,
    pub outputs: Vec<ScoreView>,
}

fn invalid(msg: impl Into<String>) -> CoreError {
    CoreError::Invalid(msg.into())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Splits `id@version`; the version is optional.
fn parse_spec(spec: &str) -> Result<(&str, Option<&str>), CoreError> {
    let (id, version) = match spec.split_once('@') {
        Some((id, v)) => (id, Some(v)),
        None => (spec, None),
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '+'))
    };
    if !ok(id) || version.is_some_and(|v| !ok(v)) {
        return Err(invalid(format!(
            "`{spec}` is not a plugin reference (expected ID or ID@VERSION, e.g. rfm@0.1.0)"
        )));
    }
    Ok((id, version))
}

/// Orders versions numerically by their dotted parts (pre-releases after
/// the plain part, by text).
fn version_key(v: &str) -> (Vec<u64>, String) {
    let (core, pre) = v.split_once('-').unwrap_or((v, "~"));
    (
        core.split('.').map(|p| p.parse().unwrap_or(0)).collect(),
        pre.to_owned(),
    )
}

fn date_seconds(s: &str) -> Option<i64> {
    parse_date(s)
        .ok()
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .or_else(|| parse_instant(s).ok().map(|t| t.unix_timestamp()))
}

fn instant_seconds(s: &str) -> Option<i64> {
    parse_instant(s)
        .ok()
        .map(|t| t.unix_timestamp())
        .or_else(|| date_seconds(s))
}

/// The built-in first-party publisher keys.
pub fn first_party_keys() -> Vec<PublicKey> {
    rapport_plugin::FIRST_PARTY_PUBLIC_KEYS
        .iter()
        .filter_map(|k| PublicKey::parse(k).ok())
        .collect()
}

impl Platform {
    /// The plugin host, created on first use. Compiled components are cached
    /// under `DATA_DIR/plugins/cache`, authenticated with a key derived from
    /// the keyring.
    pub(crate) fn plugin_host(&self) -> Result<Host, CoreError> {
        if let Some(h) = self.host.get() {
            return Ok(h.clone());
        }
        let host = Host::new(HostOptions {
            cache_dir: Some(self.dirs.data.join("plugins").join("cache")),
            cache_key: self.cache_key,
        })
        .map_err(|e| invalid(format!("could not start the plugin host: {e}")))?;
        Ok(self.host.get_or_init(|| host).clone())
    }

    /// The registry folder of published packages.
    pub fn registry_dir(&self) -> PathBuf {
        self.dirs.data.join("plugins").join("registry")
    }

    fn registry_path(&self, id: &str, version: &str) -> PathBuf {
        self.registry_dir().join(id).join(format!("{version}.rpkg"))
    }

    /// Publishes a signed package into the registry. Published versions are
    /// immutable: the same bytes again is a no-op, different bytes under a
    /// published version are refused. With `key`, the signature is checked
    /// against it first.
    fn publish_into_registry(
        &self,
        package: &Path,
        key: Option<&PublicKey>,
    ) -> Result<PublishReport, CoreError> {
        let pkg = Package::read(package).map_err(|e| invalid(e.to_string()))?;
        if pkg.signature().is_none() {
            return Err(invalid(format!(
                "{}: package is not signed (run `rapport plugin sign` first)",
                package.display()
            )));
        }
        let signer = match key {
            Some(k) => Some(
                pkg.verify(std::slice::from_ref(k))
                    .map_err(|e| invalid(format!("{}: {e}", package.display())))?
                    .signer_key_id,
            ),
            None => None,
        };
        let m = pkg.manifest();
        let dest = self.registry_path(&m.id, &m.version);
        let bytes = pkg.to_bytes();
        let added = match std::fs::read(&dest) {
            Ok(existing) if existing == bytes => false,
            Ok(_) => {
                return Err(invalid(format!(
                    "{}@{} is already published with different content; publish a new version",
                    m.id, m.version
                )))
            }
            Err(_) => {
                if let Some(dir) = dest.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| CoreError::io(dir.display(), e))?;
                }
                pkg.write(&dest).map_err(|e| invalid(e.to_string()))?;
                true
            }
        };
        Ok(PublishReport {
            plugin: published_view(&pkg, signer, &dest),
            added,
        })
    }

    /// Publishes a signed package into the registry (see
    /// `publish_into_registry`) and records the publication in the
    /// platform's audit log; a package published again, unchanged, is not
    /// recorded twice.
    pub async fn publish_plugin(
        &self,
        package: &Path,
        key: Option<&PublicKey>,
    ) -> Result<PublishReport, CoreError> {
        let report = self.publish_into_registry(package, key)?;
        if report.added {
            let p = &report.plugin;
            let package_sha256 = std::fs::read(&p.path)
                .map(|b| sha256_hex(&b))
                .map_err(|e| CoreError::io(&p.path, e))?;
            let note = self.platform_note(
                EntryKind::PluginPublish,
                serde_json::json!({
                    "plugin": p.id,
                    "version": p.version,
                    "plugin_kind": p.kind,
                    "component_digest": p.component_digest,
                    "package_sha256": package_sha256,
                    "signer_key_id": p.signer_key_id,
                    "inputs": p.inputs,
                }),
            )?;
            self.record_notes(&[note]).await?;
        }
        Ok(report)
    }

    /// Publishes the first-party packages built into this binary.
    pub async fn publish_first_party(&self) -> Result<Vec<PublishReport>, CoreError> {
        let keys = first_party_keys();
        let mut out = Vec::new();
        for (name, bytes) in rapport_plugin::FIRST_PARTY_PACKAGES {
            let dir = tempfile::tempdir().map_err(|e| CoreError::io("temporary folder", e))?;
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).map_err(|e| CoreError::io(path.display(), e))?;
            let pkg = Package::read(&path).map_err(|e| invalid(e.to_string()))?;
            pkg.verify(&keys)
                .map_err(|e| invalid(format!("built-in package {name}: {e}")))?;
            let key = keys.first();
            out.push(self.publish_plugin(&path, key).await?);
        }
        Ok(out)
    }

    /// Every package in the registry, by id then version.
    pub fn published_plugins(&self) -> Result<Vec<PublishedPlugin>, CoreError> {
        let mut out = Vec::new();
        let root = self.registry_dir();
        let Ok(ids) = std::fs::read_dir(&root) else {
            return Ok(out);
        };
        let mut paths = Vec::new();
        for id in ids.flatten() {
            if let Ok(versions) = std::fs::read_dir(id.path()) {
                for v in versions.flatten() {
                    if v.path().extension().is_some_and(|e| e == "rpkg") {
                        paths.push(v.path());
                    }
                }
            }
        }
        for p in paths {
            let pkg = Package::read(&p).map_err(|e| invalid(e.to_string()))?;
            out.push(published_view(&pkg, None, &p));
        }
        out.sort_by(|a, b| {
            (a.id.as_str(), version_key(&a.version)).cmp(&(b.id.as_str(), version_key(&b.version)))
        });
        Ok(out)
    }

    fn latest_version(&self, id: &str) -> Result<String, CoreError> {
        self.published_plugins()?
            .into_iter()
            .filter(|p| p.id == id)
            .map(|p| p.version)
            .max_by_key(|v| version_key(v))
            .ok_or_else(|| {
                invalid(format!(
                    "plugin `{id}` is not published in this data directory (see `rapport plugin list --registry`)"
                ))
            })
    }

    async fn trusted(&self, tenant: &Tenant) -> Result<Vec<PublicKey>, CoreError> {
        let mut keys = first_party_keys();
        for k in self.store.trusted_keys(tenant).await? {
            keys.push(PublicKey::parse(&k.public_key).map_err(|e| {
                invalid(format!(
                    "stored trusted key {} does not parse: {e}",
                    k.key_id
                ))
            })?);
        }
        Ok(keys)
    }

    /// Trusts a publisher key for a tenant; returns its key id.
    pub async fn trust_publisher(&self, tenant: &str, key_text: &str) -> Result<String, CoreError> {
        let tenant = self.store.tenant(tenant).await?;
        let key = PublicKey::parse(key_text)
            .map_err(|e| invalid(format!("not a publisher public key: {e}")))?;
        let id = key.key_id();
        self.store
            .trust_key(
                &tenant,
                &TrustedKey {
                    key_id: id.clone(),
                    public_key: key.to_text(),
                    added_at: now(),
                },
            )
            .await?;
        Ok(id)
    }

    /// Stops trusting a key; installed plugins it signed no longer load.
    pub async fn distrust_publisher(&self, tenant: &str, key_id: &str) -> Result<bool, CoreError> {
        let tenant = self.store.tenant(tenant).await?;
        Ok(self.store.distrust_key(&tenant, key_id).await?)
    }

    /// The keys a tenant trusts, the built-in first-party key first.
    pub async fn trusted_publishers(&self, tenant: &str) -> Result<Vec<TrustedKeyView>, CoreError> {
        let tenant = self.store.tenant(tenant).await?;
        let mut out: Vec<TrustedKeyView> = first_party_keys()
            .into_iter()
            .map(|k| TrustedKeyView {
                key_id: k.key_id(),
                public_key: k.to_text(),
                source: "first-party".to_owned(),
            })
            .collect();
        for k in self.store.trusted_keys(&tenant).await? {
            out.push(TrustedKeyView {
                key_id: k.key_id,
                public_key: k.public_key,
                source: format!("added {}", k.added_at),
            });
        }
        Ok(out)
    }

    /// Sets the fields no plugin of the tenant may read (on top of those no
    /// plugin ever reads). Returns the new list.
    pub async fn set_plugin_field_policy(
        &self,
        tenant: &str,
        denied: &[String],
    ) -> Result<Vec<String>, CoreError> {
        let tenant = self.store.tenant(tenant).await?;
        let mut names = Vec::new();
        for d in denied {
            let f = rapport_plugin::fields::lookup(d).map_err(|e| invalid(e.to_string()))?;
            names.push(f.name);
        }
        names.sort_unstable();
        names.dedup();
        self.store
            .set_denied_fields(&tenant, &names, &now())
            .await?;
        Ok(names.into_iter().map(str::to_owned).collect())
    }

    /// The fields a tenant refuses to grant.
    pub async fn plugin_field_policy(&self, tenant: &str) -> Result<Vec<String>, CoreError> {
        let tenant = self.store.tenant(tenant).await?;
        Ok(self.store.denied_fields(&tenant).await?)
    }

    /// Reads a registry package and verifies it for a tenant.
    async fn verified_package(
        &self,
        tenant: &Tenant,
        id: &str,
        version: &str,
    ) -> Result<(Package, rapport_plugin::package::Verified), CoreError> {
        let path = self.registry_path(id, version);
        if !path.exists() {
            return Err(invalid(format!(
                "{id}@{version} is not published in this data directory (see `rapport plugin list --registry`)"
            )));
        }
        let pkg = Package::read(&path).map_err(|e| invalid(format!("{id}@{version}: {e}")))?;
        let trusted = self.trusted(tenant).await?;
        let verified = pkg
            .verify(&trusted)
            .map_err(|e| invalid(format!("{id}@{version} refused: {e}")))?;
        Ok((pkg, verified))
    }

    /// Installs a published plugin for a tenant under a processing purpose.
    /// The signature is checked against the tenant's trusted keys, the
    /// configuration against the plugin's schema, limits against the
    /// manifest's maximum, and the component is compiled and its imports
    /// checked before anything is recorded.
    pub async fn install_plugin(
        &self,
        tenant: &str,
        spec: &str,
        purpose: &str,
        config: Option<serde_json::Value>,
        limits: Option<Limits>,
    ) -> Result<InstallationView, CoreError> {
        let t = self.store.tenant(tenant).await?;
        let (id, version) = parse_spec(spec)?;
        let version = match version {
            Some(v) => v.to_owned(),
            None => self.latest_version(id)?,
        };
        let (pkg, verified) = self.verified_package(&t, id, &version).await?;
        let m = pkg.manifest();
        let registry = rapport_domain::consent::PurposeRegistry::default_policy()
            .map_err(|e| invalid(e.to_string()))?;
        if registry.get(purpose).is_none() {
            let known: Vec<&str> = registry.purposes().iter().map(|p| p.id.as_str()).collect();
            return Err(invalid(format!(
                "unknown purpose `{purpose}` (expected one of: {})",
                known.join(", ")
            )));
        }
        let config = match config {
            Some(c) => c,
            None => pkg.default_config().cloned().ok_or_else(|| {
                invalid(format!(
                    "{id}@{version} has no default configuration: give one with --config FILE"
                ))
            })?,
        };
        validate_config(pkg.config_schema(), &config)
            .map_err(|e| invalid(format!("configuration refused by {id}'s schema: {e}")))?;
        let limits = limits.unwrap_or(m.limits_default);
        check_limits(&limits, &m.limits_max)?;
        // Compile now, so that a component with forbidden imports or of the
        // wrong kind is refused here and not at the first run.
        let plugin = self
            .plugin_host()?
            .load(m.kind, pkg.component())
            .map_err(|e| invalid(format!("{id}@{version} refused: {e}")))?;
        check_wit(&plugin, m).map_err(|e| invalid(format!("{id}@{version} refused: {e}")))?;
        let denied = self.store.denied_fields(&t).await?;
        let allowed: Vec<&str> = FieldSet::all_of(m.kind.subject())
            .names()
            .iter()
            .copied()
            .filter(|n| !denied.iter().any(|d| d == n))
            .collect();
        let allowed =
            FieldSet::parse(allowed, m.kind.subject()).map_err(|e| invalid(e.to_string()))?;
        let granted = m.inputs.intersect(&allowed);
        let withheld: Vec<&str> = m
            .inputs
            .names()
            .iter()
            .copied()
            .filter(|n| !granted.contains(n))
            .collect();
        let config_text = serde_json::to_string(&config).map_err(|e| invalid(e.to_string()))?;
        let config_hash = sha256_hex(config_text.as_bytes());
        let granted_json =
            serde_json::to_string(granted.names()).map_err(|e| invalid(e.to_string()))?;
        let withheld_json = serde_json::to_string(&withheld).map_err(|e| invalid(e.to_string()))?;
        let limits_json = serde_json::to_string(&limits).map_err(|e| invalid(e.to_string()))?;
        let at = now();
        // Installing over a current installation of the same plugin is an
        // upgrade (or a change of version) and says what it replaced.
        let previous = self
            .store
            .installations(&t)
            .await?
            .into_iter()
            .find(|i| i.plugin_id == m.id);
        let (kind, previous) = match previous {
            Some(p) => (
                EntryKind::PluginUpgrade,
                serde_json::json!({"version": p.version, "component_digest": p.component_digest}),
            ),
            None => (EntryKind::PluginInstall, serde_json::Value::Null),
        };
        let body = serde_json::json!({
            "plugin": m.id,
            "version": m.version,
            "plugin_kind": m.kind.as_str(),
            "component_digest": verified.component_digest,
            "statement_digest": verified.statement_digest,
            "signer_key_id": verified.signer_key_id,
            "purpose": purpose,
            "config_sha256": config_hash,
            "granted_fields": granted.names(),
            "withheld_fields": withheld,
            "limits": limits,
            "previous": previous,
        });
        self.store
            .install_plugin(
                &t,
                &NewInstallation {
                    plugin_id: &m.id,
                    version: &m.version,
                    kind: m.kind.as_str(),
                    component_digest: &verified.component_digest,
                    statement_digest: &verified.statement_digest,
                    signer_key_id: &verified.signer_key_id,
                    purpose,
                    config: &config_text,
                    config_hash: &config_hash,
                    granted_fields: &granted_json,
                    withheld_fields: &withheld_json,
                    limits: &limits_json,
                    installed_at: &at,
                },
                |installation| {
                    let mut body = body;
                    body["installation"] = installation.into();
                    self.notes_in_tx(&t, kind, body)
                },
            )
            .await?;
        self.flush_after_commit().await;
        tracing::info!(tenant = %t.name, plugin = %m.id, version = %m.version, "plugin installed");
        let current = self.current_installation(&t, &m.id).await?;
        installation_view(&current)
    }

    /// Installs another version of an installed plugin with the same purpose,
    /// configuration and limits (checked again against the new version).
    pub async fn upgrade_plugin(
        &self,
        tenant: &str,
        plugin: &str,
        version: Option<&str>,
    ) -> Result<InstallationView, CoreError> {
        let t = self.store.tenant(tenant).await?;
        let current = self.current_installation(&t, plugin).await?;
        let version = match version {
            Some(v) => v.to_owned(),
            None => self.latest_version(plugin)?,
        };
        if version == current.version {
            return Err(invalid(format!("{plugin}@{version} is already installed")));
        }
        let config: serde_json::Value =
            serde_json::from_str(&current.config).map_err(|e| invalid(e.to_string()))?;
        let limits: Limits =
            serde_json::from_str(&current.limits).map_err(|e| invalid(e.to_string()))?;
        self.install_plugin(
            tenant,
            &format!("{plugin}@{version}"),
            &current.purpose,
            Some(config),
            Some(limits),
        )
        .await
    }

    /// Removes a plugin from a tenant (its runs and outputs stay).
    pub async fn uninstall_plugin(&self, tenant: &str, plugin: &str) -> Result<(), CoreError> {
        let t = self.store.tenant(tenant).await?;
        let current = self
            .store
            .installations(&t)
            .await?
            .into_iter()
            .find(|i| i.plugin_id == plugin);
        let note = match &current {
            Some(i) => vec![self.note_for(
                &t,
                EntryKind::PluginUninstall,
                serde_json::json!({
                    "plugin": i.plugin_id,
                    "version": i.version,
                    "component_digest": i.component_digest,
                    "purpose": i.purpose,
                    "installation": i.id,
                }),
            )?],
            None => Vec::new(),
        };
        if !self
            .store
            .uninstall_plugin(&t, plugin, &now(), &note)
            .await?
        {
            return Err(invalid(format!(
                "plugin `{plugin}` is not installed for tenant `{tenant}`"
            )));
        }
        self.flush_after_commit().await;
        Ok(())
    }

    /// The tenant's installations.
    pub async fn installed_plugins(
        &self,
        tenant: &str,
    ) -> Result<Vec<InstallationView>, CoreError> {
        let t = self.store.tenant(tenant).await?;
        self.store
            .installations(&t)
            .await?
            .iter()
            .map(installation_view)
            .collect()
    }

    async fn current_installation(
        &self,
        tenant: &Tenant,
        plugin: &str,
    ) -> Result<StoredInstallation, CoreError> {
        self.store
            .installations(tenant)
            .await?
            .into_iter()
            .find(|i| i.plugin_id == plugin)
            .ok_or_else(|| {
                invalid(format!(
                    "plugin `{plugin}` is not installed for tenant `{}` (see `rapport plugin list --tenant {}`)",
                    tenant.name, tenant.name
                ))
            })
    }

    /// Loads an installation's component: the package is verified again and
    /// its component digest must equal the installed one.
    async fn load_installed(
        &self,
        tenant: &Tenant,
        inst: &StoredInstallation,
    ) -> Result<(Plugin, PluginKind), CoreError> {
        let (pkg, verified) = self
            .verified_package(tenant, &inst.plugin_id, &inst.version)
            .await?;
        if verified.component_digest != inst.component_digest {
            return Err(invalid(format!(
                "{}@{}: the published component (sha256:{}) is not the one installed (sha256:{}); reinstall it",
                inst.plugin_id, inst.version, verified.component_digest, inst.component_digest
            )));
        }
        let kind = pkg.manifest().kind;
        let plugin = self
            .plugin_host()?
            .load(kind, pkg.component())
            .map_err(|e| invalid(format!("{}@{}: {e}", inst.plugin_id, inst.version)))?;
        check_wit(&plugin, pkg.manifest())
            .map_err(|e| invalid(format!("{}@{}: {e}", inst.plugin_id, inst.version)))?;
        if plugin.digest() != inst.component_digest {
            return Err(invalid(format!(
                "{}@{}: loaded component digest differs from the installed one",
                inst.plugin_id, inst.version
            )));
        }
        Ok((plugin, kind))
    }

    /// Runs an installed plugin over the tenant's population: fit once, then
    /// score in batches, and store the outputs with the run record.
    pub async fn run_plugin(
        &self,
        tenant: &str,
        plugin: &str,
        opts: &RunOptions,
    ) -> Result<RunView, CoreError> {
        let t = self.store.tenant(tenant).await?;
        let inst = self.current_installation(&t, plugin).await?;
        let as_of = match &opts.as_of {
            Some(s) => parse_instant(s).map_err(|e| invalid(format!("--as-of: {e}")))?,
            None => OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or(OffsetDateTime::now_utc()),
        };
        let outcome = self
            .execute(
                &t,
                &inst,
                as_of,
                opts.seed,
                opts.batch.unwrap_or(DEFAULT_BATCH),
                PreviousRun::Latest,
            )
            .await?;
        let run = outcome.record(&t, &inst, None);
        let note = self.note_for(&t, EntryKind::Run, run_body(&run))?;
        self.store
            .record_run(&t, &run, &outcome.rows, &[note])
            .await?;
        self.flush_after_commit().await;
        tracing::info!(tenant = %t.name, plugin = %inst.plugin_id, run = %run.id, status = %run.status, "plugin run recorded");
        run_view(&t, &run)
    }

    /// Recomputes a run from its pins (component digest, configuration, "as
    /// of" instant, seed) and compares the hashes. The replay is recorded as
    /// a run of its own, without outputs.
    pub async fn replay_run(&self, tenant: &str, run_id: &str) -> Result<ReplayReport, CoreError> {
        let t = self.store.tenant(tenant).await?;
        let original = self.store.run(&t, run_id).await?.ok_or_else(|| {
            invalid(format!(
                "run `{run_id}` does not exist in tenant `{tenant}`"
            ))
        })?;
        let inst = self
            .store
            .installation(&t, original.installation_id)
            .await?
            .ok_or_else(|| invalid(format!("the installation of run `{run_id}` is gone")))?;
        let as_of = parse_instant(&original.as_of).map_err(CoreError::Invalid)?;
        let batch = usize::try_from(original.subjects)
            .ok()
            .zip(usize::try_from(original.batches).ok())
            .filter(|(_, b)| *b > 0)
            .map_or(DEFAULT_BATCH, |(s, b)| s.div_ceil(b).max(1));
        let seed = u64::from_ne_bytes(original.seed.to_ne_bytes());
        let previous = PreviousRun::Pinned(original.previous_run.as_deref());
        let outcome = self
            .execute(&t, &inst, as_of, seed, batch, previous)
            .await?;
        let replay = outcome.record(&t, &inst, Some(run_id));
        let component_matches = replay.component_digest == original.component_digest;
        let config_matches = replay.config_hash == original.config_hash;
        let input_matches = replay.input_hash == original.input_hash;
        let output_matches =
            replay.output_hash.is_some() && replay.output_hash == original.output_hash;
        let verdict = if output_matches && input_matches && component_matches && config_matches {
            "reproduced"
        } else if !input_matches {
            "input-changed"
        } else {
            "differs"
        };
        let mut body = run_body(&replay);
        body["verdict"] = verdict.into();
        let note = self.note_for(&t, EntryKind::Replay, body)?;
        self.store.record_run(&t, &replay, &[], &[note]).await?;
        self.flush_after_commit().await;
        Ok(ReplayReport {
            run: run_id.to_owned(),
            replay: run_view(&t, &replay)?,
            component_matches,
            config_matches,
            input_matches,
            output_matches,
            verdict: verdict.to_owned(),
        })
    }

    /// The tenant a run belongs to (run ids are unique across tenants).
    pub async fn tenant_of_run(&self, run_id: &str) -> Result<String, CoreError> {
        for t in self.store.tenants().await? {
            if self.store.run(&t, run_id).await?.is_some() {
                return Ok(t.name);
            }
        }
        Err(invalid(format!(
            "run `{run_id}` does not exist in any tenant"
        )))
    }

    /// The tenant's runs, newest first.
    pub async fn plugin_runs(&self, tenant: &str) -> Result<Vec<RunView>, CoreError> {
        let t = self.store.tenant(tenant).await?;
        self.store
            .runs(&t)
            .await?
            .iter()
            .map(|r| run_view(&t, r))
            .collect()
    }

    /// A run with its outputs (at most `limit`).
    pub async fn run_scores(
        &self,
        tenant: &str,
        run_id: &str,
        limit: Option<u64>,
    ) -> Result<ScoresReport, CoreError> {
        let t = self.store.tenant(tenant).await?;
        let run = self.store.run(&t, run_id).await?.ok_or_else(|| {
            invalid(format!(
                "run `{run_id}` does not exist in tenant `{tenant}`"
            ))
        })?;
        let outputs = self
            .store
            .run_outputs(&t, run_id, limit)
            .await?
            .into_iter()
            .map(|o| ScoreView {
                subject: o.external_id,
                score: o.score,
                label: o.label,
                values: serde_json::from_str(&o.named_values).unwrap_or(serde_json::Value::Null),
                explanation: serde_json::from_str(&o.explanation)
                    .unwrap_or(serde_json::Value::Null),
            })
            .collect();
        Ok(ScoresReport {
            run: run_view(&t, &run)?,
            labels: self.store.run_label_counts(&t, run_id).await?,
            outputs,
        })
    }

    /// The outputs of the run a new run reads as `previous.*`: none unless
    /// one of those fields is granted; then the latest successful run of the
    /// plugin for a new run, or the run the original pinned for a replay.
    async fn previous_outputs(
        &self,
        t: &Tenant,
        inst: &StoredInstallation,
        granted: &FieldSet,
        which: PreviousRun<'_>,
    ) -> Result<PreviousOutputs, CoreError> {
        let mut out = PreviousOutputs::default();
        if !granted.any_in("previous") {
            return Ok(out);
        }
        let run = match which {
            PreviousRun::Latest => self
                .store
                .latest_succeeded_run(t, &inst.plugin_id)
                .await?
                .map(|r| (r.id, r.as_of)),
            PreviousRun::Pinned(None) => None,
            PreviousRun::Pinned(Some(id)) => {
                let run = self.store.run(t, id).await?.ok_or_else(|| {
                    invalid(format!(
                        "the run `{id}` whose outputs this run read as its previous outputs is gone"
                    ))
                })?;
                Some((run.id, run.as_of))
            }
        };
        let Some((id, as_of)) = run else {
            return Ok(out);
        };
        let as_of = instant_seconds(&as_of);
        let (with_as_of, with_score, with_label) = (
            granted.contains("previous.as_of"),
            granted.contains("previous.score"),
            granted.contains("previous.label"),
        );
        for (stakeholder, score, label) in self.store.run_scores(t, &id).await? {
            out.by_subject.insert(
                stakeholder,
                wit::Previous {
                    as_of: as_of.filter(|_| with_as_of),
                    score: with_score.then_some(score),
                    label: label.filter(|_| with_label),
                },
            );
        }
        out.run = Some(id);
        Ok(out)
    }

    /// Loads, filters and scores; never records anything itself.
    async fn execute(
        &self,
        t: &Tenant,
        inst: &StoredInstallation,
        as_of: OffsetDateTime,
        seed: u64,
        batch: usize,
        previous: PreviousRun<'_>,
    ) -> Result<Outcome, CoreError> {
        let started_at = now();
        let started = Instant::now();
        let (plugin, kind) = self.load_installed(t, inst).await?;
        let names: Vec<String> =
            serde_json::from_str(&inst.granted_fields).map_err(|e| invalid(e.to_string()))?;
        let granted = FieldSet::parse(names.iter().map(String::as_str), kind.subject())
            .map_err(|e| invalid(e.to_string()))?;
        let limits: Limits =
            serde_json::from_str(&inst.limits).map_err(|e| invalid(e.to_string()))?;
        let ctx = wit::Context {
            config: inst.config.clone(),
            as_of: as_of.unix_timestamp(),
            seed,
        };
        let previous = self.previous_outputs(t, inst, &granted, previous).await?;
        let (population, excluded) = match kind.subject() {
            Subject::Customer => {
                let mut allowed = HashSet::new();
                let mut excluded = 0u64;
                self.decide_every_customer(t, &inst.purpose, as_of, |s, d| {
                    if d.allowed && !s.erased {
                        allowed.insert(s.id);
                    } else if !s.erased {
                        excluded += 1;
                    }
                })
                .await?;
                let customers = self
                    .customers_input(t, &granted, &allowed, as_of, &previous)
                    .await?;
                (Input::Customers(customers), excluded)
            }
            Subject::Supplier => (
                Input::Suppliers(self.suppliers_input(t, &granted, as_of, &previous).await?),
                0,
            ),
        };
        let input_hash = population.hash(&ctx)?;
        let subjects = population.len() as u64;
        let ctx2 = ctx.clone();
        let scored = tokio::task::spawn_blocking(move || {
            score_all(&plugin, &ctx2, &population, &limits, batch)
        })
        .await
        .map_err(|_| CoreError::ReaderStopped)?;
        Ok(Outcome {
            started_at,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            component_digest: inst.component_digest.clone(),
            config_hash: inst.config_hash.clone(),
            input_hash,
            as_of: format_instant(as_of),
            seed,
            subjects,
            excluded,
            batches: scored.batches,
            fuel_used: scored.fuel_used,
            peak_memory: scored.peak_memory,
            failure: scored.failure,
            diagnostics: scored.diagnostics,
            output_hash: scored.output_hash,
            rows: scored.rows,
            previous_run: previous.run,
        })
    }

    /// Builds the customers a plugin receives: only allowed, unerased
    /// customers, only granted fields, only records dated up to "as of".
    async fn customers_input(
        &self,
        t: &Tenant,
        granted: &FieldSet,
        allowed: &HashSet<i64>,
        as_of: OffsetDateTime,
        previous: &PreviousOutputs,
    ) -> Result<Vec<wit::Customer>, CoreError> {
        let until_date = rapport_domain::time_fmt::format_date(as_of.date());
        let until_instant = format_instant(as_of);
        // Which fields are granted, decided once rather than per record.
        let any_purchases = granted.any_in("purchases");
        let any_transactions = granted.any_in("transactions");
        let any_interactions = granted.any_in("interactions");
        let any_referrals = granted.any_in("referrals");
        let has_customer_country = granted.contains("customer.country");
        let has_customer_region = granted.contains("customer.region");
        let has_customer_signup = granted.contains("customer.signup");
        let has_interactions_at = granted.contains("interactions.at");
        let has_interactions_channel = granted.contains("interactions.channel");
        let has_interactions_kind = granted.contains("interactions.kind");
        let has_interactions_nps = granted.contains("interactions.nps");
        let has_interactions_sentiment = granted.contains("interactions.sentiment");
        let has_purchases_count = granted.contains("purchases.count");
        let has_purchases_days = granted.contains("purchases.days");
        let has_purchases_first = granted.contains("purchases.first");
        let has_purchases_last = granted.contains("purchases.last");
        let has_purchases_total_amount = granted.contains("purchases.total_amount");
        let has_purchases_total_quantity = granted.contains("purchases.total_quantity");
        let has_referrals_at = granted.contains("referrals.at");
        let has_referrals_referred = granted.contains("referrals.referred");
        let has_transactions_amount = granted.contains("transactions.amount");
        let has_transactions_at = granted.contains("transactions.at");
        let has_transactions_channel = granted.contains("transactions.channel");
        let has_transactions_quantity = granted.contains("transactions.quantity");
        let max = self.store.max_stakeholder_row(t).await?;
        let mut out = Vec::with_capacity(allowed.len());
        let mut after = 0;
        while after < max {
            let until = after + PAGE;
            let members = self
                .store
                .population_page(t, StakeholderKind::Customer, after, until)
                .await?;
            let summaries = if any_purchases {
                self.store
                    .purchase_summaries(t, after, until, &until_date)
                    .await?
            } else {
                Vec::new()
            };
            let txns = if any_transactions {
                self.store
                    .transaction_lines(t, after, until, &until_date)
                    .await?
            } else {
                Vec::new()
            };
            let inters = if any_interactions {
                self.store
                    .interaction_lines(t, after, until, &until_instant)
                    .await?
            } else {
                Vec::new()
            };
            let refs = if any_referrals {
                self.store
                    .referral_lines(t, after, until, &until_date)
                    .await?
            } else {
                Vec::new()
            };
            let mut summaries = summaries.into_iter().peekable();
            let mut txns = txns.into_iter().peekable();
            let mut inters = inters.into_iter().peekable();
            let mut refs = refs.into_iter().peekable();
            for m in members {
                let summary = skip_to(&mut summaries, m.id, |s| s.stakeholder_id).pop();
                let my_txns = skip_to(&mut txns, m.id, |l| l.stakeholder_id);
                let my_inters = skip_to(&mut inters, m.id, |l| l.stakeholder_id);
                let my_refs = skip_to(&mut refs, m.id, |l| l.referrer_id);
                if m.erased || !allowed.contains(&m.id) {
                    continue;
                }
                let purchases = wit::Purchases {
                    count: summary
                        .as_ref()
                        .filter(|_| has_purchases_count)
                        .map(|s| s.count)
                        .or(has_purchases_count.then_some(0)),
                    days: summary
                        .as_ref()
                        .filter(|_| has_purchases_days)
                        .map(|s| s.days)
                        .or(has_purchases_days.then_some(0)),
                    first: summary
                        .as_ref()
                        .filter(|_| has_purchases_first)
                        .and_then(|s| date_seconds(&s.first)),
                    last: summary
                        .as_ref()
                        .filter(|_| has_purchases_last)
                        .and_then(|s| date_seconds(&s.last)),
                    total_amount: summary
                        .as_ref()
                        .filter(|_| has_purchases_total_amount)
                        .map(|s| s.total_amount)
                        .or(has_purchases_total_amount.then_some(0.0)),
                    total_quantity: summary
                        .as_ref()
                        .filter(|_| has_purchases_total_quantity)
                        .map(|s| s.total_quantity)
                        .or(has_purchases_total_quantity.then_some(0)),
                };
                out.push(wit::Customer {
                    subject: u64::try_from(m.id).unwrap_or_default(),
                    signup: m
                        .signup_date
                        .as_deref()
                        .filter(|_| has_customer_signup)
                        .and_then(date_seconds),
                    country: m.country.filter(|_| has_customer_country),
                    region: m.region.filter(|_| has_customer_region),
                    purchases,
                    transactions: any_transactions.then(|| {
                        my_txns
                            .into_iter()
                            .map(|l| wit::Transaction {
                                at: has_transactions_at.then(|| date_seconds(&l.date)).flatten(),
                                amount: has_transactions_amount.then_some(l.amount),
                                quantity: has_transactions_quantity.then_some(l.quantity),
                                channel: l.channel.filter(|_| has_transactions_channel),
                            })
                            .collect()
                    }),
                    interactions: any_interactions.then(|| {
                        my_inters
                            .into_iter()
                            .map(|l| wit::Interaction {
                                at: has_interactions_at
                                    .then(|| instant_seconds(&l.occurred_at))
                                    .flatten(),
                                kind: has_interactions_kind.then_some(l.kind),
                                channel: l.channel.filter(|_| has_interactions_channel),
                                nps: l.nps.filter(|_| has_interactions_nps),
                                sentiment: l.sentiment.filter(|_| has_interactions_sentiment),
                            })
                            .collect()
                    }),
                    referrals: any_referrals.then(|| {
                        my_refs
                            .into_iter()
                            .map(|l| wit::Referral {
                                referred: has_referrals_referred
                                    .then(|| u64::try_from(l.referred_id).unwrap_or_default()),
                                at: has_referrals_at.then(|| date_seconds(&l.date)).flatten(),
                            })
                            .collect()
                    }),
                    previous: previous.by_subject.get(&m.id).cloned(),
                });
            }
            after = until;
        }
        Ok(out)
    }

    /// Builds the suppliers a supplier rater receives.
    async fn suppliers_input(
        &self,
        t: &Tenant,
        granted: &FieldSet,
        as_of: OffsetDateTime,
        previous: &PreviousOutputs,
    ) -> Result<Vec<wit::Supplier>, CoreError> {
        let until_date = rapport_domain::time_fmt::format_date(as_of.date());
        // Which fields are granted, decided once rather than per record.
        let any_deliveries = granted.any_in("deliveries");
        let has_deliveries_agreed_unit_price = granted.contains("deliveries.agreed_unit_price");
        let has_deliveries_delivered = granted.contains("deliveries.delivered");
        let has_deliveries_ordered = granted.contains("deliveries.ordered");
        let has_deliveries_promised = granted.contains("deliveries.promised");
        let has_deliveries_quantity_accepted = granted.contains("deliveries.quantity_accepted");
        let has_deliveries_quantity_delivered = granted.contains("deliveries.quantity_delivered");
        let has_deliveries_quantity_ordered = granted.contains("deliveries.quantity_ordered");
        let has_deliveries_response_hours = granted.contains("deliveries.response_hours");
        let has_deliveries_unit_price = granted.contains("deliveries.unit_price");
        let has_supplier_category = granted.contains("supplier.category");
        let has_supplier_country = granted.contains("supplier.country");
        let max = self.store.max_stakeholder_row(t).await?;
        let mut out = Vec::new();
        let mut after = 0;
        while after < max {
            let until = after + PAGE;
            let members = self
                .store
                .population_page(t, StakeholderKind::Supplier, after, until)
                .await?;
            let lines = if any_deliveries {
                self.store
                    .delivery_lines(t, after, until, &until_date)
                    .await?
            } else {
                Vec::new()
            };
            let mut lines = lines.into_iter().peekable();
            for m in members {
                let mine = skip_to(&mut lines, m.id, |l| l.stakeholder_id);
                if m.erased {
                    continue;
                }
                out.push(wit::Supplier {
                    subject: u64::try_from(m.id).unwrap_or_default(),
                    category: m.category.filter(|_| has_supplier_category),
                    country: m.country.filter(|_| has_supplier_country),
                    deliveries: any_deliveries.then(|| {
                        mine.into_iter()
                            .map(|l| wit::Delivery {
                                ordered: has_deliveries_ordered
                                    .then(|| date_seconds(&l.order_date))
                                    .flatten(),
                                promised: has_deliveries_promised
                                    .then(|| date_seconds(&l.promised_date))
                                    .flatten(),
                                delivered: l
                                    .delivered_date
                                    .as_deref()
                                    .filter(|_| has_deliveries_delivered)
                                    .and_then(date_seconds),
                                quantity_ordered: has_deliveries_quantity_ordered
                                    .then_some(l.quantity_ordered),
                                quantity_delivered: has_deliveries_quantity_delivered
                                    .then_some(l.quantity_delivered),
                                quantity_accepted: has_deliveries_quantity_accepted
                                    .then_some(l.quantity_accepted),
                                unit_price: has_deliveries_unit_price.then_some(l.unit_price),
                                agreed_unit_price: l
                                    .agreed_unit_price
                                    .filter(|_| has_deliveries_agreed_unit_price),
                                response_hours: l
                                    .response_hours
                                    .filter(|_| has_deliveries_response_hours),
                            })
                            .collect()
                    }),
                    previous: previous.by_subject.get(&m.id).cloned(),
                });
            }
            after = until;
        }
        Ok(out)
    }
}

/// Takes the lines of `id` off the front of a sorted stream (dropping lines
/// of lower ids, whose stakeholders are not in the population).
fn skip_to<T>(
    it: &mut std::iter::Peekable<impl Iterator<Item = T>>,
    id: i64,
    key: impl Fn(&T) -> i64,
) -> Vec<T> {
    while it.next_if(|l| key(l) < id).is_some() {}
    let mut out = Vec::new();
    while let Some(l) = it.next_if(|l| key(l) == id) {
        out.push(l);
    }
    out
}

/// A component must be built for the contract version its manifest names:
/// the manifest's version decides which fields it may declare.
fn check_wit(plugin: &Plugin, m: &rapport_plugin::manifest::Manifest) -> Result<(), String> {
    if plugin.wit() == m.wit_version() {
        Ok(())
    } else {
        Err(format!(
            "the manifest says the component is built for {}, but it exports the interface of {}",
            m.wit,
            plugin.wit()
        ))
    }
}

fn check_limits(limits: &Limits, max: &Limits) -> Result<(), CoreError> {
    let over = [
        ("fuel_base", limits.fuel_base, max.fuel_base),
        (
            "fuel_per_subject",
            limits.fuel_per_subject,
            max.fuel_per_subject,
        ),
        ("memory_mib", limits.memory_mib, max.memory_mib),
        ("wall_ms", limits.wall_ms, max.wall_ms),
    ];
    for (name, v, m) in over {
        if v > m {
            return Err(invalid(format!(
                "limit {name} = {v} is above the plugin's maximum of {m}"
            )));
        }
        if v == 0 {
            return Err(invalid(format!("limit {name} must be positive")));
        }
    }
    Ok(())
}

fn published_view(pkg: &Package, signer: Option<String>, path: &Path) -> PublishedPlugin {
    let m = pkg.manifest();
    PublishedPlugin {
        id: m.id.clone(),
        version: m.version.clone(),
        kind: m.kind.as_str().to_owned(),
        publisher: m.publisher.clone(),
        description: m.description.clone(),
        inputs: m.inputs.names().iter().map(|s| (*s).to_owned()).collect(),
        component_digest: pkg.component_digest(),
        signer_key_id: signer,
        path: path.display().to_string(),
    }
}

fn installation_view(i: &StoredInstallation) -> Result<InstallationView, CoreError> {
    Ok(InstallationView {
        plugin: i.plugin_id.clone(),
        version: i.version.clone(),
        kind: i.kind.clone(),
        purpose: i.purpose.clone(),
        component_digest: i.component_digest.clone(),
        signer_key_id: i.signer_key_id.clone(),
        config: serde_json::from_str(&i.config).map_err(|e| invalid(e.to_string()))?,
        config_hash: i.config_hash.clone(),
        granted_fields: serde_json::from_str(&i.granted_fields)
            .map_err(|e| invalid(e.to_string()))?,
        withheld_fields: serde_json::from_str(&i.withheld_fields)
            .map_err(|e| invalid(e.to_string()))?,
        limits: serde_json::from_str(&i.limits).map_err(|e| invalid(e.to_string()))?,
        installed_at: i.installed_at.clone(),
    })
}

fn run_view(t: &Tenant, r: &StoredRun) -> Result<RunView, CoreError> {
    let u = |v: i64| u64::try_from(v).unwrap_or_default();
    Ok(RunView {
        run: r.id.clone(),
        tenant: t.name.clone(),
        plugin: r.plugin_id.clone(),
        version: r.version.clone(),
        purpose: r.purpose.clone(),
        status: r.status.clone(),
        failure: r.failure.clone(),
        component_digest: r.component_digest.clone(),
        config_hash: r.config_hash.clone(),
        input_hash: r.input_hash.clone(),
        output_hash: r.output_hash.clone(),
        as_of: r.as_of.clone(),
        seed: u64::from_ne_bytes(r.seed.to_ne_bytes()),
        subjects: u(r.subjects),
        excluded_by_consent: u(r.excluded),
        batches: u(r.batches),
        fuel_used: u(r.fuel_used),
        peak_memory_bytes: u(r.peak_memory),
        duration_ms: u(r.duration_ms),
        diagnostics: serde_json::from_str(&r.diagnostics).map_err(|e| invalid(e.to_string()))?,
        replay_of: r.replay_of.clone(),
        started_at: r.started_at.clone(),
    })
}

/// Which earlier run a run reads its subjects' previous outputs from.
#[derive(Clone, Copy)]
enum PreviousRun<'a> {
    /// A new run: the latest successful run of the plugin.
    Latest,
    /// A replay: the run the original read (none if it read none).
    Pinned(Option<&'a str>),
}

/// Each subject's output from the previous run, with the granted fields
/// only, by stakeholder row id.
#[derive(Default)]
struct PreviousOutputs {
    run: Option<String>,
    by_subject: std::collections::HashMap<i64, wit::Previous>,
}

/// A population as the calls of a run read it.
enum Calls<'a> {
    Customers(Prepared<'a>),
    Suppliers(&'a [wit::Supplier]),
}

impl Calls<'_> {
    fn chunk(&self, range: std::ops::Range<usize>) -> Population<'_> {
        match self {
            Calls::Customers(c) => c.range(range),
            Calls::Suppliers(s) => Population::Suppliers(&s[range]),
        }
    }

    fn all(&self) -> Population<'_> {
        match self {
            Calls::Customers(c) => c.all(),
            Calls::Suppliers(s) => Population::Suppliers(s),
        }
    }
}

/// A population, owned so that it can move to the scoring threads.
enum Input {
    Customers(Vec<wit::Customer>),
    Suppliers(Vec<wit::Supplier>),
}

impl Input {
    fn len(&self) -> usize {
        match self {
            Input::Customers(c) => c.len(),
            Input::Suppliers(s) => s.len(),
        }
    }

    /// The population for the calls of a run: customers laid out once for
    /// the fit and every score batch (see [`Prepared`]).
    fn prepare(&self) -> Calls<'_> {
        match self {
            Input::Customers(c) => Calls::Customers(Prepared::new(c)),
            Input::Suppliers(s) => Calls::Suppliers(s),
        }
    }

    /// SHA-256 over the context and every record as JSON, one per line: what
    /// crosses the boundary, in the order it crosses.
    fn hash(&self, ctx: &wit::Context) -> Result<String, CoreError> {
        let mut h = Sha256::new();
        h.update(b"rapport-plugin-input-v1\n");
        let mut line = serde_json::to_vec(ctx).map_err(|e| invalid(e.to_string()))?;
        h.update(&line);
        h.update(b"\n");
        match self {
            Input::Customers(c) => {
                for r in c {
                    line.clear();
                    serde_json::to_writer(&mut line, r).map_err(|e| invalid(e.to_string()))?;
                    h.update(&line);
                    h.update(b"\n");
                }
            }
            Input::Suppliers(s) => {
                for r in s {
                    line.clear();
                    serde_json::to_writer(&mut line, r).map_err(|e| invalid(e.to_string()))?;
                    h.update(&line);
                    h.update(b"\n");
                }
            }
        }
        Ok(hex::encode(h.finalize()))
    }
}

struct Scored {
    batches: u64,
    fuel_used: u64,
    peak_memory: u64,
    failure: Option<String>,
    diagnostics: Vec<String>,
    output_hash: Option<String>,
    rows: Vec<OutputRow>,
}

struct Outcome {
    started_at: String,
    duration_ms: u64,
    component_digest: String,
    config_hash: String,
    input_hash: String,
    as_of: String,
    seed: u64,
    subjects: u64,
    excluded: u64,
    batches: u64,
    fuel_used: u64,
    peak_memory: u64,
    failure: Option<String>,
    diagnostics: Vec<String>,
    output_hash: Option<String>,
    rows: Vec<OutputRow>,
    previous_run: Option<String>,
}

impl Outcome {
    fn record(&self, _t: &Tenant, inst: &StoredInstallation, replay_of: Option<&str>) -> StoredRun {
        let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        StoredRun {
            id: new_run_id(),
            installation_id: inst.id,
            plugin_id: inst.plugin_id.clone(),
            version: inst.version.clone(),
            component_digest: self.component_digest.clone(),
            purpose: inst.purpose.clone(),
            config_hash: self.config_hash.clone(),
            input_hash: self.input_hash.clone(),
            output_hash: self.output_hash.clone(),
            as_of: self.as_of.clone(),
            seed: i64::from_ne_bytes(self.seed.to_ne_bytes()),
            subjects: i(self.subjects),
            excluded: i(self.excluded),
            batches: i(self.batches),
            fuel_used: i(self.fuel_used),
            peak_memory: i(self.peak_memory),
            duration_ms: i(self.duration_ms),
            status: if self.failure.is_some() {
                "failed"
            } else {
                "succeeded"
            }
            .to_owned(),
            failure: self.failure.clone(),
            diagnostics: serde_json::to_string(&self.diagnostics)
                .unwrap_or_else(|_| "[]".to_owned()),
            replay_of: replay_of.map(str::to_owned),
            started_at: self.started_at.clone(),
            finished_at: now(),
            previous_run: self.previous_run.clone(),
        }
    }
}

/// A run's audit log entry body: the pins that let it be replayed, and
/// what happened. The failure message is left out (a plugin's own error
/// text could quote input data); the status says whether it failed.
fn run_body(r: &StoredRun) -> serde_json::Value {
    serde_json::json!({
        "run": r.id,
        "plugin": r.plugin_id,
        "version": r.version,
        "component_digest": r.component_digest,
        "purpose": r.purpose,
        "config_sha256": r.config_hash,
        "input_sha256": r.input_hash,
        "output_sha256": r.output_hash,
        "as_of": r.as_of,
        "seed": r.seed.to_string(),
        "subjects": r.subjects,
        "excluded_by_consent": r.excluded,
        "batches": r.batches,
        "fuel_used": r.fuel_used,
        "status": r.status,
        "replay_of": r.replay_of,
        "started_at": r.started_at,
        "finished_at": r.finished_at,
    })
}

fn new_run_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("run-{}", &id[..16])
}

fn diag(d: &wit::Diagnostic) -> String {
    let level = match d.severity {
        wit::Severity::Info => "info",
        wit::Severity::Warning => "warning",
    };
    format!("{level}: {}", d.message)
}

fn failure_of(e: &CallError) -> (String, CallStats) {
    let stats = match e {
        CallError::Budget { stats, .. }
        | CallError::Trap { stats, .. }
        | CallError::InvalidOutput { stats, .. } => stats.clone(),
        CallError::Host(_) => CallStats::default(),
    };
    (e.to_string(), stats)
}

/// Where a scoring thread leaves the result of one batch.
type BatchSlot = std::sync::Mutex<Option<BatchOut>>;

/// One scored batch, already in the store's form.
#[derive(Default)]
struct BatchOut {
    rows: Vec<OutputRow>,
    /// SHA-256 of each output as a JSON line, in subject order, for the
    /// output hash (32 bytes an output instead of the line itself).
    digests: Vec<[u8; 32]>,
    diagnostics: Vec<String>,
    fuel_used: u64,
    peak_memory: u64,
    failure: Option<String>,
}

/// Turns a `score` call into rows and output digests on the scoring thread, so
/// that the plugin's own output types do not outlive their batch.
fn convert(res: Result<rapport_plugin::host::Call<wit::Scored>, CallError>) -> BatchOut {
    let mut out = BatchOut::default();
    let call = match res {
        Ok(call) => call,
        Err(e) => {
            let (msg, stats) = failure_of(&e);
            out.fuel_used = stats.fuel_used;
            out.failure = Some(msg);
            return out;
        }
    };
    out.fuel_used = call.stats.fuel_used;
    out.peak_memory = call.stats.peak_memory_bytes;
    let scored = match call.value {
        Ok(scored) => scored,
        Err(e) => {
            out.failure = Some(format!("plugin error {}: {}", e.code, e.message));
            return out;
        }
    };
    out.diagnostics = scored.diagnostics.iter().map(diag).collect();
    // The outputs stay in the columns they came back in; each is read in
    // place, in subject order.
    let outputs = &scored.outputs;
    out.rows.reserve(outputs.len());
    let mut line = Vec::new();
    for i in outputs.order_by_subject() {
        let o = outputs.get(i);
        line.clear();
        if serde_json::to_writer(&mut line, &o).is_err() {
            out.failure = Some("an output could not be serialised".to_owned());
            return out;
        }
        out.digests.push(Sha256::digest(&line).into());
        let values: BTreeMap<&str, f64> = o.values().collect();
        let explanation: Vec<serde_json::Value> = o
            .explanation()
            .map(|(label, value)| serde_json::json!({"label": label, "value": value}))
            .collect();
        out.rows.push(OutputRow {
            stakeholder_id: i64::try_from(o.subject()).unwrap_or_default(),
            score: o.score(),
            label: o.label().map(str::to_owned),
            named_values: serde_json::to_string(&values).unwrap_or_else(|_| "{}".to_owned()),
            explanation: serde_json::to_string(&explanation).unwrap_or_else(|_| "[]".to_owned()),
        });
    }
    out
}

/// Fits once, then scores the batches on every core, in order.
fn score_all(
    plugin: &Plugin,
    ctx: &wit::Context,
    input: &Input,
    limits: &Limits,
    batch: usize,
) -> Scored {
    let mut out = Scored {
        batches: 0,
        fuel_used: 0,
        peak_memory: 0,
        failure: None,
        diagnostics: Vec::new(),
        output_hash: None,
        rows: Vec::new(),
    };
    let calls = input.prepare();
    let model = match plugin.fit(ctx, calls.all(), limits) {
        Ok(call) => {
            out.fuel_used += call.stats.fuel_used;
            out.peak_memory = out.peak_memory.max(call.stats.peak_memory_bytes);
            match call.value {
                Ok(m) => {
                    out.diagnostics.extend(m.diagnostics.iter().map(diag));
                    m.state
                }
                Err(e) => {
                    out.failure = Some(format!("fit: plugin error {}: {}", e.code, e.message));
                    return out;
                }
            }
        }
        Err(e) => {
            let (msg, stats) = failure_of(&e);
            out.fuel_used += stats.fuel_used;
            out.failure = Some(format!("fit: {msg}"));
            return out;
        }
    };
    let batch = batch.max(1);
    let n = input.len();
    let ranges: Vec<std::ops::Range<usize>> = (0..n)
        .step_by(batch)
        .map(|s| s..(s + batch).min(n))
        .collect();
    out.batches = ranges.len() as u64;
    let workers = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .min(ranges.len().max(1));
    let model = Arc::new(model);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<BatchSlot> = ranges.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(r) = ranges.get(i) else { break };
                let res = convert(plugin.score(ctx, &model, calls.chunk(r.clone()), limits));
                let stop = res.failure.is_some();
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(res);
                }
                if stop {
                    // A failed batch fails the run: skip the rest.
                    next.store(usize::MAX / 2, std::sync::atomic::Ordering::Relaxed);
                    break;
                }
            });
        }
    });
    // Batches are contiguous ranges of a population sorted by subject, and
    // each batch is sorted, so their concatenation is in subject order
    // whatever the batch size: the output hash does not depend on it.
    let mut hasher = Sha256::new();
    // The output hash: SHA-256 over the SHA-256 of every output's JSON, in
    // subject order.
    hasher.update(b"rapport-plugin-output-v1\n");
    for (i, slot) in results.into_iter().enumerate() {
        let Some(batch) = slot.into_inner().ok().flatten() else {
            if out.failure.is_none() {
                out.failure = Some(format!("score: batch {i} did not run"));
            }
            break;
        };
        out.fuel_used += batch.fuel_used;
        out.peak_memory = out.peak_memory.max(batch.peak_memory);
        out.diagnostics.extend(batch.diagnostics);
        if let Some(f) = batch.failure {
            out.failure = Some(format!("score (batch {i}): {f}"));
            break;
        }
        for d in &batch.digests {
            hasher.update(d);
        }
        out.rows.extend(batch.rows);
    }
    out.diagnostics.truncate(100);
    if out.failure.is_some() {
        out.rows.clear();
        return out;
    }
    out.output_hash = Some(hex::encode(hasher.finalize()));
    out
}

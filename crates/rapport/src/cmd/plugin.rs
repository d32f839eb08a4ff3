//! `rapport plugin …`, `rapport run …` and `rapport scores`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use rapport_core::{Limits, PluginKind, RunOptions};
use rapport_plugin::host::{wit, Host, HostOptions, Population};
use rapport_plugin::manifest::{validate_config, Manifest};
use rapport_plugin::package::Package;
use rapport_plugin::signing::{PublicKey, SecretKey};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::Ctx;
use crate::output;

/// Environment variable holding the passphrase of a publisher secret key.
const KEY_PASSPHRASE_ENV: &str = "RAPPORT_PLUGIN_KEY_PASSPHRASE";

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Scaffold a plugin crate that builds as is.
    New {
        /// Plugin id: lowercase letters, digits and `-`.
        name: String,
        /// scorer, segmenter or supplier-rater.
        #[arg(long, default_value = "scorer")]
        kind: String,
        /// Folder to create; default ./NAME.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Path of the guest SDK crate; default the SDK this binary was built with.
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Run a plugin locally on a fixture under its production limits.
    Test {
        /// A plugin folder (with rapport-plugin.toml; built first), a package, or a component.
        path: PathBuf,
        /// Fixture: {"as_of", "seed", "config", "customers" | "suppliers"}.
        #[arg(long)]
        fixture: PathBuf,
        /// Kind, when PATH is a bare component.
        #[arg(long)]
        kind: Option<String>,
        /// Outputs to print (all with --json).
        #[arg(long, default_value_t = 10)]
        show: usize,
    },
    /// Create a publisher key pair (minisign format): DIR/publisher.key (encrypted) and DIR/publisher.pub.
    Keygen {
        #[arg(long)]
        out: PathBuf,
        /// Comment stored with the keys, e.g. your organisation.
        #[arg(long, default_value = "rapport plugin publisher")]
        comment: String,
    },
    /// Pack a plugin folder into a package (.rpkg), signed when --key is given.
    Pack {
        /// Folder with rapport-plugin.toml.
        dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Publisher secret key to sign with.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Sign a package with a publisher secret key.
    Sign {
        package: PathBuf,
        #[arg(long)]
        key: PathBuf,
    },
    /// Verify a package's signature and digests against a public key.
    Verify {
        package: PathBuf,
        #[arg(long)]
        key: PathBuf,
    },
    /// Publish a signed package into this data directory's registry.
    Publish {
        package: PathBuf,
        /// Check the signature against this public key first.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Trust a publisher key for a tenant (a .pub file or its key line).
    Trust {
        #[arg(long)]
        tenant: String,
        key: String,
    },
    /// Stop trusting a publisher key.
    Distrust {
        #[arg(long)]
        tenant: String,
        key_id: String,
    },
    /// The publisher keys a tenant trusts.
    Trusted {
        #[arg(long)]
        tenant: String,
    },
    /// Show or set the input fields a tenant refuses to grant to plugins.
    Policy {
        #[arg(long)]
        tenant: String,
        /// Deny this field (repeatable); replaces the current list.
        #[arg(long)]
        deny: Vec<String>,
        /// Clear the list.
        #[arg(long, conflicts_with = "deny")]
        allow_all: bool,
    },
    /// The input fields a plugin may declare.
    Fields,
    /// Install a published plugin for a tenant.
    Install {
        #[arg(long)]
        tenant: String,
        /// ID or ID@VERSION (latest when no version).
        plugin: String,
        /// Processing purpose from the purpose policy, e.g. analytics_profiling.
        #[arg(long)]
        purpose: String,
        /// Configuration (JSON); the plugin's default when absent.
        #[arg(long)]
        config: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Install another version with the same purpose and configuration.
    Upgrade {
        #[arg(long)]
        tenant: String,
        plugin: String,
        /// Version; the latest published when absent.
        #[arg(long)]
        version: Option<String>,
    },
    /// Remove a plugin from a tenant (its runs stay).
    Uninstall {
        #[arg(long)]
        tenant: String,
        plugin: String,
    },
    /// Installed plugins of a tenant, or every published package.
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Debug, Args, Default)]
pub struct LimitArgs {
    /// Fuel every call may use.
    #[arg(long)]
    pub fuel_base: Option<u64>,
    /// Further fuel per record.
    #[arg(long)]
    pub fuel_per_subject: Option<u64>,
    /// Memory limit in MiB.
    #[arg(long)]
    pub memory_mib: Option<u64>,
    /// Time limit per call in milliseconds.
    #[arg(long)]
    pub wall_ms: Option<u64>,
}

impl LimitArgs {
    fn apply(&self, base: Limits) -> Limits {
        Limits {
            fuel_base: self.fuel_base.unwrap_or(base.fuel_base),
            fuel_per_subject: self.fuel_per_subject.unwrap_or(base.fuel_per_subject),
            memory_mib: self.memory_mib.unwrap_or(base.memory_mib),
            wall_ms: self.wall_ms.unwrap_or(base.wall_ms),
        }
    }

    fn any(&self) -> bool {
        self.fuel_base.is_some()
            || self.fuel_per_subject.is_some()
            || self.memory_mib.is_some()
            || self.wall_ms.is_some()
    }
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct RunArgs {
    #[command(subcommand)]
    pub action: Option<RunAction>,
    #[arg(long, required = true)]
    pub tenant: Option<String>,
    /// Installed plugin id.
    #[arg(long, required = true)]
    pub plugin: Option<String>,
    /// Run "as of" this RFC 3339 instant; now when absent.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Seed handed to the plugin.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Records per call.
    #[arg(long)]
    pub batch: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum RunAction {
    /// Recompute a run from its pins and compare the output hash.
    Replay {
        /// Tenant of the run; found from the run id when absent.
        #[arg(long)]
        tenant: Option<String>,
        run: String,
    },
    /// A tenant's runs, newest first.
    List {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Debug, Args)]
pub struct ScoresArgs {
    #[arg(long)]
    pub tenant: String,
    #[arg(long)]
    pub run: String,
    /// Outputs to list.
    #[arg(long)]
    pub limit: Option<u64>,
}

fn read_passphrase(confirm: bool) -> Result<SecretString> {
    if let Ok(p) = std::env::var(KEY_PASSPHRASE_ENV) {
        if p.is_empty() {
            bail!("{KEY_PASSPHRASE_ENV} is set but empty");
        }
        return Ok(SecretString::from(p));
    }
    let p = rpassword::prompt_password("Publisher key passphrase: ")
        .with_context(|| format!("no passphrase: set {KEY_PASSPHRASE_ENV} or run on a terminal"))?;
    if p.is_empty() {
        bail!("the passphrase must not be empty");
    }
    if confirm {
        let again = rpassword::prompt_password("Again: ")?;
        if again != p {
            bail!("the passphrases differ");
        }
    }
    Ok(SecretString::from(p))
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))
}

fn load_secret_key(path: &Path) -> Result<SecretKey> {
    let text = read_text(path)?;
    let pass = read_passphrase(false)?;
    SecretKey::load(&text, pass.expose_secret())
        .with_context(|| format!("could not unlock the publisher key {}", path.display()))
}

fn load_public_key(path: &Path) -> Result<PublicKey> {
    PublicKey::parse(&read_text(path)?)
        .with_context(|| format!("{} is not a publisher public key", path.display()))
}

fn kind_of(s: &str) -> Result<PluginKind> {
    s.parse::<PluginKind>().map_err(anyhow::Error::msg)
}

fn default_sdk() -> PathBuf {
    // crates/rapport -> the repository's plugins/sdk.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/sdk")
}

pub async fn plugin(ctx: &Ctx, cmd: PluginCommand) -> Result<()> {
    match cmd {
        PluginCommand::New {
            name,
            kind,
            dir,
            sdk,
        } => {
            let kind = kind_of(&kind)?;
            let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
            let sdk = sdk.unwrap_or_else(default_sdk);
            let sdk = std::fs::canonicalize(&sdk).with_context(|| {
                format!(
                    "no guest SDK at {} (give its path with --sdk)",
                    sdk.display()
                )
            })?;
            let files = rapport_plugin::scaffold::new_plugin(&name, kind, &dir, &sdk)
                .with_context(|| format!("could not create plugin `{name}`"))?;
            if ctx.json {
                output::json(
                    &serde_json::json!({"plugin": name, "kind": kind.as_str(), "dir": dir, "files": files}),
                )?;
            } else {
                crate::outln!("Created {kind} plugin `{name}` in {}", dir.display());
                for f in &files {
                    crate::outln!("  {}", f.display());
                }
                crate::outln!("Next: cd {} && cargo build --profile plugin --target wasm32-wasip2 && rapport plugin test . --fixture fixtures/sample.json", dir.display());
            }
            Ok(())
        }
        PluginCommand::Test {
            path,
            fixture,
            kind,
            show,
        } => test(ctx, &path, &fixture, kind.as_deref(), show),
        PluginCommand::Keygen { out, comment } => {
            let pass = read_passphrase(true)?;
            let (secret, public) =
                rapport_plugin::signing::generate(pass.expose_secret(), &comment)
                    .context("could not generate a publisher key")?;
            std::fs::create_dir_all(&out)
                .with_context(|| format!("could not create {}", out.display()))?;
            let sk = out.join("publisher.key");
            let pk = out.join("publisher.pub");
            for p in [&sk, &pk] {
                if p.exists() {
                    bail!("{} exists already; keys are never overwritten", p.display());
                }
            }
            write_private(&sk, secret.as_str().as_bytes())?;
            std::fs::write(&pk, public.to_text())
                .with_context(|| format!("could not write {}", pk.display()))?;
            if ctx.json {
                output::json(
                    &serde_json::json!({"key_id": public.key_id(), "secret_key": sk, "public_key": pk}),
                )?;
            } else {
                crate::outln!("Publisher key {} (minisign format)", public.key_id());
                crate::outln!(
                    "  secret {} (encrypted with your passphrase; keep it offline)",
                    sk.display()
                );
                crate::outln!(
                    "  public {} (give it to tenants: rapport plugin trust)",
                    pk.display()
                );
            }
            Ok(())
        }
        PluginCommand::Pack { dir, out, key } => {
            let mut pkg = rapport_plugin::package::pack(&dir)
                .with_context(|| format!("could not pack {}", dir.display()))?;
            if let Some(k) = key {
                pkg.sign(&load_secret_key(&k)?);
            }
            pkg.write(&out)
                .with_context(|| format!("could not write {}", out.display()))?;
            let m = pkg.manifest();
            if ctx.json {
                output::json(
                    &serde_json::json!({"plugin": m.id, "version": m.version, "component_digest": pkg.component_digest(), "signed": pkg.signature().is_some(), "package": out}),
                )?;
            } else {
                crate::outln!(
                    "Packed {}@{} ({}) into {}: component sha256:{}",
                    m.id,
                    m.version,
                    if pkg.signature().is_some() {
                        "signed"
                    } else {
                        "unsigned"
                    },
                    out.display(),
                    pkg.component_digest()
                );
            }
            Ok(())
        }
        PluginCommand::Sign { package, key } => {
            let mut pkg = Package::read(&package)
                .with_context(|| format!("could not read {}", package.display()))?;
            pkg.sign(&load_secret_key(&key)?);
            pkg.write(&package)
                .with_context(|| format!("could not write {}", package.display()))?;
            if ctx.json {
                output::json(&serde_json::json!({"package": package, "signed": true}))?;
            } else {
                crate::outln!("Signed {}", package.display());
            }
            Ok(())
        }
        PluginCommand::Verify { package, key } => {
            let pkg = Package::read(&package)
                .with_context(|| format!("could not read {}", package.display()))?;
            let key = load_public_key(&key)?;
            let v = pkg
                .verify(std::slice::from_ref(&key))
                .with_context(|| format!("{} does not verify", package.display()))?;
            if ctx.json {
                output::json(
                    &serde_json::json!({"package": package, "verified": true, "signer_key_id": v.signer_key_id, "component_digest": v.component_digest, "statement_digest": v.statement_digest}),
                )?;
            } else {
                crate::outln!(
                    "{}: signature by {} verifies; component sha256:{}",
                    package.display(),
                    v.signer_key_id,
                    v.component_digest
                );
            }
            Ok(())
        }
        PluginCommand::Fields => {
            if ctx.json {
                let all: Vec<_> = rapport_plugin::fields::ALL
                    .iter()
                    .map(|f| {
                        let subject = if f.every_subject {
                            String::from("any")
                        } else {
                            format!("{:?}", f.subject).to_lowercase()
                        };
                        serde_json::json!({"name": f.name, "subject": subject, "description": f.description, "since": f.since.package()})
                    })
                    .collect();
                let never: Vec<_> = rapport_plugin::fields::NEVER_GRANTED
                    .iter()
                    .map(|(n, why)| serde_json::json!({"name": n, "why": why}))
                    .collect();
                output::json(&serde_json::json!({"fields": all, "never_granted": never}))?;
            } else {
                for f in rapport_plugin::fields::ALL {
                    crate::outln!("{:<32} {}", f.name, f.description);
                }
                crate::outln!("Never granted to a plugin:");
                for (n, why) in rapport_plugin::fields::NEVER_GRANTED {
                    crate::outln!("  {n:<30} {why}");
                }
            }
            Ok(())
        }
        other => with_platform(ctx, other).await,
    }
}

async fn with_platform(ctx: &Ctx, cmd: PluginCommand) -> Result<()> {
    let p = ctx.open().await?;
    let result = async {
        match cmd {
            PluginCommand::Publish { package, key } => {
                let key = key.as_deref().map(load_public_key).transpose()?;
                let r = p
                    .publish_plugin(&package, key.as_ref())
                    .await
                    .with_context(|| format!("could not publish {}", package.display()))?;
                if ctx.json {
                    output::json(&r)?;
                } else {
                    crate::outln!(
                        "{} {}@{} ({}) in the registry: {}",
                        if r.added { "Published" } else { "Already published:" },
                        r.plugin.id,
                        r.plugin.version,
                        r.plugin.kind,
                        r.plugin.path
                    );
                }
            }
            PluginCommand::Trust { tenant, key } => {
                let text = if Path::new(&key).exists() {
                    read_text(Path::new(&key))?
                } else {
                    key
                };
                let id = p.trust_publisher(&tenant, &text).await?;
                if ctx.json {
                    output::json(&serde_json::json!({"tenant": tenant, "key_id": id}))?;
                } else {
                    crate::outln!("Tenant {tenant} trusts publisher key {id}");
                }
            }
            PluginCommand::Distrust { tenant, key_id } => {
                if !p.distrust_publisher(&tenant, &key_id).await? {
                    bail!("tenant `{tenant}` does not trust key {key_id}");
                }
                if ctx.json {
                    output::json(&serde_json::json!({"tenant": tenant, "key_id": key_id, "trusted": false}))?;
                } else {
                    crate::outln!("Tenant {tenant} no longer trusts key {key_id}; plugins it signed will not load");
                }
            }
            PluginCommand::Trusted { tenant } => {
                let keys = p.trusted_publishers(&tenant).await?;
                if ctx.json {
                    output::json(&keys)?;
                } else {
                    for k in keys {
                        crate::outln!("{}  {}", k.key_id, k.source);
                    }
                }
            }
            PluginCommand::Policy {
                tenant,
                deny,
                allow_all,
            } => {
                let denied = if allow_all || !deny.is_empty() {
                    p.set_plugin_field_policy(&tenant, &deny).await?
                } else {
                    p.plugin_field_policy(&tenant).await?
                };
                if ctx.json {
                    output::json(&serde_json::json!({"tenant": tenant, "denied_fields": denied}))?;
                } else if denied.is_empty() {
                    crate::outln!("Tenant {tenant} grants every declared field (identity, contact and protected fields are never granted)");
                } else {
                    crate::outln!("Tenant {tenant} never grants: {}", denied.join(", "));
                }
            }
            PluginCommand::Install {
                tenant,
                plugin,
                purpose,
                config,
                limits,
            } => {
                let config = config
                    .as_deref()
                    .map(|c| -> Result<serde_json::Value> {
                        serde_json::from_str(&read_text(c)?)
                            .with_context(|| format!("{} is not JSON", c.display()))
                    })
                    .transpose()?;
                let limits = limits.any().then(|| limits.apply(Limits::default()));
                let v = p
                    .install_plugin(&tenant, &plugin, &purpose, config, limits)
                    .await
                    .with_context(|| format!("could not install {plugin} for tenant `{tenant}`"))?;
                print_installation(ctx, &v)?;
            }
            PluginCommand::Upgrade {
                tenant,
                plugin,
                version,
            } => {
                let v = p
                    .upgrade_plugin(&tenant, &plugin, version.as_deref())
                    .await
                    .with_context(|| format!("could not upgrade {plugin} for tenant `{tenant}`"))?;
                print_installation(ctx, &v)?;
            }
            PluginCommand::Uninstall { tenant, plugin } => {
                p.uninstall_plugin(&tenant, &plugin).await?;
                if ctx.json {
                    output::json(&serde_json::json!({"tenant": tenant, "plugin": plugin, "installed": false}))?;
                } else {
                    crate::outln!("Uninstalled {plugin} from tenant {tenant}; its runs and outputs stay");
                }
            }
            PluginCommand::List { tenant: Some(t) } => {
                let list = p.installed_plugins(&t).await?;
                if ctx.json {
                    output::json(&list)?;
                } else if list.is_empty() {
                    crate::outln!("No plugins installed for tenant {t}");
                } else {
                    for i in list {
                        crate::outln!(
                            "{}@{}  {}  purpose {}  fields {}",
                            i.plugin,
                            i.version,
                            i.kind,
                            i.purpose,
                            i.granted_fields.join(", ")
                        );
                    }
                }
            }
            PluginCommand::List { tenant: None } => {
                let list = p.published_plugins()?;
                if ctx.json {
                    output::json(&list)?;
                } else if list.is_empty() {
                    crate::outln!("The registry is empty: publish a package with `rapport plugin publish FILE`");
                } else {
                    for x in list {
                        crate::outln!("{}@{}  {}  by {}  {}", x.id, x.version, x.kind, x.publisher, x.description);
                    }
                }
            }
            _ => unreachable!("handled without a data directory"),
        }
        Ok(())
    }
    .await;
    p.close().await;
    result
}

fn print_installation(ctx: &Ctx, v: &rapport_core::InstallationView) -> Result<()> {
    if ctx.json {
        return output::json(v);
    }
    crate::outln!(
        "Installed {}@{} ({}) for purpose {}",
        v.plugin,
        v.version,
        v.kind,
        v.purpose
    );
    crate::outln!(
        "  signed by {}; component sha256:{}",
        v.signer_key_id,
        v.component_digest
    );
    crate::outln!("  granted fields: {}", v.granted_fields.join(", "));
    if !v.withheld_fields.is_empty() {
        crate::outln!(
            "  withheld by the tenant's policy: {}",
            v.withheld_fields.join(", ")
        );
    }
    Ok(())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    as_of: i64,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    config: Option<serde_json::Value>,
    #[serde(default)]
    customers: Option<Vec<wit::Customer>>,
    #[serde(default)]
    suppliers: Option<Vec<wit::Supplier>>,
}

#[derive(Serialize)]
struct TestReport {
    plugin: String,
    kind: String,
    component_digest: String,
    records: usize,
    fit: CallReport,
    score: CallReport,
    diagnostics: Vec<String>,
    outputs: Vec<wit::Output>,
}

#[derive(Serialize)]
struct CallReport {
    fuel_used: u64,
    fuel_budget: u64,
    peak_memory_bytes: u64,
    memory_limit_bytes: u64,
    millis: f64,
}

fn test(ctx: &Ctx, path: &Path, fixture: &Path, kind: Option<&str>, show: usize) -> Result<()> {
    // What to run: a plugin folder (built first), a package, or a component.
    let (name, kind, component, schema, default_config, limits) = if path.is_dir() {
        let manifest = Manifest::load(path)
            .with_context(|| format!("{} is not a plugin folder", path.display()))?;
        let wasm = rapport_plugin::build::build_crate(path)
            .with_context(|| format!("could not build {}", path.display()))?;
        let pkg = rapport_plugin::package::pack(path)
            .with_context(|| format!("could not read {}", path.display()))?;
        let _ = wasm;
        (
            manifest.id.clone(),
            manifest.kind,
            pkg.component().to_vec(),
            Some(pkg.config_schema().clone()),
            pkg.default_config().cloned(),
            manifest.limits_default,
        )
    } else if path.extension().is_some_and(|e| e == "rpkg") {
        let pkg =
            Package::read(path).with_context(|| format!("could not read {}", path.display()))?;
        let m = pkg.manifest();
        (
            m.id.clone(),
            m.kind,
            pkg.component().to_vec(),
            Some(pkg.config_schema().clone()),
            pkg.default_config().cloned(),
            m.limits_default,
        )
    } else {
        let kind = kind_of(kind.context("give --kind for a bare component")?)?;
        let bytes =
            std::fs::read(path).with_context(|| format!("could not read {}", path.display()))?;
        (
            path.display().to_string(),
            kind,
            bytes,
            None,
            None,
            Limits::default(),
        )
    };
    let fx: Fixture = serde_json::from_str(&read_text(fixture)?)
        .with_context(|| format!("{} is not a fixture", fixture.display()))?;
    let config = fx
        .config
        .or(default_config)
        .unwrap_or(serde_json::json!({}));
    if let Some(schema) = &schema {
        validate_config(schema, &config).with_context(|| {
            format!("the fixture's configuration is refused by {name}'s schema")
        })?;
    }
    let mut key = [0u8; 32];
    for (i, b) in component.iter().take(32).enumerate() {
        key[i] = *b;
    }
    let host = Host::new(HostOptions {
        cache_dir: None,
        cache_key: key,
    })
    .map_err(|e| anyhow::anyhow!("could not start the plugin host: {e}"))?;
    let plugin = host
        .load(kind, &component)
        .map_err(|e| anyhow::anyhow!("{name} refused: {e}"))?;
    let wctx = wit::Context {
        config: serde_json::to_string(&config)?,
        as_of: fx.as_of,
        seed: fx.seed,
    };
    let (pop, n) = match (kind.subject(), &fx.customers, &fx.suppliers) {
        (rapport_plugin::fields::Subject::Customer, Some(c), _) => {
            (Population::Customers(c), c.len())
        }
        (rapport_plugin::fields::Subject::Supplier, _, Some(s)) => {
            (Population::Suppliers(s), s.len())
        }
        _ => bail!(
            "{}: a {kind} fixture needs a `{}` list",
            fixture.display(),
            if kind == PluginKind::SupplierRater {
                "suppliers"
            } else {
                "customers"
            }
        ),
    };
    let t0 = Instant::now();
    let fit = plugin
        .fit(&wctx, pop, &limits)
        .map_err(|e| anyhow::anyhow!("fit failed: {e}"))?;
    let fit_ms = t0.elapsed().as_secs_f64() * 1e3;
    let model = fit
        .value
        .map_err(|e| anyhow::anyhow!("fit returned plugin error {}: {}", e.code, e.message))?;
    let t1 = Instant::now();
    let scored = plugin
        .score(&wctx, &model.state, pop, &limits)
        .map_err(|e| anyhow::anyhow!("score failed: {e}"))?;
    let score_ms = t1.elapsed().as_secs_f64() * 1e3;
    let result = scored
        .value
        .map_err(|e| anyhow::anyhow!("score returned plugin error {}: {}", e.code, e.message))?;
    let memory_limit = limits.memory_mib * 1024 * 1024;
    let report = TestReport {
        plugin: name,
        kind: kind.as_str().to_owned(),
        component_digest: plugin.digest().to_owned(),
        records: n,
        fit: CallReport {
            fuel_used: fit.stats.fuel_used,
            fuel_budget: limits.fuel_for(n),
            peak_memory_bytes: fit.stats.peak_memory_bytes,
            memory_limit_bytes: memory_limit,
            millis: fit_ms,
        },
        score: CallReport {
            fuel_used: scored.stats.fuel_used,
            fuel_budget: limits.fuel_for(n),
            peak_memory_bytes: scored.stats.peak_memory_bytes,
            memory_limit_bytes: memory_limit,
            millis: score_ms,
        },
        diagnostics: model
            .diagnostics
            .iter()
            .chain(result.diagnostics.iter())
            .map(|d| d.message.clone())
            .collect(),
        outputs: result.outputs.to_vec(),
    };
    if ctx.json {
        return output::json(&report);
    }
    crate::outln!(
        "{} ({}) sha256:{} on {} records",
        report.plugin,
        report.kind,
        report.component_digest,
        report.records
    );
    for (phase, c) in [("fit", &report.fit), ("score", &report.score)] {
        crate::outln!(
            "  {phase:<5} fuel {} of {} ({:.1}%), peak memory {:.1} MiB of {} MiB, {:.1} ms",
            c.fuel_used,
            c.fuel_budget,
            100.0 * c.fuel_used as f64 / c.fuel_budget.max(1) as f64,
            c.peak_memory_bytes as f64 / 1048576.0,
            c.memory_limit_bytes / 1048576,
            c.millis
        );
    }
    for d in &report.diagnostics {
        crate::outln!("  diagnostic: {d}");
    }
    for o in report.outputs.iter().take(show) {
        crate::outln!(
            "  subject {:<8} score {:>10.3}  {}",
            o.subject,
            o.score,
            o.label.as_deref().unwrap_or("")
        );
        for c in &o.explanation {
            crate::outln!("      {:+10.3}  {}", c.value, c.label);
        }
    }
    if report.outputs.len() > show {
        crate::outln!(
            "  … {} more outputs (--show N, or --json for all)",
            report.outputs.len() - show
        );
    }
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("could not create {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("could not write {}", path.display()))
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("could not write {}", path.display()))
}

pub async fn run(ctx: &Ctx, args: RunArgs) -> Result<()> {
    let p = ctx.open().await?;
    let result = async {
        match args.action {
            Some(RunAction::Replay { tenant, run }) => {
                let tenant = match tenant {
                    Some(t) => t,
                    None => p.tenant_of_run(&run).await?,
                };
                let r = p
                    .replay_run(&tenant, &run)
                    .await
                    .with_context(|| format!("could not replay run {run}"))?;
                if ctx.json {
                    output::json(&r)?;
                } else {
                    crate::outln!("Replay of {}: {}", r.run, r.verdict);
                    crate::outln!(
                        "  component {}  config {}  input {}  output {}",
                        mark(r.component_matches),
                        mark(r.config_matches),
                        mark(r.input_matches),
                        mark(r.output_matches)
                    );
                    crate::outln!(
                        "  replay run {} output sha256:{}",
                        r.replay.run,
                        r.replay.output_hash.as_deref().unwrap_or("-")
                    );
                }
                if r.verdict != "reproduced" {
                    bail!("run {run} was not reproduced ({})", r.verdict);
                }
            }
            Some(RunAction::List { tenant }) => {
                let runs = p.plugin_runs(&tenant).await?;
                if ctx.json {
                    output::json(&runs)?;
                } else {
                    for r in runs {
                        crate::outln!(
                            "{}  {}@{}  {}  {} subjects  {}{}",
                            r.run,
                            r.plugin,
                            r.version,
                            r.status,
                            r.subjects,
                            r.started_at,
                            r.replay_of
                                .as_deref()
                                .map(|o| format!("  (replay of {o})"))
                                .unwrap_or_default()
                        );
                    }
                }
            }
            None => {
                let (Some(tenant), Some(plugin)) = (args.tenant, args.plugin) else {
                    bail!("give --tenant and --plugin");
                };
                let r = p
                    .run_plugin(
                        &tenant,
                        &plugin,
                        &RunOptions {
                            as_of: args.as_of,
                            seed: args.seed,
                            batch: args.batch,
                        },
                    )
                    .await
                    .with_context(|| format!("could not run {plugin} for tenant `{tenant}`"))?;
                print_run(ctx, &r)?;
                if let Some(f) = &r.failure {
                    bail!("run {} failed: {f}", r.run);
                }
            }
        }
        Ok(())
    }
    .await;
    p.close().await;
    result
}

fn mark(ok: bool) -> &'static str {
    if ok {
        "same"
    } else {
        "DIFFERENT"
    }
}

fn print_run(ctx: &Ctx, r: &rapport_core::RunView) -> Result<()> {
    if ctx.json {
        return output::json(r);
    }
    crate::outln!(
        "Run {}: {}@{} {} on {} subjects ({} left out by consent for {}) in {} ms",
        r.run,
        r.plugin,
        r.version,
        r.status,
        r.subjects,
        r.excluded_by_consent,
        r.purpose,
        r.duration_ms
    );
    crate::outln!(
        "  as of {}, seed {}, {} batches, fuel {}, peak memory {:.1} MiB",
        r.as_of,
        r.seed,
        r.batches,
        r.fuel_used,
        r.peak_memory_bytes as f64 / 1048576.0
    );
    crate::outln!("  component sha256:{}", r.component_digest);
    crate::outln!("  config    sha256:{}", r.config_hash);
    crate::outln!("  input     sha256:{}", r.input_hash);
    crate::outln!(
        "  output    sha256:{}",
        r.output_hash.as_deref().unwrap_or("-")
    );
    for d in &r.diagnostics {
        crate::outln!("  diagnostic: {d}");
    }
    Ok(())
}

pub async fn scores(ctx: &Ctx, args: ScoresArgs) -> Result<()> {
    let p = ctx.open().await?;
    let result = async {
        let r = p
            .run_scores(&args.tenant, &args.run, args.limit)
            .await
            .with_context(|| format!("could not read the scores of run {}", args.run))?;
        if ctx.json {
            return output::json(&r);
        }
        crate::outln!(
            "Run {} ({}@{}, {} subjects)",
            r.run.run,
            r.run.plugin,
            r.run.version,
            r.run.subjects
        );
        for (label, n) in &r.labels {
            crate::outln!("  {label:<24} {n:>8}");
        }
        for o in &r.outputs {
            crate::outln!(
                "{:<16} {:>10.3}  {}",
                o.subject,
                o.score,
                o.label.as_deref().unwrap_or("")
            );
            if let Some(list) = o.explanation.as_array() {
                for c in list {
                    crate::outln!(
                        "    {:+10.3}  {}",
                        c.get("value")
                            .and_then(serde_json::Value::as_f64)
                            .unwrap_or(0.0),
                        c.get("label")
                            .and_then(serde_json::Value::as_str)
                            .unwrap_or("")
                    );
                }
            }
        }
        Ok(())
    }
    .await;
    p.close().await;
    result
}

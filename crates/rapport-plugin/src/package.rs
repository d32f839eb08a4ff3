//! Plugin packages (`.rpkg`).
//!
//! A package is an uncompressed tar holding exactly, flat and in this order:
//!
//! | entry | what |
//! |---|---|
//! | `rapport-plugin.toml` | the manifest |
//! | `config.schema.json` | the JSON Schema of the plugin's configuration |
//! | `config.default.json` | the default configuration, if the manifest names one |
//! | `plugin.wasm` | the WebAssembly component |
//! | `rapport-plugin.minisig` | the publisher's signature (absent until signed) |
//!
//! Entries are regular files with mtime 0, uid/gid 0 and mode 0644, so that
//! packing the same inputs gives the same bytes.
//!
//! The publisher signs a **statement**, a short canonical text naming the
//! plugin and the SHA-256 of every other entry (see [`Package::statement`]).
//! The signature's trusted comment carries the same statement on one line,
//! starting with `id@version sha256:<component>`, so `minisign -V` shows which
//! component was signed. Verification rebuilds the signed statement from the
//! trusted comment, checks the signature over it, then compares each signed
//! digest with the package's contents, so a refusal names what changed.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::manifest::{check_config_files, Manifest, ManifestError, PluginSource, MANIFEST_FILE};
use crate::signing::{PublicKey, SecretKey, Signature, SigningError};

/// Entry names inside a package.
pub const CONFIG_SCHEMA_ENTRY: &str = "config.schema.json";
pub const DEFAULT_CONFIG_ENTRY: &str = "config.default.json";
pub const COMPONENT_ENTRY: &str = "plugin.wasm";
pub const SIGNATURE_ENTRY: &str = "rapport-plugin.minisig";

/// First line of a package statement; names its format.
pub const STATEMENT_HEADER: &str = "rapport-plugin-statement-v1";

/// The preamble of a WebAssembly component: magic, version 0x0d, layer 1.
/// A core module has version 1, layer 0 instead.
const COMPONENT_PREAMBLE: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
const CORE_MODULE_PREAMBLE: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/// Largest component a package may hold.
pub const MAX_COMPONENT_BYTES: u64 = 64 * 1024 * 1024;
/// Largest manifest, schema, default configuration or signature.
pub const MAX_TEXT_ENTRY_BYTES: u64 = 1024 * 1024;

/// Why a package was refused.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("the manifest names no `plugin.component` to pack")]
    NoComponent,
    #[error("{what} is not a WebAssembly component: {reason}")]
    NotAComponent { what: String, reason: String },
    #[error("package is not a readable tar archive: {0}")]
    Archive(String),
    #[error("package holds an unexpected entry `{0}`")]
    UnexpectedEntry(String),
    #[error("package entry `{name}` is not a regular file")]
    NotAFile { name: String },
    #[error("package holds `{0}` twice")]
    DuplicateEntry(String),
    #[error("package lacks `{0}`")]
    MissingEntry(&'static str),
    #[error("package entry `{name}` is larger than {max} bytes")]
    TooLarge { name: String, max: u64 },
    #[error("package entry `{name}` is not UTF-8 text")]
    NotText { name: String },
    #[error("the manifest names a default configuration but the package has no `{DEFAULT_CONFIG_ENTRY}`")]
    MissingDefaultConfig,
    #[error("the package holds `{DEFAULT_CONFIG_ENTRY}` but the manifest names no default configuration")]
    UnexpectedDefaultConfig,
    #[error("`{SIGNATURE_ENTRY}` is unreadable: {0}")]
    BadSignatureFile(SigningError),
    #[error("package is not signed")]
    NotSigned,
    #[error("signature was made by key {key_id} which this tenant does not trust")]
    UntrustedKey { key_id: String },
    #[error(
        "signature does not verify: its trusted comment is not a Rapport package statement ({0})"
    )]
    NotAStatement(String),
    #[error("signature does not verify: the package was altered after signing")]
    Altered,
    #[error("{entry} does not match its signed digest")]
    DigestMismatch { entry: &'static str },
    #[error("manifest {field} {found} does not match the signed {field} {signed}")]
    StatementMismatch {
        field: &'static str,
        found: String,
        signed: String,
    },
}

/// What a successful [`Package::verify`] established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Id of the trusted key that signed (16 upper-case hex digits).
    pub signer_key_id: String,
    /// Lower-case hex SHA-256 of `plugin.wasm`.
    pub component_digest: String,
    /// Lower-case hex SHA-256 of the signed statement.
    pub statement_digest: String,
}

/// A plugin package in memory, its manifest and files checked.
#[derive(Clone)]
pub struct Package {
    manifest: Manifest,
    manifest_text: String,
    config_schema_text: String,
    config_schema: Value,
    default_config_text: Option<String>,
    default_config: Option<Value>,
    component: Vec<u8>,
    signature: Option<Signature>,
}

impl fmt::Debug for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Package")
            .field("id", &self.manifest.id)
            .field("version", &self.manifest.version)
            .field("kind", &self.manifest.kind)
            .field("component_digest", &self.component_digest())
            .field("signature", &self.signature)
            .finish()
    }
}

/// Builds an unsigned package from a plugin directory: the manifest, the
/// component it names, the configuration schema and the default
/// configuration. The manifest and configuration files are checked, and the
/// component must be a WebAssembly component (not a core module).
pub fn pack(manifest_dir: &Path) -> Result<Package, PackageError> {
    let source = PluginSource::load(manifest_dir)?;
    let rel = source
        .manifest
        .component
        .clone()
        .ok_or(PackageError::NoComponent)?;
    let path = source.dir.join(rel);
    let component = std::fs::read(&path).map_err(|source| PackageError::Read {
        path: path.clone(),
        source,
    })?;
    if component.len() as u64 > MAX_COMPONENT_BYTES {
        return Err(PackageError::TooLarge {
            name: path.display().to_string(),
            max: MAX_COMPONENT_BYTES,
        });
    }
    check_component(&component, &path.display().to_string())?;
    Ok(Package {
        manifest: source.manifest,
        manifest_text: source.manifest_text,
        config_schema_text: source.config_schema_text,
        config_schema: source.config_schema,
        default_config_text: source.default_config_text,
        default_config: source.default_config,
        component,
        signature: None,
    })
}

fn check_component(bytes: &[u8], what: &str) -> Result<(), PackageError> {
    let not = |reason: &str| PackageError::NotAComponent {
        what: what.to_owned(),
        reason: reason.to_owned(),
    };
    match bytes.get(..8) {
        None if bytes.starts_with(b"\0asm") || bytes.is_empty() => Err(not("it is truncated")),
        None => Err(not("it does not start with the WebAssembly magic `\\0asm`")),
        Some(p) if p == COMPONENT_PREAMBLE => Ok(()),
        Some(p) if p == CORE_MODULE_PREAMBLE => Err(not(
            "it is a core module; build with the wasm32-wasip2 target to get a component",
        )),
        Some(p) if p.starts_with(b"\0asm") => Err(not(
            "its version and layer are not those of a component (0x0d 0x00 0x01 0x00)",
        )),
        Some(_) => Err(not("it does not start with the WebAssembly magic `\\0asm`")),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The signed facts about a package.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    id: String,
    version: String,
    kind: String,
    wit: String,
    manifest: String,
    config_schema: String,
    default_config: Option<String>,
    component: String,
}

impl Statement {
    /// The canonical text that is signed.
    fn to_text(&self) -> String {
        format!(
            "{STATEMENT_HEADER}\nid {}\nversion {}\nkind {}\nwit {}\nmanifest sha256:{}\nconfig-schema sha256:{}\ndefault-config {}\ncomponent sha256:{}\n",
            self.id,
            self.version,
            self.kind,
            self.wit,
            self.manifest,
            self.config_schema,
            self.default_config
                .as_ref()
                .map_or_else(|| "-".to_owned(), |d| format!("sha256:{d}")),
            self.component,
        )
    }

    /// The same facts on one line, for the trusted comment.
    fn to_trusted_comment(&self) -> String {
        format!(
            "{}@{} sha256:{} {STATEMENT_HEADER} kind={} wit={} manifest=sha256:{} config-schema=sha256:{} default-config={}",
            self.id,
            self.version,
            self.component,
            self.kind,
            self.wit,
            self.manifest,
            self.config_schema,
            self.default_config
                .as_ref()
                .map_or_else(|| "-".to_owned(), |d| format!("sha256:{d}")),
        )
    }

    fn from_trusted_comment(comment: &str) -> Result<Statement, String> {
        let words: Vec<&str> = comment.split(' ').collect();
        let [id_version, component, header, rest @ ..] = words.as_slice() else {
            return Err("too few words".to_owned());
        };
        if *header != STATEMENT_HEADER {
            return Err(format!("it does not name {STATEMENT_HEADER}"));
        }
        let (id, version) = id_version
            .split_once('@')
            .ok_or("it does not start with id@version")?;
        let component = digest(component)?;
        let mut fields = std::collections::BTreeMap::new();
        for word in rest {
            let (k, v) = word
                .split_once('=')
                .ok_or_else(|| format!("`{word}` is not key=value"))?;
            if fields.insert(k, v).is_some() {
                return Err(format!("`{k}` appears twice"));
            }
        }
        let mut take = |k: &str| fields.remove(k).ok_or_else(|| format!("it lacks `{k}=`"));
        let kind = take("kind")?.to_owned();
        let wit = take("wit")?.to_owned();
        let manifest = digest(take("manifest")?)?;
        let config_schema = digest(take("config-schema")?)?;
        let default_config = match take("default-config")? {
            "-" => None,
            d => Some(digest(d)?),
        };
        if let Some(k) = fields.keys().next() {
            return Err(format!("unknown key `{k}`"));
        }
        Ok(Statement {
            id: id.to_owned(),
            version: version.to_owned(),
            kind,
            wit,
            manifest,
            config_schema,
            default_config,
            component,
        })
    }
}

fn digest(word: &str) -> Result<String, String> {
    let hex = word
        .strip_prefix("sha256:")
        .ok_or_else(|| format!("`{word}` is not a sha256: digest"))?;
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!("`{word}` is not a sha256: digest"));
    }
    Ok(hex.to_owned())
}

impl Package {
    /// Reads and checks a package file.
    pub fn read(path: &Path) -> Result<Package, PackageError> {
        let bytes = std::fs::read(path).map_err(|source| PackageError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(&bytes)
    }

    /// Parses and checks a package: exactly the expected entries, each a
    /// regular file; a valid manifest; a compiling configuration schema; a
    /// default configuration that validates; a component. The signature, if
    /// any, is parsed but not verified: see [`Package::verify`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Package, PackageError> {
        let mut manifest_text = None;
        let mut config_schema_text = None;
        let mut default_config_text = None;
        let mut component = None;
        let mut signature_text = None;

        let mut archive = tar::Archive::new(bytes);
        let entries = archive
            .entries()
            .map_err(|e| PackageError::Archive(e.to_string()))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| PackageError::Archive(e.to_string()))?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let (slot_name, max): (&'static str, u64) = match name.as_str() {
                MANIFEST_FILE => (MANIFEST_FILE, MAX_TEXT_ENTRY_BYTES),
                CONFIG_SCHEMA_ENTRY => (CONFIG_SCHEMA_ENTRY, MAX_TEXT_ENTRY_BYTES),
                DEFAULT_CONFIG_ENTRY => (DEFAULT_CONFIG_ENTRY, MAX_TEXT_ENTRY_BYTES),
                COMPONENT_ENTRY => (COMPONENT_ENTRY, MAX_COMPONENT_BYTES),
                SIGNATURE_ENTRY => (SIGNATURE_ENTRY, MAX_TEXT_ENTRY_BYTES),
                _ => return Err(PackageError::UnexpectedEntry(name)),
            };
            if entry.header().entry_type() != tar::EntryType::Regular {
                return Err(PackageError::NotAFile { name });
            }
            if entry.size() > max {
                return Err(PackageError::TooLarge { name, max });
            }
            let mut data = Vec::with_capacity(entry.size() as usize);
            (&mut entry)
                .take(max + 1)
                .read_to_end(&mut data)
                .map_err(|e| PackageError::Archive(e.to_string()))?;
            let slot = match slot_name {
                MANIFEST_FILE => &mut manifest_text,
                CONFIG_SCHEMA_ENTRY => &mut config_schema_text,
                DEFAULT_CONFIG_ENTRY => &mut default_config_text,
                COMPONENT_ENTRY => &mut component,
                _ => &mut signature_text,
            };
            if slot.replace(data).is_some() {
                return Err(PackageError::DuplicateEntry(name));
            }
        }

        let text =
            |data: Option<Vec<u8>>, name: &'static str| -> Result<Option<String>, PackageError> {
                data.map(|d| {
                    String::from_utf8(d).map_err(|_| PackageError::NotText {
                        name: name.to_owned(),
                    })
                })
                .transpose()
            };
        let manifest_text =
            text(manifest_text, MANIFEST_FILE)?.ok_or(PackageError::MissingEntry(MANIFEST_FILE))?;
        let config_schema_text = text(config_schema_text, CONFIG_SCHEMA_ENTRY)?
            .ok_or(PackageError::MissingEntry(CONFIG_SCHEMA_ENTRY))?;
        let default_config_text = text(default_config_text, DEFAULT_CONFIG_ENTRY)?;
        let component = component.ok_or(PackageError::MissingEntry(COMPONENT_ENTRY))?;
        let signature_text = text(signature_text, SIGNATURE_ENTRY)?;

        let manifest = Manifest::parse(&manifest_text, MANIFEST_FILE)?;
        match (&manifest.default_config_path, &default_config_text) {
            (Some(_), None) => return Err(PackageError::MissingDefaultConfig),
            (None, Some(_)) => return Err(PackageError::UnexpectedDefaultConfig),
            _ => {}
        }
        let (config_schema, default_config) = check_config_files(
            &config_schema_text,
            CONFIG_SCHEMA_ENTRY,
            default_config_text
                .as_deref()
                .map(|t| (t, DEFAULT_CONFIG_ENTRY)),
        )?;
        check_component(&component, COMPONENT_ENTRY)?;
        let signature = signature_text
            .map(|t| Signature::parse(&t).map_err(PackageError::BadSignatureFile))
            .transpose()?;

        Ok(Package {
            manifest,
            manifest_text,
            config_schema_text,
            config_schema,
            default_config_text,
            default_config,
            component,
            signature,
        })
    }

    /// The package as tar bytes; the same contents always give the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut add = |name: &str, data: &[u8]| {
            let mut header = tar::Header::new_ustar();
            header
                .set_path(name)
                .expect("package entry names are short relative paths");
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(0);
            header.set_cksum();
            builder
                .append(&header, data)
                .expect("writing a tar entry to memory cannot fail");
        };
        add(MANIFEST_FILE, self.manifest_text.as_bytes());
        add(CONFIG_SCHEMA_ENTRY, self.config_schema_text.as_bytes());
        if let Some(text) = &self.default_config_text {
            add(DEFAULT_CONFIG_ENTRY, text.as_bytes());
        }
        add(COMPONENT_ENTRY, &self.component);
        if let Some(sig) = &self.signature {
            add(SIGNATURE_ENTRY, sig.to_text().as_bytes());
        }
        builder
            .into_inner()
            .expect("finishing a tar archive in memory cannot fail")
    }

    /// Writes the package atomically: to a temporary file beside `path`,
    /// flushed to disk, then renamed over `path`.
    pub fn write(&self, path: &Path) -> Result<(), PackageError> {
        let bytes = self.to_bytes();
        let err = |source| PackageError::Write {
            path: path.to_owned(),
            source,
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let file_name = path
            .file_name()
            .ok_or_else(|| err(std::io::Error::other("the path names no file")))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tmp = dir.join(format!(
            ".{}.{}.{nanos}.tmp",
            file_name.to_string_lossy(),
            std::process::id()
        ));
        let result = (|| {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&tmp, path)?;
            if let Ok(d) = std::fs::File::open(&dir) {
                // Persist the rename; not every platform can sync a directory.
                let _ = d.sync_all();
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(err)
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest's text, as packed.
    pub fn manifest_text(&self) -> &str {
        &self.manifest_text
    }

    /// The component's bytes.
    pub fn component(&self) -> &[u8] {
        &self.component
    }

    pub fn config_schema(&self) -> &Value {
        &self.config_schema
    }

    pub fn default_config(&self) -> Option<&Value> {
        self.default_config.as_ref()
    }

    /// Lower-case hex SHA-256 of `plugin.wasm`.
    pub fn component_digest(&self) -> String {
        sha256_hex(&self.component)
    }

    fn statement_facts(&self) -> Statement {
        Statement {
            id: self.manifest.id.clone(),
            version: self.manifest.version.clone(),
            kind: self.manifest.kind.as_str().to_owned(),
            wit: self.manifest.wit.clone(),
            manifest: sha256_hex(self.manifest_text.as_bytes()),
            config_schema: sha256_hex(self.config_schema_text.as_bytes()),
            default_config: self
                .default_config_text
                .as_ref()
                .map(|t| sha256_hex(t.as_bytes())),
            component: self.component_digest(),
        }
    }

    /// The statement a publisher signs for this package's contents:
    ///
    /// ```text
    /// rapport-plugin-statement-v1
    /// id rfm
    /// version 0.1.0
    /// kind segmenter
    /// wit rapport:plugin@0.1.0
    /// manifest sha256:<hex>
    /// config-schema sha256:<hex>
    /// default-config sha256:<hex>     (or `-` when there is none)
    /// component sha256:<hex>
    /// ```
    pub fn statement(&self) -> String {
        self.statement_facts().to_text()
    }

    pub fn signature(&self) -> Option<&Signature> {
        self.signature.as_ref()
    }

    /// Signs the package's statement, replacing any earlier signature.
    pub fn sign(&mut self, key: &SecretKey) {
        let facts = self.statement_facts();
        self.signature = Some(key.sign(facts.to_text().as_bytes(), &facts.to_trusted_comment()));
    }

    /// Drops the signature (e.g. before re-signing with another key).
    pub fn unsign(&mut self) {
        self.signature = None;
    }

    /// Checks the signature against trusted keys, and that every digest in
    /// the signed statement matches the contents.
    pub fn verify(&self, trusted: &[PublicKey]) -> Result<Verified, PackageError> {
        let signature = self.signature.as_ref().ok_or(PackageError::NotSigned)?;
        let signer_key_id = signature.key_id();
        let candidates: Vec<&PublicKey> = trusted
            .iter()
            .filter(|k| k.key_id() == signer_key_id)
            .collect();
        if candidates.is_empty() {
            return Err(PackageError::UntrustedKey {
                key_id: signer_key_id,
            });
        }
        let signed = Statement::from_trusted_comment(&signature.trusted_comment())
            .map_err(PackageError::NotAStatement)?;
        let signed_text = signed.to_text();
        if !candidates
            .iter()
            .any(|k| k.verify(signed_text.as_bytes(), signature).is_ok())
        {
            return Err(PackageError::Altered);
        }

        // The signed statement is authentic; compare it with the contents.
        let actual = self.statement_facts();
        for (entry, signed_digest, actual_digest) in [
            (
                COMPONENT_ENTRY,
                Some(&signed.component),
                Some(&actual.component),
            ),
            (
                MANIFEST_FILE,
                Some(&signed.manifest),
                Some(&actual.manifest),
            ),
            (
                CONFIG_SCHEMA_ENTRY,
                Some(&signed.config_schema),
                Some(&actual.config_schema),
            ),
            (
                DEFAULT_CONFIG_ENTRY,
                signed.default_config.as_ref(),
                actual.default_config.as_ref(),
            ),
        ] {
            if signed_digest != actual_digest {
                return Err(PackageError::DigestMismatch { entry });
            }
        }
        for (field, signed_value, actual_value) in [
            ("id", &signed.id, &actual.id),
            ("version", &signed.version, &actual.version),
            ("kind", &signed.kind, &actual.kind),
            ("wit", &signed.wit, &actual.wit),
        ] {
            if signed_value != actual_value {
                return Err(PackageError::StatementMismatch {
                    field,
                    found: actual_value.clone(),
                    signed: signed_value.clone(),
                });
            }
        }
        Ok(Verified {
            signer_key_id,
            component_digest: actual.component,
            statement_digest: sha256_hex(signed_text.as_bytes()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Statement {
        Statement {
            id: "rfm".into(),
            version: "1.2.3-beta.1".into(),
            kind: "segmenter".into(),
            wit: "rapport:plugin@0.1.0".into(),
            manifest: "a".repeat(64),
            config_schema: "b".repeat(64),
            default_config: None,
            component: "c".repeat(64),
        }
    }

    #[test]
    fn the_trusted_comment_round_trips_the_statement() {
        let mut s = facts();
        assert_eq!(
            Statement::from_trusted_comment(&s.to_trusted_comment()),
            Ok(s.clone())
        );
        s.default_config = Some("d".repeat(64));
        assert_eq!(
            Statement::from_trusted_comment(&s.to_trusted_comment()),
            Ok(s.clone())
        );
        assert!(s
            .to_trusted_comment()
            .starts_with(&format!("rfm@1.2.3-beta.1 sha256:{}", "c".repeat(64))));
    }

    #[test]
    fn malformed_trusted_comments_are_refused() {
        let good = facts().to_trusted_comment();
        for bad in [
            "timestamp:1700000000".to_owned(),
            good.replace(STATEMENT_HEADER, "rapport-plugin-statement-v9"),
            good.replace("manifest=sha256:", "manifest=md5:"),
            good.replace(" kind=segmenter", ""),
            format!("{good} extra=1"),
            format!("{good} kind=scorer"),
        ] {
            assert!(Statement::from_trusted_comment(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn core_modules_are_told_apart_from_components() {
        assert!(check_component(&COMPONENT_PREAMBLE, "x").is_ok());
        let err = check_component(&CORE_MODULE_PREAMBLE, "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("core module"), "{err}");
        assert!(check_component(b"\0asm", "x").is_err());
        assert!(check_component(b"PK\x03\x04zipzip", "x").is_err());
    }
}

//! Manifests, publisher keys and signed packages, end to end: a plugin
//! directory on disk is checked, packed, signed, written, read back and
//! verified, and every way of tampering with it is refused with its reason.

mod config;
mod keys;
mod manifest;
mod packages;
mod schema;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rapport_plugin::signing::{self, PublicKey, SecretKey, SecretKeyFile};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A valid manifest; tests derive broken ones from it by replacement.
pub const MANIFEST: &str = r#"[plugin]
id = "rfm"
version = "0.1.0"
kind = "segmenter"
wit = "rapport:plugin@0.1.0"
publisher = "Rapport"
description = "RFM segmentation into recency, frequency and monetary quintiles."
license = "Apache-2.0"
component = "build/rfm.wasm"
config_schema = "config.schema.json"
default_config = "config.default.json"

[inputs]
fields = ["purchases.count", "purchases.last", "purchases.total_amount"]

[limits.default]
fuel_base = 50000000
fuel_per_subject = 200000
memory_mib = 128
wall_ms = 10000

[limits.max]
fuel_base = 100000000
fuel_per_subject = 400000
memory_mib = 256
wall_ms = 20000
"#;

pub const CONFIG_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "thresholds": {
      "type": "object",
      "properties": {
        "recency": { "type": "integer", "minimum": 0 },
        "frequency": { "type": "integer", "minimum": 1 }
      },
      "required": ["recency"],
      "additionalProperties": false
    },
    "segments": { "type": "integer", "minimum": 2, "maximum": 10 }
  },
  "additionalProperties": false
}
"#;

pub const DEFAULT_CONFIG: &str = r#"{ "thresholds": { "recency": 90, "frequency": 2 }, "segments": 5 }
"#;

/// `MANIFEST` with each `from` replaced by `to`; panics if a `from` is absent
/// so that a test cannot silently check the unchanged manifest.
pub fn manifest_with(replacements: &[(&str, &str)]) -> String {
    let mut text = MANIFEST.to_owned();
    for (from, to) in replacements {
        assert!(text.contains(from), "`{from}` is not in the manifest");
        text = text.replacen(from, to, 1);
    }
    text
}

/// A minimal WebAssembly component: the component preamble (magic, version
/// 0x0d, layer 1) and one custom section carrying `payload`, so that tests
/// can tell components apart and alter a byte without breaking the format.
pub fn component(payload: &[u8]) -> Vec<u8> {
    let name = b"rapport-test";
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(payload);
    let mut out = vec![0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
    out.push(0); // custom section
    leb128(body.len(), &mut out);
    out.extend_from_slice(&body);
    out
}

fn leb128(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A plugin directory: manifest, configuration schema, default
/// configuration and a built component under `build/`.
pub fn plugin_dir(manifest: &str, payload: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("rapport-plugin.toml"), manifest).expect("write manifest");
    fs::write(dir.path().join("config.schema.json"), CONFIG_SCHEMA).expect("write schema");
    fs::write(dir.path().join("config.default.json"), DEFAULT_CONFIG).expect("write default");
    fs::create_dir(dir.path().join("build")).expect("build dir");
    fs::write(dir.path().join("build/rfm.wasm"), component(payload)).expect("write component");
    dir
}

pub struct Keys {
    pub file: SecretKeyFile,
    pub public: PublicKey,
    pub secret: SecretKey,
}

pub const PASSPHRASE: &str = "correct horse battery staple";

fn make_keys(comment: &str) -> Keys {
    let (file, public) = signing::generate(PASSPHRASE, comment).expect("generate a key pair");
    let secret = SecretKey::load(file.as_str(), PASSPHRASE).expect("load the new key");
    Keys {
        file,
        public,
        secret,
    }
}

/// The publisher key of this test binary: scrypt makes each key costly, so
/// one is made for all tests.
pub fn publisher() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| make_keys("Rapport test publisher"))
}

/// A second key, which no tenant in these tests trusts.
pub fn stranger() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| make_keys("someone else"))
}

/// Rebuilds a package's tar, letting `edit` change or drop (`None`) each
/// entry and appending `extra` entries, with the packer's header settings.
pub fn rewrite_tar(
    bytes: &[u8],
    mut edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
    extra: &[(&str, &[u8])],
) -> Vec<u8> {
    use std::io::Read;
    let mut entries = Vec::new();
    let mut archive = tar::Archive::new(bytes);
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("read entry");
        if let Some(data) = edit(&name, data) {
            entries.push((name, data));
        }
    }
    for (name, data) in extra {
        entries.push(((*name).to_owned(), data.to_vec()));
    }
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_path(&name).expect("name");
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        builder.append(&header, data.as_slice()).expect("append");
    }
    builder.into_inner().expect("finish")
}

/// The names of a tar's entries, in order.
pub fn entry_names(bytes: &[u8]) -> Vec<String> {
    let mut archive = tar::Archive::new(bytes);
    archive
        .entries()
        .expect("entries")
        .map(|e| {
            e.expect("entry")
                .path()
                .expect("path")
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

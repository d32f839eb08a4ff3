//! The on-disk cache of compiled components.
//!
//! A compiled artifact is native code: loading one that someone else wrote
//! would run their code outside the sandbox. So the host only deserializes
//! artifacts it wrote itself: each file is
//! `<component digest>-<engine compatibility hash>.cwasm` and ends with an
//! HMAC-SHA256 tag, keyed with the host's cache key, over a domain label, the
//! file's digest and engine hash, and the artifact bytes. A file whose tag
//! does not verify (tampered, truncated, written under another key, renamed)
//! is never deserialized: the component is compiled again and the file
//! overwritten. Files are written to a temporary name and renamed into
//! place, so a reader never sees half a file.

use std::fs;
use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

type HmacSha256 = Hmac<Sha256>;

const TAG_BYTES: usize = 32;
const DOMAIN: &[u8] = b"rapport-plugin compiled component v1\0";

/// A hex digest of everything that decides whether an artifact fits this
/// engine (wasmtime version, target, compiler settings).
pub fn engine_hash(engine: &Engine) -> String {
    struct Sha(Sha256);
    impl Hasher for Sha {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
    }
    let mut h = Sha(Sha256::new());
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut h);
    // Artifacts are compiled from the rewritten component.
    h.0.update(super::nan::VERSION.as_bytes());
    hex::encode(&h.0.finalize()[..8])
}

pub struct DiskCache {
    dir: PathBuf,
    key: [u8; 32],
    engine_hash: String,
}

/// What looking an artifact up found.
pub enum Lookup {
    Hit(Component),
    /// No file: compile.
    Miss,
    /// A file that was not trusted or not usable: compile and overwrite.
    Rejected(String),
}

impl DiskCache {
    pub fn new(dir: PathBuf, key: [u8; 32], engine: &Engine) -> Result<Self, String> {
        fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create cache directory {}: {e}", dir.display()))?;
        Ok(Self {
            dir,
            key,
            engine_hash: engine_hash(engine),
        })
    }

    pub fn path(&self, digest: &str) -> PathBuf {
        self.dir
            .join(format!("{digest}-{}.cwasm", self.engine_hash))
    }

    fn tag(&self, digest: &str, artifact: &[u8]) -> HmacSha256 {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(DOMAIN);
        mac.update(digest.as_bytes());
        mac.update(b"\0");
        mac.update(self.engine_hash.as_bytes());
        mac.update(b"\0");
        mac.update(artifact);
        mac
    }

    pub fn lookup(&self, engine: &Engine, digest: &str) -> Lookup {
        let path = self.path(digest);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Miss,
            Err(e) => return Lookup::Rejected(format!("cannot read {}: {e}", path.display())),
        };
        if bytes.len() < TAG_BYTES {
            return Lookup::Rejected(format!("{} is truncated", path.display()));
        }
        let (artifact, tag) = bytes.split_at(bytes.len() - TAG_BYTES);
        if self.tag(digest, artifact).verify_slice(tag).is_err() {
            return Lookup::Rejected(format!(
                "{} was not written by this host (its tag does not verify)",
                path.display()
            ));
        }
        match deserialize(engine, artifact) {
            Ok(c) => Lookup::Hit(c),
            Err(e) => Lookup::Rejected(format!("{} cannot be loaded: {e}", path.display())),
        }
    }

    pub fn store(&self, digest: &str, component: &Component) -> Result<(), String> {
        let artifact = component
            .serialize()
            .map_err(|e| format!("cannot serialize the compiled component: {e}"))?;
        let tag = self.tag(digest, &artifact).finalize().into_bytes();
        let path = self.path(digest);
        write_atomically(&path, &[&artifact, &tag])
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// Loads an artifact whose tag has been verified.
#[allow(unsafe_code)]
fn deserialize(engine: &Engine, artifact: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: `Component::deserialize` trusts its input to be an artifact
    // produced by `Component::serialize` of a compatible engine. The caller
    // has verified the HMAC tag over these exact bytes with the host's secret
    // cache key, so they are bytes this host serialized itself for this
    // digest and engine hash; wasmtime additionally checks the header and the
    // engine compatibility before using them.
    unsafe { Component::deserialize(engine, artifact) }
}

fn write_atomically(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        for p in parts {
            f.write_all(p)?;
        }
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

//! Shared helpers: a fresh data directory, importing files, fixture paths.

use std::path::{Path, PathBuf};

use rapport_core::{
    DataDirs, Format, ImportKind, ImportReport, ImportSource, KeyringOptions, Platform, Unlock,
};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixtures() -> PathBuf {
    repo_root().join("tests/fixtures")
}

/// A temporary directory holding a data directory and, outside it, an identity file.
pub struct Env {
    pub tmp: tempfile::TempDir,
    pub dirs: DataDirs,
    pub unlock: Unlock,
}

impl Env {
    pub fn new() -> Env {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dirs = DataDirs::new(tmp.path().join("data"));
        let identity = tmp.path().join("identity.txt");
        rapport_vault::generate_identity_file(&identity).expect("identity");
        Env {
            tmp,
            dirs,
            unlock: Unlock::IdentityFile(identity),
        }
    }

    pub async fn init(&self) -> Platform {
        Platform::init(
            self.dirs.clone(),
            &self.unlock,
            &KeyringOptions { scrypt_log_n: 10 },
        )
        .await
        .expect("init")
    }

    pub async fn open(&self) -> Platform {
        Platform::open(self.dirs.clone(), &self.unlock)
            .await
            .expect("open")
    }
}

pub async fn import(
    p: &Platform,
    tenant: &str,
    kind: ImportKind,
    path: &Path,
) -> Result<ImportReport, rapport_core::CoreError> {
    let format = Format::from_path(path).expect("format from extension");
    let source = ImportSource {
        name: path
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned(),
        reader: Box::new(std::fs::File::open(path).expect("open fixture")),
    };
    p.import(tenant, kind, format, source, &|_| {}).await
}

/// Imports the valid base tenant from `tests/fixtures/base`.
pub async fn import_base(p: &Platform, tenant: &str) {
    let base = fixtures().join("base");
    for kind in [
        ImportKind::Customers,
        ImportKind::Suppliers,
        ImportKind::Transactions,
        ImportKind::Consents,
    ] {
        import(
            p,
            tenant,
            kind,
            &base.join(format!("{}.csv", kind.as_str())),
        )
        .await
        .unwrap_or_else(|e| panic!("base {kind}: {e}"));
    }
}

/// Every byte of every file under `root`.
pub fn all_files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                out.push((path, bytes));
            }
        }
    }
    out.sort();
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A new X25519 identity made by the real `age-keygen`: (file, recipient).
pub fn age_identity(dir: &Path) -> (PathBuf, String) {
    let file = dir.join("recipient-identity.txt");
    let out = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&file)
        .output()
        .expect("age-keygen is installed (scripts/test.sh installs it)");
    assert!(out.status.success(), "age-keygen failed");
    let out = std::process::Command::new("age-keygen")
        .arg("-y")
        .arg(&file)
        .output()
        .expect("age-keygen -y");
    assert!(out.status.success());
    let recipient = String::from_utf8(out.stdout)
        .expect("utf8")
        .trim()
        .to_owned();
    assert!(recipient.starts_with("age1"));
    (file, recipient)
}

/// Decrypts a file with the real `age` binary.
pub fn age_decrypt_text(identity: &Path, file: &Path) -> String {
    let out = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(file)
        .output()
        .expect("age is installed (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "age -d failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

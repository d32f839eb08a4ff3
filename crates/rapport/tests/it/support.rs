//! Running the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rapport"))
}

/// A `rapport` command with a clean environment for the keyring.
pub fn rapport(data: &Path) -> Command {
    let mut c = Command::new(bin());
    c.arg("--data-dir")
        .arg(data)
        .env_remove("RAPPORT_PASSPHRASE")
        .env_remove("RAPPORT_IDENTITY")
        .env_remove("RAPPORT_DATA_DIR")
        .env_remove("RAPPORT_KEY_DIR")
        .stdin(Stdio::null());
    c
}

pub fn run(c: &mut Command) -> Output {
    c.output().expect("run rapport")
}

pub fn ok(c: &mut Command) -> String {
    let out = run(c);
    assert!(
        out.status.success(),
        "rapport failed: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn json(c: &mut Command) -> serde_json::Value {
    let out = ok(c.arg("--json"));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// A data directory with a passphrase-protected keyring and one tenant.
pub fn init_with_passphrase(data: &Path, passphrase: &str) {
    ok(rapport(data)
        .args(["init", "--kdf-cost", "10"])
        .env("RAPPORT_PASSPHRASE", passphrase));
    ok(rapport(data)
        .args(["tenant", "create", "acme"])
        .env("RAPPORT_PASSPHRASE", passphrase));
}

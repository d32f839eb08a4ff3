//! The compiled-component cache: reused across hosts, never trusted when
//! its tag does not verify.

use std::path::{Path, PathBuf};

use rapport_plugin::host::{Host, HostOptions, HostStats, Population};
use rapport_plugin::PluginKind;

use crate::{assert_echo_works, ctx, customers, guest, limits};

fn host_at(dir: &Path, key: [u8; 32]) -> Host {
    Host::new(HostOptions {
        cache_dir: Some(dir.to_path_buf()),
        cache_key: key,
    })
    .expect("host starts")
}

fn cache_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("cache dir is readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    files.sort();
    files
}

fn load_and_score(host: &Host) {
    let plugin = host
        .load(PluginKind::Scorer, &guest("plugin-echo"))
        .expect("echo loads");
    let batch = customers(3);
    let scored = plugin
        .score(&ctx(), &[], Population::Customers(&batch), &limits())
        .expect("scores")
        .value
        .expect("returns scores");
    assert_eq!(scored.outputs.len(), 3);
}

const KEY: [u8; 32] = [0x5a; 32];

#[test]
fn a_second_host_loads_from_the_cache_without_compiling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = host_at(dir.path(), KEY);
    load_and_score(&first);
    assert_eq!(
        first.stats(),
        HostStats {
            compiled: 1,
            ..HostStats::default()
        }
    );
    // Loading again in the same host is answered from memory.
    load_and_score(&first);
    assert_eq!(first.stats().memory_hits, 1);
    assert_eq!(first.stats().compiled, 1);

    let files = cache_files(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let digest = first
        .load(PluginKind::Scorer, &guest("plugin-echo"))
        .expect("loads")
        .digest()
        .to_owned();
    let name = files[0]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(name.starts_with(&format!("{digest}-")), "{name}");

    let second = host_at(dir.path(), KEY);
    load_and_score(&second);
    assert_eq!(
        second.stats(),
        HostStats {
            cache_hits: 1,
            ..HostStats::default()
        }
    );
}

#[test]
fn a_tampered_cache_file_is_recompiled_not_trusted() {
    let dir = tempfile::tempdir().expect("tempdir");
    load_and_score(&host_at(dir.path(), KEY));
    let file = cache_files(dir.path()).pop().expect("a cache file");
    let original = std::fs::read(&file).expect("read");
    for at in [original.len() / 2, original.len() - 1] {
        let mut bytes = original.clone();
        bytes[at] ^= 0x01;
        std::fs::write(&file, &bytes).expect("tamper");
        let host = host_at(dir.path(), KEY);
        load_and_score(&host);
        assert_eq!(
            host.stats(),
            HostStats {
                compiled: 1,
                cache_rejected: 1,
                ..HostStats::default()
            },
            "flipped byte {at}"
        );
        // The file was overwritten with a good one.
        let rewritten = std::fs::read(&file).expect("read");
        assert_ne!(rewritten, bytes);
        let next = host_at(dir.path(), KEY);
        load_and_score(&next);
        assert_eq!(next.stats().cache_hits, 1);
    }
    // A truncated file too.
    std::fs::write(&file, &original[..10]).expect("truncate");
    let host = host_at(dir.path(), KEY);
    load_and_score(&host);
    assert_eq!(host.stats().cache_rejected, 1);
    assert_eq!(host.stats().compiled, 1);
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn a_cache_written_under_another_key_is_recompiled() {
    let dir = tempfile::tempdir().expect("tempdir");
    load_and_score(&host_at(dir.path(), KEY));
    let other = host_at(dir.path(), [0xa5; 32]);
    load_and_score(&other);
    assert_eq!(
        other.stats(),
        HostStats {
            compiled: 1,
            cache_rejected: 1,
            ..HostStats::default()
        }
    );
    assert_echo_works(&other);
}

#[test]
fn a_cache_file_renamed_to_another_digest_is_not_trusted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = host_at(dir.path(), KEY);
    load_and_score(&host);
    let echo = cache_files(dir.path()).pop().expect("a cache file");
    // Compile a second component, then put echo's artifact in its place.
    host.load(PluginKind::Scorer, &guest("plugin-guest-error"))
        .expect("loads");
    let files = cache_files(dir.path());
    let other = files.iter().find(|f| **f != echo).expect("second file");
    std::fs::copy(&echo, other).expect("copy");
    let fresh = host_at(dir.path(), KEY);
    let plugin = fresh
        .load(PluginKind::Scorer, &guest("plugin-guest-error"))
        .expect("loads");
    assert_eq!(fresh.stats().cache_rejected, 1);
    assert_eq!(fresh.stats().compiled, 1);
    let call = plugin
        .score(&ctx(), &[], Population::Customers(&customers(1)), &limits())
        .expect("call");
    assert_eq!(call.value.expect_err("refuses").code, "bad-data");
}

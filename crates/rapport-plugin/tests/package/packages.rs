//! Packing, signing, writing, reading and verifying packages, and every
//! kind of tampering refused with its reason.

use std::fs;

use rapport_plugin::package::{self, Package, PackageError};
use rapport_plugin::signing::PublicKey;
use sha2::{Digest, Sha256};

use crate::{component, entry_names, plugin_dir, publisher, rewrite_tar, stranger, MANIFEST};

fn trusted() -> Vec<PublicKey> {
    vec![stranger().public.clone(), publisher().public.clone()]
}

fn signed_package(payload: &[u8]) -> Package {
    let dir = plugin_dir(MANIFEST, payload);
    let mut pkg = package::pack(dir.path()).expect("pack");
    pkg.sign(&publisher().secret);
    pkg
}

/// A signed package's bytes with one entry changed by `edit`.
fn tampered(edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>) -> Vec<u8> {
    rewrite_tar(&signed_package(b"payload").to_bytes(), edit, &[])
}

fn verify_err(bytes: &[u8]) -> PackageError {
    Package::from_bytes(bytes)
        .expect("the tampered package still reads")
        .verify(&trusted())
        .expect_err("the tampered package is refused")
}

#[test]
fn packing_is_deterministic_and_flat() {
    let dir = plugin_dir(MANIFEST, b"payload");
    let a = package::pack(dir.path()).expect("pack").to_bytes();
    let b = package::pack(dir.path()).expect("pack again").to_bytes();
    assert_eq!(a, b, "same inputs, same bytes");

    // Another directory with the same contents, packed later: same bytes.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let other = plugin_dir(MANIFEST, b"payload");
    assert_eq!(package::pack(other.path()).expect("pack").to_bytes(), a);

    assert_eq!(
        entry_names(&a),
        [
            "rapport-plugin.toml",
            "config.schema.json",
            "config.default.json",
            "plugin.wasm"
        ]
    );
    let mut archive = tar::Archive::new(a.as_slice());
    for entry in archive.entries().expect("entries") {
        let entry = entry.expect("entry");
        let h = entry.header();
        assert_eq!(h.entry_type(), tar::EntryType::Regular);
        assert_eq!(h.mtime().expect("mtime"), 0);
        assert_eq!(h.uid().expect("uid"), 0);
        assert_eq!(h.gid().expect("gid"), 0);
        assert_eq!(h.mode().expect("mode"), 0o644);
    }

    let different = plugin_dir(MANIFEST, b"other payload");
    assert_ne!(package::pack(different.path()).expect("pack").to_bytes(), a);
}

#[test]
fn a_package_holds_what_was_packed() {
    let dir = plugin_dir(MANIFEST, b"payload");
    let pkg = package::pack(dir.path()).expect("pack");
    assert_eq!(pkg.component(), component(b"payload").as_slice());
    assert_eq!(
        pkg.component_digest(),
        hex::encode(Sha256::digest(component(b"payload")))
    );
    assert_eq!(pkg.manifest().id, "rfm");
    assert_eq!(pkg.manifest_text(), MANIFEST);
    assert_eq!(pkg.config_schema()["properties"]["segments"]["maximum"], 10);
    assert_eq!(pkg.default_config().expect("default")["segments"], 5);
    assert!(pkg.signature().is_none());

    let statement = pkg.statement();
    let lines: Vec<&str> = statement.lines().collect();
    assert_eq!(lines[0], "rapport-plugin-statement-v1");
    assert_eq!(lines[1], "id rfm");
    assert_eq!(lines[2], "version 0.1.0");
    assert_eq!(lines[3], "kind segmenter");
    assert_eq!(lines[4], "wit rapport:plugin@0.1.0");
    assert_eq!(
        lines[5],
        format!("manifest sha256:{}", hex::encode(Sha256::digest(MANIFEST)))
    );
    assert_eq!(
        lines[6],
        format!(
            "config-schema sha256:{}",
            hex::encode(Sha256::digest(crate::CONFIG_SCHEMA))
        )
    );
    assert_eq!(
        lines[7],
        format!(
            "default-config sha256:{}",
            hex::encode(Sha256::digest(crate::DEFAULT_CONFIG))
        )
    );
    assert_eq!(
        lines[8],
        format!("component sha256:{}", pkg.component_digest())
    );
    assert_eq!(lines.len(), 9);
}

#[test]
fn a_plugin_without_default_configuration_packs_and_verifies() {
    let manifest = crate::manifest_with(&[("default_config = \"config.default.json\"\n", "")]);
    let dir = plugin_dir(&manifest, b"payload");
    fs::remove_file(dir.path().join("config.default.json")).expect("remove");
    let mut pkg = package::pack(dir.path()).expect("pack");
    assert!(pkg.default_config().is_none());
    assert!(
        pkg.statement().contains("\ndefault-config -\n"),
        "{}",
        pkg.statement()
    );
    pkg.sign(&publisher().secret);
    let bytes = pkg.to_bytes();
    assert_eq!(
        entry_names(&bytes),
        [
            "rapport-plugin.toml",
            "config.schema.json",
            "plugin.wasm",
            "rapport-plugin.minisig"
        ]
    );
    Package::from_bytes(&bytes)
        .expect("read")
        .verify(&trusted())
        .expect("verifies");
}

#[test]
fn packing_refuses_what_is_not_a_component() {
    let dir = plugin_dir(MANIFEST, b"payload");
    let wasm = dir.path().join("build/rfm.wasm");

    fs::write(&wasm, [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]).expect("write");
    let err = package::pack(dir.path())
        .expect_err("core module")
        .to_string();
    assert!(
        err.contains("is not a WebAssembly component: it is a core module"),
        "{err}"
    );

    fs::write(&wasm, b"#!/bin/sh\necho hi\n").expect("write");
    let err = package::pack(dir.path()).expect_err("script").to_string();
    assert!(
        err.contains("does not start with the WebAssembly magic"),
        "{err}"
    );

    fs::remove_file(&wasm).expect("remove");
    let err = package::pack(dir.path()).expect_err("missing").to_string();
    assert!(
        err.contains("cannot read") && err.contains("rfm.wasm"),
        "{err}"
    );

    let no_component = plugin_dir(
        &crate::manifest_with(&[("component = \"build/rfm.wasm\"\n", "")]),
        b"x",
    );
    let err = package::pack(no_component.path()).expect_err("no component");
    assert!(matches!(err, PackageError::NoComponent), "{err}");
}

#[test]
fn packing_refuses_an_invalid_manifest() {
    let dir = plugin_dir(
        &crate::manifest_with(&[(r#""purchases.count""#, r#""customer.birth_date""#)]),
        b"x",
    );
    let err = package::pack(dir.path())
        .expect_err("protected field")
        .to_string();
    assert!(err.contains("customer.birth_date"), "{err}");
}

#[test]
fn a_signed_package_verifies_after_a_round_trip_through_a_file() {
    let pkg = signed_package(b"payload");
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("rfm-0.1.0.rpkg");
    pkg.write(&path).expect("write");
    // Writing again replaces the file atomically and leaves no temporary.
    pkg.write(&path).expect("write again");
    let names: Vec<_> = fs::read_dir(tmp.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["rfm-0.1.0.rpkg"]);

    let read = Package::read(&path).expect("read");
    assert_eq!(read.to_bytes(), pkg.to_bytes());
    assert_eq!(
        entry_names(&fs::read(&path).expect("bytes"))
            .last()
            .map(String::as_str),
        Some("rapport-plugin.minisig")
    );

    let verified = read.verify(&trusted()).expect("verifies");
    assert_eq!(verified.signer_key_id, publisher().public.key_id());
    assert_eq!(
        verified.component_digest,
        hex::encode(Sha256::digest(component(b"payload")))
    );
    assert_eq!(
        verified.statement_digest,
        hex::encode(Sha256::digest(read.statement()))
    );

    let sig = read.signature().expect("signed");
    assert!(
        sig.trusted_comment()
            .starts_with(&format!("rfm@0.1.0 sha256:{} ", verified.component_digest)),
        "{}",
        sig.trusted_comment()
    );
    // The signature is minisign's, over the statement.
    publisher()
        .public
        .verify(read.statement().as_bytes(), sig)
        .expect("statement signature");
}

#[test]
fn an_unsigned_package_is_refused() {
    let dir = plugin_dir(MANIFEST, b"payload");
    let pkg = package::pack(dir.path()).expect("pack");
    let read = Package::from_bytes(&pkg.to_bytes()).expect("read");
    let err = read.verify(&trusted()).expect_err("unsigned");
    assert_eq!(err.to_string(), "package is not signed");

    let mut signed = signed_package(b"payload");
    signed.unsign();
    assert!(matches!(
        signed.verify(&trusted()),
        Err(PackageError::NotSigned)
    ));
}

#[test]
fn a_package_signed_by_an_untrusted_key_is_refused_naming_the_key() {
    let pkg = signed_package(b"payload");
    let err = pkg
        .verify(&[stranger().public.clone()])
        .expect_err("untrusted");
    assert_eq!(
        err.to_string(),
        format!(
            "signature was made by key {} which this tenant does not trust",
            publisher().public.key_id()
        )
    );
    assert!(matches!(
        pkg.verify(&[]),
        Err(PackageError::UntrustedKey { .. })
    ));
}

#[test]
fn a_tampered_component_is_refused() {
    let bytes = tampered(|name, mut data| {
        if name == "plugin.wasm" {
            let last = data.len() - 1;
            data[last] ^= 1;
        }
        Some(data)
    });
    let err = verify_err(&bytes);
    assert_eq!(
        err.to_string(),
        "plugin.wasm does not match its signed digest"
    );
}

#[test]
fn a_tampered_manifest_is_refused() {
    let bytes = tampered(|name, data| {
        if name == "rapport-plugin.toml" {
            let text = String::from_utf8(data).expect("utf-8");
            return Some(
                text.replace("memory_mib = 128", "memory_mib = 256")
                    .into_bytes(),
            );
        }
        Some(data)
    });
    let err = verify_err(&bytes);
    assert_eq!(
        err.to_string(),
        "rapport-plugin.toml does not match its signed digest"
    );
}

#[test]
fn a_tampered_schema_or_default_configuration_is_refused() {
    let bytes = tampered(|name, data| {
        if name == "config.schema.json" {
            let text = String::from_utf8(data).expect("utf-8");
            return Some(
                text.replace(r#""maximum": 10"#, r#""maximum": 1000"#)
                    .into_bytes(),
            );
        }
        Some(data)
    });
    assert_eq!(
        verify_err(&bytes).to_string(),
        "config.schema.json does not match its signed digest"
    );

    let bytes = tampered(|name, data| {
        if name == "config.default.json" {
            return Some(br#"{ "thresholds": { "recency": 1 }, "segments": 10 }"#.to_vec());
        }
        Some(data)
    });
    assert_eq!(
        verify_err(&bytes).to_string(),
        "config.default.json does not match its signed digest"
    );
}

#[test]
fn an_added_or_removed_entry_is_refused() {
    let signed = signed_package(b"payload").to_bytes();
    let added = rewrite_tar(&signed, |_, d| Some(d), &[("foo", b"bar")]);
    let err = Package::from_bytes(&added).expect_err("extra entry");
    assert_eq!(err.to_string(), "package holds an unexpected entry `foo`");

    let nested = rewrite_tar(&signed, |_, d| Some(d), &[("lib/plugin.wasm", b"bar")]);
    let err = Package::from_bytes(&nested).expect_err("nested entry");
    assert_eq!(
        err.to_string(),
        "package holds an unexpected entry `lib/plugin.wasm`"
    );

    let twice = rewrite_tar(
        &signed,
        |_, d| Some(d),
        &[("plugin.wasm", &component(b"x"))],
    );
    let err = Package::from_bytes(&twice).expect_err("duplicate entry");
    assert_eq!(err.to_string(), "package holds `plugin.wasm` twice");

    let removed = rewrite_tar(
        &signed,
        |n, d| (n != "config.default.json").then_some(d),
        &[],
    );
    let err = Package::from_bytes(&removed).expect_err("removed default");
    assert!(matches!(err, PackageError::MissingDefaultConfig), "{err}");

    let removed = rewrite_tar(&signed, |n, d| (n != "plugin.wasm").then_some(d), &[]);
    let err = Package::from_bytes(&removed).expect_err("removed component");
    assert_eq!(err.to_string(), "package lacks `plugin.wasm`");

    let removed = rewrite_tar(
        &signed,
        |n, d| (n != "rapport-plugin.minisig").then_some(d),
        &[],
    );
    let pkg = Package::from_bytes(&removed).expect("an unsigned package reads");
    assert!(matches!(
        pkg.verify(&trusted()),
        Err(PackageError::NotSigned)
    ));
}

#[test]
fn links_and_directories_are_refused() {
    let signed = signed_package(b"payload").to_bytes();
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Symlink);
    header.set_size(0);
    builder
        .append_link(&mut header, "plugin.wasm", "/etc/passwd")
        .expect("link");
    let link = builder.into_inner().expect("tar");
    let err = Package::from_bytes(&link).expect_err("symlink");
    assert_eq!(
        err.to_string(),
        "package entry `plugin.wasm` is not a regular file"
    );

    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_size(0);
    header.set_path("build").expect("path");
    header.set_cksum();
    builder.append(&header, std::io::empty()).expect("dir");
    let dir = builder.into_inner().expect("tar");
    assert!(
        matches!(Package::from_bytes(&dir), Err(PackageError::UnexpectedEntry(n)) if n == "build")
    );

    assert!(Package::from_bytes(&signed[..700]).is_err(), "truncated");
    assert!(Package::from_bytes(b"not a tar").is_err());
}

#[test]
fn an_altered_signature_or_trusted_comment_is_refused() {
    let bytes = tampered(|name, data| {
        if name == "rapport-plugin.minisig" {
            let text = String::from_utf8(data).expect("utf-8");
            return Some(text.replace("rfm@0.1.0", "rfm@0.1.1").into_bytes());
        }
        Some(data)
    });
    let err = verify_err(&bytes);
    assert_eq!(
        err.to_string(),
        "signature does not verify: the package was altered after signing"
    );

    // A valid minisign signature over something else is not a statement.
    let other = publisher()
        .secret
        .sign(b"a tarball", "timestamp:1700000000");
    let bytes = tampered(|name, data| {
        if name == "rapport-plugin.minisig" {
            return Some(other.to_text().into_bytes());
        }
        Some(data)
    });
    let err = verify_err(&bytes);
    assert!(matches!(err, PackageError::NotAStatement(_)), "{err}");

    let bytes = tampered(|name, data| {
        (name != "rapport-plugin.minisig")
            .then_some(data)
            .or(Some(b"garbage".to_vec()))
    });
    let err = Package::from_bytes(&bytes).expect_err("garbage signature");
    assert!(matches!(err, PackageError::BadSignatureFile(_)), "{err}");
}

#[test]
fn a_signature_moved_from_another_package_is_refused() {
    let other = signed_package(b"another build");
    let sig = other.signature().expect("signed").to_text();
    let bytes = tampered(|name, data| {
        if name == "rapport-plugin.minisig" {
            return Some(sig.clone().into_bytes());
        }
        Some(data)
    });
    assert_eq!(
        verify_err(&bytes).to_string(),
        "plugin.wasm does not match its signed digest"
    );
}

#[test]
fn re_signing_with_another_key_replaces_the_signature() {
    let mut pkg = signed_package(b"payload");
    pkg.sign(&stranger().secret);
    let verified = pkg
        .verify(&trusted())
        .expect("the stranger is trusted in this list");
    assert_eq!(verified.signer_key_id, stranger().public.key_id());
    assert!(pkg.verify(&[publisher().public.clone()]).is_err());
}

/// The preamble `pack` checks is the one wasmtime expects of a component:
/// the test component loads as a component, a core module does not.
#[test]
fn the_test_component_is_a_component_for_wasmtime() {
    let engine = wasmtime::Engine::default();
    wasmtime::component::Component::new(&engine, component(b"payload"))
        .expect("the test component is a valid component");
    let core = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    assert!(wasmtime::component::Component::new(&engine, core).is_err());
}

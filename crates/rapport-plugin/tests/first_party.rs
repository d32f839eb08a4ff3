//! The first-party packages embedded in the binary are signed by the
//! first-party key and were built from the sources in this repository: each
//! component is rebuilt here (with the same reproducible flags as the release
//! script) and compared byte for byte, and so are the manifest and config
//! schema.

use std::path::Path;

use rapport_plugin::package::{pack, Package};
use rapport_plugin::signing::PublicKey;
use rapport_plugin::{FIRST_PARTY_PACKAGES, FIRST_PARTY_PUBLIC_KEYS};

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn first_party_keys() -> Vec<PublicKey> {
    FIRST_PARTY_PUBLIC_KEYS
        .iter()
        .map(|k| PublicKey::parse(k).expect("the first-party key parses"))
        .collect()
}

#[test]
fn first_party_packages_are_signed_by_the_first_party_key() {
    let keys = first_party_keys();
    assert!(!FIRST_PARTY_PACKAGES.is_empty());
    for (name, bytes) in FIRST_PARTY_PACKAGES {
        let pkg = Package::from_bytes(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let v = pkg.verify(&keys).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.signer_key_id, keys[0].key_id());
        let m = pkg.manifest();
        assert_eq!(*name, format!("{}-{}.rpkg", m.id, m.version));
        assert_eq!(m.publisher, "Rapport");
        // The file in plugins/dist is what the binary embeds.
        let on_disk = std::fs::read(repo().join("plugins/dist").join(name)).expect("dist file");
        assert_eq!(&on_disk[..], *bytes);
    }
}

#[test]
fn first_party_packages_match_their_sources() {
    for (name, bytes) in FIRST_PARTY_PACKAGES {
        let shipped = Package::from_bytes(bytes).expect("package");
        let id = &shipped.manifest().id;
        let dir = repo().join("plugins").join(id);
        let cargo_toml = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml");
        let crate_name = cargo_toml
            .lines()
            .find_map(|l| l.strip_prefix("name = \"")?.strip_suffix('"'))
            .expect("package name");
        rapport_plugin::build::workspace_guest(crate_name).expect("build");
        let rebuilt = pack(&dir).expect("pack the sources");
        let stale = "run scripts/release-first-party.sh to rebuild and re-sign it";
        assert_eq!(
            rebuilt.manifest_text(),
            shipped.manifest_text(),
            "{name}: the manifest differs from plugins/{id}/rapport-plugin.toml; {stale}"
        );
        assert_eq!(
            rebuilt.config_schema(),
            shipped.config_schema(),
            "{name}: the config schema differs from its source; {stale}"
        );
        assert_eq!(
            rebuilt.default_config(),
            shipped.default_config(),
            "{name}: the default config differs from its source; {stale}"
        );
        assert_eq!(
            rebuilt.component_digest(),
            shipped.component_digest(),
            "{name}: the component is not what plugins/{id} builds to; {stale}"
        );
    }
}

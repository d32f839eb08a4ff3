//! Data-driven bad-input cases from `tests/fixtures/bad-import`: each file
//! must be rejected with the expected diagnostics, and the store must hold
//! exactly what it held before.

use rapport_core::{CoreError, ImportKind};

use crate::support::{fixtures, import, import_base, Env};

struct Expect {
    kind: ImportKind,
    diagnostics: Vec<(u64, String, String)>,
    secrets: Vec<String>,
}

fn parse_expect(text: &str) -> Expect {
    let mut lines = text.lines();
    let kind = lines
        .next()
        .and_then(|l| l.strip_prefix("kind: "))
        .expect("first line is `kind: KIND`")
        .parse()
        .expect("known kind");
    let mut diagnostics = Vec::new();
    let mut secrets = Vec::new();
    for l in lines.filter(|l| !l.trim().is_empty()) {
        let parts: Vec<&str> = l.splitn(3, '\t').collect();
        if parts[0] == "secret" {
            secrets.push(parts[1].to_owned());
            continue;
        }
        let line = parts[0].parse().expect("line number");
        diagnostics.push((
            line,
            parts[1].to_owned(),
            parts.get(2).copied().unwrap_or("").to_owned(),
        ));
    }
    Expect {
        kind,
        diagnostics,
        secrets,
    }
}

#[tokio::test]
async fn every_bad_file_is_rejected_with_its_diagnostics_and_changes_nothing() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    import_base(&p, "acme").await;
    let before = p.content_dump().await.expect("dump");

    let dir = fixtures().join("bad-import");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("bad-import dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e != "expect"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 15,
        "expected the full set of bad-input cases, found {}",
        cases.len()
    );
    for file in cases {
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let expect = parse_expect(
            &std::fs::read_to_string(file.with_extension("expect")).expect("expect file"),
        );
        let err = import(&p, "acme", expect.kind, &file)
            .await
            .err()
            .unwrap_or_else(|| panic!("{name}: import was accepted"));
        let CoreError::ImportRejected {
            diagnostics,
            bad_rows,
            ..
        } = &err
        else {
            panic!("{name}: expected a rejection with diagnostics, got: {err}");
        };
        assert!(*bad_rows >= 1, "{name}");
        for (line, field, reason) in &expect.diagnostics {
            let hit = diagnostics.iter().any(|d| {
                d.line == *line
                    && (field == "-" || d.field.as_deref() == Some(field.as_str()))
                    && d.reason.to_lowercase().contains(&reason.to_lowercase())
                    && d.file == name
            });
            assert!(
                hit,
                "{name}: no diagnostic at line {line} field {field} containing {reason:?}; got:\n{}",
                diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")
            );
        }
        for secret in &expect.secrets {
            let all = format!(
                "{err} {}",
                diagnostics
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<String>()
            );
            assert!(
                !all.contains(secret.as_str()),
                "{name}: a diagnostic repeats a personal value"
            );
        }
        let after = p.content_dump().await.expect("dump");
        assert!(
            before == after,
            "{name}: the store changed although the import was rejected"
        );
    }
    p.close().await;
}

#[tokio::test]
async fn reimporting_the_same_files_changes_nothing() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    import_base(&p, "acme").await;
    let before = p.content_dump().await.expect("dump");
    let base = fixtures().join("base");
    for kind in [
        ImportKind::Customers,
        ImportKind::Suppliers,
        ImportKind::Transactions,
        ImportKind::Consents,
    ] {
        let r = import(
            &p,
            "acme",
            kind,
            &base.join(format!("{}.csv", kind.as_str())),
        )
        .await
        .expect("re-import");
        assert_eq!(r.written, 0, "{kind}: re-import wrote rows");
        assert_eq!(r.unchanged, r.rows, "{kind}");
    }
    let after = p.content_dump().await.expect("dump");
    // Only the import log grows.
    let strip = |d: &[String]| -> Vec<String> {
        let mut out = Vec::new();
        let mut in_imports = false;
        for l in d {
            if l.starts_with("table ") {
                in_imports = l == "table imports";
            }
            if !in_imports {
                out.push(l.clone());
            }
        }
        out
    };
    assert_eq!(strip(&before), strip(&after));
    p.close().await;
}

#[tokio::test]
async fn a_changed_row_is_updated_in_place() {
    let env = Env::new();
    let mut p = env.init().await;
    p.create_tenant("acme").await.expect("tenant");
    import_base(&p, "acme").await;
    let changed = env.tmp.path().join("customers.csv");
    let text = std::fs::read_to_string(fixtures().join("base/customers.csv")).expect("read");
    std::fs::write(
        &changed,
        text.replace("amara.okafor@example.org", "amara@example.net"),
    )
    .expect("write");
    let r = import(&p, "acme", ImportKind::Customers, &changed)
        .await
        .expect("import");
    assert_eq!((r.written, r.unchanged, r.new_subjects), (1, 2, 0));
    let profile = p.profile("acme", "C1").await.expect("profile");
    assert_eq!(
        profile.fields.get("email").map(String::as_str),
        Some("amara@example.net")
    );
    assert_eq!(
        profile.fields.get("name").map(String::as_str),
        Some("Amara Okafor")
    );
    p.close().await;
}

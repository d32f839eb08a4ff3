//! `rapport quickstart`: the whole product on a sample tenant, in one command.
//!
//! It creates a data directory (a fresh temporary one unless --data-dir is
//! given), generates a sample data set, creates the tenant `demo`, imports
//! every file, runs the rfm plugin, verifies the tenant's audit log, and
//! shows that personal data is sealed on disk.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rapport_core::{DataDirs, Format, ImportKind, KeyringOptions, Platform, Unlock};
use serde::Serialize;

use super::import::import_file;
use super::Ctx;
use crate::cli::QuickstartArgs;
use crate::output;

const TENANT: &str = "demo";

const NOTICE_V1: &str = "Demo Ltd privacy notice, version 1.\n\
We use your contact details to deliver orders (contract), to understand how \
customers shop (legitimate interests) and, with your consent, to send \
marketing e-mails. You can withdraw consent or object at any time.\n";

const NOTICE_V2: &str = "Demo Ltd privacy notice, version 2.\n\
We use your contact details to deliver orders (contract), to understand how \
customers shop (legitimate interests) and, with your consent, to send \
marketing e-mails. Californian customers may opt out of the sale or sharing \
of their data, including by Global Privacy Control. You can withdraw consent \
or object at any time.\n";

#[derive(Serialize)]
struct Summary {
    data_dir: PathBuf,
    identity_file: PathBuf,
    sample_dir: PathBuf,
    tenant: String,
    imports: Vec<rapport_core::ImportReport>,
    plaintext_emails_found_on_disk: usize,
    emails_checked: usize,
    consent: rapport_core::ConsentSummary,
    plugin_run: rapport_core::RunView,
    audit_log: rapport_core::VerifyReport,
}

struct QuickstartPlugins {
    installed: rapport_core::InstallationView,
    run: rapport_core::RunView,
    scores: rapport_core::ScoresReport,
}

async fn quickstart_plugins(p: &Platform) -> Result<QuickstartPlugins> {
    p.publish_first_party()
        .await
        .context("could not publish the first-party plugins")?;
    let installed = p
        .install_plugin(TENANT, "rfm", "marketing_segmentation", None, None)
        .await
        .context("could not install the rfm plugin")?;
    let run = p
        .run_plugin(TENANT, "rfm", &rapport_core::RunOptions::default())
        .await
        .context("could not run the rfm plugin")?;
    if let Some(f) = &run.failure {
        bail!("the rfm run failed: {f}");
    }
    let scores = p
        .run_scores(TENANT, &run.run, Some(3))
        .await
        .context("could not read the rfm scores")?;
    Ok(QuickstartPlugins {
        installed,
        run,
        scores,
    })
}

pub async fn run(ctx: &Ctx, args: QuickstartArgs) -> Result<()> {
    let data = match &ctx.data_dir {
        Some(d) => d.clone(),
        None => tempfile::Builder::new()
            .prefix("rapport-quickstart-")
            .tempdir()
            .context("could not create a temporary directory")?
            .keep(),
    };
    let dirs = match &ctx.key_dir {
        Some(k) => DataDirs::with_keys(&data, k),
        None => DataDirs::new(&data),
    };
    if dirs.is_initialised() {
        bail!(
            "{} already holds a data directory; give quickstart a new --data-dir or none",
            data.display()
        );
    }
    let say = |s: String| {
        if !ctx.json {
            crate::outln!("{s}");
        }
    };

    // 1. A sample data set, beside the data directory rather than in it: it
    //    is plaintext, and nothing in a data directory is.
    let sample = sibling(&data, "sample");
    let opts = rapport_generate::Options::new(args.customers, args.seed, sample.clone());
    rapport_generate::generate(&opts, &|_| {}).context("could not generate the sample data set")?;
    say(format!(
        "1. Generated a sample data set: {} customers, seed {}, in {}",
        args.customers,
        args.seed,
        sample.display()
    ));

    // 2. The data directory, its keyring unlocked by a fresh age identity
    //    kept outside it.
    let identity = match &ctx.identity {
        Some(p) => p.clone(),
        None => sibling(&data, "identity.txt"),
    };
    if !identity.exists() {
        rapport_vault::generate_identity_file(&identity)
            .with_context(|| format!("could not create identity file {}", identity.display()))?;
    }
    let unlock = Unlock::IdentityFile(identity.clone());
    let mut p = Platform::init(dirs.clone(), &unlock, &KeyringOptions::default())
        .await
        .with_context(|| format!("could not create a data directory at {}", data.display()))?;
    say(format!(
        "2. Created the data directory {} (store rapport.db; keyring and key store in {})",
        data.display(),
        dirs.keys.display()
    ));

    // 3. A tenant and every import.
    p.create_tenant(TENANT)
        .await
        .context("could not create the demo tenant")?;
    // The sample's consent records cite two versions of the privacy notice.
    for text in [NOTICE_V1, NOTICE_V2] {
        p.publish_notice(TENANT, "privacy-notice", text, false)
            .await
            .context("could not publish the sample privacy notice")?;
    }
    say(format!(
        "3. Created tenant `{TENANT}`, published privacy-notice v1 and v2, and imported:"
    ));
    let mut imports = Vec::new();
    for kind in ImportKind::ALL {
        let file = sample.join(format!("{}.csv", kind.as_str()));
        let r = import_file(ctx, &p, TENANT, kind, Format::Csv, &file).await?;
        say(format!(
            "     {:<13} {:>8} rows  {:>8} written  {:>6.2}s",
            r.kind, r.rows, r.written, r.seconds
        ));
        imports.push(r);
    }

    // 4. Re-importing changes nothing.
    let again = import_file(
        ctx,
        &p,
        TENANT,
        ImportKind::Customers,
        Format::Csv,
        &sample.join("customers.csv"),
    )
    .await?;
    say(format!(
        "4. Re-imported customers.csv: {} written, {} unchanged (upsert by external id)",
        again.written, again.unchanged
    ));
    // 5. Consent decides who may be processed for what, and says why.
    let summary = p
        .consent_summary(TENANT, "direct_marketing_email", None)
        .await
        .context("could not summarise consent")?;
    say(format!(
        "5. Consent for direct_marketing_email: {} of {} customers allowed, {} denied; top reasons:",
        summary.allowed, summary.subjects, summary.denied
    ));
    let mut reasons: Vec<(&String, &u64)> = summary.denied_by_rule.iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (rule, n) in reasons.iter().take(4) {
        say(format!("     {n:>6}  {rule}"));
    }
    let check = p
        .check_consent(TENANT, "C0000001", "direct_marketing_email", None, None)
        .await
        .context("could not check consent")?;
    say(format!(
        "   C0000001: {} ({})",
        if check.allowed { "allowed" } else { "denied" },
        check
            .reasons
            .iter()
            .map(|r| format!("{} {}", r.citation, r.message))
            .collect::<Vec<_>>()
            .join("; ")
    ));
    // 6. The first-party rfm plugin: published from the packages built into
    //    this binary, verified against the first-party key, installed for
    //    marketing segmentation, and run over the customers consent allows.
    let plugins = quickstart_plugins(&p).await?;
    say(format!(
        "6. Installed rfm@{} (signed by the first-party key {}) for marketing_segmentation and ran it:",
        plugins.installed.version, plugins.installed.signer_key_id
    ));
    say(format!(
        "     run {}: {} customers scored, {} left out by consent, {} ms; output sha256:{}",
        plugins.run.run,
        plugins.run.subjects,
        plugins.run.excluded_by_consent,
        plugins.run.duration_ms,
        plugins.run.output_hash.as_deref().unwrap_or("-")
    ));
    say("     top segments:".to_owned());
    for (label, n) in plugins.scores.labels.iter().take(5) {
        say(format!("     {n:>6}  {label}"));
    }
    for o in plugins.scores.outputs.iter().take(3) {
        let why: Vec<String> = o
            .explanation
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|c| c.get("label").and_then(serde_json::Value::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        say(format!(
            "     {}: {} (score {}): {}",
            o.subject,
            o.label.as_deref().unwrap_or("-"),
            o.score,
            why.join("; ")
        ));
    }
    // 7. Everything above is in the tenant's tamper-evident audit log.
    p.audit_checkpoint(rapport_core::LogRef::Tenant(TENANT))
        .await
        .context("could not sign a tree head")?;
    let audit = p
        .audit_verify(Some(TENANT), None)
        .await
        .context("could not verify the audit log")?;
    let log = audit.logs.first();
    say(format!(
        "7. Audit log of `{TENANT}`: {} entries (imports, notices, the plugin install and run), {} tree heads, root {}: {}",
        log.map_or(0, |l| l.entries),
        log.map_or(0, |l| l.heads_checked),
        log.map_or("-", |l| l.root.as_str()),
        if audit.ok { "verified" } else { "FAILED verification" }
    ));
    p.close().await;
    if !audit.ok {
        bail!("the audit log failed verification");
    }

    // 8. Personal data is sealed on disk.
    let emails = sample_emails(&sample.join("customers.csv"), 200)?;
    let found = plaintext_hits(&data, &emails)?;
    say(format!(
        "8. Scanned every file of the data directory for {} sample e-mail addresses: {} found in plaintext",
        emails.len(),
        found
    ));

    if ctx.json {
        output::json(&Summary {
            data_dir: data.clone(),
            identity_file: identity.clone(),
            sample_dir: sample,
            tenant: TENANT.to_owned(),
            imports,
            plaintext_emails_found_on_disk: found,
            emails_checked: emails.len(),
            consent: summary,
            plugin_run: plugins.run,
            audit_log: audit,
        })?;
    } else {
        let id = identity.display();
        let d = data.display();
        // The binary that is running, so the commands work without installing it.
        let exe = std::env::current_exe()
            .ok()
            .and_then(|p| {
                let cwd = std::env::current_dir().ok()?;
                Some(p.strip_prefix(&cwd).map(Path::to_path_buf).unwrap_or(p))
            })
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "rapport".to_owned());
        crate::outln!();
        crate::outln!("Next steps:");
        crate::outln!("  {exe} --data-dir {d} --identity {id} tenant list");
        crate::outln!(
            "  {exe} --data-dir {d} --identity {id} subject show --tenant {TENANT} C0000001"
        );
        crate::outln!(
            "  {exe} --data-dir {d} --identity {id} consent check --tenant {TENANT} --subject C0000001 --purpose direct_marketing_email"
        );
        crate::outln!("  {exe} --data-dir {d} --identity {id} consent history --tenant {TENANT} --subject C0000001");
        crate::outln!(
            "  {exe} --data-dir {d} --identity {id} scores --tenant {TENANT} --run {} --limit 5",
            plugins.run.run
        );
        crate::outln!(
            "  {exe} --data-dir {d} --identity {id} run replay --tenant {TENANT} {}",
            plugins.run.run
        );
        crate::outln!("  {exe} --data-dir {d} --identity {id} audit log --tenant {TENANT}");
        crate::outln!("  {exe} --data-dir {d} --identity {id} audit verify");
    }
    if found > 0 {
        bail!("{found} personal values were found in plaintext on disk");
    }
    Ok(())
}

/// The first `n` e-mail addresses of a generated customers file.
fn sample_emails(customers: &Path, n: usize) -> Result<Vec<String>> {
    let mut rdr = csv::Reader::from_path(customers)
        .with_context(|| format!("could not read {}", customers.display()))?;
    let headers = rdr.headers()?.clone();
    let col = headers
        .iter()
        .position(|h| h == "email")
        .context("customers.csv has no email column")?;
    let mut out = Vec::new();
    for rec in rdr.records().take(n) {
        let rec = rec?;
        if let Some(e) = rec.get(col).filter(|e| !e.is_empty()) {
            out.push(e.to_owned());
        }
    }
    Ok(out)
}

/// `DIR-suffix` next to `DIR`.
fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rapport".to_owned());
    dir.with_file_name(format!("{name}-{suffix}"))
}

/// How many of `needles` appear in any file under `root`.
fn plaintext_hits(root: &Path, needles: &[String]) -> Result<usize> {
    let matcher = aho_corasick::AhoCorasick::new(needles).context("could not build the scanner")?;
    let mut found = std::collections::HashSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("could not list {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path)
                .with_context(|| format!("could not read {}", path.display()))?;
            for m in matcher.find_overlapping_iter(bytes.as_slice()) {
                found.insert(m.pattern());
            }
        }
    }
    Ok(found.len())
}

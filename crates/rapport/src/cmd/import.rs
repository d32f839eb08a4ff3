//! `rapport import`: one file into one tenant, all or nothing.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use rapport_core::{Format, ImportKind, ImportReport, ImportSource, Platform};

use super::generate::progress_bar;
use super::Ctx;
use crate::cli::ImportArgs;
use crate::output;

pub async fn run(ctx: &Ctx, args: ImportArgs) -> Result<()> {
    let kind: ImportKind = args.kind.parse()?;
    let format = resolve_format(args.format.as_deref(), &args.file)?;
    let p = ctx.open().await?;
    let result = import_file(ctx, &p, &args.tenant, kind, format, &args.file).await;
    p.close().await;
    let report = result?;
    if ctx.json {
        output::json(&report)?;
    } else {
        print_report(&report);
    }
    Ok(())
}

pub fn print_report(r: &ImportReport) {
    crate::outln!(
        "Imported {} {} from {} into {}: {} written, {} unchanged{} in {:.2}s",
        r.rows,
        r.kind,
        r.source,
        r.tenant,
        r.written,
        r.unchanged,
        if r.skipped_erased > 0 {
            format!(", {} skipped (erased subjects)", r.skipped_erased)
        } else {
            String::new()
        },
        r.seconds
    );
}

/// The format named on the command line, or the one the extension implies.
pub fn resolve_format(format: Option<&str>, file: &Path) -> Result<Format> {
    if let Some(f) = format {
        return Format::parse(f)
            .ok_or_else(|| anyhow!("unknown format `{f}` (expected csv, jsonl or cdnow)"));
    }
    if file == Path::new("-") {
        bail!("reading standard input needs --format (csv, jsonl or cdnow)");
    }
    Format::from_path(file).ok_or_else(|| {
        anyhow!(
            "cannot tell the format of {} from its extension (.csv, .jsonl or .ndjson); pass --format",
            file.display()
        )
    })
}

pub async fn import_file(
    ctx: &Ctx,
    p: &Platform,
    tenant: &str,
    kind: ImportKind,
    format: Format,
    file: &Path,
) -> Result<ImportReport> {
    let (source, len) = if file == Path::new("-") {
        (
            ImportSource {
                name: "<stdin>".to_owned(),
                reader: Box::new(std::io::stdin()),
            },
            0,
        )
    } else {
        let f = std::fs::File::open(file)
            .with_context(|| format!("could not open {}", file.display()))?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        (
            ImportSource {
                name: file.display().to_string(),
                reader: Box::new(std::io::BufReader::with_capacity(1 << 20, f)),
            },
            len,
        )
    };
    let bar = if len > 0 {
        progress_bar(ctx, len, &format!("importing {kind}"))
    } else {
        None
    };
    let report = p
        .import(tenant, kind, format, source, &|bytes| {
            if let Some(b) = &bar {
                b.set_position(bytes);
            }
        })
        .await
        .with_context(|| format!("could not import {} into tenant `{tenant}`", file.display()));
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    report
}

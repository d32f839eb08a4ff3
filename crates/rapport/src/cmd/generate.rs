//! `rapport generate`: a synthetic data set, one CSV per import kind.

use std::io::IsTerminal;

use anyhow::{Context, Result};

use super::Ctx;
use crate::cli::GenerateArgs;
use crate::output;

pub fn run(ctx: &Ctx, args: GenerateArgs) -> Result<()> {
    let opts = rapport_generate::Options::new(args.customers, args.seed, args.out.clone());
    let bar = progress_bar(ctx, args.customers, "generating customers");
    let summary = rapport_generate::generate(&opts, &|done| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    })
    .with_context(|| format!("could not generate a data set in {}", args.out.display()))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if ctx.json {
        output::json(&summary)?;
    } else {
        crate::outln!(
            "Wrote {} customers (seed {}) to {}",
            args.customers,
            args.seed,
            args.out.display()
        );
        for (kind, path, rows) in &summary.files {
            crate::outln!("  {kind:<13} {rows:>10} rows  {}", path.display());
        }
    }
    Ok(())
}

/// A progress bar on standard error, only when it is a terminal and the
/// output is for people.
pub fn progress_bar(ctx: &Ctx, len: u64, what: &str) -> Option<indicatif::ProgressBar> {
    if ctx.json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    Some(bar)
}

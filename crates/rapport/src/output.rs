//! Printing results and errors, as text or as JSON.

use rapport_core::CoreError;
use serde::Serialize;

/// `println!` for standard output that treats a closed pipe (`rapport … |
/// head`) as the end of the reader's interest rather than a crash: the
/// process ends quietly, as Unix tools do.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        if let Err(e) = writeln!(out, $($arg)*) {
            $crate::output::stdout_failed(&e);
        }
    }};
}

/// Ends the process after a failed write to standard output: quietly on a
/// closed pipe, with a message otherwise.
pub fn stdout_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(141);
    }
    eprintln!("error: could not write to standard output: {e}");
    std::process::exit(1);
}

/// Prints a value as pretty JSON on standard output.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    crate::outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints an error: one line, then its cause chain, then any import
/// diagnostics. With `--json`, the same as one JSON object on standard output.
pub fn print_error(e: &anyhow::Error, json: bool) {
    let causes: Vec<String> = e.chain().skip(1).map(|c| c.to_string()).collect();
    let diagnostics: Vec<String> = e
        .chain()
        .find_map(|c| c.downcast_ref::<CoreError>())
        .and_then(|c| match c {
            CoreError::ImportRejected { diagnostics, .. } => {
                Some(diagnostics.iter().map(|d| d.to_string()).collect())
            }
            _ => None,
        })
        .unwrap_or_default();
    let bad_rows = e.chain().find_map(|c| match c.downcast_ref::<CoreError>() {
        Some(CoreError::ImportRejected { bad_rows, .. }) => Some(*bad_rows),
        _ => None,
    });
    if json {
        let v = serde_json::json!({
            "error": e.to_string(),
            "causes": causes,
            "diagnostics": diagnostics,
        });
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| v.to_string())
        );
        return;
    }
    for d in &diagnostics {
        eprintln!("{d}");
    }
    if let Some(n) = bad_rows {
        if diagnostics.len() >= rapport_core::MAX_DIAGNOSTICS {
            eprintln!(
                "(only the first {} problems are shown; {n} rows are bad in all)",
                diagnostics.len()
            );
        }
    }
    eprintln!("error: {e}");
    for c in causes {
        eprintln!("  caused by: {c}");
    }
}

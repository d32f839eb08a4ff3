//! Times a full generation: `cargo run --release -p rapport-generate
//! --example gen -- N OUT_DIR [SEED]`. Prints the wall time and, per file,
//! the rows and bytes written.

use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: gen N OUT_DIR [SEED]";
    let n: u64 = args.next().ok_or(usage)?.parse()?;
    let out = PathBuf::from(args.next().ok_or(usage)?);
    let seed: u64 = match args.next() {
        Some(s) => s.parse()?,
        None => 42,
    };
    let opts = rapport_generate::Options::new(n, seed, out);
    let started = Instant::now();
    let summary = rapport_generate::generate(&opts, &|_| {})?;
    let elapsed = started.elapsed();
    let mut total = 0;
    for (kind, path, rows) in &summary.files {
        let bytes = std::fs::metadata(path)?.len();
        total += bytes;
        println!("{kind:<13} {rows:>11} rows {:>10.1} MB", bytes as f64 / 1e6);
    }
    println!(
        "{n} customers in {:.2} s, {:.1} MB in total",
        elapsed.as_secs_f64(),
        total as f64 / 1e6
    );
    Ok(())
}

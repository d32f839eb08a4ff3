//! The file formats an import can come in.

use std::fmt;
use std::path::Path;

/// How an import file is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header line of exact column names.
    Csv,
    /// One JSON object per non-blank line.
    JsonLines,
    /// The whitespace-separated CDNOW purchase log (customers and transactions only).
    Cdnow,
}

impl Format {
    /// Guesses the format from a file extension (ASCII case-insensitive).
    ///
    /// CDNOW files end in `.txt`, which says nothing about their layout, so
    /// that format must always be named explicitly.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }

    /// Parses a format name as given on a command line.
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "json-lines" | "jsonlines" | "ndjson" => Some(Format::JsonLines),
            "cdnow" => Some(Format::Cdnow),
            _ => None,
        }
    }

    /// The canonical name, accepted by [`Format::parse`].
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::JsonLines => "jsonl",
            Format::Cdnow => "cdnow",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_and_names() {
        assert_eq!(
            Format::from_path(Path::new("a/customers.CSV")),
            Some(Format::Csv)
        );
        assert_eq!(
            Format::from_path(Path::new("x.ndjson")),
            Some(Format::JsonLines)
        );
        assert_eq!(
            Format::from_path(Path::new("x.jsonl")),
            Some(Format::JsonLines)
        );
        assert_eq!(Format::from_path(Path::new("CDNOW_master.txt")), None);
        assert_eq!(Format::from_path(Path::new("noext")), None);
        for f in [Format::Csv, Format::JsonLines, Format::Cdnow] {
            assert_eq!(Format::parse(f.as_str()), Some(f));
        }
        assert_eq!(Format::parse("json-lines"), Some(Format::JsonLines));
        assert_eq!(Format::parse("ndjson"), Some(Format::JsonLines));
        assert_eq!(Format::parse("xml"), None);
    }
}

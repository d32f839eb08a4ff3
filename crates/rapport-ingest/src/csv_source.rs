//! CSV rows as JSON objects ready for schema validation.
//!
//! The header names the columns exactly as the row type's fields; it is
//! checked once, so an unknown or missing column is one diagnostic on line 1
//! and not one per row. Cells are read as bytes so that invalid UTF-8 is a
//! diagnostic naming the line and column rather than a failed import. An
//! empty cell means "absent"; other cells are coerced to the JSON type the
//! schema declares for their column, so that `"3"` validates as an integer and
//! `"three"` fails with a type error.

use std::io::{self, Read};

use csv::{ByteRecord, ReaderBuilder, Terminator};
use serde_json::{Map, Number, Value};

use crate::reader::Raw;
use crate::schema::{normalise_integer, JsonKind, KindSchema, Problem};

/// The UTF-8 byte order mark some spreadsheet programs write.
const BOM: &[u8] = b"\xEF\xBB\xBF";

struct Column {
    name: String,
    kind: JsonKind,
}

/// A CSV file whose header has been checked.
pub(crate) struct CsvSource {
    reader: csv::Reader<Box<dyn Read + Send>>,
    columns: Vec<Column>,
    record: ByteRecord,
    last_line: u64,
}

impl CsvSource {
    /// Reads and checks the header. On failure, returns the header's line and
    /// every header problem in one message.
    pub fn new(
        schema: &KindSchema,
        input: Box<dyn Read + Send>,
    ) -> Result<CsvSource, (u64, Problem)> {
        let mut reader = ReaderBuilder::new()
            .has_headers(true)
            // Rows with the wrong number of fields are diagnosed here, with
            // the line, instead of surfacing as a csv error.
            .flexible(true)
            // LfReader turns every line ending into `\n`; see `start_line`.
            .terminator(Terminator::Any(b'\n'))
            .from_reader(Box::new(LfReader::new(input)) as Box<dyn Read + Send>);
        let header = match reader.byte_headers() {
            Ok(h) => h.clone(),
            Err(e) => return Err((1, Problem::row(format!("cannot read the header: {e}")))),
        };
        let line = start_line(&header, reader.position().line());
        if header.is_empty()
            || (header.len() == 1 && header.get(0).is_some_and(|f| f.is_empty() || f == BOM))
        {
            return Err((
                line,
                Problem::row(format!(
                    "has no header line (expected column names from: {})",
                    schema.names()
                )),
            ));
        }

        let mut columns = Vec::with_capacity(header.len());
        let mut unknown = Vec::new();
        let mut repeated = Vec::new();
        for (i, raw) in header.iter().enumerate() {
            let raw = if i == 0 {
                raw.strip_prefix(BOM).unwrap_or(raw)
            } else {
                raw
            };
            let Ok(name) = std::str::from_utf8(raw) else {
                return Err((line, Problem::row("the header is not valid UTF-8")));
            };
            if columns.iter().any(|c: &Column| c.name == name) {
                repeated.push(format!("`{name}`"));
            }
            let kind = match schema.position(name) {
                Some(p) => schema.properties[p].kind,
                None => {
                    unknown.push(format!("`{name}`"));
                    JsonKind::String
                }
            };
            columns.push(Column {
                name: name.to_owned(),
                kind,
            });
        }
        let missing: Vec<String> = schema
            .properties
            .iter()
            .filter(|p| p.required && !columns.iter().any(|c| c.name == p.name))
            .map(|p| format!("`{}`", p.name))
            .collect();

        let mut reasons = Vec::new();
        if !unknown.is_empty() {
            reasons.push(format!(
                "unknown {} {} (expected one of: {})",
                plural(unknown.len(), "column", "columns"),
                unknown.join(", "),
                schema.names()
            ));
        }
        if !missing.is_empty() {
            reasons.push(format!(
                "missing required {} {}",
                plural(missing.len(), "column", "columns"),
                missing.join(", ")
            ));
        }
        if !repeated.is_empty() {
            reasons.push(format!(
                "{} {} {} more than once",
                plural(repeated.len(), "column", "columns"),
                repeated.join(", "),
                plural(repeated.len(), "appears", "appear")
            ));
        }
        if !reasons.is_empty() {
            // A header with a single bad column names it as the field, so a
            // diagnostic reads `file:1: field `discount`: unknown column …`.
            let problem = match (unknown.as_slice(), missing.as_slice(), repeated.is_empty()) {
                ([one], [], true) | ([], [one], true) => {
                    Problem::field(one.trim_matches('`'), reasons.join("; "))
                }
                _ => Problem::row(reasons.join("; ")),
            };
            return Err((line, problem));
        }
        Ok(CsvSource {
            reader,
            columns,
            record: ByteRecord::new(),
            last_line: line,
        })
    }

    pub fn next_raw(&mut self) -> Option<Raw> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => return None,
            Ok(true) => {}
            Err(e) => {
                // The line being read when it failed.
                let line = self.reader.position().line().max(self.last_line + 1);
                return Some(Raw::Fatal {
                    line,
                    problem: Problem::row(format!("cannot read the file: {e}")),
                });
            }
        }
        let line = start_line(&self.record, self.reader.position().line());
        self.last_line = line;

        if self.record.len() != self.columns.len() {
            return Some(Raw::Bad {
                line,
                problems: vec![Problem::row(format!(
                    "has {} fields but the header has {}",
                    self.record.len(),
                    self.columns.len()
                ))],
            });
        }

        let mut object = Map::with_capacity(self.columns.len());
        let mut problems = Vec::new();
        for (column, cell) in self.columns.iter().zip(self.record.iter()) {
            if cell.is_empty() {
                continue;
            }
            match std::str::from_utf8(cell) {
                Ok(text) => match coerce(column.kind, text) {
                    Ok(value) => {
                        object.insert(column.name.clone(), value);
                    }
                    Err(reason) => problems.push(Problem::field(column.name.clone(), reason)),
                },
                Err(_) => problems.push(Problem::field(column.name.clone(), "is not valid UTF-8")),
            }
        }
        Some(Raw::Object {
            line,
            object,
            problems,
        })
    }
}

/// The physical line a record starts on.
///
/// csv's own record position is where it *started reading*, which is wrong
/// after skipped blank lines and, with CRLF endings, one line early. The
/// position after the record is exact, because [`LfReader`] guarantees every
/// record ends with one consumed `\n`: the start is that line, minus the
/// terminator, minus the newlines inside quoted fields.
fn start_line(record: &ByteRecord, line_after: u64) -> u64 {
    let embedded: usize = record
        .iter()
        .map(|f| f.iter().filter(|&&b| b == b'\n').count())
        .sum();
    line_after.saturating_sub(1 + embedded as u64).max(1)
}

/// Normalises line endings for the CSV parser: `\r\n` becomes `\n` (also
/// inside quoted fields), and a final `\n` is added when the input does not
/// end with one. A lone `\r` is left as data.
struct LfReader {
    inner: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// A `\r` ended the last chunk; whether it starts a `\r\n` is not known yet.
    pending_cr: bool,
    /// The last byte produced, to know whether a final `\n` is needed.
    last: Option<u8>,
    done: bool,
}

impl LfReader {
    const CHUNK: usize = 64 * 1024;

    fn new(inner: Box<dyn Read + Send>) -> LfReader {
        LfReader {
            inner,
            buf: vec![0; Self::CHUNK + 1],
            start: 0,
            end: 0,
            pending_cr: false,
            last: None,
            done: false,
        }
    }

    /// Refills `buf` with the next normalised bytes (possibly none).
    fn refill(&mut self) -> io::Result<()> {
        let carried = usize::from(self.pending_cr);
        if self.pending_cr {
            self.buf[0] = b'\r';
        }
        let n = loop {
            match self.inner.read(&mut self.buf[carried..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        self.pending_cr = false;
        let total = carried + n;
        let mut out = 0;
        if n == 0 {
            // End of input: flush a held `\r`, and end the last line.
            self.done = true;
            out = total;
            if total == 1 {
                self.last = Some(b'\r');
            }
            if self.last.is_some_and(|b| b != b'\n') {
                self.buf[out] = b'\n';
                out += 1;
            }
        } else {
            let mut i = 0;
            while i < total {
                let b = self.buf[i];
                i += 1;
                if b == b'\r' {
                    if i == total {
                        self.pending_cr = true;
                        continue;
                    }
                    if self.buf[i] == b'\n' {
                        continue;
                    }
                }
                self.buf[out] = b;
                out += 1;
            }
        }
        if out > 0 {
            self.last = Some(self.buf[out - 1]);
        }
        self.start = 0;
        self.end = out;
        Ok(())
    }
}

impl Read for LfReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.start == self.end {
            if self.done || out.is_empty() {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Converts a cell to the column's JSON type. Text that does not convert
/// stays text, so the schema reports the type error with its field name; the
/// error is for a whole number too large for the row type.
fn coerce(kind: JsonKind, text: &str) -> Result<Value, &'static str> {
    let number = |t: &str| t.trim().parse::<f64>().ok().and_then(Number::from_f64);
    Ok(match kind {
        JsonKind::String => Value::String(text.to_owned()),
        JsonKind::Integer => {
            if let Ok(i) = text.trim().parse::<i64>() {
                return Ok(Value::from(i));
            }
            match number(text) {
                Some(n) => {
                    let mut v = Value::Number(n);
                    normalise_integer(&mut v)?;
                    v
                }
                None => Value::String(text.to_owned()),
            }
        }
        // `inf` and `NaN` parse as f64 but are not JSON numbers; they stay
        // text and fail the type check.
        JsonKind::Number => {
            number(text).map_or_else(|| Value::String(text.to_owned()), Value::Number)
        }
        JsonKind::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text.to_owned()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalised(input: &[u8], chunk: usize) -> Vec<u8> {
        struct Trickle(Vec<u8>, usize, usize);
        impl Read for Trickle {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.2.min(out.len()).min(self.0.len() - self.1);
                out[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
                self.1 += n;
                Ok(n)
            }
        }
        let mut out = Vec::new();
        LfReader::new(Box::new(Trickle(input.to_vec(), 0, chunk)))
            .read_to_end(&mut out)
            .expect("in-memory read");
        out
    }

    #[test]
    fn line_endings_are_normalised_across_chunk_boundaries() {
        for chunk in [1, 2, 3, 1000] {
            assert_eq!(normalised(b"a\r\nb\r\n", chunk), b"a\nb\n", "{chunk}");
            assert_eq!(normalised(b"a\r\nb", chunk), b"a\nb\n", "{chunk}");
            assert_eq!(normalised(b"a\rb\r", chunk), b"a\rb\r\n", "{chunk}");
            assert_eq!(normalised(b"\r", chunk), b"\r\n", "{chunk}");
            assert_eq!(normalised(b"", chunk), b"", "{chunk}");
            assert_eq!(normalised(b"a\n\n", chunk), b"a\n\n", "{chunk}");
        }
    }

    #[test]
    fn cells_are_coerced_to_the_column_type() {
        let c = |k, t| coerce(k, t).expect("coerces");
        assert_eq!(c(JsonKind::Integer, "3"), Value::from(3));
        assert_eq!(c(JsonKind::Integer, "3.0"), Value::from(3));
        assert_eq!(c(JsonKind::Integer, "1e3"), Value::from(1000));
        assert!(c(JsonKind::Integer, "3.5").is_f64());
        assert_eq!(c(JsonKind::Integer, "three"), Value::from("three"));
        assert!(coerce(JsonKind::Integer, "99999999999999999999").is_err());
        assert_eq!(c(JsonKind::Number, "2.5"), Value::from(2.5));
        assert_eq!(c(JsonKind::Number, "NaN"), Value::from("NaN"));
        assert_eq!(c(JsonKind::Number, "inf"), Value::from("inf"));
        assert_eq!(c(JsonKind::Boolean, "TRUE"), Value::Bool(true));
        assert_eq!(c(JsonKind::String, " 7 "), Value::from(" 7 "));
    }
}

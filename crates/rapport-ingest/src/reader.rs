//! The reader: one validated row (or every problem of a bad row) per item.
//!
//! Format-specific sources turn the input into JSON objects ([`Raw`]); this
//! module runs every object through the same gates (schema, typed row,
//! domain checks, unique id) so that CSV, JSON Lines and CDNOW files are held
//! to exactly the same rules.

use std::collections::HashMap;
use std::io::Read;

use rapport_domain::{FieldError, ImportKind};
use serde_json::{Map, Value};

use crate::cdnow::CdnowSource;
use crate::csv_source::CsvSource;
use crate::diagnostic::Diagnostic;
use crate::format::Format;
use crate::jsonl::JsonlSource;
use crate::record::{Record, Row};
use crate::schema::{KindSchema, Problem};

/// What a source hands to the reader for one row.
pub(crate) enum Raw {
    /// An object to validate, with problems found while reading it (invalid
    /// UTF-8 in a cell, say). Those fields are left out of the object, and
    /// later problems with them are not reported twice.
    Object {
        line: u64,
        object: Map<String, Value>,
        problems: Vec<Problem>,
    },
    /// A row that cannot be validated at all (malformed JSON, wrong number of
    /// CSV fields).
    Bad { line: u64, problems: Vec<Problem> },
    /// The input cannot be read any further.
    Fatal { line: u64, problem: Problem },
}

impl Raw {
    pub fn bad(line: u64, problem: Problem) -> Raw {
        Raw::Bad {
            line,
            problems: vec![problem],
        }
    }
}

enum Source {
    Csv(CsvSource),
    JsonLines(JsonlSource),
    Cdnow(CdnowSource),
}

/// Reads one import file of one kind.
///
/// Iterating yields one item per data row, in file order: the typed row, or
/// every diagnostic for that row at once. The reader keeps going after a bad
/// row so that one run reports every problem in the file; only an IO error
/// ends it early (after yielding a diagnostic for it).
pub struct Reader {
    kind: ImportKind,
    format: Format,
    file: String,
    schema: KindSchema,
    source: Source,
    /// First line of every id seen, for duplicate detection within the file.
    seen: HashMap<Box<str>, u64>,
    done: bool,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("kind", &self.kind)
            .field("format", &self.format)
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl Reader {
    /// Reads the header (CSV) and prepares validation; a header problem is a
    /// Diagnostic at line 1.
    pub fn new(
        kind: ImportKind,
        format: Format,
        file_name: &str,
        input: Box<dyn Read + Send>,
    ) -> Result<Reader, Diagnostic> {
        let at = |line: u64, p: Problem| Diagnostic {
            file: file_name.to_owned(),
            line,
            field: p.field,
            reason: p.reason,
        };
        let schema = KindSchema::compile(kind).map_err(|reason| at(1, Problem::row(reason)))?;
        let source = match format {
            Format::Csv => {
                Source::Csv(CsvSource::new(&schema, input).map_err(|(line, p)| at(line, p))?)
            }
            Format::JsonLines => Source::JsonLines(JsonlSource::new(&schema, input)),
            Format::Cdnow => Source::Cdnow(CdnowSource::new(kind, input).map_err(|p| at(1, p))?),
        };
        Ok(Reader {
            kind,
            format,
            file: file_name.to_owned(),
            schema,
            source,
            seen: HashMap::new(),
            done: false,
        })
    }

    /// The kind of record this reader yields.
    pub fn kind(&self) -> ImportKind {
        self.kind
    }

    /// The format being read.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The file name used in diagnostics.
    pub fn file_name(&self) -> &str {
        &self.file
    }

    fn validate(
        &mut self,
        line: u64,
        object: Map<String, Value>,
        mut problems: Vec<Problem>,
    ) -> Result<Row, Vec<Diagnostic>> {
        let value = Value::Object(object);
        if problems.is_empty() && self.schema.is_valid(&value) {
            // Hot path: the object moves into the typed row without copies.
            match Record::from_value(self.kind, value) {
                Ok(record) => {
                    let errors = record.check();
                    if !errors.is_empty() {
                        let original = record_value(&record);
                        for e in errors {
                            self.push_checked(&mut problems, e, &original);
                        }
                    }
                    let version = match &record {
                        Record::Consent(c) => c.version,
                        _ => None,
                    };
                    self.note_id(line, record.id(), version, &mut problems);
                    if problems.is_empty() {
                        return Ok(Row { line, record });
                    }
                }
                // The schema is derived from the row type, so this means they
                // have drifted apart; say so rather than guess at a field.
                Err(_) => problems.push(Problem::row(format!(
                    "passes the {} schema but does not fit its row type (schema and type disagree)",
                    self.kind
                ))),
            }
        } else {
            for p in self.schema.problems(&value) {
                if !reported(&problems, p.field.as_deref()) {
                    problems.push(p);
                }
            }
            if let Some(id) = value.get("id").and_then(Value::as_str) {
                let version = value.get("version").and_then(Value::as_i64);
                self.note_id(line, id, version, &mut problems);
            }
            // Problems the schema cannot see (calendar dates, relations
            // between fields) are reported too when the row still fits its
            // type, so the user fixes a row once.
            if let Ok(record) = Record::from_ref(self.kind, &value) {
                for e in record.check() {
                    self.push_checked(&mut problems, e, &value);
                }
            }
        }
        Err(self.diagnostics(line, problems))
    }

    /// Adds a domain check's problem unless its field already has one, and
    /// makes sure it does not repeat a personal value: the domain's messages
    /// avoid that for the sealed fields it checks, and this keeps it so if a
    /// new check forgets.
    fn push_checked(&self, problems: &mut Vec<Problem>, e: FieldError, original: &Value) {
        if reported(problems, Some(&e.field)) {
            return;
        }
        let mut reason = e.reason;
        if self.schema.is_sealed(&e.field) {
            if let Some(text) = original.get(&e.field).and_then(Value::as_str) {
                if !text.is_empty() && reason.contains(text) {
                    reason = "is not valid".to_owned();
                }
            }
        }
        problems.push(Problem::field(e.field, reason));
    }

    /// Notes an id (with its version, for consent records, where a
    /// correction is a new version of the same id) and reports a repeat.
    fn note_id(&mut self, line: u64, id: &str, version: Option<i64>, problems: &mut Vec<Problem>) {
        let key: std::borrow::Cow<'_, str> = match version {
            Some(v) if v != 1 => format!("{id}\u{0}{v}").into(),
            _ => id.into(),
        };
        match self.seen.get(key.as_ref()) {
            Some(&first) => {
                // Ids must not be personal data, but one that looks like an
                // e-mail address may be exactly that mistake: don't echo it.
                let mut shown = if id.contains('@') {
                    "(not shown)".to_owned()
                } else {
                    format!("`{id}`")
                };
                if let Some(v) = version.filter(|v| *v != 1) {
                    shown.push_str(&format!(" version {v}"));
                }
                problems.push(Problem::field(
                    "id",
                    format!("duplicate id {shown}, first seen on line {first}"),
                ));
            }
            None => {
                self.seen.insert(key.as_ref().into(), line);
            }
        }
    }

    /// Ties problems to the file and line, in schema field order.
    fn diagnostics(&self, line: u64, mut problems: Vec<Problem>) -> Vec<Diagnostic> {
        problems.sort_by_key(|p| match p.field.as_deref() {
            None => 0,
            Some(f) => self.schema.position(f).map_or(usize::MAX, |i| i + 1),
        });
        problems.dedup();
        problems
            .into_iter()
            .map(|p| Diagnostic {
                file: self.file.clone(),
                line,
                field: p.field,
                reason: p.reason,
            })
            .collect()
    }
}

fn reported(problems: &[Problem], field: Option<&str>) -> bool {
    field.is_some() && problems.iter().any(|p| p.field.as_deref() == field)
}

/// The record as JSON, to look up field values on the (rare) error path.
fn record_value(record: &Record) -> Value {
    let value = match record {
        Record::Customer(r) => serde_json::to_value(r),
        Record::Supplier(r) => serde_json::to_value(r),
        Record::Partner(r) => serde_json::to_value(r),
        Record::Transaction(r) => serde_json::to_value(r),
        Record::Interaction(r) => serde_json::to_value(r),
        Record::Delivery(r) => serde_json::to_value(r),
        Record::Referral(r) => serde_json::to_value(r),
        Record::Consent(r) => serde_json::to_value(r),
    };
    value.unwrap_or(Value::Null)
}

impl Iterator for Reader {
    type Item = Result<Row, Vec<Diagnostic>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let raw = match &mut self.source {
            Source::Csv(s) => s.next_raw(),
            Source::JsonLines(s) => s.next_raw(),
            Source::Cdnow(s) => s.next_raw(),
        };
        let Some(raw) = raw else {
            self.done = true;
            return None;
        };
        Some(match raw {
            Raw::Object {
                line,
                object,
                problems,
            } => self.validate(line, object, problems),
            Raw::Bad { line, problems } => Err(self.diagnostics(line, problems)),
            Raw::Fatal { line, problem } => {
                self.done = true;
                Err(self.diagnostics(line, vec![problem]))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_is_send() {
        fn send<T: Send>() {}
        send::<Reader>();
    }
}

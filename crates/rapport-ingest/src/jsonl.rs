//! JSON Lines: one JSON object per non-blank line.
//!
//! Lines are read as bytes so that invalid UTF-8 and malformed JSON are each a
//! diagnostic for their line and the rest of the file is still checked. JSON
//! is already typed, so no coercion happens: `"quantity": "3"` is a type
//! error. Unknown keys are reported per row by the schema
//! (`additionalProperties: false`), naming the key.

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use crate::reader::Raw;
use crate::schema::{normalise_integer, KindSchema, Problem};

/// A JSON Lines file, read line by line.
pub(crate) struct JsonlSource {
    lines: Lines,
    /// Properties whose whole numbers are normalised to `i64`.
    integers: Vec<String>,
}

impl JsonlSource {
    pub fn new(schema: &KindSchema, input: Box<dyn Read + Send>) -> JsonlSource {
        JsonlSource {
            lines: Lines::new(input),
            integers: schema.integer_fields(),
        }
    }

    pub fn next_raw(&mut self) -> Option<Raw> {
        loop {
            let (line, bytes) = match self.lines.next_line()? {
                Ok(l) => l,
                Err(fatal) => return Some(fatal),
            };
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if std::str::from_utf8(bytes).is_err() {
                return Some(Raw::bad(line, Problem::row("is not valid UTF-8")));
            }
            let value: Value = match serde_json::from_slice(bytes) {
                Ok(v) => v,
                Err(e) => return Some(Raw::bad(line, Problem::row(json_error(&e)))),
            };
            return Some(match value {
                Value::Object(mut object) => {
                    let mut problems = Vec::new();
                    for name in &self.integers {
                        if let Some(v) = object.get_mut(name) {
                            if let Err(reason) = normalise_integer(v) {
                                problems.push(Problem::field(name.clone(), reason));
                            }
                        }
                    }
                    Raw::Object {
                        line,
                        object,
                        problems,
                    }
                }
                other => Raw::bad(
                    line,
                    Problem::row(format!(
                        "expected a JSON object, found {}",
                        json_type(&other)
                    )),
                ),
            });
        }
    }
}

/// serde_json's message without its "at line 1 column N" suffix, which would
/// contradict the physical line the diagnostic names.
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let message = text.split(" at line ").next().unwrap_or(&text);
    format!("is not valid JSON: {message} (column {})", e.column())
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Physical lines as bytes, without their `\n` or `\r\n`, numbered from 1.
/// Shared with the CDNOW reader.
pub(crate) struct Lines {
    input: BufReader<Box<dyn Read + Send>>,
    buf: Vec<u8>,
    line: u64,
}

impl Lines {
    pub fn new(input: Box<dyn Read + Send>) -> Lines {
        Lines {
            input: BufReader::with_capacity(64 * 1024, input),
            buf: Vec::with_capacity(1024),
            line: 0,
        }
    }

    /// The next line, or a fatal item when the input cannot be read.
    pub fn next_line(&mut self) -> Option<Result<(u64, &[u8]), Raw>> {
        self.buf.clear();
        match self.input.read_until(b'\n', &mut self.buf) {
            Ok(0) => None,
            Ok(_) => {
                self.line += 1;
                let mut bytes = self.buf.as_slice();
                bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
                bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
                if self.line == 1 {
                    bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                }
                Some(Ok((self.line, bytes)))
            }
            Err(e) => Some(Err(Raw::Fatal {
                line: self.line + 1,
                problem: Problem::row(format!("cannot read the file: {e}")),
            })),
        }
    }
}

//! The compiled JSON Schema of one import kind, what the readers need to know
//! about its properties, and the translation of schema errors into problems
//! that never quote a personal value.
//!
//! jsonschema's own messages quote the instance (`"bob@" does not match ...`),
//! which would leak personal data into logs, so every error kind gets a message
//! written here; values are quoted only for fields that are not sealed.

use std::collections::HashMap;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError, Validator};
use rapport_domain::rows::EXTERNAL_ID_PATTERN;
use rapport_domain::ImportKind;
use serde_json::Value;

/// A problem with one row before it is tied to a file and line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub field: Option<String>,
    pub reason: String,
}

impl Problem {
    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            reason: reason.into(),
        }
    }

    pub fn row(reason: impl Into<String>) -> Self {
        Self {
            field: None,
            reason: reason.into(),
        }
    }
}

/// The JSON type a text cell is coerced to before validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonKind {
    String,
    Integer,
    Number,
    Boolean,
}

/// One property of a row schema.
#[derive(Debug)]
pub(crate) struct Property {
    pub name: String,
    pub kind: JsonKind,
    pub required: bool,
    pub sealed: bool,
    /// The allowed values, for enumerations (used in messages).
    pub allowed: Vec<String>,
}

/// A kind's schema, compiled once per reader.
pub(crate) struct KindSchema {
    validator: Validator,
    pub properties: Vec<Property>,
    index: HashMap<String, usize>,
}

impl KindSchema {
    /// Compiles `kind.schema()` with format validation on, so that `date` and
    /// `date-time` are checked by the schema and not only by the domain.
    pub fn compile(kind: ImportKind) -> Result<KindSchema, String> {
        let schema = kind.schema();
        let root = schema.as_value();
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(root)
            .map_err(|e| format!("the {kind} schema does not compile: {e}"))?;
        let required: Vec<&str> = root
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let sealed = kind.sealed_fields();
        let mut properties = Vec::new();
        if let Some(props) = root.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                properties.push(Property {
                    name: name.clone(),
                    kind: json_kind(root, prop, 0),
                    required: required.contains(&name.as_str()),
                    sealed: sealed.contains(&name.as_str()),
                    allowed: allowed_values(root, prop, 0),
                });
            }
        }
        let index = properties
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect();
        Ok(KindSchema {
            validator,
            properties,
            index,
        })
    }

    /// Position of a property in the schema, which is also the order in which
    /// a row's problems are listed.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Names of the properties whose JSON type is integer.
    pub fn integer_fields(&self) -> Vec<String> {
        self.properties
            .iter()
            .filter(|p| p.kind == JsonKind::Integer)
            .map(|p| p.name.clone())
            .collect()
    }

    pub fn is_sealed(&self, name: &str) -> bool {
        self.position(name)
            .is_some_and(|i| self.properties[i].sealed)
    }

    /// "id, name, email, ..." for "expected one of" messages.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.properties.iter().map(|p| p.name.as_str()).collect();
        names.join(", ")
    }

    /// Cheap check first: collecting errors costs far more than a yes/no,
    /// and almost every row is valid.
    pub fn is_valid(&self, value: &Value) -> bool {
        self.validator.is_valid(value)
    }

    /// Every schema problem of an object, in words safe to log.
    pub fn problems(&self, value: &Value) -> Vec<Problem> {
        let mut out = Vec::new();
        for error in self.validator.iter_errors(value) {
            self.describe(&error, &mut out);
        }
        out
    }

    fn describe(&self, error: &ValidationError<'_>, out: &mut Vec<Problem>) {
        let field = field_of(error.instance_path.as_str());
        let sealed = field.as_deref().is_some_and(|f| self.is_sealed(f));
        let instance: &Value = &error.instance;
        // Appended to a reason for non-personal fields only.
        let found = if sealed {
            String::new()
        } else {
            format!(" (found {})", quote(instance))
        };
        let reason = match &error.kind {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    out.push(Problem::field(
                        key.clone(),
                        format!("unknown field (expected one of: {})", self.names()),
                    ));
                }
                return;
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().map_or_else(|| property.to_string(), str::to_owned);
                out.push(Problem::field(name, "is required"));
                return;
            }
            ValidationErrorKind::Type { kind } => {
                format!("expected {}, found {}", expected(kind), type_name(instance))
            }
            ValidationErrorKind::Pattern { pattern } => match (sealed, field.as_deref()) {
                (true, Some("email")) => "does not look like an e-mail address (expected name@domain)".to_owned(),
                (true, Some("phone")) => {
                    "does not look like a phone number (expected digits, spaces and + ( ) . / -)".to_owned()
                }
                (true, _) => "does not have the expected form".to_owned(),
                // An id holding an e-mail address is personal data by
                // mistake: name the mistake without echoing the address.
                (false, _) if pattern == EXTERNAL_ID_PATTERN && instance.as_str().is_some_and(|s| s.contains('@')) => {
                    "looks like an e-mail address, but ids must not be personal data".to_owned()
                }
                (false, _) if pattern == EXTERNAL_ID_PATTERN => format!(
                    "{} is not a valid id (1 to 128 letters, digits or . _ : / -, starting with a letter or digit; \
                     no `@` or spaces)",
                    quote(instance)
                ),
                (false, _) => format!("{} does not match the pattern `{pattern}`", quote(instance)),
            },
            ValidationErrorKind::Format { format } => {
                let what = match format.as_str() {
                    "date" => "is not a calendar date (expected YYYY-MM-DD)",
                    "date-time" => "is not an RFC 3339 instant (expected e.g. 2024-05-01T12:00:00Z)",
                    _ => "is not in the expected format",
                };
                if sealed {
                    what.to_owned()
                } else {
                    format!("{} {what}", quote(instance))
                }
            }
            ValidationErrorKind::Minimum { limit } => {
                if limit.as_f64() == Some(0.0) {
                    format!("must not be negative{found}")
                } else {
                    format!("must be at least {limit}{found}")
                }
            }
            ValidationErrorKind::ExclusiveMinimum { limit } => format!("must be more than {limit}{found}"),
            ValidationErrorKind::Maximum { limit } => format!("must be at most {limit}{found}"),
            ValidationErrorKind::ExclusiveMaximum { limit } => format!("must be less than {limit}{found}"),
            ValidationErrorKind::MinLength { limit: 1 } => "must not be empty".to_owned(),
            ValidationErrorKind::MinLength { limit } => format!("must be at least {limit} characters long"),
            ValidationErrorKind::MaxLength { limit } => format!("is longer than {limit} characters"),
            ValidationErrorKind::Enum { .. }
            | ValidationErrorKind::Constant { .. }
            | ValidationErrorKind::OneOfNotValid { .. }
            | ValidationErrorKind::AnyOf { .. } => {
                let allowed = field
                    .as_deref()
                    .and_then(|f| self.position(f))
                    .map(|i| self.properties[i].allowed.join(", "))
                    .unwrap_or_default();
                let head = if sealed {
                    "is not one of the allowed values".to_owned()
                } else {
                    format!("{} is not one of the allowed values", quote(instance))
                };
                if allowed.is_empty() {
                    head
                } else {
                    format!("{head}: {allowed}")
                }
            }
            // Keywords the row schemas do not use today; jsonschema's message
            // is fine where it cannot quote a personal value.
            _ if sealed => "is not valid".to_owned(),
            _ => error.to_string(),
        };
        out.push(Problem { field, reason });
    }
}

/// 2^63: every whole `f64` strictly inside ±this converts to `i64` exactly.
const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// Why an integer field's value cannot become an `i64`.
pub(crate) const INTEGER_OUT_OF_RANGE: &str =
    "is too large for a whole number (the limit is ±9223372036854775807)";

/// Makes a whole number written as `3.0` or `1e3` an `i64`.
///
/// JSON Schema counts `3.0` as an integer but serde's `i64` does not accept
/// it, so without this a row could pass the schema and still fail to load.
/// Fractional numbers are left alone for the schema's type error.
pub(crate) fn normalise_integer(value: &mut Value) -> Result<(), &'static str> {
    let Value::Number(n) = value else {
        return Ok(());
    };
    if n.is_i64() {
        return Ok(());
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 => {
            if (-I64_LIMIT..I64_LIMIT).contains(&f) {
                *value = Value::from(f as i64);
                Ok(())
            } else {
                Err(INTEGER_OUT_OF_RANGE)
            }
        }
        _ => Ok(()),
    }
}

/// The top-level property an instance path points into (`/email` -> `email`).
fn field_of(path: &str) -> Option<String> {
    let first = path.strip_prefix('/')?.split('/').next()?;
    if first.is_empty() {
        return None;
    }
    // JSON Pointer escapes, RFC 6901.
    Some(first.replace("~1", "/").replace("~0", "~"))
}

/// A value for a message: short, in backticks when it is text.
fn quote(value: &Value) -> String {
    const MAX: usize = 60;
    match value {
        Value::String(s) => {
            let mut t: String = s.chars().take(MAX).collect();
            if t.len() < s.len() {
                t.push('…');
            }
            format!("`{t}`")
        }
        other => {
            let s = other.to_string();
            if s.chars().count() > MAX {
                format!("{}…", s.chars().take(MAX).collect::<String>())
            } else {
                s
            }
        }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(n) if n.is_i64() || n.is_u64() => "a whole number",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn json_type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::Array => "a list",
        JsonType::Boolean => "true or false",
        JsonType::Integer => "an integer",
        JsonType::Null => "null",
        JsonType::Number => "a number",
        JsonType::Object => "an object",
        JsonType::String => "text",
    }
}

fn expected(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(t) => json_type_name(*t).to_owned(),
        TypeKind::Multiple(set) => {
            // `null` only stands for "absent" in optional fields; naming it
            // would suggest writing `null` in a CSV cell.
            let names: Vec<&str> = set
                .iter()
                .filter(|t| *t != JsonType::Null)
                .map(json_type_name)
                .collect();
            if names.is_empty() {
                "null".to_owned()
            } else {
                names.join(" or ")
            }
        }
    }
}

/// Follows local `$ref`s (`#/$defs/X`), bounded so a cyclic schema cannot hang us.
fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..8 {
        let target = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
            .and_then(|name| root.get("$defs")?.get(name));
        match target {
            Some(t) => schema = t,
            None => break,
        }
    }
    schema
}

fn kind_named(name: &str) -> Option<JsonKind> {
    match name {
        "string" => Some(JsonKind::String),
        "integer" => Some(JsonKind::Integer),
        "number" => Some(JsonKind::Number),
        "boolean" => Some(JsonKind::Boolean),
        _ => None,
    }
}

/// The non-null JSON type of a property; text when the schema does not say.
fn json_kind(root: &Value, schema: &Value, depth: u8) -> JsonKind {
    let schema = resolve(root, schema);
    match schema.get("type") {
        Some(Value::String(t)) => return kind_named(t).unwrap_or(JsonKind::String),
        Some(Value::Array(ts)) => {
            if let Some(k) = ts.iter().filter_map(Value::as_str).find_map(kind_named) {
                return k;
            }
        }
        _ => {}
    }
    if depth < 4 {
        for key in ["anyOf", "oneOf"] {
            if let Some(members) = schema.get(key).and_then(Value::as_array) {
                for m in members {
                    let m = resolve(root, m);
                    if m.get("type").and_then(Value::as_str) != Some("null") {
                        return json_kind(root, m, depth + 1);
                    }
                }
            }
        }
    }
    JsonKind::String
}

/// The values an enumeration allows (`enum`, `const`, or unions of them).
fn allowed_values(root: &Value, schema: &Value, depth: u8) -> Vec<String> {
    let schema = resolve(root, schema);
    let mut out = Vec::new();
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        out.extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if let Some(c) = schema.get("const").and_then(Value::as_str) {
        out.push(c.to_owned());
    }
    if depth < 4 {
        for key in ["anyOf", "oneOf"] {
            if let Some(members) = schema.get(key).and_then(Value::as_array) {
                for m in members {
                    out.extend(allowed_values(root, m, depth + 1));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_types_come_from_the_schema() {
        let s = KindSchema::compile(ImportKind::Transactions).expect("compiles");
        let kind = |n: &str| s.properties[s.position(n).expect("known")].kind;
        assert_eq!(kind("quantity"), JsonKind::Integer);
        assert_eq!(kind("amount"), JsonKind::Number);
        assert_eq!(kind("currency"), JsonKind::String);
        assert!(s.properties[s.position("id").expect("id")].required);
        assert!(!s.properties[s.position("quantity").expect("q")].required);

        let s = KindSchema::compile(ImportKind::Consents).expect("compiles");
        let basis = &s.properties[s.position("lawful_basis").expect("known")];
        assert_eq!(basis.kind, JsonKind::String);
        assert!(
            basis.allowed.contains(&"legitimate_interests".to_owned()),
            "{:?}",
            basis.allowed
        );
        let method = &s.properties[s.position("method").expect("known")];
        assert!(
            method.allowed.contains(&"gpc_signal".to_owned()),
            "{:?}",
            method.allowed
        );
    }

    #[test]
    fn sealed_values_are_not_quoted() {
        let s = KindSchema::compile(ImportKind::Customers).expect("compiles");
        let v = serde_json::json!({"id": "C 1", "email": "secret-person", "birth_date": "1990-02-30", "gender": ""});
        let problems = s.problems(&v);
        assert_eq!(problems.len(), 4, "{problems:?}");
        for p in &problems {
            for secret in ["secret-person", "1990"] {
                assert!(!p.reason.contains(secret), "{p:?}");
            }
        }
        assert!(
            problems.iter().any(|p| p.reason.contains("`C 1`")),
            "{problems:?}"
        );
    }
}

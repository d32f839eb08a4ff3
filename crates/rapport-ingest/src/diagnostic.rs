//! One problem found in an import file, located by file, line and field.

use std::fmt;

/// A problem with an import file.
///
/// `line` is the 1-based physical line where the offending row starts (line 1
/// is the CSV header). `reason` never quotes the value of a personal field, so
/// a diagnostic is safe to print, log and store.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {}{reason}", FieldPrefix(field.as_deref()))]
pub struct Diagnostic {
    /// The file name as the user gave it.
    pub file: String,
    /// 1-based physical line.
    pub line: u64,
    /// The column (CSV) or property (JSON) concerned, when there is one.
    pub field: Option<String>,
    /// What is wrong, in words.
    pub reason: String,
}

/// Renders "field `x`: " or nothing, so that row-level problems read naturally.
struct FieldPrefix<'a>(Option<&'a str>);

impl fmt::Display for FieldPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(field) => write!(f, "field `{field}`: "),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_and_without_field() {
        let d = Diagnostic {
            file: "customers.csv".into(),
            line: 12,
            field: Some("email".into()),
            reason: "does not look like an e-mail address".into(),
        };
        assert_eq!(
            d.to_string(),
            "customers.csv:12: field `email`: does not look like an e-mail address"
        );
        let d = Diagnostic {
            file: "customers.csv".into(),
            line: 1,
            field: None,
            reason: "unknown column `foo`".into(),
        };
        assert_eq!(d.to_string(), "customers.csv:1: unknown column `foo`");
    }
}

//! Canonical JSON in the manner of RFC 8785 (the JSON Canonicalization
//! Scheme): the one byte string that everything hashed or signed by the audit
//! module is computed over.
//!
//! The rules, as RFC 8785 states them:
//!
//! * no insignificant whitespace;
//! * object members sorted by their names compared as arrays of UTF-16 code
//!   units (not UTF-8 bytes: the two orders differ above U+FFFF);
//! * strings as ECMAScript's `JSON.stringify` writes them: `"` and `\`
//!   escaped, the control characters U+0000–U+001F as `\b \t \n \f \r` or
//!   `\u00xx` (lower-case hex), everything else as literal UTF-8;
//! * numbers as ECMAScript's `Number.prototype.toString` writes IEEE-754
//!   doubles (shortest round-trip digits, exponent form below 1e-6 and from
//!   1e21 on, `-0` as `0`).
//!
//! Numbers that a double cannot hold exactly are refused rather than
//! silently rounded: an integer beyond ±2^53 would be written differently
//! from what the caller meant (2^60 becomes `1152921504606847000`), so such
//! values belong in strings. Non-finite numbers cannot occur in a
//! `serde_json::Value`.

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::{Map, Number, Value};

/// The largest integer magnitude a double holds exactly together with all
/// integers below it (2^53).
const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error(
        "the integer {0} is beyond ±2^53 and has no exact JSON number form; write it as a string"
    )]
    IntegerTooLarge(String),
    #[error("a number is not finite")]
    NotFinite,
    #[error("the value could not be turned into JSON: {0}")]
    Serialize(String),
}

/// The canonical UTF-8 bytes of a JSON value.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    Ok(to_string(value)?.into_bytes())
}

/// The canonical text of a JSON value.
pub fn to_string(value: &Value) -> Result<String, CanonicalError> {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value)?;
    Ok(out)
}

/// The canonical bytes of any serializable value (through `serde_json`).
pub fn to_vec_from<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let v = serde_json::to_value(value).map_err(|e| CanonicalError::Serialize(e.to_string()))?;
    to_vec(&v)
}

/// Whether `bytes` are exactly the canonical form of the JSON they hold.
pub fn is_canonical(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|v| to_vec(&v).ok())
        .is_some_and(|c| c == bytes)
}

fn write_value(out: &mut String, value: &Value) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => write_object(out, map)?,
    }
    Ok(())
}

fn write_object(out: &mut String, map: &Map<String, Value>) -> Result<(), CanonicalError> {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    members.sort_by(|(a, _), (b, _)| utf16_cmp(a, b));
    out.push('{');
    for (i, (name, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, name);
        out.push(':');
        write_value(out, value)?;
    }
    out.push('}');
    Ok(())
}

/// Compares two strings as sequences of UTF-16 code units (RFC 8785 §3.2.3).
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_number(out: &mut String, n: &Number) -> Result<(), CanonicalError> {
    if let Some(u) = n.as_u64() {
        if u > MAX_EXACT_INTEGER {
            return Err(CanonicalError::IntegerTooLarge(u.to_string()));
        }
        // Exact integers up to 2^53 print the same as ECMAScript prints them.
        out.push_str(&u.to_string());
        return Ok(());
    }
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_EXACT_INTEGER {
            return Err(CanonicalError::IntegerTooLarge(i.to_string()));
        }
        out.push_str(&i.to_string());
        return Ok(());
    }
    let f = n.as_f64().ok_or(CanonicalError::NotFinite)?;
    out.push_str(&format_double(f)?);
    Ok(())
}

/// A double as ECMAScript's `Number.prototype.toString` writes it
/// (ECMA-262, Number::toString, radix 10).
pub fn format_double(value: f64) -> Result<String, CanonicalError> {
    if !value.is_finite() {
        return Err(CanonicalError::NotFinite);
    }
    if value == 0.0 {
        // Both +0 and -0.
        return Ok("0".to_owned());
    }
    let mut out = String::new();
    if value < 0.0 {
        out.push('-');
    }
    // Rust's `{:e}` prints the shortest digits that round-trip, as
    // `d[.ddd]e[-]x`: the `k` of the ECMAScript algorithm. When two
    // k-digit decimals round-trip, ECMAScript takes the one closest to the
    // exact value (ties to even) where Rust may take the other; Rust's
    // fixed-precision formatting rounds the exact value half to even, so
    // it gives ECMAScript's choice whenever that choice round-trips.
    let abs = value.abs();
    let shortest = format!("{abs:e}");
    let k_digits = shortest
        .split('e')
        .next()
        .map_or(1, |m| m.chars().filter(char::is_ascii_digit).count());
    let closest = format!("{:.*e}", k_digits.saturating_sub(1), abs);
    let sci = if closest.parse::<f64>() == Ok(abs) {
        closest
    } else {
        shortest
    };
    let (mantissa, exponent) = sci.split_once('e').ok_or(CanonicalError::NotFinite)?;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let exp: i32 = exponent.parse().map_err(|_| CanonicalError::NotFinite)?;
    let k = i32::try_from(digits.len()).map_err(|_| CanonicalError::NotFinite)?;
    let n = exp + 1;
    if k <= n && n <= 21 {
        // An integer: the digits and n − k zeros.
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        // A decimal point inside the digits.
        let (int, frac) = digits.split_at(n as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        // 0.000ddd
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(digits);
    } else {
        // Exponent form: d[.ddd]e±x with x = n − 1.
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let e = n - 1;
        out.push_str(&format!(
            "e{}{}",
            if e < 0 { '-' } else { '+' },
            e.unsigned_abs()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(json: &str) -> String {
        let v: Value = serde_json::from_str(json).expect("test JSON parses");
        to_string(&v).expect("canonical")
    }

    /// RFC 8785 Appendix B: IEEE-754 bit patterns and their canonical text.
    #[test]
    fn rfc8785_appendix_b_numbers() {
        let table: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, want) in table {
            let got = format_double(f64::from_bits(*bits)).expect("finite");
            assert_eq!(&got, want, "bits {bits:016x}");
        }
        for bits in [
            0x7fffffffffffffff_u64,
            0x7ff0000000000000,
            0xfff0000000000000,
        ] {
            assert_eq!(
                format_double(f64::from_bits(bits)),
                Err(CanonicalError::NotFinite)
            );
        }
    }

    /// RFC 8785 §3.2.2 / the reference implementation's `values.json`.
    #[test]
    fn rfc8785_values_example() {
        let input = r#"{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"#;
        assert_eq!(
            canon(input),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"
        );
    }

    /// RFC 8785 §3.2.3: property sorting by UTF-16 code units, and the
    /// reference implementation's `weird.json` (DEL and U+0080 stay literal).
    #[test]
    fn rfc8785_sorting_example() {
        let input = r#"{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"#;
        let got = canon(input);
        let keys = [
            "\\r",
            "1",
            "\u{80}",
            "\u{f6}",
            "\u{20ac}",
            "\u{1f600}",
            "\u{fb33}",
        ];
        let mut at = 0;
        for k in keys {
            let needle = format!("\"{k}\":");
            let pos = got[at..].find(&needle).map(|p| p + at);
            assert!(pos.is_some(), "{k:?} in order in {got}");
            at = pos.unwrap_or(0) + needle.len();
        }

        let weird = r#"{
  "\u20ac": "Euro Sign",
  "1": "One",
  "\u0080": "Control\u007f",
  "\ud83d\ude02": "Smiley",
  "\u00f6": "Latin Small Letter O With Diaeresis",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "</script>": "Browser Challenge"
}"#;
        assert_eq!(
            canon(weird),
            "{\"1\":\"One\",\"</script>\":\"Browser Challenge\",\"\u{80}\":\"Control\u{7f}\",\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\"\u{1f602}\":\"Smiley\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        );
    }

    /// The reference implementation's `arrays.json` and `structures.json`:
    /// nested objects are sorted, array order is kept.
    #[test]
    fn nested_structures() {
        assert_eq!(
            canon("[\n  56,\n  {\n    \"d\": true,\n    \"10\": null,\n    \"1\": [ ]\n  }\n]"),
            "[56,{\"1\":[],\"10\":null,\"d\":true}]"
        );
        assert_eq!(
            canon(
                r#"{
  "1": {"f": {"f": "hi","F": 5} ,"\n": 56.0},
  "10": { },
  "": "empty",
  "a": { },
  "111": [ { } ],
  "A": { }
}"#
            ),
            r#"{"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}"#
        );
    }

    #[test]
    fn control_characters_are_escaped_in_lower_case_hex() {
        let v = Value::String("\u{0}\u{1f}\u{8}\u{c}\t\u{7f}\u{2028}".to_owned());
        assert_eq!(
            to_string(&v).expect("canonical"),
            "\"\\u0000\\u001f\\b\\f\\t\u{7f}\u{2028}\""
        );
    }

    #[test]
    fn integers_beyond_two_to_the_53_are_refused() {
        assert_eq!(canon("9007199254740992"), "9007199254740992");
        assert_eq!(canon("-9007199254740992"), "-9007199254740992");
        let big: Value = serde_json::json!(9_007_199_254_740_993_u64);
        assert!(matches!(
            to_string(&big),
            Err(CanonicalError::IntegerTooLarge(_))
        ));
        let small: Value = serde_json::json!(-9_007_199_254_740_993_i64);
        assert!(to_string(&small).is_err());
    }

    #[test]
    fn canonical_bytes_are_recognised() {
        assert!(is_canonical(b"{\"a\":1,\"b\":[true]}"));
        assert!(!is_canonical(b"{\"b\":[true],\"a\":1}"));
        assert!(!is_canonical(b"{\"a\": 1}"));
        assert!(!is_canonical(b"{\"a\":1.0}"));
        assert!(!is_canonical(b"not json"));
    }
}

//! Canonical JSON in the manner of RFC 8785 (JSON Canonicalization
//! Scheme): object members sorted by the UTF-16 code units of their names,
//! no insignificant whitespace, strings escaped minimally, numbers written
//! as ECMAScript writes them. Two equal values always give the same bytes,
//! so a hash of them identifies a policy bundle or a verdict's pins
//! whatever layout or member order the source had.

use serde_json::Value;

/// The canonical bytes of `value`.
pub fn to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(value, &mut out);
    out
}

/// The canonical text of `value`.
pub fn to_string(value: &Value) -> String {
    // Only valid UTF-8 is ever written: names and strings come from Rust
    // strings, and everything else is ASCII.
    String::from_utf8_lossy(&to_vec(value)).into_owned()
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                out.extend_from_slice(es6_number(n.as_f64().unwrap_or(0.0)).as_bytes());
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(v, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push(b'{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                if let Some(v) = map.get(k.as_str()) {
                    write(v, out);
                }
            }
            out.push(b'}');
        }
    }
}

/// RFC 8785 §3.2.2.2: `"` and `\` escaped, control characters as the short
/// escapes where JSON has them and `\u00xx` (lower-case hex) otherwise,
/// everything else literal.
fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// ECMAScript's `Number.prototype.toString` for a finite double (ECMA-262
/// §6.1.6.1.20), which RFC 8785 §3.2.2.3 adopts: the shortest digits that
/// round-trip, in plain notation for exponents from -6 to 20 and in
/// `d.ddde±n` form outside.
pub fn es6_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        // -0 is written as 0; JSON has no NaN or infinity to canonicalise.
        return "0".to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // Rust's `{:e}` finds how many digits the shortest round-tripping form
    // needs; its last digit may be off by one where two candidates are
    // equally close. Formatting again with exactly that many digits rounds
    // the exact binary value half to even, which gives the closest of them,
    // as ECMAScript requires.
    let shortest = format!("{:e}", x.abs());
    let k = shortest.split_once('e').map_or(shortest.len(), |(m, _)| {
        m.chars().filter(char::is_ascii_digit).count()
    });
    let sci = format!("{:.*e}", k.saturating_sub(1), x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp.parse::<i32>().unwrap_or(0) + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (a, b) = digits.split_at(n as usize);
        format!("{a}.{b}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let sign_e = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{sign_e}{}", e.abs())
        } else {
            format!("{first}.{rest}e{sign_e}{}", e.abs())
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The number examples of RFC 8785 Appendix B, by their IEEE 754 bits.
    #[test]
    fn numbers_follow_ecmascript() {
        let cases: [(u64, &str); 17] = [
            (0x0000_0000_0000_0000, "0"),
            (0x8000_0000_0000_0000, "0"),
            (0x0000_0000_0000_0001, "5e-324"),
            (0x8000_0000_0000_0001, "-5e-324"),
            (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"),
            (0x4340_0000_0000_0000, "9007199254740992"),
            (0xc340_0000_0000_0000, "-9007199254740992"),
            (0x4430_0000_0000_0000, "295147905179352830000"),
            (0x44b5_2d02_c7e1_4af5, "9.999999999999997e+22"),
            (0x44b5_2d02_c7e1_4af6, "1e+23"),
            (0x444b_1ae4_d6e2_ef4f, "999999999999999900000"),
            (0x444b_1ae4_d6e2_ef50, "1e+21"),
            (0x3eb0_c6f7_a0b5_ed8c, "9.999999999999997e-7"),
            (0x3eb0_c6f7_a0b5_ed8d, "0.000001"),
            (0x41b3_de43_5555_5555, "333333333.3333333"),
            (0xbecb_f647_612f_3696, "-0.0000033333333333333333"),
            (0x4314_3ff3_c1cb_0959, "1424953923781206.2"),
        ];
        for (bits, want) in cases {
            assert_eq!(es6_number(f64::from_bits(bits)), want, "{bits:#x}");
        }
        assert_eq!(es6_number(0.8), "0.8");
        assert_eq!(es6_number(1e21), "1e+21");
        assert_eq!(es6_number(1.5e-7), "1.5e-7");
    }

    /// What a verdict or report writes, it reads back to the same bits:
    /// replays compare stored findings with re-derived ones exactly.
    #[test]
    fn numbers_read_back_to_the_bits_they_were_written_from() {
        let mut x = 0.1_f64;
        for i in 1..2000u32 {
            x = (x * 1.618_033_988_749_895 + f64::from(i) / 7.0).fract() / f64::from(i);
            let text = to_string(&serde_json::json!(x));
            let back: f64 = serde_json::from_str(&text).expect("number");
            assert_eq!(back.to_bits(), x.to_bits(), "{text}");
        }
        let x = 5.0_f64 / 27.0;
        assert_eq!(to_string(&serde_json::json!(x)), "0.18518518518518517");
        let back: f64 = serde_json::from_str("0.18518518518518517").expect("number");
        assert_eq!(back.to_bits(), x.to_bits());
    }

    #[test]
    fn members_are_sorted_and_layout_is_gone() {
        let v = json!({"b": [1, 2.5, "x\n\u{1}é"], "a": {"d": null, "c": true}, "\u{20ac}": 1, "\r": 2});
        assert_eq!(
            to_string(&v),
            "{\"\\r\":2,\"a\":{\"c\":true,\"d\":null},\"b\":[1,2.5,\"x\\n\\u0001é\"],\"€\":1}"
        );
    }
}

//! Number formatting and escaping shared by the encoders.

use std::fmt::Write;

/// Writes `v` the way Python's client (and Go's `strconv`) does:
/// `+Inf`, `-Inf`, `NaN`, integers as `1.0`, large and small magnitudes with
/// an exponent (`1.6e+09`, `1e-05`). This is the OpenMetrics canonical form
/// used for bucket bounds and quantiles too.
///
/// ```
/// let f = |v| { let mut s = String::new(); promscribe::write_float(&mut s, v); s };
/// assert_eq!(f(1.0), "1.0");
/// assert_eq!(f(0.005), "0.005");
/// assert_eq!(f(f64::INFINITY), "+Inf");
/// assert_eq!(f(1.6e9), "1.6e+09");
/// ```
pub fn write_float(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    if v == 0.0 {
        out.push_str(if v.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // Shortest round-trip digits and decimal exponent, from `{:e}`.
    let sci = format!("{v:e}");
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if neg {
        out.push('-');
    }
    // Go's %g-like rule as Python's floatToGoString applies it: positional
    // for exponents in [-4, 6), scientific (two-digit exponent) otherwise.
    if (-4..6).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exp.abs());
    }
}

/// Escapes a HELP text: `\` and newline.
pub(crate) fn escape_help(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Escapes a label value: `\`, `"` and newline.
pub(crate) fn escape_label_value(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// The float as a `String`, in the form of [`write_float`].
pub(crate) fn float_string(v: f64) -> String {
    let mut s = String::new();
    write_float(&mut s, v);
    s
}

#[cfg(test)]
mod tests {
    use super::float_string as f;

    #[test]
    fn floats_match_python_client() {
        // Expected strings are Python's floatToGoString outputs.
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (1.0, "1.0"),
            (-1.0, "-1.0"),
            (2.5, "2.5"),
            (0.005, "0.005"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (123456.0, "123456.0"),
            (1234567.0, "1.234567e+06"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-07"),
            (1_600_000_000.123, "1.600000000123e+09"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
            (10.0, "10.0"),
            (100000.0, "100000.0"),
        ];
        for (v, want) in cases {
            assert_eq!(f(*v), *want, "formatting {v:?}");
        }
    }

    #[test]
    fn round_trips() {
        for v in [0.1, 1.0 / 3.0, 12345.678, 9.999e-9, 7.25e300, -3.5e-300] {
            assert_eq!(f(v).parse::<f64>().unwrap(), v);
        }
    }

    #[test]
    fn escaping() {
        let mut s = String::new();
        super::escape_label_value(&mut s, "a\\b\"c\nd");
        assert_eq!(s, r#"a\\b\"c\nd"#);
        let mut h = String::new();
        super::escape_help(&mut h, "a\\b\"c\nd");
        assert_eq!(h, r#"a\\b"c\nd"#);
    }
}

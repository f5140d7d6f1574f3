//! Number formatting and escaping shared by the encoders.

use std::fmt;

/// Writes `v` as Python's client writes sample values, bucket bounds and
/// quantiles (its `floatToGoString`): `+Inf`, `-Inf`, `NaN`, otherwise
/// Python's `repr` of the float (shortest round-trip digits, `1.0` for
/// integers, an exponent below `1e-4` and from `1e16` on), except that a
/// positive value from `1e6` on takes an exponent as Go writes it
/// (`1.6e+09`). Negative values keep Python's layout (`-1234567.0`).
///
/// ```
/// let f = |v| { let mut s = String::new(); promscribe::write_float(&mut s, v); s };
/// assert_eq!(f(1.0), "1.0");
/// assert_eq!(f(0.005), "0.005");
/// assert_eq!(f(f64::INFINITY), "+Inf");
/// assert_eq!(f(1.6e9), "1.6e+09");
/// assert_eq!(f(-1234567.0), "-1234567.0");
/// assert_eq!(f(1e-5), "1e-05");
/// ```
pub fn write_float(out: &mut String, v: f64) {
    let _ = fmt_float(out, v);
}

/// [`write_float`] into any [`fmt::Write`], without allocating: the
/// encoders' number writer.
pub(crate) fn fmt_float<W: fmt::Write + ?Sized>(out: &mut W, v: f64) -> fmt::Result {
    write_go(out, v)
}

/// A float as the text formats accept it: `+Inf`, `-Inf`, `NaN`, decimals
/// and exponents.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => return Some(f64::INFINITY),
        "-Inf" => return Some(f64::NEG_INFINITY),
        "NaN" => return Some(f64::NAN),
        _ => {}
    }
    s.parse::<f64>().ok()
}

/// Writes `v` as Python's `str(v)` (and `repr(v)`) does: shortest
/// round-trip digits, `1.0` for integers, an exponent below `1e-4` and
/// from `1e16` on (`1e-05`, `1e+16`), `inf`, `-inf`, `nan`. This is how
/// Python's Graphite bridge writes values.
///
/// ```
/// let f = |v| { let mut s = String::new(); promscribe::write_float_repr(&mut s, v); s };
/// assert_eq!(f(1796097533.816191), "1796097533.816191");
/// assert_eq!(f(1e16), "1e+16");
/// assert_eq!(f(0.0001), "0.0001");
/// assert_eq!(f(0.00001), "1e-05");
/// assert_eq!(f(f64::NEG_INFINITY), "-inf");
/// ```
pub fn write_float_repr(out: &mut String, v: f64) {
    let _ = write_float_repr_to(out, v);
}

/// [`write_float_repr`] into any writer, without allocating.
pub(crate) fn write_float_repr_to<W: fmt::Write + ?Sized>(out: &mut W, v: f64) -> fmt::Result {
    write_repr(out, v)
}

/// Writes a finite, non-zero-or-negative-zero float in Python's layout:
/// positional (zmij's own text, which is Python's `repr` for exponents in
/// [-4, 16)) when `positional`, else `d.ddde±XX`.
fn write_finite<W: fmt::Write + ?Sized>(out: &mut W, v: f64, positional: bool) -> fmt::Result {
    if v.is_sign_negative() {
        out.write_char('-')?;
    }
    let mut z = zmij::Buffer::new();
    // zmij writes the shortest digits that read back as `v`, as Python's
    // `repr` does: positionally for exponents in [-5, 16) (`0.001234`,
    // `12.5`, `1230000.0`), else as `1.5e+16`, `5e-324`.
    let text = z.format_finite(v.abs());
    if positional {
        return out.write_str(text);
    }
    let bytes = text.as_bytes();
    let (mantissa, exp) = match bytes.iter().position(|b| *b == b'e') {
        Some(i) => (&text[..i], parse_exp(&text[i + 1..])),
        None => (text, 0),
    };
    let (int, frac) = match mantissa.bytes().position(|b| b == b'.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    // The significant digits as two pieces, and the exponent of the first.
    let (head, tail, exp) = if int.as_bytes().first() != Some(&b'0') {
        (int, frac, int.len() as i32 - 1 + exp)
    } else {
        let zeros = frac.bytes().take_while(|b| *b == b'0').count();
        (&frac[zeros..], "", exp - zeros as i32 - 1)
    };
    let tail = trim_zeros(tail);
    let head = if tail.is_empty() {
        trim_zeros(head)
    } else {
        head
    };
    let (first, rest) = head.split_at(1.min(head.len()));
    out.write_str(if first.is_empty() { "0" } else { first })?;
    if !rest.is_empty() || !tail.is_empty() {
        out.write_char('.')?;
        out.write_str(rest)?;
        out.write_str(tail)?;
    }
    // At least two exponent digits, as both Python and Go write them.
    out.write_str(if exp < 0 { "e-" } else { "e+" })?;
    let e = exp.unsigned_abs() as usize;
    match TWO_DIGITS.get(2 * e..2 * e + 2) {
        Some(digits) => out.write_str(digits),
        None => out.write_str(itoa::Buffer::new().format(e)),
    }
}

/// `00` to `99`.
const TWO_DIGITS: &str = "0001020304050607080910111213141516171819\
                          2021222324252627282930313233343536373839\
                          4041424344454647484950515253545556575859\
                          6061626364656667686970717273747576777879\
                          8081828384858687888990919293949596979899";

/// `s` without its trailing `0`s.
fn trim_zeros(s: &str) -> &str {
    let n = s.bytes().rev().take_while(|b| *b == b'0').count();
    &s[..s.len() - n]
}

/// Python's `repr` writes exponents below 1e-4 and from 1e16 on (compared
/// by value: the shortest digits of a double never round across a power
/// of ten).
fn python_positional(a: f64) -> bool {
    a == 0.0 || (1e-4..1e16).contains(&a)
}

/// [`write_float`]'s form (Python's `floatToGoString`).
fn write_go<W: fmt::Write + ?Sized>(out: &mut W, v: f64) -> fmt::Result {
    if v.is_nan() {
        return out.write_str("NaN");
    }
    if v.is_infinite() {
        return out.write_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    }
    // Whole numbers (counts, most values): Python writes `17.0`, and below
    // 1e6 (positive) or 1e16 (negative) positionally. (`as` saturates, and
    // in this range is exact for whole numbers.)
    let whole = v as i64;
    if v < 1e6 && v > -1e15 && whole as f64 == v && !(v == 0.0 && v.is_sign_negative()) {
        out.write_str(itoa::Buffer::new().format(whole))?;
        // Two pushes cost less than a copy.
        out.write_char('.')?;
        return out.write_char('0');
    }
    // Go switches to an exponent sooner than Python, for positive values
    // only (Python's client cares about bucket bounds there).
    let go_exponent = v >= 1e6;
    write_finite(out, v, python_positional(v.abs()) && !go_exponent)
}

/// [`write_float_repr`]'s form (Python's `repr`).
fn write_repr<W: fmt::Write + ?Sized>(out: &mut W, v: f64) -> fmt::Result {
    if v.is_nan() {
        return out.write_str("nan");
    }
    if v.is_infinite() {
        return out.write_str(if v > 0.0 { "inf" } else { "-inf" });
    }
    write_finite(out, v, python_positional(v.abs()))
}

/// The exponent after an `e`: an optional sign, then digits.
fn parse_exp(s: &str) -> i32 {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i32, |n, b| n * 10 + i32::from(b - b'0'));
    if negative {
        -n
    } else {
        n
    }
}

/// Escapes a HELP text: `\` and newline (and `"` when `quote`, as
/// OpenMetrics requires).
pub(crate) fn escape_help<W: fmt::Write + ?Sized>(
    out: &mut W,
    s: &str,
    quote: bool,
) -> fmt::Result {
    let mut rest = s;
    while let Some(i) = rest.find(|c| c == '\\' || c == '\n' || (quote && c == '"')) {
        out.write_str(&rest[..i])?;
        out.write_str(match rest.as_bytes()[i] {
            b'\\' => "\\\\",
            b'\n' => "\\n",
            _ => "\\\"",
        })?;
        rest = &rest[i + 1..];
    }
    out.write_str(rest)
}

/// Escapes a label value: `\`, `"` and newline. Copies the runs between
/// them whole (a family's scrape renders every child's values).
pub(crate) fn escape_label_value(out: &mut String, s: &str) {
    // Most values have nothing to escape: one pass without branches (the
    // compiler vectorizes it), one copy.
    let special = s.bytes().fold(false, |any, b| {
        any | (b == b'\\') | (b == b'"') | (b == b'\n')
    });
    if !special {
        out.push_str(s);
        return;
    }
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped = match b {
            b'\\' => "\\\\",
            b'"' => "\\\"",
            b'\n' => "\\n",
            _ => continue,
        };
        // `i` is at an ASCII byte: a character boundary.
        out.push_str(s.get(start..i).unwrap_or_default());
        out.push_str(escaped);
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
}

/// [`escape_label_value`] into any writer.
pub(crate) fn write_label_value<W: fmt::Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    let mut rest = s;
    while let Some(i) = rest.find(['\\', '\n', '"']) {
        out.write_str(&rest[..i])?;
        out.write_str(match rest.as_bytes()[i] {
            b'\\' => "\\\\",
            b'\n' => "\\n",
            _ => "\\\"",
        })?;
        rest = &rest[i + 1..];
    }
    out.write_str(rest)
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

    /// `(value, Python's floatToGoString(value), Python's str(value))`,
    /// produced by Python 3.11 with prometheus_client 0.26
    /// (`prometheus_client.utils.floatToGoString`, `str`). The rows go
    /// around each switch-over point: exponent below 1e-4, Go's exponent
    /// from 1e6 for positive values, Python's from 1e16.
    const PYTHON: &[(f64, &str, &str)] = &[
        (0.0, "0.0", "0.0"),
        (-0.0, "-0.0", "-0.0"),
        (1.0, "1.0", "1.0"),
        (-1.0, "-1.0", "-1.0"),
        (2.5, "2.5", "2.5"),
        (0.005, "0.005", "0.005"),
        (17.0, "17.0", "17.0"),
        (123.456, "123.456", "123.456"),
        (0.0001, "0.0001", "0.0001"),
        (
            9.999999999999999e-05,
            "9.999999999999999e-05",
            "9.999999999999999e-05",
        ),
        (1e-05, "1e-05", "1e-05"),
        (-0.0001, "-0.0001", "-0.0001"),
        (-1e-05, "-1e-05", "-1e-05"),
        (1.5e-07, "1.5e-07", "1.5e-07"),
        (999999.0, "999999.0", "999999.0"),
        (999999.9999999999, "999999.9999999999", "999999.9999999999"),
        (1000000.0, "1e+06", "1000000.0"),
        (1234567.0, "1.234567e+06", "1234567.0"),
        (1000000.5, "1.0000005e+06", "1000000.5"),
        (-999999.0, "-999999.0", "-999999.0"),
        (-1000000.0, "-1000000.0", "-1000000.0"),
        (-1234567.0, "-1234567.0", "-1234567.0"),
        (-1000000.5, "-1000000.5", "-1000000.5"),
        (
            9999999999999998.0,
            "9.999999999999998e+15",
            "9999999999999998.0",
        ),
        (1e+16, "1e+16", "1e+16"),
        (1.5e+16, "1.5e+16", "1.5e+16"),
        (
            1.2345678901234567e+19,
            "1.2345678901234567e+19",
            "1.2345678901234567e+19",
        ),
        (1e+21, "1e+21", "1e+21"),
        (1e+22, "1e+22", "1e+22"),
        (
            -9999999999999998.0,
            "-9999999999999998.0",
            "-9999999999999998.0",
        ),
        (-1e+16, "-1e+16", "-1e+16"),
        (-1.5e+16, "-1.5e+16", "-1.5e+16"),
        (-1e+22, "-1e+22", "-1e+22"),
        (1600000000.123, "1.600000000123e+09", "1600000000.123"),
        (
            1796097533.816191,
            "1.796097533816191e+09",
            "1796097533.816191",
        ),
        (
            -1796097533.816191,
            "-1796097533.816191",
            "-1796097533.816191",
        ),
        (
            0.30000000000000004,
            "0.30000000000000004",
            "0.30000000000000004",
        ),
        (5e-324, "5e-324", "5e-324"),
        (
            1.7976931348623157e+308,
            "1.7976931348623157e+308",
            "1.7976931348623157e+308",
        ),
        (
            -1.7976931348623157e+308,
            "-1.7976931348623157e+308",
            "-1.7976931348623157e+308",
        ),
        // Exactly halfway between two 17-digit decimals: Python rounds
        // to even.
        (
            222507385850720.12,
            "2.2250738585072012e+14",
            "222507385850720.12",
        ),
        (f64::INFINITY, "+Inf", "inf"),
        (f64::NEG_INFINITY, "-Inf", "-inf"),
        (f64::NAN, "NaN", "nan"),
    ];

    #[test]
    fn floats_match_python_float_to_go_string() {
        for (v, go, _) in PYTHON {
            assert_eq!(f(*v), *go, "floatToGoString({v:?})");
        }
    }

    #[test]
    fn floats_match_python_str() {
        for (v, _, py) in PYTHON {
            let mut s = String::new();
            super::write_float_repr(&mut s, *v);
            assert_eq!(s, *py, "str({v:?})");
        }
    }

    #[test]
    fn round_trips() {
        for v in [
            0.1,
            1.0 / 3.0,
            12345.678,
            9.999e-9,
            7.25e300,
            -3.5e-300,
            -1e15 - 0.5,
        ] {
            assert_eq!(f(v).parse::<f64>().unwrap(), v);
            let mut s = String::new();
            super::write_float_repr(&mut s, v);
            assert_eq!(s.parse::<f64>().unwrap(), v);
        }
    }

    /// The layout rules written out plainly over Rust's own shortest
    /// digits (`{:e}`): the reference the fast writers are checked against.
    fn reference(v: f64, go: bool) -> String {
        if v.is_nan() {
            return if go { "NaN" } else { "nan" }.into();
        }
        if v.is_infinite() {
            return match (go, v > 0.0) {
                (true, true) => "+Inf",
                (true, false) => "-Inf",
                (false, true) => "inf",
                (false, false) => "-inf",
            }
            .into();
        }
        let sci = format!("{:e}", v.abs());
        let (mantissa, exp) = sci.split_once('e').unwrap();
        let exp: i32 = exp.parse().unwrap();
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let sign = if v.is_sign_negative() { "-" } else { "" };
        let positional = (-4..16).contains(&exp) && !(go && v > 0.0 && exp >= 6);
        if !positional {
            let (first, rest) = digits.split_at(1);
            let dot = if rest.is_empty() { "" } else { "." };
            let esign = if exp < 0 { '-' } else { '+' };
            return format!("{sign}{first}{dot}{rest}e{esign}{:02}", exp.abs());
        }
        if exp < 0 {
            let zeros = "0".repeat((-exp - 1) as usize);
            return format!("{sign}0.{zeros}{digits}");
        }
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            let zeros = "0".repeat(int_len - digits.len());
            format!("{sign}{digits}{zeros}.0")
        } else {
            format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
        }
    }

    #[test]
    fn fast_writers_agree_with_the_reference_layout() {
        let mut values = vec![
            0.0,
            -0.0,
            1e-4,
            1e6,
            1e16,
            -1e16,
            5e-324,
            f64::MAX,
            f64::MIN,
        ];
        for e in -325..310 {
            for m in [1.0, 1.5, 9.999999999999999, 2.2250738585072014, 7.0] {
                let v: f64 = format!("{m}e{e}").parse().unwrap();
                values.extend([v, -v, v.next_up(), v.next_down()]);
            }
        }
        // Random bit patterns (xorshift), all exponents.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(f64::from_bits(x));
        }
        // Unix times with sub-second digits, as `_created` holds them.
        for i in 0..10_000 {
            values.push(1.7e9 + f64::from(i) * 0.123_456_7);
        }
        // Rust's `{:e}` breaks a tie at 17 digits upwards, Python (and
        // zmij) to even: then only that last digit may differ.
        let agree = |ours: &str, reference: &str, v: f64| {
            ours == reference
                || (ours.len() == reference.len()
                    && ours.parse::<f64>().ok() == Some(v)
                    && ours
                        .bytes()
                        .zip(reference.bytes())
                        .all(|(a, b)| a == b || (a.is_ascii_digit() && b.is_ascii_digit())))
        };
        for v in values {
            let go = f(v);
            assert!(agree(&go, &reference(v, true), v), "go form of {v:e}: {go}");
            let mut s = String::new();
            super::write_float_repr(&mut s, v);
            assert!(agree(&s, &reference(v, false), v), "repr of {v:e}: {s}");
        }
    }

    #[test]
    fn escaping() {
        let mut s = String::new();
        super::escape_label_value(&mut s, "a\\b\"c\nd");
        assert_eq!(s, r#"a\\b\"c\nd"#);
        let mut h = String::new();
        let _ = super::escape_help(&mut h, "a\\b\"c\nd", false);
        assert_eq!(h, r#"a\\b"c\nd"#);
    }
}

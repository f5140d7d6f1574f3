//! Number formatting and escaping shared by the encoders.

use std::fmt::{self, Write};

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
    if v.is_nan() {
        out.write_str("NaN")
    } else if v.is_infinite() {
        out.write_str(if v > 0.0 { "+Inf" } else { "-Inf" })
    } else if v.fract() == 0.0 && v < 1e6 && v > -1e15 && !(v == 0.0 && v.is_sign_negative()) {
        // Whole numbers (counts, most values): Python writes `17.0`, and
        // below 1e6 (positive) or 1e16 (negative) positionally.
        write_int(out, v as i64)?;
        out.write_str(".0")
    } else {
        let d = Decimal::of(v);
        // Go switches to an exponent sooner than Python, for positive
        // values only (Python's client cares about bucket bounds there).
        let go_exponent = v > 0.0 && d.exp >= 6;
        if d.positional() && !go_exponent {
            d.write_positional(out)
        } else {
            d.write_scientific(out)
        }
    }
}

/// An integer in decimal, without allocating.
pub(crate) fn write_int<W: fmt::Write + ?Sized>(out: &mut W, n: i64) -> fmt::Result {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut u = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if n < 0 {
        out.write_char('-')?;
    }
    // Only ASCII digits were written.
    out.write_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"))
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
    if v.is_nan() {
        out.write_str("nan")
    } else if v.is_infinite() {
        out.write_str(if v > 0.0 { "inf" } else { "-inf" })
    } else {
        let d = Decimal::of(v);
        if d.positional() {
            d.write_positional(out)
        } else {
            d.write_scientific(out)
        }
    }
}

/// A finite float as its shortest round-trip decimal digits `d1 d2 ...`
/// and the exponent of `d1` (`v = ±d1.d2... × 10^exp`), on the stack.
struct Decimal {
    negative: bool,
    /// ASCII digits, no leading or trailing zeros (`"0"` for zero).
    digits: [u8; 24],
    len: usize,
    exp: i32,
}

/// A fixed buffer that `{:e}` writes into.
struct StackBuf {
    buf: [u8; 40],
    len: usize,
}

impl fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl Decimal {
    fn of(v: f64) -> Decimal {
        // Rust's `{:e}` writes the shortest digits that read back as `v`,
        // as Python's `repr` does: `1.234567e6`, `-5e-324`, `0e0` (at most
        // 17 digits and a 4-character exponent).
        let mut sci = StackBuf {
            buf: [0; 40],
            len: 0,
        };
        let _ = write!(sci, "{:e}", v.abs());
        let text = std::str::from_utf8(&sci.buf[..sci.len]).unwrap_or("0e0");
        let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
        let mut d = Decimal {
            negative: v.is_sign_negative(),
            digits: [0; 24],
            len: 0,
            exp: exp.parse().unwrap_or(0),
        };
        for b in mantissa.bytes().filter(u8::is_ascii_digit) {
            if let Some(slot) = d.digits.get_mut(d.len) {
                *slot = b;
                d.len += 1;
            }
        }
        d
    }

    fn digits(&self) -> &str {
        std::str::from_utf8(&self.digits[..self.len]).unwrap_or("0")
    }

    /// Python's `repr` rule: positional for exponents in [-4, 16).
    fn positional(&self) -> bool {
        (-4..16).contains(&self.exp)
    }

    /// `123.45`, `0.001`, `1000.0`.
    fn write_positional<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        if self.negative {
            out.write_char('-')?;
        }
        let digits = self.digits();
        if self.exp < 0 {
            out.write_str("0.")?;
            for _ in 0..(-self.exp - 1) {
                out.write_char('0')?;
            }
            return out.write_str(digits);
        }
        let int_len = self.exp.unsigned_abs() as usize + 1;
        if digits.len() <= int_len {
            out.write_str(digits)?;
            for _ in digits.len()..int_len {
                out.write_char('0')?;
            }
            out.write_str(".0")
        } else {
            out.write_str(&digits[..int_len])?;
            out.write_char('.')?;
            out.write_str(&digits[int_len..])
        }
    }

    /// `1.5e+16`, `1e-05`: at least two exponent digits, as both Python and
    /// Go write them.
    fn write_scientific<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        if self.negative {
            out.write_char('-')?;
        }
        let digits = self.digits();
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.write_str(first)?;
        if !rest.is_empty() {
            out.write_char('.')?;
            out.write_str(rest)?;
        }
        let sign = if self.exp < 0 { '-' } else { '+' };
        write!(out, "e{sign}{:02}", self.exp.unsigned_abs())
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

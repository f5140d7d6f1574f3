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
    out.write_str(NumBuf::new().go(v))
}

/// An integer in decimal, without allocating.
pub(crate) fn write_int<W: fmt::Write + ?Sized>(out: &mut W, n: i64) -> fmt::Result {
    out.write_str(itoa::Buffer::new().format(n))
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
    out.write_str(NumBuf::new().repr(v))
}

/// A number's text, built on the stack and written in one piece. The
/// longest text is 24 bytes (`-1.7976931348623157e+308`).
pub(crate) struct NumBuf {
    buf: [u8; 40],
    len: usize,
}

impl NumBuf {
    pub(crate) fn new() -> NumBuf {
        NumBuf {
            buf: [0; 40],
            len: 0,
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        // The texts written here are bounded (see above): nothing is cut.
        if let Some(slot) = self.buf.get_mut(self.len..end) {
            slot.copy_from_slice(bytes);
            self.len = end;
        }
    }

    fn zeros(&mut self, n: usize) {
        for _ in 0..n {
            self.put(b"0");
        }
    }

    fn as_str(&self) -> &str {
        // Only ASCII was written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("NaN")
    }

    /// [`write_float`]'s form (Python's `floatToGoString`).
    pub(crate) fn go(&mut self, v: f64) -> &str {
        if v.is_nan() {
            return "NaN";
        }
        if v.is_infinite() {
            return if v > 0.0 { "+Inf" } else { "-Inf" };
        }
        if v.fract() == 0.0 && v < 1e6 && v > -1e15 && !(v == 0.0 && v.is_sign_negative()) {
            // Whole numbers (counts, most values): Python writes `17.0`, and
            // below 1e6 (positive) or 1e16 (negative) positionally.
            self.put(itoa::Buffer::new().format(v as i64).as_bytes());
            self.put(b".0");
            return self.as_str();
        }
        let d = Decimal::of(v);
        // Go switches to an exponent sooner than Python, for positive
        // values only (Python's client cares about bucket bounds there).
        let go_exponent = v > 0.0 && d.exp >= 6;
        if d.positional() && !go_exponent {
            d.write_positional(self);
        } else {
            d.write_scientific(self);
        }
        self.as_str()
    }

    /// [`write_float_repr`]'s form (Python's `repr`).
    fn repr(&mut self, v: f64) -> &str {
        if v.is_nan() {
            return "nan";
        }
        if v.is_infinite() {
            return if v > 0.0 { "inf" } else { "-inf" };
        }
        let d = Decimal::of(v);
        if d.positional() {
            d.write_positional(self);
        } else {
            d.write_scientific(self);
        }
        self.as_str()
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

impl Decimal {
    fn of(v: f64) -> Decimal {
        // zmij writes the shortest digits that read back as `v`, as
        // Python's `repr` does, positionally (`0.001234`, `12.5`,
        // `1230000.0`) or with an exponent (`1.5e+16`, `5e-324`): only the
        // digits and the exponent are kept, the layout is ours.
        let mut z = zmij::Buffer::new();
        let text = z.format_finite(v.abs()).as_bytes();
        let (mantissa, exp) = match text.iter().position(|b| *b == b'e') {
            Some(i) => (&text[..i], parse_exp(&text[i + 1..])),
            None => (text, 0),
        };
        let mut d = Decimal {
            negative: v.is_sign_negative(),
            digits: [0; 24],
            len: 0,
            exp: 0,
        };
        // Position of the first significant digit, counted from the
        // decimal point (digits before it: 1 for `1.5`, 0 for `0.01`).
        let int_len = mantissa
            .iter()
            .position(|b| *b == b'.')
            .unwrap_or(mantissa.len()) as i32;
        let mut seen = 0i32; // digits read so far
        let mut first = None;
        for &b in mantissa.iter().filter(|b| b.is_ascii_digit()) {
            if first.is_none() && b != b'0' {
                first = Some(seen);
            }
            if first.is_some() {
                if let Some(slot) = d.digits.get_mut(d.len) {
                    *slot = b;
                    d.len += 1;
                }
            }
            seen += 1;
        }
        match first {
            None => {
                d.digits[0] = b'0';
                d.len = 1;
            }
            Some(lead) => {
                while d.len > 1 && d.digits[d.len - 1] == b'0' {
                    d.len -= 1;
                }
                d.exp = int_len - 1 - lead + exp;
            }
        }
        d
    }

    fn digits(&self) -> &[u8] {
        &self.digits[..self.len]
    }

    /// Python's `repr` rule: positional for exponents in [-4, 16).
    fn positional(&self) -> bool {
        (-4..16).contains(&self.exp)
    }

    /// `123.45`, `0.001`, `1000.0`.
    fn write_positional(&self, out: &mut NumBuf) {
        if self.negative {
            out.put(b"-");
        }
        let digits = self.digits();
        if self.exp < 0 {
            out.put(b"0.");
            out.zeros((-self.exp - 1) as usize);
            out.put(digits);
            return;
        }
        let int_len = self.exp.unsigned_abs() as usize + 1;
        if digits.len() <= int_len {
            out.put(digits);
            out.zeros(int_len - digits.len());
            out.put(b".0");
        } else {
            out.put(&digits[..int_len]);
            out.put(b".");
            out.put(&digits[int_len..]);
        }
    }

    /// `1.5e+16`, `1e-05`: at least two exponent digits, as both Python and
    /// Go write them.
    fn write_scientific(&self, out: &mut NumBuf) {
        if self.negative {
            out.put(b"-");
        }
        let digits = self.digits();
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.put(first);
        if !rest.is_empty() {
            out.put(b".");
            out.put(rest);
        }
        out.put(if self.exp < 0 { b"e-" } else { b"e+" });
        let e = self.exp.unsigned_abs();
        if e < 10 {
            out.put(b"0");
        }
        out.put(itoa::Buffer::new().format(e).as_bytes());
    }
}

/// The exponent after an `e`: an optional sign, then digits.
fn parse_exp(s: &[u8]) -> i32 {
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
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

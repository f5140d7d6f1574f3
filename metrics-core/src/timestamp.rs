//! [`Timestamp`]: the time of a sample, to the nanosecond, over the whole
//! range of `i64` seconds.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const NANOS_PER_SEC: u32 = 1_000_000_000;

/// The time of a sample: whole seconds since the Unix epoch and the
/// nanoseconds past them (`0..1_000_000_000`, so one second before the
/// epoch plus a quarter is `(-1, 250_000_000)`, i.e. -0.75 s).
///
/// OpenMetrics writes timestamps in seconds with their fractional digits,
/// and this keeps them to the nanosecond: `1700000000.000001` and
/// `1700000000.000002` are two timestamps. Its range is that of `i64`
/// seconds (about 292 billion years either way), beyond the `i64`
/// milliseconds of the text format 0.0.4 and protobuf.
///
/// How each format writes one: OpenMetrics in seconds with every
/// fractional digit kept (`1700000000.5`, `-1.25`, `123.0`); the text
/// format 0.0.4 in whole milliseconds (its timestamps are integers),
/// rounded down; protobuf's `timestamp_ms` (an `int64`) likewise, and a
/// timestamp beyond its range is an encoding error naming the metric.
///
/// ```
/// use promscribe::Timestamp;
/// let t = Timestamp::from_millis(1_700_000_000_123);
/// assert_eq!((t.secs(), t.subsec_nanos()), (1_700_000_000, 123_000_000));
/// assert_eq!(t.as_millis(), Some(1_700_000_000_123));
/// assert_eq!(t.to_string(), "1700000000.123");
///
/// let fine = Timestamp::new(1_700_000_000, 1_000).unwrap();
/// assert_eq!(fine.to_string(), "1700000000.000001");
/// assert!(fine < t && fine > Timestamp::new(1_700_000_000, 0).unwrap());
/// assert_eq!(Timestamp::from_millis(-1_500).to_string(), "-1.5");
/// assert!(Timestamp::new(0, 1_000_000_000).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

impl Timestamp {
    /// The Unix epoch.
    ///
    /// ```
    /// assert_eq!(promscribe::Timestamp::UNIX_EPOCH.secs(), 0);
    /// ```
    pub const UNIX_EPOCH: Timestamp = Timestamp { secs: 0, nanos: 0 };

    /// `secs` seconds and `nanos` nanoseconds after the epoch; `None` when
    /// `nanos` is not below 1,000,000,000.
    ///
    /// ```
    /// let t = promscribe::Timestamp::new(-2, 500_000_000).unwrap();
    /// assert_eq!(t.to_string(), "-1.5");
    /// ```
    pub const fn new(secs: i64, nanos: u32) -> Option<Timestamp> {
        if nanos < NANOS_PER_SEC {
            Some(Timestamp { secs, nanos })
        } else {
            None
        }
    }

    /// `ms` milliseconds since the epoch (negative before it).
    ///
    /// ```
    /// let t = promscribe::Timestamp::from_millis(-1);
    /// assert_eq!((t.secs(), t.subsec_nanos()), (-1, 999_000_000));
    /// ```
    pub const fn from_millis(ms: i64) -> Timestamp {
        Timestamp {
            secs: ms.div_euclid(1000),
            // In 0..1000, so the product is below 1e9.
            nanos: ms.rem_euclid(1000) as u32 * 1_000_000,
        }
    }

    /// `secs` seconds since the epoch, to the nanosecond nearest; `None`
    /// when not finite or beyond the range.
    ///
    /// ```
    /// let t = promscribe::Timestamp::from_secs_f64(1.25).unwrap();
    /// assert_eq!(t.subsec_nanos(), 250_000_000);
    /// assert!(promscribe::Timestamp::from_secs_f64(f64::NAN).is_none());
    /// ```
    pub fn from_secs_f64(secs: f64) -> Option<Timestamp> {
        // 2^63 as f64: every whole f64 below it fits an i64.
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        if !secs.is_finite() {
            return None;
        }
        let mut whole = secs.floor();
        let mut nanos = ((secs - whole) * 1e9).round();
        if nanos >= 1e9 {
            whole += 1.0;
            nanos = 0.0;
        }
        if !(-LIMIT..LIMIT).contains(&whole) {
            return None;
        }
        // Both in range, checked above.
        Some(Timestamp {
            secs: whole as i64,
            nanos: nanos as u32,
        })
    }

    /// Now, by the system clock.
    ///
    /// ```
    /// assert!(promscribe::Timestamp::now().secs() > 1_600_000_000);
    /// ```
    pub fn now() -> Timestamp {
        Timestamp::from(SystemTime::now())
    }

    /// Whole seconds since the epoch, rounded down (`-1` for -0.75 s).
    ///
    /// ```
    /// assert_eq!(promscribe::Timestamp::from_millis(2_500).secs(), 2);
    /// ```
    pub const fn secs(self) -> i64 {
        self.secs
    }

    /// Nanoseconds past [`secs`](Timestamp::secs), in `0..1_000_000_000`.
    ///
    /// ```
    /// assert_eq!(promscribe::Timestamp::from_millis(2_500).subsec_nanos(), 500_000_000);
    /// ```
    pub const fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// Milliseconds since the epoch, rounded down; `None` beyond the range
    /// of `i64` milliseconds.
    ///
    /// ```
    /// use promscribe::Timestamp;
    /// assert_eq!(Timestamp::new(1, 999_999).unwrap().as_millis(), Some(1_000));
    /// assert_eq!(Timestamp::new(100_000_000_000_000_000, 0).unwrap().as_millis(), None);
    /// ```
    pub fn as_millis(self) -> Option<i64> {
        i64::try_from(self.millis_i128()).ok()
    }

    /// Seconds since the epoch as a float (which keeps about 16
    /// significant digits: a quarter of a microsecond at today's times).
    ///
    /// ```
    /// assert_eq!(promscribe::Timestamp::from_millis(1_500).as_secs_f64(), 1.5);
    /// ```
    pub fn as_secs_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }

    /// Milliseconds since the epoch, rounded down (any timestamp fits).
    pub(crate) fn millis_i128(self) -> i128 {
        i128::from(self.secs) * 1000 + i128::from(self.nanos / 1_000_000)
    }

    /// Writes the timestamp as whole milliseconds, rounded down (the text
    /// format 0.0.4).
    pub(crate) fn write_millis<W: fmt::Write + ?Sized>(self, out: &mut W) -> fmt::Result {
        out.write_str(itoa::Buffer::new().format(self.millis_i128()))
    }

    /// `ms` (an integer, as the text format 0.0.4 writes it) as a
    /// timestamp; the reason when it is not one.
    pub(crate) fn parse_millis(text: &str) -> Result<Timestamp, &'static str> {
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("expected integer milliseconds");
        }
        let out_of_range = "beyond the range of a timestamp (i64 seconds)";
        let ms: i128 = text.parse().map_err(|_| out_of_range)?;
        let secs = i64::try_from(ms.div_euclid(1000)).map_err(|_| out_of_range)?;
        // In 0..1000.
        let nanos = ms.rem_euclid(1000) as u32 * 1_000_000;
        Ok(Timestamp { secs, nanos })
    }

    /// Seconds as OpenMetrics writes them (`[sign] digits [. digits]
    /// [e [sign] digits]`), exactly to the nanosecond; digits past the
    /// nanosecond round it down. The reason when it is not one.
    pub(crate) fn parse_secs(text: &str) -> Result<Timestamp, &'static str> {
        let syntax = "expected seconds (a decimal number)";
        let out_of_range = "beyond the range of a timestamp (i64 seconds)";
        let b = text.as_bytes();
        let negative = b.first() == Some(&b'-');
        let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
        let run = |i: &mut usize| {
            let start = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            &b[start..*i]
        };
        let int_digits = run(&mut i);
        let mut frac_digits: &[u8] = &[];
        if b.get(i) == Some(&b'.') {
            i += 1;
            frac_digits = run(&mut i);
        }
        if int_digits.is_empty() && frac_digits.is_empty() {
            return Err(syntax);
        }
        // The exponent, clamped: past a few dozen either way the value is
        // out of range or below the nanosecond, whatever its digits.
        let mut exp: i64 = 0;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            let exp_negative = b.get(i) == Some(&b'-');
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let digits = run(&mut i);
            if digits.is_empty() {
                return Err(syntax);
            }
            for d in digits {
                exp = (exp * 10 + i64::from(d - b'0')).min(1_000_000);
            }
            if exp_negative {
                exp = -exp;
            }
        }
        if i != b.len() {
            return Err(syntax);
        }
        // Digits before the decimal point, once the exponent shifts it.
        let point = i64::try_from(int_digits.len()).map_err(|_| out_of_range)? + exp;
        let mut whole: u64 = 0;
        let mut nanos: u32 = 0;
        let mut below_nanos = false;
        let mut k: i64 = 0;
        for d in int_digits.iter().chain(frac_digits).map(|d| d - b'0') {
            if k < point {
                whole = whole
                    .checked_mul(10)
                    .and_then(|w| w.checked_add(u64::from(d)))
                    .ok_or(out_of_range)?;
            } else if k - point < 9 {
                // The nanosecond digit of weight 10^(8 - (k - point)).
                nanos += u32::from(d) * 10u32.pow(8 - (k - point) as u32);
            } else if d != 0 {
                below_nanos = true;
            }
            k += 1;
        }
        // Zeros the exponent appends to the whole seconds.
        while whole != 0 && k < point {
            whole = whole.checked_mul(10).ok_or(out_of_range)?;
            k += 1;
        }
        let whole = i128::from(whole);
        let (secs, nanos) = if !negative {
            (whole, nanos)
        } else {
            // Rounded down: away from zero below it.
            let mut up = nanos + u32::from(below_nanos);
            let mut whole = whole;
            if up == NANOS_PER_SEC {
                whole += 1;
                up = 0;
            }
            if up == 0 {
                (-whole, 0)
            } else {
                (-whole - 1, NANOS_PER_SEC - up)
            }
        };
        let secs = i64::try_from(secs).map_err(|_| out_of_range)?;
        Ok(Timestamp { secs, nanos })
    }
}

/// Seconds with every fractional digit kept and at least one
/// (`1700000000.5`, `123.0`, `-0.001`), as OpenMetrics writes them.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (negative, whole, frac) = if self.secs < 0 && self.nanos > 0 {
            (true, -i128::from(self.secs) - 1, NANOS_PER_SEC - self.nanos)
        } else {
            (self.secs < 0, i128::from(self.secs).abs(), self.nanos)
        };
        if negative {
            f.write_str("-")?;
        }
        f.write_str(itoa::Buffer::new().format(whole))?;
        if frac == 0 {
            return f.write_str(".0");
        }
        let mut digits = [b'0'; 10];
        digits[0] = b'.';
        let mut n = frac;
        for d in digits[1..].iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        let len = digits.iter().rposition(|d| *d != b'0').map_or(1, |i| i + 1);
        // ASCII digits and a point.
        f.write_str(std::str::from_utf8(&digits[..len]).map_err(|_| fmt::Error)?)
    }
}

impl From<SystemTime> for Timestamp {
    /// The time as a timestamp (a `SystemTime` always fits).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let t = promscribe::Timestamp::from(UNIX_EPOCH + Duration::from_nanos(1_500));
    /// assert_eq!((t.secs(), t.subsec_nanos()), (0, 1_500));
    /// let before = promscribe::Timestamp::from(UNIX_EPOCH - Duration::from_millis(250));
    /// assert_eq!(before.to_string(), "-0.25");
    /// ```
    fn from(t: SystemTime) -> Timestamp {
        let saturate = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp {
                secs: saturate(d),
                nanos: d.subsec_nanos(),
            },
            Err(e) => {
                let d = e.duration();
                let secs = saturate(d);
                if d.subsec_nanos() == 0 {
                    Timestamp {
                        secs: -secs,
                        nanos: 0,
                    }
                } else {
                    Timestamp {
                        secs: -secs - 1,
                        nanos: NANOS_PER_SEC - d.subsec_nanos(),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse_exactly_and_print_back() {
        for (text, secs, nanos, shown) in [
            ("1", 1, 0, "1.0"),
            ("1.000001", 1, 1_000, "1.000001"),
            (
                "1700000000.123456789",
                1_700_000_000,
                123_456_789,
                "1700000000.123456789",
            ),
            ("1.0000000009", 1, 0, "1.0"),
            ("-1.5", -2, 500_000_000, "-1.5"),
            ("-0.000000001", -1, 999_999_999, "-0.000000001"),
            ("-1.0000000001", -2, 999_999_999, "-1.000000001"),
            ("1e17", 100_000_000_000_000_000, 0, "100000000000000000.0"),
            ("1.5E-3", 0, 1_500_000, "0.0015"),
            ("12345e-4", 1, 234_500_000, "1.2345"),
            ("0e999999999999999999999", 0, 0, "0.0"),
            ("5e-999999999999", 0, 0, "0.0"),
            (".5", 0, 500_000_000, "0.5"),
            ("+7.", 7, 0, "7.0"),
            ("9223372036854775807", i64::MAX, 0, "9223372036854775807.0"),
            (
                "-9223372036854775808",
                i64::MIN,
                0,
                "-9223372036854775808.0",
            ),
        ] {
            let t = Timestamp::parse_secs(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((t.secs(), t.subsec_nanos()), (secs, nanos), "{text}");
            assert_eq!(t.to_string(), shown, "{text}");
            assert_eq!(Timestamp::parse_secs(shown), Ok(t), "{shown}");
        }
        for bad in ["", "-", ".", "1e", "1x", "NaN", "+Inf", "1 2", "0x10"] {
            assert!(
                Timestamp::parse_secs(bad).unwrap_err().contains("expected"),
                "{bad}"
            );
        }
        for far in [
            "9223372036854775808",
            "-9223372036854775809",
            "1e19",
            "1e1000000000",
        ] {
            assert!(
                Timestamp::parse_secs(far).unwrap_err().contains("range"),
                "{far}"
            );
        }
    }

    #[test]
    fn milliseconds() {
        let t = Timestamp::parse_millis("100000000000000000000").expect("in range");
        assert_eq!(t.secs(), 100_000_000_000_000_000);
        let mut s = String::new();
        t.write_millis(&mut s).expect("a String");
        assert_eq!(s, "100000000000000000000");
        assert_eq!(
            Timestamp::parse_millis("-1"),
            Ok(Timestamp::from_millis(-1))
        );
        assert!(Timestamp::parse_millis("1.5")
            .unwrap_err()
            .contains("integer"));
        assert!(Timestamp::parse_millis("1e3")
            .unwrap_err()
            .contains("integer"));
        assert!(Timestamp::parse_millis(&"9".repeat(30))
            .unwrap_err()
            .contains("range"));
        assert!(Timestamp::parse_millis(&"9".repeat(50))
            .unwrap_err()
            .contains("range"));
        // Below the millisecond: rounded down, before the epoch too.
        let mut s = String::new();
        Timestamp::new(-1, 999_999_999)
            .expect("valid")
            .write_millis(&mut s)
            .expect("a String");
        assert_eq!(s, "-1");
    }

    #[test]
    fn from_float() {
        assert_eq!(
            Timestamp::from_secs_f64(-0.25),
            Timestamp::new(-1, 750_000_000)
        );
        assert_eq!(Timestamp::from_secs_f64(0.9999999999), Timestamp::new(1, 0));
        assert!(Timestamp::from_secs_f64(1e19).is_none());
        assert!(Timestamp::from_secs_f64(f64::INFINITY).is_none());
    }
}

//! Label values: what `Family::labels` accepts, without allocating.

use std::fmt::Write;

/// Bytes of `Display` output kept inline. Every built-in integer fits
/// (`i128::MIN` is 40 characters), so integers never allocate.
const INLINE: usize = 40;

/// A label value rendered as text, always in full: borrowed (strings,
/// booleans, enums, integers below 1,000 from a static table), formatted
/// into a small inline buffer (other integers, `char`s, short `Display`
/// values), or, only when a `Display` value is longer than that buffer, on
/// the heap.
///
/// ```
/// use promscribe::LabelText;
/// let long = "x".repeat(1000);
/// assert_eq!(LabelText::display(&long).as_str(), long);
/// ```
#[derive(Debug, Clone)]
pub struct LabelText<'a> {
    repr: Repr<'a>,
}

#[derive(Debug, Clone)]
enum Repr<'a> {
    Borrowed(&'a str),
    Inline { buf: Aligned, len: u8 },
    Heap(Box<str>),
}

/// The inline buffer, at an 8-byte boundary of the `LabelText`, so that an
/// integer's text, stored as whole words, is read back by word loads that
/// each fall within one store (a load spanning several narrower stores
/// waits until they reach the cache).
#[derive(Debug, Clone)]
#[repr(align(8))]
struct Aligned([u8; INLINE]);

/// Where `display` writes: the inline buffer until it would overflow, then
/// a `String` holding everything written so far and the rest.
enum Sink {
    Inline { buf: [u8; INLINE], len: usize },
    Heap(String),
}

impl Write for Sink {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        match self {
            Sink::Inline { buf, len } => {
                let end = *len + s.len();
                if let Some(dst) = buf.get_mut(*len..end) {
                    dst.copy_from_slice(s.as_bytes());
                    *len = end;
                } else {
                    // Whole `&str` pieces only were copied: valid UTF-8.
                    let head = buf
                        .get(..*len)
                        .and_then(|b| std::str::from_utf8(b).ok())
                        .unwrap_or("");
                    let mut heap = String::with_capacity(end.max(2 * INLINE));
                    heap.push_str(head);
                    heap.push_str(s);
                    *self = Sink::Heap(heap);
                }
            }
            Sink::Heap(heap) => heap.push_str(s),
        }
        Ok(())
    }
}

impl<'a> LabelText<'a> {
    /// Borrowed text.
    ///
    /// ```
    /// assert_eq!(promscribe::LabelText::borrowed("get").as_str(), "get");
    /// ```
    #[inline]
    pub const fn borrowed(s: &'a str) -> Self {
        LabelText {
            repr: Repr::Borrowed(s),
        }
    }

    /// Owned text, for a [`LabelValue`] that builds its text at run time.
    ///
    /// ```
    /// let t = promscribe::LabelText::owned(format!("shard-{}", 7));
    /// assert_eq!(t.as_str(), "shard-7");
    /// ```
    pub fn owned(s: String) -> LabelText<'static> {
        LabelText {
            repr: Repr::Heap(s.into_boxed_str()),
        }
    }

    /// Formats a `Display` value. Output of up to 40 bytes (every integer,
    /// `char`, short names) stays in an inline buffer and allocates
    /// nothing; longer output is kept in full on the heap, never cut.
    ///
    /// ```
    /// use promscribe::LabelText;
    /// assert_eq!(LabelText::display(&404u16).as_str(), "404");
    /// assert_eq!(LabelText::display(&i128::MIN).as_str(), i128::MIN.to_string());
    /// let url = format!("https://example.com/{}", "a".repeat(100));
    /// assert_eq!(LabelText::display(&url).as_str(), url);
    /// ```
    pub fn display(v: &dyn std::fmt::Display) -> LabelText<'static> {
        let mut sink = Sink::Inline {
            buf: [0; INLINE],
            len: 0,
        };
        // `Sink` itself never fails; a `Display` impl that reports an error
        // leaves what it wrote so far, as `to_string` would panic instead.
        let _ = write!(sink, "{v}");
        let repr = match sink {
            Sink::Inline { buf, len } => Repr::Inline {
                buf: Aligned(buf),
                // `len <= INLINE` (40), which fits a `u8`.
                len: u8::try_from(len).unwrap_or(INLINE as u8),
            },
            Sink::Heap(s) => Repr::Heap(s.into_boxed_str()),
        };
        LabelText { repr }
    }

    /// Copies `s` into the inline buffer; `s` longer than the buffer (never
    /// the case for the callers: integers and `char`s) goes to the heap.
    #[inline]
    fn inline(s: &str) -> LabelText<'static> {
        let mut buf = [0; INLINE];
        match (buf.get_mut(..s.len()), u8::try_from(s.len())) {
            (Some(dst), Ok(len)) => {
                dst.copy_from_slice(s.as_bytes());
                LabelText {
                    repr: Repr::Inline {
                        buf: Aligned(buf),
                        len,
                    },
                }
            }
            _ => LabelText {
                repr: Repr::Heap(Box::from(s)),
            },
        }
    }

    /// The text.
    ///
    /// ```
    /// assert_eq!(promscribe::LabelText::display(&true).as_str(), "true");
    /// ```
    #[inline]
    pub fn as_str(&self) -> &str {
        // Borrowed text (strings, enums, integers below 1,000) is read
        // inline; the rest out of line, so that a lookup's code stays small.
        match &self.repr {
            Repr::Borrowed(s) => s,
            _ => self.stored(),
        }
    }

    /// The text of the kinds that hold it.
    fn stored(&self) -> &str {
        match &self.repr {
            Repr::Borrowed(s) => s,
            Repr::Inline { buf, len } => {
                let bytes = buf.0.get(..usize::from(*len)).unwrap_or_default();
                // The first `len` bytes are valid UTF-8 (`inline` copies a
                // whole `&str`, `Sink` whole pieces, `short_integer` ASCII
                // digits and `-`). Checked all the same, not assumed: the
                // check costs about 3 ns for an integer of 1,000 or more
                // (smaller ones are borrowed), and keeps this module free
                // of `unsafe`.
                std::str::from_utf8(bytes).unwrap_or_default()
            }
            Repr::Heap(s) => s,
        }
    }

    /// `n < 10^15`, preceded by `-` when `negative`: the digits are
    /// computed in registers ([`eight_digits`]) and land in the buffer as
    /// whole words, never byte by byte, so that reading the text back
    /// (hashing it, comparing it) is not stalled by loads spanning many
    /// narrow stores (such a stall cost a lookup by a 7-digit integer
    /// 10 ns).
    #[inline]
    fn short_integer(n: u64, negative: bool) -> LabelText<'static> {
        debug_assert!(n < SHORT_LIMIT);
        // Sixteen digits, leading zeros included, the first in the lowest
        // byte.
        const ZEROS: u128 = 0x3030_3030_3030_3030_3030_3030_3030_3030;
        let low = u128::from(eight_digits(n % 100_000_000)) << 64;
        let all = if n < 100_000_000 {
            low | (ZEROS >> 64)
        } else {
            low | u128::from(eight_digits(n / 100_000_000))
        };
        // The leading zeros are the low bytes that are `0`; at least one
        // digit is kept (`0` has one).
        let zeros = ((all ^ ZEROS) | (1 << 120)).trailing_zeros() / 8;
        let digits = 16 - zeros;
        let mut text = all >> (8 * zeros);
        let mut len = digits;
        if negative {
            text = (text << 8) | u128::from(b'-');
            len += 1;
        }
        let mut buf = [0; INLINE];
        if let Some(dst) = buf.get_mut(..16) {
            dst.copy_from_slice(&text.to_le_bytes());
        }
        LabelText {
            repr: Repr::Inline {
                buf: Aligned(buf),
                // At most 16: the cast does not truncate.
                len: len as u8,
            },
        }
    }
}

/// A type usable as a label value. Implement it for your own enums to use
/// them as label values without allocating:
///
/// ```
/// use promscribe::{LabelText, LabelValue};
/// enum Method { Get, Post }
/// impl LabelValue for Method {
///     fn label_text(&self) -> LabelText<'_> {
///         LabelText::borrowed(match self { Method::Get => "get", Method::Post => "post" })
///     }
/// }
/// assert_eq!(Method::Post.label_text().as_str(), "post");
/// ```
pub trait LabelValue {
    /// The value as text.
    fn label_text(&self) -> LabelText<'_>;

    /// For a value of a fixed set (a [`LabelEnum`]): its index and the
    /// size of the set, with which a family indexes a dense array instead
    /// of hashing. `#[derive(LabelValue)]` implements it; other values
    /// keep the default, `None`.
    ///
    /// ```
    /// use promscribe::LabelValue;
    /// #[derive(LabelValue)]
    /// enum Method { Get, Post }
    /// assert_eq!(Method::Post.enum_index(), Some((1, 2)));
    /// assert_eq!("post".enum_index(), None);
    /// ```
    #[inline]
    fn enum_index(&self) -> Option<(usize, usize)> {
        None
    }
}

impl LabelValue for str {
    #[inline]
    fn label_text(&self) -> LabelText<'_> {
        LabelText::borrowed(self)
    }
}

impl LabelValue for String {
    #[inline]
    fn label_text(&self) -> LabelText<'_> {
        LabelText::borrowed(self)
    }
}

impl LabelValue for std::borrow::Cow<'_, str> {
    #[inline]
    fn label_text(&self) -> LabelText<'_> {
        LabelText::borrowed(self)
    }
}

impl<T: LabelValue + ?Sized> LabelValue for &T {
    #[inline]
    fn label_text(&self) -> LabelText<'_> {
        (**self).label_text()
    }

    #[inline]
    fn enum_index(&self) -> Option<(usize, usize)> {
        (**self).enum_index()
    }
}

impl LabelValue for bool {
    #[inline]
    fn label_text(&self) -> LabelText<'_> {
        LabelText::borrowed(if *self { "true" } else { "false" })
    }
}

/// The integers whose text is borrowed from [`SMALL_DIGITS`]: `0..SMALL`.
const SMALL: usize = 1000;

/// `"000"` to `"999"`, three bytes each.
const fn small_digits() -> [u8; 3 * SMALL] {
    let mut out = [0; 3 * SMALL];
    let mut n = 0;
    while n < SMALL {
        // Each digit is below 10: the casts do not truncate.
        out[3 * n] = b'0' + (n / 100) as u8;
        out[3 * n + 1] = b'0' + (n / 10 % 10) as u8;
        out[3 * n + 2] = b'0' + (n % 10) as u8;
        n += 1;
    }
    out
}

static SMALL_DIGIT_BYTES: [u8; 3 * SMALL] = small_digits();

/// [`SMALL_DIGIT_BYTES`] as text (ASCII digits: never the empty fallback).
static SMALL_DIGITS: &str = match std::str::from_utf8(&SMALL_DIGIT_BYTES) {
    Ok(s) => s,
    Err(_) => "",
};

/// The text of `n` when it is below [`SMALL`] (status codes, small ids,
/// shard numbers): a slice of [`SMALL_DIGITS`] without its leading zeros.
#[inline]
fn small_integer(n: u16) -> Option<&'static str> {
    let n = usize::from(n);
    let skip = match n {
        0..=9 => 2,
        10..=99 => 1,
        _ => 0,
    };
    // Past `SMALL` the range ends beyond the table: `None`.
    SMALL_DIGITS.get(3 * n + skip..3 * n + 3)
}

/// Integers below this render in registers ([`LabelText::short_integer`]):
/// 15 digits and a sign fill 16 bytes.
const SHORT_LIMIT: u64 = 1_000_000_000_000_000;

/// `x < 10^8` as eight ASCII digits, leading zeros included, the first
/// digit in the lowest byte: the four-digit halves, then the two-digit
/// quarters, then the digits, are split in parallel lanes of one `u64`
/// (`v * 10_486 >> 20` is `v / 100`, `v * 103 >> 10` is `v / 10`, exactly,
/// for the values the lanes hold).
#[inline]
fn eight_digits(x: u64) -> u64 {
    // Lane 0 (bits 0..32): the first four digits; lane 1: the last four.
    let v = (x / 10_000) | ((x % 10_000) << 32);
    let hundreds = ((v * 10_486) >> 20) & 0x0000_007f_0000_007f;
    // Four 16-bit lanes of two digits each.
    let v = hundreds | ((v - hundreds * 100) << 16);
    let tens = ((v * 103) >> 10) & 0x000f_000f_000f_000f;
    // Eight 8-bit lanes of one digit each.
    let v = tens | ((v - tens * 10) << 8);
    v | 0x3030_3030_3030_3030
}

/// Integers below 1,000 (status codes, small ids) borrow their text from a
/// static table, as a string value does: nothing rendered, nothing copied.
/// Others below 10^15 in magnitude render in registers
/// ([`LabelText::short_integer`]); wider ones with `itoa`. No `core::fmt`
/// machinery, no allocation.
macro_rules! integer_label_value {
    (unsigned: $($t:ty),*) => {$(
        impl LabelValue for $t {
            #[inline]
            fn label_text(&self) -> LabelText<'_> {
                let v = *self;
                if let Some(s) = u16::try_from(v).ok().and_then(small_integer) {
                    return LabelText::borrowed(s);
                }
                match u64::try_from(v) {
                    Ok(n) if n < SHORT_LIMIT => LabelText::short_integer(n, false),
                    _ => LabelText::inline(itoa::Buffer::new().format(v)),
                }
            }
        }
    )*};
    (signed: $($t:ty),*) => {$(
        impl LabelValue for $t {
            #[inline]
            fn label_text(&self) -> LabelText<'_> {
                let v = *self;
                if let Some(s) = u16::try_from(v).ok().and_then(small_integer) {
                    return LabelText::borrowed(s);
                }
                match u64::try_from(v.unsigned_abs()) {
                    Ok(n) if n < SHORT_LIMIT => LabelText::short_integer(n, v < 0),
                    _ => LabelText::inline(itoa::Buffer::new().format(v)),
                }
            }
        }
    )*};
}
integer_label_value!(unsigned: u8, u16, u32, u64, u128, usize);
integer_label_value!(signed: i8, i16, i32, i64, i128, isize);

impl LabelValue for char {
    #[inline]
    fn label_text(&self) -> LabelText<'_> {
        LabelText::inline(self.encode_utf8(&mut [0; 4]))
    }
}

/// A fieldless enum used as a label value: a fixed, known set of values,
/// each with an index in `0..COUNT`. `#[derive(LabelValue)]` implements it
/// (with [`LabelValue`]); a family keyed by such values can index its
/// children by position instead of hashing text.
///
/// ```
/// use promscribe::{LabelEnum, LabelValue};
/// #[derive(LabelValue)]
/// enum Method { Get, Post, #[label(rename = "DELETE")] Delete }
/// assert_eq!(Method::COUNT, 3);
/// assert_eq!(Method::TEXTS, ["get", "post", "DELETE"]);
/// assert_eq!(Method::Post.index(), 1);
/// assert_eq!(Method::Delete.label_text().as_str(), "DELETE");
/// ```
pub trait LabelEnum: LabelValue {
    /// How many variants (distinct label values) there are.
    const COUNT: usize;
    /// Each variant's label value, in declaration order: `TEXTS[v.index()]`
    /// is `v`'s text.
    const TEXTS: &'static [&'static str];
    /// This variant's position in declaration order, below [`COUNT`](Self::COUNT).
    fn index(&self) -> usize;
}

/// A fixed number `N` of label values: arrays `[V; N]` of one value type,
/// or tuples of up to twelve values of mixed types (an array for more). The arity is part of the
/// type, so a wrong label count does not compile.
///
/// ```
/// use promscribe::LabelValues;
/// let values = ("get", 200u16);
/// let texts = values.texts();
/// assert_eq!(texts[1].as_str(), "200");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a set of {N} label values",
    label = "expected {N} label values here",
    note = "give exactly one value per label name, as an array `[a, b]` or a tuple `(a, b)` of `LabelValue`s (&str, String, integers, bool, or your own type implementing `LabelValue`)"
)]
pub trait LabelValues<const N: usize> {
    /// The values as text.
    fn texts(&self) -> [LabelText<'_>; N];

    /// When every value is of a fixed set ([`LabelValue::enum_index`]):
    /// the position of the combination among all of them, and their
    /// number (at most 1,024); `None` otherwise.
    ///
    /// ```
    /// use promscribe::{LabelValue, LabelValues};
    /// #[derive(LabelValue)]
    /// enum Method { Get, Post }
    /// #[derive(LabelValue)]
    /// enum Outcome { Ok, Error, Timeout }
    /// assert_eq!((Method::Post, Outcome::Timeout).dense_index(), Some((5, 6)));
    /// assert_eq!((Method::Post, "timeout").dense_index(), None);
    /// ```
    #[inline]
    fn dense_index(&self) -> Option<(usize, usize)> {
        None
    }
}

/// The most combinations of enum values a family indexes densely; past it
/// (or with any value not of a fixed set) it hashes.
pub(crate) const DENSE_MAX: usize = 1024;

/// Folds one more value's `(index, count)` into a running position.
#[inline]
fn dense_step(acc: Option<(usize, usize)>, v: Option<(usize, usize)>) -> Option<(usize, usize)> {
    let ((i, n), (vi, vn)) = (acc?, v?);
    let total = n.checked_mul(vn).filter(|&t| t <= DENSE_MAX)?;
    Some((i * vn + vi, total))
}

impl<V: LabelValue, const N: usize> LabelValues<N> for [V; N] {
    #[inline]
    fn texts(&self) -> [LabelText<'_>; N] {
        std::array::from_fn(|i| self[i].label_text())
    }

    #[inline]
    fn dense_index(&self) -> Option<(usize, usize)> {
        self.iter()
            .try_fold((0, 1), |acc, v| dense_step(Some(acc), v.enum_index()))
    }
}

impl<V: LabelValue, const N: usize> LabelValues<N> for &[V; N] {
    #[inline]
    fn texts(&self) -> [LabelText<'_>; N] {
        std::array::from_fn(|i| self[i].label_text())
    }

    #[inline]
    fn dense_index(&self) -> Option<(usize, usize)> {
        (**self).dense_index()
    }
}

macro_rules! tuple_label_values {
    ($n:literal; $($t:ident $i:tt),+) => {
        impl<$($t: LabelValue),+> LabelValues<$n> for ($($t,)+) {
            #[inline]
            fn texts(&self) -> [LabelText<'_>; $n] {
                [$(self.$i.label_text()),+]
            }

            #[inline]
            fn dense_index(&self) -> Option<(usize, usize)> {
                let acc = Some((0, 1));
                $(let acc = dense_step(acc, self.$i.enum_index());)+
                acc
            }
        }
    };
}
tuple_label_values!(1; A 0);
tuple_label_values!(2; A 0, B 1);
tuple_label_values!(3; A 0, B 1, C 2);
tuple_label_values!(4; A 0, B 1, C 2, D 3);
tuple_label_values!(5; A 0, B 1, C 2, D 3, E 4);
tuple_label_values!(6; A 0, B 1, C 2, D 3, E 4, F 5);
tuple_label_values!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_label_values!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_label_values!(9; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_label_values!(10; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_label_values!(11; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_label_values!(12; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_bools_render_without_allocation() {
        assert_eq!((-12i64).label_text().as_str(), "-12");
        assert_eq!(u128::MAX.label_text().as_str(), u128::MAX.to_string());
        assert_eq!(false.label_text().as_str(), "false");
        assert_eq!('é'.label_text().as_str(), "é");
    }

    #[test]
    fn integers_render_as_display_does() {
        macro_rules! check {
            ($($t:ty),*) => {$(
                for v in [<$t>::MIN, <$t>::MAX, 0 as $t, 1 as $t, 9 as $t, 10 as $t, 99 as $t, 100 as $t, <$t>::MAX / 3] {
                    let t = v.label_text();
                    assert_eq!(t.as_str(), v.to_string(), "{}", stringify!($t));
                    // Borrowed below 1,000, inline above: never on the heap.
                    assert!(!matches!(t.repr, Repr::Heap(_)));
                }
            )*};
        }
        check!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);
        for v in [-1i64, -10, -99, -100, i64::MIN + 1] {
            assert_eq!(v.label_text().as_str(), v.to_string());
        }
        for c in ['a', 'é', '€', '😀', '\0'] {
            assert_eq!(c.label_text().as_str(), c.to_string());
        }
    }

    #[test]
    fn integers_below_1000_are_borrowed_from_the_table() {
        for v in 0u16..=1100 {
            let t = v.label_text();
            assert_eq!(t.as_str(), v.to_string());
            assert_eq!(matches!(t.repr, Repr::Borrowed(_)), v < 1000, "{v}");
        }
        assert!(matches!(7i8.label_text().repr, Repr::Borrowed("7")));
        assert!(matches!(404u64.label_text().repr, Repr::Borrowed("404")));
        assert!(matches!(999i128.label_text().repr, Repr::Borrowed("999")));
        // Negative values are rendered.
        assert_eq!((-7i32).label_text().as_str(), "-7");
        assert!(matches!((-7i32).label_text().repr, Repr::Inline { .. }));
    }

    #[test]
    fn eight_digits_of_every_lane_value() {
        // Each four-digit half is computed in its own lane: every value of
        // one half against a few of the other covers them all.
        let some = [0, 1, 9, 10, 99, 100, 999, 1000, 4321, 9999];
        for a in 0..10_000u64 {
            for b in some {
                for x in [a * 10_000 + b, b * 10_000 + a] {
                    let text = eight_digits(x).to_le_bytes();
                    assert_eq!(text, *format!("{x:08}").as_bytes(), "{x}");
                }
            }
        }
    }

    #[test]
    fn integers_of_every_length_render_as_display_does() {
        let mut values = vec![u64::MAX, SHORT_LIMIT - 1, SHORT_LIMIT, SHORT_LIMIT + 1];
        let mut p = 1u64;
        for _ in 0..20 {
            values.extend([p, p.saturating_sub(1), p.saturating_add(p / 3)]);
            p = p.saturating_mul(10);
        }
        for v in values {
            assert_eq!(v.label_text().as_str(), v.to_string());
            if let Ok(i) = i64::try_from(v) {
                assert_eq!(i.label_text().as_str(), i.to_string());
                let negative = -i;
                let t = negative.label_text();
                assert_eq!(t.as_str(), negative.to_string());
                assert!(!matches!(t.repr, Repr::Heap(_)), "{negative}");
            }
        }
        assert_eq!(i64::MIN.label_text().as_str(), i64::MIN.to_string());
    }

    /// A rendered integer's text starts on an 8-byte boundary: the words it
    /// is stored as are the words it is read back as.
    #[test]
    fn rendered_integers_are_word_aligned() {
        for t in [
            1_234_567u32.label_text(),
            (-42i64).label_text(),
            u128::MAX.label_text(),
            LabelText::display(&"short"),
        ] {
            assert!(matches!(t.repr, Repr::Inline { .. }));
            assert_eq!(t.as_str().as_ptr() as usize % 8, 0, "{}", t.as_str());
        }
        assert!(std::mem::size_of::<LabelText<'_>>() <= 48);
    }

    #[test]
    fn long_display_is_kept_in_full() {
        // 30 two-byte characters: 60 bytes, past the inline buffer, and a
        // character straddles byte 40.
        let s = "é".repeat(30);
        assert_eq!(LabelText::display(&s).as_str(), s);
        let mib = "v".repeat(1 << 20);
        assert_eq!(LabelText::display(&mib).as_str().len(), 1 << 20);
    }

    #[test]
    fn inline_buffer_boundary() {
        for n in [0, 1, INLINE - 1, INLINE, INLINE + 1, 2 * INLINE + 1] {
            let s = "a".repeat(n);
            let t = LabelText::display(&s);
            assert_eq!(t.as_str(), s, "length {n}");
            assert_eq!(matches!(t.repr, Repr::Heap(_)), n > INLINE, "length {n}");
        }
        assert!(matches!(i128::MIN.label_text().repr, Repr::Inline { .. }));
        assert!(matches!(u128::MAX.label_text().repr, Repr::Inline { .. }));
    }

    #[test]
    fn display_written_in_pieces_spills_to_the_heap_in_order() {
        struct Pieces;
        impl std::fmt::Display for Pieces {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                for i in 0..30 {
                    write!(f, "{i}-")?;
                }
                Ok(())
            }
        }
        let expected: String = (0..30).map(|i| format!("{i}-")).collect();
        assert_eq!(Pieces.to_string(), expected);
        assert_eq!(LabelText::display(&Pieces).as_str(), expected);
    }

    #[test]
    fn owned_text() {
        assert_eq!(LabelText::owned("x".repeat(50)).as_str(), "x".repeat(50));
    }

    #[test]
    fn arrays_and_tuples() {
        let owned = String::from("x");
        let arr = [owned.as_str(), "y"];
        let t = arr.texts();
        assert_eq!([t[0].as_str(), t[1].as_str()], ["x", "y"]);
        let tuple = (&owned, 3u8, true);
        let t = tuple.texts();
        assert_eq!(t.map(|x| x.as_str().to_owned()), ["x", "3", "true"]);
    }

    #[test]
    fn tuples_up_to_twelve_values() {
        let seven = ("a", 1u8, 'c', true, String::from("e"), -6i64, 7usize);
        let t = seven.texts();
        assert_eq!(
            t.map(|x| x.as_str().to_owned()),
            ["a", "1", "c", "true", "e", "-6", "7"]
        );
        let twelve = (
            1u8, 2u8, 3u8, 4u8, 5u8, 6u8, 7u8, 8u8, 9u8, 10u8, 11u8, "twelve",
        );
        let t = twelve.texts();
        assert_eq!(t[0].as_str(), "1");
        assert_eq!(t[11].as_str(), "twelve");
        let wide = ["v"; 20];
        assert_eq!(wide.texts().len(), 20);
    }
}

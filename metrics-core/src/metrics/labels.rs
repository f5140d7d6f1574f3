//! Label values: what `Family::labels` accepts, without allocating.

use std::fmt::Write;

/// Bytes of `Display` output kept inline. Every built-in integer fits
/// (`i128::MIN` is 40 characters), so integers never allocate.
const INLINE: usize = 40;

/// A label value rendered as text, always in full: borrowed, formatted into
/// a small inline buffer (integers, booleans, short `Display` values), or,
/// only when a `Display` value is longer than that buffer, on the heap.
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
    Inline { buf: [u8; INLINE], len: u8 },
    Heap(Box<str>),
}

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
                buf,
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
                    repr: Repr::Inline { buf, len },
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
    pub fn as_str(&self) -> &str {
        match &self.repr {
            Repr::Borrowed(s) => s,
            // Only whole `&str` pieces are ever copied into the buffer.
            Repr::Inline { buf, len } => buf
                .get(..usize::from(*len))
                .and_then(|b| std::str::from_utf8(b).ok())
                .unwrap_or(""),
            Repr::Heap(s) => s,
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
    fn label_text(&self) -> LabelText<'_> {
        LabelText::borrowed(self)
    }
}

impl LabelValue for String {
    fn label_text(&self) -> LabelText<'_> {
        LabelText::borrowed(self)
    }
}

impl LabelValue for std::borrow::Cow<'_, str> {
    fn label_text(&self) -> LabelText<'_> {
        LabelText::borrowed(self)
    }
}

impl<T: LabelValue + ?Sized> LabelValue for &T {
    fn label_text(&self) -> LabelText<'_> {
        (**self).label_text()
    }

    #[inline]
    fn enum_index(&self) -> Option<(usize, usize)> {
        (**self).enum_index()
    }
}

impl LabelValue for bool {
    fn label_text(&self) -> LabelText<'_> {
        LabelText::borrowed(if *self { "true" } else { "false" })
    }
}

/// Integers render with `itoa` straight into the inline buffer: no
/// `core::fmt` machinery, no allocation.
macro_rules! integer_label_value {
    ($($t:ty),*) => {$(
        impl LabelValue for $t {
            #[inline]
            fn label_text(&self) -> LabelText<'_> {
                LabelText::inline(itoa::Buffer::new().format(*self))
            }
        }
    )*};
}
integer_label_value!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

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
                    assert!(matches!(t.repr, Repr::Inline { .. }));
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

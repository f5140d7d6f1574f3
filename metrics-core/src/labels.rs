//! Label values: what `Family::labels` accepts, without allocating.

use std::fmt::Write;

/// A label value rendered as text: borrowed, or formatted into a small
/// inline buffer (integers, booleans), so no allocation happens.
#[derive(Debug, Clone, Copy)]
pub struct LabelText<'a> {
    repr: Repr<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Repr<'a> {
    Borrowed(&'a str),
    Inline { buf: [u8; 40], len: u8 },
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

    /// Formats a `Display` value of at most 40 bytes into an inline
    /// buffer; longer output is cut at a character boundary.
    ///
    /// ```
    /// assert_eq!(promscribe::LabelText::display(&404u16).as_str(), "404");
    /// ```
    pub fn display(v: &dyn std::fmt::Display) -> LabelText<'static> {
        struct Buf {
            buf: [u8; 40],
            len: usize,
        }
        impl Write for Buf {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                let room = self.buf.len() - self.len;
                let mut take = s.len().min(room);
                while !s.is_char_boundary(take) {
                    take -= 1;
                }
                self.buf[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
                self.len += take;
                Ok(())
            }
        }
        let mut b = Buf {
            buf: [0; 40],
            len: 0,
        };
        let _ = write!(b, "{v}");
        LabelText {
            repr: Repr::Inline {
                buf: b.buf,
                len: b.len as u8,
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
            // Only whole UTF-8 characters are ever copied into the buffer.
            Repr::Inline { buf, len } => std::str::from_utf8(&buf[..*len as usize]).unwrap_or(""),
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
}

impl LabelValue for bool {
    fn label_text(&self) -> LabelText<'_> {
        LabelText::borrowed(if *self { "true" } else { "false" })
    }
}

macro_rules! display_label_value {
    ($($t:ty),*) => {$(
        impl LabelValue for $t {
            fn label_text(&self) -> LabelText<'_> {
                LabelText::display(self)
            }
        }
    )*};
}
display_label_value!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, char);

/// A fixed number `N` of label values: arrays `[V; N]` of one value type,
/// or tuples of up to six values of mixed types. The arity is part of the
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
}

impl<V: LabelValue, const N: usize> LabelValues<N> for [V; N] {
    fn texts(&self) -> [LabelText<'_>; N] {
        std::array::from_fn(|i| self[i].label_text())
    }
}

impl<V: LabelValue, const N: usize> LabelValues<N> for &[V; N] {
    fn texts(&self) -> [LabelText<'_>; N] {
        std::array::from_fn(|i| self[i].label_text())
    }
}

macro_rules! tuple_label_values {
    ($n:literal; $($t:ident $i:tt),+) => {
        impl<$($t: LabelValue),+> LabelValues<$n> for ($($t,)+) {
            fn texts(&self) -> [LabelText<'_>; $n] {
                [$(self.$i.label_text()),+]
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
    fn long_display_is_cut_at_char_boundary() {
        let s = "é".repeat(30);
        let t = LabelText::display(&s);
        assert_eq!(t.as_str().len(), 40);
        assert!(s.starts_with(t.as_str()));
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
}

//! The key of an entry: `json.dumps([metric_name, sample_name, labels,
//! help], sort_keys=True)` as Python's default `json.dumps` writes it, and
//! a strict reader of exactly that form.

use std::fmt;

/// The four parts of an entry's key, as Python's `mmap_key` builds them.
///
/// `labels` are kept sorted by name (code point order, as Python sorts
/// `str`), each name once: the order [`encode_key`] writes them in.
///
/// ```
/// use promscribe::multiprocess::{encode_key, parse_key, SampleKey};
///
/// let key = SampleKey::new("requests", "requests_total", &[("path", "/")], "Requests.");
/// let text = encode_key(&key);
/// assert_eq!(text, r#"["requests", "requests_total", {"path": "/"}, "Requests."]"#);
/// assert_eq!(parse_key(&text), Ok(key));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SampleKey {
    /// The metric's name (a counter's without `_total`).
    pub metric_name: String,
    /// The sample's name (`requests_total`, `latency_bucket`, ...).
    pub sample_name: String,
    /// The labels, sorted by name, each name once.
    pub labels: Vec<(String, String)>,
    /// The metric's help text.
    pub help: String,
}

impl SampleKey {
    /// A key from its parts. The labels are sorted by name; of a name
    /// given twice the last value is kept, as Python's `dict(zip(...))`
    /// keeps it.
    ///
    /// ```
    /// use promscribe::multiprocess::SampleKey;
    ///
    /// let key = SampleKey::new("h", "h_bucket", &[("le", "1.0"), ("a", "x")], "");
    /// assert_eq!(key.labels[0], ("a".to_owned(), "x".to_owned()));
    /// ```
    pub fn new(metric_name: &str, sample_name: &str, labels: &[(&str, &str)], help: &str) -> Self {
        let mut sorted: Vec<(String, String)> = Vec::with_capacity(labels.len());
        for (name, value) in labels {
            match sorted.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
                Ok(at) => sorted[at].1 = (*value).to_owned(),
                Err(at) => sorted.insert(at, ((*name).to_owned(), (*value).to_owned())),
            }
        }
        Self {
            metric_name: metric_name.to_owned(),
            sample_name: sample_name.to_owned(),
            labels: sorted,
            help: help.to_owned(),
        }
    }
}

/// The key's text, byte for byte as Python's
/// `json.dumps([metric_name, sample_name, labels, help], sort_keys=True)`
/// writes it: separators `", "` and `": "`, ASCII only, labels sorted by
/// name.
///
/// The labels are written in the order of `key.labels`; keys built with
/// [`SampleKey::new`] or read with [`parse_key`] are sorted already.
///
/// ```
/// use promscribe::multiprocess::{encode_key, SampleKey};
///
/// let key = SampleKey::new("g", "g", &[("b", "é\"\n"), ("a", "😀")], "");
/// assert_eq!(
///     encode_key(&key),
///     r#"["g", "g", {"a": "\ud83d\ude00", "b": "\u00e9\"\n"}, ""]"#
/// );
/// ```
pub fn encode_key(key: &SampleKey) -> String {
    let mut out = String::with_capacity(
        16 + key.metric_name.len()
            + key.sample_name.len()
            + key.help.len()
            + key
                .labels
                .iter()
                .map(|(n, v)| n.len() + v.len() + 6)
                .sum::<usize>(),
    );
    out.push('[');
    write_string(&mut out, &key.metric_name);
    out.push_str(", ");
    write_string(&mut out, &key.sample_name);
    out.push_str(", {");
    for (i, (name, value)) in key.labels.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_string(&mut out, name);
        out.push_str(": ");
        write_string(&mut out, value);
    }
    out.push_str("}, ");
    write_string(&mut out, &key.help);
    out.push(']');
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_unit(out: &mut String, unit: u16) {
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(char::from(HEX[usize::from((unit >> shift) & 0xf)]));
    }
}

/// A JSON string as Python's `json` writes it with `ensure_ascii=True`.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    push_unit(out, *unit);
                }
            }
        }
    }
    out.push('"');
}

/// A key that is not in the form [`encode_key`] writes.
///
/// ```
/// use promscribe::multiprocess::parse_key;
///
/// let err = parse_key(r#"["a","a",{},""]"#).unwrap_err();
/// assert_eq!(err.offset, 4);
/// assert!(err.to_string().contains("expected \", \""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    /// The byte offset in the key where reading stopped.
    pub offset: usize,
    /// What was wrong there.
    pub problem: String,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid key at byte {}: {}", self.offset, self.problem)
    }
}

impl std::error::Error for KeyError {}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn fail<T>(&self, problem: impl Into<String>) -> Result<T, KeyError> {
        Err(KeyError {
            offset: self.pos,
            problem: problem.into(),
        })
    }

    fn expect(&mut self, token: &str) -> Result<(), KeyError> {
        if self.bytes[self.pos..].starts_with(token.as_bytes()) {
            self.pos += token.len();
            Ok(())
        } else {
            self.fail(format!("expected {token:?}"))
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn hex_unit(&mut self) -> Result<u16, KeyError> {
        let mut unit = 0u16;
        for _ in 0..4 {
            let digit = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                _ => return self.fail("expected four lowercase hex digits after \\u"),
            };
            unit = unit << 4 | u16::from(digit);
            self.pos += 1;
        }
        Ok(unit)
    }

    /// A string as `write_string` writes it, and nothing else: every
    /// character it would escape escaped, the way it escapes it.
    fn string(&mut self) -> Result<String, KeyError> {
        self.expect("\"")?;
        let mut out = String::new();
        loop {
            let Some(b) = self.peek() else {
                return self.fail("unterminated string");
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    let start = self.pos;
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return self.fail("unterminated escape");
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'u' => {
                            let unit = self.hex_unit()?;
                            let c = match unit {
                                0xd800..=0xdbff => {
                                    if self.expect("\\u").is_err() {
                                        self.pos = start;
                                        return self.fail("high surrogate without a low one");
                                    }
                                    let low = self.hex_unit()?;
                                    if !(0xdc00..=0xdfff).contains(&low) {
                                        self.pos = start;
                                        return self.fail("high surrogate without a low one");
                                    }
                                    let code = 0x10000
                                        + ((u32::from(unit) - 0xd800) << 10
                                            | (u32::from(low) - 0xdc00));
                                    char::from_u32(code)
                                }
                                0xdc00..=0xdfff => {
                                    self.pos = start;
                                    return self.fail("low surrogate without a high one");
                                }
                                _ => char::from_u32(u32::from(unit)),
                            };
                            let Some(c) = c else {
                                self.pos = start;
                                return self.fail("invalid code point");
                            };
                            let shorter = matches!(
                                c,
                                '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' | ' '..='~'
                            );
                            if shorter {
                                self.pos = start;
                                return self.fail(format!(
                                    "{c:?} escaped as \\u, where Python writes it otherwise"
                                ));
                            }
                            out.push(c);
                        }
                        _ => {
                            self.pos = start;
                            return self.fail(format!("unknown escape \\{}", char::from(e)));
                        }
                    }
                }
                b' '..=b'~' => {
                    out.push(char::from(b));
                    self.pos += 1;
                }
                _ => return self.fail(format!("byte 0x{b:02x} not escaped")),
            }
        }
    }
}

/// Reads a key written by [`encode_key`] or by Python's `mmap_key`.
///
/// Strict: it accepts exactly the text Python 0.26 writes (so that
/// `encode_key(&parse_key(s)?) == s`), and names the first difference
/// otherwise: other separators or whitespace, unescaped non-ASCII or
/// control characters, escapes Python does not write, unpaired
/// surrogates, labels out of order or repeated, text after the end.
///
/// ```
/// use promscribe::multiprocess::parse_key;
///
/// let key = parse_key(r#"["c", "c_total", {"a": "\u00e9"}, "help"]"#).unwrap();
/// assert_eq!(key.labels, vec![("a".to_owned(), "é".to_owned())]);
/// assert!(parse_key(r#"["c", "c_total", {"b": "", "a": ""}, ""]"#).is_err());
/// ```
pub fn parse_key(text: &str) -> Result<SampleKey, KeyError> {
    let mut r = Reader {
        bytes: text.as_bytes(),
        pos: 0,
    };
    r.expect("[")?;
    let metric_name = r.string()?;
    r.expect(", ")?;
    let sample_name = r.string()?;
    r.expect(", ")?;
    r.expect("{")?;
    let mut labels: Vec<(String, String)> = Vec::new();
    if r.peek() != Some(b'}') {
        loop {
            let at = r.pos;
            let name = r.string()?;
            if let Some((last, _)) = labels.last() {
                if *last >= name {
                    r.pos = at;
                    return r.fail(format!(
                        "label {name:?} after {last:?}: not sorted, or repeated"
                    ));
                }
            }
            r.expect(": ")?;
            let value = r.string()?;
            labels.push((name, value));
            if r.peek() == Some(b'}') {
                break;
            }
            r.expect(", ")?;
        }
    }
    r.expect("}")?;
    r.expect(", ")?;
    let help = r.string()?;
    r.expect("]")?;
    if r.pos != text.len() {
        return r.fail("text after the key");
    }
    Ok(SampleKey {
        metric_name,
        sample_name,
        labels,
        help,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(labels: &[(&str, &str)], help: &str) -> SampleKey {
        SampleKey::new("m", "m_total", labels, help)
    }

    #[test]
    fn escapes_as_python() {
        // Each expected text from Python 3.11:
        // json.dumps(["m", "m_total", labels, help], sort_keys=True).
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: &[Case<'_>] = &[
            (&[], "", r#"["m", "m_total", {}, ""]"#),
            (
                &[("a", "\"\\/")],
                "\n\r\t\u{8}\u{c}",
                r#"["m", "m_total", {"a": "\"\\/"}, "\n\r\t\b\f"]"#,
            ),
            (
                &[("c", "\u{0}\u{1f}\u{7f}")],
                "",
                r#"["m", "m_total", {"c": "\u0000\u001f\u007f"}, ""]"#,
            ),
            (
                &[("z", "é€"), ("a", "\u{10ffff}𝄞")],
                "ü",
                r#"["m", "m_total", {"a": "\udbff\udfff\ud834\udd1e", "z": "\u00e9\u20ac"}, "\u00fc"]"#,
            ),
            // Sorted by code point: "B" < "a" < "é" < "😀".
            (
                &[("😀", "1"), ("é", "2"), ("a", "3"), ("B", "4")],
                "",
                r#"["m", "m_total", {"B": "4", "a": "3", "\u00e9": "2", "\ud83d\ude00": "1"}, ""]"#,
            ),
        ];
        for (labels, help, want) in cases {
            let k = key(labels, help);
            assert_eq!(encode_key(&k), *want);
            assert_eq!(parse_key(want).as_ref(), Ok(&k), "{want}");
        }
    }

    #[test]
    fn a_repeated_label_keeps_the_last_value() {
        let k = key(&[("a", "1"), ("b", "2"), ("a", "3")], "");
        assert_eq!(
            encode_key(&k),
            r#"["m", "m_total", {"a": "3", "b": "2"}, ""]"#
        );
    }

    #[test]
    fn refuses_what_python_does_not_write() {
        let bad: &[(&str, usize, &str)] = &[
            (r#"["m","m_total", {}, ""]"#, 4, "expected \", \""),
            (r#"["m", "m_total", {}, ""] "#, 24, "text after the key"),
            (r#"["m", "m_total", {}, "é"]"#, 22, "not escaped"),
            (r#"["m", "m_total", {}, "	"]"#, 22, "not escaped"),
            (r#"["m", "m_total", {}, "\u00E9"]"#, 26, "lowercase hex"),
            (r#"["m", "m_total", {}, "\/"]"#, 22, "unknown escape"),
            (r#"["m", "m_total", {}, "\u0041"]"#, 22, "escaped as \\u"),
            (r#"["m", "m_total", {}, "\u000a"]"#, 22, "escaped as \\u"),
            (r#"["m", "m_total", {}, "\ud83d"]"#, 22, "high surrogate"),
            (
                r#"["m", "m_total", {}, "\ud83d\u0041"]"#,
                22,
                "high surrogate",
            ),
            (r#"["m", "m_total", {}, "\ude00"]"#, 22, "low surrogate"),
            (
                r#"["m", "m_total", {"b": "", "a": ""}, ""]"#,
                27,
                "not sorted",
            ),
            (
                r#"["m", "m_total", {"a": "", "a": ""}, ""]"#,
                27,
                "repeated",
            ),
            (r#"["m", "m_total", {"a":""}, ""]"#, 21, "expected \": \""),
            (r#"["m", "m_total", {}, ""#, 22, "unterminated string"),
            (r#"["m", "m_total", {}]"#, 19, "expected \", \""),
            (r#"["m", "m_total", {}, "", ""]"#, 23, "expected \"]\""),
            (r#"{"m": 1}"#, 0, "expected \"[\""),
            ("", 0, "expected \"[\""),
        ];
        for (text, offset, problem) in bad {
            let err = parse_key(text).expect_err(text);
            assert_eq!(err.offset, *offset, "{text}: {err}");
            assert!(err.problem.contains(problem), "{text}: {err}");
        }
    }
}

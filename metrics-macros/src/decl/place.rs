//! Where a declaration stands: directly in an `impl` or `trait` block, or
//! anywhere a `static` can go.
//!
//! Rust has no associated statics. rustc's parser refuses one and recovers
//! it as an associated `const`, so a declaration inside an `impl` would
//! give that error and a second one, from the registration inside the
//! static's initializer, which names the static (an associated item is out
//! of reach of the nested registration item). To leave only rustc's own
//! error, the declaration reads the source text around its call site (the
//! file the compiler is reading, through `Span::local_file`, `line`,
//! `column` and `source_text`) and, when it is certainly directly inside an
//! `impl` or `trait` body, expands without the registration.
//!
//! The reading is conservative: an unreadable file, a call site whose
//! text is not found where the compiler says, a call written by another
//! macro, or anything the scanner is unsure of, all mean "not associated",
//! which keeps the ordinary expansion (registered; at worst the old two
//! errors). The expansion for an associated position also names `Self`,
//! which only exists there: if this reading were ever wrong, the build
//! fails loudly instead of leaving a metric silently unregistered.

/// Whether the declaration being expanded stands directly inside an `impl`
/// or `trait` block. Always false outside a procedural macro invocation
/// (unit tests) and whenever the source cannot be read for certain.
pub(super) fn call_site_is_associated() -> bool {
    if !proc_macro::is_available() {
        return false;
    }
    let span = proc_macro::Span::call_site();
    let (Some(path), Some(text)) = (span.local_file(), span.source_text()) else {
        return false;
    };
    let Ok(src) = std::fs::read_to_string(path) else {
        return false;
    };
    match offset_of(&src, span.line(), span.column(), &text) {
        Some(offset) => associated_at(&src, offset),
        None => false,
    }
}

/// The byte offset of the one-based `line` and `column` (counted in
/// characters) in `src`, if `text` stands there.
fn offset_of(src: &str, line: usize, column: usize, text: &str) -> Option<usize> {
    if text.is_empty() {
        return None;
    }
    let start = src
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum::<usize>();
    let rest = src.get(start..)?;
    let offset = start
        + rest
            .char_indices()
            .nth(column.checked_sub(1)?)
            .map(|(i, _)| i)?;
    src.get(offset..)?.starts_with(text).then_some(offset)
}

/// What a `{` opens.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Block {
    /// The body of an `impl` or a `trait`: associated items.
    Associated,
    /// Anything else: a module, a function body, an expression.
    Other,
}

/// An open delimiter, with the first word of the segment it interrupted
/// (restored when it closes).
#[derive(Clone, Copy, Debug)]
enum Frame<'a> {
    Paren(Option<&'a str>),
    Bracket(Option<&'a str>),
    Brace(Block),
}

/// Words that may stand before `impl` or `trait` in an item's head.
const MODIFIERS: &[&str] = &["pub", "unsafe", "default", "auto"];

/// Whether the token at byte `offset` of `src` stands directly inside an
/// `impl` or `trait` body. `src` is read as Rust tokens: comments, string,
/// raw string, byte and character literals and lifetimes are skipped, so
/// a brace inside them counts for nothing. An item's kind is the first
/// word of its head (after attributes and `pub`/`unsafe`/...), read since
/// the last `;`, `{` or `}` of its block.
fn associated_at(src: &str, offset: usize) -> bool {
    let b = src.as_bytes();
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut first: Option<&str> = None;
    let mut i = 0;
    while i < b.len() {
        if i == offset {
            return matches!(stack.last(), Some(Frame::Brace(Block::Associated)));
        }
        if i > offset {
            // The offset fell inside a token (a comment, a literal): the
            // call site was not read right.
            return false;
        }
        let c = b[i];
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = src[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => match block_comment_end(b, i) {
                Some(end) => i = end,
                None => return false,
            },
            b'"' => match string_end(b, i + 1) {
                Some(end) => i = end,
                None => return false,
            },
            b'\'' => i = quote_end(src, i),
            b'{' => {
                let block = match (stack.last(), first) {
                    (Some(Frame::Paren(_) | Frame::Bracket(_)), _) => Block::Other,
                    (_, Some("impl" | "trait")) => Block::Associated,
                    _ => Block::Other,
                };
                stack.push(Frame::Brace(block));
                first = None;
                i += 1;
            }
            b'}' => {
                match stack.pop() {
                    Some(Frame::Brace(_)) => {}
                    _ => return false,
                }
                first = None;
                i += 1;
            }
            b'(' => {
                stack.push(Frame::Paren(first));
                first = None;
                i += 1;
            }
            b'[' => {
                stack.push(Frame::Bracket(first));
                first = None;
                i += 1;
            }
            b')' | b']' => {
                first = match (c, stack.pop()) {
                    (b')', Some(Frame::Paren(saved))) | (b']', Some(Frame::Bracket(saved))) => {
                        saved
                    }
                    _ => return false,
                };
                i += 1;
            }
            b';' => {
                first = None;
                i += 1;
            }
            _ if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                let start = i;
                while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric() || b[i] >= 0x80)
                {
                    i += 1;
                }
                let word = &src[start..i];
                // Prefixed literals: r"..", r#".."#, br"..", b"..", c"..",
                // b'..'; and raw identifiers (r#name).
                match (word, b.get(i)) {
                    ("r" | "br" | "cr", Some(b'#' | b'"')) => {
                        let hashes = b[i..].iter().take_while(|&&h| h == b'#').count();
                        if b.get(i + hashes) == Some(&b'"') {
                            match raw_string_end(b, i + hashes + 1, hashes) {
                                Some(end) => i = end,
                                None => return false,
                            }
                            continue;
                        }
                        if word == "r" && hashes == 1 {
                            // A raw identifier: a word, never a keyword.
                            i += 1;
                            while i < b.len()
                                && (b[i] == b'_' || b[i].is_ascii_alphanumeric() || b[i] >= 0x80)
                            {
                                i += 1;
                            }
                            if first.is_none() {
                                first = Some("r#");
                            }
                            continue;
                        }
                        return false;
                    }
                    ("b" | "c", Some(b'"')) => {
                        match string_end(b, i + 1) {
                            Some(end) => i = end,
                            None => return false,
                        }
                        continue;
                    }
                    ("b", Some(b'\'')) => {
                        i = quote_end(src, i);
                        continue;
                    }
                    _ => {}
                }
                if first.is_none() && !MODIFIERS.contains(&word) {
                    first = Some(word);
                }
            }
            _ if c.is_ascii_digit() => {
                while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    false
}

/// The end of a (nested) block comment starting at `start`.
fn block_comment_end(b: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < b.len() {
        match (b[i], b[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The end of a string whose contents start at `i` (after its `"`).
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The end of a raw string whose contents start at `i`, closed by `"` and
/// `hashes` hashes.
fn raw_string_end(b: &[u8], mut i: usize, hashes: usize) -> Option<usize> {
    while i < b.len() {
        if b[i] == b'"' && b.get(i + 1..i + 1 + hashes)?.iter().all(|&h| h == b'#') {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    None
}

/// Past a `'` at `i` (or `b'`): a character literal (`'a'`, `'\n'`,
/// `'\u{1F600}'`, `'é'`), or a lifetime or label, of which only the quote
/// is skipped (its name is read as a word).
fn quote_end(src: &str, quote: usize) -> usize {
    let rest = &src[quote + 1..];
    let mut chars = rest.char_indices();
    match chars.next() {
        // An escape (`'\''`, `'\n'`, `'\u{..}'`): the escaped character is
        // ASCII, the literal ends at the next quote after it.
        Some((_, '\\')) => rest
            .get(2..)
            .and_then(|r| r.find('\''))
            .map_or(src.len(), |n| quote + 1 + 2 + n + 1),
        Some(_) => match chars.next() {
            Some((n, '\'')) => quote + 1 + n + 1,
            // A lifetime or a label: its name is read next, as a word.
            _ => quote + 1,
        },
        None => src.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the `counter!` marked `HERE` stands in an associated position.
    fn at_here(src: &str) -> bool {
        let offset = src.find("HERE!").expect("the case marks its call");
        associated_at(src, offset)
    }

    #[test]
    fn impl_and_trait_bodies_are_associated() {
        for src in [
            "struct S; impl S { HERE!(); }",
            "impl<T: Fn() -> u8> S<T> where T: Clone { fn a() {} HERE!(); }",
            "unsafe impl Send for S { HERE!(); }",
            "pub(crate) trait T { fn f(&self); HERE!(); }",
            "#[cfg(test)] impl S { #[allow(x)] HERE!(); }",
            "fn f() { let x = 1; impl S { HERE!(); } }",
            "const _: () = { impl S { HERE!(); } };",
            "impl S { /* } */ const A: &str = \"}\"; const B: char = '}'; HERE!(); }",
            "impl S { const R: &str = r#\"} \" }\"#; fn f<'a>(x: &'a u8) {} HERE!(); }",
            "impl S { const C: u8 = b'}'; const D: char = '\\''; HERE!(); }",
            "impl S { const E: [u8; 2] = [1, 2]; const F: char = 'é'; HERE!(); }",
        ] {
            assert!(at_here(src), "{src}");
        }
    }

    #[test]
    fn everywhere_else_is_not() {
        for src in [
            "HERE!();",
            "mod m { HERE!(); }",
            "fn f() { HERE!(); }",
            "impl S { fn f() { HERE!(); } }",
            "fn f() -> impl Fn() { HERE!(); || () }",
            "impl S {} HERE!();",
            "struct T { a: u8 } HERE!();",
            "macro_rules! m { () => { HERE!(); } }",
            "fn f() { let s = S { a: impl_x }; HERE!(); }",
            "fn f() { g(|| { HERE!(); }); }",
            "extern \"C\" { HERE!(); }",
            "// impl S {\nHERE!();",
            "const S: &str = \"impl S {\"; HERE!();",
            "fn f<'a>() { 'outer: loop { HERE!(); } }",
            "r#impl S { HERE!(); }",
        ] {
            assert!(!at_here(src), "{src}");
        }
    }

    #[test]
    fn an_offset_inside_a_token_or_unbalanced_input_is_not_associated() {
        let src = "impl S { // HERE!\n }";
        assert!(!associated_at(src, src.find("HERE!").unwrap()));
        let src = "impl S { \"HERE!\" }";
        assert!(!associated_at(src, src.find("HERE!").unwrap()));
        assert!(!associated_at("impl S { ) HERE!(); }", 11));
    }

    #[test]
    fn call_sites_are_found_by_line_and_column() {
        let src = "fn a() {}\nimpl S {\n    é; counter!(X, \"x\", \"h\");\n}\n";
        let offset = offset_of(src, 3, 8, "counter!(X, \"x\", \"h\")").unwrap();
        assert_eq!(&src[offset..offset + 8], "counter!");
        assert!(associated_at(src, offset));
        // The text must stand where line and column say.
        assert_eq!(offset_of(src, 3, 7, "counter!(X"), None);
        assert_eq!(offset_of(src, 9, 1, "counter!"), None);
        assert_eq!(offset_of(src, 0, 1, "fn"), None);
    }
}

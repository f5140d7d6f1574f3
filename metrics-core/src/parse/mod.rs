//! The parsers: the Prometheus text format 0.0.4 ([`parse_text`], in
//! `text.rs`) and strict OpenMetrics 1.0.0 ([`parse_openmetrics`], in
//! `openmetrics.rs`). Both produce the typed model
//! ([`MetricFamily`](crate::MetricFamily)) and report errors as a
//! [`ParseError`] naming the line.

use std::fmt;

mod openmetrics;
mod text;

pub use openmetrics::parse_openmetrics;
pub use text::parse_text;

/// A text (0.0.4 or OpenMetrics) could not be parsed: where and why.
///
/// ```
/// let err = promscribe::parse_text("ok 1\nbroken{ 1\n").unwrap_err();
/// assert_eq!(err.line(), 2);
/// assert!(err.to_string().starts_with("line 2: "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    line: usize,
    message: String,
}

impl ParseError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line,
            message: message.into(),
        }
    }

    /// The 1-based number of the offending line.
    ///
    /// ```
    /// let err = promscribe::parse_text("x 1 2 3\n").unwrap_err();
    /// assert_eq!(err.line(), 1);
    /// ```
    pub fn line(&self) -> usize {
        self.line
    }

    /// What is wrong, without the line number.
    ///
    /// ```
    /// let err = promscribe::parse_text("# TYPE x bogus\n").unwrap_err();
    /// assert!(err.message().contains("bogus"));
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

//! What the attribute macros' expansions call: guards that record on drop,
//! and the probe that tells an `Err` return from any other value.

use std::any::Any;
use std::sync::Arc;

use crate::counter::Counter;
use crate::gauge::Gauge;

/// A counter an exception count goes to: `&Counter` or a labelled child.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot count exceptions",
    label = "a Counter is needed here",
    note = "#[count_exceptions] increments a Counter (or a child of a counter family, with `labels = [...]`)"
)]
pub trait CountTarget {
    /// Adds one.
    fn count(&self);
}

impl CountTarget for &Counter {
    fn count(&self) {
        self.inc();
    }
}

impl CountTarget for Arc<Counter> {
    fn count(&self) {
        self.inc();
    }
}

/// A gauge that tracks work in progress: `&Gauge` or a labelled child.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot track work in progress",
    label = "a Gauge is needed here",
    note = "#[track_inprogress] raises a Gauge on entry and lowers it on exit (or a child of a gauge family, with `labels = [...]`)"
)]
pub trait InProgressTarget {
    /// Adds one.
    fn up(&self);
    /// Subtracts one.
    fn down(&self);
}

impl InProgressTarget for &Gauge {
    fn up(&self) {
        self.inc();
    }
    fn down(&self) {
        self.dec();
    }
}

impl InProgressTarget for Arc<Gauge> {
    fn up(&self) {
        self.inc();
    }
    fn down(&self) {
        self.dec();
    }
}

/// Raises a gauge when created, lowers it when dropped.
#[derive(Debug)]
pub struct InProgressGuard<T: InProgressTarget>(T);

impl<T: InProgressTarget> InProgressGuard<T> {
    /// Raises the gauge.
    #[inline]
    pub fn start(target: T) -> Self {
        target.up();
        InProgressGuard(target)
    }
}

impl<T: InProgressTarget> Drop for InProgressGuard<T> {
    fn drop(&mut self) {
        self.0.down();
    }
}

/// Counts a panic that starts while it is alive (not one that was already
/// unwinding when it was created), and errors it is told about.
#[derive(Debug)]
pub struct ExceptionGuard<T: CountTarget> {
    target: T,
    was_panicking: bool,
}

impl<T: CountTarget> ExceptionGuard<T> {
    /// Starts watching.
    #[inline]
    pub fn new(target: T) -> Self {
        ExceptionGuard {
            target,
            was_panicking: std::thread::panicking(),
        }
    }

    /// Counts one error.
    #[inline]
    pub fn record(&self) {
        self.target.count();
    }
}

impl<T: CountTarget> Drop for ExceptionGuard<T> {
    fn drop(&mut self) {
        if !self.was_panicking && std::thread::panicking() {
            self.target.count();
        }
    }
}

/// Wraps a return value so that method resolution picks
/// [`IsErrResult`] for a `Result` and [`IsErrOther`] for anything else.
#[derive(Debug)]
pub struct Probe<'a, T>(pub &'a T);

/// `Result` returns: an `Err` counts.
pub trait IsErrResult {
    /// Whether the value is an `Err`.
    fn __metrics_is_err(&self) -> bool;
}

impl<T, E> IsErrResult for Probe<'_, Result<T, E>> {
    fn __metrics_is_err(&self) -> bool {
        self.0.is_err()
    }
}

/// Any other return: never an error.
pub trait IsErrOther {
    /// Always `false`.
    fn __metrics_is_err(&self) -> bool;
}

impl<T> IsErrOther for &Probe<'_, T> {
    fn __metrics_is_err(&self) -> bool {
        false
    }
}

/// Calls `f`: gives a function body its own `return` target.
#[inline(always)]
pub fn call<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Whether an error is a `T`: the error type itself, or a boxed
/// `dyn Error` holding a `T`.
pub fn error_is<T: std::error::Error + 'static, E: 'static>(e: &E) -> bool {
    let any = e as &dyn Any;
    if any.is::<T>() {
        return true;
    }
    if let Some(b) = any.downcast_ref::<Box<dyn std::error::Error + Send + Sync>>() {
        return b.is::<T>();
    }
    if let Some(b) = any.downcast_ref::<Box<dyn std::error::Error + Send>>() {
        return b.is::<T>();
    }
    if let Some(b) = any.downcast_ref::<Box<dyn std::error::Error>>() {
        return b.is::<T>();
    }
    false
}

/// A value a counted closure can return: an `Err` counts as an exception.
///
/// ```
/// use promscribe::Fallible;
/// assert!(Err::<(), i32>(1).is_failure());
/// assert!(!().is_failure());
/// ```
pub trait Fallible {
    /// Whether this value is a failure.
    fn is_failure(&self) -> bool;
}

impl<T, E> Fallible for Result<T, E> {
    fn is_failure(&self) -> bool {
        self.is_err()
    }
}

impl Fallible for () {
    fn is_failure(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_tells_results_from_other_values() {
        let err: Result<u8, String> = Err("x".into());
        let ok: Result<u8, String> = Ok(1);
        assert!(Probe(&err).__metrics_is_err());
        assert!(!Probe(&ok).__metrics_is_err());
        assert!(!(&Probe(&Some(3))).__metrics_is_err());
    }

    #[test]
    fn error_is_sees_through_boxes() {
        let io = std::io::Error::other("x");
        assert!(error_is::<std::io::Error, _>(&io));
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(std::io::Error::other("y"));
        assert!(error_is::<std::io::Error, _>(&boxed));
        assert!(!error_is::<std::fmt::Error, _>(&boxed));
    }
}

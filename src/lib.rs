//! The workspace's integration tests live in `tests/`; this library only
//! compiles the code blocks of the README as doctests, so the README
//! cannot drift from the API.

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

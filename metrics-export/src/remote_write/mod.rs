//! Prometheus Remote Write 1.0: the wire format.

// Used by the sender; until it lands only the tests reach them.
#![allow(dead_code)]

pub(crate) mod proto;

//! Text primitives every layer may use: numbers rendered on the stack
//! (`itoa`, `zmij`) in Go's and Python's forms, label values and help
//! escaped, names escaped by an [`EscapingScheme`](escaping::EscapingScheme).
//! They know no metric and no exposition format.

pub(crate) mod escaping;
pub(crate) mod float;

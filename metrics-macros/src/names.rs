//! The name rules, checked at compile time: they live in
//! `promscribe-rules`, which the run-time constructors of promscribe call
//! too, so both accept and refuse the same names with the same message.

pub(crate) use promscribe_rules::{
    check_buckets, check_label_name, full_name, Kind as RuleKind, NameParts, Part, RuleError,
};

//! Every compile error of the macros, with its message and span, checked
//! by trybuild against `tests/ui/*.stderr`.

#[test]
fn macro_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

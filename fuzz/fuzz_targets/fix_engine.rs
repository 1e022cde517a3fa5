//! The fix engine: random edits against a random document of a random kind. The engine either
//! refuses (overlap, an edit that does not fit, a result that would not parse) or returns files
//! that parse; it never panics and never returns half an edit.
#![no_main]

use arbitrary::Arbitrary;

#[derive(Debug, Arbitrary)]
struct Input {
    kind: u8,
    doc: String,
    fixes: Vec<Vec<(u16, u16, String)>>,
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    chainward_fuzz::fix_engine(input.kind, &input.doc, &input.fixes);
});

//! Small helpers for locating things in a JSON tree.

use chainward_core::json::Json;

/// The span of the first of `keys` present in the object, or `0..1` (the file's start).
pub fn first_key_span(json: &Json, keys: &[&str]) -> std::ops::Range<usize> {
    keys.iter()
        .find_map(|k| json.member(k).map(|m| m.key_span.clone()))
        .unwrap_or(json.span.start..json.span.start + 1)
}

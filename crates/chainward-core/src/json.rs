//! Strict JSON with the byte span of every key and value, for files chainward reports on or
//! edits (package.json, the lockfile entries a fix touches). Large lockfiles are read with typed
//! serde structs instead; this tree is for precise locations.

use std::ops::Range;

/// Deepest nesting accepted before parsing (a guard against stack exhaustion on hostile input).
pub const MAX_DEPTH: usize = 512;

#[derive(Debug, Clone, PartialEq)]
pub struct Json {
    pub span: Range<usize>,
    pub value: JsonValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    Null,
    Bool(bool),
    /// The number as written.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<Member>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub key: String,
    pub key_span: Range<usize>,
    pub value: Json,
}

/// A JSON syntax error: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub span: Range<usize>,
    pub message: String,
}

impl Json {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.value {
            JsonValue::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match &self.value {
            JsonValue::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            JsonValue::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The member `key` of an object. With duplicate keys the last one wins, as in `JSON.parse`.
    pub fn member(&self, key: &str) -> Option<&Member> {
        self.as_object()?.iter().rev().find(|m| m.key == key)
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.member(key).map(|m| &m.value)
    }

    /// Follow a path of object keys.
    pub fn pointer(&self, keys: &[&str]) -> Option<&Json> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The JSON type name, for messages ("expected an object, found an array").
    pub fn type_name(&self) -> &'static str {
        match self.value {
            JsonValue::Null => "null",
            JsonValue::Bool(_) => "a boolean",
            JsonValue::Number(_) => "a number",
            JsonValue::String(_) => "a string",
            JsonValue::Array(_) => "an array",
            JsonValue::Object(_) => "an object",
        }
    }
}

/// Parse strict JSON (no comments, no trailing commas). A leading UTF-8 BOM is skipped, as npm
/// does; spans stay offsets into the original text.
pub fn parse(text: &str) -> Result<Json, JsonError> {
    parse_with(text, false)
}

/// Parse JSONC as bun writes it (bun.lock): comments and trailing commas allowed.
pub fn parse_jsonc(text: &str) -> Result<Json, JsonError> {
    parse_with(text, true)
}

/// [`parse_jsonc`] of `text[range]` alone (a value inside a larger document, such as one entry
/// of a bun.lock), with spans in `text`.
pub fn parse_jsonc_at(text: &str, range: Range<usize>) -> Result<Json, JsonError> {
    let start = range.start;
    parse_body(&text[range], start, true, text.len())
}

fn parse_with(text: &str, jsonc: bool) -> Result<Json, JsonError> {
    let (body, shift) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, 3),
        None => (text, 0),
    };
    parse_body(body, shift, jsonc, text.len())
}

/// `body`, which starts at `shift` in a text of `len` bytes.
fn parse_body(body: &str, shift: usize, jsonc: bool, len: usize) -> Result<Json, JsonError> {
    check_depth(body).map_err(|mut e| {
        e.span = e.span.start + shift..e.span.end + shift;
        e
    })?;
    let options = jsonc_parser::ParseOptions {
        allow_comments: jsonc,
        allow_loose_object_property_names: false,
        allow_trailing_commas: jsonc,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed = jsonc_parser::parse_to_ast(body, &Default::default(), &options).map_err(|e| {
        let r = e.range();
        JsonError {
            span: r.start + shift..r.end.max(r.start) + shift,
            message: e.kind().to_string(),
        }
    })?;
    let Some(value) = parsed.value else {
        return Err(JsonError {
            span: len..len,
            message: "the file is empty; expected a JSON value".into(),
        });
    };
    Ok(convert(&value, shift))
}

fn check_depth(text: &str) -> Result<(), JsonError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(JsonError {
                        span: i..i + 1,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn range(r: jsonc_parser::common::Range, shift: usize) -> Range<usize> {
    r.start + shift..r.end + shift
}

fn convert(value: &jsonc_parser::ast::Value<'_>, shift: usize) -> Json {
    use jsonc_parser::ast::{ObjectPropName, Value};
    let (span, value) = match value {
        Value::StringLit(s) => (s.range, JsonValue::String(s.value.to_string())),
        Value::NumberLit(n) => (n.range, JsonValue::Number(n.value.to_string())),
        Value::BooleanLit(b) => (b.range, JsonValue::Bool(b.value)),
        Value::NullKeyword(n) => (n.range, JsonValue::Null),
        Value::Array(a) => (
            a.range,
            JsonValue::Array(a.elements.iter().map(|v| convert(v, shift)).collect()),
        ),
        Value::Object(o) => (
            o.range,
            JsonValue::Object(
                o.properties
                    .iter()
                    .map(|p| {
                        let (key, key_span) = match &p.name {
                            ObjectPropName::String(s) => (s.value.to_string(), s.range),
                            ObjectPropName::Word(w) => (w.value.to_string(), w.range),
                        };
                        Member {
                            key,
                            key_span: range(key_span, shift),
                            value: convert(&p.value, shift),
                        }
                    })
                    .collect(),
            ),
        ),
    };
    Json {
        span: range(span, shift),
        value,
    }
}

/// Encode `s` as a JSON string literal, quotes included, escaping as `JSON.stringify` does.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_the_literal_including_quotes() {
        let text = "{\n  \"dependencies\": {\"ms\": \"^2.1.0\"}\n}";
        let json = parse(text).expect("valid");
        let ms = json.pointer(&["dependencies", "ms"]).expect("present");
        assert_eq!(&text[ms.span.clone()], "\"^2.1.0\"");
        assert_eq!(ms.as_str(), Some("^2.1.0"));
    }

    #[test]
    fn bom_is_skipped_and_spans_stay_in_the_original_text() {
        let text = "\u{feff}{\"a\": \"b\"}";
        let json = parse(text).expect("valid");
        assert_eq!(&text[json.get("a").expect("a").span.clone()], "\"b\"");
    }

    #[test]
    fn rejects_what_json_parse_rejects() {
        for bad in [
            "{\"a\": 1,}",
            "// c\n{}",
            "{a: 1}",
            "",
            "{\"a\": 1} x",
            "{\"a\"",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} must be rejected");
        }
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert!(
            parse(&deep)
                .expect_err("too deep")
                .message
                .contains("nesting")
        );
    }
}

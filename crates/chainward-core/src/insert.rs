//! Text-preserving insertions into JSON and YAML documents: a member or an array item is added
//! where a person would add it, in the document's own indentation and line endings, and every
//! other byte stays as it was. Used by commands that write to users' files (`allow-script`).

use std::ops::Range;

use crate::json::{self, Json, JsonValue};
use crate::yaml::{self, YamlValue};

/// Line ending of `text`: CRLF if it has any, else LF.
fn newline(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// The whitespace at the start of the line that holds byte `at`.
fn line_indent(text: &str, at: usize) -> &str {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let rest = &text[start..];
    &rest[..rest.len() - rest.trim_start_matches([' ', '\t']).len()]
}

fn same_line(text: &str, a: usize, b: usize) -> bool {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    !text[lo..hi].contains('\n')
}

/// The document's indentation unit: the indentation of the first member of the root object
/// (two spaces when it cannot be told).
fn indent_unit(text: &str, root: &Json) -> String {
    root.as_object()
        .and_then(|m| m.first())
        .filter(|m| !same_line(text, root.span.start, m.key_span.start))
        .map(|m| line_indent(text, m.key_span.start).to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "  ".to_string())
}

fn parse_json(text: &str) -> Result<Json, String> {
    json::parse(text).map_err(|e| format!("not valid JSON: {}", e.message))
}

/// The innermost value [`json_set`] writes.
#[derive(Clone, Copy)]
enum Leaf<'a> {
    /// JSON text, as given.
    Raw(&'a str),
    /// A one-item array, laid out on lines of its own as npm writes arrays.
    Array(&'a str),
}

impl Leaf<'_> {
    fn render(self, indent: &str, unit: &str, nl: &str) -> String {
        match self {
            Leaf::Raw(raw) => raw.to_string(),
            Leaf::Array(item) => format!("[{nl}{indent}{unit}{item}{nl}{indent}]"),
        }
    }
}

/// A new value for `keys` (nested objects, innermost `leaf`), laid out at `indent`.
fn nested(keys: &[&str], leaf: Leaf<'_>, indent: &str, unit: &str, nl: &str) -> String {
    match keys.split_first() {
        None => leaf.render(indent, unit, nl),
        Some((key, rest)) => {
            let inner = format!("{indent}{unit}");
            format!(
                "{{{nl}{inner}{}: {}{nl}{indent}}}",
                json::quote(key),
                nested(rest, leaf, &inner, unit, nl)
            )
        }
    }
}

/// Where and what to insert to add `"key": value` (value already laid out for the member's
/// indentation by `value`) to `obj`.
fn add_member(
    text: &str,
    obj: &Json,
    key: &str,
    value: impl Fn(&str) -> String,
    unit: &str,
    nl: &str,
) -> (Range<usize>, String) {
    let members = obj.as_object().unwrap_or_default();
    let obj_indent = line_indent(text, obj.span.start);
    match members.last() {
        Some(last) => {
            let first = &members[0];
            if same_line(text, obj.span.start, first.key_span.start) {
                let at = last.value.span.end;
                (at..at, format!(", {}: {}", json::quote(key), value("")))
            } else {
                let indent = line_indent(text, first.key_span.start);
                let at = last.value.span.end;
                (
                    at..at,
                    format!(",{nl}{indent}{}: {}", json::quote(key), value(indent)),
                )
            }
        }
        None => {
            let indent = format!("{obj_indent}{unit}");
            (
                obj.span.start + 1..obj.span.end - 1,
                format!(
                    "{nl}{indent}{}: {}{nl}{obj_indent}",
                    json::quote(key),
                    value(&indent)
                ),
            )
        }
    }
}

fn splice(text: &str, range: Range<usize>, with: &str) -> String {
    let mut out = String::with_capacity(text.len() + with.len());
    out.push_str(&text[..range.start]);
    out.push_str(with);
    out.push_str(&text[range.end..]);
    out
}

/// Set the value at the object path `keys` to `raw` (JSON text), creating missing objects on
/// the way. `Ok(None)` when the value is already exactly `raw`. Fails when something on the
/// path is not an object.
pub fn json_set(text: &str, keys: &[&str], raw: &str) -> Result<Option<String>, String> {
    set_leaf(text, keys, Leaf::Raw(raw))
}

fn set_leaf(text: &str, keys: &[&str], leaf: Leaf<'_>) -> Result<Option<String>, String> {
    let root = parse_json(text)?;
    let nl = newline(text);
    let unit = indent_unit(text, &root);
    let mut node = &root;
    for (i, key) in keys.iter().enumerate() {
        if node.as_object().is_none() {
            return Err(format!(
                "`{}` is {}, not an object",
                keys[..i].join("."),
                node.type_name()
            ));
        }
        match node.get(key) {
            Some(child) => node = child,
            None => {
                let rest = &keys[i + 1..];
                let (range, with) = add_member(
                    text,
                    node,
                    key,
                    |indent| nested(rest, leaf, indent, &unit, nl),
                    &unit,
                    nl,
                );
                return Ok(Some(splice(text, range, &with)));
            }
        }
    }
    let indent = line_indent(text, node.span.start);
    let raw = leaf.render(indent, &unit, nl);
    if text[node.span.clone()] == *raw {
        return Ok(None);
    }
    Ok(Some(splice(text, node.span.clone(), &raw)))
}

/// Append the string `item` to the array at the object path `keys` (created when missing),
/// unless it is already there (`Ok(None)`).
pub fn json_push(text: &str, keys: &[&str], item: &str) -> Result<Option<String>, String> {
    let root = parse_json(text)?;
    if root.pointer(keys).is_none() {
        return set_leaf(text, keys, Leaf::Array(&json::quote(item)));
    }
    Ok(json_push_edit(text, &root, keys, item)?.map(|(range, with)| splice(text, range, &with)))
}

/// The edit that appends the string `item` to the existing array at `keys` of `root` (parsed
/// from `text`): the range to replace and its replacement, for fixes that carry edits rather
/// than whole texts. `Ok(None)` when the item is already there or the array is missing.
pub fn json_push_edit(
    text: &str,
    root: &Json,
    keys: &[&str],
    item: &str,
) -> Result<Option<(Range<usize>, String)>, String> {
    let raw = json::quote(item);
    let Some(node) = root.pointer(keys) else {
        return Ok(None);
    };
    let JsonValue::Array(items) = &node.value else {
        return Err(format!(
            "`{}` is {}, not an array",
            keys.join("."),
            node.type_name()
        ));
    };
    if items.iter().any(|i| i.as_str() == Some(item)) {
        return Ok(None);
    }
    let nl = newline(text);
    let (range, with) = match (items.first(), items.last()) {
        (Some(first), Some(last)) if same_line(text, node.span.start, first.span.start) => {
            (last.span.end..last.span.end, format!(", {raw}"))
        }
        (Some(first), Some(last)) => {
            let indent = line_indent(text, first.span.start);
            (last.span.end..last.span.end, format!(",{nl}{indent}{raw}"))
        }
        _ => {
            let indent = line_indent(text, node.span.start);
            let unit = indent_unit(text, root);
            (
                node.span.start + 1..node.span.end - 1,
                format!("{nl}{indent}{unit}{raw}{nl}{indent}"),
            )
        }
    };
    Ok(Some((range, with)))
}

/// A YAML scalar for a package name: plain when that is unambiguous, else single-quoted
/// (`'@scope/name'`: `@` cannot start a plain scalar).
pub fn yaml_scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        && !matches!(
            s,
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "True" | "False"
        );
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// Append `item` to the top-level sequence `key` of a YAML document (block or flow style; the
/// key is added at the end when missing), unless an equal item is already there (`Ok(None)`).
/// Comments, other keys and line endings stay as they were.
pub fn yaml_push(text: &str, key: &str, item: &str) -> Result<Option<String>, String> {
    let doc = yaml::parse(text).map_err(|e| format!("not valid YAML: {}", e.message))?;
    let nl = newline(text);
    let scalar = yaml_scalar(item);
    let entry = match &doc.value {
        YamlValue::Map(entries) => entries.iter().find(|(k, _)| k.as_str() == Some(key)),
        YamlValue::Null => None,
        _ => return Err("the document is not a mapping".into()),
    };
    let Some((k, value)) = entry else {
        let sep = if text.is_empty() || text.ends_with('\n') {
            ""
        } else {
            nl
        };
        return Ok(Some(format!("{text}{sep}{key}:{nl}  - {scalar}{nl}")));
    };
    // The first significant byte after `key:` tells flow (`[`) from block style.
    let after_colon = text[k.span.end..]
        .find(':')
        .map_or(k.span.end, |i| k.span.end + i + 1);
    let flow = text[after_colon..]
        .trim_start_matches([' ', '\t'])
        .starts_with('[');
    match &value.value {
        YamlValue::Seq(items) if items.iter().any(|i| i.as_str() == Some(item)) => Ok(None),
        YamlValue::Seq(items) if flow => {
            let close = text[after_colon..]
                .find(']')
                .map(|i| after_colon + i)
                .ok_or("unterminated flow sequence")?;
            let with = if items.is_empty() {
                scalar
            } else {
                format!(", {scalar}")
            };
            let at = items.last().map_or(close, |l| l.span.end);
            Ok(Some(splice(text, at..at, &with)))
        }
        YamlValue::Seq(items) if !items.is_empty() => {
            let last = items.last().map_or(0, |l| l.span.start);
            let line_start = text[..last].rfind('\n').map_or(0, |i| i + 1);
            let prefix = &text[line_start..last];
            let line_end = text[last..].find('\n').map_or(text.len(), |i| last + i);
            let line_end = if text[..line_end].ends_with('\r') {
                line_end - 1
            } else {
                line_end
            };
            Ok(Some(splice(
                text,
                line_end..line_end,
                &format!("{nl}{prefix}{scalar}"),
            )))
        }
        YamlValue::Null => {
            // `key:` with nothing after it: the items go on the following lines.
            let line_end = text[after_colon..]
                .find('\n')
                .map_or(text.len(), |i| after_colon + i);
            let line_end = if text[..line_end].ends_with('\r') {
                line_end - 1
            } else {
                line_end
            };
            let indent = line_indent(text, k.span.start);
            Ok(Some(splice(
                text,
                line_end..line_end,
                &format!("{nl}{indent}  - {scalar}"),
            )))
        }
        _ => Err(format!("`{key}` is not a list")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str, keys: &[&str], raw: &str) -> String {
        json_set(text, keys, raw).expect("edits").expect("changes")
    }

    #[test]
    fn json_member_added_in_the_documents_style() {
        let text = "{\n    \"name\": \"x\",\n    \"version\": \"1.0.0\"\n}\n";
        assert_eq!(
            set(text, &["allowScripts", "esbuild@0.21.5"], "true"),
            "{\n    \"name\": \"x\",\n    \"version\": \"1.0.0\",\n    \"allowScripts\": {\n        \"esbuild@0.21.5\": true\n    }\n}\n"
        );
        let crlf = "{\r\n  \"pnpm\": {\r\n    \"a\": 1\r\n  }\r\n}";
        assert_eq!(
            set(crlf, &["pnpm", "b"], "2"),
            "{\r\n  \"pnpm\": {\r\n    \"a\": 1,\r\n    \"b\": 2\r\n  }\r\n}"
        );
        assert_eq!(
            set("{\"a\": {}}", &["a", "b"], "true"),
            "{\"a\": {\n  \"b\": true\n}}"
        );
        assert_eq!(set("{\"a\": 1}", &["b"], "true"), "{\"a\": 1, \"b\": true}");
        assert_eq!(set("{\"a\": false}", &["a"], "true"), "{\"a\": true}");
        assert_eq!(json_set("{\"a\": true}", &["a"], "true"), Ok(None));
        assert!(json_set("{\"a\": []}", &["a", "b"], "true").is_err());
        assert!(json_set("{", &["a"], "true").is_err());
    }

    #[test]
    fn json_item_appended_once() {
        let text = "{\n  \"trustedDependencies\": [\n    \"a\"\n  ]\n}\n";
        let out = json_push(text, &["trustedDependencies"], "@s/b")
            .expect("edits")
            .expect("changes");
        assert_eq!(
            out,
            "{\n  \"trustedDependencies\": [\n    \"a\",\n    \"@s/b\"\n  ]\n}\n"
        );
        assert_eq!(json_push(&out, &["trustedDependencies"], "a"), Ok(None));
        assert_eq!(
            json_push("{\n  \"t\": []\n}", &["t"], "a"),
            Ok(Some("{\n  \"t\": [\n    \"a\"\n  ]\n}".into()))
        );
        assert_eq!(
            json_push("{}", &["p", "t"], "a"),
            Ok(Some(
                "{\n  \"p\": {\n    \"t\": [\n      \"a\"\n    ]\n  }\n}".into()
            ))
        );
    }

    #[test]
    fn yaml_item_appended_in_block_and_flow_style() {
        let text = "packages:\n  - pkgs/*\nonlyBuiltDependencies:\n  - esbuild # fast\n\ncatalog:\n  a: 1\n";
        assert_eq!(
            yaml_push(text, "onlyBuiltDependencies", "@s/b"),
            Ok(Some(
                "packages:\n  - pkgs/*\nonlyBuiltDependencies:\n  - esbuild # fast\n  - '@s/b'\n\ncatalog:\n  a: 1\n"
                    .into()
            ))
        );
        assert_eq!(
            yaml_push(text, "onlyBuiltDependencies", "esbuild"),
            Ok(None)
        );
        assert_eq!(
            yaml_push(
                "a: 1\r\nonlyBuiltDependencies: [x]\r\n",
                "onlyBuiltDependencies",
                "y"
            ),
            Ok(Some("a: 1\r\nonlyBuiltDependencies: [x, y]\r\n".into()))
        );
        assert_eq!(
            yaml_push("onlyBuiltDependencies: []\n", "onlyBuiltDependencies", "y"),
            Ok(Some("onlyBuiltDependencies: [y]\n".into()))
        );
        assert_eq!(
            yaml_push("a: 1", "onlyBuiltDependencies", "y"),
            Ok(Some("a: 1\nonlyBuiltDependencies:\n  - y\n".into()))
        );
        assert_eq!(
            yaml_push(
                "onlyBuiltDependencies:\nb: 2\n",
                "onlyBuiltDependencies",
                "y"
            ),
            Ok(Some("onlyBuiltDependencies:\n  - y\nb: 2\n".into()))
        );
        assert!(yaml_push("onlyBuiltDependencies: 3\n", "onlyBuiltDependencies", "y").is_err());
        assert!(yaml_push("- a\n", "onlyBuiltDependencies", "y").is_err());
    }
}

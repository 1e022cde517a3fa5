//! YAML (workflows, action.yml) as an owned tree with byte spans.
//!
//! saphyr reports character offsets and 0-based columns; they are converted to byte offsets
//! here, once, so that every other module works in bytes like the rest of chainward.

use std::ops::Range;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::span::CharToByte;

/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub struct Yaml {
    pub span: Range<usize>,
    pub value: YamlValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum YamlValue {
    Null,
    /// Any non-null scalar, as its string value (`true`, `42` and `"x"` alike).
    Scalar(String),
    Seq(Vec<Yaml>),
    Map(Vec<(Yaml, Yaml)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub span: Range<usize>,
    pub message: String,
}

impl Yaml {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            YamlValue::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Yaml, Yaml)]> {
        match &self.value {
            YamlValue::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Yaml]> {
        match &self.value {
            YamlValue::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value under a string key of a mapping.
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// Entries of a mapping whose keys are strings.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Yaml)> {
        self.as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
    }
}

/// Parse the first document of `text` (an empty file is `Null`).
pub fn parse(text: &str) -> Result<Yaml, YamlError> {
    let map = CharToByte::new(text);
    let docs = MarkedYaml::load_from_str(text).map_err(|e| {
        let at = map.byte(e.marker().index());
        YamlError {
            span: at..at,
            message: e.info().to_string(),
        }
    })?;
    match docs.first() {
        Some(doc) => convert(doc, &map, 0),
        None => Ok(Yaml {
            span: 0..0,
            value: YamlValue::Null,
        }),
    }
}

fn convert(node: &MarkedYaml<'_>, map: &CharToByte<'_>, depth: usize) -> Result<Yaml, YamlError> {
    let start = map.byte(node.span.start.index());
    let end = map.byte(node.span.end.index()).max(start);
    if depth > MAX_DEPTH {
        return Err(YamlError {
            span: start..start,
            message: format!("nesting deeper than {MAX_DEPTH} levels"),
        });
    }
    let value = match &node.data {
        YamlData::Value(Scalar::Null) | YamlData::BadValue | YamlData::Alias(_) => YamlValue::Null,
        YamlData::Value(Scalar::String(s)) => YamlValue::Scalar(s.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => YamlValue::Scalar(b.to_string()),
        YamlData::Value(Scalar::Integer(i)) => YamlValue::Scalar(i.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => YamlValue::Scalar(f.to_string()),
        YamlData::Representation(s, _, _) => YamlValue::Scalar(s.to_string()),
        YamlData::Tagged(_, inner) => return convert(inner, map, depth + 1),
        YamlData::Sequence(items) => YamlValue::Seq(
            items
                .iter()
                .map(|i| convert(i, map, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(entries) => YamlValue::Map(
            entries
                .iter()
                .map(|(k, v)| Ok((convert(k, map, depth + 1)?, convert(v, map, depth + 1)?)))
                .collect::<Result<_, YamlError>>()?,
        ),
    };
    Ok(Yaml {
        span: start..end,
        value,
    })
}

/// The cached YAML tree of `file`; `None` if it does not parse (the error is on the file).
pub fn parsed(file: &crate::project::SourceFile) -> Option<&Yaml> {
    file.parsed(|f, text| parse(text).map_err(|e| f.parse_error(e.span, e.message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_spans_are_bytes() {
        let text = "name: é\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n";
        let yaml = parse(text).expect("valid");
        let uses = yaml
            .get("jobs")
            .and_then(|j| j.get("a"))
            .and_then(|a| a.get("steps"))
            .and_then(Yaml::as_seq)
            .and_then(|s| s[0].get("uses"))
            .expect("uses");
        assert_eq!(&text[uses.span.clone()], "actions/checkout@v4");
    }

    #[test]
    fn syntax_error_has_a_position() {
        let err = parse("a: [1, 2\nb: c\n").expect_err("unclosed");
        assert!(!err.message.is_empty());
    }

    #[test]
    fn alias_bombs_are_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        // Either a clear error or a bounded result; never an exhausted machine.
        let _ = parse(&text);
    }
}

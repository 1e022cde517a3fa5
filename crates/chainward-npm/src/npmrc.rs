//! `.npmrc`: `key=value` lines (`;` and `#` comments), as npm's ini reader takes them.

use chainward_core::{ParseError, SourceFile};

/// One setting with the span of its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub key_span: std::ops::Range<usize>,
    pub value_span: std::ops::Range<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Npmrc {
    pub settings: Vec<Setting>,
}

impl Npmrc {
    pub fn parse(text: &str) -> Npmrc {
        let mut settings = Vec::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let content = line.trim_end_matches(['\n', '\r']);
            let trimmed = content.trim_start();
            let lead = content.len() - trimmed.len();
            if !(trimmed.is_empty()
                || trimmed.starts_with(';')
                || trimmed.starts_with('#')
                || trimmed.starts_with('['))
                && let Some((k, v)) = trimmed.split_once('=')
            {
                let key = k.trim();
                let value = v.trim();
                let key_start = offset + lead + (k.len() - k.trim_start().len());
                let value_start = offset + lead + k.len() + 1 + (v.len() - v.trim_start().len());
                settings.push(Setting {
                    key: key.to_string(),
                    value: value.trim_matches('"').to_string(),
                    key_span: key_start..key_start + key.len(),
                    value_span: value_start..value_start + value.len(),
                });
            }
            offset += line.len();
        }
        Npmrc { settings }
    }

    /// The last value of `key` (later lines win, as in npm).
    pub fn get(&self, key: &str) -> Option<&Setting> {
        self.settings.iter().rev().find(|s| s.key == key)
    }

    /// A boolean setting (`true`/`false`), if set to one.
    pub fn flag(&self, key: &str) -> Option<bool> {
        match self.get(key)?.value.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

/// The cached parse of an `.npmrc` (never fails: npm ignores lines it cannot read).
pub fn npmrc(file: &SourceFile) -> Option<&Npmrc> {
    file.parsed(|_, text| Ok::<_, ParseError>(Npmrc::parse(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_settings_with_spans() {
        let text = "; comment\nlegacy-peer-deps = true\r\nregistry=\"https://r.example/\"\nlegacy-peer-deps=false\n";
        let rc = Npmrc::parse(text);
        assert_eq!(rc.flag("legacy-peer-deps"), Some(false));
        let reg = rc.get("registry").expect("registry");
        assert_eq!(reg.value, "https://r.example/");
        assert_eq!(&text[reg.value_span.clone()], "\"https://r.example/\"");
        assert_eq!(&text[rc.settings[0].key_span.clone()], "legacy-peer-deps");
    }
}

//! TOML files of the scanned tree (bunfig.toml), parsed once with toml_edit, spans kept: a
//! finding points at a value and a fix replaces exactly its bytes.

/// A parsed TOML document that keeps each item's span in the text.
pub type Document = toml_edit::Document<String>;

/// The cached TOML tree of `file`; `None` if it does not parse (the error is on the file).
pub fn parsed(file: &crate::project::SourceFile) -> Option<&Document> {
    file.parsed(|f, text| {
        toml_edit::Document::parse(text.to_string())
            .map_err(|e| f.parse_error(e.span().unwrap_or(0..0), e.message().trim().to_string()))
    })
}

/// `text` parsed (a fix's result, checked before it is offered).
pub fn parse(text: &str) -> Option<Document> {
    toml_edit::Document::parse(text.to_string()).ok()
}

/// The item at `path` (table names, then the key): `["install", "minimumReleaseAge"]` finds
/// both `[install]\nminimumReleaseAge = 1` and the dotted `install.minimumReleaseAge = 1`.
pub fn get<'a>(doc: &'a Document, path: &[&str]) -> Option<&'a toml_edit::Item> {
    let mut item = doc.as_item();
    for key in path {
        item = item.as_table_like()?.get(key)?;
    }
    Some(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_with_their_spans_in_either_spelling() {
        for text in [
            "[install]\nminimumReleaseAge = 259200 # 3 days\n",
            "install.minimumReleaseAge = 259200\n",
            "[install]\nfrozenLockfile = true\n\n[run]\nbun = true\n[install.scopes]\n",
        ] {
            let doc = toml_edit::Document::parse(text.to_string()).expect("valid");
            match get(&doc, &["install", "minimumReleaseAge"]) {
                Some(item) => {
                    let span = item.span().expect("span");
                    assert_eq!(&text[span], "259200", "{text}");
                }
                None => assert!(!text.contains("minimumReleaseAge"), "{text}"),
            }
        }
    }
}

//! pip requirements files (`requirements*.txt`, `*.in`): requirement lines with their
//! `--hash` options, `-r`/`-c` includes, index options and `--require-hashes`, read as pip
//! reads them (comments, `\` continuations, options on a requirement's line).

use std::ops::Range;

use chainward_core::{ParseError, SourceFile};

use crate::pep508::{self, Requirement};

/// A parsed requirements file.
#[derive(Debug, Default)]
pub struct RequirementsFile {
    pub entries: Vec<Entry>,
    /// `-r FILE` (requirements) and `-c FILE` (constraints), in file order.
    pub includes: Vec<Include>,
    /// `-i`/`--index-url` and `--extra-index-url`, with spans.
    pub index_urls: Vec<(String, Range<usize>)>,
    /// `--find-links`/`-f` locations.
    pub find_links: Vec<(String, Range<usize>)>,
    /// `--require-hashes` appears.
    pub require_hashes: bool,
    /// `--no-index` appears.
    pub no_index: bool,
}

/// One requirement line.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The requirement as written (without its options).
    pub text: String,
    /// The requirement, when the text is a PEP 508 requirement (not a bare path or URL).
    pub req: Option<Requirement>,
    /// `--hash=ALGO:HEX` values.
    pub hashes: Vec<String>,
    /// `-e`/`--editable`.
    pub editable: bool,
    /// The span of the requirement's text in the file.
    pub span: Range<usize>,
}

impl Entry {
    /// A bare path, a URL or an editable install: installed from where it points, not from
    /// an index (pip cannot hash-check an editable or a directory).
    pub fn is_direct(&self) -> bool {
        self.editable || self.req.is_none()
    }
}

/// `-r FILE` or `-c FILE`.
#[derive(Debug, Clone)]
pub struct Include {
    pub constraint: bool,
    pub path: String,
    pub span: Range<usize>,
}

/// The cached model of a requirements file.
pub fn requirements_file(file: &SourceFile) -> Option<&RequirementsFile> {
    file.parsed(|_, text| Ok::<_, ParseError>(RequirementsFile::parse(text)))
}

/// Logical lines: `\`-continued physical lines joined, comments removed, each piece of text
/// with its offset in the file.
fn logical_lines(text: &str) -> Vec<Vec<(usize, &str)>> {
    let mut out = Vec::new();
    let mut current: Vec<(usize, &str)> = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        // A comment starts at `#` at the line's start or after whitespace.
        let mut code = line;
        let b = line.as_bytes();
        for (i, c) in b.iter().enumerate() {
            if *c == b'#' && (i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\t') {
                code = &line[..i];
                break;
            }
        }
        let (code, continued) = match code.strip_suffix('\\') {
            Some(c) if code.len() == line.len() => (c, true),
            _ => (code, false),
        };
        current.push((start, code));
        if !continued {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Split a logical line into whitespace-separated words with their offsets.
fn words<'a>(pieces: &[(usize, &'a str)]) -> Vec<(usize, &'a str)> {
    let mut out = Vec::new();
    for (start, text) in pieces {
        let mut i = 0;
        for w in text.split([' ', '\t']) {
            if !w.is_empty() {
                out.push((start + i, w));
            }
            i += w.len() + 1;
        }
    }
    out
}

impl RequirementsFile {
    pub fn parse(text: &str) -> RequirementsFile {
        let mut out = RequirementsFile::default();
        for pieces in logical_lines(text) {
            let words = words(&pieces);
            let Some(&(first_at, first)) = words.first() else {
                continue;
            };
            // An option's value: `--opt=value` or `--opt value`.
            let value_of = |i: usize, name_len: usize| -> Option<(usize, &str)> {
                let (at, w) = words[i];
                if w.len() > name_len && w.as_bytes()[name_len] == b'=' {
                    Some((at + name_len + 1, &w[name_len + 1..]))
                } else if w.len() > name_len && w.starts_with("-") && !w.starts_with("--") {
                    // `-rfile`.
                    Some((at + name_len, &w[name_len..]))
                } else {
                    words.get(i + 1).copied()
                }
            };
            if first.starts_with('-') {
                let (name, _) = first.split_once('=').unwrap_or((first, ""));
                let short = |s: &str| first.starts_with(s) && !first.starts_with("--");
                if name == "--requirement" || short("-r") || name == "--constraint" || short("-c") {
                    let constraint = name == "--constraint" || short("-c");
                    let len = if name.starts_with("--") {
                        name.len()
                    } else {
                        2
                    };
                    if let Some((at, path)) = value_of(0, len) {
                        out.includes.push(Include {
                            constraint,
                            path: path.to_string(),
                            span: at..at + path.len(),
                        });
                    }
                } else if name == "--index-url"
                    || name == "--extra-index-url"
                    || short("-i")
                    || name == "--find-links"
                    || short("-f")
                {
                    let len = if name.starts_with("--") {
                        name.len()
                    } else {
                        2
                    };
                    if let Some((at, url)) = value_of(0, len) {
                        let v = (url.to_string(), at..at + url.len());
                        if name == "--find-links" || short("-f") {
                            out.find_links.push(v);
                        } else {
                            out.index_urls.push(v);
                        }
                    }
                } else if name == "--require-hashes" {
                    out.require_hashes = true;
                } else if name == "--no-index" {
                    out.no_index = true;
                } else if name == "--editable" || short("-e") {
                    let len = if name.starts_with("--") {
                        name.len()
                    } else {
                        2
                    };
                    if let Some((at, target)) = value_of(0, len) {
                        out.entries.push(Entry {
                            text: target.to_string(),
                            req: None,
                            hashes: Vec::new(),
                            editable: true,
                            span: at..at + target.len(),
                        });
                    }
                }
                continue;
            }
            // A requirement: the words up to the first option, then its options.
            let opt_at = words
                .iter()
                .position(|(_, w)| w.starts_with("--"))
                .unwrap_or(words.len());
            let (last_at, last) = words[opt_at - 1];
            let span = first_at..last_at + last.len();
            let req_text = &text[span.clone()];
            let mut hashes = Vec::new();
            let mut i = opt_at;
            while i < words.len() {
                let (_, w) = words[i];
                if let Some(h) = w.strip_prefix("--hash=") {
                    hashes.push(h.to_string());
                } else if w == "--hash"
                    && let Some((_, h)) = words.get(i + 1)
                {
                    hashes.push(h.to_string());
                    i += 1;
                }
                i += 1;
            }
            // A requirement line split by a continuation keeps the newline inside its span;
            // the requirement itself is read from the words.
            let joined: String = words[..opt_at]
                .iter()
                .map(|(_, w)| *w)
                .collect::<Vec<_>>()
                .join(" ");
            out.entries.push(Entry {
                text: if req_text.contains('\n') {
                    joined.clone()
                } else {
                    req_text.to_string()
                },
                req: pep508::parse(&joined).ok(),
                hashes,
                editable: false,
                span,
            });
        }
        out
    }

    /// Every requirement line has at least one `--hash` (pip's `--require-hashes` mode would
    /// accept the file as far as hashes go; editables and directories never pass it).
    pub fn fully_hashed(&self) -> bool {
        !self.entries.is_empty() && self.entries.iter().all(|e| !e.hashes.is_empty())
    }

    /// Some requirement line has a `--hash`: pip turns on hash-checking mode for the whole
    /// install.
    pub fn any_hashed(&self) -> bool {
        self.entries.iter().any(|e| !e.hashes.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_requirements_hashes_includes_and_options() {
        let text = "# generated by uv\n--index-url https://pypi.org/simple\n-r base.txt\n-c constraints.txt\n\
anyio==4.6.0 \\\n    --hash=sha256:aaa \\\n    --hash sha256:bbb\n    # via httpx\n\
httpx>=0.27 ; python_version >= \"3.11\"  # comment\n-e ./local\n./wheels/x.whl\n--require-hashes\n";
        let f = RequirementsFile::parse(text);
        assert_eq!(f.includes.len(), 2);
        assert_eq!(f.includes[0].path, "base.txt");
        assert!(!f.includes[0].constraint);
        assert!(f.includes[1].constraint);
        assert_eq!(&text[f.includes[1].span.clone()], "constraints.txt");
        assert_eq!(f.index_urls[0].0, "https://pypi.org/simple");
        assert!(f.require_hashes);
        assert_eq!(f.entries.len(), 4);
        assert_eq!(f.entries[0].text, "anyio==4.6.0");
        assert_eq!(&text[f.entries[0].span.clone()], "anyio==4.6.0");
        assert_eq!(f.entries[0].hashes, ["sha256:aaa", "sha256:bbb"]);
        assert_eq!(
            f.entries[0].req.as_ref().and_then(|r| r.pinned_version()),
            Some("4.6.0")
        );
        assert_eq!(
            f.entries[1].text,
            "httpx>=0.27 ; python_version >= \"3.11\""
        );
        assert!(f.entries[1].hashes.is_empty());
        assert!(f.entries[2].editable && f.entries[2].is_direct());
        assert!(f.entries[3].req.is_none());
        assert!(!f.fully_hashed());
        assert!(f.any_hashed());
    }

    #[test]
    fn short_options_glued_to_their_value() {
        let f = RequirementsFile::parse(
            "-rbase.txt\n-i https://example.org/simple\nx==1 --hash=sha256:1\n",
        );
        assert_eq!(f.includes[0].path, "base.txt");
        assert_eq!(f.index_urls[0].0, "https://example.org/simple");
        assert!(f.fully_hashed());
    }
}

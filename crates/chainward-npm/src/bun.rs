//! bun.lock (bun ≥ 1.2's text lockfile: JSONC with trailing commas) into the common
//! [`Lockfile`] model. `bun.lockb` is binary and never read.
//!
//! `workspaces` maps each folder to its declared specs; `packages` maps an install path
//! (`debug`, `debug/ms` for a nested copy) to a tuple: `[ident, registry, meta, integrity]`
//! for registry packages, `[ident, meta, …]` for git, tarball and local ones,
//! `[ident]` for workspace members.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use chainward_core::json::{self, Json, JsonValue, Member};
use chainward_core::{ParseError, SourceFile};

use crate::lockfile::{Importer, ImporterDep, LockFormat, Lockfile, Package, Texts, split_name};
use crate::manifest::Section;
use crate::npm_split::{key, skip_string, skip_value, skip_ws};

fn err(file: &SourceFile, node: &Json, m: impl Into<String>) -> ParseError {
    file.parse_error(node.span.start..node.span.start, m)
}

pub fn parse(file: &SourceFile, text: &str) -> Result<Lockfile, ParseError> {
    match streamed(file, text) {
        Some(lock) => Ok(lock),
        None => parse_tree(file, text),
    }
}

/// The whole document read as one tree: every error, as the JSONC parser reports it.
fn parse_tree(file: &SourceFile, text: &str) -> Result<Lockfile, ParseError> {
    let doc = json::parse_jsonc(text).map_err(|e| file.parse_error(e.span, e.message))?;
    let (version, importers) = header(file, &doc)?;
    let mut packages = Vec::new();
    let mut texts = Texts::new(text);
    if let Some(node) = doc.get("packages") {
        let entries = node
            .as_object()
            .ok_or_else(|| err(file, node, "`packages` must be an object"))?;
        packages.reserve(entries.len());
        for entry in entries {
            packages.push(read_package(
                file,
                &mut texts,
                &entry.key,
                &entry.key_span,
                &entry.value,
            )?);
        }
    }
    Ok(texts.lockfile(LockFormat::Bun(version), importers, packages, file))
}

/// The lockfile read entry by entry, never as one tree (the tree of a bun.lock and the JSONC
/// parser's own were four and a half times the file): the document is split into its members
/// and `packages` into its entries by a structural scan (strings and brackets; bun writes no
/// comments, and one makes the scan give up), then each value is parsed on its own. `None`
/// where the scan gives up or anything is wrong: the whole tree is read then, and gives the
/// errors.
fn streamed(file: &SourceFile, text: &str) -> Option<Lockfile> {
    let b = text.as_bytes();
    let start = skip_ws(b, if text.starts_with('\u{feff}') { 3 } else { 0 });
    let (top, end) = object_members(text, start)?;
    if skip_ws(b, end) != b.len() {
        return None;
    }
    let mut members = Vec::with_capacity(top.len());
    let mut packages = None;
    for (key, key_span, value) in top {
        if members.iter().any(|m: &Member| m.key == key) {
            return None; // the tree keeps both; which one is read is its to say
        }
        let value = if key == "packages" {
            packages = Some(value.clone());
            Json {
                span: value,
                value: JsonValue::Object(Vec::new()),
            }
        } else {
            json::parse_jsonc_at(text, value).ok()?
        };
        members.push(Member {
            key: key.into_owned(),
            key_span,
            value,
        });
    }
    let doc = Json {
        span: start..end,
        value: JsonValue::Object(members),
    };
    let (version, importers) = header(file, &doc).ok()?;
    let mut texts = Texts::new(text);
    let mut list = Vec::new();
    if let Some(range) = packages {
        let (entries, _) = object_members(text, range.start)?;
        list.reserve(entries.len());
        for (key, key_span, value) in entries {
            let value = json::parse_jsonc_at(text, value).ok()?;
            list.push(read_package(file, &mut texts, &key, &key_span, &value).ok()?);
        }
    }
    Some(texts.lockfile(LockFormat::Bun(version), importers, list, file))
}

/// The members of the object that opens at `at`: each key decoded, where it is, and its value's
/// byte range (not checked beyond its extent: the value's parse does), and where the object
/// ends. A trailing comma is taken, as bun writes it; a comment, nesting deeper than
/// [`json::MAX_DEPTH`] allows here, or anything else unexpected gives `None`.
#[allow(clippy::type_complexity)]
fn object_members(
    text: &str,
    at: usize,
) -> Option<(Vec<(Cow<'_, str>, Range<usize>, Range<usize>)>, usize)> {
    let b = text.as_bytes();
    if b.get(at) != Some(&b'{') {
        return None;
    }
    let mut out = Vec::new();
    let mut i = skip_ws(b, at + 1);
    loop {
        match b.get(i)? {
            b'}' => return Some((out, i + 1)),
            b'"' => {}
            _ => return None,
        }
        let key_end = skip_string(b, i)?;
        let key = key(&text[i..key_end])?;
        let key_span = i..key_end;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        // A comment (a `/`) makes the scan give up; nesting is held below what the whole
        // document's parse refuses, two levels up.
        let value_end = skip_value(b, i, json::MAX_DEPTH - 2)?;
        out.push((key, key_span, i..value_end));
        i = skip_ws(b, value_end);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b'}' => return Some((out, i + 1)),
            _ => return None,
        }
    }
}

/// The lockfile version and the workspaces of a bun.lock's document (its `packages` is read
/// apart).
fn header(file: &SourceFile, doc: &Json) -> Result<(u64, BTreeMap<String, Importer>), ParseError> {
    if doc.as_object().is_none() {
        return Err(err(
            file,
            doc,
            format!("bun.lock must be a JSON object, found {}", doc.type_name()),
        ));
    }
    let version = doc.get("lockfileVersion").ok_or_else(|| {
        err(
            file,
            doc,
            "not a bun lockfile: `lockfileVersion` is missing",
        )
    })?;
    let version = match &version.value {
        JsonValue::Number(n) => n.parse::<u64>().ok(),
        _ => None,
    }
    .ok_or_else(|| err(file, version, "`lockfileVersion` must be a whole number"))?;

    let mut importers = BTreeMap::new();
    if let Some(node) = doc.get("workspaces") {
        let members = node
            .as_object()
            .ok_or_else(|| err(file, node, "`workspaces` must be an object"))?;
        for member in members {
            let count = Section::DEPENDENCY_SECTIONS
                .iter()
                .filter_map(|s| member.value.get(s.key())?.as_object())
                .map(<[_]>::len)
                .sum();
            let mut deps = Vec::with_capacity(count);
            for section in Section::DEPENDENCY_SECTIONS {
                let Some(entries) = member.value.get(section.key()) else {
                    continue;
                };
                let entries = entries.as_object().ok_or_else(|| {
                    err(
                        file,
                        entries,
                        format!("`{}` must be an object", section.key()),
                    )
                })?;
                for e in entries {
                    deps.push(ImporterDep {
                        section,
                        name: e.key.as_str().into(),
                        specifier: e.value.as_str().map(Into::into),
                        version: None,
                        span: e.value.span.clone(),
                    });
                }
            }
            importers.insert(
                member.key.clone(),
                Importer {
                    deps,
                    span: member.key_span.clone(),
                },
            );
        }
    }
    Ok((version, importers))
}

/// One entry of `packages`: `key` (at `key_span`) and its tuple.
fn read_package(
    file: &SourceFile,
    texts: &mut Texts<'_>,
    key: &str,
    key_span: &Range<usize>,
    value: &Json,
) -> Result<Package, ParseError> {
    let tuple = value
        .as_array()
        .ok_or_else(|| err(file, value, format!("package `{}` must be an array", key)))?;
    let ident_node = tuple
        .first()
        .ok_or_else(|| err(file, value, format!("package `{}` is an empty array", key)))?;
    let ident = ident_node.as_str().unwrap_or_default();
    let (name, reference) = split_name(ident).ok_or_else(|| {
        err(
            file,
            ident_node,
            format!("malformed package identifier `{ident}`"),
        )
    })?;
    // Name and version are read where the identifier writes them.
    let ident_at = texts.offset_of(ident, Some(&ident_node.span));
    let mut pkg = Package {
        key: texts.read(key, Some(key_span)),
        name: texts.within(ident_at, ident, name),
        span: key_span.clone().into(),
        ..Package::default()
    };
    let meta = tuple.iter().find(|v| v.as_object().is_some());
    if reference.starts_with("workspace:") || reference.starts_with("link:") {
        pkg.link = true;
        pkg.resolved = texts.within(ident_at, ident, reference);
    } else if let (Some(registry), Some(_)) = (
        tuple.get(1).and_then(Json::as_str),
        tuple.get(2).and_then(Json::as_object),
    ) {
        // A registry package: `[ident, registry ("" = the default), meta, integrity]`.
        pkg.version = texts.within(ident_at, ident, reference);
        if !registry.is_empty() {
            let span = tuple.get(1).map(|n| n.span.clone());
            pkg.resolved = texts.read(registry, span.as_ref());
            pkg.resolved_span = span.map(Into::into);
        }
        if let Some(integrity) = tuple.get(3) {
            if let Some(value) = integrity.as_str() {
                pkg.integrity = texts.read(value, Some(&integrity.span));
            }
            pkg.integrity_span = Some(integrity.span.clone().into());
        }
    } else {
        // git, github, tarball URL or a local folder.
        pkg.resolved = texts.within(ident_at, ident, reference);
        pkg.resolved_span = Some(ident_node.span.clone().into());
        if let Some(node) = meta.and_then(|m| m.get("version"))
            && let Some(version) = node.as_str()
        {
            pkg.version = texts.read(version, Some(&node.span));
        }
        if reference.starts_with("file:") {
            pkg.link = true;
        }
    }
    if let Some(meta) = meta {
        pkg.platform = ["os", "cpu", "libc"].iter().any(|k| meta.get(k).is_some());
        pkg.optional = pkg.platform;
        let mut edges = Vec::new();
        for section in [Section::Dependencies, Section::OptionalDependencies] {
            for m in meta
                .get(section.key())
                .and_then(Json::as_object)
                .unwrap_or_default()
            {
                if section == Section::OptionalDependencies {
                    pkg.optional_dependencies.push(m.key.as_str().into());
                }
                edges.push(texts.edge(
                    (&m.key, Some(&m.key_span)),
                    (m.value.as_str().unwrap_or_default(), Some(&m.value.span)),
                ));
            }
        }
        pkg.dependencies = edges.into_boxed_slice();
    }
    Ok(pkg)
}

/// The cached parse of a bun.lock.
pub fn bun_lockfile(file: &SourceFile) -> Option<&Lockfile> {
    file.parsed(|f, t| parse(f, t).map(Lockfile::shrink))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_core::FileKind;

    const LOCK: &str = r#"{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "app",
      "dependencies": {
        "debug": "^4.3.4",
        "gitdep": "github:u/gitdep",
      },
    },
    "packages/a": {
      "name": "a",
      "dependencies": { "ms": "~2.0.0", },
    },
  },
  "packages": {
    "a": ["a@workspace:packages/a"],
    "debug": ["debug@4.4.3", "", { "dependencies": { "ms": "^2.1.3" } }, "sha512-aaa"],
    "debug/ms": ["ms@2.1.3", "https://npm.example.com/", {}, "sha512-bbb"],
    "gitdep": ["gitdep@github:u/gitdep#0123456", { "version": "1.0.0" }, "u-gitdep-0123456"],
    "@esbuild/darwin-arm64": ["@esbuild/darwin-arm64@0.21.5", "", { "os": "darwin", "cpu": "arm64" }, "sha512-ccc"],
  }
}"#;

    #[test]
    fn reads_bun_lock() {
        let f = SourceFile::in_memory("bun.lock", FileKind::BunLock, LOCK);
        let lock = bun_lockfile(&f).expect("parses");
        assert_eq!(lock.format, LockFormat::Bun(1));
        assert_eq!(
            lock.importers["packages/a"]
                .dep("ms")
                .and_then(|d| d.specifier.as_deref()),
            Some("~2.0.0")
        );
        let by_key = |k: &str| lock.package_by_key(k).expect(k);
        assert!(by_key("a").link);
        let debug = by_key("debug");
        assert_eq!(
            (
                lock.version(debug).unwrap_or_default(),
                lock.resolved(debug)
            ),
            ("4.4.3", None)
        );
        assert_eq!(lock.integrity(debug), Some("sha512-aaa"));
        // Kept as its place in the file, not copied.
        assert!(debug.integrity.offset().is_some());
        assert_eq!(lock.edges(debug).collect::<Vec<_>>(), [("ms", "^2.1.3")]);
        assert_eq!(
            lock.resolved(by_key("debug/ms")),
            Some("https://npm.example.com/")
        );
        let git = by_key("gitdep");
        assert_eq!(lock.resolved(git), Some("github:u/gitdep#0123456"));
        assert_eq!(lock.integrity(git), None);
        assert!(by_key("@esbuild/darwin-arm64").platform);
    }

    /// Read entry by entry or as one tree: the same lockfile, for every bun.lock of the
    /// fixtures and thousands of damaged copies (where the streamed reading gives up, the tree
    /// decides; where it reads, the tree reads the same).
    #[test]
    fn streaming_reads_what_the_tree_reads() {
        let mut texts = chainward_core::testing::fixture_texts(&["bun.lock"]);
        texts.push(("LOCK".into(), LOCK.into()));
        texts.push(("with a BOM".into(), format!("\u{feff}{LOCK}")));
        let same = |name: &str, text: &str| -> bool {
            let f = SourceFile::in_memory("bun.lock", FileKind::BunLock, text);
            let Some(streamed) = streamed(&f, text) else {
                return false;
            };
            let tree = parse_tree(&f, text)
                .unwrap_or_else(|e| panic!("{name}: read streamed, but the tree fails: {e}"));
            let parts = |l: Lockfile| (l.format, l.importers, l.packages, l.copies);
            assert!(parts(streamed) == parts(tree), "{name}: read differently");
            true
        };
        let mut damage = chainward_core::testing::Damage::default();
        let (mut read, mut damaged, mut still_read) = (0, 0, 0);
        for (name, text) in &texts {
            let truncated = name.contains("truncated");
            assert!(same(name, text) || truncated, "{name}: not streamed");
            read += usize::from(!truncated);
            for (copy, at) in damage.copies(text, b"\":,{}[]/ \n", b"\":,{}[]/ x\\", 80) {
                damaged += 1;
                still_read += usize::from(same(&format!("{name} damaged at {at}"), &copy));
            }
        }
        assert!(read >= 7, "{read} bun.lock files");
        assert!(
            damaged >= 500 && still_read > damaged / 10 && still_read < damaged,
            "{damaged} damaged copies, {still_read} still read"
        );
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        for (text, needle) in [
            (
                "{\"lockfileVersion\": 1, \"packages\": {\"a\": [\"a@1\", \"\"",
                "unterminated",
            ),
            ("{\"packages\": {}}", "lockfileVersion"),
            (
                "{\"lockfileVersion\": 1, \"packages\": {\"a\": 1}}",
                "must be an array",
            ),
            (
                "{\"lockfileVersion\": 1, \"packages\": {\"a\": [\"noversion\"]}}",
                "malformed",
            ),
        ] {
            let f = SourceFile::in_memory("bun.lock", FileKind::BunLock, text);
            assert!(bun_lockfile(&f).is_none(), "{text}");
            let e = f.error().expect("error").to_string();
            assert!(
                e.to_lowercase().contains(&needle.to_lowercase()),
                "{text}: {e}"
            );
        }
    }
}

//! bun.lock (bun ≥ 1.2's text lockfile: JSONC with trailing commas) into the common
//! [`Lockfile`] model. `bun.lockb` is binary and never read.
//!
//! `workspaces` maps each folder to its declared specs; `packages` maps an install path
//! (`debug`, `debug/ms` for a nested copy) to a tuple: `[ident, registry, meta, integrity]`
//! for registry packages, `[ident, meta, …]` for git, tarball and local ones,
//! `[ident]` for workspace members.

use std::collections::BTreeMap;

use chainward_core::json::{self, Json, JsonValue};
use chainward_core::{ParseError, SourceFile};

use crate::lockfile::{Importer, ImporterDep, LockFormat, Lockfile, Package, Texts, split_name};
use crate::manifest::Section;

fn err(file: &SourceFile, node: &Json, m: impl Into<String>) -> ParseError {
    file.parse_error(node.span.start..node.span.start, m)
}

pub fn parse(file: &SourceFile, text: &str) -> Result<Lockfile, ParseError> {
    let doc = json::parse_jsonc(text).map_err(|e| file.parse_error(e.span, e.message))?;
    if doc.as_object().is_none() {
        return Err(err(
            file,
            &doc,
            format!("bun.lock must be a JSON object, found {}", doc.type_name()),
        ));
    }
    let version = doc.get("lockfileVersion").ok_or_else(|| {
        err(
            file,
            &doc,
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
            let mut deps = Vec::new();
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
                        name: e.key.clone(),
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

    let mut packages = Vec::new();
    let mut texts = Texts::new(text);
    if let Some(node) = doc.get("packages") {
        let entries = node
            .as_object()
            .ok_or_else(|| err(file, node, "`packages` must be an object"))?;
        packages.reserve(entries.len());
        for entry in entries {
            let tuple = entry.value.as_array().ok_or_else(|| {
                err(
                    file,
                    &entry.value,
                    format!("package `{}` must be an array", entry.key),
                )
            })?;
            let ident_node = tuple.first().ok_or_else(|| {
                err(
                    file,
                    &entry.value,
                    format!("package `{}` is an empty array", entry.key),
                )
            })?;
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
                key: texts.read(&entry.key, Some(&entry.key_span)),
                name: texts.within(ident_at, ident, name),
                span: entry.key_span.clone().into(),
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
            packages.push(pkg);
        }
    }
    Ok(texts.lockfile(LockFormat::Bun(version), importers, packages, file))
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

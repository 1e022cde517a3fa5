//! `chainward allow-script`: add an approval to chainward.toml (toml_edit: comments, order and
//! formatting kept) or to a package manager's own allowlist (package.json and
//! pnpm-workspace.yaml edited in place, every other byte kept). Pure text in, text out; the
//! command does the reading and the atomic write. `Ok(None)`: the approval is already there.

use chainward_core::insert;
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

/// A package manager's native allowlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Native {
    /// package.json `allowScripts` (npm ≥ 11.16): `"name@version": true`.
    Npm,
    /// `onlyBuiltDependencies` in pnpm-workspace.yaml, or package.json `pnpm` field.
    Pnpm,
    /// package.json `dependenciesMeta.<name>.built: true`.
    Yarn,
    /// package.json `trustedDependencies` (names only).
    Bun,
}

impl Native {
    /// The allowlist's name, as users know it.
    pub fn list_name(self) -> &'static str {
        match self {
            Native::Npm => "allowScripts",
            Native::Pnpm => "onlyBuiltDependencies",
            Native::Yarn => "dependenciesMeta.built",
            Native::Bun => "trustedDependencies",
        }
    }
}

/// `name[@range]` from the command line: a valid package name and, when given, a valid semver
/// range.
pub fn parse_selector(s: &str) -> Result<(String, Option<String>), String> {
    let (name, range) = match chainward_npm::lockfile::split_name(s) {
        Some((name, range)) => (name, Some(range)),
        None => (s, None),
    };
    if !chainward_npm::lockfile::is_package_name(name) {
        return Err(format!("`{name}` is not a valid npm package name"));
    }
    match range {
        Some(r) if r.trim().is_empty() => Err(format!("`{s}`: the range after `@` is empty")),
        Some(r) if chainward_npm::spec::parse_range(r).is_none() => {
            Err(format!("`{r}` is not a valid semver range"))
        }
        _ => Ok((name.to_string(), range.map(str::to_string))),
    }
}

/// `name` or `name@range`, as written in native allowlists.
fn selector(package: &str, range: Option<&str>) -> String {
    match range {
        Some(r) => format!("{package}@{r}"),
        None => package.to_string(),
    }
}

/// Add `[[install-scripts.allow]] { package, version, reason }` to chainward.toml. An entry
/// for the same package and version gets the new reason instead of a second entry.
pub fn in_config(
    text: &str,
    package: &str,
    range: Option<&str>,
    reason: &str,
) -> Result<Option<String>, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.message().to_string())?;
    let section = doc
        .as_table_mut()
        .entry("install-scripts")
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
    let section = section
        .as_table_mut()
        .ok_or("`install-scripts` is not a table")?;
    let allow = section
        .entry("allow")
        .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()))
        .as_array_of_tables_mut()
        .ok_or("`install-scripts.allow` is not an array of [[install-scripts.allow]] tables")?;
    let existing = allow.iter_mut().find(|entry| {
        entry.get("package").and_then(Item::as_str) == Some(package)
            && entry.get("version").and_then(Item::as_str) == range
    });
    match existing {
        Some(entry) if entry.get("reason").and_then(Item::as_str) == Some(reason) => {
            return Ok(None);
        }
        Some(entry) => entry["reason"] = value(reason),
        None => {
            let mut entry = Table::new();
            entry["package"] = value(package);
            if let Some(range) = range {
                entry["version"] = value(range);
            }
            entry["reason"] = value(reason);
            allow.push(entry);
        }
    }
    Ok(Some(doc.to_string()))
}

/// Add the approval to a native allowlist kept in package.json.
pub fn in_package_json(
    text: &str,
    native: Native,
    package: &str,
    range: Option<&str>,
) -> Result<Option<String>, String> {
    let key = selector(package, range);
    match native {
        Native::Npm => insert::json_set(text, &["allowScripts", &key], "true"),
        Native::Pnpm => insert::json_push(text, &["pnpm", "onlyBuiltDependencies"], &key),
        Native::Yarn => insert::json_set(text, &["dependenciesMeta", &key, "built"], "true"),
        Native::Bun => {
            if range.is_some() {
                return Err(
                    "bun's trustedDependencies lists names only: leave out `@range`".into(),
                );
            }
            insert::json_push(text, &["trustedDependencies"], package)
        }
    }
}

/// Add the approval to pnpm-workspace.yaml's `onlyBuiltDependencies`.
pub fn in_pnpm_workspace(
    text: &str,
    package: &str,
    range: Option<&str>,
) -> Result<Option<String>, String> {
    insert::yaml_push(text, "onlyBuiltDependencies", &selector(package, range))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_entry_appended_with_comments_kept_and_reason_updated_in_place() {
        let text = "# project policy\n[pin-check]\nallow-tags = false # strict\n\n[[install-scripts.allow]]\npackage = \"esbuild\"   # the bundler\nreason = \"platform binary\"\n\n[npm-ci]\nallowed-hosts = [\"registry.npmjs.org\"]\n";
        let out = in_config(text, "sharp", Some("^0.33"), "libvips binary")
            .expect("edits")
            .expect("changes");
        assert!(out.starts_with(text.split("[npm-ci]").next().unwrap_or_default()));
        assert!(
            out.contains(
                "[[install-scripts.allow]]\npackage = \"sharp\"\nversion = \"^0.33\"\nreason = \"libvips binary\"\n"
            ),
            "{out}"
        );
        assert!(out.contains("allow-tags = false # strict"));
        assert_eq!(out.matches("[npm-ci]").count(), 1);
        assert!(
            out.find("package = \"sharp\"") < out.find("[npm-ci]"),
            "the new entry goes after the last one, not after unrelated tables: {out}"
        );
        assert_eq!(
            in_config(&out, "sharp", Some("^0.33"), "libvips binary"),
            Ok(None)
        );
        let again = in_config(&out, "esbuild", None, "checked checksums")
            .expect("edits")
            .expect("changes");
        assert!(
            again.contains("package = \"esbuild\"   # the bundler\nreason = \"checked checksums\"")
        );
        assert_eq!(again.matches("[[install-scripts.allow]]").count(), 2);
        let fresh = in_config("", "@s/x", None, "why")
            .expect("edits")
            .expect("changes");
        assert_eq!(
            fresh,
            "[[install-scripts.allow]]\npackage = \"@s/x\"\nreason = \"why\"\n"
        );
        assert!(in_config("install-scripts = 1\n", "a", None, "b").is_err());
        assert!(in_config("[a\n", "a", None, "b").is_err());
    }

    #[test]
    fn selectors_are_validated() {
        assert_eq!(
            parse_selector("@s/x@^1.2"),
            Ok(("@s/x".into(), Some("^1.2".into())))
        );
        assert_eq!(parse_selector("esbuild"), Ok(("esbuild".into(), None)));
        assert!(parse_selector("esbuild@").is_err());
        assert!(parse_selector("esbuild@not a range!").is_err());
        assert!(parse_selector("@scope").is_err());
        assert!(parse_selector("a b").is_err());
        assert!(parse_selector("").is_err());
    }

    #[test]
    fn native_allowlists() {
        let pj = "{\n  \"name\": \"app\"\n}\n";
        let npm = in_package_json(pj, Native::Npm, "esbuild", Some("0.21.5"));
        assert_eq!(
            npm,
            Ok(Some(
                "{\n  \"name\": \"app\",\n  \"allowScripts\": {\n    \"esbuild@0.21.5\": true\n  }\n}\n"
                    .into()
            ))
        );
        let yarn = in_package_json(pj, Native::Yarn, "esbuild", None);
        assert_eq!(
            yarn,
            Ok(Some(
                "{\n  \"name\": \"app\",\n  \"dependenciesMeta\": {\n    \"esbuild\": {\n      \"built\": true\n    }\n  }\n}\n"
                    .into()
            ))
        );
        assert!(in_package_json(pj, Native::Bun, "esbuild", Some("1")).is_err());
        assert_eq!(
            in_pnpm_workspace("packages: []\n", "esbuild", None),
            Ok(Some(
                "packages: []\nonlyBuiltDependencies:\n  - esbuild\n".into()
            ))
        );
    }
}

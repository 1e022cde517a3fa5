//! package.json, with the span of every dependency name and specifier.

use chainward_core::json::{self, Json, JsonValue};
use chainward_core::{ParseError, SourceFile};

/// The places in package.json that hold dependency specifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Dependencies,
    DevDependencies,
    OptionalDependencies,
    PeerDependencies,
    /// npm `overrides` (possibly nested).
    Overrides,
    /// yarn `resolutions`.
    Resolutions,
    /// `pnpm.overrides`.
    PnpmOverrides,
}

impl Section {
    pub const DEPENDENCY_SECTIONS: [Section; 4] = [
        Section::Dependencies,
        Section::DevDependencies,
        Section::OptionalDependencies,
        Section::PeerDependencies,
    ];

    /// The key in package.json (and in a lockfile's importer entry).
    pub fn key(self) -> &'static str {
        match self {
            Section::Dependencies => "dependencies",
            Section::DevDependencies => "devDependencies",
            Section::OptionalDependencies => "optionalDependencies",
            Section::PeerDependencies => "peerDependencies",
            Section::Overrides => "overrides",
            Section::Resolutions => "resolutions",
            Section::PnpmOverrides => "pnpm.overrides",
        }
    }
}

/// One `"name": "spec"` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct DepEntry<'a> {
    pub section: Section,
    /// The dependency name; for overrides the package the override applies to (the key with
    /// any `@version` selector removed).
    pub name: &'a str,
    /// The key as written (`foo`, `foo@1`, `**/foo` in resolutions).
    pub key: &'a str,
    pub key_span: std::ops::Range<usize>,
    /// The specifier; `None` when the value is not a string.
    pub spec: Option<&'a str>,
    /// Span of the value, quotes included.
    pub spec_span: std::ops::Range<usize>,
    /// For nested overrides, the parents' keys.
    pub parents: Vec<&'a str>,
}

/// A parsed package.json.
#[derive(Debug, Clone)]
pub struct PackageJson {
    pub json: Json,
}

impl PackageJson {
    pub fn parse(file: &SourceFile, text: &str) -> Result<PackageJson, ParseError> {
        let json = json::parse(text).map_err(|e| file.parse_error(e.span, e.message))?;
        if json.as_object().is_none() {
            return Err(file.parse_error(
                json.span.clone(),
                format!(
                    "package.json must be a JSON object, found {}",
                    json.type_name()
                ),
            ));
        }
        for section in Section::DEPENDENCY_SECTIONS
            .iter()
            .chain(&[Section::Overrides, Section::Resolutions])
        {
            if let Some(v) = json.get(section.key())
                && v.as_object().is_none()
            {
                return Err(file.parse_error(
                    v.span.clone(),
                    format!(
                        "`{}` must be an object, found {}",
                        section.key(),
                        v.type_name()
                    ),
                ));
            }
        }
        Ok(PackageJson { json })
    }

    pub fn name(&self) -> Option<&str> {
        self.json.get("name").and_then(Json::as_str)
    }

    pub fn version(&self) -> Option<&str> {
        self.json.get("version").and_then(Json::as_str)
    }

    /// The package manager the project declares: `packageManager: "pnpm@10.12.1+sha512…"`, else
    /// `devEngines.packageManager` (`{ name, version }`): `(name, version)` without the hash.
    pub fn package_manager(&self) -> Option<(&str, &str)> {
        if let Some(declared) = self.json.get("packageManager").and_then(Json::as_str) {
            let (name, version) = declared.rsplit_once('@')?;
            return Some((name, version.split('+').next().unwrap_or(version)));
        }
        let pm = self.json.pointer(&["devEngines", "packageManager"])?;
        Some((pm.get("name")?.as_str()?, pm.get("version")?.as_str()?))
    }

    /// The major version of the package manager `name` the project declares, if it declares
    /// that one (`^10.2` and `v10` count as 10).
    pub fn manager_major(&self, name: &str) -> Option<u64> {
        let (declared, version) = self.package_manager()?;
        (declared == name).then_some(())?;
        version
            .trim_start_matches(['^', '~', '=', 'v', '>'])
            .split('.')
            .next()?
            .parse()
            .ok()
    }

    /// `workspaces` patterns (array form or `{ "packages": [...] }`).
    pub fn workspaces(&self) -> Vec<&str> {
        let ws = self.json.get("workspaces");
        let arr = ws
            .and_then(Json::as_array)
            .or_else(|| ws.and_then(|w| w.get("packages")).and_then(Json::as_array));
        arr.map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default()
    }

    /// The entries of one section, in file order.
    pub fn deps(&self, section: Section) -> Vec<DepEntry<'_>> {
        let mut out = Vec::new();
        match section {
            Section::Overrides => {
                if let Some(o) = self.json.get("overrides") {
                    overrides(o, &mut Vec::new(), &mut out);
                }
            }
            Section::PnpmOverrides => {
                if let Some(o) = self.json.pointer(&["pnpm", "overrides"]) {
                    flat(section, o, &mut out);
                }
            }
            _ => {
                if let Some(o) = self.json.get(section.key()) {
                    flat(section, o, &mut out);
                }
            }
        }
        out
    }
}

fn entry<'a>(
    section: Section,
    name: &'a str,
    m: &'a json::Member,
    parents: Vec<&'a str>,
) -> DepEntry<'a> {
    DepEntry {
        section,
        name,
        key: &m.key,
        key_span: m.key_span.clone(),
        spec: m.value.as_str(),
        spec_span: m.value.span.clone(),
        parents,
    }
}

fn flat<'a>(section: Section, obj: &'a Json, out: &mut Vec<DepEntry<'a>>) {
    for m in obj.as_object().unwrap_or_default() {
        let name = match section {
            // `**/foo`, `a/**/foo`, `foo@1` → `foo`
            Section::Resolutions | Section::PnpmOverrides => override_target(
                m.key
                    .rsplit_once("/**/")
                    .map_or(m.key.strip_prefix("**/").unwrap_or(&m.key), |(_, n)| n),
            ),
            _ => &m.key,
        };
        out.push(entry(section, name, m, Vec::new()));
    }
}

/// npm overrides: `"foo": "1.0.0"`, `"foo@2": "2.1.0"`, `"foo": { ".": "1.0.0", "bar": "2" }`.
fn overrides<'a>(obj: &'a Json, parents: &mut Vec<&'a str>, out: &mut Vec<DepEntry<'a>>) {
    for m in obj.as_object().unwrap_or_default() {
        if m.key == "." {
            if let Some(parent) = parents.last() {
                let mut p = parents.clone();
                p.pop();
                out.push(entry(Section::Overrides, override_target(parent), m, p));
            }
            continue;
        }
        match &m.value.value {
            JsonValue::Object(_) => {
                parents.push(&m.key);
                overrides(&m.value, parents, out);
                parents.pop();
            }
            _ => out.push(entry(
                Section::Overrides,
                override_target(&m.key),
                m,
                parents.clone(),
            )),
        }
    }
}

/// `foo@^1` → `foo`, `@s/foo@1` → `@s/foo`, `foo` → `foo`.
fn override_target(key: &str) -> &str {
    let search_from = usize::from(key.starts_with('@'));
    match key[search_from..].find('@') {
        Some(i) => &key[..search_from + i],
        None => key,
    }
}

/// The cached package.json of `file`; `None` if it does not parse (the error is on the file).
pub fn package_json(file: &SourceFile) -> Option<&PackageJson> {
    file.parsed(PackageJson::parse)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_core::FileKind;

    fn pj(text: &str) -> SourceFile {
        SourceFile::in_memory("package.json", FileKind::PackageJson, text)
    }

    #[test]
    fn nested_overrides_flatten_with_targets() {
        let f = pj(
            r#"{"overrides": {"foo": "1.0.0", "bar@2": "^2.1.0", "baz": {".": "~3.0.0", "qux": "4"}}}"#,
        );
        let p = package_json(&f).expect("parses");
        let o = p.deps(Section::Overrides);
        let got: Vec<_> = o
            .iter()
            .map(|e| (e.name, e.spec.unwrap_or("-"), e.parents.len()))
            .collect();
        assert_eq!(
            got,
            [
                ("foo", "1.0.0", 0),
                ("bar", "^2.1.0", 0),
                ("baz", "~3.0.0", 0),
                ("qux", "4", 1)
            ]
        );
    }

    #[test]
    fn array_and_bad_sections_are_parse_errors() {
        let f = pj("[1, 2]");
        assert!(package_json(&f).is_none());
        assert!(f.error().expect("error").message.contains("found an array"));
        let f = pj(r#"{"dependencies": ["a"]}"#);
        assert!(package_json(&f).is_none());
        assert!(
            f.error()
                .expect("error")
                .message
                .contains("`dependencies` must be an object")
        );
    }
}

//! `mcp/version-mismatch`: server.json names the version of each npm package it lists, and its
//! own version; both must be the version the workspace that publishes the package is at.

use std::sync::Arc;

use chainward_core::fix::{Edit, Fix};
use chainward_core::json::{Json, quote};
use chainward_core::mcp::ServerJson;
use chainward_core::{
    FileKind, Finding, Fixability, Location, Project, Rule, Severity, SourceFile,
};
use chainward_npm::manifest::package_json;

use crate::publisher::Publishing;

pub(crate) static VERSION_MISMATCH: Rule = Rule {
    id: "mcp/version-mismatch",
    code: "MCP002",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "server.json names a version the package it lists is not at",
    doc: r#"The MCP registry lists the versions server.json names: clients install
`@acme/weather-mcp@1.2.0` because `packages[].version` says so. When package.json moved on to
1.3.0 and server.json did not, the registry advertises an old release (or, for a version never
published, one that does not install), and the mismatch shows only after `npm publish`. The
registry checks that the package exists and names the server (`mcpName`); it does not compare
versions.

chainward compares each `npm` entry's `version`, and server.json's own `version`, with the
`version` of the package.json in the tree whose `name` is the entry's `identifier`:

```json
// packages/weather/package.json: "version": "1.3.0"
{ "version": "1.2.0",
  "packages": [{ "registryType": "npm", "identifier": "@acme/weather-mcp", "version": "1.2.0" }] }
```

PyPI and crates.io entries are compared with the static `version` of the pyproject.toml or
Cargo.toml in the tree that builds them. A package entry naming another version is an error;
server.json's own `version` is compared only when it lists one package and no remotes, and
differing is a warning (the registry recommends, but does not require, that it match; a
registry-only update `1.2.3-1` of package 1.2.3 is what its versioning guide advises, and is
accepted). A package at `0.0.0` or `0.0.0-…` (semantic-release's placeholder) or at a PEP 440
development release (`1.7.1.dev0`: the tree between releases) is not compared. When a
step of the publishing job writes server.json before `mcp-publisher publish` (`jq … >
server.json`, `sed -i`, `yq -i`, a script of the repository that writes it), the committed value
is not what is published: the finding is info and names that step. A `jq` filter that sets only
`.version` (as the registry's docs show) leaves the packages' versions as committed.

**Fix.** `chainward fix` writes the package's version into the package entry (safe);
`--unsafe-fixes` also into server.json's own `version`.
"#,
};

/// The package.json files in the tree whose `name` is `name` and that are not `private`,
/// nearest to `dir` first.
pub(crate) fn publishing_manifest<'p>(
    project: &'p Project,
    dir: &std::path::Path,
    name: &str,
) -> Option<&'p Arc<SourceFile>> {
    let mut found: Vec<&Arc<SourceFile>> = project
        .files_of(FileKind::PackageJson)
        .filter(|f| {
            package_json(f).is_some_and(|pj| {
                pj.json.get("name").and_then(Json::as_str) == Some(name)
                    && pj.json.get("private").and_then(Json::as_bool) != Some(true)
            })
        })
        .collect();
    found.sort_by_key(|f| {
        let parent = f.path.parent().unwrap_or(std::path::Path::new(""));
        (
            !dir.starts_with(parent) && !parent.starts_with(dir),
            f.path.components().count(),
        )
    });
    found.into_iter().next()
}

/// A version that is not the one published: a release tool's placeholder (semantic-release's
/// `0.0.0-development`), or a PEP 440 development release (`1.7.1.dev0`, the tree between two
/// releases).
fn placeholder(version: &str) -> bool {
    version == "0.0.0" || version.starts_with("0.0.0-") || version.contains(".dev")
}

/// The version a package in the tree is at: (where it says so, the version).
struct At<'a> {
    /// The manifest, and the span of its `version` (a package.json is a discovered file).
    file: Option<(&'a SourceFile, std::ops::Range<usize>)>,
    rel: String,
    version: String,
}

pub(crate) fn check(
    project: &Project,
    file: &SourceFile,
    server: &ServerJson,
    publishing: &Publishing,
    out: &mut Vec<Finding>,
) {
    let dir = file.path.parent().unwrap_or(std::path::Path::new(""));
    let mut found: Vec<(String, String, String)> = Vec::new();
    let packages: Vec<_> = server.packages().collect();
    for (i, package) in packages.iter().enumerate() {
        let Some(kind) = package.registry_type() else {
            continue;
        };
        let Some(identifier) = package.identifier().and_then(Json::as_str) else {
            continue;
        };
        let manifest;
        let at = match kind {
            "npm" => {
                let Some(m) = publishing_manifest(project, dir, identifier) else {
                    project.note(format!(
                        "mcp: no package.json in the tree publishes `{identifier}` ({}), so its version was not compared",
                        file.rel
                    ));
                    continue;
                };
                manifest = m;
                let Some(pj) = package_json(manifest) else {
                    continue;
                };
                let Some(v) = pj.json.get("version") else {
                    continue;
                };
                let Some(version) = v.as_str() else { continue };
                At {
                    file: Some((manifest.as_ref(), v.span.clone())),
                    rel: manifest.rel.clone(),
                    version: version.to_string(),
                }
            }
            "pypi" | "cargo" | "nuget" => {
                let Some(m) = crate::manifest::find(project, file, server, kind, identifier) else {
                    continue;
                };
                let Some(version) = m.version else { continue };
                At {
                    file: None,
                    rel: m.rel,
                    version,
                }
            }
            _ => continue,
        };
        if placeholder(&at.version) {
            continue;
        }
        found.push((identifier.to_string(), at.version.clone(), at.rel.clone()));
        if let Some(v) = package.version()
            && v.as_str().is_some_and(|s| !s.is_empty())
            && v.as_str() != Some(at.version.as_str())
            && !crate::schema::refused_version(v)
        {
            let what = format!(
                "packages[{i}] (`{identifier}`) names version `{}`",
                v.as_str().unwrap_or_default()
            );
            out.push(finding(file, &at, v, &what, identifier, false, publishing));
        }
    }
    // The server's own version against its one package's (with several packages, or remotes,
    // it is the release's version of its own); a registry-only update is `<version>-<n>`, a
    // prerelease of the package's version, as the registry's versioning guide recommends.
    let remotes = server
        .json
        .get("remotes")
        .and_then(Json::as_array)
        .is_some_and(|r| !r.is_empty());
    if let ([(identifier, want, rel)], 1, false) = (found.as_slice(), packages.len(), remotes)
        && let Some(v) = server.version()
        && let Some(version) = v.as_str()
        && version != want
        && !version
            .strip_prefix(want.as_str())
            .is_some_and(|rest| rest.starts_with('-'))
        && !crate::schema::refused_version(v)
    {
        // Located at the package's own manifest when it is a discovered file.
        let at = packages
            .iter()
            .find(|p| p.identifier().and_then(Json::as_str) == Some(identifier.as_str()))
            .and_then(|p| match p.registry_type() {
                Some("npm") => publishing_manifest(project, dir, identifier).and_then(|m| {
                    let span = package_json(m)?.json.get("version")?.span.clone();
                    Some(At {
                        file: Some((m.as_ref(), span)),
                        rel: m.rel.clone(),
                        version: want.clone(),
                    })
                }),
                _ => None,
            })
            .unwrap_or(At {
                file: None,
                rel: rel.clone(),
                version: want.clone(),
            });
        let what = format!("server.json's `version` is `{version}`");
        out.push(finding(file, &at, v, &what, identifier, true, publishing));
    }
}

fn finding(
    file: &SourceFile,
    at: &At<'_>,
    node: &Json,
    what: &str,
    identifier: &str,
    top: bool,
    publishing: &Publishing,
) -> Finding {
    let want = at.version.as_str();
    let whose = if at.rel.is_empty() {
        format!("`{identifier}` is at `{want}`")
    } else {
        format!("{} is at `{want}` ({identifier})", at.rel)
    };
    let edit = vec![Edit::replace(&file.path, node.span.clone(), quote(want))];
    let mut f = Finding::new(
        &VERSION_MISMATCH,
        file,
        node.span.clone(),
        format!("{what}, but {whose}"),
    )
    .with_help(if top {
        format!(
            "set it to \"{want}\" (chainward fix --unsafe-fixes), or to \"{want}-1\" for a registry-only update"
        )
    } else {
        format!("set it to \"{want}\" (chainward fix), in the commit that bumps the package")
    })
    .with_subject(format!("{identifier}@{want}"));
    if let Some((manifest, span)) = &at.file {
        f = f.with_label(
            Location::new(manifest, span.clone()),
            "the version the package is at",
        );
    }
    // The server's own version may differ from its package's by design (the registry
    // recommends, not requires, that they match): a warning, and an unsafe fix; a package
    // entry naming another version advertises a release that is not the package's.
    if top {
        f = f
            .with_severity(Severity::Warning)
            .with_fix(Fix::unsafe_(format!("set the version to {want}"), edit));
    } else {
        f = f.with_fix(Fix::safe(format!("set the version to {want}"), edit));
    }
    if let Some((wf, step)) = publishing.rewrite(&file.rel, top) {
        f = f.with_severity(Severity::Info).with_label(
            Location::new(wf, step.clone()),
            "rewrites server.json's version before `mcp-publisher publish`",
        );
        f.message.push_str(&format!(
            "; {} rewrites server.json before publishing, so the committed value is not what the registry gets",
            wf.rel
        ));
    }
    f
}

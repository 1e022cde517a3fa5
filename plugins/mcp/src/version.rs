//! `mcp/version-mismatch`: server.json names the version of each npm package it lists, and its
//! own version; both must be the version the workspace that publishes the package is at.

use std::sync::Arc;

use chainward_core::fix::{Edit, Fix};
use chainward_core::json::{Json, quote};
use chainward_core::mcp::ServerJson;
use chainward_core::{
    FileKind, Finding, Fixability, Location, Project, Rule, Severity, SourceFile,
};
use chainward_npm::manifest::{PackageJson, package_json};

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

When a workflow rewrites server.json's version before `mcp-publisher publish` (a `jq`, `sed`,
`node` or `yq` step on server.json in the publishing job), the committed value is not what is
published: the finding is info and names that step.

**Fix.** `chainward fix` writes the package.json version into server.json (safe).
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

pub(crate) fn check(
    project: &Project,
    file: &SourceFile,
    server: &ServerJson,
    publishing: &Publishing,
    out: &mut Vec<Finding>,
) {
    let dir = file.path.parent().unwrap_or(std::path::Path::new(""));
    let mut top_checked = false;
    for (i, package) in server.packages().enumerate() {
        if package.registry_type() != Some("npm") {
            continue;
        }
        let Some(identifier) = package.identifier().and_then(Json::as_str) else {
            continue;
        };
        let Some(manifest) = publishing_manifest(project, dir, identifier) else {
            project.note(format!(
                "mcp: no package.json in the tree publishes `{identifier}` ({}), so its version was not compared",
                file.rel
            ));
            continue;
        };
        let Some(pj) = package_json(manifest) else {
            continue;
        };
        let Some(want) = pj.json.get("version").and_then(Json::as_str) else {
            continue;
        };
        let entry = package.version();
        let mut wrong: Vec<(&Json, String)> = Vec::new();
        if let Some(v) = entry
            && v.as_str() != Some(want)
            && !crate::schema::refused_version(v)
        {
            wrong.push((
                v,
                format!(
                    "packages[{i}] (`{identifier}`) names version `{}`",
                    v.as_str().unwrap_or_default()
                ),
            ));
        }
        if !top_checked && let Some(v) = server.version() {
            top_checked = true;
            if v.as_str() != Some(want) && !crate::schema::refused_version(v) {
                wrong.push((
                    v,
                    format!(
                        "server.json's `version` is `{}`",
                        v.as_str().unwrap_or_default()
                    ),
                ));
            }
        }
        for (node, what) in wrong {
            out.push(finding(
                file, manifest, pj, node, &what, identifier, want, publishing,
            ));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    file: &SourceFile,
    manifest: &SourceFile,
    pj: &PackageJson,
    node: &Json,
    what: &str,
    identifier: &str,
    want: &str,
    publishing: &Publishing,
) -> Finding {
    let version_at = pj.json.get("version").map_or(0..0, |v| v.span.clone());
    let mut f = Finding::new(
        &VERSION_MISMATCH,
        file,
        node.span.clone(),
        format!("{what}, but {} is at `{want}` ({identifier})", manifest.rel),
    )
    .with_label(
        Location::new(manifest, version_at),
        "the version the package is at",
    )
    .with_help(format!(
        "set it to \"{want}\" (chainward fix), in the commit that bumps the package"
    ))
    .with_fix(Fix::safe(
        format!("set the version to {want}"),
        vec![Edit::replace(&file.path, node.span.clone(), quote(want))],
    ))
    .with_subject(format!("{identifier}@{want}"));
    if let Some((wf, step)) = publishing.rewrite(&file.rel) {
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

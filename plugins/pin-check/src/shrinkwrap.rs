//! A published executable whose dependency tree is resolved anew on every user's machine,
//! because npm ignores the package-lock.json of a package it installs.

use chainward_core::fix::{Edit, Fix};
use chainward_core::insert;
use chainward_core::json::Json;
use chainward_core::{Finding, Fixability, Rule, Severity, SourceFile};
use chainward_npm::PackageJson;

use crate::manifest::Lock;

pub(crate) static EXECUTABLE_WITHOUT_SHRINKWRAP: Rule = Rule {
    id: "pin-check/executable-without-shrinkwrap",
    code: "PIN008",
    default_severity: Severity::Info,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "A published executable ships without npm-shrinkwrap.json, so its users resolve its dependency tree anew",
    doc: r#"When users run a published package (`npx my-mcp-server`, `npm install -g my-cli`), npm
installs it as a dependency and **ignores its package-lock.json**: every dependency, and every
dependency of those, is resolved from ranges on the day of the install. Exact versions in
package.json pin only the first level. npm honours one lockfile inside an installed package,
`npm-shrinkwrap.json`, and its documentation recommends it for exactly this case ("applications
deployed through the publishing process on the registry: for example, daemons and command-line
tools intended as global installs") — and discourages it for libraries, so only packages whose
role is *executable* (a `bin`, `mcpName`, a server.json beside it, or `[pin-check.roles]`) are
reported, and only when they have their own package-lock.json (v2 or v3), runtime dependencies,
and no workspaces or `file:` runtime dependencies (a shrinkwrap linking to folders that are not
in the package would not install).

```sh
npm shrinkwrap        # renames package-lock.json to npm-shrinkwrap.json
```

npm packs npm-shrinkwrap.json only when `files` (if the package has one) lists it: with
`"files": ["dist"]` the shrinkwrap stays behind and nothing is pinned.

**Fix.** `chainward fix --unsafe-fixes` does what `npm shrinkwrap` does — renames package-lock.json to
npm-shrinkwrap.json, byte for byte (compared with npm 11's own in the test suite) — and adds
`npm-shrinkwrap.json` to `files` where `files` would leave it out. Unsafe: the published package
then installs exactly the tree you tested, including its transitive versions, which is the point,
but also means your users get dependency fixes only when you publish.

Bundling (`bundleDependencies`) is the other way to ship the tree; a package that bundles is not
reported.
"#,
};

/// Check the package in `file` (of role executable), whose lockfile is `lock`.
pub(crate) fn check(
    file: &SourceFile,
    pj: &PackageJson,
    lock: Option<&Lock>,
    out: &mut Vec<Finding>,
) {
    let json = &pj.json;
    let (Some(name), Some(lock)) = (pj.name(), lock) else {
        return;
    };
    // Its own package-lock.json (v2/v3, which `npm shrinkwrap` keeps byte for byte), not a
    // workspace root's, and no shrinkwrap yet.
    let is_own_package_lock = lock.importer.is_empty()
        && lock.file.path.parent() == file.path.parent()
        && lock
            .file
            .path
            .file_name()
            .is_some_and(|n| n == "package-lock.json")
        && lock.parsed().is_some_and(|l| l.lockfile_version >= 2);
    if !is_own_package_lock || json.member("version").is_none() {
        return;
    }
    let has_runtime_deps = ["dependencies", "optionalDependencies"].iter().any(|k| {
        json.get(k)
            .and_then(Json::as_object)
            .is_some_and(|m| !m.is_empty())
    });
    let bundles = ["bundleDependencies", "bundledDependencies"]
        .iter()
        .any(|k| {
            json.get(k).is_some_and(|v| {
                v.as_bool() == Some(true) || v.as_array().is_some_and(|a| !a.is_empty())
            })
        });
    // A shrinkwrap that links to folders outside the package (workspaces, `file:` runtime
    // dependencies) would not install from the registry: not this rule's advice there.
    let links_local = json.member("workspaces").is_some()
        || ["dependencies", "optionalDependencies"].iter().any(|k| {
            json.get(k).and_then(Json::as_object).is_some_and(|m| {
                m.iter().any(|d| {
                    d.value.as_str().is_some_and(|s| {
                        ["file:", "link:", "workspace:", "."]
                            .iter()
                            .any(|p| s.starts_with(p))
                    })
                })
            })
        });
    if !has_runtime_deps || bundles || links_local {
        return;
    }
    let at = ["bin", "mcpName", "name"]
        .iter()
        .find_map(|k| json.member(k))
        .map_or(0..0, |m| m.key_span.clone());
    let Ok(text) = file.text() else { return };
    let files_edit = files_edit(file, json, text);
    let to = lock.file.path.with_file_name("npm-shrinkwrap.json");
    let fix = Fix::unsafe_(
        format!(
            "rename package-lock.json to npm-shrinkwrap.json, as `npm shrinkwrap` does{}",
            if files_edit.is_some() {
                ", and add it to `files`"
            } else {
                ""
            }
        ),
        files_edit.into_iter().collect(),
    )
    .with_rename(&lock.file.path, &to);
    out.push(
        Finding::new(
            &EXECUTABLE_WITHOUT_SHRINKWRAP,
            file,
            at,
            format!(
                "`{name}` is run by its users (`npx`, global installs), and npm ignores its package-lock.json there: its whole dependency tree resolves anew on every install"
            ),
        )
        .with_help(
            "publish an npm-shrinkwrap.json (`npm shrinkwrap` renames package-lock.json to it), the one lockfile npm honours inside an installed package",
        )
        .with_fix(fix),
    );
}

/// Where `files` would leave npm-shrinkwrap.json out of the package: the edit adding it, as
/// `allow-script` adds to a package.json array ([`insert::json_push_edit`]).
fn files_edit(file: &SourceFile, json: &Json, text: &str) -> Option<Edit> {
    let items = json.get("files")?.as_array()?;
    let covered = items.iter().filter_map(Json::as_str).any(|entry| {
        let entry = entry.trim_start_matches("./").trim_start_matches('/');
        matches!(
            entry,
            "npm-shrinkwrap.json" | "*" | "**" | "**/*" | "*.json" | "**/*.json"
        )
    });
    if covered {
        return None;
    }
    let (range, with) = insert::json_push_edit(text, json, &["files"], "npm-shrinkwrap.json")
        .ok()
        .flatten()?;
    Some(Edit::replace(&file.path, range, with))
}

//! Install-script approvals that admit every version of a package (`"esbuild": true`) where
//! the package manager can pin the version that was reviewed: the next release of that package
//! runs its script unreviewed.
//!
//! Sources: npm `allowScripts` (11.16+; `name@x.y.z || a.b.c` keys, what `npm approve-scripts`
//! writes by default); pnpm `allowBuilds` (10.26+; `name@x.y.z || a.b.c`) and
//! `onlyBuiltDependencies` (versions from 10.19, removed in 11); yarn
//! `dependenciesMeta["name@x.y.z"].built` (one exact version per key). bun's
//! `trustedDependencies` takes names only and is not reported.

use chainward_core::fix::{Edit, Fix};
use chainward_core::{Finding, Project, Severity, SourceFile};

use crate::exclusions::{entry, locked_versions};
use crate::scripts::SCRIPTS_ALLOWED;
use chainward_npm::pm::{Pm, Root, Ver};

/// How a narrowed key is written back.
#[derive(Clone, Copy)]
enum Write {
    /// A JSON key: `"name@1.0.0 || 1.0.1"`.
    Json,
    /// A JSON key with exactly one version (yarn), else no fix.
    JsonOne,
    /// A quoted YAML scalar: `'name@1.0.0 || 1.0.1'`.
    Yaml,
}

/// The project's package.json and the members of its top-level object `key`.
fn manifest_object<'a>(
    root: &'a Root,
    key: &str,
) -> Option<(&'a SourceFile, &'a [chainward_core::json::Member])> {
    let manifest = root.manifest.as_deref()?;
    let pj = chainward_npm::package_json(manifest)?;
    Some((manifest, pj.json.member(key)?.value.as_object()?))
}

pub(crate) fn check(project: &Project, root: &Root, out: &mut Vec<Finding>) {
    let v = root.version;
    let mut report = |file: &SourceFile,
                      name: &str,
                      list: &str,
                      span: std::ops::Range<usize>,
                      write: Write| {
        let versions = locked_versions(root, name);
        let pinned = format!("{name}@{}", versions.join(" || "));
        let replacement = match write {
            _ if versions.is_empty() => None,
            Write::JsonOne if versions.len() > 1 => None,
            Write::Json | Write::JsonOne => serde_json::to_string(&pinned).ok(),
            Write::Yaml => Some(format!("'{pinned}'")),
        };
        out.push(
            Finding::new(
                &SCRIPTS_ALLOWED,
                file,
                span.clone(),
                format!(
                    "`{name}` in `{list}` approves the install scripts of every version of {name}, including releases nobody has reviewed yet"
                ),
            )
            .with_severity(Severity::Info)
            .with_help(format!("approve the version you reviewed: `{name}@<version>`"))
            .with_fix_opt(replacement.map(|r| {
                Fix::unsafe_(
                    format!("approve only the locked versions: `{pinned}`"),
                    vec![Edit::replace(&file.path, span, r)],
                )
            })),
        );
    };
    match root.pm {
        Pm::Npm => {
            let Some((manifest, members)) = manifest_object(root, "allowScripts") else {
                return;
            };
            if !root.reads(Ver(11, 16, 0), true) {
                return;
            }
            for m in members {
                let e = entry(&m.key, m.key_span.clone());
                if (e.bare || e.text.ends_with("@*")) && m.value.as_bool() == Some(true) {
                    report(
                        manifest,
                        &e.name,
                        "allowScripts",
                        m.key_span.clone(),
                        Write::Json,
                    );
                }
            }
        }
        Pm::Pnpm => {
            let ws = |key| root.yaml_setting(project, "pnpm-workspace.yaml", key);
            if root.reads(Ver(10, 26, 0), true)
                && let Some((file, _, node)) = ws("allowBuilds")
            {
                for (key, value) in node.as_map().unwrap_or_default() {
                    let e = entry(key.as_str().unwrap_or_default(), key.span.clone());
                    if e.bare && !e.name.is_empty() && value.as_str() == Some("true") {
                        report(&file, &e.name, "allowBuilds", key.span.clone(), Write::Yaml);
                    }
                }
            }
            if v.at_least(10, 19, 0)
                && !v.at_least(11, 0, 0)
                && let Some((file, _, node)) = ws("onlyBuiltDependencies")
            {
                for item in node.as_seq().unwrap_or_default() {
                    let e = entry(item.as_str().unwrap_or_default(), item.span.clone());
                    if e.bare && !e.name.is_empty() {
                        let list = "onlyBuiltDependencies";
                        report(&file, &e.name, list, item.span.clone(), Write::Yaml);
                    }
                }
            }
        }
        Pm::YarnBerry => {
            let Some((manifest, members)) = manifest_object(root, "dependenciesMeta") else {
                return;
            };
            for m in members {
                let e = entry(&m.key, m.key_span.clone());
                let built = m.value.member("built").and_then(|b| b.value.as_bool());
                if e.bare && built == Some(true) {
                    let list = "dependenciesMeta";
                    report(manifest, &e.name, list, m.key_span.clone(), Write::JsonOne);
                }
            }
        }
        _ => {}
    }
}

//! Approvals of install scripts, from every allowlist users already keep, and chainward's own
//! (where each entry must carry a reason).

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use chainward_core::config::{PluginConfig, Span};
use chainward_core::json::Json;
use chainward_core::yaml::{self, Yaml};
use chainward_core::{Error, Project, SourceFile};
use chainward_npm::lockfile::split_name;
use chainward_npm::package_json;

/// Where an approval is written.
#[derive(Debug, Clone)]
pub enum Place {
    /// chainward.toml, at this span.
    Config(Span),
    /// package.json or pnpm-workspace.yaml, at this span.
    File(Arc<SourceFile>, Range<usize>),
}

/// One allowlist entry.
#[derive(Debug, Clone)]
pub struct Approval {
    /// The allowlist, as users know it (`chainward.toml`, `pnpm.onlyBuiltDependencies`).
    pub source: String,
    pub package: String,
    /// A version range the entry is limited to.
    pub range: Option<String>,
    /// `false` for a denial (`neverBuiltDependencies`, `"pkg": false`).
    pub allow: bool,
    pub place: Place,
}

impl Approval {
    pub fn matches(&self, name: &str, version: &str) -> bool {
        if self.package != name {
            return false;
        }
        match &self.range {
            None => true,
            Some(range) => chainward_npm::spec::satisfies(version, range).unwrap_or(false),
        }
    }
}

/// chainward.toml's `[[install-scripts.allow]]`: `package`, optional `version` (a range) and a
/// required `reason`. Errors name the line.
pub fn from_config(config: &PluginConfig) -> Result<Vec<Approval>, Error> {
    let mut out = Vec::new();
    for entry in config.get_table_array("allow")? {
        for (key, _, span) in &entry.values {
            if !["package", "version", "reason"].contains(&key.as_str()) {
                return Err(config.error(
                    span.clone(),
                    format!("unknown key `{key}` in [[install-scripts.allow]] (known: package, version, reason)"),
                ));
            }
        }
        let (package, _) = entry.get("package").ok_or_else(|| {
            config.error(
                entry.span.clone(),
                "[[install-scripts.allow]] needs `package`",
            )
        })?;
        // The reason is for the reviewer of chainward.toml: required, not otherwise used.
        match entry.get("reason") {
            Some((r, _)) if !r.trim().is_empty() => {}
            Some((_, span)) => {
                return Err(config.error(span, format!("the approval of `{package}` has an empty `reason`: say why its install script is trusted")));
            }
            None => {
                return Err(config.error(entry.span.clone(), format!("the approval of `{package}` has no `reason`: every [[install-scripts.allow]] entry must say why the script is trusted")));
            }
        }
        let range = match entry.get("version") {
            Some((v, span)) => {
                if chainward_npm::spec::parse_range(v).is_none() {
                    return Err(config.error(
                        span,
                        format!("`version = \"{v}\"` for `{package}` is not a valid semver range"),
                    ));
                }
                Some(v.to_string())
            }
            None => None,
        };
        out.push(Approval {
            source: "chainward.toml".into(),
            package: package.to_string(),
            range,
            allow: true,
            place: Place::Config(entry.span.clone()),
        });
    }
    Ok(out)
}

/// `name` or `name@range` (a leading `@` is a scope).
fn selector(key: &str) -> (String, Option<String>) {
    match split_name(key) {
        Some((name, range)) if !range.is_empty() => (name.to_string(), Some(range.to_string())),
        _ => (key.to_string(), None),
    }
}

/// An entry of a package manager's own allowlist (no reason: those lists have no place for one).
fn native(
    source: &str,
    key: &str,
    allow: bool,
    file: &Arc<SourceFile>,
    span: Range<usize>,
) -> Approval {
    let (package, range) = selector(key);
    Approval {
        source: source.to_string(),
        package,
        range,
        allow,
        place: Place::File(Arc::clone(file), span),
    }
}

/// The allowlists in a project's root package.json and pnpm-workspace.yaml (in `dir`).
pub fn from_project(project: &Project, dir: &Path) -> Vec<Approval> {
    let mut out = Vec::new();
    let at = |name: &str| {
        if dir.as_os_str().is_empty() || dir == Path::new(".") {
            Path::new(name).to_path_buf()
        } else {
            dir.join(name)
        }
    };
    if let Some(file) = project.file_at(&at("package.json"))
        && let Some(pj) = package_json(&file)
    {
        let json = &pj.json;
        let mut push = |source: &str, key: &str, allow: bool, span: Range<usize>| {
            out.push(native(source, key, allow, &file, span));
        };
        // npm `allowScripts`: `"pkg@1.2.3": true` approves, `"pkg": false` denies.
        bool_map(json.get("allowScripts"), &mut |k, allow, span| {
            push("npm allowScripts", k, allow, span)
        });
        // bun
        names(json.get("trustedDependencies"), &mut |k, span| {
            push("bun trustedDependencies", k, true, span)
        });
        // pnpm (package.json `pnpm` field)
        if let Some(pnpm) = json.get("pnpm") {
            names(pnpm.get("onlyBuiltDependencies"), &mut |k, span| {
                push("pnpm.onlyBuiltDependencies", k, true, span)
            });
            names(pnpm.get("neverBuiltDependencies"), &mut |k, span| {
                push("pnpm.neverBuiltDependencies", k, false, span)
            });
            bool_map(pnpm.get("allowBuilds"), &mut |k, allow, span| {
                push("pnpm.allowBuilds", k, allow, span)
            });
        }
        // yarn: `dependenciesMeta.<pkg>.built`
        for m in json
            .get("dependenciesMeta")
            .and_then(Json::as_object)
            .unwrap_or_default()
        {
            if let Some(built) = m.value.get("built").and_then(Json::as_bool) {
                push(
                    "yarn dependenciesMeta.built",
                    &m.key,
                    built,
                    m.key_span.clone(),
                );
            }
        }
        // LavaMoat: keys are dependency paths (`a>b>pkg`); the last one is the package.
        bool_map(
            json.get("lavamoat").and_then(|l| l.get("allowScripts")),
            &mut |k, allow, span| {
                let last = k.rsplit('>').next().unwrap_or(k);
                push("lavamoat.allowScripts", last, allow, span)
            },
        );
    }
    if let Some(file) = project.file_at(&at("pnpm-workspace.yaml"))
        && let Some(doc) = yaml::parsed(&file)
    {
        let mut push = |source: &str, key: &str, allow: bool, span: Range<usize>| {
            out.push(native(source, key, allow, &file, span));
        };
        for (key, allow) in [
            ("onlyBuiltDependencies", true),
            ("neverBuiltDependencies", false),
        ] {
            for item in doc.get(key).and_then(Yaml::as_seq).unwrap_or_default() {
                if let Some(name) = item.as_str() {
                    push(
                        &format!("pnpm-workspace.yaml {key}"),
                        name,
                        allow,
                        item.span.clone(),
                    );
                }
            }
        }
        for (k, v) in doc
            .get("allowBuilds")
            .map(Yaml::entries)
            .into_iter()
            .flatten()
        {
            let allow = v.as_str() == Some("true");
            push("pnpm-workspace.yaml allowBuilds", k, allow, v.span.clone());
        }
    }
    out
}

fn bool_map(node: Option<&Json>, f: &mut dyn FnMut(&str, bool, Range<usize>)) {
    for m in node.and_then(Json::as_object).unwrap_or_default() {
        if let Some(allow) = m.value.as_bool() {
            f(&m.key, allow, m.key_span.clone());
        }
    }
}

fn names(node: Option<&Json>, f: &mut dyn FnMut(&str, Range<usize>)) {
    for item in node.and_then(Json::as_array).unwrap_or_default() {
        if let Some(name) = item.as_str() {
            f(name, item.span.clone());
        }
    }
}

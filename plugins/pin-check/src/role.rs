//! What a package.json is for, which decides whether its runtime ranges are findings.
//!
//! Exact versions protect what *runs*. An application runs from its own lockfile; a published
//! executable (`bin`, an MCP server) runs from whatever its package.json ranges resolve to on the
//! user's machine, because npm ignores a published package's package-lock.json (it honours only
//! npm-shrinkwrap.json). A library is installed into other projects, whose lockfiles decide its
//! dependencies' versions: exact pins there duplicate packages in every consumer and are not the
//! ecosystem's practice, so its `dependencies`, `optionalDependencies` and `peerDependencies`
//! ranges are not reported (its `devDependencies` are: they run in its own CI).

use std::path::Path;

use chainward_core::config::PluginConfig;
use chainward_core::{Error, Project, SourceFile};
use chainward_npm::PackageJson;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Private, unpublished, or the root of an app: runs from its lockfile.
    Application,
    /// Published and run by its users (`bin`, `mcpName`, a server.json beside it).
    Executable,
    /// Published for other packages to depend on (`main`, `exports`, `types`, `files`…, no
    /// `bin`).
    Library,
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "application" => Ok(Role::Application),
            "executable" => Ok(Role::Executable),
            "library" => Ok(Role::Library),
            other => Err(format!(
                "unknown role `{other}` (expected application, executable or library)"
            )),
        }
    }
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Application => "an application",
            Role::Executable => "a published executable",
            Role::Library => "a library",
        }
    }
}

/// `[pin-check.roles]`: a package's folder (relative to the root, `.` for the root) or its
/// name → its role, where the manifest does not say it well enough.
#[derive(Debug, Clone, Default)]
pub(crate) struct Roles(Vec<(String, Role)>);

impl Roles {
    pub(crate) fn from_config(config: &PluginConfig) -> Result<Self, Error> {
        config
            .get_string_table("roles")?
            .into_iter()
            .map(|(key, value, span)| {
                let role = value.parse().map_err(|m: String| config.error(span, m))?;
                Ok((key, role))
            })
            .collect::<Result<_, Error>>()
            .map(Roles)
    }

    /// The role configured for the package in `file`, by folder or by name.
    fn configured(&self, file: &SourceFile, pj: &PackageJson) -> Option<Role> {
        self.configured_for(file, pj.name())
    }

    /// The role configured for the package in `file` named `name`, by folder or by name.
    pub(crate) fn configured_for(&self, file: &SourceFile, name: Option<&str>) -> Option<Role> {
        let folder = Path::new(&file.rel)
            .parent()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| ".".to_string());
        self.0
            .iter()
            .find(|(key, _)| {
                key.trim_end_matches('/') == folder
                    || key.trim_start_matches("./").trim_end_matches('/') == folder
                    || Some(key.as_str()) == name
            })
            .map(|(_, role)| *role)
    }
}

/// The role of the package in `file`: configured, else read from its manifest.
pub(crate) fn role(project: &Project, file: &SourceFile, pj: &PackageJson, roles: &Roles) -> Role {
    if let Some(role) = roles.configured(file, pj) {
        return role;
    }
    let json = &pj.json;
    let has = |key: &str| json.member(key).is_some();
    // npm refuses to publish when `private` is truthy in JavaScript's sense
    // (libnpmpublish: `if (manifest.private)`): `"true"`, and even `"false"`, count.
    if json.member("private").is_some_and(|m| is_truthy(&m.value)) {
        return Role::Application;
    }
    let bin = json.member("bin").is_some_and(|m| {
        m.value.as_str().is_some_and(|s| !s.is_empty())
            || m.value
                .as_object()
                .is_some_and(|members| !members.is_empty())
    });
    let server_json = file
        .path
        .parent()
        .is_some_and(|dir| project.read_bytes(&dir.join("server.json")).is_some());
    if bin || has("mcpName") || server_json {
        return Role::Executable;
    }
    let published_shape = [
        "main",
        "exports",
        "module",
        "types",
        "typings",
        "files",
        "publishConfig",
    ]
    .iter()
    .any(|k| has(k));
    if pj.name().is_some() && has("version") && published_shape {
        Role::Library
    } else {
        Role::Application
    }
}

/// JavaScript's truthiness of a JSON value.
fn is_truthy(value: &chainward_core::json::Json) -> bool {
    use chainward_core::json::JsonValue;
    match &value.value {
        JsonValue::Null => false,
        JsonValue::Bool(b) => *b,
        JsonValue::String(s) => !s.is_empty(),
        JsonValue::Number(n) => n.parse::<f64>().is_ok_and(|x| x != 0.0 && !x.is_nan()),
        JsonValue::Array(_) | JsonValue::Object(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::is_truthy;

    #[test]
    fn private_is_truthy_as_npm_reads_it() {
        for (text, truthy) in [
            ("true", true),
            ("\"true\"", true),
            ("\"false\"", true),
            ("\"\"", false),
            ("false", false),
            ("null", false),
            ("0", false),
            ("1", true),
            ("0.0", false),
            ("{}", true),
        ] {
            let json = chainward_core::json::parse(text).expect("json");
            assert_eq!(is_truthy(&json), truthy, "{text}");
        }
    }
}

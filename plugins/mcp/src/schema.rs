//! `mcp/invalid-server-json`: server.json against the registry's JSON schema for the version its
//! `$schema` names, and the registry's own checks beyond the schema that refuse a publish.

use std::sync::OnceLock;

use chainward_core::json::{Json, JsonValue};
use chainward_core::mcp::{Package, ServerJson};
use chainward_core::{Finding, Fixability, Rule, Severity, SourceFile};

pub(crate) static INVALID_SERVER_JSON: Rule = Rule {
    id: "mcp/invalid-server-json",
    code: "MCP001",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "server.json is not what the MCP registry accepts",
    doc: r#"`mcp-publisher publish` sends server.json to the MCP registry, which refuses a file
without `$schema`, with a schema version it does not know (`draft`), a `version` of `latest` or a
range (`^1.2.0`), a `fileSha256` on anything but an `mcpb` package, or a `registryBaseUrl` other
than the package registry's own (`https://registry.npmjs.org`, `https://pypi.org`,
`https://api.nuget.org/v3/index.json`, `https://crates.io`; none for `oci` and `mcpb`). Its
`/validate` endpoint (what `mcp-publisher validate` calls) also checks the file against the JSON
schema of its version; chainward carries every version the registry knows (2025-07-09 to
2025-12-11, copied from the registry with their source) and reports each schema violation at its
line, offline. A file on an older schema version still publishes, with the registry's warning:
that is a warning here too.

```json
{
  "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
  "name": "io.github.acme/weather",
  "version": "1.2.0",
  "packages": [{ "registryType": "npm", "identifier": "@acme/weather-mcp", "version": "^1.2.0" }]
}
```

Here `version` is a range and the package has no `transport`.

A file named server.json that is not an MCP server's (no registry `$schema`, no registry package
entries) is not read.

**Fix.** Edit server.json as each finding says; `mcp-publisher validate` checks the result against
the registry. A file already in the current format whose `$schema` still names an older version
gets its `$schema` updated by `chainward fix` (safe).
"#,
};

/// The schema versions the registry knows, oldest first, with the schema it validates each with.
const SCHEMAS: &[(&str, &str)] = &[
    ("2025-07-09", include_str!("../schema/2025-07-09.json")),
    ("2025-09-16", include_str!("../schema/2025-09-16.json")),
    ("2025-09-29", include_str!("../schema/2025-09-29.json")),
    ("2025-10-11", include_str!("../schema/2025-10-11.json")),
    ("2025-10-17", include_str!("../schema/2025-10-17.json")),
    ("2025-12-11", include_str!("../schema/2025-12-11.json")),
];

/// The registry's current schema version (`CurrentSchemaVersion`).
pub(crate) const CURRENT: &str = "2025-12-11";

/// At most this many schema violations are reported per file (one mistake can break many rules).
const MAX_VIOLATIONS: usize = 20;

pub(crate) use chainward_core::mcp::url_version;

pub(crate) fn check(file: &SourceFile, server: &ServerJson, out: &mut Vec<Finding>) {
    let root = &server.json;
    let at_root = root.span.start..root.span.start + 1;
    let help_url = format!(
        "\"{}{CURRENT}/server.schema.json\"",
        chainward_core::mcp::SCHEMA_PREFIX
    );
    let current = SCHEMAS.iter().find(|(c, _)| *c == CURRENT);
    // The format the file is judged in: the current one unless it is in an older one.
    let mut format = CURRENT;
    match server.schema() {
        None => {
            // Judged in the version it breaks fewest rules of (the current one on a tie): what
            // the fix names.
            let best = SCHEMAS
                .iter()
                .rev()
                .map(|(v, t)| (*v, violations(file, v, t)))
                .min_by_key(|(_, found)| found.len());
            if let Some((v, found)) = best {
                format = v;
                let url = format!(
                    "\"{}{v}/server.schema.json\"",
                    chainward_core::mcp::SCHEMA_PREFIX
                );
                out.push(
                    Finding::new(
                        &INVALID_SERVER_JSON,
                        file,
                        at_root.clone(),
                        "server.json has no `$schema`: the registry requires it to know which version of the format this is",
                    )
                    .with_help(format!("add \"$schema\": {url}"))
                    .with_fix_opt(add_schema(file, root, v).map(|(range, with)| {
                        chainward_core::Fix::safe(
                            format!("name schema version {v}"),
                            vec![chainward_core::Edit::replace(&file.path, range, with)],
                        )
                    })),
                );
                report(file, root, v, found, out);
            }
        }
        Some(schema) => {
            let url = schema.as_str().unwrap_or_default();
            let Some(version) = url_version(url) else {
                // Another registry's format (the plugin reads only the MCP registry's).
                return;
            };
            match SCHEMAS.iter().find(|(v, _)| *v == version) {
                Some((v, text)) if *v == CURRENT => {
                    report(file, root, v, violations(file, v, text), out);
                }
                Some((v, text)) => {
                    let found = violations(file, v, text);
                    // A file in the current format under an old `$schema` (the URL not updated
                    // when the fields were): one finding at `$schema`, not every renamed field.
                    let in_current = match current {
                        Some((c, t)) if !found.is_empty() => {
                            let in_current = violations(file, c, t);
                            (in_current.len() < found.len()).then_some((*c, in_current))
                        }
                        _ => None,
                    };
                    if let Some((c, in_current)) = in_current {
                        out.push(
                            Finding::new(
                                &INVALID_SERVER_JSON,
                                file,
                                schema.span.clone(),
                                format!("`$schema` names version {v}, but the file is in the {CURRENT} format (it breaks fewer of {CURRENT}'s rules than of {v}'s): `mcp-publisher validate` checks it against {v}"),
                            )
                            .with_severity(Severity::Warning)
                            .with_help(format!("set \"$schema\" to {help_url}"))
                            .with_fix(chainward_core::Fix::safe(
                                format!("name schema version {CURRENT}"),
                                vec![chainward_core::Edit::replace(&file.path, schema.span.clone(), help_url.clone())],
                            )),
                        );
                        report(file, root, c, in_current, out);
                    } else {
                        format = v;
                        let unknown = unknown_properties(root);
                        if unknown.is_empty() {
                            out.push(
                                Finding::new(
                                    &INVALID_SERVER_JSON,
                                    file,
                                    schema.span.clone(),
                                    format!("schema version {v} is not the registry's current one ({CURRENT}): the registry warns about it"),
                                )
                                .with_severity(Severity::Warning)
                                .with_help(format!("migrate to {CURRENT} (the registry's docs/reference/server-json/CHANGELOG.md lists the changes)")),
                            );
                        } else {
                            let mut names: Vec<&str> =
                                unknown.iter().map(|u| u.key.as_str()).collect();
                            names.sort_unstable();
                            names.dedup();
                            let shown: Vec<String> =
                                names.iter().take(5).map(|n| format!("`{n}`")).collect();
                            let more = names.len().saturating_sub(5);
                            out.push(
                                Finding::new(
                                    &INVALID_SERVER_JSON,
                                    file,
                                    schema.span.clone(),
                                    format!(
                                        "schema version {v}: the registry reads server.json in its current format ({CURRENT}) whatever `$schema` says, and refuses properties that format does not have: {}{}",
                                        shown.join(", "),
                                        if more > 0 { format!(" and {more} more") } else { String::new() }
                                    ),
                                )
                                .with_help(format!("migrate to {CURRENT} (the registry's docs/reference/server-json/CHANGELOG.md lists the renames)")),
                            );
                        }
                        report(file, root, v, found, out);
                    }
                }
                // A dated version newer than every one chainward carries: a newer registry may
                // know it.
                None if version.len() == 10 && version > CURRENT && version.starts_with("20") => {
                    out.push(
                        Finding::new(
                            &INVALID_SERVER_JSON,
                            file,
                            schema.span.clone(),
                            format!("schema version {version} is newer than the ones chainward carries (up to {CURRENT}): not validated"),
                        )
                        .with_severity(Severity::Info),
                    );
                    return;
                }
                None => {
                    out.push(
                        Finding::new(
                            &INVALID_SERVER_JSON,
                            file,
                            schema.span.clone(),
                            format!("the registry does not know schema version `{version}`: it refuses the file"),
                        )
                        .with_help(format!("use {help_url}")),
                    );
                }
            }
        }
    }
    if format == CURRENT {
        for u in unknown_properties(root).into_iter().take(MAX_VIOLATIONS) {
            out.push(
                Finding::new(
                    &INVALID_SERVER_JSON,
                    file,
                    u.span,
                    format!("`{}` has the property `{}`, which the registry's {CURRENT} format does not have: its publish endpoint refuses the file (422 unexpected property)", u.at, u.key),
                )
                .with_help("remove it, or move it under `_meta` (free-form)")
                .with_subject(format!("{}/{}", u.at, u.key)),
            );
        }
    }
    semantic(file, server, format, out);
}

/// A property the current format does not have.
struct Unknown {
    /// JSON pointer of the object holding it.
    at: String,
    key: String,
    span: std::ops::Range<usize>,
}

/// The properties of the file that the registry's current format has no place for: its
/// publish endpoint decodes the body into that model and refuses any other (the JSON schemas
/// leave objects open; the registry does not). Objects the schema leaves free (`_meta`,
/// `headers` values…) are not looked into.
fn unknown_properties(root: &Json) -> Vec<Unknown> {
    static SCHEMA: OnceLock<Option<serde_json::Value>> = OnceLock::new();
    let Some(schema) = SCHEMA
        .get_or_init(|| {
            let (_, text) = SCHEMAS.iter().find(|(v, _)| *v == CURRENT)?;
            serde_json::from_str(text).ok()
        })
        .as_ref()
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(schema, schema, root, String::new(), 0, &mut out);
    out
}

fn resolve<'a>(root: &'a serde_json::Value, mut s: &'a serde_json::Value) -> &'a serde_json::Value {
    for _ in 0..32 {
        match s.get("$ref").and_then(serde_json::Value::as_str) {
            Some(r) => match r.strip_prefix('#').map(|p| root.pointer(p)) {
                Some(Some(target)) => s = target,
                _ => break,
            },
            None => break,
        }
    }
    s
}

/// The schemas a node must or may satisfy: itself and its `allOf`/`anyOf`/`oneOf` branches,
/// `$ref`s followed.
fn branches<'a>(
    root: &'a serde_json::Value,
    s: &'a serde_json::Value,
    depth: usize,
    out: &mut Vec<&'a serde_json::Value>,
) {
    let s = resolve(root, s);
    if depth > 16 {
        return;
    }
    out.push(s);
    for key in ["allOf", "anyOf", "oneOf"] {
        for b in s
            .get(key)
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
        {
            branches(root, b, depth + 1, out);
        }
    }
}

fn walk(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    node: &Json,
    at: String,
    depth: usize,
    out: &mut Vec<Unknown>,
) {
    if depth > 32 {
        return;
    }
    let mut all = Vec::new();
    branches(root, schema, 0, &mut all);
    match &node.value {
        JsonValue::Object(members) => {
            // Open when a branch admits other keys, or none names any.
            let open = all.iter().any(|s| {
                s.get("additionalProperties")
                    .is_some_and(|a| a != &serde_json::Value::Bool(false))
                    || s.get("patternProperties").is_some()
            }) || !all.iter().any(|s| s.get("properties").is_some());
            for m in members {
                let property = all
                    .iter()
                    .find_map(|s| s.get("properties").and_then(|p| p.get(&m.key)));
                match property {
                    Some(p) => walk(root, p, &m.value, format!("{at}/{}", m.key), depth + 1, out),
                    None if !open => out.push(Unknown {
                        at: if at.is_empty() {
                            "/".to_string()
                        } else {
                            at.clone()
                        },
                        key: m.key.clone(),
                        span: m.key_span.clone(),
                    }),
                    None => {}
                }
            }
        }
        JsonValue::Array(items) => {
            if let Some(item) = all.iter().find_map(|s| s.get("items")) {
                for (i, v) in items.iter().enumerate() {
                    walk(root, item, v, format!("{at}/{i}"), depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

/// `"$schema": "<current>",` as the first member of the root object, in the file's indentation.
fn add_schema(
    file: &SourceFile,
    root: &Json,
    version: &str,
) -> Option<(std::ops::Range<usize>, String)> {
    let text = file.text().ok()?;
    let first = root.as_object()?.first()?;
    let line_start = text[..first.key_span.start]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent = &text[line_start..first.key_span.start];
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let member = format!(
        "\"$schema\": \"{}{version}/server.schema.json\",",
        chainward_core::mcp::SCHEMA_PREFIX
    );
    if indent.chars().all(|c| c == ' ' || c == '\t') && line_start > root.span.start {
        Some((line_start..line_start, format!("{indent}{member}{nl}")))
    } else {
        Some((
            first.key_span.start..first.key_span.start,
            format!("{member} "),
        ))
    }
}

fn compiled(version: &str, text: &str) -> Option<&'static (boon::Schemas, boon::SchemaIndex)> {
    // One slot per carried version, compiled on first use.
    static COMPILED: [OnceLock<Option<(boon::Schemas, boon::SchemaIndex)>>; 6] =
        [const { OnceLock::new() }; 6];
    let i = SCHEMAS.iter().position(|(v, _)| *v == version)?;
    COMPILED
        .get(i)?
        .get_or_init(|| {
            let value: serde_json::Value = serde_json::from_str(text).ok()?;
            let id = value["$id"].as_str()?.to_string();
            let mut compiler = boon::Compiler::new();
            compiler.add_resource(&id, value).ok()?;
            let mut schemas = boon::Schemas::new();
            let index = compiler.compile(&id, &mut schemas).ok()?;
            Some((schemas, index))
        })
        .as_ref()
}

/// The schema violations of the file as (instance pointer, message), sorted.
fn violations(
    file: &SourceFile,
    version: &'static str,
    text: &'static str,
) -> Vec<(String, String)> {
    let Some((schemas, index)) = compiled(version, text) else {
        return Vec::new();
    };
    let text = file.text().unwrap_or_default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Ok(instance) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let Err(error) = schemas.validate(&instance, *index) else {
        return Vec::new();
    };
    let mut leaves = Vec::new();
    collect(&error.detailed_output(), &mut leaves);
    if leaves.is_empty() {
        leaves.push((String::new(), error.to_string()));
    }
    leaves.sort();
    leaves.dedup();
    leaves
}

fn report(
    file: &SourceFile,
    root: &Json,
    version: &str,
    leaves: Vec<(String, String)>,
    out: &mut Vec<Finding>,
) {
    let total = leaves.len();
    for (pointer, message) in leaves.into_iter().take(MAX_VIOLATIONS) {
        let node = locate(root, &pointer);
        let shown = if pointer.is_empty() {
            "/".to_string()
        } else {
            pointer
        };
        out.push(
            Finding::new(
                &INVALID_SERVER_JSON,
                file,
                node.span.clone(),
                format!("`{shown}` fails the registry's {version} schema: {message}"),
            )
            .with_subject(format!("{shown}: {message}")),
        );
    }
    if total > MAX_VIOLATIONS {
        let at = root.span.start..root.span.start + 1;
        out.push(Finding::new(
            &INVALID_SERVER_JSON,
            file,
            at,
            format!(
                "{} more schema violations not shown",
                total - MAX_VIOLATIONS
            ),
        ));
    }
}

/// The leaf errors of boon's detailed output: (instance pointer, message).
fn collect(unit: &boon::OutputUnit<'_, '_, '_>, out: &mut Vec<(String, String)>) {
    match &unit.error {
        boon::OutputError::Leaf(kind) => {
            out.push((unit.instance_location.to_string(), kind.to_string()));
        }
        boon::OutputError::Branch(children) => {
            for child in children {
                collect(child, out);
            }
        }
    }
}

/// The deepest node a JSON pointer reaches.
fn locate<'a>(root: &'a Json, pointer: &str) -> &'a Json {
    let mut node = root;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let next = match &node.value {
            JsonValue::Object(_) => node.get(&token),
            JsonValue::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}

/// What the registry's own package registry for a type is (`registryBaseUrl` must be it, or
/// absent); `None` for the types that take no base URL.
fn base_url(registry_type: &str) -> Option<Option<&'static str>> {
    Some(match registry_type {
        "npm" => Some("https://registry.npmjs.org"),
        "pypi" => Some("https://pypi.org"),
        "nuget" => Some("https://api.nuget.org/v3/index.json"),
        "cargo" => Some("https://crates.io"),
        "oci" | "mcpb" => None,
        _ => return None,
    })
}

/// The registry's checks beyond the schema that refuse a publish.
fn semantic(file: &SourceFile, server: &ServerJson, format: &str, out: &mut Vec<Finding>) {
    if let Some(v) = server.version() {
        version_value(file, v, "version", out);
    }
    for (i, package) in server.packages().enumerate() {
        semantic_package(file, i, package, format, out);
    }
}

fn semantic_package(
    file: &SourceFile,
    i: usize,
    package: Package<'_>,
    format: &str,
    out: &mut Vec<Finding>,
) {
    let Some(kind) = package.registry_type() else {
        return;
    };
    // The registry reads an empty string as absent.
    fn present(n: Option<&Json>) -> Option<&Json> {
        n.filter(|n| n.as_str() != Some(""))
    }
    if let Some(v) = package.version() {
        version_value(file, v, &format!("packages[{i}].version"), out);
    }
    if matches!(kind, "npm" | "pypi" | "nuget" | "cargo")
        && present(package.version()).is_none()
        && format >= "2025-10-11"
    {
        let at = package
            .identifier()
            .map_or(package.node.span.clone(), |n| n.span.clone());
        out.push(
            Finding::new(
                &INVALID_SERVER_JSON,
                file,
                at,
                format!("packages[{i}] (`{kind}`) has no `version`: the registry requires one for {kind} packages (it reads the published package of that version)"),
            )
            .with_help("add the exact version the package is published at"),
        );
    }
    if kind != "mcpb"
        && let Some(sha) = present(package.file_sha256())
    {
        out.push(Finding::new(
            &INVALID_SERVER_JSON,
            file,
            sha.span.clone(),
            format!("packages[{i}] (`{kind}`): the registry refuses `fileSha256` on anything but an `mcpb` package"),
        ).with_help("remove `fileSha256` (the package registry's own integrity applies)"));
    }
    let given = present(
        package
            .node
            .get("registryBaseUrl")
            .or_else(|| package.node.get("registry_base_url")),
    );
    if let (Some(expected), Some(given)) = (base_url(kind), given) {
        let url = given.as_str().unwrap_or_default();
        match expected {
            Some(e) if url != e => out.push(Finding::new(
                &INVALID_SERVER_JSON,
                file,
                given.span.clone(),
                format!("packages[{i}] (`{kind}`): the registry accepts only `{e}` as `registryBaseUrl`"),
            ).with_help("remove `registryBaseUrl` or set it to the registry's own")),
            None => out.push(Finding::new(
                &INVALID_SERVER_JSON,
                file,
                given.span.clone(),
                format!("packages[{i}] (`{kind}`): the registry refuses a `registryBaseUrl` on `{kind}` packages"),
            ).with_help("remove `registryBaseUrl`")),
            _ => {}
        }
    }
    // Versions before 2025-10-11 required `version` on every package.
    if kind == "oci"
        && format >= "2025-10-11"
        && let Some(v) = present(package.version())
    {
        out.push(Finding::new(
            &INVALID_SERVER_JSON,
            file,
            v.span.clone(),
            format!("packages[{i}] (`oci`): the registry refuses `version` on an image (the tag or digest goes in `identifier`)"),
        ).with_help("move the version into `identifier` (`ghcr.io/acme/server:1.2.0`)"));
    }
}

/// `latest` and ranges, which the registry refuses as versions.
fn version_value(file: &SourceFile, node: &Json, what: &str, out: &mut Vec<Finding>) {
    let Some(v) = node.as_str() else { return };
    let message = if v == "latest" {
        format!("{what} is `latest`, which the registry reserves and refuses")
    } else if looks_like_range(v) {
        format!("{what} `{v}` is a range: the registry takes only a specific version")
    } else {
        return;
    };
    out.push(
        Finding::new(&INVALID_SERVER_JSON, file, node.span.clone(), message)
            .with_help("write the exact version that is published"),
    );
}

/// A version the registry refuses whatever the package is at (`latest`, a range): reported by
/// this rule, not compared with the package's.
pub(crate) fn refused_version(node: &Json) -> bool {
    node.as_str()
        .is_some_and(|v| v == "latest" || looks_like_range(v))
}

/// The registry's range shapes: a comparator (`^1.2`, `>=1.0.0`), a hyphen range
/// (`1.0 - 2.0`), alternatives (`1.0 || 2.0`), a wildcard (`1.x`, `1.*`).
fn looks_like_range(v: &str) -> bool {
    // The registry's own patterns (internal/validators/utils.go).
    static RANGES: std::sync::LazyLock<Vec<regex::Regex>> = std::sync::LazyLock::new(|| {
        const VER: &str = r"v?\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z.-]+)?";
        [
            format!(r"^\s*(?:\^|~|>=|<=|>|<|=)\s*{VER}\s*$"),
            format!(r"^\s*{VER}\s-\s*{VER}\s*$"),
            format!(r"^\s*(?:{VER}\s*)(?:\|\|\s*{VER}\s*)+$"),
            r"^\s*(?:v?\d+|x|X|\*)(?:\.(?:\d+|x|X|\*)){1,2}(?:-[0-9A-Za-z.-]+)?\s*$".to_string(),
        ]
        .iter()
        .filter_map(|p| regex::Regex::new(p).ok())
        .collect()
    });
    RANGES
        .iter()
        .enumerate()
        .any(|(i, r)| r.is_match(v) && (i < 3 || v.contains(['x', 'X', '*'])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_the_registry_sees_them() {
        for range in [
            "^1.2.0",
            "~1.2",
            ">=1.0.0",
            "1.0.0 - 2.0.0",
            "1.0 || 2.0",
            "1.x",
            "1.2.*",
            "v1.X",
        ] {
            assert!(looks_like_range(range), "{range}");
        }
        for version in ["1.2.0", "0.0.79", "3.0.0-prerelease.2", "2025.12.1"] {
            assert!(!looks_like_range(version), "{version}");
        }
    }

    #[test]
    fn every_carried_schema_compiles() {
        for (version, text) in SCHEMAS {
            assert!(compiled(version, text).is_some(), "{version}");
        }
        assert_eq!(SCHEMAS.last().map(|(v, _)| *v), Some(CURRENT));
    }
}

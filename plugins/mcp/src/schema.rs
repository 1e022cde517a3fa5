//! `mcp/invalid-server-json`: server.json against the registry's JSON schema for the version its
//! `$schema` names, and the registry's own checks beyond the schema that refuse a publish.

use std::collections::HashMap;
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

/// The version in a `$schema` URL, as the registry reads it: the path segment before
/// `/server.schema.json` after `/schemas/`, on any host.
pub(crate) fn url_version(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("/schemas/")?;
    let (version, file) = rest.split_once('/')?;
    (file == "server.schema.json"
        && !version.is_empty()
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_~.-".contains(&b)))
    .then_some(version)
}

pub(crate) fn check(file: &SourceFile, server: &ServerJson, out: &mut Vec<Finding>) {
    let root = &server.json;
    let at_root = root.span.start..root.span.start + 1;
    let Some(schema) = server.schema() else {
        out.push(
            Finding::new(
                &INVALID_SERVER_JSON,
                file,
                at_root,
                "server.json has no `$schema`: the registry requires it to know which version of the format this is",
            )
            .with_help(format!(
                "add \"$schema\": \"{}{CURRENT}/server.schema.json\"",
                chainward_core::mcp::SCHEMA_PREFIX
            ))
            .with_fix_opt(add_schema(file, root).map(|(range, with)| {
                chainward_core::Fix::safe(
                    format!("name schema version {CURRENT}"),
                    vec![chainward_core::Edit::replace(&file.path, range, with)],
                )
            })),
        );
        // Judged as the current version, which the fix names.
        if let Some((c, t)) = SCHEMAS.iter().find(|(c, _)| *c == CURRENT) {
            report(file, root, c, violations(file, c, t), out);
        }
        semantic(file, server, CURRENT, out);
        return;
    };
    let mut format = CURRENT;
    let url = schema.as_str().unwrap_or_default();
    match url_version(url) {
        None => out.push(Finding::new(
            &INVALID_SERVER_JSON,
            file,
            schema.span.clone(),
            "`$schema` is not a registry schema URL (`…/schemas/<version>/server.schema.json`): the registry cannot tell the version",
        ).with_help(format!("use \"{}{CURRENT}/server.schema.json\"", chainward_core::mcp::SCHEMA_PREFIX))),
        Some(version) => match SCHEMAS.iter().find(|(v, _)| *v == version) {
            Some((v, text)) => {
                let found = violations(file, v, text);
                let current = SCHEMAS.iter().find(|(c, _)| *c == CURRENT);
                // A file in the current format under an old `$schema` (the URL not updated when
                // the fields were): one finding at `$schema`, not every renamed field.
                let in_current = match current {
                    Some((c, t)) if *v != CURRENT && !found.is_empty() => {
                        let in_current = violations(file, c, t);
                        (in_current.len() < found.len()).then_some((*c, in_current))
                    }
                    _ => None,
                };
                if let Some((c, in_current)) = in_current {
                    format = c;
                    out.push(
                        Finding::new(
                            &INVALID_SERVER_JSON,
                            file,
                            schema.span.clone(),
                            format!("`$schema` names version {v}, but the file is in the {CURRENT} format (it breaks fewer of {CURRENT}'s rules than of {v}'s): `mcp-publisher validate` checks it against {v}"),
                        )
                        .with_severity(Severity::Warning)
                        .with_help(format!("set \"$schema\" to \"{}{CURRENT}/server.schema.json\"", chainward_core::mcp::SCHEMA_PREFIX))
                        .with_fix(chainward_core::Fix::safe(
                            format!("name schema version {CURRENT}"),
                            vec![chainward_core::Edit::replace(
                                &file.path,
                                schema.span.clone(),
                                format!("\"{}{CURRENT}/server.schema.json\"", chainward_core::mcp::SCHEMA_PREFIX),
                            )],
                        )),
                    );
                    report(file, root, c, in_current, out);
                } else {
                    format = v;
                    if *v != CURRENT {
                        out.push(
                            Finding::new(
                                &INVALID_SERVER_JSON,
                                file,
                                schema.span.clone(),
                                format!("schema version {v} is not the registry's current one ({CURRENT}): the registry publishes it with a warning"),
                            )
                            .with_severity(Severity::Warning)
                            .with_help(format!("migrate to {CURRENT} (the registry's docs/reference/server-json/CHANGELOG.md lists the changes)")),
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
            }
            None => out.push(
                Finding::new(
                    &INVALID_SERVER_JSON,
                    file,
                    schema.span.clone(),
                    format!("the registry does not know schema version `{version}`: it refuses the file"),
                )
                .with_help(format!("use \"{}{CURRENT}/server.schema.json\"", chainward_core::mcp::SCHEMA_PREFIX)),
            ),
        },
    }
    semantic(file, server, format, out);
}

/// `"$schema": "<current>",` as the first member of the root object, in the file's indentation.
fn add_schema(file: &SourceFile, root: &Json) -> Option<(std::ops::Range<usize>, String)> {
    let text = file.text().ok()?;
    let first = root.as_object()?.first()?;
    let line_start = text[..first.key_span.start]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent = &text[line_start..first.key_span.start];
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let member = format!(
        "\"$schema\": \"{}{CURRENT}/server.schema.json\",",
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

fn compiled(
    version: &'static str,
    text: &'static str,
) -> Option<&'static (boon::Schemas, boon::SchemaIndex)> {
    static CACHE: OnceLock<
        std::sync::Mutex<HashMap<&'static str, &'static (boon::Schemas, boon::SchemaIndex)>>,
    > = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = map.get(version) {
        return Some(s);
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let id = value["$id"].as_str()?.to_string();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource(&id, value).ok()?;
    let mut schemas = boon::Schemas::new();
    let index = compiler.compile(&id, &mut schemas).ok()?;
    // Compiled once per version and process, kept for the process's life.
    let leaked: &'static (boon::Schemas, boon::SchemaIndex) = Box::leak(Box::new((schemas, index)));
    map.insert(version, leaked);
    Some(leaked)
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
    let Ok(instance) = serde_json::from_str::<serde_json::Value>(file.text().unwrap_or_default())
    else {
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
    if let Some(v) = package.version() {
        version_value(file, v, &format!("packages[{i}].version"), out);
    }
    if kind != "mcpb"
        && let Some(sha) = package.file_sha256()
    {
        out.push(Finding::new(
            &INVALID_SERVER_JSON,
            file,
            sha.span.clone(),
            format!("packages[{i}] (`{kind}`): the registry refuses `fileSha256` on anything but an `mcpb` package"),
        ).with_help("remove `fileSha256` (the package registry's own integrity applies)"));
    }
    let given = package
        .node
        .get("registryBaseUrl")
        .or_else(|| package.node.get("registry_base_url"));
    if let (Some(expected), Some(given)) = (base_url(kind), given) {
        let url = given.as_str().unwrap_or_default();
        match expected {
            Some(e) if url.trim_end_matches('/') != e => out.push(Finding::new(
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
        && let Some(v) = package.version()
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
    let v = v.trim();
    if v.starts_with(['^', '~', '>', '<', '=']) || v.contains("||") || v.contains(" - ") {
        return true;
    }
    let core = v.trim_start_matches('v');
    let core = core.split('-').next().unwrap_or(core);
    let parts: Vec<&str> = core.split('.').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().any(|p| matches!(*p, "x" | "X" | "*"))
        && parts
            .iter()
            .all(|p| matches!(*p, "x" | "X" | "*") || p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_in_schema_urls() {
        assert_eq!(
            url_version(
                "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
            ),
            Some("2025-12-11")
        );
        assert_eq!(
            url_version("https://example.com/schemas/draft/server.schema.json"),
            Some("draft")
        );
        assert_eq!(url_version("https://example.com/server.schema.json"), None);
    }

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
        for version in [
            "1.2.0",
            "0.0.79",
            "3.0.0-prerelease.2",
            "2025.12.1",
            "1.0.0-x.1",
        ] {
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

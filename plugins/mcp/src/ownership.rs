//! `mcp/ownership-missing`: the marker by which the MCP registry accepts that a package belongs
//! to the server: npm `mcpName`, `mcp-name: <name>` in a PyPI/NuGet/crates.io README, the OCI
//! label `io.modelcontextprotocol.server.name`.

use chainward_core::fix::{Edit, Fix};
use chainward_core::json::{Json, quote};
use chainward_core::mcp::{Package, ServerJson};
use chainward_core::{
    FileKind, Finding, Fixability, Location, Project, Rule, Severity, SourceFile,
};
use chainward_npm::manifest::package_json;

use crate::version::publishing_manifest;

pub(crate) static OWNERSHIP_MISSING: Rule = Rule {
    id: "mcp/ownership-missing",
    code: "MCP003",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "A package server.json lists does not carry the registry's ownership marker for the server",
    doc: r#"Before it lists a package, the MCP registry fetches it and looks for the server's
name in it, so that nobody can list someone else's package under their server:

| `registryType` | the registry reads | must hold |
|---|---|---|
| `npm` | the published package.json of that version | `"mcpName": "<name>"` |
| `pypi`, `nuget` | the package's README | `mcp-name: <name>` |
| `cargo` | the crate's README, rendered (HTML comments stripped) | `mcp-name: <name>` as visible text |
| `oci` | the image's config labels | `io.modelcontextprotocol.server.name=<name>` |

The comparison is exact and case-sensitive. Without the marker `mcp-publisher publish` fails after
the package is already published, so the fix needs a new release. chainward checks the package.json
in the tree that publishes the `npm` identifier (an error), and, for the others, the README beside
server.json (or at the root) and the Dockerfiles in the tree (warnings: the published README or
image may be built from other files).

```json
// server.json: "name": "io.github.acme/weather"
// package.json of @acme/weather-mcp: no "mcpName"
```

**Fix.** `chainward fix` adds `"mcpName"` to package.json (or corrects it), after `"name"`; for
the others add the line `mcp-name: <name>` to the README (an HTML comment `<!-- mcp-name: … -->`
works for PyPI and NuGet, not crates.io) or `LABEL io.modelcontextprotocol.server.name="<name>"`
to the Dockerfile.
"#,
};

pub(crate) fn check(
    project: &Project,
    file: &SourceFile,
    server: &ServerJson,
    out: &mut Vec<Finding>,
) {
    let Some(name) = server.name().and_then(Json::as_str) else {
        return;
    };
    let dir = file.path.parent().unwrap_or(std::path::Path::new(""));
    for (i, package) in server.packages().enumerate() {
        let Some(kind) = package.registry_type() else {
            continue;
        };
        let Some(identifier) = package.identifier().and_then(Json::as_str) else {
            continue;
        };
        match kind {
            "npm" => npm(project, file, dir, name, identifier, out),
            "pypi" | "cargo" | "nuget" => {
                readme(project, file, server, name, i, package, kind, out)
            }
            "oci" => oci(project, file, name, i, package, out),
            _ => {}
        }
    }
}

fn npm(
    project: &Project,
    file: &SourceFile,
    dir: &std::path::Path,
    name: &str,
    identifier: &str,
    out: &mut Vec<Finding>,
) {
    let Some(manifest) = publishing_manifest(project, dir, identifier) else {
        project.note(format!(
            "mcp: no package.json in the tree publishes `{identifier}`, so its `mcpName` was not checked"
        ));
        return;
    };
    let Some(pj) = package_json(manifest) else {
        return;
    };
    let Ok(text) = manifest.text() else { return };
    let server_name_at = Location::new(file, server_name_span(file));
    match pj.json.get("mcpName") {
        Some(v) if v.as_str() == Some(name) => {}
        Some(v) => out.push(
            Finding::new(
                &OWNERSHIP_MISSING,
                manifest,
                v.span.clone(),
                format!(
                    "`mcpName` is `{}`, but server.json's `name` is `{name}`: the registry refuses to list `{identifier}` for this server (it compares them exactly)",
                    v.as_str().unwrap_or_default()
                ),
            )
            .with_label(server_name_at, "the server's name")
            .with_help(format!("set \"mcpName\": {} before publishing the package", quote(name)))
            .with_fix(Fix::safe(
                "set mcpName to the server's name",
                vec![Edit::replace(&manifest.path, v.span.clone(), quote(name))],
            ))
            .with_subject(identifier.to_string()),
        ),
        None => {
            let at = pj
                .json
                .member("name")
                .map_or(pj.json.span.start..pj.json.span.start + 1, |m| m.key_span.start..m.value.span.end);
            out.push(
                Finding::new(
                    &OWNERSHIP_MISSING,
                    manifest,
                    at,
                    format!("`{identifier}` has no `mcpName`: the registry refuses to list it for `{name}` (it reads `mcpName` from the published package.json)"),
                )
                .with_label(server_name_at, "the server's name")
                .with_help(format!("add \"mcpName\": {} and publish a new version", quote(name)))
                .with_fix_opt(insert_mcp_name(text, &pj.json, name).map(|(range, with)| {
                    Fix::safe(
                        "add mcpName after name",
                        vec![Edit::replace(&manifest.path, range, with)],
                    )
                }))
                .with_subject(identifier.to_string()),
            );
        }
    }
}

fn server_name_span(file: &SourceFile) -> std::ops::Range<usize> {
    chainward_core::mcp::server_json(file)
        .and_then(|s| s.name())
        .map_or(0..0, |n| n.span.clone())
}

/// `"mcpName": "<name>"` as a new line after `"name"`, in the file's indentation and line
/// endings; `None` when `name` does not sit on a line of its own.
fn insert_mcp_name(
    text: &str,
    root: &Json,
    name: &str,
) -> Option<(std::ops::Range<usize>, String)> {
    let member = root.member("name")?;
    let line_start = text[..member.key_span.start]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let indent = &text[line_start..member.key_span.start];
    if !indent.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    let after = &text[member.value.span.end..];
    let rest_of_line = after.split('\n').next().unwrap_or(after);
    if !matches!(rest_of_line.trim_end_matches('\r').trim(), "," | "") {
        return None;
    }
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let is_last = rest_of_line.trim().is_empty();
    // After `"name": "x"` and its comma: `,` stays, the new member follows with one of its own
    // (or takes the comma when `name` was the last member).
    let end = member.value.span.end;
    Some(if is_last {
        (
            end..end,
            format!(",{nl}{indent}\"mcpName\": {}", quote(name)),
        )
    } else {
        let at = end + rest_of_line.find(',')? + 1;
        (at..at, format!("{nl}{indent}\"mcpName\": {},", quote(name)))
    })
}

/// Whether `text` holds `mcp-name: <name>` followed by the end, a character that cannot be part
/// of a name, or `-->` (the registry's token rule).
pub(crate) fn has_token(text: &str, name: &str, visible: bool) -> bool {
    let token = format!("mcp-name: {name}");
    text.match_indices(&token).any(|(at, _)| {
        let rest = &text[at + token.len()..];
        let bounded = match rest.chars().next() {
            None => true,
            Some(c) => {
                !(c.is_ascii_alphanumeric() || "._/-".contains(c))
                    || rest.starts_with("-->")
                    || rest.starts_with("--!>")
            }
        };
        // crates.io renders the README and strips HTML comments: inside one (an `<!--` not
        // closed before the token, on any line) the token is not visible.
        let before = &text[..at];
        let in_comment = before
            .rfind("<!--")
            .is_some_and(|open| !before[open..].contains("-->"));
        bounded && !(visible && in_comment)
    })
}

#[allow(clippy::too_many_arguments)]
fn readme(
    project: &Project,
    file: &SourceFile,
    server: &ServerJson,
    name: &str,
    i: usize,
    package: Package<'_>,
    kind: &str,
    out: &mut Vec<Finding>,
) {
    let Some(identifier) = package.identifier().and_then(Json::as_str) else {
        return;
    };
    // The README the package publishes, from the manifest in the tree that builds it; a
    // package built elsewhere (or a NuGet one) is not judged from a README that may not be its.
    let Some(manifest) = crate::manifest::find(project, file, server, kind, identifier) else {
        project.note(format!(
            "mcp: no pyproject.toml, Cargo.toml or .csproj in the tree builds `{identifier}` ({}), so its README's `mcp-name:` was not checked",
            file.rel
        ));
        return;
    };
    let Some(path) = manifest.readme else {
        // NuGet: the registry reads the README packed into the package, and fails without one.
        if kind == "nuget" {
            out.push(
                Finding::new(
                    &OWNERSHIP_MISSING,
                    file,
                    package.identifier().map_or(0..0, |n| n.span.clone()),
                    format!("packages[{i}] is a `nuget` package, and {} packs no README (`<PackageReadmeFile>`): the registry looks for `mcp-name: {name}` in it", manifest.rel),
                )
                .with_severity(Severity::Warning)
                .with_help(format!("pack a README (`<PackageReadmeFile>README.md</PackageReadmeFile>`) holding `mcp-name: {name}`"))
                .with_subject("nuget:readme"),
            );
        }
        return;
    };
    let Some(text) = project.read_text(&path) else {
        return;
    };
    if has_token(&text, name, kind == "cargo") {
        return;
    }
    let rel = chainward_core::project::rel_path(&project.root, &path);
    let at = package.identifier().map_or(0..0, |n| n.span.clone());
    out.push(
        Finding::new(
            &OWNERSHIP_MISSING,
            file,
            at,
            format!("packages[{i}] is a `{kind}` package, and {rel} has no `mcp-name: {name}`: the registry looks for it in the published README"),
        )
        .with_severity(Severity::Warning)
        .with_help(format!("add the line `mcp-name: {name}` to the README the package publishes"))
        .with_subject(format!("{kind}:readme")),
    );
}

fn oci(
    project: &Project,
    file: &SourceFile,
    name: &str,
    i: usize,
    package: Package<'_>,
    out: &mut Vec<Finding>,
) {
    let dockerfiles: Vec<_> = project.files_of(FileKind::Dockerfile).collect();
    if dockerfiles.is_empty() {
        project.note(format!(
            "mcp: no Dockerfile in the tree, so the OCI label of {} was not checked",
            file.rel
        ));
        return;
    }
    let labelled = dockerfiles.iter().any(|d| {
        chainward_core::dockerfile::parsed(d).is_some_and(|df| {
            df.instructions
                .iter()
                .filter(|i| i.keyword == "LABEL")
                .flat_map(labels)
                // A value from a build argument (`=$SERVER_NAME`) cannot be told here.
                .any(|(k, v)| {
                    k == "io.modelcontextprotocol.server.name" && (v == name || v.starts_with('$'))
                })
        })
    });
    // Labels a workflow sets at build time (`docker build --label`, build-push-action's
    // `labels:`).
    let by_workflow = project.files_of(FileKind::Workflow).any(|w| {
        w.text()
            .is_ok_and(|t| t.contains("io.modelcontextprotocol.server.name"))
    });
    if labelled || by_workflow {
        return;
    }
    let at = package.identifier().map_or(0..0, |n| n.span.clone());
    let mut f = Finding::new(
        &OWNERSHIP_MISSING,
        file,
        at,
        format!("packages[{i}] is an `oci` image, and no Dockerfile in the tree sets `io.modelcontextprotocol.server.name` to `{name}`: the registry reads that label from the image"),
    )
    .with_severity(Severity::Warning)
    .with_help(format!("add `LABEL io.modelcontextprotocol.server.name=\"{name}\"` to the Dockerfile the image is built from"))
    .with_subject("oci:label");
    if let Some(d) = dockerfiles.first() {
        f = f.with_label(Location::new(d, 0..0), "a Dockerfile without the label");
    }
    out.push(f);
}

/// The `key=value` pairs of a LABEL instruction (keys and values may be quoted), or its legacy
/// `LABEL key value` form.
fn labels(instruction: &chainward_core::dockerfile::Instruction) -> Vec<(String, String)> {
    let unquote = |s: &str| s.trim_matches(['"', '\'']).to_string();
    let args: Vec<&str> = instruction.args.iter().map(|t| t.text.as_str()).collect();
    match args.first() {
        Some(first) if args.len() >= 2 && !first.contains('=') => {
            vec![(unquote(first), unquote(&args[1..].join(" ")))]
        }
        _ => args
            .iter()
            .filter_map(|a| a.split_once('='))
            .map(|(k, v)| (unquote(k), unquote(v)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_as_the_registry_reads_them() {
        let name = "io.github.a/b";
        for text in [
            "x\nmcp-name: io.github.a/b\n",
            "<!-- mcp-name: io.github.a/b -->",
            "<!-- mcp-name: io.github.a/b-->",
            "mcp-name: io.github.a/b",
        ] {
            assert!(has_token(text, name, false), "{text}");
        }
        for text in [
            "mcp-name: io.github.a/b-two",
            "mcp-name: io.github.a/b.",
            "mcp-name:io.github.a/b",
            "MCP-NAME: io.github.a/b",
        ] {
            assert!(!has_token(text, name, false), "{text}");
        }
        // crates.io strips comments: only visible text counts for cargo.
        assert!(!has_token("<!-- mcp-name: io.github.a/b -->", name, true));
        assert!(!has_token("<!--\nmcp-name: io.github.a/b\n-->", name, true));
        assert!(has_token("<!-- a --> mcp-name: io.github.a/b", name, true));
        assert!(has_token("x\nmcp-name: io.github.a/b\n", name, true));
    }

    #[test]
    fn labels_in_every_form() {
        let df = chainward_core::dockerfile::parse(
            "FROM node:22\nLABEL \"io.modelcontextprotocol.server.name\"=\"io.github.a/b\" other=1\nLABEL legacy value here\n# LABEL commented=out\n",
        );
        let all: Vec<(String, String)> = df
            .instructions
            .iter()
            .filter(|i| i.keyword == "LABEL")
            .flat_map(labels)
            .collect();
        assert_eq!(
            all,
            vec![
                (
                    "io.modelcontextprotocol.server.name".to_string(),
                    "io.github.a/b".to_string()
                ),
                ("other".to_string(), "1".to_string()),
                ("legacy".to_string(), "value here".to_string()),
            ]
        );
    }

    #[test]
    fn mcp_name_goes_after_name() {
        let text = "{\n  \"name\": \"x\",\n  \"version\": \"1.0.0\"\n}\n";
        let root = chainward_core::json::parse(text).expect("json");
        let (range, with) = insert_mcp_name(text, &root, "io.github.a/x").expect("edit");
        let mut out = text.to_string();
        out.replace_range(range, &with);
        assert_eq!(
            out,
            "{\n  \"name\": \"x\",\n  \"mcpName\": \"io.github.a/x\",\n  \"version\": \"1.0.0\"\n}\n"
        );
        let last = "{\r\n  \"name\": \"x\"\r\n}";
        let root = chainward_core::json::parse(last).expect("json");
        let (range, with) = insert_mcp_name(last, &root, "io.github.a/x").expect("edit");
        let mut out = last.to_string();
        out.replace_range(range, &with);
        assert_eq!(
            out,
            "{\r\n  \"name\": \"x\",\r\n  \"mcpName\": \"io.github.a/x\"\r\n}"
        );
    }
}

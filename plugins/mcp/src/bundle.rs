//! `mcp/bundle-hash`: an `mcpb` package entry and the `.mcpb` bundle it names.

use chainward_core::mcp::ServerJson;
use chainward_core::{
    FileKind, Finding, Fixability, Location, Project, Rule, Severity, SourceFile,
};

pub(crate) static BUNDLE_HASH: Rule = Rule {
    id: "mcp/bundle-hash",
    code: "MCP005",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "An MCP bundle's SHA-256 is missing from server.json or is not the bundle's",
    doc: r#"An `mcpb` package entry points at a release asset (`https://github.com/…/releases/
download/v1.2.0/weather.mcpb`) and must carry its `fileSha256`: the registry refuses an entry
without one, and MCP clients refuse to install a bundle whose SHA-256 is not that value. The
registry does not check the hash itself, so a server.json whose hash belongs to an earlier build
publishes fine and installs nowhere.

chainward reports an `mcpb` entry without `fileSha256`, and, when a `.mcpb` file of the name the
entry's URL ends with is in the tree (the bundle just built, before the release), compares its
SHA-256 with `fileSha256`:

```json
{ "registryType": "mcpb",
  "identifier": "https://github.com/acme/weather/releases/download/v1.2.0/weather.mcpb",
  "fileSha256": "fe3c…" }
```

**Fix.** Build the bundle, then write its hash (`sha256sum weather.mcpb`) into `fileSha256` —
`chainward fix` does when the bundle is in the tree (safe) — and upload that same file.
"#,
};

pub(crate) fn check(
    project: &Project,
    file: &SourceFile,
    server: &ServerJson,
    out: &mut Vec<Finding>,
) {
    for (i, package) in server.packages().enumerate() {
        if package.registry_type() != Some("mcpb") {
            continue;
        }
        let Some(identifier) = package.identifier() else {
            continue;
        };
        let url = identifier.as_str().unwrap_or_default();
        let path = url.split(['?', '#']).next().unwrap_or(url);
        let base = path.rsplit('/').next().unwrap_or_default();
        let bundles: Vec<_> = project
            .files_of(FileKind::McpBundle)
            .filter(|b| b.path.file_name().and_then(|n| n.to_str()) == Some(base))
            .collect();
        let sha = package.file_sha256();
        let Some(sha) = sha.filter(|s| s.as_str() != Some("")) else {
            // The key as the entry spells its others (`file_sha256` in a 2025-07-09 file); only
            // when exactly one bundle of that name is in the tree.
            let key = if package.node.get("registry_type").is_some() {
                "file_sha256"
            } else {
                "fileSha256"
            };
            let one = match bundles.as_slice() {
                [b] => Some(b),
                _ => None,
            };
            let fix = one.and_then(|b| project.read_bytes(&b.path)).map(|bytes| {
                let hash = chainward_core::digest::sha256_hex(&bytes);
                // An empty `fileSha256` gets the value; a missing one is added after
                // `identifier`.
                let edit = match package.file_sha256() {
                    Some(empty) => chainward_core::Edit::replace(
                        &file.path,
                        empty.span.clone(),
                        format!("\"{hash}\""),
                    ),
                    None => chainward_core::Edit::replace(
                        &file.path,
                        identifier.span.end..identifier.span.end,
                        format!(", \"{key}\": \"{hash}\""),
                    ),
                };
                chainward_core::Fix::safe("add fileSha256", vec![edit])
            });
            out.push(
                Finding::new(
                    &BUNDLE_HASH,
                    file,
                    identifier.span.clone(),
                    format!("packages[{i}] is an `mcpb` bundle without `fileSha256`: the registry refuses it, and clients cannot check what they download"),
                )
                .with_help("add \"fileSha256\": the SHA-256 (hex) of the released .mcpb file")
                .with_fix_opt(fix)
                .with_subject(format!("{base}:missing")),
            );
            continue;
        };
        let want = sha.as_str().unwrap_or_default();
        let mut hashed = Vec::new();
        for bundle in &bundles {
            match project.read_bytes(&bundle.path) {
                Some(bytes) => hashed.push((bundle, chainward_core::digest::sha256_hex(&bytes))),
                None => project.note(format!(
                    "mcp: {} could not be read (or is over the size limit), so its hash was not compared",
                    bundle.rel
                )),
            }
        }
        if hashed.is_empty() || hashed.iter().any(|(_, got)| got.eq_ignore_ascii_case(want)) {
            continue;
        }
        let described: Vec<String> = hashed
            .iter()
            .map(|(b, got)| format!("{} ({got})", b.rel))
            .collect();
        let mut f = Finding::new(
            &BUNDLE_HASH,
            file,
            sha.span.clone(),
            format!(
                "packages[{i}]'s `fileSha256` is not the SHA-256 of {}: clients that download this bundle will refuse it",
                described.join(", ")
            ),
        )
        .with_help("write the bundle's hash into fileSha256 (or upload this exact file)")
        .with_subject(format!("{base}:hash"));
        for (b, _) in &hashed {
            f = f.with_label(Location::new(b, 0..0), "a bundle of that name in the tree");
        }
        // One candidate: its hash is the fix; several disagree, and which is released is not
        // known here.
        if let [(_, got)] = hashed.as_slice() {
            f = f.with_fix(chainward_core::Fix::safe(
                "set fileSha256 to the bundle's SHA-256",
                vec![chainward_core::Edit::replace(
                    &file.path,
                    sha.span.clone(),
                    format!("\"{got}\""),
                )],
            ));
        }
        out.push(f);
    }
}

//! MCP registry files: `server.json` (a server's entry for the MCP registry) with the span of
//! every value, and the manifest inside an MCP bundle (`.mcpb`, a zip archive). One model, read
//! by the `mcp` plugin and by `chainward provenance show`.

use std::io::{Read, Seek};

use crate::json::{self, Json};
use crate::project::{FileKind, SourceFile};

/// Where the registry publishes its server.json schemas: `<prefix><date>/server.schema.json`.
pub const SCHEMA_PREFIX: &str = "https://static.modelcontextprotocol.io/schemas/";

/// A parsed server.json.
pub struct ServerJson {
    pub json: Json,
}

/// Whether a file named server.json is an MCP server's: it names the registry's schema, or has
/// the registry's package entries. Other tools' server.json files (a mock server's routes, a
/// dev server's settings) are left alone.
pub fn is_mcp_text(text: &str) -> bool {
    (text.contains("modelcontextprotocol") && text.contains("/server.schema.json"))
        || (text.contains("\"packages\"")
            && (text.contains("\"registryType\"") || text.contains("\"registry_type\"")))
}

/// The cached model of an MCP server.json; `None` for a server.json of another tool, or one that
/// does not parse (the error is on the file).
pub fn server_json(file: &SourceFile) -> Option<&ServerJson> {
    if file.kind != FileKind::McpServer || !is_mcp_text(file.text().ok()?) {
        return None;
    }
    file.parsed(|f, text| {
        let json = json::parse(text).map_err(|e| f.parse_error(e.span, e.message))?;
        Ok(ServerJson { json })
    })
}

impl ServerJson {
    /// The `$schema` member.
    pub fn schema(&self) -> Option<&Json> {
        self.json.get("$schema")
    }

    pub fn name(&self) -> Option<&Json> {
        self.json.get("name")
    }

    pub fn version(&self) -> Option<&Json> {
        self.json.get("version")
    }

    /// `packages[]`, in order.
    pub fn packages(&self) -> impl Iterator<Item = Package<'_>> {
        self.json
            .get("packages")
            .and_then(Json::as_array)
            .unwrap_or_default()
            .iter()
            .map(|node| Package { node })
    }
}

/// The version in a `$schema` URL, as the registry reads it: the path segment before
/// `/server.schema.json` after `/schemas/`, on any host (`draft` included).
pub fn url_version(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("/schemas/")?;
    let (version, file) = rest.split_once('/')?;
    (file == "server.schema.json"
        && !version.is_empty()
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_~.-".contains(&b)))
    .then_some(version)
}

/// A template of a server.json rather than the file itself: a name, version or identifier with a
/// placeholder a build fills in (`{{VERSION}}`, `<<Version>>`, `${VERSION}`, `$VERSION`,
/// `__VERSION__`).
pub fn is_template(server: &ServerJson) -> bool {
    let placeholder = |s: &str| {
        s.contains("{{")
            || s.contains("<<")
            || s.contains("${")
            || (s.starts_with('$') && s[1..].starts_with(|c: char| c.is_ascii_uppercase()))
            || (s.starts_with("__") && s.ends_with("__") && s.len() > 4)
    };
    let value = |n: Option<&Json>| n.and_then(Json::as_str).is_some_and(placeholder);
    value(server.name())
        || value(server.version())
        || server
            .packages()
            .any(|p| value(p.identifier()) || value(p.version()))
}

/// Whether the file is the MCP registry's format: its `$schema` names one of the registry's
/// schema versions (or it has none, and registry package entries). Other registries (that
/// borrowed the name server.json and the package fields) have their own `$schema`.
pub fn is_registry_format(server: &ServerJson) -> bool {
    match server.schema() {
        Some(s) => s.as_str().and_then(url_version).is_some(),
        None => true,
    }
}

/// One entry of `packages[]`.
#[derive(Clone, Copy)]
pub struct Package<'a> {
    pub node: &'a Json,
}

impl<'a> Package<'a> {
    /// `registryType` (`npm`, `pypi`, `nuget`, `oci`, `mcpb`, …); the 2025-07-09 schema's
    /// `registry_type` too.
    pub fn registry_type(&self) -> Option<&'a str> {
        self.field("registryType", "registry_type")?.as_str()
    }

    pub fn identifier(&self) -> Option<&'a Json> {
        self.node.get("identifier")
    }

    pub fn version(&self) -> Option<&'a Json> {
        self.node.get("version")
    }

    /// `fileSha256` (`file_sha256` in the 2025-07-09 schema).
    pub fn file_sha256(&self) -> Option<&'a Json> {
        self.field("fileSha256", "file_sha256")
    }

    fn field(&self, camel: &str, snake: &str) -> Option<&'a Json> {
        self.node.get(camel).or_else(|| self.node.get(snake))
    }
}

/// What an MCP bundle's `manifest.json` says of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BundleManifest {
    /// `manifest_version` (`dxt_version` in bundles made before the rename).
    pub manifest_version: Option<String>,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub version: Option<String>,
    pub author: Option<String>,
    /// `server.type`: `node`, `python`, `binary`, `uv`.
    pub server_type: Option<String>,
    pub entry_point: Option<String>,
}

/// The largest manifest.json read from a bundle (a zip bomb's entry is refused, not inflated).
const MAX_MANIFEST: u64 = 1 << 20;

/// The manifest of an MCP bundle: `manifest.json` at the root of the zip archive.
pub fn bundle_manifest(reader: impl Read + Seek) -> Result<BundleManifest, String> {
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| format!("not a zip archive: {e}"))?;
    let entry = archive
        .by_name("manifest.json")
        .map_err(|_| "no manifest.json at the root of the bundle".to_string())?;
    if entry.size() > MAX_MANIFEST {
        return Err(format!(
            "manifest.json is {} bytes (at most {MAX_MANIFEST} are read)",
            entry.size()
        ));
    }
    let mut text = String::new();
    entry
        .take(MAX_MANIFEST + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("manifest.json: {e}"))?;
    if text.len() as u64 > MAX_MANIFEST {
        return Err(format!("manifest.json is over {MAX_MANIFEST} bytes"));
    }
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("manifest.json: {e}"))?;
    let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
    Ok(BundleManifest {
        manifest_version: s(&value["manifest_version"]).or_else(|| s(&value["dxt_version"])),
        name: s(&value["name"]),
        display_name: s(&value["display_name"]),
        version: s(&value["version"]),
        author: s(&value["author"]["name"]),
        server_type: s(&value["server"]["type"]),
        entry_point: s(&value["server"]["entry_point"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_host_as_the_registry_reads_it() {
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
        assert_eq!(
            url_version("https://registry.example.ai/schemas/2025-09-22/other.schema.json"),
            None
        );
    }

    #[test]
    fn templates() {
        for version in [
            "{{VERSION}}",
            "<<Version>>",
            "${VERSION}",
            "$VERSION",
            "__VERSION__",
        ] {
            let text = format!(r#"{{"name": "io.github.a/b", "version": "{version}"}}"#);
            let server = ServerJson {
                json: json::parse(&text).expect("json"),
            };
            assert!(is_template(&server), "{version}");
        }
        let server = ServerJson {
            json: json::parse(r#"{"name": "io.github.a/b", "version": "1.0.0"}"#).expect("json"),
        };
        assert!(!is_template(&server));
    }

    #[test]
    fn only_mcp_server_json_is_read() {
        assert!(is_mcp_text(
            r#"{"$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"}"#
        ));
        assert!(is_mcp_text(r#"{"packages": [{"registryType": "npm"}]}"#));
        assert!(!is_mcp_text(r#"{"port": 8080, "routes": []}"#));
        // json-server data that mentions the protocol is not a server entry.
        assert!(!is_mcp_text(
            r#"{"posts": [{"body": "see https://modelcontextprotocol.io"}]}"#
        ));
    }
}

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
fn is_mcp_text(text: &str) -> bool {
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

/// The most entries an archive may list (real bundles ship node_modules: tens of thousands):
/// the zip reader keeps the whole central directory in memory.
const MAX_ENTRIES: u64 = 200_000;

/// How many entries the archive's end-of-central-directory record says it has (zip64 too);
/// `None` when it cannot be told (the zip reader then refuses the archive).
fn entry_count(reader: &mut (impl Read + Seek)) -> Option<u64> {
    use std::io::SeekFrom;
    let len = reader.seek(SeekFrom::End(0)).ok()?;
    let tail_len = len.min(65_557);
    reader.seek(SeekFrom::Start(len - tail_len)).ok()?;
    let mut tail = vec![0u8; usize::try_from(tail_len).ok()?];
    reader.read_exact(&mut tail).ok()?;
    let at = tail
        .windows(4)
        .rposition(|w| w == [0x50, 0x4b, 0x05, 0x06])?;
    let eocd = tail.get(at..at + 22)?;
    let count = u64::from(u16::from_le_bytes([eocd[10], eocd[11]]));
    if count != 0xFFFF {
        return Some(count);
    }
    // zip64: the locator just before the record gives the zip64 record's offset.
    let locator = tail.get(at.checked_sub(20)?..at)?;
    if locator[..4] != [0x50, 0x4b, 0x06, 0x07] {
        return Some(count);
    }
    let offset = u64::from_le_bytes(locator[8..16].try_into().ok()?);
    reader.seek(SeekFrom::Start(offset)).ok()?;
    let mut record = [0u8; 56];
    reader.read_exact(&mut record).ok()?;
    (record[..4] == [0x50, 0x4b, 0x06, 0x06])
        .then(|| u64::from_le_bytes(record[32..40].try_into().unwrap_or_default()))
}

/// The manifest of an MCP bundle: `manifest.json` at the root of the zip archive.
pub fn bundle_manifest(mut reader: impl Read + Seek) -> Result<BundleManifest, String> {
    if let Some(n) = entry_count(&mut reader)
        && n > MAX_ENTRIES
    {
        return Err(format!(
            "the archive lists {n} entries (at most {MAX_ENTRIES} are read)"
        ));
    }
    reader
        .seek(std::io::SeekFrom::Start(0))
        .map_err(|e| format!("cannot read the archive: {e}"))?;
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| format!("not a zip archive: {e}"))?;
    let entry = archive.by_name("manifest.json").map_err(|e| match e {
        zip::result::ZipError::FileNotFound => {
            "no manifest.json at the root of the bundle".to_string()
        }
        other => format!("manifest.json cannot be read: {other}"),
    })?;
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
    fn an_archive_listing_too_many_entries_is_not_opened() {
        // A zip64 end record claiming a million entries, and nothing else.
        let mut bytes = Vec::new();
        let mut zip64 = vec![0u8; 56];
        zip64[..4].copy_from_slice(&[0x50, 0x4b, 0x06, 0x06]);
        zip64[32..40].copy_from_slice(&1_000_000u64.to_le_bytes());
        bytes.extend_from_slice(&zip64);
        let mut locator = vec![0u8; 20];
        locator[..4].copy_from_slice(&[0x50, 0x4b, 0x06, 0x07]);
        bytes.extend_from_slice(&locator);
        let mut eocd = vec![0u8; 22];
        eocd[..4].copy_from_slice(&[0x50, 0x4b, 0x05, 0x06]);
        eocd[10..12].copy_from_slice(&0xFFFFu16.to_le_bytes());
        bytes.extend_from_slice(&eocd);
        let err = bundle_manifest(std::io::Cursor::new(bytes)).expect_err("refused");
        assert!(err.contains("1000000 entries"), "{err}");
        let err =
            bundle_manifest(std::io::Cursor::new(b"not a zip".to_vec())).expect_err("refused");
        assert!(err.starts_with("not a zip archive"), "{err}");
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

//! `chainward provenance show BUNDLE.mcpb`: what an MCP bundle is (its manifest.json) and what
//! server.json says of it (the `mcpb` entry naming it, and whether its `fileSha256` is this
//! file's), beside the provenance of the file when a proof is given (mpak's `bundle show`).

use std::io::Read;
use std::path::Path;

use chainward_core::Error;
use chainward_core::command::{Files, Output};
use chainward_core::escape::Mode;
use chainward_core::json::Json;
use chainward_core::mcp::{BundleManifest, ServerJson};
use serde_json::json;

/// What is known of one bundle.
pub(crate) struct Facts {
    file: String,
    sha256: String,
    manifest: Result<BundleManifest, String>,
    server_json: Option<String>,
    server: Option<String>,
    server_version: Option<String>,
    entry: Option<String>,
    entry_version: Option<String>,
    file_sha256: Option<String>,
    /// Whether server.json's `fileSha256` is this file's (`None`: no entry names it).
    pub(crate) hash_matches: Option<bool>,
}

pub(crate) fn facts(
    path: &Path,
    server_json: Option<&Path>,
    files: &dyn Files,
) -> Result<Facts, Error> {
    // Read within the size limit of the files `check` reads (a bundle is a few megabytes).
    let limit = chainward_core::project::DEFAULT_MAX_FILE_SIZE;
    let mut bytes = Vec::new();
    files
        .open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::Usage(format!(
            "{}: over {limit} bytes; not read as an MCP bundle",
            path.display()
        )));
    }
    let sha256 = chainward_core::digest::sha256_hex(&bytes);
    let manifest = chainward_core::mcp::bundle_manifest(std::io::Cursor::new(&bytes));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut facts = Facts {
        file: path.display().to_string(),
        sha256,
        manifest,
        server_json: None,
        server: None,
        server_version: None,
        entry: None,
        entry_version: None,
        file_sha256: None,
        hash_matches: None,
    };
    let default = Path::new("server.json");
    let sj = match server_json {
        Some(p) => Some(p),
        None if files.is_file(default) => Some(default),
        None => None,
    };
    let Some(sj) = sj else { return Ok(facts) };
    let text = files.read_text(sj)?;
    let json = chainward_core::json::parse(&text).map_err(|e| Error::Parse {
        path: sj.to_path_buf(),
        location: None,
        message: e.message,
    })?;
    let server = ServerJson { json };
    let s = |n: Option<&Json>| n.and_then(Json::as_str).map(str::to_string);
    facts.server_json = Some(sj.display().to_string());
    facts.server = s(server.name());
    facts.server_version = s(server.version());
    // The entry naming this file: by the URL's file name, else by its hash.
    let entry = server
        .packages()
        .filter(|p| p.registry_type() == Some("mcpb"))
        .find(|p| {
            p.identifier()
                .and_then(Json::as_str)
                .is_some_and(|u| u.rsplit('/').next() == Some(name.as_str()))
                || p.file_sha256().and_then(Json::as_str) == Some(facts.sha256.as_str())
        });
    if let Some(entry) = entry {
        facts.entry = s(entry.identifier());
        facts.entry_version = s(entry.version());
        facts.file_sha256 = s(entry.file_sha256());
        facts.hash_matches = Some(
            facts
                .file_sha256
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(&facts.sha256)),
        );
    }
    Ok(facts)
}

pub(crate) fn render(f: &Facts) -> String {
    let mut s = format!("{}\n", chainward_core::escape::visible(&f.file));
    // Every value comes from the bundle or server.json: one line each, escaped.
    let mut row = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            s.push_str(&format!(
                "  {k:<16} {}\n",
                chainward_core::escape::visible(v)
            ));
        }
    };
    row("SHA-256", Some(&f.sha256));
    match &f.manifest {
        Ok(m) => {
            row("Bundle name", m.name.as_deref());
            row("Bundle version", m.version.as_deref());
            row("Manifest", m.manifest_version.as_deref());
            row("Author", m.author.as_deref());
            let server = match (&m.server_type, &m.entry_point) {
                (Some(t), Some(e)) => Some(format!("{t} ({e})")),
                (Some(t), None) => Some(t.clone()),
                _ => None,
            };
            row("Runs", server.as_deref());
        }
        Err(e) => row("Manifest", Some(&format!("unreadable: {e}"))),
    }
    match (&f.server_json, &f.entry) {
        (None, _) => row("server.json", Some("none given or found")),
        (Some(p), None) => row(
            "server.json",
            Some(&format!("{p}: no mcpb entry names this file")),
        ),
        (Some(p), Some(entry)) => {
            let server = match (&f.server, &f.server_version) {
                (Some(n), Some(v)) => format!("{n} {v}"),
                (Some(n), None) => n.clone(),
                _ => String::new(),
            };
            row("server.json", Some(p));
            row("Server", Some(&server));
            row("Entry", Some(entry));
            row("Entry version", f.entry_version.as_deref());
            let hash = match (&f.file_sha256, f.hash_matches) {
                (None, _) => "missing (the registry refuses the entry)".to_string(),
                (Some(h), Some(true)) => format!("{h} ✓ this file"),
                (Some(h), _) => format!("{h} ✗ not this file's: clients will refuse it"),
            };
            row("fileSha256", Some(&hash));
        }
    }
    s
}

pub(crate) fn value(f: &Facts) -> serde_json::Value {
    let manifest = match &f.manifest {
        Ok(m) => json!(m),
        Err(e) => json!({ "error": e }),
    };
    json!({
        "file": f.file,
        "sha256": f.sha256,
        "manifest": manifest,
        "server_json": f.server_json,
        "server": f.server,
        "server_version": f.server_version,
        "entry": f.entry,
        "entry_version": f.entry_version,
        "file_sha256": f.file_sha256,
        "hash_matches": f.hash_matches,
    })
}

/// The bundle's facts alone (no proof given): exit 1 when server.json's hash is not this file's.
pub(crate) fn output(f: &Facts, json: bool) -> Output {
    let (text, mode) = if json {
        (
            serde_json::to_string_pretty(&json!({ "mcpb": value(f) })).unwrap_or_default() + "\n",
            Mode::Json,
        )
    } else {
        (render(f), Mode::Log)
    };
    Output::text(text, mode).with_exit(u8::from(f.hash_matches == Some(false)))
}

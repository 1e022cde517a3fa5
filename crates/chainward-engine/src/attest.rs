//! What an in-toto attestation of a run names as its subjects: the package manifests,
//! lockfiles, MCP server.json files and bundles checked, by path and SHA-256.

use chainward_core::{FileKind, Project};

/// Whether a file of this kind is a subject of the attestation: what decides what gets
/// installed or published.
fn attested(kind: FileKind) -> bool {
    kind.is_npm_model()
        || matches!(
            kind,
            FileKind::BunLockb | FileKind::McpServer | FileKind::McpBundle
        )
}

/// `(path relative to the root, '/'-separated; SHA-256 hex)` of every attested file in the
/// project, sorted; a file that cannot be read (over the size limit, gone) is left out.
pub fn subjects(project: &Project) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = project
        .files()
        .iter()
        .filter(|f| attested(f.kind))
        .filter_map(|f| {
            let bytes = project.read_bytes(&f.path)?;
            Some((f.rel.clone(), chainward_core::digest::sha256_hex(&bytes)))
        })
        .collect();
    out.sort();
    out
}

/// The time of the run for an attestation, RFC 3339 in UTC to the second: `SOURCE_DATE_EPOCH`
/// when set (a reproducible build's time), else now.
pub fn timestamp() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .unwrap_or_else(jiff::Timestamp::now);
    let seconds = jiff::Timestamp::from_second(now.as_second()).unwrap_or(now);
    seconds.to_string()
}

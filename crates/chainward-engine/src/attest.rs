//! An in-toto attestation of a run (`check --format in-toto`): its subjects (the package
//! manifests, lockfiles, MCP server.json files and bundles checked, and the config, by path and
//! SHA-256 of the bytes chainward read), what each enabled plugin could judge, the evidence and
//! the time. The renderer (chainward-report) turns it and the findings into the Statement.

use chainward_core::{Error, FileKind, Project};
use chainward_report::intoto::Attestation;

use crate::Engine;

/// Whether a file of this kind is a subject of the attestation: what decides what gets
/// installed or published.
fn attested(kind: FileKind) -> bool {
    kind.is_npm_model()
        || kind.is_python_model()
        || matches!(
            kind,
            FileKind::BunLockb | FileKind::McpServer | FileKind::McpBundle
        )
}

/// `(path relative to the root, '/'-separated; SHA-256 hex)` of every attested file, sorted:
/// text files by the bytes the plugins read (not read again), binary ones read within the size
/// limit. A file that cannot be hashed is an error naming it: a Statement must not claim fewer
/// files than were checked.
pub fn subjects(
    project: &Project,
    config: Option<&std::path::Path>,
) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    for f in project.files().iter().filter(|f| attested(f.kind)) {
        let digest = if f.kind.is_binary() {
            project
                .read_bytes(&f.path)
                .map(|b| chainward_core::digest::sha256_hex(&b))
        } else {
            f.text()
                .ok()
                .map(|t| chainward_core::digest::sha256_hex(t.as_bytes()))
        };
        let Some(digest) = digest else {
            return Err(Error::Usage(format!(
                "{}: cannot be read to attest it (unreadable, not UTF-8 or over the size limit)",
                f.path.display()
            )));
        };
        out.push((f.rel.clone(), digest));
    }
    // The config decides which rules ran at which level: the gate sees it by its digest.
    if let Some(path) = config
        && let Some(bytes) = project.read_bytes(path)
    {
        out.push((
            chainward_core::project::rel_path(&project.root, path),
            chainward_core::digest::sha256_hex(&bytes),
        ));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The attestation of a run of `engine` over `project`. `evidence` is a report written beside
/// it (name, SHA-256); `checked_at` the time to record (RFC 3339), when asked for.
pub fn build(
    engine: &Engine,
    project: &Project,
    config: Option<&std::path::Path>,
    evidence: Option<(String, String)>,
    checked_at: Option<String>,
) -> Result<Attestation, Error> {
    let subjects = subjects(project, config)?;
    if !subjects
        .iter()
        .any(|(name, _)| FileKind::classify(name).is_some_and(attested))
    {
        return Err(Error::Usage(
            "nothing to attest: no package.json, lockfile, server.json or MCP bundle was found to check"
                .into(),
        ));
    }
    Ok(Attestation {
        subjects,
        plugins: engine.coverage(project),
        evidence,
        time: checked_at,
        commit: committed(project),
        external: engine.external_ran(),
    })
}

/// The `HEAD` commit, when every attested file is exactly as committed there: then the commit
/// names what was checked. A tree with changes (or files git does not have) gets no commit.
fn committed(project: &Project) -> Option<String> {
    let git = project.git()?;
    let head = git.head_commit()?;
    let same = project
        .files()
        .iter()
        .filter(|f| attested(f.kind))
        .all(|f| {
            if f.kind.is_binary() {
                return false;
            }
            match (git.read_at("HEAD", &f.path, &project.root), f.text()) {
                (Ok(Some(chainward_core::git::AtRevision::Text(then))), Ok(now)) => then == now,
                _ => false,
            }
        });
    same.then_some(head)
}

/// Now (or `CHAINWARD_NOW`), RFC 3339 in UTC to the second: when a check ran.
pub fn now() -> String {
    let ms = chainward_core::packument::now_ms();
    jiff::Timestamp::from_second(ms.div_euclid(1000))
        .map(|t| t.to_string())
        .unwrap_or_default()
}

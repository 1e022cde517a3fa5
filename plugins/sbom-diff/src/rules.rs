//! The diff as findings: what a reviewer must look at when a change alters what ships.

use std::ops::Range;

use chainward_core::finding::Location;
use chainward_core::{Finding, Fixability, Rule, Severity};

use crate::diff::Change;

pub(crate) static HASH_CHANGED: Rule = Rule {
    id: "sbom-diff/hash-changed",
    code: "SBD001",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A package has the same name and version as before but a different hash",
    doc: r#"A published npm version never changes: the registry refuses to republish it. When the
same `name@version` arrives with another integrity hash, either the lockfile was edited to point
at other bytes, or the registry or mirror it resolves from serves a different tarball. Both are
how a supply-chain attack looks. Find out where the new hash came from before merging.
"#,
};

pub(crate) static NEW_DEPENDENCY: Rule = Rule {
    id: "sbom-diff/new-dependency",
    code: "SBD002",
    default_severity: Severity::Info,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A package enters the dependency tree",
    doc: r#"Every package the change adds to the tree (directly or transitively) is new code that
will run in CI, on developers' machines or in production. Listed so that a reviewer sees what the
lockfile diff hides in thousands of lines; the message names the package that pulls it in.
"#,
};

pub(crate) static INSTALL_SCRIPT_ADDED: Rule = Rule {
    id: "sbom-diff/install-script-added",
    code: "SBD003",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A package now runs an install script",
    doc: r#"A new package with a `preinstall`/`install`/`postinstall` script, or a new version of a
known package that gained one, runs code on every install: the way worms such as Shai-Hulud
spread. Reported by `chainward sbom diff`; in `chainward check --base`, the install-scripts
plugin's `new-install-script` reports it instead, together with whether it is approved.
"#,
};

pub(crate) static SOURCE_CHANGED: Rule = Rule {
    id: "sbom-diff/source-changed",
    code: "SBD004",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A package is now fetched from somewhere else",
    doc: r#"A package that came from the registry now comes from a git repository or a tarball URL,
or from another registry host. Such sources skip the registry's immutability and often its
integrity hashes; a move is worth a look.
"#,
};

pub(crate) static DOWNGRADE: Rule = Rule {
    id: "sbom-diff/downgrade",
    code: "SBD005",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A package moved to an older version",
    doc: r#"Downgrades bring back bugs and vulnerabilities that a later version fixed, and are an
unusual thing for a routine update to do. Make sure it is intended.
"#,
};

pub(crate) static LICENSE_CHANGED: Rule = Rule {
    id: "sbom-diff/license-changed",
    code: "SBD006",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A package's declared licence changed",
    doc: r#"A licence change between versions (MIT to a source-available or copyleft licence) can
change what you may ship. Only declared licences the SBOM records are compared.
"#,
};

pub static RULES: &[&Rule] = &[
    &HASH_CHANGED,
    &NEW_DEPENDENCY,
    &INSTALL_SCRIPT_ADDED,
    &SOURCE_CHANGED,
    &DOWNGRADE,
    &LICENSE_CHANGED,
];

/// The first 16 hex digits of a digest, for messages.
pub fn short(hex: &str) -> &str {
    // Digests read from SBOM files are whatever the file says: cut at a character boundary.
    let end = hex.char_indices().nth(16).map_or(hex.len(), |(i, _)| i);
    &hex[..end]
}

/// The findings for `changes`. `locate(name, version)` gives the location of a package in
/// the new document (its lockfile entry, or its line in an SBOM file).
pub fn findings(changes: &[Change], locate: &dyn Fn(&str, &str) -> Location) -> Vec<Finding> {
    let parents = |name: &str| -> Vec<&str> {
        changes
            .iter()
            .filter_map(|c| match c {
                Change::RequiredBy { name: n, by } if n == name => Some(by.as_str()),
                _ => None,
            })
            .collect()
    };
    let mut out = Vec::new();
    for change in changes {
        let finding = match change {
            Change::HashChanged {
                name,
                version,
                algorithm,
                from,
                to,
            } => Finding::at(
                &HASH_CHANGED,
                locate(name, version),
                format!(
                    "`{name}@{version}` has another {algorithm} hash than before ({}… → {}…): the same version should never change",
                    short(from),
                    short(to)
                ),
            )
            .with_help("find out where the new bytes come from (an edited lockfile, another registry or mirror) before merging"),
            Change::Added { name, version, .. } => {
                let from = parents(name);
                let via = if from.is_empty() {
                    String::new()
                } else {
                    format!(" (required by {})", from.join(", "))
                };
                Finding::at(
                    &NEW_DEPENDENCY,
                    locate(name, version),
                    format!("`{name}@{version}` is new in the dependency tree{via}"),
                )
            }
            Change::InstallScriptAdded { name, version } => Finding::at(
                &INSTALL_SCRIPT_ADDED,
                locate(name, version),
                format!("`{name}@{version}` runs an install script that was not there before"),
            )
            .with_help("check what the script does; approve it with `chainward allow-script` only with a reason"),
            Change::SourceChanged {
                name,
                version,
                from,
                to,
            } => Finding::at(
                &SOURCE_CHANGED,
                locate(name, version),
                format!("`{name}@{version}` now comes from {to} (was {from})"),
            ),
            Change::Downgraded { name, from, to } => Finding::at(
                &DOWNGRADE,
                locate(name, to),
                format!("`{name}` goes back from {from} to {to}"),
            ),
            Change::LicenseChanged {
                name,
                version,
                from,
                to,
            } => Finding::at(
                &LICENSE_CHANGED,
                locate(name, version),
                format!(
                    "`{name}@{version}` is now licensed `{}` (was `{}`)",
                    to.as_deref().unwrap_or("?"),
                    from.as_deref().unwrap_or("?")
                ),
            ),
            _ => continue,
        };
        out.push(finding.with_subject(change.subject()));
    }
    out
}

/// The start of the line holding the first occurrence of `needle` in `text`, as a span.
pub fn find_span(text: &str, needle: &str) -> Range<usize> {
    match text.find(needle) {
        Some(at) => at..at + needle.len(),
        None => 0..0,
    }
}

//! npm's attestations of a locked version, verified as `npm audit signatures` verifies them, from
//! the cache and the lockfile: every Sigstore bundle the registry keeps for the version (the SLSA
//! provenance, signed by a Fulcio certificate and logged in Rekor; npm's publish attestation,
//! signed by the registry's key) must verify offline against Sigstore's public-good trusted root,
//! and must be about this package and version with the tarball the lockfile pins as subject.

use chainward_sigstore::{NpmKey, Policy, Subject};
use sigstore_verify::Verifier;
use sigstore_verify::types::HashAlgorithm;

use crate::signatures::RegistryKey;

/// What a version's attestations say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Every bundle verified, and one of them is SLSA provenance.
    Verified,
    /// Nothing chainward can check (no digest to check against, or only bundles signed by keys it
    /// does not know): not judged.
    Unchecked,
    /// Why not.
    Bad(Vec<String>),
}

/// The verifier for Sigstore's public-good instance (the trusted root embedded in
/// sigstore-verify: no file is read).
pub(crate) fn verifier() -> Option<Verifier> {
    let root = chainward_sigstore::trusted_root(None, &chainward_core::command::DISK).ok()?;
    chainward_sigstore::verifier(&root).ok()
}

/// The registry's keys, as the verifier takes them.
pub(crate) fn npm_keys(keys: &[RegistryKey]) -> Vec<NpmKey> {
    use base64::Engine as _;
    keys.iter()
        .filter_map(|k| {
            Some(NpmKey {
                keyid: k.keyid.to_string(),
                der: base64::engine::general_purpose::STANDARD
                    .decode(k.key)
                    .ok()?,
                expires: match k.expires {
                    Some(e) => Some(e.parse::<jiff::Timestamp>().ok()?),
                    None => None,
                },
            })
        })
        .collect()
}

/// A bundle, in words: `its SLSA provenance`, `npm's publish attestation`.
fn what(report: &chainward_sigstore::Report) -> String {
    match report.predicate_type.as_deref() {
        Some(p) if p.starts_with("https://slsa.dev/provenance/") => "its SLSA provenance".into(),
        Some(p) if p.starts_with("https://github.com/npm/attestation/tree/main/specs/publish/") => {
            "npm's publish attestation".into()
        }
        _ => format!("its attestation {}", report.label),
    }
}

/// The verifier's reason, in this rule's terms (it speaks of the command's flags).
fn reason(why: &str, name: &str, version: &str) -> String {
    if why.starts_with("artifact mismatch") || why.starts_with("no subject of the statement") {
        return "it names another tarball than the one the lockfile pins".into();
    }
    why.replace(
        &format!(", not --package-name {name}"),
        &format!(", not {name}"),
    )
    .replace(
        &format!(", not --package-version {version}"),
        &format!(", not {version}"),
    )
}

/// `sha512-<base64>` → the digest.
fn sha512(integrity: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    // An SRI value may list several hashes; the sha512 one is the subject npm attests.
    integrity
        .split_whitespace()
        .find_map(|h| h.strip_prefix("sha512-"))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .filter(|d| d.len() == 64)
}

/// Verify `body` (the registry's attestations response) for `name@version` whose tarball has
/// `integrity`.
pub(crate) fn verify(
    verifier: &Verifier,
    keys: &[NpmKey],
    name: &str,
    version: &str,
    integrity: Option<&str>,
    body: &str,
) -> Verdict {
    let Some(digest) = integrity.and_then(sha512) else {
        return Verdict::Unchecked;
    };
    let subject = Subject::Digest(HashAlgorithm::Sha2512, digest);
    let policy = Policy {
        package_name: Some(name.to_string()),
        package_version: Some(version.to_string()),
        ..Policy::default()
    };
    let reports = match chainward_sigstore::verify_all(verifier, &subject, body, &policy, keys) {
        Ok(r) => r,
        Err(e) => return Verdict::Bad(vec![format!("its attestations cannot be read: {e}")]),
    };
    let known = |hint: &str| keys.iter().any(|k| k.keyid == hint);
    // (what, why): the same reason for several bundles is said once.
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut provenance = false;
    let mut checked = 0;
    for report in &reports {
        // A publish attestation signed by a key the registry added since: not judged.
        if report.key_signed
            && report
                .identity
                .as_deref()
                .and_then(|i| i.strip_prefix("registry key "))
                .is_some_and(|hint| !known(hint))
        {
            continue;
        }
        checked += 1;
        match &report.failure {
            Some(why) => failures.push((what(report), reason(why, name, version))),
            None => {
                provenance |= report
                    .predicate_type
                    .as_deref()
                    .is_some_and(|p| p.starts_with("https://slsa.dev/provenance/"));
            }
        }
    }
    if !failures.is_empty() {
        let mut problems: Vec<String> = Vec::new();
        let mut reasons: Vec<&str> = failures.iter().map(|(_, r)| r.as_str()).collect();
        reasons.dedup();
        for r in reasons {
            let whats: Vec<&str> = failures
                .iter()
                .filter(|(_, why)| why == r)
                .map(|(w, _)| w.as_str())
                .collect();
            let verb = if whats.len() == 1 { "does" } else { "do" };
            problems.push(format!("{} {verb} not verify: {r}", whats.join(" and ")));
        }
        return Verdict::Bad(problems);
    }
    if checked == 0 {
        return Verdict::Unchecked;
    }
    if !provenance {
        return Verdict::Bad(vec![
            "the registry says it has a provenance attestation, but no SLSA provenance among its attestations verifies".into(),
        ]);
    }
    Verdict::Verified
}

//! Offline verification of Sigstore bundles and SLSA provenance for an artifact: sigstore-verify
//! checks the signature, the Fulcio chain to the trusted root, the SCT, the Rekor entry
//! (inclusion proof or signed entry timestamp, the certificate valid at integration time) and that
//! the in-toto subject digest is the artifact's; chainward adds the identity policy a release
//! needs (identity regexp, source repository, ref glob, builder, workflow), read from the
//! certificate's Fulcio extensions and the SLSA predicate (v0.2 and v1). No network, ever.

use std::io::Read;
use std::path::Path;

use chainward_core::command::Files;

use sigstore_verify::trust_root::{SIGSTORE_PRODUCTION_TRUSTED_ROOT, TrustedRoot};
use sigstore_verify::types::{Artifact, ArtifactDigest, Bundle, HashAlgorithm, SignatureContent};
use sigstore_verify::types::{DerPublicKey, VerificationMaterialContent};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, Verifier};

/// What the signer must be.
#[derive(Debug, Default, Clone)]
pub struct Policy {
    pub identity: Option<String>,
    pub identity_regexp: Option<String>,
    pub issuer: Option<String>,
    /// `github.com/ORG/REPO`.
    pub source_uri: Option<String>,
    /// `refs/tags/v1.2.3`, or a glob (`refs/tags/v*`).
    pub source_ref: Option<String>,
    pub builder_id: Option<String>,
    /// `.github/workflows/release.yml`.
    pub workflow: Option<String>,
    /// The npm package the statement must be about (`pkg:npm/<name>@<version>` subjects).
    pub package_name: Option<String>,
    pub package_version: Option<String>,
    /// Accept certificates without a verified SCT (private Sigstore deployments without a
    /// certificate transparency log), as cosign's `--insecure-ignore-sct`.
    pub ignore_sct: bool,
}

impl Policy {
    /// The identity flags given (`--source-uri`, `--builder-id`, …). Each is a claim about a
    /// certificate (Fulcio) signer: a key-signed statement cannot satisfy any of them.
    pub(crate) fn identity_flags(&self) -> Vec<&'static str> {
        [
            (self.identity.is_some(), "--cert-identity"),
            (self.identity_regexp.is_some(), "--cert-identity-regexp"),
            (self.issuer.is_some(), "--cert-oidc-issuer"),
            (self.source_uri.is_some(), "--source-uri"),
            (self.source_ref.is_some(), "--source-ref"),
            (self.builder_id.is_some(), "--builder-id"),
            (self.workflow.is_some(), "--workflow"),
        ]
        .into_iter()
        .filter_map(|(given, flag)| given.then_some(flag))
        .collect()
    }
}

/// `--source-uri` in a form slsa-verifier accepts: `github.com/OWNER/REPO`, with an optional
/// `https://` or `git+https://` scheme (host case-insensitive), returned as
/// `github.com/OWNER/REPO`. Any other scheme or host is refused, not stripped.
pub fn source_uri(uri: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "--source-uri {uri}: expected github.com/OWNER/REPO (or https://github.com/OWNER/REPO, git+https://github.com/OWNER/REPO)"
        )
    };
    let rest = uri
        .strip_prefix("git+https://")
        .or_else(|| uri.strip_prefix("https://"))
        .unwrap_or(uri);
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let mut parts = rest.split('/');
    let (Some(host), Some(owner), Some(repo), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let name = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    if !host.eq_ignore_ascii_case("github.com") || !name(owner) || !name(repo) {
        return Err(bad());
    }
    Ok(format!("github.com/{owner}/{repo}"))
}

/// `--cert-identity-regexp`, matched against the whole identity (cosign's full-match
/// semantics). The pattern is compiled on its own first, so that it cannot close the group it
/// is wrapped in (`a)|(.*` would otherwise escape the anchors and match anything).
pub fn identity_regexp(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(pattern)
        .and_then(|_| regex::Regex::new(&format!("^(?:{pattern})$")))
        .map_err(|e| format!("--cert-identity-regexp {pattern}: {e}"))
}

/// The policy's own values, checked before anything is verified.
pub fn check_policy(policy: &Policy) -> Result<(), String> {
    if let Some(uri) = &policy.source_uri {
        source_uri(uri)?;
    }
    if let Some(pattern) = &policy.identity_regexp {
        identity_regexp(pattern)?;
    }
    Ok(())
}

/// Why a key-signed statement fails an identity policy on its own.
fn no_certificate(flags: &[&str]) -> String {
    format!(
        "no certificate-signed provenance to check {} against (a key-signed statement names no \
         workflow, repository or builder)",
        flags.join(", ")
    )
}

/// The artifact: a file (hashed while streaming) or a digest.
pub enum Subject<'a> {
    /// A file, streamed through the command's [`Files`].
    File(&'a Path, &'a dyn Files),
    /// The artifact's bytes, already read (through the project model).
    Bytes(Vec<u8>),
    Digest(HashAlgorithm, Vec<u8>),
}

impl Subject<'_> {
    /// `sha256:<hex>` / `sha512:<hex>`.
    pub fn digest(s: &str) -> Option<Subject<'static>> {
        let (alg, hex) = s.split_once(':')?;
        let alg = match alg {
            "sha256" => HashAlgorithm::Sha2256,
            "sha512" => HashAlgorithm::Sha2512,
            _ => return None,
        };
        if hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .ok()?;
        Some(Subject::Digest(alg, bytes))
    }
}

/// What a proof says, and whether it held.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    /// Where the bundle came from (`bundle`, `attestations[0] https://slsa.dev/provenance/v1`,
    /// `line 2`).
    pub label: String,
    pub predicate_type: Option<String>,
    pub subjects: Vec<String>,
    pub identity: Option<String>,
    pub issuer: Option<String>,
    pub repository: Option<String>,
    pub workflow: Option<String>,
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    pub commit: Option<String>,
    /// The builder the statement claims (SLSA `builder.id`): signed, but written by the signer.
    pub builder: Option<String>,
    /// The workflow that signed, from the certificate: Fulcio's Build Signer URI, or for
    /// GitHub Actions certificates without it, the SAN (the signing job's `job_workflow_ref`).
    pub build_signer: Option<String>,
    /// Fulcio's Runner Environment (`github-hosted`, `self-hosted`), when the certificate has it.
    #[serde(skip)]
    runner_environment: Option<String>,
    pub signed_at: Option<String>,
    pub log_index: Option<u64>,
    /// `None` when verified; otherwise the check that failed.
    pub failure: Option<String>,
    /// Not verifiable with what was given (a registry-key signature without `--npm-keys`).
    pub skipped: bool,
    /// Signed with a key (npm's publish attestation, `--key`), not a Fulcio certificate.
    pub key_signed: bool,
    /// Verified, except that the identity flags could not be checked against a key: lifted by
    /// `verify_all` when a certificate-signed statement in the same file satisfies them.
    #[serde(skip)]
    identity_deferred: bool,
}

/// A key of the npm registry (`GET /-/npm/v1/keys`): signs npm's publish attestations.
#[derive(Debug, Clone)]
pub struct NpmKey {
    pub keyid: String,
    pub der: Vec<u8>,
    /// Signatures made after this are not accepted.
    pub expires: Option<jiff::Timestamp>,
}

/// A managed public key (PEM), used for any key-signed bundle whatever its hint.
pub fn pem_key(text: &str) -> Result<NpmKey, String> {
    let key = DerPublicKey::from_pem(text).map_err(|e| format!("not a PEM public key: {e}"))?;
    Ok(NpmKey {
        keyid: "*".into(),
        der: key.as_bytes().to_vec(),
        expires: None,
    })
}

/// The registry's keys: the `/-/npm/v1/keys` document (`keyid`, `key`, `expires`), or the
/// Sigstore TUF target npm publishes them in (`keyId`, `publicKey.rawBytes`,
/// `publicKey.validFor.end`; only the `npm:attestations` keys).
pub fn npm_keys(text: &str) -> Result<Vec<NpmKey>, String> {
    use base64::Engine;
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let keys = doc["keys"].as_array().ok_or("no `keys` array")?;
    keys.iter()
        .enumerate()
        .filter(|(_, k)| {
            k["keyUsage"]
                .as_str()
                .is_none_or(|u| u == "npm:attestations")
        })
        .map(|(i, k)| {
            let tuf = &k["publicKey"];
            let keyid = k["keyid"]
                .as_str()
                .or(k["keyId"].as_str())
                .ok_or(format!("keys[{i}]: no keyid"))?;
            let key = k["key"].as_str().or(tuf["rawBytes"].as_str()).unwrap_or("");
            let der = base64::engine::general_purpose::STANDARD
                .decode(key)
                .map_err(|e| format!("keys[{i}]: key is not base64: {e}"))?;
            // `null` or absent: no end. Anything else must be an RFC 3339 time: a key whose
            // expiry cannot be read must not be taken as never expiring.
            let expires = match k.get("expires").or(tuf["validFor"].get("end")) {
                None | Some(serde_json::Value::Null) => None,
                Some(v) => Some(
                    v.as_str()
                        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                        .ok_or(format!(
                            "keys[{i}] ({keyid}): expires {v} is not an RFC 3339 time"
                        ))?,
                ),
            };
            Ok(NpmKey {
                keyid: keyid.to_string(),
                der,
                expires,
            })
        })
        .collect()
}

impl Report {
    pub fn verified(&self) -> bool {
        self.failure.is_none()
    }
}

/// The trusted root: the embedded Sigstore public-good one, or a `trusted_root.json`.
pub fn trusted_root(path: Option<&Path>, files: &dyn Files) -> Result<TrustedRoot, String> {
    match path {
        None => TrustedRoot::from_json(SIGSTORE_PRODUCTION_TRUSTED_ROOT).map_err(|e| e.to_string()),
        Some(p) => {
            let text = files.read_text(p).map_err(|e| e.to_string())?;
            TrustedRoot::from_json(&text)
                .map_err(|e| format!("{}: not a trusted root: {e}", p.display()))
        }
    }
}

/// One proof in a file.
pub struct Proof {
    /// Where it is in the file (`bundle`, `attestations[0] https://slsa.dev/provenance/v1`,
    /// `line 2`).
    pub label: String,
    /// The in-toto statement its DSSE payload carries, if any.
    pub statement: Option<serde_json::Value>,
    /// `None` for a bare DSSE envelope (slsa-github-generator before v2): a signature and a
    /// certificate without a transparency-log entry, which cannot be verified offline.
    pub bundle: Option<Box<Bundle>>,
    /// The `predicateType` an npm attestations response states beside the bundle: unsigned, so
    /// only compared with the signed statement's, never shown.
    outer_predicate_type: Option<String>,
}

impl Proof {
    fn of_bundle(label: String, bundle: Bundle) -> Proof {
        let statement = match &bundle.content {
            SignatureContent::DsseEnvelope(envelope) => {
                serde_json::from_slice(envelope.payload.as_bytes()).ok()
            }
            _ => None,
        };
        Proof {
            label,
            statement,
            bundle: Some(Box::new(bundle)),
            outer_predicate_type: None,
        }
    }

    /// A Sigstore bundle, or a bare DSSE envelope (`payloadType`, `payload`, `signatures`).
    fn parse(label: String, value: &serde_json::Value, text: &str) -> Result<Proof, String> {
        if value.get("payloadType").is_some() && value.get("signatures").is_some() {
            use base64::Engine;
            let payload = base64::engine::general_purpose::STANDARD
                .decode(value["payload"].as_str().unwrap_or(""))
                .map_err(|e| format!("{label}: the DSSE payload is not base64: {e}"))?;
            return Ok(Proof {
                label,
                statement: serde_json::from_slice(&payload).ok(),
                bundle: None,
                outer_predicate_type: None,
            });
        }
        media_type(value).map_err(|e| format!("{label}: {e}"))?;
        Bundle::from_json(text)
            .map(|b| Proof::of_bundle(label.clone(), b))
            .map_err(|e| format!("{label}: not a Sigstore bundle: {e}"))
    }
}

/// A Sigstore bundle must state its `mediaType`: the version it names decides the rules it is
/// checked by (which log proof, which certificate form), so none is assumed.
fn media_type(bundle: &serde_json::Value) -> Result<(), String> {
    match bundle.get("mediaType") {
        Some(serde_json::Value::String(t))
            if t.starts_with("application/vnd.dev.sigstore.bundle") =>
        {
            Ok(())
        }
        Some(t) => Err(format!("not a Sigstore bundle media type: {t}")),
        None => Err("the bundle has no mediaType".into()),
    }
}

/// Every Rekor v1 inclusion proof is for the tree its signed checkpoint describes: the proof's
/// own `treeSize` is unsigned, and a Merkle path stays valid for a range of tree sizes.
fn tree_size_failure(bundle: &Bundle) -> Option<String> {
    use sigstore_verify::types::KindVersion;
    bundle
        .verification_material
        .tlog_entries
        .iter()
        .filter(|e| e.kind_version != KindVersion::HashedRekordV002)
        .filter_map(|e| e.inclusion_proof.as_ref())
        .find_map(|proof| {
            let checkpoint = proof.checkpoint.checkpoint()?;
            (checkpoint.tree_size() != proof.tree_size).then(|| {
                format!(
                    "inclusion proof: treeSize {} is not the signed checkpoint's tree size {}",
                    proof.tree_size,
                    checkpoint.tree_size()
                )
            })
        })
}

/// The proofs in a file: one Sigstore bundle, an npm attestations response
/// (`{"attestations": [{predicateType, bundle}]}`) or SLSA generator output (`.intoto.jsonl`,
/// one bundle or DSSE envelope per line). Malformed input is an error naming the part.
pub fn bundles(text: &str) -> Result<Vec<Proof>, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err("the file is empty".into());
    }
    let lines: Vec<&str> = trimmed.lines().filter(|l| !l.trim().is_empty()).collect();
    let one: Result<serde_json::Value, _> = serde_json::from_str(trimmed);
    match one {
        // PyPI's provenance object (the Integrity API): every attestation of every bundle.
        Ok(value) if value.get("attestation_bundles").is_some() => {
            let list = value["attestation_bundles"]
                .as_array()
                .ok_or("`attestation_bundles` is not an array")?;
            let mut out = Vec::new();
            for (i, b) in list.iter().enumerate() {
                let attestations = b["attestations"]
                    .as_array()
                    .ok_or_else(|| format!("attestation_bundles[{i}]: no `attestations`"))?;
                for (j, a) in attestations.iter().enumerate() {
                    let label = format!("attestation_bundles[{i}].attestations[{j}]");
                    out.push(pep740(&label, a)?);
                }
            }
            Ok(out)
        }
        // One PEP 740 attestation (`*.publish.attestation`).
        Ok(value)
            if value.get("verification_material").is_some() && value.get("envelope").is_some() =>
        {
            Ok(vec![pep740("attestation", &value)?])
        }
        Ok(value) if value.get("attestations").is_some() => {
            let list = value["attestations"]
                .as_array()
                .ok_or("`attestations` is not an array")?;
            let mut out = Vec::new();
            for (i, a) in list.iter().enumerate() {
                media_type(&a["bundle"]).map_err(|e| format!("attestations[{i}]: {e}"))?;
                let bundle = serde_json::to_string(&a["bundle"]).unwrap_or_default();
                let parsed = Bundle::from_json(&bundle)
                    .map_err(|e| format!("attestations[{i}]: not a Sigstore bundle: {e}"))?;
                // The label names the signed statement's predicateType, not the unsigned one.
                let mut proof = Proof::of_bundle(format!("attestations[{i}]"), parsed);
                let signed = proof
                    .statement
                    .as_ref()
                    .and_then(|s| s["predicateType"].as_str())
                    .unwrap_or("(no in-toto statement)");
                proof.label = format!("attestations[{i}] {signed}");
                proof.outer_predicate_type = a.get("predicateType").map(|t| match t.as_str() {
                    Some(t) => t.to_string(),
                    None => t.to_string(),
                });
                out.push(proof);
            }
            Ok(out)
        }
        Ok(value) => Proof::parse("bundle".to_string(), &value, trimmed).map(|p| vec![p]),
        Err(_) if lines.len() > 1 => lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let label = format!("line {}", i + 1);
                let value: serde_json::Value =
                    serde_json::from_str(line).map_err(|e| format!("{label}: not JSON: {e}"))?;
                Proof::parse(label, &value, line)
            })
            .collect(),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

/// A PEP 740 attestation (`{version: 1, verification_material: {certificate,
/// transparency_entries}, envelope: {statement, signature}}`) as the Sigstore bundle v0.3 it is
/// made from: the certificate, the first transparency log entry, and a DSSE envelope over the
/// in-toto statement (as pypi-attestations converts it).
fn pep740(label: &str, a: &serde_json::Value) -> Result<Proof, String> {
    if a.get("version").and_then(serde_json::Value::as_u64) != Some(1) {
        return Err(format!("{label}: not a version 1 PEP 740 attestation"));
    }
    let field = |path: &str| -> Result<&str, String> {
        a.pointer(path)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| {
                format!(
                    "{label}: no `{}`",
                    path.trim_start_matches('/').replace('/', ".")
                )
            })
    };
    let certificate = field("/verification_material/certificate")?;
    let statement = field("/envelope/statement")?;
    let signature = field("/envelope/signature")?;
    let entry = a
        .pointer("/verification_material/transparency_entries/0")
        .ok_or_else(|| format!("{label}: no transparency log entry"))?;
    let bundle = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": { "rawBytes": certificate },
            "tlogEntries": [entry],
        },
        "dsseEnvelope": {
            "payload": statement,
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [{ "sig": signature }],
        },
    });
    let text = bundle.to_string();
    let parsed = Bundle::from_json(&text)
        .map_err(|e| format!("{label}: not a PEP 740 attestation Sigstore reads: {e}"))?;
    let mut proof = Proof::of_bundle(label.to_string(), parsed);
    let signed = proof
        .statement
        .as_ref()
        .and_then(|s| s["predicateType"].as_str())
        .unwrap_or("(no in-toto statement)")
        .to_string();
    proof.label = format!("{label} {signed}");
    Ok(proof)
}

/// `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len())
                    .filter(|i| text.is_char_boundary(head.len() + i))
                    .any(|i| glob(tail, &text[head.len() + i..]))
        }
    }
}

fn strip_scheme(s: &str) -> &str {
    s.split_once("://")
        .map_or(s, |(_, r)| r)
        .trim_end_matches('/')
}

/// What the in-toto statement says: predicate type, subjects, and the SLSA builder id.
fn statement_facts(statement: &serde_json::Value, report: &mut Report) {
    report.predicate_type = statement["predicateType"].as_str().map(str::to_string);
    report.subjects = statement["subject"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let name = s["name"].as_str().unwrap_or("");
            let digest = s["digest"]
                .as_object()
                .and_then(|d| d.iter().next())
                .map(|(k, v)| format!("{k}:{}", v.as_str().unwrap_or("")))
                .unwrap_or_default();
            format!("{name} {digest}").trim().to_string()
        })
        .collect();
    // SLSA v1: runDetails.builder.id; v0.2: builder.id.
    report.builder = statement
        .pointer("/predicate/runDetails/builder/id")
        .or_else(|| statement.pointer("/predicate/builder/id"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
}

/// Verify one bundle for `subject` under `policy`. Cryptographic and policy failures are a
/// `Report` with `failure`; only unreadable artifacts are `Err`.
pub fn verify(
    verifier: &Verifier,
    subject: &Subject<'_>,
    proof: &Proof,
    policy: &Policy,
    keys: &[NpmKey],
) -> Result<Report, String> {
    let mut report = Report {
        label: proof.label.clone(),
        ..Report::default()
    };
    if let Some(statement) = &proof.statement {
        statement_facts(statement, &mut report);
    }
    if let Some(outer) = &proof.outer_predicate_type
        && report.predicate_type.as_deref() != Some(outer.as_str())
    {
        report.failure = Some(format!(
            "the attestation's predicateType {outer} is not the signed statement's ({})",
            report.predicate_type.as_deref().unwrap_or("none")
        ));
        return Ok(report);
    }
    let Some(bundle) = &proof.bundle else {
        report.failure = Some(
            "a bare DSSE envelope without a transparency-log entry (slsa-github-generator \
             before v2): its short-lived certificate cannot be checked offline; \
             slsa-verifier looks the entry up in Rekor online, and generator v2 writes \
             self-contained Sigstore bundles"
                .into(),
        );
        return Ok(report);
    };
    if let Some(failure) = tree_size_failure(bundle) {
        report.failure = Some(failure);
        return Ok(report);
    }
    report.log_index = bundle
        .verification_material
        .tlog_entries
        .first()
        .map(|e| e.log_index.get());
    if let VerificationMaterialContent::PublicKey(id) = &bundle.verification_material.content {
        report.key_signed = true;
        let mut report = verify_with_key(verifier, subject, bundle, &id.hint, keys, report)?;
        if report.failure.is_none() {
            report.failure = package_failure(policy, proof.statement.as_ref(), subject)?;
        }
        let flags = policy.identity_flags();
        if report.failure.is_none() && !flags.is_empty() {
            report.failure = Some(no_certificate(&flags));
            report.identity_deferred = true;
        }
        return Ok(report);
    }
    let mut vpolicy = VerificationPolicy::any_identity();
    if let Some(id) = &policy.identity {
        vpolicy = vpolicy.require_identity(id.as_str());
    }
    if let Some(issuer) = &policy.issuer {
        vpolicy = vpolicy.require_issuer(issuer.as_str());
    }
    if policy.ignore_sct {
        vpolicy = vpolicy.skip_sct();
    }
    let result = match run(verifier, subject, bundle, &vpolicy)? {
        Ok(r) => r,
        Err(e) => {
            report.failure = Some(e);
            return Ok(report);
        }
    };
    report.identity = result.identity().map(|s| s.as_str().to_string());
    report.issuer = result.issuer().map(str::to_string);
    report.signed_at = result.integrated_time().map(|t| t.to_string());
    if let Some(cert) = result.certificate() {
        let c = &cert.ci_claims;
        // Certificates before Fulcio's 2023 extensions carry the older GitHub claims.
        let old = &c.deprecated_github;
        report.repository = c.source_repository_uri.clone().or_else(|| {
            old.workflow_repository
                .as_ref()
                .map(|r| format!("https://github.com/{r}"))
        });
        report.git_ref = c
            .source_repository_ref
            .clone()
            .or_else(|| old.workflow_ref.clone());
        report.commit = c
            .source_repository_digest
            .clone()
            .or_else(|| old.workflow_sha.clone());
        report.workflow = c
            .build_config_uri
            .clone()
            .or_else(|| c.build_signer_uri.clone())
            .or_else(|| report.identity.clone().filter(|i| is_github_workflow(i)));
        report.build_signer = c.build_signer_uri.clone().or_else(|| {
            report.identity.clone().filter(|i| {
                is_github_workflow(i) && report.issuer.as_deref() == Some(GITHUB_ISSUER)
            })
        });
        report.runner_environment = c.runner_environment.clone();
    }
    report.failure = match policy_failure(policy, &report) {
        Some(f) => Some(f),
        None => package_failure(policy, proof.statement.as_ref(), subject)?,
    };
    Ok(report)
}

/// Verify every proof in a file (`bundles`) for `subject`. The identity flags are checked
/// against the certificate-signed statements; a key-signed one (npm's publish attestation)
/// passes them only when a certificate-signed statement in the same file verified under them.
pub fn verify_all(
    verifier: &Verifier,
    subject: &Subject<'_>,
    text: &str,
    policy: &Policy,
    keys: &[NpmKey],
) -> Result<Vec<Report>, String> {
    let mut reports = bundles(text)?
        .iter()
        .map(|proof| verify(verifier, subject, proof, policy, keys))
        .collect::<Result<Vec<Report>, String>>()?;
    let certified = reports.iter().any(|r| !r.key_signed && r.verified());
    if certified {
        for r in reports.iter_mut().filter(|r| r.identity_deferred) {
            r.failure = None;
            r.identity_deferred = false;
        }
    }
    Ok(reports)
}

/// `pkg:npm/%40scope/name@1.0.0` → (`@scope/name`, `1.0.0`).
fn npm_purl(subject: &str) -> Option<(String, &str)> {
    let rest = subject.strip_prefix("pkg:npm/")?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (name, version) = rest.rsplit_once('@')?;
    Some((
        name.replace("%40", "@")
            .replace("%2F", "/")
            .replace("%2f", "/"),
        version,
    ))
}

/// The artifact's digests (`sha256`, `sha512`; lower-case hex), to find the subject it is.
fn artifact_digests(subject: &Subject<'_>) -> Result<Vec<(&'static str, String)>, String> {
    use sigstore_verify::crypto::ArtifactHasher;
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let name = |alg: HashAlgorithm| match alg {
        HashAlgorithm::Sha2256 => Some("sha256"),
        HashAlgorithm::Sha2512 => Some("sha512"),
        _ => None,
    };
    if let Subject::Digest(alg, bytes) = subject {
        return Ok(name(*alg).map(|n| (n, hex(bytes))).into_iter().collect());
    }
    let mut hashers = [HashAlgorithm::Sha2256, HashAlgorithm::Sha2512]
        .into_iter()
        .map(|alg| ArtifactHasher::new(alg).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, String>>()?;
    match subject {
        Subject::Bytes(bytes) => hashers.iter_mut().for_each(|h| h.update(bytes)),
        Subject::File(path, files) => {
            let mut file = files.open(path).map_err(|e| e.to_string())?;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = file
                    .read(&mut buf)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                if n == 0 {
                    break;
                }
                hashers.iter_mut().for_each(|h| h.update(&buf[..n]));
            }
        }
        Subject::Digest(..) => {}
    }
    Ok(hashers
        .into_iter()
        .filter_map(|h| {
            let d = h.finalize();
            name(d.algorithm()).map(|n| (n, hex(d.as_bytes())))
        })
        .collect())
}

/// `--package-name` / `--package-version` against the subject whose digest is the artifact's:
/// that one subject must be `pkg:npm/NAME@VERSION` (another subject of the same statement says
/// nothing about this artifact).
fn package_failure(
    policy: &Policy,
    statement: Option<&serde_json::Value>,
    subject: &Subject<'_>,
) -> Result<Option<String>, String> {
    if policy.package_name.is_none() && policy.package_version.is_none() {
        return Ok(None);
    }
    let digests = artifact_digests(subject)?;
    let matched: Vec<&str> = statement
        .and_then(|s| s["subject"].as_array())
        .into_iter()
        .flatten()
        .filter(|s| {
            digests.iter().any(|(alg, hex)| {
                s["digest"][*alg]
                    .as_str()
                    .is_some_and(|d| d.eq_ignore_ascii_case(hex))
            })
        })
        .filter_map(|s| s["name"].as_str())
        .collect();
    let packages: Vec<(String, &str)> = matched.iter().filter_map(|n| npm_purl(n)).collect();
    let Some((name, version)) = packages.first() else {
        return Ok(Some(if matched.is_empty() {
            "no subject of the statement has the artifact's digest".into()
        } else {
            format!(
                "the subject with the artifact's digest ({}) is not an npm package (pkg:npm/)",
                matched.join(", ")
            )
        }));
    };
    let fits = |(n, v): &(String, &str)| {
        policy.package_name.as_ref().is_none_or(|w| n == w)
            && policy.package_version.as_ref().is_none_or(|w| v == w)
    };
    if packages.iter().any(fits) {
        return Ok(None);
    }
    Ok(Some(match &policy.package_name {
        Some(want) if !packages.iter().any(|(n, _)| n == want) => {
            format!("the statement is about the package {name}, not --package-name {want}")
        }
        _ => format!(
            "the statement is about {name}@{version}, not --package-version {}",
            policy.package_version.as_deref().unwrap_or("")
        ),
    }))
}

/// `--builder-id` against the builder: exact, or without the `@ref` (`@v2.1.0` standing for
/// `@refs/tags/v2.1.0`). npm's SLSA v0.2 provenance names the GitHub-hosted runner
/// `https://github.com/actions/runner`, which v1 calls `…/runner/github-hosted`.
fn builder_matches(want: &str, have: &str) -> bool {
    let (have_base, have_ref) = have.split_once('@').unwrap_or((have, ""));
    match want.split_once('@') {
        _ if want == have => true,
        None => {
            want == have_base
                || (want == "https://github.com/actions/runner/github-hosted"
                    && have == "https://github.com/actions/runner")
        }
        Some((want_base, want_ref)) => {
            want_base == have_base
                && !want_ref.starts_with("refs/")
                && have_ref == format!("refs/tags/{want_ref}")
        }
    }
}

const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
const GITHUB_RUNNER: &str = "https://github.com/actions/runner";

/// `https://github.com/OWNER/REPO/.github/workflows/FILE@REF`.
fn is_github_workflow(uri: &str) -> bool {
    uri.starts_with("https://github.com/")
        && uri.contains("/.github/workflows/")
        && uri.contains('@')
}

/// slsa-github-generator's BYOB delegators, at a release tag: they sign for the builder that
/// called them and write its id into `builder.id` (slsa-verifier's trusted delegators).
fn is_trusted_delegator(signer: &str) -> bool {
    let (base, git_ref) = signer.split_once('@').unwrap_or((signer, ""));
    matches!(
        base,
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/delegator_generic_slsa3.yml"
            | "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/delegator_lowperms-generic_slsa3.yml"
    ) && git_ref.starts_with("refs/tags/v")
}

/// `--builder-id` against the certificate, as slsa-verifier does: the builder is the workflow
/// that signed (the certificate's build signer), and the statement's `builder.id` must agree
/// with it; any signer can write any `builder.id`. Two exceptions, both slsa-verifier's: a
/// trusted BYOB delegator signs for the builder that called it, and npm's CLI on a
/// GitHub-hosted runner names the runner (`https://github.com/actions/runner/github-hosted`)
/// while the repository's own workflow signs.
fn builder_failure(want: &str, r: &Report) -> Option<String> {
    let claimed = r.builder.as_deref().unwrap_or("");
    let Some(signer) = r.build_signer.as_deref() else {
        return Some(format!(
            "the certificate names no build signer (Fulcio Build Signer URI) to check --builder-id {want} against"
        ));
    };
    let claimed_shown = if claimed.is_empty() {
        "no builder"
    } else {
        claimed
    };
    if builder_matches(want, signer) {
        let (signer_base, _) = signer.split_once('@').unwrap_or((signer, ""));
        return (claimed != signer && claimed != signer_base).then(|| {
            format!(
                "the statement claims {claimed_shown}, but the certificate's build signer is {signer}"
            )
        });
    }
    let want_base = want.split_once('@').map_or(want, |(b, _)| b);
    if is_trusted_delegator(signer)
        || want_base == GITHUB_RUNNER
        || want_base == format!("{GITHUB_RUNNER}/github-hosted")
    {
        if let Some(env) = r.runner_environment.as_deref()
            && !is_trusted_delegator(signer)
            && env != "github-hosted"
        {
            return Some(format!(
                "the certificate says the build ran on a {env} runner, not --builder-id {want}"
            ));
        }
        return (!builder_matches(want, claimed))
            .then(|| format!("builder {claimed_shown} does not match --builder-id {want}"));
    }
    Some(format!(
        "untrusted reusable workflow: the certificate's build signer is {signer}, not --builder-id {want}{}",
        if claimed.is_empty() || claimed == signer {
            String::new()
        } else {
            format!(" (the statement claims {claimed})")
        }
    ))
}

fn run<P: sigstore_verify::Policy>(
    verifier: &Verifier,
    subject: &Subject<'_>,
    bundle: &Bundle,
    policy: &P,
) -> Result<Result<sigstore_verify::VerificationResult, String>, String> {
    Ok(match subject {
        Subject::File(path, files) => {
            let file = files.open(path).map_err(|e| e.to_string())?;
            verifier
                .verify_reader(
                    std::io::BufReader::with_capacity(1 << 20, file),
                    bundle,
                    policy,
                )
                .map_err(|e| e.to_string())
        }
        Subject::Digest(alg, bytes) => {
            let digest = ArtifactDigest::new(*alg, bytes.clone()).map_err(|e| e.to_string())?;
            verifier
                .verify(Artifact::from_digest(digest), bundle, policy)
                .map_err(|e| e.to_string())
        }
        Subject::Bytes(bytes) => verifier
            .verify(Artifact::from_blob(bytes), bundle, policy)
            .map_err(|e| e.to_string()),
    })
}

/// A bundle signed with a registry key (npm's publish attestation): the key named by the
/// bundle's hint, and a signature made before the key expired.
fn verify_with_key(
    verifier: &Verifier,
    subject: &Subject<'_>,
    bundle: &Bundle,
    hint: &str,
    keys: &[NpmKey],
    mut report: Report,
) -> Result<Report, String> {
    report.identity = Some(format!("registry key {hint}"));
    let Some(key) = keys
        .iter()
        .find(|k| k.keyid == hint)
        .or_else(|| keys.iter().find(|k| k.keyid == "*"))
    else {
        report.skipped = keys.is_empty();
        report.failure = Some(if keys.is_empty() {
            format!(
                "signed by the registry key {hint}: pass --npm-keys (the registry's /-/npm/v1/keys document) to verify it"
            )
        } else {
            format!("signed by the key {hint}, which is not among the --npm-keys")
        });
        return Ok(report);
    };
    let policy = PublicKeyVerificationPolicy::new(DerPublicKey::new(key.der.clone()));
    match run(verifier, subject, bundle, &policy)? {
        Ok(result) => {
            report.signed_at = result.integrated_time().map(|t| t.to_string());
            if let (Some(expires), Some(at)) = (key.expires, result.integrated_time())
                && at > expires
            {
                report.failure = Some(format!(
                    "signed at {at}, after the key {hint} expired ({expires})"
                ));
            }
        }
        Err(e) => report.failure = Some(e),
    }
    Ok(report)
}

/// The first policy check the verified claims fail, if any.
fn policy_failure(policy: &Policy, r: &Report) -> Option<String> {
    if let Some(pattern) = &policy.identity_regexp {
        let identity = r.identity.as_deref().unwrap_or("");
        match identity_regexp(pattern) {
            Ok(re) if re.is_match(identity) => {}
            Ok(_) => {
                return Some(format!(
                    "certificate identity {identity} does not match --cert-identity-regexp {pattern}"
                ));
            }
            Err(e) => return Some(e),
        }
    }
    if let Some(given) = &policy.source_uri {
        let want = match source_uri(given) {
            Ok(w) => w,
            Err(e) => return Some(e),
        };
        let want = want.as_str();
        // The certificate carries the repository as GitHub spells it; like slsa-verifier and
        // cosign, the comparison is exact (only the host is case-insensitive).
        let have = r.repository.as_deref().map(strip_scheme).unwrap_or("");
        let same = |a: &str, b: &str| match (a.split_once('/'), b.split_once('/')) {
            (Some((ha, pa)), Some((hb, pb))) => ha.eq_ignore_ascii_case(hb) && pa == pb,
            _ => a == b,
        };
        if !same(have, strip_scheme(want)) {
            return Some(format!(
                "certificate identity {} (source repository {}) does not match --source-uri {want}{}",
                r.identity.as_deref().unwrap_or("?"),
                if have.is_empty() { "unknown" } else { have },
                if have.eq_ignore_ascii_case(strip_scheme(want)) {
                    " (the case differs)"
                } else {
                    ""
                }
            ));
        }
    }
    if let Some(want) = &policy.source_ref {
        let have = r.git_ref.as_deref().unwrap_or("");
        if !glob(want, have) {
            return Some(format!(
                "source ref {} does not match --source-ref {want}",
                if have.is_empty() { "unknown" } else { have }
            ));
        }
    }
    if let Some(want) = &policy.builder_id
        && let Some(failure) = builder_failure(want, r)
    {
        return Some(failure);
    }
    if let Some(want) = &policy.workflow {
        let have = r.workflow.as_deref().unwrap_or("");
        // `https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1` → the path.
        let path = strip_scheme(have).split('@').next().unwrap_or("");
        let path = path.splitn(4, '/').nth(3).unwrap_or(path);
        if path != want.trim_start_matches("./") {
            return Some(format!(
                "workflow {} does not match --workflow {want}",
                if path.is_empty() { "unknown" } else { path }
            ));
        }
    }
    None
}

/// A verifier for a trusted root.
pub fn verifier(root: &TrustedRoot) -> Result<Verifier, String> {
    Verifier::new(root).map_err(|e| format!("trusted root: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_digests() {
        assert!(glob("refs/tags/v*", "refs/tags/v1.2.3"));
        assert!(!glob("refs/tags/v*", "refs/heads/main"));
        assert!(glob("*", ""));
        assert!(glob("a*c*e", "abcde"));
        assert!(Subject::digest("sha256:00ff").is_some());
        assert!(Subject::digest("md5:00").is_none());
        assert!(Subject::digest("sha256:0g").is_none());
        assert_eq!(strip_scheme("https://github.com/a/b/"), "github.com/a/b");
    }

    #[test]
    fn identity_regexps_match_the_whole_identity_and_cannot_escape_the_anchors() {
        let id = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1";
        assert!(identity_regexp(r"https://github\.com/acme/.*").is_ok_and(|r| r.is_match(id)));
        assert!(identity_regexp("a|https://github.com/acme/app/.*").is_ok_and(|r| r.is_match(id)));
        // Full match: a prefix or a substring is not enough.
        assert!(identity_regexp("https://github.com/acme").is_ok_and(|r| !r.is_match(id)));
        assert!(identity_regexp("acme").is_ok_and(|r| !r.is_match(id)));
        // A pattern that closes the wrapping group is not a pattern.
        for escape in ["a)|(.*", ".*)|(", "x)(?:.*"] {
            assert!(identity_regexp(escape).is_err(), "{escape}");
            let policy = Policy {
                identity_regexp: Some(escape.into()),
                ..Policy::default()
            };
            assert!(check_policy(&policy).is_err(), "{escape}");
            let report = Report {
                identity: Some(
                    "https://github.com/evil/x/.github/workflows/r.yml@refs/heads/main".into(),
                ),
                ..Report::default()
            };
            assert!(policy_failure(&policy, &report).is_some(), "{escape}");
        }
    }

    #[test]
    fn source_uris_in_the_forms_slsa_verifier_accepts() {
        for ok in [
            "github.com/acme/app",
            "https://github.com/acme/app",
            "git+https://github.com/acme/app",
            "https://GitHub.com/acme/app/",
            "github.com/acme-1/app_x.js",
        ] {
            assert_eq!(
                source_uri(ok).as_deref(),
                Ok(if ok.contains("app_x") {
                    "github.com/acme-1/app_x.js"
                } else {
                    "github.com/acme/app"
                }),
                "{ok}"
            );
        }
        for bad in [
            "evil://github.com/acme/app",
            "http://github.com/acme/app",
            "ssh://github.com/acme/app",
            "https://evil.com/acme/app",
            "github.com.evil.com/acme/app",
            "github.com/acme",
            "github.com/acme/app/extra",
            "github.com/acme/..",
            "acme/app",
            "",
        ] {
            assert!(source_uri(bad).is_err(), "{bad}");
        }
        let policy = Policy {
            source_uri: Some("evil://github.com/acme/app".into()),
            ..Policy::default()
        };
        let report = Report {
            repository: Some("https://github.com/acme/app".into()),
            ..Report::default()
        };
        assert!(check_policy(&policy).is_err());
        assert!(policy_failure(&policy, &report).is_some());
    }

    #[test]
    fn builders_and_packages() {
        let generic = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml";
        let have = format!("{generic}@refs/tags/v2.1.0");
        assert!(builder_matches(generic, &have));
        assert!(builder_matches(&format!("{generic}@v2.1.0"), &have));
        assert!(builder_matches(&have, &have));
        assert!(!builder_matches(&format!("{generic}@v2.0.0"), &have));
        assert!(!builder_matches(
            &format!("{generic}@refs/heads/v2.1.0"),
            &have
        ));
        assert!(!builder_matches("https://github.com/slsa-framework", &have));
        let runner = "https://github.com/actions/runner";
        assert!(builder_matches(&format!("{runner}/github-hosted"), runner));
        assert!(!builder_matches(runner, &format!("{runner}/github-hosted")));
        assert_eq!(
            npm_purl("pkg:npm/%40acme/weather-mcp@1.2.3"),
            Some(("@acme/weather-mcp".to_string(), "1.2.3"))
        );
        assert_eq!(
            npm_purl("pkg:npm/left-pad@1.0.0?x=y"),
            Some(("left-pad".to_string(), "1.0.0"))
        );
        assert_eq!(npm_purl("pkg:pypi/x@1"), None);
    }
}

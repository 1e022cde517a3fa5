//! `chainward provenance verify|show ARTIFACT --bundle FILE`: offline verification of Sigstore
//! bundles, npm attestations and SLSA provenance for an artifact, and what the proof says.

use std::path::{Path, PathBuf};

use clap::{Args, FromArgMatches, ValueEnum};

use chainward_core::Error;
use chainward_core::command::{Context, Files, Mount, Output};
use chainward_core::escape::Mode;

use crate::verify::{self, Policy, Report, Subject};

/// `verify` and `show`, verbs of `chainward provenance`.
pub(crate) fn commands() -> Vec<(Mount, clap::Command)> {
    vec![
        (
            Mount::Plugin,
            VerifyArgs::augment_args(clap::Command::new("verify").about(
                "Verify an artifact's Sigstore bundle, npm attestations or SLSA provenance, offline",
            )),
        ),
        (
            Mount::Plugin,
            VerifyArgs::augment_args(clap::Command::new("show").about(
                "Print what an artifact's provenance says (repository, workflow, ref, commit, builder, signer), and whether it verifies",
            )),
        ),
    ]
}

pub(crate) fn run_command(
    name: &str,
    matches: &clap::ArgMatches,
    context: &Context<'_>,
) -> Result<Output, Error> {
    let args = VerifyArgs::from_arg_matches(matches).map_err(|e| Error::Usage(e.to_string()))?;
    run(&args, name == "show", context.files)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
struct VerifyArgs {
    /// The artifact: a file (hashed while streaming) or `sha256:<hex>` / `sha512:<hex>`
    pub artifact: String,
    /// A Sigstore bundle (`.sigstore.json`, v0.1–v0.3), an npm attestations response
    /// (`{"attestations": [...]}`), SLSA generator output (`.intoto.jsonl`), a PEP 740
    /// attestation (`*.publish.attestation`) or PyPI's provenance object; `show` of an
    /// MCP bundle (`.mcpb`) prints its manifest and server.json entry without one
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// With an MCP bundle (`.mcpb`): the server.json whose `mcpb` entry names it [default:
    /// server.json in the current folder, if any]
    #[arg(long, value_name = "FILE")]
    pub server_json: Option<PathBuf>,
    /// The exact certificate identity (SAN), e.g. the workflow URI
    #[arg(long, value_name = "IDENTITY")]
    pub cert_identity: Option<String>,
    /// A regular expression the whole certificate identity must match
    #[arg(long, value_name = "REGEXP", conflicts_with = "cert_identity")]
    pub cert_identity_regexp: Option<String>,
    /// The OIDC issuer, e.g. https://token.actions.githubusercontent.com
    #[arg(long, value_name = "URL")]
    pub cert_oidc_issuer: Option<String>,
    /// The source repository: github.com/ORG/REPO
    #[arg(long, value_name = "URI")]
    pub source_uri: Option<String>,
    /// The git ref it was built from: refs/tags/v1.2.3, or a glob (refs/tags/v*)
    #[arg(long, value_name = "REF")]
    pub source_ref: Option<String>,
    /// The builder id (SLSA predicate), or the signer workflow URI without @ref
    #[arg(long, value_name = "ID")]
    pub builder_id: Option<String>,
    /// The workflow file that built it: .github/workflows/release.yml
    #[arg(long, value_name = "PATH")]
    pub workflow: Option<String>,
    /// The npm package the attestations must be about (`pkg:npm/` subjects), e.g. @acme/mcp
    #[arg(long, value_name = "NAME")]
    pub package_name: Option<String>,
    /// The npm package version the attestations must be about
    #[arg(long, value_name = "VERSION")]
    pub package_version: Option<String>,
    /// A trusted_root.json instead of the embedded Sigstore public-good root
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// The npm registry's keys (`/-/npm/v1/keys`, or the Sigstore TUF target
    /// `registry.npmjs.org/keys.json`), for npm's publish attestations
    #[arg(long, value_name = "FILE")]
    pub npm_keys: Option<PathBuf>,
    /// A managed public key (PEM) for a key-signed bundle
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Accept a certificate without a verified SCT (a private Sigstore deployment without a
    /// certificate transparency log; as cosign's flag of the same name)
    #[arg(long)]
    pub insecure_ignore_sct: bool,
    /// Verify without an identity policy: proves only that someone signed, whoever it was (as
    /// cosign's --certificate-identity-regexp '.*'); the output says so
    #[arg(long)]
    pub insecure_any_identity: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

fn bad(path: &Path, message: String) -> Error {
    Error::Parse {
        path: path.to_path_buf(),
        location: None,
        message,
    }
}

/// Verify every bundle in the file; `show` prints what each says even when it fails.
fn run(args: &VerifyArgs, show: bool, files: &dyn Files) -> Result<Output, Error> {
    let subject = match Subject::digest(&args.artifact) {
        Some(s) => s,
        None if args.artifact.starts_with("sha256:") || args.artifact.starts_with("sha512:") => {
            return Err(Error::Usage(format!(
                "`{}` is not a sha256:/sha512: hex digest",
                args.artifact
            )));
        }
        None => {
            let path = Path::new(&args.artifact);
            if !files.is_file(path) {
                return Err(Error::Usage(format!("{}: no such file", path.display())));
            }
            Subject::File(path, files)
        }
    };
    // A signature proves only that someone signed: `verify` needs to know who (as cosign and
    // `gh attestation verify` do). `show` prints what the proof says, labelled unchecked.
    let identity_checked = args.source_uri.is_some()
        || ((args.cert_identity.is_some() || args.cert_identity_regexp.is_some())
            && args.cert_oidc_issuer.is_some());
    if !show && !identity_checked && !args.insecure_any_identity {
        return Err(Error::Usage(
            "provenance verify needs an identity policy: --source-uri github.com/ORG/REPO, or \
             --cert-identity (or --cert-identity-regexp) with --cert-oidc-issuer; \
             --insecure-any-identity accepts any signer"
                .into(),
        ));
    }
    // An MCP bundle: what it is and what server.json says of it, before (or without) a proof.
    let mcpb = match &subject {
        Subject::File(path, _) if path.extension().is_some_and(|e| e == "mcpb") && show => Some(
            crate::mcpb::facts(path, args.server_json.as_deref(), files)?,
        ),
        _ => None,
    };
    let Some(bundle) = &args.bundle else {
        return match mcpb {
            Some(facts) => Ok(crate::mcpb::output(&facts, args.format == ReportFormat::Json)),
            None => Err(Error::Usage(
                "--bundle FILE is required (the Sigstore bundle, npm attestations or SLSA provenance to check)"
                    .into(),
            )),
        };
    };
    let text = files.read_text(bundle)?;
    // Malformed input is exit 2 before anything is verified.
    verify::bundles(&text).map_err(|m| bad(bundle, m))?;
    let root = verify::trusted_root(args.trusted_root.as_deref(), files).map_err(Error::Usage)?;
    let verifier = verify::verifier(&root).map_err(Error::Usage)?;
    let mut keys = match &args.npm_keys {
        Some(p) => verify::npm_keys(&files.read_text(p)?).map_err(|m| bad(p, m))?,
        None => Vec::new(),
    };
    if let Some(p) = &args.key {
        keys.push(verify::pem_key(&files.read_text(p)?).map_err(|m| bad(p, m))?);
    }
    let policy = Policy {
        identity: args.cert_identity.clone(),
        identity_regexp: args.cert_identity_regexp.clone(),
        issuer: args.cert_oidc_issuer.clone(),
        source_uri: args.source_uri.clone(),
        source_ref: args.source_ref.clone(),
        builder_id: args.builder_id.clone(),
        workflow: args.workflow.clone(),
        package_name: args.package_name.clone(),
        package_version: args.package_version.clone(),
        ignore_sct: args.insecure_ignore_sct,
    };
    verify::check_policy(&policy).map_err(Error::Usage)?;
    let reports =
        verify::verify_all(&verifier, &subject, &text, &policy, &keys).map_err(Error::Usage)?;
    // What the proof says (repository, workflow, ref) comes from the bundle: escaped.
    let (text, mode) = match args.format {
        ReportFormat::Json => (
            serde_json::to_string_pretty(&serde_json::json!({
                "artifact": args.artifact,
                "identity_checked": identity_checked,
                "verified": reports.iter().all(|r| r.verified() || r.skipped)
                    && reports.iter().any(Report::verified),
                "bundles": reports,
            }))
            .unwrap_or_default()
                + "\n",
            Mode::Json,
        ),
        ReportFormat::Text => (
            reports
                .iter()
                .map(|r| render(r, show, identity_checked))
                .collect(),
            Mode::Log,
        ),
    };
    let ok =
        reports.iter().all(|r| r.verified() || r.skipped) && reports.iter().any(Report::verified);
    let text = match &mcpb {
        Some(facts) if args.format == ReportFormat::Text => crate::mcpb::render(facts) + &text,
        Some(facts) => {
            // The JSON report with the bundle's facts beside the proofs.
            let mut value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            value["mcpb"] = crate::mcpb::value(facts);
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
        None => text,
    };
    let ok = ok && mcpb.as_ref().is_none_or(|f| f.hash_matches != Some(false));
    Ok(Output::text(text, mode).with_exit(u8::from(!ok)))
}

fn render(r: &Report, show: bool, identity_checked: bool) -> String {
    let mut s = String::new();
    let status = if r.verified() && !identity_checked {
        "Verified ✓ (signature only: no identity policy, so anyone could have signed; \
         pass --source-uri or --cert-identity with --cert-oidc-issuer)"
            .to_string()
    } else if r.verified() {
        "Verified ✓".to_string()
    } else if r.skipped {
        format!("Not verified: {}", r.failure.as_deref().unwrap_or(""))
    } else {
        format!("FAILED: {}", r.failure.as_deref().unwrap_or(""))
    };
    if !show {
        return format!("{}: {status}\n", r.label);
    }
    s.push_str(&format!("{}\n", r.label));
    let rows: [(&str, Option<String>); 11] = [
        ("Predicate", r.predicate_type.clone()),
        (
            "Subject",
            (!r.subjects.is_empty()).then(|| r.subjects.join(", ")),
        ),
        ("Repository", r.repository.clone()),
        ("Workflow", r.workflow.clone()),
        ("Ref", r.git_ref.clone()),
        ("Commit", r.commit.clone()),
        ("Builder", r.builder.clone()),
        ("Identity", r.identity.clone()),
        ("Issuer", r.issuer.clone()),
        ("Signed at", r.signed_at.clone()),
        ("Rekor log index", r.log_index.map(|i| i.to_string())),
    ];
    for (k, v) in rows {
        if let Some(v) = v {
            s.push_str(&format!("  {k:<16} {v}\n"));
        }
    }
    s.push_str(&format!("  {status}\n"));
    s
}

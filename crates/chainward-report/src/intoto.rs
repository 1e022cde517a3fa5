//! An unsigned in-toto Statement v1 whose predicate is a SCAI attribute report: one attribute
//! per plugin that ran (`chainward/<plugin>`), its result (PASSED / WARNED / FAILED), counts by
//! severity and the rules that fired; the subjects are the files checked, by SHA-256. Meant to be
//! signed by the user's pipeline (`cosign attest-blob --statement`) and gated on by a policy
//! engine (OPA, Kyverno). Deterministic: sorted, and no time unless one is asked for.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use chainward_core::{Coverage, Severity};
use serde_json::{Value, json};

use crate::Report;

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// SCAI v0.3 (the attribute-report v0.2 type renamed, same fields: in-toto/attestation
/// spec/predicates/scai.md).
pub const PREDICATE_TYPE: &str = "https://in-toto.io/attestation/scai/v0.3";
/// The attribute of findings of the engine's own rules (`chainward/parse-error`, …).
pub const ENGINE_ATTRIBUTE: &str = "chainward/engine";

/// What an attestation says beyond the findings.
#[derive(Debug, Clone, Default)]
pub struct Attestation {
    /// The files checked: (path relative to the project root, `/`-separated; SHA-256 hex).
    pub subjects: Vec<(String, String)>,
    /// The plugins that ran, by id, with what each could judge.
    pub plugins: Vec<(&'static str, chainward_core::Coverage)>,
    /// The SARIF report written beside it: (file name, SHA-256 hex).
    pub evidence: Option<(String, String)>,
    /// When the check ran (RFC 3339), only when asked for.
    pub time: Option<String>,
    /// The git commit every attested file is as committed at (hex), when there is one.
    pub commit: Option<String>,
    /// The external plugins that ran, by name.
    pub external: Vec<String>,
}

pub(crate) fn render(
    report: &Report<'_>,
    attestation: &Attestation,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let value = statement(report, attestation);
    let text = serde_json::to_string_pretty(&value).map_err(std::io::Error::other)?;
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")
}

fn statement(report: &Report<'_>, attestation: &Attestation) -> Value {
    let mut subjects = attestation.subjects.clone();
    subjects.sort();
    subjects.dedup();
    let mut subject: Vec<Value> = subjects
        .iter()
        .map(|(name, sha)| json!({ "name": name, "digest": { "sha256": sha } }))
        .collect();
    if let Some(commit) = &attestation.commit {
        subject.push(json!({ "name": "HEAD", "digest": { "gitCommit": commit } }));
    }
    // Every plugin that ran has an attribute, PASSED when it found nothing; findings of the
    // engine's own rules have one of their own.
    let mut groups: BTreeMap<String, Group> = attestation
        .plugins
        .iter()
        .map(|(p, coverage)| {
            (
                format!("chainward/{p}"),
                Group {
                    coverage: coverage.clone(),
                    ..Group::default()
                },
            )
        })
        .collect();
    groups.entry(ENGINE_ATTRIBUTE.to_string()).or_default();
    for name in &attestation.external {
        groups.entry(format!("external/{name}")).or_default();
    }
    for f in report.findings {
        let plugin = f.rule.split_once('/').map_or(f.rule.as_str(), |(p, _)| p);
        // Built-in plugins' findings under `chainward/…`; an external plugin's (whatever its
        // rule ids say) under `external/…`.
        let attribute = if plugin == "chainward" {
            ENGINE_ATTRIBUTE.to_string()
        } else if attestation.plugins.iter().any(|(p, _)| *p == plugin) {
            format!("chainward/{plugin}")
        } else {
            format!("external/{plugin}")
        };
        let group = groups.entry(attribute).or_default();
        match f.severity {
            Severity::Error => group.errors += 1,
            Severity::Warning => group.warnings += 1,
            Severity::Info => group.infos += 1,
        }
        group.rules.insert(f.rule.clone());
    }
    let evidence = attestation.evidence.as_ref().map(|(name, sha)| {
        json!({ "name": name, "digest": { "sha256": sha }, "mediaType": "application/sarif+json" })
    });
    let attributes: Vec<Value> = groups
        .into_iter()
        .map(|(attribute, g)| {
            // Findings decide; without any, what the plugin could judge.
            let (result, reason) = if g.errors > 0 {
                ("FAILED", None)
            } else if g.warnings > 0 {
                ("WARNED", None)
            } else {
                match &g.coverage {
                    Coverage::Checked => ("PASSED", None),
                    Coverage::NotApplicable => ("NOT_APPLICABLE", None),
                    Coverage::Skipped(why) => ("SKIPPED", Some(why.clone())),
                }
            };
            let mut a = json!({
                "attribute": attribute,
                "conditions": {
                    "result": result,
                    "counts": { "error": g.errors, "warning": g.warnings, "info": g.infos },
                    "rules": g.rules.into_iter().collect::<Vec<_>>(),
                },
            });
            if let Some(why) = reason {
                a["conditions"]["reason"] = json!(why);
            }
            if let Some(e) = &evidence {
                a["evidence"] = e.clone();
            }
            a
        })
        .collect();
    let mut annotations = json!({ "version": report.tool_version });
    if let Some(time) = &attestation.time {
        annotations["checkedAt"] = json!(time);
    }
    json!({
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "attributes": attributes,
            "producer": {
                "name": "chainward",
                "uri": env!("CARGO_PKG_REPOSITORY"),
                "annotations": annotations,
            },
        },
    })
}

struct Group {
    coverage: Coverage,
    errors: usize,
    warnings: usize,
    infos: usize,
    rules: BTreeSet<String>,
}

impl Default for Group {
    fn default() -> Self {
        Group {
            coverage: Coverage::Checked,
            errors: 0,
            warnings: 0,
            infos: 0,
            rules: BTreeSet::new(),
        }
    }
}

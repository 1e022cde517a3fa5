//! CycloneDX JSON, spec 1.6 (1.5 on request), written with chainward's own serde types: the
//! `cyclonedx-bom` crate stops at 1.5 and is the slowest crate to build here. Property names
//! are those cyclonedx-npm and cdxgen use, so tools that read theirs read ours.

use serde::Serialize;

use crate::model::{Component, Kind, License, Sbom, group_and_name};

/// The spec versions chainward writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecVersion {
    V1_5,
    V1_6,
}

impl SpecVersion {
    pub fn parse(s: &str) -> Option<SpecVersion> {
        match s {
            "1.5" => Some(SpecVersion::V1_5),
            "1.6" => Some(SpecVersion::V1_6),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_5 => "1.5",
            SpecVersion::V1_6 => "1.6",
        }
    }
}

/// Document-level facts that are not in the [`Sbom`].
#[derive(Debug, Clone)]
pub struct Meta {
    pub spec: SpecVersion,
    /// `urn:uuid:…`.
    pub serial: String,
    /// RFC 3339; `None` with `--reproducible`.
    pub timestamp: Option<String>,
}

#[derive(Serialize)]
struct Bom<'a> {
    #[serde(rename = "$schema")]
    schema: String,
    #[serde(rename = "bomFormat")]
    bom_format: &'static str,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    #[serde(rename = "serialNumber")]
    serial_number: &'a str,
    version: u32,
    metadata: Metadata<'a>,
    components: Vec<Comp<'a>>,
    dependencies: Vec<Dependency<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<serde_json::Value>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<&'a str>,
    tools: Tools,
    #[serde(skip_serializing_if = "Option::is_none")]
    component: Option<Comp<'a>>,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Tool>,
}

#[derive(Serialize)]
struct Tool {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Comp<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "str::is_empty")]
    purl: &'a str,
    #[serde(rename = "externalReferences", skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<ExternalReference<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property<'a>>,
}

#[derive(Serialize)]
struct Hash<'a> {
    alg: &'a str,
    content: &'a str,
}

#[derive(Serialize)]
struct ExternalReference<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash<'a>>,
}

#[derive(Serialize)]
struct Property<'a> {
    name: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
struct Dependency<'a> {
    #[serde(rename = "ref")]
    reference: &'a str,
    #[serde(rename = "dependsOn")]
    depends_on: &'a [String],
}

fn licenses(license: Option<&License>) -> Vec<serde_json::Value> {
    match license {
        None => Vec::new(),
        Some(License::Id(id)) => vec![serde_json::json!({ "license": { "id": id } })],
        Some(License::Expression(e)) => vec![serde_json::json!({ "expression": e })],
        Some(License::Name(n)) => vec![serde_json::json!({ "license": { "name": n } })],
    }
}

fn component<'a>(c: &'a Component, root: bool) -> Comp<'a> {
    let (group, name) = group_and_name(&c.name);
    let mut properties = Vec::new();
    if let Some(path) = &c.path {
        properties.push(Property {
            name: "cdx:npm:package:path",
            value: path,
        });
    }
    if c.dev && !root {
        properties.push(Property {
            name: "cdx:npm:package:development",
            value: "true",
        });
    }
    if let Some(checksum) = &c.yarn_checksum {
        properties.push(Property {
            name: "chainward:yarn:checksum",
            value: checksum,
        });
    }
    if let Some(scripts) = c.has_install_script {
        properties.push(Property {
            name: "cdx:npm:hasInstallScript",
            value: if scripts { "true" } else { "false" },
        });
    }
    Comp {
        kind: match c.kind {
            Kind::Application => "application",
            Kind::Library => "library",
        },
        bom_ref: &c.bom_ref,
        group,
        name,
        version: &c.version,
        scope: (!root).then(|| c.scope.as_str()),
        hashes: c
            .hashes
            .iter()
            .map(|(alg, content)| Hash { alg, content })
            .collect(),
        licenses: licenses(c.license.as_ref()),
        purl: &c.purl,
        external_references: c
            .distribution
            .as_deref()
            .map(|url| ExternalReference {
                kind: "distribution",
                url,
                hashes: Vec::new(),
            })
            .into_iter()
            .chain(c.distributions.iter().map(|(url, hashes)| {
                ExternalReference {
                    kind: "distribution",
                    url,
                    hashes: hashes
                        .iter()
                        .map(|(alg, content)| Hash { alg, content })
                        .collect(),
                }
            }))
            .collect(),
        properties,
    }
}

/// The document as pretty-printed JSON (two-space indent, trailing newline).
pub fn write(sbom: &Sbom, meta: &Meta) -> String {
    let bom = Bom {
        schema: format!(
            "http://cyclonedx.org/schema/bom-{}.schema.json",
            meta.spec.as_str()
        ),
        bom_format: "CycloneDX",
        spec_version: meta.spec.as_str(),
        serial_number: &meta.serial,
        version: 1,
        metadata: Metadata {
            timestamp: meta.timestamp.as_deref(),
            tools: Tools {
                components: vec![Tool {
                    kind: "application",
                    name: "chainward",
                    version: env!("CARGO_PKG_VERSION"),
                }],
            },
            component: sbom.root.as_ref().map(|r| component(r, true)),
        },
        components: sbom
            .components
            .iter()
            .map(|c| component(c, false))
            .collect(),
        dependencies: sbom
            .dependencies
            .iter()
            .map(|(reference, depends_on)| Dependency {
                reference,
                depends_on,
            })
            .collect(),
        vulnerabilities: sbom.vulnerabilities.iter().map(vulnerability).collect(),
    };
    let mut out = crate::pretty_json(&bom, sbom.components.len());
    out.push('\n');
    out
}

/// One advisory as CycloneDX writes it (1.5 and 1.6): the id and its source, the aliases as
/// references, the grade (and the CVSS v3 vector with its base score), CWE-506 for malicious
/// code, and each affected component by `bom-ref` with its version.
fn vulnerability(v: &crate::model::Vulnerability) -> serde_json::Value {
    use chainward_core::advisory::Grade;
    let source = |id: &str| -> serde_json::Value {
        let name = if id.starts_with("GHSA-") {
            "GitHub Advisory Database"
        } else if id.starts_with("CVE-") {
            "NVD"
        } else {
            "OSV"
        };
        let url = if id.starts_with("CVE-") {
            format!("https://nvd.nist.gov/vuln/detail/{id}")
        } else {
            format!("https://osv.dev/vulnerability/{id}")
        };
        serde_json::json!({"name": name, "url": url})
    };
    let severity = match (v.malicious, v.grade) {
        (true, _) | (_, Some(Grade::Critical)) => "critical",
        (_, Some(Grade::High)) => "high",
        (_, Some(Grade::Moderate)) => "medium",
        (_, Some(Grade::Low)) => "low",
        (_, None) => "unknown",
    };
    let mut rating = serde_json::json!({"source": source(&v.id), "severity": severity});
    if let Some((vector, score)) = &v.cvss {
        rating["method"] = serde_json::json!(if vector.starts_with("CVSS:3.1") {
            "CVSSv31"
        } else {
            "CVSSv3"
        });
        rating["vector"] = serde_json::json!(vector);
        rating["score"] = serde_json::json!(score);
    }
    let mut out = serde_json::json!({
        "bom-ref": format!("vulnerability:{}", v.id),
        "id": v.id,
        "source": source(&v.id),
        "ratings": [rating],
        "description": v.description,
        "advisories": [{"url": v.url}],
        "affects": v.affects.iter().map(|(r, version)| serde_json::json!({
            "ref": r,
            "versions": [{"version": version, "status": "affected"}],
        })).collect::<Vec<_>>(),
    });
    if !v.aliases.is_empty() {
        out["references"] = v
            .aliases
            .iter()
            .map(|a| serde_json::json!({"id": a, "source": source(a)}))
            .collect();
    }
    if v.malicious {
        out["cwes"] = serde_json::json!([506]);
        out["recommendation"] = serde_json::json!(
            "Malicious code: remove this version; treat any machine that installed it, and its tokens, as exposed"
        );
    } else if !v.fixed.is_empty() {
        out["recommendation"] = serde_json::json!(format!("Upgrade to {}", v.fixed.join(" or ")));
    }
    out
}

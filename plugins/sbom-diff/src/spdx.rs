//! SPDX 2.3 JSON: one package per component (purl as a PACKAGE-MANAGER external reference,
//! checksums, the declared licence when it is an SPDX expression), the document DESCRIBES the
//! project, and DEPENDS_ON relationships for the dependency graph.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{Component, Kind, License, Sbom};

/// Document-level facts that are not in the [`Sbom`].
#[derive(Debug, Clone)]
pub struct Meta {
    /// A unique URI for this document.
    pub namespace: String,
    /// RFC 3339 (SPDX requires one; `--reproducible` gives a fixed one).
    pub created: String,
}

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "spdxVersion")]
    spdx_version: &'static str,
    #[serde(rename = "dataLicense")]
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    id: &'static str,
    name: String,
    #[serde(rename = "documentNamespace")]
    namespace: &'a str,
    #[serde(rename = "creationInfo")]
    creation_info: CreationInfo<'a>,
    packages: Vec<Package<'a>>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
struct CreationInfo<'a> {
    created: &'a str,
    creators: Vec<String>,
}

#[derive(Serialize)]
struct Package<'a> {
    #[serde(rename = "SPDXID")]
    id: String,
    name: &'a str,
    #[serde(rename = "versionInfo", skip_serializing_if = "str::is_empty")]
    version: &'a str,
    #[serde(rename = "downloadLocation")]
    download_location: &'a str,
    #[serde(rename = "filesAnalyzed")]
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    #[serde(rename = "licenseConcluded")]
    license_concluded: &'static str,
    #[serde(rename = "licenseDeclared")]
    license_declared: &'a str,
    #[serde(rename = "copyrightText")]
    copyright_text: &'static str,
    #[serde(rename = "externalRefs", skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef<'a>>,
    #[serde(rename = "primaryPackagePurpose")]
    purpose: &'static str,
}

#[derive(Serialize)]
struct Checksum {
    algorithm: &'static str,
    #[serde(rename = "checksumValue")]
    value: String,
}

#[derive(Serialize)]
struct ExternalRef<'a> {
    #[serde(rename = "referenceCategory")]
    category: &'static str,
    #[serde(rename = "referenceType")]
    kind: &'static str,
    #[serde(rename = "referenceLocator")]
    locator: &'a str,
}

#[derive(Serialize)]
struct Relationship {
    #[serde(rename = "spdxElementId")]
    element: String,
    #[serde(rename = "relationshipType")]
    kind: &'static str,
    #[serde(rename = "relatedSpdxElement")]
    related: String,
}

/// `SPDXRef-Package-<ecosystem>-<name>-<version>` (the purl's type: `npm`, `pypi`) with
/// everything outside `[A-Za-z0-9.-]` as `-`.
fn spdx_id(c: &Component) -> String {
    let ecosystem = c
        .purl
        .strip_prefix("pkg:")
        .and_then(|p| p.split('/').next())
        .filter(|t| !t.is_empty())
        .unwrap_or("npm");
    let raw = format!("Package-{ecosystem}-{}-{}", c.name, c.version);
    let clean: String = raw
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '.' || ch == '-' {
                ch
            } else {
                '-'
            }
        })
        .collect();
    format!("SPDXRef-{clean}")
}

fn package<'a>(c: &'a Component, id: String) -> Package<'a> {
    Package {
        id,
        name: &c.name,
        version: &c.version,
        download_location: c.distribution.as_deref().unwrap_or("NOASSERTION"),
        files_analyzed: false,
        checksums: c
            .hashes
            .iter()
            .filter_map(|(alg, hex)| {
                let algorithm = match alg.as_str() {
                    "SHA-512" => "SHA512",
                    "SHA-384" => "SHA384",
                    "SHA-256" => "SHA256",
                    "SHA-1" => "SHA1",
                    _ => return None,
                };
                Some(Checksum {
                    algorithm,
                    value: hex.clone(),
                })
            })
            .collect(),
        license_concluded: "NOASSERTION",
        license_declared: match &c.license {
            Some(License::Id(s) | License::Expression(s)) => s,
            _ => "NOASSERTION",
        },
        copyright_text: "NOASSERTION",
        external_refs: (!c.purl.is_empty())
            .then(|| ExternalRef {
                category: "PACKAGE-MANAGER",
                kind: "purl",
                locator: &c.purl,
            })
            .into_iter()
            .collect(),
        purpose: match c.kind {
            Kind::Application => "APPLICATION",
            Kind::Library => "LIBRARY",
        },
    }
}

/// The document as pretty-printed JSON (trailing newline).
pub fn write(sbom: &Sbom, meta: &Meta) -> String {
    let mut ids: HashMap<&str, String> = HashMap::new();
    let mut used: HashMap<String, usize> = HashMap::new();
    let all: Vec<&Component> = sbom.root.iter().chain(&sbom.components).collect();
    for c in &all {
        let base = spdx_id(c);
        let n = used.entry(base.clone()).or_default();
        *n += 1;
        let id = if *n == 1 { base } else { format!("{base}-{n}") };
        ids.insert(&c.bom_ref, id);
    }
    let packages = all
        .iter()
        .map(|c| package(c, ids[c.bom_ref.as_str()].clone()))
        .collect();
    let mut relationships = Vec::new();
    if let Some(root) = &sbom.root {
        relationships.push(Relationship {
            element: "SPDXRef-DOCUMENT".into(),
            kind: "DESCRIBES",
            related: ids[root.bom_ref.as_str()].clone(),
        });
    }
    for (from, to) in &sbom.dependencies {
        let Some(from) = ids.get(from.as_str()) else {
            continue;
        };
        for t in to {
            if let Some(t) = ids.get(t.as_str()) {
                relationships.push(Relationship {
                    element: from.clone(),
                    kind: "DEPENDS_ON",
                    related: t.clone(),
                });
            }
        }
    }
    let name = sbom
        .root
        .as_ref()
        .map(|r| {
            if r.version.is_empty() {
                r.name.clone()
            } else {
                format!("{}@{}", r.name, r.version)
            }
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "project".into());
    let doc = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        id: "SPDXRef-DOCUMENT",
        name,
        namespace: &meta.namespace,
        creation_info: CreationInfo {
            created: &meta.created,
            creators: vec![format!("Tool: chainward-{}", env!("CARGO_PKG_VERSION"))],
        },
        packages,
        relationships,
    };
    let mut out = crate::pretty_json(&doc, sbom.components.len());
    out.push('\n');
    out
}

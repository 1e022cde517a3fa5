//! Reading SBOMs back for `sbom diff`: CycloneDX JSON (spec 1.2–1.7, nested components
//! flattened) and SPDX 2.2/2.3 JSON, into the same [`Sbom`] the generator makes. Typed serde
//! structs keep only the fields the diff uses, so a 50 MB document costs a fraction of its size.
//! Errors say what is wrong and where (`components[3]: duplicate bom-ref "x"`).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;

use crate::model::{Component, Kind, License, Sbom, Scope};

/// CycloneDX spec versions read (the JSON format exists from 1.2).
pub const CYCLONEDX_VERSIONS: &[&str] = &["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"];

/// Which format a document is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocFormat {
    CycloneDx(String),
    Spdx(String),
}

impl std::fmt::Display for DocFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocFormat::CycloneDx(v) => write!(f, "CycloneDX {v}"),
            DocFormat::Spdx(v) => write!(f, "{v}"),
        }
    }
}

#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "bomFormat")]
    bom_format: Option<String>,
    #[serde(rename = "specVersion")]
    spec_version: Option<serde_json::Value>,
    #[serde(rename = "spdxVersion")]
    spdx_version: Option<String>,
}

/// Parse an SBOM document.
pub fn read(text: &str) -> Result<(DocFormat, Sbom), String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("SPDXVersion:") {
        return Err("this is an SPDX tag-value document; chainward reads SPDX JSON (convert it with `pyspdxtools -i in.spdx -o out.spdx.json`)".into());
    }
    if trimmed.starts_with('<') {
        return Err("this is an XML document; chainward reads CycloneDX and SPDX JSON".into());
    }
    let probe: Probe = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if probe.bom_format.as_deref() == Some("CycloneDX") {
        let version = match &probe.spec_version {
            Some(serde_json::Value::String(v)) => v.clone(),
            Some(other) => other.to_string(),
            None => return Err("a CycloneDX document without `specVersion`".into()),
        };
        if !CYCLONEDX_VERSIONS.contains(&version.as_str()) {
            return Err(format!(
                "CycloneDX specVersion {version} is not supported (supported: {})",
                CYCLONEDX_VERSIONS.join(", ")
            ));
        }
        let bom: CdxBom =
            serde_json::from_str(text).map_err(|e| format!("not valid CycloneDX: {e}"))?;
        return Ok((DocFormat::CycloneDx(version), cyclonedx(bom)?));
    }
    if let Some(version) = probe.spdx_version {
        if !matches!(version.as_str(), "SPDX-2.2" | "SPDX-2.3") {
            return Err(format!(
                "{version} is not supported (supported: SPDX-2.2, SPDX-2.3 JSON)"
            ));
        }
        let doc: SpdxDoc =
            serde_json::from_str(text).map_err(|e| format!("not valid SPDX: {e}"))?;
        return Ok((DocFormat::Spdx(version), spdx(doc)?));
    }
    Err("neither CycloneDX (`bomFormat`) nor SPDX (`spdxVersion`) JSON".into())
}

#[derive(Deserialize)]
struct CdxBom {
    #[serde(default)]
    metadata: Option<CdxMetadata>,
    #[serde(default)]
    components: Vec<CdxComponent>,
    #[serde(default)]
    dependencies: Vec<CdxDependency>,
}

#[derive(Deserialize)]
struct CdxMetadata {
    component: Option<CdxComponent>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxComponent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    group: Option<String>,
    name: String,
    version: Option<String>,
    scope: Option<String>,
    purl: Option<String>,
    hashes: Vec<CdxHash>,
    licenses: Vec<CdxLicenseChoice>,
    #[serde(rename = "externalReferences")]
    external_references: Vec<CdxExternalReference>,
    properties: Vec<CdxProperty>,
    components: Vec<CdxComponent>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxHash {
    alg: String,
    content: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxLicenseChoice {
    license: Option<CdxLicense>,
    expression: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxLicense {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxExternalReference {
    #[serde(rename = "type")]
    kind: String,
    url: String,
    hashes: Vec<CdxHash>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxProperty {
    name: String,
    value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CdxDependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<String>,
}

fn cdx_component(c: CdxComponent, out: &mut Vec<Component>, at: &str) -> Result<(), String> {
    let name = match &c.group {
        Some(g) if !g.is_empty() => format!("{g}/{}", c.name),
        _ => c.name.clone(),
    };
    if name.is_empty() {
        return Err(format!("{at}: a component without a name"));
    }
    let version = c.version.clone().unwrap_or_default();
    let prop = |n: &str| {
        c.properties
            .iter()
            .find(|p| p.name == n)
            .and_then(|p| p.value.as_deref())
    };
    let scope = match c.scope.as_deref() {
        Some("optional") => Scope::Optional,
        Some("excluded") => Scope::Excluded,
        _ => Scope::Required,
    };
    let dev = prop("cdx:npm:package:development") == Some("true") || scope == Scope::Excluded;
    let license = c.licenses.iter().find_map(|l| {
        if let Some(e) = &l.expression {
            return Some(License::Expression(e.clone()));
        }
        let lic = l.license.as_ref()?;
        lic.id
            .clone()
            .map(License::Id)
            .or_else(|| lic.name.clone().map(License::Name))
    });
    out.push(Component {
        bom_ref: c
            .bom_ref
            .clone()
            .unwrap_or_else(|| format!("{name}@{version}")),
        purl: c
            .purl
            .clone()
            .unwrap_or_else(|| crate::model::purl(&name, &version, None)),
        name,
        version,
        hashes: c
            .hashes
            .iter()
            .map(|h| (h.alg.clone(), h.content.to_ascii_lowercase()))
            .collect(),
        license,
        distribution: c
            .external_references
            .iter()
            .find(|r| r.kind == "distribution" && r.hashes.is_empty())
            .map(|r| r.url.clone()),
        distributions: c
            .external_references
            .iter()
            .filter(|r| r.kind == "distribution" && !r.hashes.is_empty())
            .map(|r| {
                (
                    r.url.clone(),
                    r.hashes
                        .iter()
                        .map(|h| (h.alg.clone(), h.content.to_ascii_lowercase()))
                        .collect(),
                )
            })
            .collect(),
        scope,
        dev,
        path: prop("cdx:npm:package:path").map(str::to_string),
        yarn_checksum: prop("chainward:yarn:checksum").map(str::to_string),
        has_install_script: prop("cdx:npm:hasInstallScript").map(|v| v == "true"),
        kind: if c.kind == "application" {
            Kind::Application
        } else {
            Kind::Library
        },
    });
    for (i, child) in c.components.into_iter().enumerate() {
        cdx_component(child, out, &format!("{at}.components[{i}]"))?;
    }
    Ok(())
}

fn cyclonedx(bom: CdxBom) -> Result<Sbom, String> {
    let mut root = Vec::new();
    if let Some(c) = bom.metadata.and_then(|m| m.component) {
        cdx_component(c, &mut root, "metadata.component")?;
    }
    let mut components = Vec::new();
    for (i, c) in bom.components.into_iter().enumerate() {
        cdx_component(c, &mut components, &format!("components[{i}]"))?;
    }
    let mut seen = HashSet::new();
    for c in root.iter().chain(&components) {
        if !seen.insert(c.bom_ref.as_str()) {
            return Err(format!("duplicate bom-ref \"{}\"", c.bom_ref));
        }
    }
    let mut dependencies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in bom.dependencies {
        let entry = dependencies.entry(d.reference).or_default();
        entry.extend(d.depends_on);
        entry.sort();
        entry.dedup();
    }
    let mut root = root.into_iter();
    let sbom_root = root.next();
    // Nested components of the root (rare) are ordinary components.
    components.extend(root);
    components.sort_by(|a, b| a.bom_ref.cmp(&b.bom_ref));
    Ok(Sbom {
        root: sbom_root,
        components,
        dependencies: dependencies.into_iter().collect(),
        vulnerabilities: Vec::new(),
    })
}

#[derive(Deserialize)]
struct SpdxDoc {
    #[serde(default)]
    packages: Vec<SpdxPackage>,
    #[serde(default)]
    relationships: Vec<SpdxRelationship>,
    #[serde(rename = "documentDescribes", default)]
    document_describes: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    id: String,
    name: String,
    #[serde(rename = "versionInfo")]
    version: Option<String>,
    #[serde(rename = "downloadLocation")]
    download_location: Option<String>,
    checksums: Vec<SpdxChecksum>,
    #[serde(rename = "licenseDeclared")]
    license_declared: Option<String>,
    #[serde(rename = "externalRefs")]
    external_refs: Vec<SpdxExternalRef>,
    #[serde(rename = "primaryPackagePurpose")]
    purpose: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SpdxChecksum {
    algorithm: String,
    #[serde(rename = "checksumValue")]
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SpdxExternalRef {
    #[serde(rename = "referenceType")]
    kind: String,
    #[serde(rename = "referenceLocator")]
    locator: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SpdxRelationship {
    #[serde(rename = "spdxElementId")]
    element: String,
    #[serde(rename = "relationshipType")]
    kind: String,
    #[serde(rename = "relatedSpdxElement")]
    related: String,
}

fn spdx(doc: SpdxDoc) -> Result<Sbom, String> {
    let mut seen = HashSet::new();
    for (i, p) in doc.packages.iter().enumerate() {
        if !seen.insert(p.id.as_str()) {
            return Err(format!("packages[{i}]: duplicate SPDXID \"{}\"", p.id));
        }
        // SPDX 2.3 requires a package name (7.1); without one there is no component to write.
        if p.name.trim().is_empty() {
            return Err(format!("packages[{i}]: a package without a name"));
        }
    }
    let mut described: Vec<String> = doc.document_describes.clone();
    let mut edges: HashMap<String, Vec<String>> = HashMap::new();
    let mut dev: HashSet<String> = HashSet::new();
    for r in &doc.relationships {
        match r.kind.as_str() {
            "DESCRIBES" if r.element == "SPDXRef-DOCUMENT" => described.push(r.related.clone()),
            "DESCRIBED_BY" if r.related == "SPDXRef-DOCUMENT" => described.push(r.element.clone()),
            "DEPENDS_ON" => edges
                .entry(r.element.clone())
                .or_default()
                .push(r.related.clone()),
            "DEPENDENCY_OF" | "RUNTIME_DEPENDENCY_OF" | "OPTIONAL_DEPENDENCY_OF" => edges
                .entry(r.related.clone())
                .or_default()
                .push(r.element.clone()),
            "DEV_DEPENDENCY_OF" => {
                dev.insert(r.element.clone());
                edges
                    .entry(r.related.clone())
                    .or_default()
                    .push(r.element.clone())
            }
            _ => {}
        }
    }
    let mut root = None;
    let mut components = Vec::new();
    for p in doc.packages {
        let version = p.version.unwrap_or_default();
        let purl = p
            .external_refs
            .iter()
            .find(|r| r.kind == "purl")
            .map(|r| r.locator.clone())
            .unwrap_or_else(|| crate::model::purl(&p.name, &version, None));
        let component = Component {
            bom_ref: p.id.clone(),
            name: p.name,
            version,
            purl,
            hashes: p
                .checksums
                .iter()
                .filter_map(|c| {
                    let alg = match c.algorithm.as_str() {
                        "SHA512" => "SHA-512",
                        "SHA384" => "SHA-384",
                        "SHA256" => "SHA-256",
                        "SHA1" => "SHA-1",
                        "MD5" => "MD5",
                        _ => return None,
                    };
                    Some((alg.to_string(), c.value.to_ascii_lowercase()))
                })
                .collect(),
            license: p
                .license_declared
                .filter(|l| l != "NOASSERTION" && l != "NONE")
                .and_then(|l| License::parse(&l)),
            distribution: p
                .download_location
                .filter(|l| l != "NOASSERTION" && l != "NONE"),
            scope: Scope::Required,
            dev: dev.contains(&p.id),
            path: None,
            yarn_checksum: None,
            distributions: Vec::new(),
            has_install_script: None,
            kind: if p.purpose.as_deref() == Some("APPLICATION") {
                Kind::Application
            } else {
                Kind::Library
            },
        };
        if root.is_none() && described.contains(&p.id) {
            root = Some(component);
        } else {
            components.push(component);
        }
    }
    components.sort_by(|a, b| a.bom_ref.cmp(&b.bom_ref));
    let mut dependencies: Vec<(String, Vec<String>)> = edges
        .into_iter()
        .map(|(k, mut v)| {
            v.sort();
            v.dedup();
            (k, v)
        })
        .collect();
    dependencies.sort();
    Ok(Sbom {
        root,
        components,
        dependencies,
        vulnerabilities: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_documents_are_named() {
        assert!(read("{").expect_err("an error").starts_with("not JSON"));
        assert!(
            read("SPDXVersion: SPDX-2.3\n")
                .expect_err("an error")
                .contains("tag-value")
        );
        assert!(
            read(r#"{"bomFormat":"CycloneDX","specVersion":"1.1"}"#)
                .expect_err("an error")
                .contains("1.1 is not supported")
        );
        // Found by fuzzing: an SPDX package without a name was read, and the CycloneDX written
        // for it had a component without a name, which chainward then refused to read.
        assert!(
            read(r#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"SPDXID":"SPDXRef-a"}]}"#)
                .is_err_and(|e| e.contains("without a name"))
        );
        assert!(read(r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","bom-ref":"x"},{"type":"library","name":"b","bom-ref":"x"}]}"#)
            .expect_err("an error")
            .contains("duplicate bom-ref \"x\""));
        assert!(read("[1]").is_err());
    }

    #[test]
    fn nested_components_are_flattened() {
        let (format, sbom) = read(r#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":{"type":"application","name":"app","version":"1.0.0","bom-ref":"app"}},"components":[{"type":"library","group":"@s","name":"a","version":"1.0.0","bom-ref":"a","components":[{"type":"library","name":"b","version":"2.0.0","bom-ref":"b"}]}],"dependencies":[{"ref":"app","dependsOn":["a"]},{"ref":"a","dependsOn":["b","a"]}]}"#).expect("reads");
        assert_eq!(format, DocFormat::CycloneDx("1.5".into()));
        assert_eq!(sbom.root.as_ref().map(|r| r.name.as_str()), Some("app"));
        let names: Vec<&str> = sbom.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["@s/a", "b"]);
        assert_eq!(sbom.components[0].purl, "pkg:npm/%40s/a@1.0.0");
        // A self-edge (a cycle) is kept as data, not followed.
        assert_eq!(
            sbom.dependencies[0],
            ("a".to_string(), vec!["a".to_string(), "b".to_string()])
        );
    }
}

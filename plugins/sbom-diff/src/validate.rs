//! `chainward sbom validate`: the structure of a CycloneDX (1.2–1.7) or SPDX (2.2/2.3) JSON
//! document, checked without a schema file, with errors that point at the value (JSON pointer and
//! byte span, so line and column): what the official schemas require of the parts an SBOM
//! consumer relies on (formats, enums, hash digests, licence ids and expressions, serial numbers,
//! timestamps), and what they cannot say (bom-refs unique, every dependency ref defined, every
//! SPDX relationship naming a known element).

use std::collections::HashSet;
use std::ops::Range;

use chainward_core::json::{self, Json, JsonValue};

use crate::read::CYCLONEDX_VERSIONS;

/// One problem: where (JSON pointer and span) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub span: Range<usize>,
    pub message: String,
}

/// What was validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    CycloneDx(String),
    Spdx(String),
}

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn push(&mut self, pointer: &str, node: &Json, message: impl Into<String>) {
        self.problems.push(Problem {
            pointer: if pointer.is_empty() {
                "/".into()
            } else {
                pointer.to_string()
            },
            span: node.span.clone(),
            message: message.into(),
        });
    }

    fn string<'a>(
        &mut self,
        parent: &'a Json,
        at: &str,
        key: &str,
        required: bool,
    ) -> Option<&'a str> {
        let pointer = format!("{at}/{key}");
        match parent.get(key) {
            Some(v) => match v.as_str() {
                Some(s) => Some(s),
                None => {
                    self.push(
                        &pointer,
                        v,
                        format!("`{key}` must be a string, not {}", v.type_name()),
                    );
                    None
                }
            },
            None => {
                if required {
                    self.push(at, parent, format!("`{key}` is required"));
                }
                None
            }
        }
    }

    fn array<'a>(&mut self, parent: &'a Json, at: &str, key: &str) -> &'a [Json] {
        match parent.get(key) {
            Some(v) => match v.as_array() {
                Some(a) => a,
                None => {
                    self.push(
                        &format!("{at}/{key}"),
                        v,
                        format!("`{key}` must be an array, not {}", v.type_name()),
                    );
                    &[]
                }
            },
            None => &[],
        }
    }

    fn one_of(&mut self, parent: &Json, at: &str, key: &str, allowed: &[&str], required: bool) {
        if let Some(value) = self.string(parent, at, key, required)
            && !allowed.contains(&value)
        {
            let node = parent.get(key).unwrap_or(parent);
            self.push(
                &format!("{at}/{key}"),
                node,
                format!("`{value}` is not one of: {}", allowed.join(", ")),
            );
        }
    }
}

/// RFC 3339 `date-time` (`2026-11-29T10:00:00Z`, fractions and offsets allowed).
pub fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return false;
    }
    if !matches!(b[10], b'T' | b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let num = |r: Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    if !(1..=12).contains(&num(5..7))
        || !(1..=31).contains(&num(8..10))
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 60
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()),
        _ => false,
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Hex digits of a digest, by algorithm (CycloneDX names).
fn digest_len(alg: &str) -> Option<usize> {
    Some(match alg {
        "MD5" => 32,
        "SHA-1" => 40,
        "SHA-256" | "SHA3-256" | "BLAKE2b-256" => 64,
        "SHA-384" | "SHA3-384" | "BLAKE2b-384" => 96,
        "SHA-512" | "SHA3-512" | "BLAKE2b-512" => 128,
        "BLAKE3" => return None,
        _ => return None,
    })
}

const CDX_HASH_ALGS: &[&str] = &[
    "MD5",
    "SHA-1",
    "SHA-256",
    "SHA-384",
    "SHA-512",
    "SHA3-256",
    "SHA3-384",
    "SHA3-512",
    "BLAKE2b-256",
    "BLAKE2b-384",
    "BLAKE2b-512",
    "BLAKE3",
];

const CDX_TYPES: &[&str] = &[
    "application",
    "framework",
    "library",
    "container",
    "platform",
    "operating-system",
    "device",
    "device-driver",
    "firmware",
    "file",
    "machine-learning-model",
    "data",
    "cryptographic-asset",
];

const CDX_TOP: &[&str] = &[
    "$schema",
    "bomFormat",
    "specVersion",
    "serialNumber",
    "version",
    "metadata",
    "components",
    "services",
    "externalReferences",
    "dependencies",
    "compositions",
    "properties",
    "vulnerabilities",
    "signature",
    "annotations",
    "formulation",
    "declarations",
    "definitions",
];

/// Validate a document. `Err` when it is not JSON or not an SBOM at all.
pub fn validate(text: &str) -> Result<(Kind, Vec<Problem>), Problem> {
    let doc = json::parse(text).map_err(|e| Problem {
        pointer: "/".into(),
        span: e.span,
        message: format!("not JSON: {}", e.message),
    })?;
    let mut c = Checker {
        problems: Vec::new(),
    };
    if doc.as_object().is_none() {
        return Err(Problem {
            pointer: "/".into(),
            span: doc.span.clone(),
            message: format!("an SBOM is a JSON object, not {}", doc.type_name()),
        });
    }
    if doc.get("bomFormat").is_some() {
        let version = cyclonedx(&mut c, &doc);
        return Ok((Kind::CycloneDx(version), c.problems));
    }
    if doc.get("spdxVersion").is_some() {
        let version = spdx(&mut c, &doc);
        return Ok((Kind::Spdx(version), c.problems));
    }
    Err(Problem {
        pointer: "/".into(),
        span: doc.span.clone(),
        message: "neither CycloneDX (`bomFormat`) nor SPDX (`spdxVersion`) JSON".into(),
    })
}

fn cyclonedx(c: &mut Checker, doc: &Json) -> String {
    c.one_of(doc, "", "bomFormat", &["CycloneDX"], true);
    let version = c
        .string(doc, "", "specVersion", true)
        .unwrap_or_default()
        .to_string();
    if !version.is_empty() && !CYCLONEDX_VERSIONS.contains(&version.as_str()) {
        let node = doc.get("specVersion").unwrap_or(doc);
        c.push(
            "/specVersion",
            node,
            format!(
                "specVersion `{version}` is not supported (supported: {})",
                CYCLONEDX_VERSIONS.join(", ")
            ),
        );
    }
    for m in doc.as_object().unwrap_or_default() {
        if !CDX_TOP.contains(&m.key.as_str()) {
            c.push(
                &format!("/{}", m.key),
                &m.value,
                format!("`{}` is not a CycloneDX property", m.key),
            );
        }
    }
    if let Some(serial) = c.string(doc, "", "serialNumber", false) {
        let ok = serial.strip_prefix("urn:uuid:").is_some_and(|u| {
            let b = u.as_bytes();
            b.len() == 36
                && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
                && b.iter().enumerate().all(|(i, ch)| {
                    [8, 13, 18, 23].contains(&i)
                        || ch.is_ascii_hexdigit() && !ch.is_ascii_uppercase()
                })
                && (b'1'..=b'5').contains(&b[14])
                && matches!(b[19], b'8' | b'9' | b'a' | b'b')
        });
        if !ok {
            let node = doc.get("serialNumber").unwrap_or(doc);
            c.push(
                "/serialNumber",
                node,
                format!("`{serial}` is not a `urn:uuid:` RFC 4122 UUID (lowercase)"),
            );
        }
    }
    if let Some(v) = doc.get("version")
        && !matches!(&v.value, JsonValue::Number(n) if n.parse::<u64>().is_ok_and(|n| n >= 1))
    {
        c.push("/version", v, "`version` must be an integer of at least 1");
    }
    let mut refs: HashSet<String> = HashSet::new();
    if let Some(meta) = doc.get("metadata") {
        if let Some(ts) = c.string(meta, "/metadata", "timestamp", false)
            && !is_date_time(ts)
        {
            let node = meta.get("timestamp").unwrap_or(meta);
            c.push(
                "/metadata/timestamp",
                node,
                format!("`{ts}` is not an RFC 3339 date-time"),
            );
        }
        if let Some(comp) = meta.get("component") {
            component(c, comp, "/metadata/component", &mut refs);
        }
        licenses(c, meta, "/metadata");
        properties(c, meta, "/metadata");
    }
    for (i, comp) in c.array(doc, "", "components").iter().enumerate() {
        component(c, comp, &format!("/components/{i}"), &mut refs);
    }
    properties(c, doc, "");
    // Anything with a bom-ref can be depended on (services, nested services, data, …).
    let mut anywhere = HashSet::new();
    all_refs(doc, &mut anywhere);
    refs.extend(anywhere);
    for (i, dep) in c.array(doc, "", "dependencies").iter().enumerate() {
        let at = format!("/dependencies/{i}");
        if let Some(r) = c.string(dep, &at, "ref", true) {
            if r.is_empty() {
                c.push(
                    &format!("{at}/ref"),
                    dep.get("ref").unwrap_or(dep),
                    "`ref` must not be empty",
                );
            } else if !refs.contains(r) {
                c.push(
                    &format!("{at}/ref"),
                    dep.get("ref").unwrap_or(dep),
                    format!("`{r}` is not the bom-ref of any component"),
                );
            }
        }
        for (j, on) in c.array(dep, &at, "dependsOn").iter().enumerate() {
            match on.as_str() {
                Some(r) if refs.contains(r) => {}
                Some(r) => c.push(
                    &format!("{at}/dependsOn/{j}"),
                    on,
                    format!("`{r}` is not the bom-ref of any component"),
                ),
                None => c.push(
                    &format!("{at}/dependsOn/{j}"),
                    on,
                    "a bom-ref string is expected",
                ),
            }
        }
    }
    version
}

/// Every `bom-ref` string in the document.
fn all_refs(node: &Json, out: &mut HashSet<String>) {
    match &node.value {
        JsonValue::Object(members) => {
            for m in members {
                if m.key == "bom-ref"
                    && let Some(r) = m.value.as_str()
                {
                    out.insert(r.to_string());
                }
                all_refs(&m.value, out);
            }
        }
        JsonValue::Array(items) => items.iter().for_each(|i| all_refs(i, out)),
        _ => {}
    }
}

/// `properties`: name/value pairs, `name` required.
fn properties(c: &mut Checker, parent: &Json, at: &str) {
    for (i, p) in c.array(parent, at, "properties").iter().enumerate() {
        c.string(p, &format!("{at}/properties/{i}"), "name", true);
    }
}

/// `licenses`: each entry one `license` (exactly one of `id`, a known SPDX id, and `name`) or
/// one `expression` (then the only entry).
fn licenses(c: &mut Checker, parent: &Json, at: &str) {
    let licenses = c.array(parent, at, "licenses");
    let expressions = licenses
        .iter()
        .filter(|l| l.get("expression").is_some())
        .count();
    if expressions > 0 && licenses.len() > 1 {
        c.push(
            &format!("{at}/licenses"),
            parent.get("licenses").unwrap_or(parent),
            "an `expression` must be the only entry of `licenses`",
        );
    }
    for (i, l) in licenses.iter().enumerate() {
        let lat = format!("{at}/licenses/{i}");
        match (l.get("license"), l.get("expression")) {
            (Some(lic), None) => {
                let (id, name) = (lic.get("id"), lic.get("name"));
                match (id, name) {
                    (Some(id), None) => match id.as_str() {
                        Some(s) if spdx::license_id(s).is_some() => {}
                        Some(s) => c.push(
                            &format!("{lat}/license/id"),
                            id,
                            format!(
                                "`{s}` is not an SPDX licence id (use `name`, or an `expression`)"
                            ),
                        ),
                        None => c.push(&format!("{lat}/license/id"), id, "`id` must be a string"),
                    },
                    (None, Some(name)) => {
                        if name.as_str().is_none_or(str::is_empty) {
                            c.push(
                                &format!("{lat}/license/name"),
                                name,
                                "`name` must be a non-empty string",
                            );
                        }
                    }
                    _ => c.push(
                        &format!("{lat}/license"),
                        lic,
                        "a licence has exactly one of `id` and `name`",
                    ),
                }
                if let Some(text) = lic.get("text") {
                    c.one_of(
                        text,
                        &format!("{lat}/license/text"),
                        "encoding",
                        &["base64"],
                        false,
                    );
                }
            }
            (None, Some(expr)) => match expr.as_str() {
                Some(s) if spdx::Expression::parse_mode(s, spdx::ParseMode::LAX).is_ok() => {}
                Some(s) => c.push(
                    &format!("{lat}/expression"),
                    expr,
                    format!("`{s}` is not an SPDX licence expression"),
                ),
                None => c.push(
                    &format!("{lat}/expression"),
                    expr,
                    "`expression` must be a string",
                ),
            },
            _ => c.push(
                &lat,
                l,
                "each entry of `licenses` has exactly one of `license` and `expression`",
            ),
        }
    }
}

fn component(c: &mut Checker, comp: &Json, at: &str, refs: &mut HashSet<String>) {
    if comp.as_object().is_none() {
        c.push(
            at,
            comp,
            format!("a component must be an object, not {}", comp.type_name()),
        );
        return;
    }
    c.one_of(comp, at, "type", CDX_TYPES, true);
    if let Some(name) = c.string(comp, at, "name", true)
        && name.is_empty()
    {
        c.push(
            &format!("{at}/name"),
            comp.get("name").unwrap_or(comp),
            "`name` must not be empty",
        );
    }
    if let Some(r) = c.string(comp, at, "bom-ref", false) {
        let node = comp.get("bom-ref").unwrap_or(comp);
        if r.is_empty() {
            c.push(
                &format!("{at}/bom-ref"),
                node,
                "`bom-ref` must not be empty",
            );
        } else if !refs.insert(r.to_string()) {
            c.push(
                &format!("{at}/bom-ref"),
                node,
                format!("duplicate bom-ref `{r}`"),
            );
        }
    }
    c.one_of(
        comp,
        at,
        "scope",
        &["required", "optional", "excluded"],
        false,
    );
    if let Some(purl) = c.string(comp, at, "purl", false)
        && !purl.starts_with("pkg:")
    {
        c.push(
            &format!("{at}/purl"),
            comp.get("purl").unwrap_or(comp),
            format!("`{purl}` is not a package URL (`pkg:type/…`)"),
        );
    }
    for (i, h) in c.array(comp, at, "hashes").iter().enumerate() {
        let hat = format!("{at}/hashes/{i}");
        c.one_of(h, &hat, "alg", CDX_HASH_ALGS, true);
        if let Some(content) = c.string(h, &hat, "content", true) {
            let node = h.get("content").unwrap_or(h);
            let alg = h.get("alg").and_then(Json::as_str).unwrap_or_default();
            if !is_hex(content) {
                c.push(
                    &format!("{hat}/content"),
                    node,
                    format!("`{content}` is not a hex digest"),
                );
            } else if let Some(len) = digest_len(alg)
                && content.len() != len
            {
                c.push(
                    &format!("{hat}/content"),
                    node,
                    format!(
                        "a {alg} digest has {len} hex digits, this one {}",
                        content.len()
                    ),
                );
            }
        }
    }
    licenses(c, comp, at);
    properties(c, comp, at);
    if let Some(swid) = comp.get("swid") {
        let sat = format!("{at}/swid");
        c.string(swid, &sat, "tagId", true);
        c.string(swid, &sat, "name", true);
    }
    if let Some(pedigree) = comp.get("pedigree") {
        let pat = format!("{at}/pedigree");
        for (i, patch) in c.array(pedigree, &pat, "patches").iter().enumerate() {
            let at = format!("{pat}/patches/{i}");
            c.one_of(
                patch,
                &at,
                "type",
                &["unofficial", "monkey", "backport", "cherry-pick"],
                true,
            );
            for (j, issue) in c.array(patch, &at, "resolves").iter().enumerate() {
                c.one_of(
                    issue,
                    &format!("{at}/resolves/{j}"),
                    "type",
                    &["defect", "enhancement", "security"],
                    true,
                );
            }
        }
    }
    for (i, child) in c.array(comp, at, "components").iter().enumerate() {
        component(c, child, &format!("{at}/components/{i}"), refs);
    }
}

const SPDX_RELATIONSHIPS: &[&str] = &[
    "DESCRIBES",
    "DESCRIBED_BY",
    "CONTAINS",
    "CONTAINED_BY",
    "DEPENDS_ON",
    "DEPENDENCY_OF",
    "DEPENDENCY_MANIFEST_OF",
    "BUILD_DEPENDENCY_OF",
    "DEV_DEPENDENCY_OF",
    "OPTIONAL_DEPENDENCY_OF",
    "PROVIDED_DEPENDENCY_OF",
    "TEST_DEPENDENCY_OF",
    "RUNTIME_DEPENDENCY_OF",
    "EXAMPLE_OF",
    "GENERATES",
    "GENERATED_FROM",
    "ANCESTOR_OF",
    "DESCENDANT_OF",
    "VARIANT_OF",
    "DISTRIBUTION_ARTIFACT",
    "PATCH_FOR",
    "PATCH_APPLIED",
    "COPY_OF",
    "FILE_ADDED",
    "FILE_DELETED",
    "FILE_MODIFIED",
    "EXPANDED_FROM_ARCHIVE",
    "DYNAMIC_LINK",
    "STATIC_LINK",
    "DATA_FILE_OF",
    "TEST_CASE_OF",
    "BUILD_TOOL_OF",
    "DEV_TOOL_OF",
    "TEST_OF",
    "TEST_TOOL_OF",
    "DOCUMENTATION_OF",
    "OPTIONAL_COMPONENT_OF",
    "METAFILE_OF",
    "PACKAGE_OF",
    "AMENDS",
    "PREREQUISITE_FOR",
    "HAS_PREREQUISITE",
    "REQUIREMENT_DESCRIPTION_FOR",
    "SPECIFICATION_FOR",
    "OTHER",
];

const SPDX_CHECKSUMS: &[&str] = &[
    "SHA1",
    "SHA224",
    "SHA256",
    "SHA384",
    "SHA512",
    "MD2",
    "MD4",
    "MD5",
    "MD6",
    "SHA3-256",
    "SHA3-384",
    "SHA3-512",
    "BLAKE2b-256",
    "BLAKE2b-384",
    "BLAKE2b-512",
    "BLAKE3",
    "ADLER32",
];

fn spdx_id_ok(id: &str) -> bool {
    id.strip_prefix("SPDXRef-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    })
}

fn licence_ok(s: &str) -> bool {
    matches!(s, "NONE" | "NOASSERTION")
        || spdx::Expression::parse_mode(s, spdx::ParseMode::LAX).is_ok()
}

fn spdx(c: &mut Checker, doc: &Json) -> String {
    let version = c
        .string(doc, "", "spdxVersion", true)
        .unwrap_or_default()
        .to_string();
    if !matches!(version.as_str(), "SPDX-2.2" | "SPDX-2.3") {
        let node = doc.get("spdxVersion").unwrap_or(doc);
        c.push(
            "/spdxVersion",
            node,
            format!("`{version}` is not supported (SPDX-2.2, SPDX-2.3)"),
        );
    }
    c.one_of(doc, "", "dataLicense", &["CC0-1.0"], true);
    c.one_of(doc, "", "SPDXID", &["SPDXRef-DOCUMENT"], true);
    c.string(doc, "", "name", true);
    if let Some(ns) = c.string(doc, "", "documentNamespace", true)
        && (!ns.contains("://") || ns.contains('#'))
    {
        let node = doc.get("documentNamespace").unwrap_or(doc);
        c.push(
            "/documentNamespace",
            node,
            format!("`{ns}` is not an absolute URI without a `#` part"),
        );
    }
    match doc.get("creationInfo") {
        None => c.push("", doc, "`creationInfo` is required"),
        Some(info) => {
            if let Some(created) = c.string(info, "/creationInfo", "created", true)
                && !is_date_time(created)
            {
                let node = info.get("created").unwrap_or(info);
                c.push(
                    "/creationInfo/created",
                    node,
                    format!("`{created}` is not an RFC 3339 date-time"),
                );
            }
            let creators = c.array(info, "/creationInfo", "creators");
            if creators.is_empty() {
                c.push(
                    "/creationInfo",
                    info,
                    "`creators` must list at least one creator",
                );
            }
            for (i, cr) in creators.iter().enumerate() {
                let ok = cr.as_str().is_some_and(|s| {
                    ["Tool:", "Person:", "Organization:"]
                        .iter()
                        .any(|p| s.starts_with(p))
                });
                if !ok {
                    c.push(
                        &format!("/creationInfo/creators/{i}"),
                        cr,
                        "a creator is `Tool: …`, `Person: …` or `Organization: …`",
                    );
                }
            }
        }
    }
    let mut ids: HashSet<String> = HashSet::from(["SPDXRef-DOCUMENT".to_string()]);
    for key in ["packages", "files", "snippets"] {
        for (i, p) in c.array(doc, "", key).iter().enumerate() {
            let at = format!("/{key}/{i}");
            if let Some(id) = c.string(p, &at, "SPDXID", true) {
                let node = p.get("SPDXID").unwrap_or(p);
                if !spdx_id_ok(id) {
                    c.push(
                        &format!("{at}/SPDXID"),
                        node,
                        format!("`{id}` is not `SPDXRef-` followed by letters, digits, `.` or `-`"),
                    );
                } else if !ids.insert(id.to_string()) {
                    c.push(
                        &format!("{at}/SPDXID"),
                        node,
                        format!("duplicate SPDXID `{id}`"),
                    );
                }
            }
            if key != "packages" {
                continue;
            }
            c.string(p, &at, "name", true);
            c.string(p, &at, "downloadLocation", true);
            for field in ["licenseDeclared", "licenseConcluded"] {
                if let Some(l) = c.string(p, &at, field, false)
                    && !licence_ok(l)
                {
                    let node = p.get(field).unwrap_or(p);
                    c.push(
                        &format!("{at}/{field}"),
                        node,
                        format!("`{l}` is not an SPDX licence expression, NONE or NOASSERTION"),
                    );
                }
            }
            for (j, ck) in c.array(p, &at, "checksums").iter().enumerate() {
                let cat = format!("{at}/checksums/{j}");
                c.one_of(ck, &cat, "algorithm", SPDX_CHECKSUMS, true);
                if let Some(v) = c.string(ck, &cat, "checksumValue", true)
                    && !is_hex(v)
                {
                    c.push(
                        &format!("{cat}/checksumValue"),
                        ck.get("checksumValue").unwrap_or(ck),
                        format!("`{v}` is not a hex digest"),
                    );
                }
            }
        }
    }
    for (i, r) in c.array(doc, "", "relationships").iter().enumerate() {
        let at = format!("/relationships/{i}");
        c.one_of(r, &at, "relationshipType", SPDX_RELATIONSHIPS, true);
        for key in ["spdxElementId", "relatedSpdxElement"] {
            if let Some(id) = c.string(r, &at, key, true) {
                let known = ids.contains(id)
                    || id.starts_with("DocumentRef-")
                    || matches!(id, "NONE" | "NOASSERTION");
                if !known {
                    c.push(
                        &format!("{at}/{key}"),
                        r.get(key).unwrap_or(r),
                        format!("`{id}` is not the SPDXID of any element of this document"),
                    );
                }
            }
        }
    }
    version
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times() {
        for ok in [
            "2026-11-29T10:00:00Z",
            "2020-04-13T20:20:39+00:00",
            "2020-04-13T20:20:39.123Z",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "2020-04-13",
            "2020-13-01T00:00:00Z",
            "2020-04-13T20:20:39",
            "x",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }

    #[test]
    fn problems_point_at_the_value() {
        let text = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","hashes":[{"alg":"SHA-512","content":"zz"}]}],"dependencies":[{"ref":"nope"}]}"#;
        let (kind, problems) = validate(text).expect("an SBOM");
        assert_eq!(kind, Kind::CycloneDx("1.6".into()));
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/components/0/hashes/0/content", "/dependencies/0/ref"]
        );
        assert_eq!(&text[problems[0].span.clone()], "\"zz\"");
    }
}

//! CycloneDX 1.2–1.7 JSON: the shape the specification requires, value by value.

use std::collections::HashSet;

use chainward_core::json::{Json, JsonValue};

use crate::read::CYCLONEDX_VERSIONS;

use super::{Checker, digest_len, is_date_time, is_hex};

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

pub(super) fn cyclonedx(c: &mut Checker, doc: &Json) -> String {
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

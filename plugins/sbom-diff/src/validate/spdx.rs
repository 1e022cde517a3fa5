//! SPDX 2.2/2.3 JSON: the shape the specification requires, value by value.

use std::collections::HashSet;

use chainward_core::json::Json;

use super::{Checker, is_date_time, is_hex};

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

pub(super) fn spdx(c: &mut Checker, doc: &Json) -> String {
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

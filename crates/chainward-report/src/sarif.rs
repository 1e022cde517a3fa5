//! SARIF 2.1.0, as GitHub code scanning reads it. Validated against the official schema in the
//! integration tests.

use std::io::Write;

use chainward_core::{Finding, Location, Rule, Severity};
use serde_json::{Value, json};

use crate::{Report, slash_path};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFO_URI: &str = "https://github.com/chainward/chainward";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Percent-encode what a URI reference may not contain.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn physical(l: &Location) -> Value {
    json!({
        "artifactLocation": { "uri": uri(&slash_path(&l.path)), "uriBaseId": "%SRCROOT%" },
        "region": {
            "startLine": l.start.line,
            "startColumn": l.start.column,
            "endLine": l.end.line,
            "endColumn": l.end.column,
            "byteOffset": l.span.start,
            "byteLength": l.span.end.saturating_sub(l.span.start),
        }
    })
}

fn pascal(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn descriptor(r: &Rule) -> Value {
    json!({
        "id": r.id,
        "name": pascal(r.name()),
        "shortDescription": { "text": r.summary },
        "fullDescription": { "text": r.summary },
        "help": { "text": r.doc, "markdown": r.doc },
        "helpUri": format!("{INFO_URI}/blob/main/docs/rules/{}.md#{}", r.plugin(), r.name()),
        "defaultConfiguration": { "level": level(r.default_severity), "enabled": r.default_enabled },
        // `security` and `security-severity` make GitHub code scanning list these as security
        // alerts ranked critical/high/medium/low (GitHub reads 7.0–8.9 as high, 4.0–6.9 as
        // medium, 0.1–3.9 as low).
        "properties": {
            "tags": ["security", "supply-chain", r.plugin()],
            "security-severity": security_severity(r.default_severity),
            "code": r.code
        }
    })
}

fn security_severity(severity: chainward_core::Severity) -> &'static str {
    match severity {
        chainward_core::Severity::Error => "8.0",
        chainward_core::Severity::Warning => "5.5",
        chainward_core::Severity::Info => "2.0",
    }
}

/// FNV-1a: a stable fingerprint without a hashing dependency.
fn fingerprint(f: &Finding) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in f
        .rule
        .bytes()
        .chain([0])
        .chain(slash_path(&f.location.path).bytes())
        .chain([0])
        .chain(f.message.bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn result(report: &Report<'_>, f: &Finding) -> Value {
    let mut text = f.message.clone();
    if let Some(help) = &f.help {
        text.push_str(" (help: ");
        text.push_str(help);
        text.push(')');
    }
    let mut r = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": { "text": text },
        "locations": [{ "physicalLocation": physical(&f.location) }],
        "partialFingerprints": { "chainward/v1": fingerprint(f) },
    });
    if let Some(i) = report.rules.iter().position(|r| r.id == f.rule) {
        r["ruleIndex"] = json!(i);
    }
    if !f.secondary.is_empty() {
        r["relatedLocations"] = Value::Array(
            f.secondary
                .iter()
                .enumerate()
                .map(|(i, l)| json!({ "id": i, "physicalLocation": physical(&l.location), "message": { "text": l.message } }))
                .collect(),
        );
    }
    if let Some(fix) = &f.fix {
        let mut by_file: Vec<(String, Vec<Value>)> = Vec::new();
        for e in &fix.edits {
            let key = slash_path(&e.path);
            let replacement = json!({
                "deletedRegion": { "byteOffset": e.range.start, "byteLength": e.range.end - e.range.start },
                "insertedContent": { "text": e.replacement },
            });
            match by_file.iter_mut().find(|(p, _)| *p == key) {
                Some((_, v)) => v.push(replacement),
                None => by_file.push((key, vec![replacement])),
            }
        }
        r["fixes"] = json!([{
            "description": { "text": fix.description },
            "artifactChanges": by_file.into_iter().map(|(p, reps)| json!({
                "artifactLocation": { "uri": uri(&p), "uriBaseId": "%SRCROOT%" },
                "replacements": reps,
            })).collect::<Vec<_>>(),
        }]);
    }
    r
}

pub(crate) fn render(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "chainward",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "informationUri": INFO_URI,
                "rules": report.rules.iter().map(|r| descriptor(r)).collect::<Vec<_>>(),
            }},
            // A stable category (the part before the last `/`): each upload replaces the last
            // one of chainward's, not another tool's.
            "automationDetails": { "id": "chainward/" },
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The folder chainward was run in" } } },
            "results": report.findings.iter().map(|f| result(report, f)).collect::<Vec<_>>(),
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri("a b/ç.json"), "a%20b/%C3%A7.json");
        assert_eq!(pascal("range-specifier"), "RangeSpecifier");
    }
}

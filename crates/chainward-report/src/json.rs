//! The versioned JSON format (`"version": 1`, docs/json-format.md), and its parser: external
//! plugins answer in exactly this format.

use std::io::Write;
use std::path::PathBuf;

use chainward_core::finding::Label;
use chainward_core::fix::{Applicability, Edit, Fix};
use chainward_core::span::LineCol;
use chainward_core::{Finding, Location, Severity};
use serde::{Deserialize, Serialize};

use crate::{Report, slash_path};

pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Document {
    version: u32,
    #[serde(default, skip_deserializing)]
    tool: Option<Tool>,
    findings: Vec<JFinding>,
    #[serde(default, skip_deserializing)]
    summary: Option<Summary>,
}

#[derive(Serialize, Deserialize, Default)]
struct Tool {
    name: String,
    version: String,
}

#[derive(Serialize, Deserialize, Default)]
struct Summary {
    findings: usize,
    error: usize,
    warning: usize,
    info: usize,
    fixable: usize,
}

#[derive(Serialize, Deserialize)]
struct JFinding {
    rule: String,
    #[serde(default)]
    code: Option<String>,
    severity: Severity,
    message: String,
    location: JLocation,
    #[serde(default)]
    related: Vec<JLabel>,
    #[serde(default)]
    help: Option<String>,
    #[serde(default)]
    fix: Option<JFix>,
}

#[derive(Serialize, Deserialize)]
struct JSpan {
    start: usize,
    end: usize,
}

#[derive(Serialize, Deserialize)]
struct JPos {
    line: usize,
    column: usize,
}

#[derive(Serialize, Deserialize)]
struct JLocation {
    path: String,
    span: JSpan,
    start: JPos,
    end: JPos,
}

#[derive(Serialize, Deserialize)]
struct JLabel {
    location: JLocation,
    message: String,
}

#[derive(Serialize, Deserialize)]
struct JFix {
    applicability: Applicability,
    description: String,
    edits: Vec<JEdit>,
    /// Files renamed in the same folder (`npm-shrinkwrap.json` from `package-lock.json`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    renames: Vec<JRename>,
    /// Files the fix creates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    creates: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct JRename {
    from: String,
    to: String,
}

#[derive(Serialize, Deserialize)]
struct JEdit {
    path: String,
    span: JSpan,
    replacement: String,
}

fn location(l: &Location) -> JLocation {
    JLocation {
        path: slash_path(&l.path),
        span: JSpan {
            start: l.span.start,
            end: l.span.end,
        },
        start: JPos {
            line: l.start.line,
            column: l.start.column,
        },
        end: JPos {
            line: l.end.line,
            column: l.end.column,
        },
    }
}

fn from_location(l: JLocation) -> Location {
    Location::at(
        PathBuf::from(l.path),
        l.span.start..l.span.end.max(l.span.start),
        LineCol {
            line: l.start.line.max(1),
            column: l.start.column.max(1),
        },
        LineCol {
            line: l.end.line.max(1),
            column: l.end.column.max(1),
        },
    )
}

pub(crate) fn render(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let doc = Document {
        version: VERSION,
        tool: Some(Tool {
            name: "chainward".into(),
            version: report.tool_version.into(),
        }),
        findings: report
            .findings
            .iter()
            .map(|f| JFinding {
                rule: f.rule.clone(),
                code: report.rule(&f.rule).map(|r| r.code.to_string()),
                severity: f.severity,
                message: f.message.clone(),
                location: location(&f.location),
                related: f
                    .secondary
                    .iter()
                    .map(|l| JLabel {
                        location: location(&l.location),
                        message: l.message.clone(),
                    })
                    .collect(),
                help: f.help.clone(),
                fix: f.fix.as_ref().map(|x| JFix {
                    applicability: x.applicability,
                    description: x.description.clone(),
                    edits: x
                        .edits
                        .iter()
                        .map(|e| JEdit {
                            path: slash_path(&e.path),
                            span: JSpan {
                                start: e.range.start,
                                end: e.range.end,
                            },
                            replacement: e.replacement.clone(),
                        })
                        .collect(),
                    renames: x
                        .renames
                        .iter()
                        .map(|r| JRename {
                            from: slash_path(&r.from),
                            to: slash_path(&r.to),
                        })
                        .collect(),
                    creates: x.creates.iter().map(|p| slash_path(p)).collect(),
                }),
            })
            .collect(),
        summary: Some(Summary {
            findings: report.findings.len(),
            error: count(Severity::Error),
            warning: count(Severity::Warning),
            info: count(Severity::Info),
            fixable: report.findings.iter().filter(|f| f.fix.is_some()).count(),
        }),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
    writeln!(out)
}

/// Parse findings JSON (version 1) back into findings.
pub fn parse_json(text: &str) -> Result<Vec<Finding>, String> {
    let probe: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    match probe.get("version").and_then(serde_json::Value::as_u64) {
        Some(1) => {}
        Some(v) => {
            return Err(format!(
                "unsupported findings format version {v} (expected \"version\": 1)"
            ));
        }
        None => return Err("expected \"version\": 1".into()),
    }
    let doc: Document =
        serde_json::from_value(probe).map_err(|e| format!("not findings JSON: {e}"))?;
    Ok(doc
        .findings
        .into_iter()
        .map(|f| Finding {
            rule: f.rule,
            severity: f.severity,
            message: f.message,
            location: from_location(f.location),
            secondary: f
                .related
                .into_iter()
                .map(|l| Label {
                    location: from_location(l.location),
                    message: l.message,
                })
                .collect(),
            help: f.help,
            subject: None,
            fix: f.fix.map(|x| Fix {
                applicability: x.applicability,
                description: x.description,
                edits: x
                    .edits
                    .into_iter()
                    .map(|e| Edit {
                        path: PathBuf::from(e.path),
                        range: e.span.start..e.span.end.max(e.span.start),
                        replacement: e.replacement,
                    })
                    .collect(),
                renames: x
                    .renames
                    .into_iter()
                    .map(|r| chainward_core::fix::Rename {
                        from: PathBuf::from(r.from),
                        to: PathBuf::from(r.to),
                    })
                    .collect(),
                creates: x.creates.into_iter().map(PathBuf::from).collect(),
            }),
        })
        .collect())
}

//! `--write-baseline FILE` records the current findings; `--baseline FILE` hides them in later
//! runs, so a large project can adopt chainward without fixing everything on day one. Findings
//! are matched as `--base` matches them, by rule, file (relative to the project root) and
//! subject (the package or action the plugin named, else the text at the location), so moving a
//! line does not bring a finding back. Entries that match nothing any more are reported
//! (`chainward/stale-baseline`): the baseline only shrinks.
//!
//! The file is JSON with one entry per line, so that a pull request that fixes something shows
//! the entry it removes:
//!
//! ```json
//! {
//!   "version": 1,
//!   "findings": [
//!     {"rule": "pin-check/range-specifier", "path": "package.json", "subject": "zod", "message": "…"}
//!   ]
//! }
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chainward_core::finding::Finding;
use chainward_core::project::{FileKind, Project, SourceFile, rel_path};
use chainward_core::rule::core_rules;
use chainward_core::{Error, fix};

/// What a finding is about, independent of where its line moved to: the rule, the file, and
/// the subject the plugin named (a package) or else the text at the location.
pub fn fingerprint(finding: &Finding, project: &Project) -> (String, PathBuf, String) {
    let subject = finding.subject.clone().unwrap_or_else(|| {
        project
            .source(&finding.location.path)
            .and_then(|f| {
                f.text()
                    .ok()
                    .and_then(|t| t.get(finding.location.span.clone()))
                    .map(str::to_string)
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| finding.message.clone())
    });
    (finding.rule.clone(), finding.location.path.clone(), subject)
}

/// The fingerprint with the path relative to the project root (`/`-separated), so that the
/// baseline holds whichever folder chainward was started from.
fn key(finding: &Finding, project: &Project) -> (String, String, String) {
    let (rule, path, subject) = fingerprint(finding, project);
    (rule, rel_path(&project.root, &path), subject)
}

/// One recorded finding, and where its line is in the baseline file.
struct Entry {
    key: (String, String, String),
    span: std::ops::Range<usize>,
}

pub struct Baseline {
    file: SourceFile,
    entries: Vec<Entry>,
}

fn malformed(path: &Path, location: Option<(usize, usize)>, message: impl Into<String>) -> Error {
    Error::Parse {
        path: path.to_path_buf(),
        location,
        message: message.into(),
    }
}

impl Baseline {
    /// Read a baseline; anything but a version-1 baseline is an error naming the file and line.
    pub fn load(path: &Path) -> Result<Baseline, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            malformed(
                path,
                Some((e.line(), e.column())),
                format!("not a chainward baseline: {e}"),
            )
        })?;
        if doc["version"] != 1 {
            return Err(malformed(
                path,
                None,
                "not a chainward baseline: `version` is not 1 (write one with `chainward check --write-baseline FILE`)",
            ));
        }
        let list = doc["findings"]
            .as_array()
            .ok_or_else(|| malformed(path, None, "no `findings` array"))?;
        // Each entry's span: the line it is on when the file is as chainward writes it (one
        // entry per line); otherwise the start of the file.
        let mut lines = text
            .match_indices('\n')
            .map(|(i, _)| i + 1)
            .chain(std::iter::once(0))
            .filter(|&start| text[start..].trim_start().starts_with("{\"rule\""))
            .collect::<Vec<_>>();
        lines.sort_unstable();
        let aligned = lines.len() == list.len();
        let mut entries = Vec::with_capacity(list.len());
        for (i, e) in list.iter().enumerate() {
            let field = |name: &str| {
                e[name].as_str().map(str::to_string).ok_or_else(|| {
                    malformed(path, None, format!("findings[{i}]: no `{name}` string"))
                })
            };
            let span = if aligned {
                // The `{"rule": "…"` part of the line.
                let start =
                    lines[i] + (text[lines[i]..].len() - text[lines[i]..].trim_start().len());
                let line_end = text[start..].find('\n').map_or(text.len(), |n| start + n);
                start
                    ..text[start..line_end]
                        .find(',')
                        .map_or(line_end, |n| start + n)
            } else {
                0..0
            };
            entries.push(Entry {
                key: (field("rule")?, field("path")?, field("subject")?),
                span,
            });
        }
        Ok(Baseline {
            file: SourceFile::in_memory(path, FileKind::PackageJson, text),
            entries,
        })
    }

    /// The findings the baseline does not hold (as many of each fingerprint as it recorded are
    /// hidden), then one `stale-baseline` finding per entry of a rule that ran (`ran`) and
    /// matched nothing.
    pub fn apply(
        &self,
        findings: Vec<Finding>,
        project: &Project,
        ran: impl Fn(&str) -> bool,
    ) -> Vec<Finding> {
        let mut left: HashMap<&(String, String, String), Vec<usize>> = HashMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            left.entry(&e.key).or_default().push(i);
        }
        let mut out: Vec<Finding> = findings
            .into_iter()
            .filter(|f| {
                let k = key(f, project);
                left.get_mut(&k).and_then(Vec::pop).is_none()
            })
            .collect();
        let mut stale: Vec<usize> = left
            .into_values()
            .flatten()
            .filter(|&i| ran(&self.entries[i].key.0))
            .collect();
        stale.sort_unstable();
        for i in stale {
            let (rule, path, subject) = &self.entries[i].key;
            out.push(
                Finding::new(
                    &core_rules::STALE_BASELINE,
                    &self.file,
                    self.entries[i].span.clone(),
                    format!("no `{rule}` finding about `{subject}` in {path} any more"),
                )
                .with_subject(format!("{rule} {path} {subject}"))
                .with_help(
                    "it was fixed: drop the entry, or rewrite the file with --write-baseline",
                ),
            );
        }
        out
    }
}

/// Write `findings` as a baseline, atomically. Returns how many were recorded.
pub fn write(path: &Path, findings: &[Finding], project: &Project) -> Result<usize, Error> {
    let mut rows: Vec<((String, String, String), String)> = findings
        .iter()
        .filter(|f| f.rule != core_rules::STALE_BASELINE.id)
        .map(|f| (key(f, project), f.message.clone()))
        .collect();
    rows.sort_by(|a, b| (&a.0.1, &a.0.0, &a.0.2).cmp(&(&b.0.1, &b.0.0, &b.0.2)));
    let mut text = String::from("{\n  \"version\": 1,\n  \"findings\": [\n");
    for (i, ((rule, file, subject), message)) in rows.iter().enumerate() {
        let entry = serde_json::json!({
            "rule": rule,
            "path": file,
            "subject": subject,
            "message": message,
        });
        // serde_json keeps insertion order only with preserve_order; write the keys in order.
        text.push_str(&format!(
            "    {{\"rule\": {}, \"path\": {}, \"subject\": {}, \"message\": {}}}{}\n",
            entry["rule"],
            entry["path"],
            entry["subject"],
            entry["message"],
            if i + 1 < rows.len() { "," } else { "" }
        ));
    }
    text.push_str("  ]\n}\n");
    fix::write_atomically(&std::collections::BTreeMap::from([(
        path.to_path_buf(),
        text,
    )]))?;
    Ok(rows.len())
}

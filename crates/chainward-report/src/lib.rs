//! Renderers: findings in, text / JSON / SARIF / GitHub annotations out. The one place that
//! turns the finding model into output; plugins never print.

mod github;
pub mod intoto;
mod json;
mod sarif;
mod text;

use std::path::Path;

use chainward_core::{Finding, Rule};

pub use json::parse_json;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    /// One line per finding: `path:line:col: rule message`.
    Concise,
    Json,
    Sarif,
    Github,
    /// An unsigned in-toto Statement with a SCAI attribute report (needs
    /// [`Report::attestation`]).
    InToto,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Format::Text),
            "concise" => Ok(Format::Concise),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "github" => Ok(Format::Github),
            "in-toto" => Ok(Format::InToto),
            other => Err(format!(
                "unknown format `{other}` (text, json, sarif, github, in-toto)"
            )),
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::Text => "text",
            Format::Concise => "concise",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::InToto => "in-toto",
        })
    }
}

/// Everything a renderer needs.
pub struct Report<'a> {
    /// Already filtered and sorted.
    pub findings: &'a [Finding],
    /// Every known rule (SARIF `rules[]`, codes in JSON).
    pub rules: &'a [&'static Rule],
    /// File text for snippets; `None` renders without a snippet.
    /// The file a finding points into, for its snippet: shared, not copied (a finding in a
    /// 3 MB lockfile must not copy the lockfile).
    pub sources: &'a dyn Fn(&Path) -> Option<std::sync::Arc<chainward_core::SourceFile>>,
    pub tool_version: &'a str,
    /// Colors in text output.
    pub color: bool,
    /// Text: end with a summary line.
    pub summary: bool,
    /// The kind of every file checked, for the summary line ("4 files (1 package.json, …)");
    /// empty when nothing was found to check.
    pub checked: &'a [chainward_core::FileKind],
    /// The subjects, plugins and evidence of an in-toto attestation (`Format::InToto`).
    pub attestation: Option<&'a intoto::Attestation>,
}

impl Report<'_> {
    fn rule(&self, id: &str) -> Option<&'static Rule> {
        self.rules.iter().copied().find(|r| r.id == id)
    }
}

pub fn render(
    format: Format,
    report: &Report<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use chainward_core::escape::{Mode, SafeWriter};
    // Text and GitHub escape each string from the tree where they place it (their own colours
    // and `::` commands are meant); JSON and SARIF pass through a writer that escapes what JSON
    // allows raw in strings (bidi controls, C1), so every format is safe to print.
    match format {
        Format::Text => text::render(report, out),
        Format::Concise => text::render_concise(report, out),
        Format::Json => json::render(report, &mut SafeWriter::new(out, Mode::Json)),
        Format::Sarif => sarif::render(report, &mut SafeWriter::new(out, Mode::Json)),
        Format::Github => github::render(report, out),
        Format::InToto => match report.attestation {
            Some(attestation) => {
                intoto::render(report, attestation, &mut SafeWriter::new(out, Mode::Json))
            }
            // A Statement needs subjects: the caller must say what was checked.
            None => Err(std::io::Error::other(
                "the in-toto format needs the attestation's subjects",
            )),
        },
    }
}

/// `/`-separated path for machine formats.
fn slash_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// `--statistics`: the findings counted by rule, most frequent first, with how many have a fix;
/// as a table (`text`) or a JSON array (`json`), then (text) the summary line.
pub fn statistics(
    report: &Report<'_>,
    json: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    text::statistics(report, json, out)
}

/// The one-line summary of a report ("Checked 4 files (…): 3 findings (…)."), for a caller that
/// wrote the report elsewhere.
pub fn summary_line(report: &Report<'_>) -> String {
    text::summary(report.findings, report.checked)
}

//! Human output: each finding with its source snippet and the span underlined, then a summary.

use std::io::Write;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet, renderer::DecorStyle};
use chainward_core::escape::{escape_char, is_unsafe_char, visible};
use chainward_core::fix::Applicability;
use chainward_core::span::LineIndex;
use chainward_core::{FileKind, Finding, Severity};
use rayon::prelude::*;

use crate::{Report, slash_path};

pub(crate) fn render(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let renderer = if report.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
    .decor_style(DecorStyle::Ascii);
    type Source = Option<std::sync::Arc<chainward_core::SourceFile>>;
    let mut cache: Vec<(std::path::PathBuf, Source)> = Vec::new();
    // One hazard repeated (the same action unpinned in nine workflows) reads as one finding
    // with its other places: grouped by rule, severity, message and advice (the help and the
    // fix, with how far up the lockfile is left out), at the first one's place.
    let mut groups: Vec<(&Finding, Vec<&Finding>)> = Vec::new();
    let mut index: std::collections::HashMap<(&str, Severity, &str, String), usize> =
        std::collections::HashMap::new();
    for f in report.findings {
        let advice = format!(
            "{}\n{}",
            f.help.as_deref().unwrap_or_default(),
            f.fix.as_ref().map_or("", |x| x.description.as_str())
        )
        .replace("../", "");
        match index.entry((f.rule.as_str(), f.severity, f.message.as_str(), advice)) {
            std::collections::hash_map::Entry::Occupied(e) => groups[*e.get()].1.push(f),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(groups.len());
                groups.push((f, Vec::new()));
            }
        }
    }
    let files: Vec<usize> = groups
        .iter()
        .map(
            |(finding, _)| match cache.iter().position(|(p, _)| *p == finding.location.path) {
                Some(i) => i,
                None => {
                    let file = (report.sources)(&finding.location.path);
                    cache.push((finding.location.path.clone(), file));
                    cache.len() - 1
                }
            },
        )
        .collect();
    // Rendered on every core, in order: the snippets of a large lockfile's findings wait for
    // its line index while the other findings' are made beside it.
    let blocks: Vec<String> = groups
        .par_iter()
        .zip(files)
        .map(|((finding, also), idx)| {
            let source = cache[idx]
                .1
                .as_ref()
                .and_then(|f| Some((f.text().ok()?, f.lines())));
            render_one(&renderer, finding, source, also)
        })
        .collect();
    for block in blocks {
        writeln!(out, "{block}\n")?;
    }
    if report.summary {
        writeln!(out, "{}", summary(report.findings, report.checked))?;
    }
    Ok(())
}

/// `--format concise`: one line per finding, `path:line:col: rule message`, then the summary.
pub(crate) fn render_concise(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    for f in report.findings {
        let path = visible(&slash_path(&f.location.path)).into_owned();
        let fixable = match f.fix.as_ref().map(|x| x.applicability) {
            Some(Applicability::Safe) => " [*]",
            Some(Applicability::Unsafe) => " [-]",
            None => "",
        };
        writeln!(
            out,
            "{path}:{}:{}: {}{fixable} {}",
            f.location.start.line,
            f.location.start.column,
            visible(&f.rule),
            visible(&f.message)
        )?;
    }
    if report.summary {
        writeln!(out, "{}", summary(report.findings, report.checked))?;
    }
    Ok(())
}

/// One line per rule that fired: count, rule, code, severity, how many are fixable.
pub(crate) fn statistics(
    report: &Report<'_>,
    json: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    struct Row<'a> {
        rule: &'a str,
        code: &'a str,
        severity: Severity,
        count: usize,
        fixable: usize,
    }
    let mut rows: Vec<Row<'_>> = Vec::new();
    for f in report.findings {
        let fixable = usize::from(f.fix.is_some());
        match rows
            .iter_mut()
            .find(|r| r.rule == f.rule && r.severity == f.severity)
        {
            Some(row) => {
                row.count += 1;
                row.fixable += fixable;
            }
            None => rows.push(Row {
                rule: &f.rule,
                code: report
                    .rules
                    .iter()
                    .find(|r| r.id == f.rule)
                    .map_or("", |r| r.code),
                severity: f.severity,
                count: 1,
                fixable,
            }),
        }
    }
    // Most frequent first; ties by severity, then rule.
    rows.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(b.severity.cmp(&a.severity))
            .then(a.rule.cmp(b.rule))
    });
    if json {
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "rule": r.rule,
                    "code": r.code,
                    "severity": r.severity.as_str(),
                    "count": r.count,
                    "fixable": r.fixable,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&items).map_err(std::io::Error::other)?;
        return writeln!(out, "{text}");
    }
    let width = rows.iter().map(|r| r.rule.len()).max().unwrap_or(0).max(4);
    if !rows.is_empty() {
        writeln!(
            out,
            "{:>5}  {:<width$}  {:<6}  {:<8}  FIXABLE",
            "COUNT", "RULE", "CODE", "SEVERITY"
        )?;
    }
    for r in &rows {
        let fixable = if r.fixable == 0 {
            "-".to_string()
        } else {
            r.fixable.to_string()
        };
        writeln!(
            out,
            "{:>5}  {:<width$}  {:<6}  {:<8}  {fixable}",
            r.count,
            visible(r.rule),
            r.code,
            r.severity.as_str(),
        )?;
    }
    if report.summary {
        if !rows.is_empty() {
            writeln!(out)?;
        }
        writeln!(out, "{}", summary(report.findings, report.checked))?;
    }
    Ok(())
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

/// At most this many other places are listed under a grouped finding.
const ALSO_SHOWN: usize = 8;

fn render_one(
    renderer: &Renderer,
    f: &Finding,
    source: Option<(&str, &LineIndex)>,
    also: &[&Finding],
) -> String {
    // Everything from the tree is shown escaped: a name with a newline or an escape sequence
    // stays one visible line (see chainward_core::escape).
    let path = visible(&slash_path(&f.location.path)).into_owned();
    let message = visible(&f.message);
    // An external plugin's rule id is data too.
    let rule = visible(&f.rule);
    let title = level(f.severity)
        .primary_title(message.as_ref())
        .id(rule.as_ref());
    let same_file: Vec<_> = f
        .secondary
        .iter()
        .filter(|l| l.location.path == f.location.path)
        .collect();
    let others: Vec<std::ops::Range<usize>> =
        same_file.iter().map(|l| l.location.span.clone()).collect();
    let snippet = source.and_then(|(text, lines)| excerpt(text, lines, &f.location.span, &others));
    let labels: Vec<String> = f
        .secondary
        .iter()
        .map(|l| visible(&l.message).into_owned())
        .collect();
    let mut group = match &snippet {
        Some(ex) => {
            let mut snip = Snippet::source(ex.text.as_str())
                .line_start(ex.line)
                .fold(false)
                .annotation(AnnotationKind::Primary.span(ex.span.clone()));
            for (other, label) in ex.others.iter().zip(&same_file) {
                if let Some(span) = other {
                    snip = snip.annotation(
                        AnnotationKind::Context
                            .span(span.clone())
                            .label(visible(&label.message)),
                    );
                }
            }
            // A window of a long line: the header must give the real column, which the
            // renderer cannot count from the window.
            if ex.windowed {
                title
                    .element(
                        annotate_snippets::Origin::path(path.clone())
                            .line(f.location.start.line)
                            .char_column(f.location.start.column),
                    )
                    .element(snip)
            } else {
                title.element(snip.path(path.clone()))
            }
        }
        None => title.element(
            annotate_snippets::Origin::path(path.clone())
                .line(f.location.start.line)
                .char_column(f.location.start.column),
        ),
    };
    for (label, text) in f.secondary.iter().zip(&labels) {
        group = group.element(Level::NOTE.message(format!(
            "{}: {}:{}:{}",
            text,
            visible(&label.location.path.to_string_lossy()),
            label.location.start.line,
            label.location.start.column
        )));
    }
    if !also.is_empty() {
        let places: Vec<String> = also
            .iter()
            .take(ALSO_SHOWN)
            .map(|o| {
                format!(
                    "{}:{}:{}",
                    visible(&slash_path(&o.location.path)),
                    o.location.start.line,
                    o.location.start.column
                )
            })
            .collect();
        let more = also.len().saturating_sub(ALSO_SHOWN);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        group = group.element(Level::NOTE.message(format!(
            "the same in {} more {}: {}{more}",
            also.len(),
            if also.len() == 1 { "place" } else { "places" },
            places.join(", ")
        )));
    }
    if let Some(help) = &f.help {
        group = group.element(Level::HELP.message(visible(help).into_owned()));
    }
    if let Some(fix) = &f.fix {
        let text = match fix.applicability {
            Applicability::Safe => visible(&fix.description).into_owned(),
            Applicability::Unsafe => format!(
                "{} (unsafe fix: `chainward fix --unsafe-fixes`)",
                visible(&fix.description)
            ),
        };
        group = group.element(Level::HELP.message(text));
    }
    let block = renderer.render(&[group]);
    // The window of a long line follows its own origin line; the renderer marks such a
    // snippet with a bare ` ::: ` line, which a CI runner could read as a command: left out.
    if snippet.as_ref().is_some_and(|ex| ex.windowed) {
        block
            .split('\n')
            .filter(|line| strip_sgr(line).trim() != ":::")
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        block
    }
}

/// `s` without ANSI SGR sequences (`ESC [ … m`), for looking at a coloured line's text.
fn strip_sgr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        match after.find('m') {
            Some(end)
                if after[..end]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b';') =>
            {
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("\u{1b}[");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// How much of a line a snippet shows around its span, in bytes, on each side.
const CONTEXT: usize = 120;
/// The most of one span a snippet shows, in bytes, and in lines.
const MAX_SPAN: usize = 4096;
const MAX_LINES: usize = 20;

/// What a snippet shows: the text (escaped), its first line number, the primary span and the
/// secondary ones (when they fall inside) within it.
struct Excerpt {
    text: String,
    line: usize,
    span: std::ops::Range<usize>,
    others: Vec<Option<std::ops::Range<usize>>>,
    /// Whether the first line is cut (its start is not shown), so columns must be given.
    windowed: bool,
}

/// The source around `span`, bounded whatever the file: the lines the span covers (at most
/// [`MAX_LINES`], at most [`MAX_SPAN`] bytes of the span), and at most [`CONTEXT`] bytes before
/// and after it on its first and last line, with `…` where a line is cut, like rustc does for
/// long lines. Control characters are shown as escapes. `None` when the span does not fit.
fn excerpt(
    text: &str,
    lines: &LineIndex,
    span: &std::ops::Range<usize>,
    others: &[std::ops::Range<usize>],
) -> Option<Excerpt> {
    if text.is_empty() || span.start > text.len() {
        return None;
    }
    let bytes = text.as_bytes();
    let start = floor_char(text, span.start);
    let end = floor_char(text, span.end.clamp(start, text.len()));
    // The shown part of the span: up to MAX_SPAN bytes and MAX_LINES lines, and not the line
    // break it may end with.
    let last = if end > start && bytes[end - 1] == b'\n' {
        end - 1
    } else {
        end
    };
    let mut shown_end = floor_char(text, last.min(start.saturating_add(MAX_SPAN)));
    if let Some(nth) = bytes[start..shown_end]
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .map(|(i, _)| start + i)
        .nth(MAX_LINES)
    {
        shown_end = nth;
    }
    // Back to the line start, or CONTEXT bytes; forward to the line end, or CONTEXT bytes.
    let back = start.saturating_sub(CONTEXT);
    let (from, cut_front) = match bytes[back..start].iter().rposition(|&b| b == b'\n') {
        Some(i) => (back + i + 1, false),
        None if back == 0 => (0, false),
        None => (ceil_char(text, back), true),
    };
    let ahead = shown_end.saturating_add(CONTEXT).min(text.len());
    let (to, cut_back) = match bytes[shown_end..ahead].iter().position(|&b| b == b'\n') {
        Some(i) => (shown_end + i, false),
        None if ahead == text.len() => (text.len(), false),
        None => (floor_char(text, ahead), true),
    };
    let line = lines.line_col(text, start).line;

    let mut out = String::with_capacity(to - from + 16);
    let mut map = Mapper::new(start, end, others);
    if cut_front {
        out.push('…');
    }
    for (i, c) in text[from..to].char_indices() {
        map.at(from + i, out.len());
        match c {
            '\r' => {}
            '\n' | '\t' => out.push(c),
            c if is_unsafe_char(c) => escape_char(c, &mut out),
            c => out.push(c),
        }
    }
    map.at(to, out.len());
    if cut_back {
        out.push('…');
    }
    let (span, others) = map.finish(out.len(), from..to);
    Some(Excerpt {
        text: out,
        line,
        span,
        others,
        windowed: cut_front,
    })
}

/// Byte offsets of the source to offsets in the escaped excerpt.
struct Mapper {
    /// (source offset, shown offset once passed)
    points: Vec<(usize, Option<usize>)>,
}

impl Mapper {
    fn new(start: usize, end: usize, others: &[std::ops::Range<usize>]) -> Self {
        let mut points = vec![(start, None), (end, None)];
        for o in others {
            points.push((o.start, None));
            points.push((o.end, None));
        }
        Self { points }
    }

    /// The source character at `src` is written at `shown`.
    fn at(&mut self, src: usize, shown: usize) {
        for (p, m) in &mut self.points {
            if m.is_none() && *p <= src {
                *m = Some(shown);
            }
        }
    }

    /// The primary span (clamped into the excerpt), and each other span fully inside it.
    fn finish(
        self,
        len: usize,
        shown: std::ops::Range<usize>,
    ) -> (std::ops::Range<usize>, Vec<Option<std::ops::Range<usize>>>) {
        let get = |i: usize| self.points.get(i).and_then(|(_, m)| *m);
        let s = get(0).unwrap_or(len).min(len);
        let e = get(1).unwrap_or(len).clamp(s, len);
        let others = (1..self.points.len() / 2)
            .map(|k| {
                let (os, oe) = (self.points[2 * k], self.points[2 * k + 1]);
                match (os.1, oe.1) {
                    (Some(a), Some(b)) if a <= b && shown.start <= os.0 && oe.0 <= shown.end => {
                        Some(a..b)
                    }
                    _ => None,
                }
            })
            .collect();
        (s..e, others)
    }
}

fn floor_char(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// What was checked, by kind: "4 files (1 package.json, 1 lockfile, 2 workflows)".
fn checked_phrase(checked: &[FileKind]) -> String {
    const KINDS: &[(&str, &str)] = &[
        ("package.json", "package.json"),
        ("lockfile", "lockfiles"),
        (".npmrc", ".npmrc"),
        ("pnpm-workspace.yaml", "pnpm-workspace.yaml"),
        (".yarnrc.yml", ".yarnrc.yml"),
        ("bunfig.toml", "bunfig.toml"),
        ("workflow", "workflows"),
        ("action.yml", "action.yml"),
        ("Dockerfile", "Dockerfiles"),
        ("shell script", "shell scripts"),
        ("provenance bundle", "provenance bundles"),
        ("server.json", "server.json"),
        ("MCP bundle", "MCP bundles"),
        ("pyproject.toml", "pyproject.toml"),
        ("Python lockfile", "Python lockfiles"),
        ("requirements file", "requirements files"),
    ];
    // Every kind named, no catch-all: a new kind must be placed here.
    let group = |kind: FileKind| match kind {
        FileKind::PackageJson => 0,
        FileKind::NpmLock
        | FileKind::NpmShrinkwrap
        | FileKind::PnpmLock
        | FileKind::YarnLock
        | FileKind::BunLock
        | FileKind::BunLockb => 1,
        FileKind::Npmrc => 2,
        FileKind::PnpmWorkspace => 3,
        FileKind::YarnRc => 4,
        FileKind::Bunfig => 5,
        FileKind::Workflow => 6,
        FileKind::Action => 7,
        FileKind::Dockerfile => 8,
        FileKind::ShellScript => 9,
        FileKind::ProvenanceBundle => 10,
        FileKind::McpServer => 11,
        FileKind::McpBundle => 12,
        FileKind::PyProject => 13,
        FileKind::UvLock | FileKind::PyLock | FileKind::PoetryLock => 14,
        FileKind::Requirements => 15,
    };
    let mut counts = [0usize; KINDS.len()];
    for kind in checked {
        counts[group(*kind)] += 1;
    }
    let parts: Vec<String> = KINDS
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|((one, many), n)| format!("{n} {}", if n == 1 { one } else { many }))
        .collect();
    let n = checked.len();
    format!(
        "{n} {} ({})",
        if n == 1 { "file" } else { "files" },
        parts.join(", ")
    )
}

pub(crate) fn summary(findings: &[Finding], checked: &[FileKind]) -> String {
    if findings.is_empty() {
        if checked.is_empty() {
            return "Nothing chainward reads was found here (package.json, lockfiles, .npmrc, \
                    workflows, action.yml, Dockerfiles, server.json): no findings."
                .to_string();
        }
        return format!("Checked {}: no findings.", checked_phrase(checked));
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let parts: Vec<String> = [
        (Severity::Error, "error", "errors"),
        (Severity::Warning, "warning", "warnings"),
        (Severity::Info, "info", "info"),
    ]
    .iter()
    .filter_map(|(s, one, many)| {
        let n = count(*s);
        (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
    })
    .collect();
    let n = findings.len();
    let checked = if checked.is_empty() {
        String::new()
    } else {
        format!("Checked {}: ", checked_phrase(checked))
    };
    let mut line = format!(
        "{checked}{}{n} {} ({}).",
        if checked.is_empty() { "Found " } else { "" },
        if n == 1 { "finding" } else { "findings" },
        parts.join(", ")
    );
    let safe = findings
        .iter()
        .filter(|f| {
            f.fix
                .as_ref()
                .is_some_and(|x| x.applicability == Applicability::Safe)
        })
        .count();
    let unsafe_ = findings
        .iter()
        .filter(|f| {
            f.fix
                .as_ref()
                .is_some_and(|x| x.applicability == Applicability::Unsafe)
        })
        .count();
    if safe > 0 {
        line.push_str(&format!(" {safe} fixable with `chainward fix`."));
    }
    if unsafe_ > 0 {
        line.push_str(&format!(
            " {unsafe_} more with `chainward fix --unsafe-fixes`."
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_never_panics_on_odd_spans() {
        let text = "a\r\nçé\r\n{\"x\": \"^1\"}\nlast";
        let lines = LineIndex::new(text);
        for start in 0..=text.len() + 2 {
            for end in start..=text.len() + 3 {
                if let Some(ex) = excerpt(text, &lines, &(start..end), &[0..1, end..start]) {
                    assert!(ex.span.end <= ex.text.len());
                    assert!(
                        ex.text.is_char_boundary(ex.span.start)
                            && ex.text.is_char_boundary(ex.span.end)
                    );
                }
            }
        }
    }

    #[test]
    fn a_long_line_is_shown_as_a_window_and_escaped() {
        let mut text = "x".repeat(100_000);
        text.push_str("\"evil\u{1b}[2J\"");
        text.push_str(&"y".repeat(100_000));
        let lines = LineIndex::new(&text);
        let at = 100_000..100_000 + 10;
        let ex = excerpt(&text, &lines, &at, &[]).expect("excerpt");
        assert!(ex.windowed);
        assert!(ex.text.len() < 2 * CONTEXT + 40, "{}", ex.text.len());
        assert!(ex.text.starts_with('…') && ex.text.ends_with('…'));
        assert!(!ex.text.contains('\u{1b}'));
        assert_eq!(&ex.text[ex.span.clone()], "\"evil\\e[2J\"");
    }
}

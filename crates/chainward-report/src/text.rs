//! Human output: each finding with its source snippet and the span underlined, then a summary.

use std::io::Write;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet, renderer::DecorStyle};
use chainward_core::fix::Applicability;
use chainward_core::span::LineIndex;
use chainward_core::{Finding, Severity};

use crate::Report;

pub(crate) fn render(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let renderer = if report.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
    .decor_style(DecorStyle::Ascii);
    type Source = Option<std::sync::Arc<chainward_core::SourceFile>>;
    let mut cache: Vec<(std::path::PathBuf, Source)> = Vec::new();
    for finding in report.findings {
        let idx = match cache.iter().position(|(p, _)| *p == finding.location.path) {
            Some(i) => i,
            None => {
                let file = (report.sources)(&finding.location.path);
                cache.push((finding.location.path.clone(), file));
                cache.len() - 1
            }
        };
        let source = cache[idx]
            .1
            .as_ref()
            .and_then(|f| Some((f.text().ok()?, f.lines())));
        let block = render_one(&renderer, finding, source);
        writeln!(out, "{block}\n")?;
    }
    if report.summary {
        writeln!(out, "{}", summary(report.findings))?;
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

fn render_one(renderer: &Renderer, f: &Finding, source: Option<(&str, &LineIndex)>) -> String {
    let path = f.location.path.to_string_lossy().replace('\\', "/");
    let title = level(f.severity)
        .primary_title(f.message.as_str())
        .id(f.rule.as_str());
    let snippet = source.and_then(|(text, lines)| excerpt(text, lines, &f.location.span));
    let mut group = match snippet {
        Some((slice, line_start, span)) => {
            let mut snip = Snippet::source(slice)
                .line_start(line_start)
                .path(path.clone())
                .fold(false)
                .annotation(AnnotationKind::Primary.span(span));
            if let Some((text, lines)) = source {
                for label in &f.secondary {
                    if label.location.path == f.location.path {
                        // Secondary spans outside the excerpt are shown as notes below.
                        if let Some((_, ls, s)) = excerpt(text, lines, &label.location.span)
                            && ls == line_start
                        {
                            snip = snip.annotation(
                                AnnotationKind::Context
                                    .span(s)
                                    .label(label.message.as_str()),
                            );
                        }
                    }
                }
            }
            title.element(snip)
        }
        None => title.element(
            annotate_snippets::Origin::path(path.clone())
                .line(f.location.start.line)
                .char_column(f.location.start.column),
        ),
    };
    for label in &f.secondary {
        group = group.element(Level::NOTE.message(format!(
            "{}: {}:{}:{}",
            label.message,
            label.location.path.display(),
            label.location.start.line,
            label.location.start.column
        )));
    }
    if let Some(help) = &f.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    if let Some(fix) = &f.fix {
        let text = match fix.applicability {
            Applicability::Safe => fix.description.clone(),
            Applicability::Unsafe => format!(
                "{} (unsafe fix: `chainward fix --unsafe-fixes`)",
                fix.description
            ),
        };
        group = group.element(Level::HELP.message(text));
    }
    renderer.render(&[group])
}

/// The lines a span covers: (text of those lines, first line number, span within it). `None`
/// for empty spans at offset 0 of nothing, or when the span does not fit the text.
fn excerpt(
    text: &str,
    lines: &LineIndex,
    span: &std::ops::Range<usize>,
) -> Option<(String, usize, std::ops::Range<usize>)> {
    if text.is_empty() || span.start > text.len() {
        return None;
    }
    let end = span.end.clamp(span.start, text.len());
    let first = lines.line_col(text, span.start).line;
    let last = lines
        .line_col(text, end.saturating_sub(usize::from(end > span.start)))
        .line
        .max(first);
    let start_byte = lines.line_start(text, first)?;
    let end_byte = lines.line_range(text, last.min(first + 20))?.end;
    if end_byte < start_byte
        || !text.is_char_boundary(start_byte)
        || !text.is_char_boundary(end_byte)
    {
        return None;
    }
    let slice = text[start_byte..end_byte].replace('\r', "");
    // Offsets inside the slice: clamped to it, moved back to a character boundary, and
    // adjusted for the carriage returns removed before them.
    let clamp = |abs: usize| {
        let mut abs = abs.clamp(start_byte, end_byte);
        while abs > start_byte && !text.is_char_boundary(abs) {
            abs -= 1;
        }
        let removed = text[start_byte..abs].matches('\r').count();
        (abs - start_byte - removed).min(slice.len())
    };
    let s = clamp(span.start);
    let e = clamp(end).max(s);
    Some((slice, first, s..e))
}

pub(crate) fn summary(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "No findings.".to_string();
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
    let mut line = format!(
        "Found {n} {} ({}).",
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
                if let Some((slice, _, span)) = excerpt(text, &lines, &(start..end)) {
                    assert!(span.end <= slice.len());
                    assert!(slice.is_char_boundary(span.start) && slice.is_char_boundary(span.end));
                }
            }
        }
    }
}

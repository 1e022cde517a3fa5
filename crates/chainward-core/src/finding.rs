//! Findings: what a plugin reports, built only through [`Finding::new`] so that every finding
//! has a rule, a message and a primary location with line and column computed in one place.

use std::path::PathBuf;

use crate::fix::Fix;
use crate::project::SourceFile;
use crate::rule::Rule;
use crate::severity::Severity;
use crate::span::LineCol;

/// A place in a file: byte span plus 1-based start and end line/column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The path as the user sees it (relative to the working directory when they gave a
    /// relative path).
    pub path: PathBuf,
    pub span: std::ops::Range<usize>,
    pub start: LineCol,
    pub end: LineCol,
}

impl Location {
    /// Location of `span` in `file`. Spans past the end of the file are clamped.
    pub fn new(file: &SourceFile, span: std::ops::Range<usize>) -> Self {
        let text = if file.kind.is_binary() {
            // Never read as text (an archive, bun.lockb): the start of the file.
            Err(())
        } else {
            file.text().map_err(|_| ())
        };
        let (start, end) = match text {
            Ok(text) => {
                let lines = file.lines();
                let s = span.start.min(text.len());
                let e = span.end.clamp(s, text.len());
                (lines.line_col(text, s), lines.line_col(text, e))
            }
            Err(_) => (
                LineCol { line: 1, column: 1 },
                LineCol { line: 1, column: 1 },
            ),
        };
        Self {
            path: file.path.clone(),
            span,
            start,
            end,
        }
    }

    /// A location for a file chainward has no text of (e.g. a config file given on the command
    /// line) with a known line and column.
    pub fn at(path: PathBuf, span: std::ops::Range<usize>, start: LineCol, end: LineCol) -> Self {
        Self {
            path,
            span,
            start,
            end,
        }
    }
}

/// A secondary location with a label, shown under the primary one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub location: Location,
    pub message: String,
}

/// One problem found in one place.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
    /// What the finding is about (a package name, an action), for matching it across revisions
    /// (`--base`); without it the text at the location stands in.
    pub subject: Option<String>,
}

impl Finding {
    /// A finding of `rule` at `span` of `file`, with the rule's default severity.
    pub fn new(
        rule: &Rule,
        file: &SourceFile,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        Self::at(rule, Location::new(file, span), message)
    }

    /// A finding at an already computed location.
    pub fn at(rule: &Rule, location: Location, message: impl Into<String>) -> Self {
        Self {
            rule: rule.id.to_string(),
            severity: rule.default_severity,
            message: message.into(),
            location,
            secondary: Vec::new(),
            help: None,
            fix: None,
            subject: None,
        }
    }

    /// Set what the finding is about, for `--base` matching.
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn with_fix_opt(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn with_label(mut self, location: Location, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            location,
            message: message.into(),
        });
        self
    }

    /// The deterministic report order: path, then position, then rule.
    pub fn sort_key(&self) -> (&std::path::Path, usize, usize, &str) {
        (
            &self.location.path,
            self.location.span.start,
            self.location.span.end,
            &self.rule,
        )
    }
}

/// Sort findings in the one deterministic order every renderer uses.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| a.message.cmp(&b.message))
    });
}

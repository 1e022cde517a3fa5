//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per finding,
//! escaped as GitHub's toolkit escapes them.

use std::io::Write;

use chainward_core::Severity;
use chainward_core::escape::visible;

use crate::{Report, slash_path};

/// Escape a message (the data after `::`).
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=`, `title=`).
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub(crate) fn render(report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    for f in report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let l = &f.location;
        // Strings from the tree are made visible first (no control characters, bidi overrides
        // or newlines of their own); only the help's own line break is kept, as `%0A`.
        let mut message = visible(&f.message).into_owned();
        if let Some(help) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(&visible(help));
        }
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&visible(&slash_path(&l.path))),
            l.start.line,
            l.start.column,
            l.end.line,
            l.end.column,
            escape_property(&visible(&f.rule)),
            escape_data(&message)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(
            escape_data("100% done\r\nnext: a,b"),
            "100%25 done%0D%0Anext: a,b"
        );
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}

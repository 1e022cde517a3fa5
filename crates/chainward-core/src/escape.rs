//! Escaping what comes from the scanned tree for the outputs it goes to: a file name, package
//! name or YAML string must never move a terminal's cursor, recolour it, reorder text (bidi
//! overrides), start a new line, or start a line that a CI runner reads as a command (`::error`).

use std::borrow::Cow;

/// Percent-encode every byte but the unreserved characters of RFC 3986 (letters, digits,
/// `-._~`): for a URL's query value or path segment, and purl segments.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether `c` must never reach an output raw: C0 controls (newline and tab included: callers
/// that keep them say so), DEL, C1 controls, the bidirectional overrides and isolates, the
/// Unicode line and paragraph separators, and the byte-order mark.
pub fn is_unsafe_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{061c}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}')
}

/// The visible escape for one unsafe character: `\n`, `\r`, `\t`, `\e` (ESC), else `\u{..}`.
pub fn escape_char(c: char, out: &mut String) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{1b}' => out.push_str("\\e"),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// `s` with every unsafe character (see [`is_unsafe_char`]) replaced by its visible escape, so
/// the result is one line with no control characters: for names, messages and paths.
pub fn visible(s: &str) -> Cow<'_, str> {
    visible_keeping(s, &[])
}

/// Like [`visible`], keeping the characters in `keep` (e.g. `\n` for text that is meant to span
/// lines, `\t` for source lines).
pub fn visible_keeping<'a>(s: &'a str, keep: &[char]) -> Cow<'a, str> {
    if !s.chars().any(|c| is_unsafe_char(c) && !keep.contains(&c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe_char(c) && !keep.contains(&c) {
            escape_char(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether a CI runner would read `line` as a workflow command: GitHub's runner trims leading
/// white space, then looks for `::` (and `##[` for the older form).
pub fn is_command_line(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("::") || t.starts_with("##[")
}

/// Text for a terminal or a CI log, several lines allowed: unsafe characters other than `\n`
/// are escaped, and a line that a runner would read as a workflow command gets a backslash
/// before it (`\::error`), so it is shown and never obeyed. For messages printed on stderr,
/// which may quote anything from the tree.
pub fn for_log(s: &str) -> Cow<'_, str> {
    let visible = visible_keeping(s, &['\n']);
    if !visible.split('\n').any(is_command_line) {
        return visible;
    }
    let lines: Vec<String> = visible
        .split('\n')
        .map(|line| match is_command_line(line) {
            true => neutralized(line),
            false => line.to_string(),
        })
        .collect();
    Cow::Owned(lines.join("\n"))
}

/// A command line with a backslash before its command, after its indentation.
fn neutralized(line: &str) -> String {
    let indent = line.len() - line.trim_start().len();
    format!("{}\\{}", &line[..indent], &line[indent..])
}

/// How [`SafeWriter`] makes a line safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Human text on a terminal or in a CI log (stderr, GitHub annotations, tables): unsafe
    /// characters other than tab become visible escapes, and a line a runner would read as a
    /// command gets a backslash before it (see [`for_log`]).
    Log,
    /// JSON (and SARIF): unsafe characters that JSON allows raw inside strings (DEL, C1, bidi
    /// controls, U+2028/2029) are written as `\uXXXX` escapes. Only strings can hold them, so
    /// the document means the same.
    Json,
}

/// A writer that makes every line it passes on safe for its reader (see [`Mode`]), whatever
/// the code that writes to it forgot to escape. Lines are buffered until their newline (or
/// until [`std::io::Write::flush`]).
pub struct SafeWriter<W: std::io::Write> {
    inner: W,
    mode: Mode,
    line: Vec<u8>,
}

impl<W: std::io::Write> SafeWriter<W> {
    pub fn new(inner: W, mode: Mode) -> Self {
        Self {
            inner,
            mode,
            line: Vec::new(),
        }
    }

    fn emit(&mut self, newline: bool) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(&self.line);
        let safe: Cow<'_, str> = match self.mode {
            Mode::Log => {
                // A trailing carriage return (a CRLF line of a diff) only returns the cursor.
                let (body, cr) = match text.strip_suffix('\r') {
                    Some(body) => (body, "\r"),
                    None => (&*text, ""),
                };
                let line = visible_keeping(body, &['\t']);
                match is_command_line(&line) {
                    true => Cow::Owned(format!("{}{cr}", neutralized(&line))),
                    false => Cow::Owned(format!("{line}{cr}")),
                }
            }
            Mode::Json => json_safe(&text),
        };
        self.inner.write_all(safe.as_bytes())?;
        if newline {
            self.inner.write_all(b"\n")?;
        }
        self.line.clear();
        Ok(())
    }
}

/// `\uXXXX` for the unsafe characters JSON strings may hold raw.
fn json_safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 12);
    for c in s.chars() {
        if is_unsafe_char(c) {
            // serde_json never writes C0 raw; escape any that arrive all the same.
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` made safe as [`SafeWriter`] would write it, for output built in memory first.
pub fn safe_text(text: &str, mode: Mode) -> String {
    if mode == Mode::Json && printable_ascii(text) {
        return text.to_string();
    }
    rewrite(text, mode)
}

/// [`safe_text`] for text that is no longer needed: returned as it is (no copy) when there is
/// nothing to escape, as for the multi-megabyte SBOMs serde_json writes from ASCII input.
pub fn safe_owned(text: String, mode: Mode) -> String {
    if mode == Mode::Json && printable_ascii(&text) {
        return text;
    }
    rewrite(&text, mode)
}

/// Whether `text` is printable ASCII and newlines only: JSON like that has nothing to escape.
/// Checked 64 bytes at a time without an early exit inside a block, so that it vectorises.
fn printable_ascii(text: &str) -> bool {
    let ok = |b: u8| (0x20..0x7f).contains(&b) || b == b'\n';
    let mut blocks = text.as_bytes().chunks_exact(64);
    blocks
        .by_ref()
        .all(|block| block.iter().fold(true, |all, &b| all & ok(b)))
        && blocks.remainder().iter().all(|&b| ok(b))
}

/// The line-by-line rewrite [`SafeWriter`] does, into a string.
fn rewrite(text: &str, mode: Mode) -> String {
    let mut out = Vec::with_capacity(text.len());
    {
        let mut w = SafeWriter::new(&mut out, mode);
        let _ = std::io::Write::write_all(&mut w, text.as_bytes());
    }
    String::from_utf8(out).unwrap_or_default()
}

impl<W: std::io::Write> std::io::Write for SafeWriter<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut rest = data;
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..at]);
            self.emit(true)?;
            rest = &rest[at + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.emit(false)?;
        }
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for SafeWriter<W> {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_one_visible_line() {
        assert_eq!(visible("plain-name@1.0.0"), "plain-name@1.0.0");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
        assert_eq!(
            visible("a\n::error file=F.md::INJECT"),
            "a\\n::error file=F.md::INJECT"
        );
        assert_eq!(visible("\u{1b}[31mred\u{7}"), "\\e[31mred\\u{7}");
        assert_eq!(visible("evil\u{202e}gnp.exe"), "evil\\u{202e}gnp.exe");
        assert_eq!(visible("nel\u{85}x"), "nel\\u{85}x");
        assert_eq!(visible_keeping("a\tb\nc", &['\t']), "a\tb\\nc");
    }

    #[test]
    fn log_lines_never_start_a_command() {
        let text = for_log("error: bad name `x\n  ::error file=a::INJECT\n##[error]x`\nok");
        for line in text.lines() {
            assert!(!is_command_line(line), "{line:?}");
        }
        assert!(text.contains("\\::error file=a::INJECT"), "{text}");
        assert_eq!(for_log("fine\nlines"), "fine\nlines");
    }

    #[test]
    fn the_writer_escapes_whatever_passes() {
        use std::io::Write;
        let mut out = Vec::new();
        {
            let mut w = SafeWriter::new(&mut out, Mode::Log);
            write!(w, "note: a\u{1b}]0;title\u{7}\n  ::set-output x\ntab\tkept").expect("write");
        }
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(
            text,
            "note: a\\e]0;title\\u{7}\n  \\::set-output x\ntab\tkept"
        );
        let mut out = Vec::new();
        {
            let mut w = SafeWriter::new(&mut out, Mode::Json);
            writeln!(w, "{{\"a\": \"x\u{202e}y\u{85}\"}}").expect("write");
        }
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(text, "{\"a\": \"x\\u202ey\\u0085\"}\n");
        let v: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(v["a"], "x\u{202e}y\u{85}");
    }

    #[test]
    fn safe_json_fast_path_matches_the_line_by_line_rewrite() {
        for text in [
            "{\n  \"a\": \"b\"\n}\n",
            "{\"a\": \"\u{202e}evil\"}",
            "no newline at the end",
            "tab\there\n",
        ] {
            let mut slow = Vec::new();
            {
                let mut w = SafeWriter::new(&mut slow, Mode::Json);
                let _ = std::io::Write::write_all(&mut w, text.as_bytes());
            }
            assert_eq!(
                safe_text(text, Mode::Json),
                String::from_utf8(slow).expect("utf-8")
            );
        }
    }
}

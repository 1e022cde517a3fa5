//! Just enough shell to find the commands in a `run:` step or a `RUN` line: simple commands split
//! at unquoted `&&`, `||`, `;`, `|`, `&` and newlines, each with its words and their offsets.

/// A word of a simple command; `span` is relative to the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub span: std::ops::Range<usize>,
}

/// A simple command and the operator that joined it to the previous one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<Word>,
    /// `||`, `&&`, `;`, `|`, `&` or `\n` (empty for the first command).
    pub after: &'static str,
}

impl Command {
    /// The words after leading `VAR=value` assignments and `sudo`/`time`/`env`/`exec` wrappers.
    pub fn argv(&self) -> &[Word] {
        let mut i = 0;
        while let Some(w) = self.words.get(i) {
            let t = w.text.as_str();
            let assignment = t.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            if assignment || matches!(t, "sudo" | "time" | "env" | "exec" | "command") {
                i += 1;
            } else {
                break;
            }
        }
        &self.words[i..]
    }
}

/// Split a script into simple commands. Comments (`#` at a word start) run to the end of line;
/// a backslash-newline joins lines.
pub fn commands(script: &str) -> Vec<Command> {
    let bytes = script.as_bytes();
    let mut out = Vec::new();
    let mut words: Vec<Word> = Vec::new();
    let mut after: &'static str = "";
    let mut word = String::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    let flush_word =
        |word: &mut String, start: &mut Option<usize>, end: usize, words: &mut Vec<Word>| {
            if let Some(s) = start.take() {
                words.push(Word {
                    text: std::mem::take(word),
                    span: s..end,
                });
            }
        };
    while i < bytes.len() {
        let c = bytes[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == b'\\' && q == b'"' && i + 1 < bytes.len() {
                // The escaped character, whole (it may take several bytes).
                let ch = script[i + 1..].chars().next().unwrap_or(' ');
                word.push(ch);
                i += 1 + ch.len_utf8();
                continue;
            } else {
                // This character (a backslash ending the script, say), and then up to the
                // closing quote or a backslash inside `"`: copied at once.
                let end = run_end(script, i, |b| b == q || (q == b'"' && b == b'\\'));
                word.push_str(&script[i..end]);
                i = end;
                continue;
            }
            i += 1;
            continue;
        }
        match c {
            b'\'' | b'"' => {
                start.get_or_insert(i);
                quote = Some(c);
            }
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => {
                flush_word(&mut word, &mut start, i, &mut words);
                i += 2;
                continue;
            }
            b'\\' if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') => {
                flush_word(&mut word, &mut start, i, &mut words);
                i += 3;
                continue;
            }
            b'#' if start.is_none() => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b' ' | b'\t' | b'\r' => flush_word(&mut word, &mut start, i, &mut words),
            b'\n' | b';' | b'&' | b'|' => {
                flush_word(&mut word, &mut start, i, &mut words);
                let (op, len): (&'static str, usize) = match (c, bytes.get(i + 1)) {
                    (b'&', Some(b'&')) => ("&&", 2),
                    (b'|', Some(b'|')) => ("||", 2),
                    (b'&', _) => ("&", 1),
                    (b'|', _) => ("|", 1),
                    (b';', _) => (";", 1),
                    _ => ("\n", 1),
                };
                if !words.is_empty() {
                    out.push(Command {
                        words: std::mem::take(&mut words),
                        after,
                    });
                }
                after = op;
                i += len;
                continue;
            }
            _ => {
                // Up to the next byte the cases above handle (each ASCII, so a character
                // boundary), copied at once: a word pushed a character at a time took twice its
                // size (a 51 MB `run:` word, 64 MB).
                start.get_or_insert(i);
                let end = run_end(script, i, |b| b" \t\r\n;&|'\"\\".contains(&b));
                word.push_str(&script[i..end]);
                i = end;
                continue;
            }
        }
        i += 1;
    }
    flush_word(&mut word, &mut start, script.len(), &mut words);
    if !words.is_empty() {
        out.push(Command { words, after });
    }
    out
}

/// The end of the run that starts with the character at `i` (taken whatever it is: a lone
/// backslash, say) and goes on up to the next byte `stop` accepts. The bytes `stop` accepts are
/// ASCII, so the run ends on a character boundary.
fn run_end(script: &str, i: usize, stop: impl Fn(u8) -> bool) -> usize {
    let first = script[i..].chars().next().map_or(1, char::len_utf8);
    script.as_bytes()[i + first..]
        .iter()
        .position(|&b| stop(b))
        .map_or(script.len(), |n| i + first + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(script: &str) -> Vec<(Vec<String>, &'static str)> {
        commands(script)
            .into_iter()
            .map(|c| (c.words.into_iter().map(|w| w.text).collect(), c.after))
            .collect()
    }

    #[test]
    fn splits_chains_quotes_and_continuations() {
        let got = texts(
            "npm ci || npm install\nFOO=1 npm run \"a b\" && echo 'x;y' # c; d\ncurl -s https://x | sh\napt-get install \\\n  -y git",
        );
        assert_eq!(got[0], (vec!["npm".into(), "ci".into()], ""));
        assert_eq!(got[1], (vec!["npm".into(), "install".into()], "||"));
        assert_eq!(got[2].0, ["FOO=1", "npm", "run", "a b"]);
        assert_eq!(got[3], (vec!["echo".into(), "x;y".into()], "&&"));
        assert_eq!(got[5], (vec!["sh".into()], "|"));
        assert_eq!(got[6].0, ["apt-get", "install", "-y", "git"]);
    }

    /// Words are copied a run of bytes at a time: the same words as character by character,
    /// multi-byte characters and escapes included (a backslash before `é` inside `"` made the
    /// scan stop inside the character, and panic), and a long word takes its own size.
    #[test]
    fn words_are_copied_whole() {
        // A backslash before anything but a line end is kept, outside quotes; one that ends
        // the script inside `"` too (each made the first version of this loop spin).
        assert_eq!(texts("cd /app && \\vv")[1].0, ["\\vv"]);
        assert_eq!(texts("echo \"a\\")[0].0, ["echo", "a\\"]);
        let got = texts("é#x \"a\\\"é\\é b\"'c d'e#f\tg|h \"\\é");
        assert_eq!(got[0].0, ["é#x", "a\"éé bc de#f", "g"]);
        assert_eq!(got[1], (vec!["h".into(), "é".into()], "|"));
        let long = "x".repeat(100_000);
        let cmds = commands(&format!("echo {long}"));
        let word = &cmds[0].words[1].text;
        assert_eq!(word, &long);
        assert!(word.capacity() < long.len() + 1024, "{}", word.capacity());
    }

    #[test]
    fn word_spans_point_into_the_script() {
        let script = "cd app && npm install --no-audit";
        let cmds = commands(script);
        let w = &cmds[1].words[1];
        assert_eq!(&script[w.span.clone()], "install");
    }
}

//! Dockerfile instructions with byte spans: enough structure for `FROM`, `ARG` and `RUN`,
//! line continuations and the `# escape=` parser directive included.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-cased keyword (`FROM`, `RUN`, ...).
    pub keyword: String,
    pub keyword_span: Range<usize>,
    /// Whitespace-separated arguments, continuations removed.
    pub args: Vec<Token>,
    /// Span of the whole instruction, continuations and heredoc bodies included.
    pub span: Range<usize>,
    /// Here-documents (`RUN <<EOF … EOF`, BuildKit's Dockerfile 1.4 syntax), in order.
    pub heredocs: Vec<Heredoc>,
}

/// One here-document of an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub delimiter: String,
    /// The body's lines, without the terminator line.
    pub body: Range<usize>,
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` → (`EOF`, strip leading tabs).
fn heredoc_start(token: &str) -> Option<(String, bool)> {
    let rest = token.strip_prefix("<<")?;
    let (rest, dash) = match rest.strip_prefix('-') {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let word = rest.trim_matches(['"', '\'']);
    let word: String = word
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some((word, dash))
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dockerfile {
    pub instructions: Vec<Instruction>,
}

/// A `FROM` instruction, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct From<'a> {
    pub image: &'a Token,
    pub platform: Option<&'a Token>,
    pub stage_name: Option<&'a Token>,
}

impl Instruction {
    pub fn as_from(&self) -> Option<From<'_>> {
        if self.keyword != "FROM" {
            return None;
        }
        let mut platform = None;
        let mut rest = self.args.iter().peekable();
        while let Some(tok) = rest.peek() {
            if !tok.text.starts_with("--") {
                break;
            }
            if tok.text.starts_with("--platform=") {
                platform = Some(*tok);
            }
            rest.next();
        }
        let image = rest.next()?;
        let stage_name = match (rest.next(), rest.next()) {
            (Some(kw), Some(name)) if kw.text.eq_ignore_ascii_case("as") => Some(name),
            _ => None,
        };
        Some(From {
            image,
            platform,
            stage_name,
        })
    }
}

/// Parse a Dockerfile. Never fails: anything that is not an instruction is skipped, as the
/// builder's own parser reports those.
pub fn parse(text: &str) -> Dockerfile {
    let escape = escape_char(text);
    let bytes = text.as_bytes();
    let mut instructions = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let line_end = memchr(b'\n', &bytes[pos..]).map_or(text.len(), |i| pos + i);
        let line = &text[pos..line_end];
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            pos = line_end + 1;
            continue;
        }
        // Collect the instruction's logical line: continuation lines end with the escape char.
        let start = pos + indent;
        let mut tokens = Vec::new();
        let mut cur = start;
        let mut end = start;
        loop {
            let l_end = memchr(b'\n', &bytes[cur..]).map_or(text.len(), |i| cur + i);
            let content = text[cur..l_end].trim_end_matches(['\r', ' ', '\t']);
            // Inside a continuation, comment lines and empty lines are dropped before the lines
            // are joined (the builder's own rule): the instruction goes on after them.
            let dropped = cur != start
                && (content.trim_start().starts_with('#') || content.trim().is_empty());
            let continued =
                dropped || (content.ends_with(escape) && !content.trim_start().starts_with('#'));
            let body_end = if continued {
                cur + content.len() - escape.len_utf8()
            } else {
                cur + content.len()
            };
            if !dropped {
                tokenize(text, cur..body_end, &mut tokens);
                end = body_end;
            }
            cur = l_end + 1;
            if !continued || cur >= text.len() {
                break;
            }
        }
        // Here-documents: each body runs to a line that is exactly its delimiter.
        let mut heredocs = Vec::new();
        for (delimiter, dash) in tokens.iter().skip(1).filter_map(|t| heredoc_start(&t.text)) {
            let body_start = cur.min(text.len());
            let mut line_start = body_start;
            let mut body_end = text.len();
            let mut after = text.len() + 1;
            while line_start < text.len() {
                let l_end =
                    memchr(b'\n', &bytes[line_start..]).map_or(text.len(), |i| line_start + i);
                let line = text[line_start..l_end].trim_end_matches('\r');
                let line = if dash {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if line == delimiter {
                    body_end = line_start;
                    end = l_end;
                    after = l_end + 1;
                    break;
                }
                line_start = l_end + 1;
            }
            if after > text.len() {
                end = text.len();
            }
            heredocs.push(Heredoc {
                delimiter,
                body: body_start..body_end.max(body_start),
            });
            cur = after;
        }
        if let Some(first) = tokens.first().cloned() {
            instructions.push(Instruction {
                keyword: first.text.to_ascii_uppercase(),
                keyword_span: first.span,
                args: tokens.split_off(1),
                span: start..end,
                heredocs,
            });
        }
        pos = cur.min(text.len()).max(pos + 1);
        if cur > text.len() {
            break;
        }
    }
    Dockerfile { instructions }
}

fn tokenize(text: &str, range: Range<usize>, out: &mut Vec<Token>) {
    let mut tok_start = None;
    for (i, c) in text[range.clone()].char_indices() {
        let at = range.start + i;
        if c.is_whitespace() {
            if let Some(s) = tok_start.take() {
                out.push(Token {
                    text: text[s..at].to_string(),
                    span: s..at,
                });
            }
        } else if tok_start.is_none() {
            tok_start = Some(at);
        }
    }
    if let Some(s) = tok_start {
        out.push(Token {
            text: text[s..range.end].to_string(),
            span: s..range.end,
        });
    }
}

/// The `# escape=` parser directive, if the file starts with one.
fn escape_char(text: &str) -> char {
    for line in text.lines() {
        let Some(directive) = line.trim().strip_prefix('#') else {
            break;
        };
        if let Some((key, value)) = directive.split_once('=')
            && key.trim().eq_ignore_ascii_case("escape")
        {
            return value.trim().chars().next().unwrap_or('\\');
        }
    }
    '\\'
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Whether a file name is a Dockerfile/Containerfile.
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
}

/// The cached parse of a Dockerfile.
pub fn parsed(file: &crate::project::SourceFile) -> Option<&Dockerfile> {
    file.parsed(|_, text| Ok(parse(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_lines_inside_a_continuation_do_not_end_it() {
        let text =
            "RUN npm ci && \\\n  # then the browsers\n\n  npx -y playwright-core install\nFROM x\n";
        let df = parse(text);
        assert_eq!(df.instructions.len(), 2, "{df:?}");
        let args: Vec<&str> = df.instructions[0]
            .args
            .iter()
            .map(|a| a.text.as_str())
            .collect();
        assert_eq!(
            args,
            ["npm", "ci", "&&", "npx", "-y", "playwright-core", "install"]
        );
        assert_eq!(
            &text[df.instructions[0].span.clone()],
            "RUN npm ci && \\\n  # then the browsers\n\n  npx -y playwright-core install"
        );
    }

    #[test]
    fn from_with_platform_stage_and_continuation() {
        let text = "# syntax=docker/dockerfile:1\nARG V=20\nFROM --platform=$BUILDPLATFORM \\\n  node:${V} AS build\nrun echo hi\n";
        let df = parse(text);
        assert_eq!(df.instructions.len(), 3);
        let from = df.instructions[1].as_from().expect("from");
        assert_eq!(from.image.text, "node:${V}");
        assert_eq!(&text[from.image.span.clone()], "node:${V}");
        assert_eq!(from.stage_name.map(|t| t.text.as_str()), Some("build"));
        assert_eq!(df.instructions[2].keyword, "RUN");
    }

    #[test]
    fn heredocs_are_part_of_their_instruction() {
        let text = "FROM node:20\nRUN <<EOF\nnpm install\nFROM evil\nEOF\nRUN <<-'A' bash\n\tnpm ci\n\tA\nCMD [\"node\"]\n";
        let df = parse(text);
        let kws: Vec<&str> = df.instructions.iter().map(|i| i.keyword.as_str()).collect();
        assert_eq!(kws, ["FROM", "RUN", "RUN", "CMD"]);
        let run = &df.instructions[1];
        assert_eq!(
            &text[run.heredocs[0].body.clone()],
            "npm install\nFROM evil\n"
        );
        assert!(text[run.span.clone()].ends_with("EOF"));
        assert_eq!(
            &text[df.instructions[2].heredocs[0].body.clone()],
            "\tnpm ci\n"
        );
        // An unterminated heredoc runs to the end of the file.
        let df = parse("RUN <<EOF\nnpm i\n");
        assert_eq!(df.instructions.len(), 1);
        assert_eq!(df.instructions[0].heredocs[0].body, 10..16);
    }

    #[test]
    fn escape_directive_and_crlf() {
        let text = "# escape=`\r\nFROM `\r\n  alpine:3\r\n";
        let df = parse(text);
        let from = df.instructions[0].as_from().expect("from");
        assert_eq!(from.image.text, "alpine:3");
    }
}

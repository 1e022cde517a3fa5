//! YAML (workflows, action.yml) as an owned tree with byte spans.
//!
//! saphyr reports character offsets and 0-based columns; they are converted to byte offsets
//! here, once, so that every other module works in bytes like the rest of chainward.

use std::ops::Range;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use crate::span::CharToByte;

/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub struct Yaml {
    pub span: Range<usize>,
    pub value: YamlValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum YamlValue {
    Null,
    /// Any non-null scalar, as its string value (`true`, `42` and `"x"` alike).
    Scalar(String),
    Seq(Vec<Yaml>),
    Map(Vec<(Yaml, Yaml)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub span: Range<usize>,
    pub message: String,
}

impl Yaml {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            YamlValue::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Yaml, Yaml)]> {
        match &self.value {
            YamlValue::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Yaml]> {
        match &self.value {
            YamlValue::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value under a string key of a mapping.
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// Entries of a mapping whose keys are strings.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Yaml)> {
        self.as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
    }
}

/// Parse the first document of `text` (an empty file is `Null`).
pub fn parse(text: &str) -> Result<Yaml, YamlError> {
    let map = CharToByte::new(text);
    let docs = MarkedYaml::load_from_str(text).map_err(|e| {
        let at = map.byte(e.marker().index());
        YamlError {
            span: at..at,
            message: e.info().to_string(),
        }
    })?;
    // Consumed as it is converted: each scalar's text is moved, not copied (a 50 MB `run:` line
    // is held once, not twice).
    match docs.into_iter().next() {
        Some(doc) => convert(doc, &map, 0),
        None => Ok(Yaml {
            span: 0..0,
            value: YamlValue::Null,
        }),
    }
}

fn convert(node: MarkedYaml<'_>, map: &CharToByte<'_>, depth: usize) -> Result<Yaml, YamlError> {
    let start = map.byte(node.span.start.index());
    let end = map.byte(node.span.end.index()).max(start);
    if depth > MAX_DEPTH {
        return Err(YamlError {
            span: start..start,
            message: format!("nesting deeper than {MAX_DEPTH} levels"),
        });
    }
    let value = match node.data {
        YamlData::BadValue | YamlData::Alias(_) => YamlValue::Null,
        YamlData::Value(s) => scalar(s),
        YamlData::Representation(s, _, _) => YamlValue::Scalar(s.into_owned()),
        YamlData::Tagged(_, inner) => return convert(*inner, map, depth + 1),
        YamlData::Sequence(items) => YamlValue::Seq(
            items
                .into_iter()
                .map(|i| convert(i, map, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(entries) => YamlValue::Map(
            entries
                .into_iter()
                .map(|(k, v)| Ok((convert(k, map, depth + 1)?, convert(v, map, depth + 1)?)))
                .collect::<Result<_, YamlError>>()?,
        ),
    };
    Ok(Yaml {
        span: start..end,
        value,
    })
}

/// A scalar as the core schema resolves it, kept as chainward keeps every scalar: null, or a
/// string (`True` is `true`, `0x1F` is `31`, `3.00` is `3`, as YAML readers see them).
fn scalar(s: Scalar<'_>) -> YamlValue {
    match s {
        Scalar::Null => YamlValue::Null,
        Scalar::String(s) => YamlValue::Scalar(s.into_owned()),
        Scalar::Boolean(b) => YamlValue::Scalar(b.to_string()),
        Scalar::Integer(i) => YamlValue::Scalar(i.to_string()),
        Scalar::FloatingPoint(f) => YamlValue::Scalar(f.to_string()),
    }
}

/// [`parse_machine`] of the document that starts at `from` (the text before it is not read:
/// another document), with the entries of the named top-level sections handed to `on_entry`
/// one by one (see `fast::stream_in`); `None` when the text is outside the fast subset, and the
/// caller should use [`parse`] on it instead.
pub fn stream_machine(
    text: &str,
    from: usize,
    streamed: &[&str],
    on_entry: &mut (dyn FnMut(&str, &Yaml, &Yaml) + Send),
) -> Option<Yaml> {
    fast::stream_in(text, from, streamed, on_entry, fast::Chunks::DEFAULT)
}

/// The entries of the top-level mapping of machine-written YAML (yarn berry's yarn.lock)
/// handed to `on_entry(key, value)` in order, never held as one tree; a large text is read on
/// every core (see `fast::read_section`). `None` when the text is outside the fast subset or
/// is not a mapping with its keys at the first column (entries may have been handed out): the
/// caller reads it with [`parse`] instead.
pub fn stream_entries(text: &str, on_entry: &mut (dyn FnMut(&Yaml, &Yaml) + Send)) -> Option<()> {
    fast::stream_root(text, on_entry, fast::Chunks::DEFAULT)
}

/// Parse machine-written YAML (pnpm-lock.yaml, yarn berry's yarn.lock) fast: the block subset
/// those tools write — two-space block mappings and sequences, plain and quoted scalars, literal
/// block scalars as values, one-line flow mappings and sequences — is read directly with byte
/// spans; anything outside it (anchors, folded and other multi-line scalars, tags, tabs) falls
/// back to the full parser, which also gives the error messages for broken files.
pub fn parse_machine(text: &str) -> Result<Yaml, YamlError> {
    match fast::parse(text) {
        Some(yaml) => Ok(yaml),
        None => parse(text),
    }
}

mod fast {
    use super::{Yaml, YamlValue};

    #[derive(Clone, Copy)]
    struct Line<'a> {
        indent: usize,
        /// Byte offset of the content (after the indentation).
        at: usize,
        content: &'a str,
    }

    /// The text's lines with content, read as the parser reaches them: the line it is at and
    /// the one after, never a list of every line (for a large lockfile, that list was as large
    /// as the text).
    struct Lines<'a> {
        /// The whole text, and where the part read ends.
        text: &'a str,
        end: usize,
        /// The text's lines, line ends included ([`crate::span::lines_inclusive`]).
        raw: Box<dyn Iterator<Item = &'a str> + 'a>,
        /// Where the first line not yet read starts.
        offset: usize,
        /// The line the parser is at, and the next one.
        ahead: [Option<Line<'a>>; 2],
        /// A line outside the subset (a tab indent, a document marker) was met: the text is
        /// not read, and the lines end there.
        outside: bool,
        /// Whether the text read has a carriage return anywhere (looked for once).
        returns: bool,
    }

    impl<'a> Lines<'a> {
        fn new(text: &'a str) -> Self {
            let body = if text.starts_with('\u{feff}') { 3 } else { 0 };
            Self::span(text, body..text.len())
        }

        /// The lines of `text[span]`, with offsets in `text`; `span` starts at a line's start.
        fn span(text: &'a str, span: std::ops::Range<usize>) -> Self {
            let mut lines = Lines {
                text,
                end: span.end,
                raw: Box::new(crate::span::lines_inclusive(&text[span.clone()])),
                offset: span.start,
                ahead: [None, None],
                outside: false,
                returns: memchr::memchr(b'\r', text[span.clone()].as_bytes()).is_some(),
            };
            lines.ahead = [lines.read(), lines.read()];
            lines
        }

        fn read(&mut self) -> Option<Line<'a>> {
            while !self.outside {
                let raw = self.raw.next()?;
                let start = self.offset;
                self.offset += raw.len();
                let line = raw.trim_end_matches(['\n', '\r']);
                let content = line.trim_start_matches(' ');
                // A carriage return inside a line (a comment's too) breaks it in YAML.
                if self.returns && memchr::memchr(b'\r', line.as_bytes()).is_some() {
                    self.outside = true;
                    break;
                }
                if content.is_empty() || content.starts_with('#') {
                    continue;
                }
                if content.starts_with('\t') || content == "---" || content == "..." {
                    self.outside = true;
                    break;
                }
                let indent = line.len() - content.len();
                return Some(Line {
                    indent,
                    at: start + indent,
                    // YAML's white space: a no-break space, say, is part of a scalar.
                    content: trim_white_end(content),
                });
            }
            None
        }

        /// The line the parser is at.
        fn get(&self) -> Option<Line<'a>> {
            self.ahead[0]
        }

        /// The line after it.
        fn after(&self) -> Option<Line<'a>> {
            self.ahead[1]
        }

        fn advance(&mut self) {
            self.ahead = [self.ahead[1].take(), self.read()];
        }

        /// Whether every line was read and each was inside the subset.
        fn done(&self) -> bool {
            self.ahead[0].is_none() && !self.outside
        }

        /// Go on reading from `at`, the start of a line (after a block scalar, whose lines
        /// are not read as lines of the block structure).
        fn resume(&mut self, at: usize) {
            self.raw = Box::new(crate::span::lines_inclusive(&self.text[at..self.end]));
            self.offset = at;
            self.outside = false;
            self.ahead = [self.read(), self.read()];
        }

        /// The literal block scalar whose header (`|`, `|-`, `|+`, with or without an
        /// indentation indicator and a comment) is `header`, which ends its line at
        /// `header_end`, as the value of a key at column `indent`; reading goes on after it.
        /// pnpm writes one for a multi-line string (a long `deprecated:` message such as
        /// `q`'s). Left to the full parser (`None`): folded scalars (`>`), an empty one, and
        /// any line it might read differently (white space only but indented past the
        /// content, a tab or a carriage return where indentation ends, the text's end without
        /// a line break).
        fn block_scalar(&mut self, header: &str, header_end: usize, indent: usize) -> Option<Yaml> {
            let mut chomp = None;
            let mut explicit = None;
            let mut rest = header.strip_prefix('|')?;
            for _ in 0..2 {
                match rest.as_bytes().first() {
                    Some(c @ (b'-' | b'+')) if chomp.is_none() => chomp = Some(*c),
                    Some(c @ b'1'..=b'9') if explicit.is_none() => {
                        explicit = Some(usize::from(c - b'0'));
                    }
                    _ => break,
                }
                rest = &rest[1..];
            }
            let comment = rest.trim_start_matches([' ', '\t']);
            if !(rest.is_empty() || (comment.len() < rest.len() && comment.starts_with('#'))) {
                return None;
            }
            let text = self.text;
            let b = text.as_bytes();
            let mut at = header_end + memchr::memchr(b'\n', b.get(header_end..self.end)?)? + 1;
            // The content's indentation: given, or that of its first line with text.
            let mut content = explicit.map(|d| indent + d);
            let mut value = String::new();
            let mut start = None;
            // Line breaks not yet placed: those of blank lines, and the one after the last
            // line with text (chomping decides on the last ones).
            let mut breaks = 0usize;
            // The widest blank line before the first line with text.
            let mut widest_blank = 0;
            // Lines are read past the part's end only to find where the next node starts (a
            // section cut between entries ends every scalar before the cut).
            let end = loop {
                let Some(newline) = b.get(at..).and_then(|rest| memchr::memchr(b'\n', rest)) else {
                    if at < b.len() {
                        return None; // the last line has no line break
                    }
                    break at;
                };
                let raw = &text[at..at + newline];
                let spaces = raw.len() - raw.trim_start_matches(' ').len();
                let first = raw.as_bytes().get(spaces).copied();
                if raw.contains('\r')
                    || (first == Some(b'\t') && content.is_none_or(|c| spaces < c))
                {
                    return None;
                }
                let m = match (content, first) {
                    (Some(m), _) => m,
                    (None, Some(_)) if spaces > indent && widest_blank <= spaces => spaces,
                    (None, Some(_)) => return None,
                    (None, None) => {
                        if at >= self.end {
                            return None;
                        }
                        widest_blank = widest_blank.max(spaces);
                        breaks += 1;
                        at += newline + 1;
                        continue;
                    }
                };
                content = Some(m);
                if first.is_some() && spaces < m {
                    break at + spaces; // the next node's line
                }
                if at >= self.end || (first.is_none() && spaces > m) {
                    return None;
                }
                if first.is_none() {
                    breaks += 1;
                } else {
                    // Blank lines before the first line with text are part of the value; between
                    // two lines, each is a line break more.
                    let joins = if start.is_none() { breaks } else { breaks + 1 };
                    value.extend(std::iter::repeat_n('\n', joins));
                    breaks = 0;
                    start.get_or_insert(at + m);
                    value.push_str(&raw[m..]);
                }
                at += newline + 1;
            };
            let start = start?;
            match chomp {
                Some(b'-') => {}
                Some(_) => value.extend(std::iter::repeat_n('\n', breaks + 1)),
                None => value.push('\n'),
            }
            self.resume(at.min(self.end));
            Some(Yaml {
                span: start..end,
                value: YamlValue::Scalar(value),
            })
        }
    }

    pub(super) fn parse(text: &str) -> Option<Yaml> {
        let mut lines = Lines::new(text);
        let Some(first) = lines.get() else {
            return lines.done().then_some(Yaml {
                span: 0..0,
                value: YamlValue::Null,
            });
        };
        let doc = block(&mut lines, first.indent, 0)?;
        lines.done().then_some(doc)
    }

    /// [`stream_in`] of a whole text, cut as it is outside tests.
    #[cfg(test)]
    pub(super) fn stream(
        text: &str,
        streamed: &[&str],
        on_entry: &mut (dyn FnMut(&str, &Yaml, &Yaml) + Send),
    ) -> Option<Yaml> {
        stream_in(text, 0, streamed, on_entry, Chunks::DEFAULT)
    }

    /// How a streamed section is cut to be read on every core (see [`read_section`]).
    #[derive(Clone, Copy)]
    pub(super) struct Chunks {
        /// Sections with less text than this after their key (to the end of the file) are
        /// read on the calling thread alone.
        pub(super) min: usize,
        /// About how much text one chunk holds.
        pub(super) size: usize,
        /// How many chunks may be read and waiting to be handed over: the entries of those are
        /// held as trees, which are several times the text's size.
        pub(super) ahead: usize,
    }

    impl Chunks {
        /// Measured on a 1.6 MB pnpm-lock.yaml (the bench's), cut in about 400 chunks: three
        /// chunks ahead is as fast as any larger window. The peak memory grows with the window
        /// (a megabyte more at four chunks of 16 KB), and at this one stays within the noise of
        /// a run read line by line.
        pub(super) const DEFAULT: Chunks = Chunks {
            min: 64 * 1024,
            size: 4 * 1024,
            ahead: 3,
        };
    }

    /// Like [`parse`] of the text from `from` on, but the entries of the top-level mappings
    /// named in `streamed` are handed to `on_entry(section, key, value)` one at a time instead
    /// of being kept in the tree (their sections are left as empty mappings), so that a large
    /// lockfile is never held as a whole tree. `None` when the text is outside the subset
    /// (entries may have been handed out).
    pub(super) fn stream_in(
        text: &str,
        from: usize,
        streamed: &[&str],
        on_entry: &mut (dyn FnMut(&str, &Yaml, &Yaml) + Send),
        chunks: Chunks,
    ) -> Option<Yaml> {
        let mut lines = match from {
            0 => Lines::new(text),
            _ => Lines::span(text, from.min(text.len())..text.len()),
        };
        let mut top = Vec::new();
        let start = lines.get().map_or(0, |l| l.at);
        let mut end = start;
        while let Some(line) = lines.get() {
            if line.indent != 0 {
                return None;
            }
            let (key, rest) = split_key(line.content, line.at)?;
            let section = key.as_str().unwrap_or_default();
            let child = lines.after().filter(|n| n.indent > 0);
            if rest.trim_matches([' ', '\t']).is_empty()
                && streamed.contains(&section)
                && let Some(child) = child
            {
                lines.advance();
                let indent = child.indent;
                // Where the section's first entry's line starts.
                let from = child.at - indent;
                if text.len() - from >= chunks.min {
                    let mut hand = |k: &Yaml, v: &Yaml| on_entry(section, k, v);
                    let (last, after) = read_section(text, from, indent, chunks, &mut hand)?;
                    end = end.max(last);
                    lines = Lines::span(text, after..text.len());
                } else {
                    while let Some(line) = lines.get().filter(|l| l.indent >= indent) {
                        if line.indent != indent {
                            return None;
                        }
                        let (k, v) = entry(&mut lines, indent, 1)?;
                        end = end.max(v.span.end);
                        on_entry(section, &k, &v);
                    }
                }
                top.push((
                    key,
                    Yaml {
                        span: end..end,
                        value: YamlValue::Map(Vec::new()),
                    },
                ));
            } else {
                let (k, v) = entry(&mut lines, 0, 0)?;
                end = end.max(v.span.end);
                top.push((k, v));
            }
        }
        lines.done().then_some(Yaml {
            span: start..end,
            value: YamlValue::Map(top),
        })
    }

    /// The top-level mapping's entries, each handed to `on_entry` as it is read, like a
    /// streamed section's ([`stream_in`]): the whole text is that section, at indent 0.
    pub(super) fn stream_root(
        text: &str,
        on_entry: &mut (dyn FnMut(&Yaml, &Yaml) + Send),
        chunks: Chunks,
    ) -> Option<()> {
        let first = Lines::new(text).get().filter(|l| l.indent == 0)?;
        // No line is indented less than 0: the section runs to the end of the text.
        if text.len() - first.at >= chunks.min {
            read_section(text, first.at, 0, chunks, on_entry).map(|_| ())
        } else {
            read_chunk(text, first.at..text.len(), 0, &mut |k, v| on_entry(&k, &v)).map(|_| ())
        }
    }

    /// Where the entries of a mapping at `indent` may be cut from `from` on: about every
    /// `size` bytes, at a line that holds a key at exactly `indent` (a line reading the section
    /// entry by entry would start an entry there, see [`entry`]). The cuts run to the end of
    /// the text: where the section ends is found as it is read.
    fn cuts(text: &str, from: usize, indent: usize, size: usize) -> Vec<usize> {
        let b = text.as_bytes();
        let starts_entry = |at: usize| {
            b.get(at..at + indent)
                .is_some_and(|s| s.iter().all(|&c| c == b' '))
                && b.get(at + indent)
                    .is_some_and(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'#' | b'-'))
        };
        let mut cuts = vec![from];
        let mut at = from + size.max(1);
        while at < b.len() {
            // The lines from the one after `at`'s on, to the first that starts an entry.
            let Some(nl) = memchr::memchr(b'\n', &b[at..]) else {
                break;
            };
            let mut line = at + nl + 1;
            while line < b.len() && !starts_entry(line) {
                match memchr::memchr(b'\n', &b[line..]) {
                    Some(nl) => line += nl + 1,
                    None => line = b.len(),
                }
            }
            if line >= b.len() {
                break;
            }
            cuts.push(line);
            at = line + size.max(1);
        }
        cuts.push(b.len());
        cuts
    }

    /// What reading one chunk of a section gave: its entries (unless handed over as they were
    /// read), the end of the last value, and where the section ended if it ended in the chunk.
    type Chunk = (Vec<(Yaml, Yaml)>, usize, Option<usize>);

    /// The entries at `indent` of `text[span]`, handed to `on` in order, as the loop over a
    /// streamed section reads them: `None` where it would fail. Stops at the first line
    /// indented less, whose start it returns (the section's end).
    fn read_chunk(
        text: &str,
        span: std::ops::Range<usize>,
        indent: usize,
        on: &mut dyn FnMut(Yaml, Yaml),
    ) -> Option<(usize, Option<usize>)> {
        let mut lines = Lines::span(text, span);
        let mut end = 0;
        while let Some(line) = lines.get() {
            if line.indent < indent {
                return Some((end, Some(line.at - line.indent)));
            }
            if line.indent != indent {
                return None;
            }
            let (k, v) = entry(&mut lines, indent, 1)?;
            end = end.max(v.span.end);
            on(k, v);
        }
        lines.done().then_some((end, None))
    }

    /// A streamed section read on every core. The text from `from` (the start of the section's
    /// first entry's line) is cut between entries ([`cuts`]). This thread and one task on the
    /// pool each take the next chunk not taken, read it, and hand over, in the text's order,
    /// every chunk read whose turn has come: whichever thread finds the next one ready hands it
    /// to `on` (never both at once). At most `chunks.ahead` chunks are read and not yet handed
    /// over: their entries are held as trees, several times the size of their text. A chunk's
    /// entries are freed by the thread that made them (freed by the other, they cost more than
    /// reading them). The entries, their order and the failures are exactly those of reading
    /// the section line by line (a test compares both on every fixture and on damaged copies).
    /// Returns the end of the last value and where the text after the section starts.
    fn read_section(
        text: &str,
        from: usize,
        indent: usize,
        chunks: Chunks,
        on: &mut (dyn FnMut(&Yaml, &Yaml) + Send),
    ) -> Option<(usize, usize)> {
        use std::sync::{Condvar, Mutex, MutexGuard};

        let cuts = cuts(text, from, indent, chunks.size);
        let spans: Vec<_> = cuts.windows(2).map(|w| w[0]..w[1]).collect();
        let n = spans.len();
        /// A chunk read: its entries, the end of its last value and where the section ended
        /// if it ended in it (`None`: it failed), and which thread read it.
        type Read = (Option<Chunk>, usize);
        struct State {
            /// The next chunk nobody has taken.
            next: usize,
            /// The chunks handed over so far.
            handed: usize,
            /// A thread is handing chunks over.
            handing: bool,
            /// The section is over: ended, failed, or read to the end of the text.
            over: bool,
            read: Vec<Option<Read>>,
            /// Entries handed over, for the thread that made them to free.
            spent: [Vec<Vec<(Yaml, Yaml)>>; 2],
            /// The end of the last value handed over; where the section ended; whether a
            /// chunk failed.
            last: usize,
            after: usize,
            failed: bool,
        }
        let state = Mutex::new(State {
            next: 0,
            handed: 0,
            handing: false,
            over: false,
            read: (0..n).map(|_| None).collect(),
            spent: [Vec::new(), Vec::new()],
            last: 0,
            after: text.len(),
            failed: false,
        });
        let changed = Condvar::new();
        let on = Mutex::new(on);
        let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
        // What one thread (`me`) does until the section is over.
        let work = |me: usize| {
            // Should this thread panic, the other must not wait for it: the section is over.
            struct Unwinding<'a>(&'a Mutex<State>, &'a Condvar);
            impl Drop for Unwinding<'_> {
                fn drop(&mut self) {
                    if std::thread::panicking() {
                        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
                        s.over = true;
                        s.failed = true;
                        drop(s);
                        self.1.notify_all();
                    }
                }
            }
            let _unwinding = Unwinding(&state, &changed);
            let mut s = lock();
            loop {
                let spent = std::mem::take(&mut s.spent[me]);
                if !spent.is_empty() {
                    drop(s);
                    drop(spent);
                    s = lock();
                }
                if s.over {
                    return;
                }
                let may_read = s.next < n && s.next < s.handed + chunks.ahead.max(1);
                // Hand over the chunks whose turn has come, if no one else is. The pool's task
                // does only when it may not read on: what the consumer keeps (the model) is then
                // made mostly on the calling thread, in its allocator's pages, not in both
                // threads' (at peak, about a tenth of the lockfile's size less).
                if !s.handing
                    && s.read.get(s.handed).is_some_and(Option::is_some)
                    && !(me == 1 && may_read)
                {
                    s.handing = true;
                    let mut ready = Vec::new();
                    let mut i = s.handed;
                    while let Some(read) = s.read.get_mut(i).and_then(Option::take) {
                        ready.push(read);
                        i += 1;
                    }
                    drop(s);
                    let mut handed = Vec::new();
                    {
                        let mut on = on.lock().unwrap_or_else(|e| e.into_inner());
                        for (chunk, maker) in ready {
                            let Some((entries, end, stop)) = chunk else {
                                handed.push((None, Vec::new(), maker));
                                break;
                            };
                            for (k, v) in &entries {
                                on(k, v);
                            }
                            handed.push((Some((end, stop)), entries, maker));
                            if stop.is_some() {
                                break;
                            }
                        }
                    }
                    s = lock();
                    s.handing = false;
                    for (result, entries, maker) in handed {
                        s.handed += 1;
                        match result {
                            None => {
                                s.failed = true;
                                s.over = true;
                            }
                            Some((end, stop)) => {
                                s.last = s.last.max(end);
                                if let Some(stop) = stop {
                                    s.after = stop;
                                    s.over = true;
                                }
                            }
                        }
                        if maker != me && entries.capacity() > 0 {
                            s.spent[maker].push(entries);
                        } else {
                            drop(entries);
                        }
                    }
                    if s.handed == n {
                        s.over = true;
                    }
                    changed.notify_all();
                    continue;
                }
                // Read the next chunk, if the window allows.
                if may_read {
                    let i = s.next;
                    s.next += 1;
                    drop(s);
                    let mut entries = Vec::new();
                    let read = read_chunk(text, spans[i].clone(), indent, &mut |k, v| {
                        entries.push((k, v))
                    });
                    let read = read.map(|(end, stop)| (entries, end, stop));
                    s = lock();
                    s.read[i] = Some((read, me));
                    changed.notify_all();
                    continue;
                }
                // The other thread is reading or handing over what comes next: a chunk takes
                // tens of microseconds, so look again for a while before sleeping (a thread
                // put to sleep can take a millisecond to wake on a busy machine).
                s = wait(&state, &changed, s, 200);
            }
        };
        fn wait<'m>(
            state: &'m Mutex<State>,
            changed: &Condvar,
            s: MutexGuard<'m, State>,
            spins: usize,
        ) -> MutexGuard<'m, State> {
            // What a change of the state that may let this thread go on looks at.
            let mark = |s: &State| {
                let spent = s.spent[0].len() + s.spent[1].len();
                (s.next, s.handed, s.handing, s.over, spent)
            };
            let seen = mark(&s);
            let same =
                |s: &State| mark(s) == seen && s.read.get(s.handed).is_none_or(Option::is_none);
            let mut s = s;
            for _ in 0..spins {
                if !same(&s) {
                    return s;
                }
                drop(s);
                for _ in 0..20 {
                    std::hint::spin_loop();
                }
                s = state.lock().unwrap_or_else(|e| e.into_inner());
            }
            while same(&s) {
                s = changed.wait(s).unwrap_or_else(|e| e.into_inner());
            }
            s
        }
        rayon::in_place_scope(|scope| {
            scope.spawn(|_| work(1));
            work(0);
        });
        let s = state.into_inner().unwrap_or_else(|e| e.into_inner());
        (!s.failed).then_some((s.last, s.after))
    }

    /// A block node whose lines are indented exactly `indent`.
    fn block(lines: &mut Lines<'_>, indent: usize, depth: usize) -> Option<Yaml> {
        if depth > super::MAX_DEPTH {
            return None;
        }
        let first = lines.get()?;
        let start = first.at;
        if first.content.starts_with("- ") || first.content == "-" {
            let mut items = Vec::new();
            while let Some(line) = lines.get() {
                if line.indent != indent || !(line.content.starts_with("- ") || line.content == "-")
                {
                    break;
                }
                let rest = line.content[1..].trim_start_matches([' ', '\t']);
                let at = line.at + (line.content.len() - rest.len());
                if split_key(rest, at).is_some() {
                    // A mapping as the item (`- key: value`, its other keys below the first, as
                    // pnpm 11 writes a runtime's `variants`): a block at the first key's column,
                    // which a tab before it would make unclear.
                    if line.content[1..line.content.len() - rest.len()].contains('\t') {
                        return None;
                    }
                    let column = line.indent + (line.content.len() - rest.len());
                    lines.ahead[0] = Some(Line {
                        indent: column,
                        at,
                        content: rest,
                    });
                    items.push(block(lines, column, depth + 1)?);
                    continue;
                }
                if rest.is_empty() {
                    return None; // a block under a bare `-`: not written by lockfiles
                }
                items.push(scalar_or_flow(rest, at)?);
                lines.advance();
            }
            let end = items.last().map_or(start, |i| i.span.end);
            return Some(Yaml {
                span: start..end,
                value: YamlValue::Seq(items),
            });
        }
        let mut entries = Vec::new();
        let mut end = start;
        while let Some(line) = lines.get() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let (key, value) = entry(lines, indent, depth)?;
            end = end.max(value.span.end).max(key.span.end);
            entries.push((key, value));
        }
        Some(Yaml {
            span: start..end,
            value: YamlValue::Map(entries),
        })
    }

    /// One `key: value` entry of a block mapping at `indent`, its value's block included.
    fn entry(lines: &mut Lines<'_>, indent: usize, depth: usize) -> Option<(Yaml, Yaml)> {
        let line = lines.get()?;
        let (key, rest) = split_key(line.content, line.at)?;
        lines.advance();
        let rest_trim = rest.trim_start_matches([' ', '\t']);
        let value = if rest_trim.is_empty() {
            match lines.get() {
                Some(next) if next.indent > indent => block(lines, next.indent, depth + 1)?,
                // `key:` followed by a sequence at the same indent is valid YAML.
                Some(next)
                    if next.indent == indent
                        && (next.content.starts_with("- ") || next.content == "-") =>
                {
                    block(lines, indent, depth + 1)?
                }
                _ => Yaml {
                    span: key.span.end..key.span.end,
                    value: YamlValue::Null,
                },
            }
        } else if rest_trim.starts_with('|') {
            lines.block_scalar(rest_trim, line.at + line.content.len(), indent)?
        } else {
            let at = line.at + (line.content.len() - rest_trim.len());
            scalar_or_flow(rest_trim, at)?
        };
        Some((key, value))
    }

    /// `key: rest` or `key:` → the key node and the text after the colon.
    fn split_key(content: &str, at: usize) -> Option<(Yaml, &str)> {
        // The key, where its colon is, and how long the key is as written.
        let (key, key_len, written) = match content.as_bytes().first()? {
            b'\'' | b'"' => {
                let (value, len) = quoted(content)?;
                (YamlValue::Scalar(value), len, len)
            }
            b'&' | b'*' | b'!' | b'?' | b'|' | b'>' | b'{' | b'[' | b'%' | b'@' | b'`' => {
                return None;
            }
            _ if !may_start_plain(content) => return None,
            _ => {
                // The first `: ` (the first `:` that white space follows), else a final `:`.
                // After a tab, the value is not read here.
                let b = content.as_bytes();
                let i = memchr::memchr_iter(b':', b)
                    .find(|&i| matches!(b.get(i + 1), Some(b' ' | b'\t')))
                    .or_else(|| content.strip_suffix(':').map(|s| s.len()))?;
                // White space before the colon is not the key's; a comment in it is no key.
                let key = trim_white_end(&content[..i]);
                if comment_in(key) {
                    return None;
                }
                (resolved(key), i, key.len())
            }
        };
        let rest = content[key_len..].strip_prefix(':')?;
        if !(rest.is_empty() || rest.starts_with(' ')) {
            return None;
        }
        Some((
            Yaml {
                span: at..at + written,
                value: key,
            },
            rest,
        ))
    }

    /// A quoted scalar at the start of `s`: its value and its length in bytes.
    fn quoted(s: &str) -> Option<(String, usize)> {
        let q = s.chars().next()?;
        let mut out = String::new();
        let mut chars = s.char_indices().skip(1).peekable();
        while let Some((i, c)) = chars.next() {
            if c == q {
                if q == '\'' && chars.peek().map(|(_, n)| *n) == Some('\'') {
                    chars.next();
                    out.push('\'');
                    continue;
                }
                return Some((out, i + 1));
            }
            if q == '"' && c == '\\' {
                // YAML's escapes (js-yaml, which pnpm writes with, uses `\_` for a no-break
                // space); a line break escaped is a multi-line scalar, left to the full parser.
                let (_, e) = chars.next()?;
                let digits = match e {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    _ => 0,
                };
                out.push(match e {
                    '"' | '\\' | '/' | ' ' | '\t' => e,
                    '0' => '\0',
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    't' => '\t',
                    'n' => '\n',
                    'v' => '\u{b}',
                    'f' => '\u{c}',
                    'r' => '\r',
                    'e' => '\u{1b}',
                    'N' => '\u{85}',
                    '_' => '\u{a0}',
                    'L' => '\u{2028}',
                    'P' => '\u{2029}',
                    'x' | 'u' | 'U' => {
                        let mut code = 0u32;
                        for _ in 0..digits {
                            code = code * 16 + chars.next()?.1.to_digit(16)?;
                        }
                        char::from_u32(code)?
                    }
                    _ => return None,
                });
                continue;
            }
            out.push(c);
        }
        None
    }

    fn scalar_or_flow(s: &str, at: usize) -> Option<Yaml> {
        let bytes = s.as_bytes();
        match bytes.first()? {
            b'{' | b'[' => {
                let (node, len) = flow(s, at, 0)?;
                s[len..]
                    .trim_matches([' ', '\t'])
                    .is_empty()
                    .then_some(node)
            }
            b'\'' | b'"' => {
                let (value, len) = quoted(s)?;
                s[len..]
                    .trim_matches([' ', '\t'])
                    .is_empty()
                    .then_some(Yaml {
                        span: at..at + len,
                        value: YamlValue::Scalar(value),
                    })
            }
            b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' => None,
            _ => plain(s, at),
        }
    }

    /// Whether a plain scalar may start as `s` does. YAML forbids an indicator there, but
    /// allows `-`, `?` and `:` before a character that is not a space (`-a` is a scalar, `- a`
    /// a sequence's item).
    fn may_start_plain(s: &str) -> bool {
        let b = s.as_bytes();
        match b.first() {
            None => false,
            Some(b'-' | b'?' | b':') => b.get(1).is_some_and(|c| !matches!(c, b' ' | b'\t')),
            Some(c) => !matches!(
                c,
                b',' | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'#'
                    | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'\''
                    | b'"'
                    | b'%'
                    | b'@'
                    | b'`'
            ),
        }
    }

    /// A plain scalar's value, resolved as the full parser resolves it where the core schema
    /// may read something other than a string (a number, `true`, `null`, `.inf`).
    fn resolved(s: &str) -> YamlValue {
        let b = s.as_bytes();
        let may_be_typed = if b.iter().any(u8::is_ascii_digit) {
            // A number is written with these characters and one `.` at most (a version like
            // `4.17.21` is a string).
            b.iter().all(|c| {
                matches!(c, b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' | b'x' | b'o' | b'+' | b'-' | b'.')
            }) && b.iter().filter(|&&c| c == b'.').count() <= 1
        } else {
            // Without a digit, only these words are not strings.
            matches!(
                s,
                "~" | "null"
                    | "Null"
                    | "NULL"
                    | "true"
                    | "True"
                    | "TRUE"
                    | "false"
                    | "False"
                    | "FALSE"
                    | ".inf"
                    | ".Inf"
                    | ".INF"
                    | "+.inf"
                    | "+.Inf"
                    | "+.INF"
                    | "-.inf"
                    | "-.Inf"
                    | "-.INF"
                    | ".nan"
                    | ".NaN"
                    | ".NAN"
            )
        };
        if may_be_typed {
            super::scalar(saphyr::Scalar::parse_from_cow(s.into()))
        } else {
            YamlValue::Scalar(s.to_string())
        }
    }

    /// `s` without the spaces and tabs at its end (bytes: both are ASCII).
    fn trim_white_end(s: &str) -> &str {
        let end = s
            .as_bytes()
            .iter()
            .rposition(|c| !matches!(c, b' ' | b'\t'))
            .map_or(0, |i| i + 1);
        &s[..end]
    }

    /// Whether a comment starts in `s`: a `#` after white space.
    fn comment_in(s: &str) -> bool {
        s.as_bytes()
            .windows(2)
            .any(|w| matches!(w, [b' ' | b'\t', b'#']))
    }

    fn plain(s: &str, at: usize) -> Option<Yaml> {
        // ` #` (a comment) or `: ` (a mapping) anywhere, or a final `:` (a mapping too): not a
        // plain scalar. One pass.
        if !may_start_plain(s)
            || s.ends_with(':')
            || s.as_bytes()
                .windows(2)
                .any(|w| matches!(w, [b' ' | b'\t', b'#'] | [b':', b' ' | b'\t']))
        {
            return None;
        }
        let value = resolved(s);
        Some(Yaml {
            span: at..at + s.len(),
            value,
        })
    }

    /// The bytes a plain scalar in a flow collection stops at, or may not hold: `:` and the
    /// flow indicators (a table: one look per byte of a long value such as an integrity).
    const FLOW_BYTE: [bool; 256] = {
        let mut table = [false; 256];
        let mut i = 0;
        let bytes = b":,[]{}";
        while i < bytes.len() {
            table[bytes[i] as usize] = true;
            i += 1;
        }
        table
    };

    /// A one-line flow collection at the start of `s`: the node and its length.
    fn flow(s: &str, at: usize, depth: usize) -> Option<(Yaml, usize)> {
        if depth > super::MAX_DEPTH {
            return None;
        }
        let open = s.as_bytes()[0];
        let close = if open == b'{' { b'}' } else { b']' };
        let mut i = 1;
        let mut items = Vec::new();
        let mut entries = Vec::new();
        let skip_ws = |i: &mut usize| {
            while matches!(s.as_bytes().get(*i), Some(b' ' | b'\t')) {
                *i += 1;
            }
        };
        // A comma only ends an item (`[a,]` is one item; `[,a]`, `[a,,b]` and `[a b]` are
        // not YAML).
        let mut after_item = false;
        loop {
            skip_ws(&mut i);
            match s.as_bytes().get(i)? {
                c if *c == close => {
                    i += 1;
                    break;
                }
                b',' if after_item => {
                    i += 1;
                    after_item = false;
                    continue;
                }
                _ if after_item => return None,
                b',' => return None,
                _ => {}
            }
            after_item = true;
            let item = |i: &mut usize, stop: &[u8]| -> Option<Yaml> {
                let rest = &s[*i..];
                match rest.as_bytes().first()? {
                    b'{' | b'[' => {
                        let (node, len) = flow(rest, at + *i, depth + 1)?;
                        *i += len;
                        Some(node)
                    }
                    b'\'' | b'"' => {
                        let (value, len) = quoted(rest)?;
                        let node = Yaml {
                            span: at + *i..at + *i + len,
                            value: YamlValue::Scalar(value),
                        };
                        *i += len;
                        Some(node)
                    }
                    b'&' | b'*' | b'!' | b'|' | b'>' => None,
                    _ => {
                        // Up to the first of `stop` (a `:` only before a space); no other
                        // flow indicator inside a plain scalar of a flow collection. One pass
                        // over bytes (every one of those is ASCII, never inside a character).
                        let b = rest.as_bytes();
                        let mut end = b.len();
                        let mut from = 0;
                        while let Some(k) = b[from..].iter().position(|&c| FLOW_BYTE[c as usize]) {
                            let j = from + k;
                            match b[j] {
                                b':' if stop.contains(&b':') && b.get(j + 1) == Some(&b' ') => {}
                                b':' => {
                                    from = j + 1;
                                    continue;
                                }
                                c if !stop.contains(&c) => return None,
                                _ => {}
                            }
                            end = j;
                            break;
                        }
                        let text = trim_white_end(&rest[..end]);
                        let node = plain(text, at + *i)?;
                        *i += end;
                        Some(node)
                    }
                }
            };
            if open == b'{' {
                let key = item(&mut i, b":,}")?;
                skip_ws(&mut i);
                if s.as_bytes().get(i) != Some(&b':') {
                    return None;
                }
                i += 1;
                skip_ws(&mut i);
                let value = item(&mut i, b",}")?;
                entries.push((key, value));
            } else {
                items.push(item(&mut i, b",]")?);
            }
        }
        let value = if open == b'{' {
            YamlValue::Map(entries)
        } else {
            YamlValue::Seq(items)
        };
        Some((
            Yaml {
                span: at..at + i,
                value,
            },
            i,
        ))
    }
}

/// The cached YAML tree of `file`; `None` if it does not parse (the error is on the file).
/// A workflow's or action's tree is the one its [`crate::workflow::Workflow`] model holds.
pub fn parsed(file: &crate::project::SourceFile) -> Option<&Yaml> {
    if matches!(
        file.kind,
        crate::FileKind::Workflow | crate::FileKind::Action
    ) {
        return crate::workflow::parsed(file).map(|w| &w.doc);
    }
    file.parsed(|f, text| parse(text).map_err(|e| f.parse_error(e.span, e.message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_spans_are_bytes() {
        let text = "name: é\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n";
        let yaml = parse(text).expect("valid");
        let uses = yaml
            .get("jobs")
            .and_then(|j| j.get("a"))
            .and_then(|a| a.get("steps"))
            .and_then(Yaml::as_seq)
            .and_then(|s| s[0].get("uses"))
            .expect("uses");
        assert_eq!(&text[uses.span.clone()], "actions/checkout@v4");
    }

    #[test]
    fn syntax_error_has_a_position() {
        let err = parse("a: [1, 2\nb: c\n").expect_err("unclosed");
        assert!(!err.message.is_empty());
    }

    /// A tree written out: scalars with their spans, and (with `spans`) collections with theirs.
    fn shape(y: &Yaml, spans: bool) -> String {
        let at = |y: &Yaml| {
            if spans {
                format!("@{:?}", y.span)
            } else {
                String::new()
            }
        };
        match &y.value {
            YamlValue::Null => format!("~{}", at(y)),
            YamlValue::Scalar(s) => format!("{s:?}@{:?}", y.span),
            YamlValue::Seq(items) => format!(
                "[{}]{}",
                items
                    .iter()
                    .map(|i| shape(i, spans))
                    .collect::<Vec<_>>()
                    .join(","),
                at(y)
            ),
            YamlValue::Map(entries) => format!(
                "{{{}}}{}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{}:{}", shape(k, spans), shape(v, spans)))
                    .collect::<Vec<_>>()
                    .join(","),
                at(y)
            ),
        }
    }

    #[test]
    fn the_fast_path_reads_what_the_full_parser_reads() {
        let text = "lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n\nimporters:\n\n  .:\n    dependencies:\n      debug:\n        specifier: ^4.3.4\n        version: 4.4.3(supports-color@8.1.1)\n\npackages:\n\n  '@esbuild/darwin-arm64@0.21.5':\n    resolution: {integrity: sha512-a/b+c==, tarball: 'https://x/y.tgz'}\n    cpu: [arm64]\n    os: [darwin, 'linux']\n    engines: {node: '>=12'}\n    deprecated: it''s old\n\n  \"quoted@1.0.0\":\n    resolution: {integrity: sha512-x}\n    empty: {}\n    list: []\npackages2:\n- a\n- 'b'\n";
        // Scalars (values and spans) and the structure agree; collections' own spans may end
        // differently (saphyr counts trailing whitespace), which nothing relies on.
        let shape = |y: &Yaml| shape(y, false);
        let fast = fast::parse(text).expect("in the subset");
        let full = parse(text).expect("valid");
        assert_eq!(shape(&fast), shape(&full));
        // Every real machine-written YAML lockfile in the repository, too.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut seen = 0;
        for dir in ["fixtures/npm-ci/formats", "fixtures/bench"] {
            for entry in std::fs::read_dir(root.join(dir))
                .expect("fixtures")
                .flatten()
            {
                for name in ["pnpm-lock.yaml", "yarn.lock"] {
                    let Ok(text) = std::fs::read_to_string(entry.path().join(name)) else {
                        continue;
                    };
                    if !text.contains("lockfileVersion:") && !text.contains("__metadata:") {
                        continue; // yarn classic is not YAML
                    }
                    seen += 1;
                    let fast = fast::parse(&text).expect("real lockfiles are in the subset");
                    let full = parse(&text).expect("valid");
                    assert_eq!(shape(&fast), shape(&full), "{}", entry.path().display());
                }
            }
        }
        assert!(seen >= 5, "only {seen} real YAML lockfiles found");
        // pnpm's block scalar and escapes (fixtures/real-world/pnpm-block-scalar-and-escapes):
        // read by the fast path, not sent whole to the full parser.
        let text = std::fs::read_to_string(
            root.join("fixtures/real-world/pnpm-block-scalar-and-escapes/pnpm-lock.yaml"),
        )
        .expect("fixture");
        let fast = fast::parse(&text).expect("read by the fast path");
        assert_eq!(shape(&fast), shape(&parse(&text).expect("valid")));
        let q = fast
            .get("packages")
            .and_then(|p| p.get("q@1.5.1"))
            .and_then(|q| q.get("deprecated"))
            .and_then(Yaml::as_str)
            .expect("q's deprecation");
        assert!(
            q.starts_with("You or someone") && q.ends_with("@endo/captp)") && q.contains(".\n\n("),
            "{q:?}"
        );
        // Outside the subset: the full parser decides.
        for other in [
            "a: &x 1\nb: *x\n",
            "a: >\n  text\n",
            "a: |\n  text",
            "- |\n  text\n",
            "a:\n\tb: 1\n",
            "a: [1,\n  2]\n",
            // Lines are read as the parser reaches them: one outside the subset after the
            // last entry, or after the last line the parser needs, still sends the text to the
            // full parser.
            "a: 1\nb: 2\n---\n",
            "a: 1\nb:\n  c: 1\n\td: 2\n",
            "a: 1\n...\n# end\n",
            "---\n",
        ] {
            assert!(fast::parse(other).is_none(), "{other:?}");
            assert!(
                fast::stream(other, &["b"], &mut |_, _, _| {}).is_none(),
                "{other:?}"
            );
        }
    }

    /// Whatever the fast path reads, the full parser reads the same way: it never accepts
    /// text the full parser rejects, nor reads a value differently. On damaged copies of
    /// every YAML lockfile of the fixtures (pnpm, yarn berry) and on texts near the subset's
    /// edges; what the fast path gives up on, the full parser decides.
    #[test]
    fn the_fast_path_accepts_only_what_the_full_parser_reads() {
        // saphyr's span of a quoted scalar takes in a tab after it: scalars' spans are
        // compared without white space at their end.
        fn trimmed(y: &Yaml, text: &str) -> Yaml {
            let mut y = y.clone();
            let end = text
                .get(y.span.clone())
                .map_or(0, |s| s.len() - s.trim_end_matches([' ', '\t']).len());
            y.span.end -= end;
            y.value = match &y.value {
                YamlValue::Seq(items) => {
                    YamlValue::Seq(items.iter().map(|i| trimmed(i, text)).collect())
                }
                YamlValue::Map(entries) => YamlValue::Map(
                    entries
                        .iter()
                        .map(|(k, v)| (trimmed(k, text), trimmed(v, text)))
                        .collect(),
                ),
                other => other.clone(),
            };
            y
        }
        let agree = |text: &str| -> Result<bool, String> {
            let Some(fast) = fast::parse(text) else {
                return Ok(false);
            };
            let shape = |y: &Yaml| shape(&trimmed(y, text), false);
            match parse(text) {
                Ok(full) if shape(&fast) == shape(&full) => Ok(true),
                Ok(full) => Err(format!(
                    "read differently:\n{}\n{}",
                    shape(&fast),
                    shape(&full)
                )),
                // A key twice in one mapping: the full parser rejects it (as pnpm's js-yaml
                // does), while yarn's parser merges the two. The fast path keeps both entries,
                // so that the checks see every one.
                Err(e) if e.message == "duplicated key in mapping" => Ok(true),
                Err(e) => Err(format!("the full parser rejects it: {}", e.message)),
            }
        };
        let mut wrong = Vec::new();
        for edge in [
            "a: 1\n- b: c\n",
            "a: 1\n- b\n",
            "a: - b\n",
            "a: b:\n",
            "a: ]b\n",
            "a: }b\n",
            "a: ,b\n",
            "]a: b\n",
            ",a: b\n",
            "a: ? b\n",
            "? a\n",
            "-a: -b\n",
            "a: -\n",
            "a: :b\n",
            ":a: b\n",
            "a: b #c\n",
            "a: 'b' c\n",
            "a: \"b\\x41\"\n",
            "a: {b: c, d}\n",
            "a: [b, {c: d}]\n",
            "a: [b]c\n",
            "a:\n  b: 1\n  b: 2\n",
            "a: b\n  c: d\n",
            "a:  b  \n",
            "a: b\t\n",
            "a: b\u{a0}\n",
            "a: 'b\u{a0}'\u{a0}\n",
            "a: \"b\rc\"\n",
            "a: b\rc: d\n",
            "a  : b\n",
            "a\t: b\n",
            "a #b: c\n",
            "a\t#b: c\n",
            "a: b\t#c\n",
            "a: b:\tc\n",
            "a: {,}\n",
            "a: [,b]\n",
            "a: [b,,c]\n",
            "a: [b,]\n",
            "a: ['b' 'c']\n",
            "a: {b: c,}\n",
            "a: {b: c d: e}\n",
            "a: {b: c]d}\n",
            "a: [b}c]\n",
            "a: {b: c,\t d: e}\n",
            "a: 3.00\n",
            "a: [0x1F, +1, 1e3, .inf, -.Inf, .NaN, True, FALSE, Null, ~, 010, 0o17]\n",
            "True: 1.0\n",
            "a: [0x1234567, 1234567, -1234567, 1.5e+10, 0o1234567, 1.2.3, 12.34.56, 1e5x]\n",
            "a:\n- b: 1\n c: 2\n",
            "a:\n- b: 1\n   c: 2\n",
            "a:\n- - b\n",
            "a:\n- b: 1\n- c\nd: 2\n",
            "a:\n-\tb: 1\n  c: 2\n",
            "a:\n- \tb: 1\n",
            // Block scalars: what the fast path reads, it reads as saphyr does.
            "a: |\nb: 1\n",
            "a: |\n\nb: 1\n",
            "a: |\n  x\n y\n",
            "a: |\n  x\n   y\nb: 1\n",
            "a: |\n  x\n    \n  y\n",
            "a: |\n    \n  x\n",
            "a: |\n  x\n\t y\n",
            "a: |\n  x\n  \ty\n",
            "a: |\n  \tx\n",
            "a: |\n  x\r\n",
            "a: |\n  x\n  ",
            "a: |+\n  x\n\n  ",
            "a: |1\n  x\n",
            "a: |0\n  x\n",
            "a: |--\n  x\n",
            "a: |-+\n  x\n",
            "a: |12\n  x\n",
            "a: |x\n  x\n",
            "a: |#c\n  x\n",
            "a: | #c\n  x\n#d\n  #e\nb: 1\n",
            "a: |\n  x\n  # not a comment\n",
            "a: |\n  x\n---\n",
            "a: |\n  x\n...\n",
            "a: |\n  - x\n  y: z\n",
            "a:\n  b: |\n   x\n  c: 1\n",
            "a:\n  b: |\n  x\n",
            "a:\n  b: |\n    x\n   c: 1\n",
            "a:\n- b: |\n    x\n  c: 1\n",
            "a:\n- b: |2\n     x\n  c: 1\n",
            "a: \"\\_\\N\\L\\P\\e\\a\\b\\v\\f\\r\\0\\ \\\t\\/\"\n",
            "a: \"\\x4\"\n",
            "a: \"\\xZZ\"\n",
            "a: \"\\u00e9\\U0001F600\\uD800\"\n",
            "a: \"\\U00110000\"\n",
            "a: \"\\q\"\n",
            "a: \"b\\\n  c\"\n",
        ] {
            if let Err(why) = agree(edge) {
                wrong.push(format!("{edge:?}: {why}"));
            }
        }
        // Mappings as sequence items, as pnpm 11 writes a runtime's `variants`: read by the
        // fast path, and as saphyr reads them.
        for read in [
            "a:\n- b: 1\n  c: 2\n- d\n- e:\n    f: [1]\n  g:\n  - h: 3\n    i: 4\n",
            "a:\n  - b: 1\n    c:\n      d: 2\n  - 'e: f'\n  - g:h\n  - \"i\": j\n",
            "a:\n-   b: 1\n    c: 2\n",
            // What pnpm writes for a multi-line `deprecated` (q's, graphql-tools'), and for
            // a no-break space in a string (react-highcharts' peer ranges).
            "q@1.5.1:\n  resolution: {integrity: sha512-x}\n  deprecated: |-\n    You or someone you depend on is using Q.\n\n    (For a CapTP with native promises, see @endo/eventual-send)\n\n  qified@0.9.1:\n    resolution: {integrity: sha512-y}\n",
            "a: |\n  x\n\n  y\nb: 1\n",
            "a: |+\n  x\n\n\nb: 1\n",
            "a: |2-\n    x\n   y\nb: 1\n",
            "a: |-2\n    x\nb: 1\n",
            "a: |\n\n  x\n",
            "a: |\n  \n  x\n",
            "a: | # c\n  x\n# d\nb: 1\n",
            "a:\n  k: |\n    x\n   \n \n  l: 2\n",
            "a:\n  k: |\n    x\n  # c\n  l: 2\n",
            "a: |\n  x\n  \t y\n",
            "react-highcharts@16.1.0:\n  peerDependencies:\n    react: \"~0.14 || ^15.0.0 ||\\_^16.0.0\"\n",
            "a: \"\\x41\\u00e9\\U0001F600\\e\\N\"\n",
            "node@runtime:26.7.0:\n  resolution:\n    type: variations\n    variants:\n      - resolution:\n          archive: tarball\n          bin:\n            node: bin/node\n          integrity: sha256-x=\n          type: binary\n          url: https://nodejs.org/download/release/v26.7.0/node-v26.7.0-aix-ppc64.tar.gz\n        targets:\n          - cpu: ppc64\n            os: aix\n      - resolution:\n          archive: zip\n        targets:\n          - cpu: x64\n            os: win32\n  version: 26.7.0\n",
        ] {
            if agree(read) != Ok(true) {
                wrong.push(format!(
                    "{read:?}: not read by the fast path: {:?}",
                    agree(read)
                ));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut damage = crate::testing::Damage::default();
        let (mut texts, mut damaged, mut read) = (0, 0, 0);
        for path in crate::testing::files_named(&root, &["pnpm-lock.yaml", "yarn.lock"]) {
            let text = std::fs::read_to_string(&path).expect("fixture");
            if text.len() > 200_000 || fast::parse(&text).is_none() {
                continue; // yarn classic is not YAML
            }
            texts += 1;
            for (copy, at) in damage.copies(
                &text,
                b"\n :-#'\"{}[],?&*!|>%@`\\.0a",
                b" \t\n-#:x\r,]}?'\"&*!|>%@`\\.~[{",
                150,
            ) {
                damaged += 1;
                match agree(&copy) {
                    Ok(fast) => read += usize::from(fast),
                    Err(why) => panic!(
                        "{} damaged at {at}: {:?}\n{why}",
                        path.display(),
                        copy.get(at.saturating_sub(60)..(at + 60).min(copy.len()))
                    ),
                }
            }
        }
        assert!(
            texts >= 20 && damaged >= 2000 && read > damaged / 10 && read < damaged,
            "{texts} lockfiles, {damaged} damaged copies, {read} read by the fast path"
        );
    }

    /// A pnpm 9 lockfile made for a test: `packages` and `snapshots`, each with `n` entries
    /// written by its function of the entry's number, then `tail`.
    fn lockfile(
        packages: (usize, &dyn Fn(usize) -> String),
        snapshots: (usize, &dyn Fn(usize) -> String),
        tail: &str,
    ) -> String {
        let mut text = String::from("lockfileVersion: '9.0'\n\npackages:\n\n");
        text.extend((0..packages.0).map(packages.1));
        text.push_str("snapshots:\n\n");
        text.extend((0..snapshots.0).map(snapshots.1));
        text + tail
    }

    /// The streamed sections hand over, in order, exactly the entries the whole tree holds, and
    /// fail where the tree fails.
    #[test]
    fn streaming_hands_over_what_the_tree_holds() {
        let shape = |y: &Yaml| shape(y, true);
        const STREAMED: [&str; 2] = ["packages", "snapshots"];
        let agree = |text: &str| {
            let whole = fast::parse(text).expect("in the subset");
            let mut handed = Vec::new();
            let streamed = fast::stream(text, &STREAMED, &mut |section, k, v| {
                handed.push(format!("{section} {}:{}", shape(k), shape(v)));
            })
            .expect("streams");
            let mut expected = Vec::new();
            let mut rest = Vec::new();
            for (k, v) in whole.as_map().expect("a mapping") {
                let name = k.as_str().unwrap_or_default();
                match v.as_map() {
                    Some(entries) if STREAMED.contains(&name) => {
                        for (ek, ev) in entries {
                            expected.push(format!("{name} {}:{}", shape(ek), shape(ev)));
                        }
                    }
                    _ => rest.push(format!("{}:{}", shape(k), shape(v))),
                }
            }
            assert_eq!(handed, expected);
            let kept: Vec<String> = streamed
                .as_map()
                .expect("a mapping")
                .iter()
                .filter(|(k, _)| !STREAMED.contains(&k.as_str().unwrap_or_default()))
                .map(|(k, v)| format!("{}:{}", shape(k), shape(v)))
                .collect();
            assert_eq!(kept, rest);
            handed.len()
        };
        // Thousands of entries, with nested blocks, flow values and empty values.
        let text = lockfile(
            (700, &|i| {
                format!(
                    "  p{i}@1.0.0:\n    resolution: {{integrity: sha512-{i}}}\n    engines: {{node: '>=12'}}\n\n"
                )
            }),
            (600, &|i| {
                format!(
                    "  p{i}@1.0.0:\n    dependencies:\n      q: 1.0.0\n  e{i}@1.0.0: {{}}\n  n{i}@1.0.0:\n"
                )
            }),
            "tail: 1\n",
        );
        assert_eq!(agree(&text), 700 + 3 * 600);
        // Every real machine-written YAML lockfile in the repository.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        for path in crate::testing::files_named(&root, &["pnpm-lock.yaml"]) {
            let text = std::fs::read_to_string(&path).expect("fixture");
            if fast::parse(&text).is_some() && text.contains("\npackages:\n") {
                agree(&text);
            }
        }
        // A key with its sequence at its own indent is one entry.
        assert_eq!(agree("packages:\n  a:\n  - x\n  - y\n  b: 1\n"), 2);
        // A line indented between an entry and its children fails both ways.
        let stray = "packages:\n  a:\n    b: 1\n   c: 2\n  d: 1\n";
        assert!(fast::parse(stray).is_none());
        assert!(fast::stream(stray, &STREAMED, &mut |_, _, _| {}).is_none());
    }

    /// A cut into chunks of 1 to 200 bytes, with a window of 1 to 4, for a damaged copy.
    fn random_chunks(damage: &mut crate::testing::Damage) -> fast::Chunks {
        fast::Chunks {
            min: 0,
            size: 1 + damage.below(200),
            ahead: 1 + damage.below(4),
        }
    }

    /// How the tests cut a text of `len` bytes to read it on every core: at every entry and in
    /// larger chunks, with windows of one to four chunks (a large text, in fewer ways).
    fn chunkings(len: usize) -> Vec<fast::Chunks> {
        let sizes: &[(usize, usize)] = if len > 200_000 {
            &[(300, 4), (4096, 3), (16 * 1024, 4)]
        } else {
            &[(1, 1), (1, 4), (40, 2), (300, 3), (4096, 4)]
        };
        sizes
            .iter()
            .map(|&(size, ahead)| fast::Chunks {
                min: 0,
                size,
                ahead,
            })
            .collect()
    }

    /// A streamed section read on every core hands over exactly what reading it line by line
    /// hands over, in the same order, and fails where that fails (what either handed over
    /// before failing is not compared: the caller throws it away): on every pnpm lockfile of
    /// the fixtures, cut at every entry and in larger chunks, and on damaged copies of them.
    #[test]
    fn a_section_read_on_every_core_is_read_as_line_by_line() {
        const STREAMED: [&str; 2] = ["packages", "snapshots"];
        let line_by_line = fast::Chunks {
            min: usize::MAX,
            size: 1,
            ahead: 1,
        };
        let run = |text: &str, chunks: fast::Chunks| {
            let mut handed = Vec::new();
            let doc = fast::stream_in(
                text,
                0,
                &STREAMED,
                &mut |section, k, v| {
                    handed.push(format!("{section} {}:{}", shape(k, true), shape(v, true)));
                },
                chunks,
            );
            // On a failure, what was handed over before it is thrown away by the caller.
            match doc {
                Some(doc) => (Some(shape(&doc, true)), handed),
                None => (None, Vec::new()),
            }
        };
        let mut texts = crate::testing::fixture_texts(&["pnpm-lock.yaml"]);
        // Both sections, a section after them, entries with a sequence at their own indent,
        // comments and blank lines between entries, block scalars (with blank lines in and
        // after them, as an entry's own value, and last in its section).
        let made = lockfile(
            (300, &|i| {
                let (inner, outer) = match i % 5 {
                    0 => (
                        format!("    deprecated: |-\n      old {i}\n\n      see {i}\n"),
                        "",
                    ),
                    1 => ("    note: |+\n      kept\n\n".to_string(), ""),
                    2 => (String::new(), "  m: |\n    text\n\n    more\n"),
                    _ => (String::new(), ""),
                };
                format!(
                    "  p{i}@1.0.0:\n    resolution: {{integrity: sha512-{i}}}\n    cpu:\n    - x64\n{inner}\n  # {i}\n  q{i}: 1\n  s{i}:\n  - a\n  - b\n{outer}"
                )
            }),
            (200, &|i| {
                format!("  p{i}@1.0.0:\n    dependencies:\n      q: 1.0.0\n  e{i}@1.0.0: {{}}\n")
            }),
            "tail:\n  a: 1\n  b:\n    c: 2\n",
        );
        assert!(
            run(&made, line_by_line).0.is_some(),
            "the made lockfile is read"
        );
        texts.push(("made".into(), made));
        assert!(texts.len() >= 10, "{} pnpm lockfiles", texts.len());
        let mut damage = crate::testing::Damage::default();
        let (mut streamed, mut damaged, mut still_read) = (0, 0, 0);
        for (name, text) in &texts {
            let expected = run(text, line_by_line);
            if expected.0.is_some() && !expected.1.is_empty() {
                streamed += 1;
            }
            for chunks in chunkings(text.len()) {
                let size = chunks.size;
                assert!(run(text, chunks) == expected, "{name}: chunks of {size}");
            }
            if text.len() > 200_000 {
                continue;
            }
            for (copy, at) in damage.copies(text, b"\n :-#'\"{}|", b" \t\n-#:x\r|", 60) {
                let expected = run(&copy, line_by_line);
                damaged += 1;
                if expected.0.is_some() {
                    still_read += 1;
                }
                let chunks = random_chunks(&mut damage);
                assert!(
                    run(&copy, chunks) == expected,
                    "{name} damaged at {at}: {:?}",
                    copy.get(at.saturating_sub(60)..(at + 60).min(copy.len()))
                );
            }
        }
        assert!(streamed >= 10, "{streamed} lockfiles streamed");
        assert!(
            damaged >= 1000 && still_read > damaged / 10 && still_read < damaged,
            "{damaged} damaged copies, {still_read} still read"
        );
    }

    /// The top-level mapping read entry by entry, on every core or line by line, hands over
    /// exactly the entries of the whole tree, in order, and fails where reading the tree fails
    /// or the tree is not a mapping with its keys at the first column: on every yarn berry
    /// lockfile of the fixtures, cut at every entry and in larger chunks, and on damaged copies.
    #[test]
    fn a_root_read_on_every_core_holds_the_tree_s_entries() {
        let tree = |text: &str| -> Option<Vec<String>> {
            let doc = fast::parse(text)?;
            let map = doc.as_map().filter(|m| {
                m.first().is_some_and(|(k, _)| {
                    let before = &text[..k.span.start];
                    before.is_empty() || before == "\u{feff}" || before.ends_with('\n')
                })
            })?;
            Some(
                map.iter()
                    .map(|(k, v)| format!("{}:{}", shape(k, true), shape(v, true)))
                    .collect(),
            )
        };
        let run = |text: &str, chunks: fast::Chunks| {
            let mut handed = Vec::new();
            fast::stream_root(
                text,
                &mut |k, v| handed.push(format!("{}:{}", shape(k, true), shape(v, true))),
                chunks,
            )
            .map(|()| handed)
        };
        let mut texts = crate::testing::berry_lockfiles();
        // Comments and blank lines between entries, a key with its sequence at its own
        // indent, flow and empty values, a byte order mark.
        let mut made = String::from("\u{feff}# made\n\n__metadata:\n  version: 8\n");
        for i in 0..300 {
            made.push_str(&format!(
                "\n\"p{i}@npm:1, p{i}@npm:^1\":\n  version: 1.0.{i}\n  dependencies:\n    q: \"npm:1\"\n# {i}\ns{i}:\n- x\n- y\ne{i}: {{}}\nn{i}:\n"
            ));
        }
        texts.push(("made".into(), made));
        assert!(texts.len() >= 5, "{} berry lockfiles", texts.len());
        let line_by_line = fast::Chunks {
            min: usize::MAX,
            size: 1,
            ahead: 1,
        };
        let mut damage = crate::testing::Damage::default();
        let (mut damaged, mut still_read) = (0, 0);
        for (name, text) in &texts {
            let expected = tree(text);
            assert!(expected.is_some(), "{name}: not read");
            assert!(run(text, line_by_line) == expected, "{name}: line by line");
            for chunks in chunkings(text.len()) {
                let size = chunks.size;
                assert!(run(text, chunks) == expected, "{name}: chunks of {size}");
            }
            if text.len() > 200_000 {
                continue;
            }
            for (copy, at) in damage.copies(text, b"\n :-#'\"{}", b" \t\n-#:x\r", 100) {
                let expected = tree(&copy);
                damaged += 1;
                if expected.is_some() {
                    still_read += 1;
                }
                let chunks = random_chunks(&mut damage);
                for chunks in [line_by_line, chunks] {
                    assert!(
                        run(&copy, chunks) == expected,
                        "{name} damaged at {at}: {:?}",
                        copy.get(at.saturating_sub(60)..(at + 60).min(copy.len()))
                    );
                }
            }
        }
        assert!(
            damaged >= 500 && still_read > damaged / 10 && still_read < damaged,
            "{damaged} damaged copies, {still_read} still read"
        );
    }

    #[test]
    fn alias_bombs_are_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        // Either a clear error or a bounded result; never an exhausted machine.
        let _ = parse(&text);
    }
}

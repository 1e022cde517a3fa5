//! Byte offsets to 1-based line and column, computed in one place for every file kind.

/// A 1-based line and 1-based column (counted in Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// Offset → line/column lookups without a table of every line: the start of every 32nd line
/// is kept, and a lookup scans at most 31 lines from the nearest one. On a 3 MB lockfile
/// (87,000 lines) that is 11 KB instead of 350 KB, and a lookup costs a scan of about a
/// kilobyte; a check makes a few lookups per finding.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset where lines 1, 1 + STEP, 1 + 2 STEP, … start.
    checkpoints: Vec<usize>,
    lines: usize,
    /// Inside lines longer than [`Self::LONG`] bytes (a minified lockfile is one such line):
    /// every `LONG` bytes, `(offset, line, column)` at a character boundary, so that a lookup
    /// never scans more than `LONG` bytes of one line. Empty for ordinary files.
    long: Vec<(usize, usize, usize)>,
}

impl LineIndex {
    const STEP: usize = 32;
    const LONG: usize = 4096;

    /// Newlines are counted a block at a time; a block is searched newline by newline only
    /// where a checkpoint falls in it (about one block in ten on a lockfile), or where the line
    /// that ends in it may have begun more than [`Self::LONG`] bytes before.
    pub fn new(text: &str) -> Self {
        const BLOCK: usize = NEWLINE_BLOCK;
        let bytes = text.as_bytes();
        let mut checkpoints = vec![0];
        let mut long = Vec::new();
        // The number of the line being read.
        let mut lines = 1;
        // Where the last block that held a newline ends (0 before the first).
        let mut after_newline: usize = 0;
        // Where the line that ends at `end` starts, knowing that no newline lies between
        // `after_newline` and `end`.
        let line_start = |after_newline: usize| {
            let last = after_newline.saturating_sub(BLOCK);
            bytes[last..after_newline]
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |i| last + i + 1)
        };
        for (k, block) in bytes.chunks(BLOCK).enumerate() {
            let count = newlines(block);
            if count == 0 {
                continue;
            }
            let at = k * BLOCK;
            // The line ending at the block's first newline began in the last block with a
            // newline, or at 0; it cannot be long unless that is far enough back.
            if at + BLOCK - after_newline.saturating_sub(BLOCK) > Self::LONG {
                let start = line_start(after_newline);
                let first = at + memchr::memchr(b'\n', block).unwrap_or(0);
                if first - start > Self::LONG {
                    Self::long_line(text, start..first, lines, &mut long);
                }
            }
            after_newline = at + block.len();
            if (lines + count - 1) / Self::STEP == (lines - 1) / Self::STEP {
                lines += count;
                continue;
            }
            for end in memchr_newlines(block) {
                if lines % Self::STEP == 0 {
                    checkpoints.push(at + end + 1);
                }
                lines += 1;
            }
        }
        if text.len() - after_newline.saturating_sub(BLOCK) > Self::LONG {
            let start = line_start(after_newline);
            if text.len() - start > Self::LONG {
                Self::long_line(text, start..text.len(), lines, &mut long);
            }
        }
        checkpoints.shrink_to_fit();
        long.shrink_to_fit();
        Self {
            checkpoints,
            lines,
            long,
        }
    }

    fn long_line(
        text: &str,
        range: std::ops::Range<usize>,
        line: usize,
        long: &mut Vec<(usize, usize, usize)>,
    ) {
        let (mut prev, mut column) = (range.start, 1);
        let mut at = range.start + Self::LONG;
        while at < range.end {
            while !text.is_char_boundary(at) {
                at += 1;
            }
            column += text[prev..at].chars().count();
            long.push((at, line, column));
            prev = at;
            at += Self::LONG;
        }
    }

    /// Line and column of a byte offset. Offsets past the end clamp to the end; offsets inside
    /// a UTF-8 sequence count the partial character.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        // The last checkpoint at or before `offset` (the first is 0), then the newlines before
        // `offset` from there.
        let k = self
            .checkpoints
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let base = self.checkpoints.get(k).copied().unwrap_or(0).min(offset);
        let mut line = k * Self::STEP + 1;
        let mut start = base;
        let mut column_base = 1;
        // A point inside a long line, nearer than the line checkpoint.
        let j = self.long.partition_point(|&(o, _, _)| o <= offset);
        if let Some(&(o, l, c)) = j.checked_sub(1).and_then(|j| self.long.get(j))
            && o >= base
        {
            line = l;
            start = o;
            column_base = c;
        }
        let scan_from = start;
        for newline in memchr_newlines(&text.as_bytes()[scan_from..offset]) {
            line += 1;
            start = scan_from + newline + 1;
            column_base = 1;
        }
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + column_base;
        LineCol { line, column }
    }

    /// Byte offset where 1-based `line` starts, if the text has that line.
    pub fn line_start(&self, text: &str, line: usize) -> Option<usize> {
        let index = line.checked_sub(1).filter(|&i| i < self.lines)?;
        let mut start = *self.checkpoints.get(index / Self::STEP)?;
        for _ in 0..index % Self::STEP {
            start += text
                .as_bytes()
                .get(start..)?
                .iter()
                .position(|&b| b == b'\n')?
                + 1;
        }
        Some(start)
    }

    /// Byte range of 1-based `line` without its line terminator.
    pub fn line_range(&self, text: &str, line: usize) -> Option<std::ops::Range<usize>> {
        let start = self.line_start(text, line)?;
        let end = text.as_bytes()[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |n| start + n);
        let end = if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') {
            end - 1
        } else {
            end
        };
        Some(start..end.max(start))
    }

    pub fn line_count(&self) -> usize {
        self.lines
    }
}

/// Newlines are counted this many bytes at a time, in byte-wide counts (at most 255 fit).
const NEWLINE_BLOCK: usize = 128;

/// How many `\n` bytes `bytes` holds. Counted in byte lanes a block at a time (the compiler
/// keeps 16 or 32 counts per instruction); stopping at each newline, or counting as `usize`,
/// is several times slower.
fn newlines(bytes: &[u8]) -> usize {
    bytes
        .chunks(NEWLINE_BLOCK)
        .map(|block| {
            usize::from(
                block
                    .iter()
                    .fold(0u8, |n, &c| n.wrapping_add(u8::from(c == b'\n'))),
            )
        })
        .sum()
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\n', bytes)
}

/// The lines of `text`, each with its `\n`, as `text.split_inclusive('\n')` gives them, found
/// with the vectorized `memchr` (the standard library's char search was a tenth of reading a
/// large pnpm lockfile).
pub fn lines_inclusive(text: &str) -> impl Iterator<Item = &str> + '_ {
    let mut start = 0;
    memchr_newlines(text.as_bytes())
        .map(Some)
        .chain(std::iter::once(None))
        .filter_map(move |newline| {
            let end = newline.map_or(text.len(), |n| n + 1);
            let line = text.get(start..end).filter(|l| !l.is_empty());
            start = end;
            line
        })
}

/// Converts character offsets (as YAML parsers report them) to byte offsets in one pass.
pub struct CharToByte<'a> {
    text: &'a str,
    /// Byte offset of every 64th character, for a short scan from the nearest checkpoint.
    checkpoints: Vec<usize>,
    ascii: bool,
}

impl<'a> CharToByte<'a> {
    const STEP: usize = 64;

    pub fn new(text: &'a str) -> Self {
        let ascii = text.is_ascii();
        let checkpoints = if ascii {
            Vec::new()
        } else {
            text.char_indices()
                .step_by(Self::STEP)
                .map(|(b, _)| b)
                .collect()
        };
        Self {
            text,
            checkpoints,
            ascii,
        }
    }

    pub fn byte(&self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        let Some(&base) = self.checkpoints.get(char_index / Self::STEP) else {
            return self.text.len();
        };
        let rest = char_index % Self::STEP;
        self.text[base..]
            .char_indices()
            .nth(rest)
            .map_or(self.text.len(), |(b, _)| base + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_inclusive_splits_as_the_standard_library_does() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\nb",
            "a\r\nb\r\n\n",
            "\n\nx\n\n",
            "é\nü\n—",
        ] {
            let ours: Vec<&str> = lines_inclusive(text).collect();
            let std: Vec<&str> = text.split_inclusive('\n').collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }

    #[test]
    fn line_col_counts_from_one_and_in_chars() {
        let text = "ab\r\nçd\nx";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(idx.line_col(text, 4), LineCol { line: 2, column: 1 });
        // 'd' is after the two-byte 'ç'
        assert_eq!(idx.line_col(text, 6), LineCol { line: 2, column: 2 });
        assert_eq!(idx.line_col(text, 8), LineCol { line: 3, column: 1 });
        assert_eq!(idx.line_range(text, 1), Some(0..2));
        assert_eq!(idx.line_range(text, 3), Some(8..9));
        assert_eq!(idx.line_range(text, 4), None);
    }

    /// Against a table of every line start, on texts of 0 to 200 lines (across checkpoints),
    /// with CRLF, empty lines, multibyte characters and no final newline, at every offset.
    #[test]
    fn sparse_index_agrees_with_every_line_start() {
        let pieces = ["", "a", "\r", "çé", "x\ty", "🦀", "long line of text"];
        for lines in [0usize, 1, 2, 31, 32, 33, 63, 64, 65, 200] {
            for (i, piece) in pieces.iter().enumerate() {
                let mut text = String::new();
                for l in 0..lines {
                    text.push_str(pieces[(i + l) % pieces.len()]);
                    text.push_str(piece);
                    text.push('\n');
                }
                if i % 2 == 0 {
                    text.push_str("tail");
                }
                let idx = LineIndex::new(&text);
                let starts: Vec<usize> = std::iter::once(0)
                    .chain(text.match_indices('\n').map(|(p, _)| p + 1))
                    .collect();
                assert_eq!(idx.line_count(), starts.len());
                for offset in 0..=text.len() + 2 {
                    let o = offset.min(text.len());
                    let line = starts.partition_point(|&s| s <= o);
                    let col = text
                        .get(starts[line - 1]..o)
                        .map_or(o - starts[line - 1], |s| s.chars().count())
                        + 1;
                    assert_eq!(
                        idx.line_col(&text, offset),
                        LineCol { line, column: col },
                        "{lines} lines, piece {i}, offset {offset}"
                    );
                }
                for (n, &s) in starts.iter().enumerate() {
                    assert_eq!(idx.line_start(&text, n + 1), Some(s));
                    let end = starts.get(n + 1).map_or(text.len(), |next| next - 1);
                    let end = if end > s && text.as_bytes()[end - 1] == b'\r' {
                        end - 1
                    } else {
                        end
                    };
                    assert_eq!(idx.line_range(&text, n + 1), Some(s..end));
                }
                assert_eq!(idx.line_start(&text, 0), None);
                assert_eq!(idx.line_start(&text, starts.len() + 1), None);
            }
        }
    }

    /// Lines longer than the long-line step (a minified lockfile), with multibyte characters
    /// across the step boundaries, mixed with short lines: every offset against a plain count.
    #[test]
    fn long_lines_agree_at_every_offset() {
        let long_ascii = "z".repeat(9_000);
        let long_multi = "🦀é".repeat(1_500);
        let text = format!("{long_multi}\nshort\r\n{long_ascii}\n\n{long_multi}x{long_ascii}");
        let idx = LineIndex::new(&text);
        assert!(!idx.long.is_empty());
        let (mut line, mut column) = (1, 1);
        for (offset, c) in text.char_indices() {
            assert_eq!(
                idx.line_col(&text, offset),
                LineCol { line, column },
                "offset {offset}"
            );
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        assert_eq!(idx.line_col(&text, text.len()), LineCol { line, column });
    }

    #[test]
    fn newlines_are_counted_as_a_plain_count_does() {
        for len in [0usize, 1, 127, 128, 129, 255, 256, 257, 1000] {
            for every in [1usize, 2, 7, 300] {
                let text: Vec<u8> = (0..len)
                    .map(|i| if i % every == 0 { b'\n' } else { b'x' })
                    .collect();
                let plain = text.iter().filter(|&&c| c == b'\n').count();
                assert_eq!(newlines(&text), plain, "{len} bytes, every {every}");
            }
        }
    }

    /// The block-wise build keeps exactly what a walk over every newline keeps: texts of short
    /// lines, long ones and lines around the long-line limit, across block boundaries.
    #[test]
    fn the_index_is_what_every_newline_gives() {
        fn every_newline(text: &str) -> LineIndex {
            let (mut checkpoints, mut long) = (vec![0], Vec::new());
            let (mut lines, mut line_start) = (1, 0);
            let ends = memchr_newlines(text.as_bytes()).chain(std::iter::once(text.len()));
            for end in ends {
                if end - line_start > LineIndex::LONG {
                    LineIndex::long_line(text, line_start..end, lines, &mut long);
                }
                if end == text.len() {
                    break;
                }
                if lines % LineIndex::STEP == 0 {
                    checkpoints.push(end + 1);
                }
                lines += 1;
                line_start = end + 1;
            }
            LineIndex {
                checkpoints,
                lines,
                long,
            }
        }
        let lengths = [0usize, 1, 7, 255, 256, 257, 4095, 4096, 4097, 5000, 9000];
        let mut texts = vec![String::new(), "\n".repeat(1000)];
        for (i, &a) in lengths.iter().enumerate() {
            for &b in &lengths[i..] {
                let mut text = String::new();
                for n in 0..70 {
                    text.push_str(&"x".repeat(if n % 3 == 0 { a } else { b % 300 }));
                    text.push_str(if n % 5 == 0 { "é\r\n" } else { "\n" });
                }
                text.push_str(&"y".repeat(b));
                texts.push(text);
            }
        }
        for text in &texts {
            let (ours, theirs) = (LineIndex::new(text), every_newline(text));
            assert_eq!(ours.checkpoints, theirs.checkpoints, "{} bytes", text.len());
            assert_eq!(ours.lines, theirs.lines);
            assert_eq!(ours.long, theirs.long);
        }
    }

    #[test]
    fn char_to_byte_handles_multibyte_text() {
        let text: String = "é".repeat(200) + "x";
        let map = CharToByte::new(&text);
        assert_eq!(map.byte(0), 0);
        assert_eq!(map.byte(130), 260);
        assert_eq!(map.byte(200), 400);
        assert_eq!(map.byte(500), text.len());
    }
}

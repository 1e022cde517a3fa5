//! Byte offsets to 1-based line and column, computed in one place for every file kind.

/// A 1-based line and 1-based column (counted in Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// Start offsets of every line of a text, for offset → line/column lookups. Stored as `u32`
/// (half the memory on a large lockfile) unless the text is over 4 GiB.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Starts,
}

#[derive(Debug, Clone)]
enum Starts {
    Small(Vec<u32>),
    Large(Vec<usize>),
}

impl Starts {
    fn len(&self) -> usize {
        match self {
            Starts::Small(v) => v.len(),
            Starts::Large(v) => v.len(),
        }
    }

    fn get(&self, i: usize) -> Option<usize> {
        match self {
            Starts::Small(v) => v.get(i).map(|&s| s as usize),
            Starts::Large(v) => v.get(i).copied(),
        }
    }

    /// Number of line starts `<= offset`.
    fn count_le(&self, offset: usize) -> usize {
        match self {
            Starts::Small(v) => v.partition_point(|&s| s as usize <= offset),
            Starts::Large(v) => v.partition_point(|&s| s <= offset),
        }
    }
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let newlines = memchr_newlines(text.as_bytes()).map(|i| i + 1);
        let starts = match u32::try_from(text.len()) {
            Ok(_) => {
                let mut v: Vec<u32> = std::iter::once(0)
                    .chain(newlines.map(|i| i as u32))
                    .collect();
                v.shrink_to_fit();
                Starts::Small(v)
            }
            Err(_) => Starts::Large(std::iter::once(0).chain(newlines).collect()),
        };
        Self { starts }
    }

    /// Line and column of a byte offset. Offsets past the end clamp to the end; offsets inside
    /// a UTF-8 sequence count the partial character.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let line = self.starts.count_le(offset).max(1);
        let start = self.starts.get(line - 1).unwrap_or(0);
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        LineCol { line, column }
    }

    /// Byte offset where 1-based `line` starts, if the text has that line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        line.checked_sub(1).and_then(|i| self.starts.get(i))
    }

    /// Byte range of 1-based `line` without its line terminator.
    pub fn line_range(&self, text: &str, line: usize) -> Option<std::ops::Range<usize>> {
        let start = self.line_start(line)?;
        let end = self.starts.get(line).map_or(text.len(), |next| next - 1);
        let end = if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') {
            end - 1
        } else {
            end
        };
        Some(start..end.max(start))
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter_map(|(i, &b)| (b == b'\n').then_some(i))
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

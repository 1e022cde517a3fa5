//! One file of the project: read within the size limit, parsed on first use.

use std::any::Any;
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::error::ParseError;
use crate::span::LineIndex;

use super::FileKind;

/// A file's text, shared by the models parsed from it without a copy.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SharedText(Arc<String>);

impl SharedText {
    pub fn new(text: String) -> Self {
        SharedText(Arc::new(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `text` is this text itself (the same bytes in memory, not only equal ones).
    pub fn is(&self, text: &str) -> bool {
        std::ptr::eq(self.0.as_str(), text)
    }
}

impl std::ops::Deref for SharedText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// Its length only: a model's debug output does not repeat the file.
impl std::fmt::Debug for SharedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SharedText({} bytes)", self.0.len())
    }
}

/// One file of the project, read and parsed on first use.
pub struct SourceFile {
    /// The path as the user sees it (the scanned root joined with `rel`).
    pub path: PathBuf,
    /// Relative to the project root, `/`-separated.
    pub rel: String,
    pub kind: FileKind,
    overlay: Option<String>,
    max_size: u64,
    text: OnceLock<Result<SharedText, ParseError>>,
    lines: OnceLock<LineIndex>,
    parsed: OnceLock<Box<dyn Any + Send + Sync>>,
    failed: OnceLock<ParseError>,
    /// A plugin read this file (its text or its parse): its errors are findings. A file only
    /// [`prefetch`]ed is parsed, and its errors are not reported.
    used: AtomicBool,
}

thread_local! {
    static PREFETCHING: Cell<bool> = const { Cell::new(false) };
}

/// Run `read` (which reads and parses files) ahead of the plugins: the files it reads are not
/// marked as read, so that a file no plugin asks for is not reported as malformed because the
/// engine parsed it early (a stale lockfile that no install reads).
pub fn prefetch<R>(read: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            PREFETCHING.set(self.0);
        }
    }
    let _restore = Restore(PREFETCHING.replace(true));
    read()
}

impl std::fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceFile")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl SourceFile {
    pub(super) fn new(
        path: PathBuf,
        rel: String,
        kind: FileKind,
        max_size: u64,
        overlay: Option<String>,
    ) -> Self {
        Self {
            path,
            rel,
            kind,
            overlay,
            max_size,
            text: OnceLock::new(),
            lines: OnceLock::new(),
            parsed: OnceLock::new(),
            failed: OnceLock::new(),
            used: AtomicBool::new(false),
        }
    }

    /// A file with the given text, not read from disk (tests, fixes in progress).
    pub fn in_memory(path: impl Into<PathBuf>, kind: FileKind, text: impl Into<String>) -> Self {
        let path = path.into();
        let rel = path.to_string_lossy().replace('\\', "/");
        Self::new(path, rel, kind, u64::MAX, Some(text.into()))
    }

    /// The file's text. Unreadable, oversized or non-UTF-8 files are an error naming the file.
    pub fn text(&self) -> Result<&str, &ParseError> {
        self.mark_used();
        self.text
            .get_or_init(|| match &self.overlay {
                Some(text) => Ok(SharedText::new(text.clone())),
                None => read_text(&self.path, self.max_size).map(SharedText::new),
            })
            .as_ref()
            .map(SharedText::as_str)
    }

    /// `text` shared: the file's own text when `text` is it (the text [`Self::parsed`] hands a
    /// parser), without a copy; a copy of `text` otherwise. A model parsed from the file keeps
    /// it to keep spans into it instead of copies of its strings.
    pub fn share(&self, text: &str) -> SharedText {
        match self.text.get() {
            Some(Ok(own)) if own.is(text) => own.clone(),
            _ => SharedText::new(text.to_string()),
        }
    }

    pub fn lines(&self) -> &LineIndex {
        self.lines
            .get_or_init(|| LineIndex::new(self.text().unwrap_or_default()))
    }

    /// The file parsed by `parse`, computed once and shared. The first caller's parser wins:
    /// every file kind has exactly one parser, owned by the crate that models that kind.
    /// Returns `None` when reading or parsing failed; the error is kept for [`Self::error`].
    pub fn parsed<T: Send + Sync + 'static>(
        &self,
        parse: impl FnOnce(&SourceFile, &str) -> Result<T, ParseError>,
    ) -> Option<&T> {
        self.mark_used();
        let slot = self.parsed.get_or_init(|| {
            let result = match self.text() {
                Ok(text) => parse(self, text),
                Err(e) => Err(e.clone()),
            };
            if let Err(e) = &result {
                let _ = self.failed.set(e.clone());
            }
            Box::new(result)
        });
        slot.downcast_ref::<Result<T, ParseError>>()?.as_ref().ok()
    }

    fn mark_used(&self) {
        if !PREFETCHING.get() {
            self.used.store(true, Ordering::Relaxed);
        }
    }

    /// Why reading or parsing this file failed, when a plugin read it (not only
    /// [`prefetch`]) and it failed: the error is a finding.
    pub fn reported_error(&self) -> Option<&ParseError> {
        if self.used.load(Ordering::Relaxed) {
            self.error()
        } else {
            None
        }
    }

    /// Why reading or parsing this file failed, if it was attempted and failed.
    pub fn error(&self) -> Option<&ParseError> {
        self.failed
            .get()
            .or_else(|| self.text.get()?.as_ref().err())
    }

    /// A parse error at `span` of this file.
    pub fn parse_error(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> ParseError {
        ParseError::new(&self.path, span, message)
    }
}

pub(super) fn read_text(path: &Path, max_size: u64) -> Result<String, ParseError> {
    let err = |m: String| ParseError::new(path, 0..0, m);
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(err("not a regular file".into()));
    }
    if meta.len() > max_size {
        return Err(err(format!(
            "file is {} bytes, over the limit of {} bytes (raise `max-file-size` in chainward.toml to read it)",
            meta.len(),
            max_size
        )));
    }
    let bytes =
        read_bounded(path, meta.len(), max_size).map_err(|e| err(format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        ParseError::new(
            path,
            at..at,
            format!("not valid UTF-8 (invalid byte at offset {at})"),
        )
    })
}

/// The bytes of the regular file at `path`, which was `expected` bytes long, never more than
/// `max_size` even if it grew since (an error then). Every read of a file chainward was given
/// goes through here: the project's files and the files commands read. (Reading the halves of a
/// big file on two cores was tried: 1 ms slower on a 3 MB lockfile.)
pub(crate) fn read_bounded(path: &Path, expected: u64, max_size: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0).saturating_add(1));
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_size {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("grew past the limit of {max_size} bytes while it was read"),
        ));
    }
    Ok(bytes)
}

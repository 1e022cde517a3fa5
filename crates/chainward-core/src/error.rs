//! Errors that stop a run (exit code 2) and parse errors that become findings.

use std::fmt;
use std::path::{Path, PathBuf};

/// A file could not be parsed. Becomes a `chainward/parse-error` finding, or exit code 2 where
/// the file is needed to continue (config, a fix target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub path: PathBuf,
    /// Byte span of the offending text (empty when unknown).
    pub span: std::ops::Range<usize>,
    pub message: String,
    /// A well-formed file in a format chainward does not read (a pnpm lockfile v5): not the
    /// author's error, so reported at `warning`, as unchecked.
    pub unsupported: bool,
}

impl ParseError {
    pub fn new(path: &Path, span: std::ops::Range<usize>, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            span,
            message: message.into(),
            unsupported: false,
        }
    }

    /// A well-formed file in a format chainward does not read.
    pub fn unsupported(mut self) -> Self {
        self.unsupported = true;
        self
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// Errors that end a run with exit code 2. Every variant names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Config {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}{}: {message}", path.display(), location.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Parse {
        path: PathBuf,
        location: Option<(usize, usize)>,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    Fix { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

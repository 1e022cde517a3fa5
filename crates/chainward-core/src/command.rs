//! A plugin's own commands (`chainward sbom`, `chainward provenance verify`, `chainward
//! allow-script`): the plugin declares them as clap commands, the binary mounts them, and
//! running one returns an [`Output`]; the binary prints it, writes its files and exits with its
//! code. Plugins never print or write themselves.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::Error;
use crate::escape::Mode;

/// Where a plugin's command is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mount {
    /// A top-level command: `chainward sbom`.
    Top,
    /// A verb of the plugin's own subcommand: `chainward provenance verify`.
    Plugin,
    /// A flag of the plugin's own subcommand that works on the project `check` would discover,
    /// with `check`'s arguments (paths, `--config`, `--online`, `--format`):
    /// `chainward install-scripts --list`. The command's name is the flag's; its `about`, the
    /// flag's help.
    Project,
}

/// What the binary lends a command: the checks of the engine the plugin cannot call itself.
pub struct Context<'a> {
    /// Every built-in plugin id (config sections).
    pub plugin_ids: &'a [&'static str],
    /// Validates a config as `check` would: rule names and every plugin's section.
    pub validate_config: &'a (dyn Fn(&Config) -> Result<(), Error> + Sync),
    /// For a [`Mount::Project`] command: the project, discovered as `check` discovers it.
    pub project: Option<&'a crate::project::Project>,
    /// For a [`Mount::Project`] command: the plugin's section of the config (already
    /// validated).
    pub section: Option<&'a crate::config::PluginConfig>,
    /// `--format json` was asked for.
    pub json: bool,
    /// Every registered rule, for reports that describe them (SARIF).
    pub rules: &'a [&'static crate::rule::Rule],
    /// chainward's version, for reports that name the tool.
    pub tool_version: &'static str,
    /// The files the user named on the command line (SBOMs, bundles, keys, configs): plugins
    /// read them through this, never from the file system themselves.
    pub files: &'a dyn Files,
    /// The one door to the network for a command that downloads what the user asked for
    /// (`chainward advisories update`); `allow_http` says whether plain http may be asked.
    pub download: &'a dyn Fn(bool) -> Box<dyn crate::online::Download>,
    /// The cache folder (`$CHAINWARD_CACHE_DIR`, else `$XDG_CACHE_HOME/chainward`, else
    /// `~/.cache/chainward`), if there is one.
    pub cache_dir: Option<&'a Path>,
    /// The advisory database at the path given, else the cached one (`None`: there is none),
    /// loaded and indexed by the runner.
    #[allow(clippy::type_complexity)]
    pub advisories:
        &'a dyn Fn(
            Option<&Path>,
        )
            -> Result<Option<std::sync::Arc<dyn crate::advisory::Advisories>>, Error>,
}

/// The file system as a command sees it. The binary lends [`Disk`]; a test may lend another.
pub trait Files: Sync {
    /// The text of `path`: a regular file within the size limit, UTF-8; errors name the file.
    fn read_text(&self, path: &Path) -> Result<String, Error>;
    /// `path` as a stream, whatever its size (an artifact to hash); errors name the file.
    fn open(&self, path: &Path) -> Result<Box<dyn Read + Send + '_>, Error>;
    /// The paths in the folder `dir`, sorted; none when it cannot be listed.
    fn list(&self, dir: &Path) -> Vec<PathBuf>;
    /// Whether `path` is itself a symbolic link.
    fn is_link(&self, path: &Path) -> bool;
    /// Whether `path` is a regular file (through links).
    fn is_file(&self, path: &Path) -> bool;
}

/// The real file system with the default size limit, as a constant (`&DISK` is `'static`).
pub const DISK: Disk = Disk {
    max_file_size: crate::project::DEFAULT_MAX_FILE_SIZE,
};

/// The real file system, with the same size limit as the files `check` reads.
#[derive(Debug, Clone, Copy)]
pub struct Disk {
    pub max_file_size: u64,
}

impl Default for Disk {
    fn default() -> Self {
        Self {
            max_file_size: crate::project::DEFAULT_MAX_FILE_SIZE,
        }
    }
}

impl Files for Disk {
    fn read_text(&self, path: &Path) -> Result<String, Error> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if !meta.is_file() {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
            ));
        }
        if meta.len() > self.max_file_size {
            return Err(Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "{} bytes, over the limit of {} bytes",
                        meta.len(),
                        self.max_file_size
                    ),
                ),
            ));
        }
        // Read no more than the limit even if the file grew since.
        let bytes = crate::project::source::read_bounded(path, meta.len(), self.max_file_size)
            .map_err(|e| Error::io(path, e))?;
        String::from_utf8(bytes).map_err(|e| {
            Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("not UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
                ),
            )
        })
    }

    fn open(&self, path: &Path) -> Result<Box<dyn Read + Send + '_>, Error> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(Box::new(file))
    }

    fn list(&self, dir: &Path) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        out.sort();
        out
    }

    fn is_link(&self, path: &Path) -> bool {
        std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink())
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
}

/// A file a command asks to have written, atomically.
#[derive(Debug, Clone)]
pub struct FileWrite {
    pub path: PathBuf,
    pub text: String,
    /// What the command read there: the file is not overwritten if it changed since.
    pub original: Option<String>,
    /// Through a link only to a file inside this folder (files of the scanned project).
    pub within: Option<PathBuf>,
}

/// What a command produced.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// Printed on standard output.
    pub stdout: String,
    /// How the binary makes `stdout` safe (it quotes the tree); `None` when the command
    /// escaped it already (rendered findings).
    pub stdout_mode: Option<Mode>,
    /// Files to write; all or nothing.
    pub writes: Vec<FileWrite>,
    /// Lines for standard error, printed once the writes succeeded.
    pub messages: Vec<String>,
    /// The exit code: 0 success, 1 findings or a failed verification.
    pub exit: u8,
}

impl Output {
    /// `text` on standard output, escaped as `mode` says, exit code 0.
    pub fn text(text: String, mode: Mode) -> Self {
        Self {
            stdout: text,
            stdout_mode: Some(mode),
            ..Self::default()
        }
    }

    pub fn with_exit(mut self, exit: u8) -> Self {
        self.exit = exit;
        self
    }
}

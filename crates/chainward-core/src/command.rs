//! A plugin's own commands (`chainward sbom`, `chainward provenance verify`, `chainward
//! allow-script`): the plugin declares them as clap commands, the binary mounts them, and
//! running one returns an [`Output`]; the binary prints it, writes its files and exits with its
//! code. Plugins never print or write themselves.

use std::path::PathBuf;

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

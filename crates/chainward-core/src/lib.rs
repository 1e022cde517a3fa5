//! The engine every chainward plugin shares: the project model, rules, findings, fixes and config.
//!
//! A run is: [`project::Project::discover`] walks the tree once, plugins read the lazily parsed
//! files and return [`finding::Finding`]s, [`filter`] applies config and suppressions, and
//! [`fix`] applies the collected edits atomically.

pub mod advisory;
pub mod command;
pub mod config;
pub mod digest;
pub mod dockerfile;
pub mod error;
pub mod escape;
pub mod filter;
pub mod finding;
pub mod fix;
pub mod git;
mod git_index;
pub mod insert;
pub mod json;
pub mod links;
pub mod mcp;
pub mod online;
pub mod packument;
pub mod project;
pub mod rule;
pub mod severity;
pub mod shell;
pub mod span;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod toml;
pub mod workflow;
pub mod yaml;

pub use config::Config;
pub use error::{Error, ParseError};
pub use finding::{Finding, Location};
pub use fix::{Applicability, Edit, Fix};
pub use project::{FileKind, Project, SharedText, SourceFile};
pub use rule::{Check, Coverage, Fixability, Plugin, Rule};
pub use severity::Severity;

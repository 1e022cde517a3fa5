//! The Python side of the project model: `pyproject.toml` (PEP 621 metadata, PEP 735 dependency
//! groups, `[tool.uv]`), `uv.lock` and `requirements*.txt`, each parsed once through
//! [`chainward_core::SourceFile::parsed`], with the spans findings and fixes point at.
//!
//! Requirements are PEP 508 strings ([`pep508`]); names are compared in their PEP 503 normal
//! form, and the lockfile comparison follows uv's own (see [`sync`]).

pub mod pep508;
pub mod poetry;
pub mod pylock;
pub mod pyproject;
pub mod requirements;
pub mod sync;
pub mod uvlock;

pub use pep508::{Requirement, normalize_name};
pub use poetry::{PoetryLock, poetry_lock};
pub use pylock::{PyLock, pylock};
pub use pyproject::{PyProject, pyproject};
pub use requirements::{RequirementsFile, requirements_file};
pub use uvlock::{UvLock, uv_lock};

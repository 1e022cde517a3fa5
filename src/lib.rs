//! The chainward dispatcher as a library: the plugin registry (shared with `cargo xtask docs`)
//! and the `check`/`fix` run. The binary in `main.rs` is a thin CLI over it.

pub mod allow_script;
pub mod baseline;
pub mod cli;
pub mod external;
pub mod provenance_cmd;
pub mod registry;
pub mod run;
pub mod sbom;

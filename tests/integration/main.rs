//! The one integration-test binary: runs the real `chainward` executable on fixture trees,
//! hermetically (scrubbed environment, copies in temporary folders, no network), and snapshots
//! what a user sees.

mod action;
mod advisories;
mod attest;
mod bad_input;
mod commands;
mod common;
mod crash_safety;
mod dep_trust;
mod dist;
mod fixes;
mod formats;
mod install_scripts;
mod mcp;
mod npm_ci;
mod npm_oracle;
mod pin_check;
mod pm_oracle;
mod pre_commit;
mod properties;
mod provenance;
mod provenance_pki;
mod real_world;
mod sbom;
mod security;
mod semver;
mod uv_oracle;

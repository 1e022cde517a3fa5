//! The npm side of the project model: package.json with spans, specifier classification, and
//! npm lockfiles (package-lock.json v1/v2/v3, npm-shrinkwrap.json) with Node's module
//! resolution. Each file is parsed once, through [`chainward_core::SourceFile::parsed`].

pub mod json_helpers;
pub mod lockfile;
pub mod manifest;
pub mod npmrc;
pub mod spec;

pub use lockfile::{LockPackage, NpmLockfile, npm_lockfile};
pub use manifest::{DepEntry, PackageJson, Section, package_json};
pub use spec::{Spec, classify};

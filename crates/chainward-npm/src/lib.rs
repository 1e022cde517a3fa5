//! The npm side of the project model: package.json with spans, specifier classification, and
//! every lockfile format read into one model: npm (package-lock.json v1/v2/v3,
//! npm-shrinkwrap.json, with Node's module resolution), pnpm-lock.yaml (6.x, 9.0), yarn.lock
//! (classic and berry) and bun.lock. Each file is parsed once, through
//! [`chainward_core::SourceFile::parsed`].

pub mod bins;
pub mod bun;
pub mod json_helpers;
pub mod lockfile;
pub mod manifest;
pub mod npm;
mod npm_split;
pub mod npmrc;
pub mod osv;
pub mod pm;
pub mod pnpm;
pub mod query;
pub mod spec;
pub mod workspaces;
pub mod yarn;

pub use lockfile::{AnyLock, LockFormat, Lockfile, Package, PackageView, any_lockfile};
pub use manifest::{DepEntry, PackageJson, Section, package_json};
pub use npm::{DepMap, LockPackage, NpmLockfile, OptionalPeers, Resolver, npm_lockfile};
pub use spec::{Spec, classify};

/// The hash map of the lockfile models' hot lookups: foldhash (seeded at random per process),
/// several times faster than SipHash on the short keys lockfiles have.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// The set of the lockfile models' hot lookups (see [`FastMap`]).
pub type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

//! The one door to the network. Plugins never open connections: with `--online`, the runner
//! puts a [`Registry`] client on the project (an HTTP client with an on-disk response cache,
//! in the `chainward-online` crate), and plugins ask it for what the lockfile does not record.
//! Without `--online` there is no client and nothing leaves the machine.

use std::sync::Arc;

/// Read access to an npm registry.
pub trait Registry: Send + Sync {
    /// The registry's document for one published version (`GET <registry>/<name>/<version>`):
    /// `Ok(None)` when the registry has no such version, `Err` with a message when it could not
    /// be asked (network, HTTP error, a body that is not JSON).
    fn version(&self, name: &str, version: &str) -> Result<Option<Arc<serde_json::Value>>, String>;
}

/// Where GitHub Actions' references are resolved, with `--online` only (for `fix` to pin a
/// tag to the commit it names now).
pub trait Forge: Send + Sync {
    /// The full commit SHA that `reference` (a tag, a branch or a short SHA) of the repository
    /// `owner/repo` points to now: `Ok(None)` when the repository has no such reference, `Err`
    /// with a message when it could not be asked.
    fn commit(&self, owner_repo: &str, reference: &str) -> Result<Option<String>, String>;
}

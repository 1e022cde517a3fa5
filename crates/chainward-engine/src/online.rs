//! `--online`: the one registry client, for a registry the user chose.

use std::path::PathBuf;

use chainward_core::config::Config;
use chainward_core::{Error, Project};

/// What the command line says about the registry.
#[derive(Debug, Default, Clone)]
pub struct Choice {
    /// `--registry URL`.
    pub registry: Option<String>,
    /// `--allow-http-registry`.
    pub allow_http: bool,
    /// `--cache-dir DIR` (else the user's cache folder).
    pub cache_dir: Option<PathBuf>,
}

use chainward_core::online::registry_host;

/// `[npm-ci] allowed-hosts`, the list the lockfile host rule uses (npm's and yarn's registries
/// by default).
fn allowed_registry_hosts(config: &Config) -> Vec<String> {
    config
        .plugin("npm-ci")
        .get_string_list("allowed-hosts")
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            npm_ci::DEFAULT_HOSTS
                .iter()
                .map(|h| h.to_string())
                .collect()
        })
}

/// `--online`: the one registry client, for the registry the user chose: `--registry`, else
/// the project's .npmrc `registry` when it is https on a host of `[npm-ci] allowed-hosts` (a
/// stranger's pull request must not make chainward send the project's package names
/// elsewhere), else npm's. Plain http only with `--allow-http-registry`.
pub fn client(
    args: &Choice,
    project: &Project,
    config: &Config,
) -> Result<chainward_online::RegistryClient, Error> {
    let from_npmrc = || -> Option<(String, PathBuf)> {
        let path = chainward_core::project::join(&project.root, ".npmrc");
        let file = project.file_at(&path)?;
        let url = chainward_npm::npmrc::npmrc(&file)?
            .get("registry")?
            .value
            .trim()
            .to_string();
        // `${NPM_REGISTRY}`-style values need the environment npm would expand them in.
        (!url.contains("${")).then_some((url, path))
    };
    let registry = match (&args.registry, from_npmrc()) {
        (Some(url), _) => url.clone(),
        (None, Some((url, npmrc))) => {
            let host = registry_host(&url);
            let allowed = allowed_registry_hosts(config);
            let is_default = url.trim_end_matches('/')
                == chainward_online::DEFAULT_REGISTRY.trim_end_matches('/');
            if !is_default
                && !host
                    .as_deref()
                    .is_some_and(|h| allowed.iter().any(|a| a == h))
            {
                return Err(Error::Usage(format!(
                    "--online: {} names the registry `{url}`, whose host is not in `[npm-ci] allowed-hosts` ({}); chainward asks only registries you chose: add the host there, or pass --registry",
                    npmrc.display(),
                    allowed.join(", ")
                )));
            }
            url
        }
        (None, None) => chainward_online::DEFAULT_REGISTRY.to_string(),
    };
    if registry.starts_with("http://") && !args.allow_http {
        return Err(Error::Usage(format!(
            "--online: the registry `{registry}` is plain http, which anyone on the way can answer for; use https, or pass --allow-http-registry for a local mirror"
        )));
    }
    let cache = args
        .cache_dir
        .clone()
        .or_else(chainward_online::RegistryClient::default_cache_dir);
    chainward_online::RegistryClient::new(&registry, cache.as_deref())
        .map_err(|e| Error::Usage(format!("--online: {e}")))
}

//! The one door to the network. Plugins never open connections: with `--online`, the runner
//! puts a [`Registry`] client on the project (an HTTP client with an on-disk response cache,
//! in the `chainward-online` crate), and plugins ask it for what the lockfile does not record.
//! Without `--online` there is no client and nothing leaves the machine.

use std::sync::Arc;

/// The host of a registry or tarball URL (`https://npm.acme.dev:8443/path` → `npm.acme.dev`),
/// lower case.
pub fn registry_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Read access to an npm registry.
pub trait Registry: Send + Sync {
    /// The registry's document for one published version (`GET <registry>/<name>/<version>`):
    /// `Ok(None)` when the registry has no such version, `Err` with a message when it could not
    /// be asked (network, HTTP error, a body that is not JSON).
    fn version(&self, name: &str, version: &str) -> Result<Option<Arc<serde_json::Value>>, String>;

    /// What the registry's full document says of every version of `name` (publish times,
    /// publishers, signatures, attestations), kept on disk: revalidated with the registry when
    /// the client may ask the network, else read from the cache alone.
    fn packument(&self, name: &str) -> Metadata;

    /// Ask for `names`' documents ahead, several at a time (a client without the network does
    /// nothing).
    fn prefetch(&self, _names: &[&str]) {}

    /// Whether this client asks the network (`--online`), or reads its cache alone.
    fn is_online(&self) -> bool;

    /// Whether anything was ever cached for this registry (a client that reads its cache
    /// alone and has none can answer nothing).
    fn has_cache(&self) -> bool {
        true
    }

    /// The registry's base URL (`https://registry.npmjs.org/`).
    fn url(&self) -> &str;

    /// The attestations the registry keeps for one published version (`GET
    /// <registry>/-/npm/v1/attestations/<name>@<version>`: npm's publish attestation and the
    /// SLSA provenance, as Sigstore bundles). A version's attestations never change: once
    /// fetched they are read from the disk cache, online or not.
    fn attestations(&self, _name: &str, _version: &str) -> Attestations {
        Attestations::NotCached
    }

    /// Ask for these versions' attestations ahead, several at a time (a client without the
    /// network does nothing).
    fn prefetch_attestations(&self, _versions: &[(&str, &str)]) {}
}

/// A download the user asked for by name (`chainward advisories update`): one URL to one file,
/// lent to a plugin's command by the runner. Plugins never open connections themselves.
pub trait Download: Send + Sync {
    /// GET `url` into the file `to` (streamed to a temporary file beside it, then renamed into
    /// place: never a partial file), at most `max_bytes`. With `etag`, an answer of 304 leaves
    /// the file as it is.
    fn download(
        &self,
        url: &str,
        to: &std::path::Path,
        etag: Option<&str>,
        max_bytes: u64,
    ) -> Result<Downloaded, String>;
}

/// What a download did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Downloaded {
    /// The file was written: its size, and the ETag the server gave.
    Fresh { bytes: u64, etag: Option<String> },
    /// The server answered 304 Not Modified: the file was left as it was.
    NotModified,
}

/// A version's attestations, or why there are none.
#[derive(Debug, Clone)]
pub enum Attestations {
    /// The registry's answer: `{"attestations": [{"predicateType", "bundle"}, …]}`.
    Found(Arc<str>),
    /// The registry has none for this version (404).
    Missing,
    /// Offline, and never fetched.
    NotCached,
    /// The registry could not be asked: why.
    Failed(String),
}

/// A package's metadata, or why there is none.
#[derive(Debug, Clone)]
pub enum Metadata {
    /// The document, and when it was fetched (milliseconds since the epoch).
    Found {
        packument: Arc<crate::packument::Packument>,
        fetched_at: i64,
    },
    /// The registry has no such package.
    NoSuchPackage,
    /// Offline, and never fetched.
    NotCached,
    /// The registry could not be asked (and nothing was cached): why.
    Failed(String),
}

/// Where GitHub Actions' references are resolved, with `--online` only (for `fix` to pin a
/// tag to the commit it names now).
pub trait Forge: Send + Sync {
    /// The full commit SHA that `reference` (a tag, a branch or a short SHA) of the repository
    /// `owner/repo` points to now: `Ok(None)` when the repository has no such reference, `Err`
    /// with a message when it could not be asked.
    fn commit(&self, owner_repo: &str, reference: &str) -> Result<Option<String>, String>;
}

/// Where container images are resolved, with `fix --online` only (to pin a tag to the image it
/// names now).
pub trait Images: Send + Sync {
    /// The digest (`sha256:<64 hex>`) of the manifest (for a multi-platform image, the index)
    /// that `image`'s tag names now: `Ok(None)` when the registry has no such image or tag,
    /// `Err` with a message when it could not be asked (including a registry chainward was not
    /// told it may ask).
    fn digest(&self, image: &ImageRef) -> Result<Option<String>, String>;
}

/// A container image reference without a digest, normalised as Docker does: `node:22` is
/// `docker.io/library/node:22`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// `docker.io`, `ghcr.io`, `registry.example.com:5000`, lowercase.
    pub registry: String,
    /// `library/node`, `owner/image`.
    pub repository: String,
    /// `22-alpine`; `latest` when the reference names none.
    pub tag: String,
}

impl ImageRef {
    /// Parse `[registry[:port]/]path[:tag]` (Docker's grammar: lowercase path components
    /// separated by `.`, `_`, `__` or dashes; a tag of at most 128 word characters, dots and
    /// dashes). `None` for a reference with a digest, a variable or anything outside the
    /// grammar: such text never reaches a URL.
    pub fn parse(reference: &str) -> Option<ImageRef> {
        if reference.len() > 255 || reference.contains('@') {
            return None;
        }
        let (registry, rest) = match reference.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_ascii_lowercase(), rest)
            }
            _ => ("docker.io".to_string(), reference),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
            _ => registry,
        };
        let host_ok = registry
            .split_once(':')
            .map_or(registry.as_str(), |(h, _)| h);
        let port_ok = registry.split_once(':').is_none_or(|(_, p)| {
            !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
        });
        if host_ok.is_empty()
            || !port_ok
            || !host_ok
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            || host_ok.starts_with(['.', '-'])
        {
            return None;
        }
        let last = rest.rsplit('/').next().unwrap_or(rest);
        let (path, tag) = match last.split_once(':') {
            Some((_, tag)) => (&rest[..rest.len() - tag.len() - 1], tag),
            None => (rest, "latest"),
        };
        let tag_ok = !tag.is_empty()
            && tag.len() <= 128
            && !tag.starts_with(['.', '-'])
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !tag_ok || path.is_empty() || !path.split('/').all(path_component_ok) {
            return None;
        }
        let repository = if registry == "docker.io" && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_string()
        };
        Some(ImageRef {
            registry,
            repository,
            tag: tag.to_string(),
        })
    }
}

/// `[a-z0-9]+` runs joined by one `.`, one `_`, two `_` or any number of `-`.
fn path_component_ok(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    if !b
        .iter()
        .all(|&x| x.is_ascii_lowercase() || x.is_ascii_digit() || b"._-".contains(&x))
    {
        return false;
    }
    // Separators: `.`, `_`, `__`, or dashes only.
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let sep = &c[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-')) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::ImageRef;

    fn parts(r: &str) -> Option<(String, String, String)> {
        ImageRef::parse(r).map(|i| (i.registry, i.repository, i.tag))
    }

    #[test]
    fn image_references_normalise_as_docker_does() {
        for (reference, registry, repository, tag) in [
            ("node:22-alpine", "docker.io", "library/node", "22-alpine"),
            ("node", "docker.io", "library/node", "latest"),
            ("bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2"),
            ("docker.io/node:22", "docker.io", "library/node", "22"),
            (
                "index.docker.io/library/node",
                "docker.io",
                "library/node",
                "latest",
            ),
            ("ghcr.io/owner/img:v1.2.3", "ghcr.io", "owner/img", "v1.2.3"),
            (
                "registry.example.com:5000/team/app_x:1",
                "registry.example.com:5000",
                "team/app_x",
                "1",
            ),
            ("localhost/app", "localhost", "app", "latest"),
            (
                "mcr.microsoft.com/devcontainers/typescript-node:1-22",
                "mcr.microsoft.com",
                "devcontainers/typescript-node",
                "1-22",
            ),
        ] {
            assert_eq!(
                parts(reference),
                Some((registry.into(), repository.into(), tag.into())),
                "{reference}"
            );
        }
        for bad in [
            "node@sha256:abc",
            "Node:22",
            "node:",
            "node:-x",
            "../../etc:1",
            "a/../b",
            "ghcr.io/owner//img",
            "host:port/x",
            "node:22 ",
            "$IMAGE",
            "x/y?z",
            "ghcr.io/o/i:t%2f",
            "a..b",
            "a___b",
            "",
        ] {
            assert_eq!(parts(bad), None, "{bad}");
        }
    }
}

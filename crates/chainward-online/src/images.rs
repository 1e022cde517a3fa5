//! Container registries (the OCI distribution API, v2), for the digest an image's tag names now
//! (`fix --online --unsafe-fixes`). Anonymous pulls only: no credential is ever sent.
//!
//! The scanned tree names the images, so it names the hosts: only registries on a list are
//! asked (the well-known public ones, and those the user adds with `--image-registry`), and the
//! token service a registry points to must be that registry's own host or the one its operator
//! documents (Docker Hub's `auth.docker.io`). Tags move: answers are kept for
//! [`crate::MOVING_TTL`] only.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chainward_core::escape::percent_encode;
use chainward_core::online::{ImageRef, Images};

/// The registries asked by default: image host → API base URL, and the token services they
/// document besides their own host.
const KNOWN: &[(&str, &str, &[&str])] = &[
    (
        "docker.io",
        "https://registry-1.docker.io",
        &["auth.docker.io"],
    ),
    ("ghcr.io", "https://ghcr.io", &[]),
    ("quay.io", "https://quay.io", &[]),
    ("gcr.io", "https://gcr.io", &[]),
    ("us.gcr.io", "https://us.gcr.io", &[]),
    ("eu.gcr.io", "https://eu.gcr.io", &[]),
    ("asia.gcr.io", "https://asia.gcr.io", &[]),
    ("mcr.microsoft.com", "https://mcr.microsoft.com", &[]),
    ("public.ecr.aws", "https://public.ecr.aws", &[]),
    (
        "registry.gitlab.com",
        "https://registry.gitlab.com",
        &["gitlab.com"],
    ),
];

/// What a manifest request accepts: a multi-platform index first (its digest is what
/// `docker buildx imagetools inspect` prints and what pins every platform), else one manifest.
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

type DigestAnswer = Result<Option<String>, String>;

struct Registry {
    /// `https://registry-1.docker.io`, no trailing slash.
    base: String,
    cache: crate::moving::MovingCache,
    /// Hosts (with port, if any) whose token service may be asked: the API's own host and the
    /// documented ones.
    token_hosts: Vec<String>,
    /// `https` for the token service, or `http` too when the registry itself is plain http
    /// (a loopback stand-in, allowed by `--allow-http-registry`).
    http_tokens: bool,
}

/// A client for the container registries chainward may ask.
pub struct ImageClient {
    agent: ureq::Agent,
    registries: HashMap<String, Registry>,
    memo: Mutex<HashMap<(String, String), DigestAnswer>>,
    /// Anonymous pull tokens by (registry, repository), for the run.
    tokens: Mutex<HashMap<(String, String), String>>,
    fetched: AtomicUsize,
}

impl ImageClient {
    /// The well-known public registries, plus `extra` (`HOST=URL`, `--image-registry`): an
    /// image on `HOST` is asked at `URL` (`https://`, or `http://` with `allow_http`).
    pub fn new(
        extra: &[String],
        allow_http: bool,
        cache_dir: Option<&std::path::Path>,
    ) -> Result<ImageClient, String> {
        let mut registries = HashMap::new();
        for (host, base, tokens) in KNOWN {
            registries.insert(
                (*host).to_string(),
                Registry {
                    base: (*base).to_string(),
                    cache: crate::moving::MovingCache::new(cache_dir, "images", base),
                    token_hosts: std::iter::once(authority(base).to_string())
                        .chain(tokens.iter().map(|t| (*t).to_string()))
                        .collect(),
                    http_tokens: false,
                },
            );
        }
        for entry in extra {
            let (host, url) = entry.split_once('=').ok_or_else(|| {
                format!("--image-registry `{entry}` is not HOST=URL (e.g. registry.example.com=https://registry.example.com)")
            })?;
            let probe = ImageRef::parse(&format!("{host}/x"))
                .filter(|r| r.registry == host.to_ascii_lowercase())
                .ok_or_else(|| format!("--image-registry: `{host}` is not a registry host"))?;
            let (scheme, rest) = url
                .split_once("://")
                .filter(|(s, _)| *s == "https" || (*s == "http" && allow_http))
                .ok_or_else(|| {
                    format!("--image-registry: `{url}` is not an https URL (plain http needs --allow-http-registry)")
                })?;
            let auth = rest.split('/').next().unwrap_or_default();
            if auth.is_empty() || auth.contains('@') {
                return Err(format!("--image-registry: `{url}` has no host"));
            }
            let base = url.trim_end_matches('/').to_string();
            registries.insert(
                probe.registry,
                Registry {
                    token_hosts: vec![auth.to_string()],
                    http_tokens: scheme == "http",
                    cache: crate::moving::MovingCache::new(cache_dir, "images", &base),
                    base,
                },
            );
        }
        Ok(ImageClient {
            agent: crate::agent(),
            registries,
            memo: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            fetched: AtomicUsize::new(0),
        })
    }

    /// How many requests were made.
    pub fn fetched(&self) -> usize {
        self.fetched.load(Ordering::Relaxed)
    }

    fn fetch(&self, image: &ImageRef) -> DigestAnswer {
        let registry = self.registries.get(&image.registry).ok_or_else(|| {
            format!(
                "`{}` is not a registry chainward asks (add it with `--image-registry {}=https://{}`)",
                image.registry, image.registry, image.registry
            )
        })?;
        let url = format!(
            "{}/v2/{}/manifests/{}",
            registry.base, image.repository, image.tag
        );
        let key = (image.registry.clone(), image.repository.clone());
        let mut token = self
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        for attempt in 0..2 {
            let mut request = self.agent.head(&url).header("Accept", ACCEPT);
            if let Some(token) = &token {
                request = request.header("Authorization", format!("Bearer {token}"));
            }
            let response = request.call().map_err(|e| format!("{url}: {e}"))?;
            self.fetched.fetch_add(1, Ordering::Relaxed);
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            match status {
                200 => {
                    let digest = header("docker-content-digest").unwrap_or_default();
                    return if is_sha256_digest(&digest) {
                        Ok(Some(digest.to_ascii_lowercase()))
                    } else {
                        Err(format!(
                            "{url}: no sha256 Docker-Content-Digest in the answer"
                        ))
                    };
                }
                404 => return Ok(None),
                401 if attempt == 0 => {
                    let challenge = header("www-authenticate").unwrap_or_default();
                    let fresh = self.token(registry, image, &challenge, &url)?;
                    self.tokens
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(key.clone(), fresh.clone());
                    token = Some(fresh);
                }
                // A private image asks for credentials chainward does not send; a registry
                // that redirects elsewhere is not followed.
                _ => return Err(format!("{url}: HTTP {status}")),
            }
        }
        Err(format!(
            "{url}: HTTP 401 with an anonymous token (a private image?)"
        ))
    }

    /// An anonymous pull token from the service `challenge` (a `WWW-Authenticate: Bearer …`
    /// header) names, after checking that the service is one this registry may send us to.
    fn token(
        &self,
        registry: &Registry,
        image: &ImageRef,
        challenge: &str,
        url: &str,
    ) -> Result<String, String> {
        let params = bearer_params(challenge)
            .ok_or_else(|| format!("{url}: HTTP 401 without a Bearer challenge"))?;
        let realm = params
            .iter()
            .find(|(k, _)| k == "realm")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        let (scheme, rest) = realm.split_once("://").unwrap_or_default();
        let realm_host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let scheme_ok = scheme == "https" || (scheme == "http" && registry.http_tokens);
        if !scheme_ok
            || realm_host.is_empty()
            || realm_host.contains('@')
            || !registry
                .token_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(realm_host))
            || realm.contains(['?', '#'])
        {
            return Err(format!(
                "{url}: the registry sends token requests to `{realm}`, not a service chainward asks for this registry"
            ));
        }
        let mut token_url = format!(
            "{realm}?scope={}",
            percent_encode(&format!("repository:{}:pull", image.repository))
        );
        if let Some((_, service)) = params.iter().find(|(k, _)| k == "service") {
            token_url.push_str(&format!("&service={}", percent_encode(service)));
        }
        let mut response = self
            .agent
            .get(&token_url)
            .header("Accept", "application/json")
            .call()
            .map_err(|e| format!("{token_url}: {e}"))?;
        self.fetched.fetch_add(1, Ordering::Relaxed);
        let status = response.status().as_u16();
        if status != 200 {
            return Err(format!("{token_url}: HTTP {status}"));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_vec()
            .map_err(|e| format!("{token_url}: {e}"))?;
        let doc: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| format!("{token_url}: not JSON: {e}"))?;
        let token = doc
            .get("token")
            .or_else(|| doc.get("access_token"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        // It goes into a header: printable ASCII, no spaces.
        if token.is_empty()
            || token.len() > 16 * 1024
            || !token.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(format!("{token_url}: no usable token in the answer"));
        }
        Ok(token.to_string())
    }
}

impl Images for ImageClient {
    fn digest(&self, image: &ImageRef) -> DigestAnswer {
        crate::memoized(
            &self.memo,
            &image.registry,
            &format!("{}:{}", image.repository, image.tag),
            || match self.registries.get(&image.registry) {
                Some(registry) => registry
                    .cache
                    .get_or_fetch(&format!("{}:{}", image.repository, image.tag), || {
                        self.fetch(image)
                    }),
                // Not a registry chainward asks: `fetch` says so.
                None => self.fetch(image),
            },
        )
    }
}

/// `host[:port]` of an `https://host[:port]/…` URL.
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

fn is_sha256_digest(d: &str) -> bool {
    d.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The `key="value"` parameters of a `Bearer` challenge (RFC 6750 §3); `None` for another
/// scheme or a malformed header.
fn bearer_params(header: &str) -> Option<Vec<(String, String)>> {
    let (scheme, mut rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', ',']);
        if rest.is_empty() {
            return Some(out);
        }
        let (key, after) = rest.split_once('=')?;
        let key = key.trim().to_ascii_lowercase();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end?..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        out.push((key, value));
        rest = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_parse() {
        let p = bearer_params(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/node:pull,push""#,
        )
        .expect("a challenge");
        assert_eq!(
            p,
            vec![
                ("realm".into(), "https://auth.docker.io/token".into()),
                ("service".into(), "registry.docker.io".into()),
                ("scope".into(), "repository:library/node:pull,push".into()),
            ]
        );
        assert_eq!(bearer_params("Basic realm=\"x\""), None);
        assert_eq!(bearer_params("Bearer realm=\"unterminated"), None);
    }

    #[test]
    fn only_listed_registries_and_their_token_services() {
        let client = ImageClient::new(
            &["r.example.com=https://mirror.example.com/".into()],
            false,
            None,
        )
        .expect("client");
        let hub = &client.registries["docker.io"];
        assert_eq!(hub.token_hosts, ["registry-1.docker.io", "auth.docker.io"]);
        assert_eq!(
            client.registries["r.example.com"].base,
            "https://mirror.example.com"
        );
        let unknown = ImageRef::parse("evil.example.net/x:1").expect("parses");
        let err = client.fetch(&unknown).expect_err("not asked");
        assert!(err.contains("--image-registry evil.example.net="), "{err}");
        for bad in [
            "x",
            "r.example.com=http://plain",
            "r.example.com=ftp://x",
            "UPPER_/x=https://y",
            "r.example.com=https://user@host",
        ] {
            assert!(
                ImageClient::new(&[bad.to_string()], false, None).is_err(),
                "{bad}"
            );
        }
        assert!(
            ImageClient::new(&["localhost:5000=http://127.0.0.1:5000".into()], true, None).is_ok()
        );
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(
            percent_encode("repository:library/node:pull"),
            "repository%3Alibrary%2Fnode%3Apull"
        );
    }
}

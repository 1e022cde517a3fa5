//! chainward's one network client, used with `--online` only: npm registry version documents
//! over HTTPS (rustls, the aws-lc-rs provider, the system's trust store), kept in an on-disk response
//! cache so that a second run needs no network. Published versions are immutable, so a cached
//! document never expires; a failed or partial write leaves no entry (temp file + rename).
//!
//! Nothing here is called unless the user passes `--online`; tests point it at a loopback
//! server that serves recorded responses.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chainward_core::online::{Attestations, Metadata, Registry};
use chainward_core::packument::Packument;

pub mod advisories;
mod images;
mod moving;
pub use images::ImageClient;
pub use moving::TTL as MOVING_TTL;

/// npm's public registry.
pub const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org/";

/// Largest version document accepted (real ones are a few KB; the largest seen are ~100 KB).
const MAX_BODY: u64 = 8 * 1024 * 1024;

/// Largest full package document read (it streams: only the kept part is held). The largest
/// on npm, packages with thousands of canary versions, are a few hundred MB.
const MAX_PACKUMENT: u64 = 1 << 30;

/// Packuments asked for at once by [`Registry::prefetch`].
const PARALLEL_FETCHES: usize = 16;

/// The layout of a cached packument; another layout is fetched again.
const PACKUMENT_SCHEMA: u32 = 2;

type Answer = Result<Option<Arc<serde_json::Value>>, String>;

/// A registry client with a response cache.
pub struct RegistryClient {
    agent: ureq::Agent,
    /// The registry's base URL, ending in `/`.
    base: String,
    /// `<cache>/registry/<host>`; `None`: no disk cache.
    cache: Option<PathBuf>,
    memo: Mutex<HashMap<(String, String), Answer>>,
    /// `<cache>/packuments/<scheme_host>`; `None`: no disk cache.
    packuments: Option<PathBuf>,
    packument_memo: Mutex<HashMap<String, Metadata>>,
    /// `<cache>/attestations/<scheme_host>`; `None`: no disk cache.
    attestations: Option<PathBuf>,
    attestation_memo: Mutex<HashMap<(String, String), Attestations>>,
    /// Never ask the network: read the cache alone (a run without `--online`).
    offline: bool,
    fetched: AtomicUsize,
    cached: AtomicUsize,
}

/// A packument as the cache keeps it.
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedPackument {
    schema: u32,
    /// When the registry last answered for it (milliseconds since the epoch).
    fetched_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    /// `None`: the registry answered that it has no such package.
    packument: Option<Packument>,
}

impl CachedPackument {
    fn answer(self) -> Metadata {
        match self.packument {
            Some(packument) => Metadata::Found {
                packument: Arc::new(packument),
                fetched_at: self.fetched_at,
            },
            None => Metadata::NoSuchPackage,
        }
    }
}

use chainward_core::packument::now_ms;

/// How a run used the network, for `--verbose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub fetched: usize,
    pub from_cache: usize,
}

/// The one HTTP agent configuration: rustls with the system's trust store, bounded time, no
/// redirects (only the host the user chose is asked; a redirect to another host, or to plain
/// http, is not followed).
fn agent() -> ureq::Agent {
    let crypto = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(crypto)
        // The system's trust store: registries behind a company proxy or with a private CA
        // are trusted where npm trusts them.
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    let config = ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .max_redirects(0)
        // Every fetching thread keeps its connection (keep-alive) for the next document.
        .max_idle_connections(4 * PARALLEL_FETCHES)
        .max_idle_connections_per_host(PARALLEL_FETCHES)
        .user_agent(concat!("chainward/", env!("CARGO_PKG_VERSION")))
        .build();
    ureq::Agent::with_parts(
        config,
        ureq::unversioned::transport::DefaultConnector::default(),
        CachingResolver::default(),
    )
}

/// The system's resolver, asked once per host for the whole run: ureq asks it for every
/// request, and sixteen parallel fetches made as many DNS queries at once, some of which a
/// resolver dropped (a 5 s retry each).
#[derive(Debug, Default)]
struct CachingResolver {
    inner: ureq::unversioned::resolver::DefaultResolver,
    known: Mutex<HashMap<String, ureq::unversioned::resolver::ResolvedSocketAddrs>>,
}

impl ureq::unversioned::resolver::Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or_default(),
            uri.authority().map(|a| a.as_str()).unwrap_or_default()
        );
        // Held while the first lookup of a host runs: the others wait for its answer.
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(addrs) = known.get(&key) {
            return Ok(addrs.clone());
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        known.insert(key, addrs.clone());
        Ok(addrs)
    }
}

/// GitHub's public API.
pub const DEFAULT_GITHUB_API: &str = "https://api.github.com";

/// The GitHub API, for the commit an action's tag or branch names (`fix --online`). Tags move:
/// answers are kept for [`MOVING_TTL`] only.
pub struct GitHubClient {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
    cache: moving::MovingCache,
    memo: Mutex<HashMap<(String, String), CommitAnswer>>,
    fetched: AtomicUsize,
}

/// What the API said a reference names: a commit, none, or why it could not be asked.
type CommitAnswer = Result<Option<String>, String>;

impl GitHubClient {
    /// A client for the API at `api` (`https://`, or `http://` when `allow_http`), sending
    /// `token` (`GITHUB_TOKEN`) when given.
    pub fn new(
        api: &str,
        allow_http: bool,
        token: Option<String>,
        cache_dir: Option<&Path>,
    ) -> Result<GitHubClient, String> {
        let (_, rest) = api
            .split_once("://")
            .filter(|(s, _)| *s == "https" || (*s == "http" && allow_http))
            .ok_or_else(|| {
                format!("GitHub API `{api}` is not an https URL (plain http needs --allow-http-registry)")
            })?;
        if rest.split('/').next().unwrap_or_default().is_empty() {
            return Err(format!("GitHub API `{api}` has no host"));
        }
        Ok(GitHubClient {
            agent: agent(),
            cache: moving::MovingCache::new(cache_dir, "github", api.trim_end_matches('/')),
            base: api.trim_end_matches('/').to_string(),
            token: token.filter(|t| !t.is_empty()),
            memo: Mutex::new(HashMap::new()),
            fetched: AtomicUsize::new(0),
        })
    }

    /// How many requests were made.
    pub fn fetched(&self) -> usize {
        self.fetched.load(Ordering::Relaxed)
    }

    fn fetch(&self, owner_repo: &str, reference: &str) -> Result<Option<String>, String> {
        let safe = |s: &str, slash: bool| {
            !s.is_empty()
                && !s.starts_with('.')
                && !s.contains("..")
                && s.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || b"-_.".contains(&b) || (slash && b == b'/')
                })
        };
        let (owner, repo) = owner_repo
            .split_once('/')
            .filter(|(o, r)| safe(o, false) && safe(r, false))
            .ok_or_else(|| format!("`{owner_repo}` is not an owner/repo name"))?;
        if !safe(reference, true) {
            return Err(format!(
                "`{reference}` is not a git reference chainward asks about"
            ));
        }
        let url = format!("{}/repos/{owner}/{repo}/commits/{reference}", self.base);
        let mut request = self
            .agent
            .get(&url)
            // The commit's SHA alone, as text.
            .header("Accept", "application/vnd.github.sha")
            .header("X-GitHub-Api-Version", "2022-11-28");
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let mut response = request.call().map_err(|e| format!("{url}: {e}"))?;
        let status = response.status().as_u16();
        self.fetched.fetch_add(1, Ordering::Relaxed);
        if status == 404 || status == 422 {
            return Ok(None);
        }
        if status != 200 {
            return Err(format!("{url}: HTTP {status}"));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(4096)
            .read_to_string()
            .map_err(|e| format!("{url}: {e}"))?;
        let sha = body.trim();
        if sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Some(sha.to_ascii_lowercase()))
        } else {
            Err(format!("{url}: not a commit SHA"))
        }
    }
}

impl chainward_core::online::Forge for GitHubClient {
    fn commit(&self, owner_repo: &str, reference: &str) -> Result<Option<String>, String> {
        memoized(&self.memo, owner_repo, reference, || {
            self.cache
                .get_or_fetch(&format!("{owner_repo}@{reference}"), || {
                    self.fetch(owner_repo, reference)
                })
        })
    }
}

/// One answer per question for the whole run: asked once, however many findings need it.
fn memoized<T: Clone>(
    memo: &Mutex<HashMap<(String, String), T>>,
    a: &str,
    b: &str,
    ask: impl FnOnce() -> T,
) -> T {
    let key = (a.to_string(), b.to_string());
    if let Some(answer) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return answer.clone();
    }
    let answer = ask();
    memo.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, answer.clone());
    answer
}

impl RegistryClient {
    /// A client for the registry at `registry` (`http://` or `https://`), caching responses
    /// under `cache_dir` when given.
    pub fn new(registry: &str, cache_dir: Option<&Path>) -> Result<RegistryClient, String> {
        let (scheme, rest) = registry
            .split_once("://")
            .filter(|(s, _)| *s == "https" || *s == "http")
            .ok_or_else(|| format!("registry `{registry}` is not an http(s) URL"))?;
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() {
            return Err(format!("registry `{registry}` has no host"));
        }
        let base = if registry.ends_with('/') {
            registry.to_string()
        } else {
            format!("{registry}/")
        };
        let agent = agent();
        // The path too, when there is one: two repositories on one host are two registries.
        let path = rest[host.len()..].trim_matches('/');
        let cache = cache_dir.map(|dir| {
            let key: String = if path.is_empty() {
                format!("{scheme}_{host}")
            } else {
                format!("{scheme}_{host}_{path}")
            }
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
            (
                dir.join("registry").join(&key),
                (
                    dir.join("packuments").join(&key),
                    dir.join("attestations").join(key),
                ),
            )
        });
        let (cache, dirs) = cache.unzip();
        let (packuments, attestations) = dirs.unzip();
        Ok(RegistryClient {
            agent,
            base,
            cache,
            memo: Mutex::new(HashMap::new()),
            packuments,
            packument_memo: Mutex::new(HashMap::new()),
            attestations,
            attestation_memo: Mutex::new(HashMap::new()),
            offline: false,
            fetched: AtomicUsize::new(0),
            cached: AtomicUsize::new(0),
        })
    }

    /// The same client reading its cache alone: nothing leaves the machine.
    pub fn offline(mut self) -> RegistryClient {
        self.offline = true;
        self
    }

    /// The default cache folder: `$CHAINWARD_CACHE_DIR`, else `$XDG_CACHE_HOME/chainward`, else
    /// `~/.cache/chainward`.
    pub fn default_cache_dir() -> Option<PathBuf> {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        var("CHAINWARD_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("chainward")))
            .or_else(|| var("HOME").map(|d| d.join(".cache").join("chainward")))
    }

    pub fn stats(&self) -> Stats {
        Stats {
            fetched: self.fetched.load(Ordering::Relaxed),
            from_cache: self.cached.load(Ordering::Relaxed),
        }
    }

    fn cache_path(&self, name: &str, version: &str) -> Option<PathBuf> {
        let mut path = self.cache.clone()?;
        for part in name.split('/') {
            path.push(part);
        }
        path.push(format!("{version}.json"));
        Some(path)
    }

    fn fetch(&self, name: &str, version: &str) -> Answer {
        check_name(name)?;
        check_version(version)?;
        if let Some(path) = self.cache_path(name, version)
            && let Ok(bytes) = std::fs::read(&path)
        {
            // A damaged entry is fetched again, not trusted.
            if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                self.cached.fetch_add(1, Ordering::Relaxed);
                return Ok(Some(Arc::new(doc)));
            }
        }
        let url = format!("{}{}/{version}", self.base, name.replace('/', "%2f"));
        let mut response = self
            .agent
            .get(&url)
            .header("Accept", "application/json")
            .call()
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status().as_u16();
        if status == 404 {
            return Ok(None);
        }
        if (300..400).contains(&status) {
            let to = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("?");
            return Err(format!(
                "{url}: HTTP {status}, a redirect to `{to}`: not followed (only the chosen registry is asked)"
            ));
        }
        if status != 200 {
            return Err(format!("{url}: HTTP {status}"));
        }
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| format!("{url}: {e}"))?;
        let doc: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| format!("{url}: not JSON: {e}"))?;
        self.fetched.fetch_add(1, Ordering::Relaxed);
        if let Some(path) = self.cache_path(name, version) {
            // The cache is an optimisation: failing to write it is not an error.
            let _ = store(&path, &bytes);
        }
        Ok(Some(Arc::new(doc)))
    }
}

impl RegistryClient {
    fn packument_path(&self, name: &str) -> Option<PathBuf> {
        let mut path = self.packuments.clone()?;
        for part in name.split('/') {
            path.push(part);
        }
        path.set_extension(match path.extension() {
            // `lodash.merge` keeps its dot: the file is `lodash.merge.json`.
            Some(ext) => format!("{}.json", ext.to_string_lossy()),
            None => "json".to_string(),
        });
        Some(path)
    }

    fn read_cached_packument(&self, name: &str) -> Option<CachedPackument> {
        let bytes = std::fs::read(self.packument_path(name)?).ok()?;
        serde_json::from_slice::<CachedPackument>(&bytes)
            .ok()
            .filter(|c| {
                c.schema == PACKUMENT_SCHEMA && c.packument.as_ref().is_none_or(|p| p.name == name)
            })
    }

    fn fetch_packument(&self, name: &str) -> Metadata {
        if let Err(e) = check_name(name) {
            return Metadata::Failed(e);
        }
        let cached = self.read_cached_packument(name);
        if self.offline {
            return match cached {
                Some(c) => {
                    self.cached.fetch_add(1, Ordering::Relaxed);
                    c.answer()
                }
                None => Metadata::NotCached,
            };
        }
        let url = format!("{}{}", self.base, name.replace('/', "%2f"));
        // A full document can be hundreds of MB: more time than a version document gets.
        let mut request = self
            .agent
            .get(&url)
            .config()
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .header("Accept", "application/json");
        if let Some(etag) = cached
            .as_ref()
            .filter(|c| c.packument.is_some())
            .and_then(|c| c.etag.as_deref())
        {
            request = request.header("If-None-Match", etag);
        }
        let failed = |why: String, cached: Option<CachedPackument>| match cached {
            // The registry could not be asked: what was cached stands, with its age.
            Some(c) => c.answer(),
            None => Metadata::Failed(why),
        };
        let mut response = match request.call() {
            Ok(r) => r,
            Err(e) => return failed(format!("{url}: {e}"), cached),
        };
        let status = response.status().as_u16();
        self.fetched.fetch_add(1, Ordering::Relaxed);
        let etag = etag_of(&response);
        let entry = match status {
            304 if cached.as_ref().is_some_and(|c| c.packument.is_some()) => {
                let mut c = cached.expect("checked");
                c.fetched_at = now_ms();
                c.etag = etag.or(c.etag);
                c
            }
            200 => {
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(MAX_PACKUMENT)
                    .reader();
                match Packument::from_json_reader(std::io::BufReader::with_capacity(1 << 16, body))
                {
                    Ok(packument) if packument.name == name => CachedPackument {
                        schema: PACKUMENT_SCHEMA,
                        fetched_at: now_ms(),
                        etag,
                        packument: Some(packument),
                    },
                    Ok(other) => {
                        return failed(
                            format!("{url}: the document is for `{}`", other.name),
                            cached,
                        );
                    }
                    Err(e) => return failed(format!("{url}: {e}"), cached),
                }
            }
            404 => CachedPackument {
                schema: PACKUMENT_SCHEMA,
                fetched_at: now_ms(),
                etag: None,
                packument: None,
            },
            300..400 => {
                return failed(
                    format!(
                        "{url}: HTTP {status}, a redirect: not followed (only the chosen registry is asked)"
                    ),
                    cached,
                );
            }
            _ => return failed(format!("{url}: HTTP {status}"), cached),
        };
        if let (Some(path), Ok(bytes)) = (self.packument_path(name), serde_json::to_vec(&entry)) {
            // The cache is an optimisation: failing to write it is not an error.
            let _ = store(&path, &bytes);
        }
        entry.answer()
    }
}

impl RegistryClient {
    fn attestation_path(&self, name: &str, version: &str) -> Option<PathBuf> {
        let mut path = self.attestations.clone()?;
        let (scope, bare) = match name.split_once('/') {
            Some((scope, bare)) => (Some(scope), bare),
            None => (None, name),
        };
        if let Some(scope) = scope {
            path.push(scope);
        }
        path.push(format!("{bare}@{version}.json"));
        Some(path)
    }

    fn fetch_attestations(&self, name: &str, version: &str) -> Attestations {
        if let Err(e) = check_name(name).and_then(|()| check_version(version)) {
            return Attestations::Failed(e);
        }
        // What the cache holds was read whole and parsed before it was stored.
        let path = self.attestation_path(name, version);
        if let Some(text) = path
            .as_deref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .filter(|t| attestation_body(t).is_ok())
        {
            self.cached.fetch_add(1, Ordering::Relaxed);
            return Attestations::Found(Arc::from(text));
        }
        if self.offline {
            return Attestations::NotCached;
        }
        let url = format!(
            "{}-/npm/v1/attestations/{}@{version}",
            self.base,
            name.replace('/', "%2f")
        );
        let mut response = match self
            .agent
            .get(&url)
            .header("Accept", "application/json")
            .call()
        {
            Ok(r) => r,
            Err(e) => return Attestations::Failed(format!("{url}: {e}")),
        };
        self.fetched.fetch_add(1, Ordering::Relaxed);
        match response.status().as_u16() {
            200 => {}
            404 => return Attestations::Missing,
            status @ 300..400 => {
                return Attestations::Failed(format!(
                    "{url}: HTTP {status}, a redirect: not followed (only the chosen registry is asked)"
                ));
            }
            status => return Attestations::Failed(format!("{url}: HTTP {status}")),
        }
        let text = match response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
        {
            Ok(t) => t,
            Err(e) => return Attestations::Failed(format!("{url}: {e}")),
        };
        if let Err(e) = attestation_body(&text) {
            return Attestations::Failed(format!("{url}: {e}"));
        }
        if let Some(path) = path {
            // The cache is an optimisation: failing to write it is not an error.
            let _ = store(&path, text.as_bytes());
        }
        Attestations::Found(Arc::from(text))
    }

    /// `work` for every item, [`PARALLEL_FETCHES`] at a time, with progress on a terminal once
    /// it takes over a second.
    fn in_parallel<T: Sync>(&self, items: &[T], what: &str, work: impl Fn(&T) + Sync) {
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let started = std::time::Instant::now();
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        std::thread::scope(|scope| {
            for _ in 0..PARALLEL_FETCHES.min(items.len()) {
                scope.spawn(|| {
                    while let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) {
                        work(item);
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                        if terminal && started.elapsed() > Duration::from_secs(1) {
                            let _ = write!(
                                std::io::stderr(),
                                "\r\x1b[2Kfetching {what}: {n}/{}",
                                items.len()
                            );
                        }
                    }
                });
            }
        });
        if terminal && started.elapsed() > Duration::from_secs(1) {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

/// A response's `ETag`, if it has a usable one.
fn etag_of<B>(response: &ureq::http::Response<B>) -> Option<String> {
    response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 1024)
        .map(str::to_string)
}

/// Downloads one URL to one file, for a command the user ran to download it.
pub struct Downloader {
    agent: ureq::Agent,
    allow_http: bool,
}

impl Downloader {
    pub fn new(allow_http: bool) -> Downloader {
        Downloader {
            agent: agent(),
            allow_http,
        }
    }
}

impl chainward_core::online::Download for Downloader {
    fn download(
        &self,
        url: &str,
        to: &Path,
        etag: Option<&str>,
        max_bytes: u64,
    ) -> Result<chainward_core::online::Downloaded, String> {
        use chainward_core::online::Downloaded;
        let http = url.starts_with("http://");
        if !(url.starts_with("https://") || (http && self.allow_http)) {
            return Err(format!(
                "{url}: only https{} is asked",
                if http {
                    " (plain http with --allow-http)"
                } else {
                    ""
                }
            ));
        }
        // An archive of hundreds of MB: the whole transfer gets an hour, not thirty seconds.
        let mut request = self
            .agent
            .get(url)
            .config()
            .timeout_global(Some(Duration::from_secs(3600)))
            .build();
        if let Some(etag) = etag {
            request = request.header("If-None-Match", etag);
        }
        let mut response = request.call().map_err(|e| format!("{url}: {e}"))?;
        let status = response.status().as_u16();
        if status == 304 && etag.is_some() {
            return Ok(Downloaded::NotModified);
        }
        if status != 200 {
            return Err(format!(
                "{url}: HTTP {status}{}",
                if (300..400).contains(&status) {
                    ", a redirect: not followed"
                } else {
                    ""
                }
            ));
        }
        let etag = etag_of(&response);
        let dir = to.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let tmp = to.with_extension(format!("download.{}.tmp", std::process::id()));
        let written = (|| -> Result<u64, String> {
            let mut file =
                std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
            let mut body = response.body_mut().with_config().limit(max_bytes).reader();
            let n = std::io::copy(&mut body, &mut file).map_err(|e| format!("{url}: {e}"))?;
            file.sync_all()
                .map_err(|e| format!("{}: {e}", tmp.display()))?;
            std::fs::rename(&tmp, to).map_err(|e| format!("{}: {e}", to.display()))?;
            Ok(n)
        })();
        match written {
            Ok(bytes) => Ok(Downloaded::Fresh { bytes, etag }),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }
}

/// An attestations response: a JSON object with an `attestations` array.
fn attestation_body(text: &str) -> Result<(), String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if doc
        .get("attestations")
        .is_some_and(serde_json::Value::is_array)
    {
        Ok(())
    } else {
        Err("no `attestations` array".into())
    }
}

impl Registry for RegistryClient {
    fn version(&self, name: &str, version: &str) -> Answer {
        if self.offline {
            return Err("not asked: offline".to_string());
        }
        memoized(&self.memo, name, version, || self.fetch(name, version))
    }

    fn packument(&self, name: &str) -> Metadata {
        if let Some(answer) = self
            .packument_memo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
        {
            return answer.clone();
        }
        let answer = self.fetch_packument(name);
        self.packument_memo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), answer.clone());
        answer
    }

    fn prefetch(&self, names: &[&str]) {
        if self.offline || names.is_empty() {
            return;
        }
        self.in_parallel(names, "package metadata", |name| {
            self.packument(name);
        });
    }

    fn attestations(&self, name: &str, version: &str) -> Attestations {
        let key = (name.to_string(), version.to_string());
        if let Some(answer) = self
            .attestation_memo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return answer.clone();
        }
        let answer = self.fetch_attestations(name, version);
        self.attestation_memo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, answer.clone());
        answer
    }

    fn prefetch_attestations(&self, versions: &[(&str, &str)]) {
        if self.offline || versions.is_empty() {
            return;
        }
        self.in_parallel(versions, "attestations", |(name, version)| {
            self.attestations(name, version);
        });
    }

    fn is_online(&self) -> bool {
        !self.offline
    }

    fn has_cache(&self) -> bool {
        self.packuments.as_deref().is_some_and(Path::is_dir)
    }

    fn url(&self) -> &str {
        &self.base
    }
}

/// Names come from lockfiles, which attackers can write: only real npm names reach a URL or a
/// cache path (no `..`, no separators beyond a scope's one `/`).
fn check_name(name: &str) -> Result<(), String> {
    if chainward_npm::lockfile::is_package_name(name) {
        Ok(())
    } else {
        Err(format!("`{name}` is not an npm package name"))
    }
}

fn check_version(version: &str) -> Result<(), String> {
    let ok = !version.is_empty()
        && version.len() <= 256
        && !version.starts_with('.')
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.+".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!("`{version}` is not a published version"))
    }
}

pub(crate) fn store(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_never_reach_a_path_or_url() {
        for bad in [
            "../../etc/passwd",
            "@a/../b",
            "a/b",
            "",
            ".hidden",
            "@scope",
            "a b",
            "a%2fb",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        let long = "a".repeat(215);
        assert!(check_name(&long).is_err());
        assert!(check_name(&long[1..]).is_ok());
        for good in ["esbuild", "@parcel/watcher", "lodash.merge", "a_b~c"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["../1", "1.0.0/../../x", "", "1.0.0 "] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
        assert!(check_version("1.0.0-beta.1+build.5").is_ok());
    }

    #[test]
    fn registry_urls_are_checked() {
        assert!(RegistryClient::new("ftp://x", None).is_err());
        assert!(RegistryClient::new("https://", None).is_err());
        let client =
            RegistryClient::new("http://127.0.0.1:9/", Some(Path::new("/c"))).expect("client");
        assert_eq!(
            client.cache_path("@s/x", "1.0.0"),
            Some(PathBuf::from(
                "/c/registry/http_127.0.0.1_9/@s/x/1.0.0.json"
            ))
        );
        // Two repositories on one host are two caches.
        let a = RegistryClient::new("https://art.example/api/npm/a/", Some(Path::new("/c")))
            .expect("client");
        assert_eq!(
            a.packument_path("lodash.merge"),
            Some(PathBuf::from(
                "/c/packuments/https_art.example_api_npm_a/lodash.merge.json"
            ))
        );
    }
}

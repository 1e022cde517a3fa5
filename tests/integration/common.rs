//! Shared harness: paths, running the binary, copying fixtures, snapshot settings.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

pub fn fixtures() -> PathBuf {
    workspace().join("fixtures")
}

pub fn shared_vectors() -> PathBuf {
    workspace().join("../shared/vectors")
}

/// What one run printed.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The form snapshots take: exit code, stdout, stderr.
    pub fn snapshot(&self) -> String {
        format!(
            "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A `chainward` command with a scrubbed environment, run in `dir`.
pub fn chainward(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chainward"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1");
    cmd
}

/// A package manager's CLI (`node <script>`) in `dir`, with a scrubbed environment: no user
/// config (`HOME` is `home`), no version switching, no corepack, no yarn release from the tree.
pub fn package_manager(node: &Path, script: &Path, dir: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(node);
    cmd.arg(script)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("npm_config_manage_package_manager_versions", "false")
        .env("pnpm_config_pm_on_fail", "ignore")
        .env("COREPACK_ENABLE_STRICT", "0")
        .env("YARN_IGNORE_PATH", "1");
    cmd
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    output(chainward(dir).args(args))
}

pub fn output(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the chainward binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every finding of `chainward ARGS --format json .` in `dir`, as JSON.
pub fn findings_json(dir: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut full = args.to_vec();
    full.extend(["--format", "json", "."]);
    let out = run(dir, &full);
    let json: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}{}", out.stdout, out.stderr));
    json["findings"].as_array().expect("findings").clone()
}

/// Run chainward with `args` followed by `--format json .` in `dir`, and collect the `field`
/// (`rule`, `message`) of every finding.
pub fn findings(dir: &Path, args: &[&str], field: &str) -> Vec<String> {
    findings_json(dir, args)
        .iter()
        .filter_map(|f| f[field].as_str().map(str::to_string))
        .collect()
}

/// Copy a fixture tree into a fresh temporary folder.
pub fn copy_fixture(rel: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    copy_tree(&fixtures().join(rel), tmp.path());
    tmp
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every fixture case under `fixtures/<plugin>/`: folders holding a package.json, a workflow
/// folder or a Dockerfile (nested groups such as `bad-input/` contribute their sub-folders).
pub fn cases(plugin: &str) -> Vec<String> {
    let mut out = Vec::new();
    collect_cases(&fixtures().join(plugin), "", &mut out);
    out.sort();
    out
}

fn collect_cases(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let p = entry.path();
        let is_case = std::fs::read_dir(&p)
            .map(|es| {
                es.flatten().any(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n == "package.json"
                        || n == "pyproject.toml"
                        || n == ".github"
                        || n.to_ascii_lowercase().contains("dockerfile")
                        || n.ends_with(".json")
                        || n.ends_with(".yml")
                })
            })
            .unwrap_or(false);
        if is_case {
            out.push(rel);
        } else {
            collect_cases(&p, &rel, out);
        }
    }
}

/// Snapshot into `snapshots/<folder>/`.
#[macro_export]
macro_rules! snap {
    ($folder:expr, $name:expr, $value:expr) => {{
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path($crate::common::workspace().join("snapshots").join($folder));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!($name, $value));
    }};
}

/// Snapshot-safe name for a case path.
pub fn snap_name(case: &str) -> String {
    case.replace('/', "__")
}

/// A loopback HTTP/1.1 server (keep-alive, one request after another on a connection): each
/// request's path and `Authorization` header go to `answer`, which gives the status line, the
/// content type and the body.
fn serve(
    answer: impl Fn(&str, Option<&str>) -> (&'static str, &'static str, Vec<u8>) + Send + Sync + 'static,
) -> std::net::SocketAddr {
    serve_full(move |_, path, auth| {
        let (status, kind, body) = answer(path, auth);
        (
            status,
            vec![("Content-Type".to_string(), kind.to_string())],
            body,
        )
    })
}

/// Like [`serve`], with the request's method, and the answer's headers: the body is not sent
/// to a `HEAD` request (its length is).
fn serve_full(
    answer: impl Fn(&str, &str, Option<&str>) -> (&'static str, Vec<(String, String)>, Vec<u8>)
    + Send
    + Sync
    + 'static,
) -> std::net::SocketAddr {
    serve_with_headers(move |method, path, headers| {
        let auth = headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.as_str());
        answer(method, path, auth)
    })
}

/// Like [`serve_full`], with every request header (names in lower case).
pub fn serve_with_headers(
    answer: impl Fn(&str, &str, &[(String, String)]) -> (&'static str, Vec<(String, String)>, Vec<u8>)
    + Send
    + Sync
    + 'static,
) -> std::net::SocketAddr {
    serve_with_body(move |method, path, headers, _| answer(method, path, headers))
}

/// [`serve_with_headers`], with each request's body (read by its `Content-Length`).
pub fn serve_with_body(
    answer: impl Fn(
        &str,
        &str,
        &[(String, String)],
        &[u8],
    ) -> (&'static str, Vec<(String, String)>, Vec<u8>)
    + Send
    + Sync
    + 'static,
) -> std::net::SocketAddr {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    let answer = std::sync::Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let answer = std::sync::Arc::clone(&answer);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut stream = stream;
                loop {
                    let mut request = String::new();
                    if reader.read_line(&mut request).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut request_headers = Vec::new();
                    let mut line = String::new();
                    while reader.read_line(&mut line).unwrap_or(0) > 2 {
                        if let Some((k, v)) = line.split_once(':') {
                            request_headers
                                .push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                        }
                        line.clear();
                    }
                    // A request body (POST): `Content-Length` bytes.
                    let length = request_headers
                        .iter()
                        .find(|(k, _)| k == "content-length")
                        .and_then(|(_, v)| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    let mut body = vec![0u8; length];
                    if std::io::Read::read_exact(&mut reader, &mut body).is_err() {
                        return;
                    }
                    let mut words = request.split(' ');
                    let method = words.next().unwrap_or_default();
                    let path = words.next().unwrap_or_default();
                    let (status, headers, body) = answer(method, path, &request_headers, &body);
                    let mut head = format!("HTTP/1.1 {status}\r\n");
                    for (k, v) in &headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
                    let body: &[u8] = if method == "HEAD" { &[] } else { &body };
                    // One write: a head and a body written apart wait on the client's delayed
                    // ACK (Nagle), 40 ms a response.
                    let mut response = head.into_bytes();
                    response.extend_from_slice(body);
                    if stream.write_all(&response).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// A loopback container registry (the OCI distribution API as Docker Hub serves it, hand-made
/// from its documentation): a manifest request without a token is answered 401 with a Bearer
/// challenge whose realm is this server's `/token` (or `realm` when given: a registry sending
/// chainward elsewhere); `/token?scope=repository:<repo>:pull…` hands out `tok-<repo>`; a
/// manifest request with that token gets the recorded digest in `Docker-Content-Digest`, or 404.
/// Keeps every request as `METHOD path` with its `Authorization` header.
pub struct ImageRegistryServer {
    pub url: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<Request>>>,
}

impl ImageRegistryServer {
    pub fn start(images: &[(&str, &str, &str)], realm: Option<&str>) -> ImageRegistryServer {
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = std::sync::Arc::clone(&requests);
        let images: Vec<(String, String, String)> = images
            .iter()
            .map(|(r, t, d)| (r.to_string(), t.to_string(), d.to_string()))
            .collect();
        let own = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
        let realm = realm.map(str::to_string);
        let me = std::sync::Arc::clone(&own);
        let addr = serve_full(move |method, path, auth| {
            log.lock()
                .expect("log")
                .push((format!("{method} {path}"), auth.map(str::to_string)));
            let json = |body: String| {
                (
                    "200 OK",
                    vec![("Content-Type".to_string(), "application/json".to_string())],
                    body.into_bytes(),
                )
            };
            let not_found = || ("404 Not Found", Vec::new(), b"{}".to_vec());
            if let Some(query) = path.strip_prefix("/token?") {
                let scope = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("scope="))
                    .unwrap_or_default()
                    .replace("%3A", ":")
                    .replace("%2F", "/");
                return match scope
                    .strip_prefix("repository:")
                    .and_then(|s| s.strip_suffix(":pull"))
                {
                    Some(repo) => json(format!("{{\"token\":\"tok-{repo}\"}}")),
                    None => not_found(),
                };
            }
            let Some((repo, tag)) = path
                .strip_prefix("/v2/")
                .and_then(|p| p.split_once("/manifests/"))
            else {
                return not_found();
            };
            if auth != Some(format!("Bearer tok-{repo}").as_str()) {
                let realm = realm
                    .clone()
                    .unwrap_or_else(|| format!("http://{}/token", me.get().expect("address")));
                return (
                    "401 Unauthorized",
                    vec![(
                        "WWW-Authenticate".to_string(),
                        format!(
                            "Bearer realm=\"{realm}\",service=\"registry.test\",scope=\"repository:{repo}:pull\""
                        ),
                    )],
                    b"{}".to_vec(),
                );
            }
            match images.iter().find(|(r, t, _)| r == repo && t == tag) {
                Some((_, _, digest)) => (
                    "200 OK",
                    vec![
                        (
                            "Content-Type".to_string(),
                            "application/vnd.oci.image.index.v1+json".to_string(),
                        ),
                        ("Docker-Content-Digest".to_string(), digest.clone()),
                    ],
                    b"{}".to_vec(),
                ),
                None => not_found(),
            }
        });
        own.set(addr.to_string()).expect("set once");
        ImageRegistryServer {
            url: format!("http://{addr}"),
            requests,
        }
    }

    /// Every request so far: `METHOD path` and its `Authorization` header.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("log").clone()
    }
}

/// A loopback HTTP server that answers `GET /<name>/<version>` (scoped names as
/// `@scope%2fname`) with the recorded registry response in `fixtures/registry`, and 404 for
/// anything else or anything in `missing`. Counts the requests it answered with a document.
pub struct RegistryServer {
    pub url: String,
    served: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl RegistryServer {
    pub fn start(missing: &[&str]) -> RegistryServer {
        let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = std::sync::Arc::clone(&served);
        let missing: Vec<String> = missing.iter().map(|s| s.to_string()).collect();
        let addr = serve(move |path, _| {
            let rel = path.trim_start_matches('/').replace("%2f", "/");
            let name = rel.rsplit_once('/').map_or("", |(n, _)| n);
            let file = fixtures().join("registry").join(format!("{rel}.json"));
            let body = (!rel.contains("..") && !missing.iter().any(|m| m == name))
                .then(|| std::fs::read(&file).ok())
                .flatten();
            match body {
                Some(b) => {
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    ("200 OK", "application/json", b)
                }
                None => (
                    "404 Not Found",
                    "application/json",
                    b"{\"error\":\"Not found\"}".to_vec(),
                ),
            }
        });
        RegistryServer {
            url: format!("http://{addr}/"),
            served,
        }
    }

    /// Documents served so far.
    pub fn served(&self) -> usize {
        self.served.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A loopback HTTP server standing in for an API: answers `GET <path>` with the text recorded
/// for that path (200) or 404, and keeps every request's path and `Authorization` header.
pub struct ApiServer {
    pub url: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<Request>>>,
}

/// A request's path and `Authorization` header.
pub type Request = (String, Option<String>);

impl ApiServer {
    pub fn start(routes: &[(&str, &str)]) -> ApiServer {
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = std::sync::Arc::clone(&requests);
        let routes: Vec<(String, String)> = routes
            .iter()
            .map(|(p, b)| (p.to_string(), b.to_string()))
            .collect();
        let addr = serve(move |path, auth| {
            log.lock()
                .expect("log")
                .push((path.to_string(), auth.map(str::to_string)));
            match routes.iter().find(|(p, _)| p == path) {
                Some((_, body)) => ("200 OK", "text/plain", body.clone().into_bytes()),
                None => (
                    "404 Not Found",
                    "application/json",
                    b"{\"message\":\"Not Found\"}".to_vec(),
                ),
            }
        });
        ApiServer {
            url: format!("http://{addr}"),
            requests,
        }
    }

    /// Every request so far: its path and `Authorization` header.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("log").clone()
    }
}

/// A throwaway git repository driven through git2 (no git executable, no user config).
pub struct GitRepo(git2::Repository);

impl GitRepo {
    pub fn init(dir: &Path) -> GitRepo {
        GitRepo(git2::Repository::init(dir).expect("git init"))
    }

    /// Stage `paths` (`.` for everything not ignored).
    pub fn add(&self, paths: &[&str]) {
        let mut index = self.0.index().expect("index");
        index
            .add_all(paths, git2::IndexAddOption::DEFAULT, None)
            .expect("git add");
        index.write().expect("write index");
    }

    /// Unstage a path (`git rm --cached`).
    pub fn remove(&self, path: &str) {
        let mut index = self.0.index().expect("index");
        index.remove_path(Path::new(path)).expect("git rm --cached");
        index.write().expect("write index");
    }

    /// Add a remote (`git remote add`).
    pub fn remote(&self, name: &str, url: &str) {
        self.0.remote(name, url).expect("git remote add");
    }

    /// Stage everything and commit it on HEAD.
    pub fn commit_all(&self, message: &str) {
        self.add(&["."]);
        let mut index = self.0.index().expect("index");
        let tree = self
            .0
            .find_tree(index.write_tree().expect("tree"))
            .expect("find tree");
        let who = git2::Signature::now("chainward", "ci@example.com").expect("signature");
        let parent = self.0.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        self.0
            .commit(Some("HEAD"), &who, &who, message, &tree, &parents)
            .expect("commit");
    }
}

/// `(rule, path)` of every finding of `chainward ARGS --format json .` in `dir`.
pub fn rules_and_paths(dir: &Path, args: &[&str]) -> Vec<(String, String)> {
    findings_json(dir, args)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["location"]["path"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

/// Write the Sigstore bundle npm published for sigstore@1.0.0 (../shared/vectors) as
/// `<dir>/sigstore-1.0.0.tgz.sigstore.json`, beside where its tarball goes.
pub fn write_sigstore_bundle(npm_vectors: &Path, dir: &Path) {
    let attestations: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(npm_vectors.join("sigstore-1.0.0.attestations.json"))
            .expect("read"),
    )
    .expect("json");
    std::fs::write(
        dir.join("sigstore-1.0.0.tgz.sigstore.json"),
        serde_json::to_string(&attestations["attestations"][0]["bundle"]).expect("bundle"),
    )
    .expect("write");
}

/// Commit every file of `dir` (force-adding ignored ones, as `git add -f` does).
pub fn commit_all(dir: &Path, paths: &[&str]) -> git2::Repository {
    let repo = git2::Repository::init(dir).expect("git init");
    {
        let mut index = repo.index().expect("index");
        for p in paths {
            index.add_path(Path::new(p)).expect("add");
        }
        index.write().expect("write index");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("tree");
        let sig = git2::Signature::now("t", "t@example.com").expect("sig");
        repo.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[])
            .expect("commit");
    }
    repo
}

/// The `conditions.result` of the attribute `name` in an in-toto Statement chainward wrote.
pub fn attribute_result(statement: &serde_json::Value, name: &str) -> Option<serde_json::Value> {
    statement["predicate"]["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["attribute"] == name)
        .map(|a| a["conditions"]["result"].clone())
}

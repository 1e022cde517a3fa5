//! dep-trust against a loopback registry serving hand-built full documents (the registry
//! reachable from CI is a mirror that strips `dist.attestations` and some `time` data): fetched
//! with `--online`, kept on disk, judged again offline from the cache alone, revalidated with
//! `If-None-Match`.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::common::{self, chainward, output, serve_with_headers};

/// The instant the runs are judged at.
const NOW: &str = "2026-12-01T12:00:00Z";

/// `(version, published, evidence)`: evidence is a list of `approver`, `trustedPublisher`,
/// `provenance`.
type Release<'a> = (&'a str, &'a str, &'a [&'a str]);

/// A full document as the npm registry writes it, with the fields dep-trust reads.
fn packument(name: &str, releases: &[Release<'_>]) -> Value {
    let mut time = serde_json::Map::new();
    let mut versions = serde_json::Map::new();
    time.insert("created".into(), json!("2020-01-01T00:00:00.000Z"));
    for (version, published, evidence) in releases {
        time.insert((*version).into(), json!(published));
        let mut user = json!({"name": "someone", "email": "someone@example.com"});
        if evidence.contains(&"approver") {
            user["approver"] = json!({"name": "maintainer", "email": "m@example.com"});
        }
        if evidence.contains(&"trustedPublisher") {
            user["trustedPublisher"] = json!({"id": "github", "oidcConfigId": "oidc:00000000-0000-0000-0000-000000000000"});
        }
        let base = name.rsplit('/').next().unwrap_or(name);
        let mut dist = json!({
            "integrity": format!("sha512-{base}{}AAAA==", version.replace('.', "")),
            "tarball": format!("https://registry.npmjs.org/{name}/-/{base}-{version}.tgz"),
        });
        if evidence.contains(&"provenance") {
            dist["attestations"] = json!({
                "url": format!("https://registry.npmjs.org/-/npm/v1/attestations/{name}@{version}"),
                "provenance": {"predicateType": "https://slsa.dev/provenance/v1"}
            });
        }
        versions.insert(
            (*version).into(),
            json!({"name": name, "version": version, "_npmUser": user, "dist": dist}),
        );
    }
    json!({"_id": name, "name": name, "time": time, "versions": versions, "readme": "x".repeat(2000)})
}

/// The registry: every document above, by URL path (`/@scope%2fname`), with an ETag; a request
/// whose `If-None-Match` names it gets 304. Keeps each request's path and `If-None-Match`.
struct Registry {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

/// A request's path and its `If-None-Match` header.
type Request = (String, Option<String>);

fn registry() -> Registry {
    let docs: Vec<(String, Value)> = [
        packument(
            "fresh",
            &[
                ("1.0.0", "2026-10-01T00:00:00.000Z", &[]),
                ("1.0.1", "2026-12-01T06:00:00.000Z", &[]),
            ],
        ),
        packument(
            "takeover",
            &[
                ("1.9.0", "2026-01-01T00:00:00.000Z", &[]),
                (
                    "2.0.0",
                    "2026-06-01T00:00:00.000Z",
                    &["trustedPublisher", "provenance"],
                ),
                ("2.0.1", "2026-09-01T00:00:00.000Z", &[]),
            ],
        ),
        packument(
            "steady",
            &[("1.0.0", "2025-01-01T00:00:00.000Z", &["provenance"])],
        ),
        packument(
            "prerel",
            &[
                ("2.9.0", "2026-01-01T00:00:00.000Z", &[]),
                ("3.0.0-rc.1", "2026-05-01T00:00:00.000Z", &["approver"]),
                ("3.0.0", "2026-06-01T00:00:00.000Z", &["provenance"]),
            ],
        ),
        packument(
            "@scope/pub",
            &[
                ("1.0.0", "2026-01-01T00:00:00.000Z", &["provenance"]),
                (
                    "1.1.0",
                    "2026-02-01T00:00:00.000Z",
                    &["provenance", "trustedPublisher"],
                ),
                ("1.2.0", "2026-03-01T00:00:00.000Z", &["provenance"]),
            ],
        ),
    ]
    .into_iter()
    .map(|doc| (doc["name"].as_str().unwrap_or_default().to_string(), doc))
    .collect();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&requests);
    let addr = serve_with_headers(move |_, path, headers| {
        let inm = headers
            .iter()
            .find(|(k, _)| k == "if-none-match")
            .map(|(_, v)| v.clone());
        log.lock()
            .expect("log")
            .push((path.to_string(), inm.clone()));
        let name = path.trim_start_matches('/').replace("%2f", "/");
        match docs.iter().find(|(n, _)| *n == name) {
            Some((_, doc)) => {
                let etag = format!("\"{}\"", name.len());
                if inm.as_deref() == Some(etag.as_str()) {
                    return ("304 Not Modified", vec![("ETag".into(), etag)], Vec::new());
                }
                (
                    "200 OK",
                    vec![
                        ("Content-Type".into(), "application/json".into()),
                        ("ETag".into(), etag),
                    ],
                    serde_json::to_vec(doc).expect("json"),
                )
            }
            None => (
                "404 Not Found",
                vec![],
                b"{\"error\":\"Not found\"}".to_vec(),
            ),
        }
    });
    Registry {
        url: format!("http://{addr}/"),
        requests,
    }
}

fn check(
    dir: &std::path::Path,
    cache: &std::path::Path,
    now: &str,
    extra: &[&str],
) -> common::Output {
    let mut cmd = chainward(dir);
    cmd.env("CHAINWARD_NOW", now)
        .args(["check", "--select", "dep-trust", "--cache-dir"])
        .arg(cache)
        .args(extra)
        .arg(".");
    output(&mut cmd)
}

#[test]
fn judged_online_then_offline_from_the_cache() {
    for format in ["npm", "pnpm"] {
        online_then_offline(format);
    }
}

fn online_then_offline(format: &str) {
    let registry = registry();
    let cache = tempfile::tempdir().expect("tmp");
    let dir = common::fixtures().join("dep-trust").join(format);
    // The cache is kept per registry: offline runs name the registry too.
    let offline_args = ["--registry", registry.url.as_str(), "--allow-http-registry"];
    let online = [
        "--online",
        "--registry",
        registry.url.as_str(),
        "--allow-http-registry",
    ];

    // Before any online run: nothing cached, nothing said.
    let before = check(&dir, cache.path(), NOW, &offline_args);
    assert_eq!(before.code, 0, "{}", before.snapshot());
    assert!(before.stdout.contains("no findings"), "{}", before.stdout);

    let first = check(&dir, cache.path(), NOW, &online);
    crate::snap!("dep-trust", format!("{format}__online"), first.snapshot());
    assert_eq!(first.code, 1);
    let asked = registry.requests.lock().expect("log").len();
    assert_eq!(asked, 6, "one request per package");

    // Offline, from the cache: the same findings but the one about the package the registry
    // does not have (it was never cached), and no request.
    let offline = check(&dir, cache.path(), NOW, &offline_args);
    assert_eq!(registry.requests.lock().expect("log").len(), asked);
    let lines = |o: &common::Output| -> Vec<String> {
        o.stdout
            .lines()
            .filter(|l| {
                l.starts_with("error[") || l.starts_with("warning[") || l.starts_with("info[")
            })
            .map(str::to_string)
            .collect()
    };
    assert_eq!(lines(&offline), lines(&first));
    assert!(
        !offline.stdout.contains("not cached"),
        "the missing package is known to be missing: {}",
        offline.stdout
    );

    // Online again: every cached document is revalidated, and the registry answers 304.
    let again = check(&dir, cache.path(), NOW, &online);
    assert_eq!(lines(&again), lines(&first));
    let requests = registry.requests.lock().expect("log").clone();
    let revalidated = requests[asked..]
        .iter()
        .filter(|(_, inm)| inm.is_some())
        .count();
    assert_eq!(revalidated, 5, "{requests:?}");

    // Three days on, offline: the fresh release is old enough, and the cache is said to be old.
    let later = check(&dir, cache.path(), "2026-12-04T12:00:00Z", &offline_args);
    assert!(
        !later.stdout.contains("dep-trust/too-new"),
        "{}",
        later.stdout
    );
    assert!(
        later
            .stdout
            .contains("the cached package metadata was fetched"),
        "{}",
        later.stdout
    );
}

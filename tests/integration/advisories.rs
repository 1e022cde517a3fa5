//! The advisories plugin against real OSV records (fixtures/osv: GitHub's reviewed
//! advisories and ossf/malicious-packages, unchanged) read from a folder and from a zip, over
//! the same versions locked in the four lockfile formats.

use std::io::Write;

use crate::common::{self, chainward, output};

/// The instant the runs are judged at.
const NOW: &str = "2026-12-01T12:00:00Z";

fn check(dir: &std::path::Path, extra: &[&str]) -> common::Output {
    let mut cmd = chainward(dir);
    cmd.env("CHAINWARD_NOW", NOW)
        .args(["check", "--select", "advisories"])
        .args(extra)
        .arg(".");
    output(&mut cmd)
}

/// (rule, package) of each finding, in order.
fn verdicts(out: &common::Output) -> Vec<(String, String)> {
    out.stdout
        .lines()
        .filter_map(|l| {
            let (rule, rest) = l.split_once("]: ")?;
            let rule = rule.split_once('[')?.1.to_string();
            let subject = rest.split('`').nth(1).unwrap_or("").to_string();
            Some((rule, subject))
        })
        .collect()
}

/// The record files of fixtures/osv, sorted.
fn osv_records() -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(common::fixtures().join("osv"))
        .expect("osv")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
}

/// fixtures/osv's records as osv.dev's export lays them out: at the top of the archive,
/// deflated.
fn write_osv_zip<W: std::io::Write + std::io::Seek>(into: W) {
    let mut zip = zip::ZipWriter::new(into);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for p in osv_records() {
        zip.start_file(p.file_name().expect("name").to_string_lossy(), options)
            .expect("entry");
        zip.write_all(&std::fs::read(&p).expect("read"))
            .expect("write");
    }
    zip.finish().expect("finish");
}

/// The packages of the version findings, sorted (the database's age left out).
fn subjects(out: &common::Output) -> Vec<String> {
    let mut found: Vec<String> = verdicts(out)
        .into_iter()
        .filter(|(r, _)| r != "advisories/database-stale")
        .map(|(_, s)| s)
        .collect();
    found.sort();
    found
}

#[test]
fn every_lockfile_format_is_judged_from_the_same_records() {
    let expected: Vec<(String, String)> = [
        ("vulnerable-version", "@babel/traverse@8.0.0-alpha.3"),
        ("vulnerable-version", "braces@3.0.2"),
        ("malicious-version", "chalk@5.6.1"),
        ("vulnerable-version", "cookie@0.6.0"),
        ("malicious-version", "debug@4.4.2"),
        ("vulnerable-version", "micromatch@4.0.5"),
        ("vulnerable-version", "request@2.88.2"),
        ("vulnerable-version", "semver@5.7.1"),
        ("vulnerable-version", "semver@7.5.1"),
    ]
    .iter()
    .map(|(r, s)| (format!("advisories/{r}"), s.to_string()))
    .collect();
    for format in ["npm", "pnpm", "yarn", "bun"] {
        let dir = common::fixtures().join("advisories").join(format);
        let out = check(&dir, &["--advisory-db", "../../osv"]);
        crate::snap!("advisories", format, out.snapshot());
        assert_eq!(out.code, 1, "{}", out.stdout);
        let mut found = verdicts(&out);
        // The database's age, said once.
        let stale = found
            .iter()
            .position(|(r, _)| r == "advisories/database-stale")
            .expect("stale");
        found.remove(stale);
        found.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(found, want, "{format}");
        // Unaffected: the fixed side of a range, past `last_affected`, no record at all, and a
        // git copy of a package with a vulnerable name.
        for clean in ["@cypress/request", "minimist", "cookie@0.5.0"] {
            assert!(
                !out.stdout.contains(&format!("`{clean}")),
                "{format} {clean}"
            );
        }
    }
}

#[test]
fn a_zip_reads_as_the_folder_and_an_updated_database_is_not_stale() {
    let work = tempfile::tempdir().expect("tmp");
    // osv.dev's layout: records at the top of the archive, deflated.
    let zip_path = work.path().join("npm.zip");
    write_osv_zip(std::fs::File::create(&zip_path).expect("zip"));
    let project = common::copy_fixture("advisories/npm");
    let folder = check(
        project.path(),
        &[
            "--advisory-db",
            &common::fixtures().join("osv").display().to_string(),
        ],
    );
    let zipped = check(
        project.path(),
        &["--advisory-db", &zip_path.display().to_string()],
    );
    let without_stale = |o: &common::Output| -> Vec<(String, String)> {
        verdicts(o)
            .into_iter()
            .filter(|(r, _)| r != "advisories/database-stale")
            .collect()
    };
    assert_eq!(without_stale(&zipped), without_stale(&folder));
    assert_eq!(without_stale(&zipped).len(), 9);
    // `chainward advisories update` records when it ran, beside the zip: an hour ago is fresh.
    std::fs::write(
        work.path().join("npm.zip.chainward-updated"),
        "2026-12-01T11:00:00Z",
    )
    .expect("write");
    let fresh = check(
        project.path(),
        &["--advisory-db", &zip_path.display().to_string()],
    );
    assert!(!fresh.stdout.contains("database-stale"), "{}", fresh.stdout);
    // Two days later it is stale.
    let mut cmd = chainward(project.path());
    cmd.env("CHAINWARD_NOW", "2026-12-03T12:00:00Z")
        .args([
            "check",
            "--select",
            "advisories/database-stale",
            "--advisory-db",
        ])
        .arg(&zip_path)
        .arg(".");
    let later = output(&mut cmd);
    assert!(
        later
            .stdout
            .contains("was last updated 2026-12-01T11:00:00Z"),
        "{}",
        later.stdout
    );
}

#[test]
fn audit_level_drops_the_grades_below_it_but_never_malware() {
    let project = common::copy_fixture("advisories/npm");
    std::fs::write(
        project.path().join("chainward.toml"),
        "[advisories]\ndb = \"db\"\naudit-level = \"high\"\n",
    )
    .expect("write");
    common::copy_tree(&common::fixtures().join("osv"), &project.path().join("db"));
    let out = check(project.path(), &[]);
    assert_eq!(
        subjects(&out),
        [
            "@babel/traverse@8.0.0-alpha.3",
            "braces@3.0.2",
            "chalk@5.6.1",
            "debug@4.4.2"
        ],
        "{}",
        out.stdout
    );
    // The flag wins over the file, as npm's `--audit-level` does.
    let flag = check(project.path(), &["--audit-level", "critical"]);
    assert_eq!(
        subjects(&flag),
        [
            "@babel/traverse@8.0.0-alpha.3",
            "chalk@5.6.1",
            "debug@4.4.2"
        ],
        "{}",
        flag.stdout
    );
}

#[test]
fn a_projects_config_cannot_point_the_database_outside_the_tree() {
    let project = common::copy_fixture("advisories/npm");
    for (db, why) in [
        ("../db", "must be a path inside the project"),
        ("/etc", "must be a path inside the project"),
        ("nowhere", "no such file or folder"),
    ] {
        std::fs::write(
            project.path().join("chainward.toml"),
            format!("[advisories]\ndb = \"{db}\"\n"),
        )
        .expect("write");
        let out = check(project.path(), &[]);
        assert_eq!(out.code, 2, "{db}: {}", out.snapshot());
        assert!(out.stderr.contains(why), "{db}: {}", out.stderr);
        assert!(
            out.stderr.contains("chainward.toml:2"),
            "{db}: {}",
            out.stderr
        );
    }
    #[cfg(unix)]
    {
        // A link inside the tree to a folder outside it.
        std::os::unix::fs::symlink(
            common::fixtures().join("osv"),
            project.path().join("linked"),
        )
        .expect("link");
        std::fs::write(
            project.path().join("chainward.toml"),
            "[advisories]\ndb = \"linked\"\n",
        )
        .expect("write");
        let out = check(project.path(), &[]);
        assert_eq!(out.code, 2, "{}", out.snapshot());
        assert!(
            out.stderr.contains("must be a path inside the project"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn damaged_records_are_left_out_and_said() {
    let work = tempfile::tempdir().expect("tmp");
    let db = work.path().join("db");
    common::copy_tree(&common::fixtures().join("osv"), &db);
    std::fs::write(db.join("broken.json"), "{\"id\": ").expect("write");
    let project = common::copy_fixture("advisories/npm");
    let out = check(
        project.path(),
        &["--advisory-db", &db.display().to_string()],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("1 record of the advisory database could not be read"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("`debug@4.4.2`"), "{}", out.stdout);
    // A database that is not one: exit 2, nothing checked.
    let bad = check(project.path(), &["--advisory-db", "/nonexistent/osv"]);
    assert_eq!(bad.code, 2, "{}", bad.snapshot());
    assert!(bad.stderr.contains("advisory database"), "{}", bad.stderr);
}

/// OSV ranges as npm's bulk advisory endpoint states them (`vulnerable_versions`), the way
/// GitHub publishes its advisories to npm: `>=X <Y` per range (`<Y` from 0, `<=L` for
/// `last_affected`, `>=X` without an end), exact versions, joined with `||`.
fn npm_range(affected: &serde_json::Value) -> String {
    let mut parts: Vec<String> = affected["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    for range in affected["ranges"].as_array().into_iter().flatten() {
        let mut start: Option<String> = None;
        for event in range["events"].as_array().into_iter().flatten() {
            let lower = |s: &Option<String>| match s.as_deref() {
                None | Some("0") => String::new(),
                Some(v) => format!(">={v} "),
            };
            if let Some(v) = event["introduced"].as_str() {
                start = Some(v.to_string());
            } else if let Some(v) = event["fixed"].as_str() {
                parts.push(format!("{}<{v}", lower(&start)));
                start = None;
            } else if let Some(v) = event["last_affected"].as_str() {
                parts.push(format!("{}<={v}", lower(&start)));
                start = None;
            }
        }
        if let Some(s) = start {
            parts.push(if s == "0" {
                "*".into()
            } else {
                format!(">={s}")
            });
        }
    }
    parts.join(" || ")
}

/// `npm audit --json --package-lock-only` against a loopback registry whose
/// `/-/npm/v1/security/advisories/bulk` serves the same OSV records in npm's format: on the
/// hand-made lockfile (every record) and on exa-mcp-server's real one, npm and chainward name
/// the same (package, version, advisory) triples. One difference is by design: npm audits a git
/// dependency by the version its package.json states (the git copy of `cookie` here); chainward
/// does not judge another source's code by the registry package's advisories.
#[test]
fn verdicts_agree_with_npm_audit() {
    use std::collections::{BTreeMap, BTreeSet};
    let records: Vec<serde_json::Value> = {
        osv_records()
            .iter()
            .map(|p| {
                serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json")
            })
            .collect()
    };
    // name → npm's advisories for it; the numeric id maps back to the OSV id through the URL.
    let mut bulk: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    let mut boundaries: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        let id = record["id"].as_str().expect("id");
        let malicious = id.starts_with("MAL-");
        let severity = if malicious {
            "critical".to_string()
        } else {
            record["database_specific"]["severity"]
                .as_str()
                .unwrap_or("moderate")
                .to_ascii_lowercase()
        };
        for affected in record["affected"].as_array().expect("affected") {
            let name = affected["package"]["name"]
                .as_str()
                .expect("name")
                .to_string();
            for event in affected["ranges"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r["events"].as_array().into_iter().flatten())
            {
                for v in event.as_object().into_iter().flat_map(|o| o.values()) {
                    if let Some(v) = v.as_str().filter(|v| *v != "0") {
                        boundaries
                            .entry(name.clone())
                            .or_default()
                            .insert(v.to_string());
                    }
                }
            }
            // One advisory per package: a record's entries for the same package are one range.
            let entries = bulk.entry(name).or_default();
            match entries.iter_mut().find(|e| e["id"] == i + 1) {
                Some(e) => {
                    let joined = format!(
                        "{} || {}",
                        e["vulnerable_versions"].as_str().unwrap_or(""),
                        npm_range(affected)
                    );
                    e["vulnerable_versions"] = serde_json::json!(joined);
                }
                None => entries.push(serde_json::json!({
                    "id": i + 1,
                    "url": format!("https://osv.dev/vulnerability/{id}"),
                    "title": record["summary"],
                    "severity": severity,
                    "vulnerable_versions": npm_range(affected),
                    "cwe": [],
                    "cvss": {"score": 0, "vectorString": null},
                })),
            }
        }
    }
    for case in ["npm", "exa-mcp-server"] {
        let project = common::copy_fixture(&format!("advisories/{case}"));
        let lock: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(project.path().join("package-lock.json")).expect("lock"),
        )
        .expect("json");
        // Every version the lockfile holds, by name: the documents npm reads to tell which
        // installed versions an advisory covers.
        let mut locked: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (key, entry) in lock["packages"].as_object().expect("packages") {
            let name = entry["name"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| key.rsplit("node_modules/").next().unwrap_or("").to_string());
            if let Some(v) = entry["version"].as_str() {
                locked.entry(name).or_default().insert(v.to_string());
            }
        }
        let bulk = bulk.clone();
        let boundaries = boundaries.clone();
        let addr = crate::common::serve_with_body(move |method, path, headers, body| {
            if method == "POST" && path == "/-/npm/v1/security/advisories/bulk" {
                let gzipped = headers
                    .iter()
                    .any(|(k, v)| k == "content-encoding" && v == "gzip");
                let body = if gzipped {
                    let mut out = Vec::new();
                    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut out)
                        .expect("gzip");
                    out
                } else {
                    body.to_vec()
                };
                let asked: serde_json::Value = serde_json::from_slice(&body).expect("bulk json");
                let answer: serde_json::Map<String, serde_json::Value> = asked
                    .as_object()
                    .expect("object")
                    .keys()
                    .filter_map(|n| Some((n.clone(), serde_json::json!(bulk.get(n)?))))
                    .collect();
                return (
                    "200 OK",
                    vec![("Content-Type".into(), "application/json".into())],
                    serde_json::to_vec(&answer).expect("json"),
                );
            }
            let name = path
                .trim_start_matches('/')
                .replace("%2f", "/")
                .replace("%2F", "/");
            let versions: BTreeSet<String> = locked
                .get(&name)
                .into_iter()
                .flatten()
                .chain(boundaries.get(&name).into_iter().flatten())
                .cloned()
                .collect();
            if versions.is_empty() {
                return ("404 Not Found", vec![], b"{}".to_vec());
            }
            let doc = serde_json::json!({
                "name": name,
                "versions": versions.iter().map(|v| (v.clone(), serde_json::json!({"name": name, "version": v}))).collect::<serde_json::Map<_, _>>(),
            });
            (
                "200 OK",
                vec![("Content-Type".into(), "application/json".into())],
                serde_json::to_vec(&doc).expect("json"),
            )
        });
        let home = tempfile::tempdir().expect("home");
        let out = std::process::Command::new("npm")
            .current_dir(project.path())
            .env("HOME", home.path())
            .env("npm_config_cache", home.path().join("cache"))
            .args([
                "audit",
                "--json",
                "--package-lock-only",
                "--userconfig",
                "/dev/null",
            ])
            .arg(format!("--registry=http://{addr}/"))
            .output()
            .expect("npm runs");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{case}: npm audit: {e}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let mut npm: BTreeSet<(String, String, String)> = BTreeSet::new();
        for (name, vuln) in report["vulnerabilities"]
            .as_object()
            .expect("vulnerabilities")
        {
            let advisories: Vec<&str> = vuln["via"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v["url"].as_str())
                .map(|u| u.rsplit('/').next().unwrap_or(""))
                .collect();
            if advisories.is_empty() {
                continue; // vulnerable only through a dependency
            }
            assert_eq!(
                advisories.len(),
                1,
                "{case}: one advisory per package here: {vuln}"
            );
            for node in vuln["nodes"].as_array().expect("nodes") {
                let key = node.as_str().expect("node");
                // npm audits a git dependency by the version its package.json states; chainward
                // does not judge another source's code by the registry package's advisories.
                if lock["packages"][key]["resolved"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("git+"))
                {
                    continue;
                }
                let version = lock["packages"][key]["version"].as_str().expect("version");
                npm.insert((name.clone(), version.to_string(), advisories[0].to_string()));
            }
        }
        let ours: BTreeSet<(String, String, String)> = common::findings_json(
            project.path(),
            &[
                "check",
                "--select",
                "advisories/malicious-version,advisories/vulnerable-version",
                "--advisory-db",
                &common::fixtures().join("osv").display().to_string(),
            ],
        )
        .iter()
        .filter_map(|f| {
            let message = f["message"].as_str()?;
            let subject = message.split('`').nth(1)?;
            let (name, version) = subject.rsplit_once('@')?;
            let rest = message
                .split_once("affected by ")
                .or_else(|| message.split_once("malicious ("))?
                .1;
            let id = rest.split([' ', ':', ')']).next()?;
            Some((name.to_string(), version.to_string(), id.to_string()))
        })
        .collect();
        assert!(!npm.is_empty(), "{case}: npm found nothing: {report}");
        assert_eq!(ours, npm, "{case}");
        // Every record on the hand-made lockfile (semver twice); semver@7.3.5 on exa-mcp-server's.
        let expected = if case == "npm" { 9 } else { 1 };
        assert_eq!(npm.len(), expected, "{case}: {npm:?}");
    }
}

/// The database is indexed once, under the cache folder, and read back from the index while
/// it is unchanged; a changed record makes a new index.
#[test]
fn the_index_is_kept_and_rebuilt_when_the_database_changes() {
    let work = tempfile::tempdir().expect("tmp");
    let db = work.path().join("osv");
    common::copy_tree(&common::fixtures().join("osv"), &db);
    let cache = work.path().join("cache");
    let project = common::copy_fixture("advisories/npm");
    let args = [
        "--advisory-db",
        &db.display().to_string(),
        "--cache-dir",
        &cache.display().to_string(),
    ]
    .map(str::to_string);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let first = check(project.path(), &args);
    let index_dir = cache.join("advisories/index");
    let mut indexes: Vec<_> = std::fs::read_dir(&index_dir)
        .expect("index written")
        .flatten()
        .map(|e| e.path())
        .collect();
    indexes.sort();
    assert_eq!(indexes.len(), 2, "a body and a head: {indexes:?}");
    // What the next run reports comes from the index (marked here, the same length so that the
    // head's offsets stay right), not the records.
    let body = &indexes[0];
    let text = std::fs::read_to_string(body).expect("index");
    assert!(text.contains("Malicious code in debug (npm)"));
    std::fs::write(
        body,
        text.replace(
            "Malicious code in debug (npm)",
            "Read from the index now (npm)",
        ),
    )
    .expect("write");
    let second = check(project.path(), &args);
    assert!(
        second.stdout.contains("Read from the index now (npm)"),
        "{}",
        second.stdout
    );
    // A record changes: the index is built again.
    let record = db.join("MAL-2025-46974.json");
    let mut bytes = std::fs::read(&record).expect("record");
    bytes.extend_from_slice(b"\n");
    std::fs::write(&record, bytes).expect("write");
    let third = check(project.path(), &args);
    assert_eq!(third.stdout, first.stdout);
    // One index per database: the old one is gone.
    assert_eq!(std::fs::read_dir(&index_dir).expect("index").count(), 2);
}

/// `chainward advisories update` downloads the export into the cache (from a loopback server
/// here), records when, revalidates with the ETag; `check` then reads it from the cache.
#[test]
fn update_downloads_the_database_into_the_cache_and_check_reads_it() {
    use std::sync::{Arc, Mutex};
    let mut zip_bytes = Vec::new();
    write_osv_zip(std::io::Cursor::new(&mut zip_bytes));
    let asked = Arc::new(Mutex::new(Vec::<Option<String>>::new()));
    let log = Arc::clone(&asked);
    let addr = common::serve_with_headers(move |_, path, headers| {
        let inm = headers
            .iter()
            .find(|(k, _)| k == "if-none-match")
            .map(|(_, v)| v.clone());
        log.lock().expect("log").push(inm.clone());
        if path != "/npm/all.zip" {
            return ("404 Not Found", vec![], Vec::new());
        }
        if inm.as_deref() == Some("\"v1\"") {
            return (
                "304 Not Modified",
                vec![("ETag".into(), "\"v1\"".into())],
                Vec::new(),
            );
        }
        (
            "200 OK",
            vec![
                ("Content-Type".into(), "application/zip".into()),
                ("ETag".into(), "\"v1\"".into()),
            ],
            zip_bytes.clone(),
        )
    });
    let url = format!("http://{addr}/npm/all.zip");
    let cache = tempfile::tempdir().expect("cache");
    let project = common::copy_fixture("advisories/npm");
    let update = |extra: &[&str]| {
        let mut cmd = chainward(project.path());
        cmd.env("CHAINWARD_NOW", NOW)
            .args(["advisories", "update", "--url", &url, "--cache-dir"])
            .arg(cache.path())
            .args(extra);
        output(&mut cmd)
    };
    // Plain http only when asked for.
    let refused = update(&[]);
    assert_eq!(refused.code, 2, "{}", refused.snapshot());
    assert!(refused.stderr.contains("only https"), "{}", refused.stderr);
    assert!(asked.lock().expect("log").is_empty());

    let first = update(&["--allow-http"]);
    assert_eq!(first.code, 0, "{}", first.snapshot());
    assert!(first.stdout.contains("downloaded"), "{}", first.stdout);
    let zip_path = cache.path().join("advisories/npm.zip");
    assert!(zip_path.is_file());
    assert_eq!(
        std::fs::read_to_string(cache.path().join("advisories/npm.zip.chainward-updated"))
            .expect("updated")
            .trim(),
        "2026-12-01T12:00:00Z"
    );
    // check reads the cached database, fresh.
    let out = check(
        project.path(),
        &["--cache-dir", &cache.path().display().to_string()],
    );
    assert!(out.stdout.contains("`debug@4.4.2`"), "{}", out.stdout);
    assert!(!out.stdout.contains("database-stale"), "{}", out.stdout);

    // Again: revalidated with the ETag, not downloaded again.
    let again = update(&["--allow-http"]);
    assert_eq!(again.code, 0, "{}", again.snapshot());
    assert!(again.stdout.contains("is up to date"), "{}", again.stdout);
    assert_eq!(
        asked
            .lock()
            .expect("log")
            .last()
            .cloned()
            .flatten()
            .as_deref(),
        Some("\"v1\"")
    );
}

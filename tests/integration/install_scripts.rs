//! install-scripts: the inventory agrees across formats and with npm's own record, and
//! approvals without reasons are config errors naming the line.

use std::collections::BTreeSet;

use crate::common::{copy_fixture, fixtures, run};

/// The packages reported as running unapproved install scripts in a copy of a fixture.
fn reported(case: &str) -> BTreeSet<String> {
    let tmp = copy_fixture(&format!("install-scripts/{case}"));
    unapproved_in(tmp.path())
}

#[test]
fn the_inventory_equals_npms_record_on_every_format() {
    let lock: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("install-scripts/npm/package-lock.json"))
            .expect("lockfile"),
    )
    .expect("json");
    let recorded: BTreeSet<String> = lock["packages"]
        .as_object()
        .expect("packages")
        .iter()
        // The root entry records the project's own scripts; those are another rule's.
        .filter(|(k, p)| k.starts_with("node_modules/") && p["hasInstallScript"] == true)
        .map(|(k, _)| {
            k.rsplit_once("node_modules/")
                .map_or(k.as_str(), |(_, n)| n)
                .to_string()
        })
        .collect();
    assert_eq!(recorded.len(), 6, "{recorded:?}");
    // npm: from `hasInstallScript`; pnpm 9 and yarn 1: from the installed package.json files.
    for case in ["npm", "pnpm", "yarn"] {
        assert_eq!(reported(case), recorded, "{case}");
    }
    // Every approval kind settles its package; nothing is left unapproved.
    assert!(reported("approved").is_empty());
}

#[test]
fn approvals_need_a_reason_and_a_valid_range() {
    for (toml, line, needle) in [
        (
            "[[install-scripts.allow]]\npackage = \"esbuild\"\n",
            1,
            "has no `reason`",
        ),
        (
            "# ok\n[[install-scripts.allow]]\npackage = \"esbuild\"\nreason = \"  \"\n",
            4,
            "empty `reason`",
        ),
        (
            "[[install-scripts.allow]]\npackage = \"esbuild\"\nversion = \"^^1\"\nreason = \"x\"\n",
            3,
            "not a valid semver range",
        ),
        (
            "[[install-scripts.allow]]\npackage = \"esbuild\"\nreason = \"x\"\nscope = \"dev\"\n",
            4,
            "unknown key `scope`",
        ),
    ] {
        let tmp = copy_fixture("install-scripts/npm");
        std::fs::write(tmp.path().join("chainward.toml"), toml).expect("write");
        let out = run(tmp.path(), &["check", "."]);
        assert_eq!(out.code, 2, "{toml}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!("chainward.toml:{line}:")) && out.stderr.contains(needle),
            "{toml}: {}",
            out.stderr
        );
    }
}

/// `--base`: a dependency that gains a postinstall between two commits is reported, and
/// nothing else is, although every line after it moved.
#[test]
fn base_reports_exactly_the_dependency_that_gained_a_script() {
    let tmp = copy_fixture("install-scripts/npm");
    let dir = tmp.path();
    let repo = crate::common::GitRepo::init(dir);
    repo.commit_all("base");
    let lock_path = dir.join("package-lock.json");
    let text = std::fs::read_to_string(&lock_path).expect("lockfile");
    let anchor = "\"node_modules/ms\": {\n";
    assert_eq!(text.matches(anchor).count(), 1);
    let changed = text.replace(
        anchor,
        &format!("{anchor}      \"hasInstallScript\": true,\n"),
    );
    std::fs::write(&lock_path, changed).expect("write");
    repo.commit_all("ms gains a postinstall");

    let out = run(dir, &["check", "--base", "HEAD~1", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let found: Vec<(String, String)> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let rules: Vec<&str> = found.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        rules,
        [
            "install-scripts/new-install-script",
            "install-scripts/unapproved-install-script"
        ],
        "{found:#?}"
    );
    assert!(
        found.iter().all(|(_, m)| m.contains("`ms@2.1.3`")),
        "{found:#?}"
    );
    assert!(
        found[0]
            .1
            .contains("at the base revision, ms@2.1.3 did not"),
        "{found:#?}"
    );

    // Without --base, everything is reported; against HEAD itself, nothing.
    let all = run(dir, &["check", "--format", "json", "."]);
    let all: serde_json::Value = serde_json::from_str(&all.stdout).expect("json");
    assert!(all["findings"].as_array().expect("findings").len() > 5);
    let none = run(dir, &["check", "--base", "HEAD", "."]);
    assert_eq!(none.code, 0, "{}", none.stdout);
    // A ref that names nothing is a usage error.
    let bad = run(dir, &["check", "--base", "no-such-ref", "."]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("no-such-ref"), "{}", bad.stderr);
}

/// `chainward install-scripts --list`: the inventory with the allowlist that settles each
/// package (table), and as JSON.
#[test]
fn list_prints_the_inventory_with_its_approvals() {
    let tmp = copy_fixture("install-scripts/approved");
    let table = run(tmp.path(), &["install-scripts", "--list", "."]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    crate::snap!("install-scripts", "list__approved", table.snapshot());

    let tmp = copy_fixture("install-scripts/pnpm");
    let json = run(
        tmp.path(),
        &["install-scripts", "--list", "--format", "json", "."],
    );
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let rows = rows.as_array().expect("rows");
    let scripted = rows
        .iter()
        .filter(|r| r["scripts"].as_str().is_some_and(|s| s.starts_with("yes")))
        .count();
    assert_eq!(scripted, 6);
    assert_eq!(rows.len() - scripted, 41, "unknown offline");
    assert!(rows.iter().all(|r| r["approved_by"].is_null()));

    let misuse = run(tmp.path(), &["check", "--list", "."]);
    assert_eq!(misuse.code, 2);
}

/// The packages `install-scripts/unapproved-install-script` reports in `dir`.
fn unapproved_in(dir: &std::path::Path) -> BTreeSet<String> {
    crate::common::findings(
        dir,
        &[
            "install-scripts",
            "--select",
            "install-scripts/unapproved-install-script",
        ],
        "message",
    )
    .iter()
    .filter_map(|message| {
        let quoted = message.split('`').nth(1)?;
        let at = quoted[1..].find('@')? + 1;
        Some(quoted[..at].to_string())
    })
    .collect()
}

/// `chainward allow-script`: the diff of each allowlist edit (snapshot), the edit applied is
/// that diff, it approves the package (the finding goes away), and a second run changes nothing.
#[test]
fn allow_script_edits_each_allowlist_in_place() {
    /// (fixture, a file to create first, arguments, the package it approves)
    type Case<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [&'a str], &'a str);
    let cases: &[Case<'_>] = &[
        (
            "npm",
            Some((
                "chainward.toml",
                "# Supply-chain policy.\n[pin-check]\npeer-dependencies = false # strict\n\n[[install-scripts.allow]]\npackage = \"esbuild\"   # the bundler\nversion = \"^0.21\"\nreason = \"platform binary, checksummed\"\n\n[npm-ci]\n",
            )),
            &[
                "sharp@^0.33",
                "--reason",
                "libvips binary; checksums verified by sharp's install",
            ],
            "sharp",
        ),
        ("npm", None, &["esbuild", "--in", "npm"], "esbuild"),
        ("pnpm", None, &["esbuild", "--in", "pnpm"], "esbuild"),
        (
            "pnpm",
            Some((
                "pnpm-workspace.yaml",
                "packages:\n  - '.'\n# builds we trust\nonlyBuiltDependencies:\n  - sharp # libvips\n\nsettings:\n  a: 1\n",
            )),
            &["protobufjs", "--in", "pnpm"],
            "protobufjs",
        ),
        ("yarn", None, &["esbuild", "--in", "yarn"], "esbuild"),
        ("yarn", None, &["esbuild", "--in", "bun"], "esbuild"),
    ];
    let mut snaps: std::collections::BTreeMap<&str, String> = Default::default();
    for (fixture, extra, args, package) in cases {
        let tmp = copy_fixture(&format!("install-scripts/{fixture}"));
        let dir = tmp.path();
        if let Some((name, text)) = extra {
            std::fs::write(dir.join(name), text).expect("write");
        }
        let before = unapproved_in(dir);
        let mut with_diff = vec!["allow-script"];
        with_diff.extend_from_slice(args);
        with_diff.push("--diff");
        let diff = run(dir, &with_diff);
        assert_eq!(diff.code, 0, "{args:?}: {}", diff.stderr);
        let snap = snaps.entry(fixture).or_default();
        snap.push_str(&format!(
            "$ chainward {}\n{}",
            with_diff.join(" "),
            diff.stdout
        ));
        // `--diff` wrote nothing.
        assert_eq!(unapproved_in(dir), before);

        with_diff.pop();
        let applied = run(dir, &with_diff);
        assert_eq!(applied.code, 0, "{args:?}: {}", applied.stderr);
        assert!(applied.stderr.contains("Approved `"), "{}", applied.stderr);
        let after = unapproved_in(dir);
        assert!(before.contains(*package), "{args:?}: {before:?}");
        assert!(
            !after.contains(*package),
            "{args:?} still unapproved: {after:?}"
        );
        let mut expected = before.clone();
        expected.remove(*package);
        assert_eq!(after, expected, "{args:?}: only {package} changed");

        // Idempotent: the same command again changes nothing.
        let files = |dir: &std::path::Path| -> Vec<(String, String)> {
            ["package.json", "chainward.toml", "pnpm-workspace.yaml"]
                .iter()
                .filter_map(|n| Some((n.to_string(), std::fs::read_to_string(dir.join(n)).ok()?)))
                .collect()
        };
        let written = files(dir);
        let again = run(dir, &with_diff);
        assert_eq!(again.code, 0);
        assert!(
            again.stderr.contains("already approved"),
            "{}",
            again.stderr
        );
        assert_eq!(files(dir), written);
    }
    for (fixture, text) in snaps {
        crate::snap!("install-scripts", format!("allow_script__{fixture}"), text);
    }
}

/// Bad requests and bad files: exit 2, a message that names the problem (and the file and
/// line), and nothing written.
#[test]
fn allow_script_refuses_bad_input_without_writing() {
    let tmp = copy_fixture("install-scripts/npm");
    let dir = tmp.path();
    let cases: &[(&[&str], &str)] = &[
        (&["esbuild"], "carries a reason"),
        (&["esbuild", "--reason", "  "], "carries a reason"),
        (
            &["esbuild@^^1", "--reason", "x"],
            "not a valid semver range",
        ),
        (
            &["Not A Name", "--reason", "x"],
            "not a valid npm package name",
        ),
        (&["left-pad", "--in", "npm"], "not in the lockfile"),
        (&["esbuild@1", "--in", "bun"], "names only"),
    ];
    for (args, needle) in cases {
        let mut full = vec!["allow-script"];
        full.extend_from_slice(args);
        let out = run(dir, &full);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
        assert!(!dir.join("chainward.toml").exists());
    }
    let pristine = std::fs::read_to_string(dir.join("package.json")).expect("read");
    std::fs::write(
        dir.join("package.json"),
        "{\n  \"name\": \"x\",\n  \"a\": [1,\n}\n",
    )
    .expect("write");
    let out = run(dir, &["allow-script", "esbuild@0.21.5", "--in", "yarn"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("package.json:4:"), "{}", out.stderr);
    std::fs::write(dir.join("package.json"), &pristine).expect("write");

    std::fs::write(
        dir.join("chainward.toml"),
        "[[install-scripts.allow]]\npackage = 3\n",
    )
    .expect("write");
    let out = run(dir, &["allow-script", "esbuild", "--reason", "x"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("chainward.toml:"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("chainward.toml")).expect("read"),
        "[[install-scripts.allow]]\npackage = 3\n"
    );
}

/// `install-scripts --list --format json` rows as `name@version` → scripts.
fn inventory_rows(dir: &std::path::Path, extra: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["install-scripts", "--list", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(".");
    let out = run(dir, &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                format!(
                    "{}@{}",
                    r["name"].as_str().unwrap_or_default(),
                    r["version"].as_str().unwrap_or_default()
                ),
                r["scripts"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `--online`: the registry's version documents (recorded, served on loopback) settle what the
/// lockfile does not record. On the npm v1 lockfile the result is exactly the `hasInstallScript`
/// set npm wrote into the v3 lockfile of the same packages; a second run is served from the
/// cache without one request; what the registry lacks stays unknown and is reported as such.
#[test]
fn online_fills_the_inventory_from_the_registry_through_the_cache() {
    let server = crate::common::RegistryServer::start(&[]);
    let cache = tempfile::tempdir().expect("cache dir");
    let cache_dir = cache.path().to_str().expect("utf-8 path");
    let online = [
        "--online",
        "--allow-http-registry",
        "--registry",
        &server.url,
        "--cache-dir",
        cache_dir,
    ];

    let tmp = copy_fixture("install-scripts/npm-v1");
    let offline = inventory_rows(tmp.path(), &[]);
    assert_eq!(offline.len(), 202);
    assert!(offline.iter().all(|(_, s)| s == "unknown"));

    let rows = inventory_rows(tmp.path(), &online);
    assert!(rows.iter().all(|(_, s)| s.starts_with("yes")), "{rows:#?}");
    let found: BTreeSet<String> = rows.iter().map(|(p, _)| p.clone()).collect();
    let v3: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("install-scripts/npm/package-lock.json"))
            .expect("lockfile"),
    )
    .expect("json");
    let expected: BTreeSet<String> = v3["packages"]
        .as_object()
        .expect("packages")
        .iter()
        .filter(|(k, p)| !k.is_empty() && p["hasInstallScript"] == true)
        .map(|(k, p)| {
            let name = k.rsplit("node_modules/").next().unwrap_or_default();
            format!("{name}@{}", p["version"].as_str().unwrap_or_default())
        })
        .collect();
    assert_eq!(expected.len(), 6);
    assert_eq!(found, expected);
    assert!(
        rows.iter()
            .all(|(_, s)| s.contains("in the registry's version document")),
        "{rows:#?}"
    );
    assert_eq!(server.served(), 202, "each package asked once");

    // The response cache: the same answers, no request.
    assert_eq!(inventory_rows(tmp.path(), &online), rows);
    assert_eq!(server.served(), 202);

    // pnpm 9 with its installed copies: only the uninstalled packages are asked about.
    let tmp = copy_fixture("install-scripts/pnpm");
    let fresh = tempfile::tempdir().expect("cache dir");
    let fresh_dir = fresh.path().to_str().expect("utf-8 path");
    let before = server.served();
    let rows = inventory_rows(
        tmp.path(),
        &[
            "--online",
            "--allow-http-registry",
            "--registry",
            &server.url,
            "--cache-dir",
            fresh_dir,
        ],
    );
    assert_eq!(server.served() - before, 41);
    assert_eq!(rows.len(), 6, "{rows:#?}");
    assert!(rows.iter().all(|(_, s)| s.contains("in the installed")));

    // A registry that lacks a package: it stays unknown, and the finding and note say so.
    let partial = crate::common::RegistryServer::start(&["tslib"]);
    let empty = tempfile::tempdir().expect("cache dir");
    let out = run(
        tmp.path(),
        &[
            "install-scripts",
            "--online",
            "--allow-http-registry",
            "--registry",
            &partial.url,
            "--cache-dir",
            empty.path().to_str().expect("utf-8 path"),
            "--verbose",
            "--format",
            "json",
            ".",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let incomplete: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "install-scripts/inventory-incomplete")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(incomplete.len(), 1, "{incomplete:?}");
    assert!(incomplete[0].starts_with("1 of "), "{incomplete:?}");
    assert!(
        incomplete[0].contains("registry could not be asked"),
        "{incomplete:?}"
    );
    assert!(
        out.stderr.contains("tslib@2.9.1: not in the registry"),
        "{}",
        out.stderr
    );

    // `--registry` without `--online` only says whose cached metadata is read: nothing is
    // asked. A bad URL is a usage error.
    let served = server.served();
    let offline = run(
        tmp.path(),
        &[
            "check",
            "--allow-http-registry",
            "--registry",
            &server.url,
            ".",
        ],
    );
    assert_ne!(offline.code, 2, "{}", offline.stderr);
    assert_eq!(server.served(), served);
    let bad = run(
        tmp.path(),
        &[
            "check",
            "--online",
            "--allow-http-registry",
            "--registry",
            "ftp://x",
            ".",
        ],
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("not an http(s) URL"), "{}", bad.stderr);
}

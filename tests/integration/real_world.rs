//! Causes found on real repositories (issue 16): each test is a minimized tree with the verdict
//! the package manager (or a reader, where it cannot judge) gives, asserted end to end.

use std::path::Path;

use crate::common::*;

/// A lockfile that .gitignore matches but git tracks (force-added) is what CI checks out and
/// installs from: it is checked like any other (before, the walk skipped it), and it is not
/// "git-ignored, never committed".
#[test]
fn a_tracked_lockfile_is_checked_even_when_gitignore_matches_it() {
    let tmp = copy_fixture("pin-check/ranges");
    let dir = tmp.path();
    let lock = std::fs::read_to_string(dir.join("package-lock.json")).expect("read");
    std::fs::write(
        dir.join("package-lock.json"),
        lock.replace(
            "https://registry.npmjs.org/ms/",
            "http://registry.npmjs.org/ms/",
        ),
    )
    .expect("write");
    std::fs::write(dir.join(".gitignore"), "package-lock.json\n").expect("write");
    commit_all(dir, &[".gitignore", "package.json", "package-lock.json"]);
    let found = rules_and_paths(dir, &["check"]);
    assert!(
        found.contains(&(
            "npm-ci/insecure-protocol".into(),
            "package-lock.json".into()
        )),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(r, _)| r == "npm-ci/lockfile-not-committed"),
        "{found:?}"
    );
    // Untracked and ignored: not checked, and reported as never committed.
    std::fs::remove_dir_all(dir.join(".git")).expect("rm .git");
    commit_all(dir, &[".gitignore", "package.json"]);
    let found = rules_and_paths(dir, &["check"]);
    assert!(
        !found.iter().any(|(r, _)| r == "npm-ci/insecure-protocol"),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            "npm-ci/lockfile-not-committed".into(),
            "package-lock.json".into()
        )),
        "{found:?}"
    );
}

/// A checkout without `.git/index` (libgit2 then reads an empty index): not "every lockfile is
/// untracked", but one note that it could not be told.
#[test]
fn a_missing_git_index_is_said_once_not_blamed_on_every_lockfile() {
    let tmp = copy_fixture("pin-check/ranges");
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
    for f in ["package.json", "package-lock.json"] {
        std::fs::copy(dir.join(f), dir.join("sub").join(f)).expect("copy");
    }
    commit_all(
        dir,
        &[
            "package.json",
            "package-lock.json",
            "sub/package.json",
            "sub/package-lock.json",
        ],
    );
    assert!(
        !rules_and_paths(dir, &["check"])
            .iter()
            .any(|(r, _)| r == "npm-ci/lockfile-not-committed")
    );
    std::fs::remove_file(dir.join(".git/index")).expect("rm index");
    let found = rules_and_paths(dir, &["check"]);
    assert!(
        !found
            .iter()
            .any(|(r, _)| r == "npm-ci/lockfile-not-committed"),
        "{found:?}"
    );
    let out = run(dir, &["check", "-v", "."]);
    let notes = out
        .stderr
        .lines()
        .filter(|l| l.contains("index (.git/index) is missing"))
        .count();
    assert_eq!(notes, 1, "{}", out.stderr);
}

/// Test-data folders (npm/cli keeps hundreds of deliberately broken lockfiles under
/// `test/fixtures`) are not checked below the scanned root; `-v` says so once, and
/// `[files] include` brings a folder back.
#[test]
fn test_data_folders_are_left_out_unless_included() {
    let tmp = copy_fixture("pin-check/clean");
    let dir = tmp.path();
    for case in [
        "test/fixtures/broken",
        "workspaces/a/test/__fixtures__/x",
        "testdata/y",
    ] {
        std::fs::create_dir_all(dir.join(case)).expect("mkdir");
        std::fs::write(dir.join(case).join("package-lock.json"), "{ broken").expect("write");
        std::fs::write(
            dir.join(case).join("package.json"),
            "{\"dependencies\": {\"a\": \"^1\"}}",
        )
        .expect("write");
    }
    let found = rules_and_paths(dir, &["check"]);
    assert!(
        !found
            .iter()
            .any(|(_, p)| p.contains("fixtures") || p.contains("testdata")),
        "{found:?}"
    );
    let out = run(dir, &["check", "-v", "."]);
    assert!(
        out.stderr.contains("note: 3 test-data folders not checked"),
        "{}",
        out.stderr
    );
    std::fs::write(
        dir.join("chainward.toml"),
        "[files]\ninclude = [\"test/fixtures/broken/**\"]\n",
    )
    .expect("config");
    let found = rules_and_paths(dir, &["check"]);
    assert!(
        found.contains(&(
            "chainward/parse-error".into(),
            "test/fixtures/broken/package-lock.json".into()
        )),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(_, p)| p.contains("__fixtures__")),
        "{found:?}"
    );
}

/// Messages of every finding of `rule`.
fn messages(dir: &Path, rule: &str) -> Vec<String> {
    findings_json(dir, &["check"])
        .iter()
        .filter(|f| f["rule"] == rule)
        .filter_map(|f| f["message"].as_str().map(str::to_string))
        .collect()
}

/// pnpm/pnpm's lockfile as pnpm 11.9.0 wrote it: two YAML documents (pnpm's own
/// `packageManagerDependencies` and config dependencies first), catalog-valued overrides, the
/// `devEngines.runtime` node dependency with one integrity per platform. pnpm 11.9.0's frozen
/// install accepts it (README); so does chainward, and its SBOM is the second document's.
#[test]
fn pnpm11_two_document_lockfile_is_in_sync() {
    let tmp = copy_fixture("real-world/pnpm11-two-documents");
    let dir = tmp.path();
    for rule in [
        "npm-ci/lockfile-out-of-sync",
        "npm-ci/missing-integrity",
        "chainward/parse-error",
    ] {
        assert_eq!(messages(dir, rule), Vec::<String>::new(), "{rule}");
    }
    let names = sbom_names(dir);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert!(names.contains(&"graceful-fs"), "{names:?}");
    assert!(
        !names.contains(&"@pnpm/exe") && !names.contains(&"@pnpm/pacquet"),
        "pnpm's own document is not the project's: {names:?}"
    );
    assert!(names.len() > 40, "{}", names.len());
}

/// pnpm writes a multi-line string as a literal block scalar (q's `deprecated: |-`, with a
/// blank line in it) and a no-break space as `\_` (react-highcharts' peer ranges). pnpm 9.15.9's
/// frozen install accepts the lockfile (README); chainward reads it whole, without a parse error
/// or an out-of-sync finding, with the fast reader (a unit test in chainward-core: the whole file
/// went to the full YAML parser before, four times slower on pnpm's benchmark lockfile).
#[test]
fn pnpm_block_scalars_and_escapes_are_read() {
    let tmp = copy_fixture("real-world/pnpm-block-scalar-and-escapes");
    let dir = tmp.path();
    for rule in ["npm-ci/lockfile-out-of-sync", "chainward/parse-error"] {
        assert_eq!(messages(dir, rule), Vec::<String>::new(), "{rule}");
    }
    let names = sbom_names(dir);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    for name in ["q", "react-highcharts", "highcharts"] {
        assert!(names.contains(&name), "{name}: {names:?}");
    }
}

/// entur/gha-api's workflow uses its own actions with GitHub's self-repository syntax
/// (`uses: $/.github/actions/setup-spectral`): pinned to the running commit by GitHub, not an
/// unpinned action (the tag-pinned `actions/*` beside them still are).
#[test]
fn self_repository_uses_are_not_unpinned_actions() {
    let tmp = copy_fixture("real-world/uses-self-repository");
    let found = messages(tmp.path(), "pin-check/unpinned-action");
    assert!(!found.is_empty());
    assert!(!found.iter().any(|m| m.contains("$/")), "{found:?}");
}

/// A bun project whose only lockfile is the binary bun.lockb (bun 1.4.5's frozen install
/// accepts it): covered, so not "missing", but said to be unread.
#[test]
fn a_binary_bun_lockfile_is_reported_as_unread() {
    let tmp = copy_fixture("real-world/bun-lockb-only");
    let dir = tmp.path();
    assert_eq!(
        messages(dir, "npm-ci/missing-lockfile"),
        Vec::<String>::new()
    );
    let unread = messages(dir, "npm-ci/unreadable-lockfile");
    assert_eq!(unread.len(), 1, "{unread:?}");
    crate::snap!(
        "cli",
        "real_world__bun_lockb_only",
        run(dir, &["npm-ci", "."]).snapshot()
    );
}

/// A package.json below a workspace root that the root's `workspaces` globs leave out is not
/// covered by the root's lockfile (`npm ci` there fails); together with other package.json files
/// no install reads (examples, templates), it is said once, not file by file. The root and
/// members are judged as before. (fixtures/npm-ci/workspace-non-members, lockfile by npm.)
#[test]
fn package_json_files_no_install_reads_are_summarized_once() {
    let tmp = copy_fixture("npm-ci/workspace-non-members");
    let dir = tmp.path();
    let found: Vec<(String, String)> = rules_and_paths(dir, &["check"])
        .into_iter()
        .filter(|(r, _)| r == "npm-ci/missing-lockfile")
        .collect();
    assert_eq!(
        found,
        vec![(
            "npm-ci/missing-lockfile".to_string(),
            "examples/demo/package.json".to_string()
        )]
    );
    let message = messages(dir, "npm-ci/missing-lockfile").join("\n");
    assert!(
        message.contains("nor 2 others") && message.contains("tools/x/package.json"),
        "{message}"
    );
    // npm agrees that the root's lockfile does not serve tools/x, and serves the member.
    let npm_ci = |sub: &str| {
        std::process::Command::new("npm")
            .args(["ci", "--dry-run", "--ignore-scripts", "--offline"])
            .current_dir(dir.join(sub))
            .output()
            .expect("npm runs")
    };
    let out = npm_ci("tools/x");
    assert!(!out.status.success(), "npm ci in tools/x succeeded");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("package-lock.json"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// pnpm 10 and later run no dependency's build script unless it is approved: under
/// `packageManager: pnpm@10`, an unapproved script is blocked (pnpm warns and skips it), so it
/// is not an "unapproved script that runs" error, and scripts nobody can see do not make the
/// inventory incomplete. `dangerouslyAllowAllBuilds` brings pnpm 9's behaviour back.
#[test]
fn pnpm_10_blocks_unapproved_builds() {
    let tmp = copy_fixture("install-scripts/pnpm");
    let dir = tmp.path();
    let severity_of = |dir: &Path| -> Vec<(String, String)> {
        findings_json(dir, &["install-scripts"])
            .iter()
            .filter(|f| {
                f["rule"] == "install-scripts/unapproved-install-script"
                    || f["rule"] == "install-scripts/inventory-incomplete"
            })
            .map(|f| {
                (
                    f["rule"].as_str().unwrap_or_default().to_string(),
                    f["severity"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let pnpm9 = severity_of(dir);
    assert!(pnpm9.iter().any(|(_, s)| s == "error"), "{pnpm9:?}");
    let manifest = std::fs::read_to_string(dir.join("package.json")).expect("read");
    std::fs::write(
        dir.join("package.json"),
        manifest.replacen('{', "{\n  \"packageManager\": \"pnpm@10.12.1\",", 1),
    )
    .expect("write");
    let pnpm10 = severity_of(dir);
    assert!(!pnpm10.is_empty());
    assert!(
        pnpm10
            .iter()
            .all(|(r, s)| r == "install-scripts/unapproved-install-script" && s == "info"),
        "{pnpm10:?}"
    );
    std::fs::write(
        dir.join("pnpm-workspace.yaml"),
        "dangerouslyAllowAllBuilds: true\n",
    )
    .expect("write");
    assert_eq!(severity_of(dir), pnpm9);
}

/// The causes the corpus sweep found (fixtures/real-world/*, each from a real repository, the
/// package manager's verdict in its README): chainward now agrees. Before, each produced the
/// errors its README quotes.
#[test]
fn sweep_causes_agree_with_the_package_managers() {
    let cases: &[(&str, &[&str])] = &[
        (
            "pnpm-overrides-not-applied-to-specifiers",
            &["npm-ci/lockfile-out-of-sync", "pin-check/range-specifier"],
        ),
        (
            "pnpm-overrides-source-precedence",
            &["npm-ci/lockfile-out-of-sync"],
        ),
        (
            "pnpm11-ignores-package-json-resolutions",
            &["npm-ci/lockfile-out-of-sync"],
        ),
        (
            "yarn-berry-bare-name-resolutions",
            &["npm-ci/lockfile-out-of-sync"],
        ),
        (
            "yarn-berry-portal-link-locator-keys",
            &["npm-ci/lockfile-out-of-sync"],
        ),
        (
            "yarn-berry-ci-implies-immutable",
            &["npm-ci/install-command", "npm-ci/scripts-enabled"],
        ),
        (
            "stale-nested-pnpm-lockfile-v5-parse-error",
            &["chainward/parse-error"],
        ),
        ("pnpm-jsr-protocol-host", &["npm-ci/disallowed-host"]),
        (
            "npm-workspace-transitive-not-revalidated",
            &["npm-ci/lockfile-out-of-sync"],
        ),
        (
            "yarn3-transparent-workspace-descriptor",
            &["npm-ci/lockfile-out-of-sync"],
        ),
    ];
    for (case, absent) in cases {
        let tmp = copy_fixture(&format!("real-world/{case}"));
        let found = rules_and_paths(tmp.path(), &["check"]);
        for rule in *absent {
            assert!(
                !found.iter().any(|(r, _)| r == rule),
                "{case}: {rule} in {found:?}"
            );
        }
    }
    // The stale lockfile is said to be unused, once.
    let tmp = copy_fixture("real-world/stale-nested-pnpm-lockfile-v5-parse-error");
    let unused = messages(tmp.path(), "npm-ci/multiple-lockfiles")
        .into_iter()
        .filter(|m| m.contains("not read by any install"))
        .count();
    assert_eq!(unused, 1);
    // npm ci accepts a workspace's stale nested copy of a direct dependency: a warning that says
    // what gets installed, not an error.
    let tmp = copy_fixture("real-world/npm-workspace-stale-nested-direct-dep");
    let found = findings_json(tmp.path(), &["check"]);
    let sync: Vec<(&str, &str)> = found
        .iter()
        .filter(|f| f["rule"] == "npm-ci/lockfile-out-of-sync")
        .map(|f| {
            (
                f["severity"].as_str().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        matches!(sync.as_slice(), [("warning", m)] if m.contains("installs tar@7.5.11 in packages/a2a-server")),
        "{sync:?}"
    );
    // Outside CI (a Dockerfile) yarn 2+ is not immutable by default: still reported.
    let tmp = copy_fixture("real-world/yarn-berry-ci-implies-immutable");
    std::fs::write(
        tmp.path().join("Dockerfile"),
        "FROM node:22@sha256:0000000000000000000000000000000000000000000000000000000000000000\nRUN yarn install\n",
    )
    .expect("write");
    let found = rules_and_paths(tmp.path(), &["check"]);
    assert!(
        found.contains(&("npm-ci/install-command".into(), "Dockerfile".into())),
        "{found:?}"
    );
    // A step that turns the CI default off (prettier prod-test.yml) is not immutable either.
    std::fs::write(
        tmp.path().join(".github/workflows/prod-test.yml"),
        "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: yarn install\n        env:\n          YARN_ENABLE_IMMUTABLE_INSTALLS: false\n",
    )
    .expect("write");
    let found = rules_and_paths(tmp.path(), &["check"]);
    assert!(
        found.contains(&(
            "npm-ci/install-command".into(),
            ".github/workflows/prod-test.yml".into()
        )),
        "{found:?}"
    );
}

/// A `file:` dependency on a sibling folder: npm records the link target as `../a`, with `a`'s
/// own dependencies, which it does not install from this lockfile; `npm ci` accepts it, and so
/// does chainward (before: "Missing: ms@2.1.3", as if `../a` were a workspace). Lockfile by npm.
#[test]
fn lock_entries_outside_the_root_are_links_not_workspaces() {
    let tmp = copy_fixture("npm-links/file-dependency-outside-root");
    let app = tmp.path().join("app");
    let found = rules_and_paths(&app, &["check"]);
    assert!(
        !found
            .iter()
            .any(|(r, _)| r == "npm-ci/lockfile-out-of-sync"),
        "{found:?}"
    );
    let ci = std::process::Command::new("npm")
        .args(["ci", "--dry-run", "--ignore-scripts", "--offline"])
        .current_dir(&app)
        .output()
        .expect("npm runs");
    assert!(
        ci.status.success(),
        "{}",
        String::from_utf8_lossy(&ci.stderr)
    );
}

/// upstash/context7: the publishing job rewrites server.json (`jq … > server.json`) before
/// `mcp-publisher publish`, so its stale committed versions are info; a validator that only
/// reads server.json does not count as a rewrite (without the `jq` step the package's version
/// is an error, the server's own a warning).
#[test]
fn mcp_a_validator_step_is_not_a_rewrite() {
    let tmp = copy_fixture("real-world/mcp-validator-step-is-not-a-rewrite");
    let dir = tmp.path();
    let severities = |dir: &Path| -> Vec<(String, String)> {
        findings_json(dir, &["mcp"])
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap_or_default().to_string(),
                    f["severity"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let mismatch = |found: &[(String, String)], severity: &str| {
        found
            .iter()
            .filter(|(r, s)| r == "mcp/version-mismatch" && s == severity)
            .count()
    };
    let found = severities(dir);
    assert_eq!(mismatch(&found, "info"), 2, "{found:?}");
    assert!(
        found.contains(&("mcp/unpinned-publisher".into(), "warning".into())),
        "{found:?}"
    );
    let wf = dir.join(".github/workflows/mcp-registry.yml");
    let text = std::fs::read_to_string(&wf).expect("read");
    // The step only reads server.json now: the workflow still parses and publishes.
    let reading = text.replace(
        "echo $(jq --arg v \"${{ env.VERSION }}\" '.version = $v | .packages[0].version = $v' server.json) > server.json",
        "jq .version server.json",
    );
    assert_ne!(reading, text);
    std::fs::write(&wf, reading).expect("write");
    assert!(
        found_rule(dir, "mcp/unpinned-publisher"),
        "the workflow still parses"
    );
    // The package entry is an error; the server's own version a warning.
    let found = severities(dir);
    assert_eq!(mismatch(&found, "error"), 1, "{found:?}");
    assert_eq!(mismatch(&found, "warning"), 1, "{found:?}");
}

fn found_rule(dir: &Path, rule: &str) -> bool {
    findings(dir, &["mcp"], "rule").iter().any(|r| r == rule)
}

/// mcp-atlassian: uv writes `platform_system == 'Windows'` as `sys_platform == 'win32'` in
/// uv.lock, and `uv lock --check` accepts the pair (README); so does chainward. The fix that
/// pins the range writes the same specifier into uv.lock's record.
#[test]
fn uv_platform_system_marker_is_in_sync() {
    let tmp = copy_fixture("real-world/uv-platform-system-marker");
    let dir = tmp.path();
    assert_eq!(
        messages(dir, "npm-ci/lockfile-out-of-sync"),
        Vec::<String>::new()
    );
    // python-dateutil is locked at two versions (one per Python range): reported, not fixed.
    let ranges = messages(dir, "pin-check/range-specifier");
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    run(dir, &["fix", "."]);
    let lock = std::fs::read_to_string(dir.join("uv.lock")).expect("read");
    assert!(
        lock.contains(
            r#"{ name = "tzdata", marker = "sys_platform == 'win32'", specifier = "==2026.6" }"#
        ),
        "{lock}"
    );
    assert_eq!(
        messages(dir, "npm-ci/lockfile-out-of-sync"),
        Vec::<String>::new()
    );
}

/// markitdown: a library on PyPI that no workflow publishes (released by hand). Its classifiers
/// say it is published: its runtime ranges are not reported, and `-v` says why.
#[test]
fn a_library_published_by_hand_keeps_its_ranges() {
    let dir = fixtures().join("real-world/pyproject-library-without-publish-workflow");
    assert_eq!(
        messages(&dir, "pin-check/range-specifier"),
        Vec::<String>::new()
    );
    let out = run(&dir, &["pin-check", "-v", "."]);
    assert!(
        out.stderr.contains("is published to PyPI"),
        "{}",
        out.stderr
    );
}

/// What chainward says of three real Python packages of MCP servers (modelcontextprotocol/servers
/// `src/time` with its uv.lock, markitdown's (markitdown-mcp's core), e2b's poetry project),
/// every plugin on, reviewed.
#[test]
fn three_python_mcp_servers() {
    let mut out = String::new();
    for case in [
        "real-world/mcp-reference-server-time",
        "real-world/pyproject-library-without-publish-workflow",
        "npm-ci/python/poetry",
    ] {
        let tmp = copy_fixture(case);
        let o = run(tmp.path(), &["check", "--color", "never", "."]);
        assert!(o.code == 0 || o.code == 1, "{case}: {}", o.stderr);
        out.push_str(&format!("## {case}\n{}\n", o.snapshot()));
    }
    crate::snap!("cli", "three_python_mcp_servers", out);
}

/// The names of the components of `chainward sbom` of `dir` (which must succeed).
fn sbom_names(dir: &Path) -> Vec<String> {
    let out = run(dir, &["sbom", "--reproducible", "."]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let sbom: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    sbom["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect()
}

//! The command line: rules, explain, dispatch to external commands, did-you-mean, config
//! errors, suppressions, thresholds.

use std::path::Path;

use crate::common::{chainward, copy_fixture, fixtures, output, run};
use crate::snap;

#[test]
fn rules_and_explain() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = run(tmp.path(), &["rules"]);
    assert_eq!(out.code, 0);
    snap!("cli", "rules", out.stdout);
    let out = run(tmp.path(), &["explain", "PIN001"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .starts_with("# pin-check/range-specifier (PIN001)"),
        "{}",
        out.stdout
    );
    let out = run(tmp.path(), &["explain", "pin-check/range-specifer"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("did you mean `pin-check/range-specifier`"),
        "{}",
        out.stderr
    );
}

#[test]
fn unknown_command_suggests_and_exits_2() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = run(tmp.path(), &["chek"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stderr.contains("`check`"), "{}", out.stderr);
    let out = run(tmp.path(), &["pin-chek"]);
    assert!(out.stderr.contains("`pin-check`"), "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn external_command_runs_from_path_with_chainward_set() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let script = tmp.path().join("chainward-hello");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"args: $*\"\necho \"CHAINWARD=$CHAINWARD\"\nexit 3\n",
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        tmp.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = output(
        chainward(tmp.path())
            .env("PATH", path)
            .args(["hello", "a", "--b"]),
    );
    assert_eq!(out.code, 3, "{}", out.snapshot());
    assert!(out.stdout.contains("args: a --b"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("CHAINWARD={}", env!("CARGO_BIN_EXE_chainward"))),
        "{}",
        out.stdout
    );
}

#[test]
fn unknown_rule_in_select_is_a_usage_error() {
    let out = run(
        &fixtures().join("pin-check/ranges"),
        &["check", "--select", "pin-check/range", "."],
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unknown rule `pin-check/range`"),
        "{}",
        out.stderr
    );
}

fn with_config(case: &str, config: &str) -> tempfile::TempDir {
    let tmp = copy_fixture(&format!("pin-check/{case}"));
    std::fs::write(tmp.path().join("chainward.toml"), config).expect("config");
    tmp
}

#[test]
fn config_errors_name_file_line_and_column() {
    for (name, config) in [
        (
            "missing-reason",
            "[[ignore]]\nrule = \"pin-check/range-specifier\"\n",
        ),
        (
            "unknown-rule",
            "[rules]\n\"pin-check/rnage-specifier\" = \"off\"\n",
        ),
        ("bad-level", "[rules]\n\"pin-check/dist-tag\" = \"loud\"\n"),
        (
            "bad-policy",
            "[pin-check.actions]\n\"actions/*\" = \"tag-pin\"\n",
        ),
        ("syntax", "[rules\n"),
        ("unknown-section", "[pin-chek]\n"),
    ] {
        let tmp = with_config("ranges", config);
        let out = run(tmp.path(), &["check", "."]);
        assert_eq!(out.code, 2, "{name}: {}", out.snapshot());
        assert!(
            out.stdout.is_empty(),
            "{name}: printed findings despite a config error"
        );
        snap!("cli", format!("config_error__{name}"), out.stderr);
    }
}

#[test]
fn ignore_entries_suppress_and_unused_ones_are_reported() {
    let config = "[[ignore]]\nrule = \"pin-check/range-specifier\"\npath = \"package.json\"\nreason = \"tracked in #42\"\n\n[[ignore]]\nrule = \"PIN002\"\npath = \"nowhere/**\"\nreason = \"stale\"\n";
    let tmp = with_config("ranges", config);
    let out = run(tmp.path(), &["check", "--color", "never", "."]);
    assert!(!out.stdout.contains("range-specifier]"), "{}", out.stdout);
    assert!(
        out.stdout.contains("chainward/unused-ignore"),
        "{}",
        out.stdout
    );
    snap!("cli", "ignore_entries", out.snapshot());
}

#[test]
fn rule_levels_and_threshold() {
    let tmp = with_config("ranges", "[rules]\n\"pin-check\" = \"info\"\n");
    let out = run(tmp.path(), &["check", "--format", "json", "."]);
    assert_eq!(
        out.code,
        0,
        "info findings are below the default threshold: {}",
        out.snapshot()
    );
    assert!(out.stdout.contains("\"severity\": \"info\""));
    let out = run(
        tmp.path(),
        &["check", "--severity-threshold", "info", "--quiet", "."],
    );
    assert_eq!(out.code, 1);
    let out = run(tmp.path(), &["check", "--ignore", "pin-check", "."]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
}

#[test]
fn peer_dependencies_are_opt_in() {
    let dir = fixtures().join("pin-check/ranges");
    let text = std::fs::read_to_string(dir.join("package.json")).expect("package.json");
    assert!(
        text.contains("peerDependencies"),
        "the ranges fixture declares peerDependencies"
    );
    let off = run(&dir, &["check", "--format", "json", "."]);
    let tmp = with_config("ranges", "[pin-check]\npeer-dependencies = true\n");
    let on = run(tmp.path(), &["check", "--format", "json", "."]);
    assert!(!off.stdout.contains("in `peerDependencies`"));
    assert!(on.stdout.contains("in `peerDependencies`"), "{}", on.stdout);
}

#[test]
fn missing_path_is_an_io_error() {
    let out = run(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["check", "no/such/dir"],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no/such/dir"), "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn external_plugins_in_check_and_their_failures() {
    use std::os::unix::fs::PermissionsExt;
    let bin = tempfile::tempdir().expect("tmp");
    let good = bin.path().join("chainward-acme");
    std::fs::write(
        &good,
        r#"#!/bin/sh
input=$(cat)
case "$input" in *'"kind":"package-json"'*) ;; *) echo "no package.json in input" >&2; exit 3 ;; esac
case "$1" in --chainward-plugin-protocol=2) ;; *) exit 4 ;; esac
cat <<'JSON'
{"version": 1, "findings": [{"rule": "acme/thing", "severity": "warning", "message": "from acme",
  "location": {"path": "package.json", "span": {"start": 0, "end": 1},
               "start": {"line": 1, "column": 1}, "end": {"line": 1, "column": 2}},
  "related": [], "help": null, "fix": null}]}
JSON
"#,
    )
    .expect("script");
    let bad = bin.path().join("chainward-broken");
    std::fs::write(&bad, "#!/bin/sh\ncat >/dev/null\necho 'not json'\n").expect("script");
    // A plugin that reports under another plugin's rule id is not believed.
    let spoof = bin.path().join("chainward-spoof");
    std::fs::write(
        &spoof,
        std::fs::read_to_string(&good)
            .expect("script")
            .replace("acme/thing", "pin-check/range-specifier"),
    )
    .expect("script");
    for p in [&good, &bad, &spoof] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let tmp = with_config(
        "clean",
        "external-plugins = [\"acme\", \"broken\", \"missing\", \"spoof\"]\n\n[acme]\nlevel = 3\n",
    );
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = output(chainward(tmp.path()).env("PATH", &path).args([
        "check",
        "--allow-external-plugins",
        "--format",
        "json",
        ".",
    ]));
    assert_eq!(out.code, 1, "{}", out.snapshot());
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"acme/thing"), "{rules:?}");
    // In an attestation each external plugin that ran has an attribute of its own; their
    // failures are the engine's.
    let attested = output(chainward(tmp.path()).env("PATH", &path).args([
        "check",
        "--allow-external-plugins",
        "--format",
        "in-toto",
        ".",
    ]));
    let statement: serde_json::Value = serde_json::from_str(&attested.stdout).expect("json");
    let result = |name: &str| crate::common::attribute_result(&statement, name);
    assert_eq!(
        result("external/acme"),
        Some("WARNED".into()),
        "{}",
        attested.stdout
    );
    assert_eq!(
        result("external/missing"),
        Some("PASSED".into()),
        "{}",
        attested.stdout
    );
    assert_eq!(
        result("chainward/engine"),
        Some("FAILED".into()),
        "{}",
        attested.stdout
    );
    assert_eq!(
        rules
            .iter()
            .filter(|r| **r == "chainward/plugin-failed")
            .count(),
        3,
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("`chainward-missing` is not in an absolute PATH entry outside"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "reported a finding of `pin-check/range-specifier`, which is not one of its rules"
        ),
        "{}",
        out.stdout
    );
    assert!(!rules.contains(&"pin-check/range-specifier"), "{rules:?}");
}

/// `--write-baseline` records today's findings; `--baseline` hides them (line moves do not bring
/// them back), shows what is new, and reports entries that match nothing any more.
#[test]
fn baseline_hides_recorded_findings_and_reports_stale_ones() {
    let tmp = copy_fixture("pin-check/mcp-server");
    let dir = tmp.path();
    let before = run(dir, &["check", "--format", "json"]);
    assert_eq!(before.code, 1);
    let recorded = run(dir, &["check", "--write-baseline", "baseline.json"]);
    assert_eq!(recorded.code, 0, "{}", recorded.stderr);
    assert!(
        recorded.stderr.contains("Recorded 15 findings"),
        "{}",
        recorded.stderr
    );
    let text = std::fs::read_to_string(dir.join("baseline.json")).expect("baseline");
    assert_eq!(text.lines().filter(|l| l.contains("{\"rule\"")).count(), 15);
    // Written from another folder, the paths are still relative to the project root.
    let again = run(
        dir.parent().expect("parent"),
        &[
            "check",
            dir.file_name().and_then(|n| n.to_str()).expect("name"),
            "--write-baseline",
            dir.join("again.json").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("again.json")).expect("again"),
        text
    );

    let clean = run(dir, &["check", "--baseline", "baseline.json"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    assert!(
        clean.stdout.trim().ends_with(": no findings."),
        "{}",
        clean.stdout
    );

    // Lines move (a new key above the dependencies): nothing comes back.
    let manifest = dir.join("package.json");
    let original = std::fs::read_to_string(&manifest).expect("package.json");
    let moved = original.replacen(
        "{\n",
        "{\n  \"description\": \"weather tools\",\n  \"keywords\": [\"mcp\"],\n",
        1,
    );
    assert_ne!(moved, original);
    std::fs::write(&manifest, &moved).expect("write");
    let out = run(dir, &["check", "--baseline", "baseline.json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);

    // A new range is reported; the recorded ones stay hidden.
    let added = moved.replacen(
        "\"dependencies\": {\n",
        "\"dependencies\": {\n    \"left-pad\": \"^1.3.0\",\n",
        1,
    );
    assert_ne!(added, moved);
    std::fs::write(&manifest, &added).expect("write");
    let out = run(
        dir,
        &[
            "check",
            "--baseline",
            "baseline.json",
            "--select",
            "pin-check",
        ],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("`left-pad` in `dependencies`"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("`zod`"), "{}", out.stdout);

    // Fixing a recorded finding makes its entry stale, reported at its line of the baseline.
    std::fs::write(
        &manifest,
        moved.replace("\"zod\": \"^3.25.0\"", "\"zod\": \"3.25.76\""),
    )
    .expect("write");
    let out = run(dir, &["check", "--baseline", "baseline.json"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    snap!("cli", "baseline__stale", out.stdout);

    // A malformed baseline is exit 2, naming the file and line; nothing is written.
    std::fs::write(
        dir.join("broken.json"),
        "{\n  \"version\": 1,\n  \"findings\": [\n",
    )
    .expect("write");
    let out = run(dir, &["check", "--baseline", "broken.json"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("broken.json:4:"), "{}", out.stderr);
    let out = run(
        dir,
        &[
            "check",
            "--baseline",
            "again.json",
            "--write-baseline",
            "x.json",
            "--fix",
        ],
    );
    assert_eq!(out.code, 2);
    assert!(!dir.join("x.json").exists());
}

/// Contributor guarantees, checked on every fixture: each finding names a registered rule, and
/// a rule that declares itself not fixable never carries a fix, while one declared always
/// fixable always does.
#[test]
fn every_finding_names_a_registered_rule_with_its_declared_fixability() {
    use chainward_core::Fixability;
    let rules: std::collections::BTreeMap<&str, Fixability> =
        chainward_engine::registry::all_rules()
            .into_iter()
            .map(|r| (r.id, r.fixable))
            .collect();
    let mut checked = 0;
    let mut problems = Vec::new();
    for plugin in std::fs::read_dir(fixtures()).expect("fixtures") {
        let plugin = plugin.expect("entry").path();
        if !plugin.is_dir() {
            continue;
        }
        for case in std::fs::read_dir(&plugin).expect("plugin fixtures") {
            let case = case.expect("entry").path();
            if !case.is_dir() {
                continue;
            }
            let out = run(&case, &["check", "--format", "json", "."]);
            if out.code == 2 {
                continue; // a fixture of bad configuration: no findings to check
            }
            let json: serde_json::Value = serde_json::from_str(&out.stdout)
                .unwrap_or_else(|e| panic!("{}: not JSON ({e})", case.display()));
            for f in json["findings"].as_array().expect("findings") {
                checked += 1;
                let id = f["rule"].as_str().unwrap_or_default();
                let has_fix = !f["fix"].is_null();
                match rules.get(id) {
                    None => problems.push(format!("{}: unregistered rule {id}", case.display())),
                    Some(Fixability::None) if has_fix => problems.push(format!(
                        "{}: {id} is declared not fixable but has a fix",
                        case.display()
                    )),
                    Some(Fixability::Always) if !has_fix => problems.push(format!(
                        "{}: {id} is declared always fixable but has no fix",
                        case.display()
                    )),
                    _ => {}
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 500, "only {checked} findings checked");
}

/// Contributor guarantee: every registered rule is seen firing in at least one reviewed snapshot
/// (text `error[id]`, JSON `"id"` or a GitHub annotation's `title=id::`; the `chainward rules`
/// listing does not count). Rules that need git history, a remote, an executable or a link
/// out of the tree have their snapshots in the tests that build those (sbom.rs, security.rs,
/// npm_ci.rs, provenance.rs, real_world.rs).
#[test]
fn every_rule_fires_in_a_snapshot() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    let mut text = String::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("snapshots").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "snap")
                && !path.ends_with("cli/rules.snap")
            {
                text.push_str(&std::fs::read_to_string(&path).expect("snapshot"));
            }
        }
    }
    let missing: Vec<&str> = chainward_engine::registry::all_rules()
        .into_iter()
        .map(|rule| rule.id)
        .filter(|id| {
            !(text.contains(&format!("[{id}]"))
                || text.contains(&format!("\"{id}\""))
                || text.contains(&format!("title={id}::")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "rules no snapshot shows firing (add a fixture under fixtures/<plugin>/<case>/): {missing:?}"
    );
}

/// Every name a user types gets a did-you-mean (rule ids, codes, short names, plugin ids; on the
/// command line and in chainward.toml); `explain` takes a short name when only one rule has it;
/// `warn` is `warning`.
#[test]
fn typed_names_get_a_did_you_mean() {
    let dir = fixtures().join("pin-check/actions");
    for (typed, meant) in [
        ("range-specifer", "pin-check/range-specifier"),
        ("range-specifier", "pin-check/range-specifier"),
        ("PIN01", "PIN001"),
        ("pin-chek", "pin-check"),
        ("pin-check/unpinned-actoin", "pin-check/unpinned-action"),
    ] {
        for flag in ["--select", "--ignore"] {
            let out = run(&dir, &["check", flag, typed, "."]);
            assert_eq!(out.code, 2, "{}", out.snapshot());
            assert!(
                out.stderr.contains(&format!("did you mean `{meant}`?")),
                "{typed}: {}",
                out.stderr
            );
        }
    }
    let explained = run(&dir, &["explain", "range-specifier"]);
    assert_eq!(explained.code, 0, "{}", explained.stderr);
    assert!(
        explained
            .stdout
            .starts_with("# pin-check/range-specifier (PIN001)")
    );
    let typo = run(&dir, &["explain", "unpined-image"]);
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr
            .contains("did you mean `pin-check/unpinned-image`?"),
        "{}",
        typo.stderr
    );

    let tmp = copy_fixture("pin-check/actions");
    std::fs::write(
        tmp.path().join("chainward.toml"),
        "[rules]\n\"unpinned-image\" = \"warn\"\n",
    )
    .expect("config");
    let out = run(tmp.path(), &["check", "."]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(
        out.stderr.contains("chainward.toml:2:1: unknown rule `unpinned-image`; did you mean `pin-check/unpinned-image`?"),
        "{}",
        out.stderr
    );
    std::fs::write(
        tmp.path().join("chainward.toml"),
        "[rules]\n\"pin-check/unpinned-image\" = \"warn\"\n",
    )
    .expect("config");
    let out = run(tmp.path(), &["check", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout.contains("\"severity\": \"warning\""),
        "{}",
        out.stdout
    );
}

/// A file named on the command line is checked as what it is: a workflow by its path (from the
/// project's root or from anywhere), any other YAML file as the workflow the user says it is;
/// the project is the folder above `.github`, so the config there applies.
#[test]
fn a_named_file_is_checked_with_its_project() {
    let tmp = copy_fixture("pin-check/actions");
    let dir = tmp.path();
    let whole = run(dir, &["check", "--format", "concise", "."]);
    let in_ci: Vec<&str> = whole
        .stdout
        .lines()
        .filter(|l| l.starts_with(".github/workflows/ci.yml:"))
        .collect();
    assert!(!in_ci.is_empty(), "{}", whole.stdout);
    let named = run(
        dir,
        &["check", "--format", "concise", ".github/workflows/ci.yml"],
    );
    assert_eq!(named.code, 1, "{}", named.snapshot());
    let named: Vec<&str> = named
        .stdout
        .lines()
        .filter(|l| l.starts_with(".github/"))
        .collect();
    assert_eq!(named, in_ci);

    // The project's config applies to the named workflow.
    std::fs::write(
        dir.join("chainward.toml"),
        "[rules]\n\"pin-check/unpinned-image\" = \"off\"\n",
    )
    .expect("config");
    let configured = run(
        dir,
        &["check", "--format", "concise", ".github/workflows/ci.yml"],
    );
    assert!(
        !configured.stdout.contains("unpinned-image"),
        "{}",
        configured.stdout
    );
    assert!(
        configured.stdout.contains("unpinned-action"),
        "{}",
        configured.stdout
    );

    // Any YAML file named explicitly is read as a workflow; other files are a usage error.
    std::fs::copy(
        dir.join(".github/workflows/ci.yml"),
        dir.join("release.yml"),
    )
    .expect("copy");
    let stray = run(dir, &["check", "--format", "concise", "release.yml"]);
    assert_eq!(stray.code, 1, "{}", stray.snapshot());
    assert!(
        stray
            .stdout
            .contains("release.yml:14:15: pin-check/unpinned-action"),
        "{}",
        stray.stdout
    );
    std::fs::write(dir.join("notes.txt"), "x\n").expect("write");
    let other = run(dir, &["check", "notes.txt"]);
    assert_eq!(other.code, 2, "{}", other.snapshot());
}

/// chainward.toml is found from a subfolder up to the repository's root (as ruff and zizmor
/// look), whether the subfolder is named or is the working directory; its paths stay relative
/// to its own folder; `-v` says which file; above a repository nothing is looked for.
#[test]
fn config_is_found_above_the_scanned_folder() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = tmp.path().join("repo");
    let cli = repo.join("packages/cli");
    std::fs::create_dir_all(&cli).expect("mkdir");
    crate::common::copy_tree(&fixtures().join("pin-check/ranges"), &cli);
    crate::common::GitRepo::init(&repo);
    let rules = |dir: &Path, args: &[&str]| -> Vec<String> {
        let mut full = args.to_vec();
        full.extend(["--format", "json"]);
        let out = run(dir, &full);
        let json: serde_json::Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", out.stdout, out.stderr));
        json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let before = rules(&repo, &["check", "packages/cli"]);
    assert!(
        before.iter().any(|r| r == "pin-check/range-specifier"),
        "{before:?}"
    );

    // A config a level above the package, in the repository's root, with paths relative to it.
    std::fs::write(
        repo.join("chainward.toml"),
        "[rules]\n\"npm-ci/lockfile-not-committed\" = \"off\"\n\"pm-config\" = \"off\"\n\n\
         [[ignore]]\nrule = \"pin-check/range-specifier\"\npath = \"packages/cli/package.json\"\nreason = \"frozen package\"\n\n\
         [[ignore]]\nrule = \"pin-check/url-spec\"\npath = \"packages/other/package.json\"\nreason = \"another package\"\n\n\
         [files]\nexclude = [\"packages/**\", \"packages/cli/vendor/**\"]\n",
    )
    .expect("config");
    std::fs::create_dir_all(cli.join("vendor/x")).expect("mkdir");
    std::fs::write(
        cli.join("vendor/x/package.json"),
        "{\"dependencies\": {\"ms\": \"^2\"}}\n",
    )
    .expect("write");
    for (dir, arg) in [
        (&repo, "packages/cli"),
        (&cli, "."),
        (&cli.join(".."), "cli"),
    ] {
        let found = rules(dir, &["check", arg]);
        // [rules] applies; the [[ignore]] for this package's file matches it; the one for
        // another package neither matches here nor is reported unused; `packages/**` (which
        // covers the folder named) does not exclude it, `packages/cli/vendor/**` excludes below.
        assert!(found.is_empty(), "{arg}: {found:?}");
    }
    let verbose = run(&cli, &["check", "-v", "-q", "."]);
    assert!(
        verbose
            .stderr
            .contains("note: config: ../../chainward.toml (found above the scanned folder"),
        "{}",
        verbose.stderr
    );
    // --config still wins.
    std::fs::write(tmp.path().join("empty.toml"), "").expect("write");
    let empty = tmp.path().join("empty.toml");
    let own = rules(
        &cli,
        &["check", "--config", empty.to_str().expect("utf-8"), "."],
    );
    assert!(
        own.iter().any(|r| r == "pin-check/range-specifier"),
        "{own:?}"
    );

    // Outside a repository, only the scanned folder's own config counts.
    let loose = tempfile::tempdir().expect("tmp");
    let sub = loose.path().join("sub");
    std::fs::create_dir_all(&sub).expect("mkdir");
    crate::common::copy_tree(&fixtures().join("pin-check/ranges"), &sub);
    std::fs::write(
        loose.path().join("chainward.toml"),
        "[rules]\n\"pin-check/range-specifier\" = \"off\"\n",
    )
    .expect("config");
    let found = rules(&sub, &["check", "."]);
    assert!(
        found.iter().any(|r| r == "pin-check/range-specifier"),
        "{found:?}"
    );
}

/// `chainward pm-config --show`: the protections in effect for each project and where each
/// value came from (default, file), as a table and as JSON.
#[test]
fn pm_config_show() {
    let mut table = String::new();
    for case in crate::common::cases("pm-config") {
        let tmp = copy_fixture(&format!("pm-config/{case}"));
        let out = run(tmp.path(), &["pm-config", "--show", "."]);
        assert_eq!(out.code, 0, "{case}: {}", out.snapshot());
        table.push_str(&format!("## {case}\n{}\n", out.stdout));
    }
    snap!("cli", "pm_config_show", table);
    let tmp = copy_fixture("pm-config/pnpm-11-moved-settings");
    let json = run(
        tmp.path(),
        &["pm-config", "--show", "--format", "json", "."],
    );
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(rows[0]["package_manager"], "pnpm 11.2.0");
    assert_eq!(rows[0]["cooldown_minutes"], 1440.0);
    assert_eq!(rows[0]["cooldown_from"], "pnpm 11's default");
    assert_eq!(rows[0]["meets_policy"], false);
    assert_eq!(rows[0]["trust_policy"], "off (default)");
}

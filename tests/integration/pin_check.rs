//! Every plugin on each of its fixtures (`chainward <plugin>`): the rendered text findings,
//! snapshotted under snapshots/<plugin>/.

use crate::common::{cases, fixtures, run, snap_name};
use crate::snap;

/// The least number of fixture cases a plugin must have (every registered plugin is run on its
/// fixtures; one not listed must have at least one).
const AT_LEAST: &[(&str, usize)] = &[
    ("pin-check", 15),
    ("npm-ci", 7),
    ("install-scripts", 4),
    ("provenance", 8),
];

#[test]
fn every_plugin_fixture() {
    for plugin in chainward_engine::registry::plugin_ids() {
        let plugin = &plugin;
        let at_least = AT_LEAST
            .iter()
            .find(|(id, _)| id == plugin)
            .map_or(1, |(_, n)| *n);
        let cases = cases(plugin);
        assert!(
            cases.len() >= at_least,
            "expected the {plugin} fixtures, found {cases:?}"
        );
        for case in cases {
            // A copy outside any git repository: the snapshot does not depend on what is
            // committed in this checkout.
            let tmp = crate::common::copy_fixture(&format!("{plugin}/{case}"));
            let out = run(tmp.path(), &[plugin, "--color", "never", "."]);
            assert!(
                out.code == 0 || out.code == 1,
                "{plugin}/{case}: exit {}\n{}",
                out.code,
                out.stderr
            );
            snap!(
                *plugin,
                format!("check__{}", snap_name(&case)),
                out.snapshot()
            );
        }
    }
}

#[test]
fn plugin_subcommand_runs_only_that_plugin_and_paths_can_be_files() {
    let dir = fixtures().join("pin-check/ranges");
    let whole = run(
        &dir,
        &["check", "--color", "never", "--format", "json", "."],
    );
    let alone = run(
        &dir,
        &["pin-check", "--color", "never", "--format", "json", "."],
    );
    assert_eq!(whole.stdout, alone.stdout);
    let file = run(
        &dir,
        &[
            "check",
            "--color",
            "never",
            "--format",
            "json",
            "package.json",
        ],
    );
    assert_eq!(whole.code, file.code);
    assert!(file.stdout.contains("pin-check/range-specifier"));
}

#[test]
fn clean_project_exits_zero() {
    let out = run(
        &fixtures().join("pin-check/clean"),
        &["check", "--color", "never", "."],
    );
    assert_eq!(out.code, 0, "{}", out.snapshot());
}

/// Every snapshot under snapshots/pin-check belongs to a fixture that still exists (stale
/// snapshots would otherwise linger unnoticed after a fixture is renamed or removed).
#[test]
fn no_orphan_snapshots() {
    for (plugin, _) in AT_LEAST {
        orphans(plugin);
    }
}

fn orphans(plugin: &str) {
    let cases = cases(plugin);
    let dir = crate::common::workspace().join("snapshots").join(plugin);
    for entry in std::fs::read_dir(&dir).expect("snapshots folder") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let Some(stem) = name.strip_suffix(".snap") else {
            continue;
        };
        let case = stem
            .strip_prefix("check__")
            .or_else(|| stem.strip_prefix("fix_diff__"))
            .or_else(|| stem.strip_prefix("list__"))
            .or_else(|| stem.strip_prefix("allow_script__"))
            .unwrap_or_else(|| panic!("unexpected snapshot {name}"));
        let case = case
            .strip_suffix("__unsafe")
            .or_else(|| case.strip_suffix("__online"))
            .unwrap_or(case)
            .replace("__", "/");
        assert!(
            cases.contains(&case),
            "snapshot {name} has no fixture `{case}`"
        );
    }
}

/// Package roles: a published library's runtime ranges are not reported (its devDependencies
/// are), `-v` says why; a `bin` makes it an executable whose ranges are errors again, with the
/// shrinkwrap alternative; `[pin-check.roles]` overrides, and a role that does not exist is a
/// config error naming its place.
#[test]
fn package_roles_decide_which_ranges_are_findings() {
    let ranges = |dir: &std::path::Path, args: &[&str]| -> Vec<String> {
        crate::common::findings(dir, args, "message")
            .into_iter()
            .filter(|m| m.contains("is declared with the range"))
            .collect()
    };
    let tmp = crate::common::copy_fixture("pin-check/library");
    let dir = tmp.path();
    let found = ranges(dir, &["pin-check"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("`kleur` in `devDependencies`"),
        "{found:?}"
    );
    let verbose = run(dir, &["pin-check", "-v", "."]);
    assert!(
        verbose
            .stderr
            .contains("pin-check: package.json is a library (published, no `bin`)"),
        "{}",
        verbose.stderr
    );

    std::fs::write(
        dir.join("chainward.toml"),
        "[pin-check.roles]\n\".\" = \"application\"\n",
    )
    .expect("config");
    assert_eq!(ranges(dir, &["pin-check"]).len(), 2);
    std::fs::write(
        dir.join("chainward.toml"),
        "[pin-check.roles]\n\"@acme/date-utils\" = \"libary\"\n",
    )
    .expect("config");
    let bad = run(dir, &["pin-check", "."]);
    assert_eq!(bad.code, 2, "{}", bad.snapshot());
    assert!(
        bad.stderr
            .contains("chainward.toml:2:22: unknown role `libary`"),
        "{}",
        bad.stderr
    );
    std::fs::remove_file(dir.join("chainward.toml")).expect("rm");

    let manifest = std::fs::read_to_string(dir.join("package.json")).expect("read");
    std::fs::write(
        dir.join("package.json"),
        manifest.replace(
            "\"main\":",
            "\"bin\": {\"date-utils\": \"dist/cli.js\"},\n  \"main\":",
        ),
    )
    .expect("write");
    let out = run(dir, &["pin-check", "--format", "json", "."]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let ms = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["message"].as_str().is_some_and(|m| m.starts_with("`ms`")))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(
        ms["help"]
            .as_str()
            .is_some_and(|h| h.contains("npm-shrinkwrap.json")),
        "{ms}"
    );
}

/// `fix --online --unsafe-fixes` pins an action's tag or branch to the commit the GitHub API
/// says it names now (a loopback server stands in for api.github.com), keeping the tag in a
/// comment; a line with a comment keeps its own; GITHUB_TOKEN is sent; a reference the API does
/// not know has no fix; a second run has nothing left to pin there. Without --online, no fix.
#[test]
fn actions_are_pinned_online_to_the_commit_their_tag_names() {
    let checkout = "08c6903cd8c0fde910a37f88322edcfb5dd907a8";
    let cache = "2f8e54208210a422b2efd51efaa6bd6d7ca8920f";
    let some = "0123456789abcdef0123456789abcdef01234567";
    let api = crate::common::ApiServer::start(&[
        ("/repos/actions/checkout/commits/v4", checkout),
        ("/repos/actions/cache/commits/v3", cache),
        ("/repos/some/action/commits/main", some),
    ]);
    let tmp = crate::common::copy_fixture("pin-check/actions");
    let dir = tmp.path();
    let offline = run(dir, &["fix", "--unsafe-fixes", "--diff", "."]);
    assert!(!offline.stdout.contains(checkout), "{}", offline.stdout);

    let args = [
        "--online",
        "--allow-http-registry",
        "--registry",
        &api.url,
        "--github-api",
        &api.url,
        "--unsafe-fixes",
    ];
    let mut diff_args = vec!["fix", "--diff"];
    diff_args.extend(args);
    diff_args.push(".");
    let diff = crate::common::output(
        crate::common::chainward(dir)
            .env("GITHUB_TOKEN", "test-token")
            .args(&diff_args),
    );
    assert_eq!(diff.code, 1, "{}", diff.snapshot());
    snap!(
        "pin-check",
        "fix_diff__actions__online",
        diff.stdout.clone()
    );
    assert!(
        api.requests()
            .iter()
            .all(|(_, auth)| auth.as_deref() == Some("Bearer test-token")),
        "{:?}",
        api.requests()
    );

    let mut fix_args = vec!["fix"];
    fix_args.extend(args);
    fix_args.push(".");
    let fixed = run(dir, &fix_args);
    assert!(fixed.code <= 1, "{}", fixed.snapshot());
    let workflow = std::fs::read_to_string(dir.join(".github/workflows/ci.yml")).expect("workflow");
    assert!(
        workflow.contains(&format!("actions/checkout@{checkout} # v4\n")),
        "{workflow}"
    );
    assert!(
        workflow.contains(&format!("some/action@{some} # main\n")),
        "{workflow}"
    );
    // Its own comment stays, none is added.
    assert!(
        workflow.contains("acme/no-reason@v1 # chainward: ignore[pin-check/unpinned-action]"),
        "{workflow}"
    );
    // Nothing the API resolves is left to pin: a second run changes nothing.
    let again = run(dir, &diff_args);
    assert!(again.stdout.is_empty(), "{}", again.stdout);
}

//! Every plugin on each of its fixtures (`chainward <plugin>`): the rendered text findings,
//! snapshotted under snapshots/<plugin>/.

use std::path::Path;

use crate::common::{cases, fixtures, run, snap_name};
use crate::snap;

/// The least number of fixture cases a plugin must have (every registered plugin is run on its
/// fixtures; one not listed must have at least one).
const AT_LEAST: &[(&str, usize)] = &[
    ("pin-check", 15),
    ("npm-ci", 7),
    ("install-scripts", 4),
    ("provenance", 8),
    ("pm-config", 11),
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
    // pm-config also speaks about this project (its npm version is not stated); every other
    // plugin finds nothing, so `check` without it is pin-check alone.
    let whole = run(
        &dir,
        &[
            "check",
            "--ignore",
            "pm-config",
            "--color",
            "never",
            "--format",
            "json",
            ".",
        ],
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

/// `fix --online --unsafe-fixes` pins container images (Dockerfile `FROM`, workflow
/// `container:`/`services:`, `uses: docker://`) to the digest their tag names now, asking the
/// registry anonymously through its Bearer-token challenge (a loopback server stands in for
/// Docker Hub and gcr.io); an image built from build args, one the registry does not know and
/// one on a registry chainward was not told about are left alone; a second run pins nothing; a
/// registry whose token realm points elsewhere is not followed there.
#[test]
fn images_are_pinned_online_to_the_digest_their_tag_names() {
    let d = |hex: &str| format!("sha256:{hex}");
    let node = d("194b23bd4ffb132c9a190cac099e31e17ef534cbdad6eeabbc022ed3146220ad");
    let distroless = d("5c295aa2817d6d2c23927c60b6e99b41b0e8823ff419879c204adc7b299cde57");
    let ubuntu = d("abfc1768a57a6029d7601e4048b1eb9c2c41a06078ce137744bfa3a3d820005e");
    let alpine320 = d("d3dfed77bb64d7d29a735783a2a90e9a1979dacbe1b8dead996d9ebc78544336");
    let alpine319 = d("6bd2275da52e3a69ffbe28739e65cdb0ac1167f9a8d9d16e129ab83f0a189c19");
    let redis = d("00ed341fa17da659b63730e405322fbaa9be1e0edc43f9a46d6c173037feabce");
    let registry = crate::common::ImageRegistryServer::start(
        &[
            ("library/node", "20", &node),
            ("distroless/nodejs20-debian12", "nonroot", &distroless),
            ("library/ubuntu", "latest", &ubuntu),
            ("library/alpine", "3.20", &alpine320),
            ("library/alpine", "3.19", &alpine319),
            ("library/redis", "7", &redis),
        ],
        None,
    );
    let docker_io = format!("docker.io={}", registry.url);
    let gcr = format!("gcr.io={}", registry.url);
    let online = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "fix",
            "--online",
            "--allow-http-registry",
            "--registry",
            &registry.url,
            "--github-api",
            &registry.url,
            "--unsafe-fixes",
            "--image-registry",
            &docker_io,
            "--image-registry",
            &gcr,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(".".into());
        args
    };
    let call = |dir: &Path, args: &[String]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(dir, &args)
    };

    for fixture in ["docker", "actions"] {
        let tmp = crate::common::copy_fixture(&format!("pin-check/{fixture}"));
        let dir = tmp.path();
        let offline = run(dir, &["fix", "--unsafe-fixes", "--diff", "."]);
        assert!(
            !offline.stdout.contains("sha256:194b"),
            "{}",
            offline.stdout
        );
        let diff = call(dir, &online(&["--diff"]));
        assert_eq!(diff.code, 1, "{}", diff.snapshot());
        if fixture == "docker" {
            snap!("pin-check", "fix_diff__docker__online", diff.stdout.clone());
        } else {
            // The actions' own pins are the GitHub test's snapshot; here, the images.
            for (image, digest) in [
                ("node:20", &node),
                ("redis:7", &redis),
                ("alpine:3.19", &alpine319),
            ] {
                assert!(
                    diff.stdout.contains(&format!("{image}@{digest}")),
                    "{image}: {}",
                    diff.stdout
                );
            }
        }
        let fixed = call(dir, &online(&[]));
        assert!(fixed.code <= 1, "{}", fixed.snapshot());
        let again = call(dir, &online(&["--diff"]));
        assert!(again.stdout.is_empty(), "{fixture}: {}", again.stdout);
    }
    let dockerfile_fixed = {
        let tmp = crate::common::copy_fixture("pin-check/docker");
        call(tmp.path(), &online(&[]));
        std::fs::read_to_string(tmp.path().join("Dockerfile")).expect("Dockerfile")
    };
    assert!(
        dockerfile_fixed.contains(&format!(
            "FROM --platform=$BUILDPLATFORM node:20@{node} AS deps\n"
        )),
        "{dockerfile_fixed}"
    );
    assert!(
        dockerfile_fixed.contains(&format!("from ubuntu@{ubuntu}\n")),
        "{dockerfile_fixed}"
    );
    // Built from ARGs: the text is not an image; a suppressed finding is not fixed.
    assert!(
        dockerfile_fixed.contains("FROM node:${NODE_VERSION}-alpine AS build\n"),
        "{dockerfile_fixed}"
    );
    assert!(
        dockerfile_fixed.contains("FROM python:3.12-slim\n"),
        "{dockerfile_fixed}"
    );

    // Anonymous: the only Authorization ever sent is the token the registry handed out, for
    // the repository asked about, and each repository's token was asked for once.
    let requests = registry.requests();
    let tokens: Vec<&String> = requests
        .iter()
        .map(|(r, _)| r)
        .filter(|r| r.starts_with("GET /token?"))
        .collect();
    assert!(
        tokens.iter().all(|r| r.contains("service=registry.test")),
        "{tokens:?}"
    );
    for (request, auth) in &requests {
        if let Some(auth) = auth {
            let repo = request
                .strip_prefix("HEAD /v2/")
                .and_then(|p| p.split_once("/manifests/"))
                .map(|(r, _)| r);
            assert_eq!(
                Some(auth.as_str()),
                repo.map(|r| format!("Bearer tok-{r}")).as_deref(),
                "{request}"
            );
        }
    }

    // With a cache folder, an answer is kept for a short while: the `fix` after a `fix --diff`
    // asks nothing and pins to the same digest.
    let cache = tempfile::tempdir().expect("cache");
    let cache_dir = cache.path().to_string_lossy().into_owned();
    let tmp = crate::common::copy_fixture("pin-check/docker");
    let first = call(tmp.path(), &online(&["--diff", "--cache-dir", &cache_dir]));
    let asked = registry.requests().len();
    let second = call(tmp.path(), &online(&["--cache-dir", &cache_dir]));
    assert!(second.code <= 1, "{}", second.snapshot());
    assert_eq!(
        registry.requests().len(),
        asked,
        "asked again despite the cache"
    );
    assert!(first.stdout.contains(&node));
    assert!(
        std::fs::read_to_string(tmp.path().join("Dockerfile"))
            .expect("Dockerfile")
            .contains(&format!("node:20@{node}"))
    );

    // A registry whose challenge names another token service: not followed, no fix.
    let hostile = crate::common::ImageRegistryServer::start(
        &[("library/node", "20", &node)],
        Some("https://tokens.evil.example/steal"),
    );
    let tmp = crate::common::copy_fixture("pin-check/docker");
    let out = run(
        tmp.path(),
        &[
            "fix",
            "--online",
            "--allow-http-registry",
            "--registry",
            &hostile.url,
            "--github-api",
            &hostile.url,
            "--unsafe-fixes",
            "--image-registry",
            &format!("docker.io={}", hostile.url),
            "--diff",
            ".",
        ],
    );
    assert!(!out.stdout.contains("sha256:194b"), "{}", out.stdout);
    assert!(
        hostile
            .requests()
            .iter()
            .all(|(r, auth)| r.starts_with("HEAD /v2/") && auth.is_none()),
        "{:?}",
        hostile.requests()
    );
}

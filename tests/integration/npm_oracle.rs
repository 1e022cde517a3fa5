//! The real npm as the oracle: after `chainward fix`, `npm install --package-lock-only
//! --ignore-scripts --offline` changes neither package.json nor the lockfile, and `npm ci
//! --dry-run --ignore-scripts --offline` accepts the project. No network: with a complete
//! lockfile npm needs no registry for either command.

use std::path::Path;
use std::process::Command;

use crate::common::{copy_fixture, run};

/// Fixtures whose lockfile npm itself generated and keeps in sync.
const CASES: &[&str] = &[
    "ranges",
    "ranges-no-resolved",
    "dist-tag",
    "npm-alias",
    "workspaces",
    "formatting-tabs",
    "formatting-crlf-4space",
    "formatting-no-newline",
    "lockfile-v2",
    "shrinkwrap",
    "mcp-server",
];

pub fn npm(dir: &Path, args: &[&str], keep_resolved: bool) -> std::process::Output {
    let userconfig = dir.join(".oracle-npmrc");
    std::fs::write(&userconfig, "").expect("empty npmrc");
    let cache = dir.join(".oracle-cache");
    Command::new("npm")
        .args(args)
        .arg(format!(
            "--omit-lockfile-registry-resolved={}",
            !keep_resolved
        ))
        .arg("--offline")
        .arg("--ignore-scripts")
        .arg("--no-audit")
        .arg("--no-fund")
        .arg(format!("--cache={}", cache.display()))
        .env("npm_config_userconfig", &userconfig)
        .env("npm_config_update_notifier", "false")
        .current_dir(dir)
        .output()
        .expect("npm is installed (CI installs it); the npm oracle tests need it")
}

fn lockfile_name(dir: &Path) -> &'static str {
    if dir.join("npm-shrinkwrap.json").exists() {
        "npm-shrinkwrap.json"
    } else {
        "package-lock.json"
    }
}

#[test]
fn npm_agrees_after_fix() {
    for case in CASES {
        let tmp = copy_fixture(&format!("pin-check/{case}"));
        let dir = tmp.path();
        let lock = lockfile_name(dir);
        let keep_resolved = std::fs::read_to_string(dir.join(lock))
            .expect("lockfile")
            .contains("\"resolved\"");

        // The fixture itself is in sync before the fix (else the oracle proves nothing). A
        // dist-tag needs the registry to be judged, so that case is only judged after the fix,
        // which is also what makes it judgeable offline.
        if *case != "dist-tag" {
            let ci = npm(dir, &["ci", "--dry-run"], keep_resolved);
            assert!(
                ci.status.success(),
                "{case}: npm ci rejects the fixture before the fix:\n{}",
                String::from_utf8_lossy(&ci.stderr)
            );
        }

        let out = run(dir, &["fix", "."]);
        assert!(out.code == 0 || out.code == 1, "{case}: {}", out.snapshot());
        assert!(
            out.stderr.contains("Applied") && !out.stderr.contains("Applied 0 fixes"),
            "{case}: nothing fixed: {}",
            out.stderr
        );

        let pj_after = std::fs::read(dir.join("package.json")).expect("package.json");
        let lock_after = std::fs::read(dir.join(lock)).expect("lockfile");
        let install = npm(dir, &["install", "--package-lock-only"], keep_resolved);
        assert!(
            install.status.success(),
            "{case}: npm install failed:\n{}",
            String::from_utf8_lossy(&install.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(
                &std::fs::read(dir.join("package.json")).expect("package.json")
            ),
            String::from_utf8_lossy(&pj_after),
            "{case}: npm install --package-lock-only changed package.json after the fix"
        );
        assert_eq!(
            String::from_utf8_lossy(&std::fs::read(dir.join(lock)).expect("lockfile")),
            String::from_utf8_lossy(&lock_after),
            "{case}: npm install --package-lock-only changed {lock} after the fix"
        );
        let ci = npm(dir, &["ci", "--dry-run"], keep_resolved);
        assert!(
            ci.status.success(),
            "{case}: npm ci --dry-run rejects the fixed project:\n{}",
            String::from_utf8_lossy(&ci.stderr)
        );
    }
}

/// `fix --unsafe-fixes` for `pin-check/executable-without-shrinkwrap` does what `npm shrinkwrap`
/// does (npm-shrinkwrap.json byte for byte the same, package-lock.json gone), and what it adds to
/// `files` makes `npm pack` ship the shrinkwrap, which it leaves out before.
#[test]
fn shrinkwrap_fix_is_what_npm_shrinkwrap_does() {
    let packed = |dir: &Path| -> Vec<String> {
        let out = npm(dir, &["pack", "--dry-run", "--json"], true);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("pack json");
        json[0]["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| f["path"].as_str().expect("path").to_string())
            .collect()
    };
    let ours = copy_fixture("pin-check/executable-shrinkwrap");
    let theirs = copy_fixture("pin-check/executable-shrinkwrap");
    let out = run(
        ours.path(),
        &[
            "fix",
            "--unsafe-fixes",
            "--select",
            "pin-check/executable-without-shrinkwrap",
            ".",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let npm_out = npm(theirs.path(), &["shrinkwrap"], true);
    assert!(
        npm_out.status.success(),
        "{}",
        String::from_utf8_lossy(&npm_out.stderr)
    );
    for dir in [ours.path(), theirs.path()] {
        assert!(!dir.join("package-lock.json").exists());
    }
    assert_eq!(
        String::from_utf8_lossy(
            &std::fs::read(ours.path().join("npm-shrinkwrap.json")).expect("ours")
        ),
        String::from_utf8_lossy(
            &std::fs::read(theirs.path().join("npm-shrinkwrap.json")).expect("npm's")
        )
    );
    // npm's own leaves `files` as it is, so the shrinkwrap is not published; ours is.
    assert!(!packed(theirs.path()).contains(&"npm-shrinkwrap.json".to_string()));
    assert!(packed(ours.path()).contains(&"npm-shrinkwrap.json".to_string()));
    // Nothing left to fix; npm ci accepts the result.
    let again = run(ours.path(), &["fix", "--unsafe-fixes", "--diff", "."]);
    assert!(again.stdout.is_empty(), "{}", again.stdout);
    let ci = npm(ours.path(), &["ci", "--dry-run"], true);
    assert!(
        ci.status.success(),
        "{}",
        String::from_utf8_lossy(&ci.stderr)
    );
}

/// pm-config's fix writes the cooldown where npm reads it: after `fix --unsafe-fixes`, npm's own
/// `npm config get min-release-age` in the project says 3 (days), and a second fix changes
/// nothing.
#[test]
fn npm_reads_the_cooldown_pm_config_writes() {
    let tmp = copy_fixture("pm-config/npm-11-no-cooldown");
    let dir = tmp.path();
    let before = npm(dir, &["config", "get", "min-release-age"], true);
    assert_eq!(String::from_utf8_lossy(&before.stdout).trim(), "null");
    let fixed = run(
        dir,
        &["fix", "--unsafe-fixes", "--select", "pm-config", "."],
    );
    assert!(fixed.code <= 1, "{}", fixed.snapshot());
    let after = npm(dir, &["config", "get", "min-release-age"], true);
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&after.stdout).trim(), "3");
    let again = run(
        dir,
        &[
            "fix",
            "--unsafe-fixes",
            "--diff",
            "--select",
            "pm-config",
            ".",
        ],
    );
    assert!(again.stdout.is_empty(), "{}", again.stdout);
}

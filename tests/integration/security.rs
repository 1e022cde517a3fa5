//! Hostile trees (issue 15, docs/security.md): each test is one way a stranger's pull request
//! tried to switch chainward off, read outside the project, run a program, or write workflow
//! commands, and asserts that it no longer works.

use std::path::Path;

use crate::common::*;

/// A project whose chainward.toml names an external plugin, and ships that plugin itself.
#[cfg(unix)]
fn tree_with_its_own_plugin() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let tmp = copy_fixture("pin-check/clean");
    let dir = tmp.path();
    std::fs::write(dir.join("chainward.toml"), "external-plugins = [\"pwn\"]\n").expect("config");
    let script = "#!/bin/sh\ntouch \"$(dirname \"$0\")/PWNED\"\ncat >/dev/null\necho '{\"version\": 1, \"findings\": []}'\n";
    for place in ["chainward-pwn", "node_modules/.bin/chainward-pwn"] {
        let path = dir.join(place);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, script).expect("script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    tmp
}

/// PATH as `npm run` (node_modules/.bin first) and a careless shell (an empty entry, `.`) make it.
fn hostile_path(dir: &Path) -> String {
    format!(
        ":.:node_modules/.bin:{}:{}",
        dir.join("node_modules/.bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn pwned(dir: &Path) -> bool {
    dir.join("PWNED").exists() || dir.join("node_modules/.bin/PWNED").exists()
}

/// `external-plugins` in the project's config runs nothing unless the user allows it, and even
/// then never a program from inside the tree.
#[cfg(unix)]
#[test]
fn the_projects_config_cannot_make_chainward_run_a_program() {
    let tmp = tree_with_its_own_plugin();
    let dir = tmp.path();
    let out = output(
        chainward(dir)
            .env("PATH", hostile_path(dir))
            .args(["check", "--format", "json", "."]),
    );
    assert!(!pwned(dir), "ran the tree's plugin: {}", out.snapshot());
    assert_eq!(out.code, 1, "{}", out.snapshot());
    assert!(
        out.stdout.contains("chainward/external-plugin-not-allowed"),
        "{}",
        out.stdout
    );

    // Allowed by the user: still only looked up outside the tree.
    for allow in [
        &["--allow-external-plugins"][..],
        &[], // with CHAINWARD_ALLOW_EXTERNAL_PLUGINS=1 below
    ] {
        let mut cmd = chainward(dir);
        cmd.env("PATH", hostile_path(dir))
            .env("CHAINWARD_ALLOW_EXTERNAL_PLUGINS", "1")
            .arg("check")
            .args(allow)
            .args(["--format", "json", "."]);
        let out = output(&mut cmd);
        assert!(!pwned(dir), "ran the tree's plugin: {}", out.snapshot());
        assert!(
            out.stdout.contains("chainward/plugin-failed")
                && out.stdout.contains("not in an absolute PATH entry outside"),
            "{}",
            out.stdout
        );
    }
}

/// The same plugin in a folder outside the tree runs when the user allows it by environment.
#[cfg(unix)]
#[test]
fn an_allowed_plugin_outside_the_tree_runs() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tree_with_its_own_plugin();
    let bin = tempfile::tempdir().expect("tmp");
    let plugin = bin.path().join("chainward-pwn");
    std::fs::copy(tmp.path().join("chainward-pwn"), &plugin).expect("copy");
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = output(
        chainward(tmp.path())
            .env(
                "PATH",
                format!("{}:{}", bin.path().display(), hostile_path(tmp.path())),
            )
            .env("CHAINWARD_ALLOW_EXTERNAL_PLUGINS", "1")
            .args(["check", "--format", "json", "."]),
    );
    assert!(bin.path().join("PWNED").exists(), "{}", out.snapshot());
    assert!(!pwned(tmp.path()));
    assert!(
        !out.stdout.contains("chainward/plugin-failed"),
        "{}",
        out.stdout
    );
}

//! `chainward fix`: the unified diff of every fixable fixture, what gets written, and that a
//! second run changes nothing.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{cases, copy_fixture, run, snap_name};
use crate::snap;

/// Every file under `dir` with its bytes.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .expect("below root")
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

#[test]
fn fix_diff_then_fix_then_nothing_left() {
    let mut with_fixes = 0;
    let all: Vec<(&str, String)> = ["pin-check", "npm-ci", "pm-config", "mcp"]
        .iter()
        .flat_map(|p| cases(p).into_iter().map(move |c| (*p, c)))
        .collect();
    for (plugin, case) in all {
        let tmp = copy_fixture(&format!("{plugin}/{case}"));
        let before = read_tree(tmp.path());
        let mut safe_diff = String::new();
        for unsafe_fixes in [false, true] {
            let mut args = vec!["check", "--diff", "--color", "never", "."];
            if unsafe_fixes {
                args.push("--unsafe-fixes");
            }
            let diff = run(tmp.path(), &args);
            assert!(
                diff.code == 0 || diff.code == 1,
                "{case}: {}",
                diff.snapshot()
            );
            assert_eq!(
                read_tree(tmp.path()),
                before,
                "{case}: --diff wrote something"
            );
            // The unsafe variant is snapshotted only where unsafe fixes add something.
            if diff.stdout.is_empty() || (unsafe_fixes && diff.stdout == safe_diff) {
                continue;
            }
            let suffix = if unsafe_fixes { "__unsafe" } else { "" };
            snap!(
                plugin,
                format!("fix_diff__{}{suffix}", snap_name(&case)),
                diff.snapshot()
            );
            safe_diff = diff.stdout;
        }
        let diff = run(tmp.path(), &["check", "--diff", "--color", "never", "."]);
        if diff.stdout.is_empty() {
            // Only unsafe fixes (if any): they apply and converge.
            run(tmp.path(), &["fix", "--unsafe-fixes", "."]);
            let again = run(tmp.path(), &["check", "--diff", "--unsafe-fixes", "."]);
            assert!(
                again.stdout.is_empty(),
                "{case}: unsafe fixes do not converge:\n{}",
                again.stdout
            );
            continue;
        }
        with_fixes += 1;

        let fixed = run(tmp.path(), &["fix", "--color", "never", "."]);
        assert!(
            fixed.code == 0 || fixed.code == 1,
            "{case}: {}",
            fixed.snapshot()
        );
        let after = read_tree(tmp.path());
        assert_ne!(
            after, before,
            "{case}: fix wrote nothing although --diff showed changes"
        );
        // Only the files the diff named changed.
        for (path, bytes) in &after {
            if before.get(path) != Some(bytes) {
                assert!(
                    diff.stdout.contains(&format!("a/{path}")),
                    "{case}: {path} changed but was not in the diff"
                );
            }
        }
        // A second run is a no-op.
        let again = run(tmp.path(), &["fix", "--color", "never", "."]);
        assert_eq!(
            read_tree(tmp.path()),
            after,
            "{case}: the second fix changed files"
        );
        assert!(
            again.stderr.contains("Applied 0 fixes"),
            "{case}: {}",
            again.stderr
        );
        let diff_again = run(tmp.path(), &["check", "--diff", "."]);
        // Unsafe fixes converge too.
        let unsafe_fix = run(tmp.path(), &["fix", "--unsafe-fixes", "."]);
        assert!(
            unsafe_fix.code == 0 || unsafe_fix.code == 1,
            "{case}: {}",
            unsafe_fix.snapshot()
        );
        let unsafe_again = run(tmp.path(), &["check", "--diff", "--unsafe-fixes", "."]);
        assert!(
            unsafe_again.stdout.is_empty(),
            "{case}: unsafe fixes do not converge:\n{}",
            unsafe_again.stdout
        );
        assert!(
            diff_again.stdout.is_empty(),
            "{case}: still a diff after fix:\n{}",
            diff_again.stdout
        );
    }
    assert!(
        with_fixes >= 8,
        "expected at least 8 fixtures with fixes, found {with_fixes}"
    );
}

#[test]
fn only_version_strings_change() {
    // Formatting fixtures: tabs, CRLF + 4 spaces, no trailing newline survive byte for byte.
    for case in [
        "formatting-tabs",
        "formatting-crlf-4space",
        "formatting-no-newline",
    ] {
        let tmp = copy_fixture(&format!("pin-check/{case}"));
        let before =
            std::fs::read_to_string(tmp.path().join("package.json")).expect("package.json");
        run(tmp.path(), &["fix", "."]);
        let after = std::fs::read_to_string(tmp.path().join("package.json")).expect("package.json");
        assert_ne!(before, after, "{case}: nothing fixed");
        assert_eq!(
            before.matches("\r\n").count(),
            after.matches("\r\n").count(),
            "{case}: line endings"
        );
        assert_eq!(
            before.matches('\t').count(),
            after.matches('\t').count(),
            "{case}: tabs"
        );
        assert_eq!(
            before.ends_with('\n'),
            after.ends_with('\n'),
            "{case}: trailing newline"
        );
        assert_eq!(
            before.lines().count(),
            after.lines().count(),
            "{case}: line count"
        );
        for (b, a) in before.lines().zip(after.lines()) {
            if b != a {
                let key = |l: &str| l.split(':').next().unwrap_or("").to_string();
                assert_eq!(
                    key(b),
                    key(a),
                    "{case}: only values may change: {b:?} -> {a:?}"
                );
            }
        }
    }
}

#[test]
fn read_only_target_writes_nothing_and_exits_2() {
    let tmp = copy_fixture("pin-check/ranges");
    let lock = tmp.path().join("package-lock.json");
    let before = read_tree(tmp.path());
    let mut perms = std::fs::metadata(&lock).expect("lockfile").permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&lock, perms).expect("chmod");
    let out = run(tmp.path(), &["fix", "."]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(
        out.stderr.contains("package-lock.json") && out.stderr.contains("read-only"),
        "{}",
        out.stderr
    );
    assert_eq!(
        read_tree(tmp.path()),
        before,
        "a file was written although the fix failed"
    );
}

#[cfg(unix)]
#[test]
fn fix_keeps_the_file_mode_and_leaves_no_temp_files() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = copy_fixture("pin-check/ranges-no-resolved");
    let pj = tmp.path().join("package.json");
    std::fs::set_permissions(&pj, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let out = run(tmp.path(), &["fix", "."]);
    assert!(out.code == 0 || out.code == 1, "{}", out.snapshot());
    let mode = std::fs::metadata(&pj)
        .expect("package.json")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o640, "the fix changed the file mode");
    let leftovers: Vec<String> = read_tree(tmp.path())
        .into_keys()
        .filter(|p| p.contains("chainward-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

#[test]
fn explicit_config_file() {
    let tmp = copy_fixture("pin-check/ranges-no-resolved");
    let cfg = tmp.path().join("custom.toml");
    std::fs::write(&cfg, "[rules]\n\"pin-check/range-specifier\" = \"off\"\n").expect("config");
    let out = run(tmp.path(), &["check", "--config", "custom.toml", "."]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let out = run(tmp.path(), &["check", "--config", "missing.toml", "."]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing.toml"), "{}", out.stderr);
}

/// `--show-fixes`: `check` lists what `fix` would fix, by file and rule; `fix` lists what it
/// fixed, the same list; a second `fix` fixes nothing. On every fixable fixture.
#[test]
fn show_fixes_lists_what_fix_does() {
    let number = |text: &str, prefix: &str| -> usize {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|rest| rest.split(' ').next())
            .map_or(0, |n| {
                if n == "nothing." {
                    0
                } else {
                    n.parse().expect("a count")
                }
            })
    };
    let mut listed = 0;
    for plugin in ["pin-check", "npm-ci", "pm-config", "mcp"] {
        for case in cases(plugin) {
            let tmp = copy_fixture(&format!("{plugin}/{case}"));
            let would = run(tmp.path(), &["check", "--show-fixes", "."]);
            let n = number(&would.stderr, "`chainward fix` would fix ");
            let fixed = run(tmp.path(), &["fix", "--show-fixes", "."]);
            assert_eq!(
                number(&fixed.stderr, "Fixed "),
                n,
                "{case}: {}\n{}",
                would.stderr,
                fixed.stderr
            );
            assert_eq!(number(&fixed.stderr, "Applied "), n, "{case}");
            // The same files and rules, in the same order.
            let list = |s: &str| -> Vec<String> {
                s.lines()
                    .filter(|l| l.starts_with("- ") || l.starts_with("    "))
                    .map(str::to_string)
                    .collect()
            };
            assert_eq!(list(&would.stderr), list(&fixed.stderr), "{case}");
            let again = run(tmp.path(), &["fix", "--show-fixes", "."]);
            assert!(!again.stderr.contains("Fixed "), "{case}: {}", again.stderr);
            listed += usize::from(n > 0);
            if case == "mcp-server" {
                let tmp = copy_fixture(&format!("{plugin}/{case}"));
                let out = run(
                    tmp.path(),
                    &["fix", "--unsafe-fixes", "--show-fixes", "--quiet", "."],
                );
                snap!("cli", "show_fixes__mcp-server", out.snapshot());
            }
        }
    }
    assert!(listed >= 10, "only {listed} fixtures have fixes");
}

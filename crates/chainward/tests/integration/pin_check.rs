//! `chainward check` on every pin-check fixture: the rendered text findings, snapshotted.

use crate::common::{cases, fixtures, run, snap_name};
use crate::snap;

#[test]
fn every_pin_check_fixture() {
    let cases = cases("pin-check");
    assert!(
        cases.len() >= 15,
        "expected the pin-check fixtures, found {cases:?}"
    );
    for case in cases {
        let dir = fixtures().join("pin-check").join(&case);
        let out = run(&dir, &["check", "--color", "never", "."]);
        assert!(
            out.code == 0 || out.code == 1,
            "{case}: exit {}\n{}",
            out.code,
            out.stderr
        );
        snap!(
            "pin-check",
            format!("check__{}", snap_name(&case)),
            out.snapshot()
        );
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

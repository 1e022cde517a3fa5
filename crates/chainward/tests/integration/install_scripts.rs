//! install-scripts: the inventory agrees across formats and with npm's own record, and
//! approvals without reasons are config errors naming the line.

use std::collections::BTreeSet;

use crate::common::{copy_fixture, fixtures, run};

/// The packages reported as running unapproved install scripts.
fn reported(case: &str) -> BTreeSet<String> {
    let tmp = copy_fixture(&format!("install-scripts/{case}"));
    let out = run(
        tmp.path(),
        &[
            "install-scripts",
            "--select",
            "install-scripts/unapproved-install-script",
            "--format",
            "json",
            ".",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| {
            let message = f["message"].as_str()?;
            let quoted = message.split('`').nth(1)?;
            let at = quoted[1..].find('@')? + 1;
            Some(quoted[..at].to_string())
        })
        .collect()
}

#[test]
fn the_inventory_equals_npms_record_on_every_format() {
    let lock: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("install-scripts/npm/package-lock.json"))
            .expect("lockfile"),
    )
    .expect("json");
    let recorded: BTreeSet<String> = lock["packages"]
        .as_object()
        .expect("packages")
        .iter()
        // The root entry records the project's own scripts; those are another rule's.
        .filter(|(k, p)| k.starts_with("node_modules/") && p["hasInstallScript"] == true)
        .map(|(k, _)| {
            k.rsplit_once("node_modules/")
                .map_or(k.as_str(), |(_, n)| n)
                .to_string()
        })
        .collect();
    assert_eq!(recorded.len(), 6, "{recorded:?}");
    // npm: from `hasInstallScript`; pnpm 9 and yarn 1: from the installed package.json files.
    for case in ["npm", "pnpm", "yarn"] {
        assert_eq!(reported(case), recorded, "{case}");
    }
    // Every approval kind settles its package; nothing is left unapproved.
    assert!(reported("approved").is_empty());
}

#[test]
fn approvals_need_a_reason_and_a_valid_range() {
    for (toml, line, needle) in [
        (
            "[[install-scripts.allow]]\npackage = \"esbuild\"\n",
            1,
            "has no `reason`",
        ),
        (
            "# ok\n[[install-scripts.allow]]\npackage = \"esbuild\"\nreason = \"  \"\n",
            4,
            "empty `reason`",
        ),
        (
            "[[install-scripts.allow]]\npackage = \"esbuild\"\nversion = \"^^1\"\nreason = \"x\"\n",
            3,
            "not a valid semver range",
        ),
        (
            "[[install-scripts.allow]]\npackage = \"esbuild\"\nreason = \"x\"\nscope = \"dev\"\n",
            4,
            "unknown key `scope`",
        ),
    ] {
        let tmp = copy_fixture("install-scripts/npm");
        std::fs::write(tmp.path().join("chainward.toml"), toml).expect("write");
        let out = run(tmp.path(), &["check", "."]);
        assert_eq!(out.code, 2, "{toml}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!("chainward.toml:{line}:")) && out.stderr.contains(needle),
            "{toml}: {}",
            out.stderr
        );
    }
}

//! Output formats end to end: SARIF validated against the official 2.1.0 schema, GitHub
//! workflow commands and versioned JSON.

use crate::common::{fixtures, run, shared_vectors};
use crate::snap;

pub(crate) fn sarif_validator() -> (boon::Schemas, boon::SchemaIndex) {
    let path = shared_vectors().join("schemas/sarif/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the SARIF schema must be at {} (../shared/vectors): {e}",
            path.display()
        )
    });
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    let id = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource(id, schema).expect("add schema");
    let index = compiler.compile(id, &mut schemas).expect("compile schema");
    (schemas, index)
}

#[test]
fn sarif_output_validates_against_the_official_schema() {
    let (schemas, index) = sarif_validator();
    for case in [
        "ranges",
        "actions",
        "docker",
        "git-and-url",
        "bad-input/truncated-json",
    ] {
        let out = run(
            &fixtures().join("pin-check").join(case),
            &["check", "--format", "sarif", "."],
        );
        let sarif: serde_json::Value =
            serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{case}: not JSON: {e}"));
        if let Err(e) = schemas.validate(&sarif, index) {
            panic!("{case}: SARIF does not validate: {e:#}");
        }
        let results = sarif["runs"][0]["results"].as_array().map_or(0, Vec::len);
        assert!(results > 0, "{case}: no results");
        // Every rule is a security rule GitHub ranks, with its documentation linked.
        for rule in sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules")
        {
            let properties = &rule["properties"];
            let score: f64 = properties["security-severity"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("{}: no security-severity", rule["id"]));
            assert!((0.1..=10.0).contains(&score), "{}", rule["id"]);
            assert!(
                properties["tags"]
                    .as_array()
                    .expect("tags")
                    .contains(&"security".into())
            );
            let uri = rule["helpUri"].as_str().expect("helpUri");
            let (page, anchor) = uri
                .rsplit_once("/docs/rules/")
                .and_then(|(_, p)| p.split_once(".md#"))
                .unwrap_or_else(|| panic!("helpUri {uri}"));
            let doc = std::fs::read_to_string(
                crate::common::workspace().join(format!("docs/rules/{page}.md")),
            )
            .unwrap_or_else(|e| panic!("{uri}: {e}"));
            assert!(
                doc.contains(&format!("\n## {anchor}\n")),
                "{uri}: no such heading"
            );
        }
    }
    // The validator is not a rubber stamp.
    let out = run(
        &fixtures().join("pin-check/ranges"),
        &["check", "--format", "sarif", "."],
    );
    let mut broken: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(
        schemas.validate(&broken, index).is_err(),
        "a SARIF result with level `fatal` must not validate"
    );
}

#[test]
fn github_annotations() {
    let out = run(
        &fixtures().join("pin-check/actions"),
        &["check", "--format", "github", "."],
    );
    assert_eq!(out.code, 1);
    snap!("cli", "github__actions", out.snapshot());
}

#[test]
fn json_is_versioned() {
    let out = run(
        &fixtures().join("pin-check/npm-alias"),
        &["check", "--format", "json", "."],
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(json["version"], 1);
    snap!("cli", "json__npm-alias", out.stdout);
}

/// `--format concise` (alias `--output-format`): one line per finding, `[*]` where `fix`
/// applies, then the summary saying what was checked.
#[test]
fn concise_output() {
    let dir = fixtures().join("pin-check/actions");
    let out = run(&dir, &["check", "--format", "concise", "."]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let text = run(&dir, &["check", "."]);
    let findings = text.stdout.matches("\n  --> ").count() + text.stdout.matches("\n --> ").count();
    assert_eq!(out.stdout.lines().count(), findings + 1, "{}", out.stdout);
    assert_eq!(
        run(&dir, &["check", "--output-format", "concise", "."]).stdout,
        out.stdout
    );
    snap!("cli", "concise__actions", out.snapshot());
}

/// `--statistics`: counts by rule with the fixable share, as a table or JSON; other formats are
/// a usage error.
#[test]
fn statistics() {
    let dir = fixtures().join("pin-check/actions");
    let table = run(&dir, &["check", "--statistics", "."]);
    assert_eq!(table.code, 1, "{}", table.stderr);
    snap!("cli", "statistics__actions", table.snapshot());
    let json = run(&dir, &["check", "--statistics", "--format", "json", "."]);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let rows = rows.as_array().expect("an array");
    let concise = run(&dir, &["check", "--format", "concise", "."]);
    let total: u64 = rows
        .iter()
        .map(|r| r["count"].as_u64().expect("count"))
        .sum();
    assert_eq!(total as usize, concise.stdout.lines().count() - 1);
    for row in rows {
        let rule = row["rule"].as_str().expect("rule");
        let listed = concise
            .stdout
            .lines()
            .filter(|l| l.contains(&format!(": {rule} ")) || l.contains(&format!(": {rule} [")))
            .count();
        assert_eq!(row["count"].as_u64(), Some(listed as u64), "{rule}");
    }
    let sarif = run(&dir, &["check", "--statistics", "--format", "sarif", "."]);
    assert_eq!(sarif.code, 2, "{}", sarif.snapshot());
}

/// The summary line says what was checked; a tree with nothing chainward reads says so.
#[test]
fn the_summary_says_what_was_checked() {
    let empty = tempfile::tempdir().expect("tmp");
    std::fs::write(empty.path().join("main.py"), "print('hi')\n").expect("write");
    let out = run(empty.path(), &["check", "."]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(
        out.stdout
            .starts_with("Nothing chainward reads was found here"),
        "{}",
        out.stdout
    );
    let clean = run(&fixtures().join("pin-check/clean"), &["check", "."]);
    assert_eq!(clean.code, 0, "{}", clean.snapshot());
    assert!(
        clean.stdout.starts_with(
            "Checked 5 files (1 package.json, 1 lockfile, 1 .npmrc, 1 workflow, 1 Dockerfile): no findings."
        ),
        "{}",
        clean.stdout
    );
}

/// `--exit-zero` keeps the report and exits 0; `| head` ends quietly, never "Broken pipe".
#[test]
fn exit_zero_and_a_closed_pipe() {
    let dir = fixtures().join("pin-check/actions");
    let out = run(&dir, &["check", "--exit-zero", "."]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("error["), "{}", out.stdout);

    // Enough findings to fill a pipe (64 KiB), read by no one.
    let tmp = tempfile::tempdir().expect("tmp");
    let deps: Vec<String> = (0..3000)
        .map(|i| format!("\"dep-{i}\": \"^1.0.0\""))
        .collect();
    std::fs::write(
        tmp.path().join("package.json"),
        format!(
            "{{\"name\": \"x\", \"dependencies\": {{{}}}}}\n",
            deps.join(", ")
        ),
    )
    .expect("write");
    let mut child = crate::common::chainward(tmp.path())
        .args(["check", "."])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("Broken pipe") && !stderr.contains("error"),
        "{stderr}"
    );
    assert_ne!(out.status.code(), Some(2), "{stderr}");
}

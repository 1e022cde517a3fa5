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

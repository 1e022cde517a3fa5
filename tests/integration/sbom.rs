//! `chainward sbom`: documents from every lockfile format validate against the official
//! CycloneDX 1.5/1.6 and SPDX 2.3 schemas (../shared/vectors), name the same packages as
//! cyclonedx-npm, and are byte-for-byte reproducible.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::{copy_fixture, fixtures, run, shared_vectors, workspace};

/// Every fixture folder with a lockfile of each format.
const CASES: &[&str] = &[
    "install-scripts/npm",
    "install-scripts/npm-v1",
    "install-scripts/pnpm",
    "install-scripts/yarn",
    "npm-ci/formats/bun",
    "npm-ci/formats/pnpm-v6",
    "npm-ci/formats/pnpm-v9",
    "npm-ci/formats/pnpm-workspace",
    "npm-ci/formats/yarn-berry",
    "npm-ci/formats/yarn-classic",
    "pin-check/mcp-server",
    "npm-ci/python/uv-workspace",
    "npm-ci/python/pylock",
    "npm-ci/python/poetry",
];

/// A validator for one schema file of ../shared/vectors/schemas, with the schemas it refers
/// to loaded by their `$id`, and `format` asserted (so `date-time` is checked).
fn validator(file: &str, with: &[&str]) -> (boon::Schemas, boon::SchemaIndex) {
    let dir = shared_vectors().join("schemas");
    let load = |rel: &str| -> serde_json::Value {
        let path = dir.join(rel);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{} (../shared/vectors is needed): {e}", path.display()));
        serde_json::from_str(&text).expect("schema is JSON")
    };
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    for rel in with {
        let schema = load(rel);
        let id = schema["$id"].as_str().expect("$id").to_string();
        compiler.add_resource(&id, schema).expect("add schema");
        // The CycloneDX schemas refer to their neighbours by relative file name.
        let name = Path::new(rel)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let _ = compiler.add_resource(&format!("http://cyclonedx.org/schema/{name}"), load(rel));
    }
    let schema = load(file);
    let id = schema["$id"].as_str().expect("$id").to_string();
    compiler.add_resource(&id, schema).expect("add schema");
    let mut schemas = boon::Schemas::new();
    let index = compiler.compile(&id, &mut schemas).expect("compile schema");
    (schemas, index)
}

fn sbom(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["sbom", "--reproducible"];
    full.extend_from_slice(args);
    full.push(".");
    let out = run(dir, &full);
    assert_eq!(out.code, 0, "{}: {}", dir.display(), out.stderr);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{}: not JSON: {e}", dir.display()))
}

#[test]
fn generated_sboms_validate_against_the_official_schemas() {
    let deps = [
        "cyclonedx/spdx.schema.json",
        "cyclonedx/jsf-0.82.schema.json",
    ];
    let cdx15 = validator("cyclonedx/bom-1.5.schema.json", &deps);
    let cdx16 = validator("cyclonedx/bom-1.6.schema.json", &deps);
    let spdx = validator("spdx/spdx-schema-2.3.json", &[]);
    let spdx231 = validator("spdx/spdx-schema-2.3.1.json", &[]);
    for case in CASES {
        let dir = fixtures().join(case);
        for (args, (schemas, index), name) in [
            (&["--spec-version", "1.5"][..], &cdx15, "CycloneDX 1.5"),
            (&[][..], &cdx16, "CycloneDX 1.6"),
            (&["--format", "spdx-json"][..], &spdx, "SPDX 2.3"),
            (&["--format", "spdx-json"][..], &spdx231, "SPDX 2.3.1"),
        ] {
            let doc = sbom(&dir, args);
            if let Err(e) = schemas.validate(&doc, *index) {
                panic!("{case}: {name} does not validate: {e:#}");
            }
            let count = doc["components"]
                .as_array()
                .or_else(|| doc["packages"].as_array())
                .map_or(0, Vec::len);
            assert!(count > 1, "{case}: {name}: {count} components");
        }
        // Not a timestamp-only check: a document without its required parts fails.
        let mut broken = sbom(&dir, &[]);
        broken["components"][0]["hashes"] =
            serde_json::json!([{"alg": "SHA-512", "content": "zz"}]);
        assert!(cdx16.0.validate(&broken, cdx16.1).is_err());
        let mut broken = sbom(&dir, &["--format", "spdx-json"]);
        if let Some(p) = broken["packages"][0].as_object_mut() {
            p.remove("downloadLocation");
        }
        assert!(spdx.0.validate(&broken, spdx.1).is_err());
    }
}

#[test]
fn reproducible_sboms_are_stable_and_complete() {
    let dir = fixtures().join("install-scripts/npm");
    let a = run(&dir, &["sbom", "--reproducible", "."]);
    let b = run(&dir, &["sbom", "--reproducible", "."]);
    assert_eq!(a.stdout, b.stdout);
    let doc: serde_json::Value = serde_json::from_str(&a.stdout).expect("json");
    assert!(doc["metadata"]["timestamp"].is_null());
    let live = run(&dir, &["sbom", "."]);
    let live: serde_json::Value = serde_json::from_str(&live.stdout).expect("json");
    assert!(live["metadata"]["timestamp"].is_string());
    assert_ne!(live["serialNumber"], doc["serialNumber"]);

    // Every locked package is a component with its hash, licence and install-script flag.
    let comps = doc["components"].as_array().expect("components");
    assert_eq!(comps.len(), 202);
    let esbuild = comps
        .iter()
        .find(|c| c["purl"] == "pkg:npm/esbuild@0.21.5")
        .expect("esbuild");
    assert_eq!(esbuild["hashes"][0]["alg"], "SHA-512");
    assert_eq!(esbuild["licenses"][0]["license"]["id"], "MIT");
    assert_eq!(esbuild["scope"], "required");
    let props: Vec<(&str, &str)> = esbuild["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or(""),
                p["value"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        props.contains(&("cdx:npm:hasInstallScript", "true")),
        "{props:?}"
    );
    let husky = comps.iter().find(|c| c["name"] == "husky").expect("husky");
    assert_eq!(husky["scope"], "excluded");
    // The root depends on its direct dependencies, dev ones included.
    let root_ref = doc["metadata"]["component"]["bom-ref"]
        .as_str()
        .expect("root");
    let deps = doc["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .find(|d| d["ref"] == root_ref)
        .expect("root's dependencies");
    assert_eq!(deps["dependsOn"].as_array().map_or(0, Vec::len), 8);

    // --omit dev drops husky and what only it needs.
    let prod = sbom(&dir, &["--omit", "dev"]);
    assert!(
        prod["components"]
            .as_array()
            .expect("components")
            .iter()
            .all(|c| c["name"] != "husky")
    );
}

/// cyclonedx-npm, installed by `.ci/run` into target/tools (never fetched by a test).
fn cyclonedx_npm() -> PathBuf {
    workspace().join("target/tools/node_modules/.bin/cyclonedx-npm")
}

fn purls(doc: &serde_json::Value) -> BTreeSet<String> {
    fn walk(list: &serde_json::Value, out: &mut BTreeSet<String>) {
        for c in list.as_array().into_iter().flatten() {
            if let Some(p) = c["purl"].as_str() {
                out.insert(p.to_string());
            }
            walk(&c["components"], out);
        }
    }
    let mut out = BTreeSet::new();
    walk(&doc["components"], &mut out);
    out
}

/// Differential: on npm lockfiles, the same components (by purl) as cyclonedx-npm
/// `--package-lock-only`.
#[test]
fn the_same_components_as_cyclonedx_npm() {
    let tool = cyclonedx_npm();
    assert!(
        tool.exists(),
        "{} is missing: `.ci/run` installs it",
        tool.display()
    );
    for case in [
        "install-scripts/npm",
        "install-scripts/npm-v1",
        "pin-check/mcp-server",
        "pin-check/ranges",
    ] {
        let dir = fixtures().join(case);
        if !dir.join("package-lock.json").exists() {
            continue;
        }
        let tmp = crate::common::copy_fixture(case);
        let out = std::process::Command::new(&tool)
            .args([
                "--package-lock-only",
                "--output-reproducible",
                "--output-format",
                "JSON",
            ])
            .current_dir(tmp.path())
            .env("npm_config_offline", "true")
            .output()
            .expect("cyclonedx-npm runs");
        assert!(
            out.status.success(),
            "{case}: cyclonedx-npm failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let ours = sbom(&dir, &[]);
        assert_eq!(purls(&ours), purls(&theirs), "{case}");
    }
}

#[test]
fn scopes_agree_across_package_managers_and_documents_round_trip() {
    let scopes = |case: &str| -> BTreeSet<(String, String)> {
        let doc = sbom(&fixtures().join(case), &[]);
        doc["components"]
            .as_array()
            .expect("components")
            .iter()
            .map(|c| {
                (
                    c["purl"].as_str().unwrap_or_default().to_string(),
                    c["scope"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    // npm records dev/optional; pnpm's are derived from its graph and flags: the same answer.
    let npm = scopes("install-scripts/npm");
    assert_eq!(npm, scopes("install-scripts/pnpm"));
    assert!(npm.iter().filter(|(_, s)| s == "optional").count() >= 10);
    // yarn classic records only the edges (`optionalDependencies:`): the graph decides, and
    // agrees on every package both lockfiles hold (sharp's platform packages are reachable
    // only through optional edges).
    let yarn: std::collections::BTreeMap<String, String> =
        scopes("install-scripts/yarn").into_iter().collect();
    let shared: Vec<&(String, String)> = npm.iter().filter(|(p, _)| yarn.contains_key(p)).collect();
    assert!(
        shared.len() * 10 >= npm.len() * 9,
        "{} of {} shared",
        shared.len(),
        npm.len()
    );
    let differ: Vec<String> = shared
        .iter()
        .filter(|(p, s)| &yarn[p] != s)
        .map(|(p, s)| format!("{p}: npm {s}, yarn {}", yarn[p]))
        .collect();
    assert!(differ.is_empty(), "{}", differ.join("\n"));

    // Written as CycloneDX and as SPDX, read back: no difference at all.
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = fixtures().join("install-scripts/npm");
    for (name, args) in [
        ("a.cdx.json", &["--spec-version", "1.5"][..]),
        ("b.cdx.json", &[][..]),
        ("c.spdx.json", &["--format", "spdx-json"][..]),
    ] {
        let out = tmp.path().join(name);
        let mut full = vec!["sbom", "--reproducible", "-o", out.to_str().expect("utf-8")];
        full.extend_from_slice(args);
        full.push(".");
        assert_eq!(run(&dir, &full).code, 0);
    }
    for (a, b) in [("a.cdx.json", "b.cdx.json"), ("b.cdx.json", "c.spdx.json")] {
        let out = run(tmp.path(), &["sbom", "diff", a, b, "--format", "json"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        let changes: Vec<&str> = json["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .filter_map(|c| c["kind"].as_str())
            .collect();
        // SPDX has no scopes: dev-only packages cannot be told there.
        assert!(
            changes.iter().all(|k| *k == "dev-to-prod"),
            "{a} → {b}: {changes:?}"
        );
        assert_eq!(json["new"]["components"], 202, "{a} → {b}");
    }
}

/// Two real lockfiles of one project, before and after `npm update`: the diff as a table, as
/// Markdown (snapshots), as JSON; then a hand-tampered integrity is an error.
#[test]
fn diff_of_a_real_npm_update_and_of_a_tampered_lockfile() {
    let dir = fixtures().join("sbom-diff/npm-update");
    let args = [
        "sbom",
        "diff",
        "before/package-lock.json",
        "after/package-lock.json",
    ];
    let table = run(&dir, &args);
    assert_eq!(table.code, 0, "{}", table.stderr);
    let mut md_args = args.to_vec();
    md_args.extend(["--format", "markdown"]);
    let markdown = run(&dir, &md_args);
    crate::snap!(
        "sbom-diff",
        "diff__npm-update",
        format!(
            "{}\n=== markdown ===\n{}",
            table.snapshot(),
            markdown.stdout
        )
    );
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let json: serde_json::Value =
        serde_json::from_str(&run(&dir, &json_args).stdout).expect("json");
    assert_eq!(json["summary"]["upgraded"], 35);
    assert!(json["summary"]["hash-changed"].is_null());
    let express: Vec<&serde_json::Value> = json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["name"] == "express")
        .collect();
    assert_eq!(express.len(), 1, "an upgrade is one row");
    assert_eq!(express[0]["kind"], "upgraded");
    assert_eq!(express[0]["from"], "4.17.1");

    // Tampering: the same version with other bytes.
    let tmp = crate::common::copy_fixture("sbom-diff/npm-update");
    let lock = tmp.path().join("after/package-lock.json");
    let text = std::fs::read_to_string(&lock).expect("lockfile");
    let entry = text.find("\"node_modules/ms\": {").expect("ms entry");
    let integrity = entry
        + text[entry..]
            .find("\"integrity\": \"sha512-")
            .expect("integrity");
    let at = integrity + "\"integrity\": \"sha512-".len();
    let mut tampered = text.clone();
    let flipped = if &text[at..=at] == "A" { "B" } else { "A" };
    tampered.replace_range(at..=at, flipped);
    std::fs::write(&lock, tampered).expect("write");
    let out = run(
        tmp.path(),
        &[
            "sbom",
            "diff",
            "before/package-lock.json",
            "after/package-lock.json",
            "--format",
            "github",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    let errors: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", out.stdout);
    assert!(
        errors[0].contains("title=sbom-diff/hash-changed"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("`ms@2.1.3`"), "{}", errors[0]);
    assert!(
        errors[0].contains("file=after/package-lock.json,line="),
        "{}",
        errors[0]
    );
}

/// Every `sbom-diff` rule once, in a reviewed snapshot: `check --base HEAD` on a hand-made
/// lockfile change (fixtures/sbom-diff/every-change), and `sbom diff` on the same change.
#[test]
fn every_change_against_a_git_revision() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let case = fixtures().join("sbom-diff/every-change");
    crate::common::copy_tree(&case.join("before"), dir);
    let repo = crate::common::GitRepo::init(dir);
    repo.commit_all("before");
    crate::common::copy_tree(&case.join("after"), dir);
    // The gained install script is install-scripts' finding in `check` (sbom-diff leaves it).
    let check = run(
        dir,
        &[
            "check",
            "--base",
            "HEAD",
            "--select",
            "sbom-diff",
            "--select",
            "install-scripts/new-install-script",
            ".",
        ],
    );
    assert_eq!(check.code, 1, "{}", check.stderr);
    crate::snap!("cli", "every_change__check", check.snapshot());
    let diff = run(dir, &["sbom", "diff", "--base", "HEAD", "."]);
    crate::snap!("cli", "every_change__diff", diff.snapshot());
    // As findings (GitHub annotations), the install script among them.
    let annotations = run(
        dir,
        &["sbom", "diff", "--base", "HEAD", "--format", "github", "."],
    );
    crate::snap!("cli", "every_change__diff_github", annotations.snapshot());
}

/// `--base`: the lockfile at a git revision (git2 blobs, no checkout) against the working tree,
/// through `sbom diff --base` and through `check --base` (the sbom-diff plugin).
#[test]
fn diff_against_a_git_revision() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    crate::common::copy_tree(&fixtures().join("sbom-diff/npm-update/before"), dir);
    let repo = crate::common::GitRepo::init(dir);
    repo.commit_all("before");
    crate::common::copy_tree(&fixtures().join("sbom-diff/npm-update/after"), dir);

    let out = run(dir, &["sbom", "diff", "--base", "HEAD", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(json["summary"]["upgraded"], 35);
    assert_eq!(json["summary"]["added"], 21);
    // The project as a path, like every other command (before: a usage error).
    let with_path = run(
        dir,
        &["sbom", "diff", "--base", "HEAD", "--format", "json", "."],
    );
    assert_eq!(with_path.code, 0, "{}", with_path.stderr);
    assert_eq!(with_path.stdout, out.stdout);

    let check = run(
        dir,
        &[
            "check",
            "--base",
            "HEAD",
            "--select",
            "sbom-diff",
            "--format",
            "json",
            ".",
        ],
    );
    let found: serde_json::Value = serde_json::from_str(&check.stdout).expect("json");
    let rules: BTreeSet<&str> = found["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(rules, BTreeSet::from(["sbom-diff/new-dependency"]));
    // Without --base the plugin has nothing to compare.
    let plain = run(
        dir,
        &["check", "--select", "sbom-diff", "--format", "json", "."],
    );
    let plain: serde_json::Value = serde_json::from_str(&plain.stdout).expect("json");
    assert!(plain["findings"].as_array().expect("findings").is_empty());
}

#[test]
fn bad_sboms_are_clear_errors() {
    let tmp = tempfile::tempdir().expect("tmp");
    let good = tmp.path().join("good.json");
    std::fs::write(&good, r#"{"bomFormat":"CycloneDX","specVersion":"1.6"}"#).expect("write");
    for (content, needle) in [
        ("{\"bomFormat\":", "not JSON"),
        ("SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n", "tag-value"),
        (
            r#"{"bomFormat":"CycloneDX","specVersion":"2.0"}"#,
            "2.0 is not supported",
        ),
        (
            r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","bom-ref":"x"},{"type":"library","name":"b","bom-ref":"x"}]}"#,
            "duplicate bom-ref",
        ),
        (r#"{"spdxVersion":"SPDX-3.0"}"#, "SPDX-3.0 is not supported"),
    ] {
        let bad = tmp.path().join("bad.json");
        std::fs::write(&bad, content).expect("write");
        let out = run(tmp.path(), &["sbom", "diff", "good.json", "bad.json"]);
        assert_eq!(out.code, 2, "{content}");
        assert!(
            out.stderr.contains("bad.json") && out.stderr.contains(needle),
            "{content}: {}",
            out.stderr
        );
    }
    // A dependency cycle is data, not a hang.
    std::fs::write(
        tmp.path().join("cycle.json"),
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a","version":"1.0.0","bom-ref":"a"},{"type":"library","name":"b","version":"1.0.0","bom-ref":"b"}],"dependencies":[{"ref":"a","dependsOn":["b"]},{"ref":"b","dependsOn":["a"]}]}"#,
    )
    .expect("write");
    let out = run(tmp.path(), &["sbom", "diff", "good.json", "cycle.json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("2 added"), "{}", out.stdout);
    // No lockfile: a clear error.
    std::fs::write(tmp.path().join("package.json"), "{\"name\":\"x\"}").expect("write");
    let out = run(tmp.path(), &["sbom", "."]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no lockfile"), "{}", out.stderr);
}

/// The reproducible documents of the small real lockfiles of every format (reviewed as code:
/// components, scopes, hashes, the graph).
#[test]
fn reproducible_sbom_snapshots() {
    for case in [
        "bun",
        "pnpm-v6",
        "pnpm-v9",
        "pnpm-workspace",
        "yarn-berry",
        "yarn-classic",
    ] {
        let dir = fixtures().join("npm-ci/formats").join(case);
        let out = run(&dir, &["sbom", "--reproducible", "."]);
        assert_eq!(out.code, 0, "{case}: {}", out.stderr);
        crate::snap!("sbom-diff", format!("sbom__{case}"), out.stdout);
    }
    let dir = fixtures().join("npm-ci/formats/pnpm-workspace");
    let out = run(
        &dir,
        &["sbom", "--reproducible", "--format", "spdx-json", "."],
    );
    crate::snap!("sbom-diff", "sbom__pnpm-workspace__spdx", out.stdout);
}

/// `sbom validate` against the CycloneDX specification's own test documents and the SPDX
/// example: every `valid-*` document passes (no false alarm), and the `invalid-*` ones within
/// what chainward checks without a schema fail; with `--schema`, every one behaves as its name
/// says.
#[test]
fn validate_agrees_with_the_specification_examples() {
    let examples = shared_vectors().join("sbom-examples");
    let mut detected = Vec::new();
    let mut missed = Vec::new();
    for version in ["1.5", "1.6"] {
        let dir = examples.join("cyclonedx").join(version);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("examples")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert!(names.len() > 50, "{}", dir.display());
        for name in names {
            let text = std::fs::read_to_string(dir.join(&name)).expect("read");
            let verdict = sbom_diff::validate::validate(&text);
            if name.starts_with("valid-") {
                match verdict {
                    Ok((_, problems)) => assert!(problems.is_empty(), "{name}: {problems:#?}"),
                    Err(e) => panic!("{name}: {e:?}"),
                }
            } else if verdict.map_or(true, |(_, p)| !p.is_empty()) {
                detected.push(name.replace(&format!("-{version}.json"), ""));
            } else {
                missed.push(name.replace(&format!("-{version}.json"), ""));
            }
        }
    }
    detected.sort();
    detected.dedup();
    for must in [
        "invalid-bomformat",
        "invalid-component-ref",
        "invalid-component-type",
        "invalid-dependency",
        "invalid-empty-component",
        "invalid-hash-alg",
        "invalid-hash-md5",
        "invalid-hash-sha1",
        "invalid-hash-sha256",
        "invalid-hash-sha512",
        "invalid-license-id",
        "invalid-metadata-timestamp",
        "invalid-missing-component-type",
        "invalid-scope",
        "invalid-serialnumber",
    ] {
        assert!(
            detected.iter().any(|d| d == must),
            "{must} not detected; detected {detected:?}"
        );
    }
    // Without the schema, only a service's data-flow object is beyond the built-in checks.
    missed.sort();
    missed.dedup();
    assert_eq!(missed, ["invalid-service-data"], "detected {detected:?}");
    let spdx = std::fs::read_to_string(examples.join("spdx/SPDXJSONExample-v2.3.spdx.json"))
        .expect("SPDX example");
    let (_, problems) = sbom_diff::validate::validate(&spdx).expect("an SBOM");
    assert!(problems.is_empty(), "{problems:#?}");

    // The command: pointed errors with line and column, and --schema.
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = fixtures().join("install-scripts/npm");
    let good = tmp.path().join("good.cdx.json");
    assert_eq!(
        run(
            &dir,
            &[
                "sbom",
                "--reproducible",
                "-o",
                good.to_str().expect("utf-8"),
                "."
            ]
        )
        .code,
        0
    );
    let schema = shared_vectors().join("schemas/cyclonedx/bom-1.6.schema.json");
    let schema = schema.to_str().expect("utf-8");
    let ok = run(
        tmp.path(),
        &["sbom", "validate", "good.cdx.json", "--schema", schema],
    );
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("valid CycloneDX 1.6"), "{}", ok.stdout);
    let text = std::fs::read_to_string(&good).expect("read");
    let bad = text.replacen("\"alg\": \"SHA-512\"", "\"alg\": \"SHA-513\"", 1);
    std::fs::write(tmp.path().join("bad.cdx.json"), bad).expect("write");
    let out = run(
        tmp.path(),
        &["sbom", "validate", "bad.cdx.json", "--schema", schema],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    let first = out.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("bad.cdx.json:")
            && first.contains("/hashes/0/alg: `SHA-513` is not one of"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("schema: /components/0/hashes/0/alg"),
        "{}",
        out.stdout
    );
    std::fs::write(tmp.path().join("broken.json"), "{\n  \"bomFormat\": \n").expect("write");
    let out = run(tmp.path(), &["sbom", "validate", "broken.json"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("broken.json:3:"), "{}", out.stderr);
}

/// A 50 MB SBOM (hand-made, 140,000 components with hashes and a dependency chain) is read and
/// diffed, not refused and not a crash; one changed hash in it is found.
#[test]
fn a_50_mb_sbom_is_handled() {
    let tmp = tempfile::tempdir().expect("tmp");
    let make = |tamper: Option<usize>| -> String {
        let mut out = String::from(
            r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":["#,
        );
        let n = 140_000;
        for i in 0..n {
            let hash = if tamper == Some(i) { "b" } else { "a" }.repeat(128);
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!(
                r#"{{"type":"library","bom-ref":"p{i}@1.0.0","name":"p{i}","version":"1.0.0","purl":"pkg:npm/p{i}@1.0.0","hashes":[{{"alg":"SHA-512","content":"{hash}"}}],"licenses":[{{"license":{{"id":"MIT"}}}}]}}"#
            ));
        }
        out.push_str(r#"],"dependencies":["#);
        for i in 0..n {
            if i > 0 {
                out.push(',');
            }
            let next = (i + 1) % n;
            out.push_str(&format!(
                r#"{{"ref":"p{i}@1.0.0","dependsOn":["p{next}@1.0.0"]}}"#
            ));
        }
        out.push_str("]}");
        out
    };
    let old = make(None);
    assert!(old.len() > 50_000_000, "{} bytes", old.len());
    std::fs::write(tmp.path().join("old.json"), &old).expect("write");
    std::fs::write(tmp.path().join("new.json"), make(Some(77_777))).expect("write");
    let out = run(
        tmp.path(),
        &["sbom", "diff", "old.json", "new.json", "--format", "json"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(json["summary"], serde_json::json!({"hash-changed": 1}));
    assert_eq!(json["changes"][0]["name"], "p77777");
}

/// `[sbom-diff]` takes no settings: a key there is a config error naming file, line and column,
/// as for every other plugin (before, the section accepted anything).
#[test]
fn sbom_diff_config_rejects_unknown_keys() {
    let tmp = copy_fixture("pin-check/ranges");
    std::fs::write(
        tmp.path().join("chainward.toml"),
        "[sbom-diff]\nformat = \"spdx\"\n",
    )
    .expect("config");
    let out = run(tmp.path(), &["check", "."]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(
        out.stderr.contains("chainward.toml:2:1")
            && out
                .stderr
                .contains("unknown key `format` in [sbom-diff] (it takes no settings)"),
        "{}",
        out.stderr
    );
}

/// With an advisory database, the CycloneDX document gains a `vulnerabilities` section (id,
/// source, ratings, references for aliases, affects by `bom-ref`) that validates against the
/// official 1.5 and 1.6 schemas; each `affects` names a component of the document. exa-mcp-server's
/// real lockfile locks semver@7.3.5 (GHSA-c2qf-rxjj-qqgw); the hand-made advisories fixture holds
/// every record of fixtures/osv, malicious ones included.
#[test]
fn vulnerabilities_from_an_advisory_database_validate() {
    let deps = [
        "cyclonedx/spdx.schema.json",
        "cyclonedx/jsf-0.82.schema.json",
    ];
    let cdx15 = validator("cyclonedx/bom-1.5.schema.json", &deps);
    let cdx16 = validator("cyclonedx/bom-1.6.schema.json", &deps);
    let db = fixtures().join("osv").display().to_string();
    let exa = fixtures().join("advisories/exa-mcp-server");
    for (args, (schemas, index)) in [
        (&["--spec-version", "1.5", "--advisory-db", &db][..], &cdx15),
        (&["--advisory-db", &db][..], &cdx16),
    ] {
        let doc = sbom(&exa, args);
        if let Err(e) = schemas.validate(&doc, *index) {
            panic!("exa-mcp-server: does not validate: {e:#}");
        }
        let vulns = doc["vulnerabilities"].as_array().expect("vulnerabilities");
        assert_eq!(vulns.len(), 1, "{vulns:?}");
        assert_eq!(vulns[0]["id"], "GHSA-c2qf-rxjj-qqgw");
        assert_eq!(vulns[0]["ratings"][0]["severity"], "medium");
        assert_eq!(vulns[0]["references"][0]["id"], "CVE-2022-25883");
        let refs: BTreeSet<&str> = doc["components"]
            .as_array()
            .expect("components")
            .iter()
            .filter_map(|c| c["bom-ref"].as_str())
            .collect();
        let affected: Vec<&str> = vulns[0]["affects"]
            .as_array()
            .expect("affects")
            .iter()
            .filter_map(|a| a["ref"].as_str())
            .collect();
        assert!(
            !affected.is_empty() && affected.iter().all(|r| refs.contains(r)),
            "{affected:?}"
        );
        assert!(vulns[0]["affects"][0]["versions"][0]["version"] == "7.3.5");
    }
    // Without a database (none given, none cached): no section at all.
    let plain = sbom(&exa, &[]);
    assert!(plain.get("vulnerabilities").is_none());

    // Every record, malicious ones included: the section as written.
    let doc = sbom(&fixtures().join("advisories/npm"), &["--advisory-db", &db]);
    let section = serde_json::to_string_pretty(&doc["vulnerabilities"]).expect("json");
    crate::snap!("sbom", "vulnerabilities", section);
    // The section itself validates (the hand-made lockfile's placeholder hashes do not).
    let mut only = doc.clone();
    for c in only["components"].as_array_mut().expect("components") {
        c.as_object_mut().expect("component").remove("hashes");
    }
    if let Err(e) = cdx16.0.validate(&only, cdx16.1) {
        panic!("advisories/npm: does not validate: {e:#}");
    }
    let malicious = doc["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities")
        .iter()
        .filter(|v| v["cwes"] == serde_json::json!([506]))
        .count();
    assert_eq!(malicious, 2);
}

/// The SBOM of a uv.lock against uv's own (`uv export --format cyclonedx1.5 --all-extras`, the
/// real uv 0.13.9, offline): the same packages, the same distribution files with the same
/// SHA-256, the same dependency graph.
#[test]
fn the_same_components_as_uv_export() {
    for case in [
        "npm-ci/python/uv-workspace",
        "real-world/mcp-reference-server-time",
    ] {
        same_as_uv_export(case);
    }
}

fn same_as_uv_export(case: &str) {
    let uv = crate::common::workspace().join("target/tools/venv/bin/uv");
    assert!(uv.exists(), "uv is not at {}: run `.ci/run`", uv.display());
    let dir = crate::common::copy_fixture(case);
    let cache = tempfile::tempdir().expect("cache");
    let out = std::process::Command::new(&uv)
        .args([
            "export",
            "--format",
            "cyclonedx1.5",
            "--all-extras",
            "--offline",
            "--frozen",
            "--no-progress",
        ])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", cache.path())
        .env("UV_CACHE_DIR", cache.path())
        .env("XDG_CONFIG_HOME", cache.path())
        .env("UV_PYTHON_DOWNLOADS", "never")
        .output()
        .expect("run uv");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("uv's JSON");
    let ours = sbom(dir.path(), &[]);
    type Key = (String, String);
    let key = |c: &serde_json::Value| -> Key {
        (
            c["name"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase()
                .replace('_', "-"),
            c["version"].as_str().unwrap_or_default().to_string(),
        )
    };
    let index = |doc: &serde_json::Value| -> BTreeMap<String, Key> {
        let mut m: BTreeMap<String, Key> = doc["components"]
            .as_array()
            .expect("components")
            .iter()
            .map(|c| {
                (
                    c["bom-ref"].as_str().unwrap_or_default().to_string(),
                    key(c),
                )
            })
            .collect();
        let root = &doc["metadata"]["component"];
        m.insert(
            root["bom-ref"].as_str().unwrap_or_default().to_string(),
            key(root),
        );
        m
    };
    // (package, distribution URL) → SHA-256.
    let files = |doc: &serde_json::Value| -> BTreeSet<(Key, String, String)> {
        doc["components"]
            .as_array()
            .expect("components")
            .iter()
            .flat_map(|c| {
                let k = key(c);
                c["externalReferences"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(move |r| {
                        let h = r["hashes"][0]["content"].as_str()?.to_string();
                        Some((k.clone(), r["url"].as_str()?.to_string(), h))
                    })
            })
            .collect()
    };
    let edges = |doc: &serde_json::Value| -> BTreeSet<(Key, Key)> {
        let ix = index(doc);
        doc["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .flat_map(|d| {
                let from = ix[d["ref"].as_str().unwrap_or_default()].clone();
                let ix = ix.clone();
                d["dependsOn"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |t| (from.clone(), ix[t.as_str().unwrap_or_default()].clone()))
            })
            .collect()
    };
    let names = |doc: &serde_json::Value| -> BTreeSet<Key> { index(doc).into_values().collect() };
    assert_eq!(names(&ours), names(&theirs), "{case}");
    let (a, b) = (files(&ours), files(&theirs));
    assert!(a.len() > 100, "{case}: {} distribution files", a.len());
    assert_eq!(a, b, "{case}");
    assert_eq!(edges(&ours), edges(&theirs), "{case}");
}

/// A uv.lock changed since a git revision: `sbom diff` of the two files and `check --base` (the
/// sbom-diff plugin) report the moved indexes and the replaced file hash.
#[test]
fn uv_lock_changes_against_a_git_revision() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    crate::common::copy_tree(&fixtures().join("npm-ci/python/uv-workspace"), dir);
    let repo = crate::common::GitRepo::init(dir);
    repo.commit_all("before");
    // The hand-edited lock: two packages from other indexes, a distribution without its hash;
    // and one file's hash replaced.
    let edited = std::fs::read_to_string(fixtures().join("npm-ci/python/uv-entries/uv.lock"))
        .expect("read")
        .replacen("sha256:d03ceb89", "sha256:e03ceb89", 1);
    std::fs::write(dir.join("uv.lock"), edited).expect("write");
    let check = run(
        dir,
        &["check", "--base", "HEAD", "--select", "sbom-diff", "."],
    );
    assert_eq!(check.code, 1, "{}", check.stderr);
    crate::snap!("cli", "uv_lock_changes__check", check.snapshot());
}

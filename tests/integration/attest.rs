//! `--format in-toto`: the Statement's structure (in-toto Statement v1, SCAI v0.3: the in-toto
//! attestation framework publishes protobuf definitions, not JSON schemas, so the structure is
//! checked field by field here), its subjects' digests, the SARIF evidence, determinism; and the
//! shipped Rego policy (docs/policies/chainward.rego) evaluated on real output by a Rego engine
//! (regorus), allowing a passing project and denying a failing, stale or undated one.

use std::path::Path;

use serde_json::Value;

use crate::common::{chainward, copy_fixture, output, workspace};

/// `chainward check --format in-toto ARGS .` in `dir`, parsed, with its exit code.
fn attest(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let mut cmd = chainward(dir);
    cmd.args(["check", "--format", "in-toto"])
        .args(args)
        .arg(".");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = output(&mut cmd);
    let json = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", out.stdout, out.stderr));
    (out.code, json)
}

fn is_sha256(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Every field the in-toto Statement v1 and SCAI v0.3 specs require, with its type.
fn assert_structure(statement: &Value) {
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        statement["predicateType"],
        "https://in-toto.io/attestation/scai/v0.3"
    );
    let subjects = statement["subject"].as_array().expect("subject[]");
    assert!(!subjects.is_empty(), "a Statement needs a subject");
    for s in subjects {
        assert!(s["name"].as_str().is_some_and(|n| !n.is_empty()), "{s}");
        assert_eq!(s["digest"].as_object().map(|o| o.len()), Some(1), "{s}");
        if s["name"] == "HEAD" {
            let commit = s["digest"]["gitCommit"].as_str().expect("gitCommit");
            assert!(
                commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
                "{s}"
            );
        } else {
            assert!(is_sha256(&s["digest"]["sha256"]), "{s}");
        }
    }
    let predicate = &statement["predicate"];
    let attributes = predicate["attributes"].as_array().expect("attributes[]");
    assert!(!attributes.is_empty(), "SCAI needs an attribute");
    let mut names: Vec<&str> = Vec::new();
    for a in attributes {
        let name = a["attribute"].as_str().expect("attribute is a string");
        assert!(name.starts_with("chainward/"), "{name}");
        names.push(name);
        let c = &a["conditions"];
        assert!(
            ["PASSED", "WARNED", "FAILED", "SKIPPED", "NOT_APPLICABLE"]
                .contains(&c["result"].as_str().unwrap_or_default()),
            "{a}"
        );
        for k in ["error", "warning", "info"] {
            assert!(c["counts"][k].is_u64(), "{a}");
        }
        let rules = c["rules"].as_array().expect("rules[]");
        if c["counts"]["error"].as_u64() > Some(0) {
            assert_eq!(c["result"], "FAILED", "{a}");
        } else if c["counts"]["warning"].as_u64() > Some(0) {
            assert_eq!(c["result"], "WARNED", "{a}");
        } else {
            assert_ne!(c["result"], "FAILED", "{a}");
            assert_ne!(c["result"], "WARNED", "{a}");
            // A plugin that could not judge says why.
            assert_eq!(c["result"] == "SKIPPED", c["reason"].is_string(), "{a}");
        }
        let total: u64 = ["error", "warning", "info"]
            .iter()
            .filter_map(|k| c["counts"][k].as_u64())
            .sum();
        assert_eq!(rules.is_empty(), total == 0, "{a}");
    }
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted, "attributes sorted, one per plugin");
    assert_eq!(predicate["producer"]["name"], "chainward");
    assert!(predicate["producer"]["uri"].as_str().is_some());
}

#[test]
fn statement_structure_subjects_and_evidence() {
    let tmp = copy_fixture("mcp/stale-version");
    let sarif = tmp.path().join("chainward.sarif");
    let (code, statement) = attest(
        tmp.path(),
        &["--sarif", sarif.to_str().expect("utf-8 path")],
        &[],
    );
    assert_eq!(code, 1, "{statement}");
    assert_structure(&statement);
    // Every subject is a file of the tree, with its own digest.
    for s in statement["subject"].as_array().expect("subjects") {
        let name = s["name"].as_str().expect("name");
        let bytes = std::fs::read(tmp.path().join(name)).expect("subject file");
        assert_eq!(
            s["digest"]["sha256"],
            chainward_core::digest::sha256_hex(&bytes),
            "{name}"
        );
    }
    let names: Vec<&str> = statement["subject"]
        .as_array()
        .expect("subjects")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        names.contains(&"server.json") && names.contains(&"package.json"),
        "{names:?}"
    );
    // The mcp plugin's errors fail its attribute; the evidence is the SARIF file, by digest.
    let mcp = statement["predicate"]["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .find(|a| a["attribute"] == "chainward/mcp")
        .expect("the mcp attribute");
    assert_eq!(mcp["conditions"]["result"], "FAILED");
    assert!(
        mcp["conditions"]["rules"]
            .as_array()
            .expect("rules")
            .contains(&Value::from("mcp/version-mismatch"))
    );
    let written = std::fs::read(&sarif).expect("the SARIF report");
    assert_eq!(
        mcp["evidence"]["digest"]["sha256"],
        chainward_core::digest::sha256_hex(&written)
    );
    assert_eq!(mcp["evidence"]["name"], "chainward.sarif");
    let report: Value = serde_json::from_slice(&written).expect("SARIF is JSON");
    assert_eq!(report["version"], "2.1.0");
    // No time unless asked: two runs are byte-identical.
    let a = output(chainward(tmp.path()).args(["check", "--format", "in-toto", "."]));
    let b = output(chainward(tmp.path()).args(["check", "--format", "in-toto", "."]));
    assert_eq!(a.stdout, b.stdout);
    assert!(!a.stdout.contains("checkedAt"));
    // CHAINWARD_NOW is the instant a run is judged at.
    let (_, dated) = attest(
        tmp.path(),
        &["--timestamp"],
        &[("CHAINWARD_NOW", "2025-12-05T00:00:00Z")],
    );
    assert_eq!(
        dated["predicate"]["producer"]["annotations"]["checkedAt"],
        "2025-12-05T00:00:00Z"
    );
    // Plugins that could not judge the tree are not PASSED.
    let by = |name: &str| crate::common::attribute_result(&statement, name);
    assert_eq!(by("chainward/advisories"), Some(Value::from("SKIPPED")));
    assert_eq!(by("chainward/dep-trust"), Some(Value::from("SKIPPED")));
}

#[test]
fn attestations_refuse_what_would_weaken_them() {
    let tmp = copy_fixture("mcp/stale-version");
    let dir = tmp.path();
    // Filtered findings would attest less than the tree holds.
    for args in [
        &["--base", "HEAD"][..],
        &["--baseline", "b.json"][..],
        &["--write-baseline", "b.json"][..],
    ] {
        let out = output(
            chainward(dir)
                .args(["check", "--format", "in-toto"])
                .args(args)
                .arg("."),
        );
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("does not combine"), "{}", out.stderr);
    }
    let out = output(chainward(dir).args(["check", "--timestamp", "."]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    // A report path planted as a link by the tree is not written through.
    let outside = tempfile::tempdir().expect("tmp");
    let target = outside.path().join("victim");
    std::fs::write(&target, "keep").expect("write");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&target, dir.join("chainward.sarif")).expect("link");
        for flag in ["--sarif", "-o"] {
            let out = output(chainward(dir).args(["check", flag, "chainward.sarif", "."]));
            assert_eq!(out.code, 2, "{flag}: {}", out.stderr);
            assert!(out.stderr.contains("symbolic link"), "{}", out.stderr);
        }
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep");
    }
    let out = output(chainward(dir).args([
        "check", "--format", "in-toto", "--sarif", "x.json", "-o", "x.json", ".",
    ]));
    assert_eq!(out.code, 2, "{}", out.stderr);
}

/// The commit names what was checked only when every attested file is as committed.
#[test]
fn the_commit_is_a_subject_when_the_tree_is_as_committed() {
    let tmp = copy_fixture("mcp/in-step");
    let dir = tmp.path();
    let head = |s: &Value| {
        s["subject"]
            .as_array()
            .expect("subjects")
            .iter()
            .find(|s| s["name"] == "HEAD")
            .map(|s| {
                s["digest"]["gitCommit"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
    };
    let (_, outside) = attest(dir, &[], &[]);
    assert_eq!(head(&outside), None, "not a repository");
    let repo = crate::common::commit_all(
        dir,
        &[
            "package.json",
            "server.json",
            ".github/workflows/publish-mcp.yml",
        ],
    );
    let commit = repo
        .head()
        .expect("head")
        .peel_to_commit()
        .expect("commit")
        .id()
        .to_string();
    let (_, clean) = attest(dir, &[], &[]);
    assert_structure(&clean);
    assert_eq!(head(&clean), Some(commit));
    std::fs::write(
        dir.join("package.json"),
        "{\"name\": \"@acme/weather-mcp\", \"version\": \"9.9.9\"}\n",
    )
    .expect("write");
    let (_, dirty) = attest(dir, &[], &[]);
    assert_eq!(head(&dirty), None, "a changed file");
}

#[test]
fn nothing_to_attest_is_a_usage_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(tmp.path().join("README.md"), "nothing here\n").expect("write");
    let out = output(chainward(tmp.path()).args(["check", "--format", "in-toto", "."]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("nothing to attest"), "{}", out.stderr);
}

/// The settings the passing project needs: this hermetic run has no advisory database and no
/// registry metadata.
fn offline() -> Value {
    serde_json::json!({"allow_skipped": ["chainward/advisories", "chainward/dep-trust"]})
}

/// The policy's `deny` set and `allow` for a Statement, with `data.chainward_policy`.
fn decide(statement: &Value, settings: &Value) -> (bool, Vec<String>) {
    let policy = std::fs::read_to_string(workspace().join("docs/policies/chainward.rego"))
        .expect("the shipped policy");
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("chainward.rego".into(), policy)
        .expect("the policy parses as Rego v1");
    engine
        .add_data(
            regorus::Value::from_json_str(
                &serde_json::json!({ "chainward_policy": settings }).to_string(),
            )
            .expect("data"),
        )
        .expect("data added");
    engine.set_input(regorus::Value::from_json_str(&statement.to_string()).expect("input"));
    let allow = engine
        .eval_rule("data.chainward.allow".into())
        .expect("allow evaluates");
    let deny = engine
        .eval_rule("data.chainward.deny".into())
        .expect("deny evaluates");
    let deny: Value = serde_json::from_str(&deny.to_json_str().expect("json")).expect("json");
    let mut reasons: Vec<String> = deny
        .as_array()
        .expect("deny is a set")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    reasons.sort();
    (allow == regorus::Value::from(true), reasons)
}

#[test]
fn the_rego_policy_allows_a_passing_project_and_denies_the_rest() {
    // A project every plugin passes, checked now.
    let pass = copy_fixture("mcp/in-step");
    let (code, statement) = attest(pass.path(), &["--timestamp"], &[]);
    assert_eq!(code, 0, "{statement}");
    assert_structure(&statement);
    assert_eq!(decide(&statement, &offline()), (true, Vec::new()));
    // Without allowing them, the plugins that could not run deny: "no findings" is not "checked".
    let (allow, reasons) = decide(&statement, &Value::Null);
    assert!(!allow);
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("chainward/advisories SKIPPED: no advisory database")),
        "{reasons:?}"
    );

    // Findings of error severity: denied, naming the plugin and its rules.
    let fail = copy_fixture("mcp/stale-version");
    let (_, failing) = attest(fail.path(), &["--timestamp"], &[]);
    let (allow, reasons) = decide(&failing, &offline());
    assert!(!allow);
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("chainward/mcp FAILED") && r.contains("mcp/version-mismatch")),
        "{reasons:?}"
    );

    // A passing check that ran 30 days ago: too old for the default 7 days, fine for 60.
    let old = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        - 30 * 86_400) as i64;
    let old = jiff::Timestamp::from_second(old).expect("time").to_string();
    let (_, stale) = attest(pass.path(), &["--timestamp"], &[("CHAINWARD_NOW", &old)]);
    let (allow, reasons) = decide(&stale, &offline());
    assert!(!allow);
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("days ago") && r.contains("at most 7")),
        "{reasons:?}"
    );
    let mut sixty = offline();
    sixty["max_age_days"] = Value::from(60);
    assert_eq!(decide(&stale, &sixty), (true, Vec::new()));

    // Deny by default: every malformed or foreign Statement is refused, with a reason.
    let mutate = |f: &dyn Fn(&mut Value)| {
        let mut s = statement.clone();
        f(&mut s);
        s
    };
    let tomorrow = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24))
        .expect("time")
        .to_string();
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "predicateType",
            mutate(&|s| s["predicateType"] = Value::from("https://slsa.dev/provenance/v1")),
            offline(),
        ),
        (
            "_type",
            mutate(&|s| {
                s.as_object_mut().map(|o| o.remove("_type"));
            }),
            offline(),
        ),
        (
            "not chainward",
            mutate(&|s| {
                s.as_object_mut().map(|o| o.remove("predicate"));
            }),
            offline(),
        ),
        (
            "no subject",
            mutate(&|s| s["subject"] = Value::Array(Vec::new())),
            offline(),
        ),
        (
            "not chainward",
            mutate(&|s| s["predicate"]["producer"]["name"] = Value::from("other")),
            offline(),
        ),
        (
            "no attributes",
            mutate(&|s| s["predicate"]["attributes"] = Value::Array(Vec::new())),
            offline(),
        ),
        (
            "FAILED",
            mutate(&|s| {
                s["predicate"]["attributes"][3]["conditions"] =
                    serde_json::json!({"result": "FAILED"})
            }),
            offline(),
        ),
        (
            "ERROR",
            mutate(&|s| {
                s["predicate"]["attributes"][3]["conditions"]["result"] = Value::from("ERROR")
            }),
            offline(),
        ),
        (
            "<missing>",
            mutate(&|s| {
                s["predicate"]["attributes"][3]
                    .as_object_mut()
                    .map(|o| o.remove("conditions"));
            }),
            offline(),
        ),
        (
            "--timestamp",
            mutate(&|s| {
                s["predicate"]["producer"]["annotations"]
                    .as_object_mut()
                    .map(|o| o.remove("checkedAt"));
            }),
            offline(),
        ),
        (
            "not an RFC 3339 time",
            mutate(&|s| {
                s["predicate"]["producer"]["annotations"]["checkedAt"] = Value::from("garbage")
            }),
            offline(),
        ),
        (
            "in the future",
            mutate(&|s| {
                s["predicate"]["producer"]["annotations"]["checkedAt"] =
                    Value::from(tomorrow.clone())
            }),
            offline(),
        ),
        (
            "must be a number",
            statement.clone(),
            serde_json::json!({"allow_skipped": ["chainward/advisories", "chainward/dep-trust"], "max_age_days": "7"}),
        ),
    ];
    for (reason, input, settings) in cases {
        let (allow, reasons) = decide(&input, &settings);
        assert!(!allow, "{reason}: allowed");
        assert!(
            reasons.iter().any(|r| r.contains(reason)),
            "{reason}: {reasons:?}"
        );
    }
}

/// The Kyverno policy names the predicate type chainward writes, and its conditions read fields
/// the predicate has (Kyverno evaluates them against the predicate; no cluster runs here).
#[test]
fn the_kyverno_policy_reads_what_chainward_writes() {
    let text = std::fs::read_to_string(workspace().join("docs/policies/kyverno-chainward.yaml"))
        .expect("the shipped policy");
    let doc = chainward_core::yaml::parse(&text).expect("YAML");
    let rule = &doc
        .get("spec")
        .and_then(|s| s.get("rules"))
        .and_then(|r| r.as_seq())
        .expect("rules")[0];
    let attestation = &rule
        .get("verifyImages")
        .and_then(|v| v.as_seq())
        .expect("verifyImages")[0]
        .get("attestations")
        .and_then(|a| a.as_seq())
        .expect("attestations")[0];
    assert_eq!(
        attestation.get("type").and_then(|t| t.as_str()),
        Some("https://in-toto.io/attestation/scai/v0.3")
    );
    // cosign 3 attaches Sigstore bundles (OCI referrers): Kyverno finds them only as such.
    let verify = &rule
        .get("verifyImages")
        .and_then(|v| v.as_seq())
        .expect("verifyImages")[0];
    assert_eq!(
        verify.get("type").and_then(|t| t.as_str()),
        Some("SigstoreBundle")
    );
    let tmp = copy_fixture("mcp/in-step");
    let (_, statement) = attest(tmp.path(), &["--timestamp"], &[]);
    let predicate = &statement["predicate"];
    assert_eq!(predicate["producer"]["name"], "chainward");
    assert!(predicate["producer"]["annotations"]["checkedAt"].is_string());
    assert!(predicate["attributes"][0]["conditions"]["result"].is_string());
    for key in [
        "{{ producer.name }}",
        "attributes[?conditions.result == 'FAILED']",
        "producer.annotations.checkedAt",
    ] {
        assert!(text.contains(key), "{key}");
    }
}

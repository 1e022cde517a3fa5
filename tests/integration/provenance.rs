//! provenance: the pipeline rules on the workflow fixtures (their findings are snapshotted by
//! `pin_check::every_plugin_fixture`; here, what must and must not be reported), and the
//! package scope against the git remote.

use crate::common::{GitRepo, copy_fixture, run};

fn rules(case: &str) -> Vec<String> {
    let tmp = copy_fixture(&format!("provenance/{case}"));
    crate::common::findings(tmp.path(), &["provenance"], "rule")
}

#[test]
fn pipeline_rules_tell_good_releases_from_bad_ones() {
    // Correct usage: trusted publishing, the SLSA generator by tag.
    assert!(rules("trusted-publishing").is_empty());
    assert!(rules("slsa-generator").is_empty());
    // NPM_CONFIG_PROVENANCE enables provenance: only the token is left to report.
    assert_eq!(rules("env-provenance"), ["provenance/long-lived-token"]);
    assert_eq!(
        rules("token-publish"),
        [
            "provenance/release-cache",
            "provenance/publish-without-provenance",
            "provenance/long-lived-token"
        ]
    );
    assert_eq!(
        rules("provenance-without-id-token"),
        ["provenance/missing-id-token", "provenance/long-lived-token"]
    );
    assert_eq!(
        rules("cosign-without-id-token"),
        ["provenance/missing-id-token", "provenance/missing-id-token"]
    );
    assert_eq!(
        rules("unsigned-image"),
        ["provenance/no-release-provenance"]
    );
    assert_eq!(rules("pwn-request"), ["provenance/dangerous-trigger"]);
}

#[test]
fn scope_and_repository_are_compared_with_the_origin_remote() {
    let tmp = copy_fixture("provenance/trusted-publishing");
    let dir = tmp.path();
    let check = |dir: &std::path::Path| -> Vec<String> {
        crate::common::findings(
            dir,
            &["provenance", "--select", "provenance/scope-mismatch"],
            "message",
        )
    };
    // Outside a repository: silent, and --verbose says why.
    assert!(check(dir).is_empty());
    let verbose = run(dir, &["provenance", "--verbose", "."]);
    assert!(
        verbose.stderr.contains("not in a git repository"),
        "{}",
        verbose.stderr
    );

    let repo = GitRepo::init(dir);
    repo.commit_all("init");
    repo.remote("origin", "git@github.com:ACME/Weather-MCP.git");
    assert!(check(dir).is_empty(), "case-insensitive, ssh form");

    let tmp = copy_fixture("provenance/trusted-publishing");
    let repo = GitRepo::init(tmp.path());
    repo.commit_all("init");
    repo.remote("origin", "https://github.com/someone-else/weather-mcp.git");
    // The scope is company naming unless configured: only `repository` is npm's own check.
    let found = check(tmp.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("`repository` names acme/weather-mcp"),
        "{found:?}"
    );
    std::fs::write(
        tmp.path().join("chainward.toml"),
        "[provenance]\nscope-owner = true\n",
    )
    .expect("config");
    let found = check(tmp.path());
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].contains("scope `@acme` is not the GitHub owner `someone-else`"),
        "{found:?}"
    );
    let text = run(
        tmp.path(),
        &["provenance", "--select", "provenance/scope-mismatch", "."],
    );
    crate::snap!("cli", "scope_mismatch__other_owner", text.snapshot());
    // An unknown key is an error naming it.
    std::fs::write(
        tmp.path().join("chainward.toml"),
        "[provenance]\nscope = true\n",
    )
    .expect("config");
    let out = run(tmp.path(), &["check", "."]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stderr.contains("scope"), "{}", out.stderr);
}

/// Whether every proof in `text` verifies (an unreadable file does not).
fn verifies(
    verifier: &sigstore_verify::Verifier,
    subject: &provenance::verify::Subject<'_>,
    text: &str,
    policy: &provenance::verify::Policy,
    keys: &[provenance::verify::NpmKey],
) -> Result<bool, String> {
    let reports = provenance::verify::verify_all(verifier, subject, text, policy, keys)?;
    Ok(!reports.is_empty() && reports.iter().all(provenance::verify::Report::verified))
}

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

/// The public test vectors in ../shared/vectors: every sigstore-conformance `bundle-verify` case
/// (must pass with its identity policy, or must fail), the real npm provenance attestations
/// with their tarballs, and slsa-verifier's npm package, GitHub attestation and artifact cases.
#[test]
fn conformance_vectors() {
    use provenance::verify::{self, Policy, Subject};
    let vectors = crate::common::shared_vectors();
    let conformance = vectors.join("sigstore-conformance");
    let cases: serde_json::Value = match std::fs::read_to_string(conformance.join("cases.json")) {
        Ok(text) => serde_json::from_str(&text).expect("cases.json"),
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "../shared/vectors is absent ({e}): the conformance vectors were skipped; the test-PKI tests still cover the verifier"
                );
            }
            return;
        }
    };
    let (mut passed, mut rejected, mut wrong) = (0, 0, Vec::new());
    for case in cases["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().unwrap_or("?");
        let expected_pass = case["expected"] == "pass";
        let root_path = conformance.join(case["trusted_root"].as_str().unwrap_or(""));
        let verdict = (|| -> Result<bool, String> {
            let root = verify::trusted_root(Some(&root_path), &chainward_core::command::DISK)?;
            let verifier = verify::verifier(&root)?;
            let text =
                std::fs::read_to_string(conformance.join(case["bundle"].as_str().unwrap_or("")))
                    .map_err(|e| e.to_string())?;
            let policy = Policy {
                identity: case["policy"]["certificate_identity"]
                    .as_str()
                    .map(str::to_string),
                issuer: case["policy"]["certificate_oidc_issuer"]
                    .as_str()
                    .map(str::to_string),
                ..Policy::default()
            };
            let artifact = conformance.join(case["artifact"].as_str().unwrap_or(""));
            let subject = match case["artifact_digest"].as_str() {
                Some(d) => Subject::digest(d).ok_or("bad digest")?,
                None => Subject::File(&artifact, &chainward_core::command::DISK),
            };
            let keys = match case["verify_with_key"].as_str() {
                Some(k) => vec![verify::pem_key(
                    &std::fs::read_to_string(conformance.join(k)).map_err(|e| e.to_string())?,
                )?],
                None => Vec::new(),
            };
            verifies(&verifier, &subject, &text, &policy, &keys)
        })();
        let verified = *verdict.as_ref().unwrap_or(&false);
        match (expected_pass, verified) {
            (true, true) => passed += 1,
            (false, false) => rejected += 1,
            _ => wrong.push(format!(
                "{name}: expected {}, got {verdict:?}",
                case["expected"]
            )),
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "sigstore-conformance: {passed} passed, {rejected} rejected, {} wrong: {wrong:#?}",
            wrong.len()
        );
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!((passed, rejected), (21, 49));

    // npm: real attestations of published packages, with their tarballs; the SLSA provenance
    // (Fulcio) and npm's publish attestation (registry key) must verify, the other package's
    // tarball must not; libnpmpublish's bundles (no log entry, so no verified time) must fail.
    let npm = vectors.join("npm-provenance");
    let cases = read_json(&npm.join("cases.json"));
    let root = verify::trusted_root(
        Some(&vectors.join("sigstore-trust/production/trusted_root.json")),
        &chainward_core::command::DISK,
    )
    .expect("root");
    let verifier = verify::verifier(&root).expect("verifier");
    let keys = verify::npm_keys(
        &std::fs::read_to_string(vectors.join("npm-registry-keys/npm-v1-keys.json")).expect("keys"),
    )
    .expect("keys");
    let (mut npm_passed, mut npm_rejected) = (0, 0);
    let packages = cases["npm_cli_audit_fixtures"]["packages"]
        .as_array()
        .expect("packages");
    for (i, pkg) in packages.iter().enumerate() {
        let text = std::fs::read_to_string(npm.join(pkg["attestations"].as_str().unwrap_or("")))
            .expect("attestations");
        let own = npm.join(pkg["tarball"].as_str().unwrap_or(""));
        let other = npm.join(
            packages[(i + 1) % packages.len()]["tarball"]
                .as_str()
                .unwrap_or(""),
        );
        for (j, proof) in verify::bundles(&text).expect("bundles").iter().enumerate() {
            let expected = &pkg["bundles"][j];
            let policy = Policy {
                identity: expected["identity_policy_that_passes"]["certificate_identity"]
                    .as_str()
                    .map(str::to_string),
                issuer: expected["identity_policy_that_passes"]["certificate_oidc_issuer"]
                    .as_str()
                    .map(str::to_string),
                ..Policy::default()
            };
            let check = |tarball| {
                verify::verify(
                    &verifier,
                    &Subject::File(tarball, &chainward_core::command::DISK),
                    proof,
                    &policy,
                    &keys,
                )
                .expect("verify")
            };
            let good = check(&own);
            assert_eq!(expected["expected"], "pass");
            assert!(
                good.verified(),
                "{}: {}: {:?}",
                pkg["package"],
                proof.label,
                good.failure
            );
            npm_passed += 1;
            assert!(
                !check(&other).verified(),
                "{}: {} accepted another tarball",
                pkg["package"],
                proof.label
            );
            npm_rejected += 1;
        }
    }
    for file in cases["libnpmpublish_fixtures"]["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| !f["expected_full_sigstore_verification"].is_null())
    {
        assert_eq!(file["expected_full_sigstore_verification"], "fail");
        let text = std::fs::read_to_string(npm.join(file["file"].as_str().unwrap_or("")))
            .expect("fixture");
        let tarball = npm.join("libnpmpublish-fixtures/npmcli-libnpmpublish-test-1.0.0.tgz");
        let subject = Subject::File(&tarball, &chainward_core::command::DISK);
        let verified = verifies(&verifier, &subject, &text, &Policy::default(), &keys);
        assert!(!verified.unwrap_or(false), "{}", file["file"]);
        npm_rejected += 1;
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("npm provenance: {npm_passed} passed, {npm_rejected} rejected");
    }
    assert_eq!((npm_passed, npm_rejected), (4, 12));

    slsa_verifier_cases(&vectors.join("slsa-verifier"), &vectors);
}

/// slsa-verifier's regression cases, with its policy flags mapped to chainward's. slsa-verifier
/// requires `--builder-id` for npm packages; chainward makes it optional, so the cases that
/// expect a failure only for its absence are counted apart (and must verify here).
fn slsa_verifier_cases(slsa: &std::path::Path, vectors: &std::path::Path) {
    use provenance::verify::{self, Policy, Subject};
    let cases = read_json(&slsa.join("cases.json"));
    let root = verify::trusted_root(None, &chainward_core::command::DISK).expect("embedded root");
    let verifier = verify::verifier(&root).expect("verifier");
    let keys = verify::npm_keys(
        &std::fs::read_to_string(
            vectors.join("npm-registry-keys/registry.npmjs.org-keys.tuf-target.json"),
        )
        .expect("keys"),
    )
    .expect("keys");
    let text = |rel: &str| std::fs::read_to_string(slsa.join(rel)).expect("vector");
    let string = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let mut t = Tally::default();

    // `slsa-verifier verify-npm-package`: the tarball, its attestations (SLSA provenance signed
    // by Fulcio, the publish attestation signed by the registry key), the package name and
    // version, the source repository and the builder.
    for case in cases["npm_package_cases"].as_array().expect("cases") {
        let p = &case["policy"];
        let policy = Policy {
            source_uri: string(&p["source_uri"]),
            builder_id: string(&p["builder_id"]),
            package_name: string(&p["package_name"]),
            package_version: string(&p["package_version"]),
            ..Policy::default()
        };
        let tarball = slsa.join(case["tarball"].as_str().unwrap_or(""));
        let attestations = text(case["attestations"].as_str().unwrap_or(""));
        let verified = verifies(
            &verifier,
            &Subject::File(&tarball, &chainward_core::command::DISK),
            &attestations,
            &policy,
            &keys,
        )
        .unwrap_or(false);
        let only_no_builder = p["builder_id"].is_null();
        t.add(
            case["test"].as_str().unwrap_or("?"),
            case["expected"] == "pass",
            verified,
            only_no_builder,
        );
    }
    let npm = (t.passed, t.rejected, t.by_design);

    // `verify-github-attestation` (actions/attest-build-provenance bundles).
    for case in cases["github_attestation_cases"].as_array().expect("cases") {
        let policy = Policy {
            source_uri: string(&case["policy"]["source_uri"]),
            builder_id: string(&case["policy"]["builder_id"]),
            ..Policy::default()
        };
        let artifact = slsa.join(case["artifact"].as_str().unwrap_or(""));
        let attestation = text(case["attestation"].as_str().unwrap_or(""));
        let verified = verifies(
            &verifier,
            &Subject::File(&artifact, &chainward_core::command::DISK),
            &attestation,
            &policy,
            &[],
        )
        .unwrap_or(false);
        t.add(
            case["test"].as_str().unwrap_or("?"),
            case["expected"] == "pass",
            verified,
            case["policy"]["builder_id"].is_null(),
        );
    }

    // `verify-artifact` on slsa-github-generator output: once per builder id slsa-verifier
    // tried. The branch, tag and versioned tag flags become --source-ref. The v1.2 files are bare
    // DSSE envelopes whose log entry slsa-verifier fetches online: offline they cannot verify,
    // and chainward says so.
    for case in cases["artifact_path_cases"].as_array().expect("cases") {
        let p = &case["policy"];
        let source_ref = if let Some(b) = p["source_branch"].as_str() {
            Some(format!("refs/heads/{b}"))
        } else if let Some(t) = p["source_tag"].as_str() {
            Some(format!("refs/tags/{t}"))
        } else {
            p["source_versioned_tag"]
                .as_str()
                .map(|t| format!("refs/tags/{t}*"))
        };
        let provenance = text(case["provenance"].as_str().unwrap_or(""));
        for builder in p["builder_ids_tried"].as_array().expect("builders") {
            let policy = Policy {
                source_uri: string(&p["source_uri"]),
                source_ref: source_ref.clone(),
                builder_id: string(builder),
                ..Policy::default()
            };
            let artifacts = case["artifact_sha256"].as_object().expect("digests");
            let verified = artifacts.values().all(|digest| {
                let subject = Subject::digest(&format!("sha256:{}", digest.as_str().unwrap_or("")))
                    .expect("digest");
                verifies(&verifier, &subject, &provenance, &policy, &[]).unwrap_or(false)
            });
            if case["needs_online_rekor"] == true {
                let reports = verify::verify_all(
                    &verifier,
                    &Subject::digest(&format!("sha256:{}", "0".repeat(64))).expect("digest"),
                    &provenance,
                    &policy,
                    &[],
                )
                .expect("readable");
                assert!(
                    reports.iter().all(|r| r
                        .failure
                        .as_deref()
                        .is_some_and(|f| f.contains("without a transparency-log entry"))),
                    "{reports:?}"
                );
                t.offline += 1;
                continue;
            }
            // The workflow inputs flag has no chainward equivalent; those cases are all online.
            assert!(p["build_workflow_inputs"].is_null());
            t.add(
                case["test"].as_str().unwrap_or("?"),
                case["expected"] == "pass",
                verified,
                false,
            );
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "slsa-verifier: npm packages {npm:?} (passed, rejected, passed without --builder-id); all: {t:#?}"
        );
    }
    assert!(t.wrong.is_empty(), "{:#?}", t.wrong);
    assert_eq!(npm, (17, 33, 4));
    assert_eq!(
        (t.passed, t.rejected, t.by_design, t.offline),
        (31, 59, 6, 21)
    );
}

/// How chainward's verdicts compare with a verifier's expected results.
#[derive(Debug, Default)]
struct Tally {
    passed: usize,
    rejected: usize,
    /// Expected to fail only for a flag chainward does not require; verified here.
    by_design: usize,
    /// Need an online lookup; chainward says they cannot be verified offline.
    offline: usize,
    wrong: Vec<String>,
}

impl Tally {
    fn add(&mut self, test: &str, expected: bool, verified: bool, by_design: bool) {
        match (expected, verified) {
            (true, true) => self.passed += 1,
            (false, false) => self.rejected += 1,
            (false, true) if by_design => self.by_design += 1,
            _ => self
                .wrong
                .push(format!("{test}: expected {expected}, verified {verified}")),
        }
    }
}

/// `provenance show` / `verify` end to end on a real npm package and its attestations: what the
/// proof says (snapshot), the policy flags read from the certificate, failures naming the
/// check, digests instead of files, malformed input as exit 2.
#[test]
fn verify_and_show_from_the_command_line() {
    let vectors = crate::common::shared_vectors();
    let npm = vectors.join("npm-provenance/npm-cli-audit-fixtures");
    if !npm.is_dir() {
        return;
    }
    let s = |p: std::path::PathBuf| p.to_string_lossy().into_owned();
    let tarball = s(npm.join("sigstore-1.0.0.tgz"));
    let bundle = s(npm.join("sigstore-1.0.0.attestations.json"));
    let keys = s(vectors.join("npm-registry-keys/npm-v1-keys.json"));
    let root = s(vectors.join("sigstore-trust/production/trusted_root.json"));
    let base = [
        "--bundle",
        bundle.as_str(),
        "--npm-keys",
        keys.as_str(),
        "--trusted-root",
        root.as_str(),
    ];
    let dir = tempfile::tempdir().expect("tmp");
    let go = |verb: &str, artifact: &str, extra: &[&str]| {
        let mut args = vec!["provenance", verb, artifact];
        args.extend_from_slice(&base);
        args.extend_from_slice(extra);
        run(dir.path(), &args)
    };
    let policy = [
        "--source-uri",
        "github.com/sigstore/sigstore-js",
        "--source-ref",
        "refs/tags/v*",
        "--workflow",
        ".github/workflows/publish.yml",
        "--cert-oidc-issuer",
        "https://token.actions.githubusercontent.com",
    ];
    let shown = go("show", &tarball, &policy);
    assert_eq!(shown.code, 0, "{}{}", shown.stdout, shown.stderr);
    crate::snap!("provenance-verify", "show__sigstore-1.0.0", shown.stdout);

    let digest = "sha512:7bea9f6e7ff37f5fab0b36bf061200fff03099fd2fd696b91d04bc5e4f225eb9fd6e0cadcad54ba980f43fb352a99e8810b4e0abeb5c0ef2cf9108cd1f258b36";
    assert_eq!(go("verify", digest, &policy).code, 0);
    let package = [
        "--package-name",
        "sigstore",
        "--package-version",
        "1.0.0",
        "--source-uri",
        "github.com/sigstore/sigstore-js",
    ];
    assert_eq!(go("verify", &tarball, &package).code, 0);
    let regexp = go(
        "verify",
        &tarball,
        &[
            "--cert-identity-regexp",
            r"https://github\.com/sigstore/.*",
            "--cert-oidc-issuer",
            "https://token.actions.githubusercontent.com",
        ],
    );
    assert_eq!(regexp.code, 0, "{}", regexp.stdout);

    for (extra, needle) in [
        (
            &["--source-uri", "github.com/evil/sigstore-js"][..],
            "does not match --source-uri github.com/evil/sigstore-js",
        ),
        (
            &[
                "--source-ref",
                "refs/heads/*",
                "--source-uri",
                "github.com/sigstore/sigstore-js",
            ][..],
            "source ref refs/tags/v1.0.0 does not match",
        ),
        (
            &["--source-uri", "github.com/sigstore/Sigstore-js"][..],
            "(the case differs)",
        ),
        (
            &[
                "--package-name",
                "@sigstore/cli",
                "--source-uri",
                "github.com/sigstore/sigstore-js",
            ][..],
            "the statement is about the package sigstore, not --package-name @sigstore/cli",
        ),
        (
            &[
                "--package-name",
                "sigstore",
                "--package-version",
                "1.0.1",
                "--source-uri",
                "github.com/sigstore/sigstore-js",
            ][..],
            "the statement is about sigstore@1.0.0, not --package-version 1.0.1",
        ),
        (
            &[
                "--cert-oidc-issuer",
                "https://accounts.google.com",
                "--source-uri",
                "github.com/sigstore/sigstore-js",
            ][..],
            "issuer mismatch",
        ),
        (
            &[
                "--cert-identity",
                "https://github.com/sigstore/sigstore-js/.github/workflows/x.yml@refs/tags/v1.0.0",
                "--cert-oidc-issuer",
                "https://token.actions.githubusercontent.com",
            ][..],
            "identity mismatch",
        ),
    ] {
        let out = go("verify", &tarball, extra);
        assert_eq!(out.code, 1, "{extra:?}: {}", out.stdout);
        assert!(out.stdout.contains(needle), "{extra:?}: {}", out.stdout);
    }
    let other = s(npm.join("tuf-js-1.0.0.tgz"));
    let wrong = go(
        "verify",
        &other,
        &["--source-uri", "github.com/sigstore/sigstore-js"],
    );
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stdout.contains("artifact mismatch"),
        "{}",
        wrong.stdout
    );

    std::fs::write(dir.path().join("broken.json"), "{\"mediaType\": 3").expect("write");
    let out = run(
        dir.path(),
        &[
            "provenance",
            "verify",
            &tarball,
            "--bundle",
            "broken.json",
            "--source-uri",
            "github.com/a/b",
        ],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("broken.json"), "{}", out.stderr);
    let out = run(
        dir.path(),
        &[
            "provenance",
            "verify",
            "sha256:zz",
            "--bundle",
            "broken.json",
            "--source-uri",
            "github.com/a/b",
        ],
    );
    assert_eq!(out.code, 2);
}

/// `check` verifies a `.sigstore.json` beside its artifact (a real npm provenance bundle and
/// tarball from ../shared/vectors, copied into a temporary project): silent when it holds, an
/// error naming the failed check when the artifact changed or the bundle is unreadable.
#[test]
fn provenance_files_next_to_artifacts_are_verified() {
    let npm = crate::common::shared_vectors().join("npm-provenance/npm-cli-audit-fixtures");
    if !npm.is_dir() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let dist = tmp.path().join("dist");
    std::fs::create_dir_all(&dist).expect("mkdir");
    std::fs::copy(
        npm.join("sigstore-1.0.0.tgz"),
        dist.join("sigstore-1.0.0.tgz"),
    )
    .expect("copy");
    crate::common::write_sigstore_bundle(&npm, &dist);
    let findings = |dir: &std::path::Path| -> Vec<String> {
        crate::common::findings(
            dir,
            &["provenance", "--select", "provenance/provenance-files"],
            "message",
        )
    };
    assert!(
        findings(tmp.path()).is_empty(),
        "{:?}",
        findings(tmp.path())
    );

    std::fs::copy(
        npm.join("tuf-js-1.0.0.tgz"),
        dist.join("sigstore-1.0.0.tgz"),
    )
    .expect("copy");
    std::fs::write(dist.join("other.sigstore.json"), "{").expect("write");
    let found = findings(tmp.path());
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].contains("other.sigstore.json is not a provenance bundle"),
        "{found:?}"
    );
    assert!(
        found[1].contains("does not verify `sigstore-1.0.0.tgz`: artifact mismatch"),
        "{found:?}"
    );
    let text = run(
        tmp.path(),
        &["provenance", "--select", "provenance/provenance-files", "."],
    );
    crate::snap!("cli", "provenance_files__mismatch", text.snapshot());
}

/// The npm audit fixture for sigstore@1.0.0: its tarball, attestations, the registry keys and
/// the production trusted root; `None` without ../shared/vectors.
fn sigstore_fixture() -> Option<[String; 4]> {
    let vectors = crate::common::shared_vectors();
    let npm = vectors.join("npm-provenance/npm-cli-audit-fixtures");
    if !npm.is_dir() {
        return None;
    }
    let s = |p: std::path::PathBuf| p.to_string_lossy().into_owned();
    Some([
        s(npm.join("sigstore-1.0.0.tgz")),
        s(npm.join("sigstore-1.0.0.attestations.json")),
        s(vectors.join("npm-registry-keys/npm-v1-keys.json")),
        s(vectors.join("sigstore-trust/production/trusted_root.json")),
    ])
}

/// An identity flag is a claim about a Fulcio certificate: npm's publish attestation (signed
/// by the registry key) kept alone, without the SLSA provenance, satisfies none of them.
#[test]
fn identity_flags_need_a_certificate_signed_statement() {
    let Some([tarball, bundle, keys, root]) = sigstore_fixture() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle).expect("read")).expect("json");
    let publish = doc["attestations"][1].clone();
    doc["attestations"] = serde_json::json!([publish]);
    std::fs::write(dir.path().join("publish-only.json"), doc.to_string()).expect("write");
    let go = |extra: &[&str]| {
        let mut args = vec![
            "provenance",
            "verify",
            tarball.as_str(),
            "--bundle",
            "publish-only.json",
            "--npm-keys",
            keys.as_str(),
            "--trusted-root",
            root.as_str(),
        ];
        args.extend_from_slice(extra);
        run(dir.path(), &args)
    };
    let out = go(&["--source-uri", "github.com/evil/repo"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("no certificate-signed provenance to check --source-uri against"),
        "{}",
        out.stdout
    );
    let all = go(&[
        "--source-uri",
        "github.com/evil/repo",
        "--cert-identity",
        "https://github.com/evil/repo/.github/workflows/x.yml@refs/tags/v1",
        "--cert-oidc-issuer",
        "https://token.actions.githubusercontent.com",
        "--builder-id",
        "https://github.com/actions/runner/github-hosted",
        "--workflow",
        ".github/workflows/x.yml",
        "--source-ref",
        "refs/tags/v1",
    ]);
    assert_eq!(all.code, 1, "{}{}", all.stdout, all.stderr);
    assert!(
        all.stdout
            .contains("no certificate-signed provenance to check"),
        "{}",
        all.stdout
    );
    // Each flag on its own, through the library: never satisfied by the key alone.
    use provenance::verify::{self, Policy, Subject};
    let root = verify::trusted_root(
        Some(std::path::Path::new(&root)),
        &chainward_core::command::DISK,
    )
    .expect("root");
    let verifier = verify::verifier(&root).expect("verifier");
    let keys = verify::npm_keys(&std::fs::read_to_string(&keys).expect("keys")).expect("keys");
    let text = doc.to_string();
    let some = |s: &str| Some(s.to_string());
    for policy in [
        Policy {
            identity: some("x"),
            ..Policy::default()
        },
        Policy {
            identity_regexp: some(".*"),
            ..Policy::default()
        },
        Policy {
            issuer: some("https://token.actions.githubusercontent.com"),
            ..Policy::default()
        },
        Policy {
            source_ref: some("*"),
            ..Policy::default()
        },
        Policy {
            builder_id: some("https://github.com/actions/runner/github-hosted"),
            ..Policy::default()
        },
        Policy {
            workflow: some(".github/workflows/publish.yml"),
            ..Policy::default()
        },
    ] {
        let reports = verify::verify_all(
            &verifier,
            &Subject::File(
                std::path::Path::new(&tarball),
                &chainward_core::command::DISK,
            ),
            &text,
            &policy,
            &keys,
        )
        .expect("readable");
        assert!(
            reports.iter().all(|r| !r.verified()),
            "{policy:?}: {reports:?}"
        );
    }
    // Without an identity flag the publish attestation still verifies on its own.
    let reports = verify::verify_all(
        &verifier,
        &Subject::File(
            std::path::Path::new(&tarball),
            &chainward_core::command::DISK,
        ),
        &text,
        &Policy::default(),
        &keys,
    )
    .expect("readable");
    assert!(reports.iter().all(verify::Report::verified), "{reports:?}");
}

/// `--builder-id` names the workflow that signed (the certificate's build signer), not the
/// `builder.id` the statement claims: slsa-verifier's `MODULE-wrong-signer` case claims
/// bazel-contrib's publish-to-bcr builder but was signed by another repository's workflow.
#[test]
fn builder_id_is_read_from_the_certificate() {
    let bcr = crate::common::shared_vectors().join("slsa-verifier/cli/slsa-verifier/testdata/bcr");
    if !bcr.is_dir() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let builder = "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml";
    let go = |name: &str, extra: &[&str]| {
        let artifact = bcr.join(name).to_string_lossy().into_owned();
        let bundle = bcr
            .join(format!("{name}.intoto.jsonl"))
            .to_string_lossy()
            .into_owned();
        let mut args = vec!["provenance", "verify", &artifact, "--bundle", &bundle];
        args.extend_from_slice(extra);
        run(dir.path(), &args)
    };
    let forged = go(
        "MODULE-wrong-signer.bazel",
        &[
            "--builder-id",
            builder,
            "--source-uri",
            "github.com/loosebazooka/aa-test",
        ],
    );
    assert_eq!(forged.code, 1, "{}{}", forged.stdout, forged.stderr);
    assert!(
        forged.stdout.contains("untrusted reusable workflow")
            && forged
                .stdout
                .contains("loosebazooka/aa-test/.github/workflows/malicious_attestation.yaml"),
        "{}",
        forged.stdout
    );
    for extra in [
        &[
            "--builder-id",
            builder,
            "--source-uri",
            "github.com/aspect-build/rules_lint",
        ][..],
        &[
            "--builder-id",
            &format!("{builder}@v0.0.1"),
            "--source-uri",
            "github.com/aspect-build/rules_lint",
        ],
    ] {
        let genuine = go("MODULE.bazel", extra);
        assert_eq!(
            genuine.code, 0,
            "{extra:?}: {}{}",
            genuine.stdout, genuine.stderr
        );
    }
    let other = go(
        "MODULE.bazel",
        &[
            "--builder-id",
            "https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml",
            "--source-uri",
            "github.com/aspect-build/rules_lint",
        ],
    );
    assert_eq!(other.code, 1, "{}", other.stdout);
    assert!(
        other.stdout.contains("untrusted reusable workflow"),
        "{}",
        other.stdout
    );
}

/// The `predicateType` beside each bundle of an npm attestations response is unsigned: the
/// label shows the signed statement's, and a different outer one is rejected (slsa-verifier's
/// `npm-att-mismatch-*-predicatetype` cases).
#[test]
fn unsigned_predicate_types_are_never_shown_as_verified() {
    use provenance::verify::{self, Policy, Subject};
    let vectors = crate::common::shared_vectors();
    let testdata = vectors.join("slsa-verifier/verifiers/internal/gha/testdata");
    if !testdata.is_dir() {
        return;
    }
    let root = verify::trusted_root(None, &chainward_core::command::DISK).expect("embedded root");
    let verifier = verify::verifier(&root).expect("verifier");
    let keys = verify::npm_keys(
        &std::fs::read_to_string(
            vectors.join("npm-registry-keys/registry.npmjs.org-keys.tuf-target.json"),
        )
        .expect("keys"),
    )
    .expect("keys");
    // The tarball is not shipped; its digest is given.
    let subject = Subject::digest("sha512:29d19f26233f4441328412b34fd73ed104ecfef62f14097890cccf7455b521b65c5acff851849faa85c85395aa22d401436f01f3afb61b19c780e906c88c7f20").expect("digest");
    let reports = |file: &str| {
        let text = std::fs::read_to_string(testdata.join(file)).expect("vector");
        verify::verify_all(&verifier, &subject, &text, &Policy::default(), &keys).expect("readable")
    };
    let base = reports("npm-attestations.intoto.sigstore");
    assert!(base.iter().all(verify::Report::verified), "{base:?}");
    for (file, tampered, index) in [
        (
            "npm-att-mismatch-prov-predicatetype.intoto.sigstore",
            "https://slsa.dev/provenanc/v0.2",
            0,
        ),
        (
            "npm-att-mismatch-pub-predicatetype.intoto.sigstore",
            "https://github.com/npm/attestation/tree/main/specs/publis/v0.1",
            1,
        ),
    ] {
        let got = reports(file);
        assert_eq!(got[index].label, base[index].label, "{file}");
        assert!(
            got.iter().all(|r| !r.label.contains(tampered)),
            "{file}: {got:?}"
        );
        let failure = got[index].failure.as_deref().unwrap_or("");
        assert!(
            failure.contains(&format!(
                "predicateType {tampered} is not the signed statement's"
            )),
            "{file}: {got:?}"
        );
    }
}

/// The parts of a log proof that are not signed are checked against the parts that are: an
/// inclusion proof's `treeSize` must be the signed checkpoint's; a bundle must name its media
/// type; an npm keys file whose `expires` cannot be read is refused, not read as "never".
#[test]
fn log_proofs_are_fully_checked() {
    use provenance::verify::{self, Policy, Subject};
    let vectors = crate::common::shared_vectors();
    let conformance = vectors.join("sigstore-conformance");
    let Ok(text) = std::fs::read_to_string(
        conformance.join("bundle-verify/happy-path-v0.3/bundle.sigstore.json"),
    ) else {
        return;
    };
    let root = verify::trusted_root(None, &chainward_core::command::DISK).expect("embedded root");
    let verifier = verify::verifier(&root).expect("verifier");
    let artifact = conformance.join("bundle-verify/a.txt");
    let policy = Policy {
        identity: Some("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main".into()),
        issuer: Some("https://token.actions.githubusercontent.com".into()),
        ..Policy::default()
    };
    let verified = |text: &str| {
        verify::verify_all(
            &verifier,
            &Subject::File(&artifact, &chainward_core::command::DISK),
            text,
            &policy,
            &[],
        )
        .is_ok_and(|r| !r.is_empty() && r.iter().all(verify::Report::verified))
    };
    assert!(verified(&text));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    // A proof for a leaf inside the tree (not its last): gundam-visor's npm attestations.
    let npm = vectors.join("slsa-verifier/cli/slsa-verifier/testdata/npm/gha");
    let tarball = npm.join("gundam-visor-cli-v1-tag.tgz");
    let attestations: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(npm.join("gundam-visor-cli-v1-tag.tgz.json")).expect("vector"),
    )
    .expect("json");
    let keys = verify::npm_keys(
        &std::fs::read_to_string(
            vectors.join("npm-registry-keys/registry.npmjs.org-keys.tuf-target.json"),
        )
        .expect("keys"),
    )
    .expect("keys");
    let npm_verified = |doc: &serde_json::Value| {
        verify::verify_all(
            &verifier,
            &Subject::File(&tarball, &chainward_core::command::DISK),
            &doc.to_string(),
            &Policy::default(),
            &keys,
        )
        .is_ok_and(|r| !r.is_empty() && r.iter().all(verify::Report::verified))
    };
    assert!(npm_verified(&attestations));
    let mut accepted = Vec::new();
    let proof = "/verificationMaterial/tlogEntries/0/inclusionProof/treeSize";
    for (j, a) in attestations["attestations"]
        .as_array()
        .expect("attestations")
        .iter()
        .enumerate()
    {
        let Some(size) = a["bundle"]
            .pointer(proof)
            .and_then(|s| s.as_str())
            .and_then(|s| s.parse::<i64>().ok())
        else {
            continue;
        };
        for delta in (-1..=37).filter(|d| *d != 0) {
            let mut edited = attestations.clone();
            if let Some(v) = edited["attestations"][j]["bundle"].pointer_mut(proof) {
                *v = serde_json::json!((size + delta).to_string());
            }
            if npm_verified(&edited) {
                accepted.push((j, delta));
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "treeSize edited by (attestation, delta) {accepted:?} verified"
    );

    let mut untyped = doc.clone();
    untyped.as_object_mut().expect("object").remove("mediaType");
    assert!(!verified(&untyped.to_string()));
    let e = verify::bundles(&untyped.to_string())
        .err()
        .unwrap_or_default();
    assert!(e.contains("no mediaType"), "{e}");

    let keys_text =
        std::fs::read_to_string(vectors.join("npm-registry-keys/npm-v1-keys.json")).expect("keys");
    let mut keys: serde_json::Value = serde_json::from_str(&keys_text).expect("json");
    assert!(verify::npm_keys(&keys_text).is_ok());
    keys["keys"][0]["expires"] = serde_json::json!("29 January 2025");
    let e = verify::npm_keys(&keys.to_string()).expect_err("unreadable expiry");
    assert!(e.contains("not an RFC 3339 time"), "{e}");
    let tuf_text = std::fs::read_to_string(
        vectors.join("npm-registry-keys/registry.npmjs.org-keys.tuf-target.json"),
    )
    .expect("keys");
    let mut tuf: serde_json::Value = serde_json::from_str(&tuf_text).expect("json");
    assert!(verify::npm_keys(&tuf_text).is_ok());
    for key in tuf["keys"].as_array_mut().expect("keys") {
        key["publicKey"]["validFor"]["end"] = serde_json::json!(20250129);
    }
    assert!(verify::npm_keys(&tuf.to_string()).is_err());
}

/// A signature proves only that someone signed: `verify` refuses to run without an identity
/// policy (as cosign and `gh attestation verify` do) unless `--insecure-any-identity` is given,
/// and then says what was not checked; `show` prints what the proof says, labelled the same way.
#[test]
fn no_identity_no_verified() {
    let Some([tarball, bundle, keys, root]) = sigstore_fixture() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let go = |verb: &str, extra: &[&str]| {
        let mut args = vec![
            "provenance",
            verb,
            tarball.as_str(),
            "--bundle",
            bundle.as_str(),
            "--npm-keys",
            keys.as_str(),
            "--trusted-root",
            root.as_str(),
        ];
        args.extend_from_slice(extra);
        run(dir.path(), &args)
    };
    let issuer = "https://token.actions.githubusercontent.com";
    for extra in [
        &[][..],
        &[
            "--builder-id",
            "https://github.com/actions/runner/github-hosted",
        ],
        &["--workflow", ".github/workflows/publish.yml"],
        &["--package-name", "sigstore"],
        &[
            "--cert-identity",
            "https://github.com/sigstore/sigstore-js/.github/workflows/publish.yml@refs/tags/v1.0.0",
        ],
        &["--cert-oidc-issuer", issuer],
    ] {
        let out = go("verify", extra);
        assert_eq!(out.code, 2, "{extra:?}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("needs an identity policy"),
            "{extra:?}: {}",
            out.stderr
        );
        assert!(!out.stdout.contains("Verified"), "{}", out.stdout);
    }
    let any = go("verify", &["--insecure-any-identity"]);
    assert_eq!(any.code, 0, "{}{}", any.stdout, any.stderr);
    assert!(
        any.stdout
            .contains("Verified ✓ (signature only: no identity policy"),
        "{}",
        any.stdout
    );
    let json = go("verify", &["--insecure-any-identity", "--format", "json"]);
    assert!(
        json.stdout.contains("\"identity_checked\": false"),
        "{}",
        json.stdout
    );
    let shown = go("show", &[]);
    assert_eq!(shown.code, 0, "{}{}", shown.stdout, shown.stderr);
    assert!(shown.stdout.contains("signature only"), "{}", shown.stdout);
    for extra in [
        &["--source-uri", "github.com/sigstore/sigstore-js"][..],
        &[
            "--cert-identity",
            "https://github.com/sigstore/sigstore-js/.github/workflows/publish.yml@refs/tags/v1.0.0",
            "--cert-oidc-issuer",
            issuer,
        ],
    ] {
        let out = go("verify", extra);
        assert_eq!(out.code, 0, "{extra:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("Verified ✓\n"), "{}", out.stdout);
        assert!(!out.stdout.contains("signature only"), "{}", out.stdout);
    }
}

/// `--cert-identity-regexp` cannot close the group its anchors wrap, and `--source-uri` takes
/// only the github.com forms slsa-verifier accepts: both are usage errors, never a match.
#[test]
fn identity_regexps_and_source_uris_are_checked_before_use() {
    let Some([tarball, bundle, keys, root]) = sigstore_fixture() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let go = |extra: &[&str]| {
        let mut args = vec![
            "provenance",
            "verify",
            tarball.as_str(),
            "--bundle",
            bundle.as_str(),
            "--npm-keys",
            keys.as_str(),
            "--trusted-root",
            root.as_str(),
        ];
        args.extend_from_slice(extra);
        run(dir.path(), &args)
    };
    let issuer = "https://token.actions.githubusercontent.com";
    let out = go(&[
        "--cert-identity-regexp",
        "a)|(.*",
        "--cert-oidc-issuer",
        issuer,
    ]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("--cert-identity-regexp"),
        "{}",
        out.stderr
    );
    let out = go(&[
        "--cert-identity-regexp",
        "https://github.com/sigstore",
        "--cert-oidc-issuer",
        issuer,
    ]);
    assert_eq!(out.code, 1, "a prefix is not a full match: {}", out.stdout);
    for uri in [
        "evil://github.com/sigstore/sigstore-js",
        "http://github.com/sigstore/sigstore-js",
        "https://github.com.evil.com/sigstore/sigstore-js",
    ] {
        let out = go(&["--source-uri", uri]);
        assert_eq!(out.code, 2, "{uri}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("expected github.com/OWNER/REPO"),
            "{}",
            out.stderr
        );
    }
    for uri in [
        "github.com/sigstore/sigstore-js",
        "https://github.com/sigstore/sigstore-js",
        "git+https://github.com/sigstore/sigstore-js",
    ] {
        let out = go(&["--source-uri", uri]);
        assert_eq!(out.code, 0, "{uri}: {}{}", out.stdout, out.stderr);
    }
}

/// PEP 740 attestations (PyPI): one attestation file, PyPI's provenance object, and an SLSA
/// attestation of the same distribution verify offline with the identity policy flags; another
/// workflow, another digest, and a staging signature against the production root fail.
#[test]
fn pep740_attestations_verify_offline() {
    let dir = crate::common::fixtures().join("provenance/pep740");
    let dist = "sha256:9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3";
    let repo = ["--source-uri", "github.com/trailofbits/pypi-attestations"];
    let staging = crate::common::shared_vectors().join("sigstore-trust/staging/trusted_root.json");
    let staging = staging.to_string_lossy().into_owned();
    let rfc8785 = "sha256:c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201";
    let cases: Vec<(&str, Vec<&str>, i32)> = vec![
        (
            "publish attestation",
            vec![
                dist,
                "--bundle",
                "pypi_attestations-0.0.19.tar.gz.publish.attestation",
                repo[0],
                repo[1],
                "--workflow",
                ".github/workflows/release.yml",
                "--source-ref",
                "refs/tags/v0.0.19",
            ],
            0,
        ),
        (
            "PyPI's provenance object",
            vec![
                dist,
                "--bundle",
                "pypi_attestations-0.0.19.tar.gz.provenance",
                repo[0],
                repo[1],
            ],
            0,
        ),
        (
            "SLSA attestation",
            vec![
                dist,
                "--bundle",
                "pypi_attestations-0.0.19.tar.gz.slsa.attestation",
                repo[0],
                repo[1],
            ],
            0,
        ),
        (
            "another workflow",
            vec![
                dist,
                "--bundle",
                "pypi_attestations-0.0.19.tar.gz.publish.attestation",
                repo[0],
                repo[1],
                "--workflow",
                ".github/workflows/other.yml",
            ],
            1,
        ),
        (
            "another repository",
            vec![
                dist,
                "--bundle",
                "pypi_attestations-0.0.19.tar.gz.publish.attestation",
                "--source-uri",
                "github.com/pypa/sampleproject",
            ],
            1,
        ),
        (
            "another digest",
            vec![
                "sha256:8bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3",
                "--bundle",
                "pypi_attestations-0.0.19.tar.gz.publish.attestation",
                repo[0],
                repo[1],
            ],
            1,
        ),
        (
            "staging signature, production root",
            vec![
                rfc8785,
                "--bundle",
                "rfc8785-0.1.2-py3-none-any.whl.publish.attestation",
                "--insecure-any-identity",
            ],
            1,
        ),
        (
            "staging signature, staging root",
            vec![
                rfc8785,
                "--bundle",
                "rfc8785-0.1.2-py3-none-any.whl.publish.attestation",
                "--insecure-any-identity",
                "--trusted-root",
                &staging,
            ],
            0,
        ),
    ];
    let mut out = String::new();
    for (what, args, code) in cases {
        let mut full = vec!["provenance", "verify"];
        full.extend(args);
        let o = run(&dir, &full);
        assert_eq!(o.code, code, "{what}: {}", o.snapshot());
        out.push_str(&format!(
            "## {what}\n{}{}\n",
            o.stdout,
            o.stderr.replace(&staging, "<staging root>")
        ));
    }
    crate::snap!("provenance-verify", "pep740", out);
    // A statement swapped under the signature (another subject digest): the signature fails.
    let tmp = tempfile::tempdir().expect("tmp");
    let mut a: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("pypi_attestations-0.0.19.tar.gz.publish.attestation"))
            .expect("read"),
    )
    .expect("JSON");
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let statement = b64
        .decode(a["envelope"]["statement"].as_str().expect("statement"))
        .expect("base64");
    let forged = String::from_utf8(statement)
        .expect("utf-8")
        .replace("9bb1add0", "0bb1add0");
    a["envelope"]["statement"] = b64.encode(forged).into();
    std::fs::write(tmp.path().join("forged.attestation"), a.to_string()).expect("write");
    let o = run(
        tmp.path(),
        &[
            "provenance",
            "verify",
            "sha256:0bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3",
            "--bundle",
            "forged.attestation",
            repo[0],
            repo[1],
        ],
    );
    assert_eq!(o.code, 1, "{}", o.snapshot());
    assert!(o.stdout.contains("FAILED"), "{}", o.stdout);
}

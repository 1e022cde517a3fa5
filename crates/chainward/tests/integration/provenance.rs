//! provenance: the pipeline rules on the workflow fixtures (their findings are snapshotted by
//! `pin_check::every_plugin_fixture`; here, what must and must not be reported), and the
//! package scope against the git remote.

use crate::common::{GitRepo, copy_fixture, run};

fn rules(case: &str) -> Vec<String> {
    let tmp = copy_fixture(&format!("provenance/{case}"));
    let out = run(tmp.path(), &["provenance", "--format", "json", "."]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str().map(str::to_string))
        .collect()
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
        let out = run(
            dir,
            &[
                "provenance",
                "--select",
                "provenance/scope-mismatch",
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
            .filter_map(|f| f["message"].as_str().map(str::to_string))
            .collect()
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
    let found = check(tmp.path());
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].contains("scope `@acme` is not the GitHub owner `someone-else`"),
        "{found:?}"
    );
    assert!(
        found[1].contains("`repository` names acme/weather-mcp"),
        "{found:?}"
    );
}

//! Causes found on real repositories (issue 16): each test is a minimized tree with the verdict
//! the package manager (or a reader, where it cannot judge) gives, asserted end to end.

use std::path::Path;

use crate::common::*;

/// `(rule, path)` of every finding.
fn rules_and_paths(dir: &Path, args: &[&str]) -> Vec<(String, String)> {
    let mut full = args.to_vec();
    full.extend(["--format", "json", "."]);
    let out = run(dir, &full);
    let json: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.snapshot()));
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["location"]["path"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

/// Commit every file of `dir` (force-adding ignored ones, as `git add -f` does).
fn commit_all(dir: &Path, paths: &[&str]) -> git2::Repository {
    let repo = git2::Repository::init(dir).expect("git init");
    {
        let mut index = repo.index().expect("index");
        for p in paths {
            index.add_path(Path::new(p)).expect("add");
        }
        index.write().expect("write index");
        let tree = repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("tree");
        let sig = git2::Signature::now("t", "t@example.com").expect("sig");
        repo.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[])
            .expect("commit");
    }
    repo
}

/// A lockfile that .gitignore matches but git tracks (force-added) is what CI checks out and
/// installs from: it is checked like any other (before, the walk skipped it), and it is not
/// "git-ignored, never committed".
#[test]
fn a_tracked_lockfile_is_checked_even_when_gitignore_matches_it() {
    let tmp = copy_fixture("pin-check/ranges");
    let dir = tmp.path();
    let lock = std::fs::read_to_string(dir.join("package-lock.json")).expect("read");
    std::fs::write(
        dir.join("package-lock.json"),
        lock.replace(
            "https://registry.npmjs.org/ms/",
            "http://registry.npmjs.org/ms/",
        ),
    )
    .expect("write");
    std::fs::write(dir.join(".gitignore"), "package-lock.json\n").expect("write");
    commit_all(dir, &[".gitignore", "package.json", "package-lock.json"]);
    let found = rules_and_paths(dir, &["check"]);
    assert!(
        found.contains(&(
            "npm-ci/insecure-protocol".into(),
            "package-lock.json".into()
        )),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(r, _)| r == "npm-ci/lockfile-not-committed"),
        "{found:?}"
    );
    // Untracked and ignored: not checked, and reported as never committed.
    std::fs::remove_dir_all(dir.join(".git")).expect("rm .git");
    commit_all(dir, &[".gitignore", "package.json"]);
    let found = rules_and_paths(dir, &["check"]);
    assert!(
        !found.iter().any(|(r, _)| r == "npm-ci/insecure-protocol"),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            "npm-ci/lockfile-not-committed".into(),
            "package-lock.json".into()
        )),
        "{found:?}"
    );
}

/// A checkout without `.git/index` (libgit2 then reads an empty index): not "every lockfile is
/// untracked", but one note that it could not be told.
#[test]
fn a_missing_git_index_is_said_once_not_blamed_on_every_lockfile() {
    let tmp = copy_fixture("pin-check/ranges");
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
    for f in ["package.json", "package-lock.json"] {
        std::fs::copy(dir.join(f), dir.join("sub").join(f)).expect("copy");
    }
    commit_all(
        dir,
        &[
            "package.json",
            "package-lock.json",
            "sub/package.json",
            "sub/package-lock.json",
        ],
    );
    assert!(
        !rules_and_paths(dir, &["check"])
            .iter()
            .any(|(r, _)| r == "npm-ci/lockfile-not-committed")
    );
    std::fs::remove_file(dir.join(".git/index")).expect("rm index");
    let found = rules_and_paths(dir, &["check"]);
    assert!(
        !found
            .iter()
            .any(|(r, _)| r == "npm-ci/lockfile-not-committed"),
        "{found:?}"
    );
    let out = run(dir, &["check", "-v", "."]);
    let notes = out
        .stderr
        .lines()
        .filter(|l| l.contains("index (.git/index) is missing"))
        .count();
    assert_eq!(notes, 1, "{}", out.stderr);
}

/// Test-data folders (npm/cli keeps hundreds of deliberately broken lockfiles under
/// `test/fixtures`) are not checked below the scanned root; `-v` says so once, and
/// `[files] include` brings a folder back.
#[test]
fn test_data_folders_are_left_out_unless_included() {
    let tmp = copy_fixture("pin-check/clean");
    let dir = tmp.path();
    for case in [
        "test/fixtures/broken",
        "workspaces/a/test/__fixtures__/x",
        "testdata/y",
    ] {
        std::fs::create_dir_all(dir.join(case)).expect("mkdir");
        std::fs::write(dir.join(case).join("package-lock.json"), "{ broken").expect("write");
        std::fs::write(
            dir.join(case).join("package.json"),
            "{\"dependencies\": {\"a\": \"^1\"}}",
        )
        .expect("write");
    }
    let found = rules_and_paths(dir, &["check"]);
    assert!(
        !found
            .iter()
            .any(|(_, p)| p.contains("fixtures") || p.contains("testdata")),
        "{found:?}"
    );
    let out = run(dir, &["check", "-v", "."]);
    assert!(
        out.stderr.contains("note: 3 test-data folders not checked"),
        "{}",
        out.stderr
    );
    std::fs::write(
        dir.join("chainward.toml"),
        "[files]\ninclude = [\"test/fixtures/broken/**\"]\n",
    )
    .expect("config");
    let found = rules_and_paths(dir, &["check"]);
    assert!(
        found.contains(&(
            "chainward/parse-error".into(),
            "test/fixtures/broken/package-lock.json".into()
        )),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(_, p)| p.contains("__fixtures__")),
        "{found:?}"
    );
}
